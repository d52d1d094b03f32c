"""Tests of mlpgeo.vq: hand-computed kernels, pseudometric invariants, fast paths against references."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from mlpgeo import models, vq
from mlpgeo.patterns import activation_patterns


def axis_net() -> nn.Sequential:
    """One hidden layer whose two hyperplanes are the coordinate axes, then a layer x1 + x2 = 1/2."""
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1), nn.ReLU(), nn.Linear(1, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(2))
        model[0].bias.zero_()
        model[2].weight.copy_(torch.tensor([[1.0, 1.0]]))
        model[2].bias.fill_(-0.5)
    return model


QUADRANTS = torch.tensor([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [0.2, 0.1]])


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


def test_hand_computed_quadrants():
    # layer 1 codes: (+,+) (-,+) (-,-) (+,-) (+,+); layer 2 (relu(x1)+relu(x2) > 1/2): 1 1 0 1 0
    d = vq.vq_distance(axis_net(), QUADRANTS)
    expected = torch.tensor(
        [
            [0, 1, 3, 1, 1],
            [1, 0, 2, 2, 2],
            [3, 2, 0, 2, 2],
            [1, 2, 2, 0, 2],
            [1, 2, 2, 2, 0],
        ],
        dtype=torch.float32,
    )
    assert torch.equal(d, expected)
    weighted = vq.vq_distance(axis_net(), QUADRANTS, layer_weights=[2.0, 0.5])
    assert weighted[0, 2] == pytest.approx(2 * 2 + 0.5 * 1)
    assert weighted[0, 1] == pytest.approx(2 * 1)


def test_against_slow_reference_and_rectangular():
    model = models.mlp([5, 7, 6, 4, 3], seed=3)
    x = torch.randn(23, 5, generator=torch.Generator().manual_seed(1))
    y = torch.randn(11, 5, generator=torch.Generator().manual_seed(2))
    assert torch.equal(vq.vq_distance(model, x, y), slow_reference(model, x, y))
    w = [0.3, 2.0, 1.5]
    torch.testing.assert_close(vq.vq_distance(model, x, y, layer_weights=w), slow_reference(model, x, y, w))


def test_blocked_equals_unblocked_and_integers():
    model = models.mlp([10, 32, 32, 2], seed=0)
    x = torch.randn(300, 10, generator=torch.Generator().manual_seed(0))
    full = vq.vq_distance(model, x, block_size=10_000)
    for block in (1, 7, 128):
        assert torch.equal(vq.vq_distance(model, x, block_size=block), full)
    assert torch.equal(full, full.round())


def test_pseudometric_invariants():
    model = models.mlp([3, 12, 12, 12, 1], seed=5)
    x = torch.randn(60, 3, generator=torch.Generator().manual_seed(4))
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


def test_bad_input():
    model = models.mlp([4, 8, 8, 2], seed=0)
    x = torch.randn(5, 4)
    with pytest.raises(ValueError, match="features"):
        vq.vq_distance(model, x, torch.randn(5, 3))
    with pytest.raises(ValueError, match="2 hidden layers"):
        vq.vq_distance(model, x, layer_weights=[1.0])
    with pytest.raises(ValueError, match=">= 0"):
        vq.vq_distance(model, x, layer_weights=[1.0, -1.0])
    with pytest.raises(ValueError, match=">= 0"):
        vq.vq_distance(model, x, layer_weights=[1.0, float("nan")])
    bad = x.clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        vq.vq_distance(model, bad)
    with pytest.raises(ValueError, match="y holds NaN or infinite"):
        vq.vq_distance(model, x, torch.full((2, 4), float("inf")))
    with pytest.raises(ValueError, match=r"expects \(n, 4\)"):
        vq.vq_distance(model, torch.randn(5, 3), torch.randn(5, 3))  # both wrong for the model
    with pytest.raises(ValueError, match="one weight per hidden layer"):
        vq.vq_distance(model, x, layer_weights=[1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="block_size"):
        vq.vq_distance(model, x, block_size=0)
    with pytest.raises(ValueError, match="form"):
        vq.heat_kernel(torch.ones(3, 3), 1.0, form="gaussian")
    with pytest.raises(ValueError, match="sigma2"):
        vq.heat_kernel(torch.ones(3, 3), -1.0)
    with pytest.raises(ValueError, match="median"):
        vq.heat_kernel(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="negative"):
        vq.heat_kernel(-torch.ones(3, 3), 1.0)
    with pytest.raises(ValueError, match="same shape"):
        vq.kernel_cosine(torch.ones(2, 2), torch.ones(3, 3))


def test_heat_kernels_and_cosine():
    d = torch.tensor([[0.0, 2.0, 4.0], [2.0, 0.0, 6.0], [4.0, 6.0, 0.0]])
    assert vq.median_sigma2(d, "linear") == 4.0
    assert vq.median_sigma2(d, "squared") == 16.0
    h = vq.heat_kernel(d, 2.0, "linear")
    assert h[0, 1] == pytest.approx(torch.exp(torch.tensor(-1.0)).item())
    h2 = vq.heat_kernel(d, 8.0, "squared")
    assert h2[0, 2] == pytest.approx(torch.exp(torch.tensor(-2.0)).item())
    assert torch.all(vq.heat_kernel(d).diagonal() == 1)
    a, b = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[1.0, 1.0], [1.0, 1.0]])
    assert vq.kernel_cosine(a, b) == pytest.approx(2 / (2**0.5 * 2))
    assert vq.kernel_cosine(a, 3 * a) == pytest.approx(1.0)
    table = vq.cosine_table([a, b, a])
    assert torch.allclose(table, table.T) and table[0, 2] == pytest.approx(1.0)
    assert vq.kernel_correlation(d, 2 * d + 1) == pytest.approx(1.0)


def test_classical_mds_recovers_points_and_code_mds_matches():
    points = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0], [3.0, 4.0], [1.0, 1.0]], dtype=torch.float64)
    sq = torch.cdist(points, points).pow(2)
    mds = vq.classical_mds(sq, k=2)
    torch.testing.assert_close(torch.cdist(mds.embedding, mds.embedding).pow(2), sq)
    assert mds.normalised[0] == 1.0
    model = models.mlp([2, 16, 16, 16, 1], seed=1)
    x = torch.rand(200, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1
    for w in (None, [1.0, 2.0, 0.5]):
        exact = vq.classical_mds(vq.vq_distance(model, x, layer_weights=w).double(), k=3)
        fast = vq.code_mds(model, x, k=3, layer_weights=w)
        torch.testing.assert_close(fast.eigenvalues, exact.eigenvalues, rtol=1e-4, atol=1e-3)
        assert vq.subspace_similarity(fast.eigenvectors, exact.eigenvectors) > 1 - 1e-6


def test_randomised_eigenpairs_match_dense():
    g = torch.Generator().manual_seed(0)
    basis, _ = torch.linalg.qr(torch.randn(400, 6, generator=g, dtype=torch.float64))
    b = basis @ torch.diag(torch.tensor([50.0, 20, 9, 3, 1, 0.5], dtype=torch.float64)) @ basis.T
    dense = vq.dominant_eigenpairs(b, 3)
    rand = vq.dominant_eigenpairs(b, 3, dense_limit=10)
    torch.testing.assert_close(rand[0], dense[0])
    assert vq.subspace_similarity(rand[1], dense[1]) > 1 - 1e-9


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
    g = torch.Generator().manual_seed(0)
    zz = torch.cat([torch.randn(40, 2, generator=g) - 4, torch.randn(40, 2, generator=g) + 4])
    yy = torch.cat([torch.zeros(40), torch.ones(40)]).long()
    assert vq.linear_probe_accuracy(zz, yy) == 1.0
    assert vq.linear_probe_accuracy(torch.randn(80, 2, generator=g), yy) < 0.8


def test_eigenvector_helpers():
    u, _ = torch.linalg.qr(torch.randn(50, 3, dtype=torch.float64))
    assert torch.allclose(vq.eigenvector_correlations(u, -u), torch.ones(3, dtype=torch.float64))
    assert vq.subspace_similarity(u, u[:, [2, 0, 1]]) == pytest.approx(1.0)
    fixed = vq.fix_signs(-u)
    assert torch.all(fixed[fixed.abs().argmax(0), torch.arange(3)] > 0)


def test_region_graph_distances_by_hand():
    # a 6-cycle 0-1-2-3-4-5-0 and an isolated region 6
    adjacency = torch.tensor([[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 0]])
    dist = vq.region_graph_distances(7, adjacency, torch.tensor([0, 3]))
    assert dist.tolist() == [[0, 1, 2, 3, 2, 1, -1], [3, 2, 1, 0, 1, 2, -1]]


class StripRegions:
    """Stand-in for mlpgeo.regions.Regions: vertical strips x1 in [k, k+1), k = 0..4, adjacent in a row."""

    codes = [torch.tensor([True] * k + [False] * (4 - k)) for k in range(5)]

    def __len__(self):
        return 5

    def __iter__(self):
        return iter([type("R", (), {"code": c})() for c in self.codes])

    def adjacency(self):
        return torch.tensor([[k, k + 1] for k in range(4)])

    def locate(self, points):
        return points[:, 0].floor().long().clamp(0, 4)


def test_partition_distance_on_strips():
    regions = StripRegions()
    x = torch.tensor([[0.5, 0.0], [2.5, 1.0], [4.5, 0.0]])
    assert vq.partition_distance(regions, x).tolist() == [[0, 2, 4], [2, 0, 2], [4, 2, 0]]
    codes = vq.region_codes(regions)
    assert codes.shape == (5, 4)
    assert torch.equal(vq.code_distance([codes]), torch.tensor([[abs(i - j) for j in range(5)] for i in range(5)]).float())


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


def test_all_pairs_small_exhaustive():
    model = models.mlp([2, 3, 3, 1], seed=2)
    x = torch.rand(12, 2, generator=torch.Generator().manual_seed(3)) * 4 - 2
    d = vq.vq_distance(model, x)
    for i, j in itertools.product(range(12), repeat=2):
        assert d[i, j] == slow_reference(model, x[i : i + 1], x[j : j + 1])[0, 0]


def test_lemma_check_on_exact_regions():
    points = torch.rand(120, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1
    shallow = vq.lemma_check(models.mlp([2, 12, 1], seed=0), points)
    assert shallow["equal_frac"] == 1.0 and shallow["region_equal_frac"] == 1.0
    assert shallow["edges_multi_bit"] == 0
    deep = vq.lemma_check(models.mlp([2, 8, 8, 8, 1], seed=0), points)
    assert deep["greater_frac"] == 0.0 and deep["region_greater_frac"] == 0.0
    assert deep["region_less_frac"] > 0  # this net has shortcuts (seen: 0.128)


def test_probed_adjacency_matches_regions_module():
    from mlpgeo.regions import linear_regions_2d

    regions = linear_regions_2d(models.mlp([2, 10, 10, 1], seed=1), (-1.0, 1.0, -1.0, 1.0))
    probed = vq.probed_adjacency(regions)
    module = torch.as_tensor(regions.adjacency(), dtype=torch.long)
    assert torch.equal(probed, module.unique(dim=0))


def test_rotation_commutation_and_disc_grid():
    disc = vq.disc_grid(20)
    assert torch.all(disc.norm(dim=1) <= 1) and 0.6 * 400 < len(disc) < 0.85 * 400
    model = models.mlp([2, 16, 16, 1], seed=0)
    same = vq.rotation_commutation(model, model, disc, 0.0, pairs_sample=100)
    assert same["kernel_corr"] == pytest.approx(1.0) and same["subspace"] == pytest.approx(1.0)
    # a model whose first layer is the original's rotated by `angle` is exactly the rotated partition
    angle = 0.7
    rotated = models.clone(model)
    c, s = torch.cos(torch.tensor(angle)), torch.sin(torch.tensor(angle))
    with torch.no_grad():
        rotated[0].weight.copy_(model[0].weight @ torch.tensor([[c, s], [-s, c]]))
    exact = vq.rotation_commutation(model, rotated, disc, angle, pairs_sample=100)
    assert exact["kernel_corr"] == pytest.approx(1.0, abs=1e-6)


def test_claim_holds_fraction_by_hand():
    yes = torch.tensor([[1.0, 0.6, 0.3, 0.4], [0.6, 1.0, 0.3, 0.5], [0.3, 0.3, 1.0, 0.8], [0.4, 0.5, 0.8, 1.0]])
    no = yes.clone()
    no[0, 1] = no[1, 0] = 0.45
    saturated = torch.full((4, 4), 0.995)
    fraction, live = vq.claim_holds_fraction(torch.stack([yes, no, saturated]))
    assert (fraction, live) == (0.5, 2)


def test_embedding_scores_and_depth_kernels_small():
    g = torch.Generator().manual_seed(0)
    z = torch.cat([torch.randn(30, 3, generator=g) - 3, torch.randn(30, 3, generator=g) + 3])
    labels = torch.cat([torch.zeros(30), torch.ones(30)]).long()
    scores = vq.embedding_scores(torch.cdist(z, z).pow(2), labels)
    assert scores["probe_acc"] == 1.0 and scores["silhouette"] > 0.5 and 1 <= scores["effective_rank"] <= 3
    x = torch.rand(64, 12, generator=g)
    y = torch.randint(0, 3, (64,), generator=g)
    kernels, acc = vq.depth_kernels(x, y, x[:20], depths=(2, 3), width=4, epochs=1, y_test=y[:20])
    assert list(kernels) == ["Trained(2)", "Trained(3)", "Init(2)", "Init(3)"]
    assert kernels["Init(3)"].shape == (20, 20) and kernels["Init(3)"].max() <= 12
    assert set(acc) == {"Trained(2)", "Trained(3)"}


def test_pooled_median_sigma2():
    a = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    b = torch.tensor([[0.0, 3.0], [3.0, 0.0]])
    c = torch.tensor([[0.0, 5.0], [5.0, 0.0]])
    assert vq.median_sigma2([a, b, c]) == 3.0
    assert vq.median_sigma2([a, b, c], "squared") == 9.0


# --------------------------------------------------------------------------------------------------
# The report's experiment helpers and verdict criteria
# --------------------------------------------------------------------------------------------------


def test_format_mean_std_uses_sample_std():
    assert vq.format_mean_std([1.0, 2.0, 3.0]) == "2.000 ± 1.000"
    assert vq.format_mean_std([0.5]) == "0.500 ± 0.000"


def test_rotation_verdict_three_outcomes():
    retrained = [0.9, 0.8, 0.7]  # mean 0.8, std 0.1 -> bar 0.6
    assert vq.rotation_verdict([0.7, 0.6, 0.65], [0.1, 0.2, 0.3], retrained) == "reproduced"
    assert vq.rotation_verdict([0.5, 0.5, 0.5], [0.1, 0.2, 0.3], retrained) == "partly reproduced"
    assert vq.rotation_verdict([0.9, 0.1, 0.9], [0.1, 0.2, 0.3], retrained) == "not reproduced"
    assert vq.rotation_verdict([0.8], [0.1], [0.8]) == "reproduced"  # one seed: no spread, no NaN
    assert vq.rotation_verdict([0.7], [0.1], [0.8]) == "partly reproduced"


def test_fit_sigma2_picks_the_grid_point_matching_the_target():
    target = vq.PAPER_COSINES
    far = torch.ones(4, 4, dtype=torch.float64)
    # two seeds, three grid points; grid point 1 equals the target on average (+/- 0.01 per seed)
    tables = torch.stack([torch.stack([far, target + d, far * 0.5]) for d in (0.01, -0.01)])
    sigma2, rmse, best = vq.fit_sigma2(tables, [0.1, 1.0, 10.0])
    assert sigma2 == 1.0 and rmse == pytest.approx(0.0, abs=1e-12)
    assert torch.equal(best, tables[:, 1])
    # RMSE of a constant offset over the six pairs is that offset
    _, rmse_off, _ = vq.fit_sigma2((target + 0.2)[None, None], [1.0])
    assert rmse_off == pytest.approx(0.2)


def cosine_tables(t4_t6: float, t4_i4: float, t6_i6: float, i4_i6: float) -> torch.Tensor:
    """A symmetric 4 x 4 table in the order Trained(4), Trained(6), Init(4), Init(6)."""
    t = torch.eye(4, dtype=torch.float64)
    for (i, j), v in zip([(0, 1), (0, 2), (1, 3), (2, 3)], [t4_t6, t4_i4, t6_i6, i4_i6]):
        t[i, j] = t[j, i] = v
    t[0, 3] = t[3, 0] = t[1, 2] = t[2, 1] = 0.3
    return t


def test_trained_alike_claim_criteria():
    holds, fails = cosine_tables(0.6, 0.3, 0.4, 0.9), cosine_tables(0.2, 0.3, 0.4, 0.9)
    primary = torch.stack([holds, holds])
    good_sweep = {"linear": torch.stack([holds, holds])[None].expand(2, 2, 4, 4).clone(),
                  "squared": torch.stack([holds, holds])[None].expand(2, 2, 4, 4).clone()}
    measured, verdict = vq.trained_alike_claim(primary, good_sweep)
    assert verdict == "reproduced" and measured["holds_all_seeds_primary"] == 1.0
    assert measured["sweep_fraction_linear"] == 1.0
    bad_sweep = {form: torch.stack([fails, fails])[None].expand(2, 2, 4, 4).clone() for form in good_sweep}
    assert vq.trained_alike_claim(primary, bad_sweep)[1] == "partly reproduced"
    assert vq.trained_alike_claim(torch.stack([holds, fails]), bad_sweep)[1] == "not reproduced"
    # reading (a): cos(T4, T6) > cos(I4, I6)
    assert vq.trained_vs_inits_claim(primary)[1] == "not reproduced"
    assert vq.trained_vs_inits_claim(torch.stack([cosine_tables(0.95, 0.3, 0.4, 0.9)]))[1] == "reproduced"


def test_table_entry_verdict_tolerance():
    assert vq.entry_tolerance(torch.tensor([0.5])) == 0.05
    assert vq.entry_tolerance(torch.tensor([0.0, 0.2])) == pytest.approx(2 * 0.2 / 2**0.5)
    ours, fitted = torch.tensor([0.50, 0.52]), torch.tensor([0.30, 0.31])
    assert vq.table_entry_verdict(ours, fitted, 0.55) == "reproduced"
    assert vq.table_entry_verdict(fitted, ours, 0.55) == "partly reproduced"
    assert vq.table_entry_verdict(fitted, fitted, 0.55) == "not reproduced"


def lemma_row(kind: str, equal: float, less: float, greater: float, multi_bit: int = 0) -> dict:
    return {"kind": kind, "equal_frac": equal, "less_frac": less, "greater_frac": greater, "max_gap": 2.0,
            "region_equal_frac": equal, "region_less_frac": less, "region_greater_frac": greater,
            "edges_multi_bit": multi_bit}


def test_lemma_claims():
    rows = [lemma_row("shallow", 1.0, 0.0, 0.0), lemma_row("deep", 0.8, 0.2, 0.0), lemma_row("deep", 1.0, 0.0, 0.0)]
    measured, verdict = vq.lemma1_claim(rows)
    assert verdict == "reproduced" and measured["networks"] == 1
    measured, verdict = vq.lemma2_claim(rows)
    assert verdict == "reproduced" and measured["networks"] == 2 and measured["max_greater_frac"] == 0.0
    assert vq.lemma2_claim([lemma_row("deep", 1.0, 0.0, 0.0)])[1] == "partly reproduced"
    assert vq.lemma2_claim([lemma_row("deep", 0.9, 0.0, 0.1)])[1] == "not reproduced"
    assert vq.lemma1_claim([lemma_row("shallow", 0.99, 0.01, 0.0)])[1] == "not reproduced"


def test_lemma_study_on_tiny_networks():
    points = torch.rand(20, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1
    x, y = torch.tensor([[-0.5, 0.0], [0.5, 0.0]]), torch.tensor([0, 1])
    rows = vq.lemma_study([0], {"shallow": [[2, 4, 1]]}, points, x, y, epochs=5)
    assert [r["trained"] for r in rows] == [False, True]
    assert all(r["equal_frac"] == 1.0 for r in rows)  # Lemma 1
    assert vq.lemma_table(rows).count("\n") == 2


def test_width1_study_and_claim():
    study = vq.width1_study(range(1, 6))
    assert study["printed"] == [L + 1 for L in range(1, 6)]  # the printed map: L + 1 intervals
    assert study["tent"] == [2**L for L in range(1, 6)]
    assert study["tent_max_d_omega"] == [2**L - 1 for L in range(1, 6)]
    measured, verdict = vq.width1_claim(study)
    assert verdict == "partly reproduced" and measured["intervals_tent_L5"] == 32
    assert vq.width1_claim({**study, "printed": study["tent"]})[1] == "reproduced"
    assert vq.width1_claim({**study, "tent": study["printed"]})[1] == "not reproduced"


def test_high_dim_claims_criteria():
    def scores(vq_acc, euclid_acc, rank_vq, rank_euclid, heldout, shuffled):
        s = {"probe_acc": 0.0, "silhouette": 0.1, "effective_rank": 1.0, "top2_share": 0.5}
        return {"vq": {**s, "probe_acc": vq_acc, "effective_rank": rank_vq}, "vq_rot": s,
                "euclidean": {**s, "probe_acc": euclid_acc, "effective_rank": rank_euclid},
                "vq_heldout": {**s, "probe_acc": heldout}, "vq_shuffled": {**s, "probe_acc": shuffled},
                "test_accuracy": 0.5}

    claims = vq.high_dim_claims([scores(1.0, 0.5, 2.0, 10.0, 0.95, 0.5)] * 2)
    assert {k: v[1] for k, v in claims.items()} == {
        "separation": "reproduced", "low_rank": "reproduced", "geometry": "reproduced"}
    claims = vq.high_dim_claims([scores(1.0, 0.8, 6.0, 10.0, 0.5, 1.0)] * 2)
    assert {k: v[1] for k, v in claims.items()} == {
        "separation": "not reproduced", "low_rank": "not reproduced", "geometry": "not reproduced"}
    assert vq.high_dim_claims([scores(1.0, 0.5, 2.0, 10.0, 0.5, 0.5)])["geometry"][1] == "partly reproduced"
    assert claims["separation"][0]["probe_acc_euclidean"]["mean"] == pytest.approx(0.8)


def test_train_bce_fits_separable_points():
    x = torch.tensor([[-1.0, 0.0], [-0.8, 0.1], [0.8, 0.0], [1.0, -0.1]])
    y = torch.tensor([0, 0, 1, 1])
    model, loss, acc = vq.train_bce(x, y, [2, 8, 1], seed=0, epochs=200, lr=1e-2)
    assert acc == 1.0 and loss < 0.1
    again, loss_again, _ = vq.train_bce(x, y, [2, 8, 1], seed=0, epochs=200, lr=1e-2)
    assert loss_again == loss  # deterministic


def test_table_entry_claims_ids_and_verdicts():
    primary = vq.PAPER_COSINES[None].repeat(3, 1, 1)
    claims = vq.table_entry_claims(primary, primary - 0.3, "fitted")
    assert [c[0] for c in claims][:2] == ["fig3-table-trained4-trained6", "fig3-table-trained4-init4"]
    assert len(claims) == 6 and all(c[4] == "reproduced" for c in claims)
    assert claims[0][2] == 0.55 and claims[0][3]["fitted"]["mean"] == pytest.approx(0.25)
    claims = vq.table_entry_claims(primary + 0.3, primary, "fitted")
    assert all(c[4] == "partly reproduced" for c in claims)


def test_claim_holds_sigma2_by_hand():
    holds, fails = cosine_tables(0.6, 0.3, 0.4, 0.9), cosine_tables(0.2, 0.3, 0.4, 0.9)
    # two seeds, three sigma^2 values: holds, fails, and one where only the seed mean decides (0.45 vs 0.4)
    mixed_a, mixed_b = cosine_tables(0.3, 0.3, 0.4, 0.9), cosine_tables(0.6, 0.3, 0.4, 0.9)
    tables = torch.stack([torch.stack([holds, fails, mixed_a]), torch.stack([holds, fails, mixed_b])])
    assert vq.claim_holds_sigma2(tables, [1.0, 2.0, 4.0]) == [1.0, 4.0]
    with pytest.raises(ValueError, match="grid"):
        vq.claim_holds_sigma2(tables, [1.0, 2.0])


def test_rotation_claim_records_eigenvector_correlations():
    def row(subspace, corr):
        return {"kernel_corr": 0.5, "subspace": subspace, "eigvec_corr_1": corr, "eigvec_corr_2": corr / 2}

    study = vq.RotationStudy([row(0.9, 0.8), row(0.8, 0.6)], [row(0.5, 0.1), row(0.4, 0.1)],
                             [row(0.9, 0.9), row(0.85, 0.9)], [0.0] * 4, [1.0] * 4, None)
    measured, verdict = vq.rotation_claim(study)
    assert measured["eigvec_corr_1_aligned"]["mean"] == pytest.approx(0.7)
    assert measured["eigvec_corr_2_aligned"]["mean"] == pytest.approx(0.35)
    assert verdict == "reproduced"  # aligned > unaligned per seed; 0.85 >= 0.875 - 2 * 0.035


def test_joint_histograms_by_hand():
    a = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    b = torch.tensor([[0.0, 2.0], [1.0, 0.0]])
    counts = vq.joint_histograms([a, b])
    assert counts.shape == (2, 2, 3, 3)
    assert counts[0, 1].tolist() == [[2, 0, 0], [0, 1, 1], [0, 0, 0]]  # (0,0) twice, (1,1) and (1,2) once
    assert torch.equal(counts[1, 0], counts[0, 1].T) and counts[0, 0].sum() == 4
    assert vq.joint_histograms([a + 0.5]) is None  # not integers: no histogram path


def test_heat_cosine_sweep_histogram_path_equals_direct():
    model_a, model_b = models.mlp([3, 10, 10, 1], seed=0), models.mlp([3, 10, 10, 10, 1], seed=1)
    x = torch.randn(80, 3, generator=torch.Generator().manual_seed(0))
    ds = [vq.vq_distance(model_a, x), vq.vq_distance(model_b, x), vq.vq_distance(model_a, x[torch.arange(80).flip(0)])]
    for form, grid in (("linear", [0.5, 3.0, 40.0]), ("squared", [2.0, 50.0, 900.0])):
        fast = vq.heat_cosine_sweep(ds, grid, form)
        direct = torch.stack([vq.cosine_table([vq.heat_kernel(d, s, form) for d in ds]) for s in grid])
        torch.testing.assert_close(fast, direct, rtol=1e-5, atol=1e-6)
        assert fast.shape == (3, 3, 3) and torch.all(fast.diagonal(dim1=1, dim2=2) == 1)
    weighted = [vq.vq_distance(model_a, x, layer_weights=[0.5, 1.5]), ds[0]]  # non-integer: direct path
    torch.testing.assert_close(vq.heat_cosine_sweep(weighted, [3.0], "linear")[0],
                               vq.cosine_table([vq.heat_kernel(d, 3.0) for d in weighted]))
    with pytest.raises(ValueError, match="sigma2"):
        vq.heat_cosine_sweep(ds, [0.0])
    with pytest.raises(ValueError, match="one shape"):
        vq.heat_cosine_sweep([ds[0], ds[0][:5]], [1.0])


def test_entry_spread_by_hand():
    a = torch.eye(4, dtype=torch.float64)
    b = a.clone()
    b[0, 1] = b[1, 0] = 0.2  # entry (0, 1) varies over the two seeds, the others do not
    spread = vq.entry_spread(torch.stack([a, b]))
    assert spread == pytest.approx((0.2 / 2**0.5) / 6)
    with pytest.raises(ValueError, match="two seeds"):
        vq.entry_spread(a[None])


def test_report_figures_have_titled_axes():
    import matplotlib

    matplotlib.use("Agg")
    d = vq.vq_distance(models.mlp([2, 6, 6, 1], seed=0), torch.rand(30, 2, generator=torch.Generator().manual_seed(0)))
    fig = vq.plot_depth_kernels([d, d], torch.arange(30) % 3, ["A", "B"])
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["A", "B"]
    fig = vq.plot_table_comparison([vq.PAPER_COSINES, vq.PAPER_COSINES], ["ours", "paper"])
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in axes] == ["ours", "paper"]
    assert [t.get_text() for t in axes[0].get_yticklabels()] == list(vq.KERNEL_NAMES)


def test_probed_adjacency_near_concurrent_lines():
    # seed 8: three of the 48 lines almost meet in one point, leaving a triangle of area ~1e-12 with edges
    # ~1e-6 long; a fixed probing step crossed the third line there and reported 2-bit "neighbours"
    from mlpgeo.regions import linear_regions_2d

    model = models.mlp([2, 48, 1], seed=8)
    regions = linear_regions_2d(model, (-1.0, 1.0, -1.0, 1.0))
    probed = vq.probed_adjacency(regions)
    codes = vq.region_codes(regions)
    assert int(((codes[probed[:, 0]] != codes[probed[:, 1]]).sum(1) > 1).sum()) == 0
    assert torch.equal(probed, torch.as_tensor(regions.adjacency(), dtype=torch.long).unique(dim=0))
    assert len(vq.probed_adjacency(regions, relative=1.0)) > len(probed)  # the fixed step alone finds false pairs
