"""Notebook pages made readable: what the hooks do to the HTML that mkdocs-jupyter renders.

- The notebook's inline ``<style>`` and ``<script>`` blocks go (about 580 kB per page of JupyterLab CSS,
  a clipboard script, an empty MathJax 2 loader, a Mermaid loader): the site styles notebooks once, in
  ``docs/stylesheets/notebook.css``, and loads its own MathJax where there is math.
- Code inputs are folded behind "Show code" (``<details>``), as Material code blocks (its highlighting in
  light and dark, its copy button); prompts (``In [3]:``) go.
- Printed output longer than :data:`FOLD_LINES` lines is folded; printed output scrolls sideways inside
  its box instead of wrapping mid-token. HTML tables sit in a box that scrolls; verdict tables wrap.
- Figures (``plotting.show``'s ``<figure class="mlpgeo-figure">``, bare PNG outputs and inline GIFs) are
  numbered (Figure 1, 2, ... with anchors ``figure-N``), written to files beside the page and shown
  from them, at most at their intended size and at the column's width, each a link to its full-size
  image. High-density PNGs are shown from a copy at their display size (``srcset`` keeps the full one
  for high-density screens); GIFs become lossless animated WebP when that is smaller. A figure without
  a caption or alt text gets a stand-in marked ``data-mlpgeo-auto`` (the browser test reports those).
- Code and output are kept out of the search index (``data-search-exclude``); prose and captions stay.
- The links of the verdict table to the evidence point at the page's own heading anchors; verdict tables
  of notebooks executed before the readable ``ClaimTable`` are drawn again from the metrics file.
- Markdown cells lose their cell wrappers (:func:`flatten_markdown_cells`), headings their notebook-style
  permalink (the theme's instead).
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from PIL import Image, ImageSequence

FOLD_LINES = 20
"""Printed output with more lines than this is folded (about half a screen)."""
DEFAULT_ALT = "No description has been provided for this image"
"""The alt text nbconvert gives every image output."""
DATA_URI = re.compile(r"^data:image/(png|gif|jpeg|svg\+xml);base64,(.*)$", re.S)
EXTENSIONS = {"png": "png", "gif": "gif", "jpeg": "jpg", "svg+xml": "svg"}


@dataclass
class Figure:
    """One figure of a page: its number, files (name -> bytes) and what the page shows."""

    number: int
    files: dict[str, bytes]
    caption: str
    alt: str
    auto: bool


@dataclass
class NotebookPage:
    """The result of :func:`transform`: the new HTML, the files to write beside the page, and facts."""

    html: str
    figures: list[Figure] = field(default_factory=list)
    headings: dict[str, str] = field(default_factory=dict)
    prose: str = ""

    @property
    def files(self) -> dict[str, bytes]:
        return {name: data for figure in self.figures for name, data in figure.files.items()}


def heading_text(tag: Tag) -> str:
    """A heading's text without its permalink mark."""
    marks = {"anchor-link", "headerlink"}
    return "".join(t for t in tag.find_all(string=True) if not (t.parent and marks & set(t.parent.get("class") or []))).strip()


def _class(tag: Tag) -> list[str]:
    return tag.get("class") or []


def fold_code(soup: BeautifulSoup, folded: bool = True) -> None:
    """Code inputs as Material code blocks folded behind "Show code" (shown, but foldable, when not
    ``folded``); prompts and copy widgets removed."""
    for wrapper in soup.select(".jp-CodeCell > .jp-Cell-inputWrapper"):
        pre = wrapper.select_one(".highlight-ipynb pre") or wrapper.select_one("pre")
        if pre is None:
            wrapper.decompose()
            continue
        lines = pre.get_text().rstrip("\n").count("\n") + 1
        code = soup.new_tag("code")
        for child in list(pre.children):
            code.append(child.extract())
        for empty in code.find_all("span", string=False, recursive=False):
            if not empty.contents:
                empty.decompose()
        new_pre = soup.new_tag("pre")
        new_pre.append(code)
        block = soup.new_tag("div", attrs={"class": "highlight"})
        block.append(new_pre)
        details = soup.new_tag("details", attrs={"class": "mlpgeo-code", "data-search-exclude": ""})
        if not folded:
            details["open"] = ""
        summary = soup.new_tag("summary")
        summary.string = f"Show code ({lines} line{'s' if lines != 1 else ''})"
        details.append(summary)
        details.append(block)
        wrapper.replace_with(details)
    for prompt in soup.select(".jp-InputPrompt, .jp-OutputPrompt, .jp-Collapser, .zeroclipboard-container, .clipboard-copy-txt"):
        prompt.decompose()


