"""The KAG report (``reports/kag.ipynb``): trained / random ratios of Jacobian-minor statistics of MNIST MLPs.

One *setting* is an (activation, width, seed): a random initialisation ``784 -> h -> h -> 10`` and two
trained copies of it (standard and augmented digits). :func:`run_setting` trains them and measures the
ratios of :func:`mlpgeo.kag.jacobian_metrics` between each trained network and its initialisation over
layers, minor sizes and pixel sets (:func:`sweep`, :func:`ratio_records`). The analysis functions turn the
records of all settings into seed statistics per *cell* (activation, width, layer, k, radius, metric) and
into the numbers behind each verdict; the ``claim_*`` rules return :class:`mlpgeo.report.Claim` records;
the ``*_table`` functions show the numbers as :class:`mlpgeo.report.Table`; the ``plot_*`` functions draw
the report's figures.
"""

from __future__ import annotations

import concurrent.futures
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from functools import partial
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor, nn

from mlpgeo import kag
from mlpgeo.data import augment_digits
from mlpgeo.kag import IMAGE_CENTER, IMAGE_SIDE, METRICS
from mlpgeo.experiments.jobs import run_jobs
from mlpgeo.models import accuracy, clone, from_snapshot, mlp, seeded, snapshot, train
from mlpgeo.plotting import color
from mlpgeo.report import Claim, Table, band_verdict, summarize, threshold_verdict
from mlpgeo.validate import PIECEWISE_LINEAR, check_choice, check_model

TRAININGS = ("standard", "augmented")
"""The two trainings of every initialisation."""
CELL_FIELDS = ("activation", "width", "layer", "k", "radius", "metric")
"""The fields that name one cell of :func:`metric_cells`."""
RADII = (7, 14, 21, 28)
"""The report's ball radii in pixels (around the centre, 21 and 28 both hold all 784 pixels)."""
SECTION_SCALES = "3. Ratios across scales (centred balls)"
SECTION_CENTRES = "4. Scales that stay distinct: balls at many centres"
SECTION_ZERO_ROWS = "7. Zero rows and dead units"
SECTION_WIDTH = "9. Width"
SECTION_MIN_DISTANCE = "10. Minimum distance between a minor's pixels"
MIN_DISTANCES = (1, 4, 8, 12, 16, 20)
"""The report's minimum pixel distances between the two columns of a 2-minor (1 = every pair)."""


