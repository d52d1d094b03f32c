"""Tests of mlpgeo.bloom: the task, Bloom filter maths, the hand-built network, analysis, fits, errors."""

import math

import pytest
import torch

from mlpgeo import bloom


# ---------------------------------------------------------------------------------------------- task


def test_task_has_k_tokens_and_distribution_targets():
    x, y = bloom.k_of_v_task(500, 20, 3, seed=1)
    assert x.shape == y.shape == (500, 20)
    assert torch.equal(x.sum(1), torch.full((500,), 3.0))
    assert set(x.unique().tolist()) == {0.0, 1.0}
    assert torch.allclose(y.sum(1), torch.ones(500))
    assert torch.equal(y, x / 3)


def test_task_is_seeded_and_uniform():
    a, _ = bloom.k_of_v_task(4000, 10, 2, seed=5)
    b, _ = bloom.k_of_v_task(4000, 10, 2, seed=5)
    c, _ = bloom.k_of_v_task(4000, 10, 2, seed=6)
    assert torch.equal(a, b) and not torch.equal(a, c)
    marginal = a.mean(0)  # each token active with probability k / V = 0.2
    assert (marginal - 0.2).abs().max() < 0.03


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: bloom.k_of_v_task(10, 5, 6), "exceeds the vocabulary"),
        (lambda: bloom.k_of_v_task(10, 5, 0), "k must be an integer >= 1"),
        (lambda: bloom.random_hashes(10, 0, 1), "width"),
        (lambda: bloom.bloom_network([[0, 1], [2, 7]], width=4), "outside 0..3"),
        (lambda: bloom.bloom_network([[0, 1], [-1]], width=4), "outside 0..3"),
        (lambda: bloom.bloom_network([[0, 1]]), "pass width"),
        (lambda: bloom.bloom_network(torch.full((3, 4), 0.5)), "0/1"),
        (lambda: bloom.train_task_network(8, 0, 2), "width"),
        (lambda: bloom.train_task_network(8, 4, 9), "exceeds the vocabulary"),
        (lambda: bloom.BloomFilter(0, 2), "width"),
        (lambda: bloom.BloomFilter(8, 0), "h \\(hash functions\\)"),
        (lambda: bloom.bloom_network([[0], [1]], width=0), "width"),
        (lambda: bloom.bloom_network(torch.ones(3, 4, 1)), r"must be \(V, m\)"),
        (lambda: bloom.random_hashes(10, 4, 5), "h must lie in 1..m=4"),
        (lambda: bloom.false_positive_rate(0, 2, 3), "m >= 1"),
        (lambda: bloom.optimal_hashes(8, 0), "n >= 1"),
        (lambda: bloom.false_positive_rate(10, 2, 3, method="nope"), "unknown method"),
        (lambda: bloom.fit_error_curve([1, 2, 3], [0.1, 0, 0], "exponential"), "at least 3 positive"),
        (lambda: bloom.multi_hot(torch.tensor([[0, 9]]), 5), "token indices"),
        (lambda: bloom.bloom_membership(bloom.random_hashes(6, 4, 2), torch.zeros(3, 5)), "cover V=6"),
        (lambda: bloom.topk_accuracy(bloom.bloom_network(bloom.random_hashes(6, 4, 2)), torch.full((2, 6), math.nan), 2), "NaN"),
    ],
)
def test_bad_input_raises_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------------------------------ Bloom maths


def test_false_positive_rate_hand_computed():
    assert bloom.false_positive_rate(8, 1, 1) == pytest.approx(1 / 8)
    assert bloom.false_positive_rate(8, 1, 1, method="approx") == pytest.approx(1 - math.exp(-1 / 8))
    # two hashes, two items, four bits: bit set with probability 1 - (3/4)^4
    assert bloom.false_positive_rate(4, 2, 2) == pytest.approx((1 - 0.75**4) ** 2)
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


def test_real_bloom_filter_false_positive_rate_matches_formula():
    m, h, n = 1000, 5, 100
    rates = []
    for seed in range(30):
        keys = torch.randperm(10**6, generator=torch.Generator().manual_seed(seed))
        filt = bloom.BloomFilter(m, h, seed=seed)
        filt.add(keys[:n])
        assert filt.contains(keys[:n]).all()  # no false negatives, ever
        rates.append(float(filt.contains(keys[n : n + 20000]).float().mean()))
    measured = sum(rates) / len(rates)
    expected = bloom.false_positive_rate(m, n, h)  # 0.0094
    # 30 filters x 20000 queries: sampling error of the mean ~ 4% of p (bit fill varies per filter)
    assert measured == pytest.approx(expected, rel=0.15)


