"""EUROCONTROL ASTERIX in: CAT048 target reports, CAT034 service messages, CAT021 ADS-B, CAT062 system tracks.

Layers (each usable on its own):

* :func:`iter_blocks` splits a byte stream (one UDP datagram, or a raw recording of concatenated data blocks)
  into data blocks; :func:`decode_bytes` decodes every record of the categories borderwatch reads into plain
  dicts of ASTERIX values in SI units (:class:`Plot` fields; ``kind`` is ``plot``, ``north_marker``,
  ``sector``, ``adsb`` or ``track``).
* :func:`plot_to_report` / :func:`adsb_to_report` map those onto the report contract (docs/formats.md), with the
  radar site (position, measurement σs) found in sensors.json by SAC/SIC.

Record layouts and every LSB, bit position and sign come from libasterix's specifications
(:mod:`borderwatch.interop.asterix_spec`); CAT048, CAT034 and CAT021 are walked by a compiled fast path,
CAT062 (read only from files and tests, not a live input) by libasterix's own parser.

Bad input never raises: each rejected data block or record is counted in ``stats.rejected`` by a reason naming
the category, item and problem (``CAT048: record: truncated in item 040``, ``datablock: length 9 exceeds the 4
bytes left``, ``CAT007: category not decoded``, ``garbage: bytes skipped``) and decoding goes on with the next
data block; a broken record loses the rest of its data block (records have no length of their own).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from borderwatch.interop import asterix_spec as S
from borderwatch.sensors.radar import K_EFF, R_EARTH_M

NM_M = 1852.0
FT_M = 0.3048
DAY_S = 86400.0
DECODED = (48, 34, 21, 62)  # categories with a decoder here
KNOWN = frozenset({1, 2, 4, 8, 10, 11, 19, 20, 21, 23, 25, 30, 31, 32, 34, 48, 62, 63, 65, 150, 205, 240, 247, 252})
MAX_GARBAGE_REPORT = 1  # garbage runs are counted once per run, with their byte total in stats.garbage_bytes


class AsterixError(Exception):
    """One record or data block rejected; ``reason`` names the item and the problem."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class DecodeStats:
    """What a decoder read and rejected (reason -> count)."""

    datablocks: int = 0
    records: int = 0
    decoded: Counter[str] = field(default_factory=Counter)  # kind -> count
    rejected: Counter[str] = field(default_factory=Counter)
    garbage_bytes: int = 0

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "datablocks": self.datablocks,
            "records": self.records,
            "decoded": dict(self.decoded),
            "rejected": dict(self.rejected),
            "rejected_total": self.rejected_total,
            "garbage_bytes": self.garbage_bytes,
        }


# ---------------------------------------------------------------------------------------------------- walking

_BITS = tuple(tuple(k for k in range(7) if b & (0x80 >> k)) for b in range(256))


def _var_len(buf: bytes, p: int, end: int, name: str, kind: int, arg: Any) -> int:
    """End of a variable-length item starting at ``p``."""
    if kind == S.EXTENDED:
        last = len(arg) - 1
        for i, (n, fx) in enumerate(arg):
            p += n
            if p > end:
                raise AsterixError(f"record: truncated in item {name}")
            if not fx or not buf[p - 1] & 1:
                return p
            if i == last:
                raise AsterixError(f"record: item {name}: FX set in its last extent")
        return p
    if kind == S.REPETITIVE:
        rb, eb = arg
        if p + rb > end:
            raise AsterixError(f"record: truncated in item {name}")
        cnt = int.from_bytes(buf[p : p + rb], "big")
        return int(p + rb + cnt * eb)
    if kind == S.REPETITIVE_FX:
        while True:
            p += arg
            if p > end:
                raise AsterixError(f"record: truncated in item {name}")
            if not buf[p - 1] & 1:
                return p
    if kind == S.EXPLICIT:
        if p >= end:
            raise AsterixError(f"record: truncated in item {name}")
        n = buf[p]
        if n < 1:
            raise AsterixError(f"record: item {name}: explicit length 0")
        return p + n
    if kind == S.COMPOUND:
        return _compound(buf, p, end, name, arg)[0]
    if kind == S.SPARE:
        raise AsterixError("record: a spare FSPEC bit is set")
    raise AsterixError(f"record: item {name}: random field sequencing not supported")


