"""Tests of mlpgeo.experiments.hashing: the report's drivers, claim rules (each fed evidence on both sides)
and the playground export."""

from __future__ import annotations

import concurrent.futures
import io
import json
import multiprocessing

import matplotlib
import numpy as np
import pytest
import torch
from PIL import Image

from mlpgeo.data import two_moons
from mlpgeo.experiments import hashing
from mlpgeo.experiments.jobs import run_jobs
from mlpgeo.models import mlp, seeded, train, weights
from mlpgeo.regions import count_regions_plane, linear_regions_2d
from mlpgeo.report import KINDS, VERDICTS, Claim

matplotlib.use("Agg")
BOX = hashing.BOX


def check_claim(claim: Claim, id: str, kind: str) -> None:
    assert isinstance(claim, Claim) and claim.id == id and claim.kind == kind
    assert claim.kind in KINDS and claim.verdict in VERDICTS and claim.measured and claim.criterion
    assert claim.section.startswith(("1.", "2.", "3.", "4.", "5.", "6.", "7."))
    json.dumps(claim.as_dict())  # plain JSON values


def test_all_sign_codes_realises_every_pattern():
    for width in (2, 3, 5):
        assert hashing.all_sign_codes(width, seed=0) == 2**width
    with pytest.raises(ValueError, match="width"):
        hashing.all_sign_codes(40, seed=0)


def test_section_1_claims_on_both_sides():
    claim = hashing.claim_five_neurons([16, 16], [32, 32])
    check_claim(claim, "five-neurons-32-codes", "source")
    assert claim.verdict == "partly reproduced" and claim.measured["zaslavsky_2d"] == 16
    assert hashing.claim_five_neurons([32, 32], [32, 32]).verdict == "reproduced"
    assert hashing.claim_five_neurons([16, 15], [32, 31]).verdict == "not reproduced"
    claim = hashing.claim_few_hold_data([5, 7], [16, 16])
    check_claim(claim, "few-partitions-hold-data", "check")
    assert claim.verdict == "reproduced"
    assert hashing.claim_few_hold_data([16, 7], [16, 16]).verdict == "not reproduced"


def test_section_2_claims_on_both_sides():
    run = lambda distinct, bits, single: {"distinct": distinct, "bits": bits, "codes_single": single}  # noqa: E731
    mnist = {"a": [run(10, 16, 0.95), run(20, 16, 0.92)], "b": [run(100, 64, 0.5), run(90, 64, 0.95)]}
    used = hashing.claim_few_codes_used(mnist)
    check_claim(used, "few-codes-used-mnist", "source")
    assert used.verdict == "reproduced" and used.measured["used_share_a"] == pytest.approx(20 / 2**16)
    assert hashing.claim_few_codes_used({"a": [run(1000, 16, 1.0)]}).verdict == "not reproduced"  # 1.5% > 1%
    one = hashing.claim_one_point_per_region(mnist)
    check_claim(one, "hash-encoder-one-point-per-region", "source")
    assert one.verdict == "partly reproduced"  # network a for every seed, b not (0.5 < 0.9)
    mnist["b"][0]["codes_single"] = 0.91
    assert hashing.claim_one_point_per_region(mnist).verdict == "reproduced"
    mnist["a"][0]["codes_single"] = mnist["b"][0]["codes_single"] = 0.1
    assert hashing.claim_one_point_per_region(mnist).verdict == "not reproduced"


