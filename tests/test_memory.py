"""Tests of mlpgeo.memory: hand-computed decompositions, batched autograd against a per-input loop,
completeness of integrated gradients, the exact per-region split of ReLU networks."""

import io

import numpy as np
import pytest
import torch
from torch import nn

from mlpgeo import memory
from mlpgeo.models import mlp


def hand_net(activation=nn.ReLU) -> nn.Sequential:
    """1 -> 2 -> 1: w = [1, -2], b = [0.5, 1]; output 3 a_0 - a_1 + 0.25."""
    model = nn.Sequential(nn.Linear(1, 2), activation(), nn.Linear(2, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0], [-2.0]]))
        model[0].bias.copy_(torch.tensor([0.5, 1.0]))
        model[2].weight.copy_(torch.tensor([[3.0, -1.0]]))
        model[2].bias.copy_(torch.tensor([0.25]))
    return model


def deep_hand_net() -> nn.Sequential:
    """1 -> 2 -> 2 -> 1 ReLU with small integer weights (see test_relu_decomposition_by_hand)."""
    model = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0], [-1.0]]))
        model[0].bias.zero_()
        model[2].weight.copy_(torch.tensor([[1.0, 1.0], [1.0, -1.0]]))
        model[2].bias.copy_(torch.tensor([1.0, -5.0]))
        model[4].weight.copy_(torch.tensor([[2.0, 3.0]]))
        model[4].bias.copy_(torch.tensor([0.5]))
    return model


def test_contributions_by_hand():
    # x = 1: z = [1.5, -1] -> a = [1.5, 0]; f = 3 * 1.5 + 0.25 = 4.75; df/da = [3, -1]
    parts = memory.contributions(hand_net(), torch.tensor([[1.0], [-1.0]]))
    assert torch.allclose(parts.activations[0], torch.tensor([1.5, 0.0], dtype=torch.float64))
    assert torch.allclose(parts.values[0], torch.tensor([3.0, -1.0], dtype=torch.float64))
    assert torch.allclose(parts.contributions[0], torch.tensor([4.5, 0.0], dtype=torch.float64))
    assert parts.total[0].item() == pytest.approx(4.5)
    assert parts.output[0].item() == pytest.approx(4.75)
    assert parts.gap[0].item() == pytest.approx(0.25)  # the output bias is not any neuron's contribution
    # x = -1: z = [-0.5, 3] -> a = [0, 3]; f = -3 + 0.25; contributions [0, -3]
    assert torch.allclose(parts.contributions[1], torch.tensor([0.0, -3.0], dtype=torch.float64))
    assert parts.output[1].item() == pytest.approx(-2.75)


def test_contributions_keep_model_dtype_and_leave_model_unchanged():
    model = hand_net()
    before = [p.clone() for p in model.parameters()]
    parts = memory.contributions(model, torch.tensor([[1.0]]), dtype=None)
    assert parts.values.dtype == torch.float32
    memory.contributions(model, torch.tensor([[1.0]]))  # float64 on a copy
    assert all(p.dtype == torch.float32 and torch.equal(p, q) for p, q in zip(model.parameters(), before))


@pytest.mark.parametrize("activation,widths,layer", [("gelu", [1, 8, 16, 4, 1], 1), ("gelu", [3, 8, 16, 2], 2),
                                                      ("tanh", [2, 5, 5, 3], 1), ("relu", [1, 16, 16, 1], 2)])
def test_batched_equals_per_input_loop(activation, widths, layer):
    model = mlp(widths, activation=activation, seed=3)
    x = torch.randn(25, widths[0], generator=torch.Generator().manual_seed(0)) * 3
    output = widths[-1] - 1
    fast = memory.contributions(model, x, layer, output=output)
    slow = memory.contributions_loop(model, x, layer, output=output)
    for name in ("activations", "values", "contributions", "total", "output"):
        assert torch.allclose(getattr(fast, name), getattr(slow, name), atol=1e-12), name
    with torch.no_grad():
        assert torch.allclose(fast.output.float(), model(x)[:, output], atol=1e-5)


