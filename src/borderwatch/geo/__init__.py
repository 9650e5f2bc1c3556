"""Coordinates: WGS84 <-> local ENU and LKS-92 (EPSG:3059) via pyproj; geodesic distance and azimuth."""

from borderwatch.geo.frames import LKS92, LocalFrame, from_lks92, to_lks92
from borderwatch.geo.geodesic import GEOD, azimuth_deg, destination, distance_m, line_length_m

__all__ = [
    "GEOD",
    "LKS92",
    "LocalFrame",
    "azimuth_deg",
    "destination",
    "distance_m",
    "from_lks92",
    "line_length_m",
    "to_lks92",
]
