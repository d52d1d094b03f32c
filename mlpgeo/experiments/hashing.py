"""The report "MLPs as hashing functions" (``reports/hashing.ipynb``): its experiments, claim rules and figures.

Source: S. Shekkizhar, "Understanding MLPs as Hashing Functions: A Geometric Perspective" (Tenyx blog,
2024). The blog reads a ReLU MLP as a locality-sensitive hash: each neuron is a hyperplane, an input's code
is the side it falls on for every neuron, and the network is a different affine map on each code's region.

Sections and their drivers (each a top-level function of its settings and ``seed: int``, returning plain
results). Every loop over seeds and settings runs as jobs (:func:`mlpgeo.experiments.jobs.run_jobs`): a
``*_job`` function runs one setting and one seed and returns plain, picklable results (trained networks as
:func:`mlpgeo.models.snapshot`; MNIST jobs load the digits themselves, :func:`mnist`), and the ``*_study``
functions map it over seeds and settings on the ``executor`` they are given and reassemble the results in
job order, so the numbers do not depend on where the jobs ran:

1. Neurons as hyperplanes: :func:`toy_hash_experiment`, :func:`all_sign_codes`, :func:`toy_study`.
2. Used versus possible codes on MNIST: :func:`mnist_code_experiment`, :func:`mnist_code_study`.
3. Wide versus deep: :func:`depth_experiment`, :func:`depth_study`, :func:`typical_count_ratios`; learning
   dynamics at an equal parameter count on MNIST: :func:`depth_dynamics_experiment`,
   :func:`depth_dynamics_study`, :func:`parameter_count`.
4. Removing the biases: :func:`bias_experiment`, :func:`bias_study` (2-D moons) and
   :func:`mnist_bias_experiment`, :func:`mnist_bias_study` (standardised MNIST, :func:`standardise`).
5. Learning as partition refinement: :func:`refinement_experiment`, :func:`refinement_study`,
   :func:`partition_trajectory`.
6. LoRA: :func:`lora_pretrain`, :func:`lora_finetune`, :func:`lora_experiment`, :func:`lora_study`
   (2-D illustration), :func:`mnist_lora_experiment` (the first layer of an MNIST network, digits rotated
   by :func:`rotate_digits`; decides the verdicts), :func:`mnist_lora_study`, :func:`adaptation_metrics`.
7. Codes as locality-sensitive hashes: :func:`collision_curve`, :func:`lsh_experiment`, :func:`lsh_study`.

Every claim rule (``claim_*``) returns a :class:`mlpgeo.report.Claim` whose ``criterion`` is the rule the
notebook states before the result. :func:`export_playground` writes the trained networks the site's
interactive playground shows.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import io
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from torch import Tensor, nn

from mlpgeo import data, models, patterns, plotting, report
from mlpgeo.compare import code_drift, hyperplane_motion, map_change, update_spectrum
from mlpgeo.experiments.jobs import run_jobs
from mlpgeo.lora import apply_lora, lora_parameters
from mlpgeo.regions import (
    Regions,
    code_statistics,
    count_regions_plane,
    decision_boundary,
    deep_upper_bound,
    linear_regions_2d,
    local_complexity,
    montufar_lower_bound,
    output_line,
    plot_partition,
    region_summary,
    zaslavsky,
)
from mlpgeo.report import Claim, rule_verdict, summarize

# ----------------------------------------------------------------------------------------------------------
# The report's settings
# ----------------------------------------------------------------------------------------------------------

BOX = (-1.2, 1.2, -1.2, 1.2)
"""The box around the two-moons data (in [-1, 1]^2) in which regions are counted."""

MNIST_ARCHS = {"784-16-10": [784, 16, 10], "784-64-10": [784, 64, 10],
               "784-16x3-10": [784, 16, 16, 16, 10], "784-64x2-10": [784, 64, 64, 10]}
"""Section 2's MNIST networks: name -> layer widths."""

ARCHS = {"2-16": [16], "2-32": [32], "2-48": [48], "2-64": [64],
         "2-24x2": [24, 24], "2-16x3": [16, 16, 16], "2-8x6": [8] * 6}
"""Section 3's two-moons networks: name -> hidden widths (shallow 16..64, deep with 48 neurons)."""

SHALLOW = ["2-16", "2-32", "2-48", "2-64"]
DEEP = ["2-24x2", "2-16x3", "2-8x6"]

METHODS = ["full", 1, 2, 4]
"""Section 6's fine-tuning methods: full fine-tuning and LoRA ranks."""

SHIFTS = {"close (30°)": 30, "far (90°)": 90}
"""Section 6's new tasks: the pre-training moons rotated by these angles (degrees)."""

CLOSE, FAR = "close (30°)", "far (90°)"

LC_RADIUS = 0.05
"""Local-complexity radius of section 5."""

LC_DIRECTIONS = torch.from_numpy(np.linalg.qr(np.random.default_rng(0).standard_normal((2, 2)))[0].T.copy())
"""Section 5's fixed cross-polytope frame for local complexity: the Q factor of a standard normal 2 x 2
matrix drawn by ``numpy.random.default_rng(0)`` (the frame every recorded number was measured with)."""

SECTION_1 = "1. Neurons as hyperplanes, codes as hashes"
SECTION_2 = "2. Used versus possible codes on MNIST"
SECTION_3 = "3. Wide versus deep at an equal neuron budget"
SECTION_4 = "4. Removing the biases"
SECTION_5 = "5. Learning as partition refinement"
SECTION_6 = "6. LoRA: constrained hyperplane motion?"


def _train(model: nn.Sequential, x: Tensor, y: Tensor, seed: int, **kwargs: Any) -> models.History:
    """``models.train`` without a progress bar, its shuffling generator seeded by ``seed``."""
    return models.train(model, x, y, progress=False, generator=models.seeded(seed), **kwargs)


Executor = concurrent.futures.Executor


@functools.lru_cache(maxsize=2)
def mnist(split: str) -> tuple[Tensor, Tensor]:
    """The MNIST digits of ``split`` (``"train"`` or ``"test"``, :func:`mlpgeo.data.load_mnist`), loaded once per
    process: what the MNIST jobs read instead of receiving the digits through the executor."""
    return data.load_mnist(split, verbose=False)


def rebuild(widths: Sequence[int], state: Mapping[str, Tensor], bias: bool = True) -> nn.Sequential:
    """The ReLU MLP ``models.mlp(widths, bias=bias)`` holding the weights of ``state`` (a
    :func:`mlpgeo.models.snapshot` a job returned)."""
    return models.from_snapshot(models.mlp(list(widths), bias=bias, generator=models.seeded(0)), dict(state))


# ----------------------------------------------------------------------------------------------------------
# 1. Neurons as hyperplanes, codes as hashes
# ----------------------------------------------------------------------------------------------------------


def toy_hash_experiment(seed: int, bounds: Sequence[float] = BOX, epochs: int = 300) -> dict[str, Any]:
    """Section 1: a ``2 -> 5 -> 2`` ReLU network trained on two moons (300 points, noise 0.1; Adam, lr 0.02,
    ``epochs`` full-batch epochs, 300 in the report), with its exact regions.

    Args:
        seed: seed of the data and of the initialisation.
        bounds: the box ``(xmin, xmax, ymin, ymax)`` in which regions are counted.
        epochs: training epochs.

    Returns:
        ``{"seed", "model", "x" (300, 2), "y" (300,), "regions"`` (:class:`~mlpgeo.regions.Regions` in the
        box), ``"plane"`` (whole-plane count), ``"box"`` (count in the box), ``"with_data"`` (box regions
        holding a point), ``"acc"`` (training accuracy)``}``.
    """
    x, y = data.two_moons(300, noise=0.1, generator=models.seeded(seed))
    model = models.mlp([2, 5, 2], generator=models.seeded(seed))
    _train(model, x, y, seed, lr=2e-2, epochs=epochs)
    box_regions = linear_regions_2d(model, bounds)
    summary = region_summary(box_regions, x)
    return dict(seed=seed, model=model, x=x, y=y, regions=box_regions, plane=count_regions_plane(model),
                box=summary["regions"], with_data=summary["with_data"], acc=models.accuracy(model, x, y))


def all_sign_codes(width: int, seed: int) -> int:
    """Distinct codes of a random square ReLU layer ``width -> width`` on ``2^width`` inputs chosen to realise
    every sign pattern.

    For ``z = W x + b`` with ``W`` invertible, ``x_t = W^{-1} (t - b)`` has pre-activation ``t``; taking
    ``t`` over ``{-1, 1}^width`` gives every code once, so the result is ``2^width`` (all codes are
    possible once the input dimension is at least the width).

    Args:
        width: neurons (= input dimension), 1 to 16.
        seed: seed of the layer ``models.mlp([width, width, 1])``.

    Returns:
        The number of distinct codes the network assigns to the ``2^width`` inputs.
    """
    if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= 16:
        raise ValueError(f"width must be an integer in [1, 16] (2^width inputs are built), got {width!r}.")
    layer = models.mlp([width, width, 1], generator=models.seeded(seed))
    W, b = layer[0].weight.detach().double(), layer[0].bias.detach().double()
    t = torch.tensor(list(np.ndindex(*(2,) * width)), dtype=torch.float64) * 2 - 1
    z = torch.linalg.solve(W, (t - b).T).T.float()
    return code_statistics(patterns.codes(layer, z))["distinct"]


def toy_job(seed: int, bounds: Sequence[float] = BOX, epochs: int = 300) -> dict[str, Any]:
    """Section 1's job for one seed: :func:`toy_hash_experiment` with the network as a snapshot (``"state"``)
    and without its regions, plus ``"codes_5d"`` (:func:`all_sign_codes` ``(5, seed)``)."""
    toy = toy_hash_experiment(seed, bounds, epochs)
    out = {k: v for k, v in toy.items() if k not in ("model", "regions")}
    return {**out, "state": models.snapshot(toy["model"]), "codes_5d": all_sign_codes(5, seed)}


def toy_study(seeds: Sequence[int], bounds: Sequence[float] = BOX, epochs: int = 300,
              executor: Executor | None = None) -> list[dict[str, Any]]:
    """:func:`toy_job` for every seed (as jobs), each result completed as :func:`toy_hash_experiment`'s (the
    network rebuilt as ``"model"``, its ``"regions"`` in the box recomputed) plus ``"codes_5d"``."""
    runs = run_jobs(toy_job, [dict(seed=s, bounds=tuple(bounds), epochs=epochs) for s in seeds], executor=executor,
                    desc="section 1: 2-5-2 networks")
    for r in runs:
        r["model"] = rebuild([2, 5, 2], r.pop("state"))
        r["regions"] = linear_regions_2d(r["model"], bounds)
    return runs


