"""Tests of mlpgeo.regions: exact linear regions, counting bounds, local complexity."""

from __future__ import annotations

import importlib.util
import io

import numpy as np
import pytest
import torch
from torch import nn

from mlpgeo.models import mlp
from mlpgeo.patterns import activation_patterns, concat_codes
from mlpgeo.regions import (
    boundary_regions,
    code_statistics,
    decision_boundary,
    partition_trajectory,
    count_regions_plane,
    deep_upper_bound,
    enclosing_bounds,
    forward_codes,
    grid_code_count,
    linear_regions_1d,
    linear_regions_2d,
    local_complexity,
    montufar_lower_bound,
    network_layers,
    zaslavsky,
)


def set_linear(linear: nn.Linear, W, b) -> None:
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(W, dtype=torch.float32))
        linear.bias.copy_(torch.tensor(b, dtype=torch.float32))


def torch_codes(model, points) -> np.ndarray:
    return concat_codes(activation_patterns(model, torch.as_tensor(points, dtype=torch.float32))).numpy()


def test_two_lines_give_four_quadrants():
    model = mlp([2, 2, 1], seed=0)
    set_linear(model[0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])
    set_linear(model[2], [[1.0, -2.0]], [0.5])
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


@pytest.mark.parametrize("widths,activation", [([2, 6, 1], "relu"), ([2, 8, 8, 1], "relu"),
                                               ([2, 12, 12, 12, 2], "relu"), ([2, 10, 10, 1], "leaky_relu")])
def test_tiling_codes_and_maps(widths, activation):
    model = mlp(widths, activation=activation, seed=3)
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
    code64, _ = forward_codes(network_layers(model), np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), inner)
    np.testing.assert_array_equal(code64, regions.codes)
    # the affine maps reproduce the network at random points
    rng = np.random.default_rng(0)
    pts = np.stack([rng.uniform(-2.0, 1.5, 500), rng.uniform(-1.0, 2.0, 500)], axis=1)
    index = regions.locate(pts)
    assert np.all(index >= 0)
    with torch.no_grad():
        out = model.double()(torch.tensor(pts)).numpy()
    model.float()
    pred = np.einsum("pod,pd->po", regions.A[index], pts) + regions.c[index]
    np.testing.assert_allclose(pred, out, atol=1e-9)
    assert np.all(regions.locate(np.array([[5.0, 0.0], [0.0, -3.0]])) == -1)
    counts = regions.data_counts(pts)
    assert counts.sum() == len(pts)


def test_adjacency_matches_edge_probing():
    model = mlp([2, 8, 8, 1], seed=1)
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
        model = mlp([2, 7, 1], seed=seed)
        assert count_regions_plane(model) == zaslavsky(7, 2)  # random lines are in general position
        flat = mlp([2, 7, 1], bias=False, seed=seed)
        assert count_regions_plane(flat) == zaslavsky(7, 2, through_origin=True)


def test_whole_plane_box_contains_every_region():
    for widths in ([2, 5, 1], [2, 8, 8, 1], [2, 16, 16, 1]):
        model = mlp(widths, seed=0)
        bounds = enclosing_bounds(model)
        assert len(linear_regions_2d(model, bounds)) == count_regions_plane(model)
        # and a bigger box sees nothing new
        big = tuple(2 * b for b in bounds)
        assert len(linear_regions_2d(model, big)) == count_regions_plane(model)


def test_grid_never_finds_more_codes_than_exact():
    for seed in range(3):
        model = mlp([2, 10, 10, 1], seed=seed)
        bounds = (-3, 3, -3, 3)
        exact = len(linear_regions_2d(model, bounds))
        grid = grid_code_count(model, bounds, 250)
        assert grid <= exact
        assert grid >= 0.5 * exact  # and a fine grid sees most of them


