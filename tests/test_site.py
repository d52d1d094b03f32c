"""The built site as a reader meets it, in headless Chromium (Debian's, driven by Playwright).

Needs a built site (``make site``; ``make site-only`` rebuilds it from executed notebooks). Every page is
read at 1400 and 390 px wide, in the light and the dark scheme, and must:

- load cleanly: no console error, no failed request, math typeset (no raw ``$...$`` left), every image
  loaded, the colour scheme applied;
- fit its column: no table, equation, printed output or figure wider than the content column (wide
  things scroll inside their own box; verdict tables wrap and never scroll), code folded on report pages,
  no printed output taller than a screen unless folded;
- show figures a reader can read: each numbered, captioned (``Figure N. ...``, a caption of its own) with
  alt text and an anchor, displayed at >= 65 % of its intended size at 1400 px (labels >= ~9 px) and
  opening full size on click at every width;
- stay light: at most :data:`MAX_PAGE_BYTES` downloaded (everything the page fetches, lazy images
  included; the search index loads only when the reader uses search), MathJax only where there is math.

Full-page screenshots of every page at both widths and both schemes go to build/screenshots/ (or
``MLPGEO_SCREENSHOTS``), with ``weights.json`` (bytes per page). Also: internal links and anchors resolve,
the scorecard lists exactly the claims of the metrics files, search works offline and indexes prose only,
report pages offer the notebook (with an install note), metrics, rerun commands, references and one title,
and every API object links to its source lines.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("MLPGEO_SITE_DIR") or ROOT / "site")
SHOTS = Path(os.environ.get("MLPGEO_SCREENSHOTS") or ROOT / "build" / "screenshots")
WIDTHS = (1400, 390)
HEIGHT = 900
MAX_PAGE_BYTES = 2 * 1024 * 1024
"""Everything one page downloads (HTML, styles, scripts, fonts, images, the search index)."""
LEGIBLE_SCALE = 0.65
"""Figures are drawn with 10 pt labels (~14 CSS px at their intended size): shown at >= 65 % of that size,
labels stay >= 9 px."""
RAW_MATH = re.compile(r"\$\$[^$]+\$\$|(?<![\w$])\$[^\s$][^$\n]{0,200}?\$(?![\w$])|\\\(|\\\[")
DEFAULT_ALT = "No description has been provided for this image"

VISIBLE_TEXT_JS = """() => {
  const root = (document.querySelector('article') || document.body).cloneNode(true);
  root.querySelectorAll('pre, code, script, style, mjx-container, .highlight, textarea').forEach(e => e.remove());
  return root.innerText;
}"""

# Every element that could be wider than the content column; for each, the box the reader sees (its nearest
# ancestor that clips or scrolls, else itself) must lie inside the column.
FIT_JS = """() => {
  const article = document.querySelector('article'), column = document.querySelector('.md-content');
  if (!article || !column) return {problems: [], column: 0};
  const box = column.getBoundingClientRect(), left = box.left, right = box.right;
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + [...el.classList].slice(0, 2).join('.') : '');
  const clipper = el => { for (let a = el.parentElement; a && a !== article; a = a.parentElement)
    if (getComputedStyle(a).overflowX !== 'visible') return a; return null; };
  const problems = [];
  const selector = 'table, pre, mjx-container[display="true"], figure, img, .jp-OutputArea-output, .mlpgeo-scroll, div.arithmatex';
  for (const el of article.querySelectorAll(selector)) {
    if (el.closest('details:not([open])')) continue;
    const seen = clipper(el) || el, r = seen.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > right + 1 || r.left < left - 1)
      problems.push(`${name(el)} reaches ${Math.round(r.left - left)}..${Math.round(r.right - left)} px in a ${Math.round(right - left)} px column`);
  }
  for (const table of article.querySelectorAll('table.mlpgeo-stack')) {
    const seen = clipper(table);
    if (table.scrollWidth > table.clientWidth + 1 || (seen && seen.scrollWidth > seen.clientWidth + 1))
      problems.push(`${name(table)} scrolls sideways (${table.scrollWidth} px of content)`);
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} px)`);
  for (const pre of article.querySelectorAll('.jp-OutputArea-output pre')) {
    if (pre.closest('details')) continue;
    const h = pre.getBoundingClientRect().height;
    if (h > window.innerHeight) problems.push(`printed output ${Math.round(h)} px tall, not folded`);
  }
  const unfolded = article.querySelectorAll('.jp-CodeCell .jp-Cell-inputWrapper, details.mlpgeo-code[open]').length;
  if (unfolded && location.pathname.includes('/reports/')) problems.push(`${unfolded} code cells not folded`);
  return {problems, column: Math.round(right - left)};
}"""

FIGURES_JS = """() => [...document.querySelectorAll('article img')].map(img => {
  const figure = img.closest('figure'), link = img.closest('a');
  const caption = figure && figure.querySelector('figcaption');
  return {src: img.currentSrc || img.src, alt: img.getAttribute('alt') || '', shown: img.getBoundingClientRect().width,
          intended: Number(img.getAttribute('width')) || img.naturalWidth, natural: img.naturalWidth,
          loaded: img.complete && img.naturalWidth > 0, notebook: !!img.closest('.jupyter-wrapper'),
          figure: figure ? figure.id : null, auto: figure ? figure.hasAttribute('data-mlpgeo-auto') : false,
          caption: caption ? caption.innerText.trim() : '', link: link ? link.href : null};
})"""

SCROLL_JS = """async () => {
  for (let y = 0; y < document.documentElement.scrollHeight; y += 600) {
    window.scrollTo(0, y); await new Promise(r => setTimeout(r, 25));
  }
  window.scrollTo(0, 0);
}"""


def site_pages() -> list[str]:
    """Every HTML page of the site as a URL path (``/``, ``/reports/hashing/``, ...); ``MLPGEO_TEST_PAGES``
    (comma-separated paths) restricts the list while working on a few pages."""
    only = [p.strip() for p in os.environ.get("MLPGEO_TEST_PAGES", "").split(",") if p.strip()]
    if only:
        return only
    pages = []
    for html in sorted(SITE.rglob("index.html")):
        relative = html.parent.relative_to(SITE).as_posix()
        if relative.startswith(("assets", "source")):
            continue
        pages.append("/" if relative == "." else f"/{relative}/")
    return pages


def report_names() -> list[str]:
    return sorted(json.loads(p.read_text())["report"] for p in (SITE / "metrics").glob("*.json"))


def shot_name(path: str, width: int, scheme: str) -> str:
    return f"{path.strip('/').replace('/', '_') or 'home'}-{width}-{scheme}.png"








class Visit:
    """One page opened in a fresh context (cold cache): problems seen and bytes downloaded."""

    def __init__(self, browser, url: str, width: int = 1400, scheme: str = "light") -> None:
        self.context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": HEIGHT})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.bytes = 0
        self.urls: list[str] = []
        page = self.page
        page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed request: {r.url} ({r.failure})"))
        page.on("response", self._response)
        page.goto(url, wait_until="networkidle")
        if self.loads_mathjax():
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30000)
            page.evaluate("() => MathJax.startup.promise")
        page.evaluate(SCROLL_JS)  # lazy images load as a reader scrolls
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(200)

    def _response(self, response) -> None:
        self.urls.append(response.url)
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")
            return
        length = response.headers.get("content-length")
        if length is not None:
            self.bytes += int(length)
            return
        try:
            self.bytes += len(response.body())
        except Exception:  # noqa: BLE001 - redirects and aborted loads carry no body
            pass

    def loads_mathjax(self) -> bool:
        return bool(self.page.evaluate("() => !!document.querySelector('script[src*=\"mathjax\"]')"))

    def close(self) -> None:
        self.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_read_well(server: str, browser, width: int) -> None:
    """Light scheme: clean load, fits the column, legible figures, weight, MathJax only with math."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    weights_file = SHOTS / "weights.json"
    weights = json.loads(weights_file.read_text()) if weights_file.exists() else {}
    failures = []
    for path in site_pages():
        visit = Visit(browser, server + path, width)
        page, problems = visit.page, visit.problems
        raw = RAW_MATH.findall(page.evaluate(VISIBLE_TEXT_JS))
        if raw:
            problems.append(f"untypeset math: {raw[:3]}")
        has_math = page.evaluate("() => !!document.querySelector('mjx-container')")
        if visit.loads_mathjax() and not has_math:
            problems.append("MathJax loaded on a page without math")
        fit = page.evaluate(FIT_JS)
        problems += fit["problems"][:8]
        for image in page.evaluate(FIGURES_JS):
            where = image["figure"] or Path(urlparse(image["src"]).path).name
            if not image["loaded"]:
                problems.append(f"image not loaded: {image['src'][:80]}")
            if not image["alt"].strip() or image["alt"] == DEFAULT_ALT:
                problems.append(f"{where}: no alt text")
            if not image["notebook"]:
                continue
            if not (image["figure"] or "").startswith("figure-"):
                problems.append(f"{where}: not a numbered figure")
            elif not re.match(rf"Figure {image['figure'][7:]}\. \S", image["caption"]):
                problems.append(f"{where}: caption {image['caption'][:40]!r} does not start 'Figure N.'")
            if image["auto"]:
                problems.append(f"{where}: no caption or alt text of its own (use plotting.show)")
            opens = image["link"] and page.request.get(image["link"]).ok
            if not opens:
                problems.append(f"{where}: does not open full size")
            legible = image["shown"] >= LEGIBLE_SCALE * image["intended"] - 1
            if width >= 1400 and not legible:
                problems.append(f"{where}: shown at {image['shown'] / image['intended']:.0%} of its size (labels < 9 px)")
            if not legible and image["shown"] < 0.5 * image["natural"] and not opens:
                problems.append(f"{where}: shown at under half its natural width and cannot be opened")
        if visit.bytes > MAX_PAGE_BYTES:
            problems.append(f"{visit.bytes / 1e6:.2f} MB downloaded (budget {MAX_PAGE_BYTES / 1e6:.2f} MB)")
        weights.setdefault(path, {})[str(width)] = {"bytes": visit.bytes, "column_px": fit["column"],
                                                    "mathjax": visit.loads_mathjax()}
        page.screenshot(path=str(SHOTS / shot_name(path, width, "light")), full_page=True)
        visit.close()
        failures += [f"{path} @ {width}px: {p}" for p in problems]
    weights_file.write_text(json.dumps(weights, indent=1, sort_keys=True) + "\n")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_in_the_dark_scheme(server: str, browser, width: int) -> None:
    """Dark scheme: applied, clean load, figures on their white panel, still fitting the column."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    failures = []
    for path in site_pages():
        visit = Visit(browser, server + path, width, "dark")
        page, problems = visit.page, visit.problems
        applied = page.evaluate("() => document.body.getAttribute('data-md-color-scheme')")
        if applied != "slate":
            problems.append(f"colour scheme {applied!r} instead of slate")
        problems += page.evaluate(FIT_JS)["problems"][:4]
        panels = page.evaluate(
            """() => [...document.querySelectorAll('figure.mlpgeo-figure > a')]
                     .map(a => getComputedStyle(a).backgroundColor).filter(c => c !== 'rgb(255, 255, 255)')"""
        )
        if panels:
            problems.append(f"{len(panels)} figures without their white panel")
        page.screenshot(path=str(SHOTS / shot_name(path, width, "dark")), full_page=True)
        visit.close()
        failures += [f"{path} @ {width}px dark: {p}" for p in problems]
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
            elif parsed.fragment and (target.endswith("/") or target.endswith(".html")):
                if parsed.fragment not in anchors_of(page, target):
                    failures.append(f"{path} links to {href}: no element with id {parsed.fragment!r}")
    context.close()
    assert not failures, "\n".join(failures[:40])


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
    visit = Visit(browser, server + "/scorecard/")
    rows = visit.page.evaluate(
        """() => [...document.querySelectorAll('table.mlpgeo-claims tbody tr')].map(r => {
                 const cell = r.querySelector('td[data-label="Claim"]').cloneNode(true);
                 cell.querySelectorAll('.mlpgeo-claim-meta').forEach(e => e.remove());
                 const paper = r.querySelector('td[data-label="Paper scale"]');
                 return [cell.innerText.trim(), r.querySelector('td[data-label="Verdict"] .verdict').innerText.trim(),
                         paper ? (paper.querySelector('.verdict') || {innerText: ''}).innerText.trim() : null,
                         paper ? Boolean(paper.querySelector('.mlpgeo-flip')) : null]; })"""
    )
    visit.close()
    assert not visit.problems
    assert sorted((claim, verdict) for claim, verdict, _, _ in rows) == sorted(claims)  # each claim once, with its verdict
    # the paper-scale column: each claim's recorded verdict at the papers' sizes, "differs" exactly where it differs
    # (matched by claim id: a claim's sentence may name scale-dependent sizes, e.g. its widths)
    ids = {c["claim"].strip(): (path.stem, c["id"]) for path in (SITE / "metrics").glob("*.json")
           for c in json.loads(path.read_text())["claims"]}
    paper = {(path.stem, c["id"]): c["verdict"] for path in (SITE / "metrics" / "paper").glob("*.json")
             for c in json.loads(path.read_text())["claims"]}
    for claim, verdict, at_paper, differs in rows:
        if not paper:
            assert at_paper is None, claim
            continue
        recorded = paper.get(ids[claim], "")
        assert at_paper == recorded, claim
        assert differs == (bool(recorded) and recorded != verdict), claim


def test_search_works_offline(server: str, browser) -> None:
    visit = Visit(browser, server + "/")
    page = visit.page
    assert not any(u.endswith("search_index.json") for u in visit.urls), "the search index loaded with the page"
    count = 0
    for _ in range(20):  # the search worker loads its index asynchronously: retype until it answers
        page.fill("input.md-search__input", "")
        page.type("input.md-search__input", "region", delay=20)
        page.wait_for_timeout(1000)
        count = page.evaluate("() => document.querySelectorAll('.md-search-result__item').length")
        if count:
            break
    visit.close()
    assert count > 0
    assert any(u.endswith("search_index.json") for u in visit.urls)
    assert not visit.problems


def test_search_index_holds_prose_not_code_or_tex() -> None:
    index = json.loads((SITE / "search" / "search_index.json").read_text())
    failures = []
    for doc in index["docs"]:
        text = doc["title"] + " " + doc["text"]
        raw = RAW_MATH.findall(text) + re.findall(r"\\(?:frac|mathrm|sum|lVert|text|mathbb|alpha|le|ge)\b", text)
        if raw:
            failures.append(f"{doc['location']}: raw TeX {raw[:2]}")
        if doc["location"].startswith("reports/") and re.search(r"In \[\d*\]:|Copied!|plt\.show\(\)|\brec\.metric\(", text):
            failures.append(f"{doc['location']}: code in the index")
    assert not failures, "\n".join(failures[:30])


def test_site_loads_nothing_from_other_hosts() -> None:
    if not (SITE / "index.html").exists():
        pytest.fail(f"{SITE} holds no built site: run `make site` first.")
    pattern = re.compile(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(https?:)?//', re.I)
    offenders = [p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html") if pattern.search(p.read_text(errors="ignore"))]
    assert not offenders, f"pages that load assets from another host: {offenders}"


def test_only_the_mathjax_files_the_site_uses_are_served() -> None:
    served = {p.relative_to(SITE / "assets" / "mathjax").as_posix() for p in (SITE / "assets" / "mathjax").rglob("*") if p.is_file()}
    assert "startup.js" in served
    unused = [p for p in served if p.startswith(("sre/", "ui/", "input/mml", "output/svg")) or re.match(r"[\w-]+-(?:chtml|svg)", p)]
    assert not unused, f"MathJax files the site never loads: {unused[:10]}"
    assert sum((SITE / "assets" / "mathjax" / p).stat().st_size for p in served) < 3e6


def nav_titles(page) -> dict[str, str]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.md-nav--primary a.md-nav__link[href]')]
                 .filter(a => !new URL(a.href).hash).map(a => [new URL(a.href).pathname, a.innerText.trim()]))"""
    )


def test_home_page_shows_totals_sources_and_one_figure_per_report(server: str, browser) -> None:
    from mlpgeo.experiments.catalog import REPORTS

    recorded = [c for p in (SITE / "metrics").glob("*.json") for c in json.loads(p.read_text())["claims"]]
    claims = [c for c in recorded if c.get("kind", "source") == "source"]  # the totals count source claims
    checks = len(recorded) - len(claims)
    visit = Visit(browser, server + "/")
    page = visit.page
    totals = page.evaluate(
        """() => { const t = [...document.querySelectorAll('table')].find(t => t.innerText.includes('all source claims'));
                   const head = [...t.querySelectorAll('thead th')].map(c => c.innerText.trim());
                   const rows = [...t.querySelectorAll('tbody tr')].map(r => [...r.querySelectorAll('td')].map(c => c.innerText.trim()));
                   return rows.map(row => Object.fromEntries(head.map((h, i) => [h, Number(row[i])]))); }"""
    )
    totals, at_paper = totals[0], totals[1:]
    text = page.evaluate("() => document.querySelector('article').innerText")
    figures = page.evaluate(
        "() => [...document.querySelectorAll('.mlpgeo-card img')].filter(i => i.naturalWidth > 0).map(i => i.src)"
    )
    cards = page.evaluate("() => [...document.querySelectorAll('.mlpgeo-card')].map(c => [c.querySelector('h3 a:not(.headerlink)').innerText.trim(), c.innerText])")
    titles = nav_titles(page)
    visit.close()
    assert not visit.problems
    assert totals["all source claims"] == len(claims) and checks > 0
    assert f"Not counted: {checks} checks" in text
    for verdict in ("reproduced", "partly reproduced", "not reproduced", "not testable"):
        assert totals[verdict] == sum(c["verdict"] == verdict for c in claims), verdict
    # the recorded paper-scale runs (results/paper/, copied to metrics/paper/) as a second row
    paper = [c for p in (SITE / "metrics" / "paper").glob("*.json") for c in json.loads(p.read_text())["claims"]
             if c.get("kind", "source") == "source"]
    assert len(at_paper) == (1 if paper else 0)
    for verdict in ("reproduced", "partly reproduced", "not reproduced", "not testable") if paper else ():
        assert at_paper[0][verdict] == sum(c["verdict"] == verdict for c in paper), verdict
    assert sorted(Path(urlparse(src).path).stem for src in figures) == report_names()
    assert [title for title, _ in cards] == [info.title for info in REPORTS.values()]
    for (_, text), info in zip(cards, REPORTS.values(), strict=True):
        assert info.source in text, f"the card of {info.name} does not name its source in full"
        assert "document 0" not in text
    for info in REPORTS.values():
        assert titles.get(f"/reports/{info.name}/") == info.title


def test_report_pages_offer_download_metrics_rerun_references_and_one_title(server: str, browser) -> None:
    from mlpgeo.experiments.catalog import REPORTS

    context = browser.new_context()
    page = context.new_page()
    failures = []
    for name in report_names():
        info = REPORTS[name]
        page.goto(f"{server}/reports/{name}/")
        box = page.query_selector(".mlpgeo-report-box")
        if box is None:
            failures.append(f"{name}: no header box")
            continue
        text = box.inner_text()
        links = {a.inner_text(): a.get_attribute("href") for a in box.query_selector_all("a")}
        for needed in ("Source:", f"make report NAME={name}", "MLPGEO_SCALE=full", "seeds", info.source):
            if needed not in text:
                failures.append(f"{name}: the box does not mention {needed!r}")
        download = page.request.get(urljoin(page.url, links.get("Download the notebook", "")))
        if download.status != 200 or '"cells"' not in download.text():
            failures.append(f"{name}: the notebook download does not serve the notebook")
        else:
            first = download.json()["cells"][0]
            note = "".join(first["source"]) if isinstance(first["source"], list) else first["source"]
            if first["cell_type"] != "markdown" or "make setup" not in note or "mlpgeo" not in note:
                failures.append(f"{name}: the downloaded notebook does not start with the install-and-run note")
        metrics = page.request.get(urljoin(page.url, links.get("metrics file (JSON)", "")))
        if metrics.status != 200 or metrics.json().get("report") != name:
            failures.append(f"{name}: the metrics link does not serve metrics/{name}.json")
        references = page.evaluate("() => [...document.querySelectorAll('ol.mlpgeo-references li')].map(li => li.innerText)")
        if not references or info.source not in references[0] or (info.link and info.link.split("://")[1] not in references[0]):
            failures.append(f"{name}: the references do not start with the source document and its link")
        h1 = page.evaluate("() => document.querySelector('article h1').childNodes[0].textContent.trim()")
        shown = {h1, page.title().split(" - ")[0].strip(), nav_titles(page).get(f"/reports/{name}/")}
        if shown != {info.title}:
            failures.append(f"{name}: titles {sorted(t or '' for t in shown)} instead of {info.title!r} everywhere")
    context.close()
    assert not failures, "\n".join(failures)


def test_api_pages_link_each_object_to_its_source(server: str, browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    failures = []
    pages = [p for p in site_pages() if p.startswith("/api/") and p not in ("/api/", "/api/experiments/")]
    assert pages, "no API pages"
    for path in pages:
        page.goto(server + path)
        objects = page.evaluate("() => document.querySelectorAll('.doc-heading[id]').length")
        links = page.evaluate("() => [...document.querySelectorAll('.doc-heading a.mlpgeo-source-link')].map(a => a.href)")
        local = [link for link in links if urlparse(link).netloc == urlparse(server).netloc]
        if objects and not local:
            failures.append(f"{path}: {objects} objects, no source link")
        for link in local[:3]:
            target, _, line = link.partition("#")
            if not re.fullmatch(r"L\d+", line) or line not in anchors_of(page, target):
                failures.append(f"{path}: source link {link} has no such line")
    context.close()
    assert not failures, "\n".join(failures)
