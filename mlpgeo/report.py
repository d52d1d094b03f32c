"""Report metrics: what each report measured and each claim's verdict, as one :class:`Claim` record.

A report records its numbers with a :class:`Recorder` and saves ``metrics/<report>.json``::

    {"report": name, "source": citation, "scale": "ci", "seeds": [...], "runtime_s": 95.2,
     "machine": {...}, "metrics": {...},
     "claims": [{"id", "kind", "claim", "source_value", "criterion", "measured", "verdict", "section"}, ...]}

``kind`` is ``"source"`` (a statement the source document makes) or ``"check"`` (our own derivation, a
fact true by construction, or a sanity check); ``verdict`` is one of :data:`VERDICTS`; ``criterion`` is
the rule in words, as the notebook states it before the result; ``measured`` maps names to numbers or
:func:`summarize` summaries (mean, spread, n); ``section`` is the heading of the report section that
shows the evidence. The site renders its scorecard from these files (``overrides/``).

Aggregation over seeds has one home here: :func:`summarize` (one number per seed -> mean, std, n),
:func:`summarize_runs` (dicts of numbers per seed -> a summary per key) and :func:`mean_over_seeds`.
"""

from __future__ import annotations

import html
import json
import math
import os
import platform
import re
import time
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dataclasses import dataclass

import numpy as np
import torch

from mlpgeo.config import scale
from mlpgeo.data import atomic_write_bytes
from mlpgeo.experiments.catalog import REPORTS

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "not testable")
KINDS = ("source", "check")
CLAIM_KEYS = ("id", "kind", "claim", "source_value", "criterion", "measured", "verdict", "section")


