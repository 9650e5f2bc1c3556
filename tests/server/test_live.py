"""The live service with the real engine: a short simulated scenario replayed through signed HTTP ingest;
the picture over REST and WebSocket, operator decisions audited with their author, history, rebuild after a
restart."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from serverkit import FakeClock, Template, make_env, make_template

from borderwatch.store import open_store, sensor_keys
from borderwatch.store.signing import signed_envelope

pytestmark = pytest.mark.slow
SCENARIO = Path(__file__).resolve().parents[1] / "data" / "stray-serve.yaml"
BIN_S = 5.0


@dataclass
class Live:
    client: Any
    app: Any
    env: Any
    dir: Path
    reports: list[dict[str, Any]]
    keys: dict[str, bytes]
    seq: dict[str, int]
    sensors: Path

    def state(self) -> Any:
        return self.app.state.bw

    def replay(self, t_from: float, t_to: float) -> int:
        """POST the reports in [t_from, t_to) bin by bin, moving the clock and waiting for the engine."""
        n = 0
        t = t_from
        while t < t_to:
            hi = min(t + BIN_S, t_to)
            by: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for r in self.reports:
                if t <= r["t"] < hi:
                    by[r["sensor"]].append(r)
            self.env.clock.t = hi
            lines = []
            for s, reps in by.items():
                self.seq[s] = self.seq.get(s, 0) + 1
                lines.append(json.dumps(signed_envelope(s, self.seq[s], hi, reps, self.keys[s])))
            if lines:
                out = self.client.post("/api/v1/ingest", content="\n".join(lines)).json()
                assert out["rejected_messages"] == 0, out
                n += out["accepted"]
            self.wait_engine(hi - BIN_S)
            t = hi
        return n

    def wait_engine(self, t: float, timeout: float = 20.0) -> None:
        live = self.state().live
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if live.engine.now >= t and self.state().view.snapshot.get("t", 0) >= t:
                return
            time.sleep(0.01)
        raise AssertionError(f"engine did not reach {t}")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from borderwatch.jobs import simulate_job

    out = tmp_path_factory.mktemp("stray-serve")
    simulate_job(SCENARIO, out)
    return out


def _register_all(db: Path, sensors: Path, now: float) -> dict[str, bytes]:
    ids = [s["id"] for s in json.loads(sensors.read_text())["sensors"]]
    st = open_store(db)
    try:
        with st.session() as s:
            return {i: sensor_keys.add_sensor(st, i, now=now, session=s) for i in ids}
    finally:
        st.close()


def _start(env: Any, sensors: Path) -> Any:
    from fastapi.testclient import TestClient

    from borderwatch.server import Settings, create_app

    settings = Settings(store=env.db, sensors=sensors, clock=env.clock, tick_s=0.01, engine_lag_s=BIN_S)
    app = create_app(settings)
    return app, TestClient(app)


@pytest.fixture(scope="module")
def live(scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tpl: Template = make_template(tmp_path_factory.mktemp("tpl"), sensors=())
    d = tmp_path_factory.mktemp("live")
    reports = [json.loads(ln) for ln in (scenario / "reports.jsonl").read_text().splitlines() if ln.strip()]
    t0 = reports[0]["t"]
    env = make_env(d, tpl)
    env.clock = FakeClock(t0)
    keys = _register_all(env.db, scenario / "sensors.json", t0 - 100)
    app, client = _start(env, scenario / "sensors.json")
    client.__enter__()
    lv = Live(client, app, env, d, reports, keys, {}, scenario / "sensors.json")
    try:
        lv.replay(t0, t0 + 305.0)
        yield lv
    finally:
        lv.client.__exit__(None, None, None)


def _items(lv: Live, path: str, who: str = "vera") -> list[dict[str, Any]]:
    r = lv.client.get(path, headers=lv.env.auth(who))
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_picture_over_rest(live: Live) -> None:
    tracks = _items(live, "/api/v1/tracks")
    assert tracks and all("track" in t and "lat" in t for t in tracks)
    assert _items(live, "/api/v1/assessments")
    eff = _items(live, "/api/v1/effectors")
    assert eff and all("magazine" in e for e in eff)
    assert _items(live, "/api/v1/recommendations")
    health = live.client.get("/api/v1/sensors", headers=live.env.auth("vera")).json()
    assert {h["status"] for h in health} >= {"up"}


def _pending(live: Live) -> dict[str, Any]:
    """A pending recommendation, replaying on (5 s at a time) until the engine makes one."""
    while True:
        recs = _items(live, "/api/v1/recommendations")
        if recs:
            return recs[0]
        t = live.env.clock()
        if t > live.reports[-1]["t"]:
            pytest.fail("the scenario ended without another pending recommendation")
        live.replay(t, t + BIN_S)


def test_viewer_cannot_approve_a_real_recommendation(live: Live) -> None:
    rec = _pending(live)["id"]
    r = live.client.post(f"/api/v1/recommendations/{rec}/approve", json={}, headers=live.env.auth("vera"))
    assert r.status_code == 403


def test_reject_needs_reason_then_audited(live: Live) -> None:
    rec = _pending(live)["id"]
    o = live.env.auth("otto")
    r = live.client.post(f"/api/v1/recommendations/{rec}/reject", json={"reason": ""}, headers=o)
    assert r.status_code == 422
    r = live.client.post(f"/api/v1/recommendations/{rec}/reject", json={"reason": "friendly helicopter"}, headers=o)
    assert r.status_code == 200 and r.json()["decision"]["approved"] is False
    audit = live.client.get("/api/v1/admin/audit", headers=live.env.auth("ada")).json()
    assert [(a["actor"], a["action"], a["details"]["reason"]) for a in audit if a["subject"].endswith(rec)] == [
        ("otto", "decision.reject", "friendly helicopter")
    ]


def test_operator_approval_is_audited_with_author(live: Live) -> None:
    rec = _pending(live)["id"]
    r = live.client.post(
        f"/api/v1/recommendations/{rec}/approve", json={"reason": "hostile, closing"}, headers=live.env.auth("otto")
    )
    assert r.status_code == 200, r.text
    dec = r.json()["decision"]
    assert dec["who"] == "otto" and dec["approved"] is True and dec["recommendation"] == rec
    assert rec not in {x["id"] for x in _items(live, "/api/v1/recommendations")}
    assert any(e["recommendation"] == rec for e in _items(live, "/api/v1/engagements"))
    audit = live.client.get("/api/v1/admin/audit", headers=live.env.auth("ada")).json()
    row = [a for a in audit if a["subject"] == f"recommendation:{rec}"]
    assert len(row) == 1 and row[0]["actor"] == "otto" and row[0]["action"] == "decision.approve"
    assert row[0]["details"]["reason"] == "hostile, closing"
    assert row[0]["details"]["decisions"][0]["id"] == dec["id"]
    again = live.client.post(f"/api/v1/recommendations/{rec}/approve", json={}, headers=live.env.auth("otto"))
    assert again.status_code == 409 and "already decided" in again.json()["detail"]
    assert live.client.get("/api/v1/admin/audit/verify", headers=live.env.auth("ada")).json()["ok"]


def test_unknown_recommendation_refused(live: Live) -> None:
    r = live.client.post("/api/v1/recommendations/R99999/approve", json={}, headers=live.env.auth("otto"))
    assert r.status_code == 409 and "R99999" in r.json()["detail"]


def test_acknowledge_alert(live: Live) -> None:
    alerts = _items(live, "/api/v1/alerts")
    assert alerts
    aid = alerts[0]["id"]
    r = live.client.post(f"/api/v1/alerts/{aid}/ack", headers=live.env.auth("otto"))
    assert r.status_code == 200 and r.json()["who"] == "otto"
    assert {a["id"]: a for a in _items(live, "/api/v1/alerts")}[aid]["acknowledged_by"] == "otto"
    assert live.client.post("/api/v1/alerts/A-none/ack", headers=live.env.auth("otto")).status_code == 404


def test_websocket_snapshot_then_deltas_and_resume(live: Live) -> None:
    token = live.env.tokens["vera"]
    with live.client.websocket_connect(f"/api/v1/picture?token={token}") as ws:
        snap = ws.receive_json()
        assert snap["type"] == "snapshot" and snap["picture"]["tracks"]
        t = live.env.clock()
        live.replay(t, t + 10.0)
        deltas = [ws.receive_json() for _ in range(20)]
    assert all(d["type"] == "delta" and d["epoch"] == snap["epoch"] for d in deltas)
    seqs = [d["seq"] for d in deltas]
    assert seqs == list(range(snap["seq"] + 1, snap["seq"] + 21))
    assert {d["kind"] for d in deltas} <= {
        "track",
        "track_dropped",
        "assessment",
        "alert",
        "recommendation",
        "engagement",
        "decision",
    }
    # resume after the tenth delta: the next one is the eleventh
    with live.client.websocket_connect(f"/api/v1/picture?token={token}&epoch={snap['epoch']}&after={seqs[9]}") as ws:
        assert ws.receive_json()["seq"] == seqs[10]
    # an unknown epoch gets a snapshot
    with live.client.websocket_connect(f"/api/v1/picture?token={token}&epoch=old&after=3") as ws:
        assert ws.receive_json()["type"] == "snapshot"


def test_websocket_needs_login(live: Live) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as e, live.client.websocket_connect("/api/v1/picture?token=bad") as ws:
        ws.receive_json()
    assert e.value.code == 4401


def test_history_from_the_store(live: Live) -> None:
    t1 = live.env.clock()
    r = live.client.get(f"/api/v1/history?t0={t1 - 400}&t1={t1 + 1}", headers=live.env.auth("vera"))
    assert r.status_code == 200
    h = r.json()
    assert h["track_points"] and h["assessments"] and h["recommendations"] and h["alerts"]
    assert any(d["who"] == "otto" for d in h["decisions"])
    bad = live.client.get(f"/api/v1/history?t0={t1}&t1={t1 - 5}", headers=live.env.auth("vera"))
    assert bad.status_code == 422


def test_metrics_latency_and_depths(live: Live) -> None:
    text = live.client.get("/metrics").text
    count = [ln for ln in text.splitlines() if ln.startswith("borderwatch_ingest_to_picture_seconds_count")]
    assert count and float(count[0].split()[-1]) > 0
    assert 'borderwatch_queue_depth{queue="reports#' in text


def test_restart_rebuilds_then_approval_refused_after_window_closed(live: Live) -> None:
    """Last in this module: restarts the service on the same store, then moves the clock past an intercept window."""
    before = {t["track"] for t in _items(live, "/api/v1/tracks")}
    assert before
    live.client.__exit__(None, None, None)
    app, client = _start(live.env, live.sensors)
    client.__enter__()
    live.client, live.app = client, app
    health = client.get("/healthz").json()
    assert health["rebuilt_reports"] > 0 and health["rebuild_s"] > 0
    after = {t["track"] for t in _items(live, "/api/v1/tracks")}
    assert after, "no tracks right after the restart"
    # the rebuilt engine does not know the decisions taken before the restart: it recommends again
    rec = _pending(live)
    engine = live.state().live.engine
    closes = engine.window_closes(engine.rec_by_id[rec["id"]])
    live.env.clock.t = closes + 5.0  # a stalled operator
    r = live.client.post(f"/api/v1/recommendations/{rec['id']}/approve", json={}, headers=live.env.auth("otto"))
    assert r.status_code == 409 and "closed" in r.json()["detail"]


def test_in_process_reports_are_those_the_bytes_carry(tmp_path: Path, template: Template) -> None:
    """In one process, ingest hands its parsed reports to the engine driver with the message (``Bus.publish``'s
    ``local``); a driver that reads the same messages' bytes instead (as from JetStream) buffers equal reports
    in the same order, with the same ingest wall times."""
    import asyncio
    import math
    from types import SimpleNamespace

    from serverkit import bearing

    from borderwatch.bus import InProcessBus
    from borderwatch.server import Settings
    from borderwatch.server.app import _parse_only
    from borderwatch.server.ingest import Ingest, SensorHealth
    from borderwatch.server.live import LiveDriver
    from borderwatch.server.metrics import Metrics

    env = make_env(tmp_path, template)
    settings = Settings(store=env.db, clock=env.clock)
    store = open_store(env.db)
    stub = SimpleNamespace(check=_parse_only)

    async def go() -> tuple[list[Any], list[Any]]:
        bus = InProcessBus()
        sub = bus.subscribe("reports")
        ingest = Ingest(store=store, bus=bus, check=_parse_only, settings=settings, metrics=Metrics(),
                        health=SensorHealth(60.0))  # fmt: skip
        t = env.clock()
        lines = [env.line("ac-1", [bearing("ac-1", t - 1.0 + 0.1 * i, 10.0 * i) for i in range(5)]),
                 env.line("ac-2", [bearing("ac-2", t - 0.95, 33.3), {"t": "bad"}])]  # fmt: skip
        res = await ingest.submit(lines)
        assert [r.accepted for r in res] == [5, 1]
        msgs = sub.drain(10)
        drivers = [LiveDriver(engine=stub, store=store, bus=bus, settings=settings, metrics=Metrics()) for _ in "ab"]
        for m in msgs:
            assert m.local is not None  # type: ignore[attr-defined]
            drivers[0]._take(m)
            drivers[1]._take(SimpleNamespace(subject=m.subject, data=m.data))  # no local: decoded and checked
        return [d._buf.pop_until(math.inf) for d in drivers], [d._pending_wall for d in drivers]

    try:
        (local, wire), (w_local, w_wire) = asyncio.run(go())
    finally:
        store.close()
    assert len(local) == 6 and local == wire
    assert w_local == w_wire and len(w_local) == 2


class _StubEngine:
    """An engine that takes no reports and makes ``make(t)``'s deltas at every advance (driver tests)."""

    def __init__(self, t0: float, make: Any) -> None:
        self.now = t0
        self.unprocessed_from = float("inf")
        self._make = make

    def check(self, d: dict[str, Any]) -> tuple[Any, str | None]:
        return None, "no reports here"

    def feed(self, reports: Any) -> None:
        pass

    def advance(self, t: float) -> list[Any]:
        self.now = t
        return list(self._make(t))

    def picture(self) -> dict[str, Any]:
        return {"tracks": []}

    def decide(self, *a: Any, **k: Any) -> Any:
        raise NotImplementedError

    def acknowledge(self, *a: Any, **k: Any) -> Any:
        raise NotImplementedError