def _compound(buf: bytes, p: int, end: int, name: str, arg: Any) -> tuple[int, dict[str, int]]:
    fsmax, subs = arg
    fs = p
    while True:
        if p >= end:
            raise AsterixError(f"record: truncated in item {name}")
        b = buf[p]
        p += 1
        if not b & 1:
            break
        if p - fs >= fsmax:
            raise AsterixError(f"record: item {name}: sub-FSPEC longer than {fsmax} bytes")
    fe = p
    out: dict[str, int] = {}
    n = len(subs)
    for i in range(fs, fe):
        base = (i - fs) * 7
        for k in _BITS[buf[i]]:
            j = base + k
            lay = subs[j] if j < n else None
            if lay is None:
                raise AsterixError(f"record: item {name}: undefined subfield {j + 1} present")
            sname, kind, sarg = lay
            out[sname] = p
            p = p + sarg if kind == S.FIXED else _var_len(buf, p, end, f"{name}/{sname}", kind, sarg)
            if p > end:
                raise AsterixError(f"record: truncated in item {name}/{sname}")
    return p, out


def walk_record(buf: bytes, p: int, end: int, lay: S.RecordLayout) -> tuple[dict[str, int], int]:
    """Item name -> start offset of one record at ``p``, and where the next record starts."""
    fs = p
    fsmax = lay.fspec_max
    while True:
        if p >= end:
            raise AsterixError("record: truncated in FSPEC")
        b = buf[p]
        p += 1
        if not b & 1:
            break
        if p - fs >= fsmax:
            raise AsterixError(f"record: FSPEC longer than {fsmax} bytes")
    fe = p
    items: dict[str, int] = {}
    slots = lay.slots
    n = len(slots)
    for i in range(fs, fe):
        base = (i - fs) * 7
        for k in _BITS[buf[i]]:
            j = base + k
            if j >= n:
                raise AsterixError(f"record: FSPEC bit {j + 1} beyond the UAP")
            name, kind, arg = slots[j]
            items[name] = p
            p = p + arg if kind == S.FIXED else _var_len(buf, p, end, name, kind, arg)
            if p > end:
                raise AsterixError(f"record: truncated in item {name}")
    if fe - fs == 1 and buf[fs] == 0:
        raise AsterixError("record: empty FSPEC")
    return items, p


def iter_blocks(data: bytes, stats: DecodeStats) -> Iterator[tuple[int, int, int]]:
    """``(category, first record offset, end)`` of each data block; a length field that cannot be right
    (< 3 or past the end) starts a garbage run, skipped byte by byte until a plausible block header."""
    p, n = 0, len(data)
    garbage = 0
    while p < n:
        if n - p < 3:
            garbage += n - p
            if garbage == n - p:
                stats.rejected["datablock: truncated header"] += 1
            break
        cat = data[p]
        ln = (data[p + 1] << 8) | data[p + 2]
        if ln < 3 or ln > n - p or (garbage and cat not in KNOWN):
            if not garbage:
                if ln < 3:
                    stats.rejected[f"datablock: length field {ln} < 3"] += 1
                else:
                    stats.rejected["datablock: length field exceeds the bytes left"] += 1
            garbage += 1
            p += 1
            continue
        if garbage:
            stats.rejected["garbage: bytes skipped"] += 1
            stats.garbage_bytes += garbage
            garbage = 0
        stats.datablocks += 1
        yield cat, p + 3, p + ln
        p += ln
    if garbage:
        stats.rejected["garbage: bytes skipped"] += 1
        stats.garbage_bytes += garbage