def test_section_3_claims_on_both_sides():
    runs = {"a": [{"box": 1}, {"box": 5}], "b": [{"box": 2}, {"box": 4}]}
    claim = hashing.claim_more_neurons(runs, ["a", "b"])
    check_claim(claim, "more-neurons-more-regions", "source")
    assert claim.verdict == "partly reproduced"  # seed 0 increases, seed 1 not
    assert hashing.claim_more_neurons({"a": [{"box": 1}], "b": [{"box": 2}]}, ["a", "b"]).verdict == "reproduced"
    deep = {"2-4x2": [{"box": 10, "plane": 12}, {"box": 30, "plane": 40}],
            "2-8": [{"box": 20, "plane": 37}, {"box": 20, "plane": 37}]}
    claim = hashing.claim_depth_refines(deep, "2-4x2", "2-8", [4, 4])
    check_claim(claim, "depth-refines-partitions", "source")
    assert claim.verdict == "partly reproduced" and claim.measured["box_ratio_4x2_over_8"]["values"] == [0.5, 1.5]
    assert claim.measured["montufar_lower_bound_4x2"] == 4 * 11
    deep["2-4x2"][1]["box"] = 15
    assert hashing.claim_depth_refines(deep, "2-4x2", "2-8", [4, 4]).verdict == "not reproduced"
    # typical counts: zaslavsky(2, 2) = 4 regions for the shallow reference
    ratios = hashing.typical_count_ratios({"2-2x2": [{"init_plane": 2, "plane": 8}]}, {"2-2x2": [2, 2]}, ["2-2x2"], 2)
    assert ratios["ratios"] == [0.5, 2.0]
    claim = hashing.claim_typical_counts(ratios)
    check_claim(claim, "typical-counts-far-below-bounds", "source")
    assert claim.verdict == "reproduced" and claim.measured["min_ratio"] == 0.5 and claim.measured["max_ratio"] == 2.0
    assert hashing.claim_typical_counts({"ratios": [2.5], "shares": [0.1]}).verdict == "not reproduced"


def test_bias_free_network_regions_are_cones():
    runs = {}
    for bias in (True, False):
        stats, model, part, _, _ = hashing.bias_experiment(0, [6], bias, BOX, epochs=5)
        assert len(part) == stats["box"] and count_regions_plane(model) == stats["plane"]
        runs[("2-6", bias)] = [stats]
    assert runs[("2-6", False)][0]["plane"] == 12  # central arrangement: 2n regions
    assert runs[("2-6", False)][0]["origin_share"] == 1.0
    assert runs[("2-6", True)][0]["origin_share"] < 1.0
    claim = hashing.claim_no_bias_origin(runs, "2-6", 6)
    check_claim(claim, "no-bias-through-origin", "check")
    assert claim.verdict == "reproduced" and claim.measured["central_bound"] == 12
    runs[("2-6", False)][0]["origin_share"] = 0.9
    assert hashing.claim_no_bias_origin(runs, "2-6", 6).verdict == "not reproduced"


def test_section_4_regularisation_rule_on_both_sides():
    bias = {("n", True): [{"train_acc": 1.0, "test_acc": 0.9}], ("n", False): [{"train_acc": 0.8, "test_acc": 0.8}]}
    claim = hashing.claim_no_bias_regularises(bias)
    check_claim(claim, "no-bias-regularises", "source")
    assert claim.verdict == "not reproduced"  # loses 0.1 > 0.05 test accuracy
    bias[("n", False)] = [{"train_acc": 0.91, "test_acc": 0.895}]
    assert hashing.claim_no_bias_regularises(bias).verdict == "reproduced"  # smaller gap, loses 0.005
    bias[("n", False)] = [{"train_acc": 0.88, "test_acc": 0.87}]
    assert hashing.claim_no_bias_regularises(bias).verdict == "partly reproduced"  # loses 0.03


def test_partition_trajectory_records_every_snapshot():
    x, y = two_moons(80, generator=seeded(0))
    model = mlp([2, 6, 6, 1], generator=seeded(0))
    history = train(model, x, y.float(), loss="bce", lr=1e-2, epochs=20, snapshot_every=10, progress=False)
    traj = hashing.partition_trajectory(model, history.snapshots, x, BOX, radius=0.05)
    assert traj["epoch"] == [0, 10, 20]
    assert all(len(v) == 3 for v in traj.values())
    assert traj["angle"][0] == 0.0 and traj["angle"][1] > 0.0
    assert all(r >= w for r, w in zip(traj["regions"], traj["regions_with_data"]))
    assert traj["regions"][-1] == len(linear_regions_2d(model, BOX))  # the last snapshot is the trained model


