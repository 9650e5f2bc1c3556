"""The mobility network: roads and railways as graphs in the theatre's projected CRS (metres).

Lines are clipped to the home country (plus a buffer, so lines that cross the border keep their border
end), split where they meet or end near each other, and their ends snapped into nodes (union-find over a
KD-tree, :data:`snap_tolerance_m`). Each edge carries its class, length (m), speed (m/s), travel time (s),
lanes or tracks, closure width (m), closure effort ``lanes × width_m`` (m) and a bridge flag.

Two topologies (``Line.topology``): *generalised* lines (Natural Earth) stop short of each other and are joined
within :data:`snap_tolerance_m`; a generalised line is a bridge where it crosses a river of the theatre.
*Exact* lines (OpenStreetMap) meet only where they share a vertex (an OSM node), so a railway passing over
another on a bridge is not joined to it; they are bridges where OSM says so (the ``bridge`` flag).

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


_EXACT_TOL = Sourced(value=0.5, source="assumption: OSM lines share vertex coordinates exactly at junctions")
_SETBACK = Sourced(value=500.0, source="assumption: a rail closure is placed at least 500 m inside the border")
_RAIL_OFF = Sourced(value=2000.0, source="assumption: trucks leave the road for at most 2 km on track-side tracks")
_OBJ_SNAP = Sourced(value=20000.0, source="assumption: an objective farther than 20 km from every node is off the map")


class ThinDataSpec(Strict):
    within_border_m: Sourced
    cell_m: Sourced
    road_gap_m: Sourced
    min_area_km2: Sourced


_THIN = ThinDataSpec(
    within_border_m=Sourced(value=50000.0, source="assumption: the zone a defence line is planned in"),
    cell_m=Sourced(value=2500.0, source="assumption: sampling grid"),
    road_gap_m=Sourced(value=10000.0, source="assumption: rural roads leave no point 10 km from a road"),
    min_area_km2=Sourced(value=200.0, source="assumption: smaller gaps are not worth a warning"),
)


class NetworkCatalogue(Strict):
    """network.yaml: how lines become edges."""

    snap_tolerance_m: Sourced
    exact_snap_tolerance_m: Sourced = _EXACT_TOL
    objective_snap_max_m: Sourced = _OBJ_SNAP
    site_setback_m: Sourced = _SETBACK
    rail_site_max_off_road_m: Sourced = _RAIL_OFF
    thin_data: ThinDataSpec = _THIN
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
    border, m), ``segment`` (nearest watched border segment id), ``home`` (inside the home country). Graph
    attribute ``exact``: the lines had exact (OSM) topology. Edge attributes: ``id``, ``kind``, ``cls``,
    ``name``, ``length_m``, ``speed_mps``, ``time_s``, ``lanes`` (tracks for rail), ``width_m``, ``effort_m``,
    ``bridge``, ``bridge_lonlat``, ``geometry`` (projected LineString), ``electric`` (rail).
    """

    road: nx.Graph
    rail: nx.Graph
    theatre: Theatre
    catalogue: NetworkCatalogue
    source: str
    notes: list[str] = field(default_factory=list)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def road_lines(self) -> BaseGeometry | None:
        """Every road edge as one (Multi)LineString in metres (cached; None without roads): for distances."""
        if "road_lines" not in self._cache:
            geoms = [d["geometry"] for *_, d in self.road.edges(data=True)]
            self._cache["road_lines"] = shapely.union_all(geoms) if geoms else None
        return self._cache["road_lines"]

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


