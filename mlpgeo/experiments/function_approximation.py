"""The report "Key-value memory and x²" (``reports/function_approximation.ipynb``).

The source (a marimo notebook) trains a 1 -> 64 -> 256 -> 64 -> 1 GELU MLP on ``x^2`` over [-10, 10],
one fresh model per epoch count, and reads the trained network as a key-value memory. This module holds
what the report runs on top of :mod:`mlpgeo.memory`: the data, the drivers (each a top-level function of
its settings and an integer ``seed``), the numbers behind the verdicts, the claim rules (each returns a
:class:`mlpgeo.report.Claim`) and the report-only figures.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from torch import Tensor, nn

from mlpgeo import memory
from mlpgeo.experiments.jobs import run_jobs
from mlpgeo.models import from_snapshot, mlp, seeded, snapshot, train
from mlpgeo.regions import linear_regions_1d
from mlpgeo.report import Claim, seed_verdict, summarize
from mlpgeo.validate import check_int, check_number, check_tensor, check_x

__all__ = [
    "EPOCHS",
    "WIDTHS",
    "X_STAR",
    "DATA_RANGE",
    "N_POINTS",
    "IG_STEPS",
    "SECTIONS",
    "REGIME",
    "SweepRun",
    "square_data",
    "train_model",
    "epoch_sweep",
    "seed_sweeps",
    "relu_twin",
    "train_job",
    "restore_model",
    "train_sweeps",
    "readout_job",
    "readout_seeds",
    "stack_seeds",
    "model_mse",
    "sweep_mse",
    "orders_of_magnitude",
    "affine_fit",
    "pivot_shift",
    "locality_across_seeds",
    "gap_statistics_across",
    "point_reconstruction",
    "relative_max_error",
    "completeness_vs_steps",
    "regions_hit",
    "slope_rms_error",
    "relu_region_statistics",
    "constant_fit_verdict",
    "locality_verdict",
    "point_gap_verdict",
    "everywhere_verdict",
    "exact_split_verdict",
    "claim_convergence_orders",
    "claim_linear_is_constant",
    "claim_local_keys",
    "claim_sum_reconstructs_f5",
    "claim_sum_is_output_everywhere",
    "claim_exact_decompositions",
    "claim_gelu_beats_relu",
    "plot_convergence",
    "plot_mse_by_epochs",
    "plot_gap_curves",
    "plot_error_vs_steps",
    "plot_relu_regions",
]

EPOCHS = (0, 10, 20, 30, 40, 50, 100, 200, 500)
"""The source's epoch counts, one fresh model each (it says "ten", the list holds nine)."""
WIDTHS = (1, 64, 256, 64, 1)
"""The source's architecture."""
X_STAR = 5.0
"""The source's query."""
DATA_RANGE = (-10.0, 10.0)
"""The data interval."""
N_POINTS = 1000
"""The number of training points (an evenly spaced grid)."""
IG_STEPS = 256
"""Midpoint-rule nodes of the integrated gradients."""
SECTIONS = {
    "experiment": "1. The notebook's experiment, seeded",
    "keys": "2. The key-value view",
    "decomposition": "3. Decomposition at x* = 5",
    "regions": "5. A ReLU twin: exact linear regions",
}
"""The report's headings that show the evidence of each claim."""
REGIME = (
    "1 -> 64 -> 256 -> 64 -> 1 MLP (PyTorch default initialisation), Adam lr 1e-3, full-batch MSE on 1000 "
    "evenly spaced points of x^2 on [-10, 10], float32"
)
"""The training regime every claim is judged in (the source's settings), recorded beside each verdict."""


# ----------------------------------------------------------------------------------------------------------
# Data and drivers
# ----------------------------------------------------------------------------------------------------------


def square_data(n: int = N_POINTS, low: float = DATA_RANGE[0], high: float = DATA_RANGE[1]) -> tuple[Tensor, Tensor]:
    """The source's data: ``x = linspace(low, high, n)`` as ``(n, 1)`` float32 (rounded from float64), target
    ``x^2`` (computed in float64, then rounded).

    Raises:
        TypeError / ValueError: ``n`` not an integer ``>= 2``, non-finite bounds, ``low >= high``.
    """
    n = check_int(n, "n", low=2)
    low, high = check_number(low, "low"), check_number(high, "high")
    if not low < high:
        raise ValueError(f"low must be below high, got low={low}, high={high}.")
    x = torch.linspace(low, high, n, dtype=torch.float64).reshape(-1, 1)
    return x.float(), (x**2).float()


@dataclass
class SweepRun:
    """One trained model of :func:`epoch_sweep`: its epoch count, initialisation seed, the model, its MSE."""

    epochs: int
    seed: int
    model: nn.Sequential
    mse: float


