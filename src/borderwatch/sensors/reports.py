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
from collections.abc import Iterable, Iterator
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


def _num(d: dict[str, Any], key: str, *, required: bool = True) -> float | None:
    if key not in d or d[key] is None:
        if required:
            raise RejectedReport(f"{key}: missing")
        return None
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise RejectedReport(f"{key}: not a number")
    f = float(v)
    if not math.isfinite(f):
        raise RejectedReport(f"{key}: not finite")
    return f


def _req(d: dict[str, Any], key: str) -> float:
    v = _num(d, key)
    assert v is not None
    return v


def _sigma(d: dict[str, Any], key: str, *, required: bool = True) -> float | None:
    v = _num(d, key, required=required)
    if v is not None and v <= 0:
        raise RejectedReport(f"{key}: must be > 0")
    return v


def _az(d: dict[str, Any]) -> float:
    az = _req(d, "az_deg")
    if not 0.0 <= az < 360.0:
        raise RejectedReport("az_deg: outside [0, 360)")
    return az


def _el(d: dict[str, Any], *, required: bool) -> float | None:
    el = _num(d, "el_deg", required=required)
    if el is not None and not -90.0 <= el <= 90.0:
        raise RejectedReport("el_deg: outside [-90, 90]")
    return el


def parse_report(d: Any) -> Report:
    """Validate one decoded report object; raise :class:`RejectedReport` naming the field."""
    if not isinstance(d, dict):
        raise RejectedReport("line: not a JSON object")
    t = _req(d, "t")
    sensor = d.get("sensor")
    if not isinstance(sensor, str) or not sensor:
        raise RejectedReport("sensor: missing")
    kind = d.get("type")
    if kind == "bearing":
        hint = d.get("class_hint")
        return BearingReport(
            t=t,
            sensor=sensor,
            az_deg=_az(d),
            sigma_az_deg=_sigma(d, "sigma_az_deg") or 0.0,
            el_deg=_el(d, required=False),
            sigma_el_deg=_sigma(d, "sigma_el_deg", required=False),
            snr_db=_num(d, "snr_db", required=False),
            class_hint=str(hint) if hint is not None else None,
        )
    if kind == "radar":
        rng = _req(d, "range_m")
        if rng <= 0:
            raise RejectedReport("range_m: must be > 0")
        el = _el(d, required=True)
        assert el is not None
        return RadarReport(
            t=t,
            sensor=sensor,
            range_m=rng,
            az_deg=_az(d),
            el_deg=el,
            sigma_range_m=_sigma(d, "sigma_range_m") or 0.0,
            sigma_az_deg=_sigma(d, "sigma_az_deg") or 0.0,
            sigma_el_deg=_sigma(d, "sigma_el_deg") or 0.0,
            rr_mps=_num(d, "rr_mps", required=False),
            sigma_rr_mps=_sigma(d, "sigma_rr_mps", required=False),
            rcs_dbsm=_num(d, "rcs_dbsm", required=False),
        )
    if kind == "adsb":
        icao = d.get("icao")
        if not isinstance(icao, str) or len(icao) != 6 or any(c not in "0123456789abcdefABCDEF" for c in icao):
            raise RejectedReport("icao: not 6 hex digits")
        lat = _req(d, "lat")
        lon = _req(d, "lon")
        if not -90 <= lat <= 90:
            raise RejectedReport("lat: outside [-90, 90]")
        if not -180 <= lon <= 180:
            raise RejectedReport("lon: outside [-180, 180]")
        vel = d.get("vel_enu_mps")
        vel_t: tuple[float, float, float] | None = None
        if vel is not None:
            if not isinstance(vel, list) or len(vel) != 3:
                raise RejectedReport("vel_enu_mps: not a list of 3 numbers")
            vals = [_num({"v": x}, "v") for x in vel]
            vel_t = (float(vals[0] or 0.0), float(vals[1] or 0.0), float(vals[2] or 0.0))
        cs = d.get("callsign")
        return AdsbReport(
            t=t,
            sensor=sensor,
            icao=icao.lower(),
            lat=lat,
            lon=lon,
            alt_m=_req(d, "alt_m"),
            callsign=str(cs) if cs is not None else None,
            vel_enu_mps=vel_t,
        )
    raise RejectedReport(f"type: unknown report type {kind!r}")


@dataclass(slots=True)
class ReportStream:
    """Iterates over the good reports of a reports.jsonl file; ``rejected`` counts the bad lines by reason."""

    path: Path
    rejected: Counter[str] = field(default_factory=Counter)
    accepted: int = 0

    def __iter__(self) -> Iterator[Report]:
        for d in iter_objects(self.path, self.rejected):
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
