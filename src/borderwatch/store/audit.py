"""The audit log: append-only and HMAC-chained.

Row ``seq`` (1, 2, 3, ...) carries ``prev_hash`` (the hash of row ``seq - 1``; 64 zeros for row 1) and
``hash = HMAC-SHA256(audit key, canonical_json([seq, t, actor, action, subject, details, prev_hash]))`` in
lowercase hex, where ``details`` is the parsed JSON object. The key lives in a file beside the database
(``<db>.audit-key``, mode 0600), so write access to the database alone is not enough to re-chain the log
quietly. After each commit the newest ``(seq, hash)`` is written to ``<db>.audit-head`` so that rows cut
from the end are found as well. On SQLite, triggers refuse UPDATE and DELETE on the table; :func:`verify_audit`
does not rely on them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from borderwatch.errors import InputError
from borderwatch.store._tx import transaction
from borderwatch.store.canonical import canonical_json
from borderwatch.store.db import Store
from borderwatch.store.models import AuditRow

GENESIS = "0" * 64
_HEAD_KEY = "borderwatch_audit_head"
_HEAD_LOCK = threading.Lock()
_PG_LOCK = 0x62770A0D  # advisory lock id serialising audit appends on PostgreSQL


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit row as read back."""

    seq: int
    t: float
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """One thing wrong with the chain: ``kind`` is ``edited``, ``inserted``, ``deleted``, ``broken-link``,
    ``truncated`` or ``unreadable``; ``seq`` names the row (for ``deleted``: the first row after the gap)."""

    seq: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.kind}: {self.message}"


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The outcome of :func:`verify_audit`: how many rows were checked and what is wrong (empty when intact)."""

    rows: int
    last_seq: int
    problems: list[AuditProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


_HEAD = select(AuditRow.seq, AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1).with_for_update()
_INSERT = insert(cast(Table, AuditRow.__table__))  # Core with bound parameters: compiled once, cached


def row_hash(key: bytes, seq: int, t: float, actor: str, action: str, subject: str, details: Any, prev: str) -> str:
    """The HMAC-SHA256 (hex) that chains one audit row."""
    body = canonical_json([seq, t, actor, action, subject, details, prev])
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def append_audit(
    store: Store,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, Any] | None = None,
    t: float | None = None,
    session: Session | None = None,
) -> AuditEntry:
    """Append one row (who, what, on what, with which details) and return it.

    With ``session`` the row commits with the caller's transaction (a decision and its audit row together);
    the caller's transaction then holds the write lock, so the chain's head cannot move under it.
    """
    for name, v in (("actor", actor), ("action", action), ("subject", subject)):
        if not isinstance(v, str):
            raise InputError(f"must be a string, got {type(v).__name__}", field=name)
    if not actor or not action:
        raise InputError("an audit row needs an actor and an action")
    try:
        details_text = canonical_json(dict(details or {})).decode("utf-8")
    except (ValueError, TypeError) as exc:
        raise InputError(f"audit details are not JSON: {exc}", field="details") from None
    d = json.loads(details_text)  # hash what verification will read back (e.g. int keys become strings)
    tt = time.time() if t is None else float(t)
    if not math.isfinite(tt):
        raise InputError(f"must be a finite time, got {tt}", field="t")
    with transaction(store, session) as s:
        if s.get_bind().dialect.name == "postgresql":  # FOR UPDATE alone would let two writers read one head
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        conn = s.connection()
        head = conn.execute(_HEAD).first()
        seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
        h = row_hash(store.audit_key, seq, tt, actor, action, subject, d, prev)
        values = {"seq": seq, "t": tt, "actor": actor, "action": action, "subject": subject, "details": details_text}
        conn.execute(_INSERT, {**values, "prev_hash": prev, "hash": h})
        s.info[_HEAD_KEY] = (seq, h)
    if session is None:
        _write_head(store, seq, h)
    return AuditEntry(seq, tt, actor, action, subject, d, prev, h)


def audit_rows(store: Store, *, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
    """Up to ``limit`` rows with seq > ``after_seq``, in order (details that do not parse read as {})."""
    stmt = select(AuditRow).where(AuditRow.seq > after_seq).order_by(AuditRow.seq).limit(limit)
    with store.session(readonly=True) as s:
        return [_entry(r) for r in s.scalars(stmt)]


def verify_audit(store: Store) -> AuditReport:
    """Check the whole chain and name every row that was edited, inserted or deleted.

    A row whose hash does not match its contents was edited (or forged: ``inserted`` when the next row links
    past it); a gap in ``seq`` means rows were deleted; a ``prev_hash`` that is not the previous row's hash
    is a broken link; a head file ahead of the last row means rows were cut from the end. Rows are streamed
    (1,000 at a time), so the log may be larger than memory.
    """
    head = _read_head(store)
    head_seq = head[0] if head else None
    problems: list[AuditProblem] = []
    n, last, head_hash = 0, 0, None
    prev_seq, prev_hash = 0, GENESIS
    stmt = select(*_COLUMNS).order_by(AuditRow.seq).execution_options(yield_per=1000)
    with store.session(readonly=True) as s:
        rows = (_Row(*row) for row in s.execute(stmt))  # plain tuples: sqlalchemy's Row has its own ``.t``
        r = next(rows, None)
        r_ok = r is not None and _valid(store.audit_key, r)
        while r is not None:
            nxt = next(rows, None)
            nxt_ok = nxt is not None and _valid(store.audit_key, nxt)
            n, last = n + 1, r.seq
            if r.seq == head_seq:
                head_hash = r.hash
            if not r_ok and nxt is not None and nxt.prev_hash == prev_hash and nxt.prev_hash != r.hash:
                problems.append(AuditProblem(r.seq, "inserted", f"not part of the chain: seq {nxt.seq} links past it"))
                prev_seq = r.seq  # the chain goes on from the hash of the row before it
            else:
                problems.extend(_row_problems(r, r_ok, prev_seq, prev_hash, head_seq))
                prev_seq, prev_hash = r.seq, r.hash
            r, r_ok = nxt, nxt_ok
    if head is not None and head[0] > last:
        problems.append(AuditProblem(head[0], "truncated", f"the log ends at seq {last} but seq {head[0]} was written"))
    elif head is not None and head_hash is not None and not hmac.compare_digest(head_hash, head[1]):
        problems.append(AuditProblem(head[0], "edited", "hash differs from the one recorded when it was written"))
    return AuditReport(n, last, problems)


class _Row(NamedTuple):
    seq: int
    t: float
    actor: str
    action: str
    subject: str
    details: str
    prev_hash: str
    hash: str


_COLUMNS = (
    AuditRow.seq,
    AuditRow.t,
    AuditRow.actor,
    AuditRow.action,
    AuditRow.subject,
    AuditRow.details,
    AuditRow.prev_hash,
    AuditRow.hash,
)


def _row_problems(r: _Row, ok: bool, prev_seq: int, prev_hash: str, head_seq: int | None) -> list[AuditProblem]:
    """What is wrong with row ``r`` given the chain so far (the last good row's seq and hash)."""
    out = []
    if r.seq != prev_seq + 1:
        gap = f"seq {prev_seq + 1}" if r.seq == prev_seq + 2 else f"seq {prev_seq + 1}..{r.seq - 1}"
        out.append(AuditProblem(r.seq, "deleted", f"{gap} missing before this row"))
    elif r.prev_hash != prev_hash:
        what = f"seq {prev_seq}" if prev_seq else "the start of the log"
        out.append(AuditProblem(r.seq, "broken-link", f"prev_hash does not match the hash of {what}"))
    if not ok and head_seq is not None and r.seq > head_seq:
        msg = f"after the last row recorded as written (seq {head_seq}) and its hash does not match"
        out.append(AuditProblem(r.seq, "inserted", msg))
    elif not ok:
        out.append(AuditProblem(r.seq, "edited", "hash does not match the row's contents (edited or renumbered)"))
    return out


def _valid(key: bytes, r: _Row) -> bool:
    """True if the row's stored hash is the HMAC of its contents."""
    try:
        details = json.loads(r.details)
        expect = row_hash(key, r.seq, r.t, r.actor, r.action, r.subject, details, r.prev_hash)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(expect, str(r.hash))


def _read_head(store: Store) -> tuple[int, str] | None:
    p = store.audit_head_path
    if p is None or not p.exists():
        return None
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
        return int(d["seq"]), str(d["hash"])
    except (ValueError, KeyError, TypeError):
        return None


def _write_head(store: Store, seq: int, h: str) -> None:
    """Record the newest (seq, hash); never moves the recorded head backwards within a process.

    Called after the commit: a failure here (disk full, permissions) must not turn a committed append into an
    error, so it is swallowed; the head then lags, which verification accepts (only a head *ahead* of the log
    is a problem).
    """
    p = store.audit_head_path
    if p is None:
        return
    with _HEAD_LOCK:
        old = _read_head(store)
        if old is not None and old[0] >= seq:
            return
        tmp = p.with_name(f"{p.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps({"seq": seq, "hash": h}) + "\n")
            tmp.replace(p)
        except OSError:
            tmp.unlink(missing_ok=True)


def on_commit(store: Store, session: Session) -> None:
    """Session hook (installed by ``open_store``): after a commit that appended audit rows, move the head."""
    head = session.info.pop(_HEAD_KEY, None)
    if head is not None:
        _write_head(store, *head)


def on_rollback(session: Session) -> None:
    """Session hook: a rolled-back transaction's audit rows were never written."""
    session.info.pop(_HEAD_KEY, None)


def _entry(r: AuditRow) -> AuditEntry:
    try:
        details = json.loads(r.details)
    except ValueError:
        details = {}
    return AuditEntry(
        r.seq, r.t, r.actor, r.action, r.subject, details if isinstance(details, dict) else {}, r.prev_hash, r.hash
    )
