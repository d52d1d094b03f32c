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

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
}
SUPPORTED_ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.Tanh)
PIECEWISE_LINEAR = (nn.ReLU, nn.LeakyReLU)
LOSSES = ("mse", "cross_entropy", "bce", "softmax_mse")
OPTIMIZERS = ("adam", "sgd")


def mlp(widths: Sequence[int], activation: str = "relu", bias: bool = True, seed: int = 0) -> nn.Sequential:
    """Build ``Linear(w0, w1), act, Linear(w1, w2), act, ..., Linear(w_{L-1}, w_L)``.

    Weights and biases are drawn from PyTorch's default distribution, U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    with a local generator seeded by ``seed``: the global RNG is neither read nor changed.

    Args:
        widths: layer sizes ``[d_in, h_1, ..., h_{L-1}, d_out]``, at least two entries, all >= 1.
        activation: one of ``"relu"``, ``"leaky_relu"``, ``"gelu"``, ``"tanh"``.
        bias: whether every Linear has a bias (``False`` puts every hyperplane through the origin).
        seed: initialisation seed.

    Returns:
        The ``nn.Sequential`` model (float32, on the CPU).

    Raises:
        ValueError: for fewer than two widths, a width < 1 or an unknown activation.
    """
    widths = [int(w) for w in widths]
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"widths must hold at least [d_in, d_out], all >= 1; got {widths}.")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; use one of {sorted(ACTIVATIONS)}.")
    generator = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    for i, (d_in, d_out) in enumerate(zip(widths[:-1], widths[1:])):
        linear = nn.utils.skip_init(nn.Linear, d_in, d_out, bias=bias)  # no global-RNG draw
        bound = 1.0 / math.sqrt(d_in)
        with torch.no_grad():
            linear.weight.uniform_(-bound, bound, generator=generator)
            if bias:
                linear.bias.uniform_(-bound, bound, generator=generator)
        layers.append(linear)
        if i < len(widths) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def hidden_layers(model: nn.Module) -> list[tuple[nn.Linear, nn.Module]]:
    """The ``(linear, activation)`` pairs of an MLP's hidden layers, in order.

    Raises:
        TypeError: if ``model`` is not an ``nn.Sequential`` alternating ``nn.Linear`` and a supported
            activation and ending with an ``nn.Linear``.
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(
            f"expected an nn.Sequential MLP, got {type(model).__name__}; build one with mlpgeo.models.mlp "
            "or wrap your layers in nn.Sequential(Linear, act, ..., Linear)."
        )
    modules = list(model)
    for i, module in enumerate(modules):
        expected_linear = i % 2 == 0
        if expected_linear and not isinstance(module, nn.Linear):
            raise TypeError(
                f"layer {i} of the model is {type(module).__name__}; mlpgeo expects Linear layers at even "
                "positions of an nn.Sequential(Linear, act, ..., Linear)."
            )
        if not expected_linear and not isinstance(module, SUPPORTED_ACTIVATIONS):
            names = ", ".join(t.__name__ for t in SUPPORTED_ACTIVATIONS)
            raise TypeError(
                f"layer {i} of the model is {type(module).__name__}; supported activations are {names}."
            )
    if len(modules) % 2 == 0:
        raise TypeError("the model must end with an nn.Linear output layer (no activation after it).")
    return [(modules[i], modules[i + 1]) for i in range(0, len(modules) - 1, 2)]


def require_piecewise_linear(model: nn.Module) -> None:
    """Raise ``TypeError`` unless every hidden activation of ``model`` is ReLU or LeakyReLU."""
    for index, (_, act) in enumerate(hidden_layers(model)):
        if not isinstance(act, PIECEWISE_LINEAR):
            raise TypeError(
                f"hidden layer {index + 1} uses {type(act).__name__}, which is curved: exact linear regions "
                "need ReLU or LeakyReLU activations."
            )


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (CPU for a model without parameters)."""
    for parameter in model.parameters():
        return parameter.device
    return torch.device("cpu")


def check_input(model: nn.Module, x: Tensor) -> Tensor:
    """Validate a batch for ``model`` and move it to the model's device as float32.

    Args:
        x: ``(n, d_in)`` with ``d_in`` the first Linear's ``in_features``.

    Raises:
        TypeError: if ``x`` is not a tensor.
        ValueError: wrong number of dimensions, wrong feature size, or non-finite values.
    """
    layers = hidden_layers(model)
    first = layers[0][0] if layers else model[0]
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor of shape (n, {first.in_features}), got {type(x).__name__}.")
    if x.dim() != 2 or x.shape[1] != first.in_features:
        raise ValueError(
            f"x has shape {tuple(x.shape)}; the model expects (n, {first.in_features}). "
            f"Reshape with x.reshape(-1, {first.in_features})."
        )
    if not torch.isfinite(x).all():
        raise ValueError("x holds NaN or infinite values; clean or drop those rows first.")
    return x.to(device=model_device(model), dtype=torch.float32)


@torch.no_grad()
def predict(model: nn.Module, x: Tensor) -> Tensor:
    """The model's outputs ``(n, d_out)`` for a batch ``x: (n, d_in)``, without gradients."""
    return model(check_input(model, x))


def accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    """Classification accuracy in [0, 1].

    With one output unit the prediction is ``output > 0`` (binary logits); otherwise ``argmax``.
    """
    out = predict(model, x)
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


def state_copy(model: nn.Module) -> dict[str, Tensor]:
    """A detached CPU copy of the model's state dict."""
    return {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}


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
    seed: int = 0,
    transform: Callable[[Tensor, torch.Generator], Tensor] | None = None,
    snapshot_every: int | None = None,
    params: Iterable[nn.Parameter] | None = None,
    progress: bool | None = None,
    device: torch.device | str | None = None,
) -> History:
    """Train ``model`` in place; deterministic for a given ``seed`` on the CPU.

    Each epoch visits the ``n`` examples once, in an order drawn from a generator seeded by ``seed``
    (full batch when ``batch_size`` is ``None``); the same generator drives ``transform``.

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
        seed: seed of the shuffling / augmentation generator.
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
    from tqdm import tqdm

    from mlpgeo.config import device as resolve_device

    hidden_layers(model)
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}.")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be >= 1 or None (full batch), got {batch_size}.")
    target_device = resolve_device(device) if not isinstance(device, torch.device) else device
    model.to(target_device)
    x = check_input(model, x)
    if len(y) != len(x):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)}; they must match.")
    y = y.to(target_device)
    if y.is_floating_point() and not torch.isfinite(y).all():
        raise ValueError("y holds NaN or infinite values; clean or drop those rows first.")
    chosen = list(params) if params is not None else [p for p in model.parameters() if p.requires_grad]
    if not chosen:
        raise ValueError("there are no parameters to train (all have requires_grad=False).")
    opt = make_optimizer(optimizer, chosen, lr, momentum, weight_decay)
    generator = torch.Generator().manual_seed(seed)
    n = len(x)
    size = n if batch_size is None else min(batch_size, n)
    history = History()
    if snapshot_every:
        history.snapshots.append((0, state_copy(model)))
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
            history.snapshots.append((epoch, state_copy(model)))
    model.eval()
    return history


def clone(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` (same weights, independent parameters)."""
    return copy.deepcopy(model)
