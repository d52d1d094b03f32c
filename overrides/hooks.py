"""MkDocs hooks: the site built around the executed reports (the code lives in ``overrides/mlpgeo_site/``).

- Navigation: report titles from ``mlpgeo.experiments.catalog`` (one title everywhere); pages, styles and
  scripts not in this build (not written yet) are left out with a note in the log.
- ``scorecard.md``: rendered from ``metrics/*.json`` (:mod:`mlpgeo_site.scorecard`).
- Paper scale (:mod:`mlpgeo_site.paper`): the recorded runs in ``results/paper/`` beside the built verdicts, on
  the scorecard, the home page and every report's verdict table (differences and stale records marked); the
  records are copied to ``metrics/paper/``.
- The home page: verdict totals and one card per report (title, figure, summary, full source name).
- Report and notebook pages (:mod:`mlpgeo_site.notebook`): code folded (shown on the "own model" guide,
  where the code is the point), long output folded, figures
  numbered, captioned, written to files and linked full size; a box under the title (source, download,
  metrics, rerun); a references section (:mod:`mlpgeo_site.references`).
- API pages: docstring roles (``:func:`train```) become links; every function and class links to its
  source lines (:mod:`mlpgeo_site.sources`), copied into the site with the whole package.
- MathJax only on pages with math (``overrides/main.html`` reads ``page.meta.mlpgeo_math``); the
  playground's script and style only on the playground page.
- After the build: figure files and source pages written, an install-and-run note put at the top of every
  downloadable notebook, the search index cleaned of raw TeX (:mod:`mlpgeo_site.search`).

``MLPGEO_REPO_URL`` (e.g. ``https://github.com/<owner>/mlpgeo``) adds the repository link in the header and
links to the repository's files at ``MLPGEO_REPO_REF`` (default ``main``).
"""

from __future__ import annotations

import html
import importlib
import importlib.util
import io
import json
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

from mkdocs.structure.files import File, Files
from PIL import Image

import mlpgeo
from mlpgeo.experiments.catalog import REPORTS
from mlpgeo.experiments.jobs import workers
from mlpgeo_site import notebook, paper, references, scorecard, search, sources

log = logging.getLogger("mkdocs.hooks.mlpgeo")

TOTALS_MARKER = "<!-- mlpgeo:totals -->"
CARDS_MARKER = "<!-- mlpgeo:reports -->"
MODULES_MARKER = "<!-- mlpgeo:api-modules -->"
EXPERIMENTS_MARKER = "<!-- mlpgeo:experiments -->"
GENERATED_PAGES = {"scorecard.md"}
"""Pages the hooks write themselves (the navigation keeps them although docs/ lacks them)."""
NOTEBOOK_PAGES = re.compile(r"^(?:reports/[\w-]+|own_model)\.ipynb$")
PAGE_ONLY_ASSETS = {"playground.md": ("javascripts/playground.js", "stylesheets/playground.css")}
"""Scripts and styles listed in mkdocs.yml that only one page and the pages embedding it use (removed from every
other page)."""
THUMBNAIL_WIDTH = 640
RAW_MATH = re.compile(r"\$\$.+?\$\$|(?<![\w$\\])\$[^\s$][^$\n]{0,400}?\$(?![\w$])|\\\(|\\\[", re.S)

_build: dict[str, dict] = {"files": {}, "notebooks": {}}
"""What one build collects for on_post_build: site path -> bytes; notebook site path -> report name."""


# ----------------------------------------------------------------------------- configuration, navigation

def report_name(path: str) -> str | None:
    """``"hashing"`` for ``reports/hashing.ipynb`` (a report of the catalog), else ``None``."""
    match = re.fullmatch(r"reports/([\w-]+)\.ipynb", path)
    return match.group(1) if match and match.group(1) in REPORTS else None


def nav_with_titles(nav: list, docs: Path) -> list:
    """The navigation with every report titled from the catalog and entries whose page is missing left out."""
    out = []
    for item in nav or []:
        if isinstance(item, dict) and len(item) == 1:
            ((title, target),) = item.items()
        elif isinstance(item, str):
            title, target = None, item
        else:
            out.append(item)
            continue
        if isinstance(target, list):
            children = nav_with_titles(target, docs)
            if children:
                out.append({title: children} if title else children)
            continue
        if isinstance(target, str) and "://" not in target:
            name = report_name(target)
            if name:
                title = REPORTS[name].title
            if target not in GENERATED_PAGES and not (docs / target).exists():
                log.info("nav: %s is not in this build; left out", target)
                continue
        out.append({title: target} if title else target)
    return out


