"""Tests of mlpgeo.batched: a stack of networks trained together equals the networks trained one by one."""

import math

import pytest
import torch

from mlpgeo import batched
from mlpgeo.models import mlp, seeded, train


def _task(seed, n=96, d=12, c=12):
    g = seeded(seed)
    x = (torch.rand(n, d, generator=g) < 0.2).float()
    y = torch.softmax(torch.randn(n, c, generator=g), -1)
    return x, y


@pytest.mark.parametrize("loss", ["cross_entropy", "softmax_mse"])
def test_stack_equals_one_by_one_training(loss):
    samples = [_task(0), _task(1)]
    x = torch.stack([s[0] for s in samples])
    y = torch.stack([s[1] for s in samples])
    settings = [batched.NetworkSetting(seed=3, sample=0, optimizer="adam", lr=1e-2),
                batched.NetworkSetting(seed=4, sample=1, optimizer="sgd", lr=0.3, momentum=0.9),
                batched.NetworkSetting(seed=3, sample=1, optimizer="sgd", lr=0.05, momentum=0.0)]
    result = batched.train_stacked(x, y, [12, 6, 12], settings, epochs=3, batch_size=32, loss=loss)
    assert result.epoch_loss.shape == (3, 3) and not result.diverged.any()
    for i, s in enumerate(settings):
        model = mlp([12, 6, 12], generator=seeded(s.seed))
        history = train(model, x[s.sample], y[s.sample], loss=loss, optimizer=s.optimizer, lr=s.lr, epochs=3,
                        batch_size=32, momentum=s.momentum if s.optimizer == "sgd" else 0.0,
                        generator=seeded(s.seed), progress=False, device="cpu")
        alone = result.model(i)
        for a, b in zip(alone.parameters(), model.parameters()):
            assert torch.allclose(a, b, atol=1e-5), (i, (a - b).abs().max())
        assert torch.allclose(result.epoch_loss[:, i], torch.tensor(history.epoch_loss), atol=1e-5)


def test_a_network_trains_to_the_same_bits_in_any_stack():
    """A stack of one optimiser computes only its branch of the update; a mixed stack computes both and selects.
    Each network must come out bit for bit the same either way, and whatever else is in its stack."""
    samples = [_task(0), _task(1)]
    x = torch.stack([s[0] for s in samples])
    y = torch.stack([s[1] for s in samples])
    adam = [batched.NetworkSetting(seed=3, sample=0, optimizer="adam", lr=1e-2, schedule="cosine"),
            batched.NetworkSetting(seed=5, sample=1, optimizer="adam", lr=1e-1, init_scale=10.0)]
    sgd = [batched.NetworkSetting(seed=4, sample=1, optimizer="sgd", lr=0.3, momentum=0.9, schedule="cosine"),
           batched.NetworkSetting(seed=6, sample=0, optimizer="sgd", lr=1e30, momentum=0.9)]  # diverges
    mixed = batched.train_stacked(x, y, [12, 6, 12], [adam[0], sgd[0], sgd[1], adam[1]], epochs=3, batch_size=32)
    alone = {name: batched.train_stacked(x, y, [12, 6, 12], stack, epochs=3, batch_size=32)
             for name, stack in (("adam", adam), ("sgd", sgd))}
    assert bool(mixed.diverged[2]) and bool(alone["sgd"].diverged[1])
    for i, (name, j) in enumerate((("adam", 0), ("sgd", 0), ("sgd", 1), ("adam", 1))):
        for field in ("w_in", "b_in", "w_out", "b_out"):
            assert torch.equal(getattr(mixed, field)[i], getattr(alone[name], field)[j]), (name, j, field)
        torch.testing.assert_close(mixed.epoch_loss[:, i], alone[name].epoch_loss[:, j], rtol=0, atol=0, equal_nan=True)


def test_init_scale_cosine_schedule_and_divergence():
    x, y = _task(0)
    settings = [batched.NetworkSetting(seed=0, init_scale=10.0, lr=1e-9, optimizer="sgd", momentum=0.0),
                batched.NetworkSetting(seed=0, init_scale=1.0, lr=1e-9, optimizer="sgd", momentum=0.0),
                batched.NetworkSetting(seed=0, lr=1e37, optimizer="sgd", schedule="cosine")]
    result = batched.train_stacked(x[None], y[None], [12, 6, 12], settings, epochs=2, batch_size=32)
    assert torch.allclose(result.w_in[0], 10 * result.w_in[1], atol=1e-4)
    assert bool(result.diverged[2]) and not result.diverged[:2].any()
    assert math.isnan(float(result.epoch_loss[-1, 2])) and torch.isfinite(result.w_in[:2]).all()


def test_cosine_schedule_ends_near_zero():
    x, y = _task(0)
    settings = [batched.NetworkSetting(seed=0, lr=0.5, optimizer="sgd", schedule=s) for s in ("cosine", "constant")]
    result = batched.train_stacked(x[None], y[None], [12, 6, 12], settings, epochs=2, batch_size=96)
    # same first step, different later steps
    assert not torch.allclose(result.w_in[0], result.w_in[1])


def test_bad_settings_raise():
    x, y = _task(0)
    with pytest.raises(ValueError):
        batched.train_stacked(x[None], y[None], [12, 6, 12], [batched.NetworkSetting(seed=0, sample=2)], epochs=1, batch_size=8)
    with pytest.raises(ValueError):
        batched.train_stacked(x[None], y[None], [12, 6, 12], [batched.NetworkSetting(seed=0, optimizer="rmsprop")],
                              epochs=1, batch_size=8)
    with pytest.raises(ValueError):
        batched.train_stacked(x, y, [12, 6, 12], [batched.NetworkSetting(seed=0)], epochs=1, batch_size=8)
