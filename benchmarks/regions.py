"""Benchmark: whole-plane linear-region counting, mlpgeo.regions against relucent (peer library).

For each seeded ReLU network (2->8->8->1, 2->16->16->1, 2->32->32->1, 2->96->96->96->1) count every linear
region of the whole input plane (unbounded regions included) with ``mlpgeo.regions.count_regions_plane``
and with relucent's ``Complex(net).bfs()`` in the same run, check that the counts agree and print regions
per second and the speed ratio. The last line is ``speedup: <n>x``: the smallest ratio over the networks
whose counts were compared and agree (mlpgeo's time is the best of at least 3 runs and 1 s; relucent
runs once). The exit status is 1 if any count disagrees or a self-check fails.

relucent needs about 1.5 minutes for the 2->32->32->1 network here and did not finish the
2->96->96->96->1 one (about 43,000 regions) in 40 minutes. So by default a network with more than
``--max-relucent-regions`` (5000) regions is timed against relucent's first ``--relucent-partial`` (500)
regions only: that gives relucent's rate over the start of its search (a ratio against a rate, not a count
to compare). Such a network's count is checked inside mlpgeo instead: the exact box partition of
``enclosing_bounds`` must have as many regions as the whole plane, and a 400 x 400 grid of [-3, 3]^2 must
not find more distinct codes than the exact partition of that box has regions. ``--full`` runs relucent to
the end on every network (hours for the last one).

Usage: ``.venv/bin/python benchmarks/regions.py [--full] [--max-relucent-regions N] [--relucent-partial M]
[--relucent-workers W] [--networks I ...]``
"""

from __future__ import annotations

import argparse
import time

import torch

from mlpgeo.models import mlp, seeded
from mlpgeo.regions import count_regions_plane, enclosing_bounds, grid_code_count, linear_regions_2d

try:  # the peer library is optional: without it only mlpgeo is timed
    import relucent
except ImportError:
    relucent = None

NETWORKS = [[2, 8, 8, 1], [2, 16, 16, 1], [2, 32, 32, 1], [2, 96, 96, 96, 1]]


def time_mlpgeo(model, repeats: int = 3, min_total: float = 1.0) -> tuple[int, float]:
    """Best wall time of ``count_regions_plane`` over at least ``repeats`` runs and ``min_total`` seconds
    (runs of a few milliseconds are noisy on a shared machine)."""
    best, count, total, runs = float("inf"), -1, 0.0, 0
    while runs < repeats or total < min_total:
        start = time.perf_counter()
        count = count_regions_plane(model)
        elapsed = time.perf_counter() - start
        best, total, runs = min(best, elapsed), total + elapsed, runs + 1
    return count, best


def time_relucent(model, workers: int | None, max_polys: float = float("inf")) -> tuple[int, float]:
    relucent.update_settings(VERBOSE=0)
    start = time.perf_counter()
    complex_ = relucent.Complex(model)
    complex_.bfs(nworkers=workers, max_polys=max_polys)
    return len(complex_), time.perf_counter() - start


def self_check(model, count: int, near: tuple[float, float, float, float] = (-3.0, 3.0, -3.0, 3.0)) -> str:
    """Checks of a whole-plane count that do not need relucent (for networks relucent cannot finish): the
    exact partition of the box ``enclosing_bounds(model)`` has ``count`` regions, and a 400 x 400 grid of the
    box ``near`` finds no more distinct codes than the exact partition of ``near`` has regions."""
    box = len(linear_regions_2d(model, enclosing_bounds(model)))
    exact_near = len(linear_regions_2d(model, near))
    grid = grid_code_count(model, near, 400)
    ok = box == count and grid <= exact_near
    return (f"self-check {'ok' if ok else 'FAILED'}: enclosing box {box} regions; in {near}: "
            f"exact {exact_near}, 400x400 grid {grid} codes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="run relucent to the end on every network")
    parser.add_argument("--max-relucent-regions", type=int, default=5000,
                        help="networks with more regions get a partial relucent run (default 5000)")
    parser.add_argument("--relucent-partial", type=int, default=500,
                        help="regions relucent enumerates on those networks (its rate only; default 500)")
    parser.add_argument("--relucent-workers", type=int, default=None, help="relucent's nworkers (default: its own)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--networks", type=int, nargs="*", default=None,
                        help="indices into NETWORKS to run (default: all four)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    have_relucent = relucent is not None
    if not have_relucent:
        print("relucent is not installed (pip install relucent): timing mlpgeo only")
    ratios, failures = [], 0
    chosen = NETWORKS if args.networks is None else [NETWORKS[i] for i in args.networks]
    for widths in chosen:
        model = mlp(widths, generator=seeded(args.seed))
        count, seconds = time_mlpgeo(model)
        name = "->".join(map(str, widths))
        line = f"{name:>18}  mlpgeo {count:6d} regions {seconds:8.3f} s {count / seconds:10.0f} regions/s"
        partial = not args.full and count > args.max_relucent_regions
        if have_relucent and not partial:
            peer_count, peer_seconds = time_relucent(model, args.relucent_workers)
            ratio = (count / seconds) / (peer_count / peer_seconds)
            agree = "counts agree" if peer_count == count else f"COUNTS DIFFER ({peer_count - count:+d})"
            line += (f" | relucent {peer_count:6d} regions {peer_seconds:8.2f} s {peer_count / peer_seconds:8.1f}"
                     f" regions/s | ratio {ratio:8.0f}x | {agree}")
            if peer_count == count:
                ratios.append(ratio)
            else:
                failures += 1
        elif have_relucent:
            peer_count, peer_seconds = time_relucent(model, args.relucent_workers, args.relucent_partial)
            ratio = (count / seconds) / (peer_count / peer_seconds)
            line += (f" | relucent first {peer_count} regions {peer_seconds:8.2f} s {peer_count / peer_seconds:8.1f}"
                     f" regions/s | ratio {ratio:8.0f}x (vs its starting rate; count not compared)"
                     f" | {self_check(model, count)}")
            failures += "FAILED" in line
        else:
            line += f" | {self_check(model, count)}"
            failures += "FAILED" in line
        print(line, flush=True)
    if ratios:
        print(f"speedup: {min(ratios):.0f}x")
    else:
        print("speedup: nanx")
    if failures:
        raise SystemExit(f"{failures} network(s) with disagreeing counts or a failed self-check")  # exit code 1


if __name__ == "__main__":
    main()
