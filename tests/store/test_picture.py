"""The picture over time: writes from dicts and engine records, upserts, acks, history windows."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borderwatch.errors import InputError, NotFoundError
from borderwatch.response.decisions import Decision, Engagement
from borderwatch.store import Store
from borderwatch.store.picture import (
    ack_alert,
    acks_for,
    history,
    upsert_alert,
    upsert_engagement,
    upsert_recommendation,
    write_assessments,
    write_decision,
    write_track_points,
)
from borderwatch.threat.alerts import Alert, AlertKind


def _point(track: str, t: float) -> dict[str, object]:
    return {"t": t, "track": track, "lat": 56.5, "lon": 27.5, "alt_m": 120.0, "status": "confirmed"}


def test_history_window_and_order(store: Store) -> None:
    write_track_points(store, [_point("T2", 12.0), _point("T1", 10.0), _point("T1", 20.0)])
    write_assessments(store, [{"track": "T1", "t": 11.0, "threat": 0.7}])
    h = history(store, 10.0, 20.0)
    assert [(p["track"], p["t"]) for p in h["track_points"]] == [("T1", 10.0), ("T2", 12.0)]
    assert h["assessments"] == [{"track": "T1", "t": 11.0, "threat": 0.7}]
    assert set(h) == {"track_points", "assessments", "alerts", "recommendations", "decisions", "engagements"}


def test_engine_records_are_stored_whole(store: Store) -> None:
    alert = Alert("A00001", 5.0, AlertKind.CROSSED, "alarm", "T1", "hostile", 56.1, 27.2, "crossed the border")
    upsert_alert(store, alert)
    dec = Decision("D00001", "R00001", True, "alice", 6.0, "in range")
    write_decision(store, dec)
    eng = Engagement("E00001", "R00001", "D00001", "T1", "u1", "interceptor", 6.5, 40.0, 0.8, 20000.0)
    upsert_engagement(store, eng)
    h = history(store, 0.0, 100.0)
    assert h["alerts"][0] == {**alert.to_json(), "acks": []}
    assert h["decisions"][0]["who"] == "alice" and h["decisions"][0]["approved"] is True
    assert h["engagements"][0]["t_launch"] == 6.5


def test_upserts_replace_by_id(store: Store) -> None:
    upsert_recommendation(store, {"id": "R1", "t": 1.0, "track": "T1", "pk": 0.5})
    upsert_recommendation(store, {"id": "R1", "t": 1.0, "track": "T1", "pk": 0.9})
    upsert_engagement(store, {"id": "E1", "t_launch": 2.0, "track": "T1"})
    upsert_engagement(store, {"id": "E1", "t_launch": 2.0, "track": "T1", "outcome": "kill"})
    h = history(store, 0.0, 10.0)
    assert [r["pk"] for r in h["recommendations"]] == [0.9]
    assert [e.get("outcome") for e in h["engagements"]] == ["kill"]


def test_decisions_are_never_replaced(store: Store) -> None:
    write_decision(store, {"id": "D1", "t": 1.0, "recommendation": "R1", "who": "a", "approved": True})
    with pytest.raises(InputError, match="already recorded"):
        write_decision(store, {"id": "D1", "t": 1.0, "recommendation": "R1", "who": "b", "approved": False})
    assert history(store, 0.0, 2.0)["decisions"][0]["who"] == "a"


def test_acks(store: Store) -> None:
    upsert_alert(store, {"id": "A1", "t": 1.0, "track": "T1"})
    ack_alert(store, "A1", "alice", 2.0)
    ack_alert(store, "A1", "bob", 3.0)
    assert acks_for(store, "A1") == [{"who": "alice", "t": 2.0}, {"who": "bob", "t": 3.0}]
    assert history(store, 0.0, 5.0)["alerts"][0]["acks"] == acks_for(store, "A1")
    with pytest.raises(NotFoundError):
        ack_alert(store, "A404", "alice", 2.0)
    with pytest.raises(InputError):
        ack_alert(store, "A1", " ", 2.0)


@pytest.mark.parametrize(
    "rec,field",
    [
        ({"track": "T1", "lat": 1.0, "lon": 2.0}, "t"),
        ({"t": float("nan"), "track": "T1", "lat": 1.0, "lon": 2.0}, "t"),
        ({"t": 1.0, "track": "", "lat": 1.0, "lon": 2.0}, "track"),
        ({"t": 1.0, "track": "T1", "lat": "x", "lon": 2.0}, "lat"),
        ({"t": 1.0, "track": "T1", "lat": 1.0, "lon": float("inf")}, "lon"),
    ],
)
def test_bad_records_name_the_field_and_store_nothing(store: Store, rec: dict[str, object], field: str) -> None:
    with pytest.raises(InputError, match=field):
        write_track_points(store, [_point("T1", 1.0), rec])
    assert history(store, 0.0, 10.0)["track_points"] == []


def test_unstorable_type_refused(store: Store) -> None:
    with pytest.raises(InputError, match="cannot store"):
        write_assessments(store, [42])


def test_non_finite_values_inside_records_are_stored_as_null(store: Store) -> None:
    p = {**_point("T1", 1.0), "alt_m": float("nan"), "cov": [[float("inf"), 1.0]]}
    write_track_points(store, [p])
    got = history(store, 0.0, 2.0)["track_points"][0]
    assert got["alt_m"] is None and got["cov"] == [[None, 1.0]]


json_leaf = st.none() | st.booleans() | st.integers(-(2**62), 2**62) | st.floats() | st.text(max_size=10)
records = st.dictionaries(
    st.sampled_from(["t", "track", "lat", "lon", "alt_m", "id", "x"]),
    st.recursive(json_leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3)),
    max_size=7,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records)
def test_fuzzed_records_are_stored_or_refused_with_a_reason(store: Store, rec: dict[str, object]) -> None:
    for write in (lambda r: write_track_points(store, [r]), lambda r: upsert_alert(store, r)):
        try:
            write(rec)
        except InputError as exc:
            assert str(exc)


def test_history_limit_and_kinds(store: Store) -> None:
    write_track_points(store, [_point("T1", float(t)) for t in range(10)])
    upsert_alert(store, {"id": "A1", "t": 1.0, "track": "T1"})
    h = history(store, 0.0, 100.0, limit=3, kinds=["track_points"])
    assert list(h) == ["track_points"]
    assert [p["t"] for p in h["track_points"]] == [0.0, 1.0, 2.0]
    assert history(store, 0.0, 100.0, kinds=["alerts"])["alerts"][0]["acks"] == []
    with pytest.raises(InputError, match="unknown kind"):
        history(store, 0.0, 1.0, kinds=["tracks"])


def test_non_json_value_after_a_nan_is_still_refused(store: Store) -> None:
    with pytest.raises(InputError, match="not JSON"):
        write_track_points(store, [{**_point("T1", 1.0), "a": float("nan"), "z": {1, 2}}])
    assert history(store, 0.0, 2.0)["track_points"] == []
