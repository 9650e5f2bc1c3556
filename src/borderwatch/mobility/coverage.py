"""Where the loaded roads are too thin to support a conclusion.

A chokepoint analysis can only find closures on roads it knows. Where the loaded road network leaves a large part
of the near-border zone far from any road (Natural Earth main roads in northern Latgale), "no chokepoint here"
means "no road in the data", not "no road on the ground". :func:`thin_data_areas` marks those parts: the home
country within ``within_border_m`` of the watched border is sampled on a grid of ``cell_m`` cells, cells farther
than ``road_gap_m`` from every road edge are kept, joined, and parts smaller than ``min_area_km2`` dropped. The
parameters live in network.yaml (``thin_data``).

>>> from borderwatch.theatre import load_theatre
>>> from borderwatch.mobility.network import build_network
>>> areas = thin_data_areas(network=build_network(theatre=load_theatre()))
>>> any(a.centroid_lat > 56.9 for a in areas)  # northern Latgale
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from borderwatch.mobility.network import Network


@dataclass(frozen=True, slots=True)
class ThinArea:
    """A part of the near-border zone the loaded roads leave more than ``road_gap_m`` from any road."""

    name: str  # "around <town>", the home town nearest its centre
    geometry: BaseGeometry  # lon/lat (Multi)Polygon
    area_km2: float
    max_gap_km: float  # the largest distance from a sampled point to a road
    centroid_lon: float
    centroid_lat: float
    reason: str


def thin_data_areas(*, network: Network) -> list[ThinArea]:
    """Parts of the near-border zone where the road network is too thin to support a conclusion, largest first.

    Returns an empty list when the network has no roads in the zone at all: then every result says so already.
    """
    th = network.theatre
    spec = network.catalogue.thin_data
    cell = spec.cell_m.value
    gap = spec.road_gap_m.value
    roads = network.road_lines()
    if roads is None:
        return []
    key = f"thin_zone_{spec.within_border_m.value:g}"
    if key not in th._cache:
        border = th.project(th.watched_border)
        th._cache[key] = shapely.intersection(th.project(th.home.geometry), border.buffer(spec.within_border_m.value))
    zone = th._cache[key]
    if zone.is_empty:
        return []
    x0, y0, x1, y1 = zone.bounds
    xx, yy = np.meshgrid(np.arange(x0 + cell / 2, x1, cell), np.arange(y0 + cell / 2, y1, cell))
    pts = shapely.points(xx.ravel(), yy.ravel())
    shapely.prepare(zone)
    dist = np.asarray(shapely.distance(roads, pts))
    keep = np.asarray(shapely.contains(zone, pts)) & (dist > gap)
    if not keep.any():
        return []
    cx, cy, cd = xx.ravel()[keep], yy.ravel()[keep], dist[keep]
    cells = shapely.box(cx - cell / 2, cy - cell / 2, cx + cell / 2, cy + cell / 2)
    merged = shapely.union_all(cells)
    towns = [p for p in th.places if p.in_home and p.population >= 1000]
    txy = np.array([th.xy(p.lat, p.lon) for p in towns]).reshape(-1, 2)
    out: list[ThinArea] = []
    for part in shapely.get_parts(merged):
        area_km2 = float(part.area) / 1e6
        if area_km2 < spec.min_area_km2.value:
            continue
        inside = np.asarray(shapely.contains(part.buffer(1.0), shapely.points(cx, cy)))
        c = part.centroid
        ll = th.unproject(c)
        name = "near-border zone"
        if len(towns):
            i = int(np.argmin(np.hypot(txy[:, 0] - c.x, txy[:, 1] - c.y)))
            name = f"around {towns[i].name}"
        smooth = shapely.intersection(part.buffer(cell / 2).buffer(-cell / 2), zone)
        out.append(
            ThinArea(
                name=name,
                geometry=th.unproject(shapely.simplify(smooth, cell / 4)),
                area_km2=round(area_km2, 0),
                max_gap_km=round(float(cd[inside].max()) / 1000.0, 1) if inside.any() else round(gap / 1000, 1),
                centroid_lon=round(float(ll.x), 4),
                centroid_lat=round(float(ll.y), 4),
                reason=(
                    f"every point is more than {gap / 1000:g} km from a road of the loaded network: a missing "
                    "chokepoint here means the data hold no road, not that the ground holds none; load "
                    "OpenStreetMap roads (borderwatch theatre import-osm, or --network) before concluding"
                ),
            )
        )
    out.sort(key=lambda a: -a.area_km2)
    return out


def thin_area_document(a: ThinArea) -> dict[str, Any]:
    """A thin-data area as plan.json writes it (no geometry; thin_data.geojson has the polygons)."""
    x0, y0, x1, y1 = a.geometry.bounds
    return {
        "name": a.name,
        "area_km2": a.area_km2,
        "max_gap_km": a.max_gap_km,
        "centroid": [a.centroid_lon, a.centroid_lat],
        "bbox": [round(x0, 4), round(y0, 4), round(x1, 4), round(y1, 4)],
        "reason": a.reason,
    }
