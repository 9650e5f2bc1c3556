"""Bad scenario files exit with status 2 and one line naming the field; no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.sim.scenario import list_presets, presets_dir

RUNNER = CliRunner()


def _base() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((presets_dir() / "paternieki-mixed-day.yaml").read_text(encoding="utf-8"))


def _run(tmp_path: Path, data: dict) -> tuple[int, str]:  # type: ignore[type-arg]
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    res = RUNNER.invoke(app, ["simulate", str(f), "-o", str(tmp_path / "out")])
    return res.exit_code, res.stderr


def test_presets_listed() -> None:
    assert {"latgale-night-raid", "stray-drones-north", "paternieki-mixed-day"} <= set(list_presets())


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (lambda d: d["raids"][0].__setitem__("class", "shahedd"), "raids[0].class", "unknown class 'shahedd'"),
        (lambda d: d["raids"][0].__setitem__("speed_mps", -5), "raids[0].speed_mps", "greater than 0"),
        (lambda d: d.pop("seed"), "seed", "missing field"),
        (lambda d: d["raids"][0].pop("launch"), "raids[0].launch", "missing field"),
        (
            lambda d: d["traffic"][0]["route"].append({"lat": 40.0, "lon": 10.0}),
            "traffic[0].route[3]",
            "outside theatre",
        ),
        (
            lambda d: d["raids"][0].__setitem__("targets", [{"place": "Atlantis"}]),
            "raids[0].targets[0].place",
            "no place named",
        ),
        (lambda d: d["raids"][0].__setitem__("speed_mps", 99), "raids[0].speed_mps", "outside the quadcopter limits"),
        (lambda d: d.__setitem__("colour", "red"), "colour", "unknown field"),
    ],
)
def test_bad_scenario_exits_2_with_one_line(tmp_path: Path, mutate, field: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    d = _base()
    mutate(d)
    code, err = _run(tmp_path, d)
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert field in lines[0] and reason in lines[0], lines[0]
    assert "Traceback" not in err


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    f = tmp_path / "x.yaml"
    f.write_text("raids: [\n", encoding="utf-8")
    res = RUNNER.invoke(app, ["simulate", str(f), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "not valid YAML" in res.stderr
    res = RUNNER.invoke(app, ["simulate", "no-such-preset", "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "no scenario" in res.stderr


def test_scenario_show_fills_defaults() -> None:
    res = RUNNER.invoke(app, ["scenario", "show", "stray-drones-north"])
    assert res.exit_code == 0
    d = yaml.safe_load(res.stdout)
    assert d["raids"][0]["behaviour"] == "stray" and d["dt_s"] == 1.0
