"""One validation layer for every public function of mlpgeo.

Every check raises an error in mlpgeo's own words that names the argument and says how to fix it:
``TypeError`` for a value of the wrong kind (a list where a tensor is needed, a complex or integer tensor
where floats are needed, a float where an integer is needed), ``ValueError`` for a value of the right kind
that cannot be used (NaN or infinite, empty, out of range, wrong shape), and :class:`BudgetError` (a
``ValueError``) for work whose estimated memory exceeds the budget.

Memory budget: functions whose memory grows with their input estimate it first and either work in chunks
that fit (:func:`chunk_rows`) or refuse at once (:func:`check_budget`) with the estimated size and the
argument that lowers it. The budget is ``MLPGEO_MEMORY_BUDGET`` (e.g. ``512MiB``, ``4GiB``, or a number of
bytes), default :data:`DEFAULT_BUDGET`.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

FLOAT_DTYPES = (torch.float32, torch.float64)
"""The dtypes a model's parameters and inputs may have (half precision is refused: too coarse for exact
geometry)."""

DEFAULT_BUDGET = 2 * 1024**3
"""Default memory budget in bytes (2 GiB) for one array a function builds."""

ACTIVATION_TYPES = (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.Tanh)
PIECEWISE_LINEAR = (nn.ReLU, nn.LeakyReLU)


class BudgetError(ValueError):
    """Work refused up front because its estimated memory exceeds the budget (see :func:`check_budget`)."""


# ----------------------------------------------------------------------------------------------------------
# Numbers
# ----------------------------------------------------------------------------------------------------------


def _bound_text(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high}")
    return " and ".join(parts)


def check_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number within optional bounds, as a Python ``float``.

    Args:
        value: the argument's value (Python, numpy or 0-d tensor number; ``bool`` is refused).
        name: the argument's name, used in the message.
        low: lower bound (``None``: unbounded below).
        high: upper bound (``None``: unbounded above).
        low_open: exclude ``low`` itself.
        high_open: exclude ``high`` itself.

    Raises:
        TypeError: not a real number (complex, string, bool, a tensor with more than one element).
        ValueError: NaN, infinite, or outside the bounds.
    """
    if isinstance(value, Tensor):
        if value.numel() != 1 or value.is_complex():
            raise TypeError(f"{name} must be a real number, got a tensor of shape {tuple(value.shape)}.")
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} ({value!r}).")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} is {number}; pass a finite number.")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be {_bound_text(low, high, low_open, high_open)}, got {number}.")
    return number


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """An integer within optional closed bounds, as a Python ``int``.

    Integral floats such as ``3.0`` are refused too: an integer argument that arrives as a float is
    usually a mistake upstream (``n / 2`` instead of ``n // 2``).

    Raises:
        TypeError: not an integer (float, bool, string, tensor with more than one element).
        ValueError: outside the bounds.
    """
    if isinstance(value, Tensor):
        if value.numel() != 1 or value.is_floating_point() or value.is_complex() or value.dtype == torch.bool:
            raise TypeError(f"{name} must be an integer, got a {value.dtype} tensor of shape {tuple(value.shape)}.")
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        hint = f" (use int({name}) or {name} // 1 if you meant a whole number)" if isinstance(value, float) else ""
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} ({value!r}){hint}.")
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"{name} must be {_bound_text(low, high, False, False)}, got {number}.")
    return number


def check_choice(value: Any, name: str, choices: Sequence[Any]) -> Any:
    """``value`` if it is one of ``choices``.

    Raises:
        ValueError: any other value (the message lists the choices).
    """
    if not any(value == choice and type(value) is type(choice) for choice in choices):
        raise ValueError(f"{name}={value!r} is not allowed; use one of {list(choices)}.")
    return value


def check_dtype(dtype: Any, name: str = "dtype", allow_none: bool = False) -> torch.dtype | None:
    """``torch.float32`` or ``torch.float64`` (or ``None`` when ``allow_none``: "the model's own").

    Raises:
        TypeError: any other value (half precision included).
    """
    if dtype is None and allow_none:
        return None
    if dtype not in FLOAT_DTYPES:
        also = ", or None (the model's own)" if allow_none else ""
        raise TypeError(f"{name} must be torch.float32 or torch.float64{also}, got {dtype!r}.")
    return dtype


