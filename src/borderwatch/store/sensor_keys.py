"""Sensor HMAC keys: enrolment, rotation with a grace period, revocation, the keys valid now.

Each sensor has numbered key versions. The newest is ``active``; rotating marks the previous one ``retired``
with ``valid_until = now + grace_s`` so that messages signed just before the rotation still verify; revoking
marks every version ``revoked`` and the sensor has no valid key until it is added again. Keys are random
32-byte secrets stored in the database (the receiver needs them to check an HMAC, so they cannot be hashed):
protect the database file accordingly.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from borderwatch.errors import InputError, NotFoundError
from borderwatch.store._tx import transaction
from borderwatch.store.db import Store
from borderwatch.store.models import NAME, SensorKey

KEY_BYTES = 32
DEFAULT_GRACE_S = 60.0
ACTIVE, RETIRED, REVOKED = "active", "retired", "revoked"


@dataclass(frozen=True, slots=True)
class SensorStatus:
    """A sensor's key state: ``status`` is ``active``, ``revoked`` or ``unknown``."""

    sensor: str
    status: str
    key_version: int | None
    created: float | None  # when the current key version was made
    rotated_at: float | None  # when the previous version was retired (None if never rotated)


def add_sensor(store: Store, sensor_id: str, *, now: float | None = None, session: Session | None = None) -> bytes:
    """Enrol a sensor (or re-enrol a revoked one) and return its new key, which is shown only this once.

    InputError if the sensor already has an active key (use :func:`rotate_key`).
    """
    _check_id(sensor_id)
    with transaction(store, session) as s:
        versions = _versions(s, sensor_id)
        if any(k.status == ACTIVE for k in versions):
            raise InputError(f"sensor {sensor_id!r} already has an active key; rotate it instead", field="sensor")
        return _new_key(s, sensor_id, 1 + max((k.version for k in versions), default=0), _now(now))


def rotate_key(
    store: Store,
    sensor_id: str,
    *,
    grace_s: float = DEFAULT_GRACE_S,
    now: float | None = None,
    session: Session | None = None,
) -> bytes:
    """Give the sensor a new key; the old one stays valid for ``grace_s`` seconds. Returns the new key.

    NotFoundError for an unknown sensor, InputError for a revoked one (add it again) or a negative grace.
    """
    if not grace_s >= 0:
        raise InputError(f"the grace period must be >= 0 s, got {grace_s}", field="grace_s")
    t = _now(now)
    with transaction(store, session) as s:
        versions = _versions(s, sensor_id)
        if not versions:
            raise NotFoundError(f"no sensor {sensor_id!r}")
        active = [k for k in versions if k.status == ACTIVE]
        if not active:
            raise InputError(f"sensor {sensor_id!r} is revoked; add it again for a new key", field="sensor")
        for k in active:
            k.status, k.rotated_at, k.valid_until = RETIRED, t, t + grace_s
        return _new_key(s, sensor_id, 1 + max(k.version for k in versions), t, rotated_at=t)


def revoke(store: Store, sensor_id: str, *, now: float | None = None, session: Session | None = None) -> None:
    """Revoke every key of the sensor at once (no grace); NotFoundError for an unknown sensor."""
    t = _now(now)
    with transaction(store, session) as s:
        versions = _versions(s, sensor_id)
        if not versions:
            raise NotFoundError(f"no sensor {sensor_id!r}")
        for k in versions:
            if k.status != REVOKED:
                k.status, k.valid_until = REVOKED, t


def keys_for(store: Store, sensor_id: str, now: float | None = None) -> list[bytes]:
    """The keys a message from ``sensor_id`` may be signed with at ``now``, newest first; [] if none."""
    return valid_keys(all_key_versions(store, sensor_id).get(sensor_id, []), _now(now))


@dataclass(frozen=True, slots=True)
class KeyVersion:
    """One key version as a receiver needs it (see :func:`valid_keys`)."""

    version: int
    secret: bytes
    status: str
    valid_until: float | None


def all_key_versions(store: Store, sensor_id: str | None = None) -> dict[str, list[KeyVersion]]:
    """Every sensor's key versions (oldest first), in one query: what a receiver caches to check signatures
    without a query per message. ``sensor_id``: only that sensor's."""
    stmt = select(SensorKey.sensor, SensorKey.version, SensorKey.secret, SensorKey.status, SensorKey.valid_until)
    if sensor_id is not None:
        stmt = stmt.where(SensorKey.sensor == sensor_id)
    out: dict[str, list[KeyVersion]] = {}
    with store.session(readonly=True) as s:
        for sensor, version, secret, status, valid_until in s.execute(stmt.order_by(SensorKey.version)):
            out.setdefault(sensor, []).append(KeyVersion(version, secret, status, valid_until))
    return out


def valid_keys(versions: list[KeyVersion], now: float) -> list[bytes]:
    """The keys of ``versions`` a message may be signed with at ``now``, newest first (as :func:`keys_for`)."""
    ok = [
        k
        for k in versions
        if k.status == ACTIVE or (k.status == RETIRED and k.valid_until is not None and k.valid_until > now)
    ]
    return [k.secret for k in sorted(ok, key=lambda k: -k.version)]


def sensor_status(store: Store, sensor_id: str) -> SensorStatus:
    """The sensor's key state (``unknown`` if it was never added)."""
    with store.session(readonly=True) as s:
        return _status(sensor_id, _versions(s, sensor_id))


def list_sensors(store: Store) -> list[SensorStatus]:
    """The key state of every sensor ever added, by id."""
    with store.session(readonly=True) as s:
        ids = s.scalars(select(SensorKey.sensor).distinct().order_by(SensorKey.sensor)).all()
        return [_status(i, _versions(s, i)) for i in ids]


def _status(sensor_id: str, versions: list[SensorKey]) -> SensorStatus:
    if not versions:
        return SensorStatus(sensor_id, "unknown", None, None, None)
    newest = versions[-1]
    status = ACTIVE if newest.status == ACTIVE else REVOKED
    return SensorStatus(sensor_id, status, newest.version, newest.created, newest.rotated_at)


def _versions(s: Session, sensor_id: str) -> list[SensorKey]:
    return list(s.scalars(select(SensorKey).where(SensorKey.sensor == sensor_id).order_by(SensorKey.version)))


def _new_key(s: Session, sensor_id: str, version: int, t: float, rotated_at: float | None = None) -> bytes:
    key = secrets.token_bytes(KEY_BYTES)
    s.add(SensorKey(sensor=sensor_id, version=version, secret=key, status=ACTIVE, created=t, rotated_at=rotated_at))
    s.flush()
    return key


def _check_id(sensor_id: str) -> None:
    if not isinstance(sensor_id, str) or not sensor_id.strip() or len(sensor_id) > NAME:
        raise InputError(f"a sensor id needs 1 to {NAME} characters", field="sensor")


def _now(now: float | None) -> float:
    return time.time() if now is None else float(now)
