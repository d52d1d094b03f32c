"""Tests of mlpgeo.vq: hand-computed kernels, pseudometric invariants, fast paths against references,
float64 models, and every public function's bad inputs (each a clear error naming the argument)."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

from mlpgeo import models, vq
from mlpgeo.patterns import activation_patterns
from mlpgeo.regions import linear_regions_2d
from mlpgeo.validate import BudgetError


def seeded_mlp(widths, seed, dtype=torch.float32):
    return models.mlp(widths, generator=models.seeded(seed), dtype=dtype)


def axis_net(dtype=torch.float32) -> nn.Sequential:
    """One hidden layer whose two hyperplanes are the coordinate axes, then a layer x1 + x2 = 1/2."""
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1), nn.ReLU(), nn.Linear(1, 1)).to(dtype)
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(2))
        model[0].bias.zero_()
        model[2].weight.copy_(torch.tensor([[1.0, 1.0]]))
        model[2].bias.fill_(-0.5)
    return model


QUADRANTS = torch.tensor([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [0.2, 0.1]])
QUADRANT_DISTANCES = torch.tensor(
    [[0, 1, 3, 1, 1], [1, 0, 2, 2, 2], [3, 2, 0, 2, 2], [1, 2, 2, 0, 2], [1, 2, 2, 2, 0]], dtype=torch.float32
)


def slow_reference(model, x, y=None, layer_weights=None) -> torch.Tensor:
    """Per-pair loop over the definition: sum_l w_l * #{j: sign differs}."""
    y = x if y is None else y
    px, py = activation_patterns(model, x), activation_patterns(model, y)
    w = [1.0] * len(px) if layer_weights is None else list(layer_weights)
    out = torch.zeros(len(x), len(y))
    for i in range(len(x)):
        for j in range(len(y)):
            out[i, j] = sum(wl * float((a[i] != b[j]).sum()) for wl, a, b in zip(w, px, py))
    return out


# --------------------------------------------------------------------------------------------------
# VQ distance
# --------------------------------------------------------------------------------------------------


def test_hand_computed_quadrants():
    # layer 1 codes: (+,+) (-,+) (-,-) (+,-) (+,+); layer 2 (relu(x1)+relu(x2) > 1/2): 1 1 0 1 0
    assert torch.equal(vq.vq_distance(axis_net(), QUADRANTS), QUADRANT_DISTANCES)
    weighted = vq.vq_distance(axis_net(), QUADRANTS, layer_weights=[2.0, 0.5])
    assert weighted[0, 2] == pytest.approx(2 * 2 + 0.5 * 1)
    assert weighted[0, 1] == pytest.approx(2 * 1)


def test_float64_model_gives_the_same_integers_in_float64():
    # before: every float64 model crashed here ("mat1 and mat2 must have the same dtype")
    d = vq.vq_distance(axis_net(torch.float64), QUADRANTS)
    assert d.dtype == torch.float64 and torch.equal(d, QUADRANT_DISTANCES.double())
    model32 = seeded_mlp([3, 9, 7, 1], 4)
    model64 = seeded_mlp([3, 9, 7, 1], 4, torch.float64)
    x = torch.randn(40, 3, generator=models.seeded(0), dtype=torch.float64)
    assert torch.equal(vq.vq_distance(model64, x), vq.vq_distance(model32, x).double())
    w = torch.tensor([0.5, 2.0])  # a tensor of weights works like a list
    torch.testing.assert_close(vq.vq_distance(model64, x, layer_weights=w), slow_reference(model64, x, layer_weights=[0.5, 2.0]).double())


def test_against_slow_reference_and_rectangular():
    model = seeded_mlp([5, 7, 6, 4, 3], 3)
    x = torch.randn(23, 5, generator=models.seeded(1))
    y = torch.randn(11, 5, generator=models.seeded(2))
    assert torch.equal(vq.vq_distance(model, x, y), slow_reference(model, x, y))
    w = [0.3, 2.0, 1.5]
    torch.testing.assert_close(vq.vq_distance(model, x, y, layer_weights=w), slow_reference(model, x, y, w))
    assert torch.equal(vq.vq_distance(model, x, y[:1]), slow_reference(model, x, y[:1]))  # one row of y


def test_blocked_equals_unblocked_and_budget_chunks(monkeypatch):
    model = seeded_mlp([10, 32, 32, 2], 0)
    x = torch.randn(300, 10, generator=models.seeded(0))
    full = vq.vq_distance(model, x, block_size=10_000)
    for block in (1, 7, 128):
        assert torch.equal(vq.vq_distance(model, x, block_size=block), full)
    assert torch.equal(full, full.round())
    # a budget that fits the result but not one pass: patterns and products are computed in chunks
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "500KiB")
    assert torch.equal(vq.vq_distance(model, x), full)


def test_code_distance_and_sign_codes_by_hand():
    p1 = torch.tensor([[True, False], [False, False], [True, True]])
    p2 = torch.tensor([[1], [0], [1]])  # 0/1 integers work like bools
    c = vq.sign_codes([p1, p2])
    assert c.tolist() == [[1, -1, 1], [-1, -1, -1], [1, 1, 1]]
    weighted = vq.sign_codes([p1, p2], [4.0, 1.0])
    assert weighted.dtype == torch.float64 and weighted[0].tolist() == [2.0, -2.0, 1.0]
    d = vq.code_distance([p1, p2])
    assert d.tolist() == [[0, 2, 1], [2, 0, 3], [1, 3, 0]]
    assert vq.code_distance([p1, p2], dtype=torch.float64).dtype == torch.float64
    assert vq.code_distance([p1, p2], layer_weights=[4.0, 1.0])[1, 2].item() == 4 * 2 + 1


