"""The self-contained run report (``report.html``): map, timeline and summary, readable offline.

Images are embedded as base64 PNG; there is no external script, style sheet, font or tile, so the page
opens on an air-gapped laptop. Track markers follow APP-6 standard-identity colours and frame shapes
(hostile red diamond, suspect orange diamond, unknown yellow clover, neutral green square, friend blue
circle).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from borderwatch.plot.basemap import Extent, base_legend_handles, new_map, watched_extent
from borderwatch.theatre.model import Theatre

#: APP-6 standard identity -> (fill colour, matplotlib marker)
APP6 = {
    "hostile": ("#ff3030", "D"),
    "suspect": ("#ff9f40", "D"),
    "unknown": ("#ffe84d", "P"),
    "neutral": ("#50c850", "s"),
    "friend": ("#40a0ff", "o"),
}


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def run_map_png(
    theatre: Theatre,
    tracks: Mapping[str, Sequence[tuple[float, float, float]]],
    identity: Mapping[str, str],
    alerts: Sequence[Mapping[str, Any]],
    intercepts: Sequence[Mapping[str, Any]],
    *,
    title: str,
    extent: Extent | None = None,
) -> str:
    """Base64 PNG of the theatre with tracks (t, lat, lon), alert points and intercept points."""
    if extent is None:
        lons = [p[2] for pts in tracks.values() for p in pts]
        lats = [p[1] for pts in tracks.values() for p in pts]
        if lons:
            # around the tracks, at least ~1.6° x 0.9° so the border and towns give context
            cx, cy = 0.5 * (min(lons) + max(lons)), 0.5 * (min(lats) + max(lats))
            hw = max(0.8, 0.5 * (max(lons) - min(lons)) + 0.3)
            hh = max(0.45, 0.5 * (max(lats) - min(lats)) + 0.18)
            extent = (cx - hw, cx + hw, cy - hh, cy + hh)
        else:
            extent = watched_extent(theatre)
    fig, ax = new_map(theatre, extent, title=title)
    for tid, pts in tracks.items():
        if not pts:
            continue
        colour, marker = APP6.get(identity.get(tid, "unknown"), APP6["unknown"])
        arr = np.asarray(pts)
        ax.plot(arr[:, 2], arr[:, 1], color=colour, lw=1.4, alpha=0.95, zorder=9, path_effects=None)
        ax.scatter(arr[-1, 2], arr[-1, 1], marker=marker, s=48, c=colour, edgecolors="black", linewidths=0.8, zorder=12)
    al_x = [a["lon"] for a in alerts if a.get("kind") in ("predicted_crossing", "crossed")]
    al_y = [a["lat"] for a in alerts if a.get("kind") in ("predicted_crossing", "crossed")]
    if al_x:
        ax.scatter(al_x, al_y, marker="^", s=30, c="#ffffff", edgecolors="#b2182b", linewidths=1.0, zorder=11)
    for outcome, colour in (("kill", "#00a000"), ("miss", "#7f7f7f")):
        hits = [i for i in intercepts if i.get("outcome") == outcome and "lat" in i]
        if hits:
            ax.scatter(
                [p["lon"] for p in hits], [p["lat"] for p in hits], marker="*", s=140, c=colour,
                edgecolors="black", linewidths=0.6, zorder=13,
            )  # fmt: skip
    handles = base_legend_handles(theatre)
    handles += [
        Line2D(
            [], [], marker=m, color="none", markerfacecolor=c, markeredgecolor="k", markersize=7, label=f"track: {k}"
        )
        for k, (c, m) in APP6.items()
    ]
    handles += [
        Line2D([], [], marker="^", color="none", markerfacecolor="w", markeredgecolor="#b2182b",
               label="crossing alert"),
        Line2D([], [], marker="*", color="none", markerfacecolor="#00a000", markeredgecolor="k", markersize=10,
               label="intercept: kill"),
        Line2D([], [], marker="*", color="none", markerfacecolor="#7f7f7f", markeredgecolor="k", markersize=10,
               label="intercept: miss"),
    ]  # fmt: skip
    ax.legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.92)
    fig.tight_layout()
    return _png(fig)


def timeline_png(
    t0: float,
    spans: Mapping[str, tuple[float, float, str]],
    events: Sequence[tuple[float, str, str]],
) -> str:
    """Base64 PNG: one bar per track (first to last confirmed time, APP-6 colour), events as marks.

    ``spans``: track -> (t_first, t_last, identity); ``events``: (t, track, kind) with kind one of
    crossed, predicted_crossing, engaged, kill, miss.
    """
    order = sorted(spans, key=lambda k: spans[k][0])
    h = max(2.5, 0.22 * len(order) + 1.2)
    fig, ax = plt.subplots(figsize=(11, min(h, 14)), dpi=100)
    row = {k: i for i, k in enumerate(order)}
    for k in order:
        a, b, ident = spans[k]
        ax.barh(
            row[k], (b - a) / 60, left=(a - t0) / 60, color=APP6.get(ident, APP6["unknown"])[0], edgecolor="k", lw=0.4
        )
    style = {
        "predicted_crossing": ("|", "#b2182b"),
        "crossed": ("x", "#b2182b"),
        "engaged": (">", "#1f4e9c"),
        "kill": ("*", "#00a000"),
        "miss": ("*", "#7f7f7f"),
    }
    for kind, (m, c) in style.items():
        pts = [(t, row[tr]) for t, tr, kd in events if kd == kind and tr in row]
        if pts:
            arr = np.asarray(pts, dtype=float)
            ax.scatter((arr[:, 0] - t0) / 60, arr[:, 1], marker=m, c=c, s=40, zorder=5, label=kind.replace("_", " "))
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels(order, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("minutes since scenario start")
    ax.grid(True, axis="x", lw=0.3)
    if events:
        ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Timeline: confirmed tracks and events")
    fig.tight_layout()
    return _png(fig)


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1b1f24}
header{background:#1b2a3a;color:#fff;padding:14px 22px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#c9d4df;font-size:13px}
main{padding:16px 22px;display:grid;gap:16px}
section{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:12px 16px}
h2{font-size:16px;margin:0 0 8px}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px}
.kpi{border:1px solid #e1e5ea;border-radius:5px;padding:8px 10px}
.kpi b{display:block;font-size:22px}.kpi span{font-size:12px;color:#555}
table{border-collapse:collapse;width:100%;font-size:12.5px}
th,td{border-bottom:1px solid #e6e9ed;padding:4px 6px;text-align:left}
th{background:#f0f2f5;position:sticky;top:0}img{max-width:100%;height:auto;display:block}
.note{font-size:12px;color:#555}.lvl-alarm{color:#b2182b;font-weight:600}.lvl-warning{color:#c46a00}
"""