def test_steps_publish_at_once_and_a_writer_stores_the_engine_json_as_is_or_made_plain(
    tmp_path: Path, template: Template
) -> None:
    """A step publishes its deltas without waiting for the store; the writer task stores them. The engine's JSON
    is not copied on the way, so a numpy value or a NaN in it reaches the store's writer, which refuses the
    record; the batch is then written from plain copies (numbers, null), once."""
    import asyncio
    import math

    import numpy as np

    from borderwatch.bus import InProcessBus
    from borderwatch.engine.stepper import Delta
    from borderwatch.server import Settings
    from borderwatch.server.live import LiveDriver
    from borderwatch.server.metrics import Metrics
    from borderwatch.server.storeio import history

    env = make_env(tmp_path, template)
    settings = Settings(store=env.db, clock=env.clock)
    store = open_store(env.db)
    t0 = env.clock()

    def odd_json(t: float) -> list[Delta]:
        return [
            Delta(t, "track", "T000001", {"track": "T000001", "t": np.float64(t), "lat": np.float32(56.5),
                                          "lon": 27.25, "alt_m": float("nan"), "hits": np.int64(7)}),
            Delta(t, "assessment", "T000001", {"track": "T000001", "t": t, "score": np.float32(0.25)}),
        ]  # fmt: skip

    async def go() -> tuple[list[Any], list[Any]]:
        bus = InProcessBus()
        pic = bus.subscribe("picture.delta")
        drv = LiveDriver(engine=_StubEngine(t0, odd_json), store=store, bus=bus, settings=settings, metrics=Metrics())
        await drv.start()
        deltas = await drv.step()
        got = pic.drain(10)  # published by the step itself
        await drv.stop()
        return deltas, got

    try:
        deltas, got = asyncio.run(go())
        hist = history(store, t0 - 10.0, t0 + 10.0)
    finally:
        store.close()
    assert [d["kind"] for d in deltas] == ["track", "assessment"]
    assert [json.loads(m.data)["seq"] for m in got] == [1, 2]
    assert [m.local[1] for m in got] == [1, 2]  # the numbering, for the in-process picture view
    assert json.loads(got[0].data)["data"]["alt_m"] is None
    (pt,) = hist["track_points"]
    assert pt["lat"] == pytest.approx(56.5) and pt["alt_m"] is None and pt["hits"] == 7
    assert math.isclose(hist["assessments"][0]["score"], 0.25)