def test_pivots_of_a_hand_made_first_layer():
    model = hand_net()
    assert memory.pivots(model).tolist() == pytest.approx([-0.5, 0.5])
    with torch.no_grad():
        model[0].weight[1] = 0.0
    p = memory.pivots(model)
    assert p[0].item() == pytest.approx(-0.5) and torch.isinf(p[1])


def test_pivots_are_where_the_pre_activation_vanishes():
    model = mlp([1, 32, 1], activation="gelu", seed=1)
    p = memory.pivots(model)
    z = model[0](p.float()[:, None])  # (32, 32): neuron j's pre-activation at pivot i
    assert torch.allclose(z.diagonal(), torch.zeros(32), atol=1e-5)


def test_integrated_gradients_exact_for_a_linear_tail():
    # tail = Linear(2, 1): g(a) = 3 a_0 - a_1 + 0.25, so IG_i = a_i w_i and g(0) = 0.25 even with one node
    ig = memory.integrated_gradients(hand_net(nn.GELU), torch.tensor([[1.0], [2.0]]), steps=1)
    a = memory.activations(hand_net(nn.GELU), torch.tensor([[1.0], [2.0]])).double()
    assert torch.allclose(ig.attributions, a * torch.tensor([3.0, -1.0], dtype=torch.float64), atol=1e-6)
    assert torch.allclose(ig.baseline_output, torch.full((2,), 0.25, dtype=torch.float64))
    assert ig.completeness_error.abs().max() < 1e-12


def test_integrated_gradients_completeness_error_shrinks_with_steps():
    model = mlp([1, 16, 32, 16, 1], activation="gelu", seed=2)
    x = torch.linspace(-10, 10, 50)[:, None]
    errors = [memory.integrated_gradients(model, x, steps=s).completeness_error.abs().max().item()
              for s in (2, 8, 32, 128, 512)]
    assert all(later < earlier for earlier, later in zip(errors, errors[1:])), errors
    assert errors[-1] < 1e-4 * errors[0]
    scale = memory.contributions(model, x).output.abs().max().item()
    assert errors[-1] < 1e-6 * max(scale, 1.0)


def test_integrated_gradients_baseline_and_chunking():
    model = mlp([2, 8, 8, 1], activation="gelu", seed=4)
    x = torch.randn(10, 2, generator=torch.Generator().manual_seed(1))
    base = memory.activations(model, torch.zeros(1, 2), layer=2)[0]
    whole = memory.integrated_gradients(model, x, layer=2, baseline=base, steps=40)
    pieces = memory.integrated_gradients(model, x, layer=2, baseline=base, steps=40, chunk=1)
    assert torch.allclose(whole.attributions, pieces.attributions, atol=1e-12)
    with torch.no_grad():
        f0 = model(torch.zeros(1, 2)).double()[0, 0]
    assert torch.allclose(whole.baseline_output, f0.expand(10), atol=1e-6)  # baseline = the input 0
    assert whole.completeness_error.abs().max() < 1e-4


def test_relu_decomposition_by_hand():
    # x = 2: a1 = [2, 0]; z2 = [3, -3] -> a2 = [3, 0]; f = 6.5. Layer 0: values W3 D2 W2 = [2, 2],
    # contributions [4, 0], bias path W3 D2 b2 + b3 = 2 + 0.5 = 2.5; 4 + 2.5 = 6.5.
    d = memory.relu_decomposition(deep_hand_net(), torch.tensor([[2.0]]))
    assert d.values[0].tolist() == [2.0, 2.0]
    assert d.contributions[0].tolist() == [4.0, 0.0]
    assert d.bias_path[0].item() == 2.5 and d.output[0].item() == 6.5 and d.residual[0].item() == 0.0
    # layer 2: a2 = [3, 0], values W3 = [2, 3], bias path 0.5
    d1 = memory.relu_decomposition(deep_hand_net(), torch.tensor([[2.0]]), layer=2)
    assert d1.values[0].tolist() == [2.0, 3.0] and d1.bias_path[0].item() == 0.5


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_relu_decomposition_adds_up_and_matches_autograd(activation):
    model = mlp([3, 32, 64, 32, 2], activation=activation, seed=5)
    x = torch.randn(200, 3, generator=torch.Generator().manual_seed(2)) * 4
    for layer in (1, 2, 3):
        d = memory.relu_decomposition(model, x, layer, output=1)
        assert d.residual.abs().max() < 1e-12 * max(1.0, d.output.abs().max().item())
        parts = memory.contributions(model, x, layer, output=1)
        assert torch.allclose(d.values, parts.values, atol=1e-12)
        assert torch.allclose(d.output, parts.output, atol=1e-12)
        assert torch.allclose(d.bias_path, parts.gap, atol=1e-10)  # for ReLU the gap IS the bias path


