"""Login, expiring tokens, roles: a viewer reads, only an operator decides, only an admin administers."""

from __future__ import annotations

from typing import Any

from serverkit import PASSWORD, Env


def test_login_gives_expiring_token(client: Any, env: Env) -> None:
    r = client.post("/api/v1/login", json={"name": "otto", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["role"] == "operator" and body["expires_at"] > env.clock()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json() == {"name": "otto", "role": "operator", "can_decide": True, "can_admin": False}
    env.clock.t = body["expires_at"] + 1
    expired = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]


def test_wrong_password_and_missing_token(client: Any) -> None:
    assert client.post("/api/v1/login", json={"name": "otto", "password": "nope-nope"}).status_code == 401
    assert client.post("/api/v1/login", json={"name": "nobody", "password": "nope-nope"}).status_code == 401
    r = client.get("/api/v1/tracks")
    assert r.status_code == 401 and "log in" in r.json()["detail"]
    assert client.get("/api/v1/tracks", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_viewer_reads_but_does_not_decide(client: Any, env: Env) -> None:
    v = env.auth("vera")
    for path in (
        "/api/v1/tracks",
        "/api/v1/assessments",
        "/api/v1/alerts",
        "/api/v1/recommendations",
        "/api/v1/effectors",
        "/api/v1/engagements",
        "/api/v1/sensors",
        "/api/v1/picture",
    ):
        assert client.get(path, headers=v).status_code == 200, path
    r = client.post("/api/v1/recommendations/R00001/approve", json={}, headers=v)
    assert r.status_code == 403 and "operator" in r.json()["detail"]
    assert client.post("/api/v1/recommendations/R00001/reject", json={"reason": "x"}, headers=v).status_code == 403
    assert client.post("/api/v1/alerts/A1/ack", headers=v).status_code == 403
    assert client.get("/api/v1/admin/users", headers=v).status_code == 403


def test_operator_does_not_administer(client: Any, env: Env) -> None:
    o = env.auth("otto")
    r = client.post("/api/v1/admin/sensors", json={"id": "ac-9"}, headers=o)
    assert r.status_code == 403 and "admin" in r.json()["detail"]


def test_reject_needs_a_reason(client: Any, env: Env) -> None:
    o = env.auth("otto")
    r = client.post("/api/v1/recommendations/R00001/reject", json={}, headers=o)
    assert r.status_code == 422 and "reason" in r.text
    r = client.post("/api/v1/recommendations/R00001/reject", json={"reason": "   "}, headers=o)
    assert r.status_code == 422


def test_sensor_health(client: Any, env: Env) -> None:
    from serverkit import bearing

    from borderwatch.store.signing import signed_envelope

    line = signed_envelope("ac-1", 1, env.clock(), [bearing("ac-1", env.clock())], env.keys["ac-1"])
    import json

    client.post("/api/v1/ingest", content=json.dumps(line))
    v = env.auth("vera")
    by_id = {s["id"]: s for s in client.get("/api/v1/sensors", headers=v).json()}
    assert by_id["ac-1"]["status"] == "up" and by_id["ac-1"]["count"] == 1 and by_id["ac-1"]["rate_hz"] > 0
    assert by_id["ac-2"]["status"] == "never"
    env.clock.t += 30
    assert {s["id"]: s["status"] for s in client.get("/api/v1/sensors", headers=v).json()}["ac-1"] == "late"
    env.clock.t += 60
    assert {s["id"]: s["status"] for s in client.get("/api/v1/sensors", headers=v).json()}["ac-1"] == "down"


def test_sensor_health_follows_an_announced_heartbeat(client: Any, env: Env) -> None:
    """A sensor that announced a slow heartbeat (a SAPIENT node's status interval) is late only after two of
    its intervals and down after six, not after the service's 10 s / 60 s."""
    import json

    from serverkit import bearing

    from borderwatch.store.signing import signed_envelope

    client.app.state.bw.health.expect("ac-1", 30.0)  # type: ignore[attr-defined]
    line = signed_envelope("ac-1", 1, env.clock(), [bearing("ac-1", env.clock())], env.keys["ac-1"])
    client.post("/api/v1/ingest", content=json.dumps(line))
    v = env.auth("vera")

    def status(sid: str) -> str:
        return str({s["id"]: s["status"] for s in client.get("/api/v1/sensors", headers=v).json()}[sid])

    env.clock.t += 45
    assert status("ac-1") == "up"
    env.clock.t += 30
    assert status("ac-1") == "late"
    env.clock.t += 120
    assert status("ac-1") == "down"
