"""Headless Chromium for the page tests, driven by Playwright's sync API.

Playwright's own browser download is not available on the project's machines: the tests launch Debian's
``chromium`` (installed by ``scripts/ensure_chromium.sh``) through ``executable_path``. Every page opened with
:func:`open_page` records page errors and console errors; :func:`assert_clean` fails on any.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Chromium is needed for the page tests: `bash scripts/ensure_chromium.sh` installs Debian's 'chromium'"
    return path


@contextmanager
def launch() -> Iterator[object]:
    """A headless Chromium (Playwright ``Browser``), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, path: Path, width: int = 1280, height: int = 900):
    """Open a local HTML file; ``page.errors`` collects page errors, console errors and failed requests."""
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(f"page error: {e}"))
    page.on("console", lambda m: page.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("requestfailed", lambda r: page.errors.append(f"request failed: {r.url}"))
    page.goto(Path(path).resolve().as_uri())
    page.wait_for_load_state("load")
    return page


def reload_fresh(page, path: Path):
    """Navigate ``page`` (from :func:`open_page`) to ``path`` again, as a new visit: the document, its scripts and
    its form fields start afresh (a navigation, not a reload: no form state is restored), print media off, the
    error list emptied. Cheaper than a new page (about 0.6 instead of 1.6 CPU-s for the report: the browser keeps
    its process and decoded resources)."""
    page.errors.clear()
    page.emulate_media(media="screen")
    page.goto(Path(path).resolve().as_uri())
    page.wait_for_load_state("load")
    return page


def assert_clean(page) -> None:
    assert not page.errors, page.errors


def screenshot(page, name: str, full_page: bool = False) -> Path:
    """Save a screenshot under test-artifacts/ (kept for people to look at; gitignored)."""
    ARTEFACTS.mkdir(exist_ok=True)
    out = ARTEFACTS / name
    page.screenshot(path=str(out), full_page=full_page)
    assert out.stat().st_size > 10_000, out
    return out
