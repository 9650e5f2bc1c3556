"""Engagement zones: where an intercept may happen (our own territory, outside no-fire areas, per-effector rules).

An interceptor crossing the border is a political act, debris falls on towns, jamming spills across the
border and gun rounds come down somewhere: the rules come from ``engagement_zones.yaml`` (sourced or
``assumption``) and the theatre (home polygon, places). Points are in the theatre's projected CRS (m).

>>> from borderwatch.theatre import load_theatre
>>> z = EngagementZones.for_theatre(load_theatre("latvia-east"))
>>> x, y = z.theatre.xy([56.50, 56.30], [27.33, 28.60])   # Rēzekne centre; inside Russia
>>> z.allowed("interceptor", x, y).tolist()
[False, False]
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pydantic import Field

from borderwatch.config import Sourced, Strict, load_model
from borderwatch.theatre.model import Theatre

BoolArray = NDArray[np.bool_]


class _Towns(Strict):
    min_population: Sourced
    radius_m_per_sqrt_inhabitant: Sourced
    min_radius_m: Sourced


class _Area(Strict):
    name: str = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(gt=0)
    source: str = Field(min_length=3)


class _EffectorRule(Strict):
    min_border_distance_m: Sourced | None = None
    open_ground_radius_factor: Sourced | None = None


class ZonesFile(Strict):
    towns: _Towns
    areas: list[_Area] = Field(default_factory=list)
    effectors: dict[str, _EffectorRule] = Field(default_factory=dict)
    sample_step_s: Sourced


def _data(name: str) -> Path:
    return Path(str(resources.files("borderwatch.response") / "data" / name))


def load_zones_file(path: Path | str | None = None) -> ZonesFile:
    return load_model(ZonesFile, path or _data("engagement_zones.yaml"))


@dataclass(slots=True)
class EngagementZones:
    """Vectorised zone tests over intercept points (projected metres)."""

    theatre: Theatre
    spec: ZonesFile
    home: object  # prepared shapely polygon of the home country
    no_fire: object  # union of no-fire circles (prepared), or an empty geometry
    built_up: object  # union of the built-up circles of every place at home (for open-ground rules)
    border: object  # the home country's land border with its neighbours (projected)
    no_fire_names: list[tuple[str, float, float, float]]  # name, x, y, radius

    @classmethod
    def for_theatre(cls, theatre: Theatre, path: Path | str | None = None) -> EngagementZones:
        spec = load_zones_file(path)
        key = f"zones:{path or 'default'}"
        if key in theatre._cache:
            z: EngagementZones = theatre._cache[key]
            return z
        home = theatre.project(theatre.home.geometry)
        shapely.prepare(home)
        t = spec.towns
        names: list[tuple[str, float, float, float]] = []
        circles = []
        built = []
        for p in theatre.places:
            if not p.in_home:
                continue
            x, y = theatre.xy([p.lat], [p.lon])
            r = max(t.min_radius_m.value, t.radius_m_per_sqrt_inhabitant.value * float(np.sqrt(max(p.population, 0))))
            c = shapely.Point(float(x[0]), float(y[0])).buffer(r, 16)
            built.append(c)
            if p.population >= t.min_population.value:
                circles.append(c)
                names.append((p.name, float(x[0]), float(y[0]), r))
        for a in spec.areas:
            x, y = theatre.xy([a.lat], [a.lon])
            circles.append(shapely.Point(float(x[0]), float(y[0])).buffer(a.radius_m, 16))
            names.append((a.name, float(x[0]), float(y[0]), a.radius_m))
        no_fire = shapely.union_all(circles) if circles else shapely.GeometryCollection()
        built_up = shapely.union_all(built) if built else shapely.GeometryCollection()
        shapely.prepare(no_fire)
        shapely.prepare(built_up)
        land = [theatre.project(sg.geometry) for sg in theatre.segments]
        border = shapely.union_all(land) if land else home.boundary
        z = cls(theatre, spec, home, no_fire, built_up, border, names)
        theatre._cache[key] = z
        return z

    def inside_home(self, x: ArrayLike, y: ArrayLike) -> BoolArray:
        return np.asarray(shapely.contains_xy(self.home, x, y), dtype=bool)

    def border_distance_m(self, x: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
        pts = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        return np.asarray(shapely.distance(pts, self.border), dtype=float)

    def allowed(self, kind: str, x: ArrayLike, y: ArrayLike) -> BoolArray:
        """Whether an effector of ``kind`` may engage at each point."""
        xa = np.asarray(x, dtype=float)
        ya = np.asarray(y, dtype=float)
        ok = self.inside_home(xa, ya)
        if not ok.any():
            return ok
        ok &= ~np.asarray(shapely.contains_xy(self.no_fire, xa, ya), dtype=bool)
        rule = self.spec.effectors.get(kind)
        if rule is not None and ok.any():
            if rule.min_border_distance_m is not None and rule.min_border_distance_m.value > 0:
                idx = np.flatnonzero(ok)
                ok[idx] &= self.border_distance_m(xa[idx], ya[idx]) >= rule.min_border_distance_m.value
            if rule.open_ground_radius_factor is not None and rule.open_ground_radius_factor.value > 0:
                ok &= ~np.asarray(shapely.contains_xy(self.built_up, xa, ya), dtype=bool)
        return ok

    def why_not(self, kind: str, x: float, y: float) -> str:
        """A short reason why a point is not allowed for ``kind`` (or '' when it is)."""
        if not bool(self.inside_home([x], [y])[0]):
            return "outside our territory"
        for name, cx, cy, r in self.no_fire_names:
            if np.hypot(x - cx, y - cy) <= r:
                return f"inside the no-fire area of {name}"
        if not bool(self.allowed(kind, [x], [y])[0]):
            rule = self.spec.effectors.get(kind)
            m = rule.min_border_distance_m if rule is not None else None
            if m is not None and m.value > 0 and float(self.border_distance_m([x], [y])[0]) < m.value:
                return f"{kind} must engage ≥ {m.value / 1000:.1f} km inside the border"
            return f"{kind} only over open ground, not over a built-up area"
        return ""
