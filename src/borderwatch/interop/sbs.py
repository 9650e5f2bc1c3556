"""SBS-1 BaseStation text (dump1090/readsb TCP port 30003): parser and a reconnecting TCP client.

One CSV line per message, 22 fields: ``MSG,type,session,aircraft,hex,flight,date_gen,time_gen,date_log,
time_log,callsign,altitude_ft,ground_speed_kt,track_deg,lat,lon,vertical_rate_fpm,squawk,alert,emergency,spi,
on_ground``. Transmission type 1 carries the callsign, 3 the airborne position (altitude, lat, lon), 4 the
velocity (ground speed, track, vertical rate); 2 is a surface position, 5–8 are altitude/squawk/all-call replies.
:class:`SbsParser` keeps the last callsign and velocity per aircraft and makes one ``adsb`` report (the report
contract of docs/formats.md) per type-3 line with a position. Other record kinds (``SEL``, ``ID``, ``AIR``,
``STA``, ``CLK``) and lines without a position are counted as skipped; broken lines are counted as rejected by
a reason naming the field (``fields: 17, expected 22``, ``hex: not 6 hex digits``, ``lat: outside [-90, 90]``)
and the stream goes on.

Times: by default the message's generated date and time, read as UTC (dump1090-fa and readsb write UTC;
``utc_offset_s`` corrects a receiver that writes local time); ``time_source="arrival"`` takes the time the
line arrived instead (live feeds whose clock is not trusted).

>>> p = SbsParser(sensor="adsb-1")
>>> p.parse_line("MSG,1,1,1,4CA2D6,1,2026/01/02,10:00:00.000,2026/01/02,10:00:00.000,RYR1AB,,,,,,,,,,,0")
>>> r = p.parse_line("MSG,3,1,1,4CA2D6,1,2026/01/02,10:00:01.500,2026/01/02,10:00:01.500,,35000,,,56.5,27.25,,,0,0,0,0")
>>> r["icao"], r["callsign"], r["alt_m"], r["t"]
('4ca2d6', 'RYR1AB', 10668.0, 1767348001.5)
>>> p.parse_line("MSG,3,1,1,XYZ,1,,,,,,,,,,,,,,,,")
>>> dict(p.rejected)
{'hex: not 6 hex digits': 1}
"""

from __future__ import annotations

import asyncio
import calendar
import logging
import math
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

FT = 0.3048
KT = 1852.0 / 3600.0
FPM = FT / 60.0
MAX_LINE = 512
RECORD_KINDS = ("MSG", "SEL", "ID", "AIR", "STA", "CLK")
VEL_MAX_S = 10.0
log = logging.getLogger("borderwatch.interop.sbs")


def _num(s: str, name: str, lo: float, hi: float) -> float | None:
    if s == "":
        return None
    try:
        v = float(s)
    except ValueError:
        raise ValueError(f"{name}: not a number") from None
    if not math.isfinite(v) or not lo <= v <= hi:
        raise ValueError(f"{name}: outside [{lo:g}, {hi:g}]")
    return v


def _time(date: str, tod: str) -> float:
    try:
        y, mo, d = (int(x) for x in date.split("/"))
        hh, mm, ss = tod.split(":")
        sec = float(ss)
        h, m = int(hh), int(mm)
    except ValueError:
        raise ValueError("time: not YYYY/MM/DD,HH:MM:SS.sss") from None
    if not (1970 <= y <= 2099 and 1 <= mo <= 12 and 1 <= d <= 31 and 0 <= h < 24 and 0 <= m < 60):
        raise ValueError("time: not YYYY/MM/DD,HH:MM:SS.sss")
    if not 0 <= sec < 61:
        raise ValueError("time: not YYYY/MM/DD,HH:MM:SS.sss")
    try:
        base = calendar.timegm((y, mo, d, h, m, 0, 0, 0, 0))
    except (ValueError, OverflowError):
        raise ValueError("time: not a calendar date") from None
    return base + sec


@dataclass(slots=True)
class _State:
    callsign: str | None = None
    vel: tuple[float, list[float]] | None = None