def test_section_5_claims_on_both_sides():
    good = {"total_angle": 5.0, "total_shift": 0.1, "same_code_init_to_end": 0.0, "late_same_code": 0.9,
            "late_map_change": 0.05}
    claim = hashing.claim_learning_moves([good, good])
    check_claim(claim, "learning-moves-partitions-and-maps", "source")
    assert claim.verdict == "reproduced"
    assert hashing.claim_learning_moves([good, {**good, "late_map_change": 0.001}]).verdict == "partly reproduced"
    still = {**good, "total_angle": 0.5, "late_map_change": 0.001}
    assert hashing.claim_learning_moves([still]).verdict == "not reproduced"
    trajs = [{"lc_boundary": [0, 3.0], "lc_data": [0, 2.0]}, {"lc_boundary": [0, 1.0], "lc_data": [0, 2.0]}]
    claim = hashing.claim_boundary_concentration(trajs)
    check_claim(claim, "regions-concentrate-at-boundary", "source")
    assert claim.verdict == "partly reproduced"
    assert hashing.claim_boundary_concentration(trajs[:1]).verdict == "reproduced"
    assert hashing.claim_boundary_concentration(trajs[1:]).verdict == "not reproduced"


def test_refinement_gif_has_one_frame_per_snapshot():
    x, y = two_moons(60, generator=seeded(0))
    model = mlp([2, 5, 1], generator=seeded(0))
    history = train(model, x, y.float(), loss="bce", lr=1e-2, epochs=20, snapshot_every=10, progress=False)
    gif = hashing.refinement_gif(model, history.snapshots, x, y, BOX, size_px=120)
    image = Image.open(io.BytesIO(gif))
    assert image.format == "GIF" and image.n_frames == len(history.snapshots) == 3
    with pytest.raises(ValueError, match="at least 2 snapshots"):
        hashing.refinement_gif(model, history.snapshots[:1], x, y, BOX)


def test_adaptation_metrics_keys_are_one_based_and_zero_for_no_change():
    model = mlp([2, 4, 4, 2], generator=seeded(0))
    x = torch.rand(100, 2, generator=seeded(1)) * 2 - 1
    y = (x[:, 0] > 0).long()
    out = hashing.adaptation_metrics(model, model, (x, y), (x, y), BOX)
    assert {"angle1", "angle2", "rank1", "rank2"} <= set(out) and "angle0" not in out
    assert out["rank1"] == 0 and out["hamming"] == 0.0 and out["new_codes"] == 0 and out["angle1"] < 1e-4
    assert out["regions_before"] == out["regions_after"] and out["acc_new"] == out["acc_new_before"]


def test_lora_finetune_leaves_the_pretrained_model_and_respects_rank():
    pre, x_old, y_old = hashing.lora_pretrain(0, pre_epochs=5)
    state = {k: v.clone() for k, v in pre.state_dict().items()}
    out = hashing.lora_finetune(pre, x_old, y_old, 90, 1, seed=0, bounds=None, epochs=5)
    assert out["rank2"] <= 1 and "regions_before" not in out
    assert all(torch.equal(v, pre.state_dict()[k]) for k, v in state.items())
    full = hashing.lora_finetune(pre, x_old, y_old, 90, "full", seed=0, bounds=None, epochs=5)
    assert full["rank2"] > 1


