"""Deployment plans: trucks carry obstacles from parks to chokepoints and their crews emplace them.

Model (a MILP solved by HiGHS through :func:`scipy.optimize.milp`). Each truck is based at a park, loads only
there, and serves one chokepoint, shuttling park → site → park; its crew emplaces each load on arrival.
Truck ``t`` serving site ``j`` with ``n`` trips carrying ``w_k`` units of each obstacle type finishes at::

    T_t = mobilisation + n·(loading + 2·d_tj) − d_tj + Σ_k emplace_k·w_k      (no return after the last trip)

Variables: ``a_tj`` (binary), ``n_tj`` (trips), ``w_tjk`` (units), makespan ``C``. Constraints: one site per
truck; loads fit (Σ_k w_k / per_load_k ≤ n); every site gets its closure line (Σ w_k / units_per_m_k ≥ demand,
and the heavy types alone ≥ the heavy layer);
park stocks. Objective: ``C + ε·Σ T_t`` (ε keeps idle trucks idle; it moves the optimum by < 0.1 %). The
lower bound reported is HiGHS's dual bound on that objective divided by ``1 + 0.001`` — a valid bound on the
makespan of this model (not of schedules outside it, e.g. a truck serving two sites).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import shapely
from pydantic import Field
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix
from shapely.ops import substring

from borderwatch.config import Sourced, Strict, load_model
from borderwatch.errors import InfeasibleError, InputError, NotFoundError
from borderwatch.mobility.chokepoints import Chokepoint
from borderwatch.mobility.coverage import ThinArea, thin_area_document, thin_data_areas
from borderwatch.mobility.network import Network, data_path

_EPS_TOTAL = 0.001


# --- catalogues ----------------------------------------------------------------------------------------
class ObstacleSpec(Strict):
    label: str
    heavy: bool = False
    mass_kg: Sourced
    units_per_lane_m: Sourced
    emplace_s: Sourced
    max_per_load: Sourced


class ClosureSpec(Strict):
    layers: Sourced
    heavy_layers: Sourced


class ObstacleCatalogue(Strict):
    closure: ClosureSpec
    obstacles: dict[str, ObstacleSpec] = Field(min_length=1)


class ParkSpec(Strict):
    name: str
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    trucks: int = Field(ge=0)
    stock: dict[str, int]
    source: str = Field(min_length=3)


class ParksFile(Strict):
    parks: list[ParkSpec] = Field(min_length=1)


class TruckSpec(Strict):
    label: str
    payload_kg: Sourced
    loading_s: Sourced
    mobilisation_s: Sourced
    access_speed_kmh: Sourced
    access_detour: Sourced
    speed_kmh: dict[str, Sourced]


class CrewSpec(Strict):
    size: Sourced
    per_truck: Sourced


class FleetFile(Strict):
    truck: TruckSpec
    crew: CrewSpec


class CloseSpec(Strict):
    all: bool = False
    kinds: list[str] = Field(default_factory=lambda: ["road", "rail"])
    open_crossings_only: bool = False


class LevelSpec(Strict):
    level: int
    name: str
    description: str = ""
    close: CloseSpec


class IndicatorSpec(Strict):
    name: str
    level: int
    description: str = ""
    segments: list[str] | None = None


class Playbook(Strict):
    levels: list[LevelSpec] = Field(min_length=1)
    indicators: list[IndicatorSpec] = Field(min_length=1)


def load_obstacles(path: Path | str | None = None) -> ObstacleCatalogue:
    """Read obstacles.yaml (default: shipped)."""
    return load_model(ObstacleCatalogue, path or data_path("obstacles.yaml"))


def load_parks(path: Path | str | None = None, *, obstacles: ObstacleCatalogue | None = None) -> ParksFile:
    """Read parks.yaml (default: shipped); stock keys must be obstacle types of the catalogue."""
    src = str(path or data_path("parks.yaml"))
    pf = load_model(ParksFile, path or data_path("parks.yaml"))
    known = set((obstacles or load_obstacles()).obstacles)
    for i, p in enumerate(pf.parks):
        for k, v in p.stock.items():
            if k not in known:
                raise InputError(
                    f"unknown obstacle type {k!r} (have: {', '.join(sorted(known))})",
                    source=src,
                    field=f"parks[{i}].stock",
                )
            if v < 0:
                raise InputError("stock must be >= 0", source=src, field=f"parks[{i}].stock.{k}")
    return pf


def load_fleet(path: Path | str | None = None) -> FleetFile:
    """Read fleet.yaml (default: shipped)."""
    ff = load_model(FleetFile, path or data_path("fleet.yaml"))
    if "Unknown" not in ff.truck.speed_kmh:
        raise InputError("needs an 'Unknown' speed as the fallback", source=str(path), field="truck.speed_kmh")
    return ff


def load_playbook(path: Path | str | None = None) -> Playbook:
    """Read playbook.yaml (default: shipped); every indicator's level must exist."""
    pb = load_model(Playbook, path or data_path("playbook.yaml"))
    levels = {lv.level for lv in pb.levels}
    for i, ind in enumerate(pb.indicators):
        if ind.level not in levels:
            raise InputError(f"level {ind.level} is not defined", source=str(path), field=f"indicators[{i}].level")
    return pb


