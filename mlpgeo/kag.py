"""Kolmogorov-Arnold geometry (KAG): statistics of the minors of hidden-layer Jacobians.

For an input ``x`` and hidden layer ``l`` (1-based) the Jacobian ``J(x)`` of the layer's
post-activation output with respect to the input has one row per hidden unit and one column per input
pixel. For a piecewise-linear network it has a closed form, the activation slopes times the weights,
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

Each is reported as a ratio trained / randomly initialised network on the same inputs. Spatial scale:
the minors' columns are drawn from the pixels of a Euclidean ball (centre, radius) on the 28 x 28 grid.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from mlpgeo.models import PIECEWISE_LINEAR, check_input, hidden_layers

IMAGE_SIDE = 28
IMAGE_CENTER = (13.5, 13.5)
PR_CONVENTIONS = ("toolkit", "physics")
ROTATE_SIDES = ("rows", "columns")
ROW_SETS = ("all", "active")
METRICS = ("pr", "kl", "rr")


# --------------------------------------------------------------------------------------------------
# Jacobians
# --------------------------------------------------------------------------------------------------


def check_layer(model: nn.Sequential, layer: int) -> list[tuple[nn.Linear, nn.Module]]:
    """The hidden layers of ``model`` up to ``layer`` (1-based), after checking that it exists.

    Raises:
        ValueError: ``layer`` is not in ``1 .. number of hidden layers``.
    """
    layers = hidden_layers(model)
    if not isinstance(layer, int) or isinstance(layer, bool) or not 1 <= layer <= len(layers):
        raise ValueError(
            f"layer={layer!r} does not exist: the model has {len(layers)} hidden layer(s); "
            f"use a 1-based index in 1..{len(layers)}."
        )
    return layers[:layer]


def activation_slope(act: nn.Module, z: Tensor) -> Tensor:
    """Derivative of a piecewise-linear activation at pre-activations ``z`` (ReLU: ``1[z > 0]``)."""
    if isinstance(act, nn.LeakyReLU):
        return torch.where(z > 0, torch.ones_like(z), torch.full_like(z, act.negative_slope))
    if isinstance(act, nn.ReLU):
        return (z > 0).to(z.dtype)
    raise TypeError(f"{type(act).__name__} is not piecewise linear; use method='autograd'.")


@torch.no_grad()
def jacobians_closed_form(model: nn.Sequential, x: Tensor, layer: int = 1) -> Tensor:
    """Closed-form Jacobians of a piecewise-linear hidden layer: slopes times weights, composed.

    ``J_1 = diag(s_1) W_1`` and ``J_l = diag(s_l) W_l J_{l-1}`` with ``s_l`` the activation slopes
    (ReLU: ``1[z_l > 0]``, the activation pattern). At ``z = 0`` exactly ReLU's slope is taken as 0.

    Args:
        model: an MLP whose activations up to ``layer`` are ReLU or LeakyReLU.
        x: inputs ``(n, d_in)``.
        layer: 1-based hidden layer index.

    Returns:
        ``(n, width_layer, d_in)``.

    Raises:
        TypeError: a curved activation (GELU, tanh) before or at ``layer``.
        ValueError: bad input or a layer that does not exist.
    """
    layers = check_layer(model, layer)
    h = check_input(model, x)
    jac: Tensor | None = None
    for linear, act in layers:
        z = linear(h)
        slope = activation_slope(act, z)  # (n, w)
        if jac is None:
            jac = slope[:, :, None] * linear.weight[None]
        else:
            jac = slope[:, :, None] * torch.matmul(linear.weight, jac)
        h = act(z)
    assert jac is not None
    return jac


def jacobians_autograd(model: nn.Sequential, x: Tensor, layer: int = 1) -> Tensor:
    """Jacobians of hidden layer ``layer``'s output by automatic differentiation (torch.func).

    ``torch.func.vmap(torch.func.jacrev(f))`` over the batch, ``f`` the map from one input to the
    layer's post-activation output. Works for any activation (GELU, tanh, ReLU, ...).

    Args:
        model: an MLP.
        x: inputs ``(n, d_in)``.
        layer: 1-based hidden layer index.

    Returns:
        ``(n, width_layer, d_in)``.
    """
    layers = check_layer(model, layer)
    x = check_input(model, x)
    sub = nn.Sequential(*[m for pair in layers for m in pair])

    def f(v: Tensor) -> Tensor:
        return sub(v[None])[0]

    with torch.no_grad():
        return torch.func.vmap(torch.func.jacrev(f))(x).detach()


def layer_jacobians(model: nn.Sequential, x: Tensor, layer: int = 1, method: str = "auto") -> Tensor:
    """Jacobians ``J(x) = d a_layer / d x`` of a hidden layer's output for a batch.

    Args:
        model: an MLP ``nn.Sequential(Linear, act, ..., Linear)``.
        x: inputs ``(n, d_in)``.
        layer: 1-based hidden layer index.
        method: ``"auto"`` (closed form when every activation up to ``layer`` is piecewise linear,
            else autograd), ``"closed_form"`` or ``"autograd"``.

    Returns:
        ``(n, width_layer, d_in)``: rows = hidden units, columns = inputs.

    Raises:
        ValueError: unknown method, bad input, or a layer that does not exist.
        TypeError: ``method="closed_form"`` with a curved activation.
    """
    if method not in ("auto", "closed_form", "autograd"):
        raise ValueError(f"unknown method {method!r}; use 'auto', 'closed_form' or 'autograd'.")
    layers = check_layer(model, layer)
    piecewise = all(isinstance(act, PIECEWISE_LINEAR) for _, act in layers)
    if method == "closed_form" or (method == "auto" and piecewise):
        return jacobians_closed_form(model, x, layer)
    return jacobians_autograd(model, x, layer)


def first_layer_factors(model: nn.Sequential, x: Tensor) -> tuple[Tensor, Tensor]:
    """The first hidden layer's Jacobians in factored form ``J_i = diag(s_i) W_1``.

    ``s_i = act'(W_1 x_i + b_1)``: the activation slopes (ReLU: the pattern; GELU etc.: the derivative,
    computed by autograd of the element-wise activation).

    Args:
        model: an MLP.
        x: inputs ``(n, d_in)``.

    Returns:
        ``(slopes (n, h_1), weight (h_1, d_in))``.
    """
    (linear, act), *_ = check_layer(model, 1)
    x = check_input(model, x)
    with torch.no_grad():
        z = linear(x)
    if isinstance(act, PIECEWISE_LINEAR):
        slopes = activation_slope(act, z)
    else:
        z = z.detach().requires_grad_(True)
        with torch.enable_grad():
            (slopes,) = torch.autograd.grad(act(z).sum(), z)
    return slopes.detach(), linear.weight.detach()


def layer_batch(model: nn.Sequential, x: Tensor, layer: int = 1) -> "JacobianBatch":
    """The cheapest exact representation of a layer's Jacobians: factors for layer 1, else a tensor."""
    check_layer(model, layer)
    return first_layer_factors(model, x) if layer == 1 else layer_jacobians(model, x, layer)


JacobianBatch = Tensor | tuple[Tensor, Tensor]
"""A batch of Jacobians: a tensor ``(n, h, d)``, or a first layer's factors ``(slopes (n, h), weight (h, d))``
meaning ``J_i = diag(slopes_i) weight`` (never materialised)."""


def jacobian_shape(jac: JacobianBatch) -> tuple[int, int, int]:
    """``(n, h, d)`` of a Jacobian batch (tensor or factors)."""
    if isinstance(jac, tuple):
        if len(jac) != 2 or jac[0].dim() != 2 or jac[1].dim() != 2 or jac[0].shape[1] != jac[1].shape[0]:
            raise ValueError("factored Jacobians must be (slopes (n, h), weight (h, d)).")
        return jac[0].shape[0], jac[1].shape[0], jac[1].shape[1]
    if not isinstance(jac, Tensor) or jac.dim() != 3:
        raise ValueError(f"jac must be a (n, h, d) tensor of Jacobians, got {getattr(jac, 'shape', type(jac))}.")
    return tuple(jac.shape)  # type: ignore[return-value]


def dense(jac: JacobianBatch) -> Tensor:
    """The Jacobian batch as a tensor ``(n, h, d)``."""
    if isinstance(jac, tuple):
        slopes, weight = jac
        return slopes[:, :, None] * weight[None]
    return jac


# --------------------------------------------------------------------------------------------------
# Sampling minors
# --------------------------------------------------------------------------------------------------


def distinct_indices(shape: Sequence[int], k: int, high: int | Tensor, generator: torch.Generator) -> Tensor:
    """Draw ``k`` distinct integers uniformly from ``0 .. high-1`` for every position of ``shape``.

    Sequential draws without replacement, vectorised: the j-th index is drawn from ``high - j`` values
    and shifted past the earlier ones (visited in increasing order), which makes every ordered k-tuple of
    distinct values equally likely.

    Args:
        shape: batch shape, e.g. ``(n, N)``.
        k: how many distinct indices per position.
        high: the range size, an int or a tensor broadcastable to ``shape`` (per-position ranges).
        generator: the random generator (CPU).

    Returns:
        Long tensor ``(*shape, k)``.

    Raises:
        ValueError: ``k < 1`` or ``k > high``.
    """
    high_t = torch.as_tensor(high).long().cpu()  # the generator draws on the CPU
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}.")
    if int(high_t.min()) < k:
        raise ValueError(f"cannot draw {k} distinct indices from a range of size {int(high_t.min())}.")
    high_t = high_t.expand(tuple(shape))
    chosen: list[Tensor] = []
    for j in range(k):
        u = (torch.rand(tuple(shape), generator=generator) * (high_t - j)).long()
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
    generator: torch.Generator,
) -> tuple[Tensor, Tensor]:
    """Row and column positions of ``n_minors`` random k-minors for each of ``n_inputs`` Jacobians.

    Args:
        n_inputs: number of Jacobians ``n``.
        n_minors: minors per Jacobian ``N``.
        k: minor size.
        n_rows: number of rows to draw from (an int, or ``(n, 1)`` per-input counts).
        n_cols: number of columns to draw from.
        generator: random generator.

    Returns:
        ``(rows, cols)``, long ``(n, N, k)`` each: positions ``< n_rows`` and ``< n_cols``.
    """
    rows = distinct_indices((n_inputs, n_minors), k, n_rows, generator)
    cols = distinct_indices((n_inputs, n_minors), k, n_cols, generator)
    return rows, cols


