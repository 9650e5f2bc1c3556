"""Thin-data areas: marked where the loaded roads leave the near-border zone far from any road, gone when the
roads are dense."""

from __future__ import annotations

import numpy as np
from shapely.geometry import LineString

from borderwatch.mobility.coverage import thin_area_document, thin_data_areas
from borderwatch.mobility.network import build_network
from borderwatch.theatre.model import Line


def test_shipped_roads_leave_northern_latgale_thin(theatre) -> None:  # type: ignore[no-untyped-def]
    net = build_network(theatre=theatre)
    areas = thin_data_areas(network=net)
    gap_km = net.catalogue.thin_data.road_gap_m.value / 1000
    assert areas and all(a.max_gap_km > gap_km for a in areas)
    assert any(a.centroid_lat > 56.9 for a in areas)
    assert [a.area_km2 for a in areas] == sorted((a.area_km2 for a in areas), reverse=True)
    doc = thin_area_document(areas[0])
    assert doc["bbox"][0] < doc["centroid"][0] < doc["bbox"][2] and "km" in doc["reason"]


def test_dense_roads_leave_nothing_thin(theatre) -> None:  # type: ignore[no-untyped-def]
    spacing_deg = 0.1  # about 6-11 km apart: every point is within 6 km of a road
    lons = np.arange(20.5, 29.5, spacing_deg)
    lats = np.arange(54.5, 59.0, spacing_deg / 2)
    grid = [LineString([(x, 54.5), (x, 59.0)]) for x in lons] + [LineString([(20.5, y), (29.5, y)]) for y in lats]
    roads = [Line(g, "road", "Road", None, {}, "exact") for g in grid]
    net = build_network(theatre=theatre, roads=roads, railways=[])
    assert thin_data_areas(network=net) == []
