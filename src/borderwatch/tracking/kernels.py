"""Compiled (numba) kernels for the tracker's hot loops over many tiny matrices, with pure-numpy twins.

numpy pays a fixed cost per call and per batched LAPACK call; with ~1,000 tracks × 3 modes × 6×6 matrices per
frame that cost, not the arithmetic, dominates. The kernels below do the same algebra in one compiled loop:

* :func:`measure` — the measurement model of :func:`measurements.predict` (bearing with sound delay, radar,
  position) for one report at a time, shared by the two fused kernels below;
* :func:`gate_pairs` — candidate (track, report) pairs: shifted state, measurement model, innovation,
  ``S = HPHᵀ + R``, d² and ln|S| in one pass (no per-pair gather of sites, rotations or covariances);
* :func:`info_measure` and :func:`info_update` — the information-form batched IMM update;
* :func:`imm_predict` — IMM interaction and per-mode prediction;
* :func:`bearing_pregate` — the angle pre-gate of every bearing against the tracks near its node;
* :func:`combine`, :func:`predict_cv`, :func:`mahalanobis2`, :func:`row_members` — IMM moment matching, CV
  prediction, Mahalanobis distances and each track's sensors over the whole track table (gating state,
  management, output);
* :func:`slot_components` — assignment slots and connected components of the slot–report graph (union–find);
* :func:`gnn_split` — components sorted by kind (single pair, 2 × k, larger blocks with local indices);
* :func:`two_sided` — exact matching of components with two slots or two reports;
* :func:`cheap_jpda` — the cheap-JPDA pseudo-measurements of ambiguous components;
* :func:`assign_blocks` — optimal assignment in every small dense component (scipy's algorithm, compiled).

Every kernel has a numpy twin (``*_np``) giving the same result to rounding (a test compares them); the tracker
uses the compiled one when ``USE_NUMBA`` is true.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from borderwatch.tracking import models
from borderwatch.tracking.measurements import MeasBatch, innovation, inv_logdet, predict
from borderwatch.tracking.models import process_noise, transition

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

USE_NUMBA = True

_njit: Callable[[Callable[..., Any]], Any] = numba.njit(cache=True, nogil=True, error_model="numpy")

#: measurement kinds as kernel arguments
KIND = {"bearing": 0, "radar": 1, "position": 2}
_KIND_NAME = {v: k for k, v in KIND.items()}
_TWO_PI = 2.0 * np.pi


def _wrap_py(v: float) -> float:  # pragma: no cover - compiled
    """An angle difference into [−π, π): Python's ``(v + π) % 2π − π`` without the division when |v| ≤ π."""
    if -np.pi <= v < np.pi:
        return v
    u = v + np.pi
    return float(u - _TWO_PI * np.floor(u / _TWO_PI) - np.pi)


_wrap: Callable[[float], float] = _njit(_wrap_py)


# ----------------------------------------------------------------------------- measurement model (one report)
def _meas_model_py(
    kind: int,
    x: FloatArray,
    site: FloatArray,
    rot: FloatArray,
    lo: int,
    c: float,
    d: int,
    zh: FloatArray,
    h: FloatArray,
    jg: FloatArray,
) -> None:  # pragma: no cover - compiled
    """``zh`` (d,) and Jacobian ``h`` (d, 6) of state ``x`` (6,) for report ``lo`` (site ``site[lo]``, rotation
    ``rot[lo]``), as :func:`measurements.predict`: kind 0 bearing (with the sound delay when ``c`` > 0), 1 radar,
    2 position; ``jg`` (3, 3) is scratch. Rows are read in place (no array views: each view costs reference
    counting in compiled code)."""
    if kind == 2:
        for i in range(3):
            zh[i] = x[i]
            for j in range(6):
                h[i, j] = 1.0 if i == j else 0.0
        return
    vx, vy, vz = x[3], x[4], x[5]
    tau = 0.0
    if kind == 0 and c > 0.0:
        d0, d1, d2 = x[0] - site[lo, 0], x[1] - site[lo, 1], x[2] - site[lo, 2]
        a = max(c * c - (vx * vx + vy * vy + vz * vz), 1.0)
        b = d0 * vx + d1 * vy + d2 * vz
        dd = d0 * d0 + d1 * d1 + d2 * d2
        tau = (-b + np.sqrt(b * b + a * dd)) / a
    p0 = x[0] - vx * tau - site[lo, 0]
    p1 = x[1] - vy * tau - site[lo, 1]
    p2 = x[2] - vz * tau - site[lo, 2]
    e = rot[lo, 0, 0] * p0 + rot[lo, 0, 1] * p1 + rot[lo, 0, 2] * p2
    n = rot[lo, 1, 0] * p0 + rot[lo, 1, 1] * p1 + rot[lo, 1, 2] * p2
    u = rot[lo, 2, 0] * p0 + rot[lo, 2, 1] * p1 + rot[lo, 2, 2] * p2
    rh2 = max(e * e + n * n, 1e-6)
    rh = np.sqrt(rh2)
    r2 = rh2 + u * u
    az = np.arctan2(e, n)
    if az < 0.0:
        az += _TWO_PI
    irh2 = 1.0 / rh2
    with_el = kind == 1 or d > 1
    kel = gel = 0.0
    if with_el:
        kel = u / (r2 * rh)
        gel = rh / r2
    # Jacobian rows (range, az, el) wrt the local point, taken into tracker axes (row @ rot); only the rows used
    for k in range(3):
        jg[1, k] = (n * rot[lo, 0, k] - e * rot[lo, 1, k]) * irh2
        if with_el:
            jg[2, k] = rot[lo, 2, k] * gel - (e * rot[lo, 0, k] + n * rot[lo, 1, k]) * kel
    if kind == 0:
        zh[0] = az
        if d > 1:
            zh[1] = np.arctan2(u, rh)
        if c > 0.0:
            # implicit derivative of τ: dτ/dp = q/(q·v + c²τ), dτ/dv = −τ dτ/dp, q = emission point − site
            iden = 1.0 / (p0 * vx + p1 * vy + p2 * vz + c * c * tau)
            t0, t1, t2 = p0 * iden, p1 * iden, p2 * iden
            for i in range(d):
                g0, g1, g2 = jg[i + 1, 0], jg[i + 1, 1], jg[i + 1, 2]
                gv = g0 * vx + g1 * vy + g2 * vz
                h[i, 0], h[i, 1], h[i, 2] = g0 - gv * t0, g1 - gv * t1, g2 - gv * t2
                h[i, 3], h[i, 4], h[i, 5] = (
                    -tau * g0 + tau * gv * t0,
                    -tau * g1 + tau * gv * t1,
                    -tau * g2 + tau * gv * t2,
                )
        else:
            for i in range(d):
                for k in range(3):
                    h[i, k] = jg[i + 1, k]
                    h[i, k + 3] = 0.0
        return
    r = np.sqrt(r2)
    ir = 1.0 / r
    for k in range(3):
        jg[0, k] = (e * rot[lo, 0, k] + n * rot[lo, 1, k] + u * rot[lo, 2, k]) * ir
    zh[0], zh[1], zh[2] = r, az, np.arctan2(u, rh)
    for i in range(3):
        for k in range(3):
            h[i, k] = jg[i, k]
            h[i, k + 3] = 0.0
    if d == 4:
        u0, u1, u2 = p0 * ir, p1 * ir, p2 * ir
        rr = u0 * vx + u1 * vy + u2 * vz
        zh[3] = rr
        h[3, 0], h[3, 1], h[3, 2] = (vx - rr * u0) * ir, (vy - rr * u1) * ir, (vz - rr * u2) * ir
        h[3, 3], h[3, 4], h[3, 5] = u0, u1, u2


_meas_model: Callable[..., None] = _njit(_meas_model_py)


def measure_np(
    kind: int, x: FloatArray, site: FloatArray, rot: FloatArray, c: float, d: int
) -> tuple[FloatArray, FloatArray]:
    """Predicted measurements (k, d) and Jacobians (k, d, 6): :func:`measurements.predict` by kind code."""
    k = x.shape[0]
    return predict(x, MeasBatch(_KIND_NAME[kind], np.zeros((k, d)), np.zeros((k, d, d)), site, rot, c))


def _measure_loops(
    kind: int, x: FloatArray, site: FloatArray, rot: FloatArray, c: float, d: int
) -> tuple[FloatArray, FloatArray]:  # pragma: no cover - compiled
    k = x.shape[0]
    zh = np.empty((k, d))
    h = np.empty((k, d, 6))
    jg = np.empty((3, 3))
    x1 = np.empty(6)
    z1 = np.empty(d)
    h1 = np.empty((d, 6))
    for i in range(k):
        x1[:] = x[i]
        _meas_model(kind, x1, site, rot, i, c, d, z1, h1, jg)
        zh[i] = z1
        h[i] = h1
    return zh, h


measure_nb: Callable[..., tuple[FloatArray, FloatArray]] = _njit(_measure_loops)


def measure(
    kind: int, x: FloatArray, site: FloatArray, rot: FloatArray, c: float, d: int
) -> tuple[FloatArray, FloatArray]:
    if USE_NUMBA:
        return measure_nb(kind, x, site, rot, c, d)
    return measure_np(kind, x, site, rot, c, d)


