"""Ground truth: a columnar table of target states and its JSON-lines file (``truth.jsonl``).

One line per target per time step::

    {"t": 1773450000.0, "target": "pskov-north-000", "class": "shahed", "lat": 57.1, "lon": 28.9,
     "alt_m": 512.3, "vel_enu_mps": [-40.1, -25.0, 0.0], "hostile": true, "cooperative": false}

``alt_m`` is height above the WGS84 ellipsoid; ``vel_enu_mps`` is the ground velocity in the local
east-north-up axes at the target; cooperative targets also carry ``icao`` (and ``callsign``).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from borderwatch.interop.jsonl import iter_objects

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TargetInfo:
    id: str
    cls: str
    hostile: bool
    cooperative: bool
    group: str
    icao: str | None = None
    callsign: str | None = None


@dataclass(slots=True)
class TruthTable:
    """Columnar truth: row k is target ``targets[idx[k]]`` at time ``t[k]`` (UTC epoch s)."""

    targets: list[TargetInfo]
    t: FloatArray
    idx: NDArray[np.int64]
    lat: FloatArray
    lon: FloatArray
    alt: FloatArray
    vel: FloatArray  # (n, 3) east, north, up m/s
    rejected: Counter[str] = field(default_factory=Counter)

    def __len__(self) -> int:
        return int(self.t.size)

    def target_rows(self, target_id: str) -> NDArray[np.int64]:
        """Row indices of one target in time order."""
        k = next(i for i, ti in enumerate(self.targets) if ti.id == target_id)
        return np.flatnonzero(self.idx == k)

    def at_times(self) -> list[tuple[float, NDArray[np.int64]]]:
        """Rows grouped by time step, in time order."""
        order = np.argsort(self.t, kind="stable")
        ts = self.t[order]
        cuts = np.flatnonzero(np.diff(ts)) + 1
        return [(float(ts[s[0]]), s) for s in np.split(order, cuts) if s.size]


def _line(ti: TargetInfo, t: float, lat: float, lon: float, alt: float, v: FloatArray) -> str:
    d: dict[str, Any] = {
        "t": round(t, 3),
        "target": ti.id,
        "class": ti.cls,
        "lat": round(lat, 7),
        "lon": round(lon, 7),
        "alt_m": round(alt, 2),
        "vel_enu_mps": [round(float(v[0]), 3), round(float(v[1]), 3), round(float(v[2]), 3)],
        "hostile": ti.hostile,
        "cooperative": ti.cooperative,
    }
    if ti.icao:
        d["icao"] = ti.icao
    if ti.callsign:
        d["callsign"] = ti.callsign
    return json.dumps(d, ensure_ascii=False)


def write_truth(truth: TruthTable, out: IO[str]) -> int:
    """Write truth as JSON lines ordered by time, then target; returns the number of lines."""
    order = np.lexsort((truth.idx, truth.t))
    n = 0
    for k in order:
        out.write(
            _line(
                truth.targets[truth.idx[k]],
                truth.t[k],
                truth.lat[k],
                truth.lon[k],
                truth.alt[k],
                truth.vel[k],
            )
        )
        out.write("\n")
        n += 1
    return n


#: JSON Schema of one truth.jsonl line (docs/schemas/truth-line.schema.json)
TRUTH_LINE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "truth.jsonl line",
    "type": "object",
    "required": ["t", "target", "class", "lat", "lon", "alt_m", "vel_enu_mps", "hostile", "cooperative"],
    "properties": {
        "t": {"type": "number", "description": "UTC epoch seconds"},
        "target": {"type": "string", "description": "target id: <group>-<nnn>"},
        "class": {"type": "string", "description": "target class id from the catalogue"},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "alt_m": {"type": "number", "description": "height above the WGS84 ellipsoid, m"},
        "vel_enu_mps": {
            "type": "array",
            "items": {"type": "number"},
            "minItems": 3,
            "maxItems": 3,
            "description": "ground velocity east, north, up at the target, m/s",
        },
        "hostile": {"type": "boolean"},
        "cooperative": {"type": "boolean"},
        "icao": {"type": "string", "pattern": "^[0-9a-f]{6}$"},
        "callsign": {"type": "string"},
    },
    "additionalProperties": False,
}

_REQUIRED = ("t", "target", "class", "lat", "lon", "alt_m", "vel_enu_mps", "hostile", "cooperative")


def read_truth(path: Path | str) -> TruthTable:
    """Read ``truth.jsonl``; bad lines are rejected with a counted reason and skipped."""
    targets: dict[str, int] = {}
    infos: list[TargetInfo] = []
    cols: dict[str, list[Any]] = {k: [] for k in ("t", "idx", "lat", "lon", "alt", "vel")}
    rejected: Counter[str] = Counter()
    for d in iter_objects(path, rejected):
        missing = [k for k in _REQUIRED if k not in d]
        if missing:
            rejected[f"{missing[0]}: missing"] += 1
            continue
        try:
            vals = [float(d[k]) for k in ("t", "lat", "lon", "alt_m")]
            vel = [float(x) for x in d["vel_enu_mps"]]
        except (TypeError, ValueError):
            rejected["numeric field: not a number"] += 1
            continue
        if len(vel) != 3 or not all(math.isfinite(x) for x in [*vals, *vel]):
            rejected["numeric field: not finite or wrong length"] += 1
            continue
        tid = str(d["target"])
        if tid not in targets:
            targets[tid] = len(infos)
            infos.append(
                TargetInfo(
                    tid,
                    str(d["class"]),
                    bool(d["hostile"]),
                    bool(d["cooperative"]),
                    tid.rsplit("-", 1)[0],
                    d.get("icao"),
                    d.get("callsign"),
                )
            )
        cols["t"].append(vals[0])
        cols["idx"].append(targets[tid])
        cols["lat"].append(vals[1])
        cols["lon"].append(vals[2])
        cols["alt"].append(vals[3])
        cols["vel"].append(vel)
    return TruthTable(
        targets=infos,
        t=np.asarray(cols["t"], dtype=float),
        idx=np.asarray(cols["idx"], dtype=np.int64),
        lat=np.asarray(cols["lat"], dtype=float),
        lon=np.asarray(cols["lon"], dtype=float),
        alt=np.asarray(cols["alt"], dtype=float),
        vel=np.asarray(cols["vel"], dtype=float).reshape(-1, 3),
        rejected=rejected,
    )