# --------------------------------------------------------------------------------------------------
# Training and measuring one setting
# --------------------------------------------------------------------------------------------------


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
    afresh for every batch (:func:`mlpgeo.data.augment_digits`, bilinear). The initialisation and both
    trainings draw from generators seeded with ``seed`` (same batch order for both trainings); Adam.

    Returns:
        ``{"random", "standard", "augmented"}`` networks and ``"history_standard"``, ``"history_augmented"``.
    """
    init = mlp([x.shape[1], width, width, 10], activation, generator=seeded(seed))
    nets: dict[str, Any] = {"random": init}
    for name in TRAININGS:
        nets[name], nets[f"history_{name}"] = train_copy(init, x, y, name, seed, epochs, batch_size, lr, max_shift,
                                                         max_degrees, snapshot_every)
    return nets


def train_copy(
    init: nn.Sequential, x: Tensor, y: Tensor, training: str, seed: int, epochs: int, batch_size: int = 128,
    lr: float = 1e-3, max_shift: float = 2.0, max_degrees: float = 10.0, snapshot_every: int | None = None,
) -> tuple[nn.Sequential, Any]:
    """One trained copy of ``init`` (left unchanged): ``training`` ``"standard"`` or ``"augmented"`` (see
    :func:`train_pair`), Adam, batches drawn from a generator seeded with ``seed``.

    Returns:
        ``(network, history)`` (:func:`mlpgeo.models.train`'s history).
    """
    check_choice(training, "training", TRAININGS)
    net = clone(init)
    transform = partial(augment_digits, max_shift=max_shift, max_degrees=max_degrees) if training == "augmented" else None
    history = train(net, x, y, epochs=epochs, batch_size=batch_size, lr=lr, generator=seeded(seed),
                    transform=transform, snapshot_every=snapshot_every, progress=False)
    return net, history


def sweep(
    models: Mapping[str, nn.Sequential],
    x: Tensor,
    layers: Sequence[int] = (1, 2),
    ks: Sequence[int] = (1, 2),
    radii: Sequence[float] = RADII,
    centers: Sequence[Sequence[float]] = (IMAGE_CENTER,),
    n_minors: int = 500,
    seed: int = 0,
    rows: str = "all",
    n_rotations: int = 5,
    jacobians: dict[tuple[str, int], tuple[kag.JacobianBatch, Tensor | None]] | None = None,
) -> list[dict[str, Any]]:
    """PR, KL and RR of several networks over layers, minor sizes, radii and ball centres.

    Each Jacobian batch is computed once per (network, layer). Every network gets a generator seeded
    alike for the same (layer, k, centre), so with ``rows="all"`` all networks are measured on the same
    sampled minor positions (common random numbers: the trained / random ratios are less noisy); those
    draws, the random rotations included, are then made once for all networks (:func:`measure_alike`). With
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
        rows: ``"all"`` or ``"active"`` rows (see :func:`mlpgeo.kag.ka_metrics`).
        n_rotations: rotations in the rotation ratio.
        jacobians: ``(name, layer) -> (Jacobian batch, its transposed copy or None)``, filled here as each is
            computed (:func:`jacobian_batches`); pass one dict to several sweeps of the same networks on the
            same ``x`` to compute each once.

    Returns:
        One record per (model, layer, k, radius): ``model, layer, k, radius, n_centers, n_columns, pr, kl,
        rr, zero_minor_fraction, active_fraction`` (means over centres).
    """
    jacobians = {} if jacobians is None else jacobians
    records = []
    for layer in layers:
        jacs = jacobian_batches(models, x, layer, jacobians)
        cache: dict[tuple, dict[str, kag.KAMetrics]] = {}
        by_model: dict[str, list[dict[str, Any]]] = {name: [] for name in models}
        for k in ks:
            for radius in radii:
                values: dict[str, dict[str, list[float]]] = {name: {} for name in models}
                for c_index, center in enumerate(centers):
                    columns = kag.ball_pixels(radius, center)
                    if columns.numel() < k:
                        continue
                    key = (k, c_index, tuple(columns.tolist()))
                    if key not in cache:  # e.g. radii 21 and 28 around the centre: the same pixels
                        cache[key] = measure_alike(jacs, k, n_minors, seed * 100_003 + layer * 1009 + k * 101 + c_index,
                                                   columns, n_rotations, rows)
                    for name, out in cache[key].items():
                        for field in (*METRICS, "zero_minor_fraction", "active_fraction"):
                            values[name].setdefault(field, []).append(getattr(out, field))
                        values[name].setdefault("n_columns", []).append(float(columns.numel()))
                for name, fields in values.items():
                    record: dict[str, Any] = {"model": name, "layer": layer, "k": k, "radius": radius,
                                              "n_centers": len(fields["n_columns"])}
                    record.update({field: float(torch.tensor(v, dtype=torch.float64).nanmean()) for field, v in fields.items()})
                    by_model[name].append(record)
        records.extend(r for name in models for r in by_model[name])
    return records


def jacobian_batches(
    models: Mapping[str, nn.Sequential], x: Tensor, layer: int,
    jacobians: dict[tuple[str, int], tuple[kag.JacobianBatch, Tensor | None]],
) -> dict[str, tuple[kag.JacobianBatch, Tensor | None]]:
    """Each network's Jacobian batch at ``layer`` (:func:`mlpgeo.kag.layer_batch`) with, for a dense batch, its
    transposed copy over all pixels (:func:`mlpgeo.kag.transposed_jacobians`, from which every rotation of every
    pixel set gathers); taken from ``jacobians`` by ``(name, layer)``, or computed and stored there."""
    for name, model in models.items():
        if (name, layer) not in jacobians:
            jac = kag.layer_batch(model, x, layer)
            jacobians[(name, layer)] = (jac, None if isinstance(jac, tuple) else kag.transposed_jacobians(jac))
    return {name: jacobians[(name, layer)] for name in models}


def measure_alike(
    jacs: Mapping[str, tuple[kag.JacobianBatch, Tensor | None]], k: int, n_minors: int, seed: int, columns: Tensor,
    n_rotations: int, rows: str,
) -> dict[str, kag.KAMetrics]:
    """:func:`mlpgeo.kag.jacobian_metrics` of every network's Jacobians with a generator seeded ``seed`` for each.

    ``jacs``: name -> (Jacobian batch, its transposed copy or None), as :func:`jacobian_batches` gives. With
    ``rows="all"`` the draws do not depend on the Jacobians, so they are made once for all networks
    (:func:`mlpgeo.kag.jacobian_metrics_shared`, the same numbers); with ``rows="active"`` each network draws
    its own rows from its active units, from a generator seeded alike.
    """
    if rows == "all":
        batches, transposed = zip(*jacs.values())
        return dict(zip(jacs, kag.jacobian_metrics_shared(list(batches), k, n_minors, seeded(seed), columns,
                                                          n_rotations=n_rotations, transposed=list(transposed))))
    return {name: kag.jacobian_metrics(jac, k, n_minors, seeded(seed), columns, n_rotations=n_rotations, rows=rows)
            for name, (jac, _) in jacs.items()}


def ratio_records(records: Sequence[Mapping[str, Any]], trained: str, random: str = "random") -> list[dict[str, Any]]:
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


def setting_job(
    x_train: Tensor,
    y_train: Tensor,
    x_test: Tensor,
    y_test: Tensor,
    x_probe: Tensor,
    activation: str,
    width: int,
    seed: int,
    epochs: int,
    radii: Sequence[float] = RADII,
    multi_centers: Sequence[Sequence[float]] | None = None,
    snapshot_epochs: Sequence[int] = (),
    n_minors: int = 500,
    n_rotations: int = 5,
    active_radii: Sequence[float] = (14, 28),
    max_shift: float = 2.0,
    max_degrees: float = 10.0,
) -> dict[str, Any]:
    """One job of the KAG report: one (activation, width, seed), its initialisation and both trainings.

    Builds the initialisation ``784 -> width -> width -> 10`` from ``seed``, trains one copy per training in
    :data:`TRAININGS` (:func:`train_copy`: Adam, lr 1e-3, batch 128; the augmented copy on rotated and shifted
    digits) and measures the three networks together on ``x_probe`` (one :func:`sweep` per reading, so the
    initialisation is measured once and every network on the same draws):

    - ``"ratios"``: trained / random ratio records (:func:`ratio_records`) for both hidden layers, by reading,
      then training: ``"centre"`` (k = 1, 2 at ``radii`` around the image centre), with ``multi_centers``
      ``"multi-centre"`` (k = 2, mean over balls at those centres), for piecewise-linear activations
      ``"active rows"`` (k = 2, minor rows from active units at ``active_radii``);
    - ``"accuracy"``: test accuracy of the initialisation and of each trained network;
    - ``"zero_rows"``: :func:`mlpgeo.kag.zero_rows` per training, then layer;
    - ``"epochs"``: ratios (layers 1 and 2, k = 2, all pixels) of the standard network after each of
      ``snapshot_epochs``.

    Returns:
        ``{"activation", "width", "seed", "accuracy", "ratios", "zero_rows", "epochs", "trained"}``;
        ``"trained"`` maps each training to a :func:`mlpgeo.models.snapshot` of its network.
    """
    init = mlp([x_train.shape[1], width, width, 10], activation, generator=seeded(seed))
    nets, histories = {}, {}
    for training in TRAININGS:
        snapshot_every = 1 if snapshot_epochs and training == "standard" else None
        nets[training], histories[training] = train_copy(init, x_train, y_train, training, seed, epochs,
                                                         max_shift=max_shift, max_degrees=max_degrees,
                                                         snapshot_every=snapshot_every)
    tag = {"activation": activation, "width": width, "seed": seed}
    models = {"random": init, **nets}
    readings: list[tuple[str, dict[str, Any]]] = [
        ("centre", dict(ks=(1, 2), radii=radii, centers=(IMAGE_CENTER,), rows="all")),
    ]
    if multi_centers:
        readings.append(("multi-centre", dict(ks=(2,), radii=radii, centers=multi_centers, rows="all")))
    if all(isinstance(act, PIECEWISE_LINEAR) for _, act in check_model(init)):
        readings.append(("active rows", dict(ks=(2,), radii=active_radii, centers=(IMAGE_CENTER,), rows="active")))
    ratios = []
    jacobians: dict[tuple[str, int], tuple[kag.JacobianBatch, Tensor | None]] = {}  # each network's, computed once
    for reading, kwargs in readings:
        records = sweep(models, x_probe, layers=(1, 2), n_minors=n_minors, seed=seed, n_rotations=n_rotations,
                        jacobians=jacobians, **kwargs)
        ratios.extend(dict(tag, training=training, reading=reading, **r)
                      for training in TRAININGS for r in ratio_records(records, training))
    zero = [dict(tag, training=training, layer=layer, **asdict(kag.zero_rows(init, nets[training], x_probe, layer)))
            for training in TRAININGS for layer in (1, 2)]
    snapshots = dict(histories["standard"].snapshots)
    epochs_kept = [epoch for epoch in snapshot_epochs if epoch in snapshots]
    epochs_out = []
    if epochs_kept:
        snaps = {f"epoch {epoch}": from_snapshot(init, snapshots[epoch]) for epoch in epochs_kept}
        for key in [key for key in jacobians if key[0] != "random"]:
            del jacobians[key]  # the trained networks' batches: no longer needed
        records = sweep({"random": init, **snaps}, x_probe, layers=(1, 2), ks=(2,), radii=(28,), n_minors=n_minors,
                        seed=seed, n_rotations=n_rotations, jacobians=jacobians)
        epochs_out = [dict(tag, epoch=epoch, **r) for epoch in epochs_kept for r in ratio_records(records, f"epoch {epoch}")]
    accuracy_out = {"random": accuracy(init, x_test, y_test), **{t: accuracy(nets[t], x_test, y_test) for t in TRAININGS}}
    return dict(tag, accuracy=accuracy_out, ratios=ratios, zero_rows=zero, epochs=epochs_out,
                trained={t: snapshot(nets[t]) for t in TRAININGS})


def with_nets(job: Mapping[str, Any], d_in: int = IMAGE_SIDE * IMAGE_SIDE) -> dict[str, Any]:
    """A :func:`setting_job` result with ``"nets"``: the initialisation (rebuilt from the seed, as the job built
    it) and the trained networks (from the job's snapshots), in place of ``"trained"``."""
    init = mlp([d_in, job["width"], job["width"], 10], job["activation"], generator=seeded(job["seed"]))
    nets = {"random": init, **{t: from_snapshot(init, state) for t, state in job["trained"].items()}}
    return {**{key: value for key, value in job.items() if key != "trained"}, "nets": nets}


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
    radii: Sequence[float] = RADII,
    multi_centers: Sequence[Sequence[float]] | None = None,
    snapshot_epochs: Sequence[int] = (),
    n_minors: int = 500,
    n_rotations: int = 5,
    active_radii: Sequence[float] = (14, 28),
    max_shift: float = 2.0,
    max_degrees: float = 10.0,
) -> dict[str, Any]:
    """Everything the KAG report measures for one (activation, width, seed), in this process.

    :func:`setting_job` (see there for the trainings and readings) with the networks rebuilt (:func:`with_nets`).

    Returns:
        ``{"activation", "width", "seed", "accuracy", "ratios", "zero_rows", "epochs", "nets"}`` where
        each ratio record also carries ``activation, width, seed, training, reading``.
    """
    return with_nets(setting_job(x_train, y_train, x_test, y_test, x_probe, activation, width, seed, epochs, radii=radii,
                                 multi_centers=multi_centers, snapshot_epochs=snapshot_epochs, n_minors=n_minors,
                                 n_rotations=n_rotations, active_radii=active_radii, max_shift=max_shift,
                                 max_degrees=max_degrees), d_in=x_train.shape[1])


def multi_centres(step: float = 7.0) -> list[tuple[float, float]]:
    """The second reading's ball centres: the image centre and the four diagonal grid centres.

    Of :func:`mlpgeo.kag.grid_centers` ``(step)`` keeps the image centre (13.5, 13.5) and the centres on
    neither central axis, e.g. (6.5, 6.5), (6.5, 20.5), (20.5, 6.5), (20.5, 20.5) for ``step = 7``.

    Returns:
        The centres as ``(row, column)`` pairs, in grid order.
    """
    return [c for c in kag.grid_centers(step)
            if c == IMAGE_CENTER or (c[0] != IMAGE_CENTER[0] and c[1] != IMAGE_CENTER[1])]


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
    executor: concurrent.futures.Executor | None = None,
) -> list[dict[str, Any]]:
    """:func:`run_setting` for every (activation, width, seed), in that loop order, as jobs.

    One job (:func:`setting_job`: the initialisation and both trainings) per (activation, width, seed) through
    :func:`mlpgeo.experiments.jobs.run_jobs`; the widest jobs are submitted first (they take longest, so
    several workers finish close together); the results do not depend on the executor. The multi-centre reading and the epoch sweep (standard training) run for
    the widest network only.

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
        executor: where the jobs run (``None``: as the environment says, :func:`mlpgeo.experiments.jobs.executor_from_env`).

    Returns:
        One :func:`run_setting` result per (activation, width, seed).
    """
    wide = max(widths)
    settings = [(activation, width, seed) for activation in activations for width in widths for seed in seeds]
    keys = sorted(settings, key=lambda key: -key[1])  # stable: the widest (slowest) jobs first
    jobs = [dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, x_probe=x_probe, activation=a,
                 width=w, seed=s, epochs=epochs, radii=tuple(radii),
                 multi_centers=tuple(map(tuple, multi_centers)) if w == wide else None,
                 snapshot_epochs=tuple(snapshot_epochs) if w == wide else ())
            for a, w, s in keys]
    results = dict(zip(keys, run_jobs(setting_job, jobs, executor=executor, desc="KAG settings")))
    return [with_nets(results[key], d_in=x_train.shape[1]) for key in settings]


