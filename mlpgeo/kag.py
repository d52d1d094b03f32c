"""Kolmogorov-Arnold geometry (KAG): statistics of the minors of hidden-layer Jacobians.

For an input ``x`` and hidden layer ``l`` (1-based) the Jacobian ``J(x)`` of the layer's
post-activation output with respect to the input has one row per hidden unit and one column per input
(pixel). For a piecewise-linear network it has a closed form, the activation slopes times the weights,
composed through the layers:

    J_1 = diag(s_1) W_1,    J_l = diag(s_l) W_l J_{l-1},    s_l = act'(z_l)  (ReLU: 1[z_l > 0]).

A *k-minor* is the determinant of a ``k x k`` submatrix of ``J`` (k distinct rows, k distinct columns).
There are far too many to enumerate at 784 inputs, so ``N`` of them are sampled at random (the authors'
toolkit: ``N = 500``, ``k = 2``). Three statistics of the sampled minors ``m`` measure how concentrated
and how axis-aligned the Jacobian is:

- participation ratio, toolkit convention ``PR = ||m||_2 / ||m||_1`` in ``[1/sqrt(N), 1]``
  (higher = more concentrated); the physics convention ``||m||_1^2 / (N ||m||_2^2)`` (higher = more
  uniform) is available by name;
- KL divergence from uniform of ``p = |m| / sum |m|``: ``KL = sum_i p_i log(N p_i)`` in ``[0, log N]``;
- rotation ratio ``RR = max|m(J)| / mean_q max|m(Q_q J)|`` over Haar-random orthogonal ``Q_q``
  rotating the hidden units (rows; the input side is an option), fresh minors on each side.

Each is usually reported as a ratio trained / randomly initialised network on the same inputs
(:func:`metric_ratios`). Spatial scale: the minors' columns may be drawn from the pixels of a Euclidean
ball (centre, radius) on a square image grid (:func:`ball_pixels`; 28 x 28 by default).

Conventions: randomness comes from a ``generator`` (a CPU ``torch.Generator``; ``None`` means a fresh
generator seeded 0, so a call without one is still reproducible); hidden layers are 1-based; Jacobians
and minors are computed in the model's dtype (float32 or float64). Work whose memory grows with the
number of inputs or minors is checked against :func:`mlpgeo.validate.memory_budget` first: it runs in
chunks of inputs when one pass would not fit, and is refused up front (naming the size and the argument
that lowers it) when not even one input fits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import Tensor, nn

from mlpgeo.models import weights
from mlpgeo.plotting import color
from mlpgeo.validate import (
    PIECEWISE_LINEAR,
    check_budget,
    check_choice,
    check_dtype,
    check_generator,
    check_int,
    check_layer,
    check_model,
    check_number,
    check_tensor,
    check_x,
    chunk_rows,
)

__all__ = [
    "IMAGE_CENTER",
    "IMAGE_SIDE",
    "METRICS",
    "JacobianBatch",
    "JacobianFactors",
    "KAMetrics",
    "ZeroRows",
    "active_rows",
    "ball_mask",
    "ball_pixels",
    "dead_units",
    "dense",
    "distinct_indices",
    "first_layer_factors",
    "gather_minors",
    "grid_centers",
    "haar_orthogonal",
    "jacobian_metrics",
    "jacobian_metrics_shared",
    "jacobian_shape",
    "jacobians_autograd",
    "jacobians_closed_form",
    "ka_metrics",
    "kl_from_uniform",
    "layer_batch",
    "layer_jacobians",
    "metric_ratios",
    "participation_ratio",
    "plot_ball_centres",
    "plot_ball_masks",
    "plot_jacobian_rows",
    "plot_minor_histogram",
    "rotated_minors",
    "rotated_row_minors",
    "rotation_ratio",
    "row_norms",
    "sample_minor_indices",
    "sample_minors",
    "small_det",
    "transposed_jacobians",
    "unit_norms",
    "zero_row_fraction",
    "zero_row_threshold",
    "zero_rows",
]

IMAGE_SIDE = 28
"""Side of the default image grid (MNIST)."""
IMAGE_CENTER = (13.5, 13.5)
"""Centre ``(row, column)`` of the default 28 x 28 grid, in pixel coordinates."""
PR_CONVENTIONS = ("toolkit", "physics")
ROTATE_SIDES = ("rows", "columns")
ROW_SETS = ("all", "active")
METHODS = ("auto", "closed_form", "autograd")
METRICS = ("pr", "kl", "rr")
"""The three statistics: participation ratio, KL divergence from uniform, rotation ratio."""
INDEX_BYTES = 8  # a long index


# --------------------------------------------------------------------------------------------------
# Shared checks (private)
# --------------------------------------------------------------------------------------------------


def _generator(generator: Any) -> torch.Generator:
    """A CPU generator: ``generator`` itself, or a fresh one seeded 0 for ``None``."""
    generator = check_generator(generator)
    if generator is None:
        return torch.Generator().manual_seed(0)
    if generator.device.type != "cpu":
        raise ValueError(
            f"generator lives on {generator.device}; mlpgeo.kag draws its indices on the CPU: pass "
            "torch.Generator() (the results are moved to the Jacobians' device)."
        )
    return generator


def _check_jacobians(jac: Any, name: str = "jac") -> JacobianBatch:
    """A valid Jacobian batch: a float tensor ``(n, h, d)`` or :class:`JacobianFactors`."""
    if isinstance(jac, tuple):
        if len(jac) != 2:
            raise ValueError(f"{name} as factors must be a pair (slopes (n, h), weight (h, d)), got {len(jac)} items.")
        slopes = check_tensor(jac[0], f"{name} slopes", dims=2)
        weight = check_tensor(jac[1], f"{name} weight", dims=2)
        if slopes.shape[1] != weight.shape[0]:
            raise ValueError(
                f"{name}: slopes {tuple(slopes.shape)} and weight {tuple(weight.shape)} do not match; "
                "factors are (slopes (n, h), weight (h, d))."
            )
        if slopes.dtype != weight.dtype or slopes.device != weight.device:
            raise TypeError(f"{name}: slopes and weight must share dtype and device, got {slopes.dtype} / {weight.dtype}.")
        return JacobianFactors(slopes, weight)
    return check_tensor(jac, name, dims=3)


def _itemsize(jac: JacobianBatch) -> int:
    return (jac[1] if isinstance(jac, tuple) else jac).element_size()


def _device(jac: JacobianBatch) -> torch.device:
    return (jac[1] if isinstance(jac, tuple) else jac).device


def _check_index(index: Any, name: str, dims: int, high: int, what: str) -> Tensor:
    """A long tensor of indices in ``0 .. high - 1``."""
    index = check_tensor(index, name, dims=dims, kind="int", allow_empty=True)
    if index.numel() and (int(index.min()) < 0 or int(index.max()) >= high):
        raise ValueError(f"{name} holds indices in [{int(index.min())}, {int(index.max())}]; {what} are numbered 0..{high - 1}.")
    return index.long()


def _check_columns(columns: Any, d: int) -> Tensor | None:
    """A column subset: distinct long indices into ``d`` inputs (``None``: every column)."""
    if columns is None:
        return None
    columns = check_tensor(columns, "columns", kind="int", allow_empty=True).long().flatten()
    if columns.numel() == 0:
        raise ValueError("columns is empty; pass at least k pixel indices (or None for every column).")
    if int(columns.min()) < 0 or int(columns.max()) >= d:
        raise ValueError(f"columns must lie in 0..{d - 1} (the Jacobians have {d} columns), got "
                         f"[{int(columns.min())}, {int(columns.max())}].")
    if torch.unique(columns).numel() != columns.numel():
        raise ValueError("columns holds duplicate indices; a k-minor needs k distinct columns.")
    return columns


def _check_minor_args(jac: Any, k: Any, n_minors: Any, columns: Any) -> tuple[JacobianBatch, int, int, Tensor | None]:
    """Validate a Jacobian batch, a minor size, a number of minors and a column set."""
    jac = _check_jacobians(jac)
    _, h, d = jacobian_shape(jac)
    n_minors = check_int(n_minors, "n_minors", low=1)
    k = check_int(k, "k", low=1)
    columns = _check_columns(columns, d)
    n_cols = d if columns is None else columns.numel()
    if k > h:
        raise ValueError(f"k={k} is larger than the layer ({h} units): a k-minor needs k distinct rows; lower k.")
    if k > n_cols:
        raise ValueError(f"k={k} is larger than the column set ({n_cols} pixels): enlarge the radius or lower k.")
    return jac, k, n_minors, columns


def _minor_budget(n: int, n_minors: int, k: int, itemsize: int) -> None:
    """Refuse minors whose (n, N) result and (n, N, k) indices do not fit in the memory budget."""
    check_budget(
        n * n_minors * (itemsize + 2 * k * INDEX_BYTES),
        f"{n:,} x {n_minors:,} sampled {k}-minors and their indices",
        "lower n_minors or pass fewer inputs",
    )


def _rotation_budget(jac: JacobianBatch, k: int, n_minors: int, side: str, columns: Tensor | None, name: str) -> None:
    """Refuse a rotation ratio whose minors, rotations or transposed copy exceed the memory budget."""
    n, h, d = jacobian_shape(jac)
    n_cols = d if columns is None else columns.numel()
    size = h if side == "rows" else n_cols
    _minor_budget(n, n_minors, k, _itemsize(jac))
    check_budget(4 * size * size * 8, f"a {size:,} x {size:,} random rotation",
                 f"rotate fewer coordinates (a smaller column set, or {name}='rows')")
    if side == "rows" and not isinstance(jac, tuple):
        check_budget(n * n_cols * h * _itemsize(jac), f"the transposed {n:,} x {n_cols:,} x {h:,} Jacobians",
                     "pass fewer inputs or a smaller column set")


def _input_chunk(bytes_per_input: float, n: int, what: str, fix: str, cap: int | None = None) -> int:
    """How many inputs to process at once; refuses when one input alone exceeds the budget."""
    check_budget(bytes_per_input, f"{what} for a single input", fix)
    size = chunk_rows(bytes_per_input, n)
    return max(1, min(size, cap)) if cap is not None else size


# --------------------------------------------------------------------------------------------------
# Jacobians
# --------------------------------------------------------------------------------------------------


class JacobianFactors(NamedTuple):
    """A first hidden layer's Jacobians in factored form ``J_i = diag(slopes_i) weight`` (never materialised).

    Attributes:
        slopes: ``(n, h)``, the activation slopes ``act'(W_1 x_i + b_1)`` (ReLU: the pattern).
        weight: ``(h, d)``, the effective first-layer weight ``W_1``.
    """

    slopes: Tensor
    weight: Tensor


JacobianBatch = Tensor | JacobianFactors | tuple[Tensor, Tensor]
"""A batch of Jacobians: a tensor ``(n, h, d)``, or a first layer's factors ``(slopes (n, h), weight (h, d))``
meaning ``J_i = diag(slopes_i) weight`` (never materialised)."""


def _activation_slope(act: nn.Module, z: Tensor) -> Tensor:
    """Derivative of a piecewise-linear activation at pre-activations ``z`` (ReLU: ``1[z > 0]``, 0 at 0).

    Raises:
        TypeError: a curved activation (GELU, tanh): use autograd instead.
    """
    if isinstance(act, nn.LeakyReLU):
        return torch.where(z > 0, torch.ones_like(z), torch.full_like(z, act.negative_slope))
    if isinstance(act, nn.ReLU):
        return (z > 0).to(z.dtype)
    raise TypeError(f"{type(act).__name__} is not piecewise linear; use method='autograd'.")


def _jacobian_budget(model: nn.Sequential, x: Tensor, layer: int) -> tuple[int, int]:
    """Refuse Jacobians ``(n, w_layer, d)`` over the budget; return ``(bytes per input of the peak, n)``."""
    layers = check_model(model)[:layer]
    n, d = x.shape
    itemsize = x.element_size()
    width = layers[-1][0].out_features
    check_budget(n * width * d * itemsize, f"the {n:,} x {width:,} x {d:,} Jacobians of hidden layer {layer}",
                 "pass fewer rows in x (the Jacobians are computed for every input at once)")
    widest = max(linear.out_features for linear, _ in layers)
    return 3 * widest * d * itemsize, n


@torch.no_grad()
def _closed_form(layers: list[tuple[nn.Linear, nn.Module]], W: list[Tensor], h: Tensor) -> Tensor:
    jac: Tensor | None = None
    for (linear, act), weight in zip(layers, W):
        z = linear(h)
        slope = _activation_slope(act, z)  # (n, w)
        if jac is None:
            jac = slope[:, :, None] * weight[None]
        else:
            jac = slope[:, :, None] * torch.matmul(weight, jac)
        h = act(z)
    assert jac is not None
    return jac


def jacobians_closed_form(model: nn.Sequential, x: Tensor, layer: int = 1) -> Tensor:
    """Closed-form Jacobians of a piecewise-linear hidden layer: slopes times weights, composed.

    ``J_1 = diag(s_1) W_1`` and ``J_l = diag(s_l) W_l J_{l-1}`` with ``s_l`` the activation slopes
    (ReLU: ``1[z_l > 0]``, the activation pattern) and ``W_l`` the effective weights
    (:func:`mlpgeo.models.weights`: LoRA adapters merged). At ``z = 0`` exactly ReLU's slope is taken as 0.
    Computed in the model's dtype, in chunks of inputs when one pass would exceed the memory budget.

    Args:
        model: an MLP whose activations up to ``layer`` are ReLU or LeakyReLU.
        x: inputs ``(n, d_in)``.
        layer: 1-based hidden layer index.

    Returns:
        ``(n, width_layer, d_in)``.

    Raises:
        TypeError: a curved activation (GELU, tanh) before or at ``layer``.
        ValueError: bad input, a layer that does not exist, or Jacobians larger than the memory budget.
    """
    layer = check_layer(model, layer)
    layers = check_model(model)[:layer]
    for index, (_, act) in enumerate(layers):
        if not isinstance(act, PIECEWISE_LINEAR):
            raise TypeError(f"hidden layer {index + 1} uses {type(act).__name__}, which is not piecewise linear; "
                            "use method='autograd'.")
    h = check_x(model, x)
    W = [w for w, _ in weights(model)[:layer]]
    per_input, n = _jacobian_budget(model, h, layer)
    size = chunk_rows(per_input, n)
    if size >= n:
        return _closed_form(layers, W, h)
    return torch.cat([_closed_form(layers, W, h[start : start + size]) for start in range(0, n, size)])


def jacobians_autograd(model: nn.Sequential, x: Tensor, layer: int = 1) -> Tensor:
    """Jacobians of hidden layer ``layer``'s output by automatic differentiation (torch.func).

    ``torch.func.vmap(torch.func.jacrev(f))`` over the batch, ``f`` the map from one input to the
    layer's post-activation output. Works for any activation (GELU, tanh, ReLU, ...). Computed in the
    model's dtype, in chunks of inputs when one pass would exceed the memory budget.

    Args:
        model: an MLP.
        x: inputs ``(n, d_in)``.
        layer: 1-based hidden layer index.

    Returns:
        ``(n, width_layer, d_in)``.

    Raises:
        ValueError: bad input, a layer that does not exist, or Jacobians larger than the memory budget.
    """
    layer = check_layer(model, layer)
    layers = check_model(model)[:layer]
    x = check_x(model, x)
    per_input, n = _jacobian_budget(model, x, layer)
    sub = nn.Sequential(*[m for pair in layers for m in pair])

    def f(v: Tensor) -> Tensor:
        return sub(v[None])[0]

    jac_fn = torch.func.vmap(torch.func.jacrev(f))
    size = chunk_rows(per_input, n)
    with torch.no_grad():
        if size >= n:
            return jac_fn(x).detach()
        return torch.cat([jac_fn(x[start : start + size]).detach() for start in range(0, n, size)])


def layer_jacobians(model: nn.Sequential, x: Tensor, layer: int = 1, method: str = "auto") -> Tensor:
    """Jacobians ``J(x) = d a_layer / d x`` of a hidden layer's output for a batch.

    Args:
        model: an MLP ``nn.Sequential(Linear, act, ..., Linear)``.
        x: inputs ``(n, d_in)``.
        layer: 1-based hidden layer index.
        method: ``"auto"`` (closed form when every activation up to ``layer`` is piecewise linear,
            else autograd), ``"closed_form"`` or ``"autograd"``.

    Returns:
        ``(n, width_layer, d_in)``: rows = hidden units, columns = inputs, in the model's dtype.

    Raises:
        ValueError: unknown method, bad input, a layer that does not exist, Jacobians over the memory budget.
        TypeError: ``method="closed_form"`` with a curved activation.
    """
    check_choice(method, "method", METHODS)
    layer = check_layer(model, layer)
    piecewise = all(isinstance(act, PIECEWISE_LINEAR) for _, act in check_model(model)[:layer])
    if method == "closed_form" or (method == "auto" and piecewise):
        return jacobians_closed_form(model, x, layer)
    return jacobians_autograd(model, x, layer)


def first_layer_factors(model: nn.Sequential, x: Tensor) -> JacobianFactors:
    """The first hidden layer's Jacobians in factored form ``J_i = diag(s_i) W_1``.

    ``s_i = act'(W_1 x_i + b_1)``: the activation slopes (ReLU: the pattern; GELU etc.: the derivative,
    computed by autograd of the element-wise activation). ``W_1`` is the effective weight
    (:func:`mlpgeo.models.weights`). Memory ``O(n h + h d)`` instead of ``O(n h d)``.

    Args:
        model: an MLP.
        x: inputs ``(n, d_in)``.

    Returns:
        :class:`JacobianFactors` ``(slopes (n, h_1), weight (h_1, d_in))``, in the model's dtype.
    """
    check_layer(model, 1)
    (linear, act), *_ = check_model(model)
    x = check_x(model, x)
    with torch.no_grad():
        z = linear(x)
    if isinstance(act, PIECEWISE_LINEAR):
        slopes = _activation_slope(act, z)
    else:
        z = z.detach().requires_grad_(True)
        with torch.enable_grad():
            (slopes,) = torch.autograd.grad(act(z).sum(), z)
    return JacobianFactors(slopes.detach(), weights(model)[0][0])


def layer_batch(model: nn.Sequential, x: Tensor, layer: int = 1) -> JacobianBatch:
    """The cheapest exact representation of a layer's Jacobians: :class:`JacobianFactors` for layer 1,
    else the tensor ``(n, h, d)`` of :func:`layer_jacobians`."""
    layer = check_layer(model, layer)
    return first_layer_factors(model, x) if layer == 1 else layer_jacobians(model, x, layer)


def jacobian_shape(jac: JacobianBatch) -> tuple[int, int, int]:
    """``(n, h, d)`` of a Jacobian batch (tensor or factors).

    Raises:
        TypeError / ValueError: not a ``(n, h, d)`` float tensor nor a pair ``(slopes (n, h), weight (h, d))``.
    """
    if isinstance(jac, tuple):
        if len(jac) != 2 or not all(isinstance(t, Tensor) for t in jac) or jac[0].dim() != 2 or jac[1].dim() != 2 \
                or jac[0].shape[1] != jac[1].shape[0]:
            raise ValueError("factored Jacobians must be (slopes (n, h), weight (h, d)).")
        return jac[0].shape[0], jac[1].shape[0], jac[1].shape[1]
    if not isinstance(jac, Tensor) or jac.dim() != 3:
        raise ValueError(f"jac must be a (n, h, d) tensor of Jacobians, got {getattr(jac, 'shape', type(jac).__name__)}.")
    return tuple(jac.shape)  # type: ignore[return-value]


def dense(jac: JacobianBatch) -> Tensor:
    """The Jacobian batch as a tensor ``(n, h, d)`` (factors multiplied out).

    Raises:
        ValueError: an invalid batch, or a dense tensor larger than the memory budget.
    """
    jac = _check_jacobians(jac)
    if isinstance(jac, tuple):
        n, h, d = jacobian_shape(jac)
        check_budget(n * h * d * _itemsize(jac), f"the dense {n:,} x {h:,} x {d:,} Jacobians", "pass fewer inputs")
        slopes, weight = jac
        return slopes[:, :, None] * weight[None]
    return jac


# --------------------------------------------------------------------------------------------------
# Sampling minors
# --------------------------------------------------------------------------------------------------


def distinct_indices(
    shape: Sequence[int], k: int, high: int | Tensor, generator: torch.Generator | None = None
) -> Tensor:
    """Draw ``k`` distinct integers uniformly from ``0 .. high-1`` for every position of ``shape``.

    Sequential draws without replacement, vectorised: the j-th index is drawn from ``high - j`` values
    and shifted past the earlier ones (visited in increasing order), which makes every ordered k-tuple of
    distinct values equally likely.

    Args:
        shape: batch shape, e.g. ``(n, N)``.
        k: how many distinct indices per position.
        high: the range size, an int or an integer tensor broadcastable to ``shape`` (per-position ranges).
        generator: the random source, on the CPU (``None``: a fresh generator seeded 0).

    Returns:
        Long tensor ``(*shape, k)`` on the CPU.

    Raises:
        TypeError: non-integer shape, ``k`` or ``high``.
        ValueError: ``k < 1``, ``k > high``, a ``high`` not broadcastable to ``shape``, or a draw larger
            than the memory budget.
    """
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
        raise TypeError(f"shape must be a sequence of sizes such as (n, N), got {type(shape).__name__}.")
    shape = tuple(check_int(s, f"shape[{i}]", low=0) for i, s in enumerate(shape))
    k = check_int(k, "k", low=1)
    if isinstance(high, Tensor):
        high_t = check_tensor(high, "high", kind="int").long().cpu()  # the generator draws on the CPU
        try:
            if torch.broadcast_shapes(high_t.shape, shape) != shape:
                raise RuntimeError
        except RuntimeError:
            raise ValueError(f"high has shape {tuple(high_t.shape)}, which does not broadcast to shape {shape}.") from None
    else:
        high_t = torch.tensor(check_int(high, "high", low=1))
    generator = _generator(generator)
    if int(high_t.min()) < k:
        raise ValueError(f"cannot draw k={k} distinct indices from a range of size {int(high_t.min())}; lower k.")
    count = math.prod(shape)
    check_budget(count * (2 * k + 4) * INDEX_BYTES, f"drawing {count:,} x {k} distinct indices",
                 "lower n_minors or pass fewer inputs")
    high_t = high_t.expand(shape)
    chosen: list[Tensor] = []
    for j in range(k):
        u = (torch.rand(shape, generator=generator) * (high_t - j)).long()
        u = torch.minimum(u, high_t - j - 1)  # guard against rand() rounding up to 1.0
        if chosen:
            previous = torch.sort(torch.stack(chosen, dim=-1), dim=-1).values
            for i in range(previous.shape[-1]):
                u = u + (u >= previous[..., i]).long()
        chosen.append(u)
    return torch.stack(chosen, dim=-1)


def sample_minor_indices(
    n_inputs: int,
    n_minors: int,
    k: int,
    n_rows: int | Tensor,
    n_cols: int,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Row and column positions of ``n_minors`` random k-minors for each of ``n_inputs`` Jacobians.

    Args:
        n_inputs: number of Jacobians ``n``.
        n_minors: minors per Jacobian ``N``.
        k: minor size.
        n_rows: number of rows to draw from (an int, or ``(n, 1)`` per-input counts).
        n_cols: number of columns to draw from.
        generator: the random source (``None``: a fresh generator seeded 0); rows are drawn first.

    Returns:
        ``(rows, cols)``, long ``(n, N, k)`` each: positions ``< n_rows`` and ``< n_cols``.
    """
    n_inputs = check_int(n_inputs, "n_inputs", low=1)
    n_minors = check_int(n_minors, "n_minors", low=1)
    n_cols = check_int(n_cols, "n_cols", low=1)
    generator = _generator(generator)
    rows = distinct_indices((n_inputs, n_minors), k, n_rows, generator)
    cols = distinct_indices((n_inputs, n_minors), k, n_cols, generator)
    return rows, cols


