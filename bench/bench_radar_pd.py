"""Radar Pd versus range for 0.01 m² and 1 m² targets: radar equation + Swerling 1 against a Monte Carlo
of the square-law detector. Writes out/bench/radar_pd.png and prints one JSON object.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from borderwatch.sensors.radar_plot import pd_curves, pd_range_plot


def main() -> None:
    d = pd_curves(n_mc=4000)
    png = pd_range_plot(Path("out/bench/radar_pd.png"))
    r = np.asarray(d["range_m"])
    res = {}
    for k, c in d["curves"].items():
        ana = np.asarray(c["analytic"])
        res[f"{k}_m2"] = {
            "max_abs_diff_mc_vs_equation": round(c["max_abs_diff"], 4),
            "range_pd_0_9_km": round(float(r[ana >= 0.9].max() / 1000) if (ana >= 0.9).any() else 0.0, 2),
            "range_pd_0_5_km": round(float(r[ana >= 0.5].max() / 1000) if (ana >= 0.5).any() else 0.0, 2),
        }
    print(json.dumps({"bench": "radar_pd_vs_range", "model": d["model"], "png": str(png), "targets": res}))


if __name__ == "__main__":
    main()