def select_chokepoints(
    *, playbook: Playbook, indicator: str, chokepoints: list[Chokepoint], open_crossings: set[str]
) -> tuple[IndicatorSpec, LevelSpec, list[Chokepoint]]:
    """The chokepoints an indicator closes (``full`` closes every one)."""
    ind = next((i for i in playbook.indicators if i.name == indicator), None)
    if ind is None:
        raise NotFoundError(
            f"no indicator {indicator!r} in the playbook (have: {', '.join(i.name for i in playbook.indicators)})"
        )
    lv = next(lv for lv in playbook.levels if lv.level == ind.level)
    if indicator == "full" or lv.close.all:
        return ind, lv, list(chokepoints)
    out = []
    for c in chokepoints:
        if c.kind not in lv.close.kinds:
            continue
        if ind.segments and c.segment not in ind.segments:
            continue
        if lv.close.open_crossings_only and not set(c.entries) & open_crossings:
            continue
        out.append(c)
    return ind, lv, out


def closes_text(*, indicator: IndicatorSpec, level: LevelSpec) -> str:
    """What an indicator closes, in words: ``"road chokepoints behind open crossing points on LV-BY"``."""
    if indicator.name == "full" or level.close.all:
        text = "every road and rail chokepoint"
    else:
        kinds = " and ".join(level.close.kinds)
        text = f"{kinds} chokepoints" + (" behind open crossing points" if level.close.open_crossings_only else "")
    if indicator.segments:
        text += f" on {', '.join(indicator.segments)}"
    return text


# --- the problem ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Truck:
    id: str
    park: int  # index into parks


@dataclass(slots=True)
class Problem:
    sites: list[Chokepoint]
    demand_m: np.ndarray  # (J,) metres of obstacle line (all layers)
    heavy_m: np.ndarray  # (J,) of which heavy (dragon's teeth, blocks)
    heavy: np.ndarray  # (K,) bool
    parks: list[ParkSpec]
    types: list[str]
    stock: np.ndarray  # (P, K)
    trucks: list[Truck]
    travel_s: np.ndarray  # (T, J) one-way park→site, inf when unreachable
    off_network_m: np.ndarray  # (J,) straight-line distance from the site to the road network
    per_load: np.ndarray  # (K,) units per full load
    units_per_m: np.ndarray  # (K,)
    emplace_s: np.ndarray  # (K,)
    loading_s: float
    mobilisation_s: float
    labels: dict[str, str] = field(default_factory=dict)
    routes: dict[tuple[int, int], Route] = field(default_factory=dict)  # (park, site) -> fastest route
    off_road_limit_m: float = 2000.0  # a site farther than this from every road is "reachable only off-road"


@dataclass(frozen=True, slots=True)
class _EdgePoint:
    """A point snapped onto a road edge: the edge, the time to each end (s), the off-network distance (m), the
    fraction along the edge from ``u`` and the snapped point (projected m)."""

    u: int
    v: int
    to_u_s: float
    to_v_s: float
    off_m: float
    frac_u: float = 0.0
    x: float = 0.0
    y: float = 0.0


@dataclass(frozen=True, slots=True)
class Route:
    """How a truck drives from its park to a site: off the network to the nearest road edge, along road edges,
    off the network again to the site (rail sites and sites off the graph).

    ``coords`` is the polyline (lon/lat) from park to site: the off-network legs are straight segments.
    """

    edges: tuple[str, ...]  # road edge ids in driving order
    road_m: float
    road_s: float
    park_off_m: float  # straight line, park to the road network
    site_off_m: float  # straight line, road network to the site
    off_s: float  # time of both off-network legs (detour factor and access speeds applied)
    coords: tuple[tuple[float, float], ...]

    @property
    def time_s(self) -> float:
        return self.road_s + self.off_s

    @property
    def off_m(self) -> float:
        return self.park_off_m + self.site_off_m


def _snap(g: nx.Graph, tree: Any, edges: list[tuple[int, int]], x: float, y: float) -> _EdgePoint:
    p = shapely.Point(x, y)
    k = int(tree.nearest(p))
    u, v = edges[k]
    e = g.edges[u, v]
    geom = e["geometry"]
    f = float(geom.project(p, normalized=True))
    fu = f if _starts_at(g, u, v) else 1.0 - f
    q = geom.interpolate(f, normalized=True)
    return _EdgePoint(
        u, v, fu * e["truck_s"], (1.0 - fu) * e["truck_s"], float(geom.distance(p)), fu, float(q.x), float(q.y)
    )


def _starts_at(g: nx.Graph, u: int, v: int) -> bool:
    """True when edge (u, v)'s geometry starts at node u."""
    c0 = g.edges[u, v]["geometry"].coords[0]
    return bool(
        np.hypot(c0[0] - g.nodes[u]["x"], c0[1] - g.nodes[u]["y"])
        <= np.hypot(c0[0] - g.nodes[v]["x"], c0[1] - g.nodes[v]["y"])
    )