def test_bloom_membership_matches_per_row_filters():
    vocab, m, h = 40, 24, 3
    filt = bloom.BloomFilter(m, h, seed=3)
    hashes = filt.hash_matrix(vocab)
    x, _ = bloom.k_of_v_task(60, vocab, 4, seed=2)
    fast = bloom.bloom_membership(hashes, x)
    for row in range(len(x)):
        reference = bloom.BloomFilter(m, h, seed=3)
        reference.add(torch.nonzero(x[row]).flatten())
        assert torch.equal(fast[row], reference.contains(torch.arange(vocab)))
    assert (fast | (x == 0)).all() and (fast[x > 0]).all()  # every member answered "in"


# ------------------------------------------------------------------------------ hand-built network


@pytest.mark.parametrize("alpha", [1.0, 3.5])
def test_hand_built_network_equals_bloom_filter(alpha):
    vocab, m, k = 50, 20, 3
    hashes = bloom.random_hashes(vocab, m, 4, seed=1)
    model = bloom.bloom_network(hashes, alpha=alpha)
    x, _ = bloom.k_of_v_task(2000, vocab, k, seed=4)
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
    filt = bloom.BloomFilter(16, 2, seed=0)
    hashes = filt.hash_matrix(30)
    sets = [torch.nonzero(row).flatten().tolist() for row in hashes]
    model = bloom.bloom_network(sets, width=16)
    x = bloom.multi_hot(torch.tensor([[1, 7, 20]]), 30)
    filt.add(torch.tensor([1, 7, 20]))
    assert torch.equal(bloom.network_membership(model, x)[0], filt.contains(torch.arange(30)))


def test_extract_hashes_recovers_hand_built_hashes():
    hashes = bloom.random_hashes(60, 16, 5, seed=2)
    model = bloom.bloom_network(hashes)
    assert torch.equal(bloom.extract_hashes(model, side="low"), hashes)
    assert torch.equal(bloom.extract_hashes(model, side="minority"), hashes)  # 5 of 16 bits: the rare side
    modes = bloom.weight_modes(model[0].weight)
    assert modes.low == pytest.approx(-1.0) and modes.high == pytest.approx(0.0)
    assert modes.bimodal


def test_analysis_of_the_hand_built_network_reads_a_bloom_filter():
    vocab, m, k = 80, 24, 2
    hashes = bloom.random_hashes(vocab, m, 8, seed=0)
    model = bloom.bloom_network(hashes, alpha=5.0)
    x, _ = bloom.k_of_v_task(3000, vocab, k, seed=1)
    result = bloom.analyze_network(model, x, k)
    assert result.r2_union == pytest.approx(1.0)  # hidden = empty-bucket indicator exactly
    assert result.r2_count < 0.99
    assert result.mean_hash_size == pytest.approx(8.0)
    assert result.extracted_bloom_fpr == pytest.approx(
        bloom.measured_false_positive_rate(bloom.bloom_membership(hashes, x), x))
    comparison = bloom.compare_with_bloom_network(model, x, k)
    assert comparison["agreement"] == 1.0 and comparison["logit_corr"] == pytest.approx(1.0)


# ------------------------------------------------------------------------------- analysis helpers


def test_weight_modes_detects_two_modes_and_rejects_one():
    generator = torch.Generator().manual_seed(0)
    mixture = torch.cat([0.05 * torch.randn(6000, generator=generator), 1 + 0.05 * torch.randn(2000, generator=generator)])
    modes = bloom.weight_modes(mixture)
    assert modes.low == pytest.approx(0.0, abs=0.01) and modes.high == pytest.approx(1.0, abs=0.01)
    assert modes.fraction_high == pytest.approx(0.25, abs=0.01)
    assert modes.bimodal and modes.valley_ratio < 0.05
    for unimodal in (torch.randn(8000, generator=generator), torch.rand(8000, generator=generator)):
        assert not bloom.weight_modes(unimodal).bimodal


