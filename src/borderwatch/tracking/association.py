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
    pairs: Pairs, *, n_reports: int, n_sensors: int, jpda: bool = True, clutter_like: float = 1e-3
) -> tuple[IntArray, IntArray, dict[int, tuple[FloatArray, FloatArray]]]:
    """Assign reports to track slots.

    Returns the indices of the assigned pairs, the reports that lie in ambiguous components (not to be used for
    initiation) and, for JPDA, pseudo-measurements ``{pair: (innovation offset, extra R)}`` where the assigned
    pair's innovation is to be replaced by the JPDA-weighted one.
    """
    empty_i = np.zeros(0, dtype=np.int64)
    if pairs.size == 0:
        return empty_i, empty_i, {}
    tms = np.round(pairs.t * 1000.0).astype(np.int64)
    keys = np.stack([pairs.trk * max(n_sensors, 1) + pairs.slot_sensor, tms], 1)
    _, slot = np.unique(keys, axis=0, return_inverse=True)
    slot = slot.reshape(-1)
    ns = int(slot.max()) + 1
    g = coo_matrix((np.ones(pairs.size), (slot, ns + pairs.rid)), shape=(ns + n_reports, ns + n_reports))
    _, lab = connected_components(g, directed=False)
    comp = lab[slot]
    ncomp = int(lab.max()) + 1
    cnt = np.bincount(comp, minlength=ncomp)
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
    ambiguous: list[IntArray] = []
    pseudo: dict[int, tuple[FloatArray, FloatArray]] = {}
    multi = np.flatnonzero(~simple)
    if cnt.size and multi.size:
        order = multi[np.argsort(comp[multi], kind="stable")]
        cs = comp[order]
        cuts = np.flatnonzero(np.diff(cs)) + 1
        nus = pairs.innovations() if jpda else []
        for block in np.split(order, cuts):
            us, sl = np.unique(slot[block], return_inverse=True)
            ur, rl = np.unique(pairs.rid[block], return_inverse=True)
            cost = np.full((us.size, ur.size), 1e9)
            cost[sl, rl] = -pairs.benefit[block]
            ri, ci = linear_sum_assignment(cost)
            ok = cost[ri, ci] < 1e8
            lut = {(int(a), int(b)): int(p) for a, b, p in zip(sl, rl, block, strict=True)}
            chosen = np.array([lut[(int(a), int(b))] for a, b in zip(ri[ok], ci[ok], strict=True)], dtype=np.int64)
            assigned.append(chosen)
            ambiguous.append(pairs.rid[block])
            if jpda:
                _cheap_jpda(block, sl, rl, chosen, pairs, nus, clutter_like, pseudo)
    amb = np.unique(np.concatenate(ambiguous)) if ambiguous else empty_i
    return (np.concatenate(assigned) if assigned else empty_i), amb, pseudo


def _cheap_jpda(
    block: IntArray,
    sl: IntArray,
    rl: IntArray,
    chosen: IntArray,
    pairs: Pairs,
    nus: list[FloatArray],
    clutter_like: float,
    pseudo: dict[int, tuple[FloatArray, FloatArray]],
) -> None:
    dims = {nus[int(p)].size for p in block}
    if len(dims) != 1:
        return
    g = np.exp(pairs.loglik[block])
    ts = np.bincount(sl, weights=g)
    sr = np.bincount(rl, weights=g)
    beta = g / (ts[sl] + sr[rl] - g + clutter_like)
    chosen_set = {int(c) for c in chosen}
    for s in np.unique(sl):
        m = sl == s
        pidx = block[m]
        own = [int(p) for p in pidx if int(p) in chosen_set]
        if not own or pidx.size < 2:
            continue
        b = beta[m]
        bs = float(b.sum())
        if bs <= 0:
            continue
        w = b / bs
        nu = np.stack([nus[int(p)] for p in pidx])
        nbar = w @ nu
        spread = np.einsum("k,ki,kj->ij", w, nu, nu) - np.outer(nbar, nbar)
        a = own[0]
        pseudo[a] = (nbar - nus[a], spread)
