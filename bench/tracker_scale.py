"""Scale: 1,000 simultaneous targets, 500 acoustic nodes and 4 radars, on one core.

Nodes on a 2 km grid (25 × 20) hear targets within 3 km (bearing σ 2°, elevation σ 3°, 1 Hz, sound delay);
four 3-D radars (range 40 km, 1 s scans, σ 10 m / 0.3° / 0.3°, Pd 0.9, 10 clutter plots per scan) sit at the
corners of the 48 km × 38 km node field; 1,000 targets fly CV/CT segments inside it. The tracker is fed the
reception-ordered reports and asked for its full output (``Tracker.estimates``) every second. The real-time
factor is scenario seconds per CPU second of the tracker (``time.process_time``; the report generation is not
counted). The generator's garbage is collected before the clock starts: the ~233,000 report objects stay alive
for the whole run, and the full collection their creation owes the garbage collector (≈0.3 s) would otherwise
land in whichever tracker call first allocates enough, a cost of this harness (a live feed's reports die young).
Prints one JSON object.

    .venv/bin/python bench/tracker_scale.py [--targets 1000] [--duration 30]
"""

from __future__ import annotations

import argparse
import gc
import json
import time

import numpy as np

from borderwatch.geo.frames import LocalFrame
from borderwatch.tracking import Tracker, TrackerConfig
from borderwatch.tracking.metrics import gospa
from borderwatch.tracking.testing import acoustic_bearings, make_truth, radar_scans, sites_from_enu, table_for


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", type=int, default=1000)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    frame = LocalFrame(56.6, 27.8, 100.0)
    nodes = [
        (f"a{i:03d}", "acoustic", -24000.0 + 2000.0 * (i % 25), -19000.0 + 2000.0 * (i // 25), 0.0) for i in range(500)
    ]
    radars = [
        (f"r{i}", "radar", e, n, 20.0)
        for i, (e, n) in enumerate([(-24000.0, -19000.0), (24000.0, -19000.0), (-24000.0, 19000.0), (24000.0, 19000.0)])
    ]
    sites = sites_from_enu(frame, nodes + radars)
    tab = table_for(frame, sites)
    g0 = time.perf_counter()
    truth = make_truth(
        rng, n_targets=a.targets, duration_s=a.duration, dt=0.1, box_m=(-22e3, 22e3, -17e3, 17e3), up_m=(100, 800)
    )
    reports = acoustic_bearings(
        truth, tab, [s[0] for s in nodes], rng, period_s=1.0, sigma_az_deg=2.0, sigma_el_deg=3.0, range_m=3000.0
    )
    n_bearing = len(reports)
    for r in radars:
        for sc in radar_scans(truth, tab, r[0], rng, period_s=1.0, pd=0.9, clutter_per_scan=10.0, max_range_m=40e3):
            reports.extend(sc)
    reports.sort(key=lambda r: r.t)
    gen_s = time.perf_counter() - g0
    gc.collect()  # the generator's debt to the garbage collector is not tracker work (see the docstring)
    trk = Tracker(sites, TrackerConfig(), sites=tab)
    k = 0
    gos = []
    n_out = 0
    c0 = time.process_time()
    w0 = time.perf_counter()
    for te in np.arange(1.0, a.duration + 1e-9, 1.0):
        while k < len(reports) and reports[k].t <= te:
            trk.feed(reports[k])
            k += 1
        est = trk.estimates(float(te))
        n_out += len(est)
        if te >= 10:
            c1 = time.process_time()
            _, pos = trk.confirmed_enu(float(te))
            gos.append(gospa(truth.pos[int(np.argmin(np.abs(truth.t - te)))], pos).distance / np.sqrt(a.targets))
            c0 += time.process_time() - c1  # scoring is not tracker work
    cpu = time.process_time() - c0
    wall = time.perf_counter() - w0
    print(
        json.dumps(
            {
                "bench": "tracker_scale",
                "targets": a.targets,
                "acoustic_nodes": len(nodes),
                "radars": len(radars),
                "duration_s": a.duration,
                "reports": len(reports),
                "bearing_reports": n_bearing,
                "reports_per_s": round(len(reports) / a.duration),
                "tracker_cpu_s": round(cpu, 2),
                "tracker_wall_s": round(wall, 2),
                "realtime_factor": round(a.duration / cpu, 2),
                "confirmed_tracks_at_end": len(est),
                "gospa_per_target_m_after_10s": round(float(np.mean(gos)), 1) if gos else None,
                "generation_s": round(gen_s, 1),
                "target_realtime_factor": 10.0,
            }
        )
    )


if __name__ == "__main__":
    main()