def plot_code_counts(regions: Regions, x: Tensor, ax: Any = None) -> Any:
    """Bar chart of the data points per code (region), most populated first, codes as bit strings.

    Args:
        regions: exact regions in a box.
        x: ``(n, 2)`` data.
        ax: matplotlib Axes (default: a new figure).

    Returns:
        The Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    counts = regions.data_counts(x)
    order = np.argsort(-counts)
    labels = ["".join("1" if b else "0" for b in regions.codes[i]) for i in order]
    ax.bar(range(len(order)), counts[order], color=plotting.color(0))
    ax.set_xticks(range(len(order)), labels, rotation=90, fontsize=7)
    ax.set(xlabel="code (neuron 1..N)", ylabel="points")
    return ax


def claim_five_neurons(plane_counts: Sequence[int], codes_5d: Sequence[int]) -> Claim:
    """Claim "five-neurons-32-codes" (source): a layer of 5 neurons can create 32 partitions.

    Rule: "reproduced" if every 2-D 5-neuron network has 32 regions on the whole plane; "partly
    reproduced" if 2-D stays at or below Zaslavsky's 16 while a 5-D input shows all 32 codes for every seed.

    Args:
        plane_counts: whole-plane region counts of the 2-D networks, one per seed.
        codes_5d: distinct codes of :func:`all_sign_codes` ``(5, seed)``, one per seed.
    """
    measured = {"regions_2d_whole_plane": summarize(list(plane_counts)), "zaslavsky_2d": zaslavsky(5, 2),
                "codes_5d_input": summarize(list(codes_5d))}
    verdict = rule_verdict(min(plane_counts) == 32, partly=max(plane_counts) <= 16 and min(codes_5d) == 32)
    return Claim(
        id="five-neurons-32-codes", kind="source",
        claim="A layer of 5 neurons can create 2^5 = 32 partitions.", source_value=32,
        criterion="reproduced if every 2-D network has 32 regions on the whole plane; partly if 2-D stays at "
                  "<= 16 (Zaslavsky) while a 5-D input shows all 32 codes for every seed.",
        measured=measured, verdict=verdict, section=SECTION_1,
    )


def claim_few_hold_data(with_data: Sequence[int], plane_counts: Sequence[int]) -> Claim:
    """Claim "few-partitions-hold-data" (check: true whenever the lines leave some region empty).

    Rule: "reproduced" if, for every seed, fewer regions hold data than the whole plane has.

    Args:
        with_data: box regions holding at least one point, per seed.
        plane_counts: whole-plane counts, per seed.
    """
    measured = {"regions_with_data": summarize(list(with_data)), "regions_whole_plane": summarize(list(plane_counts))}
    return Claim(
        id="few-partitions-hold-data", kind="check",
        claim="Only a subset of the partitions (7 in the blog's figure) contain data.", source_value=7,
        criterion="reproduced if, for every seed, fewer regions hold data than the whole plane has.",
        measured=measured, verdict=rule_verdict(all(w < p for w, p in zip(with_data, plane_counts))),
        section=SECTION_1,
    )


# ----------------------------------------------------------------------------------------------------------
# 2. Used versus possible codes on MNIST
# ----------------------------------------------------------------------------------------------------------


def mnist_code_experiment(
    widths: Sequence[int], seed: int, train_set: tuple[Tensor, Tensor], test_set: tuple[Tensor, Tensor],
    epochs: int,
) -> dict[str, Any]:
    """Section 2: train one MNIST MLP (Adam, lr 1e-3, batch 128) and hash its training set.

    Args:
        widths: layer widths, e.g. ``[784, 64, 10]``.
        seed: seed of the initialisation and of the batch order.
        train_set: ``(x (n, 784), y (n,))`` training digits.
        test_set: ``(x, y)`` test digits.
        epochs: training epochs.

    Returns:
        :func:`~mlpgeo.regions.code_statistics` of the training codes (with labels) plus ``"test_acc"`` and
        ``"log2_upper"`` (log2 of :func:`~mlpgeo.regions.deep_upper_bound` for the hidden widths).
    """
    x_tr, y_tr = train_set
    model = models.mlp(list(widths), generator=models.seeded(seed))
    _train(model, x_tr, y_tr, seed, epochs=epochs, batch_size=128)
    stats = code_statistics(patterns.codes(model, x_tr), y_tr)
    stats["test_acc"] = models.accuracy(model, *test_set)
    stats["log2_upper"] = math.log2(deep_upper_bound(list(widths[1:-1]), widths[0]))
    return stats


def mnist_code_job(widths: Sequence[int], seed: int, epochs: int) -> dict[str, Any]:
    """Section 2's job: :func:`mnist_code_experiment` on the MNIST training and test digits (:func:`mnist`)."""
    return mnist_code_experiment(widths, seed, mnist("train"), mnist("test"), epochs)


def mnist_code_study(seeds: Sequence[int], archs: Mapping[str, Sequence[int]], epochs: int,
                     executor: Executor | None = None) -> dict[str, list[dict[str, Any]]]:
    """:func:`mnist_code_job` for every network and seed (as jobs): ``{network: per-seed results}``."""
    jobs = [dict(widths=list(w), seed=s, epochs=epochs) for w in archs.values() for s in seeds]
    out = iter(run_jobs(mnist_code_job, jobs, executor=executor, desc="section 2: MNIST codes"))
    return {name: [next(out) for _ in seeds] for name in archs}


def plot_seed_bars(runs: Mapping[str, Sequence[Mapping[str, Any]]], key: str, ax: Any = None, color: int = 0) -> Any:
    """Mean (bar) and standard deviation (error bar) over seeds of ``run[key]`` for each named setting.

    Args:
        runs: ``{setting name: per-seed result dicts}``.
        key: the quantity to show.
        ax: matplotlib Axes (default: a new figure).
        color: palette index.

    Returns:
        The Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    names = list(runs)
    means = [np.mean([r[key] for r in runs[n]]) for n in names]
    stds = [np.std([r[key] for r in runs[n]]) for n in names]
    ax.bar(names, means, yerr=stds, color=plotting.color(color), capsize=3)
    return ax


def claim_few_codes_used(mnist: Mapping[str, Sequence[Mapping[str, Any]]]) -> Claim:
    """Claim "few-codes-used-mnist" (source): only a small subset of the possible codes is used.

    Rule: "reproduced" if every network uses less than 1% of its ``2^N`` possible codes on the training
    set (largest share over seeds).

    Args:
        mnist: ``{network: per-seed dicts of mnist_code_experiment}``.

    Returns:
        The claim; ``measured`` holds ``used_share_<network>`` (max over seeds of distinct / 2^N) and
        ``distinct_codes_<network>`` (mean and spread over seeds).
    """
    used_share = {n: max(r["distinct"] / 2.0 ** r["bits"] for r in runs) for n, runs in mnist.items()}
    measured = {**{f"used_share_{n}": v for n, v in used_share.items()},
                **{f"distinct_codes_{n}": summarize([r["distinct"] for r in runs]) for n, runs in mnist.items()}}
    return Claim(
        id="few-codes-used-mnist", kind="source",
        claim="In practice only a small subset of the possible codes is used.", source_value="qualitative",
        criterion="reproduced if every network uses less than 1% of its 2^N possible codes on the training set "
                  "(largest share over seeds).",
        measured=measured, verdict=rule_verdict(max(used_share.values()) < 0.01), section=SECTION_2,
    )


def claim_one_point_per_region(mnist: Mapping[str, Sequence[Mapping[str, Any]]]) -> Claim:
    """Claim "hash-encoder-one-point-per-region" (source, citing He et al. 2021).

    Rule: "reproduced" if >= 90% of used codes hold one training point for every network and seed;
    "partly reproduced" if that holds (for every seed) for some networks only.

    Args:
        mnist: ``{network: per-seed dicts of mnist_code_experiment}``.
    """
    single = {n: [r["codes_single"] for r in runs] for n, runs in mnist.items()}
    ok = [min(v) >= 0.9 for v in single.values()]
    return Claim(
        id="hash-encoder-one-point-per-region", kind="source",
        claim="Almost every region holds at most one training example (He et al. 2021, 'hash encoders').",
        source_value="almost all",
        criterion="reproduced if >= 90% of used codes hold one training point for every network and seed; partly "
                  "if that holds for some networks only.",
        measured={f"codes_single_{n}": summarize(v) for n, v in single.items()},
        verdict=rule_verdict(all(ok), partly=any(ok)), section=SECTION_2,
    )


# ----------------------------------------------------------------------------------------------------------
# 3. Wide versus deep at an equal neuron budget
# ----------------------------------------------------------------------------------------------------------


def depth_experiment(
    seed: int, hidden: Sequence[int], bounds: Sequence[float], epochs: int
) -> tuple[dict[str, float], nn.Sequential, Tensor, Tensor]:
    """Section 3: region counts of one ``2 -> hidden -> 2`` network on two moons, at init and after training
    (Adam, lr 5e-3, full batch).

    Args:
        seed: seed of the data (300 points, noise 0.1) and of the initialisation.
        hidden: hidden widths, e.g. ``[16, 16, 16]``.
        bounds: the box for the box counts.
        epochs: training epochs.

    Returns:
        ``(counts, model, x, y)`` with ``counts = {"init_plane", "init_box", "plane", "box", "acc"}``
        (whole-plane and box counts at initialisation and after training, training accuracy).
    """
    x, y = data.two_moons(300, noise=0.1, generator=models.seeded(seed))
    model = models.mlp([2, *hidden, 2], generator=models.seeded(seed))
    init_plane, init_box = count_regions_plane(model), len(linear_regions_2d(model, bounds))
    _train(model, x, y, seed, lr=5e-3, epochs=epochs)
    counts = dict(init_plane=init_plane, init_box=init_box, plane=count_regions_plane(model),
                  box=len(linear_regions_2d(model, bounds)), acc=models.accuracy(model, x, y))
    return counts, model, x, y


def depth_job(seed: int, hidden: Sequence[int], bounds: Sequence[float], epochs: int) -> dict[str, Any]:
    """Section 3's job: :func:`depth_experiment` as ``{"counts", "state"`` (the trained network's snapshot)``,
    "x", "y"}``."""
    counts, model, x, y = depth_experiment(seed, hidden, bounds, epochs)
    return dict(counts=counts, state=models.snapshot(model), x=x, y=y)


def depth_study(
    seeds: Sequence[int], archs: Mapping[str, Sequence[int]], bounds: Sequence[float], epochs: int,
    keep: Sequence[str] = (), executor: Executor | None = None,
) -> tuple[dict[str, list[dict[str, float]]], dict[str, tuple[nn.Sequential, Tensor, Tensor]]]:
    """Section 3 over seeds and architectures: :func:`depth_job` for every pair, run as jobs.

    Args:
        seeds: the seeds.
        archs: ``{name: hidden widths}``.
        bounds: the box.
        epochs: training epochs.
        keep: names whose first-seed ``(model, x, y)`` are returned for figures.
        executor: where the jobs run (``None``: in-process).

    Returns:
        ``(runs, kept)``: ``runs = {name: per-seed counts}``, ``kept = {name: (model, x, y)}``.
    """
    jobs = [dict(seed=s, hidden=list(h), bounds=tuple(bounds), epochs=epochs) for s in seeds for h in archs.values()]
    out = iter(run_jobs(depth_job, jobs, executor=executor, desc="section 3: region counts"))
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in archs}
    kept = {}
    for seed in seeds:
        for name, hidden in archs.items():
            r = next(out)
            runs[name].append(r["counts"])
            if seed == seeds[0] and name in keep:
                kept[name] = (rebuild([2, *hidden, 2], r["state"]), r["x"], r["y"])
    return runs, kept


def plot_depth_counts(runs: Mapping[str, Sequence[Mapping[str, Any]]], archs: Mapping[str, Sequence[int]],
                      ax: Any = None) -> Any:
    """Box region counts against total hidden neurons, shallow (filled) vs deep (open), at init and trained,
    with Zaslavsky's whole-plane bound for ``N`` lines (``1 + N + N(N-1)/2``, the ``N^2``-growth that Hanin and
    Rolnick (2019) find for typical networks of any depth with ``N`` neurons on a 2-D input).

    Args:
        runs: ``{name: per-seed dicts from depth_experiment}`` (keys ``init_box``, ``box``).
        archs: ``{name: hidden widths}``; one hidden layer = shallow.
        ax: matplotlib Axes (default: a new figure).

    Returns:
        The Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    for k, (key, label) in enumerate([("init_box", "at initialisation"), ("box", "after training")]):
        for group, marker in (("shallow", "o"), ("deep", "s")):
            names = [n for n in archs if (len(archs[n]) == 1) == (group == "shallow")]
            xs = [sum(archs[n]) + (0.8 * k if group == "deep" else 0) for n in names]
            ys = [np.mean([r[key] for r in runs[n]]) for n in names]
            es = [np.std([r[key] for r in runs[n]]) for n in names]
            ax.errorbar(xs, ys, yerr=es, fmt=marker, color=plotting.color(k), label=f"{group}, {label}",
                        mfc="white" if group == "deep" else None, capsize=2)
    neurons = [sum(h) for h in archs.values()]
    grid = np.linspace(min(neurons), max(neurons), 50)
    ax.plot(grid, [zaslavsky(int(n), 2) for n in grid], color="0.5", linestyle=":",
            label="Zaslavsky, N lines (~N²/2: Hanin-Rolnick growth, any depth)")
    ax.set(yscale="log", xlabel="hidden neurons (total)", ylabel="regions in the box")
    ax.legend(fontsize=7, loc="upper left")  # the empty corner above the bound's start
    return ax


