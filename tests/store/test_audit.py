"""The audit chain: intact logs verify; edited, inserted and deleted rows are found and named."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from borderwatch.store import Store, open_store
from borderwatch.store.audit import GENESIS, append_audit, audit_rows, row_hash, verify_audit
from borderwatch.store.picture import write_decision


def _fill(store: Store, n: int) -> None:
    for i in range(n):
        append_audit(store, f"user{i % 3}", "test.action", f"thing-{i}", {"i": i, "why": "é ok"}, t=1000.0 + i)


def _raw(store: Store, sql: str, **params: object) -> None:
    """Tamper with the database as someone with write access to the file would: triggers dropped first."""
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_no_update")
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_no_delete")
        conn.execute(text(sql), params)


def _kinds(store: Store) -> list[tuple[int, str]]:
    return [(p.seq, p.kind) for p in verify_audit(store).problems]


def test_intact_chain_verifies(store: Store) -> None:
    _fill(store, 6)
    rep = verify_audit(store)
    assert rep.ok and rep.rows == 6 and rep.last_seq == 6
    rows = audit_rows(store)
    assert rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))


def test_empty_log_verifies(store: Store) -> None:
    rep = verify_audit(store)
    assert rep.ok and rep.rows == 0


def test_hash_is_hmac_of_canonical_fields(store: Store) -> None:
    e = append_audit(store, "alice", "decision.approve", "R00001", {"why": "x"}, t=5.25)
    assert e.hash == row_hash(store.audit_key, 1, 5.25, "alice", "decision.approve", "R00001", {"why": "x"}, GENESIS)
    assert e.hash != row_hash(b"k" * 32, 1, 5.25, "alice", "decision.approve", "R00001", {"why": "x"}, GENESIS)


def test_triggers_refuse_update_and_delete(store: Store) -> None:
    _fill(store, 2)
    with pytest.raises(DatabaseError, match="append-only"), store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit SET actor = 'mallory' WHERE seq = 1")
    with pytest.raises(DatabaseError, match="append-only"), store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit WHERE seq = 1")
    assert verify_audit(store).ok


@pytest.mark.parametrize("column,value", [("actor", "mallory"), ("details", '{"i":3,"why":"changed"}'), ("t", 1.0)])
def test_edited_row_is_named(store: Store, column: str, value: object) -> None:
    _fill(store, 6)
    _raw(store, f"UPDATE audit SET {column} = :v WHERE seq = 4", v=value)
    assert _kinds(store) == [(4, "edited")]


def test_edit_that_rechains_without_the_key_is_found(store: Store) -> None:
    _fill(store, 5)
    fake = "f" * 64
    _raw(store, "UPDATE audit SET actor = 'mallory', hash = :h WHERE seq = 2", h=fake)
    _raw(store, "UPDATE audit SET prev_hash = :h WHERE seq = 3", h=fake)
    kinds = _kinds(store)
    assert (2, "edited") in kinds and (3, "edited") in kinds


def test_deleted_row_is_named(store: Store) -> None:
    _fill(store, 6)
    _raw(store, "DELETE FROM audit WHERE seq IN (3, 4)")
    probs = verify_audit(store).problems
    assert [(p.seq, p.kind) for p in probs] == [(5, "deleted")]
    assert "seq 3..4 missing" in probs[0].message


def test_deleted_first_row_is_named(store: Store) -> None:
    _fill(store, 3)
    _raw(store, "DELETE FROM audit WHERE seq = 1")
    assert _kinds(store) == [(2, "deleted")]


def test_rows_cut_from_the_end_are_found(store: Store) -> None:
    _fill(store, 5)
    _raw(store, "DELETE FROM audit WHERE seq >= 4")
    assert _kinds(store) == [(5, "truncated")]


def test_inserted_row_at_the_end_is_named(store: Store) -> None:
    _fill(store, 4)
    last = audit_rows(store)[-1]
    _raw(
        store,
        "INSERT INTO audit (seq, t, actor, action, subject, details, prev_hash, hash) "
        "VALUES (5, 2000.0, 'mallory', 'user.add', 'mallory', '{}', :p, :h)",
        p=last.hash,
        h="0" * 64,
    )
    assert _kinds(store) == [(5, "inserted")]


def test_inserted_row_in_the_middle_is_named(store: Store) -> None:
    _fill(store, 5)
    rows = audit_rows(store)
    # make room at seq 3 by moving rows 3..5 up one, then slip a forged row in
    for seq in (5, 4, 3):
        _raw(store, "UPDATE audit SET seq = :n WHERE seq = :o", n=seq + 1, o=seq)
    _raw(
        store,
        "INSERT INTO audit (seq, t, actor, action, subject, details, prev_hash, hash) "
        "VALUES (3, 1002.5, 'mallory', 'user.add', 'mallory', '{}', :p, :h)",
        p=rows[1].hash,
        h="1" * 64,
    )
    kinds = _kinds(store)
    assert kinds[0] == (3, "inserted")
    assert {s for s, _ in kinds[1:]} == {4, 5, 6}  # the renumbered rows no longer match their hashes
    assert "deleted" not in {k for _, k in kinds}


def test_unparseable_details_is_named(store: Store) -> None:
    _fill(store, 3)
    _raw(store, "UPDATE audit SET details = 'not json' WHERE seq = 2")
    assert _kinds(store) == [(2, "edited")]


def test_append_inside_a_caller_transaction_commits_together(store: Store) -> None:
    with store.session() as s:
        write_decision(store, {"id": "D1", "t": 1.0, "recommendation": "R1", "who": "op", "approved": True}, session=s)
        append_audit(store, "op", "decision.approve", "R1", {"decision": "D1"}, session=s)
    with pytest.raises(RuntimeError), store.session() as s:
        write_decision(store, {"id": "D2", "t": 2.0, "recommendation": "R2", "who": "op", "approved": True}, session=s)
        append_audit(store, "op", "decision.approve", "R2", {"decision": "D2"}, session=s)
        raise RuntimeError("the caller fails before commit")
    rows = audit_rows(store)
    assert [r.subject for r in rows] == ["R1"]
    assert verify_audit(store).ok  # the head file did not move to the rolled-back row
    append_audit(store, "op", "after", "x", {})
    assert verify_audit(store).ok


def test_head_file_written_after_commit(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    st = open_store(db)
    _fill(st, 3)
    head = json.loads((tmp_path / "b.db.audit-head").read_text())
    assert head["seq"] == 3 and head["hash"] == audit_rows(st)[-1].hash
    st.close()


def test_verify_with_a_different_key_fails_everywhere(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    st = open_store(db)
    _fill(st, 3)
    st.close()
    (tmp_path / "b.db.audit-key").write_text("ab" * 32)
    st = open_store(db)
    assert [k for _, k in _kinds(st)] == ["edited"] * 3
    st.close()


def test_non_json_details_refused(store: Store) -> None:
    from borderwatch.errors import InputError

    with pytest.raises(InputError, match="details"):
        append_audit(store, "a", "b", "c", {"x": float("nan")})
    assert audit_rows(store) == []


def test_concurrent_appends_keep_one_chain(store: Store) -> None:
    import threading

    def writer(k: int) -> None:
        for i in range(15):
            append_audit(store, f"w{k}", "test", f"{k}-{i}", {})

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rep = verify_audit(store)
    assert rep.ok and rep.rows == 45 and rep.last_seq == 45


def test_non_string_fields_refused(store: Store) -> None:
    from borderwatch.errors import InputError

    with pytest.raises(InputError, match="actor"):
        append_audit(store, 5, "b", "c", {})  # type: ignore[arg-type]
    with pytest.raises(InputError, match="subject"):
        append_audit(store, "a", "b", None, {})  # type: ignore[arg-type]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.text(min_size=1, max_size=20),
    st.text(max_size=20),
    st.dictionaries(
        st.text(max_size=6),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(max_size=10),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
            max_leaves=8,
        ),
        max_size=4,
    ),
    st.floats(min_value=0, max_value=4e9),
)
def test_any_json_details_verify_after_storage(
    store: Store, actor: str, subject: str, details: dict[str, Any], t: float
) -> None:
    append_audit(store, actor, "fuzz", subject, details, t=t)
    assert verify_audit(store).ok


def test_details_that_change_in_a_json_round_trip_still_verify(store: Store) -> None:
    append_audit(store, "a", "b", "c", {"m": {10: "x", 9: "y"}, "tuple": (1, 2)})
    assert verify_audit(store).ok
    assert audit_rows(store)[0].details == {"m": {"10": "x", "9": "y"}, "tuple": [1, 2]}
