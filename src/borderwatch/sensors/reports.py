"""Sensor reports and sensor descriptions: the records that flow from sensors to the tracker.

Files (see docs/formats.md):

* ``sensors.json``: ``{"sensors": [{"id", "type": "acoustic"|"radar"|"adsb", "lat", "lon", "alt_m", …}]}``
* ``reports.jsonl``: one report per line, time-ordered by ``t`` = time of **reception** (UTC epoch s):

  - ``{"t", "sensor", "type": "bearing", "az_deg", "el_deg"?, "sigma_az_deg", "sigma_el_deg"?, "snr_db"?,
    "class_hint"?}`` (azimuth clockwise from true north)
  - ``{"t", "sensor", "type": "radar", "range_m", "az_deg", "el_deg", "rr_mps"?, "sigma_range_m",
    "sigma_az_deg", "sigma_el_deg", "sigma_rr_mps"?, "rcs_dbsm"?}``
  - ``{"t", "sensor", "type": "adsb", "icao", "callsign"?, "lat", "lon", "alt_m", "vel_enu_mps"?}``

Readers never stop on a bad line: it is rejected with a reason naming the field, counted, and skipped.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from borderwatch.config import read_json
from borderwatch.errors import InputError
from borderwatch.interop.jsonl import iter_objects

SensorType = Literal["acoustic", "radar", "adsb"]
_SENSOR_TYPES = ("acoustic", "radar", "adsb")


@dataclass(frozen=True, slots=True)
class SensorSite:
    """One sensor as written to sensors.json; ``extra`` keeps type-specific fields."""

    id: str
    type: SensorType
    lat: float
    lon: float
    alt_m: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "lat": self.lat,
            "lon": self.lon,
            "alt_m": self.alt_m,
            **self.extra,
        }


@dataclass(frozen=True, slots=True)
class BearingReport:
    t: float
    sensor: str
    az_deg: float
    sigma_az_deg: float
    el_deg: float | None = None
    sigma_el_deg: float | None = None
    snr_db: float | None = None
    class_hint: str | None = None
    type: Literal["bearing"] = "bearing"


@dataclass(frozen=True, slots=True)
class RadarReport:
    t: float
    sensor: str
    range_m: float
    az_deg: float
    el_deg: float
    sigma_range_m: float
    sigma_az_deg: float
    sigma_el_deg: float
    rr_mps: float | None = None
    sigma_rr_mps: float | None = None
    rcs_dbsm: float | None = None
    type: Literal["radar"] = "radar"


@dataclass(frozen=True, slots=True)
class AdsbReport:
    t: float
    sensor: str
    icao: str
    lat: float
    lon: float
    alt_m: float
    callsign: str | None = None
    vel_enu_mps: tuple[float, float, float] | None = None
    type: Literal["adsb"] = "adsb"


Report = BearingReport | RadarReport | AdsbReport

_ROUND = {
    "t": 3,
    "az_deg": 4,
    "el_deg": 4,
    "sigma_az_deg": 4,
    "sigma_el_deg": 4,
    "snr_db": 2,
    "range_m": 2,
    "sigma_range_m": 2,
    "rr_mps": 3,
    "sigma_rr_mps": 3,
    "rcs_dbsm": 2,
    "lat": 7,
    "lon": 7,
    "alt_m": 2,
}


def report_to_dict(r: Report) -> dict[str, Any]:
    """The JSON object of a report: required keys first, optional keys only when set."""
    d: dict[str, Any] = {"t": r.t, "sensor": r.sensor, "type": r.type}
    for name in r.__dataclass_fields__:
        if name in d:
            continue
        v = getattr(r, name)
        if v is None:
            continue
        if name == "vel_enu_mps":
            v = [round(float(x), 3) for x in v]
        elif name in _ROUND:
            v = round(float(v), _ROUND[name])
        d[name] = v
    d["t"] = round(float(r.t), 3)
    return d


def write_reports(reports: Iterable[Report], out: IO[str]) -> int:
    """Write reports as JSON lines in the order given (callers sort by reception time)."""
    n = 0
    for r in reports:
        out.write(json.dumps(report_to_dict(r), ensure_ascii=False))
        out.write("\n")
        n += 1
    return n


def write_sensors(sites: Iterable[SensorSite], path: Path | str) -> None:
    Path(path).write_text(
        json.dumps({"sensors": [s.to_dict() for s in sites]}, ensure_ascii=False, indent=1), encoding="utf-8"
    )


class RejectedReport(ValueError):
    """A report line that fails validation; ``reason`` names the field and the problem."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Limit:
    """Accepted interval of one numeric report field and why values outside it cannot be real."""

    lo: float
    hi: float
    why: str
    lo_open: bool = False  # lo itself is excluded
    hi_open: bool = False  # hi itself is excluded

    def ok(self, v: float) -> bool:
        """True if ``v`` is inside (a NaN is not)."""
        above = v > self.lo if self.lo_open else v >= self.lo
        below = v < self.hi if self.hi_open else v <= self.hi
        return above and below

    def text(self) -> str:
        return f"{'(' if self.lo_open else '['}{self.lo:g}, {self.hi:g}{')' if self.hi_open else ']'}"


