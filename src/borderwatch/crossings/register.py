"""The event register: a repository Protocol, a file-backed implementation, and pure domain functions.

Domain functions take the history of an event (its versions, oldest first) and return the next version;
they never touch storage. A repository only appends and reads. The live service's store implements the
same :class:`EventRepository` Protocol.

>>> repo = MemoryRepository()
>>> d = EventData(attempt="attempted", time_s=0.0, section="LV-BY-03", direction="entry",
...               detection="patrol", persons=4, outcome="prevented")
>>> v1 = new_report(d, event_id=next_event_id(repo, d.time_s), author="duty1", at=3600.0, reason="patrol call")
>>> repo.append(v1)
>>> v2 = close(repo.history(v1.event_id), author="duty1", at=7200.0, reason="group turned back", closure="ended")
>>> repo.append(v2)
>>> [v.action for v in repo.history(v1.event_id)], view(repo.history(v1.event_id), now=7200.0).status
(['first_report', 'closure'], 'closed')
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from borderwatch.config import validate
from borderwatch.crossings.model import ClosureReason, EventData, EventVersion
from borderwatch.errors import InputError, NotFoundError

#: Art. 9(3) / Annex 2 §1: the first report is due within 24 h of awareness
FIRST_REPORT_DUE_S = 24 * 3600.0
DEFAULT_REGISTER_DIR = Path("borderwatch-register")
REGISTER_FILE = "events.jsonl"


class EventRepository(Protocol):
    """Storage of event versions: append-only."""

    def append(self, version: EventVersion) -> None:
        """Store a new version; version numbers of an event run 1, 2, 3, ... without gaps or repeats."""
        ...

    def get(self, event_id: str) -> EventVersion:
        """The latest version of an event (NotFoundError if none)."""
        ...

    def list(self) -> list[EventVersion]:
        """The latest version of every event, in order of first appearance."""
        ...

    def history(self, event_id: str) -> builtins.list[EventVersion]:
        """Every version of an event, oldest first (NotFoundError if none)."""
        ...


class MemoryRepository:
    """In-memory repository (tests, one-shot computations)."""

    def __init__(self) -> None:
        self._by_id: dict[str, list[EventVersion]] = {}

    def _check(self, version: EventVersion) -> None:
        have = len(self._by_id.get(version.event_id, []))
        if version.version != have + 1:
            raise InputError(
                f"{version.event_id}: version {version.version} cannot follow version {have} "
                "(versions are never rewritten)"
            )

    def append(self, version: EventVersion) -> None:
        self._check(version)
        self._by_id.setdefault(version.event_id, []).append(version)

    def get(self, event_id: str) -> EventVersion:
        return self.history(event_id)[-1]

    def list(self) -> list[EventVersion]:
        return [h[-1] for h in self._by_id.values()]

    def history(self, event_id: str) -> builtins.list[EventVersion]:
        if event_id not in self._by_id:
            raise NotFoundError(f"no event {event_id!r} in the register")
        return list(self._by_id[event_id])

    def __len__(self) -> int:
        return len(self._by_id)


class JsonlRepository(MemoryRepository):
    """A register directory holding ``events.jsonl``: one version per line, appended, never rewritten.

    Each line carries the SHA-256 of the previous line (``prev_sha256``), so :meth:`verify` detects a line
    that was changed, removed or inserted after the fact.
    """

    def __init__(self, directory: Path | str = DEFAULT_REGISTER_DIR) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.path = self.directory / REGISTER_FILE
        self._last_sha = ""
        if self.path.is_file():
            self._load()

    def _load(self) -> None:
        with self.path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    raw = json.loads(line)
                except json.JSONDecodeError:
                    raise InputError(f"line {n}: not JSON", source=str(self.path)) from None
                v = validate(EventVersion, raw, source=f"{self.path} line {n}")
                super().append(v)
                self._last_sha = _sha(line.rstrip("\n"))

    def append(self, version: EventVersion) -> None:
        self.append_many([version])

    def append_many(self, versions: builtins.list[EventVersion]) -> None:
        """Append several versions with one write and one fsync (imports)."""
        lines: builtins.list[str] = []
        added: builtins.list[EventVersion] = []
        try:
            for version in versions:
                self._check(version)
                version = version.model_copy(update={"prev_sha256": self._last_sha})
                text = version.model_dump_json()
                super().append(version)
                added.append(version)
                self._last_sha = _sha(text)
                lines.append(text + "\n")
        except Exception:
            for v in reversed(added):  # keep memory in step with the file: nothing was written
                self._by_id[v.event_id].pop()
                if not self._by_id[v.event_id]:
                    del self._by_id[v.event_id]
            self._last_sha = self._reload_sha()
            raise
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write("".join(lines))
            fh.flush()
            os.fsync(fh.fileno())

    def _reload_sha(self) -> str:
        last = ""
        if self.path.is_file():
            with self.path.open(encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        last = _sha(line.rstrip("\n"))
        return last

    def verify(self) -> list[str]:
        """Problems of the hash chain (empty when every line follows its predecessor)."""
        problems: list[str] = []
        prev = ""
        if not self.path.is_file():
            return problems
        with self.path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                got = json.loads(line).get("prev_sha256", "")
                if got != prev:
                    problems.append(f"line {n}: hash chain broken (line changed, removed or inserted before it)")
                prev = _sha(line.rstrip("\n"))
        return problems


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- domain functions (pure) ---------------------------------------------------------------------------


def next_event_id(repo: EventRepository, time_s: float) -> str:
    """``EV-YYYYMMDD-NNNN``: the event's UTC date and a running number over the whole register."""
    day = datetime.fromtimestamp(time_s, UTC).strftime("%Y%m%d")
    return f"EV-{day}-{len(repo.list()) + 1:04d}"


