"""The MLP as a key-value memory: per-neuron decompositions of a network's output.

Cut an MLP after the activation of hidden layer ``layer``: ``f(x) = g(a(x))`` with ``a(x)`` the layer's
activations (``(n, width)``: the *key matches*) and ``g`` the rest of the network. Three ways to split
``f(x)`` into one share per neuron ``i``:

- **Gradient x activation** (the seed notebook's reading): the *effective value* ``v_i = df/da_i`` and the
  *contribution* ``c_i = a_i v_i``. Their sum equals ``f(x)`` only when ``g`` is linear without bias; in
  general ``f(x) - sum_i c_i`` (the *gap*) is not zero: :func:`contributions` reports it.
- **Integrated gradients** over the activations from a baseline ``a0`` (default ``0``):
  ``IG_i = (a_i - a0_i) int_0^1 dg/da_i(a0 + t (a - a0)) dt``. Completeness,
  ``sum_i IG_i = g(a) - g(a0)``, is exact up to the quadrature error, which :func:`integrated_gradients`
  reports and which shrinks as ``steps`` grows.
- **ReLU networks, per linear region**: with every downstream mask frozen, ``g`` is affine, so
  ``f(x) = sum_i a_i v_i + c`` exactly, ``c`` being the bias path (the output of the masked downstream
  network for ``a = 0``): :func:`relu_decomposition`.

For a scalar input the first layer's keys are points, the *pivots* ``x_i* = -b_i / w_i`` (:func:`pivots`).

The module also holds the seed notebook's experiment (x^2 on [-10, 10], one fresh model per epoch count:
:func:`epoch_sweep`), its lookup-trace animation as a small GIF (:func:`lookup_trace_gif`) and the
figures of the function-approximation report.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from mlpgeo.models import PIECEWISE_LINEAR, check_input, hidden_layers, mlp, train

__all__ = [
    "Contributions",
    "IntegratedGradients",
    "ExactDecomposition",
    "SweepRun",
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
    "regions_hit",
    "square_data",
    "epoch_sweep",
    "lookup_trace_gif",
    "plot_convergence",
    "plot_activation_map",
    "plot_neuron_curves",
    "plot_pivots",
    "plot_decomposition",
    "plot_gap",
    "plot_relu_regions",
    "relu_region_statistics",
    "gap_statistics_across",
    "summaries",
    "seed_sweeps",
    "sweep_mse",
    "orders_of_magnitude",
    "affine_fit",
    "constant_fit_verdict",
    "pivot_shift",
    "locality_across_seeds",
    "locality_verdict",
    "point_reconstruction",
    "point_gap_verdict",
    "everywhere_verdict",
    "relative_max_error",
    "completeness_vs_steps",
    "exact_split_verdict",
    "relu_twin",
    "model_mse",
    "slope_rms_error",
    "plot_mse_by_epochs",
    "plot_gap_curves",
    "plot_error_vs_steps",
]


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
        dtype: if given and different from the model's, ``head`` and ``tail`` are copies cast to it
            (the model itself is never changed).

    Returns:
        ``(head, tail)``: ``head`` maps ``x: (n, d_in)`` to the activations ``a: (n, width)``, ``tail``
        maps ``a`` to the outputs ``(n, d_out)``. They share the model's parameters unless cast.

    Raises:
        TypeError: not a supported MLP. ValueError: ``layer`` out of range.
    """
    hidden = hidden_layers(model)
    if not 1 <= layer <= len(hidden):
        raise ValueError(
            f"layer {layer} does not exist: the model has {len(hidden)} hidden layers (use 1..{len(hidden)})."
        )
    modules = list(model)
    head, tail = nn.Sequential(*modules[: 2 * layer]), nn.Sequential(*modules[2 * layer :])
    reference = next(model.parameters())
    if dtype is not None and dtype != reference.dtype:
        head, tail = copy.deepcopy(head).to(dtype), copy.deepcopy(tail).to(dtype)
    return head, tail


def _prepare(
    model: nn.Sequential, x: Tensor, layer: int, output: int, dtype: torch.dtype | None
) -> tuple[nn.Sequential, nn.Sequential, Tensor]:
    """Validate, split, cast ``x``; return ``(head, tail, x)``."""
    if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise ValueError(f"dtype must be a floating-point torch dtype (e.g. torch.float64) or None, got {dtype!r}.")
    x = check_input(model, x)
    head, tail = split_at(model, layer, dtype)
    d_out = list(model)[-1].out_features
    if not 0 <= output < d_out:
        raise ValueError(f"output {output} does not exist: the model has {d_out} outputs (use 0..{d_out - 1}).")
    dtype = next(head.parameters()).dtype
    return head, tail, x.to(dtype)


