"""Alerts: approaching the border, predicted crossing, crossed, approaching an asset, lost inside.

An :class:`AlertBook` raises each (track, kind, asset) alert once, keeps the open ones, and records
acknowledgements (who and when). Neutral and friendly tracks raise no alerts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from borderwatch.errors import NotFoundError
from borderwatch.theatre.model import Theatre
from borderwatch.threat.config import ThreatConfig, load_threat_config
from borderwatch.threat.model import Assessment, Identity


class AlertKind(StrEnum):
    APPROACHING_BORDER = "approaching_border"
    PREDICTED_CROSSING = "predicted_crossing"
    CROSSED = "crossed"
    APPROACHING_ASSET = "approaching_asset"
    LOST_INSIDE = "lost_inside"


LEVEL = {
    AlertKind.APPROACHING_BORDER: "info",
    AlertKind.PREDICTED_CROSSING: "warning",
    AlertKind.CROSSED: "alarm",
    AlertKind.APPROACHING_ASSET: "alarm",
    AlertKind.LOST_INSIDE: "warning",
}


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    t: float
    kind: AlertKind
    level: str
    track: str
    identity: str
    lat: float
    lon: float
    message: str
    asset: str | None = None
    acknowledged_by: str | None = None
    acknowledged_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "t": round(self.t, 3),
            "kind": self.kind.value,
            "level": self.level,
            "track": self.track,
            "identity": self.identity,
            "lat": round(self.lat, 5),
            "lon": round(self.lon, 5),
            "message": self.message,
        }
        if self.asset:
            d["asset"] = self.asset
        if self.acknowledged_by:
            d["acknowledged_by"] = self.acknowledged_by
            d["acknowledged_at"] = self.acknowledged_at
        return d


@dataclass(slots=True)
class AlertBook:
    theatre: Theatre
    config: ThreatConfig = field(default_factory=load_threat_config)
    alerts: dict[str, Alert] = field(default_factory=dict)
    _keys: set[tuple[str, str, str]] = field(default_factory=set)
    _last: dict[str, Assessment] = field(default_factory=dict)
    _first: dict[str, float] = field(default_factory=dict)
    _n: int = 0  # alerts raised (ids stay unique when old ones are forgotten)

    def forget(self, tracks: set[str]) -> None:
        """Forget these tracks: their acknowledged alerts, dedup keys and first-seen times (a live engine's
        bounded memory; unacknowledged alerts are never dropped here)."""
        self.alerts = {
            k: a for k, a in self.alerts.items() if not (a.track in tracks and a.acknowledged_by is not None)
        }
        self._keys = {key for key in self._keys if key[0] not in tracks}
        for k in tracks:
            self._first.pop(k, None)
            self._last.pop(k, None)

    def _raise(self, a: Assessment, kind: AlertKind, msg: str, asset: str | None = None) -> Alert | None:
        key = (a.track, kind.value, asset or "")
        if key in self._keys:
            return None
        self._keys.add(key)
        self._n += 1
        al = Alert(
            id=f"A{self._n:05d}",
            t=a.t,
            kind=kind,
            level=LEVEL[kind],
            track=a.track,
            identity=a.identity.value,
            lat=a.lat,
            lon=a.lon,
            message=msg,
            asset=asset,
        )
        self.alerts[al.id] = al
        return al

    def update(self, t: float, assessments: Iterable[Assessment]) -> list[Alert]:
        """New alerts raised by one emit time's assessments (and by tracks lost since the last one)."""
        rules = self.config.alerts
        new: list[Alert] = []
        seen: set[str] = set()
        for a in assessments:
            seen.add(a.track)
            self._last[a.track] = a
            self._first.setdefault(a.track, a.t)
            if a.identity in (Identity.NEUTRAL, Identity.FRIEND):
                continue
            who = f"{a.identity.value} {a.main_class} track {a.track}"
            if not a.inside and a.crossing is not None:
                dist_km = float(self.theatre.distance_to_border_m(a.lat, a.lon)[0]) / 1000
                if dist_km <= rules.approach_km.value:
                    al = self._raise(
                        a, AlertKind.APPROACHING_BORDER, f"{who} {dist_km:.1f} km from the border, closing"
                    )
                    new += [al] if al else []
                if a.crossing.t - t <= rules.predicted_crossing_s.value:
                    c = a.crossing
                    al = self._raise(
                        a,
                        AlertKind.PREDICTED_CROSSING,
                        f"{who} predicted to cross {c.segment} in {c.t - t:.0f} s (±{c.sigma_s:.0f} s) at "
                        f"{c.lat:.4f}, {c.lon:.4f} (±{c.sigma_m / 1000:.1f} km)",
                    )
                    new += [al] if al else []
            if a.inside and a.crossed_at is not None:
                al = self._raise(a, AlertKind.CROSSED, f"{who} crossed into the country")
                new += [al] if al else []
            for th in a.assets:
                if th.t_reach - t <= rules.asset_s.value:
                    al = self._raise(
                        a,
                        AlertKind.APPROACHING_ASSET,
                        f"{who} reaches {th.asset} ({th.kind}) in {th.t_reach - t:.0f} s",
                        asset=th.asset,
                    )
                    new += [al] if al else []
        for tid, last in list(self._last.items()):
            if tid in seen:
                continue
            if t - last.t >= rules.lost_after_s.value:
                del self._last[tid]
                age = last.t - self._first.get(tid, last.t)
                if (
                    last.inside
                    and last.identity not in (Identity.NEUTRAL, Identity.FRIEND)
                    and age >= rules.lost_min_track_age_s.value
                ):
                    al = self._raise(
                        replace(last, t=t),
                        AlertKind.LOST_INSIDE,
                        f"{last.identity.value} {last.main_class} track {tid} lost inside the country "
                        f"(last {last.lat:.4f}, {last.lon:.4f}): possible crash",
                    )
                    new += [al] if al else []
        return new

    def acknowledge(self, alert_id: str, *, who: str, t: float) -> Alert:
        """Record who acknowledged an alert and when; acknowledging twice keeps the first."""
        if alert_id not in self.alerts:
            raise NotFoundError(f"no alert {alert_id!r}")
        al = self.alerts[alert_id]
        if al.acknowledged_by is None:
            al = replace(al, acknowledged_by=who, acknowledged_at=t)
            self.alerts[alert_id] = al
        return al

    @property
    def open(self) -> list[Alert]:
        return [a for a in self.alerts.values() if a.acknowledged_by is None]
