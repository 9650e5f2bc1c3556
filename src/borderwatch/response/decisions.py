"""Operator decisions and engagements: append-only and audited.

A :class:`Decision` approves or rejects one recommendation and says who decided, when and why. The
:class:`DecisionLog` only appends; each entry carries the SHA-256 of the previous one, so an edit anywhere
breaks :meth:`DecisionLog.verify`. An :class:`Engagement` exists only for a recommendation with an approving
decision in the log (:meth:`EngagementBook.engage`). In simulation, :func:`auto_approve` stands in for the
operator, explicitly labelled as a policy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from borderwatch.errors import BorderwatchError
from borderwatch.response.recommend import Recommendation

AUTO_APPROVER = "policy:auto-approve (simulation only)"


class NotApprovedError(BorderwatchError):
    """An engagement was asked for without an approving decision."""


@dataclass(frozen=True, slots=True)
class Decision:
    id: str
    recommendation: str
    approved: bool
    who: str
    t: float
    why: str
    prev_sha256: str = ""

    def payload(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(json.dumps(self.payload(), sort_keys=True).encode()).hexdigest()


@dataclass(slots=True)
class DecisionLog:
    """Append-only decisions, optionally mirrored to a JSON-lines file opened in append mode."""

    path: Path | None = None
    _entries: list[Decision] = field(default_factory=list)

    @property
    def entries(self) -> tuple[Decision, ...]:
        return tuple(self._entries)

    def decide(self, rec: Recommendation, *, approved: bool, who: str, t: float, why: str) -> Decision:
        """Record a decision on a recommendation; there is no way to change it afterwards."""
        if not who.strip():
            raise BorderwatchError("a decision needs who made it")
        prev = self._entries[-1].sha256 if self._entries else ""
        d = Decision(f"D{len(self._entries) + 1:05d}", rec.id, approved, who, t, why, prev)
        self._entries.append(d)
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({**d.payload(), "sha256": d.sha256}, ensure_ascii=False) + "\n")
        return d

    def approving(self, rec_id: str) -> Decision | None:
        for d in self._entries:
            if d.recommendation == rec_id and d.approved:
                return d
        return None

    def verify(self) -> bool:
        prev = ""
        for d in self._entries:
            if d.prev_sha256 != prev:
                return False
            prev = d.sha256
        return True


def verify_file(path: Path) -> bool:
    """Check the hash chain of a decisions.jsonl file."""
    prev = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        sha = rec.pop("sha256")
        d = Decision(**rec)
        if d.prev_sha256 != prev or d.sha256 != sha:
            return False
        prev = sha
    return True


def auto_approve(log: DecisionLog, rec: Recommendation, t: float) -> Decision:
    """The simulation stand-in for the operator: approve, and say so."""
    return log.decide(rec, approved=True, who=AUTO_APPROVER, t=t, why="--auto-approve in simulation")


@dataclass(frozen=True, slots=True)
class Engagement:
    id: str
    recommendation: str
    decision: str
    track: str
    unit: str
    effector: str
    t_launch: float
    t_intercept: float
    pk: float
    cost_eur: float
    outcome: str | None = None  # kill | miss (drawn from pk at t_intercept) | track_lost | cancelled
    t_commit: float | None = None  # when the effector must launch to make the intercept (the last moment to cancel)


@dataclass(slots=True)
class EngagementBook:
    log: DecisionLog
    engagements: list[Engagement] = field(default_factory=list)

    def engage(self, rec: Recommendation, decision: Decision) -> Engagement:
        """Turn an approved recommendation into an engagement; anything else is refused."""
        logged = self.log.approving(rec.id)
        if not decision.approved or decision.recommendation != rec.id or logged is None or logged.id != decision.id:
            raise NotApprovedError(f"recommendation {rec.id} has no approving decision in the log")
        e = Engagement(
            id=f"E{len(self.engagements) + 1:05d}",
            recommendation=rec.id,
            decision=decision.id,
            track=rec.track,
            unit=rec.option.unit,
            effector=rec.option.kind,
            t_launch=decision.t,
            t_intercept=max(rec.t, decision.t) + rec.option.t_s,
            pk=rec.option.pk,
            cost_eur=rec.option.cost_eur,
        )
        self.engagements.append(e)
        return e

    def resolve(
        self,
        t: float,
        rng: np.random.Generator,
        outcome: Callable[[Engagement, np.random.Generator], str] | None = None,
    ) -> list[Engagement]:
        """Draw the outcome of every engagement whose intercept time has come (simulation); ``outcome``, when
        given, draws it instead of a plain Pk draw (e.g. a simulated world that knows where the drone is)."""
        done = []
        for i, e in enumerate(self.engagements):
            if e.outcome is None and e.t_intercept <= t:
                out = outcome(e, rng) if outcome is not None else ("kill" if rng.random() < e.pk else "miss")
                self.engagements[i] = e = Engagement(**{**asdict(e), "outcome": out})
                done.append(e)
        return done