@dataclass(slots=True)
class SbsParser:
    """SBS-1 lines → ``adsb`` reports; ``rejected``/``skipped`` count the lines that give none, by reason."""

    sensor: str
    time_source: str = "message"  # message | arrival
    utc_offset_s: float = 0.0  # receiver local time minus UTC, for receivers that write local time
    rejected: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    reports: int = 0
    max_aircraft: int = 20_000
    _ac: dict[str, _State] = field(default_factory=dict)

    def parse_line(self, line: str | bytes, arrival: float | None = None) -> dict[str, Any] | None:
        """One line (with or without its line end); a report for a type-3 position, else None (counted)."""
        try:
            return self._parse(line, arrival)
        except ValueError as e:
            self.rejected[str(e)] += 1
            return None

    def _parse(self, raw: str | bytes, arrival: float | None) -> dict[str, Any] | None:
        if isinstance(raw, bytes):
            if len(raw) > MAX_LINE:
                raise ValueError(f"line: longer than {MAX_LINE} bytes")
            try:
                raw = raw.decode("ascii")
            except UnicodeDecodeError:
                raise ValueError("line: not ASCII") from None
        line = raw.strip("\r\n ")
        if not line:
            self.skipped["line: empty"] += 1
            return None
        if len(line) > MAX_LINE:
            raise ValueError(f"line: longer than {MAX_LINE} bytes")
        f = line.split(",")
        kind = f[0]
        if kind not in RECORD_KINDS:
            raise ValueError("kind: not one of MSG, SEL, ID, AIR, STA, CLK")
        if kind != "MSG":
            self.skipped[f"kind: {kind} not used"] += 1
            return None
        if len(f) != 22:
            raise ValueError(f"fields: {len(f)}, expected 22")
        if f[1] not in ("1", "2", "3", "4", "5", "6", "7", "8"):
            raise ValueError("transmission: not 1..8")
        tt = int(f[1])
        hexid = f[4].strip().lower()
        if hexid.startswith("~"):  # readsb marks non-ICAO (TIS-B) addresses with ~
            self.skipped["hex: non-ICAO address"] += 1
            return None
        if len(hexid) != 6 or any(c not in "0123456789abcdef" for c in hexid):
            raise ValueError("hex: not 6 hex digits")
        if self.time_source == "arrival" or not f[6]:
            if arrival is None and not f[6]:
                raise ValueError("time: missing")
            t = arrival if arrival is not None else time.time()
        else:
            t = _time(f[6], f[7]) - self.utc_offset_s
        alt = _num(f[11], "altitude", -2000.0, 130000.0)
        gs = _num(f[12], "ground_speed", 0.0, 4000.0)
        trk = _num(f[13], "track", -360.0, 360.0)
        lat = _num(f[14], "lat", -90.0, 90.0)
        lon = _num(f[15], "lon", -180.0, 180.0)
        vr = _num(f[16], "vertical_rate", -100000.0, 100000.0)
        st = self._ac.get(hexid)
        if st is None:
            if len(self._ac) >= self.max_aircraft:
                self._ac.clear()
            st = self._ac[hexid] = _State()
        if tt == 1:
            cs = f[10].strip()
            if len(cs) > 8 or not all(c.isalnum() for c in cs):
                raise ValueError("callsign: not 1-8 letters or digits")
            st.callsign = cs or None
            self.skipped["transmission: 1 (identification)"] += 1
            return None
        if tt == 4:
            if gs is None or trk is None:
                self.skipped["transmission: 4 without speed or track"] += 1
                return None
            a = math.radians(trk)
            up = (vr or 0.0) * FPM
            st.vel = (t, [gs * KT * math.sin(a), gs * KT * math.cos(a), up])
            self.skipped["transmission: 4 (velocity)"] += 1
            return None
        if tt != 3:
            self.skipped[f"transmission: {tt} not used"] += 1
            return None
        if lat is None or lon is None:
            self.skipped["transmission: 3 without a position"] += 1
            return None
        if alt is None:
            self.skipped["transmission: 3 without an altitude"] += 1
            return None
        rep: dict[str, Any] = {
            "t": round(t, 3),
            "sensor": self.sensor,
            "type": "adsb",
            "icao": hexid,
            "lat": lat,
            "lon": lon,
            "alt_m": round(alt * FT, 1),  # pressure altitude stands in for HAE (SBS carries no GNSS delta)
        }
        if st.callsign:
            rep["callsign"] = st.callsign
        if st.vel is not None and abs(t - st.vel[0]) <= VEL_MAX_S:
            rep["vel_enu_mps"] = [round(v, 2) for v in st.vel[1]]
        self.reports += 1
        return rep


