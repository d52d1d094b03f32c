"""The Bloom report (``reports/bloom.ipynb``): do 1-hidden-layer ReLU networks trained on the k-of-V task
learn a Bloom filter?

Built from :mod:`mlpgeo.bloom`. Drivers are top-level functions of ``(setting..., seed)`` that return plain
results (:func:`train_task_network`, :func:`grid_run`, :func:`mse_readout_run`, :func:`learned_error`,
:func:`baseline_errors`, :func:`vocabulary_run`); the studies map them over settings and seeds. Each
``claim_*`` function returns the :class:`mlpgeo.report.Claim` of one claim of the digest, with the rule
(``criterion``) the notebook states before the result and the verdict of that rule (``*_verdict``).

Jobs: every study that trains or measures over settings and seeds maps a top-level job function of one setting
and one seed over them with :func:`mlpgeo.experiments.jobs.run_jobs` (``executor=``: in-process by default, local
processes or Dask), so its numbers do not depend on where the jobs run. The job functions are
:func:`grid_run`, :func:`train_network_job`, :func:`mse_readout_run`, :func:`mechanism_run`, :func:`learned_run`,
:func:`baseline_curve`, :func:`vocabulary_run`, :func:`search_job` and :func:`regime_width_job`.

Seeds: a network of seed ``s`` is initialised and shuffled with ``s``, trained on a sample drawn with
``10_000 + s`` (:data:`TRAIN_SEED_OFFSET`) and tested on a fresh sample drawn with ``20_000 + s``
(:data:`TEST_SEED_OFFSET`); the random baselines of seed ``s`` draw their embeddings or hashes with ``s``.
"""

from __future__ import annotations

import concurrent.futures
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from torch import Tensor, nn

from mlpgeo import batched, bloom
from mlpgeo.experiments.jobs import run_jobs
from mlpgeo.models import hidden_layers, mlp, seeded, snapshot, train
from mlpgeo.plotting import color
from mlpgeo.report import Claim, Table, summarize, threshold_verdict
from mlpgeo.validate import check_int

SECTIONS = {
    "grid": "1. The grid: where the task is solved and where the weights turn bimodal",
    "readout": "2. Why a linear read-out trained by MSE fails",
    "weights": "3. The weights of W_in",
    "mechanism": "4. The mechanism: hashes, union and read-out",
    "scaling": "5. Scaling with width and vocabulary",
    "search": "6. A wider search: optimiser, learning rate, schedule, length and initial scale",
}
"""The report's section headings (a claim's ``section`` names the one that shows its evidence)."""

TRAIN_SEED_OFFSET = 10_000
"""A network of seed ``s`` trains on the task sample drawn with seed ``TRAIN_SEED_OFFSET + s``."""
TEST_SEED_OFFSET = 20_000
"""... and is tested on the sample drawn with seed ``TEST_SEED_OFFSET + s`` (disjoint stream)."""

DEFAULT_LR = {("adam", "cross_entropy"): 1e-2, ("adam", "softmax_mse"): 1e-2, ("adam", "mse"): 1e-2,
              ("sgd", "cross_entropy"): 0.5, ("sgd", "mse"): 0.5}
"""Learning rates used when none is given. Adam is insensitive to the loss's scale; plain SGD on the
softmax-MSE loss sees gradients ~V^2 times smaller than on cross-entropy near the uniform softmax (the mean
runs over V outputs and each softmax derivative carries a factor p_t ~ 1/V): lr = V^2 / 16
(:data:`SGD_SOFTMAX_MSE_LR_SCALE`)."""
SGD_SOFTMAX_MSE_LR_SCALE = 1 / 16

TRAINING_VARIANTS = [dict(loss=loss, optimizer=optimizer, bias=bias) for loss in ("cross_entropy", "softmax_mse")
                     for optimizer in ("adam", "sgd") for bias in (True, False)]
"""The 8 training settings of the grid: loss x optimiser x bias."""
GRID_KEYS = ("vocab", "width", "k", "loss", "optimizer", "bias")
"""The columns that identify one cell of the grid (a task and a training setting)."""
GRID_METRICS = ("accuracy", "mode_valley_ratio", "r2_union", "r2_count", "clipping", "mean_hash_size", "h_star")
"""The per-run numbers averaged over seeds in each grid cell."""
SHORT_NAMES = {"cross_entropy": "CE", "softmax_mse": "sMSE", "adam": "Adam", "sgd": "SGD+m"}
"""Short labels of the losses and optimisers in tables and figures."""
SCALING_CURVES = ("learned", "superposition", "bloom")
"""The three error curves of :func:`scaling_errors`."""


# --------------------------------------------------------------------------------------------------
# Training on the task
# --------------------------------------------------------------------------------------------------


def default_lr(optimizer: str, loss: str, vocab: int) -> float:
    """The learning rate used when none is given (see :data:`DEFAULT_LR`)."""
    if (optimizer, loss) == ("sgd", "softmax_mse"):
        return SGD_SOFTMAX_MSE_LR_SCALE * vocab**2
    if (optimizer, loss) not in DEFAULT_LR:
        raise ValueError(f"no default learning rate for optimizer={optimizer!r} with loss={loss!r}; pass lr.")
    return DEFAULT_LR[(optimizer, loss)]


def train_task_network(
    vocab: int,
    width: int,
    k: int,
    *,
    loss: str = "cross_entropy",
    optimizer: str = "adam",
    bias: bool = True,
    seed: int = 0,
    n_train: int = 8192,
    epochs: int = 15,
    batch_size: int = 256,
    lr: float | None = None,
    momentum: float = 0.9,
    device: str | torch.device | None = None,
) -> tuple[nn.Sequential, list[float]]:
    """Train a ``V -> m -> V`` ReLU network on a fixed seeded sample of the k-of-V task.

    Args:
        vocab: the task's vocabulary size ``V``.
        width: the hidden width ``m``.
        k: the number of items per set.
        loss: ``"cross_entropy"`` (against ``y = x / k``), ``"softmax_mse"`` or ``"mse"`` (linear read-out).
        optimizer: ``"adam"`` or ``"sgd"`` (with ``momentum``).
        bias: whether both layers have biases.
        seed: seeds the initialisation and the batch order; the sample is drawn with
            ``TRAIN_SEED_OFFSET + seed``.
        n_train: the training sample size.
        epochs: passes over the sample.
        batch_size: the mini-batch size.
        lr: learning rate; ``None`` uses :func:`default_lr`.
        device: where to train (default: :func:`mlpgeo.config.device`, i.e. ``MLPGEO_DEVICE``).

    Returns:
        The trained model, moved back to the CPU (where every analysis runs: the networks are tiny), and
        its per-epoch training loss.

    Raises:
        TypeError / ValueError: bad task sizes, a NaN or non-positive learning rate, an unknown loss.
    """
    width = check_int(width, "width", low=1)
    seed = check_int(seed, "seed")
    x, y = bloom.k_of_v_task(n_train, vocab, k, generator=seeded(TRAIN_SEED_OFFSET + seed))
    model = mlp([vocab, width, vocab], bias=bias, generator=seeded(seed))
    history = train(model, x, y, loss=loss, optimizer=optimizer, lr=default_lr(optimizer, loss, vocab) if lr is None else lr,
                    epochs=epochs, batch_size=batch_size, momentum=momentum if optimizer == "sgd" else 0.0,
                    generator=seeded(seed), progress=False, device=device)
    return model.cpu(), history.epoch_loss


Executor = concurrent.futures.Executor


def train_network_job(vocab: int, width: int, k: int, seed: int, **train_kwargs: Any) -> dict[str, Any]:
    """Job: one :func:`train_task_network` as plain results: ``{"state": models.snapshot, "bias", "epoch_loss"}``
    (rebuild the network with :func:`network_from_job`)."""
    model, losses = train_task_network(vocab, width, k, seed=seed, **train_kwargs)
    return {"state": snapshot(model), "bias": model[0].bias is not None, "epoch_loss": losses}


def network_from_job(result: dict[str, Any]) -> nn.Sequential:
    """The ``V -> m -> V`` network of a :func:`train_network_job` result."""
    state = result["state"]
    width, vocab = state["0.weight"].shape
    model = mlp([vocab, width, state["2.weight"].shape[0]], bias=result["bias"], generator=seeded(0))
    model.load_state_dict(state)
    return model


def train_networks(vocab: int, width: int, k: int, seeds: Sequence[int], executor: Executor | None = None,
                   **train_kwargs: Any) -> list[nn.Sequential]:
    """One :func:`train_task_network` per seed (same task and training setting), in seed order, as jobs
    (:func:`train_network_job`)."""
    jobs = [dict(vocab=vocab, width=width, k=k, seed=seed, **train_kwargs) for seed in seeds]
    return [network_from_job(r) for r in run_jobs(train_network_job, jobs, executor=executor, desc="networks")]


def run_jobs_largest_first(fn: Callable[..., Any], jobs: Sequence[dict[str, Any]], costs: Sequence[float],
                           executor: Executor | None = None, desc: str = "jobs") -> list[Any]:
    """:func:`mlpgeo.experiments.jobs.run_jobs` with the costliest jobs submitted first (so that the workers
    finish together), the results returned in the order of ``jobs``. Each job draws only from its own seeds,
    so the order in which they run does not change any number."""
    order = sorted(range(len(jobs)), key=lambda i: -costs[i])  # stable: equal costs keep their order
    results = run_jobs(fn, [jobs[i] for i in order], executor=executor, desc=desc)
    out: list[Any] = [None] * len(jobs)
    for position, i in enumerate(order):
        out[i] = results[position]
    return out


def task_inputs(n: int, vocab: int, k: int, seed: int) -> Tensor:
    """The ``(n, V)`` inputs of the k-of-V task drawn with ``seed`` (a test set a job can rebuild from its seed)."""
    return bloom.k_of_v_task(n, vocab, k, generator=seeded(seed))[0]


def held_out_inputs(n: int, vocab: int, k: int, seed: int) -> Tensor:
    """The ``(n, V)`` test inputs of seed ``seed``: drawn with ``TEST_SEED_OFFSET + seed``."""
    return bloom.k_of_v_task(n, vocab, k, generator=seeded(TEST_SEED_OFFSET + seed))[0]


# --------------------------------------------------------------------------------------------------
# 1. The grid
# --------------------------------------------------------------------------------------------------


