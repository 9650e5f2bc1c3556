"""``serve`` options for ADS-B feeds and CoT (``borderwatch.server.tak``): option checks, the Beast live path on a
real TCP feed of the real capture, and CoT out from picture deltas on the in-process bus."""

from __future__ import annotations

import asyncio
import contextlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from borderwatch.errors import InputError
from borderwatch.server.settings import Settings
from borderwatch.server.tak import _beast_batches, hook, host_port

DATA = Path(__file__).resolve().parents[1] / "data" / "adsb"
ADSB = {"type": "adsb", "lat": 59.8, "lon": 30.3, "alt_m": 10.0}


def _settings(tmp_path: Path, sensors: list[dict[str, object]]) -> Settings:
    (tmp_path / "sensors.json").write_text(json.dumps({"sensors": sensors}))
    return Settings(store=tmp_path / "bw.db", sensors=tmp_path / "sensors.json")


def test_option_errors_name_the_option(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--sbs: expected HOST:PORT"):
        host_port("localhost", "--sbs")
    s = _settings(tmp_path, [{"id": "a1", **ADSB}, {"id": "a2", **ADSB}])
    with pytest.raises(InputError, match="2 adsb sensors"):
        hook(s, {"sbs": ["127.0.0.1:30003"]})
    with pytest.raises(InputError, match="no adsb sensor 'zz'"):
        hook(s, {"sbs": ["127.0.0.1:30003"], "adsb_sensor": "zz"})
    with pytest.raises(InputError, match="--cot-out"):
        hook(s, {"cot_out": ["http://x:1"]})
    with pytest.raises(InputError, match="--cot-in"):
        hook(s, {"cot_in": "mqtt://x:1"})
    s2, bg = hook(s, {"sbs": ["127.0.0.1:30003"], "adsb_sensor": "a2", "cot_out": ["udp://239.2.3.1:6969"]})
    assert s2 is s and len(bg) == 2
    from borderwatch.store import open_store, sensor_keys

    st = open_store(tmp_path / "bw.db")
    try:
        assert sensor_keys.keys_for(st, "a2", 1e10) and not sensor_keys.keys_for(st, "a1", 1e10)  # enrolled
    finally:
        st.close()


def test_beast_feed_over_tcp_gives_reports() -> None:
    raw = (DATA / "ulss7-beast-bin-utc--1522782148.136310917--.log").read_bytes()[:60000]

    async def run() -> list[dict[str, object]]:
        async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            for i in range(0, len(raw), 1000):  # frames cut across TCP writes
                w.write(raw[i : i + 1000])
                await w.drain()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(5)
            w.close()

        srv = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        from borderwatch.interop.sbs import StreamStats, reconnecting_stream

        got: list[dict[str, object]] = []
        agen = _beast_batches("127.0.0.1", port, "adsb-x", (60.0, 33.5), StreamStats(), reconnecting_stream)
        async for batch in agen:
            got += batch
            if len(got) >= 100:
                break
        await agen.aclose()
        srv.close()
        return got

    reps = asyncio.run(asyncio.wait_for(run(), 30))
    from borderwatch.sensors.reports import parse_report

    for r in reps:
        parse_report(r)
        assert 59.3 < float(r["lat"]) < 61 and 30.4 < float(r["lon"]) < 37.2  # type: ignore[arg-type]  # dump1090's
    assert len(reps) >= 100 and len({r["icao"] for r in reps}) >= 5


def test_cot_out_from_picture_deltas(tmp_path: Path) -> None:
    from borderwatch.bus import SUBJECT_DELTA, InProcessBus
    from borderwatch.interop.cot import CotSink
    from borderwatch.server.tak import run_cot_out

    class St:
        def __init__(self) -> None:
            self.bus = InProcessBus(maxsize=100)
            self.settings = Settings(store=tmp_path / "x.db")

    track = {"t": 1767225600.0, "track": "T000009", "lat": 56.5, "lon": 27.9, "alt_m": 200.0,
             "class": {"orlan10": 0.9}, "sensors": ["r-1", "ac-2"]}  # fmt: skip

    async def run() -> list[bytes]:
        got: list[bytes] = []

        class Rx(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: object) -> None:
                got.append(data)

        loop = asyncio.get_running_loop()
        tr, _ = await loop.create_datagram_endpoint(Rx, local_addr=("127.0.0.1", 0))
        port = tr.get_extra_info("sockname")[1]
        st = St()
        task = asyncio.create_task(run_cot_out(st, [CotSink(f"udp://127.0.0.1:{port}")]))  # type: ignore[arg-type]
        await asyncio.sleep(0.1)
        for d in ({"kind": "assessment", "id": "T000009", "data": {"track": "T000009", "identity": "suspect"}},
                  {"kind": "track", "id": "T000009", "data": track}, {"kind": "recommendation", "data": {}},
                  {"kind": "alert", "id": "A1", "data": {"id": "A1", "t": 1767225600.0, "kind": "approaching_border",
                   "level": "info", "track": "T000009", "lat": 56.5, "lon": 27.9, "message": "m"}}):  # fmt: skip
            await st.bus.publish(SUBJECT_DELTA, json.dumps({"type": "delta", "seq": 1, "t": 0, **d}).encode())
        await st.bus.publish(SUBJECT_DELTA, b"not json")
        for _ in range(50):
            if len(got) >= 2:
                break
            await asyncio.sleep(0.1)
        task.cancel()
        tr.close()
        return got

    got = asyncio.run(asyncio.wait_for(run(), 20))
    types = [ET.fromstring(g).get("type") for g in got]
    assert types == ["a-s-A-M-F-Q", "b-a-o-tbl"]
