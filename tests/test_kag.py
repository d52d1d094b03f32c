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
