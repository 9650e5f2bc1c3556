"""Corridors: the fastest routes from the border's entry points to interior objectives.

Entry points are network nodes within ``border_gap_m`` of the watched border where a road or railway crosses
it (the node lies beyond the border) or, on generalised lines, ends short of it; they are named after a
border crossing point of the same kind when one lies within :data:`CROSSING_MATCH_M`. Objectives are places
(default Rēzekne, Daugavpils, and Riga for the Riga direction; a place outside the network's data is left
out) and a depth line: every node at least ``depth_m`` from the border.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice, pairwise
from typing import Any

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from borderwatch.errors import InputError
from borderwatch.mobility.network import Network

#: a crossing point names the entry node of its kind within this distance (m)
CROSSING_MATCH_M = 6000.0
DEFAULT_PLACES = ("Rēzekne", "Daugavpils", "Riga")
DEFAULT_DEPTH_M = 30_000.0
_SUPER = -1


@dataclass(frozen=True, slots=True)
class EntryPoint:
    """A node where a road or railway meets the watched border."""

    id: str
    name: str
    kind: str  # "road" | "rail"
    node: int
    segment: str
    crossing: str | None  # crossing point name, if matched
    status: str | None  # open | suspended | closed (from the crossing), None when unmatched
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class Objective:
    """An interior objective: a place (one node) or the depth line (many nodes)."""

    name: str
    kind: str  # "place" | "depth"
    nodes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Corridor:
    """One route from an entry point to an objective; ``rank`` 1 is the fastest."""

    entry: str
    objective: str
    kind: str
    rank: int
    time_s: float
    length_m: float
    nodes: tuple[int, ...]
    edge_ids: tuple[str, ...]
    geometry: BaseGeometry  # lon/lat LineString


def entry_points(*, network: Network, kind: str) -> list[EntryPoint]:
    """Entry points of the ``kind`` graph, sorted by segment and latitude (north first)."""
    g = network.graph(kind)
    th = network.theatre
    gap = network.catalogue.border_gap_m.value
    # a node near the border is an entry where the line crosses it (the node lies beyond the border) or, for
    # generalised lines that stop short of the border, where the line ends; a junction or station on the home
    # side of exact (OSM) lines is not an entry
    exact = bool(g.graph.get("exact", False))
    cands = [
        n
        for n, d in g.nodes(data=True)
        if d["border_m"] <= gap and g.degree(n) > 0 and (not d.get("home", False) or (not exact and g.degree(n) == 1))
    ]
    cross_xy: list[tuple[Any, float, float]] = []
    for c in th.crossings:
        if c.kind == kind and c.lat is not None and c.lon is not None:
            cx, cy = th.xy(c.lat, c.lon)
            cross_xy.append((c, float(cx), float(cy)))
    # each crossing names its nearest entry node
    named: dict[int, Any] = {}
    for c, x, y in cross_xy:
        if not cands:
            break
        dists = [float(np.hypot(g.nodes[n]["x"] - x, g.nodes[n]["y"] - y)) for n in cands]
        i = int(np.argmin(dists))
        if dists[i] <= CROSSING_MATCH_M and cands[i] not in named:
            named[cands[i]] = c
    out = []
    for n in sorted(cands, key=lambda n: (g.nodes[n]["segment"], -g.nodes[n]["lat"])):
        d = g.nodes[n]
        m = named.get(n)
        name = m.name if m else f"{d['segment']} {kind} entry {d['lat']:.3f}N {d['lon']:.3f}E"
        out.append(
            EntryPoint(
                id=f"{kind}:{n}",
                name=name,
                kind=kind,
                node=n,
                segment=d["segment"],
                crossing=m.name if m else None,
                status=m.status if m else None,
                lon=d["lon"],
                lat=d["lat"],
            )
        )
    return out


def objectives(
    *, network: Network, kind: str, places: tuple[str, ...] = DEFAULT_PLACES, depth_m: float | None = DEFAULT_DEPTH_M
) -> list[Objective]:
    """Objectives on the ``kind`` graph: the node nearest each place, and the depth line (nodes ≥ ``depth_m``).

    A place farther than ``objective_snap_max_m`` from every node of the graph (outside the data's extent) is
    left out, with a note on the network."""
    g = network.graph(kind)
    th = network.theatre
    out = []
    limit = network.catalogue.objective_snap_max_m.value
    for name in places:
        p = th.place(name)
        x, y = th.xy(p.lat, p.lon)
        node, dist = network.nearest_node(kind=kind, x=float(x), y=float(y))
        if dist > limit:  # the place lies outside the network's extent: no objective there
            note = (
                f"objective {p.name} left out of the {kind} network: its nearest {kind} node is "
                f"{dist / 1000:.0f} km away (outside the data's extent)"
            )
            if note not in network.notes:
                network.notes.append(note)
            continue
        out.append(Objective(name=p.name, kind="place", nodes=(node,)))
    if depth_m is not None:
        home = th.project(th.home.geometry)
        shapely.prepare(home)
        deep = tuple(
            n
            for n, d in g.nodes(data=True)
            if d["border_m"] >= depth_m and home.contains(shapely.Point(d["x"], d["y"]))
        )
        if deep:
            out.append(Objective(name=f"depth line {depth_m / 1000:g} km", kind="depth", nodes=deep))
    if not out:
        raise InputError("no objectives: give places or a depth line")
    return out


def objective_nodes(objs: list[Objective]) -> set[int]:
    """Every node of every objective."""
    return {n for o in objs for n in o.nodes}


def path_geometry(network: Network, kind: str, nodes: list[int]) -> BaseGeometry:
    g = network.graph(kind)
    coords: list[tuple[float, float]] = []
    for u, v in pairwise(nodes):
        seg = list(g.edges[u, v]["geometry"].coords)
        ux, uy = g.nodes[u]["x"], g.nodes[u]["y"]
        if np.hypot(seg[-1][0] - ux, seg[-1][1] - uy) < np.hypot(seg[0][0] - ux, seg[0][1] - uy):
            seg.reverse()
        coords.extend(seg if not coords else seg[1:])
    return network.theatre.unproject(LineString(coords))


def k_shortest_corridors(
    *, network: Network, kind: str, entries: list[EntryPoint], objs: list[Objective], k: int = 3
) -> list[Corridor]:
    """Up to ``k`` fastest loop-free routes (by travel time) from each entry point to each objective."""
    g = network.graph(kind)
    out: list[Corridor] = []
    for obj in objs:
        h = g.copy()
        h.add_node(_SUPER)
        for n in obj.nodes:
            h.add_edge(n, _SUPER, time_s=0.0, length_m=0.0)
        for ent in entries:
            if ent.node in obj.nodes or not nx.has_path(h, ent.node, _SUPER):
                continue
            paths = islice(nx.shortest_simple_paths(h, ent.node, _SUPER, weight="time_s"), k)
            for rank, path in enumerate(paths, start=1):
                nodes = path[:-1]
                if len(nodes) < 2:
                    continue
                edges = [g.edges[u, v] for u, v in pairwise(nodes)]
                out.append(
                    Corridor(
                        entry=ent.name,
                        objective=obj.name,
                        kind=kind,
                        rank=rank,
                        time_s=sum(e["time_s"] for e in edges),
                        length_m=sum(e["length_m"] for e in edges),
                        nodes=tuple(nodes),
                        edge_ids=tuple(e["id"] for e in edges),
                        geometry=path_geometry(network, kind, nodes),
                    )
                )
    return out


def edge_betweenness(
    *, network: Network, kind: str, entries: list[EntryPoint], objs: list[Objective]
) -> dict[str, float]:
    """Edge betweenness (time-weighted shortest paths from entry points to objective nodes), by edge id.

    Values are the number of entry→objective-node shortest paths through the edge (not normalised).
    """
    g = network.graph(kind)
    src = [e.node for e in entries]
    dst = sorted(objective_nodes(objs) - set(src))
    if not src or not dst:
        return {}
    bc = nx.edge_betweenness_centrality_subset(g, src, dst, normalized=False, weight="time_s")
    return {g.edges[u, v]["id"]: float(val) for (u, v), val in bc.items()}
