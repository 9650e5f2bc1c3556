"""PostgreSQL: time-partitioned reports and track points; PostGIS point geometry with a GiST index

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 00:05:00

On PostgreSQL only (SQLite is left as 0001 made it):

* ``reports`` becomes ``PARTITION BY RANGE (t_ingest)`` and ``track_points`` ``PARTITION BY RANGE (t)``, each
  with a DEFAULT partition (so an insert never fails for want of a partition); daily partitions are added by
  :func:`borderwatch.store.postgres.ensure_partitions` (``open_store`` covers yesterday to a week ahead). The
  primary key becomes ``(id, <time>)``, as PostgreSQL requires the partition key in it; ``id`` still comes from
  one sequence, so it stays unique and increasing.
* Where the server has PostGIS (``pg_available_extensions``), ``CREATE EXTENSION postgis``, a
  ``geom geometry(Point, 4326)`` column on ``track_points`` filled by a trigger from ``lon``/``lat`` (the
  portable models and writers stay unchanged) and a GiST index on it, and on ``(geom, t)`` where btree_gist
  exists (a polygon and a time window in one index scan). Without PostGIS the table keeps its
  plain ``lat``/``lon`` columns and gets a B-tree on ``(lat, lon)``.
* Triggers that refuse UPDATE and DELETE on ``audit`` (SQLite has had them since 0001).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PARTITIONED = {
    # table: (time column, column DDL, indexes (name, columns))
    "reports": (
        "t_ingest",
        "sensor VARCHAR(128) NOT NULL, seq BIGINT NOT NULL, t_sent DOUBLE PRECISION NOT NULL, "
        "t_ingest DOUBLE PRECISION NOT NULL, body TEXT NOT NULL",
        [("ix_reports_sensor_seq", "sensor, seq"), ("ix_reports_t_ingest", "t_ingest")],
    ),
    "track_points": (
        "t",
        "track VARCHAR(128) NOT NULL, t DOUBLE PRECISION NOT NULL, lat DOUBLE PRECISION NOT NULL, "
        "lon DOUBLE PRECISION NOT NULL, alt_m DOUBLE PRECISION, data JSON NOT NULL",
        [("ix_track_points_t", "t"), ("ix_track_points_track_t", "track, t")],
    ),
}


def _enable_postgis() -> bool:
    """PostGIS installed in this database (created here if the server has it and we may); False otherwise.

    ``BORDERWATCH_PG_PLAIN=1`` forces the plain-column schema (to test a server without PostGIS).
    """
    import os

    if os.environ.get("BORDERWATCH_PG_PLAIN") == "1":
        return False
    return _enable_extension("postgis")


def _enable_extension(name: str) -> bool:
    """CREATE EXTENSION if the server has it and we may (in a savepoint: a refusal leaves the migration going)."""
    bind = op.get_bind()
    if bind.exec_driver_sql(f"SELECT 1 FROM pg_extension WHERE extname = '{name}'").first():
        return True
    if not bind.exec_driver_sql(f"SELECT 1 FROM pg_available_extensions WHERE name = '{name}'").first():
        return False
    try:
        with bind.begin_nested():
            bind.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {name}")
    except Exception:  # not allowed to create extensions
        return False
    return True


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table, (tcol, cols, indexes) in _PARTITIONED.items():
        op.execute(f"ALTER TABLE {table} RENAME TO {table}_0001")
        for name, _ in indexes:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY NONE")
        op.execute(
            f"CREATE TABLE {table} (id BIGINT NOT NULL DEFAULT nextval('{table}_id_seq'), {cols}, "
            f"PRIMARY KEY (id, {tcol})) PARTITION BY RANGE ({tcol})"
        )
        op.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY {table}.id")
        op.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
        for name, what in indexes:
            op.execute(f"CREATE INDEX {name} ON {table} ({what})")
        colnames = ", ".join(["id"] + [c.split()[0] for c in cols.split(", ")])
        op.execute(f"INSERT INTO {table} ({colnames}) SELECT {colnames} FROM {table}_0001")
        op.execute(f"DROP TABLE {table}_0001")
    if _enable_postgis():
        op.execute("ALTER TABLE track_points ADD COLUMN geom geometry(Point, 4326)")
        op.execute("UPDATE track_points SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)")
        op.execute(
            "CREATE FUNCTION borderwatch_track_geom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "NEW.geom := ST_SetSRID(ST_MakePoint(NEW.lon, NEW.lat), 4326); RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER track_points_geom BEFORE INSERT OR UPDATE OF lat, lon ON track_points "
            "FOR EACH ROW EXECUTE FUNCTION borderwatch_track_geom()"
        )
        op.execute("CREATE INDEX ix_track_points_geom ON track_points USING gist (geom)")
        if _enable_extension("btree_gist"):  # polygon AND time window answered by one index scan
            op.execute("CREATE INDEX ix_track_points_geom_t ON track_points USING gist (geom, t)")
    else:
        op.execute("CREATE INDEX ix_track_points_lat_lon ON track_points (lat, lon)")
    op.execute(
        "CREATE FUNCTION borderwatch_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'the audit log is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
        "FOR EACH ROW EXECUTE FUNCTION borderwatch_audit_append_only()"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_append_only ON audit")
    op.execute("DROP FUNCTION IF EXISTS borderwatch_audit_append_only()")
    op.execute("DROP TRIGGER IF EXISTS track_points_geom ON track_points")
    op.execute("DROP FUNCTION IF EXISTS borderwatch_track_geom()")
    for table, (_tcol, cols, indexes) in _PARTITIONED.items():
        colnames = ", ".join(["id"] + [c.split()[0] for c in cols.split(", ")])
        op.execute(f"ALTER TABLE {table} RENAME TO {table}_0002")
        for name, _ in indexes:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY NONE")
        op.execute(f"CREATE TABLE {table} (id BIGINT NOT NULL DEFAULT nextval('{table}_id_seq') PRIMARY KEY, {cols})")
        op.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY {table}.id")
        for name, what in indexes:
            op.execute(f"CREATE INDEX {name} ON {table} ({what})")
        op.execute(f"INSERT INTO {table} ({colnames}) SELECT {colnames} FROM {table}_0002")
        op.execute(f"DROP TABLE {table}_0002 CASCADE")