def lora_runs():
    def run(**kw):
        base = dict(rank2=1, angle2=1.0, new_code_points=0.0, regions_before=10, regions_after=10, acc_new=0.9,
                    acc_old=0.7, acc_old_before=0.99, hamming=1.0)
        return {**base, **kw}

    return {("far", "full"): [run(rank2=8, new_code_points=0.4, acc_new=0.95, acc_old=0.75)],
            ("far", 1): [run(rank2=1, new_code_points=0.01, acc_new=0.8)],
            ("far", 4): [run(rank2=4, new_code_points=0.02)],
            ("close", "full"): [run(rank2=8, new_code_points=0.2, acc_new=0.95)],
            ("close", 1): [run(rank2=1, new_code_points=0.03, acc_new=0.94)],
            ("close", 4): [run(rank2=3, new_code_points=0.0)]}


def test_lora_claim_rules_on_both_sides():
    runs = lora_runs()
    claim = hashing.claim_lora_constrained(runs, ["close", "far"], "far")
    check_claim(claim, "lora-constrained-directions", "check")
    assert claim.verdict == "reproduced"
    claim = hashing.claim_lora_no_new_partitions(runs, {"close": 30, "far": 90}, "far")
    check_claim(claim, "lora-no-new-partitions", "source")
    assert claim.verdict == "reproduced"
    assert claim.measured["new_code_points_lora_90deg"]["mean"] == pytest.approx(0.015)
    claim = hashing.claim_lora_forgetting(runs, "far")
    check_claim(claim, "lora-does-not-prevent-forgetting", "source")
    assert claim.verdict == "reproduced"  # LoRA loses 0.29, full fine-tuning 0.24
    claim = hashing.claim_lora_close_tasks(runs, "close", "far")
    check_claim(claim, "lora-effective-for-close-tasks", "source")
    assert claim.verdict == "reproduced"  # gap 0.01 close, 0.15 far
    runs[("far", 1)][0]["new_code_points"] = 0.1  # >= 5%, but still < half of full fine-tuning's
    assert hashing.claim_lora_no_new_partitions(runs, {"close": 30, "far": 90}, "far").verdict == "partly reproduced"
    runs[("far", 1)][0]["new_code_points"] = 0.9
    assert hashing.claim_lora_no_new_partitions(runs, {"close": 30, "far": 90}, "far").verdict == "not reproduced"
    runs[("far", 1)][0]["rank2"] = 2  # a rank-1 update cannot have rank 2
    assert hashing.claim_lora_constrained(runs, ["close", "far"], "far").verdict == "not reproduced"
    for r in (runs[("far", 1)][0], runs[("far", 4)][0]):
        r["acc_old"] = 0.98  # LoRA keeps the old task
    assert hashing.claim_lora_forgetting(runs, "far").verdict == "not reproduced"
    runs[("close", 1)][0]["acc_new"] = 0.5
    assert hashing.claim_lora_close_tasks(runs, "close", "far").verdict == "not reproduced"


def test_figures_draw_every_setting():
    runs = {"a": [{"k": 1.0}, {"k": 3.0}], "b": [{"k": 2.0}, {"k": 2.0}]}
    ax = hashing.plot_seed_bars(runs, "k")
    assert [p.get_height() for p in ax.patches] == [2.0, 2.0]
    axes = hashing.plot_lora_bars(lora_runs(), ["close", "far"], ["full", 1, 4])
    assert len(axes) == 3 and len(axes[0].patches) == 6
    regions = linear_regions_2d(mlp([2, 3, 2], generator=seeded(0)), BOX)
    ax = hashing.plot_code_counts(regions, torch.rand(20, 2) * 2 - 1)
    assert sum(p.get_height() for p in ax.patches) == 20


