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
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import numpy as np

from borderwatch.errors import BorderwatchError
from borderwatch.response.decisions import Decision, DecisionLog, Engagement, EngagementBook, auto_approve
from borderwatch.response.effectors import Unit
from borderwatch.response.feasibility import ThreatState, feasible_options
from borderwatch.response.recommend import Recommendation, Recommender
from borderwatch.response.zones import EngagementZones
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
    engagement_zones: bool = True  # intercepts only over our territory, outside no-fire areas (zones YAML)
    one_per_threat: bool = True  # one queue entry per threat, updated in place; never two engagements at once
    track_lost_s: float = 10.0  # assumption: a track without an estimate this long before the intercept is lost
    rejection_hold_s: float = 120.0  # assumption: after a rejection, no new recommendation on that track for this long
    queue_grace_s: float = 30.0  # assumption: a queue entry without an update this long is withdrawn
    # a withdrawn entry is reopened (same id, next version) when its track is a candidate again, or when a track
    # continues it within this long; assumption: the tracker's stitch window (300 s), in which a dead track's
    # id can still come back
    reopen_window_s: float = 300.0
    # a candidate track this close to the track of an open queue entry joins that entry (no entry of its own),
    # whatever its velocity. Measured (stray-drones-north, seed 0, no approval): the extra tracks of one drone that
    # opened entries of their own lay 0.5-1.4 km from its queued track, with speeds 40-135 m/s off (acoustic
    # ghosts); two drones this close share an entry until one is engaged, then the other gets its own
    queue_merge_radius_m: float = 1500.0
    # live picture: between emit times, advance() also makes a frame of the tracks a report updated since the
    # last frame, at most this often (None: tracks only at emit times, as a batch run writes them)
    track_interval_s: float | None = None
    # whether those frames close the tracker's open frame (lower latency; the tracker's per-frame work — bearing
    # initiation over its whole window — then runs at that rate) or wait for the frame's end (frame_s); "light":
    # close it, but search for new bearing fixes only once per frame_s (Tracker.estimates)
    track_flush: bool | Literal["light"] = False
    # a batch run keeps every track's positions for its summary; a live service makes no summary and does not
    keep_track_points: bool = True
    # live: what the engine remembers of a track (its log, last position, assessment memory, alert keys, its
    # acknowledged alerts and closed recommendations) is forgotten this long after the track was last seen, so
    # that memory stays bounded over days (the store keeps the history). None: never (a batch run's summary
    # needs it all). Must outlast the tracker's stitch window, in which a dead track's id can come back.
    retain_s: float | None = None


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
        self.pending: dict[str, str] = {}  # track -> its open recommendation (one queue entry per threat)
        self._hold: dict[str, float] = {}  # track -> no new recommendation before this time (after a rejection)
        self._rec_counter = 0
        self._rec_updated: dict[str, float] = {}  # recommendation -> last time it was updated
        self._withdrawn: dict[str, tuple[str, float]] = {}  # track -> (its entry withdrawn for want of an update, when)
        self._last_seen: dict[str, float] = {}  # track -> last emit time it was updated (not only coasting)
        self._last_pos: dict[str, tuple[float, float, float]] = {}
        self._last_vel: dict[str, tuple[float, float, float]] = {}
        self.zones = EngagementZones.for_theatre(theatre) if self.cfg.engagement_zones else None
        self.rejected: Counter[str] = Counter()
        self.handovers: list[tuple[float, str, str, str]] = []  # (t, engagement, from track, to track)
        self.accepted = 0
        self.now = -math.inf
        self._next_emit: float | None = None
        self._last_cycle = -math.inf
        self._depth_m = self.cfg.depth_km * 1000.0
        self._frames: list[Frame] = []
        self._estimates: dict[str, TrackEstimate] = {}
        self._assessment: dict[str, dict[str, Any]] = {}
        self._last_track_frame = -math.inf
        self._next_forget = -math.inf
        self._track_gen = -1  # tracker generation the last track frame saw (its frames carry what changed since)
        self._fresh: dict[str, TrackEstimate] = {}  # tracks sent by track frames since the last emit

    # ------------------------------------------------------------------ inputs
    def check(self, d: Any) -> tuple[Report | None, str | None]:
        """Validate one report object (the JSON contract of docs/formats.md): the report or the reason.

        The report time is not checked against the tracker's clock here: ingest checks it against the
        receiver's clock, and an engine that runs behind must not turn fresh reports away at the door (a report
        that is still out of the tracker's window when it is fed is counted in :attr:`rejected`)."""
        try:
            r = parse_report(d)
        except RejectedReport as exc:
            return None, exc.reason
        reason = self.tracker.check(r)
        if reason is not None and reason.startswith("t: too far"):
            reason = None
        return (None, reason) if reason is not None else (r, None)

    @property
    def unprocessed_from(self) -> float:
        """The earliest time of a report fed but not yet in the picture (waiting in the tracker's open frame); inf
        when every report fed so far is. A live driver measures ingest-to-picture latency with it."""
        return self.tracker.unprocessed_from

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
        ti = self.cfg.track_interval_s
        if ti is not None and self._next_emit is not None and t - self._last_track_frame >= ti:
            self._track_frame(t)
        self.now = max(self.now, t)
        out, self._frames = self._frames, []
        return out

    def _track_frame(self, t: float) -> None:
        """A frame of the tracks that reports updated since the last frame (live picture between emit times).

        Assessment, alerts and the decision cycle stay on the emit times; this frame only moves the symbols."""
        est = self.tracker.estimates(t, changed_since=self._track_gen, flush=self.cfg.track_flush)
        self._last_track_frame = t
        self._track_gen = self.tracker.generation
        if not est:
            return
        # kept apart from the emit-time state (hand-over, coasting, drops), which stays as without these frames
        for e in est:
            self._fresh[e.track] = e
        self._frames.append(Frame(t, estimates=est))

    def finish(self, t_end: float) -> list[Frame]:
        """End of a batch run: one last emit, every engagement resolved, lost tracks alerted."""
        if self._next_emit is not None:
            self._emit(self._next_emit)
        f = Frame(t_end)
        # engagements whose intercept lies beyond the end stay unresolved (not launched yet: no cost)
        for i, e in enumerate(self.book.engagements):
            if e.outcome is None and e.t_intercept > t_end:
                launched = e.t_commit is None or e.t_commit <= t_end
                self.book.engagements[i] = e = replace(
                    e, outcome="unresolved", cost_eur=e.cost_eur if launched else 0.0
                )
                f.engagements.append(self.engagement_json(e))
        for e in self.book.resolve(t_end, self.rng, outcome=self._outcome):
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
        self._close(rec_id, "approved" if approve else "rejected", t, f, f"{dec.id} by {who}: {dec.why}")
        if approve:
            e = self._engage(r, dec)
            f.engagements.append(self.engagement_json(e))
        else:
            self._hold[r.track] = t + self.cfg.rejection_hold_s
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
            dict(self.rec_json[k])
            for k, r in self.rec_by_id.items()
            if k not in decided
            and self.rec_json[k].get("status", "pending") == "pending"
            and self.window_closes(r) >= self.now
            and r.track in self._estimates
        ]
        busy: dict[str, int] = defaultdict(int)
        for e in self.book.engagements:
            if e.outcome is None:
                busy[e.unit] += 1
        return {
            "t": self.now,
            "tracks": [e.to_dict() for e in {**self._estimates, **self._fresh}.values()],
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
            "t_commit": None if e.t_commit is None else round(e.t_commit, 3),
            "lat": round(lat, 5),
            "lon": round(lon, 5),
        }

    # ------------------------------------------------------------------ the step
    def _engage(self, r: Recommendation, dec: Decision) -> Engagement:
        e = self.book.engage(r, dec)
        u = self.unit_by_id[e.unit]
        i = self.units.index(u)
        if u.type.speed_mps.value > 0:
            flight = float(np.hypot(r.option.x - self._unit_xy[i, 0], r.option.y - self._unit_xy[i, 1]))
            flight = max(flight - u.type.engage_range_m.value, 0.0) / u.type.speed_mps.value
        else:
            flight = 0.0
        commit = max(e.t_launch, e.t_intercept - u.type.reaction_s.value - flight)
        e = replace(e, t_commit=commit)
        self.book.engagements[-1] = e
        self.magazine[e.unit] -= 1
        self.engaged[e.track] = e.id
        return e

    def _cancel_lost(self, t: float, f: Frame) -> None:
        """An engagement whose track is lost before the effector has to launch is cancelled (round kept)."""
        for track, eid in list(self.engaged.items()):
            if t - self._last_seen.get(track, -math.inf) < self.cfg.track_lost_s:
                continue
            i = next(i for i, x in enumerate(self.book.engagements) if x.id == eid)
            e = self.book.engagements[i]
            if e.outcome is not None or e.t_commit is None or t >= e.t_commit:
                continue
            self.book.engagements[i] = e = replace(e, outcome="cancelled", cost_eur=0.0)
            self.magazine[e.unit] += 1
            del self.engaged[track]
            f.engagements.append(self.engagement_json(e))

    def _resolve(self, t: float, f: Frame) -> None:
        for e in self.book.resolve(t, self.rng, outcome=self._outcome):
            self.engaged.pop(e.track, None)
            if e.outcome == "kill":
                self.neutralised.add(e.track)
                if e.track in self.logs:
                    self.logs[e.track].neutralised_at = t
            f.engagements.append(self.engagement_json(e))

    def _outcome(self, e: Engagement, rng: np.random.Generator) -> str:
        """The outcome where the effector meets the drone: none if the track was lost before the intercept."""
        if self._last_seen.get(e.track, -math.inf) < e.t_intercept - self.cfg.track_lost_s:
            return "track_lost"
        est = self._estimates.get(e.track)
        if self.world is None:
            return "kill" if rng.random() < e.pk else "miss"
        pos = (est.lat, est.lon, est.alt_m) if est is not None else self._last_pos.get(e.track)
        return self.world.outcome(e, pos, rng)

    def _emit(self, t: float) -> None:
        estimates = self.tracker.estimates(t)
        self._last_track_frame = t
        coast = self.tracker.cfg.coast_s
        for e in estimates:
            if e.status != "coasting" or e.track not in self._last_seen:
                self._last_seen[e.track] = t
        # a track that has only coasted for longer than the coast limit (sensors silent: the tracker deletes
        # tracks only when reports arrive) leaves the picture
        estimates = [e for e in estimates if t - self._last_seen[e.track] <= coast]
        now = {e.track: e for e in estimates}
        dropped = [k for k in self._estimates if k not in now]
        dropped += [k for k in self._fresh if k not in now and k not in self._estimates]
        self._fresh = {}
        for k in dropped:
            self._assessment.pop(k, None)
        self._estimates = now
        for e in estimates:
            self._last_pos[e.track] = (e.lat, e.lon, e.alt_m)
            self._last_vel[e.track] = e.vel_enu_mps
        if self.engaged and self.cfg.one_per_threat:
            self._hand_over(t, now)
            fc = Frame(t)
            self._cancel_lost(t, fc)
            if fc.engagements:
                self._frames.append(fc)
        self.now = max(self.now, t)
        if not estimates:
            fe = Frame(t, dropped=dropped)
            self._resolve(t, fe)  # engagements end even when no track is left in the picture
            if dropped or fe.engagements:
                self._frames.append(fe)
            return
        f = Frame(t, estimates=estimates, dropped=dropped)
        self._process(t, estimates, f)
        self._frames.append(f)
        if self.cfg.retain_s is not None and t >= self._next_forget:
            self._next_forget = t + min(60.0, self.cfg.retain_s / 10)
            self._forget(t - self.cfg.retain_s)

    def _forget(self, before: float) -> None:
        """Drop what the engine holds of tracks last seen before ``before`` (see ``RunConfig.retain_s``); a track
        with an engagement in flight or an open recommendation is kept, and so are unacknowledged alerts (of any
        track: an operator has not seen them yet)."""
        busy = set(self.engaged) | set(self.pending)
        gone = {k for k, ts in self._last_seen.items() if ts < before and k not in busy}
        # alerts acknowledged after their track was forgotten go too
        gone |= {a.track for a in self.alerts.alerts.values() if a.acknowledged_by and a.track not in self._last_seen}
        if not gone:
            return
        for d in (self.logs, self._last_seen, self._last_pos, self._last_vel, self.assessor.memory, self._hold):
            for k in gone:
                d.pop(k, None)
        self.neutralised -= gone
        self.fighter_feasible -= gone
        self.alerts.forget(gone)
        # an engagement names its recommendation (for its intercept point): those stay, as engagements do (they
        # grow only with operators' approvals)
        engaged_recs = {e.recommendation for e in self.book.engagements}
        closed = [rid for rid, r in self.rec_by_id.items() if r.track in gone and rid not in engaged_recs]
        for rid in closed:
            self.rec_by_id.pop(rid, None)
            self.rec_json.pop(rid, None)
            self._rec_updated.pop(rid, None)
        for k in gone:
            self._withdrawn.pop(k, None)
        self.recommender.log = [r for r in self.recommender.log if r.track not in gone]

    def _hand_over(self, t: float, now: dict[str, TrackEstimate]) -> None:
        """An engagement follows its drone: when the engaged track ends, the track that continues it (nearest
        to its dead-reckoned position, within the duplicate radius plus 30 m/s of gap) takes the engagement."""
        taken = set(self.engaged)
        for old, eid in list(self.engaged.items()):
            if old in now:
                continue
            gap = t - self._last_seen.get(old, -math.inf)
            if gap > 60.0:
                continue
            lat0, lon0, _ = self._last_pos[old]
            ve, vn, _ = self._last_vel[old]
            best, best_d = None, self.cfg.dedup_radius_m + 30.0 * gap
            for k, e in now.items():
                if k in taken or k in self.neutralised:
                    continue
                dx = (e.lon - lon0) * 111_320.0 * math.cos(math.radians(lat0)) - ve * gap
                dy = (e.lat - lat0) * 111_320.0 - vn * gap
                d = math.hypot(dx, dy)
                if d <= best_d:
                    best, best_d = k, d
            if best is None:
                continue
            i = next(i for i, x in enumerate(self.book.engagements) if x.id == eid)
            self.book.engagements[i] = replace(self.book.engagements[i], track=best)
            del self.engaged[old]
            self.engaged[best] = eid
            self.handovers.append((t, eid, old, best))
            taken.add(best)
            self._last_seen.setdefault(best, t)

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
            if cfg.keep_track_points:
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
        self._cycle(t, assessments, points, f)

    def _cycle(self, t: float, assessments: list[Assessment], points: dict[str, TrackPoint], f: Frame) -> None:
        """One decision cycle: one queue entry per threat, updated in place; none while one is engaged."""
        cfg, logs = self.cfg, self.logs
        engaged_pts = [(a.lat, a.lon) for a in assessments if a.track in self.engaged]
        cands = []
        for a in assessments:
            if not (
                a.identity in (Identity.HOSTILE, Identity.SUSPECT)
                and a.track not in self.engaged
                and a.track not in self.neutralised
                and a.damage_eur > 0
                and t - logs[a.track].first_t >= cfg.min_track_age_s
                and not _near(a.lat, a.lon, engaged_pts, cfg.dedup_radius_m)
                and t >= self._hold.get(a.track, -math.inf)
            ):
                continue
            # a duplicate track of a threat already engaged or in the queue is the same threat
            if cfg.one_per_threat and (
                self._duplicate_of(a.track, self.engaged)
                or (
                    a.track not in self.pending
                    and self._duplicate_of(a.track, self.pending, radius_m=cfg.queue_merge_radius_m)
                )
            ):
                continue
            cands.append(a)
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
            zones=self.zones,
        )
        fighter_now = {o.track for o in options if o.kind == "fighter"}
        self.fighter_feasible.update(fighter_now)
        recs = self.recommender.recommend(t, options, damage={s.track: s.damage_eur for s in threats}, free=free)
        got = {r.track for r in recs}
        if cfg.one_per_threat:
            # a recommendation for a track that continues a queued threat (its track ended or is a duplicate)
            # updates that queue entry instead of opening a new one; so does one for the threat of an entry
            # withdrawn for want of an update (its track is a candidate again, or a track continues it within
            # reopen_window_s): the entry is reopened, so that an operator's queue holds one entry per threat
            for old in [k for k, (_, tc) in self._withdrawn.items() if t - tc > cfg.reopen_window_s]:
                del self._withdrawn[old]
            for r in recs:
                if r.track in self.pending:
                    continue
                if r.track in self._withdrawn:
                    self.pending[r.track] = self._withdrawn.pop(r.track)[0]
                    continue
                k = self._continued_entry(t, r.track, got)
                if k is not None:
                    self.pending[r.track] = self.pending.pop(k) if k in self.pending else self._withdrawn.pop(k)[0]
            for track, rid in list(self.pending.items()):
                if track not in got and t - self._rec_updated.get(rid, t) > cfg.queue_grace_s:
                    self._close(rid, "withdrawn", t, f, "no longer a candidate or no feasible option")
                    self._withdrawn[track] = (rid, t)
        for r in recs:
            if cfg.one_per_threat and r.track in self.pending:
                rid = self.pending[r.track]
                r = replace(r, id=rid)
                version = self.rec_json[rid].get("version", 1) + 1
                first_t = self.rec_json[rid]["first_t"]
            else:
                self._rec_counter += 1
                r = replace(r, id=f"R{self._rec_counter:05d}")
                version, first_t = 1, round(t, 3)
            self._rec_updated[r.id] = t
            rj = r.to_json(self.recommendation_lat_lon(r))
            rj.update(
                {
                    "first_t": first_t,
                    "version": version,
                    "status": "pending",
                    "fighter_feasible": r.track in fighter_now,
                    "window_closes": round(self.window_closes(r), 1),
                }
            )
            self.rec_by_id[r.id] = r
            self.rec_json[r.id] = rj
            if cfg.one_per_threat:
                self.pending[r.track] = r.id
            f.recommendations.append(rj)
            if cfg.auto_approve:
                dec = auto_approve(self.dlog, r, t)
                f.decisions.append({**dec.payload(), "sha256": dec.sha256})
                self._close(r.id, "approved", t, None, dec.id)
                e = self._engage(r, dec)
                f.engagements.append(self.engagement_json(e))

    def _duplicate_of(self, track: str, others: dict[str, str], *, radius_m: float | None = None) -> bool:
        """Whether ``track`` describes the same drone as one of ``others`` (live tracks): horizontal distance
        within the duplicate radius or three combined position sigmas, velocities within 25 m/s; with
        ``radius_m``: distance within it, velocity not compared."""
        e = self._estimates.get(track)
        if e is None:
            return False
        se = math.sqrt(max(e.cov_pos_enu_m2[0][0], e.cov_pos_enu_m2[1][1], 0.0))
        for k in others:
            o = self._estimates.get(k)
            if o is None or k == track:
                continue
            dx = (e.lon - o.lon) * 111_320.0 * math.cos(math.radians(o.lat))
            dy = (e.lat - o.lat) * 111_320.0
            if radius_m is not None:
                if math.hypot(dx, dy) <= radius_m:
                    return True
                continue
            so = math.sqrt(max(o.cov_pos_enu_m2[0][0], o.cov_pos_enu_m2[1][1], 0.0))
            dv = math.hypot(e.vel_enu_mps[0] - o.vel_enu_mps[0], e.vel_enu_mps[1] - o.vel_enu_mps[1])
            if math.hypot(dx, dy) <= max(self.cfg.dedup_radius_m, 3.0 * (se + so)) and dv <= 25.0:
                return True
        return False

    def _continued_entry(self, t: float, track: str, got: set[str]) -> str | None:
        """The queued track (or the track of a withdrawn entry) whose threat ``track`` continues: nearest to its
        dead-reckoned position within the duplicate radius plus 30 m/s of gap, and not recommended on itself this
        cycle."""
        e = self._estimates.get(track)
        if e is None:
            return None
        best, best_d = None, math.inf
        for k in [*self.pending, *self._withdrawn]:
            if k in got or k not in self._last_pos or k == track:
                continue
            gap = max(t - self._last_seen.get(k, t), 0.0)
            lat0, lon0, _ = self._last_pos[k]
            ve, vn, _ = self._last_vel.get(k, (0.0, 0.0, 0.0))
            dx = (e.lon - lon0) * 111_320.0 * math.cos(math.radians(lat0)) - ve * gap
            dy = (e.lat - lat0) * 111_320.0 - vn * gap
            d = math.hypot(dx, dy)
            if d <= self.cfg.dedup_radius_m + 30.0 * gap and d < best_d:
                best, best_d = k, d
        return best

    def _close(self, rid: str, status: str, t: float, f: Frame | None, why: str) -> None:
        rj = self.rec_json[rid]
        rj.update({"status": status, "closed_t": round(t, 3), "closed_why": why})
        r = self.rec_by_id[rid]
        if self.pending.get(r.track) == rid:
            del self.pending[r.track]
        if f is not None:
            f.recommendations.append(dict(rj))