def train_model(
    x: Tensor, y: Tensor, epochs: int, seed: int, widths: Sequence[int] = WIDTHS, activation: str = "gelu",
    lr: float = 1e-3,
) -> SweepRun:
    """One model as the source trains it: PyTorch's default initialisation drawn from ``seed``, Adam,
    full-batch MSE for ``epochs`` epochs.

    Args:
        x: inputs ``(n, 1)``.
        y: targets ``(n, 1)``.
        epochs: training epochs (0 = the untrained model).
        seed: initialisation (and training) seed.
        widths: layer widths.
        activation: hidden activation.
        lr: learning rate.

    Returns:
        The :class:`SweepRun`.
    """
    epochs = check_int(epochs, "epochs", low=0)
    model = mlp(widths, activation=activation, generator=seeded(seed))
    train(model, x, y, loss="mse", optimizer="adam", lr=lr, epochs=epochs, generator=seeded(seed), progress=False)
    return SweepRun(epochs, int(seed), model, model_mse(model, x, y))


def epoch_sweep(
    x: Tensor,
    y: Tensor,
    epoch_counts: Sequence[int],
    seed: int,
    widths: Sequence[int] = WIDTHS,
    activation: str = "gelu",
    lr: float = 1e-3,
) -> list[SweepRun]:
    """The source's experiment for one seed: one *fresh* model per epoch count (:func:`train_model`).

    Model ``k`` is initialised with seed ``1000 * seed + k`` (the source draws an independent
    initialisation for each model and sets no seed), trained for ``epoch_counts[k]`` epochs.

    Returns:
        One :class:`SweepRun` per epoch count, in order.

    Raises:
        TypeError / ValueError: an epoch count that is not an integer ``>= 0``.
    """
    counts = [check_int(e, f"epoch_counts[{k}]", low=0) for k, e in enumerate(epoch_counts)]
    seed = check_int(seed, "seed")
    return [train_model(x, y, epochs, 1000 * seed + k, widths, activation, lr) for k, epochs in enumerate(counts)]


def seed_sweeps(
    x: Tensor,
    y: Tensor,
    epoch_counts: Sequence[int],
    seeds: Sequence[int],
    widths: Sequence[int] = WIDTHS,
    activation: str = "gelu",
) -> dict[int, list[SweepRun]]:
    """:func:`epoch_sweep` for each seed: ``{seed: [SweepRun per epoch count]}`` in the order of ``seeds``."""
    return {seed: epoch_sweep(x, y, epoch_counts, seed, widths=widths, activation=activation) for seed in seeds}


def relu_twin(
    x: Tensor, y: Tensor, widths: Sequence[int], epochs: int, seed: int, lr: float = 1e-3
) -> nn.Sequential:
    """A ReLU MLP trained like the GELU model: initialisation and training seed ``seed``, Adam, full-batch MSE.

    Returns:
        The trained model.
    """
    return train_model(x, y, epochs, seed, widths, "relu", lr).model


def train_job(
    epochs: int,
    seed: int,
    activation: str = "gelu",
    widths: Sequence[int] = WIDTHS,
    lr: float = 1e-3,
    n_points: int = N_POINTS,
    data_range: tuple[float, float] = DATA_RANGE,
) -> dict[str, Any]:
    """One job of :func:`train_sweeps`: :func:`train_model` on :func:`square_data` for one epoch count and one
    initialisation seed (all randomness from ``seed``).

    Returns:
        ``{"epochs", "seed", "activation", "mse", "state"}``; ``state`` is the trained model's
        :func:`mlpgeo.models.snapshot` (rebuild it with :func:`restore_model`).
    """
    x, y = square_data(n_points, *data_range)
    run = train_model(x, y, epochs, seed, widths, activation, lr)
    return {"epochs": run.epochs, "seed": run.seed, "activation": activation, "mse": run.mse,
            "state": snapshot(run.model)}


def restore_model(state: dict[str, Tensor], activation: str = "gelu", widths: Sequence[int] = WIDTHS) -> nn.Sequential:
    """The MLP of ``widths`` and ``activation`` holding the weights of ``state`` (a snapshot from a job)."""
    return from_snapshot(mlp(widths, activation=activation, generator=seeded(0)), state)


