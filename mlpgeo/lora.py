"""Low-rank adaptation (LoRA) of MLPs: the adapter itself.

LoRA replaces a Linear layer's weight ``W: (d_out, d_in)`` by ``W + (alpha / r) B A`` with
``A: (r, d_in)`` trainable (random init), ``B: (d_out, r)`` trainable (zero init, so training starts from
the pre-trained network) and ``W``, ``b`` frozen. Row ``i`` of the update is ``(alpha / r) B_i A``: neuron
``i``'s weight vector (the normal of its hyperplane ``{h : w_i . h + b_i = 0}``) can only move inside
the ``r``-dimensional row space of ``A``, and its bias ``b_i`` stays fixed. The update has rank at most
``r``.

To measure what an adaptation did to the hyperplanes, codes and maps, compare the model before and
after with :mod:`mlpgeo.compare` (it reads LoRA layers through their merged weight).

Typical use::

    adapted = apply_lora(model, rank=2, generator=torch.Generator().manual_seed(0))
    models.train(adapted, x, y, params=lora_parameters(adapted))
    plain = merge_lora(adapted)
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from mlpgeo.validate import FLOAT_DTYPES, check_generator, check_int, check_model, check_number

__all__ = ["LoRALinear", "apply_lora", "lora_parameters", "merge_lora"]


class LoRALinear(nn.Linear):
    """``y = x (W + (alpha / r) B A)^T + b`` with ``W``, ``b`` frozen and ``A``, ``B`` trainable.

    A subclass of ``nn.Linear`` (so MLP validation accepts it); ``weight`` and ``bias`` are the frozen
    pre-trained values and :meth:`merged_weight` the effective weight. ``A: (r, d_in)`` is drawn from
    ``U(-1/sqrt(d_in), 1/sqrt(d_in))`` on the CPU, ``B: (d_out, r)`` starts at zero; both take the base
    layer's dtype and device.

    Args:
        base: the pre-trained ``nn.Linear`` (copied; a :class:`LoRALinear` is refused: merge it first).
        rank: ``r``, an integer in ``[1, min(d_in, d_out)]``.
        alpha: the scale's numerator, a finite number > 0 (default ``r``, i.e. a scale of 1).
        generator: the random source of ``A`` (``None``: a fresh generator with torch's default seed).

    Raises:
        TypeError: ``base`` not an ``nn.Linear`` (or already a LoRA layer), unsupported dtype, non-integer
            rank, a generator of another type.
        ValueError: rank out of range, ``alpha`` not finite and positive, non-finite base weights.
    """

    def __init__(self, base: nn.Linear, rank: int, alpha: float | None = None,
                 generator: torch.Generator | None = None) -> None:
        if isinstance(base, LoRALinear):
            raise TypeError("base is already a LoRALinear; merge it first (merge_lora) to adapt it again.")
        if not isinstance(base, nn.Linear):
            raise TypeError(f"base must be an nn.Linear, got {type(base).__name__}.")
        if base.weight.dtype not in FLOAT_DTYPES:
            raise TypeError(f"base has dtype {base.weight.dtype}; use float32 or float64 (base.float()).")
        for name, param in (("weight", base.weight), ("bias", base.bias)):
            if param is not None and not torch.isfinite(param.detach()).all():
                raise ValueError(f"base.{name} holds NaN or infinite values; LoRA cannot adapt it.")
        d_in, d_out = base.in_features, base.out_features
        rank = check_int(rank, "rank")
        if not 1 <= rank <= min(d_in, d_out):
            raise ValueError(f"LoRA rank must lie in [1, min(d_in, d_out) = {min(d_in, d_out)}], got {rank}.")
        alpha = float(rank) if alpha is None else check_number(alpha, "alpha", low=0, low_open=True)
        generator = check_generator(generator) or torch.Generator()
        super().__init__(d_in, d_out, bias=base.bias is not None, device="meta")
        self.weight = nn.Parameter(base.weight.detach().clone(), requires_grad=False)
        self.bias = (nn.Parameter(base.bias.detach().clone(), requires_grad=False)
                     if base.bias is not None else None)
        self.rank = rank
        self.alpha = alpha
        bound = 1.0 / math.sqrt(d_in)
        # drawn on the CPU (the generator's device), then moved to the base layer's device
        A = torch.empty(rank, d_in, dtype=base.weight.dtype).uniform_(-bound, bound, generator=generator)
        self.lora_A = nn.Parameter(A.to(base.weight.device))
        self.lora_B = nn.Parameter(torch.zeros(d_out, rank, dtype=base.weight.dtype, device=base.weight.device))

    @property
    def scaling(self) -> float:
        """``alpha / r``."""
        return self.alpha / self.rank

    def delta_weight(self) -> Tensor:
        """The update ``(alpha / r) B A``: ``(d_out, d_in)``, rank <= r."""
        return self.scaling * self.lora_B @ self.lora_A

    def merged_weight(self) -> Tensor:
        """The effective weight ``W + (alpha / r) B A``: ``(d_out, d_in)``."""
        return self.weight + self.delta_weight()

    def forward(self, x: Tensor) -> Tensor:
        out = nn.functional.linear(x, self.weight, self.bias)
        return out + self.scaling * (x @ self.lora_A.T) @ self.lora_B.T

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, rank={self.rank}, alpha={self.alpha}"


def apply_lora(
    model: nn.Sequential,
    rank: int,
    alpha: float | None = None,
    layers: Sequence[int] | None = None,
    generator: torch.Generator | None = None,
) -> nn.Sequential:
    """A copy of ``model`` whose chosen Linear layers are :class:`LoRALinear` (everything else frozen).

    Args:
        model: an MLP ``nn.Sequential(Linear, act, ..., Linear)`` (not changed).
        rank: LoRA rank ``r >= 1`` (clipped to each layer's ``min(d_in, d_out)``).
        alpha: LoRA scale numerator, finite and > 0 (default ``r``).
        layers: the Linear layers to adapt, 1-based (Linear ``l`` computes hidden layer ``l``; the last one
            is the output layer); default all.
        generator: the random source of the ``A`` factors, drawn layer after layer (``None``: a fresh
            generator with torch's default seed). Seed one with ``torch.Generator().manual_seed(s)``.

    Returns:
        The adapted copy, with only the LoRA factors trainable; train it with
        ``models.train(..., params=lora_parameters(copy))``.

    Raises:
        TypeError: not an MLP, a non-integer rank or layer index, a generator of another type.
        ValueError: ``rank < 1``, a layer index outside ``[1, number of Linear layers]`` or repeated,
            a layer that is already a LoRA layer.
    """
    check_model(model)
    rank = check_int(rank, "rank", low=1)
    if alpha is not None:
        alpha = check_number(alpha, "alpha", low=0, low_open=True)
    generator = check_generator(generator) or torch.Generator()
    out = copy.deepcopy(model)
    positions = [i for i, module in enumerate(out) if isinstance(module, nn.Linear)]
    if layers is None:
        chosen = list(range(1, len(positions) + 1))
    else:
        if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
            raise TypeError(f"layers must be a list of 1-based Linear-layer indices, got {type(layers).__name__}.")
        chosen = [check_int(index, "layers") for index in layers]
        for index in chosen:
            if not 1 <= index <= len(positions):
                raise ValueError(
                    f"layer index {index} out of range: use 1..{len(positions)} (1-based Linear layers)."
                )
        if len(set(chosen)) != len(chosen):
            raise ValueError(f"layers holds a repeated index ({chosen}); list each Linear layer once.")
    for index in chosen:
        pos = positions[index - 1]
        base = out[pos]
        if isinstance(base, LoRALinear):
            raise ValueError(f"Linear layer {index} is already a LoRA layer; merge_lora the model first.")
        r = min(rank, base.in_features, base.out_features)
        out[pos] = LoRALinear(base, r, alpha, generator)
    for p in out.parameters():
        p.requires_grad_(False)
    for p in lora_parameters(out):
        p.requires_grad_(True)
    return out


def lora_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The trainable LoRA factors ``A``, ``B`` of every :class:`LoRALinear` in ``model`` (empty if none).

    Raises:
        TypeError: ``model`` is not an ``nn.Module``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}.")
    params: list[nn.Parameter] = []
    for module in model.modules():
        if isinstance(module, LoRALinear):
            params.extend([module.lora_A, module.lora_B])
    return params


def merge_lora(model: nn.Sequential) -> nn.Sequential:
    """A plain ``nn.Sequential`` with every :class:`LoRALinear` replaced by ``Linear(W + (alpha/r) B A, b)``.

    The merged layers keep the adapter's dtype and device; the global random number generator is not
    used. Every parameter of the result is trainable.

    Raises:
        TypeError / ValueError: not an MLP (see :func:`mlpgeo.validate.check_model`).
    """
    check_model(model)
    out = copy.deepcopy(model)
    for i, module in enumerate(out):
        if isinstance(module, LoRALinear):
            merged = nn.utils.skip_init(nn.Linear, module.in_features, module.out_features,
                                        bias=module.bias is not None, dtype=module.weight.dtype,
                                        device=module.weight.device)
            with torch.no_grad():
                merged.weight.copy_(module.merged_weight())
                if module.bias is not None:
                    merged.bias.copy_(module.bias)
            out[i] = merged
    for p in out.parameters():
        p.requires_grad_(True)
    return out