def small_det(sub: Tensor) -> Tensor:
    """Determinants of a batch of ``k x k`` matrices ``(..., k, k) -> (...)``.

    ``k = 1``: the entry; ``k = 2``: ``ad - bc`` in closed form; larger ``k``: ``torch.linalg.det``.
    """
    k = sub.shape[-1]
    if sub.shape[-2] != k:
        raise ValueError(f"minors need square blocks, got shape {tuple(sub.shape)}.")
    if k == 1:
        return sub[..., 0, 0]
    if k == 2:
        return sub[..., 0, 0] * sub[..., 1, 1] - sub[..., 0, 1] * sub[..., 1, 0]
    return torch.linalg.det(sub)


def gather_minors(jac: JacobianBatch, rows: Tensor, cols: Tensor) -> Tensor:
    """The minors ``det J_i[rows[i, j], cols[i, j]]`` for given index tuples (signed).

    The indices may live on the CPU (where the generators draw them); they are moved to the Jacobians'
    device (CPU or CUDA).

    Args:
        jac: Jacobians ``(n, h, d)`` or factors (see :data:`JacobianBatch`).
        rows: long ``(n, N, k)`` row indices into ``h``.
        cols: long ``(n, N, k)`` column indices into ``d``.

    Returns:
        ``(n, N)``.
    """
    device = jac[1].device if isinstance(jac, tuple) else jac.device
    rows, cols = rows.to(device), cols.to(device)
    if isinstance(jac, tuple):  # J_i[r, c] = slopes_i[r] W[r, c]
        slopes, weight = jac
        sub = torch.gather(slopes, 1, rows.reshape(len(slopes), -1)).reshape(rows.shape)[..., :, None]
        sub = sub * weight[rows[..., :, None], cols[..., None, :]]
        return small_det(sub)
    n = jac.shape[0]
    batch = torch.arange(n, device=jac.device)[:, None, None, None]
    sub = jac[batch, rows[..., :, None], cols[..., None, :]]  # (n, N, k, k)
    return small_det(sub)


def check_columns(columns: Tensor | None, d: int) -> Tensor | None:
    """Validate a column subset (long indices into ``d`` inputs, no duplicates)."""
    if columns is None:
        return None
    columns = torch.as_tensor(columns).long().flatten()
    if columns.numel() == 0:
        raise ValueError("the column set is empty; pass at least k pixel indices.")
    if int(columns.min()) < 0 or int(columns.max()) >= d:
        raise ValueError(f"column indices must lie in 0..{d - 1}.")
    if torch.unique(columns).numel() != columns.numel():
        raise ValueError("the column set holds duplicate indices.")
    return columns


def active_rows(jac: JacobianBatch) -> Tensor:
    """Rows of each Jacobian that are not exactly zero: bool ``(n, h)`` (ReLU: the active units)."""
    if isinstance(jac, tuple):
        slopes, weight = jac
        return slopes.ne(0) & weight.ne(0).any(dim=1)[None]
    return (jac.amax(dim=-1) > 0) | (jac.amin(dim=-1) < 0)  # two reductions, no (n, h, d) mask


