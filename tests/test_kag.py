"""Tests of mlpgeo.kag: Jacobians, sampled minors, PR / KL / RR, balls, zero rows, errors."""

import copy
import math

import pytest
import torch

from mlpgeo import kag
from mlpgeo.models import mlp


def digits(n=6, seed=0):
    return torch.rand(n, 784, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
@pytest.mark.parametrize("layer", [1, 2, 3])
def test_closed_form_jacobian_equals_autograd(activation, layer):
    model = mlp([784, 20, 16, 12, 10], activation, seed=3)
    x = digits(5)
    closed = kag.jacobians_closed_form(model, x, layer)
    auto = kag.jacobians_autograd(model, x, layer)
    assert closed.shape == (5, [20, 16, 12][layer - 1], 784)
    torch.testing.assert_close(closed, auto, rtol=1e-5, atol=1e-6)


def test_relu_first_layer_is_masked_weights():
    model = mlp([784, 8, 8, 10], "relu", seed=1)
    x = digits(3)
    z = model[0](x)
    expected = (z > 0).float()[:, :, None] * model[0].weight[None]
    assert torch.equal(kag.layer_jacobians(model, x, 1), expected.detach())


def test_gelu_jacobian_matches_finite_differences():
    model = mlp([784, 10, 7, 10], "gelu", seed=2)
    x = digits(2).double()
    jac = kag.jacobians_autograd(model, x.float(), 2).double()
    sub = torch.nn.Sequential(*list(copy.deepcopy(model).double())[:4])
    eps = 1e-6
    for pixel in [0, 300, 783]:
        step = torch.zeros(784, dtype=torch.float64)
        step[pixel] = eps
        fd = (sub(x + step) - sub(x - step)) / (2 * eps)
        torch.testing.assert_close(jac[:, :, pixel], fd, rtol=1e-3, atol=1e-5)
    assert kag.layer_jacobians(model, x.float(), 2, method="auto").shape == (2, 7, 784)
    with pytest.raises(TypeError, match="piecewise"):
        kag.layer_jacobians(model, x.float(), 1, method="closed_form")


def test_closed_form_2x2_matches_torch_det_and_gathered_minors():
    g = torch.Generator().manual_seed(0)
    blocks = torch.randn(50, 2, 2, generator=g)
    torch.testing.assert_close(kag.small_det(blocks), torch.det(blocks))
    blocks3 = torch.randn(20, 3, 3, generator=g)
    torch.testing.assert_close(kag.small_det(blocks3), torch.det(blocks3))
    jac = torch.randn(4, 9, 30, generator=g)
    rows, cols = kag.sample_minor_indices(4, 25, 2, 9, 30, g)
    minors = kag.gather_minors(jac, rows, cols)
    for i in range(4):
        for j in range(25):
            expected = torch.det(jac[i][rows[i, j]][:, cols[i, j]])
            assert torch.allclose(minors[i, j], expected, atol=1e-5)


def test_distinct_indices_are_distinct_and_uniform():
    g = torch.Generator().manual_seed(1)
    idx = kag.distinct_indices((20000,), 3, 5, g)
    assert idx.shape == (20000, 3)
    assert (idx[:, 0] != idx[:, 1]).all() and (idx[:, 0] != idx[:, 2]).all() and (idx[:, 1] != idx[:, 2]).all()
    assert int(idx.min()) == 0 and int(idx.max()) == 4
    counts = torch.bincount(idx.flatten(), minlength=5).double() / idx.numel()
    assert torch.allclose(counts, torch.full((5,), 0.2, dtype=torch.float64), atol=0.01)
    # ordered pairs from range 3 are uniform over the 6 possibilities
    pairs = kag.distinct_indices((30000,), 2, 3, g)
    codes = torch.bincount(pairs[:, 0] * 3 + pairs[:, 1], minlength=9).double() / 30000
    assert codes[[0, 4, 8]].sum() == 0
    assert torch.allclose(codes[[1, 2, 3, 5, 6, 7]], torch.full((6,), 1 / 6, dtype=torch.float64), atol=0.01)
    # per-position ranges
    high = torch.tensor([[2], [7]])
    per = kag.distinct_indices((2, 1000), 2, high, g)
    assert int(per[0].max()) <= 1 and int(per[1].max()) <= 6


def test_sample_minors_respects_columns_and_active_rows():
    g = torch.Generator().manual_seed(2)
    jac = torch.zeros(3, 6, 784)
    jac[:, :, 100] = 1.0  # only column 100 is nonzero
    m1 = kag.sample_minors(jac, 1, 200, g, columns=torch.tensor([100]))
    assert torch.equal(m1, torch.ones(3, 200))
    jac = torch.randn(2, 10, 784, generator=g)
    jac[0, 3:] = 0.0  # input 0: only units 0..2 active
    m = kag.sample_minors(jac, 2, 300, g, rows="active")
    assert (m[0] != 0).all()  # every minor of input 0 uses active rows
    assert (kag.sample_minors(jac, 2, 300, g)[0] == 0).float().mean() > 0.5


def test_participation_ratio_and_kl_by_hand():
    uniform = torch.ones(8)
    one_hot = torch.tensor([0.0, 0.0, 3.0, 0.0])
    assert math.isclose(float(kag.participation_ratio(uniform)), 1 / math.sqrt(8), rel_tol=1e-6)
    assert math.isclose(float(kag.participation_ratio(one_hot)), 1.0, rel_tol=1e-6)
    assert math.isclose(float(kag.participation_ratio(uniform, "physics")), 1.0, rel_tol=1e-6)
    assert math.isclose(float(kag.participation_ratio(one_hot, "physics")), 0.25, rel_tol=1e-6)
    m = torch.tensor([1.0, -2.0, 2.0])  # |m| = 1, 2, 2: l2 = 3, l1 = 5
    assert math.isclose(float(kag.participation_ratio(m)), 3 / 5, rel_tol=1e-6)
    assert math.isclose(float(kag.participation_ratio(m, "physics")), 25 / 27, rel_tol=1e-6)
    assert abs(float(kag.kl_from_uniform(uniform))) < 1e-7
    assert math.isclose(float(kag.kl_from_uniform(one_hot)), math.log(4), rel_tol=1e-6)
    p = torch.tensor([0.2, 0.4, 0.4])
    expected = float((p * torch.log(3 * p)).sum())
    assert math.isclose(float(kag.kl_from_uniform(m)), expected, rel_tol=1e-5)
    assert math.isnan(float(kag.kl_from_uniform(torch.zeros(4))))
    assert math.isnan(float(kag.participation_ratio(torch.zeros(4))))
    with pytest.raises(ValueError, match="convention"):
        kag.participation_ratio(m, "inverse")


def test_haar_orthogonal():
    q = kag.haar_orthogonal(12, torch.Generator().manual_seed(0), torch.float64)
    torch.testing.assert_close(q @ q.T, torch.eye(12, dtype=torch.float64))


def test_rotated_minors_match_explicit_rotation():
    g = torch.Generator().manual_seed(3)
    jac = torch.randn(5, 7, 40, generator=g, dtype=torch.float64)
    columns = torch.tensor([3, 5, 8, 13, 21, 34])
    q_rows = kag.haar_orthogonal(7, g, torch.float64)
    rows, cols = kag.sample_minor_indices(5, 30, 2, 7, 6, g)
    fast = kag.rotated_minors(jac, q_rows, rows, columns[cols], "rows", chunk=2)
    slow = kag.gather_minors(torch.einsum("ab,nbd->nad", q_rows, jac), rows, columns[cols])
    torch.testing.assert_close(fast, slow)
    q_cols = kag.haar_orthogonal(6, g, torch.float64)
    fast = kag.rotated_minors(jac, q_cols, rows, cols, "columns", columns=columns, chunk=3)
    slow = kag.gather_minors(jac[:, :, columns] @ q_cols, rows, cols)
    torch.testing.assert_close(fast, slow)


@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("side", ["rows", "columns"])
def test_factored_first_layer_path_matches_generic(activation, side):
    model = mlp([784, 24, 8, 10], activation, seed=5)
    x = digits(6)
    jac = kag.layer_jacobians(model, x, 1)
    slopes, weight = kag.first_layer_factors(model, x)
    torch.testing.assert_close(slopes[:, :, None] * weight[None], jac, rtol=1e-5, atol=1e-6)
    g = torch.Generator().manual_seed(6)
    columns = kag.ball_pixels(7)
    q = kag.haar_orthogonal(24 if side == "rows" else columns.numel(), g)
    rows, pos = kag.sample_minor_indices(1, 40, 2, 24, columns.numel(), g)
    rows, pos = rows.expand(6, 40, 2), pos.expand(6, 40, 2)
    cols = columns[pos] if side == "rows" else pos
    generic = kag.rotated_minors(jac, q, rows, cols, side, columns)
    fast = kag.rotated_minors((slopes, weight), q, rows, cols, side, columns)
    torch.testing.assert_close(fast, generic, rtol=1e-4, atol=1e-7)
    a = kag.jacobian_metrics(jac, 2, 50, torch.Generator().manual_seed(1), columns, rotate=side)
    b = kag.jacobian_metrics((slopes, weight), 2, 50, torch.Generator().manual_seed(1), columns, rotate=side)
    torch.testing.assert_close(a["minors"], b["minors"], rtol=1e-5, atol=1e-8)
    for key in ("pr", "kl", "rr", "active_fraction", "zero_minor_fraction"):
        assert math.isclose(a[key], b[key], rel_tol=1e-4), key
    c = kag.jacobian_metrics(jac, 2, 50, torch.Generator().manual_seed(1), columns, rows="active")
    d = kag.jacobian_metrics((slopes, weight), 2, 50, torch.Generator().manual_seed(1), columns, rows="active")
    assert math.isclose(c["pr"], d["pr"], rel_tol=1e-4)


def test_rotation_ratio_axis_aligned_vs_rotated():
    g = torch.Generator().manual_seed(4)
    h = 12
    # axis-aligned: J = I (each unit reads one pixel); its 2-minors are 0 or exactly +-1, the largest possible
    aligned = torch.eye(h)[None].repeat(4, 1, 1)
    rr_aligned = kag.rotation_ratio(aligned, 2, 400, 5, generator=g)
    # the same matrix rotated by a Haar orthogonal matrix: rotating it again changes nothing statistically
    rotated = kag.haar_orthogonal(h, g)[None] @ aligned
    rr_rotated = kag.rotation_ratio(rotated, 2, 400, 5, generator=g)
    assert (rr_aligned > 1.5).all()
    assert ((rr_rotated > 0.7) & (rr_rotated < 1.3)).all()
    assert (kag.rotation_ratio(aligned, 2, 400, 5, side="columns", generator=g) > 1.5).all()
    # k = 1: a one-hot row set has max |entry| 1 against ~ sqrt(2 log(h^2) / h) after rotation
    assert (kag.rotation_ratio(aligned, 1, 400, 5, generator=g) > 1.3).all()


def test_ball_sizes():
    assert kag.ball_pixels(28).numel() == 784
    assert kag.ball_pixels(19.1).numel() == 784  # 13.5 * sqrt(2) = 19.09
    assert kag.ball_pixels(19.0).numel() < 784
    assert torch.equal(kag.ball_pixels(21), kag.ball_pixels(28))
    n7 = kag.ball_pixels(7).numel()
    assert abs(n7 - math.pi * 49) < 10
    mask = kag.ball_mask(1.0)  # 4 centre pixels at distance 0.707 from (13.5, 13.5)
    assert int(mask.sum()) == 4 and mask[13, 13] and mask[14, 14]
    corner = kag.ball_pixels(1.0, center=(0, 0))
    assert corner.tolist() == [0, 1, 28]
    assert kag.ball_pixels(21, center=(6.5, 6.5)).numel() < 784
    assert len(kag.grid_centers()) == 9


def test_ka_metrics_and_errors():
    model = mlp([784, 12, 9, 10], "relu", seed=0)
    x = digits(4)
    g = torch.Generator().manual_seed(0)
    out = kag.ka_metrics(model, x, layer=2, k=2, radius=7, n_minors=100, generator=g)
    for key in ("pr", "kl", "rr"):
        assert isinstance(out[key], float) and out[f"{key}_per_input"].shape == (4,)
    assert out["minors"].shape == (4, 100) and out["n_columns"] == kag.ball_pixels(7).numel()
    assert 1 / math.sqrt(100) - 1e-6 <= out["pr"] <= 1
    again = kag.ka_metrics(model, x, layer=2, k=2, radius=7, n_minors=100, generator=torch.Generator().manual_seed(0))
    assert again["pr"] == out["pr"] and again["rr"] == out["rr"]  # same generator seed, same numbers
    with pytest.raises(ValueError, match="radius"):
        kag.ka_metrics(model, x, radius=0)
    with pytest.raises(ValueError, match="radius"):
        kag.ka_metrics(model, x, radius=-3.0)
    with pytest.raises(ValueError, match="larger than the layer"):
        kag.ka_metrics(model, x, layer=2, k=10)
    with pytest.raises(ValueError, match="column set"):
        kag.ka_metrics(model, x, k=5, radius=1.0)  # 4 pixels
    with pytest.raises(ValueError, match="does not exist"):
        kag.ka_metrics(model, x, layer=3)
    with pytest.raises(ValueError, match="does not exist"):
        kag.layer_jacobians(model, x, layer=0)
    with pytest.raises(ValueError, match="holds no pixel"):
        kag.ball_pixels(0.5)


def test_zero_rows_and_sweep_ratios():
    init = mlp([784, 16, 16, 10], "relu", seed=0)
    trained = mlp([784, 16, 16, 10], "relu", seed=0)
    with torch.no_grad():
        trained[0].bias[:4] = -1e3  # 4 of 16 units dead everywhere
    x = digits(8)
    z = kag.zero_rows(init, trained, x, layer=1)
    assert z["dead_units"] >= 4 / 16
    assert z["zero_rows_unit"] >= 4 / 16
    records = kag.sweep({"random": init, "same": init}, x, layers=(1,), ks=(2,), radii=(7, 28), n_minors=50)
    ratios = kag.ratio_records(records, "same")
    assert len(ratios) == 2
    for r in ratios:  # identical networks, identical sampled minors -> every ratio is exactly 1
        assert r["pr"] == 1.0 and r["kl"] == 1.0 and r["pr_sparsity"] == 1.0


def test_cells_and_criteria():
    records = [
        {"activation": "relu", "width": 8, "layer": 1, "k": 2, "radius": 7, "pr": v, "kl": 2 * v, "rr": 1.0, "seed": i}
        for i, v in enumerate([1.0, 1.2, 1.4])
    ]
    cells = kag.metric_cells(records)
    pr = cells[("relu", 8, 1, 2, 7, "pr")]
    assert math.isclose(pr["mean"], 1.2) and math.isclose(pr["std"], 0.2) and pr["n"] == 3
    assert kag.well_above_one(cells[("relu", 8, 1, 2, 7, "kl")])  # 2.4 +- 0.4
    assert not kag.well_above_one(pr)  # 1.2 - 0.2 = 1.0 is not > 1
    assert not kag.well_above_one(cells[("relu", 8, 1, 2, 7, "rr")])
    assert kag.select(records, seed=1)[0]["pr"] == 1.2
    assert kag.metric_cells(records, width=9) == {}


def test_run_setting_small():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(64, 784, generator=g)
    y = torch.randint(0, 10, (64,), generator=g)
    out = kag.run_setting(x, y, x[:16], y[:16], x[:4], "relu", 6, seed=0, epochs=2, radii=(7, 28),
                          multi_centers=[(6.5, 6.5), (20.5, 20.5)], snapshot_epochs=(0, 2), n_minors=20, n_rotations=2)
    assert set(out["accuracy"]) == {"random", "standard", "augmented"}
    readings = {r["reading"] for r in out["ratios"]}
    assert readings == {"centre", "multi-centre", "active rows"}
    # centre: 2 trainings x 2 layers x 2 k x 2 radii
    assert len(kag.select(out["ratios"], reading="centre")) == 16
    for r in kag.select(out["epochs"], epoch=0):  # the epoch-0 snapshot is the initialisation itself
        assert r["pr"] == 1.0 and r["kl"] == 1.0 and r["rr"] == 1.0
    assert len(out["zero_rows"]) == 4
    # the returned random network is the initialisation both trainings started from
    assert torch.equal(out["nets"]["random"][0].weight, kag.train_pair(x, y, "relu", 6, 0, 0)["standard"][0].weight)


# --------------------------------------------------------------------------------------------------
# The report's analysis functions
# --------------------------------------------------------------------------------------------------


def cell(mean, std=0.0):
    return {"mean": mean, "std": std, "n": 3, "values": []}


def test_multi_centres_are_centre_and_diagonals():
    centres = kag.multi_centres(7.0)
    assert kag.IMAGE_CENTER in centres and len(centres) == 5
    assert set(centres) - {kag.IMAGE_CENTER} == {(6.5, 6.5), (6.5, 20.5), (20.5, 6.5), (20.5, 20.5)}


def test_accuracy_summary_groups_seeds():
    runs = [{"activation": "relu", "width": w, "seed": s, "accuracy": {"random": 0.1, "standard": 0.8 + 0.1 * s + w / 1000,
                                                                      "augmented": 0.5}}
            for w in (8, 16) for s in (0, 1)]
    acc = kag.accuracy_summary(runs)
    assert list(acc) == [f"relu_{w}_{t}" for w in (8, 16) for t in ("random", "standard", "augmented")]
    assert math.isclose(acc["relu_8_standard"]["mean"], 0.858) and acc["relu_8_standard"]["n"] == 2
    assert math.isclose(acc["relu_16_standard"]["std"], 0.1 / math.sqrt(2))
    assert "relu_8_standard" in kag.format_summaries(acc)


def test_above_one_summary_shares_and_medians():
    cells = {("relu", 8, 1, 2, 7, "pr"): cell(1.5, 0.1), ("relu", 8, 1, 2, 7, "kl"): cell(0.9),
             ("relu", 8, 1, 2, 7, "rr"): cell(1.05), ("gelu", 8, 1, 2, 7, "pr"): cell(1.3, 0.4),
             ("gelu", 8, 1, 2, 7, "kl"): cell(2.0, 0.2), ("gelu", 8, 1, 2, 7, "rr"): cell(1.2, 0.1)}
    s = kag.above_one_summary(cells, ["relu", "gelu"])
    assert s["n_cells"] == 6 and math.isclose(s["share_well_above_1"], 3 / 6)  # pr relu, kl gelu, rr gelu
    assert s["pr_share_well_above_1"] == 0.5 and s["kl_share_well_above_1"] == 0.5 and s["rr_share_well_above_1"] == 0.5
    assert math.isclose(s["pr_median_ratio"], 1.4) and math.isclose(s["kl_median_ratio"], 1.45)
    assert math.isclose(s["relu_share_well_above_1"], 1 / 3) and math.isclose(s["gelu_share_well_above_1"], 2 / 3)
    lines = kag.format_cells({**cells, ("relu", 8, 1, 2, 21, "pr"): cell(5.0)}, skip_radius=21).splitlines()
    assert len(lines) == 6 and sum("well above 1" in line for line in lines) == 3


def test_augmentation_reductions_and_summary():
    keys = [("relu", 8, 1, 2, r, m) for r in (7, 21) for m in kag.METRICS]
    std = {k: cell(2.0) for k in keys}
    aug = {k: cell({"pr": 1.0, "kl": 1.5, "rr": 3.0}[k[-1]]) for k in keys}
    red = kag.augmentation_reductions(std, aug, skip_radius=21)
    assert len(red) == 3  # radius 21 left out
    assert red[("relu", 8, 1, 2, 7, "pr")] == 0.5 and red[("relu", 8, 1, 2, 7, "rr")] == -0.5
    s = kag.reduction_summary(red, ["relu"])
    assert s["median_reduction"] == 0.25 and math.isclose(s["share_of_cells_lowered"], 2 / 3)
    assert s["median_reduction_kl"] == 0.25 and s["median_reduction_relu"] == 0.25
    assert len(kag.augmentation_reductions(std, aug, skip_radius=None)) == 6


def test_scale_spread_and_verdict():
    records = []
    for reading in ("centre", "multi-centre"):
        for training in kag.TRAININGS:
            for layer in (1, 2):
                for radius, value in ((7, 1.0), (28, 3.0)):
                    for seed in (0, 1):
                        records.append(dict(activation="relu", width=8, k=2, layer=layer, radius=radius, seed=seed,
                                            reading=reading, training=training, pr=value, kl=2.0, rr=value))
    s = kag.scale_spread(records, 8, (7, 28), ["relu"])
    assert s["n_series"] == 2 * 2 * 2 * 3
    assert s["median_relative_spread"] == 1.0  # pr, rr: (3 - 1) / 2 = 1 in 2/3 of series; kl: 0
    assert math.isclose(s["share_series_one_verdict"], 1 / 3)  # pr, rr flip from "not above" (1) to "above" (3)
    assert kag.scale_agnostic_verdict(0.1, 0.95) == "reproduced"
    assert kag.scale_agnostic_verdict(0.1, 0.5) == "partly reproduced"
    assert kag.scale_agnostic_verdict(0.31, 1.0) == "not reproduced"


def test_confound_summary_and_rows():
    records = [dict(activation="relu", width=8, training=t, layer=1, k=2, radius=28, seed=s, reading=reading,
                    pr=p, kl=p, rr=p, pr_sparsity=0.5, active_random=0.5, active_trained=0.7)
               for t in kag.TRAININGS for s in (0, 1) for reading, p in (("centre", 0.8 + 0.1 * s), ("active rows", 1.2))]
    summary = kag.confound_summary(records)
    assert math.isclose(summary["raw"]["pr_median"], 0.85) and math.isclose(summary["active_rows"]["kl_median"], 1.2)
    assert summary["pr_sparsity_only_median"] == 0.5
    rows = kag.confound_rows(records, [8], layers=(1,))
    assert len(rows) == 2 and math.isclose(rows[0]["pr"], 0.85) and rows[0]["rr_active"] == 1.2
    assert "sparsity-only 0.500" in kag.format_confound_rows(rows)


def test_zero_rows_summary_and_epoch_metric():
    zr = [dict(activation=a, width=8, training="standard", layer=1, seed=s, zero_rows_unit=u, zero_rows_input=u / 2,
               zero_rows_input_init=0.0, dead_units=0.0, dead_units_init=0.0)
          for a, us in (("relu", (0.1, 0.3)), ("gelu", (0.0, 0.0))) for s, u in enumerate(us)]
    s = kag.zero_rows_summary(zr, ["relu", "gelu"])
    assert math.isclose(s["zero_rows_unit_mean"], 0.1)
    assert math.isclose(s["zero_rows_unit_relu"]["mean"], 0.2) and math.isclose(s["zero_rows_per_input_relu"]["mean"], 0.1)
    assert len(kag.zero_row_lines(zr).splitlines()) == 2
    ep = [dict(activation="relu", layer=2, epoch=4, seed=1, pr=1.5, kl=2.0, rr=0.5)]
    assert kag.epoch_sweep_metric(ep) == {"relu_l2_e4_s1": {"pr": 1.5, "kl": 2.0, "rr": 0.5}}


def test_width_gains_and_verdict():
    cells = {t: {(a, w, 1, 2, r, "pr"): cell(w / 8 * (1 if a == "relu" else 0.5) + (r == 21) * 100)
                 for a in ("relu", "gelu") for w in (8, 16) for r in (7, 21)}
             for t in kag.TRAININGS}
    cells["augmented"][("gelu", 16, 1, 2, 7, "pr")] = cell(0.25)  # narrower wins this one
    gains = kag.width_gains(cells, 16, 8)
    assert sorted(gains.tolist()) == [0.5, 2.0, 2.0, 2.0]
    s = kag.width_summary(gains)
    assert s == {"share_cells_wider_stronger": 0.75, "median_wide_over_narrow": 2.0, "n_cells": 4}
    assert kag.larger_stronger_verdict(0.75, 2.0) == "partly reproduced"
    assert kag.larger_stronger_verdict(0.8, 1.06) == "reproduced"
    assert kag.larger_stronger_verdict(0.9, 1.05) == "partly reproduced"
    assert kag.larger_stronger_verdict(0.4, 2.0) == "not reproduced"


def test_ratio_curves_and_top_units():
    records = [dict(activation="relu", width=8, layer=1, k=2, radius=r, seed=s, reading="centre", training=t,
                    pr=r / 7 + s, kl=1.0, rr=1.0) for r in (7, 14) for s in (0, 2) for t in kag.TRAININGS]
    curves = kag.ratio_curves(records, "pr", (7, 14), ["relu"], reading="centre", width=8, layer=1, k=2)
    assert set(curves) == {"relu standard", "relu augmented"}
    means, stds = curves["relu standard"]
    assert means == [2.0, 3.0] and all(math.isclose(v, math.sqrt(2)) for v in stds)
    model = mlp([784, 10, 10], "relu", seed=0)
    x = digits(2)
    norms = kag.row_norms(kag.layer_jacobians(model, x[:1], 1))[0]
    units = kag.top_units(model, x, layer=1, n=3)
    assert len(units) == 3 and norms[units[0]] == norms.max() and norms[units[0]] >= norms[units[1]] >= norms[units[2]]


# --------------------------------------------------------------------------------------------------
# Further hand-computed cases and bad input
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3])
def test_sampled_minors_equal_explicit_determinants(k):
    g = torch.Generator().manual_seed(11)
    jac = torch.randn(3, 8, 50, generator=g, dtype=torch.float64)
    columns = torch.tensor([2, 7, 11, 19, 23, 31, 40])
    minors = kag.sample_minors(jac, k, 40, torch.Generator().manual_seed(5), columns=columns)
    # replay the draws of sample_minors (rows first, then column positions, both shared by the batch)
    replay = torch.Generator().manual_seed(5)
    rows = kag.distinct_indices((1, 40), k, 8, replay)[0]
    cols = columns[kag.distinct_indices((1, 40), k, columns.numel(), replay)[0]]
    assert set(cols.flatten().tolist()) <= set(columns.tolist())
    for i in range(3):
        expected = torch.stack([torch.det(jac[i][rows[j]][:, cols[j]]) for j in range(40)])
        torch.testing.assert_close(minors[i], expected)


