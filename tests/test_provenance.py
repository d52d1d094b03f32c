"""Paper-scale records: the code hash follows the code, records keep the metrics and say where they came from."""

import json

import pytest

from mlpgeo.experiments.provenance import code_hash, record, record_all


def make_tree(root):
    (root / "mlpgeo" / "experiments").mkdir(parents=True)
    (root / "reports").mkdir()
    (root / "mlpgeo" / "a.py").write_text("x = 1\n")
    (root / "mlpgeo" / "experiments" / "b.py").write_text("y = 2\n")
    (root / "reports" / "kag.ipynb").write_text("{}")
    (root / "reports" / "bloom.ipynb").write_text("{}")


def test_code_hash_changes_with_the_code_and_only_the_report_notebook(tmp_path):
    make_tree(tmp_path)
    first = code_hash("kag", tmp_path)
    assert code_hash("kag", tmp_path) == first and len(first) == 64
    (tmp_path / "reports" / "bloom.ipynb").write_text('{"changed": 1}')
    assert code_hash("kag", tmp_path) == first  # another report's notebook does not count
    (tmp_path / "mlpgeo" / "experiments" / "bloom.py").write_text("z = 0\n")
    assert code_hash("kag", tmp_path) == first  # nor another report's experiment module
    assert code_hash("bloom", tmp_path) != code_hash("kag", tmp_path)
    (tmp_path / "mlpgeo" / "experiments" / "b.py").write_text("y = 3\n")
    assert code_hash("kag", tmp_path) != first
    with pytest.raises(ValueError, match="catalog"):
        code_hash("nope", tmp_path)
    (tmp_path / "reports" / "kag.ipynb").unlink()
    with pytest.raises(ValueError, match="does not exist"):
        code_hash("kag", tmp_path)


def test_code_hash_reads_code_not_docstrings_or_comments(tmp_path):
    make_tree(tmp_path)
    module = tmp_path / "mlpgeo" / "a.py"
    module.write_text('"""Module."""\n\ndef f(x):\n    """Double x."""\n    return 2 * x  # twice\n')
    first = code_hash("kag", tmp_path)
    module.write_text('"""Module, reworded."""\n\n\ndef f(x):\n    """Twice x.\n\n    More."""\n    return 2 * x\n')
    assert code_hash("kag", tmp_path) == first  # docstrings, comments and blank lines do not count
    module.write_text('"""Module."""\n\ndef f(x):\n    """Double x."""\n    return 3 * x\n')
    assert code_hash("kag", tmp_path) != first  # a changed line of code does
    module.write_text('def f(x):\n    "a string kept as a value" if x else None\n    return 3 * x\n')
    assert code_hash("kag", tmp_path) != first
    changed = code_hash("kag", tmp_path)
    (tmp_path / "mlpgeo" / "experiments" / "provenance.py").write_text("recorder = 1\n")
    assert code_hash("kag", tmp_path) == changed  # the recorder itself does not make numbers


def test_record_keeps_metrics_and_adds_provenance(tmp_path, monkeypatch):
    make_tree(tmp_path)
    metrics = {"report": "kag", "scale": "full", "seeds": [0, 1, 2, 3, 4], "runtime_s": 12.5, "machine": {"cpus": 2},
               "workers": {"executor": "2 local processes", "job_threads": 1}, "metrics": {"m": 1}, "claims": []}
    out = record("kag", metrics, tmp_path)
    assert {k: out[k] for k in metrics} == metrics
    provenance = out["provenance"]
    assert provenance["code_hash"] == code_hash("kag", tmp_path) and provenance["workers"] == "2 local processes"
    assert provenance["seeds"] == [0, 1, 2, 3, 4] and provenance["runtime_s"] == 12.5 and provenance["date"].endswith("Z")
    with pytest.raises(ValueError, match="scale 'full'"):
        record("kag", {**metrics, "scale": "ci"}, tmp_path)
    with pytest.raises(ValueError, match="not 'bloom'"):
        record("bloom", metrics, tmp_path)
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "kag.json").write_text(json.dumps(metrics))
    written = record_all(tmp_path / "metrics", tmp_path / "out", tmp_path)
    assert [p.name for p in written] == ["kag.json"]
    assert json.loads(written[0].read_text())["provenance"]["code_hash"] == provenance["code_hash"]
    # one file instead of a folder; an older metrics file without "workers"
    older = {k: v for k, v in metrics.items() if k != "workers"}
    (tmp_path / "metrics" / "kag.json").write_text(json.dumps(older))
    written = record_all(tmp_path / "metrics" / "kag.json", tmp_path / "out2", tmp_path)
    assert [p.name for p in written] == ["kag.json"]
    assert json.loads(written[0].read_text())["provenance"]["workers"] == "not recorded"


def test_code_hash_with_shared_texts_equals_separate_calls(tmp_path):
    make_tree(tmp_path)
    (tmp_path / "mlpgeo" / "a.py").write_text("def f(x):\n    return 2 * x\n")
    texts: dict = {}
    shared = {name: code_hash(name, tmp_path, texts) for name in ("kag", "bloom")}
    assert shared == {name: code_hash(name, tmp_path) for name in ("kag", "bloom")}
    assert shared["kag"] != shared["bloom"]
    assert (tmp_path / "mlpgeo" / "a.py") in texts  # read once, kept for the next report
    assert (tmp_path / "reports" / "kag.ipynb") in texts and (tmp_path / "reports" / "bloom.ipynb") in texts
