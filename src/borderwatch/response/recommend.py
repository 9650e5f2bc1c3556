"""Cost-aware assignment of effectors to threats (HiGHS through scipy.optimize.milp).

Each decision cycle solves

    minimise  Σ_k x_k (cost_k − pk_k · D_j(k))          (expected cost + expected damage, less a constant)
    s.t.      Σ_{k ∈ threat j} x_k ≤ 1                   one effector at a time per threat
              Σ_{k ∈ unit e}   x_k ≤ free_e               free channels and rounds left of each unit
              x_k ∈ {0, 1}

over the feasible options ``k``. Fighters are a last resort: they enter a second solve only for threats
that no cheaper effector can reach in time (or whose reachable cheaper units are all busy). Each
recommendation plans a second shot (a later intercept by another option) for when the first misses, and
lists the alternatives it beat and why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from borderwatch.response.feasibility import Option

_REASSESS_S = 20.0  # assumption: time after an intercept to assess it before a second shot


@dataclass(frozen=True, slots=True)
class Recommendation:
    id: str
    t: float  # UTC epoch s when made
    track: str
    option: Option
    damage_eur: float
    expected_cost_eur: float
    second_shot: Option | None
    alternatives: tuple[dict[str, Any], ...]
    why: str

    def to_json(self, lat_lon: tuple[float, float] | None = None) -> dict[str, Any]:
        o = self.option
        d: dict[str, Any] = {
            "id": self.id,
            "t": round(self.t, 3),
            "track": self.track,
            "unit": o.unit,
            "effector": o.kind,
            "t_intercept": round(self.t + o.t_s, 1),
            "time_to_intercept_s": round(o.t_s, 1),
            "margin_s": round(o.margin_s, 1),
            "pk": round(o.pk, 3),
            "cost_eur": round(o.cost_eur, 0),
            "damage_eur": round(self.damage_eur, 0),
            "expected_cost_eur": round(self.expected_cost_eur, 0),
            "why": self.why,
            "alternatives": list(self.alternatives),
        }
        if lat_lon is not None:
            d["intercept_lat"], d["intercept_lon"] = round(lat_lon[0], 5), round(lat_lon[1], 5)
        if self.second_shot is not None:
            s = self.second_shot
            d["second_shot"] = {
                "unit": s.unit,
                "effector": s.kind,
                "t_intercept": round(self.t + s.t_s, 1),
                "pk": round(s.pk, 3),
                "cost_eur": round(s.cost_eur, 0),
            }
        return d


@dataclass(slots=True)
class Recommender:
    """Turns feasible options into recommendations, one decision cycle at a time."""

    counter: int = 0
    log: list[Recommendation] = field(default_factory=list)

    def _solve(self, opts: Sequence[Option], damage: Mapping[str, float], free: Mapping[str, int]) -> list[int]:
        if not opts:
            return []
        c = np.array([o.cost_eur - o.pk * damage[o.track] for o in opts])
        tracks = sorted({o.track for o in opts})
        units = sorted({o.unit for o in opts})
        ti = {t: i for i, t in enumerate(tracks)}
        ui = {u: i for i, u in enumerate(units)}
        a = np.zeros((len(tracks) + len(units), len(opts)))
        for k, o in enumerate(opts):
            a[ti[o.track], k] = 1.0
            a[len(tracks) + ui[o.unit], k] = 1.0
        ub = np.array([1.0] * len(tracks) + [float(free.get(u, 0)) for u in units])
        res = milp(
            c=c,
            constraints=LinearConstraint(a, -np.inf, ub),
            integrality=np.ones(len(opts)),
            bounds=Bounds(0, 1),
        )
        if res.x is None:
            return []
        return [k for k in range(len(opts)) if res.x[k] > 0.5 and c[k] < 0]

    def recommend(
        self,
        t: float,
        options: Sequence[Option],
        *,
        damage: Mapping[str, float],
        free: Mapping[str, int],
    ) -> list[Recommendation]:
        """Recommendations for one cycle: the cheapest effective effector per threat, fighters last."""
        cheap = [o for o in options if o.kind != "fighter" and free.get(o.unit, 0) > 0]
        chosen = [cheap[k] for k in self._solve(cheap, damage, free)]
        covered = {o.track for o in chosen}
        # a threat that a cheaper effector can reach in time gets no fighter, even while that unit is busy (its
        # queue entry stays open until a unit is free)
        reachable_cheap = {o.track for o in options if o.kind != "fighter"}
        # fighters only for threats that no cheaper effector can reach in time
        fighter_opts = [
            o
            for o in options
            if o.kind == "fighter"
            and o.track not in covered
            and o.track not in reachable_cheap
            and free.get(o.unit, 0) > 0
        ]
        chosen += [fighter_opts[k] for k in self._solve(fighter_opts, damage, free)]
        used = Counter(o.unit for o in chosen)
        recs: list[Recommendation] = []
        for o in sorted(chosen, key=lambda x: (x.t_s, x.track)):
            dmg = damage[o.track]
            exp = o.cost_eur + (1 - o.pk) * dmg
            alts = []
            for a in sorted((x for x in options if x.track == o.track and x is not o), key=lambda x: x.cost_eur):
                a_exp = a.cost_eur + (1 - a.pk) * dmg
                if a.kind == "fighter" and o.kind != "fighter":
                    reason = "fighter is the last resort: a cheaper effector can intercept in time"
                elif free.get(a.unit, 0) - used.get(a.unit, 0) <= 0 and a.unit != o.unit:
                    reason = "unit busy or out of rounds this cycle"
                elif a_exp > exp:
                    reason = f"higher expected cost ({a_exp:,.0f} EUR)"
                else:
                    reason = "needed for another threat (joint optimum)"
                alts.append(
                    {
                        "unit": a.unit,
                        "effector": a.kind,
                        "time_to_intercept_s": round(a.t_s, 1),
                        "pk": round(a.pk, 3),
                        "cost_eur": round(a.cost_eur, 0),
                        "expected_cost_eur": round(a_exp, 0),
                        "not_chosen": reason,
                    }
                )
            later = [
                x
                for x in options
                if x.track == o.track
                and x.t_s >= o.t_s + _REASSESS_S
                and (x.unit != o.unit or free.get(x.unit, 0) - used.get(x.unit, 0) > 0)
            ]
            later_cheap = [x for x in later if x.kind != "fighter"] or later
            second = min(later_cheap, key=lambda x: (x.cost_eur - x.pk * dmg, x.t_s), default=None)
            self.counter += 1
            why = (
                f"{o.kind} {o.unit}: cost {o.cost_eur:,.0f} EUR, intercept in {o.t_s:.0f} s "
                f"({o.margin_s:.0f} s before the deadline), Pk {o.pk:.2f}; expected cost+damage "
                f"{exp:,.0f} EUR vs {dmg:,.0f} EUR if not engaged; beat {len(alts)} alternative(s)"
            )
            if o.note:
                why += f"; {o.note}"
            rec = Recommendation(
                id=f"R{self.counter:05d}",
                t=t,
                track=o.track,
                option=o,
                damage_eur=dmg,
                expected_cost_eur=exp,
                second_shot=second,
                alternatives=tuple(alts),
                why=why,
            )
            recs.append(rec)
        self.log.extend(recs)
        return recs
