"""Low-rank adaptation (LoRA) of MLPs, and how fine-tuning moves the neurons' hyperplanes.

LoRA replaces a layer's weight ``W`` by ``W + (alpha / r) B A`` with ``A: (r, d_in)`` trainable (random
init), ``B: (d_out, r)`` trainable (zero init, so training starts from the pre-trained network) and ``W``,
``b`` frozen. Row ``i`` of the update is ``(alpha / r) b_i^T A``: neuron ``i``'s normal vector can only move
inside the row space of ``A`` (``r`` dimensions), while its offset ``b_i`` stays fixed.

Hyperplane of neuron ``i`` (in its layer's input space): ``{h : w_i . h + b_i = 0}``, unit normal
``w_i / |w_i|`` and signed offset ``-b_i / |w_i|`` (its signed distance from the origin).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from mlpgeo.models import hidden_layers
from mlpgeo.patterns import activation_patterns, concat_codes

__all__ = [
    "LoRALinear",
    "apply_lora",
    "lora_parameters",
    "merge_lora",
    "hyperplanes",
    "hyperplane_motion",
    "code_drift",
    "update_spectrum",
    "map_change",
    "adaptation_metrics",
]


class LoRALinear(nn.Linear):
    """``y = x (W + (alpha / r) B A)^T + b`` with ``W``, ``b`` frozen and ``A``, ``B`` trainable.

    A subclass of ``nn.Linear`` (so MLP validation accepts it); ``weight`` and ``bias`` are the frozen
    pre-trained values and :meth:`merged_weight` the effective weight.

    Args:
        base: the pre-trained ``nn.Linear`` (copied). rank: ``r >= 1``. alpha: scale (default ``r``, i.e. a
            scale of 1). generator: draws ``A`` from ``U(-1/sqrt(d_in), 1/sqrt(d_in))``.
    """

    def __init__(self, base: nn.Linear, rank: int, alpha: float | None = None,
                 generator: torch.Generator | None = None) -> None:
        d_in, d_out = base.in_features, base.out_features
        if not 1 <= rank <= min(d_in, d_out):
            raise ValueError(f"LoRA rank must lie in [1, min(d_in, d_out) = {min(d_in, d_out)}], got {rank}.")
        super().__init__(d_in, d_out, bias=base.bias is not None, device="meta")
        self.weight = nn.Parameter(base.weight.detach().clone(), requires_grad=False)
        self.bias = (nn.Parameter(base.bias.detach().clone(), requires_grad=False)
                     if base.bias is not None else None)
        self.rank = int(rank)
        self.alpha = float(alpha if alpha is not None else rank)
        bound = 1.0 / math.sqrt(d_in)
        A = torch.empty(rank, d_in, dtype=base.weight.dtype).uniform_(-bound, bound, generator=generator)
        self.lora_A = nn.Parameter(A)
        self.lora_B = nn.Parameter(torch.zeros(d_out, rank, dtype=base.weight.dtype))

    @property
    def scaling(self) -> float:
        """``alpha / r``."""
        return self.alpha / self.rank

    def delta_weight(self) -> Tensor:
        """The update ``(alpha / r) B A``: ``(d_out, d_in)``, rank <= r."""
        return self.scaling * self.lora_B @ self.lora_A

    def merged_weight(self) -> Tensor:
        """The effective weight ``W + (alpha / r) B A``."""
        return self.weight + self.delta_weight()

    def forward(self, x: Tensor) -> Tensor:
        out = nn.functional.linear(x, self.weight, self.bias)
        return out + self.scaling * (x @ self.lora_A.T) @ self.lora_B.T

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, rank={self.rank}, alpha={self.alpha}"


def apply_lora(model: nn.Sequential, rank: int, alpha: float | None = None, layers: list[int] | None = None,
               seed: int = 0) -> nn.Sequential:
    """A copy of ``model`` whose Linear layers are :class:`LoRALinear` (everything else frozen).

    Args:
        model: an MLP. rank: LoRA rank ``r`` (clipped to each layer's ``min(d_in, d_out)``).
        alpha: LoRA scale (default ``r``). layers: indices of the Linear layers to adapt (0 = first; default
            all). seed: seed of the ``A`` initialisations.

    Returns:
        The adapted copy; train it with ``models.train(..., params=lora_parameters(copy))``.
    """
    hidden_layers(model)
    generator = torch.Generator().manual_seed(seed)
    out = copy.deepcopy(model)
    linear_positions = [i for i, module in enumerate(out) if isinstance(module, nn.Linear)]
    chosen = range(len(linear_positions)) if layers is None else layers
    for index in chosen:
        if not 0 <= index < len(linear_positions):
            raise ValueError(f"layer index {index} out of range: the model has {len(linear_positions)} Linear layers.")
        pos = linear_positions[index]
        base = out[pos]
        r = min(rank, base.in_features, base.out_features)
        out[pos] = LoRALinear(base, r, alpha if alpha is not None else None, generator)
    for p in out.parameters():
        p.requires_grad_(False)
    for p in lora_parameters(out):
        p.requires_grad_(True)
    return out


def lora_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The trainable LoRA factors ``A``, ``B`` of every :class:`LoRALinear` in ``model``."""
    params: list[nn.Parameter] = []
    for module in model.modules():
        if isinstance(module, LoRALinear):
            params.extend([module.lora_A, module.lora_B])
    return params


def merge_lora(model: nn.Sequential) -> nn.Sequential:
    """A plain ``nn.Sequential`` with every :class:`LoRALinear` replaced by ``Linear(W + (alpha/r) B A, b)``."""
    out = copy.deepcopy(model)
    for i, module in enumerate(out):
        if isinstance(module, LoRALinear):
            merged = nn.Linear(module.in_features, module.out_features, bias=module.bias is not None)
            with torch.no_grad():
                merged.weight.copy_(module.merged_weight())
                if module.bias is not None:
                    merged.bias.copy_(module.bias)
            out[i] = merged
    for p in out.parameters():
        p.requires_grad_(True)
    return out


def effective_linears(model: nn.Module) -> list[tuple[Tensor, Tensor]]:
    """``(W, b)`` of every Linear layer (merged for LoRA layers), detached float64 CPU tensors."""
    hidden_layers(model)
    out = []
    for module in model:
        if isinstance(module, nn.Linear):
            W = module.merged_weight() if isinstance(module, LoRALinear) else module.weight
            b = module.bias if module.bias is not None else torch.zeros(module.out_features)
            out.append((W.detach().cpu().double(), b.detach().cpu().double()))
    return out


def hyperplanes(model: nn.Module, layer: int = 0) -> tuple[Tensor, Tensor]:
    """Unit normals ``(n, d)`` and signed offsets ``(n,)`` (``-b_i / |w_i|``) of one layer's neurons."""
    linears = effective_linears(model)
    if not 0 <= layer < len(linears) - 1:
        raise ValueError(f"layer must be a hidden layer index in [0, {len(linears) - 2}], got {layer}.")
    W, b = linears[layer]
    norm = W.norm(dim=1).clamp_min(1e-300)
    return W / norm[:, None], -b / norm


def hyperplane_motion(before: nn.Module, after: nn.Module, layer: int = 0) -> dict[str, np.ndarray]:
    """How each neuron's hyperplane moved between two versions of the same MLP.

    Returns:
        ``{"angle": (n,) rotation of the normal in radians, "shift": (n,) change of the signed offset
        -b/|w|, "weight_change": (n,) |Delta w_i| / |w_i|}``.
    """
    n0, o0 = hyperplanes(before, layer)
    n1, o1 = hyperplanes(after, layer)
    if n0.shape != n1.shape:
        raise ValueError(f"the two models differ in layer {layer}: {tuple(n0.shape)} vs {tuple(n1.shape)}.")
    cos = (n0 * n1).sum(dim=1).clamp(-1.0, 1.0)
    W0 = effective_linears(before)[layer][0]
    W1 = effective_linears(after)[layer][0]
    return {
        "angle": torch.arccos(cos).numpy(),
        "shift": (o1 - o0).numpy(),
        "weight_change": ((W1 - W0).norm(dim=1) / W0.norm(dim=1).clamp_min(1e-300)).numpy(),
    }


def update_spectrum(before: nn.Module, after: nn.Module, layer: int = 0) -> np.ndarray:
    """Singular values of the weight update ``Delta W`` of one layer (descending): its rank tells in how many
    input directions the hyperplanes' normals moved."""
    W0 = effective_linears(before)[layer][0]
    W1 = effective_linears(after)[layer][0]
    return torch.linalg.svdvals(W1 - W0).numpy()


def _codes(model: nn.Module, x: Tensor) -> np.ndarray:
    return concat_codes(activation_patterns(model, x)).cpu().numpy()


def code_drift(before: nn.Module, after: nn.Module, x: Tensor, reference: Tensor | None = None) -> dict[str, Any]:
    """How the data's hash codes changed between two versions of the same MLP.

    Args:
        before, after: the MLP before and after fine-tuning. x: ``(n, d_in)`` points to hash.
        reference: ``(m, d_in)`` points whose codes *before* define the known codes (default ``x``).

    Returns:
        ``{"hamming": (n,) bits flipped per point, "changed": fraction of points whose code changed,
        "new_codes": distinct codes of ``after`` on ``x`` unseen by ``before`` on ``reference``,
        "new_code_fraction": their share of the distinct codes, "points_in_new_codes": share of points
        hashed to such codes, "codes_before", "codes_after": distinct code counts}``.
    """
    c0 = _codes(before, x)
    c1 = _codes(after, x)
    ref = c0 if reference is None else _codes(before, reference)
    known = {row.tobytes() for row in np.packbits(ref, axis=1)}
    keys1 = [row.tobytes() for row in np.packbits(c1, axis=1)]
    distinct1 = set(keys1)
    new = {k for k in distinct1 if k not in known}
    hamming = (c0 != c1).sum(axis=1)
    return {
        "hamming": hamming,
        "changed": float((hamming > 0).mean()),
        "new_codes": len(new),
        "new_code_fraction": len(new) / max(len(distinct1), 1),
        "points_in_new_codes": float(np.mean([k in new for k in keys1])),
        "codes_before": len({row.tobytes() for row in np.packbits(c0, axis=1)}),
        "codes_after": len(distinct1),
    }


@torch.no_grad()
def map_change(before: nn.Module, after: nn.Module, x: Tensor) -> dict[str, float]:
    """Did the per-region maps change, beyond the partition? Outputs of points whose code is unchanged.

    Returns:
        ``{"same_code": share of points keeping their code, "output_change": mean |f_after - f_before| over
        those points, "output_scale": mean |f_before| over them}``.
    """
    c0, c1 = _codes(before, x), _codes(after, x)
    same = torch.as_tensor((c0 == c1).all(axis=1))
    if not same.any():
        return {"same_code": 0.0, "output_change": float("nan"), "output_scale": float("nan")}
    f0, f1 = before(x[same]), after(x[same])
    return {
        "same_code": float(same.float().mean()),
        "output_change": float((f1 - f0).abs().mean()),
        "output_scale": float(f0.abs().mean()),
    }


def adaptation_metrics(
    before: nn.Module,
    after: nn.Module,
    new: tuple[Tensor, Tensor],
    old: tuple[Tensor, Tensor],
    bounds: tuple[float, float, float, float] | None = None,
) -> dict[str, float]:
    """Everything the hashing report measures about one fine-tuning run (2-D or higher-dimensional input).

    Args:
        before: the pre-trained MLP. after: the fine-tuned one (plain or LoRA).
        new, old: ``(x, y)`` of the new task and of the pre-training task.
        bounds: if given (2-D inputs only), also count the exact regions in this box before and after.

    Returns:
        ``acc_new``, ``acc_old`` (after fine-tuning), ``acc_new_before``, ``acc_old_before``; for the first
        and second hidden layers ``angle{l}`` (mean normal rotation, degrees), ``shift{l}`` (mean |offset
        change|), ``rank{l}`` (numerical rank of Delta W, singular values > 1e-3 of the largest);
        ``hamming`` (mean bits flipped per new-task point), ``changed`` (share of points whose code
        changed), ``new_code_points`` (share of new-task points hashed to a code that no old- or new-task
        point had before), ``new_codes``; with ``bounds``: ``regions_before``, ``regions_after``.
    """
    from mlpgeo.models import accuracy

    x_new, y_new = new
    x_old, y_old = old
    out: dict[str, float] = {
        "acc_new": accuracy(after, x_new, y_new),
        "acc_old": accuracy(after, x_old, y_old),
        "acc_new_before": accuracy(before, x_new, y_new),
        "acc_old_before": accuracy(before, x_old, y_old),
    }
    n_hidden = len(hidden_layers(before))
    for layer in range(min(2, n_hidden)):
        motion = hyperplane_motion(before, after, layer)
        sv = update_spectrum(before, after, layer)
        out[f"angle{layer}"] = float(np.degrees(motion["angle"]).mean())
        out[f"shift{layer}"] = float(np.abs(motion["shift"]).mean())
        out[f"rank{layer}"] = int((sv > 1e-3 * sv.max()).sum()) if sv.max() > 0 else 0
    drift = code_drift(before, after, x_new, reference=torch.cat([x_old, x_new]))
    out.update(
        hamming=float(drift["hamming"].mean()),
        changed=drift["changed"],
        new_code_points=drift["points_in_new_codes"],
        new_codes=drift["new_codes"],
    )
    if bounds is not None:
        from mlpgeo.regions import linear_regions_2d

        out["regions_before"] = len(linear_regions_2d(before, bounds))
        out["regions_after"] = len(linear_regions_2d(after, bounds))
    return out
