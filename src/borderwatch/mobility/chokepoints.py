"""Chokepoints: closure sites that separate the border's entry points from the interior objectives.

Two models:

* :func:`min_cut_sites` — the weighted minimum s–t cut (networkx max-flow) with capacity ``effort_m``
  (lanes × closure width, m) on each edge: the least total closure width that cuts every corridor.
* :func:`interdict_flow` — budgeted network-flow interdiction (Wood 1993) as a MILP solved by HiGHS through
  :func:`scipy.optimize.milp`: choose sites within a budget (a number of sites, or metres of closure) to
  minimise the flow that still gets through. With a budget equal to the min-cut value both models pick the
  same set (tested on a hand-made network).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np
import shapely
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

from borderwatch.errors import InfeasibleError
from borderwatch.mobility.corridors import EntryPoint, Objective, objective_nodes
from borderwatch.mobility.network import Network

_S, _T = "__S", "__T"
#: a closure site sits this far along its edge from the border-side end (m)
SITE_INSET_M = 3000.0
#: a rail closure site may move this far along the network from its min-cut edge (m) to be reachable by road
SITE_SEARCH_M = 30_000.0


@dataclass(frozen=True, slots=True)
class Chokepoint:
    """One closure site on a network edge."""

    id: str
    kind: str  # road | rail
    edge: tuple[int, int]  # (border-side node, interior-side node)
    edge_id: str
    cls: str
    lanes: int
    width_m: float
    effort_m: float  # lanes × width_m: metres of obstacle line a closure needs
    length_m: float
    bridge: bool
    lon: float
    lat: float
    border_km: float
    segment: str
    entries: tuple[str, ...]  # entry points whose corridors it cuts


@dataclass(frozen=True, slots=True)
class CutResult:
    value_m: float  # total closure effort (m)
    edges: list[tuple[int, int]]  # (source side, sink side)


def min_cut_sites(
    *, graph: nx.Graph, sources: Iterable[int], sinks: Iterable[int], capacity: str = "effort_m"
) -> CutResult:
    """Weighted minimum cut between node sets on an undirected graph.

    Parameters
    ----------
    graph : undirected graph whose edges carry ``capacity``.
    sources, sinks : node sets; nodes in both are ignored as sinks.
    capacity : edge attribute used as cut cost (default ``effort_m``, metres of closure).

    Returns
    -------
    CutResult with the cut value and the cut edges oriented (source side, sink side). Of the minimum cuts, the
    one nearest the sources is returned.
    """
    src = set(sources)
    dst = set(sinks) - src
    d = nx.DiGraph()
    for u, v, data in graph.edges(data=True):
        c = float(data[capacity])
        d.add_edge(u, v, capacity=c)
        d.add_edge(v, u, capacity=c)
    for s in src:
        d.add_edge(_S, s)  # no capacity attribute = infinite
    for t in dst:
        d.add_edge(t, _T)
    if not src or not dst:
        return CutResult(0.0, [])
    # the minimum cut nearest the sources (the border): nodes reachable from S in the residual network.
    # networkx's own partition is the one nearest the sink, which puts closures deep inside the country.
    residual = nx.flow.preflow_push(d, _S, _T)
    value = residual.graph["flow_value"]
    s_side = {_S}
    stack = [_S]
    while stack:
        a = stack.pop()
        for b, arc in residual[a].items():
            if b not in s_side and arc["capacity"] - arc["flow"] > 1e-9:
                s_side.add(b)
                stack.append(b)
    edges = [(u, v) for u, v in graph.edges if (u in s_side) != (v in s_side)]
    edges = [(u, v) if u in s_side else (v, u) for u, v in edges]
    return CutResult(float(value), sorted(edges))


@dataclass(frozen=True, slots=True)
class InterdictionResult:
    edges: list[tuple[int, int]]
    remaining_flow: float
    budget_used: float
    status: str


def interdict_flow(
    *,
    graph: nx.Graph,
    sources: Iterable[int],
    sinks: Iterable[int],
    budget: float,
    capacity: str = "lanes",
    cost: str | None = None,
    time_limit_s: float = 10.0,
) -> InterdictionResult:
    """Budgeted maximum-flow interdiction (Wood 1993) as a MILP (HiGHS via scipy.optimize.milp).

    Minimises the flow (in ``capacity`` units, e.g. lanes) that can still pass from ``sources`` to ``sinks``
    after closing edges whose total ``cost`` stays within ``budget``. ``cost=None`` counts sites (budget = k).

    Returns
    -------
    InterdictionResult: closed edges, remaining flow, budget used, HiGHS status message.
    """
    src = set(sources)
    dst = set(sinks) - src
    nodes = list(graph.nodes)
    idx = {n: i for i, n in enumerate(nodes)}
    edges = list(graph.edges)
    n_n, n_e = len(nodes), len(edges)
    # variables: alpha[n] (1 = sink side), beta[a] for 2 arcs per edge, gamma[e]
    n_var = n_n + 2 * n_e + n_e
    a0, b0, g0 = 0, n_n, n_n + 2 * n_e
    c = np.zeros(n_var)
    for k, e in enumerate(edges):
        cap = float(graph.edges[e][capacity])
        c[b0 + 2 * k] = cap
        c[b0 + 2 * k + 1] = cap
    rows = lil_matrix((2 * n_e + 1, n_var))
    lo = np.zeros(2 * n_e + 1)
    hi = np.full(2 * n_e + 1, np.inf)
    for k, (u, v) in enumerate(edges):
        for r, (i, j) in enumerate(((u, v), (v, u))):
            row = 2 * k + r
            rows[row, a0 + idx[i]] = 1.0
            rows[row, a0 + idx[j]] = -1.0
            rows[row, b0 + 2 * k + r] = 1.0
            rows[row, g0 + k] = 1.0
    for k, e in enumerate(edges):
        rows[2 * n_e, g0 + k] = 1.0 if cost is None else float(graph.edges[e][cost])
    lo[2 * n_e], hi[2 * n_e] = -np.inf, budget
    lb = np.zeros(n_var)
    ub = np.ones(n_var)
    for s in src:
        ub[a0 + idx[s]] = 0.0
    for t in dst:
        lb[a0 + idx[t]] = 1.0
    if not src or not dst:
        return InterdictionResult([], 0.0, 0.0, "nothing to separate")
    res = milp(
        c,
        constraints=LinearConstraint(rows.tocsr(), lo, hi),
        integrality=np.ones(n_var),
        bounds=Bounds(lb, ub),
        options={"time_limit": time_limit_s, "disp": False},
    )
    if res.x is None:
        raise InfeasibleError(f"flow interdiction found no solution: {res.message}")
    x = np.round(res.x)
    picked = [edges[k] for k in range(n_e) if x[g0 + k] > 0.5]
    alpha = {n: x[a0 + idx[n]] for n in nodes}
    picked = [(u, v) if alpha[u] < alpha[v] else (v, u) for u, v in picked]
    used = sum(1.0 if cost is None else float(graph.edges[e][cost]) for e in picked)
    return InterdictionResult(sorted(picked), float(res.fun), used, str(res.message))


def _chain(g: nx.Graph, u: int, v: int, stop: set[int]) -> list[tuple[int, int]]:
    """The edges in series with (u, v) — through nodes of degree 2 that are neither entries nor objectives, with
    the same closure effort — oriented from the border side; closing any one of them cuts the same corridors."""
    effort = g.edges[u, v]["effort_m"]
    seen = {u, v}

    def walk(a: int, b: int) -> list[tuple[int, int]]:  # from node a, away from b
        out: list[tuple[int, int]] = []
        while a not in stop and g.degree(a) == 2:
            nxt = next(n for n in g.neighbors(a) if n != b)
            if nxt in seen or g.edges[a, nxt]["effort_m"] != effort:
                break
            out.append((a, nxt))
            seen.add(nxt)
            b, a = a, nxt
        return out

    back = [(y, x) for x, y in walk(u, v)][::-1]  # border side, oriented towards u
    return [*back, (u, v), *walk(v, u)]


def _swaps(
    g: nx.Graph, u: int, v: int, cut: list[tuple[int, int]], sources: set[int], sinks: set[int], radius_m: float
) -> list[tuple[int, int]]:
    """Edges that can replace cut edge (u, v) — same closure effort, within ``radius_m`` along the network of it,
    and the cut with the swap still separates the sources from the sinks — oriented from the source side."""
    effort = g.edges[u, v]["effort_m"]
    near = nx.single_source_dijkstra_path_length(g, u, cutoff=radius_m, weight="length_m")
    others = [e for e in cut if {e[0], e[1]} != {u, v}]
    h = g.copy()
    h.remove_edges_from(others)
    # a single edge that replaces (u, v) must be a bridge of h (its removal alone separates something)
    out: list[tuple[int, int]] = []
    for a, b in list(nx.bridges(h)):
        d = h.edges[a, b]
        if a not in near or b not in near or d["effort_m"] != effort:
            continue
        h.remove_edge(a, b)
        side = set().union(*(nx.node_connected_component(h, s) for s in sources if s in h))
        if not side & sinks:
            out.append((a, b) if a in side else (b, a))
        h.add_edge(a, b, **d)
    return out


def _place_on_chain(
    network: Network, kind: str, u: int, v: int, edges: list[tuple[int, int]]
) -> tuple[int, int, float, float] | None:
    """Where on the edges that can carry cut edge (u, v)'s closure a truck can reach the site: inside the home
    country, at least ``site_setback_m`` from the border, within ``rail_site_max_off_road_m`` of a road when
    possible (the point nearest the border among those), else the point nearest a road. Returns
    (u, v, lon, lat) or None."""
    g = network.graph(kind)
    th = network.theatre
    cat = network.catalogue
    step = 100.0
    rows: list[tuple[int, int, float, float]] = []
    for a, b in edges:
        geom = g.edges[a, b]["geometry"]
        for t in np.arange(step / 2, geom.length, step):
            p = geom.interpolate(float(t))
            rows.append((a, b, float(p.x), float(p.y)))
    if not rows:
        return None
    xy = np.array([[r[2], r[3]] for r in rows])
    ll = th.unproject(shapely.MultiPoint(xy))
    lon = np.array([p.x for p in ll.geoms])
    lat = np.array([p.y for p in ll.geoms])
    border = th.distance_to_border_m(lat, lon)
    ok = th.in_home(lat, lon) & (border >= cat.site_setback_m.value)
    if not ok.any():
        return None
    roads = network.road_lines()
    off = (
        np.asarray(shapely.distance(roads, shapely.points(xy[:, 0], xy[:, 1])))
        if roads is not None
        else np.full(len(rows), np.inf)
    )
    near = ok & (off <= cat.rail_site_max_off_road_m.value)
    if near.any():
        i = int(np.flatnonzero(near)[np.argmin(border[near])])
    else:
        i = int(np.flatnonzero(ok)[np.argmin(off[ok])])
    a, b, *_ = rows[i]
    return a, b, float(lon[i]), float(lat[i])


def find_chokepoints(
    *, network: Network, entries: dict[str, list[EntryPoint]], objs: dict[str, list[Objective]]
) -> tuple[list[Chokepoint], dict[str, float]]:
    """Minimum-effort closure sites per network kind, as :class:`Chokepoint` records.

    Returns the sites (ids C01, C02, … road first, then rail) and the min-cut value (m) per kind.
    """
    out: list[Chokepoint] = []
    values: dict[str, float] = {}
    for kind in ("road", "rail"):
        if kind not in entries:
            continue
        g = network.graph(kind)
        ents = entries[kind]
        cut = min_cut_sites(graph=g, sources=[e.node for e in ents], sinks=objective_nodes(objs[kind]))
        values[kind] = cut.value_m
        h = g.copy()
        h.remove_edges_from(cut.edges)
        comp = {n: i for i, cc in enumerate(nx.connected_components(h)) for n in cc}
        by_comp: dict[int, list[str]] = {}
        for e in ents:
            by_comp.setdefault(comp[e.node], []).append(e.name)
        sites = []
        src, sinks = {e.node for e in ents}, objective_nodes(objs[kind])
        stop = src | sinks
        placements: dict[tuple[int, int], tuple[int, int, float, float] | None] = {}
        if kind != "road":  # a rail closure goes where a truck can reach it, on any edge that cuts the same
            for u0, v0 in cut.edges:
                swaps = _swaps(g, u0, v0, cut.edges, src, sinks, SITE_SEARCH_M)
                placements[u0, v0] = _place_on_chain(network, kind, u0, v0, [*_chain(g, u0, v0, stop), *swaps])
            h2 = g.copy()
            h2.remove_edges_from([(p[0], p[1]) if p else e for e, p in placements.items()])
            reach = set().union(*(nx.node_connected_component(h2, n) for n in src))
            if reach & sinks:  # the swaps interact: keep each site on its own chain (always a cut)
                placements = {
                    (u0, v0): _place_on_chain(network, kind, u0, v0, _chain(g, u0, v0, stop)) for u0, v0 in cut.edges
                }
        for u0, v0 in cut.edges:
            placed = placements.get((u0, v0))
            if placed is not None:
                u, v, lon, lat = placed
                d = g.edges[u, v]
                border_km = float(network.theatre.distance_to_border_m(lat, lon)[0]) / 1000.0
                sites.append((u, v, d, float(lon), float(lat), border_km, u0))
                continue
            u, v = u0, v0
            d = g.edges[u, v]
            if d["bridge"] and d["bridge_lonlat"]:
                lon, lat = d["bridge_lonlat"]
            else:  # SITE_INSET_M in from the border-side end (or mid-edge on a short edge)
                geom = d["geometry"]
                ux, uy = g.nodes[u]["x"], g.nodes[u]["y"]
                at_u = geom.project(shapely.Point(ux, uy)) < 0.5 * geom.length
                f = min(0.5, SITE_INSET_M / max(geom.length, 1.0))
                lon, lat = network.edge_lonlat(kind, u, v, at=f if at_u else 1.0 - f)
            border_km = float(network.theatre.distance_to_border_m(lat, lon)[0]) / 1000.0
            sites.append((u, v, d, float(lon), float(lat), border_km, u0))
        sites.sort(key=lambda s: (-s[4], s[3]))  # north to south
        for u, v, d, lon, lat, border_km, side in sites:
            out.append(
                Chokepoint(
                    id="",
                    kind=kind,
                    edge=(u, v),
                    edge_id=d["id"],
                    cls=d["cls"],
                    lanes=int(d["lanes"]),
                    width_m=float(d["width_m"]),
                    effort_m=float(d["effort_m"]),
                    length_m=float(d["length_m"]),
                    bridge=bool(d["bridge"]),
                    lon=lon,
                    lat=lat,
                    border_km=round(border_km, 2),
                    segment=g.nodes[u]["segment"],
                    entries=tuple(by_comp.get(comp[side], [])),
                )
            )
    return [replace(c, id=f"C{i + 1:02d}") for i, c in enumerate(out)], values
