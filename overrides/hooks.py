"""MkDocs hooks: pages generated from the executed reports at build time.

- ``scorecard.md``: rendered from ``metrics/*.json`` by :func:`mlpgeo.report.scorecard_markdown`.
- ``assets/figures/<report>.png``: one figure per report for the home page (the output of the cell
  tagged ``home-figure``, else the report's first figure).
- the home page's totals and report cards (markers in ``docs/index.md``).
- on API pages, Sphinx-style roles left in docstrings (``:func:`train```) become links to the object.
- a box under the title of every report page: source, download, metrics, rerun commands, scale and run time.
"""

from __future__ import annotations

import base64
import html
import importlib
import importlib.util
import json
import re
from pathlib import Path

from mkdocs.structure.files import File, Files

from mlpgeo.report import load_metrics, notebook_timing, run_time, scorecard_markdown, verdict_totals

REPORTS = {
    "hashing": ("MLPs as hashing functions", "000", "Neurons as hyperplanes, codes as hashes, exact linear regions, wide vs deep, bias, LoRA."),
    "kag": ("Kolmogorov-Arnold geometry", "001", "Jacobian minors of MNIST MLPs: participation ratio, KL, rotation ratio across spatial scales."),
    "bloom": ("Bloom filters in tiny ReLU networks", "002", "Do 1-hidden-layer ReLU nets solve a sparse top-k task with a learned Bloom filter?"),
    "vq_kernels": ("VQ-kernels", "003", "Hamming distance of activation patterns as a kernel on the input space."),
    "function_approximation": ("Key-value memory and x²", "004", "An MLP fitted to x², read as keys (activations) and values (effective output weights)."),
}
# The source documents as the reports cite them (the texts are in the project's shared seeds folder).
SOURCES = {
    "hashing": '"Understanding MLPs as Hashing Functions: A Geometric Perspective", blog post by S. Shekkizhar (Tenyx, 2024)',
    "kag": 'a popular summary of "Scale-Agnostic Kolmogorov-Arnold Geometry in Neural Networks" by Vanherreweghe, '
    'Freedman and Adams (<a href="https://arxiv.org/abs/2511.21626">arXiv 2511.21626</a>)',
    "bloom": 'a digest of "Neural Networks learn Bloom Filters" by A. Gibson (2026)',
    "vq_kernels": '"VQ-Kernels: Unraveling Deep Learning of High-Dimensional Data Geometry" by Roddenberry, Walker, '
    "Coifman, Balestriero and Baraniuk",
    "function_approximation": 'the marimo notebook "MLP Function Approximation" (2026)',
}
TOTALS_MARKER = "<!-- mlpgeo:totals -->"
CARDS_MARKER = "<!-- mlpgeo:reports -->"


def metrics_of(config) -> list[dict]:
    """The metrics files of the executed reports (empty if none were executed), each with the
    ``"execution"`` timing of its executed notebook (see :func:`mlpgeo.report.notebook_timing`)."""
    folder = Path(config["docs_dir"]) / "metrics"
    reports = load_metrics(folder) if folder.is_dir() else []
    for report in reports:
        notebook = Path(config["docs_dir"]) / "reports" / f"{report['report']}.ipynb"
        report["execution"] = notebook_timing(json.loads(notebook.read_text())) if notebook.exists() else None
    return reports


def home_figure(notebook: Path) -> bytes | None:
    """PNG bytes of the notebook's figure tagged ``home-figure`` (else its first PNG output)."""
    cells = json.loads(notebook.read_text())["cells"]
    tagged = [c for c in cells if "home-figure" in c.get("metadata", {}).get("tags", [])]
    for cell in tagged + cells:
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png:
                return base64.b64decode("".join(png) if isinstance(png, list) else png)
    return None


def on_files(files: Files, config) -> Files:
    titles = {name: title for name, (title, _, _) in REPORTS.items()}
    files.append(File.generated(config, "scorecard.md", content=scorecard_markdown(metrics_of(config), titles)))
    for name in REPORTS:
        notebook = Path(config["docs_dir"]) / "reports" / f"{name}.ipynb"
        figure = home_figure(notebook) if notebook.exists() else None
        if figure is not None:
            files.append(File.generated(config, f"assets/figures/{name}.png", content=figure))
    return files


def totals_markdown(reports: list[dict]) -> str:
    """The verdict totals as a one-row table for the home page."""
    totals = verdict_totals(reports)
    head = " | ".join(f'<span class="verdict" data-verdict="{v}">{v}</span>' for v in totals)
    return f"| {head} | all claims |\n|" + "---:|" * (len(totals) + 1) + "\n| " + " | ".join(
        str(n) for n in totals.values()
    ) + f" | {sum(totals.values())} |\n"


