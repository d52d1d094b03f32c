import json
import math

import numpy as np
import pytest
import torch

from mlpgeo.report import (
    band_verdict,
    seed_verdict,
    threshold_verdict,
    Claim,
    Recorder,
    Table,
    format_value,
    mean_over_seeds,
    summarize_runs,
    summarize,
    to_jsonable,
)


def test_summarize_hand_computed():
    s = summarize([1.0, 2.0, 3.0, 6.0])
    assert s["mean"] == 3.0 and s["n"] == 4
    assert s["std"] == pytest.approx(math.sqrt(((4 + 1 + 0 + 9) / 3)))
    assert summarize([5])["std"] == 0.0
    with pytest.raises(ValueError):
        summarize([])


def test_to_jsonable_converts_numpy_torch_and_nan():
    value = {"a": np.float32(1.5), "b": torch.tensor([1, 2]), "c": np.arange(2), "d": float("nan"), 3: (1, 2)}
    assert to_jsonable(value) == {"a": 1.5, "b": [1, 2], "c": [0, 1], "d": None, "3": [1, 2]}
    with pytest.raises(TypeError):
        to_jsonable(object())


def make_claim(id="c1", **changes):
    fields = dict(id=id, kind="source", claim="Only a few codes hold data.", source_value=7,
                  criterion="reproduced if fewer than half of the regions hold data in every seed",
                  measured={"codes with data": summarize([6, 7, 9])}, verdict="partly reproduced",
                  section="1. Codes | hashes")
    fields.update(changes)
    return Claim(**fields)


def make_recorder(name="hashing"):
    rec = Recorder(name, seeds=[0, 1, 2])
    rec.metric("accuracy", summarize([0.9, 0.92, 0.91]))
    rec.add(make_claim())
    rec.add(make_claim("c2", kind="check", claim="Trained kernels agree.", source_value=0.55,
                       measured={"cosine": 0.61}, verdict="reproduced", section="Kernels"))
    return rec


def test_claim_validates_every_field():
    with pytest.raises(ValueError, match="verdict"):
        make_claim(verdict="sort of")
    with pytest.raises(ValueError, match="kind"):
        make_claim(kind="derivation")
    with pytest.raises(ValueError, match="measured"):
        make_claim(measured={})
    with pytest.raises(ValueError, match="section"):
        make_claim(section=" ")
    with pytest.raises(ValueError, match="criterion"):
        make_claim(criterion="")
    with pytest.raises(ValueError, match="id"):
        make_claim(id="Bad Id")
    written = make_claim(measured={"m": np.float32(0.5)}).as_dict()
    assert list(written) == ["id", "kind", "claim", "source_value", "criterion", "measured", "verdict", "section"]
    assert written["measured"] == {"m": 0.5}


def test_recorder_takes_claim_records_once():
    rec = make_recorder()
    with pytest.raises(ValueError, match="twice"):
        rec.add(make_claim("c1"))
    with pytest.raises(TypeError, match="Claim"):
        rec.add({"id": "c3"})
    with pytest.raises(ValueError, match="catalog"):
        Recorder("demo", [0])
    assert rec.source.startswith('"Understanding MLPs as Hashing Functions')


def test_summarize_runs_and_mean_over_seeds():
    runs = [{"a": 1, "b": 2.0, "name": "x"}, {"a": 3, "b": 4.0, "name": "y"}]
    summary = summarize_runs(runs)
    assert set(summary) == {"a", "b"} and summary["a"]["mean"] == 2.0 and summary["a"]["n"] == 2
    assert summary["b"]["std"] == pytest.approx(math.sqrt(2.0))
    assert mean_over_seeds(runs, ["b"]) == {"b": 3.0}
    with pytest.raises(ValueError):
        summarize_runs([])


