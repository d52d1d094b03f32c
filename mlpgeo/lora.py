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
    "lora_experiment",
    "claim_lora_constrained",
    "claim_lora_no_new_partitions",
    "claim_lora_forgetting",
    "claim_lora_close_tasks",
    "plot_lora_bars",
    "lora_study",
]


class LoRALinear(nn.Linear):
    """``y = x (W + (alpha / r) B A)^T + b`` with ``W``, ``b`` frozen and ``A``, ``B`` trainable.

    A subclass of ``nn.Linear`` (so MLP validation accepts it); ``weight`` and ``bias`` are the frozen
    pre-trained values and :meth:`merged_weight` the effective weight.

    Args:
        base: the pre-trained ``nn.Linear`` (copied).
        rank: ``r >= 1``.
        alpha: scale (default ``r``, i.e. a scale of 1).
        generator: draws ``A`` from ``U(-1/sqrt(d_in), 1/sqrt(d_in))``.
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
        model: an MLP.
        rank: LoRA rank ``r`` (clipped to each layer's ``min(d_in, d_out)``).
        alpha: LoRA scale (default ``r``).
        layers: the Linear layers to adapt, 1-based (Linear ``l`` computes hidden layer ``l``; the last one is
            the output layer); default all.
        seed: seed of the ``A`` initialisations.

    Returns:
        The adapted copy; train it with ``models.train(..., params=lora_parameters(copy))``.

    Raises:
        ValueError: a layer index outside ``[1, number of Linear layers]``.
    """
    hidden_layers(model)
    generator = torch.Generator().manual_seed(seed)
    out = copy.deepcopy(model)
    linear_positions = [i for i, module in enumerate(out) if isinstance(module, nn.Linear)]
    chosen = range(1, len(linear_positions) + 1) if layers is None else layers
    for index in chosen:
        if not 1 <= index <= len(linear_positions):
            raise ValueError(f"layer index {index} out of range: use 1..{len(linear_positions)} (1-based Linear layers).")
        pos = linear_positions[index - 1]
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


def _hidden_linear(model: nn.Module, layer: int) -> tuple[Tensor, Tensor]:
    """``(W, b)`` of hidden layer ``layer`` (1-based: ``layer=1`` is the first hidden layer).

    Raises:
        ValueError: ``layer`` is not in ``[1, number of hidden layers]``.
    """
    linears = effective_linears(model)
    n_hidden = len(linears) - 1
    if not isinstance(layer, int) or not 1 <= layer <= n_hidden:
        raise ValueError(
            f"layer must be a hidden layer index in [1, {n_hidden}] (1 = first hidden layer), got {layer!r}."
        )
    return linears[layer - 1]


def hyperplanes(model: nn.Module, layer: int = 1) -> tuple[Tensor, Tensor]:
    """Unit normals and signed offsets of the neurons of one hidden layer.

    Neuron ``i`` with weights ``w_i`` and bias ``b_i`` is the hyperplane ``{h : w_i . h + b_i = 0}`` of its
    layer's input space, with unit normal ``w_i / |w_i|`` and signed offset ``-b_i / |w_i|``.

    Args:
        model: an MLP (LoRA layers are merged).
        layer: hidden layer, 1-based (1 = first hidden layer).

    Returns:
        ``(normals (n, d), offsets (n,))`` float64.

    Raises:
        ValueError: ``layer`` out of range.
    """
    W, b = _hidden_linear(model, layer)
    norm = W.norm(dim=1).clamp_min(1e-300)
    return W / norm[:, None], -b / norm


def hyperplane_motion(before: nn.Module, after: nn.Module, layer: int = 1) -> dict[str, np.ndarray]:
    """How each neuron's hyperplane moved between two versions of the same MLP.

    Args:
        before: the MLP before (e.g. pre-trained).
        after: the same architecture after training or fine-tuning.
        layer: hidden layer, 1-based (1 = first hidden layer).

    Returns:
        ``{"angle": (n,) rotation of the normal in radians, "shift": (n,) change of the signed offset
        -b/|w|, "weight_change": (n,) |Delta w_i| / |w_i|}``.

    Raises:
        ValueError: ``layer`` out of range, or the two models differ in that layer.
    """
    n0, o0 = hyperplanes(before, layer)
    n1, o1 = hyperplanes(after, layer)
    if n0.shape != n1.shape:
        raise ValueError(f"the two models differ in layer {layer}: {tuple(n0.shape)} vs {tuple(n1.shape)}.")
    cos = (n0 * n1).sum(dim=1).clamp(-1.0, 1.0)
    W0 = _hidden_linear(before, layer)[0]
    W1 = _hidden_linear(after, layer)[0]
    return {
        "angle": torch.arccos(cos).numpy(),
        "shift": (o1 - o0).numpy(),
        "weight_change": ((W1 - W0).norm(dim=1) / W0.norm(dim=1).clamp_min(1e-300)).numpy(),
    }


