"""Administration through the API: every action is in the audit log with who, what and why."""

from __future__ import annotations

import json
from typing import Any

from serverkit import PASSWORD, Env, bearing

from borderwatch.store.signing import signed_envelope


def _audit(client: Any, env: Env) -> list[dict[str, Any]]:
    r = client.get("/api/v1/admin/audit", headers=env.auth("ada"))
    assert r.status_code == 200
    rows: list[dict[str, Any]] = r.json()
    return rows


def test_add_user_audited_and_can_log_in(client: Any, env: Env) -> None:
    a = env.auth("ada")
    r = client.post(
        "/api/v1/admin/users",
        json={"name": "nina", "password": PASSWORD, "role": "viewer", "reason": "night shift"},
        headers=a,
    )
    assert r.status_code == 201 and r.json()["role"] == "viewer"
    row = _audit(client, env)[-1]
    assert (row["actor"], row["action"], row["subject"]) == ("ada", "user.add", "user:nina")
    assert row["details"]["reason"] == "night shift"
    assert client.post("/api/v1/login", json={"name": "nina", "password": PASSWORD}).status_code == 200
    dup = client.post("/api/v1/admin/users", json={"name": "nina", "password": PASSWORD, "role": "viewer"}, headers=a)
    assert dup.status_code == 422 and "exists" in dup.json()["detail"]


def test_sensor_lifecycle(client: Any, env: Env) -> None:
    a = env.auth("ada")
    r = client.post("/api/v1/admin/sensors", json={"id": "ac-9", "reason": "new mast"}, headers=a)
    assert r.status_code == 201
    key = bytes.fromhex(r.json()["key"])
    t = env.clock()

    def send(seq: int, k: bytes) -> dict[str, Any]:
        line = json.dumps(signed_envelope("ac-9", seq, t, [bearing("ac-9", t)], k))
        out: dict[str, Any] = client.post("/api/v1/ingest", content=line).json()["results"][0]
        return out

    assert send(1, key)["status"] == "accepted"
    r = client.post("/api/v1/admin/sensors/ac-9/rotate-key", json={"grace_s": 0, "reason": "schedule"}, headers=a)
    new = bytes.fromhex(r.json()["key"])
    env.clock.t += 1
    assert send(2, key)["reason"] == "bad_signature"
    assert send(3, new)["status"] == "accepted"
    client.post("/api/v1/admin/sensors/ac-9/revoke", json={"reason": "lost"}, headers=a)
    assert send(4, new)["reason"] == "revoked_sensor"
    actions = [(r["action"], r["subject"], r["details"].get("reason")) for r in _audit(client, env)]
    assert actions[-3:] == [
        ("sensor.add", "sensor:ac-9", "new mast"),
        ("sensor.rotate-key", "sensor:ac-9", "schedule"),
        ("sensor.revoke", "sensor:ac-9", "lost"),
    ]
    assert client.get("/api/v1/admin/audit/verify", headers=a).json()["ok"] is True


def test_unknown_sensor_admin_is_404(client: Any, env: Env) -> None:
    r = client.post("/api/v1/admin/sensors/nope/revoke", json={}, headers=env.auth("ada"))
    assert r.status_code == 404 and "nope" in r.json()["detail"]


def test_role_change_and_disable(client: Any, env: Env) -> None:
    a = env.auth("ada")
    assert (
        client.post("/api/v1/admin/users/vera/role", json={"role": "operator"}, headers=a).json()["role"] == "operator"
    )
    assert client.post("/api/v1/admin/users/vera/disable", json={"reason": "left"}, headers=a).json()["disabled"]
    assert client.get("/api/v1/me", headers=env.auth("vera")).status_code == 401
    assert [r["action"] for r in _audit(client, env)][-2:] == ["user.role", "user.disable"]
