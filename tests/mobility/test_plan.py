"""Deployment plans: MILP never worse than greedy, gap reported; infeasible input explained (exit 2, --partial)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.errors import InfeasibleError
from borderwatch.mobility import plan as P
from borderwatch.mobility.chokepoints import find_chokepoints
from borderwatch.mobility.corridors import entry_points, objectives
from borderwatch.mobility.network import build_network
from borderwatch.mobility.schemas import PLAN_SCHEMA, RAIL_LINKS_SCHEMA


@pytest.fixture(scope="module")
def shipped(theatre):  # type: ignore[no-untyped-def]
    net = build_network(theatre=theatre)
    ents = {k: entry_points(network=net, kind=k) for k in ("road", "rail")}
    objs = {k: objectives(network=net, kind=k) for k in ("road", "rail")}
    cps, _ = find_chokepoints(network=net, entries=ents, objs=objs)
    return net, cps, {c.name for c in theatre.crossings if c.status == "open"}


def test_full_plan_beats_greedy_and_reports_gap(shipped) -> None:  # type: ignore[no-untyped-def]
    net, cps, opened = shipped
    doc = P.make_plan(network=net, chokepoints=cps, indicator="full", open_crossings=opened)
    assert {c["id"] for c in doc["chokepoints"]} == {c.id for c in cps}
    assert doc["makespan_h"] <= doc["greedy_makespan_h"] + 1e-9
    assert 0.0 <= doc["gap"] <= 0.01 and doc["lower_bound_h"] <= doc["makespan_h"]
    for s in doc["chokepoints"]:
        assert s["parks"] and s["trucks"] and s["closed_h"] <= doc["makespan_h"] + 1e-9
    for t in doc["trucks"]:
        assert t["trips"][-1]["emplaced_h"] == pytest.approx(t["finish_h"])
    assert doc["notes"], "the Natural Earth caveat travels with the plan"
    jsonschema.validate(json.loads(json.dumps(doc)), PLAN_SCHEMA)


def test_greedy_is_a_valid_upper_bound(shipped) -> None:  # type: ignore[no-untyped-def]
    net, cps, _ = shipped
    ob, pk, fl = P.load_obstacles(), P.load_parks(), P.load_fleet()
    prob = P.build_problem(network=net, sites=cps, parks=pk, fleet=fl, obstacles=ob)
    g = P.greedy(prob)
    m = P.solve_milp(prob)
    assert m.makespan_s(prob) <= g.makespan_s(prob) + 1e-6


def test_indicator_levels_select_subsets(shipped) -> None:  # type: ignore[no-untyped-def]
    _, cps, opened = shipped
    pb = P.load_playbook()
    _, _, lvl1 = P.select_chokepoints(playbook=pb, indicator="border-exercise", chokepoints=cps, open_crossings=opened)
    _, _, full = P.select_chokepoints(playbook=pb, indicator="full", chokepoints=cps, open_crossings=opened)
    assert 0 < len(lvl1) < len(full) == len(cps)
    assert all(c.kind == "road" for c in lvl1)


def _empty_parks(tmp_path: Path) -> Path:
    data = yaml.safe_load(P.data_path("parks.yaml").read_text(encoding="utf-8"))
    for p in data["parks"]:
        if not p["name"].startswith(("P12", "P13")):  # only the Ludza/Zilupe parks keep stock
            p["stock"] = {k: 0 for k in p["stock"]}
    out = tmp_path / "parks.yaml"
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return out


def test_infeasible_parks_explained_and_partial(tmp_path: Path, shipped) -> None:  # type: ignore[no-untyped-def]
    net, cps, opened = shipped
    parks = P.load_parks(_empty_parks(tmp_path))
    with pytest.raises(InfeasibleError, match=r"cannot close \d+ chokepoint"):
        P.make_plan(network=net, chokepoints=cps, indicator="full", open_crossings=opened, parks=parks)
    doc = P.make_plan(network=net, chokepoints=cps, indicator="full", open_crossings=opened, parks=parks, partial=True)
    assert doc["unclosed"] and any("has no stock" in w for w in doc["warnings"])
    assert doc["chokepoints"] and doc["makespan_h"] > 0


def test_cli_exit_2_and_partial(tmp_path: Path) -> None:
    runner = CliRunner()
    parks = _empty_parks(tmp_path)
    r = runner.invoke(
        app, ["mobility", "plan", "--indicator", "full", "--parks", str(parks), "-o", str(tmp_path / "a")]
    )
    assert r.exit_code == 2
    assert "cannot close" in r.output and "Traceback" not in r.output
    r = runner.invoke(
        app, ["mobility", "plan", "--indicator", "full", "--parks", str(parks), "--partial", "-o", str(tmp_path / "b")]
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "b" / "plan.json").is_file() and (tmp_path / "b" / "gantt.png").is_file()
    r = runner.invoke(app, ["mobility", "plan", "--indicator", "nope", "-o", str(tmp_path / "c")])
    assert r.exit_code == 2


def test_cli_corridors_and_rail(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["mobility", "corridors", "--budget", "2", "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    ch = json.loads((tmp_path / "chokepoints.geojson").read_text())
    assert ch["features"] and (tmp_path / "map.png").is_file()
    inter = json.loads((tmp_path / "interdiction.geojson").read_text())["features"]
    assert {f["properties"]["kind"] for f in inter} == {"road", "rail"}
    r = runner.invoke(app, ["mobility", "rail", "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    rail_doc = json.loads((tmp_path / "rail_links.json").read_text())
    jsonschema.validate(rail_doc, RAIL_LINKS_SCHEMA)
    links = rail_doc["links"]
    assert {x["name"] for x in links} >= {"Zilupe", "Kārsava", "Indra"}


def test_disconnected_network_names_the_chokepoint(tmp_path: Path, theatre) -> None:  # type: ignore[no-untyped-def]
    from borderwatch.mobility.loaders import load_geojson_network

    feats = [  # road A crosses the LV-RU border near Terehova; road B near Daugavpils is not connected to it
        {
            "type": "Feature",
            "properties": {"class": "Major Highway"},
            "geometry": {"type": "LineString", "coordinates": [[28.25, 56.37], [27.9, 56.45], [27.5, 56.5]]},
        },
        {
            "type": "Feature",
            "properties": {"class": "Major Highway"},
            "geometry": {"type": "LineString", "coordinates": [[26.5, 55.9], [26.2, 56.1]]},
        },
    ]
    p = tmp_path / "net.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    roads, rails, _ = load_geojson_network(p)
    net = build_network(theatre=theatre, roads=roads, railways=rails)
    ents = {"road": entry_points(network=net, kind="road")}
    objs = {"road": objectives(network=net, kind="road")}
    cps, _ = find_chokepoints(network=net, entries=ents, objs=objs)
    assert len(cps) == 1
    parks = P.ParksFile(
        parks=[
            P.ParkSpec(
                name="PX Daugavpils",
                lon=26.45,
                lat=55.95,
                trucks=1,
                source="test",
                stock={"dragons_teeth": 50, "czech_hedgehogs": 50},
            )
        ]
    )
    with pytest.raises(InfeasibleError, match=r"C01: no park .*disconnected"):
        P.make_plan(network=net, chokepoints=cps, indicator="full", open_crossings=set(), parks=parks)


def test_full_plan_routes_access_and_thin_data(shipped) -> None:  # type: ignore[no-untyped-def]
    """Every truck carries its route as driven; every site reports its off-network legs and is within the
    off-road limit or says why; the thin-data areas travel with the plan."""
    from borderwatch.geo import distance_m

    net, cps, opened = shipped
    doc = P.make_plan(network=net, chokepoints=cps, indicator="full", open_crossings=opened)
    limit_km = net.catalogue.rail_site_max_off_road_m.value / 1000
    parks = {p.name: p for p in P.load_parks().parks}
    sites = {s["id"]: s for s in doc["chokepoints"]}
    for s in sites.values():
        acc = s["access"]
        assert set(acc["park_off_network_km"]) == set(s["parks"])
        assert acc["site_off_network_km"] <= limit_km or (acc["off_road_only"] and acc["note"]), s["id"]
        if s["kind"] == "road":
            assert acc["site_off_network_km"] == 0.0
    for t in doc["trucks"]:
        r = t["route"]
        (lon0, lat0), (lon1, lat1) = r["coordinates"][0], r["coordinates"][-1]
        park, site = parks[t["park"]], sites[t["chokepoint"]]
        assert float(distance_m(lat0, lon0, park.lat, park.lon)) < 5.0
        assert float(distance_m(lat1, lon1, site["lat"], site["lon"])) < 5.0
        crow_km = float(distance_m(park.lat, park.lon, site["lat"], site["lon"])) / 1000
        off = r["off_network_km"]
        assert r["road_km"] + off["park"] + off["site"] >= 0.99 * crow_km  # no route shorter than the crow flies
        assert r["road_h"] + r["off_network_h"] == pytest.approx(t["one_way_h"], abs=2e-3)
        assert r["edges"] and all(e.startswith("r") for e in r["edges"])
    assert any(a["centroid"][1] > 56.9 for a in doc["thin_data_areas"]), "northern Latgale is marked thin"
    jsonschema.validate(json.loads(json.dumps(doc)), PLAN_SCHEMA)


def test_cli_indicators_lists_the_playbook(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["mobility", "indicators", "--no-sites"])
    assert r.exit_code == 0, r.output
    for ind in P.load_playbook().indicators:
        assert ind.name in r.output
    assert "every road and rail chokepoint" in r.output
    r = runner.invoke(app, ["mobility", "indicators"])
    assert r.exit_code == 0 and "C01" in r.output, r.output


def test_cli_plan_writes_routes_and_thin_data(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["mobility", "plan", "--indicator", "belarus-surge", "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "plan.json").read_text())
    routes = json.loads((tmp_path / "routes.geojson").read_text())["features"]
    assert len(routes) == len(doc["trucks"]) and all(f["geometry"]["type"] == "LineString" for f in routes)
    thin = json.loads((tmp_path / "thin_data.geojson").read_text())["features"]
    assert len(thin) == len(doc["thin_data_areas"]) and (tmp_path / "map.png").is_file()
