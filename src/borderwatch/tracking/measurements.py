"""Measurement models (vectorised EKF linearisations) and the Kalman update.

Kinds of measurement vector (angles in radians, azimuth clockwise from the site's north):

* ``radar``:  ``[range, az, el]`` or ``[range, az, el, rr]``
* ``bearing``: ``[az]`` or ``[az, el]`` — acoustic, with the **sound delay**: the sound received at ``t`` left
  the target at ``t − τ``, ``τ = |p(t − τ) − s| / c``. With a state at the reception time the emitting position is
  ``p − v τ``; τ solves a quadratic in closed form and the Jacobian includes its implicit derivative. No
  retrodiction buffer is needed: the update is made on the state at the reception time.
* ``position``: ``[e, n, u]`` in the tracker frame (ADS-B).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def speed_of_sound(temperature_c: float) -> float:
    """Speed of sound in dry air (m/s) at ``temperature_c``: 331.3·sqrt(1 + T/273.15)."""
    return 331.3 * float(np.sqrt(1.0 + temperature_c / 273.15))


@dataclass(frozen=True, slots=True)
class MeasBatch:
    """``k`` measurements of one kind and dimension: sites (k, 3) and rotations (k, 3, 3), z (k, d), R (k, d, d)."""

    kind: str  # "radar" | "bearing" | "position"
    z: FloatArray
    r: FloatArray
    site: FloatArray
    rot: FloatArray
    c_sound: float = 0.0  # 0 = no sound-delay correction

    @property
    def dim(self) -> int:
        return int(self.z.shape[1])

    def take(self, idx: NDArray[np.int64]) -> MeasBatch:
        return MeasBatch(self.kind, self.z[idx], self.r[idx], self.site[idx], self.rot[idx], self.c_sound)

    @property
    def angle_rows(self) -> tuple[int, ...]:
        return (1,) if self.kind == "radar" else (0,) if self.kind == "bearing" else ()


def _angles(d: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Azimuth, elevation, range, horizontal range and their position Jacobians (local axes)."""
    e, n, u = d[:, 0], d[:, 1], d[:, 2]
    rh2 = np.maximum(e * e + n * n, 1e-6)
    rh = np.sqrt(rh2)
    r2 = rh2 + u * u
    r = np.sqrt(r2)
    az = np.mod(np.arctan2(e, n), 2 * np.pi)
    el = np.arctan2(u, rh)
    j = np.zeros((d.shape[0], 3, 3))
    # range
    j[:, 0] = d / r[:, None]
    # az = atan2(e, n)
    j[:, 1, 0] = n / rh2
    j[:, 1, 1] = -e / rh2
    # el = atan2(u, rh)
    j[:, 2, 0] = -e * u / (r2 * rh)
    j[:, 2, 1] = -n * u / (r2 * rh)
    j[:, 2, 2] = rh / r2
    return az, el, r, rh, j


def sound_delay(x: FloatArray, site: FloatArray, c: float) -> FloatArray:
    """Propagation delay τ (s) from the state's position to the site: the root of ``|p − vτ − s| = cτ``.

    Closed form of the quadratic ``(c² − |v|²)τ² + 2(d·v)τ − |d|² = 0`` with ``d = p − s`` (exact for a
    constant-velocity target; needs |v| < c).
    """
    if c <= 0:
        return np.zeros(x.shape[0])
    d = x[:, :3] - site
    v = x[:, 3:]
    a = np.maximum(c * c - np.einsum("ki,ki->k", v, v), 1.0)
    b = np.einsum("ki,ki->k", d, v)
    dd = np.einsum("ki,ki->k", d, d)
    tau: FloatArray = (-b + np.sqrt(b * b + a * dd)) / a
    return tau


def predict(x: FloatArray, b: MeasBatch) -> tuple[FloatArray, FloatArray]:
    """Predicted measurements (k, d) and Jacobians (k, d, 6) of states ``x`` (k, 6)."""
    k, d = x.shape[0], b.dim
    h = np.zeros((k, d, 6))
    if b.kind == "position":
        h[:, 0, 0] = h[:, 1, 1] = h[:, 2, 2] = 1.0
        return x[:, :3].copy(), h
    if b.kind == "bearing":
        tau = sound_delay(x, b.site, b.c_sound)
        v = x[:, 3:]
        dp = x[:, :3] - v * tau[:, None] - b.site  # emission point relative to the site
        dl = np.einsum("kij,kj->ki", b.rot, dp)
        az, el, _, _, j = _angles(dl)
        jg = (j @ b.rot)[:, 1 : 1 + d]  # (k, d, 3): az, el wrt the emission point in tracker axes
        zh = np.stack([az, el], -1)[:, :d]
        if b.c_sound > 0:
            # implicit derivative of τ: dτ/dp = e/(e·v + c²τ), dτ/dv = −τ dτ/dp, e = emission point − site
            den = np.einsum("ki,ki->k", dp, v) + b.c_sound**2 * tau
            dtp = dp / den[:, None]
            eye = np.eye(3)[None]
            dq_dp = eye - v[:, :, None] * dtp[:, None, :]
            dq_dv = -tau[:, None, None] * eye + tau[:, None, None] * v[:, :, None] * dtp[:, None, :]
            h[:, :, :3] = jg @ dq_dp
            h[:, :, 3:] = jg @ dq_dv
        else:
            h[:, :, :3] = jg
        return zh, h
    # radar
    dp = x[:, :3] - b.site
    dl = np.einsum("kij,kj->ki", b.rot, dp)
    az, el, r, _, j = _angles(dl)
    jg = j @ b.rot
    cols = [r, az, el]
    h[:, 0, :3] = jg[:, 0]
    h[:, 1, :3] = jg[:, 1]
    h[:, 2, :3] = jg[:, 2]
    if d == 4:
        v = x[:, 3:]
        u = dp / r[:, None]
        rr = np.einsum("ki,ki->k", u, v)
        cols.append(rr)
        h[:, 3, :3] = (v - rr[:, None] * u) / r[:, None]
        h[:, 3, 3:] = u
    return np.stack(cols, -1), h


