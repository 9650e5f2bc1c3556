"""Tests of src/borderwatch/crossings/io.py (named apart from tests/tracking/test_io.py: test basenames are unique)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.crossings.io import COLUMNS, RowError, parse_row, read_events, to_row, write_csv
from borderwatch.crossings.model import EventData
from borderwatch.crossings.sections import Sections

HEAD = "time,section,attempt,direction,detection,persons,outcome\n"
BAD = (
    HEAD
    + "2026-05-28T21:00:00Z,LV-BY-03,attempted,entry,patrol,4,prevented\n"  # line 2 good
    + "2026-13-45T25:00,LV-BY-03,attempted,entry,patrol,4,prevented\n"  # line 3 bad date
    + "2026-05-28T22:00:00Z,LV-XX-99,attempted,entry,patrol,4,prevented\n"  # line 4 unknown section
    + "2026-05-28T22:30:00Z,LV-BY-04,attempted,entry,patrol,-2,prevented\n"  # line 5 negative persons
    + "2026-05-28T23:00:00Z,LV-BY-04,attempted,entry,,3,prevented\n"  # line 6 missing detection
    + "2026-05-29T01:00:00+03:00,LV-RU-02,actual,entry,sensor,1,crossed\n"  # line 7 good
)


def test_bad_rows_are_rejected_with_row_field_and_reason_and_good_rows_kept(secs: Sections, tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text(BAD, encoding="utf-8")
    res = read_events(p, sections=secs)
    assert [n for n, _ in res.good] == [2, 7]
    assert res.good[1][1].time_s == 1780005600.0  # 01:00 at +03:00 is 22:00 UTC
    got = {(r.row, r.field) for r in res.rejected}
    assert got == {(3, "time"), (4, "section"), (5, "persons"), (6, "detection")}
    reasons = {r.row: r.reason for r in res.rejected}
    assert "ISO 8601" in reasons[3]
    assert "unknown section 'LV-XX-99'" in reasons[4]
    assert "greater than or equal to 0" in reasons[5]
    assert reasons[6] == "missing field"


def test_jsonl_lines_and_broken_lines(secs: Sections, tmp_path: Path) -> None:
    good = {"time": 1780000000, "section": "LV-BY-03", "attempt": "attempted", "direction": "entry",
            "detection": "sensor", "persons": 2, "outcome": "prevented", "nationalities": {"IQ": 2}}  # fmt: skip
    p = tmp_path / "ev.jsonl"
    p.write_text(
        json.dumps(good) + "\nnot json\n[1]\n" + json.dumps({**good, "persons": True}) + "\n", encoding="utf-8"
    )
    res = read_events(p, sections=secs)
    assert len(res.good) == 1 and res.good[0][1].nationalities == {"IQ": 2}
    assert [(r.row, r.reason) for r in res.rejected] == [
        (2, "not JSON"), (3, "not a JSON object"), (4, "not a whole number")
    ]  # fmt: skip


def test_point_only_rows_get_the_nearest_section(secs: Sections) -> None:
    row = {"time": "2026-05-28T21:00", "lat": "55.82", "lon": "27.63", "attempt": "attempted",
           "direction": "entry", "detection": "patrol", "persons": "1", "outcome": "prevented"}  # fmt: skip
    d = parse_row(row, sections=secs, row_number=2)
    assert isinstance(d, EventData) and d.section == secs.nearest(55.82, 27.63)[0].id


def test_csv_export_reads_back_to_the_same_data(secs: Sections, tmp_path: Path) -> None:
    d = EventData(attempt="actual", time_s=1780000000.0, aware_s=1780000600.0, section="LV-BY-05", lat=55.8,
                  lon=27.4, direction="entry", detection="sensor", alert_id="AL-7", persons=3,
                  nationalities={"IQ": 2, "SY": 1}, age_groups={"adult": 2, "minor": 1}, sex={"male": 3},
                  evasion=True, outcome="apprehended", refusal_reasons=[], credibility="probably_true",
                  reliability="B", validation="validated", impact="medium", reaction="patrol sent")  # fmt: skip
    p = tmp_path / "out.csv"
    write_csv(p, [("EV-1", 1, d)])
    res = read_events(p, sections=secs)
    assert not res.rejected and res.good[0][1] == d


_field_values = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(
    ["2026-05-28T21:00", "LV-BY-03", "attempted", "entry", "patrol", "3", "-1", "prevented", "IQ:2;SY:x", "true",
     "55.8", "nan", "1e400", "A;Z", "refusal_of_entry", "inf"]))  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(COLUMNS), _field_values, max_size=len(COLUMNS)))
def test_row_parser_never_raises(secs: Sections, row: dict[str, str | None]) -> None:
    got = parse_row(row, sections=secs, row_number=9)
    assert isinstance(got, (EventData, RowError))
    if isinstance(got, RowError):
        assert got.row == 9 and got.field and got.reason
    else:
        assert got.section in secs.ids and got.persons >= 0
        again = parse_row(to_row(got), sections=secs, row_number=9)
        assert again == got
