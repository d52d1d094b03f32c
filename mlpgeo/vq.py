"""VQ-kernels: the Hamming geometry of activation patterns (Roddenberry et al., "VQ-Kernels").

Hidden layer ``l`` of an MLP cuts its input by ``D_l`` hyperplanes; the sign pattern
``s_l(x) in {-1, +1}^{D_l}`` of its pre-activation says on which side of each one ``x`` lies. The VQ
distance is the weighted sum of per-layer Hamming distances

    d(x, y) = sum_l w_l * #{j : s_l(x)_j != s_l(y)_j},     w_l = 1 by default,

a pseudodistance (0 inside one linear region, symmetric, triangle inequality). With +/-1 codes the
Hamming distance of layer ``l`` is ``(D_l - <s_l(x), s_l(y)>) / 2``, so a whole ``(n, m)`` kernel is one
matrix product, computed in row blocks that fit the memory budget (:mod:`mlpgeo.validate`).

Also here, for any distance matrix ``D: (n, m)``:

- heat kernels ``h = exp(-D / sigma^2)`` or ``exp(-D^2 / sigma^2)`` (both forms the paper writes), the
  median rule for ``sigma^2``, and the cosine similarity ``<A, B>_F / (||A||_F ||B||_F)`` of kernels;
- classical MDS: the eigenpairs of ``B = -1/2 (I - J/n) D (I - J/n)`` (and, for a VQ kernel, the same
  decomposition from an SVD of the centred codes without forming ``D``), effective rank, subspace
  similarity, silhouette and a linear probe;
- the partition distance ``d_Omega`` of exact 2-D regions (fewest face crossings, Lemmas 1-2) by
  breadth-first search on the region adjacency graph;
- the appendix's width-1 chain ``f(z) = skip z + scale relu(slope z + shift)``, tracked exactly;
- general figures: a kernel as an image, a 2-D embedding, a cosine table.

Conventions: models are ``nn.Sequential`` MLPs (any activation: the pattern is ``[pre-activation > 0]``);
inputs ``x: (n, d_in)``; kernels are returned in the model's dtype (float32 or float64), on the CPU;
spectral quantities are computed in float64. Randomness comes from an optional ``torch.Generator``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from torch import Tensor, nn

from mlpgeo.patterns import activation_patterns
from mlpgeo.plotting import color
from mlpgeo.regions import Regions
from mlpgeo.validate import (
    check_budget,
    check_choice,
    check_dtype,
    check_generator,
    check_int,
    check_labels,
    check_model,
    check_number,
    check_tensor,
    check_x,
    chunk_rows,
    memory_budget,
    model_dtype,
)

__all__ = [
    "HEAT_FORMS",
    "vq_distance",
    "code_distance",
    "sign_codes",
    "heat_kernel",
    "median_sigma2",
    "kernel_cosine",
    "cosine_table",
    "kernel_correlation",
    "joint_histograms",
    "heat_cosine_sweep",
    "off_diagonal",
    "MDS",
    "classical_mds",
    "code_mds",
    "mds_spectrum",
    "dominant_eigenpairs",
    "double_centre",
    "fix_signs",
    "effective_rank",
    "subspace_similarity",
    "eigenvector_correlations",
    "silhouette",
    "linear_probe_accuracy",
    "region_graph_distances",
    "partition_distance",
    "ChainPartition",
    "skip_chain_partition",
    "plot_kernel",
    "plot_embedding",
    "plot_cosine_table",
]

HEAT_FORMS = {
    "linear": "h = exp(-d / sigma^2)  (section 3.1 of the paper)",
    "squared": "h = exp(-d^2 / sigma^2)  (appendix A.2 of the paper)",
}
"""The two heat-kernel forms the paper writes, by name."""

FEWER_ROWS = "pass fewer rows in x (or y), e.g. a random subsample"


# --------------------------------------------------------------------------------------------------
# Private checks
# --------------------------------------------------------------------------------------------------


def _layer_weights(layer_weights: Sequence[float] | Tensor | None, n_layers: int) -> Tensor | None:
    """Validate per-layer weights ``w_l``: ``None`` when every weight is 1 (the exact-integer path), else
    a float64 tensor ``(n_layers,)`` of finite numbers ``>= 0``."""
    if layer_weights is None:
        return None
    if isinstance(layer_weights, np.ndarray):
        raise TypeError("layer_weights must be a list of numbers or a torch.Tensor, got a numpy array; "
                        "use layer_weights.tolist().")
    if isinstance(layer_weights, Tensor):
        check_tensor(layer_weights, "layer_weights", kind="any", allow_empty=True)
        if layer_weights.dtype == torch.bool:
            raise TypeError("layer_weights is a bool tensor; give one number >= 0 per hidden layer.")
        values = layer_weights.detach().double().flatten().tolist()
    elif isinstance(layer_weights, (str, bytes)) or not isinstance(layer_weights, Sequence):
        raise TypeError(f"layer_weights must be a list of numbers (one per hidden layer), got {type(layer_weights).__name__}.")
    else:
        values = list(layer_weights)
    if len(values) != n_layers:
        raise ValueError(
            f"layer_weights has {len(values)} entries but the model has {n_layers} hidden layers; "
            f"give one weight per hidden layer."
        )
    w = torch.tensor([check_number(v, f"layer_weights[{i}]", low=0) for i, v in enumerate(values)], dtype=torch.float64)
    if bool((w == 1).all()):
        return None
    return w


def _patterns(patterns: Any, name: str) -> list[Tensor]:
    """Validate per-layer bool patterns ``[(n, D_l), ...]`` with one ``n``."""
    if isinstance(patterns, Tensor) or isinstance(patterns, (str, bytes)) or not isinstance(patterns, Sequence):
        raise TypeError(f"{name} must be a list of per-layer patterns [(n, D_1), (n, D_2), ...], got {type(patterns).__name__}; "
                        "wrap a single layer's patterns in a list.")
    if not patterns:
        raise ValueError(f"{name} is an empty list; give the patterns of at least one hidden layer.")
    out = [check_tensor(p, f"{name}[{i}]", dims=2, kind="binary") for i, p in enumerate(patterns)]
    rows = {p.shape[0] for p in out}
    if len(rows) != 1:
        raise ValueError(f"the layers of {name} have different numbers of rows {sorted(rows)}; one row per input in every layer.")
    return out


def _distance_matrix(d: Any, name: str = "d", square: bool = False) -> Tensor:
    """A 2-D tensor of finite distances ``>= 0`` (float or integer; ``square``: ``(n, n)``)."""
    d = check_tensor(d, name, dims=2, kind="any")
    if d.dtype == torch.bool:
        raise TypeError(f"{name} is a bool tensor; a distance matrix holds numbers ({name}.float()).")
    if square and d.shape[0] != d.shape[1]:
        raise ValueError(f"{name} has shape {tuple(d.shape)}; this needs a square distance matrix (n, n).")
    if (d < 0).any():
        raise ValueError(f"{name} has negative entries; a distance matrix holds values >= 0.")
    return d


def _kernels(kernels: Any, name: str) -> list[Tensor]:
    """A non-empty sequence of 2-D finite kernels of one shape."""
    if isinstance(kernels, Tensor) or isinstance(kernels, (str, bytes)) or not isinstance(kernels, Sequence):
        raise TypeError(f"{name} must be a list of (n, m) matrices, got {type(kernels).__name__}.")
    if not kernels:
        raise ValueError(f"{name} is an empty list; give at least one matrix.")
    out = [_distance_matrix(k, f"{name}[{i}]") for i, k in enumerate(kernels)]
    shapes = {tuple(k.shape) for k in out}
    if len(shapes) != 1:
        raise ValueError(f"{name} must share one shape, got {sorted(shapes)}.")
    return out


def _form(form: Any) -> str:
    return check_choice(form, "form", sorted(HEAT_FORMS))


def _float_dtype(d: Tensor) -> torch.dtype:
    """The dtype results on ``d`` are computed in: ``d``'s own float dtype, float32 for integers."""
    return d.dtype if d.dtype in (torch.float32, torch.float64) else torch.float32


