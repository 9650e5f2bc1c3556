"""Threat-evaluation parameters (``threat/data/threat.yaml``), each with its source."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import Field

from borderwatch.config import Sourced, Strict, load_model


class IdentityRules(Strict):
    hostile_p: Sourced
    suspect_p: Sourced
    neutral_bio_p: Sourced


class Prediction(Strict):
    horizon_s: Sourced
    velocity_sigma_mps: Sourced
    min_speed_mps: Sourced


class AlertRules(Strict):
    approach_km: Sourced
    predicted_crossing_s: Sourced
    asset_s: Sourced
    lost_after_s: Sourced
    lost_min_track_age_s: Sourced


class Score(Strict):
    urgency_tau_s: Sourced


class ThreatConfig(Strict):
    hostile_classes: list[str] = Field(min_length=1)
    biological_classes: list[str] = Field(default_factory=list)
    watched_neighbours: list[str] = Field(min_length=1)
    friendly_icao: list[str] = Field(default_factory=list)
    identity: IdentityRules
    prediction: Prediction
    asset_radius_m: dict[str, Sourced]
    alerts: AlertRules
    score: Score
    damage_fraction: dict[str, Sourced]
    unthreatened_damage_eur: Sourced
    threat_value_eur: dict[str, Sourced]


def default_threat_config_path() -> Path:
    return Path(str(resources.files("borderwatch.threat") / "data" / "threat.yaml"))


@cache
def _load(path: str) -> ThreatConfig:
    return load_model(ThreatConfig, path)


def load_threat_config(path: Path | str | None = None) -> ThreatConfig:
    return _load(str(path or default_threat_config_path()))
