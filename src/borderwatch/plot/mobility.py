"""Maps and charts of the defence line: corridors, chokepoints, deployment plans (Gantt)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from borderwatch.mobility.chokepoints import Chokepoint
from borderwatch.mobility.corridors import Corridor
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
    """Closure sites as X markers; road labels to the left, rail labels to the right, so sites that share a
    crossing (road and rail side by side) stay readable."""
    for c in chokepoints:
        colour = _KIND_COLOUR[c.kind]
        ax.scatter([c.lon], [c.lat], marker="X", s=170, c=colour, edgecolors="white", linewidths=1.2, zorder=14)
        text = c.id + (" (bridge)" if c.bridge else "") + (f"\n{label[c.id]}" if label and c.id in label else "")
        right = c.kind == "rail"
        ax.annotate(
            text,
            (c.lon, c.lat),
            xytext=(10, 6) if right else (-10, -6),
            textcoords="offset points",
            ha="left" if right else "right",
            va="bottom" if right else "top",
            fontsize=9,
            weight="bold",
            color=colour,
            zorder=15,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": colour, "alpha": 0.9},
            arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.8},
        )


def corridor_map(
    *, theatre: Theatre, corridors: list[Corridor], chokepoints: list[Chokepoint], notes: list[str], path: Path
) -> Path:
    """Corridors (fastest first, thicker), chokepoints (X) on the theatre base map; written to ``path``."""
    fig, ax = new_map(theatre, EXTENT, title="Mobility corridors and chokepoints (minimum cut)")
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
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=8, framealpha=0.9)
    _note(fig, notes)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def plan_map(
    *, theatre: Theatre, plan: dict[str, Any], chokepoints: list[Chokepoint], parks: list[Any], path: Path
) -> Path:
    """Parks (squares, sized by trucks used), the flows park → chokepoint, closure times at each site."""
    fig, ax = new_map(
        theatre,
        EXTENT,
        title=f"Deployment plan — indicator '{plan['indicator']}': all closed after {plan['makespan_h']:.2f} h",
    )
    by_id = {c.id: c for c in chokepoints}
    pk = {p.name: p for p in parks}
    used = {t["park"] for t in plan["trucks"]}
    for p in parks:
        ax.scatter(
            [p.lon],
            [p.lat],
            marker="s",
            s=40 if p.name not in used else 90,
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
    for site in plan["chokepoints"]:
        c = by_id.get(site["id"])
        if c is None:
            continue
        for park in site["parks"]:
            p = pk[park]
            ax.annotate(
                "",
                (c.lon, c.lat),
                (p.lon, p.lat),
                zorder=11,
                arrowprops={"arrowstyle": "-|>", "color": "#1b7837", "lw": 1.4, "alpha": 0.8},
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
        Line2D(
            [],
            [],
            marker="s",
            color="none",
            markerfacecolor="#1b7837",
            markeredgecolor="k",
            markersize=9,
            label="park used",
        ),
        Line2D(
            [],
            [],
            marker="s",
            color="none",
            markerfacecolor="#a6dba0",
            markeredgecolor="k",
            markersize=6,
            label="park (not needed)",
        ),
        Line2D([], [], color="#1b7837", lw=1.4, label="obstacles carried (park → site)"),
        Line2D(
            [], [], marker="X", color="none", markerfacecolor=_KIND_COLOUR["road"], markersize=11, label="road closure"
        ),
        Line2D(
            [], [], marker="X", color="none", markerfacecolor=_KIND_COLOUR["rail"], markersize=11, label="rail closure"
        ),
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=8, framealpha=0.9)
    _note(fig, plan.get("notes", []))
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


_PHASE = {"mobilise": "#d9d9d9", "load": "#fdb863", "drive": "#92c5de", "emplace": "#b2182b", "return": "#d1e5f0"}


def gantt(*, plan: dict[str, Any], path: Path) -> Path:
    """One bar per truck: loading, driving, emplacing, returning; a line at each chokepoint's closure."""
    trucks = sorted(plan["trucks"], key=lambda t: (t["chokepoint"], t["truck"]))
    fig, ax = plt.subplots(figsize=(11, max(3.0, 0.42 * len(trucks) + 1.6)), dpi=110)
    for i, t in enumerate(trucks):
        first = t["trips"][0]["load_start_h"]
        ax.barh(i, first, left=0, color=_PHASE["mobilise"], edgecolor="#444", linewidth=0.3, height=0.7)
        for k, trip in enumerate(t["trips"]):
            segs = [
                (trip["load_start_h"], trip["depart_h"], "load"),
                (trip["depart_h"], trip["arrive_h"], "drive"),
                (trip["arrive_h"], trip["emplaced_h"], "emplace"),
            ]
            if k < len(t["trips"]) - 1:
                segs.append((trip["emplaced_h"], t["trips"][k + 1]["load_start_h"], "return"))
            for a, b, ph in segs:
                ax.barh(i, b - a, left=a, color=_PHASE[ph], edgecolor="#444", linewidth=0.3, height=0.7)
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
        handles=[Patch(color=c, label=k) for k, c in _PHASE.items()]
        + [Line2D([], [], color="k", ls="--", label="all closed")],
        loc="lower right",
        fontsize=8,
    )
    ax.grid(True, axis="x", lw=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
