"""Reinforcement allocation: officers by type, shifts and loans to sections, minimising expected unhandled attempts.

Model (a MILP through HiGHS, ``scipy.optimize.milp``): ``x[g, s, t]`` officers of group ``g`` at section ``s``
in shift ``t`` (integer). A section-shift's handling capacity is ``C = Σ h_type · f_gs · x`` (``h`` attempts an
officer handles per shift, ``f_gs`` the share of the shift left after travelling from the group's base and
back). Its expected unhandled attempts ``E[(N − C)⁺]``, with ``N`` negative binomial around the forecast, is
convex in ``C``; it is represented exactly at integer capacities by its secants (``u ≥ a_k − b_k C``).
Rules: every section-shift has at least ``min_patrol`` patrol officers; an officer works at most one shift in
any ``hours + rest_h`` window (a sliding-window sum per group, which for these interval conflicts is also
sufficient for a roster of named officers), at most ``max_shifts_per_week`` in any 7 days; loans only within
their days; travel at most ``max_travel_h`` one way. Objective: expected unhandled attempts plus a tiny travel
tie-break. The baseline spreads each group's on-duty officers over its reachable sections in proportion to the
forecast, after the minimum staffing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, model_validator

from borderwatch.config import Sourced, Strict, load_model
from borderwatch.crossings.sections import Sections
from borderwatch.errors import InfeasibleError, InputError

OfficerTypeName = str


class ShiftSpec(Strict):
    name: str
    start_h: float = Field(ge=0.0, lt=24.0)
    hours: float = Field(gt=0.0, le=24.0)


class SharesSourced(Strict):
    value: dict[str, float]
    source: str = Field(min_length=3)


class OfficerType(Strict):
    handling_per_shift: Sourced
    shifts: list[str] = Field(min_length=1)


class Rules(Strict):
    min_patrol_per_section_shift: Sourced
    rest_h: Sourced
    max_shifts_per_week: Sourced
    travel_speed_kmh: Sourced
    road_factor: Sourced
    max_travel_h: Sourced


class Group(Strict):
    id: str
    type: str
    count: int = Field(ge=0)
    base: str
    origin: str = "own"
    from_day: int = Field(0, ge=0)
    days: int | None = Field(None, ge=1)
    source: str = Field(min_length=3)


class ForcesFile(Strict):
    """``forces.yaml``: shifts, officer types, rules and groups of officers."""

    shifts: list[ShiftSpec] = Field(min_length=1)
    attempt_shares: SharesSourced
    officer_types: dict[str, OfficerType]
    rules: Rules
    groups: list[Group] = Field(min_length=1)

    @model_validator(mode="after")
    def _refs(self) -> ForcesFile:
        names = [s.name for s in self.shifts]
        if sorted(self.attempt_shares.value) != sorted(names):
            raise ValueError(f"attempt_shares must name every shift {names}")
        if abs(sum(self.attempt_shares.value.values()) - 1.0) > 1e-6:
            raise ValueError("attempt_shares must sum to 1")
        if "patrol" not in self.officer_types:
            raise ValueError("officer_types needs 'patrol' (minimum staffing)")
        for t, ot in self.officer_types.items():
            bad = [s for s in ot.shifts if s not in names]
            if bad:
                raise ValueError(f"officer_types.{t}.shifts: unknown shift(s) {bad}")
        for g in self.groups:
            if g.type not in self.officer_types:
                raise ValueError(f"group {g.id}: unknown officer type {g.type!r}")
        ids = [g.id for g in self.groups]
        if len(set(ids)) != len(ids):
            raise ValueError("group ids must be unique")
        return self


def shipped_forces_path(theatre_name: str) -> Path | None:
    p = Path(str(resources.files("borderwatch.crossings") / "data" / theatre_name / "forces.yaml"))
    return p if p.is_file() else None


def load_forces(path: Path | str | None, *, theatre_name: str, sections: Sections) -> ForcesFile:
    p = path or shipped_forces_path(theatre_name)
    if p is None:
        raise InputError(f"no forces file shipped for theatre {theatre_name!r}: pass --forces FILE")
    f = load_model(ForcesFile, p)
    for i, g in enumerate(f.groups):
        if g.base not in sections.ids:
            raise InputError(f"unknown section {g.base!r}", source=str(p), field=f"groups[{i}].base")
    return f


# --- expected unhandled attempts ------------------------------------------------------------------------


def expected_unhandled(lam: float, alpha: float, capacity: np.ndarray) -> np.ndarray:
    """``E[(N − c)⁺]`` for ``N ~ NB(mean lam, dispersion alpha)``, linear between integer capacities.

    >>> float(expected_unhandled(2.0, 1e-9, np.array([0.0]))[0])
    2.0
    """
    c = np.asarray(capacity, dtype=float)
    top = int(np.ceil(c.max())) + 1 if c.size else 1
    table = _unhandled_table(lam, alpha, top)
    lo = np.clip(np.floor(c).astype(int), 0, top - 1)
    w = c - lo
    return np.asarray(table[lo] * (1 - w) + table[np.minimum(lo + 1, top)] * w)


def _unhandled_table(lam: float, alpha: float, top: int) -> np.ndarray:
    """``E[(N − k)⁺]`` for k = 0..top (E[(N−k)⁺] = lam − Σ_{j<k} P(N > j))."""
    from scipy.stats import nbinom, poisson

    k = np.arange(top + 1)
    if lam <= 0:
        return np.zeros(top + 1)
    if alpha < 1e-6:
        sf = poisson.sf(k, lam)
    else:
        r = 1.0 / alpha
        sf = nbinom.sf(k, r, r / (r + lam))
    return np.maximum(lam - np.concatenate([[0.0], np.cumsum(sf)[:-1]]), 0.0)


def unhandled_tables(lam: np.ndarray, alpha: float) -> np.ndarray:
    """``E[(N − k)⁺]`` for every cell of ``lam`` (any shape) and k = 0..K, one vectorised call: ``(..., K+1)``.

    K covers the largest mean plus 8 standard deviations; beyond it the value is below 1e-6 of an attempt.
    """
    from scipy.stats import nbinom, poisson

    lam = np.asarray(lam, dtype=float)
    sd = np.sqrt(lam * (1 + alpha * lam))
    top = int(np.ceil(float(np.max(lam + 8 * sd, initial=0.0)))) + 4
    k = np.arange(top + 1)
    flat = lam.reshape(-1, 1)
    if alpha < 1e-6:
        sf = poisson.sf(k[None, :], flat)
    else:
        r = 1.0 / alpha
        sf = nbinom.sf(k[None, :], r, r / (r + flat))
    cum = np.concatenate([np.zeros((flat.shape[0], 1)), np.cumsum(sf, axis=1)[:, :-1]], axis=1)
    out = np.maximum(flat - cum, 0.0)
    out[flat[:, 0] <= 0] = 0.0
    return np.asarray(out.reshape((*lam.shape, top + 1)))


def _interp(tab: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Linear interpolation of tables ``(..., K+1)`` at capacities ``c`` (same leading shape); 0 beyond K."""
    top = tab.shape[-1] - 1
    c = np.clip(np.asarray(c, dtype=float), 0.0, float(top))
    lo = np.minimum(np.floor(c).astype(int), top - 1)
    w = c - lo
    a = np.take_along_axis(tab, lo[..., None], axis=-1)[..., 0]
    b = np.take_along_axis(tab, (lo + 1)[..., None], axis=-1)[..., 0]
    return np.asarray(a * (1 - w) + b * w)


