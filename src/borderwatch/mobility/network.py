"""The mobility network: roads and railways as graphs in the theatre's projected CRS (metres).

Lines are clipped to the home country (plus a buffer, so lines that cross the border keep their border
end), split where they meet or end near each other, and their ends snapped into nodes (union-find over a
KD-tree, :data:`snap_tolerance_m`). Each edge carries its class, length (m), speed (m/s), travel time (s),
lanes or tracks, closure width (m), closure effort ``lanes × width_m`` (m) and a bridge flag when it crosses
a river of the theatre.

>>> from borderwatch.theatre import load_theatre
>>> net = build_network(theatre=load_theatre())
>>> net.road.number_of_edges() > 30 and net.rail.number_of_edges() > 100
True
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from borderwatch.config import Sourced, Strict, load_model
from borderwatch.errors import InputError
from borderwatch.theatre.model import Line, Theatre

#: the caveat every result from the shipped roads carries
NE_NOTE = (
    "Roads are Natural Earth 1:10m main roads only (no names or refs; northern Latgale thin): local roads that "
    "could bypass a closure are missing. Load OSM or GeoJSON with --network for detail."
)


class RoadClassSpec(Strict):
    speed_kmh: Sourced
    lanes: Sourced
    width_m: Sourced


class RailSpec(Strict):
    speed_kmh: Sourced
    width_m: Sourced
    removal_h_per_track_m: Sourced


class NetworkCatalogue(Strict):
    """network.yaml: how lines become edges."""

    snap_tolerance_m: Sourced
    home_buffer_m: Sourced
    border_gap_m: Sourced
    road_classes: dict[str, RoadClassSpec]
    rail: RailSpec


def data_path(name: str) -> Path:
    """Path of a catalogue shipped in ``borderwatch/mobility/data``."""
    return Path(str(resources.files("borderwatch.mobility") / "data" / name))


def load_network_catalogue(path: Path | str | None = None) -> NetworkCatalogue:
    """Read network.yaml (default: the shipped one)."""
    cat = load_model(NetworkCatalogue, path or data_path("network.yaml"))
    if "Unknown" not in cat.road_classes:
        raise InputError("needs an 'Unknown' road class as the fallback", source=str(path), field="road_classes")
    return cat


@dataclass(slots=True)
class Network:
    """Road and rail graphs (networkx ``Graph``; node ids are ints, coordinates in metres).

    Node attributes: ``x``, ``y`` (m, theatre CRS), ``lon``, ``lat`` (deg), ``border_m`` (distance to the watched
    border, m), ``segment`` (nearest watched border segment id). Edge attributes: ``id``, ``kind``, ``cls``,
    ``name``, ``length_m``, ``speed_mps``, ``time_s``, ``lanes`` (tracks for rail), ``width_m``, ``effort_m``,
    ``bridge``, ``bridge_lonlat``, ``geometry`` (projected LineString), ``electric`` (rail).
    """

    road: nx.Graph
    rail: nx.Graph
    theatre: Theatre
    catalogue: NetworkCatalogue
    source: str
    notes: list[str] = field(default_factory=list)

    def graph(self, kind: str) -> nx.Graph:
        """The ``"road"`` or ``"rail"`` graph."""
        if kind not in ("road", "rail"):
            raise InputError(f"network kind must be 'road' or 'rail', not {kind!r}")
        return self.road if kind == "road" else self.rail

    def nearest_node(self, *, kind: str, x: float, y: float) -> tuple[int, float]:
        """Nearest node of a graph to a projected point: ``(node, distance_m)``."""
        g = self.graph(kind)
        nodes = list(g.nodes)
        if not nodes:
            raise InputError(f"the {kind} network is empty")
        xy = np.array([[g.nodes[n]["x"], g.nodes[n]["y"]] for n in nodes])
        d = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
        i = int(np.argmin(d))
        return int(nodes[i]), float(d[i])

    def edge_lonlat(self, kind: str, u: int, v: int, *, at: float = 0.5) -> tuple[float, float]:
        """Lon/lat of the point at fraction ``at`` along edge (u, v)."""
        geom = self.graph(kind).edges[u, v]["geometry"]
        p = geom.interpolate(at, normalized=True)
        ll = self.theatre.unproject(p)
        return float(ll.x), float(ll.y)


def _class_spec(cat: NetworkCatalogue, cls: str) -> RoadClassSpec:
    return cat.road_classes.get(cls) or cat.road_classes["Unknown"]


def _split_points(geoms: list[BaseGeometry], tol: float) -> list[list[float]]:
    """For each line, the distances along it where it must be split (meets or nears another line)."""
    tree = shapely.STRtree(geoms)
    ends = [(Point(g.coords[0]), Point(g.coords[-1])) for g in geoms]
    out: list[list[float]] = []
    for i, g in enumerate(geoms):
        cuts = [0.0, g.length]
        for j in tree.query(g, predicate="dwithin", distance=tol):
            if j == i:
                continue
            h = geoms[int(j)]
            inter = shapely.intersection(g, h)
            for p in shapely.get_parts(inter):
                if p.geom_type == "Point":
                    cuts.append(float(g.project(p)))
                elif not p.is_empty:  # overlapping stretch: split at its ends
                    cuts.extend(float(g.project(Point(c))) for c in (p.coords[0], p.coords[-1]))
            for e in ends[int(j)]:
                if g.distance(e) <= tol:
                    cuts.append(float(g.project(e)))
        cuts.sort()
        merged = [cuts[0]]
        for c in cuts[1:]:
            if c - merged[-1] > 1.0:
                merged.append(c)
        if merged[-1] != g.length:
            if g.length - merged[-1] <= 1.0 and len(merged) > 1:
                merged[-1] = g.length
            else:
                merged.append(g.length)
        out.append(merged)
    return out


def _cluster(points: np.ndarray, tol: float) -> np.ndarray:
    """Union-find cluster labels of points closer than ``tol`` (transitively)."""
    parent = np.arange(len(points))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = int(parent[a])
        return a

    for a, b in cKDTree(points).query_pairs(tol):
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(i) for i in range(len(points))])


def _build_graph(
    lines: list[tuple[LineString, dict[str, Any]]], *, theatre: Theatre, tol: float, rivers_xy: BaseGeometry | None
) -> nx.Graph:
    g = nx.Graph()
    if not lines:
        return g
    geoms = [ln for ln, _ in lines]
    cuts = _split_points(geoms, tol)
    pieces: list[tuple[LineString, dict[str, Any]]] = []
    for (geom, attrs), cs in zip(lines, cuts, strict=True):
        for a, b in itertools.pairwise(cs):
            if b - a < 1.0:
                continue
            piece = substring(geom, a, b)
            if piece.geom_type == "LineString" and piece.length >= 1.0:
                pieces.append((piece, attrs))
    if not pieces:
        return g
    pts = np.array([[p.coords[k][0], p.coords[k][1]] for p, _ in pieces for k in (0, -1)])
    labels = _cluster(pts, tol)
    uniq, node_of = np.unique(labels, return_inverse=True)
    cx = np.bincount(node_of, weights=pts[:, 0]) / np.bincount(node_of)
    cy = np.bincount(node_of, weights=pts[:, 1]) / np.bincount(node_of)
    lon_lat = theatre.unproject(shapely.MultiPoint(np.column_stack([cx, cy])))
    border_xy = theatre.project(theatre.watched_border)
    seg_xy = [(s.id, theatre.project(s.geometry)) for s in theatre.watched_segments]
    for n in range(len(uniq)):
        p = Point(cx[n], cy[n])
        seg = min(seg_xy, key=lambda s: s[1].distance(p))[0] if seg_xy else ""
        ll = lon_lat.geoms[n]
        g.add_node(
            n,
            x=float(cx[n]),
            y=float(cy[n]),
            lon=float(ll.x),
            lat=float(ll.y),
            border_m=float(border_xy.distance(p)),
            segment=seg,
        )
    next_node = len(uniq)
    for k, (piece, attrs) in enumerate(pieces):
        u, v = int(node_of[2 * k]), int(node_of[2 * k + 1])
        if u == v:
            continue
        e = dict(attrs)
        e["geometry"] = piece
        e["length_m"] = float(piece.length)
        e["time_s"] = e["length_m"] / e["speed_mps"]
        e["effort_m"] = float(e["lanes"]) * float(e["width_m"])
        bridge_ll: list[float] | None = None
        if rivers_xy is not None and piece.intersects(rivers_xy):
            bp = shapely.get_parts(piece.intersection(rivers_xy))[0]
            bpl = theatre.unproject(bp.representative_point())
            bridge_ll = [round(float(bpl.x), 5), round(float(bpl.y), 5)]
        e["bridge"] = bridge_ll is not None or bool(e.pop("osm_bridge", False))
        e["bridge_lonlat"] = bridge_ll
        if g.has_edge(u, v):  # a parallel line: give it its own midpoint node so both stay in the graph
            mid = piece.interpolate(0.5, normalized=True)
            mll = theatre.unproject(mid)
            g.add_node(
                next_node,
                x=mid.x,
                y=mid.y,
                lon=float(mll.x),
                lat=float(mll.y),
                border_m=float(border_xy.distance(mid)),
                segment=g.nodes[u]["segment"],
            )
            half = piece.length / 2.0
            for a, b, ga in (
                (u, next_node, substring(piece, 0, half)),
                (next_node, v, substring(piece, half, piece.length)),
            ):
                ee = dict(e, geometry=ga, length_m=float(ga.length), time_s=float(ga.length) / e["speed_mps"])
                ee["id"] = f"{e['id_prefix']}{k}{'a' if b == next_node else 'b'}"
                g.add_edge(a, b, **ee)
            next_node += 1
            continue
        e["id"] = f"{e['id_prefix']}{k}"
        g.add_edge(u, v, **e)
    for _, _, d in g.edges(data=True):
        d.pop("id_prefix", None)
    return g


def _clip(theatre: Theatre, lines: list[Line], buffer_m: float) -> list[tuple[LineString, Line]]:
    zone = theatre.project(theatre.home.geometry).buffer(buffer_m)
    shapely.prepare(zone)
    out: list[tuple[LineString, Line]] = []
    for ln in lines:
        xy = theatre.project(ln.geometry)
        if not zone.intersects(xy):
            continue
        for part in shapely.get_parts(shapely.line_merge(zone.intersection(xy))):
            if part.geom_type == "LineString" and part.length > 1.0:
                out.append((part, ln))
    return out


def build_network(
    *,
    theatre: Theatre,
    roads: list[Line] | None = None,
    railways: list[Line] | None = None,
    catalogue: NetworkCatalogue | None = None,
    source: str | None = None,
) -> Network:
    """Build road and rail graphs from lines (default: the theatre's shipped roads and railways).

    Parameters
    ----------
    theatre : the theatre (home polygon, watched border, rivers, projection).
    roads, railways : lines in lon/lat; road ``cls`` must be a class of the catalogue (else ``Unknown``).
        Optional properties ``lanes``, ``maxspeed_kmh``, ``bridge`` override the class defaults;
        rail property ``mult_track`` (0/1) or ``tracks`` gives the track count.
    catalogue : network.yaml parameters (default: the shipped one).
    source : description of the data, kept in :attr:`Network.source`.

    Returns
    -------
    Network with graphs in metres (theatre CRS) and seconds.
    """
    cat = catalogue or load_network_catalogue()
    shipped = roads is None and railways is None
    roads = theatre.roads if roads is None else roads
    railways = theatre.railways if railways is None else railways
    buf = cat.home_buffer_m.value
    tol = cat.snap_tolerance_m.value
    rivers = [theatre.project(r.geometry) for r in theatre.rivers]
    rivers_xy = shapely.union_all(rivers) if rivers else None
    road_lines: list[tuple[LineString, dict[str, Any]]] = []
    for geom, ln in _clip(theatre, roads, buf):
        spec = _class_spec(cat, ln.cls)
        cls = ln.cls if ln.cls in cat.road_classes else "Unknown"
        p = ln.properties
        speed = float(p.get("maxspeed_kmh") or spec.speed_kmh.value) / 3.6
        lanes = int(p.get("lanes") or spec.lanes.value)
        road_lines.append(
            (
                geom,
                {
                    "kind": "road",
                    "cls": cls,
                    "name": ln.name,
                    "speed_mps": speed,
                    "lanes": max(lanes, 1),
                    "width_m": spec.width_m.value,
                    "electric": False,
                    "id_prefix": "r",
                    "osm_bridge": bool(p.get("bridge")),
                },
            )
        )
    rail_lines: list[tuple[LineString, dict[str, Any]]] = []
    for geom, ln in _clip(theatre, railways, buf):
        p = ln.properties
        tracks = int(p.get("tracks") or (2 if int(p.get("mult_track") or 0) else 1))
        speed = float(p.get("maxspeed_kmh") or cat.rail.speed_kmh.value) / 3.6
        rail_lines.append(
            (
                geom,
                {
                    "kind": "rail",
                    "cls": "rail",
                    "name": ln.name,
                    "speed_mps": speed,
                    "lanes": tracks,
                    "width_m": cat.rail.width_m.value,
                    "electric": bool(int(p.get("electric") or 0)),
                    "id_prefix": "l",
                },
            )
        )
    net = Network(
        road=_build_graph(road_lines, theatre=theatre, tol=tol, rivers_xy=rivers_xy),
        rail=_build_graph(rail_lines, theatre=theatre, tol=tol, rivers_xy=rivers_xy),
        theatre=theatre,
        catalogue=cat,
        source=source or ("Natural Earth 1:10m roads and railways (shipped theatre)" if shipped else "user lines"),
    )
    if shipped:
        net.notes.append(NE_NOTE)
    return net