def _oriented(g: nx.Graph, a: int, b: int, f0: float = 0.0, f1: float = 1.0) -> list[tuple[float, float]]:
    """Coordinates of edge (a, b) from fraction ``f0`` to ``f1`` measured from node ``a``."""
    geom = g.edges[a, b]["geometry"]
    if not _starts_at(g, a, b):
        f0, f1 = 1.0 - f0, 1.0 - f1
    if abs(f1 - f0) < 1e-12:
        return []
    part = substring(geom, min(f0, f1), max(f0, f1), normalized=True)
    coords = [(float(c[0]), float(c[1])) for c in part.coords]
    return coords if f0 <= f1 else coords[::-1]


def _path_to(pred: dict[int, list[int]], src: int, dst: int) -> list[int]:
    out = [dst]
    while out[-1] != src:
        out.append(pred[out[-1]][0])
    return out[::-1]


def _routes(
    network: Network, fleet: FleetFile, sites: list[Chokepoint], parks: list[ParkSpec]
) -> dict[tuple[int, int], Route]:
    """The fastest route (at truck speeds) from each park to each site it can reach, keyed (park, site).

    Parks and rail sites are snapped onto the nearest road edge (off-network legs at the access or rail-access
    speed times the detour factor); road sites lie on their own edge. Shipped Natural Earth edges are long, so
    snapping to edges, not nodes, matters.
    """
    th = network.theatre
    g = network.road.copy()
    spd = fleet.truck.speed_kmh
    for _, _, d in g.edges(data=True):
        d["truck_s"] = d["length_m"] / ((spd.get(d["cls"]) or spd["Unknown"]).value / 3.6)
    acc_v = fleet.truck.access_speed_kmh.value / 3.6
    rail_v = (spd.get("rail") or spd["Unknown"]).value / 3.6
    det = fleet.truck.access_detour.value
    out: dict[tuple[int, int], Route] = {}
    if g.number_of_edges() == 0:
        return out
    edges = list(g.edges)
    tree = shapely.STRtree([g.edges[e]["geometry"] for e in edges])
    site_pts: list[tuple[_EdgePoint, float, float, float]] = []  # snap, off-network s, site x, y
    for c in sites:
        sx, sy = (float(a) for a in th.xy(c.lat, c.lon))
        if c.kind == "road" and g.has_edge(*c.edge):
            u, v = c.edge
            ep = _snap(g, shapely.STRtree([g.edges[u, v]["geometry"]]), [(u, v)], sx, sy)
            site_pts.append((ep, 0.0, ep.x, ep.y))
        else:
            ep = _snap(g, tree, edges, sx, sy)
            site_pts.append((ep, ep.off_m * det / rail_v, sx, sy))
    for p, park in enumerate(parks):
        px, py = (float(a) for a in th.xy(park.lat, park.lon))
        pe = _snap(g, tree, edges, px, py)
        access = pe.off_m * det / acc_v
        search = {
            n: nx.dijkstra_predecessor_and_distance(g, n, weight="truck_s") for n in (pe.u, pe.v)
        }  # node -> (pred, dist)
        for j, (se, extra, sx, sy) in enumerate(site_pts):
            best = math.inf
            coords: list[tuple[float, float]] = []
            ids: list[str] = []
            road_m = 0.0
            if {se.u, se.v} == {pe.u, pe.v}:  # same edge: drive along it
                park_f = pe.frac_u if se.u == pe.u else 1.0 - pe.frac_u
                park_from_u = pe.to_u_s if se.u == pe.u else pe.to_v_s
                best = abs(park_from_u - se.to_u_s)
                coords = _oriented(g, se.u, se.v, park_f, se.frac_u)
                ids = [g.edges[se.u, se.v]["id"]]
                road_m = abs(park_f - se.frac_u) * g.edges[se.u, se.v]["length_m"]
            for start, t0, f0 in ((pe.u, pe.to_u_s, pe.frac_u), (pe.v, pe.to_v_s, 1.0 - pe.frac_u)):
                pred, dist = search[start]
                for end, t1, f1 in ((se.u, se.to_u_s, se.frac_u), (se.v, se.to_v_s, 1.0 - se.frac_u)):
                    if end not in dist or t0 + dist[end] + t1 >= best:
                        continue
                    best = t0 + dist[end] + t1
                    other_p = pe.v if start == pe.u else pe.u
                    other_s = se.v if end == se.u else se.u
                    nodes = _path_to(pred, start, end)
                    coords = _oriented(g, start, other_p, f0, 0.0)  # park point back to the start node
                    ids = [g.edges[pe.u, pe.v]["id"]]
                    road_m = f0 * g.edges[pe.u, pe.v]["length_m"]
                    for a, b in itertools.pairwise(nodes):
                        coords += _oriented(g, a, b)
                        ids.append(g.edges[a, b]["id"])
                        road_m += g.edges[a, b]["length_m"]
                    coords += _oriented(g, end, other_s, 0.0, f1)
                    ids.append(g.edges[se.u, se.v]["id"])
                    road_m += f1 * g.edges[se.u, se.v]["length_m"]
            if not math.isfinite(best):
                continue
            line = [(px, py), (pe.x, pe.y), *coords, (se.x, se.y), (sx, sy)]
            ll = th.unproject(shapely.LineString(line))
            dedup = [ids[0]] if ids else []
            for i in ids[1:]:
                if i != dedup[-1]:
                    dedup.append(i)
            out[p, j] = Route(
                edges=tuple(dedup),
                road_m=float(road_m),
                road_s=float(best),
                park_off_m=pe.off_m,
                site_off_m=se.off_m if extra > 0 else 0.0,
                off_s=access + extra,
                coords=tuple((round(float(x), 5), round(float(y), 5)) for x, y in ll.coords),
            )
    return out


