"""MLP builder, model validation and a seeded, deterministic training loop.

An MLP here is a plain ``nn.Sequential``: ``Linear, act, Linear, act, ..., Linear`` (no activation after
the last Linear). Each ``Linear`` followed by an activation is a *hidden layer*; its output before the
activation is the layer's *pre-activation*, whose sign pattern is the input's hash code.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm import tqdm

from mlpgeo.config import device as resolve_device
from mlpgeo.validate import (
    check_choice,
    check_generator,
    check_int,
    check_model,
    check_number,
    check_tensor,
    check_x,
    model_device,
)

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
}
LOSSES = ("mse", "cross_entropy", "bce", "softmax_mse")
OPTIMIZERS = ("adam", "sgd")


def mlp(
    widths: Sequence[int],
    activation: str = "relu",
    bias: bool = True,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
) -> nn.Sequential:
    """Build ``Linear(w0, w1), act, Linear(w1, w2), act, ..., Linear(w_{L-1}, w_L)``.

    Weights and biases are drawn from PyTorch's default distribution, U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    layer by layer (weight, then bias) from ``generator``: the global RNG is neither read nor changed.

    Args:
        widths: layer sizes ``[d_in, h_1, ..., h_{L-1}, d_out]``, at least two entries, all >= 1.
        activation: one of ``"relu"``, ``"leaky_relu"``, ``"gelu"``, ``"tanh"``.
        bias: whether every Linear has a bias (``False`` puts every hyperplane through the origin).
        generator: the initialisation's random source (``None``: a fresh generator with torch's default
            seed, so the result is still reproducible). Seed one with ``torch.Generator().manual_seed(s)``.
        dtype: ``torch.float32`` or ``torch.float64``.

    Returns:
        The ``nn.Sequential`` model (on the CPU).

    Raises:
        TypeError: widths that are not integers, an unsupported dtype, a generator of another type.
        ValueError: fewer than two widths, a width < 1, an unknown activation.
    """
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        raise TypeError(f"widths must be a list of layer sizes such as [2, 16, 1], got {type(widths).__name__}.")
    widths = [check_int(w, f"widths[{i}]", low=1) for i, w in enumerate(widths)]
    if len(widths) < 2:
        raise ValueError(f"widths must hold at least [d_in, d_out], got {widths}.")
    check_choice(activation, "activation", sorted(ACTIVATIONS))
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(f"dtype must be torch.float32 or torch.float64, got {dtype}.")
    generator = check_generator(generator) or torch.Generator()
    layers: list[nn.Module] = []
    for i, (d_in, d_out) in enumerate(zip(widths[:-1], widths[1:])):
        linear = nn.utils.skip_init(nn.Linear, d_in, d_out, bias=bias)  # no global-RNG draw
        bound = 1.0 / math.sqrt(d_in)
        with torch.no_grad():
            linear.weight.uniform_(-bound, bound, generator=generator)
            if bias:
                linear.bias.uniform_(-bound, bound, generator=generator)
        layers.append(linear.to(dtype))
        if i < len(widths) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def seeded(seed: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``seed``: how an experiment turns its seed into the
    ``generator`` argument of lens functions."""
    return torch.Generator().manual_seed(check_int(seed, "seed"))


def hidden_layers(model: nn.Sequential) -> list[tuple[nn.Linear, nn.Module]]:
    """The ``(linear, activation)`` pairs of an MLP's hidden layers, in order (hidden layer ``l`` is entry
    ``l - 1``).

    Raises:
        TypeError / ValueError: not an MLP (see :func:`mlpgeo.validate.check_model`).
    """
    return check_model(model)


def weights(model: nn.Sequential) -> list[tuple[Tensor, Tensor]]:
    """The effective ``(W, b)`` of every Linear layer, hidden layers first, output layer last.

    ``W: (d_out, d_in)``, ``b: (d_out,)`` (zeros for a layer without bias), detached, in the model's dtype
    and on its device. A layer with a ``merged_weight()`` method (a LoRA adapter) contributes its merged
    weight ``W + (alpha / r) B A``.
    """
    check_model(model)
    out = []
    for module in model:
        if isinstance(module, nn.Linear):
            W = module.merged_weight() if hasattr(module, "merged_weight") else module.weight
            b = module.bias if module.bias is not None else torch.zeros(module.out_features, dtype=W.dtype, device=W.device)
            out.append((W.detach(), b.detach()))
    return out


