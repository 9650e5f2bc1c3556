"""The simulated world an engagement meets: outcome draws against truth, and the closed loop.

In a closed loop a kill ends the drone's truth at the intercept time: :meth:`SimWorld.silenced` then drops
every later report that the drone would have caused (by the sensors' record of which target made which
report, ``report_origins.npz``), and :meth:`SimWorld.cut_truth` removes its later truth rows. Sound already on
its way when the drone died still reaches the acoustic nodes (its emission time is before the kill).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from borderwatch.response.decisions import Engagement
from borderwatch.sensors.reports import Report
from borderwatch.sim.truth import TruthTable

FloatArray = NDArray[np.float64]


@dataclass(slots=True)
class SimWorld:
    """Truth for outcome draws; ``closed_loop`` makes kills end the drone.

    ``gate_m`` (assumption): an effector cued to a track meets the drone only if the drone is within this
    distance of the track's position at the intercept time; otherwise the engagement misses (nothing there).
    """

    truth: TruthTable
    closed_loop: bool = True
    gate_m: float = 1000.0
    origin_target: NDArray[np.int32] | None = None
    origin_t: FloatArray | None = None
    killed: dict[int, float] = field(default_factory=dict)  # target index -> kill time (UTC epoch s)
    kill_of: dict[str, str] = field(default_factory=dict)  # engagement id -> target id

    @classmethod
    def from_dir(cls, truth: TruthTable, origins: Path | None, *, closed_loop: bool) -> SimWorld:
        w = cls(truth, closed_loop=closed_loop)
        if origins is not None and origins.is_file():
            with np.load(origins) as z:
                w.origin_target = np.asarray(z["target"], dtype=np.int32)
                w.origin_t = np.asarray(z["t_emit"], dtype=float)
        return w

    def outcome(self, e: Engagement, track_pos: tuple[float, float, float] | None, rng: np.random.Generator) -> str:
        draw = rng.random()
        if not self.closed_loop:
            return "kill" if draw < e.pk else "miss"
        k = self.target_at(e.t_intercept, track_pos)
        if k is None or draw >= e.pk:
            return "miss"
        self.killed[k] = e.t_intercept
        self.kill_of[e.id] = self.truth.targets[k].id
        return "kill"

    def target_at(self, t: float, pos: tuple[float, float, float] | None) -> int | None:
        """Index of the live truth target nearest ``pos`` at time ``t`` within the gate, or None."""
        if pos is None:
            return None
        tr = self.truth
        rows = np.flatnonzero(np.abs(tr.t - t) <= 0.5)
        if rows.size == 0:
            return None
        alive = np.array([int(tr.idx[r]) not in self.killed or tr.t[r] <= self.killed[int(tr.idx[r])] for r in rows])
        rows = rows[alive] if alive.size else rows
        if rows.size == 0:
            return None
        lat, lon, alt = pos
        dy = (tr.lat[rows] - lat) * 111_320.0
        dx = (tr.lon[rows] - lon) * 111_320.0 * np.cos(np.radians(lat))
        d = np.sqrt(dx**2 + dy**2 + (tr.alt[rows] - alt) ** 2)
        j = int(np.argmin(d))
        return int(tr.idx[rows[j]]) if d[j] <= self.gate_m else None

    def silenced(self, reports: Iterable[Report]) -> Iterator[Report]:
        """The reports in order, less those a killed drone would have caused after its death."""
        tgt, te = self.origin_target, self.origin_t
        for i, r in enumerate(reports):
            if self.killed and tgt is not None and te is not None and i < tgt.size:
                k = int(tgt[i])
                if k >= 0 and k in self.killed and te[i] > self.killed[k]:
                    continue
            yield r

    def cut_truth(self) -> TruthTable:
        """Truth with every killed drone's rows after its kill removed."""
        tr = self.truth
        if not self.killed:
            return tr
        keep = np.ones(len(tr), dtype=bool)
        for k, tk in self.killed.items():
            keep &= ~((tr.idx == k) & (tr.t > tk))
        return TruthTable(
            targets=tr.targets,
            t=tr.t[keep],
            idx=tr.idx[keep],
            lat=tr.lat[keep],
            lon=tr.lon[keep],
            alt=tr.alt[keep],
            vel=tr.vel[keep],
            rejected=tr.rejected,
        )
