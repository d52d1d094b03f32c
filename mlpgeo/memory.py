"""The MLP as a key-value memory: per-neuron decompositions of a network's output.

Cut an MLP after the activation of hidden layer ``layer`` (1-based): ``f(x) = g(a(x))`` with
``a(x): (n, width)`` the layer's activations (the *key matches*) and ``g`` the rest of the network
(:func:`split_at`). Three ways to split ``f(x)`` into one share per neuron ``i``:

- **Gradient x activation**: the *effective value* ``v_i = df/da_i`` and the *contribution*
  ``c_i = a_i v_i`` (:func:`contributions`). By Euler's theorem their sum equals ``f(x)`` only when ``g``
  is linear without bias (degree-1 homogeneous); in general the *gap* ``f(x) - sum_i c_i`` is not zero
  (:func:`gap_statistics` measures it).
- **Integrated gradients** over the activations from a baseline ``a0`` (default ``0``):
  ``IG_i = (a_i - a0_i) int_0^1 dg/da_i(a0 + t (a - a0)) dt``. Completeness,
  ``sum_i IG_i = g(a) - g(a0)``, is exact up to the quadrature error, which
  :func:`integrated_gradients` reports and which shrinks as ``steps`` grows.
- **ReLU networks, per linear region**: with every downstream mask frozen, ``g`` is affine, so
  ``f(x) = sum_i a_i v_i + c`` exactly, ``c`` being the *bias path* (the output of the masked downstream
  network for ``a = 0``): :func:`relu_decomposition`.

For a scalar input the first layer's keys are points, the *pivots* ``x_i* = -b_i / w_i``
(:func:`pivots`), and :func:`retrieval_locality` measures how local the retrieval at a query is.

Conventions: ``model`` is an ``nn.Sequential(Linear, act, ..., Linear)`` in float32 or float64;
``x: (n, d_in)``; ``output`` picks the output unit that plays ``f``. The decompositions compute in
float64 on a copy of the model by default (``dtype=torch.float64``; ``dtype=None`` keeps the model's
precision); the model itself is never changed. Work that grows with the input is estimated first: rows
are processed in chunks within the memory budget of :mod:`mlpgeo.validate`, and work that cannot be
chunked (or would run for hours, see :data:`WORK_LIMIT`) is refused with the estimate and the argument
that lowers it.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from torch import Tensor, nn

from mlpgeo.models import hidden_layers, weights
from mlpgeo.plotting import PALETTE, STYLE
from mlpgeo.validate import (
    PIECEWISE_LINEAR,
    BudgetError,
    check_budget,
    check_dtype,
    check_int,
    check_layer,
    check_number,
    check_tensor,
    check_x,
    chunk_rows,
    model_dtype,
)

__all__ = [
    "Contributions",
    "IntegratedGradients",
    "ExactDecomposition",
    "Locality",
    "GapStatistics",
    "WORK_LIMIT",
    "split_at",
    "activations",
    "contributions",
    "contributions_loop",
    "pivots",
    "pivot_order",
    "integrated_gradients",
    "relu_decomposition",
    "retrieval_locality",
    "gap_statistics",
    "lookup_trace_gif",
    "plot_activation_map",
    "plot_neuron_curves",
    "plot_pivots",
    "plot_decomposition",
    "plot_gap",
]

WORK_LIMIT = 10**12
"""The most multiply-adds :func:`integrated_gradients` starts (about a minute or two on one CPU core at
this bound): ``steps x n x`` (the multiply-adds of one pass through the rest of the network). Larger
requests are refused at once, naming the estimate; raise ``mlpgeo.memory.WORK_LIMIT`` to allow them."""


# ----------------------------------------------------------------------------------------------------------
# Cutting the network at a hidden layer
# ----------------------------------------------------------------------------------------------------------


def split_at(
    model: nn.Sequential, layer: int = 1, dtype: torch.dtype | None = None
) -> tuple[nn.Sequential, nn.Sequential]:
    """Split an MLP after the activation of hidden layer ``layer``: ``model(x) == tail(head(x))``.

    Args:
        model: ``nn.Sequential(Linear, act, ..., Linear)``.
        layer: hidden layer index, 1 = the first hidden layer (``head = Linear, act``).
        dtype: ``torch.float32`` / ``torch.float64``: if different from the model's, ``head`` and ``tail``
            are copies cast to it (the model itself is never changed); ``None`` keeps the model's.

    Returns:
        ``(head, tail)``: ``head`` maps ``x: (n, d_in)`` to the activations ``a: (n, width)``, ``tail``
        maps ``a`` to the outputs ``(n, d_out)``. They share the model's parameters unless cast.

    Raises:
        TypeError: not a supported MLP, a ``dtype`` other than float32 / float64 / ``None``, a non-integer
            ``layer``. ValueError: ``layer`` out of range.
    """
    layer = check_layer(model, layer)
    dtype = check_dtype(dtype, allow_none=True)
    modules = list(model)
    head, tail = nn.Sequential(*modules[: 2 * layer]), nn.Sequential(*modules[2 * layer :])
    if dtype is not None and dtype != model_dtype(model):
        head, tail = copy.deepcopy(head).to(dtype), copy.deepcopy(tail).to(dtype)
    return head, tail


def _prepare(
    model: nn.Sequential, x: Any, layer: int, output: Any, dtype: Any
) -> tuple[nn.Sequential, nn.Sequential, Tensor, int]:
    """Validate the arguments, split the model; return ``(head, tail, x, output)``, ``x`` in the computation
    dtype (cast from the caller's tensor, so float64 inputs keep their precision in a float64 computation)."""
    dtype = check_dtype(dtype, allow_none=True)
    checked = check_x(model, x)
    head, tail = split_at(model, layer, dtype)
    d_out = list(model)[-1].out_features
    output = check_int(output, "output")
    if not 0 <= output < d_out:
        raise ValueError(
            f"output={output} does not exist: the model has {d_out} output unit(s), numbered 0..{d_out - 1}."
        )
    compute = dtype or model_dtype(model)
    return head, tail, x.to(device=checked.device, dtype=compute), output


def _tail_sizes(tail: nn.Sequential) -> tuple[int, int]:
    """``(sum of the tail's layer widths, multiply-adds of one row through the tail)``."""
    linears = [m for m in tail if isinstance(m, nn.Linear)]
    return sum(m.out_features for m in linears), sum(m.in_features * m.out_features for m in linears)


def _row_chunks(n: int, bytes_per_row: float) -> list[slice]:
    """Row blocks of ``n`` rows, each within the chunk budget (one block when everything fits)."""
    size = chunk_rows(bytes_per_row, n)
    return [slice(start, start + size) for start in range(0, n, size)]


def _width(model: nn.Sequential, layer: int) -> int:
    return hidden_layers(model)[layer - 1][0].out_features


@torch.no_grad()
def activations(model: nn.Sequential, x: Tensor, layer: int = 1) -> Tensor:
    """The activations (key matches) ``a = act(W h + b)`` of hidden layer ``layer``.

    Args:
        model: an MLP (float32 or float64; computed in its dtype).
        x: inputs ``(n, d_in)``.
        layer: hidden layer index (1 = first).

    Returns:
        ``a: (n, width)`` in the model's dtype.

    Raises:
        TypeError / ValueError: unsupported model, bad ``x``, ``layer`` out of range.
        BudgetError: the ``(n, width)`` result would exceed the memory budget (pass fewer rows).
    """
    head, _ = split_at(model, layer)
    x = check_x(model, x)
    width = _width(model, layer)
    check_budget(len(x) * width * x.element_size(), f"the activations of {len(x)} inputs x {width} neurons",
                 "pass fewer rows in x")
    return head(x)


# ----------------------------------------------------------------------------------------------------------
# Gradient x activation
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contributions:
    """The gradient x activation split of ``f(x)`` at one hidden layer.

    Attributes:
        activations: ``a: (n, width)``, the key matches.
        values: ``v = df/da: (n, width)``, the effective values.
        contributions: ``a * v: (n, width)``.
        total: ``sum_i a_i v_i: (n,)``.
        output: ``f(x): (n,)``.
    """

    activations: Tensor
    values: Tensor
    contributions: Tensor
    total: Tensor
    output: Tensor

    @property
    def gap(self) -> Tensor:
        """``f(x) - sum_i a_i df/da_i: (n,)``; zero only if the rest of the network is linear without bias."""
        return self.output - self.total


def contributions(
    model: nn.Sequential, x: Tensor, layer: int = 1, output: int = 0, dtype: torch.dtype | None = torch.float64
) -> Contributions:
    """Activations, effective values ``df/da_i`` and contributions ``a_i df/da_i`` for a batch.

    One backward pass serves a whole block of rows: the rows of an MLP do not interact, so the gradient of
    ``sum_n f(x_n)`` with respect to ``a_n`` is ``df(x_n)/da_n``. Large batches run in row blocks within
    the memory budget (same numbers).

    Args:
        model: an MLP (float32 or float64).
        x: inputs ``(n, d_in)``.
        layer: hidden layer index (1 = first).
        output: which output unit is ``f`` (0-based).
        dtype: compute in this precision (default float64, on a copy); ``None`` keeps the model's.

    Returns:
        :class:`Contributions` (detached tensors in the computation dtype).

    Raises:
        TypeError / ValueError: unsupported model, bad ``x``, ``layer`` or ``output`` out of range, a
            ``dtype`` other than float32 / float64 / ``None``.
        BudgetError: the ``(n, width)`` results alone would exceed the memory budget (pass fewer rows).
    """
    head, tail, x, output = _prepare(model, x, layer, output, dtype)
    n, width, itemsize = len(x), _width(model, layer), x.element_size()
    check_budget(4 * n * width * itemsize, f"the contributions of {n} inputs x {width} neurons",
                 "pass fewer rows in x")
    tail_width, _ = _tail_sizes(tail)
    per_row = 4 * itemsize * (x.shape[1] + width + tail_width)
    blocks = []
    for rows in _row_chunks(n, per_row):
        with torch.no_grad():
            a = head(x[rows])
        a = a.detach().requires_grad_(True)
        f = tail(a)[:, output]
        (values,) = torch.autograd.grad(f.sum(), a)
        blocks.append((a.detach(), values, f.detach()))
    a, values, f = (torch.cat(parts) if len(parts) > 1 else parts[0] for parts in zip(*blocks))
    c = a * values
    return Contributions(a, values, c, c.sum(dim=1), f)


def contributions_loop(
    model: nn.Sequential, x: Tensor, layer: int = 1, output: int = 0, dtype: torch.dtype | None = torch.float64
) -> Contributions:
    """Reference for :func:`contributions`: one autograd call per input (as the seed notebook does). Slow.

    Same arguments, result and errors as :func:`contributions`; the model's ``.grad`` is left untouched.
    """
    head, tail, x, output = _prepare(model, x, layer, output, dtype)
    n, width = len(x), _width(model, layer)
    check_budget(4 * n * width * x.element_size(), f"the contributions of {n} inputs x {width} neurons",
                 "pass fewer rows in x")
    rows = []
    for row in x:
        with torch.no_grad():
            a = head(row[None])
        a = a.requires_grad_(True)
        f = tail(a)[0, output]
        (grad,) = torch.autograd.grad(f, a)
        rows.append((a.detach()[0], grad[0], f.detach()))
    a = torch.stack([r[0] for r in rows])
    values = torch.stack([r[1] for r in rows])
    f = torch.stack([r[2] for r in rows])
    c = a * values
    return Contributions(a, values, c, c.sum(dim=1), f)


def pivots(model: nn.Sequential) -> Tensor:
    """The first layer's keys as points of a scalar input: ``x_i* = -b_i / w_i``.

    Neuron ``i``'s pre-activation ``w_i x + b_i`` crosses zero at ``x_i*``; it is positive for ``x > x_i*``
    when ``w_i > 0`` and for ``x < x_i*`` when ``w_i < 0``. A neuron with ``w_i = 0`` never crosses zero:
    it has no pivot, reported as ``+inf``.

    Args:
        model: an MLP with a scalar input (``d_in = 1``).

    Returns:
        ``(width,)`` float64 on the CPU (float64 whatever the model's dtype: exact division).

    Raises:
        TypeError: not a supported MLP. ValueError: the model takes more than one input, or has no hidden
            layer.
    """
    if not hidden_layers(model):
        raise ValueError("the model has no hidden layer (it is a single nn.Linear): it has no keys.")
    W, b = weights(model)[0]
    if W.shape[1] != 1:
        raise ValueError(f"pivots need a scalar input (d_in = 1); this model takes {W.shape[1]} inputs.")
    w, b = W.cpu().double()[:, 0], b.cpu().double()
    return torch.where(w == 0, torch.full_like(w, float("inf")), -b / w)


def pivot_order(model: nn.Sequential) -> Tensor:
    """First-layer neurons ordered by signed pivot ``sign(w_i) x_i*`` (rows of a readable heatmap).

    Neurons firing to the left (``w_i < 0``) come first, ordered by where they switch off; then those
    firing to the right, by where they switch on. Neurons without a pivot (``w_i = 0``) go last; ties keep
    their stored order.

    Args:
        model: an MLP with a scalar input.

    Returns:
        ``(width,)`` int64 permutation.
    """
    p = pivots(model)
    signed = p * torch.sign(weights(model)[0][0].cpu().double()[:, 0])
    signed = torch.where(torch.isfinite(signed), signed, torch.full_like(signed, float("inf")))
    return torch.argsort(signed, stable=True)


# ----------------------------------------------------------------------------------------------------------
# Exact decompositions
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntegratedGradients:
    """Integrated gradients over a hidden layer's activations.

    Attributes:
        attributions: ``IG: (n, width)``.
        output: ``f(x) = g(a): (n,)``.
        baseline_output: ``g(a0): (n,)``.
        completeness_error: ``sum_i IG_i - (g(a) - g(a0)): (n,)``, the quadrature error.
        steps: number of quadrature nodes.
    """

    attributions: Tensor
    output: Tensor
    baseline_output: Tensor
    completeness_error: Tensor
    steps: int


def integrated_gradients(
    model: nn.Sequential,
    x: Tensor,
    layer: int = 1,
    baseline: Tensor | None = None,
    steps: int = 64,
    output: int = 0,
    dtype: torch.dtype | None = torch.float64,
    chunk: int = 2**22,
) -> IntegratedGradients:
    """Integrated gradients of ``f = g(a)`` over the activations of hidden layer ``layer``.

    ``IG_i = (a_i - a0_i) * (1/m) sum_k dg/da_i(a0 + t_k (a - a0))`` with the midpoint nodes
    ``t_k = (k + 1/2) / m``, ``m = steps`` (error O(1/m^2) for smooth ``g``). Then
    ``f(x) = g(a0) + sum_i IG_i + completeness_error``: an additive per-neuron split that does add up.

    Cost: ``steps x n`` passes of a row through the rest of the network. The path points are evaluated in
    blocks of at most ``chunk`` elements (``nodes x rows x widest layer``), further limited by the memory
    budget, so memory stays bounded whatever ``steps``; the total work is refused above
    :data:`WORK_LIMIT` multiply-adds.

    Args:
        model: an MLP (float32 or float64).
        x: inputs ``(n, d_in)``.
        layer: hidden layer index (1 = first).
        baseline: activations ``a0``: ``(width,)`` or ``(n, width)`` float tensor; default zeros (every key
            silent).
        steps: quadrature nodes ``m >= 1``.
        output: which output unit is ``f`` (0-based).
        dtype: precision (default float64 on a copy; ``None`` keeps the model's).
        chunk: bound on ``nodes x rows x widest layer`` evaluated per backward pass (memory).

    Returns:
        :class:`IntegratedGradients` (tensors in the computation dtype).

    Raises:
        TypeError: ``steps`` or ``chunk`` not an integer, a baseline that is not a float tensor; see
            :func:`contributions`.
        ValueError: ``steps < 1``, ``chunk < 1``, a baseline of the wrong shape or non-finite.
        BudgetError: the ``(n, width)`` results alone exceed the memory budget (pass fewer rows), or the
            work exceeds :data:`WORK_LIMIT` (lower ``steps`` or pass fewer rows).
    """
    steps = check_int(steps, "steps", low=1)
    chunk = check_int(chunk, "chunk", low=1)
    head, tail, x, output = _prepare(model, x, layer, output, dtype)
    n, width, itemsize = len(x), _width(model, layer), x.element_size()
    tail_width, tail_macs = _tail_sizes(tail)
    work = steps * n * tail_macs
    if work > WORK_LIMIT:
        raise BudgetError(
            f"integrated gradients with steps={steps} on {n} inputs needs about {work:.2e} multiply-adds, "
            f"over mlpgeo.memory.WORK_LIMIT = {WORK_LIMIT:.0e} (hours of compute); lower steps (the error "
            "falls as 1/steps^2, so 64-256 nodes usually suffice) or pass fewer rows in x "
            "(or raise mlpgeo.memory.WORK_LIMIT)."
        )
    check_budget(6 * n * width * itemsize, f"integrated gradients of {n} inputs x {width} neurons",
                 "pass fewer rows in x")
    with torch.no_grad():
        a = head(x)
    if baseline is None:
        a0 = torch.zeros_like(a)
    else:
        a0 = check_tensor(baseline, "baseline", dims=(1, 2), kind="float")
        if tuple(a0.shape) not in ((width,), (n, width)):
            raise ValueError(
                f"baseline has shape {tuple(a0.shape)}; it must be activations of hidden layer {layer}: "
                f"({width},) for one baseline or ({n}, {width}), one per input."
            )
        a0 = a0.to(device=a.device, dtype=a.dtype).expand(n, width)
    t = (torch.arange(steps, dtype=a.dtype, device=a.device) + 0.5) / steps
    widest = max([width] + [m.out_features for m in tail if isinstance(m, nn.Linear)])
    # path rows per backward pass: `chunk` elements of the widest layer, and within the memory budget
    rows_cap = min(max(1, chunk // widest), chunk_rows(4 * itemsize * (width + tail_width), steps * n))
    grad_sum = torch.zeros_like(a)
    if rows_cap >= n:  # whole batches of nodes at once
        per_pass = rows_cap // n
        for start in range(0, steps, per_pass):
            tk = t[start : start + per_pass]
            path = (a0[None] + tk[:, None, None] * (a - a0)[None]).reshape(-1, width).requires_grad_(True)
            (g,) = torch.autograd.grad(tail(path)[:, output].sum(), path)
            grad_sum += g.reshape(len(tk), n, width).sum(dim=0)
    else:  # one node at a time, in blocks of rows
        for tk in t:
            for rows in range(0, n, rows_cap):
                block = slice(rows, rows + rows_cap)
                path = (a0[block] + tk * (a[block] - a0[block])).requires_grad_(True)
                (g,) = torch.autograd.grad(tail(path)[:, output].sum(), path)
                grad_sum[block] += g
    ig = (a - a0) * grad_sum / steps
    with torch.no_grad():
        f = tail(a)[:, output]
        f0 = tail(a0)[:, output]
    return IntegratedGradients(ig, f, f0, ig.sum(dim=1) - (f - f0), steps)


@dataclass(frozen=True)
class ExactDecomposition:
    """The per-region exact split of a ReLU network: ``f(x) = sum_i a_i v_i + bias_path``.

    Attributes:
        activations: ``a: (n, width)``.
        values: ``v = df/da: (n, width)``, constant on each linear region of the downstream network.
        contributions: ``a * v: (n, width)``.
        bias_path: ``(n,)``: the downstream network with its masks frozen, evaluated at ``a = 0``.
        output: ``f(x): (n,)`` from an ordinary forward pass.
    """

    activations: Tensor
    values: Tensor
    contributions: Tensor
    bias_path: Tensor
    output: Tensor

    @property
    def residual(self) -> Tensor:
        """``f(x) - (sum_i a_i v_i + bias_path): (n,)``; zero up to rounding."""
        return self.output - (self.contributions.sum(dim=1) + self.bias_path)


def relu_decomposition(model: nn.Sequential, x: Tensor, layer: int = 1, output: int = 0) -> ExactDecomposition:
    """Exact per-region split of a ReLU / LeakyReLU MLP's output at hidden layer ``layer``.

    Downstream of the cut, each hidden layer ``k`` multiplies by the slope mask ``D_k = diag(1 or s)`` of
    the input's own pattern (``s`` = negative slope). With the masks frozen the rest of the network is
    affine in ``a``: ``f = V a + c`` with ``V = W_L D_{L-1} W_{L-1} ... D_{l+1} W_{l+1}`` (the values,
    computed here as matrix products, not by autograd) and ``c`` the image of the biases alone
    (the bias path). Both are constant on each linear region.

    Computed in float64 on a copy whatever the model's dtype (the split is exact up to float64 rounding);
    rows run in blocks within the memory budget.

    Args:
        model: an MLP whose hidden activations are all ReLU or LeakyReLU.
        x: inputs ``(n, d_in)``.
        layer: hidden layer index (1 = first).
        output: which output unit is ``f`` (0-based).

    Returns:
        :class:`ExactDecomposition` (float64 tensors).

    Raises:
        TypeError: a curved activation (use :func:`integrated_gradients`); see :func:`contributions`.
        BudgetError: the ``(n, width)`` results alone exceed the memory budget (pass fewer rows).
    """
    for index, (_, act) in enumerate(hidden_layers(model)):
        if not isinstance(act, PIECEWISE_LINEAR):
            raise TypeError(
                f"hidden layer {index + 1} uses {type(act).__name__}: the exact per-region split needs ReLU or "
                "LeakyReLU; use integrated_gradients for curved activations."
            )
    head, tail, x, output = _prepare(model, x, layer, output, torch.float64)
    layer = check_layer(model, layer)
    n, width = len(x), _width(model, layer)
    check_budget(5 * n * width * 8, f"the exact split of {n} inputs x {width} neurons", "pass fewer rows in x")
    # the effective (W, b) of the layers after the cut (LoRA adapters merged), in float64
    linears = [(W.double(), b.double()) for W, b in weights(model)[layer:]]
    acts = list(tail)[1::2]
    tail_width, _ = _tail_sizes(tail)
    blocks = []
    for rows in _row_chunks(n, 8 * (x.shape[1] + 5 * width + 4 * tail_width)):
        with torch.no_grad():
            a = head(x[rows])
            f = tail(a)[:, output]  # an ordinary forward pass
            h = a
            bias_path = torch.zeros_like(a)  # the image of the biases alone, through the same masks
            masks = []
            for k, (weight, bias) in enumerate(linears):
                z = h @ weight.T + bias
                bias_path = bias_path @ weight.T + bias
                if k + 1 < len(linears):
                    act = acts[k]
                    slope = act.negative_slope if isinstance(act, nn.LeakyReLU) else 0.0
                    mask = torch.where(z > 0, torch.ones_like(z), torch.full_like(z, slope))
                    masks.append(mask)
                    h, bias_path = mask * z, mask * bias_path
            # values V = W_L[output] D_{L-1} W_{L-1} ... D_{l+1} W_{l+1}, one row per input (back to front)
            values = linears[-1][0][output].expand(len(a), -1)
            for (weight, _), mask in zip(reversed(linears[:-1]), reversed(masks)):
                values = (values * mask) @ weight
        blocks.append((a, values, bias_path[:, output], f))
    a, values, bias_path, f = (torch.cat(parts) if len(parts) > 1 else parts[0] for parts in zip(*blocks))
    return ExactDecomposition(a, values, a * values, bias_path, f)


# ----------------------------------------------------------------------------------------------------------
# Measurements
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Locality:
    """How local the first layer's retrieval is at one scalar query (see :func:`retrieval_locality`); every
    field is a 0-d float64 tensor.

    Attributes:
        active_fraction: the share of first-layer neurons that are active.
        median_pivot_distance_active: median ``|x_i* - x*|`` over active neurons with a pivot (NaN when
            there is none: the median of nothing).
        median_pivot_distance_inactive: the same over inactive neurons (NaN when there is none).
        ramp_fraction_active: among active neurons, the share that are ramps covering the query (0 when
            no neuron is active).
    """

    active_fraction: Tensor
    median_pivot_distance_active: Tensor
    median_pivot_distance_inactive: Tensor
    ramp_fraction_active: Tensor


def retrieval_locality(model: nn.Sequential, x_star: float, threshold: float = 0.1) -> Locality:
    """How local the first layer's retrieval is at a scalar query ``x_star``.

    A neuron is *active* when ``|a_i(x*)| > threshold * max_j |a_j(x*)|``. A monotone (ReLU / GELU-like)
    key fires on a half-line; an active neuron is a *ramp covering the query* when ``w_i != 0`` and its
    pivot lies behind ``x*`` in its firing direction, ``sign(w_i) (x* - x_i*) > 0``: its pre-activation
    keeps growing beyond the query, so it is not a bump around ``x*``.

    Args:
        model: an MLP with a scalar input (float32 or float64; activations in its dtype).
        x_star: the query, a finite number.
        threshold: relative activation threshold, ``0 <= threshold < 1``.

    Returns:
        :class:`Locality`.

    Raises:
        TypeError / ValueError: not a supported MLP, a model with more than one input, a non-finite
            ``x_star``, ``threshold`` outside ``[0, 1)``.
    """
    x_star = check_number(x_star, "x_star")
    threshold = check_number(threshold, "threshold", low=0, high=1, high_open=True)
    p = pivots(model)
    a = activations(model, torch.tensor([[x_star]]))[0].double().cpu()
    active = a.abs() > threshold * a.abs().max()
    dist = (p - x_star).abs()
    finite = torch.isfinite(dist)
    w = weights(model)[0][0].cpu().double()[:, 0]
    ramp = active & (w != 0) & (torch.sign(w) * (x_star - p) > 0)

    def median(values: Tensor) -> Tensor:
        return values.median() if len(values) else torch.tensor(float("nan"), dtype=torch.float64)

    return Locality(
        active_fraction=active.double().mean(),
        median_pivot_distance_active=median(dist[active & finite]),
        median_pivot_distance_inactive=median(dist[~active & finite]),
        ramp_fraction_active=ramp.sum() / max(int(active.sum()), 1),
    )


@dataclass(frozen=True)
class GapStatistics:
    """How far ``sum_i a_i df/da_i`` is from ``f(x)`` over a batch (see :func:`gap_statistics`); every field
    is a 0-d tensor in the contributions' dtype.

    Attributes:
        median_relative_gap: median of the relative gaps (the lower middle value for an even count).
        max_relative_gap: their maximum.
        max_abs_gap: ``max_n |f(x_n) - sum_i c_i|``.
        fraction_within: the share of inputs whose relative gap is at most the tolerance.
    """

    median_relative_gap: Tensor
    max_relative_gap: Tensor
    max_abs_gap: Tensor
    fraction_within: Tensor


def gap_statistics(parts: Contributions, tolerance: float = 0.02) -> GapStatistics:
    """How far ``sum_i a_i df/da_i`` is from ``f(x)`` over a batch.

    The relative gap of input ``n`` is ``|f(x_n) - sum_i c_i| / max(|f(x_n)|, 1)`` (the floor of 1 keeps
    points where ``f`` crosses zero from dominating).

    Args:
        parts: from :func:`contributions`.
        tolerance: relative-gap tolerance of ``fraction_within``, a finite number ``>= 0``.

    Returns:
        :class:`GapStatistics`.

    Raises:
        TypeError: ``parts`` is not a :class:`Contributions`. ValueError: a bad tolerance.
    """
    if not isinstance(parts, Contributions):
        raise TypeError(f"parts must be the Contributions returned by contributions(), got {type(parts).__name__}.")
    tolerance = check_number(tolerance, "tolerance", low=0)
    relative = parts.gap.abs() / parts.output.abs().clamp_min(1.0)
    return GapStatistics(
        median_relative_gap=relative.median(),
        max_relative_gap=relative.max(),
        max_abs_gap=parts.gap.abs().max(),
        fraction_within=(relative <= tolerance).double().mean(),
    )


# ----------------------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------------------


def _scalar_grid(model: nn.Sequential, x: Tensor, what: str) -> Tensor:
    """``x`` validated for ``model`` as a scalar-input grid ``(n, 1)``."""
    x = check_x(model, x)
    if x.shape[1] != 1:
        raise ValueError(f"{what} needs a scalar-input model, x: (n, 1).")
    return x


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.4, 4.0)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def lookup_trace_gif(
    model: nn.Sequential,
    x: Tensor,
    frames: int = 40,
    layer: int = 1,
    target: Tensor | None = None,
    width_px: int = 760,
    duration_ms: int = 90,
) -> bytes:
    """A three-panel lookup trace of a scalar-input MLP as an animated GIF (bytes).

    Left: the activation heatmap (neuron x query) with a moving probe; centre: the contributions
    ``a_i df/da_i`` at the probe on the same neuron axis; right: ``f(x)`` (and ``target``), the model's
    output at the probe (dot) and the sum of the bars (cross), which differ by the gap of
    :func:`contributions`.

    Frames share one 64-colour palette and Pillow stores only what changes between frames, which keeps
    the file to a few hundred kB.

    Args:
        model: an MLP with a scalar input.
        x: the query grid ``(n, 1)``, strictly increasing, ``n >= 2``.
        frames: number of probe positions, ``2 <= frames <= n`` (evenly spread over the grid; played
            forward then back).
        layer: hidden layer whose neurons are the keys.
        target: optional ``(n, 1)`` or ``(n,)`` ground truth drawn behind the model's curve.
        width_px: image width in pixels, 200 to 2000.
        duration_ms: display time of each frame, 10 to 10000.

    Returns:
        The GIF file's bytes.

    Raises:
        TypeError / ValueError: bad model or ``x`` (not scalar, not increasing), out-of-range ``frames``,
            ``width_px`` or ``duration_ms``, a ``target`` of the wrong length.
        BudgetError: the frames would exceed the memory budget (fewer ``frames`` or a smaller ``width_px``).
    """
    x = _scalar_grid(model, x, "the lookup trace")
    if len(x) < 2 or not bool((x[1:, 0] > x[:-1, 0]).all()):
        raise ValueError(
            "x must be a strictly increasing grid of at least 2 queries; sort it with x.sort(dim=0).values."
        )
    frames = check_int(frames, "frames", low=2)
    if frames > len(x):
        raise ValueError(f"frames={frames} is more than the {len(x)} queries of x (each frame probes one query); "
                         f"pass frames <= {len(x)} or a finer grid x.")
    width_px = check_int(width_px, "width_px", low=200, high=2000)
    duration_ms = check_int(duration_ms, "duration_ms", low=10, high=10_000)
    truth = None
    if target is not None:
        truth = check_tensor(target, "target", dims=(1, 2), kind="float")
        if truth.numel() != len(x):
            raise ValueError(f"target has {truth.numel()} values but x has {len(x)} queries; pass one per query.")
        truth = truth.detach().cpu().double().numpy().reshape(-1)
    height_px = int(width_px * 0.36)
    check_budget(2 * frames * width_px * height_px * 4, f"{frames} GIF frames of {width_px} x {height_px} pixels",
                 "pass fewer frames or a smaller width_px")
    full = contributions(model, x, layer)
    grid = x[:, 0].double().cpu().numpy()
    acts = full.activations.cpu().numpy()
    contrib = full.contributions.cpu().numpy()
    out = full.output.cpu().numpy()
    probe = np.linspace(0, len(grid) - 1, frames).round().astype(int)
    width = acts.shape[1]
    lim = float(np.abs(contrib[probe]).max()) * 1.05 or 1.0

    with matplotlib.rc_context(STYLE):
        dpi = 80
        fig = Figure(figsize=(width_px / dpi, width_px / dpi * 0.36), dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        gs = fig.add_gridspec(1, 3, width_ratios=[3, 1.3, 2.2])
        ax0, ax1, ax2 = (fig.add_subplot(gs[i]) for i in range(3))
        ax0.imshow(acts.T, aspect="auto", cmap="viridis", origin="lower", interpolation="nearest",
                   extent=[grid[0], grid[-1], -0.5, width - 0.5])
        ax0.grid(False)
        line0 = ax0.axvline(grid[0], color="white", lw=1.5, ls="--")
        ax0.set(xlabel="query x", ylabel="neuron i (key)", title="keys: activation $a_i(x)$")
        bars = ax1.barh(np.arange(width), np.zeros(width), height=1.0, linewidth=0)
        ax1.axvline(0, color="#888888", lw=0.8)
        ax1.set(xlim=(-lim, lim), ylim=(-0.5, width - 0.5), xlabel=r"$a_i\,\partial f/\partial a_i$")
        ax1.set_yticklabels([])
        title1 = ax1.set_title("retrieved")
        if truth is not None:
            ax2.plot(grid, truth, color="#999999", lw=2.5, label="target")
        ax2.plot(grid, out, color=PALETTE[0], lw=1.4, label="model f(x)")
        dot = ax2.plot([], [], "o", color=PALETTE[3], ms=6, label="f(x) at probe")[0]
        cross = ax2.plot([], [], "x", color=PALETTE[1], ms=8, mew=2, label="sum of the bars")[0]
        line2 = ax2.axvline(grid[0], color="#888888", lw=0.8, ls="--")
        low = min(out.min(), contrib[probe].sum(1).min())
        high = max(out.max(), contrib[probe].sum(1).max())
        ax2.set(ylim=(low - 0.05 * (high - low), high + 0.05 * (high - low)), xlabel="x", title="output")
        ax2.legend(loc="upper center", fontsize=7)
        images = []
        for k in probe:
            line0.set_xdata([grid[k], grid[k]])
            line2.set_xdata([grid[k], grid[k]])
            for bar, value in zip(bars, contrib[k]):
                bar.set_width(value)
                bar.set_color(PALETTE[0] if value >= 0 else PALETTE[3])
            title1.set_text(f"retrieved at x = {grid[k]:.1f}")
            dot.set_data([grid[k]], [out[k]])
            cross.set_data([grid[k]], [contrib[k].sum()])
            canvas.draw()
            images.append(Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB"))
    palette_image = images[0].quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    frames_p = [im.quantize(palette=palette_image, dither=Image.Dither.NONE) for im in images]
    sequence = frames_p + frames_p[-2:0:-1]
    buffer = io.BytesIO()
    sequence[0].save(buffer, format="GIF", save_all=True, append_images=sequence[1:], loop=0,
                     duration=duration_ms, optimize=True, disposal=1)
    return buffer.getvalue()


def plot_activation_map(
    model: nn.Sequential, x: Tensor, layer: int = 1, order: Tensor | np.ndarray | Sequence[int] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of the activations ``a_i(x)`` of hidden layer ``layer`` over a scalar grid: neuron (rows) x
    query (columns).

    Args:
        model: an MLP with a scalar input.
        x: the query grid ``(n, 1)``, increasing.
        layer: hidden layer index (1 = first).
        order: optional permutation of the neurons (rows), e.g. :func:`pivot_order`.
        ax: matplotlib axes, or ``None`` for a new figure.

    Returns:
        The axes.

    Raises:
        TypeError / ValueError: bad model or ``x``, an ``order`` that is not a permutation of the neurons.
    """
    x = _scalar_grid(model, x, "the activation map")
    acts = activations(model, x, layer).cpu().numpy()
    if order is not None:
        index = check_tensor(torch.as_tensor(np.asarray(order)), "order", dims=1, kind="int")
        if not torch.equal(index.sort().values.cpu(), torch.arange(acts.shape[1])):
            raise ValueError(f"order must be a permutation of the {acts.shape[1]} neurons of layer {layer}.")
        acts = acts[:, index.cpu().numpy()]
    ax = _axes(ax)
    grid = x[:, 0].double().cpu().numpy()
    image = ax.imshow(acts.T, aspect="auto", origin="lower", interpolation="nearest",
                      extent=[grid[0], grid[-1], -0.5, acts.shape[1] - 0.5])
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, label="activation $a_i$")
    ylabel = "neuron (sorted by pivot)" if order is not None else "neuron i (key)"
    ax.set(xlabel="query x", ylabel=ylabel, title=f"hidden layer {layer} activations $a_i(x)$")
    return ax


def plot_neuron_curves(model: nn.Sequential, x: Tensor, count: int = 8, ax: Axes | None = None) -> Axes:
    """``count`` evenly spaced first-layer neurons' activation curves over a scalar grid, pivots dotted.

    Args:
        model: an MLP with a scalar input.
        x: the query grid ``(n, 1)``, increasing.
        count: how many neurons, ``1 <= count <= width``.
        ax: matplotlib axes, or ``None``.

    Returns:
        The axes.
    """
    x = _scalar_grid(model, x, "the neuron curves")
    acts = activations(model, x).cpu().numpy()
    count = check_int(count, "count", low=1, high=acts.shape[1])
    ax = _axes(ax)
    grid = x[:, 0].double().cpu().numpy()
    p = pivots(model).numpy()
    for i in np.linspace(0, acts.shape[1] - 1, count).astype(int):
        line = ax.plot(grid, acts[:, i], lw=1.3, label=f"neuron {i}")[0]
        if grid[0] <= p[i] <= grid[-1]:
            ax.axvline(p[i], color=line.get_color(), lw=0.7, ls=":")
    ax.axhline(0, color="#888888", lw=0.8)
    ax.set(xlabel="x", ylabel="activation $a_i(x)$", title=f"{count} neurons (dotted: pivots)")
    ax.legend(fontsize=7, ncol=2)
    return ax


def plot_pivots(
    models: Sequence[nn.Sequential], data_range: tuple[float, float] | None = None, clip: float = 40.0,
    ax: Axes | None = None,
) -> Axes:
    """Histogram of the first-layer pivots ``-b_i/w_i`` of several scalar-input models.

    Args:
        models: one or more scalar-input MLPs.
        data_range: ``(low, high)`` shaded as the data range, or ``None``.
        clip: pivots are clipped to ``[-clip, clip]`` (80 bins); neurons without a pivot are left out.
        ax: matplotlib axes, or ``None``.

    Returns:
        The axes.
    """
    if isinstance(models, nn.Module) or not isinstance(models, Sequence) or not models:
        raise TypeError("models must be a non-empty list of scalar-input MLPs.")
    clip = check_number(clip, "clip", low=0, low_open=True)
    values = torch.cat([pivots(model) for model in models]).numpy()
    values = values[np.isfinite(values)]
    ax = _axes(ax)
    ax.hist(np.clip(values, -clip, clip), bins=np.linspace(-clip, clip, 81), color="#0072B2")
    if data_range is not None:
        low, high = (check_number(v, "data_range") for v in data_range)
        ax.axvspan(low, high, color="#E69F00", alpha=0.2, label="data range")
        ax.legend()
    ax.set(xlabel=f"pivot $x_i^* = -b_i/w_i$ (clipped to ±{clip:g})", ylabel="neurons",
           title=f"first-layer pivots of {len(models)} models")
    return ax


def plot_decomposition(
    parts: Contributions, index: int = 0, axes: Sequence[Axes] | None = None, title: str = ""
) -> Sequence[Axes]:
    """Three bar charts at one input: activations, effective values, contributions (blue >= 0, red < 0).

    Args:
        parts: from :func:`contributions`.
        index: which input (row of ``parts``).
        axes: three matplotlib axes, or ``None`` for a new figure (three rows sharing the neuron axis).
        title: an optional figure title.

    Returns:
        The three axes.
    """
    if not isinstance(parts, Contributions):
        raise TypeError(f"parts must be the Contributions returned by contributions(), got {type(parts).__name__}.")
    index = check_int(index, "index", low=0, high=len(parts.output) - 1)
    if axes is None:
        _, axes = plt.subplots(3, 1, figsize=(8, 6.6), sharex=True)
    neurons = np.arange(parts.activations.shape[1])
    for ax, data, name in zip(
        axes,
        (parts.activations[index], parts.values[index], parts.contributions[index]),
        ("activation $a_i$ (key match)", r"effective value $\partial f/\partial a_i$",
         r"contribution $a_i\,\partial f/\partial a_i$"),
    ):
        data = data.cpu().numpy()
        ax.bar(neurons, data, width=1.0, color=np.where(data >= 0, "#0072B2", "#D55E00"), linewidth=0)
        ax.axhline(0, color="#888888", lw=0.8)
        ax.set(title=name)
    axes[-1].set(xlabel="neuron i")
    if title:
        axes[0].figure.suptitle(title)
    return axes


def plot_gap(x: Tensor, parts: Contributions, exact: IntegratedGradients | None = None, ax: Axes | None = None) -> Axes:
    """``f(x)`` against ``sum_i a_i df/da_i`` (and ``g(a0) + sum IG``) over a scalar input grid.

    Args:
        x: the query grid ``(n, 1)`` the parts were computed on.
        parts: from :func:`contributions`.
        exact: optional :class:`IntegratedGradients` on the same grid.
        ax: matplotlib axes, or ``None``.

    Returns:
        The axes.
    """
    x = check_tensor(x, "x", dims=2, kind="float")
    if x.shape[1] != 1 or len(x) != len(parts.output) or (exact is not None and len(exact.output) != len(x)):
        raise ValueError(f"x has shape {tuple(x.shape)}; it must be the (n, 1) grid the parts were computed on.")
    ax = _axes(ax)
    grid = x[:, 0].double().cpu().numpy()
    ax.plot(grid, parts.output.cpu().numpy(), color="black", lw=2.2, label="f(x)")
    ax.plot(grid, parts.total.cpu().numpy(), color="#D55E00", lw=1.4, label=r"$\sum_i a_i\,\partial f/\partial a_i$")
    if exact is not None:
        ax.plot(grid, (exact.baseline_output + exact.attributions.sum(1)).cpu().numpy(), color="#56B4E9", lw=1.2,
                ls="--", label=r"$g(a_0) + \sum_i \mathrm{IG}_i$")
    ax.set(xlabel="x", ylabel="value", title="does the sum of contributions give f(x)?")
    ax.legend()
    return ax