@torch.no_grad()
def predict(model: nn.Module, x: Tensor) -> Tensor:
    """The model's outputs ``(n, d_out)`` for a batch ``x: (n, d_in)``, without gradients, computed in the
    model's dtype on its device (``x`` is converted)."""
    return model(check_x(model, x))


def accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    """Classification accuracy in [0, 1].

    With one output unit the prediction is ``output > 0`` (binary logits); otherwise ``argmax``.
    """
    out = predict(model, x)
    y = check_tensor(y, "y", dims=1, kind="int")
    if len(y) != len(out):
        raise ValueError(f"y has {len(y)} labels but x has {len(out)} rows; they must match.")
    y = y.to(out.device)
    guess = (out[:, 0] > 0).long() if out.shape[1] == 1 else out.argmax(dim=1)
    return float((guess == y.long()).float().mean())


def loss_value(name: str | Callable[[Tensor, Tensor], Tensor], out: Tensor, y: Tensor) -> Tensor:
    """Scalar loss between outputs ``out: (n, d_out)`` and targets ``y``.

    Args:
        name: ``"mse"``; ``"cross_entropy"`` (``y`` int labels ``(n,)`` or probabilities ``(n, d_out)``);
            ``"bce"`` (binary cross-entropy on logits, ``y`` in {0, 1}); ``"softmax_mse"``
            (mean squared error between ``softmax(out)`` and a target distribution); or a callable.
    """
    if callable(name):
        return name(out, y)
    if y.is_floating_point() and y.dtype != out.dtype:
        y = y.to(out.dtype)
    if name == "mse":
        return F.mse_loss(out, y.reshape(out.shape).to(out.dtype))
    if name == "cross_entropy":
        return F.cross_entropy(out, y if y.dtype == torch.long else y.to(out.dtype))
    if name == "bce":
        return F.binary_cross_entropy_with_logits(out, y.reshape(out.shape).to(out.dtype))
    if name == "softmax_mse":
        return F.mse_loss(out.softmax(dim=1), y.to(out.dtype))
    raise ValueError(f"unknown loss {name!r}; use one of {LOSSES} or pass a callable(out, y).")


def make_optimizer(
    name: str, params: list[nn.Parameter], lr: float, momentum: float, weight_decay: float
) -> torch.optim.Optimizer:
    """Adam or SGD (with optional momentum) over ``params``."""
    lr = check_number(lr, "lr", low=0, low_open=True)
    momentum = check_number(momentum, "momentum", low=0, high=1, high_open=True)
    weight_decay = check_number(weight_decay, "weight_decay", low=0)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; use one of {OPTIMIZERS}.")


@dataclass
class History:
    """What :func:`train` records.

    Attributes:
        epoch_loss: mean training loss of each epoch, ``(epochs,)``.
        step_loss: loss of every optimisation step.
        snapshots: ``(epoch, state_dict)`` pairs, CPU copies, if ``snapshot_every`` was set
            (epoch 0 is the model before training).
    """

    epoch_loss: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    snapshots: list[tuple[int, dict[str, Tensor]]] = field(default_factory=list)


def snapshot(model: nn.Module) -> dict[str, Tensor]:
    """A detached CPU copy of the model's state dict (what :class:`History` keeps)."""
    return {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}


def from_snapshot(model: nn.Module, state: dict[str, Tensor]) -> nn.Module:
    """A copy of ``model`` (same architecture) holding the weights of ``state`` (a :func:`snapshot`),
    on ``model``'s device."""
    out = copy.deepcopy(model)
    out.load_state_dict({key: value.to(model_device(model)) for key, value in state.items()})
    return out


def progress_enabled(progress: bool | None) -> bool:
    """``progress`` if given, else ``MLPGEO_PROGRESS`` (default on; ``0`` turns bars off)."""
    if progress is not None:
        return progress
    return os.environ.get("MLPGEO_PROGRESS", "1").strip() not in ("0", "false", "no", "off")


