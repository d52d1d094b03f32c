"""Tests of mlpgeo.regions: exact linear regions, counting bounds, local complexity, bad inputs."""

from __future__ import annotations

import importlib.util
import math

import matplotlib
import numpy as np
import pytest
import torch
from torch import nn

from mlpgeo.lora import apply_lora, merge_lora
from mlpgeo.models import mlp, seeded
from mlpgeo.patterns import codes as torch_codes_of
from mlpgeo.regions import (
    MAX_REGIONS,
    Regions,
    _forward_codes,
    _network_layers,
    boundary_regions,
    code_statistics,
    count_regions_plane,
    decision_boundary,
    deep_upper_bound,
    enclosing_bounds,
    grid_code_count,
    linear_regions_1d,
    linear_regions_2d,
    local_complexity,
    montufar_lower_bound,
    output_line,
    plot_lines,
    plot_partition,
    plot_regions,
    region_summary,
    zaslavsky,
)
from mlpgeo.validate import BudgetError

matplotlib.use("Agg")


def net(widths, seed=0, **kwargs):
    return mlp(widths, generator=seeded(seed), **kwargs)


def set_linear(linear: nn.Linear, W, b) -> None:
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(W, dtype=linear.weight.dtype))
        linear.bias.copy_(torch.tensor(b, dtype=linear.weight.dtype))


def torch_codes(model, points) -> np.ndarray:
    return torch_codes_of(model, torch.as_tensor(points, dtype=torch.float32)).numpy()


def quadrants(dtype=torch.float32):
    """f = relu(x) - 2 relu(y) + 0.5: two lines through the origin, four quadrants."""
    model = mlp([2, 2, 1], dtype=dtype)
    set_linear(model[0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])
    set_linear(model[2], [[1.0, -2.0]], [0.5])
    return model


# ---------------------------------------------------------------------------------------------------------
# Exact regions: hand-computed cases, invariants, slow references
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_two_lines_give_four_quadrants(dtype):
    model = quadrants(dtype)
    regions = linear_regions_2d(model, bounds=(-1, 1, -1, 1))
    assert len(regions) == 4
    np.testing.assert_allclose(sorted(regions.areas), [1.0, 1.0, 1.0, 1.0])
    codes = {tuple(r.code) for r in regions}
    assert codes == {(False, False), (False, True), (True, False), (True, True)}
    for region in regions:
        # output = relu(x) - 2 relu(y) + 0.5: slopes follow the code
        np.testing.assert_allclose(region.A[0], [1.0 * region.code[0], -2.0 * region.code[1]])
        np.testing.assert_allclose(region.c, [0.5])
        x, y = region.vertices.T
        assert 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) > 0  # counter-clockwise
    assert len(regions.adjacency()) == 4  # the four quadrants form a cycle; diagonal ones touch at a point
    assert count_regions_plane(model) == 4
    assert len(linear_regions_1d(mlp([1, 3, 1], dtype=dtype), (-3, 3))) >= 1


@pytest.mark.parametrize("widths,activation", [([2, 6, 1], "relu"), ([2, 8, 8, 1], "relu"),
                                               ([2, 12, 12, 12, 2], "relu"), ([2, 10, 10, 1], "leaky_relu")])
def test_tiling_codes_and_maps(widths, activation):
    model = net(widths, seed=3, activation=activation)
    bounds = (-2.0, 1.5, -1.0, 2.0)
    regions = linear_regions_2d(model, bounds)
    # the polygons tile the box, each with a distinct code
    assert np.all(regions.areas > 0)
    np.testing.assert_allclose(regions.areas.sum(), regions.box_area, rtol=1e-9)
    assert len(np.unique(regions.codes, axis=0)) == len(regions)
    # codes at interior points of regions equal a (float32) forward pass
    big = regions.areas > 1e-4 * regions.box_area
    np.testing.assert_array_equal(torch_codes(model, regions.centroids()[big]), regions.codes[big])
    # every region, slivers included: its vertex mean (strictly interior, convex polygon) has its code (float64)
    inner = regions.vertex_array.sum(axis=1) / regions.counts[:, None]
    code64, _ = _forward_codes(_network_layers(model), np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), inner)
    np.testing.assert_array_equal(code64, regions.codes)
    # the affine maps reproduce the (float64) network at random points
    rng = np.random.default_rng(0)
    pts = np.stack([rng.uniform(-2.0, 1.5, 500), rng.uniform(-1.0, 2.0, 500)], axis=1)
    index = regions.locate(pts)
    assert np.all(index >= 0)
    with torch.no_grad():
        out = mlp(widths, generator=seeded(3), activation=activation, dtype=torch.float64)(torch.tensor(pts)).numpy()
    pred = np.einsum("pod,pd->po", regions.A[index], pts) + regions.c[index]
    np.testing.assert_allclose(pred, out, atol=1e-9)
    assert np.all(regions.locate(np.array([[5.0, 0.0], [0.0, -3.0]])) == -1)
    assert regions.data_counts(torch.from_numpy(pts)).sum() == len(pts)


