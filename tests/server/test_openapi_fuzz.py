"""Schemathesis against /openapi.json of a real `borderwatch serve` process: every operation, ≥ 1,000 generated
cases in all, no 5xx. Runs as an admin (so every operation gets past authentication; a few cases per
operation also go without a token)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from serverkit import PASSWORD, make_template

pytestmark = pytest.mark.slow
SENSORS = [
    {"id": "ac-1", "type": "acoustic", "lat": 56.80, "lon": 27.70, "alt_m": 150.0, "height_agl_m": 3.0},
    {"id": "adsb-1", "type": "adsb", "lat": 56.51, "lon": 27.33, "alt_m": 181.0, "height_agl_m": 10.0,
     "range_m": 250000.0},
]  # fmt: skip
schemathesis.serializer.alias("application/x-ndjson", "text/plain")  # the ingest body: JSON lines as text
CASES: Counter[str] = Counter()
STATUSES: Counter[int] = Counter()
MIN_CASES = 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    d = tmp_path_factory.mktemp("schemathesis")
    tpl = make_template(d, sensors=("ac-1", "adsb-1"))
    (d / "sensors.json").write_text(json.dumps({"sensors": SENSORS}))
    port = _free_port()
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    cmd = [sys.executable, "-c", "from borderwatch.cli import main; main()", "serve",
           "--store", str(d / "bw.db"), "--sensors", str(d / "sensors.json"), "--port", str(port)]  # fmt: skip
    log = (d / "serve.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + 120
        while time.monotonic() < end:
            if proc.poll() is not None:
                raise AssertionError(f"serve exited: {(d / 'serve.log').read_text()[-2000:]}")
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise AssertionError("serve did not come up in 120 s")
        # a fresh admin token (the template's were issued at the test clock's time, the server uses the wall clock)
        from borderwatch.store import open_store, users

        st = open_store(d / "bw.db")
        u = users.get_user(st, "ada")
        assert u is not None
        token = users.issue_token(st, u, 3600.0)
        st.close()
        assert tpl.keys
        yield url, token
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def api_schema(server: tuple[str, str]) -> Any:
    return schemathesis.openapi.from_url(server[0] + "/openapi.json")


def _fresh_token(url: str) -> str:
    r = httpx.post(url + "/api/v1/login", json={"name": "vera", "password": PASSWORD}, timeout=30)
    return str(r.json()["token"])


def _exercise(op: Any, url: str, token: str, failures: list[str]) -> None:
    logout = op.label.endswith("/logout")

    @given(case=op.as_strategy())
    @settings(max_examples=8 if logout else 40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: Any) -> None:
        anonymous = CASES[case.operation.label] % 10 == 9
        tok = _fresh_token(url) if logout else token  # logging out must not end the shared token
        headers = {} if anonymous else {"Authorization": f"Bearer {tok}"}
        r = case.call(base_url=url, headers=headers, timeout=30)
        CASES[case.operation.label] += 1
        STATUSES[r.status_code] += 1
        if r.status_code >= 500:
            failures.append(f"{case.operation.label}: {r.status_code} {r.text[:300]}")

    run()


def test_no_server_error(api_schema: Any, server: tuple[str, str]) -> None:
    """Every operation, 40 generated cases each (schemathesis' pytest plugin does not run on pytest 9, so the
    cases are drawn from each operation's hypothesis strategy here)."""
    url, token = server
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        _exercise(result.ok(), url, token, failures)
    ops = {r.ok().label for r in api_schema.get_all_operations()}
    print(json.dumps({"cases": sum(CASES.values()), "operations": len(ops), "statuses": dict(STATUSES)}))
    assert not failures, failures[:5]
    assert ops <= set(CASES), sorted(ops - set(CASES))
    assert sum(CASES.values()) >= MIN_CASES
