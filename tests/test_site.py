"""The built site as a reader meets it, in headless Chromium (Debian's, driven by Playwright).

Needs ``make site`` first (``make test`` does it). For every page, in the light and the dark scheme:
no console error, no failed request, no raw ``$...$`` left in the text (math typeset), every image
loaded. Also: internal links resolve, the scorecard lists exactly the claims of the metrics files,
search works offline, no page is heavier than a few MB. Screenshots go to build/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
MAX_PAGE_BYTES = 5 * 1024 * 1024
RAW_MATH = re.compile(r"\$\$[^$]+\$\$|(?<![\w$])\$[^\s$][^$\n]{0,200}?\$(?![\w$])|\\\(|\\\[")

VISIBLE_TEXT_JS = """() => {
  const root = (document.querySelector('article') || document.body).cloneNode(true);
  root.querySelectorAll('pre, code, script, style, mjx-container, .highlight, textarea').forEach(e => e.remove());
  return root.innerText;
}"""


def site_pages() -> list[str]:
    """Every HTML page of the site as a URL path (``/``, ``/reports/hashing/``, ...)."""
    pages = []
    for html in sorted(SITE.rglob("index.html")):
        relative = html.parent.relative_to(SITE).as_posix()
        if relative.startswith("assets"):
            continue
        pages.append("/" if relative == "." else f"/{relative}/")
    return pages


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    if not (SITE / "index.html").exists():
        pytest.fail("site/ is not built: run `make site` (or `make test`, which builds it) first.")
    handler = functools.partial(QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("google-chrome")
    if not executable or not Path(executable).exists():
        pytest.fail("Chromium is missing: `make browser` installs Debian's chromium package (or set CHROMIUM).")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, url: str, scheme: str):
    """Load ``url`` in a fresh context; returns (page, problems) once math is typeset."""
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url} ({r.failure})"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(url, wait_until="networkidle")
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
    page.evaluate("() => MathJax.startup.promise")
    page.wait_for_load_state("networkidle")
    return page, problems


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_renders_cleanly(server: str, browser, scheme: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    failures = []
    for path in site_pages():
        page, problems = open_page(browser, server + path, scheme)
        text = page.evaluate(VISIBLE_TEXT_JS)
        raw = RAW_MATH.findall(text)
        if raw:
            problems.append(f"untypeset math: {raw[:3]}")
        broken = page.evaluate(
            "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
        )
        if broken:
            problems.append(f"images not loaded: {broken[:3]}")
        applied = page.evaluate("() => document.body.getAttribute('data-md-color-scheme')")
        if applied != ("slate" if scheme == "dark" else "default"):
            problems.append(f"colour scheme {applied!r} instead of {scheme}")
        name = path.strip("/").replace("/", "_") or "home"
        page.screenshot(path=str(SHOTS / f"{name}-{scheme}.png"))
        page.context.close()
        failures += [f"{path}: {p}" for p in problems]
    assert not failures, "\n".join(failures)


def test_internal_links_and_anchors_resolve(server: str, browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    checked: dict[str, int] = {}
    failures = []
    for path in site_pages():
        page.goto(server + path)
        hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
        for href in hrefs:
            parsed = urlparse(href)
            if parsed.scheme not in ("http", "https") or parsed.netloc != urlparse(server).netloc:
                continue
            target = href.split("#")[0]
            if target not in checked:
                checked[target] = page.request.get(target).status
            if checked[target] != 200:
                failures.append(f"{path} links to {href}: HTTP {checked[target]}")
            elif parsed.fragment and target.endswith("/") and target != urljoin(server + path, ""):
                anchors = anchors_of(page, target)
                if parsed.fragment not in anchors:
                    failures.append(f"{path} links to {href}: no element with id {parsed.fragment!r}")
    context.close()
    assert not failures, "\n".join(failures)


@functools.lru_cache(maxsize=None)
def _anchor_cache() -> dict[str, set[str]]:
    return {}


def anchors_of(page, url: str) -> set[str]:
    """Element ids of the page at ``url`` (fetched as HTML, cached)."""
    cache = _anchor_cache()
    if url not in cache:
        html = page.request.get(url).text()
        cache[url] = set(re.findall(r'\bid="([^"]+)"', html))
    return cache[url]


def test_scorecard_lists_exactly_the_recorded_claims(server: str, browser) -> None:
    claims = []
    for path in sorted((SITE / "metrics").glob("*.json")):
        claims += [(c["claim"].strip(), c["verdict"]) for c in json.loads(path.read_text())["claims"]]
    assert claims, "no metrics files in site/metrics: the reports did not record any claim"
    page, problems = open_page(browser, server + "/scorecard/", "light")
    rows = page.evaluate(
        """() => [...document.querySelectorAll('table')].find(t => t.innerText.includes('Source value'))
                 .querySelectorAll('tbody tr').length"""
    )
    texts = page.evaluate(
        """() => [...[...document.querySelectorAll('table')].find(t => t.innerText.includes('Source value'))
                 .querySelectorAll('tbody tr')].map(r => [r.cells[1].innerText.trim(), r.cells[2].innerText.trim()])"""
    )
    page.context.close()
    assert not problems
    assert rows == len(claims)
    assert sorted(map(tuple, texts)) == sorted(claims)  # each claim once, with its recorded verdict


def test_search_works_offline(server: str, browser) -> None:
    page, problems = open_page(browser, server + "/", "light")
    count = 0
    for _ in range(20):  # the search worker loads its index asynchronously: retype until it answers
        page.fill("input.md-search__input", "")
        page.type("input.md-search__input", "region", delay=20)
        page.wait_for_timeout(1000)
        count = page.evaluate("() => document.querySelectorAll('.md-search-result__item').length")
        if count:
            break
    page.context.close()
    assert count > 0
    assert not problems


def test_pages_stay_light() -> None:
    if not (SITE / "index.html").exists():
        pytest.fail("site/ is not built: run `make site` first.")
    heavy = {p.relative_to(SITE).as_posix(): p.stat().st_size for p in SITE.rglob("*.html") if p.stat().st_size > MAX_PAGE_BYTES}
    assert not heavy, f"pages heavier than {MAX_PAGE_BYTES} bytes: {heavy}"


def test_site_loads_nothing_from_other_hosts() -> None:
    if not (SITE / "index.html").exists():
        pytest.fail("site/ is not built: run `make site` first.")
    pattern = re.compile(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(https?:)?//', re.I)
    offenders = [p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html") if pattern.search(p.read_text(errors="ignore"))]
    assert not offenders, f"pages that load assets from another host: {offenders}"


def report_names() -> list[str]:
    return sorted(json.loads(p.read_text())["report"] for p in (SITE / "metrics").glob("*.json"))


def test_home_page_shows_the_totals_and_one_figure_per_report(server: str, browser) -> None:
    claims = [c for p in (SITE / "metrics").glob("*.json") for c in json.loads(p.read_text())["claims"]]
    page, problems = open_page(browser, server + "/", "light")
    totals = page.evaluate(
        """() => { const t = [...document.querySelectorAll('table')].find(t => t.innerText.includes('all claims'));
                   const head = [...t.querySelectorAll('thead th')].map(c => c.innerText.trim());
                   const row = [...t.querySelectorAll('tbody td')].map(c => c.innerText.trim());
                   return Object.fromEntries(head.map((h, i) => [h, Number(row[i])])); }"""
    )
    figures = page.evaluate(
        "() => [...document.querySelectorAll('.mlpgeo-card img')].filter(i => i.naturalWidth > 0).map(i => i.src)"
    )
    page.context.close()
    assert not problems
    assert totals["all claims"] == len(claims)
    for verdict in ("reproduced", "partly reproduced", "not reproduced", "not testable"):
        assert totals[verdict] == sum(c["verdict"] == verdict for c in claims), verdict
    assert sorted(Path(urlparse(src).path).stem for src in figures) == report_names()


def test_report_pages_offer_download_metrics_rerun_and_source(server: str, browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    failures = []
    for name in report_names():
        page.goto(f"{server}/reports/{name}/")
        box = page.query_selector(".mlpgeo-report-box")
        if box is None:
            failures.append(f"{name}: no header box")
            continue
        text = box.inner_text()
        links = {a.inner_text(): a.get_attribute("href") for a in box.query_selector_all("a")}
        for needed in ("Source:", f"make report NAME={name}", "MLPGEO_SCALE=full", "seeds"):
            if needed not in text:
                failures.append(f"{name}: the box does not mention {needed!r}")
        download = page.request.get(urljoin(page.url, links.get("Download the notebook", "")))
        if download.status != 200 or '"cells"' not in download.text():
            failures.append(f"{name}: the notebook download does not serve the notebook")
        metrics = page.request.get(urljoin(page.url, links.get("metrics file (JSON)", "")))
        if metrics.status != 200 or metrics.json().get("report") != name:
            failures.append(f"{name}: the metrics link does not serve metrics/{name}.json")
    context.close()
    assert not failures, "\n".join(failures)