def test_float64_model_gives_the_float32_partition():
    model = net([2, 10, 10, 2], seed=5)
    double = net([2, 10, 10, 2], seed=5, dtype=torch.float64)  # the same weights, exactly converted
    r32, r64 = linear_regions_2d(model, (-1, 1, -1, 1)), linear_regions_2d(double, (-1, 1, -1, 1))
    np.testing.assert_array_equal(r32.codes, r64.codes)
    np.testing.assert_array_equal(r32.vertex_array, r64.vertex_array)
    assert count_regions_plane(model) == count_regions_plane(double)
    assert enclosing_bounds(model) == enclosing_bounds(double)
    x = torch.rand(40, 2, dtype=torch.float64) * 2 - 1
    torch.testing.assert_close(local_complexity(double, x, 0.1, generator=seeded(0)),
                               local_complexity(model, x, 0.1, generator=seeded(0)))
    assert grid_code_count(double, (-1, 1, -1, 1), 50) == grid_code_count(model, (-1, 1, -1, 1), 50)
    one = net([1, 8, 8, 1], seed=2)
    np.testing.assert_array_equal(linear_regions_1d(one).breakpoints,
                                  linear_regions_1d(net([1, 8, 8, 1], seed=2, dtype=torch.float64)).breakpoints)


def test_lora_adapted_model_uses_its_merged_weights():
    model = net([2, 6, 6, 1], seed=1)
    adapted = apply_lora(model, rank=1, generator=seeded(2))
    with torch.no_grad():
        adapted[0].lora_B.fill_(0.3)  # a non-zero update moves the first layer's lines
    merged = merge_lora(adapted)
    assert count_regions_plane(adapted) == count_regions_plane(merged)
    np.testing.assert_array_equal(linear_regions_2d(adapted).codes, linear_regions_2d(merged).codes)
    assert not np.array_equal(linear_regions_2d(adapted).vertex_array[:1], linear_regions_2d(model).vertex_array[:1])


def test_adjacency_matches_edge_probing():
    model = net([2, 8, 8, 1], seed=1)
    regions = linear_regions_2d(model, (-1, 1, -1, 1))
    edges = {tuple(e) for e in regions.adjacency().tolist()}
    # slow reference: probe both sides of the middle of every polygon edge
    probe = set()
    for i, region in enumerate(regions):
        v = region.vertices
        for a, b in zip(v, np.roll(v, -1, axis=0)):
            if np.linalg.norm(b - a) < 1e-6:
                continue
            mid = 0.5 * (a + b)
            normal = np.array([b[1] - a[1], a[0] - b[0]]) / np.linalg.norm(b - a)  # outward for CCW
            j = regions.locate((mid + 1e-7 * normal)[None])[0]
            if j >= 0 and j != i:
                probe.add((min(i, j), max(i, j)))
    assert edges == probe
    codes = regions.codes
    for i, j in edges:
        assert (codes[i] != codes[j]).any()  # no two adjacent regions share a code


def test_one_layer_counts_match_zaslavsky():
    for seed in range(3):
        assert count_regions_plane(net([2, 7, 1], seed)) == zaslavsky(7, 2)  # random lines: general position
        assert count_regions_plane(net([2, 7, 1], seed, bias=False)) == zaslavsky(7, 2, through_origin=True)


