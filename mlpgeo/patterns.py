"""Activation patterns: the hash code an MLP gives each input.

Hidden layer ``l`` computes the pre-activation ``z_l = W_l a_{l-1} + b_l`` and its pattern
``p_l = [z_l > 0]`` (one bit per neuron: which side of the neuron's hyperplane the input lies on).
The concatenation of every layer's pattern is the input's *code*; inputs with the same code lie in the
same linear region of a ReLU network (the network is affine there).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mlpgeo.validate import check_model, check_tensor, check_x


@torch.no_grad()
def pre_activations(model: nn.Sequential, x: Tensor) -> list[Tensor]:
    """Pre-activations of every hidden layer.

    Args:
        model: an MLP ``nn.Sequential(Linear, act, ..., Linear)``.
        x: inputs ``(n, d_in)``.

    Returns:
        ``[z_1, ..., z_{L-1}]`` with ``z_l: (n, width_l)``, computed without gradients in the model's
        dtype on its device.

    Raises:
        TypeError / ValueError: unsupported model, wrong input shape or non-finite input.
    """
    layers = check_model(model)
    h = check_x(model, x)
    out = []
    for linear, act in layers:
        z = linear(h)
        out.append(z)
        h = act(z)
    return out


def activation_patterns(model: nn.Sequential, x: Tensor) -> list[Tensor]:
    """Sign patterns ``[z_l > 0]`` of every hidden layer: a list of bool tensors ``(n, width_l)``."""
    return [z > 0 for z in pre_activations(model, x)]


def concat_codes(patterns: list[Tensor]) -> Tensor:
    """Concatenate per-layer patterns into one code per input: bool ``(n, N)``, ``N = sum width_l``."""
    if not patterns:
        raise ValueError("no patterns given: the model has no hidden layer.")
    return torch.cat([p.bool() for p in patterns], dim=1)


def codes(model: nn.Sequential, x: Tensor, layers: list[int] | None = None) -> Tensor:
    """The code of every input: the concatenated sign patterns of the chosen hidden layers.

    Args:
        model: an MLP.
        x: inputs ``(n, d_in)``.
        layers: 1-based hidden layers to include, in order (default: all).

    Returns:
        bool ``(n, N)`` with ``N`` the total width of the chosen layers.

    Raises:
        ValueError: a model without hidden layers, or a layer index out of range.
    """
    patterns = activation_patterns(model, x)
    if layers is None:
        return concat_codes(patterns)
    for layer in layers:
        if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= len(patterns):
            raise ValueError(f"layers holds {layer!r}; hidden layers are numbered 1..{len(patterns)} (1-based).")
    return concat_codes([patterns[layer - 1] for layer in layers])


def code_counts(code: Tensor) -> tuple[Tensor, Tensor]:
    """Distinct codes and how many inputs share each.

    Args:
        code: bool ``(n, N)``.

    Returns:
        ``(unique, counts)``: bool ``(u, N)`` distinct codes (lexicographic order) and ``(u,)`` counts
        summing to ``n``.
    """
    check_tensor(code, "code", dims=2, kind="binary")
    unique, counts = torch.unique(code.bool(), dim=0, return_counts=True)
    return unique, counts
