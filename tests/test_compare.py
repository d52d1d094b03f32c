"""Tests of mlpgeo.compare: hyperplanes, their motion, update spectra, code drift and map change."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from mlpgeo.compare import (
    CodeDrift,
    HyperplaneMotion,
    MapChange,
    code_drift,
    hyperplane_motion,
    hyperplanes,
    map_change,
    update_spectrum,
)
from mlpgeo.lora import apply_lora
from mlpgeo.models import mlp, seeded
from mlpgeo.patterns import codes


def net(widths, seed=0, **kwargs):
    return mlp(widths, generator=seeded(seed), **kwargs)


def two_lines(dtype=torch.float32):
    """Lines x = 1 (normal e1, offset 1) and y = -1 (normal e2 scaled by 2, offset -1)."""
    model = mlp([2, 2, 1], dtype=dtype)
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))
        model[0].bias.copy_(torch.tensor([-1.0, 2.0]))
    return model


def points(n=200, seed=0):
    return torch.rand(n, 2, generator=seeded(seed)) * 2 - 1


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_hyperplane_measures_by_hand(dtype):
    model = two_lines(dtype)
    normals, offsets = hyperplanes(model)
    torch.testing.assert_close(normals, torch.eye(2, dtype=torch.float64))
    torch.testing.assert_close(offsets, torch.tensor([1.0, -1.0], dtype=torch.float64))
    moved = two_lines(dtype)
    with torch.no_grad():
        moved[0].weight[0] = torch.tensor([1.0, 1.0])  # rotate neuron 0 by 45 degrees
        moved[0].bias[1] = 4.0  # shift neuron 1 from y = -1 to y = -2
    motion = hyperplane_motion(model, moved)
    assert isinstance(motion, HyperplaneMotion) and motion.angle.dtype == torch.float64
    torch.testing.assert_close(motion.angle, torch.tensor([math.pi / 4, 0.0], dtype=torch.float64))
    torch.testing.assert_close(motion.shift, torch.tensor([1 / math.sqrt(2) - 1, -1.0], dtype=torch.float64))
    torch.testing.assert_close(motion.weight_change, torch.tensor([1.0, 0.0], dtype=torch.float64))
    same = hyperplane_motion(model, model)
    assert same.angle.abs().max() < 1e-7 and same.shift.abs().max() == 0
    # the update W1 - W0 = [[0, 1], [0, 0]] has one singular value 1
    torch.testing.assert_close(update_spectrum(model, moved), torch.tensor([1.0, 0.0], dtype=torch.float64))


def test_layers_are_one_based_and_motion_is_symmetric():
    model = net([2, 3, 5, 1])
    assert hyperplanes(model, layer=1).normals.shape == (3, 2)  # 3 lines in the 2-D input
    assert hyperplanes(model, layer=2).normals.shape == (5, 3)  # 5 hyperplanes of the 3 first-layer features
    other = net([2, 3, 5, 1], seed=1)
    a, b = hyperplane_motion(model, other, 2), hyperplane_motion(other, model, 2)
    torch.testing.assert_close(a.angle, b.angle)  # rotation is symmetric, shift antisymmetric
    torch.testing.assert_close(a.shift, -b.shift)
    assert torch.all(a.angle >= 0) and torch.all(a.angle <= math.pi)
    norms = hyperplanes(model, 2).normals.norm(dim=1)
    torch.testing.assert_close(norms, torch.ones(5, dtype=torch.float64))


def test_lora_update_spectrum_has_rank_at_most_r():
    model = net([2, 8, 8, 1])
    adapted = apply_lora(model, rank=2, generator=seeded(1))
    with torch.no_grad():
        for layer in (adapted[0], adapted[2]):
            layer.lora_B.normal_(generator=seeded(2))
    spectrum = update_spectrum(model, adapted, 2)
    assert spectrum.shape == (8,) and (spectrum > 1e-6 * spectrum[0]).sum() == 2


def test_code_drift_by_hand():
    model = two_lines()
    x = torch.tensor([[2.0, 0.0], [0.0, 0.0], [0.0, -2.0], [0.5, 0.5]])
    # codes before: [1,1], [0,1], [0,0], [0,1]
    moved = two_lines()
    with torch.no_grad():
        moved[0].bias[0] = 0.0  # the line x = 1 moves to x = 0 (a point on it, x = 0, keeps bit 0)
    drift = code_drift(model, moved, x)
    assert isinstance(drift, CodeDrift)
    assert drift.hamming.tolist() == [0, 0, 0, 1]  # only [0.5, 0.5] crosses
    assert drift.changed == 0.25 and drift.codes_before == 3 and drift.codes_after == 3
    assert drift.new_codes == 0 and drift.points_in_new_codes == 0.0  # [1, 1] existed before
    drift = code_drift(model, moved, x, reference=x[1:])  # [1, 1] is new relative to x[1:]
    assert drift.new_codes == 1 and drift.new_code_fraction == pytest.approx(1 / 3)
    assert drift.points_in_new_codes == 0.5


def test_code_drift_against_a_slow_reference():
    model, other = net([2, 6, 6, 1]), net([2, 6, 6, 1], seed=1)
    x, ref = points(300), points(100, seed=2)
    drift = code_drift(model, other, x, reference=ref)
    c0, c1, cr = codes(model, x), codes(other, x), codes(model, ref)
    known = {tuple(r) for r in cr.tolist()}
    after = [tuple(r) for r in c1.tolist()]
    new = {r for r in after if r not in known}
    assert drift.new_codes == len(new)
    assert drift.points_in_new_codes == pytest.approx(sum(r in new for r in after) / len(after))
    assert drift.codes_after == len(set(after)) and drift.codes_before == len({tuple(r) for r in c0.tolist()})
    torch.testing.assert_close(drift.hamming, (c0 != c1).sum(1))


def test_map_change_by_hand_and_float64():
    model = two_lines()
    scaled = two_lines()
    with torch.no_grad():
        scaled[2].weight.mul_(2.0)  # the same partition, every map's slope doubled
        scaled[2].bias.copy_(model[2].bias * 2.0)
    x = points()
    change = map_change(model, scaled, x)
    assert isinstance(change, MapChange) and change.same_code == 1.0
    assert change.output_change == pytest.approx(change.output_scale, rel=1e-6)  # |2f - f| = |f|
    double = two_lines(torch.float64)
    with torch.no_grad():
        double[2].load_state_dict(model[2].state_dict())
    assert map_change(model, double, x).output_change == pytest.approx(0.0, abs=1e-6)
    flipped = two_lines()
    with torch.no_grad():
        flipped[0].weight.mul_(-1)
        flipped[0].bias.mul_(-1)  # every point away from the lines flips both bits
    none = map_change(model, flipped, torch.tensor([[2.0, 0.0], [0.0, -2.0]]))
    assert none.same_code == 0.0 and none.output_change is None and none.output_scale is None


BAD = [
    (lambda: hyperplanes(net([2, 4, 1]), layer=3), ValueError, r"layer=3 is out of range: .*1\.\.1"),
    (lambda: hyperplanes(net([2, 4, 1]), layer=0), ValueError, "1-based"),
    (lambda: hyperplanes(net([2, 4, 1]), layer=1.0), TypeError, "layer must be an integer"),
    (lambda: hyperplanes(nn.Linear(2, 3)), TypeError, "nn.Sequential"),
    (lambda: hyperplanes(nn.Sequential(nn.Linear(2, 3))), ValueError, "no hidden layer"),
    (lambda: hyperplane_motion(net([2, 4, 1]), net([2, 5, 1])), ValueError, "weight shapes differ"),
    (lambda: hyperplane_motion(net([2, 4, 1]), net([2, 4, 1], activation="tanh")), ValueError, "activations differ"),
    (lambda: hyperplane_motion(net([2, 4, 1]), "after"), TypeError, "after must be an nn.Sequential"),
    (lambda: update_spectrum(net([2, 4, 1]), net([2, 4, 1]).half()), TypeError, "after has parameters"),
    (lambda: update_spectrum(net([2, 4, 1]), net([2, 4, 1]), layer=2), ValueError, "layer=2"),
    (lambda: code_drift(net([2, 4, 1]), net([2, 4, 1]), torch.tensor([[float("nan"), 0.0]])), ValueError,
     "x holds NaN"),
    (lambda: code_drift(net([2, 4, 1]), net([2, 4, 1]), torch.zeros(3, 2, dtype=torch.long)), TypeError, "x has dtype"),
    (lambda: code_drift(net([2, 4, 1]), net([2, 4, 1]), torch.zeros(0, 2)), ValueError, "x is an empty batch"),
    (lambda: code_drift(net([2, 4, 1]), net([2, 4, 1]), torch.zeros(3, 3)), ValueError, r"x has shape \(3, 3\)"),
    (lambda: code_drift(net([2, 4, 1]), net([2, 4, 1]), torch.zeros(3, 2), reference=torch.zeros(3, 5)), ValueError,
     "reference has shape"),
    (lambda: code_drift(net([2, 4, 1]), net([2, 4, 1]), torch.zeros(3, 2), reference=torch.ones(2, 2) * float("inf")),
     ValueError, "reference holds NaN or infinite"),
    (lambda: map_change(net([2, 4, 1]), net([2, 4, 1]), torch.zeros(3, 2, dtype=torch.complex64)), TypeError,
     "complex"),
    (lambda: map_change(net([2, 4, 1]), net([2, 4, 1]), [[0.0, 0.0]]), TypeError, "x must be a torch.Tensor"),
]


def nan_model():
    model = net([2, 4, 1])
    with torch.no_grad():
        model[2].bias.fill_(float("nan"))
    return model


BAD.append((lambda: map_change(net([2, 4, 1]), nan_model(), torch.zeros(3, 2)), ValueError, "after's parameter"))


@pytest.mark.parametrize("call,error,match", BAD, ids=[f"bad-{i}" for i in range(len(BAD))])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
