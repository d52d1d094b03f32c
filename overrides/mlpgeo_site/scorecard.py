"""The metrics files as the site reads them, and the pages and tables built from them.

Moved here from ``mlpgeo.report`` (the package records metrics; only the site renders them):
:func:`load_metrics`, :func:`heading_anchor`, :func:`notebook_timing`, :func:`run_time`,
:func:`verdict_totals`, :func:`md_cell`, :func:`scorecard_markdown`.

Claims in a metrics file carry ``id, kind, claim, source_value, criterion, measured, verdict, section``.
Files written before ``kind`` and ``criterion`` existed are read too: the site shows what is there.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from mlpgeo.report import VERDICTS, ClaimTable
from mlpgeo_site.paper import PaperRecord, flips, paper_cell, with_paper_column

REPORT_KEYS = ("report", "source", "scale", "seeds", "runtime_s", "metrics", "claims")
CLAIM_KEYS = ("id", "claim", "source_value", "measured", "verdict", "section")
"""The claim keys every metrics file has; ``kind`` and ``criterion`` are used when present."""


def load_metrics(folder: Path) -> list[dict[str, Any]]:
    """Read and check every ``*.json`` metrics file in ``folder``, sorted by report name.

    Raises:
        ValueError: a file that is not valid JSON, lacks a required key, or holds a claim without
            :data:`CLAIM_KEYS` or with an unknown verdict (names the file and the claim).
    """
    reports = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON ({error}); rerun its report.") from error
        missing = set(REPORT_KEYS) - set(data)
        if missing:
            raise ValueError(f"{path} lacks {sorted(missing)}; rerun its report.")
        for claim in data["claims"]:
            lacking = set(CLAIM_KEYS) - set(claim)
            if lacking or claim["verdict"] not in VERDICTS:
                problem = f"lacks {sorted(lacking)}" if lacking else f"has the unknown verdict {claim['verdict']!r}"
                raise ValueError(f"{path}: claim {claim.get('id')!r} {problem}; rerun its report.")
        reports.append(data)
    return reports


def heading_anchor(heading: str) -> str:
    """The HTML id the site gives a report heading (mkdocs-jupyter's rule).

    ASCII-folded, characters other than letters, digits, ``_``, ``-`` and spaces dropped, lower-cased,
    runs of spaces and hyphens turned into one hyphen: ``"3. Wide vs deep (2-D)"`` -> ``"3-wide-vs-deep-2-d"``.
    """
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def notebook_timing(notebook: Mapping[str, Any]) -> dict[str, Any] | None:
    """How long an executed notebook took, from the per-cell timing that nbclient (nbmake) records.

    Args:
        notebook: the executed notebook as parsed JSON (``{"cells": [...], ...}``).

    Returns:
        ``{"seconds": s, "finished": iso}``: wall-clock time from the first code cell's start
        (``iopub.status.busy``) to the last code cell's reply (``shell.execute_reply``), and that last
        time stamp (UTC, ISO 8601); ``None`` if the notebook carries no timing (not executed).
    """
    stamps = [c.get("metadata", {}).get("execution", {}) for c in notebook.get("cells", []) if c.get("cell_type") == "code"]
    stamps = [t for t in stamps if "iopub.status.busy" in t and "shell.execute_reply" in t]
    if not stamps:
        return None
    start = datetime.fromisoformat(stamps[0]["iopub.status.busy"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(stamps[-1]["shell.execute_reply"].replace("Z", "+00:00"))
    return {"seconds": round((end - start).total_seconds(), 1), "finished": stamps[-1]["shell.execute_reply"]}


def run_time(report: Mapping[str, Any]) -> float:
    """A report's run time in seconds: the notebook's execution time if known (``report["execution"]``,
    see :func:`notebook_timing`), else the time its recorder measured (``runtime_s``)."""
    execution = report.get("execution") or {}
    return float(execution.get("seconds", report["runtime_s"]))


def claim_kind(claim: Mapping[str, Any]) -> str:
    """``"source"`` (a statement of the source document) or ``"check"`` (our own derivation, a fact true by
    construction, a sanity check); files written before kinds existed count as source claims."""
    return str(claim.get("kind") or "source")


def verdict_totals(reports: Sequence[Mapping[str, Any]], kind: str = "source") -> dict[str, int]:
    """How many claims of ``kind`` (default: the source documents' claims; checks are not reproductions) of all
    reports carry each verdict (every verdict listed, zeros included)."""
    totals = {verdict: 0 for verdict in VERDICTS}
    for report in reports:
        for claim in report["claims"]:
            if claim_kind(claim) == kind:
                totals[claim["verdict"]] += 1
    return totals


def md_cell(text: str) -> str:
    """Escape text for a Markdown table cell."""
    return html.escape(str(text)).replace("|", "\\|").replace("\n", " ")


badge = ClaimTable.verdict_cell
"""A verdict as a coloured badge (``.verdict`` in docs/stylesheets/mlpgeo.css)."""


def stacked_table(headers: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    """An HTML table whose cells carry their column's name (``data-label``): on narrow screens the CSS
    shows each row as a card of labelled cells instead of scrolling sideways. Cells are HTML."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td data-label="{html.escape(h)}">{cell}</td>' for h, cell in zip(headers, row, strict=True)) + "</tr>"
        for row in rows
    )
    classes = " ".join(["mlpgeo-stack", *cls.split()])
    return f'<table class="{classes}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def claim_row(claim: Mapping[str, Any], name: str) -> list[str]:
    """The cells of one claim in a scorecard table (the columns of :class:`mlpgeo.report.ClaimTable`), its
    evidence link pointing into report ``name``'s page."""
    section = str(claim["section"]).strip()
    return [
        ClaimTable.claim_cell(claim), badge(claim["verdict"]), ClaimTable.measured_cell(claim["measured"]),
        html.escape(str(claim.get("criterion") or "")) or "<small>(not recorded)</small>",
        ClaimTable.evidence_cell(section, f"../reports/{name}/#{heading_anchor(section)}"),
    ]


def claims_table(claims: Sequence[tuple[Mapping[str, Any], str]], records: Mapping[str, PaperRecord] | None,
                 cls: str) -> str:
    """A scorecard table of ``(claim, report name)`` pairs; with ``records`` (paper-scale records by report),
    the paper-scale verdict of each claim beside its built verdict (:func:`mlpgeo_site.paper.paper_cell`)."""
    headers = list(ClaimTable.HEADERS)
    rows = []
    for claim, name in claims:
        row = claim_row(claim, name)
        if records is not None:
            columns, row = with_paper_column(ClaimTable.HEADERS, row, paper_cell(claim, records.get(name)))
            headers = columns
        rows.append(row)
    return stacked_table(headers, rows, cls)


def source_flip_count(reports: Sequence[Mapping[str, Any]], records: Mapping[str, PaperRecord]) -> int:
    """How many source claims of the built ``reports`` have a recorded paper-scale verdict that differs."""
    built = {r["report"]: [c for c in r["claims"] if claim_kind(c) == "source"] for r in reports}
    return sum(len(flips(built.get(name, []), record)) for name, record in records.items())


def paper_totals(reports: Sequence[Mapping[str, Any]], records: Mapping[str, PaperRecord]) -> list[str]:
    """Markdown lines: the source claims' verdicts at the papers' sizes (the recorded runs), how many differ
    from the built ones, and which records are stale or missing."""
    recorded = [record.record for record in records.values()]
    totals = verdict_totals(recorded)
    differ = source_flip_count(reports, records)
    stale = sorted(name for name, record in records.items() if record.stale)
    missing = sorted({r["report"] for r in reports} - set(records))
    lines = [
        "**At the papers' sizes** (the recorded runs in `results/paper/`, made by `make paper`; each claim's "
        "paper-scale verdict sits beside its built verdict below, in the column “Paper scale”):", "",
        "| Verdict | Source claims at paper scale |", "|---|---:|",
        *[f"| {badge(v)} | {n} |" for v, n in totals.items()],
        f"| **all** | **{sum(totals.values())}** |", "",
        f"{differ} source-claim verdicts differ between this build and the paper-scale record (marked “differs”).",
    ]
    if stale:
        lines[-1] += (" Stale records (the code changed since they were recorded; rerun `make paper`): "
                      + ", ".join(stale) + ".")
    if missing:
        lines[-1] += " No record yet: " + ", ".join(missing) + "."
    return lines + [""]


def scorecard_markdown(reports: Sequence[Mapping[str, Any]], titles: Mapping[str, str],
                       sources: Mapping[str, str] | None = None,
                       records: Mapping[str, PaperRecord] | None = None) -> str:
    """The scorecard page: totals per verdict, a row per report (its source document and verdict counts),
    the claims of each report (claim, verdict, deciding number, rule, link to the evidence; the table of
    :class:`mlpgeo.report.ClaimTable`), and the run times.

    Args:
        reports: metrics files as loaded by :func:`load_metrics`, each optionally with an ``"execution"``
            entry from :func:`notebook_timing` (the site build adds it from the executed notebooks).
        titles: report name -> page title, in the order the reports are listed (others follow by name).
        sources: report name -> the source document's full name (default: the metrics file's ``source``).
        records: the recorded paper-scale runs by report name (``results/paper``; see :mod:`mlpgeo_site.paper`):
            a "Paper scale" column beside each verdict, differences and stale records marked. ``None``: no column.

    Returns:
        Markdown for ``scorecard.md``; links point to ``../reports/<name>/`` and its sections.
    """
    sources = sources or {}
    order = {name: i for i, name in enumerate(titles)}
    reports = sorted(reports, key=lambda r: (order.get(r["report"], len(order)), r["report"]))
    totals = verdict_totals(reports)
    n_claims = sum(totals.values())
    n_checks = sum(verdict_totals(reports, "check").values())

    def title(name: str) -> str:
        return html.escape(titles.get(name, name))

    lines = [
        "---",
        "hide:",
        "  - navigation",
        "  - toc",
        "---",
        "# Scorecard",
        "",
        "Every claim of the five source documents, with our measurement and verdict. This page is "
        "generated from the reports' metrics files at build time; it cannot disagree with them. "
        "Each claim links to the section of its report that shows the evidence; the number shown is the "
        "one the verdict rests on (mean ± standard deviation over seeds, and n), the others are folded. "
        "The totals count the source documents' claims only; our own derivations, facts true by "
        f"construction and sanity checks ({n_checks}) are listed apart, under [Checks](#checks).",
        "",
        "| Verdict | Source claims |",
        "|---|---:|",
    ]
    lines += [f"| {badge(v)} | {count} |" for v, count in totals.items()]
    lines += [f"| **all** | **{n_claims}** |", ""]
    if records is not None:
        lines += paper_totals(reports, records)
    lines += ["## By report", ""]
    rows = []
    for report in reports:
        name = report["report"]
        counts = verdict_totals([report])
        rows.append([
            f'<a href="../reports/{name}/">{title(name)}</a>',
            html.escape(sources.get(name) or str(report["source"])),
            " ".join(f"{badge(v)}&nbsp;{n}" for v, n in counts.items() if n) or "none",
            str(sum(counts.values())),
            str(sum(verdict_totals([report], "check").values())),
        ])
        if records is not None:
            record = records.get(name)
            sources_only = [c for c in report["claims"] if claim_kind(c) == "source"]
            rows[-1].append("no record" if record is None else
                            f"{len(flips(sources_only, record))}" + (' <span class="mlpgeo-stale">stale</span>' if record.stale else ""))
    headers = ["Report", "Source document", "Verdicts", "Source claims", "Checks"]
    if records is not None:
        headers.append("Differ at paper scale")
    lines += [stacked_table(headers, rows, "mlpgeo-by-report"), ""]
    lines += ["## Claims", ""]
    for report in reports:
        name = report["report"]
        pairs = [(claim, name) for claim in report["claims"] if claim_kind(claim) == "source"]
        lines += [f'### <a href="../reports/{name}/">{title(name)}</a>', "", claims_table(pairs, records, "mlpgeo-claims"), ""]
    lines += ["## Checks", "",
              "Our own derivations, facts true by construction and sanity checks of the code. They must hold "
              "(a failing one means a bug), but they reproduce nothing, so they are not in the totals.", ""]
    pairs = [(claim, report["report"]) for report in reports for claim in report["claims"] if claim_kind(claim) == "check"]
    lines += [claims_table(pairs, records, "mlpgeo-claims mlpgeo-checks") if pairs else "None recorded.", ""]
    lines += ["## Run time of the last build", "",
              "Wall-clock time of executing every cell of each report once, at the scale shown, on a machine "
              "that may be shared with other jobs (expect spread between builds).", ""]
    rows = []
    for report in reports:
        machine_info = report.get("machine", {})
        described = (
            f"{machine_info.get('cpus', '?')} CPUs ({machine_info.get('torch_threads', '?')} torch threads), "
            f"{machine_info.get('platform', '?')}, Python {machine_info.get('python', '?')}, "
            f"torch {machine_info.get('torch', '?')}"
            + (f", GPU {machine_info['cuda']}" if machine_info.get("cuda") else "")
        )
        finished = (report.get("execution") or {}).get("finished", "")
        finished = finished[:19].replace("T", " ") if finished else "not recorded"
        rows.append([
            f'<a href="../reports/{report["report"]}/">{title(report["report"])}</a>',
            html.escape(str(report["scale"])), ", ".join(map(str, report["seeds"])),
            f"{run_time(report):.0f} s", finished, html.escape(described),
        ])
    lines += [stacked_table(["Report", "Scale", "Seeds", "Run time", "Finished (UTC)", "Machine"], rows, "mlpgeo-runs")]
    return "\n".join(lines) + "\n"