def small_det(sub: Tensor) -> Tensor:
    """Determinants of a batch of ``k x k`` matrices ``(..., k, k) -> (...)``.

    ``k = 1``: the entry; ``k = 2``: ``ad - bc`` in closed form; larger ``k``: ``torch.linalg.det``.

    Raises:
        TypeError / ValueError: not a float tensor of square blocks, or non-finite entries.
    """
    sub = check_tensor(sub, "sub", allow_empty=True)
    if sub.dim() < 2 or sub.shape[-2] != sub.shape[-1]:
        raise ValueError(f"minors need square blocks (..., k, k), got shape {tuple(sub.shape)}.")
    return _small_det(sub)


def _small_det(sub: Tensor) -> Tensor:
    k = sub.shape[-1]
    if k == 1:
        return sub[..., 0, 0]
    if k == 2:
        return sub[..., 0, 0] * sub[..., 1, 1] - sub[..., 0, 1] * sub[..., 1, 0]
    return torch.linalg.det(sub)


def gather_minors(jac: JacobianBatch, rows: Tensor, cols: Tensor) -> Tensor:
    """The minors ``det J_i[rows[i, j], cols[i, j]]`` for given index tuples (signed).

    The indices may live on the CPU (where the generators draw them); they are moved to the Jacobians'
    device (CPU or CUDA). Inputs are processed in chunks when the ``(n, N, k, k)`` blocks would exceed the
    memory budget.

    Args:
        jac: Jacobians ``(n, h, d)`` or factors (see :data:`JacobianBatch`).
        rows: long ``(n, N, k)`` row indices into ``h``.
        cols: long ``(n, N, k)`` column indices into ``d``.

    Returns:
        ``(n, N)`` in the Jacobians' dtype.

    Raises:
        TypeError / ValueError: indices that are not integers, of another shape, or out of range.
    """
    jac = _check_jacobians(jac)
    n, h, d = jacobian_shape(jac)
    rows = _check_index(rows, "rows", 3, h, "rows (hidden units)")
    cols = _check_index(cols, "cols", 3, d, "columns (inputs)")
    if rows.shape != cols.shape or rows.shape[0] != n:
        raise ValueError(f"rows {tuple(rows.shape)} and cols {tuple(cols.shape)} must both be (n={n}, N, k).")
    _minor_budget(n, rows.shape[1], rows.shape[2], _itemsize(jac))
    return _gather_minors(jac, rows, cols)


