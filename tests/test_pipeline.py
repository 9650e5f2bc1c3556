"""`borderwatch run` end to end on a short stray-drone scenario with a cooperative aircraft."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.engine.batch import RunConfig, run_pipeline
from borderwatch.response.decisions import verify_file

DATA = Path(__file__).parent / "data"
RUNNER = CliRunner()


def _lines(p: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.fixture(scope="module")
def stray_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stray-run")
    run_pipeline(DATA / "stray-short.yaml", out, config=RunConfig(auto_approve=True))
    return out


@pytest.fixture(scope="module")
def stray_run_no_approval(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stray-run-na")
    run_pipeline(DATA / "stray-short.yaml", out, config=RunConfig(auto_approve=False))
    return out


def test_outputs_written(stray_run: Path) -> None:
    for name in (
        "truth.jsonl", "reports.jsonl", "sensors.json", "tracks.jsonl", "alerts.jsonl", "recommendations.jsonl",
        "decisions.jsonl", "summary.json", "report.html",
    ):  # fmt: skip
        assert (stray_run / name).is_file(), name
    s = json.loads((stray_run / "summary.json").read_text())
    for key in (
        "hostile_drones_detected_before_border_share_truth", "median_warning_before_crossing_s",
        "hostile_tracks_engaged_before_depth_share", "leakers_truth", "total_response_cost_eur",
        "cost_exchange_ratio", "fighter_scrambles_avoided",
    ):  # fmt: skip
        assert key in s, key


def _coop_tracks(run: Path) -> set[str]:
    return {t["track"] for t in _lines(run / "tracks.jsonl") if t["cooperative"]}


def test_stray_raises_crossing_alerts_and_a_recommendation(stray_run: Path) -> None:
    alerts = _lines(stray_run / "alerts.jsonl")
    coop = _coop_tracks(stray_run)
    stray_alerts = [a for a in alerts if a["track"] not in coop]
    kinds = {a["kind"] for a in stray_alerts}
    assert {"predicted_crossing", "crossed"} <= kinds, kinds
    recs = _lines(stray_run / "recommendations.jsonl")
    assert recs and all(r["track"] not in coop for r in recs)
    assert all(r["why"] and "alternatives" in r for r in recs)


def test_cooperative_aircraft_raises_nothing(stray_run: Path) -> None:
    coop = _coop_tracks(stray_run)
    assert coop, "the ADS-B aircraft must be tracked as cooperative"
    icaos = {t.get("icao") for t in _lines(stray_run / "tracks.jsonl") if t["cooperative"]}
    assert icaos == {"502c3a"}
    assert not [a for a in _lines(stray_run / "alerts.jsonl") if a["track"] in coop]


def test_no_engagement_without_approving_decision(stray_run: Path, stray_run_no_approval: Path) -> None:
    # without the auto-approve policy nobody approves: recommendations but no decisions and no engagements
    assert _lines(stray_run_no_approval / "recommendations.jsonl")
    assert _lines(stray_run_no_approval / "decisions.jsonl") == []
    assert _lines(stray_run_no_approval / "engagements.jsonl") == []
    # with it, every engagement points at an approving decision of its recommendation
    decisions = {d["id"]: d for d in _lines(stray_run / "decisions.jsonl")}
    engagements = _lines(stray_run / "engagements.jsonl")
    assert engagements
    for e in engagements:
        d = decisions[e["decision"]]
        assert d["approved"] and d["recommendation"] == e["recommendation"] and d["who"].startswith("policy:")
    assert verify_file(stray_run / "decisions.jsonl")


def test_report_renders_in_chromium(stray_run: Path, tmp_path: Path, browser_check) -> None:  # type: ignore[no-untyped-def]
    html = (stray_run / "report.html").read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html
    errors, visible = browser_check(stray_run / "report.html", tmp_path / "report.png")
    assert errors == [] and all(visible.values()), (errors, visible)


def test_bad_effector_layout_exits_2_naming_the_field(tmp_path: Path) -> None:
    from importlib import resources

    src = Path(str(resources.files("borderwatch.response") / "data" / "layout-latvia-east.yaml"))
    d = yaml.safe_load(src.read_text(encoding="utf-8"))
    d["units"][2]["type"] = "laser_cannon"
    bad = tmp_path / "layout.yaml"
    bad.write_text(yaml.safe_dump(d), encoding="utf-8")
    res = RUNNER.invoke(
        app, ["run", str(DATA / "stray-short.yaml"), "-o", str(tmp_path / "o"), "--effectors", str(bad)]
    )
    assert res.exit_code == 2
    assert "units[2].type" in res.stderr and "laser_cannon" in res.stderr and "Traceback" not in res.stderr
    d["units"][2]["type"] = "gun_team"
    d["units"][2]["magazine"] = -3
    bad.write_text(yaml.safe_dump(d), encoding="utf-8")
    res = RUNNER.invoke(
        app, ["run", str(DATA / "stray-short.yaml"), "-o", str(tmp_path / "o"), "--effectors", str(bad)]
    )
    assert res.exit_code == 2 and "units[2].magazine" in res.stderr


def test_bad_effector_catalogue_names_the_field(tmp_path: Path) -> None:
    from importlib import resources

    from borderwatch.errors import InputError
    from borderwatch.response.effectors import load_effector_catalogue

    src = Path(str(resources.files("borderwatch.response") / "data" / "effectors.yaml"))
    d = yaml.safe_load(src.read_text(encoding="utf-8"))
    d["types"]["gun_team"]["pk"]["shahed"]["value"] = 1.7
    bad = tmp_path / "effectors.yaml"
    bad.write_text(yaml.safe_dump(d), encoding="utf-8")
    with pytest.raises(InputError, match=r"types\.gun_team"):
        load_effector_catalogue(bad)
    res = RUNNER.invoke(
        app, ["run", str(DATA / "stray-short.yaml"), "-o", str(tmp_path / "o"), "--catalogue", str(bad)]
    )
    assert res.exit_code == 2 and "types.gun_team" in res.stderr and "Traceback" not in res.stderr
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_outputs_validate_against_their_schemas(stray_run: Path) -> None:
    import jsonschema

    from borderwatch.schemas import ALERT_LINE, ASSESSMENT_LINE, DECISION_LINE, ENGAGEMENT_LINE, RECOMMENDATION_LINE

    for name, schema in (
        ("alerts.jsonl", ALERT_LINE),
        ("recommendations.jsonl", RECOMMENDATION_LINE),
        ("decisions.jsonl", DECISION_LINE),
        ("engagements.jsonl", ENGAGEMENT_LINE),
        ("assessments.jsonl", ASSESSMENT_LINE),
    ):
        v = jsonschema.Draft202012Validator(schema)
        rows = _lines(stray_run / name)
        assert rows, name
        for row in rows[:: max(1, len(rows) // 200)]:
            v.validate(row)
