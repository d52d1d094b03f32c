"""Benchmark: KAG metrics the authors' way against mlpgeo's vectorised path, same network, inputs, minors.

The authors' toolkit (kag-core ``ka_metrics.py``, as described in ../shared/reference/kag.md) computes one
Jacobian per input with ``torch.func.jacrev`` and every sampled minor with ``torch.det`` in a Python loop;
the rotation ratio multiplies each Jacobian by each random orthogonal matrix in full. mlpgeo computes the
closed-form ReLU Jacobians of the whole batch, gathers every sampled 2 x 2 block at once and takes
``ad - bc``, and forms only the sampled entries of the rotated Jacobians.

Both paths here use the SAME sampled row / column indices and the same rotations (the baseline replays
the draws of :func:`mlpgeo.kag.jacobian_metrics` from a generator seeded alike), so minors must agree to
float precision and the metrics must be equal. Prints details and, last, ``speedup: <n>x``.

Run: ``.venv/bin/python benchmarks/kag.py`` (about a minute on one core).
"""

from __future__ import annotations

import math
import time

import torch

from mlpgeo import kag
from mlpgeo.data import load_mnist
from mlpgeo.models import mlp, seeded, train

N_INPUTS, N_MINORS, K, N_ROTATIONS, WIDTH, RADIUS = 64, 500, 2, 5, 256, 14


def replay_draws(jac_shape: tuple[int, int, int], columns: torch.Tensor, seed: int):
    """The index and rotation draws of ``jacobian_metrics(..., rows="all", rotate="rows")``, in order."""
    n, h, _ = jac_shape
    g = seeded(seed)
    shape = (n, N_MINORS, K)
    rows = kag.distinct_indices((1, N_MINORS), K, h, g).expand(shape)
    cols = columns[kag.distinct_indices((1, N_MINORS), K, columns.numel(), g).expand(shape)]
    rotations = []
    for _ in range(N_ROTATIONS):
        q = kag.haar_orthogonal(h, g)
        r, pos = kag.sample_minor_indices(1, N_MINORS, K, h, columns.numel(), g)
        rotations.append((q, r.expand(shape), columns[pos.expand(shape)]))
    return rows, cols, rotations


def authors_style(model: torch.nn.Sequential, x: torch.Tensor, layer: int, rows, cols, rotations):
    """One jacrev per input, one torch.det per minor in a Python loop, full Q @ J per rotation."""
    sub = torch.nn.Sequential(*list(model)[: 2 * layer])

    def f(v):
        return sub(v)

    pr, kl, rr, all_minors = [], [], [], []
    for i in range(len(x)):
        jac = torch.func.jacrev(f)(x[i]).detach()  # (h, 784)
        minors = torch.stack([torch.det(jac[rows[i, j]][:, cols[i, j]]) for j in range(N_MINORS)])
        a = minors.abs()
        pr.append(a.norm() / a.sum())
        p = a / a.sum()
        kl.append(torch.where(p > 0, p * torch.log(p * N_MINORS), torch.zeros_like(p)).sum())
        maxima = []
        for q, r, c in rotations:
            qj = q @ jac
            maxima.append(max(float(torch.det(qj[r[i, j]][:, c[i, j]]).abs().detach()) for j in range(N_MINORS)))
        rr.append(a.max() / (sum(maxima) / len(maxima)))
        all_minors.append(minors)
    return torch.stack(all_minors), torch.stack(pr), torch.stack(kl), torch.stack(rr)


def timed(f):
    """``(f(), seconds)``."""
    start = time.perf_counter()
    out = f()
    return out, time.perf_counter() - start


def main() -> None:
    torch.set_num_threads(1)
    x_train, y_train = load_mnist("train", verbose=False)
    x_test, _ = load_mnist("test", verbose=False)
    model = mlp([784, WIDTH, WIDTH, 10], "relu", generator=seeded(0))
    train(model, x_train, y_train, epochs=1, batch_size=128, generator=seeded(0), progress=False)
    x = x_test[:N_INPUTS]
    columns = kag.ball_pixels(RADIUS)
    print(f"network 784-{WIDTH}-{WIDTH}-10 ReLU (1 epoch), k={K}, {N_INPUTS} test digits, {N_MINORS} minors per "
          f"input, {N_ROTATIONS} rotations, ball r={RADIUS} ({columns.numel()} pixels)")
    times = {}
    for layer in (1, 2):
        times[layer] = compare(model, x, layer, columns, seed=7 + layer)
    slow2, fast2 = times[2]
    print(f"layer 2 (dense Jacobians, gathered rotated entries): speedup {slow2 / fast2:.0f}x")
    slow1, fast1 = times[1]
    print("headline: layer 1 (closed-form factors, rotated minors as one matrix product)")
    ratio = slow1 / fast1
    print(f"speedup: {ratio:.0f}x" if math.isfinite(ratio) else "speedup: nanx")


def compare(model, x, layer: int, columns: torch.Tensor, seed: int) -> tuple[float, float]:
    """Run both paths on one layer, check they agree, print and return their times (s)."""

    def mlpgeo_path():
        return kag.ka_metrics(model, x, layer, K, RADIUS, N_MINORS, seeded(seed),
                              n_rotations=N_ROTATIONS)

    mlpgeo_path()  # warm-up
    t_fast = min(timed(mlpgeo_path)[1] for _ in range(3))
    fast = mlpgeo_path()
    h = model[2 * (layer - 1)].out_features
    rows, cols, rotations = replay_draws((len(x), h, 784), columns, seed)  # the draws ka_metrics made
    (minors, pr, kl, rr), t_slow = timed(lambda: authors_style(model, x, layer, rows, cols, rotations))

    d_minor = float((minors - fast.minors).abs().max())
    scale = float(minors.abs().max())
    print(f"layer {layer}: max |minor difference| = {d_minor:.3g} (largest |minor| {scale:.3g})")
    for name, slow_values in (("pr", pr), ("kl", kl), ("rr", rr)):
        fast_values = getattr(fast, f"{name}_per_input")
        diff = float((slow_values - fast_values).abs().max())
        print(f"  {name}: authors {float(slow_values.mean()):.6f}  mlpgeo {getattr(fast, name):.6f}  max per-input diff {diff:.2g}")
        if not torch.allclose(slow_values, fast_values, rtol=1e-4, atol=1e-6):
            raise SystemExit(f"layer {layer}: {name} disagrees between the two paths")
    if d_minor > 1e-5 * max(scale, 1e-12):
        raise SystemExit(f"layer {layer}: minors disagree between the two paths")
    print(f"  authors' style: {t_slow:.2f} s   mlpgeo (ka_metrics, best of 3): {t_fast:.3f} s")
    return t_slow, t_fast

if __name__ == "__main__":
    main()
