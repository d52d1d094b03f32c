"""Tests of mlpgeo.kag (the lens): Jacobians, sampled minors, PR / KL / RR, pixel sets, zero rows, bad inputs.

The report's analysis and claim rules are tested in test_experiments_kag.py.
"""

import copy
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

from mlpgeo import kag
from mlpgeo.models import mlp, seeded
from mlpgeo.validate import BudgetError


def digits(n=6, seed=0, dtype=torch.float32):
    return torch.rand(n, 784, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def net(widths=(784, 12, 9, 10), activation="relu", seed=0, dtype=torch.float32):
    return mlp(list(widths), activation, generator=seeded(seed), dtype=dtype)


# --------------------------------------------------------------------------------------------------
# Jacobians
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
@pytest.mark.parametrize("layer", [1, 2, 3])
def test_closed_form_jacobian_equals_autograd(activation, layer):
    model = net([784, 20, 16, 12, 10], activation, seed=3)
    x = digits(5)
    closed = kag.jacobians_closed_form(model, x, layer)
    auto = kag.jacobians_autograd(model, x, layer)
    assert closed.shape == (5, [20, 16, 12][layer - 1], 784)
    torch.testing.assert_close(closed, auto, rtol=1e-5, atol=1e-6)


def test_relu_first_layer_is_masked_weights():
    model = net([784, 8, 8, 10], seed=1)
    x = digits(3)
    z = model[0](x)
    expected = (z > 0).float()[:, :, None] * model[0].weight[None]
    assert torch.equal(kag.layer_jacobians(model, x, 1), expected.detach())
    slopes, weight = kag.first_layer_factors(model, x)
    assert torch.equal(slopes, (z > 0).float()) and torch.equal(weight, model[0].weight.detach())
    assert torch.equal(kag.dense(kag.layer_batch(model, x, 1)), expected.detach())


def test_gelu_jacobian_matches_finite_differences():
    model = net([784, 10, 7, 10], "gelu", seed=2)
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


class MergedLinear(nn.Linear):
    """A Linear with a low-rank update, as LoRA adapters are seen by mlpgeo.models.weights."""

    def __init__(self, base, delta):
        super().__init__(base.in_features, base.out_features)
        self.load_state_dict(base.state_dict())
        self.delta = delta

    def merged_weight(self):
        return self.weight + self.delta

    def forward(self, x):
        return nn.functional.linear(x, self.merged_weight(), self.bias)


def test_closed_form_uses_effective_weights_of_adapted_layers():
    model = net([784, 9, 7, 10], seed=4)
    delta = 0.05 * torch.randn(9, 784, generator=seeded(1))
    model[0] = MergedLinear(model[0], delta)
    x = digits(3)
    closed = kag.jacobians_closed_form(model, x, 2)
    torch.testing.assert_close(closed, kag.jacobians_autograd(model, x, 2), rtol=1e-5, atol=1e-6)
    slopes, weight = kag.first_layer_factors(model, x)
    torch.testing.assert_close(weight, (model[0].weight + delta).detach())


@pytest.mark.parametrize("method", ["closed_form", "autograd"])
def test_jacobians_of_float64_models_are_float64_and_agree(method):
    m32 = net([784, 11, 7, 10], "leaky_relu", seed=5)
    m64 = copy.deepcopy(m32).double()
    x = digits(4)
    j64 = kag.layer_jacobians(m64, x, 2, method=method)  # float32 x is converted to the model's dtype
    assert j64.dtype == torch.float64
    torch.testing.assert_close(j64.float(), kag.layer_jacobians(m32, x, 2, method=method), rtol=1e-4, atol=1e-6)
    assert kag.first_layer_factors(m64, x).slopes.dtype == torch.float64


def test_jacobians_are_chunked_under_a_small_budget(monkeypatch):
    model = net([784, 16, 12, 10], seed=6)
    x = digits(10)
    whole = kag.layer_jacobians(model, x, 2)
    auto = kag.jacobians_autograd(model, x, 2)
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "1MiB")  # the result (600 KiB) fits, one pass (1.5 MiB) does not
    torch.testing.assert_close(kag.layer_jacobians(model, x, 2), whole)
    torch.testing.assert_close(kag.jacobians_autograd(model, x, 2), auto)
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "100KiB")  # the result itself does not fit: refused, not chunked
    with pytest.raises(BudgetError, match="fewer rows in x"):
        kag.layer_jacobians(model, x, 2)