def repo_blob() -> str:
    """The address of the repository's files at the built revision, or ``""`` (no ``MLPGEO_REPO_URL``)."""
    repo = os.environ.get("MLPGEO_REPO_URL", "").strip().rstrip("/")
    return f"{repo}/blob/{os.environ.get('MLPGEO_REPO_REF', '').strip() or 'main'}" if repo else ""


def on_config(config):
    docs = Path(config["docs_dir"])
    repo = os.environ.get("MLPGEO_REPO_URL", "").strip().rstrip("/")
    if repo:
        config["repo_url"] = repo
        config["repo_name"] = "/".join(urlparse(repo).path.strip("/").split("/")[-2:]) or repo
    config["nav"] = nav_with_titles(config["nav"], docs)
    page_assets = {asset for assets in PAGE_ONLY_ASSETS.values() for asset in assets}
    for key in ("extra_css", "extra_javascript"):
        kept = []
        for entry in config[key]:
            path = str(getattr(entry, "path", entry))
            if path in page_assets and not (docs / path).exists():
                log.info("%s: %s is not in this build; left out", key, path)
            else:
                kept.append(entry)
        config[key] = kept
    return config


def on_pre_build(config) -> None:
    stop_prefetch()
    _build.clear()
    _build["files"] = {}
    _build["notebooks"] = {}


# ----------------------------------------------------------------------------- metrics, scorecard, home

def metrics_of(config) -> list[dict]:
    """The metrics files of the executed reports (empty if none were executed), each with the
    ``"execution"`` timing of its executed notebook (see :func:`mlpgeo_site.scorecard.notebook_timing`);
    read once per build."""
    if "metrics" in _build:
        return _build["metrics"]
    _build["metrics"] = _read_metrics(config)
    return _build["metrics"]


def _read_metrics(config) -> list[dict]:
    folder = Path(config["docs_dir"]) / "metrics"
    reports = scorecard.load_metrics(folder) if folder.is_dir() else []
    for report in reports:
        path = Path(config["docs_dir"]) / "reports" / f"{report['report']}.ipynb"
        report["execution"] = scorecard.notebook_timing(json.loads(path.read_text())) if path.exists() else None
    return reports


def records_of(config) -> dict[str, paper.PaperRecord] | None:
    """The recorded paper-scale runs (``results/paper/*.json`` beside mkdocs.yml) by report name, ``None`` when
    there are none; read once per build."""
    if "paper" not in _build:
        root = Path(config.config_file_path).resolve().parent
        _build["paper"] = paper.load_records(root / "results" / "paper", root) or None
    return _build["paper"]


def home_figure(path: Path) -> tuple[bytes, str] | None:
    """PNG bytes and alt text of the notebook's figure tagged ``home-figure`` (else its first figure):
    a PNG output, or the image of an HTML figure (``plotting.show``)."""
    cells = json.loads(path.read_text())["cells"]
    tagged = [c for c in cells if "home-figure" in c.get("metadata", {}).get("tags", [])]
    for cell in tagged + cells:
        for output in cell.get("outputs", []):
            for extension, data, _, _, alt in notebook.output_images(output):
                if extension == "png":
                    return data, alt
    return None


def thumbnail(png: bytes, width: int = THUMBNAIL_WIDTH) -> bytes:
    """A card-sized copy of a figure (at most ``width`` pixels wide, a 256-colour palette)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, format="png", optimize=True)
    return out.getvalue()


_home_alts: dict[str, str] = {}


def api_modules(files: Files) -> dict[str, str]:
    """Module -> URL of its API page (``mlpgeo.regions`` -> ``api/regions/``), from each page's ``:::`` line."""
    found = {}
    for file in files.documentation_pages():
        if file.src_uri.startswith("api/") and file.abs_src_path and Path(file.abs_src_path).exists():
            match = re.search(r"^:::\s*(mlpgeo[\w.]*)", Path(file.abs_src_path).read_text(), re.M)
            if match:
                found[match.group(1)] = file.url
    return found


_api: dict[str, str] = {}