def claim_more_neurons(runs: Mapping[str, Sequence[Mapping[str, Any]]], shallow: Sequence[str]) -> Claim:
    """Claim "more-neurons-more-regions" (source).

    Rule: "reproduced" if, for every seed, the trained shallow networks' box counts increase strictly with
    width; "partly reproduced" if that holds for some seeds.

    Args:
        runs: ``{network: per-seed dicts of depth_experiment}``.
        shallow: the shallow networks' names in increasing width.
    """
    n_seeds = len(runs[shallow[0]])
    monotone = [all(runs[a][i]["box"] < runs[b][i]["box"] for a, b in zip(shallow, shallow[1:]))
                for i in range(n_seeds)]
    measured = {f"box_regions_{n}": summarize([r["box"] for r in runs[n]]) for n in shallow}
    return Claim(
        id="more-neurons-more-regions", kind="source",
        claim="More neurons lead to more (possibly finer) partitions.", source_value="qualitative",
        criterion="reproduced if, for every seed, the trained shallow networks' box counts increase strictly "
                  "with width; partly if that holds for some seeds.",
        measured=measured, verdict=rule_verdict(all(monotone), partly=any(monotone)), section=SECTION_3,
    )


def claim_depth_refines(runs: Mapping[str, Sequence[Mapping[str, Any]]], deep: str, shallow: str,
                        deep_hidden: Sequence[int]) -> Claim:
    """Claim "depth-refines-partitions" (source).

    Rule: "reproduced" if the deep network has more box regions than the shallow one of the same neuron
    count for every seed, "not reproduced" if fewer for every seed, "partly reproduced" otherwise.

    Args:
        runs: ``{network: per-seed dicts of depth_experiment}``.
        deep: the deep network's name (e.g. ``"2-16x3"``).
        shallow: the shallow network's name (e.g. ``"2-48"``).
        deep_hidden: the deep network's hidden widths (for the Montufar bound).
    """
    box = [d["box"] / s["box"] for d, s in zip(runs[deep], runs[shallow])]
    plane = [d["plane"] / s["plane"] for d, s in zip(runs[deep], runs[shallow])]
    tag = f"{deep[2:]}_over_{shallow[2:]}"
    measured = {f"box_ratio_{tag}": summarize(box), f"plane_ratio_{tag}": summarize(plane),
                f"montufar_lower_bound_{deep[2:]}": montufar_lower_bound(list(deep_hidden), 2)}
    return Claim(
        id="depth-refines-partitions", kind="source",
        claim="Depth refines the partition hierarchically: at equal size, deep networks partition more finely.",
        source_value="qualitative (exponential in depth: Montufar et al.)",
        criterion=f"reproduced if the deep {deep[2:]} network has more box regions than the shallow {shallow[2:]} "
                  "for every seed; not reproduced if fewer for every seed; partly otherwise.",
        measured=measured, verdict=rule_verdict(min(box) > 1, partly=max(box) > 1), section=SECTION_3,
    )


def typical_count_ratios(runs: Mapping[str, Sequence[Mapping[str, Any]]], archs: Mapping[str, Sequence[int]],
                         deep: Sequence[str], shallow_neurons: int) -> dict[str, list[float]]:
    """Whole-plane counts of deep networks against the shallow network's bound and the Montufar bound.

    ``ratio = count / zaslavsky(shallow_neurons, 2)`` for every deep network, seed, and both at initialisation
    and after training; ``share = max(plane, init_plane) / montufar_lower_bound(hidden, 2)``.

    Args:
        runs: ``{network: per-seed dicts of depth_experiment}``.
        archs: ``{network: hidden widths}``.
        deep: names of the deep networks.
        shallow_neurons: neurons of the shallow reference network (it has ``zaslavsky(n, 2)`` regions).

    Returns:
        ``{"ratios": list, "shares": list}``.
    """
    shares = [max(r["plane"], r["init_plane"]) / montufar_lower_bound(list(archs[n]), 2) for n in deep for r in runs[n]]
    ratios = [r[k] / zaslavsky(shallow_neurons, 2) for n in deep for r in runs[n] for k in ("init_plane", "plane")]
    return {"ratios": ratios, "shares": shares}


def claim_typical_counts(ratios: Mapping[str, Sequence[float]]) -> Claim:
    """Claim "typical-counts-far-below-bounds" (source, citing Hanin & Rolnick 2019).

    Rule (current, revised after the results were seen; see the report): "reproduced" if no deep network
    has more than twice the whole-plane regions of the shallow network with the same neurons.

    Args:
        ratios: output of :func:`typical_count_ratios`.

    Returns:
        The claim; ``measured`` also holds ``max_share_of_montufar_bound`` and ``min_ratio``, the numbers
        the two earlier rules used.
    """
    vs_shallow, shares = ratios["ratios"], ratios["shares"]
    measured = {"deep_over_shallow_count": summarize(vs_shallow), "min_ratio": min(vs_shallow),
                "max_ratio": max(vs_shallow), "max_share_of_montufar_bound": max(shares)}
    return Claim(
        id="typical-counts-far-below-bounds", kind="source",
        claim="Typical region counts grow with the number of neurons, not exponentially with depth, and stay far "
              "below the exponential deep bounds (Hanin & Rolnick 2019).",
        source_value="qualitative",
        criterion="reproduced if no deep network (init or trained, whole plane) has more than 2x the regions of "
                  "the shallow network with the same neurons (revised rule; earlier: < 1% of the Montufar bound, "
                  "then a ratio within [0.5, 2]).",
        measured=measured, verdict=rule_verdict(max(vs_shallow) <= 2), section=SECTION_3,
    )


# ----------------------------------------------------------------------------------------------------------
# 4. Removing the biases
# ----------------------------------------------------------------------------------------------------------


def bias_experiment(
    seed: int, hidden: Sequence[int], bias: bool, bounds: Sequence[float], epochs: int
) -> tuple[dict[str, float], nn.Sequential, Regions, Tensor, Tensor]:
    """Section 4: one network with or without biases on small noisy two moons (100 training points, noise
    0.25; 2000 test points from seed ``1000 + seed``; Adam, lr 5e-3, full batch).

    Args:
        seed: seed of the data and of the initialisation.
        hidden: hidden widths.
        bias: whether the Linear layers have biases.
        bounds: the box for the exact regions.
        epochs: training epochs.

    Returns:
        ``(stats, model, regions, x, y)``; ``stats = {"init_plane", "plane", "box", "origin_share"`` (share of
        box regions with the origin as a vertex), ``"train_acc", "test_acc", "final_loss"}``.
    """
    x, y = data.two_moons(100, noise=0.25, generator=models.seeded(seed))
    x_test, y_test = data.two_moons(2000, noise=0.25, generator=models.seeded(1000 + seed))
    model = models.mlp([2, *hidden, 2], bias=bias, generator=models.seeded(seed))
    init_plane = count_regions_plane(model)
    history = _train(model, x, y, seed, lr=5e-3, epochs=epochs)
    part = linear_regions_2d(model, bounds)
    at_origin = np.mean([np.linalg.norm(r.vertices, axis=1).min() < 1e-9 for r in part])
    stats = dict(init_plane=init_plane, plane=count_regions_plane(model), box=len(part), origin_share=at_origin,
                 train_acc=models.accuracy(model, x, y), test_acc=models.accuracy(model, x_test, y_test),
                 final_loss=history.epoch_loss[-1])
    return stats, model, part, x, y


def bias_job(seed: int, hidden: Sequence[int], bias: bool, bounds: Sequence[float], epochs: int) -> dict[str, Any]:
    """Section 4's job: :func:`bias_experiment` as ``{"stats", "state"`` (the trained network's snapshot)``,
    "x", "y"}``."""
    stats, model, _, x, y = bias_experiment(seed, hidden, bias, bounds, epochs)
    return dict(stats=stats, state=models.snapshot(model), x=x, y=y)


def bias_study(
    seeds: Sequence[int], archs: Mapping[str, Sequence[int]], bounds: Sequence[float], epochs: int,
    executor: Executor | None = None,
) -> tuple[dict[tuple[str, bool], list[dict[str, float]]], dict[tuple[str, bool], dict[str, Any]]]:
    """Section 4 over seeds, architectures and bias on/off: :func:`bias_job` for every triple, run as jobs.

    Args:
        seeds: the seeds.
        archs: ``{name: hidden widths}``.
        bounds: the box.
        epochs: training epochs.
        executor: where the jobs run (``None``: in-process).

    Returns:
        ``(runs, kept)``: ``runs = {(name, bias): per-seed stats}``, ``kept = {(name, bias): {"model",
        "regions", "x", "y"}}`` of the first seed (for figures and the playground; regions recomputed).
    """
    keys = [(n, b) for n in archs for b in (True, False)]
    jobs = [dict(seed=s, hidden=list(archs[n]), bias=b, bounds=tuple(bounds), epochs=epochs) for s in seeds
            for n, b in keys]
    out = iter(run_jobs(bias_job, jobs, executor=executor, desc="section 4: biases on two moons"))
    runs: dict[tuple[str, bool], list[dict[str, float]]] = {k: [] for k in keys}
    kept = {}
    for seed in seeds:
        for name, bias in keys:
            r = next(out)
            runs[(name, bias)].append(r["stats"])
            if seed == seeds[0]:
                model = rebuild([2, *archs[name], 2], r["state"], bias=bias)
                kept[(name, bias)] = {"model": model, "regions": linear_regions_2d(model, bounds), "x": r["x"],
                                      "y": r["y"]}
    return runs, kept


def claim_no_bias_origin(runs: Mapping[tuple[str, bool], Sequence[Mapping[str, Any]]], shallow: str,
                         neurons: int) -> Claim:
    """Claim "no-bias-through-origin" (check: true by construction).

    Rule: "reproduced" if every bias-free shallow network has exactly the central bound ``2n`` regions and
    every box region of every bias-free network has the origin as a vertex.

    Args:
        runs: ``{(network, bias): per-seed dicts of bias_experiment}``.
        shallow: the shallow network's name.
        neurons: its neurons ``n``.
    """
    shallow_nb = runs[(shallow, False)]
    central = zaslavsky(neurons, 2, through_origin=True)
    central_ok = all(r["plane"] == central for r in shallow_nb)
    shares = [r["origin_share"] for key, rs in runs.items() if not key[1] for r in rs]
    measured = {f"plane_regions_{shallow}_nobias": summarize([r["plane"] for r in shallow_nb]),
                "central_bound": central, "share_of_regions_with_origin_vertex": summarize(shares)}
    return Claim(
        id="no-bias-through-origin", kind="check",
        claim="Without biases the hyperplanes pass through the origin.", source_value="qualitative",
        criterion=f"reproduced if every bias-free shallow network has exactly 2n = {central} regions and every box "
                  "region of every bias-free network has the origin as a vertex.",
        measured=measured, verdict=rule_verdict(central_ok and all(s == 1.0 for s in shares)), section=SECTION_4,
    )


def _bias_rule(runs: Mapping[tuple[str, bool], Sequence[Mapping[str, Any]]]) -> tuple[str, dict[str, Any]]:
    """The regularisation rule on one setting: ``(verdict, measured)``."""
    gap = {b: [r["train_acc"] - r["test_acc"] for k, rs in runs.items() if k[1] == b for r in rs]
           for b in (True, False)}
    test = {b: [r["test_acc"] for k, rs in runs.items() if k[1] == b for r in rs] for b in (True, False)}
    smaller_gap = np.mean(gap[False]) < np.mean(gap[True])
    acc_drop = np.mean(test[True]) - np.mean(test[False])
    measured = {"test_acc_drop": summarize([a - b for a, b in zip(test[True], test[False])]),
                "test_acc_bias": summarize(test[True]), "test_acc_nobias": summarize(test[False]),
                "gap_bias": summarize(gap[True]), "gap_nobias": summarize(gap[False])}
    if smaller_gap and acc_drop < 0.01:
        verdict = "reproduced"
    else:
        verdict = "not reproduced" if acc_drop > 0.05 else "partly reproduced"
    return verdict, measured


