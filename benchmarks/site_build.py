"""Benchmark: the site build (every report executed, then mkdocs) with 1 worker and with N workers.

Runs ``make site`` twice into temporary folders, first with ``MLPGEO_WORKERS=1`` (the baseline, measured in the
same run), then with ``MLPGEO_WORKERS=N`` (N job slots, N + 1 notebooks at a time; the Makefile's SITE_POOLED
reports on N job processes each, the others in-process). ``--pairs K`` runs K such pairs in the order 1 N, N 1,
1 N, ... and compares the median times: this machine's speed drifts by 10% within a run, and the order keeps the
drift from favouring either side. Each build converts its notebooks afresh (no cache shared between builds).

Prints each report's run time (its recorder's ``runtime_s``) in the first build of each kind, every build's wall
time, CPU time (user + system seconds of every process of the build), ``mkdocs build`` time (the one step on one
core) and the machine's load before it; checks that every metrics file is the same in all builds apart from run
time, machine and workers; and ends with ``speedup: <x>x`` (target: >= 1.8x with 2 workers on 2 cores) beside
the machine's parallel ceiling measured in the same run (``ceiling.py``: how much faster N busy processes are than
one here; no build can beat it).

    .venv/bin/python benchmarks/site_build.py            # 2 workers, scale ci
    .venv/bin/python benchmarks/site_build.py --pairs 2  # 1 2 2 1: four builds
    .venv/bin/python benchmarks/site_build.py --workers 4 --scale full

Not a test: the machine may be shared, so the ratio moves with the load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ceiling import ceiling
from jobs import children_cpu_s, differences

ROOT = Path(__file__).resolve().parents[1]
RUN_FIELDS = ("runtime_s", "machine", "workers")
"""Metrics-file fields allowed to differ between two builds of the same code."""


def load() -> str:
    """The 1-, 5- and 15-minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def build(workers: int, folder: Path, scale: str) -> tuple[float, float]:
    """``make site`` into ``folder`` with ``workers`` workers; its wall time and CPU time in seconds. Each build
    converts its notebooks afresh (its own, empty mkdocs-jupyter cache)."""
    env = {**os.environ, "MLPGEO_WORKERS": str(workers), "MLPGEO_SCALE": scale,
           "MLPGEO_NOTEBOOK_CACHE": str(folder / "notebook-cache")}
    args = ["make", "-C", str(ROOT), "site", f"STAGE={folder}/docs", f"SITE_DIR={folder}/site",
            f"EXECUTED={folder}/executed"]
    start, cpu = time.perf_counter(), children_cpu_s()
    with open(folder / "build.log", "w") as log:
        subprocess.run(args, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - start, children_cpu_s() - cpu


def mkdocs_seconds(folder: Path) -> float:
    """How long the build's last step, ``mkdocs build`` (one process), took: from its log."""
    found = re.findall(r"Documentation built in ([\d.]+) seconds", (folder / "build.log").read_text())
    return float(found[-1]) if found else float("nan")


def metrics(folder: Path) -> dict[str, dict]:
    """Report name -> metrics file of a build."""
    return {p.stem: json.loads(p.read_text()) for p in sorted((folder / "executed" / "metrics").glob("*.json"))}


def build_order(pairs: int, workers: int) -> list[int]:
    """Worker counts of the builds, in the order run: 1, N, then N, 1, then 1, N, ... (``pairs`` of each), so that
    a drift of the machine's speed during the run favours neither side."""
    return [w for i in range(pairs) for w in ((1, workers) if i % 2 == 0 else (workers, 1))]


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="workers of the second build (default 2)")
    parser.add_argument("--scale", choices=("ci", "full"), default="ci")
    parser.add_argument("--pairs", type=int, default=1,
                        help="pairs of builds (1 worker, N workers), run in the order 1 N, N 1, 1 N, ... (default 1)")
    args = parser.parse_args()
    if args.workers < 2:
        parser.error("--workers must be >= 2 (the baseline build uses 1)")
    if args.pairs < 1:
        parser.error("--pairs must be >= 1")
    limit = ceiling(args.workers)
    print(f"parallel ceiling of this machine with {args.workers} processes: {limit:.2f}x (load {load()})", flush=True)
    with tempfile.TemporaryDirectory(prefix="mlpgeo-bench-") as tmp:
        walls: dict[int, list[float]] = {1: [], args.workers: []}
        first: dict[int, dict[str, dict]] = {}
        same = True
        for index, workers in enumerate(build_order(args.pairs, args.workers)):
            folder = Path(tmp) / f"build{index}-w{workers}"
            folder.mkdir()
            before = load()
            wall, cpu = build(workers, folder, args.scale)
            walls[workers].append(wall)
            print(f"{workers} worker(s): make site in {wall:.0f} s, CPU time {cpu:.0f} s, of which mkdocs build "
                  f"{mkdocs_seconds(folder):.0f} s (load before: {before})", flush=True)
            built = metrics(folder)
            if not first:
                first[workers] = built
                continue
            reference = next(iter(first.values()))
            first.setdefault(workers, built)
            for name in sorted(set(reference) | set(built)):
                a = {k: v for k, v in reference.get(name, {}).items() if k not in RUN_FIELDS}
                b = {k: v for k, v in built.get(name, {}).items() if k not in RUN_FIELDS}
                found = differences(a, b)
                if found:
                    same = False
                    print(f"{name}: metrics differ from the first build at {found[:10]}{' ...' if len(found) > 10 else ''}")
        one, many = first[1], first[args.workers]
        print(f"\n{'report (first builds)':<26}{'1 worker (s)':>14}{f'{args.workers} workers (s)':>16}")
        for name in sorted(set(one) | set(many)):
            print(f"{name:<26}{one.get(name, {}).get('runtime_s', float('nan')):>14.0f}"
                  f"{many.get(name, {}).get('runtime_s', float('nan')):>16.0f}")
        print(f"\nmetrics identical apart from {', '.join(RUN_FIELDS)} in all {2 * args.pairs} builds: {'OK' if same else 'NO'}")
        print(f"load now: {load()} on {os.cpu_count()} CPUs; scale {args.scale}")
        ratios = [a / b for a, b in zip(walls[1], walls[args.workers])]
        if args.pairs > 1:
            print("speedup of each pair: " + ", ".join(f"{r:.2f}x" for r in ratios))
        speedup = median(walls[1]) / median(walls[args.workers])
        print(f"speedup: {speedup:.2f}x{' (median walls)' if args.pairs > 1 else ''} "
              f"(the machine's ceiling: {limit:.2f}x; {speedup / limit:.0%} of it)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