def train_sweeps(
    epoch_counts: Sequence[int],
    seeds: Sequence[int],
    widths: Sequence[int] = WIDTHS,
    lr: float = 1e-3,
    relu_epochs: int | None = None,
    executor: concurrent.futures.Executor | None = None,
) -> tuple[dict[int, list[SweepRun]], dict[int, nn.Sequential]]:
    """The source's experiment for every seed and each seed's ReLU twin, one job per model
    (:func:`train_job` through :func:`mlpgeo.experiments.jobs.run_jobs`).

    The GELU models are those of :func:`seed_sweeps` (model ``k`` of seed ``s`` initialised with seed
    ``1000 s + k``); the twin of seed ``s`` is the ReLU model of :func:`relu_twin`, trained for
    ``relu_epochs`` (default: the last epoch count) from the initialisation seed of the seed's last model.
    Jobs are submitted longest first, so that workers finish together; the numbers do not depend on the
    order or on the executor.

    Args:
        epoch_counts: the epoch counts, one fresh model each.
        seeds: the seeds.
        widths: layer widths.
        lr: Adam's learning rate.
        relu_epochs: the twins' epochs.
        executor: where the jobs run (``None``: the environment's, see :func:`mlpgeo.experiments.jobs.run_jobs`).

    Returns:
        ``(sweeps, twins)``: ``{seed: [SweepRun per epoch count]}`` and ``{seed: trained ReLU twin}``, in the
        order of ``seeds``.

    Raises:
        TypeError / ValueError: an epoch count or seed that is not an integer (``>= 0`` for epochs).
    """
    counts = [check_int(e, f"epoch_counts[{k}]", low=0) for k, e in enumerate(epoch_counts)]
    seeds = [check_int(s, "seed") for s in seeds]
    relu_epochs = counts[-1] if relu_epochs is None else check_int(relu_epochs, "relu_epochs", low=0)
    common = {"widths": tuple(widths), "lr": lr}
    keys = [("gelu", s, k) for s in seeds for k in range(len(counts))] + [("relu", s, len(counts) - 1) for s in seeds]

    def job(key: tuple[str, int, int]) -> dict[str, Any]:
        activation, s, k = key
        epochs = counts[k] if activation == "gelu" else relu_epochs
        return {"epochs": epochs, "seed": 1000 * s + k, "activation": activation, **common}

    jobs = [job(key) for key in keys]
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i]["epochs"])  # stable: longest first
    results = run_jobs(train_job, [jobs[i] for i in order], executor=executor, desc="x^2 models")
    by_key = {keys[i]: result for i, result in zip(order, results)}
    sweeps = {
        s: [SweepRun(counts[k], by_key["gelu", s, k]["seed"], restore_model(by_key["gelu", s, k]["state"], "gelu",
                                                                            widths), by_key["gelu", s, k]["mse"])
            for k in range(len(counts))]
        for s in seeds
    }
    twins = {s: restore_model(by_key["relu", s, len(counts) - 1]["state"], "relu", widths) for s in seeds}
    return sweeps, twins


def readout_job(
    gelu_state: dict[str, Tensor],
    relu_state: dict[str, Tensor],
    init_seed: int,
    widths: Sequence[int] = WIDTHS,
    x_star: float = X_STAR,
    threshold: float = 0.1,
    ig_every: int = 5,
    ig_steps: int = IG_STEPS,
    curve_steps: Sequence[int] = (),
    n_points: int = N_POINTS,
    data_range: tuple[float, float] = DATA_RANGE,
) -> dict[str, Any]:
    """One job of :func:`readout_seeds`: every per-seed measurement of the report on one seed's trained GELU
    model and its ReLU twin (deterministic: no randomness beyond ``init_seed``).

    Args:
        gelu_state: snapshot of the seed's longest-trained GELU model.
        relu_state: snapshot of its ReLU twin.
        init_seed: the GELU model's initialisation seed (its initial pivots).
        widths: layer widths.
        x_star: the query.
        threshold: the "active" threshold of :func:`mlpgeo.memory.retrieval_locality`.
        ig_every: integrated gradients on every ``ig_every``-th data point.
        ig_steps: integrated-gradients nodes.
        curve_steps: node counts of :func:`completeness_vs_steps` (empty: skipped).
        n_points: data points.
        data_range: data interval.

    Returns:
        ``{"pivots_inside", "pivot_shift", "local", "at_x_star", "everywhere", "ig", "exact", "pieces",
        "relu_stats", "curve"}``: :func:`pivot_shift` (one float each), :func:`locality_across_seeds` and
        :func:`relu_region_statistics` (``(1,)`` arrays), :func:`mlpgeo.memory.contributions` at ``x_star`` and
        on the data, :func:`mlpgeo.memory.integrated_gradients` on the thinned grid, the twin's
        :func:`mlpgeo.memory.relu_decomposition` on the data and :func:`mlpgeo.regions.linear_regions_1d` on
        ``data_range``, and the completeness errors per node count.
    """
    x, y = square_data(n_points, *data_range)
    gelu, relu = restore_model(gelu_state, "gelu", widths), restore_model(relu_state, "relu", widths)
    initial = mlp(widths, activation="gelu", generator=seeded(init_seed))
    inside, moved = pivot_shift([gelu], [initial], data_range)
    grid = x[::ig_every]
    pieces = linear_regions_1d(relu, data_range)
    return {
        "pivots_inside": inside[0],
        "pivot_shift": moved[0],
        "local": locality_across_seeds([gelu], x_star, threshold=threshold),
        "at_x_star": memory.contributions(gelu, torch.tensor([[x_star]])),
        "everywhere": memory.contributions(gelu, x),
        "ig": memory.integrated_gradients(gelu, grid, steps=ig_steps),
        "exact": memory.relu_decomposition(relu, x),
        "pieces": pieces,
        "relu_stats": relu_region_statistics([relu], x, y, [pieces]),
        "curve": completeness_vs_steps(gelu, grid, curve_steps) if len(curve_steps) else [],
    }


