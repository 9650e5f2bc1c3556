"""Records of the threat layer: the track point it reads and the assessments and alerts it writes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from borderwatch.errors import InputError


class Identity(StrEnum):
    """APP-6 / STANAG 1241 standard identities used here."""

    HOSTILE = "hostile"
    SUSPECT = "suspect"
    UNKNOWN = "unknown"
    NEUTRAL = "neutral"
    FRIEND = "friend"


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """One confirmed track at one time, as written to tracks.jsonl by the tracker."""

    t: float
    track: str
    lat: float
    lon: float
    alt_m: float
    vel_enu_mps: tuple[float, float, float]
    cov_pos_enu_m2: tuple[tuple[float, ...], ...]
    status: str
    cls: Mapping[str, float]
    sensors: tuple[str, ...] = ()
    cooperative: bool = False
    icao: str | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> TrackPoint:
        """From a tracks.jsonl object; raises InputError naming the field."""
        try:
            vel = tuple(float(x) for x in d["vel_enu_mps"])
            cov = tuple(tuple(float(x) for x in row) for row in d["cov_pos_enu_m2"])
            tp = cls(
                t=float(d["t"]),
                track=str(d["track"]),
                lat=float(d["lat"]),
                lon=float(d["lon"]),
                alt_m=float(d["alt_m"]),
                vel_enu_mps=(vel[0], vel[1], vel[2]),
                cov_pos_enu_m2=cov,
                status=str(d.get("status", "confirmed")),
                cls={str(k): float(v) for k, v in dict(d.get("class") or {}).items()},
                sensors=tuple(str(s) for s in d.get("sensors") or ()),
                cooperative=bool(d.get("cooperative", False)),
                icao=d.get("icao"),
            )
        except KeyError as exc:
            raise InputError("missing field", field=str(exc.args[0])) from None
        except (TypeError, ValueError, IndexError) as exc:
            raise InputError(f"bad value ({exc})", field="track point") from None
        if len(cov) != 3 or any(len(r) != 3 for r in cov):
            raise InputError("must be a 3x3 list", field="cov_pos_enu_m2")
        if not all(math.isfinite(x) for x in (tp.t, tp.lat, tp.lon, tp.alt_m, *tp.vel_enu_mps)):
            raise InputError("not finite", field="t/lat/lon/alt_m/vel_enu_mps")
        return tp


@dataclass(frozen=True, slots=True)
class Crossing:
    """A predicted border crossing of a track still outside the country."""

    t: float  # UTC epoch s
    lat: float
    lon: float
    segment: str | None
    sigma_m: float  # 1-sigma position uncertainty of the crossing point
    sigma_s: float  # 1-sigma time uncertainty


@dataclass(frozen=True, slots=True)
class AssetThreat:
    asset: str
    kind: str
    t_reach: float  # UTC epoch s of the closest approach
    miss_m: float
    value_eur: float


@dataclass(frozen=True, slots=True)
class Assessment:
    """The threat picture of one track at one time."""

    t: float
    track: str
    lat: float
    lon: float
    identity: Identity
    main_class: str
    p_hostile_class: float
    inside: bool
    launch_side: str
    crossing: Crossing | None
    crossed_at: float | None
    assets: tuple[AssetThreat, ...]
    damage_eur: float
    score: float
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "t": round(self.t, 3),
            "track": self.track,
            "identity": self.identity.value,
            "class": self.main_class,
            "p_hostile_class": round(self.p_hostile_class, 3),
            "inside": self.inside,
            "launch_side": self.launch_side,
            "score": round(self.score, 4),
            "damage_eur": round(self.damage_eur, 0),
            "reasons": list(self.reasons),
        }
        if self.crossing is not None:
            c = self.crossing
            d["crossing"] = {
                "t": round(c.t, 1),
                "lat": round(c.lat, 5),
                "lon": round(c.lon, 5),
                "segment": c.segment,
                "sigma_m": round(c.sigma_m, 0),
                "sigma_s": round(c.sigma_s, 1),
            }
        if self.assets:
            d["assets"] = [
                {"asset": a.asset, "kind": a.kind, "t_reach": round(a.t_reach, 1), "miss_m": round(a.miss_m, 0)}
                for a in self.assets
            ]
        return d
