"""Raw report append: ids, replay, last sequence number, window, durability across SIGKILL."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from borderwatch.store import Store, open_store
from borderwatch.store.reports import (
    ReportRow,
    append_reports,
    last_report_id,
    last_seq,
    reports_in_window,
    reports_since,
)


def _rows(sensor: str, seq: int, n: int, t: float = 1000.0) -> list[ReportRow]:
    return [ReportRow(sensor, seq, t, t + 0.5 + i, f'{{"i": {i}, "s": "{sensor}"}}') for i in range(n)]


def test_append_returns_increasing_ids_and_round_trips(store: Store) -> None:
    rows = _rows("ac-01", 1, 5)
    ids = append_reports(store, rows)
    assert ids == sorted(ids) and len(set(ids)) == 5
    got = reports_since(store, 0, 100)
    assert [i for i, _ in got] == ids
    assert [r for _, r in got] == rows
    assert append_reports(store, []) == []


def test_reports_since_pages(store: Store) -> None:
    ids = append_reports(store, _rows("a", 1, 7))
    page1 = reports_since(store, 0, 3)
    page2 = reports_since(store, page1[-1][0], 3)
    page3 = reports_since(store, page2[-1][0], 3)
    assert [i for i, _ in page1 + page2 + page3] == ids
    assert reports_since(store, ids[-1], 3) == []
    assert last_report_id(store) == ids[-1]


def test_last_seq_per_sensor(store: Store) -> None:
    assert last_seq(store, "a") is None
    append_reports(store, _rows("a", 3, 2) + _rows("b", 9, 1))
    append_reports(store, _rows("a", 4, 1))
    assert last_seq(store, "a") == 4
    assert last_seq(store, "b") == 9


def test_reports_in_window_is_half_open(store: Store) -> None:
    append_reports(store, _rows("a", 1, 4, t=100.0))  # t_ingest 100.5, 101.5, 102.5, 103.5
    got = reports_in_window(store, 101.5, 103.5)
    assert [r.t_ingest for _, r in got] == [101.5, 102.5]


def test_ids_belong_to_their_rows_under_concurrent_writers(store: Store) -> None:
    got: dict[int, list[tuple[list[int], list[str]]]] = {0: [], 1: [], 2: []}

    def writer(k: int) -> None:
        for b in range(20):
            rows = [ReportRow(f"w{k}", b, 1.0, 2.0, f"w{k}-b{b}-{i}") for i in range(25)]
            got[k].append((append_reports(store, rows), [r.body for r in rows]))

    threads = [threading.Thread(target=writer, args=(k,)) for k in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = {i: r.body for i, r in reports_since(store, 0, 10_000)}
    assert len(stored) == 3 * 20 * 25
    for batches in got.values():
        for ids, bodies in batches:
            assert [stored[i] for i in ids] == bodies


def test_portable_returning_path_agrees(store: Store) -> None:
    from borderwatch.store.reports import _append_returning

    with store.session() as s:
        ids = _append_returning(s.connection(), _rows("a", 1, 3))
    assert [i for i, _ in reports_since(store, 0, 10)] == ids


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_rows_survive_sigkill_right_after_append_returns(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    open_store(db).close()
    rounds = 5
    expected: list[list[int]] = []
    for k in range(rounds):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: append, tell the parent the ids, then wait to be killed
            os.close(r)
            st = open_store(db)
            ids = append_reports(st, _rows(f"s{k}", k, 100))
            os.write(w, (",".join(map(str, ids)) + "\n").encode())
            signal.pause()
            os._exit(0)
        os.close(w)
        with os.fdopen(r) as fh:
            line = fh.readline()
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        expected.append([int(x) for x in line.split(",")])
    st = open_store(db)
    stored = {i for i, _ in reports_since(st, 0, 10_000)}
    st.close()
    for ids in expected:
        assert len(ids) == 100
        assert set(ids) <= stored


def test_last_seqs(store: Store) -> None:
    from borderwatch.store.reports import last_seqs

    assert last_seqs(store) == {}
    append_reports(store, _rows("a", 3, 2) + _rows("b", 9, 1) + _rows("a", 5, 1))
    assert last_seqs(store) == {"a": 5, "b": 9}


@pytest.mark.parametrize(
    "row,field",
    [
        (ReportRow("", 1, 1.0, 1.0, "{}"), "rows[1].sensor"),
        (ReportRow("a", -1, 1.0, 1.0, "{}"), "rows[1].seq"),
        (ReportRow("a", 2**63, 1.0, 1.0, "{}"), "rows[1].seq"),
        (ReportRow("a", 1, float("nan"), 1.0, "{}"), "rows[1].t_sent"),
        (ReportRow("a", 1, 1.0, float("inf"), "{}"), "rows[1].t_ingest"),
        (ReportRow("a", 1, 1.0, 1.0, b"{}"), "rows[1].body"),  # type: ignore[arg-type]
    ],
)
def test_bad_rows_name_the_row_and_field(store: Store, row: ReportRow, field: str) -> None:
    from borderwatch.errors import InputError

    with pytest.raises(InputError, match=field.replace("[", r"\[").replace("]", r"\]")):
        append_reports(store, [*_rows("a", 1, 1), row])
    assert reports_since(store, 0, 10) == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_processes_opening_a_new_store_at_once_agree(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    pids = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                st = open_store(db)
                append_reports(st, _rows("x", 1, 1))
                st.close()
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    codes = [os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in pids]
    assert codes == [0, 0, 0]
    st = open_store(db)
    assert len(reports_since(st, 0, 10)) == 3
    st.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_kill_mid_stream_loses_no_acknowledged_batch_and_no_batch_is_partial(tmp_path: Path) -> None:
    import time
    from collections import Counter

    import numpy as np

    db = tmp_path / "b.db"
    open_store(db).close()
    rng = np.random.default_rng(7)
    acked: set[int] = set()
    for k in range(4):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: append batches as fast as it can, acknowledging each after it returns
            os.close(r)
            st = open_store(db)
            b = 0
            while True:
                ids = append_reports(st, [ReportRow("k", k, 1.0, 2.0, f"r{k}-b{b}") for _ in range(50)])
                os.write(w, f"{k}-{b} {ids[0]} {ids[-1]}\n".encode())
                b += 1
        os.close(w)
        time.sleep(float(rng.uniform(0.3, 0.8)))
        os.kill(pid, signal.SIGKILL)  # wherever it is: inside a commit, between batches, ...
        os.waitpid(pid, 0)
        with os.fdopen(r) as fh:
            for line in fh:
                _, first, last = line.split()
                acked.update(range(int(first), int(last) + 1))
    st = open_store(db)
    rows = reports_since(st, 0, 1_000_000)
    st.close()
    assert acked and acked <= {i for i, _ in rows}
    sizes = Counter(r.body for _, r in rows)
    assert set(sizes.values()) == {50}  # every batch whole or absent
