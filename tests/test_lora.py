"""Tests of mlpgeo.lora: the adapter (initial identity, frozen base, rank of the update, merging)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mlpgeo.lora import LoRALinear, apply_lora, lora_parameters, merge_lora
from mlpgeo.models import mlp, seeded, train
from mlpgeo.regions import count_regions_plane


def net(widths, seed=0, **kwargs):
    return mlp(widths, generator=seeded(seed), **kwargs)


def task(seed: int = 0, dtype=torch.float32):
    x = (torch.rand(200, 2, generator=seeded(seed)) * 2 - 1).to(dtype)
    return x, (x[:, 0] + 0.5 * x[:, 1] > 0.1).to(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_lora_starts_at_the_pretrained_network_and_trains_only_factors(dtype):
    model = net([2, 8, 8, 1], dtype=dtype)
    adapted = apply_lora(model, rank=2, generator=seeded(1))
    x, y = task(dtype=dtype)
    with torch.no_grad():
        torch.testing.assert_close(adapted(x), model(x))  # B = 0 at initialisation
    trainable = [name for name, p in adapted.named_parameters() if p.requires_grad]
    assert trainable == [f"{i}.lora_{f}" for i in (0, 2, 4) for f in "AB"]
    assert all(p.dtype == dtype for p in adapted.parameters())
    assert count_regions_plane(adapted) == count_regions_plane(model)
    before = [p.detach().clone() for p in model.parameters()]
    train(adapted, x, y, loss="bce", lr=1e-2, epochs=30, params=lora_parameters(adapted), progress=False)
    for module, original in zip((adapted[0], adapted[2]), (model[0], model[2])):
        torch.testing.assert_close(module.bias, original.bias)  # offsets frozen
        torch.testing.assert_close(module.weight, original.weight)  # base frozen
        delta = module.delta_weight().detach()
        sv = torch.linalg.svdvals(delta)
        assert sv[0] > 0 and (sv > 1e-5 * sv[0]).sum() <= 2  # rank <= r (float32 round-off aside)
        # every row of the update lies in the row space of A
        A = module.lora_A.detach()
        proj = delta @ torch.linalg.pinv(A) @ A
        torch.testing.assert_close(proj, delta, atol=1e-5, rtol=1e-5)
    for p, q in zip(model.parameters(), before):
        torch.testing.assert_close(p, q)  # the pre-trained model is untouched
    merged = merge_lora(adapted)
    assert not any(isinstance(m, LoRALinear) for m in merged)
    assert all(p.dtype == dtype and p.requires_grad for p in merged.parameters())
    with torch.no_grad():
        torch.testing.assert_close(merged(x), adapted(x), atol=1e-5, rtol=1e-5)
    assert count_regions_plane(merged) == count_regions_plane(adapted)


def test_factors_by_hand_and_generator_reproducibility():
    base = nn.Linear(3, 2)
    layer = LoRALinear(base, rank=1, alpha=4.0, generator=seeded(0))
    assert layer.scaling == 4.0 and layer.lora_A.shape == (1, 3) and layer.lora_B.shape == (2, 1)
    assert layer.lora_A.abs().max() <= 1 / 3**0.5  # U(-1/sqrt(d_in), 1/sqrt(d_in))
    with torch.no_grad():
        layer.lora_B.copy_(torch.tensor([[1.0], [2.0]]))
    expected = 4.0 * torch.tensor([[1.0], [2.0]]) @ layer.lora_A.detach()
    torch.testing.assert_close(layer.delta_weight().detach(), expected)
    x = torch.rand(5, 3)
    torch.testing.assert_close(layer(x), x @ (base.weight + expected).T + base.bias)
    a = apply_lora(net([2, 4, 1]), rank=1, generator=seeded(7))
    b = apply_lora(net([2, 4, 1]), rank=1, generator=seeded(7))
    torch.testing.assert_close(a[0].lora_A, b[0].lora_A)  # the same generator state: the same factors
    torch.testing.assert_close(a[2].lora_A, b[2].lora_A)
    assert not torch.equal(apply_lora(net([2, 4, 1]), rank=1, generator=seeded(8))[0].lora_A, a[0].lora_A)
    state = torch.random.get_rng_state()
    merge_lora(a)
    assert torch.equal(state, torch.random.get_rng_state())  # merging does not touch the global RNG


def test_layers_are_one_based_and_rank_is_clipped():
    model = net([2, 3, 5, 1])
    adapted = apply_lora(model, rank=1, layers=[2])
    assert isinstance(adapted[2], LoRALinear) and not isinstance(adapted[0], LoRALinear)
    wide = apply_lora(model, rank=10)
    assert [m.rank for m in wide if isinstance(m, LoRALinear)] == [2, 3, 1]  # min(d_in, d_out) per layer
    assert lora_parameters(model) == []


BAD = [
    (lambda: LoRALinear(nn.Linear(2, 3), rank=0), ValueError, "rank must lie in"),
    (lambda: LoRALinear(nn.Linear(2, 3), rank=3), ValueError, r"min\(d_in, d_out\) = 2"),
    (lambda: LoRALinear(nn.Linear(2, 3), rank=1.5), TypeError, "rank must be an integer"),
    (lambda: LoRALinear(nn.Linear(2, 3), rank=1, alpha=float("nan")), ValueError, "alpha is nan"),
    (lambda: LoRALinear(nn.Linear(2, 3), rank=1, alpha=0.0), ValueError, "alpha must be > 0"),
    (lambda: LoRALinear(nn.Linear(2, 3), rank=1, generator=3), TypeError, "generator"),
    (lambda: LoRALinear(nn.Conv1d(2, 3, 1), rank=1), TypeError, "base must be an nn.Linear"),
    (lambda: LoRALinear(nn.Linear(2, 3).half(), rank=1), TypeError, "float16"),
    (lambda: LoRALinear(LoRALinear(nn.Linear(2, 3), 1), rank=1), TypeError, "merge it first"),
    (lambda: apply_lora(net([2, 4, 1]), rank=1, layers=[5]), ValueError, "out of range"),
    (lambda: apply_lora(net([2, 4, 1]), rank=1, layers=[0]), ValueError, "1-based"),
    (lambda: apply_lora(net([2, 4, 1]), rank=1, layers=[1, 1]), ValueError, "repeated"),
    (lambda: apply_lora(net([2, 4, 1]), rank=1, layers=2), TypeError, "layers must be a list"),
    (lambda: apply_lora(net([2, 4, 1]), rank=1, layers=[1.0]), TypeError, "layers must be an integer"),
    (lambda: apply_lora(net([2, 4, 1]), rank=0), ValueError, "rank must be >= 1"),
    (lambda: apply_lora(net([2, 4, 1]), rank=1, generator=0), TypeError, r"torch.Generator\(\).manual_seed\(0\)"),
    (lambda: apply_lora(apply_lora(net([2, 4, 1]), rank=1), rank=1), ValueError, "already a LoRA layer"),
    (lambda: apply_lora(nn.Linear(2, 3), rank=1), TypeError, "nn.Sequential"),
    (lambda: merge_lora(nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1))), TypeError, "Sigmoid"),
    (lambda: lora_parameters("model"), TypeError, "nn.Module"),
]


@pytest.mark.parametrize("call,error,match", BAD, ids=[f"bad-{i}" for i in range(len(BAD))])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
