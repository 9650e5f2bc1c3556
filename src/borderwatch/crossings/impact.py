"""Section impact levels (Regulation (EU) 2019/1896 Art. 34-35) per section and day from configurable rules.

Each level comes with the reaction the regulation requires and the reason it was set (the rule that fired
and the measured value).

>>> from borderwatch.crossings.model import EventData
>>> rules = load_rules()
>>> ev = [EventData(attempt="attempted", time_s=86400.0 * 3 + 3600, section="S1", direction="entry",
...                 detection="patrol", persons=2, outcome="prevented", violence=True)]
>>> lv = section_levels(ev, section_ids=["S1"], days=[3], rules=rules)[0]
>>> lv.level, lv.reason
('medium', 'violent over 7 d = 1 >= 1')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from borderwatch.config import Strict, load_model
from borderwatch.crossings.model import EventData

SectionLevel = Literal["low", "medium", "high", "critical"]
Metric = Literal["attempts", "persons", "violent", "evasion", "crossed"]
METRICS: tuple[str, ...] = Metric.__args__  # type: ignore[attr-defined]
LEVELS: tuple[str, ...] = ("low", "medium", "high", "critical")
DAY_S = 86400.0


class Condition(Strict):
    metric: Metric
    days: int = Field(ge=1, le=366)
    ge: float = Field(ge=0.0)
    source: str = Field("assumption", min_length=3)


class LevelRule(Strict):
    level: SectionLevel
    temporary: bool = False
    when_any: list[Condition]


class ImpactRules(Strict):
    """``impact_rules.yaml``."""

    levels: list[LevelRule] = Field(min_length=1)
    reactions: dict[SectionLevel, str]

    @model_validator(mode="after")
    def _complete(self) -> ImpactRules:
        names = [r.level for r in self.levels]
        if len(set(names)) != len(names):
            raise ValueError("each level may appear once")
        if names[-1] != "low" or self.levels[-1].when_any:
            raise ValueError("the last level must be 'low' with no conditions (the default)")
        missing = [lv for lv in names if lv not in self.reactions]
        if missing:
            raise ValueError(f"reactions missing for {missing}")
        return self


def shipped_rules_path() -> Path:
    return Path(str(resources.files("borderwatch.crossings") / "data" / "impact_rules.yaml"))


def load_rules(path: Path | str | None = None) -> ImpactRules:
    return load_model(ImpactRules, path or shipped_rules_path())


@dataclass(frozen=True, slots=True)
class SectionDay:
    section: str
    day: int  # UTC day number (epoch seconds // 86400)
    level: SectionLevel
    temporary: bool
    reaction: str
    reason: str
    metrics: dict[str, float]  # value of every metric the rules use, keyed "metric_Nd"


def daily_metrics(
    events: Iterable[EventData], *, section_ids: Sequence[str], day0: int, n_days: int
) -> dict[str, np.ndarray]:
    """Per-metric arrays ``(sections, days)`` of daily values from ``day0`` (unauthorised crossings only)."""
    idx = {s: i for i, s in enumerate(section_ids)}
    out = {m: np.zeros((len(section_ids), n_days)) for m in METRICS}
    for e in events:
        if e.category != "unauthorised_crossing" or e.section not in idx:
            continue
        d = int(e.time_s // DAY_S) - day0
        if not 0 <= d < n_days:
            continue
        i = idx[e.section]
        out["attempts"][i, d] += 1
        out["persons"][i, d] += e.persons
        out["violent"][i, d] += e.violence
        out["evasion"][i, d] += e.evasion
        out["crossed"][i, d] += e.outcome == "crossed"
    return out


def section_levels(
    events: Iterable[EventData], *, section_ids: Sequence[str], days: Sequence[int], rules: ImpactRules
) -> list[SectionDay]:
    """The level of every section on every given UTC day (day numbers), with reaction text and reason."""
    if not days:
        return []
    look = max(c.days for r in rules.levels for c in r.when_any) if any(r.when_any for r in rules.levels) else 1
    day0 = min(days) - look + 1
    n = max(days) - day0 + 1
    m = daily_metrics(events, section_ids=section_ids, day0=day0, n_days=n)
    csum = {k: np.concatenate([np.zeros((len(section_ids), 1)), np.cumsum(v, axis=1)], axis=1) for k, v in m.items()}
    out: list[SectionDay] = []
    for day in days:
        j = day - day0 + 1  # cumulative index after this day
        for i, sid in enumerate(section_ids):
            vals: dict[str, float] = {}
            chosen: LevelRule = rules.levels[-1]
            reason = "no rule above low fired"
            found = False
            for rule in rules.levels:
                for c in rule.when_any:
                    v = float(csum[c.metric][i, j] - csum[c.metric][i, max(0, j - c.days)])
                    vals[f"{c.metric}_{c.days}d"] = v
                    if not found and v >= c.ge:
                        chosen, found = rule, True
                        reason = f"{c.metric} over {c.days} d = {v:g} >= {c.ge:g}"
            out.append(
                SectionDay(
                    section=sid,
                    day=day,
                    level=chosen.level,
                    temporary=chosen.temporary,
                    reaction=rules.reactions[chosen.level],
                    reason=reason,
                    metrics=vals,
                )
            )
    return out
