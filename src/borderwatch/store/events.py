"""The border-event register in the operations store: versions appended, every change audited, roles checked.

The register's domain (:mod:`borderwatch.crossings.register`) makes the versions; this module stores them.
Each stored version is one row of ``event_versions`` (never updated or deleted) and one row of the
hash-chained audit log, in the same transaction: ``event.<action>`` by the acting user, on the event id,
with the version, its reason and the fields it changed. Only an enabled operator or admin may write
(:class:`NotAllowedError` otherwise); anyone may read.

>>> import tempfile, pathlib
>>> from borderwatch.crossings.model import EventData
>>> from borderwatch.store import open_store, users
>>> from borderwatch.store.audit import audit_rows
>>> with tempfile.TemporaryDirectory() as d:
...     st = open_store(pathlib.Path(d) / "bw.db")
...     _ = users.add_user(st, "otto", "correct-horse", "operator")
...     d1 = EventData(attempt="attempted", time_s=0.0, section="LV-BY-03", direction="entry",
...                    detection="patrol", persons=4, outcome="prevented")
...     [v] = new_events(st, [d1], actor="otto", at=60.0, reason="patrol call")
...     out = (v.event_id, StoreRepository(st).get(v.event_id).version, audit_rows(st)[-1].action)
...     st.close()
>>> out
('EV-19700101-0001', 1, 'event.first_report')
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, select, text
from sqlalchemy.orm import Session

from borderwatch.crossings.model import EventData, EventVersion
from borderwatch.crossings.register import changes, new_report
from borderwatch.errors import BorderwatchError, InputError, NotFoundError
from borderwatch.store._tx import transaction
from borderwatch.store.audit import _PG_LOCK, AuditEntry, _entry, append_audit
from borderwatch.store.db import Store
from borderwatch.store.models import AuditRow, EventVersionRow
from borderwatch.store.models import User as UserRow
from borderwatch.store.users import Role


class NotAllowedError(BorderwatchError):
    """The acting user may not make this change (unknown, disabled, or a viewer)."""


class VersionConflict(InputError):
    """A version does not follow the event's latest stored version (someone else wrote first)."""


def check_writer(store: Store, actor: str, *, session: Session | None = None) -> Role:
    """The role of ``actor`` if they may add, correct and close events (operator or admin)."""
    with transaction(store, session, readonly=True) as s:
        row = s.scalar(select(UserRow).where(UserRow.name == actor))
    if row is None:
        raise NotAllowedError(
            f"{actor!r} is not a user of this store; add one with `borderwatch users add {actor} --role operator` "
            "or act as one with --as NAME"
        )
    if row.disabled:
        raise NotAllowedError(f"user {actor!r} is disabled")
    role = Role(row.role)
    if not role.can_decide:
        raise NotAllowedError(f"role {role.value} may only read the register; an operator or admin records events")
    return role


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _details(v: EventVersion, prev: EventData | None) -> dict[str, Any]:
    d: dict[str, Any] = {
        "version": v.version,
        "action": v.action,
        "author": v.author,
        "recorded": _iso(v.recorded_s),
        "reason": v.reason,
        "section": v.data.section,
        "time": _iso(v.data.time_s),
    }
    for k in ("follows", "corrects", "closure"):
        if getattr(v, k) is not None:
            d[k] = getattr(v, k)
    if prev is not None:
        d["changes"] = {k: [a, b] for k, (a, b) in changes(prev, v.data).items()}
    return d


def _last(s: Session, event_id: str) -> EventVersionRow | None:
    stmt = select(EventVersionRow).where(EventVersionRow.event_id == event_id)
    return s.scalar(stmt.order_by(EventVersionRow.version.desc()).limit(1))


def record(
    store: Store,
    versions: Sequence[EventVersion],
    *,
    actor: str,
    t: float | None = None,
    session: Session | None = None,
) -> list[EventVersion]:
    """Store versions made by the register's domain functions, each with its audit row, in one transaction.

    ``actor`` is checked (operator or admin) and is the audit row's who; ``t`` the audit row's when (default:
    now). InputError when a version does not follow the event's latest stored version (never rewritten).
    """
    with transaction(store, session) as s:
        check_writer(store, actor, session=s)
        pending: dict[str, EventVersion] = {}
        for v in versions:
            last = pending.get(v.event_id)
            if last is None:
                row = _last(s, v.event_id)
                last = None if row is None else EventVersion.model_validate(row.body)
            have = 0 if last is None else last.version
            if v.version != have + 1:
                raise VersionConflict(
                    f"{v.event_id}: version {v.version} cannot follow version {have} (versions are never rewritten)",
                    field="version",
                )
            s.add(
                EventVersionRow(
                    event_id=v.event_id, version=v.version, action=v.action, author=v.author,
                    recorded_s=v.recorded_s, time_s=v.data.time_s, section=v.data.section,
                    category=v.data.category, body=v.model_dump(mode="json"),
                )
            )  # fmt: skip
            append_audit(
                store, actor, f"event.{v.action}", v.event_id, _details(v, None if last is None else last.data),
                t=t, session=s,
            )  # fmt: skip
            pending[v.event_id] = v
        s.flush()
    return list(versions)