def old_claim_tables(soup: BeautifulSoup, claims: list[dict] | None) -> None:
    """Verdict tables printed by notebooks executed before ``ClaimTable`` became readable (one wide row of
    text per claim) are drawn again from the metrics file's claims, when they list as many claims."""
    if not claims:
        return
    from mlpgeo.report import ClaimTable

    for table in soup.select("table.mlpgeo-claims"):
        if "mlpgeo-stack" in _class(table) or len(table.select("tbody tr")) != len(claims):
            continue
        table.replace_with(BeautifulSoup(ClaimTable(claims)._repr_html_(), "html.parser"))


def fold_outputs(soup: BeautifulSoup) -> None:
    """Long printed output folded; every output but figures kept out of search; tables in scroll boxes."""
    for output in soup.select(".jp-OutputArea-output"):
        if output.select_one("figure.mlpgeo-figure"):
            continue
        output["data-search-exclude"] = ""
        for pre in output.find_all("pre", recursive=True):
            text = pre.get_text()
            lines = text.rstrip("\n").count("\n") + 1
            if lines > FOLD_LINES and not pre.find_parent("details"):
                details = soup.new_tag("details", attrs={"class": "mlpgeo-output"})
                summary = soup.new_tag("summary")
                summary.string = f"Printed output ({lines} lines)"
                pre.wrap(details)
                details.insert(0, summary)
        for table in output.find_all("table"):
            if {"mlpgeo-stack", "mlpgeo-claims"} & set(_class(table)) or table.find_parent(class_="mlpgeo-scroll"):
                continue
            table.wrap(soup.new_tag("div", attrs={"class": "mlpgeo-scroll"}))


def _image_bytes(src: str) -> tuple[str, bytes] | None:
    match = DATA_URI.match(src or "")
    if not match:
        return None
    return EXTENSIONS[match.group(1)], base64.b64decode(match.group(2))


def display_copy(png: bytes, width: int | None, height: int | None) -> bytes | None:
    """A copy of a high-density PNG at its display size (CSS pixels), or ``None`` when it is not larger
    than 1.5 x that size (then the image itself is shown)."""
    if not width or not height:
        return None
    image = Image.open(io.BytesIO(png))
    if image.width < 1.5 * width:
        return None
    small = image.convert("RGB").resize((width, height), Image.Resampling.BOX)  # area average: an exact 2:1 reduction
    small = small.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="png", optimize=True)
    return out.getvalue() if len(out.getvalue()) < len(png) else None


def animated_webp(gif: bytes) -> bytes | None:
    """A lossless animated WebP of a GIF (same frames and timing), or ``None`` when it is not smaller."""
    try:
        image = Image.open(io.BytesIO(gif))
        frames = [frame.convert("RGBA") for frame in ImageSequence.Iterator(image)]
        durations = [frame.info.get("duration", image.info.get("duration", 100)) for frame in ImageSequence.Iterator(image)]
        out = io.BytesIO()
        frames[0].save(out, format="WEBP", save_all=True, append_images=frames[1:], duration=durations,
                       loop=image.info.get("loop", 0), lossless=True, method=6)
    except (OSError, ValueError):
        return None
    return out.getvalue() if len(out.getvalue()) < len(gif) else None


@dataclass(frozen=True)
class ImageVersions:
    """What the page shows of one image output: its file (a GIF may become WebP) and a display-size copy."""

    extension: str
    data: bytes
    small: bytes | None


def image_versions(extension: str, data: bytes, width: int | None, height: int | None) -> ImageVersions:
    """The versions of an image the page shows (:func:`animated_webp` of a GIF, :func:`display_copy` of a PNG)."""
    if extension == "gif":
        webp = animated_webp(data)
        if webp is not None:
            extension, data = "webp", webp
    return ImageVersions(extension, data, display_copy(data, width, height) if extension == "png" else None)


Versions = Callable[[str, bytes, int | None, int | None], ImageVersions]
"""A function with :func:`image_versions`'s arguments and result (:class:`PrefetchedVersions` is one)."""

IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
IMG_ATTRIBUTE = re.compile(r'\b(src|width|height|alt)="([^"]*)"', re.I)


