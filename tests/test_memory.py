"""Tests of mlpgeo.memory: hand-computed decompositions, batched autograd against a per-input loop,
completeness of integrated gradients, the exact per-region split of ReLU networks, float32 and float64
models, chunked work within the memory budget, and every public function's bad inputs."""

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from mlpgeo import memory
from mlpgeo.models import mlp, seeded
from mlpgeo.regions import linear_regions_1d
from mlpgeo.validate import BudgetError


def hand_net(activation=nn.ReLU, dtype=torch.float32) -> nn.Sequential:
    """1 -> 2 -> 1: w = [1, -2], b = [0.5, 1]; output 3 a_0 - a_1 + 0.25."""
    model = nn.Sequential(nn.Linear(1, 2), activation(), nn.Linear(2, 1)).to(dtype)
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0], [-2.0]]))
        model[0].bias.copy_(torch.tensor([0.5, 1.0]))
        model[2].weight.copy_(torch.tensor([[3.0, -1.0]]))
        model[2].bias.copy_(torch.tensor([0.25]))
    return model


def deep_hand_net(dtype=torch.float32) -> nn.Sequential:
    """1 -> 2 -> 2 -> 1 ReLU with small integer weights (see test_relu_decomposition_by_hand)."""
    model = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)).to(dtype)
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0], [-1.0]]))
        model[0].bias.zero_()
        model[2].weight.copy_(torch.tensor([[1.0, 1.0], [1.0, -1.0]]))
        model[2].bias.copy_(torch.tensor([1.0, -5.0]))
        model[4].weight.copy_(torch.tensor([[2.0, 3.0]]))
        model[4].bias.copy_(torch.tensor([0.5]))
    return model


def net(widths, activation="gelu", seed=0, dtype=torch.float32) -> nn.Sequential:
    return mlp(widths, activation=activation, generator=seeded(seed), dtype=dtype)


# ---- cutting the network ----


@pytest.mark.parametrize("layer", [1, 2, 3])
def test_split_at_composes_back_to_the_model(layer):
    model = net([3, 8, 8, 8, 2], seed=1)
    x = torch.randn(5, 3, generator=seeded(0))
    head, tail = memory.split_at(model, layer)
    assert torch.equal(tail(head(x)), model(x))
    assert head[-2] is model[2 * layer - 2]  # shares the parameters
    head64, tail64 = memory.split_at(model, layer, dtype=torch.float64)
    assert next(head64.parameters()).dtype == torch.float64 and next(model.parameters()).dtype == torch.float32
    assert torch.allclose(tail64(head64(x.double())).float(), model(x), atol=1e-5)


def test_activations_of_the_hand_net():
    # x = 1: z = [1.5, -1] -> relu [1.5, 0]; x = -1: z = [-0.5, 3] -> [0, 3]
    a = memory.activations(hand_net(), torch.tensor([[1.0], [-1.0]]))
    assert a.tolist() == [[1.5, 0.0], [0.0, 3.0]]


# ---- gradient x activation ----


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_contributions_by_hand(dtype):
    # x = 1: a = [1.5, 0]; f = 3 * 1.5 + 0.25 = 4.75; df/da = [3, -1]
    parts = memory.contributions(hand_net(dtype=dtype), torch.tensor([[1.0], [-1.0]], dtype=dtype))
    assert parts.activations[0].tolist() == [1.5, 0.0]
    assert parts.values[0].tolist() == [3.0, -1.0]
    assert parts.contributions[0].tolist() == [4.5, 0.0]
    assert parts.total[0].item() == 4.5 and parts.output[0].item() == 4.75
    assert parts.gap[0].item() == 0.25  # the output bias is not any neuron's contribution
    # x = -1: a = [0, 3]; f = -3 + 0.25; contributions [0, -3]
    assert parts.contributions[1].tolist() == [0.0, -3.0] and parts.output[1].item() == -2.75


@pytest.mark.parametrize("model_dtype", [torch.float32, torch.float64])
def test_contributions_dtype_and_the_model_is_left_unchanged(model_dtype):
    model = hand_net(dtype=model_dtype)
    before = [p.clone() for p in model.parameters()]
    kept = memory.contributions(model, torch.tensor([[1.0]]), dtype=None)
    assert kept.values.dtype == model_dtype
    wide = memory.contributions(model, torch.tensor([[1.0]]))  # float64 by default, on a copy if needed
    assert wide.values.dtype == torch.float64
    memory.contributions_loop(model, torch.tensor([[1.0]]), dtype=None)
    assert all(p.dtype == model_dtype and torch.equal(p, q) and p.grad is None
               for p, q in zip(model.parameters(), before))


