"""The engine: one stepper over tracker → threat → alerts → response → decisions, with no I/O.

It advances on three inputs — reports (:meth:`Engine.feed`), clock ticks (:meth:`Engine.advance`) and operator
decisions (:meth:`Engine.decide`) — and returns what changed as :class:`Frame` records (or flat
:class:`Delta` records for a picture feed). ``borderwatch run`` drives it from files with a simulated clock
(:mod:`borderwatch.engine.batch`); ``borderwatch serve`` drives it from live ingest with the wall clock.
There is no second copy of this logic anywhere.

At every emit time (a multiple of ``emit_interval_s``) the tracker's confirmed tracks are assessed (identity,
predicted crossing, threatened assets), alerts are raised, and every decision interval the recommender
assigns effectors to the hostile and suspect tracks that are not already engaged. A recommendation becomes
an engagement only through an approving decision: an operator's (:meth:`Engine.decide`) or, in simulation
with ``auto_approve``, an explicit policy. At the intercept time the outcome is drawn from Pk — by the
simulated world (:class:`World`) when there is one — and fed back: a killed track is marked neutralised and
leaves the threat picture; a miss makes the track eligible for the planned second shot.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from borderwatch.errors import BorderwatchError
from borderwatch.response.decisions import Decision, DecisionLog, Engagement, EngagementBook, auto_approve
from borderwatch.response.effectors import Unit
from borderwatch.response.feasibility import ThreatState, feasible_options
from borderwatch.response.recommend import Recommendation, Recommender
from borderwatch.sensors.reports import RejectedReport, Report, SensorSite, parse_report
from borderwatch.theatre.model import Theatre
from borderwatch.threat import AlertBook, Assessment, Identity, ThreatAssessor, TrackPoint
from borderwatch.threat.alerts import Alert
from borderwatch.threat.config import ThreatConfig
from borderwatch.tracking import TrackerConfig
from borderwatch.tracking.tracker import Tracker, TrackEstimate


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Settings of the engine and of an end-to-end run (SI units)."""

    auto_approve: bool = False
    emit_interval_s: float = 1.0
    decision_interval_s: float = 5.0
    depth_km: float = 30.0  # engagements must happen before the threat is this deep inside the country
    effector_layout: str | None = None  # file; default: the shipped notional layout
    effector_catalogue: str | None = None  # file; default: the shipped effectors.yaml
    seed_stream: int = 5  # outcome draws use default_rng([scenario seed, seed_stream])
    min_track_age_s: float = 10.0  # assumption: no recommendation on a track younger than this
    dedup_radius_m: float = 600.0  # assumption: a track this close to one already engaged is the same drone
    closed_loop: bool = True  # simulation: a killed drone's truth ends and it makes no later report


class DecisionRefused(BorderwatchError):
    """An operator decision that the engine cannot take (the reason says why)."""


@dataclass(frozen=True, slots=True)
class Delta:
    """One change of the picture: ``kind`` is track | track_dropped | assessment | alert | recommendation |
    engagement | decision; ``id`` the record's id; ``data`` its JSON object."""

    t: float
    kind: str
    id: str
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"t": self.t, "kind": self.kind, "id": self.id, "data": self.data}


@dataclass(slots=True)
class Frame:
    """What one emit time (or one decision) changed."""

    t: float
    estimates: list[TrackEstimate] = field(default_factory=list)
    assessments: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    recommendations: list[dict[str, Any]] = field(default_factory=list)
    engagements: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def deltas(self) -> list[Delta]:
        t = self.t
        out = [Delta(t, "track", e.track, e.to_dict()) for e in self.estimates]
        out += [Delta(t, "track_dropped", k, {"track": k}) for k in self.dropped]
        out += [Delta(t, "assessment", a["track"], a) for a in self.assessments]
        out += [Delta(t, "alert", a.id, a.to_json()) for a in self.alerts]
        out += [Delta(t, "recommendation", r["id"], r) for r in self.recommendations]
        out += [Delta(t, "decision", d["id"], d) for d in self.decisions]
        out += [Delta(t, "engagement", e["id"], e) for e in self.engagements]
        return out


class World(Protocol):
    """The simulated world an engagement meets (simulation only): it draws the outcome and, in a closed
    loop, ends the killed drone's truth. ``None`` for live operation, where outcomes come from reports."""

    def outcome(self, e: Engagement, track_pos: tuple[float, float, float] | None, rng: np.random.Generator) -> str:
        """``kill`` or ``miss`` of an engagement at its intercept time."""
        ...


@dataclass(slots=True)
class TrackLog:
    """What the engine remembers of one confirmed track (for the run summary and the picture)."""

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


