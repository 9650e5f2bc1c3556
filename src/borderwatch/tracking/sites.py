"""Sensor sites in the tracker's Cartesian frame: positions and per-site rotations into the site's local ENU.

The tracker state lives in one local east-north-up frame (``LocalFrame``) tangent at an origin. A sensor far
from the origin has its own local "up" tilted by the Earth's curvature (about 0.9° per 100 km), so each site
carries the exact rotation ``R`` from the tracker frame into its own ENU axes; azimuth/elevation are measured in
those axes. Both frames are rotated ECEF, so the rotation is exact, not an approximation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from borderwatch.geo.frames import LocalFrame
from borderwatch.sensors.reports import SensorSite

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

SENSOR_KIND = {"acoustic": 0, "radar": 1, "adsb": 2}


@dataclass(frozen=True, slots=True)
class SiteTable:
    """Columnar sensor sites: ``pos`` (n, 3) in the tracker frame (m), ``rot`` (n, 3, 3) frame→site ENU."""

    frame: LocalFrame
    ids: tuple[str, ...]
    kind: IntArray
    pos: FloatArray
    rot: FloatArray
    index: dict[str, int]

    def __len__(self) -> int:
        return len(self.ids)


def frame_for(sites: Sequence[SensorSite]) -> LocalFrame:
    """A frame tangent at the mean position of the non-ADS-B sites (or of all sites)."""
    pts = [s for s in sites if s.type != "adsb"] or list(sites)
    if not pts:
        return LocalFrame(56.8, 27.5, 0.0)
    return LocalFrame(
        float(np.mean([s.lat for s in pts])),
        float(np.mean([s.lon for s in pts])),
        float(np.mean([s.alt_m for s in pts])),
    )


def rotation_to_site(frame: LocalFrame, lat_deg: FloatArray, lon_deg: FloatArray) -> FloatArray:
    """(n, 3, 3) rotations taking vectors in ``frame``'s ENU axes into the ENU axes at each point."""
    r0 = frame.rotation()  # ECEF -> frame ENU
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    z = np.zeros_like(lat)
    r = np.stack(
        [np.stack([-so, co, z], -1), np.stack([-sl * co, -sl * so, cl], -1), np.stack([cl * co, cl * so, sl], -1)], -2
    )  # ECEF -> site ENU, (n, 3, 3)
    out: FloatArray = r @ r0.T
    return out


def site_table(sites: Sequence[SensorSite], frame: LocalFrame | None = None) -> SiteTable:
    """Build the columnar table of sensor sites in ``frame`` (default: :func:`frame_for`)."""
    fr = frame or frame_for(sites)
    lat = np.array([s.lat for s in sites], dtype=np.float64)
    lon = np.array([s.lon for s in sites], dtype=np.float64)
    alt = np.array([s.alt_m for s in sites], dtype=np.float64)
    if len(sites):
        e, n, u = fr.to_enu(lat, lon, alt)
        pos = np.stack([e, n, u], -1).reshape(-1, 3)
        rot = rotation_to_site(fr, lat, lon)
    else:
        pos = np.zeros((0, 3))
        rot = np.zeros((0, 3, 3))
    ids = tuple(s.id for s in sites)
    return SiteTable(
        frame=fr,
        ids=ids,
        kind=np.array([SENSOR_KIND[s.type] for s in sites], dtype=np.int64),
        pos=pos,
        rot=rot,
        index={sid: i for i, sid in enumerate(ids)},
    )