def test_latency_counts_a_report_only_once_the_tracker_has_processed_it(tmp_path: Path, template: Template) -> None:
    """The ingest time of a message enters the latency (``wall`` on the deltas, the histogram) at the step after
    which all its reports are older than the earliest report still waiting in the tracker's open frame."""
    import asyncio
    import math
    from types import SimpleNamespace

    from borderwatch.bus import InProcessBus
    from borderwatch.engine.stepper import Delta
    from borderwatch.server import Settings
    from borderwatch.server.live import LiveDriver
    from borderwatch.server.metrics import Metrics

    env = make_env(tmp_path, template)
    settings = Settings(store=env.db, clock=env.clock)
    store = open_store(env.db)
    t0 = env.clock()

    def one_track(t: float) -> list[Delta]:
        return [Delta(t, "track", "T000001", {"track": "T000001", "t": t, "lat": 56.5, "lon": 27.0})]

    def msg(ts: list[float], wall: float) -> Any:
        return SimpleNamespace(subject="reports.x", data=b"", local=([], wall, [SimpleNamespace(t=x) for x in ts]))

    async def go() -> list[list[float | None]]:
        bus = InProcessBus()
        pic = bus.subscribe("picture.delta")
        eng = _StubEngine(t0, one_track)
        drv = LiveDriver(engine=eng, store=store, bus=bus, settings=settings, metrics=Metrics())
        drv._take(msg([t0 - 0.9, t0 - 0.6], 1000.0))  # its reports: processed in a closed frame
        drv._take(msg([t0 - 0.4, t0 - 0.1], 1001.0))  # one of its reports waits in the open frame
        walls = []
        for unprocessed in (t0 - 0.2, math.inf):
            eng.unprocessed_from = unprocessed
            await drv.step()
            walls.append([json.loads(m.data).get("wall") for m in pic.drain(10)])
        return walls

    try:
        walls = asyncio.run(go())
    finally:
        store.close()
    assert walls == [[1000.0], [1001.0]]