def _gather_minors(jac: JacobianBatch, rows: Tensor, cols: Tensor) -> Tensor:
    n, n_minors, k = rows.shape
    per_input = n_minors * k * k * (3 * INDEX_BYTES + 2 * _itemsize(jac))
    size = _input_chunk(per_input, n, f"the {n_minors:,} {k} x {k} blocks", "lower n_minors")
    if size >= n:
        return _gather_chunk(jac, rows, cols)
    parts = []
    for start in range(0, n, size):
        part = jac[start : start + size] if not isinstance(jac, tuple) else JacobianFactors(jac[0][start : start + size], jac[1])
        parts.append(_gather_chunk(part, rows[start : start + size], cols[start : start + size]))
    return torch.cat(parts)


def _gather_chunk(jac: JacobianBatch, rows: Tensor, cols: Tensor) -> Tensor:
    device = _device(jac)
    rows, cols = rows.to(device), cols.to(device)
    if isinstance(jac, tuple):  # J_i[r, c] = slopes_i[r] W[r, c]
        slopes, weight = jac
        sub = torch.gather(slopes, 1, rows.reshape(len(slopes), -1)).reshape(rows.shape)[..., :, None]
        sub = sub * weight[rows[..., :, None], cols[..., None, :]]
        return _small_det(sub)
    n = jac.shape[0]
    batch = torch.arange(n, device=jac.device)[:, None, None, None]
    sub = jac[batch, rows[..., :, None], cols[..., None, :]]  # (n, N, k, k)
    return _small_det(sub)


def active_rows(jac: JacobianBatch) -> Tensor:
    """Rows of each Jacobian that are not exactly zero: bool ``(n, h)`` (ReLU: the active units)."""
    jac = _check_jacobians(jac)
    return _active_rows(jac)


def _active_rows(jac: JacobianBatch) -> Tensor:
    if isinstance(jac, tuple):
        slopes, weight = jac
        return slopes.ne(0) & weight.ne(0).any(dim=1)[None]
    return (jac.amax(dim=-1) > 0) | (jac.amin(dim=-1) < 0)  # two reductions, no (n, h, d) mask


def _row_choice(jac: JacobianBatch, k: int, n_minors: int, rows: str, generator: torch.Generator) -> Tensor:
    """Minor rows from all units (``"all"``, positions shared by the batch) or each input's nonzero rows.

    Inputs with fewer than ``k`` nonzero rows get rows drawn from all units (their minors are then 0).
    """
    n, h, _ = jacobian_shape(jac)
    if rows == "all":
        return distinct_indices((1, n_minors), k, h, generator).expand(n, n_minors, k)
    active = _active_rows(jac)
    count = active.sum(dim=1, keepdim=True)  # (n, 1)
    usable = torch.where(count >= k, count, torch.full_like(count, h))
    order = torch.argsort((~active).to(torch.int8), dim=1, stable=True)  # active units first
    pos = distinct_indices((n, n_minors), k, usable, generator).to(order.device)
    return torch.gather(order[:, None, :].expand(n, n_minors, h), 2, pos)