def check_generator(generator: Any, name: str = "generator") -> torch.Generator | None:
    """``None`` or a ``torch.Generator`` (seed one with ``torch.Generator().manual_seed(seed)``).

    Raises:
        TypeError: anything else (an int seed included: lens functions take generators, experiments seeds).
    """
    if generator is None or isinstance(generator, torch.Generator):
        return generator
    raise TypeError(
        f"{name} must be a torch.Generator or None, got {type(generator).__name__}; "
        f"pass torch.Generator().manual_seed({generator!r}) for a seeded draw."
        if isinstance(generator, numbers.Integral)
        else f"{name} must be a torch.Generator or None, got {type(generator).__name__}."
    )


# ----------------------------------------------------------------------------------------------------------
# Tensors
# ----------------------------------------------------------------------------------------------------------


def check_tensor(
    value: Any,
    name: str,
    *,
    dims: int | Sequence[int] | None = None,
    kind: str = "float",
    allow_empty: bool = False,
) -> Tensor:
    """A tensor of the right kind, number of dimensions and finite values.

    Args:
        value: the argument.
        name: its name, used in messages.
        dims: the allowed numbers of dimensions (``None``: any).
        kind: ``"float"`` (float32 or float64), ``"int"`` (any integer dtype), ``"bool"``, ``"binary"``
            (bool or integers in {0, 1}) or ``"any"`` (real: no complex).
        allow_empty: whether a tensor with no elements is acceptable.

    Returns:
        ``value`` unchanged.

    Raises:
        TypeError: not a tensor, or a dtype of another kind (complex, half, integer for float, ...).
        ValueError: wrong number of dimensions, empty, NaN or infinite values.
    """
    if isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a torch.Tensor, got a numpy array; use torch.from_numpy({name}).")
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}; use torch.as_tensor({name}).")
    dtype = value.dtype
    if dtype.is_complex:
        raise TypeError(f"{name} is complex ({dtype}); mlpgeo works on real tensors: pass {name}.real or {name}.abs().")
    if kind == "float" and dtype not in FLOAT_DTYPES:
        fix = f"{name}.double()" if dtype.is_floating_point else f"{name}.float()"
        raise TypeError(f"{name} has dtype {dtype}; use float32 or float64 ({fix}).")
    if kind == "int" and (dtype.is_floating_point or dtype == torch.bool):
        raise TypeError(f"{name} has dtype {dtype}; it must hold integers ({name}.long()).")
    if kind == "bool" and dtype != torch.bool:
        raise TypeError(f"{name} has dtype {dtype}; it must be a bool tensor ({name} > 0 or {name}.bool()).")
    if kind == "binary" and (dtype.is_floating_point):
        raise TypeError(f"{name} has dtype {dtype}; it must be bool or integers in {{0, 1}} ({name}.bool()).")
    if dims is not None:
        allowed = (dims,) if isinstance(dims, int) else tuple(dims)
        if value.dim() not in allowed:
            raise ValueError(f"{name} has shape {tuple(value.shape)} ({value.dim()} dimensions); expected {' or '.join(map(str, allowed))} dimensions.")
    if not allow_empty and value.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(value.shape)}); pass at least one element.")
    if dtype.is_floating_point and value.numel() and not _all_finite(value):
        raise ValueError(f"{name} holds NaN or infinite values; clean or drop those entries first.")
    if kind == "binary" and dtype != torch.bool and value.numel() and not ((value == 0) | (value == 1)).all():
        raise ValueError(f"{name} must hold only 0 and 1.")
    return value


def _all_finite(value: Tensor) -> bool:
    """Whether a float tensor holds no NaN and no infinity.

    Its minimum and maximum are finite exactly when every entry is (both propagate NaN, and an infinity is
    the minimum or the maximum): one reduction, ~25x faster than ``torch.isfinite(value).all()``, which
    writes a boolean copy of the tensor (this check runs on every Jacobian batch a lens is handed).
    """
    low, high = torch.aminmax(value)
    return bool(torch.isfinite(low) & torch.isfinite(high))