def to_jsonable(value: Any) -> Any:
    """Convert numpy / torch scalars and arrays (recursively) into plain JSON values; NaN -> None."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, torch.Tensor):
        return to_jsonable(value.detach().cpu().tolist())
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot record a {type(value).__name__} as a metric; convert it to numbers first.")


def summarize(values: Iterable[float]) -> dict[str, Any]:
    """Mean and spread of a measurement over seeds.

    Returns:
        ``{"mean", "std", "n", "values"}`` with the sample standard deviation (ddof = 1; 0 for n = 1).

    Raises:
        ValueError: no values.
    """
    array = np.asarray([float(v) for v in values], dtype=np.float64)
    if array.size == 0:
        raise ValueError("summarize needs at least one value.")
    std = float(array.std(ddof=1)) if array.size > 1 else 0.0
    return {"mean": float(array.mean()), "std": std, "n": int(array.size), "values": array.tolist()}


def summarize_runs(runs: Sequence[Mapping[str, Any]], keys: Sequence[str] | None = None) -> dict[str, Any]:
    """Per-key :func:`summarize` over seeds of per-seed result dicts.

    Args:
        runs: one dict per seed, each mapping names to numbers (other values are skipped).
        keys: the names to summarize (default: every numeric entry of the first run).

    Returns:
        name -> ``{"mean", "std", "n", "values"}``.
    """
    if not runs:
        raise ValueError("summarize_runs needs at least one run.")
    if keys is None:
        keys = [k for k, v in runs[0].items() if isinstance(v, (int, float, np.number)) and not isinstance(v, bool)]
    return {key: summarize([run[key] for run in runs]) for key in keys}


def mean_over_seeds(runs: Sequence[Mapping[str, Any]], keys: Sequence[str] | None = None) -> dict[str, float]:
    """The mean over seeds of every numeric entry (or of ``keys``) of per-seed result dicts."""
    return {key: summary["mean"] for key, summary in summarize_runs(runs, keys).items()}


def threshold_verdict(value: float, reproduced: float, partly: float, higher_is_better: bool = True) -> str:
    """A verdict from one number and two thresholds.

    With ``higher_is_better``: ``value >= reproduced`` -> ``"reproduced"``, else ``value >= partly`` ->
    ``"partly reproduced"``, else ``"not reproduced"`` (mirrored when lower is better). Typical use: the
    fraction of seeds or settings in which a claim holds, e.g. ``threshold_verdict(share, 0.8, 0.5)``.

    Raises:
        ValueError: thresholds in the wrong order, or a NaN value.
    """
    if math.isnan(value):
        raise ValueError("cannot give a verdict on NaN; check the measurement.")
    sign = 1.0 if higher_is_better else -1.0
    if sign * reproduced < sign * partly:
        raise ValueError(f"thresholds out of order: reproduced={reproduced}, partly={partly}.")
    if sign * value >= sign * reproduced:
        return "reproduced"
    if sign * value >= sign * partly:
        return "partly reproduced"
    return "not reproduced"


def rule_verdict(holds: bool, partly: bool = False) -> str:
    """A verdict from a stated rule: ``"reproduced"`` if ``holds``, else ``"partly reproduced"`` if ``partly``,
    else ``"not reproduced"``.

    Args:
        holds: the rule's condition for "reproduced" is met.
        partly: the rule's weaker condition for "partly reproduced" is met.

    Returns:
        The verdict string.
    """
    return "reproduced" if holds else ("partly reproduced" if partly else "not reproduced")


def band_verdict(
    value: float, reproduced: tuple[float, float], partly: tuple[float, float], partly_closed: bool = True
) -> str:
    """A verdict for a number that should lie in a band.

    ``reproduced[0] <= value <= reproduced[1]`` -> ``"reproduced"``; else ``value`` in ``partly`` (closed
    interval, or open with ``partly_closed=False``) -> ``"partly reproduced"``; else ``"not reproduced"``.

    Args:
        value: the measured number.
        reproduced: closed interval ``(low, high)`` for "reproduced".
        partly: wider interval ``(low, high)`` for "partly reproduced".
        partly_closed: whether ``partly``'s end points count.

    Returns:
        One of ``"reproduced"``, ``"partly reproduced"``, ``"not reproduced"``.

    Raises:
        ValueError: NaN value, or a ``reproduced`` band not inside ``partly``.
    """
    if math.isnan(value):
        raise ValueError("cannot give a verdict on NaN; check the measurement.")
    if not partly[0] <= reproduced[0] <= reproduced[1] <= partly[1]:
        raise ValueError(f"bands out of order: reproduced={reproduced} must lie inside partly={partly}.")
    if reproduced[0] <= value <= reproduced[1]:
        return "reproduced"
    inside = partly[0] <= value <= partly[1] if partly_closed else partly[0] < value < partly[1]
    return "partly reproduced" if inside else "not reproduced"


def seed_verdict(holds: Sequence[bool] | np.ndarray, majority: bool = False) -> str:
    """A verdict from whether a claim holds in each seed.

    ``"reproduced"`` if it holds for every seed; ``"partly reproduced"`` if it holds for some seed (or, with
    ``majority``, for more than half of the seeds); ``"not reproduced"`` otherwise.

    Args:
        holds: ``(s,)`` booleans, one per seed.
        majority: require a strict majority (instead of one seed) for "partly reproduced".

    Returns:
        One of ``"reproduced"``, ``"partly reproduced"``, ``"not reproduced"``.

    Raises:
        ValueError: no seeds.
    """
    holds = np.asarray(holds, dtype=bool)
    if holds.size == 0:
        raise ValueError("seed_verdict needs at least one seed.")
    if holds.all():
        return "reproduced"
    partly = holds.mean() > 0.5 if majority else holds.any()
    return "partly reproduced" if partly else "not reproduced"


@dataclass(frozen=True)
class Claim:
    """One claim of a report, its rule, the numbers and the verdict: the single record every experiment
    module returns and every metrics file holds.

    Attributes:
        id: short unique identifier within the report, e.g. ``"lora-no-new-partitions"``.
        kind: ``"source"`` (a statement the source document makes) or ``"check"`` (our own derivation, a
            fact true by construction, a sanity check).
        claim: the statement, in one sentence (for a source claim, in the source's words where possible).
        source_value: what the source reports (a number, or text such as ``"qualitative"``).
        criterion: the rule in one line, as stated in the notebook before the result.
        measured: name -> number or :func:`summarize` summary; at least one entry.
        verdict: one of :data:`VERDICTS`, computed from ``measured`` by ``criterion``.
        section: the exact text of the report heading whose section shows the evidence.
    """

    id: str
    kind: str
    claim: str
    source_value: Any
    criterion: str
    measured: Mapping[str, Any]
    verdict: str
    section: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", self.id):
            raise ValueError(f"claim id {self.id!r} must be lower-case letters, digits and hyphens.")
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id!r}: kind {self.kind!r} is not one of {KINDS}.")
        if self.verdict not in VERDICTS:
            raise ValueError(f"claim {self.id!r}: verdict {self.verdict!r} is not one of {VERDICTS}.")
        if not self.measured:
            raise ValueError(f"claim {self.id!r} has no measured numbers; every verdict needs its numbers.")
        for field_name in ("claim", "criterion", "section"):
            if not str(getattr(self, field_name)).strip():
                raise ValueError(f"claim {self.id!r} needs a non-empty {field_name}.")

    def as_dict(self) -> dict[str, Any]:
        """The claim as it is written to the metrics file (plain JSON values, keys in :data:`CLAIM_KEYS`)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "claim": self.claim,
            "source_value": to_jsonable(self.source_value),
            "criterion": self.criterion,
            "measured": to_jsonable(dict(self.measured)),
            "verdict": self.verdict,
            "section": self.section.strip(),
        }


