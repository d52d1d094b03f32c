"""The validation layer: every check names the argument and the fix, and accepts what it should."""

import numpy as np
import pytest
import torch
from torch import nn

from mlpgeo.validate import (
    BudgetError,
    check_budget,
    check_choice,
    check_generator,
    check_int,
    check_labels,
    check_layer,
    check_model,
    check_number,
    check_tensor,
    check_x,
    chunk_rows,
    format_bytes,
    memory_budget,
)


def relu_net(*widths, dtype=torch.float32):
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b).to(dtype))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


@pytest.mark.parametrize("value", [0.5, 1, np.float32(0.25), torch.tensor(0.5)])
def test_check_number_accepts_real_numbers(value):
    assert check_number(value, "tol", low=0) == float(value)


@pytest.mark.parametrize(
    "value, kwargs, error, match",
    [
        (float("nan"), {}, ValueError, "tol is nan"),
        (float("inf"), {}, ValueError, "finite"),
        (True, {}, TypeError, "real number"),
        (1j, {}, TypeError, "real number"),
        ("0.1", {}, TypeError, "real number"),
        (torch.ones(2), {}, TypeError, "real number"),
        (0.0, dict(low=0, low_open=True), ValueError, "> 0"),
        (2.0, dict(high=1), ValueError, "<= 1"),
    ],
)
def test_check_number_refuses(value, kwargs, error, match):
    with pytest.raises(error, match=match):
        check_number(value, "tol", **kwargs)


def test_check_int():
    assert check_int(np.int64(3), "k", low=1) == 3
    assert check_int(torch.tensor(4), "k") == 4
    with pytest.raises(TypeError, match="k must be an integer.*int\\(k\\)"):
        check_int(2.0, "k")
    with pytest.raises(TypeError, match="k must be an integer"):
        check_int(True, "k")
    with pytest.raises(ValueError, match="k must be >= 1"):
        check_int(0, "k", low=1)
    with pytest.raises(TypeError, match="k must be an integer"):
        check_int(torch.tensor(2.0), "k")


def test_check_choice_and_generator():
    assert check_choice("adam", "optimizer", ["adam", "sgd"]) == "adam"
    with pytest.raises(ValueError, match="optimizer='lbfgs'.*adam"):
        check_choice("lbfgs", "optimizer", ["adam", "sgd"])
    generator = torch.Generator()
    assert check_generator(generator) is generator and check_generator(None) is None
    with pytest.raises(TypeError, match=r"manual_seed\(3\)"):
        check_generator(3)


@pytest.mark.parametrize(
    "value, kwargs, error, match",
    [
        (np.zeros((2, 2)), {}, TypeError, "numpy array"),
        ([[0.0]], {}, TypeError, "torch.Tensor"),
        (torch.zeros(2, dtype=torch.complex64), {}, TypeError, "complex"),
        (torch.zeros(2, dtype=torch.float16), {}, TypeError, "float16"),
        (torch.zeros(2, dtype=torch.int64), {}, TypeError, "int64"),
        (torch.zeros(2), dict(kind="int"), TypeError, "integers"),
        (torch.zeros(2), dict(kind="bool"), TypeError, "bool"),
        (torch.tensor([0, 2]), dict(kind="binary"), ValueError, "0 and 1"),
        (torch.zeros(2), dict(dims=2), ValueError, "2 dimensions"),
        (torch.zeros(0, 3), {}, ValueError, "empty"),
        (torch.tensor([1.0, float("inf")]), {}, ValueError, "NaN or infinite"),
        (torch.tensor([-float("inf"), 1.0]), {}, ValueError, "NaN or infinite"),
        (torch.tensor(float("nan"), dtype=torch.float64), {}, ValueError, "NaN or infinite"),
        (torch.zeros(3, 50, 7).index_put_((torch.tensor(2), torch.tensor(41), torch.tensor(3)), torch.tensor(float("nan"))),
         {}, ValueError, "NaN or infinite"),
        (torch.zeros(6, 4).t().index_put_((torch.tensor(3), torch.tensor(5)), torch.tensor(-float("inf"))),
         {}, ValueError, "NaN or infinite"),
    ],
)
def test_check_tensor_refuses(value, kwargs, error, match):
    with pytest.raises(error, match=match):
        check_tensor(value, "x", **kwargs)