def claim_no_bias_regularises(runs: Mapping[tuple[str, bool], Sequence[Mapping[str, Any]]],
                              mnist: Mapping[tuple[str, bool], Sequence[Mapping[str, Any]]] | None = None) -> Claim:
    """Claim "no-bias-regularises" (source).

    Rule, in each setting: "reproduced" if bias-free networks have a smaller mean train-test gap and lose
    < 0.01 mean test accuracy; "not reproduced" if they lose > 0.05; "partly reproduced" otherwise. With
    ``mnist`` (standardised MNIST, :func:`mnist_bias_experiment`) the claim's verdict is the common verdict
    if both settings agree, else "partly reproduced" (the regime is named in ``measured``).

    Args:
        runs: ``{(network, bias): per-seed dicts of bias_experiment}`` (two moons).
        mnist: ``{(network, bias): per-seed dicts of mnist_bias_experiment}``, or ``None`` (moons only).
    """
    verdict, moons = _bias_rule(runs)
    measured: dict[str, Any] = {f"{k}_moons" if mnist is not None else k: v for k, v in moons.items()}
    criterion = ("reproduced if bias-free networks have a smaller mean train-test gap and lose < 0.01 mean test "
                 "accuracy; not reproduced if they lose > 0.05; partly otherwise.")
    if mnist is not None:
        verdict_mnist, numbers = _bias_rule(mnist)
        measured = {**{f"{k}_mnist": v for k, v in numbers.items()}, **measured,
                    "verdict_mnist": verdict_mnist, "verdict_moons": verdict,
                    "regime": f"standardised MNIST: {verdict_mnist}; raw 2-D moons: {verdict}"}
        verdict = verdict if verdict == verdict_mnist else "partly reproduced"
        criterion = ("per setting (standardised MNIST, raw 2-D moons): " + criterion +
                     " Overall: the common verdict, partly if they differ.")
    return Claim(
        id="no-bias-regularises", kind="source",
        claim="Removing biases provides beneficial regularization and simplifies optimization.",
        source_value="qualitative",
        criterion=criterion, measured=measured, verdict=verdict, section=SECTION_4,
    )


# ----------------------------------------------------------------------------------------------------------
# 5. Learning as partition refinement
# ----------------------------------------------------------------------------------------------------------


def partition_trajectory(
    model: nn.Sequential,
    snapshots: Sequence[tuple[int, dict[str, Tensor]]],
    x: Tensor,
    bounds: Sequence[float],
    radius: float = LC_RADIUS,
    output: int = 0,
    threshold: float = 0.0,
) -> dict[str, list[float]]:
    """Partition statistics along training snapshots of one 2-D network.

    Args:
        model: a network of the snapshots' architecture (its weights are not changed).
        snapshots: ``(epoch, state_dict)`` pairs (``History.snapshots``).
        x: ``(n, 2)`` data.
        bounds: the box ``(xmin, xmax, ymin, ymax)``.
        radius: local-complexity radius (the frame is :data:`LC_DIRECTIONS`).
        output: the output unit whose level set ``f_output = threshold`` is the decision boundary.
        threshold: the level.

    Returns:
        Lists over snapshots: ``"epoch"``, ``"regions"``, ``"regions_with_data"``, ``"boundary_regions"``
        (regions the decision boundary crosses), ``"boundary_length"``, ``"boundary_density"`` (crossed
        regions per unit boundary length; NaN without a boundary), ``"lc_data"`` (mean local complexity at
        the data), ``"lc_boundary"`` (at the boundary segments' midpoints; NaN without a boundary),
        ``"angle"`` / ``"shift"`` (mean rotation in degrees and mean absolute offset change of the first
        layer's lines since the previous snapshot), ``"same_code"`` (share of the data keeping its code
        since the previous snapshot) and ``"map_change"`` (mean |output change| of those points over their
        mean |output|; NaN if no point keeps its code).
    """
    keys = ["epoch", "regions", "regions_with_data", "boundary_regions", "boundary_length", "boundary_density",
            "lc_data", "lc_boundary", "angle", "shift", "same_code", "map_change"]
    out: dict[str, list[float]] = {k: [] for k in keys}
    previous = None
    for epoch, state in snapshots:
        net = models.from_snapshot(model, state)
        regions = linear_regions_2d(net, bounds)
        segments, _ = decision_boundary(regions, output, threshold)
        length = float(np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1).sum())
        mids = segments.mean(axis=1)
        out["epoch"].append(epoch)
        out["regions"].append(len(regions))
        out["regions_with_data"].append(int((regions.data_counts(x) > 0).sum()))
        out["boundary_regions"].append(len(segments))
        out["boundary_length"].append(length)
        out["boundary_density"].append(len(segments) / length if length > 0 else float("nan"))
        out["lc_data"].append(float(local_complexity(net, x, radius, directions=LC_DIRECTIONS).numpy().mean()))
        out["lc_boundary"].append(
            float(local_complexity(net, torch.from_numpy(mids), radius, directions=LC_DIRECTIONS).numpy().mean())
            if len(mids) else float("nan"))
        if previous is None:
            out["angle"].append(0.0)
            out["shift"].append(0.0)
            out["same_code"].append(1.0)
            out["map_change"].append(0.0)
        else:
            motion = hyperplane_motion(previous, net, layer=1)
            out["angle"].append(float(np.degrees(motion.angle.numpy()).mean()))
            out["shift"].append(float(np.abs(motion.shift.numpy()).mean()))
            change = map_change(previous, net, x)
            out["same_code"].append(change.same_code)
            out["map_change"].append(change.output_change / change.output_scale
                                     if change.output_change is not None else float("nan"))
        previous = net
    return out


def refinement_experiment(seed: int, bounds: Sequence[float], epochs: int, radius: float = LC_RADIUS) -> dict[str, Any]:
    """Section 5: a ``2 -> 16 -> 16 -> 1`` network trained on two moons (BCE, Adam, lr 3e-3, full batch) with
    15 snapshots, and its :func:`partition_trajectory`.

    Args:
        seed: seed of the data (300 points, noise 0.1) and of the initialisation.
        bounds: the box.
        epochs: training epochs (a snapshot every ``epochs // 15``; at least 15).
        radius: local-complexity radius.

    Returns:
        ``{"trajectory", "summary", "model", "history", "x", "y"}``; ``summary`` holds ``total_angle`` and
        ``total_shift`` (summed first-layer motion), ``acc``, ``same_code_init_to_end`` (share of points with
        the same code at init and at the end), and over the second half of the snapshots ``late_same_code``
        (mean share keeping its code between snapshots) and ``late_map_change`` (mean relative output change
        of those points).
    """
    if epochs < 15:
        raise ValueError(f"epochs must be at least 15 (15 snapshots are taken), got {epochs}.")
    x, y = data.two_moons(300, noise=0.1, generator=models.seeded(seed))
    model = models.mlp([2, 16, 16, 1], generator=models.seeded(seed))
    init = models.clone(model)
    history = _train(model, x, y.float(), seed, loss="bce", lr=3e-3, epochs=epochs, snapshot_every=epochs // 15)
    tr = partition_trajectory(model, history.snapshots, x, bounds, radius=radius)
    late = slice(len(tr["epoch"]) // 2, None)
    summary = dict(total_angle=sum(tr["angle"]), total_shift=sum(tr["shift"]), acc=models.accuracy(model, x, y),
                   same_code_init_to_end=map_change(init, model, x).same_code,
                   late_same_code=float(np.mean(tr["same_code"][late])),
                   late_map_change=float(np.nanmean(tr["map_change"][late])))
    return dict(trajectory=tr, summary=summary, model=model, history=history, x=x, y=y)


def refinement_job(seed: int, bounds: Sequence[float], epochs: int, radius: float = LC_RADIUS) -> dict[str, Any]:
    """Section 5's job: :func:`refinement_experiment` with the network as a snapshot (``"state"``) and the
    history as a plain dict."""
    r = refinement_experiment(seed, bounds, epochs, radius)
    return dict(trajectory=r["trajectory"], summary=r["summary"], state=models.snapshot(r["model"]),
                history=dataclasses.asdict(r["history"]), x=r["x"], y=r["y"])


def refinement_study(seeds: Sequence[int], bounds: Sequence[float], epochs: int, radius: float = LC_RADIUS,
                     executor: Executor | None = None) -> list[dict[str, Any]]:
    """:func:`refinement_job` for every seed (as jobs), each result as :func:`refinement_experiment`'s."""
    runs = run_jobs(refinement_job, [dict(seed=s, bounds=tuple(bounds), epochs=epochs, radius=radius) for s in seeds],
                    executor=executor, desc="section 5: refinement")
    for r in runs:
        r["model"] = rebuild([2, 16, 16, 1], r.pop("state"))
        r["history"] = models.History(**r["history"])
    return runs


def refinement_gif(
    model: nn.Sequential,
    snapshots: Sequence[tuple[int, dict[str, Tensor]]],
    x: Tensor,
    y: Tensor,
    bounds: Sequence[float],
    output: int = 0,
    size_px: int = 340,
    duration_ms: int = 450,
) -> bytes:
    """The partition over training as an animated GIF: one frame per snapshot.

    Each frame draws the exact regions in the box, coloured by the network's output ``f_output`` at the
    region's centroid (blue negative, red positive; one fixed scale, 1.5 times the 95th percentile of
    ``|f|`` over all frames, so a region's colour only changes when its map does), the exact decision
    boundary ``f_output = 0`` and the data.

    Args:
        model: a 2-D network of the snapshots' architecture (not changed).
        snapshots: ``(epoch, state_dict)`` pairs (``History.snapshots``), at least 2.
        x: ``(n, 2)`` data.
        y: ``(n,)`` integer labels.
        bounds: the box ``(xmin, xmax, ymin, ymax)``.
        output: the output unit shown.
        size_px: frame width and height in pixels.
        duration_ms: time per frame.

    Returns:
        The GIF file's bytes (64-colour palette, looping).

    Raises:
        ValueError: fewer than 2 snapshots.
    """
    if len(snapshots) < 2:
        raise ValueError(f"an animation needs at least 2 snapshots, got {len(snapshots)}.")
    parts = [(epoch, linear_regions_2d(models.from_snapshot(model, state), bounds)) for epoch, state in snapshots]
    values = []
    for _, part in parts:
        A, c = output_line(part, output)
        values.append(np.einsum("rd,rd->r", part.centroids(), A) + c)
    scale = 1.5 * float(np.percentile(np.abs(np.concatenate(values)), 95)) or 1.0  # light enough to see the data
    images = []
    with matplotlib.rc_context(plotting.STYLE):
        dpi = 80
        for (epoch, part), value in zip(parts, values):
            fig = Figure(figsize=(size_px / dpi, size_px / dpi), dpi=dpi)
            canvas = FigureCanvasAgg(fig)
            ax = fig.add_subplot()
            plot_partition(part, x, y, ax=ax, output=output, size=3, values=np.clip(value, -scale, scale),
                           cmap="RdBu_r", linewidth=0.3)
            ax.collections[0].set_clim(-scale, scale)
            ax.set_title(f"epoch {epoch}: {len(part)} regions (colour: logit)", fontsize=10)
            canvas.draw()
            images.append(Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB"))
    palette = images[-1].quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    frames = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], loop=0,
                   duration=[duration_ms] * (len(frames) - 1) + [4 * duration_ms], optimize=True)
    return buffer.getvalue()


def plot_trajectories(trajectories: Sequence[Mapping[str, list[float]]], seeds: Sequence[int], axes: Any = None) -> Any:
    """Three panels over training: region count, local complexity (data solid, boundary dashed), and the
    first layer's mean line rotation between snapshots.

    Args:
        trajectories: outputs of :func:`partition_trajectory`, one per seed.
        seeds: the seeds (legend).
        axes: three matplotlib Axes (default: a new figure, two panels above one).

    Returns:
        The three axes.
    """
    if axes is None:
        fig = plt.figure(figsize=(10, 7))
        grid = fig.add_gridspec(2, 2)
        axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])]
    for i, tr in enumerate(trajectories):
        kw = dict(color=plotting.color(i), alpha=0.9)
        axes[0].plot(tr["epoch"], tr["regions"], label=f"seed {seeds[i]}", **kw)
        axes[1].plot(tr["epoch"], tr["lc_data"], **kw)
        axes[1].plot(tr["epoch"], tr["lc_boundary"], linestyle="--", **kw)
        axes[2].plot(tr["epoch"][1:], tr["angle"][1:], **kw)
    axes[0].set(xlabel="epoch", ylabel="regions in the box", title="Region count")
    axes[0].legend(fontsize=7)
    axes[1].set(xlabel="epoch", ylabel=f"neurons changing sign within r = {LC_RADIUS}",
                title="Local complexity: data (solid), boundary (dashed)")
    axes[2].set(xlabel="epoch", ylabel="mean rotation per snapshot (degrees)", yscale="log",
                title="First-layer line rotation between snapshots")
    return axes