def test_model_without_hidden_layer_is_one_region():
    model = nn.Sequential(nn.Linear(2, 3))
    regions = linear_regions_2d(model)
    assert len(regions) == 1 and regions.codes.shape == (1, 0)
    assert count_regions_plane(model) == 1


def test_whole_plane_box_contains_every_region():
    for widths in ([2, 5, 1], [2, 8, 8, 1], [2, 16, 16, 1]):
        model = net(widths)
        bounds = enclosing_bounds(model)
        assert len(linear_regions_2d(model, bounds)) == count_regions_plane(model)
        # and a bigger box sees nothing new
        big = tuple(2 * b for b in bounds)
        assert len(linear_regions_2d(model, big)) == count_regions_plane(model)


def test_grid_never_finds_more_codes_than_exact_and_chunks_agree(monkeypatch):
    for seed in range(3):
        model = net([2, 10, 10, 1], seed)
        bounds = (-3, 3, -3, 3)
        exact = len(linear_regions_2d(model, bounds))
        grid = grid_code_count(model, bounds, 250)
        assert 0.5 * exact <= grid <= exact  # a lower bound, and a fine grid sees most regions
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "64KiB")  # one grid row per chunk
    assert grid_code_count(model, bounds, 250) == grid


def test_plane_slice_of_higher_dimensional_input():
    model = net([5, 12, 12, 3], seed=2)
    rng = np.random.default_rng(1)
    origin, u, v = rng.standard_normal((3, 5))
    regions = linear_regions_2d(model, (-1, 1, -1, 1), plane=(origin, u, v))
    np.testing.assert_allclose(regions.areas.sum(), 4.0, rtol=1e-9)
    st = regions.centroids()[regions.areas > 1e-4]
    x = origin + st[:, :1] * u + st[:, 1:] * v
    np.testing.assert_array_equal(torch_codes(model, x), regions.codes[regions.areas > 1e-4])
    # the same slice given as tensors
    again = linear_regions_2d(model, (-1, 1, -1, 1), plane=tuple(torch.from_numpy(p) for p in (origin, u, v)))
    np.testing.assert_array_equal(again.codes, regions.codes)


def test_linear_regions_1d_exact():
    model = net([1, 16, 16, 2], seed=4, activation="leaky_relu").double()
    bp, codes, slopes, intercepts = linear_regions_1d(model, (-3, 3))
    assert bp[0] == -3 and bp[-1] == 3 and np.all(np.diff(bp) > 0)
    assert len(codes) == len(bp) - 1 == len(slopes)
    x = np.linspace(-3, 3, 20001)
    with torch.no_grad():
        y = model(torch.tensor(x)[:, None]).numpy()
    piece = np.clip(np.searchsorted(bp, x, side="right") - 1, 0, len(bp) - 2)
    np.testing.assert_allclose(slopes[piece] * x[:, None] + intercepts[piece], y, atol=1e-12)
    mid = 0.5 * (bp[:-1] + bp[1:])
    np.testing.assert_array_equal(torch_codes(model.float(), mid[:, None]), codes)
    # a one-layer network: one breakpoint per neuron whose kink lies inside
    shallow = net([1, 6, 1])
    W, b = shallow[0].weight.detach().double().numpy()[:, 0], shallow[0].bias.detach().double().numpy()
    kinks = -b / W
    assert len(linear_regions_1d(shallow, (-3, 3)).codes) == 1 + np.sum(np.abs(kinks) < 3)


def test_bounds_and_hand_values():
    assert [zaslavsky(5, d) for d in range(1, 6)] == [6, 16, 26, 31, 32]
    assert [zaslavsky(5, d, through_origin=True) for d in range(1, 6)] == [2, 10, 22, 30, 32]
    assert zaslavsky(3, 7) == 8 and zaslavsky(0, 3) == 1 and zaslavsky(0, 3, through_origin=True) == 1
    assert zaslavsky(40, 3) == sum(math.comb(40, i) for i in range(4))  # incremental sum vs math.comb
    assert zaslavsky(10**6, 2) == 1 + 10**6 + 10**6 * (10**6 - 1) // 2
    assert montufar_lower_bound([4, 4], 2) == 4 * (1 + 4 + 6)
    assert montufar_lower_bound([5], 2) == zaslavsky(5, 2)
    assert deep_upper_bound([5], 2) == 16
    assert deep_upper_bound([4, 4], 2) == 11 * 11
    assert deep_upper_bound([1, 4], 2) == 2 * 5  # the second layer lives in a 1-D image
    for seed in range(2):
        assert count_regions_plane(net([2, 4, 4, 1], seed)) <= deep_upper_bound([4, 4], 2)


