"""The store on the real local PostgreSQL (with and without PostGIS): partitions, spatial query, audit chain."""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from borderwatch.store import open_store
from borderwatch.store import postgres as pg
from borderwatch.store.audit import append_audit, verify_audit
from borderwatch.store.db import Store
from borderwatch.store.picture import write_track_points
from borderwatch.store.reports import ReportRow, append_reports, last_seq, reports_in_window

PG = os.environ.get("BORDERWATCH_PG", "postgresql://root@127.0.0.1:5432")


def _admin() -> object:
    url = f"{PG}/postgres".replace("postgresql://", "postgresql+psycopg://")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _need_pg() -> None:
    try:
        eng = _admin()
        with eng.connect() as c:  # type: ignore[attr-defined]
            c.execute(text("SELECT 1"))
        eng.dispose()  # type: ignore[attr-defined]
    except Exception as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI: {e}")
        pytest.skip(f"PostgreSQL not reachable: {e}")


def fresh_db(tmp: Path, *, plain: bool = False) -> Iterator[tuple[str, Path]]:
    """A new database (PostGIS enabled unless ``plain``); dropped afterwards."""
    _need_pg()
    name = f"bw_scale_test_{secrets.token_hex(4)}"
    eng = _admin()
    with eng.connect() as c:  # type: ignore[attr-defined]
        c.execute(text(f"CREATE DATABASE {name}"))
    old = os.environ.get("BORDERWATCH_PG_PLAIN")
    if plain:
        os.environ["BORDERWATCH_PG_PLAIN"] = "1"
    try:
        yield f"{PG}/{name}", tmp / f"{name}.audit-key"
    finally:
        if old is None:
            os.environ.pop("BORDERWATCH_PG_PLAIN", None)
        else:
            os.environ["BORDERWATCH_PG_PLAIN"] = old
        with eng.connect() as c:  # type: ignore[attr-defined]
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        eng.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def pgstore(tmp_path: Path) -> Iterator[Store]:
    for url, key in fresh_db(tmp_path):
        st = open_store(url, audit_key_path=key)
        try:
            yield st
        finally:
            st.close()


@pytest.fixture
def plainstore(tmp_path: Path) -> Iterator[Store]:
    for url, key in fresh_db(tmp_path, plain=True):
        st = open_store(url, audit_key_path=key)
        try:
            yield st
        finally:
            st.close()


def _partitions(st: Store, table: str) -> list[str]:
    q = text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :t ORDER BY 1"
    )
    with st.engine.connect() as c:
        return [r[0] for r in c.execute(q, {"t": table})]


