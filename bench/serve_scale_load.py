"""Load on the scaled deployment: 2 gateways, 2 sector engines, 1 API over JetStream + PostgreSQL (prints JSON).

The synthetic block of ``bench/serve_load.py`` (targets over a grid of 500 acoustic nodes and four radars around
56.6° N 27.8° E, so the seam of the shipped sectors at 56.55° N runs through it) is played again and again,
time-shifted to the wall clock, one signed message per sensor per second, the sensors spread over the two
gateways. Measured: reports acknowledged per second (each stored in PostgreSQL and PubAck'ed by JetStream before
the reply), resident memory of every process (growth after the first minute), ingest-to-picture latency (the
engines' histogram, and a WebSocket client on the API: how long after a delta's emit time it arrives), and,
separately, the rate at which one engine saturates (the same reports fed to one in-process engine as fast as it
takes them).

    python bench/serve_scale_load.py [--rate 10000] [--duration 600] [--base-port 18530]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from serve_load import _block, _histogram, _rss_mb  # noqa: E402


def engine_saturation(sites: list[Any], block: dict[int, dict[str, list[dict[str, Any]]]], seconds: int) -> float:
    """Reports per second one engine takes (feed + advance each second) when fed as fast as it can."""
    from borderwatch.engine import Engine, RunConfig
    from borderwatch.response.effectors import load_layout
    from borderwatch.theatre import DEFAULT_THEATRE, load_theatre

    eng = Engine(load_theatre(DEFAULT_THEATRE), sites, units=load_layout(None),
                 config=RunConfig(auto_approve=False), rng=np.random.default_rng(0))  # fmt: skip
    t_base = 1.8e9
    n = 0
    w0 = time.perf_counter()
    for k in range(seconds):
        reps = []
        for rs in block.get(k % len(block), {}).values():
            for d in rs:
                r, _ = eng.check({**d, "t": t_base + k + d["t"]})
                if r is not None:
                    reps.append(r)
        reps.sort(key=lambda r: r.t)
        eng.feed(reps)
        eng.advance(t_base + k + 1.0)
        n += len(reps)
    return n / (time.perf_counter() - w0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=float, default=10_000.0)
    ap.add_argument("--duration", type=float, default=600.0)
    ap.add_argument("--block-s", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--base-port", type=int, default=18530)
    ap.add_argument("--pg", default=os.environ.get("BORDERWATCH_PG", "postgresql://root@127.0.0.1:5432"))
    ap.add_argument("--bus", default="nats://127.0.0.1:4222")
    ap.add_argument("--saturation-s", type=int, default=20)
    a = ap.parse_args(argv)

    from sqlalchemy import create_engine, text

    from borderwatch.scale.launch import plan, start
    from borderwatch.sensors.reports import write_sensors
    from borderwatch.store import open_store, sensor_keys, users
    from borderwatch.store.signing import signed_envelope

    d = Path(tempfile.mkdtemp(prefix="bw-scale-load-"))
    sites, block = _block(a.rate, a.block_s, a.seed)
    write_sensors(sites, d / "sensors.json")
    name = f"bw_scale_load_{secrets.token_hex(3)}"
    admin = create_engine(a.pg.replace("postgresql://", "postgresql+psycopg://") + "/postgres")
    admin = admin.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    url_db = f"{a.pg}/{name}"
    os.environ["BORDERWATCH_AUDIT_KEY"] = str(d / "audit-key")
    st = open_store(url_db)
    keys = {s.id: sensor_keys.add_sensor(st, s.id) for s in sites}
    token = users.issue_token(st, users.add_user(st, "vera", "long-enough-pw", "viewer"), 24 * 3600.0)
    st.close()
    ns = "load" + secrets.token_hex(3)
    dep = plan(store=url_db, bus=a.bus, sensors=d / "sensors.json", work=d, namespace=ns, base_port=a.base_port,
               audit_key=d / "audit-key")  # fmt: skip
    res: dict[str, Any] = {"bench": "serve_scale_load", "target_rate": a.rate}
    try:
        start(dep)
        api = dep.by_role("api")[0]
        gws = dep.by_role("gateway")
        lags: list[float] = []
        stop = threading.Event()

        def ws_client() -> None:
            import websockets.sync.client

            try:
                with websockets.sync.client.connect(f"ws://127.0.0.1:{api.port}/api/v1/picture?token={token}",
                                                    max_size=None) as ws:  # fmt: skip
                    while not stop.is_set():
                        try:
                            msg = json.loads(ws.recv(timeout=2))
                        except TimeoutError:
                            continue
                        if msg.get("type") == "delta" and isinstance(msg.get("t"), int | float):
                            lags.append(time.time() - float(msg["t"]))
            except Exception as exc:
                print(f"websocket client: {exc}", file=sys.stderr)

        th = threading.Thread(target=ws_client, daemon=True)
        th.start()
        clients = [httpx.Client(base_url=g.url, timeout=30.0) for g in gws]
        pool = ThreadPoolExecutor(max_workers=2 * len(gws))
        seq: dict[str, int] = defaultdict(int)
        rss: dict[str, list[tuple[float, float]]] = {p.name: [] for p in dep.procs}
        acked = sent = rejected = 0
        per_s: list[int] = []
        w0 = time.time()
        k = 0
        next_rss = 0.0

        def post(ci: int, body: str) -> tuple[int, int]:
            try:
                out = clients[ci].post("/api/v1/ingest", content=body).json()
                return int(out.get("accepted", 0)), int(out.get("rejected_reports", 0))
            except (httpx.HTTPError, ValueError) as exc:
                print(f"post: {exc}", file=sys.stderr)
                return 0, 0

        while time.time() - w0 < a.duration:
            sec = int(np.floor(time.time()))
            msgs: list[list[str]] = [[] for _ in gws]
            n = 0
            for j, (s, reps) in enumerate(sorted(block[k % a.block_s].items())):
                rr = [{**r, "t": sec + r["t"] - 1.0} for r in reps]
                seq[s] += 1
                msgs[j % len(gws)].append(json.dumps(signed_envelope(s, seq[s], time.time(), rr, keys[s])))
                n += len(rr)
            futs = [pool.submit(post, ci, "\n".join(m[i : i + 128])) for ci, m in enumerate(msgs)
                    for i in range(0, len(m), 128)]  # fmt: skip
            got = 0
            for f in futs:
                g, r = f.result()
                got += g
                rejected += r
            acked += got
            sent += n
            per_s.append(got)
            k += 1
            el = time.time() - w0
            if el >= next_rss:
                for p in dep.procs:
                    rss[p.name].append((round(el, 1), round(_rss_mb(p.pid), 1)))
                next_rss += 10.0
            wait = sec + 1 - time.time()
            if wait > 0:
                time.sleep(wait)
        wall = time.time() - w0
        eng_metrics = {p.name: httpx.get(p.url + "/metrics", timeout=10).text for p in dep.by_role("engine")}
        stop.set()
        th.join(5)
        growth = {}
        for nm, series in rss.items():
            after = [m for t, m in series if t >= 60.0]
            growth[nm] = round(after[-1] / after[0] - 1.0, 4) if len(after) > 1 else None
        res |= {
            "duration_s": round(wall, 1),
            "reports_sent": sent,
            "reports_acknowledged": acked,
            "reports_rejected": rejected,
            "acknowledged_per_s": round(acked / wall, 1),
            "acknowledged_per_s_p10": float(np.percentile(per_s, 10)) if per_s else None,
            "rss_mb": rss,
            "rss_growth_after_first_minute": growth,
            "engine_latency_s": {
                nm: _histogram(t, "borderwatch_ingest_to_picture_seconds") for nm, t in eng_metrics.items()
            },
            "engine_step_s": {nm: _histogram(t, "borderwatch_engine_step_seconds") for nm, t in eng_metrics.items()},
            "ws_lag_beyond_emit_s": {
                "n": len(lags),
                "p50": round(float(np.percentile(lags, 50)), 4) if lags else None,
                "p99": round(float(np.percentile(lags, 99)), 4) if lags else None,
            },
        }
    finally:
        dep.stop()
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    if a.saturation_s > 0:
        res["one_engine_saturates_at_reports_per_s"] = round(engine_saturation(sites, block, a.saturation_s), 0)
        res["load_average_1min"] = os.getloadavg()[0]
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
