"""ASTERIX out, built and serialised by libasterix: system tracks as CAT062; radar reports as CAT048 (+ CAT034
north markers) for tests, replays and the round trip.

CAT062 (edition :data:`~borderwatch.interop.asterix_spec.EDITIONS`) items written per track line
(docs/formats.md, "ASTERIX out"): I062/010 SAC/SIC, 015 service, 070 time of track, 105 WGS-84 position,
100 Cartesian position (east/north of the local tangent plane at the reference point), 185 velocity (east,
north), 220 rate of climb, 130 geometric altitude (WGS-84), 040 track number, 080 status (monosensor, confirmed,
first/last message, coasting), 200 mode of movement, 500 accuracy from the position covariance (APC, COV, APW,
AGA), and for cooperative tracks 380 ADR/ID and 245 callsign. Values are clipped into each item's range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from borderwatch.interop import asterix_spec as S
from borderwatch.interop.asterix import FT_M, NM_M, RadarSite

DAY_S = 86400.0
# mode of movement thresholds (I062/200 leaves them to the system)
TURN_RATE_DEG_S = 1.5  # assumption: above this heading rate the track turns (a standard-rate turn is 3 °/s)
ACCEL_MPS2 = 0.5  # assumption: above this along-track acceleration the speed changes
CLIMB_MPS = 1.0  # assumption: above this vertical speed the track climbs/descends


def tod(t: float) -> float:
    """Seconds since midnight UTC of epoch ``t``."""
    return t % DAY_S


def _clip(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


def _track_number(track_id: str) -> int:
    digits = "".join(c for c in track_id if c.isdigit())
    if digits:
        return int(digits[-5:]) % 65536
    import zlib

    return zlib.crc32(track_id.encode()) % 65536


@dataclass(slots=True)
class Cat062Encoder:
    """Tracks -> CAT062 data blocks. Stateful: it remembers each track's previous line for the mode of movement
    and the first/last-message flags. ``ref`` is the reference point of the Cartesian position (lat, lon)."""

    sac: int = 0
    sic: int = 1
    ref: tuple[float, float] = (56.5, 27.5)
    _prev: dict[str, dict[str, Any]] = field(default_factory=dict)
    _frame: Any = None

    def frame(self) -> Any:
        if self._frame is None:
            from borderwatch.geo.frames import LocalFrame

            self._frame = LocalFrame(self.ref[0], self.ref[1], 0.0)
        return self._frame

    def record(self, tr: dict[str, Any], *, last: bool = False) -> Any:
        """The libasterix CAT062 record of one track line."""
        spec = S.spec(62)
        tid = str(tr["track"])
        prev = self._prev.get(tid)
        lat, lon = float(tr["lat"]), float(tr["lon"])
        alt = float(tr.get("alt_m", 0.0))
        ve, vn, vu = (float(x) for x in tr.get("vel_enu_mps", (0.0, 0.0, 0.0)))
        e, n, _ = self.frame().to_enu(lat, lon, alt)
        status = tr.get("status", "confirmed")
        sensors = tr.get("sensors") or []
        coop = bool(tr.get("cooperative")) or bool(tr.get("icao"))
        items: dict[str, Any] = {
            "010": (("SAC", self.sac), ("SIC", self.sic)),
            "015": 1,
            "070": (tod(float(tr["t"])), "s"),
            "105": (("LAT", (_clip(lat, -90, 90), "°")), ("LON", (_clip(lon, -180, 180), "°"))),
            "100": (("X", (_clip(float(e), -4.19e6, 4.19e6), "m")), ("Y", (_clip(float(n), -4.19e6, 4.19e6), "m"))),
            "185": (("VX", (_clip(ve, -8192, 8191), "m/s")), ("VY", (_clip(vn, -8192, 8191), "m/s"))),
            "220": (_clip(vu / FT_M * 60.0, -204800, 204700), "ft/min"),
            "130": (_clip(alt / FT_M, -1500, 150000), "ft"),
            "040": _track_number(tid),
            "080": [
                (
                    ("MON", 1 if len(sensors) == 1 else 0),
                    ("SPI", 0),
                    ("MRH", 1),
                    ("SRC", 1 if coop else 3),
                    ("CNF", 0 if status in ("confirmed", "coasting") else 1),
                    None,
                ),
                (
                    ("SIM", 0),
                    ("TSE", 1 if last else 0),
                    ("TSB", 1 if prev is None else 0),
                    ("FPC", 0),
                    ("AFF", 0),
                    ("STP", 0),
                    ("KOS", 0),
                    None,
                ),
                (("AMA", 0), ("MD4", 0), ("ME", 0), ("MI", 0), ("MD5", 0), None),
                (
                    ("CST", 1 if status == "coasting" else 0),
                    ("PSR", 0),
                    ("SSR", 0),
                    ("MDS", 0),
                    ("ADS", 0),
                    ("SUC", 0),
                    ("AAC", 0),
                    None,
                ),
            ],
            "200": (("TRANS", 3), ("LONG", 3), ("VERT", 3), ("ADF", 0), 0),
        }
        items["200"] = self._movement(tr, prev, ve, vn, vu)
        cov = tr.get("cov_pos_enu_m2")
        if isinstance(cov, list) and len(cov) == 3:
            sx = math.sqrt(max(float(cov[0][0]), 0.0))
            sy = math.sqrt(max(float(cov[1][1]), 0.0))
            sz = math.sqrt(max(float(cov[2][2]), 0.0))
            cxy = float(cov[0][1])
            sxy = math.copysign(math.sqrt(abs(cxy)), cxy)
            r_lat = 180.0 / math.pi / 6.371e6
            acc: dict[str, Any] = {
                "APC": (("X", (_clip(sx, 0, 32767), "m")), ("Y", (_clip(sy, 0, 32767), "m"))),
                "COV": (_clip(sxy, -16384, 16383), "m"),
                "APW": (
                    ("LAT", (_clip(sy * r_lat, 0, 0.35), "°")),
                    ("LON", (_clip(sx * r_lat / max(math.cos(math.radians(lat)), 0.01), 0, 0.35), "°")),
                ),
                "AGA": (_clip(sz / FT_M, 0, 1590), "ft"),
            }
            items["500"] = acc
        if coop:
            icao = tr.get("icao")
            cs = tr.get("callsign")
            adr: dict[str, Any] = {}
            if isinstance(icao, str) and len(icao) == 6:
                adr["ADR"] = int(icao, 16)
            if isinstance(cs, str) and cs:
                adr["ID"] = cs[:8].upper()
                items["245"] = (("STI", 0), 0, ("CHR", cs[:8].upper()))
            if adr:
                items["380"] = adr
        self._prev[tid] = {"t": float(tr["t"]), "v": (ve, vn, vu)}
        if last:
            self._prev.pop(tid, None)
        return spec.cv_record.create(items)

    def _movement(self, tr: dict[str, Any], prev: dict[str, Any] | None, ve: float, vn: float, vu: float) -> Any:
        vert = 1 if vu > CLIMB_MPS else 2 if vu < -CLIMB_MPS else 0
        trans = lng = 3
        if prev is not None:
            dt = float(tr["t"]) - prev["t"]
            pe, pn, _ = prev["v"]
            sp, sn = math.hypot(pe, pn), math.hypot(ve, vn)
            if dt > 0 and sp > 1.0 and sn > 1.0:
                d = math.degrees(math.atan2(ve, vn) - math.atan2(pe, pn))
                d = (d + 180.0) % 360.0 - 180.0
                rate = d / dt
                trans = 1 if rate > TURN_RATE_DEG_S else 2 if rate < -TURN_RATE_DEG_S else 0
                acc = (sn - sp) / dt
                lng = 1 if acc > ACCEL_MPS2 else 2 if acc < -ACCEL_MPS2 else 0
        return (("TRANS", trans), ("LONG", lng), ("VERT", vert), ("ADF", 0), 0)

    def datablock(self, tracks: list[dict[str, Any]], *, dropped: frozenset[str] = frozenset()) -> bytes:
        """One CAT062 data block of these tracks (``dropped``: ids whose last message this is)."""
        spec = S.spec(62)
        recs = [self.record(t, last=str(t["track"]) in dropped) for t in tracks]
        return bytes(spec.create(recs).unparse().to_bytes())

    def datagrams(self, tracks: list[dict[str, Any]], *, max_bytes: int = 1400) -> list[bytes]:
        """Data blocks of at most ``max_bytes`` (one UDP datagram each)."""
        spec = S.spec(62)
        out: list[bytes] = []
        cur: list[Any] = []
        size = 3
        for t in tracks:
            r = self.record(t)
            n = len(r.unparse().to_bytes())
            if cur and size + n > max_bytes:
                out.append(bytes(spec.create(cur).unparse().to_bytes()))
                cur, size = [], 3
            cur.append(r)
            size += n
        if cur:
            out.append(bytes(spec.create(cur).unparse().to_bytes()))
        return out


# ------------------------------------------------------------------------------------------------- CAT048 out


def height_from_elevation(range_m: float, el_deg: float, radar_hae_m: float) -> float:
    """Target height (same datum as the radar's) from slant range and apparent elevation: the inverse of
    :func:`borderwatch.interop.asterix.elevation_deg`. Solves d² + dh² = r² with dh = d·tan(el) + d²/(2kR) for the
    ground range d by bisection (the left side grows with d over [0, r] for the elevations a radar reports)."""
    from borderwatch.sensors.radar import K_EFF, R_EARTH_M

    el = math.radians(_clip(el_deg, -89.9, 89.9))
    t, c, r2 = math.tan(el), 1.0 / (2.0 * K_EFF * R_EARTH_M), range_m * range_m
    lo, hi = 0.0, range_m
    for _ in range(60):
        d = 0.5 * (lo + hi)
        dh = d * t + c * d * d
        if d * d + dh * dh > r2:
            hi = d
        else:
            lo = d
    d = 0.5 * (lo + hi)
    return radar_hae_m + d * t + c * d * d


def cat048_record(rep: dict[str, Any], sac: int, sic: int, site: RadarSite, *, with_height: bool = True) -> Any:
    """A radar report (report contract) as a libasterix CAT048 record."""
    spec = S.spec(48)
    items: dict[str, Any] = {
        "010": (("SAC", sac), ("SIC", sic)),
        "140": (tod(float(rep["t"])), "s"),
        "020": [(("TYP", 1), ("SIM", 0), ("RDP", 0), ("SPI", 0), ("RAB", 0), None)],  # single PSR detection
        "040": (
            ("RHO", (_clip(float(rep["range_m"]) / NM_M, 0, 255.99), "NM")),
            ("THETA", (float(rep["az_deg"]) % 360.0, "°")),
        ),
    }
    if with_height and "el_deg" in rep:
        h = height_from_elevation(float(rep["range_m"]), float(rep["el_deg"]), site.alt_m) - site.geoid_m
        items["110"] = (0, ("3DH", (_clip(h / FT_M, -204800, 204775), "ft")))
    if rep.get("rr_mps") is not None:
        items["120"] = {"CAL": (("D", 0), 0, ("CAL", (_clip(float(rep["rr_mps"]), -512, 511), "m/s")))}
    if isinstance(rep.get("mode_s"), str):
        items["220"] = int(rep["mode_s"], 16)
    if isinstance(rep.get("mode3a"), str):
        items["070"] = (0, 0, 0, 0, ("MODE3A", int(rep["mode3a"], 8)))
    return spec.cv_record.create(items)


def cat048_datablock(records: list[Any]) -> bytes:
    return bytes(S.spec(48).create(records).unparse().to_bytes())


def cat034_north_marker(sac: int, sic: int, t: float, *, period_s: float | None = None) -> bytes:
    """A CAT034 north marker message (with the antenna rotation period when known)."""
    spec = S.spec(34)
    items: dict[str, Any] = {"000": 1, "010": (("SAC", sac), ("SIC", sic)), "030": (tod(t), "s")}
    if period_s is not None:
        items["041"] = (_clip(period_s, 0, 511), "s")
    return bytes(spec.create([spec.cv_record.create(items)]).unparse().to_bytes())


def encode_reports_cat048(
    reports: list[dict[str, Any]],
    codes: dict[str, tuple[int, int]],
    sites: dict[str, RadarSite],
    *,
    scan_s: float = 1.0,
) -> list[tuple[float, bytes]]:
    """Radar reports -> ``(send time, datagram)``: per radar, one CAT048 data block per scan-period bin, with a
    CAT034 north marker at each bin start. Reports of sensors without a SAC/SIC in ``codes`` are skipped."""
    bins: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in reports:
        if r.get("type") != "radar" or r.get("sensor") not in codes:
            continue
        bins.setdefault((r["sensor"], math.floor(float(r["t"]) / scan_s)), []).append(r)
    out: list[tuple[float, bytes]] = []
    for (sid, k), reps in sorted(bins.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        sac, sic = codes[sid]
        site = sites[sid]
        nm = cat034_north_marker(sac, sic, k * scan_s, period_s=scan_s)
        recs = [cat048_record(r, sac, sic, site) for r in reps]
        # keep a datagram under 1,400 bytes
        chunk: list[Any] = []
        size = 3
        first = True
        for rec in recs:
            n = len(rec.unparse().to_bytes())
            if chunk and size + n > 1400:
                out.append(((k + 1) * scan_s, (nm if first else b"") + cat048_datablock(chunk)))
                first = False
                chunk, size = [], 3
            chunk.append(rec)
            size += n
        if chunk:
            out.append(((k + 1) * scan_s, (nm if first else b"") + cat048_datablock(chunk)))
    return out
