"""Regenerate src/borderwatch/sensors/data/acoustic_calibration.json from the acoustic signal path (Monte Carlo).

Usage: .venv/bin/python scripts/calibrate_acoustic.py [--quick] [--out PATH] [--workers N]
       (full run ~8 min with the default 2 worker processes for the signal-path trials)
       .venv/bin/python scripts/calibrate_acoustic.py --bearing-only               (refit k_az, k_el only)

Steps: the detection threshold (Gumbel fit to noise-only windows), the comb-tooth table (Monte Carlo of the
whitened bins), signal-path trials of every audible class over random conditions and the ξ window where its Pd
changes, the per-class bias and σ scale of the report path's comb model (maximum likelihood on those trials),
ξ at Pd 0.5 for reference, and the bearing-σ constants.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from borderwatch.sensors.acoustic.calibrate import (
    CALIBRATION,
    TRIAL_XI_HALF_WIDTH_DB,
    Trial,
    calibrate_bearing,
    class_trials,
    fit_pd_residuals,
    noise_statistics,
    threshold_for,
    tooth_table,
    xi_at_pd,
)
from borderwatch.sensors.acoustic.model import Calibration, DetectorModel, calibration_path, format_calibration
from borderwatch.sensors.acoustic.signal import ArrayGeometry
from borderwatch.sensors.catalogue import load_acoustic_catalogue


def main() -> None:
    if "--bearing-only" in sys.argv:
        bearing_only()
        return
    quick = "--quick" in sys.argv
    out_path = Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv else calibration_path()
    workers = int(sys.argv[sys.argv.index("--workers") + 1]) if "--workers" in sys.argv else 2
    n_h0, n_cls, n_brg, n_tooth = (300, 300, 30, 2000) if quick else (3000, 8000, 150, 12000)
    seed = 20261121
    rng = np.random.default_rng(seed)
    cat = load_acoustic_catalogue()
    geom = ArrayGeometry.from_catalogue(cat)
    t0 = time.time()
    pfa = cat.node.pfa_window.value
    h0 = noise_statistics(cat, geom, n_h0, rng)
    thr = threshold_for(h0, pfa)
    tooth = tooth_table(cat, geom, np.random.default_rng([seed, 1]), n_per_cell=n_tooth)
    print(f"threshold {thr:.4f}, tooth table {time.time() - t0:.0f} s", file=sys.stderr)
    audible = [c for c, cls in cat.classes.items() if not cls.silent]
    # trials where Pd changes: ξ within ±TRIAL_XI_HALF_WIDTH_DB of the unfitted model's ξ at Pd 0.5
    det0 = DetectorModel(cat, tooth, thr, bias=dict.fromkeys(audible, 0.0))
    centre = {c: xi_at_pd(cat, det0, c, 0.5, CALIBRATION) for c in audible}
    windows = {c: (x - TRIAL_XI_HALF_WIDTH_DB, x + TRIAL_XI_HALF_WIDTH_DB) for c, x in centre.items()}
    # one random stream per class ([seed, 100 + i]), so the trials do not depend on the number of workers
    jobs = [(c, n_cls, [seed, 100 + i], thr, windows[c]) for i, c in enumerate(audible)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        trials = dict(zip(audible, pool.map(_class_trials, jobs), strict=True))
    print(f"trials {time.time() - t0:.0f} s", file=sys.stderr)
    bias, scale = fit_pd_residuals(DetectorModel(cat, tooth, thr), trials)
    print("pd_bias", bias, "pd_sd_scale", scale, file=sys.stderr)
    det = DetectorModel(cat, tooth, thr, bias=bias, sd_scale=scale)
    xi50 = {c: xi_at_pd(cat, det, c, 0.5, CALIBRATION) for c in audible}
    k_az, k_el = calibrate_bearing(
        cat, geom, ["quadcopter", "shahed", "gerbera"], n_brg, np.random.default_rng([seed, 2]), threshold=thr
    )
    cal = Calibration(
        threshold=thr,
        pfa_window=pfa,
        tooth=tooth,
        pd_bias=bias,
        pd_sd_scale=scale,
        xi50_db=xi50,
        k_az_rad=k_az,
        k_el_rad=k_el,
        meta={
            "generator": "scripts/calibrate_acoustic.py",
            "seed": seed,
            "noise_windows": n_h0,
            "h0_max_stat": float(h0.max()),
            "tooth_trials_per_cell": n_tooth,
            "trials_per_class": n_cls,
            "trial_seeds": "[seed, 100 + class index] per class",
            "trial_xi_db": {c: [round(a, 2), round(b, 2)] for c, (a, b) in windows.items()},
            "trial_conditions": "random per trial: night/day, wind 0/3/6/9 m/s, -10..25 C, 40-95 % RH",
            "xi50_conditions": "night, calm, 10 C, 70 % RH, typical f0, no Doppler, trial heights",
            "bearing_trials_per_class": n_brg,
            "bearing_seed": "[seed, 2]",
            "seconds": round(time.time() - t0, 1),
        },
    )
    out_path.write_text(format_calibration(cal.to_json()), encoding="utf-8")
    print(json.dumps({k: v for k, v in cal.to_json().items() if k != "tooth_table"}))


def _class_trials(job: tuple[str, int, list[int], float, tuple[float, float]]) -> list[Trial]:
    cls_id, n, seed, thr, window = job
    cat = load_acoustic_catalogue()
    geom = ArrayGeometry.from_catalogue(cat)
    return class_trials(cat, geom, cls_id, n, np.random.default_rng(seed), threshold=thr, xi_db_range=window)


def bearing_only() -> None:
    """Refit only the bearing-σ constants, keeping threshold and Pd model."""
    from borderwatch.sensors.acoustic.model import load_calibration

    cal = load_calibration()
    cat = load_acoustic_catalogue()
    geom = ArrayGeometry.from_catalogue(cat)
    rng = np.random.default_rng(20261122)
    k_az, k_el = calibrate_bearing(cat, geom, ["quadcopter", "shahed", "gerbera"], 150, rng, threshold=cal.threshold)
    d = cal.to_json()
    d["k_az_rad"], d["k_el_rad"] = k_az, k_el
    d["meta"]["bearing_fit"] = "robust (median), seed 20261122, 150 trials per class"
    calibration_path().write_text(format_calibration(d), encoding="utf-8")
    print(json.dumps({k: v for k, v in d.items() if k != "tooth_table"}))


if __name__ == "__main__":
    main()