# ---------------------------------------------------------------------------------------------------------
# Local complexity, boundaries, statistics
# ---------------------------------------------------------------------------------------------------------


def test_local_complexity_by_hand_and_chunked(monkeypatch):
    model = mlp([2, 1, 1])
    set_linear(model[0], [[1.0, 0.0]], [0.0])
    set_linear(model[2], [[1.0]], [-0.5])
    x = torch.tensor([[0.0, 0.3], [2.0, 0.0]])
    lc = local_complexity(model, x, radius=0.1, generator=seeded(0))
    assert lc.dtype == torch.int64 and lc.tolist() == [1, 0]  # the line x = 0 passes near the first point only
    assert local_complexity(model, x, radius=0.1, directions=torch.eye(2)).tolist() == [1, 0]
    # a cross-polytope of radius r along the axes reaches the line x = 0 iff |x_1| < r
    near = local_complexity(model, torch.tensor([[0.099, 0.0], [0.101, 0.0]]), 0.1, directions=torch.eye(2))
    assert near.tolist() == [1, 0]
    big = net([2, 8, 8, 1], seed=1)
    pts = torch.rand(500, 2, generator=seeded(1)) * 2 - 1
    whole = local_complexity(big, pts, 0.05, generator=seeded(3))
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "4KiB")  # a few points per chunk
    torch.testing.assert_close(local_complexity(big, pts, 0.05, generator=seeded(3)), whole)
    assert whole.max() <= 16


def test_boundary_regions_and_decision_boundary_are_exact():
    model = mlp([2, 2, 2])
    set_linear(model[0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])
    set_linear(model[2], [[1.0, 1.0], [0.0, 0.0]], [-0.5, 0.0])  # f0 = relu(x) + relu(y) - 0.5
    regions = linear_regions_2d(model, (-1, 1, -1, 1))
    segments, crossed = decision_boundary(regions, output=0)
    # the level set f0 = 0 is the broken line: x = 0.5 (y < 0), x + y = 0.5 (x, y > 0), y = 0.5 (x < 0)
    length = np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1).sum()
    assert length == pytest.approx(1.0 + 0.5 * np.sqrt(2) + 1.0)
    assert len(crossed) == 3
    assert boundary_regions(regions).tolist() == [bool(r.code.any()) for r in regions]
    seg2, _ = decision_boundary(regions, output=(0, 1))  # f0 - f1 = f0 here
    np.testing.assert_allclose(np.sort(seg2.ravel()), np.sort(segments.ravel()))
    A, c = output_line(regions, (0, 1))
    np.testing.assert_allclose(A, regions.A[:, 0] - regions.A[:, 1])
    assert not boundary_regions(regions, 0, threshold=10.0).any()  # f0 <= 1.5 in the box


def test_region_summary_and_code_statistics_by_hand():
    regions = linear_regions_2d(quadrants(), (-1, 1, -1, 1))
    x = torch.tensor([[0.5, 0.5], [0.6, 0.5], [-0.5, 0.5]])
    summary = region_summary(regions, x)
    assert summary["regions"] == 4 and summary["edges"] == 4 and summary["mean_degree"] == 2.0
    assert summary["with_data"] == 2 and summary["max_per_region"] == 2 and summary["singletons"] == 1
    assert summary["area_min"] == pytest.approx(1.0) and summary["area_max"] == pytest.approx(1.0)
    code = torch.tensor([[1, 0], [1, 0], [0, 1], [1, 1]], dtype=torch.bool)
    stats = code_statistics(code, labels=torch.tensor([0, 1, 1, 1]))
    assert stats["distinct"] == 3 and stats["bits"] == 2 and stats["max_per_code"] == 2
    assert stats["codes_single"] == pytest.approx(2 / 3)
    assert stats["inputs_alone"] == pytest.approx(2 / 4)
    assert stats["mixed_codes"] == pytest.approx(1 / 3)  # code 10 holds classes 0 and 1
    assert stats["inputs_in_mixed"] == pytest.approx(2 / 4)
    assert code_statistics(code.long())["distinct"] == 3  # 0/1 integers are codes too


