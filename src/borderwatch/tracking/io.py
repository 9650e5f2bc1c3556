"""tracks.jsonl writing/reading and evaluation of a run folder (truth.jsonl + tracks.jsonl [+ sensors.json]).

Readers never stop on a bad line: it is rejected with a counted reason naming the field.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from borderwatch.errors import InputError
from borderwatch.geo.frames import LocalFrame
from borderwatch.interop.jsonl import iter_objects
from borderwatch.sensors.reports import SensorSite
from borderwatch.sim.truth import TruthTable
from borderwatch.tracking.metrics import Evaluation, evaluate, siap
from borderwatch.tracking.tracker import TrackEstimate

FloatArray = NDArray[np.float64]

_NUM3 = {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3}

TRACK_LINE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "tracks.jsonl line",
    "type": "object",
    "required": ["t", "track", "lat", "lon", "alt_m", "vel_enu_mps", "cov_pos_enu_m2", "status", "class", "sensors",
                 "cooperative"],
    "properties": {
        "t": {"type": "number", "description": "UTC epoch seconds, a multiple of the emit interval"},
        "track": {"type": "string", "description": "track id, stable for the track's life: T<nnnnnn>"},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "alt_m": {"type": "number", "description": "height above the WGS84 ellipsoid, m"},
        "vel_enu_mps": {**_NUM3, "description": "velocity east, north, up at the track position, m/s"},
        "cov_pos_enu_m2": {"type": "array", "items": _NUM3, "minItems": 3, "maxItems": 3,
                           "description": "position covariance in the ENU axes at the track, m²"},
        "status": {"enum": ["confirmed", "coasting"], "description": "coasting: no update for more than 3 s"},
        "class": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
                  "description": "class probabilities (classes above 1 %, at most four)"},
        "sensors": {"type": "array", "items": {"type": "string"}, "description": "ids of sensors that updated it"},
        "cooperative": {"type": "boolean", "description": "matched an ADS-B aircraft"},
        "icao": {"type": "string", "pattern": "^[0-9a-f]{6}$"},
        "quality": {"type": "number", "minimum": 0, "maximum": 1,
                    "description": "track quality: support (hits) times freshness"},
    },
    "additionalProperties": False,
}  # fmt: skip

EVALUATION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "evaluation.json",
    "type": "object",
    "required": ["times", "gospa", "id_switches", "id_switches_per_target", "targets", "targets_tracked",
                 "time_to_track_mean_s", "time_to_track_s", "position_rmse_m"],
    "properties": {
        "times": {"type": "integer", "description": "truth times scored"},
        "gospa": {
            "type": "object",
            "required": ["p", "c_m", "alpha", "mean_m", "localisation_mean_m2", "missed_mean_m2", "false_mean_m2"],
            "properties": {
                "p": {"const": 2}, "c_m": {"const": 500.0}, "alpha": {"const": 2},
                "mean_m": {"type": "number"}, "localisation_mean_m2": {"type": "number"},
                "missed_mean_m2": {"type": "number"}, "false_mean_m2": {"type": "number"},
            },
        },
        "id_switches": {"type": "integer"},
        "id_switches_per_target": {"type": "number"},
        "targets": {"type": "integer"},
        "targets_tracked": {"type": "integer"},
        "time_to_track_mean_s": {"type": ["number", "null"]},
        "time_to_track_s": {"type": "object", "additionalProperties": {"type": ["number", "null"]},
                            "description": "per target: first assigned confirmed track − first detectable time"},
        "position_rmse_m": {"type": ["number", "null"]},
        "rejected_track_lines": {"type": "object", "additionalProperties": {"type": "integer"}},
        "siap": {
            "type": "object",
            "description": "SIAP measures over track-to-truth associations (Stone Soup's TrackToTruth rules)",
            "required": ["completeness", "ambiguity", "spuriousness", "position_accuracy_m",
                         "rate_of_track_number_change_per_s", "longest_track_segment", "associations", "association"],
            "properties": {
                "completeness": {"type": "number", "minimum": 0},
                "completeness_localisable": {"type": ["number", "null"], "minimum": 0,
                                             "description": "completeness over truth rows a sensor mix could "
                                                            "localise (nominal ranges; null without sensors)"},
                "ambiguity": {"type": "number", "minimum": 0},
                "spuriousness": {"type": "number", "minimum": 0, "maximum": 1},
                "position_accuracy_m": {"type": "number", "minimum": 0},
                "rate_of_track_number_change_per_s": {"type": "number", "minimum": 0},
                "longest_track_segment": {"type": "number", "minimum": 0},
                "associations": {"type": "integer"},
                "association": {"type": "object"},
            },
        },
    },
    "additionalProperties": False,
}  # fmt: skip

#: default detection ranges (m) by sensor type when a site has no ``range_m``: assumption
DEFAULT_RANGE_M = {"acoustic": 3000.0, "radar": 40000.0, "adsb": 250000.0}


def write_tracks(estimates: Iterable[TrackEstimate], out: IO[str]) -> int:
    n = 0
    for e in estimates:
        out.write(json.dumps(e.to_dict(), ensure_ascii=False))
        out.write("\n")
        n += 1
    return n


@dataclass(slots=True)
class TrackTable:
    """Columnar tracks.jsonl: ``t``, ``track`` ids, ``lat``/``lon``/``alt`` (deg, deg, m HAE)."""

    t: FloatArray
    track: list[str]
    lat: FloatArray
    lon: FloatArray
    alt: FloatArray
    rejected: Counter[str] = field(default_factory=Counter)


def read_tracks(path: Path | str) -> TrackTable:
    """Read tracks.jsonl (t, track, position); bad lines are rejected with a counted reason and skipped."""
    cols: dict[str, list[Any]] = {k: [] for k in ("t", "track", "lat", "lon", "alt")}
    rej: Counter[str] = Counter()
    for d in iter_objects(path, rej):
        bad = None
        for k in ("t", "lat", "lon", "alt_m"):
            v = d.get(k)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
                bad = f"{k}: missing or not a finite number"
                break
        if bad is None and (not isinstance(d.get("track"), str) or not d["track"]):
            bad = "track: missing"
        if bad:
            rej[bad] += 1
            continue
        cols["t"].append(float(d["t"]))
        cols["track"].append(d["track"])
        cols["lat"].append(float(d["lat"]))
        cols["lon"].append(float(d["lon"]))
        cols["alt"].append(float(d["alt_m"]))
    return TrackTable(
        np.array(cols["t"]), cols["track"], np.array(cols["lat"]), np.array(cols["lon"]), np.array(cols["alt"]), rej
    )


def detectable_from(truth: TruthTable, sensors: Sequence[SensorSite], frame: LocalFrame) -> dict[str, float]:
    """First truth time each target is within range of a sensor that could see it (ADS-B: cooperative only)."""
    e, n, u = frame.to_enu(truth.lat, truth.lon, truth.alt)
    pos = np.stack([e, n, u], -1).reshape(-1, 3)
    seen = np.zeros(len(truth), dtype=bool)
    coop = (
        np.array([ti.cooperative for ti in truth.targets], dtype=bool)[truth.idx] if len(truth) else np.zeros(0, bool)
    )
    for kind, rng_default in DEFAULT_RANGE_M.items():
        sites = [s for s in sensors if s.type == kind]
        if not sites:
            continue
        se, sn, su = frame.to_enu([s.lat for s in sites], [s.lon for s in sites], [s.alt_m for s in sites])
        spos = np.stack([np.atleast_1d(se), np.atleast_1d(sn), np.atleast_1d(su)], -1)
        rng = np.array([float(s.extra.get("range_m", rng_default)) for s in sites])
        sdm = cKDTree(pos).sparse_distance_matrix(cKDTree(spos), float(rng.max()), output_type="ndarray")
        ok = sdm["v"] <= rng[sdm["j"]]
        rows = sdm["i"][ok]
        if kind == "adsb":
            rows = rows[coop[rows]]
        seen[rows] = True
    out: dict[str, float] = {}
    for k in np.flatnonzero(seen)[np.argsort(truth.t[seen], kind="stable")]:
        out.setdefault(truth.targets[int(truth.idx[k])].id, float(truth.t[k]))
    return out


def evaluate_run(
    truth: TruthTable, tracks: TrackTable, sensors: Sequence[SensorSite] | None = None, *, c: float = 500.0
) -> Evaluation:
    """Score tracks against truth at every truth time inside the tracks' time span (all truth times if none)."""
    if len(truth) == 0:
        raise InputError("truth has no rows", field="truth")
    frame = LocalFrame(float(np.mean(truth.lat)), float(np.mean(truth.lon)), 0.0)
    te, tn, tu = frame.to_enu(truth.lat, truth.lon, truth.alt)
    tpos = np.stack([te, tn, tu], -1).reshape(-1, 3)
    if tracks.t.size:
        ee, en, eu = frame.to_enu(tracks.lat, tracks.lon, tracks.alt)
        epos = np.stack([ee, en, eu], -1).reshape(-1, 3)
        emit = np.unique(np.round(tracks.t, 3))
        times = np.unique(truth.t[(truth.t >= emit.min()) & (truth.t <= emit.max())])
    else:
        epos = np.zeros((0, 3))
        times = np.unique(truth.t)
    ids = [truth.targets[int(i)].id for i in truth.idx]
    det = detectable_from(truth, sensors, frame) if sensors else None
    ev = evaluate(
        times=times,
        truth_t=truth.t,
        truth_id=ids,
        truth_pos=tpos,
        est_t=tracks.t,
        est_id=tracks.track,
        est_pos=epos,
        detectable_from=det,
        c=c,
    )
    if times.size == 0:
        return ev
    # SIAP counts tracks and truths per time, so it is scored at the emit times (truth times that are multiples of
    # the emit interval inside the output span): truth rows between two emits would count as tracked by the ranges
    # of their associations with no track state there
    tk = np.round(truth.t * 1000).astype(np.int64)
    ek = np.unique(np.round(tracks.t * 1000).astype(np.int64))
    step = int(np.diff(ek).min()) if ek.size > 1 else 1
    win = (tk >= ek[0]) & (tk <= ek[-1]) & ((tk - ek[0]) % max(step, 1) == 0) if ek.size else tk < tk.min()
    if not win.any():
        return ev
    loc = localisable_rows(truth, sensors, frame)[win] if sensors else None
    sp = siap(
        truth_t=truth.t[win], truth_id=[i for i, w in zip(ids, win.tolist(), strict=True) if w],
        truth_pos=tpos[win], est_t=tracks.t, est_id=tracks.track, est_pos=epos, localisable=loc, threshold=c,
    )  # fmt: skip
    return replace(ev, siap=sp)


