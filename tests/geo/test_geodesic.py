from __future__ import annotations

import numpy as np
from pyproj import Geod
from shapely.geometry import LineString

from borderwatch.geo import azimuth_deg, destination, distance_m, line_length_m

_G = Geod(ellps="WGS84")


def test_distance_and_azimuth_agree_with_pyproj() -> None:
    rng = np.random.default_rng(0)
    lat1, lat2 = rng.uniform(54.5, 59.0, (2, 300))
    lon1, lon2 = rng.uniform(20.5, 29.5, (2, 300))
    az, _, d = _G.inv(lon1, lat1, lon2, lat2)
    assert np.allclose(distance_m(lat1, lon1, lat2, lon2), d, rtol=1e-3)
    assert np.allclose(azimuth_deg(lat1, lon1, lat2, lon2), np.mod(az, 360.0), atol=1e-9)


def test_scalars_broadcast_and_keep_shape() -> None:
    d = distance_m(56.946, 24.106, np.array([56.51, 55.88]), np.array([27.34, 26.53]))
    assert d.shape == (2,)
    assert 200_000 < d[0] < 206_000  # Riga - Rēzekne
    assert distance_m(56.0, 27.0, 56.0, 27.0).shape == ()


def test_destination_inverts_inverse_problem() -> None:
    lat, lon = destination(56.5, 27.3, 45.0, 10_000.0)
    assert abs(float(distance_m(56.5, 27.3, lat, lon)) - 10_000.0) < 1e-6
    assert abs(float(azimuth_deg(56.5, 27.3, lat, lon)) - 45.0) < 1e-6


def test_line_length() -> None:
    ln = LineString([(27.0, 56.0), (27.0, 57.0)])
    assert abs(line_length_m(ln) / 1000.0 - 111.4) < 0.5
