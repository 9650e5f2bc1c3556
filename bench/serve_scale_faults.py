"""Faults in the scaled deployment mid-replay (prints JSON): kill -9 gateways, engines and API servers, restart NATS.

A private NATS server (its own port and store folder, so that restarting it touches nobody else) and a fresh
PostgreSQL database; 2 gateways, 2 sector engines, 2 API servers. A window of the night raid is replayed on a
shared replay clock; the replaying "sensors" POST to one gateway and, when it does not answer, to the other
(a sensor with two gateway addresses); they count what was acknowledged. A WebSocket client follows the picture
on one API server and, when it drops, reconnects to the other with ``?epoch=&after=`` (resume).

Faults: ``--kills`` times each, a ``kill -9`` of a gateway, of an engine and of an API server (each restarted at
once, as a supervisor would), and one restart of the NATS server. Measured: acknowledged reports missing from
the store or from the JetStream stream afterwards (must be 0), the time from an engine's kill until the API shows
a new snapshot of its sector (target ≤ 10 s), and the WebSocket reconnections that resumed with deltas vs
resynchronised with a snapshot.

    python bench/serve_scale_faults.py [--raid DIR] [--kills 5] [--speed 4] [--window 1600,2200]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _nats(port: int, store: Path) -> subprocess.Popen[bytes]:
    exe = shutil.which("nats-server") or "/usr/sbin/nats-server"
    p = subprocess.Popen([exe, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    for _ in range(100):
        try:
            import socket

            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return p
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nats-server did not start")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--raid", type=Path, default=None)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--speed", type=float, default=4.0)
    ap.add_argument("--window", default="1600,2200", help="scenario seconds of the raid to replay")
    ap.add_argument("--base-port", type=int, default=18560)
    ap.add_argument("--nats-port", type=int, default=18522)
    ap.add_argument("--pg", default=os.environ.get("BORDERWATCH_PG", "postgresql://root@127.0.0.1:5432"))
    a = ap.parse_args(argv)

    from sqlalchemy import create_engine, text

    from borderwatch.scale.harness import load_reports
    from borderwatch.scale.launch import plan, start
    from borderwatch.sensors.reports import read_sensors
    from borderwatch.server.clock import ReplayClock
    from borderwatch.store import open_store, sensor_keys, users
    from borderwatch.store.signing import signed_envelope

    raid = a.raid
    if raid is None:
        from borderwatch.scale.harness import simulate_raid

        raid = simulate_raid(Path(tempfile.mkdtemp(prefix="bw-raid-")), duration_s=float(a.window.split(",")[1]))
    d = Path(tempfile.mkdtemp(prefix="bw-scale-faults-"))
    nats_dir = d / "nats"
    nats = _nats(a.nats_port, nats_dir)
    bus = f"nats://127.0.0.1:{a.nats_port}"
    name = f"bw_scale_faults_{secrets.token_hex(3)}"
    admin = create_engine(a.pg.replace("postgresql://", "postgresql+psycopg://") + "/postgres")
    admin = admin.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    db = f"{a.pg}/{name}"
    os.environ["BORDERWATCH_AUDIT_KEY"] = str(d / "audit-key")
    st = open_store(db)
    sites, _ = read_sensors(raid / "sensors.json")
    keys = {s.id: sensor_keys.add_sensor(st, s.id) for s in sites}
    token = users.issue_token(st, users.add_user(st, "vera", "long-enough-pw", "viewer"), 24 * 3600.0)
    st.close()
    reports = load_reports(raid / "reports.jsonl")
    t_first = float(reports[0]["t"])
    w_lo, w_hi = (float(x) for x in a.window.split(","))
    reports = [r for r in reports if t_first + w_lo <= float(r["t"]) < t_first + w_hi]
    t0 = float(reports[0]["t"])
    w0 = time.time() + 90.0  # time for the processes to start
    clock = ReplayClock(t0 - 2.0, speed=a.speed, wall=time.time)
    clock._w0 = w0
    dep = plan(store=db, bus=bus, sensors=raid / "sensors.json", work=d, apis=2, base_port=a.base_port,
               replay_clock=f"{clock.t0},{w0},{a.speed}", audit_key=d / "audit-key")  # fmt: skip
    out: dict[str, Any] = {"bench": "serve_scale_faults", "speed": a.speed, "window_s": [w_lo, w_hi]}
    acked_pairs: set[tuple[str, int]] = set()
    acked_reports = 0
    post_failures = 0
    ws_events: list[dict[str, Any]] = []
    stop = threading.Event()
    try:
        start(dep)
        gws, engines, apis = dep.by_role("gateway"), dep.by_role("engine"), dep.by_role("api")

        def player() -> None:
            nonlocal acked_reports, post_failures
            from borderwatch.scale.harness import bins

            seq: dict[str, int] = {}
            for k, (hi, by) in enumerate(bins(reports, t0, float(reports[-1]["t"]) + 1.0)):
                wait = (hi - clock()) / a.speed
                if wait > 0:
                    time.sleep(wait)
                for j, (s, reps) in enumerate(sorted(by.items())):
                    if s not in keys:
                        continue
                    seq[s] = seq.get(s, 0) + 1
                    body = json.dumps(signed_envelope(s, seq[s], clock(), reps, keys[s]))
                    for attempt in range(2 * len(gws)):  # this gateway, else the other, a few times
                        g = gws[(j + k + attempt) % len(gws)]
                        try:
                            r = httpx.post(g.url + "/api/v1/ingest", content=body, timeout=15.0).json()
                        except (httpx.HTTPError, ValueError):
                            post_failures += 1
                            time.sleep(0.2)
                            continue
                        if int(r.get("accepted", 0)) > 0:
                            acked_pairs.add((s, seq[s]))
                            acked_reports += int(r["accepted"])
                        break
            stop.set()

        def ws_follower() -> None:
            import websockets.sync.client

            epoch, last, i = None, 0, 0
            while not stop.is_set():
                api = apis[i % len(apis)]
                q = f"token={token}" + (f"&epoch={epoch}&after={last}" if epoch else "")
                try:
                    with websockets.sync.client.connect(f"ws://127.0.0.1:{api.port}/api/v1/picture?{q}",
                                                        max_size=None, open_timeout=5) as ws:  # fmt: skip
                        first = True
                        while not stop.is_set():
                            try:
                                msg = json.loads(ws.recv(timeout=2))
                            except TimeoutError:
                                continue
                            if first and epoch is not None:
                                ws_events.append({"api": api.name, "resumed": msg.get("type") == "delta",
                                                  "after": last, "first_seq": msg.get("seq")})  # fmt: skip
                            first = False
                            epoch = msg.get("epoch", epoch)
                            last = int(msg.get("seq", last))
                except Exception:
                    time.sleep(0.3)
                i += 1

        threads = [threading.Thread(target=player, daemon=True), threading.Thread(target=ws_follower, daemon=True)]
        for th in threads:
            th.start()
        while time.time() < w0 + 5:
            time.sleep(0.5)
        pickups: list[float | None] = []
        kills: list[dict[str, Any]] = []

        def kill_restart(p: Any) -> float:
            os.kill(p.pid, signal.SIGKILL)
            p.popen.wait(10)
            t_kill = time.time()
            p.start(dep.env)
            return t_kill

        def sector_pickup(sector: str, t_kill: float, timeout: float = 60.0) -> float | None:
            while time.time() - t_kill < timeout:
                for api in apis:
                    try:
                        snap = httpx.get(api.url + "/api/v1/picture", headers={"Authorization": f"Bearer {token}"},
                                         timeout=2).json()  # fmt: skip
                        wall = ((snap.get("picture") or {}).get("sectors") or {}).get(sector, {}).get("wall")
                        if isinstance(wall, int | float) and wall > t_kill:
                            return time.time() - t_kill
                    except (httpx.HTTPError, ValueError):
                        pass
                time.sleep(0.2)
            return None

        for i in range(a.kills):
            if stop.is_set():
                break
            g = gws[i % len(gws)]
            kills.append({"what": g.name, "t": kill_restart(g)})
            time.sleep(2.0)
            e = engines[i % len(engines)]
            t_kill = kill_restart(e)
            pk = sector_pickup(e.name.removeprefix("engine-"), t_kill)
            pickups.append(pk)
            kills.append({"what": e.name, "t": t_kill, "pickup_s": pk})
            api = apis[i % len(apis)]
            kills.append({"what": api.name, "t": kill_restart(api)})
            time.sleep(2.0)
            if i == a.kills // 2:  # the NATS server once, mid-way
                nats.send_signal(signal.SIGTERM)
                nats.wait(20)
                t_n = time.time()
                nats = _nats(a.nats_port, nats_dir)
                kills.append({"what": "nats-server", "t": t_n, "down_s": round(time.time() - t_n, 2)})
        stop.wait(timeout=max(0.0, (float(reports[-1]["t"]) - clock()) / a.speed + 30.0))
        stop.set()
        for th in threads:
            th.join(20)
        # what was acknowledged: in the store, and in the stream
        with create_engine(db.replace("postgresql://", "postgresql+psycopg://")).connect() as c:
            stored = {(str(s), int(q)) for s, q in c.execute(text("SELECT DISTINCT sensor, seq FROM reports"))}
        in_stream = _stream_pairs(bus)
        out |= {
            "reports_acknowledged": acked_reports,
            "messages_acknowledged": len(acked_pairs),
            "post_failures_retried": post_failures,
            "acknowledged_missing_in_store": len(acked_pairs - stored),
            "acknowledged_missing_in_stream": len(acked_pairs - in_stream),
            "engine_pickup_s": pickups,
            "engine_pickup_max_s": max((p for p in pickups if p is not None), default=None),
            "engine_pickups_over_10s": sum(1 for p in pickups if p is None or p > 10.0),
            "ws_reconnects": len(ws_events),
            "ws_resumed_with_deltas": sum(1 for e in ws_events if e["resumed"]),
            "ws_resynced_with_snapshot": sum(1 for e in ws_events if not e["resumed"]),
            "faults": [
                {k: (round(v, 2) if isinstance(v, float) else v) for k, v in f.items() if k != "t"} for f in kills
            ],
            "restarts": {p.name: p.starts - 1 for p in dep.procs},
            "load_average_1min": os.getloadavg()[0],
        }
    finally:
        stop.set()
        dep.stop()
        nats.send_signal(signal.SIGTERM)
        nats.wait(20)
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    print(json.dumps(out))
    return 0


def _r(v: Any) -> Any:
    return round(v, 2) if isinstance(v, float) else v


def _stream_pairs(bus: str) -> set[tuple[str, int]]:
    """(sensor, seq) of every report message in the REPORTS stream."""
    import asyncio

    async def go() -> set[tuple[str, int]]:
        import nats

        nc = await nats.connect(bus)
        js = nc.jetstream()
        info = await js.stream_info("BW_REPORTS")
        out: set[tuple[str, int]] = set()
        sub = await js.pull_subscribe("reports.>", stream="BW_REPORTS")
        seen = 0
        while seen < info.state.messages:
            try:
                msgs = await sub.fetch(500, timeout=2)
            except Exception:
                break
            for m in msgs:
                seen += 1
                p = json.loads(m.data)
                out.add((str(p["sensor"]), int(p["seq"])))
                await m.ack()
        await nc.close()
        return out

    return asyncio.run(go())


if __name__ == "__main__":
    _ = np
    raise SystemExit(main())