def test_plots_draw_what_they_say():
    model = net([2, 3, 2])
    regions = linear_regions_2d(model)
    ax = plot_lines(model, (-1, 1, -1, 1), layer=1)
    assert len(ax.lines) == 3  # one line per first-layer neuron
    ax = plot_regions(regions, values=np.arange(len(regions)))
    assert len(ax.collections[0].get_paths()) == len(regions)
    ax = plot_partition(regions, torch.rand(10, 2), torch.randint(0, 2, (10,)))
    assert len(ax.collections) == 3  # regions, boundary, data
    dead = mlp([2, 2, 1])
    set_linear(dead[0], [[0.0, 0.0], [1.0, 0.0]], [0.1, 0.0])  # neuron 1 has no line
    assert len(plot_lines(dead, (-1, 1, -1, 1)).lines) == 1


# ---------------------------------------------------------------------------------------------------------
# Cost: partitions that would not fit stop early with the size and the fix
# ---------------------------------------------------------------------------------------------------------


def test_a_huge_partition_is_refused_early():
    model = net([2, 1000, 1000, 1000, 1000, 1000, 1])  # the 2-1000x5-1 net (4.5 GB before)
    with pytest.raises(BudgetError, match=r"hidden layer 1 .*GiB.*narrow the box \(bounds\)"):
        linear_regions_2d(model)
    with pytest.raises(BudgetError, match="count_regions_plane"):
        count_regions_plane(net([2, 1000, 1]))


def test_max_regions_and_budget_limits(monkeypatch):
    model = net([2, 16, 16, 1])
    n = len(linear_regions_2d(model))
    assert len(linear_regions_2d(model, max_regions=n)) == n
    with pytest.raises(ValueError, match="max_regions=20"):
        linear_regions_2d(model, max_regions=20)
    with pytest.raises(ValueError, match="max_regions=3"):
        linear_regions_1d(net([1, 16, 16, 1]), (-5, 5), max_regions=3)
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "1KiB")
    with pytest.raises(BudgetError, match="MLPGEO_MEMORY_BUDGET"):
        count_regions_plane(model)
    assert MAX_REGIONS >= 10**5


def test_overflowing_weights_are_an_error_not_nan():
    model = net([2, 8, 8, 1], dtype=torch.float64)
    with torch.no_grad():
        model[0].weight.mul_(1e200)
        model[2].weight.mul_(1e200)  # finite weights whose products overflow float64
    with pytest.raises(ValueError, match="overflow"):
        linear_regions_2d(model)
    tiny = net([2, 8, 8, 1], dtype=torch.float64)
    with torch.no_grad():
        for layer in (tiny[0], tiny[2]):
            layer.weight.mul_(1e-200)
            layer.bias.mul_(1e-200)  # every line would silently vanish in the normalisation
    with pytest.raises(ValueError, match="underflow"):
        count_regions_plane(tiny)


# ---------------------------------------------------------------------------------------------------------
# Bad inputs: each ends in an error that names the argument
# ---------------------------------------------------------------------------------------------------------


def nan_weight_model():
    model = net([2, 4, 1])
    with torch.no_grad():
        model[0].weight[0, 0] = float("nan")
    return model


def inf_bias_model():
    model = net([2, 4, 1])
    with torch.no_grad():
        model[2].bias[0] = float("inf")
    return model


M2 = net([2, 4, 1])
M3 = net([3, 4, 1])
M1 = net([1, 4, 1])
REG = linear_regions_2d(net([2, 4, 2]))
P3 = (np.zeros(3), np.eye(3)[0], np.eye(3)[1])

