from __future__ import annotations

import pytest

from borderwatch.crossings.indicators import month_bounds, refusals_report
from borderwatch.crossings.model import EventData
from borderwatch.errors import InputError


def _ref(t: float, cp: str, nat: str, reason: str, persons: int = 1) -> EventData:
    return EventData.model_validate(dict(category="refusal_of_entry", attempt="attempted", time_s=t, section="S",
                                         crossing_point=cp, direction="entry", detection="bcp_check",
                                         persons=persons, nationalities={nat: persons}, sex={"male": persons},
                                         outcome="turned_back", refusal_reasons=[reason]))  # fmt: skip


def test_refusals_per_crossing_point_for_one_month() -> None:
    t0, t1 = month_bounds("2026-11")
    evs = [
        _ref(t0 + 10, "Terehova", "RU", "C"),
        _ref(t0 + 20, "Terehova", "BY", "E", persons=2),
        _ref(t1 - 1, "Pāternieki", "RU", "C"),
        _ref(t1 + 1, "Pāternieki", "RU", "C"),  # December: not counted
        _ref(t0 - 1, "Terehova", "RU", "C"),  # October: not counted
    ]
    doc = refusals_report(evs, month="2026-11", crossing_points=["Terehova", "Pāternieki", "Grebņeva"])
    assert doc["due"] == "2026-12-15" and doc["total_refusals"] == 4
    by = {p["crossing_point"]: p for p in doc["crossing_points"]}
    assert by["Terehova"]["refusals"] == 3
    assert by["Terehova"]["by_nationality"] == {"BY": 2, "RU": 1}
    assert by["Terehova"]["by_reason"] == {"C": 1, "E": 2}
    assert by["Pāternieki"]["refusals"] == 1 and by["Grebņeva"]["refusals"] == 0
    assert "country of origin" in doc["not_available"]


def test_bad_month() -> None:
    with pytest.raises(InputError, match="YYYY-MM"):
        month_bounds("11/2026")