@torch.no_grad()
def activations(model: nn.Sequential, x: Tensor, layer: int = 1) -> Tensor:
    """The activations (key matches) ``a = act(W h + b)`` of hidden layer ``layer``: ``(n, width)``."""
    head, _ = split_at(model, layer)
    return head(check_input(model, x))


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

    One backward pass serves the whole batch: the rows of an MLP do not interact, so the gradient of
    ``sum_n f(x_n)`` with respect to ``a_n`` is ``df(x_n)/da_n``.

    Args:
        model: an MLP.
        x: inputs ``(n, d_in)``.
        layer: hidden layer index (1 = first).
        output: which output unit is ``f``.
        dtype: compute in this precision (default float64, on a copy); ``None`` keeps the model's.

    Returns:
        :class:`Contributions` (all float tensors, detached).

    Raises:
        TypeError / ValueError: unsupported model, bad input, ``layer`` or ``output`` out of range.
    """
    head, tail, x = _prepare(model, x, layer, output, dtype)
    with torch.no_grad():
        a = head(x)
    a = a.detach().requires_grad_(True)
    f = tail(a)[:, output]
    (values,) = torch.autograd.grad(f.sum(), a)
    a, f = a.detach(), f.detach()
    c = a * values
    return Contributions(a, values, c, c.sum(dim=1), f)


def contributions_loop(
    model: nn.Sequential, x: Tensor, layer: int = 1, output: int = 0, dtype: torch.dtype | None = torch.float64
) -> Contributions:
    """Reference for :func:`contributions`: one autograd call per input (as the seed notebook does). Slow."""
    head, tail, x = _prepare(model, x, layer, output, dtype)
    rows = []
    for row in x:
        a = head(row[None]).detach().requires_grad_(True)
        f = tail(a)[0, output]
        f.backward()
        rows.append((a.detach()[0], a.grad[0], f.detach()))
    a = torch.stack([r[0] for r in rows])
    values = torch.stack([r[1] for r in rows])
    f = torch.stack([r[2] for r in rows])
    c = a * values
    return Contributions(a, values, c, c.sum(dim=1), f)


def pivots(model: nn.Sequential) -> Tensor:
    """The first layer's keys as points of a scalar input: ``x_i* = -b_i / w_i``, ``(width,)`` float64 on the CPU.

    Neuron ``i``'s pre-activation ``w_i x + b_i`` crosses zero at ``x_i*``; it is positive for ``x > x_i*``
    when ``w_i > 0`` and for ``x < x_i*`` when ``w_i < 0``. A neuron with ``w_i = 0`` has no pivot
    (``+-inf``, or NaN if also ``b_i = 0``).

    Raises:
        ValueError: the model takes more than one input.
    """
    first = hidden_layers(model)[0][0]
    if first.in_features != 1:
        raise ValueError(f"pivots need a scalar input; this model takes {first.in_features} inputs.")
    w = first.weight.detach().cpu().double()[:, 0]
    b = first.bias.detach().cpu().double() if first.bias is not None else torch.zeros_like(w)
    return -b / w


def pivot_order(model: nn.Sequential) -> np.ndarray:
    """First-layer neurons ordered by signed pivot ``sign(w_i) x_i*`` (rows of a readable heatmap).

    Neurons firing to the left (``w_i < 0``) come first, ordered by where they switch off; then those
    firing to the right, by where they switch on. Neurons without a pivot (``w_i = 0``) go last.

    Returns:
        ``(width,)`` int permutation.
    """
    first = hidden_layers(model)[0][0]
    signed = (pivots(model) * torch.sign(first.weight.detach().cpu().double()[:, 0])).numpy()
    return np.argsort(np.where(np.isfinite(signed), signed, np.inf), kind="stable")


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

    Args:
        model: an MLP.
        x: inputs ``(n, d_in)``.
        layer: hidden layer index (1 = first).
        baseline: activations ``a0``: ``(width,)`` or ``(n, width)``; default zeros (every key silent).
        steps: quadrature nodes ``m >= 1``.
        output: which output unit is ``f``.
        dtype: precision (default float64 on a copy; ``None`` keeps the model's).
        chunk: bound on ``nodes x n x width`` evaluated per backward pass (memory).

    Returns:
        :class:`IntegratedGradients`.

    Raises:
        ValueError: ``steps`` not an integer ``>= 1``, ``chunk < 1``, a baseline of the wrong shape or
            non-finite; see :func:`contributions`.
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1 (the number of quadrature nodes), got {steps!r}.")
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}; the default 2**22 suits a few GB of memory.")
    head, tail, x = _prepare(model, x, layer, output, dtype)
    with torch.no_grad():
        a = head(x)
    n, width = a.shape
    if baseline is None:
        a0 = torch.zeros_like(a)
    else:
        a0 = torch.as_tensor(baseline, dtype=a.dtype, device=a.device)
        if a0.shape not in ((width,), (n, width)) or not torch.isfinite(a0).all():
            raise ValueError(
                f"baseline must be finite activations of shape ({width},) or ({n}, {width}), "
                f"got {tuple(a0.shape)}."
            )
        a0 = a0.expand(n, width)
    t = (torch.arange(steps, dtype=a.dtype, device=a.device) + 0.5) / steps
    widest = max([width] + [m.out_features for m in tail if isinstance(m, nn.Linear)])
    per_pass = max(1, chunk // max(1, n * widest))
    grad_sum = torch.zeros_like(a)
    for start in range(0, steps, per_pass):
        tk = t[start : start + per_pass]
        path = (a0[None] + tk[:, None, None] * (a - a0)[None]).reshape(-1, width).requires_grad_(True)
        (g,) = torch.autograd.grad(tail(path)[:, output].sum(), path)
        grad_sum += g.reshape(len(tk), n, width).sum(dim=0)
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
    """Exact per-region split of a ReLU / LeakyReLU MLP's output at hidden layer ``layer`` (float64).

    Downstream of the cut, each hidden layer ``k`` multiplies by the slope mask ``D_k = diag(1 or s)`` of
    the input's own pattern (``s`` = negative slope). With the masks frozen the rest of the network is
    affine in ``a``: ``f = V a + c`` with ``V = W_L D_{L-1} W_{L-1} ... D_{l+1} W_{l+1}`` (the values,
    computed here as matrix products, not by autograd) and ``c`` the image of the biases alone
    (the bias path). Both are constant on each linear region.

    Args:
        model: an MLP whose hidden activations are all ReLU or LeakyReLU.
        x: inputs ``(n, d_in)``.
        layer: hidden layer index (1 = first).
        output: which output unit is ``f``.

    Returns:
        :class:`ExactDecomposition`.

    Raises:
        TypeError: a curved activation (use :func:`integrated_gradients`); see :func:`contributions`.
    """
    for index, (_, act) in enumerate(hidden_layers(model)):
        if not isinstance(act, PIECEWISE_LINEAR):
            raise TypeError(
                f"hidden layer {index + 1} uses {type(act).__name__}: the exact per-region split needs ReLU or "
                "LeakyReLU; use integrated_gradients for curved activations."
            )
    head, tail, x = _prepare(model, x, layer, output, torch.float64)
    with torch.no_grad():
        a = head(x)
        f = tail(a)[:, output]  # an ordinary forward pass
        modules = list(tail)
        linears = modules[0::2]
        h = a
        bias_path = torch.zeros_like(a)  # the image of the biases alone, through the same masks
        masks = []
        for k, linear in enumerate(linears):
            bias = linear.bias if linear.bias is not None else a.new_zeros(linear.out_features)
            z = h @ linear.weight.T + bias
            bias_path = bias_path @ linear.weight.T + bias
            if k + 1 < len(linears):
                act = modules[2 * k + 1]
                slope = act.negative_slope if isinstance(act, nn.LeakyReLU) else 0.0
                mask = torch.where(z > 0, torch.ones_like(z), torch.full_like(z, slope))
                masks.append(mask)
                h, bias_path = mask * z, mask * bias_path
        # values V = W_L[output] D_{L-1} W_{L-1} ... D_{l+1} W_{l+1}, one row per input (back to front)
        values = linears[-1].weight[output].expand(len(a), -1)
        for linear, mask in zip(reversed(linears[:-1]), reversed(masks)):
            values = (values * mask) @ linear.weight
    return ExactDecomposition(a, values, a * values, bias_path[:, output], f)


# ----------------------------------------------------------------------------------------------------------
# Measurements used by the report
# ----------------------------------------------------------------------------------------------------------


def retrieval_locality(model: nn.Sequential, x_star: float, threshold: float = 0.1) -> dict[str, float]:
    """How local the first layer's retrieval is at a scalar query ``x_star``.

    A neuron is *active* when ``|a_i(x*)| > threshold * max_j |a_j(x*)|``.

    Returns:
        ``{"active_fraction", "median_pivot_distance_active", "median_pivot_distance_inactive",
        "ramp_fraction_active"}``: the share of active neurons; the median ``|x_i* - x*|`` over active and
        over inactive neurons (finite pivots); among active neurons, the share whose pre-activation keeps
        growing beyond the query (a half-line key, ``w_i (x - x*) > 0`` on one whole side), which is every
        neuron whose pivot is not beyond ``x*`` in its firing direction — i.e. the share that is *not* a
        bump around ``x*``.

    Raises:
        ValueError: the model takes more than one input, or ``threshold`` is outside ``[0, 1)``.
    """
    first = hidden_layers(model)[0][0]
    if first.in_features != 1:
        raise ValueError(f"retrieval_locality needs a scalar input; this model takes {first.in_features}.")
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold is a share of the largest activation: use 0 <= threshold < 1, got {threshold}.")
    a = activations(model, torch.tensor([[float(x_star)]]))[0].double().cpu()
    p = pivots(model)
    active = a.abs() > threshold * a.abs().max()
    dist = (p - x_star).abs()
    finite = torch.isfinite(dist)
    # a monotone (ReLU / GELU-like) key fires on a half-line: active at x* means firing direction covers x*.
    w = first.weight.detach().cpu().double()[:, 0]
    ramp = active & (w != 0) & (torch.sign(w) * (x_star - p) > 0)

    def median(values: Tensor) -> float:
        return float(values.median()) if len(values) else float("nan")

    return {
        "active_fraction": float(active.double().mean()),
        "median_pivot_distance_active": median(dist[active & finite]),
        "median_pivot_distance_inactive": median(dist[~active & finite]),
        "ramp_fraction_active": float(ramp.sum() / max(int(active.sum()), 1)),
    }


def gap_statistics(parts: Contributions, tolerance: float = 0.02) -> dict[str, float]:
    """How far ``sum_i a_i df/da_i`` is from ``f(x)`` over a batch.

    The relative gap of input ``n`` is ``|f(x_n) - sum_i c_i| / max(|f(x_n)|, 1)`` (the floor of 1 keeps
    points where ``f`` crosses zero from dominating).

    Returns:
        ``{"median_relative_gap", "max_relative_gap", "max_abs_gap", "fraction_within"}``, the last being
        the share of inputs whose relative gap is at most ``tolerance``.
    """
    relative = parts.gap.abs() / parts.output.abs().clamp_min(1.0)
    return {
        "median_relative_gap": float(relative.median()),
        "max_relative_gap": float(relative.max()),
        "max_abs_gap": float(parts.gap.abs().max()),
        "fraction_within": float((relative <= tolerance).double().mean()),
    }


def regions_hit(breakpoints: np.ndarray, x: Tensor | np.ndarray) -> int:
    """How many intervals ``[breakpoints[k], breakpoints[k+1])`` hold at least one point of ``x``.

    Args:
        breakpoints: ``(r + 1,)`` increasing.
        x: points ``(n,)`` or ``(n, 1)`` inside ``[breakpoints[0], breakpoints[-1]]``.
    """
    bp = np.asarray(breakpoints, dtype=np.float64)
    points = np.asarray(x, dtype=np.float64).reshape(-1)
    index = np.clip(np.searchsorted(bp, points, side="right") - 1, 0, len(bp) - 2)
    return int(len(np.unique(index)))


def square_data(n: int = 1000, low: float = -10.0, high: float = 10.0) -> tuple[Tensor, Tensor]:
    """The seed notebook's data: ``x = linspace(low, high, n)`` as ``(n, 1)`` float32, target ``x^2``."""
    if n < 2 or not low < high:
        raise ValueError(f"need n >= 2 and low < high, got n={n}, low={low}, high={high}.")
    x = torch.linspace(low, high, n, dtype=torch.float64).reshape(-1, 1)
    return x.float(), (x**2).float()


