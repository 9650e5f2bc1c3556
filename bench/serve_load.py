"""Load on the embedded `borderwatch serve`: signed reports at a target rate for minutes (prints JSON).

A block of synthetic reports (targets over a grid of acoustic nodes and four 3-D radars, scaled to the target
rate; by default loitering so that the block repeats seamlessly, see ``--world``) is generated once and played
again and again, time-shifted to the wall clock: each sensor sends its reports, signed, as it makes them (at
most ``1/--slots`` s after their time; an acoustic node once a second, a radar as it sweeps), POSTed in
batches. Measured: reports acknowledged per second, the
server's resident memory over time (growth after the first minute), and the ingest-to-picture latency — from the
server's histogram (`borderwatch_ingest_to_picture_seconds`) and from a WebSocket client: how long after the
ingest of the oldest report behind it a picture delta arrives (the part beyond the reports' own age).

    python bench/serve_load.py [--rate 5000] [--duration 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import pickle
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


def _block(
    rate: float, seconds: int, seed: int, world: str = "loiter"
) -> tuple[list[Any], dict[int, dict[str, list[dict[str, Any]]]]]:
    """Sites and reports per second (offset within the block) per sensor, about ``rate`` reports/s.

    ``world``: ``loiter`` — every target circles once per block (the block repeats seamlessly: tracks live on
    through the repeats, as a loitering raid's would); ``wrap`` — the tracker_scale world (straight and turning
    legs), where every target jumps back to its start at each repeat: every track ends and a new one starts
    each block (churn far beyond a real raid's)."""
    from borderwatch.geo.frames import LocalFrame
    from borderwatch.sensors.reports import report_to_dict
    from borderwatch.tracking.testing import (
        acoustic_bearings,
        make_loiter,
        make_truth,
        radar_scans,
        sites_from_enu,
        table_for,
    )

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
    box = (-22e3, 22e3, -17e3, 17e3)
    if world == "wrap":
        truth = make_truth(rng, n_targets=n_targets, duration_s=float(seconds), dt=0.1, box_m=box, up_m=(100, 800))
    else:
        # from 20 s before the block: the first acoustic bearings describe the target up to ~9 s earlier
        truth = make_loiter(rng, n_targets=n_targets, period_s=float(seconds), t0=-20.0, t1=float(seconds) + 1.0,
                            dt=0.1, box_m=box, up_m=(100, 800))  # fmt: skip
    reps = acoustic_bearings(truth, tab, [s[0] for s in nodes], rng, period_s=1.0, sigma_az_deg=2.0, sigma_el_deg=3.0,
                             range_m=3000.0)  # fmt: skip
    for r in radars:
        for sc in radar_scans(truth, tab, r[0], rng, period_s=1.0, pd=0.9, clutter_per_scan=10.0, max_range_m=40e3):
            reps.extend(sc)
    by: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in reps:
        k = int(np.floor(r.t))
        if 0 <= k < seconds:
            d = report_to_dict(r)
            d["t"] = r.t - k  # offset within the second
            by[k][r.sensor].append(d)
    return sites, by


def _slots(
    block: dict[int, dict[str, list[dict[str, Any]]]], mine: set[str], n_slots: int
) -> dict[int, list[list[tuple[str, list[dict[str, Any]]]]]]:
    """Per block second, per slot of ``1/n_slots`` s: the (sensor, reports) messages whose reports fall in it."""
    out: dict[int, list[list[tuple[str, list[dict[str, Any]]]]]] = {}
    for k, per in block.items():
        slots: list[list[tuple[str, list[dict[str, Any]]]]] = [[] for _ in range(n_slots)]
        for s, reps in per.items():
            if s not in mine:
                continue
            by: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for r in reps:
                by[min(n_slots - 1, int(r["t"] * n_slots))].append(r)
            for j, rr in sorted(by.items()):
                slots[j].append((s, rr))
        out[k] = slots
    return out


def _sender(
    url: str,
    block: dict[int, dict[str, list[dict[str, Any]]]],
    sensors: list[str],
    keys: dict[str, bytes],
    block_s: int,
    duration: float,
    w0: float,
    out: Any,
    n_slots: int = 10,
) -> None:
    """Sensors report as they hear: each second is cut in ``n_slots`` slots, and at the end of each slot every
    sensor of ``sensors`` with reports in it sends them, signed, in one message (an acoustic node once a second at
    its own phase, a radar as its beam sweeps); a slot's messages are POSTed in batches. A report is sent at most
    one slot after its time, so the load is spread over the second as real sensors spread it."""
    from borderwatch.store.signing import signed_envelope

    plan = _slots(block, set(sensors), n_slots)
    seq: dict[str, int] = defaultdict(int)
    client = httpx.Client(base_url=url, timeout=30.0)
    acked = sent = rejected = 0
    per_s: list[int] = []
    k = 0
    time.sleep(max(0.0, w0 - time.time()))
    sec = float(np.floor(time.time()))
    while time.time() - w0 < duration:
        got = 0
        for j, slot in enumerate(plan.get(k % block_s, [[] for _ in range(n_slots)])):
            wait = sec + (j + 1) / n_slots - time.time()
            if wait > 0:
                time.sleep(wait)
            msgs = []
            for s, reps in slot:
                rr = [{**r, "t": sec + r["t"]} for r in reps]
                seq[s] += 1
                msgs.append(json.dumps(signed_envelope(s, seq[s], time.time(), rr, keys[s])))
                sent += len(rr)
            for i in range(0, len(msgs), 128):
                try:
                    res = client.post("/api/v1/ingest", content="\n".join(msgs[i : i + 128])).json()
                    got += int(res.get("accepted", 0))
                    rejected += int(res.get("rejected_reports", 0))
                except (httpx.HTTPError, ValueError) as exc:
                    print(f"post: {exc}", file=sys.stderr)
        acked += got
        per_s.append(got)
        k += 1
        sec += 1.0
    out.put((acked, sent, rejected, per_s))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=float, default=5000.0)
    ap.add_argument("--duration", type=float, default=300.0)
    ap.add_argument(
        "--block-s",
        type=int,
        default=None,
        help="seconds of reports played again and again (default: 120 loiter, one lap at 3°/s; 60 wrap)",
    )
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--world", choices=("loiter", "wrap"), default="loiter", help="see _block")
    ap.add_argument("--clients", type=int, default=2, help="sender processes")
    ap.add_argument(
        "--slots",
        type=int,
        default=10,
        help="sends per second (1: every sensor's second of reports at once, a burst each second)",
    )
    ap.add_argument("--track-flush", default="light", choices=("light", "wait", "full"), help="serve --track-flush")
    a = ap.parse_args(argv)
    a.block_s = a.block_s or (120 if a.world == "loiter" else 60)

    from borderwatch.sensors.reports import write_sensors
    from borderwatch.store import open_store, sensor_keys, users

    d = Path(tempfile.mkdtemp(prefix="bw-load-"))
    # the block takes minutes to simulate; it is kept in the temp dir for the next run with the same parameters
    cache = Path(tempfile.gettempdir()) / f"bw-load-block-{a.world}-{a.rate:g}-{a.block_s}-{a.seed}.pkl"
    try:
        sites, block = pickle.loads(cache.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, ValueError):
        sites, block = _block(a.rate, a.block_s, a.seed, a.world)
        block = {k: dict(v) for k, v in block.items()}
        cache.write_bytes(pickle.dumps((sites, block)))
    # the synthetic sites sit at the theatre's reference point; any theatre will do for ingest and tracking
    write_sensors(sites, d / "sensors.json")
    st = open_store(d / "bw.db")
    keys = {s.id: sensor_keys.add_sensor(st, s.id) for s in sites}
    token = users.issue_token(st, users.add_user(st, "vera", "long-enough-pw", "viewer"), 24 * 3600.0)
    st.close()
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    cmd = [sys.executable, "-m", "borderwatch.cli", "serve", "--store", str(d / "bw.db"), "--sensors",
           str(d / "sensors.json"), "--port", str(port), "--track-flush", a.track_flush]  # fmt: skip
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
    lag_at: list[float] = []
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
                    if msg.get("type") == "delta":
                        # `wall`: the ingest wall time of the oldest report the engine step took (docs/formats.md)
                        w = msg.get("wall")
                        if isinstance(w, (int, float)):
                            lags.append(now - float(w))
                            lag_at.append(now)
        except Exception as exc:  # the bench reports what it could measure
            print(f"websocket client: {exc}", file=sys.stderr)

    th = threading.Thread(target=ws_client, daemon=True)
    th.start()
    # senders: `--clients` processes, each signing and posting the messages of its share of the sensors (one
    # Python thread could not sign and post 5,000 reports/s); the main process samples memory meanwhile
    names = sorted({s for b in block.values() for s in b})
    shares = [names[i :: a.clients] for i in range(a.clients)]
    w0 = time.time() + 0.5
    ctx = mp.get_context("fork")
    q: Any = ctx.Queue()
    procs = [
        ctx.Process(target=_sender, args=(url, block, sh, keys, a.block_s, a.duration, w0, q, a.slots)) for sh in shares
    ]
    for p in procs:
        p.start()
    rss: list[tuple[float, float]] = []
    next_rss = 0.0
    while any(p.is_alive() for p in procs):
        el = time.time() - w0
        if el >= next_rss:
            rss.append((round(el, 1), round(_rss_mb(proc.pid), 1)))
            next_rss += 10.0
        time.sleep(0.5)
    outs = [q.get(timeout=30) for _ in procs]
    acked = sum(o[0] for o in outs)
    sent = sum(o[1] for o in outs)
    rejected = sum(o[2] for o in outs)
    n_s = min(len(o[3]) for o in outs)
    per_s = [sum(o[3][i] for o in outs) for i in range(n_s)]
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
        "world": a.world,
        "sender_processes": a.clients,
        "sends_per_s": a.slots,
        "track_flush": a.track_flush,
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
        "engine_step_s": _histogram(metrics, "borderwatch_engine_step_seconds"),
        # receive time at the WebSocket client minus the ingest time of the oldest report behind the delta: the
        # ingest-to-picture latency beyond the reports' own age
        "ws_ingest_to_picture_s": {
            "n": len(lags),
            "p50": round(float(np.percentile(lags, 50)), 4) if lags else None,
            "p99": round(float(np.percentile(lags, 99)), 4) if lags else None,
            # p99 per 30 s of the run: where the latency comes from (a warm-up, a stall, a steady state)
            "p99_by_30s": _by_window(lag_at, lags, w0, 30.0),
        },
    }
    print(json.dumps(res))
    return 0


def _by_window(at: list[float], vals: list[float], w0: float, win: float) -> list[list[float]]:
    """[[window start s, p99], ...] of ``vals`` by the time they were taken."""
    if not vals:
        return []
    k = ((np.asarray(at[: len(vals)]) - w0) // win).astype(int)
    v = np.asarray(vals[: k.size])
    return [[float(i * win), round(float(np.percentile(v[k == i], 99)), 3)] for i in np.unique(k)]


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
