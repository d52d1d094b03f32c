"""The machine's parallel ceiling: how much faster N busy processes finish N equal pieces of work than one.

A speedup target for N workers (e.g. the site build's 1.8x with 2) can only be met where N processes really run
N times as fast as one. On a shared or virtual machine two "cores" may be two hardware threads of one core, and
two busy processes then get well under 2x. :func:`ceiling` measures it with a fixed CPU-bound torch workload (a
tiny MLP trained on one thread, the kind of work the reports do): the time of one copy alone, then of N copies at
once in N processes; ``ceiling = N * t_alone / t_together``. A build's speedup divided by this ceiling is the share
of the machine's parallelism it used.

    .venv/bin/python benchmarks/ceiling.py --workers 2
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

WORKLOAD = """
import torch
torch.set_num_threads(1)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x, y = torch.randn(256, 64), torch.randint(0, 10, (256,))
for _ in range({steps}):
    loss = torch.nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
"""


def run_copies(copies: int, steps: int) -> float:
    """Wall time in seconds of ``copies`` processes each running the workload at once."""
    code = WORKLOAD.format(steps=steps)
    start = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(copies)]
    for process in processes:
        if process.wait() != 0:
            raise RuntimeError("the ceiling workload failed")
    return time.perf_counter() - start


def ceiling(workers: int, steps: int = 6000, rounds: int = 3) -> float:
    """``workers * t(1 copy) / t(workers copies at once)``, each time the median of ``rounds`` runs taken in turn
    (a shared machine's speed drifts; one pair of runs has given more than ``workers``). ``steps``: the
    workload's length (the default runs about 5 s per copy here)."""
    alone, together = [], []
    for _ in range(rounds):
        alone.append(run_copies(1, steps))
        together.append(run_copies(workers, steps))
    return workers * statistics.median(alone) / statistics.median(together)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"parallel ceiling with {args.workers} processes: {ceiling(args.workers):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