def sample_minors(
    jac: JacobianBatch,
    k: int = 2,
    n_minors: int = 500,
    generator: torch.Generator | None = None,
    columns: Tensor | None = None,
    rows: str = "all",
) -> Tensor:
    """``N`` random k-minors of each Jacobian, vectorised over minors and inputs.

    The column positions (and the rows, with ``rows="all"``) are drawn once per call and shared by the
    inputs of the batch (each input still sees a uniform sample). With ``rows="active"`` the rows of
    input ``i`` are drawn from its nonzero rows (ReLU: its active units); an input with fewer than ``k``
    of them gets rows from all units, and its minors are then 0.

    Args:
        jac: Jacobians ``(n, h, d)`` or factors (see :data:`JacobianBatch`).
        k: minor size (1, 2, 3, ...), at most ``h`` and the number of columns.
        n_minors: minors per Jacobian ``N``.
        generator: the random source (``None``: a fresh generator seeded 0); rows are drawn first.
        columns: optional long indices of the columns (pixels) to draw from.
        rows: ``"all"`` units or only each input's ``"active"`` (nonzero) rows.

    Returns:
        Signed minors ``(n, N)`` in the Jacobians' dtype.

    Raises:
        ValueError: ``k`` larger than the layer or the column set; bad columns; an unknown row set;
            minors (``n x N``) larger than the memory budget (lower ``n_minors``).
    """
    jac, k, n_minors, columns = _check_minor_args(jac, k, n_minors, columns)
    check_choice(rows, "rows", ROW_SETS)
    generator = _generator(generator)
    n, _, _ = jacobian_shape(jac)
    _minor_budget(n, n_minors, k, _itemsize(jac))
    return _sample_minors(jac, k, n_minors, generator, columns, rows)


def _sample_minors(
    jac: JacobianBatch, k: int, n_minors: int, generator: torch.Generator, columns: Tensor | None, rows: str
) -> Tensor:
    n, _, d = jacobian_shape(jac)
    row_index = _row_choice(jac, k, n_minors, rows, generator)
    pos = distinct_indices((1, n_minors), k, d if columns is None else columns.numel(), generator).expand(n, n_minors, k)
    col_index = pos if columns is None else columns.cpu()[pos]
    return _gather_minors(jac, row_index, col_index)


# --------------------------------------------------------------------------------------------------
# Statistics of minors
# --------------------------------------------------------------------------------------------------


def participation_ratio(minors: Tensor, convention: str = "toolkit") -> Tensor:
    """Participation ratio of minors along the last dimension.

    - ``"toolkit"`` (the authors' code): ``||m||_2 / ||m||_1`` in ``[1/sqrt(N), 1]``; 1 = one minor
      carries everything (concentrated), ``1/sqrt(N)`` = all equal.
    - ``"physics"``: ``||m||_1^2 / (N ||m||_2^2)`` in ``[1/N, 1]``; 1 = all equal (uniform).

    Computed in float64, returned in the minors' dtype.

    Args:
        minors: float ``(..., N)``, finite.
        convention: ``"toolkit"`` or ``"physics"``.

    Returns:
        ``(...)``; NaN exactly where every minor is zero (the ratio is undefined there).
    """
    minors = check_tensor(minors, "minors")
    if minors.dim() < 1:
        raise ValueError("minors must have at least one dimension (..., N).")
    check_choice(convention, "convention", PR_CONVENTIONS)
    return _participation_ratio(minors, convention)


def _participation_ratio(minors: Tensor, convention: str) -> Tensor:
    a = minors.abs().double()
    l1 = a.sum(dim=-1)
    l2 = a.pow(2).sum(dim=-1).sqrt()
    nan = torch.full_like(l1, float("nan"))
    if convention == "toolkit":
        out = torch.where(l1 > 0, l2 / l1.clamp_min(1e-300), nan)
    else:
        out = torch.where(l2 > 0, l1.pow(2) / (a.shape[-1] * l2.pow(2)).clamp_min(1e-300), nan)
    return out.to(minors.dtype)


def kl_from_uniform(minors: Tensor) -> Tensor:
    """KL divergence of ``p = |m| / sum |m|`` from the uniform distribution, along the last dimension.

    ``KL = sum_i p_i log(N p_i)`` (natural log, ``0 log 0 = 0``): 0 when all ``|m_i|`` are equal,
    ``log N`` when one minor carries everything. Computed in float64, returned in the minors' dtype.

    Args:
        minors: float ``(..., N)``, finite.

    Returns:
        ``(...)``; NaN exactly where every minor is zero (the distribution is undefined there).
    """
    minors = check_tensor(minors, "minors")
    if minors.dim() < 1:
        raise ValueError("minors must have at least one dimension (..., N).")
    return _kl_from_uniform(minors)


def _kl_from_uniform(minors: Tensor) -> Tensor:
    a = minors.abs().double()
    total = a.sum(dim=-1, keepdim=True)
    p = a / total.clamp_min(1e-300)
    n = a.shape[-1]
    terms = torch.where(p > 0, p * torch.log(p.clamp_min(1e-300) * n), torch.zeros_like(p))
    out = torch.where(total[..., 0] > 0, terms.sum(dim=-1), torch.full_like(total[..., 0], float("nan")))
    return out.to(minors.dtype)


def haar_orthogonal(size: int, generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32) -> Tensor:
    """A Haar-random orthogonal matrix ``(size, size)``: QR of a Gaussian matrix, signs fixed by diag(R).

    The Gaussian matrix is drawn and factored in float64 whatever ``dtype``, then converted.

    Args:
        size: the matrix side, >= 1.
        generator: the random source (``None``: a fresh generator seeded 0).
        dtype: ``torch.float32`` or ``torch.float64``.

    Raises:
        ValueError: ``size < 1``, or a matrix larger than the memory budget.
    """
    size = check_int(size, "size", low=1)
    check_dtype(dtype)
    generator = _generator(generator)
    check_budget(4 * size * size * 8, f"a {size:,} x {size:,} random rotation",
                 "rotate fewer coordinates (a smaller column set, or rotate='rows')")
    return _haar_orthogonal(size, generator, dtype)