def test_unit_r2_exact_and_independent():
    generator = torch.Generator().manual_seed(0)
    feature = torch.randn(5000, 3, generator=generator)
    assert torch.allclose(bloom.unit_r2(2 * feature + 1, feature), torch.ones(3))
    noise = torch.randn(5000, 3, generator=generator)
    assert (bloom.unit_r2(noise, feature) < 0.01).all()
    assert torch.isnan(bloom.unit_r2(torch.zeros(5000, 3), feature)).all()


def test_clipping_rate_counts_negative_preactivations():
    model = bloom.bloom_network(bloom.random_hashes(10, 4, 4, seed=0))  # every token hits every bit
    x, _ = bloom.k_of_v_task(100, 10, 2, seed=0)
    assert bloom.clipping_rate(model, x) == 1.0  # 1 - 2 < 0 for every unit


def test_subspace_bound_matches_pca_of_the_targets():
    vocab, k, m = 24, 2, 6
    _, y = bloom.k_of_v_task(200000, vocab, k, seed=0)
    eigenvalues = torch.linalg.eigvalsh(torch.cov(y.T.double()))  # ascending
    best_affine = float(eigenvalues[: vocab - m].sum()) / vocab
    assert bloom.subspace_mse_bound(vocab, m, k) == pytest.approx(best_affine, rel=0.03)
    assert bloom.constant_predictor_mse(vocab, k) == pytest.approx(float(eigenvalues.sum()) / vocab, rel=0.03)


# ----------------------------------------------------------------------------- baseline and fits


def test_superposition_scores_and_accuracy():
    embeddings = bloom.random_embeddings(30, 8, seed=0)
    x, _ = bloom.k_of_v_task(50, 30, 2, seed=0)
    assert torch.allclose(bloom.superposition_scores(embeddings, x), x @ embeddings.T @ embeddings)
    x, _ = bloom.k_of_v_task(500, 30, 2, seed=1)
    assert bloom.superposition_accuracy(30, 2000, 2, x) == 1.0  # nearly orthogonal embeddings
    assert bloom.superposition_accuracy(30, 2, 2, x) < 0.5


def test_superposition_interference_matches_its_expectation():
    vocab, k = 64, 3
    x, _ = bloom.k_of_v_task(4000, vocab, k, seed=0)
    for m in (8, 32):
        measured = sum(bloom.superposition_interference(vocab, m, k, x, seed=s) for s in range(20)) / 20
        assert measured == pytest.approx(k * (vocab + 1) / (vocab * m), rel=0.08)


def test_optimal_bloom_accuracy_matches_simulation():
    vocab, m, k = 128, 24, 2
    x, _ = bloom.k_of_v_task(4000, vocab, k, seed=0)
    h = bloom.best_integer_hashes(m, k)
    simulated = sum(bloom.exact_set_accuracy(bloom.bloom_membership(bloom.random_hashes(vocab, m, h, seed=s), x), x)
                    for s in range(10)) / 10
    # random_hashes draws h distinct bits (fewer collisions than Bloom's formula assumes): close, not equal
    assert bloom.optimal_bloom_accuracy(vocab, m, k) == pytest.approx(simulated, abs=0.1)


def test_fits_recover_known_curves():
    width = torch.arange(4, 40, 4).double()
    exponential = 3.0 * torch.exp(-0.2 * width)
    fits = bloom.compare_fits(width, exponential)
    assert fits["better"] == "exponential"
    assert fits["exponential"].a == pytest.approx(math.log(3.0)) and fits["exponential"].b == pytest.approx(0.2)
    assert fits["exponential"].rmse_log == pytest.approx(0.0, abs=1e-9)
    power = 5.0 * width**-1.5
    fits = bloom.compare_fits(width, power)
    assert fits["better"] == "power"
    assert fits["power"].b == pytest.approx(1.5) and fits["power"].a == pytest.approx(math.log(5.0))
    assert torch.allclose(fits["power"].predict(width), power)
    # zeros are left out, not logged
    with_zero = torch.cat([exponential, torch.zeros(1)])
    assert bloom.fit_error_curve(torch.cat([width, torch.tensor([100.0])]), with_zero, "exponential").n_points == len(width)


def test_fit_matches_a_least_squares_solve_on_noisy_data():
    g = torch.Generator().manual_seed(0)
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