@dataclass
class SweepRun:
    """One model of :func:`epoch_sweep`: its epoch count, init seed, the trained model and its MSE."""

    epochs: int
    seed: int
    model: nn.Sequential
    mse: float


def epoch_sweep(
    x: Tensor,
    y: Tensor,
    epoch_counts: Sequence[int],
    seed: int,
    widths: Sequence[int] = (1, 64, 256, 64, 1),
    activation: str = "gelu",
    lr: float = 1e-3,
) -> list[SweepRun]:
    """The seed notebook's experiment: one *fresh* model per epoch count, Adam, full-batch MSE.

    Model ``k`` is initialised with seed ``1000 * seed + k`` (the notebook draws an independent
    initialisation for each model and sets no seed), trained for ``epoch_counts[k]`` epochs.

    Returns:
        One :class:`SweepRun` per epoch count, in order.

    Raises:
        ValueError: an epoch count that is not a non-negative integer.
    """
    bad = [e for e in epoch_counts if isinstance(e, bool) or not isinstance(e, (int, np.integer)) or e < 0]
    if bad:
        raise ValueError(f"epoch counts must be integers >= 0 (0 = the untrained model), got {bad}.")
    runs = []
    for k, epochs in enumerate(epoch_counts):
        init = 1000 * seed + k
        model = mlp(widths, activation=activation, seed=init)
        train(model, x, y, loss="mse", optimizer="adam", lr=lr, epochs=int(epochs), seed=init, progress=False)
        runs.append(SweepRun(int(epochs), init, model, model_mse(model, x, y)))
    return runs