def test_plane_slice_of_higher_dimensional_input():
    model = mlp([5, 12, 12, 3], seed=2)
    rng = np.random.default_rng(1)
    origin, u, v = rng.standard_normal((3, 5))
    regions = linear_regions_2d(model, (-1, 1, -1, 1), plane=(origin, u, v))
    np.testing.assert_allclose(regions.areas.sum(), 4.0, rtol=1e-9)
    st = regions.centroids()[regions.areas > 1e-4]
    x = origin + st[:, :1] * u + st[:, 1:] * v
    np.testing.assert_array_equal(torch_codes(model, x), regions.codes[regions.areas > 1e-4])
    with pytest.raises(ValueError, match="plane"):
        linear_regions_2d(model)


def test_linear_regions_1d_exact():
    model = mlp([1, 16, 16, 2], activation="leaky_relu", seed=4).double()
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
    shallow = mlp([1, 6, 1], seed=0)
    W, b = shallow[0].weight.detach().double().numpy()[:, 0], shallow[0].bias.detach().double().numpy()
    kinks = -b / W
    assert len(linear_regions_1d(shallow, (-3, 3)).codes) == 1 + np.sum(np.abs(kinks) < 3)


def test_bounds_and_hand_values():
    assert [zaslavsky(5, d) for d in range(1, 6)] == [6, 16, 26, 31, 32]
    assert [zaslavsky(5, d, through_origin=True) for d in range(1, 6)] == [2, 10, 22, 30, 32]
    assert zaslavsky(3, 7) == 8
    assert montufar_lower_bound([4, 4], 2) == 4 * (1 + 4 + 6)
    assert montufar_lower_bound([5], 2) == zaslavsky(5, 2)
    assert deep_upper_bound([5], 2) == 16
    assert deep_upper_bound([4, 4], 2) == 11 * 11
    for seed in range(2):
        assert count_regions_plane(mlp([2, 4, 4, 1], seed=seed)) <= deep_upper_bound([4, 4], 2)


def test_local_complexity_and_boundary():
    model = mlp([2, 1, 1], seed=0)
    set_linear(model[0], [[1.0, 0.0]], [0.0])
    set_linear(model[2], [[1.0]], [-0.5])
    lc = local_complexity(model, torch.tensor([[0.0, 0.3], [2.0, 0.0]]), radius=0.1)
    np.testing.assert_array_equal(lc, [1, 0])
    regions = linear_regions_2d(model, (-1, 1, -1, 1))
    crossed = boundary_regions(regions)  # f = relu(x) - 0.5 is zero at x = 0.5, in the x > 0 region
    assert crossed.tolist() == [bool(r.code[0]) for r in regions]


def test_bad_input():
    with pytest.raises(TypeError, match="curved"):
        linear_regions_2d(mlp([2, 4, 1], activation="gelu"))
    with pytest.raises(ValueError, match="xmin < xmax"):
        linear_regions_2d(mlp([2, 4, 1]), bounds=(1, 0, 0, 1))
    model = mlp([2, 4, 1])
    with torch.no_grad():
        model[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        linear_regions_2d(model)
    with pytest.raises(ValueError, match="scalar-input"):
        linear_regions_1d(mlp([2, 4, 1]))
    with pytest.raises(ValueError, match="a < b"):
        linear_regions_1d(mlp([1, 4, 1]), (1, 1))
    with pytest.raises(ValueError, match="parallel"):
        linear_regions_2d(mlp([3, 4, 1]), plane=(np.zeros(3), np.ones(3), 2 * np.ones(3)))
    with pytest.raises(TypeError):
        linear_regions_2d(nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1)))
    with pytest.raises(TypeError, match="Dropout"):  # unsupported layer, named in the message
        linear_regions_2d(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(), nn.Linear(3, 1)))
    with pytest.raises(TypeError, match="nn.Sequential"):
        count_regions_plane(nn.Linear(2, 3))
    with pytest.raises(ValueError, match="plane=\\(origin, u, v\\)"):  # non-2-D input without a plane
        count_regions_plane(mlp([3, 4, 1]))
    with pytest.raises(ValueError, match="finite"):
        linear_regions_2d(mlp([2, 4, 1]), bounds=(-np.inf, 1, 0, 1))


