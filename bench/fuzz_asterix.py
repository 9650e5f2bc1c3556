"""Coverage-guided fuzzing (atheris / libFuzzer) of the ASTERIX reader: any exception out of
:func:`borderwatch.interop.asterix.decode_bytes` or the report mapping is a crash; an input taking more than
``--timeout`` seconds is a hang. Seeds: the datagrams of the real captures in tests/data/asterix and our own
CAT048/CAT062 encodings. Prints one JSON object (runs, seconds, crashes, the libFuzzer summary).

    .venv/bin/python bench/fuzz_asterix.py [--target fast|cat062] [--runs 1000000] [--timeout 60]

atheris is a dev dependency (``pip install borderwatch[dev]``); a bench, not a CI test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "asterix"


def _seeds(d: Path) -> None:
    from borderwatch.interop import asterix as A
    from borderwatch.interop.asterix_encode import Cat062Encoder, encode_reports_cat048
    from borderwatch.interop.pcap import read_datagrams

    grams = [g for f in ("cat_034_048.pcap", "cat_062_065.pcap", "cat21_re.ast") for _, g in read_datagrams(DATA / f)]
    sensors = [{"id": "r", "type": "radar", "lat": 57.0, "lon": 27.0, "alt_m": 100.0, "sac": 1, "sic": 2}]
    site = A.sites_by_code(sensors)[(1, 2)]
    reps = [{"t": 1.7e9 + i, "sensor": "r", "type": "radar", "range_m": 1000.0 + 900 * i, "az_deg": 7.0 * i,
             "el_deg": 1.0 + i, "rr_mps": -5.0 + i} for i in range(8)]  # fmt: skip
    grams += [g for _, g in encode_reports_cat048(reps, {"r": (1, 2)}, {"r": site})]
    tr = {"t": 1.7e9, "track": "T1", "lat": 57.0, "lon": 27.0, "alt_m": 300.0, "vel_enu_mps": [1.0, 2.0, 0.0],
          "cov_pos_enu_m2": [[100.0, 0, 0], [0, 100.0, 0], [0, 0, 100.0]], "sensors": ["r"], "cooperative": True,
          "icao": "abcdef", "callsign": "YL123"}  # fmt: skip
    grams += Cat062Encoder().datagrams([tr])
    for i, g in enumerate(grams):
        (d / f"seed-{i:04d}").write_bytes(g)


def child(target: str) -> None:
    import atheris

    with atheris.instrument_imports(include=["borderwatch.interop"]):
        from borderwatch.interop import asterix as A

    A.fields()
    A.S.spec(62)  # import libasterix before fuzzing (seconds)
    site = A.RadarSite("r", 57.0, 27.0, 100.0)

    class AllSites(dict):  # type: ignore[type-arg]
        def get(self, key: object, default: object = None) -> A.RadarSite:
            return site

    mapper = A.ReportMapper(AllSites())

    cats = (62,) if target == "cat062" else (48, 34, 21)

    def one(data: bytes) -> None:
        st = A.DecodeStats()
        for rec in A.decode_bytes(data, st, cats=cats):
            mapper(rec, 1.7e9)

    atheris.Setup(sys.argv, one)
    atheris.Fuzz()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1_000_000)
    ap.add_argument("--timeout", type=int, default=60, help="seconds one input may take (else a hang)")
    ap.add_argument("--target", choices=["fast", "cat062"], default="fast",
                    help="fast: the CAT048/034/021 walker; cat062: the libasterix CAT062 path")  # fmt: skip
    ap.add_argument("--max-len", type=int, default=4096)
    ap.add_argument("--max-time", type=int, default=0, help="stop after this many seconds (0: no limit)")
    ap.add_argument("--log", type=Path, default=None, help="write libFuzzer's output here as it runs")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus, arts = Path(tmp) / "corpus", Path(tmp) / "artifacts"
        corpus.mkdir()
        arts.mkdir()
        _seeds(corpus)
        n_seeds = len(list(corpus.iterdir()))
        cmd = [sys.executable, __file__, f"--child={a.target}", f"-atheris_runs={a.runs}", f"-timeout={a.timeout}",
               f"-max_len={a.max_len}", f"-artifact_prefix={arts}/", "-print_final_stats=1",
               f"-max_total_time={a.max_time}", str(corpus)]  # fmt: skip
        t0 = time.monotonic()
        log = a.log or Path(tmp) / "fuzz.log"
        with log.open("w") as fh:
            p = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONHASHSEED": "0"})
        wall = time.monotonic() - t0
        err = log.read_text(errors="replace")
        done = re.findall(r"Done (\d+) (?:runs )?in (\d+) second", err)
        stats = dict(re.findall(r"stat::(\w+):\s+(\d+)", err))
        crashes = sorted(x.name for x in arts.iterdir())
        tail = [ln for ln in err.splitlines() if "ERROR" in ln or "Uncaught" in ln or "Traceback" in ln][:5]
        print(json.dumps({
            "bench": "fuzz_asterix",
            "target": a.target,
            "runs_requested": a.runs,
            "runs": int(done[-1][0]) if done else int(stats.get("number_of_executed_units", 0)),
            "fuzz_seconds": int(done[-1][1]) if done else None,
            "wall_s": round(wall, 1),
            "exit_code": p.returncode,
            "seeds": n_seeds,
            "crashes_or_hangs": crashes,
            "errors": tail,
            "libfuzzer_stats": {k: int(v) for k, v in stats.items()},
        }))  # fmt: skip


if __name__ == "__main__":
    kids = [x for x in sys.argv if x.startswith("--child=")]
    if kids:
        sys.argv.remove(kids[0])
        child(kids[0].split("=", 1)[1])
    else:
        main()
