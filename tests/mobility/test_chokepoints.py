"""Min cut and flow interdiction agree on a hand-made network; the shipped chokepoints cut the open crossings."""

from __future__ import annotations

import networkx as nx
import pytest

from borderwatch.mobility.chokepoints import find_chokepoints, interdict_flow, min_cut_sites
from borderwatch.mobility.corridors import entry_points, objective_nodes, objectives
from borderwatch.mobility.network import build_network

S1, S2, A, B, T = range(5)


def hand_graph() -> nx.Graph:
    # Source-side sets containing S1, S2 (T excluded), cut values by hand:
    #   {S1,S2}: 10+10+12 = 32   {S1,S2,A}: 8+5+12 = 25   {S1,S2,B}: 10+10+5+30 = 55   {S1,S2,A,B}: 8+30 = 38
    # so the minimum cut is {A-T, A-B, S2-B} with value 25.
    g = nx.Graph()
    for u, v, w in [(S1, A, 10), (S2, A, 10), (A, T, 8), (S2, B, 12), (B, T, 30), (A, B, 5)]:
        g.add_edge(u, v, effort_m=float(w), lanes=1)
    return g


def test_min_cut_matches_hand_answer() -> None:
    cut = min_cut_sites(graph=hand_graph(), sources=[S1, S2], sinks=[T])
    assert cut.value_m == pytest.approx(25.0)
    assert {frozenset(e) for e in cut.edges} == {frozenset((A, T)), frozenset((A, B)), frozenset((S2, B))}


def test_interdiction_agrees_with_min_cut() -> None:
    g = hand_graph()
    res = interdict_flow(graph=g, sources=[S1, S2], sinks=[T], budget=25.0, capacity="effort_m", cost="effort_m")
    assert res.remaining_flow == pytest.approx(0.0)
    assert {frozenset(e) for e in res.edges} == {frozenset((A, T)), frozenset((A, B)), frozenset((S2, B))}
    short = interdict_flow(graph=g, sources=[S1, S2], sinks=[T], budget=24.0, capacity="effort_m", cost="effort_m")
    assert short.remaining_flow > 0
    # best single site by count: A-T (8) leaves max flow 5 + 12 = 17; B-T (30) leaves 8 — interdiction picks B-T
    one = interdict_flow(graph=g, sources=[S1, S2], sinks=[T], budget=1, capacity="effort_m")
    assert {frozenset(e) for e in one.edges} == {frozenset((B, T))}
    assert one.remaining_flow == pytest.approx(8.0)


def test_shipped_chokepoints_cut_every_open_road_crossing(theatre) -> None:  # type: ignore[no-untyped-def]
    net = build_network(theatre=theatre)
    ents = {k: entry_points(network=net, kind=k) for k in ("road", "rail")}
    objs = {k: objectives(network=net, kind=k) for k in ("road", "rail")}
    cps, values = find_chokepoints(network=net, entries=ents, objs=objs)
    assert values["road"] > 0 and cps
    opened = {c.name for c in theatre.crossings if c.status == "open" and c.kind == "road"}
    road_entries = {e.crossing: e for e in ents["road"] if e.crossing}
    assert opened <= set(road_entries), "every open road crossing has an entry node"
    g = net.road.copy()
    g.remove_edges_from(c.edge for c in cps if c.kind == "road")
    sinks = objective_nodes(objs["road"])
    for name in opened:
        reach = nx.node_connected_component(g, road_entries[name].node)
        assert not reach & sinks, f"{name} still reaches an objective"
    # before the closures they did reach one
    for name in opened:
        assert nx.node_connected_component(net.road, road_entries[name].node) & sinks


def test_rail_sites_lie_on_osm_railways_and_cut(theatre) -> None:  # type: ignore[no-untyped-def]
    """No closure site on a line absent from the OSM railways; the moved sites still cut every rail link."""
    import shapely

    net = build_network(theatre=theatre)
    ents = {k: entry_points(network=net, kind=k) for k in ("road", "rail")}
    objs = {k: objectives(network=net, kind=k) for k in ("road", "rail")}
    cps, _ = find_chokepoints(network=net, entries=ents, objs=objs)
    rails = [c for c in cps if c.kind == "rail"]
    assert rails
    osm = shapely.union_all([theatre.project(r.geometry) for r in theatre.railways])
    for c in rails:
        x, y = theatre.xy(c.lat, c.lon)
        assert osm.distance(shapely.Point(float(x), float(y))) < 5.0, c.id
        assert bool(theatre.in_home(c.lat, c.lon)[0]), c.id
    g = net.rail.copy()
    g.remove_edges_from(c.edge for c in rails)
    sinks = objective_nodes(objs["rail"])
    for e in ents["rail"]:
        assert not nx.node_connected_component(g, e.node) & sinks, e.name


def test_min_cut_nearest_the_sources() -> None:
    """Of several minimum cuts (a chain of equal edges), the one nearest the border is returned."""
    g = nx.Graph()
    nx.add_path(g, range(5), effort_m=5.0)
    cut = min_cut_sites(graph=g, sources=[0], sinks=[4])
    assert cut.value_m == pytest.approx(5.0) and cut.edges == [(0, 1)]
