"""report.html renders in headless Chromium (Debian's package) with the map and the summary, no console errors."""

from __future__ import annotations

from pathlib import Path

from borderwatch.plot.report import render_report, run_map_png, timeline_png
from borderwatch.theatre.model import Theatre


def test_report_renders_offline_without_console_errors(tmp_path: Path, theatre: Theatre, browser_check) -> None:  # type: ignore[no-untyped-def]
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
    errors, visible = browser_check(page, tmp_path / "report.png")
    assert errors == []
    assert all(visible.values()), visible
    assert (tmp_path / "report.png").stat().st_size > 50_000
