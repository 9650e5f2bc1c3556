"""Local east-north-up frames and the Latvian national grid, both through pyproj.

Heights are ellipsoidal (height above the WGS84 ellipsoid, "HAE") throughout borderwatch.

Examples
--------
>>> f = LocalFrame(lat0_deg=56.5, lon0_deg=27.3, h0_m=100.0)
>>> e, n, u = f.to_enu(56.51, 27.31, 150.0)
>>> lat, lon, h = f.to_geodetic(e, n, u)
>>> round(float(lat), 6), round(float(lon), 6), round(float(h), 3)
(56.51, 27.31, 150.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from pyproj.enums import TransformDirection

FloatArray = NDArray[np.float64]

#: LKS-92 / Latvia TM, the Latvian national projected grid.
LKS92 = CRS.from_epsg(3059)
_WGS84 = CRS.from_epsg(4326)
_TO_LKS92 = Transformer.from_crs(_WGS84, LKS92, always_xy=True)
_FROM_LKS92 = Transformer.from_crs(LKS92, _WGS84, always_xy=True)


def _arr(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def to_lks92(lat_deg: ArrayLike, lon_deg: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 latitude/longitude (degrees) to LKS-92 easting/northing (metres).

    >>> x, y = to_lks92(56.946, 24.106)   # Riga
    >>> 500_000 < float(x) < 520_000 and 310_000 < float(y) < 320_000
    True
    """
    x, y = _TO_LKS92.transform(_arr(lon_deg), _arr(lat_deg))
    return _arr(x), _arr(y)


def from_lks92(x_m: ArrayLike, y_m: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """LKS-92 easting/northing (metres) to WGS84 latitude/longitude (degrees); returns ``(lat, lon)``."""
    lon, lat = _FROM_LKS92.transform(_arr(x_m), _arr(y_m))
    return _arr(lat), _arr(lon)


@dataclass(frozen=True, slots=True)
class LocalFrame:
    """A local east-north-up (topocentric) frame tangent to the WGS84 ellipsoid at an origin.

    Parameters
    ----------
    lat0_deg, lon0_deg : float
        Origin latitude and longitude in degrees.
    h0_m : float
        Origin height above the ellipsoid in metres.
    """

    lat0_deg: float
    lon0_deg: float
    h0_m: float = 0.0
    _fwd: Any = field(init=False, repr=False, compare=False)
    _inv: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pipe = (
            "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
            "+step +proj=cart +ellps=WGS84 "
            f"+step +proj=topocentric +ellps=WGS84 +lat_0={self.lat0_deg!r} "
            f"+lon_0={self.lon0_deg!r} +h_0={self.h0_m!r}"
        )
        fwd = Transformer.from_pipeline(pipe)
        object.__setattr__(self, "_fwd", fwd)
        object.__setattr__(self, "_inv", fwd)

    def to_enu(
        self, lat_deg: ArrayLike, lon_deg: ArrayLike, h_m: ArrayLike
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Geodetic (degrees, metres HAE) to local east, north, up (metres). Vectorised."""
        e, n, u = self._fwd.transform(_arr(lon_deg), _arr(lat_deg), _arr(h_m))
        return _arr(e), _arr(n), _arr(u)

    def to_geodetic(self, e_m: ArrayLike, n_m: ArrayLike, u_m: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Local east, north, up (metres) to ``(lat_deg, lon_deg, h_m)``. Vectorised."""
        lon, lat, h = self._inv.transform(_arr(e_m), _arr(n_m), _arr(u_m), direction=TransformDirection.INVERSE)
        return _arr(lat), _arr(lon), _arr(h)

    def rotation(self, lat_deg: float | None = None, lon_deg: float | None = None) -> FloatArray:
        """3x3 matrix rotating ECEF vectors into the ENU axes at a point (default: the origin)."""
        lat = np.radians(self.lat0_deg if lat_deg is None else lat_deg)
        lon = np.radians(self.lon0_deg if lon_deg is None else lon_deg)
        sl, cl = np.sin(lat), np.cos(lat)
        so, co = np.sin(lon), np.cos(lon)
        return np.array([[-so, co, 0.0], [-sl * co, -sl * so, cl], [cl * co, cl * so, sl]])