ENUMERATION = [
    (lambda: linear_regions_2d(M2, tol=float("nan")), ValueError, "tol is nan"),
    (lambda: linear_regions_2d(M2, tol=float("inf")), ValueError, "tol is inf"),
    (lambda: linear_regions_2d(M2, tol=-1e-9), ValueError, "tol=.* outside"),
    (lambda: linear_regions_2d(M2, tol=0.5), ValueError, "tol=0.5 is outside"),
    (lambda: linear_regions_2d(M2, tol="1e-11"), TypeError, "tol must be a real number"),
    (lambda: linear_regions_2d(M2, bounds=(1, 0, 0, 1)), ValueError, "xmin < xmax"),
    (lambda: linear_regions_2d(M2, bounds=(0, float("nan"), 0, 1)), ValueError, "bounds must be finite"),
    (lambda: linear_regions_2d(M2, bounds=(-np.inf, 1, 0, 1)), ValueError, "bounds must be finite"),
    (lambda: linear_regions_2d(M2, bounds=(0, 1, 0)), ValueError, r"bounds must be \(xmin"),
    (lambda: linear_regions_2d(M2, bounds=None), TypeError, "bounds must be"),
    (lambda: linear_regions_2d(M2, bounds=(-1e300, 1e300, -1, 1)), ValueError, "bounds .* reach beyond"),
    (lambda: linear_regions_2d(M2, bounds=(0, 1j, 0, 1)), TypeError, r"bounds\[1\]"),
    (lambda: linear_regions_2d(nan_weight_model()), ValueError, "NaN"),
    (lambda: linear_regions_2d(inf_bias_model()), ValueError, "NaN or infinite"),
    (lambda: linear_regions_2d(net([2, 4, 1], activation="gelu")), TypeError, "curved"),
    (lambda: linear_regions_2d(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(), nn.Linear(3, 1))),
     TypeError, "Dropout"),
    (lambda: linear_regions_2d(nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1))), TypeError,
     "Sigmoid"),
    (lambda: count_regions_plane(nn.Linear(2, 3)), TypeError, "nn.Sequential"),
    (lambda: linear_regions_2d(nn.Sequential()), TypeError, "empty"),
    (lambda: linear_regions_2d(net([2, 4, 1]).half()), TypeError, "float16"),
    (lambda: linear_regions_2d(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1).double())), TypeError,
     "mixes"),
    (lambda: count_regions_plane(M3), ValueError, r"plane=\(origin, u, v\)"),
    (lambda: linear_regions_2d(M3, plane=(np.zeros(3), np.ones(3), 2 * np.ones(3))), ValueError, "parallel"),
    (lambda: linear_regions_2d(M3, plane=(np.zeros(2), np.ones(2), np.eye(2)[0])), ValueError, "plane origin"),
    (lambda: linear_regions_2d(M3, plane=(np.zeros(3), np.array([np.nan, 1, 0]), np.eye(3)[1])), ValueError,
     "plane u holds NaN"),
    (lambda: linear_regions_2d(M3, plane=P3[:2]), ValueError, "triple"),
    (lambda: linear_regions_2d(M3, plane=torch.zeros(3, 3)), TypeError, "triple"),
    (lambda: linear_regions_2d(M3, plane=(torch.zeros(3, dtype=torch.complex64), *P3[1:])), TypeError, "complex"),
    (lambda: linear_regions_2d(M3, plane=(np.zeros(3, dtype=np.int64), *P3[1:])), TypeError, "plane origin"),
    (lambda: linear_regions_2d(M2, max_regions=0), ValueError, "max_regions"),
    (lambda: linear_regions_2d(M2, max_regions=2.5), TypeError, "max_regions"),
    (lambda: linear_regions_2d(nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(float("nan")), nn.Linear(3, 1))),
     ValueError, "negative_slope"),
    (lambda: linear_regions_1d(M2), ValueError, "scalar-input"),
    (lambda: linear_regions_1d(M1, (1, 1)), ValueError, "a < b"),
    (lambda: linear_regions_1d(M1, (0, float("nan"))), ValueError, r"interval\[1\] is nan"),
    (lambda: linear_regions_1d(M1, (0, 1, 2)), ValueError, r"interval must be \(a, b\)"),
    (lambda: linear_regions_1d(M1, 3.0), TypeError, "interval"),
    (lambda: linear_regions_1d(M1, tol=float("nan")), ValueError, "tol"),
    (lambda: enclosing_bounds(M2, margin=-1), ValueError, "margin"),
    (lambda: enclosing_bounds(M2, margin=float("nan")), ValueError, "margin"),
    (lambda: count_regions_plane(M2, tol=float("nan")), ValueError, "tol"),
]

