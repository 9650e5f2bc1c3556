"""ASTERIX decode throughput on one core: records per CPU second of :func:`borderwatch.interop.asterix.decode_bytes`.

Two inputs: the real CAT048/CAT034 capture of tests/data/asterix (Mode-S plots with callsign, BDS data, track
number and velocity; 120 datagrams), and our own CAT048 encoding of random radar plots (range, azimuth, 3-D
height, Doppler; ~1,400-byte datagrams as a radar network sends them). Each is decoded ``--repeat`` times; the
time is process CPU time (the machine may be shared). Also the same for the report mapping (plot -> report
contract), and libasterix's own parser on the real capture for comparison. Prints one JSON object.

    .venv/bin/python bench/asterix_speed.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from borderwatch.interop import asterix as A
from borderwatch.interop.asterix_encode import encode_reports_cat048
from borderwatch.interop.pcap import read_datagrams

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "asterix"


def _ours(n: int, seed: int = 1) -> list[bytes]:
    rng = np.random.default_rng(seed)
    sensors = [{"id": "r-1", "type": "radar", "lat": 56.5, "lon": 27.4, "alt_m": 170.0, "sac": 1, "sic": 2}]
    coded = A.sites_by_code(sensors)
    reps = []
    for k in range(n):
        r = float(rng.uniform(500, 70000))
        reps.append({"t": 1.77e9 + k * 0.01, "sensor": "r-1", "type": "radar", "range_m": r,
                     "az_deg": float(rng.uniform(0, 360)), "el_deg": float(rng.uniform(0, 10)),
                     "rr_mps": float(rng.uniform(-100, 100))})  # fmt: skip
    grams = encode_reports_cat048(reps, {"r-1": (1, 2)}, {"r-1": coded[(1, 2)]}, scan_s=5.0)
    return [g for _, g in grams]


def _rate(grams: list[bytes], repeat: int, *, mapper: A.ReportMapper | None = None) -> dict[str, float]:
    A.decode_bytes(grams[0])  # warm (specs compiled)
    st = A.DecodeStats()
    reports = 0
    c0 = time.process_time()
    for _ in range(repeat):
        for g in grams:
            recs = A.decode_bytes(g, st)
            if mapper is not None:
                for r in recs:
                    if mapper(r, 1.77e9) is not None:
                        reports += 1
    cpu = time.process_time() - c0
    out = {"records": st.records, "cpu_s": round(cpu, 3), "records_per_s": round(st.records / cpu),
           "rejected": st.rejected_total}  # fmt: skip
    if mapper is not None:
        out["reports"] = reports
    return out


def _libasterix(grams: list[bytes], repeat: int) -> dict[str, float]:
    from asterix.base import Bits, RawDatablock

    from borderwatch.interop.asterix_spec import spec

    specs = {48: spec(48), 34: spec(34)}
    n = 0
    c0 = time.process_time()
    for _ in range(repeat):
        for g in grams:
            for db in RawDatablock.parse(Bits.from_bytes(g)):
                s = specs.get(db.get_category())
                if s is not None:
                    n += len(s.cv_uap.parse(db.get_raw_records()))
    cpu = time.process_time() - c0
    return {"records": n, "cpu_s": round(cpu, 3), "records_per_s": round(n / cpu)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=200)
    a = ap.parse_args()
    real = [d for _, d in read_datagrams(DATA / "cat_034_048.pcap")]
    ours = _ours(20000)
    mapper = A.ReportMapper(A.sites_by_code([{"id": "r-1", "type": "radar", "lat": 56.5, "lon": 27.4,
                                              "alt_m": 170.0, "sac": 1, "sic": 2}]))  # fmt: skip
    res = {
        "bench": "asterix_speed",
        "target_records_per_s": 50000,
        "real_cat048_cat034": _rate(real, a.repeat),
        "ours_cat048": _rate(ours, max(1, a.repeat // 20)),
        "ours_cat048_to_reports": _rate(ours, max(1, a.repeat // 40), mapper=mapper),
        "libasterix_parse_real": _libasterix(real, max(1, a.repeat // 100)),
    }
    res["meets_target"] = min(res["real_cat048_cat034"]["records_per_s"], res["ours_cat048"]["records_per_s"]) >= 50000
    assert math.isfinite(res["ours_cat048"]["cpu_s"])
    print(json.dumps(res))


if __name__ == "__main__":
    main()