def test_pseudometric_invariants():
    model = seeded_mlp([3, 12, 12, 12, 1], 5)
    x = torch.randn(60, 3, generator=models.seeded(4))
    x = torch.cat([x, x[:5] + 1e-7])  # near-duplicates share a region: distance 0 for distinct points
    for w in (None, [1.0, 0.5, 3.0]):
        d = vq.vq_distance(model, x, layer_weights=w).double()
        assert torch.equal(d, d.T)
        assert torch.all(d.diagonal() == 0)
        assert torch.all(d >= 0)
        # triangle inequality d_ik <= d_ij + d_jk for all triples
        assert torch.all(d[:, None, :] <= d[:, :, None] + d[None, :, :] + 1e-9)
    d = vq.vq_distance(model, x)
    assert torch.all(d[torch.arange(5), 60 + torch.arange(5)] == 0)


def test_all_pairs_small_exhaustive():
    model = seeded_mlp([2, 3, 3, 1], 2)
    x = torch.rand(12, 2, generator=models.seeded(3)) * 4 - 2
    d = vq.vq_distance(model, x)
    for i, j in itertools.product(range(12), repeat=2):
        assert d[i, j] == slow_reference(model, x[i : i + 1], x[j : j + 1])[0, 0]


def test_vq_distance_refuses_a_result_over_the_budget_at_once(monkeypatch):
    # before: 40,000 points asked for 6.4 GB with no warning; now the estimate comes first
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "1MiB")
    model = seeded_mlp([2, 8, 1], 0)
    with pytest.raises(BudgetError, match=r"1,000 x 1,000 VQ kernel needs about 3.8 MiB.*fewer rows in x"):
        vq.vq_distance(model, torch.rand(1000, 2))
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "2GiB")
    with pytest.raises(BudgetError, match="40,000 x 40,000"):
        vq.vq_distance(model, torch.rand(40_000, 2))


# --------------------------------------------------------------------------------------------------
# Heat kernels
# --------------------------------------------------------------------------------------------------


def test_heat_kernels_and_cosine():
    d = torch.tensor([[0.0, 2.0, 4.0], [2.0, 0.0, 6.0], [4.0, 6.0, 0.0]])
    assert vq.median_sigma2(d, "linear") == 4.0
    assert vq.median_sigma2(d, "squared") == 16.0
    h = vq.heat_kernel(d, 2.0, "linear")
    assert h[0, 1] == pytest.approx(torch.exp(torch.tensor(-1.0)).item())
    h2 = vq.heat_kernel(d, 8.0, "squared")
    assert h2[0, 2] == pytest.approx(torch.exp(torch.tensor(-2.0)).item())
    assert torch.all(vq.heat_kernel(d).diagonal() == 1)
    assert vq.heat_kernel(d.double(), 2.0).dtype == torch.float64  # computed in the input's dtype
    assert torch.equal(vq.heat_kernel(d.long(), 2.0), h)  # integer distances (e.g. partition distances)
    a, b = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[1.0, 1.0], [1.0, 1.0]])
    assert vq.kernel_cosine(a, b) == pytest.approx(2 / (2**0.5 * 2))
    assert vq.kernel_cosine(a, 3 * a) == pytest.approx(1.0)
    table = vq.cosine_table([a, b, a])
    assert torch.allclose(table, table.T) and table[0, 2] == pytest.approx(1.0)
    assert vq.kernel_correlation(d, 2 * d + 1) == pytest.approx(1.0)
    assert vq.off_diagonal(d).tolist() == [2.0, 4.0, 6.0]
    assert vq.off_diagonal(d[:2]).numel() == 6  # rectangular: every entry


def test_pooled_median_sigma2():
    a = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    b = torch.tensor([[0.0, 3.0], [3.0, 0.0]])
    c = torch.tensor([[0.0, 5.0], [5.0, 0.0]])
    assert vq.median_sigma2([a, b, c]) == 3.0
    assert vq.median_sigma2([a, b, c], "squared") == 9.0


def test_joint_histograms_by_hand():
    a = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    b = torch.tensor([[0.0, 2.0], [1.0, 0.0]])
    counts = vq.joint_histograms([a, b])
    assert counts.shape == (2, 2, 3, 3)
    assert counts[0, 1].tolist() == [[2, 0, 0], [0, 1, 1], [0, 0, 0]]  # (0,0) twice, (1,1) and (1,2) once
    assert torch.equal(counts[1, 0], counts[0, 1].T) and counts[0, 0].sum() == 4
    assert vq.joint_histograms([a + 0.5]) is None  # not integers: no histogram path
    assert vq.joint_histograms([b], max_value=1) is None  # beyond max_value: no histogram path


