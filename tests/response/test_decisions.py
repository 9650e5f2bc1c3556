"""Decisions are append-only; a recommendation without an approving decision never becomes an engagement."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from borderwatch.response.decisions import (
    AUTO_APPROVER,
    DecisionLog,
    EngagementBook,
    NotApprovedError,
    auto_approve,
    verify_file,
)
from borderwatch.response.feasibility import Option
from borderwatch.response.recommend import Recommendation


def _rec(rid: str, track: str = "T1") -> Recommendation:
    o = Option("IDB", track, "interceptor", 100.0, 0.0, 0.0, 0.7, 8000.0, 50.0)
    return Recommendation(rid, 0.0, track, o, 1e6, 8000 + 0.3e6, None, (), "test")


def test_no_engagement_without_approval(tmp_path: Path) -> None:
    log = DecisionLog(tmp_path / "decisions.jsonl")
    book = EngagementBook(log)
    r1, r2 = _rec("R1"), _rec("R2", "T2")
    rejected = log.decide(r1, approved=False, who="duty officer Ozola", t=10.0, why="friendly helicopter nearby")
    with pytest.raises(NotApprovedError):
        book.engage(r1, rejected)
    ok = log.decide(r2, approved=True, who="duty officer Ozola", t=11.0, why="confirmed Shahed")
    with pytest.raises(NotApprovedError):  # an approval of another recommendation does not count
        book.engage(r1, ok)
    e = book.engage(r2, ok)
    assert e.track == "T2" and e.decision == ok.id
    assert len(book.engagements) == 1


def test_log_is_append_only_and_chained(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    log = DecisionLog(path)
    for i in range(3):
        auto_approve(log, _rec(f"R{i}"), float(i))
    assert log.verify() and verify_file(path)
    assert all(d.who == AUTO_APPROVER for d in log.entries)
    assert not hasattr(log, "edit") and not hasattr(log, "remove")
    with pytest.raises(AttributeError):
        log.entries[0].approved = False  # type: ignore[misc]
    lines = path.read_text().splitlines()
    rec = json.loads(lines[1])
    rec["approved"] = False  # tamper with the file
    lines[1] = json.dumps(rec)
    path.write_text("\n".join(lines) + "\n")
    assert not verify_file(path)


def test_outcome_drawn_from_pk() -> None:
    log = DecisionLog()
    book = EngagementBook(log)
    rng = np.random.default_rng(0)
    for i in range(400):
        r = _rec(f"R{i}", f"T{i}")
        book.engage(r, auto_approve(log, r, 0.0))
    assert book.resolve(50.0, rng) == []  # before intercept time nothing is decided
    done = book.resolve(100.0, rng)
    kills = sum(e.outcome == "kill" for e in done)
    assert len(done) == 400 and 0.62 < kills / 400 < 0.78