# ----------------------------------------------------------------------------------------------------------
# The lookup-trace animation
# ----------------------------------------------------------------------------------------------------------


def lookup_trace_gif(
    model: nn.Sequential,
    x: Tensor,
    frames: int = 40,
    layer: int = 1,
    target: Tensor | None = None,
    width_px: int = 760,
    duration_ms: int = 90,
) -> bytes:
    """The seed notebook's three-panel lookup trace as an animated GIF (bytes).

    Left: the activation heatmap (neuron x query) with a moving probe; centre: the contributions
    ``a_i df/da_i`` at the probe on the same neuron axis; right: ``f(x)`` (and ``target``), the model's
    output at the probe (dot) and the sum of the bars (cross), which differ by the gap of
    :func:`contributions`.

    Frames share one 64-colour palette and Pillow stores only what changes between frames, which keeps
    the file to a few hundred kB.

    Args:
        model: an MLP with a scalar input.
        x: the query grid ``(n, 1)``, increasing.
        frames: number of probe positions (evenly spread over the grid; played forward then back).
        layer: hidden layer whose neurons are the keys.
        target: optional ``(n, 1)`` ground truth drawn behind the model's curve.
        width_px: image width in pixels.
        duration_ms: display time of each frame.

    Returns:
        The GIF file's bytes.
    """
    import matplotlib

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    from mlpgeo.plotting import PALETTE, STYLE

    if frames < 2:
        raise ValueError(f"frames must be >= 2, got {frames}.")
    x = check_input(model, x)
    if x.shape[1] != 1:
        raise ValueError("the lookup trace needs a scalar-input model, x: (n, 1).")
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
        if target is not None:
            truth = np.asarray(target, dtype=np.float64).reshape(-1)
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


# ----------------------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------------------


def _axes(ax: Any, figsize: tuple[float, float] = (6.4, 4.0)) -> Any:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_convergence(x: Tensor, y: Tensor, runs: Sequence[SweepRun], ax: Any = None) -> Any:
    """The seed notebook's convergence figure: each model's curve coloured by its MSE (log scale)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    ax = _axes(ax)
    grid = x[:, 0].cpu().numpy()
    mses = np.array([max(r.mse, 1e-12) for r in runs])
    norm = LogNorm(vmin=mses.min(), vmax=mses.max())
    cmap = plt.get_cmap("viridis_r")
    for run, mse in zip(runs, mses):
        with torch.no_grad():
            pred = run.model(check_input(run.model, x))[:, 0].cpu().numpy()
        ax.plot(grid, pred, color=cmap(norm(mse)), lw=1.3, label=f"{run.epochs} epochs")
    ax.plot(grid, y[:, 0].cpu().numpy(), color="black", lw=1.0, ls="--", label="$x^2$")
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    ax.figure.colorbar(mappable, ax=ax, label="MSE (log scale)")
    ax.set(xlabel="x", ylabel="model output", title="one fresh model per epoch count")
    return ax


def plot_activation_map(
    model: nn.Sequential, x: Tensor, layer: int = 1, order: np.ndarray | None = None, ax: Any = None
) -> Any:
    """Heatmap of the activations ``a_i(x)`` of hidden layer ``layer``: neuron (rows) x query (columns).

    Args:
        order: optional permutation of the neurons (rows), e.g. ``np.argsort(pivots(model))``.
    """
    ax = _axes(ax)
    acts = activations(model, x, layer).cpu().numpy()
    if order is not None:
        acts = acts[:, np.asarray(order)]
    grid = x[:, 0].cpu().numpy()
    image = ax.imshow(acts.T, aspect="auto", origin="lower", interpolation="nearest",
                      extent=[grid[0], grid[-1], -0.5, acts.shape[1] - 0.5])
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, label="activation $a_i$")
    ylabel = "neuron (sorted by pivot)" if order is not None else "neuron i (key)"
    ax.set(xlabel="query x", ylabel=ylabel, title=f"hidden layer {layer} activations $a_i(x)$")
    return ax


def plot_neuron_curves(model: nn.Sequential, x: Tensor, count: int = 8, ax: Any = None) -> Any:
    """``count`` evenly spaced first-layer neurons' activation curves, with their pivots marked."""
    ax = _axes(ax)
    acts = activations(model, x).cpu().numpy()
    grid = x[:, 0].cpu().numpy()
    p = pivots(model).numpy()
    for j, i in enumerate(np.linspace(0, acts.shape[1] - 1, count).astype(int)):
        line = ax.plot(grid, acts[:, i], lw=1.3, label=f"neuron {i}")[0]
        if grid[0] <= p[i] <= grid[-1]:
            ax.axvline(p[i], color=line.get_color(), lw=0.7, ls=":")
    ax.axhline(0, color="#888888", lw=0.8)
    ax.set(xlabel="x", ylabel="activation $a_i(x)$", title=f"{count} neurons (dotted: pivots)")
    ax.legend(fontsize=7, ncol=2)
    return ax