def cards_markdown(reports: list[dict], files: Files) -> str:
    """One card per report: title, figure, summary and its verdict counts."""
    by_name = {r["report"]: r for r in reports}
    cards = []
    for name, (title, number, summary) in REPORTS.items():
        figure = f'<img src="assets/figures/{name}.png" alt="A figure of the {html.escape(title)} report">' if files.get_file_from_path(f"assets/figures/{name}.png") else ""
        report = by_name.get(name)
        counts = ", ".join(f"{n} {v}" for v, n in verdict_totals([report]).items() if n) if report else "not executed"
        cards.append(
            f'<div class="mlpgeo-card" markdown>\n\n### [{title}](reports/{name}.ipynb)\n\n{figure}\n\n'
            f"{summary} Source: document {number}.\n\n*Claims: {counts}.*\n\n</div>"
        )
    return '<div class="mlpgeo-cards" markdown>\n\n' + "\n\n".join(cards) + "\n\n</div>\n"


def on_page_markdown(markdown: str, page, config, files: Files) -> str:
    if page.file.src_uri != "index.md":
        return markdown
    reports = metrics_of(config)
    return markdown.replace(TOTALS_MARKER, totals_markdown(reports)).replace(CARDS_MARKER, cards_markdown(reports, files))


def reads_seed_option(notebook: Path) -> bool:
    """Whether the notebook takes its seeds from ``mlpgeo.config.seeds`` (so ``MLPGEO_SEEDS`` applies)."""
    if not notebook.exists():
        return False
    cells = json.loads(notebook.read_text())["cells"]
    return any("config.seeds(" in "".join(c["source"]) for c in cells if c["cell_type"] == "code")


def report_box(name: str, report: dict | None, seed_option: bool) -> str:
    """The header box of a report page (links are relative to reports/<name>/)."""
    _, number, _ = REPORTS[name]
    run = (
        f"executed at scale <code>{report['scale']}</code> with seeds {', '.join(map(str, report['seeds']))} "
        f"in {run_time(report):.0f} s"
        if report
        else "not executed in this build"
    )
    seeds = (
        f"other seeds: <code>MLPGEO_SEEDS=0,1,2,3,4 make report NAME={name}</code>."
        if seed_option
        else "the seeds are set in the notebook's setup cell (<code>SEEDS = ...</code>): edit them there to try others."
    )
    return (
        '<div class="mlpgeo-report-box">'
        f"<p><strong>Source:</strong> {SOURCES[name]} (document {number} of the project). "
        f"<strong>This build:</strong> {run}.</p>"
        f'<p><a href="{name}.ipynb" download>Download the notebook</a> · '
        f'<a href="../../metrics/{name}.json">metrics file (JSON)</a> · '
        f'<a href="../../scorecard/">scorecard</a> · <a href="../../rerun/">how to rerun</a></p>'
        f"<p><strong>Rerun:</strong> <code>make report NAME={name}</code> (default scale <code>ci</code>) or "
        f"<code>MLPGEO_SCALE=full make report NAME={name}</code> (the papers' sizes); {seeds}</p>"
        "</div>"
    )


ROLE = re.compile(r":(?:func|class|mod|meth|attr|data|obj):<code>~?([\w.]+)</code>")


def defined_in(module: str, name: str) -> bool:
    """Whether ``mlpgeo.<module>`` itself defines the function or class ``name`` (or ``Class.member``) with a
    docstring: mkdocstrings gives only those an anchor (not imports, not undocumented objects)."""
    try:
        obj = importlib.import_module(f"mlpgeo.{module}")
    except ImportError:
        return False
    first, *rest = name.split(".")
    top = getattr(obj, first, None)
    if getattr(top, "__module__", None) != f"mlpgeo.{module}":
        return False
    for part in rest:
        top = getattr(top, part, None)
    return top is not None and bool(getattr(top, "__doc__", None))


def role_link(target: str, module: str, content: str) -> str:
    """HTML for a docstring role's target on the API page of ``mlpgeo.<module>``: a link if it has an anchor."""
    code = f"<code>{target}</code>"
    if target.startswith("mlpgeo."):
        parts = target.split(".")
        if len(parts) == 2:  # a module: its API page, if it has one
            return f'<a href="../{parts[1]}/">{code}</a>' if importlib.util.find_spec(target) else code
        if defined_in(parts[1], ".".join(parts[2:])):
            return f'<a href="../{parts[1]}/#{target}">{code}</a>'
        return code
    anchor = f"mlpgeo.{module}.{target}"
    return f'<a href="#{anchor}">{code}</a>' if f'id="{anchor}"' in content else code


def link_roles(content: str, module: str) -> str:
    """Replace ``:func:<code>name</code>`` (a role mkdocstrings leaves as text) by a link or plain code."""
    return ROLE.sub(lambda m: role_link(m.group(1), module, content), content)


def on_page_content(content: str, page, config, files: Files) -> str:
    src = page.file.src_uri
    if src.startswith("api/") and src != "api/index.md":
        return link_roles(content, Path(src).stem)
    if not (src.startswith("reports/") and src.endswith(".ipynb")):
        return content
    name = Path(src).stem
    if name not in REPORTS:
        return content
    report = next((r for r in metrics_of(config) if r["report"] == name), None)
    notebook = Path(config["docs_dir"]) / src
    box = report_box(name, report, reads_seed_option(notebook))
    title_end = content.find("</h1>")  # below the report's title, above its text
    if title_end < 0:
        return box + content
    title_end += len("</h1>")
    return content[:title_end] + box + content[title_end:]