def test_heat_cosine_sweep_histogram_path_equals_direct(monkeypatch):
    model_a, model_b = seeded_mlp([3, 10, 10, 1], 0), seeded_mlp([3, 10, 10, 10, 1], 1)
    x = torch.randn(80, 3, generator=models.seeded(0))
    ds = [vq.vq_distance(model_a, x), vq.vq_distance(model_b, x), vq.vq_distance(model_a, x[torch.arange(80).flip(0)])]
    for form, grid in (("linear", [0.5, 3.0, 40.0]), ("squared", [2.0, 50.0, 900.0])):
        fast = vq.heat_cosine_sweep(ds, grid, form)
        direct = torch.stack([vq.cosine_table([vq.heat_kernel(d, s, form) for d in ds]) for s in grid])
        torch.testing.assert_close(fast, direct, rtol=1e-5, atol=1e-6)
        assert fast.shape == (3, 3, 3) and torch.all(fast.diagonal(dim1=1, dim2=2) == 1)
        # numpy and tensor grids are accepted like lists
        torch.testing.assert_close(vq.heat_cosine_sweep(ds, np.array(grid), form), fast)
        torch.testing.assert_close(vq.heat_cosine_sweep(ds, torch.tensor(grid), form), fast)
    weighted = [vq.vq_distance(model_a, x, layer_weights=[0.5, 1.5]), ds[0]]  # non-integer: direct path
    torch.testing.assert_close(vq.heat_cosine_sweep(weighted, [3.0], "linear")[0],
                               vq.cosine_table([vq.heat_kernel(d, 3.0) for d in weighted]))
    # histograms over a quarter of the budget: the direct path gives the same tables
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "1KiB")
    with pytest.raises(BudgetError):
        vq.joint_histograms(ds)
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "100KiB")
    torch.testing.assert_close(vq.heat_cosine_sweep(ds, [3.0]), vq.heat_cosine_sweep(ds[:3], [3.0]))


# --------------------------------------------------------------------------------------------------
# MDS and spectra
# --------------------------------------------------------------------------------------------------


def test_classical_mds_recovers_points_and_code_mds_matches():
    points = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0], [3.0, 4.0], [1.0, 1.0]], dtype=torch.float64)
    sq = torch.cdist(points, points).pow(2)
    mds = vq.classical_mds(sq, k=2)
    torch.testing.assert_close(torch.cdist(mds.embedding, mds.embedding).pow(2), sq)
    assert mds.normalised[0] == 1.0
    model = seeded_mlp([2, 16, 16, 16, 1], 1)
    x = torch.rand(200, 2, generator=models.seeded(0)) * 2 - 1
    for w in (None, [1.0, 2.0, 0.5]):
        exact = vq.classical_mds(vq.vq_distance(model, x, layer_weights=w).double(), k=3)
        fast = vq.code_mds(model, x, k=3, layer_weights=w)
        torch.testing.assert_close(fast.eigenvalues, exact.eigenvalues, rtol=1e-4, atol=1e-3)
        assert vq.subspace_similarity(fast.eigenvectors, exact.eigenvectors) > 1 - 1e-6


def test_mds_of_float64_models_and_float32_euclidean_distances():
    model64 = seeded_mlp([2, 12, 12, 1], 3, torch.float64)
    x = torch.rand(60, 2, generator=models.seeded(1), dtype=torch.float64)
    exact = vq.classical_mds(vq.vq_distance(model64, x), k=2)
    fast = vq.code_mds(model64, x, k=2)
    torch.testing.assert_close(fast.eigenvalues, exact.eigenvalues)
    # a float32 cdist is symmetric only up to round-off: accepted
    z = torch.randn(300, 5, generator=models.seeded(2))
    assert vq.classical_mds(torch.cdist(z, z).pow(2), 2).eigenvalues[0] > 0
    spectrum = vq.mds_spectrum(vq.vq_distance(model64, x))
    assert spectrum.shape == (60,) and spectrum[0] == pytest.approx(float(exact.eigenvalues[0]))


def test_randomised_eigenpairs_match_dense():
    g = models.seeded(0)
    basis, _ = torch.linalg.qr(torch.randn(400, 6, generator=g, dtype=torch.float64))
    b = basis @ torch.diag(torch.tensor([50.0, 20, 9, 3, 1, 0.5], dtype=torch.float64)) @ basis.T
    dense = vq.dominant_eigenpairs(b, 3)
    rand = vq.dominant_eigenpairs(b, 3, dense_limit=10, generator=models.seeded(5))
    torch.testing.assert_close(rand[0], dense[0])
    assert vq.subspace_similarity(rand[1], dense[1]) > 1 - 1e-9
    again = vq.dominant_eigenpairs(b, 3, dense_limit=10, generator=models.seeded(5))
    assert torch.equal(again[1], rand[1])  # the generator decides the draw