def _haar_orthogonal(size: int, generator: torch.Generator, dtype: torch.dtype) -> Tensor:
    g = torch.randn(size, size, generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(g)
    q = q * torch.sign(torch.diagonal(r))[None, :]
    return q.to(dtype)


def transposed_jacobians(jac: Tensor, columns: Tensor | None = None) -> Tensor:
    """The Jacobians' columns as rows: ``source[i, p] = J_i[:, S_p]``, ``(n, h, d) -> (n, |S|, h)``, contiguous.

    ``S`` is ``columns`` (all ``d`` columns if None). One copy, made once per batch, so that the
    rotated minors of every rotation gather whole rows (see :func:`rotated_row_minors`).

    Raises:
        ValueError: bad Jacobians or columns, or a copy larger than the memory budget.
    """
    jac = check_tensor(jac, "jac", dims=3)
    n, h, d = jac.shape
    columns = _check_columns(columns, d)
    n_cols = d if columns is None else columns.numel()
    check_budget(n * n_cols * h * jac.element_size(), f"the transposed {n:,} x {n_cols:,} x {h:,} Jacobians",
                 "pass fewer inputs or a smaller column set")
    return _transposed(jac, columns)


def _transposed(jac: Tensor, columns: Tensor | None) -> Tensor:
    if columns is None:
        return jac.transpose(1, 2).contiguous()
    return jac.transpose(1, 2).index_select(1, columns.to(jac.device))


def _check_rotation(q: Any, size: int) -> Tensor:
    q = check_tensor(q, "q", dims=2)
    if tuple(q.shape) != (size, size):
        raise ValueError(f"q has shape {tuple(q.shape)}; it must be ({size}, {size}) to rotate {size} coordinates.")
    return q


def rotated_row_minors(source: Tensor, q: Tensor, rows: Tensor, pos: Tensor, chunk: int = 8) -> Tensor:
    """Minors of ``Q J_i`` at positions shared by the batch, from :func:`transposed_jacobians`.

    ``(Q J_i)[r, c] = Q[r, :] . J_i[:, c]``: for each minor ``j`` the ``k x k`` block is
    ``Q[rows_j] @ J_i[:, S[pos_j]]``, one batched product over the minors, ``(N, k, h) @ (N, h, k m)``
    for a chunk of ``m`` inputs (``m = chunk``, fewer when the memory budget requires).

    Args:
        source: ``(n, |S|, h)``, ``source[i, p] = J_i[:, S_p]``.
        q: ``(h, h)`` (orthogonal for a rotation; any matrix works).
        rows: ``(N, k)`` row indices into ``h``, shared by the inputs.
        pos: ``(N, k)`` positions into ``S``, shared by the inputs.
        chunk: inputs per chunk (bounds memory; 8 gathers faster than 16 or 32 on CPUs, whose caches then
            hold the chunk, with the same numbers).

    Returns:
        ``(n, N)`` signed minors.
    """
    source = check_tensor(source, "source", dims=3)
    n, n_cols, h = source.shape
    q = _check_rotation(q, h)
    rows = _check_index(rows, "rows", 2, h, "rows (hidden units)")
    pos = _check_index(pos, "pos", 2, n_cols, "positions in the column set")
    if rows.shape != pos.shape:
        raise ValueError(f"rows {tuple(rows.shape)} and pos {tuple(pos.shape)} must both be (N, k).")
    chunk = check_int(chunk, "chunk", low=1)
    _minor_budget(n, rows.shape[0], rows.shape[1], source.element_size())
    return _rotated_row_minors(source, q, rows, pos, chunk)


def _rotated_row_minors(source: Tensor, q: Tensor, rows: Tensor, pos: Tensor, chunk: int = 8) -> Tensor:
    n, n_cols, h = source.shape
    n_minors, k = rows.shape
    chunk = _input_chunk(n_minors * k * (h + k) * source.element_size() * 2, n,
                         f"the rotated entries of {n_minors:,} {k}-minors", "lower n_minors", cap=chunk)
    device = source.device
    rows, pos, q = rows.to(device), pos.to(device), q.to(device=device, dtype=source.dtype)
    rotated_rows = q[rows]  # (N, k, h)
    flat = source.reshape(-1, h)
    out = []
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        index = torch.arange(start, start + m, device=device)[None, None, :] * n_cols + pos[:, :, None]  # (N, k, m)
        columns = flat.index_select(0, index.reshape(-1)).reshape(n_minors, k * m, h)
        sub = torch.bmm(rotated_rows, columns.transpose(1, 2)).reshape(n_minors, k, k, m)  # [j, a, b, i]
        out.append(_small_det(sub.permute(3, 0, 1, 2)))
    return torch.cat(out)


def rotated_minors(
    jac: JacobianBatch,
    q: Tensor,
    rows: Tensor,
    cols: Tensor,
    side: str = "rows",
    columns: Tensor | None = None,
    chunk: int = 16,
) -> Tensor:
    """Minors of ``Q J`` (``side="rows"``) or ``J[:, S] Q`` (``side="columns"``) at given positions.

    Only the sampled entries are formed: ``(Q J)[r, c] = Q[r, :] . J[:, c]``, chunked over inputs. When
    the Jacobians factor as ``J_i = diag(s_i) A`` (a first hidden layer: ``s_i`` the activation slopes,
    ``A = W_1``) and the positions are shared by the inputs, ``(Q J_i)[r, c] = sum_h s_i[h] Q[r, h] A[h, c]``
    is one matrix product ``(n, h) @ (h, N k^2)`` for the whole batch. ``q`` and the indices are moved to
    the Jacobians' device.

    Args:
        jac: ``(n, h, d)`` or first-layer factors ``(slopes (n, h), weight (h, d))``.
        q: ``(h, h)`` for rows, ``(|S|, |S|)`` for columns (``S`` = ``columns`` or all); orthogonal for a
            rotation.
        rows: ``(n, N, k)`` row indices into ``h``.
        cols: ``(n, N, k)`` column positions (into ``S`` for ``side="columns"``, else pixel indices).
        side: ``"rows"`` or ``"columns"``.
        columns: the column subset ``S`` (``side="columns"`` only).
        chunk: inputs per chunk (bounds memory).

    Returns:
        ``(n, N)`` signed minors.
    """
    check_choice(side, "side", ROTATE_SIDES)
    jac = _check_jacobians(jac)
    n, h, d = jacobian_shape(jac)
    columns = _check_columns(columns, d)
    n_cols = d if columns is None else columns.numel()
    q = _check_rotation(q, h if side == "rows" else n_cols)
    rows = _check_index(rows, "rows", 3, h, "rows (hidden units)")
    cols = _check_index(cols, "cols", 3, d if side == "rows" else n_cols,
                        "columns (inputs)" if side == "rows" else "positions in the column set")
    if rows.shape != cols.shape or rows.shape[0] != n:
        raise ValueError(f"rows {tuple(rows.shape)} and cols {tuple(cols.shape)} must both be (n={n}, N, k).")
    chunk = check_int(chunk, "chunk", low=1)
    _minor_budget(n, rows.shape[1], rows.shape[2], _itemsize(jac))
    return _rotated_minors(jac, q, rows, cols, side, columns, chunk)


def _rotated_minors(
    jac: JacobianBatch, q: Tensor, rows: Tensor, cols: Tensor, side: str, columns: Tensor | None, chunk: int = 16
) -> Tensor:
    device = _device(jac)
    rows, cols, q = rows.to(device), cols.to(device), q.to(device)
    columns = None if columns is None else columns.to(device)
    n, h, d = jacobian_shape(jac)
    _, n_minors, k = rows.shape
    itemsize = _itemsize(jac)
    shared = bool((rows == rows[:1]).all() and (cols == cols[:1]).all())
    if isinstance(jac, tuple) and not shared:
        jac = dense(jac)
    if isinstance(jac, tuple):
        slopes, weight = jac
        q = q.to(weight.dtype)
        r, c = rows[0], cols[0]  # (N, k)
        if side == "rows":
            # T[h, j, a, b] = Q[r_ja, h] W[h, c_jb]; entries = slopes @ T
            check_budget(3 * h * n_minors * k * k * itemsize, f"the {h:,} x {n_minors:,} x {k} x {k} rotated weight table",
                         "lower n_minors")
            table = (q[r].permute(2, 0, 1)[:, :, :, None] * weight[:, c][:, :, None, :]).reshape(h, -1)
            size = _input_chunk(2 * n_minors * k * k * itemsize, n, f"the rotated {k} x {k} blocks", "lower n_minors")
            if size >= n:
                return _small_det((slopes @ table).reshape(n, n_minors, k, k))
            return torch.cat([_small_det((slopes[s : s + size] @ table).reshape(-1, n_minors, k, k))
                              for s in range(0, n, size)])
        rotated = (weight if columns is None else weight[:, columns]) @ q  # (h, |S|)
        block = rotated[r[:, :, None], c[:, None, :]]  # (N, k, k)
        size = _input_chunk(3 * n_minors * k * k * itemsize, n, f"the rotated {k} x {k} blocks", "lower n_minors")
        if size >= n:
            return _small_det(slopes[:, r][..., None] * block[None])
        return torch.cat([_small_det(slopes[s : s + size][:, r][..., None] * block[None]) for s in range(0, n, size)])
    q = q.to(jac.dtype)
    if shared and side == "rows":
        return _rotated_row_minors(_transposed(jac, None), q, rows[0], cols[0], chunk)
    # rows side: entries Q[r_a, :] . J[:, c_b]; columns side: J_S[r_a, :] . Q[:, c_b]
    if side == "rows":
        source, table = jac.transpose(1, 2).contiguous(), q  # source[i, c] = J_i[:, c]
        per_input, shared_idx = cols, rows
    else:
        source = (jac if columns is None else jac[:, :, columns]).contiguous()  # source[i, r] = J_i[r, S]
        table = q.T.contiguous()  # table[c] = Q[:, c]
        per_input, shared_idx = rows, cols
    n_src, width = source.shape[1], source.shape[2]
    chunk = _input_chunk(3 * n_minors * k * width * itemsize, n, f"the gathered entries of {n_minors:,} {k}-minors",
                         "lower n_minors", cap=chunk)
    fixed = table[shared_idx[0]] if shared else None  # (N, k, width), gathered once for the batch
    out = []
    for start in range(0, source.shape[0], chunk):
        src = source[start : start + chunk].reshape(-1, width)
        idx = per_input[start : start + chunk]
        offset = torch.arange(idx.shape[0], device=device)[:, None, None] * n_src
        gathered = src.index_select(0, (offset + idx).reshape(-1)).reshape(*idx.shape, width)
        other = fixed if fixed is not None else table.index_select(0, shared_idx[start : start + chunk].reshape(-1)).reshape(*idx.shape, width)
        if side == "rows":
            sub = other @ gathered.transpose(-1, -2)  # Q[r_a] . J[:, c_b]
        else:
            sub = gathered @ other.transpose(-1, -2)  # J_S[r_a] . Q[:, c_b]
        out.append(_small_det(sub))
    return torch.cat(out)


def rotation_ratio(
    jac: JacobianBatch,
    k: int = 2,
    n_minors: int = 500,
    n_rotations: int = 5,
    side: str = "rows",
    columns: Tensor | None = None,
    generator: torch.Generator | None = None,
    minors: Tensor | None = None,
) -> Tensor:
    """Rotation ratio per input: ``max|m(J)| / mean_q max|m(Q_q J)|``.

    ``Q_q`` (q = 1..n_rotations) are Haar-random orthogonal matrices (in the Jacobians' dtype) acting on
    the hidden units (``side="rows"``, the authors' toolkit) or on the input pixels of the column set
    (``side="columns"``); each side samples fresh minors. The rotations are shared by the inputs of
    the batch, and so are the sampled positions of each rotation. RR > 1: the Jacobian's large minors sit
    on coordinate axes (KA-like); RR ~ 1: no preferred axes. Time grows linearly with ``n_rotations``;
    memory does not (one rotation at a time).

    Args:
        jac: Jacobians ``(n, h, d)`` or first-layer factors (then the rotated minors are one matrix
            product, see :func:`rotated_minors`).
        k: minor size.
        n_minors: minors per Jacobian on each side.
        n_rotations: number of random rotations averaged in the denominator.
        side: ``"rows"`` or ``"columns"``.
        columns: optional column subset (pixel indices).
        generator: the random source (``None``: a fresh generator seeded 0).
        minors: already sampled minors of ``J`` ``(n, N)`` for the numerator (else sampled here).

    Returns:
        ``(n,)``; NaN exactly where every rotated minor is 0 (the ratio is undefined there).
    """
    jac, k, n_minors, columns = _check_minor_args(jac, k, n_minors, columns)
    n_rotations = check_int(n_rotations, "n_rotations", low=1)
    check_choice(side, "side", ROTATE_SIDES)
    generator = _generator(generator)
    n, h, d = jacobian_shape(jac)
    if minors is not None:
        minors = check_tensor(minors, "minors", dims=2)
        if minors.shape[0] != n:
            raise ValueError(f"minors has {minors.shape[0]} rows but jac holds {n} Jacobians; they must match.")
    _rotation_budget(jac, k, n_minors, side, columns, "side")
    return _rotation_ratio(jac, k, n_minors, n_rotations, side, columns, generator, minors)


def _rotation_ratio(
    jac: JacobianBatch,
    k: int,
    n_minors: int,
    n_rotations: int,
    side: str,
    columns: Tensor | None,
    generator: torch.Generator,
    minors: Tensor | None,
) -> Tensor:
    if minors is None:
        minors = _sample_minors(jac, k, n_minors, generator, columns, "all")
    draws = _rotation_draws(jac, k, n_minors, n_rotations, side, columns, generator)
    return _ratio_of_maxima(minors, _rotated_maxima(jac, draws, side, columns))


class RotationDraw(NamedTuple):
    """One random rotation of the rotation ratio and the minor positions sampled with it.

    Attributes:
        q: ``(size, size)`` Haar-random orthogonal matrix (``size = h`` for rows, ``|S|`` for columns).
        rows: ``(N, k)`` row indices, shared by the inputs.
        pos: ``(N, k)`` positions in the column set, shared by the inputs.
    """

    q: Tensor
    rows: Tensor
    pos: Tensor


def _rotation_draws(
    jac: JacobianBatch, k: int, n_minors: int, n_rotations: int, side: str, columns: Tensor | None,
    generator: torch.Generator,
) -> list[RotationDraw]:
    """The rotations of one rotation ratio, in the order drawn: per rotation ``Q``, then its positions."""
    _, h, d = jacobian_shape(jac)
    n_cols = d if columns is None else columns.numel()
    dtype = (jac[1] if isinstance(jac, tuple) else jac).dtype
    draws = []
    for _ in range(n_rotations):
        q = _haar_orthogonal(h if side == "rows" else n_cols, generator, dtype)
        rows, pos = sample_minor_indices(1, n_minors, k, h, n_cols, generator)
        draws.append(RotationDraw(q, rows[0], pos[0]))
    return draws


def _rotated_maxima(
    jac: JacobianBatch, draws: Sequence[RotationDraw], side: str, columns: Tensor | None, every: Tensor | None = None,
) -> Tensor:
    """``mean_q max_j |m_j(Q_q J_i)|`` per input ``(n,)``: the rotation ratio's denominator.

    ``every``: the batch's :func:`transposed_jacobians` over all columns, if the caller holds it (dense rows
    only); the rotated minors then gather from it at the column indices, and no copy is made here.
    """
    n = jacobian_shape(jac)[0]
    dense_rows = side == "rows" and not isinstance(jac, tuple)
    source = None
    if dense_rows:
        source = every if every is not None else _transposed(jac, columns)  # one copy for every rotation
    maxima = []
    for q, rows, pos in draws:
        if source is not None:
            at = pos if (every is None or columns is None) else columns.cpu()[pos]  # positions in source's columns
            rotated = _rotated_row_minors(source, q, rows, at)
        else:
            rows_n, pos_n = rows.expand(n, *rows.shape), pos.expand(n, *pos.shape)
            cols = pos_n if (columns is None or side == "columns") else columns.cpu()[pos_n]
            rotated = _rotated_minors(jac, q, rows_n, cols, side, columns)
        maxima.append(rotated.abs().amax(dim=1))
    return torch.stack(maxima).mean(dim=0)


def _ratio_of_maxima(minors: Tensor, denominator: Tensor) -> Tensor:
    """``max_j |m_j| / denominator`` per input; NaN where the denominator is 0."""
    top = minors.abs().amax(dim=1)
    return torch.where(denominator > 0, top / denominator.clamp_min(1e-30), torch.full_like(top, float("nan")))


# --------------------------------------------------------------------------------------------------
# Pixel sets, zero rows
# --------------------------------------------------------------------------------------------------


def ball_mask(radius: float, center: Sequence[float] = IMAGE_CENTER, side: int = IMAGE_SIDE) -> Tensor:
    """Pixels of a ``side x side`` image whose centres lie within ``radius`` of ``center``.

    Pixel ``(i, j)`` (row, column) sits at coordinates ``(i, j)``; the image centre is (13.5, 13.5) for
    28 x 28, so every radius above ``13.5 sqrt(2) ~ 19.09`` covers all 784 pixels.

    Args:
        radius: ball radius in pixels, > 0.
        center: ``(row, column)`` of the centre in pixel coordinates, inside the image
            (``0 <= row, column <= side - 1``).
        side: image side, >= 1.

    Returns:
        bool ``(side, side)``.

    Raises:
        TypeError: a radius, centre or side that is not a number.
        ValueError: ``radius <= 0`` or not finite, a centre outside the image, or a ball holding no pixel.
    """
    radius = check_number(radius, "radius", low=0, low_open=True)
    side = check_int(side, "side", low=1)
    try:
        pair = [] if isinstance(center, (str, bytes)) else list(center)
    except TypeError:
        pair = []
    if len(pair) != 2:
        raise TypeError(f"center must be a (row, column) pair of numbers, got {center!r}.")
    row, column = (check_number(c, f"center[{i}]", low=0, high=side - 1) for i, c in enumerate(pair))
    check_budget(3 * side * side * 8, f"the {side:,} x {side:,} pixel grid", "lower side")
    i = torch.arange(side, dtype=torch.float64)
    dist2 = (i[:, None] - row) ** 2 + (i[None, :] - column) ** 2
    mask = dist2 <= radius**2 + 1e-9
    if not mask.any():
        raise ValueError(f"the ball of radius {radius} around {tuple(center)} holds no pixel; enlarge the radius.")
    return mask


def ball_pixels(radius: float, center: Sequence[float] = IMAGE_CENTER, side: int = IMAGE_SIDE) -> Tensor:
    """Flat (row-major) indices of the pixels of :func:`ball_mask`: long ``(m,)``, sorted."""
    return ball_mask(radius, center, side).flatten().nonzero()[:, 0]


def grid_centers(step: float = 7.0, side: int = IMAGE_SIDE) -> list[tuple[float, float]]:
    """Ball centres on a regular grid, symmetric about the image centre: ``(row, column)`` pairs.

    ``step=7`` gives the 3 x 3 grid at 6.5, 13.5, 20.5 on a 28 x 28 image.

    Raises:
        ValueError: ``step <= 0``, ``side < 1``, or a grid of more than a million centres.
    """
    step = check_number(step, "step", low=0, low_open=True)
    side = check_int(side, "side", low=1)
    mid = (side - 1) / 2
    per_axis = 2 * int(mid // step) + 1
    if per_axis**2 > 1_000_000:
        raise ValueError(f"step={step} gives {per_axis**2:,} centres on a {side} x {side} grid; raise step.")
    offsets = [o * step for o in range(-int(mid // step), int(mid // step) + 1)]
    return [(mid + a, mid + b) for a in offsets for b in offsets]


def row_norms(jac: Tensor) -> Tensor:
    """Euclidean norm of each Jacobian row: ``(n, h, d) -> (n, h)``."""
    return check_tensor(jac, "jac", dims=3).norm(dim=-1)


def unit_norms(jac: Tensor) -> Tensor:
    """Root-mean-square over inputs of each unit's row norm: ``(n, h, d) -> (h,)``,
    ``sqrt(mean_i ||J_i[u, :]||^2)``."""
    return check_tensor(jac, "jac", dims=3).pow(2).sum(dim=-1).mean(dim=0).sqrt()


def zero_row_threshold(norms_init: Tensor, quantile: float = 0.01) -> float:
    """The zero-row threshold: a low quantile (default the 1st percentile, linear interpolation) of the
    initial model's row norms, computed in float64.

    Raises:
        ValueError: a quantile outside [0, 1], empty or non-finite norms.
    """
    norms_init = check_tensor(norms_init, "norms_init")
    quantile = check_number(quantile, "quantile", low=0, high=1)
    values = norms_init.flatten().double()
    if values.numel() > 2**24:  # torch.quantile's input limit: numpy has the same definition (linear)
        return float(np.quantile(values.cpu().numpy(), quantile))
    return float(torch.quantile(values, quantile))


def zero_row_fraction(norms: Tensor, threshold: float) -> float:
    """Fraction of rows whose norm is at most ``threshold`` (``<=``, so exact zeros count at threshold 0)."""
    norms = check_tensor(norms, "norms")
    threshold = check_number(threshold, "threshold")
    return float((norms <= threshold).double().mean())


def dead_units(jac: Tensor) -> Tensor:
    """Units whose Jacobian row is exactly zero at every input: bool ``(h,)``."""
    return ~_active_rows(check_tensor(jac, "jac", dims=3)).any(dim=0)


@dataclass(frozen=True)
class ZeroRows:
    """Zero rows and dead units of a layer relative to its initialisation (fractions in [0, 1]).

    Attributes:
        threshold_input: the per-input threshold, 1st percentile (``quantile``) of the initial row norms.
        zero_rows_input: share of rows ``J(x)[u]`` of the model at or below ``threshold_input``.
        zero_rows_input_init: the same share for the initial model.
        threshold_unit: the per-unit threshold, the quantile of the initial model's :func:`unit_norms`.
        zero_rows_unit: share of the model's units whose :func:`unit_norms` is at or below ``threshold_unit``.
        dead_units: share of the model's units with an exactly-zero row at every input.
        dead_units_init: the same share for the initial model.
    """

    threshold_input: float
    zero_rows_input: float
    zero_rows_input_init: float
    threshold_unit: float
    zero_rows_unit: float
    dead_units: float
    dead_units_init: float


def zero_rows(
    init_model: nn.Sequential, model: nn.Sequential, x: Tensor, layer: int, quantile: float = 0.01
) -> ZeroRows:
    """Zero rows and dead units of a trained layer, relative to its random initialisation.

    Two readings of "a trained row below the 1st percentile of the initial model's row norms":
    per input (rows of ``J(x)``; for ReLU exactly-zero rows = inactive units) and per unit (the
    root-mean-square row norm over the inputs, :func:`unit_norms`). Dead units: rows exactly zero at every
    input of ``x``.

    Args:
        init_model: the model at initialisation.
        model: the trained model (same widths up to ``layer``).
        x: inputs ``(n, d_in)``.
        layer: 1-based hidden layer.
        quantile: the threshold's quantile of the initial norms, in [0, 1].

    Returns:
        :class:`ZeroRows`.
    """
    quantile = check_number(quantile, "quantile", low=0, high=1)
    check_model(init_model, "init_model")
    layer = check_layer(model, layer)
    check_layer(init_model, layer)
    widths = [[m[0].in_features] + [linear.out_features for linear, _ in check_model(m)[:layer]] for m in (init_model, model)]
    if widths[0] != widths[1]:
        raise ValueError(f"init_model and model must have the same widths up to layer {layer}, got {widths[0]} and {widths[1]}.")
    j0, j1 = layer_jacobians(init_model, x, layer), layer_jacobians(model, x, layer)
    n0, n1 = j0.norm(dim=-1), j1.norm(dim=-1)
    t_in = zero_row_threshold(n0, quantile)
    u0, u1 = unit_norms(j0), unit_norms(j1)
    t_unit = zero_row_threshold(u0, quantile)
    return ZeroRows(
        threshold_input=t_in,
        zero_rows_input=zero_row_fraction(n1, t_in),
        zero_rows_input_init=zero_row_fraction(n0, t_in),
        threshold_unit=t_unit,
        zero_rows_unit=zero_row_fraction(u1, t_unit),
        dead_units=float(dead_units(j1).double().mean()),
        dead_units_init=float(dead_units(j0).double().mean()),
    )


# --------------------------------------------------------------------------------------------------
# One call per batch
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class KAMetrics:
    """PR, KL and RR of sampled k-minors of a batch of Jacobians.

    Attributes:
        pr_per_input: ``(n,)`` participation ratios (NaN where every minor of the input is 0).
        kl_per_input: ``(n,)`` KL divergences from uniform (NaN likewise).
        rr_per_input: ``(n,)`` rotation ratios (NaN where every rotated minor is 0).
        minors: ``(n, N)`` the sampled signed minors.
        active: bool ``(n, h)``, the nonzero rows of each Jacobian (ReLU: active units).
        n_columns: how many columns (pixels) the minors were drawn from.
        convention: the participation-ratio convention.

    The means over inputs (``pr``, ``kl``, ``rr``, NaN inputs left out) are properties; they raise
    ``ValueError`` when no input has a defined value, instead of returning NaN.
    """

    pr_per_input: Tensor
    kl_per_input: Tensor
    rr_per_input: Tensor
    minors: Tensor
    active: Tensor
    n_columns: int
    convention: str

    def _mean(self, name: str) -> float:
        values = getattr(self, f"{name}_per_input")
        if bool(torch.isnan(values).all()):
            raise ValueError(
                f"{name.upper()} is undefined for every input: all sampled minors are zero (e.g. every unit is "
                "inactive). Check the model, or sample rows='active'."
            )
        return float(torch.nanmean(values))

    @property
    def pr(self) -> float:
        """Mean participation ratio over the inputs where it is defined."""
        return self._mean("pr")

    @property
    def kl(self) -> float:
        """Mean KL divergence from uniform over the inputs where it is defined."""
        return self._mean("kl")

    @property
    def rr(self) -> float:
        """Mean rotation ratio over the inputs where it is defined."""
        return self._mean("rr")

    @property
    def zero_minor_fraction(self) -> float:
        """Share of the sampled minors that are exactly zero."""
        return float(self.minors.eq(0).double().mean())

    @property
    def active_fraction(self) -> float:
        """Mean share of nonzero Jacobian rows."""
        return float(self.active.double().mean())


def jacobian_metrics(
    jac: JacobianBatch,
    k: int = 2,
    n_minors: int = 500,
    generator: torch.Generator | None = None,
    columns: Tensor | None = None,
    convention: str = "toolkit",
    n_rotations: int = 5,
    rotate: str = "rows",
    rows: str = "all",
) -> KAMetrics:
    """PR, KL and RR of sampled k-minors of a batch of Jacobians (see :func:`ka_metrics`).

    ``jac`` is a tensor ``(n, h, d)`` or, for a first layer, its factors ``(slopes, weight)`` from
    :func:`first_layer_factors` (faster; the numbers are the same). Draws, in order: the minors'
    rows and columns (:func:`sample_minors`), then per rotation the rotation and its minors' positions.

    Returns:
        :class:`KAMetrics`.
    """
    jac, k, n_minors, columns = _check_minor_args(jac, k, n_minors, columns)
    check_choice(convention, "convention", PR_CONVENTIONS)
    n_rotations = check_int(n_rotations, "n_rotations", low=1)
    check_choice(rotate, "rotate", ROTATE_SIDES)
    check_choice(rows, "rows", ROW_SETS)
    generator = _generator(generator)
    _rotation_budget(jac, k, n_minors, rotate, columns, "rotate")
    n_cols = jacobian_shape(jac)[2] if columns is None else columns.numel()
    minors = _sample_minors(jac, k, n_minors, generator, columns, rows)
    pr = _participation_ratio(minors, convention)
    kl = _kl_from_uniform(minors)
    rr = _rotation_ratio(jac, k, n_minors, n_rotations, rotate, columns, generator, minors)
    return KAMetrics(pr_per_input=pr, kl_per_input=kl, rr_per_input=rr, minors=minors, active=_active_rows(jac),
                     n_columns=n_cols, convention=convention)


def jacobian_metrics_shared(
    jacs: Sequence[JacobianBatch],
    k: int = 2,
    n_minors: int = 500,
    generator: torch.Generator | None = None,
    columns: Tensor | None = None,
    convention: str = "toolkit",
    n_rotations: int = 5,
    rotate: str = "rows",
    transposed: Sequence[Tensor | None] | None = None,
) -> list[KAMetrics]:
    """:func:`jacobian_metrics` (``rows="all"``) of several Jacobian batches on ONE set of draws.

    The minors' positions and each rotation with its positions are drawn once, in the order
    :func:`jacobian_metrics` draws them, and applied to every batch. So entry ``b`` of the result equals
    ``jacobian_metrics(jacs[b], ..., generator=g)`` for a generator ``g`` in the state ``generator`` is in
    now (common random numbers, e.g. a network at initialisation and after training), while every random
    rotation (a QR factorisation of an ``h x h`` Gaussian matrix) is made once instead of once per batch.
    ``generator`` advances as one such call would advance it. ``k``, ``n_minors``, ``generator``, ``columns``,
    ``convention``, ``n_rotations`` and ``rotate`` are those of :func:`jacobian_metrics`.

    Args:
        jacs: Jacobian batches ``(n_b, h, d)`` or first-layer factors; the same ``h``, ``d`` and dtype
            (``n_b`` may differ).
        transposed: per batch, its :func:`transposed_jacobians` over ALL columns ``(n_b, d, h)`` or ``None``,
            when the caller holds them (e.g. for several column sets of one batch): the rotated minors then
            gather from them instead of copying the column set for each call; the numbers are the same.

    Returns:
        One :class:`KAMetrics` per batch, in order.

    Raises:
        ValueError: no batches, batches of different ``(h, d)`` or dtype, ``transposed`` not matching the
            batches, or any error of :func:`jacobian_metrics`.
    """
    if isinstance(jacs, (Tensor, tuple)) or not isinstance(jacs, Sequence) or len(jacs) == 0:
        raise ValueError("jacs must be a non-empty list of Jacobian batches, e.g. [jac_random, jac_trained]; "
                         "for one batch call jacobian_metrics.")
    checked = [_check_minor_args(jac, k, n_minors, columns) for jac in jacs]
    batches = [c[0] for c in checked]
    k, n_minors, columns = checked[0][1], checked[0][2], checked[0][3]
    shapes = {(jacobian_shape(jac)[1:], (jac[1] if isinstance(jac, tuple) else jac).dtype) for jac in batches}
    if len(shapes) != 1:
        raise ValueError(f"jacs must share (h, d) and dtype to share draws, got {sorted(map(str, shapes))}; "
                         "measure batches of different layers or dtypes with separate calls.")
    check_choice(convention, "convention", PR_CONVENTIONS)
    n_rotations = check_int(n_rotations, "n_rotations", low=1)
    check_choice(rotate, "rotate", ROTATE_SIDES)
    generator = _generator(generator)
    transposed = _check_transposed(transposed, batches)
    for jac in batches:
        _rotation_budget(jac, k, n_minors, rotate, columns, "rotate")
    first = batches[0]
    n_cols = jacobian_shape(first)[2] if columns is None else columns.numel()
    row_index = _row_choice(first, k, n_minors, "all", generator)[:1]  # (1, N, k), as _sample_minors draws
    pos = distinct_indices((1, n_minors), k, n_cols, generator)
    col_index = pos if columns is None else columns.cpu()[pos]
    draws = _rotation_draws(first, k, n_minors, n_rotations, rotate, columns, generator)
    out = []
    for jac, every in zip(batches, transposed):
        n = jacobian_shape(jac)[0]
        minors = _gather_minors(jac, row_index.expand(n, n_minors, k), col_index.expand(n, n_minors, k))
        denominator = _rotated_maxima(jac, draws, rotate, columns, every if rotate == "rows" else None)
        out.append(KAMetrics(pr_per_input=_participation_ratio(minors, convention), kl_per_input=_kl_from_uniform(minors),
                             rr_per_input=_ratio_of_maxima(minors, denominator),
                             minors=minors, active=_active_rows(jac), n_columns=n_cols, convention=convention))
    return out


def _check_transposed(transposed: Any, batches: Sequence[JacobianBatch]) -> list[Tensor | None]:
    """Per batch, its transposed copy over all columns ``(n, d, h)`` or ``None`` (``None``: none for any)."""
    if transposed is None:
        return [None] * len(batches)
    if not isinstance(transposed, Sequence) or len(transposed) != len(batches):
        raise ValueError(f"transposed must hold one entry per batch ({len(batches)}), each "
                         "transposed_jacobians(jac) or None.")
    out = []
    for b, (jac, every) in enumerate(zip(batches, transposed)):
        if every is None or isinstance(jac, tuple):
            out.append(None)
            continue
        n, h, d = jac.shape
        every = check_tensor(every, f"transposed[{b}]", dims=3)
        if tuple(every.shape) != (n, d, h) or every.dtype != jac.dtype:
            raise ValueError(f"transposed[{b}] has shape {tuple(every.shape)} ({every.dtype}); it must be "
                             f"transposed_jacobians(jacs[{b}]): ({n}, {d}, {h}), {jac.dtype}.")
        out.append(every)
    return out


def ka_metrics(
    model: nn.Sequential,
    x: Tensor,
    layer: int = 1,
    k: int = 2,
    radius: float | None = None,
    n_minors: int = 500,
    generator: torch.Generator | None = None,
    *,
    center: Sequence[float] = IMAGE_CENTER,
    convention: str = "toolkit",
    n_rotations: int = 5,
    rotate: str = "rows",
    rows: str = "all",
) -> KAMetrics:
    """Kolmogorov-Arnold geometry metrics of hidden layer ``layer`` for a batch of inputs.

    For each input: ``J(x)`` (:func:`layer_jacobians`), ``N`` random k-minors with columns drawn from
    the pixels within ``radius`` of ``center`` (all inputs if ``radius`` is None), then the
    participation ratio, the KL divergence from uniform and the rotation ratio of those minors.

    Args:
        model: an MLP (``d_in = 784``, 28 x 28 images, when ``radius`` is given; any ``d_in`` otherwise).
        x: inputs ``(n, d_in)``.
        layer: 1-based hidden layer index.
        k: minor size.
        radius: ball radius in pixels, or None for every input column.
        n_minors: minors per input ``N`` (also per rotation in the rotation ratio).
        generator: the random source (``None``: a fresh generator seeded 0).
        center: ball centre ``(row, column)``.
        convention: participation-ratio convention, ``"toolkit"`` or ``"physics"``.
        n_rotations: rotations in the rotation ratio.
        rotate: rotation side, ``"rows"`` (hidden units) or ``"columns"`` (pixels of the ball).
        rows: draw minor rows from ``"all"`` units or each input's ``"active"`` (nonzero) rows.

    Returns:
        :class:`KAMetrics` (means ``.pr``, ``.kl``, ``.rr`` and per-input values).

    Raises:
        ValueError: radius <= 0, k too large for the layer or the ball, a layer that does not exist,
            work over the memory budget (the message names the argument that lowers it).
    """
    layer = check_layer(model, layer)
    d = check_model(model)[0][0].in_features
    columns = None
    if radius is not None:
        if d != IMAGE_SIDE * IMAGE_SIDE:
            raise ValueError(f"radius needs 28 x 28 images (784 inputs); the model takes {d}. Pass radius=None.")
        columns = ball_pixels(radius, center)
    jac = layer_batch(model, x, layer)
    return jacobian_metrics(jac, k, n_minors, generator, columns, convention, n_rotations, rotate, rows)


def metric_ratios(trained: KAMetrics, random: KAMetrics, keys: Iterable[str] = METRICS) -> dict[str, float]:
    """Trained / random-init ratio of each metric mean: ``{"pr": ..., "kl": ..., "rr": ...}``.

    Raises:
        ValueError: an unknown metric, or a random network whose metric is 0 (the ratio is undefined).
    """
    out = {}
    for key in keys:
        check_choice(key, "keys", METRICS)
        if not isinstance(trained, KAMetrics) or not isinstance(random, KAMetrics):
            raise TypeError("trained and random must be KAMetrics (from ka_metrics or jacobian_metrics).")
        base = float(getattr(random, key))
        if base == 0:
            raise ValueError(f"the random network's {key} is 0, so the ratio {key} trained / random is undefined.")
        out[key] = float(getattr(trained, key)) / base
    return out


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------


def _image(image: Any, name: str = "image") -> Tensor:
    image = check_tensor(image, name, kind="any")
    if image.numel() != IMAGE_SIDE * IMAGE_SIDE:
        raise ValueError(f"{name} has {image.numel()} values; pass one 28 x 28 image (784 values).")
    return image.reshape(IMAGE_SIDE, IMAGE_SIDE).detach().cpu()


def plot_ball_masks(image: Tensor, radii: Sequence[float] = (7, 14, 21, 28), center: Sequence[float] = IMAGE_CENTER,
                    ax: Any = None) -> Any:
    """Draw a 28 x 28 digit with the circles of the balls of each radius (and the pixels each one holds).

    Returns:
        The axes.
    """
    picture = _image(image)
    counts = [int(ball_mask(radius, center).sum()) for radius in radii]
    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 3.6))
    ax.imshow(picture, cmap="gray_r", extent=(-0.5, 27.5, 27.5, -0.5), interpolation="nearest")
    for i, (radius, n_pix) in enumerate(zip(radii, counts)):
        circle = plt.Circle((center[1], center[0]), radius, fill=False, color=color(i), lw=1.6,
                            label=f"r = {radius} px: {n_pix} pixels")
        ax.add_patch(circle)
    ax.set_xlim(-0.5, 27.5)
    ax.set_ylim(27.5, -0.5)
    ax.set_aspect("equal")
    ax.grid(False)
    ax.set_xlabel("pixel column")
    ax.set_ylabel("pixel row")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=8, ncol=2)
    return ax


def plot_ball_centres(image: Tensor, radius: float, centers: Sequence[Sequence[float]], ax: Any = None) -> Any:
    """Draw a 28 x 28 digit with the balls of one radius at several centres (circles clipped to the image).

    Returns:
        The axes.
    """
    picture = _image(image)
    counts = [int(ball_mask(radius, center).sum()) for center in centers]
    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 3.6))
    ax.imshow(picture, cmap="gray_r", extent=(-0.5, 27.5, 27.5, -0.5), interpolation="nearest")
    for i, (center, n_pix) in enumerate(zip(centers, counts)):
        ax.add_patch(plt.Circle((center[1], center[0]), radius, fill=False, color=color(i), lw=1.4,
                                label=f"({center[0]}, {center[1]}): {n_pix} pixels"))
        ax.plot(center[1], center[0], "o", color=color(i), ms=4)
    ax.set_xlim(-0.5, 27.5)
    ax.set_ylim(27.5, -0.5)
    ax.set_aspect("equal")
    ax.grid(False)
    ax.set_xlabel("pixel column")
    ax.set_ylabel("pixel row")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=8, ncol=2)
    return ax


