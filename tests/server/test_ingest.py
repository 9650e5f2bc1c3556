"""Signed ingest over HTTP and WebSocket: accepted reports are durable before the reply; every rejection has a
reason that the sender gets back and that is counted per sensor and reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from serverkit import Env, bearing


def post(client: Any, *lines: bytes) -> dict[str, Any]:
    r = client.post("/api/v1/ingest", content=b"\n".join(lines), headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def stats(client: Any, env: Env) -> dict[str, dict[str, int]]:
    r = client.get("/api/v1/ingest/stats", headers=env.auth("vera"))
    assert r.status_code == 200
    out: dict[str, dict[str, int]] = r.json()["rejections"]
    return out


def test_signed_reports_accepted_and_durable(client: Any, env: Env) -> None:
    from borderwatch.store import open_store, reports

    t = env.clock()
    reps = [bearing("ac-1", t - 1.0, az) for az in (10.0, 20.0, 30.0)]
    out = post(client, env.line("ac-1", reps), env.line("ac-2", [bearing("ac-2", t - 0.5)]))
    assert out["accepted"] == 4
    assert [r["status"] for r in out["results"]] == ["accepted", "accepted"]
    # the reply came after the commit: a second connection to the file sees every report
    st = open_store(env.db)
    try:
        rows = reports.reports_since(st, 0, 100)
    finally:
        st.close()
    assert [json.loads(r.body)["az_deg"] for _, r in rows if r.sensor == "ac-1"] == [10.0, 20.0, 30.0]
    assert {r.sensor for _, r in rows} == {"ac-1", "ac-2"}
    assert all(r.t_ingest == t for _, r in rows)


def _reason(out: dict[str, Any]) -> tuple[str, str]:
    (res,) = out["results"]
    assert res["status"] == "rejected"
    assert res["detail"]
    return res["reason"], res["detail"]


def test_unknown_sensor(client: Any, env: Env) -> None:
    line = env.line("ghost", [bearing("ghost", env.clock())], key=b"k" * 32)
    assert _reason(post(client, line))[0] == "unknown_sensor"
    assert stats(client, env)["_unknown"]["unknown_sensor"] == 1


def test_revoked_sensor(client: Any, env: Env) -> None:
    admin = env.auth("ada")
    r = client.post("/api/v1/admin/sensors/ac-2/revoke", json={"reason": "stolen"}, headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert _reason(post(client, env.line("ac-2", [bearing("ac-2", env.clock())])))[0] == "revoked_sensor"


def test_bad_signature(client: Any, env: Env) -> None:
    env_ = env.envelope("ac-1", [bearing("ac-1", env.clock())])
    env_["reports"][0]["az_deg"] = 46.0  # changed after signing
    reason, detail = _reason(post(client, json.dumps(env_).encode()))
    assert reason == "bad_signature" and "HMAC" in detail
    wrong_key = env.line("ac-1", [bearing("ac-1", env.clock())], key=b"x" * 32)
    assert _reason(post(client, wrong_key))[0] == "bad_signature"
    assert stats(client, env)["ac-1"]["bad_signature"] == 2


def test_replayed_and_stale_seq(client: Any, env: Env) -> None:
    first = env.line("ac-1", [bearing("ac-1", env.clock())], seq=5)
    assert post(client, first)["accepted"] == 1
    assert _reason(post(client, first))[0] == "replayed_seq"
    stale = env.line("ac-1", [bearing("ac-1", env.clock())], seq=4)
    reason, detail = _reason(post(client, stale))
    assert reason == "replayed_seq" and "5" in detail
    assert post(client, env.line("ac-1", [bearing("ac-1", env.clock())], seq=6))["accepted"] == 1
    assert stats(client, env)["ac-1"]["replayed_seq"] == 2


def test_seq_survives_restart(env: Env) -> None:
    """The last accepted sequence number comes from the store, so a restart does not reopen replays."""
    from fastapi.testclient import TestClient

    from borderwatch.server import Settings, create_app

    line = env.line("ac-1", [bearing("ac-1", env.clock())], seq=9)
    for expect in ("accepted", "rejected"):
        with TestClient(create_app(Settings(store=env.db, clock=env.clock, run_engine=False))) as c:
            assert post(c, line)["results"][0]["status"] == expect


@pytest.mark.parametrize("offset", [-31.0, 31.0, -3600.0, 1e9])
def test_send_time_skew(client: Any, env: Env, offset: float) -> None:
    line = env.line("ac-1", [bearing("ac-1", env.clock())], t_sent=env.clock() + offset)
    reason, detail = _reason(post(client, line))
    assert reason == "send_time_skew" and "±30" in detail


def test_skew_limit_is_configurable(env: Env) -> None:
    from fastapi.testclient import TestClient

    from borderwatch.server import Settings, create_app

    with TestClient(create_app(Settings(store=env.db, clock=env.clock, run_engine=False, max_skew_s=300))) as c:
        out = post(c, env.line("ac-1", [bearing("ac-1", env.clock() - 200)], t_sent=env.clock() - 200))
        assert out["accepted"] == 1


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"not json", "JSON"),
        (b'{"sensor": "ac-1", "seq": NaN}', "JSON"),
        (b"[1, 2]", "object"),
        (b'{"sensor": "ac-1"}', "seq"),
        (b'{"sensor": "ac-1", "seq": 1, "t_sent": 1, "reports": [], "sig": "00", "extra": 1}', "extra"),
        (b'{"sensor": "ac-1", "seq": true, "t_sent": 1, "reports": [], "sig": "00"}', "seq"),
        (b'{"sensor": "ac-1", "seq": 1, "t_sent": 1e999, "reports": [], "sig": "00"}', "t_sent"),
        (b'{"sensor": "ac-1", "seq": 1, "t_sent": 1, "reports": {}, "sig": "00"}', "reports"),
        (b'{"sensor": "ac-1", "seq": 1, "t_sent": 1, "reports": [], "sig": "zz"}', "sig"),
        (b'{"sensor": "' + b"s" * 200 + b'", "seq": 1, "t_sent": 1, "reports": [], "sig": "00"}', "sensor"),
        (b'{"seq": ' + b"9" * 5000 + b"}", "JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON"),
        (b"\xff\xfe", "JSON"),
    ],
)
def test_malformed_message(client: Any, env: Env, raw: bytes, field: str) -> None:
    reason, detail = _reason(post(client, raw))
    assert reason == "malformed"
    assert field in detail


@pytest.mark.parametrize(
    ("report", "field"),
    [
        ({"t": 0.0, "type": "bearing", "az_deg": 400.0, "sigma_az_deg": 1.0}, "az_deg"),
        ({"t": 0.0, "type": "bearing", "az_deg": "north", "sigma_az_deg": 1.0}, "az_deg"),
        ({"t": 0.0, "type": "bearing", "az_deg": 10.0, "sigma_az_deg": -1.0}, "sigma_az_deg"),
        ({"t": 0.0, "type": "radar", "range_m": 0, "az_deg": 1.0, "el_deg": 1.0}, "range_m"),
        ({"t": 0.0, "type": "sonar"}, "type"),
        ({"t": 0.0, "type": "bearing", "az_deg": 10.0, "sigma_az_deg": 1.0, "class_hint": "x" * 100_000}, "bytes"),
        ({"t": 0.0, "type": "bearing", "az_deg": 10.0, "sigma_az_deg": 1.0, "junk": list(range(5000))}, "bytes"),
        ({"t": -1e9, "type": "bearing", "az_deg": 10.0, "sigma_az_deg": 1.0}, "t"),
        ({"t": 1e308, "type": "bearing", "az_deg": 10.0, "sigma_az_deg": 1.0}, "t"),
    ],
)
def test_bad_report_rejected_others_kept(client: Any, env: Env, report: dict[str, Any], field: str) -> None:
    t = env.clock()
    bad = {"sensor": "ac-1", **report, "t": t + report["t"]}
    good = bearing("ac-1", t)
    out = post(client, env.line("ac-1", [good, bad, good]))
    (res,) = out["results"]
    assert res["status"] == "partial" and res["accepted"] == 2
    (rej,) = res["rejected"]
    assert rej["index"] == 1 and rej["reason"] == "bad_report"
    assert field in rej["detail"]
    assert stats(client, env)["ac-1"]["bad_report"] == 1


def test_report_from_another_sensor(client: Any, env: Env) -> None:
    out = post(client, env.line("ac-1", [bearing("ac-2", env.clock())]))
    (res,) = out["results"]
    assert res["status"] == "rejected" and res["rejected"][0]["reason"] == "sensor_mismatch"


def test_counts_on_metrics(client: Any, env: Env) -> None:
    post(client, env.line("ac-1", [bearing("ac-1", env.clock())]))
    post(client, env.line("ac-1", [bearing("ac-1", env.clock())], key=b"x" * 32))
    post(client, b"garbage")
    text = client.get("/metrics").text
    assert 'borderwatch_reports_total{sensor="ac-1"} 1.0' in text
    assert 'borderwatch_rejections_total{reason="bad_signature",sensor="ac-1"} 1.0' in text
    assert 'borderwatch_rejections_total{reason="malformed",sensor="_unknown"} 1.0' in text
    assert "borderwatch_queue_depth" in text and "borderwatch_ingest_to_picture_seconds_bucket" in text


def test_body_too_large(env: Env) -> None:
    from fastapi.testclient import TestClient

    from borderwatch.server import Settings, create_app

    with TestClient(create_app(Settings(store=env.db, clock=env.clock, run_engine=False, max_body_bytes=1000))) as c:
        r = c.post("/api/v1/ingest", content=b"x" * 2000)
        assert r.status_code == 413 and "larger" in r.json()["detail"]


def test_blank_lines_and_line_numbers(client: Any, env: Env) -> None:
    out = post(client, b"", env.line("ac-1", [bearing("ac-1", env.clock())]), b"  ", b"oops")
    assert [(r["line"], r["status"]) for r in out["results"]] == [(2, "accepted"), (4, "rejected")]


def test_websocket_ingest_one_reply_per_message(client: Any, env: Env) -> None:
    with client.websocket_connect("/api/v1/ingest/ws") as ws:
        ws.send_text(env.line("ac-1", [bearing("ac-1", env.clock())]).decode())
        assert ws.receive_json()["status"] == "accepted"
        ws.send_bytes(b"{bad")
        r = ws.receive_json()
        assert r["status"] == "rejected" and r["reason"] == "malformed"
        ws.send_text(env.line("ac-1", [bearing("ac-1", env.clock())], seq=1).decode())
        assert ws.receive_json()["reason"] == "replayed_seq"


def test_sensor_health_is_read_while_ingest_records() -> None:
    """The sensors endpoint reads the rate in a worker thread while ingest records on the event loop: reading
    never fails with "deque mutated during iteration" (it did, as a 500 on /api/v1/sensors)."""
    import threading

    from borderwatch.server.ingest import SensorHealth

    h = SensorHealth(window_s=1e9)  # nothing leaves the window: the deque only grows while it is read
    for i in range(20_000):
        h.record("a1", 1, float(i))
    stop = threading.Event()

    def writer() -> None:
        t = 20_000.0
        while not stop.is_set():
            h.record("a1", 1, t)
            t += 1.0

    th = threading.Thread(target=writer)
    th.start()
    try:
        rates = [h.rate("a1", 1e6) for _ in range(300)]
    finally:
        stop.set()
        th.join()
    assert all(r > 0 for r in rates)
    assert h.count["a1"] >= 20_000


def test_key_changes_by_another_process(env: Env) -> None:
    """Ingest reads every sensor's keys in one query at most every key_cache_s (not one query per message): a
    sensor enrolled by another process (the CLI) is accepted at once, and its revocation or rotation there takes
    effect within key_cache_s."""
    import time

    from fastapi.testclient import TestClient

    from borderwatch.server import Settings, create_app
    from borderwatch.store import open_store, sensor_keys

    with TestClient(create_app(Settings(store=env.db, clock=env.clock, run_engine=False, key_cache_s=0.3))) as c:
        assert post(c, env.line("ac-1", [bearing("ac-1", env.clock())]))["accepted"] == 1  # the table is read
        other = open_store(env.db)  # another process's connection
        try:
            env.keys["ac-9"] = sensor_keys.add_sensor(other, "ac-9", now=env.clock())
            assert post(c, env.line("ac-9", [bearing("ac-9", env.clock())]))["accepted"] == 1
            old = env.keys["ac-1"]
            env.keys["ac-1"] = sensor_keys.rotate_key(other, "ac-1", grace_s=60.0, now=env.clock())
            sensor_keys.revoke(other, "ac-9", now=env.clock())
        finally:
            other.close()
        time.sleep(0.35)
        assert _reason(post(c, env.line("ac-9", [bearing("ac-9", env.clock())])))[0] == "revoked_sensor"
        assert post(c, env.line("ac-1", [bearing("ac-1", env.clock())]))["accepted"] == 1  # the new key
        assert post(c, env.line("ac-1", [bearing("ac-1", env.clock())], key=old))["accepted"] == 1  # in grace
        env.clock.t += 61.0
        stale = env.line("ac-1", [bearing("ac-1", env.clock())], key=old)
        assert _reason(post(c, stale))[0] == "bad_signature"  # the grace is checked at use time
