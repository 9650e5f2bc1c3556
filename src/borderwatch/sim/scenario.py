"""Scenario files: schema, validation against the catalogue and the theatre, presets.

A scenario is a YAML file (see docs/formats.md) with a start time, a duration, a seed, weather, and groups
of targets (``raids`` for hostile or stray drones, ``traffic`` for civil aircraft, birds and other tracks).
Each group has a class from the target catalogue, a launch area, a count and a spacing, and either a
route with targets (behaviour ``route``), an area to loiter in (``loiter``), or a route with a veer
point (``stray``: GNSS jamming sends the drone off its course on a new heading).
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, Field, field_validator

from borderwatch.config import Strict, read_yaml, validate
from borderwatch.errors import InputError, NotFoundError
from borderwatch.sim.catalogue import TargetCatalogue, load_catalogue
from borderwatch.theatre.model import Theatre


class Point(Strict):
    """A point given either by coordinates or by the name of a place in the theatre."""

    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    place: str | None = None
    alt_agl_m: float | None = Field(default=None, ge=0)

    def model_post_init(self, __context: Any) -> None:
        has_ll = self.lat is not None and self.lon is not None
        if not has_ll and self.place is None:
            raise ValueError("give lat and lon, or place")
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon")


class Area(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_km: float = Field(default=0.0, ge=0)
    side: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")  # country the points must lie in


class Veer(Strict):
    """Where a stray drone leaves its course and the heading it flies after (GNSS jamming)."""

    after_s: float = Field(gt=0)
    heading_deg: float = Field(ge=0, lt=360)
    heading_spread_deg: float = Field(default=0.0, ge=0, le=90)


class Wind(Strict):
    speed_mps: float = Field(default=0.0, ge=0, le=60)
    from_deg: float = Field(default=0.0, ge=0, lt=360)


class Weather(Strict):
    temperature_c: float = Field(default=10.0, ge=-60, le=60)
    humidity_pct: float = Field(default=70.0, ge=0, le=100)
    wind: Wind = Wind()


class Outage(Strict):
    """A sensor (id, or a shell pattern such as ``ac-l0-00*``) out of service from ``start_s`` to ``end_s``
    (seconds after the scenario start)."""

    sensor: str = Field(min_length=1)
    start_s: float = Field(ge=0)
    end_s: float = Field(gt=0)

    def model_post_init(self, __context: Any) -> None:
        if self.end_s <= self.start_s:
            raise ValueError(f"end_s {self.end_s} must be after start_s {self.start_s}")


class SensorOptions(Strict):
    """Sensor options of a scenario: layout, outages, clock error and the ambient-noise regime."""

    layout: str | None = None  # shipped layout name or file; default: the theatre's default layout
    outages: list[Outage] = Field(default_factory=list)
    clock_error_s: float = Field(default=0.0, ge=0, le=60)  # std of each node's constant clock offset
    ambient: Literal["auto", "night", "day"] = "auto"  # auto: from the local time of the start


class Group(Strict):
    """A group of targets of one class."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    class_: str = Field(alias="class")
    count: int = Field(gt=0, le=10000)
    behaviour: Literal["route", "loiter", "stray"] = "route"
    launch: Area
    launch_time_s: float = Field(default=0.0, ge=0)
    spacing_s: float = Field(default=0.0, ge=0)
    route: list[Point] = Field(default_factory=list)
    route_spread_km: float = Field(default=0.0, ge=0)
    targets: list[Point] = Field(default_factory=list)
    target_spread_km: float = Field(default=0.0, ge=0)
    area: Area | None = None
    veer: Veer | None = None
    speed_mps: float | None = Field(default=None, gt=0)
    alt_agl_m: float | None = Field(default=None, gt=0)
    alt_spread_m: float = Field(default=0.0, ge=0)
    end_after_s: float | None = Field(default=None, gt=0)
    hostile: bool | None = None
    icao: list[str] = Field(default_factory=list)
    callsigns: list[str] = Field(default_factory=list)

    model_config = Strict.model_config | {"populate_by_name": True}

    @field_validator("icao")
    @classmethod
    def _icao_hex(cls, v: list[str]) -> list[str]:
        for a in v:
            if len(a) != 6 or any(c not in "0123456789abcdefABCDEF" for c in a):
                raise ValueError(f"ICAO address {a!r} is not 6 hex digits")
        return [a.lower() for a in v]

    def model_post_init(self, __context: Any) -> None:
        if self.behaviour == "route" and not self.targets and not self.route:
            raise ValueError("behaviour 'route' needs targets or a route")
        if self.behaviour == "loiter" and self.area is None:
            raise ValueError("behaviour 'loiter' needs an area")
        if self.behaviour == "stray" and self.veer is None:
            raise ValueError("behaviour 'stray' needs veer")


