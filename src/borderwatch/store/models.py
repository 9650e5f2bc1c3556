"""SQLAlchemy 2 models of the operations store (typed ``Mapped[...]`` columns, portable types only).

The schema changes only through a migration in ``store/migrations/versions``; ``tests/store/test_models.py``
checks that the models and the migrations agree. Times are UTC epoch seconds as ``Float`` (double precision);
free-form records are ``JSON`` (TEXT on SQLite, JSON on PostgreSQL). Nothing here is SQLite-only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAME = 128  # length of names and ids (sensor ids, track ids, user names)
# 64-bit ids for the high-volume tables (2**31 reports is 5 days at 5,000/s); on SQLite an INTEGER PRIMARY KEY
# (the rowid, 64-bit already) so that it autoincrements
BigId = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    """Declarative base of every store table."""


class Report(Base):
    """A sensor report as received: one line of the report contract, with the message it came in."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_sensor_seq", "sensor", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sensor: Mapped[str] = mapped_column(String(NAME))
    seq: Mapped[int] = mapped_column(BigInteger)  # the message's sequence number (several reports may share it)
    t_sent: Mapped[float] = mapped_column(Float)
    t_ingest: Mapped[float] = mapped_column(Float, index=True)
    body: Mapped[str] = mapped_column(Text)


class TrackPoint(Base):
    """One track state at one time."""

    __tablename__ = "track_points"
    __table_args__ = (Index("ix_track_points_track_t", "track", "t"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    track: Mapped[str] = mapped_column(String(NAME))
    t: Mapped[float] = mapped_column(Float, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    alt_m: Mapped[float | None] = mapped_column(Float)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class Assessment(Base):
    """A threat assessment of one track at one time."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    track: Mapped[str] = mapped_column(String(NAME), index=True)
    t: Mapped[float] = mapped_column(Float, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class Alert(Base):
    """An alert (upserted by its engine id)."""

    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    t: Mapped[float] = mapped_column(Float, index=True)
    track: Mapped[str | None] = mapped_column(String(NAME), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class AlertAck(Base):
    """Who acknowledged an alert, and when."""

    __tablename__ = "alert_acks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id"), index=True)
    who: Mapped[str] = mapped_column(String(NAME))
    t: Mapped[float] = mapped_column(Float)


class Recommendation(Base):
    """A response recommendation (upserted by its engine id)."""

    __tablename__ = "recommendations"

    id: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    t: Mapped[float] = mapped_column(Float, index=True)
    track: Mapped[str | None] = mapped_column(String(NAME), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class Decision(Base):
    """An operator's decision on a recommendation (written once, never changed)."""

    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    t: Mapped[float] = mapped_column(Float, index=True)
    recommendation: Mapped[str | None] = mapped_column(String(NAME), index=True)
    who: Mapped[str | None] = mapped_column(String(NAME))
    approved: Mapped[bool | None] = mapped_column(Boolean)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class Engagement(Base):
    """An engagement of an approved recommendation (upserted by its engine id as its outcome arrives)."""

    __tablename__ = "engagements"

    id: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    t: Mapped[float] = mapped_column(Float, index=True)
    track: Mapped[str | None] = mapped_column(String(NAME), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class User(Base):
    """An operator account; ``pw_hash`` is an argon2id hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    pw_hash: Mapped[str] = mapped_column(String(256))
    created: Mapped[float] = mapped_column(Float)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class Token(Base):
    """A bearer token, stored only as the SHA-256 of the token string."""

    __tablename__ = "tokens"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created: Mapped[float] = mapped_column(Float)
    expires: Mapped[float] = mapped_column(Float)


class SensorKey(Base):
    """One version of a sensor's HMAC key.

    ``status``: ``active``, ``retired`` (still valid until ``valid_until``) or ``revoked``.
    """

    __tablename__ = "sensor_keys"
    __table_args__ = (UniqueConstraint("sensor", "version", name="uq_sensor_keys_sensor_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sensor: Mapped[str] = mapped_column(String(NAME), index=True)
    version: Mapped[int] = mapped_column(Integer)
    secret: Mapped[bytes] = mapped_column(LargeBinary(64))
    status: Mapped[str] = mapped_column(String(16))
    created: Mapped[float] = mapped_column(Float)
    rotated_at: Mapped[float | None] = mapped_column(Float)
    valid_until: Mapped[float | None] = mapped_column(Float)


class SensorHealth(Base):
    """Last report time and report count of one sensor."""

    __tablename__ = "sensor_health"

    sensor: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    last_report_t: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)


class AuditRow(Base):
    """One entry of the append-only, HMAC-chained audit log (see ``store/audit.py``)."""

    __tablename__ = "audit"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    t: Mapped[float] = mapped_column(Float, index=True)
    actor: Mapped[str] = mapped_column(String(NAME))
    action: Mapped[str] = mapped_column(String(NAME))
    subject: Mapped[str] = mapped_column(String(256))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON text, exactly as hashed
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class EventVersionRow(Base):
    """One version of a border event (``crossings.model.EventVersion``): appended, never changed.

    ``body`` is the version as JSON; ``event_id``, ``version``, ``action``, ``time_s``, ``section`` and
    ``category`` are copied out of it for queries. On SQLite, triggers refuse UPDATE and DELETE.
    """

    __tablename__ = "event_versions"
    __table_args__ = (
        UniqueConstraint("event_id", "version", name="uq_event_versions_event_version"),
        Index("ix_event_versions_section_time", "section", "time_s"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(NAME), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(NAME))
    recorded_s: Mapped[float] = mapped_column(Float)
    time_s: Mapped[float] = mapped_column(Float, index=True)
    section: Mapped[str] = mapped_column(String(NAME))
    category: Mapped[str] = mapped_column(String(32))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
