from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from borderwatch.errors import InputError
from borderwatch.jobs import simulate_job
from borderwatch.sensors.reports import read_reports, read_sensors

SCENARIO = {
    "name": "tiny-zilupe",
    "start_time": "2026-03-14T01:00:00Z",
    "duration_s": 420,
    "seed": 5,
    "weather": {"temperature_c": -2.0, "humidity_pct": 85, "wind": {"speed_mps": 2.0, "from_deg": 250}},
    "raids": [
        {
            "name": "z",
            "class": "shahed",
            "count": 2,
            "launch": {"lat": 56.40, "lon": 28.30, "radius_km": 1, "side": "RU"},
            "spacing_s": 30,
            "targets": [{"place": "Ludza"}],
            "alt_agl_m": 300,
        }
    ],
    "traffic": [
        {
            "name": "ga",
            "class": "light_aircraft",
            "count": 1,
            "launch": {"lat": 56.5, "lon": 27.2, "radius_km": 1},
            "targets": [{"place": "Daugavpils"}],
            "alt_agl_m": 900,
        }
    ],
}


def _run(tmp_path: Path, sensors: dict | None = None, name: str = "run") -> Path:  # type: ignore[type-arg]
    sc = dict(SCENARIO)
    if sensors is not None:
        sc["sensors"] = sensors
    p = tmp_path / f"{name}.yaml"
    p.write_text(yaml.safe_dump(sc), encoding="utf-8")
    out = tmp_path / name
    simulate_job(p, out)
    return out


def test_simulate_writes_sensors_and_time_ordered_reports(tmp_path: Path) -> None:
    out = _run(tmp_path)
    sites, rej = read_sensors(out / "sensors.json")
    assert not rej and len(sites) > 500
    stream = read_reports(out / "reports.jsonl")
    reps = list(stream)
    assert not stream.rejected
    assert [r.t for r in reps] == sorted(r.t for r in reps)
    kinds = {r.type for r in reps}
    assert kinds == {"bearing", "radar", "adsb"}
    ids = {s.id for s in sites}
    assert {r.sensor for r in reps} <= ids
    first = json.loads((out / "reports.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert list(first)[:3] == ["t", "sensor", "type"]


def test_outages_and_clock_error(tmp_path: Path) -> None:
    base = [r for r in read_reports(_run(tmp_path, name="base") / "reports.jsonl") if r.type == "bearing"]
    heard = sorted({r.sensor for r in base})
    assert heard
    out = _run(tmp_path, {"outages": [{"sensor": "ac-*", "start_s": 0, "end_s": 200}], "clock_error_s": 0.5}, "faults")
    t0 = 1773450000.0
    faulty = [r for r in read_reports(out / "reports.jsonl") if r.type == "bearing"]
    assert all(r.t >= t0 + 200 - 3.0 for r in faulty)  # nothing received in the outage (±clock error)
    fracs = {round(r.t % 1.0, 3) for r in faulty}
    assert len(fracs) > 1  # clock offsets move the stamps off the 1 s window grid


def test_outage_of_unknown_sensor_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no sensor matches"):
        _run(tmp_path, {"outages": [{"sensor": "nope", "start_s": 0, "end_s": 10}]}, "bad")


def test_output_matches_the_documented_json_schemas(tmp_path: Path) -> None:
    import re

    import jsonschema

    doc = (Path(__file__).resolve().parents[2] / "docs" / "formats.md").read_text(encoding="utf-8")
    schemas = {
        s["title"]: s for s in (json.loads(b) for b in re.findall(r"```json\n(.*?)```", doc, re.S)) if "$schema" in s
    }
    out = _run(tmp_path, name="schema")
    jsonschema.validate(json.loads((out / "sensors.json").read_text(encoding="utf-8")), schemas["sensors.json"])
    lines = (out / "reports.jsonl").read_text(encoding="utf-8").splitlines()
    validator = jsonschema.Draft202012Validator(schemas["reports.jsonl line"])
    seen = set()
    for line in lines[::5]:
        d = json.loads(line)
        validator.validate(d)
        seen.add(d["type"])
    assert seen == {"bearing", "radar", "adsb"}
