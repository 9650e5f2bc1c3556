"""Benchmark: full-indicator deployment plan on the shipped theatre; prints one JSON object.

Besides the solve figures: each site's largest off-network leg (km), the sites reachable only off-road, the
road kilometres of all truck routes, and the thin-data areas (km²)."""

from __future__ import annotations

import json
import time

from borderwatch.mobility.chokepoints import find_chokepoints
from borderwatch.mobility.corridors import entry_points, objectives
from borderwatch.mobility.network import build_network
from borderwatch.mobility.plan import make_plan
from borderwatch.theatre import load_theatre


def main() -> None:
    th = load_theatre()
    t0 = time.perf_counter()
    net = build_network(theatre=th)
    ents = {k: entry_points(network=net, kind=k) for k in ("road", "rail")}
    objs = {k: objectives(network=net, kind=k) for k in ("road", "rail")}
    cps, cut = find_chokepoints(network=net, entries=ents, objs=objs)
    t1 = time.perf_counter()
    opened = {c.name for c in th.crossings if c.status == "open"}
    doc = make_plan(network=net, chokepoints=cps, indicator="full", open_crossings=opened)
    t2 = time.perf_counter()
    print(
        json.dumps(
            {
                "bench": "mobility_plan",
                "indicator": "full",
                "chokepoints": len(cps),
                "min_cut_m": cut,
                "trucks_used": len(doc["trucks"]),
                "makespan_h": doc["makespan_h"],
                "lower_bound_h": doc["lower_bound_h"],
                "gap": doc["gap"],
                "solve_s": doc["solve_s"],
                "plan_wall_s": round(t2 - t1, 3),
                "network_and_cut_s": round(t1 - t0, 3),
                "greedy_makespan_h": doc["greedy_makespan_h"],
                "method": doc["method"],
                "off_network_km": {s["id"]: s["access"]["max_off_network_km"] for s in doc["chokepoints"]},
                "off_road_only": [s["id"] for s in doc["chokepoints"] if s["access"]["off_road_only"]],
                "route_road_km_total": round(sum(t["route"]["road_km"] for t in doc["trucks"]), 1),
                "thin_data_areas_km2": {a["name"]: a["area_km2"] for a in doc["thin_data_areas"]},
                "rail_source": net.source,
            }
        )
    )


if __name__ == "__main__":
    main()
