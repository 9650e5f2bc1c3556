"""Compiled (numba) kernels for the tracker's hot loops over many tiny matrices, with pure-numpy twins.

numpy pays a fixed cost per call and per batched LAPACK call; with ~1,000 tracks × 2 modes × 6×6 matrices per
frame that cost, not the arithmetic, dominates. The kernels below do the same algebra in one compiled loop.
Every kernel has a numpy twin (``*_np``) giving the same result to rounding (a test compares them); the tracker
uses the compiled one when ``USE_NUMBA`` is true.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from borderwatch.tracking.measurements import inv_logdet

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

USE_NUMBA = True

_njit: Callable[[Callable[..., Any]], Any] = numba.njit(cache=True, nogil=True)


# ----------------------------------------------------------------------------- information accumulation
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


def _info_accumulate_loops(
    kk: IntArray,
    h: FloatArray,
    nu: FloatArray,
    rinv: FloatArray,
    cst: FloatArray,
    jj: FloatArray,
    bv: FloatArray,
    q: FloatArray,
    const: FloatArray,
) -> None:  # pragma: no cover - compiled
    n, d = h.shape[0], h.shape[1]
    m = nu.shape[1]
    hr = np.empty((6, d))
    rnu = np.empty(d)
    for r in range(n):
        k = kk[r]
        for a in range(6):
            for j in range(d):
                s = 0.0
                for i in range(d):
                    s += h[r, i, a] * rinv[r, i, j]
                hr[a, j] = s
        for a in range(6):
            for b in range(6):
                s = 0.0
                for j in range(d):
                    s += hr[a, j] * h[r, j, b]
                jj[k, a, b] += s
        for mm in range(m):
            for j in range(d):
                s = 0.0
                for i in range(d):
                    s += nu[r, mm, i] * rinv[r, i, j]
                rnu[j] = s
            qq = 0.0
            for j in range(d):
                qq += rnu[j] * nu[r, mm, j]
            q[k, mm] += qq
            for b in range(6):
                s = 0.0
                for j in range(d):
                    s += rnu[j] * h[r, j, b]
                bv[k, mm, b] += s
        const[k] += cst[r]


info_accumulate_nb: Callable[..., None] = _njit(_info_accumulate_loops)


def info_accumulate(*args: Any) -> None:
    (info_accumulate_nb if USE_NUMBA else info_accumulate_np)(*args)


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
                logdet += np.log(abs(a[c, c]))
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


# ----------------------------------------------------------------------------- gating statistics
def gate_stats_np(
    h: FloatArray, p: FloatArray, trk: IntArray, r: FloatArray, nu: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Squared Mahalanobis distances (n,) and ``ln|S|`` (n,) of innovations ``nu`` (n, d) with
    ``S = H P[trk] Hᵀ + R``: ``h`` (n, d, 6), ``p`` (tracks, 6, 6), ``r`` (n, d, d)."""
    s = h @ p[trk] @ h.transpose(0, 2, 1) + r
    s_inv, logdet = inv_logdet(s)
    d2 = np.einsum("ki,kij,kj->k", nu, s_inv, nu)
    return d2, logdet


def _gate_stats_loops(
    h: FloatArray, p: FloatArray, trk: IntArray, r: FloatArray, nu: FloatArray
) -> tuple[FloatArray, FloatArray]:  # pragma: no cover - compiled
    n, d = h.shape[0], h.shape[1]
    d2 = np.empty(n)
    logdet = np.empty(n)
    hp = np.empty((d, 6))
    s = np.empty((d, d))
    w = np.empty(d)
    for k in range(n):
        t = trk[k]
        for i in range(d):
            for b in range(6):
                acc = 0.0
                for a in range(6):
                    acc += h[k, i, a] * p[t, a, b]
                hp[i, b] = acc
        for i in range(d):
            for j in range(d):
                acc = 0.0
                for b in range(6):
                    acc += hp[i, b] * h[k, j, b]
                s[i, j] = acc + r[k, i, j]
        # Cholesky S = L Lᵀ (lower triangle of s), then d² = |L⁻¹ν|², ln|S| = 2 Σ ln L_ii
        ld = 0.0
        for j in range(d):
            acc = s[j, j]
            for c in range(j):
                acc -= s[j, c] * s[j, c]
            ljj = np.sqrt(max(acc, 1e-300))
            s[j, j] = ljj
            ld += np.log(ljj)
            for i in range(j + 1, d):
                acc = s[i, j]
                for c in range(j):
                    acc -= s[i, c] * s[j, c]
                s[i, j] = acc / ljj
        q = 0.0
        for i in range(d):
            acc = nu[k, i]
            for c in range(i):
                acc -= s[i, c] * w[c]
            w[i] = acc / s[i, i]
            q += w[i] * w[i]
        d2[k] = q
        logdet[k] = 2.0 * ld
    return d2, logdet


gate_stats_nb: Callable[..., tuple[FloatArray, FloatArray]] = _njit(_gate_stats_loops)


def gate_stats(
    h: FloatArray, p: FloatArray, trk: IntArray, r: FloatArray, nu: FloatArray
) -> tuple[FloatArray, FloatArray]:
    if USE_NUMBA:
        return gate_stats_nb(h, p, trk, r, nu)
    return gate_stats_np(h, p, trk, r, nu)


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
    h, r, nu = np.zeros((1, 1, 6)), np.ones((1, 1, 1)), np.zeros((1, 1))
    info_accumulate_nb(k, h, nu[:, None, :].copy(), r, c.copy(), jj, bv, q, c)
    info_update_nb(x, p, mu, jj, bv, q, c)
    gate_stats_nb(h, p[0], k, r, nu)