def train(
    model: nn.Sequential,
    x: Tensor,
    y: Tensor,
    *,
    loss: str | Callable[[Tensor, Tensor], Tensor] = "cross_entropy",
    optimizer: str = "adam",
    lr: float = 1e-3,
    epochs: int = 10,
    batch_size: int | None = None,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    generator: torch.Generator | None = None,
    transform: Callable[[Tensor, torch.Generator], Tensor] | None = None,
    snapshot_every: int | None = None,
    params: Iterable[nn.Parameter] | None = None,
    progress: bool | None = None,
    device: torch.device | str | None = None,
) -> History:
    """Train ``model`` in place; deterministic for a given ``generator`` state on the CPU.

    Each epoch visits the ``n`` examples once, in an order drawn from ``generator`` (full batch when
    ``batch_size`` is ``None``); the same generator drives ``transform``. Training runs in the model's dtype.

    Args:
        model: an MLP (see :func:`hidden_layers`).
        x: inputs ``(n, d_in)``.
        y: targets: int labels ``(n,)``, or float ``(n,)`` / ``(n, d_out)`` (see :func:`loss_value`).
        loss: loss name or callable ``(out, y) -> scalar``.
        optimizer: ``"adam"`` or ``"sgd"``.
        lr: learning rate.
        momentum: SGD momentum (ignored by Adam).
        weight_decay: L2 penalty coefficient of the optimiser.
        epochs: passes over the data (0 trains nothing).
        batch_size: mini-batch size, or ``None`` for full batch.
        generator: the shuffling / augmentation random source (``None``: a fresh generator with torch's
            default seed). ``mlpgeo.models.seeded(s)`` makes a seeded one.
        transform: ``transform(x_batch, generator) -> x_batch``, e.g. data augmentation.
        snapshot_every: keep a copy of the weights every this many epochs (and at epoch 0).
        params: the parameters to optimise (default: every parameter with ``requires_grad``).
        progress: show a tqdm bar (``None``: the ``MLPGEO_PROGRESS`` setting, default on).
        device: where to train (default: :func:`mlpgeo.config.device`).

    Returns:
        The :class:`History`.

    Raises:
        ValueError: mismatched ``x``/``y`` lengths, non-finite data, bad settings, or a loss that
            became non-finite (with the epoch at which it happened).
    """
    check_model(model)
    epochs = check_int(epochs, "epochs", low=0)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", low=1)
    if snapshot_every is not None:
        snapshot_every = check_int(snapshot_every, "snapshot_every", low=1)
    if not callable(loss):
        check_choice(loss, "loss", LOSSES)
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    generator = check_generator(generator) or torch.Generator()
    target_device = resolve_device(device) if not isinstance(device, torch.device) else device
    model.to(target_device)
    x = check_x(model, x)
    y = check_tensor(y, "y", dims=(1, 2), kind="any")
    if len(y) != len(x):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)}; they must match.")
    if loss == "cross_entropy" and not y.is_floating_point():
        d_out = [m for m in model if isinstance(m, nn.Linear)][-1].out_features
        if y.dim() != 1 or int(y.min()) < 0 or int(y.max()) >= d_out:
            raise ValueError(f"y must hold class labels in [0, {d_out}) for the model's {d_out} outputs, "
                             f"got values in [{int(y.min())}, {int(y.max())}].")
    y = y.to(target_device)
    chosen = list(params) if params is not None else [p for p in model.parameters() if p.requires_grad]
    if not chosen:
        raise ValueError("there are no parameters to train (all have requires_grad=False).")
    opt = make_optimizer(optimizer, chosen, lr, momentum, weight_decay)
    n = len(x)
    size = n if batch_size is None else min(batch_size, n)
    history = History()
    if snapshot_every:
        history.snapshots.append((0, snapshot(model)))
    model.train()
    bar = tqdm(range(1, epochs + 1), desc="train", disable=not progress_enabled(progress), leave=False)
    for epoch in bar:
        order = torch.randperm(n, generator=generator) if size < n else torch.arange(n)
        total = 0.0
        for start in range(0, n, size):
            index = order[start : start + size].to(target_device)
            xb = x[index]
            if transform is not None:
                xb = transform(xb, generator)
            value = loss_value(loss, model(xb), y[index])
            if not torch.isfinite(value.detach()):
                raise ValueError(
                    f"the loss became {float(value.detach())} at epoch {epoch}; lower the learning rate ({lr})."
                )
            opt.zero_grad(set_to_none=True)
            value.backward()
            opt.step()
            history.step_loss.append(float(value.detach()))
            total += float(value.detach()) * len(index)
        history.epoch_loss.append(total / n)
        bar.set_postfix(loss=f"{history.epoch_loss[-1]:.4g}")
        if snapshot_every and epoch % snapshot_every == 0:
            history.snapshots.append((epoch, snapshot(model)))
    model.eval()
    return history


def clone(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` (same weights, independent parameters)."""
    return copy.deepcopy(model)