# --------------------------------------------------------------------------------------------------
# Sampling minors
# --------------------------------------------------------------------------------------------------


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
    # no generator: a fresh one seeded 0, so the draw is reproducible
    assert torch.equal(kag.distinct_indices((5,), 2, 9), kag.distinct_indices((5,), 2, 9, seeded(0)))


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


def test_minors_are_gathered_in_chunks_under_a_small_budget(monkeypatch):
    g = torch.Generator().manual_seed(3)
    jac = torch.randn(40, 9, 60, generator=g)
    factors = kag.JacobianFactors(torch.rand(40, 9, generator=g), torch.randn(9, 60, generator=g))
    expected = {name: kag.sample_minors(j, 2, 300, seeded(1), rows="active") for name, j in (("dense", jac), ("factors", factors))}
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "1MiB")  # result 420 KiB fits; one pass of the blocks (1.5 MiB) does not
    for name, j in (("dense", jac), ("factors", factors)):
        assert torch.equal(kag.sample_minors(j, 2, 300, seeded(1), rows="active"), expected[name])


def test_active_rows_counts_negative_and_positive_rows():
    jac = torch.zeros(2, 4, 5)
    jac[0, 1, 3] = -1e-30  # a tiny negative entry is still a nonzero row
    jac[1, 2, 0] = 2.0
    assert kag.active_rows(jac).tolist() == [[False, True, False, False], [False, False, True, False]]
    slopes = torch.tensor([[1.0, 0.0, 1.0]])
    weight = torch.tensor([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]])  # unit 2 has zero weights
    assert kag.active_rows((slopes, weight)).tolist() == [[True, False, False]]


# --------------------------------------------------------------------------------------------------
# Statistics of minors
# --------------------------------------------------------------------------------------------------


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
    assert kag.participation_ratio(m.double()).dtype == torch.float64


def test_haar_orthogonal():
    q = kag.haar_orthogonal(12, torch.Generator().manual_seed(0), torch.float64)
    torch.testing.assert_close(q @ q.T, torch.eye(12, dtype=torch.float64))
    assert torch.equal(kag.haar_orthogonal(5), kag.haar_orthogonal(5, seeded(0)))


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
    model = net([784, 24, 8, 10], activation, seed=5)
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
    torch.testing.assert_close(a.minors, b.minors, rtol=1e-5, atol=1e-8)
    for key in ("pr", "kl", "rr", "active_fraction", "zero_minor_fraction"):
        assert math.isclose(getattr(a, key), getattr(b, key), rel_tol=1e-4), key
    c = kag.jacobian_metrics(jac, 2, 50, torch.Generator().manual_seed(1), columns, rows="active")
    d = kag.jacobian_metrics((slopes, weight), 2, 50, torch.Generator().manual_seed(1), columns, rows="active")
    assert math.isclose(c.pr, d.pr, rel_tol=1e-4)


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
        qq = kag.haar_orthogonal(9, replay, torch.float64)
        r, p = kag.sample_minor_indices(1, 30, 2, 9, 6, replay)
        rotated = torch.einsum("ab,nbd->nad", qq, jac)
        maxima.append(kag.gather_minors(rotated, r.expand(7, 30, 2), columns[p].expand(7, 30, 2)).abs().amax(dim=1))
    torch.testing.assert_close(rr, minors.abs().amax(dim=1) / torch.stack(maxima).mean(dim=0))


@pytest.mark.parametrize("form", ["dense", "factors"])
@pytest.mark.parametrize("side", ["rows", "columns"])
def test_rotation_ratio_is_the_same_in_chunks(monkeypatch, form, side):
    model = net([784, 20, 8, 10], seed=9)
    x = digits(60)
    jac = kag.layer_batch(model, x, 1)
    jac = kag.dense(jac) if form == "dense" else jac
    columns = kag.ball_pixels(7)
    whole = kag.rotation_ratio(jac, 2, 200, 2, side, columns, seeded(3))
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "1MiB")  # forces chunks of inputs on every path
    torch.testing.assert_close(kag.rotation_ratio(jac, 2, 200, 2, side, columns, seeded(3)), whole)


