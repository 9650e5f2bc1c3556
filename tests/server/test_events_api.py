"""The section layer and the event register over HTTP: a real app on a real SQLite store (TestClient)."""

from __future__ import annotations

from typing import Any

import pytest
from serverkit import T0, Env

DAY = 86400.0


def _event(t: float, section: str = "LV-BY-03", **kw: Any) -> dict[str, Any]:
    return {"attempt": "attempted", "time_s": t, "section": section, "direction": "entry", "detection": "patrol",
            "persons": 4, "outcome": "prevented", **kw}  # fmt: skip


def _add(client: Any, env: Env, who: str = "otto", **kw: Any) -> Any:
    return client.post("/api/v1/events", json={"event": _event(T0 - 3600, **kw), "reason": "patrol call"},
                       headers=env.auth(who))  # fmt: skip


def test_sections_layer_is_geojson_with_levels_and_7_day_counts(client: Any, env: Env) -> None:
    r = client.get("/api/sections", headers=env.auth("vera"))
    assert r.status_code == 200, r.text
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 23
    f = fc["features"][0]
    assert f["geometry"]["type"] == "LineString" and len(f["geometry"]["coordinates"]) >= 2
    assert set(f["properties"]) >= {"id", "name", "unit", "level", "reason", "reaction", "events_7d"}
    assert {x["properties"]["level"] for x in fc["features"]} == {"low"}
    assert all(x["properties"]["events_7d"] == 0 for x in fc["features"])
    # six attempts in a day on LV-BY-03 (and one with violence): the level rises, the count shows
    for k in range(6):
        assert _add(client, env, violence=k == 0).status_code == 201
    assert _add(client, env, section="LV-BY-04").status_code == 201
    r2 = client.get("/api/v1/sections", headers=env.auth("vera"))
    props = {x["id"]: x["properties"] for x in r2.json()["features"]}
    assert props["LV-BY-03"]["events_7d"] == 6 and props["LV-BY-04"]["events_7d"] == 1
    assert props["LV-BY-03"]["level"] != "low" and props["LV-BY-03"]["reason"] != "no rule above low fired"
    assert props["LV-BY-03"]["reaction"]
    env.clock.t = T0 + 8 * DAY  # a week later nothing is recent
    props = {x["id"]: x["properties"] for x in client.get("/api/sections", headers=env.auth("vera")).json()["features"]}
    assert props["LV-BY-03"]["events_7d"] == 0


def test_round_trip_add_follow_up_correct_close_and_audit(client: Any, env: Env) -> None:
    r = client.post("/api/v1/events", json={"event": _event(T0 - 30 * 3600, persons=0, outcome="unknown"),
                                            "reason": "sensor alert", "notice": True},
                    headers=env.auth("otto"))  # fmt: skip
    assert r.status_code == 201, r.text
    ev = r.json()
    eid = ev["id"]
    assert ev["version"] == 1 and ev["status"] == "open" and ev["action"] == "notice" and ev["overdue"]
    assert ev["kind"] == "unauthorised_crossing" and ev["time"].endswith("Z")
    env.clock.t += 600
    follow = {"kind": "follow_up", "reason": "patrol report", "changes": {"persons": 3, "outcome": "turned_back"}}
    r = client.post(f"/api/v1/events/{eid}/versions", headers=env.auth("otto"), json=follow)
    assert r.status_code == 201, r.text
    assert r.json()["action"] == "first_report" and not r.json()["overdue"] and r.json()["late"]
    r = client.post(f"/api/v1/events/{eid}/versions", headers=env.auth("ada"),
                    json={"kind": "correction", "reason": "recount", "changes": {"persons": 4}})  # fmt: skip
    assert r.status_code == 201 and r.json()["version"] == 3 and r.json()["persons"] == 4
    r = client.post(f"/api/v1/events/{eid}/close", json={"reason": "group turned back"}, headers=env.auth("otto"))
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["version"] == 4
    r = client.post(f"/api/v1/events/{eid}/close", json={"reason": "again"}, headers=env.auth("otto"))
    assert r.status_code == 409
    r = client.post(f"/api/v1/events/{eid}/versions", headers=env.auth("otto"),
                    json={"kind": "correction", "reason": "late", "changes": {"persons": 5}})  # fmt: skip
    assert r.status_code == 409
    hist = client.get(f"/api/v1/events/{eid}/versions", headers=env.auth("vera")).json()
    assert [(v["version"], v["action"], v["author"]) for v in hist] == [
        (1, "notice", "otto"),
        (2, "first_report", "otto"),
        (3, "correction", "ada"),
        (4, "closure", "otto"),
    ]
    audit = client.get("/api/v1/admin/audit", headers=env.auth("ada")).json()
    rows = [a for a in (audit["rows"] if isinstance(audit, dict) else audit) if a["subject"] == eid]
    assert [(a["actor"], a["action"]) for a in rows] == [
        ("otto", "event.notice"), ("otto", "event.first_report"), ("ada", "event.correction"),
        ("otto", "event.closure")]  # fmt: skip
    assert rows[2]["details"]["changes"] == {"persons": [3, 4]} and all(a["t"] >= T0 for a in rows)
    assert client.get("/api/v1/admin/audit/verify", headers=env.auth("ada")).json()["ok"] is True


