"""The report "VQ-kernels" (``reports/vq_kernels.ipynb``).

The source (Roddenberry et al., "VQ-Kernels") pulls the Hamming distance of activation patterns back to
the input space and claims that the resulting kernel commutes with a rotation of two moons (Fig. 1),
separates high-dimensional moons and is low rank (Fig. 2), that heat kernels of trained 4- and 6-layer
MNIST nets are more alike than each is to its initialisation (Figs. 3-4), and that the VQ distance equals
(one hidden layer) or bounds from below (deep nets) the partition distance (Lemmas 1-2, with a width-1
example in appendix B.2).

This module holds what the report runs on top of :mod:`mlpgeo.vq`: the drivers (each a top-level
function of its settings and an integer ``seed``, returning plain results; the ``*_study`` functions only
map a driver over seeds), the numbers behind the verdicts, the claim rules (each returns a
:class:`mlpgeo.report.Claim`), text summaries, the report-only figures, and the export of the trained
two-moons network for the site's interactive view.
"""

from __future__ import annotations

import concurrent.futures
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import Tensor, nn

from mlpgeo.data import atomic_write_bytes, high_dim_moons, rotate
from mlpgeo.experiments.jobs import run_jobs
from mlpgeo.models import accuracy, from_snapshot, mlp, seeded, snapshot, train, weights
from mlpgeo.plotting import color
from mlpgeo.regions import Regions, linear_regions_2d
from mlpgeo.report import Claim, Table, metrics_dir, summarize
from mlpgeo.validate import check_int, check_labels, check_model, check_number, check_tensor
from mlpgeo.vq import (
    classical_mds,
    code_distance,
    code_mds,
    eigenvector_correlations,
    effective_rank,
    heat_cosine_sweep,
    kernel_correlation,
    linear_probe_accuracy,
    mds_spectrum,
    median_sigma2,
    partition_distance,
    plot_cosine_table,
    plot_embedding,
    plot_kernel,
    region_graph_distances,
    silhouette,
    skip_chain_partition,
    subspace_similarity,
    vq_distance,
)

__all__ = [
    "SECTIONS",
    "KERNEL_NAMES",
    "PAPER_COSINES",
    "TABLE_PAIRS",
    "FORMS",
    "SIGMA2_RULE",
    "PLAYGROUND_FILE",
    "disc_grid",
    "format_mean_std",
    "train_bce",
    "restore",
    "rotation_commutation",
    "RotationRun",
    "RotationStudy",
    "rotation_run",
    "rotation_study",
    "rotation_table",
    "rotation_verdict",
    "claim_rotation",
    "embedding_scores",
    "high_dim_study",
    "HIGH_DIM_WIDTHS",
    "high_dim_run",
    "high_dim_runs",
    "score_values",
    "mean_score",
    "high_dim_table",
    "claims_high_dim",
    "depth_kernels",
    "MnistKernelRun",
    "MnistKernelStudy",
    "mnist_kernel_run",
    "mnist_kernel_study",
    "fit_sigma2",
    "best_fits",
    "entry_spread",
    "claim_holds_fraction",
    "claim_holds_sigma2",
    "entry_tolerance",
    "alike_margin",
    "inits_margin",
    "margin_verdict",
    "first_rule_verdict",
    "claim_trained_alike",
    "claim_trained_vs_inits",
    "entries_within",
    "table_rmse",
    "table_values_verdict",
    "claim_table_values",
    "probed_adjacency",
    "lemma_check",
    "lemma_run",
    "lemma_study",
    "lemma_table",
    "claim_lemma1",
    "claim_lemma2",
    "width1_study",
    "claim_width1",
    "export_playground_network",
    "load_playground_network",
    "plot_disc_field",
    "plot_rotation_eigenvectors",
    "plot_high_dim_embeddings",
    "plot_high_dim_controls",
    "plot_depth_kernels",
    "plot_table_comparison",
    "plot_sigma_sweep",
    "plot_width1_chain",
]

SECTIONS = {
    "fig1": "Fig. 1: two moons and the rotated two moons",
    "fig2": "Fig. 2: high-dimensional two moons",
    "fig3": "Figs. 3-4: MNIST, 4- and 6-layer networks before and after training",
    "lemmas": "The lemmas, checked on exact regions",
    "width1": "The width-1 example of appendix B.2",
}
"""The notebook's section headings (claims link to them), by key."""

KERNEL_NAMES = ("Trained(4)", "Trained(6)", "Init(4)", "Init(6)")
"""The kernels of the paper's Fig. 3 table, in its order."""
PAPER_COSINES = torch.tensor(
    [[1.00, 0.55, 0.28, 0.38], [0.55, 1.00, 0.28, 0.40], [0.28, 0.28, 1.00, 0.87], [0.38, 0.40, 0.87, 1.00]],
    dtype=torch.float64,
)
"""The paper's Fig. 3 table of cosine similarities, order :data:`KERNEL_NAMES`."""
TABLE_PAIRS = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
"""The six distinct entries of the table."""
FORMS = ("squared", "linear")
"""The two heat-kernel forms the paper writes: appendix A.2's ``exp(-d^2 / sigma^2)`` (the one it specifies for
Figs. 3-4, judged first) and section 3.1's ``exp(-d / sigma^2)`` (:func:`mlpgeo.vq.heat_kernel`)."""
SIGMA2_RULE = ("median rule: sigma^2 = m (linear form) or m^2 (squared form), m = median off-diagonal VQ distance "
               "pooled over the four kernels of one seed, so the median pair sits at h = exp(-1) in either form")
"""The sigma^2 rule of the Fig. 3 verdicts, fixed before the results (:func:`mlpgeo.vq.median_sigma2`)."""
PLAYGROUND_FILE = "networks/vq_kernels.json"
"""Where :func:`export_playground_network` writes, relative to the metrics folder."""


# --------------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------------


def disc_grid(resolution: int = 96) -> Tensor:
    """The points of a ``resolution x resolution`` grid of [-1, 1]^2 that lie in the closed unit disc:
    float32 ``(p, 2)``, in row order (x fastest)."""
    resolution = check_int(resolution, "resolution", low=2, high=4096)
    t = torch.linspace(-1, 1, resolution)
    grid = torch.stack(torch.meshgrid(t, t, indexing="xy"), -1).reshape(-1, 2)
    return grid[grid.norm(dim=1) <= 1]


def format_mean_std(values: Sequence[float] | Tensor) -> str:
    """``"mean ± std"`` of per-seed values (:func:`mlpgeo.report.summarize`: sample std, 0 for one value)
    with three decimals, for printing."""
    summary = summarize(torch.as_tensor(values).tolist() if isinstance(values, Tensor) else values)
    return f"{summary['mean']:.3f} ± {summary['std']:.3f}"


def train_bce(
    x: Tensor, labels: Tensor, widths: Sequence[int], seed: int, epochs: int, lr: float = 1e-3
) -> tuple[nn.Sequential, float, float]:
    """Train a ReLU MLP ``widths`` (last width 1, a logit) full batch with Adam and binary cross-entropy.

    The initialisation and the training draw from generators seeded with ``seed``.

    Args:
        x: inputs ``(n, widths[0])``.
        labels: 0/1 labels ``(n,)``.
        widths: layer widths, e.g. ``[2, 96, 96, 96, 1]``.
        seed: initialisation and training seed.
        epochs: full-batch epochs.
        lr: Adam learning rate.

    Returns:
        ``(model, final epoch loss, training accuracy)``.
    """
    labels = check_labels(labels, len(x), classes=2, name="labels")
    model = mlp(list(widths), generator=seeded(seed))
    history = train(model, x, labels.float(), loss="bce", epochs=epochs, lr=lr, generator=seeded(seed), progress=False)
    return model, history.epoch_loss[-1], accuracy(model, x, labels)


def restore(widths: Sequence[int], state: dict[str, Tensor]) -> nn.Sequential:
    """The ReLU MLP ``widths`` holding the weights of ``state`` (a :func:`mlpgeo.models.snapshot`, e.g. the
    trained network a job sends back)."""
    return from_snapshot(mlp(list(widths), generator=seeded(0)), state)


# --------------------------------------------------------------------------------------------------
# Fig. 1: two moons and the rotated two moons
# --------------------------------------------------------------------------------------------------


def rotation_commutation(
    model: nn.Sequential, model_rot: nn.Sequential, points: Tensor, angle: float, k: int = 3, pairs_sample: int = 2000
) -> dict[str, float]:
    """How closely the partition learned on rotated data is the rotated partition.

    If the partition commutes with the rotation ``R``, ``d_rot(p, q) = d(R^-1 p, R^-1 q)``. Both kernels are
    evaluated on the same ``points`` (``model`` on the rotated-back points) and compared by the
    correlation of their off-diagonal entries (on ``pairs_sample`` points evenly spaced in the order of
    ``points``, so that a row-by-row grid is covered from end to end) and by their ``k`` dominant MDS
    eigenvectors (on all points, :func:`mlpgeo.vq.code_mds`): mean squared principal-angle cosine of the two
    subspaces and ``|corr|`` of matching eigenvectors.

    Args:
        model: the model trained on the original data.
        model_rot: the model trained on the rotated data.
        points: evaluation points ``(p, 2)``.
        angle: the rotation angle in radians.
        k: eigenvectors compared.
        pairs_sample: points used for the kernel correlation.

    Returns:
        ``{"kernel_corr", "subspace", "eigvec_corr_1", ..., "eigvec_corr_k"}``.
    """
    angle = check_number(angle, "angle")
    pairs_sample = check_int(pairs_sample, "pairs_sample", low=2)
    back = rotate(points, -angle)
    mds_rot, mds = code_mds(model_rot, points, k), code_mds(model, back, k)
    sample = torch.linspace(0, len(points) - 1, min(pairs_sample, len(points))).round().long()
    out = {
        "kernel_corr": kernel_correlation(vq_distance(model_rot, points[sample]), vq_distance(model, back[sample])),
        "subspace": subspace_similarity(mds_rot.eigenvectors, mds.eigenvectors),
    }
    for i, c in enumerate(eigenvector_correlations(mds_rot.eigenvectors, mds.eigenvectors).tolist()):
        out[f"eigvec_corr_{i + 1}"] = c
    return out