def test_effective_rank_and_separability():
    assert vq.effective_rank(torch.tensor([1.0, 1.0, 1.0, 0.0, -1.0])) == pytest.approx(3.0)
    assert vq.effective_rank(torch.tensor([1.0, 0.0])) == pytest.approx(1.0)
    # two tight clusters on a line: a_i = 0.5 within, b_i ~ 10 between
    z = torch.tensor([[0.0], [0.5], [10.0], [10.5]])
    labels = torch.tensor([0, 0, 1, 1])
    d = torch.cdist(z, z)
    s = vq.silhouette(d, labels)
    expected = sum((b - 0.5) / b for b in (10.25, 9.75, 9.75, 10.25)) / 4
    assert s == pytest.approx(expected)
    assert vq.silhouette(d, torch.tensor([0, 1, 0, 1])) < 0
    g = models.seeded(0)
    zz = torch.cat([torch.randn(40, 2, generator=g) - 4, torch.randn(40, 2, generator=g) + 4])
    yy = torch.cat([torch.zeros(40), torch.ones(40)]).long()
    assert vq.linear_probe_accuracy(zz, yy, generator=models.seeded(0)) == 1.0
    assert vq.linear_probe_accuracy(torch.randn(80, 2, generator=g), yy, generator=models.seeded(0)) < 0.8


def test_silhouette_singleton_class_by_hand():
    # points 0, 1, 3 on a line; labels 0, 0, 1: point 2 is alone (silhouette 0 by convention)
    z = torch.tensor([[0.0], [1.0], [3.0]])
    s = vq.silhouette(torch.cdist(z, z), torch.tensor([0, 0, 1]))
    s0 = (3.0 - 1.0) / 3.0  # a = 1, b = 3
    s1 = (2.0 - 1.0) / 2.0  # a = 1, b = 2
    assert s == pytest.approx((s0 + s1 + 0.0) / 3)


def test_eigenvector_helpers():
    u, _ = torch.linalg.qr(torch.randn(50, 3, generator=models.seeded(0), dtype=torch.float64))
    assert torch.allclose(vq.eigenvector_correlations(u, -u), torch.ones(3, dtype=torch.float64))
    assert vq.subspace_similarity(u, u[:, [2, 0, 1]]) == pytest.approx(1.0)
    fixed = vq.fix_signs(-u)
    assert torch.all(fixed[fixed.abs().argmax(0), torch.arange(3)] > 0)
    centred = vq.double_centre(torch.tensor([[0.0, 1.0], [1.0, 0.0]]))
    assert centred.tolist() == [[0.25, -0.25], [-0.25, 0.25]]


# --------------------------------------------------------------------------------------------------
# Partition distance and the width-1 chain
# --------------------------------------------------------------------------------------------------


def test_region_graph_distances_by_hand():
    # a 6-cycle 0-1-2-3-4-5-0 and an isolated region 6
    adjacency = torch.tensor([[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 0]])
    dist = vq.region_graph_distances(7, adjacency, torch.tensor([0, 3]))
    assert dist.tolist() == [[0, 1, 2, 3, 2, 1, -1], [3, 2, 1, 0, 1, 2, -1]]
    assert vq.region_graph_distances(2, torch.zeros(0, 2, dtype=torch.long), torch.tensor([1])).tolist() == [[-1, 0]]


class StripRegions:
    """Stand-in for mlpgeo.regions.Regions: vertical strips x1 in [k, k+1), k = 0..4, adjacent in a row."""

    codes = np.array([[True] * k + [False] * (4 - k) for k in range(5)])

    def __len__(self):
        return 5

    def adjacency(self):
        return np.array([[k, k + 1] for k in range(4)])

    def locate(self, points):
        index = points[:, 0].floor().long()
        return torch.where((index >= 0) & (index <= 4), index, -1)


def test_partition_distance_on_strips():
    regions = StripRegions()
    x = torch.tensor([[0.5, 0.0], [2.5, 1.0], [4.5, 0.0]])
    assert vq.partition_distance(regions, x).tolist() == [[0, 2, 4], [2, 0, 2], [4, 2, 0]]
    assert vq.partition_distance(regions, x, x[:1]).tolist() == [[0], [2], [4]]
    codes = torch.as_tensor(regions.codes)
    assert torch.equal(vq.code_distance([codes]), torch.tensor([[abs(i - j) for j in range(5)] for i in range(5)]).float())
    with pytest.raises(ValueError, match="connect"):
        vq.partition_distance(regions, x, adjacency=torch.tensor([[0, 1]]))


def test_partition_distance_on_exact_regions_of_a_float64_model():
    model = seeded_mlp([2, 6, 1], 0, torch.float64)
    regions = linear_regions_2d(model, (-1.0, 1.0, -1.0, 1.0))
    x = torch.rand(40, 2, generator=models.seeded(0), dtype=torch.float64) * 2 - 1
    # Lemma 1 on one hidden layer: the partition distance equals the VQ distance
    assert torch.equal(vq.partition_distance(regions, x).double(), vq.vq_distance(model, x))


@pytest.mark.parametrize("depth", [1, 2, 3, 5, 8])
def test_skip_chain_printed_and_tent(depth):
    printed = vq.skip_chain_partition(depth)  # f(z) = 2z - relu(2z - 1)
    assert len(printed) == depth + 1
    assert torch.allclose(printed.breakpoints[1:-1], torch.tensor([2.0**-k for k in range(depth, 0, -1)], dtype=torch.float64))
    tent = vq.skip_chain_partition(depth, scale=-2.0)  # f(z) = 2z - 2 relu(2z - 1)
    assert len(tent) == 2**depth
    assert torch.allclose(tent.breakpoints, torch.linspace(0, 1, 2**depth + 1, dtype=torch.float64))
    assert tent.vq_distance().max() <= depth
    assert tent.partition_distance().max() == 2**depth - 1
    assert torch.all(tent.vq_distance() <= tent.partition_distance())


