from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.geo.frames import LocalFrame
from borderwatch.sensors.reports import write_reports, write_sensors
from borderwatch.tracking.io import EVALUATION_SCHEMA, TRACK_LINE_SCHEMA
from borderwatch.tracking.testing import make_truth, radar_scans, sites_from_enu, table_for

FRAME = LocalFrame(56.8, 27.5, 100.0)


def _write_run(d: Path) -> None:
    """A radar run folder: sensors.json, reports.jsonl and the matching truth.jsonl."""
    rng = np.random.default_rng(8)
    sites = sites_from_enu(FRAME, [("r1", "radar", 0.0, 0.0, 0.0)])
    tab = table_for(FRAME, sites)
    t0 = 1773450000.0
    truth = make_truth(rng, n_targets=3, duration_s=20.0, t0=t0, dt=0.5, box_m=(-8e3, 8e3, -8e3, 8e3))
    scans = radar_scans(truth, tab, "r1", rng, clutter_per_scan=3.0)
    write_sensors(sites, d / "sensors.json")
    with (d / "reports.jsonl").open("w") as fh:
        write_reports([r for sc in scans for r in sc], fh)
    with (d / "truth.jsonl").open("w") as fh:
        for k, t in enumerate(truth.t):
            lat, lon, h = FRAME.to_geodetic(truth.pos[k, :, 0], truth.pos[k, :, 1], truth.pos[k, :, 2])
            for i in range(3):
                fh.write(json.dumps({
                    "t": float(t), "target": f"g-{i:03d}", "class": "shahed", "lat": float(lat[i]),
                    "lon": float(lon[i]), "alt_m": float(h[i]), "vel_enu_mps": truth.vel[k, i].tolist(),
                    "hostile": True, "cooperative": False,
                }) + "\n")  # fmt: skip


def test_cli_track_and_evaluate(tmp_path: Path) -> None:
    _write_run(tmp_path)
    runner = CliRunner()
    r = runner.invoke(
        app,
        ["track", str(tmp_path / "reports.jsonl"), "--sensors", str(tmp_path / "sensors.json"),
         "-o", str(tmp_path / "tracks.jsonl")],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in (tmp_path / "tracks.jsonl").read_text().splitlines()]
    assert lines
    v = jsonschema.Draft202012Validator(TRACK_LINE_SCHEMA)
    for line in lines:
        v.validate(line)
    summary = json.loads((tmp_path / "track_summary.json").read_text())
    assert summary["rejected_total"] == 0
    r = runner.invoke(app, ["evaluate", str(tmp_path)])
    assert r.exit_code == 0, r.output
    ev = json.loads((tmp_path / "evaluation.json").read_text())
    jsonschema.Draft202012Validator(EVALUATION_SCHEMA).validate(ev)
    assert ev["targets_tracked"] == 3
    assert ev["id_switches"] == 0
    assert ev["position_rmse_m"] < 100.0


def test_cli_track_missing_file_exits_2(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["track", str(tmp_path / "nope.jsonl"), "--sensors", str(tmp_path / "s.json"),
                                 "-o", str(tmp_path / "t.jsonl")])  # fmt: skip
    assert r.exit_code == 2


def test_cli_track_exits_2_when_no_report_is_valid(tmp_path: Path) -> None:
    """Garbage, or sensors.json given as the reports file: one line on stderr saying so, exit status 2."""
    _write_run(tmp_path)
    runner = CliRunner()
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_bytes(b"\xff\xfe not utf-8\nnot json\n[1, 2]\n" + b'{"t": 1e308}\n' * 5)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    for reports, words in (
        (tmp_path / "sensors.json", "line: not JSON"),
        (garbage, "t: outside"),
        (empty, "empty"),
    ):
        r = runner.invoke(app, ["track", str(reports), "--sensors", str(tmp_path / "sensors.json"),
                                "-o", str(tmp_path / "t.jsonl")])  # fmt: skip
        assert r.exit_code == 2, r.output
        lines = r.output.strip().splitlines()
        assert len(lines) == 1 and "report in the file" in lines[0]
        assert words in r.output