def plot_pivots(pivot_sets: Sequence[np.ndarray], data_range: tuple[float, float], ax: Any = None) -> Any:
    """Histogram of the pivots ``-b_i/w_i`` of several models, the data range shaded."""
    ax = _axes(ax)
    values = np.concatenate([np.asarray(p, dtype=np.float64) for p in pivot_sets])
    values = values[np.isfinite(values)]
    clipped = np.clip(values, -40, 40)
    ax.hist(clipped, bins=np.linspace(-40, 40, 81), color="#0072B2")
    ax.axvspan(*data_range, color="#E69F00", alpha=0.2, label="data range")
    ax.set(xlabel="pivot $x_i^* = -b_i/w_i$ (clipped to ±40)", ylabel="neurons",
           title=f"first-layer pivots of {len(pivot_sets)} models")
    ax.legend()
    return ax


def plot_decomposition(parts: Contributions, index: int = 0, axes: Any = None, title: str = "") -> Any:
    """Three bar charts at one input: activations, effective values, contributions (blue >= 0, red < 0)."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(11, 3.2))
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
        ax.set(xlabel="neuron i", title=name)
    if title:
        axes[0].figure.suptitle(title)
    return axes


def plot_gap(x: Tensor, parts: Contributions, exact: IntegratedGradients | None = None, ax: Any = None) -> Any:
    """``f(x)`` against ``sum_i a_i df/da_i`` (and ``g(0) + sum IG``) over a scalar input grid."""
    ax = _axes(ax)
    grid = x[:, 0].cpu().numpy()
    ax.plot(grid, parts.output.cpu().numpy(), color="black", lw=2.2, label="f(x)")
    ax.plot(grid, parts.total.cpu().numpy(), color="#D55E00", lw=1.4, label=r"$\sum_i a_i\,\partial f/\partial a_i$")
    if exact is not None:
        ax.plot(grid, (exact.baseline_output + exact.attributions.sum(1)).cpu().numpy(), color="#56B4E9", lw=1.2,
                ls="--", label=r"$g(0) + \sum_i \mathrm{IG}_i$")
    ax.set(xlabel="x", ylabel="value", title="does the sum of contributions give f(x)?")
    ax.legend()
    return ax


def plot_relu_regions(
    model: nn.Sequential, regions: Any, x: Tensor, y: Tensor | None = None, axes: Any = None
) -> Any:
    """A 1-D ReLU network's pieces: the fit with its breakpoints and first-layer pivots (keys as points),
    and each piece's slope (the values) beside the target's derivative ``2x`` for ``x^2``.

    Args:
        model: scalar-input ReLU MLP.
        regions: :class:`mlpgeo.regions.Regions1D` of the model.
        x: data ``(n, 1)``; y: optional targets ``(n, 1)``.
        axes: two matplotlib axes, or ``None``.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    bp, _, slopes, intercepts = regions
    grid = x[:, 0].cpu().numpy()
    ax = axes[0]
    if y is not None:
        ax.plot(grid, y[:, 0].cpu().numpy(), color="#999999", lw=3, label="$x^2$")
    with torch.no_grad():
        ax.plot(grid, model(check_input(model, x))[:, 0].cpu().numpy(), color="#0072B2", lw=1.2, label="ReLU twin")
    ax.plot(bp[1:-1], slopes[:-1, 0] * bp[1:-1] + intercepts[:-1, 0], "|", color="#D55E00", ms=8,
            label=f"{len(bp) - 2} breakpoints")
    p = pivots(model).numpy()
    p = p[(p >= bp[0]) & (p <= bp[-1])]
    low = ax.get_ylim()[0]
    ax.plot(p, np.full_like(p, low), "^", color="#009E73", ms=5, label=f"{len(p)} first-layer pivots")
    ax.set(xlabel="x", ylabel="f(x)", title="pieces and keys (points)")
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.stairs(slopes[:, 0], bp, baseline=None, color="#0072B2", label="slope of each piece (the values)")
    ax.plot(grid, 2 * grid, color="#999999", lw=1.0, ls="--", label="2x (derivative of $x^2$)")
    ax.set(xlabel="x", ylabel="slope df/dx", title="values as per-region slopes")
    ax.legend(fontsize=8)
    return axes


# ----------------------------------------------------------------------------------------------------------
# The report's experiments across seeds, and the numbers behind its verdicts
# ----------------------------------------------------------------------------------------------------------


