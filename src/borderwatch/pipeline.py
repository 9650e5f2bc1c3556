"""``borderwatch run``: simulate → sensors → tracker → threat → response → decisions, end to end.

The tracker reads the reports in reception order; at every emit time its confirmed tracks are assessed
(identity, predicted crossing, threatened assets), alerts are raised, and every decision interval the
recommender assigns effectors to the hostile and suspect tracks that are not already engaged. A
recommendation becomes an engagement only through an approving decision: with ``auto_approve`` an explicit
simulation policy approves each one; without it no engagement happens (the live system waits for an
operator). At the intercept time the outcome is drawn from Pk and fed back: a killed track is marked
neutralised and leaves the threat picture; a miss makes the track eligible for the planned second shot.

Every summary figure comes from the pipeline's outputs (tracks, assessments, alerts, engagements) except
those that can only come from truth, named ``*_truth`` in summary.json (e.g. leakers).
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from borderwatch.jobs import Loaded, load_checked, simulate_to_dir
from borderwatch.response.decisions import DecisionLog, Engagement, EngagementBook, auto_approve
from borderwatch.response.effectors import Unit, load_effector_catalogue, load_layout
from borderwatch.response.feasibility import ThreatState, feasible_options
from borderwatch.response.recommend import Recommendation, Recommender
from borderwatch.sensors.reports import read_reports, read_sensors
from borderwatch.sim.catalogue import load_catalogue
from borderwatch.sim.scenario import utc_iso
from borderwatch.sim.truth import TruthTable
from borderwatch.threat import AlertBook, Assessment, Identity, ThreatAssessor, TrackPoint, load_threat_config
from borderwatch.tracking import TrackerConfig, TrackerSummary, run_tracker
from borderwatch.tracking.io import write_tracks

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Settings of an end-to-end run (SI units)."""

    auto_approve: bool = False
    emit_interval_s: float = 1.0
    decision_interval_s: float = 5.0
    depth_km: float = 30.0  # engagements must happen before the threat is this deep inside the country
    effector_layout: str | None = None  # file; default: the shipped notional layout
    effector_catalogue: str | None = None  # file; default: the shipped effectors.yaml
    seed_stream: int = 5  # outcome draws use default_rng([scenario seed, seed_stream])
    min_track_age_s: float = 10.0  # assumption: no recommendation on a track younger than this
    dedup_radius_m: float = 600.0  # assumption: a track this close to one already engaged is the same drone


@dataclass(slots=True)
class _TrackLog:
    first_t: float
    last_t: float = 0.0
    identity: str = "unknown"
    main_class: str = "unknown"
    points: list[tuple[float, float, float]] = field(default_factory=list)
    crossed_at: float | None = None
    depth_at: float | None = None
    neutralised_at: float | None = None
    first_outside: bool = False


def _threat_states(
    assessor: ThreatAssessor, assessments: list[Assessment], points: dict[str, TrackPoint], t: float, depth_m: float
) -> list[ThreatState]:
    if not assessments:
        return []
    th = assessor.theatre
    cfg = assessor.config
    lat = np.array([a.lat for a in assessments])
    lon = np.array([a.lon for a in assessments])
    ve = np.array([points[a.track].vel_enu_mps[0] for a in assessments])
    vn = np.array([points[a.track].vel_enu_mps[1] for a in assessments])
    x, y, vx, vy = assessor.grid_state(lat, lon, ve, vn)
    dist = th.distance_to_border_m(lat, lon)
    horizon = cfg.prediction.horizon_s.value
    out = []
    for i, a in enumerate(assessments):
        speed = max(float(np.hypot(vx[i], vy[i])), 1.0)
        deadline = horizon
        if a.assets:
            deadline = min(deadline, a.assets[0].t_reach - t)
        if not a.inside and a.crossing is not None:
            deadline = min(deadline, a.crossing.t - t + depth_m / speed)
        elif a.inside and dist[i] < depth_m:
            deadline = min(deadline, (depth_m - float(dist[i])) / speed)
        out.append(
            ThreatState(
                a.track,
                float(x[i]),
                float(y[i]),
                float(vx[i]),
                float(vy[i]),
                max(deadline, 0.0),
                dict(points[a.track].cls),
                a.damage_eur,
            )
        )
    return out


