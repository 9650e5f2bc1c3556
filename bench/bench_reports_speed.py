"""Report generation speed for the night-raid preset with the default layout (target: >= 50x real time).

Prints one JSON object.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import numpy as np

from borderwatch.jobs import load_checked
from borderwatch.sensors.layout import load_layout
from borderwatch.sensors.simulate import simulate_reports
from borderwatch.sim.engine import simulate


def main() -> None:
    ld = load_checked("latgale-night-raid")
    truth = simulate(ld.scenario, ld.theatre)
    t0 = time.perf_counter()
    layout = load_layout(None, ld.theatre)
    t_layout = time.perf_counter() - t0
    t0 = time.perf_counter()
    reports = simulate_reports(
        truth, ld.theatre, layout, ld.scenario.weather, np.random.default_rng([ld.scenario.seed, 3]),
        options=ld.scenario.sensors, t_start=ld.scenario.t0, t_end=ld.scenario.t0 + ld.scenario.duration_s,
    )  # fmt: skip
    t_rep = time.perf_counter() - t0
    kinds = Counter(r.type for r in reports)
    print(
        json.dumps(
            {
                "bench": "report_generation_speed",
                "scenario": "latgale-night-raid",
                "scenario_duration_s": ld.scenario.duration_s,
                "targets": len(truth.targets),
                "acoustic_nodes": len(layout.acoustic_ids),
                "radars": len(layout.radars),
                "adsb_receivers": len(layout.adsb),
                "layout_build_s": round(t_layout, 2),
                "report_generation_s": round(t_rep, 2),
                "speed_vs_real_time": round(ld.scenario.duration_s / t_rep, 1),
                "reports": dict(kinds),
            }
        )
    )


if __name__ == "__main__":
    main()
