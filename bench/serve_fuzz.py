"""Fuzzed ingest through the real app: ≥ 100,000 messages, no crash, every bad one rejected with a counted reason.

The app runs in-process (FastAPI TestClient over ASGI) with the real engine, on a real SQLite store in a
temporary folder. Messages are drawn (explicit numpy Generator, fixed seed) from these kinds:

* ``valid``: correctly signed, fresh sequence number, good reports → must be accepted;
* ``bad_signature``, ``unknown_sensor``, ``revoked_sensor``, ``replayed_seq``, ``send_time_skew``: the message
  must be rejected with exactly that reason;
* ``malformed``: not JSON, truncated JSON, NaN/Infinity tokens, wrong types, huge numbers, huge strings and
  arrays, deep nesting, missing/extra fields → reason ``malformed``;
* ``bad_report``: a correctly signed message whose reports have wrong types, out-of-range or non-finite
  values, 1e308 and ±huge numbers, huge strings or arrays, or another sensor's id → that report rejected
  (``bad_report`` / ``sensor_mismatch``), the message's other reports kept.

10 % of the messages go over the ingest WebSocket, the rest as JSON-lines POSTs of ``--batch`` lines.
Prints one JSON object: counts by kind and by returned reason, mismatches (a message whose outcome is not the
expected one, with examples), 5xx replies, the service's own rejection counters (must equal the replies'),
engine-loop errors, and throughput.

    .venv/bin/python bench/serve_fuzz.py [--messages 100000] [--batch 200] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

SENSORS = [
    {"id": "ac-1", "type": "acoustic", "lat": 56.80, "lon": 27.70, "alt_m": 150.0, "height_agl_m": 3.0},
    {"id": "ac-2", "type": "acoustic", "lat": 56.82, "lon": 27.74, "alt_m": 150.0, "height_agl_m": 3.0},
    {"id": "radar-1", "type": "radar", "lat": 56.53, "lon": 27.42, "alt_m": 176.0, "height_agl_m": 12.0,
     "scan_period_s": 1.0, "instrumented_range_m": 75000.0, "min_elevation_deg": -2.0},
    {"id": "adsb-1", "type": "adsb", "lat": 56.51, "lon": 27.33, "alt_m": 181.0, "height_agl_m": 10.0,
     "range_m": 250000.0},
    {"id": "ac-rv", "type": "acoustic", "lat": 56.9, "lon": 27.8, "alt_m": 150.0, "height_agl_m": 3.0},
]  # fmt: skip
KINDS = {
    "valid": 0.30,
    "bad_signature": 0.08,
    "unknown_sensor": 0.06,
    "revoked_sensor": 0.04,
    "replayed_seq": 0.08,
    "send_time_skew": 0.06,
    "malformed": 0.20,
    "bad_report": 0.18,
}
HUGE_STR = "x" * 20_000
OPTIONAL = {"el_deg", "sigma_el_deg", "snr_db", "rr_mps", "sigma_rr_mps", "rcs_dbsm", "vel_enu_mps"}
BAD_NAMES = ["1e308", "-1e308", "huge string", "huge array", "null", "object", "true", "negative sigma or 1e15",
             "1e30 int", "", "", "numeric string"]  # fmt: skip


class Gen:
    def __init__(self, rng: np.random.Generator, keys: dict[str, bytes]) -> None:
        self.rng = rng
        self.keys = keys
        self.seq: dict[str, int] = {}
        self.sent: list[bytes] = []  # accepted lines to replay
        self.note = ""  # what is wrong with the last bad report made

    def good_report(self, sensor: str, t: float) -> dict[str, Any]:
        r = self.rng
        kind = sensor.split("-")[0]
        if kind == "ac":
            return {"t": t, "sensor": sensor, "type": "bearing", "az_deg": float(r.uniform(0, 360)),
                    "sigma_az_deg": float(r.uniform(1, 5)), "el_deg": float(r.uniform(0, 40)),
                    "sigma_el_deg": 3.0, "snr_db": float(r.uniform(0, 20)), "class_hint": "multirotor"}  # fmt: skip
        if kind == "radar":
            return {"t": t, "sensor": sensor, "type": "radar", "range_m": float(r.uniform(1000, 60000)),
                    "az_deg": float(r.uniform(0, 360)), "el_deg": float(r.uniform(0, 10)), "sigma_range_m": 10.0,
                    "sigma_az_deg": 0.3, "sigma_el_deg": 0.3, "rr_mps": float(r.uniform(-50, 50))}  # fmt: skip
        # a fixed fleet of 20 aircraft: a new ICAO address in every report would open a track per report
        return {"t": t, "sensor": sensor, "type": "adsb", "icao": f"50{int(r.integers(0, 20)):04x}",
                "lat": float(r.uniform(56, 57.5)), "lon": float(r.uniform(26.5, 28.2)),
                "alt_m": float(r.uniform(300, 3000)), "callsign": "YL123"}  # fmt: skip

    def bad_report(self, sensor: str, t: float) -> dict[str, Any]:
        rep = self.good_report(sensor, t)
        r = self.rng
        field = str(r.choice([k for k in rep if k not in ("sensor",)]))
        choice = int(r.integers(0, 12))
        if field in ("class_hint", "callsign"):  # free text: only its size can be wrong
            choice = 2
        elif field in OPTIONAL and choice == 4:  # null is a valid "not given"
            choice = 0
        bad: Any
        if choice == 9:
            self.note = "sensor=another"
        elif choice == 10:
            self.note = "type=sonar"
        else:
            self.note = f"{field}={BAD_NAMES[choice]}"
        if choice == 0:
            bad = 1e308
        elif choice == 1:
            bad = -1e308
        elif choice == 2:
            bad = HUGE_STR
        elif choice == 3:
            bad = list(range(3000))
        elif choice == 4:
            bad = None
        elif choice == 5:
            bad = {"nested": [1, 2, {"x": 3}]}
        elif choice == 6:
            bad = True
        elif choice == 7:
            bad = -1.0 if field.startswith("sigma") else 1e15
        elif choice == 8:
            bad = 10**30
        elif choice == 9:
            rep["sensor"] = "someone-else"
            return rep
        elif choice == 10:
            rep["type"] = "sonar"
            return rep
        else:
            bad = "12.5"
        if field == "type":
            bad = HUGE_STR if choice == 2 else 7
        rep[field] = bad
        return rep

    def envelope(self, sensor: str, reports: list[dict[str, Any]], *, seq: int | None = None, t_sent: float,
                 key: bytes | None = None) -> bytes:  # fmt: skip
        from borderwatch.store.signing import signed_envelope

        if seq is None:
            seq = self.seq.get(sensor, 0) + 1
            self.seq[sensor] = seq
        k = key if key is not None else self.keys.get(sensor, b"\0" * 32)
        return json.dumps(signed_envelope(sensor, seq, t_sent, reports, k)).encode()

    def message(self, kind: str, now: float) -> bytes:
        r = self.rng
        # few bearings: random bearings from two nodes make the tracker try every pair (costly, not this bench's aim)
        sensor = str(r.choice(["ac-1", "ac-2", "radar-1", "adsb-1"], p=[0.05, 0.05, 0.3, 0.6]))
        n = int(r.integers(1, 6))
        reps = [self.good_report(sensor, now - float(r.uniform(0, 2))) for _ in range(n)]
        if kind == "valid":
            line = self.envelope(sensor, reps, t_sent=now)
            if len(self.sent) < 5000:
                self.sent.append(line)
            return line
        if kind == "bad_signature":
            if r.random() < 0.5:
                return self.envelope(sensor, reps, t_sent=now, key=r.bytes(32))
            env = json.loads(self.envelope(sensor, reps, t_sent=now))
            env["reports"][0][next(iter(env["reports"][0]))] = 0  # tampered after signing
            return json.dumps(env).encode()
        if kind == "unknown_sensor":
            ghost = "ghost-" + str(int(r.integers(0, 10**9)))
            return self.envelope(ghost, [self.good_report("ac-" + ghost, now)], t_sent=now, seq=1, key=r.bytes(32))
        if kind == "revoked_sensor":
            return self.envelope("ac-rv", [self.good_report("ac-rv", now)], t_sent=now, seq=int(r.integers(1, 10**6)),
                                 key=self.keys["ac-rv"])  # fmt: skip
        if kind == "replayed_seq":
            if r.random() < 0.7:  # main() makes the first message a valid one, so there is one to replay
                return self.sent[int(r.integers(0, len(self.sent)))]
            else:  # a fresh message with an old sequence number of a sensor that has sent
                old = json.loads(self.sent[int(r.integers(0, len(self.sent)))])
                return self.envelope(old["sensor"], [self.good_report(old["sensor"], now)], t_sent=now, seq=old["seq"])
        if kind == "send_time_skew":
            off = float(r.choice([-1, 1])) * float(r.uniform(31, 10**7))
            return self.envelope(sensor, reps, t_sent=now + off)
        if kind == "bad_report":
            reps.insert(int(r.integers(0, len(reps) + 1)), self.bad_report(sensor, now))
            return self.envelope(sensor, reps, t_sent=now)
        return self.malformed(sensor, reps, now)

    def malformed(self, sensor: str, reps: list[dict[str, Any]], now: float) -> bytes:
        r = self.rng
        env = json.loads(self.envelope(sensor, reps, t_sent=now))
        c = int(r.integers(0, 14))
        if c == 0:
            return r.bytes(int(r.integers(1, 200))).replace(b"\n", b" ")
        if c == 1:
            full = json.dumps(env).encode()
            return full[: int(r.integers(1, len(full)))]
        if c == 2:
            return json.dumps({**env, "t_sent": float("nan")}).encode()  # NaN token
        if c == 3:
            return json.dumps({**env, "seq": float("inf")}).encode()
        if c == 4:
            return json.dumps({**env, "seq": "7"}).encode()
        if c == 5:
            return json.dumps({**env, "reports": {"a": 1}}).encode()
        if c == 6:
            return json.dumps({**env, "sensor": HUGE_STR}).encode()
        if c == 7:
            return json.dumps({**env, "reports": [0] * 6000}).encode()
        if c == 8:
            return b"[" * 50_000 + b"]" * 50_000
        if c == 9:
            return json.dumps({**env, "extra": 1}).encode()
        if c == 10:
            del env[str(r.choice(["sensor", "seq", "t_sent", "reports", "sig"]))]
            return json.dumps(env).encode()
        if c == 11:
            return json.dumps({**env, "seq": 10**400 if r.random() < 0.5 else -5}).encode()
        if c == 12:
            return json.dumps({**env, "sig": "g" * 64}).encode()
        return json.dumps([env]).encode()


def expected_ok(kind: str, res: dict[str, Any]) -> bool:
    if kind == "valid":
        return bool(res["status"] == "accepted")
    if kind == "bad_report":
        rej = res.get("rejected") or []
        return len(rej) == 1 and rej[0]["reason"] in ("bad_report", "sensor_mismatch") and bool(rej[0]["detail"])
    return res["status"] == "rejected" and res.get("reason") == kind and bool(res.get("detail"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ws-share", type=float, default=0.1)
    ap.add_argument("--no-engine", action="store_true", help="ingest only (reports checked by the parser)")
    a = ap.parse_args()

    from fastapi.testclient import TestClient

    from borderwatch.server import Settings, create_app
    from borderwatch.store import open_store, sensor_keys

    rng = np.random.default_rng(a.seed)
    tmp = Path(tempfile.mkdtemp(prefix="bw-fuzz-"))
    (tmp / "sensors.json").write_text(json.dumps({"sensors": SENSORS}))
    st = open_store(tmp / "bw.db")
    keys = {s["id"]: sensor_keys.add_sensor(st, s["id"]) for s in SENSORS}
    sensor_keys.revoke(st, "ac-rv")
    st.close()
    app = create_app(Settings(store=tmp / "bw.db", sensors=tmp / "sensors.json", run_engine=not a.no_engine))
    gen = Gen(rng, keys)
    names = list(KINDS)
    probs = np.array([KINDS[k] for k in names])
    kinds = rng.choice(len(names), size=a.messages, p=probs / probs.sum())
    kinds[0] = names.index("valid")
    by_kind: Counter[str] = Counter()
    by_reason: Counter[str] = Counter()
    mismatch: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    replies_rejections = 0
    n5xx = 0
    accepted_reports = 0
    t_start = time.perf_counter()

    accepted_bad: Counter[str] = Counter()

    def account(kind: str, res: dict[str, Any], line: bytes, note: str = "") -> None:
        nonlocal replies_rejections, accepted_reports
        by_kind[kind] += 1
        accepted_reports += int(res["accepted"])
        if res["status"] == "rejected" and not res.get("rejected"):
            by_reason[res["reason"]] += 1
            replies_rejections += 1
        for rej in res.get("rejected") or []:
            by_reason[rej["reason"]] += 1
            replies_rejections += 1
        if not expected_ok(kind, res):
            mismatch[kind] += 1
            if kind == "bad_report":
                accepted_bad[note] += 1
            if len(examples) < 8:
                examples.append({"kind": kind, "reply": res, "line": line[:300].decode("utf-8", "replace")})

    with TestClient(app) as client:
        i = 0
        ws = client.websocket_connect("/api/v1/ingest/ws")
        ws.__enter__()
        try:
            while i < a.messages:
                now = time.time()
                if rng.random() < a.ws_share:
                    k = names[kinds[i]]
                    line = gen.message(k, now)
                    ws.send_bytes(line)
                    account(k, ws.receive_json(), line, gen.note)
                    i += 1
                    continue
                ks = [names[j] for j in kinds[i : i + a.batch]]
                lines, notes = [], []
                for k in ks:
                    lines.append(gen.message(k, now))
                    notes.append(gen.note)
                r = client.post("/api/v1/ingest", content=b"\n".join(lines))
                i += len(ks)
                if r.status_code >= 500:
                    n5xx += 1
                    continue
                results = r.json()["results"]
                if i // 10_000 != (i - len(ks)) // 10_000:
                    print(f"{i} messages, {time.perf_counter() - t_start:.0f} s", file=sys.stderr, flush=True)
                # blank lines are skipped by the server: realign by line number
                by_line = {res["line"]: res for res in results}
                for n, (k, line, note) in enumerate(zip(ks, lines, notes, strict=True), 1):
                    res = by_line.get(n)
                    if res is None:  # an empty line (random bytes that were only whitespace)
                        by_kind[k] += 1
                        continue
                    account(k, res, line, note)
        finally:
            ws.__exit__(None, None, None)
        elapsed = time.perf_counter() - t_start
        state = app.state.bw
        time.sleep(2 * state.live.tick_wall_s + 0.1 if state.live else 0.1)
        counted = sum(state.metrics.rejections.values())
        errors = {
            s.labels["stage"]: int(s.value)
            for m in state.metrics.engine_errors.collect()
            for s in m.samples
            if s.name.endswith("_total")
        }
        healthy = client.get("/healthz").json()
        engine_rejected = dict(state.live.engine.rejected) if state.live else {}
        steps = {s.name.rsplit("_", 1)[-1]: s.value for m in state.metrics.step_seconds.collect() for s in m.samples
                 if s.name.endswith(("_sum", "_count"))}  # fmt: skip
    out = {
        "messages": int(sum(by_kind.values())),
        "seconds": round(elapsed, 1),
        "messages_per_s": round(sum(by_kind.values()) / elapsed, 1),
        "by_kind": dict(by_kind),
        "by_reason": dict(by_reason),
        "accepted_reports": accepted_reports,
        "rejections_in_replies": replies_rejections,
        "rejections_counted_by_service": counted,
        "counts_agree": counted == replies_rejections,
        "mismatches": dict(mismatch),
        "bad_reports_accepted_by_field": dict(accepted_bad.most_common()),
        "mismatch_examples": examples[:3],
        "http_5xx": n5xx,
        "engine_errors": errors,
        "engine_rejected_after_ingest": engine_rejected,
        "healthz": healthy,
        "engine_steps": int(steps.get("count", 0)),
        "engine_step_mean_s": round(steps.get("sum", 0.0) / max(steps.get("count", 0), 1), 3),
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
