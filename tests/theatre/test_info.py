from __future__ import annotations

import json

from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.theatre.info import theatre_summary
from borderwatch.theatre.model import Theatre


def test_summary_shape(theatre: Theatre) -> None:
    info = theatre_summary(theatre)
    segs = {s["id"]: s for s in info["segments"]}
    assert segs["LV-RU"]["neighbour"] == "RU" and abs(segs["LV-RU"]["length_km"] - 277.1) < 1
    assert segs["LV-BY"]["neighbour"] == "BY" and abs(segs["LV-BY"]["length_km"] - 163.8) < 1
    assert len(info["crossings"]) == 9
    assert all({"name", "kind", "status"} <= set(c) for c in info["crossings"])
    assert info["near_border"]["road_km"] > 0 and info["near_border"]["rail_km"] > 0


def test_cli_theatre_info_json() -> None:
    res = CliRunner().invoke(app, ["theatre", "info", "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert [s["id"] for s in info["segments"] if s["watched"]] == ["LV-RU", "LV-BY"]
    assert {c["status"] for c in info["crossings"]} == {"open", "suspended", "closed"}


def test_cli_theatre_info_table() -> None:
    res = CliRunner().invoke(app, ["theatre", "info"])
    assert res.exit_code == 0
    assert "LV-RU" in res.stdout and "Terehova" in res.stdout