@dataclass
class RotationRun:
    """One seed of the Fig. 1 experiment (see :func:`rotation_run`).

    Attributes:
        aligned: :func:`rotation_commutation` of (original, rotated model) at the rotation angle.
        unaligned: the same comparison at angle 0 (without rotating back).
        retrained: original model against one retrained on the same data (seed + 100) at angle 0.
        loss: final BCE losses of the original and the rotated model.
        acc: their training accuracies.
        models: ``(model, model_rot)`` as :func:`mlpgeo.models.snapshot` state dicts (rebuild with
            :func:`restore`), or ``None`` when not kept.
    """

    aligned: dict[str, float]
    unaligned: dict[str, float]
    retrained: dict[str, float]
    loss: list[float]
    acc: list[float]
    models: tuple[dict[str, Tensor], dict[str, Tensor]] | None


def rotation_run(
    x: Tensor, labels: Tensor, seed: int, angle: float, epochs: int, points: Tensor,
    widths: Sequence[int] = (2, 96, 96, 96, 1), keep_models: bool = True,
) -> RotationRun:
    """Fig. 1 for one seed (one job): does the partition learned on rotated data equal the rotated partition?

    Trains (:func:`train_bce`) one model on ``x`` and one on ``R x`` (rotation by ``angle``) from ``seed``,
    and a third on ``x`` from ``seed + 100``, and compares their VQ kernels on ``points`` with
    :func:`rotation_commutation`: rotated vs original at ``angle`` (aligned), at 0 (unaligned), and
    retrained vs original at 0.

    Args:
        x: 2-D training points ``(n, 2)``.
        labels: 0/1 labels ``(n,)``.
        seed: initialisation and training seed.
        angle: rotation angle in radians.
        epochs: full-batch training epochs.
        points: evaluation points ``(p, 2)``, e.g. :func:`disc_grid`.
        widths: the MLP's layer widths.
        keep_models: send back the original and rotated models' snapshots (else ``models`` is ``None``).

    Returns:
        A :class:`RotationRun`.
    """
    x_rot = rotate(x, angle)
    model, loss, acc = train_bce(x, labels, widths, seed, epochs)
    model_rot, loss_rot, acc_rot = train_bce(x_rot, labels, widths, seed, epochs)
    model_again, _, _ = train_bce(x, labels, widths, seed + 100, epochs)
    return RotationRun(
        aligned=rotation_commutation(model, model_rot, points, angle),
        unaligned=rotation_commutation(model, model_rot, points, 0.0),
        retrained=rotation_commutation(model, model_again, points, 0.0),
        loss=[loss, loss_rot],
        acc=[acc, acc_rot],
        models=(snapshot(model), snapshot(model_rot)) if keep_models else None,
    )


@dataclass
class RotationStudy:
    """Per-seed results of the Fig. 1 rotation experiment (see :func:`rotation_study`).

    Attributes:
        aligned: :func:`rotation_commutation` of (original, rotated model) at the rotation angle, per seed.
        unaligned: the same comparison at angle 0 (without rotating back), per seed.
        retrained: original model against one retrained on the same data (seed + 100) at angle 0, per seed.
        loss: final BCE losses, original and rotated model per seed (``2 s`` values).
        acc: training accuracies, same order as ``loss``.
        shown: ``(model, model_rot)`` of the first seed, for the figure.
    """

    aligned: list[dict[str, float]]
    unaligned: list[dict[str, float]]
    retrained: list[dict[str, float]]
    loss: list[float]
    acc: list[float]
    shown: tuple[nn.Sequential, nn.Sequential] | None

    def values(self, kind: str, key: str) -> list[float]:
        """The per-seed ``key`` (e.g. ``"subspace"``, ``"kernel_corr"``) of ``kind`` (``"aligned"``, ...)."""
        return [m[key] for m in getattr(self, kind)]


def rotation_study(
    x: Tensor, labels: Tensor, seeds: Sequence[int], angle: float, epochs: int, points: Tensor,
    widths: Sequence[int] = (2, 96, 96, 96, 1), executor: concurrent.futures.Executor | None = None,
) -> RotationStudy:
    """:func:`rotation_run` for every seed, one job each (:func:`mlpgeo.experiments.jobs.run_jobs` on
    ``executor``), gathered into a :class:`RotationStudy` (figure: first seed's models)."""
    jobs = [dict(x=x, labels=labels, seed=seed, angle=angle, epochs=epochs, points=points, widths=tuple(widths),
                 keep_models=i == 0) for i, seed in enumerate(seeds)]
    runs = run_jobs(rotation_run, jobs, executor=executor, desc="Fig. 1 seeds")
    return RotationStudy(
        aligned=[r.aligned for r in runs],
        unaligned=[r.unaligned for r in runs],
        retrained=[r.retrained for r in runs],
        loss=[v for r in runs for v in r.loss],
        acc=[v for r in runs for v in r.acc],
        shown=tuple(restore(widths, state) for state in runs[0].models) if runs else None,
    )


def rotation_table(study: RotationStudy) -> Table:
    """Mean ± std over seeds of the kernel correlation and the eigen-subspace similarity, per comparison."""
    rows = {kind: {"kernel correlation": format_mean_std(study.values(kind, "kernel_corr")),
                   "eigen-subspace similarity": format_mean_std(study.values(kind, "subspace"))}
            for kind in ("aligned", "unaligned", "retrained")}
    return Table(rows, index="comparison")


def rotation_verdict(aligned: Sequence[float], unaligned: Sequence[float], retrained: Sequence[float]) -> str:
    """Verdict on "the partition approximately commutes with the rotation" from per-seed similarities.

    Reproduced if ``aligned_s > unaligned_s`` for every seed and ``mean(aligned) >= mean(retrained) - 2
    std(retrained)`` (sample std; 0 for a single seed); partly reproduced if only the first holds;
    otherwise not reproduced.

    Args:
        aligned: per-seed similarity, rotated model vs rotated-back original ``(s,)``.
        unaligned: per-seed similarity without rotating back ``(s,)``.
        retrained: per-seed similarity of two models trained on the same data ``(s,)``.

    Returns:
        The verdict string.
    """
    better_than_unaligned = all(a > u for a, u in zip(aligned, unaligned))
    spread = summarize(retrained)["std"]  # one seed: no spread
    as_good_as_retrained = summarize(aligned)["mean"] >= summarize(retrained)["mean"] - 2 * spread
    if better_than_unaligned and as_good_as_retrained:
        return "reproduced"
    return "partly reproduced" if better_than_unaligned else "not reproduced"


def claim_rotation(study: RotationStudy) -> Claim:
    """Fig. 1: the measured numbers and the :func:`rotation_verdict` on the eigen-subspace similarity."""
    measured = {
        "subspace_aligned": summarize(study.values("aligned", "subspace")),
        "subspace_unaligned": summarize(study.values("unaligned", "subspace")),
        "subspace_retrained_same_data": summarize(study.values("retrained", "subspace")),
        "kernel_corr_aligned": summarize(study.values("aligned", "kernel_corr")),
        "kernel_corr_unaligned": summarize(study.values("unaligned", "kernel_corr")),
    }
    eigvec_keys = sorted(key for key in study.aligned[0] if key.startswith("eigvec_corr_"))
    for key in eigvec_keys:
        measured[f"{key}_aligned"] = summarize(study.values("aligned", key))
    verdict = rotation_verdict(*(study.values(kind, "subspace") for kind in ("aligned", "unaligned", "retrained")))
    return Claim(
        id="fig1-rotation-commutes",
        kind="source",
        claim="The partition learned on rotated two moons approximately commutes with the rotation.",
        source_value="qualitative (Fig. 1)",
        criterion="On the eigen-subspace similarity: aligned > unaligned for every seed and mean(aligned) >= "
        "mean(retrained) - 2 std(retrained) -> reproduced; only the first -> partly; otherwise not reproduced.",
        measured=measured,
        verdict=verdict,
        section=SECTIONS["fig1"],
    )


# --------------------------------------------------------------------------------------------------
# Fig. 2: high-dimensional two moons
# --------------------------------------------------------------------------------------------------


def embedding_scores(d: Tensor, labels: Tensor, seed: int = 0) -> dict[str, float]:
    """Separability and rank of a sample under a squared-distance matrix ``d: (n, n)``.

    Returns:
        ``probe_acc``: 5-fold logistic-regression accuracy on the 2-D classical-MDS embedding (folds drawn
        from ``seed``); ``silhouette``: of the labels in that embedding (Euclidean); ``effective_rank`` of
        the full MDS spectrum (:func:`mlpgeo.vq.effective_rank`); ``top2_share``: share of the positive
        spectrum in the top two eigenvalues.
    """
    mds = classical_mds(d, 2)
    spectrum = mds_spectrum(d)
    z = mds.embedding
    return {
        "probe_acc": linear_probe_accuracy(z, labels, generator=seeded(seed)),
        "silhouette": silhouette(torch.cdist(z, z), labels),
        "effective_rank": effective_rank(spectrum),
        "top2_share": float(spectrum[:2].clamp(min=0).sum() / spectrum[spectrum > 0].sum()),
    }