def test_relu_decomposition_matches_exact_1d_regions():
    from mlpgeo.regions import linear_regions_1d

    model = mlp([1, 16, 16, 1], activation="relu", seed=6)
    regions = linear_regions_1d(model, (-3.0, 3.0))
    bp = regions.breakpoints
    mid = torch.tensor(0.5 * (bp[:-1] + bp[1:]))[:, None]
    d = memory.relu_decomposition(model, mid)
    w = model[0].weight.detach().double()[:, 0]
    b = model[0].bias.detach().double()
    on = d.activations > 0
    # on a piece, f(x) = sum_i relu(w_i x + b_i) v_i + c = (sum_on w_i v_i) x + (sum_on b_i v_i + c)
    slope = (on * w * d.values).sum(1)
    intercept = (on * b * d.values).sum(1) + d.bias_path
    assert np.allclose(slope.numpy(), regions.slopes[:, 0], atol=1e-10)
    assert np.allclose(intercept.numpy(), regions.intercepts[:, 0], atol=1e-10)


def test_retrieval_locality_by_hand():
    model = nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 1))
    with torch.no_grad():  # pivots 0, 4, 6, 10; directions +, +, -, +
        model[0].weight.copy_(torch.tensor([[1.0], [1.0], [-1.0], [1.0]]))
        model[0].bias.copy_(torch.tensor([0.0, -4.0, 6.0, -10.0]))
    stats = memory.retrieval_locality(model, 5.0)
    # a(5) = [5, 1, 1, 0]: all of the first three exceed 10% of the largest
    assert stats["active_fraction"] == 0.75
    assert stats["median_pivot_distance_active"] == 1.0
    assert stats["median_pivot_distance_inactive"] == 5.0
    assert stats["ramp_fraction_active"] == 1.0


def test_regions_hit():
    assert memory.regions_hit(np.array([0.0, 1.0, 2.0, 3.0]), torch.tensor([[0.5], [0.6], [2.5], [3.0]])) == 2


def test_square_data_and_epoch_sweep():
    x, y = memory.square_data(7, -3, 3)
    assert x.shape == (7, 1) and torch.allclose(y, x**2) and x[0, 0] == -3 and x[-1, 0] == 3
    runs = memory.epoch_sweep(x, y, [0, 30], seed=2, widths=(1, 8, 1), lr=1e-2)
    assert [r.epochs for r in runs] == [0, 30] and [r.seed for r in runs] == [2000, 2001]
    fresh = mlp([1, 8, 1], activation="gelu", seed=2000)
    with torch.no_grad():
        assert runs[0].mse == pytest.approx(float(((fresh(x) - y) ** 2).mean()))
        assert runs[1].mse == pytest.approx(float(((runs[1].model(x) - y) ** 2).mean()))


def test_lookup_trace_gif_is_a_small_animation():
    from PIL import Image

    model = mlp([1, 16, 16, 1], activation="gelu", seed=0)
    x, y = memory.square_data(100)
    data = memory.lookup_trace_gif(model, x, frames=4, target=y, width_px=400)
    assert data[:6] == b"GIF89a" and len(data) < 400_000
    image = Image.open(io.BytesIO(data))
    assert image.n_frames == 4 + 2  # forward, then back without repeating the ends