def on_files(files: Files, config) -> Files:
    titles = {name: info.title for name, info in REPORTS.items()}
    full_sources = {name: info.source for name, info in REPORTS.items()}
    files.append(File.generated(config, "scorecard.md",
                                content=scorecard.scorecard_markdown(metrics_of(config), titles, full_sources,
                                                                     records_of(config))))
    for name, record in (records_of(config) or {}).items():
        files.append(File.generated(config, f"metrics/paper/{name}.json",
                                    content=json.dumps(record.record, indent=1) + "\n"))
    _home_alts.clear()
    for name in REPORTS:
        path = Path(config["docs_dir"]) / "reports" / f"{name}.ipynb"
        figure = home_figure(path) if path.exists() else None
        if figure is not None:
            files.append(File.generated(config, f"assets/figures/{name}.png", content=thumbnail(figure[0])))
            _home_alts[name] = figure[1]
    _api.clear()
    _api.update(api_modules(files))
    start_prefetch(files)
    return files


def start_prefetch(files: Files) -> None:
    """With ``MLPGEO_WORKERS=N`` (N >= 2, as ``make site`` passes its workers), start computing the figure files
    of every notebook page on N - 1 threads (:class:`mlpgeo_site.notebook.PrefetchedVersions`) while the
    build renders the other pages (the API pages come first), instead of when each notebook page is reached.
    mkdocs itself renders on one core; this work (Pillow, which releases the GIL) is the part of it that can
    use another."""
    if workers() < 2:
        return
    paths = [Path(f.abs_src_path) for f in files
             if NOTEBOOK_PAGES.match(f.src_uri) and f.abs_src_path and Path(f.abs_src_path).exists()]
    images = [image for path in paths for image in notebook.notebook_images(json.loads(path.read_text())["cells"])]
    threads = workers() - 1
    executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="mlpgeo-figures")
    _build["prefetch"] = {"executor": executor, "threads": threads,
                          "versions": notebook.PrefetchedVersions(images, executor)}


def stop_prefetch() -> None:
    """Stop the figure threads of :func:`start_prefetch` (after the build, or when it fails)."""
    prefetch = _build.pop("prefetch", None)
    if prefetch:
        prefetch["executor"].shutdown(wait=True, cancel_futures=True)
        log.info("figures prefetched on %d thread(s): %d images, %d used",
                 prefetch["threads"], len(prefetch["versions"]), prefetch["versions"].hits)


def totals_markdown(reports: list[dict], records: dict[str, paper.PaperRecord] | None = None) -> str:
    """The verdict totals of the source claims as a table for the home page (this build, and the recorded
    paper-scale runs when there are any), and the number of checks."""
    totals = scorecard.verdict_totals(reports)
    checks = sum(scorecard.verdict_totals(reports, "check").values())
    scale = reports[0]["scale"] if reports else "?"
    head = " | ".join(scorecard.badge(v) for v in totals)
    lines = [f"| | {head} | all source claims |", "|---|" + "---:|" * (len(totals) + 1),
             f"| this build (scale `{scale}`) | " + " | ".join(str(n) for n in totals.values()) + f" | {sum(totals.values())} |"]
    if records:
        at_paper = scorecard.verdict_totals([record.record for record in records.values()])
        lines.append("| papers' sizes (recorded) | " + " | ".join(str(n) for n in at_paper.values())
                     + f" | {sum(at_paper.values())} |")
    text = "\n".join(lines) + f"\n\nNot counted: {checks} checks of our own derivations and code " \
        "(facts true by construction), listed on the [scorecard](scorecard.md#checks).\n"
    if records:
        differ = scorecard.source_flip_count(reports, records)
        stale = [name for name, record in records.items() if record.stale]
        text += (f"\n{differ} source-claim verdicts differ between the two scales; the scorecard shows both "
                 "side by side." + (f" Stale records (recorded from older code): {', '.join(stale)}." if stale else "") + "\n")
    return text


def cards_markdown(reports: list[dict], files: Files) -> str:
    """One card per report: title, figure, summary, full source name and its verdict counts."""
    by_name = {r["report"]: r for r in reports}
    cards = []
    for name, info in REPORTS.items():
        figure = ""
        if files.get_file_from_path(f"assets/figures/{name}.png"):
            alt = _home_alts.get(name) or f"The first figure of the report “{info.title}”"
            figure = f'<img src="assets/figures/{name}.png" alt="{html.escape(alt)}" loading="lazy">'
        report = by_name.get(name)
        counts = ", ".join(f"{n} {v}" for v, n in scorecard.verdict_totals([report]).items() if n) if report else "not executed"
        source = html.escape(info.source)
        if info.link:
            source = f'<a href="{html.escape(info.link)}">{source}</a>'
        cards.append(
            f'<div class="mlpgeo-card" markdown>\n\n### [{info.title}](reports/{name}.ipynb)\n\n{figure}\n\n'
            f'{info.summary}\n\n<p class="mlpgeo-card-source">Source: {source}.</p>\n\n*Claims: {counts}.*\n\n</div>'
        )
    return '<div class="mlpgeo-cards" markdown>\n\n' + "\n\n".join(cards) + "\n\n</div>\n"


