"""Hypothesis fuzz of POST /api/v1/ingest: whatever arrives, no 5xx, and every rejection carries a reason that
is counted."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serverkit import Template, make_env

from borderwatch.server.ingest import MESSAGE_REASONS, REPORT_REASONS
from borderwatch.store.signing import sign

SENSORS = ["ac-1", "ac-2", "ghost"]
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 5e-324, 0.0, -0.0]),
    st.text(max_size=30),
    st.text(min_size=5000, max_size=6000),
)
json_value = st.recursive(
    json_leaf, lambda ch: st.lists(ch, max_size=4) | st.dictionaries(st.text(max_size=8), ch, max_size=4), max_leaves=12
)
NUM_FIELDS = [
    "t",
    "az_deg",
    "el_deg",
    "sigma_az_deg",
    "range_m",
    "sigma_range_m",
    "sigma_el_deg",
    "lat",
    "lon",
    "alt_m",
    "rr_mps",
    "snr_db",
]
report = st.fixed_dictionaries(
    {"type": st.sampled_from(["bearing", "radar", "adsb", "x", 3])},
    optional={
        **{k: json_leaf for k in NUM_FIELDS},
        "sensor": st.sampled_from(SENSORS),
        "icao": st.sampled_from(["abc123", "zzzzzz", ""]),
        "class_hint": json_leaf,
        "extra": json_value,
    },
)


@st.composite
def message(draw: st.DrawFn) -> dict[str, Any] | bytes:
    kind = draw(st.sampled_from(["signed", "signed", "tampered", "random_json", "bytes", "odd_fields"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "random_json":
        return json.dumps(draw(json_value)).encode()
    sensor = draw(st.sampled_from(SENSORS))
    reps = draw(st.lists(st.one_of(report, json_value), max_size=4))
    seq = draw(st.one_of(st.just(-1), st.integers(0, 2**64)))
    dt = draw(st.one_of(st.floats(-5, 5), st.floats(-1e6, 1e6), st.sampled_from([math.inf, math.nan])))
    d: dict[str, Any] = {"sensor": sensor, "seq": seq, "t_sent": dt, "reports": reps, "sig": "0" * 64}
    if kind == "odd_fields":
        d[draw(st.sampled_from(["sensor", "seq", "t_sent", "reports", "sig", "more"]))] = draw(json_value)
    d["_sign"] = kind == "signed"
    return d


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(message(), min_size=1, max_size=6))
def test_ingest_fuzz(batch: list[Any], fuzz_client: Any) -> None:
    client, env, seqs = fuzz_client
    lines = []
    for m in batch:
        if isinstance(m, bytes):
            lines.append(m.replace(b"\n", b" "))
            continue
        m = dict(m)
        signed = m.pop("_sign")
        if signed and isinstance(m["seq"], int) and m["seq"] == -1:
            m["seq"] = next(seqs)  # a fresh sequence number
        if signed and isinstance(m["t_sent"], float) and math.isfinite(m["t_sent"]):
            m["t_sent"] = env.clock() + m["t_sent"]
            for r in m["reports"]:
                if isinstance(r, dict) and isinstance(r.get("t"), float) and math.isfinite(r["t"]):
                    r["t"] = env.clock() + r["t"] % 60
        if signed and m["sensor"] in env.keys:
            try:
                body = json.dumps(
                    {k: m[k] for k in ("sensor", "seq", "t_sent", "reports")},
                    sort_keys=True,
                    separators=(",", ":"),
                    ensure_ascii=False,
                    allow_nan=False,
                ).encode()
                m["sig"] = sign(env.keys[m["sensor"]], body)
            except ValueError:
                pass
        lines.append(json.dumps(m).encode())
    before = sum(_counts(client, env).values())
    r = client.post("/api/v1/ingest", content=b"\n".join(lines))
    assert r.status_code < 500, r.text
    if r.status_code == 413:
        return
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert len(results) == sum(1 for ln in lines if ln.strip())
    n_rejections = 0
    for res in results:
        if res["status"] == "rejected" and not res.get("rejected"):
            assert res["reason"] in MESSAGE_REASONS and res["detail"], res
            n_rejections += 1
        for rej in res.get("rejected", []):
            assert rej["reason"] in REPORT_REASONS and rej["detail"], rej
            n_rejections += 1
    assert sum(_counts(client, env).values()) - before == n_rejections


def _counts(client: Any, env: Any) -> dict[tuple[str, str], int]:
    by = client.get("/api/v1/ingest/stats", headers=env.auth("vera")).json()["rejections"]
    return {(s, r): n for s, d in by.items() for r, n in d.items()}


@pytest.fixture
def fuzz_client(tmp_path: Path, template: Template) -> Any:
    from fastapi.testclient import TestClient

    from borderwatch.server import Settings, create_app

    env = make_env(tmp_path, template)
    with TestClient(create_app(Settings(store=env.db, clock=env.clock, run_engine=False))) as c:
        yield c, env, itertools.count(1)