def test_bad_input_is_named():
    model = hand_net()
    with pytest.raises(ValueError, match="layer 2 does not exist"):
        memory.contributions(model, torch.zeros(3, 1), layer=2)
    with pytest.raises(ValueError, match="output 1 does not exist"):
        memory.contributions(model, torch.zeros(3, 1), output=1)
    with pytest.raises(ValueError, match="expects"):
        memory.contributions(model, torch.zeros(3, 2))
    with pytest.raises(ValueError, match="NaN"):
        memory.contributions(model, torch.full((3, 1), float("nan")))
    with pytest.raises(ValueError, match="steps"):
        memory.integrated_gradients(model, torch.zeros(3, 1), steps=0)
    with pytest.raises(ValueError, match="baseline"):
        memory.integrated_gradients(model, torch.zeros(3, 1), baseline=torch.zeros(5))
    with pytest.raises(TypeError, match="integrated_gradients"):
        memory.relu_decomposition(hand_net(nn.GELU), torch.zeros(3, 1))
    with pytest.raises(ValueError, match="scalar input"):
        memory.pivots(mlp([2, 4, 1]))
    with pytest.raises(TypeError):
        memory.contributions(nn.Linear(1, 1), torch.zeros(3, 1))


@pytest.mark.parametrize("steps", [0, -3, 2.5, True, "8"])
def test_integrated_gradients_rejects_a_bad_node_count(steps):
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        memory.integrated_gradients(hand_net(), torch.zeros(3, 1), steps=steps)


def test_more_bad_input_is_named():
    model = hand_net()
    with pytest.raises(ValueError, match="floating-point torch dtype"):
        memory.contributions(model, torch.zeros(3, 1), dtype=torch.int64)
    with pytest.raises(ValueError, match="chunk must be >= 1"):
        memory.integrated_gradients(model, torch.zeros(3, 1), chunk=0)
    with pytest.raises(ValueError, match="baseline must be finite"):
        memory.integrated_gradients(model, torch.zeros(3, 1), baseline=torch.tensor([0.0, float("nan")]))
    with pytest.raises(ValueError, match="0 <= threshold < 1"):
        memory.retrieval_locality(model, 5.0, threshold=1.5)
    with pytest.raises(ValueError, match="scalar input"):
        memory.retrieval_locality(mlp([2, 4, 1]), 5.0)
    with pytest.raises(ValueError, match="epoch counts must be integers >= 0"):
        memory.epoch_sweep(torch.zeros(3, 1), torch.zeros(3, 1), [0, -10], seed=0, widths=(1, 2, 1))
    with pytest.raises(ValueError, match="frames must be >= 2"):
        memory.lookup_trace_gif(model, torch.zeros(3, 1), frames=1)
    with pytest.raises(ValueError, match="scalar-input"):
        memory.lookup_trace_gif(mlp([2, 4, 1]), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="n >= 2 and low < high"):
        memory.square_data(1)
    with pytest.raises(ValueError, match="n >= 2 and low < high"):
        memory.square_data(10, 3.0, -3.0)


def test_gap_statistics_by_hand():
    # f = [4.75, -2.75]; both gaps are the output bias 0.25: relative 0.25/4.75 and 0.25/2.75
    parts = memory.contributions(hand_net(), torch.tensor([[1.0], [-1.0]]))
    stats = memory.gap_statistics(parts, tolerance=0.06)
    assert stats["max_abs_gap"] == pytest.approx(0.25)
    assert stats["max_relative_gap"] == pytest.approx(0.25 / 2.75)
    assert stats["median_relative_gap"] == pytest.approx(0.25 / 4.75)  # torch median: the lower of two
    assert stats["fraction_within"] == 0.5


def test_pivot_order_by_hand():
    model = nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 1))
    with torch.no_grad():  # pivots 0, 4, 6, none; signed pivots 0, 4, -6, (last)
        model[0].weight.copy_(torch.tensor([[1.0], [1.0], [-1.0], [0.0]]))
        model[0].bias.copy_(torch.tensor([0.0, -4.0, 6.0, 1.0]))
    assert memory.pivot_order(model).tolist() == [2, 0, 1, 3]


# ---- the report's aggregations and verdict criteria ----