def test_training_is_seeded():
    a, loss_a = bloom.train_task_network(16, 8, 2, n_train=256, epochs=2, batch_size=64, seed=3)
    b, loss_b = bloom.train_task_network(16, 8, 2, n_train=256, epochs=2, batch_size=64, seed=3)
    assert loss_a == loss_b and torch.equal(a[0].weight, b[0].weight)


# ------------------------------------------------------------------------------- studies and verdicts


def _modes(low, high, bimodal=True):
    return bloom.WeightModes(low=low, high=high, threshold=(low + high) / 2, fraction_high=0.5, ashman_d=3.0,
                             bimodality_coefficient=0.6, valley_ratio=0.2 if bimodal else 0.9, bimodal=bimodal)


def test_grid_configs_cross_tasks_with_variants_task_major():
    configs = bloom.grid_configs([(64, 16, 2), (256, 32, 4)])
    assert len(configs) == 2 * len(bloom.TRAINING_VARIANTS) == 16
    assert configs[0] == dict(vocab=64, width=16, k=2, **bloom.TRAINING_VARIANTS[0])
    assert configs[8] == dict(vocab=256, width=32, k=4, **bloom.TRAINING_VARIANTS[0])
    assert len({tuple(sorted(c.items())) for c in configs}) == 16


def test_grid_table_and_shares_hand_computed():
    base = dict(vocab=8, width=4, k=2, loss="cross_entropy", optimizer="adam", bias=True,
                mode_valley_ratio=0.3, mean_hash_size=2.0, h_star=1.4, clipping=0.5)
    rows = [dict(base, seed=0, accuracy=0.95, r2_union=0.8, r2_count=0.6, mode_bimodal=True),
            dict(base, seed=1, accuracy=0.85, r2_union=0.4, r2_count=0.6, mode_bimodal=False),
            dict(base, seed=2, accuracy=0.90, r2_union=0.5, r2_count=0.5, mode_bimodal=True),
            dict(base, seed=3, accuracy=0.99, r2_union=0.7, r2_count=0.1, mode_bimodal=True)]
    shares = bloom.grid_shares(rows)
    assert shares == {"bimodal": 0.75, "union_beats_count": 0.5, "solved": 0.5}  # 0.90 is not > 0.9
    (cell,) = bloom.grid_table(rows)
    assert cell["n"] == 4 and cell["accuracy"] == pytest.approx(0.9225)
    (derived,) = bloom.with_union_minus_count([cell])
    assert derived["union_minus_count"] == pytest.approx(0.6 - 0.45)
    assert "union_minus_count" not in cell  # the recorded table is not changed
    with pytest.raises(ValueError, match="at least one run"):
        bloom.grid_shares([])


def test_grid_where_lists_the_cells_where_a_property_holds():
    cell = dict(vocab=8, width=4, k=2, optimizer="adam", bias=True, mode_valley_ratio=0.3, r2_union=0.2, r2_count=0.6)
    groups = [dict(cell, loss="cross_entropy", accuracy=0.95), dict(cell, loss="softmax_mse", accuracy=0.5),
              dict(cell, vocab=16, loss="cross_entropy", accuracy=0.2, mode_valley_ratio=0.8)]
    where = bloom.grid_where(groups, lambda g: g["accuracy"] > 0.9)
    assert where == {(8, 4, 2): ["CE Adam bias"], (16, 4, 2): []}
    text = bloom.describe_grid_where(groups)
    assert "solved (accuracy > 0.9): 1 of 3 cells" in text
    assert "bimodal W_in (valley ratio < 0.5): 2 of 3 cells" in text
    assert "bimodal AND solved: 1 of 3 cells" in text
    assert "better than the count: 0 of 3 cells" in text
    assert bloom.variant_label("softmax_mse", "sgd", False, sep="/") == "sMSE/SGD+m/no bias"


def test_trained_network_comes_back_on_the_cpu():
    model, _ = bloom.train_task_network(16, 8, 2, n_train=64, epochs=1, batch_size=32, device="cpu")
    assert all(p.device.type == "cpu" for p in model.parameters())


