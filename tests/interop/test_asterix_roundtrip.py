"""Round trip: radar reports -> CAT048 (+CAT034) -> our decoder -> the same reports, to each item's precision."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from borderwatch.interop import asterix as A
from borderwatch.interop.asterix_encode import encode_reports_cat048

DATA = Path(__file__).resolve().parents[1] / "data"
NM = 1852.0
FT = 0.3048


def _roundtrip(reports: list[dict[str, Any]], sensors: list[dict[str, Any]], scan_s: float) -> None:
    coded = A.sites_by_code(sensors)
    codes = {s.id: k for k, s in coded.items()}
    sites = {s.id: s for s in coded.values()}
    grams = encode_reports_cat048(reports, codes, sites, scan_s=scan_s)
    mapper = A.ReportMapper(coded)
    back = []
    st = A.DecodeStats()
    for t_send, g in grams:
        for rec in A.decode_bytes(g, st):
            rep = mapper(rec, t_send)
            if rep is not None:
                back.append(rep)
    assert st.rejected_total == 0 and not mapper.rejected
    radar = [r for r in reports if r["type"] == "radar" and r["sensor"] in codes]
    bins: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for r in radar:
        bins.setdefault((math.floor(r["t"] / scan_s), r["sensor"]), []).append(r)
    want = [r for k in sorted(bins) for r in bins[k]]
    assert len(back) == len(want) > 0
    assert mapper.north_markers == len(bins)
    worst = {"t": 0.0, "range_m": 0.0, "az_deg": 0.0, "el_deg": 0.0, "rr_mps": 0.0}
    for w, b in zip(want, back, strict=True):
        assert b["sensor"] == w["sensor"]
        errs = {
            "t": abs(b["t"] - w["t"]),
            "range_m": abs(b["range_m"] - w["range_m"]),
            "az_deg": abs((b["az_deg"] - w["az_deg"] + 180) % 360 - 180),
            "el_deg": abs(b["el_deg"] - w["el_deg"]),
        }
        # stated precision: half an LSB of each item (+ the report contract's rounding)
        assert errs["t"] <= 1 / 256 + 5e-4, (w, b)  # I048/140: 1/128 s
        assert errs["range_m"] <= NM / 512 + 5e-3, (w, b)  # I048/040 RHO: 1/256 NM
        assert errs["az_deg"] <= 360 / 2**17 + 5e-5, (w, b)  # I048/040 THETA: 360/2^16 deg
        # the elevation comes from I048/110 (25 ft) and the range: d(el) = dh/(r cos el) + tan(el) dr/r
        el = math.radians(w["el_deg"])
        el_tol = math.degrees(12.5 * FT / (w["range_m"] * math.cos(el)) + abs(math.tan(el)) * NM / 512 / w["range_m"])
        el_tol += 2e-4
        assert errs["el_deg"] <= el_tol, (w, b, el_tol)
        if "rr_mps" in w:
            errs["rr_mps"] = abs(b["rr_mps"] - w["rr_mps"])
            assert errs["rr_mps"] <= 0.5 + 5e-4, (w, b)  # I048/120 CAL: 1 m/s
        for k, v in errs.items():
            worst[k] = max(worst[k], v)
    print("round trip worst errors:", json.dumps(worst))


@pytest.mark.parametrize("seed", [3, 17, 2026])
def test_random_reports_roundtrip(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sensors = [
        {"id": f"r-{i}", "type": "radar", "lat": float(rng.uniform(55, 58)), "lon": float(rng.uniform(25, 28)),
         "alt_m": float(rng.uniform(0, 400)), "sac": int(rng.integers(0, 256)), "sic": i + 1}
        for i in range(3)
    ]  # fmt: skip
    reps = []
    for k in range(600):
        r = float(rng.uniform(200, 250_000))
        el_max = min(60.0, math.degrees(math.asin(9000 / r))) if r > 9000 else 60.0  # up to 9 km high
        reps.append({
            "t": round(1.77e9 + k * 0.05 + float(rng.uniform(0, 0.05)), 3),
            "sensor": f"r-{int(rng.integers(0, 3))}",
            "type": "radar",
            "range_m": round(r, 2),
            "az_deg": round(float(rng.uniform(0, 360)), 4) % 360,
            "el_deg": round(float(rng.uniform(-1.5, el_max)), 4),
            "rr_mps": round(float(rng.uniform(-300, 300)), 3),
            "sigma_range_m": 15.0, "sigma_az_deg": 0.3, "sigma_el_deg": 0.5, "sigma_rr_mps": 0.5,
        })  # fmt: skip
    _roundtrip(reps, sensors, scan_s=1.0)


@pytest.mark.slow
def test_simulated_scenario_roundtrip(tmp_path: Path) -> None:
    from borderwatch.jobs import simulate_job

    simulate_job(DATA / "stray-short.yaml", tmp_path)
    sensors = json.loads((tmp_path / "sensors.json").read_text())["sensors"]
    radars = [s for s in sensors if s["type"] == "radar"]
    assert radars
    for i, s in enumerate(radars):
        s["sac"], s["sic"] = 40, i + 1
    reports = [json.loads(x) for x in (tmp_path / "reports.jsonl").read_text().splitlines() if x.strip()]
    _roundtrip(reports, sensors, scan_s=float(radars[0].get("scan_period_s", 1.0)))
