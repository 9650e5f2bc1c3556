"""Durability of `borderwatch serve`: kill -9 the server mid-replay, restart, count what was lost (prints JSON).

A short scenario is simulated; its sensors are enrolled; the bench plays the reports (time-shifted to the wall
clock, 1× real time) into the server's signed HTTP ingest like real sensors, one message per sensor per second,
and remembers every report the server acknowledged. ``--kills`` times, at a random moment, the server gets
SIGKILL and is restarted on the same store; unacknowledged messages are re-sent (with a new sequence number, as
a sensor would). After each restart it measures how long until the picture has tracks again. At the end every
acknowledged report must be in the store.

    python bench/serve_durability.py [--kills 5] [--scenario tests/data/night-raid-short.yaml] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
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


def _start(d: Path, port: int) -> tuple[subprocess.Popen[bytes], float]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    cmd = [sys.executable, "-m", "borderwatch.cli", "serve", "--store", str(d / "bw.db"), "--sensors",
           str(d / "sensors.json"), "--port", str(port), "--max-skew", "60"]  # fmt: skip
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=(d / "serve.log").open("ab"), stderr=subprocess.STDOUT)
    while time.monotonic() - t0 < 180:
        if proc.poll() is not None:
            raise SystemExit((d / "serve.log").read_text()[-3000:])
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc, time.monotonic() - t0
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("serve did not come up")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--scenario", default=str(ROOT / "tests" / "data" / "night-raid-short.yaml"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--between-s", type=float, default=25.0, help="mean wall seconds between kills")
    a = ap.parse_args(argv)
    rng = np.random.default_rng(a.seed)

    from borderwatch.jobs import simulate_job
    from borderwatch.store import open_store, sensor_keys, users
    from borderwatch.store import reports as store_reports

    d = Path(tempfile.mkdtemp(prefix="bw-durability-"))
    simulate_job(a.scenario, d)
    reports = [json.loads(x) for x in (d / "reports.jsonl").read_text().splitlines() if x.strip()]
    ids = [s["id"] for s in json.loads((d / "sensors.json").read_text())["sensors"]]
    st = open_store(d / "bw.db")
    keys = {i: sensor_keys.add_sensor(st, i) for i in ids}
    token = users.issue_token(st, users.add_user(st, "vera", "long-enough-pw", "viewer"), 24 * 3600.0)
    st.close()
    # skip the quiet start (drones still far out): begin 30 s before the first radar plot of a real target
    with np.load(d / "report_origins.npz") as z:
        tgt = z["target"]
    t_first = min(r["t"] for k, r in enumerate(reports) if r["type"] == "radar" and tgt[k] >= 0)
    reports = [r for r in reports if r["t"] >= t_first - 30.0]
    shift = time.time() + 2.0 - reports[0]["t"]
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    hdr = {"authorization": f"Bearer {token}"}
    proc, up_s = _start(d, port)
    kill_at = [time.monotonic() + float(rng.uniform(0.5, 1.5)) * a.between_s]
    seq: dict[str, int] = defaultdict(int)
    acked: list[tuple[str, int, int]] = []  # sensor, seq, reports in the message
    pending: list[tuple[str, list[dict[str, Any]]]] = []
    kills: list[dict[str, Any]] = []
    i, n = 0, len(reports)
    sent_reports = 0
    while i < n or pending:
        if len(kills) < a.kills and time.monotonic() >= kill_at[-1]:
            try:
                before = len(httpx.get(url + "/api/v1/tracks", headers=hdr, timeout=5).json()["items"])
            except (httpx.HTTPError, ValueError, KeyError):
                before = -1
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            t_kill = time.monotonic()
            proc, up_s = _start(d, port)
            t_up = time.monotonic()
            resume = None
            while time.monotonic() - t_up < 60:
                try:
                    items = httpx.get(url + "/api/v1/tracks", headers=hdr, timeout=5).json()["items"]
                except (httpx.HTTPError, ValueError, KeyError):
                    items = []
                if items:
                    resume = time.monotonic() - t_up
                    break
                # keep the sensors talking while we wait
                if i < n:
                    hi = reports[i]["t"] + 1.0
                    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
                    while i < n and reports[i]["t"] < hi:
                        by[reports[i]["sensor"]].append({**reports[i], "t": reports[i]["t"] + shift})
                        i += 1
                    pending += list(by.items())
                    sent_reports = _send(url, pending, seq, keys, acked, sent_reports)
                time.sleep(max(0.0, (reports[min(i, n - 1)]["t"] + shift) - time.time()))
            kills.append(
                {
                    "tracks_before_kill": before,
                    "restart_s": round(t_up - t_kill, 2),
                    "startup_s": round(up_s, 2),
                    "tracks_back_after_s": None if resume is None else round(resume, 2),
                }
            )
            kill_at.append(time.monotonic() + float(rng.uniform(0.5, 1.5)) * a.between_s)
            continue
        if i < n:
            hi = reports[i]["t"] + 1.0
            by = defaultdict(list)
            while i < n and reports[i]["t"] < hi:
                by[reports[i]["sensor"]].append({**reports[i], "t": reports[i]["t"] + shift})
                i += 1
            pending += list(by.items())
            wait = hi + shift - time.time()
            if wait > 0:
                time.sleep(wait)
        sent_reports = _send(url, pending, seq, keys, acked, sent_reports)
        if i >= n and pending:
            time.sleep(0.5)
        if len(kills) >= a.kills and (i >= n or time.monotonic() >= kill_at[-1]):
            break  # some more reports after the last restart, then stop
    proc.terminate()
    proc.wait(60)
    st = open_store(d / "bw.db")
    try:
        stored: dict[tuple[str, int], int] = {}
        after = 0
        while True:
            rows = store_reports.reports_since(st, after, 50_000)
            if not rows:
                break
            for rid, row in rows:
                stored[(row.sensor, row.seq)] = stored.get((row.sensor, row.seq), 0) + 1
                after = rid
    finally:
        st.close()
    lost = sum(k for s, q, k in acked if stored.get((s, q), 0) < k)
    res = {
        "bench": "serve_durability",
        "scenario": Path(a.scenario).name,
        "kills": kills,
        "messages_acknowledged": len(acked),
        "reports_acknowledged": sum(k for _, _, k in acked),
        "acknowledged_reports_lost": lost,
        "max_tracks_back_after_s": max((k["tracks_back_after_s"] or 1e9) for k in kills) if kills else None,
        "reports_sent": sent_reports,
    }
    print(json.dumps(res))
    return 0 if lost == 0 else 1


def _send(
    url: str,
    pending: list[tuple[str, list[dict[str, Any]]]],
    seq: dict[str, int],
    keys: dict[str, bytes],
    acked: list[tuple[str, int, int]],
    sent: int,
) -> int:
    """POST the pending messages; keep those that got no acknowledgement (server down) for the next try."""
    from borderwatch.store.signing import signed_envelope

    if not pending:
        return sent
    msgs = []
    for s, reps in pending:
        seq[s] += 1
        msgs.append((s, seq[s], reps, json.dumps(signed_envelope(s, seq[s], time.time(), reps, keys[s]))))
    try:
        r = httpx.post(url + "/api/v1/ingest", content="\n".join(m[3] for m in msgs), timeout=30)
        out = r.json()
    except (httpx.HTTPError, ValueError):
        return sent  # the server is down: resend later with new sequence numbers
    results = out.get("results", [])
    keep = []
    for m, res in zip(msgs, results, strict=False):
        if int(res.get("accepted", 0)) > 0:
            acked.append((m[0], m[1], int(res["accepted"])))
        elif res.get("reason") == "store_unavailable":
            keep.append((m[0], m[2]))
    pending[:] = keep
    return sent + sum(len(m[2]) for m in msgs)


if __name__ == "__main__":
    raise SystemExit(main())
