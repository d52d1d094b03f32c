"""Tests of mlpgeo.bloom: the task, Bloom-filter maths, the hand-built network, the analysis of a network,
the JL baseline and the scaling fits; their bad inputs and float64 models."""

import math

import pytest
import torch
from torch import nn

from mlpgeo import bloom
from mlpgeo.models import mlp
from mlpgeo.validate import BudgetError


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def hand_built(vocab=80, m=24, h=8, alpha=5.0, seed=0, dtype=torch.float32):
    hashes = bloom.random_hashes(vocab, m, h, generator=gen(seed))
    return hashes, bloom.bloom_network(hashes, alpha=alpha, dtype=dtype)


# ---------------------------------------------------------------------------------------------- task


def test_task_has_k_tokens_and_distribution_targets():
    x, y = bloom.k_of_v_task(500, 20, 3, generator=gen(1))
    assert x.shape == y.shape == (500, 20) and x.dtype == torch.float32
    assert torch.equal(x.sum(1), torch.full((500,), 3.0))
    assert set(x.unique().tolist()) == {0.0, 1.0}
    assert torch.allclose(y.sum(1), torch.ones(500))
    assert torch.equal(y, x / 3)


def test_task_is_seeded_and_uniform():
    a, _ = bloom.k_of_v_task(4000, 10, 2, generator=gen(5))
    b, _ = bloom.k_of_v_task(4000, 10, 2, generator=gen(5))
    c, _ = bloom.k_of_v_task(4000, 10, 2, generator=gen(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
    marginal = a.mean(0)  # each token active with probability k / V = 0.2
    assert (marginal - 0.2).abs().max() < 0.03
    # every one of the C(10, 2) = 45 pairs appears, each about 4000 / 45 ~ 89 times
    pairs = torch.unique(a.nonzero()[:, 1].view(-1, 2), dim=0, return_counts=True)[1]
    assert len(pairs) == 45 and pairs.min() > 50 and pairs.max() < 130
    # no generator: torch's default seed, still reproducible
    assert torch.equal(bloom.k_of_v_task(50, 10, 2)[0], bloom.k_of_v_task(50, 10, 2)[0])


def test_sample_sets_in_chunks_equals_one_piece(monkeypatch):
    whole = bloom.sample_sets(300, 64, 5, generator=gen(2))
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "40KiB")  # a quarter = 10 KiB: 13 rows of 768 bytes per chunk
    chunked = bloom.sample_sets(300, 64, 5, generator=gen(2))
    assert torch.equal(whole, chunked)
    assert (torch.sort(whole, 1).values.diff(dim=1) > 0).all()  # distinct within each row


def test_k_of_v_task_float64():
    x, y = bloom.k_of_v_task(100, 12, 4, generator=gen(0), dtype=torch.float64)
    x32, _ = bloom.k_of_v_task(100, 12, 4, generator=gen(0))
    assert x.dtype == y.dtype == torch.float64 and torch.equal(x, x32.double())


def test_topk_set_and_accuracies_hand_computed():
    scores = torch.tensor([[0.9, 0.1, 0.5, 0.0], [0.0, 0.2, 0.3, 0.8]])
    x = torch.tensor([[1.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]])
    predicted = bloom.topk_set(scores, 2)
    assert predicted.tolist() == [[True, False, True, False], [False, False, True, True]]
    assert bloom.exact_set_accuracy(predicted, x) == 0.5
    assert bloom.measured_false_positive_rate(predicted, x) == 0.25  # 1 of the 4 absent tokens
    assert bloom.measured_false_positive_rate(torch.ones(1, 3, dtype=torch.bool), torch.ones(1, 3)) == 0.0  # k = V


# ------------------------------------------------------------------------------------ Bloom maths


def test_false_positive_rate_hand_computed():
    assert bloom.false_positive_rate(8, 1, 1) == pytest.approx(1 / 8)
    assert bloom.false_positive_rate(8, 1, 1, method="approx") == pytest.approx(1 - math.exp(-1 / 8))
    # two hashes, two items, four bits: bit set with probability 1 - (3/4)^4
    assert bloom.false_positive_rate(4, 2, 2) == pytest.approx((1 - 0.75**4) ** 2)
    assert bloom.false_positive_rate(8, 0, 3) == 0.0  # nothing stored: no false positives
    # the approximation converges to the exact formula for large m
    assert bloom.false_positive_rate(10**6, 10**4, 7, "approx") == pytest.approx(
        bloom.false_positive_rate(10**6, 10**4, 7), rel=1e-4)


@pytest.mark.parametrize(
    "m, k, h_star, p_star, fp_1000, fp_10000",
    [(64, 4, 11.1, 4.6e-4, 0.46, 4.6), (64, 8, 5.5, 2.2e-2, 21, 216), (128, 8, 11.1, 4.6e-4, 0.46, 4.6),
     (256, 8, 22.2, 2.1e-7, 2e-4, 2e-3)],
)
def test_optimal_hashes_match_reference_table(m, k, h_star, p_star, fp_1000, fp_10000):
    h = bloom.optimal_hashes(m, k)
    assert h == pytest.approx(h_star, abs=0.05)
    p = 2.0**-h
    assert p == pytest.approx(p_star, rel=0.05)
    assert p == pytest.approx(bloom.false_positive_rate(m, k, h, "approx"), rel=1e-9)  # p* = 2^-h* at h*
    assert (1000 - k) * p == pytest.approx(fp_1000, rel=0.06)
    assert (10000 - k) * p == pytest.approx(fp_10000, rel=0.06)


def test_best_integer_hashes_minimises_the_rate():
    for m, n in [(64, 4), (100, 7), (32, 2), (10, 9)]:
        best = bloom.best_integer_hashes(m, n)
        rates = [bloom.false_positive_rate(m, n, h) for h in range(1, 40)]
        assert best == 1 + min(range(len(rates)), key=rates.__getitem__)


def test_bloom_decay_rate_and_optimal_accuracy_formula():
    assert bloom.bloom_decay_rate(2) == pytest.approx(math.log(2) ** 2 / 2)
    # p* = 2^-h* = exp(-(ln 2)^2 m / k)
    assert 2.0 ** -bloom.optimal_hashes(40, 3) == pytest.approx(math.exp(-bloom.bloom_decay_rate(3) * 40))
    p = bloom.false_positive_rate(24, 2, bloom.best_integer_hashes(24, 2))
    assert bloom.optimal_bloom_accuracy(128, 24, 2) == pytest.approx((1 - p) ** 126)


def test_real_bloom_filter_false_positive_rate_matches_formula():
    m, h, n = 1000, 5, 100
    rates = []
    for seed in range(30):
        keys = torch.randperm(10**6, generator=gen(seed))
        filt = bloom.BloomFilter(m, h, generator=gen(seed))
        filt.add(keys[:n])
        assert filt.contains(keys[:n]).all()  # no false negatives, ever
        rates.append(float(filt.contains(keys[n : n + 20000]).float().mean()))
    measured = sum(rates) / len(rates)
    expected = bloom.false_positive_rate(m, n, h)  # 0.0094
    # 30 filters x 20000 queries: sampling error of the mean ~ 4% of p (bit fill varies per filter)
    assert measured == pytest.approx(expected, rel=0.15)


def test_bloom_filter_empty_batches_are_fine():
    filt = bloom.BloomFilter(16, 3, generator=gen(0))
    filt.add(torch.tensor([], dtype=torch.long))
    assert not filt.bits.any()
    assert filt.contains(torch.tensor([], dtype=torch.long)).shape == (0,)


def test_bloom_membership_matches_per_row_filters():
    vocab, m, h = 40, 24, 3
    filt = bloom.BloomFilter(m, h, generator=gen(3))
    hashes = filt.hash_matrix(vocab)
    x, _ = bloom.k_of_v_task(60, vocab, 4, generator=gen(2))
    fast = bloom.bloom_membership(hashes, x)
    for row in range(len(x)):
        reference = bloom.BloomFilter(m, h, generator=gen(3))
        reference.add(torch.nonzero(x[row]).flatten())
        assert torch.equal(fast[row], reference.contains(torch.arange(vocab)))
    assert (fast | (x == 0)).all() and (fast[x > 0]).all()  # every member answered "in"


def test_hash_hits_and_membership_in_chunks_equal_one_piece(monkeypatch):
    hashes = bloom.random_hashes(50, 16, 4, generator=gen(1))
    x, _ = bloom.k_of_v_task(400, 50, 3, generator=gen(2))
    hits, members = bloom.hash_hits(hashes, x), bloom.bloom_membership(hashes, x)
    assert torch.equal(hits, x @ hashes.float())  # s_j counts the active tokens whose hash holds bit j
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "64KiB")
    assert torch.equal(bloom.hash_hits(hashes, x), hits)
    assert torch.equal(bloom.bloom_membership(hashes, x), members)
    assert torch.equal(bloom.random_hashes(50, 16, 4, generator=gen(1)), hashes)


