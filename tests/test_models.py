import math

import pytest
import torch
from torch import nn

from mlpgeo.models import (
    accuracy,
    from_snapshot,
    hidden_layers,
    loss_value,
    mlp,
    predict,
    seeded,
    snapshot,
    train,
    weights,
)
from mlpgeo.validate import check_x, require_piecewise_linear


def test_mlp_structure_and_default_init_range():
    model = mlp([3, 5, 4, 2], activation="gelu", generator=seeded(1))
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "GELU", "Linear", "GELU", "Linear"]
    for linear in model[::2]:
        bound = 1 / math.sqrt(linear.in_features)
        assert linear.weight.abs().max() <= bound and linear.bias.abs().max() <= bound
    assert mlp([3, 2], bias=False)[0].bias is None


def test_mlp_same_seed_same_weights_and_no_global_rng_use():
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a, b, c = mlp([4, 8, 2], generator=seeded(7)), mlp([4, 8, 2], generator=seeded(7)), mlp([4, 8, 2], generator=seeded(8))
    assert torch.rand(1) == expected_next  # the global generator was not advanced
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a[0].weight, c[0].weight)


def test_bad_architectures_are_named():
    with pytest.raises(ValueError, match="activation"):
        mlp([2, 3, 1], activation="swish")
    with pytest.raises(ValueError, match="widths"):
        mlp([2])
    with pytest.raises(TypeError, match="Conv2d"):
        hidden_layers(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Conv2d(1, 1, 1)))
    with pytest.raises(TypeError, match="Softmax"):
        hidden_layers(nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=1), nn.Linear(3, 1)))
    with pytest.raises(TypeError, match="end with an nn.Linear"):
        hidden_layers(nn.Sequential(nn.Linear(2, 3), nn.ReLU()))
    with pytest.raises(TypeError, match="curved"):
        require_piecewise_linear(mlp([2, 3, 1], activation="gelu"))


def test_check_input_rejects_wrong_shapes_and_nan():
    model = mlp([3, 4, 1])
    with pytest.raises(ValueError, match=r"expects \(n, 3\)"):
        check_x(model, torch.zeros(5, 2))
    with pytest.raises(ValueError, match="NaN"):
        check_x(model, torch.tensor([[0.0, float("nan"), 1.0]]))
    with pytest.raises(TypeError):
        check_x(model, [[0.0, 1.0, 2.0]])


def test_losses_match_their_definitions():
    out = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 1])
    probs = torch.tensor([[0.5, 0.5], [0.0, 1.0]])
    log_softmax = out.log_softmax(1)
    assert torch.isclose(loss_value("cross_entropy", out, labels), -(log_softmax[0, 0] + log_softmax[1, 1]) / 2)
    assert torch.isclose(loss_value("cross_entropy", out, probs), -(probs * log_softmax).sum(1).mean())
    assert torch.isclose(loss_value("softmax_mse", out, probs), ((out.softmax(1) - probs) ** 2).mean())
    assert torch.isclose(loss_value("mse", out[:, :1], torch.tensor([1.0, 1.0])), torch.tensor(1.0))
    z, t = torch.tensor([[0.3]]), torch.tensor([1.0])
    assert torch.isclose(loss_value("bce", z, t), -torch.log(torch.sigmoid(z)).squeeze())
    with pytest.raises(ValueError, match="unknown loss"):
        loss_value("hinge", out, labels)


def toy_problem(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g)
    y = (x[:, 0] * x[:, 1] > 0).long()
    return x, y


@pytest.mark.parametrize("optimizer,batch_size", [("adam", None), ("sgd", 16)])
def test_training_is_bit_for_bit_deterministic(optimizer, batch_size):
    x, y = toy_problem()
    runs = []
    for _ in range(2):
        model = mlp([2, 16, 2], generator=seeded(3))
        history = train(model, x, y, optimizer=optimizer, lr=0.05, momentum=0.9, epochs=5, batch_size=batch_size, generator=seeded(11), progress=False)
        runs.append((model, history))
    (m1, h1), (m2, h2) = runs
    assert h1.step_loss == h2.step_loss and h1.epoch_loss == h2.epoch_loss
    assert all(torch.equal(p, q) for p, q in zip(m1.parameters(), m2.parameters()))
    assert len(h1.step_loss) == 5 * (1 if batch_size is None else 4)


def test_training_reduces_the_loss_and_learns():
    x, y = toy_problem(256)
    model = mlp([2, 32, 32, 2], generator=seeded(0))
    history = train(model, x, y, lr=1e-2, epochs=150, progress=False)
    assert history.epoch_loss[-1] < 0.5 * history.epoch_loss[0]
    assert accuracy(model, x, y) > 0.9


