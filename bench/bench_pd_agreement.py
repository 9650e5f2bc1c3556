"""Report path versus signal path: acoustic Pd-versus-range for two classes, Monte Carlo per range bin.

Prints one JSON object. Usage: python bench/bench_pd_agreement.py [runs_per_bin] (default 200)
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from borderwatch.sensors.acoustic.calibrate import ground_range_for_xi, pd_vs_range
from borderwatch.sensors.acoustic.model import load_calibration
from borderwatch.sensors.acoustic.signal import ArrayGeometry
from borderwatch.sensors.catalogue import load_acoustic_catalogue

FACTORS = np.array([0.4, 0.6, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0])


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    cat = load_acoustic_catalogue()
    cal = load_calibration()
    geom = ArrayGeometry.from_catalogue(cat)
    rng = np.random.default_rng(424242)  # independent of the calibration seed
    t0 = time.perf_counter()
    out = {}
    worst = 0.0
    for cls in ("quadcopter", "shahed"):
        r50 = float(ground_range_for_xi(cat, cls, np.array([cal.pd_logistic[cls][0]]))[0])
        ranges = r50 * FACTORS
        sig, rep = pd_vs_range(cat, geom, cal, cls, ranges, n, rng)
        diff = np.abs(sig - rep)
        worst = max(worst, float(diff.max()))
        out[cls] = {
            "ground_range_m": [round(float(r), 1) for r in ranges],
            "pd_signal_path": [round(float(v), 3) for v in sig],
            "pd_report_path": [round(float(v), 3) for v in rep],
            "abs_diff": [round(float(v), 3) for v in diff],
            "max_abs_diff": round(float(diff.max()), 3),
        }
    print(
        json.dumps(
            {
                "bench": "acoustic_pd_agreement",
                "runs_per_bin": n,
                "conditions": "night, 10 C, 70 % RH, no wind; random azimuth, rpm, radial speed ±20 m/s",
                "classes": out,
                "max_abs_diff": round(worst, 3),
                "within_0_1": worst <= 0.1,
                "seconds": round(time.perf_counter() - t0, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
