"""`theatre import-osm`: a small but realistic PBF written with osmium's writer becomes a theatre folder whose road
network finds and closes a bypass around a bridge; a way with a missing node is rejected, counted, the rest kept.

The fixture, at the Terehova crossing (LV-RU): the A12 (trunk, 2 lanes) comes in from Russia, reaches a junction
J 4 km inside Latvia, crosses a river on a narrow one-lane bridge and runs on towards Rēzekne. At J a local road
(tertiary, one lane, ref V599) leaves north, crosses the same river on its own small bridge and runs to the
south-west, deep into the country: closing the A12 bridge alone leaves that bypass open.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import networkx as nx
import osmium
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.mobility import plan as P
from borderwatch.mobility.chokepoints import find_chokepoints
from borderwatch.mobility.corridors import entry_points, objective_nodes, objectives
from borderwatch.mobility.network import build_network
from borderwatch.theatre import load_theatre
from borderwatch.theatre.osm import IMPORT_REPORT_SCHEMA, import_osm

NODES = {
    # A12 from Russia to Rēzekne
    1: (28.215, 56.362),  # in Russia
    2: (28.1676, 56.3733),  # the border crossing
    3: (28.110, 56.392),  # junction J
    4: (28.080, 56.402),  # bridge start
    5: (28.074, 56.404),  # bridge end
    6: (27.90, 56.46),
    7: (27.72, 56.53),
    8: (27.45, 56.52),
    9: (27.34, 56.51),  # Rēzekne
    # the bypass V599
    20: (28.100, 56.430),
    21: (28.060, 56.445),  # its bridge start
    22: (28.056, 56.447),  # its bridge end
    23: (27.95, 56.40),
    24: (27.70, 56.30),
    25: (27.50, 56.25),
    # the river, north to south
    30: (28.10, 56.50),
    31: (28.058, 56.446),
    32: (28.077, 56.403),
    33: (28.05, 56.33),
    # a dead-end street near the border, inside Latvia
    40: (28.12, 56.385),
    41: (28.14, 56.382),
    # a railway across the border at Zilupe to Rēzekne
    50: (28.20, 56.382),
    51: (28.1726, 56.3886),
    52: (28.00, 56.45),
    53: (27.72, 56.54),
    54: (27.35, 56.50),
}
WAYS = [
    (100, [1, 2, 3], {"highway": "trunk", "ref": "A12", "name": "Rēzekne–Terehova", "lanes": "2", "maxspeed": "90"}),
    (101, [3, 4], {"highway": "trunk", "ref": "A12", "lanes": "2", "maxspeed": "90"}),
    (
        102,
        [4, 5],
        {"highway": "trunk", "ref": "A12", "lanes": "1", "bridge": "yes", "layer": "1", "maxspeed": "50"},
    ),
    (103, [5, 6, 7, 8, 9], {"highway": "trunk", "ref": "A12", "lanes": "2", "maxspeed": "90"}),
    (110, [3, 20, 21], {"highway": "tertiary", "ref": "V599", "lanes": "1", "maxspeed": "70"}),
    (111, [21, 22], {"highway": "tertiary", "ref": "V599", "lanes": "1", "bridge": "yes"}),
    (112, [22, 23, 24, 25], {"highway": "tertiary", "ref": "V599", "lanes": "two"}),
    (120, [30, 31, 32, 33], {"waterway": "river", "name": "Test river"}),
    (130, [40, 41], {"highway": "residential", "name": "Robežu iela"}),
    (140, [50, 51, 52, 53, 54], {"railway": "rail", "name": "Rēzekne II – Zilupe", "maxspeed": "80"}),
    (150, [40, 20], {"highway": "footway"}),
]


def write_pbf(path: Path, *, broken: bool = False) -> Path:
    w = osmium.SimpleWriter(str(path))
    for nid, loc in NODES.items():
        w.add_node(osmium.osm.mutable.Node(id=nid, location=loc, tags={}))
    ways = list(WAYS)
    if broken:  # a way that references node 999, which the extract does not hold
        ways.append((160, [7, 999, 24], {"highway": "secondary", "ref": "P36"}))
    for wid, nodes, tags in sorted(ways):
        w.add_way(osmium.osm.mutable.Way(id=wid, nodes=nodes, tags=tags))
    w.close()
    return path


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    d = tmp_path_factory.mktemp("osm")
    rep = import_osm(write_pbf(d / "terehova.osm.pbf"), d / "theatre")
    return d / "theatre", rep


def test_import_writes_a_theatre_with_osm_tags(imported) -> None:  # type: ignore[no-untyped-def]
    out, rep = imported
    assert rep.roads == 8 and rep.railways == 1 and rep.rivers == 1 and rep.bridges == 2  # footway left out
    assert not rep.rejected
    assert rep.dropped_tags == {"lanes: not a number ('two')": 1}
    report = json.loads((out / "import_report.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, IMPORT_REPORT_SCHEMA)
    assert report["rejected_total"] == 0 and report["roads"] == 8
    assert "OpenStreetMap" in (out / "ATTRIBUTION.md").read_text(encoding="utf-8")
    th = load_theatre(out)
    by_id = {r.properties["osm_id"]: r for r in th.roads}
    bridge = by_id[102].properties
    assert bridge["highway"] == "trunk" and bridge["ref"] == "A12" and bridge["bridge"] is True
    assert bridge["lanes"] == 1 and bridge["maxspeed_kmh"] == 50.0
    assert by_id[100].properties["name"] == "Rēzekne–Terehova" and by_id[100].cls == "Major Highway"
    assert by_id[110].cls == "Road" and by_id[110].name == "V599"
    assert all(r.topology == "exact" for r in th.roads + th.railways)
    assert th.segments and th.crossings, "borders and crossings come from the base theatre"


def test_bypass_is_found_and_closed(imported) -> None:  # type: ignore[no-untyped-def]
    out, _ = imported
    th = load_theatre(out)
    net = build_network(theatre=th)
    assert not any("Natural Earth" in n for n in net.notes)
    bridges = {d["osm_id"] for *_, d in net.road.edges(data=True) if d["bridge"]}
    assert bridges == {102, 111}, "bridges come from the OSM flag, not from crossing a river line"
    ents = {k: entry_points(network=net, kind=k) for k in ("road", "rail")}
    assert [e.crossing for e in ents["road"]] == ["Terehova–Burachki"], "the dead-end street is no entry"
    objs = {k: objectives(network=net, kind=k) for k in ("road", "rail")}
    cps, _ = find_chokepoints(network=net, entries=ents, objs=objs)
    road_sites = [c for c in cps if c.kind == "road"]
    refs = {net.road.edges[c.edge].get("ref") for c in road_sites}
    assert refs == {"A12", "V599"}, "the bridge alone leaves the bypass open"
    a12 = next(c for c in road_sites if net.road.edges[c.edge].get("ref") == "A12")
    assert a12.bridge and a12.lanes == 1, "the narrow bridge is the cheapest A12 closure"
    g = net.road.copy()
    sinks = objective_nodes(objs["road"])
    assert nx.node_connected_component(g, ents["road"][0].node) & sinks
    g.remove_edges_from(c.edge for c in road_sites)
    assert not nx.node_connected_component(g, ents["road"][0].node) & sinks
    parks = P.ParksFile(
        parks=[
            P.ParkSpec(
                name="PX Ludza",
                lon=27.72,
                lat=56.54,
                trucks=3,
                source="test",
                stock={"dragons_teeth": 60, "czech_hedgehogs": 40, "cheval_de_frise": 12, "concrete_blocks_2t": 30},
            )
        ]
    )
    doc = P.make_plan(network=net, chokepoints=cps, indicator="road-closure-all", open_crossings=set(), parks=parks)
    closed = {s["id"]: s for s in doc["chokepoints"]}
    assert {c.id for c in road_sites} == set(closed) and not doc["unclosed"]
    for s in closed.values():
        assert s["trucks"] and s["closed_h"] > 0
    for t in doc["trucks"]:
        r = t["route"]
        assert r["edges"] and r["road_km"] > 0 and len(r["coordinates"]) >= 2
        assert r["off_network_km"]["site"] == 0.0, "road sites lie on the road"


def test_missing_node_way_rejected_counted_rest_kept(tmp_path: Path, imported) -> None:  # type: ignore[no-untyped-def]
    _, good = imported
    rep = import_osm(write_pbf(tmp_path / "broken.osm.pbf", broken=True), tmp_path / "th")
    assert sum(rep.rejected.values()) == 1
    assert "missing from the extract" in next(iter(rep.rejected))
    assert rep.roads == good.roads and rep.railways == good.railways
    th = load_theatre(tmp_path / "th")
    assert 160 not in {r.properties["osm_id"] for r in th.roads} and len(th.roads) == good.roads


def test_cli_import_and_corridors(tmp_path: Path) -> None:
    runner = CliRunner()
    pbf = write_pbf(tmp_path / "x.osm.pbf", broken=True)
    r = runner.invoke(app, ["theatre", "import-osm", str(pbf), "-o", str(tmp_path / "th")])
    assert r.exit_code == 0, r.output
    assert "rejected 1" in r.output
    r = runner.invoke(app, ["mobility", "corridors", "--theatre", str(tmp_path / "th"), "-o", str(tmp_path / "c")])
    assert r.exit_code == 0, r.output
    feats = json.loads((tmp_path / "c" / "chokepoints.geojson").read_text())["features"]
    assert {f["properties"]["kind"] for f in feats} >= {"road"}
    r = runner.invoke(app, ["theatre", "import-osm", str(tmp_path / "nope.pbf"), "-o", str(tmp_path / "z")])
    assert r.exit_code == 2 and "file not found" in r.output


_TAG_VALUES = ["2", "two", "", "1;2", "-3", "90 mph", "50", "0", "yes", "no", "viaduct", "12.5", "x" * 30]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tags=st.dictionaries(
        st.sampled_from(["lanes", "maxspeed", "bridge", "layer", "tracks", "ref", "name"]),
        st.sampled_from(_TAG_VALUES),
        max_size=6,
    ),
    highway=st.sampled_from(["trunk", "residential", "footway", "motorway_link"]),
)
def test_import_never_crashes_on_tag_values(tmp_path: Path, tags: dict[str, str], highway: str) -> None:
    """Any tag values: the way is kept (drivable class) or skipped, bad values dropped and counted, no crash."""
    import tempfile

    work = Path(tempfile.mkdtemp(dir=tmp_path))  # one folder per example (the writer will not overwrite)
    p = work / "fuzz.osm.pbf"
    w = osmium.SimpleWriter(str(p))
    for nid, loc in ((1, (27.5, 56.5)), (2, (27.6, 56.5))):
        w.add_node(osmium.osm.mutable.Node(id=nid, location=loc, tags={}))
    w.add_way(osmium.osm.mutable.Way(id=1, nodes=[1, 2], tags={"highway": highway, **tags}))
    w.add_way(osmium.osm.mutable.Way(id=2, nodes=[1, 2], tags={"railway": "rail", **tags}))
    w.close()
    rep = import_osm(p, work / "out")
    assert rep.railways == 1 and rep.roads == (0 if highway == "footway" else 1)
    props = json.loads((work / "out" / "roads_osm.geojson").read_text())["features"]
    for f in props:
        assert f["properties"].get("lanes", 1) >= 1 and f["properties"].get("maxspeed_kmh", 1) > 0
