"""Live: an SBS-1 feed over TCP into a real ``borderwatch serve`` process gives tracks; a pytak receiver gets our
CoT events (types, positions) on the SA-style multicast group; a friendly CoT position sent to ``--cot-in`` shows
up at ``/api/v1/friendlies``."""

from __future__ import annotations

import asyncio
import json
import math
import os
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest
from livekit import wait_http

SRC = Path(__file__).resolve().parents[2] / "src"
PORTS = range(18420, 18499)
RX_LAT, RX_LON = 56.51, 27.33
SENSORS = [{"id": "adsb-rz", "type": "adsb", "lat": RX_LAT, "lon": RX_LON, "alt_m": 181.0, "height_agl_m": 10.0,
            "range_m": 250000.0}]  # fmt: skip
PLANES = {"4ca2d6": (56.60, 27.40, 90.0, "RYR1AB"), "502c3a": (56.45, 27.10, 45.0, "BTI7CK")}  # lat, lon, course


def _free(kind: int, used: set[int]) -> int:
    for p in PORTS:
        if p in used:
            continue
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                continue
        used.add(p)
        return p
    raise RuntimeError("no free port in 18420-18498")


def _sbs_line(icao: str, t: float, tt: int, lat: float = 0, lon: float = 0, cs: str = "") -> bytes:
    d = time.strftime("%Y/%m/%d", time.gmtime(t))
    tod = time.strftime("%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 1000):03d}"
    f = ["MSG", str(tt), "1", "1", icao.upper(), "1", d, tod, d, tod, cs, "", "", "", "", "", "", "", "", "", "", "0"]
    if tt == 3:
        f[11], f[14], f[15] = "12000", f"{lat:.5f}", f"{lon:.5f}"
    if tt == 4:
        f[12], f[13], f[16] = "420", "90", "0"
    return (",".join(f) + "\r\n").encode()


class SbsServer(threading.Thread):
    """A dump1090-like port 30003: every 0.5 s a position (and velocity, callsign) of each plane; broken lines too."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.srv = socket.create_server(("127.0.0.1", port))
        self.srv.settimeout(0.5)
        self.sent = 0

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.srv.accept()
            except TimeoutError:
                continue
            t0 = time.time()
            try:
                while not self.stop.is_set():
                    t = time.time()
                    for icao, (lat, lon, crs, cs) in PLANES.items():
                        dist = 215.0 * (t - t0)  # 420 kt
                        la = lat + dist * math.cos(math.radians(crs)) / 111_320.0
                        lo = lon + dist * math.sin(math.radians(crs)) / (111_320.0 * math.cos(math.radians(lat)))
                        conn.sendall(
                            _sbs_line(icao, t, 1, cs=cs) + _sbs_line(icao, t, 4) + _sbs_line(icao, t, 3, la, lo)
                        )
                        self.sent += 1
                    conn.sendall(b"MSG,3,garbage\r\n\xff\xfe\r\n")
                    time.sleep(0.5)
            except OSError:
                pass
            finally:
                conn.close()
        self.srv.close()


async def _pytak_events(url: str, n: int, timeout_s: float) -> list[Any]:
    warnings.filterwarnings("ignore", module="pytak")
    import pytak

    class RX(pytak.RXWorker):
        async def handle_data(self, data: bytes) -> None:  # not used: readcot() below
            pass

    cfg = {"COT_URL": url, "TAK_PROTO": "0"}
    reader, _ = await pytak.protocol_factory(cfg)
    rx = RX(asyncio.Queue(), cfg, reader)
    out: list[Any] = []
    end = time.monotonic() + timeout_s
    while len(out) < n and time.monotonic() < end:
        try:
            got = await asyncio.wait_for(rx.readcot(), timeout=max(0.1, end - time.monotonic()))
        except TimeoutError:
            break
        if got:
            out.append(got)
    return out


@pytest.mark.slow
def test_sbs_into_serve_gives_tracks_and_cot_reaches_a_pytak_receiver(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    from borderwatch.interop.cot import CotSink, track_event
    from borderwatch.store import open_store, users

    used: set[int] = set()
    http_port, sbs_port = _free(socket.SOCK_STREAM, used), _free(socket.SOCK_STREAM, used)
    cot_port, cin_port = _free(socket.SOCK_DGRAM, used), _free(socket.SOCK_DGRAM, used)
    (tmp_path / "sensors.json").write_text(json.dumps({"sensors": SENSORS}))
    st = open_store(tmp_path / "bw.db")
    token = users.issue_token(st, users.add_user(st, "vera", "long-enough-pw", "viewer"), 3600.0)
    st.close()
    sbs = SbsServer(sbs_port)
    sbs.start()
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    log = tmp_path / "serve.log"
    cmd = [sys.executable, "-c", "from borderwatch.cli import main; main()", "serve",
           "--store", str(tmp_path / "bw.db"), "--sensors", str(tmp_path / "sensors.json"), "--port", str(http_port),
           "--sbs", f"127.0.0.1:{sbs_port}",
           "--cot-out", f"udp://239.2.3.1:{cot_port}", "--cot-in", f"udp://127.0.0.1:{cin_port}"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{http_port}"
    try:
        wait_http(url, proc, log)
        events = asyncio.run(_pytak_events(f"udp+ro://239.2.3.1:{cot_port}", 40, 60.0))
        hdr = {"Authorization": f"Bearer {token}"}
        tracks = httpx.get(url + "/api/v1/tracks", headers=hdr, timeout=10).json()["items"]
        # a friendly patrol heard on --cot-in
        patrol = track_event({"t": time.time(), "track": "x", "lat": 56.55, "lon": 27.5, "alt_m": 150.0}, None)
        patrol.uid, patrol.type, patrol.callsign, patrol.stale = (
            "PATROL-7",
            "a-f-G-U-C-I",
            "Patrol 7",
            time.time() + 300,
        )

        async def send_patrol() -> None:
            s = CotSink(f"udp://127.0.0.1:{cin_port}")
            await s.send([patrol])
            await s.close()

        asyncio.run(send_patrol())
        time.sleep(0.5)
        friends = httpx.get(url + "/api/v1/friendlies", headers=hdr, timeout=10).json()
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        sbs.stop.set()
        sbs.join(5)
    assert sbs.sent > 0
    # tracks: both planes, cooperative, near where the feed put them
    coop = {t.get("icao"): t for t in tracks if t.get("icao")}
    assert set(PLANES) <= set(coop), (tracks, log.read_text()[-2000:])
    # CoT: events for our tracks, typed and placed
    docs = [ET.fromstring(e) for e in events]
    ours = [d for d in docs if d.get("uid", "").startswith("borderwatch.")]
    assert len(ours) >= 10
    by_uid: dict[str, Any] = {}
    for d in ours:
        by_uid[d.get("uid")] = d
    for icao, tr in coop.items():
        if icao not in PLANES:
            continue
        d = by_uid["borderwatch." + tr["track"]]
        assert d.get("type").startswith("a-") and d.get("type").split("-")[2] == "A", d.get("type")
        assert d.get("how") == "m-g"  # a cooperative (ADS-B) track
        pt = d.find("point")
        lat0, lon0 = PLANES[icao][:2]
        assert abs(float(pt.get("lat")) - lat0) < 0.2 and abs(float(pt.get("lon")) - lon0) < 0.3
        assert 0 < float(pt.get("ce")) < 500
    assert friends["listening"] and [f["uid"] for f in friends["items"]] == ["PATROL-7"]
    assert friends["items"][0]["lat"] == pytest.approx(56.55)