def test_float64_inputs_keep_their_precision_in_a_float64_computation():
    model = hand_net()  # float32 model, float64 computation: x = 1 + 1e-12 is not rounded to 1
    x = torch.tensor([[1.0 + 1e-12]], dtype=torch.float64)
    parts = memory.contributions(model, x)
    assert parts.activations[0, 0].item() == pytest.approx(1.5 + 1e-12, abs=1e-15)
    assert parts.activations[0, 0].item() != 1.5


@pytest.mark.parametrize("activation,widths,layer", [("gelu", [1, 8, 16, 4, 1], 1), ("gelu", [3, 8, 16, 2], 2),
                                                      ("tanh", [2, 5, 5, 3], 1), ("relu", [1, 16, 16, 1], 2)])
def test_batched_equals_per_input_loop(activation, widths, layer):
    model = net(widths, activation=activation, seed=3)
    x = torch.randn(25, widths[0], generator=seeded(0)) * 3
    output = widths[-1] - 1
    fast = memory.contributions(model, x, layer, output=output)
    slow = memory.contributions_loop(model, x, layer, output=output)
    for name in ("activations", "values", "contributions", "total", "output"):
        assert torch.allclose(getattr(fast, name), getattr(slow, name), atol=1e-12), name
    with torch.no_grad():
        assert torch.allclose(fast.output.float(), model(x)[:, output], atol=1e-5)


def test_values_are_finite_differences_of_the_tail():
    model = net([2, 6, 5, 1], seed=8, dtype=torch.float64)
    x = torch.randn(4, 2, generator=seeded(1), dtype=torch.float64)
    parts = memory.contributions(model, x, layer=1)
    head, tail = memory.split_at(model, 1)
    a = head(x).detach()
    h = 1e-6
    for i in range(a.shape[1]):
        step = torch.zeros_like(a)
        step[:, i] = h
        numeric = (tail(a + step) - tail(a - step))[:, 0].detach() / (2 * h)
        assert torch.allclose(parts.values[:, i], numeric, atol=1e-7)


def test_contributions_work_in_row_blocks_within_a_small_budget(monkeypatch):
    model = net([1, 16, 32, 1], seed=2)
    x = torch.linspace(-3, 3, 300)[:, None]
    whole = memory.contributions(model, x)
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "200kB")  # chunks of a few dozen rows
    blocks = memory.contributions(model, x)
    for name in ("activations", "values", "output"):
        assert torch.allclose(getattr(whole, name), getattr(blocks, name), atol=1e-12), name
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "10kB")  # the (n, width) results alone do not fit
    with pytest.raises(BudgetError, match="fewer rows in x"):
        memory.contributions(model, x)


# ---- pivots ----


def test_pivots_of_a_hand_made_first_layer():
    model = hand_net()
    assert memory.pivots(model).tolist() == [-0.5, 0.5]
    with torch.no_grad():
        model[0].weight[1] = 0.0
    p = memory.pivots(model)
    assert p[0].item() == -0.5 and p[1].item() == float("inf")
    with torch.no_grad():
        model[0].bias[1] = 0.0  # 0 / 0 used to give NaN: a neuron without a pivot is +inf
    assert memory.pivots(model)[1].item() == float("inf")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_pivots_are_where_the_pre_activation_vanishes(dtype):
    model = net([1, 32, 1], seed=1, dtype=dtype)
    p = memory.pivots(model)
    assert p.dtype == torch.float64
    z = model[0](p.to(dtype)[:, None])  # (32, 32): neuron j's pre-activation at pivot i
    assert torch.allclose(z.diagonal().double(), torch.zeros(32, dtype=torch.float64), atol=1e-5)


def test_pivot_order_by_hand():
    model = nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 1))
    with torch.no_grad():  # pivots 0, 4, 6, none; signed pivots 0, 4, -6, (last)
        model[0].weight.copy_(torch.tensor([[1.0], [1.0], [-1.0], [0.0]]))
        model[0].bias.copy_(torch.tensor([0.0, -4.0, 6.0, 1.0]))
    assert memory.pivot_order(model).tolist() == [2, 0, 1, 3]


