"""Frame rate of the interactive playground while a line is dragged, against the browser's own frame rate.

Needs a built site (``make site``; ``MLPGEO_SITE_DIR`` names another) and Chromium. For each network
2-w-w-1 (random weights, fixed seeds) it drags a first-layer line for 2 s, one pointer move per animation
frame (each frame recomputes the exact regions and redraws), and counts the frames the page rendered. The
baseline, measured in the same run on the same page, is the number of animation frames an empty
``requestAnimationFrame`` loop gets in 2 s: the most the page could show. Target: >= 30 frames per second
for 2-16-16-1.

    .venv/bin/python benchmarks/playground.py [width ...]     (default widths: 8 16 24 32)
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import sys
import threading
from pathlib import Path

import torch
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("MLPGEO_SITE_DIR") or ROOT / "site")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-quic", "--no-first-run"]
BOX = [-1.2, 1.2, -1.2, 1.2]

IDLE_JS = """async () => {
    let frames = 0; const start = performance.now();
    await new Promise(done => { const step = () => { frames++;
        if (performance.now() - start < 2000) requestAnimationFrame(step); else done(); }; requestAnimationFrame(step); });
    return frames / ((performance.now() - start) / 1000);
}"""

DRAG_JS = """async () => {
    const pg = window.mlpgeoPlayground;
    const handles = [...document.querySelectorAll('[data-handle="move"]')].filter(g => {
        const r = g.getBoundingClientRect(); if (!r.width || g.style.display === 'none') return false;
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return hit && hit.closest('[data-handle]') === g; });
    const handle = handles[0], r = handle.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2, stage = handle.closest('.mlpgeo-pg-stage');
    const fire = (target, type, cx, cy) => target.dispatchEvent(new PointerEvent(type, {bubbles: true,
        cancelable: true, pointerId: 7, pointerType: 'mouse', isPrimary: true, clientX: cx, clientY: cy,
        buttons: type === 'pointerup' ? 0 : 1}));
    fire(handle, 'pointerdown', x, y); pg.resetStats();
    const start = performance.now(); let t = 0;
    await new Promise(done => { const step = () => { t = performance.now() - start;
        fire(stage, 'pointermove', x + 60 * Math.sin(t / 300), y + 40 * Math.sin(t / 170));
        if (t < 2000) requestAnimationFrame(step); else done(); }; requestAnimationFrame(step); });
    fire(stage, 'pointerup', x, y);
    const s = pg.stats();
    return {fps: s.renders / (t / 1000), regions: pg.state().regions, ms: (s.computeMs + s.drawMs) / Math.max(s.renders, 1)};
}"""


def network(width: int, seed: int) -> list[dict]:
    """A random 2-width-width-1 network in the page's format (nested lists, weight shape (out, in))."""
    generator = torch.Generator().manual_seed(seed)
    shapes = [(width, 2), (width, width), (1, width)]
    return [{"weight": (torch.randn(shape, generator=generator) / shape[1] ** 0.5).tolist(),
             "bias": (0.5 * torch.randn(shape[0], generator=generator)).tolist()} for shape in shapes]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


def main(widths: list[int]) -> int:
    if not (SITE / "playground" / "index.html").exists():
        print(f"{SITE} holds no playground page: run `make site` first.", file=sys.stderr)
        return 1
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("google-chrome")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/playground/")
        page.wait_for_function("() => window.mlpgeoPlayground && window.mlpgeoPlayground.ready", timeout=20000)
        display = page.evaluate(IDLE_JS)
        print(f"baseline: an empty animation loop runs at {display:.1f} frames per second")
        ratio = 0.0
        for width in widths:
            page.evaluate("async ([layers, box]) => { window.mlpgeoPlayground.setNetwork(layers, {box});"
                          " await window.mlpgeoPlayground.settled(); }", [network(width, seed=width), BOX])
            result = page.evaluate(DRAG_JS)
            ratio = result["fps"] / display
            print(f"2-{width}-{width}-1 ({result['regions']} regions in the box): {result['fps']:.1f} frames per second, "
                  f"{result['ms']:.1f} ms per frame, {ratio:.2f} of the baseline")
        browser.close()
    server.shutdown()
    print(f"ratio: {ratio:.2f}x of the browser's frame rate (last network)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main([int(w) for w in sys.argv[1:]] or [8, 16, 24, 32]))
