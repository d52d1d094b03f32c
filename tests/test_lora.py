"""Tests of mlpgeo.lora: the LoRA update and the hyperplane-motion measures."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlpgeo.lora import (
    LoRALinear,
    apply_lora,
    code_drift,
    hyperplane_motion,
    hyperplanes,
    lora_parameters,
    merge_lora,
    update_spectrum,
)
from mlpgeo.models import mlp, train
from mlpgeo.regions import count_regions_plane


def task(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(200, 2, generator=g) * 2 - 1
    return x, (x[:, 0] + 0.5 * x[:, 1] > 0.1).float()


def test_lora_starts_at_the_pretrained_network_and_trains_only_factors():
    model = mlp([2, 8, 8, 1], seed=0)
    adapted = apply_lora(model, rank=2, seed=1)
    x, y = task()
    with torch.no_grad():
        torch.testing.assert_close(adapted(x), model(x))  # B = 0 at initialisation
    trainable = [name for name, p in adapted.named_parameters() if p.requires_grad]
    assert trainable == [f"{i}.lora_{f}" for i in (0, 2, 4) for f in "AB"]
    assert count_regions_plane(adapted) == count_regions_plane(model)
    before = [p.detach().clone() for p in model.parameters()]
    train(adapted, x, y, loss="bce", lr=1e-2, epochs=30, params=lora_parameters(adapted), progress=False)
    for module, original in zip((adapted[0], adapted[2]), (model[0], model[2])):
        torch.testing.assert_close(module.bias, original.bias)  # offsets frozen
        torch.testing.assert_close(module.weight, original.weight)  # base frozen
        delta = module.delta_weight().detach()
        sv = torch.linalg.svdvals(delta)
        assert (sv > 1e-5 * sv[0]).sum() <= 2  # rank <= r (float32 round-off aside)
        # every row of the update lies in the row space of A
        A = module.lora_A.detach()
        proj = delta @ torch.linalg.pinv(A) @ A
        torch.testing.assert_close(proj, delta, atol=1e-5, rtol=1e-5)
    for p, q in zip(model.parameters(), before):
        torch.testing.assert_close(p, q)  # the pre-trained model is untouched
    merged = merge_lora(adapted)
    assert not any(isinstance(m, LoRALinear) for m in merged)
    with torch.no_grad():
        torch.testing.assert_close(merged(x), adapted(x), atol=1e-5, rtol=1e-5)
    assert count_regions_plane(merged) == count_regions_plane(adapted)
    spectrum = update_spectrum(model, adapted, 1)
    assert (spectrum > 1e-5 * spectrum[0]).sum() <= 2


def test_hyperplane_measures_by_hand():
    model = mlp([2, 2, 1], seed=0)
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))
        model[0].bias.copy_(torch.tensor([-1.0, 2.0]))
    normals, offsets = hyperplanes(model)
    torch.testing.assert_close(normals, torch.eye(2, dtype=torch.float64))
    torch.testing.assert_close(offsets, torch.tensor([1.0, -1.0], dtype=torch.float64))
    moved = mlp([2, 2, 1], seed=0)
    moved.load_state_dict(model.state_dict())
    with torch.no_grad():
        moved[0].weight[0] = torch.tensor([1.0, 1.0])  # rotate neuron 0 by 45 degrees
        moved[0].bias[1] = 4.0  # shift neuron 1 from y = -1 to y = -2
    motion = hyperplane_motion(model, moved)
    np.testing.assert_allclose(motion["angle"], [np.pi / 4, 0.0], atol=1e-7)
    np.testing.assert_allclose(motion["shift"], [1 / np.sqrt(2) - 1, -1.0], atol=1e-7)
    same = hyperplane_motion(model, model)
    assert np.allclose(same["angle"], 0) and np.allclose(same["shift"], 0)


def test_code_drift():
    model = mlp([2, 6, 6, 1], seed=0)
    x, _ = task(1)
    drift = code_drift(model, model, x)
    assert drift["changed"] == 0.0 and drift["new_codes"] == 0 and drift["hamming"].sum() == 0
    other = mlp([2, 6, 6, 1], seed=1)
    drift = code_drift(model, other, x)
    assert drift["changed"] > 0
    assert 0 <= drift["new_code_fraction"] <= 1
    assert drift["hamming"].shape == (len(x),)


def test_bad_input():
    with pytest.raises(ValueError, match="rank"):
        LoRALinear(torch.nn.Linear(2, 3), rank=0)
    with pytest.raises(ValueError, match="out of range"):
        apply_lora(mlp([2, 4, 1]), rank=1, layers=[5])
    with pytest.raises(ValueError, match="hidden layer"):
        hyperplanes(mlp([2, 4, 1]), layer=3)
    with pytest.raises(ValueError, match=r"\[1, 1\]"):
        hyperplanes(mlp([2, 4, 1]), layer=0)  # 1-based: 0 is not a hidden layer
    with pytest.raises(ValueError, match="out of range"):
        apply_lora(mlp([2, 4, 1]), rank=1, layers=[0])


def test_layers_are_one_based():
    model = mlp([2, 3, 5, 1], seed=0)
    normals, _ = hyperplanes(model, layer=1)
    assert normals.shape == (3, 2)  # first hidden layer: 3 lines in the 2-D input
    normals, _ = hyperplanes(model, layer=2)
    assert normals.shape == (5, 3)  # second hidden layer acts on the 3 first-layer features
    adapted = apply_lora(model, rank=1, layers=[2])
    assert isinstance(adapted[2], LoRALinear) and not isinstance(adapted[0], LoRALinear)


def test_lora_claim_rules_by_hand():
    from mlpgeo.lora import claim_lora_close_tasks, claim_lora_constrained, claim_lora_no_new_partitions

    def run(**kw):
        base = dict(rank2=1, angle2=1.0, new_code_points=0.0, regions_before=10, regions_after=10, acc_new=0.9)
        return {**base, **kw}

    runs = {("far", "full"): [run(rank2=8, new_code_points=0.4, acc_new=0.95)],
            ("far", 1): [run(rank2=1, new_code_points=0.01, acc_new=0.8)],
            ("far", 4): [run(rank2=4, new_code_points=0.02)],
            ("close", "full"): [run(rank2=8, new_code_points=0.2, acc_new=0.95)],
            ("close", 1): [run(rank2=1, new_code_points=0.03, acc_new=0.94)],
            ("close", 4): [run(rank2=3, new_code_points=0.0)]}
    assert claim_lora_constrained(runs, ["close", "far"], "far")[1] == "reproduced"
    measured, verdict = claim_lora_no_new_partitions(runs, {"close": 30, "far": 90}, "far")
    assert verdict == "reproduced" and measured["new_code_points_lora_90deg"]["mean"] == pytest.approx(0.015)
    runs[("far", 1)][0]["new_code_points"] = 0.1  # >= 5%, but still < half of full fine-tuning's
    assert claim_lora_no_new_partitions(runs, {"close": 30, "far": 90}, "far")[1] == "partly reproduced"
    assert claim_lora_close_tasks(runs, "close", "far")[1] == "reproduced"  # gap 0.01 close, 0.15 far
    runs[("far", 1)][0]["rank2"] = 2  # a rank-1 update cannot have rank 2
    assert claim_lora_constrained(runs, ["close", "far"], "far")[1] == "not reproduced"


def test_adaptation_metrics_keys_are_one_based():
    from mlpgeo.lora import adaptation_metrics

    model = mlp([2, 4, 4, 2], seed=0)
    x, y = task(0)
    out = adaptation_metrics(model, model, (x, y.long()), (x, y.long()))
    assert {"angle1", "angle2", "rank1", "rank2"} <= set(out) and "angle0" not in out
    assert out["rank1"] == 0 and out["hamming"] == 0.0