def _associate(
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


def run_pipeline(
    name_or_file: str | Path,
    out_dir: Path | str,
    *,
    config: RunConfig | None = None,
    theatre: str | Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run a scenario end to end; returns the summary and writes every output file into ``out_dir``."""
    cfg = config or RunConfig()
    ld: Loaded = load_checked(name_or_file, theatre=theatre)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    truth, paths = simulate_to_dir(ld, out)
    th = ld.theatre
    sc = ld.scenario
    units: list[Unit] = load_layout(
        cfg.effector_layout,
        catalogue=load_effector_catalogue(cfg.effector_catalogue) if cfg.effector_catalogue else None,
    )
    unit_by_id = {u.id: u for u in units}
    ux, uy = th.xy([u.lat for u in units], [u.lon for u in units])
    unit_xy = np.column_stack([ux, uy])
    magazine = {u.id: u.magazine for u in units}
    guidance = {k: c.guidance for k, c in load_catalogue().classes.items()}
    tcfg = load_threat_config()
    assessor = ThreatAssessor(th, tcfg)
    alerts = AlertBook(th, tcfg)
    recommender = Recommender()
    dlog_path = out / "decisions.jsonl"
    dlog_path.write_text("", encoding="utf-8")
    dlog = DecisionLog(dlog_path)
    book = EngagementBook(dlog)
    rng = np.random.default_rng([sc.seed, cfg.seed_stream])
    recs_out: list[dict[str, Any]] = []
    rec_by_id: dict[str, Recommendation] = {}
    assess_out = (out / "assessments.jsonl").open("w", encoding="utf-8")
    tracks_fh = (out / "tracks.jsonl").open("w", encoding="utf-8")
    logs: dict[str, _TrackLog] = {}
    engaged: dict[str, str] = {}  # track -> engagement id in flight
    neutralised: set[str] = set()
    fighter_feasible: set[str] = set()
    last_cycle = -np.inf
    depth_m = cfg.depth_km * 1000.0
    t_end = sc.t0 + sc.duration_s
    summary_trk: TrackerSummary | None = None
    sites, _ = read_sensors(paths["sensors"])
    stream = read_reports(paths["reports"])
    tracker_cfg = TrackerConfig(temperature_c=sc.weather.temperature_c)

    def process(t: float, estimates: list[Any]) -> None:
        nonlocal last_cycle
        write_tracks(estimates, tracks_fh)
        points = {e.track: TrackPoint.from_json(e.to_dict()) for e in estimates}
        for e in book.resolve(t, rng):
            engaged.pop(e.track, None)
            if e.outcome == "kill":
                neutralised.add(e.track)
                if e.track in logs:
                    logs[e.track].neutralised_at = t
        live = [p for k, p in points.items() if k not in neutralised]
        assessments = assessor.step(t, live)
        if assessments:
            inside = [a for a in assessments if a.inside]
            dist = th.distance_to_border_m([a.lat for a in inside], [a.lon for a in inside]) if inside else np.zeros(0)
            dmap = {a.track: float(d) for a, d in zip(inside, dist, strict=True)}
        else:
            dmap = {}
        for a in assessments:
            lg = logs.get(a.track)
            if lg is None:
                lg = logs[a.track] = _TrackLog(first_t=t, first_outside=not a.inside)
            lg.last_t = t
            lg.identity = a.identity.value
            lg.main_class = a.main_class
            lg.points.append((t, a.lat, a.lon))
            if a.crossed_at is not None and lg.crossed_at is None:
                lg.crossed_at = a.crossed_at
            if lg.depth_at is None and dmap.get(a.track, 0.0) >= depth_m:
                lg.depth_at = t
            d = a.to_json()
            if a.track in engaged:
                d["engagement"] = engaged[a.track]
            assess_out.write(json.dumps(d, ensure_ascii=False) + "\n")
        alerts.update(t, assessments)
        if t - last_cycle < cfg.decision_interval_s:
            return
        last_cycle = t
        engaged_pts = [(a.lat, a.lon) for a in assessments if a.track in engaged]
        cands = [
            a
            for a in assessments
            if a.identity in (Identity.HOSTILE, Identity.SUSPECT)
            and a.track not in engaged
            and a.damage_eur > 0
            and t - logs[a.track].first_t >= cfg.min_track_age_s
            and not _near(a.lat, a.lon, engaged_pts, cfg.dedup_radius_m)
        ]
        threats = _threat_states(assessor, cands, points, t, depth_m)
        busy: dict[str, int] = defaultdict(int)
        for e in book.engagements:
            if e.outcome is None:
                busy[e.unit] += 1
        free = {u.id: max(0, min(u.channels - busy[u.id], magazine[u.id])) for u in units}
        options = feasible_options(
            units, unit_xy, threats, guidance_of=guidance, horizon_s=tcfg.prediction.horizon_s.value
        )
        fighter_feasible.update(o.track for o in options if o.kind == "fighter")
        recs = recommender.recommend(t, options, damage={s.track: s.damage_eur for s in threats}, free=free)
        for r in recs:
            lat, lon = th.unproject(_pt(r.option.x, r.option.y)).coords[0][::-1]
            rec_by_id[r.id] = r
            recs_out.append(r.to_json((float(lat), float(lon))))
            if cfg.auto_approve:
                dec = auto_approve(dlog, r, t)
                e = book.engage(r, dec)
                magazine[e.unit] -= 1
                engaged[e.track] = e.id

    pending: list[Any] = []
    cur_t: float | None = None
    total = max(1, int(sc.duration_s / cfg.emit_interval_s))
    done = 0
    for item in run_tracker(stream, sites, config=tracker_cfg, emit_interval_s=cfg.emit_interval_s):
        if isinstance(item, TrackerSummary):
            summary_trk = item
            continue
        if cur_t is not None and item.t != cur_t:
            process(cur_t, pending)
            pending = []
            done += 1
            if progress is not None and done % 60 == 0:
                progress(min(done, total), total)
        cur_t = item.t
        pending.append(item)
    if cur_t is not None:
        process(cur_t, pending)
    book.resolve(t_end + 3600.0, rng)
    alerts.update(t_end + tcfg.alerts.lost_after_s.value, [])
    assess_out.close()
    tracks_fh.close()
    if progress is not None:
        progress(total, total)

    with (out / "alerts.jsonl").open("w", encoding="utf-8") as fh:
        for al in alerts.alerts.values():
            fh.write(json.dumps(al.to_json(), ensure_ascii=False) + "\n")
    with (out / "recommendations.jsonl").open("w", encoding="utf-8") as fh:
        for r in recs_out:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    with (out / "engagements.jsonl").open("w", encoding="utf-8") as fh:
        for e in book.engagements:
            fh.write(json.dumps(_eng_json(e, rec_by_id, th), ensure_ascii=False) + "\n")

    summary = _summary(
        sc, th, truth, logs, alerts, book, recs_out, tcfg, fighter_feasible, cfg, summary_trk, unit_by_id
    )
    (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    from borderwatch.plot.runreport import write_run_report

    report = write_run_report(
        out,
        th,
        sc,
        logs={k: (v.identity, v.points, v.neutralised_at) for k, v in logs.items()},
        alerts=[a.to_json() for a in alerts.alerts.values()],
        recommendations=recs_out,
        decisions=[{**d.payload()} for d in dlog.entries],
        engagements=[_eng_json(e, rec_by_id, th) for e in book.engagements],
        summary=summary,
    )
    summary["outputs"] = (
        {k: str(v) for k, v in paths.items()}
        | {
            name: str(out / name)
            for name in (
                "tracks.jsonl",
                "assessments.jsonl",
                "alerts.jsonl",
                "recommendations.jsonl",
                "decisions.jsonl",
                "engagements.jsonl",
                "summary.json",
            )
        }
        | {"report": str(report)}
    )
    return summary


def _near(lat: float, lon: float, pts: list[tuple[float, float]], radius_m: float) -> bool:
    """True if any point lies within ``radius_m`` (equirectangular; fine at these distances)."""
    if not pts:
        return False
    arr = np.asarray(pts)
    dy = (arr[:, 0] - lat) * 111_320.0
    dx = (arr[:, 1] - lon) * 111_320.0 * np.cos(np.radians(lat))
    return bool(np.min(np.hypot(dx, dy)) <= radius_m)


def _pt(x: float, y: float) -> Any:
    import shapely

    return shapely.Point(x, y)


def _eng_json(e: Engagement, recs: dict[str, Recommendation], th: Any) -> dict[str, Any]:
    r = recs[e.recommendation]
    lat, lon = th.unproject(_pt(r.option.x, r.option.y)).coords[0][::-1]
    return {
        "id": e.id,
        "recommendation": e.recommendation,
        "decision": e.decision,
        "track": e.track,
        "unit": e.unit,
        "effector": e.effector,
        "t_launch": round(e.t_launch, 3),
        "t_intercept": round(e.t_intercept, 3),
        "pk": round(e.pk, 3),
        "cost_eur": round(e.cost_eur, 0),
        "outcome": e.outcome,
        "lat": round(float(lat), 5),
        "lon": round(float(lon), 5),
    }


def _summary(
    sc: Any,
    th: Any,
    truth: TruthTable,
    logs: dict[str, _TrackLog],
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
    assoc = _associate(truth, {k: v.points for k, v in logs.items()})
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
            "a killed track is marked neutralised; the simulated drone's truth is not cut (open loop)",
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