def test_skip_chain_matches_dense_sampling():
    tent = vq.skip_chain_partition(4, scale=-2.0)
    z = (torch.arange(4096, dtype=torch.float64) + 0.5) / 4096
    bits = []
    h = z
    for _ in range(4):
        pre = 2 * h - 1
        bits.append(pre > 0)
        h = 2 * h - 2 * pre.clamp(min=0)
    codes = torch.stack(bits, 1)
    interval = torch.searchsorted(tent.breakpoints, z) - 1
    assert torch.equal(codes, tent.codes[interval])


def test_skip_chain_refuses_a_depth_over_the_budget(monkeypatch):
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "1MiB")
    with pytest.raises(BudgetError, match="smaller depth"):
        vq.skip_chain_partition(60, scale=-2.0)  # 2^60 pieces
    assert len(vq.skip_chain_partition(60)) == 61  # the printed map grows by one piece per layer: fine


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------


def test_general_figures_draw_what_they_say():
    d = vq.vq_distance(seeded_mlp([2, 6, 6, 1], 0), torch.rand(30, 2, generator=models.seeded(0)))
    fig, axes = plt.subplots(1, 3)
    vq.plot_kernel(d, torch.arange(30) % 3, ax=axes[0], title="K")
    vq.plot_embedding(vq.classical_mds(d, 2).embedding, torch.arange(30) % 3, ax=axes[1], title="E")
    vq.plot_cosine_table(torch.eye(3, dtype=torch.float64), ["a", "b", "c"], ax=axes[2], title="T")
    assert [ax.get_title() for ax in axes] == ["K", "E", "T"]
    assert len(axes[1].collections) == 3  # one scatter per class
    assert [t.get_text() for t in axes[2].texts][:3] == ["1.00", "0.00", "0.00"]
    plt.close(fig)


# --------------------------------------------------------------------------------------------------
# Bad inputs: every case must end in a TypeError / ValueError in mlpgeo's words naming the argument
# --------------------------------------------------------------------------------------------------

M = seeded_mlp([4, 8, 8, 2], 0)
X = torch.randn(5, 4, generator=models.seeded(0))
D = torch.tensor([[0.0, 2.0, 4.0], [2.0, 0.0, 6.0], [4.0, 6.0, 0.0]])
P = [torch.tensor([[True, False], [False, True]])]
NAN_X = X.clone()
NAN_X[0, 0] = float("nan")
NAN_MODEL = seeded_mlp([4, 8, 8, 2], 0)
with torch.no_grad():
    NAN_MODEL[2].weight[0, 0] = float("nan")
Z = torch.randn(20, 2, generator=models.seeded(1))
L = torch.arange(20) % 2
ADJ = torch.tensor([[0, 1], [1, 2]])

