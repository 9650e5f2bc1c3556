"""Network building from the shipped theatre and from user files (OSM PBF and GeoJSON fixtures made here)."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import osmium

from borderwatch.mobility.loaders import load_geojson_network, load_osm_network
from borderwatch.mobility.network import NE_NOTE, build_network


def test_shipped_network_has_roads_rails_bridges(theatre) -> None:  # type: ignore[no-untyped-def]
    net = build_network(theatre=theatre)
    assert net.road.number_of_edges() > 20 and net.rail.number_of_edges() > 50
    assert any(d["bridge"] for *_, d in net.road.edges(data=True))
    for *_, d in net.road.edges(data=True):
        assert d["length_m"] > 0 and d["time_s"] > 0 and d["effort_m"] == d["lanes"] * d["width_m"]
    assert NE_NOTE in net.notes


def _pbf(path: Path) -> None:
    w = osmium.SimpleWriter(str(path))
    pts = {1: (27.30, 56.50), 2: (27.60, 56.50), 3: (27.90, 56.40), 4: (28.30, 56.40), 5: (27.60, 56.30)}
    for nid, loc in pts.items():
        w.add_node(osmium.osm.mutable.Node(id=nid, location=loc, tags={}))
    w.add_way(osmium.osm.mutable.Way(id=10, nodes=[1, 2, 3], tags={"highway": "trunk", "lanes": "2", "ref": "A12"}))
    w.add_way(osmium.osm.mutable.Way(id=11, nodes=[3, 4], tags={"highway": "primary", "maxspeed": "70"}))
    w.add_way(osmium.osm.mutable.Way(id=12, nodes=[2, 5], tags={"railway": "rail", "tracks": "2"}))
    w.add_way(osmium.osm.mutable.Way(id=13, nodes=[4, 5], tags={"highway": "footway"}))
    w.close()


def test_osm_pbf_fixture(tmp_path: Path, theatre) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "tiny.osm.pbf"
    _pbf(p)
    roads, rails, rejected = load_osm_network(p)
    assert [r.cls for r in roads] == ["Major Highway", "Secondary Highway"]
    assert roads[0].name == "A12" and roads[0].properties["lanes"] == 2
    assert roads[1].properties["maxspeed_kmh"] == 70.0
    assert rails[0].properties["tracks"] == 2 and not rejected
    net = build_network(theatre=theatre, roads=roads, railways=rails, source="tiny")
    assert net.road.number_of_edges() == 2  # split at the shared node 3
    assert net.rail.number_of_edges() == 1
    assert NE_NOTE not in net.notes
    # the east end (28.30E) lies past the LV-RU border and becomes a border node
    assert min(d["border_m"] for _, d in net.road.nodes(data=True)) < 2500


def test_geojson_fixture_counts_bad_features(tmp_path: Path, theatre) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "net.geojson"
    feats = [
        {
            "type": "Feature",
            "properties": {"kind": "road", "class": "Secondary Highway", "lanes": 1},
            "geometry": {"type": "LineString", "coordinates": [[27.3, 56.5], [27.9, 56.4]]},
        },
        {
            "type": "Feature",
            "properties": {"kind": "canal"},
            "geometry": {"type": "LineString", "coordinates": [[27.3, 56.5], [27.4, 56.4]]},
        },
        {"type": "Feature", "properties": {}, "geometry": None},
    ]
    p.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    roads, rails, rejected = load_geojson_network(p)
    assert len(roads) == 1 and not rails and sum(rejected.values()) == 2
    net = build_network(theatre=theatre, roads=roads, railways=rails)
    ((_, _, d),) = net.road.edges(data=True)
    assert d["lanes"] == 1 and d["cls"] == "Secondary Highway"


def test_exact_topology_joins_only_shared_vertices(theatre) -> None:  # type: ignore[no-untyped-def]
    """OSM lines meet where they share a node; a line passing over another (a bridge) is not joined to it."""
    from shapely.geometry import LineString

    from borderwatch.theatre.model import Line

    a = LineString([(27.3, 56.5), (27.6, 56.5), (27.9, 56.5)])
    over = LineString([(27.45, 56.4), (27.45, 56.6)])  # crosses a between two of its vertices
    branch = LineString([(27.6, 56.5), (27.6, 56.3)])  # shares a's vertex

    def lines(topology: str) -> list[Line]:
        return [Line(g, "road", "Road", None, {}, topology) for g in (a, over, branch)]

    exact = build_network(theatre=theatre, roads=lines("exact"), railways=[]).road
    generalised = build_network(theatre=theatre, roads=lines("generalised"), railways=[]).road
    assert exact.number_of_edges() == 4  # a split at the shared vertex into 2, over 1, branch 1
    assert nx.number_connected_components(exact) == 2  # `over` stays apart
    assert nx.number_connected_components(generalised) == 1  # generalised lines are joined where they cross
    assert sorted(d for _, d in exact.degree()) == [1, 1, 1, 1, 1, 3]
