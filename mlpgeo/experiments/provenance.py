"""Recorded paper-scale results: a report's metrics plus where, when and from what code they came.

``results/paper/<report>.json`` holds the metrics file of a run at the papers' sizes (the same schema, claims
included) and a ``provenance`` entry::

    {"commit": git commit, "code_hash": sha256 of the package (code, not docstrings) and the notebook, "scale": "full",
     "seeds": [...], "machine": {...}, "date": ISO 8601 UTC, "runtime_s": the recorder's run time,
     "workers": where the jobs ran, e.g. "2 local processes"}

The site marks a record *stale* when :func:`code_hash` of the current tree no longer equals the recorded one.
Command line (``make paper`` runs it after executing the reports)::

    python -m mlpgeo.experiments.provenance record METRICS OUT_DIR   (a metrics file, or a folder of them)
"""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlpgeo.data import atomic_write_bytes
from mlpgeo.experiments.catalog import REPORTS

ROOT = Path(__file__).resolve().parents[2]
"""The repository root (the folder holding ``mlpgeo/`` and ``reports/``)."""


def code_files(report: str, root: Path = ROOT) -> list[Path]:
    """The files whose content determines a report's numbers: every ``mlpgeo/**/*.py`` except the other reports'
    experiment modules and this recorder, and the report's notebook.

    Raises:
        ValueError: a report not in the catalog, or a tree without its notebook.
    """
    if report not in REPORTS:
        raise ValueError(f"report {report!r} is not in the catalog; use one of {sorted(REPORTS)}.")
    notebook = root / "reports" / f"{report}.ipynb"
    if not notebook.exists():
        raise ValueError(f"{notebook} does not exist; is {root} the repository root?")
    others = {root / "mlpgeo" / "experiments" / f"{name}.py" for name in REPORTS if name != report}
    others.add(root / "mlpgeo" / "experiments" / "provenance.py")
    return sorted(path for path in (root / "mlpgeo").rglob("*.py") if path not in others) + [notebook]


def code_hash(report: str, root: Path = ROOT, texts: dict[Path, bytes] | None = None) -> str:
    """SHA-256 over the relative paths and :func:`code_text` of :func:`code_files` (stable across machines and
    clones; a reworded docstring or comment does not make a record stale, a changed line of code does).

    Args:
        texts: :func:`code_text` of files already read, by path, filled in as files are read. Pass one dict to
            the calls for several reports of one unchanged tree, and each shared file is parsed once (the
            reports share every module but their own experiment module and notebook).
    """
    texts = {} if texts is None else texts
    digest = hashlib.sha256()
    for path in code_files(report, root):
        if path not in texts:
            texts[path] = code_text(path)
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(texts[path] + b"\0")
    return digest.hexdigest()


def code_text(path: Path) -> bytes:
    """What of a file the hash reads: for a Python module its syntax tree without docstrings (``ast.unparse``:
    comments, layout and string statements dropped), for any other file its bytes with ``\\n`` line ends."""
    raw = path.read_bytes().replace(b"\r\n", b"\n")
    if path.suffix != ".py":
        return raw
    tree = ast.parse(raw)
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if isinstance(body, list) and body and all(isinstance(stmt, ast.stmt) for stmt in body):
                kept = [stmt for stmt in body if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                                                      and isinstance(stmt.value.value, str))]
                setattr(node, field, kept or [ast.Pass()])
    return ast.unparse(tree).encode()


def git_commit(root: Path = ROOT) -> str | None:
    """The checked-out commit (with ``+dirty`` when the tree has uncommitted changes), ``None`` outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "mlpgeo", "reports"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+dirty" if dirty else "")


def record(report: str, metrics: dict[str, Any], root: Path = ROOT) -> dict[str, Any]:
    """The paper-scale record of one report: its metrics with a ``provenance`` entry.

    Raises:
        ValueError: metrics of another report, or not at the ``full`` scale.
    """
    if metrics.get("report") != report:
        raise ValueError(f"the metrics are of report {metrics.get('report')!r}, not {report!r}.")
    if metrics.get("scale") != "full":
        raise ValueError(f"{report}: a paper-scale record needs metrics at scale 'full', got {metrics.get('scale')!r}.")
    provenance = {
        "commit": git_commit(root),
        "code_hash": code_hash(report, root),
        "scale": metrics["scale"],
        "seeds": metrics["seeds"],
        "machine": metrics.get("machine", {}),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "runtime_s": metrics.get("runtime_s"),
        "workers": (metrics.get("workers") or {}).get("executor", "not recorded"),
    }
    return {**metrics, "provenance": provenance}


def record_all(metrics: Path, out_dir: Path, root: Path = ROOT) -> list[Path]:
    """Write ``out_dir/<report>.json`` for the metrics file ``metrics``, or for every report whose metrics file
    is in the folder ``metrics``."""
    written = []
    paths = [Path(metrics)] if Path(metrics).is_file() else sorted(Path(metrics).glob("*.json"))
    for path in paths:
        content = json.loads(path.read_text())
        name = content.get("report", path.stem)
        out = Path(out_dir) / f"{name}.json"
        atomic_write_bytes(out, (json.dumps(record(name, content, root), indent=1) + "\n").encode())
        written.append(out)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m mlpgeo.experiments.provenance record METRICS OUT_DIR`` (METRICS: a metrics file or a folder of them)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3 or args[0] != "record":
        print("usage: python -m mlpgeo.experiments.provenance record METRICS OUT_DIR "
              "(METRICS: a metrics file or a folder of them)", file=sys.stderr)
        return 2
    for path in record_all(Path(args[1]), Path(args[2])):
        written = json.loads(path.read_text())["provenance"]
        print(f"recorded {path}: run time {written.get('runtime_s')} s, workers {written.get('workers')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
