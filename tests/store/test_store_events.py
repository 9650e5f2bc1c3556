"""The border-event register in the store: versions, roles, audit, append-only (a real SQLite file)."""

from __future__ import annotations

import sqlite3

import pytest

from borderwatch.crossings.model import EventData
from borderwatch.crossings.register import close, correct, follow_up
from borderwatch.store import Store, users
from borderwatch.store.audit import audit_rows, verify_audit
from borderwatch.store.events import (
    NotAllowedError,
    StoreRepository,
    VersionConflict,
    event_audit,
    histories,
    new_events,
    record,
)

T = 1_780_000_000.0


def _d(t: float = T, section: str = "LV-BY-03", **kw: object) -> EventData:
    base: dict[str, object] = {"attempt": "attempted", "time_s": t, "section": section, "direction": "entry",
                               "detection": "patrol", "persons": 2, "outcome": "prevented"}  # fmt: skip
    return EventData.model_validate({**base, **kw})


@pytest.fixture
def st(store: Store) -> Store:
    for name, role in (("vera", "viewer"), ("otto", "operator"), ("ada", "admin"), ("gone", "operator")):
        users.add_user(store, name, "correct-horse", role)
    users.disable_user(store, "gone")
    return store


def test_versions_and_audit_rows_commit_together(st: Store) -> None:
    [v1] = new_events(st, [_d()], actor="otto", at=T + 60, reason="patrol call")
    repo = StoreRepository(st, actor="otto")
    v2 = follow_up(repo.history(v1.event_id), _d(persons=3), author="otto", at=T + 120, reason="more seen")
    repo.append(v2)
    v3 = correct(repo.history(v1.event_id), _d(persons=5, outcome="apprehended"), author="otto", at=T + 180,
                 reason="recount")  # fmt: skip
    StoreRepository(st, actor="ada").append(v3)
    v4 = close(repo.history(v1.event_id), author="otto", at=T + 240, reason="done", closure="ended")
    repo.append(v4)
    assert [v.action for v in repo.history(v1.event_id)] == ["first_report", "follow_up", "correction", "closure"]
    trail = event_audit(st, v1.event_id)
    assert [(a.actor, a.action, a.details["version"]) for a in trail] == [
        ("otto", "event.first_report", 1), ("otto", "event.follow_up", 2), ("ada", "event.correction", 3),
        ("otto", "event.closure", 4)]  # fmt: skip
    assert trail[2].details["changes"] == {"persons": [3, 5], "outcome": ["prevented", "apprehended"]}
    assert trail[2].details["corrects"] == 2 and trail[3].details["closure"] == "ended"
    assert verify_audit(st).ok


@pytest.mark.parametrize("who", ["vera", "nobody", "gone"])
def test_only_enabled_operators_and_admins_write(st: Store, who: str) -> None:
    n = len(audit_rows(st))
    with pytest.raises(NotAllowedError):
        new_events(st, [_d()], actor=who, at=T, reason="x")
    assert len(StoreRepository(st)) == 0 and len(audit_rows(st)) == n  # nothing written, not even audit


def test_a_version_that_does_not_follow_is_a_conflict_and_writes_nothing(st: Store) -> None:
    [v1] = new_events(st, [_d()], actor="otto", at=T, reason="x")
    h = StoreRepository(st).history(v1.event_id)
    a = follow_up(h, _d(persons=3), author="otto", at=T + 1, reason="a")
    b = follow_up(h, _d(persons=4), author="ada", at=T + 2, reason="b")  # made from the same history
    record(st, [a], actor="otto")
    n = len(audit_rows(st))
    with pytest.raises(VersionConflict, match="cannot follow version 2"):
        record(st, [b], actor="ada")
    assert len(StoreRepository(st).history(v1.event_id)) == 2 and len(audit_rows(st)) == n


def test_rows_are_append_only(st: Store) -> None:
    new_events(st, [_d()], actor="otto", at=T, reason="x")
    assert st.path is not None
    con = sqlite3.connect(st.path)
    try:
        for sql in ("UPDATE event_versions SET author = 'mallory'", "DELETE FROM event_versions"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                con.execute(sql)
    finally:
        con.close()


def test_ids_run_on_and_queries_filter_by_time_and_section(st: Store) -> None:
    a = new_events(st, [_d(T), _d(T + 86400, "LV-BY-04")], actor="otto", at=T, reason=["r1", "r2"])
    [b] = new_events(st, [_d(T + 2 * 86400)], actor="ada", at=T, reason="r3")
    assert [v.event_id for v in [*a, b]] == ["EV-20260528-0001", "EV-20260529-0002", "EV-20260530-0003"]
    assert list(histories(st, since=T + 1)) == ["EV-20260529-0002", "EV-20260530-0003"]
    assert list(histories(st, until=T + 86400)) == ["EV-20260528-0001"]
    assert list(histories(st, section="LV-BY-03")) == ["EV-20260528-0001", "EV-20260530-0003"]
    assert [v.author for v in StoreRepository(st).list()] == ["otto", "otto", "ada"]
