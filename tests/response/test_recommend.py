"""Fighters only where no cheaper effector can intercept in time; HiGHS assignment respects magazines."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.response.effectors import Unit, load_effector_catalogue, load_layout
from borderwatch.response.feasibility import ThreatState, feasible_options, intercept_times
from borderwatch.response.recommend import Recommender

CAT = load_effector_catalogue()
GUIDANCE = {"shahed": "gnss", "geran3": "gnss", "birds": "none"}


def _unit(uid: str, type_id: str, magazine: int = 4, channels: int = 2) -> Unit:
    return Unit(uid, type_id, CAT.types[type_id], 0.0, 0.0, magazine, channels)


def _threat(track: str, x: float, vx: float, deadline: float, damage: float = 5e6) -> ThreatState:
    return ThreatState(track, x, 0.0, vx, 0.0, deadline, {"shahed": 1.0}, damage)


def test_intercept_time_matches_closed_form() -> None:
    # head-on: threat at 20 km closing at 50 m/s; interceptor 80 m/s after 60 s, kill radius 50 m
    t = intercept_times(
        np.array([0.0]), np.array([0.0]), np.array([80.0]), np.array([60.0]), np.array([50.0]),
        np.array([20_000.0]), np.array([0.0]), np.array([-50.0]), np.array([0.0]),
    )  # fmt: skip
    assert float(t[0, 0]) == pytest.approx((20_000 - 50 + 80 * 60) / 130, rel=1e-9)
    # static gun with 3 km range: threat enters the circle at (20 km - 3 km) / 50 m/s
    t = intercept_times(
        np.array([0.0]), np.array([0.0]), np.array([0.0]), np.array([30.0]), np.array([3000.0]),
        np.array([20_000.0]), np.array([0.0]), np.array([-50.0]), np.array([0.0]),
    )  # fmt: skip
    assert float(t[0, 0]) == pytest.approx(17_000 / 50)
    # receding faster than the interceptor: never
    t = intercept_times(
        np.array([0.0]), np.array([0.0]), np.array([80.0]), np.array([60.0]), np.array([50.0]),
        np.array([20_000.0]), np.array([0.0]), np.array([100.0]), np.array([0.0]),
    )  # fmt: skip
    assert np.isinf(t[0, 0])


def _units_xy(units: list[Unit], xs: list[float]) -> np.ndarray:
    return np.column_stack([np.array(xs), np.zeros(len(xs))])


def test_interceptor_preferred_when_it_can_reach() -> None:
    units = [_unit("IDB", "interceptor_drone"), _unit("QRA", "fighter_qra")]
    xy = _units_xy(units, [0.0, -150_000.0])
    th = [_threat("T1", 40_000.0, -45.0, deadline=1600.0)]
    opts = feasible_options(units, xy, th, guidance_of=GUIDANCE, horizon_s=1800)
    assert {o.kind for o in opts} == {"interceptor", "fighter"}  # both could reach in time
    recs = Recommender().recommend(0.0, opts, damage={"T1": 5e6}, free={"IDB": 2, "QRA": 2})
    assert [r.option.kind for r in recs] == ["interceptor"]
    alt = recs[0].alternatives[0]
    assert alt["effector"] == "fighter" and "last resort" in alt["not_chosen"]


def test_fighter_only_where_nothing_cheaper_reaches() -> None:
    # the interceptor base is 200 km away from a fast threat: only the fighter can intercept in time
    units = [_unit("IDB", "interceptor_drone"), _unit("QRA", "fighter_qra")]
    xy = _units_xy(units, [-200_000.0, 0.0])
    th = [_threat("T1", 150_000.0, -45.0, deadline=3000.0, damage=1e9)]
    opts = feasible_options(units, xy, th, guidance_of=GUIDANCE, horizon_s=3600)
    assert {o.kind for o in opts} == {"fighter"}
    recs = Recommender().recommend(0.0, opts, damage={"T1": 1e9}, free={"IDB": 2, "QRA": 2})
    assert [r.option.kind for r in recs] == ["fighter"]
    assert recs[0].option.cost_eur > CAT.types["fighter_qra"].cost_per_shot_eur.value


def test_magazine_and_channels_respected_and_second_shot_planned() -> None:
    units = [_unit("IDB-A", "interceptor_drone", magazine=1, channels=1), _unit("IDB-B", "interceptor_drone")]
    xy = _units_xy(units, [0.0, 5_000.0])
    th = [_threat(f"T{i}", 30_000.0 + 2000 * i, -45.0, deadline=900.0) for i in range(3)]
    opts = feasible_options(units, xy, th, guidance_of=GUIDANCE, horizon_s=1800)
    free = {"IDB-A": 1, "IDB-B": 2}
    recs = Recommender().recommend(0.0, opts, damage={t.track: 5e6 for t in th}, free=free)
    per_unit: dict[str, int] = {}
    for r in recs:
        per_unit[r.option.unit] = per_unit.get(r.option.unit, 0) + 1
    assert per_unit.get("IDB-A", 0) <= 1 and per_unit.get("IDB-B", 0) <= 2
    assert len(recs) == 3 and len({r.track for r in recs}) == 3
    assert any(r.second_shot is not None for r in recs)
    assert all("Pk" in r.why and "EUR" in r.why for r in recs)


def test_not_worth_engaging_a_decoy_without_damage() -> None:
    units = [_unit("IDB", "interceptor_drone")]
    xy = _units_xy(units, [0.0])
    th = [ThreatState("D1", 30_000.0, 0.0, -40.0, 0.0, 900.0, {"gerbera": 1.0}, 0.0)]
    opts = feasible_options(units, xy, th, guidance_of={"gerbera": "gnss"}, horizon_s=1800)
    assert opts
    assert Recommender().recommend(0.0, opts, damage={"D1": 0.0}, free={"IDB": 2}) == []


def test_ew_only_against_guided_classes() -> None:
    units = [_unit("EW", "ew_site", magazine=100, channels=10)]
    xy = _units_xy(units, [0.0])
    th = [
        ThreatState("S", 8_000.0, 0.0, -40.0, 0.0, 900.0, {"shahed": 1.0}, 1e6),
        ThreatState("B", 8_000.0, 0.0, -10.0, 0.0, 900.0, {"birds": 1.0}, 1e6),
    ]
    opts = feasible_options(units, xy, th, guidance_of=GUIDANCE, horizon_s=1800)
    assert [o.track for o in opts] == ["S"]


def test_default_layout_loads() -> None:
    units = load_layout()
    kinds = {u.type.kind for u in units}
    assert kinds == {"interceptor", "ew", "gun", "fighter"}