def high_dim_study(seed: int, angle: float, epochs: int, n: int = 150, n_test: int = 300) -> tuple[dict, tuple]:
    """Fig. 2 for one seed: embedding scores of VQ kernels and Euclidean distances on high-dimensional moons.

    Data: :func:`mlpgeo.data.high_dim_moons` (``n`` points, seed ``seed``), a copy rotated by ``angle`` in
    the signal plane (first two coordinates), ``n_test`` held-out points (seed ``seed + 1000``) and the
    training labels shuffled (generator seeded by ``seed``). A ReLU MLP ``[100, 64, 64, 64, 1]`` is trained
    (BCE, :func:`train_bce`) on each of: the data, the rotated data, the shuffled labels.

    Args:
        seed: data, initialisation and training seed.
        angle: rotation angle in radians.
        epochs: full-batch training epochs.
        n: training points.
        n_test: held-out points.

    Returns:
        ``(scores, (x, x_rot, y, nets))``: ``scores[kind]`` is :func:`embedding_scores` for kinds ``vq``,
        ``vq_rot``, ``vq_shuffled``, ``euclidean`` (squared distance), ``vq_heldout``,
        ``euclidean_heldout``; ``scores["test_accuracy"]`` is the classifier's held-out accuracy;
        ``nets`` maps ``vq``, ``vq_rot``, ``vq_shuffled`` to the trained models.
    """
    x, y = high_dim_moons(n, generator=seeded(seed))
    x_rot = torch.cat([rotate(x[:, :2], angle), x[:, 2:]], 1)
    x_test, y_test = high_dim_moons(n_test, generator=seeded(seed + 1000))
    y_shuffled = y[torch.randperm(len(y), generator=seeded(seed))]
    scores: dict[str, Any] = {}
    nets: dict[str, nn.Sequential] = {}
    for name, xx, yy in [("vq", x, y), ("vq_rot", x_rot, y), ("vq_shuffled", x, y_shuffled)]:
        nets[name], _, _ = train_bce(xx, yy, [x.shape[1], *HIGH_DIM_WIDTHS[1:]], seed, epochs)
        scores[name] = embedding_scores(vq_distance(nets[name], xx), yy, seed=seed)
    scores["euclidean"] = embedding_scores(torch.cdist(x, x).pow(2), y, seed=seed)
    scores["vq_heldout"] = embedding_scores(vq_distance(nets["vq"], x_test), y_test, seed=seed)
    scores["euclidean_heldout"] = embedding_scores(torch.cdist(x_test, x_test).pow(2), y_test, seed=seed)
    scores["test_accuracy"] = accuracy(nets["vq"], x_test, y_test)
    return scores, (x, x_rot, y, nets)


HIGH_DIM_WIDTHS = (100, 64, 64, 64, 1)
"""The layer widths of the Fig. 2 networks (:func:`high_dim_study`)."""


def high_dim_run(
    seed: int, angle: float, epochs: int, n: int = 150, n_test: int = 300, keep_nets: bool = False
) -> dict[str, Any]:
    """:func:`high_dim_study` for one seed as a job: plain results only.

    Returns:
        ``{"scores": scores, "nets": {"vq": state, "vq_rot": state, "vq_shuffled": state} or None}``, the
        nets as :func:`mlpgeo.models.snapshot` state dicts when ``keep_nets`` (rebuild with :func:`restore` and
        :data:`HIGH_DIM_WIDTHS`).
    """
    scores, (_, _, _, nets) = high_dim_study(seed, angle, epochs, n, n_test)
    return {"scores": scores, "nets": {name: snapshot(net) for name, net in nets.items()} if keep_nets else None}


def high_dim_runs(
    seeds: Sequence[int], angle: float, epochs: int, n: int = 150, n_test: int = 300,
    executor: concurrent.futures.Executor | None = None,
) -> tuple[list[dict], tuple]:
    """:func:`high_dim_run` for every seed, one job each (:func:`mlpgeo.experiments.jobs.run_jobs` on
    ``executor``).

    Returns:
        ``(scores per seed, (x, x_rot, y, nets) of the first seed)``, the latter as :func:`high_dim_study`
        returns it (data rebuilt from the seed, nets restored from their snapshots).
    """
    jobs = [dict(seed=seed, angle=angle, epochs=epochs, n=n, n_test=n_test, keep_nets=i == 0)
            for i, seed in enumerate(seeds)]
    runs = run_jobs(high_dim_run, jobs, executor=executor, desc="Fig. 2 seeds")
    if not runs:
        return [], ()
    x, y = high_dim_moons(n, generator=seeded(seeds[0]))  # the first seed's data, as high_dim_study draws it
    x_rot = torch.cat([rotate(x[:, :2], angle), x[:, 2:]], 1)
    widths = (x.shape[1],) + HIGH_DIM_WIDTHS[1:]
    nets = {name: restore(widths, state) for name, state in runs[0]["nets"].items()}
    return [r["scores"] for r in runs], (x, x_rot, y, nets)


def score_values(scores: Sequence[dict], kind: str, metric: str) -> list[float]:
    """Per-seed ``scores[kind][metric]`` from a list of :func:`high_dim_study` scores."""
    return [s[kind][metric] for s in scores]


def mean_score(scores: Sequence[dict], kind: str, metric: str) -> float:
    """Mean over seeds of ``scores[kind][metric]`` (:func:`mlpgeo.report.summarize`)."""
    return summarize(score_values(scores, kind, metric))["mean"]


HIGH_DIM_ROWS = ("vq", "vq_rot", "euclidean", "vq_heldout", "euclidean_heldout", "vq_shuffled")
HIGH_DIM_METRICS = {"probe_acc": "probe accuracy", "silhouette": "silhouette", "effective_rank": "effective rank",
                    "top2_share": "top-2 share"}


def high_dim_table(scores: Sequence[dict]) -> Table:
    """Mean ± std over seeds of the four embedding scores for every kind of kernel."""
    rows = {kind: {label: format_mean_std(score_values(scores, kind, metric)) for metric, label in HIGH_DIM_METRICS.items()}
            for kind in HIGH_DIM_ROWS}
    return Table(rows, index="kernel")


def claims_high_dim(scores: Sequence[dict]) -> list[Claim]:
    """The three Fig. 2 claims (separation, low rank, geometry) from the seed means of :func:`high_dim_study`.

    Criteria (seed means): separation: VQ probe accuracy >= 0.9 and Euclidean <= 0.7 -> reproduced, else
    not. Low rank: effective rank of VQ <= half the Euclidean one -> reproduced, else not. Geometry:
    held-out VQ probe >= 0.9 and shuffled-label VQ probe < 0.9 -> reproduced; one of the two -> partly;
    neither -> not reproduced.
    """

    def measured(*items: tuple[str, str, str]) -> dict:
        return {name: summarize(score_values(scores, kind, metric)) for name, kind, metric in items}

    separates = mean_score(scores, "vq", "probe_acc") >= 0.9 and mean_score(scores, "euclidean", "probe_acc") <= 0.7
    low_rank = mean_score(scores, "vq", "effective_rank") <= 0.5 * mean_score(scores, "euclidean", "effective_rank")
    geometry = mean_score(scores, "vq_heldout", "probe_acc") >= 0.9
    memorised = mean_score(scores, "vq_shuffled", "probe_acc") >= 0.9
    return [
        Claim(
            id="fig2-vq-separates-training-classes",
            kind="source",
            claim="The MDS embedding of the VQ kernel on the training data separates the classes; the Euclidean "
            "one does not.",
            source_value="qualitative (Fig. 2)",
            criterion="Seed means: probe accuracy >= 0.9 for the VQ kernel and <= 0.7 for the Euclidean distance "
            "-> reproduced; else not.",
            measured=measured(("probe_acc_vq", "vq", "probe_acc"), ("probe_acc_vq_rotated", "vq_rot", "probe_acc"),
                              ("probe_acc_euclidean", "euclidean", "probe_acc"), ("silhouette_vq", "vq", "silhouette"),
                              ("silhouette_euclidean", "euclidean", "silhouette")),
            verdict="reproduced" if separates else "not reproduced",
            section=SECTIONS["fig2"],
        ),
        Claim(
            id="fig2-vq-low-rank",
            kind="source",
            claim="The VQ kernel of the training data is approximately low rank, unlike the Euclidean distance "
            "matrix.",
            source_value="qualitative (Fig. 2)",
            criterion="Seed means: effective rank of the VQ kernel <= half the Euclidean one -> reproduced; else not.",
            measured=measured(("effective_rank_vq", "vq", "effective_rank"),
                              ("effective_rank_euclidean", "euclidean", "effective_rank"),
                              ("top2_share_vq", "vq", "top2_share"), ("top2_share_euclidean", "euclidean", "top2_share")),
            verdict="reproduced" if low_rank else "not reproduced",
            section=SECTIONS["fig2"],
        ),
        Claim(
            id="fig2-vq-reflects-data-geometry",
            kind="source",
            claim="The separation reflects the low-dimensional data geometry (held-out points separate; shuffled "
            "labels do not).",
            source_value="qualitative (section 3.2)",
            criterion="Seed means: held-out VQ probe >= 0.9 and shuffled-label VQ probe < 0.9 -> reproduced; one "
            "of the two -> partly; neither -> not reproduced.",
            measured={**measured(("probe_acc_vq_heldout", "vq_heldout", "probe_acc"),
                                 ("probe_acc_vq_shuffled_labels", "vq_shuffled", "probe_acc")),
                      "classifier_test_accuracy": summarize([s["test_accuracy"] for s in scores])},
            verdict="reproduced" if geometry and not memorised
            else "partly reproduced" if geometry or not memorised else "not reproduced",
            section=SECTIONS["fig2"],
        ),
    ]


# --------------------------------------------------------------------------------------------------
# Figs. 3-4: MNIST, 4- and 6-layer networks before and after training
# --------------------------------------------------------------------------------------------------