def _site_times(network: Network, fleet: FleetFile, sites: list[Chokepoint], parks: list[ParkSpec]) -> np.ndarray:
    """Travel time (s) from each park to each site over the road network at truck speeds (inf: unreachable)."""
    out = np.full((len(parks), len(sites)), np.inf)
    for (p, j), r in _routes(network, fleet, sites, parks).items():
        out[p, j] = r.time_s
    return out


def build_problem(
    *,
    network: Network,
    sites: list[Chokepoint],
    parks: ParksFile,
    fleet: FleetFile,
    obstacles: ObstacleCatalogue,
) -> Problem:
    """Assemble the deployment problem (times in s, lengths in m)."""
    types = list(obstacles.obstacles)
    ob = [obstacles.obstacles[k] for k in types]
    payload = fleet.truck.payload_kg.value
    per_load = np.array([max(0.0, min(math.floor(payload / o.mass_kg.value), o.max_per_load.value)) for o in ob])
    stock = np.array([[float(p.stock.get(k, 0)) for k in types] for p in parks.parks]).reshape(len(parks.parks), -1)
    routes = _routes(network, fleet, sites, parks.parks)
    park_time = np.full((len(parks.parks), len(sites)), np.inf)
    for (pi, j), r in routes.items():
        park_time[pi, j] = r.time_s
    off = []
    road_lines = network.road_lines()
    for c in sites:
        sx, sy = network.theatre.xy(c.lat, c.lon)
        dist = shapely.distance(shapely.Point(float(sx), float(sy)), road_lines) if road_lines is not None else np.inf
        off.append(0.0 if c.kind == "road" else float(dist))
    trucks = [
        Truck(id=f"{p.name.split()[0]}-T{i + 1}", park=pi)
        for pi, p in enumerate(parks.parks)
        for i in range(p.trucks * int(fleet.crew.per_truck.value > 0))
    ]
    travel = np.array([park_time[t.park] for t in trucks]).reshape(len(trucks), len(sites))
    return Problem(
        sites=sites,
        demand_m=np.array([c.effort_m * obstacles.closure.layers.value for c in sites]),
        heavy_m=np.array([c.effort_m * obstacles.closure.heavy_layers.value for c in sites]),
        heavy=np.array([o.heavy for o in ob], dtype=bool),
        parks=parks.parks,
        types=types,
        stock=stock,
        trucks=trucks,
        travel_s=travel,
        off_network_m=np.array(off),
        per_load=per_load,
        units_per_m=np.array([o.units_per_lane_m.value for o in ob]),
        emplace_s=np.array([o.emplace_s.value for o in ob]),
        loading_s=fleet.truck.loading_s.value,
        mobilisation_s=fleet.truck.mobilisation_s.value,
        labels={k: o.label for k, o in zip(types, ob, strict=True)},
        routes=routes,
        off_road_limit_m=network.catalogue.rail_site_max_off_road_m.value,
    )


@dataclass(frozen=True, slots=True)
class Blocked:
    site: str
    reason: str


def diagnose(problem: Problem) -> tuple[list[Blocked], list[str]]:
    """Sites that cannot be closed on their own (with the reason) and warnings (empty parks)."""
    warnings = [
        f"park {p.name!r} has no stock" for p, s in zip(problem.parks, problem.stock, strict=True) if s.sum() <= 0
    ]
    warnings += [f"park {p.name!r} has no trucks" for p in problem.parks if p.trucks == 0]
    usable = problem.per_load > 0
    blocked = []
    for j, c in enumerate(problem.sites):
        reach = [t for t, tr in enumerate(problem.trucks) if math.isfinite(problem.travel_s[t, j])]
        if not reach:
            blocked.append(Blocked(c.id, "no park with trucks is connected to it by road (disconnected network)"))
            continue
        parks = sorted({problem.trucks[t].park for t in reach})
        held_m = float(sum((problem.stock[p] * usable / problem.units_per_m).sum() for p in parks))
        if held_m <= 0:
            names = ", ".join(problem.parks[p].name for p in parks[:3]) + (
                f" and {len(parks) - 3} more" if len(parks) > 3 else ""
            )
            blocked.append(Blocked(c.id, f"every park that can reach it is empty ({names})"))
        elif (
            heavy_m := float(
                sum((problem.stock[p] * usable * problem.heavy / problem.units_per_m).sum() for p in parks)
            )
        ) + 1e-9 < problem.heavy_m[j]:
            blocked.append(
                Blocked(
                    c.id,
                    f"needs {problem.heavy_m[j]:.0f} m of heavy obstacles (dragon's teeth / blocks); "
                    f"reachable parks hold {heavy_m:.0f} m",
                )
            )
        elif held_m + 1e-9 < problem.demand_m[j]:
            blocked.append(
                Blocked(
                    c.id, f"needs {problem.demand_m[j]:.0f} m of obstacle line; reachable parks hold {held_m:.0f} m"
                )
            )
    return blocked, warnings