def module_summary(module: str) -> str:
    """The first sentence of a module's docstring."""
    try:
        doc = importlib.import_module(module).__doc__ or ""
    except Exception:  # noqa: BLE001 - a module that does not import is listed without a summary
        return ""
    first = doc.strip().split("\n\n")[0].replace("\n", " ")
    return first.split(". ")[0].rstrip(".") + "." if first else ""


def nav_paths(nav: list) -> list[str]:
    """Every page path of the navigation, in order."""
    out = []
    for item in nav or []:
        target = next(iter(item.values())) if isinstance(item, dict) else item
        out += nav_paths(target) if isinstance(target, list) else [target] if isinstance(target, str) else []
    return out


def modules_markdown(config, experiments: bool, up: str) -> str:
    """A table of the API pages (lens modules and the recorder, or the experiment modules), in nav order,
    each with its module's one-line summary and a link to its source file."""
    by_path = {url: module for module, url in _api.items()}
    rows = []
    for path in nav_paths(config["nav"]):
        url = path[: -len(".md")] + "/" if path.endswith(".md") else path
        module = by_path.get(url)
        if module is None or module.startswith("mlpgeo.experiments") != experiments:
            continue
        file = sources.module_file(module)
        link = f"[`{module}`]({Path(path).name})"
        source = f'<a href="{up}source/{file}.html"><code>{file}</code></a>' if file else ""
        rows.append(f"| {link} | {scorecard.md_cell(module_summary(module))} | {source} |")
    if not rows:
        return "*No module pages in this build.*\n"
    return "| module | what it holds | source |\n|---|---|---|\n" + "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, page, config, files: Files) -> str:
    src = page.file.src_uri
    up = "../" * page.url.count("/")
    if src == "api/index.md":
        return markdown.replace(MODULES_MARKER, modules_markdown(config, False, up))
    if src == "api/experiments.md":
        return markdown.replace(EXPERIMENTS_MARKER, modules_markdown(config, True, up))
    if src != "index.md":
        return markdown
    reports = metrics_of(config)
    return markdown.replace(TOTALS_MARKER, totals_markdown(reports, records_of(config))).replace(CARDS_MARKER, cards_markdown(reports, files))


# ----------------------------------------------------------------------------- report pages

def reads_seed_option(path: Path) -> bool:
    """Whether the notebook takes its seeds from ``mlpgeo.config.seeds`` (so ``MLPGEO_SEEDS`` applies)."""
    if not path.exists():
        return False
    cells = json.loads(path.read_text())["cells"]
    return any("config.seeds(" in "".join(c["source"]) for c in cells if c["cell_type"] == "code")


def report_box(name: str, report: dict | None, seed_option: bool, paper_summary: str = "",
               record_link: bool = False) -> str:
    """The header box of a report page (links are relative to reports/<name>/), with ``paper_summary`` (HTML,
    :func:`mlpgeo_site.paper.record_summary`) when there are paper-scale records and a link to this report's
    record (``metrics/paper/<name>.json``) when ``record_link``."""
    info = REPORTS[name]
    run = (
        f"executed at scale <code>{report['scale']}</code> with seeds {', '.join(map(str, report['seeds']))} "
        f"in {scorecard.run_time(report):.0f} s"
        if report
        else "not executed in this build"
    )
    seeds = (
        f"other seeds: <code>MLPGEO_SEEDS=0,1,2,3,4 make report NAME={name}</code>."
        if seed_option
        else "the seeds are set in the notebook's setup cell (<code>SEEDS = ...</code>): edit them there to try others."
    )
    source = html.escape(info.source)
    if info.link:
        source = f'<a href="{html.escape(info.link)}">{source}</a>'
    record = f'<a href="../../metrics/paper/{name}.json">paper-scale record (JSON)</a> · ' if record_link else ""
    return (
        '<div class="mlpgeo-report-box" data-search-exclude>'
        f"<p><strong>Source:</strong> {source}. <strong>This build:</strong> {run}.</p>"
        f'<p><a href="{name}.ipynb" download>Download the notebook</a> · '
        f'<a href="../../metrics/{name}.json">metrics file (JSON)</a> · {record}'
        f'<a href="#references">references</a> · '
        f'<a href="../../scorecard/">scorecard</a> · <a href="../../rerun/">how to rerun</a></p>'
        f"<p><strong>Rerun:</strong> <code>make report NAME={name}</code> (default scale <code>ci</code>) or "
        f"<code>MLPGEO_SCALE=full make report NAME={name}</code> (the papers' sizes); {seeds} "
        "Code cells are folded: open one with “Show code”.</p>"
        f"{paper_summary}</div>"
    )


