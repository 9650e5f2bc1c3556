"""The theatre with ground-truth trajectories drawn on it (``borderwatch map``)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from borderwatch.plot.basemap import Extent, base_legend_handles, new_map, watched_extent
from borderwatch.sim.truth import TruthTable
from borderwatch.theatre.model import Theatre

CLASS_COLOUR = {
    "shahed": "#d7191c",
    "geran3": "#a50026",
    "gerbera": "#f46d43",
    "orlan10": "#7b3294",
    "quadcopter": "#c51b7d",
    "fpv": "#8e0152",
    "stray_lr": "#e6ab02",
    "light_aircraft": "#2166ac",
    "helicopter": "#4393c3",
    "birds": "#1b7837",
}


def truth_extent(theatre: Theatre, truth: TruthTable, pad: float = 0.25) -> Extent:
    x0, x1, y0, y1 = watched_extent(theatre)
    if len(truth):
        x0 = min(x0, float(truth.lon.min()) - pad)
        x1 = max(x1, float(truth.lon.max()) + pad)
        y0 = min(y0, float(truth.lat.min()) - pad)
        y1 = max(y1, float(truth.lat.max()) + pad)
    return (x0, x1, y0, y1)


def draw_truth_map(theatre: Theatre, truth: TruthTable, out: Path | str, *, title: str | None = None) -> Path:
    """Write a PNG of the theatre with each target's trajectory, coloured by class."""
    fig, ax = new_map(theatre, truth_extent(theatre, truth), title=title)
    seen: dict[str, str] = {}
    for k, ti in enumerate(truth.targets):
        r = np.flatnonzero(truth.idx == k)
        if r.size == 0:
            continue
        r = r[np.argsort(truth.t[r])]
        colour = CLASS_COLOUR.get(ti.cls, "#555555")
        ls = "-" if ti.hostile else (0, (3, 1.5))
        ax.plot(truth.lon[r], truth.lat[r], color=colour, lw=1.3, ls=ls, alpha=0.9, zorder=9)
        ax.scatter(truth.lon[r[0]], truth.lat[r[0]], marker="o", s=14, color=colour, zorder=10)
        ax.scatter(truth.lon[r[-1]], truth.lat[r[-1]], marker="x", s=28, color=colour, zorder=10)
        seen.setdefault(ti.cls, colour)
    handles = base_legend_handles(theatre) + [
        Line2D([], [], color=c, lw=1.8, label=f"track: {cls}") for cls, c in sorted(seen.items())
    ]
    handles.append(Line2D([], [], color="k", marker="o", ls="none", markersize=4, label="launch / entry"))
    handles.append(Line2D([], [], color="k", marker="x", ls="none", markersize=6, label="end (impact, crash, exit)"))
    ax.legend(handles=handles, loc="upper left", fontsize=7.5, framealpha=0.9)
    fig.tight_layout()
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
