"""Coverage-guided fuzzing (atheris) of the ADS-B readers: Beast deframer + Mode-S decoder, and the SBS-1 parser.

Each input is fed in chunks (split points drawn from the input) through :class:`BeastReader` and every frame
through :class:`AdsbDecoder` (with and without a receiver reference), or split into lines through
:class:`SbsParser`. Any exception is a crash; every report that comes out must pass the report contract
(``parse_report``). Seeds: frames of the real ULSS7 capture and lines of its SBS output (tests/data/adsb).
Runs ``--runs`` inputs per target (default 1,000,000) or until ``--max-s`` (default 600 s per target; 0: no limit),
then prints one JSON object (a summary per target):

    .venv/bin/python bench/fuzz_adsb.py                       # both targets, at most 10 min each
    .venv/bin/python bench/fuzz_adsb.py --target beast --runs 1000000 --max-s 0

atheris (Apache-2.0) is in the dev extra only; borderwatch does not depend on it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "adsb"


def _seeds(target: str, d: Path) -> None:
    d.mkdir(parents=True, exist_ok=True)
    if target == "beast":
        raw = (DATA / "ulss7-beast-bin-utc--1522782148.136310917--.log").read_bytes()
        for i in range(0, min(len(raw), 200 * 512), 512):
            (d / f"s{i}").write_bytes(raw[i : i + 512])
    else:
        with gzip.open(DATA / "ulss7-sbs.txt.gz", "rb") as f:
            lines = f.read().splitlines()
        for i in range(0, min(len(lines), 4000), 20):
            (d / f"s{i}").write_bytes(b"\n".join(lines[i : i + 20]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--target", choices=["beast", "sbs"], required=True)
    a, rest = ap.parse_known_args()

    import atheris

    with atheris.instrument_imports():
        from borderwatch.interop.beast import BeastReader
        from borderwatch.interop.modes import AdsbDecoder
        from borderwatch.interop.sbs import SbsParser
        from borderwatch.sensors.reports import parse_report

    def beast_one(data: bytes) -> None:
        fdp = atheris.FuzzedDataProvider(data)
        cut = fdp.ConsumeIntInRange(1, 64)
        body = fdp.ConsumeBytes(fdp.remaining_bytes())
        r = BeastReader()
        decs = (AdsbDecoder(sensor="f"), AdsbDecoder(sensor="f", ref=(56.5, 27.3)))
        t = 1.7e9
        for i in range(0, len(body), cut):
            for fr in r.feed(body[i : i + cut]):
                t += 0.01
                for dec in decs:
                    rep = dec.feed(fr.msg, t)
                    if rep is not None:
                        parse_report(rep)

    def sbs_one(data: bytes) -> None:
        p = SbsParser(sensor="f")
        for line in data.split(b"\n"):
            rep = p.parse_line(line)
            if rep is not None:
                parse_report(rep)
            try:
                rep = p.parse_line(line.decode("utf-8"))
            except UnicodeDecodeError:
                continue
            if rep is not None:
                parse_report(rep)

    atheris.Setup([sys.argv[0], *rest], beast_one if a.target == "beast" else sbs_one)
    atheris.Fuzz()


def run() -> None:
    """Run the fuzzer in a child process (libFuzzer exits the process when done) and summarise its output."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", choices=["beast", "sbs", "both"], default="both")
    ap.add_argument("--runs", type=int, default=1_000_000)
    ap.add_argument("--max-s", type=int, default=600, help="stop each target after this many seconds (0: no limit)")
    a = ap.parse_args()
    res = [fuzz(t, a.runs, a.max_s) for t in (("beast", "sbs") if a.target == "both" else (a.target,))]
    total = sum(int(r["crashes"]) for r in res)
    print(json.dumps({"bench": "fuzz_adsb", "targets": res, "crashes": total, "ok": total == 0}))


def fuzz(target: str, runs: int, max_s: int) -> dict[str, object]:
    import re
    import subprocess

    work = Path(tempfile.mkdtemp(prefix=f"bw-fuzz-{target}-"))
    seeds = work / "corpus"
    _seeds(target, seeds)
    cmd = [sys.executable, __file__, "--child", "--target", target, f"-runs={runs}", "-max_len=4096",
           "-rss_limit_mb=2048", "-timeout=10", f"-artifact_prefix={work}/", str(seeds)]  # fmt: skip
    if max_s:
        cmd.insert(-1, f"-max_total_time={max_s}")
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ})
    err = p.stderr
    done = re.findall(r"Done (\d+) runs in (\d+) second", err)
    last = re.findall(r"#(\d+)\s+(?:pulse|NEW|REDUCE|DONE)\s+cov: (\d+)", err)
    crashes = sorted(str(x) for x in work.glob("crash-*")) + sorted(str(x) for x in work.glob("timeout-*"))
    inputs = int(done[-1][0]) if done else (int(last[-1][0]) if last else 0)
    return {
        "target": target,
        "inputs": inputs,
        "coverage": int(last[-1][1]) if last else None,
        "wall_s": round(time.time() - t0, 1),
        "exit": p.returncode,
        "crashes": len(crashes),
        "crash_files": crashes,
        "tail": err.strip().splitlines()[-3:] if p.returncode else [],
    }


if __name__ == "__main__":
    main() if "--child" in sys.argv else run()
