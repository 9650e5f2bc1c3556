"""The monthly indicator of Implementing Regulation (EU) 2021/581 Annex 1 §1: refusals of entry per crossing point.

Due on the 15th of each month for the previous month, broken down by nationality, age group, sex and the
reason of refusal (Regulation (EU) 2016/399 Annex V Part B, codes A-J). Other Annex 1 sub-indicators (country
of origin, last country of embarkation, ETIAS, repeated refusals) are not in the register and are reported as
not available.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from borderwatch.crossings.model import EventData
from borderwatch.errors import InputError


def month_bounds(month: str) -> tuple[float, float]:
    """``"2026-11"`` -> UTC epoch seconds of its first instant and of the next month's."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise InputError(f"month {month!r} is not YYYY-MM", field="--month") from None
    nxt = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start.timestamp(), nxt.timestamp()


def refusals_report(events: Iterable[EventData], *, month: str, crossing_points: Iterable[str] = ()) -> dict[str, Any]:
    """The Annex 1 §1 indicator for one month, one entry per crossing point (listed ones with zero included)."""
    t0, t1 = month_bounds(month)
    start = datetime.fromtimestamp(t1, UTC)
    due = start.replace(day=15).strftime("%Y-%m-%d")
    per: dict[str, dict[str, Any]] = {}

    def blank() -> dict[str, Any]:
        return {"refusals": 0, "nationality": Counter(), "age_group": Counter(), "sex": Counter(), "reason": Counter()}

    for cp in crossing_points:
        per[cp] = blank()
    for e in events:
        if e.category != "refusal_of_entry" or not t0 <= e.time_s < t1 or e.crossing_point is None:
            continue
        row = per.setdefault(e.crossing_point, blank())
        n = max(e.persons, 1)
        row["refusals"] += n
        for k, v in e.nationalities.items():
            row["nationality"][k] += v
        if sum(e.nationalities.values()) < n:
            row["nationality"]["unknown"] += n - sum(e.nationalities.values())
        for k2, v in e.age_groups.items():
            row["age_group"][k2] += v
        for k3, v in e.sex.items():
            row["sex"][k3] += v
        reasons: list[str] = list(e.refusal_reasons) or ["unknown"]
        for r in reasons:
            row["reason"][r] += n
    points = [
        {
            "crossing_point": cp,
            "refusals": d["refusals"],
            "by_nationality": dict(sorted(d["nationality"].items())),
            "by_age_group": dict(sorted(d["age_group"].items())),
            "by_sex": dict(sorted(d["sex"].items())),
            "by_reason": dict(sorted(d["reason"].items())),
        }
        for cp, d in sorted(per.items())
    ]
    return {
        "indicator": "refusals of entry (Implementing Regulation (EU) 2021/581, Annex 1 point 1)",
        "month": month,
        "due": due,
        "total_refusals": sum(p["refusals"] for p in points),
        "crossing_points": points,
        "not_available": [
            "country of origin",
            "last country of embarkation",
            "ETIAS refusals, annulments and revocations",
            "refusals of the same person (same or several identities)",
        ],
    }