@pytest.mark.skipif(importlib.util.find_spec("relucent") is None, reason="relucent not installed")
def test_counts_agree_with_relucent():
    import relucent

    relucent.update_settings(VERBOSE=0)
    for widths, seed in (([2, 5, 1], 0), ([2, 6, 6, 1], 1)):
        model = mlp(widths, seed=seed)
        complex_ = relucent.Complex(model)
        complex_.bfs(nworkers=1)
        assert len(complex_) == count_regions_plane(model)


def test_code_statistics_by_hand():
    code = np.array([[1, 0], [1, 0], [0, 1], [1, 1]], dtype=bool)
    stats = code_statistics(code, labels=np.array([0, 1, 1, 1]))
    assert stats["distinct"] == 3 and stats["bits"] == 2 and stats["max_per_code"] == 2
    assert stats["codes_single"] == pytest.approx(2 / 3)
    assert stats["inputs_alone"] == pytest.approx(2 / 4)
    assert stats["mixed_codes"] == pytest.approx(1 / 3)  # code 10 holds classes 0 and 1
    assert stats["inputs_in_mixed"] == pytest.approx(2 / 4)
    with pytest.raises(ValueError, match="labels"):
        code_statistics(code, labels=np.zeros(3))


def test_decision_boundary_is_exact():
    model = mlp([2, 2, 2], seed=0)
    set_linear(model[0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])
    set_linear(model[2], [[1.0, 1.0], [0.0, 0.0]], [-0.5, 0.0])  # f0 = relu(x) + relu(y) - 0.5
    regions = linear_regions_2d(model, (-1, 1, -1, 1))
    segments, crossed = decision_boundary(regions, output=0)
    # the level set f0 = 0 is the broken line: x = 0.5 (y < 0), x + y = 0.5 (x, y > 0), y = 0.5 (x < 0)
    length = np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1).sum()
    assert length == pytest.approx(1.0 + 0.5 * np.sqrt(2) + 1.0)
    assert len(crossed) == 3
    seg2, _ = decision_boundary(regions, output=(0, 1))  # f0 - f1 = f0 here
    np.testing.assert_allclose(np.sort(seg2.ravel()), np.sort(segments.ravel()))


def test_partition_trajectory_records_every_snapshot():
    from mlpgeo.data import two_moons
    from mlpgeo.models import train

    x, y = two_moons(80, seed=0)
    model = mlp([2, 6, 6, 1], seed=0)
    history = train(model, x, y.float(), loss="bce", lr=1e-2, epochs=20, snapshot_every=10, progress=False)
    traj = partition_trajectory(model, history.snapshots, x, (-1.2, 1.2, -1.2, 1.2), radius=0.05)
    assert traj["epoch"] == [0, 10, 20]
    assert all(len(v) == 3 for v in traj.values())
    assert traj["angle"][0] == 0.0 and traj["angle"][1] > 0.0
    assert all(r >= w for r, w in zip(traj["regions"], traj["regions_with_data"]))


# ---------------------------------------------------------------------------------------------------------
# Report experiments and claim rules moved out of reports/hashing.ipynb
# ---------------------------------------------------------------------------------------------------------


def test_plot_lines_layer_is_one_based():
    import matplotlib

    matplotlib.use("Agg")
    from mlpgeo.regions import plot_lines

    model = mlp([2, 3, 1], seed=0)
    ax = plot_lines(model, (-1, 1, -1, 1), layer=1)
    assert len(ax.lines) == 3  # one line per first-layer neuron
    with pytest.raises(ValueError, match="layer=1"):
        plot_lines(model, (-1, 1, -1, 1), layer=0)


def test_all_sign_codes_realises_every_pattern():
    from mlpgeo.regions import all_sign_codes

    for width in (2, 3, 5):
        assert all_sign_codes(width, seed=0) == 2**width