# --------------------------------------------------------------------------------------------------
# VQ distance
# --------------------------------------------------------------------------------------------------


def sign_codes(
    patterns: Sequence[Tensor], layer_weights: Sequence[float] | Tensor | None = None, dtype: torch.dtype = torch.float32
) -> Tensor:
    """Concatenated +/-1 codes, each layer's columns scaled by ``sqrt(w_l)``.

    ``c(x) = [sqrt(w_1) (2 p_1(x) - 1), ..., sqrt(w_L) (2 p_L(x) - 1)]``, so that
    ``<c(x), c(y)> = sum_l w_l <s_l(x), s_l(y)>``.

    Args:
        patterns: per-layer bool (or 0/1) patterns ``(n, D_l)``.
        layer_weights: ``None`` (all 1) or one weight ``>= 0`` per layer.
        dtype: float dtype of unit-weight codes (float32 or float64); weighted codes are always float64.

    Returns:
        ``(n, N)``, ``N = sum_l D_l``: exact +/-1 in ``dtype`` for unit weights, float64 ``+/-sqrt(w_l)``
        otherwise.

    Raises:
        TypeError / ValueError: patterns that are not 2-D 0/1 tensors with one row count, bad weights.
    """
    patterns = _patterns(patterns, "patterns")
    check_dtype(dtype)
    w = _layer_weights(layer_weights, len(patterns))
    if w is None:
        return torch.cat([p.to(dtype) * 2 - 1 for p in patterns], dim=1)
    w = w.to(patterns[0].device)
    return torch.cat([(p.double() * 2 - 1) * wl.sqrt() for p, wl in zip(patterns, w)], dim=1)