# --------------------------------------------------------------------------------------------------
# The minimum-distance constraint (the summary's third figure)
# --------------------------------------------------------------------------------------------------


def pixel_pairs(min_distance: float, side: int = IMAGE_SIDE) -> Tensor:
    """Every unordered pair of pixels whose centres lie at least ``min_distance`` apart.

    Pixel ``(r, c)`` has index ``r * side + c`` and sits at coordinates ``(r, c)``; with ``min_distance <= 1``
    every pair of distinct pixels is valid (``side^2 (side^2 - 1) / 2`` pairs, 306,936 for 28 x 28).

    Returns:
        Long ``(P, 2)`` pixel indices, ``i < j`` in each row.
    """
    n = side * side
    coords = torch.stack(torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij"), -1).reshape(n, 2).double()
    i, j = torch.triu_indices(n, n, offset=1)
    keep = (coords[i] - coords[j]).norm(dim=1) >= min_distance
    return torch.stack([i[keep], j[keep]], dim=1)


def pair_metrics(
    jacs: Mapping[str, Tensor], pairs: Tensor, n_minors: int = 500, n_rotations: int = 5,
    generator: torch.Generator | None = None,
) -> dict[str, dict[str, float]]:
    """PR, KL and RR of 2-minors whose two columns are drawn from ``pairs`` (the minimum-distance reading).

    The same statistics as :func:`mlpgeo.kag.jacobian_metrics` with ``k = 2``, but each minor's column pair
    is drawn uniformly from the valid ``pairs`` instead of from all pairs; rows are 2 distinct units. As
    there, the positions are shared by the inputs, and every rotation of the rotation ratio (Haar ``Q`` on
    the hidden units) samples fresh positions under the same constraint. The draws do not depend on the
    Jacobians, so they are made once and every network is measured on them (common random numbers).

    Args:
        jacs: network name -> dense Jacobians ``(n, h, d)``, one ``h`` for all.
        pairs: long ``(P, 2)`` valid column pairs (:func:`pixel_pairs`).
        n_minors: minors per input.
        n_rotations: rotations in the rotation ratio.
        generator: the random source (``None``: seeded 0).

    Returns:
        name -> ``{"pr", "kl", "rr"}``: means over inputs (NaN inputs left out).
    """
    generator = seeded(0) if generator is None else generator
    h = {jac.shape[1] for jac in jacs.values()}
    if len(h) != 1:
        raise ValueError(f"jacs must share one layer width to share draws, got widths {sorted(h)}.")
    h = h.pop()

    def draw() -> tuple[Tensor, Tensor]:
        rows = kag.distinct_indices((n_minors,), 2, h, generator)
        cols = pairs[torch.randint(len(pairs), (n_minors,), generator=generator)]
        return rows, cols

    rows, cols = draw()
    rotations = []
    for _ in range(n_rotations):
        q = kag.haar_orthogonal(h, generator, dtype=next(iter(jacs.values())).dtype)
        rotations.append((q, *draw()))
    out = {}
    for name, jac in jacs.items():
        n = jac.shape[0]
        minors = kag.gather_minors(jac, rows.expand(n, n_minors, 2), cols.expand(n, n_minors, 2))
        maxima = []
        for q, r, c in rotations:
            sub = torch.einsum("Nih,nhNj->nNij", q[r], jac[:, :, c])  # rows of Q J at the sampled columns
            maxima.append((sub[..., 0, 0] * sub[..., 1, 1] - sub[..., 0, 1] * sub[..., 1, 0]).abs().amax(dim=1))
        denominator = torch.stack(maxima).mean(dim=0)
        rr = torch.where(denominator > 0, minors.abs().amax(dim=1) / denominator.clamp_min(1e-30),
                         torch.full_like(denominator, float("nan")))
        out[name] = {"pr": float(kag.participation_ratio(minors).nanmean()),
                     "kl": float(kag.kl_from_uniform(minors).nanmean()), "rr": float(rr.nanmean())}
    return out


def min_distance_job(
    nets: Mapping[str, nn.Sequential], x: Tensor, activation: str, width: int, seed: int, layer: int,
    distances: Sequence[float] = MIN_DISTANCES, n_minors: int = 500, n_rotations: int = 5,
) -> list[dict[str, Any]]:
    """One job of the minimum-distance reading: one run's networks at one hidden layer, every distance.

    For every distance ``d``: :func:`pair_metrics` of the ``"random"`` network and of each training in
    ``nets`` on the pixel pairs at least ``d`` apart (:func:`pixel_pairs`), all networks on the same draws
    from a generator seeded from (``seed``, ``layer``, position of ``d``) (common random numbers).

    Returns:
        One record per (distance, training): ``activation, width, seed, training, layer, min_distance,
        n_pairs, pr, kl, rr`` (trained / random ratios).
    """
    every = pixel_pairs(0)
    coords = torch.stack((every // IMAGE_SIDE, every % IMAGE_SIDE), dim=-1).double()  # (P, 2 pixels, 2)
    length = (coords[:, 0] - coords[:, 1]).norm(dim=1)
    names = ["random", *(t for t in TRAININGS if t in nets)]
    jacs = {name: kag.dense(kag.layer_batch(nets[name], x, layer)) for name in names}
    records = []
    for d_index, d in enumerate(distances):
        valid = every[length >= d]
        values = pair_metrics(jacs, valid, n_minors, n_rotations, seeded(seed * 100_003 + layer * 1009 + d_index * 7 + 5))
        for training in names[1:]:
            record = {"activation": activation, "width": width, "seed": seed, "training": training, "layer": layer,
                      "min_distance": d, "n_pairs": len(valid)}
            record.update({m: values[training][m] / values["random"][m] for m in METRICS})
            records.append(record)
    return records


def min_distance_records(
    runs: Iterable[Mapping[str, Any]], x: Tensor, width: int, distances: Sequence[float] = MIN_DISTANCES,
    layers: Sequence[int] = (1, 2), n_minors: int = 500, n_rotations: int = 5,
    executor: concurrent.futures.Executor | None = None,
) -> list[dict[str, Any]]:
    """Trained / random ratios of PR, KL, RR (k = 2, all pixels) as the minimum pixel distance grows.

    For every run of ``width`` (its ``"nets"``) and hidden layer, one job (:func:`min_distance_job`) through
    :func:`mlpgeo.experiments.jobs.run_jobs` on ``executor`` (``None``: as the environment says).

    Returns:
        One record per (run, layer, distance, training): ``activation, width, seed, training, layer,
        min_distance, n_pairs, pr, kl, rr`` (ratios).
    """
    jobs = [dict(nets=run["nets"], x=x, activation=run["activation"], width=width, seed=run["seed"], layer=layer,
                 distances=tuple(distances), n_minors=n_minors, n_rotations=n_rotations)
            for run in runs if run["width"] == width for layer in layers]
    return [r for out in run_jobs(min_distance_job, jobs, executor=executor, desc="KAG minimum distance") for r in out]


def min_distance_stability(records: Iterable[Mapping[str, Any]], max_spread: float = 0.15) -> dict[str, Any]:
    """:func:`signal_stability` of the series (training, activation, layer, metric) across distances.

    Returns:
        :func:`signal_stability`'s numbers, ``"n_series"``, ``"median_relative_spread"`` (all series) and
        ``"valid_pairs"``: ``{distance: number of valid pixel pairs}``.
    """
    records = list(records)
    distances = sorted({r["min_distance"] for r in records})
    signal, stable, spread = [], [], []
    for training, activation, layer in dict.fromkeys((r["training"], r["activation"], r["layer"]) for r in records):
        chosen = select(records, training=training, activation=activation, layer=layer)
        for metric in METRICS:
            stats = group_summaries(chosen, ("min_distance",), metric)
            s = series_stability([stats[(d,)] for d in distances], max_spread)
            spread.append(s["relative_spread"])
            if s["signal"]:
                signal.append((training, activation, f"layer {layer}", metric))
                stable.append(s["stable"])
    pairs = {d: next(r["n_pairs"] for r in records if r["min_distance"] == d) for d in distances}
    return {**signal_stability(signal, stable), "n_series": len(spread),
            "median_relative_spread": float(np.median(spread)), "valid_pairs": pairs}


# --------------------------------------------------------------------------------------------------
# From per-setting records to seed statistics
# --------------------------------------------------------------------------------------------------


def select(records: Iterable[Mapping[str, Any]], **where: Any) -> list[dict[str, Any]]:
    """The records whose fields equal every ``where`` value."""
    return [r for r in records if all(r.get(key) == value for key, value in where.items())]


def gather(runs: Iterable[Mapping[str, Any]], field: str) -> list[dict[str, Any]]:
    """The records of one kind (``"ratios"``, ``"zero_rows"`` or ``"epochs"``) of every run, concatenated."""
    return [record for run in runs for record in run[field]]


def group_summaries(records: Iterable[Mapping[str, Any]], by: Sequence[str], value: str) -> dict[tuple, dict[str, Any]]:
    """:func:`mlpgeo.report.summarize` of ``value`` over the records sharing the fields ``by`` (e.g. seeds),
    in first-seen order of the groups."""
    groups: dict[tuple, list[float]] = {}
    for r in records:
        groups.setdefault(tuple(r[b] for b in by), []).append(float(r[value]))
    return {key: summarize(values) for key, values in groups.items()}


def metric_cells(
    ratios: Iterable[Mapping[str, Any]],
    metrics: Sequence[str] = METRICS,
    by: Sequence[str] = ("activation", "width", "layer", "k", "radius"),
    **where: Any,
) -> dict[tuple, dict[str, Any]]:
    """Seed statistics of each ratio: ``{(*by values, metric): {"mean", "std", "n", "values"}}``.

    ``where`` filters the records first (e.g. ``reading="centre", training="standard"``).
    """
    chosen = select(ratios, **where)
    flat = [dict({b: r[b] for b in by}, metric=m, value=r[m]) for r in chosen for m in metrics]
    return group_summaries(flat, (*by, "metric"), "value")


def well_above_one(cell: Mapping[str, Any], margin: float = 0.1) -> bool:
    """A ratio is "well above 1" if its seed mean is at least ``1 + margin`` and mean - std > 1."""
    return cell["mean"] >= 1 + margin and cell["mean"] - cell["std"] > 1


def accuracy_summary(runs: Sequence[Mapping[str, Any]],
                     trainings: Sequence[str] = ("random", *TRAININGS)) -> dict[str, dict[str, Any]]:
    """Test accuracy over seeds per (activation, width, training).

    Returns:
        ``{"<activation>_<width>_<training>": summarize(accuracies over seeds)}`` in run order.
    """
    settings = list(dict.fromkeys((run["activation"], run["width"]) for run in runs))
    return {
        f"{activation}_{width}_{training}": summarize(
            [run["accuracy"][training] for run in select(runs, activation=activation, width=width)])
        for activation, width in settings for training in trainings
    }


def training_cells(ratios: Iterable[Mapping[str, Any]], reading: str = "centre", **where: Any) -> dict[str, dict[tuple, dict[str, Any]]]:
    """:func:`metric_cells` of standard and of augmented training: ``{training: cells}``.

    Cell keys are ``(activation, width, layer, k, radius, metric)``; ``where`` adds filters (``width=128``).
    """
    ratios = list(ratios)
    return {t: metric_cells(ratios, reading=reading, training=t, **where) for t in TRAININGS}


def above_one_summary(cells: Mapping[tuple, Mapping[str, Any]], activations: Sequence[str]) -> dict[str, Any]:
    """How many cells are "well above 1", overall, per metric and per activation.

    With ``w(c)`` = 1 if :func:`well_above_one` (cell ``c``) else 0: ``share_well_above_1 = mean_c w(c)``
    over all cells, ``<metric>_share_well_above_1`` and ``<activation>_share_well_above_1`` the same over
    the cells of one metric / activation, and ``<metric>_median_ratio`` the median of the cells' seed means.
    """
    def share(chosen: list[Mapping[str, Any]]) -> float:
        return float(np.mean([well_above_one(c) for c in chosen]))

    out: dict[str, Any] = {"share_well_above_1": share(list(cells.values())), "n_cells": len(cells)}
    for metric in METRICS:
        chosen = [c for key, c in cells.items() if key[-1] == metric]
        out[f"{metric}_share_well_above_1"] = share(chosen)
        out[f"{metric}_median_ratio"] = float(np.median([c["mean"] for c in chosen]))
    for activation in activations:
        out[f"{activation}_share_well_above_1"] = share([c for key, c in cells.items() if key[0] == activation])
    return out


def activation_medians(cells: Mapping[tuple, Mapping[str, Any]], activations: Sequence[str]) -> dict[str, float]:
    """Median over cells of the seed-mean ratio, per activation and metric: ``{"<activation>_<metric>_median"}``."""
    return {f"{activation}_{metric}_median": float(np.median([c["mean"] for key, c in cells.items()
                                                               if key[0] == activation and key[-1] == metric]))
            for activation in activations for metric in METRICS}


def augmentation_reductions(
    standard: Mapping[tuple, Mapping[str, Any]], augmented: Mapping[tuple, Mapping[str, Any]], skip_radius: float | None = 21
) -> dict[tuple, float]:
    """Per-cell reduction by augmentation ``1 - ratio_aug / ratio_std`` (seed means); positive = lowered.

    ``skip_radius`` is left out (21 equals 28 around the centre); ``None`` keeps all.
    """
    return {key: 1 - augmented[key]["mean"] / cell["mean"]
            for key, cell in standard.items() if skip_radius is None or key[4] != skip_radius}


def reduction_summary(reductions: Mapping[tuple, float], activations: Sequence[str]) -> dict[str, float]:
    """Median reduction overall, per metric and per activation, and the share of cells lowered.

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
    ratios: Iterable[Mapping[str, Any]],
    width: int,
    radii: Sequence[float],
    activations: Sequence[str],
    readings: Sequence[str] = ("centre", "multi-centre"),
    layers: Sequence[int] = (1, 2),
    k: int = 2,
    max_spread: float = 0.15,
) -> dict[str, Any]:
    """How much each ratio series changes across radii ("scale-agnostic").

    A series is one (reading, training, activation, layer, metric) at ``width`` and ``k``; with ``mu_r``
    its seed mean at radius ``r``, its relative spread is ``(max_r mu_r - min_r mu_r) / mean_r mu_r``, and it
    keeps one verdict if :func:`well_above_one` gives the same answer at every radius.

    The series that carry a signal (:func:`series_stability`) give the deciding numbers of
    :func:`signal_stability`.

    Returns:
        ``{"median_relative_spread", "share_series_one_verdict", "n_series", "signal_series_stable",
        "n_signal_series", "signal_series", "unstable_signal_series"}``.
    """
    ratios = list(ratios)
    spread, same_side = [], []
    signal: list[tuple[str, ...]] = []
    stable: list[bool] = []
    for reading in readings:
        for training in TRAININGS:
            cells = metric_cells(ratios, reading=reading, training=training, width=width, k=k)
            for activation in activations:
                for layer in layers:
                    for metric in METRICS:
                        series = [cells[(activation, width, layer, k, r, metric)] for r in radii]
                        s = series_stability(series, max_spread)
                        spread.append(s["relative_spread"])
                        same_side.append(len({well_above_one(c) for c in series}) == 1)
                        if s["signal"]:
                            signal.append((reading, training, activation, f"layer {layer}", metric))
                            stable.append(s["stable"])
    return {"median_relative_spread": float(np.median(spread)), "share_series_one_verdict": float(np.mean(same_side)),
            "n_series": len(spread), **signal_stability(signal, stable)}


def series_stability(series: Sequence[Mapping[str, Any]], max_spread: float = 0.15) -> dict[str, Any]:
    """Whether one ratio series (seed summaries along a scale) carries a KAG signal and keeps it.

    With ``mu_j`` the seed means along the series: ``relative_spread = (max mu - min mu) / mean mu``;
    ``signal``: :func:`well_above_one` at one point of the series at least (a KA signature exists
    somewhere); ``stable``: well above 1 at every point and ``relative_spread <= max_spread``.

    Returns:
        ``{"relative_spread", "signal", "stable"}``.
    """
    means = np.array([c["mean"] for c in series])
    above = [well_above_one(c) for c in series]
    relative_spread = float((means.max() - means.min()) / means.mean())
    return {"relative_spread": relative_spread, "signal": any(above),
            "stable": all(above) and relative_spread <= max_spread}


def signal_stability(signal: Sequence[tuple[str, ...]], stable: Sequence[bool]) -> dict[str, Any]:
    """The deciding numbers of a stability claim from the signal-carrying series.

    Returns:
        ``{"signal_series_stable": summarize(1 if stable else 0 over signal series)`` (``n = 0`` and mean 0
        when no series carries a signal), ``"n_signal_series"``, ``"signal_series"``: the series named as
        text (the regime), ``"unstable_signal_series"``: those that are not stable}``.
    """
    share = summarize([float(v) for v in stable]) if stable else {"mean": 0.0, "std": 0.0, "n": 0, "values": []}
    return {"signal_series_stable": share, "n_signal_series": len(stable),
            "signal_series": "; ".join(" ".join(map(str, s)) for s in signal) or "none",
            "unstable_signal_series": "; ".join(" ".join(map(str, s)) for s, ok in zip(signal, stable) if not ok) or "none"}


def confound_rows(
    ratios: Iterable[Mapping[str, Any]], widths: Sequence[int], layers: Sequence[int] = (1, 2), radius: float = 28
) -> list[dict[str, Any]]:
    """The active-fraction confound for ReLU, k = 2, per (width, training, layer): seed means.

    Each row holds the mean active-unit shares (``active_random``, ``active_trained``), the raw ratios
    (``pr, kl, rr``), the PR ratio the change in nonzero minors alone predicts (``pr_sparsity``,
    ``sqrt(f_random / f_trained)``) and the ratios with minor rows drawn from active units
    (``pr_active, kl_active, rr_active``).
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


def confound_summary(ratios: Iterable[Mapping[str, Any]], radius: float = 28) -> dict[str, Any]:
    """Median ReLU ratios (k = 2, all pixels) raw and with active rows only, and the sparsity-only PR.

    For each reading the cells are (width, training, layer) seed means; ``<metric>_median`` is their
    median. ``pr_sparsity_only_median`` is the median over records of ``sqrt(f_random / f_trained)``.

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


def zero_rows_summary(zero_rows_records: Iterable[Mapping[str, Any]], activations: Sequence[str]) -> dict[str, Any]:
    """Zero-row shares after training: overall mean per unit, and seed summaries per activation.

    Returns:
        ``{"zero_rows_unit_all": summarize(every setting's share; its mean decides the claim),
        "zero_rows_unit_mean": float, "zero_rows_unit_<activation>": summarize(...), ...,
        "zero_rows_per_input_<activation>": summarize(...), ...}``.
    """
    records = list(zero_rows_records)
    out: dict[str, Any] = {"zero_rows_unit_all": summarize([z["zero_rows_unit"] for z in records]),
                           "zero_rows_unit_mean": float(np.mean([z["zero_rows_unit"] for z in records]))}
    for activation in activations:
        out[f"zero_rows_unit_{activation}"] = summarize([z["zero_rows_unit"] for z in select(records, activation=activation)])
    for activation in activations:
        out[f"zero_rows_per_input_{activation}"] = summarize([z["zero_rows_input"] for z in select(records, activation=activation)])
    return out


def epoch_sweep_metric(epoch_records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """The epoch sweep as a flat metric: ``{"<activation>_l<layer>_e<epoch>_s<seed>": {metric: ratio}}``."""
    return {f"{e['activation']}_l{e['layer']}_e{e['epoch']}_s{e['seed']}": {m: e[m] for m in METRICS} for e in epoch_records}


def epoch_means(epoch_records: Iterable[Mapping[str, Any]]) -> dict[tuple[str, int, str], dict[int, float]]:
    """Seed-mean ratio at each snapshot epoch: ``{(activation, layer, metric): {epoch: mean}}``, epochs sorted,
    in record order of (activation, layer) and metric order :data:`mlpgeo.kag.METRICS`."""
    records = list(epoch_records)
    out: dict[tuple[str, int, str], dict[int, float]] = {}
    for activation, layer in dict.fromkeys((r["activation"], r["layer"]) for r in records):
        chosen = select(records, activation=activation, layer=layer)
        for metric in METRICS:
            stats = group_summaries(chosen, ("epoch",), metric)
            out[(activation, layer, metric)] = {key[0]: stats[key]["mean"] for key in sorted(stats)}
    return out


def width_gains(
    cells: Mapping[str, Mapping[tuple, Mapping[str, Any]]], wide: int, narrow: int, skip_radius: float | None = 21,
    signal_only: bool = False,
) -> np.ndarray:
    """Per-cell ratio of the wide network's seed mean to the narrow one's, over both trainings.

    With ``signal_only`` only the cells where at least one of the two widths is :func:`well_above_one`
    count (a ratio moving from 0.7 to 1 is no stronger KA signature).

    Args:
        cells: ``{training: metric_cells(...)}`` (:func:`training_cells`).
        wide: the wider width.
        narrow: the narrower width.
        skip_radius: radius left out (21 equals 28 around the centre); ``None`` keeps all.
        signal_only: keep only the cells with a signal at either width.

    Returns:
        ``(n_cells,)`` array of ``ratio(h = wide) / ratio(h = narrow)``; > 1 = wider is stronger.
    """
    gains = []
    for training in TRAININGS:
        c = cells[training]
        for (activation, width, layer, k, radius, metric), cell in c.items():
            if width != wide or (skip_radius is not None and radius == skip_radius):
                continue
            other = c[(activation, narrow, layer, k, radius, metric)]
            if signal_only and not (well_above_one(cell) or well_above_one(other)):
                continue
            gains.append(cell["mean"] / other["mean"])
    return np.array(gains)


def width_summary(gains: np.ndarray) -> dict[str, Any]:
    """``{"share_cells_wider_stronger": mean(gains > 1), "median_wide_over_narrow": median(gains), "n_cells"}``
    (share 0 and median ``None`` when there is no cell)."""
    if gains.size == 0:
        return {"share_cells_wider_stronger": 0.0, "median_wide_over_narrow": None, "n_cells": 0}
    return {"share_cells_wider_stronger": float(np.mean(gains > 1)), "median_wide_over_narrow": float(np.median(gains)),
            "n_cells": int(gains.size)}


def width_summaries_by_activation(
    cells: Mapping[str, Mapping[tuple, Mapping[str, Any]]], wide: int, narrow: int, activations: Sequence[str],
    skip_radius: float | None = 21, signal_only: bool = False,
) -> dict[str, dict[str, Any]]:
    """:func:`width_summary` of :func:`width_gains` restricted to the cells of each activation."""
    return {activation: width_summary(width_gains({t: {key: c for key, c in cells[t].items() if key[0] == activation}
                                                   for t in TRAININGS}, wide, narrow, skip_radius, signal_only))
            for activation in activations}


def first_run(runs: Iterable[Mapping[str, Any]], activation: str, width: int) -> Mapping[str, Any]:
    """The first run (lowest seed in loop order) of one (activation, width)."""
    return next(run for run in runs if run["activation"] == activation and run["width"] == width)


def trained_and_random_minors(nets: Mapping[str, nn.Sequential], x: Tensor, layer: int = 1, k: int = 2,
                              seed: int = 0) -> dict[str, Tensor]:
    """Sampled k-minors (all pixels) of the standard network and of its initialisation.

    Each network gets a fresh generator seeded with ``seed``, so both are measured on the same positions.

    Returns:
        ``{"standard": minors, "random": minors}``, each ``(n, n_minors)``.
    """
    return {name: kag.ka_metrics(nets[name], x, layer=layer, k=k, generator=seeded(seed)).minors
            for name in ("standard", "random")}


def top_units(model: nn.Sequential, x: Tensor, layer: int = 1, n: int = 6) -> list[int]:
    """The ``n`` units whose Jacobian rows at ``x[0]`` have the largest norms (largest first)."""
    return kag.row_norms(kag.layer_jacobians(model, x[:1], layer))[0].argsort(descending=True)[:n].tolist()


# --------------------------------------------------------------------------------------------------
# Claim rules
# --------------------------------------------------------------------------------------------------


def scale_agnostic_verdict(median_spread: float, share_one_verdict: float) -> str:
    """The FIRST rule of "scale-agnostic" (kept beside the revised one): reproduced if median spread <= 0.15
    and >= 90% of series keep one verdict; partly if spread <= 0.30."""
    if median_spread <= 0.15 and share_one_verdict >= 0.9:
        return "reproduced"
    return "partly reproduced" if median_spread <= 0.3 else "not reproduced"


def stability_verdict(n_signal: int, share_stable: float, min_series: int = 3) -> str:
    """The revised rule of the stability claims (scale-agnostic, minimum distance).

    Fewer than ``min_series`` series carrying a signal: not reproduced (no KA geometry to be stable).
    Otherwise the share of signal series that stay well above 1 everywhere with relative spread <= 0.15:
    >= 0.9 reproduced, >= 0.5 partly, else not reproduced.
    """
    if n_signal < min_series:
        return "not reproduced"
    return threshold_verdict(share_stable, 0.9, 0.5)


def larger_stronger_first_verdict(share_stronger: float, median_gain: float) -> str:
    """The FIRST rule of "larger networks are stronger" (all cells; kept beside the revised one): reproduced
    if the wider network wins >= 80% of cells with median gain > 5%; partly if it wins >= 50%."""
    if share_stronger >= 0.8 and median_gain > 1.05:
        return "reproduced"
    return "partly reproduced" if share_stronger >= 0.5 else "not reproduced"


def larger_stronger_verdict(share_stronger: float, median_gain: float | None, n_cells: int, min_cells: int = 3) -> str:
    """The revised rule, on the cells with a signal at either width (:func:`width_gains` ``signal_only``):
    fewer than ``min_cells`` such cells not reproduced; else the first rule's thresholds on them."""
    if n_cells < min_cells or median_gain is None:
        return "not reproduced"
    return larger_stronger_first_verdict(share_stronger, median_gain)


def claim_ratios_above_one(cells: Mapping[tuple, Mapping[str, Any]], training: str, activations: Sequence[str]) -> Claim:
    """The source: PR, KL and RR ratios stay "well above baseline" at every radius, for one training.

    Rule: the share of cells (:func:`metric_cells`) that are :func:`well_above_one` is >= 0.9 reproduced,
    >= 0.5 partly, otherwise not reproduced (:func:`above_one_summary`). The same rule per activation names
    the regime (``verdict_<activation>``).
    """
    check_choice(training, "training", TRAININGS)
    summary = above_one_summary(cells, activations)
    measured: dict[str, Any] = {"cells_well_above_1": summarize([float(well_above_one(c)) for c in cells.values()])}
    measured.update(summary)
    for activation in activations:
        measured[f"verdict_{activation}"] = threshold_verdict(summary[f"{activation}_share_well_above_1"], 0.9, 0.5)
    return Claim(
        id=f"ratios-above-one-{training}",
        kind="source",
        claim=f"{training.capitalize()} training: PR, KL and RR ratios (trained / random) are well above 1 at every "
        "radius 7-28 px (criterion: share of cells with seed mean >= 1.1 and mean - std > 1; >= 90% reproduced, "
        ">= 50% partly)",
        source_value="well above 1 at every scale",
        criterion="share of cells (activation, width, layer, k, radius, metric) with seed mean >= 1.1 and "
        "mean - std > 1: >= 0.9 reproduced, >= 0.5 partly, otherwise not reproduced",
        measured=measured,
        verdict=threshold_verdict(summary["share_well_above_1"], 0.9, 0.5),
        section=SECTION_SCALES,
    )


def seed_reductions(
    standard: Mapping[tuple, Mapping[str, Any]], augmented: Mapping[tuple, Mapping[str, Any]],
    skip_radius: float | None = 21, signal_only: bool = True,
) -> list[float]:
    """Per seed, the median over cells of ``1 - ratio_aug / ratio_std`` (paired: same seed, same init).

    With ``signal_only`` only the cells whose standard ratio is :func:`well_above_one` count (a ratio
    below 1 has no KA signature to lower). Seeds are the positions of the cells' ``values``.

    Returns:
        One median per seed (empty when no cell counts).
    """
    keys = [key for key, cell in standard.items()
            if (skip_radius is None or key[4] != skip_radius) and (not signal_only or well_above_one(cell))]
    if not keys:
        return []
    n_seeds = min(min(len(standard[k]["values"]), len(augmented[k]["values"])) for k in keys)
    return [float(np.median([1 - augmented[k]["values"][i] / standard[k]["values"][i] for k in keys]))
            for i in range(n_seeds)]


def claim_augmentation_lowers(
    standard: Mapping[tuple, Mapping[str, Any]], augmented: Mapping[tuple, Mapping[str, Any]],
    activations: Sequence[str], skip_radius: float | None = 21,
) -> Claim:
    """The source: augmented models show "approximately 30% lower ratios" (of ratios well above baseline).

    Revised rule (:func:`seed_reductions`): per seed the median over the cells whose standard ratio is well
    above 1 of ``1 - ratio_aug / ratio_std``; the mean over seeds in [0.20, 0.45] reproduced, in (0.05, 0.70)
    partly, otherwise (or with no such cell) not reproduced. The first rule (median over all cells of the
    seed means, same bands) is kept beside it as ``first_rule_verdict``.
    """
    per_seed = seed_reductions(standard, augmented, skip_radius)
    first = reduction_summary(augmentation_reductions(standard, augmented, skip_radius), activations)
    first_verdict = band_verdict(first["median_reduction"], reproduced=(0.2, 0.45), partly=(0.05, 0.7),
                                 partly_closed=False)
    n_signal = sum(1 for key, c in standard.items()
                   if (skip_radius is None or key[4] != skip_radius) and well_above_one(c))
    if per_seed:
        deciding = summarize(per_seed)
        verdict = band_verdict(deciding["mean"], reproduced=(0.2, 0.45), partly=(0.05, 0.7), partly_closed=False)
    else:
        deciding = {"mean": 0.0, "std": 0.0, "n": 0, "values": []}
        verdict = "not reproduced"
    measured: dict[str, Any] = {"reduction_signal_cells": deciding, "n_signal_cells": n_signal,
                                "first_rule_verdict": first_verdict}
    for activation in activations:
        sub = {key: c for key, c in standard.items() if key[0] == activation}
        values = seed_reductions(sub, augmented, skip_radius)
        measured[f"reduction_signal_cells_{activation}"] = summarize(values) if values else "no signal cell"
    measured.update(first)
    return Claim(
        id="augmentation-lowers-ratios",
        kind="source",
        claim="Spatial augmentation lowers the trained/random ratios by about 30% (criterion: on the cells whose "
        "standard ratio is well above 1, mean over seeds of the median 1 - aug/std in [0.20, 0.45] reproduced; in "
        "(0.05, 0.70) partly; otherwise not)",
        source_value="about 30% lower (secondary source: 30-40%)",
        criterion="cells whose standard ratio is well above 1; per seed the median over them of 1 - ratio_aug / "
        "ratio_std; its mean over seeds in [0.20, 0.45] reproduced, in (0.05, 0.70) partly; otherwise (or no such "
        "cell) not reproduced",
        measured=measured,
        verdict=verdict,
        section=SECTION_SCALES,
    )


def claim_scale_agnostic(
    ratios: Iterable[Mapping[str, Any]], width: int, radii: Sequence[float], activations: Sequence[str],
    readings: Sequence[str] = ("centre", "multi-centre"), k: int = 2,
) -> Claim:
    """The source: the signature is "scale-agnostic" across ball radii 7 to 28 px.

    Revised rule (:func:`scale_spread`, :func:`stability_verdict`): only series (reading, training,
    activation, layer, metric) with a signal count (well above 1 at one radius at least); the share of them
    that are well above 1 at every radius with relative spread <= 0.15: >= 0.9 reproduced, >= 0.5 partly,
    otherwise (or fewer than 3 signal series) not reproduced. The first rule (all series, median spread
    <= 0.15 and >= 90% keeping one verdict) is kept beside it as ``first_rule_verdict``.
    """
    spread = scale_spread(ratios, width, radii, activations, readings=readings, k=k)
    measured: dict[str, Any] = {
        "signal_series_stable": spread["signal_series_stable"],
        "n_signal_series": spread["n_signal_series"],
        "n_series": spread["n_series"],
        "signal_series": spread["signal_series"],
        "unstable_signal_series": spread["unstable_signal_series"],
        "first_rule_verdict": scale_agnostic_verdict(spread["median_relative_spread"], spread["share_series_one_verdict"]),
        "median_relative_spread": spread["median_relative_spread"],
        "share_series_one_verdict": spread["share_series_one_verdict"],
    }
    return Claim(
        id="scale-agnostic",
        kind="source",
        claim="The KAG signature is scale-agnostic: ratios that are well above 1 stay so, and change little, between "
        "radii 7, 14, 21, 28 px (criterion: share of signal series well above 1 at every radius with (max-min)/mean "
        "<= 0.15; >= 0.9 reproduced, >= 0.5 partly; < 3 signal series not reproduced)",
        source_value="same qualitative pattern at every radius 7-28 px",
        criterion="series well above 1 at some radius count; share of them well above 1 at every radius with "
        "(max - min) / mean <= 0.15: >= 0.9 reproduced, >= 0.5 partly; otherwise or < 3 such series not reproduced",
        measured=measured,
        verdict=stability_verdict(spread["n_signal_series"], spread["signal_series_stable"]["mean"]),
        section=SECTION_CENTRES,
    )


def claim_zero_rows(zero_rows_records: Iterable[Mapping[str, Any]], activations: Sequence[str]) -> Claim:
    """The source (a related talk): about 9-13% "zero rows" after training.

    Rule: the per-unit zero-row share, mean over all settings (:func:`zero_rows_summary`), in [0.06, 0.16]
    reproduced, in [0.02, 0.30] partly, otherwise not reproduced.
    """
    measured = zero_rows_summary(zero_rows_records, activations)
    return Claim(
        id="zero-rows",
        kind="source",
        claim="About 9-13% of Jacobian rows are zero rows after training (predecessor paper / talk; per-unit reading, "
        "threshold = 1st percentile of the initial row norms; criterion: mean in [0.06, 0.16] reproduced, "
        "[0.02, 0.30] partly)",
        source_value="9-13%",
        criterion="per-unit zero-row share (threshold: 1st percentile of the initial row norms), mean over all "
        "settings, in [0.06, 0.16] reproduced, in [0.02, 0.30] partly, otherwise not reproduced",
        measured=measured,
        verdict=band_verdict(measured["zero_rows_unit_mean"], reproduced=(0.06, 0.16), partly=(0.02, 0.30)),
        section=SECTION_ZERO_ROWS,
    )


def claim_larger_stronger(
    cells: Mapping[str, Mapping[tuple, Mapping[str, Any]]], wide: int, narrow: int, skip_radius: float | None = 21,
    activations: Sequence[str] = ("relu", "gelu"),
) -> Claim:
    """The source: "larger networks demonstrat[e] stronger geometric signatures".

    Revised rule (:func:`width_gains` with ``signal_only``, :func:`larger_stronger_verdict`): only cells
    where either width's ratio is well above 1 count; the wider network's ratio is larger in >= 80% of them
    with a median gain above 5% reproduced; in >= 50% partly; otherwise (or < 3 such cells) not. The first
    rule (all cells) is kept beside it as ``first_rule_verdict``.
    """
    gains = width_gains(cells, wide, narrow, skip_radius, signal_only=True)
    summary = width_summary(gains)
    first = width_summary(width_gains(cells, wide, narrow, skip_radius))
    deciding = summarize((gains > 1).astype(float)) if gains.size else {"mean": 0.0, "std": 0.0, "n": 0, "values": []}
    measured: dict[str, Any] = {
        "signal_cells_wider_stronger": deciding,
        "median_wide_over_narrow_signal_cells": summary["median_wide_over_narrow"],
        "n_signal_cells": summary["n_cells"],
    }
    for activation, by in width_summaries_by_activation(cells, wide, narrow, activations, skip_radius,
                                                        signal_only=True).items():
        measured[f"{activation}_signal_cells_wider_stronger"] = by["share_cells_wider_stronger"]
        measured[f"{activation}_n_signal_cells"] = by["n_cells"]
    measured.update({"first_rule_verdict": larger_stronger_first_verdict(first["share_cells_wider_stronger"],
                                                                         first["median_wide_over_narrow"]),
                     "share_cells_wider_stronger": first["share_cells_wider_stronger"],
                     "median_wide_over_narrow": first["median_wide_over_narrow"], "n_cells": first["n_cells"]})
    return Claim(
        id="larger-stronger",
        kind="source",
        claim=f"Larger networks show stronger KAG signatures (criterion: of the cells with a ratio well above 1 at "
        f"either width, share where h={wide} beats h={narrow} >= 0.8 with median gain > 5% reproduced; >= 0.5 partly)",
        source_value="larger networks stronger",
        criterion=f"cells with a ratio well above 1 at h={wide} or h={narrow}: share where h={wide} is larger >= 0.8 "
        "with median gain > 1.05 reproduced; share >= 0.5 partly; otherwise or < 3 such cells not reproduced",
        measured=measured,
        verdict=larger_stronger_verdict(summary["share_cells_wider_stronger"], summary["median_wide_over_narrow"],
                                        summary["n_cells"]),
        section=SECTION_WIDTH,
    )


def claim_min_distance_stable(records: Iterable[Mapping[str, Any]]) -> Claim:
    """The source's third figure: ratios stay stable across minimum-distance constraints while the number
    of valid pairs falls.

    Rule (:func:`min_distance_stability`, :func:`stability_verdict`): series (training, activation, layer,
    metric) well above 1 at one distance at least count; the share of them well above 1 at every distance
    with relative spread <= 0.15: >= 0.9 reproduced, >= 0.5 partly, otherwise (or < 3 such series) not.
    """
    out = min_distance_stability(records)
    pairs = out["valid_pairs"]
    first, last = min(pairs), max(pairs)
    measured = {"signal_series_stable": out["signal_series_stable"], "n_signal_series": out["n_signal_series"],
                "n_series": out["n_series"], "signal_series": out["signal_series"],
                "unstable_signal_series": out["unstable_signal_series"],
                "median_relative_spread": out["median_relative_spread"],
                f"valid_pairs_d{first}": pairs[first], f"valid_pairs_d{last}": pairs[last]}
    return Claim(
        id="min-distance-stable",
        kind="source",
        claim="Ratios stay stable across minimum-distance constraints between a minor's pixels while the number of "
        "valid pairs falls (criterion: share of signal series well above 1 at every distance with (max-min)/mean "
        "<= 0.15; >= 0.9 reproduced, >= 0.5 partly; < 3 signal series not reproduced)",
        source_value="stable ratios as valid pairs decrease",
        criterion="series well above 1 at some distance count; share of them well above 1 at every distance with "
        "(max - min) / mean <= 0.15: >= 0.9 reproduced, >= 0.5 partly; otherwise or < 3 such series not reproduced",
        measured=measured,
        verdict=stability_verdict(out["n_signal_series"], out["signal_series_stable"]["mean"]),
        section=SECTION_MIN_DISTANCE,
    )


# --------------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------------


def _text(value: Any, digits: int = 3) -> str:
    """A number, a seed summary or text as table text: floats with ``digits`` decimals."""
    if isinstance(value, Mapping) and {"mean", "std"} <= set(value):
        return f"{value['mean']:.{digits}f} ± {value['std']:.{digits}f}"
    if isinstance(value, (bool, np.bool_)) or value is None:
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.{digits}f}"
    return str(value)


def _table(rows: Mapping[str, Mapping[str, Any]], index: str, digits: int = 3) -> Table:
    return Table({label: {column: _text(v, digits) for column, v in row.items()} for label, row in rows.items()},
                 index=index, only_formatted=False)


def measured_table(claims: Iterable[Claim]) -> Table:
    """The verdict and the numbers behind it (seed summaries as mean ± std), one row per claim."""
    return _table({c.id: {"verdict": c.verdict, **c.measured} for c in claims}, "claim")


def accuracy_table(summaries: Mapping[str, Mapping[str, Any]]) -> Table:
    """Test accuracy (mean ± std over seeds) from :func:`accuracy_summary`: rows (activation, width),
    columns the networks."""
    rows: dict[str, dict[str, Any]] = {}
    for key, summary in summaries.items():
        activation, width, training = key.rsplit("_", 2)
        rows.setdefault(f"{activation}, h = {width}", {})[training] = summary
    return _table(rows, "network")


def cells_table(cells: Mapping[tuple, Mapping[str, Any]], skip_radius: float | None = 21) -> Table:
    """Every cell of :func:`metric_cells` as ``mean ± std``, starred when :func:`well_above_one`.

    Rows: (activation, width, layer, k); columns: metric and radius (``skip_radius`` left out).
    """
    rows: dict[str, dict[str, str]] = {}
    for (activation, width, layer, k, radius, metric), cell in sorted(cells.items(), key=lambda kv: tuple(str(v) for v in kv[0])):
        if skip_radius is not None and radius == skip_radius:
            continue
        star = " *" if well_above_one(cell) else ""
        rows.setdefault(f"{activation}, h = {width}, layer {layer}, k = {k}", {})[f"{metric.upper()} r={radius}"] = \
            _text(cell) + star
    order = sorted({c for row in rows.values() for c in row},
                   key=lambda c: (METRICS.index(c.split()[0].lower()), float(c.split("=")[1])))
    return Table({label: {c: row.get(c, "") for c in order} for label, row in rows.items()}, index="setting",
                 only_formatted=False)


def medians_table(medians: Mapping[str, Mapping[str, float]]) -> Table:
    """Median ratios of :func:`activation_medians` per training: rows trainings, columns (activation, metric)."""
    return _table({t: {key.removesuffix("_median").replace("_", " ").upper(): v for key, v in m.items()}
                   for t, m in medians.items()}, "training")


def confound_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    """:func:`confound_rows` as a table: active-unit shares, raw / sparsity-only / active-row ratios."""
    names = {"active_random": "active (random)", "active_trained": "active (trained)", "pr": "PR raw",
             "pr_sparsity": "PR sparsity-only", "pr_active": "PR active rows", "kl": "KL raw", "kl_active": "KL active rows",
             "rr": "RR raw", "rr_active": "RR active rows"}
    return _table({f"h = {r['width']}, {r['training']}, layer {r['layer']}": {label: r[key] for key, label in names.items()}
                   for r in rows}, "ReLU, k = 2")


def confound_summary_table(summary: Mapping[str, Any]) -> Table:
    """:func:`confound_summary` as a table: median ratios raw and with active rows only."""
    rows = {name: {m.upper(): summary[key][f"{m}_median"] for m in METRICS}
            for name, key in (("raw (all rows)", "raw"), ("active rows only", "active_rows"))}
    rows["PR from the sparsity change alone"] = {"PR": summary["pr_sparsity_only_median"]}
    return _table(rows, "median over cells")


def zero_rows_table(zero_rows_records: Iterable[Mapping[str, Any]]) -> Table:
    """Seed means of the zero-row and dead-unit shares per (activation, width, training, layer)."""
    keys = ("zero_rows_input", "zero_rows_input_init", "zero_rows_unit", "dead_units", "dead_units_init")
    records = list(zero_rows_records)
    settings = dict.fromkeys((r["activation"], r["width"], r["training"], r["layer"]) for r in records)
    rows = {}
    for activation, width, training, layer in settings:
        chosen = select(records, activation=activation, width=width, training=training, layer=layer)
        rows[f"{activation}, h = {width}, {training}, layer {layer}"] = {
            key.replace("_", " "): float(np.mean([r[key] for r in chosen])) for key in keys}
    return _table(rows, "setting")


def epoch_table(means: Mapping[tuple[str, int, str], Mapping[int, float]]) -> Table:
    """:func:`epoch_means` as a table: rows (activation, layer, metric), columns epochs."""
    return _table({f"{activation}, layer {layer}, {metric.upper()}": {f"epoch {e}": v for e, v in by_epoch.items()}
                   for (activation, layer, metric), by_epoch in means.items()}, "seed mean")


def width_table(by_activation: Mapping[str, Mapping[str, Any]]) -> Table:
    """:func:`width_summaries_by_activation` as a table, one row per activation."""
    return _table(dict(by_activation), "activation")


# --------------------------------------------------------------------------------------------------
# The report's figures
# --------------------------------------------------------------------------------------------------


def ratio_curves(
    ratios: Iterable[Mapping[str, Any]], metric: str, radii: Sequence[float], activations: Sequence[str], **where: Any
) -> dict[str, tuple[list[float], list[float]]]:
    """Seed mean and std of one ratio against radius, per activation and training.

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


def plot_ratio_curves(
    radii: Sequence[float], curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], metric: str, ax: Any = None
) -> Any:
    """Ratio (trained / random) against radius: ``curves`` maps a label to (means, stds) per radius;
    labels containing "augmented" are dashed."""
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


def plot_ratio_grid(
    ratios: Iterable[Mapping[str, Any]], reading: str, k: int, width: int, radii: Sequence[float],
    activations: Sequence[str], n_seeds: int,
) -> Figure:
    """Ratio-versus-radius curves: rows = hidden layers 1 and 2, columns = PR, KL, RR."""
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


def plot_pixel_sets(image: Tensor, radii: Sequence[float], radius: float, centers: Sequence[Sequence[float]]) -> Figure:
    """Two panels: the centred balls of every radius, and the balls of one radius at several centres."""
    fig, axes = plt.subplots(1, 2, figsize=(7.6, 4.4))
    kag.plot_ball_masks(image, radii, ax=axes[0])
    kag.plot_ball_centres(image, radius, centers, ax=axes[1])
    whole = [str(r) for r in radii if kag.ball_pixels(r).numel() == IMAGE_SIDE * IMAGE_SIDE]
    note = f"\n(r = {', '.join(whole)}: all 784 pixels, circles outside the frame)" if whole else ""
    axes[0].set_title(f"balls around the centre{note}", fontsize=9)
    axes[1].set_title(f"second reading:\nr = {radius} at {len(centers)} centres", fontsize=9)
    return fig


def plot_minor_histograms(runs: Iterable[Mapping[str, Any]], x: Tensor, activations: Sequence[str], width: int,
                          layer: int = 1, k: int = 2) -> Figure:
    """Minor histograms trained vs init (:func:`mlpgeo.kag.plot_minor_histogram`) of the first seed, one
    panel per activation."""
    runs = list(runs)
    fig, axes = plt.subplots(1, len(activations), figsize=(4.5 * len(activations), 3.3), squeeze=False)
    for ax, activation in zip(axes[0], activations):
        minors = trained_and_random_minors(first_run(runs, activation, width)["nets"], x, layer=layer, k=k)
        kag.plot_minor_histogram(minors["standard"], minors["random"], k=k, ax=ax)
        ax.set_title(f"{activation}, h = {width}, layer {layer}")
    return fig


def plot_jacobian_row_grid(nets: Mapping[str, nn.Sequential], x: Tensor, units: Sequence[int], layer: int = 1) -> Figure:
    """Rows of ``J(x[0])`` of a few units, one row of panels per network (random, standard, augmented)."""
    names = [name for name in ("random", *TRAININGS) if name in nets]
    fig, axes = plt.subplots(len(names), len(units), figsize=(1.6 * len(units), 1.9 * len(names)), squeeze=False)
    for row, name in zip(axes, names):
        jac = kag.layer_jacobians(nets[name], x[:1], layer)[0]
        kag.plot_jacobian_rows(jac, units, axes=row)
        row[0].set_ylabel(name, fontsize=9)
    return fig


def plot_confound(summary: Mapping[str, Any]) -> Figure:
    """Bars of the median ReLU ratios raw and with active rows only, and the sparsity-only PR line."""
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
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
    return fig


def plot_epoch_sweep(epoch_records: Iterable[Mapping[str, Any]], activations: Sequence[str], title: str = "") -> Figure:
    """Ratios against training epoch, one panel per metric, mean ± std over seeds per activation and layer
    (layer 1 solid, layer 2 dashed)."""
    records = list(epoch_records)
    fig, axes = plt.subplots(1, len(METRICS), figsize=(10, 3.2))
    for ax, metric in zip(axes, METRICS):
        for i, activation in enumerate(activations):
            for layer, style in ((1, "-"), (2, "--")):
                stats = group_summaries(select(records, activation=activation, layer=layer), ("epoch",), metric)
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


def plot_width_gains(gains: np.ndarray, wide: int, narrow: int) -> Figure:
    """Histogram of the per-cell wide / narrow ratios (:func:`width_gains`), with the line at 1."""
    fig, ax = plt.subplots(figsize=(4.6, 3.2))
    ax.hist(gains, bins=20, color=color(0))
    ax.axvline(1, color="black", ls=":")
    ax.set_xlabel(f"ratio at h = {wide} / ratio at h = {narrow}")
    ax.set_ylabel("cells")
    ax.set_title("does width strengthen the signature?")
    return fig


def plot_min_distance(records: Iterable[Mapping[str, Any]], activations: Sequence[str], n_seeds: int) -> Figure:
    """Ratios against the minimum pixel distance (rows = layers 1 and 2, columns PR, KL, RR) and the number
    of valid pixel pairs (last column, log scale); mean ± std over seeds, augmented dashed."""
    records = list(records)
    fig, axes = plt.subplots(2, 4, figsize=(10, 5.4))
    for row, layer in zip(axes, (1, 2)):
        for ax, metric in zip(row, METRICS):
            for i, activation in enumerate(activations):
                for training in TRAININGS:
                    stats = group_summaries(select(records, activation=activation, layer=layer, training=training),
                                            ("min_distance",), metric)
                    xs = sorted(stats)
                    ax.errorbar([x[0] for x in xs], [stats[x]["mean"] for x in xs], yerr=[stats[x]["std"] for x in xs],
                                color=color(2 * i + (training == "augmented")), ls="--" if training == "augmented" else "-",
                                marker="o", ms=3, capsize=2, label=f"{activation} {training}")
            ax.axhline(1, color="black", lw=0.8, ls=":")
            ax.set_title(f"{metric.upper()}, layer {layer}", fontsize=9)
            ax.set_ylabel(f"{metric.upper()} trained / random", fontsize=8)
            if layer == 2:
                ax.set_xlabel("min. pixel distance")
    pairs = dict(sorted({r["min_distance"]: r["n_pairs"] for r in records}.items()))
    axes[0, 3].plot(list(pairs), list(pairs.values()), color="black", marker="o", ms=3)
    axes[0, 3].set_yscale("log")
    axes[0, 3].set_title("valid pixel pairs", fontsize=9)
    axes[0, 3].set_xlabel("min. pixel distance")
    axes[1, 3].axis("off")
    axes[1, 3].legend(*axes[0, 0].get_legend_handles_labels(), loc="center", fontsize=8)
    fig.suptitle(f"k = 2, all pixels, mean ± std over {n_seeds} seeds")
    fig.tight_layout()
    return fig