def flag(value: Any) -> bool:
    """An OSM-style yes/no value as a bool: ``True``, ``"T"``, ``"yes"``, ``"1"``, ``"viaduct"`` are true."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().casefold() not in ("", "f", "false", "no", "0", "none")


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


def _split_points_exact(geoms: list[BaseGeometry], tol: float) -> list[list[float]]:
    """Split distances of exact-topology lines: at every vertex another line shares (an OSM node both ways use).

    Vertices are matched on coordinates rounded to ``tol``; lines that merely cross (a bridge over a railway)
    are not split there.
    """
    q = max(tol, 1e-3)
    keys: list[np.ndarray] = []
    owners: dict[tuple[int, int], set[int]] = {}
    for i, g in enumerate(geoms):
        k = np.round(np.asarray(g.coords)[:, :2] / q).astype(np.int64)
        keys.append(k)
        for a, b in k:
            owners.setdefault((int(a), int(b)), set()).add(i)
    out: list[list[float]] = []
    for i, g in enumerate(geoms):
        xy = np.asarray(g.coords)[:, :2]
        along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
        cuts = [0.0, float(g.length)]
        cuts += [float(along[m]) for m, (a, b) in enumerate(keys[i]) if len(owners[(int(a), int(b))]) > 1]
        cuts = sorted(set(min(max(c, 0.0), float(g.length)) for c in cuts))
        out.append(cuts)
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
    lines: list[tuple[LineString, dict[str, Any]]],
    *,
    theatre: Theatre,
    tol: float,
    rivers_xy: BaseGeometry | None,
    exact: bool = False,
) -> nx.Graph:
    g = nx.Graph(exact=exact)
    if not lines:
        return g
    geoms = [ln for ln, _ in lines]
    cuts = _split_points_exact(geoms, tol) if exact else _split_points(geoms, tol)
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
    lons = np.asarray([p.x for p in lon_lat.geoms])
    lats = np.asarray([p.y for p in lon_lat.geoms])
    inside = theatre.in_home(lats, lons)
    pts = shapely.points(cx, cy)
    border_d = np.asarray(shapely.distance(border_xy, pts))
    seg_d = np.array([shapely.distance(sg, pts) for _, sg in seg_xy]).reshape(len(seg_xy), len(cx))
    seg_of = np.argmin(seg_d, axis=0) if seg_xy else np.zeros(len(cx), dtype=int)
    for n in range(len(uniq)):
        g.add_node(
            n,
            x=float(cx[n]),
            y=float(cy[n]),
            lon=float(lons[n]),
            lat=float(lats[n]),
            border_m=float(border_d[n]),
            segment=seg_xy[int(seg_of[n])][0] if seg_xy else "",
            home=bool(inside[n]),
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
        osm_bridge = bool(e.pop("osm_bridge", False))
        if not exact and rivers_xy is not None and piece.intersects(rivers_xy):
            bp = shapely.get_parts(piece.intersection(rivers_xy))[0]
            bpl = theatre.unproject(bp.representative_point())
            bridge_ll = [round(float(bpl.x), 5), round(float(bpl.y), 5)]
        elif osm_bridge:  # the mapped bridge: its middle
            bpl = theatre.unproject(piece.interpolate(0.5, normalized=True))
            bridge_ll = [round(float(bpl.x), 5), round(float(bpl.y), 5)]
        e["bridge"] = bridge_ll is not None or osm_bridge
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
                home=bool(g.nodes[u]["home"]),
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
    key = f"home_zone_{buffer_m:g}"
    if key not in theatre._cache:  # the buffered home polygon is costly: once per theatre
        theatre._cache[key] = theatre.project(theatre.home.geometry).buffer(buffer_m)
    zone = theatre._cache[key]
    shapely.prepare(zone)
    geoms = [theatre.project(ln.geometry) for ln in lines]
    hit = shapely.intersects(zone, geoms) if geoms else np.zeros(0, dtype=bool)
    inside = shapely.contains(zone, geoms) if geoms else np.zeros(0, dtype=bool)
    out: list[tuple[LineString, Line]] = []
    for ln, xy, h, whole in zip(lines, geoms, hit, inside, strict=True):
        if not h:
            continue
        clipped = xy if whole else zone.intersection(xy)
        for part in shapely.get_parts(shapely.line_merge(clipped)):
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
                    "osm_bridge": flag(p.get("bridge")),
                    **{k: p[k] for k in ("ref", "highway", "osm_id") if p.get(k) not in (None, "")},
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
                    "cls": ln.cls if ln.cls not in ("", "Railroad") else "rail",
                    "name": ln.name,
                    "speed_mps": speed,
                    "lanes": tracks,
                    "width_m": cat.rail.width_m.value,
                    "electric": bool(int(p.get("electric") or 0)),
                    "id_prefix": "l",
                    "osm_bridge": flag(p.get("bridge")),
                    **({"osm_id": str(p["osm_id"])} if p.get("osm_id") else {}),
                },
            )
        )
    exact_tol = cat.exact_snap_tolerance_m.value

    def graph(lines: list[tuple[LineString, dict[str, Any]]], src: list[Line]) -> nx.Graph:
        exact = bool(src) and all(ln.topology == "exact" for ln in src)
        return _build_graph(lines, theatre=theatre, tol=exact_tol if exact else tol, rivers_xy=rivers_xy, exact=exact)

    shipped_src = "; ".join(theatre.layer_sources.get(k, f"theatre {k} layer") for k in ("road", "rail"))
    net = Network(
        road=graph(road_lines, roads),
        rail=graph(rail_lines, railways),
        theatre=theatre,
        catalogue=cat,
        source=source or (shipped_src if shipped else "user lines"),
    )
    if shipped and "Natural Earth" in theatre.layer_sources.get("road", "Natural Earth"):
        net.notes.append(NE_NOTE)
    return net