@pytest.mark.parametrize("form", ["dense", "factors", "dense, transposed given"])
@pytest.mark.parametrize("side", ["rows", "columns"])
@pytest.mark.parametrize("columns", [None, "ball"])
def test_shared_draws_give_each_batch_its_own_metrics(form, side, columns):
    """The fast path (one set of draws for several networks) against the reference (one call per network)."""
    columns = kag.ball_pixels(9) if columns == "ball" else None
    jacs = [kag.layer_batch(net([784, 12, 9, 10], activation, seed=seed), digits(n, seed=seed), 1)
            for activation, seed, n in (("relu", 0, 5), ("gelu", 1, 3), ("leaky_relu", 2, 4))]
    jacs = [kag.dense(jac) for jac in jacs] if form.startswith("dense") else jacs
    transposed = [kag.transposed_jacobians(jac) for jac in jacs] if form.endswith("given") else None
    generator = seeded(7)
    shared = kag.jacobian_metrics_shared(jacs, 2, 40, generator, columns, n_rotations=3, rotate=side,
                                         transposed=transposed)
    after = torch.rand(3, generator=generator)
    for jac, got in zip(jacs, shared):
        alone = seeded(7)
        ref = kag.jacobian_metrics(jac, 2, 40, alone, columns, n_rotations=3, rotate=side)
        for field in ("pr_per_input", "kl_per_input", "rr_per_input", "minors", "active"):
            torch.testing.assert_close(getattr(got, field), getattr(ref, field), rtol=0, atol=0, equal_nan=True)
        assert got.n_columns == ref.n_columns
        assert torch.equal(torch.rand(3, generator=alone), after)  # the generator advanced as one call advances it


def test_shared_draws_refuse_mismatched_batches():
    a = kag.dense(kag.layer_batch(net([784, 12, 9, 10]), digits(3), 1))
    with pytest.raises(ValueError, match="non-empty list"):
        kag.jacobian_metrics_shared([])
    with pytest.raises(ValueError, match="non-empty list"):
        kag.jacobian_metrics_shared(a)
    with pytest.raises(ValueError, match="share"):
        kag.jacobian_metrics_shared([a, a[:, :5]])
    with pytest.raises(ValueError, match="share"):
        kag.jacobian_metrics_shared([a, a.double()])
    with pytest.raises(ValueError, match="NaN"):
        kag.jacobian_metrics_shared([a, torch.full_like(a, float("nan"))])
    with pytest.raises(ValueError, match="one entry per batch"):
        kag.jacobian_metrics_shared([a, a], transposed=[kag.transposed_jacobians(a)])
    with pytest.raises(ValueError, match=r"transposed\[1\] has shape"):
        kag.jacobian_metrics_shared([a, a], transposed=[None, a])


# --------------------------------------------------------------------------------------------------
# One call per batch
# --------------------------------------------------------------------------------------------------


def test_ka_metrics_values_and_reproducibility():
    model = net([784, 12, 9, 10], seed=0)
    x = digits(4)
    out = kag.ka_metrics(model, x, layer=2, k=2, radius=7, n_minors=100, generator=seeded(0))
    assert isinstance(out, kag.KAMetrics)
    for key in ("pr", "kl", "rr"):
        assert isinstance(getattr(out, key), float) and getattr(out, f"{key}_per_input").shape == (4,)
        assert getattr(out, key) == float(torch.nanmean(getattr(out, f"{key}_per_input")))
    assert out.minors.shape == (4, 100) and out.n_columns == kag.ball_pixels(7).numel()
    assert 1 / math.sqrt(100) - 1e-6 <= out.pr <= 1
    assert 0 <= out.kl <= math.log(100) + 1e-6
    torch.testing.assert_close(out.pr_per_input, kag.participation_ratio(out.minors))
    torch.testing.assert_close(out.kl_per_input, kag.kl_from_uniform(out.minors))
    assert out.zero_minor_fraction == float((out.minors == 0).double().mean())
    again = kag.ka_metrics(model, x, layer=2, k=2, radius=7, n_minors=100, generator=seeded(0))
    assert again.pr == out.pr and again.rr == out.rr  # same generator seed, same numbers
    default = kag.ka_metrics(model, x, layer=2, k=2, radius=7, n_minors=100)  # no generator: seeded 0
    assert default.pr == out.pr


