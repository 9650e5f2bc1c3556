from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.sensors.coverage import CoverageEnv, border_coverage
from borderwatch.sensors.layout import build_layout, load_layout_cfg

runner = CliRunner()


def test_border_shares(theatre) -> None:  # type: ignore[no-untyped-def]
    lay = build_layout(load_layout_cfg(None)[0], theatre)
    res = border_coverage(theatre, lay, ["shahed", "birds"], [50.0, 1000.0], CoverageEnv())
    by = {(r["class"], r["alt_agl_m"]): r for r in res["results"]}
    assert all(0.0 <= r["border_share_pd90"] <= 1.0 for r in res["results"])
    assert by[("shahed", 50.0)]["acoustic_share_pd90"] > 0.8  # 1 km node spacing hears a Shahed
    assert by[("birds", 50.0)]["acoustic_share_pd90"] == 0.0  # birds are silent
    assert by[("shahed", 1000.0)]["radar_share_pd90"] >= by[("shahed", 50.0)]["radar_share_pd90"]


def test_coverage_cli(tmp_path: Path) -> None:
    png = tmp_path / "cov.png"
    res = runner.invoke(app, ["coverage", "--class", "quadcopter", "--alt", "100", "-o", str(png)])
    assert res.exit_code == 0, res.output
    assert png.is_file() and png.stat().st_size > 10_000
    js = json.loads(png.with_suffix(".json").read_text(encoding="utf-8"))
    assert js["results"][0]["class"] == "quadcopter"
    bad = runner.invoke(app, ["coverage", "--alt", "-5", "-o", str(png)])
    assert bad.exit_code == 2 and "--alt" in bad.stderr
