"""Maps and charts of the defence line: corridors, chokepoints, deployment plans (Gantt)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import shapely
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.patches import Polygon as MplPolygon

from borderwatch.mobility.chokepoints import Chokepoint
from borderwatch.mobility.corridors import Corridor
from borderwatch.mobility.coverage import ThinArea
from borderwatch.plot.basemap import base_legend_handles, new_map
from borderwatch.theatre.model import Theatre

#: eastern Latvia, where the defence line lies
EXTENT = (25.9, 28.5, 55.6, 57.75)
_KIND_COLOUR = {"road": "#c51b7d", "rail": "#2166ac"}


def _note(fig: Any, notes: list[str]) -> None:
    if notes:
        txt = "\n".join(textwrap.fill(n, 150) for n in notes)
        fig.text(0.01, 0.005, txt, fontsize=7.5, color="#7a0000", va="bottom", ha="left")


def _sites(ax: Any, chokepoints: list[Chokepoint], label: dict[str, str] | None = None) -> None:
    """Closure sites as X markers. A label goes to the side away from the nearest other site when one is close
    (so neighbouring sites, e.g. road and rail at one crossing, stay readable), else road labels to the left and
    rail labels to the right."""
    for c in chokepoints:
        colour = _KIND_COLOUR[c.kind]
        ax.scatter([c.lon], [c.lat], marker="X", s=170, c=colour, edgecolors="white", linewidths=1.2, zorder=16)
    for c in chokepoints:
        colour = _KIND_COLOUR[c.kind]
        text = c.id + (" (bridge)" if c.bridge else "") + (f"\n{label[c.id]}" if label and c.id in label else "")
        others = [o for o in chokepoints if o.id != c.id]
        near = min(others, key=lambda o: np.hypot(o.lon - c.lon, o.lat - c.lat), default=None)
        if near is not None and np.hypot(near.lon - c.lon, near.lat - c.lat) < 0.35:
            dx, dy = c.lon - near.lon, c.lat - near.lat
            right, up = dx > 0 or (dx == 0 and c.kind == "rail"), dy >= 0
        else:
            right, up = c.kind == "rail", c.kind == "rail"
        ax.annotate(
            text,
            (c.lon, c.lat),
            xytext=(14 if right else -14, 10 if up else -10),
            textcoords="offset points",
            ha="left" if right else "right",
            va="bottom" if up else "top",
            fontsize=9,
            weight="bold",
            color=colour,
            zorder=15,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": colour, "alpha": 0.85},
            arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.8},
        )


_THIN_EDGE = "#7a0000"


def _context(ax: Any, theatre: Theatre, thin_areas: list[ThinArea]) -> list[Any]:
    """Fallback railways outside the main railway layer's extent, and the thin-data areas (hatched, labelled).
    Returns their legend handles."""
    handles: list[Any] = []
    for rl in theatre.railways_fallback:
        for part in shapely.get_parts(rl.geometry):
            if part.geom_type == "LineString":
                x, y = part.xy
                ax.plot(x, y, color="#777777", lw=0.9, ls=(0, (2, 2)), zorder=3)
    if theatre.railways_fallback:
        handles.append(
            Line2D([], [], color="#777777", lw=0.9, ls=(0, (2, 2)), label="railway outside OSM extract (NE)")
        )
    for a in thin_areas:
        for poly in shapely.get_parts(a.geometry):
            if poly.geom_type != "Polygon":
                continue
            ax.add_patch(
                MplPolygon(
                    list(poly.exterior.coords),
                    closed=True,
                    zorder=5,
                    facecolor="none",
                    edgecolor=_THIN_EDGE,
                    hatch="///",
                    linewidth=1.0,
                    alpha=0.8,
                )
            )
        ax.annotate(
            f"thin road data\n{a.name}",
            (a.centroid_lon, a.centroid_lat),
            ha="center",
            va="center",
            fontsize=8,
            color="#7a0000",
            style="italic",
            zorder=13,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#7a0000", "alpha": 0.75},
        )
    if thin_areas:
        handles.append(
            Patch(facecolor="none", edgecolor=_THIN_EDGE, hatch="///", label="roads too thin to conclude here")
        )
    return handles


def corridor_map(
    *,
    theatre: Theatre,
    corridors: list[Corridor],
    chokepoints: list[Chokepoint],
    notes: list[str],
    path: Path,
    thin_areas: list[ThinArea] | None = None,
) -> Path:
    """Corridors (fastest first, thicker), chokepoints (X) on the theatre base map; written to ``path``."""
    fig, ax = new_map(theatre, EXTENT, title="Mobility corridors and chokepoints (minimum cut)")
    extra = _context(ax, theatre, thin_areas or [])
    for c in sorted(corridors, key=lambda c: -c.rank):
        x, y = c.geometry.xy
        ax.plot(
            x,
            y,
            color=_KIND_COLOUR[c.kind],
            lw={1: 4.0, 2: 2.2}.get(c.rank, 1.2),
            alpha={1: 0.55, 2: 0.35}.get(c.rank, 0.25),
            zorder=9,
            solid_capstyle="round",
        )
    _sites(ax, chokepoints)
    handles = [
        *base_legend_handles(theatre),
        Line2D([], [], color=_KIND_COLOUR["road"], lw=4, alpha=0.6, label="road corridor (thick = fastest)"),
        Line2D([], [], color=_KIND_COLOUR["rail"], lw=4, alpha=0.6, label="rail corridor"),
        Line2D(
            [], [], marker="X", color="none", markerfacecolor="#555", markersize=11, label="chokepoint (closure site)"
        ),
        *extra,
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=8, framealpha=0.9)
    _note(fig, notes)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def plan_map(
    *,
    theatre: Theatre,
    plan: dict[str, Any],
    chokepoints: list[Chokepoint],
    parks: list[Any],
    path: Path,
    thin_areas: list[ThinArea] | None = None,
) -> Path:
    """Parks (squares, sized by trucks used), each truck's route along the roads (off-network legs dashed),
    closure times at each site, thin-data areas hatched."""
    fig, ax = new_map(
        theatre,
        EXTENT,
        title=f"Deployment plan — indicator '{plan['indicator']}': all closed after {plan['makespan_h']:.2f} h",
    )
    extra = _context(ax, theatre, thin_areas or [])
    by_id = {c.id: c for c in chokepoints}
    used = {t["park"] for t in plan["trucks"]}
    for p in parks:
        ax.scatter(
            [p.lon],
            [p.lat],
            marker="h",
            s=45 if p.name not in used else 110,
            c="#1b7837" if p.name in used else "#a6dba0",
            edgecolors="k",
            linewidths=0.6,
            zorder=12,
        )
        if p.name in used:
            ax.annotate(
                p.name.split()[0],
                (p.lon, p.lat),
                xytext=(-6, -12),
                textcoords="offset points",
                fontsize=7.5,
                color="#1b7837",
                zorder=12,
            )
    drawn: set[tuple[str, str]] = set()
    for t in plan["trucks"]:
        key = (t["park"], t["chokepoint"])
        if key in drawn or "route" not in t:
            continue
        drawn.add(key)
        xy = t["route"]["coordinates"]
        road = xy[1:-1]
        if len(road) >= 2:
            ax.plot([q[0] for q in road], [q[1] for q in road], color="#1b7837", lw=2.2, alpha=0.85, zorder=11)
        for leg in (xy[:2], xy[-2:]):  # off the network: park to road, road to site
            ax.plot([q[0] for q in leg], [q[1] for q in leg], color="#1b7837", lw=1.6, ls=(0, (1.5, 1.5)), zorder=11)
        ax.annotate(
            "",
            tuple(xy[-1]),
            tuple(xy[-2] if len(xy) >= 2 else xy[-1]),
            zorder=11,
            arrowprops={"arrowstyle": "-|>", "color": "#1b7837", "lw": 1.2},
        )
    for site in plan["chokepoints"]:
        acc = site.get("access") or {}
        if acc.get("off_road_only"):
            ax.annotate(
                f"{site['id']}: {acc['site_off_network_km']:.1f} km off-road",
                (site["lon"], site["lat"]),
                xytext=(8, -16),
                textcoords="offset points",
                fontsize=8,
                color="#7a0000",
                zorder=15,
            )
    label = {s["id"]: f"closed {s['closed_h']:.1f} h" for s in plan["chokepoints"] if s["closed_h"] is not None}
    closed_ids = {s["id"] for s in plan["chokepoints"]}
    _sites(ax, [c for c in chokepoints if c.id in closed_ids], label)
    for u in plan["unclosed"]:
        c = by_id.get(u["id"])
        if c is not None:
            ax.scatter([c.lon], [c.lat], marker="X", s=170, c="#888", edgecolors="red", zorder=14)
            ax.annotate(
                f"{c.id} NOT CLOSED",
                (c.lon, c.lat),
                xytext=(8, -4),
                textcoords="offset points",
                color="red",
                fontsize=9,
                weight="bold",
                zorder=15,
            )
    handles = [
        *base_legend_handles(theatre),
        Line2D(
            [],
            [],
            marker="h",
            color="none",
            markerfacecolor="#1b7837",
            markeredgecolor="k",
            markersize=10,
            label="park used",
        ),
        Line2D(
            [],
            [],
            marker="h",
            color="none",
            markerfacecolor="#a6dba0",
            markeredgecolor="k",
            markersize=7,
            label="park (not needed)",
        ),
        Line2D([], [], color="#1b7837", lw=2.2, label="truck route along the roads (park → site)"),
        Line2D([], [], color="#1b7837", lw=1.6, ls=(0, (1.5, 1.5)), label="off the road network (straight line)"),
        Line2D(
            [], [], marker="X", color="none", markerfacecolor=_KIND_COLOUR["road"], markersize=11, label="road closure"
        ),
        Line2D(
            [], [], marker="X", color="none", markerfacecolor=_KIND_COLOUR["rail"], markersize=11, label="rail closure"
        ),
        *extra,
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=8, framealpha=0.9)
    _note(fig, plan.get("notes", []))
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


_PHASE = {
    "mobilise": "#d9d9d9",
    "load": "#fdb863",
    "drive": "#92c5de",
    "off-road": "#92c5de",
    "emplace": "#b2182b",
    "return": "#d1e5f0",
}


def gantt(*, plan: dict[str, Any], path: Path) -> Path:
    """One bar per truck: loading, driving (the off-network part of each drive hatched, drawn at its end),
    emplacing, returning; a line at the last closure."""
    trucks = sorted(plan["trucks"], key=lambda t: (t["chokepoint"], t["truck"]))
    fig, ax = plt.subplots(figsize=(11, max(3.0, 0.42 * len(trucks) + 1.6)), dpi=110)
    for i, t in enumerate(trucks):
        first = t["trips"][0]["load_start_h"]
        ax.barh(i, first, left=0, color=_PHASE["mobilise"], edgecolor="#444", linewidth=0.3, height=0.7)
        for k, trip in enumerate(t["trips"]):
            off = min(float(t.get("route", {}).get("off_network_h", 0.0)), trip["arrive_h"] - trip["depart_h"])
            segs = [
                (trip["load_start_h"], trip["depart_h"], "load"),
                (trip["depart_h"], trip["arrive_h"] - off, "drive"),
                (trip["arrive_h"] - off, trip["arrive_h"], "off-road"),
                (trip["arrive_h"], trip["emplaced_h"], "emplace"),
            ]
            if k < len(t["trips"]) - 1:
                segs.append((trip["emplaced_h"], t["trips"][k + 1]["load_start_h"], "return"))
            for a, b, ph in segs:
                if b - a <= 0:
                    continue
                ax.barh(
                    i,
                    b - a,
                    left=a,
                    color=_PHASE[ph],
                    edgecolor="#444",
                    linewidth=0.3,
                    height=0.7,
                    hatch="////" if ph == "off-road" else None,
                )
        ax.text(t["finish_h"] + 0.05, i, f"{t['chokepoint']} {t['finish_h']:.2f} h", va="center", fontsize=8)
    ax.set_yticks(range(len(trucks)))
    ax.set_yticklabels([f"{t['truck']} ({t['park']}) → {t['chokepoint']}" for t in trucks], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(plan["makespan_h"], color="k", ls="--", lw=1)
    ax.set_xlabel("hours after the indicator")
    ax.set_xlim(0, plan["makespan_h"] * 1.18 + 0.3)
    ax.set_title(
        f"Deployment Gantt — indicator '{plan['indicator']}': makespan {plan['makespan_h']:.2f} h, "
        f"lower bound {plan['lower_bound_h']:.2f} h, gap {100 * plan['gap']:.2f} %"
    )
    ax.legend(
        handles=[
            Patch(facecolor=c, edgecolor="#444", hatch="////" if k == "off-road" else None, label=k)
            for k, c in _PHASE.items()
        ]
        + [Line2D([], [], color="k", ls="--", label="all closed")],
        loc="lower right",
        fontsize=8,
    )
    ax.grid(True, axis="x", lw=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