def output_images(output: dict) -> list[tuple[str, bytes, int | None, int | None, str]]:
    """(extension, bytes, width, height, alt text) of every PNG and GIF one notebook output shows, as its page's
    ``<img>`` tags will give them: a bare PNG output (its display size from the output's metadata, no alt text),
    then the inline images of an HTML output (``plotting.show``)."""
    found = []
    data = output.get("data", {})
    png = data.get("image/png")
    if png:
        size = output.get("metadata", {}).get("image/png", {})
        found.append(("png", base64.b64decode("".join(png) if isinstance(png, list) else png),
                      _int(size.get("width")), _int(size.get("height")), ""))
    page = data.get("text/html")
    for tag in IMG_TAG.findall("".join(page) if isinstance(page, list) else (page or "")):
        attributes = {key.lower(): html.unescape(value) for key, value in IMG_ATTRIBUTE.findall(tag)}
        decoded = _image_bytes(attributes.get("src", ""))
        if decoded is not None and decoded[0] in ("png", "gif"):
            found.append((*decoded, _int(attributes.get("width")), _int(attributes.get("height")),
                          attributes.get("alt", "")))
    return found


def notebook_images(cells: Iterable[dict]) -> list[tuple[str, bytes, int | None, int | None]]:
    """(extension, bytes, width, height) of every image of a notebook's outputs (:func:`output_images`). Pages
    may hold more; those are simply not prefetched."""
    return [image[:4] for cell in cells for output in cell.get("outputs", []) for image in output_images(output)]


def _version_key(extension: str, data: bytes, width: int | None, height: int | None) -> tuple:
    return extension, hashlib.sha256(data).hexdigest(), width, height


class PrefetchedVersions:
    """:func:`image_versions` of known images, computed ahead on an executor (a build with workers renders
    other pages meanwhile; Pillow's resizing, quantising and encoding release the GIL, so a thread runs them
    on another core). Called like :func:`image_versions`: an image prefetched (same bytes, by SHA-256, and
    same display size) waits for its result, any other is computed on the spot, so the page is the same
    either way."""

    def __init__(self, images: Iterable[tuple[str, bytes, int | None, int | None]], executor: Executor) -> None:
        self._futures: dict[tuple, Future] = {}
        for image in images:
            key = _version_key(*image)
            if key not in self._futures:
                self._futures[key] = executor.submit(image_versions, *image)
        self.hits = 0

    def __len__(self) -> int:
        return len(self._futures)

    def __call__(self, extension: str, data: bytes, width: int | None, height: int | None) -> ImageVersions:
        future = self._futures.get(_version_key(extension, data, width, height))
        if future is None:
            return image_versions(extension, data, width, height)
        self.hits += 1
        return future.result()


def _int(value) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def number_figures(soup: BeautifulSoup, page_title: str, versions: Versions = image_versions) -> list[Figure]:
    """Number, caption, anchor and externalise every image output (see the module's docstring); ``versions``
    gives the files of each image (:func:`image_versions`, or a :class:`PrefetchedVersions`)."""
    figures: list[Figure] = []
    section = ""
    for node in soup.find_all(["h1", "h2", "h3", "h4", "img"]):
        if node.name != "img":
            section = heading_text(node)
            continue
        if node.find_parent(class_="jp-OutputArea-output") is None or node.find_parent("a", class_="mlpgeo-figure-link"):
            continue
        decoded = _image_bytes(node.get("src", ""))
        if decoded is None:
            continue
        extension, data = decoded
        number = len(figures) + 1
        stem = f"figure-{number}"
        figure = node.find_parent("figure", class_="mlpgeo-figure")
        caption_tag = figure.find("figcaption") if figure else None
        caption = caption_tag.decode_contents().strip() if caption_tag else ""
        alt = (node.get("alt") or "").strip()
        auto = False
        if not alt or alt == DEFAULT_ALT:
            auto = True
            alt = f"Figure {number} of the report “{page_title}”" + (f", section “{section}”" if section else "")
        if not caption:
            if extension == "gif" and not auto:
                caption = html.escape(alt)  # an animation whose author wrote its description
            else:
                auto = True
                caption = html.escape(f"Output of the section “{section}”." if section else "A figure of this report.")
        if figure is None:
            figure = soup.new_tag("figure")
            (node.find_parent("a") or node).wrap(figure)
            caption_tag = None
        figure["class"] = ["mlpgeo-figure"]
        figure["id"] = stem
        if auto:
            figure["data-mlpgeo-auto"] = ""
        width, height = _int(node.get("width")), _int(node.get("height"))
        shown = versions(extension, data, width, height)
        extension, data, small = shown.extension, shown.data, shown.small
        files = {f"{stem}.{extension}": data}
        if small is not None:
            files[f"{stem}-1x.png"] = small
            node["src"] = f"{stem}-1x.png"
            node["srcset"] = f"{stem}-1x.png 1x, {stem}.png 2x"
        else:
            node["src"] = f"{stem}.{extension}"
        node["alt"] = alt
        node["loading"] = "lazy"
        node["decoding"] = "async"
        for attribute in ("class", "style"):
            node.attrs.pop(attribute, None)
        link = soup.new_tag("a", attrs={"class": "mlpgeo-figure-link", "href": f"{stem}.{extension}",
                                         "title": "Open the full-size image"})
        node.wrap(link)
        new_caption = soup.new_tag("figcaption")
        number_link = soup.new_tag("a", attrs={"class": "mlpgeo-figure-number", "href": f"#{stem}"})
        number_link.string = f"Figure {number}."
        new_caption.append(number_link)
        new_caption.append(NavigableString(" "))
        new_caption.append(BeautifulSoup(caption, "html.parser"))
        if caption_tag is not None:
            caption_tag.replace_with(new_caption)
        else:
            figure.append(new_caption)
        figures.append(Figure(number, files, BeautifulSoup(caption, "html.parser").get_text(), alt, auto))
    return figures