def test_check_tensor_accepts():
    assert check_tensor(torch.zeros(0, 3), "x", allow_empty=True).shape == (0, 3)
    assert check_tensor(torch.tensor([0, 1]), "code", kind="binary").dtype == torch.int64
    assert check_tensor(torch.zeros(2, dtype=torch.float64), "x").dtype == torch.float64
    big = torch.full((3, 50, 7), 3.0e38)  # finite, near the float32 limit (a sum would overflow)
    assert check_tensor(big, "x") is big and check_tensor(-big.mT, "x").shape == (3, 7, 50)


def test_check_model_names_each_problem():
    assert len(check_model(relu_net(2, 3, 3, 1))) == 2
    assert check_model(relu_net(2, 1)) == []
    with pytest.raises(TypeError, match="nn.Sequential"):
        check_model(nn.Linear(2, 1))
    with pytest.raises(TypeError, match="empty"):
        check_model(nn.Sequential())
    with pytest.raises(TypeError, match="Dropout"):
        check_model(nn.Sequential(nn.Linear(2, 3), nn.Dropout(), nn.Linear(3, 1)))
    with pytest.raises(TypeError, match="model\\[2\\] is ReLU"):
        check_model(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.ReLU()))
    with pytest.raises(TypeError, match="mixes float32 and float64"):
        check_model(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1).double()))
    with pytest.raises(TypeError, match="float16"):
        check_model(relu_net(2, 3, 1).half())
    broken = relu_net(2, 3, 1)
    with torch.no_grad():
        broken[2].bias.fill_(float("inf"))
    with pytest.raises(ValueError, match="'2.bias'"):
        check_model(broken)


def test_check_x_converts_to_the_model_dtype():
    model = relu_net(3, 4, 1, dtype=torch.float64)
    x = check_x(model, torch.zeros(5, 3))
    assert x.dtype == torch.float64
    with pytest.raises(ValueError, match=r"expects \(n, 3\)"):
        check_x(model, torch.zeros(5, 2))
    with pytest.raises(ValueError, match="empty batch"):
        check_x(model, torch.zeros(0, 3))


def test_check_layer_and_labels():
    model = relu_net(2, 3, 3, 1)
    assert check_layer(model, 2) == 2
    with pytest.raises(ValueError, match="1..2"):
        check_layer(model, 0)
    with pytest.raises(ValueError, match="no hidden layer"):
        check_layer(relu_net(2, 1), 1)
    with pytest.raises(TypeError, match="layer must be an integer"):
        check_layer(model, 1.0)
    assert check_labels(torch.tensor([0, 2]), 2, classes=3).tolist() == [0, 2]
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        check_labels(torch.tensor([0, 3]), 2, classes=3)
    with pytest.raises(ValueError, match="x has 3 rows"):
        check_labels(torch.tensor([0, 1]), 3)
    with pytest.raises(TypeError, match="integers"):
        check_labels(torch.tensor([0.0, 1.0]), 2)


def test_memory_budget_and_chunks(monkeypatch):
    monkeypatch.delenv("MLPGEO_MEMORY_BUDGET", raising=False)
    assert memory_budget() == 2 * 1024**3
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "512MiB")
    assert memory_budget() == 512 * 1024**2
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "1e6")
    assert memory_budget() == 1_000_000
    check_budget(999_999, "a matrix", "pass fewer rows")
    with pytest.raises(BudgetError, match=r"a matrix needs about 1.9 MiB.*976.6 KiB.*pass fewer rows"):
        check_budget(2_000_000, "a matrix", "pass fewer rows")
    assert chunk_rows(1000, total=10_000, budget=10_500) == 10
    assert chunk_rows(1e12, total=5, budget=10) == 1
    assert chunk_rows(1, total=5, budget=10**9) == 5
    monkeypatch.setenv("MLPGEO_MEMORY_BUDGET", "lots")
    with pytest.raises(ValueError, match="MLPGEO_MEMORY_BUDGET"):
        memory_budget()
    assert format_bytes(1536) == "1.5 KiB" and format_bytes(12) == "12 B"
