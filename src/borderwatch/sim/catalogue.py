"""The target-class catalogue (``sim/data/targets.yaml``): motion limits with their sources."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import Field, model_validator

from borderwatch.config import Sourced, SourcedRange, Strict, load_model


class TargetClass(Strict):
    """Motion limits of one target class (SI units; speeds are airspeeds)."""

    label: str
    hostile: bool
    cooperative: bool
    guidance: str = Field(pattern=r"^(gnss|rf|inertial|pilot|none)$")
    speed_mps: SourcedRange
    alt_agl_m: SourcedRange
    turn_rate_max_deg_s: Sourced
    climb_rate_max_mps: Sourced
    accel_max_mps2: Sourced
    speed_noise_mps: Sourced
    turn_noise_deg_s: Sourced
    endurance_s: Sourced

    @model_validator(mode="after")
    def _positive(self) -> TargetClass:
        if self.speed_mps.min < 0:
            raise ValueError("speed_mps.min must be >= 0")
        if self.alt_agl_m.min < 0:
            raise ValueError("alt_agl_m.min must be >= 0")
        for name in ("turn_rate_max_deg_s", "climb_rate_max_mps", "accel_max_mps2", "endurance_s"):
            if getattr(self, name).value <= 0:
                raise ValueError(f"{name}.value must be > 0")
        return self

    @property
    def cruise_mps(self) -> float:
        return self.speed_mps.typical if self.speed_mps.typical is not None else self.speed_mps.max

    @property
    def cruise_agl_m(self) -> float:
        return self.alt_agl_m.typical if self.alt_agl_m.typical is not None else self.alt_agl_m.min


class TargetCatalogue(Strict):
    classes: dict[str, TargetClass] = Field(min_length=1)


def default_catalogue_path() -> Path:
    return Path(str(resources.files("borderwatch.sim") / "data" / "targets.yaml"))


@cache
def _load(path: str) -> TargetCatalogue:
    return load_model(TargetCatalogue, path)


def load_catalogue(path: Path | str | None = None) -> TargetCatalogue:
    """Load a target catalogue (default: the shipped one)."""
    return _load(str(path or default_catalogue_path()))