def test_mode_offset_and_bimodal_verdict():
    assert bloom.mode_offset(_modes(0.0, 1.0)) == 0.0
    assert bloom.mode_offset(_modes(-1.0, 1.0)) == 0.5
    assert bloom.mode_offset(_modes(0.1, 2.1)) == pytest.approx(0.05)
    assert bloom.bimodal_verdict([_modes(0.0, 1.0), _modes(0.1, 1.1)]) == "reproduced"
    assert bloom.bimodal_verdict([_modes(0.0, 1.0), _modes(-1.0, 1.0)]) == "partly reproduced"
    assert bloom.bimodal_verdict([_modes(0.0, 1.0), _modes(0.0, 1.0, bimodal=False)]) == "not reproduced"
    measured, verdict = bloom.bimodal_claim([_modes(-1.0, 1.0)], 0.25)
    assert verdict == "partly reproduced" and measured["nearest_mode_to_zero_over_gap"]["mean"] == 0.5
    assert measured["grid_share_bimodal"] == 0.25


def test_linear_readout_claim_and_verdict():
    study = bloom.ReadoutStudy(bound=0.01, constant=0.011, mse_linear=[0.0101, 0.0100], accuracy_linear=[0.1, 0.2],
                               mse_softmax=[0.001, 0.002])
    measured, verdict = bloom.linear_readout_claim(study)
    assert verdict == "reproduced"
    assert measured["mse_over_bound"]["mean"] == pytest.approx(1.005, rel=1e-6)
    assert measured["bound_over_constant"] == pytest.approx(0.01 / 0.011)
    assert bloom.linear_readout_verdict([0.995, 1.2], [0.1]) == "reproduced"  # 1% slack below the bound
    assert bloom.linear_readout_verdict([0.98, 1.2], [0.1]) == "not reproduced"  # below the bound: impossible
    assert bloom.linear_readout_verdict([1.0], [0.6]) == "not reproduced"  # softmax not far below the bound
    assert "x constant" in study.describe()


def test_sparse_hashes_and_union_verdicts():
    assert bloom.sparse_hashes_verdict([11.0, 12.0], h_star=11.09, width=32, all_bimodal=True) == "reproduced"
    assert bloom.sparse_hashes_verdict([16.0, 12.0], h_star=11.09, width=32, all_bimodal=True) == "partly reproduced"
    assert bloom.sparse_hashes_verdict([11.0], h_star=11.09, width=32, all_bimodal=False) == "not reproduced"
    # within 30% of h* but not below m / 2: dense
    assert bloom.sparse_hashes_verdict([13.0], h_star=11.0, width=24, all_bimodal=True) == "partly reproduced"
    assert bloom.union_indicator_verdict([0.95, 0.92], [0.5, 0.6]) == "reproduced"
    assert bloom.union_indicator_verdict([0.95, 0.7], [0.5, 0.6]) == "partly reproduced"
    assert bloom.union_indicator_verdict([0.95, 0.5], [0.5, 0.6]) == "not reproduced"


def test_union_readout_and_agreement_verdicts():
    good = {"r2": 0.95, "accuracy": 0.9, "r2_count": 0.5}
    assert bloom.union_readout_verdict([good, good], [0.95, 0.99]) == "reproduced"
    assert bloom.union_readout_verdict([good, good], [0.95, 1.0 + 1e-9]) == "partly reproduced"  # keeps < 90%
    assert bloom.union_readout_verdict([{"r2": 0.6, "accuracy": 0.1, "r2_count": 0.5}], [0.9]) == "partly reproduced"
    assert bloom.union_readout_verdict([{"r2": 0.6, "accuracy": 0.1, "r2_count": 0.7}], [0.9]) == "not reproduced"
    assert bloom.union_readout_verdict([{"r2": 0.4, "accuracy": 0.9, "r2_count": 0.1}], [0.9]) == "not reproduced"
    assert bloom.bloom_agreement_verdict([0.9, 0.95], [0.1, 0.1]) == "reproduced"
    assert bloom.bloom_agreement_verdict([0.2, 0.95], [0.99, 0.95]) == "partly reproduced"
    assert bloom.bloom_agreement_verdict([0.2, 0.95], [0.99, 0.94]) == "not reproduced"