def code_distance(
    patterns_x: Sequence[Tensor],
    patterns_y: Sequence[Tensor] | None = None,
    layer_weights: Sequence[float] | Tensor | None = None,
    block_size: int | None = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """Weighted Hamming distance between per-layer patterns, as blocked matrix products.

    ``d_ij = sum_l w_l (D_l - <s_l(x_i), s_l(y_j)>) / 2``, computed a block of rows at a time, so the only
    memory beyond the ``(n, m)`` result and the codes of ``y`` is one ``(rows, m)`` block.

    Args:
        patterns_x: per-layer bool patterns ``(n, D_l)``.
        patterns_y: per-layer bool patterns ``(m, D_l)``; ``None`` means ``patterns_x``.
        layer_weights: ``None`` (all 1) or one weight ``>= 0`` per layer.
        block_size: rows per block (``None``: as many as fit a quarter of the memory budget); a larger
            value is lowered to that.
        dtype: the result's dtype, float32 or float64.

    Returns:
        ``(n, m)`` in ``dtype`` on the CPU (each block is computed on the device of ``patterns_x`` and
        copied back, so a GPU holds only one block). For unit weights every entry is an exact integer
        (products of +/-1 entries summed exactly below 2^24 neurons in float32); weighted distances are
        accumulated in float64 and then stored in ``dtype``.

    Raises:
        TypeError / ValueError: different layer counts or widths, bad weights or block size.
        mlpgeo.validate.BudgetError: the ``(n, m)`` result (or the codes of ``y``) would not fit the memory
            budget.
    """
    px = _patterns(patterns_x, "patterns_x")
    py = px if patterns_y is None else _patterns(patterns_y, "patterns_y")
    if len(px) != len(py):
        raise ValueError(f"patterns_x has {len(px)} layers and patterns_y has {len(py)}; they must match.")
    widths = [p.shape[1] for p in px]
    if widths != [p.shape[1] for p in py]:
        raise ValueError(f"layer widths differ between patterns_x {widths} and patterns_y {[p.shape[1] for p in py]}.")
    check_dtype(dtype)
    if block_size is not None:
        block_size = check_int(block_size, "block_size", low=1)
    w = _layer_weights(layer_weights, len(widths))
    n, m, total_width = px[0].shape[0], py[0].shape[0], sum(widths)
    code_dtype = dtype if w is None else torch.float64
    code_bytes = torch.finfo(code_dtype).bits // 8
    check_budget(n * m * (torch.finfo(dtype).bits // 8), f"the {n:,} x {m:,} distance matrix", FEWER_ROWS)
    check_budget(m * total_width * code_bytes, f"the +/-1 codes of {m:,} inputs x {total_width:,} neurons", FEWER_ROWS)
    rows = chunk_rows(m * code_bytes * 2 + total_width * code_bytes, n)
    rows = rows if block_size is None else min(block_size, rows)
    device = px[0].device
    w_list = None if w is None else w.tolist()
    total = float(total_width) if w is None else float((w * torch.tensor(widths, dtype=torch.float64)).sum())
    cy_t = sign_codes([p.to(device) for p in py], w_list, code_dtype).T.contiguous()
    out = torch.empty(n, m, dtype=dtype)
    for start in range(0, n, rows):
        cx = sign_codes([p[start : start + rows].to(device) for p in px], w_list, code_dtype)
        block = cx @ cy_t
        block.mul_(-0.5).add_(total / 2)
        out[start : start + rows] = block.clamp_(min=0).to(dtype).cpu()
    return out


def _model_patterns(model: nn.Sequential, x: Tensor) -> list[Tensor]:
    """Per-layer bool patterns of validated ``x``, forward passes in row chunks that fit the budget (one
    chunk, i.e. one forward pass, whenever the whole batch fits)."""
    layers = check_model(model)
    itemsize = torch.finfo(model_dtype(model)).bits // 8
    total_width = sum(linear.out_features for linear, _ in layers)
    check_budget(x.shape[0] * total_width, f"the activation patterns of {x.shape[0]:,} inputs x {total_width:,} neurons",
                 FEWER_ROWS)
    rows = chunk_rows((total_width + x.shape[1]) * itemsize * 2, x.shape[0])
    if rows >= x.shape[0]:
        return activation_patterns(model, x)
    chunks = [activation_patterns(model, x[start : start + rows]) for start in range(0, x.shape[0], rows)]
    return [torch.cat(parts) for parts in zip(*chunks)]


def vq_distance(
    model: nn.Sequential,
    x: Tensor,
    y: Tensor | None = None,
    layer_weights: Sequence[float] | Tensor | None = None,
    block_size: int | None = None,
) -> Tensor:
    """The VQ-kernel: ``K_ij = d(x_i, y_j) = sum_l w_l Hamming(s_l(x_i), s_l(y_j))``.

    Args:
        model: an MLP ``nn.Sequential(Linear, act, ..., Linear)``; patterns are ``[pre-activation > 0]``.
        x: inputs ``(n, d_in)``.
        y: inputs ``(m, d_in)``; ``None`` means ``x`` (the square kernel of the sample).
        layer_weights: ``None`` (``w_l = 1``) or one weight ``>= 0`` per hidden layer.
        block_size: rows per matrix-product block (``None``: as many as fit the memory budget).

    Returns:
        ``(n, m)`` in the model's dtype on the CPU (computed on the model's device); exact integers for
        unit weights.

    Raises:
        TypeError / ValueError: unsupported model, mismatched feature sizes, non-finite or empty input,
            bad weights.
        mlpgeo.validate.BudgetError: the ``(n, m)`` result would exceed the memory budget (the message
            names its size; fewer rows in ``x`` or ``y`` lower it).
    """
    x = check_x(model, x, "x")
    if y is not None:
        check_tensor(y, "y", dims=2, kind="float", allow_empty=True)
        if y.shape[1] != x.shape[1]:
            raise ValueError(
                f"x has {x.shape[1]} features and y has {y.shape[1]}; both must match the model's input size."
            )
        y = check_x(model, y, "y")
    dtype = model_dtype(model)
    m = x.shape[0] if y is None else y.shape[0]
    check_budget(x.shape[0] * m * (torch.finfo(dtype).bits // 8), f"the {x.shape[0]:,} x {m:,} VQ kernel", FEWER_ROWS)
    px = _model_patterns(model, x)
    py = None if y is None else _model_patterns(model, y)
    return code_distance(px, py, layer_weights, block_size, dtype)


# --------------------------------------------------------------------------------------------------
# Heat kernels and their comparison
# --------------------------------------------------------------------------------------------------


def off_diagonal(d: Tensor) -> Tensor:
    """Strict upper-triangle entries of a square matrix ``(n, n)`` (all entries of a rectangular one):
    ``(n (n - 1) / 2,)`` or ``(n m,)``."""
    d = check_tensor(d, "d", dims=2, kind="any", allow_empty=True)
    if d.shape[0] == d.shape[1]:
        i, j = torch.triu_indices(d.shape[0], d.shape[1], offset=1)
        return d[i, j]
    return d.flatten()


def median_sigma2(d: Tensor | Sequence[Tensor], form: str = "linear") -> float:
    """The default scale rule: the median pair sits at ``h = exp(-1)``.

    ``m`` = median of the off-diagonal entries of ``d`` (pooled over all matrices when a sequence of
    kernels is given, so that kernels being compared share one scale; the lower middle value for an even
    count, as ``torch.median``); ``sigma^2 = m`` for the linear form and ``sigma^2 = m^2`` for the squared
    form.

    Raises:
        ValueError: unknown form, a matrix without off-diagonal entries, or a median of 0 (most pairs share
            one region: give ``sigma2`` explicitly).
    """
    form = _form(form)
    matrices = [_distance_matrix(d, "d")] if isinstance(d, (Tensor, np.ndarray)) else _kernels_any_shape(d, "d")
    pooled = torch.cat([off_diagonal(matrix).double() for matrix in matrices])
    if pooled.numel() == 0:
        raise ValueError("d has no off-diagonal entries (a 1 x 1 matrix); the median rule needs at least two points.")
    m = float(pooled.median())
    if m <= 0:
        raise ValueError("the median distance is 0 (most pairs share a region); pass sigma2 explicitly.")
    return m if form == "linear" else m * m


def _kernels_any_shape(kernels: Any, name: str) -> list[Tensor]:
    """A non-empty sequence of 2-D distance matrices (shapes may differ)."""
    if isinstance(kernels, (str, bytes)) or not isinstance(kernels, Sequence):
        raise TypeError(f"{name} must be a distance matrix or a list of them, got {type(kernels).__name__}.")
    if not kernels:
        raise ValueError(f"{name} is an empty list; give at least one distance matrix.")
    return [_distance_matrix(k, f"{name}[{i}]") for i, k in enumerate(kernels)]


def heat_kernel(d: Tensor, sigma2: float | None = None, form: str = "linear") -> Tensor:
    """Heat kernel of a distance matrix, element-wise.

    Forms (the paper writes both): ``"linear"``: ``h = exp(-d / sigma^2)`` (section 3.1);
    ``"squared"``: ``h = exp(-d^2 / sigma^2)`` (appendix A.2).

    Args:
        d: distances ``(n, m)``, finite and ``>= 0``.
        sigma2: the scale ``sigma^2 > 0``; ``None`` applies :func:`median_sigma2`.
        form: ``"linear"`` or ``"squared"``.

    Returns:
        ``(n, m)`` in (0, 1], in ``d``'s float dtype (float32 for integer distances).

    Raises:
        ValueError: unknown form, ``sigma2`` not a finite number > 0, bad distances.
    """
    form = _form(form)
    d = _distance_matrix(d, "d")
    sigma2 = median_sigma2(d, form) if sigma2 is None else check_number(sigma2, "sigma2", low=0, low_open=True)
    d = d.to(_float_dtype(d))
    return torch.exp(-(d if form == "linear" else d * d) / sigma2)


def kernel_cosine(a: Tensor, b: Tensor) -> float:
    """Cosine similarity of two matrices, ``<A, B>_F / (||A||_F ||B||_F)``, accumulated in float64.

    Raises:
        ValueError: different shapes, non-finite entries, or a zero matrix (the cosine is undefined).
    """
    a = check_tensor(a, "a", kind="any")
    b = check_tensor(b, "b", kind="any")
    if a.shape != b.shape:
        raise ValueError(f"kernels must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}.")
    a, b = a.double(), b.double()
    na, nb = a.norm(), b.norm()
    if na == 0 or nb == 0:
        raise ValueError("cosine similarity of a zero matrix is undefined.")
    return float((a * b).sum() / (na * nb))


def cosine_table(kernels: Sequence[Tensor]) -> Tensor:
    """All pairwise :func:`kernel_cosine` values: float64 ``(k, k)`` with ones on the diagonal.

    One Gram matrix of the flattened kernels, in float64 (a float32 Gram of 2000 x 2000 kernels is off by
    up to ~1e-3 in the cosine).

    Raises:
        ValueError: no kernels, different shapes, a zero kernel.
        mlpgeo.validate.BudgetError: the float64 stack of the kernels would not fit the budget.
    """
    kernels = _kernels(kernels, "kernels")
    check_budget(len(kernels) * kernels[0].numel() * 8, f"the float64 stack of {len(kernels)} kernels of shape "
                 f"{tuple(kernels[0].shape)}", "pass fewer or smaller kernels")
    flat = torch.stack([k.double().flatten() for k in kernels])
    gram = flat @ flat.T
    norms = gram.diagonal().sqrt()
    if (norms == 0).any():
        raise ValueError("cosine similarity of a zero matrix is undefined.")
    table = gram / (norms[:, None] * norms[None, :])
    table.fill_diagonal_(1.0)
    return table


def kernel_correlation(a: Tensor, b: Tensor) -> float:
    """Pearson correlation of the off-diagonal entries of two kernels of the same shape (float64).

    Raises:
        ValueError: different shapes, or a kernel constant off the diagonal (the correlation is undefined).
    """
    a = check_tensor(a, "a", dims=2, kind="any")
    b = check_tensor(b, "b", dims=2, kind="any")
    if a.shape != b.shape:
        raise ValueError(f"kernels must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}.")
    u, v = off_diagonal(a).double(), off_diagonal(b).double()
    u, v = u - u.mean(), v - v.mean()
    for name, vector in (("a", u), ("b", v)):
        if vector.numel() == 0 or vector.norm() == 0:
            raise ValueError(f"kernel {name} is constant off the diagonal (or has no off-diagonal entry): "
                             "its correlation with anything is undefined.")
    return float((u * v).sum() / (u.norm() * v.norm()))


def _integer_levels(distances: Sequence[Tensor], max_value: int) -> int | None:
    """``max + 1`` over all entries if every entry is an integer in ``[0, max_value]``, else ``None``."""
    for d in distances:
        if not bool(((d >= 0) & (d <= max_value) & (d == d.round())).all()):
            return None
    return int(max(float(d.max()) for d in distances)) + 1


def joint_histograms(distances: Sequence[Tensor], max_value: int = 4096) -> Tensor | None:
    """Joint counts of integer distances: ``C[a, b, u, v] = #{(i, j) : d_a[i, j] = u and d_b[i, j] = v}``.

    Args:
        distances: ``k`` distance matrices of one shape, ``(n, m)`` each.
        max_value: the largest distance handled (``V = max + 1`` bins per axis, ``V <= max_value + 1``).

    Returns:
        float64 ``(k, k, V, V)``, or ``None`` when some entry is not an integer in ``[0, max_value]``
        (weighted kernels): the caller then works on the matrices themselves.

    Raises:
        mlpgeo.validate.BudgetError: the ``k^2 V^2`` counts would not fit the budget (lower ``max_value``).
    """
    distances = _kernels(distances, "distances")
    max_value = check_int(max_value, "max_value", low=0)
    levels = _integer_levels(distances, max_value)
    if levels is None:
        return None
    k = len(distances)
    check_budget(k * k * levels * levels * 8, f"the {k} x {k} x {levels} x {levels} joint histograms",
                 "lower max_value so that kernels with larger distances take the direct path")
    codes = [d.flatten().long() for d in distances]
    out = torch.zeros(k, k, levels, levels, dtype=torch.float64)
    for a in range(k):
        for b in range(a, k):
            counts = torch.bincount(codes[a] * levels + codes[b], minlength=levels * levels).reshape(levels, levels).double()
            out[a, b], out[b, a] = counts, counts.T
    return out


def heat_cosine_sweep(distances: Sequence[Tensor], sigma2s: Sequence[float], form: str = "linear") -> Tensor:
    """Cosine tables of heat kernels for each ``sigma^2``: float64 ``(len(sigma2s), k, k)``.

    For integer distances (unit-weight VQ kernels) the heat kernel takes one value ``h(u)`` per distance
    ``u``, so ``<H_a, H_b>_F = sum_{u, v} C[a, b, u, v] h(u) h(v)`` with the :func:`joint_histograms`
    ``C``: the matrices are read once and every ``sigma^2`` costs ``O(k^2 V^2)`` (exact, float64).
    Otherwise (or when the histograms would exceed a quarter of the memory budget) each heat kernel is
    formed (:func:`heat_kernel`, :func:`cosine_table`).

    Raises:
        ValueError: unknown form, an empty grid or a ``sigma^2`` that is not a finite number > 0 (checked
            before any work), kernels of different shapes.
    """
    form = _form(form)
    distances = _kernels(distances, "distances")
    if isinstance(sigma2s, Tensor):
        sigma2s = check_tensor(sigma2s, "sigma2s", dims=1, kind="any", allow_empty=True).tolist()
    if isinstance(sigma2s, (str, bytes)) or not isinstance(sigma2s, (Sequence, np.ndarray)):
        raise TypeError(f"sigma2s must be a list of numbers > 0, got {type(sigma2s).__name__}.")
    if len(sigma2s) == 0:
        raise ValueError("sigma2s is empty; give at least one sigma^2 > 0.")
    sigma2s = [check_number(s, f"sigma2s[{i}]", low=0, low_open=True) for i, s in enumerate(sigma2s)]
    levels = _integer_levels(distances, 4096)
    k = len(distances)
    if levels is None or k * k * levels * levels * 8 > memory_budget() // 4:
        return torch.stack([cosine_table([heat_kernel(d, s, form) for d in distances]) for s in sigma2s])
    counts = joint_histograms(distances)
    values = torch.arange(counts.shape[-1], dtype=torch.float64)
    tables = []
    for sigma2 in sigma2s:
        h = torch.exp(-(values if form == "linear" else values * values) / sigma2)
        gram = torch.einsum("u,abuv,v->ab", h, counts, h)
        norms = gram.diagonal().sqrt()
        table = gram / (norms[:, None] * norms[None, :])
        table.fill_diagonal_(1.0)
        tables.append(table)
    return torch.stack(tables)


# --------------------------------------------------------------------------------------------------
# Classical MDS and spectra
# --------------------------------------------------------------------------------------------------


@dataclass
class MDS:
    """Classical multidimensional scaling of a distance matrix (all float64).

    Attributes:
        eigenvalues: ``(k,)`` dominant eigenvalues of ``B = -1/2 (I - J/n) K (I - J/n)``, descending.
        normalised: ``eigenvalues / eigenvalues[0]`` (the paper's normalisation by the leading one).
        eigenvectors: ``(n, k)`` orthonormal, sign fixed so each column's largest-magnitude entry is > 0.
        embedding: ``(n, k)`` coordinates ``eigenvectors * sqrt(max(eigenvalues, 0))``.
    """

    eigenvalues: Tensor
    normalised: Tensor
    eigenvectors: Tensor
    embedding: Tensor


def fix_signs(vectors: Tensor) -> Tensor:
    """Flip each column of ``vectors: (n, k)`` so that its largest-magnitude entry is positive (a
    deterministic sign for eigenvectors)."""
    vectors = check_tensor(vectors, "vectors", dims=2, kind="float")
    index = vectors.abs().argmax(dim=0)
    signs = torch.sign(vectors[index, torch.arange(vectors.shape[1])])
    signs[signs == 0] = 1
    return vectors * signs


def _square_float64_budget(n: int, copies: int, what: str) -> None:
    check_budget(copies * n * n * 8, f"{what} ({copies} float64 copies of {n:,} x {n:,})",
                 "pass a smaller distance matrix (fewer points)")


def dominant_eigenpairs(
    b: Tensor, k: int, iterations: int = 8, generator: torch.Generator | None = None, dense_limit: int = 2500
) -> tuple[Tensor, Tensor]:
    """The ``k`` algebraically largest eigenpairs of a symmetric positive semi-definite matrix ``b: (n, n)``.

    Dense ``eigh`` for ``n <= dense_limit``; above, randomised subspace iteration (range finder with
    ``k + 10`` columns drawn from ``generator`` and ``iterations`` power steps, then Rayleigh-Ritz),
    float64.

    Args:
        b: symmetric ``(n, n)``.
        k: number of eigenpairs, ``1 <= k <= n``.
        iterations: power steps of the randomised path (``>= 0``).
        generator: random source of the randomised path (``None``: a fresh generator with torch's default
            seed, so the result is reproducible).
        dense_limit: the largest ``n`` solved densely.

    Returns:
        ``(values (k,), vectors (n, k))``, float64, values descending.

    Raises:
        ValueError: a matrix that is not square or not symmetric, ``k`` out of range.
        mlpgeo.validate.BudgetError: the dense solve would not fit the memory budget.
    """
    b = check_tensor(b, "b", dims=2, kind="float")
    n = b.shape[0]
    if b.shape[1] != n:
        raise ValueError(f"b has shape {tuple(b.shape)}; expected a square matrix (n, n).")
    k = check_int(k, "k", low=1, high=n)
    iterations = check_int(iterations, "iterations", low=0)
    dense_limit = check_int(dense_limit, "dense_limit", low=1)
    generator = check_generator(generator) or torch.Generator()
    _check_symmetric(b, "b")
    return _eigenpairs(b, k, iterations, generator, dense_limit)


def _check_symmetric(b: Tensor, name: str) -> None:
    """Raise ``ValueError`` unless ``b`` equals its transpose up to round-off of its dtype."""
    tol = 0.0 if not b.is_floating_point() else (1e-5 if b.dtype == torch.float32 else 1e-10)
    scale = float(b.abs().max()) if b.numel() else 0.0
    if float((b - b.T).abs().max()) > tol * scale:
        raise ValueError(f"{name} is not symmetric; this needs a symmetric matrix (symmetrise it with "
                         f"({name} + {name}.T) / 2 if the asymmetry is round-off).")


def _eigenpairs(
    b: Tensor, k: int, iterations: int = 8, generator: torch.Generator | None = None, dense_limit: int = 2500
) -> tuple[Tensor, Tensor]:
    """:func:`dominant_eigenpairs` on validated arguments."""
    n = b.shape[0]
    b = b.double()
    if n <= dense_limit:
        _square_float64_budget(n, 3, "the dense eigendecomposition")
        values, vectors = torch.linalg.eigh(b)
        return values.flip(0)[:k], vectors.flip(1)[:, :k]
    columns = min(n, k + 10)
    check_budget(4 * n * columns * 8, f"the {n:,} x {columns} subspace iteration", "pass a smaller k")
    q = torch.randn(n, columns, generator=generator or torch.Generator(), dtype=torch.float64)
    for _ in range(iterations):
        q, _ = torch.linalg.qr(b @ q)
    values, small = torch.linalg.eigh(q.T @ b @ q)
    return values.flip(0)[:k], (q @ small.flip(1))[:, :k]


def double_centre(d: Tensor) -> Tensor:
    """``B = -1/2 (I - J/n) D (I - J/n)`` for a square ``D: (n, n)`` (float64 ``(n, n)``).

    Raises:
        ValueError: not a square finite matrix.
        mlpgeo.validate.BudgetError: the float64 copies would not fit the memory budget.
    """
    d = check_tensor(d, "d", dims=2, kind="any")
    if d.shape[0] != d.shape[1]:
        raise ValueError(f"d has shape {tuple(d.shape)}; double centring needs a square matrix (n, n).")
    _square_float64_budget(d.shape[0], 3, "double centring")
    d = d.double()
    return -0.5 * (d - d.mean(0, keepdim=True) - d.mean(1, keepdim=True) + d.mean())


def _make_mds(values: Tensor, vectors: Tensor) -> MDS:
    """Assemble an :class:`MDS` from dominant eigenpairs."""
    if values[0] <= 0:
        raise ValueError("the leading MDS eigenvalue is <= 0: all points are at distance 0.")
    vectors = fix_signs(vectors)
    return MDS(values, values / values[0], vectors, vectors * values.clamp(min=0).sqrt())


def classical_mds(d: Tensor, k: int = 2) -> MDS:
    """Classical MDS of a squared-distance matrix ``d: (n, n)``.

    A VQ kernel holds squared Euclidean distances between 0/1 codes (Hamming = ||a - b||^2), so it is
    double-centred as it is: ``B = -1/2 (I - J/n) K (I - J/n)``. The paper's Fig. 1 writes
    ``(I - J/N) K (I - J/N)`` normalised by its leading eigenvalue: the same eigenvectors, and the same
    normalised eigenvalues (the factor -1/2 cancels).

    Args:
        d: square distance matrix ``(n, n)``, finite, ``>= 0``.
        k: number of dominant eigenpairs, ``1 <= k <= n``.

    Returns:
        :class:`MDS` (float64).

    Raises:
        ValueError: not a square distance matrix, ``k`` out of range, all distances 0.
    """
    d = _distance_matrix(d, "d", square=True)
    _check_symmetric(d, "d")
    k = check_int(k, "k", low=1, high=d.shape[0])
    values, vectors = _eigenpairs(double_centre(d), k)
    return _make_mds(values, vectors)


def code_mds(
    model: nn.Sequential, x: Tensor, k: int = 3, layer_weights: Sequence[float] | Tensor | None = None
) -> MDS:
    """Classical MDS of the VQ kernel of ``x: (n, d_in)`` without forming the ``(n, n)`` kernel.

    With codes ``C`` scaled by ``sqrt(w_l)``, ``K = (total - C C^T) / 2``, so
    ``B = -1/2 J K J = 1/4 (J C)(J C)^T``: its eigenpairs are the left singular vectors of the centred
    codes and ``s_i^2 / 4``. Equal to :func:`classical_mds` of :func:`vq_distance` (up to round-off);
    memory ``O(n N)`` instead of ``O(n^2)``.

    Args:
        model: an MLP.
        x: inputs ``(n, d_in)``.
        k: number of eigenpairs, ``1 <= k <= min(n, N)`` (``N`` hidden neurons).
        layer_weights: ``None`` (all 1) or one weight ``>= 0`` per hidden layer.

    Returns:
        :class:`MDS` (float64).

    Raises:
        ValueError: bad input, ``k`` above the rank bound ``min(n, N)``, all codes equal.
        mlpgeo.validate.BudgetError: the codes and their SVD would not fit the memory budget.
    """
    x = check_x(model, x)
    widths = [linear.out_features for linear, _ in check_model(model)]
    n, total_width = x.shape[0], sum(widths)
    k = check_int(k, "k", low=1)
    if k > min(n, total_width):
        raise ValueError(f"k={k} exceeds the rank bound min(n, N) = {min(n, total_width)} (n inputs, N neurons).")
    w = _layer_weights(layer_weights, len(widths))
    check_budget(8 * (3 * n * total_width + n * min(n, total_width)),
                 f"the SVD of the {n:,} x {total_width:,} centred codes", "pass fewer rows in x")
    patterns = [p.cpu() for p in _model_patterns(model, x)]
    codes = sign_codes(patterns, None if w is None else w.tolist(), torch.float64)
    codes = codes - codes.mean(0, keepdim=True)
    u, s, _ = torch.linalg.svd(codes, full_matrices=False)
    return _make_mds(s[:k] ** 2 / 4, u[:, :k])


def mds_spectrum(d: Tensor) -> Tensor:
    """All eigenvalues of ``B = -1/2 J D J`` for ``d: (n, n)``, descending (float64 ``(n,)``).

    A dense solve: memory ``O(n^2)``, time ``O(n^3)`` (a few seconds at ``n = 2000``).

    Raises:
        ValueError: not a square distance matrix.
        mlpgeo.validate.BudgetError: the dense solve would not fit the memory budget.
    """
    d = _distance_matrix(d, "d", square=True)
    _check_symmetric(d, "d")
    _square_float64_budget(d.shape[0], 4, "the MDS spectrum")
    return torch.linalg.eigvalsh(double_centre(d)).flip(0)


def effective_rank(values: Tensor) -> float:
    """Effective rank ``exp(H(p))``, ``p_i = lambda_i / sum lambda`` over the positive eigenvalues of
    ``values: (k,)``.

    Raises:
        ValueError: no positive eigenvalue.
    """
    values = check_tensor(values, "values", dims=1, kind="any")
    v = values.double()
    v = v[v > 0]
    if v.numel() == 0:
        raise ValueError("values has no positive eigenvalue: the effective rank is undefined.")
    p = v / v.sum()
    return float(torch.exp(-(p * p.log()).sum()))


def subspace_similarity(u: Tensor, v: Tensor) -> float:
    """``||U^T V||_F^2 / k`` for orthonormal ``U, V: (n, k)``: mean squared cosine of the principal
    angles (1 for the same subspace, 0 for orthogonal ones)."""
    u = check_tensor(u, "u", dims=2, kind="float")
    v = check_tensor(v, "v", dims=2, kind="float")
    if u.shape != v.shape:
        raise ValueError(f"subspaces must have the same shape, got {tuple(u.shape)} and {tuple(v.shape)}.")
    return float((u.double().T @ v.double()).pow(2).sum() / u.shape[1])


def eigenvector_correlations(u: Tensor, v: Tensor) -> Tensor:
    """``|corr(u_i, v_i)|`` for matching columns of ``u, v: (n, k)`` (signs of eigenvectors are
    arbitrary): float64 ``(k,)``.

    Raises:
        ValueError: different shapes, or a constant column (its correlation is undefined).
    """
    u = check_tensor(u, "u", dims=2, kind="float")
    v = check_tensor(v, "v", dims=2, kind="float")
    if u.shape != v.shape:
        raise ValueError(f"shapes differ: {tuple(u.shape)} and {tuple(v.shape)}.")
    a, b = u.double() - u.double().mean(0), v.double() - v.double().mean(0)
    na, nb = a.norm(dim=0), b.norm(dim=0)
    if (na == 0).any() or (nb == 0).any():
        raise ValueError("a column of u or v is constant: its correlation is undefined.")
    return ((a * b).sum(0) / (na * nb)).abs()


# --------------------------------------------------------------------------------------------------
# Separability
# --------------------------------------------------------------------------------------------------


def silhouette(d: Tensor, labels: Tensor) -> float:
    """Mean silhouette ``(b_i - a_i) / max(a_i, b_i)`` of a labelled sample under distances ``d: (n, n)``.

    ``a_i`` = mean distance to the other members of ``i``'s class, ``b_i`` = smallest mean distance to
    another class (a point alone in its class scores 0). In [-1, 1]; higher = better separated.

    Args:
        d: distances ``(n, n)``.
        labels: integer labels ``(n,)``, ``>= 0``, at least two classes present.

    Raises:
        ValueError: not a square distance matrix, labels of the wrong length, fewer than two classes.
    """
    d = _distance_matrix(d, "d", square=True)
    labels = check_labels(labels, d.shape[0], name="labels").long().cpu()
    classes = labels.unique()
    if classes.numel() < 2:
        raise ValueError("labels hold one class; the silhouette needs at least two.")
    index = torch.searchsorted(classes, labels)
    onehot = (labels[:, None] == classes[None, :]).double()
    sums = d.double().cpu() @ onehot
    counts = onehot.sum(0)
    rows = torch.arange(len(labels))
    own_count = counts[index] - 1
    a = sums[rows, index] / own_count.clamp(min=1)
    means = sums / counts
    means[rows, index] = float("inf")
    b = means.min(1).values
    s = torch.where(own_count > 0, (b - a) / torch.maximum(a, b).clamp(min=1e-12), torch.zeros_like(a))
    return float(s.mean())


def linear_probe_accuracy(
    z: Tensor, labels: Tensor, folds: int = 5, generator: torch.Generator | None = None, steps: int = 200
) -> float:
    """Cross-validated accuracy of logistic regression on an embedding ``z: (n, k)``.

    Folds are every ``folds``-th entry of a permutation drawn from ``generator``; features are
    standardised on each training fold; full-batch L-BFGS (``steps`` iterations, strong Wolfe line
    search), cross-entropy plus a small weight decay (``1e-4 ||W||^2``), in float64.

    Args:
        z: features ``(n, k)``.
        labels: integer labels ``(n,)`` in ``[0, C)``.
        folds: number of folds, ``>= 2``; each training fold needs at least two rows.
        generator: the permutation's random source (``None``: a fresh generator with torch's default seed).
        steps: L-BFGS iterations per fold (``>= 1``).

    Returns:
        The share of the ``n`` points predicted correctly when held out.
    """
    z = check_tensor(z, "z", dims=2, kind="float").double().cpu()
    n = z.shape[0]
    labels = check_labels(labels, n, name="labels").long().cpu()
    folds = check_int(folds, "folds", low=2)
    steps = check_int(steps, "steps", low=1)
    generator = check_generator(generator) or torch.Generator()
    if n - math.ceil(n / folds) < 2:
        raise ValueError(f"z has {n} rows: with folds={folds} a training fold would hold fewer than two; "
                         "pass more rows or fewer folds.")
    classes = int(labels.max()) + 1
    order = torch.randperm(n, generator=generator)
    correct = 0
    for fold in range(folds):
        test = order[fold::folds]
        train = torch.ones(n, dtype=torch.bool)
        train[test] = False
        mean, std = z[train].mean(0), z[train].std(0).clamp(min=1e-12)
        zt, zs = (z[train] - mean) / std, (z[test] - mean) / std
        weight = torch.zeros(z.shape[1], classes, dtype=torch.float64, requires_grad=True)
        bias = torch.zeros(classes, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([weight, bias], max_iter=steps, line_search_fn="strong_wolfe")
        y_train = labels[train]

        def closure(opt=opt, zt=zt, y_train=y_train, weight=weight, bias=bias) -> Tensor:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(zt @ weight + bias, y_train) + 1e-4 * weight.pow(2).sum()
            loss.backward()
            return loss

        opt.step(closure)
        with torch.no_grad():
            correct += int(((zs @ weight + bias).argmax(1) == labels[test]).sum())
    return correct / n


# --------------------------------------------------------------------------------------------------
# Partition distance (Lemmas 1-2)
# --------------------------------------------------------------------------------------------------


def region_graph_distances(n_regions: int, adjacency: Tensor, sources: Tensor) -> Tensor:
    """Breadth-first shortest-path lengths in the region adjacency graph.

    All sources expand together: each step multiplies the frontier ``(R, s)`` by the sparse adjacency
    (at most ``R`` steps).

    Args:
        n_regions: number of regions ``R >= 1``.
        adjacency: integer ``(e, 2)`` pairs of regions that share a face (either order; ``e`` may be 0).
        sources: integer ``(s,)`` region indices in ``[0, R)``.

    Returns:
        int64 ``(s, R)`` path lengths; ``-1`` where a region is unreachable.

    Raises:
        TypeError / ValueError: non-integer tensors, indices out of range.
        mlpgeo.validate.BudgetError: the ``(R, s)`` frontier would not fit the memory budget.
    """
    n_regions = check_int(n_regions, "n_regions", low=1)
    adjacency = check_tensor(adjacency, "adjacency", dims=2, kind="int", allow_empty=True).long().cpu()
    if adjacency.shape[1] != 2:
        raise ValueError(f"adjacency has shape {tuple(adjacency.shape)}; expected region pairs (e, 2).")
    sources = check_tensor(sources, "sources", dims=1, kind="int").long().cpu()
    if adjacency.numel() and (adjacency.min() < 0 or adjacency.max() >= n_regions):
        raise ValueError(f"adjacency refers to regions outside [0, {n_regions}).")
    if sources.min() < 0 or sources.max() >= n_regions:
        raise ValueError(f"sources refers to regions outside [0, {n_regions}).")
    check_budget(n_regions * sources.numel() * 21, f"the {n_regions:,} x {sources.numel():,} breadth-first search",
                 "pass fewer sources")
    edges = torch.cat([adjacency, adjacency.flip(1)])
    graph = torch.sparse_coo_tensor(
        edges.T, torch.ones(len(edges)), (n_regions, n_regions), check_invariants=True
    ).coalesce()
    dist = torch.full((n_regions, sources.numel()), -1, dtype=torch.long)
    frontier = torch.zeros(n_regions, sources.numel())
    frontier[sources, torch.arange(sources.numel())] = 1
    dist[sources, torch.arange(sources.numel())] = 0
    step = 0
    while frontier.any():
        step += 1
        reached = (torch.sparse.mm(graph, frontier) > 0) & (dist < 0)
        dist[reached] = step
        frontier = reached.float()
    return dist.T.contiguous()


def _points_2d(x: Any, name: str) -> Tensor:
    x = check_tensor(x, name, dims=2, kind="float")
    if x.shape[1] != 2:
        raise ValueError(f"{name} has shape {tuple(x.shape)}; the regions live in 2-D: pass points (n, 2).")
    return x


def partition_distance(
    regions: Regions, x: Tensor, y: Tensor | None = None, adjacency: Tensor | None = None
) -> Tensor:
    """The partition distance ``d_Omega(x_i, y_j)``: fewest face crossings between the points' regions.

    Args:
        regions: exact 2-D regions (:class:`mlpgeo.regions.Regions` from
            :func:`mlpgeo.regions.linear_regions_2d`, or any object with ``locate(points)``,
            ``adjacency()`` and ``len``).
        x: points ``(n, 2)`` inside the regions' box.
        y: points ``(m, 2)`` or ``None`` (= ``x``).
        adjacency: integer ``(e, 2)`` region pairs sharing a face; ``None`` uses ``regions.adjacency()``.

    Returns:
        int64 ``(n, m)``.

    Raises:
        ValueError: a point outside every region, or regions that the adjacency graph does not connect.
        mlpgeo.validate.BudgetError: the ``(n, m)`` result would not fit the memory budget.
    """
    x = _points_2d(x, "x")
    y = None if y is None else _points_2d(y, "y")
    m = x.shape[0] if y is None else y.shape[0]
    check_budget(x.shape[0] * m * 8, f"the {x.shape[0]:,} x {m:,} partition distances", FEWER_ROWS)
    ix = torch.as_tensor(regions.locate(x), dtype=torch.long)
    iy = ix if y is None else torch.as_tensor(regions.locate(y), dtype=torch.long)
    if (ix < 0).any() or (iy < 0).any():
        raise ValueError("some points lie outside the regions' bounds; sample inside them.")
    sources, inverse = ix.unique(return_inverse=True)
    edges = torch.as_tensor(regions.adjacency() if adjacency is None else adjacency)
    table = region_graph_distances(len(regions), edges, sources)
    out = table[inverse][:, iy]
    if (out < 0).any():
        raise ValueError("the region adjacency graph does not connect some pairs of regions.")
    return out


# --------------------------------------------------------------------------------------------------
# The appendix's width-1 chain with skip connections
# --------------------------------------------------------------------------------------------------


@dataclass
class ChainPartition:
    """The exact partition of [0, 1] by ``L`` layers ``f(z) = skip*z + scale*relu(slope*z + shift)``.

    Attributes:
        breakpoints: float64 ``(p + 1,)`` from 0 to 1; interval ``i`` is ``[breakpoints[i], breakpoints[i+1]]``.
        codes: bool ``(p, L)``: sign of each layer's pre-activation on each interval.
    """

    breakpoints: Tensor
    codes: Tensor

    def __len__(self) -> int:
        return self.codes.shape[0]

    def vq_distance(self) -> Tensor:
        """Hamming distance between the intervals' codes: float32 ``(p, p)``."""
        check_budget(len(self) ** 2 * 4, f"the {len(self):,} x {len(self):,} interval distances", "use a smaller depth")
        c = self.codes.float() * 2 - 1
        return (self.codes.shape[1] - c @ c.T) / 2

    def partition_distance(self) -> Tensor:
        """``|i - j|``: the number of breakpoints between intervals ``i`` and ``j`` (a path graph):
        float32 ``(p, p)``."""
        check_budget(len(self) ** 2 * 4, f"the {len(self):,} x {len(self):,} interval distances", "use a smaller depth")
        i = torch.arange(len(self), dtype=torch.float32)
        return (i[:, None] - i[None, :]).abs()


def skip_chain_partition(
    depth: int, skip: float = 2.0, scale: float = -1.0, slope: float = 2.0, shift: float = -1.0
) -> ChainPartition:
    """Exact linear pieces of ``F = f o ... o f`` (``depth`` times) on [0, 1], one neuron per layer.

    Each layer is ``f(z) = skip*z + scale*relu(slope*z + shift)``. The paper prints
    ``f(z) = 2z - relu(2z - 1)`` (the defaults); the tent map ``2z - 2 relu(2z - 1)`` is ``scale=-2``.
    Pieces are tracked exactly: on each current piece ``F`` is affine, so the pre-activation crosses 0 at
    most once there and the crossing is solved in closed form (float64; exact for dyadic values). The
    pieces can double with every layer (``2^depth`` for the tent map); each layer's memory is checked
    against the budget before it is built.

    Returns:
        :class:`ChainPartition` with adjacent intervals of equal code merged.

    Raises:
        TypeError / ValueError: a depth that is not an integer >= 1, non-finite coefficients.
        mlpgeo.validate.BudgetError: the pieces would outgrow the memory budget (lower ``depth``).
    """
    depth = check_int(depth, "depth", low=1)
    skip = check_number(skip, "skip")
    scale = check_number(scale, "scale")
    slope = check_number(slope, "slope")
    shift = check_number(shift, "shift")
    left = torch.tensor([0.0], dtype=torch.float64)
    right = torch.tensor([1.0], dtype=torch.float64)
    f_left, f_right = left.clone(), right.clone()
    codes = torch.zeros(1, 0, dtype=torch.bool)
    for layer in range(depth):
        check_budget(2 * len(left) * (16 * 8 + layer + 1), f"layer {layer + 1} of the chain ({2 * len(left):,} pieces at most)",
                     "use a smaller depth")
        g_left, g_right = slope * f_left + shift, slope * f_right + shift
        cross = g_left * g_right < 0
        t = torch.where(cross, g_left / (g_left - g_right), torch.zeros_like(g_left))
        x_mid = left + t * (right - left)
        f_mid = f_left + t * (f_right - f_left)
        # split every crossing piece into [left, x_mid] and [x_mid, right]
        new_left = torch.stack([left, torch.where(cross, x_mid, left)], 1)
        new_right = torch.stack([torch.where(cross, x_mid, right), right], 1)
        new_f_left = torch.stack([f_left, torch.where(cross, f_mid, f_left)], 1)
        new_f_right = torch.stack([torch.where(cross, f_mid, f_right), f_right], 1)
        keep = torch.stack([torch.ones_like(cross), cross], 1).flatten()
        left, right = new_left.flatten()[keep], new_right.flatten()[keep]
        f_left, f_right = new_f_left.flatten()[keep], new_f_right.flatten()[keep]
        codes = codes.repeat_interleave(1 + cross.long(), dim=0)
        g_mid = slope * (f_left + f_right) / 2 + shift
        codes = torch.cat([codes, (g_mid > 0)[:, None]], 1)
        pre_left, pre_right = slope * f_left + shift, slope * f_right + shift
        f_left = skip * f_left + scale * pre_left.clamp(min=0)
        f_right = skip * f_right + scale * pre_right.clamp(min=0)
    change = torch.ones(len(codes), dtype=torch.bool)
    change[1:] = (codes[1:] != codes[:-1]).any(1)
    starts = change.nonzero().flatten()
    breakpoints = torch.cat([left[starts], right[-1:]])
    return ChainPartition(breakpoints, codes[starts])


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------


def plot_kernel(
    d: Tensor,
    labels: Tensor | None = None,
    ax: Axes | None = None,
    title: str = "",
    cmap: str = "magma",
    max_pixels: int = 200,
    colorbar_label: str = "distance",
) -> Axes:
    """Show a kernel ``d: (n, m)`` as an image, rows and columns ordered by label (stable) when ``labels:
    (n,)`` is given (square kernels only).

    Kernels larger than ``max_pixels`` are block-averaged (factor ``ceil(max(n, m) / max_pixels)``) to keep
    figures light; ``colorbar_label`` names the colour scale.

    Returns:
        The axes drawn on.
    """
    d = check_tensor(d, "d", dims=2, kind="any")
    max_pixels = check_int(max_pixels, "max_pixels", low=1)
    ax = ax or plt.gca()
    if labels is not None:
        if d.shape[0] != d.shape[1]:
            raise ValueError(f"d has shape {tuple(d.shape)}; ordering by labels needs a square kernel.")
        order = check_labels(labels, d.shape[0], name="labels").cpu().argsort(stable=True)
        d = d[order][:, order]
    factor = max(1, math.ceil(max(d.shape) / max_pixels))
    if factor > 1:
        d = torch.nn.functional.avg_pool2d(d.float()[None, None], factor, ceil_mode=True)[0, 0]
    extent = (0, d.shape[1] * factor, d.shape[0] * factor, 0)
    image = ax.imshow(d.cpu().numpy(), cmap=cmap, interpolation="nearest", extent=extent)
    ax.set_title(title)
    ax.set_xlabel("sample j (ordered by label)" if labels is not None else "sample j")
    ax.set_ylabel("sample i")
    ax.grid(False)
    plt.colorbar(image, ax=ax, shrink=0.8, label=colorbar_label)
    return ax


def plot_embedding(z: Tensor, labels: Tensor, ax: Axes | None = None, title: str = "") -> Axes:
    """Scatter a 2-D embedding ``z: (n, >= 2)`` (its first two columns) coloured by integer ``labels: (n,)``.

    Returns:
        The axes drawn on.
    """
    z = check_tensor(z, "z", dims=2, kind="float")
    if z.shape[1] < 2:
        raise ValueError(f"z has shape {tuple(z.shape)}; a 2-D scatter needs at least two columns.")
    labels = check_labels(labels, z.shape[0], name="labels").cpu()
    z = z.detach().cpu()
    ax = ax or plt.gca()
    for c in labels.unique().tolist():
        mask = labels == c
        ax.scatter(z[mask, 0], z[mask, 1], s=10, color=color(int(c)), label=f"class {c}")
    ax.set_title(title)
    ax.set_xlabel("MDS 1")
    ax.set_ylabel("MDS 2")
    ax.legend(loc="best", fontsize=8)
    return ax


def plot_cosine_table(table: Tensor, names: Sequence[str], ax: Axes | None = None, title: str = "") -> Axes:
    """A ``k x k`` cosine table (values in [0, 1]) as an annotated heatmap with ``names`` on both axes.

    Returns:
        The axes drawn on.
    """
    table = check_tensor(table, "table", dims=2, kind="float")
    if table.shape[0] != table.shape[1] or len(names) != table.shape[0]:
        raise ValueError(f"table has shape {tuple(table.shape)} and names {len(names)} entries; "
                         "give a square (k, k) table and k names.")
    ax = ax or plt.gca()
    t = table.detach().cpu().double().numpy()
    ax.imshow(t, vmin=0, vmax=1, cmap="viridis")
    for i in range(t.shape[0]):
        for j in range(t.shape[1]):
            ax.text(j, i, f"{t[i, j]:.2f}", ha="center", va="center", color="white" if t[i, j] < 0.6 else "black")
    ax.set_xticks(range(len(names)), names, rotation=30)
    ax.set_yticks(range(len(names)), names)
    ax.set_title(title)
    ax.grid(False)
    return ax