def test_ka_metrics_of_a_float64_model():
    m32 = net([784, 12, 9, 10], seed=0)
    m64 = copy.deepcopy(m32).double()
    x = digits(4)
    a = kag.ka_metrics(m32, x, layer=2, k=2, radius=14, n_minors=80, generator=seeded(1))
    b = kag.ka_metrics(m64, x.double(), layer=2, k=2, radius=14, n_minors=80, generator=seeded(1))
    assert b.minors.dtype == torch.float64 and b.rr_per_input.dtype == torch.float64
    torch.testing.assert_close(b.minors.float(), a.minors, rtol=1e-4, atol=1e-9)
    assert math.isclose(a.pr, b.pr, rel_tol=1e-4) and math.isclose(a.kl, b.kl, rel_tol=1e-4)
    assert math.isclose(a.rr, b.rr, rel_tol=1e-3)


def test_dead_network_metrics_refuse_instead_of_nan():
    model = net([784, 6, 5, 10], seed=0)
    with torch.no_grad():
        model[0].bias.fill_(-1e3)  # every unit of layer 1 is inactive at every input
    out = kag.ka_metrics(model, digits(3), layer=1, n_minors=20)
    assert torch.isnan(out.pr_per_input).all() and out.zero_minor_fraction == 1.0 and out.active_fraction == 0.0
    with pytest.raises(ValueError, match="undefined for every input"):
        out.pr
    with pytest.raises(ValueError, match="undefined"):
        kag.metric_ratios(out, out)


def test_metric_ratios():
    model = net(seed=1)
    x = digits(3)
    a = kag.ka_metrics(model, x, n_minors=30, generator=seeded(4))
    b = kag.ka_metrics(net(seed=2), x, n_minors=30, generator=seeded(4))
    ratios = kag.metric_ratios(a, b)
    assert ratios == {key: getattr(a, key) / getattr(b, key) for key in kag.METRICS}
    assert kag.metric_ratios(a, a) == {"pr": 1.0, "kl": 1.0, "rr": 1.0}


# --------------------------------------------------------------------------------------------------
# Pixel sets, zero rows
# --------------------------------------------------------------------------------------------------


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
    assert kag.grid_centers(7.0)[0] == (6.5, 6.5) and kag.grid_centers(100.0) == [(13.5, 13.5)]
    assert torch.equal(kag.ball_pixels(np.int64(7)), kag.ball_pixels(7))
    assert torch.equal(kag.ball_pixels(7, center=np.array([13.5, 13.5])), kag.ball_pixels(7))


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


def test_zero_row_threshold_of_more_norms_than_torch_quantile_takes():
    norms = torch.arange(2**24 + 1, dtype=torch.float32)  # torch.quantile refuses more than 2**24 values
    assert kag.zero_row_threshold(norms, 0.5) == 2**23


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_zero_rows_counts_dead_units(dtype):
    init = net([784, 16, 16, 10], seed=0, dtype=dtype)
    trained = copy.deepcopy(init)
    with torch.no_grad():
        trained[0].bias[:4] = -1e3  # 4 of 16 units dead everywhere
    x = digits(8)
    z = kag.zero_rows(init, trained, x, layer=1)
    assert isinstance(z, kag.ZeroRows)
    assert z.dead_units >= 4 / 16 and z.zero_rows_unit >= 4 / 16
    same = kag.zero_rows(init, init, x, layer=2)
    assert same.zero_rows_input == same.zero_rows_input_init and same.dead_units == same.dead_units_init


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------


def test_general_figures_draw():
    model = net(seed=0)
    x = digits(3)
    out = kag.ka_metrics(model, x, n_minors=40)
    assert kag.plot_ball_masks(x[0]).get_legend() is not None
    assert len(kag.plot_ball_centres(x[0], 21, kag.grid_centers(7.0)).patches) == 9
    ax = kag.plot_minor_histogram(out.minors, kag.ka_metrics(net(seed=1), x, n_minors=40).minors, k=2)
    assert ax.get_xlabel() == "log10 |2-minor|"
    axes = kag.plot_jacobian_rows(kag.layer_jacobians(model, x[:1], 1)[0], [0, 3, 5], title="rows")
    assert len(axes) == 3
    plt.close("all")


# --------------------------------------------------------------------------------------------------
# Bad inputs: each ends in mlpgeo's own TypeError / ValueError naming the argument
# --------------------------------------------------------------------------------------------------