METHODS = [
    (lambda: REG.locate(np.array([[0.0, np.nan]])), ValueError, "x holds NaN"),
    (lambda: REG.locate(np.zeros((3, 3))), ValueError, r"expected \(n, 2\)"),
    (lambda: REG.locate(torch.zeros(3, 2, dtype=torch.long)), TypeError, "x has dtype torch.int64"),
    (lambda: REG.locate([[0.0, "a"]]), TypeError, "x must be numbers"),
    (lambda: REG.locate(torch.zeros(0, 2)), ValueError, "x is empty"),
    (lambda: REG.locate(torch.zeros(3, 2, dtype=torch.complex64)), TypeError, "complex"),
    (lambda: REG.data_counts(torch.zeros(4)), ValueError, "x has shape"),
    (lambda: boundary_regions(REG, output=2), ValueError, "output must be"),
    (lambda: boundary_regions(REG, output=(0, 0)), ValueError, "itself"),
    (lambda: boundary_regions(REG, output=(0, 1, 2)), ValueError, "pair"),
    (lambda: boundary_regions(REG, output=0.5), TypeError, "output must be an integer"),
    (lambda: boundary_regions(REG, threshold=float("nan")), ValueError, "threshold is nan"),
    (lambda: boundary_regions("regions"), TypeError, "regions must be the Regions"),
    (lambda: decision_boundary(REG, output=-1), ValueError, "output"),
    (lambda: region_summary(REG, torch.tensor([[np.inf, 0.0]])), ValueError, "x holds NaN or infinite"),
    (lambda: plot_regions(REG, values=np.zeros(len(REG) + 1)), ValueError, "values has"),
    (lambda: plot_regions(REG, values=np.full(len(REG), np.nan)), ValueError, "values holds NaN"),
    (lambda: plot_regions(REG, generator=3), TypeError, "generator"),
    (lambda: plot_lines(M2, (-1, 1, -1, 1), layer=2), ValueError, "layer=1"),
    (lambda: plot_lines(M2, (-1, 1, -1, 1), layer=True), ValueError, "layer=1"),
    (lambda: plot_lines(M3, (-1, 1, -1, 1)), ValueError, "2-D input"),
    (lambda: plot_partition(REG, torch.zeros(3, 2), torch.zeros(3)), TypeError, "y has dtype"),
    (lambda: plot_partition(REG, torch.zeros(3, 2), torch.zeros(2, dtype=torch.long)), ValueError, "y has 2 labels"),
]

LOCAL = [
    (lambda: local_complexity(M2, torch.tensor([[np.nan, 0.0]]), 0.1), ValueError, "x holds NaN"),
    (lambda: local_complexity(M2, torch.zeros(3, 2, dtype=torch.int32), 0.1), TypeError, "x has dtype"),
    (lambda: local_complexity(M2, torch.zeros(3, 2, dtype=torch.float16), 0.1), TypeError, "x has dtype"),
    (lambda: local_complexity(M2, torch.zeros(0, 2), 0.1), ValueError, "x is empty"),
    (lambda: local_complexity(M2, torch.zeros(3, 5), 0.1), ValueError, r"expected \(n, 2\)"),
    (lambda: local_complexity(M2, torch.zeros(3, 2), 0.0), ValueError, "radius must be > 0"),
    (lambda: local_complexity(M2, torch.zeros(3, 2), float("nan")), ValueError, "radius is nan"),
    (lambda: local_complexity(M2, torch.zeros(3, 2), -1.0), ValueError, "radius"),
    (lambda: local_complexity(M2, torch.zeros(3, 2), 0.1, n_directions=0), ValueError, "n_directions"),
    (lambda: local_complexity(M2, torch.zeros(3, 2), 0.1, n_directions=3), ValueError, r"n_directions .*\[1, 2\]"),
    (lambda: local_complexity(M2, torch.zeros(3, 2), 0.1, n_directions=1.5), TypeError, "n_directions"),
    (lambda: local_complexity(M2, torch.zeros(3, 2), 0.1, generator=5), TypeError, "generator"),
    (lambda: local_complexity(M2, torch.zeros(3, 2), 0.1, directions=torch.ones(2, 2)), ValueError, "orthonormal"),
    (lambda: local_complexity(M2, torch.zeros(3, 2), 0.1, directions=torch.eye(3)), ValueError, "directions has shape"),
    (lambda: local_complexity(M2, torch.zeros(3, 2), 0.1, generator=seeded(0), directions=torch.eye(2)),
     ValueError, "either directions"),
    (lambda: grid_code_count(M2, (-1, 1, -1, 1), 0), ValueError, "resolution"),
    (lambda: grid_code_count(M2, (-1, 1, -1, 1), 1), ValueError, "resolution"),
    (lambda: grid_code_count(M2, (-1, 1, -1, 1), 2.5), TypeError, "resolution"),
    (lambda: grid_code_count(M2, (-1, 1, -1, 1), 100_000), ValueError, "resolution=100000 means 10,000,000,000"),
    (lambda: grid_code_count(M2, (-1, 1, 1, -1), 10), ValueError, "ymin < ymax"),
]

