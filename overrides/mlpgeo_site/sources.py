"""The package's source on the site: every ``mlpgeo/**/*.py`` as a page with numbered lines, and on each API
page a link from every documented function and class to its lines.

The copies live at ``source/mlpgeo/<path>.py.html`` (highlighted, line anchors ``L<n>``) beside the raw
``source/mlpgeo/<path>.py``: they work offline and always match the code the site was built from. When
the build knows the repository's address (``MLPGEO_REPO_URL``, and ``MLPGEO_REPO_REF``, default
``main``), each API page also links there.
"""

from __future__ import annotations

import ast
import html
import importlib
import inspect
import re
from pathlib import Path

from bs4 import BeautifulSoup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{name}: source</title>
<style>
:root {{ color-scheme: light dark; --fg: #1f2328; --bg: #ffffff; --muted: #6e7781; --hl: #fff8c5; }}
@media (prefers-color-scheme: dark) {{ :root {{ --fg: #e6edf3; --bg: #0d1117; --muted: #8b949e; --hl: #3b3200; }} }}
body {{ margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, sans-serif; }}
header {{ padding: .6rem 1rem; border-bottom: 1px solid var(--muted); }}
header a {{ color: inherit; }}
.source {{ overflow-x: auto; font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }}
.source pre {{ margin: 0; padding: .5rem 0; }}
.source .line {{ display: block; padding-right: 1rem; }}
.source .line:target {{ background: var(--hl); }}
.source .n-line {{ display: inline-block; width: 4.5em; padding-right: 1em; text-align: right; color: var(--muted);
  text-decoration: none; user-select: none; }}
{styles}
@media (prefers-color-scheme: dark) {{ {dark} }}
</style></head>
<body><header><strong>{name}</strong> · <a href="{raw}">raw file</a>{repo} · {lines} lines</header>
<div class="source"><pre>{code}</pre></div></body></html>
"""


def source_files(package_dir: Path) -> list[Path]:
    """Every Python file of the package, relative to the package's parent (``mlpgeo/regions.py``, ...)."""
    root = package_dir.parent
    return sorted(p.relative_to(root) for p in package_dir.rglob("*.py") if "__pycache__" not in p.parts)


def render(relative: Path, text: str, repo_blob: str = "") -> str:
    """A standalone HTML page of one source file, every line numbered and anchored (``#L<n>``)."""
    formatter = HtmlFormatter(nowrap=True, style="default")
    code = highlight(text, PythonLexer(), formatter)
    lines = code.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    numbered = "".join(
        f'<span class="line" id="L{i}"><a class="n-line" href="#L{i}">{i}</a>{line}</span>' for i, line in enumerate(lines, 1)
    )
    light = HtmlFormatter(style="default").get_style_defs(".source")
    dark = HtmlFormatter(style="monokai").get_style_defs(".source")
    dark = re.sub(r"\.source\s*\{[^}]*\}", "", dark)  # keep the page's own background
    light = re.sub(r"\.source\s*\{[^}]*\}", "", light)
    repo = f' · <a href="{html.escape(repo_blob)}/{relative.as_posix()}">in the repository</a>' if repo_blob else ""
    return PAGE.format(name=html.escape(relative.as_posix()), raw=html.escape(relative.name), repo=repo,
                       lines=len(lines), code=numbered, styles=light, dark=dark)


def source_pages(package_dir: Path, repo_blob: str = "") -> dict[str, bytes]:
    """Site path -> bytes for every source file: ``source/mlpgeo/x.py`` (raw) and ``source/mlpgeo/x.py.html``."""
    out = {}
    for relative in source_files(package_dir):
        text = (package_dir.parent / relative).read_text(encoding="utf-8")
        out[f"source/{relative.as_posix()}"] = text.encode()
        out[f"source/{relative.as_posix()}.html"] = render(relative, text, repo_blob).encode()
    return out


def module_file(module: str) -> str | None:
    """``mlpgeo/regions.py`` for ``mlpgeo.regions`` (``mlpgeo/experiments/__init__.py`` for a package)."""
    try:
        mod = importlib.import_module(module)
    except Exception:  # noqa: BLE001 - a module that does not import has no source link
        return None
    path = getattr(mod, "__file__", None)
    if not path:
        return None
    parts = Path(path).parts
    return "/".join(parts[len(parts) - 1 - module.count(".") - (1 if path.endswith("__init__.py") else 0):])


def definition_lines(path: Path) -> dict[str, tuple[int, int]]:
    """Qualified name -> (first line, last line) of every function and class a Python file defines, methods and
    nested classes included (``Class.method``); the first line is that of the first decorator, as
    :func:`inspect.getsourcelines` counts. One parse of the file: the fast path of :func:`object_lines`."""
    found: dict[str, tuple[int, int]] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                found[prefix + node.name] = (first, node.end_lineno or node.lineno)
                if isinstance(node, ast.ClassDef):
                    visit(node.body, prefix + node.name + ".")

    visit(ast.parse(path.read_text(encoding="utf-8")).body, "")
    return found


def object_lines(qualified: str, tables: dict[str, dict[str, tuple[int, int]]] | None = None
                 ) -> tuple[str, int, int] | None:
    """(module, first line, last line) of ``mlpgeo.x.name`` or ``mlpgeo.x.Class.method``, if it is defined
    in that module (not imported into it).

    Args:
        tables: :func:`definition_lines` of modules already parsed, by module name, filled in as modules are
            parsed: pass one dict to the calls for one page, and each module is parsed once instead of
            :func:`inspect.getsourcelines` reading every object (the reference, used where the table has no
            entry).
    """
    parts = qualified.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:cut])
        try:
            obj = mod = importlib.import_module(module)
        except Exception:  # noqa: BLE001
            continue
        for part in parts[cut:]:
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        obj = inspect.unwrap(obj) if callable(obj) else obj
        if isinstance(obj, property):
            obj = obj.fget
        if getattr(obj, "__module__", None) != module:
            return None
        if tables is not None and getattr(mod, "__file__", None):
            if module not in tables:
                tables[module] = definition_lines(Path(mod.__file__))
            span = tables[module].get(getattr(obj, "__qualname__", ""))
            if span is not None:
                return module, span[0], span[1]
        try:
            lines, start = inspect.getsourcelines(obj)
        except (OSError, TypeError):
            return None
        return module, start, start + len(lines) - 1
    return None


def link_sources(content: str, module: str, depth: int, repo_blob: str = "") -> str:
    """Add, on the API page of ``module``, a "source" link to every documented object's heading and a line
    naming the module's file at the top.

    Args:
        content: the page's HTML (mkdocstrings output).
        module: ``mlpgeo.regions``.
        depth: how many folders the page's URL is below the site root (``api/regions/`` -> 2).
        repo_blob: the address of the repository's files at the built revision
            (``https://github.com/<owner>/<name>/blob/<ref>``), or ``""``.
    """
    path = module_file(module)
    if path is None:
        return content
    up = "../" * depth
    soup = BeautifulSoup(content, "html.parser")
    tables: dict[str, dict[str, tuple[int, int]]] = {}
    for heading in soup.select(".doc-heading[id]"):
        found = object_lines(heading["id"], tables)
        if found is None or found[0] != module:
            continue
        _, first, last = found
        link = soup.new_tag("a", attrs={"class": "mlpgeo-source-link", "href": f"{up}source/{path}.html#L{first}",
                                         "title": f"{path}, lines {first}-{last}"})
        link.string = "source"
        heading.append(link)
        if repo_blob:
            remote = soup.new_tag("a", attrs={"class": "mlpgeo-source-link",
                                               "href": f"{repo_blob}/{path}#L{first}-L{last}"})
            remote.string = "on GitHub" if "github.com" in repo_blob else "in the repository"
            heading.append(remote)
    for block in soup.select(".doc-signature, .doc-contents table, .doc-contents details"):
        block["data-search-exclude"] = ""  # search finds objects by name and summary, not by every parameter
    note = (f'<p class="mlpgeo-source-file">Source: <a href="{up}source/{path}.html"><code>{path}</code></a>'
            + (f' (<a href="{repo_blob}/{path}">in the repository</a>)' if repo_blob else "") + "</p>")
    content = str(soup)
    end = content.find("</h1>")
    return note + content if end < 0 else content[: end + 5] + note + content[end + 5:]