def test_zero_row_threshold_fraction_and_unit_norms_by_hand():
    norms = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0])
    assert kag.zero_row_threshold(norms, 0.0) == 0.0
    assert math.isclose(kag.zero_row_threshold(norms, 0.25), 1.0)  # linear interpolation: quantile 0.25 of 0..4
    assert kag.zero_row_fraction(norms, 0.0) == 0.2  # exact zeros count at threshold 0
    assert kag.zero_row_fraction(norms, 2.0) == 0.6
    jac = torch.zeros(2, 3, 4)
    jac[0, 0, 0], jac[1, 0, 1] = 3.0, 4.0  # unit 0: row norms 3 and 4 -> rms sqrt(12.5)
    jac[1, 1, :] = 1.0  # unit 1: row norms 0 and 2 -> rms sqrt(2)
    torch.testing.assert_close(kag.row_norms(jac), torch.tensor([[3.0, 0.0, 0.0], [4.0, 2.0, 0.0]]))
    torch.testing.assert_close(kag.unit_norms(jac), torch.tensor([math.sqrt(12.5), math.sqrt(2.0), 0.0]))
    assert kag.dead_units(jac).tolist() == [False, False, True]
    with pytest.raises(ValueError, match="quantile"):
        kag.zero_row_threshold(norms, 1.5)