def test_orders_of_magnitude_and_sweep_mse():
    runs = {0: [memory.SweepRun(0, 0, None, 100.0), memory.SweepRun(5, 1, None, 0.1)],
            3: [memory.SweepRun(0, 2, None, 10.0), memory.SweepRun(5, 3, None, 10.0)]}
    mse = memory.sweep_mse(runs)
    assert mse.shape == (2, 2)
    np.testing.assert_allclose(memory.orders_of_magnitude(mse), [3.0, 0.0])


def test_affine_fit_of_a_line_and_of_a_symmetric_parabola():
    x = torch.linspace(-2, 2, 9).reshape(-1, 1)
    line = memory.affine_fit(x, 3 * x - 1)
    assert line["slope"] == pytest.approx(3.0) and line["intercept"] == pytest.approx(-1.0)
    assert line["r_squared"] == pytest.approx(1.0)
    square = memory.affine_fit(x, x**2)  # symmetric grid: slope 0, intercept = mean of x^2, R^2 = 0
    assert abs(square["slope"]) < 1e-12 and abs(square["r_squared"]) < 1e-12
    assert square["intercept"] == pytest.approx(float((x**2).mean()))
    assert memory.constant_fit_verdict(square) == "reproduced"
    assert memory.constant_fit_verdict(line) == "not reproduced"


def test_affine_fit_matches_a_least_squares_solve_and_is_repeatable():
    g = torch.Generator().manual_seed(7)
    x = torch.randn(40, 1, generator=g, dtype=torch.float64)
    y = 2 * x + 0.5 + 0.3 * torch.randn(40, 1, generator=g, dtype=torch.float64)
    fit = memory.affine_fit(x, y)
    solution = torch.linalg.lstsq(torch.cat([x, torch.ones_like(x)], dim=1), y).solution[:, 0]
    assert fit["slope"] == pytest.approx(solution[0].item(), rel=1e-12)
    assert fit["intercept"] == pytest.approx(solution[1].item(), rel=1e-12)
    assert 0.5 < fit["r_squared"] < 1.0
    assert memory.affine_fit(x, y) == fit  # bit-identical on a second call


def test_pivot_shift_by_hand():
    def first_layer(bias):
        model = nn.Sequential(nn.Linear(1, 3), nn.ReLU(), nn.Linear(3, 1))
        with torch.no_grad():
            model[0].weight.fill_(1.0)
            model[0].bias.copy_(torch.tensor(bias))
        return model

    inside, moved = memory.pivot_shift([first_layer([0.0, -5.0, -20.0])], [first_layer([1.0, -5.0, -17.0])],
                                       (-10, 10))
    # pivots after: 0, 5, 20 (two inside); before: -1, 5, 17; shifts 1, 0, 3 -> median 1
    assert inside == [pytest.approx(2 / 3)] and moved == [1.0]


def test_locality_across_seeds_and_verdict():
    model = nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 1))
    with torch.no_grad():  # as in test_retrieval_locality_by_hand
        model[0].weight.copy_(torch.tensor([[1.0], [1.0], [-1.0], [1.0]]))
        model[0].bias.copy_(torch.tensor([0.0, -4.0, 6.0, -10.0]))
    local = memory.locality_across_seeds([model, model], 5.0)
    np.testing.assert_array_equal(local["active_fraction"], [0.75, 0.75])
    np.testing.assert_array_equal(local["ramp_fraction_of_active"], [1.0, 1.0])
    # dense (75% > 25%) but close (1 < 0.5 * 5): partly
    assert memory.locality_verdict(local) == "partly reproduced"
    assert memory.locality_verdict(local, sparse_share=0.8) == "reproduced"
    assert memory.locality_verdict(local, ratio=0.1) == "not reproduced"