def new_events(
    store: Store,
    data: Sequence[EventData],
    *,
    actor: str,
    at: float,
    reason: str | Sequence[str],
    author: str | None = None,
    owner: str | None = None,
    notice: bool = False,
    t: float | None = None,
) -> list[EventVersion]:
    """First reports (or notices) of new events with ids ``EV-YYYYMMDD-NNNN`` given in the same transaction."""
    reasons = [reason] * len(data) if isinstance(reason, str) else list(reason)
    if len(reasons) != len(data):
        raise InputError("one reason per event", field="reason")
    with store.session() as s:
        if s.get_bind().dialect.name == "postgresql":  # serialise id assignment with the audit chain
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        check_writer(store, actor, session=s)
        n = int(s.scalar(select(func.count(func.distinct(EventVersionRow.event_id)))) or 0)
        out: list[EventVersion] = []
        for i, (d, why) in enumerate(zip(data, reasons, strict=True)):
            day = datetime.fromtimestamp(d.time_s, UTC).strftime("%Y%m%d")
            out.append(
                new_report(
                    d, event_id=f"EV-{day}-{n + i + 1:04d}", author=author or actor, at=at, reason=why, owner=owner,
                    notice=notice,
                )
            )  # fmt: skip
        record(store, out, actor=actor, t=t, session=s)
    return out


def _parse(body: dict[str, Any]) -> EventVersion:
    return EventVersion.model_validate(body)


def histories(
    store: Store,
    *,
    since: float | None = None,
    until: float | None = None,
    section: str | None = None,
    event_ids: Sequence[str] | None = None,
) -> dict[str, builtins.list[EventVersion]]:
    """Every version of the events whose latest version has ``since <= time < until`` and ``section``,
    in order of first appearance (the dict's order)."""
    r = EventVersionRow
    latest = (
        select(r.event_id, func.max(r.version).label("v"), func.min(r.id).label("first"))
        .group_by(r.event_id)
        .subquery()
    )
    sel = select(r.event_id, latest.c.first).join(
        latest, and_(r.event_id == latest.c.event_id, r.version == latest.c.v)
    )
    if since is not None:
        sel = sel.where(r.time_s >= since)
    if until is not None:
        sel = sel.where(r.time_s < until)
    if section is not None:
        sel = sel.where(r.section == section)
    if event_ids is not None:
        sel = sel.where(r.event_id.in_(list(event_ids)))
    chosen = sel.subquery()
    stmt = select(r.body).join(chosen, r.event_id == chosen.c.event_id).order_by(chosen.c.first, r.version)
    out: dict[str, builtins.list[EventVersion]] = {}
    with store.session(readonly=True) as s:
        for (body,) in s.execute(stmt):
            v = _parse(body)
            out.setdefault(v.event_id, []).append(v)
    return out


class StoreRepository:
    """The :class:`~borderwatch.crossings.register.EventRepository` Protocol over the store.

    Reads need no user; :meth:`append` and :meth:`append_many` record as ``actor`` (checked, audited).
    """

    def __init__(self, store: Store, *, actor: str | None = None) -> None:
        self.store = store
        self.actor = actor
        self.path = store.path or store.url  # where the register lives, for messages

    def append(self, version: EventVersion) -> None:
        self.append_many([version])

    def append_many(self, versions: builtins.list[EventVersion]) -> None:
        if self.actor is None:
            raise NotAllowedError("this register was opened read-only (no acting user)")
        record(self.store, versions, actor=self.actor)

    def history(self, event_id: str) -> builtins.list[EventVersion]:
        h = histories(self.store, event_ids=[event_id]).get(event_id)
        if not h:
            raise NotFoundError(f"no event {event_id!r} in the register")
        return h

    def get(self, event_id: str) -> EventVersion:
        return self.history(event_id)[-1]

    def list(self) -> builtins.list[EventVersion]:
        return [h[-1] for h in histories(self.store).values()]

    def histories(self) -> dict[str, builtins.list[EventVersion]]:
        return histories(self.store)

    def __len__(self) -> int:
        with self.store.session(readonly=True) as s:
            return int(s.scalar(select(func.count(func.distinct(EventVersionRow.event_id)))) or 0)


def event_audit(store: Store, event_id: str) -> builtins.list[AuditEntry]:
    """The audit rows about one event, oldest first."""
    stmt = select(AuditRow).where(AuditRow.subject == event_id).order_by(AuditRow.seq)
    with store.session(readonly=True) as s:
        return [_entry(r) for r in s.scalars(stmt)]