def depth_kernels(
    x_train: Tensor,
    y_train: Tensor,
    x_test: Tensor,
    depths: Sequence[int] = (4, 6),
    width: int = 16,
    seed: int = 0,
    epochs: int = 20,
    batch_size: int = 128,
    lr: float = 1e-3,
    y_test: Tensor | None = None,
    shared_init: bool = False,
) -> tuple[dict[str, Tensor], dict[str, float]]:
    """VQ kernels on ``x_test`` of ReLU MLPs with ``depth`` hidden layers of ``width``, before and after training.

    Each net ``[d_in, width x depth, n_classes]`` starts from a generator seeded with ``seed + 1000 * depth``
    (independent initialisations; with ``shared_init`` every depth uses ``seed``, so the nets share their
    first layers' initial weights) and is trained with Adam and cross-entropy (``epochs``, ``batch_size``,
    ``lr``, shuffling seed ``seed``).

    Returns:
        ``(kernels, accuracies)``: ``kernels["Trained(4)"]``, ``kernels["Init(4)"]``, ... float32 ``(n, n)``
        ordered trained first then init; ``accuracies["Trained(4)"]`` test accuracy when ``y_test`` is given.
    """
    n_classes = int(y_train.max()) + 1
    trained, init, acc = {}, {}, {}
    for depth in depths:
        init_seed = seed if shared_init else seed + 1000 * depth
        model = mlp([x_train.shape[1]] + [width] * depth + [n_classes], generator=seeded(init_seed))
        init[f"Init({depth})"] = vq_distance(model, x_test)
        train(model, x_train, y_train, epochs=epochs, batch_size=batch_size, lr=lr, generator=seeded(seed), progress=False)
        trained[f"Trained({depth})"] = vq_distance(model, x_test)
        if y_test is not None:
            acc[f"Trained({depth})"] = accuracy(model, x_test, y_test)
    return {**trained, **init}, acc


@dataclass
class MnistKernelRun:
    """One seed of the Figs. 3-4 experiment (see :func:`mnist_kernel_run`).

    Attributes:
        stated: per form, the cosine table at the stated sigma^2 rule (:data:`SIGMA2_RULE`) ``(4, 4)``.
        sweeps: per form, cosine tables over the sweep grid ``(g, 4, 4)``.
        fits: per form, cosine tables over the finer fit grid ``(g', 4, 4)``.
        accuracies: test accuracy of each trained net.
        sigma2: per form, the sigma^2 of the stated rule.
        kernels: the four VQ kernels ``(n, n)`` in table order if kept, else ``[]``.
    """

    stated: dict[str, Tensor]
    sweeps: dict[str, Tensor]
    fits: dict[str, Tensor]
    accuracies: dict[str, float]
    sigma2: dict[str, float]
    kernels: list[Tensor]


def mnist_kernel_run(
    x_train: Tensor, y_train: Tensor, x_test: Tensor, y_test: Tensor, seed: int,
    sweep: dict[str, Sequence[float]], fit_grid: dict[str, Sequence[float]], names: Sequence[str] = KERNEL_NAMES,
    keep_kernels: bool = False,
) -> MnistKernelRun:
    """Figs. 3-4 for one seed: cosine tables of heat kernels of 4- and 6-layer nets before and after training.

    :func:`depth_kernels` (depths 4 and 6, width 16); for each form in :data:`FORMS` the cosine table of
    the heat kernels at the stated rule (:data:`SIGMA2_RULE`: :func:`mlpgeo.vq.median_sigma2` pooled over
    the four kernels, so the median pair sits at ``h = exp(-1)`` in either form), and the same over
    ``sweep[form]`` and ``fit_grid[form]`` (all by :func:`mlpgeo.vq.heat_cosine_sweep`).

    Args:
        x_train: training inputs ``(n_train, d)``.
        y_train: training labels ``(n_train,)``.
        x_test: inputs the kernels are computed on ``(n, d)``.
        y_test: their labels ``(n,)``.
        seed: the seed of this repetition.
        sweep: sigma^2 grid per form (``"linear"``, ``"squared"``).
        fit_grid: finer sigma^2 grid per form, for :func:`fit_sigma2`.
        names: kernel order of the tables.
        keep_kernels: return the four kernels too (for the figure).

    Returns:
        A :class:`MnistKernelRun`.
    """
    kernels, acc = depth_kernels(x_train, y_train, x_test, depths=(4, 6), width=16, seed=seed, y_test=y_test)
    ds = [kernels[name] for name in names]
    sigma2 = {form: median_sigma2(ds, form) for form in FORMS}
    return MnistKernelRun(
        stated={form: heat_cosine_sweep(ds, [sigma2[form]], form)[0] for form in FORMS},
        sweeps={form: heat_cosine_sweep(ds, grid, form) for form, grid in sweep.items()},
        fits={form: heat_cosine_sweep(ds, grid, form) for form, grid in fit_grid.items()},
        accuracies=acc,
        sigma2=sigma2,
        kernels=ds if keep_kernels else [],
    )


@dataclass
class MnistKernelStudy:
    """Per-seed results of the Figs. 3-4 experiment (see :func:`mnist_kernel_study`).

    Attributes:
        stated: per form, cosine tables at the stated sigma^2 rule ``(s, 4, 4)``.
        sweeps: per form, cosine tables over the sweep grid ``(s, g, 4, 4)``.
        fits: per form, cosine tables over the finer fit grid ``(s, g', 4, 4)``.
        accuracies: per seed, test accuracy of each trained net.
        sigma2: per form, the stated-rule sigma^2 of each seed.
        shown_kernels: the four VQ kernels of the first seed, each ``(n, n)``.
    """

    stated: dict[str, Tensor]
    sweeps: dict[str, Tensor]
    fits: dict[str, Tensor]
    accuracies: list[dict[str, float]]
    sigma2: dict[str, list[float]]
    shown_kernels: list[Tensor]


def mnist_kernel_study(
    x_train: Tensor, y_train: Tensor, x_test: Tensor, y_test: Tensor, seeds: Sequence[int],
    sweep: dict[str, Sequence[float]], fit_grid: dict[str, Sequence[float]], names: Sequence[str] = KERNEL_NAMES,
    executor: concurrent.futures.Executor | None = None,
) -> MnistKernelStudy:
    """:func:`mnist_kernel_run` for every seed, one job each (:func:`mlpgeo.experiments.jobs.run_jobs` on
    ``executor``; kernels kept for the first), stacked into a :class:`MnistKernelStudy`."""
    jobs = [dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, seed=seed,
                 sweep=sweep, fit_grid=fit_grid,
                 names=tuple(names), keep_kernels=i == 0) for i, seed in enumerate(seeds)]
    runs = run_jobs(mnist_kernel_run, jobs, executor=executor, desc="Figs. 3-4 seeds")
    return MnistKernelStudy(
        stated={form: torch.stack([r.stated[form] for r in runs]) for form in FORMS},
        sweeps={form: torch.stack([r.sweeps[form] for r in runs]) for form in sweep},
        fits={form: torch.stack([r.fits[form] for r in runs]) for form in fit_grid},
        accuracies=[r.accuracies for r in runs],
        sigma2={form: [r.sigma2[form] for r in runs] for form in FORMS},
        shown_kernels=runs[0].kernels,
    )


def fit_sigma2(
    tables: Tensor, grid: Sequence[float], target: Tensor = PAPER_COSINES, pairs: Sequence[tuple[int, int]] = TABLE_PAIRS
) -> tuple[float, float, Tensor]:
    """The one sigma^2 of ``grid`` whose seed-mean cosine table best matches ``target`` on ``pairs``.

    ``RMSE(g) = sqrt(mean_{(i,j) in pairs} (mean_s tables[s, g, i, j] - target[i, j])^2)``, minimised over ``g``.

    Args:
        tables: cosine tables ``(s, g, k, k)``.
        grid: the ``g`` sigma^2 values.
        target: the table to match ``(k, k)``.
        pairs: the entries compared.

    Returns:
        ``(best sigma^2, its RMSE, the per-seed tables at it (s, k, k))``.
    """
    tables = check_tensor(tables, "tables", dims=4, kind="float")
    if tables.shape[1] != len(grid):
        raise ValueError(f"tables hold {tables.shape[1]} sigma^2 values but grid has {len(grid)}.")
    mean_tables = tables.mean(0)
    rows, cols = zip(*pairs)
    rmse = torch.stack([(t - target)[list(rows), list(cols)].pow(2).mean().sqrt() for t in mean_tables])
    best = int(rmse.argmin())
    return float(grid[best]), float(rmse[best]), tables[:, best]


def best_fits(study: MnistKernelStudy, fit_grid: dict[str, Sequence[float]]) -> tuple[dict[str, tuple[float, float, Tensor]], str]:
    """:func:`fit_sigma2` for each heat-kernel form, and the form with the smallest RMSE.

    Returns:
        ``({form: (sigma2, rmse, tables (s, 4, 4))}, best form)``.
    """
    fits = {form: fit_sigma2(study.fits[form], fit_grid[form]) for form in fit_grid}
    return fits, min(fits, key=lambda form: fits[form][1])


def entry_spread(tables: Tensor, pairs: Sequence[tuple[int, int]] = TABLE_PAIRS) -> float:
    """Seed spread of table entries: ``mean_{(i,j) in pairs} std_s tables[s, i, j]`` (sample std) of
    per-seed tables ``(s, k, k)``, ``s >= 2``."""
    if tables.shape[0] < 2:
        raise ValueError("a seed spread needs at least two seeds.")
    rows, cols = zip(*pairs)
    return float(tables[:, list(rows), list(cols)].std(0).mean())


def claim_holds_fraction(tables: Tensor, saturation: float = 0.99) -> tuple[float, int]:
    """Share of cosine tables ``(s, 4, 4)`` (order Trained(a), Trained(b), Init(a), Init(b)) where
    ``cos(T_a, T_b) > max(cos(T_a, I_a), cos(T_b, I_b))``, among tables whose smallest entry is below
    ``saturation`` (at huge sigma^2 every heat kernel tends to all-ones and every cosine to 1).

    Returns:
        ``(fraction, number of unsaturated tables)``; the fraction is NaN when no table is unsaturated.
    """
    live = tables.flatten(1).min(1).values < saturation
    holds = tables[:, 0, 1] > torch.maximum(tables[:, 0, 2], tables[:, 1, 3])
    count = int(live.sum())
    return (float(holds[live].float().mean()) if count else float("nan")), count