def link_evidence(soup: BeautifulSoup, headings: dict[str, str]) -> None:
    """Point the verdict table's evidence links (``data-section``) at this page's heading anchors."""
    for link in soup.select("a.mlpgeo-evidence[data-section]"):
        anchor = headings.get(link["data-section"].strip())
        if anchor:
            link["href"] = f"#{anchor}"


def set_title(soup: BeautifulSoup, title: str) -> None:
    """The first H1 says ``title`` (the catalog's), keeping its anchor."""
    h1 = soup.find("h1")
    if h1 is None:
        return
    anchor = h1.find("a", class_=["anchor-link", "headerlink"])
    h1.clear()
    h1.append(NavigableString(title))
    if anchor is not None:
        h1.append(anchor)


def flatten_markdown_cells(soup: BeautifulSoup) -> None:
    """Markdown cells' rendered content straight into the notebook, without their cell wrappers: headings
    then sit at one depth, so the search index files every paragraph and caption under its own section
    (Material's parser closes a section when the element around its heading closes)."""
    for cell in soup.select(".jp-Notebook > .jp-MarkdownCell"):
        rendered = cell.select_one(".jp-RenderedMarkdown")
        if rendered is None:
            continue
        for child in list(rendered.contents):
            cell.insert_before(child.extract())
        cell.decompose()


def prose_text(soup: BeautifulSoup) -> str:
    """The page's prose (markdown cells, figure captions, verdict tables), for finding citations."""
    parts = [node.get_text(" ") for node in soup.select(".jp-RenderedMarkdown, figcaption, table.mlpgeo-claims")]
    return "\n".join(parts)


def headerlinks(soup: BeautifulSoup) -> None:
    """Notebook heading permalinks (``¶``) styled as the theme's: shown on hover only."""
    for anchor in soup.select("a.anchor-link"):
        anchor["class"] = ["headerlink"]
        anchor["title"] = "Permanent link"


def transform(content: str, title: str | None = None, claims: list[dict] | None = None,
              fold: bool = True, versions: Versions = image_versions) -> NotebookPage:
    """The readable version of a notebook page's HTML (see the module's docstring).

    Args:
        content: the page's HTML as mkdocs-jupyter renders it.
        title: the page title to show in the first H1 (the catalog's), or ``None`` to keep the notebook's.
        claims: the report's claims from its metrics file (to redraw verdict tables of old notebooks).
        fold: fold the code cells (reports); a page whose code is the point (the "own model" guide) shows it.
        versions: the files of each figure (:func:`number_figures`).
    """
    soup = BeautifulSoup(content, "html.parser")
    for node in soup.find_all(["style", "script"]):
        node.decompose()
    for comment in soup.find_all(string=lambda text: isinstance(text, Comment)):
        comment.extract()
    if title:
        set_title(soup, title)
    fold_code(soup, fold)
    old_claim_tables(soup, claims)
    fold_outputs(soup)
    headings = {heading_text(h): h["id"] for h in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]) if h.get("id")}
    link_evidence(soup, headings)
    headerlinks(soup)
    page_title = title or (heading_text(soup.find("h1")) if soup.find("h1") else "")
    figures = number_figures(soup, page_title, versions)
    prose = prose_text(soup)
    flatten_markdown_cells(soup)
    return NotebookPage(str(soup), figures, headings, prose)