def test_table_formats_cells_and_escapes():
    table = Table({"2-16 <a>": {"box": 58.4, "n": 3.0, "skip": 1}}, {"box": ".1f", "n": "d"}, index="arch")
    html_text = table._repr_html_()
    assert "<th>arch</th><th>box</th><th>n</th>" in html_text and "skip" not in html_text
    assert "<td>58.4</td><td>3</td>" in html_text and "2-16 &lt;a&gt;" in html_text
    assert table._repr_markdown_().splitlines()[2] == "| 2-16 <a> | 58.4 | 3 |"


def test_save_writes_the_documented_shape(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPGEO_SCALE", "ci")
    path = make_recorder().save(tmp_path)
    saved = json.loads(path.read_text())
    assert path.name == "hashing.json"
    assert {"report", "source", "scale", "seeds", "runtime_s", "machine", "metrics", "claims"} <= set(saved)
    assert saved["scale"] == "ci" and saved["seeds"] == [0, 1, 2]
    assert saved["claims"][0]["measured"]["codes with data"]["values"] == [6.0, 7.0, 9.0]
    assert saved["claims"][1]["kind"] == "check" and saved["claims"][0]["criterion"].startswith("reproduced if")
    assert not list(tmp_path.glob("*.tmp"))


def test_format_value():
    assert format_value({"mean": 0.5, "std": 0.25, "n": 3, "values": [0]}) == "0.5 ± 0.25 (n=3)"
    assert format_value(1234) == "1,234"
    assert format_value({"a": 1.23456, "b": "x"}) == "a: 1.23; b: x"


def test_threshold_verdict_both_directions():
    assert threshold_verdict(0.9, 0.8, 0.5) == "reproduced"
    assert threshold_verdict(0.8, 0.8, 0.5) == "reproduced"
    assert threshold_verdict(0.6, 0.8, 0.5) == "partly reproduced"
    assert threshold_verdict(0.1, 0.8, 0.5) == "not reproduced"
    assert threshold_verdict(0.01, 0.02, 0.1, higher_is_better=False) == "reproduced"
    assert threshold_verdict(0.05, 0.02, 0.1, higher_is_better=False) == "partly reproduced"
    assert threshold_verdict(0.5, 0.02, 0.1, higher_is_better=False) == "not reproduced"
    with pytest.raises(ValueError, match="order"):
        threshold_verdict(0.5, 0.2, 0.8)
    with pytest.raises(ValueError, match="NaN"):
        threshold_verdict(float("nan"), 0.8, 0.5)


def test_seed_verdict_all_some_majority():
    assert seed_verdict([True, True, True]) == "reproduced"
    assert seed_verdict([True, False, False]) == "partly reproduced"
    assert seed_verdict([False, False, False]) == "not reproduced"
    assert seed_verdict([True, False, False], majority=True) == "not reproduced"
    assert seed_verdict([True, True, False], majority=True) == "partly reproduced"
    assert seed_verdict([True, False], majority=True) == "not reproduced"  # half is not a majority
    with pytest.raises(ValueError, match="at least one seed"):
        seed_verdict([])


def test_band_verdict_edges_and_errors():
    assert band_verdict(0.2, (0.2, 0.45), (0.05, 0.7), partly_closed=False) == "reproduced"
    assert band_verdict(0.45, (0.2, 0.45), (0.05, 0.7), partly_closed=False) == "reproduced"
    assert band_verdict(0.1, (0.2, 0.45), (0.05, 0.7), partly_closed=False) == "partly reproduced"
    assert band_verdict(0.05, (0.2, 0.45), (0.05, 0.7), partly_closed=False) == "not reproduced"
    assert band_verdict(0.05, (0.2, 0.45), (0.05, 0.7)) == "partly reproduced"
    assert band_verdict(-0.3, (0.2, 0.45), (0.05, 0.7)) == "not reproduced"
    with pytest.raises(ValueError, match="NaN"):
        band_verdict(float("nan"), (0.2, 0.45), (0.05, 0.7))
    with pytest.raises(ValueError, match="inside"):
        band_verdict(0.3, (0.2, 0.8), (0.05, 0.7))
