"""Benchmark: whole-plane linear-region counting, mlpgeo.regions against relucent (peer library).

For each seeded ReLU network (2->8->8->1, 2->16->16->1, 2->32->32->1, 2->96->96->96->1) count every linear
region of the whole input plane (unbounded regions included) with ``mlpgeo.regions.count_regions_plane``
and with relucent's ``Complex(net).bfs()`` in the same run, check that the counts agree and print regions
per second and the speed ratio. The last line is ``speedup: <n>x``: the smallest ratio over the networks
relucent finished (mlpgeo's time is the best of 3 runs; relucent runs once, it takes seconds to minutes).

Usage: ``.venv/bin/python benchmarks/regions.py [--max-relucent-regions N] [--relucent-workers W]
[--relucent-partial M] [--networks I ...]``
(networks whose mlpgeo count exceeds N are timed with mlpgeo only, or, with ``--relucent-partial M``, against
relucent's first M regions; default: all run in full, and the 96x3 network takes relucent 15+ minutes).
"""

from __future__ import annotations

import argparse
import time

import torch

from mlpgeo.models import mlp
from mlpgeo.regions import count_regions_plane

NETWORKS = [[2, 8, 8, 1], [2, 16, 16, 1], [2, 32, 32, 1], [2, 96, 96, 96, 1]]


def time_mlpgeo(model, repeats: int = 3) -> tuple[int, float]:
    best, count = float("inf"), -1
    for _ in range(repeats):
        start = time.perf_counter()
        count = count_regions_plane(model)
        best = min(best, time.perf_counter() - start)
    return count, best


def time_relucent(model, workers: int | None, max_polys: float = float("inf")) -> tuple[int, float]:
    import relucent

    relucent.update_settings(VERBOSE=0)
    start = time.perf_counter()
    complex_ = relucent.Complex(model)
    complex_.bfs(nworkers=workers, max_polys=max_polys)
    return len(complex_), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-relucent-regions", type=int, default=None)
    parser.add_argument("--relucent-workers", type=int, default=None, help="relucent's nworkers (default: its own)")
    parser.add_argument("--relucent-partial", type=int, default=None,
                        help="for networks above --max-relucent-regions, time relucent's first N regions instead "
                             "(its regions/s only; no count check)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--networks", type=int, nargs="*", default=None,
                        help="indices into NETWORKS to run (default: all four)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    try:
        import relucent  # noqa: F401

        have_relucent = True
    except ImportError:
        have_relucent = False
        print("relucent is not installed (pip install relucent): timing mlpgeo only")
    ratios = []
    chosen = NETWORKS if args.networks is None else [NETWORKS[i] for i in args.networks]
    for widths in chosen:
        model = mlp(widths, seed=args.seed)
        count, seconds = time_mlpgeo(model)
        name = "->".join(map(str, widths))
        line = f"{name:>18}  mlpgeo {count:6d} regions {seconds:8.3f} s {count / seconds:10.0f} regions/s"
        skip = args.max_relucent_regions is not None and count > args.max_relucent_regions
        if have_relucent and not skip:
            peer_count, peer_seconds = time_relucent(model, args.relucent_workers)
            ratio = (count / seconds) / (peer_count / peer_seconds)
            agree = "counts agree" if peer_count == count else f"COUNTS DIFFER ({peer_count - count:+d})"
            line += (f" | relucent {peer_count:6d} regions {peer_seconds:8.2f} s {peer_count / peer_seconds:8.1f}"
                     f" regions/s | ratio {ratio:8.0f}x | {agree}")
            if peer_count == count:
                ratios.append(ratio)
        elif have_relucent and args.relucent_partial:
            peer_count, peer_seconds = time_relucent(model, args.relucent_workers, args.relucent_partial)
            ratio = (count / seconds) / (peer_count / peer_seconds)
            line += (f" | relucent first {peer_count} regions {peer_seconds:8.2f} s {peer_count / peer_seconds:8.1f}"
                     f" regions/s | ratio {ratio:8.0f}x | partial run: counts not compared")
        elif have_relucent:
            line += " | relucent skipped (--max-relucent-regions)"
        print(line, flush=True)
    if ratios:
        print(f"speedup: {min(ratios):.0f}x")
    else:
        print("speedup: nanx")


if __name__ == "__main__":
    main()