def row_choice(jac: JacobianBatch, k: int, n_minors: int, rows: str, generator: torch.Generator) -> Tensor:
    """Sample minor rows from all units (``"all"``) or only the nonzero rows of each input (``"active"``).

    With ``"all"`` the positions are drawn once and shared by every input of the batch (each input still
    sees a uniform sample; sharing lets the rotated minors of a first layer be one matrix product).

    Returns:
        long ``(n, N, k)`` row indices; for ``"active"`` inputs with fewer than ``k`` nonzero rows get
        rows drawn from all units (their minors are then 0; they are flagged by :func:`jacobian_metrics`).
    """
    n, h, _ = jacobian_shape(jac)
    if rows == "all":
        return distinct_indices((1, n_minors), k, h, generator).expand(n, n_minors, k)
    if rows != "active":
        raise ValueError(f"unknown row set {rows!r}; use one of {ROW_SETS}.")
    active = active_rows(jac)
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
    inputs of the batch.

    Args:
        jac: Jacobians ``(n, h, d)``.
        k: minor size (1, 2, 3, ...), at most ``h`` and the number of columns.
        n_minors: minors per Jacobian ``N``.
        generator: random generator (default: a fresh one seeded 0).
        columns: optional long indices of the columns (pixels) to draw from.
        rows: ``"all"`` units or only each input's ``"active"`` (nonzero) rows.

    Returns:
        Signed minors ``(n, N)``.

    Raises:
        ValueError: ``k`` larger than the layer or the column set; bad columns.
    """
    jac, columns = check_minor_args(jac, k, n_minors, columns)
    generator = generator if generator is not None else torch.Generator().manual_seed(0)
    n, _, d = jacobian_shape(jac)
    row_index = row_choice(jac, k, n_minors, rows, generator)
    pos = distinct_indices((1, n_minors), k, d if columns is None else columns.numel(), generator).expand(n, n_minors, k)
    col_index = pos if columns is None else columns.cpu()[pos]
    return gather_minors(jac, row_index, col_index)


def check_minor_args(
    jac: JacobianBatch, k: int, n_minors: int, columns: Tensor | None
) -> tuple[JacobianBatch, Tensor | None]:
    """Validate a Jacobian batch, a minor size and a column set; return ``(jac, columns)``."""
    _, h, d = jacobian_shape(jac)
    if n_minors < 1:
        raise ValueError(f"n_minors must be >= 1, got {n_minors}.")
    columns = check_columns(columns, d)
    n_cols = d if columns is None else columns.numel()
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}.")
    if k > h:
        raise ValueError(f"k={k} is larger than the layer ({h} units): a k-minor needs k distinct rows.")
    if k > n_cols:
        raise ValueError(
            f"k={k} is larger than the column set ({n_cols} pixels): enlarge the radius or lower k."
        )
    return jac, columns


# --------------------------------------------------------------------------------------------------
# Statistics of minors
# --------------------------------------------------------------------------------------------------


def participation_ratio(minors: Tensor, convention: str = "toolkit") -> Tensor:
    """Participation ratio of minors along the last dimension.

    - ``"toolkit"`` (the authors' code): ``||m||_2 / ||m||_1`` in ``[1/sqrt(N), 1]``; 1 = one minor
      carries everything (concentrated), ``1/sqrt(N)`` = all equal.
    - ``"physics"``: ``||m||_1^2 / (N ||m||_2^2)`` in ``[1/N, 1]``; 1 = all equal (uniform).

    Args:
        minors: ``(..., N)``.
        convention: ``"toolkit"`` or ``"physics"``.

    Returns:
        ``(...)``; NaN where every minor is zero.
    """
    if convention not in PR_CONVENTIONS:
        raise ValueError(f"unknown participation-ratio convention {convention!r}; use one of {PR_CONVENTIONS}.")
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
    ``log N`` when one minor carries everything.

    Args:
        minors: ``(..., N)``.

    Returns:
        ``(...)``; NaN where every minor is zero.
    """
    a = minors.abs().double()
    total = a.sum(dim=-1, keepdim=True)
    p = a / total.clamp_min(1e-300)
    n = a.shape[-1]
    terms = torch.where(p > 0, p * torch.log(p.clamp_min(1e-300) * n), torch.zeros_like(p))
    out = torch.where(total[..., 0] > 0, terms.sum(dim=-1), torch.full_like(total[..., 0], float("nan")))
    return out.to(minors.dtype)


def haar_orthogonal(size: int, generator: torch.Generator, dtype: torch.dtype = torch.float32) -> Tensor:
    """A Haar-random orthogonal matrix ``(size, size)``: QR of a Gaussian matrix, signs fixed by diag(R)."""
    g = torch.randn(size, size, generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(g)
    q = q * torch.sign(torch.diagonal(r))[None, :]
    return q.to(dtype)


def transposed_jacobians(jac: Tensor, columns: Tensor | None = None) -> Tensor:
    """The Jacobians' columns as rows: ``source[i, p] = J_i[:, S_p]``, ``(n, h, d) -> (n, |S|, h)``, contiguous.

    ``S`` is ``columns`` (all ``d`` columns if None). One copy, made once per batch, so that the
    rotated minors of every rotation gather whole rows (see :func:`rotated_row_minors`).
    """
    if columns is None:
        return jac.transpose(1, 2).contiguous()
    return jac.transpose(1, 2).index_select(1, columns.to(jac.device))


def rotated_row_minors(source: Tensor, q: Tensor, rows: Tensor, pos: Tensor, chunk: int = 16) -> Tensor:
    """Minors of ``Q J_i`` at positions shared by the batch, from :func:`transposed_jacobians`.

    ``(Q J_i)[r, c] = Q[r, :] . J_i[:, c]``: for each minor ``j`` the ``k x k`` block is
    ``Q[rows_j] @ J_i[:, S[pos_j]]``, one batched product over the minors, ``(N, k, h) @ (N, h, k m)``
    for a chunk of ``m`` inputs.

    Args:
        source: ``(n, |S|, h)``, ``source[i, p] = J_i[:, S_p]``.
        q: orthogonal ``(h, h)``.
        rows: ``(N, k)`` row indices into ``h``, shared by the inputs.
        pos: ``(N, k)`` positions into ``S``, shared by the inputs.
        chunk: inputs per chunk (bounds memory).

    Returns:
        ``(n, N)`` signed minors.
    """
    n, n_cols, h = source.shape
    n_minors, k = rows.shape
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
        out.append(small_det(sub.permute(3, 0, 1, 2)))
    return torch.cat(out)


def rotated_minors(
    jac: Tensor,
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
        q: orthogonal ``(h, h)`` for rows, ``(|S|, |S|)`` for columns (``S`` = ``columns`` or all).
        rows: ``(n, N, k)`` row indices into ``h``.
        cols: ``(n, N, k)`` column positions (into ``S`` for ``side="columns"``, else pixel indices).
        side: ``"rows"`` or ``"columns"``.
        columns: the column subset ``S`` (``side="columns"`` only).
        chunk: inputs per chunk (bounds memory).

    Returns:
        ``(n, N)`` signed minors.
    """
    if side not in ROTATE_SIDES:
        raise ValueError(f"unknown rotation side {side!r}; use one of {ROTATE_SIDES}.")
    device = jac[1].device if isinstance(jac, tuple) else jac.device
    rows, cols, q = rows.to(device), cols.to(device), q.to(device)
    columns = None if columns is None else columns.to(device)
    shared = bool((rows == rows[:1]).all() and (cols == cols[:1]).all())
    if isinstance(jac, tuple) and not shared:
        jac = dense(jac)
    if isinstance(jac, tuple):
        slopes, weight = jac
        q = q.to(weight.dtype)
        r, c = rows[0], cols[0]  # (N, k)
        if side == "rows":
            # T[h, j, a, b] = Q[r_ja, h] W[h, c_jb]; entries = slopes @ T
            table = q[r].permute(2, 0, 1)[:, :, :, None] * weight[:, c][:, :, None, :]
            sub = (slopes @ table.reshape(slopes.shape[1], -1)).reshape(slopes.shape[0], *r.shape, r.shape[1])
        else:
            rotated = (weight if columns is None else weight[:, columns]) @ q  # (h, |S|)
            block = rotated[r[:, :, None], c[:, None, :]]  # (N, k, k)
            sub = slopes[:, r][..., None] * block[None]
        return small_det(sub)
    q = q.to(jac.dtype)
    if shared and side == "rows":
        return rotated_row_minors(transposed_jacobians(jac), q, rows[0], cols[0], chunk)
    # rows side: entries Q[r_a, :] . J[:, c_b]; columns side: J_S[r_a, :] . Q[:, c_b]
    if side == "rows":
        source, table = jac.transpose(1, 2).contiguous(), q  # source[i, c] = J_i[:, c]
        per_input, shared_idx = cols, rows
    else:
        source = (jac if columns is None else jac[:, :, columns]).contiguous()  # source[i, r] = J_i[r, S]
        table = q.T.contiguous()  # table[c] = Q[:, c]
        per_input, shared_idx = rows, cols
    n_src, width = source.shape[1], source.shape[2]
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
        out.append(small_det(sub))
    return torch.cat(out)


def rotation_ratio(
    jac: Tensor,
    k: int = 2,
    n_minors: int = 500,
    n_rotations: int = 5,
    side: str = "rows",
    columns: Tensor | None = None,
    generator: torch.Generator | None = None,
    minors: Tensor | None = None,
) -> Tensor:
    """Rotation ratio per input: ``max|m(J)| / mean_q max|m(Q_q J)|``.

    ``Q_q`` (q = 1..n_rotations) are Haar-random orthogonal matrices acting on the hidden units
    (``side="rows"``, the authors' toolkit) or on the input pixels of the column set
    (``side="columns"``); each side samples fresh minors. The rotations are shared by the inputs of
    the batch, and so are the sampled positions of each rotation. RR > 1: the Jacobian's large minors sit on coordinate axes (KA-like); RR ~ 1: no
    preferred axes.

    Args:
        jac: Jacobians ``(n, h, d)`` or first-layer factors (then the rotated minors are one matrix
            product, see :func:`rotated_minors`).
        k: minor size.
        n_minors: minors per Jacobian on each side.
        n_rotations: number of random rotations averaged in the denominator.
        side: ``"rows"`` or ``"columns"``.
        columns: optional column subset (pixel indices).
        generator: random generator (default: a fresh one seeded 0).
        minors: already sampled minors of ``J`` ``(n, N)`` for the numerator (else sampled here).

    Returns:
        ``(n,)``; NaN where every rotated minor is 0.
    """
    jac, columns = check_minor_args(jac, k, n_minors, columns)
    if n_rotations < 1:
        raise ValueError(f"n_rotations must be >= 1, got {n_rotations}.")
    if side not in ROTATE_SIDES:
        raise ValueError(f"unknown rotation side {side!r}; use one of {ROTATE_SIDES}.")
    generator = generator if generator is not None else torch.Generator().manual_seed(0)
    if minors is None:
        minors = sample_minors(jac, k, n_minors, generator, columns)
    n, h, d = jacobian_shape(jac)
    n_cols = d if columns is None else columns.numel()
    dense_rows = side == "rows" and not isinstance(jac, tuple)
    source = transposed_jacobians(jac, columns) if dense_rows else None  # one copy for every rotation
    maxima = []
    for _ in range(n_rotations):
        q = haar_orthogonal(h if side == "rows" else n_cols, generator)
        rows, pos = sample_minor_indices(1, n_minors, k, h, n_cols, generator)  # shared by the batch
        if source is not None:
            rotated = rotated_row_minors(source, q, rows[0], pos[0])
        else:
            rows, pos = rows.expand(n, n_minors, k), pos.expand(n, n_minors, k)
            cols = pos if (columns is None or side == "columns") else columns.cpu()[pos]
            rotated = rotated_minors(jac, q, rows, cols, side, columns)
        maxima.append(rotated.abs().amax(dim=1))
    denominator = torch.stack(maxima).mean(dim=0)
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
        center: ``(row, column)`` of the centre in pixel coordinates.
        side: image side.

    Returns:
        bool ``(side, side)``.

    Raises:
        ValueError: ``radius <= 0`` (or not finite), or a ball holding no pixel.
    """
    if isinstance(radius, bool) or not isinstance(radius, numbers.Real) or not math.isfinite(radius) or radius <= 0:
        raise ValueError(f"radius must be a positive number of pixels, got {radius!r}.")
    i = torch.arange(side, dtype=torch.float64)
    dist2 = (i[:, None] - float(center[0])) ** 2 + (i[None, :] - float(center[1])) ** 2
    mask = dist2 <= radius**2 + 1e-9
    if not mask.any():
        raise ValueError(f"the ball of radius {radius} around {tuple(center)} holds no pixel; enlarge it.")
    return mask


def ball_pixels(radius: float, center: Sequence[float] = IMAGE_CENTER, side: int = IMAGE_SIDE) -> Tensor:
    """Flat (row-major) indices of the pixels of :func:`ball_mask`: long ``(m,)``, sorted."""
    return ball_mask(radius, center, side).flatten().nonzero()[:, 0]


def grid_centers(step: float = 7.0, side: int = IMAGE_SIDE) -> list[tuple[float, float]]:
    """Ball centres on a regular grid, symmetric about the image centre: ``(row, column)`` pairs.

    ``step=7`` gives the 3 x 3 grid at 6.5, 13.5, 20.5 on a 28 x 28 image.
    """
    mid = (side - 1) / 2
    offsets = [o * step for o in range(-int(mid // step), int(mid // step) + 1)]
    return [(mid + a, mid + b) for a in offsets for b in offsets]


def row_norms(jac: Tensor) -> Tensor:
    """Euclidean norm of each Jacobian row: ``(n, h, d) -> (n, h)``."""
    return jac.norm(dim=-1)


def unit_norms(jac: Tensor) -> Tensor:
    """Root-mean-square over inputs of each unit's row norm: ``(n, h, d) -> (h,)``."""
    return jac.pow(2).sum(dim=-1).mean(dim=0).sqrt()


def zero_row_threshold(norms_init: Tensor, quantile: float = 0.01) -> float:
    """The zero-row threshold: a low quantile (default the 1st percentile) of the initial model's row norms."""
    if not 0 <= quantile <= 1:
        raise ValueError(f"quantile must lie in [0, 1], got {quantile}.")
    return float(torch.quantile(norms_init.flatten().double(), quantile))


def zero_row_fraction(norms: Tensor, threshold: float) -> float:
    """Fraction of rows whose norm is at most ``threshold`` (``<=``, so exact zeros count at threshold 0)."""
    return float((norms <= threshold).double().mean())


def dead_units(jac: Tensor) -> Tensor:
    """Units whose Jacobian row is exactly zero at every input: bool ``(h,)``."""
    return ~active_rows(jac).any(dim=0)


# --------------------------------------------------------------------------------------------------
# One call per batch
# --------------------------------------------------------------------------------------------------


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
) -> dict[str, Any]:
    """PR, KL and RR of sampled k-minors of a batch of Jacobians (see :func:`ka_metrics`).

    ``jac`` is a tensor ``(n, h, d)`` or, for a first layer, its factors ``(slopes, weight)`` from
    :func:`first_layer_factors` (faster; the numbers are the same).

    Returns:
        ``{"pr", "kl", "rr"}`` (float means over inputs, NaN inputs ignored), the per-input tensors
        ``"pr_per_input"``, ``"kl_per_input"``, ``"rr_per_input"`` ``(n,)``, the minors ``(n, N)``,
        ``"zero_minor_fraction"`` (share of exactly-zero minors), ``"active_fraction"`` (mean share of
        nonzero rows), ``"n_columns"``.
    """
    jac, columns = check_minor_args(jac, k, n_minors, columns)
    if rotate not in ROTATE_SIDES:
        raise ValueError(f"unknown rotation side {rotate!r}; use one of {ROTATE_SIDES}.")
    generator = generator if generator is not None else torch.Generator().manual_seed(0)
    minors = sample_minors(jac, k, n_minors, generator, columns, rows)
    pr = participation_ratio(minors, convention)
    kl = kl_from_uniform(minors)
    rr = rotation_ratio(jac, k, n_minors, n_rotations, rotate, columns, generator, minors=minors)
    return {
        "pr": float(torch.nanmean(pr)),
        "kl": float(torch.nanmean(kl)),
        "rr": float(torch.nanmean(rr)),
        "pr_per_input": pr,
        "kl_per_input": kl,
        "rr_per_input": rr,
        "minors": minors,
        "zero_minor_fraction": float(minors.eq(0).double().mean()),
        "active_fraction": float(active_rows(jac).double().mean()),
        "n_columns": jacobian_shape(jac)[2] if columns is None else int(columns.numel()),
        "convention": convention,
    }


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
) -> dict[str, Any]:
    """Kolmogorov-Arnold geometry metrics of hidden layer ``layer`` for a batch of inputs.

    For each input: ``J(x)`` (:func:`layer_jacobians`), ``N`` random k-minors with columns drawn from
    the pixels within ``radius`` of ``center`` (all pixels if ``radius`` is None), then the
    participation ratio, the KL divergence from uniform and the rotation ratio of those minors.

    Args:
        model: an MLP on 28 x 28 images (``d_in = 784``; any ``d_in`` when ``radius`` is None).
        x: inputs ``(n, d_in)``.
        layer: 1-based hidden layer index.
        k: minor size.
        radius: ball radius in pixels, or None for every input column.
        n_minors: minors per input ``N`` (also per rotation in the rotation ratio).
        generator: random generator (default: a fresh one seeded 0).
        center: ball centre ``(row, column)``.
        convention: participation-ratio convention, ``"toolkit"`` or ``"physics"``.
        n_rotations: rotations in the rotation ratio.
        rotate: rotation side, ``"rows"`` (hidden units) or ``"columns"`` (pixels of the ball).
        rows: draw minor rows from ``"all"`` units or each input's ``"active"`` (nonzero) rows.

    Returns:
        dict with ``pr``, ``kl``, ``rr`` (means over inputs) and per-input values; see
        :func:`jacobian_metrics`.

    Raises:
        ValueError: radius <= 0, k too large for the layer or the ball, a layer that does not exist.
    """
    jac = layer_batch(model, x, layer)
    columns = None
    if radius is not None:
        d = jacobian_shape(jac)[2]
        if d != IMAGE_SIDE * IMAGE_SIDE:
            raise ValueError(f"radius needs 28 x 28 images (784 inputs); the model takes {d}.")
        columns = ball_pixels(radius, center)
    return jacobian_metrics(jac, k, n_minors, generator, columns, convention, n_rotations, rotate, rows)


def metric_ratios(trained: dict[str, Any], random: dict[str, Any], keys: Iterable[str] = METRICS) -> dict[str, float]:
    """Trained / random-init ratio of each metric mean: ``{"pr": ..., "kl": ..., "rr": ...}``."""
    return {key: float(trained[key]) / float(random[key]) for key in keys}


def sweep(
    models: dict[str, nn.Sequential],
    x: Tensor,
    layers: Sequence[int] = (1, 2),
    ks: Sequence[int] = (1, 2),
    radii: Sequence[float] = (7, 14, 21, 28),
    centers: Sequence[Sequence[float]] = (IMAGE_CENTER,),
    n_minors: int = 500,
    seed: int = 0,
    rows: str = "all",
    n_rotations: int = 5,
) -> list[dict[str, Any]]:
    """PR, KL and RR of several networks over layers, minor sizes, radii and ball centres.

    Each Jacobian batch is computed once per (network, layer). Every network gets a generator seeded
    alike for the same (layer, k, centre), so with ``rows="all"`` all networks are measured on the same
    sampled minor positions (common random numbers: the trained / random ratios are less noisy). With
    several ``centers`` a radius's value is the mean over the balls centred there (the reading in which
    radii above 19.1 px stay distinct); balls with fewer than ``k`` pixels are skipped.

    Args:
        models: name -> network, e.g. ``{"random": init, "standard": a, "augmented": b}``.
        x: inputs ``(n, 784)``.
        layers: hidden layers (1-based) to measure.
        ks: minor sizes.
        radii: ball radii in pixels.
        centers: ball centres ``(row, column)``.
        n_minors: minors per input.
        seed: seed of the minors' generators.
        rows: ``"all"`` or ``"active"`` rows (see :func:`ka_metrics`).
        n_rotations: rotations in the rotation ratio.

    Returns:
        One record per (model, layer, k, radius): ``model, layer, k, radius, n_centers, n_columns, pr, kl,
        rr, zero_minor_fraction, active_fraction`` (means over centres).
    """
    records = []
    for layer in layers:
        for name, model in models.items():
            jac = layer_batch(model, x, layer)
            cache: dict[tuple, dict[str, Any]] = {}
            for k in ks:
                for radius in radii:
                    values: dict[str, list[float]] = {}
                    for c_index, center in enumerate(centers):
                        columns = ball_pixels(radius, center)
                        if columns.numel() < k:
                            continue
                        key = (k, c_index, tuple(columns.tolist()))
                        if key not in cache:  # e.g. radii 21 and 28 around the centre: the same pixels
                            generator = torch.Generator().manual_seed(seed * 100_003 + layer * 1009 + k * 101 + c_index)
                            cache[key] = jacobian_metrics(jac, k, n_minors, generator, columns, n_rotations=n_rotations,
                                                          rows=rows)
                        out = cache[key]
                        for key in (*METRICS, "zero_minor_fraction", "active_fraction"):
                            values.setdefault(key, []).append(out[key])
                        values.setdefault("n_columns", []).append(float(columns.numel()))
                    record: dict[str, Any] = {"model": name, "layer": layer, "k": k, "radius": radius,
                                              "n_centers": len(values["n_columns"])}
                    record.update({key: float(torch.tensor(v, dtype=torch.float64).nanmean()) for key, v in values.items()})
                    records.append(record)
    return records


def ratio_records(records: Sequence[dict[str, Any]], trained: str, random: str = "random") -> list[dict[str, Any]]:
    """Trained / random ratios of PR, KL and RR per (layer, k, radius) from :func:`sweep` records.

    Returns:
        One dict per (layer, k, radius) with ``pr, kl, rr`` ratios, the sparsity figures of both networks
        (``zero_minor_trained``, ``zero_minor_random``, ``active_trained``, ``active_random``) and
        ``pr_sparsity``: the PR ratio that the change in the share of nonzero minors alone would give if
        the nonzero minors kept their distribution (``sqrt(f_random / f_trained)``, f = nonzero share).
    """
    index = {(r["model"], r["layer"], r["k"], r["radius"]): r for r in records}
    out = []
    for (name, layer, k, radius), t in index.items():
        if name != trained:
            continue
        r = index[(random, layer, k, radius)]
        f_t, f_r = 1 - t["zero_minor_fraction"], 1 - r["zero_minor_fraction"]
        entry = {"layer": layer, "k": k, "radius": radius, "n_columns": t["n_columns"]}
        entry.update({key: t[key] / r[key] for key in METRICS})
        entry.update({"zero_minor_trained": t["zero_minor_fraction"], "zero_minor_random": r["zero_minor_fraction"],
                      "active_trained": t["active_fraction"], "active_random": r["active_fraction"],
                      "pr_sparsity": math.sqrt(f_r / f_t) if f_t > 0 else float("nan")})
        out.append(entry)
    return out


def zero_rows(init_model: nn.Sequential, model: nn.Sequential, x: Tensor, layer: int, quantile: float = 0.01) -> dict[str, float]:
    """Zero rows and dead units of a trained layer, relative to its random initialisation.

    Two readings of "a trained row below the 1st percentile of the initial model's row norms":
    per input (rows of ``J(x)``; for ReLU exactly-zero rows = inactive units) and per unit (the
    root-mean-square row norm over the inputs, :func:`unit_norms`). Dead units: rows exactly zero at every
    input of ``x``.

    Returns:
        ``{"threshold_input", "zero_rows_input", "zero_rows_input_init", "threshold_unit", "zero_rows_unit",
        "dead_units", "dead_units_init"}`` (fractions in [0, 1]).
    """
    j0, j1 = layer_jacobians(init_model, x, layer), layer_jacobians(model, x, layer)
    n0, n1 = row_norms(j0), row_norms(j1)
    t_in = zero_row_threshold(n0, quantile)
    u0, u1 = unit_norms(j0), unit_norms(j1)
    t_unit = zero_row_threshold(u0, quantile)
    return {
        "threshold_input": t_in,
        "zero_rows_input": zero_row_fraction(n1, t_in),
        "zero_rows_input_init": zero_row_fraction(n0, t_in),
        "threshold_unit": t_unit,
        "zero_rows_unit": zero_row_fraction(u1, t_unit),
        "dead_units": float(dead_units(j1).double().mean()),
        "dead_units_init": float(dead_units(j0).double().mean()),
    }


def train_pair(
    x: Tensor,
    y: Tensor,
    activation: str,
    width: int,
    seed: int,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    max_shift: float = 2.0,
    max_degrees: float = 10.0,
    snapshot_every: int | None = None,
) -> dict[str, Any]:
    """A random-init MLP ``784 -> width -> width -> 10`` and two trained copies from that same init.

    ``"standard"`` trains on the digits as they are, ``"augmented"`` on digits randomly rotated by
    U(-max_degrees, max_degrees) degrees and shifted by U(-max_shift, max_shift) pixels per axis, drawn
    afresh for every batch (:func:`mlpgeo.data.augment_digits`, bilinear). Both use Adam with the same
    seed (same batch order).

    Returns:
        ``{"random", "standard", "augmented"}`` networks and ``"history_standard"``, ``"history_augmented"``.
    """
    from mlpgeo.data import augment_digits
    from mlpgeo.models import clone, mlp, train

    init = mlp([x.shape[1], width, width, 10], activation, seed=seed)
    nets: dict[str, Any] = {"random": init}
    for name in ("standard", "augmented"):
        net = clone(init)
        transform = None
        if name == "augmented":
            def transform(xb: Tensor, g: torch.Generator) -> Tensor:
                return augment_digits(xb, g, max_shift=max_shift, max_degrees=max_degrees)
        history = train(net, x, y, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, transform=transform,
                        snapshot_every=snapshot_every, progress=False)
        nets[name] = net
        nets[f"history_{name}"] = history
    return nets


def load_state(model: nn.Sequential, state: dict[str, Tensor]) -> nn.Sequential:
    """A copy of ``model`` holding the weights ``state`` (e.g. a training snapshot)."""
    from mlpgeo.models import clone

    copy = clone(model)
    copy.load_state_dict(state)
    return copy


def group_stats(records: Sequence[dict[str, Any]], by: Sequence[str], value: str) -> dict[tuple, dict[str, Any]]:
    """Mean, sample std and values of ``value`` over the records sharing the fields ``by`` (e.g. seeds)."""
    groups: dict[tuple, list[float]] = {}
    for r in records:
        groups.setdefault(tuple(r[b] for b in by), []).append(float(r[value]))
    out = {}
    for key, vals in groups.items():
        t = torch.tensor(vals, dtype=torch.float64)
        out[key] = {"mean": float(t.mean()), "std": float(t.std()) if len(vals) > 1 else 0.0, "n": len(vals), "values": vals}
    return out


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------


def plot_ball_masks(image: Tensor, radii: Sequence[float] = (7, 14, 21, 28), center: Sequence[float] = IMAGE_CENTER, ax: Any = None) -> Any:
    """Draw a digit with the circles of the balls of each radius (and the pixels each one holds)."""
    import matplotlib.pyplot as plt

    from mlpgeo.plotting import color

    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 3.6))
    ax.imshow(image.reshape(IMAGE_SIDE, IMAGE_SIDE).cpu(), cmap="gray_r", extent=(-0.5, 27.5, 27.5, -0.5),
              interpolation="nearest")
    for i, radius in enumerate(radii):
        n_pix = int(ball_mask(radius, center).sum())
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
    """Draw a digit with the balls of one radius at several centres (circles clipped to the image)."""
    import matplotlib.pyplot as plt

    from mlpgeo.plotting import color

    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 3.6))
    ax.imshow(image.reshape(IMAGE_SIDE, IMAGE_SIDE).cpu(), cmap="gray_r", extent=(-0.5, 27.5, 27.5, -0.5),
              interpolation="nearest")
    for i, center in enumerate(centers):
        n_pix = int(ball_mask(radius, center).sum())
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
    """Histograms of ``log10 |minor|`` (nonzero minors) for a trained and a random-init network."""
    import matplotlib.pyplot as plt

    from mlpgeo.plotting import color

    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3.2))
    sets = {"trained": trained.flatten().cpu(), "random init": random.flatten().cpu()}
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
    """Jacobian rows of a few units at one input, as 28 x 28 images (shared symmetric colour scale)."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, len(units), figsize=(1.6 * len(units), 1.9))
    rows = jac[list(units)].reshape(len(units), IMAGE_SIDE, IMAGE_SIDE).cpu()
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


def plot_ratio_curves(
    radii: Sequence[float],
    curves: dict[str, tuple[Sequence[float], Sequence[float]]],
    metric: str,
    ax: Any = None,
) -> Any:
    """Ratio (trained / random) against radius: ``curves`` maps a label to (means, stds) per radius."""
    import matplotlib.pyplot as plt

    from mlpgeo.plotting import color

    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.2))
    for i, (label, (mean, std)) in enumerate(curves.items()):
        mean_t, std_t = torch.as_tensor(mean, dtype=torch.float64), torch.as_tensor(std, dtype=torch.float64)
        style = "-" if "augmented" not in label else "--"
        ax.errorbar(list(radii), mean_t.tolist(), yerr=std_t.tolist(), color=color(i // 2 * 2 + ("augmented" in label)),
                    ls=style, marker="o", ms=3.5, capsize=2.5, label=label)
    ax.axhline(1.0, color="black", lw=0.8, ls=":")
    ax.set_xlabel("ball radius (pixels)")
    ax.set_ylabel(f"{metric.upper()} trained / random")
    ax.set_xticks(list(radii))
    return ax


# --------------------------------------------------------------------------------------------------
# The report's experiment
# --------------------------------------------------------------------------------------------------


def run_setting(
    x_train: Tensor,
    y_train: Tensor,
    x_test: Tensor,
    y_test: Tensor,
    x_probe: Tensor,
    activation: str,
    width: int,
    seed: int,
    epochs: int,
    radii: Sequence[float] = (7, 14, 21, 28),
    multi_centers: Sequence[Sequence[float]] | None = None,
    snapshot_epochs: Sequence[int] = (),
    n_minors: int = 500,
    n_rotations: int = 5,
    active_radii: Sequence[float] = (14, 28),
    max_shift: float = 2.0,
    max_degrees: float = 10.0,
) -> dict[str, Any]:
    """Everything the KAG report measures for one (activation, width, seed).

    Trains standard and augmented copies of one initialisation (:func:`train_pair`, Adam, lr 1e-3,
    batch 128), then measures on ``x_probe``:

    - ``"ratios"``: trained / random ratios (:func:`sweep`, :func:`ratio_records`) for both hidden layers,
      k = 1, 2, at ``radii`` around the image centre (``reading="centre"``); with ``multi_centers`` also
      k = 2 averaged over balls at those centres (``reading="multi-centre"``); for ReLU also k = 2 with
      minor rows drawn from active units only at ``active_radii`` (``reading="active rows"``);
    - ``"accuracy"``: test accuracy of the random, standard and augmented networks;
    - ``"zero_rows"``: :func:`zero_rows` per training and layer;
    - ``"epochs"``: ratios (layer 1 and 2, k = 2, all pixels) of the standard network at ``snapshot_epochs``.

    Returns:
        ``{"activation", "width", "seed", "accuracy", "ratios", "zero_rows", "epochs", "nets"}`` where
        each ratio record also carries ``activation, width, seed, training, reading``.
    """
    from mlpgeo.models import accuracy

    every = 1 if snapshot_epochs else None
    nets = train_pair(x_train, y_train, activation, width, seed, epochs, max_shift=max_shift,
                      max_degrees=max_degrees, snapshot_every=every)
    tag = {"activation": activation, "width": width, "seed": seed}
    models = {name: nets[name] for name in ("random", "standard", "augmented")}
    out: dict[str, Any] = dict(tag, accuracy={name: accuracy(m, x_test, y_test) for name, m in models.items()})
    ratios: list[dict[str, Any]] = []
    readings: list[tuple[str, dict[str, Any]]] = [
        ("centre", dict(ks=(1, 2), radii=radii, centers=(IMAGE_CENTER,), rows="all")),
    ]
    if multi_centers:
        readings.append(("multi-centre", dict(ks=(2,), radii=radii, centers=multi_centers, rows="all")))
    if all(isinstance(act, PIECEWISE_LINEAR) for _, act in hidden_layers(nets["random"])):
        readings.append(("active rows", dict(ks=(2,), radii=active_radii, centers=(IMAGE_CENTER,), rows="active")))
    for reading, kwargs in readings:
        records = sweep(models, x_probe, layers=(1, 2), n_minors=n_minors, seed=seed, n_rotations=n_rotations, **kwargs)
        for training in ("standard", "augmented"):
            for r in ratio_records(records, training):
                ratios.append(dict(tag, training=training, reading=reading, **r))
    out["ratios"] = ratios
    out["zero_rows"] = [
        dict(tag, training=training, layer=layer, **zero_rows(nets["random"], nets[training], x_probe, layer))
        for training in ("standard", "augmented")
        for layer in (1, 2)
    ]
    epochs_out = []
    snapshots = dict(nets["history_standard"].snapshots)
    for epoch in snapshot_epochs:
        if epoch not in snapshots:
            continue
        net = load_state(nets["random"], snapshots[epoch])
        records = sweep({"random": nets["random"], "snap": net}, x_probe, layers=(1, 2), ks=(2,), radii=(28,),
                        n_minors=n_minors, seed=seed, n_rotations=n_rotations)
        for r in ratio_records(records, "snap"):
            epochs_out.append(dict(tag, epoch=epoch, **r))
    out["epochs"] = epochs_out
    out["nets"] = models
    return out


def select(records: Iterable[dict[str, Any]], **where: Any) -> list[dict[str, Any]]:
    """The records whose fields equal every ``where`` value."""
    return [r for r in records if all(r.get(key) == value for key, value in where.items())]


def metric_cells(
    ratios: Iterable[dict[str, Any]],
    metrics: Sequence[str] = METRICS,
    by: Sequence[str] = ("activation", "width", "layer", "k", "radius"),
    **where: Any,
) -> dict[tuple, dict[str, Any]]:
    """Seed statistics of each ratio: ``{(*by values, metric): {"mean", "std", "n", "values"}}``.

    ``where`` filters the records first (e.g. ``reading="centre", training="standard"``).
    """
    chosen = select(ratios, **where)
    flat = [dict({b: r[b] for b in by}, metric=m, value=r[m]) for r in chosen for m in metrics]
    return group_stats(flat, (*by, "metric"), "value")


def well_above_one(cell: dict[str, Any], margin: float = 0.1) -> bool:
    """A ratio is "well above 1" if its seed mean is at least ``1 + margin`` and mean - std > 1."""
    return cell["mean"] >= 1 + margin and cell["mean"] - cell["std"] > 1


# --------------------------------------------------------------------------------------------------
# The report's analysis: from per-setting records to the numbers behind each verdict
# --------------------------------------------------------------------------------------------------

CELL_FIELDS = ("activation", "width", "layer", "k", "radius", "metric")
TRAININGS = ("standard", "augmented")


def multi_centres(step: float = 7.0) -> list[tuple[float, float]]:
    """The second reading's ball centres: the image centre and the four diagonal grid centres.

    Of :func:`grid_centers` ``(step)`` keeps the image centre (13.5, 13.5) and the centres on neither
    central axis, e.g. (6.5, 6.5), (6.5, 20.5), (20.5, 6.5), (20.5, 20.5) for ``step = 7``.

    Args:
        step: grid spacing in pixels, passed to :func:`grid_centers`.

    Returns:
        The centres as ``(row, column)`` pairs, in grid order.
    """
    return [c for c in grid_centers(step) if c == IMAGE_CENTER or (c[0] != IMAGE_CENTER[0] and c[1] != IMAGE_CENTER[1])]


def run_settings(
    x_train: Tensor,
    y_train: Tensor,
    x_test: Tensor,
    y_test: Tensor,
    x_probe: Tensor,
    activations: Sequence[str],
    widths: Sequence[int],
    seeds: Sequence[int],
    epochs: int,
    radii: Sequence[float],
    multi_centers: Sequence[Sequence[float]],
    snapshot_epochs: Sequence[int],
) -> list[dict[str, Any]]:
    """:func:`run_setting` for every (activation, width, seed), in that loop order.

    The multi-centre reading and the epoch sweep run for the widest network only.

    Args:
        x_train: training digits, ``(n, 784)``.
        y_train: training labels, ``(n,)``.
        x_test: test digits, ``(m, 784)``.
        y_test: test labels, ``(m,)``.
        x_probe: digits the metrics are measured on, ``(p, 784)``.
        activations: activation names, e.g. ``("relu", "gelu")``.
        widths: hidden widths (both hidden layers).
        seeds: one initialisation (and batch order) per seed.
        epochs: training epochs.
        radii: ball radii in pixels.
        multi_centers: ball centres of the multi-centre reading (widest network only).
        snapshot_epochs: epochs of the standard network measured in the epoch sweep (widest network only).

    Returns:
        One :func:`run_setting` result per (activation, width, seed).
    """
    wide = max(widths)
    return [
        run_setting(x_train, y_train, x_test, y_test, x_probe, activation, width, seed, epochs, radii=radii,
                    multi_centers=multi_centers if width == wide else None,
                    snapshot_epochs=snapshot_epochs if width == wide else ())
        for activation in activations for width in widths for seed in seeds
    ]


def gather(runs: Iterable[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    """The records of one kind (``"ratios"``, ``"zero_rows"`` or ``"epochs"``) of every run, concatenated."""
    return [record for run in runs for record in run[field]]


def accuracy_summary(runs: Sequence[dict[str, Any]], trainings: Sequence[str] = ("random", "standard", "augmented")) -> dict[str, dict[str, Any]]:
    """Test accuracy over seeds per (activation, width, training).

    Args:
        runs: results of :func:`run_setting`.
        trainings: which networks of each run.

    Returns:
        ``{"<activation>_<width>_<training>": summarize(accuracies over seeds)}`` in run order.
    """
    from mlpgeo.report import summarize

    settings = list(dict.fromkeys((run["activation"], run["width"]) for run in runs))
    return {
        f"{activation}_{width}_{training}": summarize(
            [run["accuracy"][training] for run in select(runs, activation=activation, width=width)])
        for activation, width in settings for training in trainings
    }


def format_summaries(summaries: dict[str, dict[str, Any]], digits: int = 3) -> str:
    """One line ``name: mean ± std`` per summary."""
    return "\n".join(f"{name:22s} {s['mean']:.{digits}f} ± {s['std']:.{digits}f}" for name, s in summaries.items())


def training_cells(ratios: Iterable[dict[str, Any]], reading: str = "centre", **where: Any) -> dict[str, dict[tuple, dict[str, Any]]]:
    """:func:`metric_cells` of standard and of augmented training: ``{training: cells}``.

    Args:
        ratios: ratio records (:func:`run_setting` ``"ratios"``).
        reading: which pixel-set reading.
        **where: further filters, e.g. ``width=128``.

    Returns:
        ``{"standard": cells, "augmented": cells}``, cell keys ``(activation, width, layer, k, radius, metric)``.
    """
    ratios = list(ratios)
    return {t: metric_cells(ratios, reading=reading, training=t, **where) for t in TRAININGS}


def format_cells(cells: dict[tuple, dict[str, Any]], skip_radius: float | None = 21) -> str:
    """One line per cell: key, seed mean ± std, and "well above 1" (:func:`well_above_one`) when it is.

    Args:
        cells: output of :func:`metric_cells` with the default ``by``.
        skip_radius: radius left out (21 equals 28 around the centre); ``None`` keeps all.

    Returns:
        The lines, sorted by key.
    """
    lines = []
    for key, cell in sorted(cells.items(), key=lambda kv: tuple(str(v) for v in kv[0])):
        if skip_radius is not None and key[4] == skip_radius:
            continue
        flag = "well above 1" if well_above_one(cell) else ""
        lines.append(f"  {str(key):42s} {cell['mean']:.3f} ± {cell['std']:.3f}  {flag}")
    return "\n".join(lines)


def above_one_summary(cells: dict[tuple, dict[str, Any]], activations: Sequence[str]) -> dict[str, Any]:
    """How many cells are "well above 1", overall, per metric and per activation.

    With ``w(c)`` = 1 if :func:`well_above_one` (cell ``c``) else 0: ``share_well_above_1 = mean_c w(c)``
    over all cells, ``<metric>_share_well_above_1`` and ``<activation>_share_well_above_1`` the same over
    the cells of one metric / activation, and ``<metric>_median_ratio`` the median of the cells' seed means.

    Args:
        cells: output of :func:`metric_cells` with the default ``by`` (last key field = metric).
        activations: the activations to break the share down by.

    Returns:
        ``{"share_well_above_1", "n_cells", "<metric>_share_well_above_1", "<metric>_median_ratio", ...,
        "<activation>_share_well_above_1", ...}``.
    """
    def share(chosen: list[dict[str, Any]]) -> float:
        return float(np.mean([well_above_one(c) for c in chosen]))

    out: dict[str, Any] = {"share_well_above_1": share(list(cells.values())), "n_cells": len(cells)}
    for metric in METRICS:
        chosen = [c for key, c in cells.items() if key[-1] == metric]
        out[f"{metric}_share_well_above_1"] = share(chosen)
        out[f"{metric}_median_ratio"] = float(np.median([c["mean"] for c in chosen]))
    for activation in activations:
        out[f"{activation}_share_well_above_1"] = share([c for key, c in cells.items() if key[0] == activation])
    return out


def activation_medians(cells: dict[tuple, dict[str, Any]], activations: Sequence[str]) -> dict[str, float]:
    """Median over cells of the seed-mean ratio, per activation and metric.

    Args:
        cells: output of :func:`metric_cells` with the default ``by`` (first key field = activation,
            last = metric).
        activations: the activations.

    Returns:
        ``{"<activation>_<metric>_median": median of the cells' means}``, e.g. ``"relu_pr_median"``.
    """
    return {f"{activation}_{metric}_median": float(np.median([c["mean"] for key, c in cells.items()
                                                               if key[0] == activation and key[-1] == metric]))
            for activation in activations for metric in METRICS}


def augmentation_reductions(
    standard: dict[tuple, dict[str, Any]], augmented: dict[tuple, dict[str, Any]], skip_radius: float | None = 21
) -> dict[tuple, float]:
    """Per-cell reduction by augmentation ``1 - ratio_aug / ratio_std`` (seed means).

    Args:
        standard: cells of standard training (:func:`metric_cells`).
        augmented: the same cells for augmented training.
        skip_radius: radius left out (21 equals 28 around the centre); ``None`` keeps all.

    Returns:
        ``{cell key: reduction}``; positive = augmentation lowered the ratio.
    """
    return {key: 1 - augmented[key]["mean"] / cell["mean"]
            for key, cell in standard.items() if skip_radius is None or key[4] != skip_radius}


def reduction_summary(reductions: dict[tuple, float], activations: Sequence[str]) -> dict[str, float]:
    """Median reduction overall, per metric and per activation, and the share of cells lowered.

    Args:
        reductions: output of :func:`augmentation_reductions`.
        activations: the activations to break the median down by.

    Returns:
        ``{"median_reduction", "share_of_cells_lowered", "median_reduction_<metric>", ...,
        "median_reduction_<activation>", ...}``.
    """
    values = np.array(list(reductions.values()))
    out = {"median_reduction": float(np.median(values)), "share_of_cells_lowered": float(np.mean(values > 0))}
    for metric in METRICS:
        out[f"median_reduction_{metric}"] = float(np.median([v for k, v in reductions.items() if k[-1] == metric]))
    for activation in activations:
        out[f"median_reduction_{activation}"] = float(np.median([v for k, v in reductions.items() if k[0] == activation]))
    return out


def scale_spread(
    ratios: Iterable[dict[str, Any]],
    width: int,
    radii: Sequence[float],
    activations: Sequence[str],
    readings: Sequence[str] = ("centre", "multi-centre"),
    layers: Sequence[int] = (1, 2),
    k: int = 2,
) -> dict[str, Any]:
    """How much each ratio series changes across radii ("scale-agnostic").

    A series is one (reading, training, activation, layer, metric) at ``width`` and ``k``; with ``mu_r``
    its seed mean at radius ``r``, its relative spread is ``(max_r mu_r - min_r mu_r) / mean_r mu_r``, and it
    keeps one verdict if :func:`well_above_one` gives the same answer at every radius.

    Args:
        ratios: ratio records (:func:`run_setting` ``"ratios"``).
        width: the network width measured.
        radii: the radii of each series.
        activations: activations included.
        readings: pixel-set readings included.
        layers: hidden layers (1-based) included.
        k: minor size.

    Returns:
        ``{"median_relative_spread", "share_series_one_verdict", "n_series"}``.
    """
    ratios = list(ratios)
    spread, same_side = [], []
    for reading in readings:
        for training in TRAININGS:
            cells = metric_cells(ratios, reading=reading, training=training, width=width, k=k)
            for activation in activations:
                for layer in layers:
                    for metric in METRICS:
                        series = [cells[(activation, width, layer, k, r, metric)] for r in radii]
                        means = np.array([s["mean"] for s in series])
                        spread.append((means.max() - means.min()) / means.mean())
                        same_side.append(len({well_above_one(s) for s in series}) == 1)
    return {"median_relative_spread": float(np.median(spread)), "share_series_one_verdict": float(np.mean(same_side)),
            "n_series": len(spread)}


def scale_agnostic_verdict(median_spread: float, share_one_verdict: float) -> str:
    """Reproduced if median spread <= 0.15 and >= 90% of series keep one verdict; partly if spread <= 0.30.

    Args:
        median_spread: ``median_relative_spread`` of :func:`scale_spread`.
        share_one_verdict: ``share_series_one_verdict`` of :func:`scale_spread`.

    Returns:
        The verdict.
    """
    if median_spread <= 0.15 and share_one_verdict >= 0.9:
        return "reproduced"
    return "partly reproduced" if median_spread <= 0.3 else "not reproduced"


def first_run(runs: Iterable[dict[str, Any]], activation: str, width: int) -> dict[str, Any]:
    """The first run (lowest seed in loop order) of one (activation, width)."""
    return next(run for run in runs if run["activation"] == activation and run["width"] == width)


def trained_and_random_minors(nets: dict[str, nn.Sequential], x: Tensor, layer: int = 1, k: int = 2, seed: int = 0) -> dict[str, Tensor]:
    """Sampled k-minors (all pixels) of the standard network and of its initialisation.

    Each network gets a fresh generator seeded with ``seed``, so both are measured on the same positions.

    Args:
        nets: ``{"standard": model, "random": model, ...}`` (:func:`run_setting` ``"nets"``).
        x: inputs, ``(n, 784)``.
        layer: hidden layer (1-based).
        k: minor size.
        seed: generator seed of the minor positions.

    Returns:
        ``{"standard": minors, "random": minors}``, each ``(n, n_minors)``.
    """
    return {name: ka_metrics(nets[name], x, layer=layer, k=k, generator=torch.Generator().manual_seed(seed))["minors"]
            for name in ("standard", "random")}


def top_units(model: nn.Sequential, x: Tensor, layer: int = 1, n: int = 6) -> list[int]:
    """The ``n`` units whose Jacobian rows at ``x[0]`` have the largest norms (largest first).

    Args:
        model: the network.
        x: inputs, ``(m, d)``; only the first is used.
        layer: hidden layer (1-based).
        n: how many units.

    Returns:
        Unit indices.
    """
    return row_norms(layer_jacobians(model, x[:1], layer))[0].argsort(descending=True)[:n].tolist()


def confound_rows(
    ratios: Iterable[dict[str, Any]], widths: Sequence[int], layers: Sequence[int] = (1, 2), radius: float = 28
) -> list[dict[str, Any]]:
    """The active-fraction confound for ReLU, k = 2, per (width, training, layer): seed means.

    Each row holds the mean active-unit shares (``active_random``, ``active_trained``), the raw ratios
    (``pr, kl, rr``), the PR ratio the change in nonzero minors alone predicts (``pr_sparsity``,
    ``sqrt(f_random / f_trained)``) and the ratios with minor rows drawn from active units
    (``pr_active, kl_active, rr_active``).

    Args:
        ratios: ratio records (:func:`run_setting` ``"ratios"``).
        widths: network widths.
        layers: hidden layers (1-based).
        radius: ball radius (28 = all pixels).

    Returns:
        One dict per (width, training, layer), with those fields and the setting.
    """
    ratios = list(ratios)
    rows = []
    for width in widths:
        for training in TRAININGS:
            for layer in layers:
                where = dict(activation="relu", width=width, training=training, layer=layer, k=2, radius=radius)
                raw, act = select(ratios, reading="centre", **where), select(ratios, reading="active rows", **where)
                row = dict(width=width, training=training, layer=layer)
                row.update({key: float(np.mean([r[key] for r in raw]))
                            for key in ("active_random", "active_trained", "pr", "pr_sparsity", "kl", "rr")})
                row.update({f"{m}_active": float(np.mean([r[m] for r in act])) for m in METRICS})
                rows.append(row)
    return rows


def format_confound_rows(rows: Sequence[dict[str, Any]]) -> str:
    """One line per :func:`confound_rows` row."""
    return "\n".join(
        f"h={r['width']:4d} {r['training']:9s} layer {r['layer']}: active units random {r['active_random']:.3f} -> "
        f"trained {r['active_trained']:.3f}; PR raw {r['pr']:.3f}, sparsity-only {r['pr_sparsity']:.3f}, "
        f"active rows {r['pr_active']:.3f}; KL raw {r['kl']:.3f}, active rows {r['kl_active']:.3f}; "
        f"RR raw {r['rr']:.3f}, active rows {r['rr_active']:.3f}"
        for r in rows
    )


def confound_summary(ratios: Iterable[dict[str, Any]], radius: float = 28) -> dict[str, Any]:
    """Median ReLU ratios (k = 2, all pixels) raw and with active rows only, and the sparsity-only PR.

    For each reading the cells are (width, training, layer) seed means; ``<metric>_median`` is their
    median. ``pr_sparsity_only_median`` is the median over records of ``sqrt(f_random / f_trained)``.

    Args:
        ratios: ratio records (:func:`run_setting` ``"ratios"``).
        radius: ball radius (28 = all pixels).

    Returns:
        ``{"raw": {"<metric>_median"}, "active_rows": {...}, "pr_sparsity_only_median": float}``.
    """
    ratios = list(ratios)
    out: dict[str, Any] = {}
    for name, reading in (("raw", "centre"), ("active_rows", "active rows")):
        cells = metric_cells(ratios, by=("width", "training", "layer"), reading=reading, activation="relu", k=2, radius=radius)
        out[name] = {f"{m}_median": float(np.median([v["mean"] for key, v in cells.items() if key[-1] == m])) for m in METRICS}
    chosen = select(ratios, activation="relu", k=2, radius=radius, reading="centre")
    out["pr_sparsity_only_median"] = float(np.median([r["pr_sparsity"] for r in chosen]))
    return out


def zero_row_lines(zero_rows_records: Iterable[dict[str, Any]]) -> str:
    """Seed means of the zero-row and dead-unit shares per (activation, width, training, layer), one line each.

    Args:
        zero_rows_records: :func:`run_setting` ``"zero_rows"`` records of all runs (settings in record order).

    Returns:
        The lines.
    """
    keys = ("zero_rows_input", "zero_rows_input_init", "zero_rows_unit", "dead_units", "dead_units_init")
    records = list(zero_rows_records)
    settings = dict.fromkeys((r["activation"], r["width"], r["training"], r["layer"]) for r in records)
    lines = []
    for activation, width, training, layer in settings:
        rows = select(records, activation=activation, width=width, training=training, layer=layer)
        lines.append(f"{activation:5s} h={width:4d} {training:9s} layer {layer}: "
                     + ", ".join(f"{k} {np.mean([r[k] for r in rows]):.3f}" for k in keys))
    return "\n".join(lines)


def zero_rows_summary(zero_rows_records: Iterable[dict[str, Any]], activations: Sequence[str]) -> dict[str, Any]:
    """Zero-row shares after training: overall mean per unit, and seed summaries per activation.

    Args:
        zero_rows_records: :func:`run_setting` ``"zero_rows"`` records of all runs.
        activations: activations to summarise.

    Returns:
        ``{"zero_rows_unit_mean": float, "zero_rows_unit_<activation>": summarize(...), ...,
        "zero_rows_per_input_<activation>": summarize(...), ...}``.
    """
    from mlpgeo.report import summarize

    records = list(zero_rows_records)
    out: dict[str, Any] = {"zero_rows_unit_mean": float(np.mean([z["zero_rows_unit"] for z in records]))}
    for activation in activations:
        out[f"zero_rows_unit_{activation}"] = summarize([z["zero_rows_unit"] for z in select(records, activation=activation)])
    for activation in activations:
        out[f"zero_rows_per_input_{activation}"] = summarize([z["zero_rows_input"] for z in select(records, activation=activation)])
    return out


def epoch_sweep_metric(epoch_records: Iterable[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """The epoch sweep as a flat metric: ``{"<activation>_l<layer>_e<epoch>_s<seed>": {metric: ratio}}``."""
    return {f"{e['activation']}_l{e['layer']}_e{e['epoch']}_s{e['seed']}": {m: e[m] for m in METRICS} for e in epoch_records}


def epoch_means(epoch_records: Iterable[dict[str, Any]]) -> dict[tuple[str, int, str], dict[int, float]]:
    """Seed-mean ratio at each snapshot epoch: ``{(activation, layer, metric): {epoch: mean}}``, epochs sorted.

    Args:
        epoch_records: :func:`run_setting` ``"epochs"`` records of all runs.

    Returns:
        The means, in record order of (activation, layer) and metric order :data:`METRICS`.
    """
    records = list(epoch_records)
    out: dict[tuple[str, int, str], dict[int, float]] = {}
    for activation, layer in dict.fromkeys((r["activation"], r["layer"]) for r in records):
        chosen = select(records, activation=activation, layer=layer)
        for metric in METRICS:
            stats = group_stats(chosen, ("epoch",), metric)
            out[(activation, layer, metric)] = {key[0]: stats[key]["mean"] for key in sorted(stats)}
    return out


def format_epoch_means(means: dict[tuple[str, int, str], dict[int, float]]) -> str:
    """One line per (activation, layer, metric) of :func:`epoch_means`: ``e<epoch> <mean>`` pairs."""
    return "\n".join(f"{activation:5s} layer {layer} {metric.upper()}: "
                     + ", ".join(f"e{epoch} {value:.3f}" for epoch, value in by_epoch.items())
                     for (activation, layer, metric), by_epoch in means.items())


def width_gains(
    cells: dict[str, dict[tuple, dict[str, Any]]], wide: int, narrow: int, skip_radius: float | None = 21
) -> np.ndarray:
    """Per-cell ratio of the wide network's seed mean to the narrow one's, over both trainings.

    Args:
        cells: ``{training: metric_cells(...)}`` (:func:`training_cells`).
        wide: the wider width.
        narrow: the narrower width.
        skip_radius: radius left out (21 equals 28 around the centre); ``None`` keeps all.

    Returns:
        ``(n_cells,)`` array of ``ratio(h = wide) / ratio(h = narrow)``; > 1 = wider is stronger.
    """
    gains = []
    for training in TRAININGS:
        c = cells[training]
        for (activation, width, layer, k, radius, metric), cell in c.items():
            if width != wide or (skip_radius is not None and radius == skip_radius):
                continue
            gains.append(cell["mean"] / c[(activation, narrow, layer, k, radius, metric)]["mean"])
    return np.array(gains)


def width_summaries_by_activation(
    cells: dict[str, dict[tuple, dict[str, Any]]], wide: int, narrow: int, activations: Sequence[str],
    skip_radius: float | None = 21,
) -> dict[str, dict[str, Any]]:
    """:func:`width_summary` of :func:`width_gains` restricted to the cells of each activation.

    Args:
        cells: ``{training: metric_cells(...)}`` (:func:`training_cells`).
        wide: the wider width.
        narrow: the narrower width.
        activations: one summary each.
        skip_radius: radius left out (21 equals 28 around the centre); ``None`` keeps all.

    Returns:
        ``{activation: {"share_cells_wider_stronger", "median_wide_over_narrow", "n_cells"}}``.
    """
    return {activation: width_summary(width_gains({t: {key: c for key, c in cells[t].items() if key[0] == activation}
                                                   for t in TRAININGS}, wide, narrow, skip_radius))
            for activation in activations}


def width_summary(gains: np.ndarray) -> dict[str, Any]:
    """``{"share_cells_wider_stronger": mean(gains > 1), "median_wide_over_narrow": median(gains), "n_cells"}``."""
    return {"share_cells_wider_stronger": float(np.mean(gains > 1)), "median_wide_over_narrow": float(np.median(gains)),
            "n_cells": int(gains.size)}


def larger_stronger_verdict(share_stronger: float, median_gain: float) -> str:
    """Reproduced if the wider network wins >= 80% of cells with median gain > 5%; partly if it wins >= 50%.

    Args:
        share_stronger: ``share_cells_wider_stronger`` of :func:`width_summary`.
        median_gain: ``median_wide_over_narrow`` of :func:`width_summary`.

    Returns:
        The verdict.
    """
    if share_stronger >= 0.8 and median_gain > 1.05:
        return "reproduced"
    return "partly reproduced" if share_stronger >= 0.5 else "not reproduced"


# --------------------------------------------------------------------------------------------------
# The report's figures
# --------------------------------------------------------------------------------------------------


def ratio_curves(
    ratios: Iterable[dict[str, Any]], metric: str, radii: Sequence[float], activations: Sequence[str], **where: Any
) -> dict[str, tuple[list[float], list[float]]]:
    """Seed mean and std of one ratio against radius, per activation and training.

    Args:
        ratios: ratio records (:func:`run_setting` ``"ratios"``).
        metric: ``"pr"``, ``"kl"`` or ``"rr"``.
        radii: the radii, in plotting order.
        activations: activations, one pair of curves each.
        **where: filters fixing the rest of the setting (reading, width, layer, k).

    Returns:
        ``{"<activation> <training>": (means per radius, stds per radius)}``, as :func:`plot_ratio_curves` takes.
    """
    ratios = list(ratios)
    curves = {}
    for activation in activations:
        for training in TRAININGS:
            cells = metric_cells(ratios, (metric,), by=("radius",), training=training, activation=activation, **where)
            curves[f"{activation} {training}"] = ([cells[(r, metric)]["mean"] for r in radii],
                                                  [cells[(r, metric)]["std"] for r in radii])
    return curves


def plot_ratio_grid(
    ratios: Iterable[dict[str, Any]],
    reading: str,
    k: int,
    width: int,
    radii: Sequence[float],
    activations: Sequence[str],
    n_seeds: int,
) -> Any:
    """Ratio-versus-radius curves: rows = hidden layers 1 and 2, columns = PR, KL, RR.

    Args:
        ratios: ratio records (:func:`run_setting` ``"ratios"``).
        reading: pixel-set reading (``"centre"`` or ``"multi-centre"``).
        k: minor size.
        width: network width.
        radii: radii on the x axis.
        activations: activations drawn (standard solid, augmented dashed).
        n_seeds: number of seeds, for the title.

    Returns:
        The figure.
    """
    import matplotlib.pyplot as plt

    ratios = list(ratios)
    fig, axes = plt.subplots(2, 3, figsize=(9.6, 5.6), sharex=True)
    for row, layer in zip(axes, (1, 2)):
        for ax, metric in zip(row, METRICS):
            curves = ratio_curves(ratios, metric, radii, activations, reading=reading, width=width, layer=layer, k=k)
            plot_ratio_curves(radii, curves, metric, ax=ax)
            ax.set_title(f"{metric.upper()}, layer {layer}, k = {k}")
            if layer == 1:
                ax.set_xlabel("")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"{reading} balls, h = {width}, mean ± std over {n_seeds} seeds")
    return fig


def plot_pixel_sets(image: Tensor, radii: Sequence[float], radius: float, centers: Sequence[Sequence[float]]) -> Any:
    """Two panels: the centred balls of every radius, and the balls of one radius at several centres.

    Args:
        image: one digit, ``(784,)``.
        radii: radii of the centred balls.
        radius: radius of the multi-centre balls.
        centers: centres ``(row, column)`` of the multi-centre balls.

    Returns:
        The figure.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(7.6, 4.4))
    plot_ball_masks(image, radii, ax=axes[0])
    plot_ball_centres(image, radius, centers, ax=axes[1])
    whole = [str(r) for r in radii if ball_pixels(r).numel() == IMAGE_SIDE * IMAGE_SIDE]
    note = f"\n(r = {', '.join(whole)}: all 784 pixels, circles outside the frame)" if whole else ""
    axes[0].set_title(f"balls around the centre{note}", fontsize=9)
    axes[1].set_title(f"second reading:\nr = {radius} at {len(centers)} centres", fontsize=9)
    return fig