def test_mechanism_study_of_hand_built_networks_gives_bloom_verdicts():
    hashes = bloom.random_hashes(80, 24, 8, seed=0)  # 8 of 24 bits: quartile-started 2-means separates the modes
    models = [bloom.bloom_network(hashes, alpha=5.0)] * 2
    x_test, _ = bloom.k_of_v_task(1500, 80, 2, seed=3)
    x_fit, _ = bloom.k_of_v_task(1500, 80, 2, seed=4)
    study = bloom.mechanism_study(models, [0, 1], x_test, x_fit, 2)
    assert [v["agreement"] for v in study.versus] == [1.0, 1.0]
    assert bloom.bloom_agreement_claim(study)[1] == "reproduced"
    assert bloom.union_indicator_claim(study, 1.0)[1] == "reproduced"  # e_j is exactly [s_j = 0]
    assert study.describe().count("seed ") == 2


def test_scaling_helpers_hand_computed():
    assert bloom.bloom_decay_rate(2) == pytest.approx(math.log(2) ** 2 / 2)
    fit = bloom.CurveFit(kind="exponential", a=1.0, b=0.5, rmse_log=0.0, n_points=3)
    assert bloom.width_reaching(fit, math.exp(-4.0)) == pytest.approx(10.0)  # 1 - 0.5 m = -4
    assert float(fit.predict(bloom.width_reaching(fit, 0.01))) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="exponential"):
        bloom.width_reaching(bloom.CurveFit("power", 1.0, 0.5, 0.0, 3), 0.1)
    curves = {"learned_widths": [8, 16], "learned": [[0.5, 0.1], [0.3, 0.2]], "widths": [8, 16, 32],
              "superposition": [[0.9, 0.5, 0.2]] * 2, "bloom": [[0.8, 0.4, 0.1]] * 2}
    assert bloom.errors_at(curves, "learned", 16) == [0.1, 0.2]
    assert bloom.errors_at(curves, "bloom", 32) == [0.1, 0.1]
    with pytest.raises(ValueError, match="not on the learned curve"):
        bloom.errors_at(curves, "learned", 32)
    assert bloom.scaling_verdict("exponential", "power") == "reproduced"
    assert bloom.scaling_verdict("exponential", "exponential") == "partly reproduced"
    assert bloom.scaling_verdict("power", "exponential") == "not reproduced"


def test_scaling_fits_and_claim_on_known_curves():
    widths = [8, 12, 16, 20, 24]
    learned = [[math.exp(0.5 - 0.3 * m) for m in widths]] * 2  # exponential
    power = [[3.0 * m ** -1.5 for m in widths]] * 2  # power law (errors < 0.5 from m = 8 on)
    curves = {"learned_widths": widths, "learned": learned, "widths": widths, "superposition": power,
              "bloom": learned, "superposition_interference": power}
    fits = bloom.scaling_fits(curves)
    assert fits["learned"]["better"] == "exponential" and fits["superposition"]["better"] == "power"
    assert fits["learned"]["exponential"].b == pytest.approx(0.3)
    interference = bloom.interference_fits(curves)
    assert interference["power"].b == pytest.approx(1.5, rel=1e-5)
    measured, verdict = bloom.scaling_claim(curves, fits, interference, k=2, width=16)
    assert verdict == "reproduced" and measured["learned_error_at_16"]["mean"] == pytest.approx(math.exp(0.5 - 4.8))
    assert bloom.fit_summary(fits["learned"])["better"] == "exponential"


def test_vocabulary_claim_uses_the_largest_vocabulary():
    sweep = [dict(vocab=512, ratio=16.0, learned=0.2, bloom=0.1, superposition=0.0),
             dict(vocab=1024, ratio=32.0, learned=0.95, bloom=0.5, superposition=0.0),
             dict(vocab=1024, ratio=32.0, learned=0.7, bloom=0.4, superposition=0.0)]
    measured, verdict = bloom.vocabulary_claim(sweep)
    assert verdict == "partly reproduced"  # min accuracy 0.7 at V/m = 32
    assert measured["ratio_V_over_m"] == 32.0 and measured["accuracy_trained"]["n"] == 2


def test_hash_size_histogram_counts_every_token():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hashes = bloom.random_hashes(40, 12, 3, seed=0)
    x, _ = bloom.k_of_v_task(200, 40, 2, seed=0)
    analysis = bloom.analyze_network(bloom.bloom_network(hashes), x, 2)
    fig, ax = plt.subplots()
    bloom.plot_hash_sizes([analysis, analysis], 12, ax=ax)
    heights = [patch.get_height() for patch in ax.patches]
    assert sum(heights) == 80 and heights[3] == 80  # every token of both networks has exactly 3 bits
    plt.close(fig)