# ---- integrated gradients ----


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_integrated_gradients_exact_for_a_linear_tail(dtype):
    # tail = Linear(2, 1): g(a) = 3 a_0 - a_1 + 0.25, so IG_i = a_i w_i and g(0) = 0.25 even with one node
    model = hand_net(nn.GELU, dtype=dtype)
    x = torch.tensor([[1.0], [2.0]], dtype=dtype)
    ig = memory.integrated_gradients(model, x, steps=1)
    a = memory.activations(model, x).double()
    assert torch.allclose(ig.attributions, a * torch.tensor([3.0, -1.0], dtype=torch.float64), atol=1e-6)
    assert torch.allclose(ig.baseline_output, torch.full((2,), 0.25, dtype=torch.float64))
    assert ig.completeness_error.abs().max() < 1e-12


def test_integrated_gradients_completeness_error_shrinks_with_steps():
    model = net([1, 16, 32, 16, 1], seed=2)
    x = torch.linspace(-10, 10, 50)[:, None]
    errors = [memory.integrated_gradients(model, x, steps=s).completeness_error.abs().max().item()
              for s in (2, 8, 32, 128, 512)]
    assert all(later < earlier for earlier, later in zip(errors, errors[1:])), errors
    assert errors[-1] < 1e-4 * errors[0]
    scale = memory.contributions(model, x).output.abs().max().item()
    assert errors[-1] < 1e-6 * max(scale, 1.0)


def test_integrated_gradients_in_the_models_float32():
    model = net([1, 8, 8, 1], seed=2)
    x = torch.linspace(-2, 2, 9)[:, None]
    low = memory.integrated_gradients(model, x, steps=64, dtype=None)
    high = memory.integrated_gradients(model, x, steps=64)
    assert low.attributions.dtype == torch.float32
    assert torch.allclose(low.attributions.double(), high.attributions, atol=1e-5)


def test_integrated_gradients_baseline_and_chunking(monkeypatch):
    model = net([2, 8, 8, 1], seed=4)
    x = torch.randn(10, 2, generator=seeded(1))
    base = memory.activations(model, torch.zeros(1, 2), layer=2)[0]
    whole = memory.integrated_gradients(model, x, layer=2, baseline=base, steps=40)
    nodes = memory.integrated_gradients(model, x, layer=2, baseline=base, steps=40, chunk=8 * 10 * 3)
    rows = memory.integrated_gradients(model, x, layer=2, baseline=base, steps=40, chunk=1)
    per_row = memory.integrated_gradients(model, x, layer=2, baseline=base.expand(10, 8), steps=40)
    for other in (nodes, rows, per_row):
        assert torch.allclose(whole.attributions, other.attributions, atol=1e-12)
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "20kB")  # the budget, not `chunk`, sets the blocks
    budgeted = memory.integrated_gradients(model, x, layer=2, baseline=base, steps=40)
    assert torch.allclose(whole.attributions, budgeted.attributions, atol=1e-12)
    with torch.no_grad():
        f0 = model(torch.zeros(1, 2)).double()[0, 0]
    assert torch.allclose(whole.baseline_output, f0.expand(10), atol=1e-6)  # baseline = the input 0
    assert whole.completeness_error.abs().max() < 1e-4


def test_integrated_gradients_refuses_unbounded_work_at_once():
    model = net([1, 64, 256, 64, 1])
    with pytest.raises(BudgetError, match="lower steps"):
        memory.integrated_gradients(model, torch.zeros(1000, 1), steps=10**9)


# ---- the exact per-region split ----


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_relu_decomposition_by_hand(dtype):
    # x = 2: a1 = [2, 0]; z2 = [3, -3] -> a2 = [3, 0]; f = 6.5. Layer 1: values W3 D2 W2 = [2, 2],
    # contributions [4, 0], bias path W3 D2 b2 + b3 = 2 + 0.5 = 2.5; 4 + 2.5 = 6.5.
    d = memory.relu_decomposition(deep_hand_net(dtype), torch.tensor([[2.0]], dtype=dtype))
    assert d.values.dtype == torch.float64
    assert d.values[0].tolist() == [2.0, 2.0]
    assert d.contributions[0].tolist() == [4.0, 0.0]
    assert d.bias_path[0].item() == 2.5 and d.output[0].item() == 6.5 and d.residual[0].item() == 0.0
    # layer 2: a2 = [3, 0], values W3 = [2, 3], bias path 0.5
    d2 = memory.relu_decomposition(deep_hand_net(dtype), torch.tensor([[2.0]], dtype=dtype), layer=2)
    assert d2.values[0].tolist() == [2.0, 3.0] and d2.bias_path[0].item() == 0.5


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_relu_decomposition_adds_up_and_matches_autograd(activation):
    model = net([3, 32, 64, 32, 2], activation=activation, seed=5)
    x = torch.randn(200, 3, generator=seeded(2)) * 4
    for layer in (1, 2, 3):
        d = memory.relu_decomposition(model, x, layer, output=1)
        assert d.residual.abs().max() < 1e-12 * max(1.0, d.output.abs().max().item())
        parts = memory.contributions(model, x, layer, output=1)
        assert torch.allclose(d.values, parts.values, atol=1e-12)
        assert torch.allclose(d.output, parts.output, atol=1e-12)
        assert torch.allclose(d.bias_path, parts.gap, atol=1e-10)  # for ReLU the gap IS the bias path


