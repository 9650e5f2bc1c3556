"""Every call the service makes into :mod:`borderwatch.store`, in one place (blocking; run off the loop for writes)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from borderwatch.store import Store, open_store
from borderwatch.store import audit as _audit
from borderwatch.store import health as _health
from borderwatch.store import models as _models
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


def key_table(store: Store) -> dict[str, list[_keys.KeyVersion]]:
    return _keys.all_key_versions(store)


def key_versions(store: Store, sensor: str) -> list[_keys.KeyVersion]:
    return _keys.all_key_versions(store, sensor).get(sensor, [])


def lookup_in(versions: list[_keys.KeyVersion], now: float) -> KeyLookup:
    """A sensor's key lookup from cached versions (see :func:`key_table`)."""
    keys = _keys.valid_keys(versions, now)
    return KeyLookup("ok", tuple(keys)) if keys else KeyLookup("revoked")


def verify(look: KeyLookup, envelope: dict[str, Any], sig: str) -> bool:
    body = {k: v for k, v in envelope.items() if k != "sig"}
    try:
        data = canonical_json(body)
    except (ValueError, TypeError):
        return False
    return bool(_signing.verify(list(look.keys), data, sig))


def last_seq(store: Store, sensor: str) -> int | None:
    return _reports.last_seq(store, sensor)


def report_row(
    sensor: str, seq: int, t_sent: float, t_ingest: float, report: dict[str, Any] | bytes
) -> _reports.ReportRow:
    """A report as stored: its JSON (``report`` already encoded, or a dict to encode)."""
    body = report.decode("utf-8") if isinstance(report, bytes) else json.dumps(report, ensure_ascii=False)
    return _reports.ReportRow(sensor, seq, t_sent, t_ingest, body)


def append_reports(
    store: Store, rows: Sequence[_reports.ReportRow], health: dict[str, tuple[float, int]] | None = None
) -> list[int]:
    """Append reports and move the sensors' health in one transaction; durable when this returns."""
    with store.session() as s:
        ids = _reports.append_reports(store, rows, session=s)
        if health:
            _health.touch_sensors(store, health, session=s)
    return ids


def sensor_health(store: Store) -> dict[str, tuple[float, int]]:
    return {h.sensor: (h.last_report_t, h.count) for h in _health.sensor_health(store)}


def list_sensors(store: Store) -> list[_keys.SensorStatus]:
    return _keys.list_sensors(store)


def reports_in_window(store: Store, t0: float, t1: float) -> list[tuple[int, _reports.ReportRow]]:
    return _reports.reports_in_window(store, t0, t1)


def last_report_id(store: Store) -> int:
    return _reports.last_report_id(store)


@dataclass(frozen=True, slots=True)
class AuditNote:
    """An operator action to audit with the changes it caused."""

    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    t: float


def persist_deltas(
    store: Store,
    deltas: Iterable[dict[str, Any]],
    *,
    acks: Sequence[tuple[str, str, float, dict[str, Any] | None]] = (),
    audit: AuditNote | None = None,
    epoch: str = "",
) -> dict[str, str]:
    """Write engine deltas (and acknowledgements, and the audit entry of the action behind them) in one transaction.

    Track states and assessments are appended; alerts, recommendations and engagements upserted by id;
    decisions written once, each audited (with ``audit`` when the API caused it, else with who decided). A
    decision id already in the store (the engine restarted and numbers afresh) is stored as ``<id>@<epoch>``.
    Returns engine decision id → stored id.
    """
    tracks: list[dict[str, Any]] = []
    assessments: list[dict[str, Any]] = []
    upserts: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    for d in deltas:
        kind = d["kind"]
        if kind == "track":
            tracks.append(d["data"])
        elif kind == "assessment":
            assessments.append(d["data"])
        elif kind in ("alert", "recommendation", "engagement"):
            upserts.append(d)
        elif kind == "decision":
            decisions.append(d["data"])
    stored: dict[str, str] = {}
    with store.session() as s:
        if tracks:
            _picture.write_track_points(store, tracks, session=s)
        if assessments:
            _picture.write_assessments(store, assessments, session=s)
        for d in upserts:
            if d["kind"] == "alert":
                _picture.upsert_alert(store, d["data"], session=s)
            elif d["kind"] == "recommendation":
                _picture.upsert_recommendation(store, d["data"], session=s)
            else:
                _picture.upsert_engagement(store, d["data"], session=s)
        for alert_id, who, t, alert in acks:
            if alert is not None:
                _picture.upsert_alert(store, {**alert, "id": alert_id}, session=s)
            _picture.ack_alert(store, alert_id, who, t, session=s)
        for dec in decisions:
            did = str(dec.get("id"))
            if s.get(_models.Decision, did) is not None:
                dec = {**dec, "id": f"{did}@{epoch}", "engine_id": did}
            stored[did] = _picture.write_decision(store, dec, session=s)
            if audit is None:  # a decision taken by a policy (simulation), not through the API
                who = str(dec.get("who") or "engine")
                action = "decision.approve" if dec.get("approved") else "decision.reject"
                _audit.append_audit(
                    store, who, action, f"recommendation:{dec.get('recommendation')}", {"decision": dec}, session=s
                )
        if audit is not None:
            details = {**audit.details}
            if decisions:
                details["decisions"] = [{**dd, "stored_id": stored.get(str(dd.get("id")))} for dd in decisions]
            _audit.append_audit(store, audit.actor, audit.action, audit.subject, details, t=audit.t, session=s)
    return stored


def history(
    store: Store, t0: float, t1: float, *, limit: int | None = None, kinds: list[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    return _picture.history(store, t0, t1, limit=limit, kinds=kinds)


def history_extent(store: Store) -> tuple[float | None, float | None, int]:
    """The first and last stored track-point time (UTC epoch s; None when there are none) and their count:
    the range the after-action timeline can scrub over."""
    from sqlalchemy import func, select

    with store.session(readonly=True) as s:
        row = s.execute(
            select(func.min(_models.TrackPoint.t), func.max(_models.TrackPoint.t), func.count(_models.TrackPoint.id))
        ).one()
    lo, hi, n = row
    return (None if lo is None else float(lo)), (None if hi is None else float(hi)), int(n or 0)
