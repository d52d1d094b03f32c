"""Benchmark: the VQ kernel of 10,000 MNIST-size inputs through a 3 x 96 ReLU MLP.

mlpgeo.vq.vq_distance (one matrix product of +/-1 codes, in row blocks within the memory budget) against the
direct baseline: per-layer ``torch.cdist(p=0)`` (the count of differing coordinates, i.e. the Hamming
distance) on 0/1 codes, summed over layers. Both run in this process with the same thread count; the results must be equal entry for
entry. Inputs: the 10,000 embedded MNIST digits (``mlpgeo.data.load_mnist("all")``); where that data is
not set up, 10,000 uniform random images of the same size (the timing does not depend on the pixels).
Usage: ``python benchmarks/vq.py [n] [threads]`` (defaults 10000 and 1: on these shared 2 cores one
thread is faster and steadier than two).
"""

from __future__ import annotations

import sys
import time

import torch

from mlpgeo import data, models, vq
from mlpgeo.patterns import activation_patterns


def baseline(model: torch.nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """Sum over layers of torch.cdist(p=0) between the layer's 0/1 patterns."""
    patterns = activation_patterns(model, x)
    return sum(torch.cdist(p.float(), p.float(), p=0) for p in patterns)


def inputs(n: int) -> tuple[torch.Tensor, str]:
    """``n`` MNIST digits ``(n, 784)`` (cycled if ``n`` > 10,000), or uniform random images if MNIST is absent."""
    try:
        x, _ = data.load_mnist("all", verbose=False)
    except data.DataError:
        return torch.rand(n, 784, generator=models.seeded(0)), "uniform random images (MNIST not set up)"
    return x[torch.arange(n) % len(x)], f"MNIST digits (embedded {len(x)})"


def main(n: int = 10_000, threads: int = 1) -> float:
    """Time both ways on ``n`` inputs with ``threads`` torch threads, check they agree, return the speedup."""
    torch.set_num_threads(threads)
    model = models.mlp([784, 96, 96, 96, 10], generator=models.seeded(0))
    x, source = inputs(n)
    vq.vq_distance(model, x[:500])  # warm-up
    start = time.perf_counter()
    fast = vq.vq_distance(model, x)
    t_fast = time.perf_counter() - start
    start = time.perf_counter()
    slow = baseline(model, x)
    t_slow = time.perf_counter() - start
    if not torch.equal(fast, slow):
        raise SystemExit(f"results differ: max |diff| = {float((fast - slow).abs().max())}")
    print(f"inputs: {n} x 784 {source}, model 784-96-96-96-10 ReLU, torch threads: {threads}")
    print(f"mlpgeo.vq.vq_distance ({n} x {n}): {t_fast:.3f} s")
    print(f"per-layer torch.cdist(p=0) on 0/1 codes, summed: {t_slow:.3f} s")
    print(f"equal: True (max distance {int(fast.max())}, all integers: {bool((fast == fast.round()).all())})")
    print(f"speedup: {t_slow / t_fast:.1f}x")
    return t_slow / t_fast


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