def test_rule_verdict_and_seed_aggregates():
    from mlpgeo.regions import format_table, mean_over_seeds, rule_verdict, summarize_runs

    assert rule_verdict(True) == "reproduced"
    assert rule_verdict(False, partly=True) == "partly reproduced"
    assert rule_verdict(False) == "not reproduced"
    runs = [{"a": 1.0, "b": 2}, {"a": 3.0, "b": 4}]
    assert mean_over_seeds(runs) == {"a": 2.0, "b": 3.0}
    s = summarize_runs(runs, ["a"])
    assert list(s) == ["a"] and s["a"]["mean"] == 2.0 and s["a"]["n"] == 2
    table = format_table({"net": mean_over_seeds(runs)}, {"a": ".1f"}, width=5)
    assert table.splitlines()[1].split() == ["net", "2.0"]


def test_claim_rules_by_hand():
    from mlpgeo.regions import (
        claim_boundary_concentration,
        claim_five_neurons,
        claim_more_neurons,
        claim_no_bias_regularises,
        claim_typical_counts,
        typical_count_ratios,
    )

    assert claim_five_neurons([16, 16], [32, 32])[1] == "partly reproduced"
    assert claim_five_neurons([32, 32], [32, 32])[1] == "reproduced"
    assert claim_five_neurons([16, 15], [32, 31])[1] == "not reproduced"
    runs = {"a": [{"box": 1}, {"box": 5}], "b": [{"box": 2}, {"box": 4}]}
    assert claim_more_neurons(runs, ["a", "b"])[1] == "partly reproduced"  # seed 0 increases, seed 1 not
    # typical counts: zaslavsky(2, 2) = 4 regions for the shallow reference
    runs = {"2-2x2": [{"init_plane": 2, "plane": 8}]}
    ratios = typical_count_ratios(runs, {"2-2x2": [2, 2]}, ["2-2x2"], 2)
    assert ratios["ratios"] == [0.5, 2.0]
    measured, verdict = claim_typical_counts(ratios)
    assert verdict == "reproduced" and measured["min_ratio"] == 0.5 and measured["max_ratio"] == 2.0
    assert claim_typical_counts({"ratios": [2.5], "shares": [0.1]})[1] == "not reproduced"
    bias = {("n", True): [{"train_acc": 1.0, "test_acc": 0.9}], ("n", False): [{"train_acc": 0.8, "test_acc": 0.8}]}
    assert claim_no_bias_regularises(bias)[1] == "not reproduced"  # loses 0.1 > 0.05 test accuracy
    bias[("n", False)] = [{"train_acc": 0.91, "test_acc": 0.895}]
    assert claim_no_bias_regularises(bias)[1] == "reproduced"  # smaller gap, loses 0.005
    trajs = [{"lc_boundary": [0, 3.0], "lc_data": [0, 2.0]}, {"lc_boundary": [0, 1.0], "lc_data": [0, 2.0]}]
    assert claim_boundary_concentration(trajs)[1] == "partly reproduced"


def test_bias_free_network_regions_are_cones():
    from mlpgeo.regions import bias_experiment, claim_no_bias_origin

    runs = {}
    for bias in (True, False):
        stats, _, part, _, _ = bias_experiment(0, [6], bias, (-1.2, 1.2, -1.2, 1.2), epochs=5)
        runs[("2-6", bias)] = [stats]
    assert runs[("2-6", False)][0]["plane"] == 12  # central arrangement: 2n regions
    assert runs[("2-6", False)][0]["origin_share"] == 1.0
    assert claim_no_bias_origin(runs, "2-6", 6)[1] == "reproduced"


def test_refinement_gif_has_one_frame_per_snapshot():
    from PIL import Image

    from mlpgeo.data import two_moons
    from mlpgeo.models import train
    from mlpgeo.regions import refinement_gif

    x, y = two_moons(60, seed=0)
    model = mlp([2, 5, 1], seed=0)
    history = train(model, x, y.float(), loss="bce", lr=1e-2, epochs=20, snapshot_every=10, progress=False)
    gif = refinement_gif(model, history.snapshots, x, y, (-1.2, 1.2, -1.2, 1.2), size_px=120)
    image = Image.open(io.BytesIO(gif))
    assert image.format == "GIF" and image.n_frames == len(history.snapshots) == 3
    with pytest.raises(ValueError, match="at least 2 snapshots"):
        refinement_gif(model, history.snapshots[:1], x, y, (-1.2, 1.2, -1.2, 1.2))
