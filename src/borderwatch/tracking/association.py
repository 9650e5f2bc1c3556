"""Data association: sparse gated pairs → GNN per connected component, with a cheap JPDA step where tracks cross.

Gating is sparse: candidate (track, report) pairs come from KD-tree range queries, so the work grows with the
number of *nearby* pairs, not tracks × reports. The assignment constraint is one report per track per *slot*,
a slot being (track, sensor, report time): a track can take one plot from each radar scan and one bearing from
each acoustic node in a frame. The bipartite slot–report graph is split into connected components; a component
with one slot or one report takes its best pair (vectorised), 2 × k components compare their few matchings, and
larger ones are solved on a small dense block by scipy's ``linear_sum_assignment`` algorithm (a compiled copy in
:mod:`.kernels`, same ties). Slot numbering, components, the 2 × k matchings and the JPDA weights are compiled
kernels too (numpy twins in :mod:`.kernels`). In a component where at least two slots compete for at least two
reports (crossing tracks), each assigned track gets a PDA pseudo-measurement instead: the cheap-JPDA
(Fitzgerald) weighted innovation and the innovation spread added to R, so a wrong hard decision costs little.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from borderwatch.tracking.kernels import assign_blocks, cheap_jpda, gnn_split, slot_components, two_sided

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


#: JPDA pseudo-measurements by dimension: (assigned pair indices, innovation offsets, extra R)
Pseudo = dict[int, tuple[IntArray, FloatArray, FloatArray]]


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
) -> tuple[IntArray, IntArray, Pseudo]:
    """Assign reports to track slots.

    Returns the indices of the assigned pairs, the reports that lie in ambiguous components (not to be used for
    initiation) and, for JPDA, pseudo-measurements by measurement dimension ``{d: (pairs, innovation offsets
    (n, d), extra R (n, d, d))}``: the assigned pair's innovation is replaced by the JPDA-weighted one.
    """
    empty_i = np.zeros(0, dtype=np.int64)
    if pairs.size == 0:
        return empty_i, empty_i, {}
    slot, comp, n_slots, n_reps = slot_components(
        pairs.trk, pairs.slot_sensor, pairs.t, pairs.rid, max(n_sensors, 1), n_reports
    )
    # where a component has one slot or one report, its best pair is the optimal assignment; where one side has two
    # members (2 × k) the optimum is found from each member's best and second-best partner; larger components are
    # solved on their dense block
    best, multi, t2, small_is_slot, order, bounds, sl_all, rl_all, amb = gnn_split(
        slot, comp, n_slots, n_reps, pairs.rid, pairs.benefit
    )
    if multi.size == 0:
        return best, empty_i, {}
    assigned = [best]
    if t2.size:
        assigned.append(two_sided(t2, comp, small_is_slot, slot, pairs.rid, pairs.benefit))
    if order.size:
        assigned.append(assign_blocks(bounds, sl_all, rl_all, -pairs.benefit[order], order))
    chosen = np.concatenate(assigned)
    pseudo = _cheap_jpda(multi, comp, slot, chosen, pairs, clutter_gate) if jpda else {}
    return chosen, amb, pseudo


def _cheap_jpda(
    multi: IntArray, comp: IntArray, slot: IntArray, chosen: IntArray, pairs: Pairs, clutter_gate: float
) -> Pseudo:
    """Cheap JPDA (Fitzgerald 1985) over all ambiguous components at once (:func:`kernels.cheap_jpda`), by
    measurement dimension."""
    dims = np.concatenate([np.full(b.shape[0], b.shape[1], dtype=np.int64) for b in pairs.nu])
    nu = np.zeros((dims.size, 4))
    k = 0
    for b in pairs.nu:
        nu[k : k + b.shape[0], : b.shape[1]] = b
        k += b.shape[0]
    is_chosen = np.zeros(pairs.size, dtype=bool)
    is_chosen[chosen] = True
    ids, off, spread = cheap_jpda(multi, comp, slot, pairs.rid, pairs.loglik, is_chosen, dims, nu, clutter_gate)
    out: Pseudo = {}
    for d in np.unique(dims[ids]).tolist():
        m = dims[ids] == d
        out[d] = (ids[m], off[m, :d], spread[m, :d, :d])
    return out
