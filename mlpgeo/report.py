"""Report metrics: what each report measured and each claim's verdict, as one :class:`Claim` record.

A report records its numbers with a :class:`Recorder` and saves ``metrics/<report>.json``::

    {"report": name, "source": citation, "scale": "ci", "seeds": [...], "runtime_s": 95.2,
     "machine": {...}, "workers": {"executor": "in-process", "job_threads": 1}, "metrics": {...},
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
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dataclasses import dataclass

import numpy as np
import torch

from mlpgeo.config import scale
from mlpgeo.data import atomic_write_bytes
from mlpgeo.experiments.catalog import REPORTS
from mlpgeo.experiments.jobs import executor_kind, job_threads

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
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]*", self.id):
            raise ValueError(f"claim id {self.id!r} must be letters, digits and hyphens (no spaces).")
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
            "workers": {"executor": executor_kind(), "job_threads": job_threads()},
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
    """The verdict table of a report: one row per claim, readable in a notebook and on the site.

    Columns: the claim (with its kind and the source's value in small print), the verdict as a badge,
    the deciding number (the first entry of ``measured``, with its spread and n; the other entries
    folded), the rule (``criterion``) and a link to the section that shows the evidence. Cells carry
    their column's name (``data-label``): on narrow screens the site shows each row as a card.

    Args:
        claims: claims as written to the metrics file (:meth:`Claim.as_dict`); files written before
            ``kind`` and ``criterion`` existed are shown without them.
    """

    HEADERS = ("Claim", "Verdict", "Measured", "Rule", "Evidence")
    KIND_LABELS = {"source": "claim of the source", "check": "our check"}
    LONG = 400
    """Measurements longer than this many characters are cut (the metrics file holds them whole)."""

    def __init__(self, claims: list[dict[str, Any]]) -> None:
        self.claims = claims

    @classmethod
    def shorten(cls, text: str) -> str:
        """``text`` cut to :attr:`LONG` characters, saying so."""
        return text if len(text) <= cls.LONG else text[: cls.LONG].rstrip() + " … (all numbers in the metrics file)"

    @staticmethod
    def verdict_cell(verdict: str) -> str:
        """The verdict as a badge."""
        return f'<span class="verdict" data-verdict="{html.escape(verdict)}">{html.escape(verdict)}</span>'

    @classmethod
    def claim_cell(cls, claim: Mapping[str, Any]) -> str:
        """The claim's sentence, then its kind and the source's value in small print."""
        meta = []
        if claim.get("kind") in cls.KIND_LABELS:
            meta.append(f'<span class="mlpgeo-kind" data-kind="{claim["kind"]}">{cls.KIND_LABELS[claim["kind"]]}</span>')
        meta.append("source: " + html.escape(cls.shorten(format_value(claim["source_value"]))))
        return f'{html.escape(str(claim["claim"]))}<div class="mlpgeo-claim-meta">{" · ".join(meta)}</div>'

    @classmethod
    def measured_cell(cls, measured: Mapping[str, Any]) -> str:
        """The deciding number (first entry) with its spread and n; the other entries folded."""
        items = [(str(k), cls.shorten(format_value(v))) for k, v in measured.items()]
        if not items:
            return ""
        def label(text: str) -> str:  # names like share_cells_wider may break after an underscore
            return html.escape(text).replace("_", "_<wbr>")

        (name, value), rest = items[0], items[1:]
        out = (f'<span class="mlpgeo-decider"><span class="mlpgeo-measure-name">{label(name)}</span> '
               f"<strong>{html.escape(value)}</strong></span>")
        if rest:
            listed = "".join(f'<li><span class="mlpgeo-measure-name">{label(k)}</span> {html.escape(v)}</li>'
                             for k, v in rest)
            out += f'<details class="mlpgeo-more"><summary>{len(rest)} more</summary><ul>{listed}</ul></details>'
        return out

    @staticmethod
    def evidence_cell(section: str, href: str | None = None) -> str:
        """A link to the report section that shows the evidence (``href`` defaults to Jupyter's heading
        anchor; the site points ``data-section`` links at its own anchors)."""
        section = str(section).strip()
        href = href if href is not None else "#" + section.replace(" ", "-")
        return (f'<a class="mlpgeo-evidence" href="{html.escape(href)}" data-section="{html.escape(section)}">'
                f"§ {html.escape(section)}</a>")

    def cells(self, claim: Mapping[str, Any]) -> list[str]:
        """The HTML of one row's cells, in the order of :attr:`HEADERS`."""
        return [
            self.claim_cell(claim),
            self.verdict_cell(claim["verdict"]),
            self.measured_cell(claim["measured"]),
            html.escape(str(claim.get("criterion") or "")) or "<small>(not recorded)</small>",
            self.evidence_cell(claim["section"]),
        ]

    def rows(self) -> list[list[str]]:
        """One row of plain text per claim: claim, verdict, deciding number, rule, section."""
        rows = []
        for c in self.claims:
            name, value = next(iter(c["measured"].items()), ("", ""))
            rows.append([str(c["claim"]), c["verdict"], f"{name}: {self.shorten(format_value(value))}" if name else "",
                         str(c.get("criterion") or ""), str(c["section"]).strip()])
        return rows

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in self.HEADERS)
        body = "".join(
            "<tr>" + "".join(f'<td data-label="{h}">{cell}</td>' for h, cell in zip(self.HEADERS, self.cells(c))) + "</tr>"
            for c in self.claims
        )
        return f'<table class="mlpgeo-stack mlpgeo-claims"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def _repr_markdown_(self) -> str:
        lines = ["| " + " | ".join(self.HEADERS) + " |", "|---" * len(self.HEADERS) + "|"]
        lines += ["| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in row) + " |"
                  for row in self.rows()]
        return "\n".join(lines)


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