def machine() -> dict[str, Any]:
    """A short description of the machine a report ran on."""
    return {
        "platform": platform.platform(terse=True),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def metrics_dir() -> Path:
    """Where metrics files go: ``MLPGEO_METRICS_DIR`` or ``./metrics``."""
    return Path(os.environ.get("MLPGEO_METRICS_DIR") or "metrics")


class Recorder:
    """Collects one report's metrics and claims and writes them as JSON.

    Args:
        name: the report's name (its notebook's stem, e.g. ``"hashing"``), a key of
            :data:`mlpgeo.experiments.catalog.REPORTS` (its source citation comes from there).
        seeds: every seed the report uses.
    """

    def __init__(self, name: str, seeds: Sequence[int]) -> None:
        if name not in REPORTS:
            raise ValueError(f"report name {name!r} is not in the catalog; use one of {sorted(REPORTS)}.")
        self.name = name
        self.source = REPORTS[name].citation
        self.seeds = [int(s) for s in seeds]
        self.scale = scale()
        self.metrics: dict[str, Any] = {}
        self.claims: list[Claim] = []
        self.started = time.perf_counter()

    def metric(self, key: str, value: Any) -> None:
        """Record a named measurement (a number, a list, a dict or a :func:`summarize` summary).

        Returns nothing, so a notebook cell that ends with it shows no echo of the value.
        """
        self.metrics[key] = to_jsonable(value)

    def add(self, claim: Claim) -> None:
        """Record one claim (a :class:`Claim` from the report's experiment module).

        Raises:
            TypeError: not a :class:`Claim`.
            ValueError: a claim id recorded twice.
        """
        if not isinstance(claim, Claim):
            raise TypeError(f"Recorder.add takes a report.Claim, got {type(claim).__name__}.")
        if any(c.id == claim.id for c in self.claims):
            raise ValueError(f"claim id {claim.id!r} is recorded twice.")
        self.claims.append(claim)

    def as_dict(self) -> dict[str, Any]:
        """The metrics file's content, with the runtime measured up to now."""
        return {
            "report": self.name,
            "source": self.source,
            "scale": self.scale,
            "seeds": self.seeds,
            "runtime_s": round(time.perf_counter() - self.started, 2),
            "machine": machine(),
            "metrics": self.metrics,
            "claims": [claim.as_dict() for claim in self.claims],
        }

    def save(self, folder: Path | None = None) -> Path:
        """Write ``<folder>/<name>.json`` atomically (default folder: :func:`metrics_dir`)."""
        path = Path(folder or metrics_dir()) / f"{self.name}.json"
        atomic_write_bytes(path, json.dumps(self.as_dict(), indent=1).encode())
        return path

    def table(self) -> ClaimTable:
        """The verdict table of the claims recorded so far (renders in a notebook)."""
        return ClaimTable([claim.as_dict() for claim in self.claims])


def format_value(value: Any) -> str:
    """Short text for a source value or a measurement (summaries as mean ± std (n = ...))."""
    if isinstance(value, Mapping) and {"mean", "std", "n"} <= set(value):
        return f"{format_value(value['mean'])} ± {format_value(value['std'])} (n={value['n']})"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {format_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3g}" if value != 0 else "0"
    return str(value)


class ClaimTable:
    """A list of claims shown as an HTML table in notebooks (and as Markdown)."""

    def __init__(self, claims: list[dict[str, Any]]) -> None:
        self.claims = claims

    def rows(self) -> list[list[str]]:
        """One row per claim: claim, source value, measured, verdict."""
        return [
            [c["claim"], format_value(c["source_value"]), format_value(c["measured"]), c["verdict"]]
            for c in self.claims
        ]

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in ("Claim", "Source", "Measured", "Verdict"))
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in self.rows()
        )
        return f'<table class="mlpgeo-claims"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def _repr_markdown_(self) -> str:
        lines = ["| Claim | Source | Measured | Verdict |", "|---|---|---|---|"]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in self.rows()]
        return "\n".join(lines)