#: effective Earth radius factor for the radar horizon (standard refraction): assumption
_K_EARTH = 4.0 / 3.0


def localisable_rows(truth: TruthTable, sensors: Sequence[SensorSite], frame: LocalFrame) -> NDArray[np.bool_]:
    """Truth rows a sensor mix could localise on its own, by nominal geometry: within a radar's range
    (``instrumented_range_m`` or ``range_m`` of the site, else the default) and above its 4/3-Earth horizon, or
    within ``range_m`` (default 3 km) of two acoustic nodes or more (one bearing does not fix a point), or a
    cooperative target within an ADS-B receiver's range. Detection probability, terrain and the acoustic level of
    the class are ignored: this is the denominator of ``completeness_localisable``, an upper bound on what a
    tracker can cover."""
    e, n, u = frame.to_enu(truth.lat, truth.lon, truth.alt)
    pos = np.stack([np.atleast_1d(e), np.atleast_1d(n), np.atleast_1d(u)], -1).reshape(-1, 3)
    out = np.zeros(len(truth), dtype=bool)
    if len(truth) == 0:
        return out
    coop = np.array([ti.cooperative for ti in truth.targets], dtype=bool)[truth.idx]
    r_earth = 6_371_000.0 * _K_EARTH
    n_ac = np.zeros(len(truth), dtype=np.int64)
    for s in sensors:
        se, sn, su = (float(np.atleast_1d(v)[0]) for v in frame.to_enu([s.lat], [s.lon], [s.alt_m]))
        d = np.linalg.norm(pos - np.array([se, sn, su]), axis=1)
        rng = float(s.extra.get("instrumented_range_m", s.extra.get("range_m", DEFAULT_RANGE_M[s.type])))
        if s.type == "radar":
            h_ant = max(float(s.extra.get("height_agl_m", 0.0)), 0.0)
            h_tgt = np.maximum(truth.alt - (s.alt_m - h_ant), 0.0)
            horizon = np.sqrt(2 * r_earth * h_ant) + np.sqrt(2 * r_earth * h_tgt)
            out |= (d <= rng) & (d <= horizon)
        elif s.type == "acoustic":
            n_ac += d <= rng
        else:
            out |= (d <= rng) & coop
    out |= n_ac >= 2
    return out
