"""JSON Schemas of the run outputs written by ``borderwatch run`` (docs/schemas/*.schema.json)."""

from __future__ import annotations

from typing import Any

_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_NUM = {"type": "number"}
_STR = {"type": "string"}

ALERT_LINE: dict[str, Any] = {
    "$schema": _DRAFT,
    "title": "alerts.jsonl line",
    "type": "object",
    "required": ["id", "t", "kind", "level", "track", "identity", "lat", "lon", "message"],
    "properties": {
        "id": _STR,
        "t": {"type": "number", "description": "UTC epoch s when raised"},
        "kind": {"enum": ["approaching_border", "predicted_crossing", "crossed", "approaching_asset", "lost_inside"]},
        "level": {"enum": ["info", "warning", "alarm"]},
        "track": _STR,
        "identity": {"enum": ["hostile", "suspect", "unknown", "neutral", "friend"]},
        "lat": _NUM,
        "lon": _NUM,
        "message": _STR,
        "asset": _STR,
        "acknowledged_by": _STR,
        "acknowledged_at": _NUM,
    },
    "additionalProperties": False,
}

_OPTION = {
    "type": "object",
    "required": ["unit", "effector", "pk", "cost_eur"],
    "properties": {
        "unit": _STR,
        "effector": {"enum": ["interceptor", "ew", "gun", "fighter"]},
        "t_intercept": _NUM,
        "time_to_intercept_s": _NUM,
        "pk": {"type": "number", "minimum": 0, "maximum": 1},
        "cost_eur": _NUM,
        "expected_cost_eur": _NUM,
        "not_chosen": _STR,
    },
    "additionalProperties": False,
}

RECOMMENDATION_LINE: dict[str, Any] = {
    "$schema": _DRAFT,
    "title": "recommendations.jsonl line",
    "type": "object",
    "required": [
        "id", "t", "track", "unit", "effector", "t_intercept", "time_to_intercept_s", "margin_s", "pk", "cost_eur",
        "damage_eur", "expected_cost_eur", "why", "alternatives",
    ],
    "properties": {
        "id": _STR,
        "t": {"type": "number", "description": "UTC epoch s when made"},
        "track": _STR,
        "unit": _STR,
        "effector": {"enum": ["interceptor", "ew", "gun", "fighter"]},
        "t_intercept": _NUM,
        "time_to_intercept_s": _NUM,
        "margin_s": {"type": "number", "description": "deadline (asset or depth line) minus intercept time, s"},
        "pk": {"type": "number", "minimum": 0, "maximum": 1},
        "cost_eur": _NUM,
        "damage_eur": {"type": "number", "description": "expected damage if not engaged"},
        "expected_cost_eur": {"type": "number", "description": "cost + (1 - pk) * damage"},
        "why": _STR,
        "alternatives": {"type": "array", "items": _OPTION},
        "second_shot": _OPTION,
        "intercept_lat": _NUM,
        "intercept_lon": _NUM,
        "first_t": {"type": "number", "description": "UTC epoch s when the queue entry was opened"},
        "version": {"type": "integer", "minimum": 1, "description": "updates in place (1 = as first issued)"},
        "status": {"enum": ["pending", "approved", "rejected", "withdrawn"]},
        "fighter_feasible": {"type": "boolean", "description": "a fighter could also have intercepted in time"},
        "window_closes": {"type": "number", "description": "UTC epoch s after which approval is refused"},
        "closed_t": _NUM,
        "closed_why": _STR,
    },
    "additionalProperties": False,
}  # fmt: skip

DECISION_LINE: dict[str, Any] = {
    "$schema": _DRAFT,
    "title": "decisions.jsonl line (append-only, hash-chained)",
    "type": "object",
    "required": ["id", "recommendation", "approved", "who", "t", "why", "prev_sha256", "sha256"],
    "properties": {
        "id": _STR,
        "recommendation": _STR,
        "approved": {"type": "boolean"},
        "who": {"type": "string", "minLength": 1},
        "t": _NUM,
        "why": _STR,
        "prev_sha256": {"type": "string", "description": "sha256 of the previous decision ('' for the first)"},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
    "additionalProperties": False,
}

ENGAGEMENT_LINE: dict[str, Any] = {
    "$schema": _DRAFT,
    "title": "engagements.jsonl line",
    "type": "object",
    "required": [
        "id", "recommendation", "decision", "track", "unit", "effector", "t_launch", "t_intercept", "pk", "cost_eur",
        "outcome", "lat", "lon",
    ],
    "properties": {
        "id": _STR,
        "recommendation": _STR,
        "decision": _STR,
        "track": _STR,
        "unit": _STR,
        "effector": {"enum": ["interceptor", "ew", "gun", "fighter"]},
        "t_launch": _NUM,
        "t_intercept": _NUM,
        "pk": _NUM,
        "cost_eur": _NUM,
        "outcome": {
            "enum": ["kill", "miss", "track_lost", "cancelled", "unresolved", None],
            "description": "kill/miss drawn at the intercept only on a live track; track_lost: the track was gone "
            "at the intercept; cancelled: lost before the effector had to launch (no cost); unresolved: the run "
            "ended first",
        },
        "t_commit": {"type": ["number", "null"], "description": "last moment to launch for the intercept"},
        "lat": _NUM,
        "lon": _NUM,
    },
    "additionalProperties": False,
}  # fmt: skip

ASSESSMENT_LINE: dict[str, Any] = {
    "$schema": _DRAFT,
    "title": "assessments.jsonl line",
    "type": "object",
    "required": ["t", "track", "identity", "class", "p_hostile_class", "inside", "launch_side", "score", "damage_eur"],
    "properties": {
        "t": _NUM,
        "track": _STR,
        "identity": {"enum": ["hostile", "suspect", "unknown", "neutral", "friend"]},
        "class": _STR,
        "p_hostile_class": _NUM,
        "inside": {"type": "boolean"},
        "launch_side": {"type": "string", "description": "ISO alpha-2 of the country where first seen"},
        "score": _NUM,
        "damage_eur": _NUM,
        "reasons": {"type": "array", "items": _STR},
        "crossing": {
            "type": "object",
            "properties": {"t": _NUM, "lat": _NUM, "lon": _NUM, "segment": _STR, "sigma_m": _NUM, "sigma_s": _NUM},
        },
        "assets": {"type": "array", "items": {"type": "object"}},
        "engagement": _STR,
    },
    "additionalProperties": False,
}