def test_snapshots_transform_and_params():
    x, y = toy_problem()
    model = mlp([2, 8, 2], generator=seeded(0))
    first = model[0].weight.detach().clone()
    calls = []

    def transform(xb, generator):
        calls.append(len(xb))
        return xb + 0.01 * torch.randn(xb.shape, generator=generator)

    history = train(model, x, y, epochs=4, snapshot_every=2, transform=transform, params=model[2].parameters(), progress=False)
    assert [epoch for epoch, _ in history.snapshots] == [0, 2, 4]
    assert torch.equal(history.snapshots[0][1]["0.weight"], first)
    assert torch.equal(model[0].weight, first)  # only the output layer was optimised
    assert not torch.equal(history.snapshots[-1][1]["2.weight"], history.snapshots[0][1]["2.weight"])
    assert calls == [len(x)] * 4


def test_training_errors_are_clear():
    x, y = toy_problem()
    model = mlp([2, 4, 2])
    with pytest.raises(ValueError, match="rows"):
        train(model, x, y[:10], progress=False)
    with pytest.raises(ValueError, match="optimizer"):
        train(model, x, y, optimizer="lbfgs", progress=False)
    with pytest.raises(ValueError, match="loss became"):
        train(mlp([2, 4, 1]), x * 1e30, y.float(), loss="mse", lr=1e30, epochs=3, progress=False)


def test_float64_models_train_and_predict_in_float64():
    x, y = toy_problem()
    model = mlp([2, 8, 2], generator=seeded(0), dtype=torch.float64)
    assert all(p.dtype == torch.float64 for p in model.parameters())
    history = train(model, x, y, epochs=3, generator=seeded(1), progress=False)  # float32 x is converted
    assert len(history.epoch_loss) == 3
    assert predict(model, x).dtype == torch.float64
    assert 0.0 <= accuracy(model, x, y) <= 1.0
    # the same initial draws as float32, up to rounding
    single = mlp([2, 8, 2], generator=seeded(0))
    assert torch.allclose(mlp([2, 8, 2], generator=seeded(0), dtype=torch.float64)[0].weight.float(), single[0].weight)


def test_seeded_generator_reproduces_the_old_seed_argument():
    reference = torch.Generator().manual_seed(5)
    draws = torch.rand(3, generator=reference)
    assert torch.equal(torch.rand(3, generator=seeded(5)), draws)
    with pytest.raises(TypeError, match="seed"):
        seeded(1.5)


def test_weights_are_the_effective_affine_maps():
    model = mlp([3, 4, 2], bias=False, generator=seeded(0))
    (W1, b1), (W2, b2) = weights(model)
    assert torch.equal(W1, model[0].weight) and torch.equal(b1, torch.zeros(4))
    x = torch.randn(5, 3)
    assert torch.allclose(predict(model, x), torch.relu(x @ W1.T + b1) @ W2.T + b2)


def test_snapshot_round_trip():
    model = mlp([2, 3, 1], generator=seeded(0))
    state = snapshot(model)
    with torch.no_grad():
        model[0].weight.add_(1.0)
    restored = from_snapshot(model, state)
    assert torch.equal(restored[0].weight, state["0.weight"]) and not torch.equal(model[0].weight, state["0.weight"])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(lr=float("nan")), ValueError, "lr"),
        (dict(lr=-1.0), ValueError, "lr"),
        (dict(epochs=2.5), TypeError, "epochs"),
        (dict(epochs=-1), ValueError, "epochs"),
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(momentum=float("inf"), optimizer="sgd"), ValueError, "momentum"),
        (dict(loss="hinge"), ValueError, "loss"),
        (dict(generator=3), TypeError, "generator"),
        (dict(weight_decay=-0.1), ValueError, "weight_decay"),
        (dict(snapshot_every=0), ValueError, "snapshot_every"),
    ],
)
def test_training_settings_are_checked(kwargs, error, match):
    x, y = toy_problem()
    with pytest.raises(error, match=match):
        train(mlp([2, 4, 2]), x, y, progress=False, **kwargs)


def test_bad_training_data_is_named():
    x, y = toy_problem()
    model = mlp([2, 4, 2])
    with pytest.raises(ValueError, match=r"y must hold class labels in \[0, 2\)"):
        train(model, x, y + 5, progress=False)
    with pytest.raises(TypeError, match="x has dtype torch.int64"):
        train(model, x.long(), y, progress=False)
    with pytest.raises(TypeError, match="complex"):
        predict(model, x.to(torch.complex64))
    with pytest.raises(TypeError, match="float16"):
        predict(model, x.half())
    with pytest.raises(ValueError, match="empty batch"):
        predict(model, x[:0])
    with pytest.raises(ValueError, match="NaN"):
        train(model, x, y.float().masked_fill(y == 0, float("nan")), loss="mse", progress=False)
    with pytest.raises(TypeError, match="widths"):
        mlp([2, 3.5, 1])
    with pytest.raises(ValueError, match="widths"):
        mlp([2, 0, 1])
    broken = mlp([2, 3, 1])
    with torch.no_grad():
        broken[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="0.weight"):
        predict(broken, x)