def test_list_filters_by_time_and_section(client: Any, env: Env) -> None:
    for dt, sec in ((-3 * DAY, "LV-BY-03"), (-2 * DAY, "LV-BY-04"), (-1 * DAY, "LV-BY-03")):
        r = client.post("/api/v1/events", json={"event": _event(T0 + dt, section=sec)}, headers=env.auth("otto"))
        assert r.status_code == 201
    get = lambda **q: client.get("/api/events", params=q, headers=env.auth("vera"))  # noqa: E731
    assert len(get().json()) == 3
    iso = lambda t: __import__("datetime").datetime.fromtimestamp(t, __import__("datetime").UTC).isoformat()  # noqa: E731
    got = get(since=iso(T0 - 2.5 * DAY)).json()
    assert [e["section"] for e in got] == ["LV-BY-04", "LV-BY-03"]
    got = get(since=iso(T0 - 2.5 * DAY), until=iso(T0 - 1.5 * DAY)).json()
    assert [e["section"] for e in got] == ["LV-BY-04"]
    got = get(section="LV-BY-03").json()
    assert len(got) == 2 and {"id", "version", "time", "section", "kind", "persons", "outcome", "status"} <= set(got[0])
    assert [e["time"] for e in get(limit=2).json()] == [e["time"] for e in get().json()[1:]]  # the newest two
    r = get(since="yesterday")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "since"]
    r = get(section="NOPE")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "section"]


def test_viewer_may_not_write_and_bad_bodies_name_the_field(client: Any, env: Env) -> None:
    assert _add(client, env, who="vera").status_code == 403
    assert client.post("/api/v1/events", json={"event": _event(T0)}).status_code == 401
    eid = _add(client, env).json()["id"]
    for path, body in ((f"/api/v1/events/{eid}/versions", {"kind": "correction", "reason": "x", "changes": {}}),
                       (f"/api/v1/events/{eid}/close", {"reason": "x"})):  # fmt: skip
        assert client.post(path, json=body, headers=env.auth("vera")).status_code == 403
    cases = [
        ({"event": _event(T0, persons=-1)}, ["body", "event", "persons"]),
        ({"event": {k: v for k, v in _event(T0).items() if k != "direction"}}, ["body", "event", "direction"]),
        ({"event": _event(T0, section="NOPE")}, ["body", "event", "section"]),
        ({"event": _event(1e300)}, ["body", "event", "time_s"]),
        ({"event": _event(T0, colour="red")}, ["body", "event", "colour"]),
    ]
    for body, loc in cases:
        r = client.post("/api/v1/events", json=body, headers=env.auth("otto"))
        assert r.status_code == 422, (body, r.text)
        d = r.json()["detail"][0]
        assert d["loc"] == loc and d["msg"], r.text
    r = client.post(f"/api/v1/events/{eid}/versions", headers=env.auth("otto"),
                    json={"kind": "correction", "reason": "x", "changes": {"persons": "many"}})  # fmt: skip
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "changes", "persons"]
    r = client.post(f"/api/v1/events/{eid}/versions", headers=env.auth("otto"), json={"kind": "correction",
                    "reason": "x"})  # fmt: skip
    assert r.status_code == 422 and "exactly one" in r.json()["detail"][0]["msg"]
    r = client.post(f"/api/v1/events/{eid}/close", headers=env.auth("otto"), json={"reason": "x", "closure": "gone"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "closure"]
    assert client.get("/api/v1/events/EV-NONE", headers=env.auth("vera")).status_code == 404


@pytest.mark.parametrize("who, code", [("otto", 403), ("ada", 200)])
def test_only_the_owner_or_an_admin_closes(client: Any, env: Env, who: str, code: int) -> None:
    r = client.post("/api/v1/events", json={"event": _event(T0), "owner": "someone"}, headers=env.auth("otto"))
    eid = r.json()["id"]
    r = client.post(f"/api/v1/events/{eid}/close", json={"reason": "done"}, headers=env.auth(who))
    assert r.status_code == code, r.text
