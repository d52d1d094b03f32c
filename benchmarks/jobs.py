"""Benchmark: one report executed with 1 and then 2 local worker processes (mlpgeo.experiments.jobs).

For one report NAME (default function_approximation; ``--all``: every report in turn) it copies
reports/NAME.ipynb into a temporary folder, executes it there twice with nbmake (MLPGEO_WORKERS=1, then
MLPGEO_WORKERS=2; MLPGEO_PROGRESS=0; metrics written into the temporary folder, never into metrics/), prints both
run times as the recorder measured them (runtime_s), the ratio, the CPU time each run used (user + system seconds
of the notebook's kernel and its job processes: what running jobs in processes costs on top of the work itself,
which decides whether a report should pool its jobs when other reports keep the cores busy, as in the Makefile's
SITE_POOLED), the machine's load (`uptime`) before and after, and checks that the two metrics files are identical
apart from runtime_s, machine and workers (prints OK, or every differing path).

    python benchmarks/jobs.py [NAME | --all] [--scale ci|full]

It is a benchmark, not a test: it runs a whole report twice (minutes at ci). Exit status 1 when the two
metrics files differ or a run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
IGNORED = ("runtime_s", "machine", "workers")
"""Metrics keys that may differ between the two runs."""


def uptime() -> str:
    """The machine's load, as `uptime` prints it."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def children_cpu_s() -> float:
    """User + system CPU seconds of every finished child process so far (and of their finished children)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def execute(notebook: Path, folder: Path, workers: int, scale: str) -> tuple[dict[str, Any], float]:
    """Execute ``notebook`` (a copy in ``folder``) with ``workers`` local processes; its metrics JSON and the CPU
    seconds the run used."""
    metrics = folder / f"w{workers}"
    metrics.mkdir()
    env = {**os.environ, "MLPGEO_PROGRESS": "0", "MLPGEO_METRICS_DIR": str(metrics),
           "MLPGEO_WORKERS": str(workers), "MLPGEO_SCALE": scale}
    env.pop("MLPGEO_EXECUTOR", None)
    command = [sys.executable, "-m", "pytest", "--nbmake", "--nbmake-timeout=3600", "-p", "no:cacheprovider", "-q",
               notebook.name]
    cpu_before = children_cpu_s()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False)
    cpu_s = children_cpu_s() - cpu_before
    if done.returncode != 0:
        print(done.stdout[-4000:], done.stderr[-2000:], sep="\n")
        raise SystemExit(f"{notebook.name} failed with MLPGEO_WORKERS={workers} (exit {done.returncode}).")
    files = sorted(metrics.glob("*.json"))
    if len(files) != 1:
        raise SystemExit(f"expected one metrics file in {metrics}, found {[f.name for f in files]}.")
    return json.loads(files[0].read_text()), cpu_s


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """The paths where two JSON values differ (``/key``, ``[index]``), with both values."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}/{k}: only in the {'second' if k in b else 'first'} run" for k in sorted(set(a) ^ set(b))]
        for key in [k for k in a if k in b]:
            out += differences(a[key], b[key], f"{path}/{key}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        out = [f"{path}: length {len(a)} vs {len(b)}"] if len(a) != len(b) else []
        for i, (u, v) in enumerate(zip(a, b)):
            out += differences(u, v, f"{path}[{i}]")
        return out
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def compare(name: str, scale: str) -> bool:
    """Run report ``name`` with 1 and 2 workers, print times, CPU times and speedup; whether the metrics agree."""
    source = ROOT / "reports" / f"{name}.ipynb"
    with tempfile.TemporaryDirectory(prefix=f"mlpgeo-jobs-{name}-") as tmp:
        folder = Path(tmp)
        notebook = folder / source.name
        shutil.copy(source, notebook)
        runs, cpu, loads = {}, {}, {}
        for workers in (1, 2):
            loads[workers] = uptime()
            runs[workers], cpu[workers] = execute(notebook, folder, workers, scale)
            print(f"{name} ({scale}), MLPGEO_WORKERS={workers}: runtime_s {runs[workers]['runtime_s']:.1f}, "
                  f"CPU {cpu[workers]:.1f} s  [before: {loads[workers]}]", flush=True)
    print(f"load after: {uptime()}")
    one, two = runs[1]["runtime_s"], runs[2]["runtime_s"]
    print(f"{name}: speedup (1 worker / 2 workers): {one / two:.2f}x; CPU time with 2 workers: "
          f"{cpu[2] / cpu[1] - 1:+.0%} ({cpu[2] - cpu[1]:+.1f} s)")
    first, second = ({k: v for k, v in run.items() if k not in IGNORED} for run in (runs[1], runs[2]))
    if first == second:
        print(f"{name}: metrics identical apart from runtime_s, machine and workers: OK\n", flush=True)
        return True
    print(f"{name}: metrics DIFFER:")
    for line in differences(first, second):
        print(f"  {line}")
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("name", nargs="?", default="function_approximation", help="report name (reports/NAME.ipynb)")
    parser.add_argument("--all", action="store_true", help="every report in reports/, one after another")
    parser.add_argument("--scale", choices=("ci", "full"), default="ci", help="MLPGEO_SCALE of both runs")
    args = parser.parse_args()
    names = sorted(p.stem for p in (ROOT / "reports").glob("*.ipynb"))
    if not args.all and args.name not in names:
        raise SystemExit(f"no report reports/{args.name}.ipynb; choose one of {names}.")
    results = [compare(name, args.scale) for name in (names if args.all else [args.name])]
    if not all(results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