def seed_sweeps(
    x: Tensor,
    y: Tensor,
    epoch_counts: Sequence[int],
    seeds: Sequence[int],
    widths: Sequence[int] = (1, 64, 256, 64, 1),
    activation: str = "gelu",
) -> dict[int, list[SweepRun]]:
    """:func:`epoch_sweep` for each seed.

    Args:
        x: inputs ``(n, 1)``.
        y: targets ``(n, 1)``.
        epoch_counts: the epoch count of each model.
        seeds: the seeds.
        widths: layer widths of the MLP.
        activation: hidden activation.

    Returns:
        ``{seed: [SweepRun per epoch count]}`` in the order of ``seeds``.
    """
    return {seed: epoch_sweep(x, y, epoch_counts, seed, widths=widths, activation=activation) for seed in seeds}


def sweep_mse(sweeps: dict[int, list[SweepRun]]) -> np.ndarray:
    """The MSE of every model of :func:`seed_sweeps`.

    Args:
        sweeps: ``{seed: runs}``.

    Returns:
        ``(s, k)`` array: one row per seed (dict order), one column per epoch count.
    """
    return np.array([[run.mse for run in runs] for runs in sweeps.values()])


def orders_of_magnitude(mse: np.ndarray) -> np.ndarray:
    """``log10(MSE_first / MSE_last)`` per seed: how many decades training took off the error.

    Args:
        mse: ``(s, k)`` from :func:`sweep_mse`.

    Returns:
        ``(s,)`` array.
    """
    return np.log10(mse[:, 0] / mse[:, -1])


def affine_fit(x: Tensor, y: Tensor) -> dict[str, float]:
    """The least-squares affine fit ``y ~ alpha x + beta`` (a single linear layer) in float64.

    ``alpha = sum (x - mean x)(y - mean y) / sum (x - mean x)^2``, ``beta = mean y - alpha mean x``,
    ``R^2 = 1 - sum (y - alpha x - beta)^2 / sum (y - mean y)^2``.

    Args:
        x: inputs ``(n, 1)``.
        y: targets ``(n, 1)``.

    Returns:
        ``{"slope", "intercept", "r_squared"}``.
    """
    # closed form on centred data (numpy float64): bit-identical on rerun, unlike a threaded LAPACK solve
    xs = x.detach().cpu().double().numpy().reshape(-1)
    ys = y.detach().cpu().double().numpy().reshape(-1)
    xc, yc = xs - xs.mean(), ys - ys.mean()
    slope = np.sum(xc * yc) / np.sum(xc * xc)
    intercept = ys.mean() - slope * xs.mean()
    r2 = 1 - np.sum((ys - slope * xs - intercept) ** 2) / np.sum(yc * yc)
    return {"slope": float(slope), "intercept": float(intercept), "r_squared": float(r2)}


def constant_fit_verdict(fit: dict[str, float], tolerance: float = 1e-6) -> str:
    """``"reproduced"`` if the affine fit is a constant: ``|slope| < tolerance`` and ``R^2 < tolerance``.

    Args:
        fit: from :func:`affine_fit`.
        tolerance: the bound on both numbers.

    Returns:
        ``"reproduced"`` or ``"not reproduced"``.
    """
    constant = abs(fit["slope"]) < tolerance and fit["r_squared"] < tolerance
    return "reproduced" if constant else "not reproduced"


def pivot_shift(
    trained: Sequence[nn.Sequential], initial: Sequence[nn.Sequential], data_range: tuple[float, float]
) -> tuple[list[float], list[float]]:
    """Where the first-layer pivots lie after training, and how far training moved them.

    Args:
        trained: trained models, one per seed.
        initial: the same models at initialisation, in the same order.
        data_range: ``(low, high)`` of the data.

    Returns:
        ``(inside, moved)``: per model, the share of trained pivots in ``[low, high]`` and the median
        ``|x_i*(trained) - x_i*(initial)|``.
    """
    low, high = data_range
    inside, moved = [], []
    for after, before in zip(trained, initial):
        p, q = pivots(after).numpy(), pivots(before).numpy()
        inside.append(float(np.mean((p >= low) & (p <= high))))
        moved.append(float(np.median(np.abs(p - q))))
    return inside, moved


def locality_across_seeds(
    models: Sequence[nn.Sequential], x_star: float, threshold: float = 0.1
) -> dict[str, np.ndarray]:
    """:func:`retrieval_locality` for each model, one array per statistic.

    Args:
        models: scalar-input MLPs, one per seed.
        x_star: the query.
        threshold: relative activation threshold of an "active" neuron.

    Returns:
        ``{statistic: (s,) array}`` with the keys of :func:`retrieval_locality`, except
        ``"ramp_fraction_active"``, named ``"ramp_fraction_of_active"`` as in the report's metrics.
    """
    local = [retrieval_locality(model, x_star, threshold=threshold) for model in models]
    names = {"ramp_fraction_active": "ramp_fraction_of_active"}
    return {names.get(key, key): np.array([d[key] for d in local]) for key in local[0]}


def locality_verdict(local: dict[str, np.ndarray], sparse_share: float = 0.25, ratio: float = 0.5) -> str:
    """The locality criterion, on means over seeds.

    *Sparse*: mean active fraction ``<= sparse_share``; *close*: mean median pivot distance of the active
    neurons ``< ratio`` times that of the inactive ones. Both -> reproduced, one -> partly, none -> not.

    Args:
        local: from :func:`locality_across_seeds`.
        sparse_share: the largest active fraction that counts as sparse.
        ratio: how much closer the active neurons' pivots must be.

    Returns:
        The verdict.
    """
    sparse = local["active_fraction"].mean() <= sparse_share
    close = local["median_pivot_distance_active"].mean() < ratio * local["median_pivot_distance_inactive"].mean()
    if sparse and close:
        return "reproduced"
    return "partly reproduced" if sparse or close else "not reproduced"


