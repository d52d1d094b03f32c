import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import pytest  # noqa: E402

from mlpgeo.plotting import PALETTE, apply_style, color, compact_png, show  # noqa: E402


def test_compact_png_is_a_palette_png_at_twice_the_display_size():
    apply_style()
    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.imshow(np.linspace(0, 1, 400).reshape(20, 20))
    ax.plot([0, 19], [0, 19], color=color(1))
    png, size = compact_png(fig)
    image = Image.open(io.BytesIO(png))
    assert image.mode == "P"
    assert (image.width // 2, image.height // 2) == (size["width"], size["height"])
    truecolour = io.BytesIO()
    fig.savefig(truecolour, format="png", dpi=200, bbox_inches="tight")
    assert len(png) < len(truecolour.getvalue())
    # the palette keeps the plotted colours: the line's colour is present exactly
    rgb = np.asarray(image.convert("RGB")).reshape(-1, 3)
    line = tuple(int(PALETTE[1][i : i + 2], 16) for i in (1, 3, 5))
    assert (np.abs(rgb - line).sum(1) <= 6).any()
    plt.close(fig)


def test_palette_cycles():
    assert color(0) == PALETTE[0] and color(len(PALETTE)) == PALETTE[0]


def test_gif_html_embeds_the_bytes_and_escapes_the_alt_text():
    import base64
    import re

    from mlpgeo.plotting import gif_html

    data = b"GIF89a\x01\x00\x01\x00payload"
    tag = gif_html(data, alt='a "quoted" <probe>')
    encoded = re.search(r'src="data:image/gif;base64,([^"]+)"', tag).group(1)
    assert base64.b64decode(encoded) == data
    assert 'alt="a &quot;quoted&quot; &lt;probe&gt;"' in tag


def test_show_captions_and_refuses_wide_or_undescribed_figures():
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([0, 1], [0, 1])
    shown = show(fig, caption="A rising line: look at its slope.", alt="a line from (0, 0) to (1, 1)")
    page = shown._repr_html_()
    assert page.startswith('<figure class="mlpgeo-figure"><img src="data:image/png;base64,')
    assert 'alt="a line from (0, 0) to (1, 1)"' in page and "<figcaption>A rising line: look at its slope.</figcaption>" in page
    assert shown.size["width"] <= 650 and not plt.get_fignums()  # closed
    with pytest.raises(ValueError, match="caption"):
        show(plt.figure(figsize=(4, 3)), caption=" ", alt="x")
    with pytest.raises(ValueError, match="at most 10"):
        show(plt.figure(figsize=(14, 3)), caption="c", alt="a")
    assert not plt.get_fignums()
