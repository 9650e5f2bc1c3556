"""Sound-delay correction: a Shahed-class target (50 m/s, 300 m up) crossing a line of acoustic nodes.

Nodes every 1 km on a north–south line hear the target up to 4 km away and report a bearing (σ 2°) and an
elevation (σ 3°) once a second; each report describes the target at its emission time t − r/c. The same tracker
runs with and without the delay correction; errors are measured against truth at each output second while a
confirmed track exists. Prints one JSON object.

    .venv/bin/python bench/sound_delay.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from borderwatch.geo.frames import LocalFrame
from borderwatch.tracking import Tracker, TrackerConfig
from borderwatch.tracking.measurements import speed_of_sound
from borderwatch.tracking.testing import SyntheticTruth, acoustic_bearings, sites_from_enu, table_for


def crossing_truth(speed: float = 50.0, up: float = 300.0, dt: float = 0.1) -> SyntheticTruth:
    t = np.arange(0.0, 16000.0 / speed + dt / 2, dt)
    pos = np.zeros((t.size, 1, 3))
    pos[:, 0, 0] = -8000.0 + speed * t
    pos[:, 0, 1] = 300.0
    pos[:, 0, 2] = up
    vel = np.zeros_like(pos)
    vel[:, 0, 0] = speed
    return SyntheticTruth(t, pos, vel)


def run(seed: int, temperature_c: float) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    frame = LocalFrame(56.5, 27.9, 150.0)
    specs = [(f"a{i:02d}", "acoustic", 0.0, float(n), 0.0) for i, n in enumerate(range(-10000, 10001, 1000))]
    sites = sites_from_enu(frame, specs)
    table = table_for(frame, sites)
    truth = crossing_truth()
    c = speed_of_sound(temperature_c)
    reps = acoustic_bearings(
        truth,
        table,
        [s[0] for s in specs],
        rng,
        period_s=1.0,
        sigma_az_deg=2.0,
        sigma_el_deg=3.0,
        range_m=4000.0,
        c_sound=c,
        pd=0.9,
        class_hint="shahed",
    )
    reps.sort(key=lambda r: r.t)
    out: dict[str, float] = {}
    for label, corr in (("corrected", True), ("uncorrected", False)):
        trk = Tracker(sites, TrackerConfig(temperature_c=temperature_c, sound_delay=corr), sites=table)
        errs = []
        k = 0
        for te in np.arange(1.0, truth.t[-1], 1.0):
            while k < len(reps) and reps[k].t <= te:
                trk.feed(reps[k])
                k += 1
            _, pos = trk.confirmed_enu(float(te))
            if pos.shape[0]:
                p = truth.at(np.array([te]))[0, 0]
                errs.append(float(np.min(np.linalg.norm(pos - p, axis=1))))
        out[f"{label}_mean_err_m"] = float(np.mean(errs)) if errs else float("nan")
        out[f"{label}_seconds_tracked"] = float(len(errs))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--temperature-c", type=float, default=-2.0)
    a = ap.parse_args()
    rs = [run(1000 + i, a.temperature_c) for i in range(a.runs)]
    corr = float(np.mean([r["corrected_mean_err_m"] for r in rs]))
    unc = float(np.mean([r["uncorrected_mean_err_m"] for r in rs]))
    print(
        json.dumps(
            {
                "bench": "sound_delay",
                "scenario": {
                    "speed_mps": 50,
                    "up_m": 300,
                    "nodes": 21,
                    "node_spacing_m": 1000,
                    "hear_m": 4000,
                    "sigma_az_deg": 2.0,
                    "sigma_el_deg": 3.0,
                    "temperature_c": a.temperature_c,
                    "runs": a.runs,
                },
                "corrected_mean_err_m": round(corr, 1),
                "uncorrected_mean_err_m": round(unc, 1),
                "ratio": round(unc / corr, 2),
                "seconds_tracked": {
                    "corrected": np.mean([r["corrected_seconds_tracked"] for r in rs]),
                    "uncorrected": np.mean([r["uncorrected_seconds_tracked"] for r in rs]),
                },
                "target_ratio": 3.0,
            }
        )
    )


if __name__ == "__main__":
    main()
