"""Tests of mlpgeo.experiments.bloom: training drivers, the grid, studies, claim rules (both ways) and
their Claim records, tables and figures."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from mlpgeo import bloom  # noqa: E402
from mlpgeo.experiments import bloom as experiment  # noqa: E402
from mlpgeo.report import Claim, Table  # noqa: E402


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _modes(low, high, bimodal=True):
    return bloom.WeightModes(low=low, high=high, threshold=(low + high) / 2, fraction_high=0.5, ashman_d=3.0,
                             bimodality_coefficient=0.6, valley_ratio=0.2 if bimodal else 0.9, bimodal=bimodal)


def _readout(r2, accuracy, r2_count, accuracy_count=0.5):
    return bloom.UnionReadout(r2=r2, accuracy=accuracy, r2_count=r2_count, accuracy_count=accuracy_count)


def _check_claim(claim, claim_id, kind):
    assert isinstance(claim, Claim) and claim.id == claim_id and claim.kind == kind
    assert claim.section in experiment.SECTIONS.values() and claim.criterion and claim.claim
    return claim


# ------------------------------------------------------------------------------------------ training


def test_training_is_seeded_and_uses_the_seeded_sample():
    a, loss_a = experiment.train_task_network(16, 8, 2, n_train=256, epochs=2, batch_size=64, seed=3)
    b, loss_b = experiment.train_task_network(16, 8, 2, n_train=256, epochs=2, batch_size=64, seed=3)
    c, _ = experiment.train_task_network(16, 8, 2, n_train=256, epochs=2, batch_size=64, seed=4)
    assert loss_a == loss_b and torch.equal(a[0].weight, b[0].weight)
    assert not torch.equal(a[0].weight, c[0].weight)
    assert len(loss_a) == 2 and loss_a[1] < loss_a[0]


def test_trained_network_comes_back_on_the_cpu():
    model, _ = experiment.train_task_network(16, 8, 2, n_train=64, epochs=1, batch_size=32, device="cpu")
    assert all(p.device.type == "cpu" for p in model.parameters())


def test_default_learning_rates():
    assert experiment.default_lr("adam", "cross_entropy", 256) == 1e-2
    assert experiment.default_lr("sgd", "softmax_mse", 256) == 256**2 / 16
    with pytest.raises(ValueError, match="pass lr"):
        experiment.default_lr("sgd", "softmax", 8)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(lr=float("nan")), ValueError, "lr is nan"),
        (dict(lr=-0.1), ValueError, "lr must be > 0"),
        (dict(lr=0.0), ValueError, "lr must be > 0"),
        (dict(width=0), ValueError, "width must be >= 1"),
        (dict(width=4.0), TypeError, "width must be an integer"),
        (dict(k=9), ValueError, "exceeds the vocabulary"),
        (dict(k=0), ValueError, "k must be >= 1"),
        (dict(loss="hinge"), ValueError, "loss='hinge'"),
        (dict(epochs=-1), ValueError, "epochs must be >= 0"),
        (dict(seed=1.5), TypeError, "seed must be an integer"),
    ],
)
def test_bad_training_settings_raise_clear_errors(kwargs, error, message):
    settings = dict(vocab=8, width=4, k=2, n_train=32, epochs=1, batch_size=16) | kwargs
    vocab, width, k = settings.pop("vocab"), settings.pop("width"), settings.pop("k")
    with pytest.raises(error, match=message):
        experiment.train_task_network(vocab, width, k, **settings)


# ---------------------------------------------------------------------------------------------- grid


def test_grid_configs_cross_tasks_with_variants_task_major():
    configs = experiment.grid_configs([(64, 16, 2), (256, 32, 4)])
    assert len(configs) == 2 * len(experiment.TRAINING_VARIANTS) == 16
    assert configs[0] == dict(vocab=64, width=16, k=2, **experiment.TRAINING_VARIANTS[0])
    assert configs[8] == dict(vocab=256, width=32, k=4, **experiment.TRAINING_VARIANTS[0])
    assert len({tuple(sorted(c.items())) for c in configs}) == 16


def test_grid_run_is_one_cell_and_seed():
    row = experiment.grid_run(16, 8, 2, "cross_entropy", "adam", True, seed=0, n_test=64, n_train=64, epochs=1)
    assert [row[key] for key in experiment.GRID_KEYS] == [16, 8, 2, "cross_entropy", "adam", True] and row["seed"] == 0
    assert row["accuracy"] == row["network_accuracy"] and 0 <= row["accuracy"] <= 1
    assert set(experiment.GRID_METRICS) <= set(row)
    assert experiment.run_grid([dict(vocab=16, width=8, k=2, **experiment.TRAINING_VARIANTS[0])], [0], n_test=64,
                               n_train=64, epochs=1) == [row]


def test_grid_table_and_shares_hand_computed():
    base = dict(vocab=8, width=4, k=2, loss="cross_entropy", optimizer="adam", bias=True,
                mode_valley_ratio=0.3, mean_hash_size=2.0, h_star=1.4, clipping=0.5)
    rows = [dict(base, seed=0, accuracy=0.95, r2_union=0.8, r2_count=0.6, mode_bimodal=True),
            dict(base, seed=1, accuracy=0.85, r2_union=0.4, r2_count=0.6, mode_bimodal=False),
            dict(base, seed=2, accuracy=0.90, r2_union=0.5, r2_count=0.5, mode_bimodal=True),
            dict(base, seed=3, accuracy=0.99, r2_union=0.7, r2_count=0.1, mode_bimodal=True)]
    shares = experiment.grid_shares(rows)
    assert shares == {"bimodal": 0.75, "union_beats_count": 0.5, "solved": 0.5}  # 0.90 is not > 0.9
    (cell,) = experiment.grid_table(rows)
    assert cell["n"] == 4 and cell["accuracy"] == pytest.approx(0.9225)
    assert cell["accuracy_std"] == pytest.approx(float(torch.tensor([0.95, 0.85, 0.9, 0.99]).double().std()))
    assert cell["h_star_std"] == 0.0
    (derived,) = experiment.with_union_minus_count([cell])
    assert derived["union_minus_count"] == pytest.approx(0.6 - 0.45)
    assert "union_minus_count" not in cell  # the recorded table is not changed
    with pytest.raises(ValueError, match="at least one run"):
        experiment.grid_shares([])


def test_grid_where_lists_the_cells_where_a_property_holds():
    cell = dict(vocab=8, width=4, k=2, optimizer="adam", bias=True, mode_valley_ratio=0.3, r2_union=0.2, r2_count=0.6)
    groups = [dict(cell, loss="cross_entropy", accuracy=0.95), dict(cell, loss="softmax_mse", accuracy=0.5),
              dict(cell, vocab=16, loss="cross_entropy", accuracy=0.2, mode_valley_ratio=0.8)]
    where = experiment.grid_where(groups, lambda g: g["accuracy"] > 0.9)
    assert where == {(8, 4, 2): ["CE Adam bias"], (16, 4, 2): []}
    text = experiment.describe_grid_where(groups)
    assert "solved (accuracy > 0.9): 1 of 3 cells" in text
    assert "bimodal W_in (valley ratio < 0.5): 2 of 3 cells" in text
    assert "bimodal AND solved: 1 of 3 cells" in text
    assert "better than the count: 0 of 3 cells" in text
    assert experiment.variant_label("softmax_mse", "sgd", False, sep="/") == "sMSE/SGD+m/no bias"


def test_optimal_bloom_table_rows():
    table = experiment.optimal_bloom_table([(64, 16, 2)])
    assert isinstance(table, Table)
    row = table.rows["V=64, m=16, k=2"]
    assert row["h"] == bloom.best_integer_hashes(16, 2) and row["exact-set accuracy"] == bloom.optimal_bloom_accuracy(64, 16, 2)
    assert "<table" in table._repr_html_()


# ------------------------------------------------------------------------------- read-out by MSE


def test_linear_readout_claim_and_verdict_both_ways():
    study = experiment.ReadoutStudy(bound=0.01, constant=0.011, mse_linear=[0.0101, 0.0100], accuracy_linear=[0.1, 0.2],
                                    mse_softmax=[0.001, 0.002])
    claim = _check_claim(experiment.claim_mse_linear_readout_bound(study), "mse-linear-readout-bound", "check")
    assert claim.verdict == "reproduced"
    assert claim.measured["mse_over_bound"]["mean"] == pytest.approx(1.005, rel=1e-6)
    assert claim.measured["bound_over_constant"] == pytest.approx(0.01 / 0.011)
    assert experiment.linear_readout_verdict([0.995, 1.2], [0.1]) == "reproduced"  # 1% slack below the bound
    assert experiment.linear_readout_verdict([0.98, 1.2], [0.1]) == "not reproduced"  # below the bound: impossible
    assert experiment.linear_readout_verdict([1.0], [0.6]) == "not reproduced"  # softmax not far below the bound
    assert study.table().rows["subspace bound"]["x constant"] == pytest.approx(0.01 / 0.011)


# ------------------------------------------------------------------------------------ the weights


def test_mode_offset_and_bimodal_verdict_both_ways():
    assert experiment.mode_offset(_modes(0.0, 1.0)) == 0.0
    assert experiment.mode_offset(_modes(-1.0, 1.0)) == 0.5
    assert experiment.mode_offset(_modes(0.1, 2.1)) == pytest.approx(0.05)
    assert experiment.bimodal_verdict([_modes(0.0, 1.0), _modes(0.1, 1.1)]) == "reproduced"
    assert experiment.bimodal_verdict([_modes(0.0, 1.0), _modes(-1.0, 1.0)]) == "partly reproduced"
    assert experiment.bimodal_verdict([_modes(0.0, 1.0), _modes(0.0, 1.0, bimodal=False)]) == "not reproduced"
    claim = _check_claim(experiment.claim_bimodal_weights([_modes(-1.0, 1.0)], 0.25), "bimodal-weights", "source")
    assert claim.verdict == "partly reproduced" and claim.measured["nearest_mode_to_zero_over_gap"]["mean"] == 0.5
    assert claim.measured["grid_share_bimodal"] == 0.25
    table = experiment.modes_table([7], [_modes(-1.0, 1.0)])
    assert table.rows["seed 7"]["low mode"] == -1.0


def test_hidden_biases_text():
    model = bloom.bloom_network(bloom.random_hashes(6, 4, 2, generator=gen(0)))  # every bias 1
    assert experiment.describe_hidden_biases([model, model]) == "hidden biases: mean 1.00, std 0.00"


# ---------------------------------------------------------------------------------- the mechanism


def test_sparse_hashes_and_union_verdicts_both_ways():
    assert experiment.sparse_hashes_verdict([11.0, 12.0], h_star=11.09, width=32, all_bimodal=True) == "reproduced"
    assert experiment.sparse_hashes_verdict([16.0, 12.0], h_star=11.09, width=32, all_bimodal=True) == "partly reproduced"
    assert experiment.sparse_hashes_verdict([11.0], h_star=11.09, width=32, all_bimodal=False) == "not reproduced"
    # within 30% of h* but not below m / 2: dense
    assert experiment.sparse_hashes_verdict([13.0], h_star=11.0, width=24, all_bimodal=True) == "partly reproduced"
    assert experiment.union_indicator_verdict([0.95, 0.92], [0.5, 0.6]) == "reproduced"
    assert experiment.union_indicator_verdict([0.95, 0.7], [0.5, 0.6]) == "partly reproduced"
    assert experiment.union_indicator_verdict([0.95, 0.5], [0.5, 0.6]) == "not reproduced"


def test_union_readout_and_agreement_verdicts_both_ways():
    good = _readout(0.95, 0.9, 0.5)
    assert experiment.union_readout_verdict([good, good], [0.95, 0.99]) == "reproduced"
    assert experiment.union_readout_verdict([good, good], [0.95, 1.0 + 1e-9]) == "partly reproduced"  # keeps < 90%
    assert experiment.union_readout_verdict([_readout(0.6, 0.1, 0.5)], [0.9]) == "partly reproduced"
    assert experiment.union_readout_verdict([_readout(0.6, 0.1, 0.7)], [0.9]) == "not reproduced"
    assert experiment.union_readout_verdict([_readout(0.4, 0.9, 0.1)], [0.9]) == "not reproduced"
    assert experiment.bloom_agreement_verdict([0.9, 0.95], [0.1, 0.1]) == "reproduced"
    assert experiment.bloom_agreement_verdict([0.2, 0.95], [0.99, 0.95]) == "partly reproduced"
    assert experiment.bloom_agreement_verdict([0.2, 0.95], [0.99, 0.94]) == "not reproduced"


def test_mechanism_study_of_hand_built_networks_gives_bloom_verdicts():
    hashes = bloom.random_hashes(80, 24, 8, generator=gen(0))  # 8 of 24 bits: 2-means separates the modes
    models = [bloom.bloom_network(hashes, alpha=5.0)] * 2
    x_test, _ = bloom.k_of_v_task(1500, 80, 2, generator=gen(3))
    x_fit, _ = bloom.k_of_v_task(1500, 80, 2, generator=gen(4))
    study = experiment.mechanism_study(models, [0, 1], x_test, x_fit, 2)
    assert [v.agreement for v in study.versus] == [1.0, 1.0]
    assert _check_claim(experiment.claim_converges_to_bloom_filter(study), "converges-to-bloom-filter", "source").verdict == "reproduced"
    assert _check_claim(experiment.claim_union_indicator(study, 1.0), "union-indicator", "source").verdict == "reproduced"
    readout = _check_claim(experiment.claim_linear_readout_from_union(study), "linear-readout-from-union", "source")
    assert readout.measured["r2_logits_from_union"]["mean"] == pytest.approx(1.0)
    # hashes of 8 bits = h* (m/k) ln 2 = 8.3 within 30%, below m/2 = 12, bimodal: a sparse Bloom filter
    assert _check_claim(experiment.claim_sparse_binary_hashes(study, 24), "sparse-binary-hashes", "source").verdict == "reproduced"
    metrics = study.metrics()
    assert list(metrics) == ["analysis", "union_readout", "versus_hand_built"]
    assert list(metrics["union_readout"][0]) == ["r2", "accuracy", "r2_count", "accuracy_count"]
    assert list(metrics["versus_hand_built"][0]) == ["agreement", "accuracy_trained", "accuracy_bloom", "member_overlap", "logit_corr"]
    assert study.table().rows["same top-k as the hand-built network"] == {"seed 0": 1.0, "seed 1": 1.0}
    assert "R2 union 1.00" in experiment.describe_hash_side(models, [0, 1], x_test, 2, side="low")


# ------------------------------------------------------------------------------------------ scaling


def test_scaling_helpers_hand_computed():
    curves = {"learned_widths": [8, 16], "learned": [[0.5, 0.1], [0.3, 0.2]], "widths": [8, 16, 32],
              "superposition": [[0.9, 0.5, 0.2]] * 2, "bloom": [[0.8, 0.4, 0.1]] * 2}
    assert experiment.errors_at(curves, "learned", 16) == [0.1, 0.2]
    assert experiment.errors_at(curves, "bloom", 32) == [0.1, 0.1]
    with pytest.raises(ValueError, match="not on the learned curve"):
        experiment.errors_at(curves, "learned", 32)
    assert experiment.scaling_verdict("exponential", "power") == "reproduced"
    assert experiment.scaling_verdict("exponential", "exponential") == "partly reproduced"
    assert experiment.scaling_verdict("power", "power") == "partly reproduced"
    assert experiment.scaling_verdict("power", "exponential") == "not reproduced"


def test_scaling_fits_and_claim_on_known_curves():
    widths = [8, 12, 16, 20, 24]
    learned = [[math.exp(0.5 - 0.3 * m) for m in widths]] * 2  # exponential
    power = [[3.0 * m ** -1.5 for m in widths]] * 2  # power law (errors < 0.5 from m = 8 on)
    curves = {"learned_widths": widths, "learned": learned, "learned_loss": learned, "widths": widths,
              "superposition": power, "bloom": learned, "superposition_interference": power}
    fits = experiment.scaling_fits(curves)
    assert fits["learned"].better == "exponential" and fits["superposition"].better == "power"
    assert fits["learned"].exponential.b == pytest.approx(0.3)
    interference = experiment.interference_fits(curves)
    assert interference.power.b == pytest.approx(1.5, rel=1e-5)
    claim = _check_claim(experiment.claim_exponential_vs_polynomial(curves, fits, interference, k=2, width=16),
                         "exponential-vs-polynomial", "source")
    assert claim.verdict == "reproduced" and claim.measured["learned_error_at_16"]["mean"] == pytest.approx(math.exp(0.5 - 4.8))
    summary = experiment.fit_summary(fits["learned"])
    assert summary["better"] == "exponential" and summary["widths"] == [8.0, 12.0, 16.0, 20.0, 24.0]
    assert experiment.interference_summary(interference)["better"] == "power"
    assert experiment.fits_table(fits).rows["superposition"]["better fit"] == "power"
    assert "bloom reaches the trained network's error at m=16" in experiment.describe_scaling(curves, fits, interference, 2, 16)
    assert claim.measured["learned_loss_at_16"]["mean"] == pytest.approx(math.exp(0.5 - 4.8))
    assert next(iter(claim.measured)) == "learned_loss_power_over_exp_rmse"
    # the losses decide: JL's loss exponential too -> partly (the top-k reading stays "reproduced" beside it)
    swapped = dict(curves, superposition_interference=learned)
    claim = experiment.claim_exponential_vs_polynomial(swapped, fits, experiment.interference_fits(swapped), 2, 16)
    assert claim.verdict == "partly reproduced"
    assert claim.measured["verdict_on_topk_error (first rule, second reading)"] == "reproduced"
    # both losses the wrong way -> not reproduced
    wrong = dict(curves, superposition_interference=learned, learned_loss=power)
    assert experiment.claim_exponential_vs_polynomial(wrong, fits, interference, 2, 16).verdict == "not reproduced"


def test_loss_scaling_verdict_all_three_ways():
    assert experiment.loss_scaling_verdict(1.0, 1.0) == "reproduced"
    assert experiment.loss_scaling_verdict(1.0, 0.5) == "partly reproduced"
    assert experiment.loss_scaling_verdict(0.5, 0.0) == "not reproduced"


def test_baseline_errors_are_the_lens_baselines_seeded():
    x, _ = bloom.k_of_v_task(300, 40, 2, generator=gen(1))
    errors = experiment.baseline_errors(40, 12, 2, seed=5, x_test=x)
    embeddings = bloom.random_embeddings(40, 12, generator=gen(5))
    assert errors["superposition"] == 1 - bloom.superposition_accuracy(embeddings, x, 2)
    assert errors["superposition_interference"] == bloom.superposition_interference(embeddings, x)
    hashes = bloom.random_hashes(40, 12, bloom.best_integer_hashes(12, 2), generator=gen(5))
    assert errors["bloom"] == 1 - bloom.exact_set_accuracy(bloom.bloom_membership(hashes, x), x)
    assert torch.equal(experiment.task_inputs(300, 40, 2, 1), x)
    curves = experiment.scaling_errors(40, 2, widths=[12, 16], seeds=[5], test_seed=1, n_test=300, learned_widths=[8],
                                       n_train=64, epochs=1)
    assert curves["superposition"] == [[errors["superposition"], experiment.baseline_errors(40, 16, 2, 5, x)["superposition"]]]
    assert len(curves["learned"]) == 1 and len(curves["learned"][0]) == 1


# ------------------------------------------------------------------------------------- vocabulary


def test_vocabulary_claim_uses_the_largest_vocabulary_both_ways():
    sweep = [dict(vocab=512, ratio=16.0, learned=0.2, bloom=0.1, superposition=0.0),
             dict(vocab=1024, ratio=32.0, learned=0.95, bloom=0.5, superposition=0.0),
             dict(vocab=1024, ratio=32.0, learned=0.7, bloom=0.4, superposition=0.0)]
    claim = _check_claim(experiment.claim_vocab_much_larger_than_width(sweep), "vocab-much-larger-than-width", "source")
    assert claim.verdict == "partly reproduced"  # min accuracy 0.7 at V/m = 32
    assert claim.measured["ratio_V_over_m"] == 32.0 and claim.measured["accuracy_trained"]["n"] == 2
    sweep[2]["learned"] = 0.92
    assert experiment.claim_vocab_much_larger_than_width(sweep).verdict == "reproduced"
    sweep[2]["learned"] = 0.3
    assert experiment.claim_vocab_much_larger_than_width(sweep).verdict == "not reproduced"


def test_vocabulary_run_row_and_table():
    row = experiment.vocabulary_run(32, 8, 2, seed=0, n_test=128, n_train=64, epochs=1)
    assert row["ratio"] == 4.0 and row["h_star"] == pytest.approx(bloom.optimal_hashes(8, 2))
    x = experiment.held_out_inputs(128, 32, 2, 0)
    hashes = bloom.random_hashes(32, 8, bloom.best_integer_hashes(8, 2), generator=gen(0))
    assert row["bloom"] == bloom.exact_set_accuracy(bloom.bloom_membership(hashes, x), x)
    table = experiment.sweep_table([row])
    assert table.rows["V=32"]["trained"] == row["learned"]


# ------------------------------------------------------------------------------------------ figures


def test_hash_size_histogram_counts_every_token():
    hashes = bloom.random_hashes(40, 12, 3, generator=gen(0))
    x, _ = bloom.k_of_v_task(200, 40, 2, generator=gen(0))
    analysis = bloom.analyze_network(bloom.bloom_network(hashes), x, 2)
    fig, ax = plt.subplots()
    experiment.plot_hash_sizes([analysis, analysis], 12, ax=ax)
    heights = [patch.get_height() for patch in ax.patches]
    assert sum(heights) == 80 and heights[3] == 80  # every token of both networks has exactly 3 bits
    plt.close(fig)


def test_grid_figure_places_each_cell():
    groups = [dict(vocab=8, width=4, k=2, loss="cross_entropy", optimizer="adam", bias=True, accuracy=0.25),
              dict(vocab=8, width=4, k=2, loss="softmax_mse", optimizer="sgd", bias=False, accuracy=0.75)]
    fig, ax = plt.subplots()
    experiment.plot_grid(groups, "accuracy", ax=ax)
    assert [t.get_text() for t in ax.texts] == ["0.25", "0.75"]
    assert ax.images[0].get_array().tolist() == [[0.25, 0.75]]
    plt.close(fig)


# ------------------------------------------------------------------------------------------ the wider search


def _claim(claim_id, verdict, first=0.5):
    return Claim(id=claim_id, kind="source", claim="c", source_value="q", criterion="rule",
                 measured={"deciding": {"mean": first, "std": 0.0, "n": 1, "values": [first]}, "other": 1.0},
                 verdict=verdict, section=experiment.SECTIONS["mechanism"])


def test_hash_fpr_verdict_all_three_ways():
    assert experiment.hash_fpr_verdict([1.0, 1.9, 0.6]) == "reproduced"
    assert experiment.hash_fpr_verdict([1.0, 3.0]) == "partly reproduced"
    assert experiment.hash_fpr_verdict([1.0, 0.2]) == "not reproduced"
    assert experiment.hash_fpr_verdict([0.0]) == "not reproduced"


def test_hash_fpr_claim_on_a_hand_built_bloom_filter_is_reproduced():
    hashes = bloom.random_hashes(80, 24, 8, generator=gen(0))
    models = [bloom.bloom_network(hashes, alpha=5.0)] * 2
    x_test, _ = bloom.k_of_v_task(3000, 80, 2, generator=gen(3))
    study = experiment.mechanism_study(models, [0, 1], x_test, x_test[:500], 2)
    claim = _check_claim(experiment.claim_hash_fpr_matches_formula(study, 24, 2), "hash-fpr-matches-bloom-formula", "source")
    assert claim.verdict == "reproduced" and next(iter(claim.measured)) == "fpr_over_formula"


def test_regime_claim_keeps_both_regimes_and_the_deciding_number_first():
    claim = experiment.regime_claim(_claim("union-indicator", "reproduced", 0.9), _claim("union-indicator", "not reproduced", 0.1),
                                    "SGD", "Adam", default=_claim("union-indicator", "not reproduced", 0.2), default_label="first")
    assert claim.verdict == "reproduced" and claim.section == experiment.SECTIONS["search"]
    keys = list(claim.measured)
    assert keys[0] == "deciding" and claim.measured["deciding"]["mean"] == 0.9
    assert claim.measured["regime"] == "reproduced with A = SGD; not reproduced with B = Adam"
    assert claim.measured["B_deciding"]["mean"] == 0.1 and claim.measured["verdict_default_setting"] == "not reproduced (first)"
    flipped = experiment.regime_claim(_claim("x", "not reproduced"), _claim("x", "reproduced"), "A", "B")
    assert flipped.verdict == "not reproduced"
    with pytest.raises(ValueError, match="same claim"):
        experiment.regime_claim(_claim("x", "reproduced"), _claim("y", "reproduced"), "A", "B")


def _cell(lr, accuracy, union, count, diverged=0.0, task=(64, 16, 2)):
    return {"vocab": task[0], "width": task[1], "k": task[2], "optimizer": "sgd", "lr": lr, "steps": 100,
            "init_scale": 1.0, "accuracy": accuracy, "r2_union": union, "r2_count": count,
            "union_minus_count": union - count, "diverged": diverged}


def test_bloom_like_regimes_pick_the_extremes_among_solved_cells():
    cells = [_cell(0.1, 0.9, 0.4, 0.8), _cell(1.0, 0.8, 0.8, 0.5), _cell(5.0, 0.2, 0.95, 0.1),
             _cell(9.0, 0.9, 0.99, 0.0, diverged=1.0), _cell(0.5, 0.9, 0.99, 0.0, task=(128, 16, 2))]
    most, least = experiment.bloom_like_regimes(cells, (64, 16, 2))
    assert most["lr"] == 1.0 and least["lr"] == 0.1
    assert experiment.cell_regime(most) == {"optimizer": "sgd", "lr": 1.0, "steps": 100, "init_scale": 1.0}
    assert experiment.regime_label(**experiment.cell_regime(most)) == "SGD+m lr 1 (cosine), 100 steps, W_in init x1"
    with pytest.raises(ValueError, match="widen the search"):
        experiment.bloom_like_regimes(cells, (64, 16, 2), min_accuracy=0.95)
    text = experiment.search_where([{**c, "mode_valley_ratio": 1.0} for c in cells])
    assert "V=64, m=16, k=2: 2 of 4 regimes solve it" in text and "union beats count in 1 of them" in text


def test_plateau_drop_hand_computed():
    assert experiment.plateau_drop([4.0, 3.0, 2.0, 2.0, 2.0, 1.0]) == pytest.approx(0.5)  # L(4) = 2 -> L(5) = 1
    assert experiment.plateau_drop([1.0] * 10) == 0.0
    assert experiment.plateau_drop([1.0, math.nan]) == 1.0


def test_search_regimes_cross_every_setting():
    regimes = experiment.search_regimes({"adam": [1e-3, 1e-2], "sgd": [0.5]}, [0.1, 1.0], [64, 128])
    assert len(regimes) == 2 * 3 * 2 and regimes[0] == {"optimizer": "adam", "lr": 1e-3, "steps": 64, "init_scale": 0.1}


def test_search_task_rows_table_and_map():
    regimes = experiment.search_regimes({"adam": [1e-2], "sgd": [1e37]}, [1.0], [16])
    rows = experiment.search_task(16, 8, 2, regimes, [0, 1], n_test=256, n_train=256, batch_size=64)
    assert len(rows) == 4 and [r["seed"] for r in rows] == [0, 1, 0, 1]
    adam, sgd = rows[0], rows[2]
    assert adam["diverged"] == 0.0 and len(adam["epoch_loss"]) == 4 and 0 <= adam["accuracy"] <= 1
    assert adam["union_minus_count"] == pytest.approx(adam["r2_union"] - adam["r2_count"])
    assert sgd["diverged"] == 1.0 and sgd["accuracy"] == 0.0
    # the same network as the one-by-one trainer with a cosine schedule cannot be checked here; the same seed
    # and regime give the same row
    again = experiment.search_task(16, 8, 2, regimes[:1], [0], n_test=256, n_train=256, batch_size=64)
    assert again[0]["r2_union"] == adam["r2_union"]
    table = experiment.search_table(rows)
    assert len(table) == 2 and table[0]["n"] == 2 and math.isnan(table[1]["final_loss"])
    fig = experiment.plot_regime_map(table)
    assert len(fig.axes) == 2  # one panel and its colour bar
    plt.close(fig)
    ax = experiment.plot_search_losses(rows, (16, 8, 2), 16)
    assert len(ax.get_lines()) == 4
    plt.close("all")


def test_regime_table_has_one_column_per_regime():
    hashes = bloom.random_hashes(40, 16, 4, generator=gen(0))
    x, _ = bloom.k_of_v_task(400, 40, 2, generator=gen(1))
    study = experiment.mechanism_study([bloom.bloom_network(hashes, alpha=5.0)], [0], x, x, 2)
    table = experiment.regime_table({"A": study, "B": study})
    assert set(table.rows["same top-k as the hand-built network"]) == {"A", "B"}


def test_decay_rate_verdict_and_claim_all_three_ways():
    widths = [8, 12, 16, 20, 24]
    rate = math.log(2) ** 2 / 2

    def at(b):
        return [[math.exp(-1.0 - b * m) for m in widths]] * 2

    assert experiment.seed_decay_rates(widths, at(rate)) == [pytest.approx(rate)] * 2
    claim = _check_claim(experiment.claim_error_falls_at_bloom_rate(widths, at(rate), 2), "error-falls-at-bloom-rate", "source")
    assert claim.verdict == "reproduced" and claim.measured["rate_over_bloom_rate"]["mean"] == pytest.approx(1.0)
    assert experiment.claim_error_falls_at_bloom_rate(widths, at(3 * rate), 2).verdict == "partly reproduced"
    assert experiment.claim_error_falls_at_bloom_rate(widths, at(0.1 * rate), 2).verdict == "not reproduced"
    # no tail (every error 1): NaN rate, not reproduced
    assert experiment.decay_rate_verdict([math.nan]) == "not reproduced"
    assert math.isnan(experiment.seed_decay_rates(widths, [[1.0] * 5])[0])


def test_regime_width_sweep_shape():
    x, _ = bloom.k_of_v_task(200, 16, 2, generator=gen(1))
    regime = {"optimizer": "adam", "lr": 1e-2, "steps": 8, "init_scale": 1.0}
    errors = experiment.regime_width_sweep(16, 2, [4, 8], regime, [0, 1], x, n_train=128, batch_size=64)
    assert len(errors) == 2 and all(len(row) == 2 and all(0 <= e <= 1 for e in row) for row in errors)


# ---------------------------------------------------------------------------------- jobs (issue 13)


@pytest.fixture(scope="module")
def spawn_pool():
    import concurrent.futures
    import multiprocessing

    pool = concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
    yield pool
    pool.shutdown()


def _same(a, b):
    """Equal plain results: numbers (NaN equals NaN), tensors, dataclasses, lists, tuples and dicts."""
    import dataclasses

    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and bool(torch.equal(a.nan_to_num(), b.nan_to_num()))
    if dataclasses.is_dataclass(a):
        return type(a) is type(b) and _same(dataclasses.asdict(a), dataclasses.asdict(b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


def _job_cases():
    x, _ = bloom.k_of_v_task(128, 16, 2, generator=gen(1))
    hashes = bloom.random_hashes(16, 8, 3, generator=gen(0))
    regime = {"optimizer": "sgd", "lr": 1.0, "steps": 4, "init_scale": 1.0}
    small = dict(n_train=64, batch_size=32)
    return [
        (experiment.grid_run, [dict(vocab=16, width=8, k=2, loss="cross_entropy", optimizer=o, bias=True, seed=s,
                                    n_test=64, n_train=64, epochs=1) for o in ("adam", "sgd") for s in (0, 1)]),
        (experiment.train_network_job, [dict(vocab=16, width=8, k=2, seed=s, n_train=64, epochs=1) for s in (0, 1)]),
        (experiment.mse_readout_run, [dict(vocab=16, width=8, k=2, seed=s, x_test=x) for s in (0, 1)]),
        (experiment.mechanism_run, [dict(model=bloom.bloom_network(hashes, alpha=5.0), seed=s, x_test=x, x_fit=x, k=2)
                                    for s in (0, 1)]),
        (experiment.learned_run, [dict(vocab=16, width=m, k=2, seed=0, test_seed=1, n_test=128, n_train=64, epochs=1)
                                  for m in (4, 8)]),
        (experiment.baseline_curve, [dict(vocab=16, k=2, widths=[4, 8], seed=s, test_seed=1, n_test=128) for s in (0, 1)]),
        (experiment.vocabulary_run, [dict(vocab=16, width=8, k=2, seed=s, n_test=64, n_train=64, epochs=1) for s in (0, 1)]),
        (experiment.search_task, [dict(vocab=16, width=8, k=2, regimes=[{**regime, "lr": lr}], seeds=[0, 1], n_test=64,
                                       **small) for lr in (1.0, 1e37)]),
        (experiment.train_regime_job, [dict(vocab=16, width=8, k=2, regimes=[regime], seeds=[s], **small) for s in (0, 1)]),
        (experiment.regime_width_job, [dict(vocab=16, width=m, k=2, regime=regime, seeds=[0, 1], x_test=x, **small)
                                       for m in (4, 8)]),
    ]


def test_every_job_gives_the_same_results_in_process_and_in_two_spawned_processes(spawn_pool):
    from mlpgeo.experiments.jobs import run_jobs

    for fn, jobs in _job_cases():
        here = run_jobs(fn, jobs, progress=False)
        there = run_jobs(fn, jobs, executor=spawn_pool, progress=False)
        assert len(here) == len(jobs) and _same(here, there), fn.__name__


def test_drivers_pass_the_executor_on_and_keep_the_order(spawn_pool):
    regimes = experiment.search_regimes({"adam": [1e-2], "sgd": [1.0, 1e37]}, [0.1, 1.0], [8, 16])
    whole = experiment.search_task(16, 8, 2, regimes, [0, 1], n_test=64, n_train=64, batch_size=32)
    split = experiment.run_search([(16, 8, 2)], regimes, [0, 1], executor=spawn_pool, n_test=64, n_train=64, batch_size=32)
    # one stack per task or one per (steps, optimiser, lr): the same networks, in the same order, the same numbers
    assert [(r["steps"], r["optimizer"], r["lr"], r["init_scale"], r["seed"]) for r in split] == \
           [(r["steps"], r["optimizer"], r["lr"], r["init_scale"], r["seed"]) for r in whole]
    for a, b in zip(whole, split):
        assert a["diverged"] == b["diverged"] and a["accuracy"] == b["accuracy"]
        assert a["r2_union"] == pytest.approx(b["r2_union"], abs=1e-5)
        assert a["epoch_loss"] == pytest.approx(b["epoch_loss"], rel=1e-5, nan_ok=True)
    models = experiment.train_networks(16, 8, 2, [0, 1], executor=spawn_pool, n_train=64, epochs=1)
    direct = experiment.train_task_network(16, 8, 2, seed=1, n_train=64, epochs=1)[0]
    assert all(torch.equal(p, q) for p, q in zip(models[1].parameters(), direct.parameters()))
    regime = {"optimizer": "adam", "lr": 1e-2, "steps": 4, "init_scale": 1.0}
    trained = experiment.train_regimes(16, 8, 2, [regime, {**regime, "lr": 1e37, "optimizer": "sgd"}], [0, 1],
                                       executor=spawn_pool, n_train=64, batch_size=32)
    alone = experiment.train_regime(16, 8, 2, [regime], [0, 1], n_train=64, batch_size=32)
    assert [t[1] for t in trained] == [0, 1, 0, 1] and trained[2][2] is None
    assert all(torch.equal(p, q) for p, q in zip(trained[1][2].parameters(), alone[1][2].parameters()))
    assert experiment.run_jobs_largest_first(pow, [dict(base=2, exp=e) for e in (1, 3, 2)], [1, 3, 2]) == [2, 8, 4]


def test_a_search_network_trained_in_a_stack_equals_it_trained_alone_with_the_cosine_schedule():
    """The batched trainer with the search's cosine decay against a plain PyTorch loop (torch.optim + LambdaLR)."""
    from mlpgeo import batched
    from mlpgeo.models import mlp, seeded

    x, y = bloom.k_of_v_task(96, 16, 2, generator=gen(3))
    epochs, size = 3, 32
    steps = epochs * 3
    settings = [batched.NetworkSetting(seed=1, optimizer="sgd", lr=2.0, schedule="cosine", init_scale=3.0),
                batched.NetworkSetting(seed=2, optimizer="adam", lr=0.05, schedule="cosine", init_scale=0.5)]
    result = batched.train_stacked(x[None], y[None], [16, 8, 16], settings, epochs=epochs, batch_size=size)
    for i, s in enumerate(settings):
        model = mlp([16, 8, 16], generator=seeded(s.seed))
        with torch.no_grad():
            model[0].weight.mul_(s.init_scale)
        optimizer = (torch.optim.SGD(model.parameters(), lr=s.lr, momentum=s.momentum) if s.optimizer == "sgd"
                     else torch.optim.Adam(model.parameters(), lr=s.lr))
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 0.5 * (1 + math.cos(math.pi * t / steps)))
        order_generator = seeded(s.seed)
        for _ in range(epochs):
            order = torch.randperm(96, generator=order_generator)
            for start in range(0, 96, size):
                index = order[start:start + size]
                loss = -(y[index] * torch.log_softmax(model(x[index]), -1)).sum(-1).mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
        for a, b in zip(result.model(i).parameters(), model.parameters()):
            assert torch.allclose(a, b, atol=1e-5), (s.optimizer, (a - b).abs().max())


# ----------------------------------------------------------------- regime claims (issue 12, item 2)


@pytest.mark.parametrize("verdict_a, verdict_b", [("reproduced", "not reproduced"), ("partly reproduced", "not reproduced"),
                                                  ("not reproduced", "not reproduced"), ("reproduced", "reproduced")])
def test_regime_claim_can_give_every_verdict_and_names_where_it_holds(verdict_a, verdict_b):
    claim = experiment.regime_claim(_claim("converges-to-bloom-filter", verdict_a, 0.9),
                                    _claim("converges-to-bloom-filter", verdict_b, 0.1), "SGD lr 5", "Adam lr 0.01")
    assert claim.verdict == verdict_a
    assert claim.measured["regime"] == f"{verdict_a} with A = SGD lr 5; {verdict_b} with B = Adam lr 0.01"
    assert "most Bloom-like regime A" in claim.criterion
