from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import poisson

from borderwatch.crossings.allocate import (
    ForcesFile,
    Problem,
    _conflict_windows,
    evaluate,
    expected_unhandled,
    explain,
    load_forces,
    proportional_baseline,
    solve_milp,
)
from borderwatch.crossings.sections import Sections
from borderwatch.errors import InfeasibleError

S = {"value": 1, "source": "test"}


def _forces(*, groups: list[dict[str, object]], shifts: int = 1, min_patrol: int = 0, week: int = 7) -> ForcesFile:
    names = ["day", "evening", "night"][:shifts]
    return ForcesFile.model_validate(
        {
            "shifts": [{"name": n, "start_h": 6 + 8 * i, "hours": 8} for i, n in enumerate(names)],
            "attempt_shares": {"value": {n: 1 / shifts for n in names}, "source": "test"},
            "officer_types": {
                "patrol": {"handling_per_shift": {"value": 1.0, "source": "test"}, "shifts": names},
                "dog_handler": {"handling_per_shift": {"value": 2.0, "source": "test"}, "shifts": names},
            },
            "rules": {
                "min_patrol_per_section_shift": {"value": min_patrol, "source": "test"},
                "rest_h": {"value": 11, "source": "test"},
                "max_shifts_per_week": {"value": week, "source": "test"},
                "travel_speed_kmh": {"value": 1e6, "source": "test: no travel time"},
                "road_factor": {"value": 1.0, "source": "test"},
                "max_travel_h": {"value": 10.0, "source": "test"},
            },
            "groups": groups,
        }
    )


def _two(secs: Sections) -> Sections:
    return Sections(theatre=secs.theatre, sections=[secs.get("LV-BY-03"), secs.get("LV-BY-04")], source="test")


def test_milp_matches_the_hand_enumeration(secs: Sections) -> None:
    """3 patrol officers and 1 dog handler over two sections with Poisson demand 3.0 and 0.8 in one shift:
    enumerate every split and compare the expected unhandled attempts E[(N - C)+] by hand (scipy.stats)."""
    two = _two(secs)
    f = _forces(groups=[
        {"id": "p", "type": "patrol", "count": 3, "base": "LV-BY-03", "source": "test"},
        {"id": "d", "type": "dog_handler", "count": 1, "base": "LV-BY-03", "source": "test"},
    ])  # fmt: skip
    lam = np.array([[3.0], [0.8]])
    prob = Problem(two, f, 20_000, lam, 1e-9)

    def e_unh(mu: float, c: int) -> float:  # E[(N - c)+] = Σ_{n>c} (n - c) P(n)
        n = np.arange(c + 1, 80)
        return float(np.sum((n - c) * poisson.pmf(n, mu)))

    best = min(
        (e_unh(3.0, p1 + 2 * d1) + e_unh(0.8, (3 - p1) + 2 * (1 - d1)), p1, d1)
        for p1, d1 in itertools.product(range(4), range(2))
    )
    plan = solve_milp(prob, time_limit_s=20)
    assert plan.total_unhandled == pytest.approx(best[0], abs=1e-4)  # travel at 1e6 km/h is not quite zero
    assert plan.x[0, 0, 0] == best[1] and plan.x[1, 0, 0] == best[2]
    assert plan.bound is not None and plan.bound <= plan.total_unhandled + 1e-9
    assert expected_unhandled(3.0, 1e-9, np.array([2.0]))[0] == pytest.approx(e_unh(3.0, 2), abs=1e-9)
    ex = explain(plan, prob)
    assert sum(e["officers"] for e in ex) == 4 and all("expected unhandled" in e["explanation"] for e in ex)


def test_rest_rule_one_shift_in_any_19_hours_and_weekly_limit(secs: Sections) -> None:
    two = _two(secs)
    f = _forces(groups=[{"id": "p", "type": "patrol", "count": 4, "base": "LV-BY-03", "source": "test"}],
                shifts=3, week=5)  # fmt: skip
    rng = np.random.default_rng(1)
    prob = Problem(two, f, 20_000, rng.uniform(0.5, 6.0, (2, 8)), 0.2)
    plan = solve_milp(prob, time_limit_s=20)
    on = plan.x.sum(axis=(0, 1))
    for win in _conflict_windows(prob):
        assert on[win].sum() <= 4 + 1e-9
    for d0 in range(8 - 6):
        assert on[3 * d0 : 3 * d0 + 21].sum() <= 4 * 5 + 1e-9
    base = proportional_baseline(prob)
    assert plan.total_unhandled <= base.total_unhandled + 1e-9


def test_loans_only_within_their_days_and_minimum_staffing(secs: Sections) -> None:
    two = _two(secs)
    f = _forces(
        groups=[
            {"id": "p", "type": "patrol", "count": 6, "base": "LV-BY-03", "source": "test"},
            {"id": "lt", "type": "dog_handler", "count": 2, "base": "LV-BY-04", "origin": "loan: Lithuania",
             "from_day": 1, "days": 2, "source": "test"},
        ],
        min_patrol=2,
    )  # fmt: skip
    prob = Problem(two, f, 20_000, np.full((2, 4), 4.0), 0.2)
    for plan in (solve_milp(prob, time_limit_s=20), proportional_baseline(prob)):
        assert plan.x[1, :, 0].sum() == 0 and plan.x[1, :, 3].sum() == 0
        assert plan.x[0].sum(axis=0).min() >= 2  # every section-shift has two patrol officers
        _cap, un = evaluate(prob, plan.x)
        assert np.allclose(un, plan.unhandled)
    f_short = _forces(groups=[{"id": "p", "type": "patrol", "count": 3, "base": "LV-BY-03", "source": "test"}],
                      min_patrol=2)  # fmt: skip
    with pytest.raises(InfeasibleError, match="minimum staffing"):
        solve_milp(Problem(two, f_short, 20_000, np.ones((2, 2)), 0.2))


def test_shipped_forces_load(secs: Sections) -> None:
    f = load_forces(None, theatre_name="latvia-east", sections=secs)
    loans = [g for g in f.groups if g.origin.startswith("loan")]
    assert sum(g.count for g in loans) == 15 and all(g.days == 30 for g in loans)