# ------------------------------------------------------------------------------ hand-built network


@pytest.mark.parametrize("alpha", [1.0, 3.5])
def test_hand_built_network_equals_bloom_filter(alpha):
    vocab, m, k = 50, 20, 3
    hashes = bloom.random_hashes(vocab, m, 4, generator=gen(1))
    model = bloom.bloom_network(hashes, alpha=alpha)
    x, _ = bloom.k_of_v_task(2000, vocab, k, generator=gen(4))
    members = bloom.bloom_membership(hashes, x)
    assert torch.equal(bloom.network_membership(model, x, alpha), members)
    with torch.no_grad():
        z = model(x)
    # logits: 0 for members, -alpha times the number of empty bits otherwise
    empty = (bloom.hash_hits(hashes, x) == 0).float()
    assert torch.allclose(z, -alpha * empty @ hashes.float().T)
    assert (z[members] == 0).all() and (z[~members] <= -alpha + 1e-6).all()
    # the test exercises false positives
    assert (members & (x == 0)).any()


def test_hand_built_network_from_index_sets_and_the_real_filter():
    filt = bloom.BloomFilter(16, 2, generator=gen(0))
    hashes = filt.hash_matrix(30)
    sets = [torch.nonzero(row).flatten().tolist() for row in hashes]
    model = bloom.bloom_network(sets, width=16)
    x = bloom.multi_hot(torch.tensor([[1, 7, 20]]), 30)
    filt.add(torch.tensor([1, 7, 20]))
    assert torch.equal(bloom.network_membership(model, x)[0], filt.contains(torch.arange(30)))


