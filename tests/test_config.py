import pytest
import torch

from mlpgeo import config


def test_scale_defaults_to_ci_and_reads_the_environment(monkeypatch):
    monkeypatch.delenv("MLPGEO_SCALE", raising=False)
    assert config.scale() == "ci"
    assert config.by_scale(ci=1, full=2) == 1
    monkeypatch.setenv("MLPGEO_SCALE", "FULL")
    assert config.scale() == "full"
    assert config.by_scale(ci=1, full=2) == 2


def test_unknown_scale_names_the_fix(monkeypatch):
    monkeypatch.setenv("MLPGEO_SCALE", "huge")
    with pytest.raises(ValueError, match="MLPGEO_SCALE='huge'.*ci.*full"):
        config.scale()


def test_device_cpu_by_default_and_cuda_only_when_present(monkeypatch):
    monkeypatch.delenv("MLPGEO_DEVICE", raising=False)
    assert config.device() == torch.device("cpu")
    assert config.device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA"):
            config.device("cuda")


def test_torch_threads_restores_the_previous_count():
    before = torch.get_num_threads()
    with config.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError):
        with config.torch_threads(0):
            pass


def test_seeds_follow_the_scale_unless_the_environment_names_them(monkeypatch):
    monkeypatch.delenv("MLPGEO_SEEDS", raising=False)
    monkeypatch.setenv("MLPGEO_SCALE", "ci")
    assert config.seeds(ci=[0, 1, 2], full=range(5)) == [0, 1, 2]
    monkeypatch.setenv("MLPGEO_SCALE", "full")
    assert config.seeds(ci=[0, 1, 2], full=range(5)) == [0, 1, 2, 3, 4]
    monkeypatch.setenv("MLPGEO_SEEDS", " 7, 3,11 ")
    assert config.seeds(ci=[0], full=[0]) == [7, 3, 11]
    for bad in ("1,x", "2,2", ","):
        monkeypatch.setenv("MLPGEO_SEEDS", bad)
        with pytest.raises(ValueError, match="MLPGEO_SEEDS=0,1,2,3,4"):
            config.seeds(ci=[0], full=[0])