def claim_holds_sigma2(tables: Tensor, grid: Sequence[float]) -> list[float]:
    """The ``sigma^2`` values of ``grid`` at which the seed-mean table satisfies the Fig. 3 claim.

    The claim at one ``sigma^2``: ``cos(T_a, T_b) > max(cos(T_a, I_a), cos(T_b, I_b))`` (order Trained(a),
    Trained(b), Init(a), Init(b)), on ``mean_s tables[s, g]``.

    Args:
        tables: per-seed sweep tables ``(s, g, 4, 4)``.
        grid: the ``g`` sigma^2 values.

    Returns:
        The grid values where the claim holds, ascending as in ``grid``.
    """
    if tables.shape[1] != len(grid):
        raise ValueError(f"tables hold {tables.shape[1]} sigma^2 values but grid has {len(grid)}.")
    mean = tables.mean(0)
    holds = mean[:, 0, 1] > torch.maximum(mean[:, 0, 2], mean[:, 1, 3])
    return [float(g) for g, h in zip(grid, holds.tolist()) if h]


def alike_margin(tables: Tensor) -> Tensor:
    """Margin of "trained kernels are more alike than each is to its initialisation" per table:
    ``cos(T_a, T_b) - max(cos(T_a, I_a), cos(T_b, I_b))`` of tables ``(..., 4, 4)`` in the order Trained(a),
    Trained(b), Init(a), Init(b); ``(...)``. The claim holds for a table when the margin is > 0."""
    return tables[..., 0, 1] - torch.maximum(tables[..., 0, 2], tables[..., 1, 3])


def inits_margin(tables: Tensor) -> Tensor:
    """Margin of reading (a), "trained kernels are more alike than the initial kernels are", per table:
    ``cos(T_a, T_b) - cos(I_a, I_b)`` of tables ``(..., 4, 4)``; ``(...)``."""
    return tables[..., 0, 1] - tables[..., 2, 3]


def margin_verdict(margins: dict[str, Tensor]) -> str:
    """Verdict over seeds and both heat-kernel forms from per-seed margins ``{form: (s,)}`` at the stated
    sigma^2 rule: reproduced if the margin is > 0 for every seed in every form; partly if it is > 0 for
    at least one seed in some form (the verdict flips between seeds or forms); else not reproduced."""
    positive = [bool(m > 0) for values in margins.values() for m in values.reshape(-1)]
    if not positive:
        raise ValueError("margin_verdict needs at least one margin.")
    return "reproduced" if all(positive) else "partly reproduced" if any(positive) else "not reproduced"


def first_rule_verdict(linear_median: Tensor, sweeps: dict[str, Tensor]) -> str:
    """The report's first Fig. 3 rule, kept beside the revised one (:func:`claim_trained_alike`).

    Reproduced if ``cos(T4, T6) > max(cos(T4, I4), cos(T6, I6))`` for every seed at the linear form's median
    sigma^2 *and* the seed-mean tables satisfy it at >= 75% of the unsaturated sweep values of both forms
    (:func:`claim_holds_fraction`); partly if one of the two; else not.

    Args:
        linear_median: per-seed tables of the linear form at the median rule ``(s, 4, 4)``.
        sweeps: per form, per-seed sweep tables ``(s, g, 4, 4)``.
    """
    holds_primary = bool((alike_margin(linear_median) > 0).all())
    sweep_ok = all(claim_holds_fraction(tables.mean(0))[0] >= 0.75 for tables in sweeps.values())
    return ("reproduced" if holds_primary and sweep_ok
            else "partly reproduced" if holds_primary or sweep_ok else "not reproduced")


def _form_label(form: str) -> str:
    return "appendix exp(-d^2/sigma^2)" if form == "squared" else "section 3.1 exp(-d/sigma^2)"


def claim_trained_alike(stated: dict[str, Tensor], sweeps: dict[str, Tensor] | None = None) -> Claim:
    """Fig. 3: "trained kernels are more alike than each is to its initialisation", judged by
    :func:`margin_verdict` on :func:`alike_margin` at the stated sigma^2 rule in both forms.

    The deciding number (first in ``measured``) is the margin in the appendix's squared form, the form A.2
    specifies for this experiment; the linear form's margin follows. The sweep (Fig. 4) is a robustness
    reading: the share of unsaturated sweep values at which the seed-mean table satisfies the claim, and the
    first rule's verdict (:func:`first_rule_verdict`), are recorded beside, not used.

    Args:
        stated: per form, per-seed tables at the stated rule ``(s, 4, 4)``; both ``"squared"`` and ``"linear"``.
        sweeps: per form, per-seed sweep tables ``(s, g, 4, 4)`` (optional, for the readings).
    """
    margins = {form: alike_margin(stated[form]) for form in FORMS}
    measured: dict[str, Any] = {f"margin_{form}": summarize(margins[form].tolist()) for form in FORMS}
    for form in FORMS:
        measured[f"cos_T4_T6_{form}"] = summarize(stated[form][:, 0, 1].tolist())
        measured[f"cos_T4_I4_{form}"] = summarize(stated[form][:, 0, 2].tolist())
        measured[f"cos_T6_I6_{form}"] = summarize(stated[form][:, 1, 3].tolist())
    if sweeps:
        for form, tables in sweeps.items():
            measured[f"sweep_fraction_{form}"] = claim_holds_fraction(tables.mean(0))[0]
        measured["first_rule_verdict"] = first_rule_verdict(stated["linear"], sweeps)
    return Claim(
        id="fig3-trained-kernels-alike",
        kind="source",
        claim="Heat kernels of trained 4- and 6-layer nets are more alike than each is to its initialisation.",
        source_value="0.55 vs 0.28 / 0.40 (Fig. 3)",
        criterion="Margin cos(T4, T6) - max(cos(T4, I4), cos(T6, I6)) at the median-rule sigma^2 of each form: > 0 "
        "for every seed in both forms -> reproduced; > 0 for some seed in some form -> partly; else not.",
        measured=measured,
        verdict=margin_verdict(margins),
        section=SECTIONS["fig3"],
    )


def claim_trained_vs_inits(stated: dict[str, Tensor]) -> Claim:
    """Reading (a) of Fig. 3, judged by :func:`margin_verdict` on :func:`inits_margin` at the stated
    sigma^2 rule in both forms (deciding number: the squared form's margin).

    Args:
        stated: per form, per-seed tables at the stated rule ``(s, 4, 4)``.
    """
    margins = {form: inits_margin(stated[form]) for form in FORMS}
    measured: dict[str, Any] = {f"margin_{form}": summarize(margins[form].tolist()) for form in FORMS}
    for form in FORMS:
        measured[f"cos_T4_T6_{form}"] = summarize(stated[form][:, 0, 1].tolist())
        measured[f"cos_I4_I6_{form}"] = summarize(stated[form][:, 2, 3].tolist())
    return Claim(
        id="fig3-trained-more-alike-than-inits",
        kind="source",
        claim="Reading (a): trained kernels are more alike than the two initial kernels are.",
        source_value="0.55 vs 0.87 (Fig. 3; the paper's own table contradicts this reading)",
        criterion="Margin cos(T4, T6) - cos(I4, I6) at the median-rule sigma^2 of each form: > 0 for every seed in "
        "both forms -> reproduced; > 0 for some seed in some form -> partly; else not.",
        measured=measured,
        verdict=margin_verdict(margins),
        section=SECTIONS["fig3"],
    )


def entry_tolerance(values: Tensor) -> float:
    """``max(0.05, 2 std)`` (sample std) of per-seed values ``(s,)``; 0.05 for a single seed."""
    return max(0.05, 2 * float(values.std())) if len(values) > 1 else 0.05


def entries_within(
    tables: Tensor, paper: Tensor = PAPER_COSINES, pairs: Sequence[tuple[int, int]] = TABLE_PAIRS
) -> int:
    """How many of the ``pairs`` entries of per-seed tables ``(s, 4, 4)`` have a seed mean within
    :func:`entry_tolerance` of ``paper``."""
    return sum(abs(float(tables[:, i, j].mean()) - float(paper[i, j])) <= entry_tolerance(tables[:, i, j])
               for i, j in pairs)


def table_rmse(tables: Tensor, paper: Tensor = PAPER_COSINES, pairs: Sequence[tuple[int, int]] = TABLE_PAIRS) -> Tensor:
    """Per-seed RMSE over the ``pairs`` entries between tables ``(s, 4, 4)`` and ``paper``: ``(s,)``."""
    rows, cols = map(list, zip(*pairs))
    return (tables[:, rows, cols] - paper[rows, cols]).pow(2).mean(1).sqrt()


def table_values_verdict(
    stated: dict[str, Tensor], fitted: dict[str, Tensor], pairs: Sequence[tuple[int, int]] = TABLE_PAIRS
) -> str:
    """Verdict on the Fig. 3 table's values: reproduced if every entry is within :func:`entry_tolerance` of
    the paper in the appendix's squared form at the stated sigma^2 rule; partly if every entry is within it
    in the linear form at the stated rule, or in some form at its best-fitting sigma^2 (a fit: one parameter
    to six numbers); else not reproduced.

    Args:
        stated: per form, per-seed tables at the stated rule ``(s, 4, 4)``.
        fitted: per form, per-seed tables at that form's best-fitting sigma^2 ``(s, 4, 4)``.
    """
    if entries_within(stated["squared"], pairs=pairs) == len(pairs):
        return "reproduced"
    others = [stated["linear"], *fitted.values()]
    partly = any(entries_within(t, pairs=pairs) == len(pairs) for t in others)
    return "partly reproduced" if partly else "not reproduced"