def plot_minor_histograms(runs: Iterable[dict[str, Any]], x: Tensor, activations: Sequence[str], width: int, layer: int = 1, k: int = 2) -> Any:
    """Minor histograms trained vs init (:func:`plot_minor_histogram`) of the first seed, one panel per activation.

    Args:
        runs: results of :func:`run_setting`.
        x: probe inputs, ``(n, 784)``.
        activations: one panel each.
        width: network width.
        layer: hidden layer (1-based).
        k: minor size.

    Returns:
        The figure.
    """
    import matplotlib.pyplot as plt

    runs = list(runs)
    fig, axes = plt.subplots(1, len(activations), figsize=(4.5 * len(activations), 3.3))
    for ax, activation in zip(axes, activations):
        minors = trained_and_random_minors(first_run(runs, activation, width)["nets"], x, layer=layer, k=k)
        plot_minor_histogram(minors["standard"], minors["random"], k=k, ax=ax)
        ax.set_title(f"{activation}, h = {width}, layer {layer}")
    return fig


def plot_confound(summary: dict[str, Any], ax: Any = None) -> Any:
    """Bars of the median ReLU ratios raw and with active rows only, and the sparsity-only PR line.

    Args:
        summary: output of :func:`confound_summary`.
        ax: axes to draw on (new figure if ``None``).

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt

    from mlpgeo.plotting import color

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.2))
    positions = np.arange(len(METRICS))
    for i, (label, name) in enumerate((("raw (all rows)", "raw"), ("active rows only", "active_rows"))):
        values = [summary[name][f"{m}_median"] for m in METRICS]
        ax.bar(positions + (i - 0.5) * 0.35, values, width=0.35, color=color(i), label=label)
    pr = summary["pr_sparsity_only_median"]
    ax.plot([-0.35, 0.35], [pr, pr], color="black", lw=2, label="PR from sparsity change alone")
    ax.axhline(1, color="black", ls=":", lw=0.8)
    ax.set_xticks(positions, [m.upper() for m in METRICS])
    ax.set_ylabel("trained / random (median over cells)")
    ax.set_title("ReLU, k = 2, all pixels: raw vs active-rows ratios")
    ax.legend(fontsize=7)
    return ax


def plot_epoch_sweep(epoch_records: Iterable[dict[str, Any]], activations: Sequence[str], title: str = "") -> Any:
    """Ratios against training epoch, one panel per metric, mean ± std over seeds per activation and layer.

    Args:
        epoch_records: :func:`run_setting` ``"epochs"`` records of all runs.
        activations: activations drawn (colour); layer 1 solid, layer 2 dashed.
        title: figure title.

    Returns:
        The figure.
    """
    import matplotlib.pyplot as plt

    from mlpgeo.plotting import color

    records = list(epoch_records)
    fig, axes = plt.subplots(1, len(METRICS), figsize=(10, 3.2))
    for ax, metric in zip(axes, METRICS):
        for i, activation in enumerate(activations):
            for layer, style in ((1, "-"), (2, "--")):
                stats = group_stats(select(records, activation=activation, layer=layer), ("epoch",), metric)
                xs = sorted(stats)
                ax.errorbar([x[0] for x in xs], [stats[x]["mean"] for x in xs], yerr=[stats[x]["std"] for x in xs],
                            color=color(i), ls=style, marker="o", ms=3, capsize=2, label=f"{activation} layer {layer}")
        ax.axhline(1, color="black", lw=0.8, ls=":")
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{metric.upper()} trained / random")
        ax.set_title(metric.upper())
    axes[0].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def plot_width_gains(gains: np.ndarray, wide: int, narrow: int, ax: Any = None) -> Any:
    """Histogram of the per-cell wide / narrow ratios (:func:`width_gains`), with the line at 1.

    Args:
        gains: output of :func:`width_gains`.
        wide: the wider width (axis label).
        narrow: the narrower width (axis label).
        ax: axes to draw on (new figure if ``None``).

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt

    from mlpgeo.plotting import color

    if ax is None:
        _, ax = plt.subplots(figsize=(4.6, 3.2))
    ax.hist(gains, bins=20, color=color(0))
    ax.axvline(1, color="black", ls=":")
    ax.set_xlabel(f"ratio at h = {wide} / ratio at h = {narrow}")
    ax.set_ylabel("cells")
    ax.set_title("does width strengthen the signature?")
    return ax