def _secants_from(t: np.ndarray, tol: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    keep = int(np.argmax(t < tol)) if (t < tol).any() else len(t) - 1
    t = t[: keep + 1]
    b = t[:-1] - t[1:]
    a = t[:-1] + b * np.arange(len(b))
    return a, b


def _secants(lam: float, alpha: float, tol: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    """Intercepts a and slopes b with E(c) = max_k (a_k − b_k c) on c ≥ 0 (and ≥ 0 beyond the last)."""
    top = max(2, int(np.ceil(lam + 6 * np.sqrt(lam * (1 + alpha * lam)) + 3)))
    t = _unhandled_table(lam, alpha, top)
    keep = int(np.argmax(t < tol)) if (t < tol).any() else top
    t = t[: keep + 1]
    b = t[:-1] - t[1:]  # slope magnitude between k and k+1
    a = t[:-1] + b * np.arange(len(b))
    return a, b


# --- problem -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    sections: Sections
    forces: ForcesFile
    day0: int  # UTC day number of the first planned day
    demand: np.ndarray  # (sections, days) expected attempts per day
    alpha: float  # NB dispersion of the daily counts

    @property
    def n_days(self) -> int:
        return int(self.demand.shape[1])

    def shift_slots(self) -> list[tuple[int, int]]:
        """(day, shift index) in time order."""
        order = sorted(range(len(self.forces.shifts)), key=lambda i: self.forces.shifts[i].start_h)
        return [(d, k) for d in range(self.n_days) for k in order]

    def shift_demand(self) -> np.ndarray:
        """(sections, slots) expected attempts per shift."""
        sh = self.forces.attempt_shares.value
        return np.stack([self.demand[:, d] * sh[self.forces.shifts[k].name] for d, k in self.shift_slots()], axis=1)

    def travel_h(self) -> np.ndarray:
        """(groups, sections) one-way travel hours from each group's base."""
        dist = self.sections.distance_km()
        r = self.forces.rules
        idx = [self.sections.index(g.base) for g in self.forces.groups]
        return np.asarray(dist[idx] * r.road_factor.value / r.travel_speed_kmh.value)


@dataclass(slots=True)
class Plan:
    x: np.ndarray  # (groups, sections, slots) officers
    capacity: np.ndarray  # (sections, slots)
    unhandled: np.ndarray  # (sections, slots) expected unhandled attempts
    method: str
    solve_s: float = 0.0
    status: str = ""
    gap: float | None = None
    notes: list[str] = field(default_factory=list)
    bound: float | None = None

    @property
    def total_unhandled(self) -> float:
        return float(self.unhandled.sum())


def _eligibility(p: Problem) -> tuple[np.ndarray, np.ndarray]:
    """(groups, sections, slots) bool eligibility and (groups, sections) on-section fraction."""
    f = p.forces
    slots = p.shift_slots()
    tr = p.travel_h()
    hours = np.array([f.shifts[k].hours for _, k in slots])
    frac = np.clip(1.0 - 2.0 * tr / hours.min(), 0.0, 1.0)
    reach = tr <= f.rules.max_travel_h.value
    ok = np.zeros((len(f.groups), len(p.sections.sections), len(slots)), dtype=bool)
    for gi, g in enumerate(f.groups):
        allowed = set(f.officer_types[g.type].shifts)
        end = g.from_day + g.days if g.days is not None else 10**9
        on = np.array([f.shifts[k].name in allowed and g.from_day <= d < end for d, k in slots])
        ok[gi] = reach[gi][:, None] & on[None, :]
    return ok & (frac[:, :, None] > 0), frac


def _conflict_windows(p: Problem) -> list[list[int]]:
    """Sets of slots no officer may work two of (start gap < hours + rest)."""
    f = p.forces
    slots = p.shift_slots()
    start = np.array([d * 24.0 + f.shifts[k].start_h for d, k in slots])
    hours = np.array([f.shifts[k].hours for _, k in slots])
    rest = f.rules.rest_h.value
    return [[j for j in range(i, len(slots)) if start[j] - start[i] < hours[i] + rest] for i in range(len(slots))]


def _week_windows(p: Problem) -> list[list[int]]:
    slots = p.shift_slots()
    if p.n_days < 7:
        return [list(range(len(slots)))] if p.n_days > 0 else []
    return [[j for j, (d, _) in enumerate(slots) if d0 <= d < d0 + 7] for d0 in range(p.n_days - 6)]


def evaluate(p: Problem, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Capacity and expected unhandled attempts of an assignment ``x`` (groups, sections, slots)."""
    f = p.forces
    _, frac = _eligibility(p)
    h = np.array([f.officer_types[g.type].handling_per_shift.value for g in f.groups])
    cap = np.einsum("gst,g,gs->st", x, h, frac)
    un = _interp(unhandled_tables(p.shift_demand(), _shift_alpha(p)), cap)
    return cap, un


def _shift_alpha(p: Problem) -> float:
    # a shift's count is a thinned day count: thinning keeps the NB dispersion parameter alpha
    return p.alpha


def check_staffing(p: Problem) -> None:
    """Raise InfeasibleError naming the first board/section that cannot be staffed at the minimum."""
    f = p.forces
    ok, _ = _eligibility(p)
    m = f.rules.min_patrol_per_section_shift.value
    patrol = [i for i, g in enumerate(f.groups) if g.type == "patrol"]
    for s, sec in enumerate(p.sections.sections):
        avail = sum(f.groups[g].count for g in patrol if ok[g, s].any())
        if m > 0 and avail == 0:
            raise InfeasibleError(
                f"section {sec.id} is out of reach of every patrol group (max travel {f.rules.max_travel_h.value} h)"
            )
    need = m * len(p.sections.sections) * len(f.shifts)
    have = sum(f.groups[g].count for g in patrol) * min(1.0, f.rules.max_shifts_per_week.value / 7.0)
    if have < need:
        raise InfeasibleError(
            f"minimum staffing needs {need:.0f} patrol shifts a day; the patrol groups give at most {have:.0f}"
        )


def solve_milp(p: Problem, *, time_limit_s: float = 8.0, mip_rel_gap: float = 1e-3) -> Plan:
    """The MILP assignment within the gap / time limit, or the rounded LP relaxation if that is better.

    The LP relaxation is solved first: its value is a lower bound on the expected unhandled attempts of any
    assignment obeying the rules, and its rounding (on-duty counts floored, which keeps every rest and weekly
    limit; officers per section by largest remainder; minimum staffing repaired) is a feasible fallback. The
    MILP then gets the rest of the time; the best of the two and the proportional baseline is returned (so a
    plan is never worse than the baseline), with the gap to the bound.
    """
    t0 = time.perf_counter()
    base = proportional_baseline(p)
    lp = _solve(p, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap, relax=True)
    bound = lp.gap if lp.gap is not None else 0.0
    left = time_limit_s - (time.perf_counter() - t0)
    best = lp
    if left > 0.5:
        try:
            mip = _solve(p, time_limit_s=left, mip_rel_gap=mip_rel_gap, relax=False)
            if mip.total_unhandled <= lp.total_unhandled:
                best = mip
        except InfeasibleError:
            pass
    if base.total_unhandled < best.total_unhandled and _meets_minimum(p, base.x):
        best = base
        best.notes.append("the proportional baseline was better than the solver's plan within the time limit")
    total = best.total_unhandled
    best.gap = max(0.0, (total - bound) / total) if total > 0 else 0.0
    best.solve_s = time.perf_counter() - t0
    best.notes.append(f"lower bound (LP relaxation) {bound:.3f} expected unhandled attempts")
    best.bound = bound
    return best


def _meets_minimum(p: Problem, x: np.ndarray) -> bool:
    patrol = np.array([g.type == "patrol" for g in p.forces.groups])
    return bool(x[patrol].sum(axis=0).min() >= p.forces.rules.min_patrol_per_section_shift.value)


def _solve(p: Problem, *, time_limit_s: float, mip_rel_gap: float, relax: bool) -> Plan:
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array

    check_staffing(p)
    f = p.forces
    ok, frac = _eligibility(p)
    G, S, T = ok.shape
    h = np.array([f.officer_types[g.type].handling_per_shift.value for g in f.groups])
    tr = p.travel_h()
    gi, si, ti = np.nonzero(ok)
    nx = len(gi)
    lam = p.shift_demand()
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    lb: list[float] = []
    ub: list[float] = []
    r = 0

    def add(rr: np.ndarray, cc: np.ndarray, vv: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        nonlocal r
        rows.append(rr + r)
        cols.append(cc)
        vals.append(vv)
        lb.extend(lo.tolist())
        ub.extend(hi.tolist())
        r += len(lo)

    # u variables: one per section-slot, index nx + s*T + t
    nx + si * T + ti
    # secant rows: u_st + Σ b h f x >= a
    cell = si * T + ti
    tabs = unhandled_tables(lam, _shift_alpha(p))
    for s in range(S):
        for t in range(T):
            a, b = _secants_from(tabs[s, t])
            if not len(a):
                continue
            m = np.nonzero(cell == s * T + t)[0]
            k = len(a)
            rr = np.concatenate([np.arange(k), np.repeat(np.arange(k), len(m))])
            cc = np.concatenate([np.full(k, nx + s * T + t), np.tile(m, k)])
            vv = np.concatenate([np.ones(k), (b[:, None] * (h[gi[m]] * frac[gi[m], si[m]])[None, :]).ravel()])
            add(rr, cc, vv, a, np.full(k, np.inf))
    # minimum patrol staffing
    mp = f.rules.min_patrol_per_section_shift.value
    if mp > 0:
        pat = np.array([f.groups[g].type == "patrol" for g in range(G)])[gi]
        m = np.nonzero(pat)[0]
        add(cell[m], m, np.ones(len(m)), np.full(S * T, float(mp)), np.full(S * T, np.inf))
    # y[g, t] officers of group g on duty in slot t (integer): y = Σ_s x; rest windows and weekly limits on y
    counts = np.array([g.count for g in f.groups], dtype=float)
    y0 = nx + S * T
    y_of = y0 + gi * T + ti
    add(gi * T + ti, np.arange(nx), np.ones(nx), np.zeros(G * T), np.zeros(G * T))
    rows[-1] = np.concatenate([rows[-1], r - G * T + np.arange(G * T)])
    cols[-1] = np.concatenate([cols[-1], y0 + np.arange(G * T)])
    vals[-1] = np.concatenate([vals[-1], -np.ones(G * T)])
    for wins, per in ((_conflict_windows(p), 1.0), (_week_windows(p), f.rules.max_shifts_per_week.value)):
        if not wins:
            continue
        nw = len(wins)
        rr = np.concatenate([np.full(len(win), w) for w, win in enumerate(wins)])
        tt = np.concatenate([np.asarray(win) for win in wins])
        rr_g = (np.arange(G)[:, None] * nw + rr[None, :]).ravel()
        cc_g = (y0 + np.arange(G)[:, None] * T + tt[None, :]).ravel()
        add(rr_g, cc_g, np.ones(len(rr_g)), np.full(G * nw, -np.inf), np.repeat(counts * per, nw))
    del y_of
    nvar = nx + S * T + G * T
    on_duty = np.zeros((G, T), dtype=bool)
    on_duty[gi, ti] = True
    a_mat = coo_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, nvar)).tocsr()
    c = np.concatenate([1e-4 * tr[gi, si], np.ones(S * T), np.zeros(G * T)])
    integrality = np.concatenate([np.full(nx, 0 if relax else 1), np.zeros(S * T), np.full(G * T, 0 if relax else 1)])
    upper = np.concatenate([counts[gi], np.full(S * T, np.inf), (counts[:, None] * on_duty).ravel()])
    t0 = time.perf_counter()
    res = milp(
        c,
        constraints=LinearConstraint(a_mat, np.array(lb), np.array(ub)),
        integrality=integrality,
        bounds=Bounds(np.zeros(nvar), upper),
        options={"time_limit": time_limit_s, "mip_rel_gap": mip_rel_gap, "disp": False},
    )
    solve_s = time.perf_counter() - t0
    if res.x is None:
        raise InfeasibleError(f"no assignment satisfies the rules ({res.message})")
    x = np.zeros((G, S, T))
    x[gi, si, ti] = res.x[:nx]
    notes: list[str] = []
    if relax:
        y = np.floor(res.x[y0:] + 1e-6).reshape(G, T)
        x = _round_sections(p, x, y, ok)
        x = greedy_fill(p, x, ok, frac_y=res.x[y0:].reshape(G, T) - y)
        x2 = reassign(p, x, ok)
        if evaluate(p, x2)[1].sum() < evaluate(p, x)[1].sum():
            x = x2
        notes.append(
            "rounded LP relaxation (on-duty counts floored, then filled where rest and weekly limits allow; "
            "officers placed within each shift by marginal gain)"
        )
        method = "lp-rounded"
    else:
        x = np.round(x)
        x2 = reassign(p, x, ok)
        if evaluate(p, x2)[1].sum() < evaluate(p, x)[1].sum() - 1e-9:
            x = x2
            notes.append("officers re-placed within each shift by marginal gain after the MILP")
        method = "milp"
    cap, un = evaluate(p, x)
    # for the relaxation, carry its objective (the lower bound) in `gap` for solve_milp
    value = float(res.fun) if relax else None
    return Plan(x, cap, un, method, solve_s=solve_s, status=str(res.message), gap=value, notes=notes)


def greedy_fill(p: Problem, x: np.ndarray, ok: np.ndarray, frac_y: np.ndarray | None = None) -> np.ndarray:
    """Add officers wherever every rest and weekly window still has room, each to the reachable section where
    it removes the most expected unhandled attempts, until no addition helps."""
    f = p.forces
    G, _S, T = x.shape
    x = x.copy()
    _, frac = _eligibility(p)
    h = np.array([f.officer_types[g.type].handling_per_shift.value for g in f.groups])
    counts = np.array([g.count for g in f.groups], dtype=float)
    lam = p.shift_demand()
    wins = [(w, 1.0) for w in _conflict_windows(p)] + [(w, f.rules.max_shifts_per_week.value) for w in _week_windows(p)]
    member: list[list[int]] = [[] for _ in range(T)]
    for i, (w, _) in enumerate(wins):
        for t in w:
            member[t].append(i)
    y = x.sum(axis=1)  # (G, T)
    load = np.array([[y[g, w].sum() for (w, _) in wins] for g in range(G)])
    limit = np.array([per for (_, per) in wins])
    tabs = unhandled_tables(lam, p.alpha)
    top = tabs.shape[-1] - 1

    def e(s: int, t: int, c: float) -> float:
        c = min(max(c, 0.0), float(top))
        k = min(int(c), top - 1)
        w = c - k
        return float(tabs[s, t, k] * (1 - w) + tabs[s, t, k + 1] * w)

    cap = np.einsum("gst,g,gs->st", x, h, frac)
    order = np.argsort(-(frac_y if frac_y is not None else np.zeros((G, T))).ravel(), kind="stable")
    improved = True
    while improved:
        improved = False
        for flat in order:
            g, t = divmod(int(flat), T)
            if not ok[g, :, t].any():
                continue
            while all(load[g, i] + 1 <= counts[g] * limit[i] + 1e-9 for i in member[t]):
                cand = np.nonzero(ok[g, :, t])[0]
                gains = [e(int(s), t, cap[s, t]) - e(int(s), t, cap[s, t] + h[g] * frac[g, s]) for s in cand]
                j = int(np.argmax(gains))
                if gains[j] <= 1e-6:
                    break
                s = int(cand[j])
                x[g, s, t] += 1
                cap[s, t] += h[g] * frac[g, s]
                for i in member[t]:
                    load[g, i] += 1
                improved = True
    return x


def reassign(p: Problem, x: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Keep each group's on-duty count per shift and place its officers again, one at a time, where each removes
    the most expected unhandled attempts (after the minimum patrol staffing). For one shift this is the greedy of
    a separable convex allocation; with several groups of different reach and handling it is a heuristic."""
    f = p.forces
    G, S, T = x.shape
    _, frac = _eligibility(p)
    h = np.array([f.officer_types[g.type].handling_per_shift.value for g in f.groups])
    tabs = unhandled_tables(p.shift_demand(), p.alpha)
    mp = int(f.rules.min_patrol_per_section_shift.value)
    patrol = np.array([g.type == "patrol" for g in f.groups])
    out = np.zeros_like(x)
    for t in range(T):
        free = x[:, :, t].sum(axis=1).astype(int)
        cap = np.zeros(S)
        # minimum staffing: each section takes its patrol officers from the patrol group with the most time there
        for s in range(S):
            for _ in range(mp):
                cand = [g for g in range(G) if patrol[g] and ok[g, s, t] and free[g] > 0]
                if not cand:
                    break
                g = max(cand, key=lambda gg: frac[gg, s])
                out[g, s, t] += 1
                free[g] -= 1
                cap[s] += h[g] * frac[g, s]
        cur = _interp(tabs[:, t], cap)
        while free.sum() > 0:
            best = (0.0, -1, -1)
            for gi in np.nonzero(free > 0)[0].tolist():
                gain = np.where(ok[gi, :, t], cur - _interp(tabs[:, t], cap + h[gi] * frac[gi]), -1.0)
                s = int(np.argmax(gain))
                if gain[s] > best[0]:
                    best = (float(gain[s]), gi, s)
            if best[1] < 0 or best[0] <= 1e-9:
                break
            _, g, s = best
            out[g, s, t] += 1
            free[g] -= 1
            cap[s] += h[g] * frac[g, s]
            cur[s] = float(_interp(tabs[s, t][None, :], np.array([cap[s]]))[0])
    return out


def _round_sections(p: Problem, x: np.ndarray, y: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Integer officers per section keeping each group's on-duty count, then repair minimum staffing."""
    f = p.forces
    G, S, T = x.shape
    out = np.zeros_like(x)
    for g in range(G):
        for t in range(T):
            if y[g, t] <= 0:
                continue
            xs = np.clip(x[g, :, t], 0, None)
            base = np.floor(xs + 1e-9)
            rem = int(y[g, t] - base.sum())
            if rem > 0:
                order = np.argsort(-(xs - base), kind="stable")
                base[order[:rem]] += 1
            out[g, :, t] = base
    mp = f.rules.min_patrol_per_section_shift.value
    patrol = np.array([gr.type == "patrol" for gr in f.groups])
    for t in range(T):
        for _ in range(S * 4):
            staff = out[patrol, :, t].sum(axis=0)
            short = np.nonzero(staff < mp)[0]
            if not len(short):
                break
            s = int(short[0])
            moved = False
            for gg in np.nonzero(patrol & ok[:, s, t])[0]:
                g = int(gg)
                donors = np.nonzero((out[g, :, t] > 0) & (staff > mp))[0]
                if len(donors):
                    d = donors[np.argmax(staff[donors])]
                    out[g, d, t] -= 1
                    out[g, s, t] += 1
                    moved = True
                    break
            if not moved:
                break
    return out


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    if total <= 0 or weights.sum() <= 0:
        out = np.zeros(len(weights), dtype=int)
        if total > 0 and len(weights):
            out[np.arange(total) % len(weights)] += 1
        return out
    q = total * weights / weights.sum()
    base = np.floor(q).astype(int)
    rem = total - base.sum()
    order = np.argsort(-(q - base), kind="stable")
    base[order[:rem]] += 1
    return np.asarray(base, dtype=int)


def proportional_baseline(p: Problem) -> Plan:
    """Each group's on-duty officers per day (``count × max_shifts/7``) split over its shifts in proportion to
    the attempt shares, then the minimum patrol staffing (nearest patrol group first), then the rest over the
    reachable sections in proportion to the forecast."""
    f = p.forces
    ok, _ = _eligibility(p)
    G, S, T = ok.shape
    slots = p.shift_slots()
    lam = p.shift_demand()
    tr = p.travel_h()
    x = np.zeros((G, S, T))
    share = f.attempt_shares.value
    per_day = np.array([int(np.floor(g.count * min(1.0, f.rules.max_shifts_per_week.value / 7.0))) for g in f.groups])
    duty = np.zeros((G, T), dtype=int)
    for gi, g in enumerate(f.groups):
        allowed = [k for k in range(len(f.shifts)) if f.shifts[k].name in f.officer_types[g.type].shifts]
        w = np.array([share[f.shifts[k].name] for k in allowed])
        split = dict(zip(allowed, _largest_remainder(int(per_day[gi]), w), strict=True))
        for t, (_d, k) in enumerate(slots):
            if ok[gi, :, t].any():
                duty[gi, t] = split.get(k, 0)
    mp = int(f.rules.min_patrol_per_section_shift.value)
    for t in range(T):
        free = duty[:, t].copy()
        for s in range(S):
            need = mp
            for gi in np.argsort(tr[:, s]):
                if need <= 0:
                    break
                if f.groups[gi].type != "patrol" or not ok[gi, s, t]:
                    continue
                take = min(need, free[gi])
                x[gi, s, t] += take
                free[gi] -= take
                need -= take
        for gi in range(G):
            reach = np.nonzero(ok[gi, :, t])[0]
            if free[gi] <= 0 or not len(reach):
                continue
            x[gi, reach, t] += _largest_remainder(int(free[gi]), lam[reach, t])
    cap, un = evaluate(p, x)
    return Plan(x, cap, un, "proportional")


def explain(p: Plan, prob: Problem) -> list[dict[str, Any]]:
    """One explanation per non-zero assignment: what it adds and why."""
    f = prob.forces
    _, frac = _eligibility(prob)
    tr = prob.travel_h()
    lam = prob.shift_demand()
    tabs = unhandled_tables(lam, prob.alpha)
    h = np.array([f.officer_types[g.type].handling_per_shift.value for g in f.groups])
    slots = prob.shift_slots()
    out: list[dict[str, Any]] = []
    for g, s, t in zip(*np.nonzero(p.x), strict=True):
        n = int(p.x[g, s, t])
        grp = f.groups[g]
        contrib = n * h[g] * frac[g, s]
        without = float(_interp(tabs[s, t][None, :], np.array([max(p.capacity[s, t] - contrib, 0.0)]))[0])
        d, k = slots[t]
        sec = prob.sections.sections[s]
        mins = grp.type == "patrol" and f.rules.min_patrol_per_section_shift.value > 0
        why = (
            f"{n} {grp.type.replace('_', ' ')} officer(s) of {grp.id} ({grp.origin}) to {sec.id} {sec.name}, "
            f"{f.shifts[k].name} shift of day {d + 1}: forecast {lam[s, t]:.2f} attempts; capacity here "
            f"{p.capacity[s, t]:.2f}, of which {contrib:.2f} from them ({frac[g, s] * 100:.0f} % of the shift on "
            f"section after {tr[g, s]:.1f} h travel each way); expected unhandled {p.unhandled[s, t]:.2f} with "
            f"them, {without:.2f} without"
        )
        if mins:
            why += f"; counts toward the minimum of {f.rules.min_patrol_per_section_shift.value:g} patrol officers"
        out.append(
            {
                "group": grp.id,
                "type": grp.type,
                "origin": grp.origin,
                "section": sec.id,
                "day": int(prob.day0 + d),
                "shift": f.shifts[k].name,
                "officers": n,
                "travel_h": round(float(tr[g, s]), 2),
                "forecast_attempts": round(float(lam[s, t]), 3),
                "unhandled_with": round(float(p.unhandled[s, t]), 3),
                "unhandled_without": round(without, 3),
                "explanation": why,
            }
        )
    return out