def test_migrations_partition_the_big_tables_and_add_postgis(pgstore: Store) -> None:
    assert pg.has_postgis(pgstore)
    for table in ("reports", "track_points"):
        parts = _partitions(pgstore, table)
        assert f"{table}_default" in parts
        assert len(parts) >= 9  # yesterday .. a week ahead, plus DEFAULT
    with pgstore.engine.connect() as c:
        idx = {r[0] for r in c.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'track_points'"))}
        kinds = {r[0] for r in c.execute(text("SELECT partstrat FROM pg_partitioned_table"))}
    assert "ix_track_points_geom" in idx and kinds == {"r"}


def test_reports_land_in_their_day_and_ids_increase(pgstore: Store) -> None:
    now = time.time()
    rows = [ReportRow("ac-001", i, now, now + i, f'{{"i": {i}}}') for i in range(5)]
    rows.append(ReportRow("ac-001", 9, now, now - 40 * 86400.0, '{"old": true}'))  # no partition: DEFAULT
    ids = append_reports(pgstore, rows)
    assert ids == sorted(ids) and len(set(ids)) == 6
    assert last_seq(pgstore, "ac-001") == 9
    got = reports_in_window(pgstore, now - 1, now + 10)
    assert [r.seq for _, r in got] == [0, 1, 2, 3, 4]
    with pgstore.engine.connect() as c:
        n_default = c.execute(text("SELECT count(*) FROM reports_default")).scalar_one()
    assert n_default == 1
    made = pg.ensure_partitions(pgstore, now - 40 * 86400.0, now - 40 * 86400.0)
    assert made  # the old day got its partition, and its row moved there
    with pgstore.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM reports_default")).scalar_one() == 0
        assert c.execute(text("SELECT count(*) FROM reports")).scalar_one() == 6


def _random_points(rng: np.random.Generator, n: int, t0: float) -> list[dict[str, object]]:
    lat = rng.uniform(56.0, 57.0, n)
    lon = rng.uniform(27.0, 28.5, n)
    t = t0 + rng.uniform(0, 3600.0, n)
    return [
        {"track": f"T{int(k) % 40}", "t": float(tt), "lat": float(a), "lon": float(o)}
        for k, (a, o, tt) in enumerate(zip(lat, lon, t, strict=True))
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_spatial_query_postgis_equals_plain_columns(pgstore: Store, plainstore: Store, seed: int) -> None:
    rng = np.random.default_rng(seed)
    t0 = time.time()
    pts = _random_points(rng, 3000, t0)
    write_track_points(pgstore, pts)
    write_track_points(plainstore, pts)
    assert pg.has_postgis(pgstore) and not pg.has_postgis(plainstore)
    # the answer is kept per store (asked on every spatial query)
    assert pgstore.features["postgis"] is True and plainstore.features["postgis"] is False
    cx, cy = rng.uniform(27.3, 28.2), rng.uniform(56.2, 56.8)
    poly = [(cx - 0.2, cy - 0.1), (cx + 0.25, cy - 0.05), (cx + 0.1, cy + 0.15), (cx - 0.15, cy + 0.1)]
    w0, w1 = t0 + 600, t0 + 2400
    a = pg.tracks_in_area(pgstore, poly, w0, w1)
    b = pg.tracks_in_area(plainstore, poly, w0, w1)
    assert a == b and a  # the same tracks, counts and times either way
    import shapely

    area = shapely.Polygon(poly)
    expect = sorted(
        {str(p["track"]) for p in pts if w0 <= p["t"] <= w1 and area.intersects(shapely.Point(p["lon"], p["lat"]))}  # type: ignore[operator, arg-type]
    )
    assert [x.track for x in a] == expect
    plan = pg.explain(pgstore, poly, w0, w1)
    assert re.search(r"Index Scan (using|on) \S*geom\S*", plan), plan  # answered from the spatial index


def test_audit_chain_verifies_and_finds_an_edit_on_postgresql(pgstore: Store) -> None:
    for i in range(5):
        append_audit(pgstore, "op", "decision.approve", f"recommendation:R{i}", {"i": i})
    assert verify_audit(pgstore).ok
    with pgstore.engine.begin() as c, pytest.raises(Exception, match="append-only"):
        c.execute(text("UPDATE audit SET actor = 'mallory' WHERE seq = 3"))
    with pgstore.engine.begin() as c:  # someone with DDL rights goes round the trigger
        c.execute(text("ALTER TABLE audit DISABLE TRIGGER audit_append_only"))
        c.execute(text("UPDATE audit SET actor = 'mallory' WHERE seq = 3"))
    rep = verify_audit(pgstore)
    assert [(p.seq, p.kind) for p in rep.problems] == [(3, "edited")]


def test_cli_audit_verify_on_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from borderwatch.cli import app

    for url, key in fresh_db(tmp_path):
        monkeypatch.setenv("BORDERWATCH_AUDIT_KEY", str(key))
        st = open_store(url)
        append_audit(st, "admin", "user.add", "op", {})
        st.close()
        res = CliRunner().invoke(app, ["audit", "verify", "--store", url])
        assert res.exit_code == 0, res.output
        assert "intact: 1 rows" in res.output