@dataclass(slots=True)
class Solution:
    assign: dict[int, int]  # truck -> site
    trips: dict[int, int]
    units: dict[int, np.ndarray]  # truck -> units per type
    method: str
    lower_bound_s: float = 0.0
    solve_s: float = 0.0
    status: str = ""
    skipped: list[int] = field(default_factory=list)

    def finish_s(self, problem: Problem) -> dict[int, float]:
        out = {}
        for t, j in self.assign.items():
            d = problem.travel_s[t, j]
            n = self.trips[t]
            out[t] = (
                problem.mobilisation_s + n * (problem.loading_s + 2 * d) - d + float(problem.emplace_s @ self.units[t])
            )
        return out

    def makespan_s(self, problem: Problem) -> float:
        f = self.finish_s(problem)
        return max(f.values(), default=0.0)


def greedy(problem: Problem, *, skip_incomplete: bool = False) -> Solution:
    """Nearest-park heuristic: each site in turn takes the nearest free truck, which carries everything its park
    can give (fastest-to-emplace obstacle per metre first) until the site's line is complete."""
    stock = problem.stock.copy()
    free = set(range(len(problem.trucks)))
    sol = Solution({}, {}, {}, "greedy nearest park")
    order = sorted(range(len(problem.sites)), key=lambda j: -problem.demand_m[j])
    per_m = problem.emplace_s * problem.units_per_m  # s per metre of line
    skipped: list[int] = []
    for j in order:
        need = float(problem.demand_m[j])
        need_h = float(problem.heavy_m[j])
        saved = (stock.copy(), set(free))
        for t in sorted(free, key=lambda t: problem.travel_s[t, j]):
            if need <= 1e-9 and need_h <= 1e-9:
                break
            if not math.isfinite(problem.travel_s[t, j]):
                continue
            p = problem.trucks[t].park
            w = np.zeros(len(problem.types))
            for heavy_pass in (True, False):  # the heavy layer first, then the rest of the line
                for k in np.argsort(per_m):
                    rem = need_h if heavy_pass else need
                    if heavy_pass and not problem.heavy[k]:
                        continue
                    if problem.per_load[k] <= 0 or stock[p, k] <= 0 or rem <= 1e-9:
                        continue
                    take = min(stock[p, k], math.ceil(rem * problem.units_per_m[k] - 1e-9))
                    w[k] += take
                    stock[p, k] -= take
                    need -= take / problem.units_per_m[k]
                    if problem.heavy[k]:
                        need_h -= take / problem.units_per_m[k]
            if w.sum() <= 0:
                continue
            free.discard(t)
            sol.assign[t] = j
            sol.units[t] = w
            sol.trips[t] = max(1, math.ceil(float((w / np.maximum(problem.per_load, 1e-9)).sum()) - 1e-9))
        if need > 1e-9 or need_h > 1e-9:
            if not skip_incomplete:
                raise InfeasibleError(f"greedy: chokepoint {problem.sites[j].id} cannot be completed")
            stock, free = saved[0], saved[1]
            for t in [t for t, jj in sol.assign.items() if jj == j]:
                del sol.assign[t], sol.trips[t], sol.units[t]
            skipped.append(j)
    sol.skipped = skipped
    return sol