def plot_minor_histogram(trained: Tensor, random: Tensor, k: int, ax: Any = None, bins: int = 60) -> Any:
    """Histograms of ``log10 |minor|`` (nonzero minors) for a trained and a random-init network.

    Args:
        trained: sampled minors of the trained network (any shape), at least one nonzero.
        random: sampled minors of the random-init network (any shape), at least one nonzero.
        k: the minor size (axis label).
        ax: axes to draw on (new figure if ``None``).
        bins: number of histogram bins.

    Returns:
        The axes.
    """
    sets = {"trained": check_tensor(trained, "trained").flatten().detach().cpu(),
            "random init": check_tensor(random, "random").flatten().detach().cpu()}
    k = check_int(k, "k", low=1)
    bins = check_int(bins, "bins", low=1, high=100_000)
    for name, m in sets.items():
        if not bool(m.ne(0).any()):
            raise ValueError(f"every {name} minor is exactly zero; there is no log|minor| to draw.")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3.2))
    logs = {name: torch.log10(m.abs()[m != 0]) for name, m in sets.items()}
    low = min(float(v.min()) for v in logs.values())
    high = max(float(v.max()) for v in logs.values())
    edges = torch.linspace(low, high, bins + 1)
    for i, (name, v) in enumerate(logs.items()):
        zero = float(sets[name].eq(0).double().mean())
        ax.hist(v.numpy(), bins=edges.numpy(), histtype="step", density=True, color=color(i), lw=1.5,
                label=f"{name} ({zero:.0%} exactly 0)")
    ax.set_yscale("log")
    ax.set_xlabel(f"log10 |{k}-minor|")
    ax.set_ylabel("density (log scale)")
    ax.legend(fontsize=8)
    return ax


