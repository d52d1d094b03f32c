"""The figure style shared by every report.

Figures have a white background (they read as cards in the site's light and dark schemes), a
colour-blind-safe palette (Okabe-Ito), and render in notebooks as 2x PNG ("retina"): crisp, and far
lighter than SVG for images and dense scatter plots.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.figure import Figure
from PIL import Image

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
"""Okabe-Ito colours: blue, orange, green, vermillion, purple, sky blue, yellow, black."""

STYLE: dict[str, Any] = {
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.facecolor": "white",
    "figure.dpi": 100,
    "figure.figsize": (6.4, 4.0),
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "image.cmap": "viridis",
    "lines.linewidth": 1.6,
}


def apply_style() -> None:
    """Set matplotlib's parameters to the mlpgeo style (palette, white background, light grid)."""
    mpl.rcParams.update(STYLE)
    mpl.rcParams["axes.prop_cycle"] = cycler(color=PALETTE)


def compact_png(fig: Any, scale: int = 2, colors: int = 256) -> tuple[bytes, dict[str, int]]:
    """A figure as a crisp, light PNG: rendered at ``scale`` x its size, reduced to a ``colors`` palette.

    Palette PNGs of plots are typically 3-4 times smaller than true-colour ones and look the same
    (plots hold few distinct colours; colour maps keep 256 levels).

    Returns:
        ``(png_bytes, {"width": w, "height": h})``: the display size in CSS pixels is the rendered size
        divided by ``scale`` (the IPython convention for high-density images).
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi * scale, bbox_inches="tight", facecolor=fig.get_facecolor())
    image = Image.open(buffer).convert("RGB")
    palette = image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="png", optimize=True)
    return out.getvalue(), {"width": image.width // scale, "height": image.height // scale}


def setup_notebook() -> None:
    """Call once at the top of a report: inline figures in the mlpgeo style, as :func:`compact_png`.

    Also selects the inline backend explicitly, so figures are kept in the executed notebook even when
    ``MPLBACKEND=Agg`` is set in the environment.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: only the style applies
        get_ipython = None
    shell = get_ipython() if get_ipython else None
    if shell is not None:
        shell.run_line_magic("matplotlib", "inline")
        formatters = shell.display_formatter.formatters
        formatters["image/png"].for_type(Figure, compact_png)
        for mime in ("image/svg+xml", "image/jpeg", "application/pdf"):
            formatters[mime].pop(Figure, None)
    apply_style()


def color(index: int) -> str:
    """The ``index``-th palette colour (cycling)."""
    return PALETTE[index % len(PALETTE)]


def label_panels(axes: Any, start: str = "a") -> None:
    """Write panel letters (a, b, c, ...) in the top-left corner of each axes."""
    for i, ax in enumerate(np.ravel(axes)):
        ax.text(-0.08, 1.04, f"({chr(ord(start) + i)})", transform=ax.transAxes, fontweight="bold", va="bottom")


def gif_html(data: bytes, alt: str, width: str = "100%") -> str:
    """An ``<img>`` tag holding the GIF inline (a data URI): shows in notebooks and on the static site."""
    encoded = base64.b64encode(data).decode("ascii")
    style = f"width:{width};max-width:900px"
    return f'<img src="data:image/gif;base64,{encoded}" alt="{html.escape(alt)}" style="{style}">'


MAX_WIDTH_IN = 10.0
"""The widest figure (inches at 100 dpi, i.e. 1000 CSS pixels) :func:`show` accepts: wider figures are
shrunk so much in the site's content column that their labels become unreadable."""


class CaptionedFigure:
    """A figure with its caption and alt text, shown in notebooks and on the site as
    ``<figure class="mlpgeo-figure"><img ...><figcaption>...</figcaption></figure>``.

    The site numbers the figures of each page in order, gives each an anchor and links it to its
    full-size image.
    """

    def __init__(self, png: bytes, size: dict[str, int], caption: str, alt: str) -> None:
        self.png = png
        self.size = size
        self.caption = caption
        self.alt = alt

    def _repr_html_(self) -> str:
        encoded = base64.b64encode(self.png).decode("ascii")
        return (
            '<figure class="mlpgeo-figure">'
            f'<img src="data:image/png;base64,{encoded}" alt="{html.escape(self.alt)}" '
            f'width="{self.size["width"]}" height="{self.size["height"]}">'
            f"<figcaption>{html.escape(self.caption)}</figcaption></figure>"
        )


def show(fig: Figure, caption: str, alt: str) -> CaptionedFigure:
    """Close ``fig`` and return it as a :class:`CaptionedFigure` (end a notebook cell with it).

    Args:
        fig: a matplotlib figure at most :data:`MAX_WIDTH_IN` inches wide.
        caption: what the figure shows and what to look at, in one or two sentences.
        alt: a short description for readers who cannot see the image.

    Raises:
        ValueError: an empty caption or alt text, or a figure wider than :data:`MAX_WIDTH_IN`.
    """
    width = fig.get_figwidth()
    if not caption.strip() or not alt.strip():
        plt.close(fig)
        raise ValueError("every figure needs a caption (what to look at) and an alt text (what it shows).")
    if width > MAX_WIDTH_IN + 1e-9:
        plt.close(fig)
        raise ValueError(f"the figure is {width:.1f} in wide; keep it at most {MAX_WIDTH_IN} in (use more rows) "
                         "so its labels stay readable in the site's column.")
    png, size = compact_png(fig)
    plt.close(fig)
    return CaptionedFigure(png, size, caption.strip(), alt.strip())
