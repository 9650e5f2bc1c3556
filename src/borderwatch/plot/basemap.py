"""The theatre base map: countries, borders, roads, railways, rivers, lakes, towns, crossings.

Drawn in lon/lat with the aspect set to 1/cos(latitude), which keeps shapes true at theatre scale.
Other maps (coverage, corridors, tracks) draw on top of the axes this module prepares.
"""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib.pyplot as plt
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from shapely.geometry.base import BaseGeometry

from borderwatch.theatre.model import Theatre

Extent = tuple[float, float, float, float]  # lon_min, lon_max, lat_min, lat_max

_NEIGHBOUR_FILL = {"RU": "#f3dede", "BY": "#f6e6d2"}
_BORDER_COLOUR = {"RU": "#b2182b", "BY": "#d95f02"}
_STATUS_STYLE = {
    "open": ("#1a9850", "open"),
    "suspended": ("#fdae61", "suspended"),
    "closed": ("#4d4d4d", "closed"),
}


def _polys(geom: BaseGeometry) -> Iterable[BaseGeometry]:
    return [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"]


def _lines(geom: BaseGeometry) -> Iterable[BaseGeometry]:
    return [g for g in shapely.get_parts(geom) if g.geom_type == "LineString"]


def _fill(ax: Axes, geom: BaseGeometry, **kw: object) -> None:
    for p in _polys(geom):
        x, y = p.exterior.xy
        ax.fill(x, y, **kw)  # type: ignore[arg-type]


def _plot_lines(ax: Axes, geom: BaseGeometry, **kw: object) -> None:
    for ln in _lines(geom):
        x, y = ln.xy
        ax.plot(x, y, **kw)  # type: ignore[arg-type]


def watched_extent(theatre: Theatre, pad_deg: float = 0.35) -> Extent:
    """An extent around the watched border."""
    x0, y0, x1, y1 = theatre.watched_border.bounds
    return (x0 - 2 * pad_deg, x1 + 2 * pad_deg, y0 - pad_deg, y1 + pad_deg)


def new_map(
    theatre: Theatre,
    extent: Extent | None = None,
    *,
    title: str | None = None,
    width_in: float = 11.0,
    towns_min_pop: int = 3000,
    label_min_pop: int = 8000,
) -> tuple[Figure, Axes]:
    """A figure with the theatre drawn, clipped to ``extent`` (default: around the watched border)."""
    ext = extent or watched_extent(theatre)
    lat_mid = 0.5 * (ext[2] + ext[3])
    aspect = 1.0 / np.cos(np.radians(lat_mid))
    h = width_in * (ext[3] - ext[2]) * aspect / (ext[1] - ext[0])
    fig, ax = plt.subplots(figsize=(width_in, max(4.0, min(h + 0.8, 16.0))), dpi=110)
    ax.set_facecolor("#dcebf5")  # sea / outside
    for iso2, c in theatre.countries.items():
        colour = "#fbfbf4" if iso2 == theatre.home.iso2 else _NEIGHBOUR_FILL.get(iso2, "#ececec")
        _fill(ax, c.geometry, facecolor=colour, edgecolor="#9a9a9a", linewidth=0.4, zorder=1)
    for lk in theatre.lakes:
        _fill(ax, lk.geometry, facecolor="#a6cee3", edgecolor="#6baed6", linewidth=0.3, zorder=2)
    for rv in theatre.rivers:
        _plot_lines(ax, rv.geometry, color="#4a90c8", linewidth=0.9, zorder=2)
    for rd in theatre.roads:
        major = rd.cls == "Major Highway"
        _plot_lines(ax, rd.geometry, color="#e08a1e", linewidth=1.6 if major else 1.0, zorder=3)
    for rl in theatre.railways:
        _plot_lines(ax, rl.geometry, color="#222222", linewidth=1.0, linestyle=(0, (4, 2)), zorder=3)
    for s in theatre.segments:
        colour = _BORDER_COLOUR.get(s.neighbour, "#666666") if s.watched else "#777777"
        _plot_lines(ax, s.geometry, color=colour, linewidth=2.6 if s.watched else 1.2, zorder=4)
    # neighbour labels at a representative point inside the extent
    view = shapely.box(ext[0], ext[2], ext[1], ext[3])
    for c in theatre.countries.values():
        part = shapely.intersection(c.geometry, view)
        if part.is_empty or part.area < 0.02:
            continue
        p = part.representative_point()
        ax.text(
            p.x, p.y, c.name.upper(), fontsize=13, color="#8c8c8c", alpha=0.7,
            ha="center", va="center", weight="bold", zorder=2,
        )  # fmt: skip
    # towns
    pl = [p for p in theatre.places if p.population >= towns_min_pop]
    if pl:
        x = np.array([p.lon for p in pl])
        y = np.array([p.lat for p in pl])
        pop = np.array([p.population for p in pl], dtype=float)
        ax.scatter(x, y, s=6 + 40 * np.sqrt(pop / pop.max()), c="#333333", zorder=6, linewidths=0)
        for p in pl:
            if p.population >= label_min_pop and ext[0] <= p.lon <= ext[1] and ext[2] <= p.lat <= ext[3]:
                ax.annotate(
                    p.name, (p.lon, p.lat), xytext=(4, 3), textcoords="offset points", fontsize=8.5,
                    color="#111111", zorder=11,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
                )  # fmt: skip
    # crossings
    for cx in theatre.crossings:
        if cx.lat is None or cx.lon is None:
            continue
        colour, _ = _STATUS_STYLE.get(cx.status, ("#999999", cx.status))
        marker = "s" if cx.kind == "road" else "D"
        ax.scatter([cx.lon], [cx.lat], marker=marker, s=55, c=colour, edgecolors="black", linewidths=0.8, zorder=8)
    ax.set_xlim(ext[0], ext[1])
    ax.set_ylim(ext[2], ext[3])
    ax.set_aspect(aspect)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.grid(True, linewidth=0.3, alpha=0.5)
    ax.set_title(title or theatre.title)
    return fig, ax


def base_legend_handles(theatre: Theatre) -> list[Line2D]:
    """Legend entries for the base layers."""
    h = [
        Line2D([], [], color=_BORDER_COLOUR.get(s.neighbour, "#666"), lw=2.6, label=f"border {s.id}")
        for s in theatre.watched_segments
    ]
    h += [
        Line2D([], [], color="#e08a1e", lw=1.4, label="main road (NE 1:10m)"),
        Line2D([], [], color="#222222", lw=1.0, ls=(0, (4, 2)), label="railway"),
        Line2D([], [], color="#4a90c8", lw=1.0, label="river"),
    ]
    for colour, label in _STATUS_STYLE.values():
        h.append(
            Line2D([], [], marker="s", color="none", markerfacecolor=colour, markeredgecolor="k",
                   markersize=7, label=f"crossing ({label}; ◆ rail)")
        )  # fmt: skip
    return h
