"""Engagement feasibility: when and where each effector unit can intercept each threat, and with what Pk.

Geometry is planar in the theatre's projected CRS over the straight-line prediction of the threat
(position ``p0``, ground velocity ``v``). A mobile effector (interceptor drone, fighter) launched after its
reaction time ``τ`` at speed ``u`` with kill radius ``R`` meets the threat at the earliest ``t ≥ τ`` with
``|p0 + v t − s| = u (t − τ) + R`` (lead pursuit, a quadratic in ``t``); interceptors must also be able to fly
back (intercept within ``u · endurance / 2`` of the base). A static effector (EW site, gun team) engages at
the first ``t ≥ τ`` with ``|p0 + v t − s| ≤ R``. An engagement counts only if it happens before the threat's
deadline: reaching its threatened asset or the depth line, whichever is first. Vectorised over units × threats.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from borderwatch.response.effectors import Unit
from borderwatch.response.zones import EngagementZones

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ThreatState:
    """What feasibility needs of a threat, in grid metres and seconds from now."""

    track: str
    x: float
    y: float
    vx: float
    vy: float
    deadline_s: float  # seconds from now until it reaches its asset or the depth line
    cls: Mapping[str, float]
    damage_eur: float


@dataclass(frozen=True, slots=True)
class Option:
    """One feasible engagement of a threat by a unit."""

    unit: str
    track: str
    kind: str
    t_s: float  # seconds from now to intercept
    x: float
    y: float
    pk: float
    cost_eur: float
    margin_s: float  # deadline minus intercept time
    note: str = ""  # why the intercept is later than the earliest possible one (engagement zones)


def intercept_times(
    sx: FloatArray,
    sy: FloatArray,
    u: FloatArray,
    tau: FloatArray,
    rng_m: FloatArray,
    px: FloatArray,
    py: FloatArray,
    vx: FloatArray,
    vy: FloatArray,
) -> FloatArray:
    """Earliest intercept time (s from now) for units (rows) × threats (columns); ``inf`` where none.

    >>> t = intercept_times(*[np.array([a]) for a in (0.0, 0.0, 80.0, 60.0, 0.0)],
    ...                     *[np.array([a]) for a in (10_000.0, 0.0, -40.0, 0.0)])
    >>> round(float(t[0, 0]), 1)   # meet when 10 km - 40 t = 80 (t - 60): t = 123.3 s
    123.3
    """
    dx = px[None, :] - sx[:, None]
    dy = py[None, :] - sy[:, None]
    vxx = np.broadcast_to(vx[None, :], dx.shape)
    vyy = np.broadcast_to(vy[None, :], dx.shape)
    uu = u[:, None] * np.ones_like(dx)
    tt = tau[:, None] * np.ones_like(dx)
    rr = rng_m[:, None] * np.ones_like(dx)
    out = np.full(dx.shape, np.inf)
    # already within range at launch time?
    ex, ey = dx + vxx * tt, dy + vyy * tt
    at_tau = np.hypot(ex, ey) <= rr
    out[at_tau] = tt[at_tau]
    dv = dx * vxx + dy * vyy
    d2 = dx**2 + dy**2
    v2 = vxx**2 + vyy**2
    mobile = uu > 0
    # mobile: |d + v t|^2 = (u (t - tau) + R)^2
    a = np.where(mobile, v2 - uu**2, v2)
    b = np.where(mobile, 2 * dv + 2 * uu**2 * tt - 2 * uu * rr, 2 * dv)
    c = np.where(mobile, d2 - uu**2 * tt**2 + 2 * uu * rr * tt - rr**2, d2 - rr**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = b**2 - 4 * a * c
        sq = np.sqrt(np.maximum(disc, 0.0))
        r1 = (-b - sq) / (2 * a)
        r2 = (-b + sq) / (2 * a)
        lin = -c / b
    quad = np.abs(a) > 1e-9
    lo = np.where(quad, np.minimum(r1, r2), lin)
    hi = np.where(quad, np.maximum(r1, r2), lin)
    ok = (disc >= 0) | ~quad
    # mobile: earliest root at or after tau; static: entry time of the range circle (or tau if inside)
    cand_m = np.where(lo >= tt, lo, np.where(hi >= tt, hi, np.inf))
    cand_s = np.where(hi >= tt, np.maximum(lo, tt), np.inf)
    cand = np.where(mobile, cand_m, cand_s)
    cand = np.where(ok & np.isfinite(cand), cand, np.inf)
    return np.where(at_tau, out, cand)


def feasible_options(
    units: Sequence[Unit],
    unit_xy: FloatArray,
    threats: Sequence[ThreatState],
    *,
    guidance_of: Mapping[str, str],
    horizon_s: float,
    zones: EngagementZones | None = None,
) -> list[Option]:
    """Every feasible (unit, threat) engagement with its intercept time, point, Pk and cost.

    With ``zones``, the intercept point must be allowed for the effector (our territory, outside no-fire
    areas, the kind's rules): the earliest allowed point along the predicted path (searched every
    ``sample_step_s``) is taken, and an option with none before the deadline is not offered."""
    if not units or not threats:
        return []
    u = np.array([x.type.speed_mps.value for x in units])
    tau = np.array([x.type.reaction_s.value for x in units])
    rr = np.array([x.type.engage_range_m.value for x in units])
    endur = np.array([x.type.endurance_s.value for x in units])
    px = np.array([t.x for t in threats])
    py = np.array([t.y for t in threats])
    vx = np.array([t.vx for t in threats])
    vy = np.array([t.vy for t in threats])
    deadline = np.minimum(np.array([t.deadline_s for t in threats]), horizon_s)
    tint = intercept_times(unit_xy[:, 0], unit_xy[:, 1], u, tau, rr, px, py, vx, vy)
    ix = px[None, :] + vx[None, :] * tint
    iy = py[None, :] + vy[None, :] * tint
    with np.errstate(invalid="ignore"):
        reach = np.hypot(ix - unit_xy[:, 0:1], iy - unit_xy[:, 1:2])
        out_and_back = np.where(u[:, None] > 0, reach <= u[:, None] * endur[:, None] / 2 + rr[:, None], True)
        feasible = np.isfinite(tint) & (tint <= deadline[None, :]) & out_and_back
    notes: dict[tuple[int, int], str] = {}
    if zones is not None and feasible.any():
        feasible, tint, ix, iy, notes = _zoned(
            zones, units, unit_xy, u, tau, rr, endur, px, py, vx, vy, deadline, feasible, tint, ix, iy
        )
    opts: list[Option] = []
    guidance = dict(guidance_of)
    pk_of: dict[tuple[str, int], float] = {}  # Pk depends on the unit's type and the threat's classes only
    rows, cols = np.nonzero(feasible)
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        unit, th = units[i], threats[j]
        key = (unit.type_id, j)
        pk = pk_of.get(key)
        if pk is None:
            pk = pk_of[key] = unit.pk_for(dict(th.cls), guidance)
        if pk <= 0.0:
            continue
        t_s = float(tint[i, j])
        cost = unit.type.cost_per_shot_eur.value
        if unit.type.cost_per_hour_eur is not None:
            # sortie: out, engage, and back at the same speed
            cost += unit.type.cost_per_hour_eur.value * (2 * (t_s - unit.type.reaction_s.value)) / 3600.0
        opts.append(
            Option(
                unit=unit.id,
                track=th.track,
                kind=unit.type.kind,
                t_s=t_s,
                x=float(ix[i, j]),
                y=float(iy[i, j]),
                pk=pk,
                cost_eur=cost,
                margin_s=float(deadline[j] - t_s),
                note=notes.get((i, j), ""),
            )
        )
    return opts


def _zoned(
    zones: EngagementZones,
    units: Sequence[Unit],
    unit_xy: FloatArray,
    u: FloatArray,
    tau: FloatArray,
    rr: FloatArray,
    endur: FloatArray,
    px: FloatArray,
    py: FloatArray,
    vx: FloatArray,
    vy: FloatArray,
    deadline: FloatArray,
    feasible: NDArray[np.bool_],
    tint: FloatArray,
    ix: FloatArray,
    iy: FloatArray,
) -> tuple[NDArray[np.bool_], FloatArray, FloatArray, FloatArray, dict[tuple[int, int], str]]:
    """Move each feasible intercept to the earliest allowed point on the predicted path (vectorised)."""
    step = zones.spec.sample_step_s.value
    pi, pj = np.nonzero(feasible)
    t0 = tint[pi, pj]
    k_max = int(min(240, np.ceil(np.max(deadline[pj] - t0) / step) + 1))
    tt = t0[:, None] + step * np.arange(k_max)[None, :]
    tt = np.where(tt <= deadline[pj][:, None], tt, np.nan)
    qx = px[pj][:, None] + vx[pj][:, None] * tt
    qy = py[pj][:, None] + vy[pj][:, None] * tt
    sx, sy = unit_xy[pi, 0][:, None], unit_xy[pi, 1][:, None]
    d = np.hypot(qx - sx, qy - sy)
    uu, ta, rg, en = u[pi][:, None], tau[pi][:, None], rr[pi][:, None], endur[pi][:, None]
    with np.errstate(invalid="ignore"):
        reach = np.where(uu > 0, (d <= uu * (tt - ta) + rg + 1e-6) & (d <= uu * en / 2 + rg), d <= rg + 1e-6)
        reach &= np.isfinite(tt)
    allowed = np.zeros_like(reach)
    kinds = np.array([units[int(i)].type.kind for i in pi])
    for kind in np.unique(kinds):
        rows = np.flatnonzero(kinds == kind)
        m = reach[rows]
        if not m.any():
            continue
        a = np.zeros(m.shape, dtype=bool)
        a[m] = zones.allowed(str(kind), qx[rows][m], qy[rows][m])
        allowed[rows] = a
    has = allowed.any(axis=1)
    first = np.argmax(allowed, axis=1)
    feas = np.zeros_like(feasible)
    tint2, ix2, iy2 = tint.copy(), ix.copy(), iy.copy()
    notes: dict[tuple[int, int], str] = {}
    for q in np.flatnonzero(has):
        i, j, k = int(pi[q]), int(pj[q]), int(first[q])
        feas[i, j] = True
        tint2[i, j], ix2[i, j], iy2[i, j] = tt[q, k], qx[q, k], qy[q, k]
        if k > 0:
            kind = str(kinds[q])
            why = zones.why_not(kind, float(qx[q, 0]), float(qy[q, 0]))
            depth_km = float(zones.border_distance_m([qx[q, k]], [qy[q, k]])[0]) / 1000.0
            if why == "outside our territory":
                notes[(i, j)] = (
                    f"reachable only after it crosses the border: the earliest intercept ({tt[q, 0]:.0f} s) would be "
                    f"outside our territory; intercept in {tt[q, k]:.0f} s, {depth_km:.1f} km inside"
                )
            else:
                notes[(i, j)] = (
                    f"the earliest intercept ({tt[q, 0]:.0f} s) is not allowed ({why or 'zone rule'}); "
                    f"intercept in {tt[q, k]:.0f} s instead"
                )
    return feas, tint2, ix2, iy2, notes