def claim_learning_moves(summaries: Sequence[Mapping[str, float]]) -> Claim:
    """Claim "learning-moves-partitions-and-maps" (source).

    Rule: "reproduced" if for every seed the first-layer lines rotate by > 1 degree in total AND, between
    snapshots of the second half of training, points keeping their code see their output change by > 1% of
    its scale; "partly reproduced" if one of the two holds for every seed.

    Args:
        summaries: the ``"summary"`` of :func:`refinement_experiment`, one per seed.
    """
    moves = all(r["total_angle"] > 1.0 for r in summaries)
    maps = all(r["late_map_change"] > 0.01 for r in summaries)
    measured = {"total_rotation_deg": summarize([r["total_angle"] for r in summaries]),
                "total_shift": summarize([r["total_shift"] for r in summaries]),
                "share_keeping_code_init_to_end": summarize([r["same_code_init_to_end"] for r in summaries]),
                "share_keeping_code_per_snapshot_late": summarize([r["late_same_code"] for r in summaries]),
                "relative_output_change_same_code_late": summarize([r["late_map_change"] for r in summaries])}
    return Claim(
        id="learning-moves-partitions-and-maps", kind="source",
        claim="Learning adjusts the partition (rotating and shifting hyperplanes) and modifies the per-region maps.",
        source_value="qualitative",
        criterion="reproduced if, for every seed, the first-layer lines rotate > 1 degree in total AND late in "
                  "training points keeping their code see their output change > 1% of its scale; partly if one "
                  "of the two holds.",
        measured=measured, verdict=rule_verdict(moves and maps, partly=moves or maps), section=SECTION_5,
    )


def claim_boundary_concentration(trajectories: Sequence[Mapping[str, list[float]]]) -> Claim:
    """Claim "regions-concentrate-at-boundary" (source, citing Humayun, Balestriero, Baraniuk 2024).

    Rule: "reproduced" if at the end of training the local complexity at the decision boundary exceeds that
    at the data for every seed; "partly reproduced" for some seeds.

    Args:
        trajectories: outputs of :func:`partition_trajectory`, one per seed.
    """
    end = [(tr["lc_boundary"][-1], tr["lc_data"][-1]) for tr in trajectories]
    measured = {"lc_boundary_end": summarize([a for a, _ in end]), "lc_data_end": summarize([b for _, b in end])}
    return Claim(
        id="regions-concentrate-at-boundary", kind="source",
        claim="During training, regions migrate towards the decision boundary (Humayun, Balestriero, Baraniuk 2024).",
        source_value="qualitative",
        criterion="reproduced if at the end of training the local complexity at the decision boundary exceeds "
                  "that at the data for every seed; partly for some seeds.",
        measured=measured, verdict=rule_verdict(all(a > b for a, b in end), partly=any(a > b for a, b in end)),
        section=SECTION_5,
    )


# ----------------------------------------------------------------------------------------------------------
# 6. LoRA: constrained hyperplane motion?
# ----------------------------------------------------------------------------------------------------------


def adaptation_metrics(
    before: nn.Sequential,
    after: nn.Sequential,
    new: tuple[Tensor, Tensor],
    old: tuple[Tensor, Tensor],
    bounds: Sequence[float] | None = None,
) -> dict[str, float]:
    """Everything section 6 measures about one fine-tuning run.

    Args:
        before: the pre-trained MLP.
        after: the fine-tuned one (plain or LoRA).
        new: ``(x, y)`` of the new task.
        old: ``(x, y)`` of the pre-training task.
        bounds: if given (2-D inputs only), also count the exact regions in this box before and after.

    Returns:
        ``acc_new``, ``acc_old`` (after fine-tuning), ``acc_new_before``, ``acc_old_before``; for the first
        and second hidden layers (``l`` = 1, 2) ``angle{l}`` (mean normal rotation, degrees), ``shift{l}``
        (mean |offset change|), ``rank{l}`` (numerical rank of Delta W, singular values > 1e-3 of the
        largest); ``hamming`` (mean bits flipped per new-task point), ``changed`` (share of points whose code
        changed), ``new_code_points`` (share of new-task points hashed to a code that no old- or new-task
        point had before), ``new_codes``; with ``bounds``: ``regions_before``, ``regions_after``.
    """
    x_new, y_new = new
    x_old, y_old = old
    out: dict[str, float] = {
        "acc_new": models.accuracy(after, x_new, y_new),
        "acc_old": models.accuracy(after, x_old, y_old),
        "acc_new_before": models.accuracy(before, x_new, y_new),
        "acc_old_before": models.accuracy(before, x_old, y_old),
    }
    n_hidden = len(models.hidden_layers(before))
    for layer in range(1, min(2, n_hidden) + 1):
        motion = hyperplane_motion(before, after, layer)
        sv = update_spectrum(before, after, layer).numpy()
        out[f"angle{layer}"] = float(np.degrees(motion.angle.numpy()).mean())
        out[f"shift{layer}"] = float(np.abs(motion.shift.numpy()).mean())
        out[f"rank{layer}"] = int((sv > 1e-3 * sv.max()).sum()) if sv.max() > 0 else 0
    drift = code_drift(before, after, x_new, reference=torch.cat([x_old, x_new]))
    out.update(
        hamming=float(drift.hamming.numpy().mean()),
        changed=drift.changed,
        new_code_points=drift.points_in_new_codes,
        new_codes=drift.new_codes,
        codes_before=drift.codes_before,
        codes_after=drift.codes_after,
    )
    if bounds is not None:
        out["regions_before"] = len(linear_regions_2d(before, bounds))
        out["regions_after"] = len(linear_regions_2d(after, bounds))
    return out


def lora_pretrain(seed: int, pre_epochs: int, lr: float = 3e-3) -> tuple[nn.Sequential, Tensor, Tensor]:
    """Section 6's pre-training: a ``2 -> 32 -> 32 -> 2`` ReLU network on two moons (400 points, noise 0.1;
    Adam, full batch).

    Returns:
        ``(model, x_old, y_old)``.
    """
    x_old, y_old = data.two_moons(400, noise=0.1, generator=models.seeded(seed))
    pre = models.mlp([2, 32, 32, 2], generator=models.seeded(seed))
    _train(pre, x_old, y_old, seed, lr=lr, epochs=pre_epochs)
    return pre, x_old, y_old


def lora_finetune(
    pre: nn.Sequential, x_old: Tensor, y_old: Tensor, angle: float, method: Any, seed: int,
    bounds: Sequence[float] | None = BOX, epochs: int = 300, lr: float = 3e-3,
) -> dict[str, float]:
    """Fine-tune a copy of ``pre`` on the pre-training moons rotated by ``angle`` degrees, fully or with LoRA,
    and measure it (:func:`adaptation_metrics`). ``pre`` is not changed.

    Args:
        pre: the pre-trained network (:func:`lora_pretrain`).
        x_old: its training inputs ``(n, 2)``.
        y_old: its training labels ``(n,)``.
        angle: rotation of the new task, degrees.
        method: ``"full"`` (every parameter) or an int LoRA rank (every Linear layer adapted).
        seed: seed of the LoRA ``A`` factors.
        bounds: box for the exact region counts (``None``: no counts).
        epochs: fine-tuning epochs (Adam, full batch).
        lr: learning rate.
    """
    x_new = data.rotate(x_old, math.radians(angle))
    if method == "full":
        tuned = models.clone(pre)
        _train(tuned, x_new, y_old, seed, lr=lr, epochs=epochs)
    else:
        tuned = apply_lora(pre, rank=method, generator=models.seeded(seed))
        _train(tuned, x_new, y_old, seed, lr=lr, epochs=epochs, params=lora_parameters(tuned))
    return adaptation_metrics(pre, tuned, (x_new, y_old), (x_old, y_old), bounds)


def lora_experiment(
    seed: int, methods: Sequence[Any], shifts: Mapping[str, float], bounds: Sequence[float],
    pre_epochs: int, epochs: int = 300, lr: float = 3e-3,
) -> dict[tuple[str, Any], dict[str, float]]:
    """Section 6 for one seed: :func:`lora_pretrain`, then :func:`lora_finetune` for every shift and method.

    Args:
        seed: seed of the data, of the initialisation and of the LoRA ``A`` factors.
        methods: ``"full"`` or int LoRA ranks.
        shifts: ``{name: rotation angle in degrees}`` of the new task.
        bounds: box for the exact region counts.
        pre_epochs: pre-training epochs.
        epochs: fine-tuning epochs.
        lr: learning rate of both phases.

    Returns:
        ``{(shift name, method): adaptation_metrics(pre, tuned, new task, old task, bounds)}``.
    """
    pre, x_old, y_old = lora_pretrain(seed, pre_epochs, lr)
    return {(shift, method): lora_finetune(pre, x_old, y_old, angle, method, seed, bounds, epochs, lr)
            for shift, angle in shifts.items() for method in methods}


def lora_pretrain_job(seed: int, pre_epochs: int, lr: float = 3e-3) -> dict[str, Any]:
    """Section 6's first job per seed: :func:`lora_pretrain` as ``{"state", "x_old", "y_old"}``."""
    pre, x_old, y_old = lora_pretrain(seed, pre_epochs, lr)
    return dict(state=models.snapshot(pre), x_old=x_old, y_old=y_old)


def lora_finetune_job(state: Mapping[str, Tensor], x_old: Tensor, y_old: Tensor, angle: float, method: Any,
                      seed: int, bounds: Sequence[float] | None = BOX, epochs: int = 300,
                      lr: float = 3e-3) -> dict[str, float]:
    """Section 6's second job: :func:`lora_finetune` of the pre-trained ``2 -> 32 -> 32 -> 2`` network
    ``state`` (from :func:`lora_pretrain_job`) for one shift and method."""
    return lora_finetune(rebuild([2, 32, 32, 2], state), x_old, y_old, angle, method, seed, bounds, epochs, lr)


def lora_study(
    seeds: Sequence[int], methods: Sequence[Any], shifts: Mapping[str, float], bounds: Sequence[float],
    pre_epochs: int, epochs: int = 300, lr: float = 3e-3, executor: Executor | None = None,
) -> dict[tuple[str, Any], list[dict[str, float]]]:
    """:func:`lora_experiment` for every seed, as two rounds of jobs: :func:`lora_pretrain_job` per seed, then
    :func:`lora_finetune_job` per seed, shift and method (the same numbers, in jobs of similar size).

    Returns:
        ``{(shift name, method): per-seed adaptation_metrics}``.
    """
    pre = run_jobs(lora_pretrain_job, [dict(seed=s, pre_epochs=pre_epochs, lr=lr) for s in seeds],
                   executor=executor, desc="section 6: pre-training (2-D)")
    keys = [(shift, m) for shift in shifts for m in methods]
    jobs = [dict(**p, angle=shifts[shift], method=m, seed=s, bounds=None if bounds is None else tuple(bounds),
                 epochs=epochs, lr=lr) for s, p in zip(seeds, pre) for shift, m in keys]
    out = iter(run_jobs(lora_finetune_job, jobs, executor=executor, desc="section 6: fine-tuning (2-D)"))
    runs: dict[tuple[str, Any], list[dict[str, float]]] = {k: [] for k in keys}
    for _ in seeds:
        for key in keys:
            runs[key].append(next(out))
    return runs


def plot_lora_bars(runs: Mapping[tuple[str, Any], Sequence[Mapping[str, float]]], shifts: Sequence[str],
                   methods: Sequence[Any], axes: Any = None, layer: int = 2) -> Any:
    """Three grouped bar charts (mean and std over seeds) per method and shift: rotation of hidden layer ``layer``'s
    normals, share of new-task points in new codes, and old-task accuracy after fine-tuning.

    Args:
        runs: ``{(shift, method): per-seed adaptation_metrics}``.
        shifts: the shift names (one bar colour each).
        methods: ``"full"`` and LoRA ranks.
        axes: three matplotlib Axes (default: a new figure, two panels above one).
        layer: the hidden layer whose normals' rotation is shown.

    Returns:
        The axes.
    """
    if axes is None:
        fig = plt.figure(figsize=(10, 7))
        grid = fig.add_gridspec(2, 2)
        axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])]
    labels = [str(m) if m == "full" else f"LoRA r={m}" for m in methods]
    width = 0.38
    panels = [(f"angle{layer}", f"Mean rotation of layer-{layer} normals (deg)", "degrees"),
              ("new_code_points", "Share of new-task points in new codes", "share of points"),
              ("acc_old", "Old-task accuracy after fine-tuning", "accuracy")]
    for k, shift in enumerate(shifts):
        pos = np.arange(len(methods)) + (k - 0.5) * width
        for ax, (key, title, ylabel) in zip(axes, panels):
            vals = [[r[key] for r in runs[(shift, m)]] for m in methods]
            ax.bar(pos, [np.mean(v) for v in vals], width, yerr=[np.std(v) for v in vals], capsize=2,
                   color=plotting.color(k), label=shift)
            ax.set_xticks(np.arange(len(methods)), labels)
            ax.set(title=title, ylabel=ylabel)
    axes[2].legend(fontsize=8)
    return axes


