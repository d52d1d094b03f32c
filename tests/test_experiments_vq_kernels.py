"""Tests of mlpgeo.experiments.vq_kernels: the report's drivers on tiny settings, its claim rules fed
evidence on each side, its figures, and the playground export (round trip)."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pytest
import torch

from mlpgeo import models, vq
from mlpgeo.experiments import vq_kernels as exp
from mlpgeo.plotting import MAX_WIDTH_IN
from mlpgeo.regions import linear_regions_2d
from mlpgeo.report import Claim

RULES_HOLD = "reproduced"


def seeded_mlp(widths, seed):
    return models.mlp(widths, generator=models.seeded(seed))


def check_claim(claim: Claim, claim_id: str, section_key: str) -> None:
    """Every field of the single claim record is filled as the report needs it."""
    assert isinstance(claim, Claim) and claim.id == claim_id and claim.kind == "source"
    assert claim.section == exp.SECTIONS[section_key]
    assert claim.criterion.strip() and "\n" not in claim.criterion and claim.measured


# --------------------------------------------------------------------------------------------------
# Helpers and drivers
# --------------------------------------------------------------------------------------------------


def test_disc_grid_and_format_mean_std():
    disc = exp.disc_grid(20)
    assert torch.all(disc.norm(dim=1) <= 1) and 0.6 * 400 < len(disc) < 0.85 * 400
    assert exp.format_mean_std([1.0, 2.0, 3.0]) == "2.000 ± 1.000"  # sample std
    assert exp.format_mean_std(torch.tensor([0.5])) == "0.500 ± 0.000"
    with pytest.raises(ValueError, match="resolution must be >= 2"):
        exp.disc_grid(1)


def test_rotation_commutation_of_an_exactly_rotated_model():
    disc = exp.disc_grid(20)
    model = seeded_mlp([2, 16, 16, 1], 0)
    same = exp.rotation_commutation(model, model, disc, 0.0, pairs_sample=100)
    assert same["kernel_corr"] == pytest.approx(1.0) and same["subspace"] == pytest.approx(1.0)
    # a model whose first layer is the original's rotated by `angle` is exactly the rotated partition
    angle = 0.7
    rotated = models.clone(model)
    c, s = torch.cos(torch.tensor(angle)), torch.sin(torch.tensor(angle))
    with torch.no_grad():
        rotated[0].weight.copy_(model[0].weight @ torch.tensor([[c, s], [-s, c]]))
    exact = exp.rotation_commutation(model, rotated, disc, angle, pairs_sample=100)
    assert exact["kernel_corr"] == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="angle is nan"):
        exp.rotation_commutation(model, rotated, disc, float("nan"))


def test_train_bce_fits_separable_points_deterministically():
    x = torch.tensor([[-1.0, 0.0], [-0.8, 0.1], [0.8, 0.0], [1.0, -0.1]])
    y = torch.tensor([0, 0, 1, 1])
    model, loss, acc = exp.train_bce(x, y, [2, 8, 1], seed=0, epochs=200, lr=1e-2)
    assert acc == 1.0 and loss < 0.1
    _, loss_again, _ = exp.train_bce(x, y, [2, 8, 1], seed=0, epochs=200, lr=1e-2)
    assert loss_again == loss
    with pytest.raises(ValueError, match="labels"):
        exp.train_bce(x, torch.tensor([0, 1, 2, 1]), [2, 8, 1], seed=0, epochs=1)


def test_rotation_study_on_a_tiny_setting():
    x, y = torch.tensor([[-0.5, 0.2], [-0.4, -0.3], [0.5, 0.1], [0.4, -0.2]]), torch.tensor([0, 0, 1, 1])
    disc = exp.disc_grid(12)
    study = exp.rotation_study(x, y, [0, 1], 0.3, 3, disc, widths=(2, 6, 1))
    assert len(study.aligned) == 2 and len(study.loss) == 4 and study.shown is not None
    assert set(study.aligned[0]) == {"kernel_corr", "subspace", "eigvec_corr_1", "eigvec_corr_2", "eigvec_corr_3"}
    # each seed is an independent job: the study is the map of rotation_run over the seeds
    run = exp.rotation_run(x, y, 1, 0.3, 3, disc, widths=(2, 6, 1))
    assert run.aligned == study.aligned[1] and run.loss == study.loss[2:]
    assert "aligned" in exp.rotation_table(study)._repr_html_()


def test_embedding_scores_and_depth_kernels_small():
    g = models.seeded(0)
    z = torch.cat([torch.randn(30, 3, generator=g) - 3, torch.randn(30, 3, generator=g) + 3])
    labels = torch.cat([torch.zeros(30), torch.ones(30)]).long()
    scores = exp.embedding_scores(torch.cdist(z, z).pow(2), labels)
    assert scores["probe_acc"] == 1.0 and scores["silhouette"] > 0.5 and 1 <= scores["effective_rank"] <= 3
    x = torch.rand(64, 12, generator=g)
    y = torch.randint(0, 3, (64,), generator=g)
    kernels, acc = exp.depth_kernels(x, y, x[:20], depths=(2, 3), width=4, epochs=1, y_test=y[:20])
    assert list(kernels) == ["Trained(2)", "Trained(3)", "Init(2)", "Init(3)"]
    assert kernels["Init(3)"].shape == (20, 20) and kernels["Init(3)"].max() <= 12
    assert set(acc) == {"Trained(2)", "Trained(3)"}
    # the initial kernel is the kernel of mlp(seed + 1000 * depth)
    init = seeded_mlp([12, 4, 4, 4, 3], 1000 * 3)
    assert torch.equal(kernels["Init(3)"], vq.vq_distance(init, x[:20]))


def test_mnist_kernel_run_and_study_on_random_digits():
    g = models.seeded(0)
    x, y = torch.rand(60, 20, generator=g), torch.randint(0, 3, (60,), generator=g)
    sweep, grid = {"linear": [1.0, 10.0]}, {"linear": [1.0, 3.0, 10.0]}
    study = exp.mnist_kernel_study(x, y, x[:15], y[:15], [0, 1], sweep, grid)
    assert set(study.stated) == set(exp.FORMS)
    assert all(study.stated[form].shape == (2, 4, 4) for form in exp.FORMS)
    assert study.sweeps["linear"].shape == (2, 2, 4, 4)
    assert study.fits["linear"].shape == (2, 3, 4, 4) and len(study.shown_kernels) == 4
    run = exp.mnist_kernel_run(x, y, x[:15], y[:15], 1, sweep, grid)
    assert all(torch.equal(run.stated[form], study.stated[form][1]) for form in exp.FORMS) and run.kernels == []
    assert all(torch.all(study.stated[form].diagonal(dim1=1, dim2=2) == 1) for form in exp.FORMS)
    # the stated rule: median pair at h = exp(-1) in both forms, so sigma^2 (squared) = sigma^2 (linear)^2
    assert study.sigma2["squared"][0] == pytest.approx(study.sigma2["linear"][0] ** 2)
    ds = study.shown_kernels
    assert study.sigma2["linear"][0] == vq.median_sigma2(ds, "linear")
    expected = vq.cosine_table([vq.heat_kernel(d, study.sigma2["squared"][0], "squared") for d in ds])
    assert torch.allclose(study.stated["squared"][0], expected, atol=1e-9)


# --------------------------------------------------------------------------------------------------
# Fig. 1 and Fig. 2 rules
# --------------------------------------------------------------------------------------------------


def test_rotation_verdict_three_outcomes():
    retrained = [0.9, 0.8, 0.7]  # mean 0.8, std 0.1 -> bar 0.6
    assert exp.rotation_verdict([0.7, 0.6, 0.65], [0.1, 0.2, 0.3], retrained) == "reproduced"
    assert exp.rotation_verdict([0.5, 0.5, 0.5], [0.1, 0.2, 0.3], retrained) == "partly reproduced"
    assert exp.rotation_verdict([0.9, 0.1, 0.9], [0.1, 0.2, 0.3], retrained) == "not reproduced"
    assert exp.rotation_verdict([0.8], [0.1], [0.8]) == "reproduced"  # one seed: no spread, no NaN
    assert exp.rotation_verdict([0.7], [0.1], [0.8]) == "partly reproduced"


def test_rotation_claim_records_eigenvector_correlations():
    def row(subspace, corr):
        return {"kernel_corr": 0.5, "subspace": subspace, "eigvec_corr_1": corr, "eigvec_corr_2": corr / 2}

    study = exp.RotationStudy([row(0.9, 0.8), row(0.8, 0.6)], [row(0.5, 0.1), row(0.4, 0.1)],
                              [row(0.9, 0.9), row(0.85, 0.9)], [0.0] * 4, [1.0] * 4, None)
    claim = exp.claim_rotation(study)
    check_claim(claim, "fig1-rotation-commutes", "fig1")
    assert claim.measured["eigvec_corr_1_aligned"]["mean"] == pytest.approx(0.7)
    assert claim.measured["eigvec_corr_2_aligned"]["mean"] == pytest.approx(0.35)
    assert claim.verdict == "reproduced"  # aligned > unaligned per seed; 0.85 >= 0.875 - 2 * 0.035
    study.aligned[1] = row(0.3, 0.6)  # below the unaligned similarity in seed 2
    assert exp.claim_rotation(study).verdict == "not reproduced"


def high_dim_scores(vq_acc, euclid_acc, rank_vq, rank_euclid, heldout, shuffled):
    s = {"probe_acc": 0.0, "silhouette": 0.1, "effective_rank": 1.0, "top2_share": 0.5}
    return {"vq": {**s, "probe_acc": vq_acc, "effective_rank": rank_vq}, "vq_rot": s,
            "euclidean": {**s, "probe_acc": euclid_acc, "effective_rank": rank_euclid},
            "vq_heldout": {**s, "probe_acc": heldout}, "vq_shuffled": {**s, "probe_acc": shuffled},
            "euclidean_heldout": s, "test_accuracy": 0.5}


def test_high_dim_claims_criteria():
    claims = exp.claims_high_dim([high_dim_scores(1.0, 0.5, 2.0, 10.0, 0.95, 0.5)] * 2)
    for claim, claim_id in zip(claims, ["fig2-vq-separates-training-classes", "fig2-vq-low-rank",
                                        "fig2-vq-reflects-data-geometry"]):
        check_claim(claim, claim_id, "fig2")
    assert [c.verdict for c in claims] == ["reproduced"] * 3
    claims = exp.claims_high_dim([high_dim_scores(1.0, 0.8, 6.0, 10.0, 0.5, 1.0)] * 2)
    assert [c.verdict for c in claims] == ["not reproduced"] * 3
    assert exp.claims_high_dim([high_dim_scores(1.0, 0.5, 2.0, 10.0, 0.5, 0.5)])[2].verdict == "partly reproduced"
    assert claims[0].measured["probe_acc_euclidean"]["mean"] == pytest.approx(0.8)
    table = exp.high_dim_table([high_dim_scores(1.0, 0.5, 2.0, 10.0, 0.95, 0.5)] * 2)
    assert "1.000 ± 0.000" in table._repr_html_() and "vq_shuffled" in table._repr_markdown_()


# --------------------------------------------------------------------------------------------------
# Figs. 3-4 rules
# --------------------------------------------------------------------------------------------------


def cosine_tables(t4_t6: float, t4_i4: float, t6_i6: float, i4_i6: float) -> torch.Tensor:
    """A symmetric 4 x 4 table in the order Trained(4), Trained(6), Init(4), Init(6)."""
    t = torch.eye(4, dtype=torch.float64)
    for (i, j), v in zip([(0, 1), (0, 2), (1, 3), (2, 3)], [t4_t6, t4_i4, t6_i6, i4_i6]):
        t[i, j] = t[j, i] = v
    t[0, 3] = t[3, 0] = t[1, 2] = t[2, 1] = 0.3
    return t


def test_claim_holds_fraction_by_hand():
    yes = torch.tensor([[1.0, 0.6, 0.3, 0.4], [0.6, 1.0, 0.3, 0.5], [0.3, 0.3, 1.0, 0.8], [0.4, 0.5, 0.8, 1.0]])
    no = yes.clone()
    no[0, 1] = no[1, 0] = 0.45
    saturated = torch.full((4, 4), 0.995)
    assert exp.claim_holds_fraction(torch.stack([yes, no, saturated])) == (0.5, 2)


def test_fit_sigma2_picks_the_grid_point_matching_the_target():
    target = exp.PAPER_COSINES
    far = torch.ones(4, 4, dtype=torch.float64)
    # two seeds, three grid points; grid point 1 equals the target on average (+/- 0.01 per seed)
    tables = torch.stack([torch.stack([far, target + d, far * 0.5]) for d in (0.01, -0.01)])
    sigma2, rmse, best = exp.fit_sigma2(tables, [0.1, 1.0, 10.0])
    assert sigma2 == 1.0 and rmse == pytest.approx(0.0, abs=1e-12)
    assert torch.equal(best, tables[:, 1])
    # RMSE of a constant offset over the six pairs is that offset
    _, rmse_off, _ = exp.fit_sigma2((target + 0.2)[None, None], [1.0])
    assert rmse_off == pytest.approx(0.2)
    with pytest.raises(ValueError, match="grid"):
        exp.fit_sigma2(tables, [1.0])


def both_forms(*tables):
    """The same per-seed tables ``(s, 4, 4)`` for both forms, or one list per form."""
    if len(tables) == 2 and isinstance(tables[0], list):
        return {"squared": torch.stack(tables[0]), "linear": torch.stack(tables[1])}
    return {form: torch.stack(list(tables)) for form in exp.FORMS}


def test_margins_by_hand():
    table = cosine_tables(0.6, 0.3, 0.4, 0.9)
    assert float(exp.alike_margin(table)) == pytest.approx(0.6 - 0.4)
    assert float(exp.inits_margin(table)) == pytest.approx(0.6 - 0.9)
    assert exp.alike_margin(torch.stack([table, table])).shape == (2,)


def test_margin_verdict_three_outcomes():
    pos, neg = torch.tensor([0.1, 0.2]), torch.tensor([-0.1, -0.2])
    assert exp.margin_verdict({"squared": pos, "linear": pos}) == "reproduced"
    assert exp.margin_verdict({"squared": pos, "linear": neg}) == "partly reproduced"  # one form only
    assert exp.margin_verdict({"squared": torch.tensor([0.1, -0.1]), "linear": neg}) == "partly reproduced"  # flips
    assert exp.margin_verdict({"squared": neg, "linear": torch.tensor([0.0, -0.1])}) == "not reproduced"  # 0 is not > 0
    with pytest.raises(ValueError, match="at least one"):
        exp.margin_verdict({"squared": torch.tensor([])})


def test_trained_alike_claim_criteria():
    holds, fails = cosine_tables(0.6, 0.3, 0.4, 0.9), cosine_tables(0.2, 0.3, 0.4, 0.9)
    good_sweep = {form: torch.stack([holds, holds])[None].expand(2, 2, 4, 4).clone() for form in exp.FORMS}
    claim = exp.claim_trained_alike(both_forms(holds, holds), good_sweep)
    check_claim(claim, "fig3-trained-kernels-alike", "fig3")
    assert claim.verdict == "reproduced"
    assert next(iter(claim.measured)) == "margin_squared"  # the deciding number: the appendix form's margin
    assert claim.measured["margin_squared"]["mean"] == pytest.approx(0.2) and claim.measured["margin_squared"]["n"] == 2
    assert claim.measured["sweep_fraction_linear"] == 1.0 and claim.measured["first_rule_verdict"] == "reproduced"
    # holds in one form only, or for one seed only -> partly; nowhere -> not
    assert exp.claim_trained_alike(both_forms([holds, holds], [fails, fails])).verdict == "partly reproduced"
    assert exp.claim_trained_alike(both_forms(holds, fails)).verdict == "partly reproduced"
    assert exp.claim_trained_alike(both_forms(fails, fails)).verdict == "not reproduced"
    # the sweep no longer decides: a failing sweep leaves the verdict, and the first rule's verdict is kept beside
    bad_sweep = {form: torch.stack([fails, fails])[None].expand(2, 2, 4, 4).clone() for form in exp.FORMS}
    claim = exp.claim_trained_alike(both_forms(holds, holds), bad_sweep)
    assert claim.verdict == "reproduced" and claim.measured["first_rule_verdict"] == "partly reproduced"
    assert exp.first_rule_verdict(torch.stack([holds, fails]), bad_sweep) == "not reproduced"
    # reading (a): cos(T4, T6) > cos(I4, I6)
    reading_a = exp.claim_trained_vs_inits(both_forms(holds, holds))
    check_claim(reading_a, "fig3-trained-more-alike-than-inits", "fig3")
    assert reading_a.verdict == "not reproduced" and next(iter(reading_a.measured)) == "margin_squared"
    high = cosine_tables(0.95, 0.3, 0.4, 0.9)
    assert exp.claim_trained_vs_inits(both_forms(high, high)).verdict == "reproduced"
    assert exp.claim_trained_vs_inits(both_forms([high, high], [holds, holds])).verdict == "partly reproduced"


def test_claim_holds_sigma2_by_hand():
    holds, fails = cosine_tables(0.6, 0.3, 0.4, 0.9), cosine_tables(0.2, 0.3, 0.4, 0.9)
    # two seeds, three sigma^2 values: holds, fails, and one where only the seed mean decides (0.45 vs 0.4)
    mixed_a, mixed_b = cosine_tables(0.3, 0.3, 0.4, 0.9), cosine_tables(0.6, 0.3, 0.4, 0.9)
    tables = torch.stack([torch.stack([holds, fails, mixed_a]), torch.stack([holds, fails, mixed_b])])
    assert exp.claim_holds_sigma2(tables, [1.0, 2.0, 4.0]) == [1.0, 4.0]
    with pytest.raises(ValueError, match="grid"):
        exp.claim_holds_sigma2(tables, [1.0, 2.0])


def test_entry_tolerance_and_entries_within():
    assert exp.entry_tolerance(torch.tensor([0.5])) == 0.05
    assert exp.entry_tolerance(torch.tensor([0.0, 0.2])) == pytest.approx(2 * 0.2 / 2**0.5)
    paper = exp.PAPER_COSINES
    assert exp.entries_within(paper[None].repeat(2, 1, 1)) == 6
    off = paper.clone()
    off[0, 1] = off[1, 0] = 0.75  # one entry 0.2 away
    assert exp.entries_within(torch.stack([off, off])) == 5
    assert exp.table_rmse(torch.stack([paper, paper + 0.1])).tolist() == pytest.approx([0.0, 0.1])


def test_table_values_claim_three_outcomes():
    paper = exp.PAPER_COSINES[None].repeat(3, 1, 1)
    far = paper + 0.3
    fits = {form: (1.0, 0.3, far) for form in exp.FORMS}
    claim = exp.claim_table_values({"squared": paper, "linear": far}, fits)
    check_claim(claim, "fig3-table-values", "fig3")
    assert claim.verdict == "reproduced" and next(iter(claim.measured)) == "rmse_squared"
    assert claim.measured["rmse_squared"]["mean"] == pytest.approx(0.0, abs=1e-12)
    assert claim.measured["rmse_linear"]["mean"] == pytest.approx(0.3)
    assert claim.measured["entries_within_tolerance_squared"] == 6 and claim.measured["entries_within_tolerance_linear"] == 0
    assert claim.measured["trained4-trained6_squared"]["mean"] == pytest.approx(0.55)
    assert claim.measured["fitted_linear_sigma2"] == 1.0
    # only the linear form at the stated rule, or only a fitted sigma^2 -> partly
    assert exp.claim_table_values({"squared": far, "linear": paper}, fits).verdict == "partly reproduced"
    fits_good = {"squared": (1.0, 0.3, far), "linear": (2.0, 0.0, paper)}
    assert exp.claim_table_values({"squared": far, "linear": far}, fits_good).verdict == "partly reproduced"
    assert exp.claim_table_values({"squared": far, "linear": far}, fits).verdict == "not reproduced"


def test_entry_spread_by_hand():
    a = torch.eye(4, dtype=torch.float64)
    b = a.clone()
    b[0, 1] = b[1, 0] = 0.2  # entry (0, 1) varies over the two seeds, the others do not
    assert exp.entry_spread(torch.stack([a, b])) == pytest.approx((0.2 / 2**0.5) / 6)
    with pytest.raises(ValueError, match="two seeds"):
        exp.entry_spread(a[None])


# --------------------------------------------------------------------------------------------------
# The lemmas and the width-1 chain
# --------------------------------------------------------------------------------------------------


def test_lemma_check_on_exact_regions():
    points = torch.rand(120, 2, generator=models.seeded(0)) * 2 - 1
    shallow = exp.lemma_check(seeded_mlp([2, 12, 1], 0), points)
    assert shallow["equal_frac"] == 1.0 and shallow["region_equal_frac"] == 1.0
    assert shallow["edges_multi_bit"] == 0
    deep = exp.lemma_check(seeded_mlp([2, 8, 8, 8, 1], 0), points)
    assert deep["greater_frac"] == 0.0 and deep["region_greater_frac"] == 0.0
    assert deep["region_less_frac"] > 0  # this net has shortcuts


def test_probed_adjacency_matches_regions_module():
    regions = linear_regions_2d(seeded_mlp([2, 10, 10, 1], 1), (-1.0, 1.0, -1.0, 1.0))
    probed = exp.probed_adjacency(regions)
    assert torch.equal(probed, torch.as_tensor(regions.adjacency(), dtype=torch.long).unique(dim=0))
    with pytest.raises(ValueError, match="eps must be > 0"):
        exp.probed_adjacency(regions, eps=0.0)
    with pytest.raises(ValueError, match="probes must be >= 1"):
        exp.probed_adjacency(regions, probes=0)


def test_probed_adjacency_near_concurrent_lines():
    # seed 8: three of the 48 lines almost meet in one point, leaving a triangle of area ~1e-12 with edges
    # ~1e-6 long; a fixed probing step crossed the third line there and reported 2-bit "neighbours"
    regions = linear_regions_2d(seeded_mlp([2, 48, 1], 8), (-1.0, 1.0, -1.0, 1.0))
    probed = exp.probed_adjacency(regions)
    codes = torch.as_tensor(regions.codes)
    assert int(((codes[probed[:, 0]] != codes[probed[:, 1]]).sum(1) > 1).sum()) == 0
    assert torch.equal(probed, torch.as_tensor(regions.adjacency(), dtype=torch.long).unique(dim=0))
    assert len(exp.probed_adjacency(regions, relative=1.0)) > len(probed)  # the fixed step alone finds false pairs


def lemma_row(kind: str, equal: float, less: float, greater: float, multi_bit: int = 0) -> dict:
    return {"kind": kind, "equal_frac": equal, "less_frac": less, "greater_frac": greater, "max_gap": 2.0,
            "region_equal_frac": equal, "region_less_frac": less, "region_greater_frac": greater,
            "edges_multi_bit": multi_bit}


def test_lemma_claims():
    rows = [lemma_row("shallow", 1.0, 0.0, 0.0), lemma_row("deep", 0.8, 0.2, 0.0), lemma_row("deep", 1.0, 0.0, 0.0)]
    lemma1, lemma2 = exp.claim_lemma1(rows), exp.claim_lemma2(rows)
    check_claim(lemma1, "lemma1-shallow-equals-partition", "lemmas")
    check_claim(lemma2, "lemma2-deep-upper-bound", "lemmas")
    assert lemma1.verdict == "reproduced" and lemma1.measured["networks"] == 1
    assert lemma2.verdict == "reproduced" and lemma2.measured["networks"] == 2 and lemma2.measured["max_greater_frac"] == 0.0
    assert exp.claim_lemma2([lemma_row("deep", 1.0, 0.0, 0.0)]).verdict == "partly reproduced"
    assert exp.claim_lemma2([lemma_row("deep", 0.9, 0.0, 0.1)]).verdict == "not reproduced"
    assert exp.claim_lemma1([lemma_row("shallow", 0.99, 0.01, 0.0)]).verdict == "not reproduced"


def test_lemma_study_on_tiny_networks():
    points = torch.rand(20, 2, generator=models.seeded(0)) * 2 - 1
    x, y = torch.tensor([[-0.5, 0.0], [0.5, 0.0]]), torch.tensor([0, 1])
    rows = exp.lemma_study([0], {"shallow": [[2, 4, 1]]}, points, x, y, epochs=5)
    assert [r["trained"] for r in rows] == [False, True]
    assert all(r["equal_frac"] == 1.0 for r in rows)  # Lemma 1
    assert rows[1] == exp.lemma_run(0, "shallow", [2, 4, 1], True, points, x, y, epochs=5)
    markdown = exp.lemma_table(rows)._repr_markdown_()
    assert markdown.count("\n") == 3 and "[2, 4, 1] trained" in markdown


def test_width1_study_and_claim():
    study = exp.width1_study(range(1, 6))
    assert study["printed"] == [L + 1 for L in range(1, 6)]  # the printed map: L + 1 intervals
    assert study["tent"] == [2**L for L in range(1, 6)]
    assert study["tent_max_d_omega"] == [2**L - 1 for L in range(1, 6)]
    claim = exp.claim_width1(study)
    check_claim(claim, "appendix-width1-2powL", "width1")
    assert claim.verdict == "partly reproduced" and claim.measured["intervals_tent_L5"] == 32
    assert exp.claim_width1({**study, "printed": study["tent"]}).verdict == "reproduced"
    assert exp.claim_width1({**study, "tent": study["printed"]}).verdict == "not reproduced"


# --------------------------------------------------------------------------------------------------
# Playground export and figures
# --------------------------------------------------------------------------------------------------


def test_playground_export_round_trip(tmp_path):
    x, y = torch.rand(40, 2, generator=models.seeded(0)) * 2 - 1, torch.arange(40) % 2
    model = seeded_mlp([2, 12, 12, 1], 3)
    path = exp.export_playground_network(model, x, y, folder=tmp_path)
    assert path == tmp_path / "networks" / "vq_kernels.json"
    payload = json.loads(path.read_text())
    assert set(payload) == {"name", "description", "box", "layers", "x", "y", "sigma2_median"}
    assert [len(layer["weight"]) for layer in payload["layers"]] == [12, 12, 1]  # weight (out, in)
    assert len(payload["layers"][0]["weight"][0]) == 2 and payload["box"] == [-1.2, 1.2, -1.2, 1.2]
    rebuilt, x_back, y_back, _ = exp.load_playground_network(path)
    assert torch.equal(x_back, x) and torch.equal(y_back, y)
    for a, b in zip(models.weights(model), models.weights(rebuilt)):
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    d = vq.vq_distance(rebuilt, x_back)
    assert torch.equal(d, vq.vq_distance(model, x))
    assert payload["sigma2_median"] == vq.median_sigma2(d)
    assert not list((tmp_path / "networks").glob(".*tmp"))  # written atomically, nothing left behind
    with pytest.raises(ValueError, match="ReLU MLPs with 2 inputs"):
        exp.export_playground_network(seeded_mlp([3, 4, 1], 0), torch.rand(5, 3), torch.arange(5) % 2, folder=tmp_path)
    with pytest.raises(ValueError, match="min < max"):
        exp.export_playground_network(model, x, y, folder=tmp_path, box=(1.0, -1.0, -1.0, 1.0))


def test_report_figures_are_titled_and_fit_the_column():
    d = vq.vq_distance(seeded_mlp([2, 6, 6, 1], 0), torch.rand(30, 2, generator=models.seeded(0)))
    fig = exp.plot_depth_kernels([d, d], torch.arange(30) % 3, ["A", "B"])
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["A", "B"]
    figures = [fig]
    fig = exp.plot_table_comparison([exp.PAPER_COSINES, exp.PAPER_COSINES, exp.PAPER_COSINES], ["ours", "fit", "paper"])
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in axes] == ["ours", "fit", "paper"]
    assert [t.get_text() for t in axes[0].get_yticklabels()] == list(exp.KERNEL_NAMES)
    figures.append(fig)
    sweeps = {"linear": exp.PAPER_COSINES[None, None].repeat(2, 3, 1, 1), "squared": exp.PAPER_COSINES[None, None].repeat(2, 3, 1, 1)}
    figures.append(exp.plot_sigma_sweep(sweeps, {"linear": [1.0, 2.0, 3.0], "squared": [1.0, 4.0, 9.0]},
                                        stated={"linear": [2.0, 2.0], "squared": [4.0, 4.0]}))
    assert sum(line.get_label() == "median rule σ²" for line in figures[-1].axes[0].get_lines()) == 1
    figures.append(exp.plot_width1_chain(exp.width1_study(range(1, 4))))
    disc = exp.disc_grid(12)
    x, y = torch.rand(10, 2, generator=models.seeded(1)) * 2 - 1, torch.arange(10) % 2
    model = seeded_mlp([2, 8, 8, 1], 0)
    figures.append(exp.plot_rotation_eigenvectors([model, model], [x, x], y, disc, k=3))
    xh = torch.rand(12, 5, generator=models.seeded(2))
    nets = {"vq": seeded_mlp([5, 8, 1], 0), "vq_rot": seeded_mlp([5, 8, 1], 1), "vq_shuffled": seeded_mlp([5, 8, 1], 2)}
    figures.append(exp.plot_high_dim_embeddings(xh, xh, torch.arange(12) % 2, nets))
    figures.append(exp.plot_high_dim_controls(xh, torch.arange(12) % 2, xh, torch.arange(12) % 2, nets, top=5))
    for figure in figures:
        assert figure.get_figwidth() <= MAX_WIDTH_IN
        plt.close(figure)


# --------------------------------------------------------------------------------------------------
# Jobs: every driver gives the same results in-process and in 2 spawned processes
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_processes():
    import concurrent.futures
    import multiprocessing

    executor = concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
    yield executor
    executor.shutdown()


def same(a, b) -> bool:
    """Deep equality of job results (tensors compared exactly, NaN equal to NaN)."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and torch.equal(a.nan_to_num(7.0), b.nan_to_num(7.0))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(u, v) for u, v in zip(a, b))
    if hasattr(a, "__dataclass_fields__"):
        return type(a) is type(b) and same(vars(a), vars(b))
    if isinstance(a, float) and isinstance(b, float) and a != a:
        return b != b
    return a == b