def grid_configs(tasks: Sequence[tuple[int, int, int]], variants: Sequence[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every task ``(V, m, k)`` crossed with every training setting (default :data:`TRAINING_VARIANTS`).

    Returns:
        ``len(tasks) * len(variants)`` dicts ``{vocab, width, k, loss, optimizer, bias}``, task-major.
    """
    variants = TRAINING_VARIANTS if variants is None else variants
    return [dict(vocab=v, width=m, k=k, **variant) for v, m, k in tasks for variant in variants]


def grid_run(vocab: int, width: int, k: int, loss: str, optimizer: str, bias: bool, seed: int, n_test: int = 4096,
             **train_kwargs: Any) -> dict[str, Any]:
    """Train one network of the grid and read it (the driver of one grid cell and seed).

    Returns:
        The setting, ``seed``, ``accuracy`` (exact top-k on :func:`held_out_inputs`), ``fpr`` (per-token
        false-positive rate of the top-k), ``final_loss`` and the scalars of
        :meth:`mlpgeo.bloom.BloomAnalysis.summary` (modes, hash sizes, R^2 union vs count, clipping, Bloom
        comparisons).
    """
    model, losses = train_task_network(vocab, width, k, loss=loss, optimizer=optimizer, bias=bias, seed=seed, **train_kwargs)
    x = held_out_inputs(n_test, vocab, k, seed)
    analysis = bloom.analyze_network(model, x, k, generator=seeded(seed)).summary()
    return {"vocab": vocab, "width": width, "k": k, "loss": loss, "optimizer": optimizer, "bias": bias, "seed": seed,
            "accuracy": analysis["network_accuracy"], "fpr": analysis["network_fpr"], "final_loss": losses[-1], **analysis}


def run_grid(configs: Sequence[dict[str, Any]], seeds: Sequence[int], n_test: int = 4096, executor: Executor | None = None,
             **train_kwargs: Any) -> list[dict[str, Any]]:
    """:func:`grid_run` for every config (dicts ``vocab, width, k, loss, optimizer, bias``) and seed, as jobs."""
    jobs = [dict(**config, seed=seed, n_test=n_test, **train_kwargs) for config in configs for seed in seeds]
    return run_jobs(grid_run, jobs, executor=executor, desc="grid")


def group_rows(rows: Sequence[dict[str, Any]], keys: Sequence[str], metrics: Sequence[str]) -> list[dict[str, Any]]:
    """Mean and standard deviation over seeds (:func:`mlpgeo.report.summarize`) of ``metrics`` for each
    distinct value of ``keys``.

    Returns:
        One dict per group, in first-seen order: the key values, ``n``, ``<metric>`` (mean) and
        ``<metric>_std`` (sample std, 0 for one seed).
    """
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row[key] for key in keys), []).append(row)
    out = []
    for values, members in groups.items():
        entry: dict[str, Any] = dict(zip(keys, values), n=len(members))
        for metric in metrics:
            summary = summarize(float(m[metric]) for m in members)
            entry[metric] = summary["mean"]
            entry[f"{metric}_std"] = summary["std"]
        out.append(entry)
    return out


def grid_table(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The grid's runs averaged over seeds: :func:`group_rows` by :data:`GRID_KEYS` over :data:`GRID_METRICS`."""
    return group_rows(rows, GRID_KEYS, GRID_METRICS)


def with_union_minus_count(groups: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of the grid cells with ``union_minus_count = r2_union - r2_count`` (> 0: union-like units)."""
    return [{**g, "union_minus_count": g["r2_union"] - g["r2_count"]} for g in groups]


def grid_shares(rows: Sequence[dict[str, Any]], solved_accuracy: float = 0.9) -> dict[str, float]:
    """Shares of all grid runs (every cell and seed) in which a property holds.

    Args:
        rows: per-run rows of :func:`run_grid`.
        solved_accuracy: a run is solved when its exact top-k accuracy exceeds this.

    Returns:
        ``bimodal`` (``W_in`` bimodal), ``union_beats_count`` (``R^2`` union ``>`` ``R^2`` count) and
        ``solved``, each in ``[0, 1]``.

    Raises:
        ValueError: no rows.
    """
    if not rows:
        raise ValueError("grid_shares needs at least one run; run_grid returned nothing.")
    n = len(rows)
    return {"bimodal": sum(r["mode_bimodal"] for r in rows) / n,
            "union_beats_count": sum(r["r2_union"] > r["r2_count"] for r in rows) / n,
            "solved": sum(r["accuracy"] > solved_accuracy for r in rows) / n}


def variant_label(loss: str, optimizer: str, bias: bool, sep: str = " ") -> str:
    """A training setting as a short label, e.g. ``"CE Adam bias"`` (``sep`` between the three parts)."""
    return sep.join([SHORT_NAMES.get(loss, loss), SHORT_NAMES.get(optimizer, optimizer), "bias" if bias else "no bias"])


def grid_where(groups: Sequence[dict[str, Any]], holds: Callable[[dict[str, Any]], bool]) -> dict[tuple[int, int, int], list[str]]:
    """The grid cells where a property holds, by task.

    Args:
        groups: seed-averaged cells of :func:`grid_table`.
        holds: ``holds(cell) -> bool``, e.g. ``lambda g: g["accuracy"] > 0.9``.

    Returns:
        ``{(V, m, k): [variant labels where it holds]}`` for every task of the grid (empty lists included),
        in first-seen order.
    """
    out: dict[tuple[int, int, int], list[str]] = {}
    for g in groups:
        labels = out.setdefault((g["vocab"], g["width"], g["k"]), [])
        if holds(g):
            labels.append(variant_label(g["loss"], g["optimizer"], g["bias"]))
    return out


def describe_grid_where(groups: Sequence[dict[str, Any]], solved_accuracy: float = 0.9, bimodal_valley: float = 0.5) -> str:
    """Where in the grid (seed means) the task is solved, ``W_in`` is bimodal, and the union beats the count.

    One block per property: the number of cells where it holds, then one line per task listing its settings.
    """
    properties = [(f"solved (accuracy > {solved_accuracy})", lambda g: g["accuracy"] > solved_accuracy),
                  (f"bimodal W_in (valley ratio < {bimodal_valley})", lambda g: g["mode_valley_ratio"] < bimodal_valley),
                  ("bimodal AND solved", lambda g: g["mode_valley_ratio"] < bimodal_valley and g["accuracy"] > solved_accuracy),
                  ("union explains hidden units better than the count", lambda g: g["r2_union"] > g["r2_count"])]
    lines = []
    for name, holds in properties:
        where = grid_where(groups, holds)
        lines.append(f"{name}: {sum(map(len, where.values()))} of {len(groups)} cells")
        lines += [f"   V={v}, m={m}, k={k}: {', '.join(labels) or '-'}" for (v, m, k), labels in where.items()]
    return "\n".join(lines)


def optimal_bloom_table(tasks: Sequence[tuple[int, int, int]]) -> Table:
    """One row per task ``(V, m, k)``: the best integer hash count, Bloom's false-positive rate at it and the
    optimal Bloom filter's exact-set accuracy (:func:`mlpgeo.bloom.optimal_bloom_accuracy`)."""
    rows = {}
    for v, m, k in tasks:
        h = bloom.best_integer_hashes(m, k)
        rows[f"V={v}, m={m}, k={k}"] = {"h": h, "false-positive rate": bloom.false_positive_rate(m, k, h),
                                        "exact-set accuracy": bloom.optimal_bloom_accuracy(v, m, k)}
    return Table(rows, {"h": "d", "false-positive rate": ".2g", "exact-set accuracy": ".2g"}, index="task")


# --------------------------------------------------------------------------------------------------
# 2. The linear read-out by MSE
# --------------------------------------------------------------------------------------------------


def mse_readout_run(vocab: int, width: int, k: int, seed: int, x_test: Tensor) -> dict[str, float]:
    """Train one network with the plain MSE on its logits (Adam) and measure it on ``x_test``:
    ``{"mse": per-coordinate MSE of the logits against x / k, "accuracy": exact top-k accuracy}``."""
    model = train_networks(vocab, width, k, [seed], loss="mse", optimizer="adam")[0]
    return {"mse": bloom.output_mse(model, x_test, k, softmax=False), "accuracy": bloom.topk_accuracy(model, x_test, k)}


@dataclass
class ReadoutStudy:
    """A linear read-out trained by MSE on the logits against the subspace bound (:func:`linear_readout_study`).

    Attributes:
        bound: :func:`mlpgeo.bloom.subspace_mse_bound` ``(V-m-1)/(V-1)`` times the constant predictor's MSE.
        constant: :func:`mlpgeo.bloom.constant_predictor_mse` ``(1 - k/V) / (k V)``.
        mse_linear: per seed, MSE of the raw logits of the network trained by MSE.
        accuracy_linear: per seed, its exact top-k accuracy.
        mse_softmax: per seed, MSE of the softmax output of the reference networks.
    """

    bound: float
    constant: float
    mse_linear: list[float]
    accuracy_linear: list[float]
    mse_softmax: list[float]

    def table(self) -> Table:
        """The bound, the MSE read-out and the softmax networks (seed means), also relative to the constant
        predictor."""
        linear = summarize(self.mse_linear)["mean"]
        softmax = summarize(self.mse_softmax)["mean"]
        rows = {"constant predictor 1/V": {"MSE": self.constant, "x constant": 1.0},
                "subspace bound": {"MSE": self.bound, "x constant": self.bound / self.constant},
                "linear read-out trained by MSE": {"MSE": linear, "x constant": linear / self.constant,
                                                   "top-k accuracy": summarize(self.accuracy_linear)["mean"]},
                "softmax output trained by CE": {"MSE": softmax, "x constant": softmax / self.constant}}
        return Table(rows, {"MSE": ".3e", "x constant": ".4f", "top-k accuracy": ".3f"}, index="predictor")


def linear_readout_study(vocab: int, width: int, k: int, seeds: Sequence[int], x_test: Tensor,
                         softmax_models: Sequence[nn.Sequential], executor: Executor | None = None) -> ReadoutStudy:
    """:func:`mse_readout_run` per seed, against the bound, beside the softmax networks' distribution MSE.

    Args:
        vocab: the task's vocabulary size ``V``.
        width: the hidden width ``m``.
        k: the number of items per set.
        seeds: one MSE-trained network per seed.
        x_test: ``(n, V)`` test inputs.
        softmax_models: the reference networks (softmax output), one per seed.
    """
    runs = run_jobs(mse_readout_run, [dict(vocab=vocab, width=width, k=k, seed=seed, x_test=x_test) for seed in seeds],
                    executor=executor, desc="MSE read-outs")
    return ReadoutStudy(bound=bloom.subspace_mse_bound(vocab, width, k), constant=bloom.constant_predictor_mse(vocab, k),
                        mse_linear=[run["mse"] for run in runs], accuracy_linear=[run["accuracy"] for run in runs],
                        mse_softmax=[bloom.output_mse(model, x_test, k, softmax=True) for model in softmax_models])


def linear_readout_verdict(mse_over_bound: Sequence[float], softmax_over_bound: Sequence[float]) -> str:
    """``"reproduced"`` if every seed's MSE read-out is at or above the bound (1% numerical slack:
    ``mse / bound >= 0.99``) and every softmax network is far below it (``mse / bound < 0.5``), else
    ``"not reproduced"``."""
    ok = min(mse_over_bound) >= 0.99 and max(softmax_over_bound) < 0.5
    return "reproduced" if ok else "not reproduced"


def claim_mse_linear_readout_bound(study: ReadoutStudy) -> Claim:
    """Our derivation (a check): an MSE read-out cannot go below the subspace bound (:func:`linear_readout_verdict`)."""
    mse_ratio = torch.tensor(study.mse_linear) / study.bound
    softmax_ratio = torch.tensor(study.mse_softmax) / study.bound
    measured = {"mse_over_bound": summarize(mse_ratio.tolist()), "bound_over_constant": study.bound / study.constant,
                "topk_accuracy_linear": summarize(study.accuracy_linear),
                "softmax_mse_over_bound": summarize(softmax_ratio.tolist())}
    return Claim(
        id="mse-linear-readout-bound", kind="check",
        claim="A linear read-out fitted to y by MSE cannot learn the task: its MSE is at least (V-m-1)/(V-1) of the constant predictor's.",
        source_value="derivation in the reference notes (the post's numbers are lost)",
        criterion="reproduced if every seed's MSE read-out has MSE / bound >= 0.99 (1% numerical slack) and every "
                  "softmax network's distribution MSE / bound < 0.5; otherwise not reproduced",
        measured=measured,
        verdict=linear_readout_verdict(mse_ratio.tolist(), [m / study.bound for m in study.mse_softmax]),
        section=SECTIONS["readout"],
    )


# --------------------------------------------------------------------------------------------------
# 3. The weights of W_in
# --------------------------------------------------------------------------------------------------


def modes_table(seeds: Sequence[int], modes: Sequence[bloom.WeightModes]) -> Table:
    """One row per seed: the two modes of ``W_in``, the share of the high one and the bimodality measures."""
    rows = {f"seed {seed}": {"low mode": m.low, "high mode": m.high, "share high": m.fraction_high,
                             "valley ratio": m.valley_ratio, "Ashman D": m.ashman_d, "bimodal": m.bimodal}
            for seed, m in zip(seeds, modes)}
    return Table(rows, {"low mode": "+.2f", "high mode": "+.2f", "share high": ".2f", "valley ratio": ".2f",
                        "Ashman D": ".1f", "bimodal": ""}, index="network")


def describe_hidden_biases(models: Sequence[nn.Sequential]) -> str:
    """Mean and std of the first hidden layer's biases ``b_in`` over all units of all ``models``."""
    biases = torch.stack([hidden_layers(model)[0][0].bias.detach() for model in models])
    return f"hidden biases: mean {biases.mean():.2f}, std {biases.std():.2f}"


def mode_offset(modes: bloom.WeightModes) -> float:
    """How far the nearer mode is from 0, in units of the gap: ``min(|low|, |high|) / (high - low)``.

    0 when one mode is exactly 0 (the "0 or 1" reading); 0.5 for symmetric modes ``+-a``.
    """
    return min(abs(modes.low), abs(modes.high)) / (modes.high - modes.low)


def bimodal_verdict(modes: Sequence[bloom.WeightModes], max_offset: float = 0.15) -> str:
    """``"not reproduced"`` unless ``W_in`` is bimodal in every seed; then ``"reproduced"`` if one mode is
    near 0 in every seed (:func:`mode_offset` ``< max_offset``), else ``"partly reproduced"``."""
    if not all(m.bimodal for m in modes):
        return "not reproduced"
    return "reproduced" if max(mode_offset(m) for m in modes) < max_offset else "partly reproduced"


def claim_bimodal_weights(modes: Sequence[bloom.WeightModes], grid_share_bimodal: float) -> Claim:
    """The digest: ``W_in`` snaps to two values, 0 and 1 (:func:`bimodal_verdict`)."""
    measured = {"valley_ratio": summarize([m.valley_ratio for m in modes]), "mode_low": summarize([m.low for m in modes]),
                "mode_high": summarize([m.high for m in modes]),
                "nearest_mode_to_zero_over_gap": summarize([mode_offset(m) for m in modes]),
                "grid_share_bimodal": grid_share_bimodal}
    return Claim(
        id="bimodal-weights", kind="source",
        claim="Input weights are bimodal, snapping to two values (0 or 1) that encode binary hashes.",
        source_value="bimodal, modes 0 and 1 (qualitative)",
        criterion="not reproduced unless W_in is bimodal (valley ratio < 0.5) in every seed; then reproduced if the "
                  "nearer mode's distance from 0 is < 0.15 of the gap between the modes in every seed, else partly reproduced",
        measured=measured, verdict=bimodal_verdict(modes), section=SECTIONS["weights"],
    )


# --------------------------------------------------------------------------------------------------
# 4. The mechanism
# --------------------------------------------------------------------------------------------------


MECHANISM_QUANTITIES: dict[str, Callable[[bloom.BloomAnalysis, bloom.UnionReadout, bloom.BloomComparison], Any]] = {
    "mean hash size |H(t)|": lambda a, r, v: a.mean_hash_size,
    "h* = (m/k) ln 2": lambda a, r, v: a.h_star,
    "R2 of units: union [s_j = 0]": lambda a, r, v: a.r2_union,
    "R2 of units: count s_j": lambda a, r, v: a.r2_count,
    "clipped pre-activations": lambda a, r, v: a.clipping,
    "top-k accuracy: network": lambda a, r, v: a.network_accuracy,
    "top-k accuracy: Bloom with its hashes": lambda a, r, v: a.extracted_bloom_accuracy,
    "top-k accuracy: optimal Bloom": lambda a, r, v: a.optimal_bloom_accuracy,
    "optimal Bloom h": lambda a, r, v: a.optimal_bloom_h,
    "false-positive rate: network": lambda a, r, v: a.network_fpr,
    "false-positive rate: Bloom with its hashes": lambda a, r, v: a.extracted_bloom_fpr,
    "false-positive rate: optimal Bloom": lambda a, r, v: a.optimal_bloom_fpr,
    "false-positive rate: Bloom's formula": lambda a, r, v: a.optimal_bloom_fpr_formula,
    "logits from the union: R2": lambda a, r, v: r.r2,
    "logits from the union: accuracy": lambda a, r, v: r.accuracy,
    "logits from the counts: R2": lambda a, r, v: r.r2_count,
    "logits from the counts: accuracy": lambda a, r, v: r.accuracy_count,
    "same top-k as the hand-built network": lambda a, r, v: v.agreement,
    "network's top-k tokens that are Bloom members": lambda a, r, v: v.member_overlap,
    "logit correlation with the hand-built network": lambda a, r, v: v.logit_corr,
    }
"""The rows of :meth:`MechanismStudy.table`: name -> ``f(analysis, union_readout, comparison)``."""


@dataclass
class MechanismStudy:
    """The Bloom reading of the representative networks, one entry per seed (:func:`mechanism_study`).

    Attributes:
        seeds: the networks' seeds.
        analyses: :func:`mlpgeo.bloom.analyze_network` of each network.
        readouts: :func:`mlpgeo.bloom.union_readout` of each network.
        versus: :func:`mlpgeo.bloom.compare_with_bloom_network` of each network.
    """

    seeds: list[int]
    analyses: list[bloom.BloomAnalysis]
    readouts: list[bloom.UnionReadout]
    versus: list[bloom.BloomComparison]

    def metrics(self) -> dict[str, list[dict[str, Any]]]:
        """What the report records: ``analysis``, ``union_readout`` and ``versus_hand_built``, one dict per seed."""
        return {"analysis": [a.summary() for a in self.analyses], "union_readout": [r.as_dict() for r in self.readouts],
                "versus_hand_built": [v.as_dict() for v in self.versus]}

    def table(self) -> Table:
        """One column per seed, one row per quantity: hashes and units, accuracies, false-positive rates,
        read-outs, agreement with the hand-built network."""
        columns = [f"seed {seed}" for seed in self.seeds]
        rows = {name: {column: get(a, r, v) for column, a, r, v in zip(columns, self.analyses, self.readouts, self.versus)}
                for name, get in MECHANISM_QUANTITIES.items()}
        return Table(rows, index="quantity", only_formatted=False)


def mechanism_run(model: nn.Sequential, seed: int, x_test: Tensor, x_fit: Tensor, k: int) -> tuple[Any, Any, Any]:
    """Job: one network's Bloom reading: ``(analysis, union_readout, comparison)`` (see :func:`mechanism_study`)."""
    return (bloom.analyze_network(model, x_test, k, generator=seeded(seed)), bloom.union_readout(model, x_fit, x_test, k),
            bloom.compare_with_bloom_network(model, x_test, k))


def mechanism_study(models: Sequence[nn.Sequential], seeds: Sequence[int], x_test: Tensor, x_fit: Tensor,
                    k: int, executor: Executor | None = None) -> MechanismStudy:
    """Analyse each trained network as a Bloom filter with its low-side hashes (one :func:`mechanism_run` job each).

    Args:
        models: trained ``V -> m -> V`` networks.
        seeds: their seeds (also the seeds of the optimal Bloom filter's random hashes).
        x_test: ``(n, V)`` inputs on which everything is measured.
        x_fit: ``(n', V)`` inputs on which the union read-out is fitted.
        k: active tokens per input.
    """
    runs = run_jobs(mechanism_run, [dict(model=model, seed=seed, x_test=x_test, x_fit=x_fit, k=k)
                                    for model, seed in zip(models, seeds)], executor=executor, desc="mechanism")
    return MechanismStudy(seeds=list(seeds), analyses=[r[0] for r in runs], readouts=[r[1] for r in runs],
                          versus=[r[2] for r in runs])


def describe_hash_side(models: Sequence[nn.Sequential], seeds: Sequence[int], x: Tensor, k: int, side: str) -> str:
    """Mean ``R^2`` of union vs count over the networks when the hash bits are read from ``side`` of ``W_in``."""
    analyses = [bloom.analyze_network(model, x, k, side=side, generator=seeded(seed)) for model, seed in zip(models, seeds)]
    union = sum(a.r2_union for a in analyses) / len(analyses)
    count = sum(a.r2_count for a in analyses) / len(analyses)
    return f"hash bits = the {side} mode: R2 union {union:.2f} vs count {count:.2f}"


def sparse_hashes_verdict(hash_sizes: Sequence[float], h_star: float, width: int, all_bimodal: bool) -> str:
    """``"not reproduced"`` unless ``W_in`` is bimodal in every seed (binary hashes); then ``"reproduced"``
    if the hashes are also sparse: every mean hash size within 30% of ``h*`` and below ``m / 2``; else
    ``"partly reproduced"``."""
    if not all_bimodal:
        return "not reproduced"
    ratios = [size / h_star for size in hash_sizes]
    sparse = all(abs(r - 1) < 0.3 for r in ratios) and max(ratios) * h_star < width / 2
    return "reproduced" if sparse else "partly reproduced"


def claim_sparse_binary_hashes(study: MechanismStudy, width: int) -> Claim:
    """The digest: tokens get sparse binary hashes (:func:`sparse_hashes_verdict`)."""
    analyses = study.analyses
    sizes = [a.mean_hash_size for a in analyses]
    measured = {"hash_size": summarize(sizes), "h_star": analyses[0].h_star,
                "hash_size_over_h_star": summarize([a.mean_hash_size / a.h_star for a in analyses]),
                "hash_density": summarize([size / width for size in sizes])}
    return Claim(
        id="sparse-binary-hashes", kind="source",
        claim="Tokens get sparse binary hashes (a few hidden units each, as a Bloom filter with h* = (m/k) ln 2 hashes).",
        source_value="sparse binary hashes (qualitative)",
        criterion="not reproduced unless W_in is bimodal in every seed; then reproduced if every mean hash size is "
                  "within 30% of h* and below m/2, else partly reproduced",
        measured=measured,
        verdict=sparse_hashes_verdict(sizes, analyses[0].h_star, width, all(a.modes.bimodal for a in analyses)),
        section=SECTIONS["mechanism"],
    )


def union_indicator_verdict(r2_union: Sequence[float], r2_count: Sequence[float]) -> str:
    """``"reproduced"`` if the union explains ``>= 0.9`` of every network's units (mean ``R^2``) and beats the
    count in each; ``"partly reproduced"`` if it beats the count in each; ``"not reproduced"`` otherwise."""
    beats = all(u > c for u, c in zip(r2_union, r2_count))
    if beats and min(r2_union) >= 0.9:
        return "reproduced"
    return "partly reproduced" if beats else "not reproduced"


def claim_union_indicator(study: MechanismStudy, grid_share_union_beats_count: float) -> Claim:
    """The digest: the hidden layer is an approximate union indicator (:func:`union_indicator_verdict`)."""
    r2_union = [a.r2_union for a in study.analyses]
    r2_count = [a.r2_count for a in study.analyses]
    measured = {"r2_union": summarize(r2_union), "r2_count": summarize(r2_count),
                "clipping": summarize([a.clipping for a in study.analyses]),
                "grid_share_union_beats_count": grid_share_union_beats_count}
    return Claim(
        id="union-indicator", kind="source",
        claim="The hidden layer acts as an approximate union indicator of the active tokens' hashes.",
        source_value="approximate union indicator (qualitative)",
        criterion="reproduced if the union indicator explains mean R^2 >= 0.9 of the hidden units and beats the hit "
                  "count in every seed; partly if it beats the count in every seed; otherwise not reproduced",
        measured=measured, verdict=union_indicator_verdict(r2_union, r2_count), section=SECTIONS["mechanism"],
    )


def union_readout_verdict(readouts: Sequence[bloom.UnionReadout], network_accuracy: Sequence[float]) -> str:
    """``"reproduced"`` if the union read-out explains ``>= 0.9`` of the logits' variance and keeps ``>= 90%``
    of the network's accuracy in every seed; ``"partly reproduced"`` if it explains ``>= 0.5`` and at least as
    much as a read-out of the hit counts in every seed; ``"not reproduced"`` otherwise.

    Args:
        readouts: :func:`mlpgeo.bloom.union_readout` results, one per seed.
        network_accuracy: the networks' own exact top-k accuracies, same order.
    """
    r2 = [r.r2 for r in readouts]
    if min(r2) >= 0.9 and min(r.accuracy / n for r, n in zip(readouts, network_accuracy)) >= 0.9:
        return "reproduced"
    if min(r2) >= 0.5 and all(r.r2 >= r.r2_count for r in readouts):
        return "partly reproduced"
    return "not reproduced"


def claim_linear_readout_from_union(study: MechanismStudy) -> Claim:
    """The digest: logits are a linear read-out of the union state (:func:`union_readout_verdict`)."""
    network_accuracy = [a.network_accuracy for a in study.analyses]
    measured = {"r2_logits_from_union": summarize([r.r2 for r in study.readouts]),
                "accuracy_union_readout": summarize([r.accuracy for r in study.readouts]),
                "accuracy_network": summarize(network_accuracy),
                "r2_logits_from_counts": summarize([r.r2_count for r in study.readouts])}
    return Claim(
        id="linear-readout-from-union", kind="source",
        claim="Output logits are a linear read-out of the hidden layer's union state.",
        source_value="linear read-out of the union (qualitative)",
        criterion="reproduced if the union read-out explains R^2 >= 0.9 of the logits and keeps >= 90% of the "
                  "network's accuracy in every seed; partly if R^2 >= 0.5 and at least the count read-out's R^2 in "
                  "every seed; otherwise not reproduced",
        measured=measured, verdict=union_readout_verdict(study.readouts, network_accuracy), section=SECTIONS["mechanism"],
    )


def bloom_agreement_verdict(agreement: Sequence[float], member_overlap: Sequence[float]) -> str:
    """``"reproduced"`` if the trained top-k equals the hand-built Bloom network's on ``>= 90%`` of inputs in
    every seed; ``"partly reproduced"`` if at least ``95%`` of the trained top-k tokens are Bloom members in
    every seed; ``"not reproduced"`` otherwise."""
    if min(agreement) >= 0.9:
        return "reproduced"
    return "partly reproduced" if min(member_overlap) >= 0.95 else "not reproduced"


def claim_converges_to_bloom_filter(study: MechanismStudy) -> Claim:
    """The digest: the network converges to a Bloom filter (:func:`bloom_agreement_verdict`)."""
    agreement = [v.agreement for v in study.versus]
    overlap = [v.member_overlap for v in study.versus]
    measured = {"same_topk_as_hand_built": summarize(agreement), "topk_tokens_that_are_members": summarize(overlap),
                "accuracy_network": summarize([a.network_accuracy for a in study.analyses]),
                "accuracy_bloom_with_extracted_hashes": summarize([a.extracted_bloom_accuracy for a in study.analyses]),
                "accuracy_optimal_bloom": summarize([a.optimal_bloom_accuracy for a in study.analyses])}
    return Claim(
        id="converges-to-bloom-filter", kind="source",
        claim="The trained network converges to a Bloom filter: it matches the hand-built Bloom network on its hashes.",
        source_value="seems to converge to a Bloom filter (qualitative)",
        criterion="reproduced if the trained top-k equals the hand-built Bloom network's on >= 90% of inputs in every "
                  "seed; partly if >= 95% of the trained top-k tokens are Bloom members in every seed; otherwise not reproduced",
        measured=measured, verdict=bloom_agreement_verdict(agreement, overlap), section=SECTIONS["mechanism"],
    )


# --------------------------------------------------------------------------------------------------
# 5. Scaling with width and vocabulary
# --------------------------------------------------------------------------------------------------


def learned_error(vocab: int, width: int, k: int, seed: int, x_test: Tensor, **train_kwargs: Any) -> float:
    """``1 -`` exact top-k accuracy on ``x_test`` of the network of width ``width`` trained with ``seed``."""
    return 1 - bloom.topk_accuracy(train_task_network(vocab, width, k, seed=seed, **train_kwargs)[0], x_test, k)


def learned_run(vocab: int, width: int, k: int, seed: int, x_test: Tensor | None = None, test_seed: int | None = None,
                n_test: int = 20000, **train_kwargs: Any) -> dict[str, float]:
    """The network of width ``width`` trained with ``seed``, on ``x_test`` (or, in a job, the ``n_test`` inputs
    drawn with ``test_seed``, :func:`task_inputs`): ``error`` (``1 -`` exact top-k accuracy) and ``loss`` (the MSE
    of its softmax output against ``x / k``: the post's "MSE" as we read it)."""
    x_test = task_inputs(n_test, vocab, k, test_seed) if x_test is None else x_test
    model = train_task_network(vocab, width, k, seed=seed, **train_kwargs)[0]
    return {"error": 1 - bloom.topk_accuracy(model, x_test, k), "loss": bloom.output_mse(model, x_test, k, softmax=True)}


def baseline_errors(vocab: int, width: int, k: int, seed: int, x_test: Tensor) -> dict[str, float]:
    """The two random baselines of width ``width`` drawn with ``seed``, on ``x_test``.

    Returns:
        ``superposition``: ``1 -`` top-k accuracy of the JL superposition solution (embeddings drawn with
        ``seed``); ``superposition_interference``: its per-coordinate MSE against ``x``; ``bloom``:
        ``1 -`` exact-set accuracy of a Bloom filter with random hashes of the best integer size (drawn with
        ``seed``).
    """
    embeddings = bloom.random_embeddings(vocab, width, generator=seeded(seed))
    hashes = bloom.random_hashes(vocab, width, min(bloom.best_integer_hashes(width, k), width), generator=seeded(seed))
    return {"superposition": 1 - bloom.superposition_accuracy(embeddings, x_test, k),
            "superposition_interference": bloom.superposition_interference(embeddings, x_test),
            "bloom": 1 - bloom.exact_set_accuracy(bloom.bloom_membership(hashes, x_test), x_test)}


def baseline_curve(vocab: int, k: int, widths: Sequence[int], seed: int, test_seed: int, n_test: int) -> list[dict[str, float]]:
    """Job: :func:`baseline_errors` of one seed at every width, on the ``n_test`` inputs drawn with ``test_seed``."""
    x_test = task_inputs(n_test, vocab, k, test_seed)
    return [baseline_errors(vocab, m, k, seed, x_test) for m in widths]


def scaling_errors(vocab: int, k: int, widths: Sequence[int], seeds: Sequence[int], test_seed: int, n_test: int,
                   learned_widths: Sequence[int] | None = None, executor: Executor | None = None,
                   **train_kwargs: Any) -> dict[str, Any]:
    """Error ``1 - exact top-k accuracy`` against width for the trained network (:func:`learned_error`),
    the JL-style superposition baseline and an optimal Bloom filter (:func:`baseline_errors`), on the ``n_test``
    inputs drawn with ``test_seed`` (:func:`task_inputs`): one job per trained network (:func:`learned_run`) and one
    per seed for the baselines (:func:`baseline_curve`).

    Args:
        widths: widths of the baselines.
        learned_widths: widths at which networks are trained (default ``widths``).
        seeds: one trained network / one draw of embeddings or hashes per seed.
        train_kwargs: passed to :func:`train_task_network` (``loss``, ``optimizer``, ``epochs``, ...).

    Returns:
        ``{"learned_widths", "learned" (seeds x widths), "learned_loss" (seeds x widths: the softmax output's
        MSE, :func:`learned_run`), "widths", "superposition" (seeds x widths),
        "superposition_interference" (seeds x widths), "bloom" (seeds x widths)}`` as nested lists.
    """
    learned_widths = list(learned_widths or widths)
    jobs = [dict(vocab=vocab, width=m, k=k, seed=seed, test_seed=test_seed, n_test=n_test, **train_kwargs)
            for seed in seeds for m in learned_widths]
    flat = run_jobs_largest_first(learned_run, jobs, [job["width"] for job in jobs], executor=executor, desc="widths")
    runs = [flat[s * len(learned_widths):(s + 1) * len(learned_widths)] for s in range(len(seeds))]
    learned = [[run["error"] for run in row] for row in runs]
    baselines = run_jobs(baseline_curve, [dict(vocab=vocab, k=k, widths=list(widths), seed=seed, test_seed=test_seed,
                                               n_test=n_test) for seed in seeds], executor=executor, desc="baselines")
    return {"learned_widths": learned_widths, "learned": learned, "learned_loss": [[run["loss"] for run in row] for row in runs],
            "widths": list(widths),
            **{name: [[run[name] for run in row] for row in baselines]
               for name in ("superposition", "superposition_interference", "bloom")}}


def curve_widths(curves: dict[str, Any], name: str) -> list[int]:
    """The widths of curve ``name``: ``learned_widths`` for the trained networks, ``widths`` for the baselines."""
    return curves["learned_widths"] if name == "learned" else curves["widths"]


def scaling_fits(curves: dict[str, Any]) -> dict[str, bloom.FitComparison]:
    """:func:`mlpgeo.bloom.tail_fits` of each of the :data:`SCALING_CURVES` of :func:`scaling_errors`."""
    return {name: bloom.tail_fits(curve_widths(curves, name), curves[name]) for name in SCALING_CURVES}


def fit_summary(fits: bloom.FitComparison) -> dict[str, Any]:
    """The numbers of one tail fit for the metrics: better law, rates, exponents, log-RMSEs, widths."""
    return {"better": fits.better, "exp_rate": fits.exponential.b, "exp_rmse_log": fits.exponential.rmse_log,
            "power_exponent": fits.power.b, "power_rmse_log": fits.power.rmse_log, "widths": fits.widths.tolist()}


def fits_table(fits: dict[str, bloom.FitComparison]) -> Table:
    """One row per curve: the better law, the exponential rate and the power exponent with their log-RMSEs,
    and the tail widths."""
    rows = {name: {"better fit": f.better, "exponential rate b (/unit)": f.exponential.b,
                   "exponential log-RMSE": f.exponential.rmse_log, "power exponent b": f.power.b,
                   "power log-RMSE": f.power.rmse_log, "tail widths": [int(w) for w in f.widths.tolist()]}
            for name, f in fits.items()}
    return Table(rows, {"better fit": "", "exponential rate b (/unit)": ".3f", "exponential log-RMSE": ".2f",
                        "power exponent b": ".2f", "power log-RMSE": ".2f", "tail widths": ""}, index="curve")


def interference_fits(curves: dict[str, Any]) -> bloom.FitComparison:
    """:func:`mlpgeo.bloom.compare_fits` of the seed-mean JL interference against width."""
    return bloom.compare_fits(curves["widths"], torch.tensor(curves["superposition_interference"]).mean(0))


def interference_summary(fits: bloom.FitComparison) -> dict[str, Any]:
    """The numbers of :func:`interference_fits` for the metrics."""
    return {"better": fits.better, "power_exponent": fits.power.b, "power_rmse_log": fits.power.rmse_log,
            "exp_rmse_log": fits.exponential.rmse_log}


def errors_at(curves: dict[str, Any], name: str, width: int) -> list[float]:
    """Per-seed error of curve ``name`` at ``width`` (which must be one of the curve's widths)."""
    widths = curve_widths(curves, name)
    if width not in widths:
        raise ValueError(f"width {width} is not on the {name} curve (widths {widths}); pick one of them.")
    return [row[widths.index(width)] for row in curves[name]]


def describe_scaling(curves: dict[str, Any], fits: dict[str, bloom.FitComparison], interference: bloom.FitComparison,
                     k: int, width: int = 32) -> str:
    """Where each baseline's exponential fit reaches the trained network's error at ``width``; the Bloom
    filter's theoretical rate; the law of the JL interference."""
    errors = errors_at(curves, "learned", width)
    target = sum(errors) / len(errors)
    lines = [f"{name} reaches the trained network's error at m={width} ({target:.1e}) at m ~ "
             f"{bloom.width_reaching(fits[name].exponential, target):.0f}" for name in ("bloom", "superposition")]
    lines.append(f"theoretical decay rate of an optimal Bloom filter's error: (ln 2)^2 / k = {bloom.bloom_decay_rate(k):.3f}/unit")
    lines.append(f"JL interference (MSE of the scores): better fit {interference.better}, power exponent "
                 f"{interference.power.b:.2f} (expected 1: k(V+1)/(V m))")
    return "\n".join(lines)


def scaling_verdict(learned_better: str, jl_better: str) -> str:
    """``"reproduced"`` if the learned curve fits an exponential better AND the JL curve a power law better;
    ``"partly reproduced"`` if one of the two holds; ``"not reproduced"`` if neither (a count, thresholds 2, 1)."""
    return threshold_verdict(int(learned_better == "exponential") + int(jl_better == "power"), 2, 1)


def loss_law_shares(curves: dict[str, Any]) -> dict[str, Any]:
    """Per seed, which law fits each loss curve better: the trained network's softmax-output MSE
    (``learned_loss``) and the JL baseline's MSE of its scores (``superposition_interference``), each over all its
    widths (:func:`mlpgeo.bloom.compare_fits`).

    Returns:
        ``learned_power_over_exp`` and ``jl_power_over_exp``: per-seed log-RMSE of the power fit over the
        exponential fit's (> 1: the exponential fits better); ``learned_exponential`` and ``jl_power``: the share
        of seeds in which the exponential (learned) / the power law (JL) fits better.
    """
    learned = [bloom.compare_fits(curves["learned_widths"], row) for row in curves["learned_loss"]]
    jl = [bloom.compare_fits(curves["widths"], row) for row in curves["superposition_interference"]]
    return {"learned_power_over_exp": [f.rmse_ratio_power_over_exponential for f in learned],
            "jl_power_over_exp": [f.rmse_ratio_power_over_exponential for f in jl],
            "learned_exponential": sum(f.better == "exponential" for f in learned) / len(learned),
            "jl_power": sum(f.better == "power" for f in jl) / len(jl)}


def loss_scaling_verdict(learned_exponential_share: float, jl_power_share: float) -> str:
    """``"reproduced"`` if the learned loss fits an exponential better in every seed AND the JL loss a power law
    better in every seed; ``"partly reproduced"`` if one of the two holds in every seed; else ``"not reproduced"``."""
    return threshold_verdict(int(learned_exponential_share == 1) + int(jl_power_share == 1), 2, 1)


def claim_exponential_vs_polynomial(curves: dict[str, Any], fits: dict[str, bloom.FitComparison],
                                    interference: bloom.FitComparison, k: int, width: int = 32) -> Claim:
    """The post (via the digest): exponential (learned) vs polynomial (JL) error, judged on the losses
    (:func:`loss_law_shares`, :func:`loss_scaling_verdict`); the first rule, on the top-k error
    (:func:`scaling_verdict`), is kept beside it as the second reading."""
    learned, jl = fits["learned"], fits["superposition"]
    laws = loss_law_shares(curves)
    topk_verdict = scaling_verdict(learned.better, jl.better)
    measured = {"learned_loss_power_over_exp_rmse": summarize(laws["learned_power_over_exp"]),
                "jl_loss_power_over_exp_rmse": summarize(laws["jl_power_over_exp"]),
                "share_seeds_learned_loss_exponential": laws["learned_exponential"],
                "share_seeds_jl_loss_power": laws["jl_power"],
                "verdict_on_topk_error (first rule, second reading)": topk_verdict,
                "learned_loss_at_" + str(width): summarize(errors_at({**curves, "learned": curves["learned_loss"]}, "learned", width))
                if width in curves["learned_widths"] else None,
                "learned_better_fit_is_exponential": learned.better == "exponential",
                "learned_exp_rmse_log": learned.exponential.rmse_log, "learned_power_rmse_log": learned.power.rmse_log,
                "learned_power_exponent": learned.power.b,
                "jl_better_fit_is_power": jl.better == "power",
                "jl_exp_rmse_log": jl.exponential.rmse_log, "jl_power_rmse_log": jl.power.rmse_log,
                "jl_interference_power_exponent": interference.power.b,
                "learned_exp_rate": learned.exponential.b, "bloom_theory_rate": bloom.bloom_decay_rate(k),
                "jl_exp_rate": jl.exponential.b,
                f"learned_error_at_{width}": summarize(errors_at(curves, "learned", width)),
                f"jl_error_at_{width}": summarize(errors_at(curves, "superposition", width))}
    return Claim(
        id="exponential-vs-polynomial", kind="source",
        claim="The learned solution's error falls exponentially with width; a JL-style superposition solution's only polynomially.",
        source_value="exponential (learned) vs polynomial (JL) (qualitative)",
        criterion="on the losses (the post's MSE): reproduced if the trained network's softmax-output MSE fits an "
                  "exponential in width better than a power law (smaller log-RMSE) in every seed AND the JL solution's MSE "
                  "a power law better in every seed; partly if one holds; not if neither (first rule, on the top-k error, beside it)",
        measured={key: value for key, value in measured.items() if value is not None},
        verdict=loss_scaling_verdict(laws["learned_exponential"], laws["jl_power"]), section=SECTIONS["scaling"],
    )


def vocabulary_run(vocab: int, width: int, k: int, seed: int, n_test: int = 8192, **train_kwargs: Any) -> dict[str, Any]:
    """Exact top-k accuracy at one vocabulary and seed: the trained network, an optimal Bloom filter
    (random hashes of the best integer size drawn with ``seed``) and the JL superposition baseline, on the
    same :func:`held_out_inputs`, with the network's Bloom reading.

    Returns:
        ``vocab, width, k, seed, ratio = V / m``, the accuracies ``learned, bloom, superposition``, and
        ``valley_ratio, r2_union, r2_count, clipping, hash_size, h_star``.
    """
    x = held_out_inputs(n_test, vocab, k, seed)
    model, _ = train_task_network(vocab, width, k, seed=seed, **train_kwargs)
    analysis = bloom.analyze_network(model, x, k, generator=seeded(seed))  # its optimal Bloom filter: the baseline
    embeddings = bloom.random_embeddings(vocab, width, generator=seeded(seed))
    return {"vocab": vocab, "width": width, "k": k, "seed": seed, "ratio": vocab / width,
            "learned": analysis.network_accuracy, "bloom": analysis.optimal_bloom_accuracy,
            "superposition": bloom.superposition_accuracy(embeddings, x, k),
            "valley_ratio": analysis.modes.valley_ratio, "r2_union": analysis.r2_union,
            "r2_count": analysis.r2_count, "clipping": analysis.clipping,
            "hash_size": analysis.mean_hash_size, "h_star": analysis.h_star}


def vocabulary_sweep(vocabs: Sequence[int], width: int, k: int, seeds: Sequence[int], n_test: int = 8192,
                     executor: Executor | None = None, **train_kwargs: Any) -> list[dict[str, Any]]:
    """:func:`vocabulary_run` for every vocabulary and seed (vocabulary-major), as jobs."""
    jobs = [dict(vocab=vocab, width=width, k=k, seed=seed, n_test=n_test, **train_kwargs) for vocab in vocabs for seed in seeds]
    return run_jobs(vocabulary_run, jobs, executor=executor, desc="vocabularies")


def sweep_table(sweep: Sequence[dict[str, Any]]) -> Table:
    """One row per vocabulary of :func:`vocabulary_sweep` (seed means): the three accuracies and the trained
    network's Bloom reading."""
    rows = {}
    for vocab in sorted({r["vocab"] for r in sweep}):
        runs = [r for r in sweep if r["vocab"] == vocab]
        mean = {key: summarize(r[key] for r in runs)["mean"] for key in
                ("learned", "bloom", "superposition", "valley_ratio", "hash_size", "r2_union", "r2_count", "clipping")}
        rows[f"V={vocab}"] = {"V/m": runs[0]["ratio"], "trained": mean["learned"], "optimal Bloom": mean["bloom"],
                              "JL superposition": mean["superposition"], "valley ratio": mean["valley_ratio"],
                              "hash size": mean["hash_size"], "h*": runs[0]["h_star"], "R2 union": mean["r2_union"],
                              "R2 count": mean["r2_count"], "clipping": mean["clipping"]}
    return Table(rows, {"V/m": ".0f", "trained": ".3f", "optimal Bloom": ".3f", "JL superposition": ".3f",
                        "valley ratio": ".2f", "hash size": ".1f", "h*": ".1f", "R2 union": ".2f", "R2 count": ".2f",
                        "clipping": ".2f"}, index="vocabulary")


def claim_vocab_much_larger_than_width(sweep: Sequence[dict[str, Any]]) -> Claim:
    """The digest: vocabularies far above the width are handled; judged at the largest ``V`` of the sweep by
    ``threshold_verdict(min accuracy over seeds, 0.9, 0.5)``."""
    largest = max(r["vocab"] for r in sweep)
    rows = [r for r in sweep if r["vocab"] == largest]
    accuracy = [r["learned"] for r in rows]
    measured = {"ratio_V_over_m": rows[0]["ratio"], "accuracy_trained": summarize(accuracy),
                "accuracy_optimal_bloom": summarize([r["bloom"] for r in rows]),
                "accuracy_jl": summarize([r["superposition"] for r in rows])}
    return Claim(
        id="vocab-much-larger-than-width", kind="source",
        claim="The mechanism handles vocabularies much larger than the hidden width.",
        source_value="vocabularies significantly larger than the residual dimension (qualitative)",
        criterion="at the largest V (V/m >= 16): reproduced if the exact top-k accuracy is >= 0.9 in every seed, "
                  "partly if >= 0.5, otherwise not reproduced",
        measured=measured, verdict=threshold_verdict(min(accuracy), 0.9, 0.5), section=SECTIONS["scaling"],
    )


# --------------------------------------------------------------------------------------------------
# 6. The wider search
# --------------------------------------------------------------------------------------------------

SEARCH_KEYS = ("vocab", "width", "k", "optimizer", "lr", "steps", "init_scale")
"""The columns that identify one cell of the search (a task and a training regime)."""
SEARCH_METRICS = ("accuracy", "union_minus_count", "r2_union", "r2_count", "mode_valley_ratio", "mean_hash_size",
                  "clipping", "final_loss", "plateau_drop", "diverged")
"""The per-run numbers averaged over seeds in each search cell."""
SEARCH_SCHEDULE = "cosine"
"""Every run of the search decays its learning rate to 0 by a cosine over its steps."""


def regime_label(optimizer: str, lr: float, steps: int, init_scale: float) -> str:
    """A training regime in words, e.g. ``"SGD+m lr 5 (cosine), 3008 steps, W_in init x1"``."""
    return (f"{SHORT_NAMES.get(optimizer, optimizer)} lr {lr:g} ({SEARCH_SCHEDULE}), {steps} steps, "
            f"W_in init x{init_scale:g}")


def plateau_drop(epoch_loss: Sequence[float]) -> float:
    """Relative fall of the training loss over the last fifth of the epochs, ``(L(0.8 T) - L(T)) / L(0.8 T)``:
    near 0 once the loss has plateaued (1 for a run whose loss is not finite)."""
    values = [float(v) for v in epoch_loss]
    if not values or not all(math.isfinite(v) for v in values):
        return 1.0
    before = values[int(0.8 * (len(values) - 1))]
    return (before - values[-1]) / before if before > 0 else 0.0


def train_regime_job(vocab: int, width: int, k: int, regimes: Sequence[dict[str, Any]], seeds: Sequence[int],
                     n_train: int = 8192, batch_size: int = 128) -> list[tuple[dict[str, Any], int, Any, list[float]]]:
    """Job: :func:`train_regime` with each network as a :func:`mlpgeo.models.snapshot` (``None`` if it diverged)."""
    return [(regime, seed, None if model is None else snapshot(model), losses)
            for regime, seed, model, losses in train_regime(vocab, width, k, regimes, seeds, n_train, batch_size)]


def train_regimes(vocab: int, width: int, k: int, regimes: Sequence[dict[str, Any]], seeds: Sequence[int],
                  executor: Executor | None = None, **train_kwargs: Any
                  ) -> list[tuple[dict[str, Any], int, nn.Sequential | None, list[float]]]:
    """:func:`train_regime` with one job per regime (its seeds stacked), regime-major like :func:`train_regime`."""
    jobs = [dict(vocab=vocab, width=width, k=k, regimes=[regime], seeds=list(seeds), **train_kwargs) for regime in regimes]
    out = []
    for result in run_jobs_largest_first(train_regime_job, jobs, [r["steps"] for r in regimes], executor, "regimes"):
        out += [(regime, seed, None if state is None else network_from_job({"state": state, "bias": True}), losses)
                for regime, seed, state, losses in result]
    return out


def train_regime(vocab: int, width: int, k: int, regimes: Sequence[dict[str, Any]], seeds: Sequence[int],
                 n_train: int = 8192, batch_size: int = 128) -> list[tuple[dict[str, Any], int, nn.Sequential, list[float]]]:
    """Train one network per regime and seed with the batched trainer (:func:`mlpgeo.batched.train_stacked`),
    cross-entropy, with biases, the learning rate decayed by a cosine (:data:`SEARCH_SCHEDULE`).

    Args:
        regimes: dicts ``{optimizer, lr, steps, init_scale}``; runs of equal ``steps`` are trained together.
        seeds: a network of seed ``s`` is initialised with ``s`` and trained on the sample of
            ``TRAIN_SEED_OFFSET + s`` (as :func:`train_task_network`).
        n_train: the training sample size.
        batch_size: the mini-batch size (``steps`` is rounded up to whole epochs).

    Returns:
        ``(regime, seed, model, epoch_loss)`` per regime and seed (regime-major).
    """
    samples = [bloom.k_of_v_task(n_train, vocab, k, generator=seeded(TRAIN_SEED_OFFSET + s)) for s in seeds]
    x = torch.stack([sample[0] for sample in samples])
    y = torch.stack([sample[1] for sample in samples])
    per_epoch = math.ceil(n_train / batch_size)
    out: dict[tuple[int, int], tuple[dict[str, Any], int, nn.Sequential, list[float]]] = {}
    for steps in sorted({r["steps"] for r in regimes}):
        chosen = [(i, r) for i, r in enumerate(regimes) if r["steps"] == steps]
        settings = [batched.NetworkSetting(seed=seed, sample=j, optimizer=r["optimizer"], lr=r["lr"],
                                           schedule=SEARCH_SCHEDULE, init_scale=r["init_scale"])
                    for _, r in chosen for j, seed in enumerate(seeds)]
        result = batched.train_stacked(x, y, [vocab, width, vocab], settings, epochs=math.ceil(steps / per_epoch),
                                       batch_size=batch_size)
        for n, ((i, r), (j, seed)) in enumerate((c, s) for c in chosen for s in enumerate(seeds)):
            model = None if bool(result.diverged[n]) else result.model(n)
            out[(i, j)] = (r, seed, model, result.epoch_loss[:, n].tolist())
    return [out[(i, j)] for i in range(len(regimes)) for j in range(len(seeds))]


def search_regimes(lrs: dict[str, Sequence[float]], init_scales: Sequence[float], steps: Sequence[int]) -> list[dict[str, Any]]:
    """Every optimiser x learning rate (``lrs = {optimizer: [lr, ...]}``) x initial scale of ``W_in`` x length."""
    return [{"optimizer": o, "lr": lr, "steps": n, "init_scale": scale} for n in steps for o, rates in lrs.items()
            for lr in rates for scale in init_scales]


def search_task(vocab: int, width: int, k: int, regimes: Sequence[dict[str, Any]], seeds: Sequence[int],
                n_test: int = 2048, **train_kwargs: Any) -> list[dict[str, Any]]:
    """Train and read every regime of one task (:func:`train_regime`), one row per regime and seed.

    Returns:
        Rows with the task, the regime, ``seed``, ``accuracy`` (exact top-k on :func:`held_out_inputs`),
        ``union_minus_count`` (``R^2`` union ``-`` ``R^2`` count of the hidden units), ``final_loss``,
        ``plateau_drop`` (:func:`plateau_drop`), ``epoch_loss``, ``diverged`` and the scalars of
        :meth:`mlpgeo.bloom.BloomAnalysis.summary`. A diverged run reads accuracy 0, ``R^2`` 0, valley ratio 1.
    """
    rows = []
    for regime, seed, model, losses in train_regime(vocab, width, k, regimes, seeds, **train_kwargs):
        row: dict[str, Any] = {"vocab": vocab, "width": width, "k": k, **regime, "seed": seed}
        if model is None:
            row.update(accuracy=0.0, union_minus_count=0.0, r2_union=0.0, r2_count=0.0, mode_valley_ratio=1.0,
                       mean_hash_size=0.0, clipping=0.0, final_loss=math.nan, plateau_drop=1.0, diverged=1.0,
                       epoch_loss=losses)
        else:
            analysis = bloom.analyze_network(model, held_out_inputs(n_test, vocab, k, seed), k,
                                             generator=seeded(seed)).summary()
            for key in ("r2_union", "r2_count"):  # NaN when every unit is dead: nothing is explained
                analysis[key] = analysis[key] if math.isfinite(analysis[key]) else 0.0
            row.update(analysis, accuracy=analysis["network_accuracy"],
                       union_minus_count=analysis["r2_union"] - analysis["r2_count"], final_loss=losses[-1],
                       plateau_drop=plateau_drop(losses), diverged=0.0, epoch_loss=losses)
        rows.append(row)
    return rows


SEARCH_JOB_KEYS = ("steps", "optimizer", "lr")
"""One job of the search (:func:`run_search`) trains one task's regimes of equal length, optimiser and learning
rate (every initial scale and seed, stacked)."""


def run_search(tasks: Sequence[tuple[int, int, int]], regimes: Sequence[dict[str, Any]], seeds: Sequence[int],
               executor: Executor | None = None, job_keys: Sequence[str] = SEARCH_JOB_KEYS, **search_kwargs: Any
               ) -> list[dict[str, Any]]:
    """:func:`search_task` for every task, split into jobs: one per task and value of ``job_keys`` (the regimes
    that share them are trained together), the costliest (steps x V x m x networks) first.

    Returns:
        The rows of every task in task order, each task's in the order of ``regimes`` then seeds (as
        :func:`search_task` of the whole task).
    """
    jobs, costs = [], []
    for vocab, width, k in tasks:
        groups: dict[tuple, list[dict[str, Any]]] = {}
        for regime in regimes:
            groups.setdefault(tuple(regime[key] for key in job_keys), []).append(regime)
        for group in groups.values():
            jobs.append(dict(vocab=vocab, width=width, k=k, regimes=group, seeds=list(seeds), **search_kwargs))
            costs.append(sum(r["steps"] for r in group) * vocab * width * len(seeds))
    return [row for rows in run_jobs_largest_first(search_task, jobs, costs, executor, "search") for row in rows]


def search_table(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The search's runs averaged over seeds: :func:`group_rows` by :data:`SEARCH_KEYS` (diverged runs count
    as accuracy 0; ``final_loss`` is averaged over the runs that did not diverge, NaN if none)."""
    finite = [{**r, "final_loss": r["final_loss"] if math.isfinite(r["final_loss"]) else 0.0} for r in rows]
    groups = group_rows(finite, SEARCH_KEYS, SEARCH_METRICS)
    for g in groups:
        members = [r for r in rows if all(r[key] == g[key] for key in SEARCH_KEYS) and math.isfinite(r["final_loss"])]
        g["final_loss"] = summarize(r["final_loss"] for r in members)["mean"] if members else math.nan
    return groups


def bloom_like_regimes(groups: Sequence[dict[str, Any]], task: tuple[int, int, int], min_accuracy: float = 0.5
                       ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The most and the least Bloom-like cells of one task: the largest and the smallest seed-mean
    ``R^2`` union ``-`` ``R^2`` count among the cells that solve the task (accuracy ``>= min_accuracy``, no run
    diverged). A network that does not do the task is no Bloom filter of it, so unsolved cells are not chosen.

    Raises:
        ValueError: no cell of ``task`` reaches ``min_accuracy``.
    """
    cells = [g for g in groups if (g["vocab"], g["width"], g["k"]) == tuple(task) and g["accuracy"] >= min_accuracy
             and g["diverged"] == 0]
    if not cells:
        raise ValueError(f"no regime of task {task} reaches accuracy {min_accuracy}; widen the search.")
    ranked = sorted(cells, key=lambda g: g["union_minus_count"])
    return ranked[-1], ranked[0]


def cell_regime(cell: dict[str, Any]) -> dict[str, Any]:
    """The regime ``{optimizer, lr, steps, init_scale}`` of a search cell."""
    return {key: cell[key] for key in ("optimizer", "lr", "steps", "init_scale")}


def search_where(groups: Sequence[dict[str, Any]], min_accuracy: float = 0.5) -> str:
    """Per task: how many regimes solve it, in how many of those the union beats the count, and the best one."""
    lines = []
    for task in dict.fromkeys((g["vocab"], g["width"], g["k"]) for g in groups):
        cells = [g for g in groups if (g["vocab"], g["width"], g["k"]) == task]
        solved = [g for g in cells if g["accuracy"] >= min_accuracy and g["diverged"] == 0]
        union = [g for g in solved if g["union_minus_count"] > 0]
        line = (f"V={task[0]}, m={task[1]}, k={task[2]}: {len(solved)} of {len(cells)} regimes solve it "
                f"(accuracy >= {min_accuracy}); union beats count in {len(union)} of them")
        if solved:
            best = max(solved, key=lambda g: g["union_minus_count"])
            line += (f"; most union-like: {regime_label(**cell_regime(best))} (R2 union {best['r2_union']:.2f} vs "
                     f"count {best['r2_count']:.2f}, accuracy {best['accuracy']:.2f})")
        lines.append(line)
    return "\n".join(lines)


def regime_claim(most: Claim, least: Claim, most_label: str, least_label: str, default: Claim | None = None,
                 default_label: str = "") -> Claim:
    """One claim judged in the most and the least Bloom-like regimes found by the search.

    The verdict is the one in the most Bloom-like regime (the search gives the claim its fair chance); the
    least Bloom-like regime's verdict and deciding number stand beside it, and ``regime`` says "verdict with A,
    verdict with B". The deciding number (the first entry of ``most.measured``) stays first. ``default``: the
    same claim judged on the networks of the report's first setting (before the search), kept beside them.

    Raises:
        ValueError: the two claims are not the same claim.
    """
    if most.id != least.id or (default is not None and default.id != most.id):
        raise ValueError(f"regime_claim needs the same claim in both regimes, got {most.id!r} and {least.id!r}.")
    first_key = next(iter(most.measured))
    measured = {first_key: most.measured[first_key],
                "regime": f"{most.verdict} with A = {most_label}; {least.verdict} with B = {least_label}",
                "verdict_A_most_bloom_like": most.verdict, "verdict_B_least_bloom_like": least.verdict,
                f"B_{first_key}": least.measured[first_key],
                **({} if default is None else {"verdict_default_setting": f"{default.verdict} ({default_label})",
                                               f"default_{first_key}": default.measured[next(iter(default.measured))]}),
                **{key: value for key, value in most.measured.items() if key != first_key}}
    return Claim(id=most.id, kind=most.kind, claim=most.claim, source_value=most.source_value,
                 criterion=f"{most.criterion}; judged in the most Bloom-like regime A found by the search (the least "
                           "Bloom-like regime B's verdict beside it)",
                 measured=measured, verdict=most.verdict, section=SECTIONS["search"])


def hash_fpr_verdict(ratios: Sequence[float]) -> str:
    """``"reproduced"`` if in every seed the extracted hashes' measured false-positive rate is within a factor
    2 of Bloom's formula at their mean hash size; ``"partly reproduced"`` if within a factor 4; else
    ``"not reproduced"`` (a zero or infinite ratio is outside every band)."""
    spread = max(abs(math.log(r)) if 0 < r < math.inf else math.inf for r in ratios)
    return threshold_verdict(spread, math.log(2), math.log(4), higher_is_better=False)


def claim_hash_fpr_matches_formula(study: MechanismStudy, width: int, k: int) -> Claim:
    """The digest's Bloom filter, tested on its false positives: the Bloom filter of the extracted hashes has
    the false-positive rate Bloom's formula gives for its width, ``k`` and mean hash size (:func:`hash_fpr_verdict`)."""
    formula = [bloom.false_positive_rate(width, k, max(a.mean_hash_size, 1e-9)) for a in study.analyses]
    measured_fpr = [a.extracted_bloom_fpr for a in study.analyses]
    ratios = [m / f if f > 0 else math.inf for m, f in zip(measured_fpr, formula)]
    measured = {"fpr_over_formula": summarize(ratios), "fpr_extracted_hashes": summarize(measured_fpr),
                "fpr_formula_at_hash_size": summarize(formula),
                "fpr_network": summarize([a.network_fpr for a in study.analyses])}
    return Claim(
        id="hash-fpr-matches-bloom-formula", kind="source",
        claim="The learned hashes form a Bloom filter: its false-positive rate is the one Bloom's formula gives.",
        source_value="converges to a Bloom filter (qualitative)",
        criterion="reproduced if the extracted hashes' measured false-positive rate is within a factor 2 of "
                  "(1-(1-1/m)^{h k})^h at their mean hash size h in every seed; partly if within a factor 4; otherwise not",
        measured=measured, verdict=hash_fpr_verdict(ratios), section=SECTIONS["mechanism"],
    )


def regime_table(studies: dict[str, MechanismStudy]) -> Table:
    """The mechanism quantities of :meth:`MechanismStudy.table` side by side for several regimes: one column
    per regime (mean over its seeds, ``+-`` std)."""
    rows: dict[str, dict[str, Any]] = {}
    for label, study in studies.items():
        for name, get in MECHANISM_QUANTITIES.items():
            values = summarize(float(get(a, r, v)) for a, r, v in zip(study.analyses, study.readouts, study.versus))
            rows.setdefault(name, {})[label] = f"{values['mean']:.3g} ± {values['std']:.2g}"
    return Table(rows, index="quantity (mean ± std over seeds)", only_formatted=False)


def regime_width_job(vocab: int, width: int, k: int, regime: dict[str, Any], seeds: Sequence[int], x_test: Tensor,
                     **train_kwargs: Any) -> list[float]:
    """Job: per seed, the error ``1 -`` exact top-k accuracy on ``x_test`` of the network of width ``width``
    trained in ``regime`` (:func:`train_regime`, seeds stacked; a diverged run counts as error 1)."""
    runs = train_regime(vocab, width, k, [regime], seeds, **train_kwargs)
    return [1.0 if model is None else 1 - bloom.topk_accuracy(model, x_test, k) for _, _, model, _ in runs]


def regime_width_sweep(vocab: int, k: int, widths: Sequence[int], regime: dict[str, Any], seeds: Sequence[int],
                       x_test: Tensor, executor: Executor | None = None, **train_kwargs: Any) -> list[list[float]]:
    """Error ``1 -`` exact top-k accuracy on ``x_test`` of networks trained in one regime of the search at each
    width, one :func:`regime_width_job` per width: ``(seeds, widths)`` nested lists."""
    jobs = [dict(vocab=vocab, width=m, k=k, regime=regime, seeds=list(seeds), x_test=x_test, **train_kwargs) for m in widths]
    errors = run_jobs_largest_first(regime_width_job, jobs, list(widths), executor, "widths")
    return [[errors[j][i] for j in range(len(widths))] for i in range(len(seeds))]


def seed_decay_rates(widths: Sequence[int], errors: Sequence[Sequence[float]], max_error: float = 0.5) -> list[float]:
    """Per seed, the rate ``b`` of the exponential ``e^{a - b m}`` fitted to the tail ``0 < error < max_error`` of
    its error curve (:func:`mlpgeo.bloom.tail_fits`); NaN for a seed with fewer than 3 widths in its tail."""
    rates = []
    for row in errors:
        tail = [(m, e) for m, e in zip(widths, row) if 0 < e < max_error]
        rates.append(bloom.compare_fits([m for m, _ in tail], [e for _, e in tail]).exponential.b if len(tail) >= 3
                     else math.nan)
    return rates


def decay_rate_verdict(rate_over_bloom: Sequence[float]) -> str:
    """``"reproduced"`` if in every seed the error's exponential rate is within a factor 2 of Bloom's
    ``(ln 2)^2 / k``; ``"partly reproduced"`` if within a factor 4; else ``"not reproduced"`` (a NaN rate: a seed
    whose error curve has no tail to fit, is outside every band)."""
    spread = max(abs(math.log(r)) if (r > 0 and math.isfinite(r)) else math.inf for r in rate_over_bloom)
    return threshold_verdict(spread, math.log(2), math.log(4), higher_is_better=False)


def claim_error_falls_at_bloom_rate(widths: Sequence[int], errors: Sequence[Sequence[float]], k: int) -> Claim:
    """The post: the learned solution's error falls exponentially with width, as a Bloom filter's does: its rate
    against ``(ln 2)^2 / k`` (:func:`decay_rate_verdict`)."""
    rates = seed_decay_rates(widths, errors)
    theory = bloom.bloom_decay_rate(k)
    ratios = [r / theory for r in rates]
    measured = {"rate_over_bloom_rate": summarize(ratios), "learned_rate_per_unit": summarize(rates),
                "bloom_rate_per_unit": theory, "widths": list(widths)}
    return Claim(
        id="error-falls-at-bloom-rate", kind="source",
        claim="The learned solution's error falls exponentially with width, at the rate of a Bloom filter.",
        source_value="error falls exponentially with width (qualitative); Bloom rate (ln 2)^2/k from the reference notes",
        criterion="reproduced if the exponential rate fitted to each seed's error tail (0 < error < 0.5) is within a "
                  "factor 2 of (ln 2)^2/k in every seed; partly if within a factor 4; otherwise not",
        measured=measured, verdict=decay_rate_verdict(ratios), section=SECTIONS["search"])


def plot_regime_map(groups: Sequence[dict[str, Any]], metric: str = "union_minus_count", min_accuracy: float = 0.5,
                    vmin: float = -0.6, vmax: float = 0.6, cmap: str = "RdBu", label: str | None = None):
    """The regime map: one panel per task (columns) and training length (rows); in each, rows = optimiser and
    learning rate, columns = initial scale of ``W_in``; cells coloured by ``metric`` (seed mean), cells that
    do not solve the task (accuracy ``< min_accuracy`` or a diverged run) hatched and marked "x"."""
    tasks = list(dict.fromkeys((g["vocab"], g["width"], g["k"]) for g in groups))
    lengths = sorted({g["steps"] for g in groups})
    rows = list(dict.fromkeys((g["optimizer"], g["lr"]) for g in groups))
    scales = sorted({g["init_scale"] for g in groups})
    fig, axes = plt.subplots(len(lengths), len(tasks), figsize=(min(10, 2.2 * len(tasks) + 1), 1.0 + 0.32 * len(rows) * len(lengths)),
                             squeeze=False, sharey=True, sharex=True)
    image = None
    for i, steps in enumerate(lengths):
        for j, task in enumerate(tasks):
            ax = axes[i][j]
            table = torch.full((len(rows), len(scales)), math.nan)
            for g in groups:
                if (g["vocab"], g["width"], g["k"]) == task and g["steps"] == steps:
                    table[rows.index((g["optimizer"], g["lr"])), scales.index(g["init_scale"])] = g[metric]
                    if g["accuracy"] < min_accuracy or g["diverged"] > 0:
                        ax.text(scales.index(g["init_scale"]), rows.index((g["optimizer"], g["lr"])), "x",
                                ha="center", va="center", fontsize=8, color="#555555")
            image = ax.imshow(table.numpy(), cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
            ax.grid(False)
            ax.set_xticks(range(len(scales)), [f"x{s:g}" for s in scales], fontsize=7)
            ax.set_yticks(range(len(rows)), [f"{SHORT_NAMES.get(o, o)} {lr:g}" for o, lr in rows], fontsize=7)
            if i == 0:
                ax.set_title(f"V={task[0]}, m={task[1]}, k={task[2]}\n(V/m={task[0] // task[1]})", fontsize=8)
            if j == 0:
                ax.set_ylabel(f"{steps} steps", fontsize=8)
            if i == len(lengths) - 1:
                ax.set_xlabel("W_in init scale", fontsize=7)
    fig.colorbar(image, ax=axes, label=label or metric, shrink=0.8)
    return fig


def plot_search_losses(rows: Sequence[dict[str, Any]], task: tuple[int, int, int], steps: int, init_scale: float = 1.0,
                       ax: Axes | None = None) -> Axes:
    """Training-loss curves (per epoch) of one task's runs of one length and initial scale, one line per
    optimiser and learning rate (every seed), to show whether the loss has plateaued."""
    ax = ax or plt.gca()
    chosen = [r for r in rows if (r["vocab"], r["width"], r["k"]) == tuple(task) and r["steps"] == steps
              and r["init_scale"] == init_scale]
    settings = list(dict.fromkeys((r["optimizer"], r["lr"]) for r in chosen))
    for i, (optimizer, lr) in enumerate(settings):
        for n, r in enumerate(x for x in chosen if (x["optimizer"], x["lr"]) == (optimizer, lr)):
            losses = [v for v in r["epoch_loss"]]
            ax.plot(range(1, len(losses) + 1), losses, color=color(i % 8), lw=1,
                    ls="-" if optimizer == "adam" else "--",
                    label=f"{SHORT_NAMES.get(optimizer, optimizer)} lr {lr:g}" if n == 0 else None)
    ax.set(yscale="log", xlabel="epoch", ylabel="training loss (CE)",
           title=f"V={task[0]}, m={task[1]}, k={task[2]}: {steps} steps, init x{init_scale:g}")
    ax.legend(fontsize=7, ncol=2)
    return ax


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------


def plot_grid(groups: Sequence[dict[str, Any]], metric: str, ax: Axes | None = None, fmt: str = "{:.2f}",
              vmin: float | None = None, vmax: float | None = None, cmap: str = "viridis", title: str | None = None,
              label: str | None = None) -> Axes:
    """Heat table of a grid metric: rows = task ``(V, m, k)``, columns = training variant (loss, optimiser, bias).

    Args:
        groups: output of :func:`grid_table` (or :func:`group_rows` keyed by :data:`GRID_KEYS`).
        metric: the column to show (cells annotated with its mean over seeds).
        ax: the axes to draw on (default: the current axes).
        fmt: format of the cell annotations.
        vmin: low end of the colour scale (default: the data's minimum).
        vmax: high end of the colour scale (default: the data's maximum).
        cmap: matplotlib colour map.
        title: the panel's title (default: none).
        label: the colour bar's label (default: ``metric``).
    """
    ax = ax or plt.gca()
    tasks = list(dict.fromkeys((g["vocab"], g["width"], g["k"]) for g in groups))
    variants = list(dict.fromkeys((g["loss"], g["optimizer"], g["bias"]) for g in groups))
    table = torch.full((len(tasks), len(variants)), math.nan)
    for g in groups:
        table[tasks.index((g["vocab"], g["width"], g["k"])), variants.index((g["loss"], g["optimizer"], g["bias"]))] = g[metric]
    image = ax.imshow(table.numpy(), cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(variants)), [variant_label(l, o, b, sep="\n") for l, o, b in variants], fontsize=8)
    ax.set_yticks(range(len(tasks)), [f"V={v}, m={m}, k={k}" for v, m, k in tasks])
    for i in range(len(tasks)):
        for j in range(len(variants)):
            value = float(table[i, j])
            if not math.isnan(value):
                red, green, blue, _ = image.cmap(image.norm(value))  # text colour from the cell's luminance
                ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=8,
                        color="white" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.5 else "black")
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, label=label or metric)
    if title:
        ax.set_title(title)
    return ax


def plot_weight_image(model: nn.Sequential, tokens: int = 64, ax: Axes | None = None) -> Axes:
    """``W_in`` of the first ``tokens`` tokens as an image (hidden units x tokens), diverging colours."""
    ax = ax or plt.gca()
    weight = hidden_layers(model)[0][0].weight.detach()[:, :tokens]
    bound = float(weight.abs().max())
    image = ax.imshow(weight.numpy(), cmap="RdBu_r", vmin=-bound, vmax=bound, aspect="auto", interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label="weight")
    ax.set(xlabel="token", ylabel="hidden unit", title=f"$W_{{in}}$, first {tokens} tokens")
    ax.grid(False)
    return ax


def plot_weight_histogram(model: nn.Sequential, ax: Axes | None = None, bins: int = 60) -> Axes:
    """Histogram of the ``W_in`` entries with the two fitted modes and the threshold."""
    ax = ax or plt.gca()
    weight = hidden_layers(model)[0][0].weight.detach().flatten()
    modes = bloom.weight_modes(weight)
    ax.hist(weight.numpy(), bins=bins, color=color(0), alpha=0.8)
    for value, label in ((modes.low, "2-means centres"), (modes.high, None)):
        ax.axvline(value, color=color(3), ls="--", lw=1, label=label)
    ax.axvline(modes.threshold, color="#000000", ls=":", lw=1, label="threshold")
    ax.set(xlabel="$W_{in}$ entry", ylabel="count",
           title=f"modes {modes.low:.2f} / {modes.high:.2f}, valley ratio {modes.valley_ratio:.2f}")
    ax.legend()
    return ax


def plot_scaling(curves: dict[str, Any], fits: dict[str, bloom.FitComparison], ax: Axes | None = None) -> Axes:
    """Error against width (log scale): trained network, JL superposition baseline, optimal Bloom filter,
    with the exponential (solid) and power-law (dotted) tail fits of each curve in ``fits``."""
    ax = ax or plt.gca()
    colours = {"learned": color(0), "superposition": color(1), "bloom": color(2)}
    labels = {"learned": "trained ReLU net", "superposition": "JL superposition (random E, read-out $E^T$)",
              "bloom": "optimal Bloom filter (random hashes)"}
    for name in SCALING_CURVES:
        widths = curve_widths(curves, name)
        errors = torch.tensor(curves[name], dtype=torch.float64)
        mean, std = errors.mean(0), errors.std(0) if len(errors) > 1 else torch.zeros(errors.shape[1])
        shown = mean > 0
        ax.errorbar(torch.tensor(widths)[shown], mean[shown], yerr=std[shown], fmt="o", ms=4, capsize=2,
                    color=colours[name], label=labels[name])
        if name in fits:
            grid = torch.linspace(float(fits[name].widths.min()), float(fits[name].widths.max()), 50)
            for kind, style in (("exponential", "-"), ("power", ":")):
                fit = getattr(fits[name], kind)
                ax.plot(grid, fit.predict(grid), style, color=colours[name], lw=1.2,
                        label=f"{name}: {kind} fit (log-RMSE {fit.rmse_log:.2f})")
    ax.set(yscale="log", xlabel="hidden width m (units / bits)", ylabel="error = 1 - exact top-k accuracy")
    ax.legend(fontsize=7)
    return ax


def plot_hash_sizes(analyses: Sequence[bloom.BloomAnalysis], width: int, ax: Axes | None = None) -> Axes:
    """Histogram of the extracted hash sizes ``|H(t)|`` (every token of every network in ``analyses``), with the
    Bloom optimum ``h* = (m/k) ln 2`` and half the width ``m/2`` (the size of a hash with no sparsity) marked.

    Args:
        analyses: :func:`mlpgeo.bloom.analyze_network` results of networks of the same width ``m`` and ``k``.
        width: the hidden width ``m``.
        ax: the axes to draw on (default: the current axes).
    """
    ax = ax or plt.gca()
    sizes = torch.cat([analysis.hash_sizes for analysis in analyses]).tolist()
    ax.hist(sizes, bins=torch.arange(-0.5, width + 1.5).tolist(), color=color(0), alpha=0.8,
            label=f"extracted hashes ({len(analyses)} networks)")
    ax.axvline(analyses[0].h_star, color=color(3), ls="--", lw=1.2, label=f"Bloom optimum $h^*$ = {analyses[0].h_star:.1f}")
    ax.axvline(width / 2, color="#000000", ls=":", lw=1.2, label=f"$m/2$ = {width / 2:g}")
    ax.set(xlabel="hash size $|H(t)|$ (units per token)", ylabel="tokens", title="hash sizes against $h^*$",
           xlim=(-0.5, width + 0.5))
    ax.legend(fontsize=8)
    return ax


@torch.no_grad()
def plot_hidden_vs_hits(model: nn.Sequential, x: Tensor, units: Sequence[int] = (0, 1, 2, 3), side: str = "low",
                        ax: Axes | None = None) -> Axes:
    """Hidden activation of a few units against the number ``s_j`` of active tokens hitting the unit's hash
    (box plots per ``s_j``): an empty-bucket unit is high at ``s_j = 0`` and 0 for every ``s_j >= 1``;
    a count code falls linearly with ``s_j``."""
    ax = ax or plt.gca()
    hashes = bloom.extract_hashes(model, side=side)
    hidden = torch.relu(hidden_layers(model)[0][0](x))
    hits = bloom.hash_hits(hashes, x)
    width = 0.8 / len(units)
    for i, unit in enumerate(units):
        levels = sorted(set(hits[:, unit].long().tolist()))
        data = [hidden[hits[:, unit] == s, unit].numpy() for s in levels]
        positions = [s + (i - (len(units) - 1) / 2) * width for s in levels]
        box = ax.boxplot(data, positions=positions, widths=width * 0.9, patch_artist=True, showfliers=False,
                         manage_ticks=False)
        for patch in box["boxes"]:
            patch.set_facecolor(color([0, 1, 2, 4][i % 4]))
        ax.plot([], [], "s", color=color([0, 1, 2, 4][i % 4]), label=f"unit {unit}")
    ax.set_xticks(sorted(set(hits[:, list(units)].long().flatten().tolist())))
    ax.set(xlabel="$s_j$ = active tokens whose hash contains unit j", ylabel="hidden activation $h_j$",
           title="hidden units against hash hits")
    ax.legend(fontsize=8)
    return ax


@torch.no_grad()
def plot_logits_vs_bloom(model: nn.Sequential, x: Tensor, side: str = "low", ax: Axes | None = None) -> Axes:
    """Scatter of the trained network's logits against the hand-built Bloom network's on the extracted hashes.

    Each point is one (input, token) pair of ``x: (n, V)``; active tokens and absent tokens are coloured apart.
    The hand-built logit is ``-`` the number of empty bits in the token's hash (:func:`mlpgeo.bloom.bloom_network`).

    Args:
        model: a trained ``V -> m -> V`` network.
        x: ``(n, V)`` inputs (a few hundred rows keep the figure light).
        side: which mode of ``W_in`` holds the hash bits (:func:`mlpgeo.bloom.extract_hashes`).
        ax: the axes to draw on (default: the current axes).
    """
    ax = ax or plt.gca()
    z_trained = model(x)
    z_bloom = bloom.bloom_network(bloom.extract_hashes(model, side=side), dtype=z_trained.dtype)(x)
    member = x > 0
    ax.scatter(z_bloom[~member], z_trained[~member], s=3, alpha=0.3, color=color(0), label="absent tokens")
    ax.scatter(z_bloom[member], z_trained[member], s=6, color=color(3), label="active tokens")
    ax.set(xlabel="hand-built Bloom network logit ($-$ empty bits of the token's hash)",
           ylabel="trained network logit", title="logits: trained vs hand-built on the extracted hashes")
    ax.legend()
    return ax
