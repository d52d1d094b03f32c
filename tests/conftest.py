"""Shared test settings: progress bars off, one torch thread (tiny nets are fastest that way)."""

import os

import pytest
import torch

os.environ.setdefault("MLPGEO_PROGRESS", "0")


@pytest.fixture(autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