def claim_table_values(
    stated: dict[str, Tensor], fits: dict[str, tuple[float, float, Tensor]], paper: Tensor = PAPER_COSINES,
    names: Sequence[str] = KERNEL_NAMES, pairs: Sequence[tuple[int, int]] = TABLE_PAIRS,
) -> Claim:
    """The six values of the paper's Fig. 3 table as one claim (:func:`table_values_verdict`).

    The six entries come from one computation at one unreported sigma^2, so they are judged together, not
    as six findings. Deciding number: the per-seed RMSE over the six entries in the squared form at the
    stated rule; then the linear form's, the number of entries within tolerance in each form, each entry's
    values in both forms, and the best-fitting sigma^2 of each form with its RMSE.

    Args:
        stated: per form, per-seed tables at the stated rule ``(s, 4, 4)``.
        fits: :func:`best_fits`' first output, ``{form: (sigma2, rmse, tables (s, 4, 4))}``.
        paper: the paper's table.
        names: kernel names in table order.
        pairs: the entries judged.
    """
    measured: dict[str, Any] = {f"rmse_{form}": summarize(table_rmse(stated[form], paper, pairs).tolist())
                                for form in FORMS}
    for form in FORMS:
        measured[f"entries_within_tolerance_{form}"] = entries_within(stated[form], paper, pairs)
    for i, j in pairs:
        key = f"{names[i]}-{names[j]}".lower().replace("(", "").replace(")", "")
        for form in FORMS:
            measured[f"{key}_{form}"] = summarize(stated[form][:, i, j].tolist())
    for form, (sigma2, rmse, tables) in fits.items():
        measured[f"fitted_{form}_sigma2"] = sigma2
        measured[f"fitted_{form}_rmse"] = rmse
        measured[f"fitted_{form}_entries_within_tolerance"] = entries_within(tables, paper, pairs)
    return Claim(
        id="fig3-table-values",
        kind="source",
        claim="The six values of the Fig. 3 table (cosines of heat kernels of Trained/Init 4- and 6-layer nets).",
        source_value=", ".join(f"{names[i]}-{names[j]} {float(paper[i, j]):.2f}" for i, j in pairs),
        criterion="All six seed means within max(0.05, 2 std) of the paper in the squared form at the median-rule "
        "sigma^2 -> reproduced; in the linear form, or at a form's best-fitting sigma^2 -> partly; else not.",
        measured=measured,
        verdict=table_values_verdict(stated, {form: t for form, (_, _, t) in fits.items()}, pairs),
        section=SECTIONS["fig3"],
    )


# --------------------------------------------------------------------------------------------------
# The lemmas, checked on exact regions
# --------------------------------------------------------------------------------------------------


def probed_adjacency(regions: Regions, probes: int = 9, eps: float = 1e-7, relative: float = 1e-4) -> Tensor:
    """Geometric adjacency of 2-D regions, found without looking at their codes.

    From ``probes`` points along every polygon edge (at ``t = 1/(probes+1), ..., probes/(probes+1)`` of
    its length ``L``), step ``min(eps * box width, relative * L)`` across the edge along its outward normal
    and locate the region there. Pairs found this way share an edge. The step shrinks with the edge: near
    an end of a short edge (a tiny region where lines almost meet in one point), a fixed step could cross
    a second line through that vertex and report a region that only touches at the vertex (a pair whose
    codes differ in two bits). With the relative step a probe at ``t L`` from a vertex stays on the right
    side of every line through that vertex at an angle above ``asin(relative / t)`` to the edge.

    Returns:
        int64 ``(e, 2)`` unique pairs ``i < j``.
    """
    probes = check_int(probes, "probes", low=1)
    eps = check_number(eps, "eps", low=0, low_open=True)
    relative = check_number(relative, "relative", low=0, low_open=True)
    xmin, xmax, _, _ = regions.bounds
    t = (torch.arange(probes, dtype=torch.float64) + 1) / (probes + 1)
    points, owners = [], []
    for index, region in enumerate(regions):
        v = torch.as_tensor(region.vertices, dtype=torch.float64)
        w = torch.roll(v, -1, 0)
        edge = w - v
        length = edge.norm(dim=1, keepdim=True).clamp(min=1e-300)
        normal = torch.stack([edge[:, 1], -edge[:, 0]], 1) / length  # outward for counter-clockwise polygons
        step = torch.clamp(relative * length, max=eps * (xmax - xmin))  # (edges, 1)
        p = v[:, None, :] + t[None, :, None] * edge[:, None, :] + (step * normal)[:, None, :]
        points.append(p.reshape(-1, 2))
        owners.append(torch.full((p.shape[0] * probes,), index, dtype=torch.long))
    points, owners = torch.cat(points), torch.cat(owners)
    found = torch.as_tensor(regions.locate(points), dtype=torch.long)
    keep = (found >= 0) & (found != owners)
    pairs = torch.stack([torch.minimum(owners[keep], found[keep]), torch.maximum(owners[keep], found[keep])], 1)
    return pairs.unique(dim=0)


def lemma_check(model: nn.Sequential, points: Tensor, bounds: Sequence[float] = (-1.0, 1.0, -1.0, 1.0)) -> dict[str, float]:
    """Compare the VQ distance with the partition distance on a 2-D model's exact regions.

    Uses :func:`mlpgeo.regions.linear_regions_2d` and the geometric :func:`probed_adjacency`.

    Returns:
        ``regions``, ``edges``, ``edges_multi_bit`` (neighbours whose codes differ in more than one bit),
        over all pairs of ``points``: ``equal_frac`` (d = d_Omega), ``less_frac`` (d < d_Omega),
        ``greater_frac`` (d > d_Omega, forbidden by Lemma 2), ``max_gap`` (max d_Omega - d), and the
        same three fractions over all pairs of regions (``region_equal_frac`` ...).
    """
    regions = linear_regions_2d(model, tuple(bounds))
    edges = probed_adjacency(regions)
    codes = torch.as_tensor(regions.codes, dtype=torch.bool)
    bits = (codes[edges[:, 0]] != codes[edges[:, 1]]).sum(1)
    d_omega = partition_distance(regions, points, adjacency=edges).float()
    d = vq_distance(model, points)
    all_regions = region_graph_distances(len(regions), edges, torch.arange(len(regions))).float()
    if (all_regions < 0).any():
        raise ValueError("the probed region graph is not connected; lower eps or raise probes.")
    d_regions = code_distance([codes])
    return {
        "regions": len(regions),
        "edges": len(edges),
        "edges_multi_bit": int((bits > 1).sum()),
        "equal_frac": float((d == d_omega).float().mean()),
        "less_frac": float((d < d_omega).float().mean()),
        "greater_frac": float((d > d_omega).float().mean()),
        "max_gap": float((d_omega - d).max()),
        "region_equal_frac": float((d_regions == all_regions).float().mean()),
        "region_less_frac": float((d_regions < all_regions).float().mean()),
        "region_greater_frac": float((d_regions > all_regions).float().mean()),
    }


def lemma_run(
    seed: int, kind: str, widths: Sequence[int], trained: bool, points: Tensor, x: Tensor, labels: Tensor,
    epochs: int = 300, lr: float = 3e-3,
) -> dict:
    """:func:`lemma_check` for one network: ``mlp(widths)`` from ``seed``, random or trained on ``(x, labels)``
    with BCE (full batch, Adam, ``epochs``, ``lr``).

    Returns:
        ``kind``, ``widths``, ``trained``, ``seed`` and the :func:`lemma_check` numbers.
    """
    model = mlp(list(widths), generator=seeded(seed))
    if trained:
        train(model, x, labels.float(), loss="bce", epochs=epochs, lr=lr, generator=seeded(seed), progress=False)
    return {"kind": kind, "widths": widths, "trained": trained, "seed": seed, **lemma_check(model, points)}


def lemma_study(
    seeds: Sequence[int], archs: dict[str, Sequence[Sequence[int]]], points: Tensor, x: Tensor, labels: Tensor,
    epochs: int = 300, lr: float = 3e-3, executor: concurrent.futures.Executor | None = None,
) -> list[dict]:
    """:func:`lemma_run` for every seed, architecture and state (random, trained), in that nesting order, one
    job per network (:func:`mlpgeo.experiments.jobs.run_jobs` on ``executor``).

    Args:
        seeds: initialisation/training seeds.
        archs: ``{kind: [widths, ...]}``, e.g. ``{"shallow": [[2, 16, 1]], "deep": [[2, 8, 8, 1]]}``.
        points: sample points ``(n, 2)`` in [-1, 1]^2.
        x: 2-D training points ``(m, 2)``.
        labels: their 0/1 labels ``(m,)``.
        epochs: full-batch training epochs.
        lr: Adam learning rate.
        executor: where the jobs run (``None``: in-process unless the environment says otherwise).
    """
    jobs = [dict(seed=seed, kind=kind, widths=widths, trained=trained, points=points, x=x, labels=labels,
                 epochs=epochs, lr=lr)
            for seed in seeds for kind, widths_list in archs.items() for widths in widths_list
            for trained in (False, True)]
    return run_jobs(lemma_run, jobs, executor=executor, desc="lemma networks")


LEMMA_COLUMNS = {
    "regions": ("regions", "d"), "edges": ("edges", "d"), "edges_multi_bit": ("multi-bit edges", "d"),
    "equal_frac": ("d = dΩ (points)", ".3f"), "less_frac": ("d < dΩ (points)", ".3f"),
    "greater_frac": ("d > dΩ (points)", ".3f"), "max_gap": ("max gap dΩ − d", ".0f"),
    "region_less_frac": ("d < dΩ (regions)", ".3f"),
}


