"""Signing: round trips, and hypothesis properties of verify() on random bodies and signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderwatch.errors import InputError
from borderwatch.store.canonical import canonical_json
from borderwatch.store.signing import envelope_bytes, sign, signed_envelope, verify, verify_envelope

keys = st.binary(min_size=1, max_size=64)
bodies = st.binary(max_size=2048)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=12,
)
reports = st.lists(st.dictionaries(st.text(max_size=8), json_values, max_size=5), max_size=4)


@given(keys, bodies)
def test_round_trip(key: bytes, body: bytes) -> None:
    sig = sign(key, body)
    assert sig == hmac.new(key, body, hashlib.sha256).hexdigest()
    assert verify([key], body, sig)
    assert verify([b"other" + key, key], body, sig)


@given(keys, bodies, st.integers(min_value=0, max_value=255), st.integers(min_value=0))
def test_any_changed_byte_fails(key: bytes, body: bytes, flip: int, where: int) -> None:
    sig = sign(key, body)
    if body:
        i = where % len(body)
        changed = body[:i] + bytes([body[i] ^ (flip or 1)]) + body[i + 1 :]
        assert not verify([key], changed, sig)
    j = where % len(sig)
    other = "0" if sig[j] != "0" else "1"
    assert not verify([key], body, sig[:j] + other + sig[j + 1 :])


@given(keys, keys, bodies)
def test_wrong_key_fails(k1: bytes, k2: bytes, body: bytes) -> None:
    if hmac.new(k1, b"", hashlib.sha256).digest() != hmac.new(k2, b"", hashlib.sha256).digest():
        assert not verify([k2], body, sign(k1, body))


@given(keys, bodies, st.text(max_size=80) | st.text(alphabet="0123456789abcdefABCDEF ", min_size=60, max_size=70))
def test_random_signature_strings_never_raise(key: bytes, body: bytes, sig: str) -> None:
    assert verify([key], body, sig) == (sig.lower() == sign(key, body))


def test_signature_with_whitespace_is_refused() -> None:
    sig = sign(b"k", b"x")
    assert not verify([b"k"], b"x", sig[:2] + " " + sig[2:])
    assert verify([b"k"], b"x", sig.upper())


def test_no_keys_never_verifies() -> None:
    assert not verify([], b"x", sign(b"k", b"x"))
    assert not verify([b"k"], b"x", None)  # type: ignore[arg-type]


@given(keys, st.text(min_size=1, max_size=20), st.integers(min_value=0, max_value=2**62), reports)
def test_envelope_round_trip_through_json(key: bytes, sensor: str, seq: int, reps: list[dict[str, Any]]) -> None:
    env = signed_envelope(sensor, seq, 1.7e9 + 0.125, reps, key)
    received = json.loads(json.dumps(env))  # over the wire and back
    assert verify_envelope([key], received)
    assert envelope_bytes(sensor, seq, 1.7e9 + 0.125, reps) == canonical_json(
        {"reports": reps, "seq": seq, "sensor": sensor, "t_sent": 1.7e9 + 0.125}
    )


def test_envelope_tampering_fails() -> None:
    key = b"k" * 32
    env = signed_envelope("ac-01", 7, 1000.0, [{"kind": "bearing", "az_deg": 12.5}], key)
    assert verify_envelope([key], env)
    for field, value in (("seq", 8), ("sensor", "ac-02"), ("t_sent", 1000.5), ("reports", [])):
        assert not verify_envelope([key], {**env, field: value})
    assert not verify_envelope([key], {k: v for k, v in env.items() if k != "sig"})
    assert not verify_envelope([b"x" * 32], env)


def test_signed_bytes_are_documented_form() -> None:
    body = envelope_bytes("ac-01", 7, 1000.5, [{"z": 1, "a": "é"}])
    assert body == '{"reports":[{"a":"é","z":1}],"sensor":"ac-01","seq":7,"t_sent":1000.5}'.encode()


@pytest.mark.parametrize(
    "env,field",
    [
        ({"sensor": "a", "seq": 1, "t_sent": 1.0}, "reports"),
        ({"sensor": "", "seq": 1, "t_sent": 1.0, "reports": []}, "sensor"),
        ({"sensor": "a", "seq": -1, "t_sent": 1.0, "reports": []}, "seq"),
        ({"sensor": "a", "seq": True, "t_sent": 1.0, "reports": []}, "seq"),
        ({"sensor": "a", "seq": 2**63, "t_sent": 1.0, "reports": []}, "seq"),
        ({"sensor": "a", "seq": 1, "t_sent": float("nan"), "reports": []}, "t_sent"),
        ({"sensor": "a", "seq": 1, "t_sent": 1.0, "reports": [{"x": float("inf")}]}, "reports"),
        ({"sensor": "a", "seq": 1, "t_sent": 1.0, "reports": [1]}, "reports"),
        ({"sensor": "a", "seq": 1, "t_sent": 1.0, "reports": [], "key_version": 2}, "key_version"),
    ],
)
def test_malformed_envelopes_name_the_field(env: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError, match=field):
        verify_envelope([b"k"], {**env, "sig": "00"})


def test_signed_envelopes_match_the_published_schema() -> None:
    import jsonschema

    from borderwatch.store.signing import ENVELOPE_SCHEMA

    env = signed_envelope("ac-01", 3, 1000.0, [{"t": 999.9, "sensor": "ac-01", "type": "bearing"}], b"k" * 32)
    jsonschema.validate(env, ENVELOPE_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**env, "sig": "xyz"}, ENVELOPE_SCHEMA)


json_anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.just(1e308),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=10,
)


@given(
    st.dictionaries(st.sampled_from(["sensor", "seq", "t_sent", "reports", "sig", "x"]), json_anything, max_size=6)
    | json_anything
)
def test_fuzzed_envelopes_are_rejected_with_a_reason_never_a_crash(env: Any) -> None:
    try:
        ok = verify_envelope([b"k" * 32], env)
    except InputError as exc:
        assert str(exc)
    else:
        assert ok is False