def install_note(name: str | None, report: dict | None) -> str:
    """The Markdown cell put at the top of a downloadable notebook: what it needs and how to run it."""
    repo = os.environ.get("MLPGEO_REPO_URL", "").strip().rstrip("/")
    get = (f"`git clone {repo}` and, in its folder," if repo else
           "Get the mlpgeo repository (the source of this site) and, in its folder,")
    where = f"`reports/{name}.ipynb`" if name else "`docs/own_model.ipynb`"
    ran = (f" The outputs below are those of the site's build: scale `{report['scale']}`, seeds "
           f"{', '.join(map(str, report['seeds']))}." if report else "")
    execute = f" or execute it from the command line with `make report NAME={name}`" if name else ""
    return (
        "> **How to run this notebook.** It imports the `mlpgeo` package (`from mlpgeo import ...`), which is "
        f"not on PyPI. {get} run `make setup` (a virtual environment in `.venv`: PyTorch's CPU build "
        "`torch==2.13.0`, then `pip install -e \".[site]\"`) and `make data` (the embedded MNIST digits). Then "
        f"open {where} with the `.venv` Python as its kernel{execute}. "
        "`MLPGEO_SCALE=full` runs the papers' sizes; `MLPGEO_SEEDS=0,1,2` other seeds." + ran
    )


def has_math(content: str) -> bool:
    """Whether a page's HTML holds math for MathJax (arithmatex spans, or TeX left in prose by notebooks)."""
    if 'class="arithmatex"' in content:
        return True
    text = re.sub(r"<(pre|code|script|style)\b.*?</\1>", " ", content, flags=re.S | re.I)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return bool(RAW_MATH.search(text))


def page_dir(page) -> str:
    """The site folder of a page (``reports/hashing/``; ``""`` for the home page)."""
    dest = page.file.dest_uri
    return dest.rsplit("/", 1)[0] + "/" if "/" in dest else ""


# ----------------------------------------------------------------------------- API pages

ROLE = re.compile(r":(?:func|class|mod|meth|attr|data|obj):<code>~?([\w.]+)</code>")


def defined_in(module: str, name: str) -> bool:
    """Whether ``module`` itself defines the function or class ``name`` (or ``Class.member``) with a
    docstring: mkdocstrings gives only those an anchor (not imports, not undocumented objects)."""
    try:
        obj = importlib.import_module(module)
    except ImportError:
        return False
    first, *rest = name.split(".")
    top = getattr(obj, first, None)
    if getattr(top, "__module__", None) != module:
        return False
    for part in rest:
        top = getattr(top, part, None)
    return top is not None and bool(getattr(top, "__doc__", None))


def api_href(target: str, up: str) -> str | None:
    """The address of ``mlpgeo.<module>`` (its API page) or ``mlpgeo.<module>.<name>`` (its anchor there),
    relative to a page ``up`` below the root; ``None`` if the site documents no such thing."""
    if target in _api:
        return f"{up}{_api[target]}"
    for owner in sorted((m for m in _api if target.startswith(m + ".")), key=len, reverse=True):
        if defined_in(owner, target[len(owner) + 1:]):
            return f"{up}{_api[owner]}#{target}"
    return None


def role_link(target: str, module: str, content: str, up: str) -> str:
    """HTML for a docstring role's target on the API page of ``module``: a link if it has an anchor."""
    code = f"<code>{target}</code>"
    if target.startswith("mlpgeo."):
        href = api_href(target, up)
        return f'<a href="{href}">{code}</a>' if href else code
    anchor = f"{module}.{target}"
    return f'<a href="#{anchor}">{code}</a>' if f'id="{anchor}"' in content else code


