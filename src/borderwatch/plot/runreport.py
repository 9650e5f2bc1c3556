"""Assemble ``report.html`` of a ``borderwatch run`` from its outputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from borderwatch.plot.report import render_report, run_map_png, timeline_png
from borderwatch.sim.scenario import Scenario, utc_iso
from borderwatch.theatre.model import Theatre


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f} %"


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def _eur(x: float | None) -> str:
    if x is None:
        return "—"
    return f"€{x / 1e6:.2f} M" if x >= 1e6 else f"€{x / 1e3:.0f} k"


def write_run_report(
    out: Path,
    theatre: Theatre,
    sc: Scenario,
    *,
    logs: Mapping[str, tuple[str, Sequence[tuple[float, float, float]], float | None]],
    alerts: Sequence[Mapping[str, Any]],
    recommendations: Sequence[Mapping[str, Any]],
    decisions: Sequence[Mapping[str, Any]],
    engagements: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
) -> Path:
    """Write ``out/report.html`` (self-contained) and return its path."""
    tracks = {k: list(v[1]) for k, v in logs.items()}
    ident = {k: v[0] for k, v in logs.items()}
    map_b64 = run_map_png(theatre, tracks, ident, alerts, engagements, title=f"{theatre.title} — {sc.name}")
    spans = {k: (v[1][0][0], v[1][-1][0], v[0]) for k, v in logs.items() if v[1] and v[0] != "neutral"}
    events: list[tuple[float, str, str]] = [
        (float(a["t"]), str(a["track"]), str(a["kind"]))
        for a in alerts
        if a["kind"] in ("predicted_crossing", "crossed")
    ]
    for e in engagements:
        events.append((float(e["t_launch"]), str(e["track"]), "engaged"))
        if e.get("outcome"):
            events.append((float(e["t_intercept"]), str(e["track"]), str(e["outcome"])))
    tl_b64 = timeline_png(sc.t0, spans, events)
    s = summary
    wt = s.get("median_warning_before_crossing_s")
    kpis = [
        (
            "hostile drones detected before the border (truth-matched)",
            _pct(s.get("hostile_drones_detected_before_border_share_truth")),
        ),
        ("median warning time before crossing", "—" if wt is None else f"{wt / 60:.1f} min"),
        ("hostile tracks engaged before the depth line", _pct(s.get("hostile_tracks_engaged_before_depth_share"))),
        ("leakers (truth)", str(s.get("leakers_truth"))),
        ("total response cost", _eur(s.get("total_response_cost_eur"))),
        ("cost-exchange ratio (cost / value of tracks killed)", _num(s.get("cost_exchange_ratio"))),
        (
            "cost / value of all hostile drones (truth)",
            _num(s.get("cost_exchange_ratio_vs_all_threats_truth")),
        ),
        ("fighter scrambles avoided", str(s.get("fighter_scrambles_avoided"))),
        ("fighter scrambles", str(s.get("fighter_scrambles"))),
        ("confirmed tracks / hostile tracks", f"{s.get('tracks_confirmed')} / {s.get('hostile_tracks')}"),
        (
            "alerts / recommendations / engagements",
            f"{s.get('alerts')} / {s.get('recommendations')} / {s.get('engagements')}",
        ),
    ]

    def timed(rows: Sequence[Mapping[str, Any]], key: str = "t") -> list[dict[str, Any]]:
        return [{**r, "time": utc_iso(float(r[key]))[11:19]} for r in rows]

    notes = list(s.get("notes", []))
    if not s.get("auto_approve"):
        notes.insert(0, "no decisions were taken: without --auto-approve every recommendation waits for an operator")
    html = render_report(
        title=f"borderwatch run — {sc.name}",
        subtitle=f"{theatre.title} · {utc_iso(sc.t0)} to {utc_iso(sc.t0 + sc.duration_s)} · "
        f"{'auto-approve policy (simulation)' if s.get('auto_approve') else 'recommendations only'}",
        kpis=kpis,
        map_png_b64=map_b64,
        timeline_png_b64=tl_b64,
        alerts=timed(alerts),
        recommendations=timed(recommendations),
        decisions=timed(decisions),
        notes=notes,
    )
    path = out / "report.html"
    path.write_text(html, encoding="utf-8")
    return path