def test_metric_ratios_and_same_seed_same_sweep():
    assert kag.metric_ratios({"pr": 0.6, "kl": 1.0, "rr": 2.0}, {"pr": 0.3, "kl": 0.5, "rr": 4.0}) == {
        "pr": 2.0, "kl": 2.0, "rr": 0.5}
    model = mlp([784, 10, 8, 10], "gelu", seed=1)
    x = digits(3)
    a = kag.sweep({"m": model}, x, ks=(1, 2), radii=(7,), n_minors=30, seed=4)
    b = kag.sweep({"m": model}, x, ks=(1, 2), radii=(7,), n_minors=30, seed=4)
    c = kag.sweep({"m": model}, x, ks=(1, 2), radii=(7,), n_minors=30, seed=5)
    assert a == b and a != c


def test_bad_column_sets_and_minor_arguments():
    jac = torch.randn(2, 5, 30, generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="empty"):
        kag.sample_minors(jac, 1, 10, g, columns=torch.tensor([], dtype=torch.long))
    with pytest.raises(ValueError, match="lie in 0..29"):
        kag.sample_minors(jac, 1, 10, g, columns=torch.tensor([0, 30]))
    with pytest.raises(ValueError, match="duplicate"):
        kag.sample_minors(jac, 1, 10, g, columns=torch.tensor([3, 3, 4]))
    with pytest.raises(ValueError, match="column set"):
        kag.sample_minors(jac, 3, 10, g, columns=torch.tensor([3, 4]))
    with pytest.raises(ValueError, match="larger than the layer"):
        kag.sample_minors(jac, 6, 10, g)
    with pytest.raises(ValueError, match="n_minors"):
        kag.sample_minors(jac, 2, 0, g)
    with pytest.raises(ValueError, match="row set"):
        kag.sample_minors(jac, 2, 10, g, rows="some")
    with pytest.raises(ValueError, match="rotation side"):
        kag.rotation_ratio(jac, 2, 10, side="diagonal", generator=g)
    with pytest.raises(ValueError, match="28 x 28"):
        kag.ka_metrics(mlp([30, 5, 10], "relu", seed=0), torch.rand(2, 30), radius=7)
    with pytest.raises(ValueError, match="radius"):
        kag.ball_mask(float("nan"))