def innovation(z: FloatArray, zh: FloatArray, b: MeasBatch) -> FloatArray:
    nu: FloatArray = z - zh
    for i in b.angle_rows:
        nu[:, i] = (nu[:, i] + np.pi) % (2 * np.pi) - np.pi
    return nu


@dataclass(frozen=True, slots=True)
class Innovation:
    nu: FloatArray  # (k, d)
    s: FloatArray  # (k, d, d)
    s_inv: FloatArray
    h: FloatArray  # (k, d, 6)
    d2: FloatArray  # (k,) squared Mahalanobis distance
    logdet: FloatArray  # (k,) ln det S


def innovate(x: FloatArray, p: FloatArray, b: MeasBatch) -> Innovation:
    zh, h = predict(x, b)
    nu = innovation(b.z, zh, b)
    s = h @ p @ h.transpose(0, 2, 1) + b.r
    s_inv, logdet = inv_logdet(s)
    d2 = np.einsum("ki,kij,kj->k", nu, s_inv, nu)
    return Innovation(nu, s, s_inv, h, d2, logdet)


def innovate_linearised(
    x: FloatArray, p: FloatArray, b: MeasBatch, zh0: FloatArray, h: FloatArray, x0: FloatArray
) -> Innovation:
    """Innovations of states ``x`` linearised at ``x0`` (``zh0 = h(x0)``, Jacobian ``h``): the IMM modes of a
    track share one linearisation at the track's combined estimate, so the nonlinear model runs once per track."""
    zh = zh0 + np.einsum("kdi,ki->kd", h, x - x0)
    nu = innovation(b.z, zh, b)
    s = h @ p @ h.transpose(0, 2, 1) + b.r
    s_inv, logdet = inv_logdet(s)
    d2 = np.einsum("ki,kij,kj->k", nu, s_inv, nu)
    return Innovation(nu, s, s_inv, h, d2, logdet)


def inv_logdet(s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Inverses and log-determinants of stacked symmetric positive-definite (k, d, d) matrices; closed form
    (adjugate) for d ≤ 3, which is several times faster than batched LAPACK calls on tiny matrices."""
    d = s.shape[1]
    if d == 1:
        det = s[:, 0, 0]
        inv = (1.0 / det)[:, None, None]
    elif d == 2:
        a, b_, c = s[:, 0, 0], s[:, 0, 1], s[:, 1, 1]
        det = a * c - b_ * b_
        inv = np.empty_like(s)
        inv[:, 0, 0], inv[:, 1, 1] = c / det, a / det
        inv[:, 0, 1] = inv[:, 1, 0] = -b_ / det
    elif d == 3:
        a, b_, c = s[:, 0, 0], s[:, 0, 1], s[:, 0, 2]
        e, f, i = s[:, 1, 1], s[:, 1, 2], s[:, 2, 2]
        c00 = e * i - f * f
        c01 = c * f - b_ * i
        c02 = b_ * f - c * e
        det = a * c00 + b_ * c01 + c * c02
        inv = np.empty_like(s)
        inv[:, 0, 0] = c00 / det
        inv[:, 0, 1] = inv[:, 1, 0] = c01 / det
        inv[:, 0, 2] = inv[:, 2, 0] = c02 / det
        inv[:, 1, 1] = (a * i - c * c) / det
        inv[:, 1, 2] = inv[:, 2, 1] = (b_ * c - a * f) / det
        inv[:, 2, 2] = (a * e - b_ * b_) / det
    else:
        inv = np.asarray(np.linalg.inv(s), dtype=np.float64)
        return inv, np.asarray(np.linalg.slogdet(s)[1], dtype=np.float64)
    return inv, np.log(np.maximum(det, 1e-300))


def kalman_update(x: FloatArray, p: FloatArray, inn: Innovation) -> tuple[FloatArray, FloatArray]:
    """Joseph-free EKF update (k states) given their innovations; returns the posterior x and P."""
    pht = p @ inn.h.transpose(0, 2, 1)
    k = pht @ inn.s_inv
    xn = x + np.einsum("kij,kj->ki", k, inn.nu)
    pn = p - k @ inn.s @ k.transpose(0, 2, 1)
    pn = 0.5 * (pn + pn.transpose(0, 2, 1))
    return xn, pn


def log_likelihood(inn: Innovation) -> FloatArray:
    d = inn.nu.shape[1]
    out: FloatArray = -0.5 * (inn.d2 + inn.logdet + d * np.log(2 * np.pi))
    return out
