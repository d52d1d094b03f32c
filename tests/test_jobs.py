"""Jobs give the same results in job order whatever runs them: in-process, local processes, Dask."""

import concurrent.futures
import sys

import pytest
import torch

from mlpgeo import data, models
from mlpgeo.experiments.jobs import executor_from_env, job_threads, run_jobs, workers


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
