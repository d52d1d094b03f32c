import json
import math

import numpy as np
import pytest
import torch

from mlpgeo.report import (
    band_verdict,
    seed_verdict,
    threshold_verdict,
    Recorder,
    format_value,
    heading_anchor,
    load_metrics,
    notebook_timing,
    run_time,
    scorecard_markdown,
    summarize,
    to_jsonable,
    verdict_totals,
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


def make_recorder(name="demo"):
    rec = Recorder(name, source="A paper", seeds=[0, 1, 2])
    rec.metric("accuracy", summarize([0.9, 0.92, 0.91]))
    rec.claim("c1", "Only a few codes hold data.", 7, {"codes with data": summarize([6, 7, 9])}, "partly reproduced", "1. Codes | hashes")
    rec.claim("c2", "Trained kernels agree.", 0.55, {"cosine": 0.61}, "reproduced", "Kernels")
    return rec


def test_recorder_validates_claims():
    rec = make_recorder()
    with pytest.raises(ValueError, match="verdict"):
        rec.claim("c3", "x", 1, {"m": 1}, "sort of", "S")
    with pytest.raises(ValueError, match="twice"):
        rec.claim("c1", "x", 1, {"m": 1}, "reproduced", "S")
    with pytest.raises(ValueError, match="measured"):
        rec.claim("c4", "x", 1, {}, "reproduced", "S")
    with pytest.raises(ValueError, match="heading"):
        rec.claim("c5", "x", 1, {"m": 1}, "reproduced", " ")
    with pytest.raises(ValueError, match="name"):
        Recorder("Bad Name", "s", [0])


def test_save_writes_the_documented_shape(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPGEO_SCALE", "ci")
    path = make_recorder().save(tmp_path)
    saved = json.loads(path.read_text())
    assert path.name == "demo.json"
    assert {"report", "source", "scale", "seeds", "runtime_s", "machine", "metrics", "claims"} <= set(saved)
    assert saved["scale"] == "ci" and saved["seeds"] == [0, 1, 2]
    assert saved["claims"][0]["measured"]["codes with data"]["values"] == [6.0, 7.0, 9.0]
    assert load_metrics(tmp_path)[0]["report"] == "demo"
    assert not list(tmp_path.glob("*.tmp"))


def test_load_metrics_rejects_broken_files(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="bad.json"):
        load_metrics(tmp_path)
    (tmp_path / "bad.json").write_text(json.dumps({"report": "bad"}))
    with pytest.raises(ValueError, match="lacks"):
        load_metrics(tmp_path)


@pytest.mark.parametrize(
    "heading",
    ["Verdicts", "1. Neurons as hyperplanes, codes as hashes", "Wide vs deep (2-D)", "LoRA: rank 1–4", "x² and the key–value view", "  spaced   out  "],
)
def test_heading_anchor_matches_the_site_renderer(heading):
    slugify = pytest.importorskip("mkdocs_jupyter.utils").slugify
    strings = pytest.importorskip("nbconvert.filters.strings")
    assert heading_anchor(heading) == strings._convert_header_id(slugify(heading))


def test_scorecard_has_one_row_per_claim_and_totals():
    reports = [make_recorder("demo").as_dict(), make_recorder("other").as_dict()]
    page = scorecard_markdown(reports, {"demo": "Demo report"})
    rows = [line for line in page.splitlines() if line.startswith("| [")]
    claim_rows = [r for r in rows if "data-verdict" in r]
    assert len(claim_rows) == 4
    assert "(reports/demo.ipynb#1-codes-hashes)" in page
    assert "Only a few codes hold data." in page and "Demo report" in page
    assert verdict_totals(reports) == {"reproduced": 2, "partly reproduced": 2, "not reproduced": 0, "not testable": 0}
    assert 'data-verdict="partly reproduced">partly reproduced</span> | 2 |' in page
    assert "| [Demo report](reports/demo.ipynb) | A paper | 1 | 1 | 0 | 0 | 2 |" in page  # by report, with its source


def test_scorecard_follows_the_title_order_and_names_each_section():
    reports = [make_recorder("zeta").as_dict(), make_recorder("alpha").as_dict(), make_recorder("mid").as_dict()]
    page = scorecard_markdown(reports, {"zeta": "Zeta", "mid": "Mid"})
    claim_rows = [line for line in page.splitlines() if "data-verdict" in line and line.startswith("| [")]
    assert [row.split("]")[0] for row in claim_rows] == ["| [Zeta"] * 2 + ["| [Mid"] * 2 + ["| [alpha"] * 2
    assert "<small>§ 1. Codes \\| hashes</small>" in claim_rows[0]  # the section, escaped for the table
    assert page.index("| [Zeta](reports/zeta.ipynb) | ci |") < page.index("| [alpha](reports/alpha.ipynb) | ci |")


def notebook_with_timing(*spans):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# T"}]
    for busy, reply in spans:
        cells.append({"cell_type": "code", "metadata": {"execution": {
            "iopub.status.busy": busy, "iopub.execute_input": busy, "shell.execute_reply": reply}}})
    return {"cells": cells}


def test_notebook_timing_spans_first_start_to_last_reply():
    notebook = notebook_with_timing(
        ("2026-01-01T10:00:00.000000Z", "2026-01-01T10:00:01.500000Z"),
        ("2026-01-01T10:00:01.600000Z", "2026-01-01T10:02:05.250000Z"),
    )
    assert notebook_timing(notebook) == {"seconds": 125.2, "finished": "2026-01-01T10:02:05.250000Z"}
    assert notebook_timing({"cells": [{"cell_type": "code", "metadata": {}}]}) is None
    report = make_recorder().as_dict()
    assert run_time(report) == report["runtime_s"]
    report["execution"] = notebook_timing(notebook)
    assert run_time(report) == 125.2
    assert "| 125 s | 2026-01-01 10:02:05 |" in scorecard_markdown([report], {})


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