# ------------------------------------------------------------------------------------------------ categories


class _Fields:
    """The subfields read, resolved once from libasterix (see :func:`borderwatch.interop.asterix_spec.field`)."""

    def __init__(self) -> None:
        f = S.field
        self.c048 = S.record_layout(48)
        self.c034 = S.record_layout(34)
        self.c021 = S.record_layout(21)
        self.f048 = {
            "sac": f(48, "010", "SAC"),
            "sic": f(48, "010", "SIC"),
            "tod": f(48, "140"),
            "typ": f(48, "020", "TYP"),
            "sim": f(48, "020", "SIM"),
            "rho": f(48, "040", "RHO"),
            "theta": f(48, "040", "THETA"),
            "m3a": f(48, "070", "MODE3A"),
            "m3a_v": f(48, "070", "V"),
            "fl": f(48, "090", "FL"),
            "fl_v": f(48, "090", "V"),
            "h3d": f(48, "110"),
            "cal": f(48, "120", "CAL", sub="CAL"),
            "addr": f(48, "220"),
            "ident": f(48, "240"),
            "trn": f(48, "161", "TRN"),
            "gsp": f(48, "200", "GSP"),
            "hdg": f(48, "200", "HDG"),
        }
        self.f034 = {
            "typ": f(34, "000"),
            "sac": f(34, "010", "SAC"),
            "sic": f(34, "010", "SIC"),
            "tod": f(34, "030"),
            "az": f(34, "020"),
            "rot": f(34, "041"),
            "hgt": f(34, "120", "HGT"),
            "lat": f(34, "120", "LAT"),
            "lon": f(34, "120", "LON"),
        }
        self.f021 = {
            "sac": f(21, "010", "SAC"),
            "sic": f(21, "010", "SIC"),
            "addr": f(21, "080"),
            "lat": f(21, "130", "LAT"),
            "lon": f(21, "130", "LON"),
            "lat_hr": f(21, "131", "LAT"),
            "lon_hr": f(21, "131", "LON"),
            "gh": f(21, "140"),
            "fl": f(21, "145"),
            "t071": f(21, "071"),
            "t073": f(21, "073"),
            "t075": f(21, "075"),
            "gs": f(21, "160", "GS"),
            "ta": f(21, "160", "TA"),
            "gvr": f(21, "157", "GVR"),
            "ident": f(21, "170"),
            "sim": f(21, "040", "SIM"),
        }
        for key in ("rho", "theta", "gsp", "hdg"):  # read as whole unsigned bytes by the fast path
            fl = self.f048[key]
            if fl.shift or fl.bits != 8 * fl.nbytes or fl.signed:
                raise S.SpecError(f"I048/{fl.item} {key}: not byte-aligned unsigned in this edition")


_F: _Fields | None = None


def fields() -> _Fields:
    global _F
    if _F is None:
        _F = _Fields()
    return _F


@lru_cache(maxsize=65536)
def _ident(raw: int) -> str:
    from asterix.base import StringICAO

    return str(StringICAO.to_string(48, raw)).strip()


