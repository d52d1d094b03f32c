"""Run settings read from the environment: scale, device, threads.

Every setting is read through a function here, never cached in a global, so a notebook or a test can
change the environment and see the change.

Environment variables:
    MLPGEO_SCALE: ``ci`` (default; each report runs in a few minutes on 2 CPU cores) or ``full``
        (the papers' sizes).
    MLPGEO_DEVICE: ``cpu`` (default), ``cuda`` (error if absent) or ``auto`` (CUDA when available).
    MLPGEO_SEEDS: comma-separated integers (e.g. ``0,1,2,3,4``) replacing the seeds of a report that
        reads them through :func:`seeds`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import TypeVar

import torch

SCALES = ("ci", "full")
T = TypeVar("T")


def scale() -> str:
    """The current scale, ``"ci"`` or ``"full"``, from ``MLPGEO_SCALE`` (default ``"ci"``).

    Raises:
        ValueError: if ``MLPGEO_SCALE`` holds anything else.
    """
    value = os.environ.get("MLPGEO_SCALE", "ci").strip().lower() or "ci"
    if value not in SCALES:
        raise ValueError(
            f"MLPGEO_SCALE={value!r} is not a scale; use one of {SCALES} "
            "(e.g. `MLPGEO_SCALE=full make site`)."
        )
    return value


def by_scale(ci: T, full: T) -> T:
    """Return ``ci`` or ``full`` according to :func:`scale`."""
    return full if scale() == "full" else ci


def seeds(ci: Sequence[int], full: Sequence[int]) -> list[int]:
    """A report's seeds: ``MLPGEO_SEEDS`` if set, else ``ci`` or ``full`` according to :func:`scale`.

    ``MLPGEO_SEEDS`` holds distinct integers separated by commas, e.g. ``MLPGEO_SEEDS=0,1,2,3,4``.

    Raises:
        ValueError: if ``MLPGEO_SEEDS`` is not a list of distinct integers (the message shows the form).
    """
    value = os.environ.get("MLPGEO_SEEDS", "").strip()
    if not value:
        return [int(s) for s in by_scale(ci, full)]
    try:
        chosen = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        chosen = []
    if not chosen or len(set(chosen)) != len(chosen):
        raise ValueError(
            f"MLPGEO_SEEDS={value!r} is not a list of distinct integers; write e.g. MLPGEO_SEEDS=0,1,2,3,4."
        )
    return chosen


def device(name: str | None = None) -> torch.device:
    """The torch device to compute on.

    Args:
        name: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"auto"``; ``None`` reads ``MLPGEO_DEVICE``
            (default ``"cpu"``).

    Raises:
        ValueError: if CUDA is asked for and not present.
    """
    name = (name or os.environ.get("MLPGEO_DEVICE", "cpu")).strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"device {name!r} was asked for but torch sees no CUDA device; "
            "use MLPGEO_DEVICE=cpu or MLPGEO_DEVICE=auto."
        )
    return torch.device(name)


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run a block with ``torch.set_num_threads(n)``, restoring the previous count afterwards.

    Tiny networks (a few thousand parameters) often run several times faster on one thread than on
    two, because thread synchronisation costs more than the arithmetic.
    """
    if n < 1:
        raise ValueError(f"thread count must be >= 1, got {n}.")
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
