"""``borderwatch mobility``: corridors and chokepoints, rail-link assessment, deployment plans."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from borderwatch.cli.common import console, handle_errors, progress_bar
from borderwatch.cli.core import theatre_app

if TYPE_CHECKING:  # heavy (scipy, networkx, shapely): imported inside the commands, so --help stays fast
    from borderwatch.mobility.chokepoints import Chokepoint
    from borderwatch.mobility.corridors import EntryPoint, Objective
    from borderwatch.mobility.network import Network

NetworkOpt = Annotated[
    Path | None,
    typer.Option("--network", help="OSM PBF (.pbf/.osm) or GeoJSON line file instead of the shipped roads."),
]
OutOpt = Annotated[Path, typer.Option("-o", "--out", help="Output folder.")]
TheatreOpt = Annotated[str | None, typer.Option("--theatre", help="Shipped theatre name or a folder.")]


@dataclass(slots=True)
class Analysis:
    network: Network
    entries: dict[str, list[EntryPoint]]
    objectives: dict[str, list[Objective]]
    chokepoints: list[Chokepoint]
    cut_values: dict[str, float]


def analyse(*, theatre: str | None, network_file: Path | None) -> Analysis:
    """Network, entry points, objectives and min-cut chokepoints for the CLI commands."""
    from borderwatch.mobility.chokepoints import find_chokepoints
    from borderwatch.mobility.corridors import entry_points, objectives
    from borderwatch.mobility.loaders import load_user_network
    from borderwatch.mobility.network import build_network
    from borderwatch.theatre import DEFAULT_THEATRE, load_theatre

    th = load_theatre(theatre or DEFAULT_THEATRE)
    if network_file is None:
        net = build_network(theatre=th)
    else:
        roads, rails, rejected = load_user_network(network_file)
        net = build_network(theatre=th, roads=roads, railways=rails, source=str(network_file))
        if rejected:
            net.notes.append(f"{sum(rejected.values())} feature(s) of {network_file.name} rejected: {dict(rejected)}")
    kinds = [k for k in ("road", "rail") if net.graph(k).number_of_edges()]
    ents = {k: entry_points(network=net, kind=k) for k in kinds}
    objs = {k: objectives(network=net, kind=k) for k in kinds}
    cps, vals = find_chokepoints(network=net, entries=ents, objs=objs)
    return Analysis(net, ents, objs, cps, vals)


def chokepoint_feature(c: Chokepoint, *, betweenness: float | None, note: list[str]) -> tuple[Any, dict[str, Any]]:
    from shapely.geometry import Point

    return Point(c.lon, c.lat), {
        "id": c.id,
        "kind": c.kind,
        "edge_id": c.edge_id,
        "class": c.cls,
        "lanes": c.lanes,
        "width_m": c.width_m,
        "effort_m": c.effort_m,
        "bridge": c.bridge,
        "border_km": c.border_km,
        "segment": c.segment,
        "entries": list(c.entries),
        "betweenness": betweenness,
        "notes": note,
    }


def interdiction_features(an: Analysis, *, budget: int) -> list[tuple[Any, dict[str, Any]]]:
    """Best ``budget`` closure sites per network kind by flow interdiction (remaining flow in lanes/tracks)."""
    from shapely.geometry import Point

    from borderwatch.mobility.chokepoints import interdict_flow
    from borderwatch.mobility.corridors import objective_nodes

    feats: list[tuple[Any, dict[str, Any]]] = []
    for kind, ents in an.entries.items():
        g = an.network.graph(kind)
        res = interdict_flow(
            graph=g, sources=[e.node for e in ents], sinks=objective_nodes(an.objectives[kind]), budget=budget
        )
        for u, v in res.edges:
            lon, lat = an.network.edge_lonlat(kind, u, v, at=0.5)
            d = g.edges[u, v]
            feats.append(
                (
                    Point(lon, lat),
                    {
                        "kind": kind,
                        "edge_id": d["id"],
                        "class": d["cls"],
                        "lanes": d["lanes"],
                        "budget_sites": budget,
                        "remaining_flow_lanes": res.remaining_flow,
                        "bridge": d["bridge"],
                        "notes": an.network.notes,
                    },
                )
            )
    return feats


def thin_features(areas: list[Any]) -> list[tuple[Any, dict[str, Any]]]:
    """thin_data.geojson features: one polygon per thin-data area."""
    from borderwatch.mobility.coverage import thin_area_document

    out = []
    for a in areas:
        props = thin_area_document(a)
        props.pop("bbox")
        out.append((a.geometry, props))
    return out


def route_features(plan: dict[str, Any]) -> list[tuple[Any, dict[str, Any]]]:
    """routes.geojson features: one LineString per truck, park → road → site, as driven."""
    from shapely.geometry import LineString

    out = []
    for t in plan["trucks"]:
        r = t.get("route")
        if r is None or len(r["coordinates"]) < 2:
            continue
        props = {k: v for k, v in r.items() if k != "coordinates"}
        props.update(truck=t["truck"], park=t["park"], chokepoint=t["chokepoint"], one_way_h=t["one_way_h"])
        out.append((LineString(r["coordinates"]), props))
    return out


app = typer.Typer()  # this module's commands; borderwatch.cli adds them to the main app


@theatre_app.command("import-osm")
@handle_errors
def import_osm_cmd(
    extract: Annotated[Path, typer.Argument(help="OpenStreetMap extract (.osm.pbf), e.g. Geofabrik's.")],
    out: OutOpt,
    base: Annotated[
        str, typer.Option("--base", help="Theatre whose borders, places and crossings are copied.")
    ] = "latvia-east",
    name: Annotated[str | None, typer.Option("--name", help="Name of the new theatre.")] = None,
) -> None:
    """Build a theatre folder whose roads and railways come from your OSM extract (use it with --theatre)."""
    from borderwatch.theatre.osm import import_osm

    with progress_bar("importing") as cb:
        rep = import_osm(extract, out, base=base, name=name, progress=cb)
    console.print(
        f"{rep.roads} road, {rep.railways} railway and {rep.rivers} waterway ways ({rep.bridges} bridges) "
        f"from {extract.name}; extent {rep.extent} → {out}"
    )
    for reason, n in sorted(rep.rejected.items()):
        console.print(f"[yellow]rejected {n}:[/] {reason}")
    for reason, n in sorted(rep.dropped_tags.items()):
        console.print(f"[yellow]tag dropped {n}:[/] {reason}")
    console.print(f"next: borderwatch mobility corridors --theatre {out} -o OUT")


mob = typer.Typer(help="Defence line: corridors, chokepoints, rail links, deployment plans.", no_args_is_help=True)
app.add_typer(mob, name="mobility")


@mob.command("corridors")
@handle_errors
def corridors_cmd(
    out: OutOpt,
    network: NetworkOpt = None,
    theatre: TheatreOpt = None,
    k: Annotated[int, typer.Option(help="Corridors per entry point and objective.")] = 3,
    budget: Annotated[
        int | None,
        typer.Option("--budget", help="Also pick the best K sites per network by flow interdiction (MILP)."),
    ] = None,
) -> None:
    """Corridors from the border to the objectives and the min-cut chokepoints: corridors.geojson,
    chokepoints.geojson, map.png."""
    from borderwatch.interop.geojson import write_features
    from borderwatch.mobility.corridors import edge_betweenness, k_shortest_corridors
    from borderwatch.mobility.coverage import thin_data_areas
    from borderwatch.plot.mobility import corridor_map

    with progress_bar("corridors") as cb:
        cb(0, 3)
        an = analyse(theatre=theatre, network_file=network)
        cb(1, 3)
        cors = []
        bc: dict[str, float] = {}
        for kind in an.entries:
            cors += k_shortest_corridors(
                network=an.network, kind=kind, entries=an.entries[kind], objs=an.objectives[kind], k=k
            )
            bc.update(
                edge_betweenness(network=an.network, kind=kind, entries=an.entries[kind], objs=an.objectives[kind])
            )
        cb(2, 3)
        out.mkdir(parents=True, exist_ok=True)
        notes = an.network.notes
        write_features(
            out / "corridors.geojson",
            [
                (
                    c.geometry,
                    {
                        "entry": c.entry,
                        "objective": c.objective,
                        "kind": c.kind,
                        "rank": c.rank,
                        "time_h": round(c.time_s / 3600, 3),
                        "length_km": round(c.length_m / 1000, 2),
                        "edge_ids": list(c.edge_ids),
                        "notes": notes,
                    },
                )
                for c in cors
            ],
        )
        write_features(
            out / "chokepoints.geojson",
            [chokepoint_feature(c, betweenness=bc.get(c.edge_id), note=notes) for c in an.chokepoints],
        )
        if budget is not None:
            inter = interdiction_features(an, budget=budget)
            write_features(out / "interdiction.geojson", inter)
        thin = thin_data_areas(network=an.network)
        write_features(out / "thin_data.geojson", thin_features(thin))
        corridor_map(
            theatre=an.network.theatre,
            corridors=cors,
            chokepoints=an.chokepoints,
            notes=notes,
            path=out / "map.png",
            thin_areas=thin,
        )
        cb(3, 3)
    t = Table(title=f"Chokepoints (min cut: {', '.join(f'{k} {v:g} m' for k, v in an.cut_values.items())})")
    for col in ("id", "kind", "class", "lanes", "effort m", "bridge", "border km", "cuts corridors from"):
        t.add_column(col)
    for c in an.chokepoints:
        t.add_row(
            c.id,
            c.kind,
            c.cls,
            str(c.lanes),
            f"{c.effort_m:g}",
            "yes" if c.bridge else "",
            f"{c.border_km:.1f}",
            "; ".join(c.entries),
        )
    console.print(t)
    for n in notes:
        console.print(f"[yellow]note:[/] {n}")
    for a in thin:
        console.print(f"[yellow]thin road data:[/] {a.name} ({a.area_km2:g} km², up to {a.max_gap_km:g} km to a road)")
    console.print(f"{len(cors)} corridors, {len(an.chokepoints)} chokepoints → {out}")


@mob.command("rail")
@handle_errors
def rail_cmd(
    out: OutOpt,
    network: NetworkOpt = None,
    theatre: TheatreOpt = None,
    length_m: Annotated[float, typer.Option("--length-m", help="Length of track removed, m.")] = 1000.0,
) -> None:
    """Assess each rail link across the watched border: rail_links.json and a table."""
    from borderwatch.mobility.loaders import load_user_network
    from borderwatch.mobility.network import build_network
    from borderwatch.mobility.rail import assess_rail_links
    from borderwatch.theatre import DEFAULT_THEATRE, load_theatre

    th = load_theatre(theatre or DEFAULT_THEATRE)
    if network is None:
        net = build_network(theatre=th)
    else:
        roads, rails, _ = load_user_network(network)
        net = build_network(theatre=th, roads=roads, railways=rails, source=str(network))
    links = assess_rail_links(network=net, removal_length_m=length_m)
    out.mkdir(parents=True, exist_ok=True)
    doc = {"removal_length_m": length_m, "source": net.source, "links": links, "notes": net.notes}
    (out / "rail_links.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    t = Table(title="Rail links across the watched border")
    for col in (
        "link",
        "segment",
        "goes to (via)",
        "h to dest.",
        "tracks",
        "alternatives",
        "cheapest cut",
        "effect",
    ):
        t.add_column(col)
    for x in links:
        if not x["connected"]:
            t.add_row(x["name"], x["segment"], "—", "", "", "", "", x["note"])
            continue
        ch = x["removal"]["cheapest"]
        cut = (
            "none cuts it"
            if ch is None
            else (
                f"{ch['removed_m']:.0f} m at {ch['from_border_km']:.1f}–{ch['to_border_km']:.1f} km "
                f"({ch['tracks']} track, {ch['effort_crew_h']:g} crew-h)"
            )
        )
        t.add_row(
            x["name"],
            x["segment"],
            f"{x['goes_to']} ({' → '.join(x['via'])})",
            f"{x['time_to_objectives_h'][x['goes_to']]:.2f}",
            str(x["tracks_at_border"]),
            ", ".join(f"{a['link']} {a['time_to_destination_h']:.2f} h" for a in x["alternatives"]) or "none",
            cut,
            x["removal"]["after_cut"],
        )
    console.print(t)
    for n in net.notes:
        console.print(f"[yellow]note:[/] {n}")
    console.print(f"rail_links.json → {out}")


@mob.command("indicators")
@handle_errors
def indicators_cmd(
    playbook: Annotated[Path | None, typer.Option("--playbook", help="playbook.yaml (default: shipped).")] = None,
    network: NetworkOpt = None,
    theatre: TheatreOpt = None,
    sites: Annotated[
        bool, typer.Option("--sites/--no-sites", help="Also name the chokepoints each closes on this theatre.")
    ] = True,
) -> None:
    """The playbook's indicators: the readiness level each raises and what it closes."""
    from borderwatch.mobility.plan import closes_text, load_playbook, select_chokepoints

    pb = load_playbook(playbook)
    an = analyse(theatre=theatre, network_file=network) if sites else None
    open_x = {c.name for c in an.network.theatre.crossings if c.status == "open"} if an else set()
    t = Table(title="Playbook indicators (borderwatch mobility plan --indicator NAME)")
    for col in ("indicator", "level", "description", "closes", *(("chokepoints",) if an else ())):
        t.add_column(col)
    for ind in pb.indicators:
        _ind, lv, cps = select_chokepoints(
            playbook=pb, indicator=ind.name, chokepoints=an.chokepoints if an else [], open_crossings=open_x
        )
        row = [ind.name, f"{lv.level} {lv.name}", ind.description, closes_text(indicator=ind, level=lv)]
        if an:
            row.append(", ".join(f"{c.id} ({c.kind})" for c in cps) or "none")
        t.add_row(*row)
    console.print(t)
    if an:
        for n in an.network.notes:
            console.print(f"[yellow]note:[/] {n}")


