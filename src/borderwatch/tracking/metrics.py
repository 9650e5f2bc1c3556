"""Tracking metrics: GOSPA (with its localisation / missed / false parts), ID switches, time to a confirmed track,
position RMSE, and the SIAP picture-quality measures (completeness, ambiguity, spuriousness, positional accuracy,
rate of track-number change, longest track segment) over Stone Soup's track-to-truth associations.

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
    siap: Siap | None = None

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {
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
        if self.siap is not None:
            d["siap"] = self.siap.to_dict()
        return d


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


@dataclass(frozen=True, slots=True)
class Siap:
    """SIAP picture-quality measures over a run (Votruba et al. 2001, as Stone Soup's ``SIAPMetrics``).

    ``completeness`` Σ JT / Σ J (truths with an associated track / truths), ``ambiguity`` Σ NA / Σ JT (associated
    tracks per tracked truth), ``spuriousness`` Σ (N − NA) / Σ N (tracks associated to no truth / tracks),
    ``position_accuracy_m`` Σ PA / Σ NA (mean 3-D distance of associated track–truth pairs), ``rate_of_track_number
    _change_per_s`` Σ (NU − 1) / Σ TT (extra track numbers needed per second tracked), ``longest_track_segment``
    Σ TL / Σ T (longest single-track association per truth lifetime); sums over the scored times and truths.
    ``completeness_localisable`` is the completeness over the truth rows flagged localisable (None if no mask)."""

    completeness: float
    ambiguity: float
    spuriousness: float
    position_accuracy_m: float
    rate_of_track_number_change_per_s: float
    longest_track_segment: float
    completeness_localisable: float | None
    associations: int
    threshold_m: float
    consec_pairs_confirm: int
    consec_misses_end: int

    def to_dict(self) -> dict[str, object]:
        return {
            "completeness": round(self.completeness, 4),
            "completeness_localisable": None
            if self.completeness_localisable is None
            else round(self.completeness_localisable, 4),
            "ambiguity": round(self.ambiguity, 4),
            "spuriousness": round(self.spuriousness, 4),
            "position_accuracy_m": round(self.position_accuracy_m, 2),
            "rate_of_track_number_change_per_s": round(self.rate_of_track_number_change_per_s, 6),
            "longest_track_segment": round(self.longest_track_segment, 4),
            "associations": self.associations,
            "association": {
                "threshold_m": self.threshold_m,
                "consec_pairs_confirm": self.consec_pairs_confirm,
                "consec_misses_end": self.consec_misses_end,
            },
        }


def track_to_truth(
    *,
    truth_key: IntArray,
    truth_idx: IntArray,
    truth_pos: FloatArray,
    est_key: IntArray,
    est_idx: IntArray,
    est_pos: FloatArray,
    threshold: float = 500.0,
    consec_pairs_confirm: int = 3,
    consec_misses_end: int = 2,
) -> tuple[list[tuple[int, int, int, int]], FloatArray]:
    """Track-to-truth associations over time, as Stone Soup's ``TrackToTruth``: at each of its states a track's
    candidate is the nearest truth with a state at that exact time and closer than ``threshold``; a candidate
    held for ``consec_pairs_confirm`` consecutive states starts an association (from the first of them), and
    ``consec_misses_end`` consecutive states with another (or no) candidate end it at the last matching state.
    A track belongs to at most one truth at a time; a truth may hold several tracks.

    Times are integer keys (ms); ``*_idx`` number the truths / tracks. Returns (track, truth, start key, end key)
    per association (inclusive) and, per estimate row, the distance to its row's nearest truth (inf if none)."""
    near = np.full(est_key.size, -1, dtype=np.int64)
    near_d = np.full(est_key.size, np.inf)
    t_order = np.argsort(truth_key, kind="stable")
    tks = truth_key[t_order]
    e_order = np.argsort(est_key, kind="stable")
    eks = est_key[e_order]
    bounds = np.flatnonzero(np.diff(eks)) + 1
    for rows in np.split(e_order, bounds) if eks.size else []:
        k = est_key[rows[0]]
        a0, a1 = np.searchsorted(tks, k), np.searchsorted(tks, k, side="right")
        if a1 == a0:
            continue
        tr = t_order[a0:a1]
        d = np.linalg.norm(est_pos[rows][:, None, :] - truth_pos[tr][None, :, :], axis=2)
        j = np.argmin(d, axis=1)
        dj = d[np.arange(rows.size), j]
        near_d[rows] = dj
        ok = dj < threshold
        near[rows[ok]] = truth_idx[tr[j[ok]]]
    assoc: list[tuple[int, int, int, int]] = []
    order = np.lexsort((est_key, est_idx))
    trk_s, key_s, near_s = est_idx[order].tolist(), est_key[order].tolist(), near[order].tolist()
    n = len(trk_s)
    i = 0
    while i < n:
        trk = trk_s[i]
        cur = pot = -1
        n_pot = n_fail = 0
        pot_start = start = end = 0
        while i < n and trk_s[i] == trk:
            k, m = key_s[i], near_s[i]
            if cur < 0:
                if m < 0:
                    n_pot, pot = 0, -1
                elif pot != m:
                    pot, n_pot, pot_start = m, 1, k
                else:
                    n_pot += 1
                if n_pot >= consec_pairs_confirm:
                    cur, start, end = m, pot_start, k
                    pot, n_pot = -1, 0
            else:
                if m == cur:
                    n_fail, end = 0, k
                else:
                    n_fail += 1
                    if m >= 0 and m == pot:
                        n_pot += 1
                    else:
                        pot, pot_start, n_pot = m, k, 1
                if n_fail >= consec_misses_end:
                    assoc.append((trk, cur, start, end))
                    if n_pot >= consec_pairs_confirm:
                        cur, start, end = pot, pot_start, k
                    else:
                        cur = -1
                    n_fail = 0
            i += 1
        if cur >= 0:
            assoc.append((trk, cur, start, end))
    return assoc, near_d


def siap(
    *,
    truth_t: FloatArray,
    truth_id: list[str],
    truth_pos: FloatArray,
    est_t: FloatArray,
    est_id: list[str],
    est_pos: FloatArray,
    localisable: NDArray[np.bool_] | None = None,
    threshold: float = 500.0,
    consec_pairs_confirm: int = 3,
    consec_misses_end: int = 2,
) -> Siap:
    """SIAP measures (see :class:`Siap`) of estimates against truth; rows matched by time rounded to the ms.
    Associations by :func:`track_to_truth`. The scored times are those of the truth and the estimates, as in Stone
    Soup (``MetricManager.list_timestamps``); pass rows of the scored window only.

    >>> s = siap(truth_t=np.array([0.0, 1, 2, 3]), truth_id=["a"] * 4, truth_pos=np.zeros((4, 3)),
    ...          est_t=np.array([0.0, 1, 2, 3]), est_id=["T1"] * 4, est_pos=np.full((4, 3), 10.0))
    >>> s.completeness, s.ambiguity, s.spuriousness, round(s.position_accuracy_m, 2), s.longest_track_segment
    (1.0, 1.0, 0.0, 17.32, 1.0)
    """
    tkey = np.round(np.asarray(truth_t) * 1000).astype(np.int64)
    ekey = np.round(np.asarray(est_t) * 1000).astype(np.int64)
    tnames, tidx = np.unique(np.array(truth_id, dtype=object), return_inverse=True)
    enames, eidx = np.unique(np.array(est_id, dtype=object), return_inverse=True)
    tidx, eidx = tidx.astype(np.int64), eidx.astype(np.int64)
    assoc, _ = track_to_truth(
        truth_key=tkey, truth_idx=tidx, truth_pos=truth_pos, est_key=ekey, est_idx=eidx, est_pos=est_pos,
        threshold=threshold, consec_pairs_confirm=consec_pairs_confirm, consec_misses_end=consec_misses_end,
    )  # fmt: skip
    keys = np.union1d(tkey, ekey)
    nk = keys.size
    ti = np.searchsorted(keys, tkey)
    ei = np.searchsorted(keys, ekey)
    # J(t): truths with a state at t; N(t): tracks with a state at t (distinct ids per time)
    j_t = np.zeros((nk, tnames.size), dtype=bool)
    j_t[ti, tidx] = True
    n_t = np.zeros((nk, enames.size), dtype=bool)
    n_t[ei, eidx] = True
    # positions by (time, id) for the accuracy of associated pairs
    tpos = {(int(a), int(b)): r for r, (a, b) in enumerate(zip(ti.tolist(), tidx.tolist(), strict=True))}
    epos = {(int(a), int(b)): r for r, (a, b) in enumerate(zip(ei.tolist(), eidx.tolist(), strict=True))}
    jt = np.zeros_like(j_t)
    na = np.zeros_like(n_t)
    pa_sum = 0.0
    for trk, tru, k0, k1 in assoc:
        s0, s1 = np.searchsorted(keys, k0), np.searchsorted(keys, k1, side="right")
        # only where the track has a state: a track number that resumes after a gap (an identity back after
        # silence) keeps its association across the gap, where Stone Soup would fail to find the track's state
        has = n_t[s0:s1, trk]
        jt[s0:s1, tru] |= has
        na[s0:s1, trk] |= has
        for s in range(s0, s1):
            a, b = epos.get((s, trk)), tpos.get((s, tru))
            if a is not None and b is not None:
                pa_sum += float(np.linalg.norm(est_pos[a] - truth_pos[b]))
    j_sum, jt_sum, n_sum, na_sum = int(j_t.sum()), int(jt.sum()), int(n_t.sum()), int(na.sum())
    comp_loc: float | None = None
    if localisable is not None:
        loc_t = np.zeros_like(j_t)
        loc_t[ti[localisable], tidx[localisable]] = True
        n_loc = int(loc_t.sum())
        comp_loc = float((jt & loc_t).sum() / n_loc) if n_loc else 0.0
    # continuity: per truth, its associations' time ranges (s)
    t_first = np.full(tnames.size, np.inf)
    t_last = np.full(tnames.size, -np.inf)
    np.minimum.at(t_first, tidx, tkey / 1000.0)
    np.maximum.at(t_last, tidx, tkey / 1000.0)
    # a (track, truth) pair's associations form one compound time range, as in Stone Soup's AssociationSet
    pairs: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for trk, tru, k0, k1 in assoc:
        pairs.setdefault((tru, trk), []).append((k0 / 1000.0, k1 / 1000.0))
    by_truth: dict[int, list[list[tuple[float, float]]]] = {}
    for (tru, _trk), rng in pairs.items():
        by_truth.setdefault(tru, []).append(sorted(rng))
    nu_sum = 0
    tt_sum = tl_sum = 0.0
    for tru, prs in by_truth.items():
        # longest track segment: the most time one track number held the truth
        tl_sum += max(sum(b - a for a, b in rng) for rng in prs)
        # total time tracked: measure of the union of all ranges inside the truth's life
        cl = sorted((max(a, t_first[tru]), min(b, t_last[tru])) for rng in prs for a, b in rng)
        cov, cur_a, cur_b = 0.0, cl[0][0], cl[0][1]
        for a, b in cl[1:]:
            if a > cur_b:
                cov += max(cur_b - cur_a, 0.0)
                cur_a, cur_b = a, b
            else:
                cur_b = max(cur_b, b)
        tt_sum += cov + max(cur_b - cur_a, 0.0)
        # fewest track numbers to follow the truth (Stone Soup's NU): walking the truth's times, take the pair
        # whose compound range ends last among those holding the current time, count it, jump past the end of
        # its sub-range holding that time
        prs.sort(key=lambda rng: rng[-1][1], reverse=True)
        own = np.unique(tkey[tidx == tru]) / 1000.0
        needed, pos = 0, 0
        while pos < own.size:
            t = own[pos]
            hit = next((ab for rng in prs for ab in rng if ab[0] <= t <= ab[1]), None)
            if hit is None:
                pos += 1
                continue
            needed += 1
            pos = max(int(np.searchsorted(own, hit[1], side="right")), pos + 1)
        nu_sum += needed - 1 if needed > 0 else 0
    life = float(np.sum(np.maximum(t_last - t_first, 0.0)))
    return Siap(
        completeness=jt_sum / j_sum if j_sum else 0.0,
        ambiguity=na_sum / jt_sum if jt_sum else 1.0,
        spuriousness=(n_sum - na_sum) / n_sum if n_sum else 0.0,
        position_accuracy_m=pa_sum / na_sum if na_sum else 0.0,
        rate_of_track_number_change_per_s=nu_sum / tt_sum if tt_sum else 0.0,
        longest_track_segment=tl_sum / life if life else 0.0,
        completeness_localisable=comp_loc,
        associations=len(assoc),
        threshold_m=threshold,
        consec_pairs_confirm=consec_pairs_confirm,
        consec_misses_end=consec_misses_end,
    )
