"""Experiments as independent jobs, run through an executor: in-process, local processes, or Dask.

A *job* is one call ``fn(**kwargs)`` of a top-level (picklable) experiment driver for one setting and one
seed; it returns plain results (numbers, dicts, small tensors). :func:`run_jobs` maps a driver over a list of
keyword dicts and returns the results **in job order**, whatever the executor and however many workers, so a
report's numbers do not depend on how it was run.

Where jobs run:

- in-process, one after another (the default);
- ``MLPGEO_WORKERS=N`` (N >= 2): N local processes;
- ``MLPGEO_EXECUTOR=dask://host:port``: a Dask distributed scheduler (``pip install "dask[distributed]"``), i.e.
  as many machines as its workers;
- any ``concurrent.futures.Executor`` passed as ``executor=`` (e.g. ``distributed.Client(...).get_executor()``).

Sharing a machine's cores: with ``MLPGEO_SLOT_DIR=path`` every job first takes one of ``MLPGEO_SLOTS`` slots
(default: the usable CPUs), lock files in ``path`` shared by every process that names it, and holds it while it
runs. ``make paper`` and ``make site`` run several reports at once, each with its own job processes, all naming
one slot directory: no more jobs run than there are cores, and when one report finishes, the other reports' jobs
take its cores (without slots each report would keep only its share). Slots decide when a job runs, never what
it computes.

Jobs inside a job: a driver that itself calls :func:`run_jobs` while running as a job (e.g. a study that maps a
helper over widths) runs those inner jobs in-process, inside its own slot and thread count: a job never starts
worker processes of its own or waits for a second slot (which could wait forever while every slot is held by an
outer job).

Determinism: every job runs with ``torch.set_num_threads(threads)`` (:func:`job_threads`, default 1), on every
executor, because the number of threads can change the last bits of a float reduction. Each job draws its
randomness only from its own seed, so it gives the same numbers wherever it runs.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import fcntl
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
from tqdm.auto import tqdm

from mlpgeo.models import progress_enabled


def positive_env_int(name: str, default: int) -> int:
    """The positive integer in environment variable ``name`` (``default`` when unset or empty).

    Raises:
        ValueError: a value that is not a positive integer (the message shows the form).
    """
    text = os.environ.get(name, "").strip() or str(default)
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name}={text!r} must be a positive integer, e.g. {name}=2.")
    return int(text)


def job_threads() -> int:
    """Torch threads inside each job: ``MLPGEO_JOB_THREADS`` (default 1)."""
    return positive_env_int("MLPGEO_JOB_THREADS", 1)


def workers() -> int:
    """Local worker processes: ``MLPGEO_WORKERS`` (default 1: in-process)."""
    return positive_env_int("MLPGEO_WORKERS", 1)


IN_JOB: contextvars.ContextVar[bool] = contextvars.ContextVar("mlpgeo_in_job", default=False)
"""True while this process (or thread) runs a job: :func:`run_jobs` then runs inner jobs in-process."""


class Slots(NamedTuple):
    """``count`` machine-wide job slots: lock files ``slot-0 .. slot-<count-1>`` in ``directory``."""

    directory: str
    count: int


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the platform has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def slots_from_env() -> Slots | None:
    """The slots the environment names: ``MLPGEO_SLOT_DIR`` (unset: none) and ``MLPGEO_SLOTS`` (default: the
    usable CPUs)."""
    directory = os.environ.get("MLPGEO_SLOT_DIR", "").strip()
    if not directory:
        return None
    return Slots(directory, positive_env_int("MLPGEO_SLOTS", usable_cpus()))


@contextlib.contextmanager
def slot(slots: Slots | None, poll_s: float = 0.05) -> Iterator[int | None]:
    """Hold one free slot of ``slots`` while the block runs (``None``: no slots, nothing held); yields its index.

    A slot is an exclusive ``flock`` on its file, so the operating system frees it if the holder dies. While
    every slot is held, waits, trying again every ``poll_s`` seconds.
    """
    if slots is None:
        yield None
        return
    directory = Path(slots.directory)
    directory.mkdir(parents=True, exist_ok=True)
    while True:
        for index in range(slots.count):
            handle = open(directory / f"slot-{index}", "a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield index
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        time.sleep(poll_s)


def call_job(fn: Callable[..., Any], kwargs: Mapping[str, Any], threads: int, slots: Slots | None = None) -> Any:
    """Run one job with ``threads`` torch threads (restored afterwards), holding one of ``slots`` where given and
    marked as a job (:data:`IN_JOB`): what every executor runs. Inside a job, nothing more is taken."""
    if IN_JOB.get():
        return fn(**kwargs)
    with slot(slots):
        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
        marker = IN_JOB.set(True)
        try:
            return fn(**kwargs)
        finally:
            IN_JOB.reset(marker)
            torch.set_num_threads(previous)


def dask_executor(address: str) -> concurrent.futures.Executor:
    """The executor of a Dask distributed scheduler at ``address`` (``tcp://host:port`` or ``host:port``).

    Raises:
        ImportError: Dask's ``distributed`` package is not installed (the message says how to install it).
    """
    try:
        import distributed  # optional: only this executor needs it
    except ImportError as error:
        raise ImportError(
            'MLPGEO_EXECUTOR names a Dask scheduler but the package is missing: pip install "dask[distributed]".'
        ) from error
    client = distributed.Client(address if "://" in address else f"tcp://{address}")
    return client.get_executor()


def executor_from_env() -> concurrent.futures.Executor | None:
    """The executor the environment asks for: ``MLPGEO_EXECUTOR=dask://host:port``, else ``MLPGEO_WORKERS=N``
    local processes (N >= 2), else ``None`` (in-process).

    Raises:
        ValueError: an ``MLPGEO_EXECUTOR`` of another form.
    """
    spec = os.environ.get("MLPGEO_EXECUTOR", "").strip()
    if spec:
        if not spec.startswith("dask://"):
            raise ValueError(f"MLPGEO_EXECUTOR={spec!r} is not understood; write MLPGEO_EXECUTOR=dask://host:port.")
        return dask_executor(spec[len("dask://"):])
    n = workers()
    if n == 1:
        return None
    # "spawn": a fresh interpreter per worker (forking a process that already runs torch threads can deadlock)
    return concurrent.futures.ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))


def executor_kind() -> str:
    """What :func:`executor_from_env` would run jobs on, in words: ``"in-process"``, ``"2 local processes"`` or
    ``"dask://host:port"`` (recorded beside a report's metrics; it never changes the numbers)."""
    spec = os.environ.get("MLPGEO_EXECUTOR", "").strip()
    if spec:
        return spec
    n = workers()
    return "in-process" if n == 1 else f"{n} local processes"


@contextlib.contextmanager
def executor_scope() -> Iterator[concurrent.futures.Executor | None]:
    """One executor from the environment for a whole report (``None``: in-process), shut down on leaving.

    Starting local worker processes costs a second or two each (every one imports torch), so a report opens
    one scope and passes it as ``executor=`` to every :func:`run_jobs` call instead of letting each call start
    its own.
    """
    executor = executor_from_env()
    try:
        yield executor
    finally:
        if executor is not None:
            executor.shutdown(wait=True)


def run_jobs(
    fn: Callable[..., Any],
    jobs: Sequence[Mapping[str, Any]],
    executor: concurrent.futures.Executor | None = None,
    desc: str = "jobs",
    progress: bool | None = None,
) -> list[Any]:
    """Run ``fn(**job)`` for every job and return the results in job order.

    Args:
        fn: a top-level function (picklable by reference) returning plain results.
        jobs: one keyword dict per job (one setting and seed each).
        executor: where to run; ``None`` asks the environment (:func:`executor_from_env`), or runs in-process when
            called inside a job. An executor passed in is used as it is and left open; one made from the
            environment is shut down afterwards.
        desc: the progress bar's label.
        progress: show a bar counting finished jobs (``None``: ``MLPGEO_PROGRESS``, default on).

    Returns:
        ``[fn(**jobs[0]), fn(**jobs[1]), ...]``.

    Raises:
        TypeError: ``fn`` not callable, a job that is not a mapping.
        Exception: whatever a job raises (the first failure, after cancelling the jobs not yet started).
    """
    if not callable(fn):
        raise TypeError(f"fn must be a function, got {type(fn).__name__}.")
    jobs = list(jobs)
    for index, job in enumerate(jobs):
        if not isinstance(job, Mapping):
            raise TypeError(f"jobs[{index}] must be a dict of keyword arguments, got {type(job).__name__}.")
    threads = job_threads()
    slots = slots_from_env()
    owned = executor is None
    if owned and not IN_JOB.get():  # inside a job, inner jobs run in-process (module docstring)
        executor = executor_from_env()
    bar = tqdm(total=len(jobs), desc=desc, disable=not progress_enabled(progress), leave=False)
    try:
        if executor is None:
            results = []
            for job in jobs:
                results.append(call_job(fn, job, threads, slots))
                bar.update()
            return results
        futures = {executor.submit(call_job, fn, dict(job), threads, slots): i for i, job in enumerate(jobs)}
        results: list[Any] = [None] * len(jobs)
        try:
            for future in concurrent.futures.as_completed(futures):
                results[futures[future]] = future.result()
                bar.update()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return results
    finally:
        bar.close()
        if owned and executor is not None:
            executor.shutdown(wait=True)