# ----------------------------------------------------------------------------- information accumulation (numpy)
def info_accumulate_np(
    kk: IntArray,
    h: FloatArray,
    nu: FloatArray,
    rinv: FloatArray,
    cst: FloatArray,
    jj: FloatArray,
    bv: FloatArray,
    q: FloatArray,
    const: FloatArray,
) -> None:
    """Add reports' information to their tracks in place: ``J += HᵀR⁻¹H``, ``b += HᵀR⁻¹ν`` (per mode),
    ``q += νᵀR⁻¹ν`` (per mode), ``const += cst``. ``kk`` (n,) sorted track rows, ``h`` (n, d, 6), ``nu``
    (n, m, d), ``rinv`` (n, d, d)."""
    ht = h.transpose(0, 2, 1)
    hr = ht @ rinv
    rnu = nu @ rinv
    st = np.flatnonzero(np.concatenate([[True], kk[1:] != kk[:-1]]))
    dst = kk[st]
    jj[dst] += np.add.reduceat(hr @ h, st, axis=0)
    bv[dst] += np.add.reduceat(rnu @ h, st, axis=0)
    q[dst] += np.add.reduceat((rnu * nu).sum(axis=2), st, axis=0)
    const[dst] += np.add.reduceat(cst, st)


# ----------------------------------------------------------------------------- information-form IMM update
def info_update_np(
    x: FloatArray, p: FloatArray, mu: FloatArray, jj: FloatArray, bv: FloatArray, q: FloatArray, const: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Posterior states (k, m, 6), covariances (k, m, 6, 6) and mode probabilities (k, m) from the accumulated
    information: ``A = I + PJ``, ``P⁺ = A⁻¹P``, ``x⁺ = x + P⁺b``, joint log-likelihood
    ``−½(q − bᵀP⁺b + ln|A| + const)`` per mode, mode probabilities floored at 1e-6."""
    a = np.eye(6) + p @ jj[:, None]
    pn = np.linalg.solve(a, p)
    pn = 0.5 * (pn + pn.transpose(0, 1, 3, 2))
    xn = x + np.einsum("kmij,kmj->kmi", pn, bv)
    ll = -0.5 * (q - np.einsum("kmi,kmij,kmj->km", bv, pn, bv) + np.linalg.slogdet(a)[1] + const[:, None])
    lm = np.log(np.maximum(mu, 1e-300)) + ll
    lm -= lm.max(axis=1, keepdims=True)
    mun = np.exp(lm)
    mun /= mun.sum(axis=1, keepdims=True)
    mun = np.maximum(mun, 1e-6)
    mun /= mun.sum(axis=1, keepdims=True)
    return xn, pn, mun


def _info_update_loops(
    x: FloatArray, p: FloatArray, mu: FloatArray, jj: FloatArray, bv: FloatArray, q: FloatArray, const: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:  # pragma: no cover - compiled
    k, m = x.shape[0], x.shape[1]
    xn = np.empty_like(x)
    pn = np.empty_like(p)
    mun = np.empty_like(mu)
    a = np.empty((6, 6))
    y = np.empty((6, 6))
    lm = np.empty(m)
    for t in range(k):
        for j in range(m):
            # A = I + P J, Y = P
            for r in range(6):
                for c in range(6):
                    s = 0.0
                    for i in range(6):
                        s += p[t, j, r, i] * jj[t, i, c]
                    a[r, c] = s + (1.0 if r == c else 0.0)
                    y[r, c] = p[t, j, r, c]
            # Gaussian elimination with partial pivoting (as LAPACK's getrf), solve A X = Y in place
            logdet = 0.0
            det = 1.0  # |A| as a running product, one log per mode (rescaled long before overflow)
            for c in range(6):
                piv = c
                big = abs(a[c, c])
                for r in range(c + 1, 6):
                    if abs(a[r, c]) > big:
                        big = abs(a[r, c])
                        piv = r
                if piv != c:
                    for i in range(6):
                        tmp = a[c, i]
                        a[c, i] = a[piv, i]
                        a[piv, i] = tmp
                        tmp = y[c, i]
                        y[c, i] = y[piv, i]
                        y[piv, i] = tmp
                det *= abs(a[c, c])
                if det > 1e150 or det < 1e-150:
                    logdet += np.log(det)
                    det = 1.0
                inv = 1.0 / a[c, c]
                for r in range(c + 1, 6):
                    f = a[r, c] * inv
                    if f != 0.0:
                        for i in range(c + 1, 6):
                            a[r, i] -= f * a[c, i]
                        for i in range(6):
                            y[r, i] -= f * y[c, i]
            for c in range(5, -1, -1):
                for i in range(6):
                    s = y[c, i]
                    for r in range(c + 1, 6):
                        s -= a[c, r] * y[r, i]
                    y[c, i] = s / a[c, c]
            for r in range(6):
                for c in range(6):
                    pn[t, j, r, c] = 0.5 * (y[r, c] + y[c, r])
            quad = 0.0
            for r in range(6):
                s = 0.0
                for c in range(6):
                    s += pn[t, j, r, c] * bv[t, j, c]
                xn[t, j, r] = x[t, j, r] + s
                quad += bv[t, j, r] * s
            logdet += np.log(det)
            ll = -0.5 * (q[t, j] - quad + logdet + const[t])
            lm[j] = np.log(max(mu[t, j], 1e-300)) + ll
        top = lm.max()
        tot = 0.0
        for j in range(m):
            lm[j] = np.exp(lm[j] - top)
            tot += lm[j]
        tot2 = 0.0
        for j in range(m):
            lm[j] = max(lm[j] / tot, 1e-6)
            tot2 += lm[j]
        for j in range(m):
            mun[t, j] = lm[j] / tot2
    return xn, pn, mun


info_update_nb: Callable[..., tuple[FloatArray, FloatArray, FloatArray]] = _njit(_info_update_loops)


def info_update(
    x: FloatArray, p: FloatArray, mu: FloatArray, jj: FloatArray, bv: FloatArray, q: FloatArray, const: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    if USE_NUMBA:
        return info_update_nb(x, p, mu, jj, bv, q, const)
    return info_update_np(x, p, mu, jj, bv, q, const)


# ----------------------------------------------------------------------------- gating statistics (numpy)
def gate_stats_np(
    h: FloatArray, p: FloatArray, trk: IntArray, r: FloatArray, nu: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Squared Mahalanobis distances (n,) and ``ln|S|`` (n,) of innovations ``nu`` (n, d) with
    ``S = H P[trk] Hᵀ + R``: ``h`` (n, d, 6), ``p`` (tracks, 6, 6), ``r`` (n, d, d)."""
    s = h @ p[trk] @ h.transpose(0, 2, 1) + r
    s_inv, logdet = inv_logdet(s)
    d2 = np.einsum("ki,kij,kj->k", nu, s_inv, nu)
    return d2, logdet


# ----------------------------------------------------------------------------- gating of candidate pairs
def gate_pairs_np(
    kind: int,
    xg: FloatArray,
    pg: FloatArray,
    trk: IntArray,
    loc: IntArray,
    shift: FloatArray,
    z: FloatArray,
    r: FloatArray,
    site: FloatArray,
    rot: FloatArray,
    c: float,
    gate: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Innovations (n, d), squared Mahalanobis distances (n,) and ``ln|S|`` (n,) of candidate pairs: track
    ``trk`` (state ``xg``, covariance ``pg``, shifted along its velocity by ``shift[loc]`` s) against report
    ``loc`` of a group (``z`` (k, d), ``r``, ``site``, ``rot`` per report).

    Only pairs inside the ``gate`` (d² < gate) are exact. The compiled kernel stops a pair as soon as one
    component's ``νᵢ²/Sᵢᵢ`` (a lower bound of d²) reaches the gate and reports that bound, with ln|S| = 0."""
    xp = xg[trk]
    xp[:, :3] += xp[:, 3:] * shift[loc][:, None]
    b = MeasBatch(_KIND_NAME[kind], z[loc], r[loc], site[loc], rot[loc], c)
    zh, h = predict(xp, b)
    nu = innovation(b.z, zh, b)
    d2, logdet = gate_stats_np(h, pg, trk, b.r, nu)
    return nu, d2, logdet


def _gate_pairs_loops(
    kind: int,
    xg: FloatArray,
    pg: FloatArray,
    trk: IntArray,
    loc: IntArray,
    shift: FloatArray,
    z: FloatArray,
    r: FloatArray,
    site: FloatArray,
    rot: FloatArray,
    c: float,
    gate: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:  # pragma: no cover - compiled
    n, d = trk.shape[0], z.shape[1]
    arow = 0 if kind == 0 else 1 if kind == 1 else -1
    nu = np.empty((n, d))
    d2 = np.empty(n)
    logdet = np.empty(n)
    x = np.empty(6)
    zh = np.empty(d)
    h = np.empty((d, 6))
    jg = np.empty((3, 3))
    hp = np.empty((d, 6))
    s = np.empty((d, d))
    w = np.empty(d)
    for k in range(n):
        t, lo = trk[k], loc[k]
        dt = shift[lo]
        for i in range(3):
            x[i] = xg[t, i] + xg[t, i + 3] * dt
            x[i + 3] = xg[t, i + 3]
        _meas_model(kind, x, site, rot, lo, c, d, zh, h, jg)
        for i in range(d):
            v = z[lo, i] - zh[i]
            nu[k, i] = _wrap(v) if i == arow else v
        # row by row: HP and the diagonal of S; a single component outside the gate settles the pair
        out = False
        for i in range(d):
            sii = r[lo, i, i]
            for b in range(6):
                acc = 0.0
                for a in range(6):
                    acc += h[i, a] * pg[t, a, b]
                hp[i, b] = acc
                sii += acc * h[i, b]
            if nu[k, i] * nu[k, i] >= gate * sii:
                d2[k] = nu[k, i] * nu[k, i] / sii
                logdet[k] = 0.0
                out = True
                break
        if out:
            continue
        for i in range(d):
            for j in range(i + 1):
                acc = 0.0
                for b in range(6):
                    acc += hp[i, b] * h[j, b]
                s[i, j] = acc + r[lo, i, j]
        # Cholesky S = L Lᵀ (lower triangle), d² = |L⁻¹ν|², ln|S| = ln Π L_ii²
        det = 1.0
        for j in range(d):
            acc = s[j, j]
            for cc in range(j):
                acc -= s[j, cc] * s[j, cc]
            acc = max(acc, 1e-300)
            ljj = np.sqrt(acc)
            s[j, j] = ljj
            det *= acc
            for i in range(j + 1, d):
                acc = s[i, j]
                for cc in range(j):
                    acc -= s[i, cc] * s[j, cc]
                s[i, j] = acc / ljj
        q = 0.0
        for i in range(d):
            acc = nu[k, i]
            for cc in range(i):
                acc -= s[i, cc] * w[cc]
            w[i] = acc / s[i, i]
            q += w[i] * w[i]
        d2[k] = q
        logdet[k] = np.log(det)
    return nu, d2, logdet


gate_pairs_nb: Callable[..., tuple[FloatArray, FloatArray, FloatArray]] = _njit(_gate_pairs_loops)


def gate_pairs(
    kind: int,
    xg: FloatArray,
    pg: FloatArray,
    trk: IntArray,
    loc: IntArray,
    shift: FloatArray,
    z: FloatArray,
    r: FloatArray,
    site: FloatArray,
    rot: FloatArray,
    c: float,
    gate: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    fn = gate_pairs_nb if USE_NUMBA else gate_pairs_np
    return fn(kind, xg, pg, trk, loc, shift, z, r, site, rot, c, gate)


# ----------------------------------------------------------------------------- information of assigned reports
def info_measure_np(
    kind: int,
    kk: IntArray,
    x0: FloatArray,
    x: FloatArray,
    delta: FloatArray,
    loc: IntArray,
    z: FloatArray,
    r: FloatArray,
    site: FloatArray,
    rot: FloatArray,
    c: float,
    jj: FloatArray,
    bv: FloatArray,
    q: FloatArray,
    const: FloatArray,
) -> None:
    """Add the information of reports ``loc`` (of one group) to tracks ``kk`` (sorted), in place: each report is
    modelled on the combined estimate ``x0[kk]`` shifted by ``delta`` s along its velocity, ``h(p + vδ, v)`` with
    Jacobian ``[H_p, H_v + δH_p]`` shared by the modes ``x[kk]`` (k, m, 6); then :func:`info_accumulate`."""
    b = MeasBatch(_KIND_NAME[kind], z[loc], r[loc], site[loc], rot[loc], c)
    xs = x0[kk]
    xs[:, :3] += xs[:, 3:] * delta[:, None]
    zh, h = predict(xs, b)
    h[:, :, 3:] += h[:, :, :3] * delta[:, None, None]
    nu = (b.z - zh)[:, None, :] - (x[kk] - x0[kk, None]) @ h.transpose(0, 2, 1)
    for i in b.angle_rows:
        nu[:, :, i] = (nu[:, :, i] + np.pi) % (2 * np.pi) - np.pi
    rinv, rlogdet = inv_logdet(b.r)
    info_accumulate_np(kk, h, nu, rinv, rlogdet + b.dim * np.log(2 * np.pi), jj, bv, q, const)


def _info_measure_loops(
    kind: int,
    kk: IntArray,
    x0: FloatArray,
    x: FloatArray,
    delta: FloatArray,
    loc: IntArray,
    z: FloatArray,
    r: FloatArray,
    site: FloatArray,
    rot: FloatArray,
    c: float,
    jj: FloatArray,
    bv: FloatArray,
    q: FloatArray,
    const: FloatArray,
) -> None:  # pragma: no cover - compiled
    n, d, m = kk.shape[0], z.shape[1], x.shape[1]
    arow = 0 if kind == 0 else 1 if kind == 1 else -1
    ln2pi = np.log(2.0 * np.pi)
    xs = np.empty(6)
    zh = np.empty(d)
    h = np.empty((d, 6))
    jg = np.empty((3, 3))
    lw = np.empty((d, d))
    rinv = np.empty((d, d))
    hr = np.empty((6, d))
    nu = np.empty(d)
    rnu = np.empty(d)
    for j in range(n):
        k, lo, dl = kk[j], loc[j], delta[j]
        for i in range(3):
            xs[i] = x0[k, i] + x0[k, i + 3] * dl
            xs[i + 3] = x0[k, i + 3]
        _meas_model(kind, xs, site, rot, lo, c, d, zh, h, jg)
        for i in range(d):
            for a in range(3):
                h[i, a + 3] += h[i, a] * dl
        # R⁻¹ (into lw) and |R|: diagonal R (every raw report) directly, otherwise (JPDA spread) by Cholesky
        diag = True
        for a in range(d):
            for b in range(d):
                if a != b and r[lo, a, b] != 0.0:
                    diag = False
        det = 1.0
        if diag:
            for a in range(d):
                for b in range(d):
                    lw[a, b] = 0.0
                lw[a, a] = 1.0 / r[lo, a, a]
                det *= r[lo, a, a]
        else:
            for a in range(d):
                for b in range(d):
                    lw[a, b] = 0.0
            for b in range(d):
                acc = r[lo, b, b]
                for cc in range(b):
                    acc -= lw[b, cc] * lw[b, cc]
                acc = max(acc, 1e-300)
                det *= acc
                lbb = np.sqrt(acc)
                lw[b, b] = lbb
                for a in range(b + 1, d):
                    acc = r[lo, a, b]
                    for cc in range(b):
                        acc -= lw[a, cc] * lw[b, cc]
                    lw[a, b] = acc / lbb
            for col in range(d):  # column col of L⁻¹ by forward substitution, kept in rinv[:, col]
                for a in range(d):
                    acc = 1.0 if a == col else 0.0
                    for cc in range(a):
                        acc -= lw[a, cc] * rinv[cc, col]
                    rinv[a, col] = acc / lw[a, a]
            for a in range(d):  # R⁻¹ = (L⁻¹)ᵀ L⁻¹
                for b in range(d):
                    acc = 0.0
                    for cc in range(max(a, b), d):
                        acc += rinv[cc, a] * rinv[cc, b]
                    lw[a, b] = acc
        for a in range(6):
            for b in range(d):
                acc = 0.0
                for i in range(d):
                    acc += h[i, a] * lw[i, b]
                hr[a, b] = acc
        for a in range(6):
            for b in range(6):
                acc = 0.0
                for i in range(d):
                    acc += hr[a, i] * h[i, b]
                jj[k, a, b] += acc
        for mm in range(m):
            for i in range(d):
                acc = z[lo, i] - zh[i]
                for a in range(6):
                    acc -= h[i, a] * (x[k, mm, a] - x0[k, a])
                if i == arow:
                    acc = _wrap(acc)
                nu[i] = acc
            qq = 0.0
            for b in range(d):
                acc = 0.0
                for i in range(d):
                    acc += nu[i] * lw[i, b]
                rnu[b] = acc
                qq += acc * nu[b]
            q[k, mm] += qq
            for a in range(6):
                acc = 0.0
                for i in range(d):
                    acc += rnu[i] * h[i, a]
                bv[k, mm, a] += acc
        const[k] += np.log(det) + d * ln2pi


info_measure_nb: Callable[..., None] = _njit(_info_measure_loops)


def info_measure(*args: Any) -> None:
    (info_measure_nb if USE_NUMBA else info_measure_np)(*args)


# ----------------------------------------------------------------------------- IMM interaction and prediction
def imm_predict_np(
    x: FloatArray,
    p: FloatArray,
    mu: FloatArray,
    dt: FloatArray,
    omega: FloatArray,
    q_h: FloatArray,
    q_v: FloatArray,
    switch_per_s: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """IMM interaction (mode mixing with Markov switching ``exp(−rate·|dt|)`` to stay) and per-mode prediction
    (fixed-rate coordinated turn ``omega`` or CV, white-acceleration noise ``q_h``/``q_v``) of ``x`` (k, m, 6),
    ``p`` (k, m, 6, 6), ``mu`` (k, m) by ``dt`` (k,). Returns the predicted states, covariances and the predicted
    mode probabilities."""
    m = mu.shape[1]
    stay = np.exp(-switch_per_s * np.abs(dt))[:, None, None]
    eye = np.eye(m)[None]
    pi = np.ones((dt.size, 1, 1)) if m == 1 else stay * eye + (1.0 - stay) * (1.0 - eye) / (m - 1)
    c = np.einsum("kij,ki->kj", pi, mu)
    w = pi * mu[:, :, None] / np.maximum(c[:, None, :], 1e-300)
    x0 = np.einsum("kij,kid->kjd", w, x)
    dx = x[:, :, None, :] - x0[:, None, :, :]
    p0 = np.einsum("kij,kiab->kjab", w, p) + np.einsum("kij,kija,kijb->kjab", w, dx, dx)
    for j in range(m):
        f = transition(dt, float(omega[j]))
        x0[:, j] = np.einsum("kab,kb->ka", f, x0[:, j])
        p0[:, j] = f @ p0[:, j] @ f.transpose(0, 2, 1) + process_noise(dt, float(q_h[j]), float(q_v[j]))
    return x0, p0, c


def _imm_predict_loops(
    x: FloatArray,
    p: FloatArray,
    mu: FloatArray,
    dt: FloatArray,
    omega: FloatArray,
    q_h: FloatArray,
    q_v: FloatArray,
    switch_per_s: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:  # pragma: no cover - compiled
    k, m = mu.shape[0], mu.shape[1]
    xo = np.empty_like(x)
    po = np.empty_like(p)
    co = np.empty_like(mu)
    pi = np.empty((m, m))
    w = np.empty((m, m))
    xm = np.empty(6)
    pm = np.empty((6, 6))
    fp = np.empty((6, 6))
    for t in range(k):
        h = dt[t]
        a = abs(h)
        if m == 1:
            pi[0, 0] = 1.0
        else:
            stay = np.exp(-switch_per_s * a)
            off = (1.0 - stay) / (m - 1)
            for i in range(m):
                for j in range(m):
                    pi[i, j] = stay if i == j else off
        for j in range(m):
            cj = 0.0
            for i in range(m):
                cj += pi[i, j] * mu[t, i]
            co[t, j] = cj
            for i in range(m):
                w[i, j] = pi[i, j] * mu[t, i] / max(cj, 1e-300)
        for j in range(m):
            # mixed initial condition of mode j
            for a_ in range(6):
                acc = 0.0
                for i in range(m):
                    acc += w[i, j] * x[t, i, a_]
                xm[a_] = acc
            for a_ in range(6):
                for b in range(6):
                    acc = 0.0
                    for i in range(m):
                        acc += w[i, j] * (p[t, i, a_, b] + (x[t, i, a_] - xm[a_]) * (x[t, i, b] - xm[b]))
                    pm[a_, b] = acc
            # transition of mode j: identity except the horizontal turn block and the vertical CV term, so
            # F·x and F·P·Fᵀ are written out on the rows/columns it mixes (a third of the dense products)
            om = omega[j]
            if abs(om) < 1e-9:
                f03, f04, f13, f14, f33, f34, f43, f44 = h, 0.0, 0.0, h, 1.0, 0.0, 0.0, 1.0
            else:
                sn, cs = np.sin(om * h), np.cos(om * h)
                f03, f04, f13, f14 = sn / om, -(1.0 - cs) / om, (1.0 - cs) / om, sn / om
                f33, f34, f43, f44 = cs, -sn, sn, cs
            xo[t, j, 0] = xm[0] + f03 * xm[3] + f04 * xm[4]
            xo[t, j, 1] = xm[1] + f13 * xm[3] + f14 * xm[4]
            xo[t, j, 2] = xm[2] + h * xm[5]
            xo[t, j, 3] = f33 * xm[3] + f34 * xm[4]
            xo[t, j, 4] = f43 * xm[3] + f44 * xm[4]
            xo[t, j, 5] = xm[5]
            for b in range(6):  # fp = F·P, row by row
                fp[0, b] = pm[0, b] + f03 * pm[3, b] + f04 * pm[4, b]
                fp[1, b] = pm[1, b] + f13 * pm[3, b] + f14 * pm[4, b]
                fp[2, b] = pm[2, b] + h * pm[5, b]
                fp[3, b] = f33 * pm[3, b] + f34 * pm[4, b]
                fp[4, b] = f43 * pm[3, b] + f44 * pm[4, b]
                fp[5, b] = pm[5, b]
            for a_ in range(6):  # (F·P)·Fᵀ, column by column
                po[t, j, a_, 0] = fp[a_, 0] + f03 * fp[a_, 3] + f04 * fp[a_, 4]
                po[t, j, a_, 1] = fp[a_, 1] + f13 * fp[a_, 3] + f14 * fp[a_, 4]
                po[t, j, a_, 2] = fp[a_, 2] + h * fp[a_, 5]
                po[t, j, a_, 3] = f33 * fp[a_, 3] + f34 * fp[a_, 4]
                po[t, j, a_, 4] = f43 * fp[a_, 3] + f44 * fp[a_, 4]
                po[t, j, a_, 5] = fp[a_, 5]
            for i in range(3):
                qq = q_h[j] if i < 2 else q_v[j]
                po[t, j, i, i] += qq * a**3 / 3.0
                po[t, j, i, i + 3] += qq * a**2 / 2.0
                po[t, j, i + 3, i] += qq * a**2 / 2.0
                po[t, j, i + 3, i + 3] += qq * a
    return xo, po, co


imm_predict_nb: Callable[..., tuple[FloatArray, FloatArray, FloatArray]] = _njit(_imm_predict_loops)


def imm_predict(
    x: FloatArray,
    p: FloatArray,
    mu: FloatArray,
    dt: FloatArray,
    omega: FloatArray,
    q_h: FloatArray,
    q_v: FloatArray,
    switch_per_s: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    fn = imm_predict_nb if USE_NUMBA else imm_predict_np
    return fn(x, p, mu, dt, omega, q_h, q_v, switch_per_s)


# ----------------------------------------------------------------------------- bearing candidates
def bearing_pregate_np(
    start: IntArray,
    trk: IntArray,
    node_pos: FloatArray,
    node_rot: FloatArray,
    ext: FloatArray,
    vel: FloatArray,
    pos_sig: FloatArray,
    vel_sig: FloatArray,
    c: float,
    rep_node: IntArray,
    z: FloatArray,
    r: FloatArray,
) -> tuple[IntArray, IntArray]:
    """(report, track) candidates of a bearing group: node ``i`` has candidate tracks ``trk[start[i]:start[i+1]]``
    (tracks near it); each report of node ``rep_node`` is pre-gated against the angles of every candidate track's
    emission point ``p − v·|p − s|/c`` (4σ of the report plus a position/velocity spread over the range)."""
    ni = np.repeat(np.arange(start.size - 1), np.diff(start))
    dpg = ext[trk] - node_pos[ni]
    tau = np.linalg.norm(dpg, axis=1) / c if c > 0 else np.zeros(ni.size)
    dpg -= vel[trk] * tau[:, None]
    dl = np.einsum("kij,kj->ki", node_rot[ni], dpg)
    rh = np.maximum(np.hypot(dl[:, 0], dl[:, 1]), 1.0)
    az_p = np.arctan2(dl[:, 0], dl[:, 1])
    el_p = np.arctan2(dl[:, 2], rh)
    spread = (4.0 * pos_sig[trk] + 4.0 * vel_sig[trk] * tau) / rh
    cnt = np.diff(start)
    rc = cnt[rep_node]
    loc = np.repeat(np.arange(rep_node.size), rc)
    cand = np.repeat(start[:-1][rep_node], rc) + np.arange(loc.size) - np.repeat(np.cumsum(rc) - rc, rc)
    daz = np.abs((z[loc, 0] - az_p[cand] + np.pi) % (2 * np.pi) - np.pi)
    ok = daz < 4.0 * np.sqrt(r[loc, 0, 0]) + spread[cand]
    if z.shape[1] == 2:
        ok &= np.abs(z[loc, 1] - el_p[cand]) < 4.0 * np.sqrt(r[loc, 1, 1]) + spread[cand]
    return loc[ok], trk[cand[ok]]


def _bearing_pregate_loops(
    start: IntArray,
    trk: IntArray,
    node_pos: FloatArray,
    node_rot: FloatArray,
    ext: FloatArray,
    vel: FloatArray,
    pos_sig: FloatArray,
    vel_sig: FloatArray,
    c: float,
    rep_node: IntArray,
    z: FloatArray,
    r: FloatArray,
) -> tuple[IntArray, IntArray]:  # pragma: no cover - compiled
    nn, nc, k, d = start.size - 1, trk.size, rep_node.size, z.shape[1]
    az_p = np.empty(nc)
    el_p = np.empty(nc)
    spread = np.empty(nc)
    for i in range(nn):
        for j in range(start[i], start[i + 1]):
            t = trk[j]
            d0 = ext[t, 0] - node_pos[i, 0]
            d1 = ext[t, 1] - node_pos[i, 1]
            d2 = ext[t, 2] - node_pos[i, 2]
            tau = np.sqrt(d0 * d0 + d1 * d1 + d2 * d2) / c if c > 0 else 0.0
            d0 -= vel[t, 0] * tau
            d1 -= vel[t, 1] * tau
            d2 -= vel[t, 2] * tau
            e = node_rot[i, 0, 0] * d0 + node_rot[i, 0, 1] * d1 + node_rot[i, 0, 2] * d2
            n = node_rot[i, 1, 0] * d0 + node_rot[i, 1, 1] * d1 + node_rot[i, 1, 2] * d2
            u = node_rot[i, 2, 0] * d0 + node_rot[i, 2, 1] * d1 + node_rot[i, 2, 2] * d2
            rh = max(np.hypot(e, n), 1.0)
            az_p[j] = np.arctan2(e, n)
            el_p[j] = np.arctan2(u, rh)
            spread[j] = (4.0 * pos_sig[t] + 4.0 * vel_sig[t] * tau) / rh
    total = 0
    for lo in range(k):
        total += start[rep_node[lo] + 1] - start[rep_node[lo]]
    out_l = np.empty(total, dtype=np.int64)
    out_t = np.empty(total, dtype=np.int64)
    n_out = 0
    for lo in range(k):
        nd = rep_node[lo]
        s_az = 4.0 * np.sqrt(r[lo, 0, 0])
        s_el = 4.0 * np.sqrt(r[lo, 1, 1]) if d == 2 else 0.0
        for j in range(start[nd], start[nd + 1]):
            daz = abs(_wrap(z[lo, 0] - az_p[j]))
            if not daz < s_az + spread[j]:
                continue
            if d == 2 and not abs(z[lo, 1] - el_p[j]) < s_el + spread[j]:
                continue
            out_l[n_out] = lo
            out_t[n_out] = trk[j]
            n_out += 1
    return out_l[:n_out], out_t[:n_out]


bearing_pregate_nb: Callable[..., tuple[IntArray, IntArray]] = _njit(_bearing_pregate_loops)


def bearing_pregate(
    start: IntArray,
    trk: IntArray,
    node_pos: FloatArray,
    node_rot: FloatArray,
    ext: FloatArray,
    vel: FloatArray,
    pos_sig: FloatArray,
    vel_sig: FloatArray,
    c: float,
    rep_node: IntArray,
    z: FloatArray,
    r: FloatArray,
) -> tuple[IntArray, IntArray]:
    fn = bearing_pregate_nb if USE_NUMBA else bearing_pregate_np
    return fn(start, trk, node_pos, node_rot, ext, vel, pos_sig, vel_sig, c, rep_node, z, r)


# ----------------------------------------------------------------------------- whole-track-table helpers
def combine_np(x: FloatArray, p: FloatArray, mu: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Moment-matched (n, 6) states and (n, 6, 6) covariances of IMM modes ``x`` (n, m, 6), ``p``, ``mu``."""
    xc = np.einsum("nm,nmi->ni", mu, x)
    dx = x - xc[:, None]
    pc = np.einsum("nm,nmij->nij", mu, p + dx[..., :, None] * dx[..., None, :])
    return xc, pc


def _combine_loops(x: FloatArray, p: FloatArray, mu: FloatArray) -> tuple[FloatArray, FloatArray]:  # pragma: no cover
    n, m = mu.shape[0], mu.shape[1]
    xc = np.zeros((n, 6))
    pc = np.zeros((n, 6, 6))
    for t in range(n):
        for j in range(m):
            for a in range(6):
                xc[t, a] += mu[t, j] * x[t, j, a]
        for j in range(m):
            w = mu[t, j]
            for a in range(6):
                da = x[t, j, a] - xc[t, a]
                for b in range(6):
                    pc[t, a, b] += w * (p[t, j, a, b] + da * (x[t, j, b] - xc[t, b]))
    return xc, pc


combine_nb: Callable[..., tuple[FloatArray, FloatArray]] = _njit(_combine_loops)


def combine(x: FloatArray, p: FloatArray, mu: FloatArray) -> tuple[FloatArray, FloatArray]:
    return combine_nb(x, p, mu) if USE_NUMBA else combine_np(x, p, mu)


def predict_cv_np(
    x: FloatArray, p: FloatArray, dt: FloatArray, q_h: float, q_v: float
) -> tuple[FloatArray, FloatArray]:
    """Constant-velocity prediction of (n, 6) states and (n, 6, 6) covariances by ``dt`` (s):
    :func:`models.predict_cv`."""
    return models.predict_cv(x, p, dt, q_h, q_v)


def _predict_cv_loops(
    x: FloatArray, p: FloatArray, dt: FloatArray, q_h: float, q_v: float
) -> tuple[FloatArray, FloatArray]:  # pragma: no cover - compiled
    n = x.shape[0]
    xp = np.empty_like(x)
    pp = np.empty_like(p)
    fp = np.empty((6, 6))
    for t in range(n):
        h = dt[t]
        a = abs(h)
        for i in range(3):
            xp[t, i] = x[t, i] + h * x[t, i + 3]
            xp[t, i + 3] = x[t, i + 3]
        # F P (F = [[I, hI], [0, I]]): rows i < 3 add h × row i+3
        for i in range(6):
            for j in range(6):
                fp[i, j] = p[t, i, j] + (h * p[t, i + 3, j] if i < 3 else 0.0)
        # (F P) Fᵀ: columns j < 3 add h × column j+3
        for i in range(6):
            for j in range(6):
                pp[t, i, j] = fp[i, j] + (h * fp[i, j + 3] if j < 3 else 0.0)
        for i in range(3):
            qq = q_h if i < 2 else q_v
            pp[t, i, i] += qq * a**3 / 3.0
            pp[t, i, i + 3] += qq * a**2 / 2.0
            pp[t, i + 3, i] += qq * a**2 / 2.0
            pp[t, i + 3, i + 3] += qq * a
    return xp, pp


predict_cv_nb: Callable[..., tuple[FloatArray, FloatArray]] = _njit(_predict_cv_loops)


def predict_cv(x: FloatArray, p: FloatArray, dt: FloatArray, q_h: float, q_v: float) -> tuple[FloatArray, FloatArray]:
    return predict_cv_nb(x, p, dt, q_h, q_v) if USE_NUMBA else predict_cv_np(x, p, dt, q_h, q_v)


def mahalanobis2_np(dx: FloatArray, s: FloatArray) -> FloatArray:
    """``dxᵀ S⁻¹ dx`` of (n, d) differences with (n, d, d) SPD matrices."""
    out: FloatArray = np.einsum("ki,kij,kj->k", dx, np.linalg.inv(s), dx)
    return out


def _mahalanobis2_loops(dx: FloatArray, s: FloatArray) -> FloatArray:  # pragma: no cover - compiled
    n, d = dx.shape
    out = np.empty(n)
    lw = np.empty((d, d))
    w = np.empty(d)
    for k in range(n):
        for j in range(d):
            acc = s[k, j, j]
            for c in range(j):
                acc -= lw[j, c] * lw[j, c]
            ljj = np.sqrt(max(acc, 1e-300))
            lw[j, j] = ljj
            for i in range(j + 1, d):
                acc = s[k, i, j]
                for c in range(j):
                    acc -= lw[i, c] * lw[j, c]
                lw[i, j] = acc / ljj
        q = 0.0
        for i in range(d):
            acc = dx[k, i]
            for c in range(i):
                acc -= lw[i, c] * w[c]
            w[i] = acc / lw[i, i]
            q += w[i] * w[i]
        out[k] = q
    return out


mahalanobis2_nb: Callable[..., FloatArray] = _njit(_mahalanobis2_loops)


def mahalanobis2(dx: FloatArray, s: FloatArray) -> FloatArray:
    return mahalanobis2_nb(dx, s) if USE_NUMBA else mahalanobis2_np(dx, s)


def row_members_np(flags: BoolArray, rows: IntArray, cols: IntArray) -> tuple[IntArray, IntArray]:
    """For each row ``rows[k]`` of the boolean table ``flags``, the positions ``j`` (in ``cols`` order) where
    ``flags[rows[k], cols[j]]`` is set: bounds (k + 1,) into the concatenated positions."""
    r_, c_ = np.nonzero(flags[rows][:, cols])
    return np.searchsorted(r_, np.arange(rows.size + 1)).astype(np.int64), c_.astype(np.int64)


def _row_members_loops(
    flags: BoolArray, rows: IntArray, cols: IntArray
) -> tuple[IntArray, IntArray]:  # pragma: no cover
    bounds = np.zeros(rows.size + 1, dtype=np.int64)
    n = 0
    for k in range(rows.size):
        for j in range(cols.size):
            if flags[rows[k], cols[j]]:
                n += 1
        bounds[k + 1] = n
    out = np.empty(n, dtype=np.int64)
    n = 0
    for k in range(rows.size):
        for j in range(cols.size):
            if flags[rows[k], cols[j]]:
                out[n] = j
                n += 1
    return bounds, out


row_members_nb: Callable[..., tuple[IntArray, IntArray]] = _njit(_row_members_loops)


def row_members(flags: BoolArray, rows: IntArray, cols: IntArray) -> tuple[IntArray, IntArray]:
    return row_members_nb(flags, rows, cols) if USE_NUMBA else row_members_np(flags, rows, cols)


# ----------------------------------------------------------------------------- slots and connected components
def slot_components_np(
    trk: IntArray, sensor: IntArray, t: FloatArray, rid: IntArray, n_sensors: int, n_reports: int
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Slots and connected components of gated pairs. A slot is (track, sensor, report time to the ms), numbered
    by sorted key; components of the slot–report graph are numbered by their smallest slot (as scipy's
    ``connected_components`` numbers them). Returns each pair's slot and component, and per component the number
    of slots and of reports."""
    _, tr = np.unique(np.round(t * 1000.0).astype(np.int64), return_inverse=True)
    keys = (trk * max(n_sensors, 1) + sensor) * (int(tr.max()) + 1) + tr.reshape(-1)
    _, slot = np.unique(keys, return_inverse=True)
    slot = slot.reshape(-1)
    ns = int(slot.max()) + 1
    g = coo_matrix((np.ones(trk.size), (slot, ns + rid)), shape=(ns + n_reports, ns + n_reports))
    _, lab = connected_components(g, directed=False)
    comp = lab[slot]
    ncomp = int(comp.max()) + 1  # components with slots come first (numbered by their smallest node)
    n_slots = np.bincount(lab[np.unique(slot)], minlength=ncomp)[:ncomp]
    n_reps = np.bincount(lab[ns + np.unique(rid)], minlength=ncomp)[:ncomp]
    return slot.astype(np.int64), comp.astype(np.int64), n_slots, n_reps


def _find(parent: IntArray, i: int) -> int:  # pragma: no cover - compiled
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


_find_nb: Callable[[IntArray, int], int] = _njit(_find)


def _slot_components_loops(
    trk: IntArray, sensor: IntArray, t: FloatArray, rid: IntArray, n_sensors: int, n_reports: int
) -> tuple[IntArray, IntArray, IntArray, IntArray]:  # pragma: no cover - compiled
    n = trk.size
    tk = np.empty(n, dtype=np.int64)
    for i in range(n):
        tk[i] = np.int64(np.rint(t[i] * 1000.0))
    t0 = tk.min()
    span = tk.max() - t0 + 1
    keys = (trk * max(n_sensors, 1) + sensor) * span + (tk - t0)  # same order as (track, sensor, time)
    order = np.argsort(keys)
    slot = np.empty(n, dtype=np.int64)
    ns = 0
    for a in range(n):  # dense rank of the key
        if a > 0 and keys[order[a]] != keys[order[a - 1]]:
            ns += 1
        slot[order[a]] = ns
    ns += 1
    parent = np.arange(ns + n_reports)
    for i in range(n):
        a = _find_nb(parent, slot[i])
        b = _find_nb(parent, ns + rid[i])
        if a != b:
            if a < b:
                parent[b] = a
            else:
                parent[a] = b
    label = np.full(ns + n_reports, -1, dtype=np.int64)
    ncomp = 0
    slot_comp = np.empty(ns, dtype=np.int64)
    for s_ in range(ns):  # in slot order: a component is numbered when its smallest slot is met
        root = _find_nb(parent, s_)
        if label[root] < 0:
            label[root] = ncomp
            ncomp += 1
        slot_comp[s_] = label[root]
    n_slots = np.zeros(ncomp, dtype=np.int64)
    for s_ in range(ns):
        n_slots[slot_comp[s_]] += 1
    n_reps = np.zeros(ncomp, dtype=np.int64)
    seen = np.zeros(n_reports, dtype=np.bool_)
    comp = np.empty(n, dtype=np.int64)
    for i in range(n):
        comp[i] = slot_comp[slot[i]]
        if not seen[rid[i]]:
            seen[rid[i]] = True
            n_reps[comp[i]] += 1
    return slot, comp, n_slots, n_reps


slot_components_nb: Callable[..., tuple[IntArray, IntArray, IntArray, IntArray]] = _njit(_slot_components_loops)


def slot_components(
    trk: IntArray, sensor: IntArray, t: FloatArray, rid: IntArray, n_sensors: int, n_reports: int
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    fn = slot_components_nb if USE_NUMBA else slot_components_np
    return fn(trk, sensor, t, rid, n_sensors, n_reports)


# ----------------------------------------------------------------------------- splitting components by kind
def _local_rank_np(comp: IntArray, key: IntArray) -> IntArray:
    """Dense rank of ``key`` within each component (``comp`` sorted): 0, 1, … per distinct key."""
    o = np.lexsort((key, comp))
    c, k = comp[o], key[o]
    newc = np.ones(o.size, dtype=bool)
    newc[1:] = c[1:] != c[:-1]
    newk = newc.copy()
    newk[1:] |= k[1:] != k[:-1]
    cum = np.cumsum(newk) - 1
    rank = cum - cum[newc][np.cumsum(newc) - 1]
    out: IntArray = np.empty_like(rank)
    out[o] = rank
    return out


def gnn_split_np(
    slot: IntArray, comp: IntArray, n_slots: IntArray, n_reps: IntArray, rid: IntArray, benefit: FloatArray
) -> tuple[IntArray, IntArray, IntArray, BoolArray, IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Split gated pairs by component kind. Returns: the best pair of every component with one slot or one report
    (by component), the pairs of the other ("multi") components, those of 2 × k components and whether their
    small side is the slots, and for the larger components the pairs ordered by component with block bounds and
    local (within-component, dense) slot and report indices; last the reports of multi components."""
    empty = np.zeros(0, dtype=np.int64)
    simple = (n_slots[comp] == 1) | (n_reps[comp] == 1)
    best = empty
    sp = np.flatnonzero(simple)
    if sp.size:
        o = sp[np.lexsort((-benefit[sp], comp[sp]))]
        first = np.ones(o.size, dtype=bool)
        first[1:] = comp[o][1:] != comp[o][:-1]
        best = o[first]
    multi = np.flatnonzero(~simple)
    two = np.minimum(n_slots[comp[multi]], n_reps[comp[multi]]) == 2
    t2 = multi[two]
    small_is_slot = n_slots[comp[t2]] == 2
    rest = multi[~two]
    order = rest[np.argsort(comp[rest], kind="stable")]
    co = comp[order]
    sl_all = _local_rank_np(co, slot[order])
    rl_all = _local_rank_np(co, rid[order])
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(co)) + 1, [order.size]]).astype(np.int64)
    if order.size == 0:
        bounds = np.zeros(1, dtype=np.int64)
    amb = np.unique(rid[multi])
    return best, multi, t2, small_is_slot, order, bounds, sl_all, rl_all, amb


def _gnn_split_loops(
    slot: IntArray, comp: IntArray, n_slots: IntArray, n_reps: IntArray, rid: IntArray, benefit: FloatArray
) -> tuple[
    IntArray, IntArray, IntArray, BoolArray, IntArray, IntArray, IntArray, IntArray, IntArray
]:  # pragma: no cover
    n, ncomp = comp.size, n_slots.size
    best_c = np.full(ncomp, -1, dtype=np.int64)
    kind = np.zeros(n, dtype=np.int64)  # 0 simple, 1 two-sided, 2 rest
    n_multi = n_two = n_rid = 0
    for k in range(n):
        c = comp[k]
        if n_slots[c] == 1 or n_reps[c] == 1:
            if best_c[c] < 0 or benefit[k] > benefit[best_c[c]]:  # ties: the earlier pair, as the stable sort
                best_c[c] = k
        else:
            n_multi += 1
            kind[k] = 1 if min(n_slots[c], n_reps[c]) == 2 else 2
            n_two += kind[k] == 1
        n_rid = max(n_rid, rid[k] + 1)
    n_best = 0
    for c in range(ncomp):
        n_best += best_c[c] >= 0
    best = np.empty(n_best, dtype=np.int64)
    j = 0
    for c in range(ncomp):
        if best_c[c] >= 0:
            best[j] = best_c[c]
            j += 1
    multi = np.empty(n_multi, dtype=np.int64)
    t2 = np.empty(n_two, dtype=np.int64)
    small_is_slot = np.empty(n_two, dtype=np.bool_)
    n_rest = n_multi - n_two
    cnt = np.zeros(ncomp + 1, dtype=np.int64)
    im = it = 0
    seen_rid = np.zeros(n_rid, dtype=np.bool_)
    for k in range(n):
        if kind[k] == 0:
            continue
        multi[im] = k
        im += 1
        seen_rid[rid[k]] = True
        if kind[k] == 1:
            t2[it] = k
            small_is_slot[it] = n_slots[comp[k]] == 2
            it += 1
        else:
            cnt[comp[k] + 1] += 1
    # rest ordered by component (stable: a counting sort)
    for c in range(ncomp):
        cnt[c + 1] += cnt[c]
    order = np.empty(n_rest, dtype=np.int64)
    fill = cnt[:-1].copy()
    for k in range(n):
        if kind[k] == 2:
            order[fill[comp[k]]] = k
            fill[comp[k]] += 1
    nb = 0
    for c in range(ncomp):
        nb += cnt[c + 1] > cnt[c]
    bounds = np.empty(nb + 1, dtype=np.int64)
    bounds[0] = 0
    b = 1
    for c in range(ncomp):
        if cnt[c + 1] > cnt[c]:
            bounds[b] = cnt[c + 1]
            b += 1
    sl_all = np.empty(n_rest, dtype=np.int64)
    rl_all = np.empty(n_rest, dtype=np.int64)
    for b in range(nb):
        a0, a1 = bounds[b], bounds[b + 1]
        ks = np.empty(a1 - a0, dtype=np.int64)
        kr = np.empty(a1 - a0, dtype=np.int64)
        for a in range(a0, a1):
            ks[a - a0] = slot[order[a]]
            kr[a - a0] = rid[order[a]]
        us, ur = np.unique(ks), np.unique(kr)
        for a in range(a0, a1):
            sl_all[a] = np.searchsorted(us, ks[a - a0])
            rl_all[a] = np.searchsorted(ur, kr[a - a0])
    n_amb = 0
    for r in range(n_rid):
        n_amb += seen_rid[r]
    amb = np.empty(n_amb, dtype=np.int64)
    j = 0
    for r in range(n_rid):
        if seen_rid[r]:
            amb[j] = r
            j += 1
    return best, multi, t2, small_is_slot, order, bounds, sl_all, rl_all, amb


gnn_split_nb: Callable[..., Any] = _njit(_gnn_split_loops)


def gnn_split(
    slot: IntArray, comp: IntArray, n_slots: IntArray, n_reps: IntArray, rid: IntArray, benefit: FloatArray
) -> tuple[IntArray, IntArray, IntArray, BoolArray, IntArray, IntArray, IntArray, IntArray, IntArray]:
    fn = gnn_split_nb if USE_NUMBA else gnn_split_np
    return fn(slot, comp, n_slots, n_reps, rid, benefit)


# ----------------------------------------------------------------------------- 2 × k components
def two_sided_np(
    idx: IntArray, comp: IntArray, small_is_slot: BoolArray, slot: IntArray, rid: IntArray, benefit: FloatArray
) -> IntArray:
    """Exact best matching in components whose smaller side has two members ``u ∈ {0, 1}`` (pairs ``idx``, in
    ascending order): from each member's best and second-best partner, compare both-assigned, one-with-second
    and single assignments. Returns the chosen pairs (first members by component, then second members)."""
    c = comp[idx]
    small = np.where(small_is_slot, slot[idx], rid[idx])
    big = np.where(small_is_slot, rid[idx], slot[idx])
    smin = np.full(int(c.max()) + 1, np.iinfo(np.int64).max)
    np.minimum.at(smin, c, small)
    u = (small != smin[c]).astype(np.int64)
    ben = benefit[idx]
    o = np.lexsort((-ben, u, c))
    key = c[o] * 2 + u[o]
    start = np.r_[True, key[1:] != key[:-1]]
    second = np.zeros(o.size, dtype=bool)
    second[1:] = (~start[1:]) & start[:-1]
    ncomp = int(c.max()) + 1
    best = np.full((ncomp, 2), -np.inf)
    best_p = np.full((ncomp, 2), -1, dtype=np.int64)
    sec = np.full((ncomp, 2), -np.inf)
    sec_p = np.full((ncomp, 2), -1, dtype=np.int64)
    best[c[o][start], u[o][start]] = ben[o][start]
    best_p[c[o][start], u[o][start]] = idx[o][start]
    sec[c[o][second], u[o][second]] = ben[o][second]
    sec_p[c[o][second], u[o][second]] = idx[o][second]
    cs = np.unique(c)
    b0, b1 = best[cs, 0], best[cs, 1]
    p0, p1 = best_p[cs, 0], best_p[cs, 1]
    bigp = np.full(benefit.size, -1, dtype=np.int64)
    bigp[idx] = big
    same = (p0 >= 0) & (p1 >= 0) & (bigp[np.maximum(p0, 0)] == bigp[np.maximum(p1, 0)])
    opt_both = np.where(same, -np.inf, b0 + b1)
    opt_a = b0 + sec[cs, 1]  # best of u0 with second of u1 (distinct big members when ``same``)
    opt_b = sec[cs, 0] + b1
    opts = np.stack([opt_both, opt_a, opt_b, b0, b1], 1)
    opts = np.where(np.isnan(opts), -np.inf, opts)
    k = np.argmax(opts, axis=1)
    first = np.select([k == 0, k == 1, k == 2, k == 3], [p0, p0, sec_p[cs, 0], p0], p1)
    other = np.select([k == 0, k == 1, k == 2], [p1, sec_p[cs, 1], p1], -1)
    out = np.concatenate([first, other])
    res: IntArray = out[out >= 0]
    return res


def _two_sided_loops(
    idx: IntArray, comp: IntArray, small_is_slot: BoolArray, slot: IntArray, rid: IntArray, benefit: FloatArray
) -> IntArray:  # pragma: no cover - compiled
    n = idx.size
    ncomp = 0
    for k in range(n):
        ncomp = max(ncomp, comp[idx[k]] + 1)
    smin = np.full(ncomp, np.iinfo(np.int64).max)
    for k in range(n):
        p = idx[k]
        sm = slot[p] if small_is_slot[k] else rid[p]
        smin[comp[p]] = min(smin[comp[p]], sm)
    best = np.full((ncomp, 2), -np.inf)
    best_p = np.full((ncomp, 2), -1, dtype=np.int64)
    sec = np.full((ncomp, 2), -np.inf)
    sec_p = np.full((ncomp, 2), -1, dtype=np.int64)
    has = np.zeros(ncomp, dtype=np.bool_)
    for k in range(n):  # in pair order: ties keep the earlier pair, as the stable sort does
        p = idx[k]
        c = comp[p]
        has[c] = True
        sm = slot[p] if small_is_slot[k] else rid[p]
        u = 0 if sm == smin[c] else 1
        b = benefit[p]
        if b > best[c, u]:
            sec[c, u], sec_p[c, u] = best[c, u], best_p[c, u]
            best[c, u], best_p[c, u] = b, p
        elif b > sec[c, u]:
            sec[c, u], sec_p[c, u] = b, p
    big = np.full(benefit.size, -1, dtype=np.int64)
    for k in range(n):
        p = idx[k]
        big[p] = rid[p] if small_is_slot[k] else slot[p]
    first = np.empty(ncomp, dtype=np.int64)
    other = np.empty(ncomp, dtype=np.int64)
    m = 0
    opts = np.empty(5)
    for c in range(ncomp):
        if not has[c]:
            continue
        b0, b1, p0, p1 = best[c, 0], best[c, 1], best_p[c, 0], best_p[c, 1]
        same = p0 >= 0 and p1 >= 0 and big[p0] == big[p1]
        opts[0] = -np.inf if same else b0 + b1
        opts[1] = b0 + sec[c, 1]
        opts[2] = sec[c, 0] + b1
        opts[3] = b0
        opts[4] = b1
        kbest = 0
        for j in range(5):
            if np.isnan(opts[j]):
                opts[j] = -np.inf
        for j in range(1, 5):
            if opts[j] > opts[kbest]:
                kbest = j
        if kbest == 0:
            first[m], other[m] = p0, p1
        elif kbest == 1:
            first[m], other[m] = p0, sec_p[c, 1]
        elif kbest == 2:
            first[m], other[m] = sec_p[c, 0], p1
        elif kbest == 3:
            first[m], other[m] = p0, -1
        else:
            first[m], other[m] = p1, -1
        m += 1
    out = np.empty(2 * m, dtype=np.int64)
    n_out = 0
    for j in range(m):
        if first[j] >= 0:
            out[n_out] = first[j]
            n_out += 1
    for j in range(m):
        if other[j] >= 0:
            out[n_out] = other[j]
            n_out += 1
    return out[:n_out]


two_sided_nb: Callable[..., IntArray] = _njit(_two_sided_loops)


def two_sided(
    idx: IntArray, comp: IntArray, small_is_slot: BoolArray, slot: IntArray, rid: IntArray, benefit: FloatArray
) -> IntArray:
    fn = two_sided_nb if USE_NUMBA else two_sided_np
    return fn(idx, comp, small_is_slot, slot, rid, benefit)


# ----------------------------------------------------------------------------- cheap JPDA
def cheap_jpda_np(
    multi: IntArray,
    comp: IntArray,
    slot: IntArray,
    rid: IntArray,
    loglik: FloatArray,
    chosen: BoolArray,
    dims: IntArray,
    nu: FloatArray,
    clutter_gate: float,
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Cheap JPDA (Fitzgerald 1985) pseudo-measurements of the ambiguous pairs ``multi``.

    Pair likelihoods are scaled by the best pair of their component; the miss term is the likelihood of a report
    at the gate edge (``exp(−clutter_gate/2)`` of the best), so the weights do not depend on measurement units.
    Per slot (and measurement dimension ``dims``) the weights give the mean innovation ν̄ and its spread; every
    ``chosen`` pair of a slot with two or more candidates gets the offset ``ν̄ − ν`` and the spread
    ``E[ννᵀ] − ν̄ν̄ᵀ``. ``nu`` (n, 4) holds each pair's innovation in its first ``dims`` columns. Returns the
    pair ids (ascending), offsets (k, 4) and spreads (k, 4, 4), zero-padded beyond each pair's dimension."""
    ll = loglik[multi]
    cm = comp[multi]
    best = np.full(int(cm.max()) + 1, -np.inf)
    np.maximum.at(best, cm, ll)
    g = np.exp(ll - best[cm])
    _, sl = np.unique(slot[multi], return_inverse=True)
    _, rl = np.unique(rid[multi], return_inverse=True)
    ts = np.bincount(sl, weights=g)
    sr = np.bincount(rl, weights=g)
    beta = g / (ts[sl] + sr[rl] - g + np.exp(-0.5 * clutter_gate))
    npairs = np.bincount(sl)
    ids, offs, spreads = [], [], []
    for d in np.unique(dims[multi]).tolist():
        m = dims[multi] == d
        pm = multi[m]
        nu_d = nu[pm, :d]
        wsum = np.bincount(sl[m], weights=beta[m], minlength=npairs.size)
        w = beta[m] / np.maximum(wsum[sl[m]], 1e-300)
        nbar = np.zeros((npairs.size, d))
        np.add.at(nbar, sl[m], w[:, None] * nu_d)
        second = np.zeros((npairs.size, d, d))
        np.add.at(second, sl[m], w[:, None, None] * nu_d[:, :, None] * nu_d[:, None, :])
        j = np.flatnonzero(chosen[pm] & (npairs[sl[m]] >= 2))
        s_ = sl[m][j]
        off = np.zeros((j.size, 4))
        off[:, :d] = nbar[s_] - nu_d[j]
        spread = np.zeros((j.size, 4, 4))
        spread[:, :d, :d] = second[s_] - nbar[s_][:, :, None] * nbar[s_][:, None, :]
        ids.append(pm[j])
        offs.append(off)
        spreads.append(spread)
    idx = np.concatenate(ids)
    o = np.argsort(idx, kind="stable")
    return idx[o], np.concatenate(offs)[o], np.concatenate(spreads)[o]


def _cheap_jpda_loops(
    multi: IntArray,
    comp: IntArray,
    slot: IntArray,
    rid: IntArray,
    loglik: FloatArray,
    chosen: BoolArray,
    dims: IntArray,
    nu: FloatArray,
    clutter_gate: float,
) -> tuple[IntArray, FloatArray, FloatArray]:  # pragma: no cover - compiled
    nm = multi.size
    ncomp, ns, nr = 0, 0, 0
    for p in multi:
        ncomp = max(ncomp, comp[p] + 1)
        ns = max(ns, slot[p] + 1)
        nr = max(nr, rid[p] + 1)
    best = np.full(ncomp, -np.inf)
    for p in multi:
        best[comp[p]] = max(best[comp[p]], loglik[p])
    g = np.empty(nm)
    ts = np.zeros(ns)
    sr = np.zeros(nr)
    npairs = np.zeros(ns, dtype=np.int64)
    for i in range(nm):
        p = multi[i]
        g[i] = np.exp(loglik[p] - best[comp[p]])
        ts[slot[p]] += g[i]
        sr[rid[p]] += g[i]
        npairs[slot[p]] += 1
    miss = np.exp(-0.5 * clutter_gate)
    beta = np.empty(nm)
    for i in range(nm):
        p = multi[i]
        beta[i] = g[i] / (ts[slot[p]] + sr[rid[p]] - g[i] + miss)
    order = np.argsort(slot[multi], kind="mergesort")
    out_id = np.empty(nm, dtype=np.int64)
    out_off = np.zeros((nm, 4))
    out_spread = np.zeros((nm, 4, 4))
    n_out = 0
    nbar = np.empty(4)
    second = np.empty((4, 4))
    a0 = 0
    while a0 < nm:
        s0 = slot[multi[order[a0]]]
        a1 = a0
        while a1 < nm and slot[multi[order[a1]]] == s0:
            a1 += 1
        for dd in range(1, 5):
            wsum = 0.0
            present = False
            for a in range(a0, a1):
                if dims[multi[order[a]]] == dd:
                    wsum += beta[order[a]]
                    present = True
            if not present:
                continue
            nbar[:] = 0.0
            second[:] = 0.0
            for a in range(a0, a1):
                i = order[a]
                p = multi[i]
                if dims[p] != dd:
                    continue
                w = beta[i] / max(wsum, 1e-300)
                for u in range(dd):
                    nbar[u] += w * nu[p, u]
                    for v in range(dd):
                        second[u, v] += w * nu[p, u] * nu[p, v]
            if npairs[s0] < 2:
                continue
            for a in range(a0, a1):
                p = multi[order[a]]
                if dims[p] != dd or not chosen[p]:
                    continue
                out_id[n_out] = p
                for u in range(dd):
                    out_off[n_out, u] = nbar[u] - nu[p, u]
                    for v in range(dd):
                        out_spread[n_out, u, v] = second[u, v] - nbar[u] * nbar[v]
                n_out += 1
        a0 = a1
    o = np.argsort(out_id[:n_out], kind="mergesort")
    return out_id[:n_out][o], out_off[:n_out][o], out_spread[:n_out][o]


cheap_jpda_nb: Callable[..., tuple[IntArray, FloatArray, FloatArray]] = _njit(_cheap_jpda_loops)


def cheap_jpda(
    multi: IntArray,
    comp: IntArray,
    slot: IntArray,
    rid: IntArray,
    loglik: FloatArray,
    chosen: BoolArray,
    dims: IntArray,
    nu: FloatArray,
    clutter_gate: float,
) -> tuple[IntArray, FloatArray, FloatArray]:
    fn = cheap_jpda_nb if USE_NUMBA else cheap_jpda_np
    return fn(multi, comp, slot, rid, loglik, chosen, dims, nu, clutter_gate)


# ----------------------------------------------------------------------------- assignment in small dense blocks
def assign_blocks_np(bounds: IntArray, sl: IntArray, rl: IntArray, cost: FloatArray, pid: IntArray) -> IntArray:
    """Optimal assignment in each block ``bounds[i]:bounds[i+1]`` of (slot ``sl``, report ``rl``, ``cost``, pair id
    ``pid``) entries (local indices from 0): the pair ids chosen by ``linear_sum_assignment`` on the dense block,
    with one zero-cost "no report" column per slot so that a slot may stay unassigned rather than take a poor
    pair."""
    out = []
    for a0, a1 in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        s_, r_ = sl[a0:a1], rl[a0:a1]
        nsl, nrl = int(s_.max()) + 1, int(r_.max()) + 1
        dense = np.full((nsl, nrl + nsl), 1e9)
        dense[s_, r_] = cost[a0:a1]
        dense[np.arange(nsl), nrl + np.arange(nsl)] = 0.0
        ri, ci = linear_sum_assignment(dense)
        ok = ci < nrl
        ids = np.full((nsl, nrl), -1, dtype=np.int64)
        ids[s_, r_] = pid[a0:a1]
        sel = ids[ri[ok], ci[ok]]
        out.append(sel[sel >= 0])
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def _lsa_py(cost: FloatArray) -> IntArray:  # pragma: no cover - compiled
    """Column of each row in the minimum-cost assignment of ``cost`` (rows ≤ columns): the shortest augmenting
    path algorithm (Crouse 2016) exactly as scipy's ``linear_sum_assignment`` implements it, so ties resolve the
    same way."""
    nr, nc = cost.shape
    u = np.zeros(nr)
    v = np.zeros(nc)
    spc = np.empty(nc)
    path = np.full(nc, -1, dtype=np.int64)
    col4row = np.full(nr, -1, dtype=np.int64)
    row4col = np.full(nc, -1, dtype=np.int64)
    sr = np.zeros(nr, dtype=np.bool_)
    sc = np.zeros(nc, dtype=np.bool_)
    remaining = np.empty(nc, dtype=np.int64)
    for cur in range(nr):
        # augmenting path from row ``cur``
        min_val = 0.0
        i = cur
        num_rem = nc
        for it in range(nc):
            remaining[it] = nc - it - 1
        sr[:] = False
        sc[:] = False
        spc[:] = np.inf
        sink = -1
        while sink == -1:
            index = -1
            lowest = np.inf
            sr[i] = True
            for it in range(num_rem):
                j = remaining[it]
                r = min_val + cost[i, j] - u[i] - v[j]
                if r < spc[j]:
                    path[j] = i
                    spc[j] = r
                if spc[j] < lowest or (spc[j] == lowest and row4col[j] == -1):
                    lowest = spc[j]
                    index = it
            min_val = lowest
            if min_val == np.inf:
                return col4row  # infeasible (cannot happen with the zero-cost columns)
            j = remaining[index]
            if row4col[j] == -1:
                sink = j
            else:
                i = row4col[j]
            sc[j] = True
            num_rem -= 1
            remaining[index] = remaining[num_rem]
        u[cur] += min_val
        for i in range(nr):
            if sr[i] and i != cur:
                u[i] += min_val - spc[col4row[i]]
        for j in range(nc):
            if sc[j]:
                v[j] -= min_val - spc[j]
        j = sink
        while True:
            i = path[j]
            row4col[j] = i
            tmp = col4row[i]
            col4row[i] = j
            j = tmp
            if i == cur:
                break
    return col4row


_lsa: Callable[[FloatArray], IntArray] = _njit(_lsa_py)


def _assign_blocks_loops(
    bounds: IntArray, sl: IntArray, rl: IntArray, cost: FloatArray, pid: IntArray
) -> IntArray:  # pragma: no cover - compiled
    out = np.empty(sl.size, dtype=np.int64)
    n_out = 0
    for b in range(bounds.size - 1):
        a0, a1 = bounds[b], bounds[b + 1]
        nsl, nrl = 0, 0
        for k in range(a0, a1):
            nsl = max(nsl, sl[k] + 1)
            nrl = max(nrl, rl[k] + 1)
        dense = np.full((nsl, nrl + nsl), 1e9)
        ids = np.full((nsl, nrl), -1, dtype=np.int64)
        for k in range(a0, a1):
            dense[sl[k], rl[k]] = cost[k]
            ids[sl[k], rl[k]] = pid[k]
        for i in range(nsl):
            dense[i, nrl + i] = 0.0
        col = _lsa(dense)
        for i in range(nsl):
            c = col[i]
            if c < nrl and ids[i, c] >= 0:
                out[n_out] = ids[i, c]
                n_out += 1
    return out[:n_out]


assign_blocks_nb: Callable[..., IntArray] = _njit(_assign_blocks_loops)


def assign_blocks(bounds: IntArray, sl: IntArray, rl: IntArray, cost: FloatArray, pid: IntArray) -> IntArray:
    fn = assign_blocks_nb if USE_NUMBA else assign_blocks_np
    return fn(bounds, sl, rl, cost, pid)


_warm = False


def warm_up() -> None:
    """Compile (or load from the cache) every kernel on tiny inputs, once per process: a tracker calls this at
    construction so that the first frame does not pay for it."""
    global _warm
    if _warm or not USE_NUMBA:
        return
    _warm = True
    k = np.zeros(1, dtype=np.int64)
    x, p, mu = np.zeros((1, 1, 6)), np.tile(np.eye(6), (1, 1, 1, 1)), np.ones((1, 1))
    jj, bv, q, c = np.zeros((1, 6, 6)), np.zeros((1, 1, 6)), np.zeros((1, 1)), np.zeros(1)
    info_update_nb(x, p, mu, jj, bv, q, c)
    one = np.ones(1)
    combine_nb(x, p, mu)
    predict_cv_nb(x[0], p[0], one, 1.0, 0.1)
    mahalanobis2_nb(x[0], p[0])
    row_members_nb(np.ones((1, 1), dtype=np.bool_), k, k)
    imm_predict_nb(x, p, mu, one, one, one, one, 0.05)
    x6, site, rot = np.ones((1, 6)), np.zeros((1, 3)), np.tile(np.eye(3), (1, 1, 1))
    for kind, d in ((0, 1), (0, 2), (1, 3), (1, 4), (2, 3)):
        z, r = np.ones((1, d)), np.tile(np.eye(d), (1, 1, 1))
        measure_nb(kind, x6, site, rot, 331.0, d)
        gate_pairs_nb(kind, x6, p[0], k, k, one, z, r, site, rot, 331.0, 10.0)
        info_measure_nb(kind, k, x6, x, one, k, z, r, site, rot, 331.0, jj, bv, q, c)
        if kind == 0:
            slot_components_nb(k, k, one, k, 1, 1)
            gnn_split_nb(k, k, k + 1, k + 1, k, one)
            two_sided_nb(k, k, np.ones(1, dtype=np.bool_), k, k, one)
            cheap_jpda_nb(k, k, k, k, one, np.ones(1, dtype=np.bool_), k + 1, np.zeros((1, 4)), 16.0)
            assign_blocks_nb(np.array([0, 1]), k, k, one, k)
            bearing_pregate_nb(
                np.array([0, 1]), k, site, rot, x6[:, :3].copy(), x6[:, 3:].copy(), one, one, 331.0, k, z, r
            )