def test_hand_built_network_float64_gives_the_same_answers():
    hashes, model32 = hand_built(vocab=40, m=12, h=3)
    model64 = bloom.bloom_network(hashes, alpha=5.0, dtype=torch.float64)
    assert all(p.dtype == torch.float64 for p in model64.parameters())
    x, _ = bloom.k_of_v_task(300, 40, 2, generator=gen(0))
    assert torch.equal(bloom.network_membership(model64, x, 5.0), bloom.network_membership(model32, x, 5.0))


def test_extract_hashes_recovers_hand_built_hashes():
    hashes = bloom.random_hashes(60, 16, 5, generator=gen(2))
    model = bloom.bloom_network(hashes)
    assert torch.equal(bloom.extract_hashes(model, side="low"), hashes)
    assert torch.equal(bloom.extract_hashes(model, side="minority"), hashes)  # 5 of 16 bits: the rare side
    assert torch.equal(bloom.extract_hashes(model, side="high"), ~hashes)
    modes = bloom.weight_modes(model[0].weight)
    assert modes.low == pytest.approx(-1.0) and modes.high == pytest.approx(0.0)
    assert modes.bimodal


# --------------------------------------------------------------------------- analysis of a network


def test_analysis_of_the_hand_built_network_reads_a_bloom_filter():
    vocab, m, k = 80, 24, 2
    hashes, model = hand_built(vocab, m, 8)
    x, _ = bloom.k_of_v_task(3000, vocab, k, generator=gen(1))
    result = bloom.analyze_network(model, x, k)
    assert result.r2_union == pytest.approx(1.0)  # hidden = empty-bucket indicator exactly
    assert result.r2_count < 0.99
    assert result.mean_hash_size == pytest.approx(8.0) and torch.equal(result.hash_sizes, torch.full((vocab,), 8))
    assert result.extracted_bloom_fpr == pytest.approx(
        bloom.measured_false_positive_rate(bloom.bloom_membership(hashes, x), x))
    assert result.h_star == pytest.approx(bloom.optimal_hashes(m, k))
    assert set(result.summary()) >= {"r2_union", "mode_low", "mode_bimodal"} and "hash_sizes" not in result.summary()
    comparison = bloom.compare_with_bloom_network(model, x, k)
    assert comparison.agreement == 1.0 and comparison.logit_corr == pytest.approx(1.0)
    assert comparison.member_overlap == 1.0
    readout = bloom.union_readout(model, x[:1500], x[1500:], k)
    # the hand-built logits are exactly linear in the empty-bucket indicators 1 - u
    assert readout.r2 == pytest.approx(1.0) and readout.r2_count < readout.r2
    assert set(readout.as_dict()) == {"r2", "accuracy", "r2_count", "accuracy_count"}


def test_analysis_is_seeded_by_its_generator():
    _, model = hand_built()
    x, _ = bloom.k_of_v_task(500, 80, 2, generator=gen(1))
    a = bloom.analyze_network(model, x, 2, generator=gen(3))
    b = bloom.analyze_network(model, x, 2, generator=gen(3))
    assert a.optimal_bloom_accuracy == b.optimal_bloom_accuracy
    reference = bloom.random_hashes(80, 24, min(bloom.best_integer_hashes(24, 2), 24), generator=gen(3))
    assert a.optimal_bloom_accuracy == bloom.exact_set_accuracy(bloom.bloom_membership(reference, x), x)


def test_analysis_of_a_float64_network_matches_float32():
    hashes, model32 = hand_built()
    model64 = bloom.bloom_network(hashes, alpha=5.0, dtype=torch.float64)
    x, _ = bloom.k_of_v_task(800, 80, 2, generator=gen(1))
    a32 = bloom.analyze_network(model32, x, 2, generator=gen(0))
    a64 = bloom.analyze_network(model64, x, 2, generator=gen(0))
    assert a64.network_accuracy == a32.network_accuracy and a64.r2_union == pytest.approx(a32.r2_union)
    assert bloom.compare_with_bloom_network(model64, x, 2).agreement == 1.0
    assert bloom.union_readout(model64, x[:400], x[400:], 2).r2 == pytest.approx(1.0)
    assert bloom.topk_accuracy(model64, x, 2) == bloom.topk_accuracy(model32, x, 2)
    assert bloom.clipping_rate(model64, x) == bloom.clipping_rate(model32, x)
    assert bloom.output_mse(model64, x, 2, softmax=True) == pytest.approx(bloom.output_mse(model32, x, 2, softmax=True), rel=1e-5)


