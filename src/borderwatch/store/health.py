"""Sensor health: the last report time and the number of reports of each sensor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from borderwatch.store._tx import transaction
from borderwatch.store.db import Store
from borderwatch.store.models import SensorHealth


@dataclass(frozen=True, slots=True)
class Health:
    """One sensor's last report time (UTC epoch s) and report count."""

    sensor: str
    last_report_t: float
    count: int


def touch_sensors(store: Store, counts: Mapping[str, tuple[float, int]], *, session: Session | None = None) -> None:
    """Add ``n`` reports and a report time ``last_t`` per sensor (the stored time only moves forward)."""
    if not counts:
        return
    with transaction(store, session) as s:
        rows = {h.sensor: h for h in s.scalars(select(SensorHealth).where(SensorHealth.sensor.in_(list(counts))))}
        for sensor, (last_t, n) in counts.items():
            h = rows.get(sensor)
            if h is None:
                s.add(SensorHealth(sensor=sensor, last_report_t=float(last_t), count=int(n)))
            else:
                h.last_report_t = max(h.last_report_t, float(last_t))
                h.count += int(n)


def sensor_health(store: Store) -> list[Health]:
    """Every sensor that has reported, by id."""
    with store.session(readonly=True) as s:
        return [
            Health(h.sensor, h.last_report_t, h.count)
            for h in s.scalars(select(SensorHealth).order_by(SensorHealth.sensor))
        ]