def _near(lat: float, lon: float, pts: list[tuple[float, float]], radius_m: float) -> bool:
    """True if any point lies within ``radius_m`` (equirectangular; fine at these distances)."""
    if not pts:
        return False
    arr = np.asarray(pts)
    dy = (arr[:, 0] - lat) * 111_320.0
    dx = (arr[:, 1] - lon) * 111_320.0 * np.cos(np.radians(lat))
    return bool(np.min(np.hypot(dx, dy)) <= radius_m)


class Engine:
    """The functional core of borderwatch: feed it reports, advance its clock, give it decisions.

    Parameters
    ----------
    theatre, sites
        The ground and the sensors (``sensors.json``) whose reports it will be fed.
    units
        Effector units (with their magazines).
    config, tracker_config, threat_config
        Settings; the threat config defaults to the shipped one.
    guidance
        Class name → guidance kind (from the simulation catalogue), used by feasibility.
    rng
        Outcome draws (simulation). ``world`` draws outcomes where there is a simulated world.
    """

    def __init__(
        self,
        theatre: Theatre,
        sites: Sequence[SensorSite],
        *,
        units: Sequence[Unit],
        config: RunConfig | None = None,
        tracker_config: TrackerConfig | None = None,
        threat_config: ThreatConfig | None = None,
        guidance: dict[str, str] | None = None,
        rng: np.random.Generator | None = None,
        world: World | None = None,
    ) -> None:
        from borderwatch.threat import load_threat_config

        self.cfg = config or RunConfig()
        self.theatre = theatre
        self.tracker = Tracker(list(sites), tracker_config)
        self.tcfg = threat_config or load_threat_config()
        self.assessor = ThreatAssessor(theatre, self.tcfg)
        self.alerts = AlertBook(theatre, self.tcfg)
        self.recommender = Recommender()
        self.dlog = DecisionLog(None)
        self.book = EngagementBook(self.dlog)
        self.units = list(units)
        self.unit_by_id = {u.id: u for u in self.units}
        ux, uy = theatre.xy([u.lat for u in self.units], [u.lon for u in self.units])
        self._unit_xy = np.column_stack([ux, uy]) if self.units else np.zeros((0, 2))
        self.magazine = {u.id: u.magazine for u in self.units}
        self.guidance = guidance or {}
        self.rng = rng if rng is not None else np.random.default_rng()
        self.world = world
        self.logs: dict[str, TrackLog] = {}
        self.engaged: dict[str, str] = {}  # track -> engagement id in flight
        self.neutralised: set[str] = set()
        self.fighter_feasible: set[str] = set()
        self.rec_by_id: dict[str, Recommendation] = {}
        self.rec_json: dict[str, dict[str, Any]] = {}
        self.rejected: Counter[str] = Counter()
        self.accepted = 0
        self.now = -math.inf
        self._next_emit: float | None = None
        self._last_cycle = -math.inf
        self._depth_m = self.cfg.depth_km * 1000.0
        self._frames: list[Frame] = []
        self._estimates: dict[str, TrackEstimate] = {}
        self._assessment: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ inputs
    def check(self, d: Any) -> tuple[Report | None, str | None]:
        """Validate one report object (the JSON contract of docs/formats.md): the report or the reason."""
        try:
            r = parse_report(d)
        except RejectedReport as exc:
            return None, exc.reason
        reason = self.tracker.check(r)
        return (None, reason) if reason is not None else (r, None)

    def feed(self, reports: Iterable[Report]) -> int:
        """Take reports in reception order; emit times they pass are stepped on the way. Returns how many were
        accepted; the others are counted by reason in :attr:`rejected`."""
        n = 0
        dt = self.cfg.emit_interval_s
        for r in reports:
            reason = self.tracker.check(r)
            if reason is not None:
                self.rejected[reason] += 1
                self.tracker.summary.rejected[reason] += 1
                continue
            if self._next_emit is None:
                self._next_emit = math.floor(r.t / dt) * dt + dt
            while r.t >= self._next_emit:
                self._emit(self._next_emit)
                self._next_emit += dt
            self.tracker.feed(r)
            n += 1
        self.accepted += n
        return n

    def advance(self, t: float) -> list[Delta]:
        """Step every emit time up to ``t`` and return all changes since the last call, as deltas."""
        return [d for f in self.advance_frames(t) for d in f.deltas()]

    def advance_frames(self, t: float) -> list[Frame]:
        """Step every emit time up to ``t``; returns the frames made since the last call (incl. by feed)."""
        if self._next_emit is not None:
            while self._next_emit <= t:
                self._emit(self._next_emit)
                self._next_emit += self.cfg.emit_interval_s
        self.now = max(self.now, t)
        out, self._frames = self._frames, []
        return out

    def finish(self, t_end: float) -> list[Frame]:
        """End of a batch run: one last emit, every engagement resolved, lost tracks alerted."""
        if self._next_emit is not None:
            self._emit(self._next_emit)
        f = Frame(t_end)
        # engagements still in flight at the end get their outcome, but no longer change the picture
        for e in self.book.resolve(t_end + 3600.0, self.rng, outcome=self._outcome if self.world else None):
            f.engagements.append(self.engagement_json(e))
        f.alerts += self.alerts.update(t_end + self.tcfg.alerts.lost_after_s.value, [])
        self._frames.append(f)
        out, self._frames = self._frames, []
        return out

    def decide(self, rec_id: str, *, approve: bool, who: str, reason: str | None, t: float) -> Decision:
        """An operator's decision on a recommendation; raises :class:`DecisionRefused` when it cannot be taken."""
        r = self.rec_by_id.get(rec_id)
        if r is None:
            raise DecisionRefused(f"no recommendation {rec_id!r}")
        if not who or not who.strip():
            raise DecisionRefused("a decision needs who made it")
        if any(d.recommendation == rec_id for d in self.dlog.entries):
            raise DecisionRefused(f"recommendation {rec_id} is already decided")
        why = (reason or "").strip()
        if not approve and not why:
            raise DecisionRefused("a rejection needs a reason")
        if approve:
            closes = self.window_closes(r)
            if t > closes:
                raise DecisionRefused(
                    f"the intercept window of {rec_id} closed {t - closes:.0f} s ago; await a new recommendation"
                )
            if r.track in self.engaged:
                raise DecisionRefused(f"track {r.track} is already engaged ({self.engaged[r.track]})")
            if r.track in self.neutralised:
                raise DecisionRefused(f"track {r.track} is already neutralised")
            if self.magazine.get(r.option.unit, 0) <= 0:
                raise DecisionRefused(f"unit {r.option.unit} has no rounds left")
        dec = self.dlog.decide(r, approved=approve, who=who, t=t, why=why or "approved")
        f = Frame(t, decisions=[{**dec.payload(), "sha256": dec.sha256}])
        if approve:
            e = self._engage(r, dec)
            f.engagements.append(self.engagement_json(e))
        self._frames.append(f)
        return dec

    def acknowledge(self, alert_id: str, *, who: str, t: float) -> Alert:
        """Record who acknowledged an alert and when."""
        al = self.alerts.acknowledge(alert_id, who=who, t=t)
        self._frames.append(Frame(t, alerts=[al]))
        return al

    # ------------------------------------------------------------------ views
    def window_closes(self, r: Recommendation) -> float:
        """The last time an approval of ``r`` can still make its intercept (UTC epoch s)."""
        return r.t + max(r.option.margin_s, 0.0)

    def picture(self) -> dict[str, Any]:
        """The current picture as JSON objects: tracks, assessments, alerts, recommendations, effectors,
        engagements."""
        decided = {d.recommendation for d in self.dlog.entries}
        pending = [
            {**self.rec_json[k], "window_closes": round(self.window_closes(r), 1)}
            for k, r in self.rec_by_id.items()
            if k not in decided and self.window_closes(r) >= self.now and r.track in self._estimates
        ]
        busy: dict[str, int] = defaultdict(int)
        for e in self.book.engagements:
            if e.outcome is None:
                busy[e.unit] += 1
        return {
            "t": self.now,
            "tracks": [e.to_dict() for e in self._estimates.values()],
            "assessments": list(self._assessment.values()),
            "alerts": [a.to_json() for a in self.alerts.alerts.values()],
            "recommendations": pending,
            "effectors": [
                {
                    "id": u.id,
                    "kind": u.type.kind,
                    "type": u.type_id,
                    "lat": u.lat,
                    "lon": u.lon,
                    "magazine": self.magazine[u.id],
                    "channels": u.channels,
                    "busy": busy[u.id],
                }
                for u in self.units
            ],
            "engagements": [self.engagement_json(e) for e in self.book.engagements],
        }

    def recommendation_lat_lon(self, r: Recommendation) -> tuple[float, float]:
        import shapely

        lon, lat = self.theatre.unproject(shapely.Point(r.option.x, r.option.y)).coords[0]
        return float(lat), float(lon)

    def engagement_json(self, e: Engagement) -> dict[str, Any]:
        lat, lon = self.recommendation_lat_lon(self.rec_by_id[e.recommendation])
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
            "lat": round(lat, 5),
            "lon": round(lon, 5),
        }

    # ------------------------------------------------------------------ the step
    def _engage(self, r: Recommendation, dec: Decision) -> Engagement:
        e = self.book.engage(r, dec)
        self.magazine[e.unit] -= 1
        self.engaged[e.track] = e.id
        return e

    def _resolve(self, t: float, f: Frame) -> None:
        for e in self.book.resolve(t, self.rng, outcome=self._outcome if self.world is not None else None):
            self.engaged.pop(e.track, None)
            if e.outcome == "kill":
                self.neutralised.add(e.track)
                if e.track in self.logs:
                    self.logs[e.track].neutralised_at = t
            f.engagements.append(self.engagement_json(e))

    def _outcome(self, e: Engagement, rng: np.random.Generator) -> str:
        assert self.world is not None
        est = self._estimates.get(e.track)
        pos = (est.lat, est.lon, est.alt_m) if est is not None else None
        return self.world.outcome(e, pos, rng)

    def _emit(self, t: float) -> None:
        estimates = self.tracker.estimates(t)
        now = {e.track: e for e in estimates}
        dropped = [k for k in self._estimates if k not in now]
        for k in dropped:
            self._assessment.pop(k, None)
        self._estimates = now
        self.now = max(self.now, t)
        if not estimates:
            if dropped:
                self._frames.append(Frame(t, dropped=dropped))
            return
        f = Frame(t, estimates=estimates, dropped=dropped)
        self._process(t, estimates, f)
        self._frames.append(f)

    def _process(self, t: float, estimates: list[TrackEstimate], f: Frame) -> None:
        cfg, th, logs = self.cfg, self.theatre, self.logs
        points = {e.track: TrackPoint.from_json(e.to_dict()) for e in estimates}
        self._resolve(t, f)
        live = [p for k, p in points.items() if k not in self.neutralised]
        assessments = self.assessor.step(t, live)
        if assessments:
            inside = [a for a in assessments if a.inside]
            dist = th.distance_to_border_m([a.lat for a in inside], [a.lon for a in inside]) if inside else np.zeros(0)
            dmap = {a.track: float(d) for a, d in zip(inside, dist, strict=True)}
        else:
            dmap = {}
        for a in assessments:
            lg = logs.get(a.track)
            if lg is None:
                lg = logs[a.track] = TrackLog(first_t=t, first_outside=not a.inside)
            lg.last_t = t
            lg.identity = a.identity.value
            lg.main_class = a.main_class
            lg.points.append((t, a.lat, a.lon))
            if a.crossed_at is not None and lg.crossed_at is None:
                lg.crossed_at = a.crossed_at
            if lg.depth_at is None and dmap.get(a.track, 0.0) >= self._depth_m:
                lg.depth_at = t
            d = a.to_json()
            if a.track in self.engaged:
                d["engagement"] = self.engaged[a.track]
            f.assessments.append(d)
            self._assessment[a.track] = d
        f.alerts += self.alerts.update(t, assessments)
        if t - self._last_cycle < cfg.decision_interval_s:
            return
        self._last_cycle = t
        engaged_pts = [(a.lat, a.lon) for a in assessments if a.track in self.engaged]
        cands = [
            a
            for a in assessments
            if a.identity in (Identity.HOSTILE, Identity.SUSPECT)
            and a.track not in self.engaged
            and a.damage_eur > 0
            and t - logs[a.track].first_t >= cfg.min_track_age_s
            and not _near(a.lat, a.lon, engaged_pts, cfg.dedup_radius_m)
        ]
        threats = _threat_states(self.assessor, cands, points, t, self._depth_m)
        busy: dict[str, int] = defaultdict(int)
        for e in self.book.engagements:
            if e.outcome is None:
                busy[e.unit] += 1
        free = {u.id: max(0, min(u.channels - busy[u.id], self.magazine[u.id])) for u in self.units}
        options = feasible_options(
            self.units,
            self._unit_xy,
            threats,
            guidance_of=self.guidance,
            horizon_s=self.tcfg.prediction.horizon_s.value,
        )
        self.fighter_feasible.update(o.track for o in options if o.kind == "fighter")
        recs = self.recommender.recommend(t, options, damage={s.track: s.damage_eur for s in threats}, free=free)
        for r in recs:
            rj = r.to_json(self.recommendation_lat_lon(r))
            self.rec_by_id[r.id] = r
            self.rec_json[r.id] = rj
            f.recommendations.append(rj)
            if cfg.auto_approve:
                dec = auto_approve(self.dlog, r, t)
                f.decisions.append({**dec.payload(), "sha256": dec.sha256})
                e = self._engage(r, dec)
                f.engagements.append(self.engagement_json(e))
