"""The site's build code (overrides/hooks.py and overrides/mlpgeo_site/), without building the site.

Metrics reading and the scorecard (moved here from mlpgeo.report), the readable verdict table, the
notebook-page transform on real mkdocs-jupyter output, figures, references, search cleaning, source pages,
navigation titles and the MathJax decision.
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import inspect
import io
import json
import pkgutil
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from mkdocs.structure.files import File, Files
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "overrides"))

import mlpgeo  # noqa: E402
from mlpgeo.experiments.catalog import REPORTS  # noqa: E402
from mlpgeo.report import ClaimTable, Recorder, summarize  # noqa: E402
from mlpgeo_site import notebook, references, search, sources  # noqa: E402
from mlpgeo_site.scorecard import (  # noqa: E402
    heading_anchor,
    load_metrics,
    notebook_timing,
    run_time,
    scorecard_markdown,
    verdict_totals,
)


def load_hooks():
    spec = importlib.util.spec_from_file_location("mlpgeo_hooks_under_test", ROOT / "overrides" / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = load_hooks()


def claim(id="c1", **changes):
    fields = dict(id=id, kind="source", claim="Only a few codes hold data.", source_value=7,
                  criterion="reproduced if fewer than half of the regions hold data in every seed",
                  measured={"codes_with_data": summarize([6, 7, 9]), "n_regions": 32}, verdict="partly reproduced",
                  section="1. Codes | hashes")
    fields.update(changes)
    return fields


def report(name="hashing", claims=None):
    rec = Recorder(name, seeds=[0, 1, 2])
    data = rec.as_dict()
    data["claims"] = claims if claims is not None else [
        claim(), claim("c2", kind="check", claim="Trained kernels agree.", source_value=0.55,
                       measured={"cosine": 0.61}, verdict="reproduced", section="Kernels")]
    return data


# ----------------------------------------------------------------------------- metrics and the scorecard

def test_load_metrics_reads_old_files_and_rejects_broken_ones(tmp_path):
    old = report(claims=[{k: v for k, v in claim().items() if k not in ("kind", "criterion")}])
    (tmp_path / "hashing.json").write_text(json.dumps(old))
    assert load_metrics(tmp_path)[0]["claims"][0]["claim"] == "Only a few codes hold data."
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="bad.json"):
        load_metrics(tmp_path)
    (tmp_path / "bad.json").write_text(json.dumps({"report": "bad"}))
    with pytest.raises(ValueError, match="lacks"):
        load_metrics(tmp_path)
    broken = report(claims=[claim(verdict="sort of")])
    (tmp_path / "bad.json").write_text(json.dumps(broken))
    with pytest.raises(ValueError, match="unknown verdict"):
        load_metrics(tmp_path)


@pytest.mark.parametrize(
    "heading",
    ["Verdicts", "1. Neurons as hyperplanes, codes as hashes", "Wide vs deep (2-D)", "LoRA: rank 1–4", "x² and the key–value view", "  spaced   out  "],
)
def test_heading_anchor_matches_the_site_renderer(heading):
    slugify = pytest.importorskip("mkdocs_jupyter.utils").slugify
    strings = pytest.importorskip("nbconvert.filters.strings")
    assert heading_anchor(heading) == strings._convert_header_id(slugify(heading))


def test_scorecard_has_one_row_per_claim_totals_and_full_sources():
    reports = [report("hashing"), report("kag")]
    page = scorecard_markdown(reports, {"hashing": "Hashing report"}, {"hashing": "The full source, 2024"})
    assert page.count('<td data-label="Claim">') == 4
    assert 'href="../reports/hashing/#1-codes-hashes"' in page  # the evidence, by the site's anchor
    assert "Only a few codes hold data." in page and "Hashing report" in page and "The full source, 2024" in page
    # the totals count source claims; the checks (our own derivations) are listed apart and counted apart
    assert verdict_totals(reports) == {"reproduced": 0, "partly reproduced": 2, "not reproduced": 0, "not testable": 0}
    assert verdict_totals(reports, "check") == {"reproduced": 2, "partly reproduced": 0, "not reproduced": 0, "not testable": 0}
    assert 'data-verdict="partly reproduced">partly reproduced</span> | 2 |' in page
    assert 'data-verdict="reproduced">reproduced</span> | 0 |' in page
    claims_part, checks_part = page.split("## Claims")[1].split("## Checks")
    assert claims_part.count('<td data-label="Claim">') == 2 and "Trained kernels agree." not in claims_part
    assert checks_part.split("## Run time")[0].count("Trained kernels agree.") == 2
    assert "reproduced if fewer than half" in page  # the rule
    assert "6.0 ± 0.0" not in page and "7.33 ± 1.53 (n=3)" in page  # the deciding number with spread and n
    assert "1 more" in page  # the other measurements folded


def test_scorecard_follows_the_title_order_and_names_each_section():
    reports = [report("vq_kernels"), report("hashing"), report("kag")]
    page = scorecard_markdown(reports, {"vq_kernels": "Zeta", "kag": "Mid"})
    order = [m.group(1) for m in re.finditer(r'^### <a href="\.\./reports/(\w+)/">', page, re.M)]
    assert order == ["vq_kernels", "kag", "hashing"]
    assert "§ 1. Codes | hashes" in page


def notebook_with_timing(*spans):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# T"}]
    for busy, reply in spans:
        cells.append({"cell_type": "code", "metadata": {"execution": {
            "iopub.status.busy": busy, "iopub.execute_input": busy, "shell.execute_reply": reply}}})
    return {"cells": cells}


def test_notebook_timing_spans_first_start_to_last_reply():
    nb = notebook_with_timing(
        ("2026-01-01T10:00:00.000000Z", "2026-01-01T10:00:01.500000Z"),
        ("2026-01-01T10:00:01.600000Z", "2026-01-01T10:02:05.250000Z"),
    )
    assert notebook_timing(nb) == {"seconds": 125.2, "finished": "2026-01-01T10:02:05.250000Z"}
    assert notebook_timing({"cells": [{"cell_type": "code", "metadata": {}}]}) is None
    data = report()
    assert run_time(data) == data["runtime_s"]
    data["execution"] = notebook_timing(nb)
    assert run_time(data) == 125.2
    page = scorecard_markdown([data], {})
    assert "<td data-label=\"Run time\">125 s</td>" in page and "2026-01-01 10:02:05" in page


# ----------------------------------------------------------------------------- the verdict table

def test_claim_table_is_readable_html():
    claims = [claim(), claim("old", measured={"m": 1}), {k: v for k, v in claim("x").items() if k != "criterion"}]
    table = ClaimTable(claims)
    page = table._repr_html_()
    assert page.startswith('<table class="mlpgeo-stack mlpgeo-claims">')
    assert [h for h in re.findall(r"<th>(\w+)</th>", page)] == ["Claim", "Verdict", "Measured", "Rule", "Evidence"]
    assert page.count("<tr>") == 4 and 'data-label="Measured"' in page
    assert 'class="verdict" data-verdict="partly reproduced"' in page
    assert "codes_<wbr>with_<wbr>data" in page and "7.33 ± 1.53 (n=3)" in page and "1 more" in page
    assert 'href="#1.-Codes-|-hashes"' in page and 'data-section="1. Codes | hashes"' in page  # Jupyter's anchor
    assert "(not recorded)" in page  # an old claim without its rule
    assert "claim of the source" in page
    long = ClaimTable([claim(measured={"cells": list(range(500))})])._repr_html_()
    assert "all numbers in the metrics file" in long and len(long) < 3000
    markdown = table._repr_markdown_().splitlines()
    assert markdown[0] == "| Claim | Verdict | Measured | Rule | Evidence |" and len(markdown) == 5


# ----------------------------------------------------------------------------- notebook pages

def png(width: int, height: int, color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="png")
    return out.getvalue()


def gif(frames: int = 4) -> bytes:
    images = [Image.new("P", (60, 40), i * 40) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format="gif", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


def rendered_notebook(tmp_path, claims=None) -> str:
    """A small executed notebook as mkdocs-jupyter renders it."""
    nbformat = pytest.importorskip("nbformat")
    convert = pytest.importorskip("mkdocs_jupyter.nbconvert2")
    nb = nbformat.v4.new_notebook()
    figure = (f'<figure class="mlpgeo-figure"><img src="data:image/png;base64,{base64.b64encode(png(800, 400)).decode()}" '
              'alt="Two red rectangles" width="400" height="200"><figcaption>The curves meet at $x = 0$: look at '
              "the crossing.</figcaption></figure>")
    animation = f'<img src="data:image/gif;base64,{base64.b64encode(gif()).decode()}" alt="A lookup trace" style="width:100%">'
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A notebook title\n\nIntro citing He et al. 2021 and $z = Wx + b$."),
        nbformat.v4.new_code_cell("import numpy as np\nprint('hi')", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="\n".join(f"line {i}" for i in range(40)) + "\n")]),
        nbformat.v4.new_markdown_cell("## 1. Codes | hashes\n\nText of the first section."),
        nbformat.v4.new_code_cell("show()", outputs=[nbformat.v4.new_output("display_data", data={"text/html": figure, "text/plain": "fig"})]),
        nbformat.v4.new_code_cell("plt.show()", outputs=[nbformat.v4.new_output(
            "display_data", data={"image/png": base64.b64encode(png(300, 100)).decode(), "text/plain": "<Figure>"})]),
        nbformat.v4.new_code_cell("gif()", outputs=[nbformat.v4.new_output("display_data", data={"text/html": animation, "text/plain": "gif"})]),
        nbformat.v4.new_code_cell("table()", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/html": ClaimTable(claims or [claim()])._repr_html_(), "text/plain": "t"}, execution_count=5)]),
    ]
    for count, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = count + 1
    path = tmp_path / "demo.ipynb"
    path.write_text(nbformat.writes(nb))
    return convert.nb2html(str(path), execute=False, theme="light", allow_errors=False, show_input=True, no_input=False,
                           no_prompt=False, remove_tag_config={}, highlight_extra_classes="", include_requirejs=False,
                           custom_mathjax_url="")


@pytest.fixture(scope="module")
def transformed(tmp_path_factory):
    html = rendered_notebook(tmp_path_factory.mktemp("nb"))
    return html, notebook.transform(html, "The catalog title")


def test_notebook_page_loses_inline_css_scripts_prompts_and_shows_code_folded(transformed):
    before, page = transformed
    assert "<style" in before and "<script" in before and re.search(r"In\s\[1\]:", before)
    assert "<style" not in page.html and "<script" not in page.html and not re.search(r"In\s\[\d+\]:", page.html)
    assert "clipboard-copy" not in page.html and "Copied!" not in page.html
    assert len(page.html) < len(before) / 5
    assert page.html.count('<details class="mlpgeo-code" data-search-exclude="">') == 5
    assert "<!--" not in page.html
    assert "<summary>Show code (2 lines)</summary>" in page.html
    assert re.search(r'<div class="highlight"><pre><code>.*import', page.html, re.S)


def test_notebook_page_folds_long_output_and_keeps_it_out_of_search(transformed):
    _, page = transformed
    assert "<summary>Printed output (40 lines)</summary>" in page.html
    assert page.html.count("data-search-exclude") >= 5 + 3  # code cells, printed output, table, the rest


def test_notebook_figures_are_numbered_captioned_and_written_to_files(transformed):
    _, page = transformed
    assert [f.number for f in page.figures] == [1, 2, 3]
    first, bare, animation = page.figures
    assert not first.auto and first.alt == "Two red rectangles" and first.caption.startswith("The curves meet")
    assert set(first.files) == {"figure-1.png", "figure-1-1x.png"}  # the 2x image and its display-size copy
    assert Image.open(io.BytesIO(first.files["figure-1-1x.png"])).size == (400, 200)
    assert '<figure class="mlpgeo-figure" id="figure-1">' in page.html
    assert '<a class="mlpgeo-figure-link" href="figure-1.png"' in page.html
    assert 'srcset="figure-1-1x.png 1x, figure-1.png 2x"' in page.html
    assert '<a class="mlpgeo-figure-number" href="#figure-1">Figure 1.</a> The curves meet at $x = 0$' in page.html
    assert "data:image" not in page.html
    assert bare.auto and "section “1. Codes | hashes”" in bare.alt  # a plt.show() figure: marked, stand-in text
    assert 'id="figure-2" data-mlpgeo-auto=""' in page.html or 'data-mlpgeo-auto="" id="figure-2"' in page.html
    assert not animation.auto and animation.caption == "A lookup trace"
    assert list(animation.files) in (["figure-3.webp"], ["figure-3.gif"])


def test_prefetched_figure_versions_give_the_same_page(tmp_path):
    html = rendered_notebook(tmp_path)
    images = notebook.notebook_images(json.loads((tmp_path / "demo.ipynb").read_text())["cells"])
    assert [(kind, width, height) for kind, _, width, height in images] == [("png", 400, 200), ("png", None, None),
                                                                            ("gif", None, None)]
    assert images[0][1] == png(800, 400) and images[2][1] == gif()
    reference = notebook.transform(html, "T")
    for known in (images, images[:1], []):  # all prefetched, one (the others computed on the spot), none
        with ThreadPoolExecutor(1) as executor:
            versions = notebook.PrefetchedVersions(known, executor)
            page = notebook.transform(html, "T", versions=versions)
        assert versions.hits == len(known) == len(versions)
        assert page.html == reference.html and page.files == reference.files


def test_hooks_prefetch_figures_only_with_workers(tmp_path, monkeypatch):
    rendered_notebook(tmp_path)
    (tmp_path / "reports").mkdir()
    (tmp_path / "demo.ipynb").rename(tmp_path / "reports" / "demo.ipynb")
    files = Files([File("reports/demo.ipynb", str(tmp_path), str(tmp_path / "site"), use_directory_urls=True),
                   File("index.md", str(tmp_path), str(tmp_path / "site"), use_directory_urls=True)])
    monkeypatch.setenv("MLPGEO_WORKERS", "1")
    hooks.start_prefetch(files)
    assert "prefetch" not in hooks._build
    monkeypatch.setenv("MLPGEO_WORKERS", "2")
    hooks.start_prefetch(files)
    try:
        prefetch = hooks._build["prefetch"]
        assert prefetch["threads"] == 1 and len(prefetch["versions"]) == 3
        kind, data, width, height = notebook.notebook_images(json.loads((tmp_path / "reports" / "demo.ipynb").read_text())["cells"])[0]
        assert prefetch["versions"](kind, data, width, height) == notebook.image_versions(kind, data, width, height)
    finally:
        hooks.stop_prefetch()
    assert "prefetch" not in hooks._build


def test_notebook_title_headings_evidence_and_prose(transformed):
    _, page = transformed
    assert re.search(r"<h1[^>]*>The catalog title<a class=\"headerlink\"", page.html)
    assert page.headings["1. Codes | hashes"] == "1-codes-hashes" or page.headings["1. Codes | hashes"]
    anchor = page.headings["1. Codes | hashes"]
    assert f'data-section="1. Codes | hashes" href="#{anchor}"' in page.html or f'href="#{anchor}" data-section' in page.html
    assert "He et al. 2021" in page.prose and "import numpy" not in page.prose
    assert 'class="jp-Cell jp-MarkdownCell' not in page.html  # markdown cells flattened for search sections


def test_old_verdict_tables_are_drawn_again_from_the_metrics(tmp_path):
    old = ('<table class="mlpgeo-claims"><thead><tr><th>Claim</th><th>Source</th><th>Measured</th><th>Verdict</th></tr>'
           "</thead><tbody><tr><td>A</td><td>7</td><td>m: 1; n: 2</td><td>reproduced</td></tr></tbody></table>")
    page = notebook.transform(f'<div class="jp-OutputArea-output">{old}</div>', None, [claim()])
    assert 'class="mlpgeo-stack mlpgeo-claims"' in page.html and "Only a few codes hold data." in page.html
    kept = notebook.transform(f'<div class="jp-OutputArea-output">{old}</div>', None, [claim(), claim("c2")])
    assert 'class="mlpgeo-stack' not in kept.html  # a different number of claims: left as it was


# ----------------------------------------------------------------------------- references, search, sources

def test_references_find_the_works_cited_in_passing():
    text = ("as He et al. 2021 found; Hanin and Rolnick 2019; the Montúfar et al. bound; local complexity "
            "(Humayun et al. 2024); LoRA; Geva et al.")
    keys = [w.key for w in references.cited(text)]
    assert keys == ["montufar2014", "hanin2019a", "hanin2019b", "he2021", "humayun2024", "hu2021", "geva2021"]
    section = references.references_html("The source", "https://example.org/paper", text)
    assert section.startswith('<h2 id="references">References</h2>')
    assert '<li id="ref-source">The source (the source document of this report) <a href="https://example.org/paper">' in section
    assert "arxiv.org/abs/2101.05490" in section
    assert references.uncited_mentions("see Smith et al. 2020 and He et al. 2021") == ["Smith et al."]


def test_every_work_the_reports_cite_has_a_reference():
    missing = {}
    for path in sorted((ROOT / "reports").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        found = references.uncited_mentions(text)
        if found:
            missing[path.name] = found
    assert not missing, f"citations with no entry in overrides/mlpgeo_site/references.py: {missing}"


def test_every_reference_has_a_public_link():
    assert all(work.link.startswith("https://") for work in references.WORKS)
    assert len({work.key for work in references.WORKS}) == len(references.WORKS)


@pytest.mark.parametrize(
    ("tex", "text"),
    [(r"\(z = W x + b\)", "z = W x + b"), (r"$\lVert m \rVert_2 \le 1$", "‖ m ‖_2 ≤ 1"), (r"$10^{-3}$", "10⁻³"),
     (r"$$\frac{a}{b} \in \mathbb{R}$$", "(a)/(b) ∈ ℝ"), (r"$\text{PR}(x)$", "PR(x)"), ("costs 5$ only", "costs 5$ only")],
)
def test_search_text_has_no_raw_tex(tex, text):
    assert search.clean_text(tex) == text


def test_search_index_is_cleaned_in_place(tmp_path):
    path = tmp_path / "search_index.json"
    path.write_text(json.dumps({"config": {}, "docs": [{"location": "a/", "title": r"On \(x^2\)", "text": "<p>$\\alpha$ and b</p>"}]}))
    stats = search.clean_index(path)
    doc = json.loads(path.read_text())["docs"][0]
    assert doc == {"location": "a/", "title": "On x²", "text": "<p>α and b</p>"} and stats["entries"] == 1


def test_source_pages_number_and_anchor_every_line(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text('"""A package."""\n')
    (package / "sub" / "mod.py").write_text("def f(x):\n    return x + 1\n")
    pages = sources.source_pages(package, "https://github.com/o/r/blob/main")
    assert set(pages) == {"source/pkg/__init__.py", "source/pkg/__init__.py.html", "source/pkg/sub/mod.py", "source/pkg/sub/mod.py.html"}
    page = pages["source/pkg/sub/mod.py.html"].decode()
    assert 'id="L1"' in page and 'id="L2"' in page and 'id="L3"' not in page
    assert 'href="https://github.com/o/r/blob/main/pkg/sub/mod.py"' in page


def test_api_objects_link_to_their_source_lines():
    module, first, last = sources.object_lines("mlpgeo.report.summarize")
    lines = (ROOT / "mlpgeo" / "report.py").read_text().splitlines()
    assert module == "mlpgeo.report" and lines[first - 1].startswith("def summarize(") and last > first
    assert sources.object_lines("mlpgeo.report.REPORTS") is None  # imported, not defined there
    assert sources.module_file("mlpgeo.experiments.catalog") == "mlpgeo/experiments/catalog.py"
    html = ('<h1>mlpgeo.report</h1><div class="doc"><h2 id="mlpgeo.report.summarize" class="doc doc-heading">summarize</h2>'
            '<div class="doc-signature">summarize(values)</div><div class="doc-contents"><table><tr><td>x</td></tr></table></div></div>')
    linked = sources.link_sources(html, "mlpgeo.report", 2, "https://github.com/o/r/blob/v1")
    assert f'href="../../source/mlpgeo/report.py.html#L{first}"' in linked
    assert f'href="https://github.com/o/r/blob/v1/mlpgeo/report.py#L{first}-L{last}"' in linked
    assert linked.startswith('<h1>mlpgeo.report</h1><p class="mlpgeo-source-file">Source: <a href="../../source/mlpgeo/report.py.html">')
    assert linked.count("data-search-exclude") == 2  # signature and parameter table



def documented_names(module) -> list[str]:
    """Qualified names of the functions and classes ``module`` defines, with their methods and properties."""
    names = []
    for name, obj in vars(module).items():
        if getattr(obj, "__module__", None) != module.__name__ or not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        names.append(f"{module.__name__}.{name}")
        if inspect.isclass(obj):
            names += [f"{module.__name__}.{name}.{member}" for member, value in vars(obj).items()
                      if inspect.isfunction(value) or isinstance(value, (property, staticmethod, classmethod))]
    return names


def test_object_lines_table_equals_inspect_for_every_object_of_the_package():
    tables: dict = {}
    checked = 0
    for info in pkgutil.walk_packages(mlpgeo.__path__, "mlpgeo."):
        module = importlib.import_module(info.name)
        for name in documented_names(module):
            assert sources.object_lines(name, tables) == sources.object_lines(name), name
            checked += 1
    assert checked > 300 and "mlpgeo.report" in tables  # the fast path ran, on the whole package


def test_definition_lines_counts_decorators_and_nesting(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("import functools\n\n\n@functools.cache\ndef f(x):\n    return x\n\n\nclass C:\n"
                    "    @property\n    def p(self):\n        return 1\n\n    class D:\n        pass\n")
    assert sources.definition_lines(path) == {"f": (4, 6), "C": (9, 15), "C.p": (10, 12), "C.D": (14, 15)}


# ----------------------------------------------------------------------------- hooks

def test_nav_titles_come_from_the_catalog_and_missing_pages_are_left_out(tmp_path):
    (tmp_path / "reports").mkdir()
    for name in ("hashing", "kag"):
        (tmp_path / "reports" / f"{name}.ipynb").write_text("{}")
    (tmp_path / "index.md").write_text("#")
    nav = [{"Home": "index.md"}, {"Own model": "own_model.ipynb"},
           {"Reports": ["reports/hashing.ipynb", {"An old title": "reports/kag.ipynb"}, "reports/bloom.ipynb"]},
           {"Scorecard": "scorecard.md"}, {"Elsewhere": "https://example.org"}]
    assert hooks.nav_with_titles(nav, tmp_path) == [
        {"Home": "index.md"},
        {"Reports": [{REPORTS["hashing"].title: "reports/hashing.ipynb"}, {REPORTS["kag"].title: "reports/kag.ipynb"}]},
        {"Scorecard": "scorecard.md"}, {"Elsewhere": "https://example.org"},
    ]


def test_mathjax_only_where_there_is_math():
    assert hooks.has_math('<p>A map <span class="arithmatex">\\(f\\)</span></p>')
    assert hooks.has_math("<p>Notebook math $z = Wx + b$ in prose.</p>")
    assert not hooks.has_math("<p>No math here.</p><pre>price = $5 and $6</pre><code>$x$</code>")
    assert not hooks.has_math("<p>It costs 5 $ and 6 $.</p>")


def test_page_only_assets_leave_other_pages():
    page = type("P", (), {"file": type("F", (), {"src_uri": "index.md"})()})()
    html = ('<link rel="stylesheet" href="../stylesheets/playground.css"><script src="../javascripts/playground.js"></script>'
            '<script src="../javascripts/other.js"></script>')
    assert hooks.on_post_page(html, page, {}) == '<script src="../javascripts/other.js"></script>'
    page.file.src_uri = "playground.md"
    assert hooks.on_post_page(html, page, {}) == html


def test_install_note_says_how_to_run_the_notebook(monkeypatch):
    monkeypatch.setenv("MLPGEO_REPO_URL", "https://github.com/o/mlpgeo")
    note = hooks.install_note("kag", {"scale": "ci", "seeds": [0, 1]})
    assert "git clone https://github.com/o/mlpgeo" in note and "make setup" in note and "make report NAME=kag" in note
    assert "seeds 0, 1" in note and "from mlpgeo import" in note
    monkeypatch.delenv("MLPGEO_REPO_URL")
    assert "git clone" not in hooks.install_note(None, None) and "docs/own_model.ipynb" in hooks.install_note(None, None)


def test_home_figure_reads_html_figures_and_makes_thumbnails(tmp_path):
    image = png(1600, 800)
    html = f'<figure class="mlpgeo-figure"><img src="data:image/png;base64,{base64.b64encode(image).decode()}" alt="What it shows"></figure>'
    path = tmp_path / "r.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "source": "", "outputs": [
        {"output_type": "display_data", "data": {"text/html": html}, "metadata": {}}]}]}))
    found, alt = hooks.home_figure(path)
    assert found == image and alt == "What it shows"
    assert Image.open(io.BytesIO(hooks.thumbnail(found))).size == (640, 320)


def test_api_cross_references_in_notebooks_become_links(monkeypatch):
    monkeypatch.setattr(hooks, "_api", {"mlpgeo.report": "api/report/", "mlpgeo.experiments.catalog": "api/catalog/"})
    page = "<p>Use [summarize][mlpgeo.report.summarize], [the recorder][mlpgeo.report] and [x][mlpgeo.report.nothing].</p>"
    assert hooks.link_references(page, "../") == (
        '<p>Use <a href="../api/report/#mlpgeo.report.summarize">summarize</a>, '
        '<a href="../api/report/">the recorder</a> and [x][mlpgeo.report.nothing].</p>')


def test_home_totals_count_source_claims_and_name_the_checks():
    reports = [report("hashing"), report("kag")]
    totals = hooks.totals_markdown(reports)
    assert "all source claims" in totals and totals.splitlines()[2].endswith("| 2 |")
    assert "Not counted: 2 checks" in totals and "scorecard.md#checks" in totals
