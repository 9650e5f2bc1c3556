"""Append throughput of the operations store: SQLite WAL, synchronous=FULL, one transaction per batch.

Appends ``--reports`` reports in batches of 100 and of 1,000 (each batch one ``append_reports`` call, committed
and on disk when it returns) into a fresh store file under ``--dir`` (default: the current folder, so that
fsync goes to a real disk rather than tmpfs), and prints one JSON object: reports/s and the p50/p99/max
duration of one batch (commit included) per batch size. Bodies are ~230-byte bearing-report lines.

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
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
