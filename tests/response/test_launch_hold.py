"""Held launch: an interceptor flies the shortest flight that keeps a reserve before the deadline, not before its
track is firm, and falls back to the earliest intercept when waiting leaves none."""

from __future__ import annotations

import numpy as np

from borderwatch.response.effectors import Unit, load_effector_catalogue
from borderwatch.response.feasibility import Option, ThreatState, feasible_options

CAT = load_effector_catalogue()
GUIDANCE = {"shahed": "gnss"}


def _base() -> tuple[list[Unit], np.ndarray]:
    u = Unit("IDB", "interceptor_drone", CAT.types["interceptor_drone"], 0.0, 0.0, 4, 2)
    return [u], np.zeros((1, 2))


def _flight(o: Option) -> float:
    """Seconds from launch to intercept (reaction + flight to the point) of a unit at the origin."""
    t = CAT.types["interceptor_drone"]
    return t.reaction_s.value + max(float(np.hypot(o.x, o.y)) - t.engage_range_m.value, 0.0) / t.speed_mps.value


def _one(threat: ThreatState, **kw: object) -> Option:
    units, xy = _base()
    opts = feasible_options(units, xy, [threat], guidance_of=GUIDANCE, horizon_s=1800, **kw)  # type: ignore[arg-type]
    assert len(opts) == 1
    return opts[0]


def test_held_launch_takes_the_shortest_flight_and_keeps_the_reserve() -> None:
    # a drone 20 km east and 8 km north, flying west at 45 m/s: it passes 8 km north of the base after ~444 s
    for y0, deadline in ((8000.0, 1500.0), (5000.0, 1200.0), (12_000.0, 1700.0)):
        th = ThreatState("T1", 20_000.0, y0, -45.0, 0.0, deadline, {"shahed": 1.0}, 1e5)
        early = _one(th)
        held = _one(th, hold_reserve_s=240.0)
        assert held.t_s > early.t_s
        assert _flight(held) < _flight(early) - 30.0
        assert abs(held.x) < 500.0  # no flight of 120 s exists: the shortest, abeam the base (5 s samples)
        assert held.margin_s >= 240.0
        assert "launch held" in held.note
        launch = held.t_s - _flight(held)
        assert launch > 0.0  # the interceptor waits on the ground


def test_held_launch_waits_for_a_short_flight_and_a_firm_track() -> None:
    # closing head-on from 30 km: launched at once the interceptor would fly 218 s; held, it launches when the
    # intercept is at most 120 s away
    th = ThreatState("T2", 30_000.0, 0.0, -45.0, 0.0, 1500.0, {"shahed": 1.0}, 1e5)
    early = _one(th)
    assert early.t_s - _flight(early) < 5.0  # launch now
    held = _one(th, hold_reserve_s=240.0, hold_flight_s=120.0)
    assert 110.0 <= _flight(held) <= 120.0 and held.margin_s >= 240.0
    # a young track waits longer still: no launch before the track is firm (5 s path samples)
    young = ThreatState("T2", 30_000.0, 0.0, -45.0, 0.0, 1500.0, {"shahed": 1.0}, 1e5, wait_s=600.0)
    waited = _one(young, hold_reserve_s=240.0, hold_flight_s=120.0)
    assert waited.t_s - _flight(waited) >= 600.0 - 5.0
    assert waited.margin_s >= 240.0


def test_no_hold_when_it_would_eat_the_reserve() -> None:
    # the deadline is close: holding would leave no time for a second shot, so the earliest intercept is kept
    th = ThreatState("T3", 20_000.0, 8000.0, -45.0, 0.0, 400.0, {"shahed": 1.0}, 1e5)
    early = _one(th)
    held = _one(th, hold_reserve_s=240.0)
    assert held.t_s == early.t_s and "launch held" not in held.note
