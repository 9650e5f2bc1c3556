"""Tracking metrics: GOSPA (with its localisation / missed / false parts), ID switches, time to a confirmed track
and position RMSE.

GOSPA follows Rahmathullah, García-Fernández & Svensson (2017) with α = 2, as Stone Soup's ``GOSPAMetric``:
``d = (Σ_assigned min(d, c)^p + c^p/2 · (#missed + #false))^(1/p)``; the parts are the un-rooted sums.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Gospa:
    distance: float
    localisation: float
    missed: float
    false: float
    assignment: tuple[tuple[int, int], ...]  # (truth row, estimate row) with distance < c


def gospa(truth: FloatArray, est: FloatArray, *, c: float = 500.0, p: float = 2.0) -> Gospa:
    """GOSPA (α = 2) between truth points (m, d) and estimated points (n, d), metres.

    >>> g = gospa(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [1000.0, 0.0]]))
    >>> round(g.distance, 3), g.localisation, g.false
    (353.589, 25.0, 125000.0)
    """
    m, n = truth.shape[0], est.shape[0]
    dummy = c**p / 2.0
    if m == 0 or n == 0:
        miss, fal = m * dummy, n * dummy
        return Gospa(float((miss + fal) ** (1 / p)), 0.0, float(miss), float(fal), ())
    d = np.linalg.norm(truth[:, None, :] - est[None, :, :], axis=2)
    cost = np.minimum(d, c) ** p
    ri, ci = linear_sum_assignment(cost)
    ok = d[ri, ci] < c
    k = int(ok.sum())
    loc = float(np.sum(d[ri[ok], ci[ok]] ** p))
    miss = (m - k) * dummy
    fal = (n - k) * dummy
    pairs = tuple((int(a), int(b)) for a, b in zip(ri[ok], ci[ok], strict=True))
    return Gospa(float((loc + miss + fal) ** (1 / p)), loc, float(miss), float(fal), pairs)


@dataclass(frozen=True, slots=True)
class Evaluation:
    times: int
    gospa_mean_m: float
    gospa_localisation_mean_m2: float
    gospa_missed_mean_m2: float
    gospa_false_mean_m2: float
    id_switches: int
    id_switches_per_target: float
    targets: int
    targets_tracked: int
    time_to_track_s: dict[str, float | None]
    time_to_track_mean_s: float | None
    position_rmse_m: float | None

    def to_dict(self) -> dict[str, object]:
        return {
            "times": self.times,
            "gospa": {
                "p": 2,
                "c_m": 500.0,
                "alpha": 2,
                "mean_m": round(self.gospa_mean_m, 3),
                "localisation_mean_m2": round(self.gospa_localisation_mean_m2, 1),
                "missed_mean_m2": round(self.gospa_missed_mean_m2, 1),
                "false_mean_m2": round(self.gospa_false_mean_m2, 1),
            },
            "id_switches": self.id_switches,
            "id_switches_per_target": round(self.id_switches_per_target, 4),
            "targets": self.targets,
            "targets_tracked": self.targets_tracked,
            "time_to_track_mean_s": None if self.time_to_track_mean_s is None else round(self.time_to_track_mean_s, 2),
            "time_to_track_s": {k: (None if v is None else round(v, 2)) for k, v in self.time_to_track_s.items()},
            "position_rmse_m": None if self.position_rmse_m is None else round(self.position_rmse_m, 2),
        }


def evaluate(
    *,
    times: FloatArray,
    truth_t: FloatArray,
    truth_id: list[str],
    truth_pos: FloatArray,
    est_t: FloatArray,
    est_id: list[str],
    est_pos: FloatArray,
    detectable_from: Mapping[str, float] | None = None,
    c: float = 500.0,
) -> Evaluation:
    """Score estimates against truth at ``times`` (s). Rows are matched by time rounded to the millisecond.

    ID switches count, per target, the times its GOSPA-assigned track differs from the previously assigned one.
    Time to track is the first time a target is assigned minus the first time it is detectable
    (``detectable_from``, default: its first truth time).
    """
    tk = np.round(truth_t * 1000).astype(np.int64)
    ek = np.round(est_t * 1000).astype(np.int64)
    t_order, e_order = np.argsort(tk, kind="stable"), np.argsort(ek, kind="stable")
    tks, eks = tk[t_order], ek[e_order]
    first_seen: dict[str, float] = {}
    for tid, tt in zip(truth_id, truth_t, strict=True):
        first_seen[tid] = min(first_seen.get(tid, np.inf), float(tt))
    det = dict(first_seen)
    if detectable_from:
        det.update({k: v for k, v in detectable_from.items() if k in det})
    last_track: dict[str, str] = {}
    first_track: dict[str, float] = {}
    switches = 0
    g_d, g_l, g_m, g_f = [], [], [], []
    sq: list[float] = []
    for t in times:
        key = round(float(t) * 1000)
        a0, a1 = np.searchsorted(tks, key), np.searchsorted(tks, key, side="right")
        b0, b1 = np.searchsorted(eks, key), np.searchsorted(eks, key, side="right")
        tr, er = t_order[a0:a1], e_order[b0:b1]
        g = gospa(truth_pos[tr], est_pos[er], c=c)
        g_d.append(g.distance)
        g_l.append(g.localisation)
        g_m.append(g.missed)
        g_f.append(g.false)
        for i, j in g.assignment:
            tid, eid = truth_id[int(tr[i])], est_id[int(er[j])]
            prev = last_track.get(tid)
            if prev is not None and prev != eid:
                switches += 1
            last_track[tid] = eid
            first_track.setdefault(tid, float(t))
            sq.append(float(np.sum((truth_pos[tr[i]] - est_pos[er[j]]) ** 2)))
    ttt: dict[str, float | None] = {}
    for tid in sorted(first_seen):
        ttt[tid] = None if tid not in first_track else max(0.0, first_track[tid] - det[tid])
    vals = [v for v in ttt.values() if v is not None]
    n_t = len(first_seen)
    return Evaluation(
        times=len(times),
        gospa_mean_m=float(np.mean(g_d)) if g_d else 0.0,
        gospa_localisation_mean_m2=float(np.mean(g_l)) if g_l else 0.0,
        gospa_missed_mean_m2=float(np.mean(g_m)) if g_m else 0.0,
        gospa_false_mean_m2=float(np.mean(g_f)) if g_f else 0.0,
        id_switches=switches,
        id_switches_per_target=switches / n_t if n_t else 0.0,
        targets=n_t,
        targets_tracked=len(first_track),
        time_to_track_s=ttt,
        time_to_track_mean_s=float(np.mean(vals)) if vals else None,
        position_rmse_m=float(np.sqrt(np.mean(sq))) if sq else None,
    )