def gap_statistics_across(parts: Sequence[Contributions], tolerance: float = 0.02) -> dict[str, np.ndarray]:
    """:func:`gap_statistics` for each seed, one array per statistic.

    Args:
        parts: one :class:`Contributions` per seed (all queries).
        tolerance: relative-gap tolerance of ``"fraction_within"``.

    Returns:
        ``{statistic: (s,) array}`` with the keys of :func:`gap_statistics`.
    """
    stats = [gap_statistics(p, tolerance=tolerance) for p in parts]
    return {key: np.array([d[key] for d in stats]) for key in stats[0]}


def summaries(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """:func:`mlpgeo.report.summarize` of every entry: per-seed numbers -> mean, std, n, values.

    Args:
        values: ``{name: (s,) per-seed numbers}``.

    Returns:
        ``{name: summary}`` in the same order.
    """
    from mlpgeo.report import summarize

    return {name: summarize(v) for name, v in values.items()}


def point_reconstruction(parts: Sequence[Contributions]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``f``, ``sum_i a_i df/da_i`` and the relative gap at one input, per seed.

    The relative gap is ``|f - sum| / max(|f|, 1)``.

    Args:
        parts: one :class:`Contributions` per seed, each for a single input.

    Returns:
        ``(output, total, relative_gap)``, each ``(s,)``.
    """
    output = np.array([p.output[0].item() for p in parts])
    total = np.array([p.total[0].item() for p in parts])
    return output, total, np.abs(output - total) / np.maximum(np.abs(output), 1.0)


def point_gap_verdict(gap: np.ndarray, tolerance: float = 0.02, partly: float = 0.10) -> str:
    """Reproduced if every seed's relative gap is ``<= tolerance``; partly if the median is ``<= partly``.

    Args:
        gap: ``(s,)`` relative gaps.
        tolerance: bound for every seed.
        partly: bound for the median over seeds.

    Returns:
        The verdict.
    """
    if (gap <= tolerance).all():
        return "reproduced"
    return "partly reproduced" if np.median(gap) <= partly else "not reproduced"


def everywhere_verdict(within: np.ndarray, share: float = 0.95, partly: float = 0.5) -> str:
    """Reproduced if every seed has ``>= share`` of the queries within tolerance; partly if the mean does
    ``>= partly``.

    Args:
        within: ``(s,)`` fractions of queries within tolerance (:func:`gap_statistics`).
        share: bound for every seed.
        partly: bound for the mean over seeds.

    Returns:
        The verdict.
    """
    if (within >= share).all():
        return "reproduced"
    return "partly reproduced" if within.mean() >= partly else "not reproduced"


def relative_max_error(error: Tensor, output: Tensor) -> float:
    """``max |error| / max |output|``: an error relative to the scale of the function.

    Args:
        error: ``(n,)`` errors (completeness error or residual).
        output: ``(n,)`` outputs ``f(x)``.

    Returns:
        The ratio.
    """
    return error.abs().max().item() / output.abs().max().item()


def completeness_vs_steps(model: nn.Sequential, x: Tensor, steps: Sequence[int]) -> list[float]:
    """The largest integrated-gradients completeness error ``max_n |f - g(0) - sum_i IG_i|`` per node count.

    Args:
        model: the MLP.
        x: inputs ``(n, d_in)``.
        steps: numbers of midpoint-rule nodes.

    Returns:
        One error per entry of ``steps``.
    """
    return [integrated_gradients(model, x, steps=m).completeness_error.abs().max().item() for m in steps]


def exact_split_verdict(
    ig_error: np.ndarray, relu_residual: np.ndarray, ig_tolerance: float = 1e-3, relu_tolerance: float = 1e-9
) -> str:
    """Whether the two exact splits add up: reproduced if, for every seed, the integrated-gradients
    completeness error is ``< ig_tolerance`` and the ReLU per-region residual ``< relu_tolerance`` (both
    relative to ``max |f|``, :func:`relative_max_error`); not reproduced otherwise.

    Args:
        ig_error: ``(s,)`` relative completeness errors of :func:`integrated_gradients`.
        relu_residual: ``(s,)`` relative residuals of :func:`relu_decomposition`.
        ig_tolerance: bound on the quadrature error.
        relu_tolerance: bound on the rounding error of the exact form.

    Returns:
        ``"reproduced"`` or ``"not reproduced"``.
    """
    holds = (np.asarray(ig_error) < ig_tolerance) & (np.asarray(relu_residual) < relu_tolerance)
    return "reproduced" if holds.all() else "not reproduced"


def relu_twin(
    x: Tensor, y: Tensor, widths: Sequence[int], epochs: int, seed: int, lr: float = 1e-3
) -> nn.Sequential:
    """A ReLU MLP trained like the GELU model: initialisation and training seed ``seed``, Adam, full-batch MSE.

    Args:
        x: inputs ``(n, 1)``.
        y: targets ``(n, 1)``.
        widths: layer widths.
        epochs: training epochs.
        seed: initialisation and training seed.
        lr: learning rate.

    Returns:
        The trained model.
    """
    model = mlp(widths, "relu", seed=seed)
    train(model, x, y, loss="mse", lr=lr, epochs=epochs, seed=seed, progress=False)
    return model


def model_mse(model: nn.Sequential, x: Tensor, y: Tensor) -> float:
    """Mean squared error of ``model`` on ``(x, y)``.

    Args:
        model: the MLP.
        x: inputs ``(n, d_in)``.
        y: targets ``(n, d_out)``.

    Returns:
        ``mean (f(x) - y)^2``.
    """
    with torch.no_grad():
        out = model(check_input(model, x))
        return float(((out - y.to(out.device)) ** 2).mean())


def slope_rms_error(regions: Any, derivative: Any = None) -> float:
    """Length-weighted RMS error of the pieces' slopes against a derivative at their midpoints.

    ``sqrt(sum_k L_k (s_k - f'(m_k))^2 / sum_k L_k)`` with piece length ``L_k``, midpoint ``m_k`` and slope
    ``s_k``.

    Args:
        regions: :class:`mlpgeo.regions.Regions1D` (breakpoints ``(r+1,)``, slopes ``(r, 1)`` ...).
        derivative: vectorised ``f'``; default ``2x`` (the derivative of ``x^2``).

    Returns:
        The RMS error.
    """
    bp, _, slopes, _ = regions
    derivative = derivative or (lambda t: 2 * t)
    mid, length = 0.5 * (bp[:-1] + bp[1:]), np.diff(bp)
    return float(np.sqrt(np.sum(length * (slopes[:, 0] - derivative(mid)) ** 2) / (bp[-1] - bp[0])))


def relu_region_statistics(
    models: Sequence[nn.Sequential], x: Tensor, y: Tensor, pieces: Sequence[Any]
) -> dict[str, np.ndarray]:
    """Per seed: how many pieces a scalar ReLU network has, how many hold data, how many of its breakpoints
    can be first-layer keys, its MSE and slope error.

    Args:
        models: scalar-input ReLU MLPs, one per seed.
        x: data ``(n, 1)``.
        y: targets ``(n, 1)`` (``x^2``).
        pieces: each model's :class:`mlpgeo.regions.Regions1D` on the data range.

    Returns:
        ``{"relu_regions", "relu_regions_used", "relu_first_layer_pivots_inside", "relu_mse_500_epochs",
        "relu_slope_rms_error_vs_2x"}``, each ``(s,)``: piece count, pieces holding a point of ``x``
        (:func:`regions_hit`), first-layer pivots strictly inside the pieces' interval (an upper bound on the
        breakpoints the first layer makes; every other breakpoint comes from a deeper layer),
        :func:`model_mse`, :func:`slope_rms_error` against ``2x``.
    """

    def pivots_inside(model: nn.Sequential, bp: np.ndarray) -> int:
        p = pivots(model).numpy()
        return int(np.sum((p > bp[0]) & (p < bp[-1])))

    return {
        "relu_regions": np.array([len(r) for r in pieces]),
        "relu_regions_used": np.array([regions_hit(r.breakpoints, x) for r in pieces]),
        "relu_first_layer_pivots_inside": np.array([pivots_inside(m, r.breakpoints) for m, r in zip(models, pieces)]),
        "relu_mse_500_epochs": np.array([model_mse(m, x, y) for m in models]),
        "relu_slope_rms_error_vs_2x": np.array([slope_rms_error(r) for r in pieces]),
    }


def plot_mse_by_epochs(
    epoch_counts: Sequence[int], mse: np.ndarray, seeds: Sequence[int], ax: Any = None
) -> Any:
    """The MSE of each model against its epoch count, one line per seed (symlog x, log y).

    Args:
        epoch_counts: ``(k,)`` epoch counts.
        mse: ``(s, k)`` from :func:`sweep_mse`.
        seeds: the ``s`` seeds (legend).
        ax: matplotlib axes, or ``None``.

    Returns:
        The axes.
    """
    ax = _axes(ax)
    for row, seed in zip(mse, seeds):
        ax.plot(epoch_counts, row, "o-", ms=4, label=f"seed {seed}")
    ax.set(xscale="symlog", yscale="log", xlabel="epochs (symlog)", ylabel="MSE on the 1000 points",
           title="MSE of each model")
    ax.legend(fontsize=8)
    return ax


def plot_gap_curves(x: Tensor, gap: Tensor, bias_path: Tensor, ax: Any = None) -> Any:
    """What ``sum_i a_i df/da_i`` misses over ``x``: the GELU gap and the ReLU twin's bias path.

    Args:
        x: queries ``(n, 1)``.
        gap: ``(n,)`` ``f - sum_i a_i df/da_i`` of the GELU model.
        bias_path: ``(n,)`` bias path ``c`` of the ReLU twin.
        ax: matplotlib axes, or ``None``.

    Returns:
        The axes.
    """
    ax = _axes(ax)
    ax.plot(x[:, 0].cpu(), gap.cpu().numpy(), color="#D55E00", label=r"$f - \sum_i a_i\,\partial f/\partial a_i$ (GELU)")
    ax.plot(x[:, 0].cpu(), bias_path.cpu().numpy(), color="#009E73", ls="--", label="bias path c (ReLU twin)")
    ax.axhline(0, color="#888888", lw=0.8)
    ax.set(xlabel="x", ylabel="what the sum misses", title="the gap")
    ax.legend(fontsize=8)
    return ax


def plot_error_vs_steps(steps: Sequence[int], errors: Sequence[float], ax: Any = None) -> Any:
    """Integrated-gradients completeness error against the number of nodes (log-log).

    Args:
        steps: node counts.
        errors: from :func:`completeness_vs_steps`.
        ax: matplotlib axes, or ``None``.

    Returns:
        The axes.
    """
    ax = _axes(ax)
    ax.loglog(steps, errors, "o-")
    ax.set(xlabel="integration nodes", ylabel="max |completeness error|",
           title="integrated gradients: error vs nodes")
    return ax