def lemma_table(rows: Sequence[dict]) -> Table:
    """The :func:`lemma_study` rows as a table, one row per network (widths, random or trained)."""
    table = {f"{list(r['widths'])} {'trained' if r['trained'] else 'random'}":
             {label: r[key] for key, (label, _) in LEMMA_COLUMNS.items()} for r in rows}
    return Table(table, {label: spec for label, spec in LEMMA_COLUMNS.values()}, index="network")


def claim_lemma1(rows: Sequence[dict]) -> Claim:
    """Lemma 1 on the ``kind == "shallow"`` rows: reproduced iff d = d_Omega for all point and region pairs
    of every net."""
    shallow = [r for r in rows if r["kind"] == "shallow"]
    holds = all(r["equal_frac"] == 1.0 and r["region_equal_frac"] == 1.0 for r in shallow)
    measured = {"min_equal_frac_points": min(r["equal_frac"] for r in shallow),  # the deciding numbers first
                "min_equal_frac_regions": min(r["region_equal_frac"] for r in shallow),
                "networks": len(shallow), "multi_bit_edges": sum(r["edges_multi_bit"] for r in shallow)}
    return Claim(
        id="lemma1-shallow-equals-partition",
        kind="source",
        claim="Lemma 1: for one hidden layer the VQ distance equals the partition distance.",
        source_value="equality for all pairs",
        criterion="d = d_Omega for all point and region pairs of every shallow network -> reproduced; else not.",
        measured=measured,
        verdict="reproduced" if holds else "not reproduced",
        section=SECTIONS["lemmas"],
    )


def claim_lemma2(rows: Sequence[dict]) -> Claim:
    """Lemma 2 on the ``kind == "deep"`` rows: d <= d_Omega everywhere (points and regions) and d < d_Omega
    for some pairs -> reproduced; only the bound -> partly; a violation -> not reproduced."""
    deep = [r for r in rows if r["kind"] == "deep"]
    bound = all(r["greater_frac"] == 0.0 and r["region_greater_frac"] == 0.0 for r in deep)
    measured = {"max_greater_frac": max(max(r["greater_frac"], r["region_greater_frac"]) for r in deep),  # deciding first
                "networks": len(deep), "less_frac_points": summarize([r["less_frac"] for r in deep]),
                "less_frac_regions": summarize([r["region_less_frac"] for r in deep]),
                "max_gap": max(r["max_gap"] for r in deep)}
    verdict = ("reproduced" if bound and any(r["less_frac"] > 0 for r in deep)
               else "partly reproduced" if bound else "not reproduced")
    return Claim(
        id="lemma2-deep-upper-bound",
        kind="source",
        claim="Lemma 2: for deep networks the VQ distance never exceeds the partition distance (strictly smaller "
        "for some pairs).",
        source_value="d <= d_Omega",
        criterion="d <= d_Omega for all point and region pairs of every deep network and d < d_Omega for some -> "
        "reproduced; only the bound -> partly; a violation -> not reproduced.",
        measured=measured,
        verdict=verdict,
        section=SECTIONS["lemmas"],
    )


# --------------------------------------------------------------------------------------------------
# The width-1 example of appendix B.2
# --------------------------------------------------------------------------------------------------


def width1_study(depths: Sequence[int]) -> dict[str, list]:
    """The appendix's width-1 chains for each ``L`` in ``depths``: the printed map ``2z - ReLU(2z - 1)`` and
    the tent map ``2z - 2 ReLU(2z - 1)`` (:func:`mlpgeo.vq.skip_chain_partition` with ``scale=-2``).

    Returns:
        ``depths``; ``printed`` and ``tent`` interval counts; ``tent_max_d`` and ``tent_max_d_omega``: the
        largest VQ and partition distance between the tent chain's intervals.
    """
    printed = [skip_chain_partition(L) for L in depths]
    tent = [skip_chain_partition(L, scale=-2.0) for L in depths]
    return {
        "depths": list(depths),
        "printed": [len(c) for c in printed],
        "tent": [len(c) for c in tent],
        "tent_max_d": [float(c.vq_distance().max()) for c in tent],
        "tent_max_d_omega": [float(c.partition_distance().max()) for c in tent],
    }


def claim_width1(study: dict[str, list]) -> Claim:
    """"L width-1 layers make 2^L intervals": reproduced if the printed map gives ``2^L`` for every L;
    partly if only the tent map does, with ``max d <= L`` and ``max d_Omega = 2^L - 1``; else not (measured
    at the largest L).

    The claim id is ``appendix-width1-2powL``.
    """
    powers = [2**L for L in study["depths"]]
    printed_ok = study["printed"] == powers
    tent_ok = study["tent"] == powers and all(
        d <= L and d_omega == 2**L - 1 for L, d, d_omega in zip(study["depths"], study["tent_max_d"], study["tent_max_d_omega"]))
    L = study["depths"][-1]
    measured = {f"intervals_printed_L{L}": study["printed"][-1], f"intervals_tent_L{L}": study["tent"][-1],
                f"max_d_tent_L{L}": study["tent_max_d"][-1], f"max_d_omega_tent_L{L}": study["tent_max_d_omega"][-1]}
    return Claim(
        id="appendix-width1-2powL",
        kind="source",
        claim="f(z) = 2z - ReLU(2z - 1), L layers of width 1, partitions [0, 1] into 2^L intervals (d <= L, "
        "d_Omega ~ 2^L).",
        source_value="2^L intervals",
        criterion=f"The printed formula gives 2^L intervals for every L <= {L} -> reproduced; only the tent map "
        "2z - 2 ReLU(2z - 1) does (with d <= L and d_Omega = 2^L - 1) -> partly; else not.",
        measured=measured,
        verdict="reproduced" if printed_ok else "partly reproduced" if tent_ok else "not reproduced",
        section=SECTIONS["width1"],
    )


# --------------------------------------------------------------------------------------------------
# The playground export (the site's interactive VQ-distance view)
# --------------------------------------------------------------------------------------------------


def export_playground_network(
    model: nn.Sequential,
    x: Tensor,
    y: Tensor,
    folder: Path | str | None = None,
    name: str = "Two moons, 3 x 96 ReLU (VQ-kernels report, Fig. 1)",
    description: str = "The network of the VQ-kernels report's first figure (first seed), trained with binary "
    "cross-entropy on 150 two-moons points.",
    box: Sequence[float] = (-1.2, 1.2, -1.2, 1.2),
) -> Path:
    """Write the trained two-moons network and its data for the site's interactive VQ-distance view.

    The file ``<folder>/networks/vq_kernels.json`` (default folder :func:`mlpgeo.report.metrics_dir`) is
    written atomically::

        {"name": str, "description": str, "box": [xmin, xmax, ymin, ymax],
         "layers": [{"weight": [[...]], "bias": [...]}, ...], "x": [[x1, x2], ...], "y": [...],
         "sigma2_median": float}

    with each weight ``(out, in)`` (:func:`mlpgeo.models.weights`), and ``sigma2_median`` the median rule
    (:func:`mlpgeo.vq.median_sigma2`, linear form) on the VQ kernel of ``x``. Floats are written exactly
    (Python's shortest round-trip repr), so :func:`load_playground_network` rebuilds the same network.

    Args:
        model: a ReLU MLP with 2 inputs.
        x: its training points ``(n, 2)``.
        y: their integer labels ``(n,)``.
        folder: the metrics folder.
        name: a title for the view.
        description: one sentence on what the network is.
        box: the view's bounds ``(xmin, xmax, ymin, ymax)`` (default: the data's square [-1, 1]^2 with a margin).

    Returns:
        The path written.
    """
    layers = check_model(model)
    if any(not isinstance(act, nn.ReLU) for _, act in layers) or model[0].in_features != 2:
        raise ValueError("the playground shows ReLU MLPs with 2 inputs; model is not one.")
    y = check_labels(y, len(x))
    box = [check_number(v, f"box[{i}]") for i, v in enumerate(box)]
    if len(box) != 4 or box[0] >= box[1] or box[2] >= box[3]:
        raise ValueError(f"box must be (xmin, xmax, ymin, ymax) with min < max, got {box}.")
    payload = {
        "name": name,
        "description": description,
        "box": box,
        "layers": [{"weight": w.cpu().tolist(), "bias": b.cpu().tolist()} for w, b in weights(model)],
        "x": x.detach().cpu().tolist(),
        "y": [int(v) for v in y.tolist()],
        "sigma2_median": median_sigma2(vq_distance(model, x)),
    }
    path = Path(folder or metrics_dir()) / PLAYGROUND_FILE
    atomic_write_bytes(path, json.dumps(payload).encode())
    return path


def load_playground_network(path: Path | str, dtype: torch.dtype = torch.float32) -> tuple[nn.Sequential, Tensor, Tensor, dict]:
    """Read a file of :func:`export_playground_network` back: ``(ReLU model, x (n, 2), y (n,), payload)``."""
    payload = json.loads(Path(path).read_text())
    shapes = [(len(layer["weight"][0]), len(layer["weight"])) for layer in payload["layers"]]
    model = mlp([shapes[0][0]] + [out for _, out in shapes], dtype=dtype)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for linear, layer in zip(linears, payload["layers"]):
            linear.weight.copy_(torch.tensor(layer["weight"], dtype=dtype))
            linear.bias.copy_(torch.tensor(layer["bias"], dtype=dtype))
    return model, torch.tensor(payload["x"], dtype=dtype), torch.tensor(payload["y"], dtype=torch.long), payload


# --------------------------------------------------------------------------------------------------
# The report's figures
# --------------------------------------------------------------------------------------------------