def _plot048(b: bytes, it: dict[str, int], F: dict[str, S.Field]) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "plot", "cat": 48}
    g = it.get
    fb = int.from_bytes
    s = g("010")
    if s is not None:
        out["sac"], out["sic"] = b[s], b[s + 1]
    s = g("140")
    if s is not None:
        out["tod_s"] = fb(b[s : s + 3], "big") * F["tod"].lsb
    s = g("020")
    if s is not None:
        x = b[s]
        f = F["typ"]
        out["typ"] = (x >> f.shift) & ((1 << f.bits) - 1)
        f = F["sim"]
        out["simulated"] = bool((x >> f.shift) & 1)
    s = g("040")
    if s is not None:
        f, h = F["rho"], F["theta"]
        out["range_m"] = fb(b[s + f.off : s + f.off + f.nbytes], "big") * f.lsb * NM_M
        out["az_deg"] = fb(b[s + h.off : s + h.off + h.nbytes], "big") * h.lsb
    s = g("070")
    if s is not None:
        out["mode3a"] = f"{F['m3a'].raw(b, s):04o}"
        out["mode3a_valid"] = not F["m3a_v"].raw(b, s)
    s = g("090")
    if s is not None:
        out["fl"] = F["fl"].raw(b, s) * F["fl"].lsb
    s = g("110")
    if s is not None:
        out["height_3d_m"] = F["h3d"].raw(b, s) * F["h3d"].lsb * FT_M
    s = g("120")
    if s is not None:
        _, subs = _compound(b, s, len(b), "120", fields().c048.slots[_frn(48, "120")][2])
        c = subs.get("CAL")
        if c is not None:
            out["rr_mps"] = F["cal"].raw(b, c) * F["cal"].lsb
    s = g("220")
    if s is not None:
        out["mode_s"] = _hex6(fb(b[s : s + 3], "big"))
    s = g("240")
    if s is not None:
        out["callsign"] = _ident(fb(b[s : s + 6], "big"))
    s = g("161")
    if s is not None:
        out["track_number"] = F["trn"].raw(b, s)
    s = g("200")
    if s is not None:
        f, h = F["gsp"], F["hdg"]
        out["ground_speed_mps"] = fb(b[s + f.off : s + f.off + f.nbytes], "big") * f.lsb * NM_M
        out["heading_deg"] = fb(b[s + h.off : s + h.off + h.nbytes], "big") * h.lsb
    return out


@lru_cache(maxsize=65536)
def _hex6(v: int) -> str:
    return f"{v:06x}"


_FRN: dict[tuple[int, str], int] = {}


def _frn(cat: int, name: str) -> int:
    k = (cat, name)
    if k not in _FRN:
        slots = S.record_layout(cat).slots
        _FRN[k] = next(i for i, x in enumerate(slots) if x[0] == name)
    return _FRN[k]


def _svc034(b: bytes, it: dict[str, int], F: dict[str, S.Field]) -> dict[str, Any]:
    out: dict[str, Any] = {"cat": 34}
    s = it.get("000")
    typ = b[s] if s is not None else 0
    out["kind"] = {1: "north_marker", 2: "sector", 3: "geo_filter", 4: "jamming"}.get(typ, "service")
    out["message_type"] = typ
    s = it.get("010")
    if s is not None:
        out["sac"], out["sic"] = b[s], b[s + 1]
    s = it.get("030")
    if s is not None:
        out["tod_s"] = int.from_bytes(b[s : s + 3], "big") * F["tod"].lsb
    s = it.get("020")
    if s is not None:
        out["sector_az_deg"] = b[s] * F["az"].lsb
    s = it.get("041")
    if s is not None:
        out["rotation_period_s"] = F["rot"].raw(b, s) * F["rot"].lsb
    s = it.get("120")
    if s is not None:
        out["height_m"] = float(F["hgt"].raw(b, s) * F["hgt"].lsb)
        out["lat"] = F["lat"].raw(b, s) * F["lat"].lsb
        out["lon"] = F["lon"].raw(b, s) * F["lon"].lsb
    return out


