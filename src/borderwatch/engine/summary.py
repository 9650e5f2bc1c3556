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
    *,
    killed_truth: set[str] | None = None,
) -> dict[str, Any]:
    """The run's figures. ``killed_truth`` (closed loop): the drones the simulated world says were killed;
    without it a drone counts as killed when an engagement on one of its tracks killed before its end."""
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
    rec_of = {r["id"]: r for r in recs}
    # a scramble avoided: a track a fighter could also have reached in time that a cheaper effector did engage
    avoided = sorted(
        {
            e.track
            for e in book.engagements
            if e.effector != "fighter" and rec_of.get(e.recommendation, {}).get("fighter_feasible", False)
        }
    )
    fighter_with_cheaper = [
        e
        for e in fighters
        if any(a["effector"] != "fighter" for a in rec_of.get(e.recommendation, {}).get("alternatives", []))
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
    leakers: dict[str, str] = {}
    recs_by_track: dict[str, int] = defaultdict(int)
    for r in recs:
        recs_by_track[r["track"]] += 1
    for tid in hostile_ids:
        t_last, inside_end = end_inside[tid]
        if not inside_end:
            continue
        mine = [e for k in tracks_of[tid] for e in eng_by_track[k]]
        if killed_truth is not None:
            if tid in killed_truth:
                continue
        elif any(e.outcome == "kill" and e.t_intercept <= t_last for e in mine):
            continue
        leakers[tid] = _why_leaked(tid, tracks_of[tid], logs, recs_by_track, mine)
    depth_t = _depth_times(th, truth, cfg.depth_km * 1000.0)
    eng_of_obj = {tid: [e for k in tracks_of[tid] for e in eng_by_track[k]] for tid in hostile_ids}
    matched_tracks = {k for tid in hostile_ids for k in tracks_of[tid]}
    engaged_objs = [tid for tid in hostile_ids if eng_of_obj[tid]]
    engaged_before_depth_obj = [
        tid for tid in hostile_ids if any(e.t_intercept <= depth_t.get(tid, np.inf) for e in eng_of_obj[tid])
    ]
    avoided_obj = [
        tid
        for tid in hostile_ids
        if any(
            e.effector != "fighter" and rec_of.get(e.recommendation, {}).get("fighter_feasible", False)
            for e in eng_of_obj[tid]
        )
    ]
    warn_obj = []
    for tid in crossed_t:
        if tid not in hostile_ids:
            continue
        ts = [first_alert[k] for k in tracks_of[tid] if k in first_alert]
        if ts:
            warn_obj.append(crossed_t[tid] - min(ts))
    launched = {e.id for e in book.engagements if e.outcome not in ("cancelled",) and e.cost_eur > 0}
    n_eng_hostile = sum(1 for v in eng_of_obj.values() for e in v if e.id in launched)
    queue_of: dict[str, int] = defaultdict(int)
    for r in recs:
        obj = assoc.get(r["track"])
        if obj is not None and obj in hostile_ids:
            queue_of[obj] += 1
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
        "engagements_launched": len(launched),
        "engagements_by_effector": _count(e.effector for e in book.engagements),
        "kills": sum(e.outcome == "kill" for e in book.engagements),
        "misses": sum(e.outcome == "miss" for e in book.engagements),
        "total_response_cost_eur": round(cost, 0),
        "value_of_threats_killed_eur": round(value_killed, 0),
        "cost_exchange_ratio": round(cost / value_killed, 3) if value_killed > 0 else None,
        "fighter_scrambles": len(fighters),
        "fighter_scrambles_avoided": len(avoided),
        "fighter_scrambles_with_a_cheaper_option": len(fighter_with_cheaper),
        "outcomes": _count(e.outcome for e in book.engagements),
        "tracker": trk.to_dict() if trk is not None else None,
        "hostile_drones_truth": len(hostile_ids),
        "hostile_drones_crossing_truth": len(crossing_hostiles),
        "hostile_drones_detected_before_border_share_truth": _share(len(detected_before), len(crossing_hostiles)),
        "hostile_drones_engaged_truth": len(engaged_objs),
        "hostile_drones_killed_truth": len(killed_truth & set(hostile_ids)) if killed_truth is not None else None,
        "hostile_drones_engaged_before_depth_share_truth": _share(len(engaged_before_depth_obj), len(hostile_ids)),
        "engagements_per_hostile_drone_truth": round(n_eng_hostile / len(hostile_ids), 3) if hostile_ids else None,
        "queue_entries_per_hostile_drone_truth": {
            "mean": round(sum(queue_of.values()) / len(hostile_ids), 3) if hostile_ids else None,
            "max": max(queue_of.values(), default=0),
        },
        "engagements_on_no_hostile_drone_truth": sum(
            len(v) for k, v in eng_by_track.items() if k not in matched_tracks
        ),
        "median_warning_before_crossing_per_drone_s_truth": round(statistics.median(warn_obj), 1) if warn_obj else None,
        "fighter_scrambles_avoided_truth": len(avoided_obj),
        "leakers_truth": len(leakers),
        "leaker_ids_truth": list(leakers),
        "leakers_why_truth": leakers,
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


def _why_leaked(
    tid: str, tracks: list[str], logs: dict[str, TrackLog], recs_by_track: dict[str, int], engs: list[Engagement]
) -> str:
    """Why a hostile drone that ended inside the country was not killed."""
    if not tracks:
        return "never tracked"
    if engs:
        outs = _count(e.outcome for e in engs)
        return "engaged, not killed: " + ", ".join(f"{k} ×{v}" for k, v in outs.items())
    if any(recs_by_track.get(k, 0) for k in tracks):
        return "recommended, never approved"
    if not any(logs[k].identity in ("hostile", "suspect") for k in tracks):
        return "tracked, never assessed hostile or suspect"
    return "tracked as a threat, no feasible engagement in our airspace before its deadline"


def _depth_times(th: Any, truth: TruthTable, depth_m: float) -> dict[str, float]:
    """When each target first is ``depth_m`` inside the country (truth)."""
    out: dict[str, float] = {}
    inside = th.in_home(truth.lat, truth.lon)
    if not inside.any():
        return out
    rows = np.flatnonzero(inside)
    d = th.distance_to_border_m(truth.lat[rows], truth.lon[rows])
    deep = rows[d >= depth_m]
    for r in deep[np.argsort(truth.t[deep])]:
        tid = truth.targets[int(truth.idx[r])].id
        out.setdefault(tid, float(truth.t[r]))
    return out
