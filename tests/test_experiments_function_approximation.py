"""Tests of mlpgeo.experiments.function_approximation: the x^2 data and drivers, the numbers behind the
verdicts (hand-computed), and every claim rule fed evidence on each side of its criterion."""

import concurrent.futures
import dataclasses
import multiprocessing

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import Tensor, nn

from mlpgeo import memory, models
from mlpgeo.experiments import function_approximation as fa
from mlpgeo.experiments.jobs import run_jobs
from mlpgeo.models import mlp, seeded
from mlpgeo.regions import linear_regions_1d
from mlpgeo.report import Claim


def hand_net(activation=nn.ReLU) -> nn.Sequential:
    """1 -> 2 -> 1: w = [1, -2], b = [0.5, 1]; output 3 a_0 - a_1 + 0.25."""
    model = nn.Sequential(nn.Linear(1, 2), activation(), nn.Linear(2, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0], [-2.0]]))
        model[0].bias.copy_(torch.tensor([0.5, 1.0]))
        model[2].weight.copy_(torch.tensor([[3.0, -1.0]]))
        model[2].bias.copy_(torch.tensor([0.25]))
    return model


def relu_identity() -> nn.Sequential:
    """f = relu(x): slopes 0 then 1 on [-1, 1], one key at x = 0."""
    model = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 1))
    with torch.no_grad():
        model[0].weight.fill_(1.0), model[0].bias.zero_(), model[2].weight.fill_(1.0), model[2].bias.zero_()
    return model


def locality_net() -> nn.Sequential:
    model = nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 1))
    with torch.no_grad():  # pivots 0, 4, 6, 10; directions +, +, -, +
        model[0].weight.copy_(torch.tensor([[1.0], [1.0], [-1.0], [1.0]]))
        model[0].bias.copy_(torch.tensor([0.0, -4.0, 6.0, -10.0]))
    return model


# ---- data and drivers ----


def test_square_data():
    x, y = fa.square_data(7, -3, 3)
    assert x.shape == (7, 1) and x.dtype == torch.float32 and torch.allclose(y, x**2)
    assert x[0, 0] == -3 and x[-1, 0] == 3 and x[3, 0] == 0
    default_x, _ = fa.square_data()
    assert len(default_x) == fa.N_POINTS and default_x[0, 0] == fa.DATA_RANGE[0]


def test_epoch_sweep_trains_fresh_models_with_their_own_seeds():
    x, y = fa.square_data(7, -3, 3)
    runs = fa.epoch_sweep(x, y, [0, 30], seed=2, widths=(1, 8, 1), lr=1e-2)
    assert [r.epochs for r in runs] == [0, 30] and [r.seed for r in runs] == [2000, 2001]
    fresh = mlp([1, 8, 1], activation="gelu", generator=seeded(2000))
    assert all(torch.equal(p, q) for p, q in zip(runs[0].model.parameters(), fresh.parameters()))
    with torch.no_grad():
        assert runs[0].mse == pytest.approx(float(((fresh(x) - y) ** 2).mean()))
        assert runs[1].mse == pytest.approx(float(((runs[1].model(x) - y) ** 2).mean()))
    assert runs[1].mse < runs[0].mse
    sweeps = fa.seed_sweeps(x, y, [0], [5, 6], widths=(1, 4, 1))
    assert list(sweeps) == [5, 6] and sweeps[6][0].seed == 6000


def test_relu_twin_is_deterministic_and_trained():
    x, y = fa.square_data(50, -2, 2)
    a = fa.relu_twin(x, y, (1, 8, 1), epochs=20, seed=3, lr=1e-2)
    b = fa.relu_twin(x, y, (1, 8, 1), epochs=20, seed=3, lr=1e-2)
    assert isinstance(a[1], nn.ReLU)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    assert fa.model_mse(a, x, y) < fa.model_mse(mlp([1, 8, 1], "relu", generator=seeded(3)), x, y)


# ---- jobs: the same numbers in-process and in worker processes ----

TINY = {"widths": (1, 6, 6, 1), "n_points": 40, "data_range": (-2.0, 2.0)}


