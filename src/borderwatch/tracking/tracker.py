"""The multi-sensor multi-target tracker: a stepper over reports in reception order.

Composition (Stone Soup's parts, as plain functions and frozen configs):

* motion: an IMM of constant velocity and fixed-rate coordinated turns (:mod:`.models`);
* updater: EKF per mode for radar, sound-delayed bearings and ADS-B positions (:mod:`.measurements`);
* associator: sparse gating (KD-trees) + GNN per connected component (optimal assignment), and a cheap JPDA step
  inside ambiguous components where tracks cross (:mod:`.association`);
* initiator: radar single-plot tentative tracks and multi-node bearing fixes (:mod:`.initiation`), confirmed by
  M-of-N (hits in distinct frames within a window);
* deleter: tentative tracks that are not confirmed in time, confirmed tracks that coast too long.

Reports are processed in *frames*: all reports in one ``frame_s`` step of a fixed time grid form one batch,
vectorised over tracks and reports, processed at the step's end. A track that gets several reports in one frame
is predicted once and updated once with all of them (information form; ``TrackerConfig.batch_update=False``
keeps the older rounds, one report rank at a time); a late report (older than its track) is modelled on the
state shifted back to its time, not dropped.
The loops over thousands of tiny matrices (gating, the update, IMM prediction, assignment blocks) are
compiled kernels with numpy twins (:mod:`.kernels`); see docs/architecture.md, Tracking.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree
from scipy.stats import chi2

from borderwatch.sensors.reports import (
    LIMITS,
    AdsbReport,
    BearingReport,
    RadarReport,
    Report,
    SensorSite,
    report_problem,
)
from borderwatch.tracking.association import Pairs, Pseudo, gnn_assign
from borderwatch.tracking.classify import ClassModel, default_class_model
from borderwatch.tracking.initiation import bearing_fixes, radar_initial_state, radar_to_enu
from borderwatch.tracking.kernels import (
    KIND,
    bearing_pregate,
    combine,
    gate_pairs,
    imm_predict,
    info_measure,
    info_update,
    mahalanobis2,
    predict_cv,
    row_members,
    warm_up,
)
from borderwatch.tracking.measurements import (
    MeasBatch,
    innovate_linearised,
    kalman_update,
    log_likelihood,
    speed_of_sound,
)
from borderwatch.tracking.measurements import predict as predict_measurement
from borderwatch.tracking.models import ImmConfig, process_noise, transition
from borderwatch.tracking.sites import SiteTable, rotation_to_site, site_table

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_EXPECTED_TYPE = {"bearing": 0, "radar": 1, "adsb": 2}
_STATUS = np.array(["confirmed", "coasting"], dtype=object)


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    """Tracker settings (SI units). Defaults suit drones at 20–150 m/s seen by radars and acoustic nodes."""

    imm: ImmConfig = field(default_factory=ImmConfig)
    temperature_c: float = 0.0
    sound_delay: bool = True
    frame_s: float = 0.5
    gate_prob: float = 0.9995
    gate_m: float = 1000.0
    acoustic_range_m: float = 4000.0
    init_speed_sigma_mps: float = 40.0
    confirm_hits: int = 3
    confirm_window_s: float = 8.0
    confirm_min_sensors_bearing: int = 3
    confirm_hits_bearing: int = 5
    tentative_coast_s: float = 4.0
    coast_s: float = 15.0
    coast_min_s: float = 8.0
    coast_min_radar_s: float = 3.0
    coast_intervals: float = 4.0
    coast_coop_s: float = 30.0
    max_pos_sigma_m: float = 2000.0
    bearing_window_s: float = 4.0
    bearing_min_nodes: int = 4
    default_up_m: float = 300.0
    adsb_sigma_m: tuple[float, float, float] = (30.0, 30.0, 50.0)
    merge_m: float = 1000.0
    merge_d2: float = 16.8
    merge_pos_d2: float = 11.34
    merge_dv_mps: float = 12.0
    merge_persist_s: float = 3.0
    merge_coop_h_d2: float = 9.21
    merge_coop_dz_m: float = 250.0
    merge_coop_h_m: float = 300.0
    coop_init_h_m: float = 300.0
    coop_init_dz_m: float = 300.0
    coop_shadow_h_m: float = 500.0
    coop_shadow_dv_mps: float = 25.0
    stitch_window_s: float = 300.0
    stitch_q: float = 0.5
    stitch_d2: float = 22.5
    stitch_stale_s: float = 3.0
    max_lag_s: float = 60.0
    max_lead_s: float = 60.0
    jpda: bool = True
    gating_q: float = 1.0
    batch_update: bool = True


@dataclass(frozen=True, slots=True)
class TrackEstimate:
    """One confirmed track at time ``t`` (the tracks.jsonl record)."""

    t: float
    track: str
    lat: float
    lon: float
    alt_m: float
    vel_enu_mps: tuple[float, float, float]
    cov_pos_enu_m2: tuple[tuple[float, float, float], ...]
    status: str
    cls: dict[str, float]
    sensors: tuple[str, ...]
    cooperative: bool
    icao: str | None
    quality: float
    enu_m: tuple[float, float, float]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "t": round(self.t, 3),
            "track": self.track,
            "lat": round(self.lat, 7),
            "lon": round(self.lon, 7),
            "alt_m": round(self.alt_m, 2),
            "vel_enu_mps": [round(v, 3) for v in self.vel_enu_mps],
            "cov_pos_enu_m2": [[round(v, 2) for v in row] for row in self.cov_pos_enu_m2],
            "status": self.status,
            "class": {k: round(v, 4) for k, v in self.cls.items()},
            "sensors": list(self.sensors),
            "cooperative": self.cooperative,
            "quality": round(self.quality, 3),
        }
        if self.icao:
            d["icao"] = self.icao
        return d


@dataclass(slots=True)
class TrackerSummary:
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    frames: int = 0
    tracks_started: int = 0
    tracks_confirmed: int = 0
    tracks_deleted: int = 0
    cpu_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "rejected": dict(sorted(self.rejected.items())),
            "rejected_total": int(sum(self.rejected.values())),
            "frames": self.frames,
            "tracks_started": self.tracks_started,
            "tracks_confirmed": self.tracks_confirmed,
            "tracks_deleted": self.tracks_deleted,
            "cpu_s": round(self.cpu_s, 3),
        }


@dataclass(slots=True)
class _BearingBuffer:
    """Unassigned acoustic bearings of the last few seconds, waiting for a multi-node fix."""

    t: FloatArray = field(default_factory=lambda: np.zeros(0))
    node: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    az: FloatArray = field(default_factory=lambda: np.zeros(0))
    el: FloatArray = field(default_factory=lambda: np.zeros(0))
    has_el: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    sig: FloatArray = field(default_factory=lambda: np.zeros((0, 2)))

    def add(
        self, t: FloatArray, node: IntArray, az: FloatArray, el: FloatArray, has: BoolArray, sig: FloatArray
    ) -> None:
        self.t = np.concatenate([self.t, t])
        self.node = np.concatenate([self.node, node])
        self.az = np.concatenate([self.az, az])
        self.el = np.concatenate([self.el, el])
        self.has_el = np.concatenate([self.has_el, has])
        self.sig = np.concatenate([self.sig, sig])

    def keep(self, m: BoolArray) -> None:
        self.t, self.node, self.az, self.el = self.t[m], self.node[m], self.az[m], self.el[m]
        self.has_el, self.sig = self.has_el[m], self.sig[m]


class _Group:
    """Reports of one measurement kind and dimension within a frame, with their side data: radar cross-sections
    (NaN where none) and acoustic class hints (None where none; no array when the group has none)."""

    def __init__(
        self,
        kind: str,
        batch: MeasBatch,
        t: FloatArray,
        sensor: IntArray,
        rid: IntArray,
        *,
        rcs: FloatArray | None = None,
        hint: NDArray[np.object_] | None = None,
    ) -> None:
        self.kind = kind
        self.batch = batch
        self.t = t
        self.sensor = sensor
        self.rid = rid
        self.rcs = rcs
        self.hint = hint


def _f(v: list[Any]) -> FloatArray:
    """A float column from a list of floats (``fromiter`` with a count is the cheapest conversion)."""
    return np.fromiter(v, np.float64, len(v))


def _nan(v: list[Any]) -> FloatArray:
    """An optional float field as a column, NaN where it is None (all-None and no-None columns are cheap)."""
    n_none = v.count(None)
    if n_none == len(v):
        return np.full(len(v), np.nan)
    if n_none == 0:
        return _f(v)
    return np.array(v, dtype=np.float64)


def _diag(v: FloatArray) -> FloatArray:
    """(k, d, d) diagonal matrices from (k, d) diagonals."""
    k, d = v.shape
    out = np.zeros((k, d, d))
    out[:, np.arange(d), np.arange(d)] = v
    return out


def _to_float(v: Any) -> float:
    """A value as a float for the screen: NaN for None and for anything that is not a real number."""
    if v is None or isinstance(v, bool) or not isinstance(v, (int, float)):
        return math.nan
    try:
        return float(v)
    except OverflowError:
        return math.inf


def _row_problem(cols: tuple[list[Any], ...], spec: tuple[tuple[int, str, bool], ...], r: int, hint_ci: int) -> str:
    """The reason for one screened-out row: the first field out of its limits, as :func:`parse_report` says it."""
    for ci, name, optional in spec:
        v = cols[ci][r]
        if v is None:
            if optional:
                continue
            return f"{name}: missing"
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return f"{name}: not a number"
        f = _to_float(v)
        if not math.isfinite(f):
            return f"{name}: not finite"
        if not LIMITS[name].ok(f):
            return f"{name}: outside {LIMITS[name].text()}"
    if hint_ci > 0 and not isinstance(cols[hint_ci][r], (str, type(None))):
        return "class_hint: not a string"
    return "report: invalid"


#: numeric columns of the frame's bearing and radar columns (see ``Tracker._new_columns``): (column, field, optional)
_SPEC_B = ((3, "az_deg", False), (4, "sigma_az_deg", False), (5, "el_deg", True), (6, "sigma_el_deg", True))
_SPEC_R = (
    (3, "range_m", False),
    (4, "az_deg", False),
    (5, "el_deg", False),
    (6, "rr_mps", True),
    (7, "sigma_range_m", False),
    (8, "sigma_az_deg", False),
    (9, "sigma_el_deg", False),
    (10, "sigma_rr_mps", True),
    (11, "rcs_dbsm", True),
)
_REPORT_CLASS: dict[type, str] = {BearingReport: "bearing", RadarReport: "radar", AdsbReport: "adsb"}
_T_LIMIT = LIMITS["t"]


class Tracker:
    """Feed reports in reception order with :meth:`feed`; read confirmed tracks with :meth:`estimates`.

    >>> from borderwatch.sensors.reports import SensorSite
    >>> trk = Tracker([SensorSite("r1", "radar", 56.8, 27.5, 150.0)])
    >>> trk.estimates(0.0)
    []
    """

    def __init__(
        self,
        sensors: Sequence[SensorSite],
        config: TrackerConfig | None = None,
        *,
        sites: SiteTable | None = None,
        classes: ClassModel | None = None,
    ) -> None:
        self.cfg = config or TrackerConfig()
        warm_up()  # compiled kernels loaded here, not in the first frame
        self.sites = sites or site_table(sensors)
        self.classes = classes or default_class_model()
        self.c_sound = speed_of_sound(self.cfg.temperature_c) if self.cfg.sound_delay else 0.0
        self.summary = TrackerSummary()
        m = len(self.cfg.imm.modes)
        self.m = m
        self.mu0 = np.full(m, 0.2 / max(m - 1, 1))
        self.mu0[0] = 0.8 if m > 1 else 1.0
        self._omega = np.array([md.omega_rad_s for md in self.cfg.imm.modes], dtype=np.float64)
        self._q_h = np.array([md.q_h for md in self.cfg.imm.modes], dtype=np.float64)
        self._q_v = np.array([md.q_v for md in self.cfg.imm.modes], dtype=np.float64)
        self._gate = {d: float(chi2.ppf(self.cfg.gate_prob, d)) for d in (1, 2, 3, 4)}
        self._next_id = 1
        self.id = np.zeros(0, dtype=np.int64)
        self.x = np.zeros((0, m, 6))
        self.p = np.zeros((0, m, 6, 6))
        self.mu = np.zeros((0, m))
        self.t = np.zeros(0)
        self.t_init = np.zeros(0)
        self.t_last = np.zeros(0)
        # the frame (``generation``) in which each track was last updated, started or confirmed: a live picture's
        # in-between frames carry the tracks changed since the last one, whatever the times of the reports were
        self.upd = np.zeros(0, dtype=np.int64)
        self.generation = 0
        self.hits = np.zeros(0, dtype=np.int64)
        self.dt_upd = np.zeros(0)
        self.confirmed = np.zeros(0, dtype=bool)
        self.coop = np.zeros(0, dtype=bool)
        self.born = np.zeros(0, dtype=np.int64)
        self.evidence = np.zeros((0, self.classes.n))
        self.icao: list[str | None] = []
        self.seen = np.zeros((0, len(self.sites)), dtype=bool)  # (tracks, sites): sensors that updated it
        self._n_pending = 0  # reports in the open frame (their index in it is their ``rid``)
        self._pending_t0 = math.inf  # the earliest report time in the open frame (inf: none open)
        self._new_columns()
        by_kind: dict[int, type] = {0: BearingReport, 1: RadarReport, 2: AdsbReport}
        self._class_of = {sid: by_kind[int(kd)] for sid, kd in zip(self.sites.ids, self.sites.kind, strict=True)}
        self._adsb_icao: dict[int, str] = {}
        self._icao_id: dict[str, int] = {}  # every ADS-B identity seen → the track id that holds it (alive or not)
        self._clock = -math.inf  # latest reception time fed (−inf: none yet)
        # end of the open frame (−inf: no open frame). Frames lie on a fixed grid of frame_s (k·frame_s, UTC epoch
        # seconds) and the frame time is the grid end (or the time the frame is flushed, if earlier), not the first or
        # latest report's time: then which reports share a frame, and the time tracks are predicted to, do not depend
        # on which other sensors happen to report (a sector engine that hears half the sensors cuts the same frames)
        self._t_end = -math.inf
        self._frame_s = self.cfg.frame_s
        # a light flush (estimates(flush="light")) searches the bearing buffer for new fixes only once per frame_s:
        # the first frame at or after this time does
        self._next_fix_search = -math.inf
        self._lag, self._lead = self.cfg.max_lag_s, self.cfg.max_lead_s
        self._buf = _BearingBuffer()
        self._acoustic_site = np.asarray(self.sites.kind) == _EXPECTED_TYPE["bearing"]
        self._id_order = np.argsort(np.array(self.sites.ids, dtype=object), kind="stable")
        self._ids_sorted = np.array(self.sites.ids, dtype=object)[self._id_order]
        self._class_names = np.array(self.classes.names, dtype=object)
        # recently deleted confirmed tracks (id, combined state, covariance, time, sensors, class evidence)
        self._dead_id = np.zeros(0, dtype=np.int64)
        self._dead_x = np.zeros((0, 6))
        self._dead_p = np.zeros((0, 6, 6))
        self._dead_t = np.zeros(0)
        self._dead_seen = np.zeros((0, len(self.sites)), dtype=bool)
        self._dead_ev = np.zeros((0, self.classes.n))
        # confirmed id pairs that look alike → (since when, last time they did)
        self._dup_since: dict[tuple[int, int], float] = {}

    # ------------------------------------------------------------------ input
    def feed(self, report: Report) -> bool:
        """Accept one report (reception order); returns False if it was rejected (reason counted).

        Nothing a report holds stops the tracker: the fast path checks sensor, report class and time window; a
        report that misses it gets the full check (:meth:`check`, then every field against
        :data:`~borderwatch.sensors.reports.LIMITS`), and the numeric fields of bearings and radar plots are
        screened per frame, vectorised (:meth:`_screen`), before any arithmetic."""
        clock = self._clock
        try:
            t = report.t
            cls = type(report)
            # fast path for the common case (known sensor of the right type, time near the stream clock); a NaN
            # time fails every comparison and takes the full check
            fast = self._class_of.get(report.sensor) is cls and clock - self._lag <= t <= clock + self._lead
        except Exception:  # an unhashable sensor, a time that does not compare: the full check
            fast = False
        if not fast:
            reason = self._check(report) or report_problem(report)
            if reason is not None:
                self.summary.rejected[reason] += 1
                return False
            t, cls = float(report.t), type(report)
        elif cls is AdsbReport:  # rare (≤ 1 Hz per aircraft): every field checked here, not per frame
            reason = report_problem(report)
            if reason is not None:
                self.summary.rejected[reason] += 1
                return False
        self.summary.accepted += 1
        if t >= self._t_end:  # also true when no frame is open (t_end = −inf)
            self._flush()
            self._t_end = (math.floor(t / self._frame_s) + 1.0) * self._frame_s
        i = self._n_pending
        self._n_pending = i + 1
        if t < self._pending_t0:
            self._pending_t0 = t
        # the report's fields go to the frame's columns now, while the object is in cache (reading them later, one
        # field at a time over thousands of reports scattered in memory, cost more than the tracking arithmetic)
        if cls is BearingReport:
            rb: BearingReport = report  # type: ignore[assignment]  # the class says so (checked above)
            cb = self._cols_b
            cb[0].append(i)
            cb[1].append(t)
            cb[2].append(rb.sensor)
            cb[3].append(rb.az_deg)
            cb[4].append(rb.sigma_az_deg)
            cb[5].append(rb.el_deg)
            cb[6].append(rb.sigma_el_deg)
            cb[7].append(rb.class_hint)
        elif cls is RadarReport:
            rp: RadarReport = report  # type: ignore[assignment]
            cr = self._cols_r
            cr[0].append(i)
            cr[1].append(t)
            cr[2].append(rp.sensor)
            cr[3].append(rp.range_m)
            cr[4].append(rp.az_deg)
            cr[5].append(rp.el_deg)
            cr[6].append(rp.rr_mps)
            cr[7].append(rp.sigma_range_m)
            cr[8].append(rp.sigma_az_deg)
            cr[9].append(rp.sigma_el_deg)
            cr[10].append(rp.sigma_rr_mps)
            cr[11].append(rp.rcs_dbsm)
        else:
            self._cols_a.append((i, report))  # type: ignore[arg-type]
        if t > clock:
            self._clock = t
        return True

    def _new_columns(self) -> None:
        """Empty columns for the next frame: bearings (rid, t, sensor, az, σaz, el, σel, hint), radar plots (rid, t,
        sensor, range, az, el, rr, σrange, σaz, σel, σrr, RCS), ADS-B reports (rid, report)."""
        self._cols_b: tuple[list[Any], ...] = tuple([] for _ in range(8))
        self._cols_r: tuple[list[Any], ...] = tuple([] for _ in range(12))
        self._cols_a: list[tuple[int, AdsbReport]] = []

    def feed_many(self, reports: Iterable[Report]) -> None:
        for r in reports:
            self.feed(r)

    def check(self, r: Report) -> str | None:
        """Why the tracker would reject ``r`` (not a report, unknown sensor, wrong type, time not a number, outside
        :data:`~borderwatch.sensors.reports.LIMITS` or far from the stream clock), or None. Cheap: the other
        fields are checked when the report is fed."""
        return self._check(r)

    def _check(self, r: Any) -> str | None:
        cls = type(r)
        if cls not in _REPORT_CLASS:
            return "report: not a report object"
        sensor = r.sensor
        if not isinstance(sensor, str):
            return "sensor: not a string"
        exp = self._class_of.get(sensor)
        if exp is None:
            return "sensor: unknown id"
        if exp is not cls:
            return "sensor: report type does not match the sensor type"
        t = r.t
        if isinstance(t, bool) or not isinstance(t, (int, float)):
            return "t: not a number"
        try:
            t = float(t)
        except OverflowError:
            return "t: not finite"
        if not math.isfinite(t):
            return "t: not finite"
        if not _T_LIMIT.ok(t):
            return f"t: outside {_T_LIMIT.text()}"
        if self._clock > -math.inf:
            if t < self._clock - self.cfg.max_lag_s:
                return "t: too far in the past"
            if t > self._clock + self.cfg.max_lead_s:
                return "t: too far in the future"
        return None

    def _screen(self, cols: tuple[list[Any], ...], spec: tuple[tuple[int, str, bool], ...]) -> dict[int, FloatArray]:
        """Float arrays of the numeric columns ``spec`` = ((column, field, optional), …) of a frame (NaN where an
        optional field is None). Rows with a value outside :data:`LIMITS` (NaN, ±inf, 1e308, σ 0, a string) are
        counted by reason, taken out of the accepted count and removed from *every* column in place, so the
        arithmetic only ever sees good rows. Vectorised; the per-value path runs only when a column does not
        even convert to floats."""
        n = len(cols[0])
        arrays: dict[int, FloatArray] = {}
        bad = np.zeros(n, dtype=bool)
        for ci, name, optional in spec:
            col = cols[ci]
            lim = LIMITS[name]
            try:
                a = _nan(col) if optional else _f(col)
            except (TypeError, ValueError, OverflowError):  # a string, a None where required, a huge int, …
                a = np.array([_to_float(v) for v in col], dtype=np.float64)
                if not optional:
                    a[np.array([v is None for v in col], dtype=bool)] = np.inf
            arrays[ci] = a
            lo_ok = a > lim.lo if lim.lo_open else a >= lim.lo
            hi_ok = a < lim.hi if lim.hi_open else a <= lim.hi
            ok = lo_ok & hi_ok
            if optional and not ok.all():
                n_none = col.count(None)
                if n_none == n:
                    continue
                if n_none:
                    ok |= np.fromiter((v is None for v in col), bool, n)
            bad |= ~ok
        hint_ci = 7 if len(cols) == 8 else -1  # bearings: class hints must be text (or None)
        if hint_ci > 0 and not set(map(type, cols[hint_ci])) <= {str, type(None)}:
            bad |= np.fromiter((not isinstance(h, (str, type(None))) for h in cols[hint_ci]), bool, n)
        if not bad.any():
            return arrays
        rej = self.summary.rejected
        for r in np.flatnonzero(bad).tolist():
            rej[_row_problem(cols, spec, r, hint_ci)] += 1
        self.summary.accepted -= int(bad.sum())
        good = ~bad
        keep = good.tolist()
        for col in cols:
            col[:] = list(compress(col, keep))
        return {ci: a[good] for ci, a in arrays.items()}

    def _flush(self, t_now: float | None = None, *, light: bool = False) -> None:
        t_end, self._t_end = self._t_end, -math.inf
        n = self._n_pending
        if n == 0:
            return
        self._pending_t0 = math.inf
        tf_floor = t_end if t_now is None else min(t_end, t_now)
        cols_b, cols_r, cols_a = self._cols_b, self._cols_r, self._cols_a
        self._n_pending = 0
        self._new_columns()
        self.generation += 1
        c0 = time.process_time()
        self._process(n, cols_b, cols_r, cols_a, tf_floor, light=light)
        self.summary.cpu_s += time.process_time() - c0
        self.summary.frames += 1

    # ------------------------------------------------------------------ output
    def combined(self, idx: IntArray | None = None) -> tuple[FloatArray, FloatArray]:
        """Moment-matched (n, 6) states and (n, 6, 6) covariances over the IMM modes."""
        if idx is None:
            return combine(self.x, self.p, self.mu)
        return combine(self.x[idx], self.p[idx], self.mu[idx])

    @property
    def unprocessed_from(self) -> float:
        """The earliest time of a report fed but not yet processed (in the open frame), inf when there is none.
        Fed in time order, every report before it has changed the tracks it will change."""
        return self._pending_t0

    def estimates(
        self, t: float, *, changed_since: int | None = None, flush: bool | Literal["light"] = True
    ) -> list[TrackEstimate]:
        """Confirmed tracks predicted to ``t``, using only reports fed so far. Pending reports are processed unless
        ``flush`` is False: then the open frame waits for its own end (``frame_s``), and is processed here once
        ``t`` has passed that end, as the next report would have done. ``flush="light"`` processes them now too,
        but searches the acoustic bearings that no track took for new multi-node fixes (the costly part of a
        frame) only in the first frame of each ``frame_s`` (the bearings wait in the buffer meanwhile): a live
        picture's tracks move at every step while new tracks start at the usual cadence.

        ``changed_since``: only the tracks updated, started or confirmed in a frame after that :attr:`generation`
        (a live picture's in-between frames carry just what changed, also when late reports changed it)."""
        if flush == "light":
            self._flush(t, light=True)
        elif flush:
            self._flush(t)
        elif self._n_pending and t >= self._t_end:
            self._flush()
        sel = self.confirmed if changed_since is None else self.confirmed & (self.upd > changed_since)
        idx = np.flatnonzero(sel)
        if idx.size == 0:
            return []
        c0 = time.process_time()
        xc, pc = self.combined(idx)
        ok = np.isfinite(xc).all(axis=1) & np.isfinite(pc.reshape(len(idx), -1)).all(axis=1)
        if not ok.all():  # never report a track whose state went non-finite
            self.summary.rejected["track: non-finite state (not reported)"] += int((~ok).sum())
            idx, xc, pc = idx[ok], xc[ok], pc[ok]
            if idx.size == 0:
                return []
        dt = np.maximum(t - self.t[idx], 0.0)
        xc, pc = predict_cv(xc, pc, dt, self.cfg.gating_q, 0.1)
        fr = self.sites.frame
        lat, lon, alt = fr.to_geodetic(xc[:, 0], xc[:, 1], xc[:, 2])
        lat, lon, alt = np.atleast_1d(lat), np.atleast_1d(lon), np.atleast_1d(alt)
        rot = rotation_to_site(fr, lat, lon)
        vel = np.einsum("nij,nj->ni", rot, xc[:, 3:])
        cov = rot @ pc[:, :3, :3] @ rot.transpose(0, 2, 1)
        speed = np.linalg.norm(xc[:, 3:5], axis=1)
        probs = self.classes.probabilities(self.evidence[idx], speed, self.coop[idx])
        stale = t - self.t_last[idx]
        quality = np.clip(
            np.minimum(self.hits[idx] / 10.0, 1.0) * np.exp(-np.maximum(stale, 0) / self.cfg.coast_s), 0, 1
        )
        out = self._records(float(t), idx, lat, lon, alt, vel, cov, xc[:, :3], probs, stale, quality)
        self.summary.cpu_s += time.process_time() - c0
        return out

    def _records(
        self,
        t: float,
        idx: IntArray,
        lat: FloatArray,
        lon: FloatArray,
        alt: FloatArray,
        vel: FloatArray,
        cov: FloatArray,
        enu: FloatArray,
        probs: FloatArray,
        stale: FloatArray,
        quality: FloatArray,
    ) -> list[TrackEstimate]:
        """TrackEstimate records from columns. Every field is built column-wise by C-level ``zip``/``map`` over
        ``tolist()`` columns (no Python statement per track except grouping the class dicts): with 1,000 tracks per
        second the records, not the arithmetic, were a quarter of the tracker's time."""
        n = idx.size
        tracks = list(map("T{:06d}".format, self.id[idx].tolist()))
        v = vel.T.tolist()
        e = enu.T.tolist()
        c = cov.reshape(n, 9).T.tolist()
        rows3 = (
            zip(c[0], c[1], c[2], strict=True),
            zip(c[3], c[4], c[5], strict=True),
            zip(c[6], c[7], c[8], strict=True),
        )
        cov_t = zip(*rows3, strict=True)
        status = _STATUS[(stale > 3.0).astype(np.int64)].tolist()
        # classes above 1 %, at most four, most probable first: rows grouped by how many classes they keep
        top = np.argsort(-probs, axis=1)[:, :4]
        topp = np.take_along_axis(probs, top, axis=1)
        nm = self._class_names[top]
        cnt = (topp > 0.01).sum(axis=1)
        cls: list[dict[str, float]] = [{}] * n  # placeholders, every row gets its own dict below
        for k in range(1, 5):
            rows = np.flatnonzero(cnt == k)
            if rows.size:
                cols = [zip(nm[rows, j].tolist(), topp[rows, j].tolist(), strict=True) for j in range(k)]
                for r, d in zip(rows.tolist(), map(dict, zip(*cols, strict=True)), strict=True):
                    cls[r] = d
        if (cnt == 0).any():
            for r in np.flatnonzero(cnt == 0).tolist():
                cls[r] = {}
        # sensor columns in id order, so each track's nonzero columns come out sorted by id
        bounds, c_ = row_members(self.seen, idx, self._id_order)
        cuts = bounds.tolist()
        names_c = self._ids_sorted[c_].tolist()
        sens = map(tuple, map(names_c.__getitem__, map(slice, cuts[:-1], cuts[1:])))
        icao = self.icao
        return list(
            map(
                TrackEstimate,
                repeat(t, n),
                tracks,
                lat.tolist(),
                lon.tolist(),
                alt.tolist(),
                zip(v[0], v[1], v[2], strict=True),
                cov_t,
                status,
                cls,
                sens,
                self.coop[idx].tolist(),
                [icao[i] for i in idx.tolist()],
                quality.tolist(),
                zip(e[0], e[1], e[2], strict=True),
            )
        )

    def confirmed_enu(self, t: float) -> tuple[IntArray, FloatArray]:
        """Ids and (n, 3) tracker-frame positions of confirmed tracks at ``t`` (fast path for benches)."""
        self._flush(t)
        idx = np.flatnonzero(self.confirmed)
        xc, _ = self.combined(idx)
        dt = np.maximum(t - self.t[idx], 0.0)
        return self.id[idx], xc[:, :3] + xc[:, 3:] * dt[:, None]

    # ------------------------------------------------------------------ track store
    def _append(
        self,
        x: FloatArray,
        p: FloatArray,
        t: FloatArray,
        *,
        born: int,
        confirmed: bool,
        sensors: list[IntArray],
        t_received: FloatArray | None = None,
    ) -> IntArray:
        """Add tracks with states at ``t``; ``t_received`` (default ``t``) starts their confirmation clock."""
        k = x.shape[0]
        if k == 0:
            return np.zeros(0, dtype=np.int64)
        n0 = self.id.size
        self.id = np.concatenate([self.id, np.arange(self._next_id, self._next_id + k)])
        self._next_id += k
        self.x = np.concatenate([self.x, np.repeat(x[:, None], self.m, axis=1)])
        self.p = np.concatenate([self.p, np.repeat(p[:, None], self.m, axis=1)])
        self.mu = np.concatenate([self.mu, np.tile(self.mu0, (k, 1))])
        self.t = np.concatenate([self.t, t])
        tr = t if t_received is None else t_received
        self.t_init = np.concatenate([self.t_init, tr])
        self.t_last = np.concatenate([self.t_last, tr])
        self.upd = np.concatenate([self.upd, np.full(k, self.generation, dtype=np.int64)])
        self.hits = np.concatenate([self.hits, np.ones(k, dtype=np.int64)])
        self.dt_upd = np.concatenate([self.dt_upd, np.ones(k)])
        self.confirmed = np.concatenate([self.confirmed, np.full(k, confirmed)])
        self.coop = np.concatenate([self.coop, np.zeros(k, dtype=bool)])
        self.born = np.concatenate([self.born, np.full(k, born, dtype=np.int64)])
        self.evidence = np.concatenate([self.evidence, np.zeros((k, self.classes.n))])
        self.icao.extend([None] * k)
        seen = np.zeros((k, len(self.sites)), dtype=bool)
        for i, ss in enumerate(sensors):
            seen[i, ss] = True
        self.seen = np.concatenate([self.seen, seen])
        self.summary.tracks_started += k
        if confirmed:
            self.summary.tracks_confirmed += k
        return np.arange(n0, n0 + k)

    def _keep(self, keep: BoolArray) -> None:
        if keep.all():
            return
        self.summary.tracks_deleted += int((~keep).sum())
        for name in (
            "id",
            "x",
            "p",
            "mu",
            "t",
            "t_init",
            "t_last",
            "upd",
            "hits",
            "dt_upd",
            "confirmed",
            "coop",
            "born",
            "evidence",
        ):
            setattr(self, name, getattr(self, name)[keep])
        kk = np.flatnonzero(keep)
        self.icao = [self.icao[i] for i in kk]
        self.seen = self.seen[keep]

    # ------------------------------------------------------------------ IMM
    def _imm_predict(self, idx: IntArray, t: FloatArray, *, mix: bool = True) -> None:
        """IMM prediction of tracks ``idx`` to times ``t``. ``mix=False`` skips the interaction step: used for the
        second and later reports of a track within one frame (< frame_s apart), so modes interact once per frame."""
        dt = t - self.t[idx]
        if not mix:
            moving = dt != 0.0  # same-time reports (e.g. several radars' plots of one scan): nothing to predict
            idx, t, dt = idx[moving], t[moving], dt[moving]
            if idx.size == 0:
                return
        x, p, mu = self.x[idx], self.p[idx], self.mu[idx]
        if mix:
            x0, p0, c = imm_predict(x, p, mu, dt, self._omega, self._q_h, self._q_v, self.cfg.imm.switch_per_s)
        else:
            c, x0, p0 = mu, x, p
            for j, mode in enumerate(self.cfg.imm.modes):
                f = transition(dt, mode.omega_rad_s)
                q = process_noise(dt, mode.q_h, mode.q_v)
                x0[:, j] = np.einsum("kab,kb->ka", f, x0[:, j])
                p0[:, j] = f @ p0[:, j] @ f.transpose(0, 2, 1) + q
        self.x[idx], self.p[idx], self.mu[idx], self.t[idx] = x0, p0, c, t

    def _imm_update(self, idx: IntArray, b: MeasBatch) -> None:
        k, m = idx.size, self.m
        rep = np.repeat(np.arange(k), m)
        xf = self.x[idx].reshape(k * m, 6)
        pf = self.p[idx].reshape(k * m, 6, 6)
        # one linearisation per track, at its combined estimate, shared by its modes
        x0 = np.einsum("km,kmi->ki", self.mu[idx], self.x[idx])
        zh0, h0 = predict_measurement(x0, b)
        inn = innovate_linearised(xf, pf, b.take(rep), zh0[rep], h0[rep], x0[rep])
        xn, pn = kalman_update(xf, pf, inn)
        ll = log_likelihood(inn).reshape(k, m)
        lm = np.log(np.maximum(self.mu[idx], 1e-300)) + ll
        lm -= lm.max(axis=1, keepdims=True)
        mu = np.exp(lm)
        mu /= mu.sum(axis=1, keepdims=True)
        mu = np.maximum(mu, 1e-6)
        mu /= mu.sum(axis=1, keepdims=True)
        self.x[idx] = xn.reshape(k, m, 6)
        self.p[idx] = pn.reshape(k, m, 6, 6)
        self.mu[idx] = mu

    def _imm_update_batched(
        self,
        inv: IntArray,
        delta: FloatArray,
        grp: IntArray,
        loc: IntArray,
        batches: list[MeasBatch],
        x: FloatArray,
        p: FloatArray,
        mu: FloatArray,
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """One information-form EKF update per track and mode with *all* its reports of the frame.

        Tracks (modes ``x``, ``p``, ``mu``) are at their latest report time; report ``i`` (track ``inv[i]``) is
        modelled on the state shifted by ``δ = delta[i]`` (≤ 0): ``h(p + vδ, v)``, Jacobian ``[H_p, H_v + δ H_p]``.
        Reports are independent given the state, so with every Jacobian taken at the track's combined estimate
        ``J = Σ HᵀR⁻¹H`` and ``b = Σ HᵀR⁻¹ν`` give ``P⁺ = (I + PJ)⁻¹P``, ``x⁺ = x + P⁺b`` and, by the determinant
        lemma and Woodbury, the joint log-likelihood of all reports per mode from 6×6 algebra only. Returns the
        posterior modes and mode probabilities."""
        k, m = x.shape[0], self.m
        x0 = np.einsum("km,kmi->ki", mu, x)
        jj = np.zeros((k, 6, 6))
        bv = np.zeros((k, m, 6))
        q = np.zeros((k, m))
        const = np.zeros(k)
        for g in np.unique(grp).tolist():
            sel = grp == g
            b = batches[int(g)]
            info_measure(
                KIND[b.kind],
                inv[sel],
                x0,
                x,
                delta[sel],
                loc[sel],
                b.z,
                b.r,
                b.site,
                b.rot,
                b.c_sound,
                jj,
                bv,
                q,
                const,
            )  # inv[sel] is sorted (pairs are ordered by track)
        return info_update(x, p, mu, jj, bv, q, const)

    # ------------------------------------------------------------------ frame
    def _groups(
        self, cols_b: tuple[list[Any], ...], cols_r: tuple[list[Any], ...], cols_a: list[tuple[int, AdsbReport]]
    ) -> tuple[list[_Group], float]:
        """Measurement groups (radar 3-D / 4-D, bearings 1-D / 2-D, ADS-B positions; reception order within each)
        from the frame's columns, and the frame time (latest reception). Optional fields are NaN where None."""
        st = self.sites
        index = st.index
        groups: list[_Group] = []
        d2r = np.pi / 180.0
        tf = -math.inf
        self._adsb_icao = {}
        ar = self._screen(cols_r, _SPEC_R) if cols_r[0] else {}
        if cols_r[0]:
            rid_l, t_l, s_l = cols_r[:3]
            k = len(rid_l)
            rid = np.fromiter(rid_l, np.int64, k)
            t = _f(t_l)
            tf = max(tf, float(t.max()))
            sens = np.fromiter([index[x] for x in s_l], np.int64, k)
            rr, srr = ar[6], ar[10]
            has = ~np.isnan(rr) & ~np.isnan(srr)
            zall = np.stack([ar[3], ar[4] * d2r, ar[5] * d2r, rr], -1)
            sg_rr = np.where(np.isnan(srr) | (srr == 0.0), 1.0, srr)
            sall = np.stack([ar[7], ar[8] * d2r, ar[9] * d2r, sg_rr], -1)
            rcs = ar[11]
            for dim, m in ((3, ~has), (4, has)):
                if m.any():
                    sm = sens[m]
                    b = MeasBatch("radar", zall[m, :dim], _diag(sall[m, :dim] ** 2), st.pos[sm], st.rot[sm])
                    groups.append(_Group("radar", b, t[m], sm, rid[m], rcs=rcs[m]))
        ab = self._screen(cols_b, _SPEC_B) if cols_b[0] else {}
        if cols_b[0]:
            rid_l, t_l, s_l = cols_b[:3]
            hint_l = cols_b[7]
            k = len(rid_l)
            rid = np.fromiter(rid_l, np.int64, k)
            t = _f(t_l)
            tf = max(tf, float(t.max()))
            sens = np.fromiter([index[x] for x in s_l], np.int64, k)
            el, sel = ab[5], ab[6]
            has = ~np.isnan(el) & ~np.isnan(sel)
            zall = np.stack([ab[3] * d2r, el * d2r], -1)
            sg_el = np.where(np.isnan(sel) | (sel == 0.0), 1.0, sel)
            sall = np.stack([ab[4] * d2r, sg_el * d2r], -1)
            if hint_l.count(None) == k:
                hint, has_hint = None, np.zeros(k, dtype=bool)
            else:
                hint = np.array([h or None for h in hint_l], dtype=object)  # an empty hint is no hint
                has_hint = hint != None  # noqa: E711 - elementwise on an object array
            for dim, m in ((1, ~has), (2, has)):
                if m.any():
                    sm = sens[m]
                    r_ = _diag(sall[m, :dim] ** 2)
                    b = MeasBatch("bearing", zall[m, :dim], r_, st.pos[sm], st.rot[sm], self.c_sound)
                    hm = hint[m] if hint is not None and has_hint[m].any() else None
                    groups.append(_Group("bearing", b, t[m], sm, rid[m], hint=hm))
        if cols_a:
            objs = [r for _, r in cols_a]
            k = len(objs)
            rid = np.fromiter([i for i, _ in cols_a], np.int64, k)
            t = _f([r.t for r in objs])
            tf = max(tf, float(t.max()))
            sens = np.fromiter([index[r.sensor] for r in objs], np.int64, k)
            e, nn, u = st.frame.to_enu(
                _f([r.lat for r in objs]), _f([r.lon for r in objs]), _f([r.alt_m for r in objs])
            )
            z = np.stack([np.atleast_1d(e), np.atleast_1d(nn), np.atleast_1d(u)], -1)
            r_ = _diag(np.tile(np.array(self.cfg.adsb_sigma_m) ** 2, (k, 1)))
            b = MeasBatch("position", z, r_, st.pos[sens], st.rot[sens])
            groups.append(_Group("position", b, t, sens, rid))
            self._adsb_icao = {i: r.icao for i, r in cols_a}
        return groups, tf

    def _query_points(self, g: _Group) -> tuple[FloatArray, float]:
        if g.kind == "radar":
            pos, _ = radar_to_enu(g.batch.z[:, 0], g.batch.z[:, 1], g.batch.z[:, 2], g.batch.site, g.batch.rot)
            return pos, self.cfg.gate_m
        if g.kind == "bearing":
            return g.batch.site, self.cfg.acoustic_range_m + 500.0
        return g.batch.z, self.cfg.gate_m

    def _bearing_candidates(
        self, g: _Group, tree: cKDTree, ext: FloatArray, xc: FloatArray, pos_sig: FloatArray, vel_sig: FloatArray
    ) -> tuple[IntArray, IntArray] | None:
        """(report, track) candidates for bearings: tracks near each *node* (KD-tree, once per node), then a cheap
        angle pre-gate at the emission point ``p − v·r/c`` for every report of that node."""
        nodes, rep_node = np.unique(g.sensor, return_inverse=True)
        sdm = cKDTree(self.sites.pos[nodes]).sparse_distance_matrix(
            tree, self.cfg.acoustic_range_m + 500.0, output_type="ndarray"
        )
        if sdm.size == 0:
            return None
        ni, trk = sdm["i"].astype(np.int64), sdm["j"].astype(np.int64)
        # a bearing says little about a point's existence: tentative radar tracks (often clutter) take plots only
        ok0 = self.confirmed[trk] | (self.born[trk] == 1)
        ni, trk = ni[ok0], trk[ok0]
        if ni.size == 0:
            return None
        o = np.argsort(ni, kind="stable")
        start = np.searchsorted(ni[o], np.arange(nodes.size + 1)).astype(np.int64)
        b = g.batch
        loc, cand = bearing_pregate(
            start, trk[o], self.sites.pos[nodes], self.sites.rot[nodes], ext, np.ascontiguousarray(xc[:, 3:]),
            pos_sig, vel_sig, self.c_sound, rep_node.astype(np.int64), b.z, b.r,
        )  # fmt: skip
        if loc.size == 0:
            return None
        return loc, cand

    def _process(
        self,
        n_rep: int,
        cols_b: tuple[list[Any], ...],
        cols_r: tuple[list[Any], ...],
        cols_a: list[tuple[int, AdsbReport]],
        tf_floor: float,
        *,
        light: bool = False,
    ) -> None:
        """One frame of ``n_rep`` reports; its time is ``tf_floor`` (the grid end, see ``_t_end``, or the flush
        time), never before its latest report. ``light``: see :meth:`estimates`."""
        groups, tf = self._groups(cols_b, cols_r, cols_a)
        tf = max(tf, tf_floor)
        if not groups:  # every report of the frame was screened out
            return
        pairs = Pairs.empty()
        if self.id.size:
            xc, pc = self.combined()
            ext = xc[:, :3] + xc[:, 3:] * (tf - self.t)[:, None]
            # a track whose state went non-finite (numerically, from an extreme but accepted report) must not
            # stop the frame: it gates with nothing, stays unassociated and is deleted by the coast rule
            ext = np.where(np.isfinite(ext), ext, 1e15 + 1e7 * np.arange(len(ext), dtype=float)[:, None])
            tree = cKDTree(ext)
            # gating state: each track predicted once to the frame time; a pair shifts it by v·(t_report − tf)
            xg, pg = predict_cv(xc, pc, tf - self.t, self.cfg.gating_q, 0.1)
            vel_sig = np.sqrt(pc[:, 3, 3] + pc[:, 4, 4])
            pos_sig = np.sqrt(pc[:, 0, 0] + pc[:, 1, 1]) + vel_sig * np.abs(tf - self.t)
            for gi, g in enumerate(groups):
                if g.kind == "bearing":
                    got = self._bearing_candidates(g, tree, ext, xc, pos_sig, vel_sig)
                    if got is None:
                        continue
                    loc, trk = got
                else:
                    q, radius = self._query_points(g)
                    sdm = cKDTree(q).sparse_distance_matrix(tree, radius, output_type="ndarray")
                    if sdm.size == 0:
                        continue
                    loc, trk = sdm["i"].astype(np.int64), sdm["j"].astype(np.int64)
                b = g.batch
                gate = self._gate[b.dim]
                nu, d2, logdet = gate_pairs(
                    KIND[b.kind], xg, pg, trk, loc, g.t - tf, b.z, b.r, b.site, b.rot, b.c_sound, gate
                )
                ok = d2 < gate
                if g.kind == "position":
                    ok &= self._icao_allows(trk, g.rid[loc])
                if not ok.any():
                    continue
                # score = log-likelihood ratio against a miss (up to a constant shared by the competitors of a
                # report): a broad tentative track must not outbid a confirmed one just by its wide gate
                bonus = np.where(self.confirmed[trk[ok]], 2.0, 0.0)
                ll = -0.5 * (d2[ok] + logdet[ok] + b.dim * np.log(2 * np.pi))
                pairs = pairs.extend(
                    trk=trk[ok],
                    rid=g.rid[loc[ok]],
                    group=np.full(int(ok.sum()), gi, dtype=np.int64),
                    local=loc[ok],
                    slot_sensor=g.sensor[loc[ok]],
                    t=g.t[loc[ok]],
                    d2=d2[ok],
                    benefit=100.0 + 2.0 * ll + bonus,
                    loglik=ll,
                    nu=[nu[ok]],
                )
        assigned, ambiguous_reports, pseudo = gnn_assign(
            pairs, n_reports=n_rep, n_sensors=len(self.sites), jpda=self.cfg.jpda
        )
        used = np.zeros(n_rep, dtype=bool)
        if assigned.size:
            used[pairs.rid[assigned]] = True
            self._update_assigned(pairs, assigned, groups, pseudo)
        used[ambiguous_reports] = True
        search = not light or tf >= self._next_fix_search
        if search:
            self._next_fix_search = (math.floor(tf / self._frame_s) + 1.0) * self._frame_s
        self._initiate(groups, used, tf, fix_search=search)
        self._manage(tf)

    def _icao_allows(self, trk: IntArray, rid: IntArray) -> BoolArray:
        """Which (track, ADS-B report) pairs may associate: an identity is held by one track. A report goes to the
        track that holds its ``icao``; a track without one may adopt an icao that no live track holds; a track
        never takes another aircraft's reports."""
        icao = self.icao
        held = {ic for ic in icao if ic is not None}
        rep = self._adsb_icao
        out = np.zeros(trk.size, dtype=bool)
        for k, (i, r) in enumerate(zip(trk.tolist(), rid.tolist(), strict=True)):
            ti, ri = icao[i], rep[r]
            out[k] = ti == ri if ti is not None else ri not in held
        return out

    def _update_assigned(self, pairs: Pairs, a: IntArray, groups: list[_Group], pseudo: Pseudo) -> None:
        trk, tt, grp, loc = pairs.trk[a], pairs.t[a], pairs.group[a], pairs.local[a]
        # pseudo-measurements (JPDA) replace z and R of their assigned pair
        batches = [g.batch for g in groups]
        if pseudo:
            zs = [b.z.copy() for b in batches]
            rs = [b.r.copy() for b in batches]
            for pidx, off, spread in pseudo.values():
                pg_ = pairs.group[pidx]
                for g in np.unique(pg_).tolist():
                    sel = pg_ == g
                    lo = pairs.local[pidx[sel]]
                    zs[g][lo] += off[sel]
                    rs[g][lo] += spread[sel]
            batches = [MeasBatch(b.kind, zs[i], rs[i], b.site, b.rot, b.c_sound) for i, b in enumerate(batches)]
        order = np.lexsort((tt, trk))
        trk, tt, grp, loc = trk[order], tt[order], grp[order], loc[order]
        first = np.ones(trk.size, dtype=bool)
        first[1:] = trk[1:] != trk[:-1]
        ut = trk[first]
        last = np.append(np.flatnonzero(first)[1:] - 1, trk.size - 1)  # each track's latest report (sorted by time)
        if self.cfg.batch_update:
            # predict each track to its latest report time, then update it with all its reports (the predicted
            # arrays go straight into the update: one gather and one scatter of the track table)
            inv_t = np.cumsum(first) - 1
            t_new = np.maximum(self.t[ut], tt[last])
            x, p, mu = imm_predict(
                self.x[ut], self.p[ut], self.mu[ut], t_new - self.t[ut], self._omega, self._q_h, self._q_v,
                self.cfg.imm.switch_per_s,
            )  # fmt: skip
            self.t[ut] = t_new
            x, p, mu = self._imm_update_batched(inv_t, tt - t_new[inv_t], grp, loc, batches, x, p, mu)
            self.x[ut], self.p[ut], self.mu[ut] = x, p, mu
        else:
            starts = np.flatnonzero(first)
            run = np.repeat(starts, np.diff(np.append(starts, trk.size)))
            rank = np.arange(trk.size) - run
            for r in range(int(rank.max()) + 1):
                s = rank == r
                self._imm_predict(trk[s], tt[s], mix=r == 0)
                for g in np.unique(grp[s]):
                    sg = s & (grp == g)
                    self._imm_update(trk[sg], batches[int(g)].take(loc[sg]))
        # bookkeeping
        self.hits[ut] += 1
        prev = self.t_last[ut]
        self.t_last[ut] = np.maximum(prev, tt[last])
        self.upd[ut] = self.generation
        gap = np.maximum(self.t_last[ut] - prev, 0.0)
        self.dt_upd[ut] = 0.7 * self.dt_upd[ut] + 0.3 * gap
        sens_of = np.zeros(trk.size, dtype=np.int64)
        for gi, grp_i in enumerate(groups):
            sel = grp == gi
            if not sel.any():
                continue
            sens_of[sel] = grp_i.sensor[loc[sel]]
            if grp_i.kind == "position":
                self.coop[trk[sel]] = True
                for i, lo in zip(trk[sel].tolist(), loc[sel].tolist(), strict=True):
                    ic = self._adsb_icao[int(grp_i.rid[lo])]
                    if self.icao[i] is None:  # adoption: a known identity keeps its old id (its track is dead)
                        self.icao[i] = ic
                        old_id = self._icao_id.get(ic)
                        if old_id is not None and not (self.id == old_id).any():
                            self.id[i] = old_id
                        self._icao_id[ic] = int(self.id[i])
        self.seen[trk, sens_of] = True
        self._evidence(trk, grp, loc, groups)

    def _evidence(self, trk: IntArray, grp: IntArray, loc: IntArray, groups: list[_Group]) -> None:
        for gi, g in enumerate(groups):
            if g.rcs is None and g.hint is None:
                continue
            sel = grp == gi
            if not sel.any():
                continue
            lo = loc[sel]
            if g.rcs is not None:
                rcs = g.rcs[lo]
                ok = np.isfinite(rcs)
                if ok.any():
                    np.add.at(self.evidence, trk[sel][ok], self.classes.rcs_loglik(rcs[ok]))
            if g.hint is not None:
                hints = g.hint[lo]
                ok = hints != None  # noqa: E711 - elementwise on an object array
                if ok.any():
                    np.add.at(self.evidence, trk[sel][ok], self.classes.hint_loglik(hints[ok].tolist()))

    # ------------------------------------------------------------------ initiation / management
    def _initiate(self, groups: list[_Group], used: BoolArray, tf: float, *, fix_search: bool = True) -> None:
        cfg = self.cfg
        for g in groups:
            free = ~used[g.rid]
            if not free.any():
                continue
            b = g.batch
            if g.kind == "radar":
                f = np.flatnonzero(free)
                if self.coop.any():  # no second track for a cooperative aircraft (see _near_coop)
                    pos, _ = radar_to_enu(b.z[f, 0], b.z[f, 1], b.z[f, 2], b.site[f], b.rot[f])
                    f = f[~self._near_coop(pos, g.t[f], b.z[f, 0] * np.sqrt(b.r[f, 2, 2]))]
                    if f.size == 0:
                        continue
                has_rr = np.full(f.size, b.dim == 4)
                z = b.z[f]
                if b.dim == 3:
                    z = np.concatenate([z, np.zeros((f.size, 1))], 1)
                r = np.zeros((f.size, 4, 4))
                r[:, : b.dim, : b.dim] = b.r[f]
                x, p = radar_initial_state(z, r, b.site[f], b.rot[f], has_rr, cfg.init_speed_sigma_mps)
                new = self._append(x, p, g.t[f], born=0, confirmed=False, sensors=list(g.sensor[f, None]))
                self._evidence(new, np.zeros(f.size, dtype=np.int64), f, [g])
            elif g.kind == "position":
                self._initiate_adsb(g, np.flatnonzero(free))
            else:
                f = np.flatnonzero(free)
                has = np.full(f.size, b.dim == 2)
                el = b.z[f, 1] if b.dim == 2 else np.zeros(f.size)
                sig = np.ones((f.size, 2))
                sig[:, 0] = np.sqrt(b.r[f, 0, 0])
                if b.dim == 2:
                    sig[:, 1] = np.sqrt(b.r[f, 1, 1])
                self._buf.add(g.t[f], g.sensor[f], b.z[f, 0], el, has, sig)
        if not fix_search:
            return
        self._buf.keep(self._buf.t >= tf - cfg.bearing_window_s)
        bf = self._buf
        if bf.t.size >= cfg.bearing_min_nodes:
            fixes = bearing_fixes(
                t=bf.t,
                node=bf.node,
                az=bf.az,
                el=bf.el,
                has_el=bf.has_el,
                sig=bf.sig,
                site=self.sites.pos,
                rot=self.sites.rot,
                max_range_m=cfg.acoustic_range_m,
                min_nodes=cfg.bearing_min_nodes,
                default_up_m=cfg.default_up_m,
                c_sound=self.c_sound,
            )
            if fixes and self.coop.any():
                near = self._near_coop(
                    np.array([fx.pos for fx in fixes]),
                    np.array([fx.t for fx in fixes]),
                    np.array([np.sqrt(max(fx.cov[2, 2], 0.0)) for fx in fixes]),
                )
                fixes = [fx for fx, nr in zip(fixes, near.tolist(), strict=True) if not nr]
            if fixes:
                nf = len(fixes)
                x = np.zeros((nf, 6))
                p = np.zeros((nf, 6, 6))
                for i, fx in enumerate(fixes):
                    x[i, :3] = fx.pos
                    p[i, :3, :3] = fx.cov + np.eye(3) * 25.0
                    p[i, 3:, 3:] = np.eye(3) * cfg.init_speed_sigma_mps**2
                    p[i, 5, 5] = 5.0**2
                tt = np.array([fx.t for fx in fixes])
                self._append(
                    x,
                    p,
                    tt,
                    born=1,
                    confirmed=False,
                    sensors=[fx.nodes for fx in fixes],
                    t_received=np.full(nf, tf),
                )
                used_b = np.zeros(bf.t.size, dtype=bool)
                for fx in fixes:
                    used_b[fx.reports] = True
                bf.keep(~used_b)

    def _near_coop(self, pos: FloatArray, t: FloatArray, sig_z: FloatArray) -> BoolArray:
        """Which points (an unassigned radar plot, a bearing fix) lie on a cooperative track: within
        ``coop_init_h_m`` horizontally and ``coop_init_dz_m`` + 3 ``sig_z`` (the point's own height σ: a radar's
        elevation σ at 20 km is 175 m) vertically of its CV prediction. Such a point is the
        aircraft itself seen by a sensor whose errors exceed its stated σ (the tight ADS-B track rejects it); it
        must not start a second track of the aircraft. A drone closer than that to a cooperative aircraft would
        wait until it separates, the price of one track per cooperative aircraft."""
        cfg = self.cfg
        ci = np.flatnonzero(self.coop & self.confirmed)
        if ci.size == 0 or pos.shape[0] == 0:
            return np.zeros(pos.shape[0], dtype=bool)
        xc, _ = self.combined(ci)
        tm = float(np.max(t))
        ext = xc[:, :3] + xc[:, 3:] * (tm - self.t[ci])[:, None]
        sdm = cKDTree(pos[:, :2]).sparse_distance_matrix(cKDTree(ext[:, :2]), cfg.coop_init_h_m, output_type="ndarray")
        out = np.zeros(pos.shape[0], dtype=bool)
        if sdm.size:
            i, j = sdm["i"].astype(np.int64), sdm["j"].astype(np.int64)
            ok = np.abs(pos[i, 2] - ext[j, 2]) < cfg.coop_init_dz_m + 3.0 * sig_z[i]
            out[i[ok]] = True
        return out

    def _shadows_coop(self, cand: BoolArray) -> BoolArray:
        """Tentative tracks about to be confirmed that fly with a cooperative track: horizontally within
        ``coop_shadow_h_m`` of it, horizontal velocities within ``coop_shadow_dv_mps`` (a tentative track's velocity
        is rough). They are the aircraft seen by
        sensors its ADS-B track rejects; confirmed, they would live beside it and raise alerts of their own."""
        cfg = self.cfg
        ci = np.flatnonzero(self.coop & self.confirmed)
        ti = np.flatnonzero(cand)
        out = np.zeros(self.id.size, dtype=bool)
        if ci.size == 0 or ti.size == 0:
            return out
        xa, _ = self.combined(ci)
        xb, _ = self.combined(ti)
        tm = float(np.max(self.t))
        pa = xa[:, :2] + xa[:, 3:5] * (tm - self.t[ci])[:, None]
        pb = xb[:, :2] + xb[:, 3:5] * (tm - self.t[ti])[:, None]
        sdm = cKDTree(pb).sparse_distance_matrix(cKDTree(pa), cfg.coop_shadow_h_m, output_type="ndarray")
        if sdm.size:
            i, j = sdm["i"].astype(np.int64), sdm["j"].astype(np.int64)
            ok = np.hypot(*(xb[i, 3:5] - xa[j, 3:5]).T) < cfg.coop_shadow_dv_mps
            out[ti[i[ok]]] = True
        return out

    def _initiate_adsb(self, g: _Group, f: IntArray) -> None:
        """Unassigned ADS-B reports: one track per identity (the latest report of each icao in the frame). An icao
        a live track holds (its report failed the gate: a jump after a gap in its messages) re-anchors that track
        at the reported position; a known icao whose track has died starts a track under its old id; a new icao
        a new confirmed cooperative track."""
        b = g.batch
        latest: dict[str, int] = {}
        for k in f.tolist():
            ic = self._adsb_icao[int(g.rid[k])]
            if ic not in latest or g.t[k] >= g.t[latest[ic]]:
                latest[ic] = k
        live = {ic: i for i, ic in enumerate(self.icao) if ic is not None}
        fresh: list[int] = []
        for ic, k in latest.items():
            i = live.get(ic)
            if i is None:
                fresh.append(k)
                continue
            # re-anchor: position from the report, velocity kept but loosened, every mode alike
            self.x[i, :, :3] = b.z[k]
            self.p[i] = 0.0
            self.p[i, :, :3, :3] = b.r[k]
            self.p[i, :, 3:, 3:] = np.eye(3) * 50.0**2
            self.t[i] = g.t[k]
            self.t_last[i] = max(self.t_last[i], g.t[k])
            self.upd[i] = self.generation
            self.hits[i] += 1
            self.seen[i, g.sensor[k]] = True
        if not fresh:
            return
        fr = np.array(fresh, dtype=np.int64)
        x = np.zeros((fr.size, 6))
        x[:, :3] = b.z[fr]
        p = np.zeros((fr.size, 6, 6))
        p[:, :3, :3] = b.r[fr]
        p[:, 3:, 3:] = np.eye(3) * 50.0**2
        new = self._append(x, p, g.t[fr], born=2, confirmed=True, sensors=list(g.sensor[fr, None]))
        self.coop[new] = True
        for i, k in zip(new.tolist(), fr.tolist(), strict=True):
            ic = self._adsb_icao[int(g.rid[k])]
            self.icao[i] = ic
            old_id = self._icao_id.get(ic)
            if old_id is not None and not (self.id == old_id).any():
                self.id[i] = old_id  # the identity's track, back after a gap in its messages
            self._icao_id[ic] = int(self.id[i])

    def _manage(self, tf: float) -> None:
        cfg = self.cfg
        if self.id.size == 0:
            return
        can = ~self.confirmed & (self.hits >= np.where(self.born == 1, cfg.confirm_hits_bearing, cfg.confirm_hits))
        bearing_born = np.flatnonzero(can & (self.born == 1))  # these need enough distinct nodes
        can[bearing_born] = self.seen[bearing_born].sum(axis=1) >= cfg.confirm_min_sensors_bearing
        shadow = np.zeros(self.id.size, dtype=bool)
        if can.any() and self.coop.any():
            shadow = self._shadows_coop(can)
            can &= ~shadow
        if can.any():
            self.confirmed |= can
            self.upd[can] = self.generation
            self.summary.tracks_confirmed += int(can.sum())
            replaced = self._stitch(np.flatnonzero(can), tf)
        else:
            replaced = np.zeros(0, dtype=np.int64)
        xc, pc = self.combined()
        sig = np.sqrt(np.trace(pc[:, :2, :2], axis1=1, axis2=2))
        # coast floor by sensor mix: acoustic support has gaps between nodes (8 s); tracks only ever updated by
        # radar / ADS-B are carried by their own update interval (4 intervals) down to a 3 s floor
        acoustic = (self.seen & self._acoustic_site).any(axis=1)
        floor = np.where(acoustic, cfg.coast_min_s, cfg.coast_min_radar_s)
        stale = tf - self.t_last
        coast = np.minimum(cfg.coast_s, np.maximum(floor, cfg.coast_intervals * self.dt_upd))
        coast = np.where(self.coop, cfg.coast_coop_s, coast)  # an identity coasts through gaps in its messages
        drop = np.where(
            self.confirmed,
            stale > coast,
            (stale > cfg.tentative_coast_s) | (tf - self.t_init > cfg.confirm_window_s),
        ) | (sig > cfg.max_pos_sigma_m)
        # a track whose state went non-finite (numerically, from an extreme but accepted report) is dropped
        finite = np.isfinite(xc).all(axis=1) & np.isfinite(pc.reshape(len(xc), -1)).all(axis=1)
        drop |= ~finite
        keep = ~drop & ~shadow  # a tentative track that shadows a cooperative aircraft is that aircraft: dropped
        keep[replaced] = False  # coasting tracks whose identity a newly confirmed track took over
        drop[replaced] = False  # (not dead: their id lives on)
        # merge duplicates: tracks whose position and velocity agree within their joint uncertainty (the same
        # target started twice, e.g. by two radars in one frame); keep the one with more support. Two confirmed
        # tracks that share one target's bearings each take a share of the nodes and sit on either side of it
        # with over-tight velocities, so the 6-D test alone lets them live side by side for minutes: confirmed
        # pairs whose positions agree (3-D test) with horizontal velocities within ``merge_dv_mps`` for
        # ``merge_persist_s`` are merged too (crossing targets fail the velocity test, passing ones the time)
        dup_since: dict[tuple[int, int], float] = {}
        if self.id.size > 1:
            ext = xc[:, :3] + xc[:, 3:] * (tf - self.t)[:, None]
            far = 1e15 + 1e7 * np.arange(len(ext), dtype=float)[:, None]  # non-finite rows: far apart, no pairs
            ext = np.where(np.isfinite(ext), ext, far)
            pr = cKDTree(ext).query_pairs(cfg.merge_m, output_type="ndarray")
            if pr.size:
                i, j = pr[:, 0], pr[:, 1]
                dx = np.concatenate([ext[i] - ext[j], xc[i, 3:] - xc[j, 3:]], axis=1)
                pj = pc[i] + pc[j]
                d2 = mahalanobis2(dx, pj)
                same = d2 < cfg.merge_d2
                both = self.confirmed[i] & self.confirmed[j] & ~same
                if both.any():
                    d2p = mahalanobis2(dx[both, :3], pj[both, :3, :3])
                    dvh = np.hypot(dx[both, 3], dx[both, 4])
                    ib, jb = i[both], j[both]
                    loose = (d2p < cfg.merge_pos_d2) & (dvh < cfg.merge_dv_mps)
                    # a cooperative track knows where its aircraft is (ADS-B, ~10 m): a non-cooperative track that
                    # sits on it horizontally and flies with it is the same aircraft even when its altitude is off
                    # (radar elevation at range and acoustic elevations give altitudes 100 m out, so the 3-D test
                    # fails and the duplicate lives on beside the identity)
                    one_coop = self.coop[ib] != self.coop[jb]
                    if one_coop.any():
                        d2h = mahalanobis2(dx[both, :2], pj[both, :2, :2])
                        near_h = (d2h < cfg.merge_coop_h_d2) | (np.hypot(dx[both, 0], dx[both, 1]) < cfg.merge_coop_h_m)
                        loose |= one_coop & near_h & (np.abs(dx[both, 2]) < cfg.merge_coop_dz_m)
                        loose &= dvh < cfg.merge_dv_mps
                    ids = self.id
                    wb = np.flatnonzero(both)
                    for k in np.flatnonzero(loose).tolist():
                        key = (int(ids[ib[k]]), int(ids[jb[k]]))
                        since = self._dup_since.get(key, tf)
                        dup_since[key] = since
                        if tf - since >= cfg.merge_persist_s:
                            same[wb[k]] = True
                for a, b in zip(i[same], j[same], strict=True):
                    if not (keep[a] and keep[b]):
                        continue
                    if self.icao[a] is not None and self.icao[b] is not None and self.icao[a] != self.icao[b]:
                        continue  # two aircraft (formation, crossing): identities never merge
                    sa = (self.confirmed[a], self.coop[a], self.hits[a], -self.id[a])
                    sb = (self.confirmed[b], self.coop[b], self.hits[b], -self.id[b])
                    loser, winner = (b, a) if sa >= sb else (a, b)
                    keep[loser] = False
                    self.seen[winner] |= self.seen[loser]
                    if self.icao[winner] is None and self.icao[loser] is not None:
                        self.icao[winner] = self.icao[loser]
                        self.coop[winner] = True
                        self._icao_id[self.icao[loser]] = int(self.id[winner])
        self._dup_since = dup_since
        dead = drop & self.confirmed & ~self.coop
        if dead.any():
            self._dead_id = np.concatenate([self._dead_id, self.id[dead]])
            self._dead_x = np.concatenate([self._dead_x, xc[dead]])
            self._dead_p = np.concatenate([self._dead_p, pc[dead]])
            self._dead_t = np.concatenate([self._dead_t, self.t[dead]])
            self._dead_seen = np.concatenate([self._dead_seen, self.seen[dead]])
            self._dead_ev = np.concatenate([self._dead_ev, self.evidence[dead]])
        self._keep(keep)

    def _stitch(self, new: IntArray, tf: float) -> IntArray:
        """Give newly confirmed tracks the identity of a recently deleted confirmed track, or of a confirmed track
        that is still coasting (no report for ``stitch_stale_s``), whose prediction agrees with them (position +
        velocity Mahalanobis gate, CV prediction with extra process noise): a target that faded for a while, or
        whose reports stopped fitting its old track (a manoeuvre, a radar's blind cone), keeps its track id.
        One-to-one by ``linear_sum_assignment`` on d². Returns the coasting tracks so replaced (to be removed)."""
        cfg = self.cfg
        none = np.zeros(0, dtype=np.int64)
        old = self._dead_t >= tf - cfg.stitch_window_s
        if not old.all():
            self._dead_id, self._dead_x, self._dead_p = self._dead_id[old], self._dead_x[old], self._dead_p[old]
            self._dead_t, self._dead_seen, self._dead_ev = self._dead_t[old], self._dead_seen[old], self._dead_ev[old]
        coast = self.confirmed & ~self.coop & (tf - self.t_last > cfg.stitch_stale_s)
        coast[new] = False
        live = np.flatnonzero(coast)
        nd = self._dead_id.size
        if (nd == 0 and live.size == 0) or new.size == 0:
            return none
        xl, pl = self.combined(live)
        c_id = np.concatenate([self._dead_id, self.id[live]])
        c_x = np.concatenate([self._dead_x, xl])
        c_p = np.concatenate([self._dead_p, pl])
        c_t = np.concatenate([self._dead_t, self.t[live]])
        nc = c_id.size
        xn, pn = self.combined(new)
        ii = np.repeat(np.arange(new.size), nc)
        jj = np.tile(np.arange(nc), new.size)
        dt = self.t[new][ii] - c_t[jj]
        ok = dt > 0
        ii, jj, dt = ii[ok], jj[ok], dt[ok]
        if ii.size == 0:
            return none
        xd, pd = predict_cv(c_x[jj], c_p[jj], dt, cfg.stitch_q, 0.1 * cfg.stitch_q)
        dx = xn[ii] - xd
        near = np.linalg.norm(dx[:, :3], axis=1) < 3.0 * np.sqrt(np.trace(pd[:, :3, :3], axis1=1, axis2=2)) + 1000.0
        ii, jj, dx, pd = ii[near], jj[near], dx[near], pd[near]
        if ii.size == 0:
            return none
        d2 = mahalanobis2(dx, pd + pn[ii])
        g = d2 < cfg.stitch_d2
        if not g.any():
            return none
        ii, jj, d2 = ii[g], jj[g], d2[g]
        cost = np.full((new.size, nc), 1e9)
        cost[ii, jj] = d2
        r, c = linear_sum_assignment(cost)
        m = cost[r, c] < cfg.stitch_d2
        r, c = r[m], c[m]
        if r.size == 0:
            return none
        trk = new[r]
        self.id[trk] = c_id[c]
        is_dead = c < nd
        cd = c[is_dead]
        cl: IntArray = live[c[~is_dead] - nd]
        if cd.size:
            self.seen[trk[is_dead]] |= self._dead_seen[cd]
            self.evidence[trk[is_dead]] += self._dead_ev[cd]
            keep = np.ones(nd, dtype=bool)
            keep[cd] = False
            self._dead_id, self._dead_x, self._dead_p = self._dead_id[keep], self._dead_x[keep], self._dead_p[keep]
            self._dead_t, self._dead_seen = self._dead_t[keep], self._dead_seen[keep]
            self._dead_ev = self._dead_ev[keep]
        if cl.size:
            self.seen[trk[~is_dead]] |= self.seen[cl]
            self.evidence[trk[~is_dead]] += self.evidence[cl]
        return cl


def run_tracker(
    reports: Iterable[Report],
    sensors: Sequence[SensorSite],
    *,
    config: TrackerConfig | None = None,
    emit_interval_s: float = 1.0,
) -> Iterator[TrackEstimate | TrackerSummary]:
    """Track a reception-ordered report stream; yields confirmed tracks at every multiple of the emit interval
    (using only reports received by then) and, last, the :class:`TrackerSummary`."""
    trk = Tracker(sensors, config)
    next_emit: float | None = None
    for r in reports:
        reason = trk.check(r)
        if reason is not None:
            trk.summary.rejected[reason] += 1
            continue
        if next_emit is None:
            next_emit = np.floor(r.t / emit_interval_s) * emit_interval_s + emit_interval_s
        while r.t >= next_emit:
            yield from trk.estimates(next_emit)
            next_emit += emit_interval_s
        trk.feed(r)
    if next_emit is not None:
        yield from trk.estimates(next_emit)
    yield trk.summary
