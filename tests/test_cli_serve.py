"""`borderwatch serve` as a real process: signed HTTP ingest, the picture WebSocket, and a kill -9."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

SRC = Path(__file__).resolve().parents[1] / "src"
SENSORS = [
    {"id": "adsb-1", "type": "adsb", "lat": 56.51, "lon": 27.33, "alt_m": 181.0, "height_agl_m": 10.0,
     "range_m": 250000.0},
]  # fmt: skip


def test_serve_needs_sensors(tmp_path: Path) -> None:
    from borderwatch.cli import app

    r = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "bw.db")])
    assert r.exit_code == 2 and "--sensors" in r.output


def test_track_flush_option(tmp_path: Path) -> None:
    from borderwatch.cli import app
    from borderwatch.cli.serve import build_settings

    sensors = tmp_path / "sensors.json"
    sensors.write_text(json.dumps(SENSORS))
    kw: dict[str, Any] = {"store": tmp_path / "bw.db", "theatre": None, "sensors": sensors, "max_skew_s": 30.0,
                          "emit_interval_s": 1.0}  # fmt: skip
    assert build_settings(**kw).track_flush == "light"  # the default
    assert build_settings(**kw, track_flush="wait").track_flush is False
    assert build_settings(**kw, track_flush="full").track_flush is True
    r = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "bw.db"), "--sensors", str(sensors),
                                 "--track-flush", "sometimes"])  # fmt: skip
    assert r.exit_code == 2 and "--track-flush" in r.output and "sometimes" in r.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(d: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    cmd = [sys.executable, "-c", "from borderwatch.cli import main; main()", "serve",
           "--store", str(d / "bw.db"), "--sensors", str(d / "sensors.json"), "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=(d / "serve.log").open("ab"), stderr=subprocess.STDOUT)
    end = time.monotonic() + 120
    while time.monotonic() < end:
        assert proc.poll() is None, (d / "serve.log").read_text()[-2000:]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError("serve did not come up")


def _adsb(t: float, i: int) -> dict[str, Any]:
    return {"t": t, "sensor": "adsb-1", "type": "adsb", "icao": "502c3a", "lat": 56.6 + 0.001 * i, "lon": 27.4,
            "alt_m": 800.0}  # fmt: skip


@pytest.mark.slow
def test_real_process_ingest_picture_and_kill9(tmp_path: Path) -> None:
    import websockets.sync.client

    from borderwatch.store import open_store, reports, sensor_keys, users
    from borderwatch.store.signing import signed_envelope

    (tmp_path / "sensors.json").write_text(json.dumps({"sensors": SENSORS}))
    st = open_store(tmp_path / "bw.db")
    key = sensor_keys.add_sensor(st, "adsb-1")
    token = users.issue_token(st, users.add_user(st, "vera", "long-enough-pw", "viewer"), 3600.0)
    st.close()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start(tmp_path, port)
    try:
        lines = [json.dumps(signed_envelope("adsb-1", i, time.time(), [_adsb(time.time(), i)], key)) for i in (1, 2)]
        r = httpx.post(url + "/api/v1/ingest", content="\n".join(lines), timeout=30)
        assert r.status_code == 200 and r.json()["accepted"] == 2
        with websockets.sync.client.connect(f"ws://127.0.0.1:{port}/api/v1/picture?token={token}") as ws:
            snap = json.loads(ws.recv(timeout=10))
            assert snap["type"] == "snapshot" and "effectors" in snap["picture"]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        st = open_store(tmp_path / "bw.db")  # every acknowledged report is there after the kill
        try:
            stored = [json.loads(r.body) for _, r in reports.reports_since(st, 0, 10)]
            assert stored == [_adsb(0, 1) | {"t": stored[0]["t"]}, _adsb(0, 2) | {"t": stored[1]["t"]}]
        finally:
            st.close()
        proc = _start(tmp_path, port)
        again = httpx.post(url + "/api/v1/ingest", content=lines[1], timeout=30).json()["results"][0]
        assert again["reason"] == "replayed_seq"
        assert (
            'borderwatch_rejections_total{reason="replayed_seq",sensor="adsb-1"} 1.0'
            in httpx.get(url + "/metrics").text
        )
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