def test_playground_export_round_trip(tmp_path):
    x, y = two_moons(50, generator=seeded(0))
    model = mlp([2, 16, 16, 1], generator=seeded(0))
    train(model, x, y.float(), loss="bce", lr=1e-2, epochs=10, progress=False)
    nobias = mlp([2, 6, 2], bias=False, generator=seeded(1))
    presets = [hashing.playground_preset("16-16", "a deep net", model, x, y),
               hashing.playground_preset("no bias", "lines through the origin", nobias, x, y)]
    path = hashing.export_playground(presets, tmp_path)
    assert path == tmp_path / "networks" / "hashing.json"
    loaded = json.loads(path.read_text())
    assert set(loaded) == {"presets"} and [p["name"] for p in loaded["presets"]] == ["16-16", "no bias"]
    first = loaded["presets"][0]
    assert first["box"] == list(BOX) and len(first["x"]) == 50 and set(first["y"]) <= {0, 1}
    assert [len(layer["weight"]) for layer in first["layers"]] == [16, 16, 1]  # weights are (out, in)
    assert len(first["layers"][0]["weight"][0]) == 2
    for preset, original in zip(loaded["presets"], (model, nobias)):
        rebuilt = hashing.playground_model(preset)
        for (W, b), (W0, b0) in zip(weights(rebuilt), weights(original)):
            assert torch.equal(W, W0) and torch.equal(b, b0)  # float32 weights survive the short decimals exactly
        assert len(linear_regions_2d(rebuilt, BOX)) == len(linear_regions_2d(original, BOX))
    nobias_rebuilt = hashing.playground_model(loaded["presets"][1])
    assert count_regions_plane(nobias_rebuilt) == 12
    with pytest.raises(ValueError, match="2-D inputs"):
        hashing.playground_preset("3-D", "no", mlp([3, 4, 1]), torch.zeros(2, 3), torch.zeros(2))
    with pytest.raises(ValueError, match="at least one preset"):
        hashing.export_playground([], tmp_path)


def test_lora_claims_at_mnist_scale_read_codes_and_layer_1():
    runs = lora_runs()
    for rs in runs.values():
        for r in rs:
            r.update(rank1=r["rank2"], angle1=r["angle2"], codes_before=100, codes_after=120)
    claim = hashing.claim_lora_constrained(runs, ["close", "far"], "far", layer=1)
    check_claim(claim, "lora-constrained-directions", "check")
    assert claim.verdict == "reproduced" and "hidden layer 1" in claim.criterion
    claim = hashing.claim_lora_no_new_partitions(runs, {"close": 30, "far": 90}, "far", counts="codes")
    assert claim.measured["codes_before_lora_far"]["mean"] == 100
    assert claim.measured["codes_after_lora_far"]["mean"] == 120


def test_mnist_lora_experiment_adapts_only_the_first_layer():
    x = torch.rand(64, 784)
    y = torch.arange(64) % 10
    out = hashing.mnist_lora_experiment(0, (x, y), (x[:32], y[:32]), ["full", 1], {"far": 90}, n_train=64,
                                        pre_epochs=1, epochs=1, tune_lrs=(1e-3,))
    assert set(out) == {("far", "full"), ("far", 1)}
    assert out[("far", 1)]["rank1"] == 1 and out[("far", 1)]["rank2"] == 0  # only layer 1 moves
    assert out[("far", "full")]["rank1"] > 1 and out[("far", "full")]["rank2"] == 0
    assert out[("far", 1)]["lr"] == 1e-3 and out[("far", 1)]["codes_before"] <= 32


def test_rotate_digits_and_standardise():
    x = torch.zeros(1, 28, 28)
    x[0, 4:24, 13:15] = 1.0  # a vertical bar
    turned = hashing.rotate_digits(x.reshape(1, 784), 90).reshape(28, 28)
    assert turned[13:15, 6:22].mean() > 0.8 and turned[4:10, 13:15].mean() < 0.2  # now horizontal
    assert torch.allclose(hashing.rotate_digits(x.reshape(1, 784), 0), x.reshape(1, 784), atol=1e-6)
    a, b = hashing.standardise(torch.rand(50, 784), torch.rand(5, 784))
    assert a.mean(0).abs().max() < 1e-5 and a.std() == pytest.approx(1.0, rel=1e-3) and b.shape == (5, 784)
    assert hashing.parameter_count([784, 64, 64, 64, 10]) == 59210
    assert hashing.parameter_count([784, 74, 10]) == 58840
    assert hashing.parameter_count([2, 3], bias=False) == 6


