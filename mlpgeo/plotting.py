"""The figure style shared by every report.

Figures have a white background (they read as cards in the site's light and dark schemes), a
colour-blind-safe palette (Okabe-Ito), and render in notebooks as 2x PNG ("retina"): crisp, and far
lighter than SVG for images and dense scatter plots.
"""

from __future__ import annotations

import io
from typing import Any

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
    import matplotlib as mpl
    from cycler import cycler

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
    from PIL import Image

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
        from matplotlib.figure import Figure

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
    import numpy as np

    for i, ax in enumerate(np.ravel(axes)):
        ax.text(-0.08, 1.04, f"({chr(ord(start) + i)})", transform=ax.transAxes, fontweight="bold", va="bottom")


def gif_html(data: bytes, alt: str, width: str = "100%") -> str:
    """An ``<img>`` tag holding the GIF inline (a data URI): shows in notebooks and on the static site."""
    import base64
    import html

    encoded = base64.b64encode(data).decode("ascii")
    style = f"width:{width};max-width:900px"
    return f'<img src="data:image/gif;base64,{encoded}" alt="{html.escape(alt)}" style="{style}">'