def test_relu_decomposition_in_row_blocks(monkeypatch):
    model = net([2, 16, 16, 1], activation="relu", seed=7)
    x = torch.randn(400, 2, generator=seeded(3))
    whole = memory.relu_decomposition(model, x)
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "300kB")
    blocks = memory.relu_decomposition(model, x)
    assert torch.allclose(whole.values, blocks.values, atol=1e-14)
    assert torch.allclose(whole.bias_path, blocks.bias_path, atol=1e-12)


def test_relu_decomposition_matches_exact_1d_regions():
    model = net([1, 16, 16, 1], activation="relu", seed=6)
    regions = linear_regions_1d(model, (-3.0, 3.0))
    bp = np.asarray(regions.breakpoints)
    mid = torch.tensor(0.5 * (bp[:-1] + bp[1:]))[:, None]
    d = memory.relu_decomposition(model, mid)
    w = model[0].weight.detach().double()[:, 0]
    b = model[0].bias.detach().double()
    on = d.activations > 0
    # on a piece, f(x) = sum_i relu(w_i x + b_i) v_i + c = (sum_on w_i v_i) x + (sum_on b_i v_i + c)
    slope = (on * w * d.values).sum(1)
    intercept = (on * b * d.values).sum(1) + d.bias_path
    assert np.allclose(slope.numpy(), np.asarray(regions.slopes)[:, 0], atol=1e-10)
    assert np.allclose(intercept.numpy(), np.asarray(regions.intercepts)[:, 0], atol=1e-10)


# ---- measurements ----


def locality_net(dtype=torch.float32) -> nn.Sequential:
    model = nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 1)).to(dtype)
    with torch.no_grad():  # pivots 0, 4, 6, 10; directions +, +, -, +
        model[0].weight.copy_(torch.tensor([[1.0], [1.0], [-1.0], [1.0]]))
        model[0].bias.copy_(torch.tensor([0.0, -4.0, 6.0, -10.0]))
    return model


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_retrieval_locality_by_hand(dtype):
    stats = memory.retrieval_locality(locality_net(dtype), 5.0)
    # a(5) = [5, 1, 1, 0]: the first three exceed 10% of the largest; pivot distances 5, 1, 1 | 5
    assert stats.active_fraction.item() == 0.75
    assert stats.median_pivot_distance_active.item() == 1.0
    assert stats.median_pivot_distance_inactive.item() == 5.0
    assert stats.ramp_fraction_active.item() == 1.0
    # at x* = 20 every neuron but the left-firing one (pivot 6) is active: no inactive pivot -> NaN, stated
    far = memory.retrieval_locality(locality_net(dtype), 20.0)
    assert far.active_fraction.item() == 0.75 and far.median_pivot_distance_inactive.item() == 14.0
    sparse = memory.retrieval_locality(locality_net(dtype), 5.0, threshold=0.5)  # only a_0 = 5 > 2.5
    assert sparse.active_fraction.item() == 0.25 and sparse.median_pivot_distance_active.item() == 5.0


def test_gap_statistics_by_hand():
    # f = [4.75, -2.75]; both gaps are the output bias 0.25: relative 0.25/4.75 and 0.25/2.75
    parts = memory.contributions(hand_net(), torch.tensor([[1.0], [-1.0]]))
    stats = memory.gap_statistics(parts, tolerance=0.06)
    assert stats.max_abs_gap.item() == pytest.approx(0.25)
    assert stats.max_relative_gap.item() == pytest.approx(0.25 / 2.75)
    assert stats.median_relative_gap.item() == pytest.approx(0.25 / 4.75)  # torch median: the lower of two
    assert stats.fraction_within.item() == 0.5
    assert memory.gap_statistics(parts, tolerance=0.1).fraction_within.item() == 1.0


