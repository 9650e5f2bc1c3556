"""Load on the embedded `borderwatch serve`: signed reports at a target rate for minutes (prints JSON).

A block of synthetic reports (the tracker_scale world: targets over a grid of acoustic nodes and four 3-D radars,
scaled to the target rate) is generated once and played again and again, time-shifted to the wall clock, as
one signed message per sensor per second, POSTed in batches. Measured: reports acknowledged per second, the
server's resident memory over time (growth after the first minute), and the ingest-to-picture latency — from the
server's histogram (`borderwatch_ingest_to_picture_seconds`) and from a WebSocket client: how long after an emit
time its picture delta arrives (the part beyond the reports' own age).

    python bench/serve_load.py [--rate 5000] [--duration 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _block(rate: float, seconds: int, seed: int) -> tuple[list[Any], dict[int, dict[str, list[dict[str, Any]]]]]:
    """Sites and reports per second (offset within the block) per sensor, about ``rate`` reports/s."""
    from borderwatch.geo.frames import LocalFrame
    from borderwatch.sensors.reports import report_to_dict
    from borderwatch.tracking.testing import acoustic_bearings, make_truth, radar_scans, sites_from_enu, table_for

    rng = np.random.default_rng(seed)
    frame = LocalFrame(56.6, 27.8, 100.0)
    nodes = [
        (f"a{i:03d}", "acoustic", -24000.0 + 2000.0 * (i % 25), -19000.0 + 2000.0 * (i // 25), 0.0) for i in range(500)
    ]
    corners = [(-24000.0, -19000.0), (24000.0, -19000.0), (-24000.0, 19000.0), (24000.0, 19000.0)]
    radars = [(f"r{i}", "radar", e, n, 20.0) for i, (e, n) in enumerate(corners)]
    sites = sites_from_enu(frame, nodes + radars)
    tab = table_for(frame, sites)
    n_targets = max(10, int(rate / 7.8))  # tracker_scale: ~7.8 reports/s per target
    truth = make_truth(rng, n_targets=n_targets, duration_s=float(seconds), dt=0.1, box_m=(-22e3, 22e3, -17e3, 17e3),
                       up_m=(100, 800))  # fmt: skip
    reps = acoustic_bearings(truth, tab, [s[0] for s in nodes], rng, period_s=1.0, sigma_az_deg=2.0, sigma_el_deg=3.0,
                             range_m=3000.0)  # fmt: skip
    for r in radars:
        for sc in radar_scans(truth, tab, r[0], rng, period_s=1.0, pd=0.9, clutter_per_scan=10.0, max_range_m=40e3):
            reps.extend(sc)
    by: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in reps:
        k = int(r.t)
        if 0 <= k < seconds:
            d = report_to_dict(r)
            d["t"] = r.t - k  # offset within the second
            by[k][r.sensor].append(d)
    return sites, by


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=float, default=5000.0)
    ap.add_argument("--duration", type=float, default=300.0)
    ap.add_argument("--block-s", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)

    from borderwatch.sensors.reports import write_sensors
    from borderwatch.store import open_store, sensor_keys, users
    from borderwatch.store.signing import signed_envelope

    d = Path(tempfile.mkdtemp(prefix="bw-load-"))
    sites, block = _block(a.rate, a.block_s, a.seed)
    # the synthetic sites sit at the theatre's reference point; any theatre will do for ingest and tracking
    write_sensors(sites, d / "sensors.json")
    st = open_store(d / "bw.db")
    keys = {s.id: sensor_keys.add_sensor(st, s.id) for s in sites}
    token = users.issue_token(st, users.add_user(st, "vera", "long-enough-pw", "viewer"), 24 * 3600.0)
    st.close()
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    cmd = [sys.executable, "-m", "borderwatch.cli", "serve", "--store", str(d / "bw.db"), "--sensors",
           str(d / "sensors.json"), "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=(d / "serve.log").open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    t_up = time.monotonic()
    while True:
        if proc.poll() is not None:
            raise SystemExit((d / "serve.log").read_text()[-3000:])
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
        if time.monotonic() - t_up > 180:
            proc.kill()
            raise SystemExit("serve did not come up")

    lags: list[float] = []
    stop = threading.Event()

    def ws_client() -> None:
        import websockets.sync.client

        try:
            with websockets.sync.client.connect(f"ws://127.0.0.1:{port}/api/v1/picture?token={token}",
                                                max_size=None) as ws:  # fmt: skip
                while not stop.is_set():
                    try:
                        msg = json.loads(ws.recv(timeout=2))
                    except TimeoutError:
                        continue
                    now = time.time()
                    if msg.get("type") == "delta" or msg.get("type") == "deltas":
                        t = msg.get("t")
                        if isinstance(t, (int, float)):
                            lags.append(now - float(t))
        except Exception as exc:  # the bench reports what it could measure
            print(f"websocket client: {exc}", file=sys.stderr)

    th = threading.Thread(target=ws_client, daemon=True)
    th.start()
    seq: dict[str, int] = defaultdict(int)
    client = httpx.Client(base_url=url, timeout=30.0)
    rss: list[tuple[float, float]] = []
    acked = 0
    sent = 0
    rejected = 0
    per_s: list[int] = []
    w0 = time.time()
    k = 0
    next_rss = 0.0
    while time.time() - w0 < a.duration:
        sec = int(np.floor(time.time()))
        msgs = []
        n = 0
        for s, reps in block[k % a.block_s].items():
            rr = [{**r, "t": sec + r["t"] - 1.0} for r in reps]
            seq[s] += 1
            msgs.append(json.dumps(signed_envelope(s, seq[s], time.time(), rr, keys[s])))
            n += len(rr)
        got = 0
        for i in range(0, len(msgs), 128):
            try:
                out = client.post("/api/v1/ingest", content="\n".join(msgs[i : i + 128])).json()
                got += int(out.get("accepted", 0))
                rejected += int(out.get("rejected_reports", 0))
            except (httpx.HTTPError, ValueError) as exc:
                print(f"post: {exc}", file=sys.stderr)
        acked += got
        sent += n
        per_s.append(got)
        k += 1
        el = time.time() - w0
        if el >= next_rss:
            rss.append((round(el, 1), round(_rss_mb(proc.pid), 1)))
            next_rss += 10.0
        wait = sec + 1 - time.time()
        if wait > 0:
            time.sleep(wait)
    wall = time.time() - w0
    metrics = httpx.get(url + "/metrics").text
    stop.set()
    th.join(5)
    proc.terminate()
    proc.wait(60)
    hist = _histogram(metrics, "borderwatch_ingest_to_picture_seconds")
    after_1min = [m for t, m in rss if t >= 60.0]
    res = {
        "bench": "serve_load",
        "target_rate": a.rate,
        "duration_s": round(wall, 1),
        "reports_sent": sent,
        "reports_acknowledged": acked,
        "reports_rejected": rejected,
        "acknowledged_per_s": round(acked / wall, 1),
        "acknowledged_per_s_p10": float(np.percentile(per_s, 10)) if per_s else None,
        "rss_mb": rss,
        "rss_growth_after_first_minute": round(after_1min[-1] / after_1min[0] - 1.0, 4)
        if len(after_1min) > 1
        else None,
        "server_latency_s": hist,
        "ws_lag_beyond_emit_s": {
            "n": len(lags),
            "p50": round(float(np.percentile(lags, 50)), 4) if lags else None,
            "p99": round(float(np.percentile(lags, 99)), 4) if lags else None,
        },
    }
    print(json.dumps(res))
    return 0


def _histogram(text: str, name: str) -> dict[str, Any]:
    """p50/p99 (upper bucket bounds) of a Prometheus histogram from /metrics text."""
    buckets = []
    count = 0.0
    for line in text.splitlines():
        if line.startswith(name + "_bucket"):
            le = line.split('le="')[1].split('"')[0]
            buckets.append((float("inf") if le == "+Inf" else float(le), float(line.rsplit(" ", 1)[1])))
        elif line.startswith(name + "_count"):
            count = float(line.rsplit(" ", 1)[1])
    out: dict[str, Any] = {"count": count}
    for q in (0.5, 0.99):
        out[f"p{int(q * 100)}_le"] = next((le for le, c in buckets if count and c >= q * count), None)
    return out


if __name__ == "__main__":
    _ = asyncio  # the server side is asyncio; the bench client is plain threads
    raise SystemExit(main())