def _table(rows: Sequence[Mapping[str, Any]], cols: Sequence[tuple[str, str]], limit: int = 400) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in cols)
    body = []
    for r in rows[:limit]:
        cells = []
        for key, _ in cols:
            v = r.get(key, "")
            cls = f' class="lvl-{html.escape(str(v))}"' if key == "level" else ""
            cells.append(f"<td{cls}>{html.escape(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = f'<p class="note">… {len(rows) - limit} more in the JSONL file</p>' if len(rows) > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def render_report(
    *,
    title: str,
    subtitle: str,
    kpis: Sequence[tuple[str, str]],
    map_png_b64: str,
    timeline_png_b64: str,
    alerts: Sequence[Mapping[str, Any]],
    recommendations: Sequence[Mapping[str, Any]],
    decisions: Sequence[Mapping[str, Any]],
    notes: Sequence[str],
) -> str:
    """The report page as one HTML string with everything inline."""
    kpi_html = "".join(f'<div class="kpi"><b>{html.escape(v)}</b><span>{html.escape(k)}</span></div>' for k, v in kpis)
    notes_html = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body><header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>
<main>
<section id="summary"><h2>Summary</h2><div class="kpis">{kpi_html}</div><ul class="note">{notes_html}</ul></section>
<section id="map"><h2>Map</h2><img alt="map of the theatre with tracks, alerts and intercepts"
 src="data:image/png;base64,{map_png_b64}"></section>
<section id="timeline"><h2>Timeline</h2><img alt="timeline of tracks and events"
 src="data:image/png;base64,{timeline_png_b64}"></section>
<section id="alerts"><h2>Alerts ({len(alerts)})</h2>{
        _table(
            alerts,
            [
                ("id", "id"),
                ("time", "time (UTC)"),
                ("level", "level"),
                ("kind", "kind"),
                ("track", "track"),
                ("message", "message"),
            ],
        )
    }</section>
<section id="recommendations"><h2>Recommendations ({len(recommendations)})</h2>{
        _table(
            recommendations,
            [
                ("id", "id"),
                ("time", "time (UTC)"),
                ("track", "track"),
                ("unit", "unit"),
                ("effector", "effector"),
                ("time_to_intercept_s", "t-intercept s"),
                ("pk", "Pk"),
                ("cost_eur", "cost EUR"),
                ("why", "why"),
            ],
        )
    }</section>
<section id="decisions"><h2>Decisions ({len(decisions)})</h2>{
        _table(
            decisions,
            [
                ("id", "id"),
                ("recommendation", "recommendation"),
                ("approved", "approved"),
                ("who", "who"),
                ("time", "time (UTC)"),
                ("why", "why"),
            ],
        )
    }</section>
</main></body></html>
"""
