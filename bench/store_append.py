"""Append throughput of the operations store: SQLite WAL, synchronous=FULL, one transaction per batch.

Appends ``--reports`` reports in batches of 100 and of 1,000 (each batch one ``append_reports`` call, committed
and on disk when it returns) into a fresh store file under ``--dir`` (default: the current folder, so that
fsync goes to a real disk rather than tmpfs), and prints one JSON object: reports/s and the p50/p99/max
duration of one batch (commit included) per batch size. Bodies are ~230-byte bearing-report lines. Also
``write_track_points`` of 1,000 tracks.jsonl-shaped states per call (one scan of a large raid).

    .venv/bin/python bench/store_append.py [--reports 20000] [--dir .]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from borderwatch.store import open_store
from borderwatch.store.picture import write_track_points
from borderwatch.store.reports import ReportRow, append_reports


def _bodies(n: int, rng: np.random.Generator, t0: float) -> list[str]:
    az = rng.uniform(0.0, 360.0, n)
    return [
        json.dumps(
            {
                "t": round(t0 + i * 0.01, 3),
                "sensor": f"ac-{i % 50:03d}",
                "type": "bearing",
                "az_deg": round(float(az[i]), 2),
                "el_deg": 12.5,
                "sigma_az_deg": 2.0,
                "sigma_el_deg": 3.0,
                "snr_db": 14.2,
                "class_hint": "piston",
                "f0_hz": 97.5,
            }
        )
        for i in range(n)
    ]


def run(db: Path, batch: int, total: int, rng: np.random.Generator) -> dict[str, float | int]:
    store = open_store(db)
    t0 = time.time()
    bodies = _bodies(total, rng, t0)
    durations = []
    start = time.perf_counter()
    for b in range(total // batch):
        rows = [
            ReportRow(f"ac-{(b * batch + i) % 50:03d}", b, t0, time.time(), bodies[b * batch + i]) for i in range(batch)
        ]
        t = time.perf_counter()
        append_reports(store, rows)
        durations.append(time.perf_counter() - t)
    wall = time.perf_counter() - start
    store.close()
    d = np.array(durations) * 1000.0
    n = len(durations) * batch
    return {
        "batch": batch,
        "reports": n,
        "batches": len(durations),
        "reports_per_s": round(n / wall, 1),
        "reports_per_s_in_append": round(n / float(np.sum(durations)), 1),
        "batch_ms_p50": round(float(np.percentile(d, 50)), 2),
        "batch_ms_p99": round(float(np.percentile(d, 99)), 2),
        "batch_ms_max": round(float(np.max(d)), 2),
    }


def run_tracks(db: Path, tracks: int, scans: int, rng: np.random.Generator) -> dict[str, float | int]:
    """``write_track_points`` of one scan of ``tracks`` tracks (tracks.jsonl-shaped dicts) per call."""
    store = open_store(db)
    t0 = time.time()
    lat = rng.uniform(56.0, 57.0, tracks)
    lon = rng.uniform(27.0, 28.0, tracks)
    durations = []
    for k in range(scans):
        pts = [
            {
                "t": round(t0 + k, 3),
                "track": f"T{i:06d}",
                "lat": round(float(lat[i]), 7),
                "lon": round(float(lon[i]), 7),
                "alt_m": 150.0,
                "vel_enu_mps": [30.1, -2.2, 0.0],
                "cov_pos_enu_m2": [[400.0, 3.0, 0.0], [3.0, 380.0, 0.0], [0.0, 0.0, 900.0]],
                "status": "confirmed",
                "class": {"shahed": 0.8, "fixed_wing_small": 0.2},
                "sensors": ["ac-001", "ac-002"],
                "cooperative": False,
                "quality": 0.9,
            }
            for i in range(tracks)
        ]
        t = time.perf_counter()
        write_track_points(store, pts)
        durations.append(time.perf_counter() - t)
    store.close()
    d = np.array(durations) * 1000.0
    return {
        "tracks_per_call": tracks,
        "calls": scans,
        "track_points_per_s_in_write": round(tracks * scans / float(np.sum(durations)), 1),
        "call_ms_p50": round(float(np.percentile(d, 50)), 2),
        "call_ms_p99": round(float(np.percentile(d, 99)), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=20_000, help="reports per batch size")
    ap.add_argument("--dir", type=Path, default=Path("."), help="folder for the temporary store file")
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    tmp = Path(tempfile.mkdtemp(prefix="bw-store-bench-", dir=a.dir))
    try:
        results = [run(tmp / f"b{batch}.db", batch, a.reports, rng) for batch in (100, 1000)]
        tracks = run_tracks(tmp / "tracks.db", 1000, 20, rng)
    finally:
        shutil.rmtree(tmp)
    print(
        json.dumps(
            {
                "bench": "store_append",
                "journal_mode": "wal",
                "synchronous": "full",
                "dir": str(a.dir.resolve()),
                "cpus": os.cpu_count(),
                "load_avg_1min": round(os.getloadavg()[0], 2),
                "python": platform.python_version(),
                "results": results,
                "track_points": tracks,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