#: Accepted values of every numeric report field, one place for the reader (:func:`parse_report`), the
#: tracker's check of report objects (:func:`report_problem`) and the vectorised check of its frames. The limits
#: are physical or format bounds, deliberately wide: they reject what no sensor can mean (a range of 1e308 m, a
#: σ of 0 that would make an innovation covariance singular, a σ so wide the report says nothing), not what is
#: merely unlikely.
LIMITS: dict[str, Limit] = {
    "t": Limit(0.0, 4102444800.0, "UTC epoch seconds (or scenario seconds from 0) before 1970 or after 2100-01-01 "
               "is a clock or unit error; beyond ~1e15 a float cannot even resolve the 0.5 s frame"),
    "az_deg": Limit(0.0, 360.0, "azimuth clockwise from true north, one turn", hi_open=True),
    "el_deg": Limit(-90.0, 90.0, "elevation above the horizontal: straight down to straight up"),
    "sigma_az_deg": Limit(1e-3, 90.0, "below 0.001° (3.6″) no radar or microphone array resolves and the "
                          "covariance nears singular; above 90° a bearing carries no information"),
    "sigma_el_deg": Limit(1e-3, 90.0, "as sigma_az_deg"),
    "snr_db": Limit(-100.0, 200.0, "a detection 100 dB below the noise or 200 dB above it is a unit error"),
    "range_m": Limit(0.0, 1.0e6, "a plot is in front of the antenna; 1,000 km is beyond any surface radar's "
                     "horizon for air targets (over-the-horizon radars are not modelled)", lo_open=True),
    "sigma_range_m": Limit(1e-3, 1.0e5, "1 mm is finer than any radar's range cell; 100 km says nothing"),
    "rr_mps": Limit(-1.0e4, 1.0e4, "10 km/s radial speed exceeds orbital speed: no air target moves so fast"),
    "sigma_rr_mps": Limit(1e-3, 1.0e3, "1 mm/s is below any Doppler resolution; 1 km/s says nothing"),
    "rcs_dbsm": Limit(-80.0, 80.0, "an insect is about -40 dBsm and a large ship +70 dBsm"),
    "lat": Limit(-90.0, 90.0, "latitude, degrees"),
    "lon": Limit(-180.0, 180.0, "longitude, degrees"),
    "alt_m": Limit(-1000.0, 40000.0, "ADS-B encodes barometric altitudes from -1,000 ft to 126,750 ft (38.6 km); "
                   "HAE adds at most ~100 m of geoid"),
    "vel_enu_mps": Limit(-3000.0, 3000.0, "ADS-B velocity fields end at 4,092 kt (2.1 km/s) per component"),
}  # fmt: skip

#: Longest accepted text fields (characters): ids and hints longer than these are garbage, not names; a
#: megabyte "sensor" would otherwise be kept in every count and log line.
MAX_CHARS: dict[str, tuple[int, str]] = {
    "sensor": (128, "sensor ids are short names (shipped: ≤ 24 characters)"),
    "class_hint": (64, "a class id or spectral family name"),
    "callsign": (8, "an ADS-B identification message carries 8 characters"),
}

_HEX = frozenset("0123456789abcdefABCDEF")


