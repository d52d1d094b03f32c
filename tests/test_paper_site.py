"""The paper-scale records on the site (overrides/mlpgeo_site/paper.py): loading, staleness against the code,
flips between the scales, the extra verdict-table column, the scorecard and home totals."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "overrides"))

from mlpgeo.experiments.provenance import code_hash  # noqa: E402
from mlpgeo.report import ClaimTable  # noqa: E402
from mlpgeo_site import paper  # noqa: E402
from mlpgeo_site.scorecard import scorecard_markdown  # noqa: E402


def claim(id_: str, verdict: str, kind: str = "source", text: str | None = None) -> dict:
    return {"id": id_, "kind": kind, "claim": text or f"Claim {id_} holds.", "source_value": "yes",
            "criterion": "a rule", "measured": {"x": 1.0}, "verdict": verdict, "section": "1. A section"}


BUILT = {"report": "kag", "source": "src", "scale": "ci", "seeds": [0, 1, 2], "runtime_s": 10.0, "metrics": {},
         "claims": [claim("a", "reproduced"), claim("b", "not reproduced"), claim("c", "partly reproduced", "check"),
                    claim("new", "reproduced")]}


def tree(tmp_path: Path) -> Path:
    """A repository tree with the package and the kag notebook (what code_hash reads)."""
    shutil.copytree(ROOT / "mlpgeo", tmp_path / "mlpgeo", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "kag.ipynb").write_text('{"cells": []}')
    return tmp_path


def write_record(root: Path, claims: list[dict], code: str | None = None) -> Path:
    folder = root / "results" / "paper"
    folder.mkdir(parents=True, exist_ok=True)
    record = {**BUILT, "scale": "full", "seeds": [0, 1, 2, 3, 4], "claims": claims,
              "provenance": {"commit": "abc", "code_hash": code or code_hash("kag", root), "scale": "full",
                             "seeds": [0, 1, 2, 3, 4], "machine": {"cpus": 2}, "date": "2026-12-02T14:00:00Z",
                             "runtime_s": 600.0, "workers": "2 local processes"}}
    path = folder / "kag.json"
    path.write_text(json.dumps(record))
    return path


PAPER_CLAIMS = [claim("a", "reproduced"), claim("b", "partly reproduced"), claim("c", "partly reproduced", "check")]


def test_fresh_record_flips_and_cells(tmp_path):
    root = tree(tmp_path)
    write_record(root, PAPER_CLAIMS)
    records = paper.load_records(root / "results" / "paper", root)
    record = records["kag"]
    assert not record.stale and record.verdicts["b"] == "partly reproduced"
    changed = paper.flips(BUILT["claims"], record)
    assert [(c["id"], v) for c, v in changed] == [("b", "partly reproduced")]
    same, differs, missing = (paper.paper_cell(BUILT["claims"][i], record) for i in (0, 1, 3))
    assert 'data-verdict="reproduced"' in same and "differs" not in same and "stale" not in same
    assert 'data-verdict="partly reproduced"' in differs and "mlpgeo-flip" in differs
    assert "not in the record" in missing
    assert "no paper-scale record" in paper.paper_cell(BUILT["claims"][0], None)
    summary = paper.record_summary(record, BUILT["claims"])
    assert "1 of 4 verdicts differ" in summary and "b not reproduced → partly reproduced" in summary and "stale" not in summary
    assert "all 1 verdicts recorded agree" in paper.record_summary(record, BUILT["claims"][:1])
    assert "no recorded run" in paper.record_summary(None, BUILT["claims"])


def test_record_goes_stale_when_the_code_changes(tmp_path):
    root = tree(tmp_path)
    write_record(root, PAPER_CLAIMS)
    (root / "mlpgeo" / "kag.py").write_text((root / "mlpgeo" / "kag.py").read_text() + "\nCHANGED = 1\n")  # a line of code
    record = paper.load_records(root / "results" / "paper", root)["kag"]
    assert record.stale
    assert "mlpgeo-stale" in paper.paper_cell(BUILT["claims"][0], record)
    assert "stale" in paper.record_summary(record, BUILT["claims"])
    # another report's experiment module does not make kag's record stale
    write_record(root, PAPER_CLAIMS)
    (root / "mlpgeo" / "experiments" / "bloom.py").write_text("x = 1\n")
    assert not paper.load_records(root / "results" / "paper", root)["kag"].stale


def test_bad_and_missing_records(tmp_path):
    assert paper.load_records(tmp_path / "nowhere", tmp_path) == {}
    folder = tmp_path / "results" / "paper"
    folder.mkdir(parents=True)
    (folder / "kag.json").write_text(json.dumps({"report": "kag", "claims": []}))
    with pytest.raises(ValueError, match="lacks .*provenance.*make paper"):
        paper.load_records(folder, tmp_path)


def test_verdict_table_gets_the_paper_column(tmp_path):
    root = tree(tmp_path)
    write_record(root, PAPER_CLAIMS)
    record = paper.load_records(root / "results" / "paper", root)["kag"]
    page = "<p>before</p>" + ClaimTable(BUILT["claims"])._repr_html_() + "<p>after</p>"
    out = paper.add_paper_column(page, BUILT["claims"], record)
    assert out.count("<th>") == len(ClaimTable.HEADERS) + 1
    assert out.split("<th>")[2:4] == ["Verdict</th>", "Paper scale</th>"]
    assert out.count('data-label="Paper scale"') == len(BUILT["claims"]) and out.count("mlpgeo-flip") == 1
    assert paper.add_paper_column(out, BUILT["claims"], record) == out  # a second pass adds nothing
    assert paper.add_paper_column("<p>no table</p>", BUILT["claims"], record) == "<p>no table</p>"


def test_scorecard_and_home_totals_show_both_scales(tmp_path):
    root = tree(tmp_path)
    write_record(root, PAPER_CLAIMS)
    records = paper.load_records(root / "results" / "paper", root)
    page = scorecard_markdown([BUILT], {"kag": "KAG"}, records=records)
    assert "At the papers' sizes" in page and "Paper scale" in page and "Differ at paper scale" in page
    assert "1 source-claim verdicts differ" in page and page.count("mlpgeo-flip") == 1
    assert "Paper scale" not in scorecard_markdown([BUILT], {"kag": "KAG"})  # no records: no column
    spec = importlib.util.spec_from_file_location("mlpgeo_hooks_paper", ROOT / "overrides" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    home = hooks.totals_markdown([BUILT], records)
    assert "papers' sizes (recorded)" in home and "1 source-claim verdicts differ" in home
    assert "papers' sizes" not in hooks.totals_markdown([BUILT], None)
