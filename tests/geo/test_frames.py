"""Round trips WGS84 -> ENU -> WGS84 and WGS84 -> LKS-92 -> WGS84 agree to 1 mm over the theatre."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.geo import GEOD, LocalFrame, from_lks92, to_lks92

# metres per degree, generous upper bounds at these latitudes
_M_PER_DEG_LAT = 111_500.0
_M_PER_DEG_LON = 65_000.0

lat_s = st.floats(54.5, 59.0)
lon_s = st.floats(20.5, 29.5)


def test_enu_round_trip_grid_mm() -> None:
    f = LocalFrame(56.6, 27.0, 120.0)
    lat, lon = np.meshgrid(np.linspace(54.5, 59.0, 25), np.linspace(20.5, 29.5, 25))
    h = np.linspace(-20.0, 6000.0, lat.size).reshape(lat.shape)
    e, n, u = f.to_enu(lat, lon, h)
    lat2, lon2, h2 = f.to_geodetic(e, n, u)
    assert np.max(np.abs(lat2 - lat)) * _M_PER_DEG_LAT < 1e-3
    assert np.max(np.abs(lon2 - lon)) * _M_PER_DEG_LON < 1e-3
    assert np.max(np.abs(h2 - h)) < 1e-3


@settings(max_examples=200, deadline=None)
@given(lat0=lat_s, lon0=lon_s, lat=lat_s, lon=lon_s, h=st.floats(-50, 10_000))
def test_enu_round_trip_property(lat0: float, lon0: float, lat: float, lon: float, h: float) -> None:
    f = LocalFrame(lat0, lon0, 0.0)
    lat2, lon2, h2 = f.to_geodetic(*f.to_enu(lat, lon, h))
    assert abs(float(lat2) - lat) * _M_PER_DEG_LAT < 1e-3
    assert abs(float(lon2) - lon) * _M_PER_DEG_LON < 1e-3
    assert abs(float(h2) - h) < 1e-3


@settings(max_examples=200, deadline=None)
@given(lat=lat_s, lon=lon_s)
def test_lks92_round_trip_property(lat: float, lon: float) -> None:
    lat2, lon2 = from_lks92(*to_lks92(lat, lon))
    assert abs(float(lat2) - lat) * _M_PER_DEG_LAT < 1e-3
    assert abs(float(lon2) - lon) * _M_PER_DEG_LON < 1e-3


def test_enu_origin_and_axes() -> None:
    f = LocalFrame(56.5, 27.3, 100.0)
    e, n, u = f.to_enu(56.5, 27.3, 100.0)
    assert abs(float(e)) < 1e-6 and abs(float(n)) < 1e-6 and abs(float(u)) < 1e-6
    e, n, _ = f.to_enu(56.51, 27.3, 100.0)  # due north
    assert abs(float(e)) < 1e-3 and float(n) > 1000
    e, n, _ = f.to_enu(56.5, 27.31, 100.0)  # due east
    assert float(e) > 500 and abs(float(n)) < 1.0


def test_enu_distance_matches_geodesic_to_0p1_percent() -> None:
    """Short-range horizontal ENU distances agree with pyproj.Geod to 0.1 %."""
    rng = np.random.default_rng(1)
    f = LocalFrame(56.5, 27.3, 0.0)
    lat = 56.5 + rng.uniform(-0.3, 0.3, 500)
    lon = 27.3 + rng.uniform(-0.5, 0.5, 500)
    e, n, _ = f.to_enu(lat, lon, np.zeros(500))
    _, _, d = GEOD.inv(np.full(500, 27.3), np.full(500, 56.5), lon, lat)
    ok = d > 100
    assert np.max(np.abs(np.hypot(e, n)[ok] / d[ok] - 1.0)) < 1e-3


def test_lks92_distance_matches_geodesic_to_0p1_percent() -> None:
    """Grid distances in LKS-92 (scale factor 0.9996 on 24°E) agree with pyproj.Geod to 0.1 % over Latvia."""
    rng = np.random.default_rng(2)
    lat1, lat2 = rng.uniform(55.7, 58.0, (2, 400))
    lon1, lon2 = rng.uniform(21.0, 28.2, (2, 400))
    x1, y1 = to_lks92(lat1, lon1)
    x2, y2 = to_lks92(lat2, lon2)
    _, _, d = GEOD.inv(lon1, lat1, lon2, lat2)
    ok = d > 1000
    assert np.max(np.abs(np.hypot(x2 - x1, y2 - y1)[ok] / d[ok] - 1.0)) < 1e-3
