"""End-to-end CLI: simulate writes the truth and the resolved scenario; the map renders."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from borderwatch.cli import app

RUNNER = CliRunner()
TRUTH_KEYS = {"t", "target", "class", "lat", "lon", "alt_m", "vel_enu_mps", "hostile", "cooperative"}


def test_simulate_writes_truth_and_scenario(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = RUNNER.invoke(app, ["simulate", "paternieki-mixed-day", "-o", str(out)])
    assert res.exit_code == 0, res.output
    lines = (out / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(x) for x in lines]
    assert all(set(r) >= TRUTH_KEYS for r in rows)
    assert [r["t"] for r in rows] == sorted(r["t"] for r in rows)
    coop = [r for r in rows if r["cooperative"]]
    assert coop and all(len(r["icao"]) == 6 for r in coop)
    assert rows[0]["t"] >= 1.78e9  # UTC epoch seconds (2026)
    sc = yaml.safe_load((out / "scenario.yaml").read_text(encoding="utf-8"))
    assert sc["name"] == "paternieki-mixed-day" and len(sc["resolved_targets"]) == 6
    # the resolved scenario simulates to the same truth
    again = tmp_path / "again"
    res = RUNNER.invoke(app, ["simulate", str(out / "scenario.yaml"), "-o", str(again)])
    assert res.exit_code == 0, res.output
    assert (again / "truth.jsonl").read_bytes() == (out / "truth.jsonl").read_bytes()


def test_map_from_run_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert RUNNER.invoke(app, ["simulate", "stray-drones-north", "-o", str(out)]).exit_code == 0
    png = tmp_path / "map.png"
    res = RUNNER.invoke(app, ["map", str(out), "-o", str(png)])
    assert res.exit_code == 0, res.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000


def test_map_of_folder_without_truth(tmp_path: Path) -> None:
    res = RUNNER.invoke(app, ["map", str(tmp_path), "-o", str(tmp_path / "m.png")])
    assert res.exit_code == 2 and "truth.jsonl" in res.stderr