COUNTING = [
    (lambda: zaslavsky(-1, 2), ValueError, "n must be >= 0"),
    (lambda: zaslavsky(5, 0), ValueError, "d must be >= 1"),
    (lambda: zaslavsky(5.0, 2), TypeError, "n must be an integer"),
    (lambda: zaslavsky(True, 2), TypeError, "n must be an integer"),
    (lambda: zaslavsky(5, 2, through_origin="yes"), TypeError, "through_origin"),
    (lambda: zaslavsky(10**7, 10**6), ValueError, "binomial terms"),
    (lambda: montufar_lower_bound([1], 2), ValueError, "d_in=2"),
    (lambda: montufar_lower_bound([], 2), ValueError, "hidden_widths is empty"),
    (lambda: montufar_lower_bound([4.5], 2), TypeError, r"hidden_widths\[0\]"),
    (lambda: montufar_lower_bound([4], 0), ValueError, "d_in"),
    (lambda: deep_upper_bound([0], 2), ValueError, r"hidden_widths\[0\]"),
    (lambda: deep_upper_bound("16", 2), TypeError, "hidden_widths"),
    (lambda: code_statistics(torch.rand(3, 2)), TypeError, "code has dtype"),
    (lambda: code_statistics(torch.ones(3, dtype=torch.bool)), ValueError, "code has shape"),
    (lambda: code_statistics(torch.ones(3, 2, dtype=torch.bool), torch.zeros(3)), TypeError, "labels has dtype"),
    (lambda: code_statistics(torch.ones(3, 2, dtype=torch.bool), torch.zeros(2, dtype=torch.long)), ValueError,
     "labels has 2"),
    (lambda: code_statistics(torch.ones(0, 2, dtype=torch.bool)), ValueError, "code is empty"),
    (lambda: code_statistics(torch.tensor([[0, 2]])), ValueError, "only 0 and 1"),
    (lambda: code_statistics(np.ones((3, 2), dtype=bool)), TypeError, "numpy"),
]


@pytest.mark.parametrize("call,error,match", ENUMERATION, ids=[f"enumeration-{i}" for i in range(len(ENUMERATION))])
def test_bad_enumeration_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("call,error,match", METHODS, ids=[f"regions-{i}" for i in range(len(METHODS))])
def test_bad_regions_method_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("call,error,match", LOCAL, ids=[f"local-{i}" for i in range(len(LOCAL))])
def test_bad_local_complexity_and_grid_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("call,error,match", COUNTING, ids=[f"counting-{i}" for i in range(len(COUNTING))])
def test_bad_counting_and_statistics_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_regions_is_a_sequence():
    assert isinstance(REG, Regions) and len(REG[:2]) == 2 and REG[-1].code.shape == (4,)


@pytest.mark.skipif(importlib.util.find_spec("relucent") is None, reason="relucent not installed")
def test_counts_agree_with_relucent():
    relucent = pytest.importorskip("relucent")
    relucent.update_settings(VERBOSE=0)
    for widths, seed in (([2, 5, 1], 0), ([2, 6, 6, 1], 1)):
        model = net(widths, seed)
        complex_ = relucent.Complex(model)
        complex_.bfs(nworkers=1)
        assert len(complex_) == count_regions_plane(model)