BAD_INPUTS = [
    # (case, call, error type, pattern the message must match)
    ("x complex", lambda: vq.vq_distance(M, X.to(torch.complex64)), TypeError, "x is complex"),
    ("x integer", lambda: vq.vq_distance(M, X.long()), TypeError, r"x has dtype torch.int64.*x.float\(\)"),
    ("x half", lambda: vq.vq_distance(M, X.half()), TypeError, "x has dtype torch.float16"),
    ("x empty", lambda: vq.vq_distance(M, X[:0]), ValueError, "x is an empty batch"),
    ("x NaN", lambda: vq.vq_distance(M, NAN_X), ValueError, "x holds NaN"),
    ("x inf", lambda: vq.vq_distance(M, X * float("inf")), ValueError, "x holds NaN or infinite"),
    ("x 1-D", lambda: vq.vq_distance(M, X[0]), ValueError, r"x has shape \(4,\)"),
    ("x wrong features", lambda: vq.vq_distance(M, torch.randn(5, 3), torch.randn(5, 3)), ValueError, r"expects \(n, 4\)"),
    ("x list", lambda: vq.vq_distance(M, X.tolist()), TypeError, "x must be a torch.Tensor"),
    ("x numpy", lambda: vq.vq_distance(M, X.numpy()), TypeError, "torch.from_numpy"),
    ("y NaN", lambda: vq.vq_distance(M, X, torch.full((2, 4), float("nan"))), ValueError, "y holds NaN"),
    ("y inf", lambda: vq.vq_distance(M, X, torch.full((2, 4), float("inf"))), ValueError, "y holds NaN or infinite"),
    ("y features", lambda: vq.vq_distance(M, X, torch.randn(5, 3)), ValueError, "x has 4 features and y has 3"),
    ("y empty", lambda: vq.vq_distance(M, X, X[:0]), ValueError, "y is an empty batch"),
    ("y integer", lambda: vq.vq_distance(M, X, X.long()), TypeError, "y has dtype"),
    ("weights too few", lambda: vq.vq_distance(M, X, layer_weights=[1.0]), ValueError, "2 hidden layers"),
    ("weights too many", lambda: vq.vq_distance(M, X, layer_weights=[1.0] * 3), ValueError, "one weight per hidden layer"),
    ("weights negative", lambda: vq.vq_distance(M, X, layer_weights=[1.0, -1.0]), ValueError, r"layer_weights\[1\] must be >= 0"),
    ("weights NaN", lambda: vq.vq_distance(M, X, layer_weights=[1.0, float("nan")]), ValueError, r"layer_weights\[1\] is nan"),
    ("weights inf", lambda: vq.vq_distance(M, X, layer_weights=[float("inf"), 1.0]), ValueError, r"layer_weights\[0\] is inf"),
    ("weights string", lambda: vq.vq_distance(M, X, layer_weights="11"), TypeError, "layer_weights must be a list"),
    ("weights numpy", lambda: vq.vq_distance(M, X, layer_weights=np.ones(2)), TypeError, "layer_weights.tolist"),
    ("weights bool tensor", lambda: vq.vq_distance(M, X, layer_weights=torch.ones(2, dtype=torch.bool)), TypeError, "layer_weights"),
    ("weights NaN tensor", lambda: vq.vq_distance(M, X, layer_weights=torch.tensor([1.0, float("nan")])), ValueError, "layer_weights holds NaN"),
    ("block_size 0", lambda: vq.vq_distance(M, X, block_size=0), ValueError, "block_size must be >= 1"),
    ("block_size float", lambda: vq.vq_distance(M, X, block_size=2.5), TypeError, "block_size must be an integer"),
    ("block_size bool", lambda: vq.vq_distance(M, X, block_size=True), TypeError, "block_size must be an integer"),
    ("model NaN parameter", lambda: vq.vq_distance(NAN_MODEL, X), ValueError, "parameter '2.weight' holds NaN"),
    ("model not Sequential", lambda: vq.vq_distance(nn.Linear(4, 2), X), TypeError, "model must be an nn.Sequential"),
    ("model half", lambda: vq.vq_distance(seeded_mlp([4, 8, 2], 0).half(), X), TypeError, r"model.float\(\)"),
    ("model with Dropout", lambda: vq.vq_distance(nn.Sequential(nn.Linear(4, 8), nn.Dropout(), nn.Linear(8, 2)), X), TypeError, "Dropout"),
    ("code_distance tensor not list", lambda: vq.code_distance(P[0]), TypeError, "patterns_x must be a list"),
    ("code_distance empty list", lambda: vq.code_distance([]), ValueError, "patterns_x is an empty list"),
    ("code_distance float patterns", lambda: vq.code_distance([P[0].float()]), TypeError, r"patterns_x\[0\] has dtype torch.float32"),
    ("code_distance non-binary", lambda: vq.code_distance([P[0].long() * 2]), ValueError, r"patterns_x\[0\] must hold only 0 and 1"),
    ("code_distance widths", lambda: vq.code_distance(P, [torch.ones(2, 3, dtype=torch.bool)]), ValueError, "layer widths differ"),
    ("code_distance layer count", lambda: vq.code_distance(P, P + P), ValueError, "patterns_x has 1 layers and patterns_y has 2"),
    ("code_distance dtype half", lambda: vq.code_distance(P, dtype=torch.float16), TypeError, "dtype must be"),
    ("sign_codes rows differ", lambda: vq.sign_codes([P[0], P[0][:1]]), ValueError, "different numbers of rows"),
    ("heat form", lambda: vq.heat_kernel(D, 1.0, form="gaussian"), ValueError, "form='gaussian' is not allowed"),
    ("sigma2 negative", lambda: vq.heat_kernel(D, -1.0), ValueError, "sigma2 must be > 0"),
    ("sigma2 zero", lambda: vq.heat_kernel(D, 0.0), ValueError, "sigma2 must be > 0"),
    ("sigma2 NaN", lambda: vq.heat_kernel(D, float("nan")), ValueError, "sigma2 is nan"),
    ("sigma2 inf", lambda: vq.heat_kernel(D, float("inf")), ValueError, "sigma2 is inf"),
    ("sigma2 string", lambda: vq.heat_kernel(D, "1"), TypeError, "sigma2 must be a real number"),
    ("sigma2 complex", lambda: vq.heat_kernel(D, 1j), TypeError, "sigma2 must be a real number"),
    ("median 0", lambda: vq.heat_kernel(torch.zeros(3, 3)), ValueError, "median distance is 0.*pass sigma2"),
    ("d negative", lambda: vq.heat_kernel(-D, 1.0), ValueError, "d has negative entries"),
    ("d NaN", lambda: vq.heat_kernel(D * float("nan"), 1.0), ValueError, "d holds NaN"),
    ("d 1-D", lambda: vq.heat_kernel(D[0], 1.0), ValueError, r"d has shape \(3,\)"),
    ("d bool", lambda: vq.heat_kernel(D > 0, 1.0), TypeError, "d is a bool tensor"),
    ("d complex", lambda: vq.heat_kernel(D.to(torch.complex64), 1.0), TypeError, "d is complex"),
    ("median 1 x 1", lambda: vq.median_sigma2(torch.zeros(1, 1)), ValueError, "no off-diagonal entries"),
    ("median empty list", lambda: vq.median_sigma2([]), ValueError, "d is an empty list"),
    ("median form", lambda: vq.median_sigma2(D, "cubic"), ValueError, "form='cubic'"),
    ("cosine shapes", lambda: vq.kernel_cosine(torch.ones(2, 2), torch.ones(3, 3)), ValueError, "same shape"),
    ("cosine zero", lambda: vq.kernel_cosine(torch.zeros(2, 2), torch.ones(2, 2)), ValueError, "zero matrix"),
    ("cosine NaN", lambda: vq.kernel_cosine(D * float("nan"), D), ValueError, "a holds NaN"),
    ("cosine_table shapes", lambda: vq.cosine_table([D, D[:2]]), ValueError, "kernels must share one shape"),
    ("cosine_table empty", lambda: vq.cosine_table([]), ValueError, "kernels is an empty list"),
    ("cosine_table tensor", lambda: vq.cosine_table(D), TypeError, "kernels must be a list"),
    ("correlation constant", lambda: vq.kernel_correlation(torch.ones(3, 3), D), ValueError, "kernel a is constant"),
    ("sweep sigma2 0", lambda: vq.heat_cosine_sweep([D], [0.0]), ValueError, r"sigma2s\[0\] must be > 0"),
    ("sweep sigma2 NaN", lambda: vq.heat_cosine_sweep([D], [1.0, float("nan")]), ValueError, r"sigma2s\[1\] is nan"),
    ("sweep empty grid", lambda: vq.heat_cosine_sweep([D], []), ValueError, "sigma2s is empty"),
    ("sweep grid number", lambda: vq.heat_cosine_sweep([D], 1.0), TypeError, "sigma2s must be a list"),
    ("sweep shapes", lambda: vq.heat_cosine_sweep([D, D[:2]], [1.0]), ValueError, "distances must share one shape"),
    ("sweep form", lambda: vq.heat_cosine_sweep([D], [1.0], "cubic"), ValueError, "form='cubic'"),
    ("histograms max_value", lambda: vq.joint_histograms([D], max_value=-1), ValueError, "max_value must be >= 0"),
    ("mds not square", lambda: vq.classical_mds(D[:2]), ValueError, "square distance matrix"),
    ("mds k 0", lambda: vq.classical_mds(D, 0), ValueError, "k must be >= 1"),
    ("mds k > n", lambda: vq.classical_mds(D, 4), ValueError, "k must be >= 1 and <= 3"),
    ("mds k float", lambda: vq.classical_mds(D, 2.0), TypeError, "k must be an integer"),
    ("mds not symmetric", lambda: vq.classical_mds(torch.tensor([[0.0, 1.0], [5.0, 0.0]]), 1), ValueError, "d is not symmetric"),
    ("mds all zero", lambda: vq.classical_mds(torch.zeros(3, 3), 1), ValueError, "leading MDS eigenvalue"),
    ("code_mds k > rank", lambda: vq.code_mds(M, X, k=6), ValueError, "k=6 exceeds the rank bound"),
    ("code_mds x NaN", lambda: vq.code_mds(M, NAN_X), ValueError, "x holds NaN"),
    ("code_mds weights", lambda: vq.code_mds(M, X, layer_weights=[1.0, -2.0]), ValueError, r"layer_weights\[1\]"),
    ("eigenpairs not square", lambda: vq.dominant_eigenpairs(D[:2], 1), ValueError, "expected a square matrix"),
    ("eigenpairs int generator", lambda: vq.dominant_eigenpairs(D, 1, generator=0), TypeError, "generator must be a torch.Generator"),
    ("eigenpairs iterations", lambda: vq.dominant_eigenpairs(D, 1, iterations=-1), ValueError, "iterations must be >= 0"),
    ("eigenpairs not symmetric", lambda: vq.dominant_eigenpairs(torch.tensor([[0.0, 1.0], [5.0, 0.0]]), 1), ValueError, "b is not symmetric"),
    ("eigenpairs integer", lambda: vq.dominant_eigenpairs(D.long(), 1), TypeError, "b has dtype torch.int64"),
    ("spectrum not square", lambda: vq.mds_spectrum(D[:2]), ValueError, "square distance matrix"),
    ("double_centre not square", lambda: vq.double_centre(D[:2]), ValueError, "double centring needs a square"),
    ("effective rank no positive", lambda: vq.effective_rank(torch.tensor([0.0, -1.0])), ValueError, "no positive eigenvalue"),
    ("effective rank 2-D", lambda: vq.effective_rank(D), ValueError, "values has shape"),
    ("subspace shapes", lambda: vq.subspace_similarity(torch.eye(3), torch.eye(2)), ValueError, "same shape"),
    ("eigvec constant column", lambda: vq.eigenvector_correlations(torch.ones(4, 1), torch.randn(4, 1)), ValueError, "constant"),
    ("fix_signs 1-D", lambda: vq.fix_signs(torch.ones(3)), ValueError, "vectors has shape"),
    ("silhouette one class", lambda: vq.silhouette(D, torch.zeros(3, dtype=torch.long)), ValueError, "one class"),
    ("silhouette float labels", lambda: vq.silhouette(D, torch.tensor([0.0, 1.0, 1.0])), TypeError, "labels has dtype"),
    ("silhouette labels length", lambda: vq.silhouette(D, torch.tensor([0, 1])), ValueError, "labels has 2 labels but x has 3"),
    ("silhouette negative label", lambda: vq.silhouette(D, torch.tensor([0, -1, 1])), ValueError, "labels must lie in"),
    ("silhouette not square", lambda: vq.silhouette(D[:2], torch.tensor([0, 1])), ValueError, "square distance matrix"),
    ("probe folds 1", lambda: vq.linear_probe_accuracy(Z, L, folds=1), ValueError, "folds must be >= 2"),
    ("probe folds float", lambda: vq.linear_probe_accuracy(Z, L, folds=2.5), TypeError, "folds must be an integer"),
    ("probe too few rows", lambda: vq.linear_probe_accuracy(Z[:2], L[:2], folds=2), ValueError, "pass more rows or fewer folds"),
    ("probe z NaN", lambda: vq.linear_probe_accuracy(Z * float("nan"), L), ValueError, "z holds NaN"),
    ("probe int seed", lambda: vq.linear_probe_accuracy(Z, L, generator=0), TypeError, "generator must be a torch.Generator"),
    ("probe steps 0", lambda: vq.linear_probe_accuracy(Z, L, steps=0), ValueError, "steps must be >= 1"),
    ("probe labels float", lambda: vq.linear_probe_accuracy(Z, L.float()), TypeError, "labels has dtype"),
    ("graph adjacency range", lambda: vq.region_graph_distances(2, ADJ, torch.tensor([0])), ValueError, r"adjacency refers to regions outside \[0, 2\)"),
    ("graph adjacency float", lambda: vq.region_graph_distances(3, ADJ.float(), torch.tensor([0])), TypeError, "adjacency has dtype"),
    ("graph adjacency shape", lambda: vq.region_graph_distances(3, torch.zeros(2, 3, dtype=torch.long), torch.tensor([0])), ValueError, r"region pairs \(e, 2\)"),
    ("graph adjacency numpy", lambda: vq.region_graph_distances(3, ADJ.numpy(), torch.tensor([0])), TypeError, "torch.from_numpy"),
    ("graph sources range", lambda: vq.region_graph_distances(3, ADJ, torch.tensor([3])), ValueError, "sources refers to regions outside"),
    ("graph n_regions 0", lambda: vq.region_graph_distances(0, ADJ, torch.tensor([0])), ValueError, "n_regions must be >= 1"),
    ("partition x 3-D points", lambda: vq.partition_distance(StripRegions(), torch.zeros(2, 3)), ValueError, "pass points \\(n, 2\\)"),
    ("partition outside", lambda: vq.partition_distance(StripRegions(), torch.tensor([[-1.0, 0.0]])), ValueError, "outside the regions"),
    ("partition x NaN", lambda: vq.partition_distance(StripRegions(), torch.tensor([[float("nan"), 0.0]])), ValueError, "x holds NaN"),
    ("chain depth 0", lambda: vq.skip_chain_partition(0), ValueError, "depth must be >= 1"),
    ("chain depth float", lambda: vq.skip_chain_partition(2.0), TypeError, "depth must be an integer"),
    ("chain skip NaN", lambda: vq.skip_chain_partition(3, skip=float("nan")), ValueError, "skip is nan"),
    ("chain slope inf", lambda: vq.skip_chain_partition(3, slope=float("inf")), ValueError, "slope is inf"),
    ("plot labels length", lambda: vq.plot_kernel(D, torch.tensor([0, 1])), ValueError, "labels has 2 labels"),
    ("plot labels on rectangle", lambda: vq.plot_kernel(D[:2], torch.tensor([0, 1])), ValueError, "needs a square kernel"),
    ("plot max_pixels 0", lambda: vq.plot_kernel(D, max_pixels=0), ValueError, "max_pixels must be >= 1"),
    ("plot embedding 1 column", lambda: vq.plot_embedding(torch.ones(3, 1), torch.tensor([0, 1, 1])), ValueError, "at least two columns"),
    ("plot table names", lambda: vq.plot_cosine_table(torch.eye(3), ["a"]), ValueError, "k names"),
]


