"""Geodesic distance, azimuth and forward problem on the WGS84 ellipsoid (pyproj.Geod).

Azimuths are degrees clockwise from true north, in [0, 360).

>>> round(float(distance_m(56.946, 24.106, 56.510, 27.340)) / 1000, 1)   # Riga - Rēzekne
203.8
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod

FloatArray = NDArray[np.float64]

GEOD = Geod(ellps="WGS84")


def _arr(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def _bc(*xs: ArrayLike) -> tuple[tuple[int, ...], list[FloatArray]]:
    """Broadcast scalars and arrays to one shape, flattened (pyproj.Geod wants equal lengths)."""
    arrays = np.broadcast_arrays(*[_arr(x) for x in xs])
    shape = arrays[0].shape
    return shape, [np.ascontiguousarray(a, dtype=np.float64).ravel() for a in arrays]


def distance_m(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> FloatArray:
    """Geodesic distance in metres between points given in degrees. Vectorised."""
    shape, args = _bc(lon1, lat1, lon2, lat2)
    _, _, d = GEOD.inv(args[0], args[1], args[2], args[3])
    return _arr(d).reshape(shape)


def azimuth_deg(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> FloatArray:
    """Forward azimuth (degrees clockwise from true north, [0, 360)) from point 1 to point 2."""
    shape, args = _bc(lon1, lat1, lon2, lat2)
    az, _, _ = GEOD.inv(args[0], args[1], args[2], args[3])
    return np.mod(_arr(az), 360.0).reshape(shape)


def destination(lat: ArrayLike, lon: ArrayLike, az_deg: ArrayLike, dist_m: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Point reached from ``(lat, lon)`` along azimuth ``az_deg`` after ``dist_m`` metres: ``(lat, lon)``."""
    shape, args = _bc(lon, lat, az_deg, dist_m)
    lon2, lat2, _ = GEOD.fwd(args[0], args[1], args[2], args[3])
    return _arr(lat2).reshape(shape), _arr(lon2).reshape(shape)


def line_length_m(geometry: Any) -> float:
    """Geodesic length in metres of a shapely (Multi)LineString in lon/lat degrees."""
    return float(GEOD.geometry_length(geometry))
