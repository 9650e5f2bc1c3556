"""The operational picture over time: track points, assessments, alerts (and acknowledgements),
recommendations, decisions and engagements; ``history`` for after-action review.

Every writer takes plain dicts or the engine's records (anything with ``to_dict()``/``to_json()``, or a
dataclass) and stores the record's id, time and track beside its full JSON. Writers take an optional
``session`` so that, for example, a decision and its audit row commit in one transaction.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from borderwatch.errors import InputError, NotFoundError
from borderwatch.store._tx import transaction
from borderwatch.store.db import JsonText, Store
from borderwatch.store.models import Alert, AlertAck, Assessment, Decision, Engagement, Recommendation, TrackPoint

Record = Mapping[str, Any] | Any
_TIME_KEYS = ("t", "t_launch")
_ENCODER = json.JSONEncoder(allow_nan=False, ensure_ascii=False)  # built once (json.dumps with options is not)
HISTORY_KINDS = ("track_points", "assessments", "alerts", "recommendations", "decisions", "engagements")


def as_dict(rec: Record) -> dict[str, Any]:
    """A plain JSON-safe dict of an engine record: a mapping, ``to_dict()``, ``to_json()`` or a dataclass.

    Non-finite floats (NaN, ±inf) become ``None`` (JSON has no such numbers and PostgreSQL refuses them);
    anything JSON cannot hold is an InputError.
    """
    return _prepare(rec)[0]


def _prepare(rec: Record) -> tuple[dict[str, Any], JsonText]:
    """The record as a JSON-safe dict and as its JSON text (serialised once, stored as is)."""
    d: Any = None
    if isinstance(rec, Mapping):
        d = dict(rec)
    else:
        for name in ("to_dict", "to_json"):
            fn = getattr(rec, name, None)
            if callable(fn):
                d = fn()
                break
        else:
            if dataclasses.is_dataclass(rec) and not isinstance(rec, type):
                d = dataclasses.asdict(rec)
    if not isinstance(d, Mapping):
        raise InputError(f"cannot store a {type(rec).__name__}: expected a dict or a record with to_dict()/to_json()")
    try:
        try:
            text = _ENCODER.encode(d)
        except ValueError:
            d = _finite(d)
            text = _ENCODER.encode(d)
    except (TypeError, ValueError) as exc:
        raise InputError(f"record is not JSON: {exc}") from None
    return dict(d), JsonText(text)


def _finite(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def write_track_points(store: Store, rows: Iterable[Record], *, session: Session | None = None) -> int:
    """Append track states (``track``, ``t``, ``lat``, ``lon``, optional ``alt_m``); returns how many.

    All or nothing: a record with a missing or non-finite key field is an InputError naming it, and no row of
    the call is written.
    """
    params = []
    for rec in rows:
        d, text = _prepare(rec)
        alt = d.get("alt_m")  # a NaN altitude was made None by _prepare
        params.append(
            {
                "track": _str(d, "track"),
                "t": _time(d),
                "lat": _num(d, "lat"),
                "lon": _num(d, "lon"),
                "alt_m": None if alt is None else _num(d, "alt_m"),
                "data": text,
            }
        )
    _insert(store, session, TrackPoint, params)
    return len(params)


def write_assessments(store: Store, rows: Iterable[Record], *, session: Session | None = None) -> int:
    """Append threat assessments (``track``, ``t``); returns how many (all or nothing, as above)."""
    params = []
    for rec in rows:
        d, text = _prepare(rec)
        params.append({"track": _str(d, "track"), "t": _time(d), "data": text})
    _insert(store, session, Assessment, params)
    return len(params)


def _insert(store: Store, session: Session | None, model: type[Any], params: list[dict[str, Any]]) -> None:
    """One executemany INSERT (much cheaper than ORM objects for a scan's worth of rows)."""
    if params:
        with transaction(store, session) as s:
            s.connection().execute(insert(model), params)


def upsert_alert(store: Store, alert: Record, *, session: Session | None = None) -> str:
    """Insert or replace the alert with this ``id``; returns the id."""
    d = as_dict(alert)
    with transaction(store, session) as s:
        s.merge(Alert(id=_str(d, "id"), t=_time(d), track=_opt_str(d, "track"), data=d))
    return str(d["id"])


def ack_alert(store: Store, alert_id: str, who: str, t: float, *, session: Session | None = None) -> int:
    """Record that ``who`` acknowledged the alert at ``t``; NotFoundError for an unknown alert. Returns the ack id."""
    if not who.strip():
        raise InputError("an acknowledgement needs who made it", field="who")
    with transaction(store, session) as s:
        if s.get(Alert, alert_id) is None:
            raise NotFoundError(f"no alert {alert_id!r}")
        ack = AlertAck(alert_id=alert_id, who=who, t=float(t))
        s.add(ack)
        s.flush()
        return ack.id


def acks_for(store: Store, alert_id: str) -> list[dict[str, Any]]:
    """The acknowledgements of one alert, oldest first (``who``, ``t``)."""
    stmt = select(AlertAck).where(AlertAck.alert_id == alert_id).order_by(AlertAck.id)
    with store.session(readonly=True) as s:
        return [{"who": a.who, "t": a.t} for a in s.scalars(stmt)]


def upsert_recommendation(store: Store, rec: Record, *, session: Session | None = None) -> str:
    """Insert or replace the recommendation with this ``id``; returns the id."""
    d = as_dict(rec)
    with transaction(store, session) as s:
        s.merge(Recommendation(id=_str(d, "id"), t=_time(d), track=_opt_str(d, "track"), data=d))
    return str(d["id"])


def write_decision(store: Store, decision: Record, *, session: Session | None = None) -> str:
    """Insert a decision (``id``, ``t``, ``recommendation``, ``who``, ``approved``); a decision is never replaced.

    Raises InputError if a decision with the same id is already stored.
    """
    d = as_dict(decision)
    did = _str(d, "id")
    approved = d.get("approved")
    with transaction(store, session) as s:
        if s.get(Decision, did) is not None:
            raise InputError(f"decision {did!r} is already recorded; decisions are never changed", field="id")
        s.add(
            Decision(
                id=did,
                t=_time(d),
                recommendation=_opt_str(d, "recommendation"),
                who=_opt_str(d, "who"),
                approved=None if approved is None else bool(approved),
                data=d,
            )
        )
        s.flush()
    return did


def upsert_engagement(store: Store, eng: Record, *, session: Session | None = None) -> str:
    """Insert or replace the engagement with this ``id`` (time: ``t`` or ``t_launch``); returns the id."""
    d = as_dict(eng)
    with transaction(store, session) as s:
        s.merge(Engagement(id=_str(d, "id"), t=_time(d), track=_opt_str(d, "track"), data=d))
    return str(d["id"])


def history(
    store: Store, t0: float, t1: float, *, limit: int | None = None, kinds: Iterable[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Everything in ``t0 <= t < t1`` for after-action review, each list in time order.

    Keys: ``track_points``, ``assessments``, ``alerts`` (each with an ``acks`` list of ``{who, t}``),
    ``recommendations``, ``decisions``, ``engagements``; the values are the records as stored. ``limit`` caps
    each list (the earliest records are kept); ``kinds`` restricts the keys (InputError for an unknown one).
    """
    wanted = set(HISTORY_KINDS if kinds is None else kinds)
    unknown = wanted - set(HISTORY_KINDS)
    if unknown:
        raise InputError(f"unknown kind {sorted(unknown)[0]!r}; choose from {', '.join(HISTORY_KINDS)}", field="kinds")
    out: dict[str, list[dict[str, Any]]] = {}
    with store.session(readonly=True) as s:
        tables: list[tuple[str, Any, Any]] = [
            ("track_points", TrackPoint.data, TrackPoint.t),
            ("assessments", Assessment.data, Assessment.t),
            ("alerts", Alert.data, Alert.t),
            ("recommendations", Recommendation.data, Recommendation.t),
            ("decisions", Decision.data, Decision.t),
            ("engagements", Engagement.data, Engagement.t),
        ]
        for key, data, t in tables:
            if key in wanted:
                stmt = select(data).where(t >= t0, t < t1).order_by(t).limit(limit)
                out[key] = [dict(d) for d in s.scalars(stmt)]
        ids = [a["id"] for a in out.get("alerts", [])]
        acks: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            for ack in s.scalars(select(AlertAck).where(AlertAck.alert_id.in_(ids)).order_by(AlertAck.id)):
                acks[ack.alert_id].append({"who": ack.who, "t": ack.t})
        for alert in out.get("alerts", []):
            alert["acks"] = acks[alert["id"]]
    return out


def _time(d: Mapping[str, Any]) -> float:
    for k in _TIME_KEYS:
        if k in d:
            return _num(d, k)
    raise InputError("record has no time", field="t")


def _num(d: Mapping[str, Any], key: str) -> float:
    v = d.get(key)
    if type(v) is float and math.isfinite(v):  # the common case first
        return v
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise InputError(f"must be a finite number, got {v!r}", field=key)
    return float(v)


def _str(d: Mapping[str, Any], key: str) -> str:
    v = d.get(key)
    if not isinstance(v, str) or not v:
        raise InputError(f"must be a non-empty string, got {v!r}", field=key)
    return v


def _opt_str(d: Mapping[str, Any], key: str) -> str | None:
    v = d.get(key)
    return None if v is None else str(v)