def test_gap_is_zero_for_a_homogeneous_tail():
    # no biases after the cut and ReLU downstream: g is degree-1 homogeneous, so sum a_i df/da_i = f (Euler)
    model = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 5, bias=False), nn.ReLU(),
                          nn.Linear(5, 1, bias=False)).double()
    parts = memory.contributions(model, torch.randn(30, 2, generator=seeded(4), dtype=torch.float64))
    assert parts.gap.abs().max() < 1e-12


# ---- figures ----


def test_lookup_trace_gif_is_a_small_animation():
    model = net([1, 16, 16, 1], seed=0)
    x = torch.linspace(-10, 10, 100)[:, None]
    data = memory.lookup_trace_gif(model, x, frames=4, target=x**2, width_px=400)
    assert data[:6] == b"GIF89a" and len(data) < 400_000
    image = Image.open(io.BytesIO(data))
    assert image.n_frames == 4 + 2  # forward, then back without repeating the ends


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_general_figures_draw(dtype):
    model = net([1, 8, 8, 1], seed=1, dtype=dtype)
    x = torch.linspace(-3, 3, 40, dtype=dtype)[:, None]
    _, axes = plt.subplots(2, 2)
    memory.plot_activation_map(model, x, order=memory.pivot_order(model), ax=axes[0, 0])
    memory.plot_neuron_curves(model, x, count=3, ax=axes[0, 1])
    memory.plot_pivots([model, model], (-3, 3), ax=axes[1, 0])
    memory.plot_gap(x, memory.contributions(model, x), memory.integrated_gradients(model, x, steps=8), ax=axes[1, 1])
    assert len(axes[1, 1].lines) == 3
    decomposition = memory.plot_decomposition(memory.contributions(model, x), index=3, title="t")
    assert len(decomposition) == 3 and len(decomposition[0].patches) == 8
    plt.close("all")


# ---- bad inputs: each ends in mlpgeo's own error naming the argument ----

X3 = torch.zeros(3, 1)


def nan_model() -> nn.Sequential:
    model = hand_net()
    with torch.no_grad():
        model[2].bias.fill_(float("nan"))
    return model


