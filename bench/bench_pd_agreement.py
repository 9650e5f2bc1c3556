"""Report path versus signal path: acoustic Pd-versus-range for two classes, Monte Carlo per range bin.

Prints one JSON object. Usage:
  python bench/bench_pd_agreement.py [runs_per_bin] [--cal calibration.json] [--seed N] [--conditions alt]

The range bins are multiples of the report path's 50 % range for each class and condition. ``--seed`` and
``--conditions alt`` (a second set of weather) check that the agreement is not a property of one seed.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from borderwatch.sensors.acoustic.calibrate import Conditions, ground_range_for_pd, pd_vs_range
from borderwatch.sensors.acoustic.model import DetectorModel, load_calibration
from borderwatch.sensors.acoustic.signal import ArrayGeometry
from borderwatch.sensors.catalogue import load_acoustic_catalogue

FACTORS = np.array([0.4, 0.6, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0])
CONDITIONS = {
    "night_calm_10C": Conditions(10.0, 70.0, True, 0.0),
    "day_wind6_minus2C": Conditions(-2.0, 85.0, False, 6.0),
}
ALT_CONDITIONS = {
    "night_wind3_minus10C": Conditions(-10.0, 95.0, True, 3.0),
    "day_wind9_25C": Conditions(25.0, 40.0, False, 9.0),
    "night_calm_minus5C": Conditions(-5.0, 50.0, True, 0.0),
}


def main() -> None:
    opts = {k: sys.argv[sys.argv.index(k) + 1] for k in ("--cal", "--seed", "--conditions") if k in sys.argv}
    args = [a for a in sys.argv[1:] if not a.startswith("--") and a not in opts.values()]
    n = int(args[0]) if args else 200
    seed = int(opts.get("--seed", 424242))  # independent of the calibration seed
    conditions = ALT_CONDITIONS if opts.get("--conditions") == "alt" else CONDITIONS
    cat = load_acoustic_catalogue()
    cal = load_calibration(opts.get("--cal"))
    det = DetectorModel.from_calibration(cat, cal)
    geom = ArrayGeometry.from_catalogue(cat)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    out: dict[str, dict[str, object]] = {}
    worst = 0.0
    for cname, cond in conditions.items():
        for cls in ("quadcopter", "shahed"):
            ranges = ground_range_for_pd(cat, det, cls, 0.5, cond) * FACTORS
            sig, rep = pd_vs_range(cat, geom, cal, cls, ranges, n, rng, cond)
            diff = np.abs(sig - rep)
            worst = max(worst, float(diff.max()))
            out[f"{cname}/{cls}"] = {
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
                "seed": seed,
                "conditions": {k: str(v) for k, v in conditions.items()},
                "trials": "random azimuth, rpm, radial speed ±20 m/s",
                "classes": out,
                "max_abs_diff": round(worst, 3),
                "within_0_1": worst <= 0.1,
                "seconds": round(time.perf_counter() - t0, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
