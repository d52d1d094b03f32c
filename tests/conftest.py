"""Shared test settings: progress bars off, one torch thread (tiny nets are fastest that way); the built
site served on 127.0.0.1 and a headless Chromium for the browser tests (test_site.py, test_playground.py)."""

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("MLPGEO_SITE_DIR") or ROOT / "site")
"""The built site the browser tests read (``make site`` builds it; ``MLPGEO_SITE_DIR`` names another)."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

os.environ.setdefault("MLPGEO_PROGRESS", "0")


@pytest.fixture(autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The built site served on a free port of 127.0.0.1 (its base URL)."""
    if not (SITE / "index.html").exists():
        pytest.fail(f"{SITE} holds no built site: run `make site` (or `make site-only`) first.")
    handler = functools.partial(QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium (or ``CHROMIUM``) driven by Playwright, which downloads no browser of its own."""
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("google-chrome")
    if not executable or not Path(executable).exists():
        pytest.fail("Chromium is missing: `make browser` installs Debian's chromium package (or set CHROMIUM).")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