@pytest.mark.parametrize("case, call, error, pattern", BAD_INPUTS, ids=[case for case, *_ in BAD_INPUTS])
def test_bad_input_is_a_clear_error(case, call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_bad_inputs_over_the_budget_are_refused_before_any_work(monkeypatch):
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "64KiB")
    big = torch.zeros(200, 200)
    cases = [
        (lambda: vq.classical_mds(big, 2), "pass a smaller distance matrix"),
        (lambda: vq.mds_spectrum(big), "pass a smaller distance matrix"),
        (lambda: vq.double_centre(big), "pass a smaller distance matrix"),
        (lambda: vq.dominant_eigenpairs(big, 2), "pass a smaller distance matrix"),
        (lambda: vq.cosine_table([big, big]), "pass fewer or smaller kernels"),
        (lambda: vq.code_distance([torch.ones(200, 3, dtype=torch.bool)]), "pass fewer rows"),
        (lambda: vq.code_mds(seeded_mlp([2, 64, 1], 0), torch.rand(400, 2)), "pass fewer rows in x"),
        (lambda: vq.partition_distance(StripRegions(), torch.rand(200, 2)), "pass fewer rows"),
        (lambda: vq.region_graph_distances(2000, ADJ, torch.arange(1000)), "pass fewer sources"),
    ]
    for call, fix in cases:
        with pytest.raises(BudgetError, match=fix):
            call()