@mob.command("plan")
@handle_errors
def plan_cmd(
    indicator: Annotated[str, typer.Option("--indicator", help="Playbook indicator (e.g. full).")],
    out: OutOpt,
    parks: Annotated[Path | None, typer.Option("--parks", help="parks.yaml (default: shipped).")] = None,
    fleet: Annotated[Path | None, typer.Option("--fleet", help="fleet.yaml (default: shipped).")] = None,
    playbook: Annotated[Path | None, typer.Option("--playbook", help="playbook.yaml (default: shipped).")] = None,
    partial: Annotated[bool, typer.Option("--partial", help="Plan the chokepoints that can be closed.")] = False,
    network: NetworkOpt = None,
    theatre: TheatreOpt = None,
) -> None:
    """Deployment plan for an indicator: plan.json, gantt.png, map.png."""
    from borderwatch.interop.geojson import write_features
    from borderwatch.mobility.coverage import thin_data_areas
    from borderwatch.mobility.plan import load_fleet, load_obstacles, load_parks, load_playbook, make_plan
    from borderwatch.plot.mobility import gantt, plan_map

    ob = load_obstacles()
    pk = load_parks(parks, obstacles=ob)
    fl = load_fleet(fleet)
    pb = load_playbook(playbook)
    with progress_bar("planning") as cb:
        cb(0, 3)
        an = analyse(theatre=theatre, network_file=network)
        cb(1, 3)
        open_x = {c.name for c in an.network.theatre.crossings if c.status == "open"}
        thin = thin_data_areas(network=an.network)
        doc = make_plan(
            thin_areas=thin,
            network=an.network,
            chokepoints=an.chokepoints,
            indicator=indicator,
            open_crossings=open_x,
            parks=pk,
            fleet=fl,
            obstacles=ob,
            playbook=pb,
            partial=partial,
        )
        cb(2, 3)
        out.mkdir(parents=True, exist_ok=True)
        (out / "plan.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
        write_features(out / "routes.geojson", route_features(doc))
        write_features(out / "thin_data.geojson", thin_features(thin))
        gantt(plan=doc, path=out / "gantt.png")
        plan_map(
            theatre=an.network.theatre,
            plan=doc,
            chokepoints=an.chokepoints,
            parks=pk.parks,
            path=out / "map.png",
            thin_areas=thin,
        )
        cb(3, 3)
    t = Table(title=f"Closure plan — indicator {indicator!r} (level {doc['readiness_level']} {doc['level_name']})")
    for col in (
        "chokepoint",
        "kind",
        "closure m",
        "parks",
        "trucks",
        "off-network km",
        "first arrival h",
        "closed h",
    ):
        t.add_column(col)
    for s in doc["chokepoints"]:
        acc = s["access"]
        t.add_row(
            s["id"],
            s["kind"],
            f"{s['closure_m']:g}",
            ", ".join(s["parks"]),
            ", ".join(s["trucks"]),
            f"{acc['max_off_network_km']:.1f}" + (" (off-road only)" if acc["off_road_only"] else ""),
            f"{s['first_arrival_h']:.2f}",
            f"{s['closed_h']:.2f}",
        )
    console.print(t)
    for s in doc["chokepoints"]:
        if s["access"]["note"]:
            console.print(f"[yellow]{s['id']}:[/] {s['access']['note']}")
    for a in doc["thin_data_areas"]:
        console.print(
            f"[yellow]thin road data:[/] {a['name']} ({a['area_km2']:g} km², up to {a['max_gap_km']:g} km to a "
            "road): no conclusion there"
        )
    for u in doc["unclosed"]:
        console.print(f"[red]not closed:[/] {u['id']}: {u['reason']}")
    for w in doc["warnings"]:
        console.print(f"[yellow]warning:[/] {w}")
    console.print(
        f"makespan [bold]{doc['makespan_h']:.2f} h[/], lower bound {doc['lower_bound_h']:.2f} h, "
        f"gap {100 * doc['gap']:.2f} %, greedy {doc['greedy_makespan_h']} h, solved in {doc['solve_s']:.1f} s "
        f"({doc['method']}) → {out}"
    )