def solve_milp(
    problem: Problem, *, time_limit_s: float = 10.0, mip_rel_gap: float = 0.008, candidates: int | None = 12
) -> Solution:
    """Solve the deployment MILP (HiGHS). Raises InfeasibleError when the sites cannot all be closed.

    ``candidates`` limits each chokepoint to the trucks of its nearest stocked parks (by travel time) to keep the
    model small; the lower bound is then the bound of that restricted model. Identical trucks of one park are
    ordered by finish time (symmetry breaking).
    """
    T, J, K = len(problem.trucks), len(problem.sites), len(problem.types)
    keep: set[tuple[int, int]] = set()
    park_trucks: dict[int, list[int]] = {}
    for t, tr in enumerate(problem.trucks):
        if (problem.stock[tr.park] * (problem.per_load > 0)).sum() > 0:
            park_trucks.setdefault(tr.park, []).append(t)
    for j in range(J):  # each site considers the trucks of its `candidates` nearest stocked parks (all when None)
        parks = sorted(
            (p for p, ts in park_trucks.items() if math.isfinite(problem.travel_s[ts[0], j])),
            key=lambda p: problem.travel_s[park_trucks[p][0], j],
        )
        for p in parks[: candidates or len(parks)]:
            keep.update((t, j) for t in park_trucks[p])
    pairs = sorted(keep)
    P = len(pairs)
    # variable layout: a[P], n[P], w[P*K], C
    ia, inn, iw, ic = 0, P, 2 * P, 2 * P + P * K
    nv = ic + 1
    nmax = np.array(
        [
            math.ceil(
                problem.demand_m[j]
                * float(
                    np.max(np.where(problem.per_load > 0, problem.units_per_m / np.maximum(problem.per_load, 1e-9), 0))
                )
            )
            + 1
            for j in range(J)
        ]
    )
    rows: list[tuple[dict[int, float], float, float]] = []
    by_truck: dict[int, list[int]] = {}
    for q, (t, _) in enumerate(pairs):
        by_truck.setdefault(t, []).append(q)
    for _t, qs in by_truck.items():
        rows.append(({ia + q: 1.0 for q in qs}, -np.inf, 1.0))
    for q, (_t, j) in enumerate(pairs):
        rows.append(({inn + q: 1.0, ia + q: -float(nmax[j])}, -np.inf, 0.0))
        rows.append(({inn + q: 1.0, ia + q: -1.0}, 0.0, np.inf))
        load = {iw + q * K + k: 1.0 / problem.per_load[k] for k in range(K) if problem.per_load[k] > 0}
        load[inn + q] = -1.0
        rows.append((load, -np.inf, 0.0))
    for j in range(J):
        cov = {
            iw + q * K + k: 1.0 / problem.units_per_m[k]
            for q, (_t, jj) in enumerate(pairs)
            if jj == j
            for k in range(K)
        }
        rows.append((cov, float(problem.demand_m[j]), np.inf))
        hv = {key: val for key, val in cov.items() if problem.heavy[(key - iw) % K]}
        rows.append((hv, float(problem.heavy_m[j]), np.inf))
    for p in range(len(problem.parks)):
        for k in range(K):
            use = {iw + q * K + k: 1.0 for q, (t, _j) in enumerate(pairs) if problem.trucks[t].park == p}
            if use:
                rows.append((use, -np.inf, float(problem.stock[p, k])))
    c = np.zeros(nv)
    c[ic] = 1.0
    eps = _EPS_TOTAL / max(T, 1)
    finish_rows: dict[int, dict[int, float]] = {}
    for t, qs in by_truck.items():
        row: dict[int, float] = {ic: -1.0}
        for q in qs:
            d = float(problem.travel_s[t, pairs[q][1]])
            row[inn + q] = problem.loading_s + 2 * d
            row[ia + q] = -d
            for k in range(K):
                row[iw + q * K + k] = float(problem.emplace_s[k])
            c[inn + q] += eps * (problem.loading_s + 2 * d)
            c[ia + q] += eps * (problem.mobilisation_s - d)
            for k in range(K):
                c[iw + q * K + k] += eps * float(problem.emplace_s[k])
        rows.append((row, -np.inf, -problem.mobilisation_s))
        finish_rows[t] = {k: v for k, v in row.items() if k != ic}
    for ts in park_trucks.values():  # identical trucks at one park: finish times in index order (symmetry)
        for t1, t2 in itertools.pairwise(ts):
            if t1 in finish_rows and t2 in finish_rows:
                sym = dict(finish_rows[t1])
                for k, v in finish_rows[t2].items():
                    sym[k] = sym.get(k, 0.0) - v
                rows.append((sym, 0.0, np.inf))
    A = lil_matrix((len(rows), nv))
    lo = np.empty(len(rows))
    hi = np.empty(len(rows))
    for r, (coefs, lb_r, ub_r) in enumerate(rows):
        for col, val in coefs.items():
            A[r, col] = val
        lo[r], hi[r] = lb_r, ub_r
    lb = np.zeros(nv)
    ub = np.full(nv, np.inf)
    ub[ia : ia + P] = 1.0
    for q, (t, _j) in enumerate(pairs):
        p = problem.trucks[t].park
        for k in range(K):
            ub[iw + q * K + k] = problem.stock[p, k] if problem.per_load[k] > 0 else 0.0
    integrality = np.ones(nv)
    integrality[ic] = 0
    t0 = time.perf_counter()
    res = milp(
        c,
        constraints=LinearConstraint(A.tocsr(), lo, hi),
        integrality=integrality,
        bounds=Bounds(lb, ub),
        options={"time_limit": time_limit_s, "mip_rel_gap": mip_rel_gap, "disp": False},
    )
    dt = time.perf_counter() - t0
    if res.x is None:
        if res.status == 2:
            raise InfeasibleError(
                "the parks' stocks cannot close all selected chokepoints at once (each can be closed alone); "
                "add stock or use --partial"
            )
        raise InfeasibleError(f"the deployment MILP found no plan within {time_limit_s:g} s: {res.message}")
    x = np.round(res.x[:ic])
    sol = Solution({}, {}, {}, "MILP (HiGHS)", solve_s=dt, status=str(res.message))
    for q, (t, j) in enumerate(pairs):
        if x[ia + q] > 0.5 and x[inn + q] > 0.5:
            sol.assign[t] = j
            sol.trips[t] = int(x[inn + q])
            sol.units[t] = x[iw + q * K : iw + (q + 1) * K].copy()
    # drop trucks that carry nothing
    for t in [t for t, w in sol.units.items() if w.sum() <= 0]:
        del sol.assign[t], sol.trips[t], sol.units[t]
    bound = getattr(res, "mip_dual_bound", None)
    sol.lower_bound_s = float(bound) / (1.0 + _EPS_TOTAL) if bound is not None and math.isfinite(bound) else 0.0
    return sol


