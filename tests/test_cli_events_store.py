"""The register round trip through the operations store: import, follow-up, correction, closure, audit trail,
overdue first report; roles checked (a real SQLite store file)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from borderwatch.cli import app

RUNNER = CliRunner()
HEAD = "time,section,attempt,direction,detection,persons,outcome\n"


def run(*args: str) -> tuple[int, str]:
    r = RUNNER.invoke(app, list(args))
    return r.exit_code, r.output


def _store(tmp_path: Path) -> str:
    from borderwatch.store import open_store, users

    db = tmp_path / "bw.db"
    st = open_store(db)
    for name, role in (("vera", "viewer"), ("otto", "operator"), ("olga", "operator"), ("ada", "admin")):
        users.add_user(st, name, "correct-horse", role)
    st.close()
    return str(db)


def test_round_trip_through_the_store(tmp_path: Path) -> None:
    db = _store(tmp_path)
    s = ["--store", db]
    csv = tmp_path / "in.csv"
    csv.write_text(
        HEAD
        + "2026-05-28T21:00:00Z,LV-BY-03,attempted,entry,patrol,4,prevented\n"
        + "2026-05-28T22:00:00Z,LV-BY-04,actual,entry,sensor,2,apprehended\n"
        + "2026-05-28T22:30:00Z,LV-BY-04,attempted,entry,patrol,-1,prevented\n",
        encoding="utf-8",
    )
    code, out = run("events", "import", str(csv), *s, "--as", "vera")
    assert code == 2 and "may only read" in out
    code, out = run("events", "import", str(csv), *s, "--as", "otto", "--at", "2026-05-29T06:00Z")
    assert code == 0, out
    assert "2 event(s) imported" in out and "row 4: persons" in out
    # a notice whose first report is still missing 24 h later: overdue, listed first
    code, out = run("events", "add", *s, "--as", "olga", "--at", "2026-05-29T08:00Z", "--notice",
                    "-s", "time=2026-05-29T07:30Z", "-s", "section=LV-BY-05", "-s", "attempt=attempted",
                    "-s", "direction=entry", "-s", "detection=sensor", "-s", "persons=0", "-s", "outcome=unknown",
                    "--reason", "acoustic alert")  # fmt: skip
    assert code == 0, out
    late = out.split()[0]
    code, out = run("events", "list", *s, "--now", "2026-05-30T09:00Z")
    rows = [ln for ln in out.splitlines() if "EV-" in ln]
    assert len(rows) == 3 and late in rows[0] and "OVERDUE" in rows[0]
    assert sum("OVERDUE" in r for r in rows) == 1
    first = next(r.split()[1] for r in rows if "LV-BY-03" in r)
    # follow-up linked to the first report, correction as a new version, closure by the owner
    code, out = run("events", "add", *s, "--as", "olga", "--follows", first, "-s", "persons=5",
                    "--reason", "second patrol saw more", "--at", "2026-05-29T09:00Z")  # fmt: skip
    assert code == 0 and "follow_up" in out, out
    code, out = run("events", "add", *s, "--as", "otto", "--corrects", first, "-s", "persons=6",
                    "--reason", "recount", "--at", "2026-05-29T10:00Z")  # fmt: skip
    assert code == 0 and "correction" in out, out
    assert run("events", "close", first, *s, "--as", "olga")[0] == 2  # not the owner
    assert run("events", "close", first, *s, "--as", "vera")[0] == 2  # a viewer
    code, out = run("events", "close", first, *s, "--as", "otto", "--at", "2026-05-29T11:00Z", "--reason", "ended")
    assert code == 0, out
    code, out = run("events", "show", first, *s)
    assert code == 0, out
    for line in (f"v2 follow_up by olga at 2026-05-29T09:00:00Z: second patrol saw more (links to the first report "
                 f"{first}@1)", "v3 correction by otto at 2026-05-29T10:00:00Z: recount (corrects v2)",
                 "persons: 5 -> 6", "v4 closure by otto at 2026-05-29T11:00:00Z"):  # fmt: skip
        assert line in out, line
    trail = [ln.split() for ln in out.splitlines() if ln.strip().startswith("seq ")]
    assert [(t[3].rstrip(":"), t[4], t[5]) for t in trail] == [
        ("otto", "event.first_report", "v1"), ("olga", "event.follow_up", "v2"), ("otto", "event.correction", "v3"),
        ("otto", "event.closure", "v4")]  # fmt: skip
    assert all(t[2].endswith("Z") for t in trail)  # when
    code, out = run("events", "show", first, *s, "--json")
    assert [json.loads(x)["author"] for x in out.splitlines()] == ["otto", "olga", "otto", "otto"]
    code, out = run("audit", "verify", *s)
    assert code == 0 and "intact" in out
    code, out = run("audit", "show", *s)
    assert out.count("event.") == 6  # two imports, the notice, follow-up, correction, closure
    # readers work on the store too
    code, out = run("events", "export", "-o", str(tmp_path / "ev.geojson"), *s)
    assert code == 0 and len(json.loads((tmp_path / "ev.geojson").read_text())["features"]) == 3


def test_read_commands_need_an_existing_store(tmp_path: Path) -> None:
    code, out = run("events", "list", "--store", str(tmp_path / "none.db"))
    assert code == 2 and "no store at" in out
