"""Threat assessment of confirmed tracks: identity, predicted border crossing, threatened assets, score.

The assessor is a stepper: feed it the track points of one emit time after another
(:meth:`ThreatAssessor.step`); it remembers where each track was first seen (its launch side) and when it
crossed. Geometry is done in the theatre's projected CRS; ENU velocities are rotated into grid axes at each
track (meridian convergence is ≈3° on the eastern border in LKS-92, too much to ignore over 30 min).

>>> from borderwatch.theatre import load_theatre
>>> a = ThreatAssessor(load_theatre())
>>> tp = TrackPoint(t=0.0, track="T1", lat=56.70, lon=28.60, alt_m=400.0, vel_enu_mps=(-45.0, -10.0, 0.0),
...                 cov_pos_enu_m2=((900.0, 0, 0), (0, 900.0, 0), (0, 0, 2500.0)), status="confirmed",
...                 cls={"shahed": 0.9, "birds": 0.1})
>>> [x.identity.value for x in a.step(0.0, [tp])]
['hostile']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from borderwatch.theatre.model import Theatre
from borderwatch.threat.config import ThreatConfig, load_threat_config
from borderwatch.threat.model import Assessment, AssetThreat, Crossing, Identity, TrackPoint

FloatArray = NDArray[np.float64]

_IDENTITY_WEIGHT = {
    Identity.HOSTILE: 1.0,
    Identity.SUSPECT: 0.6,
    Identity.UNKNOWN: 0.3,
    Identity.NEUTRAL: 0.0,
    Identity.FRIEND: 0.0,
}


@dataclass(slots=True)
class _Memory:
    first_t: float
    launch_side: str
    crossed_at: float | None = None
    last_inside: bool = False


@dataclass(slots=True)
class ThreatAssessor:
    """Assesses confirmed tracks against a theatre's watched border and protected assets."""

    theatre: Theatre
    config: ThreatConfig = field(default_factory=load_threat_config)
    memory: dict[str, _Memory] = field(default_factory=dict)
    _border_xy: object = field(init=False, repr=False)
    _segments: list[tuple[str, object]] = field(init=False, repr=False)
    _seg_geoms: Any = field(init=False, repr=False)  # the segments as a shapely array, and their tree
    _seg_tree: Any = field(init=False, repr=False)
    _seg_owner: Any = field(init=False, repr=False)
    _asset_xy: FloatArray = field(init=False, repr=False)
    _asset_r: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        th = self.theatre
        self._border_xy = th.project(th.watched_border)
        self._segments = [(s.id, th.project(s.geometry)) for s in th.watched_segments]
        # the segments cut into their single edges, in a tree: a path is intersected only with the edges it meets
        edges, owner = [], []
        for k, (_, g) in enumerate(self._segments):
            for part in shapely.get_parts(g):
                c = shapely.get_coordinates(part)
                edges += [c[j : j + 2] for j in range(len(c) - 1)]
                owner += [k] * (len(c) - 1)
        coords = np.asarray(edges, dtype=float).reshape(-1, 2, 2)
        self._seg_geoms = shapely.linestrings(coords) if edges else np.array([], dtype=object)
        self._seg_owner = np.asarray(owner, dtype=np.int64)
        self._seg_tree = shapely.STRtree(self._seg_geoms)
        a = th.assets
        self._asset_xy = np.column_stack(th.xy([x.lat for x in a], [x.lon for x in a])) if a else np.zeros((0, 2))
        self._asset_r = np.array(
            [self.config.asset_radius_m.get(x.kind, self.config.asset_radius_m["town"]).value for x in a]
        )

    # --- geometry helpers ------------------------------------------------------------------------------
    def grid_state(self, lat: FloatArray, lon: FloatArray, ve: FloatArray, vn: FloatArray) -> tuple[FloatArray, ...]:
        """Positions in grid metres and ENU velocities rotated into grid axes."""
        x, y = self.theatre.xy(lat, lon)
        xn, yn = self.theatre.xy(lat + 1e-4, lon)
        gam = np.arctan2(xn - x, yn - y)  # grid bearing of true north
        c, s = np.cos(gam), np.sin(gam)
        vx = ve * c + vn * s
        vy = -ve * s + vn * c
        return x, y, vx, vy

    def _predict_crossings(
        self, t: float, x: FloatArray, y: FloatArray, vx: FloatArray, vy: FloatArray, var_pos: FloatArray
    ) -> list[Crossing | None]:
        """Where each track's straight-line path over the prediction horizon first meets a watched border segment
        (None: too slow, or no crossing). All tracks at once: one tree query over the segments' single edges and
        one intersection call, not a Python loop over tracks × segments (the test keeps that loop as reference)."""
        cfg = self.config.prediction
        n = len(x)
        out: list[Crossing | None] = [None] * n
        speed = np.hypot(vx, vy)
        mv = np.flatnonzero(speed >= cfg.min_speed_mps.value)
        if mv.size == 0 or not self._segments:
            return out
        h = cfg.horizon_s.value
        ends = np.stack([np.column_stack([x[mv], y[mv]]), np.column_stack([x[mv] + vx[mv] * h, y[mv] + vy[mv] * h])], 1)
        paths = shapely.linestrings(ends)
        pi, si = self._seg_tree.query(paths, predicate="intersects")
        if pi.size == 0:
            return out
        o = np.lexsort((si, pi))  # the scalar loop's order: by track, then by segment
        pi, si = pi[o], si[o]
        parts, k = shapely.get_parts(shapely.intersection(paths[pi], self._seg_geoms[si]), return_index=True)
        pt = shapely.get_type_id(parts) == 0  # points only (a path along a segment gives a line: no crossing)
        if not pt.any():
            return out
        parts, k = parts[pt], k[pt]
        xy = shapely.get_coordinates(parts)
        trk, seg = mv[pi[k]], self._seg_owner[si[k]]
        dist = np.hypot(xy[:, 0] - x[trk], xy[:, 1] - y[trk])
        # nearest crossing per track; on equal distance the first in that order, as the scalar loop keeps it
        order = np.lexsort((np.arange(trk.size), dist, trk))
        first = order[np.r_[True, trk[order][1:] != trk[order][:-1]]]
        lon, lat = self.theatre._to_ll.transform(xy[first, 0], xy[first, 1])
        for j, f in enumerate(first.tolist()):
            i = int(trk[f])
            tau = float(dist[f]) / float(speed[i])
            sig = float(np.sqrt(var_pos[i] + (cfg.velocity_sigma_mps.value * tau) ** 2))
            seg_id = self._segments[int(seg[f])][0]
            out[i] = Crossing(t + tau, float(np.atleast_1d(lat)[j]), float(np.atleast_1d(lon)[j]), seg_id, sig,
                              sig / float(speed[i]))  # fmt: skip
        return out

    # --- the step --------------------------------------------------------------------------------------
    def step(self, t: float, points: Sequence[TrackPoint]) -> list[Assessment]:
        """Assess the confirmed tracks of one emit time."""
        if not points:
            return []
        cfg = self.config
        lat = np.array([p.lat for p in points])
        lon = np.array([p.lon for p in points])
        ve = np.array([p.vel_enu_mps[0] for p in points])
        vn = np.array([p.vel_enu_mps[1] for p in points])
        x, y, vx, vy = self.grid_state(lat, lon, ve, vn)
        inside = self.theatre.in_home(lat, lon)
        side = self.theatre.country_at(lat, lon)
        # closest approach to every asset along the straight-line prediction (tracks x assets)
        horizon = cfg.prediction.horizon_s.value
        dx = self._asset_xy[None, :, 0] - x[:, None]
        dy = self._asset_xy[None, :, 1] - y[:, None]
        v2 = np.maximum(vx**2 + vy**2, 1e-9)[:, None]
        t_cpa = np.clip((dx * vx[:, None] + dy * vy[:, None]) / v2, 0.0, horizon)
        miss = np.hypot(dx - vx[:, None] * t_cpa, dy - vy[:, None] * t_cpa)
        hit = miss <= self._asset_r[None, :]

        # crossings are predicted for the tracks still outside, all at once
        outside = np.flatnonzero(~np.asarray(inside, dtype=bool))
        var_pos = np.array(
            [(points[i].cov_pos_enu_m2[0][0] + points[i].cov_pos_enu_m2[1][1]) / 2 for i in outside.tolist()]
        )
        crossings: list[Crossing | None] = [None] * len(points)
        for i, c in zip(outside.tolist(), self._predict_crossings(t, x[outside], y[outside], vx[outside], vy[outside],
                                                                    var_pos), strict=True):  # fmt: skip
            crossings[i] = c
        out = []
        hostile_set = set(cfg.hostile_classes)
        bio_set = set(cfg.biological_classes)
        for i, p in enumerate(points):
            mem = self.memory.get(p.track)
            if mem is None:
                mem = _Memory(first_t=t, launch_side=str(side[i]) or "?")
                self.memory[p.track] = mem
            if inside[i] and not mem.last_inside and mem.launch_side != self.theatre.home.iso2:
                mem.crossed_at = t
            mem.last_inside = bool(inside[i])
            p_host = float(sum(v for k, v in p.cls.items() if k in hostile_set))
            p_bio = float(sum(v for k, v in p.cls.items() if k in bio_set))
            main = max(p.cls.items(), key=lambda kv: kv[1])[0] if p.cls else "unknown"
            from_outside = mem.launch_side in cfg.watched_neighbours
            reasons: list[str] = []
            if p.cooperative:
                ident = Identity.FRIEND if (p.icao or "") in cfg.friendly_icao else Identity.NEUTRAL
                reasons.append(f"cooperative (ADS-B {p.icao})")
            elif p_bio >= cfg.identity.neutral_bio_p.value:
                ident = Identity.NEUTRAL
                reasons.append(f"biological (P={p_bio:.2f})")
            elif from_outside and p_host >= cfg.identity.hostile_p.value:
                ident = Identity.HOSTILE
                reasons.append(f"military drone class P={p_host:.2f}, first seen over {mem.launch_side}")
            elif p_host >= cfg.identity.hostile_p.value or (from_outside and p_host >= cfg.identity.suspect_p.value):
                ident = Identity.SUSPECT
                reasons.append(f"military drone class P={p_host:.2f}, first seen over {mem.launch_side}")
            elif mem.crossed_at is not None:
                ident = Identity.SUSPECT
                reasons.append("non-cooperative track crossed the border")
            else:
                ident = Identity.UNKNOWN
            crossing = crossings[i]
            assets = tuple(
                AssetThreat(
                    asset=self.theatre.assets[j].name,
                    kind=self.theatre.assets[j].kind,
                    t_reach=t + float(t_cpa[i, j]),
                    miss_m=float(miss[i, j]),
                    value_eur=self.theatre.assets[j].value_eur,
                )
                for j in np.flatnonzero(hit[i])
            )
            assets = tuple(sorted(assets, key=lambda a: a.t_reach))
            dmg_frac = sum(v * cfg.damage_fraction[k].value for k, v in p.cls.items() if k in cfg.damage_fraction)
            if ident in (Identity.HOSTILE, Identity.SUSPECT):
                worst = max((a.value_eur for a in assets), default=0.0)
                damage = max(worst * dmg_frac, cfg.unthreatened_damage_eur.value * p_host)
            else:
                damage = 0.0
            tau = cfg.score.urgency_tau_s.value
            urg = 0.0
            if crossing is not None:
                urg = max(urg, float(np.exp(-(crossing.t - t) / tau)))
            if inside[i]:
                urg = 1.0
            if assets:
                urg = max(urg, float(np.exp(-(assets[0].t_reach - t) / tau)))
            value_term = 1.0 + np.log10(1.0 + damage / 1e5)
            score = _IDENTITY_WEIGHT[ident] * urg * float(value_term)
            out.append(
                Assessment(
                    t=t,
                    track=p.track,
                    lat=p.lat,
                    lon=p.lon,
                    identity=ident,
                    main_class=main,
                    p_hostile_class=p_host,
                    inside=bool(inside[i]),
                    launch_side=mem.launch_side,
                    crossing=crossing,
                    crossed_at=mem.crossed_at,
                    assets=assets,
                    damage_eur=float(damage),
                    score=score,
                    reasons=tuple(reasons),
                )
            )
        return out
