"""Data association: sparse gated pairs → GNN per connected component, with a cheap JPDA step where tracks cross.

Gating is sparse: candidate (track, report) pairs come from KD-tree range queries, so the work grows with the
number of *nearby* pairs, not tracks × reports. The assignment constraint is one report per track per *slot*,
a slot being (track, sensor, report time): a track can take one plot from each radar scan and one bearing from
each acoustic node in a frame. The bipartite slot–report graph is split into connected components; a component
with one pair is assigned directly (vectorised), larger ones with ``scipy.optimize.linear_sum_assignment`` on a
small dense block. In a component where at least two slots compete for at least two reports (crossing tracks),
each assigned track gets a PDA pseudo-measurement instead: the cheap-JPDA (Fitzgerald) weighted innovation and
the innovation spread added to R, so a wrong hard decision costs little.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Pairs:
    """Gated (track, report) pairs, columnar. ``rid`` indexes the frame's reports, ``group``/``local`` the
    measurement group and row; ``benefit`` > 0 is the assignment score (gate − d² [+ bonus])."""

    trk: IntArray
    rid: IntArray
    group: IntArray
    local: IntArray
    slot_sensor: IntArray
    t: FloatArray
    d2: FloatArray
    benefit: FloatArray
    loglik: FloatArray
    nu: list[FloatArray] = field(default_factory=list)  # per extend() call: (k, d) innovations

    @staticmethod
    def empty() -> Pairs:
        zi = np.zeros(0, dtype=np.int64)
        zf = np.zeros(0)
        return Pairs(zi, zi, zi, zi, zi, zf, zf, zf, zf, [])

    @property
    def size(self) -> int:
        return int(self.trk.size)

    def extend(self, **cols: object) -> Pairs:
        out = {}
        for name in ("trk", "rid", "group", "local", "slot_sensor", "t", "d2", "benefit", "loglik"):
            out[name] = np.concatenate([getattr(self, name), np.asarray(cols[name])])
        nu = cols["nu"]
        assert isinstance(nu, list)
        return Pairs(**out, nu=[*self.nu, *nu])

    def innovations(self) -> list[FloatArray]:
        """The innovation vector of every pair (ragged: dimensions differ between groups)."""
        return [row for block in self.nu for row in block]


def gnn_assign(
    pairs: Pairs, *, n_reports: int, n_sensors: int, jpda: bool = True, clutter_gate: float = 16.0
) -> tuple[IntArray, IntArray, dict[int, tuple[FloatArray, FloatArray]]]:
    """Assign reports to track slots.

    Returns the indices of the assigned pairs, the reports that lie in ambiguous components (not to be used for
    initiation) and, for JPDA, pseudo-measurements ``{pair: (innovation offset, extra R)}`` where the assigned
    pair's innovation is to be replaced by the JPDA-weighted one.
    """
    empty_i = np.zeros(0, dtype=np.int64)
    if pairs.size == 0:
        return empty_i, empty_i, {}
    _, tr = np.unique(np.round(pairs.t * 1000.0).astype(np.int64), return_inverse=True)
    keys = (pairs.trk * max(n_sensors, 1) + pairs.slot_sensor) * (int(tr.max()) + 1) + tr.reshape(-1)
    _, slot = np.unique(keys, return_inverse=True)
    slot = slot.reshape(-1)
    ns = int(slot.max()) + 1
    g = coo_matrix((np.ones(pairs.size), (slot, ns + pairs.rid)), shape=(ns + n_reports, ns + n_reports))
    _, lab = connected_components(g, directed=False)
    comp = lab[slot]
    ncomp = int(lab.max()) + 1
    # slots and reports per component: where either is 1, the best single pair is the optimal assignment
    n_slots = np.bincount(lab[np.unique(slot)], minlength=ncomp)
    n_reps = np.bincount(lab[ns + np.unique(pairs.rid)], minlength=ncomp)
    simple = (n_slots[comp] == 1) | (n_reps[comp] == 1)
    assigned = []
    sp = np.flatnonzero(simple)
    if sp.size:
        o = sp[np.lexsort((-pairs.benefit[sp], comp[sp]))]
        first = np.ones(o.size, dtype=bool)
        first[1:] = comp[o][1:] != comp[o][:-1]
        assigned.append(o[first])
    multi = np.flatnonzero(~simple)
    if multi.size == 0:
        return (np.concatenate(assigned) if assigned else empty_i), empty_i, {}
    # 2 slots × 2 reports (the common crossing): the better of the two full matchings, vectorised
    two = (n_slots[comp[multi]] == 2) & (n_reps[comp[multi]] == 2)
    if two.any():
        assigned.append(_two_by_two(multi[two], comp, slot, pairs))
    rest = multi[~two]
    if rest.size:
        order = rest[np.argsort(comp[rest], kind="stable")]
        cuts = np.flatnonzero(np.diff(comp[order])) + 1
        for block in np.split(order, cuts):
            us, sl = np.unique(slot[block], return_inverse=True)
            ur, rl = np.unique(pairs.rid[block], return_inverse=True)
            cost = np.full((us.size, ur.size), 1e9)
            cost[sl, rl] = -pairs.benefit[block]
            ri, ci = linear_sum_assignment(cost)
            ok = cost[ri, ci] < 1e8
            pid = np.full((us.size, ur.size), -1, dtype=np.int64)
            pid[sl, rl] = block
            assigned.append(pid[ri[ok], ci[ok]])
    chosen = np.concatenate(assigned)
    amb = np.unique(pairs.rid[multi])
    pseudo = _cheap_jpda(multi, comp, slot, chosen, pairs, clutter_gate) if jpda else {}
    return chosen, amb, pseudo


def _two_by_two(idx: IntArray, comp: IntArray, slot: IntArray, pairs: Pairs) -> IntArray:
    o = idx[np.argsort(comp[idx], kind="stable")]
    c = comp[o]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    run = np.repeat(starts, np.diff(np.r_[starts, o.size]))
    k = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, o.size]))
    smin = np.minimum.reduceat(slot[o], starts)
    rmin = np.minimum.reduceat(pairs.rid[o], starts)
    si = (slot[o] != smin[k]).astype(np.int64)
    ri = (pairs.rid[o] != rmin[k]).astype(np.int64)
    del run
    b = np.full((starts.size, 2, 2), -np.inf)
    pid = np.full((starts.size, 2, 2), -1, dtype=np.int64)
    b[k, si, ri] = pairs.benefit[o]
    pid[k, si, ri] = o
    diag = b[:, 0, 0] + b[:, 1, 1]
    anti = b[:, 0, 1] + b[:, 1, 0]
    use_diag = diag >= anti
    first = np.where(use_diag, pid[:, 0, 0], pid[:, 0, 1])
    second = np.where(use_diag, pid[:, 1, 1], pid[:, 1, 0])
    out = np.concatenate([first, second])
    return out[out >= 0]


def _cheap_jpda(
    multi: IntArray, comp: IntArray, slot: IntArray, chosen: IntArray, pairs: Pairs, clutter_gate: float
) -> dict[int, tuple[FloatArray, FloatArray]]:
    """Cheap JPDA (Fitzgerald 1985) over all ambiguous components at once.

    Likelihoods are scaled by the best pair of their component, the miss term is the likelihood of a report at the
    gate edge (``exp(−clutter_gate/2)`` of the best), so the weights do not depend on measurement units.
    """
    dims = np.concatenate([np.full(b.shape[0], b.shape[1], dtype=np.int64) for b in pairs.nu])
    # per dimension: all innovations of that dimension stacked, and each pair's row in that stack
    stacks = {d: np.concatenate([b for b in pairs.nu if b.shape[1] == d]) for d in np.unique(dims).tolist()}
    row_in = np.zeros(dims.size, dtype=np.int64)
    for d in stacks:
        m = dims == d
        row_in[m] = np.arange(int(m.sum()))
    ll = pairs.loglik[multi]
    cm = comp[multi]
    best = np.full(int(cm.max()) + 1, -np.inf)
    np.maximum.at(best, cm, ll)
    g = np.exp(ll - best[cm])
    _, sl = np.unique(slot[multi], return_inverse=True)
    _, rl = np.unique(pairs.rid[multi], return_inverse=True)
    ts = np.bincount(sl, weights=g)
    sr = np.bincount(rl, weights=g)
    beta = g / (ts[sl] + sr[rl] - g + np.exp(-0.5 * clutter_gate))
    npairs = np.bincount(sl)
    is_chosen = np.isin(multi, chosen)
    out: dict[int, tuple[FloatArray, FloatArray]] = {}
    for d in np.unique(dims[multi]):
        m = dims[multi] == d
        pm = multi[m]
        nu = stacks[int(d)][row_in[pm]]
        wsum = np.bincount(sl[m], weights=beta[m], minlength=npairs.size)
        w = beta[m] / np.maximum(wsum[sl[m]], 1e-300)
        nbar = np.zeros((npairs.size, int(d)))
        np.add.at(nbar, sl[m], w[:, None] * nu)
        second = np.zeros((npairs.size, int(d), int(d)))
        np.add.at(second, sl[m], w[:, None, None] * nu[:, :, None] * nu[:, None, :])
        for j in np.flatnonzero(is_chosen[m] & (npairs[sl[m]] >= 2)):
            s_ = sl[m][j]
            out[int(pm[j])] = (nbar[s_] - nu[j], second[s_] - np.outer(nbar[s_], nbar[s_]))
    return out
