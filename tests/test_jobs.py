"""Jobs give the same results in job order whatever runs them: in-process, local processes, Dask."""

import concurrent.futures
import sys
import threading
import time

import pytest
import torch

from mlpgeo import data, models
from mlpgeo.experiments.jobs import Slots, executor_from_env, job_threads, run_jobs, slot, slots_from_env, usable_cpus, workers


def tiny_experiment(seed: int, width: int) -> dict:
    """One job: train a 2-width-2 network on two moons from ``seed``; its loss curve and weights' sum."""
    x, y = data.two_moons(64, noise=0.1, generator=models.seeded(seed))
    model = models.mlp([2, width, 2], generator=models.seeded(seed))
    history = models.train(model, x, y, lr=0.05, epochs=20, generator=models.seeded(seed + 1), progress=False)
    return {"seed": seed, "width": width, "loss": history.epoch_loss, "weights": sum(float(p.detach().sum()) for p in model.parameters())}


JOBS = [{"seed": seed, "width": width} for seed in (0, 1, 2) for width in (4, 8)]


@pytest.fixture(scope="module")
def in_process():
    return run_jobs(tiny_experiment, JOBS, progress=False)


def test_in_process_results_follow_job_order(in_process):
    assert [(r["seed"], r["width"]) for r in in_process] == [(j["seed"], j["width"]) for j in JOBS]
    assert in_process[0]["loss"][-1] < in_process[0]["loss"][0]
    # a rerun gives the same bits
    assert run_jobs(tiny_experiment, JOBS[:2], progress=False) == in_process[:2]


def test_two_local_processes_give_identical_results(in_process, monkeypatch):
    monkeypatch.setenv("MLPGEO_WORKERS", "2")
    assert run_jobs(tiny_experiment, JOBS, progress=False) == in_process


def test_a_user_executor_is_used_and_left_open(in_process):
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        assert run_jobs(tiny_experiment, JOBS, executor=pool, progress=False) == in_process
        assert pool.submit(int, "3").result() == 3  # still open


def test_local_dask_cluster_gives_identical_results(in_process):
    distributed = pytest.importorskip("distributed")
    cloudpickle = pytest.importorskip("cloudpickle")
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test file
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            with distributed.Client(cluster) as client:
                assert run_jobs(tiny_experiment, JOBS, executor=client.get_executor(), progress=False) == in_process
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def failing(seed: int) -> int:
    if seed == 1:
        raise ValueError("seed 1 fails")
    return seed


def test_a_failing_job_raises_and_bad_jobs_are_named():
    with pytest.raises(ValueError, match="seed 1 fails"):
        run_jobs(failing, [{"seed": 0}, {"seed": 1}], progress=False)
    with pytest.raises(TypeError, match=r"jobs\[1\]"):
        run_jobs(failing, [{"seed": 0}, 3], progress=False)
    with pytest.raises(TypeError, match="fn"):
        run_jobs(None, [], progress=False)


def test_settings_are_checked(monkeypatch):
    monkeypatch.setenv("MLPGEO_WORKERS", "two")
    with pytest.raises(ValueError, match="MLPGEO_WORKERS"):
        workers()
    monkeypatch.setenv("MLPGEO_WORKERS", "1")
    assert executor_from_env() is None
    monkeypatch.setenv("MLPGEO_EXECUTOR", "spark://x")
    with pytest.raises(ValueError, match="dask://"):
        executor_from_env()
    monkeypatch.setenv("MLPGEO_JOB_THREADS", "0")
    with pytest.raises(ValueError, match="MLPGEO_JOB_THREADS"):
        job_threads()


def test_jobs_run_with_the_job_thread_count(monkeypatch):
    monkeypatch.setenv("MLPGEO_JOB_THREADS", "1")
    before = torch.get_num_threads()
    assert run_jobs(torch.get_num_threads, [{}], progress=False) == [1]
    assert torch.get_num_threads() == before


def test_slots_run_with_slots_and_give_identical_results(in_process, monkeypatch, tmp_path):
    monkeypatch.setenv("MLPGEO_SLOT_DIR", str(tmp_path / "slots"))
    monkeypatch.setenv("MLPGEO_SLOTS", "1")
    assert run_jobs(tiny_experiment, JOBS[:2], progress=False) == in_process[:2]
    monkeypatch.setenv("MLPGEO_WORKERS", "2")  # two processes, one slot: they take turns
    assert run_jobs(tiny_experiment, JOBS, progress=False) == in_process
    assert sorted(p.name for p in (tmp_path / "slots").iterdir()) == ["slot-0"]


def test_a_held_slot_makes_the_next_job_wait_until_it_is_freed(tmp_path):
    slots = Slots(str(tmp_path), 2)
    taken: list[int | None] = []
    with slot(slots) as first, slot(slots) as second:
        assert (first, second) == (0, 1)  # both slots held at once
        waiter = threading.Thread(target=lambda: taken.extend(run_with_slot(slots)))
        waiter.start()
        time.sleep(0.3)
        assert taken == [] and waiter.is_alive()  # every slot held: the third waits
    waiter.join(timeout=5)
    assert taken == [0]  # the first freed slot
    with slot(None) as none:
        assert none is None  # no slots: nothing held


def run_with_slot(slots: Slots) -> list[int | None]:
    with slot(slots, poll_s=0.01) as index:
        return [index]


def test_slot_settings_are_checked(monkeypatch, tmp_path):
    monkeypatch.delenv("MLPGEO_SLOT_DIR", raising=False)
    assert slots_from_env() is None
    monkeypatch.setenv("MLPGEO_SLOT_DIR", str(tmp_path))
    monkeypatch.delenv("MLPGEO_SLOTS", raising=False)
    assert slots_from_env() == Slots(str(tmp_path), usable_cpus())
    monkeypatch.setenv("MLPGEO_SLOTS", "0")
    with pytest.raises(ValueError, match="MLPGEO_SLOTS"):
        slots_from_env()


def study_of_widths(seed: int) -> list[dict]:
    """A job that maps its own jobs (as a study driver may): the inner jobs must run in-process, in its slot."""
    return run_jobs(tiny_experiment, [{"seed": seed, "width": width} for width in (4, 8)], progress=False)


def test_jobs_inside_a_job_run_in_process_and_never_wait_for_a_slot(in_process, monkeypatch, tmp_path):
    monkeypatch.setenv("MLPGEO_SLOT_DIR", str(tmp_path))
    monkeypatch.setenv("MLPGEO_SLOTS", "1")
    monkeypatch.setenv("MLPGEO_WORKERS", "2")  # an inner pool would start processes and wait for the held slot
    nested: list = []
    runner = threading.Thread(target=lambda: nested.extend(run_jobs(study_of_widths, [{"seed": 0}, {"seed": 1}],
                                                                    progress=False)), daemon=True)
    runner.start()
    runner.join(timeout=120)
    assert not runner.is_alive(), "jobs inside a job waited for a slot held by their own outer job (deadlock)"
    assert [r for rows in nested for r in rows] == in_process[:4]
