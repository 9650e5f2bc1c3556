"""Mode-S / ADS-B (1090 MHz extended squitter) decoding: CRC-24, DF17/18 identification, airborne position
(compact position reporting, global and local) and airborne velocity — written here from the public ICAO
Annex 10 Vol. IV / DO-260B definitions as described in Sun, *The 1090 Megahertz Riddle* (2nd ed., 2021), so
the core needs no GPL library. pyModeS (GPL-3.0) is only an optional extra (``borderwatch[modes]``) and the
independent decoder of the tests.

:class:`AdsbDecoder` keeps a little state per aircraft (the last even and odd CPR frame, the last position,
callsign, velocity and GNSS–baro difference) and turns each position message into a report of the
``adsb`` contract (docs/formats.md, reports.jsonl). Everything it does not use is counted, never raised.

>>> odd = bytes.fromhex("8D40621D58C386435CC412692AD6")   # The 1090 MHz Riddle's example pair
>>> even = bytes.fromhex("8D40621D58C382D690C8AC2863A7")
>>> crc24(even), me_fields(even)["tc"], icao_of(even)
(0, 11, '40621d')
>>> d = AdsbDecoder(sensor="adsb-1")
>>> d.feed(odd, 1457996400.0) is None
True
>>> r = d.feed(even, 1457996402.0)
>>> round(r["lat"], 5), round(r["lon"], 5), round(r["alt_m"] / 0.3048)
(52.2572, 3.91937, 38000)
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

FT = 0.3048
KT = 1852.0 / 3600.0
FPM = FT / 60.0
NZ = 15
CPR_MAX = 131072.0  # 2**17
PAIR_MAX_S = 10.0  # an even and an odd frame further apart than this are not combined (aircraft moved)
LOCAL_MAX_S = 600.0  # a last position older than this is not a reference for local decoding
VEL_MAX_S = 10.0  # a velocity older than this is not attached to a position report
CHARSET = "#ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######"
_POLY = 0xFFF409


def _table() -> list[int]:
    out = []
    for i in range(256):
        c = i << 16
        for _ in range(8):
            c = ((c << 1) ^ _POLY) if c & 0x800000 else (c << 1)
        out.append(c & 0xFFFFFF)
    return out


_TABLE = _table()


def crc24(msg: bytes) -> int:
    """The Mode-S CRC remainder of a whole message (data and parity); 0 for an intact DF17/18 frame."""
    c = 0
    for b in msg[:-3]:
        c = ((c << 8) & 0xFFFFFF) ^ _TABLE[((c >> 16) ^ b) & 0xFF]
    return c ^ int.from_bytes(msg[-3:], "big")


def df_of(msg: bytes) -> int:
    """Downlink format (first 5 bits; 24 and above share DF 24)."""
    df = msg[0] >> 3
    return 24 if df >= 24 else df


def icao_of(msg: bytes) -> str:
    """The 24-bit address of a DF11/17/18 frame as 6 lower-case hex digits."""
    return msg[1:4].hex()


def nl(lat: float) -> int:
    """Number of CPR longitude zones at a latitude (NL function of DO-260B A.1.7.2)."""
    a = abs(lat)
    if a >= 87.0:
        return 2 if a == 87.0 else 1
    if lat == 0.0:
        return 59
    x = 1.0 - (1.0 - math.cos(math.pi / (2.0 * NZ))) / math.cos(math.pi / 180.0 * a) ** 2
    return math.floor(2.0 * math.pi / math.acos(x))


def cpr_global(even: tuple[int, int], odd: tuple[int, int], *, newest_odd: bool) -> tuple[float, float] | None:
    """Globally unambiguous airborne position from an even and an odd (lat_cpr, lon_cpr) pair; None when the
    two straddle a longitude-zone boundary (wait for the next pair)."""
    le, lo = even[0] / CPR_MAX, odd[0] / CPR_MAX
    j = math.floor(59.0 * le - 60.0 * lo + 0.5)
    lat_e = 360.0 / 60.0 * (j % 60 + le)
    lat_o = 360.0 / 59.0 * (j % 59 + lo)
    if lat_e >= 270.0:
        lat_e -= 360.0
    if lat_o >= 270.0:
        lat_o -= 360.0
    if not (-90.0 <= lat_e <= 90.0 and -90.0 <= lat_o <= 90.0):
        return None
    if nl(lat_e) != nl(lat_o):
        return None
    lat = lat_o if newest_odd else lat_e
    ne, no = even[1] / CPR_MAX, odd[1] / CPR_MAX
    n = nl(lat)
    ni = max(n - (1 if newest_odd else 0), 1)
    m = math.floor(ne * (n - 1) - no * n + 0.5)
    lon = 360.0 / ni * (m % ni + (no if newest_odd else ne))
    if lon >= 180.0:
        lon -= 360.0
    return lat, lon


def cpr_local(cpr: tuple[int, int], odd: bool, ref_lat: float, ref_lon: float) -> tuple[float, float]:
    """Position from one frame near a reference (valid within about 180 NM of it)."""
    i = 1 if odd else 0
    yz = cpr[0] / CPR_MAX
    dlat = 360.0 / (60 - i)
    j = math.floor(ref_lat / dlat) + math.floor((ref_lat % dlat) / dlat - yz + 0.5)
    lat = dlat * (j + yz)
    dlon = 360.0 / max(nl(lat) - i, 1)
    xz = cpr[1] / CPR_MAX
    m = math.floor(ref_lon / dlon) + math.floor((ref_lon % dlon) / dlon - xz + 0.5)
    lon = dlon * (m + xz)
    return lat, lon


def altitude_ft(ac12: int) -> float | None:
    """Barometric altitude from the 12-bit field of an airborne position (25 ft steps when the Q bit is set);
    None for 0 (no altitude) and for Gillham-coded (100 ft) altitudes, which are not decoded."""
    if ac12 == 0 or not ac12 & 0x10:
        return None
    n = ((ac12 & 0xFE0) >> 1) | (ac12 & 0x0F)
    return n * 25.0 - 1000.0


def me_fields(msg: bytes) -> dict[str, Any]:
    """The decoded ME field of a DF17/18 frame: ``tc`` and, by type code, ``callsign`` (1–4), ``odd``,
    ``lat_cpr``, ``lon_cpr``, ``alt_ft`` / ``alt_gnss_m`` (9–18 / 20–22), ``vel_enu_mps`` and
    ``gnss_minus_baro_m`` (19, subtypes 1–2)."""
    me = int.from_bytes(msg[4:11], "big")
    tc = me >> 51
    out: dict[str, Any] = {"tc": tc}
    if 1 <= tc <= 4:
        cs = "".join(CHARSET[(me >> (42 - 6 * i)) & 0x3F] for i in range(8))
        out["callsign"] = cs.replace("#", "").strip()
    elif 9 <= tc <= 18 or 20 <= tc <= 22:
        ac12 = (me >> 36) & 0xFFF
        if tc <= 18:
            out["alt_ft"] = altitude_ft(ac12)
        else:
            out["alt_gnss_m"] = float(ac12) if ac12 else None
        out["odd"] = bool((me >> 34) & 1)
        out["lat_cpr"] = (me >> 17) & 0x1FFFF
        out["lon_cpr"] = me & 0x1FFFF
    elif tc == 19:
        st = (me >> 48) & 0x7
        out["subtype"] = st
        if st in (1, 2):
            k = 1.0 if st == 1 else 4.0
            vew, vns = (me >> 32) & 0x3FF, (me >> 21) & 0x3FF
            vr = (me >> 10) & 0x1FF
            if vew and vns:
                ve = (vew - 1) * k * (-1.0 if (me >> 42) & 1 else 1.0)
                vn = (vns - 1) * k * (-1.0 if (me >> 31) & 1 else 1.0)
                up = (vr - 1) * 64.0 * (-1.0 if (me >> 19) & 1 else 1.0) if vr else 0.0
                out["vel_kt"] = (ve, vn)
                out["vrate_fpm"] = up if vr else None
                out["vel_enu_mps"] = [ve * KT, vn * KT, up * FPM]
            dalt = me & 0x7F
            if dalt:
                out["gnss_minus_baro_m"] = (dalt - 1) * 25.0 * FT * (-1.0 if (me >> 7) & 1 else 1.0)
    return out


@dataclass(slots=True)
class _Aircraft:
    even: tuple[float, tuple[int, int]] | None = None  # (t, (lat_cpr, lon_cpr))
    odd: tuple[float, tuple[int, int]] | None = None
    pos: tuple[float, float, float] | None = None  # (t, lat, lon)
    callsign: str | None = None
    vel: tuple[float, list[float]] | None = None
    dalt_m: float | None = None


@dataclass(slots=True)
class AdsbDecoder:
    """Mode-S frames → ``adsb`` reports (dicts of the report contract).

    ``feed(msg, t)`` takes one frame (7 or 14 bytes) received at ``t`` (UTC epoch s) and returns a report for
    an airborne position it could place, else None. ``rejected`` counts frames that are bad (``crc: mismatch``,
    ``frame: length …``); ``skipped`` counts good frames that give no report, by why (``df: 11 not used``,
    ``cpr: waiting for the other frame``, ``alt: Gillham-coded``…). An aircraft's first position always comes
    from an even/odd pair (global decoding), later ones from single frames relative to its last position.
    ``ref`` (lat, lon), the receiver's site, rejects global solutions farther than ``max_range_m`` from it
    (``cpr: beyond the receiver's range``). Local decoding relative to the receiver is not used: it is only
    right within 180 NM and a distant aircraft would be placed in the wrong zone without a sign of it.

    A barometric altitude is corrected to height above the ellipsoid by the aircraft's last reported
    GNSS–baro difference (TC 19) when known; otherwise the pressure altitude stands in for it (a few hundred
    metres off at worst; ``alt_src`` says which).
    """

    sensor: str
    ref: tuple[float, float] | None = None
    rejected: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    decoded: Counter[str] = field(default_factory=Counter)
    max_range_m: float = 600_000.0  # line of sight to 12 km altitude is ~450 km; margin for ducting
    max_aircraft: int = 20_000
    _ac: dict[str, _Aircraft] = field(default_factory=dict)

    def feed(self, msg: bytes, t: float) -> dict[str, Any] | None:
        if len(msg) not in (7, 14):
            self.rejected[f"frame: length {len(msg)} (7 or 14 bytes)"] += 1
            return None
        df = df_of(msg)
        if df not in (17, 18):
            self.skipped[f"df: {df} not used"] += 1
            return None
        if len(msg) != 14:
            self.rejected[f"frame: DF{df} needs 14 bytes"] += 1
            return None
        if crc24(msg) != 0:
            self.rejected["crc: mismatch"] += 1
            return None
        if df == 18 and (msg[0] & 7) not in (0, 1):
            self.skipped["df: 18 with CF not 0/1 (TIS-B/ADS-R) not used"] += 1
            return None
        icao = icao_of(msg)
        f = me_fields(msg)
        tc = f["tc"]
        ac = self._ac.get(icao)
        if ac is None:
            if len(self._ac) >= self.max_aircraft:
                self._prune(t)
            ac = self._ac[icao] = _Aircraft()
        if 1 <= tc <= 4:
            ac.callsign = f["callsign"] or None
            self.decoded["identification"] += 1
            return None
        if tc == 19:
            if "vel_enu_mps" in f:
                ac.vel = (t, f["vel_enu_mps"])
                self.decoded["velocity"] += 1
            else:
                self.skipped["velocity: airspeed or not available"] += 1
            if "gnss_minus_baro_m" in f:
                ac.dalt_m = f["gnss_minus_baro_m"]
            return None
        if not (9 <= tc <= 18 or 20 <= tc <= 22):
            self.skipped[f"tc: {tc} not used"] += 1
            return None
        cpr = (f["lat_cpr"], f["lon_cpr"])
        odd = f["odd"]
        if odd:
            ac.odd = (t, cpr)
        else:
            ac.even = (t, cpr)
        pos = self._position(ac, cpr, odd, t)
        if pos is None:
            return None
        lat, lon = pos
        if tc <= 18:
            alt_ft = f["alt_ft"]
            if alt_ft is None:
                self.skipped["alt: none or Gillham-coded"] += 1
                return None
            alt_m = alt_ft * FT + (ac.dalt_m or 0.0)
            src = "baro+gnss_diff" if ac.dalt_m is not None else "baro"
        else:
            if f["alt_gnss_m"] is None:
                self.skipped["alt: none"] += 1
                return None
            alt_m, src = f["alt_gnss_m"], "gnss"
        rep: dict[str, Any] = {
            "t": round(t, 3),
            "sensor": self.sensor,
            "type": "adsb",
            "icao": icao,
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "alt_m": round(alt_m, 1),
        }
        if ac.callsign:
            rep["callsign"] = ac.callsign[:8]
        if ac.vel is not None and t - ac.vel[0] <= VEL_MAX_S:
            rep["vel_enu_mps"] = [round(v, 2) for v in ac.vel[1]]
        rep["alt_src"] = src
        self.decoded["position"] += 1
        return rep

    def _position(self, ac: _Aircraft, cpr: tuple[int, int], odd: bool, t: float) -> tuple[float, float] | None:
        if ac.even is not None and ac.odd is not None and abs(ac.even[0] - ac.odd[0]) <= PAIR_MAX_S:
            g = cpr_global(ac.even[1], ac.odd[1], newest_odd=odd)
            if g is not None and self.ref is not None and not _within(g, self.ref, self.max_range_m):
                self.rejected["cpr: beyond the receiver's range"] += 1
                return None
            if g is not None:
                # a global solution far from the aircraft's recent position is an error (dump1090 does the same)
                if ac.pos is None or t - ac.pos[0] > LOCAL_MAX_S or _near(g, ac.pos[1:], t - ac.pos[0]):
                    ac.pos = (t, g[0], g[1])
                    return g
                self.rejected["cpr: global position jumps from the last one"] += 1
                return None
        if ac.pos is not None and t - ac.pos[0] <= LOCAL_MAX_S:
            loc = cpr_local(cpr, odd, ac.pos[1], ac.pos[2])
            if _near(loc, ac.pos[1:], t - ac.pos[0]):
                ac.pos = (t, loc[0], loc[1])
                return loc
            self.rejected["cpr: local position jumps from the last one"] += 1
            return None
        self.skipped["cpr: waiting for the other frame"] += 1
        return None

    def _prune(self, t: float) -> None:
        old = [k for k, a in self._ac.items() if a.pos is None or t - a.pos[0] > LOCAL_MAX_S]
        for k in old[: max(1, len(old))]:
            del self._ac[k]
        if len(self._ac) >= self.max_aircraft:  # all recent: drop the oldest half
            for k in list(self._ac)[: self.max_aircraft // 2]:
                del self._ac[k]


def _within(a: tuple[float, float], b: tuple[float, float], r_m: float) -> bool:
    dlat = math.radians(a[0] - b[0])
    dlon = math.radians((a[1] - b[1] + 180.0) % 360.0 - 180.0) * math.cos(math.radians(b[0]))
    return 6371000.0 * math.hypot(dlat, dlon) <= r_m


def _near(a: tuple[float, float], b: tuple[float, float], dt: float) -> bool:
    """Within what an aircraft at 1,000 kt could fly in dt (plus 5 km), by an equirectangular distance."""
    dlat = math.radians(a[0] - b[0])
    dlon = math.radians((a[1] - b[1] + 180.0) % 360.0 - 180.0) * math.cos(math.radians(b[0]))
    d = 6371000.0 * math.hypot(dlat, dlon)
    return d <= 5000.0 + 1000.0 * KT * max(dt, 0.0)