class Scenario(Strict):
    name: str
    description: str = ""
    theatre: str = "latvia-east"
    start_time: AwareDatetime
    duration_s: float = Field(gt=0, le=7 * 86400)
    dt_s: float = Field(default=1.0, gt=0, le=60)
    seed: int = Field(ge=0)
    weather: Weather = Weather()
    raids: list[Group] = Field(default_factory=list)
    traffic: list[Group] = Field(default_factory=list)
    #: written by ``simulate`` into the resolved scenario.yaml (ids, ICAO addresses); ignored on input
    resolved_targets: list[dict[str, Any]] = Field(default_factory=list)
    sensors: SensorOptions = SensorOptions()

    @property
    def t0(self) -> float:
        """Start time as UTC epoch seconds."""
        return self.start_time.astimezone(UTC).timestamp()

    @property
    def groups(self) -> list[tuple[str, int, Group]]:
        """All groups with the list they came from and their index: ``("raids", 0, group)``."""
        return [("raids", i, g) for i, g in enumerate(self.raids)] + [
            ("traffic", i, g) for i, g in enumerate(self.traffic)
        ]

    def to_yaml_dict(self) -> dict[str, Any]:
        d = self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"resolved_targets"})
        d["start_time"] = self.start_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return d


# --- presets and loading ----------------------------------------------------------------------------


def presets_dir() -> Path:
    return Path(str(resources.files("borderwatch.sim") / "data" / "presets"))


def list_presets() -> list[str]:
    return sorted(p.stem for p in presets_dir().glob("*.yaml"))


def resolve_scenario_path(name_or_file: str | Path) -> Path:
    p = Path(name_or_file)
    if p.is_file():
        return p
    preset = presets_dir() / f"{name_or_file}.yaml"
    if preset.is_file():
        return preset
    raise NotFoundError(f"no scenario {str(name_or_file)!r}: give a file or a preset ({', '.join(list_presets())})")


def parse_scenario(data: Any, *, source: str) -> Scenario:
    """Validate decoded YAML as a scenario (schema only; see :func:`check_scenario` for the rest)."""
    return validate(Scenario, data, source=source)


def check_scenario(
    sc: Scenario, theatre: Theatre, catalogue: TargetCatalogue | None = None, *, source: str = "scenario"
) -> None:
    """Check a scenario against the catalogue and the theatre; raise a one-line InputError on the first fault.

    Checks: known class; speed and altitude within the class limits; every launch area, route point,
    target and loiter area inside the theatre's bounding box; named places exist; ``side`` countries exist.
    """
    cat = catalogue or load_catalogue()
    for list_name, i, g in sc.groups:
        where = f"{list_name}[{i}]"
        if g.class_ not in cat.classes:
            raise InputError(
                f"unknown class {g.class_!r} (known: {', '.join(sorted(cat.classes))})",
                source=source,
                field=f"{where}.class",
            )
        tc = cat.classes[g.class_]
        if g.speed_mps is not None and not tc.speed_mps.min <= g.speed_mps <= tc.speed_mps.max:
            raise InputError(
                f"{g.speed_mps} m/s outside the {g.class_} limits [{tc.speed_mps.min}, {tc.speed_mps.max}]",
                source=source,
                field=f"{where}.speed_mps",
            )
        if g.alt_agl_m is not None and not tc.alt_agl_m.min <= g.alt_agl_m <= tc.alt_agl_m.max:
            raise InputError(
                f"{g.alt_agl_m} m outside the {g.class_} limits [{tc.alt_agl_m.min}, {tc.alt_agl_m.max}]",
                source=source,
                field=f"{where}.alt_agl_m",
            )
        if tc.cooperative and g.icao and len(g.icao) < g.count:
            raise InputError(
                f"{len(g.icao)} ICAO addresses for {g.count} aircraft", source=source, field=f"{where}.icao"
            )
        areas: list[tuple[str, Area]] = [(f"{where}.launch", g.launch)]
        if g.area is not None:
            areas.append((f"{where}.area", g.area))
        for fld, a in areas:
            _inside(theatre, a.lat, a.lon, source, fld)
            if a.side is not None:
                if a.side not in theatre.countries:
                    raise InputError(
                        f"unknown country {a.side!r} (theatre has {', '.join(sorted(theatre.countries))})",
                        source=source,
                        field=f"{fld}.side",
                    )
                if theatre.country_at(a.lat, a.lon)[0] != a.side:
                    raise InputError(f"centre ({a.lat}, {a.lon}) is not in {a.side}", source=source, field=f"{fld}.lat")
        for key, pts in (("route", g.route), ("targets", g.targets)):
            for j, p in enumerate(pts):
                lat, lon = resolve_point(p, theatre, source=source, field=f"{where}.{key}[{j}]")
                _inside(theatre, lat, lon, source, f"{where}.{key}[{j}]")


def resolve_point(p: Point, theatre: Theatre, *, source: str, field: str) -> tuple[float, float]:
    if p.lat is not None and p.lon is not None:
        return p.lat, p.lon
    assert p.place is not None
    try:
        pl = theatre.place(p.place)
    except NotFoundError as exc:
        raise InputError(str(exc), source=source, field=f"{field}.place") from None
    return pl.lat, pl.lon


def _inside(theatre: Theatre, lat: float, lon: float, source: str, field: str) -> None:
    if not bool(theatre.in_bbox(lat, lon)):
        raise InputError(
            f"({lat}, {lon}) is outside theatre {theatre.name!r} (lon/lat bbox {list(theatre.bbox)})",
            source=source,
            field=field,
        )


def load_scenario(name_or_file: str | Path) -> Scenario:
    """Load and schema-check a scenario by preset name or file path."""
    path = resolve_scenario_path(name_or_file)
    return parse_scenario(read_yaml(path), source=str(path))


def utc_iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
