"""Live: CAT048 over UDP into a real ``borderwatch serve`` process gives tracks; its CAT062 sink sends them."""

from __future__ import annotations

import math
import socket
import time
from pathlib import Path

import httpx
import pytest
from livekit import serve

from borderwatch.interop import asterix as A
from borderwatch.interop.asterix_encode import encode_reports_cat048

RADAR = {"id": "radar-rezekne", "type": "radar", "lat": 56.53, "lon": 27.42, "alt_m": 175.92, "model": "giraffe1x",
         "height_agl_m": 12.0, "scan_period_s": 1.0, "instrumented_range_m": 75000.0, "min_elevation_deg": -2.0,
         "sac": 25, "sic": 7}  # fmt: skip
PORT_HTTP, PORT_IN, PORT_OUT = 18311, 18312, 18313


def _plots(t0: float, n: int, seed: int) -> list[dict[str, object]]:
    """A drone flying straight at 50 m/s, 20 km east-north-east of the radar, 300 m above it; plus one clutter
    plot per scan at a random place."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out: list[dict[str, object]] = []
    for k in range(n):
        t = t0 + k
        e, nn, u = 18000.0 + 50.0 * k, 8000.0 - 10.0 * k, 300.0
        r = math.sqrt(e * e + nn * nn + u * u)
        out.append({"t": round(t, 3), "sensor": "radar-rezekne", "type": "radar",
                    "range_m": round(r + rng.normal(0, 15), 2),
                    "az_deg": round(math.degrees(math.atan2(e, nn)) % 360 + rng.normal(0, 0.3), 4),
                    "el_deg": round(math.degrees(math.asin(u / r)), 4), "sigma_range_m": 15.0, "sigma_az_deg": 0.3,
                    "sigma_el_deg": 0.5})  # fmt: skip
        out.append({"t": round(t + 0.5, 3), "sensor": "radar-rezekne", "type": "radar",
                    "range_m": round(float(rng.uniform(2000, 30000)), 2),
                    "az_deg": round(float(rng.uniform(0, 360)), 4),
                    "el_deg": 0.5, "sigma_range_m": 15.0, "sigma_az_deg": 0.3, "sigma_el_deg": 0.5})  # fmt: skip
    return out


@pytest.mark.slow
def test_cat048_over_udp_into_serve_gives_tracks_and_cat062_out(tmp_path: Path) -> None:
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", PORT_OUT))
    sink.settimeout(0.3)
    args = ("--asterix-udp", f"127.0.0.1:{PORT_IN}", "--asterix-out", f"127.0.0.1:{PORT_OUT}")
    try:
        with serve(tmp_path, [RADAR], PORT_HTTP, *args) as sv:
            time.sleep(1.0)  # the UDP source starts when the server listens
            site = A.sites_by_code([RADAR])[(25, 7)]
            tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            tx.sendto(b"\x30\xff\xffgarbage", ("127.0.0.1", PORT_IN))  # counted, not fatal
            tracks: list[dict[str, object]] = []
            cat062: list[dict[str, object]] = []
            t_start = time.time()
            plots = _plots(t_start, 240, seed=4)  # a live radar: one scan a second, sent when it is due
            k = 0
            end = time.monotonic() + 240
            while time.monotonic() < end and not (tracks and cat062):
                now = time.time()
                due = [p for p in plots[k:] if float(p["t"]) <= now]  # type: ignore[arg-type]
                k += len(due)
                if due:
                    for _, g in encode_reports_cat048(due, {"radar-rezekne": (25, 7)}, {"radar-rezekne": site}):
                        tx.sendto(g, ("127.0.0.1", PORT_IN))
                try:
                    while True:
                        data = sink.recv(65535)
                        cat062 += [r for r in A.decode_bytes(data) if r["kind"] == "track"]
                except TimeoutError:
                    pass
                if k < 12:  # a track needs a few scans
                    continue
                try:
                    tracks = httpx.get(sv.url + "/api/v1/tracks", headers=sv.auth, timeout=30).json()["items"]
                except httpx.TimeoutException:  # a loaded machine; try again
                    continue
            assert tracks, sv.tail()
            assert "radar-rezekne" in tracks[0]["sensors"]
            assert cat062 and all(56.5 < float(x["lat"]) < 56.9 and 27.4 < float(x["lon"]) < 27.9 for x in cat062)  # type: ignore[arg-type]
            metrics = httpx.get(sv.url + "/metrics", timeout=30).text
            assert 'sensor="_asterix"' in metrics
            sensors = httpx.get(sv.url + "/api/v1/sensors", headers=sv.auth, timeout=30).json()
            assert any(s["id"] == "radar-rezekne" and s["count"] > 0 for s in sensors), sensors
    finally:
        sink.close()
