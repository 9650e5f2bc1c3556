"""The events / sections / reinforce commands end to end on a temporary register."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch.cli import app

RUNNER = CliRunner()
HEAD = "time,section,attempt,direction,detection,persons,outcome\n"


def run(*args: str) -> tuple[int, str]:
    r = RUNNER.invoke(app, list(args))
    return r.exit_code, r.output


def test_import_keeps_good_rows_and_exits_2_only_when_none_is_good(tmp_path: Path) -> None:
    reg = str(tmp_path / "reg")
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(
        HEAD
        + "2026-05-28T21:00:00Z,LV-BY-03,attempted,entry,patrol,4,prevented\n"
        + "yesterday,LV-BY-03,attempted,entry,patrol,4,prevented\n"
        + "2026-05-28T22:00:00Z,NOPE,attempted,entry,patrol,4,prevented\n"
        + "2026-05-28T22:30:00Z,LV-BY-04,attempted,entry,patrol,-1,prevented\n"
        + "2026-05-28T23:00:00Z,LV-BY-04,attempted,entry,patrol,,prevented\n",
        encoding="utf-8",
    )
    code, out = run("events", "import", str(mixed), "--register", reg, "--author", "imp")
    assert code == 0, out
    assert "1 event(s) imported" in out and "4 row(s) rejected" in out
    for line in ("row 3: time", "row 4: section", "row 5: persons", "row 6: persons: missing field"):
        assert line in out
    bad = tmp_path / "bad.csv"
    bad.write_text(HEAD + "x,LV-BY-03,attempted,entry,patrol,4,prevented\n", encoding="utf-8")
    code, out = run("events", "import", str(bad), "--register", reg)
    assert code == 2 and "no good row" in out


def test_add_follow_up_correct_close_show_and_overdue(tmp_path: Path) -> None:
    reg = str(tmp_path / "reg")
    base = ["--register", reg]
    code, out = run("events", "add", *base, "--author", "p1", "--at", "2026-05-28T22:00Z", "--notice",
                    "-s", "time=2026-05-28T21:40Z", "-s", "section=LV-BY-05", "-s", "attempt=attempted",
                    "-s", "direction=entry", "-s", "detection=sensor", "-s", "persons=0", "-s", "outcome=unknown",
                    "-s", "alert_id=AL-12", "--reason", "acoustic alert")  # fmt: skip
    assert code == 0, out
    eid = out.split()[0]
    code, out = run("events", "list", *base, "--overdue", "--now", "2026-05-30T00:00Z")
    assert eid in out and "OVERDUE" in out
    code, out = run("events", "add", *base, "--author", "p2", "--at", "2026-05-30T01:00Z", "--follows", eid,
                    "-s", "persons=3", "-s", "outcome=prevented", "--reason", "patrol report")  # fmt: skip
    assert code == 0 and "first_report" in out
    code, out = run("events", "add", *base, "--author", "p2", "--at", "2026-05-30T02:00Z", "--corrects", eid,
                    "-s", "persons=4", "--reason", "recount")  # fmt: skip
    assert code == 0 and "correction" in out
    code, out = run("events", "close", eid, *base, "--author", "p2")
    assert code == 2 and "only the owner" in out
    code, out = run("events", "close", eid, *base, "--author", "p1", "--at", "2026-05-30T03:00Z", "--reason", "done")
    assert code == 0
    code, out = run("events", "show", eid, *base, "--now", "2026-05-30T04:00Z")
    assert code == 0
    for s in ("v1 notice by p1 at 2026-05-28T22:00:00Z", "v2 first_report by p2 at 2026-05-30T01:00:00Z",
              "v3 correction by p2", "v4 closure by p1", "persons: 3 -> 4", "first report late"):  # fmt: skip
        assert s in out, s
    code, out = run("events", "show", eid, *base, "--json")
    assert [json.loads(x)["version"] for x in out.splitlines()] == [1, 2, 3, 4]


@pytest.mark.slow
def test_synthetic_register_status_forecast_reports_and_plan(tmp_path: Path) -> None:
    reg = str(tmp_path / "reg")
    syn = tmp_path / "syn.csv"
    assert run("events", "synth", "-o", str(syn), "--start", "2026-03-01", "--days", "70")[0] == 0
    code, out = run("events", "import", str(syn), "--register", reg, "--at", "2026-05-11T00:00Z")
    assert code == 0 and "0 row(s) rejected" in out
    code, out = run("sections", "status", "--register", reg, "--date", "2026-05-09", "--json")
    levels = json.loads(out)
    assert code == 0 and len(levels) == 23 and all(x["reaction"] and x["reason"] for x in levels)
    code, out = run("events", "forecast", "--register", reg, "-o", str(tmp_path / "fc.json"))
    assert code == 0 and len(json.loads((tmp_path / "fc.json").read_text())["sections"]) == 23
    code, out = run("events", "report", "indicators", "-o", str(tmp_path / "rep"), "--register", reg,
                    "--month", "2026-04")  # fmt: skip
    assert code == 0 and json.loads((tmp_path / "rep" / "refusals.json").read_text())["total_refusals"] > 0
    code, out = run("events", "report", "sitrep", "-o", str(tmp_path / "rep"), "--register", reg)
    assert code == 0
    page = (tmp_path / "rep" / "sitrep.html").read_text()
    assert page.count("data:image/png;base64,") == 3 and "http://" not in page and "https://" not in page
    for ext in ("csv", "geojson"):
        assert run("events", "export", "-o", str(tmp_path / f"ev.{ext}"), "--register", reg)[0] == 0
    gj = json.loads((tmp_path / "ev.geojson").read_text())
    assert gj["features"] and gj["features"][0]["geometry"]["type"] == "Point"
    code, out = run("reinforce", "plan", "-o", str(tmp_path / "plan"), "--register", reg, "--days", "2",
                    "--time-limit", "5")  # fmt: skip
    assert code == 0, out
    plan = json.loads((tmp_path / "plan" / "plan.json").read_text())
    assert plan["expected_unhandled"] <= plan["expected_unhandled_baseline"] + 1e-9
    assert plan["assignments"] and all(a["explanation"] for a in plan["assignments"])
    assert (tmp_path / "plan" / "map.png").stat().st_size > 10_000
    assert (tmp_path / "plan" / "shifts.csv").read_text().startswith("date,shift,section")