def _adsb021(b: bytes, it: dict[str, int], F: dict[str, S.Field]) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "adsb", "cat": 21}
    s = it.get("010")
    if s is not None:
        out["sac"], out["sic"] = b[s], b[s + 1]
    s = it.get("080")
    if s is not None:
        out["icao"] = _hex6(int.from_bytes(b[s : s + 3], "big"))
    s = it.get("131")
    if s is not None:
        out["lat"] = F["lat_hr"].raw(b, s) * F["lat_hr"].lsb
        out["lon"] = F["lon_hr"].raw(b, s) * F["lon_hr"].lsb
    else:
        s = it.get("130")
        if s is not None:
            out["lat"] = F["lat"].raw(b, s) * F["lat"].lsb
            out["lon"] = F["lon"].raw(b, s) * F["lon"].lsb
    s = it.get("140")
    if s is not None:
        out["geo_height_m"] = F["gh"].raw(b, s) * F["gh"].lsb * FT_M
    s = it.get("145")
    if s is not None:
        out["fl"] = F["fl"].raw(b, s) * F["fl"].lsb
    for key, item in (("t071", "071"), ("t073", "073"), ("t075", "075")):
        s = it.get(item)
        if s is not None:
            out["tod_s"] = F[key].raw(b, s) * F[key].lsb
            break
    s = it.get("160")
    if s is not None:
        out["ground_speed_mps"] = F["gs"].raw(b, s) * F["gs"].lsb * NM_M
        out["track_angle_deg"] = F["ta"].raw(b, s) * F["ta"].lsb
    s = it.get("157")
    if s is not None:
        out["vertical_rate_mps"] = F["gvr"].raw(b, s) * F["gvr"].lsb * FT_M / 60.0
    s = it.get("170")
    if s is not None:
        out["callsign"] = _ident(int.from_bytes(b[s : s + 6], "big"))
    s = it.get("040")
    if s is not None:
        out["simulated"] = bool(F["sim"].raw(b, s))
    return out


def decode_bytes(
    data: bytes, stats: DecodeStats | None = None, *, cats: tuple[int, ...] = DECODED
) -> list[dict[str, Any]]:
    """Every decodable record of ``data`` (one datagram or a raw recording) as a dict; bad input is counted in
    ``stats`` and skipped."""
    st = stats if stats is not None else DecodeStats()
    F = fields()
    out: list[dict[str, Any]] = []
    for cat, p, end in iter_blocks(data, st):
        if cat not in cats:
            st.rejected[f"CAT{cat:03d}: category not decoded"] += 1
            continue
        if cat == 62:
            out += _decode062(data[p - 3 : end], st)
            continue
        lay = F.c048 if cat == 48 else F.c034 if cat == 34 else F.c021
        conv = _plot048 if cat == 48 else _svc034 if cat == 34 else _adsb021
        fd = F.f048 if cat == 48 else F.f034 if cat == 34 else F.f021
        blk = data[:end]  # items may not read past the data block
        while p < end:
            try:
                items, p = walk_record(blk, p, end, lay)
                rec = conv(blk, items, fd)
            except AsterixError as e:
                st.rejected[f"CAT{cat:03d}: {e.reason}"] += 1
                break
            except (IndexError, ValueError) as e:  # a field read past a short item
                st.rejected[f"CAT{cat:03d}: record: {type(e).__name__}"] += 1
                break
            st.records += 1
            st.decoded[rec["kind"]] += 1
            out.append(rec)
    return out


# ----------------------------------------------------------------------------------------------- CAT062 (lib)


def _q(item: Any, *path: str, unit: str | None = None) -> float | None:
    v = item
    for name in path:
        v = v.variation.get_item(name)
        if v is None:
            return None
    c = v.variation.content
    return float(c.as_quantity(unit) if unit is not None else c.as_quantity())


def _decode062(block: bytes, st: DecodeStats) -> list[dict[str, Any]]:
    from asterix.base import Bits, RawDatablock

    spec = S.spec(62)
    raws = RawDatablock.parse(Bits.from_bytes(block))
    if isinstance(raws, ValueError) or len(raws) != 1:
        st.rejected["CAT062: datablock: not parsed"] += 1
        return []
    recs = spec.cv_uap.parse(raws[0].get_raw_records())
    if isinstance(recs, ValueError):
        st.rejected[f"CAT062: record: {str(recs)[:60]}"] += 1
        return []
    out = []
    for r in recs:
        try:
            d = track062(r)
        except (AttributeError, TypeError, ValueError) as e:  # a shape the mapping does not expect
            st.rejected[f"CAT062: record: {type(e).__name__}"] += 1
            continue
        st.records += 1
        st.decoded["track"] += 1
        out.append(d)
    return out


