"""Regenerate src/borderwatch/sensors/data/acoustic_calibration.json from the acoustic signal path (Monte Carlo).

Usage: .venv/bin/python scripts/calibrate_acoustic.py [--quick] [--regimes] [--out PATH]   (full run ~6 min)

By default one Pd fit per class over mixed conditions (this produced the shipped file). ``--regimes`` makes two
fits, calm air and wind at the microphones (3–9 m/s); on bench/bench_pd_agreement.py it did worse (max |ΔPd|
0.171 against 0.107), so it is not shipped.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from borderwatch.sensors.acoustic.calibrate import (
    calibrate_bearing,
    calibrate_class,
    noise_statistics,
    threshold_for,
)
from borderwatch.sensors.acoustic.model import Calibration, calibration_path
from borderwatch.sensors.acoustic.signal import ArrayGeometry
from borderwatch.sensors.catalogue import load_acoustic_catalogue


def main() -> None:
    quick = "--quick" in sys.argv
    if "--bearing-only" in sys.argv:
        bearing_only()
        return
    single = "--regimes" not in sys.argv
    out_path = Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv else calibration_path()
    n_h0, n_cls, n_brg = (300, 200, 30) if quick else (3000, 1500 if single else 1000, 150)
    seed = 20261121
    rng = np.random.default_rng(seed)
    cat = load_acoustic_catalogue()
    geom = ArrayGeometry.from_catalogue(cat)
    t0 = time.time()
    pfa = cat.node.pfa_window.value
    h0 = noise_statistics(cat, geom, n_h0, rng)
    thr = threshold_for(h0, pfa)
    pd = {}
    pd_windy: dict[str, tuple[float, float]] | None = None if single else {}
    for cls_id, cls in cat.classes.items():
        if cls.silent:
            continue
        pd[cls_id] = calibrate_class(cat, geom, cls_id, n_cls, rng, threshold=thr, regime=None if single else "calm")
        if pd_windy is not None:
            pd_windy[cls_id] = calibrate_class(cat, geom, cls_id, n_cls, rng, threshold=thr, regime="windy")
        print(cls_id, pd[cls_id], pd_windy and pd_windy[cls_id], file=sys.stderr)
    k_az, k_el = calibrate_bearing(cat, geom, ["quadcopter", "shahed", "gerbera"], n_brg, rng, threshold=thr)
    cal = Calibration(
        threshold=thr,
        pfa_window=pfa,
        pd_logistic=pd,
        k_az_rad=k_az,
        k_el_rad=k_el,
        pd_logistic_windy=pd_windy,
        meta={
            "generator": "scripts/calibrate_acoustic.py",
            "seed": seed,
            "noise_windows": n_h0,
            "trials_per_class": n_cls,
            "bearing_trials_per_class": n_brg,
            "h0_max_stat": float(h0.max()),
            "conditions": "random per trial: night/day, -10..25 C, 40-95 % RH; "
            + ("wind 0/3/6/9 m/s" if single else "pd_logistic: calm; pd_logistic_windy: wind 3/6/9 m/s"),
            "seconds": round(time.time() - t0, 1),
        },
    )
    out_path.write_text(json.dumps(cal.to_json(), indent=1) + "\n", encoding="utf-8")
    print(json.dumps(cal.to_json()))


def bearing_only() -> None:
    """Refit only the bearing-σ constants, keeping threshold and Pd fits."""
    from borderwatch.sensors.acoustic.model import load_calibration

    cal = load_calibration()
    cat = load_acoustic_catalogue()
    geom = ArrayGeometry.from_catalogue(cat)
    rng = np.random.default_rng(20261122)
    k_az, k_el = calibrate_bearing(cat, geom, ["quadcopter", "shahed", "gerbera"], 150, rng, threshold=cal.threshold)
    d = cal.to_json()
    d["k_az_rad"], d["k_el_rad"] = k_az, k_el
    d["meta"]["bearing_fit"] = "robust (median), seed 20261122, 150 trials per class"
    calibration_path().write_text(json.dumps(d, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(d))


if __name__ == "__main__":
    main()
