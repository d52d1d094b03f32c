import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from mlpgeo.plotting import PALETTE, apply_style, color, compact_png  # noqa: E402


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