def test_point_reconstruction_and_gap_verdicts():
    model = hand_net()  # x = 1: f = 4.75, sum a_i df/da_i = 4.5 -> relative gap 0.25 / 4.75
    parts = [memory.contributions(model, torch.tensor([[1.0]]))] * 2
    output, total, gap = memory.point_reconstruction(parts)
    np.testing.assert_allclose(output, [4.75, 4.75])
    np.testing.assert_allclose(total, [4.5, 4.5])
    np.testing.assert_allclose(gap, [0.25 / 4.75] * 2)
    assert memory.point_gap_verdict(np.array([0.01, 0.02])) == "reproduced"
    assert memory.point_gap_verdict(np.array([0.01, 0.05, 0.5])) == "partly reproduced"
    assert memory.point_gap_verdict(np.array([0.2, 0.3])) == "not reproduced"
    assert memory.everywhere_verdict(np.array([0.95, 1.0])) == "reproduced"
    assert memory.everywhere_verdict(np.array([0.9, 0.2])) == "partly reproduced"
    assert memory.everywhere_verdict(np.array([0.4, 0.5])) == "not reproduced"


def test_gap_statistics_across_matches_per_seed():
    x = torch.linspace(-2, 2, 11).reshape(-1, 1)
    parts = [memory.contributions(hand_net(), x), memory.contributions(hand_net(nn.GELU), x)]
    stats = memory.gap_statistics_across(parts, tolerance=0.05)
    for k, p in enumerate(parts):
        for key, value in memory.gap_statistics(p, tolerance=0.05).items():
            assert stats[key][k] == value


def test_summaries_and_relative_max_error():
    out = memory.summaries({"a": np.array([1.0, 3.0])})
    assert out["a"]["mean"] == 2.0 and out["a"]["n"] == 2
    assert memory.relative_max_error(torch.tensor([0.1, -0.3]), torch.tensor([2.0, -6.0])) == pytest.approx(0.05)


def test_slope_rms_error_by_hand():
    from mlpgeo.regions import linear_regions_1d

    model = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 1))  # f = relu(x): slopes 0 then 1
    with torch.no_grad():
        model[0].weight.fill_(1.0), model[0].bias.zero_(), model[2].weight.fill_(1.0), model[2].bias.zero_()
    pieces = linear_regions_1d(model, (-1.0, 1.0))
    # against f' = 0: half the length has error 1 -> sqrt(1/2)
    assert memory.slope_rms_error(pieces, lambda t: 0 * t) == pytest.approx(np.sqrt(0.5))
    # against 2x: midpoints -0.5 and 0.5 -> errors 1 and 0 -> sqrt(1/2)
    assert memory.slope_rms_error(pieces) == pytest.approx(np.sqrt(0.5))
    x = torch.linspace(-1, 1, 5).reshape(-1, 1)
    stats = memory.relu_region_statistics([model], x, torch.relu(x), [pieces])
    assert stats["relu_regions"][0] == 2 and stats["relu_regions_used"][0] == 2
    assert stats["relu_mse_500_epochs"][0] == 0.0
    assert stats["relu_first_layer_pivots_inside"][0] == 1  # the single key, at x = 0


def test_relu_twin_is_deterministic_and_trained():
    x, y = memory.square_data(50, -2, 2)
    a = memory.relu_twin(x, y, (1, 8, 1), epochs=20, seed=3, lr=1e-2)
    b = memory.relu_twin(x, y, (1, 8, 1), epochs=20, seed=3, lr=1e-2)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    assert memory.model_mse(a, x, y) < memory.model_mse(mlp([1, 8, 1], "relu", seed=3), x, y)


def test_completeness_vs_steps_matches_integrated_gradients():
    model = mlp([1, 8, 8, 1], activation="gelu", seed=0)
    x = torch.linspace(-1, 1, 7).reshape(-1, 1)
    errors = memory.completeness_vs_steps(model, x, [4, 64])
    assert errors[0] == memory.integrated_gradients(model, x, steps=4).completeness_error.abs().max().item()
    assert errors[1] < errors[0]


def test_exact_split_verdict():
    assert memory.exact_split_verdict(np.array([1e-5, 5e-4]), np.array([1e-16, 1e-12])) == "reproduced"
    assert memory.exact_split_verdict(np.array([1e-5, 2e-3]), np.array([1e-16, 1e-12])) == "not reproduced"
    assert memory.exact_split_verdict(np.array([1e-5, 1e-5]), np.array([1e-16, 1e-6])) == "not reproduced"
    assert memory.exact_split_verdict(np.array([0.01]), np.array([0.0]), ig_tolerance=0.1) == "reproduced"