def trivial_lower_bound_s(problem: Problem) -> float:
    """A bound no schedule can beat: for each site, mobilisation + loading + fastest drive + one unit's emplacement."""
    lbs = []
    for j in range(len(problem.sites)):
        d = problem.travel_s[:, j]
        if np.isfinite(d).any():
            lbs.append(problem.mobilisation_s + problem.loading_s + float(np.min(d)) + float(problem.emplace_s.min()))
    return max(lbs, default=0.0)


def _schedule(problem: Problem, sol: Solution) -> list[dict[str, Any]]:
    out = []
    for t, j in sorted(sol.assign.items()):
        d = float(problem.travel_s[t, j])
        n = sol.trips[t]
        left = sol.units[t].copy()
        clock = problem.mobilisation_s
        trips: list[dict[str, Any]] = []
        for i in range(n):
            cargo = np.zeros_like(left)
            room = 1.0
            for k in range(len(left)):
                if left[k] <= 0 or problem.per_load[k] <= 0:
                    continue
                can = min(left[k], math.floor(room * problem.per_load[k] + 1e-9))
                cargo[k] = can
                left[k] -= can
                room -= can / problem.per_load[k]
            if i == n - 1:
                cargo += left
                left[:] = 0
            depart = clock + problem.loading_s
            arrive = depart + d
            done = arrive + float(problem.emplace_s @ cargo)
            trips.append(
                {
                    "trip": i + 1,
                    "load_start_h": round(clock / 3600, 4),
                    "depart_h": round(depart / 3600, 4),
                    "arrive_h": round(arrive / 3600, 4),
                    "emplaced_h": round(done / 3600, 4),
                    "cargo": {problem.types[k]: int(cargo[k]) for k in range(len(cargo)) if cargo[k] > 0},
                }
            )
            clock = done + d
        tr = problem.trucks[t]
        row: dict[str, Any] = {
            "truck": tr.id,
            "park": problem.parks[tr.park].name,
            "chokepoint": problem.sites[j].id,
            "one_way_h": round(d / 3600, 3),
            "finish_h": round(float(trips[-1]["emplaced_h"]), 4),
            "trips": trips,
        }
        r = problem.routes.get((tr.park, j))
        if r is not None:
            row["route"] = route_document(r)
        out.append(row)
    return out


def route_document(r: Route) -> dict[str, Any]:
    """A route as plan.json writes it (see docs/formats.md)."""
    return {
        "edges": list(r.edges),
        "road_km": round(r.road_m / 1000, 2),
        "road_h": round(r.road_s / 3600, 3),
        "off_network_km": {"park": round(r.park_off_m / 1000, 2), "site": round(r.site_off_m / 1000, 2)},
        "off_network_h": round(r.off_s / 3600, 3),
        "coordinates": [list(c) for c in r.coords],
    }


def site_access(problem: Problem, j: int, parks: list[int]) -> dict[str, Any]:
    """Off-network legs of a site: to the site from the nearest road, and from each park used to its road."""
    c = problem.sites[j]
    off = float(problem.off_network_m[j])
    legs = {
        problem.parks[p].name: round(problem.routes[p, j].park_off_m / 1000, 2)
        for p in parks
        if (p, j) in problem.routes
    }
    only = off > problem.off_road_limit_m
    note = None
    if only:
        note = (
            f"no road of the loaded network within {off / 1000:.1f} km of this {c.kind} site: the last "
            f"{off / 1000:.1f} km are off the network (timed at the rail-access speed with the detour factor); "
            "check the ground or load local roads (--network)"
        )
    return {
        "site_off_network_km": round(off / 1000, 2),
        "park_off_network_km": legs,
        "max_off_network_km": round(max([off / 1000, *legs.values()]), 2),
        "off_road_only": only,
        "note": note,
    }


