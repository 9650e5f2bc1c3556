"""report.html renders in headless Chromium (Debian's package) with the map and the summary, no console errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from borderwatch.plot.report import render_report, run_map_png, timeline_png
from borderwatch.theatre.model import Theatre

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


def screenshot(page_path: Path, png: Path) -> tuple[list[str], dict[str, bool]]:
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


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (scripts/ensure_chromium.sh)")
def test_report_renders_offline_without_console_errors(tmp_path: Path, theatre: Theatre) -> None:
    tracks = {"T1": [(0.0, 56.80, 28.60), (60.0, 56.75, 28.30), (120.0, 56.70, 28.00)]}
    html = render_report(
        title="borderwatch run — test",
        subtitle="latvia-east",
        kpis=[("hostile drones detected before the border", "100 %"), ("leakers", "0")],
        map_png_b64=run_map_png(theatre, tracks, {"T1": "hostile"}, [], [], title="test"),
        timeline_png_b64=timeline_png(0.0, {"T1": (0.0, 120.0, "hostile")}, [(60.0, "T1", "crossed")]),
        alerts=[{"id": "A1", "time": "01:00:00", "level": "alarm", "kind": "crossed", "track": "T1", "message": "x"}],
        recommendations=[],
        decisions=[],
        notes=["a note <with> escaping"],
    )
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    assert "http://" not in html and "https://" not in html  # nothing fetched: opens offline
    errors, visible = screenshot(page, tmp_path / "report.png")
    assert errors == []
    assert all(visible.values()), visible
    assert (tmp_path / "report.png").stat().st_size > 50_000