def track062(r: Any) -> dict[str, Any]:
    """One libasterix CAT062 record as a track dict (SI units)."""
    d: dict[str, Any] = {"kind": "track", "cat": 62}
    i = r.get_item("010")
    if i is not None:
        d["sac"] = int(i.variation.get_item("SAC").variation.content.as_uint())
        d["sic"] = int(i.variation.get_item("SIC").variation.content.as_uint())
    i = r.get_item("040")
    if i is not None:
        d["track_number"] = int(i.variation.content.as_uint())
    i = r.get_item("070")
    if i is not None:
        d["tod_s"] = float(i.variation.content.as_quantity("s"))
    i = r.get_item("105")
    if i is not None:
        d["lat"] = _q(i, "LAT", unit="°")
        d["lon"] = _q(i, "LON", unit="°")
    i = r.get_item("100")
    if i is not None:
        d["x_m"] = _q(i, "X", unit="m")
        d["y_m"] = _q(i, "Y", unit="m")
    i = r.get_item("185")
    if i is not None:
        d["vx_mps"] = _q(i, "VX", unit="m/s")
        d["vy_mps"] = _q(i, "VY", unit="m/s")
    i = r.get_item("130")
    if i is not None:
        d["geo_alt_m"] = float(i.variation.content.as_quantity("ft")) * FT_M
    i = r.get_item("136")
    if i is not None:
        d["fl"] = float(i.variation.content.as_quantity("FL"))
    i = r.get_item("060")
    if i is not None:
        d["mode3a"] = f"{int(i.variation.get_item('MODE3A').variation.content.as_uint()):04o}"
    i = r.get_item("245")
    if i is not None:
        d["callsign"] = str(i.variation.get_item("CHR").variation.content.as_string()).strip()
    i = r.get_item("380")
    if i is not None:
        a = i.variation.get_item("ADR")
        if a is not None:
            d["mode_s"] = f"{int(a.variation.content.as_uint()):06x}"
        c = i.variation.get_item("ID")
        if c is not None:
            d["callsign"] = str(c.variation.content.as_string()).strip()
    i = r.get_item("080")
    if i is not None:
        v = i.variation
        for name in ("CNF", "TSE", "TSB", "SIM", "MON", "CST"):
            try:
                sub = v.get_item(name)
            except (KeyError, ValueError):
                sub = None
            if sub is not None:
                d[f"status_{name.lower()}"] = int(sub.variation.content.as_uint())
    i = r.get_item("200")
    if i is not None:
        for name in ("TRANS", "LONG", "VERT"):
            d[f"mom_{name.lower()}"] = int(i.variation.get_item(name).variation.content.as_uint())
    i = r.get_item("500")
    if i is not None:
        apc = i.variation.get_item("APC")
        if apc is not None:
            d["sigma_x_m"] = _q(apc, "X", unit="m")
            d["sigma_y_m"] = _q(apc, "Y", unit="m")
        apw = i.variation.get_item("APW")
        if apw is not None:
            d["sigma_lat_deg"] = _q(apw, "LAT", unit="°")
            d["sigma_lon_deg"] = _q(apw, "LON", unit="°")
        cov = i.variation.get_item("COV")
        if cov is not None:
            d["cov_xy_m"] = float(cov.variation.content.as_quantity("m"))
    return d


# -------------------------------------------------------------------------------------- to the report contract


