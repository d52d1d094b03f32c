"""Benchmark: batched gradient x activation (one backward pass) against a per-input autograd loop.

The seed notebook computes the effective values df/da_i one input at a time (one backward pass per query,
as in its lookup-trace animation). mlpgeo.memory.contributions does every query in one backward pass.
Model: the notebook's 1 -> 64 -> 256 -> 64 -> 1 GELU MLP; queries: its 1000 points of [-10, 10].
"""

import argparse
import time

import torch

from mlpgeo import memory
from mlpgeo.models import mlp, seeded


def best_of(function, repeats: int) -> tuple[float, object]:
    """The fastest of ``repeats`` timed calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1000, help="queries on [-10, 10] (default: the notebook's 1000)")
    points = parser.parse_args().points
    torch.set_num_threads(1)
    model = mlp([1, 64, 256, 64, 1], activation="gelu", generator=seeded(0))
    x = torch.linspace(-10.0, 10.0, points, dtype=torch.float64).reshape(-1, 1).float()
    for dtype in (torch.float32, torch.float64):
        fast_s, fast = best_of(lambda: memory.contributions(model, x, dtype=dtype), 5)
        slow_s, slow = best_of(lambda: memory.contributions_loop(model, x, dtype=dtype), 2)
        tol = 1e-5 if dtype == torch.float32 else 1e-12
        for name in ("activations", "values", "contributions", "total", "output"):
            difference = (getattr(fast, name) - getattr(slow, name)).abs().max().item()
            assert difference <= tol * max(1.0, getattr(slow, name).abs().max().item()), (name, difference)
        print(f"{str(dtype):14s} batched {fast_s * 1e3:8.2f} ms   per-input loop {slow_s * 1e3:9.1f} ms   "
              f"speedup {slow_s / fast_s:6.1f}x   (max |difference| within {tol:g})")
    print(f"speedup: {slow_s / fast_s:.1f}x")


if __name__ == "__main__":
    main()
