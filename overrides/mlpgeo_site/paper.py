"""Recorded paper-scale results beside the built verdicts: the site's side of ``results/paper/``.

``make paper`` runs every report at the papers' sizes and records ``results/paper/<report>.json``: a metrics
file (the schema of :mod:`mlpgeo.report`) plus ``provenance`` (commit, code hash, scale, seeds, machine,
date, run time; :mod:`mlpgeo.experiments.provenance`). The site shows each claim's built verdict and its
paper-scale verdict side by side:

- a claim whose two verdicts differ is marked *differs* (a flip between the scales, or between two runs);
- a record whose code hash no longer matches the code that built the site is marked *stale*: its numbers
  came from other code, so it is shown but flagged;
- a claim the record lacks (added since) is *not in the record*; a report without a record says so.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, NavigableString

from mlpgeo.experiments.provenance import code_hash
from mlpgeo.report import ClaimTable

PAPER_HEADER = "Paper scale"
"""The column the site adds after "Verdict" in every verdict table."""


@dataclass(frozen=True)
class PaperRecord:
    """One report's recorded paper-scale run.

    Attributes:
        name: the report's name.
        record: the file's content (metrics with ``provenance``).
        stale: whether the record's code hash differs from the current code's.
    """

    name: str
    record: dict[str, Any]
    stale: bool

    @property
    def verdicts(self) -> dict[str, str]:
        """Claim id -> paper-scale verdict."""
        return {claim["id"]: claim["verdict"] for claim in self.record["claims"]}

    @property
    def provenance(self) -> dict[str, Any]:
        return self.record["provenance"]


def load_records(folder: Path, root: Path) -> dict[str, PaperRecord]:
    """Every ``<report>.json`` in ``folder`` (``results/paper``), checked, with its staleness against the code
    under ``root`` (the repository root). A missing folder gives no records.

    Raises:
        ValueError: a file that is not a paper-scale record (names the file and what is missing).
    """
    records = {}
    texts: dict[Path, bytes] = {}  # each shared module is parsed once for all the reports
    for path in sorted(Path(folder).glob("*.json")) if Path(folder).is_dir() else []:
        record = json.loads(path.read_text())
        missing = [key for key in ("report", "scale", "seeds", "claims", "provenance") if key not in record]
        if missing:
            raise ValueError(f"{path}: not a paper-scale record, it lacks {missing}; rerun `make paper`.")
        if "code_hash" not in record["provenance"]:
            raise ValueError(f"{path}: its provenance lacks code_hash; rerun `make paper`.")
        name = record["report"]
        try:
            current = code_hash(name, root, texts)
        except ValueError:
            current = None
        records[name] = PaperRecord(name, record, stale=current != record["provenance"]["code_hash"])
    return records


def flips(claims: Sequence[Mapping[str, Any]], record: PaperRecord | None) -> list[tuple[Mapping[str, Any], str]]:
    """The built claims whose recorded paper-scale verdict differs, with that verdict."""
    if record is None:
        return []
    paper = record.verdicts
    return [(claim, paper[claim["id"]]) for claim in claims if claim["id"] in paper and paper[claim["id"]] != claim["verdict"]]


def paper_cell(claim: Mapping[str, Any], record: PaperRecord | None) -> str:
    """A verdict table cell: the claim's paper-scale verdict as a badge, marked where it differs from the built
    verdict and where the record is stale."""
    if record is None:
        return '<small class="mlpgeo-paper-none">no paper-scale record</small>'
    verdict = record.verdicts.get(claim["id"])
    if verdict is None:
        return '<small class="mlpgeo-paper-none">not in the record</small>'
    marks = []
    if verdict != claim["verdict"]:
        marks.append('<span class="mlpgeo-flip" title="the built verdict and the paper-scale verdict differ">differs</span>')
    if record.stale:
        marks.append('<span class="mlpgeo-stale" title="recorded from other code than this build\'s">stale</span>')
    return ClaimTable.verdict_cell(verdict) + ("<br>" + " ".join(marks) if marks else "")


def with_paper_column(headers: Sequence[str], row: Sequence[str], cell: str) -> tuple[list[str], list[str]]:
    """``headers`` and ``row`` with the paper-scale column put after "Verdict"."""
    at = list(headers).index("Verdict") + 1
    return [*headers[:at], PAPER_HEADER, *headers[at:]], [*row[:at], cell, *row[at:]]


def record_summary(record: PaperRecord | None, claims: Sequence[Mapping[str, Any]]) -> str:
    """One paragraph of HTML: where the paper-scale record comes from and how many verdicts differ."""
    if record is None:
        return ("<p><strong>Paper scale:</strong> no recorded run yet "
                "(<code>make paper</code> writes <code>results/paper/</code>).</p>")
    p = record.provenance
    machine = p.get("machine") or {}
    where = f"{machine.get('cpus', '?')} CPUs" + (f", GPU {machine['cuda']}" if machine.get("cuda") else "")
    runtime = f"{p['runtime_s'] / 60:.0f} min" if isinstance(p.get("runtime_s"), (int, float)) else "?"
    changed = flips(claims, record)
    differ = (f"{len(changed)} of {len(claims)} verdicts differ from this build's: " +
              "; ".join(f"{html.escape(c['id'])} {html.escape(c['verdict'])} → {html.escape(v)}" for c, v in changed)
              if changed else f"all {len(claims)} verdicts recorded agree with this build's")
    stale = (' <span class="mlpgeo-stale">stale</span>: the code changed since it was recorded, so its numbers '
             "may not be what this code gives; rerun <code>make paper</code>." if record.stale else "")
    date = str(p.get("date", "?")).replace("T", " ").replace("Z", " UTC")
    return (f"<p><strong>Paper scale</strong> (the verdict table's column “{PAPER_HEADER}”): recorded {html.escape(date)} "
            f"at scale <code>{html.escape(str(p.get('scale')))}</code>, seeds {', '.join(map(str, p.get('seeds', [])))}, "
            f"in {html.escape(runtime)} on {html.escape(where)} (jobs: {html.escape(str(p.get('workers', '?')))}), "
            f"commit <code>{html.escape(str(p.get('commit') or '?')[:12])}</code>. {differ}.{stale}</p>")


def _claim_text(row) -> str:
    first = row.find("td")
    if first is None:
        return ""
    return "".join(str(part) for part in first.children if isinstance(part, NavigableString)).strip()


def add_paper_column(content: str, claims: Sequence[Mapping[str, Any]], record: PaperRecord | None) -> str:
    """Every verdict table (``table.mlpgeo-claims``) of a report page's HTML with the paper-scale column after
    "Verdict"; rows are matched to claims by the claim's sentence. Pages without one are returned unchanged."""
    if "mlpgeo-claims" not in content:
        return content
    soup = BeautifulSoup(content, "html.parser")
    by_text = {str(claim["claim"]).strip(): claim for claim in claims}
    changed = False
    for table in soup.select("table.mlpgeo-claims"):
        heads = table.select("thead th")
        names = [th.get_text(strip=True) for th in heads]
        if "Verdict" not in names or PAPER_HEADER in names:
            continue
        at = names.index("Verdict")
        new_head = soup.new_tag("th")
        new_head.string = PAPER_HEADER
        heads[at].insert_after(new_head)
        for row in table.select("tbody tr"):
            cells = row.find_all("td", recursive=False)
            claim = by_text.get(_claim_text(row))
            cell = BeautifulSoup(
                f'<td data-label="{PAPER_HEADER}">'
                + (paper_cell(claim, record) if claim else '<small class="mlpgeo-paper-none">?</small>') + "</td>",
                "html.parser",
            )
            cells[at].insert_after(cell)
        changed = True
    return str(soup) if changed else content