def plot_disc_field(
    points: Tensor, values: Tensor, ax: Axes | None = None, title: str = "", cmap: str = "RdBu_r", resolution: int = 96
) -> Axes:
    """Colour the points of a :func:`disc_grid` ``(n, 2)`` by ``values: (n,)`` as an image (symmetric
    scale about 0)."""
    ax = ax or plt.gca()
    index = ((points + 1) / 2 * (resolution - 1)).round().long()
    image = torch.full((resolution, resolution), float("nan"))
    image[index[:, 1], index[:, 0]] = values.float()
    limit = float(values.abs().max())
    ax.imshow(image.numpy(), origin="lower", extent=(-1, 1, -1, 1), cmap=cmap, vmin=-limit, vmax=limit,
              interpolation="nearest")
    ax.set_title(title)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.grid(False)
    return ax


def plot_rotation_eigenvectors(
    models: Sequence[nn.Sequential], datasets: Sequence[Tensor], labels: Tensor, points: Tensor,
    names: Sequence[str] = ("original", "rotated"), k: int = 3,
) -> Figure:
    """Fig. 1: one row per model with the ``k`` dominant MDS eigenvectors of its VQ kernel over ``points``
    (training data as black dots), and a last row with each model's VQ kernel on its training data.

    Args:
        models: 2-D models.
        datasets: the training points ``(n, 2)`` of each model.
        labels: labels ``(n,)`` used to order the kernels.
        points: disc points ``(p, 2)`` from :func:`disc_grid`.
        names: row names.
        k: eigenvectors per row.
    """
    cols = max(k, len(models))
    fig, axes = plt.subplots(len(models) + 1, cols, figsize=(3.25 * cols, 3.1 * (len(models) + 1)), squeeze=False)
    for row, (model, x, name) in enumerate(zip(models, datasets, names)):
        mds = code_mds(model, points, k=k)
        for i in range(k):
            plot_disc_field(points, mds.eigenvectors[:, i].float(), ax=axes[row, i],
                            title=f"{name}: eigvec {i + 1}, λ/λ₁ = {mds.normalised[i]:.2f}")
            axes[row, i].scatter(x[:, 0], x[:, 1], s=3, c="k", alpha=0.5)
        plot_kernel(vq_distance(model, x), labels, ax=axes[-1, row], title=f"{name}: VQ kernel on its data",
                    colorbar_label="VQ distance d")
    for ax in axes[-1, len(models):]:
        ax.set_visible(False)
    return fig


def plot_high_dim_embeddings(x: Tensor, x_rot: Tensor, y: Tensor, nets: dict[str, nn.Sequential]) -> Figure:
    """Fig. 2: one row per distance (VQ kernel, its rotated-data twin, squared Euclidean): its 2-D MDS (left)
    and the matrix (right).

    Args:
        x: training points ``(n, d)``.
        x_rot: rotated training points ``(n, d)``.
        y: labels ``(n,)``.
        nets: ``{"vq": model, "vq_rot": model, ...}`` from :func:`high_dim_study`.
    """
    fig, axes = plt.subplots(3, 2, figsize=(8.5, 10.5))
    panels = [("VQ kernel", vq_distance(nets["vq"], x)), ("VQ kernel, rotated data", vq_distance(nets["vq_rot"], x_rot)),
              ("squared Euclidean distance", torch.cdist(x, x).pow(2))]
    for row, (name, d) in enumerate(panels):
        plot_embedding(classical_mds(d, 2).embedding, y, ax=axes[row, 0], title=f"MDS of the {name}")
        plot_kernel(d, y, ax=axes[row, 1], title=name)
    return fig


def plot_high_dim_controls(x: Tensor, y: Tensor, x_test: Tensor, y_test: Tensor, nets: dict[str, nn.Sequential], top: int = 40) -> Figure:
    """Fig. 2 controls: MDS of held-out points, MDS under the shuffled-label net (top), and MDS spectra
    ``λ_i / λ_1`` (bottom).

    Args:
        x: training points ``(n, d)``.
        y: labels ``(n,)``.
        x_test: held-out points ``(m, d)``.
        y_test: held-out labels ``(m,)``.
        nets: ``{"vq": model, "vq_shuffled": model, ...}`` from :func:`high_dim_study`.
        top: eigenvalues shown in the spectrum panel.
    """
    fig, axes = plt.subplot_mosaic([["heldout", "shuffled"], ["spectra", "spectra"]], figsize=(9, 7.5))
    plot_embedding(classical_mds(vq_distance(nets["vq"], x_test), 2).embedding, y_test, ax=axes["heldout"],
                   title=f"VQ kernel MDS, {len(x_test)} held-out points")
    plot_embedding(classical_mds(vq_distance(nets["vq_shuffled"], x), 2).embedding, y, ax=axes["shuffled"],
                   title="VQ MDS, net trained on shuffled labels\n(coloured by TRUE label)")
    for name, d in [("VQ (train)", vq_distance(nets["vq"], x)), ("VQ (held-out)", vq_distance(nets["vq"], x_test)),
                    ("Euclidean", torch.cdist(x, x).pow(2))]:
        spectrum = mds_spectrum(d)
        axes["spectra"].plot(np.arange(1, top + 1), (spectrum[:top] / spectrum[0]).numpy(), marker=".", label=name)
    axes["spectra"].set(xlabel="eigenvalue index", ylabel="λ / λ₁", title="MDS spectra", yscale="log")
    axes["spectra"].legend()
    return fig


def plot_depth_kernels(kernels: Sequence[Tensor], labels: Tensor, names: Sequence[str] = KERNEL_NAMES) -> Figure:
    """The VQ kernels of Figs. 3-4, two per row, rows and columns ordered by label (:func:`mlpgeo.vq.plot_kernel`).

    Args:
        kernels: ``k`` distance matrices ``(n, n)``.
        labels: labels ``(n,)``.
        names: one panel title per kernel.
    """
    rows = math.ceil(len(kernels) / 2)
    fig, axes = plt.subplots(rows, 2, figsize=(7.8, 3.5 * rows), squeeze=False)
    for ax, name, d in zip(axes.flat, names, kernels):
        plot_kernel(d, labels, ax=ax, title=name, cmap="viridis", colorbar_label="VQ distance d")
    for ax in list(axes.flat)[len(kernels):]:
        ax.set_visible(False)
    return fig


def plot_table_comparison(
    tables: Sequence[Tensor], titles: Sequence[str], names: Sequence[str] = KERNEL_NAMES
) -> Figure:
    """Cosine tables two per row (:func:`mlpgeo.vq.plot_cosine_table`), e.g. ours at two readings and the paper's.

    Args:
        tables: ``(k, k)`` tables.
        titles: one title per table.
        names: kernel names of the rows and columns.
    """
    rows = math.ceil(len(tables) / 2)
    fig, axes = plt.subplots(rows, 2, figsize=(8.8, 4 * rows), squeeze=False)
    for ax, table, title in zip(axes.flat, tables, titles):
        plot_cosine_table(table, names, ax=ax, title=title)
    for ax in list(axes.flat)[len(tables):]:
        ax.set_visible(False)
    return fig


def plot_sigma_sweep(
    sweeps: dict[str, Tensor], grids: dict[str, Sequence[float]], paper: Tensor = PAPER_COSINES,
    names: Sequence[str] = KERNEL_NAMES, pairs: Sequence[tuple[int, int]] = TABLE_PAIRS,
    stated: dict[str, Sequence[float]] | None = None,
) -> Figure:
    """Fig. 4: cosine similarity of each pair of heat kernels against sigma^2, one panel per form.

    Args:
        sweeps: per form, per-seed tables ``(s, g, 4, 4)``.
        grids: per form, the ``g`` sigma^2 values.
        paper: the paper's table (dotted lines).
        names: kernel names.
        pairs: the pairs drawn.
        stated: per form, the per-seed sigma^2 of the stated rule (grey dashed lines), if given.
    """
    fig, axes = plt.subplots(1, len(sweeps), figsize=(5 * len(sweeps), 4.2), squeeze=False)
    for ax, (form, tables) in zip(axes[0], sweeps.items()):
        for k, (i, j) in enumerate(pairs):
            values = tables[:, :, i, j]
            ax.errorbar(grids[form], values.mean(0), yerr=values.std(0) if len(tables) > 1 else None, marker=".",
                        color=color(k), label=f"{names[i]} vs {names[j]}", capsize=2)
            ax.axhline(float(paper[i, j]), color=color(k), ls=":", lw=1)
        for n, value in enumerate(sorted(set((stated or {}).get(form, [])))):
            ax.axvline(value, color="0.45", ls="--", lw=1, label="median rule σ²" if n == 0 else None)
        ax.set(xscale="log", xlabel="σ²", ylabel="cosine similarity",
               title="h = exp(−d / σ²)  (section 3.1)" if form == "linear" else "h = exp(−d² / σ²)  (appendix A.2)")
    axes[0, 0].legend(fontsize=7, loc="lower right")
    return fig


def plot_width1_chain(study: dict[str, list]) -> Figure:
    """Intervals of the printed and the tent chain against ``L`` (left); the tent chain's max d and d_Omega
    (right).

    Args:
        study: the output of :func:`width1_study`.
    """
    depths = study["depths"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    axes[0].plot(depths, study["printed"], marker="o", label="printed: 2z − ReLU(2z − 1)")
    axes[0].plot(depths, study["tent"], marker="s", label="tent: 2z − 2 ReLU(2z − 1)")
    axes[0].plot(depths, [2**L for L in depths], ls=":", color="k", label="$2^L$")
    axes[0].set(yscale="log", xlabel="L (layers of one neuron)", ylabel="intervals of [0, 1]", title="pieces of the L-fold composition")
    axes[0].legend()
    axes[1].plot(depths, study["tent_max_d"], marker="o", label="max VQ distance d (tent)")
    axes[1].plot(depths, study["tent_max_d_omega"], marker="s", label="max partition distance $d_\\Omega$ (tent)")
    axes[1].set(yscale="log", xlabel="L", ylabel="distance", title="d ≤ L while $d_\\Omega$ = $2^L$ − 1")
    axes[1].legend()
    return fig
