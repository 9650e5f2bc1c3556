"""Rail-link assessment: each railway that crosses the watched border, named after its crossing point.

For every rail crossing point of the theatre: where the line goes (the first objective reached and the towns it
passes), its alternatives (other rail links that reach the same objective; edge-disjoint routes), what removing
a stretch of track of a given length near the border does to connectivity and travel time, and the cheapest
stretch to remove that still cuts the link (effort = tracks × length × removal hours per track-metre).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import shapely

from borderwatch.mobility.corridors import DEFAULT_PLACES, EntryPoint, entry_points, objectives, path_geometry
from borderwatch.mobility.network import Network


@dataclass(frozen=True, slots=True)
class _Cand:
    u: int
    v: int
    start_m: float
    end_m: float


def link_name(crossing: str) -> str:
    """``"Zilupe–Posin (rail, …)"`` → ``"Zilupe"``."""
    return crossing.split("–")[0].split("(")[0].strip()


def _times(g: nx.Graph, src: int, dst: dict[str, int]) -> dict[str, float]:
    dist = nx.single_source_dijkstra_path_length(g, src, weight="time_s")
    return {name: float(dist.get(n, math.inf)) for name, n in dst.items()}


def _h(t: float) -> float | None:
    return None if math.isinf(t) else round(t / 3600.0, 3)


def assess_rail_links(
    *,
    network: Network,
    removal_length_m: float = 1000.0,
    search_depth_m: float = 30_000.0,
    setback_m: float = 1000.0,
    places: tuple[str, ...] = DEFAULT_PLACES,
) -> list[dict[str, Any]]:
    """Assess every rail link crossing the watched border.

    Parameters
    ----------
    network : the mobility network (rail graph used).
    removal_length_m : length of track removed, m.
    search_depth_m : stretches starting up to this far along the line from the border are candidates, m.
    setback_m : a stretch starts at least this far along the line from the border point (own side), m.
    places : objective place names.

    Returns
    -------
    One dict per rail crossing point (see docs/formats.md, rail_links.json).
    """
    g = network.rail
    th = network.theatre
    per_track = network.catalogue.rail.removal_h_per_track_m.value
    ents = [e for e in entry_points(network=network, kind="rail") if e.crossing]
    objs = {o.name: o.nodes[0] for o in objectives(network=network, kind="rail", places=places, depth_m=None)}
    base = {e.name: _times(g, e.node, objs) for e in ents}
    towns = [p for p in th.places if p.in_home and p.population >= 1000]
    txy = np.array([th.xy(p.lat, p.lon) for p in towns]).reshape(-1, 2)
    out: list[dict[str, Any]] = []
    for e in ents:
        times = base[e.name]
        dest = min(times, key=lambda k: times[k])
        if math.isinf(times[dest]):
            out.append(
                {
                    "name": link_name(e.name),
                    "crossing": e.name,
                    "segment": e.segment,
                    "connected": False,
                    "note": "the link reaches no objective on this network",
                }
            )
            continue
        path = nx.shortest_path(g, e.node, objs[dest], weight="time_s")
        edges = list(itertools.pairwise(path))
        # towns along the line, in order
        line = th.project(path_geometry(network, "rail", path))
        pts = shapely.points(txy[:, 0], txy[:, 1])
        near = np.flatnonzero(shapely.distance(line, pts) < 3000.0)
        via = [towns[int(i)].name for i in sorted(near, key=lambda i: float(line.project(pts[int(i)])))]
        # where the line crosses the watched border: the crossing of the path nearest its entry node
        border_xy = th.project(th.watched_border)
        cross = [q for q in shapely.get_parts(shapely.intersection(line, border_xy)) if q.geom_type == "Point"]
        bp = min(cross, key=lambda q: float(line.project(q))) if cross else shapely.Point(line.coords[0])
        bpl = th.unproject(bp)
        first = g.edges[edges[0]]
        length = sum(g.edges[a]["length_m"] for a in edges)
        alternatives = [
            {"link": link_name(o.name), "time_to_destination_h": _h(base[o.name][dest])}
            for o in ents
            if o.name != e.name and not math.isinf(base[o.name][dest])
        ]
        # distances along the line are measured from the border point (the entry node of an OSM line lies
        # beyond the border); a removed stretch starts at least `setback_m` inside and may run over several
        # (short, OSM) edges: removing any part of the candidate edge cuts it
        off = float(line.project(bp))
        start_at = off + setback_m
        cands: list[_Cand] = []
        walked = 0.0
        for u, v in edges:
            ln = g.edges[u, v]["length_m"]
            if walked - off > search_depth_m:
                break
            if walked + ln > start_at:
                cands.append(_Cand(u, v, walked, walked + ln))
            walked += ln

        def effect(
            c: _Cand,
            e: EntryPoint = e,
            dest: str = dest,
            times: dict[str, float] = times,
            line: Any = line,
            off: float = off,
            start_at: float = start_at,
        ) -> dict[str, Any]:
            h = g.copy()
            h.remove_edge(c.u, c.v)
            after = _times(h, e.node, objs)
            d = g.edges[c.u, c.v]
            s0 = max(c.start_m, start_at)
            removed = max(0.0, min(removal_length_m, float(line.length) - s0))
            mid = th.unproject(line.interpolate(s0 + removed / 2.0))
            return {
                "from_border_km": round((s0 - off) / 1000.0, 2),
                "to_border_km": round((s0 + removed - off) / 1000.0, 2),
                "edge_from_km": round((c.start_m - off) / 1000.0, 2),
                "edge_to_km": round((c.end_m - off) / 1000.0, 2),
                "edge_id": d["id"],
                "tracks": int(d["lanes"]),
                "edge_has_bridge": bool(d["bridge"]),
                "lon": round(float(mid.x), 5),
                "lat": round(float(mid.y), 5),
                "removed_m": round(removed, 1),
                "effort_crew_h": round(int(d["lanes"]) * removed * per_track, 2),
                "disconnects": math.isinf(after[dest]),
                "time_after_h": {k: _h(v) for k, v in after.items()},
                "added_time_h": None if math.isinf(after[dest]) else round((after[dest] - times[dest]) / 3600, 3),
            }

        effects = [effect(c) for c in cands]
        cutting = [x for x in effects if x["disconnects"]]
        cheapest = min(cutting, key=lambda x: (x["effort_crew_h"], x["from_border_km"])) if cutting else None
        best_alt = min(alternatives, key=lambda a: a["time_to_destination_h"] or math.inf, default=None)
        out.append(
            {
                "name": link_name(e.name),
                "crossing": e.name,
                "segment": e.segment,
                "connected": True,
                "entry": {"lon": round(e.lon, 5), "lat": round(e.lat, 5)},
                "border_point": {"lon": round(float(bpl.x), 5), "lat": round(float(bpl.y), 5)},
                "goes_to": dest,
                "via": via,
                "length_to_destination_km": round(length / 1000.0, 1),
                "time_to_objectives_h": {k: _h(v) for k, v in times.items()},
                "tracks_at_border": int(first["lanes"]),
                "electric_at_border": bool(first["electric"]),
                "edge_disjoint_routes": int(nx.edge_connectivity(g, e.node, objs[dest])),
                "alternatives": alternatives,
                "removal": {
                    "length_m": removal_length_m,
                    "at_border": effects[0] if effects else None,
                    "cheapest": cheapest,
                    "candidates": len(effects),
                    "after_cut": (
                        f"{link_name(e.name)} no longer reaches {dest}; the fastest other rail link to {dest} is "
                        f"{best_alt['link']} ({best_alt['time_to_destination_h']} h from its border point)"
                        if best_alt and cheapest
                        else "no other rail link reaches the destination"
                    ),
                },
            }
        )
    return out
