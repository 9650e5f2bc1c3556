"""Sensor keys: enrolment, rotation with a grace period, revocation."""

from __future__ import annotations

import pytest

from borderwatch.errors import InputError, NotFoundError
from borderwatch.store import Store
from borderwatch.store.sensor_keys import (
    DEFAULT_GRACE_S,
    add_sensor,
    keys_for,
    list_sensors,
    revoke,
    rotate_key,
    sensor_status,
)


def test_add_returns_a_fresh_32_byte_key(store: Store) -> None:
    k1 = add_sensor(store, "ac-01", now=0.0)
    k2 = add_sensor(store, "ac-02", now=0.0)
    assert len(k1) == 32 and k1 != k2
    assert keys_for(store, "ac-01", 1.0) == [k1]
    st = sensor_status(store, "ac-01")
    assert (st.status, st.key_version, st.created, st.rotated_at) == ("active", 1, 0.0, None)
    with pytest.raises(InputError, match="already has an active key"):
        add_sensor(store, "ac-01")


def test_unknown_sensor(store: Store) -> None:
    assert keys_for(store, "nope", 0.0) == []
    assert sensor_status(store, "nope").status == "unknown"
    with pytest.raises(NotFoundError):
        rotate_key(store, "nope")
    with pytest.raises(NotFoundError):
        revoke(store, "nope")


def test_rotation_grace_period(store: Store) -> None:
    old = add_sensor(store, "ac-01", now=0.0)
    new = rotate_key(store, "ac-01", now=100.0)
    assert new != old
    assert keys_for(store, "ac-01", 100.0) == [new, old]
    assert keys_for(store, "ac-01", 100.0 + DEFAULT_GRACE_S - 0.001) == [new, old]
    assert keys_for(store, "ac-01", 100.0 + DEFAULT_GRACE_S) == [new]
    st = sensor_status(store, "ac-01")
    assert (st.status, st.key_version, st.rotated_at) == ("active", 2, 100.0)


def test_configurable_grace_and_double_rotation(store: Store) -> None:
    k1 = add_sensor(store, "r", now=0.0)
    k2 = rotate_key(store, "r", grace_s=5.0, now=10.0)
    k3 = rotate_key(store, "r", grace_s=5.0, now=12.0)
    assert keys_for(store, "r", 12.0) == [k3, k2, k1]
    assert keys_for(store, "r", 15.0) == [k3, k2]
    assert keys_for(store, "r", 17.0) == [k3]
    with pytest.raises(InputError):
        rotate_key(store, "r", grace_s=-1.0)


def test_revoke_cuts_every_key_at_once(store: Store) -> None:
    add_sensor(store, "ac-01", now=0.0)
    rotate_key(store, "ac-01", now=10.0)
    revoke(store, "ac-01", now=11.0)
    assert keys_for(store, "ac-01", 11.0) == []
    assert sensor_status(store, "ac-01").status == "revoked"
    with pytest.raises(InputError, match="revoked"):
        rotate_key(store, "ac-01")
    k = add_sensor(store, "ac-01", now=20.0)  # re-enrolment gives a new version
    assert keys_for(store, "ac-01", 20.0) == [k]
    assert sensor_status(store, "ac-01").key_version == 3


def test_list_sensors(store: Store) -> None:
    add_sensor(store, "b")
    add_sensor(store, "a")
    revoke(store, "b")
    assert [(s.sensor, s.status) for s in list_sensors(store)] == [("a", "active"), ("b", "revoked")]


def test_cached_versions_give_the_keys_the_store_gives(store: Store) -> None:
    """A receiver's cache (every version read in one query, checked at use time) agrees with keys_for in every
    state: active, rotated (old key in and past its grace), revoked, re-enrolled."""
    from borderwatch.store.sensor_keys import all_key_versions, valid_keys

    add_sensor(store, "a", now=0.0)
    add_sensor(store, "b", now=0.0)
    rotate_key(store, "b", grace_s=60.0, now=100.0)
    add_sensor(store, "c", now=0.0)
    revoke(store, "c", now=50.0)
    add_sensor(store, "d", now=0.0)
    revoke(store, "d", now=50.0)
    add_sensor(store, "d", now=70.0)
    table = all_key_versions(store)
    assert set(table) == {"a", "b", "c", "d"}
    assert all_key_versions(store, "b") == {"b": table["b"]}
    for now in (10.0, 120.0, 159.0, 161.0, 1e9):
        for s in "abcd":
            assert valid_keys(table[s], now) == keys_for(store, s, now), (s, now)
    assert len(valid_keys(table["b"], 120.0)) == 2 and len(valid_keys(table["b"], 161.0)) == 1
    assert valid_keys(table["c"], 10.0) == []