def check_model(model: Any, name: str = "model") -> list[tuple[nn.Linear, nn.Module]]:
    """Validate an MLP and return its ``(linear, activation)`` hidden-layer pairs (1-based layer ``l`` is
    entry ``l - 1``).

    An MLP is ``nn.Sequential(Linear, act, Linear, act, ..., Linear)`` with activations ReLU, LeakyReLU,
    GELU or Tanh, parameters all float32 or all float64, all finite, all on one device.

    Raises:
        TypeError: not an ``nn.Sequential``, a layer of another type, mixed or unsupported dtypes.
        ValueError: NaN or infinite parameters, parameters on several devices.
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(
            f"{name} must be an nn.Sequential MLP, got {type(model).__name__}; build one with mlpgeo.models.mlp "
            "or wrap your layers in nn.Sequential(Linear, act, ..., Linear)."
        )
    modules = list(model)
    if not modules:
        raise TypeError(f"{name} is an empty nn.Sequential; an MLP needs at least one nn.Linear.")
    for i, module in enumerate(modules):
        if i % 2 == 0 and not isinstance(module, nn.Linear):
            raise TypeError(
                f"{name}[{i}] is {type(module).__name__}; mlpgeo expects nn.Linear at even positions of "
                "nn.Sequential(Linear, act, ..., Linear) (remove Dropout/BatchNorm, or fold them into the weights)."
            )
        if i % 2 == 1 and not isinstance(module, ACTIVATION_TYPES):
            names = ", ".join(t.__name__ for t in ACTIVATION_TYPES)
            raise TypeError(f"{name}[{i}] is {type(module).__name__}; supported activations are {names}.")
    if len(modules) % 2 == 0:
        raise TypeError(f"{name} must end with an nn.Linear output layer (no activation after it).")
    parameters = list(model.parameters())
    dtypes = {p.dtype for p in parameters}
    if dtypes - set(FLOAT_DTYPES):
        raise TypeError(f"{name} has parameters of dtype {sorted(map(str, dtypes))}; use {name}.float() or {name}.double().")
    if len(dtypes) > 1:
        raise TypeError(f"{name} mixes float32 and float64 parameters; convert it with {name}.float() or {name}.double().")
    if len({p.device for p in parameters}) > 1:
        raise ValueError(f"{name}'s parameters sit on several devices; move it with {name}.to(device).")
    for param_name, parameter in model.named_parameters():
        if not torch.isfinite(parameter.detach()).all():
            raise ValueError(f"{name}'s parameter {param_name!r} holds NaN or infinite values; retrain or reinitialise it.")
    return [(modules[i], modules[i + 1]) for i in range(0, len(modules) - 1, 2)]


def model_dtype(model: nn.Module) -> torch.dtype:
    """The dtype of the model's parameters (float32 for a model without parameters)."""
    for parameter in model.parameters():
        return parameter.dtype
    return torch.float32


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's parameters (CPU for a model without parameters)."""
    for parameter in model.parameters():
        return parameter.device
    return torch.device("cpu")


def check_x(model: nn.Sequential, x: Any, name: str = "x") -> Tensor:
    """Validate inputs ``x: (n, d_in)`` for ``model`` and return them on the model's device and dtype.

    Raises:
        TypeError: not a float tensor (integer, complex, half), or an invalid model.
        ValueError: wrong shape, empty batch, NaN or infinite values.
    """
    layers = check_model(model)
    first = layers[0][0] if layers else model[0]
    x = check_tensor(x, name, kind="float", allow_empty=True)
    if x.dim() != 2 or x.shape[1] != first.in_features:
        raise ValueError(
            f"{name} has shape {tuple(x.shape)}; the model expects (n, {first.in_features}). "
            f"Reshape with {name}.reshape(-1, {first.in_features})."
        )
    if x.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (0 rows); pass at least one input.")
    return x.to(device=model_device(model), dtype=model_dtype(model))


def check_layer(model: nn.Sequential, layer: Any, name: str = "layer") -> int:
    """A 1-based hidden-layer index of ``model`` (``1 <= layer <= number of hidden layers``).

    Raises:
        TypeError: not an integer.
        ValueError: out of range, or a model without hidden layers.
    """
    depth = len(check_model(model))
    if depth == 0:
        raise ValueError("the model has no hidden layer (it is a single nn.Linear): there is nothing to index.")
    layer = check_int(layer, name)
    if not 1 <= layer <= depth:
        raise ValueError(f"{name}={layer} is out of range: hidden layers are numbered 1..{depth} (1-based).")
    return layer


