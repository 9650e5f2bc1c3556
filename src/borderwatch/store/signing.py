"""Sensor message signatures: HMAC-SHA256 with the sensor's key over canonical JSON (pure functions, no I/O).

The envelope a sensor sends is ``{"sensor", "seq", "t_sent", "reports", "sig"}``; ``sig`` is the lowercase hex
HMAC-SHA256 of :func:`envelope_bytes` — the canonical JSON (:mod:`borderwatch.store.canonical`) of the object
with exactly the four keys ``reports``, ``seq``, ``sensor``, ``t_sent``. See docs/formats.md.

>>> key = bytes(32)
>>> env = signed_envelope("ac-01", 7, 1700000000.5, [{"kind": "bearing"}], key)
>>> env["sig"] == sign(key, envelope_bytes("ac-01", 7, 1700000000.5, [{"kind": "bearing"}]))
True
>>> verify_envelope([key], env)
True
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from borderwatch.errors import InputError
from borderwatch.store.canonical import canonical_json

ENVELOPE_KEYS = ("sensor", "seq", "t_sent", "reports")
ENVELOPE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "signed sensor message",
    "description": "sig = lowercase hex HMAC-SHA256(sensor key, canonical JSON of {sensor, seq, t_sent, reports})",
    "type": "object",
    "required": ["sensor", "seq", "t_sent", "reports", "sig"],
    "additionalProperties": False,
    "properties": {
        "sensor": {"type": "string", "minLength": 1, "maxLength": 128},
        "seq": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
        "t_sent": {"type": "number", "description": "UTC epoch s when sent"},
        "reports": {"type": "array", "items": {"type": "object"}, "description": "reports.jsonl objects"},
        "sig": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
    },
}
MAX_SEQ = 2**63 - 1  # fits a 64-bit signed integer column
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def sign(key: bytes, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of ``body`` with ``key``."""
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def verify(keys: Iterable[bytes], body: bytes, sig_hex: str) -> bool:
    """True if ``sig_hex`` is the HMAC of ``body`` under any of ``keys`` (constant-time compare)."""
    if not isinstance(sig_hex, str) or not _HEX64.fullmatch(sig_hex):
        return False
    sig = bytes.fromhex(sig_hex)
    ok = False
    for key in keys:
        ok |= hmac.compare_digest(hmac.new(key, body, hashlib.sha256).digest(), sig)
    return ok


def envelope_bytes(sensor: str, seq: int, t_sent: float, reports: list[dict[str, Any]]) -> bytes:
    """The exact bytes a sensor signs; InputError for a wrong type or a non-finite number anywhere."""
    if not isinstance(sensor, str) or not sensor:
        raise InputError("must be a non-empty string", field="sensor")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_SEQ:
        raise InputError(f"must be an integer in [0, 2**63 - 1], got {str(seq)[:40]}", field="seq")
    if isinstance(t_sent, bool) or not isinstance(t_sent, int | float) or not math.isfinite(t_sent):
        raise InputError(f"must be a finite number, got {t_sent!r}", field="t_sent")
    if not isinstance(reports, list) or not all(isinstance(r, dict) for r in reports):
        raise InputError("must be a list of objects", field="reports")
    try:
        return canonical_json({"sensor": sensor, "seq": seq, "t_sent": t_sent, "reports": reports})
    except (ValueError, TypeError) as exc:  # NaN/inf, or a value JSON cannot hold
        raise InputError(f"not canonical JSON: {exc}", field="reports") from None


def signed_envelope(sensor: str, seq: int, t_sent: float, reports: list[dict[str, Any]], key: bytes) -> dict[str, Any]:
    """The message a sensor sends: the four signed fields plus ``sig``."""
    body = envelope_bytes(sensor, seq, t_sent, reports)
    return {"sensor": sensor, "seq": seq, "t_sent": t_sent, "reports": reports, "sig": sign(key, body)}


def signed_per_sensor(
    by_sensor: Mapping[str, list[dict[str, Any]]], keys: Mapping[str, bytes], seqs: dict[str, int], t_sent: float
) -> list[dict[str, Any]]:
    """A gateway's messages for a sensor-keyed batch of decoded reports (ASTERIX, SAPIENT): one signed envelope
    per sensor that has a key, with its next sequence number (``seqs`` is updated); sensors without a key are
    left out."""
    out = []
    for sensor, reps in by_sensor.items():
        key = keys.get(sensor)
        if key is None:
            continue
        seqs[sensor] = seqs.get(sensor, 0) + 1
        out.append(signed_envelope(sensor, seqs[sensor], t_sent, reps, key))
    return out


def verify_envelope(keys: Iterable[bytes], env: Mapping[str, Any]) -> bool:
    """True if the envelope's ``sig`` matches under one of ``keys``.

    InputError (naming the field) for an envelope that is not an object with the four fields of the right
    types (and no other key but ``sig``); False for a bad or missing signature.
    """
    if not isinstance(env, Mapping):
        raise InputError("the message must be a JSON object")
    missing = [k for k in ENVELOPE_KEYS if k not in env]
    if missing:
        raise InputError("missing", field=missing[0])
    extra = sorted(str(k) for k in env if k not in ENVELOPE_KEYS and k != "sig")
    if extra:
        raise InputError("unknown key (it would not be signed)", field=extra[0])
    body = envelope_bytes(env["sensor"], env["seq"], env["t_sent"], env["reports"])
    sig = env.get("sig")
    return isinstance(sig, str) and verify(keys, body, sig)