def readout_seeds(
    sweeps: dict[int, list[SweepRun]],
    twins: dict[int, nn.Sequential],
    x_star: float = X_STAR,
    curve_steps: Sequence[int] = (),
    executor: concurrent.futures.Executor | None = None,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """:func:`readout_job` for every seed's last (longest-trained) GELU model and its twin, one job per seed.

    Args:
        sweeps: from :func:`train_sweeps`.
        twins: the ReLU twins, same seeds.
        x_star: the query.
        curve_steps: node counts of the completeness curve, measured on the first seed only.
        executor: where the jobs run.
        kwargs: passed to every :func:`readout_job` (``widths``, ``ig_steps``, ...).

    Returns:
        One result dict per seed, in the order of ``sweeps``.
    """
    jobs = [{"gelu_state": snapshot(runs[-1].model), "relu_state": snapshot(twins[s]), "init_seed": runs[-1].seed,
             "x_star": x_star, "curve_steps": list(curve_steps) if i == 0 else [], **kwargs}
            for i, (s, runs) in enumerate(sweeps.items())]
    return run_jobs(readout_job, jobs, executor=executor, desc="read-outs")


def stack_seeds(readouts: Sequence[dict[str, Any]], key: str) -> Any:
    """One statistic over seeds: ``(s,)`` arrays for a per-seed dict of arrays (``"local"``, ``"relu_stats"``),
    an ``(s,)`` array for per-seed numbers, else the list of per-seed values."""
    first = readouts[0][key]
    if isinstance(first, dict):
        return {name: np.concatenate([np.asarray(r[key][name]) for r in readouts]) for name in first}
    if isinstance(first, (int, float)):
        return np.array([r[key] for r in readouts])
    return [r[key] for r in readouts]


def model_mse(model: nn.Sequential, x: Tensor, y: Tensor) -> float:
    """Mean squared error ``mean (f(x) - y)^2`` of ``model`` on ``(x, y)``, in the model's dtype.

    Raises:
        TypeError / ValueError: bad model or ``x``; ``y`` not a finite float tensor shaped like the output.
    """
    with torch.no_grad():
        out = model(check_x(model, x))
    y = check_tensor(y, "y", dims=(1, 2), kind="float")
    if y.numel() != out.numel():
        raise ValueError(f"y has shape {tuple(y.shape)}; it must match the model's output {tuple(out.shape)}.")
    return float(((out - y.to(out.device).reshape(out.shape)) ** 2).mean())


# ----------------------------------------------------------------------------------------------------------
# The numbers behind the verdicts
# ----------------------------------------------------------------------------------------------------------


def sweep_mse(sweeps: dict[int, list[SweepRun]]) -> np.ndarray:
    """The MSE of every model of :func:`seed_sweeps`: ``(s, k)``, one row per seed, one column per epoch count."""
    return np.array([[run.mse for run in runs] for runs in sweeps.values()])


def orders_of_magnitude(mse: np.ndarray) -> np.ndarray:
    """``log10(MSE_first / MSE_last)`` per seed (``(s,)`` from ``(s, k)``): how many decades training took off."""
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


def pivot_shift(
    trained: Sequence[nn.Sequential], initial: Sequence[nn.Sequential], data_range: tuple[float, float]
) -> tuple[list[float], list[float]]:
    """Where the first-layer pivots lie after training, and how far training moved them.

    Returns:
        ``(inside, moved)``: per model, the share of trained pivots in ``[low, high]`` and the median
        ``|x_i*(trained) - x_i*(initial)|``.
    """
    low, high = data_range
    inside, moved = [], []
    for after, before in zip(trained, initial):
        p, q = memory.pivots(after).numpy(), memory.pivots(before).numpy()
        inside.append(float(np.mean((p >= low) & (p <= high))))
        moved.append(float(np.median(np.abs(p - q))))
    return inside, moved


def locality_across_seeds(
    models: Sequence[nn.Sequential], x_star: float, threshold: float = 0.1
) -> dict[str, np.ndarray]:
    """:func:`mlpgeo.memory.retrieval_locality` for each model, one ``(s,)`` array per statistic.

    Keys: ``active_fraction``, ``median_pivot_distance_active``, ``median_pivot_distance_inactive``,
    ``ramp_fraction_of_active`` (the report's name for ``ramp_fraction_active``).
    """
    local = [memory.retrieval_locality(model, x_star, threshold=threshold) for model in models]
    names = {
        "active_fraction": "active_fraction",
        "median_pivot_distance_active": "median_pivot_distance_active",
        "median_pivot_distance_inactive": "median_pivot_distance_inactive",
        "ramp_fraction_active": "ramp_fraction_of_active",
    }
    return {name: np.array([float(getattr(stat, field)) for stat in local]) for field, name in names.items()}


def gap_statistics_across(parts: Sequence[memory.Contributions], tolerance: float = 0.02) -> dict[str, np.ndarray]:
    """:func:`mlpgeo.memory.gap_statistics` for each seed: ``{statistic: (s,) array}`` with keys
    ``median_relative_gap``, ``max_relative_gap``, ``max_abs_gap``, ``fraction_within``."""
    stats = [memory.gap_statistics(p, tolerance=tolerance) for p in parts]
    fields = ("median_relative_gap", "max_relative_gap", "max_abs_gap", "fraction_within")
    return {field: np.array([float(getattr(s, field)) for s in stats]) for field in fields}


def point_reconstruction(parts: Sequence[memory.Contributions]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``f``, ``sum_i a_i df/da_i`` and the relative gap ``|f - sum| / max(|f|, 1)`` at one input, per seed.

    Args:
        parts: one :class:`mlpgeo.memory.Contributions` per seed, each for a single input.

    Returns:
        ``(output, total, relative_gap)``, each ``(s,)``.
    """
    output = np.array([p.output[0].item() for p in parts])
    total = np.array([p.total[0].item() for p in parts])
    return output, total, np.abs(output - total) / np.maximum(np.abs(output), 1.0)


def relative_max_error(error: Tensor, output: Tensor) -> float:
    """``max |error| / max |output|``: an error (completeness error, residual) relative to the function's scale."""
    return error.abs().max().item() / output.abs().max().item()


def completeness_vs_steps(model: nn.Sequential, x: Tensor, steps: Sequence[int]) -> list[float]:
    """The largest integrated-gradients completeness error ``max_n |f - g(0) - sum_i IG_i|`` per node count."""
    return [memory.integrated_gradients(model, x, steps=m).completeness_error.abs().max().item() for m in steps]


def regions_hit(breakpoints: Any, x: Tensor | np.ndarray) -> int:
    """How many intervals ``[breakpoints[k], breakpoints[k+1])`` hold at least one point of ``x``.

    Args:
        breakpoints: ``(r + 1,)`` increasing.
        x: points ``(n,)`` or ``(n, 1)`` inside ``[breakpoints[0], breakpoints[-1]]``.
    """
    bp = np.asarray(breakpoints, dtype=np.float64)
    points = np.asarray(x, dtype=np.float64).reshape(-1)
    index = np.clip(np.searchsorted(bp, points, side="right") - 1, 0, len(bp) - 2)
    return len(np.unique(index))


def slope_rms_error(regions: Any, derivative: Callable[[np.ndarray], np.ndarray] | None = None) -> float:
    """Length-weighted RMS error of the pieces' slopes against a derivative at their midpoints.

    ``sqrt(sum_k L_k (s_k - f'(m_k))^2 / sum_k L_k)`` with piece length ``L_k``, midpoint ``m_k`` and slope
    ``s_k``.

    Args:
        regions: :class:`mlpgeo.regions.Regions1D` (``breakpoints (r+1,)``, ``slopes (r, 1)``).
        derivative: vectorised ``f'``; default ``2x`` (the derivative of ``x^2``).
    """
    bp = np.asarray(regions.breakpoints, dtype=np.float64)
    slopes = np.asarray(regions.slopes, dtype=np.float64)
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
        p = memory.pivots(model).numpy()
        return int(np.sum((p > bp[0]) & (p < bp[-1])))

    breakpoints = [np.asarray(r.breakpoints, dtype=np.float64) for r in pieces]
    return {
        "relu_regions": np.array([len(bp) - 1 for bp in breakpoints]),
        "relu_regions_used": np.array([regions_hit(bp, x) for bp in breakpoints]),
        "relu_first_layer_pivots_inside": np.array([pivots_inside(m, bp) for m, bp in zip(models, breakpoints)]),
        "relu_mse_500_epochs": np.array([model_mse(m, x, y) for m in models]),
        "relu_slope_rms_error_vs_2x": np.array([slope_rms_error(r) for r in pieces]),
    }


# ----------------------------------------------------------------------------------------------------------
# Verdict rules
# ----------------------------------------------------------------------------------------------------------


def constant_fit_verdict(fit: dict[str, float], tolerance: float = 1e-6) -> str:
    """``"reproduced"`` if the affine fit is a constant: ``|slope| < tolerance`` and ``R^2 < tolerance``."""
    constant = abs(fit["slope"]) < tolerance and fit["r_squared"] < tolerance
    return "reproduced" if constant else "not reproduced"


def locality_verdict(local: dict[str, np.ndarray], sparse_share: float = 0.25, ratio: float = 0.5) -> str:
    """The locality criterion, on means over seeds.

    *Sparse*: mean active fraction ``<= sparse_share``; *close*: mean median pivot distance of the active
    neurons ``< ratio`` times that of the inactive ones. Both -> reproduced, one -> partly, none -> not.
    """
    sparse = local["active_fraction"].mean() <= sparse_share
    close = local["median_pivot_distance_active"].mean() < ratio * local["median_pivot_distance_inactive"].mean()
    if sparse and close:
        return "reproduced"
    return "partly reproduced" if sparse or close else "not reproduced"


def point_gap_verdict(gap: np.ndarray, tolerance: float = 0.02, partly: float = 0.10) -> str:
    """Reproduced if every seed's relative gap is ``<= tolerance``; partly if the median is ``<= partly``."""
    if (gap <= tolerance).all():
        return "reproduced"
    return "partly reproduced" if np.median(gap) <= partly else "not reproduced"


def everywhere_verdict(within: np.ndarray, share: float = 0.95, partly: float = 0.5) -> str:
    """Reproduced if every seed has ``>= share`` of the queries within tolerance; partly if the mean does
    ``>= partly``."""
    if (within >= share).all():
        return "reproduced"
    return "partly reproduced" if within.mean() >= partly else "not reproduced"


def exact_split_verdict(
    ig_error: np.ndarray, relu_residual: np.ndarray, ig_tolerance: float = 1e-3, relu_tolerance: float = 1e-9
) -> str:
    """Reproduced if, for every seed, the integrated-gradients completeness error is ``< ig_tolerance`` and
    the ReLU per-region residual ``< relu_tolerance`` (both relative to ``max |f|``,
    :func:`relative_max_error`); not reproduced otherwise."""
    holds = (np.asarray(ig_error) < ig_tolerance) & (np.asarray(relu_residual) < relu_tolerance)
    return "reproduced" if holds.all() else "not reproduced"


# ----------------------------------------------------------------------------------------------------------
# Claims
# ----------------------------------------------------------------------------------------------------------


def _summaries(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: summarize(v) for name, v in values.items()}


def claim_convergence_orders(mse: np.ndarray, decades: float = 2.0, regime: str = REGIME) -> Claim:
    """Training 0 -> 500 epochs takes the MSE down by several orders of magnitude.

    Args:
        mse: ``(s, k)`` from :func:`sweep_mse` (first column: untrained, last: longest training).
        decades: the orders of magnitude that count as "several".
        regime: the training regime, recorded beside the numbers (``measured["regime"]``).
    """
    orders = orders_of_magnitude(mse)
    return Claim(
        id="convergence-orders",
        kind="source",
        claim="Training 0 to 500 epochs takes the MSE on x^2 down by several orders of magnitude",
        source_value="several orders of magnitude (figure)",
        criterion=f"reproduced if log10(MSE_0 / MSE_500) >= {decades:g} for every seed; partly if for some seed; "
        "not reproduced otherwise",
        measured={**_summaries({"mse_0_epochs": mse[:, 0], "mse_500_epochs": mse[:, -1], "log10_ratio": orders}),
                  "regime": f"{regime}; one fresh GELU model per epoch count, 0 to 500 epochs"},
        verdict=seed_verdict(orders >= decades),
        section=SECTIONS["experiment"],
    )


def claim_linear_is_constant(fit: dict[str, float], tolerance: float = 1e-6) -> Claim:
    """The best single linear layer represents ``x^2`` on a symmetric grid as a constant (a fact of the
    symmetric grid: a check).

    Args:
        fit: from :func:`affine_fit` on the data.
        tolerance: bound on ``|slope|`` and ``R^2``.
    """
    return Claim(
        id="linear-is-constant",
        kind="check",
        claim="The best single linear layer represents x^2 on [-10, 10] as a constant",
        source_value="a constant",
        criterion=f"reproduced if the best affine fit has |slope| < {tolerance:g} and R^2 < {tolerance:g}; "
        "not reproduced otherwise",
        measured={**fit, "regime": "the data alone: 1000 evenly spaced points of x^2 on [-10, 10]"},
        verdict=constant_fit_verdict(fit, tolerance),
        section=SECTIONS["experiment"],
    )


def claim_local_keys(
    local: dict[str, np.ndarray], sparse_share: float = 0.25, ratio: float = 0.5, regime: str = REGIME
) -> Claim:
    """At ``x* = 5`` only the neurons whose pivot is near 5 activate.

    Args:
        local: from :func:`locality_across_seeds`.
        sparse_share: the largest mean active fraction that counts as sparse.
        ratio: how much closer the active neurons' pivots must be.
        regime: the training regime, recorded beside the numbers (``measured["regime"]``).
    """
    return Claim(
        id="local-keys-at-5",
        kind="source",
        claim="At x* = 5 only the neurons whose pivot is near 5 activate; the others are near zero",
        source_value="qualitative (figure)",
        criterion=f"reproduced if at most {sparse_share:.0%} of the neurons are active at x* = 5 and the active "
        f"neurons' median |pivot - 5| is below {ratio:g} x the inactive neurons' (means over seeds); partly if one "
        "of the two holds; not reproduced otherwise",
        measured={**_summaries(local), "regime": f"{regime}; the 500-epoch GELU model, first hidden layer"},
        verdict=locality_verdict(local, sparse_share, ratio),
        section=SECTIONS["keys"],
    )


def claim_sum_reconstructs_f5(
    parts: Sequence[memory.Contributions], tolerance: float = 0.02, partly: float = 0.10, regime: str = REGIME
) -> Claim:
    """The summed contributions of the first layer reconstruct ``f(5) = 25``.

    Args:
        parts: one :class:`mlpgeo.memory.Contributions` at ``x* = 5`` per seed.
        tolerance: bound on every seed's relative gap.
        partly: bound on the median relative gap for "partly".
        regime: the training regime, recorded beside the numbers (``measured["regime"]``).
    """
    output, total, gap = point_reconstruction(parts)
    return Claim(
        id="sum-reconstructs-f5",
        kind="source",
        claim="The summed contributions a_i df/da_i of the first layer reconstruct f(5) = 25",
        source_value=25.0,
        criterion=f"reproduced if |f(5) - sum_i a_i df/da_i| / max(|f(5)|, 1) <= {tolerance:.0%} for every seed; "
        f"partly if its median over seeds <= {partly:.0%}; not reproduced otherwise",
        measured={**_summaries({"f_5": output, "sum_of_contributions_5": total, "relative_gap_5": gap}),
                  "regime": f"{regime}; the 500-epoch GELU model, first hidden layer"},
        verdict=point_gap_verdict(gap, tolerance, partly),
        section=SECTIONS["decomposition"],
    )


def claim_sum_is_output_everywhere(
    stats: dict[str, np.ndarray], share: float = 0.95, partly: float = 0.5, regime: str = REGIME
) -> Claim:
    """For every query the output equals the sum of the retrieved contributions (the lookup trace).

    Args:
        stats: from :func:`gap_statistics_across` at a 2% tolerance, over all queries.
        share: the share of queries within tolerance every seed needs.
        partly: the mean share needed for "partly".
        regime: the training regime, recorded beside the numbers (``measured["regime"]``).
    """
    return Claim(
        id="sum-is-output-everywhere",
        kind="source",
        claim="For every query the output equals the sum of the retrieved contributions (lookup trace)",
        source_value="the dot's y-coordinate is the sum of all the bars",
        criterion=f"reproduced if at least {share:.0%} of the queries have a relative gap <= 2%, for every seed; "
        f"partly if at least {partly:.0%} do on average; not reproduced otherwise",
        measured={**_summaries({"fraction_within_2pct": stats["fraction_within"],
                                "median_relative_gap": stats["median_relative_gap"],
                                "max_abs_gap": stats["max_abs_gap"]}),
                  "regime": f"{regime}; the 500-epoch GELU model, first hidden layer"},
        verdict=everywhere_verdict(stats["fraction_within"], share, partly),
        section=SECTIONS["decomposition"],
    )


def claim_exact_decompositions(
    ig_error: np.ndarray,
    relu_residual: np.ndarray,
    ig_tolerance: float = 1e-3,
    relu_tolerance: float = 1e-9,
    regime: str = REGIME,
) -> Claim:
    """The per-neuron splits that add up by construction do add up in our code (a check, not the source's).

    Args:
        ig_error: ``(s,)`` relative integrated-gradients completeness errors (:func:`relative_max_error`).
        relu_residual: ``(s,)`` relative residuals of the ReLU twin's per-region split.
        ig_tolerance: bound on the quadrature error.
        relu_tolerance: bound on the rounding error of the exact form.
        regime: the training regime, recorded beside the numbers (``measured["regime"]``).
    """
    return Claim(
        id="exact-decompositions-add-up",
        kind="check",
        claim="Per-neuron splits that do add up: g(0) + sum IG_i (GELU), sum a_i v_i + bias path per region (ReLU)",
        source_value="(our reading of the notebook's claim)",
        criterion=f"reproduced if, for every seed, the integrated-gradients completeness error at {IG_STEPS} nodes "
        f"is below {ig_tolerance:g} x max|f| and the ReLU per-region residual below {relu_tolerance:g} x max|f|; "
        "not reproduced otherwise",
        measured={**_summaries({"ig_relative_completeness_error_256": ig_error,
                                "relu_relative_residual": relu_residual}),
                  "regime": f"{regime}; the 500-epoch GELU model and its 500-epoch ReLU twin, first hidden layer"},
        verdict=exact_split_verdict(ig_error, relu_residual, ig_tolerance, relu_tolerance),
        section=SECTIONS["decomposition"],
    )


def claim_gelu_beats_relu(gelu_mse: np.ndarray, relu_mse: np.ndarray, regime: str = REGIME) -> Claim:
    """GELU benefits the network: here, a lower MSE than the ReLU twin after 500 epochs.

    Args:
        gelu_mse: ``(s,)`` the GELU models' MSE after 500 epochs.
        relu_mse: ``(s,)`` their ReLU twins' MSE.
        regime: the training regime, recorded beside the numbers (``measured["regime"]``).
    """
    gelu_mse, relu_mse = np.asarray(gelu_mse), np.asarray(relu_mse)
    wins = gelu_mse < relu_mse
    return Claim(
        id="gelu-beats-relu",
        kind="source",
        claim="GELU benefits the network (here: lower MSE than the ReLU twin on x^2 after 500 epochs)",
        source_value="qualitative",
        criterion="reproduced if the GELU model's MSE after 500 epochs is below its ReLU twin's for every seed; "
        "partly if for a majority of seeds; not reproduced otherwise",
        measured={**_summaries({"gelu_mse_500": gelu_mse, "relu_mse_500": relu_mse}),
                  "gelu_wins_fraction": float(wins.mean()),
                  "regime": f"{regime}; 500 epochs, GELU vs ReLU from the same initialisation seed"},
        verdict=seed_verdict(wins, majority=True),
        section=SECTIONS["regions"],
    )


# ----------------------------------------------------------------------------------------------------------
# The report's figures
# ----------------------------------------------------------------------------------------------------------


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.4, 4.0)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_convergence(x: Tensor, y: Tensor, runs: Sequence[SweepRun], ax: Axes | None = None) -> Axes:
    """The source's convergence figure: each model's curve coloured by its MSE (log scale)."""
    ax = _axes(ax)
    grid = x[:, 0].cpu().numpy()
    mses = np.array([max(r.mse, 1e-12) for r in runs])
    norm = LogNorm(vmin=mses.min(), vmax=mses.max())
    cmap = plt.get_cmap("viridis_r")
    for run, mse in zip(runs, mses):
        with torch.no_grad():
            pred = run.model(check_x(run.model, x))[:, 0].cpu().numpy()
        ax.plot(grid, pred, color=cmap(norm(mse)), lw=1.3, label=f"{run.epochs} epochs")
    ax.plot(grid, y[:, 0].cpu().numpy(), color="black", lw=1.0, ls="--", label="$x^2$")
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    ax.figure.colorbar(mappable, ax=ax, label="MSE (log scale)")
    ax.set(xlabel="x", ylabel="model output", title="one fresh model per epoch count")
    return ax


def plot_mse_by_epochs(
    epoch_counts: Sequence[int], mse: np.ndarray, seeds: Sequence[int], ax: Axes | None = None
) -> Axes:
    """The MSE of each model against its epoch count, one line per seed (symlog x, log y)."""
    ax = _axes(ax)
    for row, seed in zip(mse, seeds):
        ax.plot(epoch_counts, row, "o-", ms=4, label=f"seed {seed}")
    ax.set(xscale="symlog", yscale="log", xlabel="epochs (symlog)", ylabel="MSE on the 1000 points",
           title="MSE of each model")
    ax.legend(fontsize=8)
    return ax


def plot_gap_curves(x: Tensor, gap: Tensor, bias_path: Tensor, ax: Axes | None = None) -> Axes:
    """What ``sum_i a_i df/da_i`` misses over ``x``: the GELU gap and the ReLU twin's bias path."""
    ax = _axes(ax)
    ax.plot(x[:, 0].cpu(), gap.cpu().numpy(), color="#D55E00",
            label=r"$f - \sum_i a_i\,\partial f/\partial a_i$ (GELU)")
    ax.plot(x[:, 0].cpu(), bias_path.cpu().numpy(), color="#009E73", ls="--", label="bias path c (ReLU twin)")
    ax.axhline(0, color="#888888", lw=0.8)
    ax.set(xlabel="x", ylabel="what the sum misses", title="the gap")
    ax.legend(fontsize=8)
    return ax


def plot_error_vs_steps(steps: Sequence[int], errors: Sequence[float], ax: Axes | None = None) -> Axes:
    """Integrated-gradients completeness error against the number of nodes (log-log)."""
    ax = _axes(ax)
    ax.loglog(steps, errors, "o-")
    ax.set(xlabel="integration nodes", ylabel="max |completeness error|",
           title="integrated gradients: error vs nodes")
    return ax


def plot_relu_regions(
    model: nn.Sequential, regions: Any, x: Tensor, y: Tensor | None = None, axes: Sequence[Axes] | None = None
) -> Sequence[Axes]:
    """A 1-D ReLU network's pieces: the fit with its breakpoints and first-layer pivots (keys as points),
    and each piece's slope (the values) beside the target's derivative ``2x`` for ``x^2``.

    Args:
        model: scalar-input ReLU MLP.
        regions: :class:`mlpgeo.regions.Regions1D` of the model.
        x: data ``(n, 1)``; y: optional targets ``(n, 1)``.
        axes: two matplotlib axes, or ``None`` (a new figure, two rows).
    """
    if axes is None:
        _, axes = plt.subplots(2, 1, figsize=(8, 6.4))
    bp = np.asarray(regions.breakpoints, dtype=np.float64)
    slopes = np.asarray(regions.slopes, dtype=np.float64)
    intercepts = np.asarray(regions.intercepts, dtype=np.float64)
    grid = x[:, 0].cpu().numpy()
    ax = axes[0]
    if y is not None:
        ax.plot(grid, y[:, 0].cpu().numpy(), color="#999999", lw=3, label="$x^2$")
    with torch.no_grad():
        ax.plot(grid, model(check_x(model, x))[:, 0].cpu().numpy(), color="#0072B2", lw=1.2, label="ReLU twin")
    ax.plot(bp[1:-1], slopes[:-1, 0] * bp[1:-1] + intercepts[:-1, 0], "|", color="#D55E00", ms=8,
            label=f"{len(bp) - 2} breakpoints")
    p = memory.pivots(model).numpy()
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
