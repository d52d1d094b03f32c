"""The figure style shared by every report.

Figures have a white background (they read as cards in the site's light and dark schemes), a
colour-blind-safe palette (Okabe-Ito), and render in notebooks as 2x PNG ("retina"): crisp, and far
lighter than SVG for images and dense scatter plots.
"""

from __future__ import annotations

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


def setup_notebook() -> None:
    """Call once at the top of a report: inline 2x PNG figures in the mlpgeo style.

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
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("retina")
    apply_style()


def color(index: int) -> str:
    """The ``index``-th palette colour (cycling)."""
    return PALETTE[index % len(PALETTE)]


def label_panels(axes: Any, start: str = "a") -> None:
    """Write panel letters (a, b, c, ...) in the top-left corner of each axes."""
    import numpy as np

    for i, ax in enumerate(np.ravel(axes)):
        ax.text(-0.08, 1.04, f"({chr(ord(start) + i)})", transform=ax.transAxes, fontweight="bold", va="bottom")
