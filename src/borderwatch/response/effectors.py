"""Effector catalogue and layouts (YAML, sourced), loaded into vectorisable unit tables."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import Field

from borderwatch.config import Sourced, Strict, load_model
from borderwatch.errors import InputError


class EffectorType(Strict):
    label: str
    kind: str = Field(pattern=r"^(interceptor|ew|gun|fighter)$")
    speed_mps: Sourced
    reaction_s: Sourced
    endurance_s: Sourced
    engage_range_m: Sourced
    cost_per_shot_eur: Sourced
    cost_per_hour_eur: Sourced | None = None
    pk_default: Sourced
    pk: dict[str, Sourced] = Field(default_factory=dict)
    guidance: list[str] = Field(default_factory=list)

    def model_post_init(self, __context: object) -> None:
        for name in ("speed_mps", "reaction_s", "endurance_s", "engage_range_m", "cost_per_shot_eur"):
            if getattr(self, name).value < 0:
                raise ValueError(f"{name}.value must be >= 0")
        for k, v in {"pk_default": self.pk_default, **self.pk}.items():
            if not 0.0 <= v.value <= 1.0:
                raise ValueError(f"pk {k} = {v.value} outside [0, 1]")


class EffectorCatalogue(Strict):
    types: dict[str, EffectorType] = Field(min_length=1)


class UnitSpec(Strict):
    id: str = Field(min_length=1)
    type: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    magazine: int = Field(ge=0)
    channels: int = Field(ge=1)


class LayoutFile(Strict):
    theatre: str | None = None
    units: list[UnitSpec] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Unit:
    """One effector unit at a site, with its type's performance."""

    id: str
    type_id: str
    type: EffectorType
    lat: float
    lon: float
    magazine: int
    channels: int

    def pk_for(self, cls_probs: dict[str, float], guidance_of: dict[str, str]) -> float:
        """Kill probability against a track with class probabilities (EW only against its guidance types)."""
        pk = 0.0
        for c, p in cls_probs.items():
            if self.type.guidance and guidance_of.get(c, "none") not in self.type.guidance:
                continue
            pk += p * (self.type.pk[c].value if c in self.type.pk else self.type.pk_default.value)
        return pk


def _data(name: str) -> Path:
    return Path(str(resources.files("borderwatch.response") / "data" / name))


@cache
def _cat(path: str) -> EffectorCatalogue:
    return load_model(EffectorCatalogue, path)


def load_effector_catalogue(path: Path | str | None = None) -> EffectorCatalogue:
    return _cat(str(path or _data("effectors.yaml")))


def load_layout(path: Path | str | None = None, *, catalogue: EffectorCatalogue | None = None) -> list[Unit]:
    """Load an effector layout; unknown types and duplicate ids are errors naming the field."""
    p = Path(path) if path else _data("layout-latvia-east.yaml")
    cat = catalogue or load_effector_catalogue()
    lay = load_model(LayoutFile, p)
    units: list[Unit] = []
    seen: set[str] = set()
    for i, u in enumerate(lay.units):
        if u.type not in cat.types:
            raise InputError(
                f"unknown effector type {u.type!r} (known: {', '.join(sorted(cat.types))})",
                source=str(p),
                field=f"units[{i}].type",
            )
        if u.id in seen:
            raise InputError(f"duplicate unit id {u.id!r}", source=str(p), field=f"units[{i}].id")
        seen.add(u.id)
        units.append(Unit(u.id, u.type, cat.types[u.type], u.lat, u.lon, u.magazine, u.channels))
    return units
