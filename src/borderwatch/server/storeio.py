"""Every call the service makes into :mod:`borderwatch.store`, in one place (blocking; run off the loop for writes)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from borderwatch.store import Store, open_store
from borderwatch.store import audit as _audit
from borderwatch.store import picture as _picture
from borderwatch.store import reports as _reports
from borderwatch.store import sensor_keys as _keys
from borderwatch.store import signing as _signing
from borderwatch.store.canonical import canonical_json

__all__ = ["KeyLookup", "Store", "open_store"]


@dataclass(frozen=True, slots=True)
class KeyLookup:
    status: Literal["ok", "unknown", "revoked"]
    keys: tuple[Any, ...] = ()


def lookup_keys(store: Store, sensor: str, now: float) -> KeyLookup:
    keys = _keys.keys_for(store, sensor, now)
    if keys:
        return KeyLookup("ok", tuple(keys))
    return KeyLookup("revoked" if _keys.is_registered(store, sensor) else "unknown")


def verify(look: KeyLookup, envelope: dict[str, Any], sig: str) -> bool:
    body = {k: v for k, v in envelope.items() if k != "sig"}
    try:
        data = canonical_json(body)
    except (ValueError, TypeError):
        return False
    return bool(_signing.verify(list(look.keys), data, sig))


def last_seq(store: Store, sensor: str) -> int | None:
    return _reports.last_seq(store, sensor)


def report_row(sensor: str, seq: int, t_sent: float, t_ingest: float, report: dict[str, Any]) -> _reports.ReportRow:
    return _reports.ReportRow(sensor, seq, t_sent, t_ingest, json.dumps(report, ensure_ascii=False))


def append_reports(store: Store, rows: Sequence[_reports.ReportRow]) -> list[int]:
    return _reports.append_reports(store, rows)


def reports_in_window(store: Store, t0: float, t1: float) -> list[tuple[int, _reports.ReportRow]]:
    return _reports.reports_in_window(store, t0, t1)


def last_report_id(store: Store) -> int:
    return _reports.last_report_id(store)


def persist_deltas(store: Store, deltas: Iterable[dict[str, Any]]) -> int:
    """Write one engine step's deltas to the picture tables in one transaction; returns how many were written."""
    tracks: list[dict[str, Any]] = []
    assessments: list[dict[str, Any]] = []
    other: list[dict[str, Any]] = []
    for d in deltas:
        kind = d["kind"]
        if kind == "track":
            tracks.append(d["data"])
        elif kind == "assessment":
            assessments.append(d["data"])
        elif kind in ("alert", "recommendation", "engagement"):
            other.append(d)
    with store.session() as s:
        if tracks:
            _picture.write_track_points(store, tracks, session=s)
        if assessments:
            _picture.write_assessments(store, assessments, session=s)
        for d in other:
            if d["kind"] == "alert":
                _picture.upsert_alert(store, d["data"], session=s)
            elif d["kind"] == "recommendation":
                _picture.upsert_recommendation(store, d["data"], session=s)
            else:
                _picture.upsert_engagement(store, d["data"], session=s)
    return len(tracks) + len(assessments) + len(other)


def record_decision(store: Store, decision: dict[str, Any], *, actor: str, reason: str | None, t: float) -> None:
    """The decision and its audit entry, in one transaction."""
    with store.session() as s:
        _picture.write_decision(store, decision, session=s)
        action = "approve" if decision.get("approved") else "reject"
        _audit.append_audit(
            store,
            actor,
            action,
            f"recommendation:{decision.get('recommendation')}",
            {"decision": decision, "reason": reason},
            t=t,
            session=s,
        )


def record_ack(store: Store, alert_id: str, who: str, t: float, *, alert: dict[str, Any] | None = None) -> None:
    """The acknowledgement and its audit entry, in one transaction (``alert`` is stored first if given)."""
    with store.session() as s:
        if alert is not None and "t" in alert:
            _picture.upsert_alert(store, {**alert, "id": alert_id}, session=s)
        _picture.ack_alert(store, alert_id, who, t, session=s)
        _audit.append_audit(store, who, "acknowledge", f"alert:{alert_id}", {}, t=t, session=s)


def history(store: Store, t0: float, t1: float) -> dict[str, list[dict[str, Any]]]:
    return _picture.history(store, t0, t1)