def test_a_trained_float64_network_is_read_in_float64():
    model = mlp([16, 8, 16], generator=gen(0), dtype=torch.float64)
    x, _ = bloom.k_of_v_task(200, 16, 2, generator=gen(1))  # float32 inputs: converted to the model's dtype
    analysis = bloom.analyze_network(model, x, 2)
    assert 0 <= analysis.network_accuracy <= 1 and math.isfinite(analysis.r2_count)
    assert math.isfinite(bloom.compare_with_bloom_network(model, x, 2).logit_corr)


def test_weight_modes_detects_two_modes_and_rejects_one():
    generator = gen(0)
    mixture = torch.cat([0.05 * torch.randn(6000, generator=generator), 1 + 0.05 * torch.randn(2000, generator=generator)])
    modes = bloom.weight_modes(mixture)
    assert modes.low == pytest.approx(0.0, abs=0.01) and modes.high == pytest.approx(1.0, abs=0.01)
    assert modes.fraction_high == pytest.approx(0.25, abs=0.01)
    assert modes.bimodal and modes.valley_ratio < 0.05
    assert bloom.weight_modes(mixture.double()) == modes  # computed in float64 either way
    for unimodal in (torch.randn(8000, generator=generator), torch.rand(8000, generator=generator)):
        assert not bloom.weight_modes(unimodal).bimodal


def test_valley_ratio_hand_built_histograms():
    two_blocks = torch.cat([torch.zeros(500), torch.ones(500)])  # two spikes, empty between
    assert bloom.valley_ratio(two_blocks) == 0.0
    assert bloom.valley_ratio(torch.linspace(0, 1, 4001)) > 0.85  # flat: no real dip (edge bins aside)


def test_unit_r2_exact_and_independent():
    generator = gen(0)
    feature = torch.randn(5000, 3, generator=generator)
    assert torch.allclose(bloom.unit_r2(2 * feature + 1, feature), torch.ones(3))
    noise = torch.randn(5000, 3, generator=generator)
    assert (bloom.unit_r2(noise, feature) < 0.01).all()
    assert torch.isnan(bloom.unit_r2(torch.zeros(5000, 3), feature)).all()  # dead units: NaN on purpose
    assert (bloom.unit_r2(feature, torch.ones(5000, 3)) == 0).all()  # constant feature explains nothing


def test_clipping_rate_counts_negative_preactivations():
    model = bloom.bloom_network(bloom.random_hashes(10, 4, 4, generator=gen(0)))  # every token hits every bit
    x, _ = bloom.k_of_v_task(100, 10, 2, generator=gen(0))
    assert bloom.clipping_rate(model, x) == 1.0  # 1 - 2 < 0 for every unit


def test_subspace_bound_matches_pca_of_the_targets():
    vocab, k, m = 24, 2, 6
    _, y = bloom.k_of_v_task(200000, vocab, k, generator=gen(0))
    eigenvalues = torch.linalg.eigvalsh(torch.cov(y.T.double()))  # ascending
    best_affine = float(eigenvalues[: vocab - m].sum()) / vocab
    assert bloom.subspace_mse_bound(vocab, m, k) == pytest.approx(best_affine, rel=0.03)
    assert bloom.constant_predictor_mse(vocab, k) == pytest.approx(float(eigenvalues.sum()) / vocab, rel=0.03)
    assert bloom.subspace_mse_bound(vocab, vocab, k) == 0.0  # as many units as tokens: no bound
    assert bloom.subspace_mse_bound(1, 1, 1) == 0.0  # one token: y is constant (no division by V - 1 = 0)


def test_output_mse_hand_computed():
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 3))
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    x = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    # raw outputs 0: MSE = mean((x / 1)^2) = 2 / 6; softmax outputs 1/3: ((2/3)^2 + 2 (1/3)^2) / 3
    assert bloom.output_mse(model, x, 1, softmax=False) == pytest.approx(1 / 3)
    assert bloom.output_mse(model, x, 1, softmax=True) == pytest.approx((4 / 9 + 2 / 9) / 3)


# ----------------------------------------------------------------------------- baseline and fits


def test_superposition_scores_and_accuracy():
    embeddings = bloom.random_embeddings(30, 8, generator=gen(0))
    x, _ = bloom.k_of_v_task(50, 30, 2, generator=gen(0))
    assert torch.allclose(bloom.superposition_scores(embeddings, x), x @ embeddings.T @ embeddings)
    x, _ = bloom.k_of_v_task(500, 30, 2, generator=gen(1))
    assert bloom.superposition_accuracy(bloom.random_embeddings(30, 2000, generator=gen(0)), x, 2) == 1.0  # ~orthogonal
    assert bloom.superposition_accuracy(bloom.random_embeddings(30, 2, generator=gen(0)), x, 2) < 0.5


def test_superposition_float64_and_chunks(monkeypatch):
    embeddings = bloom.random_embeddings(40, 8, generator=gen(0), dtype=torch.float64)
    assert embeddings.dtype == torch.float64
    x, _ = bloom.k_of_v_task(300, 40, 2, generator=gen(1))
    scores = bloom.superposition_scores(embeddings, x)
    assert scores.dtype == torch.float64
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "128KiB")  # chunks of 85 rows
    assert torch.allclose(bloom.superposition_scores(embeddings, x), scores, rtol=0, atol=1e-12)