def require_piecewise_linear(model: nn.Sequential, name: str = "model") -> None:
    """Raise ``TypeError`` unless every hidden activation of ``model`` is ReLU or LeakyReLU."""
    for index, (_, act) in enumerate(check_model(model, name)):
        if not isinstance(act, PIECEWISE_LINEAR):
            raise TypeError(
                f"hidden layer {index + 1} of {name} uses {type(act).__name__}, which is curved: exact linear "
                "regions need ReLU or LeakyReLU activations."
            )


def check_labels(y: Any, n: int, classes: int | None = None, name: str = "y") -> Tensor:
    """Integer class labels ``(n,)`` in ``[0, classes)``.

    Raises:
        TypeError: not an integer tensor.
        ValueError: wrong length, negative labels, or labels ``>= classes``.
    """
    y = check_tensor(y, name, dims=1, kind="int")
    if len(y) != n:
        raise ValueError(f"{name} has {len(y)} labels but x has {n} rows; they must match.")
    if int(y.min()) < 0 or (classes is not None and int(y.max()) >= classes):
        bound = f"[0, {classes})" if classes is not None else ">= 0"
        raise ValueError(f"{name} holds labels in [{int(y.min())}, {int(y.max())}]; labels must lie in {bound}.")
    return y


# ----------------------------------------------------------------------------------------------------------
# Memory
# ----------------------------------------------------------------------------------------------------------

_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}


def memory_budget() -> int:
    """The memory budget in bytes: ``MLPGEO_MEMORY_BUDGET`` (``512MiB``, ``4GiB``, ``1e9``) or
    :data:`DEFAULT_BUDGET`.

    Raises:
        ValueError: an unreadable ``MLPGEO_MEMORY_BUDGET``.
    """
    text = os.environ.get("MLPGEO_MEMORY_BUDGET", "").strip().lower().replace(" ", "")
    if not text:
        return DEFAULT_BUDGET
    match = re.fullmatch(r"([0-9.e+]+)([a-z]*)", text)
    if not match or match.group(2) not in _UNITS:
        raise ValueError(f"MLPGEO_MEMORY_BUDGET={text!r} is not a size; write e.g. 512MiB, 4GiB or 1e9.")
    try:
        size = float(match.group(1)) * _UNITS[match.group(2)]
    except ValueError:
        raise ValueError(f"MLPGEO_MEMORY_BUDGET={text!r} is not a size; write e.g. 512MiB, 4GiB or 1e9.") from None
    if not math.isfinite(size) or size < 1:
        raise ValueError(f"MLPGEO_MEMORY_BUDGET={text!r} must be a positive size.")
    return int(size)


def format_bytes(nbytes: float) -> str:
    """``1536`` -> ``"1.5 KiB"``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(nbytes) < 1024 or unit == "TiB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.1f} TiB"


def check_budget(nbytes: float, what: str, fix: str, budget: int | None = None) -> None:
    """Refuse work whose estimated memory exceeds the budget, before allocating anything.

    Args:
        nbytes: the estimated size in bytes of the largest array the work builds.
        what: what would be built, e.g. ``"the 40,000 x 40,000 distance matrix"``.
        fix: the argument that lowers it, e.g. ``"pass fewer rows in x, or compute it blockwise with
            vq_distance_blocks"``.
        budget: bytes allowed (default :func:`memory_budget`).

    Raises:
        BudgetError: the estimate is over the budget (the message names the size, the budget and the fix;
            ``MLPGEO_MEMORY_BUDGET`` raises the budget).
    """
    limit = memory_budget() if budget is None else budget
    if nbytes > limit:
        raise BudgetError(
            f"{what} needs about {format_bytes(nbytes)}, over the memory budget of {format_bytes(limit)}; "
            f"{fix} (or raise MLPGEO_MEMORY_BUDGET if the machine has the memory)."
        )


def chunk_rows(bytes_per_row: float, total: int, budget: int | None = None) -> int:
    """How many rows to process at once so that one chunk stays within the budget (at least 1).

    Args:
        bytes_per_row: memory one row of the work needs.
        total: the number of rows (the result is at most this).
        budget: bytes allowed for one chunk (default: a quarter of :func:`memory_budget`, leaving room for
            the result and temporaries).
    """
    limit = memory_budget() // 4 if budget is None else budget
    return int(max(1, min(total, limit // max(1.0, float(bytes_per_row)))))