REFERENCE_LINK = re.compile(r"\[([^\[\]<>]+)\]\[(mlpgeo(?:\.\w+)*)\]")


def link_references(content: str, up: str) -> str:
    """In notebook pages, ``[text][mlpgeo.models.mlp]`` (the API cross-reference syntax of Markdown pages,
    left as text by the notebook renderer) becomes a link to the object's API entry."""
    def replace(match: re.Match) -> str:
        href = api_href(match.group(2), up)
        return f'<a href="{href}">{match.group(1)}</a>' if href else match.group(0)

    return REFERENCE_LINK.sub(replace, content)


def link_roles(content: str, module: str, up: str = "../../") -> str:
    """Replace ``:func:<code>name</code>`` (a role mkdocstrings leaves as text) by a link or plain code."""
    return ROLE.sub(lambda m: role_link(m.group(1), module, content, up), content)


def api_module(page) -> str | None:
    """The module an API page documents (its ``::: mlpgeo...`` line), if any."""
    for module, url in _api.items():
        if url == page.url:
            return module
    return None


# ----------------------------------------------------------------------------- page events

def on_page_content(content: str, page, config, files: Files) -> str:
    src = page.file.src_uri
    depth = page.url.count("/")
    up = "../" * depth
    module = api_module(page) if src.startswith("api/") else None
    if module:
        content = link_roles(content, module, up)
        content = sources.link_sources(content, module, depth, repo_blob())
    elif NOTEBOOK_PAGES.match(src):
        name = report_name(src)
        info = REPORTS.get(name) if name else None
        report = next((r for r in metrics_of(config) if r["report"] == name), None) if info else None
        content = link_references(content, up)
        prefetch = _build.get("prefetch")
        result = notebook.transform(content, info.title if info else None, report["claims"] if report else None,
                                    fold=info is not None,
                                    versions=prefetch["versions"] if prefetch else notebook.image_versions)
        content = result.html
        folder = page_dir(page)
        for filename, data in result.files.items():
            _build["files"][folder + filename] = data
        auto = [f.number for f in result.figures if f.auto]
        if auto:
            log.info("%s: figures %s have no caption or alt text of their own (plotting.show gives both)", src, auto)
        if info:
            page.title = info.title
            records = records_of(config)
            record = (records or {}).get(name)
            if report and records is not None:
                content = paper.add_paper_column(content, report["claims"], record)
            box = report_box(name, report, reads_seed_option(Path(config["docs_dir"]) / src),
                             paper.record_summary(record, report["claims"]) if report and records is not None else "",
                             record_link=record is not None)
            end = content.find("</h1>")
            content = box + content if end < 0 else content[: end + 5] + box + content[end + 5:]
            content += references.references_html(info.source, info.link, result.prose)
        _build["notebooks"][folder + Path(src).name] = (name, report)
    page.meta["mlpgeo_math"] = bool(page.meta.get("math")) or has_math(content)
    return content


def on_post_page(output: str, page, config) -> str:
    for owner, assets in PAGE_ONLY_ASSETS.items():
        if page.file.src_uri == owner or 'class="mlpgeo-playground"' in output:
            continue  # the page itself, or a page that embeds a playground (the hashing report)
        for asset in assets:
            name = re.escape(asset)
            output = re.sub(rf'\s*<script[^>]*src="[^"]*{name}[^"]*"[^>]*>\s*</script>', "", output)
            output = re.sub(rf'\s*<link[^>]*href="[^"]*{name}[^"]*"[^>]*>', "", output)
    return output


def on_build_error(error) -> None:
    stop_prefetch()


def on_post_build(config) -> None:
    stop_prefetch()
    site = Path(config["site_dir"])
    written = dict(_build["files"])
    written.update(sources.source_pages(Path(mlpgeo.__file__).parent, repo_blob()))
    for relative, data in written.items():
        target = site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    for relative, (name, report) in _build["notebooks"].items():
        path = site / relative
        if not path.exists():
            continue
        nb = json.loads(path.read_text())
        note = install_note(name, report)
        cell = {"cell_type": "markdown", "metadata": {}, "source": note}
        if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) >= (4, 5):
            cell["id"] = "mlpgeo-install-note"
        nb["cells"].insert(0, cell)
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    index = site / "search" / "search_index.json"
    if index.exists():
        stats = search.clean_index(index)
        log.info("search index: %d entries, %d -> %d bytes", stats["entries"], stats["bytes_before"], stats["bytes_after"])
