"""PostgreSQL specifics of the store: daily partitions, PostGIS detection, the spatial history query.

The models and writers are the portable ones of :mod:`borderwatch.store.models`; migration 0002 turns
``reports`` and ``track_points`` into range-partitioned tables (with a DEFAULT partition) and, where PostGIS
exists, gives ``track_points`` a trigger-filled ``geom geometry(Point, 4326)`` with a GiST index.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Float, String, column, func, select, table, text

from borderwatch.errors import InputError
from borderwatch.store.db import Store

DAY_S = 86400.0
PARTITIONED = {"reports": "t_ingest", "track_points": "t"}
_PARTITION_LOCK = 0x62770A0E
# the index leaves a few hundred rows: starting parallel workers costs more than it saves (measured in
# bench/postgis_history.py: the Gather of one worker took most of a 170 ms query whose index scan took 2 ms)
NO_PARALLEL = "SET LOCAL max_parallel_workers_per_gather = 0"


def is_postgresql(store: Store) -> bool:
    return store.engine.dialect.name == "postgresql"


def has_postgis(store: Store) -> bool:
    """Whether ``track_points`` has the PostGIS ``geom`` column (migration 0002 found the extension)."""
    if not is_postgresql(store):
        return False
    # asked on every spatial query: the answer is kept per store (the schema is migrated when the store opens), and
    # read from pg_attribute, not from information_schema (a slow view over every partition's columns)
    have = store.features.get("postgis")
    if have is None:
        with store.engine.connect() as c:
            q = (
                "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('track_points') AND attname = 'geom' "
                "AND NOT attisdropped"
            )
            have = c.exec_driver_sql(q).first() is not None
        store.features["postgis"] = have
    return have


def _day(t: float) -> datetime:
    d = datetime.fromtimestamp(t, UTC)
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _engine(store: Store | Engine) -> Engine:
    return store.engine if isinstance(store, Store) else store


def ensure_partitions(store: Store | Engine, t0: float, t1: float) -> list[str]:
    """Create the daily partitions (UTC days) of ``reports`` and ``track_points`` covering [t0, t1].

    Rows of those days already in the DEFAULT partition are moved into the new partition (PostgreSQL refuses
    to attach a partition whose rows sit in DEFAULT). Returns the partitions created.
    """
    engine = _engine(store)
    if engine.dialect.name != "postgresql":
        return []
    if not (math.isfinite(t0) and math.isfinite(t1)) or t1 < t0:
        raise InputError(f"need a finite window t0 <= t1, got [{t0}, {t1}]")
    if t1 - t0 > 400 * DAY_S:
        raise InputError(f"{(t1 - t0) / DAY_S:.0f} days of partitions at once; at most 400")
    made = []
    with engine.begin() as c:
        c.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PARTITION_LOCK})")  # processes opening the store at once
        have = {r[0] for r in c.exec_driver_sql("SELECT relname FROM pg_class WHERE relkind = 'r'")}
        day = _day(t0)
        while day.timestamp() <= t1:
            lo, hi = day.timestamp(), (day + timedelta(days=1)).timestamp()
            for tbl, tcol in PARTITIONED.items():
                name = f"{tbl}_{day:%Y%m%d}"
                if name in have:
                    continue
                c.exec_driver_sql(f"CREATE TABLE {name} (LIKE {tbl} INCLUDING DEFAULTS)")
                c.exec_driver_sql(
                    f"WITH moved AS (DELETE FROM {tbl}_default WHERE {tcol} >= {lo!r} AND {tcol} < {hi!r} "
                    f"RETURNING *) INSERT INTO {name} SELECT * FROM moved"
                )
                c.exec_driver_sql(f"ALTER TABLE {tbl} ATTACH PARTITION {name} FOR VALUES FROM ({lo!r}) TO ({hi!r})")
                made.append(name)
            day += timedelta(days=1)
    return made


def ensure_current_partitions(store: Store | Engine, now: float | None = None) -> list[str]:
    """Partitions from yesterday to a week ahead (``open_store`` calls this on PostgreSQL)."""
    t = time.time() if now is None else now
    return ensure_partitions(store, t - DAY_S, t + 7 * DAY_S)


@dataclass(frozen=True, slots=True)
class TrackInArea:
    """A track with at least one state inside the area during the window."""

    track: str
    points: int
    t_first: float
    t_last: float


def _polygon_wkt(polygon: Any) -> str:
    """WKT of a shapely polygon or a ring of (lon, lat) pairs (degrees, WGS84)."""
    import shapely

    if isinstance(polygon, str):
        geom = shapely.from_wkt(polygon)
    elif hasattr(polygon, "geom_type"):
        geom = polygon
    else:
        geom = shapely.Polygon(list(polygon))
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty or not geom.is_valid:
        raise InputError("polygon: must be a valid, non-empty (multi)polygon of (lon, lat) in degrees")
    return str(geom.wkt)


_TP = table(
    "track_points",
    column("track", String),
    column("t", Float),
    column("lat", Float),
    column("lon", Float),
)


def tracks_in_area_query(store: Store, polygon: Any, t0: float, t1: float) -> tuple[Any, dict[str, Any]]:
    """The SQL of :func:`tracks_in_area` (for EXPLAIN) and its parameters."""
    wkt = _polygon_wkt(polygon)
    if has_postgis(store):
        from geoalchemy2 import Geometry

        tp = table("track_points", column("track", String), column("t", Float), column("geom", Geometry("POINT", 4326)))
        area = func.ST_GeomFromText(wkt, 4326)
        stmt = (
            select(tp.c.track, func.count(), func.min(tp.c.t), func.max(tp.c.t))
            .where(tp.c.t >= t0, tp.c.t <= t1, func.ST_Intersects(tp.c.geom, area))
            .group_by(tp.c.track)
            .order_by(tp.c.track)
        )
        return stmt, {}
    import shapely

    minx, miny, maxx, maxy = shapely.from_wkt(wkt).bounds
    stmt = (
        select(_TP.c.track, _TP.c.t, _TP.c.lat, _TP.c.lon)
        .where(_TP.c.t >= t0, _TP.c.t <= t1)
        .where(_TP.c.lat >= miny, _TP.c.lat <= maxy, _TP.c.lon >= minx, _TP.c.lon <= maxx)
    )
    return stmt, {"wkt": wkt}


def tracks_in_area(store: Store, polygon: Any, t0: float, t1: float) -> list[TrackInArea]:
    """Tracks with a state inside ``polygon`` (lon/lat degrees) in [t0, t1] (UTC epoch s), by track id.

    PostGIS: ``ST_Intersects`` on the GiST-indexed ``geom`` (partitions pruned by ``t``). Elsewhere (SQLite, a
    PostgreSQL without PostGIS): the bounding box on ``lat``/``lon``, then the exact polygon test in shapely.
    """
    stmt, extra = tracks_in_area_query(store, polygon, t0, t1)
    with store.session(readonly=True) as s:
        if is_postgresql(store):
            s.execute(text(NO_PARALLEL))
        rows = s.execute(stmt).all()
    if "wkt" not in extra:
        return [TrackInArea(str(r[0]), int(r[1]), float(r[2]), float(r[3])) for r in rows]
    import numpy as np
    import shapely

    area = shapely.from_wkt(extra["wkt"])
    if not rows:
        return []
    lon = np.array([r[3] for r in rows], dtype=float)
    lat = np.array([r[2] for r in rows], dtype=float)
    inside = shapely.intersects_xy(area, lon, lat)
    agg: dict[str, list[float]] = {}
    for r, ok in zip(rows, inside, strict=True):
        if ok:
            a = agg.setdefault(str(r[0]), [0, math.inf, -math.inf])
            a[0] += 1
            a[1] = min(a[1], float(r[1]))
            a[2] = max(a[2], float(r[1]))
    return [TrackInArea(k, int(v[0]), v[1], v[2]) for k, v in sorted(agg.items())]


def explain(store: Store, polygon: Any, t0: float, t1: float, *, analyze: bool = True) -> str:
    """PostgreSQL's plan of :func:`tracks_in_area` (``EXPLAIN ANALYZE``), as text."""
    if not is_postgresql(store):
        raise InputError("EXPLAIN of the spatial query needs the PostgreSQL store")
    stmt, _ = tracks_in_area_query(store, polygon, t0, t1)
    sql = str(stmt.compile(store.engine, compile_kwargs={"literal_binds": True}))
    with store.engine.begin() as c:
        c.execute(text(NO_PARALLEL))
        rows = c.execute(text(("EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN ") + sql)).all()
    return "\n".join(str(r[0]) for r in rows)