def tod_to_epoch(tod_s: float, ref_epoch: float) -> float:
    """The UTC epoch with time of day ``tod_s`` nearest to ``ref_epoch`` (ASTERIX times are seconds since
    midnight UTC; the date comes from the capture time or the receiver clock)."""
    midnight = math.floor(ref_epoch / DAY_S) * DAY_S
    t = midnight + tod_s
    if t - ref_epoch > DAY_S / 2:
        t -= DAY_S
    elif ref_epoch - t > DAY_S / 2:
        t += DAY_S
    return t


@dataclass(frozen=True, slots=True)
class RadarSite:
    """A radar (or ADS-B ground station) of sensors.json with its SAC/SIC."""

    id: str
    lat: float
    lon: float
    alt_m: float
    sigma_range_m: float = 15.0
    sigma_az_deg: float = 0.3
    sigma_el_deg: float = 0.5
    sigma_rr_mps: float = 0.5
    geoid_m: float = 0.0  # geoid undulation: MSL height + geoid_m = HAE


# σ for plots without a measured height: the elevation is unknown within the beam's coverage
SIGMA_EL_2D_DEG = 20.0  # assumption: a 2-D plot says nothing about elevation beyond "inside the beam" (0-40°)


def sites_by_code(sensors: list[dict[str, Any]]) -> dict[tuple[int, int], RadarSite]:
    """sensors.json entries with ``sac`` and ``sic`` keyed by (SAC, SIC); σs from the entry, else its radar model
    in the catalogue, else the giraffe1x defaults."""
    out: dict[tuple[int, int], RadarSite] = {}
    cat = None
    for s in sensors:
        sac, sic = s.get("sac"), s.get("sic")
        if not isinstance(sac, int) or not isinstance(sic, int) or not (0 <= sac < 256 and 0 <= sic < 256):
            continue
        kw: dict[str, float] = {}
        model = s.get("model")
        if isinstance(model, str):
            if cat is None:
                from borderwatch.sensors.catalogue import load_radar_catalogue

                cat = load_radar_catalogue()
            spec = cat.radars.get(model)
            if spec is not None:
                kw = {
                    "sigma_range_m": spec.sigma_range_m.value,
                    "sigma_az_deg": spec.sigma_az_deg.value,
                    "sigma_el_deg": spec.sigma_el_deg.value,
                    "sigma_rr_mps": spec.sigma_rr_mps.value,
                }
        for k in ("sigma_range_m", "sigma_az_deg", "sigma_el_deg", "sigma_rr_mps", "geoid_m"):
            if isinstance(s.get(k), int | float):
                kw[k] = float(s[k])
        out[(sac, sic)] = RadarSite(str(s["id"]), float(s["lat"]), float(s["lon"]), float(s["alt_m"]), **kw)
    return out


def elevation_deg(range_m: float, target_hae_m: float, radar_hae_m: float) -> float:
    """Elevation (deg) at which the radar sees a target at slant range ``range_m`` and height ``target_hae_m``:
    the inverse of the simulated radar's geometry (height above the radar's ground sphere, 4/3 earth)."""
    dh = target_hae_m - radar_hae_m
    d = math.sqrt(max(range_m * range_m - dh * dh, 1.0))
    # borderwatch.sensors.radar.apparent_elevation_rad, scalar (called per plot)
    return math.degrees(math.atan2(dh - d * d / (2.0 * K_EFF * R_EARTH_M), d))