def update_spectrum(before: nn.Module, after: nn.Module, layer: int = 1) -> np.ndarray:
    """Singular values (descending) of the weight update ``Delta W = W_after - W_before`` of one hidden layer.

    Its numerical rank tells in how many input directions the layer's hyperplane normals moved.

    Args:
        before: the MLP before.
        after: the same architecture after.
        layer: hidden layer, 1-based (1 = first hidden layer).

    Returns:
        ``(min(n, d),)`` singular values.

    Raises:
        ValueError: ``layer`` out of range.
    """
    W0 = _hidden_linear(before, layer)[0]
    W1 = _hidden_linear(after, layer)[0]
    return torch.linalg.svdvals(W1 - W0).numpy()


def _codes(model: nn.Module, x: Tensor) -> np.ndarray:
    return concat_codes(activation_patterns(model, x)).cpu().numpy()


def code_drift(before: nn.Module, after: nn.Module, x: Tensor, reference: Tensor | None = None) -> dict[str, Any]:
    """How the data's hash codes changed between two versions of the same MLP.

    Args:
        before: the MLP before fine-tuning.
        after: the MLP after fine-tuning.
        x: ``(n, d_in)`` points to hash.
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
    from mlpgeo.models import model_device

    c0, c1 = _codes(before, x), _codes(after, x)
    same = torch.as_tensor((c0 == c1).all(axis=1))
    if not same.any():
        return {"same_code": 0.0, "output_change": float("nan"), "output_scale": float("nan")}
    kept = x[same.to(x.device)]
    f0 = before(kept.to(model_device(before))).cpu()
    f1 = after(kept.to(model_device(after))).cpu()
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
        before: the pre-trained MLP.
        after: the fine-tuned one (plain or LoRA).
        new: ``(x, y)`` of the new task.
        old: ``(x, y)`` of the pre-training task.
        bounds: if given (2-D inputs only), also count the exact regions in this box before and after.

    Returns:
        ``acc_new``, ``acc_old`` (after fine-tuning), ``acc_new_before``, ``acc_old_before``; for the first
        and second hidden layers (``l`` = 1, 2, 1-based) ``angle{l}`` (mean normal rotation, degrees), ``shift{l}`` (mean |offset
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
    for layer in range(1, min(2, n_hidden) + 1):
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


# ----------------------------------------------------------------------------------------------------------
# The hashing report's LoRA experiment and claims
# ----------------------------------------------------------------------------------------------------------


def lora_experiment(
    seed: int, methods: list[Any], shifts: dict[str, float], bounds: tuple[float, float, float, float],
    pre_epochs: int, epochs: int = 300, lr: float = 3e-3,
) -> dict[tuple[str, Any], dict[str, float]]:
    """Pre-train a ``2 -> 32 -> 32 -> 2`` ReLU network on two moons (400 points, noise 0.1; Adam, lr ``lr``,
    full batch), then fine-tune it on the moons rotated by each angle, fully or with LoRA.

    Args:
        seed: seed of the data, of the initialisation and of the LoRA ``A`` factors.
        methods: ``"full"`` (every parameter) or an int LoRA rank (every Linear layer adapted).
        shifts: ``{name: rotation angle in degrees}`` of the new task.
        bounds: box for the exact region counts.
        pre_epochs: pre-training epochs.
        epochs: fine-tuning epochs.
        lr: learning rate of both phases.

    Returns:
        ``{(shift name, method): adaptation_metrics(pre, tuned, new task, old task, bounds)}``.
    """
    import math

    from mlpgeo import data, models

    x_old, y_old = data.two_moons(400, noise=0.1, seed=seed)
    pre = models.mlp([2, 32, 32, 2], seed=seed)
    models.train(pre, x_old, y_old, lr=lr, epochs=pre_epochs, progress=False)
    out = {}
    for shift, angle in shifts.items():
        x_new = data.rotate(x_old, math.radians(angle))
        for method in methods:
            if method == "full":
                tuned = models.clone(pre)
                models.train(tuned, x_new, y_old, lr=lr, epochs=epochs, progress=False)
            else:
                tuned = apply_lora(pre, rank=method, seed=seed)
                models.train(tuned, x_new, y_old, lr=lr, epochs=epochs, params=lora_parameters(tuned), progress=False)
            out[(shift, method)] = adaptation_metrics(pre, tuned, (x_new, y_old), (x_old, y_old), bounds)
    return out


def _pool(runs: dict[tuple[str, Any], list[dict[str, float]]], key: str, shifts: list[str], methods: list[Any]) -> list:
    return [r[key] for s in shifts for m in methods for r in runs[(s, m)]]


def claim_lora_constrained(runs: dict[tuple[str, Any], list[dict[str, float]]], shifts: list[str], far: str) -> tuple[dict[str, Any], str]:
    """Rule: "reproduced" if every LoRA update of the hidden-to-hidden layer (hidden layer 2) has rank <= r
    while full fine-tuning's has rank > 4 for every run.

    Args:
        runs: ``{(shift, method): per-seed adaptation_metrics}``; methods ``"full"`` and LoRA ranks.
        shifts: the shift names.
        far: the far shift's name.

    Returns:
        ``(measured, verdict)``.
    """
    from mlpgeo.report import summarize

    ranks = sorted({m for _, m in runs if m != "full"})
    rank_ok = all(r["rank2"] <= m for s in shifts for m in ranks for r in runs[(s, m)])
    full_rank = _pool(runs, "rank2", shifts, ["full"])
    measured = {"max_rank_lora_r1": max(_pool(runs, "rank2", shifts, [1])),
                "max_rank_lora_r4": max(_pool(runs, "rank2", shifts, [4])),
                "rank_full": summarize(full_rank),
                "rotation_deg_lora_r1_far": summarize(_pool(runs, "angle2", [far], [1])),
                "rotation_deg_full_far": summarize(_pool(runs, "angle2", [far], ["full"]))}
    ok = rank_ok and min(full_rank) > 4
    return measured, "reproduced" if ok else "not reproduced"


def claim_lora_no_new_partitions(runs: dict[tuple[str, Any], list[dict[str, float]]], shifts: dict[str, float],
                                 far: str) -> tuple[dict[str, Any], str]:
    """Rule: "reproduced" if LoRA (all ranks) puts < 5% of the new-task points into new codes at every shift;
    "partly reproduced" if, at every shift, it puts on average fewer than half as many there as full
    fine-tuning; otherwise "not reproduced".

    Args:
        runs: ``{(shift, method): per-seed adaptation_metrics}``.
        shifts: ``{shift name: angle in degrees}``.
        far: the far shift's name.

    Returns:
        ``(measured, verdict)``.
    """
    from mlpgeo.report import summarize

    ranks = sorted({m for _, m in runs if m != "full"})
    new_lora = {s: _pool(runs, "new_code_points", [s], ranks) for s in shifts}
    new_full = {s: _pool(runs, "new_code_points", [s], ["full"]) for s in shifts}
    tiny = all(max(v) < 0.05 for v in new_lora.values())
    half = all(np.mean(new_lora[s]) < 0.5 * np.mean(new_full[s]) for s in shifts)
    change = [r["regions_after"] - r["regions_before"] for m in ranks for r in runs[(far, m)]]
    measured = {**{f"new_code_points_lora_{shifts[s]}deg": summarize(new_lora[s]) for s in shifts},
                **{f"new_code_points_full_{shifts[s]}deg": summarize(new_full[s]) for s in shifts},
                "region_change_lora_far": summarize(change)}
    return measured, "reproduced" if tiny else ("partly reproduced" if half else "not reproduced")


def claim_lora_forgetting(runs: dict[tuple[str, Any], list[dict[str, float]]], far: str) -> tuple[dict[str, Any], str]:
    """Rule: "reproduced" if LoRA loses > 5 points of old-task accuracy on the far task on average, and at least
    half as much as full fine-tuning; "partly reproduced" if it loses > 5 points but less than that.

    Args:
        runs: ``{(shift, method): per-seed adaptation_metrics}``.
        far: the far shift's name.

    Returns:
        ``(measured, verdict)``.
    """
    from mlpgeo.report import summarize

    ranks = sorted({m for _, m in runs if m != "full"})
    drop_lora = [r["acc_old_before"] - r["acc_old"] for m in ranks for r in runs[(far, m)]]
    drop_full = [r["acc_old_before"] - r["acc_old"] for r in runs[(far, "full")]]
    forgets = np.mean(drop_lora) > 0.05
    measured = {"old_acc_drop_lora_far": summarize(drop_lora), "old_acc_drop_full_far": summarize(drop_full),
                "new_acc_lora_far": summarize(_pool(runs, "acc_new", [far], ranks))}
    ok = forgets and np.mean(drop_lora) >= 0.5 * np.mean(drop_full)
    return measured, "reproduced" if ok else ("partly reproduced" if forgets else "not reproduced")


def claim_lora_close_tasks(runs: dict[tuple[str, Any], list[dict[str, float]]], close: str, far: str) -> tuple[dict[str, Any], str]:
    """Rule: "reproduced" if rank-1 LoRA's mean new-task accuracy is within 0.02 of full fine-tuning's on the
    close task and falls further behind on the far task; "partly reproduced" if only the first holds.

    Args:
        runs: ``{(shift, method): per-seed adaptation_metrics}``.
        close: the close shift's name.
        far: the far shift's name.

    Returns:
        ``(measured, verdict)``.
    """
    from mlpgeo.report import summarize

    def acc(shift: str, method: Any) -> list[float]:
        return [r["acc_new"] for r in runs[(shift, method)]]

    def gap(shift: str) -> float:
        return float(np.mean(acc(shift, "full")) - np.mean(acc(shift, 1)))

    gap_close, gap_far = gap(close), gap(far)
    measured = {"new_acc_gap_full_minus_r1_close": gap_close, "new_acc_gap_full_minus_r1_far": gap_far,
                **{f"new_acc_{name}_{tag}": summarize(acc(shift, method))
                   for tag, shift in (("close", close), ("far", far)) for name, method in (("full", "full"), ("r1", 1))}}
    ok = gap_close <= 0.02
    return measured, "reproduced" if ok and gap_far > gap_close else ("partly reproduced" if ok else "not reproduced")


def plot_lora_bars(runs: dict[tuple[str, Any], list[dict[str, float]]], shifts: list[str], methods: list[Any],
                   axes: Any = None) -> Any:
    """Three grouped bar charts (mean and std over seeds) per method and shift: rotation of hidden layer 2's
    normals, share of new-task points in new codes, and old-task accuracy after fine-tuning.

    Args:
        runs: ``{(shift, method): per-seed adaptation_metrics}``.
        shifts: the shift names (one bar colour each).
        methods: ``"full"`` and LoRA ranks.
        axes: three matplotlib Axes (default: a new 1 x 3 figure).

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt

    from mlpgeo import plotting

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    labels = [str(m) if m == "full" else f"LoRA r={m}" for m in methods]
    width = 0.38
    panels = [("angle2", "Mean rotation of layer-2 normals (deg)", "degrees"),
              ("new_code_points", "Share of new-task points in new codes", "share of points"),
              ("acc_old", "Old-task accuracy after fine-tuning", "accuracy")]
    for k, shift in enumerate(shifts):
        pos = np.arange(len(methods)) + (k - 0.5) * width
        for ax, (key, title, ylabel) in zip(axes, panels):
            vals = [[r[key] for r in runs[(shift, m)]] for m in methods]
            ax.bar(pos, [np.mean(v) for v in vals], width, yerr=[np.std(v) for v in vals], capsize=2,
                   color=plotting.color(k), label=shift)
            ax.set_xticks(np.arange(len(methods)), labels)
            ax.set(title=title, ylabel=ylabel)
    axes[2].legend(fontsize=8)
    return axes


def lora_study(
    seeds: list[int], methods: list[Any], shifts: dict[str, float], bounds: tuple[float, float, float, float],
    pre_epochs: int,
) -> dict[tuple[str, Any], list[dict[str, float]]]:
    """:func:`lora_experiment` for every seed, collected per ``(shift, method)``.

    Args:
        seeds: the seeds.
        methods: ``"full"`` or LoRA ranks.
        shifts: ``{name: rotation angle in degrees}``.
        bounds: box for the exact region counts.
        pre_epochs: pre-training epochs.

    Returns:
        ``{(shift name, method): per-seed adaptation_metrics}``.
    """
    runs: dict[tuple[str, Any], list[dict[str, float]]] = {(s, m): [] for s in shifts for m in methods}
    for seed in seeds:
        for key, metrics in lora_experiment(seed, methods, shifts, bounds, pre_epochs).items():
            runs[key].append(metrics)
    return runs
