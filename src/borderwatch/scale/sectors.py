"""Sectors of a theatre (YAML): core polygons that tile it and an overlap band around each.

A sector engine hears the sensors inside its *extended* polygon (the core grown by ``overlap_m``); a track
is shown by the sector whose *core* holds its position (:meth:`Sectors.owner`), so each point of the theatre
has exactly one owner and a drone in the overlap is seen by both engines but shown once.

>>> s = Sectors.from_dict({"overlap_m": 1000, "sectors": [
...     {"name": "w", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]]},
...     {"name": "e", "polygon": [[1, 0], [2, 0], [2, 1], [1, 1]]}]})
>>> s.owner(0.5, 0.5), s.owner(0.5, 1.5), s.hears("e", 0.5, 0.995), s.hears("e", 0.5, 0.9)
('w', 'e', True, False)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from borderwatch.errors import InputError

DATA = Path(__file__).parent / "data"
DEFAULT_SECTORS = DATA / "sectors-latvia-east.yaml"
M_PER_DEG_LAT = 110_574.0  # WGS84 mean, adequate for a band of kilometres


@dataclass(frozen=True, slots=True)
class Sector:
    name: str
    ring: tuple[tuple[float, float], ...]  # (lon, lat) degrees
    core: Any = field(repr=False)  # shapely polygon in local metres
    extended: Any = field(repr=False)


class Sectors:
    """The sectors of a deployment; positions are (lat, lon) degrees as elsewhere in borderwatch."""

    def __init__(self, sectors: list[Sector], *, overlap_m: float, gate_m: float, lat0: float, lon0: float):
        self.sectors = sectors
        self.by_name = {s.name: s for s in sectors}
        self.overlap_m = overlap_m
        self.gate_m = gate_m
        self.lat0, self.lon0 = lat0, lon0
        self._kx = 111_320.0 * math.cos(math.radians(lat0))

    # -- construction -----------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Any, *, source: str = "sectors") -> Sectors:
        import shapely

        if not isinstance(d, dict):
            raise InputError("not a mapping", source=source)
        overlap = d.get("overlap_m")
        if isinstance(overlap, bool) or not isinstance(overlap, int | float) or not 0 <= overlap <= 200_000:
            raise InputError("must be a number of metres in [0, 200000]", source=source, field="overlap_m")
        gate = d.get("gate_m", 2000.0)
        if isinstance(gate, bool) or not isinstance(gate, int | float) or not 0 < gate <= 50_000:
            raise InputError("must be a number of metres in (0, 50000]", source=source, field="gate_m")
        items = d.get("sectors")
        if not isinstance(items, list) or not items:
            raise InputError("must be a non-empty list", source=source, field="sectors")
        rings: list[tuple[str, list[tuple[float, float]]]] = []
        for i, it in enumerate(items):
            where = f"sectors[{i}]"
            if not isinstance(it, dict) or not isinstance(it.get("name"), str) or not it["name"]:
                raise InputError("needs a name", source=source, field=where)
            name = it["name"]
            if any(c not in "abcdefghijklmnopqrstuvwxyz0123456789-_" for c in name):
                raise InputError("name: lower-case letters, digits, - and _ only (a bus subject token)", field=where)
            poly: Any = it.get("polygon")
            try:
                ring = [(float(p[0]), float(p[1])) for p in poly]
            except (TypeError, ValueError, IndexError):
                raise InputError("polygon: a list of [lon, lat] pairs", source=source, field=where) from None
            if len(ring) < 3 or not all(math.isfinite(v) for p in ring for v in p):
                raise InputError("polygon: at least 3 finite [lon, lat] points", source=source, field=where)
            rings.append((name, ring))
        names = [n for n, _ in rings]
        if len(set(names)) != len(names):
            raise InputError("sector names must be unique", source=source, field="sectors")
        pts = [p for _, r in rings for p in r]
        lon0 = sum(p[0] for p in pts) / len(pts)
        lat0 = sum(p[1] for p in pts) / len(pts)
        kx = 111_320.0 * math.cos(math.radians(lat0))
        out = []
        for name, ring in rings:
            core = shapely.Polygon([((lo - lon0) * kx, (la - lat0) * M_PER_DEG_LAT) for lo, la in ring])
            if not core.is_valid or core.area <= 0:
                raise InputError("polygon: not a valid polygon", source=source, field=f"sector {name}")
            out.append(Sector(name, tuple(ring), core, core.buffer(float(overlap))))
        for a in range(len(out)):
            for b in range(a + 1, len(out)):
                if out[a].core.intersection(out[b].core).area > 1e-6 * min(out[a].core.area, out[b].core.area):
                    raise InputError(
                        f"sectors {out[a].name} and {out[b].name} overlap (cores must tile)", source=source
                    )
        return cls(out, overlap_m=float(overlap), gate_m=float(gate), lat0=lat0, lon0=lon0)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Sectors:
        p = Path(path) if path is not None else DEFAULT_SECTORS
        try:
            d = yaml.safe_load(p.read_text(encoding="utf-8"))
        except OSError as e:
            raise InputError(f"cannot read: {e.strerror}", source=str(p)) from None
        except yaml.YAMLError as e:
            raise InputError(f"not YAML: {e}", source=str(p)) from None
        return cls.from_dict(d, source=str(p))

    # -- geometry ---------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sectors]

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return (lon - self.lon0) * self._kx, (lat - self.lat0) * M_PER_DEG_LAT

    def owner(self, lat: float, lon: float) -> str | None:
        """The sector whose core holds the point; outside every core: the nearest core's sector."""
        import shapely

        p = shapely.Point(*self.xy(lat, lon))
        best, best_d = None, math.inf
        for s in self.sectors:
            d = s.core.distance(p)
            if d == 0:
                return s.name
            if d < best_d:
                best, best_d = s.name, d
        return best

    def hears(self, sector: str, lat: float, lon: float) -> bool:
        """Whether a point is in the sector's extended polygon (its core plus the overlap band)."""
        import shapely

        return bool(self.by_name[sector].extended.intersects(shapely.Point(*self.xy(lat, lon))))

    def in_overlap(self, sector: str, lat: float, lon: float) -> bool:
        """In the sector's extended polygon and within ``overlap_m`` of another sector's core."""
        import shapely

        p = shapely.Point(*self.xy(lat, lon))
        if not self.by_name[sector].extended.intersects(p):
            return False
        return any(s.name != sector and s.core.distance(p) <= self.overlap_m for s in self.sectors)

    def sensors_of(self, sector: str, sites: Iterable[Any]) -> list[Any]:
        """The sensor sites (objects with ``lat``/``lon``) a sector engine hears."""
        if sector not in self.by_name:
            raise InputError(f"unknown sector {sector!r}; the sectors are {', '.join(self.names)}", field="--sector")
        return [s for s in sites if self.hears(sector, float(s.lat), float(s.lon))]