def plot_jacobian_rows(jac: Tensor, units: Sequence[int], title: str = "", axes: Any = None) -> Any:
    """Jacobian rows of a few units at one input, as 28 x 28 images (shared symmetric colour scale).

    Args:
        jac: one input's Jacobian ``(h, 784)``.
        units: unit indices in ``0 .. h - 1``.
        title: figure title (``suptitle``) if not empty.
        axes: one axes per unit (a new figure if ``None``).

    Returns:
        The axes.
    """
    jac = check_tensor(jac, "jac", dims=2)
    if jac.shape[1] != IMAGE_SIDE * IMAGE_SIDE:
        raise ValueError(f"jac has shape {tuple(jac.shape)}; pass one input's Jacobian (h, 784).")
    units = [check_int(u, f"units[{i}]", low=0, high=jac.shape[0] - 1) for i, u in enumerate(units)]
    if not units:
        raise ValueError("units is empty; name at least one unit to draw.")
    if axes is None:
        _, axes = plt.subplots(1, len(units), figsize=(1.6 * len(units), 1.9), squeeze=False)
        axes = axes[0]
    rows = jac[units].reshape(len(units), IMAGE_SIDE, IMAGE_SIDE).detach().cpu()
    vmax = float(rows.abs().max()) or 1.0
    for ax, unit, row in zip(axes, units, rows):
        image = ax.imshow(row, cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest")
        ax.set_title(f"unit {unit}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    if title:
        axes[0].figure.suptitle(title, fontsize=9)
    axes[-1].figure.colorbar(image, ax=list(axes), shrink=0.8, label="∂a/∂pixel")
    return axes
