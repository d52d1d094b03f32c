"""Comparing two versions of one MLP: how its hyperplanes, its codes and its per-region maps moved.

Training or fine-tuning changes a network in two ways: it moves the neurons' hyperplanes (and with them
the partition of the input space into linear regions) and it changes the affine map on each region.
This module measures both, for any two MLPs of the same architecture (``before`` and ``after``):

- **Hyperplanes.** Neuron ``i`` of hidden layer ``l`` with effective weights ``w_i`` and bias ``b_i`` is
  the hyperplane ``{h : w_i . h + b_i = 0}`` of its layer's input space, with unit normal
  ``n_i = w_i / |w_i|`` and signed offset ``o_i = -b_i / |w_i|`` (its signed distance from the origin).
  :func:`hyperplanes` returns them; :func:`hyperplane_motion` the rotation ``arccos(n_i . n_i')``, the
  offset change ``o_i' - o_i`` and the relative weight change ``|w_i' - w_i| / |w_i|`` of every neuron.
- **Update spectrum.** The singular values of ``Delta W = W_after - W_before`` (:func:`update_spectrum`):
  the number of non-negligible ones is the number of input directions in which the normals moved (at
  most ``r`` for a rank-``r`` LoRA update).
- **Code drift.** The codes (sign patterns of every hidden neuron, :func:`mlpgeo.patterns.codes`) of the
  same inputs before and after: bits flipped per input, and inputs hashed to a code that no reference
  input had before (:func:`code_drift`).
- **Map change.** For the inputs whose code did not change (same region), the change of the network's
  output: the per-region affine maps moved even where the partition did not (:func:`map_change`).

Precision: hyperplanes, their motion and the update spectrum are computed in float64 on the CPU whatever
the models' dtype (``arccos`` of a cosine near 1 loses about half of its digits, so small rotations need
float64); codes and outputs are computed in each model's own dtype, as a forward pass does.
LoRA layers (:class:`mlpgeo.lora.LoRALinear`) are read through their merged weight
(:func:`mlpgeo.models.weights`). Hidden layers are numbered from 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from mlpgeo.models import weights
from mlpgeo.patterns import codes
from mlpgeo.validate import check_layer, check_model, check_x

__all__ = [
    "Hyperplanes",
    "HyperplaneMotion",
    "CodeDrift",
    "MapChange",
    "hyperplanes",
    "hyperplane_motion",
    "update_spectrum",
    "code_drift",
    "map_change",
]


class Hyperplanes(NamedTuple):
    """The hyperplanes of one hidden layer's ``m`` neurons in its ``d``-dimensional input space.

    Attributes:
        normals: float64 ``(m, d)`` unit normals ``w_i / |w_i|`` (zero rows for neurons with ``w_i = 0``,
            which have no hyperplane).
        offsets: float64 ``(m,)`` signed offsets ``-b_i / |w_i|`` (``|w_i|`` clamped at 1e-300).
    """

    normals: Tensor
    offsets: Tensor


class HyperplaneMotion(NamedTuple):
    """How each neuron's hyperplane moved between two versions of one MLP (see :func:`hyperplane_motion`).

    Attributes:
        angle: float64 ``(m,)`` rotation of the unit normal, radians in ``[0, pi]``.
        shift: float64 ``(m,)`` change of the signed offset ``-b/|w|``.
        weight_change: float64 ``(m,)`` relative weight change ``|w_i' - w_i| / |w_i|``.
    """

    angle: Tensor
    shift: Tensor
    weight_change: Tensor


@dataclass(frozen=True)
class CodeDrift:
    """How the codes of a batch changed between two versions of one MLP (see :func:`code_drift`).

    Attributes:
        hamming: int64 ``(n,)`` bits flipped per input.
        changed: share of inputs whose code changed.
        new_codes: distinct codes of ``after`` on ``x`` that no reference input had under ``before``.
        new_code_fraction: ``new_codes`` over the distinct codes of ``after`` on ``x``.
        points_in_new_codes: share of inputs hashed by ``after`` to such a new code.
        codes_before: distinct codes of ``before`` on ``x``.
        codes_after: distinct codes of ``after`` on ``x``.
    """

    hamming: Tensor
    changed: float
    new_codes: int
    new_code_fraction: float
    points_in_new_codes: float
    codes_before: int
    codes_after: int


@dataclass(frozen=True)
class MapChange:
    """Output change of the inputs that keep their code (see :func:`map_change`).

    Attributes:
        same_code: share of inputs whose code is the same before and after.
        output_change: mean ``|f_after(x) - f_before(x)|`` over those inputs and every output unit;
            ``None`` when no input keeps its code (the quantity is undefined, not zero).
        output_scale: mean ``|f_before(x)|`` over the same inputs (``None`` likewise).
    """

    same_code: float
    output_change: float | None
    output_scale: float | None


def _shapes(model: nn.Sequential) -> list[tuple[int, int]]:
    return [tuple(m.weight.shape) for m in model if isinstance(m, nn.Linear)]


def _activations(model: nn.Sequential) -> list[str]:
    return [type(m).__name__ for m in model if not isinstance(m, nn.Linear)]


def _check_pair(before: nn.Sequential, after: nn.Sequential) -> None:
    """Both arguments are MLPs of the same architecture (LoRA layers count as Linear layers)."""
    check_model(before, "before")
    check_model(after, "after")
    if _shapes(before) != _shapes(after):
        raise ValueError(
            "before and after must be two versions of one architecture; their weight shapes differ: "
            f"{_shapes(before)} vs {_shapes(after)}."
        )
    if _activations(before) != _activations(after):
        raise ValueError(
            "before and after must be two versions of one architecture; their activations differ: "
            f"{_activations(before)} vs {_activations(after)}."
        )


def _hidden_weight(model: nn.Sequential, layer: int) -> tuple[Tensor, Tensor]:
    """Effective ``(W, b)`` of hidden layer ``layer`` (1-based), float64 on the CPU."""
    layer = check_layer(model, layer)
    W, b = weights(model)[layer - 1]
    return W.cpu().double(), b.cpu().double()


def hyperplanes(model: nn.Sequential, layer: int = 1) -> Hyperplanes:
    """Unit normals and signed offsets of the neurons of one hidden layer.

    Neuron ``i`` with effective weights ``w_i`` and bias ``b_i`` is the hyperplane ``{h : w_i . h + b_i = 0}``
    of its layer's input space (the input for ``layer=1``, the previous layer's activations deeper), with
    unit normal ``w_i / |w_i|`` and signed offset ``-b_i / |w_i|``.

    Args:
        model: an MLP (LoRA layers are merged).
        layer: hidden layer, 1-based.

    Returns:
        :class:`Hyperplanes` ``(normals (m, d), offsets (m,))``, float64 (see the module doc).

    Raises:
        TypeError / ValueError: not an MLP, or ``layer`` not an integer in ``[1, number of hidden layers]``.
    """
    check_model(model)
    W, b = _hidden_weight(model, layer)
    norm = W.norm(dim=1).clamp_min(1e-300)
    return Hyperplanes(W / norm[:, None], -b / norm)


def hyperplane_motion(before: nn.Sequential, after: nn.Sequential, layer: int = 1) -> HyperplaneMotion:
    """How each neuron's hyperplane moved between two versions of the same MLP.

    ``angle_i = arccos(n_i . n_i')`` (unit normals before and after), ``shift_i = o_i' - o_i`` (signed
    offsets) and ``weight_change_i = |w_i' - w_i| / |w_i|``.

    Args:
        before: the MLP before (e.g. pre-trained).
        after: the same architecture after training or fine-tuning.
        layer: hidden layer, 1-based.

    Returns:
        :class:`HyperplaneMotion` of float64 ``(m,)`` tensors.

    Raises:
        TypeError / ValueError: not MLPs, different architectures, ``layer`` out of range.
    """
    _check_pair(before, after)
    n0, o0 = hyperplanes(before, layer)
    n1, o1 = hyperplanes(after, layer)
    cos = (n0 * n1).sum(dim=1).clamp(-1.0, 1.0)
    W0 = _hidden_weight(before, layer)[0]
    W1 = _hidden_weight(after, layer)[0]
    return HyperplaneMotion(
        angle=torch.arccos(cos),
        shift=o1 - o0,
        weight_change=(W1 - W0).norm(dim=1) / W0.norm(dim=1).clamp_min(1e-300),
    )


def update_spectrum(before: nn.Sequential, after: nn.Sequential, layer: int = 1) -> Tensor:
    """Singular values (descending) of the weight update ``Delta W = W_after - W_before`` of one hidden layer.

    Its numerical rank (singular values above a small fraction of the largest) is the number of input
    directions in which the layer's hyperplane normals moved.

    Args:
        before: the MLP before.
        after: the same architecture after.
        layer: hidden layer, 1-based.

    Returns:
        float64 ``(min(m, d),)`` singular values.

    Raises:
        TypeError / ValueError: not MLPs, different architectures, ``layer`` out of range.
    """
    _check_pair(before, after)
    W0 = _hidden_weight(before, layer)[0]
    W1 = _hidden_weight(after, layer)[0]
    return torch.linalg.svdvals(W1 - W0)


def code_drift(
    before: nn.Sequential, after: nn.Sequential, x: Tensor, reference: Tensor | None = None
) -> CodeDrift:
    """How the inputs' hash codes changed between two versions of the same MLP.

    The code of an input is the sign pattern of every hidden neuron (:func:`mlpgeo.patterns.codes`). A
    code of ``after`` on ``x`` is *new* if no input of ``reference`` had it under ``before``.

    Args:
        before: the MLP before (e.g. pre-trained).
        after: the same architecture after.
        x: ``(n, d_in)`` inputs to hash.
        reference: ``(m, d_in)`` inputs whose codes under ``before`` are the known codes (default ``x``).

    Returns:
        :class:`CodeDrift`.

    Raises:
        TypeError / ValueError: not MLPs, different architectures, bad ``x`` or ``reference``.
    """
    _check_pair(before, after)
    c0 = codes(before, x).cpu()
    c1 = codes(after, x).cpu()
    ref = c0 if reference is None else codes(before, check_x(before, reference, "reference")).cpu()
    unique, inverse = torch.unique(torch.cat([ref, c1]), dim=0, return_inverse=True)
    known = torch.zeros(len(unique), dtype=torch.bool)
    known[inverse[: len(ref)]] = True
    inverse_after = inverse[len(ref):]
    distinct_after = inverse_after.unique()
    new = ~known[distinct_after]
    hamming = (c0 != c1).sum(dim=1)
    n = len(c0)
    return CodeDrift(
        hamming=hamming,
        changed=int((hamming > 0).sum()) / n,
        new_codes=int(new.sum()),
        new_code_fraction=int(new.sum()) / max(len(distinct_after), 1),
        points_in_new_codes=int((~known[inverse_after]).sum()) / n,
        codes_before=len(torch.unique(c0, dim=0)),
        codes_after=len(distinct_after),
    )


@torch.no_grad()
def map_change(before: nn.Sequential, after: nn.Sequential, x: Tensor) -> MapChange:
    """Did the per-region maps change, beyond the partition? The output change of inputs that keep their code.

    An input that keeps its code stays in a region with the same sign pattern, where each network is
    affine; a change of its output is a change of that region's map.

    Args:
        before: the MLP before.
        after: the same architecture after.
        x: ``(n, d_in)`` inputs.

    Returns:
        :class:`MapChange`: ``same_code`` (share of inputs keeping their code), and over those inputs
        ``output_change = mean |f_after - f_before|`` and ``output_scale = mean |f_before|`` (computed in
        the models' dtype; ``None`` if no input keeps its code).

    Raises:
        TypeError / ValueError: not MLPs, different architectures, bad ``x``.
    """
    _check_pair(before, after)
    c0, c1 = codes(before, x).cpu(), codes(after, x).cpu()
    same = (c0 == c1).all(dim=1)
    if not same.any():
        return MapChange(same_code=0.0, output_change=None, output_scale=None)
    x0 = check_x(before, x, "x")
    x1 = check_x(after, x, "x")
    f0 = before(x0[same.to(x0.device)]).cpu()
    f1 = after(x1[same.to(x1.device)]).cpu()
    dtype = torch.promote_types(f0.dtype, f1.dtype)
    f0, f1 = f0.to(dtype), f1.to(dtype)
    return MapChange(
        same_code=float(same.float().mean()),
        output_change=float((f1 - f0).abs().mean()),
        output_scale=float(f0.abs().mean()),
    )