BAD_INPUTS = [
    # (call, error type, message pattern)
    (lambda: memory.split_at(nn.Linear(1, 1)), TypeError, "nn.Sequential"),
    (lambda: memory.split_at(hand_net(), 0), ValueError, "layer=0"),
    (lambda: memory.split_at(hand_net(), 2), ValueError, "layer=2 is out of range"),
    (lambda: memory.split_at(hand_net(), 1.0), TypeError, "layer must be an integer"),
    (lambda: memory.split_at(hand_net(), "1"), TypeError, "layer must be an integer"),
    (lambda: memory.split_at(hand_net(), 1, dtype=torch.int64), TypeError, "dtype"),
    (lambda: memory.split_at(hand_net(), 1, dtype=torch.float16), TypeError, "dtype"),
    (lambda: memory.split_at(nn.Sequential(nn.Linear(1, 1)), 1), ValueError, "no hidden layer"),
    (lambda: memory.activations(hand_net(), X3, layer=0), ValueError, "layer"),
    (lambda: memory.contributions(hand_net(), torch.full((3, 1), float("nan"))), ValueError, "x holds NaN"),
    (lambda: memory.contributions(hand_net(), torch.full((3, 1), float("inf"))), ValueError, "x holds NaN or infinite"),
    (lambda: memory.contributions(hand_net(), torch.zeros(0, 1)), ValueError, "x is an empty batch"),
    (lambda: memory.contributions(hand_net(), torch.zeros(3, 2)), ValueError, r"expects \(n, 1\)"),
    (lambda: memory.contributions(hand_net(), torch.zeros(3)), ValueError, "x has shape"),
    (lambda: memory.contributions(hand_net(), torch.zeros(3, 1, dtype=torch.long)), TypeError, "x has dtype"),
    (lambda: memory.contributions(hand_net(), torch.zeros(3, 1, dtype=torch.complex64)), TypeError, "x is complex"),
    (lambda: memory.contributions(hand_net(), torch.zeros(3, 1, dtype=torch.float16)), TypeError, "x has dtype"),
    (lambda: memory.contributions(hand_net(), np.zeros((3, 1))), TypeError, "numpy"),
    (lambda: memory.contributions(hand_net(), [[0.0]]), TypeError, "x must be a torch.Tensor"),
    (lambda: memory.contributions(hand_net(), X3, output=1), ValueError, "output=-?[0-9] does not exist"),
    (lambda: memory.contributions(hand_net(), X3, output=-1), ValueError, "output=-?[0-9] does not exist"),
    (lambda: memory.contributions(hand_net(), X3, output=0.0), TypeError, "output must be an integer"),
    (lambda: memory.contributions(hand_net(), X3, dtype=torch.int64), TypeError, "dtype"),
    (lambda: memory.contributions(hand_net(), X3, dtype="float64"), TypeError, "dtype"),
    (lambda: memory.contributions(nan_model(), X3), ValueError, "NaN or infinite"),
    (lambda: memory.contributions(hand_net().half(), X3), TypeError, "float16"),
    (lambda: memory.contributions(nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1).double()), X3),
     TypeError, "mixes float32 and float64"),
    (lambda: memory.contributions(nn.Sequential(nn.Linear(1, 2), nn.Dropout(), nn.Linear(2, 1)), X3),
     TypeError, "Dropout"),
    (lambda: memory.contributions_loop(hand_net(), X3, output=2), ValueError, "output=2 does not exist"),
    (lambda: memory.integrated_gradients(hand_net(), X3, steps=0), ValueError, "steps must be >= 1"),
    (lambda: memory.integrated_gradients(hand_net(), X3, steps=-3), ValueError, "steps must be >= 1"),
    (lambda: memory.integrated_gradients(hand_net(), X3, steps=2.5), TypeError, "steps must be an integer"),
    (lambda: memory.integrated_gradients(hand_net(), X3, steps=True), TypeError, "steps must be an integer"),
    (lambda: memory.integrated_gradients(hand_net(), X3, steps="8"), TypeError, "steps must be an integer"),
    (lambda: memory.integrated_gradients(hand_net(), X3, steps=10**15), BudgetError, "steps"),
    (lambda: memory.integrated_gradients(hand_net(), X3, chunk=0), ValueError, "chunk must be >= 1"),
    (lambda: memory.integrated_gradients(hand_net(), X3, baseline=torch.zeros(5)), ValueError, "baseline has shape"),
    (lambda: memory.integrated_gradients(hand_net(), X3, baseline=torch.zeros(2, 2)), ValueError, "baseline has shape"),
    (lambda: memory.integrated_gradients(hand_net(), X3, baseline=torch.tensor([0.0, float("nan")])), ValueError,
     "baseline holds NaN"),
    (lambda: memory.integrated_gradients(hand_net(), X3, baseline=np.zeros(2)), TypeError, "baseline"),
    (lambda: memory.integrated_gradients(hand_net(), X3, baseline=torch.zeros(2, dtype=torch.long)), TypeError,
     "baseline has dtype"),
    (lambda: memory.integrated_gradients(hand_net(), X3, layer=5), ValueError, "layer=5"),
    (lambda: memory.relu_decomposition(hand_net(nn.GELU), X3), TypeError, "integrated_gradients"),
    (lambda: memory.relu_decomposition(hand_net(), X3, layer=2), ValueError, "layer=2"),
    (lambda: memory.relu_decomposition(hand_net(), torch.full((3, 1), float("nan"))), ValueError, "x holds NaN"),
    (lambda: memory.pivots(net([2, 4, 1])), ValueError, "scalar input"),
    (lambda: memory.pivots(nn.Sequential(nn.Linear(1, 1))), ValueError, "no hidden layer"),
    (lambda: memory.pivot_order(net([2, 4, 1])), ValueError, "scalar input"),
    (lambda: memory.retrieval_locality(hand_net(), float("nan")), ValueError, "x_star"),
    (lambda: memory.retrieval_locality(hand_net(), float("inf")), ValueError, "x_star"),
    (lambda: memory.retrieval_locality(hand_net(), "5"), TypeError, "x_star"),
    (lambda: memory.retrieval_locality(hand_net(), 5.0, threshold=1.5), ValueError, "threshold"),
    (lambda: memory.retrieval_locality(hand_net(), 5.0, threshold=-0.1), ValueError, "threshold"),
    (lambda: memory.retrieval_locality(hand_net(), 5.0, threshold=float("nan")), ValueError, "threshold"),
    (lambda: memory.retrieval_locality(net([2, 4, 1]), 5.0), ValueError, "scalar input"),
    (lambda: memory.gap_statistics({"output": 1}), TypeError, "parts"),
    (lambda: memory.gap_statistics(memory.contributions(hand_net(), X3), float("nan")), ValueError, "tolerance"),
    (lambda: memory.gap_statistics(memory.contributions(hand_net(), X3), -0.1), ValueError, "tolerance"),
    (lambda: memory.lookup_trace_gif(hand_net(), X3, frames=1), ValueError, "strictly increasing"),
    (lambda: memory.lookup_trace_gif(hand_net(), torch.linspace(0, 1, 5)[:, None], frames=1), ValueError,
     "frames must be >= 2"),
    (lambda: memory.lookup_trace_gif(hand_net(), torch.linspace(0, 1, 5)[:, None], frames=3.0), TypeError, "frames"),
    (lambda: memory.lookup_trace_gif(hand_net(), torch.linspace(0, 1, 5)[:, None], frames=10**9), ValueError,
     "frames=1000000000 is more than the 5 queries"),
    (lambda: memory.lookup_trace_gif(net([2, 4, 1]), torch.zeros(3, 2)), ValueError, "scalar-input"),
    (lambda: memory.lookup_trace_gif(hand_net(), torch.tensor([[1.0], [0.0], [2.0]]), frames=2), ValueError,
     "increasing"),
    (lambda: memory.lookup_trace_gif(hand_net(), torch.linspace(0, 1, 5)[:, None], frames=2, target=torch.zeros(4)),
     ValueError, "target"),
    (lambda: memory.lookup_trace_gif(hand_net(), torch.linspace(0, 1, 5)[:, None], frames=2,
                                     target=torch.full((5,), float("nan"))), ValueError, "target holds NaN"),
    (lambda: memory.lookup_trace_gif(hand_net(), torch.linspace(0, 1, 5)[:, None], frames=2, width_px=10**6),
     ValueError, "width_px"),
    (lambda: memory.lookup_trace_gif(hand_net(), torch.linspace(0, 1, 5)[:, None], frames=2, duration_ms=0),
     ValueError, "duration_ms"),
    (lambda: memory.plot_activation_map(hand_net(), X3, order=[0, 0]), ValueError, "order must be a permutation"),
    (lambda: memory.plot_activation_map(hand_net(), X3, order=[0.0, 1.0]), TypeError, "order"),
    (lambda: memory.plot_activation_map(net([2, 4, 1]), torch.zeros(3, 2)), ValueError, "scalar-input"),
    (lambda: memory.plot_neuron_curves(hand_net(), X3, count=0), ValueError, "count"),
    (lambda: memory.plot_neuron_curves(hand_net(), X3, count=3), ValueError, "count"),
    (lambda: memory.plot_pivots([]), TypeError, "models"),
    (lambda: memory.plot_pivots(hand_net()), TypeError, "models"),
    (lambda: memory.plot_pivots([hand_net()], (0, float("nan"))), ValueError, "data_range"),
    (lambda: memory.plot_decomposition(memory.contributions(hand_net(), X3), index=3), ValueError, "index"),
    (lambda: memory.plot_decomposition("parts"), TypeError, "parts"),
    (lambda: memory.plot_gap(torch.zeros(4, 1), memory.contributions(hand_net(), X3)), ValueError, "x has shape"),
]


@pytest.mark.parametrize("index", range(len(BAD_INPUTS)))
def test_bad_input_ends_in_a_named_error(index):
    call, error, pattern = BAD_INPUTS[index]
    with pytest.raises(error, match=pattern):
        call()
    plt.close("all")


def test_budget_errors_name_the_size_and_the_argument(monkeypatch):
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "1MiB")
    big = torch.zeros(400_000, 1)
    for call in (lambda: memory.activations(hand_net(), big), lambda: memory.integrated_gradients(hand_net(), big),
                 lambda: memory.relu_decomposition(hand_net(), big)):
        with pytest.raises(BudgetError, match=r"needs about .*MiB.*fewer rows in x"):
            call()
    with pytest.raises(BudgetError, match="fewer frames or a smaller width_px"):
        memory.lookup_trace_gif(hand_net(), torch.linspace(0, 1, 50)[:, None], frames=50)