def _pool(runs: Mapping[tuple[str, Any], Sequence[Mapping[str, float]]], key: str, shifts: Sequence[str],
          methods: Sequence[Any]) -> list:
    return [r[key] for s in shifts for m in methods for r in runs[(s, m)]]


def _ranks(runs: Mapping[tuple[str, Any], Any]) -> list[int]:
    return sorted({m for _, m in runs if m != "full"})


def claim_lora_constrained(runs: Mapping[tuple[str, Any], Sequence[Mapping[str, float]]], shifts: Sequence[str],
                           far: str, layer: int = 2) -> Claim:
    """Claim "lora-constrained-directions" (check: an update of rank <= r has rank <= r by construction).

    Rule: "reproduced" if every LoRA update of the hidden-to-hidden layer (hidden layer 2) has rank <= r
    while full fine-tuning's has rank > 4 for every run.

    Args:
        runs: ``{(shift, method): per-seed adaptation_metrics}``; methods ``"full"`` and LoRA ranks 1 and 4
            at least.
        shifts: the shift names.
        far: the far shift's name.
        layer: the hidden layer whose update is checked (2 in the 2-D experiment, 1 at MNIST scale).
    """
    rank, angle = f"rank{layer}", f"angle{layer}"
    rank_ok = all(r[rank] <= m for s in shifts for m in _ranks(runs) for r in runs[(s, m)])
    full_rank = _pool(runs, rank, shifts, ["full"])
    measured = {"max_rank_lora_r1": max(_pool(runs, rank, shifts, [1])),
                "max_rank_lora_r4": max(_pool(runs, rank, shifts, [4])),
                "rank_full": summarize(full_rank),
                "rotation_deg_lora_r1_far": summarize(_pool(runs, angle, [far], [1])),
                "rotation_deg_full_far": summarize(_pool(runs, angle, [far], ["full"]))}
    ok = rank_ok and min(full_rank) > 4
    return Claim(
        id="lora-constrained-directions", kind="check",
        claim="LoRA updates the partitions only in a specific (low-rank) set of directions.",
        source_value="qualitative",
        criterion=f"reproduced if every LoRA update of hidden layer {layer} has rank <= r while full fine-tuning's "
                  "has rank > 4 in every run.",
        measured=measured, verdict="reproduced" if ok else "not reproduced", section=SECTION_6,
    )


def claim_lora_no_new_partitions(runs: Mapping[tuple[str, Any], Sequence[Mapping[str, float]]],
                                 shifts: Mapping[str, float], far: str, counts: str = "regions") -> Claim:
    """Claim "lora-no-new-partitions" (source).

    Rule: "reproduced" if LoRA (all ranks) puts < 5% of the new-task points into new codes at every shift;
    "partly reproduced" if, at every shift, it puts on average fewer than half as many there as full
    fine-tuning; otherwise "not reproduced".

    Args:
        runs: ``{(shift, method): per-seed adaptation_metrics}``.
        shifts: ``{shift name: angle in degrees}``.
        far: the far shift's name.
        counts: ``"regions"`` (exact 2-D region counts in the box, keys ``regions_before/after``) or
            ``"codes"`` (distinct codes on the new-task data, keys ``codes_before/after``), reported before and
            after for LoRA on the far task.
    """
    ranks = _ranks(runs)
    new_lora = {s: _pool(runs, "new_code_points", [s], ranks) for s in shifts}
    new_full = {s: _pool(runs, "new_code_points", [s], ["full"]) for s in shifts}
    tiny = all(max(v) < 0.05 for v in new_lora.values())
    half = all(np.mean(new_lora[s]) < 0.5 * np.mean(new_full[s]) for s in shifts)
    far_lora = [r for m in ranks for r in runs[(far, m)]]
    measured = {**{f"new_code_points_lora_{shifts[s]}deg": summarize(new_lora[s]) for s in shifts},
                **{f"new_code_points_full_{shifts[s]}deg": summarize(new_full[s]) for s in shifts},
                f"{counts}_before_lora_far": summarize([r[f"{counts}_before"] for r in far_lora]),
                f"{counts}_after_lora_far": summarize([r[f"{counts}_after"] for r in far_lora]),
                "code_bits_flipped_lora_far": summarize([r["hamming"] for r in far_lora]),
                "code_bits_flipped_full_far": summarize(_pool(runs, "hamming", [far], ["full"]))}
    return Claim(
        id="lora-no-new-partitions", kind="source",
        claim="LoRA typically does not result in new partitions.", source_value="qualitative",
        criterion="reproduced if LoRA puts < 5% of the new-task points into new codes at every shift; partly if "
                  "it puts on average fewer than half as many there as full fine-tuning; else not reproduced.",
        measured=measured,
        verdict="reproduced" if tiny else ("partly reproduced" if half else "not reproduced"), section=SECTION_6,
    )


def claim_lora_forgetting(runs: Mapping[tuple[str, Any], Sequence[Mapping[str, float]]], far: str) -> Claim:
    """Claim "lora-does-not-prevent-forgetting" (source).

    Rule: "reproduced" if LoRA loses > 5 points of old-task accuracy on the far task on average, and at least
    half as much as full fine-tuning; "partly reproduced" if it loses > 5 points but less than that.

    Args:
        runs: ``{(shift, method): per-seed adaptation_metrics}``.
        far: the far shift's name.
    """
    ranks = _ranks(runs)
    drop_lora = [r["acc_old_before"] - r["acc_old"] for m in ranks for r in runs[(far, m)]]
    drop_full = [r["acc_old_before"] - r["acc_old"] for r in runs[(far, "full")]]
    forgets = np.mean(drop_lora) > 0.05
    measured = {"old_acc_drop_lora_far": summarize(drop_lora), "old_acc_drop_full_far": summarize(drop_full),
                "new_acc_lora_far": summarize(_pool(runs, "acc_new", [far], ranks))}
    ok = forgets and np.mean(drop_lora) >= 0.5 * np.mean(drop_full)
    return Claim(
        id="lora-does-not-prevent-forgetting", kind="source",
        claim="LoRA changes the per-region maps and does not explicitly avoid forgetting.",
        source_value="qualitative",
        criterion="reproduced if LoRA loses > 5 points of old-task accuracy on the far task on average and at "
                  "least half as much as full fine-tuning; partly if it loses > 5 points but less than that.",
        measured=measured,
        verdict="reproduced" if ok else ("partly reproduced" if forgets else "not reproduced"), section=SECTION_6,
    )


def claim_lora_close_tasks(runs: Mapping[tuple[str, Any], Sequence[Mapping[str, float]]], close: str,
                           far: str, regime: str | None = None) -> Claim:
    """Claim "lora-effective-for-close-tasks" (source).

    Rule: "reproduced" if rank-1 LoRA's mean new-task accuracy is within 0.02 of full fine-tuning's on the
    close task and falls further behind on the far task; "partly reproduced" if only the first holds.

    Args:
        runs: ``{(shift, method): per-seed adaptation_metrics}``.
        close: the close shift's name.
        far: the far shift's name.
        regime: the setting the verdict holds in (e.g. fine-tuning epochs, LoRA rank, adapted layer), or
            ``None``; when given it opens the criterion ("in this regime: ...") and is kept in ``measured``
            as ``"regime"``, since the gap depends on how long LoRA is trained.
    """

    def acc(shift: str, method: Any) -> list[float]:
        return [r["acc_new"] for r in runs[(shift, method)]]

    def gaps(shift: str) -> list[float]:
        return [a - b for a, b in zip(acc(shift, "full"), acc(shift, 1))]  # paired by seed

    gap_close, gap_far = float(np.mean(gaps(close))), float(np.mean(gaps(far)))
    measured = {"new_acc_gap_full_minus_r1_close": summarize(gaps(close)),
                "new_acc_gap_full_minus_r1_far": summarize(gaps(far)),
                **{f"new_acc_{name}_{tag}": summarize(acc(shift, method))
                   for tag, shift in (("close", close), ("far", far))
                   for name, method in (("full", "full"), ("r1", 1))}}
    ok = gap_close <= 0.02
    criterion = ("reproduced if rank-1 LoRA is within 0.02 of full fine-tuning's new-task accuracy on the close "
                 "task and falls further behind on the far task; partly if only the first holds.")
    if regime is not None:
        measured["regime"] = regime
        criterion = f"In the regime {regime}: {criterion}"
    return Claim(
        id="lora-effective-for-close-tasks", kind="source",
        claim="LoRA is effective for tasks close to the pre-training distribution.", source_value="qualitative",
        criterion=criterion,
        measured=measured,
        verdict="reproduced" if ok and gap_far > gap_close else ("partly reproduced" if ok else "not reproduced"),
        section=SECTION_6,
    )


# ----------------------------------------------------------------------------------------------------------
# MNIST-scale experiments (sections 3, 4, 6 and 7)
# ----------------------------------------------------------------------------------------------------------

MNIST_NET = [784, 64, 64, 10]
"""The MNIST network of the bias (section 4) and LoRA (section 6) experiments, and of the LSH test (section 7)."""

DEPTH_NETS = {"deep 784-64x3-10": [784, 64, 64, 64, 10], "wide 784-74-10": [784, 74, 10]}
"""Section 3's learning-dynamics pair on MNIST: a deep network and a one-hidden-layer network with the same
number of parameters (59,210 vs 58,840; see :func:`parameter_count`)."""

DEPTH_LRS = [1e-4, 1e-3, 1e-2, 3e-2]
"""Section 3's Adam learning rates (more than a decade either side of the library default 1e-3)."""

SECTION_7 = "7. Codes as locality-sensitive hashes"


def parameter_count(widths: Sequence[int], bias: bool = True) -> int:
    """Trainable parameters of ``models.mlp(widths, bias=bias)``: ``sum_l (n_{l-1} + bias) n_l``."""
    return int(sum((a + int(bias)) * b for a, b in zip(widths, widths[1:])))


def rotate_digits(x: Tensor, degrees: float) -> Tensor:
    """Flat 28 x 28 digits ``(n, 784)`` rotated by ``degrees`` about the image centre (bilinear, zero padding)."""
    n = len(x)
    a = math.radians(degrees)
    theta = torch.tensor([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0]], dtype=x.dtype)
    theta = theta.expand(n, 2, 3)
    images = x.reshape(n, 1, 28, 28)
    grid = torch.nn.functional.affine_grid(theta, list(images.shape), align_corners=False)
    return torch.nn.functional.grid_sample(images, grid, mode="bilinear", padding_mode="zeros",
                                           align_corners=False).reshape(n, 784)


def standardise(train_x: Tensor, *others: Tensor) -> list[Tensor]:
    """Inputs centred by the training set's per-pixel mean and divided by its overall standard deviation
    (one scalar, so constant pixels stay at 0): ``[train, *others]`` standardised."""
    mean = train_x.mean(dim=0, keepdim=True)
    scale = (train_x - mean).std()
    return [(t - mean) / scale for t in (train_x, *others)]


def mnist_bias_experiment(seed: int, train_set: tuple[Tensor, Tensor], test_set: tuple[Tensor, Tensor],
                          bias: bool, n_train: int, epochs: int, lr: float = 1e-3) -> dict[str, float]:
    """Section 4 at MNIST scale: a ``784 -> 64 -> 64 -> 10`` network with or without biases on standardised
    digits (:func:`standardise`; the first ``n_train`` training digits; Adam, batch 128).

    Returns:
        ``{"train_acc", "test_acc", "gap"`` (train minus test accuracy), ``"final_loss"}``.
    """
    x_tr, x_te = standardise(train_set[0][:n_train], test_set[0])
    y_tr, y_te = train_set[1][:n_train], test_set[1]
    model = models.mlp(MNIST_NET, bias=bias, generator=models.seeded(seed))
    history = _train(model, x_tr, y_tr, seed, lr=lr, epochs=epochs, batch_size=128)
    train_acc, test_acc = models.accuracy(model, x_tr, y_tr), models.accuracy(model, x_te, y_te)
    return dict(train_acc=train_acc, test_acc=test_acc, gap=train_acc - test_acc, final_loss=history.epoch_loss[-1])


