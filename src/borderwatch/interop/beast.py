"""Beast binary format (Mode-S Beast, dump1090/readsb TCP port 30005): framing, MLAT timestamp and signal.

A frame is ``0x1a``, a type byte (``'1'`` Mode-A/C, 2 bytes; ``'2'`` Mode-S short, 7 bytes; ``'3'`` Mode-S long,
14 bytes), a 6-byte big-endian MLAT timestamp (a 12 MHz counter), one signal byte (RSSI, 255 = full scale) and
the message. Every ``0x1a`` inside a frame is doubled (escaped). :class:`BeastReader` takes the stream in chunks
of any size (a TCP read, a file), keeps an incomplete frame for the next chunk, and counts by reason what it has
to throw away (``garbage: bytes outside a frame``, ``type: unknown frame type 0x…``, ``frame: cut short by a
new frame start``) — the stream always goes on at the next frame start.

>>> r = BeastReader()
>>> fr = r.feed(bytes.fromhex("1a33 0000000001f4 80 8d40621d58c382d690c8ac2863a7".replace(" ", "")))
>>> fr[0].kind, fr[0].mlat_ticks, fr[0].msg.hex()
('mode_s_long', 500, '8d40621d58c382d690c8ac2863a7')
>>> round(fr[0].rssi_dbfs, 1)
-6.0
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

ESC = 0x1A
LENGTHS = {0x31: 2, 0x32: 7, 0x33: 14}  # message bytes after the 6-byte timestamp and the signal byte
KINDS = {0x31: "mode_ac", 0x32: "mode_s_short", 0x33: "mode_s_long"}
MLAT_HZ = 12_000_000.0
MLAT_WRAP = 1 << 48


@dataclass(frozen=True, slots=True)
class BeastFrame:
    kind: str  # mode_ac | mode_s_short | mode_s_long
    mlat_ticks: int  # 12 MHz counter at reception (0 when the receiver has none)
    signal: int  # 0..255
    msg: bytes

    @property
    def rssi_dbfs(self) -> float:
        """Signal as dBFS the way dump1090 prints it: 10·log10((signal/255)²); -inf for 0."""
        s = self.signal / 255.0
        return 10.0 * math.log10(s * s) if s > 0 else -math.inf


@dataclass(slots=True)
class BeastReader:
    """Incremental Beast deframer; ``feed(chunk)`` returns the complete frames, ``rejected`` counts the rest."""

    rejected: Counter[str] = field(default_factory=Counter)
    frames: int = 0
    max_buffer: int = 1 << 16
    _buf: bytearray = field(default_factory=bytearray)

    def feed(self, chunk: bytes) -> list[BeastFrame]:
        buf = self._buf
        buf += chunk
        out: list[BeastFrame] = []
        i, n = 0, len(buf)
        while i < n:
            if buf[i] != ESC:
                j = buf.find(ESC, i)
                j = n if j < 0 else j
                self.rejected["garbage: bytes outside a frame"] += 1
                i = j
                continue
            if i + 1 >= n:
                break  # need the type byte
            typ = buf[i + 1]
            if typ == ESC:  # an escaped 0x1a outside a frame: garbage
                self.rejected["garbage: bytes outside a frame"] += 1
                i += 2
                continue
            length = LENGTHS.get(typ)
            if length is None:
                self.rejected[f"type: unknown frame type 0x{typ:02x}"] += 1
                i += 1
                j = buf.find(ESC, i)
                i = n if j < 0 else j
                continue
            need = 7 + length  # timestamp, signal, message (unescaped)
            body = bytearray()
            k = i + 2
            cut = False
            while len(body) < need and k < n:
                b = buf[k]
                if b == ESC:
                    if k + 1 >= n:
                        break  # the escape's partner has not arrived yet
                    if buf[k + 1] != ESC:
                        cut = True  # a lone 0x1a: a new frame starts here
                        break
                    k += 1
                body.append(b)
                k += 1
            if cut:
                self.rejected["frame: cut short by a new frame start"] += 1
                i = k
                continue
            if len(body) < need:
                break  # incomplete: wait for more bytes
            out.append(
                BeastFrame(
                    kind=KINDS[typ],
                    mlat_ticks=int.from_bytes(body[:6], "big"),
                    signal=body[6],
                    msg=bytes(body[7:]),
                )
            )
            i = k
        del buf[:i]
        if len(buf) > self.max_buffer:  # cannot happen with valid frames (at most 46 bytes each)
            self.rejected["garbage: bytes outside a frame"] += 1
            buf.clear()
        self.frames += len(out)
        return out


@dataclass(slots=True)
class BeastClock:
    """Frame times from the MLAT counter: ``t0`` (UTC epoch s) is the time of the first frame's counter value.

    The counter is a free-running 12 MHz clock (wrapping at 2⁴⁸), so times are relative to the first frame;
    a capture file gives t0 (e.g. its name), a live feed the arrival time of its first frame. A receiver that
    sends no counter (all zeros) gets the arrival times instead (``fallback``).
    """

    t0: float
    _first: int | None = None

    def time(self, ticks: int, fallback: float) -> float:
        if ticks == 0:
            return fallback
        if self._first is None:
            self._first = ticks
        return self.t0 + ((ticks - self._first) % MLAT_WRAP) / MLAT_HZ


def t0_from_name(name: str) -> float | None:
    """UTC epoch of the first frame when a capture's name carries it: beastblackbox's
    ``…-utc--1522782148.136310917--.log`` (``nc … > radar-beast-bin-utc--$(date +%s.%N).log``) or any
    ``-<10-digit epoch>`` part.

    >>> t0_from_name("ulss7-beast-bin-utc--1522782148.136310917--.log"), t0_from_name("ulss7-1522782148.bin")
    (1522782148.1363108, 1522782148.0)
    """
    import re

    m = re.search(r"(?:utc--?|[-_])(\d{10}(?:\.\d+)?)(?!\d)", name)
    return float(m.group(1)) if m else None


def decode_beast_file(
    path: str,
    *,
    sensor: str = "adsb",
    t0: float | None = None,
    ref: tuple[float, float] | None = None,
    decoder: str = "builtin",
) -> dict[str, object]:
    """Reports of a Beast capture: ``{"records": [...], "rejected": {...}, "skipped": {...}, "frames": N}``.

    Times follow the MLAT counter from ``t0`` (given, else from the file name, else 0 = seconds from the first
    frame). ``decoder="pymodes"`` decodes the Mode-S frames with pyModeS instead of the built-in decoder
    (GPL-3.0, the optional extra ``borderwatch[modes]``; for cross-checking)."""
    from pathlib import Path

    from borderwatch.interop.modes import AdsbDecoder

    p = Path(path)
    start = t0 if t0 is not None else t0_from_name(p.name)
    clock = BeastClock(start or 0.0)
    reader = BeastReader()
    dec: AdsbDecoder | PyModesDecoder
    if decoder == "pymodes":
        dec = PyModesDecoder(sensor=sensor)
    elif decoder == "builtin":
        dec = AdsbDecoder(sensor=sensor, ref=ref)
    else:
        from borderwatch.errors import InputError

        raise InputError(f"expected builtin or pymodes, got {decoder!r}", field="--decoder")
    out = []
    with p.open("rb") as fh:
        while chunk := fh.read(1 << 16):
            for f in reader.feed(chunk):
                if f.kind == "mode_ac":
                    dec.skipped["mode A/C: not used"] += 1
                    continue
                rep = dec.feed(f.msg, clock.time(f.mlat_ticks, 0.0))
                if rep is not None:
                    out.append(rep)
    rejected = reader.rejected + dec.rejected
    if reader._buf:
        rejected["frame: truncated at the end of the file"] += 1
    return {"records": out, "rejected": dict(rejected), "skipped": dict(dec.skipped), "frames": reader.frames}


@dataclass(slots=True)
class PyModesDecoder:
    """The same ``feed(msg, t)`` as :class:`~borderwatch.interop.modes.AdsbDecoder`, decoded by pyModeS's
    ``PipeDecoder`` (GPL-3.0: only with the optional extra ``pip install borderwatch[modes]``)."""

    sensor: str
    rejected: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    _pipe: object = None
    _cs: dict[str, str] = field(default_factory=dict)
    _vel: dict[str, tuple[float, list[float]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            import pyModeS
        except ImportError:
            from borderwatch.errors import InputError

            raise InputError(
                "pyModeS is not installed: pip install 'borderwatch[modes]' (GPL-3.0)", field="--decoder"
            ) from None
        self._pipe = pyModeS.PipeDecoder()

    def feed(self, msg: bytes, t: float) -> dict[str, object] | None:
        out = self._pipe.decode(msg.hex(), timestamp=t)  # type: ignore[attr-defined]
        if not out.get("crc_valid", True):
            self.rejected["crc: mismatch"] += 1
            return None
        if out.get("df") not in (17, 18):
            self.skipped[f"df: {out.get('df')} not used"] += 1
            return None
        icao = str(out.get("icao", "")).lower()
        if out.get("callsign"):
            self._cs[icao] = str(out["callsign"]).strip("_ ")
        if out.get("groundspeed") is not None and out.get("track") is not None:
            a = math.radians(float(out["track"]))
            gs = float(out["groundspeed"]) * 1852.0 / 3600.0
            vr = float(out.get("vertical_rate") or 0.0) * 0.3048 / 60.0
            self._vel[icao] = (t, [gs * math.sin(a), gs * math.cos(a), vr])
        lat, lon, alt = out.get("latitude"), out.get("longitude"), out.get("altitude")
        if lat is None or lon is None or alt is None:
            return None
        rep: dict[str, object] = {"t": round(t, 3), "sensor": self.sensor, "type": "adsb", "icao": icao,
                                  "lat": round(float(lat), 6), "lon": round(float(lon), 6),
                                  "alt_m": round(float(alt) * 0.3048, 1), "alt_src": "baro"}  # fmt: skip
        if icao in self._cs:
            rep["callsign"] = self._cs[icao][:8]
        v = self._vel.get(icao)
        if v is not None and t - v[0] <= 10.0:
            rep["vel_enu_mps"] = [round(x, 2) for x in v[1]]
        return rep