def plan_document(
    *,
    problem: Problem,
    solution: Solution,
    greedy_makespan_s: float | None,
    indicator: str,
    level: LevelSpec,
    blocked: list[Blocked],
    warnings: list[str],
    notes: list[str],
    thin_data_areas: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """plan.json content (see docs/formats.md)."""
    ms = solution.makespan_s(problem)
    lb = max(solution.lower_bound_s, trivial_lower_bound_s(problem)) if problem.sites else 0.0
    lb = min(lb, ms)
    sched = _schedule(problem, solution)
    sites = []
    for j, c in enumerate(problem.sites):
        rows = [s for s in sched if s["chokepoint"] == c.id]
        drawn: dict[str, dict[str, int]] = {}
        for s, (t, jj) in zip(sched, sorted(solution.assign.items()), strict=True):
            if jj != j:
                continue
            park = drawn.setdefault(s["park"], {})
            for k, u in enumerate(solution.units[t]):
                if u > 0:
                    park[problem.types[k]] = park.get(problem.types[k], 0) + int(u)
        sites.append(
            {
                "id": c.id,
                "kind": c.kind,
                "lon": round(c.lon, 5),
                "lat": round(c.lat, 5),
                "segment": c.segment,
                "entries": list(c.entries),
                "bridge": c.bridge,
                "closure_m": round(float(problem.demand_m[j]), 1),
                "heavy_m": round(float(problem.heavy_m[j]), 1),
                "off_network_km": round(float(problem.off_network_m[j]) / 1000, 2),
                "access": site_access(
                    problem, j, sorted({problem.trucks[t].park for t, jj in solution.assign.items() if jj == j})
                ),
                "parks": drawn,
                "trucks": [s["truck"] for s in rows],
                "first_arrival_h": min((s["trips"][0]["arrive_h"] for s in rows), default=None),
                "closed_h": max((s["finish_h"] for s in rows), default=None),
            }
        )
    return {
        "indicator": indicator,
        "readiness_level": level.level,
        "level_name": level.name,
        "method": solution.method,
        "status": solution.status,
        "makespan_h": round(ms / 3600, 4),
        "lower_bound_h": round(lb / 3600, 4),
        "gap": round((ms - lb) / ms, 5) if ms > 0 else 0.0,
        "solve_s": round(solution.solve_s, 3),
        "greedy_makespan_h": None if greedy_makespan_s is None else round(greedy_makespan_s / 3600, 4),
        "chokepoints": sites,
        "trucks": sched,
        "unclosed": [{"id": b.site, "reason": b.reason} for b in blocked],
        "warnings": warnings,
        "notes": notes,
        "thin_data_areas": thin_data_areas or [],
        "model": "each truck loads at its own park and serves one chokepoint; lower bound is HiGHS's dual bound "
        "for this model (or a simple travel bound, whichever is larger)",
    }


def make_plan(
    *,
    network: Network,
    chokepoints: list[Chokepoint],
    indicator: str,
    open_crossings: set[str],
    parks: ParksFile | None = None,
    fleet: FleetFile | None = None,
    obstacles: ObstacleCatalogue | None = None,
    playbook: Playbook | None = None,
    partial: bool = False,
    time_limit_s: float = 10.0,
    thin_areas: list[ThinArea] | None = None,
) -> dict[str, Any]:
    """Plan the closure of the chokepoints an indicator selects; returns the plan.json document.

    ``thin_areas`` (default: computed from the network) are the parts of the zone the roads leave unsupported.

    Raises
    ------
    InfeasibleError
        When a chokepoint cannot be closed (the message names it and why) and ``partial`` is False.
    """
    obstacles = obstacles or load_obstacles()
    parks = parks or load_parks(obstacles=obstacles)
    fleet = fleet or load_fleet()
    playbook = playbook or load_playbook()
    _ind, level, sites = select_chokepoints(
        playbook=playbook, indicator=indicator, chokepoints=chokepoints, open_crossings=open_crossings
    )
    problem = build_problem(network=network, sites=sites, parks=parks, fleet=fleet, obstacles=obstacles)
    blocked, warnings = diagnose(problem)
    if blocked and not partial:
        why = "; ".join(f"{b.site}: {b.reason}" for b in blocked)
        raise InfeasibleError(f"cannot close {len(blocked)} chokepoint(s): {why} (use --partial to plan the rest)")
    if blocked:
        keep = [c for c in sites if c.id not in {b.site for b in blocked}]
        problem = build_problem(network=network, sites=keep, parks=parks, fleet=fleet, obstacles=obstacles)
    gsol = greedy(problem, skip_incomplete=True)
    if gsol.skipped:  # jointly short of stock: greedy could not finish these
        short = [
            Blocked(problem.sites[j].id, "parks' stock runs out: the other chokepoints use what could reach it")
            for j in gsol.skipped
        ]
        if not partial:
            why = "; ".join(f"{b.site}: {b.reason}" for b in short)
            raise InfeasibleError(f"cannot close {len(short)} chokepoint(s) together: {why} (use --partial)")
        blocked += short
        keep = [c for c in problem.sites if c.id not in {b.site for b in short}]
        problem = build_problem(network=network, sites=keep, parks=parks, fleet=fleet, obstacles=obstacles)
        gsol = greedy(problem)
    try:
        sol = solve_milp(problem, time_limit_s=time_limit_s)
    except InfeasibleError as exc:  # restricted model found nothing: the greedy plan stands, with its own bound
        sol = Solution(dict(gsol.assign), dict(gsol.trips), dict(gsol.units), "greedy nearest park", status=str(exc))
    g_ms = gsol.makespan_s(problem) if gsol else None
    if gsol is not None and g_ms is not None and g_ms < sol.makespan_s(problem):
        gsol.lower_bound_s, gsol.solve_s, gsol.status = sol.lower_bound_s, sol.solve_s, "greedy kept (MILP worse)"
        sol = gsol
    return plan_document(
        problem=problem,
        solution=sol,
        greedy_makespan_s=g_ms,
        indicator=indicator,
        level=level,
        blocked=blocked,
        warnings=warnings,
        notes=list(network.notes),
        thin_data_areas=[
            thin_area_document(a) for a in (thin_data_areas(network=network) if thin_areas is None else thin_areas)
        ],
    )
