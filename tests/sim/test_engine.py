from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borderwatch.sim import load_catalogue, load_scenario, simulate, write_truth
from borderwatch.sim.engine import wind_vector
from borderwatch.sim.scenario import Scenario, parse_scenario
from borderwatch.sim.truth import TruthTable
from borderwatch.theatre.model import Theatre

CAT = load_catalogue()


def _truth_bytes(sc: Scenario, theatre: Theatre) -> bytes:
    buf = io.StringIO()
    write_truth(simulate(sc, theatre), buf)
    return buf.getvalue().encode()


def test_same_scenario_same_seed_byte_identical(theatre: Theatre) -> None:
    sc = load_scenario("paternieki-mixed-day")
    a = _truth_bytes(sc, theatre)
    b = _truth_bytes(load_scenario("paternieki-mixed-day"), theatre)
    assert a == b and len(a) > 1000
    other = sc.model_copy(update={"seed": sc.seed + 1})
    assert _truth_bytes(other, theatre) != a


def _rows(truth: TruthTable, k: int) -> np.ndarray:
    r = np.flatnonzero(truth.idx == k)
    return r[np.argsort(truth.t[r])]


def check_limits(truth: TruthTable, theatre: Theatre, wind: tuple[float, float], dt: float) -> None:
    """Airspeed, heading rate and height above ground stay within each class's catalogue limits."""
    for k, ti in enumerate(truth.targets):
        tc = CAT.classes[ti.cls]
        r = _rows(truth, k)
        if r.size < 2:
            continue
        air = truth.vel[r, :2] - np.asarray(wind)
        spd = np.hypot(air[:, 0], air[:, 1])
        assert spd.min() >= tc.speed_mps.min - 1e-6, (ti.id, spd.min())
        assert spd.max() <= tc.speed_mps.max + 1e-6, (ti.id, spd.max())
        hdg = np.degrees(np.arctan2(air[:, 0], air[:, 1]))
        rate = np.abs((np.diff(hdg) + 180.0) % 360.0 - 180.0) / dt
        moving = (spd[:-1] > 0.5) & (spd[1:] > 0.5)
        if moving.any():
            assert rate[moving].max() <= tc.turn_rate_max_deg_s.value + 1e-6, (ti.id, rate[moving].max())
        agl = truth.alt[r] - theatre.ground_height_m(truth.lat[r], truth.lon[r])
        assert agl.min() >= tc.alt_agl_m.min - 0.05, (ti.id, agl.min())
        assert agl.max() <= tc.alt_agl_m.max + 0.05, (ti.id, agl.max())


@pytest.mark.parametrize("name", ["latgale-night-raid", "stray-drones-north", "paternieki-mixed-day"])
def test_presets_within_catalogue_limits(name: str, theatre: Theatre) -> None:
    sc = load_scenario(name)
    truth = simulate(sc, theatre)
    check_limits(truth, theatre, wind_vector(sc.weather.wind.speed_mps, sc.weather.wind.from_deg), sc.dt_s)


def _scenario(
    cls: str, speed: float, agl: float, wind: float, wind_from: float, seed: int, tgt: tuple[float, float]
) -> Scenario:
    d: dict[str, Any] = {
        "name": "prop",
        "start_time": "2026-01-01T00:00:00Z",
        "duration_s": 240,
        "seed": seed,
        "weather": {"wind": {"speed_mps": wind, "from_deg": wind_from}},
        "raids": [
            {
                "name": "g",
                "class": cls,
                "count": 3,
                "spacing_s": 5,
                "launch": {"lat": 56.6, "lon": 27.9, "radius_km": 3},
                "route": [{"lat": tgt[0], "lon": tgt[1]}],
                "targets": [{"lat": 56.6, "lon": 27.9}],
                "speed_mps": speed,
                "alt_agl_m": agl,
                "alt_spread_m": agl / 2,
            }
        ],
    }
    return parse_scenario(d, source="property")


@st.composite
def class_scenarios(draw: st.DrawFn) -> Scenario:
    cls = draw(st.sampled_from(sorted(CAT.classes)))
    tc = CAT.classes[cls]
    speed = draw(st.floats(max(tc.speed_mps.min, 1.0), tc.speed_mps.max))
    agl = draw(st.floats(max(tc.alt_agl_m.min, 1.0), tc.alt_agl_m.max))
    wind = draw(st.floats(0.0, min(15.0, 0.8 * speed)))
    return _scenario(
        cls,
        speed,
        agl,
        wind,
        draw(st.floats(0.0, 359.0)),
        draw(st.integers(0, 2**31)),
        (draw(st.floats(56.55, 56.65)), draw(st.floats(27.8, 28.0))),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=class_scenarios())
def test_every_class_stays_within_limits(sc: Scenario, theatre: Theatre) -> None:
    truth = simulate(sc, theatre)
    assert len(truth) > 0
    check_limits(truth, theatre, wind_vector(sc.weather.wind.speed_mps, sc.weather.wind.from_deg), sc.dt_s)


def test_stray_drones_really_cross_the_border(theatre: Theatre) -> None:
    truth = simulate(load_scenario("stray-drones-north"), theatre)
    strays = [k for k, ti in enumerate(truth.targets) if ti.cls == "stray_lr"]
    assert len(strays) >= 3
    for k in strays:
        r = _rows(truth, k)
        codes = theatre.country_at(truth.lat[r], truth.lon[r])
        assert codes[0] == "RU"
        first_lv = np.flatnonzero(codes == "LV")
        assert first_lv.size > 0, truth.targets[k].id  # entered Latvia
        assert (codes[: first_lv[0]] == "RU").any()  # came from Russia


def test_raid_drones_launch_on_the_far_side(theatre: Theatre) -> None:
    sc = load_scenario("latgale-night-raid")
    truth = simulate(sc, theatre)
    hostile = [k for k, ti in enumerate(truth.targets) if ti.hostile]
    assert len([k for k in hostile if truth.targets[k].cls == "shahed"]) >= 20
    for k in hostile:
        r = _rows(truth, k)
        first = theatre.country_at(truth.lat[r[:1]], truth.lon[r[:1]])[0]
        assert first in {"RU", "BY"}, truth.targets[k].id
        assert bool(theatre.in_home(truth.lat[r[-1]], truth.lon[r[-1]])[0])  # and reach their targets in LV


def test_cooperative_targets_carry_icao(theatre: Theatre) -> None:
    truth = simulate(load_scenario("paternieki-mixed-day"), theatre)
    coop = [ti for ti in truth.targets if ti.cooperative]
    assert {ti.cls for ti in coop} == {"light_aircraft", "helicopter"}
    assert all(ti.icao and len(ti.icao) == 6 for ti in coop)
    assert all(ti.icao is None for ti in truth.targets if not ti.cooperative)


def test_positions_follow_velocities(theatre: Theatre) -> None:
    """Consecutive truth positions advance by the recorded ground velocity (geodesic step)."""
    from borderwatch.geo import distance_m

    truth = simulate(load_scenario("stray-drones-north"), theatre)
    r = _rows(truth, 0)[:200]
    d = distance_m(truth.lat[r[:-1]], truth.lon[r[:-1]], truth.lat[r[1:]], truth.lon[r[1:]])
    gs = np.hypot(truth.vel[r[:-1], 0], truth.vel[r[:-1], 1])
    assert np.allclose(d, gs * 1.0, rtol=1e-6, atol=1e-3)