def test_superposition_interference_matches_its_expectation():
    vocab, k = 64, 3
    x, _ = bloom.k_of_v_task(4000, vocab, k, generator=gen(0))
    for m in (8, 32):
        measured = sum(bloom.superposition_interference(bloom.random_embeddings(vocab, m, generator=gen(s)), x)
                       for s in range(20)) / 20
        assert measured == pytest.approx(k * (vocab + 1) / (vocab * m), rel=0.08)


def test_optimal_bloom_accuracy_matches_simulation():
    vocab, m, k = 128, 24, 2
    x, _ = bloom.k_of_v_task(4000, vocab, k, generator=gen(0))
    h = bloom.best_integer_hashes(m, k)
    simulated = sum(bloom.exact_set_accuracy(bloom.bloom_membership(bloom.random_hashes(vocab, m, h, generator=gen(s)), x), x)
                    for s in range(10)) / 10
    # random_hashes draws h distinct bits (fewer collisions than Bloom's formula assumes): close, not equal
    assert bloom.optimal_bloom_accuracy(vocab, m, k) == pytest.approx(simulated, abs=0.1)


def test_fits_recover_known_curves():
    width = torch.arange(4, 40, 4).double()
    exponential = 3.0 * torch.exp(-0.2 * width)
    fits = bloom.compare_fits(width, exponential)
    assert fits.better == "exponential"
    assert fits.exponential.a == pytest.approx(math.log(3.0)) and fits.exponential.b == pytest.approx(0.2)
    assert fits.exponential.rmse_log == pytest.approx(0.0, abs=1e-9)
    power = 5.0 * width**-1.5
    fits = bloom.compare_fits(width, power)
    assert fits.better == "power"
    assert fits.power.b == pytest.approx(1.5) and fits.power.a == pytest.approx(math.log(5.0))
    assert torch.allclose(fits.power.predict(width), power)
    # zeros are left out, not logged
    with_zero = torch.cat([exponential, torch.zeros(1)])
    assert bloom.fit_error_curve(torch.cat([width, torch.tensor([100.0])]), with_zero, "exponential").n_points == len(width)


def test_fit_matches_a_least_squares_solve_on_noisy_data():
    g = gen(0)
    width = torch.arange(2, 50, 3).double()
    error = torch.exp(1.0 - 0.1 * width + 0.3 * torch.randn(width.shape, generator=g, dtype=torch.float64))
    for kind in ("exponential", "power"):
        feature = width if kind == "exponential" else width.log()
        design = torch.stack([torch.ones_like(feature), -feature], 1)
        a, b = torch.linalg.lstsq(design, error.log().unsqueeze(1)).solution.squeeze(1).tolist()
        fit = bloom.fit_error_curve(width, error, kind)
        assert fit.a == pytest.approx(a, rel=1e-10) and fit.b == pytest.approx(b, rel=1e-10)
        residual = error.log() - (a - b * feature)
        assert fit.rmse_log == pytest.approx(float(residual.pow(2).mean().sqrt()), rel=1e-10)
    with pytest.raises(ValueError, match="two distinct widths"):
        bloom.fit_error_curve([8, 8, 8], [0.1, 0.2, 0.3], "exponential")


def test_tail_fits_keep_the_tail_of_the_seed_mean():
    widths = [4, 8, 12, 16, 20, 24]
    errors = [[0.9, 0.6, 0.3, 0.1, 0.03, 0.0], [0.9, 0.4, 0.1, 0.1, 0.01, 0.0]]  # means .9 .5 .2 .1 .02 0
    fits = bloom.tail_fits(widths, errors)
    assert fits.widths.tolist() == [12.0, 16.0, 20.0]  # 0 < mean < 0.5 (0.5 itself excluded)
    assert fits.errors.tolist() == pytest.approx([0.2, 0.1, 0.02])
    assert bloom.tail_fits(widths, errors[0], max_error=0.65).widths.tolist() == [8.0, 12.0, 16.0, 20.0]  # one seed


def test_width_reaching_inverts_the_exponential_fit():
    fit = bloom.CurveFit(kind="exponential", a=1.0, b=0.5, rmse_log=0.0, n_points=3)
    assert bloom.width_reaching(fit, math.exp(-4.0)) == pytest.approx(10.0)  # 1 - 0.5 m = -4
    assert float(fit.predict(bloom.width_reaching(fit, 0.01))) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="exponential"):
        bloom.width_reaching(bloom.CurveFit("power", 1.0, 0.5, 0.0, 3), 0.1)


# ------------------------------------------------------------------------------------ bad inputs

NAN = float("nan")


def _net(vocab=6, m=4):
    return bloom.bloom_network(bloom.random_hashes(vocab, m, 2, generator=gen(0)))


def _x(vocab=6, k=2, n=5):
    return bloom.k_of_v_task(n, vocab, k, generator=gen(0))[0]


