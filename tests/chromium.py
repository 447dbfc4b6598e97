"""Headless Chromium for the browser tests: Debian's binary driven by Playwright (no browser download), offline.

``open_offline`` opens a file with every request that is not a file or data URL blocked and recorded, and records
dialogs (a model's ``alert()`` must never run) and page errors; the ``browser`` fixture (tests/conftest.py) is one
Chromium per test module.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
SETUP = "pip install -r requirements-browser.txt"
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium); CI installs it")


@contextmanager
def launch() -> Iterator[Any]:
    """One headless Chromium, closed afterwards; a clear failure when Playwright is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"chromium is installed but Playwright is not; set up the browser tests with: {SETUP}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_offline(browser: Any, path: Path, *, javascript: bool = True, width: int = 1400) -> tuple[Any, Any, dict]:
    """(context, page, seen) on ``path``: ``seen`` lists the dialogs, page errors and blocked outside requests."""
    context = browser.new_context(viewport={"width": width, "height": 1000}, java_script_enabled=javascript)
    page = context.new_page()
    seen: dict[str, list[str]] = {"dialogs": [], "outside": [], "errors": []}

    def on_route(route: Any) -> None:
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            seen["outside"].append(route.request.url)
            route.abort()

    page.route("**/*", on_route)
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.goto(path.as_uri())
    return context, page, seen