def test_activation_medians_epoch_means_and_width_by_activation():
    cells = {("relu", 8, 1, 2, 7, "pr"): cell(0.5), ("relu", 8, 2, 2, 7, "pr"): cell(0.7),
             ("relu", 8, 1, 2, 7, "kl"): cell(0.4), ("relu", 8, 1, 2, 7, "rr"): cell(1.0),
             ("gelu", 8, 1, 2, 7, "pr"): cell(1.3), ("gelu", 8, 1, 2, 7, "kl"): cell(1.5),
             ("gelu", 8, 1, 2, 7, "rr"): cell(0.9)}
    med = kag.activation_medians(cells, ["relu", "gelu"])
    assert math.isclose(med["relu_pr_median"], 0.6) and med["gelu_kl_median"] == 1.5 and len(med) == 6
    ep = [dict(activation="relu", layer=1, epoch=e, seed=s, pr=1 + e + s, kl=1.0, rr=2.0 * e)
          for e in (2, 0) for s in (0, 1)]
    means = kag.epoch_means(ep)
    assert list(means) == [("relu", 1, "pr"), ("relu", 1, "kl"), ("relu", 1, "rr")]
    assert means[("relu", 1, "pr")] == {0: 1.5, 2: 3.5}  # epochs sorted, seeds averaged
    assert kag.format_epoch_means(means).splitlines()[0] == "relu  layer 1 PR: e0 1.500, e2 3.500"
    wide = {t: {(a, w, 1, 2, 7, "pr"): cell({("relu", 16): 2.0, ("relu", 8): 1.0, ("gelu", 16): 1.0,
                                             ("gelu", 8): 2.0}[(a, w)]) for a in ("relu", "gelu") for w in (8, 16)}
            for t in kag.TRAININGS}
    by = kag.width_summaries_by_activation(wide, 16, 8, ["relu", "gelu"])
    assert by["relu"] == {"share_cells_wider_stronger": 1.0, "median_wide_over_narrow": 2.0, "n_cells": 2}
    assert by["gelu"]["share_cells_wider_stronger"] == 0.0 and by["gelu"]["median_wide_over_narrow"] == 0.5