def mnist_bias_job(seed: int, bias: bool, n_train: int, epochs: int, lr: float = 1e-3) -> dict[str, float]:
    """Section 4's MNIST job: :func:`mnist_bias_experiment` on the MNIST digits (:func:`mnist`)."""
    return mnist_bias_experiment(seed, mnist("train"), mnist("test"), bias, n_train, epochs, lr)


def mnist_bias_study(seeds: Sequence[int], n_train: int, epochs: int, name: str = "784-64-64-10",
                     executor: Executor | None = None) -> dict[tuple[str, bool], list[dict[str, float]]]:
    """:func:`mnist_bias_job` with and without biases for every seed (as jobs): ``{(name, bias): per-seed}``."""
    jobs = [dict(seed=s, bias=b, n_train=n_train, epochs=epochs) for b in (True, False) for s in seeds]
    out = iter(run_jobs(mnist_bias_job, jobs, executor=executor, desc="section 4: biases on MNIST"))
    return {(name, b): [next(out) for _ in seeds] for b in (True, False)}


def mnist_lora_experiment(
    seed: int, train_set: tuple[Tensor, Tensor], test_set: tuple[Tensor, Tensor], methods: Sequence[Any],
    shifts: Mapping[str, float], n_train: int, pre_epochs: int, epochs: int, lr: float = 1e-3,
    tune_lrs: Sequence[float] = (1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1),
) -> dict[tuple[str, Any], dict[str, float]]:
    """Section 6 at MNIST scale, one seed: pre-train ``784 -> 64 -> 64 -> 10`` on upright digits (the first
    ``n_train``; Adam, batch 128), then adapt only its first layer (input dimension 784, far above the rank)
    to the digits rotated by each shift's angle: ``"full"`` trains that layer's whole ``W`` and ``b``; an int
    ``r`` trains a rank-``r`` LoRA of it. Measured on the test digits (new task: rotated, old task: upright)
    by :func:`adaptation_metrics`. Each method is fine-tuned at every learning rate of ``tune_lrs`` and
    kept at the one with the best accuracy on the rotated *training* digits (LoRA is usually run at a higher
    rate than full fine-tuning; the fine-tuning rate is a lost setting).

    Returns:
        ``{(shift name, method): adaptation_metrics + {"lr"}}`` (codes are the 128-bit codes of both hidden
        layers).
    """
    pre = mnist_lora_pretrain(seed, train_set, n_train, pre_epochs, lr)
    return {(shift, method): mnist_lora_finetune(pre, seed, train_set, test_set, angle, method, n_train, epochs,
                                                 tune_lrs)
            for shift, angle in shifts.items() for method in methods}


def mnist_lora_pretrain(seed: int, train_set: tuple[Tensor, Tensor], n_train: int, pre_epochs: int,
                        lr: float = 1e-3) -> nn.Sequential:
    """Section 6's MNIST pre-training: ``784 -> 64 -> 64 -> 10`` on the first ``n_train`` upright digits
    (Adam at ``lr``, batch 128)."""
    pre = models.mlp(MNIST_NET, generator=models.seeded(seed))
    _train(pre, train_set[0][:n_train], train_set[1][:n_train], seed, lr=lr, epochs=pre_epochs, batch_size=128)
    return pre


def mnist_lora_finetune(
    pre: nn.Sequential, seed: int, train_set: tuple[Tensor, Tensor], test_set: tuple[Tensor, Tensor],
    angle: float, method: Any, n_train: int, epochs: int,
    tune_lrs: Sequence[float] = (1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1),
) -> dict[str, float]:
    """One shift and method of :func:`mnist_lora_experiment`: adapt the first layer of ``pre`` (not changed) to
    the first ``n_train`` training digits rotated by ``angle`` degrees at every rate of ``tune_lrs``, keep the
    best fit, and measure it on the test digits: ``adaptation_metrics + {"lr"}``."""
    x_tr, y_tr = train_set[0][:n_train], train_set[1][:n_train]
    x_te, y_te = test_set
    x_new = rotate_digits(x_tr, angle)
    best = None
    for tune_lr in tune_lrs:
        if method == "full":
            tuned = models.clone(pre)
            params = list(tuned[0].parameters())
        else:
            tuned = apply_lora(pre, rank=method, layers=[1], generator=models.seeded(seed))
            params = lora_parameters(tuned)
        _train(tuned, x_new, y_tr, seed, lr=tune_lr, epochs=epochs, batch_size=128, params=params)
        fit = models.accuracy(tuned, x_new, y_tr)
        if best is None or fit > best[0]:
            best = (fit, tune_lr, tuned)
    metrics = adaptation_metrics(pre, best[2], (rotate_digits(x_te, angle), y_te), (x_te, y_te))
    return {**metrics, "lr": best[1]}


def mnist_lora_pretrain_job(seed: int, n_train: int, pre_epochs: int, lr: float = 1e-3) -> dict[str, Tensor]:
    """Section 6's first MNIST job per seed: :func:`mnist_lora_pretrain`, as a snapshot."""
    return models.snapshot(mnist_lora_pretrain(seed, mnist("train"), n_train, pre_epochs, lr))


def mnist_lora_finetune_job(state: Mapping[str, Tensor], seed: int, angle: float, method: Any, n_train: int,
                            epochs: int) -> dict[str, float]:
    """Section 6's second MNIST job: :func:`mnist_lora_finetune` of the pre-trained network ``state`` for one
    shift and method."""
    return mnist_lora_finetune(rebuild(MNIST_NET, state), seed, mnist("train"), mnist("test"), angle, method,
                               n_train, epochs)


def mnist_lora_study(seeds: Sequence[int], methods: Sequence[Any], shifts: Mapping[str, float], n_train: int,
                     pre_epochs: int, epochs: int,
                     executor: Executor | None = None) -> dict[tuple[str, Any], list[dict[str, float]]]:
    """:func:`mnist_lora_experiment` for every seed, as two rounds of jobs (:func:`mnist_lora_pretrain_job` per
    seed, then :func:`mnist_lora_finetune_job` per seed, shift and method): ``{(shift, method): per-seed}``."""
    states = run_jobs(mnist_lora_pretrain_job, [dict(seed=s, n_train=n_train, pre_epochs=pre_epochs) for s in seeds],
                      executor=executor, desc="section 6: pre-training (MNIST)")
    keys = [(shift, m) for shift in shifts for m in methods]
    jobs = [dict(state=st, seed=s, angle=shifts[shift], method=m, n_train=n_train, epochs=epochs)
            for s, st in zip(seeds, states) for shift, m in keys]
    out = iter(run_jobs(mnist_lora_finetune_job, jobs, executor=executor, desc="section 6: fine-tuning (MNIST)"))
    runs: dict[tuple[str, Any], list[dict[str, float]]] = {k: [] for k in keys}
    for _ in seeds:
        for key in keys:
            runs[key].append(next(out))
    return runs


def lora_regime(epochs: int, ranks: Sequence[int], layer: str, scale: str) -> str:
    """The regime a LoRA verdict is decided in, in words, e.g. ``"MNIST, first layer adapted, LoRA rank 1
    vs full fine-tuning of that layer, 3 fine-tuning epochs (scale ci)"``."""
    ranks_text = ", ".join(str(r) for r in ranks)
    return (f"MNIST, {layer} adapted, LoRA rank {ranks_text} vs full fine-tuning of that layer, {epochs} "
            f"fine-tuning epochs (scale {scale})")


def collision_curve(model: nn.Sequential, x: Tensor, n_random: int, neighbours: int, bins: int,
                    generator: torch.Generator, layers: list[int] | None = None) -> dict[str, np.ndarray]:
    """How often two inputs' hash codes collide against the angle between them, with random-hyperplane LSH
    (SimHash) as the reference.

    Pairs: ``n_random`` random pairs of rows of ``x`` and each row with its ``neighbours`` nearest rows (so
    that small angles are covered). The angle ``theta`` is taken between the rows centred by the mean of ``x``.
    For SimHash with hyperplanes through the centre, ``P(a bit agrees) = 1 - theta / pi``.

    Args:
        model: an MLP; codes from :func:`mlpgeo.patterns.codes` (``layers``: 1-based hidden layers, default all).
        x: ``(n, d)`` inputs.
        n_random: random pairs of rows drawn.
        neighbours: nearest rows paired with each row (so that small angles are covered).
        bins: angle bins (quantiles of the pairs' angles).
        generator: the random source of the random pairs.

    Returns:
        ``{"theta"`` (bin mean angle, radians), ``"bit_agreement"`` (mean share of agreeing bits),
        ``"same_code"`` (share of pairs with identical codes), ``"simhash"`` (``1 - theta / pi``), ``"pairs"``
        (pairs per bin)``}``, arrays of length ``bins``.
    """
    xc = (x - x.mean(dim=0, keepdim=True)).double()
    unit = xc / xc.norm(dim=1, keepdim=True).clamp_min(1e-12)
    n = len(x)
    i = torch.randint(n, (n_random,), generator=generator)
    j = torch.randint(n, (n_random,), generator=generator)
    keep = i != j
    i, j = i[keep], j[keep]
    cos = unit @ unit.T
    cos.fill_diagonal_(-2.0)
    nn_j = cos.topk(neighbours, dim=1).indices
    i = torch.cat([i, torch.arange(n).repeat_interleave(neighbours)])
    j = torch.cat([j, nn_j.reshape(-1)])
    theta = torch.arccos((unit[i] * unit[j]).sum(dim=1).clamp(-1, 1)).numpy()
    c = patterns.codes(model, x, layers=layers).cpu()
    agree = (c[i] == c[j]).float().mean(dim=1).numpy()
    same = (c[i] == c[j]).all(dim=1).float().numpy()
    edges = np.quantile(theta, np.linspace(0, 1, bins + 1))
    which = np.clip(np.searchsorted(edges, theta, side="right") - 1, 0, bins - 1)
    out = {k: np.zeros(bins) for k in ("theta", "bit_agreement", "same_code", "pairs")}
    for b in range(bins):
        m = which == b
        out["pairs"][b] = m.sum()
        out["theta"][b] = theta[m].mean() if m.any() else np.nan
        out["bit_agreement"][b] = agree[m].mean() if m.any() else np.nan
        out["same_code"][b] = same[m].mean() if m.any() else np.nan
    out["simhash"] = 1 - out["theta"] / np.pi
    return out


def _spearman(a: Sequence[float], b: Sequence[float]) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def lsh_experiment(seed: int, train_set: tuple[Tensor, Tensor], test_set: tuple[Tensor, Tensor], n_train: int,
                   epochs: int, n_points: int = 1000, bins: int = 10) -> dict[str, Any]:
    """Section 7: :func:`collision_curve` of a ``784 -> 64 -> 64 -> 10`` MNIST network at initialisation and
    after training (Adam, lr 1e-3, batch 128), on ``n_points`` test digits (5000 random pairs, 5 nearest
    neighbours each, all 128 bits).

    Returns:
        ``{"init", "trained"}`` (curves) and per network ``{"<net>_spearman"`` (rank correlation of bit
        agreement with angle over the bins), ``"<net>_drop"`` (agreement in the nearest bin minus the
        farthest), ``"<net>_gap_simhash"`` (mean |agreement - SimHash| over the bins)``}``, ``"test_acc"``.
    """
    x_tr, y_tr = train_set[0][:n_train], train_set[1][:n_train]
    x = test_set[0][:n_points]
    model = models.mlp(MNIST_NET, generator=models.seeded(seed))
    out: dict[str, Any] = {"init": collision_curve(model, x, 5000, 5, bins, models.seeded(seed))}
    _train(model, x_tr, y_tr, seed, lr=1e-3, epochs=epochs, batch_size=128)
    out["trained"] = collision_curve(model, x, 5000, 5, bins, models.seeded(seed))
    out["test_acc"] = models.accuracy(model, *test_set)
    for net in ("init", "trained"):
        c = out[net]
        out[f"{net}_spearman"] = _spearman(c["theta"], c["bit_agreement"])
        out[f"{net}_drop"] = float(c["bit_agreement"][0] - c["bit_agreement"][-1])
        out[f"{net}_gap_simhash"] = float(np.mean(np.abs(c["bit_agreement"] - c["simhash"])))
    return out


