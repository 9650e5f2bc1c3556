"""The run summary: figures from the engine's outputs, and evaluation figures against truth (``*_truth``)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

import numpy as np

from borderwatch.engine.stepper import RunConfig, TrackLog
from borderwatch.response.decisions import Engagement, EngagementBook
from borderwatch.response.effectors import Unit
from borderwatch.sim.scenario import utc_iso
from borderwatch.sim.truth import TruthTable
from borderwatch.threat import AlertBook
from borderwatch.tracking import TrackerSummary


def associate(
    truth: TruthTable, logs: dict[str, list[tuple[float, float, float]]], gate_m: float = 1500.0
) -> dict[str, str]:
    """Track -> truth target by majority vote of nearest truth positions (evaluation only)."""
    by_t: dict[float, np.ndarray] = {t: rows for t, rows in truth.at_times()}
    out: dict[str, str] = {}
    for tid, pts in logs.items():
        votes: dict[int, int] = defaultdict(int)
        for t, lat, lon in pts[:: max(1, len(pts) // 60)]:
            rows = by_t.get(round(t, 3))
            if rows is None or rows.size == 0:
                continue
            dy = (truth.lat[rows] - lat) * 111_320.0
            dx = (truth.lon[rows] - lon) * 111_320.0 * np.cos(np.radians(lat))
            d = np.hypot(dx, dy)
            k = int(np.argmin(d))
            if d[k] <= gate_m:
                votes[int(truth.idx[rows[k]])] += 1
        if votes:
            out[tid] = truth.targets[max(votes, key=lambda v: votes[v])].id
    return out


def run_summary(
    sc: Any,
    th: Any,
    truth: TruthTable,
    logs: dict[str, TrackLog],
    alerts: AlertBook,
    book: EngagementBook,
    recs: list[dict[str, Any]],
    tcfg: Any,
    fighter_feasible: set[str],
    cfg: RunConfig,
    trk: TrackerSummary | None,
    units: dict[str, Unit],
) -> dict[str, Any]:
    hostile_tracks = {k: v for k, v in logs.items() if v.identity == "hostile" or v.neutralised_at is not None}
    # --- from pipeline outputs ---------------------------------------------------------------------------
    first_alert: dict[str, float] = {}
    for al in alerts.alerts.values():
        if al.kind.value in ("approaching_border", "predicted_crossing"):
            first_alert[al.track] = min(first_alert.get(al.track, al.t), al.t)
    warnings = [v.crossed_at - first_alert[k] for k, v in hostile_tracks.items() if v.crossed_at and k in first_alert]
    confirmed_before = [k for k, v in hostile_tracks.items() if v.first_outside]
    eng_by_track: dict[str, list[Engagement]] = defaultdict(list)
    for e in book.engagements:
        eng_by_track[e.track].append(e)
    engaged_before_depth = [
        k
        for k in hostile_tracks
        if any(e.t_intercept <= (hostile_tracks[k].depth_at or np.inf) for e in eng_by_track[k])
    ]
    cost = float(sum(e.cost_eur for e in book.engagements))
    killed = [k for k, v in logs.items() if v.neutralised_at is not None]
    value_killed = float(
        sum(
            tcfg.threat_value_eur[logs[k].main_class].value
            for k in killed
            if logs[k].main_class in tcfg.threat_value_eur
        )
    )
    fighters = [e for e in book.engagements if e.effector == "fighter"]
    avoided = [
        k for k in eng_by_track if k in fighter_feasible and all(e.effector != "fighter" for e in eng_by_track[k])
    ]
    # --- evaluation against truth (named *_truth) -------------------------------------------------------------
    assoc = associate(truth, {k: v.points for k, v in logs.items()})
    hostile_ids = [ti.id for ti in truth.targets if ti.hostile]
    crossed_t: dict[str, float] = {}
    end_inside: dict[str, tuple[float, bool]] = {}
    for k, ti in enumerate(truth.targets):
        rows = np.flatnonzero(truth.idx == k)
        rows = rows[np.argsort(truth.t[rows])]
        inside = th.in_home(truth.lat[rows], truth.lon[rows])
        if inside.any():
            crossed_t[ti.id] = float(truth.t[rows[int(np.argmax(inside))]])
        end_inside[ti.id] = (float(truth.t[rows[-1]]), bool(inside[-1]))
    tracks_of: dict[str, list[str]] = defaultdict(list)
    for trk_id, tid in assoc.items():
        tracks_of[tid].append(trk_id)
    detected_before = [
        tid
        for tid in hostile_ids
        if tid in crossed_t and any(logs[k].first_t <= crossed_t[tid] for k in tracks_of[tid])
    ]
    crossing_hostiles = [tid for tid in hostile_ids if tid in crossed_t]
    t_final = sc.t0 + sc.duration_s
    leakers = []
    for tid in hostile_ids:
        t_last, inside_end = end_inside[tid]
        if not inside_end:
            continue
        killed_before = any(
            e.outcome == "kill" and e.t_intercept <= t_last for k in tracks_of[tid] for e in eng_by_track[k]
        )
        if not killed_before:
            leakers.append(tid)
    threat_value_all = float(
        sum(
            tcfg.threat_value_eur[ti.cls].value
            for ti in truth.targets
            if ti.hostile and ti.cls in tcfg.threat_value_eur
        )
    )
    return {
        "scenario": sc.name,
        "theatre": th.name,
        "auto_approve": cfg.auto_approve,
        "closed_loop": cfg.closed_loop,
        "depth_km": cfg.depth_km,
        "tracks_confirmed": len(logs),
        "hostile_tracks": len(hostile_tracks),
        "hostile_tracks_first_seen_outside_share": _share(len(confirmed_before), len(hostile_tracks)),
        "median_warning_before_crossing_s": round(statistics.median(warnings), 1) if warnings else None,
        "warning_before_crossing_s": {
            "n": len(warnings),
            "min": _r(min(warnings, default=None)),
            "max": _r(max(warnings, default=None)),
        },
        "hostile_tracks_engaged_before_depth_share": _share(len(engaged_before_depth), len(hostile_tracks)),
        "alerts": len(alerts.alerts),
        "alerts_by_kind": _count(a.kind.value for a in alerts.alerts.values()),
        "recommendations": len(recs),
        "recommendations_by_effector": _count(r["effector"] for r in recs),
        "decisions": len(book.log.entries),
        "engagements": len(book.engagements),
        "engagements_by_effector": _count(e.effector for e in book.engagements),
        "kills": sum(e.outcome == "kill" for e in book.engagements),
        "misses": sum(e.outcome == "miss" for e in book.engagements),
        "total_response_cost_eur": round(cost, 0),
        "value_of_threats_killed_eur": round(value_killed, 0),
        "cost_exchange_ratio": round(cost / value_killed, 3) if value_killed > 0 else None,
        "fighter_scrambles": len(fighters),
        "fighter_scrambles_avoided": len(avoided),
        "tracker": trk.to_dict() if trk is not None else None,
        "hostile_drones_truth": len(hostile_ids),
        "hostile_drones_crossing_truth": len(crossing_hostiles),
        "hostile_drones_detected_before_border_share_truth": _share(len(detected_before), len(crossing_hostiles)),
        "leakers_truth": len(leakers),
        "leaker_ids_truth": leakers,
        "threat_value_all_hostiles_eur_truth": round(threat_value_all, 0),
        "cost_exchange_ratio_vs_all_threats_truth": round(cost / threat_value_all, 3) if threat_value_all else None,
        "start_time": utc_iso(sc.t0),
        "end_time": utc_iso(t_final),
        "notes": [
            "figures without _truth come from the pipeline's outputs only; *_truth figures need ground truth",
            (
                "closed loop: a kill ends the simulated drone's truth at the intercept; it makes no later report"
                if cfg.closed_loop
                else "a killed track is marked neutralised; the simulated drone's truth is not cut (open loop)"
            ),
            "value of tracks killed counts duplicate tracks of one drone more than once; the _truth ratio does not",
            "roads and effector sites are notional (see the catalogues' sources)",
        ],
    }


def _share(n: int, d: int) -> float | None:
    return round(n / d, 3) if d else None


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def _count(it: Any) -> dict[str, int]:
    d: dict[str, int] = defaultdict(int)
    for x in it:
        d[str(x)] += 1
    return dict(sorted(d.items()))