def plot_to_report(p: dict[str, Any], site: RadarSite, ref_epoch: float) -> dict[str, Any] | None:
    """A CAT048 plot as a radar report (None when it has no measured position)."""
    if "range_m" not in p or "az_deg" not in p or p["range_m"] <= 0:
        return None
    t = tod_to_epoch(p["tod_s"], ref_epoch) if "tod_s" in p else ref_epoch
    rep: dict[str, Any] = {
        "t": round(t, 3),
        "sensor": site.id,
        "type": "radar",
        "range_m": round(p["range_m"], 2),
        "az_deg": round(p["az_deg"] % 360.0, 4),
        "sigma_range_m": site.sigma_range_m,
        "sigma_az_deg": site.sigma_az_deg,
    }
    if "height_3d_m" in p:
        h = p["height_3d_m"] + site.geoid_m
        rep["el_deg"] = round(elevation_deg(p["range_m"], h, site.alt_m), 4)
        rep["sigma_el_deg"] = site.sigma_el_deg
    elif "fl" in p:  # barometric: standard atmosphere, MSL ≈ pressure altitude (assumption)
        h = p["fl"] * 100.0 * FT_M + site.geoid_m
        rep["el_deg"] = round(elevation_deg(p["range_m"], h, site.alt_m), 4)
        rep["sigma_el_deg"] = max(site.sigma_el_deg, 1.0)
    else:
        rep["el_deg"] = 0.0
        rep["sigma_el_deg"] = SIGMA_EL_2D_DEG
    rep["el_deg"] = min(max(rep["el_deg"], -90.0), 90.0)
    if "rr_mps" in p:
        rep["rr_mps"] = round(p["rr_mps"], 3)
        rep["sigma_rr_mps"] = site.sigma_rr_mps
    for k in ("mode_s", "mode3a", "callsign", "track_number"):
        if k in p and p[k] not in ("", None):
            rep[k] = p[k]
    return rep


def adsb_to_report(a: dict[str, Any], site: RadarSite, ref_epoch: float) -> dict[str, Any] | None:
    """A CAT021 report as an ADS-B report (None without address or position)."""
    if "icao" not in a or "lat" not in a or "lon" not in a:
        return None
    if "geo_height_m" in a:
        alt = a["geo_height_m"]  # I021/140 is above the WGS-84 ellipsoid
    elif "fl" in a:
        alt = a["fl"] * 100.0 * FT_M + site.geoid_m
    else:
        return None
    t = tod_to_epoch(a["tod_s"], ref_epoch) if "tod_s" in a else ref_epoch
    rep: dict[str, Any] = {
        "t": round(t, 3),
        "sensor": site.id,
        "type": "adsb",
        "icao": a["icao"],
        "lat": round(a["lat"], 7),
        "lon": round(a["lon"], 7),
        "alt_m": round(alt, 2),
    }
    if a.get("callsign"):
        rep["callsign"] = a["callsign"][:8]
    if "ground_speed_mps" in a:
        ta = math.radians(a["track_angle_deg"])
        gs = a["ground_speed_mps"]
        rep["vel_enu_mps"] = [
            round(gs * math.sin(ta), 2),
            round(gs * math.cos(ta), 2),
            round(a.get("vertical_rate_mps", 0.0), 2),
        ]
    return rep


@dataclass(slots=True)
class ReportMapper:
    """Decoded ASTERIX -> report contract, with the sites of sensors.json by SAC/SIC; plots of unknown SAC/SIC
    are counted (``sensor: no sensors.json entry for SAC/SIC a/b``) and dropped."""

    sites: dict[tuple[int, int], RadarSite]
    rejected: Counter[str] = field(default_factory=Counter)
    north_markers: int = 0
    sectors: int = 0

    def __call__(self, rec: dict[str, Any], ref_epoch: float) -> dict[str, Any] | None:
        kind = rec["kind"]
        if kind == "north_marker":
            self.north_markers += 1
            return None
        if kind == "sector":
            self.sectors += 1
            return None
        if kind not in ("plot", "adsb"):
            return None
        key = (rec.get("sac", -1), rec.get("sic", -1))
        site = self.sites.get(key)
        if site is None:
            self.rejected[f"sensor: no sensors.json entry for SAC/SIC {key[0]}/{key[1]}"] += 1
            return None
        rep = plot_to_report(rec, site, ref_epoch) if kind == "plot" else adsb_to_report(rec, site, ref_epoch)
        if rep is None:
            self.rejected[f"CAT{rec['cat']:03d}: record: no position"] += 1
        return rep