@dataclass(slots=True)
class Backoff:
    """Exponential back-off with full jitter: ``next()`` gives the wait before the next try (s)."""

    initial_s: float = 0.5
    max_s: float = 30.0
    factor: float = 2.0
    rng: random.Random = field(default_factory=random.Random)
    _cur: float = 0.0

    def next(self) -> float:
        self._cur = self.initial_s if self._cur == 0.0 else min(self.max_s, self._cur * self.factor)
        return self.rng.uniform(0.5 * self._cur, self._cur)

    def reset(self) -> None:
        self._cur = 0.0


@dataclass(slots=True)
class StreamStats:
    connects: int = 0
    disconnects: int = 0
    bytes: int = 0
    last_error: str | None = None


async def reconnecting_stream(
    host: str,
    port: int,
    *,
    backoff: Backoff | None = None,
    stats: StreamStats | None = None,
    read_size: int = 65536,
    idle_timeout_s: float = 60.0,
    connect: Callable[[str, int], Any] | None = None,
) -> AsyncIterator[bytes]:
    """Chunks from a TCP feed, forever: on a refused, closed or silent (``idle_timeout_s``) connection it waits
    by ``backoff`` and connects again. Yields ``b""`` once after each reconnect so a parser can drop a half
    line or half frame."""
    bo = backoff or Backoff()
    st = stats or StreamStats()
    opener = connect or asyncio.open_connection
    while True:
        try:
            reader, writer = await asyncio.wait_for(opener(host, port), timeout=10.0)
        except (OSError, TimeoutError) as e:
            st.last_error = f"connect: {e}"
            wait = bo.next()
            log.warning("%s:%d: %s; retrying in %.1f s", host, port, e, wait)
            await asyncio.sleep(wait)
            continue
        st.connects += 1
        bo.reset()
        yield b""
        try:
            while True:
                chunk = await asyncio.wait_for(reader.read(read_size), timeout=idle_timeout_s)
                if not chunk:
                    break
                st.bytes += len(chunk)
                yield chunk
        except (OSError, TimeoutError) as e:
            st.last_error = f"read: {e}"
        finally:
            st.disconnects += 1
            writer.close()
        wait = bo.next()
        log.warning("%s:%d: connection lost; reconnecting in %.1f s", host, port, wait)
        await asyncio.sleep(wait)


class LineSplitter:
    """Bytes → complete lines (a line longer than ``max_line`` is dropped and counted by the caller)."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._buf = b""
        self.overlong = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        if not chunk:
            self._buf = b""  # a reconnect: the half line is lost
            return []
        data = self._buf + chunk
        parts = data.split(b"\n")
        self._buf = parts.pop()
        if len(self._buf) > self.max_line:
            self._buf = b""
            self.overlong += 1
        return parts


async def sbs_reports(
    host: str, port: int, parser: SbsParser, *, stats: StreamStats | None = None, backoff: Backoff | None = None
) -> AsyncIterator[list[dict[str, Any]]]:
    """Batches of reports from a live SBS-1 feed (one batch per TCP read), reconnecting forever."""
    split = LineSplitter()
    async for chunk in reconnecting_stream(host, port, stats=stats, backoff=backoff):
        now = time.time()
        out = []
        for line in split.feed(chunk):
            rep = parser.parse_line(line, arrival=now)
            if rep is not None:
                out.append(rep)
        if split.overlong:
            parser.rejected[f"line: longer than {MAX_LINE} bytes"] += split.overlong
            split.overlong = 0
        if out:
            yield out


def decode_sbs_file(
    path: str, *, sensor: str = "adsb", time_source: str = "message", utc_offset_s: float = 0.0
) -> dict[str, object]:
    """Reports of an SBS-1 text file (plain or .gz): ``{"records": [...], "rejected": {...}, "skipped": {...}}``."""
    import gzip
    from pathlib import Path

    p = Path(path)
    parser = SbsParser(sensor=sensor, time_source=time_source, utc_offset_s=utc_offset_s)
    opener = gzip.open if p.suffix == ".gz" else open
    out = []
    with opener(p, "rb") as fh:
        for line in fh:
            rep = parser.parse_line(line, arrival=time.time())
            if rep is not None:
                out.append(rep)
    return {"records": out, "rejected": dict(parser.rejected), "skipped": dict(parser.skipped)}