def test_rotation_jobs_identical_in_process_and_in_two_processes(two_processes):
    from mlpgeo.experiments.jobs import run_jobs

    x, y = torch.tensor([[-0.5, 0.2], [-0.4, -0.3], [0.5, 0.1], [0.4, -0.2]]), torch.tensor([0, 0, 1, 1])
    jobs = [dict(x=x, labels=y, seed=s, angle=0.3, epochs=3, points=exp.disc_grid(12), widths=(2, 6, 1),
                 keep_models=s == 0) for s in (0, 1)]
    local, spawned = run_jobs(exp.rotation_run, jobs), run_jobs(exp.rotation_run, jobs, executor=two_processes)
    assert same(local, spawned) and local[1].models is None
    # the kept snapshots rebuild the trained networks exactly
    study = exp.rotation_study(x, y, [0, 1], 0.3, 3, exp.disc_grid(12), widths=(2, 6, 1), executor=two_processes)
    model, _, _ = exp.train_bce(x, y, (2, 6, 1), 0, 3)
    assert same(models.snapshot(study.shown[0]), models.snapshot(model)) and same(study.aligned, [r.aligned for r in local])


def test_high_dim_jobs_identical_in_process_and_in_two_processes(two_processes):
    from mlpgeo.experiments.jobs import run_jobs

    jobs = [dict(seed=s, angle=0.3, epochs=2, n=24, n_test=20, keep_nets=s == 0) for s in (0, 1)]
    local, spawned = run_jobs(exp.high_dim_run, jobs), run_jobs(exp.high_dim_run, jobs, executor=two_processes)
    assert same(local, spawned) and local[1]["nets"] is None
    # the driver returns what high_dim_study returns for the first seed, nets rebuilt from their snapshots
    scores, (x, x_rot, y, nets) = exp.high_dim_runs([0, 1], 0.3, 2, n=24, n_test=20, executor=two_processes)
    direct_scores, (dx, dx_rot, dy, dnets) = exp.high_dim_study(0, 0.3, 2, n=24, n_test=20)
    assert same(scores, [r["scores"] for r in local]) and same(scores[0], direct_scores)
    assert torch.equal(x, dx) and torch.equal(x_rot, dx_rot) and torch.equal(y, dy)
    assert all(same(models.snapshot(nets[k]), models.snapshot(dnets[k])) for k in dnets)


