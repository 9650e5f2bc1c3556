"""Coverage-guided fuzzing (atheris) of the SAPIENT and Cursor-on-Target readers.

* ``--target sapient``: the input is a TCP byte stream cut into reads (split size drawn from the input) through
  :class:`~borderwatch.interop.sapient.Deframer` and every message through a registered
  :class:`~borderwatch.interop.sapient.SapientReader` of an acoustic and a radar node; and the whole input as
  one message. Every report that comes out must pass the report contract (``parse_report``); every reply must
  decode as a SAPIENT message.
* ``--target cot``: the input as one CoT event (XML or TAK protobuf) through
  :class:`~borderwatch.interop.cot.FriendlyBoard` and :func:`~borderwatch.interop.cot.parse_event`, and cut
  into reads through :func:`~borderwatch.interop.cot.split_xml_stream`; an accepted event must have finite
  position and errors within their limits, and the board's picture must serialise as JSON.

Any other exception is a crash. Seeds: tests/data/sapient and our own CoT events. Prints one JSON object:

    .venv/bin/python bench/fuzz_feeds.py --target sapient --runs 1000000
    .venv/bin/python bench/fuzz_feeds.py                  # both targets, at most 10 min each

atheris (Apache-2.0) is in the dev extra only; borderwatch does not depend on it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
NODE_A = "5b0f7d0e-8a59-4c1e-9d7e-2f3a4b5c6d7e"
NODE_R = "0c8d1f7e-1111-4a2b-8c3d-4e5f6a7b8c9d"
SENSORS = [
    {"id": "zil-1", "type": "acoustic", "lat": 56.39, "lon": 28.23, "alt_m": 102.0, "sapient_node_id": NODE_A},
    {"id": "r-1", "type": "radar", "lat": 56.5, "lon": 27.4, "alt_m": 170.0, "sapient_node_id": NODE_R},
]


def _seeds(target: str, d: Path) -> None:
    d.mkdir(parents=True, exist_ok=True)
    if target == "sapient":
        for f in (DATA / "sapient").glob("*.bin"):
            (d / f.name).write_bytes(f.read_bytes())
        stream = (DATA / "sapient" / "acoustic-node.sapient").read_bytes()
        (d / "stream").write_bytes(stream)
        from borderwatch.interop.sapient import Deframer

        for i, m in enumerate(Deframer().feed(stream)):
            (d / f"msg-{i}").write_bytes(m)
        return
    from borderwatch.interop.cot import alert_event, to_proto, to_xml, track_event

    tr = {"t": 1.7e9, "track": "T1", "lat": 57.0, "lon": 27.0, "alt_m": 300.0, "vel_enu_mps": [1.0, 2.0, 0.0],
          "cov_pos_enu_m2": [[100.0, 0, 0], [0, 100.0, 0], [0, 0, 100.0]], "class": {"shahed": 0.9}}  # fmt: skip
    ev = track_event(tr)
    ev.uid, ev.type = "patrol-7", "a-f-G-U-C"
    (d / "xml").write_bytes(to_xml(ev).encode())
    (d / "proto").write_bytes(to_proto(ev))
    (d / "proto-stream").write_bytes(to_proto(ev, stream=True))
    al = alert_event({"id": "A1", "t": 1.7e9, "track": "T1", "kind": "crossing", "lat": 57.0, "lon": 27.0,
                      "text": "hostile crossing"})  # fmt: skip
    (d / "alert").write_bytes(to_xml(al).encode())


def child(target: str, rest: list[str]) -> None:
    import atheris

    with atheris.instrument_imports(include=["borderwatch.interop"]):
        from borderwatch.interop import cot as C
        from borderwatch.interop import sapient as S
    from borderwatch.sensors.reports import parse_report

    S.messages()
    T = 1_764_547_200.0

    def reg(node: str, kind: int) -> bytes:
        m = S.messages()["SapientMessage"](node_id=node)
        m.timestamp.FromNanoseconds(round(T * 1e9))
        m.registration.icd_version = "BSI Flex 335 v2.0"
        m.registration.node_definition.add(node_type=kind)
        return bytes(m.SerializeToString())

    regs = (reg(NODE_A, 6), reg(NODE_R, 2))

    def check(out: object) -> None:
        for r in out.reports:  # type: ignore[attr-defined]
            parse_report(r)
        if out.reply is not None:  # type: ignore[attr-defined]
            S.decode(out.reply[4:])  # type: ignore[attr-defined]

    def sapient_one(data: bytes) -> None:
        cut, body = 1 + (data[-1] if data else 0), data  # the read size from the last byte; the input stays whole
        rd = S.SapientReader(SENSORS)
        for g in regs:
            rd.handle(g, T)
        check(rd.handle(body, T))
        d = S.Deframer()
        for i in range(0, len(body), cut):
            for m in d.feed(body[i : i + cut]):
                check(rd.handle(m, T))

    def cot_one(data: bytes) -> None:
        cut, body = 1 + 2 * (data[-1] if data else 0), data
        board = C.FriendlyBoard(max_units=50)
        ev = board.offer(body)
        if ev is not None:
            for name, lo, hi in (("lat", -90, 90), ("lon", -180, 180), ("hae", -20000, 1e7), ("ce", 0, 1e7),
                                 ("le", 0, 1e7)):  # fmt: skip
                v = getattr(ev, name)
                assert math.isfinite(v) and lo <= v <= hi, (name, v)
            for name in ("time", "start", "stale"):
                assert math.isfinite(getattr(ev, name)), name
        json.dumps(board.current(0.0), allow_nan=False)
        buf = bytearray()
        for i in range(0, len(body), cut):
            buf += body[i : i + cut]
            for doc in C.split_xml_stream(buf):
                board.offer(doc)
        json.dumps(board.current(0.0), allow_nan=False)

    atheris.Setup([sys.argv[0], *rest], sapient_one if target == "sapient" else cot_one)
    atheris.Fuzz()


def fuzz(target: str, runs: int, max_s: int) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix=f"bw-fuzz-{target}-"))
    seeds = work / "corpus"
    _seeds(target, seeds)
    cmd = [sys.executable, __file__, f"--child={target}", f"-runs={runs}", "-max_len=4096", "-rss_limit_mb=2048",
           "-timeout=10", f"-artifact_prefix={work}/", "-print_final_stats=1", str(seeds)]  # fmt: skip
    if max_s:
        cmd.insert(-1, f"-max_total_time={max_s}")
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    err = p.stderr
    done = re.findall(r"Done (\d+) runs in (\d+) second", err)
    last = re.findall(r"#(\d+)\s+(?:pulse|NEW|REDUCE|DONE)\s+cov: (\d+)", err)
    stats = dict(re.findall(r"stat::(\w+):\s+(\d+)", err))
    crashes = sorted(str(x) for x in work.glob("crash-*")) + sorted(str(x) for x in work.glob("timeout-*"))
    return {
        "target": target,
        "inputs": int(done[-1][0]) if done else int(stats.get("number_of_executed_units", 0)),
        "fuzz_seconds": int(done[-1][1]) if done else None,
        "coverage": int(last[-1][1]) if last else None,
        "wall_s": round(time.time() - t0, 1),
        "exit": p.returncode,
        "crashes": len(crashes),
        "crash_files": crashes,
        "tail": err.strip().splitlines()[-5:] if p.returncode else [],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", choices=["sapient", "cot", "both"], default="both")
    ap.add_argument("--runs", type=int, default=1_000_000)
    ap.add_argument("--max-s", type=int, default=600, help="stop each target after this many seconds (0: no limit)")
    a = ap.parse_args()
    res = [fuzz(t, a.runs, a.max_s) for t in (("sapient", "cot") if a.target == "both" else (a.target,))]
    total = sum(int(r["crashes"]) for r in res)  # type: ignore[call-overload]
    print(json.dumps({"bench": "fuzz_feeds", "targets": res, "crashes": total, "ok": total == 0}))


if __name__ == "__main__":
    kids = [x for x in sys.argv if x.startswith("--child=")]
    if kids:
        sys.argv.remove(kids[0])
        child(kids[0].split("=", 1)[1], sys.argv[1:])
    else:
        main()
