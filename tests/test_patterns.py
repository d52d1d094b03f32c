import pytest
import torch
from torch import nn

from mlpgeo.models import mlp, seeded
from mlpgeo.patterns import activation_patterns, code_counts, codes, concat_codes, pre_activations


def hand_network() -> nn.Sequential:
    """x in R^2 -> 2 ReLU units (x1 - x2, x1 + x2 - 1) -> 1 ReLU unit (h1 - h2) -> output h."""
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1), nn.ReLU(), nn.Linear(1, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, -1.0], [1.0, 1.0]]))
        model[0].bias.copy_(torch.tensor([0.0, -1.0]))
        model[2].weight.copy_(torch.tensor([[1.0, -1.0]]))
        model[2].bias.zero_()
        model[4].weight.fill_(1.0)
        model[4].bias.zero_()
    return model


def test_hand_computed_two_layer_patterns():
    x = torch.tensor([[2.0, 0.0], [0.0, 2.0], [0.2, 0.1], [3.0, 1.0]])
    # layer 1: z = (x1 - x2, x1 + x2 - 1); layer 2: z = relu(z1) - relu(z2)
    expected_z1 = torch.tensor([[2.0, 1.0], [-2.0, 1.0], [0.1, -0.7], [2.0, 3.0]])
    expected_z2 = torch.tensor([[1.0], [-1.0], [0.1], [-1.0]])
    z1, z2 = pre_activations(hand_network(), x)
    assert torch.allclose(z1, expected_z1) and torch.allclose(z2, expected_z2)
    p1, p2 = activation_patterns(hand_network(), x)
    assert p1.dtype == torch.bool
    assert p1.tolist() == [[True, True], [False, True], [True, False], [True, True]]
    assert p2.squeeze(1).tolist() == [True, False, True, False]
    code = concat_codes([p1, p2])
    assert code.shape == (4, 3)
    unique, counts = code_counts(code)
    assert counts.sum() == 4 and len(unique) == 4


def test_code_counts_groups_identical_codes():
    code = torch.tensor([[1, 0], [1, 0], [0, 1], [1, 0]], dtype=torch.bool)
    unique, counts = code_counts(code)
    assert unique.tolist() == [[False, True], [True, False]]
    assert counts.tolist() == [1, 3]


def test_patterns_agree_with_the_forward_pass():
    model = mlp([5, 7, 6, 3], generator=seeded(2))
    x = torch.randn(32, 5)
    zs = pre_activations(model, x)
    h = x
    for (linear, act), z in zip([(model[0], model[1]), (model[2], model[3])], zs):
        assert torch.allclose(linear(h), z)
        h = act(linear(h))
    assert torch.allclose(model[4](h), model(x))


def test_bad_input_is_named():
    model = mlp([3, 4, 1])
    with pytest.raises(ValueError, match="NaN"):
        activation_patterns(model, torch.full((2, 3), float("nan")))
    with pytest.raises(ValueError, match="shape"):
        activation_patterns(model, torch.zeros(3))
    with pytest.raises(TypeError, match="Sequential"):
        activation_patterns(nn.Linear(3, 1), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="no patterns"):
        concat_codes([])


def test_codes_selects_layers_and_works_in_float64():
    x = torch.tensor([[2.0, 0.0], [0.0, 2.0], [0.2, 0.1], [3.0, 1.0]])
    model = hand_network().double()
    all_bits = codes(model, x)
    assert all_bits.dtype == torch.bool and all_bits.shape == (4, 3)
    assert codes(model, x, layers=[2]).squeeze(1).tolist() == [True, False, True, False]
    assert torch.equal(codes(model, x, layers=[2, 1]), torch.cat([all_bits[:, 2:], all_bits[:, :2]], 1))
    assert pre_activations(model, x)[0].dtype == torch.float64
    with pytest.raises(ValueError, match="1..2"):
        codes(model, x, layers=[3])


def test_bad_codes_are_named():
    with pytest.raises(TypeError, match="code"):
        code_counts(torch.zeros(2, 2))
    with pytest.raises(ValueError, match="code has shape"):
        code_counts(torch.zeros(4, dtype=torch.bool))
    with pytest.raises(ValueError, match="empty batch"):
        codes(hand_network(), torch.zeros(0, 2))
    with pytest.raises(TypeError, match="int64"):
        codes(hand_network(), torch.zeros(3, 2, dtype=torch.long))