def test_mnist_kernel_jobs_identical_in_process_and_in_two_processes(two_processes):
    import numpy as np

    g = models.seeded(0)
    x, y = torch.rand(60, 20, generator=g), torch.randint(0, 3, (60,), generator=g)
    sweep, grid = {"linear": np.geomspace(1, 10, 2)}, {"linear": np.geomspace(1, 10, 3)}
    local = exp.mnist_kernel_study(x, y, x[:15], y[:15], [0, 1], sweep, grid)
    spawned = exp.mnist_kernel_study(x, y, x[:15], y[:15], [0, 1], sweep, grid, executor=two_processes)
    assert same(local, spawned) and len(spawned.shown_kernels) == 4


def test_lemma_jobs_identical_in_process_and_in_two_processes(two_processes):
    points = torch.rand(20, 2, generator=models.seeded(0)) * 2 - 1
    x, y = torch.tensor([[-0.5, 0.0], [0.5, 0.0]]), torch.tensor([0, 1])
    archs = {"shallow": [[2, 4, 1]], "deep": [[2, 3, 3, 1]]}
    local = exp.lemma_study([0, 1], archs, points, x, y, epochs=5)
    spawned = exp.lemma_study([0, 1], archs, points, x, y, epochs=5, executor=two_processes)
    assert same(local, spawned) and len(local) == 8
    assert [(r["seed"], r["kind"], r["trained"]) for r in local[:4]] == [
        (0, "shallow", False), (0, "shallow", True), (0, "deep", False), (0, "deep", True)]