def test_bias_rule_with_mnist_names_the_regime():
    moons = {("n", True): [{"train_acc": 1.0, "test_acc": 0.9}], ("n", False): [{"train_acc": 0.8, "test_acc": 0.8}]}
    mnist = {("m", True): [{"train_acc": 1.0, "test_acc": 0.95}], ("m", False): [{"train_acc": 0.97, "test_acc": 0.95}]}
    claim = hashing.claim_no_bias_regularises(moons, mnist)
    check_claim(claim, "no-bias-regularises", "source")
    assert claim.verdict == "partly reproduced"  # reproduced on MNIST, not on the moons
    assert claim.measured["verdict_mnist"] == "reproduced" and claim.measured["verdict_moons"] == "not reproduced"
    assert next(iter(claim.measured)) == "test_acc_drop_mnist"
    assert hashing.claim_no_bias_regularises(mnist, mnist).verdict == "reproduced"
    assert hashing.claim_no_bias_regularises(moons, moons).verdict == "not reproduced"


def test_collision_curve_matches_simhash_for_a_random_bias_free_layer():
    x = torch.randn(400, 30, generator=seeded(0))
    layer = mlp([30, 2000, 1], bias=False, generator=seeded(1))
    x = x - x.mean(0)  # hyperplanes through the origin = through the data's centre
    curve = hashing.collision_curve(layer, x, n_random=2000, neighbours=3, bins=6, generator=seeded(2))
    assert curve["pairs"].sum() == pytest.approx(2000 + 400 * 3, abs=10)
    assert abs(curve["bit_agreement"] - curve["simhash"]).max() < 0.03  # SimHash: P(agree) = 1 - theta / pi
    assert (curve["same_code"] <= curve["bit_agreement"]).all()


def test_lsh_rule_on_both_sides():
    run = lambda rho, drop: dict(trained_spearman=rho, trained_drop=drop, init_spearman=-1.0, init_drop=0.2,  # noqa: E731
                                 trained_gap_simhash=0.1, init_gap_simhash=0.1)
    claim = hashing.claim_lsh([run(-1.0, 0.2), run(-0.95, 0.15)])
    check_claim(claim, "mlp-is-locality-sensitive-hash", "source")
    assert claim.verdict == "reproduced"
    assert next(iter(claim.measured)) == "agreement_drop_near_minus_far_trained"
    assert hashing.claim_lsh([run(-1.0, 0.2), run(-0.5, 0.15)]).verdict == "partly reproduced"
    assert hashing.claim_lsh([run(-1.0, 0.05), run(0.3, 0.2)]).verdict == "not reproduced"


def test_depth_dynamics_rule_on_both_sides():
    def runs(deep_final, wide_final):
        r = lambda f: {"final_loss": f, "mean_loss": 2 * f}  # noqa: E731
        return {("deep", 1e-3): [r(f) for f in deep_final], ("wide", 1e-3): [r(f) for f in wide_final],
                ("deep", 1e-2): [r(9.0)] * len(deep_final), ("wide", 1e-2): [r(9.0)] * len(wide_final)}

    claim = hashing.claim_depth_dynamics(runs([0.1, 0.2], [0.3, 0.3]), "deep", "wide", [1e-3, 1e-2])
    check_claim(claim, "deeper-better-learning-dynamics", "source")
    assert claim.verdict == "reproduced" and claim.measured["best_lr_deep"] == 1e-3
    assert claim.measured["lrs_where_deep_wins_every_seed"] == "0.001"
    assert hashing.claim_depth_dynamics(runs([0.1, 0.4], [0.3, 0.3]), "deep", "wide", [1e-3, 1e-2]).verdict == \
        "partly reproduced"
    assert hashing.claim_depth_dynamics(runs([0.5, 0.4], [0.3, 0.3]), "deep", "wide", [1e-3, 1e-2]).verdict == \
        "not reproduced"