def _nan_model():
    model = _net()
    with torch.no_grad():
        model[0].weight[0, 0] = NAN
    return model


BAD_INPUTS = [
    # the task: sizes, k, integers, generators, dtypes
    (lambda: bloom.k_of_v_task(10, 5, 6), ValueError, "exceeds the vocabulary"),
    (lambda: bloom.k_of_v_task(10, 5, 0), ValueError, "k must be >= 1"),
    (lambda: bloom.k_of_v_task(10, 5, -2), ValueError, "k must be >= 1"),
    (lambda: bloom.k_of_v_task(10, 5, 2.0), TypeError, "k must be an integer"),
    (lambda: bloom.k_of_v_task(10, 5.5, 2), TypeError, "vocab must be an integer"),
    (lambda: bloom.k_of_v_task(0, 5, 2), ValueError, "n must be >= 1"),
    (lambda: bloom.k_of_v_task(10.0, 5, 2), TypeError, "n must be an integer"),
    (lambda: bloom.k_of_v_task(10, 0, 1), ValueError, "vocab must be >= 1"),
    (lambda: bloom.k_of_v_task(10, 5, True), TypeError, "k must be an integer"),
    (lambda: bloom.k_of_v_task(10, 5, 2, generator=3), TypeError, "generator"),
    (lambda: bloom.k_of_v_task(10, 5, 2, dtype=torch.float16), TypeError, "dtype"),
    (lambda: bloom.k_of_v_task(10**7, 10**5, 2), BudgetError, "lower n"),
    (lambda: bloom.sample_sets(3, 5, 6, generator=gen(0)), ValueError, "exceeds the vocabulary"),
    (lambda: bloom.sample_sets(3, 5, 2, generator=0), TypeError, "torch.Generator"),
    (lambda: bloom.multi_hot(torch.tensor([[0, 9]]), 5), ValueError, "token indices"),
    (lambda: bloom.multi_hot(torch.tensor([[0.0, 1.0]]), 5), TypeError, "sets has dtype"),
    (lambda: bloom.multi_hot(torch.tensor([0, 1]), 5), ValueError, "sets has shape"),
    (lambda: bloom.multi_hot(torch.zeros(0, 2, dtype=torch.long), 5), ValueError, "sets is empty"),
    (lambda: bloom.topk_set(torch.zeros(2, 3), 4), ValueError, "k=4 exceeds"),
    (lambda: bloom.topk_set(torch.full((2, 3), NAN), 1), ValueError, "scores holds NaN"),
    (lambda: bloom.exact_set_accuracy(torch.zeros(2, 3), torch.zeros(2, 3)), TypeError, "predicted has dtype"),
    (lambda: bloom.exact_set_accuracy(torch.zeros(2, 3, dtype=torch.bool), torch.zeros(2, 4)), ValueError, "must match"),
    (lambda: bloom.measured_false_positive_rate(torch.zeros(0, 3, dtype=torch.bool), torch.zeros(0, 3)), ValueError, "empty"),
    # Bloom maths
    (lambda: bloom.false_positive_rate(0, 2, 3), ValueError, "m must be >= 1"),
    (lambda: bloom.false_positive_rate(8, -1, 3), ValueError, "n must be >= 0"),
    (lambda: bloom.false_positive_rate(8, 2, 0), ValueError, "h must be > 0"),
    (lambda: bloom.false_positive_rate(8, 2, NAN), ValueError, "h is nan"),
    (lambda: bloom.false_positive_rate(8, 2, math.inf), ValueError, "h is inf"),
    (lambda: bloom.false_positive_rate(8.5, 2, 3), TypeError, "m must be an integer"),
    (lambda: bloom.false_positive_rate(10, 2, 3, method="nope"), ValueError, "method='nope'"),
    (lambda: bloom.optimal_hashes(8, 0), ValueError, "n must be >= 1"),
    (lambda: bloom.best_integer_hashes(0, 2), ValueError, "m must be >= 1"),
    (lambda: bloom.optimal_bloom_accuracy(4, 8, 5), ValueError, "exceeds the vocabulary"),
    # a real filter and hash matrices
    (lambda: bloom.BloomFilter(0, 2), ValueError, "m must be >= 1"),
    (lambda: bloom.BloomFilter(8, 0), ValueError, "h must be >= 1"),
    (lambda: bloom.BloomFilter(8, 2.0), TypeError, "h must be an integer"),
    (lambda: bloom.BloomFilter(8, 2, generator=1), TypeError, "generator"),
    (lambda: bloom.BloomFilter(8, 2).add(torch.tensor([1.5])), TypeError, "keys has dtype"),
    (lambda: bloom.BloomFilter(8, 2).add(torch.tensor([-1])), ValueError, "keys must lie"),
    (lambda: bloom.BloomFilter(8, 2).contains([1, 2]), TypeError, "keys must be a torch.Tensor"),
    (lambda: bloom.BloomFilter(8, 2).hash_matrix(0), ValueError, "vocab must be >= 1"),
    (lambda: bloom.random_hashes(10, 0, 1), ValueError, "width must be >= 1"),
    (lambda: bloom.random_hashes(10, 4, 5), ValueError, "h must lie in 1..m=4"),
    (lambda: bloom.random_hashes(10, 4, 2, generator=7), TypeError, "generator"),
    (lambda: bloom.random_hashes(10**6, 10**4, 2), BudgetError, "lower vocab or width"),
    (lambda: bloom.bloom_network([[0, 1], [2, 7]], width=4), ValueError, "outside 0..3"),
    (lambda: bloom.bloom_network([[0, 1], [-1]], width=4), ValueError, "outside 0..3"),
    (lambda: bloom.bloom_network([[0, 1]]), ValueError, "pass width"),
    (lambda: bloom.bloom_network([[0.5]], width=2), TypeError, r"hashes\[0\] must be an integer"),
    (lambda: bloom.bloom_network([], width=2), ValueError, "non-empty"),
    (lambda: bloom.bloom_network(torch.full((3, 4), 0.5)), ValueError, "0/1"),
    (lambda: bloom.bloom_network(torch.full((3, 4), NAN)), ValueError, "hashes holds NaN"),
    (lambda: bloom.bloom_network(torch.ones(3, 4, dtype=torch.complex64)), TypeError, "complex"),
    (lambda: bloom.bloom_network([[0], [1]], width=0), ValueError, "width must be >= 1"),
    (lambda: bloom.bloom_network(torch.ones(3, 4, 1)), ValueError, "hashes has shape"),
    (lambda: bloom.bloom_network(torch.ones(3, 4), alpha=0), ValueError, "alpha must be > 0"),
    (lambda: bloom.bloom_network(torch.ones(3, 4), alpha=NAN), ValueError, "alpha is nan"),
    (lambda: bloom.bloom_network(torch.ones(3, 4), dtype=torch.int32), TypeError, "dtype"),
    (lambda: bloom.bloom_membership(bloom.random_hashes(6, 4, 2), torch.zeros(3, 5)), ValueError, "cover V=6"),
    (lambda: bloom.bloom_membership(bloom.random_hashes(6, 4, 2), torch.full((3, 6), NAN)), ValueError, "x holds NaN"),
    (lambda: bloom.hash_hits(bloom.random_hashes(6, 4, 2), torch.zeros(6)), ValueError, "x has shape"),
    (lambda: bloom.network_membership(_net(), _x(), alpha=-1.0), ValueError, "alpha must be > 0"),
    # networks and their inputs
    (lambda: bloom.topk_accuracy(_net(), torch.full((2, 6), NAN), 2), ValueError, "x holds NaN"),
    (lambda: bloom.topk_accuracy(_net(), _x().long(), 2), TypeError, "x has dtype"),
    (lambda: bloom.topk_accuracy(_net(), _x().half(), 2), TypeError, "x has dtype"),
    (lambda: bloom.topk_accuracy(_net(), _x().to(torch.complex64), 2), TypeError, "complex"),
    (lambda: bloom.topk_accuracy(_net(), torch.zeros(0, 6), 2), ValueError, "empty batch"),
    (lambda: bloom.topk_accuracy(_net(), _x(), 3), ValueError, "k=3"),
    (lambda: bloom.topk_accuracy(_net(), _x(), 7), ValueError, "k=7 exceeds"),
    (lambda: bloom.topk_accuracy(_net(), _x(), 0), ValueError, "k must be >= 1"),
    (lambda: bloom.topk_accuracy(_net(), 0.5 * _x(), 2), ValueError, "multi-hot"),
    (lambda: bloom.topk_accuracy(mlp([6, 4, 3]), _x(), 2), ValueError, "one logit per token"),
    (lambda: bloom.topk_accuracy(_nan_model(), _x(), 2), ValueError, "NaN"),
    (lambda: bloom.topk_accuracy(_net().half(), _x(), 2), TypeError, "model"),
    (lambda: bloom.topk_accuracy(nn.Linear(6, 6), _x(), 2), TypeError, "nn.Sequential"),
    (lambda: bloom.analyze_network(_net(), _x(), 2, side="middle"), ValueError, "side='middle'"),
    (lambda: bloom.analyze_network(_net(), _x(), 2, generator=0), TypeError, "generator"),
    (lambda: bloom.analyze_network(_net(), _x(k=3), 2), ValueError, "k=2"),
    (lambda: bloom.analyze_network(nn.Sequential(nn.Linear(6, 6)), _x(), 2), ValueError, "no hidden layer"),
    (lambda: bloom.compare_with_bloom_network(_net(), _x()[:, :5], 2), ValueError, "x has shape"),
    (lambda: bloom.union_readout(_net(), _x(), _x(k=1), 2), ValueError, "x_test has rows"),
    (lambda: bloom.union_readout(_net(), torch.full((5, 6), math.inf), _x(), 2), ValueError, "x_fit holds NaN or infinite"),
    (lambda: bloom.output_mse(_net(), _x(), 2, softmax="yes"), TypeError, "softmax"),
    (lambda: bloom.clipping_rate(_net(), _x(vocab=7)), ValueError, "x has shape"),
    (lambda: bloom.extract_hashes(_net(), modes="low"), TypeError, "modes"),
    (lambda: bloom.subspace_mse_bound(8, 0, 2), ValueError, "width must be >= 1"),
    (lambda: bloom.subspace_mse_bound(8, 4, 9), ValueError, "exceeds the vocabulary"),
    (lambda: bloom.constant_predictor_mse(8, 2.5), TypeError, "k must be an integer"),
    # weight modes and R^2
    (lambda: bloom.weight_modes(torch.ones(3)), ValueError, "at least 4"),
    (lambda: bloom.weight_modes(torch.ones(10)), ValueError, "single value"),
    (lambda: bloom.weight_modes(torch.tensor([0.0, 1.0, NAN, 2.0, 3.0])), ValueError, "weight holds NaN"),
    (lambda: bloom.weight_modes(torch.arange(10)), TypeError, "weight has dtype"),
    (lambda: bloom.weight_modes(torch.randn(10), iterations=0), ValueError, "iterations must be >= 1"),
    (lambda: bloom.valley_ratio(torch.randn(100), bins=10**9), ValueError, "bins must be"),
    (lambda: bloom.valley_ratio(torch.randn(100), bins=2.5), TypeError, "bins must be an integer"),
    (lambda: bloom.unit_r2(torch.ones(1, 3), torch.ones(1, 3)), ValueError, "at least 2 rows"),
    (lambda: bloom.unit_r2(torch.ones(4, 3), torch.ones(4, 2)), ValueError, "must match"),
    (lambda: bloom.unit_r2(torch.ones(4, 3), torch.full((4, 3), NAN)), ValueError, "feature holds NaN"),
    # the JL baseline
    (lambda: bloom.random_embeddings(10, 0), ValueError, "width must be >= 1"),
    (lambda: bloom.random_embeddings(10, 4, generator=5), TypeError, "generator"),
    (lambda: bloom.random_embeddings(10**6, 10**4), BudgetError, "lower width or vocab"),
    (lambda: bloom.superposition_scores(torch.ones(4, 6), torch.ones(3, 5)), ValueError, "cover V=6"),
    (lambda: bloom.superposition_scores(torch.full((4, 6), NAN), _x()), ValueError, "embeddings holds NaN"),
    (lambda: bloom.superposition_accuracy(torch.ones(4, 6), _x(), 9), ValueError, "k=9 exceeds"),
    # fits
    (lambda: bloom.fit_error_curve([1, 2, 3], [0.1, 0, 0], "exponential"), ValueError, "at least 3 positive"),
    (lambda: bloom.fit_error_curve([1, 2, 3], [0.1, 0.2, NAN], "power"), ValueError, "error holds NaN"),
    (lambda: bloom.fit_error_curve([0, 2, 3], [0.3, 0.2, 0.1], "power"), ValueError, "width must be > 0"),
    (lambda: bloom.fit_error_curve([1, 2, 3], [0.3, 0.2], "power"), ValueError, "one error per width"),
    (lambda: bloom.fit_error_curve([1, 2, 3], [0.3, -0.2, 0.1], "power"), ValueError, "negative"),
    (lambda: bloom.fit_error_curve(["a", "b", "c"], [0.3, 0.2, 0.1], "power"), TypeError, "width must be a sequence of numbers"),
    (lambda: bloom.fit_error_curve([1, 2, 3], [0.3, 0.2, 0.1], "cubic"), ValueError, "kind='cubic'"),
    (lambda: bloom.tail_fits([1, 2, 3], [[0.3, 0.2]]), ValueError, "one column per width"),
    (lambda: bloom.tail_fits([1, 2, 3], [[0.3, 0.2, 0.1]], max_error=NAN), ValueError, "max_error is nan"),
    (lambda: bloom.width_reaching(bloom.CurveFit("exponential", 1.0, 0.5, 0.0, 3), 0.0), ValueError, "error must be > 0"),
    (lambda: bloom.width_reaching(bloom.CurveFit("exponential", 1.0, 0.0, 0.0, 3), 0.1), ValueError, "flat"),
    (lambda: bloom.bloom_decay_rate(0), ValueError, "k must be >= 1"),
    (lambda: bloom.CurveFit("power", 1.0, 0.5, 0.0, 3).predict(torch.tensor([0.0, 1.0])), ValueError, "widths > 0"),
]


@pytest.mark.parametrize("call, error, message", BAD_INPUTS)
def test_bad_input_raises_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_budget_errors_name_the_size_and_the_argument(monkeypatch):
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "1MiB")
    with pytest.raises(BudgetError, match=r"needs about 3\.8 MiB.*lower n"):
        bloom.k_of_v_task(1000, 500, 2)  # x and y: 2 x 1000 x 500 float32
    x, _ = bloom.k_of_v_task(100, 500, 2, generator=gen(0))
    _, model = hand_built(vocab=500, m=8, h=2)
    with pytest.raises(BudgetError, match="pass fewer rows in x"):
        bloom.analyze_network(model, torch.cat([x] * 10), 2)
