"""SBS-1 BaseStation parsing on a real capture (dump1090's port-30003 output for the ULSS7 recording), checked
field by field against dump1090's verbose decode of the same messages; broken lines are counted, never fatal."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.interop.sbs import FT, KT, Backoff, SbsParser, StreamStats, sbs_reports
from borderwatch.sensors.reports import parse_report

DATA = Path(__file__).resolve().parents[1] / "data" / "adsb"
GOOD = "MSG,3,1,1,4CA2D6,1,2026/01/02,10:00:01.500,2026/01/02,10:00:01.500,,35000,,,56.5,27.25,,,0,0,0,0"


def _lines() -> list[str]:
    with gzip.open(DATA / "ulss7-sbs.txt.gz", "rt", encoding="ascii") as f:
        return f.read().splitlines()


def _ref_by_icao_utc() -> dict[tuple[str, str], list[dict[str, object]]]:
    out: dict[tuple[str, str], list[dict[str, object]]] = {}
    with gzip.open(DATA / "ulss7-dump1090.jsonl.gz", "rt") as f:
        for line in f:
            d = json.loads(line)
            if "icao" in d and "utc" in d:
                out.setdefault((str(d["icao"]), str(d["utc"])), []).append(d)
    return out


def test_real_capture_matches_dump1090_field_by_field() -> None:
    lines = _lines()
    ref = _ref_by_icao_utc()
    p = SbsParser(sensor="adsb-ulss7")
    n_pos = n_vel = n_id = 0
    for line in lines:
        f = line.split(",")
        rep = p.parse_line(line)
        if f[0] != "MSG":
            continue  # beastblackbox's closing summary lines (rejected, counted below)
        key = (f[4].lower(), f"{f[6]} {f[7]}")
        cands = ref.get(key, [])
        if f[1] == "3" and f[14]:
            assert rep is not None
            parse_report(rep)
            d = next(c for c in cands if "lat" in c and c.get("cpr") == "global")
            assert rep["lat"] == d["lat"] and rep["lon"] == d["lon"]
            assert rep["alt_m"] == pytest.approx(float(d["alt_ft"]) * FT, abs=0.06)
            n_pos += 1
        elif f[1] == "4" and f[12]:
            d = next(c for c in cands if "speed_kt" in c)
            assert (int(f[12]), int(f[13]), int(f[16])) == (d["speed_kt"], d["heading_deg"], d["vrate_fpm"])
            n_vel += 1
        elif f[1] == "1" and f[10]:
            d = next(c for c in cands if "callsign" in c)
            assert f[10].strip() == d["callsign"]
            n_id += 1
    assert n_pos == p.reports == 1456
    assert n_vel == 1492 and n_id > 100
    assert dict(p.rejected) == {"kind: not one of MSG, SEL, ID, AIR, STA, CLK": 2}


def test_velocity_and_callsign_are_attached() -> None:
    p = SbsParser(sensor="a")
    p.parse_line("MSG,1,1,1,4CA2D6,1,2026/01/02,10:00:00.000,2026/01/02,10:00:00.000,RYR1AB,,,,,,,,,,,0")
    p.parse_line("MSG,4,1,1,4CA2D6,1,2026/01/02,10:00:01.000,2026/01/02,10:00:01.000,,,400,90,,,-640,,,,,0")
    r = p.parse_line(GOOD)
    assert r is not None and r["callsign"] == "RYR1AB"
    ve, vn, up = r["vel_enu_mps"]
    assert ve == pytest.approx(400 * KT, abs=0.01) and abs(vn) < 0.01 and up == pytest.approx(-640 * FT / 60, abs=0.01)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("MSG,3,1,1,4CA2D6,1,2026/01/02", "fields: 7, expected 22"),
        (GOOD.replace("4CA2D6", "4CA2DZ"), "hex: not 6 hex digits"),
        (GOOD.replace("56.5", "96.5"), "lat: outside [-90, 90]"),
        (GOOD.replace("27.25", "east"), "lon: not a number"),
        (GOOD.replace("MSG,3", "MSG,9"), "transmission: not 1..8"),
        (GOOD.replace("2026/01/02,10:00:01.500", "2026/13/02,10:00:01.500", 1), "time: not YYYY/MM/DD,HH:MM:SS.sss"),
        (GOOD.replace("35000", "nan"), "altitude: outside [-2000, 130000]"),
        ("XYZ," + GOOD, "kind: not one of MSG, SEL, ID, AIR, STA, CLK"),
        (GOOD.encode() + b"\xff", "line: not ASCII"),
        (b"MSG," * 200, "line: longer than 512 bytes"),
    ],
)
def test_broken_lines_are_rejected_with_a_reason(line: str | bytes, reason: str) -> None:
    p = SbsParser(sensor="a")
    assert p.parse_line(line) is None
    assert dict(p.rejected) == {reason: 1}
    assert p.parse_line(GOOD) is not None  # the stream goes on


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=120), st.binary(max_size=120)), max_size=10), st.data())
def test_any_line_is_a_report_or_a_counted_reason(lines: list[str | bytes], data: st.DataObject) -> None:
    p = SbsParser(sensor="a")
    fields = GOOD.split(",")
    for x in lines:
        i = data.draw(st.integers(0, 21))
        mutated = ",".join([*fields[:i], x if isinstance(x, str) else x.hex(), *fields[i + 1 :]])
        for line in (x, mutated):
            before = sum(p.rejected.values()) + sum(p.skipped.values()) + p.reports
            rep = p.parse_line(line)
            after = sum(p.rejected.values()) + sum(p.skipped.values()) + p.reports
            assert after == before + 1
            if rep is not None:
                parse_report(rep)


def test_client_reconnects_with_backoff_and_keeps_parsing() -> None:
    """A real TCP server that drops the client after each line: the client reconnects and gets every line."""

    async def run() -> tuple[list[dict[str, object]], StreamStats]:
        sent = 0

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal sent
            sent += 1
            writer.write(b"garbage line\r\n" + GOOD.replace("4CA2D6", f"4CA2{sent:02X}").encode() + b"\r\nMSG,3,1")
            await writer.drain()
            writer.close()

        srv = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        stats = StreamStats()
        p = SbsParser(sensor="a", time_source="arrival")
        got: list[dict[str, object]] = []
        agen = sbs_reports("127.0.0.1", port, p, stats=stats, backoff=Backoff(initial_s=0.01, max_s=0.05))
        async for batch in agen:
            got += batch
            if len(got) >= 3:
                break
        await agen.aclose()
        srv.close()
        assert p.rejected["kind: not one of MSG, SEL, ID, AIR, STA, CLK"] >= 3
        return got, stats

    got, stats = asyncio.run(asyncio.wait_for(run(), 20))
    assert [g["icao"] for g in got] == ["4ca201", "4ca202", "4ca203"]
    assert stats.connects >= 3 and stats.disconnects >= 2


def test_client_waits_for_a_server_that_is_not_up_yet() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def run() -> tuple[dict[str, object], StreamStats]:
        stats = StreamStats()
        p = SbsParser(sensor="a", time_source="arrival")
        agen = sbs_reports("127.0.0.1", port, p, stats=stats, backoff=Backoff(initial_s=0.05, max_s=0.2))

        async def late_server() -> asyncio.Server:
            await asyncio.sleep(0.5)

            async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
                w.write(GOOD.encode() + b"\n")
                await w.drain()
                await asyncio.sleep(1)
                w.close()

            return await asyncio.start_server(handle, "127.0.0.1", port)

        task = asyncio.create_task(late_server())
        batch = await agen.__anext__()
        await agen.aclose()
        (await task).close()
        return batch[0], stats

    rep, stats = asyncio.run(asyncio.wait_for(run(), 20))
    assert rep["icao"] == "4ca2d6"
    assert stats.last_error is not None and stats.last_error.startswith("connect")