def test_depth_dynamics_experiment_records_a_curve():
    out = hashing.depth_dynamics_study([0, 1], {"w": [784, 4, 10]}, [1e-3], n_train=64, epochs=3)
    assert len(out[("w", 1e-3)]) == 2 and len(out[("w", 1e-3)][0]["epoch_loss"]) == 3
    axes = hashing.plot_loss_curves(out, ["w"], [1e-3, 1e-3][:1], axes=[matplotlib.pyplot.subplots()[1]])
    assert len(axes[0].lines) == 2


def test_plot_collision_curves_draws_both_networks_and_simhash():
    curve = {"theta": np.array([0.5, 1.0, 1.5]), "bit_agreement": np.array([0.9, 0.8, 0.7])}
    ax = hashing.plot_collision_curves([{"trained": curve, "init": curve}] * 2)
    assert len(ax.lines) == 5  # 2 runs x (trained, init) + SimHash
    assert ax.lines[-1].get_xdata().max() == pytest.approx(np.degrees(1.5))


# ----------------------------------------------------------------------------------------------------------
# The report's jobs: the same results in-process and in 2 spawned processes
# ----------------------------------------------------------------------------------------------------------


def same(a, b) -> bool:
    """Exact equality of nested job results (dicts, lists, tuples, tensors, arrays, numbers; NaN equals NaN)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, (np.ndarray, float, np.floating)):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    return a == b


@pytest.fixture(scope="module")
def pool():
    executor = concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
    yield executor
    executor.shutdown()


def check_jobs(fn, jobs, pool):
    here = run_jobs(fn, jobs, progress=False)
    there = run_jobs(fn, jobs, executor=pool, progress=False)
    assert len(here) == len(jobs) and same(here, there)
    assert not same(here[0], here[1])  # the jobs differ, so the comparison means something
    return here



def test_two_dimensional_jobs_give_the_same_results_in_processes(pool):
    check_jobs(hashing.toy_job, [dict(seed=0, epochs=5), dict(seed=1, epochs=5)], pool)
    check_jobs(hashing.depth_job, [dict(seed=s, hidden=[4, 4], bounds=BOX, epochs=5) for s in (0, 1)], pool)
    check_jobs(hashing.bias_job, [dict(seed=0, hidden=[4], bias=b, bounds=BOX, epochs=5) for b in (True, False)], pool)
    check_jobs(hashing.refinement_job, [dict(seed=s, bounds=BOX, epochs=15) for s in (0, 1)], pool)
    pre = check_jobs(hashing.lora_pretrain_job, [dict(seed=s, pre_epochs=5) for s in (0, 1)], pool)
    check_jobs(hashing.lora_finetune_job, [dict(**pre[0], angle=90, method=m, seed=0, bounds=None, epochs=3)
                                           for m in ("full", 1)], pool)


def test_mnist_jobs_give_the_same_results_in_processes(pool):
    check_jobs(hashing.mnist_code_job, [dict(widths=[784, 4, 10], seed=s, epochs=1) for s in (0, 1)], pool)
    check_jobs(hashing.depth_dynamics_job, [dict(seed=s, widths=[784, 4, 10], lr=1e-3, n_train=128, epochs=1)
                                            for s in (0, 1)], pool)
    check_jobs(hashing.mnist_bias_job, [dict(seed=0, bias=b, n_train=128, epochs=1) for b in (True, False)], pool)
    check_jobs(hashing.lsh_job, [dict(seed=s, n_train=128, epochs=1) for s in (0, 1)], pool)
    states = check_jobs(hashing.mnist_lora_pretrain_job, [dict(seed=s, n_train=128, pre_epochs=1) for s in (0, 1)],
                        pool)
    check_jobs(hashing.mnist_lora_finetune_job, [dict(state=states[0], seed=0, angle=90, method=m, n_train=128,
                                                      epochs=1) for m in ("full", 1)], pool)


def test_studies_give_the_numbers_of_the_sequential_experiments():
    runs, kept = hashing.depth_study([0, 1], {"a": [4], "b": [2, 2]}, BOX, 5, keep=("b",))
    counts, _, _, _ = hashing.depth_experiment(1, [2, 2], BOX, 5)
    assert runs["b"][1] == counts and set(kept) == {"b"}
    _, model0, _, _ = hashing.depth_experiment(0, [2, 2], BOX, 5)
    assert all(torch.equal(a, b) for a, b in zip(kept["b"][0].state_dict().values(), model0.state_dict().values()))
    toy = hashing.toy_study([3], epochs=5)[0]
    ref = hashing.toy_hash_experiment(3, epochs=5)
    assert toy["box"] == ref["box"] == len(toy["regions"]) and toy["codes_5d"] == 32
    assert torch.equal(toy["model"](ref["x"]), ref["model"](ref["x"]))
    bias_runs, bias_kept = hashing.bias_study([0], {"n": [4]}, BOX, 5)
    stats, _, part, _, _ = hashing.bias_experiment(0, [4], False, BOX, 5)
    assert bias_runs[("n", False)] == [stats] and len(bias_kept[("n", False)]["regions"]) == len(part)
    lora = hashing.lora_study([0], ["full", 1], {"far": 90}, None, pre_epochs=5, epochs=3)
    assert same(lora[("far", 1)][0], hashing.lora_experiment(0, ["full", 1], {"far": 90}, None, 5, epochs=3)[("far", 1)])
    refinement = hashing.refinement_study([0], BOX, 15)[0]
    assert len(refinement["history"].snapshots) == 16 and refinement["summary"] == \
        hashing.refinement_experiment(0, BOX, 15)["summary"]


def test_mnist_lora_study_gives_the_numbers_of_the_sequential_experiment():
    shifts = {"far": 90}
    study = hashing.mnist_lora_study([0], ["full", 1], shifts, n_train=64, pre_epochs=1, epochs=1)
    ref = hashing.mnist_lora_experiment(0, hashing.mnist("train"), hashing.mnist("test"), ["full", 1], shifts,
                                        n_train=64, pre_epochs=1, epochs=1)
    assert set(study) == set(ref) and all(same(study[k][0], ref[k]) for k in ref)


def test_lora_close_tasks_names_its_regime_for_every_verdict():
    regime = hashing.lora_regime(3, [1], "first layer", "ci")
    assert regime == ("MNIST, first layer adapted, LoRA rank 1 vs full fine-tuning of that layer, 3 fine-tuning "
                      "epochs (scale ci)")
    runs = lora_runs()
    claim = hashing.claim_lora_close_tasks(runs, "close", "far", regime=regime)
    check_claim(claim, "lora-effective-for-close-tasks", "source")
    assert claim.verdict == "reproduced" and claim.measured["regime"] == regime
    assert claim.criterion.startswith(f"In the regime {regime}: reproduced if")
    assert next(iter(claim.measured)) == "new_acc_gap_full_minus_r1_close"  # the deciding number stays first
    runs[("far", 1)][0]["acc_new"] = 0.95  # the far gap (0.0) is not larger than the close one (0.01)
    assert hashing.claim_lora_close_tasks(runs, "close", "far", regime=regime).verdict == "partly reproduced"
    runs[("close", 1)][0]["acc_new"] = 0.9  # close gap 0.05 > 0.02
    assert hashing.claim_lora_close_tasks(runs, "close", "far", regime=regime).verdict == "not reproduced"
    assert "regime" not in hashing.claim_lora_close_tasks(runs, "close", "far").measured