def test_ball_radius_accepts_numpy_numbers_and_refuses_bools():
    import numpy as np

    assert torch.equal(kag.ball_pixels(np.int64(7)), kag.ball_pixels(7))
    with pytest.raises(ValueError, match="radius"):
        kag.ball_mask(True)
    with pytest.raises(ValueError, match="radius"):
        kag.ball_mask("7")


def test_shared_position_rotated_minors_match_explicit_rotation():
    g = torch.Generator().manual_seed(8)
    jac = torch.randn(7, 9, 40, generator=g, dtype=torch.float64)
    columns = torch.tensor([1, 4, 9, 16, 25, 36])
    q = kag.haar_orthogonal(9, g, torch.float64)
    rows, pos = kag.sample_minor_indices(1, 30, 2, 9, 6, g)
    explicit = kag.gather_minors(torch.einsum("ab,nbd->nad", q, jac), rows.expand(7, 30, 2), columns[pos].expand(7, 30, 2))
    source = kag.transposed_jacobians(jac, columns)
    assert source.shape == (7, 6, 9) and torch.equal(source[3, 2], jac[3, :, 9])
    torch.testing.assert_close(kag.rotated_row_minors(source, q, rows[0], pos[0], chunk=3), explicit)
    shared = kag.rotated_minors(jac, q, rows.expand(7, 30, 2), columns[pos].expand(7, 30, 2), "rows", chunk=2)
    torch.testing.assert_close(shared, explicit)
    # the rotation ratio from the transposed path equals the one from explicitly rotated Jacobians
    rr = kag.rotation_ratio(jac, 2, 30, 3, columns=columns, generator=torch.Generator().manual_seed(2))
    replay = torch.Generator().manual_seed(2)
    minors = kag.sample_minors(jac, 2, 30, replay, columns)
    maxima = []
    for _ in range(3):
        qq = kag.haar_orthogonal(9, replay)
        r, p = kag.sample_minor_indices(1, 30, 2, 9, 6, replay)
        rotated = torch.einsum("ab,nbd->nad", qq.double(), jac)
        maxima.append(kag.gather_minors(rotated, r.expand(7, 30, 2), columns[p].expand(7, 30, 2)).abs().amax(dim=1))
    torch.testing.assert_close(rr, minors.abs().amax(dim=1) / torch.stack(maxima).mean(dim=0))


def test_active_rows_counts_negative_and_positive_rows():
    jac = torch.zeros(2, 4, 5)
    jac[0, 1, 3] = -1e-30  # a tiny negative entry is still a nonzero row
    jac[1, 2, 0] = 2.0
    assert kag.active_rows(jac).tolist() == [[False, True, False, False], [False, False, True, False]]
    slopes = torch.tensor([[1.0, 0.0, 1.0]])
    weight = torch.tensor([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]])  # unit 2 has zero weights
    assert kag.active_rows((slopes, weight)).tolist() == [[True, False, False]]
