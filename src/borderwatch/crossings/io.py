"""Reading events from CSV / JSON lines and writing them as CSV / GeoJSON.

A bad row is rejected with its row number (the file line), the field and the reason; the good rows are kept.
The columns are the fields of :class:`~borderwatch.crossings.model.EventData` with times as ISO 8601 (UTC
when no offset is given) or epoch seconds, counts as ``KEY:N;KEY:N`` and lists as ``A;B`` (docs/formats.md).

>>> from borderwatch.theatre import load_theatre
>>> from borderwatch.crossings.sections import load_sections
>>> secs = load_sections(load_theatre())
>>> row = {"time": "2026-11-02T21:40", "section": "LV-BY-03", "attempt": "attempted", "direction": "entry",
...        "detection": "patrol", "persons": "-3", "outcome": "prevented"}
>>> parse_row(row, sections=secs, row_number=2)
RowError(row=2, field='persons', reason='Input should be greater than or equal to 0')
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from borderwatch.config import describe
from borderwatch.crossings.model import EventData
from borderwatch.crossings.sections import Sections
from borderwatch.errors import InputError

#: column order of the CSV format (import and export)
COLUMNS: tuple[str, ...] = (
    "external_ref", "category", "time", "aware_time", "reported_time", "section", "lat", "lon", "crossing_point",
    "attempt", "manner", "direction", "detection", "alert_id", "persons", "nationalities", "age_groups", "sex",
    "transport", "evasion", "violence", "outcome", "facilitation_ref", "trafficking_ref", "life_at_risk_ref",
    "refusal_reasons", "credibility", "reliability", "validation", "impact", "reaction", "description",
)  # fmt: skip
#: columns of the export that an import ignores (the register assigns its own ids)
IGNORED = ("event_id", "version")
REQUIRED = ("time", "attempt", "direction", "detection", "persons", "outcome")
_COUNTS = ("nationalities", "age_groups", "sex")
_BOOLS = ("evasion", "violence")
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.reason}"


@dataclass(slots=True)
class ImportResult:
    good: list[tuple[int, EventData]] = field(default_factory=list)
    rejected: list[RowError] = field(default_factory=list)


class _Bad(Exception):
    def __init__(self, fld: str, reason: str) -> None:
        self.fld, self.reason = fld, reason


def parse_time(value: Any, fld: str) -> float:
    """ISO 8601 (naive = UTC) or epoch seconds -> epoch seconds."""
    if isinstance(value, bool):
        raise _Bad(fld, "not a time")
    if isinstance(value, (int, float)):
        t = float(value)
    else:
        s = str(value).strip()
        try:
            t = float(s)
        except ValueError:
            try:
                dt = datetime.fromisoformat(s)
            except ValueError:
                raise _Bad(fld, f"not an ISO 8601 time or epoch seconds: {s[:40]!r}") from None
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=UTC)
            t = dt.timestamp()
    if not math.isfinite(t) or not 0.0 <= t < 4.1e9:
        raise _Bad(fld, "time out of range (1970-2099)")
    return t


def _counts(value: Any, fld: str) -> dict[str, int]:
    if isinstance(value, dict):
        return value
    out: dict[str, int] = {}
    for part in str(value).split(";"):
        part = part.strip()
        if not part:
            continue
        key, _, n = part.partition(":")
        key = key.strip()
        if not key:
            raise _Bad(fld, f"empty key in {part!r}")
        try:
            cnt = int(n) if n.strip() else 1
        except ValueError:
            raise _Bad(fld, f"count {n.strip()!r} is not a whole number") from None
        out[key] = out.get(key, 0) + cnt
    return out


def _bool(value: Any, fld: str) -> bool:
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise _Bad(fld, f"not true/false: {s[:20]!r}")


def _float(value: Any, fld: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise _Bad(fld, f"not a number: {str(value)[:20]!r}") from None
    if not math.isfinite(v):
        raise _Bad(fld, "not a finite number")
    return v


def parse_row(row: Mapping[str, Any], *, sections: Sections, row_number: int) -> EventData | RowError:
    """One CSV row (strings) or JSON object (typed values) -> event data, or the first error found."""
    try:
        return _parse(row, sections)
    except _Bad as bad:
        return RowError(row_number, bad.fld, bad.reason)
    except ValidationError as err:
        path, msg = describe(err)
        return RowError(row_number, path, msg)


def _parse(row: Mapping[str, Any], sections: Sections) -> EventData:
    vals = {
        k: v for k, v in row.items()
        if k not in IGNORED and v is not None and not (isinstance(v, str) and not v.strip())
    }  # fmt: skip
    for req in REQUIRED:
        if req not in vals:
            raise _Bad(req, "missing field")
    d: dict[str, Any] = {}
    d["time_s"] = parse_time(vals.pop("time"), "time")
    if "aware_time" in vals:
        d["aware_s"] = parse_time(vals.pop("aware_time"), "aware_time")
    if "reported_time" in vals:
        d["reported_s"] = parse_time(vals.pop("reported_time"), "reported_time")
    for k in ("lat", "lon"):
        if k in vals:
            d[k] = _float(vals.pop(k), k)
    sec = vals.pop("section", None)
    if sec is None:
        if "lat" not in d or "lon" not in d:
            raise _Bad("section", "missing field (give section, or lat and lon)")
        try:
            d["section"] = sections.nearest(d["lat"], d["lon"])[0].id
        except InputError as exc:
            raise _Bad("lat", str(exc)) from None
    else:
        sec = str(sec).strip()
        if sec not in sections.ids:
            raise _Bad("section", f"unknown section {sec!r}")
        d["section"] = sec
    if "persons" in vals:
        p = vals.pop("persons")
        if isinstance(p, bool):
            raise _Bad("persons", "not a whole number")
        try:
            d["persons"] = int(str(p).strip()) if not isinstance(p, int) else p
        except ValueError:
            raise _Bad("persons", f"not a whole number: {str(p)[:20]!r}") from None
    for k in _COUNTS:
        if k in vals:
            d[k] = _counts(vals.pop(k), k)
    for k in _BOOLS:
        if k in vals:
            d[k] = _bool(vals.pop(k), k)
    if "refusal_reasons" in vals:
        rr = vals.pop("refusal_reasons")
        d["refusal_reasons"] = rr if isinstance(rr, list) else [x.strip() for x in str(rr).split(";") if x.strip()]
    for k, v in vals.items():
        if k not in COLUMNS:
            raise _Bad(k, "unknown field")
        d[k] = v.strip() if isinstance(v, str) else v
    return EventData.model_validate(d)


def _check_columns(cols: Iterable[str], source: str) -> None:
    unknown = [c for c in cols if c not in COLUMNS and c not in IGNORED]
    if unknown:
        raise InputError(f"unknown column(s) {', '.join(map(repr, unknown))}; see docs/formats.md", source=source)


def read_events(path: Path | str, *, sections: Sections) -> ImportResult:
    """Events from a ``.csv`` or ``.jsonl`` file; bad rows go to ``rejected`` with row, field and reason."""
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", source=str(p))
    res = ImportResult()
    if p.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        with p.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    res.rejected.append(RowError(n, "(line)", "not JSON"))
                    continue
                if not isinstance(obj, dict):
                    res.rejected.append(RowError(n, "(line)", "not a JSON object"))
                    continue
                _add(res, parse_row(obj, sections=sections, row_number=n), n)
        return res
    with p.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None:
            raise InputError("empty file (no header row)", source=str(p))
        _check_columns(reader.fieldnames, str(p))
        for row in reader:
            n = reader.line_num
            if None in row:
                res.rejected.append(RowError(n, "(row)", "more values than columns"))
                continue
            _add(res, parse_row(row, sections=sections, row_number=n), n)
    return res


def _add(res: ImportResult, parsed: EventData | RowError, n: int) -> None:
    if isinstance(parsed, RowError):
        res.rejected.append(parsed)
    else:
        res.good.append((n, parsed))


def iso(t: float | None) -> str:
    return "" if t is None else datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_row(d: EventData) -> dict[str, str]:
    """Event data as one CSV row of :data:`COLUMNS` (the import format: a round trip)."""
    raw = d.model_dump()
    out: dict[str, str] = {}
    for c in COLUMNS:
        if c == "time":
            out[c] = iso(d.time_s)
        elif c == "aware_time":
            out[c] = iso(d.aware_s)
        elif c == "reported_time":
            out[c] = iso(d.reported_s)
        elif c in _COUNTS:
            out[c] = ";".join(f"{k}:{v}" for k, v in raw[c].items())
        elif c in _BOOLS:
            out[c] = "true" if raw[c] else "false"
        elif c == "refusal_reasons":
            out[c] = ";".join(raw[c])
        else:
            v = raw[c]
            out[c] = "" if v is None else str(v)
    return out


def write_csv(path: Path | str, rows: Iterable[tuple[str, int, EventData]]) -> int:
    """Write ``(event_id, version, data)`` rows as CSV (``event_id``, ``version`` + :data:`COLUMNS`)."""
    n = 0
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["event_id", "version", *COLUMNS])
        w.writeheader()
        for eid, ver, d in rows:
            w.writerow({"event_id": eid, "version": ver, **to_row(d)})
            n += 1
    return n


def geojson_features(
    rows: Iterable[tuple[str, int, str, EventData]], *, sections: Sections
) -> list[tuple[Any, dict[str, Any]]]:
    """Point features of events (``event_id, version, status, data``); events without a point sit at their
    section's midpoint (``location: section_midpoint``)."""
    from shapely.geometry import Point

    feats: list[tuple[Any, dict[str, Any]]] = []
    for eid, ver, status, d in rows:
        if d.lat is not None and d.lon is not None:
            pt, loc = Point(d.lon, d.lat), "reported"
        else:
            s = sections.get(d.section)
            pt, loc = Point(s.mid_lon, s.mid_lat), "section_midpoint"
        props = {"event_id": eid, "version": ver, "status": status, "location": loc, **to_row(d)}
        feats.append((pt, props))
    return feats