def _num(d: dict[str, Any], key: str, *, required: bool = True, name: str | None = None) -> float | None:
    name = name or key
    if key not in d or d[key] is None:
        if required:
            raise RejectedReport(f"{name}: missing")
        return None
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise RejectedReport(f"{name}: not a number")
    try:
        f = float(v)
    except OverflowError:  # an integer beyond the float range (JSON allows any number of digits)
        raise RejectedReport(f"{name}: not finite") from None
    if not math.isfinite(f):
        raise RejectedReport(f"{name}: not finite")
    lim = LIMITS[key]
    if not lim.ok(f):
        raise RejectedReport(f"{name}: outside {lim.text()}")
    return f


def _req(d: dict[str, Any], key: str) -> float:
    v = _num(d, key)
    assert v is not None
    return v


def _text(d: dict[str, Any], key: str, *, required: bool) -> str | None:
    v = d.get(key)
    if v is None:
        if required:
            raise RejectedReport(f"{key}: missing")
        return None
    if not isinstance(v, str):
        raise RejectedReport(f"{key}: not a string")
    if required and not v:
        raise RejectedReport(f"{key}: missing")
    n, _why = MAX_CHARS[key]
    if len(v) > n:
        raise RejectedReport(f"{key}: longer than {n} characters")
    return v


def parse_report(d: Any) -> Report:
    """Validate one decoded report object; raise :class:`RejectedReport` naming the field.

    Every numeric field must be a finite JSON number inside its :data:`LIMITS` interval, every text field a
    string within :data:`MAX_CHARS`; no other exception escapes, whatever ``d`` holds.

    >>> parse_report({"t": 10.0, "sensor": "r1", "type": "radar", "range_m": 1e308, "az_deg": 1, "el_deg": 1,
    ...               "sigma_range_m": 10, "sigma_az_deg": 0.3, "sigma_el_deg": 0.3})
    Traceback (most recent call last):
    ...
    borderwatch.sensors.reports.RejectedReport: range_m: outside (0, 1e+06]
    """
    if not isinstance(d, dict):
        raise RejectedReport("line: not a JSON object")
    t = _req(d, "t")
    sensor = _text(d, "sensor", required=True)
    assert sensor is not None
    kind = d.get("type")
    if kind == "bearing":
        return BearingReport(
            t=t,
            sensor=sensor,
            az_deg=_req(d, "az_deg"),
            sigma_az_deg=_req(d, "sigma_az_deg"),
            el_deg=_num(d, "el_deg", required=False),
            sigma_el_deg=_num(d, "sigma_el_deg", required=False),
            snr_db=_num(d, "snr_db", required=False),
            class_hint=_text(d, "class_hint", required=False),
        )
    if kind == "radar":
        return RadarReport(
            t=t,
            sensor=sensor,
            range_m=_req(d, "range_m"),
            az_deg=_req(d, "az_deg"),
            el_deg=_req(d, "el_deg"),
            sigma_range_m=_req(d, "sigma_range_m"),
            sigma_az_deg=_req(d, "sigma_az_deg"),
            sigma_el_deg=_req(d, "sigma_el_deg"),
            rr_mps=_num(d, "rr_mps", required=False),
            sigma_rr_mps=_num(d, "sigma_rr_mps", required=False),
            rcs_dbsm=_num(d, "rcs_dbsm", required=False),
        )
    if kind == "adsb":
        icao = d.get("icao")
        if not isinstance(icao, str) or len(icao) != 6 or not _HEX.issuperset(icao):
            raise RejectedReport("icao: not 6 hex digits")
        lat = _req(d, "lat")
        lon = _req(d, "lon")
        alt = _req(d, "alt_m")
        vel = d.get("vel_enu_mps")
        vel_t: tuple[float, float, float] | None = None
        if vel is not None:
            if not isinstance(vel, list) or len(vel) != 3:
                raise RejectedReport("vel_enu_mps: not a list of 3 numbers")
            v0, v1, v2 = (_num({"vel_enu_mps": x}, "vel_enu_mps") for x in vel)
            assert v0 is not None and v1 is not None and v2 is not None
            vel_t = (v0, v1, v2)
        cs = _text(d, "callsign", required=False)
        return AdsbReport(
            t=t,
            sensor=sensor,
            icao=icao.lower(),
            lat=lat,
            lon=lon,
            alt_m=alt,
            callsign=cs,
            vel_enu_mps=vel_t,
        )
    if isinstance(kind, str) and len(kind) > 16:
        kind = kind[:16] + "…"
    elif not isinstance(kind, (str, type(None))):
        kind = type(kind).__name__
    raise RejectedReport(f"type: unknown report type {kind!r}")


