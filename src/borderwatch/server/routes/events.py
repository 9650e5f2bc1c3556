"""Border sections and events: the section layer (GeoJSON, impact levels) and the event register.

``GET /api/v1/sections`` (any role) is a GeoJSON FeatureCollection of the sections' border lines with their
impact level today; ``GET /api/v1/events`` lists events; ``POST /api/v1/events``,
``POST /api/v1/events/{id}/versions`` and ``POST /api/v1/events/{id}/close`` (operator or admin) record a
first report, a follow-up or correction, and a closure: each a new version with its audit row. The same routes
answer under ``/api`` (``/api/sections``, ``/api/events``, ...): unversioned aliases, outside the OpenAPI schema
(the web picture uses ``/api/v1``).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field, ValidationError

from borderwatch.crossings.model import ClosureReason, EventData, EventVersion
from borderwatch.crossings.sections import Sections
from borderwatch.errors import InputError
from borderwatch.server.deps import Operator, Reader, State

DAY_S = 86400.0
Kind = Literal["follow_up", "correction"]
_ERR: dict[int | str, dict[str, Any]] = {
    403: {"description": "a viewer may not write; only the owner (or an admin) closes"},
    404: {"description": "no such event"},
    409: {"description": "the event changed meanwhile, or is closed"},
    422: {"description": "bad body: field and reason"},
}


class Level(BaseModel):
    level: Literal["low", "medium", "high", "critical"]
    temporary: bool
    reason: str
    reaction: str


class NewEventIn(BaseModel):
    """A first report (or, with ``notice``, only the notice of awareness) of a new event."""

    event: EventData
    reason: str = Field("report", min_length=1, max_length=2000, description="why (kept in the audit log)")
    owner: str | None = Field(None, min_length=1, max_length=128, description="default: the user")
    notice: bool = False


class VersionIn(BaseModel):
    """A follow-up (new information) or a correction: the full new ``event``, or ``changes`` to the latest."""

    kind: Kind
    reason: str = Field(min_length=1, max_length=2000)
    event: EventData | None = None
    changes: dict[str, Any] | None = Field(None, description="field -> new value, applied to the latest version")


class CloseIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
    closure: ClosureReason = "ended"


class EventOut(BaseModel):
    id: str
    version: int
    time: str  # ISO 8601 UTC
    section: str
    kind: str  # unauthorised_crossing | refusal_of_entry
    attempt: str
    persons: int
    outcome: str
    status: Literal["open", "closed"]
    action: str  # of the latest version
    owner: str
    author: str
    recorded: str
    lat: float | None
    lon: float | None
    impact: str
    first_report_due: str
    first_report: str | None
    overdue: bool
    late: bool
    versions: int
    data: dict[str, Any]


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _out(history: list[EventVersion], now: float) -> EventOut:
    from borderwatch.crossings.register import view

    vw = view(history, now=now)
    last, d = history[-1], vw.data
    return EventOut(
        id=vw.event_id, version=vw.version, time=_iso(d.time_s), section=d.section, kind=d.category,
        attempt=d.attempt, persons=d.persons, outcome=d.outcome, status="closed" if vw.status == "closed" else "open",
        action=last.action, owner=vw.owner, author=last.author, recorded=_iso(last.recorded_s), lat=d.lat, lon=d.lon,
        impact=d.impact, first_report_due=_iso(vw.due_s),
        first_report=None if vw.first_report_s is None else _iso(vw.first_report_s), overdue=vw.overdue,
        late=vw.late, versions=vw.versions, data=d.model_dump(mode="json"),
    )  # fmt: skip


@functools.cache
def _sections(theatre: str | None) -> Sections:
    from borderwatch.crossings.sections import load_sections
    from borderwatch.theatre import DEFAULT_THEATRE, load_theatre

    return load_sections(load_theatre(theatre or DEFAULT_THEATRE))


def _secs(st: Any) -> Sections:
    return _sections(st.settings.theatre)


def _rounded(geom: Any) -> dict[str, Any]:
    """GeoJSON geometry with coordinates to 1e-6 degrees (about 0.1 m)."""
    from shapely import set_precision
    from shapely.geometry import mapping

    return dict(mapping(set_precision(geom, 1e-6)))


def _t(value: datetime | None) -> float | None:
    if value is None:
        return None
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).timestamp()


def _unprocessable(field: str, reason: str) -> HTTPException:
    return HTTPException(422, [{"loc": ["body", *field.split(".")], "msg": reason, "type": "value_error"}])


def _check_section(secs: Sections, d: EventData, where: str) -> None:
    if d.section not in secs.ids:
        raise _unprocessable(f"{where}.section", f"unknown section {d.section!r}; known: {', '.join(secs.ids)}")


def _history(st: Any, event_id: str) -> list[EventVersion]:
    from borderwatch.store.events import histories

    h = histories(st.store, event_ids=[event_id]).get(event_id)
    if not h:
        raise HTTPException(404, f"no event {event_id!r}")
    return h


def _store_errors(exc: Exception) -> HTTPException:
    from borderwatch.store.events import NotAllowedError, VersionConflict

    if isinstance(exc, NotAllowedError):
        return HTTPException(403, str(exc))
    if isinstance(exc, VersionConflict):
        return HTTPException(409, str(exc))
    if isinstance(exc, InputError):
        return _unprocessable(exc.field or "event", str(exc))
    raise exc


def _routes(prefix: str, *, in_schema: bool) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=["events"], include_in_schema=in_schema)

    @router.get("/sections")
    def sections(_: Reader, st: State) -> dict[str, Any]:
        """GeoJSON FeatureCollection: each section's border line with its impact level today, the reason and
        the required reaction, and its unauthorised-crossing events over the last 7 days."""
        from borderwatch.crossings.impact import load_rules, section_levels
        from borderwatch.store.events import histories

        secs = _secs(st)
        now = float(st.settings.clock())
        rules = load_rules()
        look = max([c.days for r in rules.levels for c in r.when_any] + [7])
        hs = histories(st.store, since=(now // DAY_S - look) * DAY_S, until=now + 1.0)
        current = [
            h[-1].data for h in hs.values() if not (h[-1].action == "closure" and h[-1].closure == "did_not_occur")
        ]
        current = [d for d in current if d.time_s <= now]
        levels = {
            x.section: x for x in section_levels(current, section_ids=secs.ids, days=[int(now // DAY_S)], rules=rules)
        }
        week = [d for d in current if d.time_s > now - 7 * DAY_S and d.category == "unauthorised_crossing"]
        feats = []
        for s in secs.sections:
            lv = levels[s.id]
            feats.append({
                "type": "Feature",
                "id": s.id,
                "geometry": _rounded(s.geometry),
                "properties": {
                    "id": s.id, "name": s.name, "unit": s.unit, "level": lv.level, "temporary": lv.temporary,
                    "reason": lv.reason, "reaction": lv.reaction, "events_7d": sum(d.section == s.id for d in week),
                    "length_km": round(s.length_km, 2), "source": s.source,
                },
            })  # fmt: skip
        return {"type": "FeatureCollection", "features": feats, "properties": {"time": _iso(now), "notes": secs.notes}}

    @router.get("/events", responses={422: {"description": "bad time or unknown section"}})
    def events(
        _: Reader,
        st: State,
        since: Annotated[datetime | None, Query(description="events at or after, ISO 8601 (naive = UTC)")] = None,
        until: Annotated[datetime | None, Query(description="events before, ISO 8601")] = None,
        section: Annotated[str | None, Query(max_length=128)] = None,
        limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
    ) -> list[EventOut]:
        """Events (their latest versions) by time, oldest first; at most the newest ``limit``."""
        from borderwatch.store.events import histories

        try:
            t0, t1 = _t(since), _t(until)
        except (OverflowError, OSError, ValueError):
            raise HTTPException(
                422, [{"loc": ["query", "since"], "msg": "time out of range", "type": "value_error"}]
            ) from None
        if section is not None and section not in _secs(st).ids:
            raise HTTPException(
                422, [{"loc": ["query", "section"], "msg": f"unknown section {section!r}", "type": "value_error"}]
            )
        now = float(st.settings.clock())
        hs = list(histories(st.store, since=t0, until=t1, section=section).values())
        hs.sort(key=lambda h: (h[-1].data.time_s, h[-1].event_id))
        return [_out(h, now) for h in hs[-limit:]]  # the newest `limit`, oldest first

    @router.get("/events/{event_id}", responses={404: _ERR[404]})
    def event(event_id: str, _: Reader, st: State) -> EventOut:
        return _out(_history(st, event_id), float(st.settings.clock()))

    @router.get("/events/{event_id}/versions", responses={404: _ERR[404]})
    def versions(event_id: str, _: Reader, st: State) -> list[dict[str, Any]]:
        """Every version of an event, oldest first (who, when, why, the data)."""
        return [v.model_dump(mode="json") for v in _history(st, event_id)]

    @router.post("/events", status_code=201, responses={403: _ERR[403], 422: _ERR[422]})
    def add(body: NewEventIn, u: Operator, st: State) -> EventOut:
        from borderwatch.store.events import new_events

        _check_section(_secs(st), body.event, "event")
        now = float(st.settings.clock())
        try:
            [v] = new_events(st.store, [body.event], actor=u.name, at=now, reason=body.reason, owner=body.owner,
                             notice=body.notice, t=now)  # fmt: skip
        except Exception as exc:
            raise _store_errors(exc) from None
        return _out([v], now)

    @router.post("/events/{event_id}/versions", status_code=201, responses=_ERR)
    def add_version(event_id: str, body: VersionIn, u: Operator, st: State) -> EventOut:
        from borderwatch.crossings.register import correct, follow_up
        from borderwatch.store.events import record

        if (body.event is None) == (body.changes is None):
            raise _unprocessable("event", "give the full new event or the changes, exactly one of them")
        hist = _history(st, event_id)
        if hist[-1].action == "closure":
            raise HTTPException(409, f"{event_id} is closed (version {hist[-1].version}); nothing can follow a closure")
        if body.event is not None:
            data = body.event
            where = "event"
        else:
            try:
                data = EventData.model_validate({**hist[-1].data.model_dump(), **(body.changes or {})})
            except ValidationError as e:
                err = e.errors()[0]
                raise _unprocessable(".".join(["changes", *map(str, err["loc"])]), err["msg"]) from None
            where = "changes"
        _check_section(_secs(st), data, where)
        now = max(float(st.settings.clock()), hist[-1].recorded_s)
        make = follow_up if body.kind == "follow_up" else correct
        try:
            v = make(hist, data, author=u.name, at=now, reason=body.reason)
            record(st.store, [v], actor=u.name, t=float(st.settings.clock()))
        except Exception as exc:
            raise _store_errors(exc) from None
        return _out([*hist, v], now)

    @router.post("/events/{event_id}/close", responses=_ERR)
    def close(event_id: str, body: CloseIn, u: Operator, st: State) -> EventOut:
        from borderwatch.crossings.register import close as close_event
        from borderwatch.store.events import record

        hist = _history(st, event_id)
        if hist[-1].action == "closure":
            raise HTTPException(409, f"{event_id} is already closed (version {hist[-1].version})")
        admin = u.role.can_admin
        if u.name != hist[0].owner and not admin:
            raise HTTPException(403, f"{event_id} is owned by {hist[0].owner!r}; only the owner or an admin closes it")
        now = max(float(st.settings.clock()), hist[-1].recorded_s)
        try:
            v = close_event(hist, author=u.name, at=now, reason=body.reason, closure=body.closure, admin=admin)
            record(st.store, [v], actor=u.name, t=float(st.settings.clock()))
        except Exception as exc:
            raise _store_errors(exc) from None
        return _out([*hist, v], now)

    return router


router = _routes("/api/v1", in_schema=True)
alias = _routes("/api", in_schema=False)  # unversioned aliases, outside the OpenAPI schema
