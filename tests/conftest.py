"""Shared fixtures. Data that lives only in ../shared is found beside the repository; tests skip without it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    env = os.environ.get("BORDERWATCH_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "data", REPO.parent.parent / "shared" / "data"]
    for c in candidates:
        if c.is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    d = shared_data_dir()
    if d is None:
        pytest.skip("../shared/data is absent (set BORDERWATCH_SHARED_DATA to run this test)")
    return d


@pytest.fixture(scope="session")
def theatre():  # type: ignore[no-untyped-def]
    from borderwatch.theatre import load_theatre

    return load_theatre()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _screenshot(page_path: Path, png: Path) -> tuple[list[str], dict[str, bool]]:
    """Open a local HTML file in Chromium; return console errors and which sections are visible."""
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.resolve().as_uri())
        page.wait_for_load_state("load")
        visible = {sel: page.locator(sel).first.is_visible() for sel in ("#summary .kpi", "#map img", "#timeline img")}
        natural = page.evaluate("document.querySelector('#map img').naturalWidth")
        visible["map_decoded"] = bool(natural and natural > 100)
        page.screenshot(path=str(png), full_page=True)
        browser.close()
    return errors, visible


@pytest.fixture(scope="session")
def browser_check():  # type: ignore[no-untyped-def]
    """``check(html_path, png_path) -> (console_errors, visible_sections)`` in Debian's headless Chromium."""
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (scripts/ensure_chromium.sh installs it)")
    return _screenshot
