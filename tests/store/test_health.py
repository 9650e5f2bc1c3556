"""Sensor health counters."""

from __future__ import annotations

from borderwatch.store import Store
from borderwatch.store.health import Health, sensor_health, touch_sensors


def test_touch_accumulates_and_time_only_moves_forward(store: Store) -> None:
    touch_sensors(store, {"a": (10.0, 3), "b": (5.0, 1)})
    touch_sensors(store, {"a": (8.0, 2)})
    touch_sensors(store, {})
    assert sensor_health(store) == [Health("a", 10.0, 5), Health("b", 5.0, 1)]
