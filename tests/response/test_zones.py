"""Engagement zones: intercepts only over our territory and outside no-fire areas; a threat reachable only after
it crosses gets an intercept inside, and the explanation says so."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from borderwatch.response.effectors import load_layout
from borderwatch.response.feasibility import ThreatState, feasible_options
from borderwatch.response.recommend import Recommender
from borderwatch.response.zones import EngagementZones
from borderwatch.theatre import load_theatre


def _ll(th: object, x: float, y: float) -> tuple[float, float]:
    lon, lat = th.unproject(shapely.Point(x, y)).coords[0]  # type: ignore[attr-defined]
    return float(lon), float(lat)


@pytest.fixture(scope="module")
def zones() -> EngagementZones:
    return EngagementZones.for_theatre(load_theatre("latvia-east"))


def test_points_outside_home_or_in_no_fire_areas_are_refused(zones: EngagementZones) -> None:
    th = zones.theatre
    # Rēzekne centre (no-fire town), inside Russia, open ground near Ludza, 1 km inside the border near Zilupe
    x, y = th.xy([56.505, 56.30, 56.45, 56.36], [27.33, 28.60, 27.90, 28.10])
    inter = zones.allowed("interceptor", x, y)
    assert inter.tolist()[:3] == [False, False, True]
    assert "Rēzekne" in zones.why_not("interceptor", float(x[0]), float(y[0]))
    assert zones.why_not("interceptor", float(x[1]), float(y[1])) == "outside our territory"
    d = zones.border_distance_m(x[3:], y[3:])
    if d[0] < 3000:  # EW must stay 3 km inside the border
        assert not zones.allowed("ew", x[3:], y[3:])[0]


def test_threat_reachable_only_after_crossing_is_intercepted_inside(zones: EngagementZones) -> None:
    th = zones.theatre
    units = [u for u in load_layout(None) if u.id == "IDB-ZILUPE"]
    ux, uy = th.xy([units[0].lat], [units[0].lon])
    # a drone 20 km east of the Zilupe interceptor base, over Russia, flying west at 50 m/s
    lat0, lon0 = 56.39, 28.12 + 20000 / (111_320 * np.cos(np.radians(56.39)))
    tx, ty = th.xy([lat0], [lon0])
    assert not th.in_home([lat0], [lon0])[0]
    threat = ThreatState("T1", float(tx[0]), float(ty[0]), -50.0, 0.0, 900.0, {"shahed": 1.0}, 1e5)
    unit_xy = np.column_stack([ux, uy])
    free_opts = feasible_options(units, unit_xy, [threat], guidance_of={"shahed": "gnss"}, horizon_s=900)
    zoned = feasible_options(units, unit_xy, [threat], guidance_of={"shahed": "gnss"}, horizon_s=900, zones=zones)
    assert free_opts and zoned
    lon, lat = _ll(th, free_opts[0].x, free_opts[0].y)
    assert not th.in_home([lat], [lon])[0], "without zones the earliest intercept is over Russia"
    o = zoned[0]
    lon, lat = _ll(th, o.x, o.y)
    assert th.in_home([lat], [lon])[0] and zones.allowed("interceptor", [o.x], [o.y])[0]
    assert o.t_s > free_opts[0].t_s
    assert "only after it crosses the border" in o.note
    recs = Recommender().recommend(0.0, zoned, damage={"T1": 1e5}, free={"IDB-ZILUPE": 2})
    assert recs and "only after it crosses the border" in recs[0].why


def test_no_option_when_the_whole_path_is_outside(zones: EngagementZones) -> None:
    th = zones.theatre
    units = [u for u in load_layout(None) if u.id == "IDB-ZILUPE"]
    ux, uy = th.xy([units[0].lat], [units[0].lon])
    lat0, lon0 = 56.39, 28.12 + 6000 / (111_320 * np.cos(np.radians(56.39)))
    tx, ty = th.xy([lat0], [lon0])
    # flying east, away from Latvia: reachable, but only over Russia
    threat = ThreatState("T2", float(tx[0]), float(ty[0]), 30.0, 0.0, 900.0, {"shahed": 1.0}, 1e5)
    args = (units, np.column_stack([ux, uy]), [threat])
    assert feasible_options(*args, guidance_of={"shahed": "gnss"}, horizon_s=900)
    assert not feasible_options(*args, guidance_of={"shahed": "gnss"}, horizon_s=900, zones=zones)