_REPORT_TYPES: dict[str, type[Report]] = {"bearing": BearingReport, "radar": RadarReport, "adsb": AdsbReport}


def report_problem(r: Any) -> str | None:
    """Why a report *object* (built in code, not read by :func:`parse_report`) is unusable, or None.

    Same limits and reasons as :func:`parse_report`; the tracker calls it on reports that miss its fast path, so
    a report object with a NaN, a 1e308 or a string where a number belongs is counted, not a crash.

    >>> report_problem(BearingReport(t=1.0, sensor="a1", az_deg=float("nan"), sigma_az_deg=2.0))
    'az_deg: not finite'
    """
    kind = getattr(r, "type", None)
    cls = _REPORT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None or not isinstance(r, cls):
        return "report: not a report object"
    d = {name: getattr(r, name) for name in r.__dataclass_fields__}
    if isinstance(d.get("vel_enu_mps"), tuple):
        d["vel_enu_mps"] = list(d["vel_enu_mps"])
    try:
        parse_report(d)
    except RejectedReport as exc:
        return exc.reason
    return None


@dataclass(slots=True)
class ReportStream:
    """Iterates over the good reports of a reports.jsonl file; ``rejected`` counts the bad lines by reason."""

    path: Path
    rejected: Counter[str] = field(default_factory=Counter)
    accepted: int = 0
    progress: Callable[[int, int], None] | None = None  # (bytes read, file size), for a progress bar

    def __iter__(self) -> Iterator[Report]:
        for d in iter_objects(self.path, self.rejected, progress=self.progress):
            try:
                r = parse_report(d)
            except RejectedReport as exc:
                self.rejected[exc.reason] += 1
                continue
            self.accepted += 1
            yield r


def read_reports(path: Path | str) -> ReportStream:
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", source=str(p))
    return ReportStream(p)


def read_sensors(path: Path | str) -> tuple[list[SensorSite], Counter[str]]:
    """Read sensors.json; bad entries are rejected with a counted reason; good ones kept."""
    p = Path(path)
    data = read_json(p)
    if not isinstance(data, dict) or not isinstance(data.get("sensors"), list):
        raise InputError("must be an object with a list 'sensors'", source=str(p), field="sensors")
    sites: list[SensorSite] = []
    rejected: Counter[str] = Counter()
    seen: set[str] = set()
    for i, s in enumerate(data["sensors"]):
        try:
            if not isinstance(s, dict):
                raise RejectedReport("not an object")
            sid = s.get("id")
            if not isinstance(sid, str) or not sid:
                raise RejectedReport("id: missing")
            if sid in seen:
                raise RejectedReport(f"id: duplicate {sid!r}")
            kind = s.get("type")
            if kind not in _SENSOR_TYPES:
                raise RejectedReport(f"type: unknown sensor type {kind!r}")
            lat, lon, alt = _req(s, "lat"), _req(s, "lon"), _req(s, "alt_m")
            if not -90 <= lat <= 90 or not -180 <= lon <= 180:
                raise RejectedReport("lat/lon: out of range")
        except RejectedReport as exc:
            rejected[f"sensors[{i}].{exc.reason}"] += 1
            continue
        seen.add(sid)
        extra = {k: v for k, v in s.items() if k not in ("id", "type", "lat", "lon", "alt_m")}
        sites.append(SensorSite(sid, kind, lat, lon, alt, extra))
    return sites, rejected


def wrap_az_deg(az_deg: float) -> float:
    """Azimuth in [0, 360) that stays below 360 after the 4-decimal rounding of the writer."""
    a = float(az_deg) % 360.0
    return 0.0 if round(a, 4) >= 360.0 else a