M = net([784, 12, 9, 10], seed=0)
GELU = net([784, 12, 9, 10], "gelu", seed=0)
SMALL = net([30, 5, 4, 10], seed=0)
X = digits(4)
J = torch.randn(3, 6, 40, generator=seeded(0))
F = kag.JacobianFactors(torch.rand(3, 6, generator=seeded(1)), torch.randn(6, 40, generator=seeded(2)))
G = seeded(0)


def nan_model():
    model = copy.deepcopy(M)
    with torch.no_grad():
        model[2].weight[0, 0] = float("nan")
    return model


def dead_model():
    model = copy.deepcopy(M)
    with torch.no_grad():
        model[0].bias.fill_(-1e3)  # no unit of layer 1 is ever active
    return model


def with_nan(t, index=(0, 0)):
    t = t.clone()
    t[index] = float("nan")
    return t


def zero_kl_metrics():
    flat = torch.ones(2, 5)  # equal minors: KL = 0 exactly
    return kag.KAMetrics(kag.participation_ratio(flat), kag.kl_from_uniform(flat), torch.ones(2), flat,
                         torch.ones(2, 3, dtype=torch.bool), 40, "toolkit")


# (id, call, exception, message pattern, memory budget or None)
BAD = [
    # Jacobians
    ("layer-0", lambda: kag.layer_jacobians(M, X, 0), ValueError, "layer=0", None),
    ("layer-too-deep", lambda: kag.layer_jacobians(M, X, 3), ValueError, "layer=3", None),
    ("layer-float", lambda: kag.layer_jacobians(M, X, 1.0), TypeError, "layer", None),
    ("layer-bool", lambda: kag.jacobians_closed_form(M, X, True), TypeError, "layer", None),
    ("layer-str", lambda: kag.jacobians_autograd(M, X, "1"), TypeError, "layer", None),
    ("x-int", lambda: kag.layer_jacobians(M, X.long()), TypeError, "x has dtype", None),
    ("x-complex", lambda: kag.layer_jacobians(M, X.to(torch.complex64)), TypeError, "x is complex", None),
    ("x-half", lambda: kag.layer_jacobians(M, X.half()), TypeError, "x has dtype", None),
    ("x-nan", lambda: kag.layer_jacobians(M, with_nan(X)), ValueError, "x holds NaN", None),
    ("x-inf", lambda: kag.first_layer_factors(M, X.clone().fill_(float("inf"))), ValueError, "x holds NaN", None),
    ("x-empty", lambda: kag.layer_jacobians(M, X[:0]), ValueError, "x is an empty batch", None),
    ("x-wrong-width", lambda: kag.layer_jacobians(M, X[:, :783]), ValueError, r"x has shape \(4, 783\)", None),
    ("x-1d", lambda: kag.layer_batch(M, X[0]), ValueError, "x has shape", None),
    ("x-numpy", lambda: kag.layer_jacobians(M, X.numpy()), TypeError, "x must be a torch.Tensor", None),
    ("model-nan", lambda: kag.layer_jacobians(nan_model(), X), ValueError, "parameter", None),
    ("model-linear", lambda: kag.layer_jacobians(M[0], X), TypeError, "model must be an nn.Sequential", None),
    ("model-half", lambda: kag.layer_jacobians(copy.deepcopy(M).half(), X), TypeError, "model has parameters", None),
    ("method-unknown", lambda: kag.layer_jacobians(M, X, method="fast"), ValueError, "method", None),
    ("closed-form-gelu", lambda: kag.jacobians_closed_form(GELU, X), TypeError, "piecewise", None),
    ("jacobians-over-budget", lambda: kag.layer_jacobians(M, digits(50), 2), BudgetError, "fewer rows in x", "100KiB"),
    # sampling minors
    ("k-0", lambda: kag.sample_minors(J, 0, 10, G), ValueError, "k must be", None),
    ("k-float", lambda: kag.sample_minors(J, 2.0, 10, G), TypeError, "k must be an integer", None),
    ("k-above-layer", lambda: kag.sample_minors(J, 7, 10, G), ValueError, "larger than the layer", None),
    ("k-above-columns", lambda: kag.sample_minors(J, 3, 10, G, columns=torch.tensor([3, 4])), ValueError, "column set", None),
    ("n-minors-0", lambda: kag.sample_minors(J, 2, 0, G), ValueError, "n_minors", None),
    ("n-minors-negative", lambda: kag.sample_minors(F, 2, -5, G), ValueError, "n_minors", None),
    ("n-minors-float", lambda: kag.sample_minors(J, 2, 1.5, G), TypeError, "n_minors", None),
    ("n-minors-huge", lambda: kag.sample_minors(J, 2, 10**10, G), BudgetError, "lower n_minors", None),
    ("n-minors-over-small-budget", lambda: kag.sample_minors(J, 2, 20_000, G), BudgetError, "n_minors", "200KiB"),
    ("columns-duplicate", lambda: kag.sample_minors(J, 1, 10, G, columns=torch.tensor([3, 3, 4])), ValueError, "duplicate", None),
    ("columns-out-of-range", lambda: kag.sample_minors(J, 1, 10, G, columns=torch.tensor([0, 40])), ValueError, "lie in 0..39", None),
    ("columns-negative", lambda: kag.sample_minors(J, 1, 10, G, columns=torch.tensor([-1, 2])), ValueError, "columns", None),
    ("columns-empty", lambda: kag.sample_minors(J, 1, 10, G, columns=torch.tensor([], dtype=torch.long)), ValueError, "columns is empty", None),
    ("columns-float", lambda: kag.sample_minors(J, 1, 10, G, columns=torch.tensor([1.0, 2.0])), TypeError, "columns", None),
    ("rows-unknown", lambda: kag.sample_minors(J, 2, 10, G, rows="some"), ValueError, "rows", None),
    ("generator-int", lambda: kag.sample_minors(J, 2, 10, 0), TypeError, "generator", None),
    ("jac-nan", lambda: kag.sample_minors(with_nan(J, (0, 0, 0)), 2, 10, G), ValueError, "jac holds NaN", None),
    ("jac-2d", lambda: kag.sample_minors(J[0], 2, 10, G), ValueError, "jac has shape", None),
    ("jac-int", lambda: kag.sample_minors(J.long(), 2, 10, G), TypeError, "jac has dtype", None),
    ("factors-mismatch", lambda: kag.sample_minors((F.slopes, F.weight[:5]), 2, 10, G), ValueError, "do not match", None),
    ("distinct-k-above-high", lambda: kag.distinct_indices((4,), 3, 2, G), ValueError, "k=3", None),
    ("distinct-negative-shape", lambda: kag.distinct_indices((-1, 2), 1, 5, G), ValueError, r"shape\[0\]", None),
    ("distinct-high-float", lambda: kag.distinct_indices((4,), 1, 5.0, G), TypeError, "high", None),
    ("distinct-high-shape", lambda: kag.distinct_indices((4, 3), 1, torch.full((5, 1), 9), G), ValueError, "broadcast", None),
    ("distinct-huge", lambda: kag.distinct_indices((10**6, 10**5), 2, 9, G), BudgetError, "n_minors", None),
    ("gather-rows-out-of-range", lambda: kag.gather_minors(J, torch.full((3, 4, 2), 6), torch.zeros(3, 4, 2, dtype=torch.long)), ValueError, "rows holds", None),
    ("gather-cols-float", lambda: kag.gather_minors(J, torch.zeros(3, 4, 2, dtype=torch.long), torch.zeros(3, 4, 2)), TypeError, "cols", None),
    ("gather-shape-mismatch", lambda: kag.gather_minors(J, torch.zeros(3, 4, 2, dtype=torch.long), torch.zeros(3, 5, 2, dtype=torch.long)), ValueError, "must both be", None),
    ("small-det-not-square", lambda: kag.small_det(torch.ones(4, 2, 3)), ValueError, "square", None),
    ("small-det-int", lambda: kag.small_det(torch.ones(4, 2, 2, dtype=torch.long)), TypeError, "sub has dtype", None),
    ("index-counts-float", lambda: kag.sample_minor_indices(2.0, 5, 2, 6, 6, G), TypeError, "n_inputs", None),
    # statistics of minors
    ("pr-nan", lambda: kag.participation_ratio(torch.tensor([1.0, float("nan")])), ValueError, "minors holds NaN", None),
    ("pr-int", lambda: kag.participation_ratio(torch.tensor([1, 2])), TypeError, "minors has dtype", None),
    ("pr-convention", lambda: kag.participation_ratio(torch.ones(3), "inverse"), ValueError, "convention", None),
    ("pr-empty", lambda: kag.participation_ratio(torch.ones(0)), ValueError, "minors is empty", None),
    ("pr-0d", lambda: kag.participation_ratio(torch.tensor(1.0)), ValueError, "at least one dimension", None),
    ("kl-inf", lambda: kag.kl_from_uniform(torch.tensor([1.0, float("inf")])), ValueError, "minors holds NaN", None),
    ("kl-complex", lambda: kag.kl_from_uniform(torch.ones(3, dtype=torch.complex64)), TypeError, "minors is complex", None),
    ("haar-size-0", lambda: kag.haar_orthogonal(0, G), ValueError, "size", None),
    ("haar-size-float", lambda: kag.haar_orthogonal(2.5, G), TypeError, "size", None),
    ("haar-size-huge", lambda: kag.haar_orthogonal(10**6, G), BudgetError, "rotation", None),
    ("haar-half", lambda: kag.haar_orthogonal(4, G, torch.float16), TypeError, "dtype", None),
    ("rr-rotations-0", lambda: kag.rotation_ratio(J, 2, 10, 0, generator=G), ValueError, "n_rotations", None),
    ("rr-rotations-float", lambda: kag.rotation_ratio(J, 2, 10, 2.5, generator=G), TypeError, "n_rotations", None),
    ("rr-side", lambda: kag.rotation_ratio(J, 2, 10, side="diagonal", generator=G), ValueError, "side", None),
    ("rr-minors-rows", lambda: kag.rotation_ratio(J, 2, 10, minors=torch.ones(2, 10), generator=G), ValueError, "minors has 2 rows", None),
    ("rr-minors-nan", lambda: kag.rotation_ratio(J, 2, 10, minors=with_nan(torch.ones(3, 10)), generator=G), ValueError, "minors holds NaN", None),
    ("rr-columns-rotation-huge", lambda: kag.rotation_ratio(torch.zeros(1, 2, 20_000), 2, 10, side="columns", generator=G), BudgetError, "side='rows'", "1GiB"),
    ("rotated-q-shape", lambda: kag.rotated_minors(J, torch.eye(5), torch.zeros(3, 4, 2, dtype=torch.long), torch.zeros(3, 4, 2, dtype=torch.long)), ValueError, "q has shape", None),
    ("rotated-chunk-0", lambda: kag.rotated_row_minors(J.transpose(1, 2), torch.eye(6), torch.zeros(4, 2, dtype=torch.long), torch.zeros(4, 2, dtype=torch.long), chunk=0), ValueError, "chunk", None),
    ("transposed-over-budget", lambda: kag.transposed_jacobians(torch.zeros(40, 64, 784)), BudgetError, "fewer inputs", "4MiB"),
    # ka_metrics and jacobian_metrics
    ("radius-0", lambda: kag.ka_metrics(M, X, radius=0), ValueError, "radius", None),
    ("radius-negative", lambda: kag.ka_metrics(M, X, radius=-3.0), ValueError, "radius", None),
    ("radius-nan", lambda: kag.ka_metrics(M, X, radius=float("nan")), ValueError, "radius is nan", None),
    ("radius-inf", lambda: kag.ka_metrics(M, X, radius=float("inf")), ValueError, "radius is inf", None),
    ("radius-str", lambda: kag.ka_metrics(M, X, radius="7"), TypeError, "radius", None),
    ("radius-bool", lambda: kag.ball_mask(True), TypeError, "radius", None),
    ("radius-not-image", lambda: kag.ka_metrics(SMALL, torch.rand(2, 30), radius=7), ValueError, "28 x 28", None),
    ("k-above-ball", lambda: kag.ka_metrics(M, X, k=5, radius=1.0), ValueError, "column set", None),
    ("center-outside", lambda: kag.ka_metrics(M, X, radius=7, center=(40, 40)), ValueError, r"center\[0\]", None),
    ("center-nan", lambda: kag.ball_mask(7, center=(13.5, float("nan"))), ValueError, r"center\[1\]", None),
    ("center-three", lambda: kag.ball_mask(7, center=(1, 2, 3)), TypeError, "center", None),
    ("convention-unknown", lambda: kag.ka_metrics(M, X, convention="x"), ValueError, "convention", None),
    ("rotate-unknown", lambda: kag.ka_metrics(M, X, rotate="diag"), ValueError, "rotate", None),
    ("rows-unknown-ka", lambda: kag.ka_metrics(M, X, rows="some"), ValueError, "rows", None),
    ("rotations-negative", lambda: kag.ka_metrics(M, X, n_rotations=-1), ValueError, "n_rotations", None),
    ("ka-layer-too-deep", lambda: kag.ka_metrics(M, X, layer=3), ValueError, "layer=3", None),
    ("ka-k-above-layer", lambda: kag.ka_metrics(M, X, layer=2, k=10), ValueError, "larger than the layer", None),
    ("ka-n-minors-huge", lambda: kag.ka_metrics(M, X, n_minors=10**10), BudgetError, "n_minors", None),
    ("ka-dead-network", lambda: kag.ka_metrics(dead_model(), X).pr, ValueError, "undefined", None),
    # pixel sets
    ("side-0", lambda: kag.ball_mask(3, center=(0, 0), side=0), ValueError, "side", None),
    ("side-float", lambda: kag.ball_mask(3, side=2.5), TypeError, "side", None),
    ("side-huge", lambda: kag.ball_mask(3, side=10**6), BudgetError, "lower side", None),
    ("ball-empty", lambda: kag.ball_pixels(0.5), ValueError, "holds no pixel", None),
    ("step-0", lambda: kag.grid_centers(0), ValueError, "step", None),
    ("step-nan", lambda: kag.grid_centers(float("nan")), ValueError, "step", None),
    ("step-tiny", lambda: kag.grid_centers(1e-9), ValueError, "raise step", None),
    ("step-negative", lambda: kag.grid_centers(-7), ValueError, "step", None),
    # zero rows
    ("quantile-above-1", lambda: kag.zero_row_threshold(torch.ones(5), 1.5), ValueError, "quantile", None),
    ("quantile-nan", lambda: kag.zero_rows(M, M, X, 1, quantile=float("nan")), ValueError, "quantile", None),
    ("norms-nan", lambda: kag.zero_row_threshold(torch.tensor([1.0, float("nan")])), ValueError, "norms_init", None),
    ("norms-empty", lambda: kag.zero_row_threshold(torch.ones(0)), ValueError, "norms_init is empty", None),
    ("threshold-nan", lambda: kag.zero_row_fraction(torch.ones(5), float("nan")), ValueError, "threshold", None),
    ("zero-rows-widths", lambda: kag.zero_rows(net([784, 8, 9, 10]), M, X, 1), ValueError, "same widths", None),
    ("zero-rows-layer", lambda: kag.zero_rows(M, M, X, 5), ValueError, "layer=5", None),
    ("row-norms-2d", lambda: kag.row_norms(J[0]), ValueError, "jac has shape", None),
    ("unit-norms-nan", lambda: kag.unit_norms(with_nan(J, (0, 0, 0))), ValueError, "jac holds NaN", None),
    ("dead-units-int", lambda: kag.dead_units(J.long()), TypeError, "jac has dtype", None),
    # ratios
    ("ratio-zero-kl", lambda: kag.metric_ratios(zero_kl_metrics(), zero_kl_metrics()), ValueError, "kl is 0", None),
    ("ratio-unknown-key", lambda: kag.metric_ratios(zero_kl_metrics(), zero_kl_metrics(), keys=["xx"]), ValueError, "keys", None),
    ("ratio-dicts", lambda: kag.metric_ratios({"pr": 1.0}, {"pr": 2.0}, keys=["pr"]), TypeError, "KAMetrics", None),
    # figures
    ("hist-all-zero", lambda: kag.plot_minor_histogram(torch.zeros(5), torch.ones(5), 2), ValueError, "exactly zero", None),
    ("hist-bins-0", lambda: kag.plot_minor_histogram(torch.ones(5), torch.ones(5), 2, bins=0), ValueError, "bins", None),
    ("rows-unit-out-of-range", lambda: kag.plot_jacobian_rows(torch.ones(4, 784), [0, 4]), ValueError, r"units\[1\]", None),
    ("image-wrong-size", lambda: kag.plot_ball_masks(torch.ones(100)), ValueError, "image", None),
]


@pytest.mark.parametrize("call, error, pattern, budget", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_inputs_end_in_clear_errors(monkeypatch, call, error, pattern, budget):
    if budget is not None:
        monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", budget)
    with pytest.raises(error, match=pattern):
        call()
