"""Maps, charts and the weekly situation report (self-contained HTML) for the border-events register."""

from __future__ import annotations

import base64
import html
import io
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from borderwatch.crossings.forecast import Forecast, weekly_interval
from borderwatch.crossings.impact import SectionDay
from borderwatch.crossings.model import EventData
from borderwatch.crossings.sections import Sections
from borderwatch.plot.basemap import new_map

LEVEL_COLOUR = {"low": "#1a9850", "medium": "#fdae61", "high": "#d73027", "critical": "#67001f"}


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _draw_sections(ax: Any, sections: Sections, colours: dict[str, str], labels: dict[str, str]) -> None:
    for s in sections.sections:
        g = s.geometry
        x, y = g.xy
        ax.plot(x, y, color=colours.get(s.id, "#777777"), lw=6, alpha=0.85, zorder=9, solid_capstyle="butt")
        if s.id in labels:
            ax.annotate(
                labels[s.id], (s.mid_lon, s.mid_lat), xytext=(8, 0), textcoords="offset points", fontsize=7,
                zorder=12, bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.75},
            )  # fmt: skip


def _notes(ax: Any, notes: list[str]) -> None:
    """Provenance notes just below the map (not at the foot of the figure, which leaves a blank band)."""
    if notes:
        ax.annotate(
            "\n".join(textwrap.fill(n, 130) for n in notes), (0, 0), xycoords="axes fraction", xytext=(0, -34),
            textcoords="offset points", fontsize=7, color="#555555", va="top", ha="left",
        )  # fmt: skip


def section_map_png(
    *, sections: Sections, levels: dict[str, str], events: list[EventData], title: str, notes: list[str]
) -> bytes:
    """Sections coloured by impact level with the week's events as dots."""
    fig, ax = new_map(sections.theatre, title=title, width_in=9.0)
    _draw_sections(ax, sections, {k: LEVEL_COLOUR[v] for k, v in levels.items()}, {s: s for s in levels})
    pts = [(e.lon, e.lat) for e in events if e.lon is not None and e.lat is not None]
    if pts:
        a = np.array(pts)
        ax.scatter(a[:, 0], a[:, 1], s=6, c="#2b2b2b", alpha=0.6, zorder=10, linewidths=0)
    handles = [Line2D([], [], color=c, lw=6, label=f"impact level {lv}") for lv, c in LEVEL_COLOUR.items()]
    handles.append(Line2D([], [], marker="o", color="none", markerfacecolor="#2b2b2b", label="event (reported point)"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, framealpha=0.9)
    _notes(ax, notes)
    return _png(fig)


def counts_png(section_ids: list[str], counts: np.ndarray, persons: np.ndarray) -> bytes:
    fig, ax = plt.subplots(figsize=(9, 3.2), dpi=110)
    xs = np.arange(len(section_ids))
    ax.bar(xs - 0.2, counts, 0.4, label="attempts", color="#4575b4")
    ax.bar(xs + 0.2, persons, 0.4, label="persons", color="#91bfdb")
    ax.set_xticks(xs, section_ids, rotation=70, fontsize=7)
    ax.set_ylabel("this week")
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", lw=0.3)
    return _png(fig)


def forecast_png(history_day0: int, history: np.ndarray, fc: Forecast, section_ids: list[str]) -> bytes:
    """Small multiples: last weeks of daily attempts and the 7-day forecast with its 80 % interval."""
    n = len(section_ids)
    cols = 4
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(11, 1.9 * rows), dpi=100, sharex=True, squeeze=False)
    hd = np.arange(history.shape[1]) + history_day0 - fc.day0
    fd = np.arange(fc.mean.shape[1])
    for i, sid in enumerate(section_ids):
        ax = axes[i // cols][i % cols]
        ax.step(hd, history[i], where="mid", color="#333333", lw=0.8)
        ax.fill_between(fd, fc.lo[i], fc.hi[i], step="mid", color="#fdae61", alpha=0.5, lw=0)
        ax.plot(fd, fc.mean[i], color="#d73027", lw=1.2)
        ax.set_title(sid, fontsize=8)
        ax.tick_params(labelsize=7)
        top = max(float(np.max(history[i], initial=0.0)), float(np.max(fc.hi[i], initial=0.0)), float(fc.mean[i].max()))
        ax.set_ylim(0.0, max(1.0, top) * 1.08)  # a quiet section reads 0-1, not a 1e-17 scale
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].axis("off")
    fig.supxlabel("days from the forecast start (grey: history, red: mean, band: 80 % interval)", fontsize=8)
    fig.tight_layout()
    return _png(fig)