def same(a, b) -> bool:
    """Bit-identical nested results (dicts, lists, tensors, arrays, dataclasses, numbers)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(u, v) for u, v in zip(a, b))
    if isinstance(a, Tensor):
        return isinstance(b, Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if dataclasses.is_dataclass(a):
        return type(a) is type(b) and all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    return a == b


@pytest.fixture(scope="module")
def pool():
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


def tiny_readout_jobs():
    x, y = fa.square_data(TINY["n_points"], *TINY["data_range"])
    gelu = fa.train_model(x, y, 15, 7, TINY["widths"], "gelu", lr=1e-2).model
    relu = fa.train_model(x, y, 15, 7, TINY["widths"], "relu", lr=1e-2).model
    return [{"gelu_state": models.snapshot(gelu), "relu_state": models.snapshot(relu), "init_seed": 7,
             "x_star": 1.0, "ig_every": 4, "ig_steps": 8, "curve_steps": curve, **TINY} for curve in ([2, 4], [])]


def test_train_job_and_readout_job_same_in_process_and_in_two_processes(pool):
    train = [{"epochs": e, "seed": s, "activation": a, "lr": 1e-2, **TINY}
             for e, s, a in [(0, 1, "gelu"), (12, 2, "gelu"), (12, 2, "relu")]]
    here = run_jobs(fa.train_job, train, executor=None, progress=False)
    there = run_jobs(fa.train_job, train, executor=pool, progress=False)
    assert same(here, there) and [r["epochs"] for r in here] == [0, 12, 12]
    reads = tiny_readout_jobs()
    here = run_jobs(fa.readout_job, reads, executor=None, progress=False)
    there = run_jobs(fa.readout_job, reads, executor=pool, progress=False)
    assert same(here, there)
    assert len(here[0]["curve"]) == 2 and here[1]["curve"] == []


def test_train_job_is_train_model_on_the_data():
    x, y = fa.square_data(TINY["n_points"], *TINY["data_range"])
    job = fa.train_job(10, 3, "relu", lr=1e-2, **TINY)
    run = fa.train_model(x, y, 10, 3, TINY["widths"], "relu", lr=1e-2)
    assert job["mse"] == run.mse and job["seed"] == 3 and job["activation"] == "relu"
    restored = fa.restore_model(job["state"], "relu", TINY["widths"])
    assert isinstance(restored[1], nn.ReLU) and same(models.snapshot(restored), models.snapshot(run.model))


def test_train_sweeps_matches_seed_sweeps_and_relu_twin(pool):
    x, y = fa.square_data()
    widths = (1, 4, 1)
    sweeps, twins = fa.train_sweeps([0, 3, 1], [0, 2], widths=widths, executor=pool)
    reference = fa.seed_sweeps(x, y, [0, 3, 1], [0, 2], widths=widths)
    assert list(sweeps) == list(twins) == [0, 2]
    for s in (0, 2):
        assert [(r.epochs, r.seed, r.mse) for r in sweeps[s]] == [(r.epochs, r.seed, r.mse) for r in reference[s]]
        assert same(models.snapshot(sweeps[s][1].model), models.snapshot(reference[s][1].model))
        twin = fa.relu_twin(x, y, widths, 1, seed=1000 * s + 2)  # the last model's seed and epoch count
        assert same(models.snapshot(twins[s]), models.snapshot(twin))


def test_readout_seeds_and_stack_seeds_match_the_per_seed_functions():
    x, y = fa.square_data(TINY["n_points"], *TINY["data_range"])
    sweeps = {s: fa.epoch_sweep(x, y, [0, 15], s, TINY["widths"], lr=1e-2) for s in (0, 1)}
    twins = {s: fa.relu_twin(x, y, TINY["widths"], 15, 1000 * s + 1, lr=1e-2) for s in (0, 1)}
    reads = fa.readout_seeds(sweeps, twins, 1.0, curve_steps=[2, 4], ig_every=4, ig_steps=8, **TINY)
    best = [sweeps[s][-1].model for s in (0, 1)]
    assert same(fa.stack_seeds(reads, "local"), fa.locality_across_seeds(best, 1.0))
    initial = [mlp(TINY["widths"], "gelu", generator=seeded(1000 * s + 1)) for s in (0, 1)]
    inside, moved = fa.pivot_shift(best, initial, TINY["data_range"])
    assert fa.stack_seeds(reads, "pivots_inside").tolist() == inside
    assert fa.stack_seeds(reads, "pivot_shift").tolist() == moved
    pieces = [linear_regions_1d(twins[s], TINY["data_range"]) for s in (0, 1)]
    assert same(fa.stack_seeds(reads, "pieces"), pieces)
    assert same(fa.stack_seeds(reads, "relu_stats"), fa.relu_region_statistics(list(twins.values()), x, y, pieces))
    assert same(fa.stack_seeds(reads, "at_x_star")[1], memory.contributions(best[1], torch.tensor([[1.0]])))
    assert same(reads[1]["ig"], memory.integrated_gradients(best[1], x[::4], steps=8))
    assert reads[0]["curve"] == fa.completeness_vs_steps(best[0], x[::4], [2, 4]) and reads[1]["curve"] == []


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_model_mse_by_hand(dtype):
    model = relu_identity().to(dtype)
    x = torch.tensor([[-1.0], [2.0]], dtype=dtype)
    assert fa.model_mse(model, x, torch.tensor([[1.0], [2.0]])) == 0.5  # errors 1 and 0
    assert fa.model_mse(model, x, torch.tensor([1.0, 2.0])) == 0.5  # (n,) targets too


# ---- the numbers behind the verdicts ----


def test_orders_of_magnitude_and_sweep_mse():
    runs = {0: [fa.SweepRun(0, 0, None, 100.0), fa.SweepRun(5, 1, None, 0.1)],
            3: [fa.SweepRun(0, 2, None, 10.0), fa.SweepRun(5, 3, None, 10.0)]}
    mse = fa.sweep_mse(runs)
    assert mse.tolist() == [[100.0, 0.1], [10.0, 10.0]]
    np.testing.assert_allclose(fa.orders_of_magnitude(mse), [3.0, 0.0])


def test_affine_fit_of_a_line_and_of_a_symmetric_parabola():
    x = torch.linspace(-2, 2, 9).reshape(-1, 1)
    line = fa.affine_fit(x, 3 * x - 1)
    assert line["slope"] == pytest.approx(3.0) and line["intercept"] == pytest.approx(-1.0)
    assert line["r_squared"] == pytest.approx(1.0)
    square = fa.affine_fit(x, x**2)  # symmetric grid: slope 0, intercept = mean of x^2, R^2 = 0
    assert abs(square["slope"]) < 1e-12 and abs(square["r_squared"]) < 1e-12
    assert square["intercept"] == pytest.approx(float((x**2).mean()))


def test_affine_fit_matches_a_least_squares_solve_and_is_repeatable():
    g = seeded(7)
    x = torch.randn(40, 1, generator=g, dtype=torch.float64)
    y = 2 * x + 0.5 + 0.3 * torch.randn(40, 1, generator=g, dtype=torch.float64)
    fit = fa.affine_fit(x, y)
    solution = torch.linalg.lstsq(torch.cat([x, torch.ones_like(x)], dim=1), y).solution[:, 0]
    assert fit["slope"] == pytest.approx(solution[0].item(), rel=1e-12)
    assert fit["intercept"] == pytest.approx(solution[1].item(), rel=1e-12)
    assert 0.5 < fit["r_squared"] < 1.0
    assert fa.affine_fit(x, y) == fit  # bit-identical on a second call


def test_pivot_shift_by_hand():
    def first_layer(bias):
        model = nn.Sequential(nn.Linear(1, 3), nn.ReLU(), nn.Linear(3, 1))
        with torch.no_grad():
            model[0].weight.fill_(1.0)
            model[0].bias.copy_(torch.tensor(bias))
        return model

    inside, moved = fa.pivot_shift([first_layer([0.0, -5.0, -20.0])], [first_layer([1.0, -5.0, -17.0])], (-10, 10))
    # pivots after: 0, 5, 20 (two inside); before: -1, 5, 17; shifts 1, 0, 3 -> median 1
    assert inside == [pytest.approx(2 / 3)] and moved == [1.0]


def test_locality_across_seeds_matches_retrieval_locality():
    local = fa.locality_across_seeds([locality_net(), locality_net()], 5.0)
    assert list(local) == ["active_fraction", "median_pivot_distance_active", "median_pivot_distance_inactive",
                           "ramp_fraction_of_active"]
    np.testing.assert_array_equal(local["active_fraction"], [0.75, 0.75])
    np.testing.assert_array_equal(local["median_pivot_distance_active"], [1.0, 1.0])
    np.testing.assert_array_equal(local["ramp_fraction_of_active"], [1.0, 1.0])


def test_point_reconstruction_by_hand():
    parts = [memory.contributions(hand_net(), torch.tensor([[1.0]]))] * 2  # f = 4.75, sum = 4.5
    output, total, gap = fa.point_reconstruction(parts)
    np.testing.assert_allclose(output, [4.75, 4.75])
    np.testing.assert_allclose(total, [4.5, 4.5])
    np.testing.assert_allclose(gap, [0.25 / 4.75] * 2)


def test_gap_statistics_across_matches_per_seed():
    x = torch.linspace(-2, 2, 11).reshape(-1, 1)
    parts = [memory.contributions(hand_net(), x), memory.contributions(hand_net(nn.GELU), x)]
    stats = fa.gap_statistics_across(parts, tolerance=0.05)
    for k, p in enumerate(parts):
        single = memory.gap_statistics(p, tolerance=0.05)
        for key in stats:
            assert stats[key][k] == getattr(single, key).item()


def test_relative_max_error_and_completeness_vs_steps():
    assert fa.relative_max_error(torch.tensor([0.1, -0.3]), torch.tensor([2.0, -6.0])) == pytest.approx(0.05)
    model = mlp([1, 8, 8, 1], activation="gelu", generator=seeded(0))
    x = torch.linspace(-1, 1, 7).reshape(-1, 1)
    errors = fa.completeness_vs_steps(model, x, [4, 64])
    assert errors[0] == memory.integrated_gradients(model, x, steps=4).completeness_error.abs().max().item()
    assert errors[1] < errors[0]


def test_regions_hit():
    assert fa.regions_hit(np.array([0.0, 1.0, 2.0, 3.0]), torch.tensor([[0.5], [0.6], [2.5], [3.0]])) == 2


def test_slope_rms_error_and_region_statistics_by_hand():
    model = relu_identity()
    pieces = linear_regions_1d(model, (-1.0, 1.0))
    # against f' = 0: half the length has error 1 -> sqrt(1/2)
    assert fa.slope_rms_error(pieces, lambda t: 0 * t) == pytest.approx(np.sqrt(0.5))
    # against 2x: midpoints -0.5 and 0.5 -> errors 1 and 0 -> sqrt(1/2)
    assert fa.slope_rms_error(pieces) == pytest.approx(np.sqrt(0.5))
    x = torch.linspace(-1, 1, 5).reshape(-1, 1)
    stats = fa.relu_region_statistics([model], x, torch.relu(x), [pieces])
    assert stats["relu_regions"][0] == 2 and stats["relu_regions_used"][0] == 2
    assert stats["relu_mse_500_epochs"][0] == 0.0
    assert stats["relu_first_layer_pivots_inside"][0] == 1  # the single key, at x = 0


# ---- claim rules: evidence on each side ----


def check_claim(claim, claim_id, kind, verdict):
    assert isinstance(claim, Claim)
    assert claim.id == claim_id and claim.kind == kind and claim.verdict == verdict
    assert claim.criterion and claim.section in fa.SECTIONS.values()
    assert isinstance(claim.measured["regime"], str) and "[-10, 10]" in claim.measured["regime"]  # names its regime
    if kind == "source":
        assert claim.measured["regime"].startswith(fa.REGIME)


def test_claim_convergence_orders():
    falls = np.array([[1000.0, 1.0, 0.05], [2000.0, 3.0, 0.01]])
    claim = fa.claim_convergence_orders(falls)
    check_claim(claim, "convergence-orders", "source", "reproduced")
    assert list(claim.measured) == ["mse_0_epochs", "mse_500_epochs", "log10_ratio", "regime"]
    assert claim.measured["log10_ratio"]["values"] == pytest.approx([np.log10(2e4), np.log10(2e5)])
    check_claim(fa.claim_convergence_orders(np.array([[100.0, 0.5], [100.0, 10.0]])), "convergence-orders", "source",
                "partly reproduced")
    check_claim(fa.claim_convergence_orders(np.array([[100.0, 5.0], [100.0, 10.0]])), "convergence-orders", "source",
                "not reproduced")


def test_claim_linear_is_constant():
    x = torch.linspace(-2, 2, 9).reshape(-1, 1)
    check_claim(fa.claim_linear_is_constant(fa.affine_fit(x, x**2)), "linear-is-constant", "check", "reproduced")
    check_claim(fa.claim_linear_is_constant(fa.affine_fit(x, 3 * x - 1)), "linear-is-constant", "check",
                "not reproduced")
    assert fa.constant_fit_verdict({"slope": 1e-7, "r_squared": 1e-3}) == "not reproduced"  # both bounds count


def test_claim_local_keys():
    local = fa.locality_across_seeds([locality_net(), locality_net()], 5.0)
    # dense (75% > 25%) but close (1 < 0.5 * 5): partly
    check_claim(fa.claim_local_keys(local), "local-keys-at-5", "source", "partly reproduced")
    check_claim(fa.claim_local_keys(local, sparse_share=0.8), "local-keys-at-5", "source", "reproduced")
    check_claim(fa.claim_local_keys(local, ratio=0.1), "local-keys-at-5", "source", "not reproduced")
    assert list(fa.claim_local_keys(local).measured) == [*local, "regime"]


def test_claim_sum_reconstructs_f5():
    parts = [memory.contributions(hand_net(), torch.tensor([[1.0]]))] * 2  # relative gap 0.25 / 4.75 = 5.3%
    claim = fa.claim_sum_reconstructs_f5(parts)
    check_claim(claim, "sum-reconstructs-f5", "source", "partly reproduced")
    assert claim.source_value == 25.0 and claim.measured["f_5"]["mean"] == 4.75
    check_claim(fa.claim_sum_reconstructs_f5(parts, tolerance=0.06), "sum-reconstructs-f5", "source", "reproduced")
    check_claim(fa.claim_sum_reconstructs_f5(parts, partly=0.05), "sum-reconstructs-f5", "source", "not reproduced")
    assert fa.point_gap_verdict(np.array([0.01, 0.02])) == "reproduced"
    assert fa.point_gap_verdict(np.array([0.01, 0.05, 0.5])) == "partly reproduced"
    assert fa.point_gap_verdict(np.array([0.2, 0.3])) == "not reproduced"


def test_claim_sum_is_output_everywhere():
    def stats(within):
        within = np.asarray(within)
        return {"fraction_within": within, "median_relative_gap": 1 - within, "max_abs_gap": 2 - within}

    claim = fa.claim_sum_is_output_everywhere(stats([0.95, 1.0]))
    check_claim(claim, "sum-is-output-everywhere", "source", "reproduced")
    assert list(claim.measured) == ["fraction_within_2pct", "median_relative_gap", "max_abs_gap", "regime"]
    check_claim(fa.claim_sum_is_output_everywhere(stats([0.9, 0.2])), "sum-is-output-everywhere", "source",
                "partly reproduced")
    check_claim(fa.claim_sum_is_output_everywhere(stats([0.4, 0.5])), "sum-is-output-everywhere", "source",
                "not reproduced")


def test_claim_exact_decompositions():
    check_claim(fa.claim_exact_decompositions(np.array([1e-5, 5e-4]), np.array([1e-16, 1e-12])),
                "exact-decompositions-add-up", "check", "reproduced")
    check_claim(fa.claim_exact_decompositions(np.array([1e-5, 2e-3]), np.array([1e-16, 1e-12])),
                "exact-decompositions-add-up", "check", "not reproduced")
    check_claim(fa.claim_exact_decompositions(np.array([1e-5, 1e-5]), np.array([1e-16, 1e-6])),
                "exact-decompositions-add-up", "check", "not reproduced")
    assert fa.exact_split_verdict(np.array([0.01]), np.array([0.0]), ig_tolerance=0.1) == "reproduced"


def test_claim_gelu_beats_relu():
    claim = fa.claim_gelu_beats_relu(np.array([0.1, 0.2, 0.3]), np.array([0.2, 0.3, 0.4]))
    check_claim(claim, "gelu-beats-relu", "source", "reproduced")
    assert claim.measured["gelu_wins_fraction"] == 1.0
    check_claim(fa.claim_gelu_beats_relu(np.array([0.1, 0.2, 0.5]), np.array([0.2, 0.3, 0.4])), "gelu-beats-relu",
                "source", "partly reproduced")
    check_claim(fa.claim_gelu_beats_relu(np.array([0.1, 0.4, 0.5]), np.array([0.2, 0.3, 0.4])), "gelu-beats-relu",
                "source", "not reproduced")


# ---- figures and bad inputs ----


def test_report_figures_draw():
    x, y = fa.square_data(20, -1, 1)
    runs = fa.epoch_sweep(x, y, [0, 5], seed=0, widths=(1, 4, 1))
    _, axes = plt.subplots(2, 2)
    fa.plot_convergence(x, y, runs, ax=axes[0, 0])
    fa.plot_mse_by_epochs([0, 5], fa.sweep_mse({0: runs}), [0], ax=axes[0, 1])
    fa.plot_gap_curves(x, torch.zeros(20), torch.ones(20), ax=axes[1, 0])
    fa.plot_error_vs_steps([2, 4], [1.0, 0.25], ax=axes[1, 1])
    model = relu_identity()
    drawn = fa.plot_relu_regions(model, linear_regions_1d(model, (-1.0, 1.0)), x, y)
    assert len(drawn) == 2 and drawn[0].figure.get_figwidth() <= 10
    plt.close("all")


@pytest.mark.parametrize("call,error,pattern", [
    (lambda: fa.square_data(1), ValueError, "n must be >= 2"),
    (lambda: fa.square_data(2.0), TypeError, "n must be an integer"),
    (lambda: fa.square_data(10, 3.0, -3.0), ValueError, "low must be below high"),
    (lambda: fa.square_data(10, float("nan")), ValueError, "low"),
    (lambda: fa.epoch_sweep(torch.zeros(3, 1), torch.zeros(3, 1), [0, -10], seed=0, widths=(1, 2, 1)), ValueError,
     r"epoch_counts\[1\]"),
    (lambda: fa.epoch_sweep(torch.zeros(3, 1), torch.zeros(3, 1), [2.5], seed=0, widths=(1, 2, 1)), TypeError,
     r"epoch_counts\[0\]"),
    (lambda: fa.epoch_sweep(torch.zeros(3, 1), torch.zeros(3, 1), [1], seed=0.5, widths=(1, 2, 1)), TypeError, "seed"),
    (lambda: fa.model_mse(relu_identity(), torch.zeros(3, 1), torch.zeros(4, 1)), ValueError, "y has shape"),
    (lambda: fa.model_mse(relu_identity(), torch.zeros(3, 1), torch.full((3, 1), float("nan"))), ValueError,
     "y holds NaN"),
    (lambda: fa.train_model(torch.zeros(3, 1), torch.zeros(3, 1), -1, 0, (1, 2, 1)), ValueError, "epochs"),
])
def test_bad_input_ends_in_a_named_error(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_every_claim_names_its_regime():
    claim = fa.claim_gelu_beats_relu(np.array([0.1]), np.array([0.2]), regime="SGD lr 0.1")
    assert claim.measured["regime"].startswith("SGD lr 0.1; 500 epochs")
    assert fa.claim_convergence_orders(np.array([[10.0, 0.01]])).measured["regime"].endswith("0 to 500 epochs")
