"""Many same-shape one-hidden-layer ReLU networks ``d -> m -> c`` trained together.

The parameters of ``B`` networks are stacked (``W_in: (B, m, d)``, ``b_in: (B, m)``, ``W_out: (B, c, m)``,
``b_out: (B, c)``) and every step runs one batched matrix product for all of them, which is several times faster
than ``B`` separate trainings for tiny networks. Each network has its own initialisation (built by
:func:`mlpgeo.models.mlp` from its seed, so it equals the one-by-one network), its own training sample, its own
batch order (drawn like :func:`mlpgeo.models.train` from its seed), optimiser (Adam or SGD with momentum), learning
rate, learning-rate schedule (constant or cosine decay to 0) and initial scale of ``W_in``. The loss of the stack is
the sum of the networks' mean losses, so each network's gradient is its own: with a constant schedule a stacked
network equals the same network trained alone by :func:`mlpgeo.models.train` (checked in ``tests/test_batched.py``).

A network whose loss becomes non-finite is marked ``diverged`` and frozen; the others go on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mlpgeo.models import mlp, seeded
from mlpgeo.validate import check_choice, check_int

OPTIMIZERS = ("adam", "sgd")
"""Optimisers of :func:`train_stacked`."""
SCHEDULES = ("constant", "cosine")
"""Learning-rate schedules: constant, or ``lr * (1 + cos(pi t / T)) / 2`` over the ``T`` steps of training."""
LOSSES = ("cross_entropy", "softmax_mse")
"""Losses of :func:`train_stacked` (as in :func:`mlpgeo.models.loss_value`)."""


@dataclass
class NetworkSetting:
    """How one network of the stack is trained.

    Attributes:
        seed: seeds the initialisation (:func:`mlpgeo.models.mlp`) and the batch order.
        sample: index of the network's training sample in the ``x`` / ``y`` stacks.
        optimizer: ``"adam"`` or ``"sgd"`` (SGD with ``momentum``).
        lr: the peak learning rate.
        schedule: ``"constant"`` or ``"cosine"``.
        init_scale: the initial ``W_in`` is multiplied by this (1: PyTorch's default initialisation).
        momentum: SGD momentum (ignored by Adam).
    """

    seed: int
    sample: int = 0
    optimizer: str = "adam"
    lr: float = 1e-2
    schedule: str = "constant"
    init_scale: float = 1.0
    momentum: float = 0.9


@dataclass
class StackedResult:
    """The trained stack (:func:`train_stacked`).

    Attributes:
        w_in, b_in, w_out, b_out: the stacked parameters (``b_*`` are ``None`` without biases).
        epoch_loss: ``(epochs, B)`` mean training loss of each network in each epoch (NaN once diverged).
        diverged: ``(B,)`` bool, the networks whose loss became non-finite.
    """

    w_in: Tensor
    b_in: Tensor | None
    w_out: Tensor
    b_out: Tensor | None
    epoch_loss: Tensor
    diverged: Tensor

    def model(self, i: int) -> nn.Sequential:
        """Network ``i`` as an ``nn.Sequential`` (``Linear, ReLU, Linear``) on the CPU."""
        m, d = self.w_in.shape[1:]
        c = self.w_out.shape[1]
        bias = self.b_in is not None
        model = nn.Sequential(nn.Linear(d, m, bias=bias), nn.ReLU(), nn.Linear(m, c, bias=bias))
        with torch.no_grad():
            model[0].weight.copy_(self.w_in[i])
            model[2].weight.copy_(self.w_out[i])
            if bias:
                model[0].bias.copy_(self.b_in[i])
                model[2].bias.copy_(self.b_out[i])
        return model.eval()


def _loss(name: str, logits: Tensor, y: Tensor) -> Tensor:
    """Per-network mean loss ``(B,)`` of logits ``(B, n, c)`` against probability targets ``(B, n, c)``."""
    if name == "cross_entropy":
        return -(y * F.log_softmax(logits, -1)).sum(-1).mean(-1)
    return ((torch.softmax(logits, -1) - y) ** 2).mean((-2, -1))


ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8
"""PyTorch's Adam defaults, used by :func:`train_stacked`."""


def _direction(g: Tensor, m1: Tensor, m2: Tensor, is_adam: Tensor, momentum: Tensor, step: int, any_adam: bool,
               all_adam: bool) -> Tensor:
    """One step's update direction of stacked parameters (before the learning rate), updating the moments in place.

    Adam, as PyTorch's (``m1 = b1 m1 + (1 - b1) g``, ``m2 = b2 m2 + (1 - b2) g^2``, direction
    ``(m1 / c1) / (sqrt(m2) / sqrt(c2) + eps)`` with ``c_i = 1 - b_i^step``), for the networks where ``is_adam``;
    SGD with momentum (``m1 = momentum m1 + g``, ``m1 = g`` at step 1, direction ``m1``) for the others. A stack
    of one optimiser computes only its branch (the same numbers: the other branch is selected away).

    Args:
        g, m1, m2: ``(B, ...)`` gradients and first / second moments.
        is_adam, momentum: ``(B, 1, ...)`` per network.
        step: 1-based step count.
        any_adam, all_adam: whether some / every network uses Adam.
    """
    beta1, beta2 = ADAM_BETAS
    sgd_m1 = None if all_adam else ((momentum * m1 + g) if step > 1 else g)
    if not any_adam:
        m1.copy_(sgd_m1)
        return m1
    adam_m1 = beta1 * m1 + (1 - beta1) * g
    m1.copy_(adam_m1 if all_adam else torch.where(is_adam, adam_m1, sgd_m1))
    m2.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    c1, c2 = 1 - beta1**step, 1 - beta2**step
    adam_step = (m1 / c1) / (m2.sqrt() / math.sqrt(c2) + ADAM_EPS)
    return adam_step if all_adam else torch.where(is_adam, adam_step, m1)


def train_stacked(x: Tensor, y: Tensor, widths: Sequence[int], settings: Sequence[NetworkSetting], *, epochs: int,
                  batch_size: int, loss: str = "cross_entropy", bias: bool = True) -> StackedResult:
    """Train one ``d -> m -> c`` ReLU network per setting, all in one stack.

    Args:
        x: ``(S, n, d)`` training inputs, one sample per ``NetworkSetting.sample`` index.
        y: ``(S, n, c)`` probability targets.
        widths: ``[d, m, c]``.
        settings: one :class:`NetworkSetting` per network.
        epochs: passes over the sample; each draws a batch order per seed, as :func:`mlpgeo.models.train`.
        batch_size: mini-batch size (the last batch of an epoch may be smaller).
        loss: ``"cross_entropy"`` or ``"softmax_mse"``.
        bias: whether both layers have biases.

    Raises:
        ValueError: shapes that do not match, unknown optimiser / schedule / loss, a sample index out of range.
    """
    check_choice(loss, "loss", LOSSES)
    epochs = check_int(epochs, "epochs", low=0)
    batch_size = check_int(batch_size, "batch_size", low=1)
    if len(widths) != 3:
        raise ValueError(f"widths must be [d, m, c] (one hidden layer), got {list(widths)}.")
    if x.dim() != 3 or y.dim() != 3 or x.shape[:2] != y.shape[:2] or x.shape[2] != widths[0] or y.shape[2] != widths[2]:
        raise ValueError(f"x must be (S, n, {widths[0]}) and y (S, n, {widths[2]}), got {tuple(x.shape)} and {tuple(y.shape)}.")
    if not settings:
        raise ValueError("settings is empty; give one NetworkSetting per network.")
    for s in settings:
        check_choice(s.optimizer, "optimizer", OPTIMIZERS)
        check_choice(s.schedule, "schedule", SCHEDULES)
        if not 0 <= s.sample < len(x):
            raise ValueError(f"sample index {s.sample} out of range for {len(x)} samples.")
        if not (math.isfinite(s.lr) and s.lr > 0):
            raise ValueError(f"lr must be positive and finite, got {s.lr}.")
    nets = [mlp(list(widths), bias=bias, generator=seeded(s.seed)) for s in settings]
    w_in = torch.stack([n[0].weight.detach() * s.init_scale for n, s in zip(nets, settings)]).requires_grad_()
    w_out = torch.stack([n[2].weight.detach() for n in nets]).requires_grad_()
    params = [w_in, w_out]
    b_in = b_out = None
    if bias:
        b_in = torch.stack([n[0].bias.detach() for n in nets]).requires_grad_()
        b_out = torch.stack([n[2].bias.detach() for n in nets]).requires_grad_()
        params += [b_in, b_out]
    count = len(settings)
    lr = torch.tensor([s.lr for s in settings])
    cosine = torch.tensor([s.schedule == "cosine" for s in settings])
    adam = torch.tensor([s.optimizer == "adam" for s in settings])
    momentum = torch.tensor([s.momentum for s in settings])
    samples = torch.tensor([s.sample for s in settings])
    seeds = sorted({s.seed for s in settings})
    generators = {seed: seeded(seed) for seed in seeds}
    seed_row = torch.tensor([seeds.index(s.seed) for s in settings])
    first = [torch.zeros_like(p) for p in params]
    second = [torch.zeros_like(p) for p in params]
    n = x.shape[1]
    size = min(batch_size, n)
    total_steps = epochs * math.ceil(n / size)
    diverged = torch.zeros(count, dtype=torch.bool)
    epoch_loss = torch.full((epochs, count), math.nan)
    step = 0
    any_adam, all_adam = bool(adam.any()), bool(adam.all())
    for epoch in range(epochs):
        orders = torch.stack([torch.randperm(n, generator=generators[seed]) if size < n else torch.arange(n)
                              for seed in seeds])[seed_row]  # (B, n)
        total = torch.zeros(count)
        for start in range(0, n, size):
            index = orders[:, start:start + size]
            xb = x[samples[:, None], index]
            yb = y[samples[:, None], index]
            hidden = torch.relu(torch.baddbmm(b_in[:, None, :], xb, w_in.transpose(1, 2)) if bias
                                else torch.bmm(xb, w_in.transpose(1, 2)))
            logits = (torch.baddbmm(b_out[:, None, :], hidden, w_out.transpose(1, 2)) if bias
                      else torch.bmm(hidden, w_out.transpose(1, 2)))
            values = _loss(loss, logits, yb)
            bad = ~torch.isfinite(values.detach())
            diverged |= bad
            values = torch.where(diverged, torch.zeros_like(values), values)
            grads = torch.autograd.grad(values.sum(), params)
            step += 1
            factor = torch.where(cosine, 0.5 * (1 + math.cos(math.pi * (step - 1) / max(total_steps, 1))), 1.0)
            rate = lr * factor
            with torch.no_grad():
                for p, g, m1, m2 in zip(params, grads, first, second):
                    shape = (count,) + (1,) * (p.dim() - 1)
                    direction = _direction(g, m1, m2, adam.view(shape), momentum.view(shape), step, any_adam, all_adam)
                    update = direction * rate.view(shape)
                    p.sub_(torch.where(diverged.view(shape) | ~torch.isfinite(update), 0.0, update))
            total += values.detach() * index.shape[1]
        epoch_loss[epoch] = torch.where(diverged, torch.full_like(total, math.nan), total / n)
    return StackedResult(w_in=w_in.detach(), b_in=None if b_in is None else b_in.detach(), w_out=w_out.detach(),
                         b_out=None if b_out is None else b_out.detach(), epoch_loss=epoch_loss, diverged=diverged)