def plan_map(
    *, sections: Sections, officers: dict[str, float], unhandled: dict[str, float], path: Path, notes: list[str]
) -> Path:
    """Map of the plan: sections coloured by mean officers on duty per shift, labelled with expected unhandled."""
    fig, ax = new_map(sections.theatre, title="Reinforcement plan: officers per shift (mean) by section", width_in=9.0)
    vmax = max(officers.values()) if officers else 1.0
    cmap = plt.get_cmap("viridis")
    colours = {k: matplotlib.colors.to_hex(cmap(v / vmax if vmax else 0.0)) for k, v in officers.items()}
    labels = {k: f"{k}: {officers[k]:.1f} off., {unhandled.get(k, 0.0):.1f} unh." for k in officers}
    _draw_sections(ax, sections, colours, labels)
    sm = matplotlib.cm.ScalarMappable(cmap=cmap, norm=matplotlib.colors.Normalize(0, vmax))
    fig.colorbar(sm, ax=ax, shrink=0.6, label="officers on duty per shift (mean over the horizon)")
    _notes(ax, notes)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def weekly_report_html(
    *,
    sections: Sections,
    week_start_day: int,
    events: list[EventData],
    levels: list[SectionDay],
    counts: np.ndarray,
    persons: np.ndarray,
    history_day0: int,
    history: np.ndarray,
    forecast: Forecast,
    overdue: list[str],
    notes: list[str],
) -> str:
    """The weekly situation report: one HTML file, images embedded as base64 PNG, no external requests."""

    def day(d: int) -> str:
        return datetime.fromtimestamp(d * 86400.0, UTC).strftime("%Y-%m-%d")

    last = {lv.section: lv for lv in levels if lv.day == week_start_day + 6}
    map_png = section_map_png(
        sections=sections,
        levels={k: v.level for k, v in last.items()},
        events=events,
        title=f"Border sections, week {day(week_start_day)} to {day(week_start_day + 6)}",
        notes=sections.notes,
    )
    wlo, whi, _ = weekly_interval(forecast)
    rows = []
    for i, s in enumerate(sections.sections):
        lv = last.get(s.id)
        rows.append(
            "<tr>"
            f"<td>{html.escape(s.id)}</td><td>{html.escape(s.name)}</td><td>{html.escape(s.unit)}</td>"
            f"<td>{int(counts[i])}</td><td>{int(persons[i])}</td>"
            f"<td style='color:{LEVEL_COLOUR[lv.level] if lv else '#000'}'><b>{lv.level if lv else ''}</b></td>"
            f"<td>{html.escape(lv.reason if lv else '')}</td>"
            f"<td>{forecast.mean[i].sum():.1f} [{wlo[i]:.0f}–{whi[i]:.0f}]</td>"
            "</tr>"
        )
    reactions = sorted(
        {(lv.level, lv.reaction) for lv in last.values()},
        key=lambda x: -["low", "medium", "high", "critical"].index(x[0]),
    )
    css = (
        "body{font-family:sans-serif;max-width:1100px;margin:1em auto;color:#222}"
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}"
        "img{max-width:100%}.note{color:#666;font-size:11px}"
    )
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Weekly situation report {day(week_start_day)}</title><style>{css}</style></head><body>",
        f"<h1>Weekly border situation report</h1><p>{day(week_start_day)} to {day(week_start_day + 6)} "
        f"(UTC) — {html.escape(sections.theatre.title)}</p>",
        f"<p><b>{int(counts.sum())}</b> attempts, <b>{int(persons.sum())}</b> persons this week; "
        f"overdue first reports: <b>{len(overdue)}</b>"
        + (" (" + ", ".join(map(html.escape, overdue)) + ")" if overdue else "")
        + ".</p>",
        _img(map_png, "section map"),
        "<h2>Sections</h2><table><tr><th>section</th><th>name</th><th>unit</th><th>attempts</th><th>persons</th>"
        "<th>level (last day)</th><th>reason</th><th>next 7 days: attempts forecast [80 % interval]</th></tr>",
        *rows,
        "</table>",
        "<h2>Required reactions</h2><ul>",
        *[f"<li><b>{lv}</b>: {html.escape(txt)}</li>" for lv, txt in reactions],
        "</ul><h2>Counts per section</h2>",
        _img(counts_png(sections.ids, counts, persons), "counts per section"),
        "<h2>Forecast, next 7 days</h2>",
        _img(forecast_png(history_day0, history, forecast, sections.ids), "forecast per section"),
        "<p class='note'>" + "<br>".join(html.escape(n) for n in notes) + "</p>",
        "</body></html>",
    ]
    return "\n".join(parts)
