"""Raw sensor reports as received: durable append, replay after a restart, per-sensor sequence numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.orm import Session

from borderwatch.errors import InputError
from borderwatch.store._tx import transaction
from borderwatch.store.db import Store
from borderwatch.store.models import Report

MAX_SEQ = 2**63 - 1


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One report line as received.

    ``seq`` and ``t_sent`` are those of the signed message it came in (several rows may share them);
    ``t_ingest`` is the receiver's clock (UTC epoch s); ``body`` the report's JSON text exactly as received.
    """

    sensor: str
    seq: int
    t_sent: float
    t_ingest: float
    body: str


def append_reports(store: Store, rows: Sequence[ReportRow], *, session: Session | None = None) -> list[int]:
    """Insert ``rows`` in one transaction and return their ids in order.

    Without ``session`` the transaction is committed (WAL, ``synchronous=FULL``) before this returns, so the
    rows are durable when it returns; with ``session`` they are durable when the caller commits.
    """
    if not rows:
        return []
    _check(rows)
    with transaction(store, session) as s:
        conn = s.connection()
        return _append_sqlite(conn, rows) if conn.dialect.name == "sqlite" else _append_returning(conn, rows)


def _append_returning(conn: Connection, rows: Sequence[ReportRow]) -> list[int]:
    """Portable path (PostgreSQL): INSERT ... RETURNING id, in parameter order."""
    params = [
        {"sensor": r.sensor, "seq": r.seq, "t_sent": r.t_sent, "t_ingest": r.t_ingest, "body": r.body} for r in rows
    ]
    stmt = insert(Report).returning(Report.id, sort_by_parameter_order=True)
    return list(conn.execute(stmt, params).scalars())


def _append_sqlite(conn: Connection, rows: Sequence[ReportRow]) -> list[int]:
    """One ``executemany`` (6.9 ms per 100-row batch here against 10.7 ms for INSERT ... RETURNING).

    The write transaction holds SQLite's write lock from its first statement (``BEGIN IMMEDIATE``) and the
    table has no AUTOINCREMENT, so the new rowids are ``max + 1, ..., max + n``: the last one is
    ``last_insert_rowid()``.
    """
    conn.exec_driver_sql(
        "INSERT INTO reports (sensor, seq, t_sent, t_ingest, body) VALUES (?, ?, ?, ?, ?)",
        [(r.sensor, r.seq, r.t_sent, r.t_ingest, r.body) for r in rows],
    )
    last = int(conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one())
    return list(range(last - len(rows) + 1, last + 1))


def reports_since(store: Store, after_id: int, limit: int) -> list[tuple[int, ReportRow]]:
    """Up to ``limit`` reports with id > ``after_id``, in id order (replay after a restart)."""
    stmt = select(Report).where(Report.id > after_id).order_by(Report.id).limit(limit)
    with store.session(readonly=True) as s:
        return [(r.id, _row(r)) for r in s.scalars(stmt)]


def reports_in_window(store: Store, t0: float, t1: float, *, limit: int | None = None) -> list[tuple[int, ReportRow]]:
    """Reports ingested in ``t0 <= t_ingest < t1`` (UTC epoch s), in id order (at most ``limit``)."""
    stmt = select(Report).where(Report.t_ingest >= t0, Report.t_ingest < t1).order_by(Report.id).limit(limit)
    with store.session(readonly=True) as s:
        return [(r.id, _row(r)) for r in s.scalars(stmt)]


def last_seq(store: Store, sensor: str) -> int | None:
    """The highest message sequence number stored for ``sensor``, None if it has sent nothing."""
    with store.session(readonly=True) as s:
        return s.scalar(select(func.max(Report.seq)).where(Report.sensor == sensor))


def last_seqs(store: Store) -> dict[str, int]:
    """The highest stored message sequence number of every sensor (to refuse replays after a restart)."""
    stmt = select(Report.sensor, func.max(Report.seq)).group_by(Report.sensor)
    with store.session(readonly=True) as s:
        return {sensor: int(seq) for sensor, seq in s.execute(stmt)}


def last_report_id(store: Store) -> int:
    """The highest report id (0 for an empty store)."""
    with store.session(readonly=True) as s:
        return s.scalar(select(func.max(Report.id))) or 0


def _check(rows: Sequence[ReportRow]) -> None:
    """InputError naming the row and field for a value of the wrong type (SQLite would store it anyway)."""
    for i, r in enumerate(rows):
        for name, ok in (
            ("sensor", isinstance(r.sensor, str) and bool(r.sensor)),
            ("seq", isinstance(r.seq, int) and not isinstance(r.seq, bool) and 0 <= r.seq <= MAX_SEQ),
            ("t_sent", isinstance(r.t_sent, int | float) and math.isfinite(r.t_sent)),
            ("t_ingest", isinstance(r.t_ingest, int | float) and math.isfinite(r.t_ingest)),
            ("body", isinstance(r.body, str)),
        ):
            if not ok:
                raise InputError(f"bad value {str(getattr(r, name))[:40]!r}", field=f"rows[{i}].{name}")


def _row(r: Report) -> ReportRow:
    return ReportRow(r.sensor, r.seq, r.t_sent, r.t_ingest, r.body)