def new_report(
    data: EventData,
    *,
    event_id: str,
    author: str,
    at: float,
    reason: str,
    owner: str | None = None,
    notice: bool = False,
) -> EventVersion:
    """Version 1 of a new event: its first report, or only a notice of awareness (``notice=True``)."""
    return EventVersion(
        event_id=event_id,
        version=1,
        action="notice" if notice else "first_report",
        author=author,
        recorded_s=at,
        reason=reason,
        owner=owner or author,
        data=data,
    )


def _next(history: list[EventVersion], **kw: Any) -> EventVersion:
    if not history:
        raise NotFoundError("no such event")
    last = history[-1]
    if last.action == "closure":
        raise InputError(f"{last.event_id} is closed (version {last.version}); nothing can follow a closure")
    if kw["recorded_s"] < last.recorded_s:
        raise InputError(f"{last.event_id}: a new version cannot be older than version {last.version}")
    first = _first_report(history)
    return EventVersion(
        event_id=last.event_id,
        version=last.version + 1,
        owner=history[0].owner,
        follows=f"{last.event_id}@{first.version}" if first is not None else f"{last.event_id}@1",
        **kw,
    )


def follow_up(history: list[EventVersion], data: EventData, *, author: str, at: float, reason: str) -> EventVersion:
    """A follow-up report (new information), linked to the first report. After a notice, it is the first report."""
    action = "follow_up" if _first_report(history) is not None else "first_report"
    return _next(history, action=action, author=author, recorded_s=at, reason=reason, data=data)


def correct(history: list[EventVersion], data: EventData, *, author: str, at: float, reason: str) -> EventVersion:
    """A correction of the latest version: a new version, the old one kept."""
    return _next(
        history, action="correction", author=author, recorded_s=at, reason=reason, data=data,
        corrects=history[-1].version,
    )  # fmt: skip


def close(
    history: list[EventVersion], *, author: str, at: float, reason: str, closure: ClosureReason, admin: bool = False
) -> EventVersion:
    """Close an event (Art. 9(7)); only its owner may, or an admin (``admin=True``, the store checks the role)."""
    owner = history[0].owner
    if author != owner and not admin:
        raise InputError(f"{history[0].event_id} is owned by {owner!r}; only the owner closes it (not {author!r})")
    return _next(history, action="closure", author=author, recorded_s=at, reason=reason, data=history[-1].data,
                 closure=closure)  # fmt: skip


def _first_report(history: list[EventVersion]) -> EventVersion | None:
    return next((v for v in history if v.action == "first_report"), None)


@dataclass(frozen=True, slots=True)
class EventView:
    """The current state of an event and its reporting deadline."""

    event_id: str
    data: EventData
    version: int
    owner: str
    status: str  # "open" | "closed"
    aware_s: float
    due_s: float
    first_report_s: float | None
    overdue: bool  # no first report and past due at `now`
    late: bool  # first report filed after the deadline
    versions: int


def view(history: list[EventVersion], *, now: float) -> EventView:
    """The event as its latest version says, with the 24 h first-report deadline checked at ``now``."""
    last = history[-1]
    first = _first_report(history)
    aware = history[0].data.aware_at
    due = aware + FIRST_REPORT_DUE_S
    first_s = (first.data.reported_s or first.recorded_s) if first is not None else None
    return EventView(
        event_id=last.event_id,
        data=last.data,
        version=last.version,
        owner=history[0].owner,
        status="closed" if last.action == "closure" else "open",
        aware_s=aware,
        due_s=due,
        first_report_s=first_s,
        overdue=first_s is None and now > due,
        late=first_s is not None and first_s > due,
        versions=len(history),
    )


def changes(a: EventData, b: EventData) -> dict[str, tuple[Any, Any]]:
    """Fields that differ between two versions' data: ``{field: (old, new)}``."""
    da, db = a.model_dump(), b.model_dump()
    return {k: (da[k], db[k]) for k in da if da[k] != db[k]}


def current_events(repo: EventRepository) -> list[EventData]:
    """The current data of every event that was not closed as ``did_not_occur``."""
    out = []
    for last in repo.list():
        if last.action == "closure" and last.closure == "did_not_occur":
            continue
        out.append(last.data)
    return out
