from __future__ import annotations

import json
from pathlib import Path

import pytest

from borderwatch.crossings.io import read_events
from borderwatch.crossings.model import EventData
from borderwatch.crossings.register import (
    FIRST_REPORT_DUE_S,
    JsonlRepository,
    MemoryRepository,
    changes,
    close,
    correct,
    follow_up,
    new_report,
    next_event_id,
    view,
)
from borderwatch.crossings.sections import Sections
from borderwatch.errors import InputError

H = 3600.0
T0 = 1_780_000_000.0

CSV = """time,aware_time,reported_time,section,attempt,manner,direction,detection,persons,nationalities,outcome
2026-05-28T21:00:00Z,2026-05-28T21:10:00Z,2026-05-29T01:00:00Z,LV-BY-03,attempted,clandestine,entry,patrol,4,IQ:2;SY:2,prevented
2026-05-28T23:30:00Z,,2026-05-30T06:00:00Z,LV-BY-04,actual,clandestine,entry,sensor,2,,apprehended
"""


def _data(**kw: object) -> EventData:
    base: dict[str, object] = dict(attempt="attempted", time_s=T0, section="LV-BY-03", direction="entry",
                                   detection="patrol", persons=3, outcome="unknown")  # fmt: skip
    base.update(kw)
    return EventData.model_validate(base)


def test_round_trip_import_follow_up_correction_closure(secs: Sections, tmp_path: Path) -> None:
    src = tmp_path / "events.csv"
    src.write_text(CSV, encoding="utf-8")
    res = read_events(src, sections=secs)
    assert not res.rejected and len(res.good) == 2
    reg = tmp_path / "reg"
    repo = JsonlRepository(reg)
    imported_at = T0 + 30 * H
    for n, d in res.good:
        repo.append(new_report(d, event_id=next_event_id(repo, d.time_s), author="importer", at=imported_at,
                               reason=f"import row {n}"))  # fmt: skip
    first, second = (v.event_id for v in repo.list())
    # follow-up by another officer, linked to the first report
    h = repo.history(first)
    fu = follow_up(h, h[-1].data.model_copy(update={"outcome": "apprehended"}), author="duty2", at=imported_at + H,
                   reason="group apprehended")  # fmt: skip
    repo.append(fu)
    assert fu.action == "follow_up" and fu.follows == f"{first}@1"
    # a correction is a new version; the corrected one stays
    h = repo.history(first)
    co = correct(h, h[-1].data.model_copy(update={"persons": 5}), author="duty2", at=imported_at + 2 * H,
                 reason="recount at the station")  # fmt: skip
    repo.append(co)
    assert co.corrects == 2
    # only the owner closes
    with pytest.raises(InputError, match="only the owner"):
        close(repo.history(first), author="duty2", at=imported_at + 3 * H, reason="x", closure="ended")
    repo.append(close(repo.history(first), author="importer", at=imported_at + 3 * H, reason="handed over",
                      closure="ended"))  # fmt: skip
    # the trail from a fresh read of the directory: each step with who and when
    again = JsonlRepository(reg)
    trail = [(v.version, v.action, v.author, v.recorded_s, v.reason) for v in again.history(first)]
    assert trail == [
        (1, "first_report", "importer", imported_at, "import row 2"),
        (2, "follow_up", "duty2", imported_at + H, "group apprehended"),
        (3, "correction", "duty2", imported_at + 2 * H, "recount at the station"),
        (4, "closure", "importer", imported_at + 3 * H, "handed over"),
    ]
    hist = again.history(first)
    assert changes(hist[0].data, hist[1].data) == {"outcome": ("prevented", "apprehended")}
    assert changes(hist[1].data, hist[2].data) == {"persons": (4, 5)}
    vw = view(hist, now=imported_at + 4 * H)
    assert vw.status == "closed" and vw.data.persons == 5 and not vw.late
    # the second event's first report was made 30.5 h after awareness: late
    assert view(again.history(second), now=imported_at).late
    assert again.verify() == []
    with pytest.raises(InputError, match="nothing can follow a closure"):
        follow_up(hist, hist[-1].data, author="importer", at=imported_at + 5 * H, reason="x")


def test_notice_without_first_report_becomes_overdue_after_24_h() -> None:
    repo = MemoryRepository()
    v = new_report(_data(), event_id="EV-1", author="p1", at=T0 + 600, reason="radio call", notice=True)
    repo.append(v)
    assert not view(repo.history("EV-1"), now=T0 + FIRST_REPORT_DUE_S - 1).overdue
    assert view(repo.history("EV-1"), now=T0 + FIRST_REPORT_DUE_S + 1).overdue
    # the first report, when it comes, follows the notice
    fr = follow_up(repo.history("EV-1"), _data(outcome="prevented"), author="p1", at=T0 + 2 * H, reason="report")
    repo.append(fr)
    vw = view(repo.history("EV-1"), now=T0 + 48 * H)
    assert fr.action == "first_report" and not vw.overdue and not vw.late and vw.first_report_s == T0 + 2 * H


def test_versions_are_never_rewritten(tmp_path: Path) -> None:
    repo = JsonlRepository(tmp_path)
    v1 = new_report(_data(), event_id="EV-1", author="a", at=T0, reason="r")
    repo.append(v1)
    before = repo.path.read_text(encoding="utf-8")
    with pytest.raises(InputError, match="never rewritten"):
        repo.append(v1)  # same version number again
    v2 = correct(repo.history("EV-1"), _data(persons=4), author="a", at=T0 + 1, reason="fix")
    repo.append(v2)
    after = repo.path.read_text(encoding="utf-8")
    assert after.startswith(before) and len(after.splitlines()) == 2


def test_hash_chain_detects_an_edited_line(tmp_path: Path) -> None:
    repo = JsonlRepository(tmp_path)
    repo.append(new_report(_data(), event_id="EV-1", author="a", at=T0, reason="r"))
    repo.append(new_report(_data(), event_id="EV-2", author="a", at=T0, reason="r"))
    lines = repo.path.read_text(encoding="utf-8").splitlines()
    d = json.loads(lines[0])
    d["data"]["persons"] = 30
    repo.path.write_text(json.dumps(d) + "\n" + lines[1] + "\n", encoding="utf-8")
    assert JsonlRepository(tmp_path).verify() == [
        "line 2: hash chain broken (line changed, removed or inserted before it)"
    ]


def test_a_version_cannot_be_older_than_the_last() -> None:
    h = [new_report(_data(), event_id="EV-1", author="a", at=T0, reason="r")]
    with pytest.raises(InputError, match="older"):
        follow_up(h, _data(), author="a", at=T0 - 1, reason="r")
