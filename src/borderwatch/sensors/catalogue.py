"""Sensor catalogues: acoustic signatures and node parameters, radars and RCS, ADS-B (YAML, every number sourced).

Files live in ``sensors/data/`` (``acoustic.yaml``, ``radar.yaml``); a bad catalogue is an
:class:`~borderwatch.errors.InputError` naming the field.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import Field

from borderwatch.config import Sourced, SourcedRange, Strict, load_model


def data_dir() -> Path:
    return Path(str(resources.files("borderwatch.sensors") / "data"))


class SourcedList(Strict):
    values: list[float] = Field(min_length=1)
    source: str = Field(min_length=3)


class AcousticClass(Strict):
    """One class's acoustic signature (``silent`` classes emit nothing the node can hear)."""

    silent: bool = False
    source: str | None = None
    level_db: Sourced | None = None
    f0_hz: SourcedRange | None = None
    harmonic_db: SourcedList | None = None
    broadband_db: Sourced | None = None

    def model_post_init(self, __context: Any) -> None:
        if not self.silent and (self.level_db is None or self.f0_hz is None or self.harmonic_db is None):
            raise ValueError("a non-silent class needs level_db, f0_hz and harmonic_db")
        if self.silent and not self.source:
            raise ValueError("a silent class needs a source or 'assumption'")


class ArraySpec(Strict):
    ring_radius_m: Sourced
    ring_mics: Sourced
    centre_height_m: Sourced
    height_agl_m: Sourced


class NodeSpec(Strict):
    fs_hz: Sourced
    window_s: Sourced
    nfft: Sourced
    band_hz: SourcedRange
    harmonics_searched: Sourced
    pfa_window: Sourced
    bearing_floor_deg: Sourced
    class_hint_correct: Sourced
    max_range_m: Sourced
    array: ArraySpec


class AmbientLevel(Strict):
    level_1k_db: float
    slope_db_decade: float
    source: str = Field(min_length=3)


class WindNoise(Strict):
    ref_speed_mps: float = Field(gt=0)
    level_100_db: Sourced
    speed_exponent_db: Sourced
    slope_db_decade: Sourced


class Ambient(Strict):
    night: AmbientLevel
    day: AmbientLevel
    wind: WindNoise


class Ground(Strict):
    model: str
    source: str


class AcousticCatalogue(Strict):
    classes: dict[str, AcousticClass]
    node: NodeSpec
    ambient: Ambient
    ground: Ground


class RadarSpec(Strict):
    label: str
    scan_period_s: Sourced
    instrumented_range_m: Sourced
    max_altitude_m: Sourced
    min_elevation_deg: Sourced
    max_elevation_deg: Sourced
    antenna_height_agl_m: Sourced
    ref_range_m: Sourced
    snr_ref_db: Sourced
    pfa: Sourced
    sigma_range_m: Sourced
    sigma_az_deg: Sourced
    sigma_el_deg: Sourced
    sigma_rr_mps: Sourced
    clutter_fa_per_scan: Sourced
    clutter_max_range_m: Sourced
    bird_fa_per_scan: Sourced
    bird_max_range_m: Sourced
    bird_max_alt_m: Sourced
    rcs_sigma_db: Sourced


class AdsbSpec(Strict):
    range_m: Sourced
    antenna_height_agl_m: Sourced
    interval_s: Sourced
    sigma_pos_m: Sourced
    sigma_alt_m: Sourced
    p_receive: Sourced


class RadarCatalogue(Strict):
    radars: dict[str, RadarSpec]
    rcs_m2: dict[str, Sourced]
    adsb: AdsbSpec


@functools.cache
def load_acoustic_catalogue(path: str | None = None) -> AcousticCatalogue:
    return load_model(AcousticCatalogue, path or data_dir() / "acoustic.yaml")


@functools.cache
def load_radar_catalogue(path: str | None = None) -> RadarCatalogue:
    return load_model(RadarCatalogue, path or data_dir() / "radar.yaml")
