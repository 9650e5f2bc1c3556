"""PostGIS: "tracks inside this polygon in this time window" over 24 h of night-raid history (prints JSON).

The history is the night raid (2 h) replayed 12 times back to back: its truth trajectories, sampled at 1 Hz,
written as track states through the store's own writer (``write_track_points``) into a fresh PostgreSQL
database with PostGIS (daily partitions, GiST index on the trigger-filled geometry and on (geometry, time)).
Then the query of ``store.postgres.tracks_in_area`` runs for random polygons (15-40 km across) and two-hour
windows. Latency is measured twice: in the client (Python, SQLAlchemy, the round trip) and by the server
(EXPLAIN ANALYZE "Execution Time"); the bench also prints the first plan and how many plans use the index.

    python bench/postgis_history.py [--raid DIR] [--repeats 12] [--queries 30] [--keep | --db NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--raid", type=Path, default=None, help="a simulated night raid folder (truth.jsonl)")
    ap.add_argument("--repeats", type=int, default=12)
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--pg", default=os.environ.get("BORDERWATCH_PG", "postgresql://root@127.0.0.1:5432"))
    ap.add_argument("--keep", action="store_true", help="keep the database")
    ap.add_argument("--db", default=None, help="query a database a --keep run left (skips the load)")
    a = ap.parse_args(argv)

    from sqlalchemy import create_engine, text

    from borderwatch.sim.truth import read_truth
    from borderwatch.store import open_store
    from borderwatch.store import postgres as pg
    from borderwatch.store.picture import write_track_points

    raid = a.raid
    if raid is None:
        from borderwatch.scale.harness import simulate_raid

        raid = simulate_raid(Path(tempfile.mkdtemp(prefix="bw-raid-")))
    truth = read_truth(raid / "truth.jsonl")
    name = a.db or f"bw_scale_postgis_{secrets.token_hex(3)}"
    admin = create_engine(a.pg.replace("postgresql://", "postgresql+psycopg://") + "/postgres")
    admin = admin.execution_options(isolation_level="AUTOCOMMIT")
    if a.db is None:
        with admin.connect() as c:
            c.execute(text(f"CREATE DATABASE {name}"))
    key = Path(tempfile.gettempdir()) / f"{name}.audit-key"
    st = open_store(f"{a.pg}/{name}", audit_key_path=key)
    try:
        span = 7200.0  # the night raid lasts two hours: 12 replays are 24 h
        with st.engine.connect() as c:
            t_have = c.execute(text("SELECT min(t) FROM track_points")).scalar()
        t_base = float(t_have) if a.db and t_have is not None else time.time() - a.repeats * span
        pg.ensure_partitions(st, t_base, t_base + a.repeats * span)
        ids = [truth.targets[int(i)].id for i in truth.idx]
        t_rel = truth.t - truth.t.min()
        w0 = time.monotonic()
        rows = 0
        for rep in range(0 if a.db else a.repeats):
            batch = []
            for k in range(len(truth)):
                t = float(t_base + rep * span + t_rel[k])
                lat, lon, alt = float(truth.lat[k]), float(truth.lon[k]), float(truth.alt[k])
                batch.append({"track": f"{ids[k]}#{rep}", "t": t, "lat": lat, "lon": lon, "alt_m": alt})
                if len(batch) >= 20_000:
                    rows += write_track_points(st, batch)
                    batch = []
            if batch:
                rows += write_track_points(st, batch)
        load_s = time.monotonic() - w0
        if a.db:
            with st.engine.connect() as c:
                rows = int(c.execute(text("SELECT count(*) FROM track_points")).scalar_one())
        with st.engine.begin() as c:
            c.execute(text("ANALYZE track_points"))
        rng = np.random.default_rng(1)
        lat_c, lon_c = np.median(truth.lat), np.median(truth.lon)
        lat_s, lon_s = np.std(truth.lat), np.std(truth.lon)
        times, found, plans_with_index = [], [], 0
        server_ms: list[float] = []
        plan_example = ""
        for q in range(a.queries):
            cy = float(lat_c + rng.normal(0, lat_s))
            cx = float(lon_c + rng.normal(0, lon_s))
            r = 0.1 + 0.1 * rng.random()  # a polygon of about 15-40 km across
            ang = np.sort(rng.uniform(0, 2 * np.pi, 7))
            poly = [(cx + r * 1.8 * np.cos(t), cy + r * np.sin(t)) for t in ang]
            w_start = float(t_base + rng.uniform(0, a.repeats * span - 7200.0))
            w_end = w_start + 7200.0  # a two-hour window
            t0 = time.perf_counter()
            res = pg.tracks_in_area(st, poly, w_start, w_end)
            times.append(time.perf_counter() - t0)
            found.append(len(res))
            plan = pg.explain(st, poly, w_start, w_end)
            ex = [ln for ln in plan.splitlines() if ln.startswith("Execution Time:")]
            if ex:
                server_ms.append(float(ex[0].split()[2]))
            if "geom" in plan and ("Index Scan" in plan or "Bitmap Index Scan" in plan):
                plans_with_index += 1
            if q == 0:
                plan_example = plan
        out = {
            "bench": "postgis_history",
            "postgis": pg.has_postgis(st),
            "history_h": round(a.repeats * span / 3600.0, 2),
            "track_points": rows,
            "load_s": round(load_s, 1),
            "load_rows_per_s": None if a.db else round(rows / load_s, 0),
            "queries": a.queries,
            "query_ms_p50": round(1000 * float(np.percentile(times, 50)), 2),
            "query_ms_p95": round(1000 * float(np.percentile(times, 95)), 2),
            "query_ms_max": round(1000 * float(np.max(times)), 2),
            "server_execution_ms_p50": round(float(np.percentile(server_ms, 50)), 2) if server_ms else None,
            "server_execution_ms_p95": round(float(np.percentile(server_ms, 95)), 2) if server_ms else None,
            "server_execution_ms_max": round(float(np.max(server_ms)), 2) if server_ms else None,
            "load_average_1min": os.getloadavg()[0],
            "tracks_found_mean": round(float(np.mean(found)), 1),
            "plans_using_the_spatial_index": plans_with_index,
            "explain_first_query": plan_example.splitlines(),
        }
        print(json.dumps(out))
    finally:
        st.close()
        if not a.keep:
            with admin.connect() as c:
                c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