def load_metrics(folder: Path) -> list[dict[str, Any]]:
    """Read and check every ``*.json`` metrics file in ``folder``, sorted by report name.

    Raises:
        ValueError: a file that is not valid JSON or lacks a required key (names the file).
    """
    reports = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON ({error}); rerun its report.") from error
        missing = {"report", "source", "scale", "seeds", "runtime_s", "metrics", "claims"} - set(data)
        if missing:
            raise ValueError(f"{path} lacks {sorted(missing)}; rerun its report.")
        for claim in data["claims"]:
            if set(CLAIM_KEYS) - set(claim) or claim["verdict"] not in VERDICTS:
                raise ValueError(f"{path}: claim {claim.get('id')!r} is malformed; rerun its report.")
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
    from datetime import datetime

    stamps = [c.get("metadata", {}).get("execution", {}) for c in notebook.get("cells", []) if c.get("cell_type") == "code"]
    stamps = [t for t in stamps if "iopub.status.busy" in t and "shell.execute_reply" in t]
    if not stamps:
        return None
    start = datetime.fromisoformat(stamps[0]["iopub.status.busy"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(stamps[-1]["shell.execute_reply"].replace("Z", "+00:00"))
    return {"seconds": round((end - start).total_seconds(), 1), "finished": stamps[-1]["shell.execute_reply"]}


def run_time(report: Mapping[str, Any]) -> float:
    """A report's run time in seconds: the notebook's execution time if known (``report["execution"]``,
    see :func:`notebook_timing`), else the time its :class:`Recorder` measured (``runtime_s``)."""
    execution = report.get("execution") or {}
    return float(execution.get("seconds", report["runtime_s"]))


def verdict_totals(reports: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many claims of all reports carry each verdict (every verdict listed, zeros included)."""
    totals = {verdict: 0 for verdict in VERDICTS}
    for report in reports:
        for claim in report["claims"]:
            totals[claim["verdict"]] += 1
    return totals


def md_cell(text: str) -> str:
    """Escape text for a Markdown table cell."""
    return html.escape(str(text)).replace("|", "\\|").replace("\n", " ")


def scorecard_markdown(reports: Sequence[Mapping[str, Any]], titles: Mapping[str, str]) -> str:
    """The scorecard page: totals per verdict, a row per report (its source document and verdict counts),
    one row per claim, and the run-time table.

    Args:
        reports: metrics files as loaded by :func:`load_metrics`, each optionally with an ``"execution"``
            entry from :func:`notebook_timing` (the site build adds it from the executed notebooks).
        titles: report name -> page title, in the order the reports are listed (others follow by name).

    Returns:
        Markdown for ``scorecard.md`` (links point to ``reports/<name>.ipynb`` sections).
    """
    order = {name: i for i, name in enumerate(titles)}
    reports = sorted(reports, key=lambda r: (order.get(r["report"], len(order)), r["report"]))
    totals = verdict_totals(reports)
    n_claims = sum(totals.values())
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
        "Each row links to the section of its report that shows the evidence.",
        "",
        "| Verdict | Claims |",
        "|---|---:|",
    ]
    lines += [f'| <span class="verdict" data-verdict="{v}">{v}</span> | {count} |' for v, count in totals.items()]
    lines += [f"| **all** | **{n_claims}** |", ""]
    lines += ["## By report", "", "| Report | Source document | " + " | ".join(VERDICTS) + " | claims |",
              "|---|---|" + "---:|" * (len(VERDICTS) + 1)]
    for report in reports:
        counts = verdict_totals([report])
        lines.append(
            f"| [{md_cell(titles.get(report['report'], report['report']))}](reports/{report['report']}.ipynb) | "
            f"{md_cell(report['source'])} | " + " | ".join(str(counts[v]) for v in VERDICTS) + f" | {len(report['claims'])} |"
        )
    lines.append("")
    lines += ["## Claims", "", "| Report, section | Claim | Verdict | Source value | Measured (mean ± std over seeds) |",
              "|---|---|---|---|---|"]
    for report in reports:
        name = report["report"]
        for claim in report["claims"]:
            link = f"reports/{name}.ipynb#{heading_anchor(claim['section'])}"
            lines.append(
                f"| [{md_cell(titles.get(name, name))}]({link})<br><small>§ {md_cell(claim['section'])}</small> | "
                f"{md_cell(claim['claim'])} | "
                f'<span class="verdict" data-verdict="{claim["verdict"]}">{claim["verdict"]}</span> | '
                f"{md_cell(format_value(claim['source_value']))} | {md_cell(format_value(claim['measured']))} |"
            )
    lines += ["", "## Run time of the last build", "",
              "Wall-clock time of executing every cell of each report once, at the scale shown, on a machine "
              "that may be shared with other jobs (expect spread between builds).", "",
              "| Report | Scale | Seeds | Run time | Finished (UTC) | Machine |",
              "|---|---|---|---:|---|---|"]
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
        lines.append(
            f"| [{md_cell(titles.get(report['report'], report['report']))}](reports/{report['report']}.ipynb) | "
            f"{report['scale']} | {', '.join(map(str, report['seeds']))} | {run_time(report):.0f} s | {finished} | "
            f"{md_cell(described)} |"
        )
    return "\n".join(lines) + "\n"


class Table:
    """Rows of numbers shown as an HTML table in notebooks and on the site (never as printed text).

    Args:
        rows: row label -> column name -> value.
        formats: column name -> format spec (e.g. ``".3f"``, ``"d"``); columns not named here are shown with
            :func:`format_value`. Only columns present in ``formats`` are shown when ``only_formatted``.
        index: the header of the row-label column.
        only_formatted: show only the columns named in ``formats``, in that order.
    """

    def __init__(self, rows: Mapping[str, Mapping[str, Any]], formats: Mapping[str, str] | None = None,
                 index: str = "", only_formatted: bool = True) -> None:
        self.rows = {str(k): dict(v) for k, v in rows.items()}
        self.formats = dict(formats or {})
        if only_formatted and self.formats:
            self.columns = list(self.formats)
        else:
            self.columns = list(dict.fromkeys(c for row in self.rows.values() for c in row))
        self.index = index

    def cell(self, column: str, value: Any) -> str:
        """The text of one cell (empty for a missing value)."""
        if value is None:
            return ""
        spec = self.formats.get(column)
        if spec and isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
            return format(int(round(value)) if spec.endswith("d") else float(value), spec)
        return format_value(value)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in [self.index, *self.columns])
        body = "".join(
            f"<tr><th>{html.escape(label)}</th>"
            + "".join(f"<td>{html.escape(self.cell(c, row.get(c)))}</td>" for c in self.columns) + "</tr>"
            for label, row in self.rows.items()
        )
        return f'<table class="mlpgeo-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def _repr_markdown_(self) -> str:
        lines = ["| " + " | ".join([self.index, *self.columns]) + " |", "|---" * (len(self.columns) + 1) + "|"]
        lines += ["| " + " | ".join([label, *(self.cell(c, row.get(c)) for c in self.columns)]) + " |"
                  for label, row in self.rows.items()]
        return "\n".join(lines)
