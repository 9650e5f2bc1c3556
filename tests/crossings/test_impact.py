from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from borderwatch.crossings.impact import DAY_S, ImpactRules, load_rules, section_levels, shipped_rules_path
from borderwatch.crossings.model import EventData
from borderwatch.errors import InputError

DAY = 20_500


def _ev(day: int, n: int, *, persons: int = 1, violence: bool = False, evasion: bool = False,
        outcome: str = "prevented", section: str = "S") -> list[EventData]:  # fmt: skip
    return [
        EventData.model_validate(
            dict(
                attempt="attempted",
                time_s=(day + (i + 0.5) / (n + 1)) * DAY_S,
                section=section,
                direction="entry",
                detection="patrol",
                persons=persons,
                violence=violence,
                evasion=evasion,
                outcome=outcome,
            )
        )
        for i in range(n)
    ]


def _rule(rules: ImpactRules, level: str, metric: str) -> tuple[int, float]:
    c = next(c for r in rules.levels if r.level == level for c in r.when_any if c.metric == metric)
    return c.days, c.ge


@pytest.fixture(scope="module")
def rules() -> ImpactRules:
    return load_rules()


def _level(events: list[EventData], rules: ImpactRules, day: int = DAY) -> tuple[str, str, str, bool]:
    lv = section_levels(events, section_ids=["S", "T"], days=[day], rules=rules)[0]
    return lv.level, lv.reason, lv.reaction, lv.temporary


def test_every_level_with_its_reaction_and_reason(rules: ImpactRules) -> None:
    # low: a quiet week
    level, reason, reaction, _ = _level(_ev(DAY - 2, 3), rules)
    assert level == "low" and reason == "no rule above low fired" and "Regular border control" in reaction
    # medium: one violent event in the week
    days, ge = _rule(rules, "medium", "violent")
    level, reason, reaction, _ = _level(_ev(DAY - days + 1, int(ge), violence=True), rules)
    assert level == "medium" and reason == f"violent over {days} d = {ge:g} >= {ge:g}"
    assert "national coordination centre" in reaction
    # medium, just under the high attempts threshold spread over the week
    hd, hge = _rule(rules, "high", "attempts")
    per_day = int(hge - 1) // hd
    evs = [e for d in range(hd) for e in _ev(DAY - d, per_day)]
    assert _level(evs, rules)[0] == "medium"
    # high: one more attempt
    level, reason, reaction, temporary = _level([*evs, *_ev(DAY, int(hge) - len(evs))], rules)
    assert level == "high" and reason.startswith(f"attempts over {hd} d = {hge:g}") and not temporary
    assert "Agency" in reaction
    # critical (temporary): many attempts on the day itself
    cd, cge = _rule(rules, "critical", "attempts")
    level, reason, reaction, temporary = _level(_ev(DAY, int(cge)), rules)
    assert level == "critical" and temporary and reason == f"attempts over {cd} d = {cge:g} >= {cge:g}"
    assert "Temporary critical" in reaction


def test_old_events_and_other_sections_do_not_count(rules: ImpactRules) -> None:
    _, cge = _rule(rules, "critical", "attempts")
    assert _level(_ev(DAY - 30, int(cge) * 3), rules)[0] == "low"
    assert _level(_ev(DAY, int(cge), section="T"), rules)[0] == "low"
    assert _level(_ev(DAY + 1, int(cge)), rules)[0] == "low"  # the future does not count either


def test_persons_and_crossed_rules(rules: ImpactRules) -> None:
    _, pge = _rule(rules, "high", "persons")
    assert _level(_ev(DAY, 1, persons=int(pge)), rules)[1] == f"persons over 1 d = {pge:g} >= {pge:g}"
    cd, cge = _rule(rules, "high", "crossed")
    assert _level(_ev(DAY - cd + 1, int(cge), outcome="crossed"), rules)[0] == "high"


def test_rules_file_must_end_with_a_plain_low(tmp_path: Path) -> None:
    doc = yaml.safe_load(shipped_rules_path().read_text(encoding="utf-8"))
    doc["levels"] = doc["levels"][:-1]
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(InputError, match="last level must be 'low'"):
        load_rules(p)