def lsh_job(seed: int, n_train: int, epochs: int) -> dict[str, Any]:
    """Section 7's job: :func:`lsh_experiment` on the MNIST digits (:func:`mnist`)."""
    return lsh_experiment(seed, mnist("train"), mnist("test"), n_train, epochs)


def lsh_study(seeds: Sequence[int], n_train: int, epochs: int, executor: Executor | None = None) -> list[dict[str, Any]]:
    """:func:`lsh_job` for every seed (as jobs)."""
    return run_jobs(lsh_job, [dict(seed=s, n_train=n_train, epochs=epochs) for s in seeds], executor=executor,
                    desc="section 7: LSH")


def plot_collision_curves(runs: Sequence[Mapping[str, Any]], ax: Any = None) -> Any:
    """Per-bit collision probability against input angle for every seed, trained (solid) and at
    initialisation (dashed), with SimHash's ``1 - theta / pi`` (dotted).

    Args:
        runs: outputs of :func:`lsh_experiment`.
        ax: matplotlib Axes (default: a new figure).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for k, r in enumerate(runs):
        for net, style in (("trained", "-"), ("init", "--")):
            c = r[net]
            label = f"trained, run {k + 1}" if net == "trained" else ("at initialisation (dashed)" if k == 0 else None)
            ax.plot(np.degrees(c["theta"]), c["bit_agreement"], style, marker="o", ms=3, color=plotting.color(k),
                    label=label)
    theta = np.linspace(0, max(np.nanmax(r[net]["theta"]) for r in runs for net in ("trained", "init")), 50)
    ax.plot(np.degrees(theta), 1 - theta / np.pi, ":", color="0.3", label="SimHash: 1 - θ/π")
    ax.set(xlabel="angle between the (centred) digits, degrees", ylabel="share of code bits that agree")
    ax.legend(fontsize=7)
    return ax


def claim_lsh(runs: Sequence[Mapping[str, Any]]) -> Claim:
    """Claim "mlp-is-locality-sensitive-hash" (source).

    Rule: "reproduced" if, for every seed, the trained network's per-bit code agreement falls with the
    angle between inputs (Spearman rho <= -0.9 over the angle bins) and by at least 0.1 from the nearest bin
    to the farthest; "partly reproduced" if that holds for some seeds; else "not reproduced".
    """
    holds = [r["trained_spearman"] <= -0.9 and r["trained_drop"] >= 0.1 for r in runs]
    measured = {"agreement_drop_near_minus_far_trained": summarize([r["trained_drop"] for r in runs]),
                "spearman_trained": summarize([r["trained_spearman"] for r in runs]),
                "agreement_drop_near_minus_far_init": summarize([r["init_drop"] for r in runs]),
                "spearman_init": summarize([r["init_spearman"] for r in runs]),
                "mean_abs_gap_to_simhash_trained": summarize([r["trained_gap_simhash"] for r in runs]),
                "mean_abs_gap_to_simhash_init": summarize([r["init_gap_simhash"] for r in runs])}
    return Claim(
        id="mlp-is-locality-sensitive-hash", kind="source",
        claim="MLPs are locality sensitive hashing functions that partition an input space.",
        source_value="qualitative",
        criterion="reproduced if, for every seed, the trained net's per-bit code agreement falls with input angle "
                  "(Spearman rho <= -0.9 over angle bins) by >= 0.1 from the nearest to the farthest bin; partly "
                  "if for some seeds.",
        measured=measured, verdict=report.seed_verdict(holds), section=SECTION_7,
    )


def depth_dynamics_experiment(seed: int, train_set: tuple[Tensor, Tensor], widths: Sequence[int], lr: float,
                              n_train: int, epochs: int) -> dict[str, Any]:
    """Section 3's learning dynamics: train one MNIST network (Adam at ``lr``, batch 128, the first ``n_train``
    digits) and keep its training-loss curve.

    Returns:
        ``{"epoch_loss"`` (list), ``"step_loss"`` (list), ``"final_loss"`` (last epoch), ``"mean_loss"`` (mean
        over epochs: the area under the curve per epoch), ``"train_acc"}``.
    """
    x, y = train_set[0][:n_train], train_set[1][:n_train]
    model = models.mlp(list(widths), generator=models.seeded(seed))
    history = _train(model, x, y, seed, lr=lr, epochs=epochs, batch_size=128)
    return dict(epoch_loss=list(history.epoch_loss), step_loss=list(history.step_loss),
                final_loss=history.epoch_loss[-1], mean_loss=float(np.mean(history.epoch_loss)),
                train_acc=models.accuracy(model, x, y))


def depth_dynamics_job(seed: int, widths: Sequence[int], lr: float, n_train: int, epochs: int) -> dict[str, Any]:
    """Section 3's learning-dynamics job: :func:`depth_dynamics_experiment` on the MNIST training digits."""
    return depth_dynamics_experiment(seed, mnist("train"), widths, lr, n_train, epochs)


def depth_dynamics_study(seeds: Sequence[int], nets: Mapping[str, Sequence[int]], lrs: Sequence[float], n_train: int,
                         epochs: int, executor: Executor | None = None) -> dict[tuple[str, float], list[dict]]:
    """:func:`depth_dynamics_job` for every network, learning rate and seed (as jobs):
    ``{(network, lr): per-seed results}``."""
    keys = [(name, lr) for name in nets for lr in lrs]
    jobs = [dict(seed=s, widths=list(nets[name]), lr=lr, n_train=n_train, epochs=epochs) for name, lr in keys
            for s in seeds]
    out = iter(run_jobs(depth_dynamics_job, jobs, executor=executor, desc="section 3: learning dynamics"))
    return {key: [next(out) for _ in seeds] for key in keys}


def plot_loss_curves(runs: Mapping[tuple[str, float], Sequence[Mapping[str, Any]]], nets: Sequence[str],
                     lrs: Sequence[float], axes: Any = None) -> Any:
    """Training loss per epoch (log scale), one panel per learning rate, one colour per network, one line
    per seed."""
    if axes is None:
        _, axes = plt.subplots(1, len(lrs), figsize=(10, 3.6), sharey=True)
    for ax, lr in zip(np.atleast_1d(axes), lrs):
        for k, name in enumerate(nets):
            for s, r in enumerate(runs[(name, lr)]):
                ax.plot(range(1, len(r["epoch_loss"]) + 1), r["epoch_loss"], color=plotting.color(k), alpha=0.8,
                        label=name if s == 0 else None)
        ax.set(title=f"Adam, lr {lr:g}", xlabel="epoch", yscale="log")
    np.atleast_1d(axes)[0].set_ylabel("training loss (epoch mean)")
    np.atleast_1d(axes)[0].legend(fontsize=7)
    return axes


def claim_depth_dynamics(runs: Mapping[tuple[str, float], Sequence[Mapping[str, Any]]], deep: str, wide: str,
                         lrs: Sequence[float]) -> Claim:
    """Claim "deeper-better-learning-dynamics" (source).

    Rule: at each network's best learning rate (lowest mean final loss), "reproduced" if for every seed the
    deep network ends with a lower training loss AND a lower mean loss over the epochs than the wide network
    with the same parameter count; "partly reproduced" if both hold for some seeds; else "not reproduced". The learning rates where the deep one
    wins for every seed are reported as the regime.
    """
    best = {n: min(lrs, key=lambda lr: np.mean([r["final_loss"] for r in runs[(n, lr)]])) for n in (deep, wide)}
    d, w = runs[(deep, best[deep])], runs[(wide, best[wide])]
    holds = [a["final_loss"] < b["final_loss"] and a["mean_loss"] < b["mean_loss"] for a, b in zip(d, w)]
    wins = [lr for lr in lrs if all(a["final_loss"] < b["final_loss"] and a["mean_loss"] < b["mean_loss"]
                                    for a, b in zip(runs[(deep, lr)], runs[(wide, lr)]))]
    measured = {"final_loss_ratio_deep_over_wide_best_lr": summarize([a["final_loss"] / b["final_loss"]
                                                                      for a, b in zip(d, w)]),
                "mean_loss_ratio_deep_over_wide_best_lr": summarize([a["mean_loss"] / b["mean_loss"]
                                                                     for a, b in zip(d, w)]),
                "best_lr_deep": best[deep], "best_lr_wide": best[wide],
                "lrs_where_deep_wins_every_seed": ", ".join(f"{lr:g}" for lr in wins) or "none",
                **{f"final_loss_{n.split()[0]}_lr{lr:g}": summarize([r["final_loss"] for r in runs[(n, lr)]])
                   for n in (deep, wide) for lr in lrs}}
    return Claim(
        id="deeper-better-learning-dynamics", kind="source",
        claim="Going deeper has better learning dynamics than a single-layer network.", source_value="qualitative",
        criterion="at each net's best lr, reproduced if for every seed the deep net ends with lower training loss AND "
                  "lower mean loss over epochs than the equal-parameter wide net; partly if for some seeds.",
        measured=measured, verdict=report.seed_verdict(holds), section=SECTION_3,
    )


# ----------------------------------------------------------------------------------------------------------
# The site's interactive playground
# ----------------------------------------------------------------------------------------------------------


def _numbers(tensor: Tensor) -> Any:
    """Nested lists of the shortest decimals that round-trip to the tensor's dtype (float32 or float64)."""
    array = tensor.detach().cpu().numpy()
    if array.dtype != np.float32:
        return array.astype(np.float64).tolist()
    short = [float(str(value)) for value in array.ravel()]  # str of a numpy float32: its shortest decimal
    return np.array(short, dtype=object).reshape(array.shape).tolist()


def playground_preset(name: str, description: str, model: nn.Sequential, x: Tensor, y: Tensor,
                      box: Sequence[float] = BOX) -> dict[str, Any]:
    """One network of the playground: its layers (weights ``(out, in)``), its training data and its box.

    Args:
        name: the preset's short name.
        description: one sentence on what it is.
        model: a trained 2-D ReLU MLP (LoRA layers are merged).
        x: ``(n, 2)`` its training inputs.
        y: ``(n,)`` its 0/1 labels.
        box: ``(xmin, xmax, ymin, ymax)`` the report shows it in.

    Returns:
        ``{"name", "description", "box", "layers": [{"weight", "bias"}, ...], "x", "y"}`` (plain JSON values).
    """
    layers = models.weights(model)
    if layers[0][0].shape[1] != 2:
        raise ValueError("the playground shows 2-D inputs; this model takes "
                         f"{layers[0][0].shape[1]} inputs.")
    if x.dim() != 2 or x.shape[1] != 2 or len(y) != len(x):
        raise ValueError(f"x must be (n, 2) with one label per row, got x {tuple(x.shape)} and y {tuple(y.shape)}.")
    return {
        "name": name,
        "description": description,
        "box": [float(b) for b in box],
        "layers": [{"weight": _numbers(W), "bias": _numbers(b)} for W, b in layers],
        "x": _numbers(x),
        "y": [int(v) for v in y.tolist()],
    }


def playground_model(preset: Mapping[str, Any]) -> nn.Sequential:
    """The ReLU MLP (float32) a playground preset describes: the inverse of :func:`playground_preset`."""
    layers: list[nn.Module] = []
    for index, layer in enumerate(preset["layers"]):
        W = torch.tensor(layer["weight"], dtype=torch.float32)
        b = torch.tensor(layer["bias"], dtype=torch.float32)
        linear = nn.utils.skip_init(nn.Linear, W.shape[1], W.shape[0])
        with torch.no_grad():
            linear.weight.copy_(W)
            linear.bias.copy_(b)
        layers.append(linear)
        if index < len(preset["layers"]) - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def export_playground(presets: Sequence[Mapping[str, Any]], folder: Path | str | None = None) -> Path:
    """Write the playground's networks to ``<folder>/networks/hashing.json`` atomically.

    Args:
        presets: from :func:`playground_preset`.
        folder: the metrics folder (default :func:`mlpgeo.report.metrics_dir`); the file goes into its
            ``networks/`` subfolder, out of the site's ``metrics/*.json`` glob.

    Returns:
        The file's path.
    """
    if not presets:
        raise ValueError("export_playground needs at least one preset.")
    path = Path(folder if folder is not None else report.metrics_dir()) / "networks" / "hashing.json"
    data.atomic_write_bytes(path, json.dumps({"presets": list(presets)}, separators=(",", ":")).encode())
    return path
