"""The scenario simulator: resolve a scenario into target plans and fly them, vectorised over targets.

Motion model (per target, every ``dt_s``):

* guidance toward the current waypoint (geodesic azimuth), with a wind-correction (crab) angle so the
  ground track points at the waypoint; stray drones after their veer point hold a constant air heading
  and drift with the wind (GNSS jammed, flying on a heading);
* coordinated turns: the heading rate is limited to the class's maximum turn rate;
* airspeed follows the commanded speed within the acceleration limit, plus Ornstein–Uhlenbeck process
  noise, clipped to the class's speed limits;
* altitude follows an above-ground profile (waypoints may set ``alt_agl_m``) within the climb-rate limit
  and the class's height band over the theatre terrain;
* wind (uniform in height) adds to the air velocity; positions advance along geodesics (pyproj.Geod),
  so there is no projection error over a 400 km theatre.

Launch means entering the scenario in flight at cruise height; take-off is not modelled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from borderwatch.geo import GEOD, azimuth_deg, destination
from borderwatch.sim.catalogue import TargetCatalogue, load_catalogue
from borderwatch.sim.scenario import Area, Group, Scenario, check_scenario, resolve_point
from borderwatch.sim.truth import TargetInfo, TruthTable
from borderwatch.theatre.model import Theatre

FloatArray = NDArray[np.float64]
Progress = Callable[[int, int], None]

_SPEED_TAU_S = 30.0  # assumption: correlation time of airspeed perturbations
_TURN_TAU_S = 10.0  # assumption: correlation time of heading-rate perturbations
_HEADING_GAIN = 0.5  # 1/s, heading-error feedback (rate command = gain * error)
_ALT_GAIN = 0.05  # 1/s, altitude-error feedback (vertical speed = gain * error)
#: ICAO 24-bit address block allocated to Latvia (ICAO Annex 10 Vol III, Appendix to Chapter 9)
_LV_ICAO_BLOCK = (0x502C00, 0x502FFF)


@dataclass(slots=True)
class Plan:
    """Everything needed to fly one target, resolved from its group."""

    info: TargetInfo
    behaviour: str
    launch_s: float
    end_s: float
    lat: float
    lon: float
    waypoints: list[tuple[float, float, float | None]]  # lat, lon, alt_agl_m (None: keep cruise)
    speed_mps: float
    agl_m: float
    veer_s: float  # time after launch of the veer (stray), inf otherwise
    veer_heading_deg: float
    area: Area | None


def wind_vector(speed_mps: float, from_deg: float) -> tuple[float, float]:
    """(east, north) wind velocity for a wind blowing *from* ``from_deg``."""
    a = np.radians(from_deg)
    return float(-speed_mps * np.sin(a)), float(-speed_mps * np.cos(a))


def _disk_point(rng: np.random.Generator, lat: float, lon: float, radius_km: float) -> tuple[float, float]:
    if radius_km <= 0:
        return lat, lon
    az = rng.uniform(0.0, 360.0)
    r = radius_km * 1000.0 * np.sqrt(rng.uniform())
    la, lo = destination(lat, lon, az, r)
    return float(la), float(lo)


def _area_point(rng: np.random.Generator, area: Area, theatre: Theatre) -> tuple[float, float]:
    for _ in range(200):
        la, lo = _disk_point(rng, area.lat, area.lon, area.radius_km)
        if area.side is None or theatre.country_at(la, lo)[0] == area.side:
            return la, lo
    return area.lat, area.lon


def plan_scenario(sc: Scenario, theatre: Theatre, catalogue: TargetCatalogue, rng: np.random.Generator) -> list[Plan]:
    """Resolve every group into per-target plans (launch point and time, waypoints, speed, height)."""
    plans: list[Plan] = []
    used_icao: set[int] = set()
    t_end = sc.duration_s
    for list_name, gi, g in sc.groups:
        tc = catalogue.classes[g.class_]
        where = f"{list_name}[{gi}]"
        for k in range(g.count):
            launch_s = g.launch_time_s + k * g.spacing_s
            lat, lon = _area_point(rng, g.launch, theatre)
            wps: list[tuple[float, float, float | None]] = []
            for j, p in enumerate(g.route):
                la, lo = resolve_point(p, theatre, source=sc.name, field=f"{where}.route[{j}]")
                la, lo = _disk_point(rng, la, lo, g.route_spread_km)
                wps.append((la, lo, p.alt_agl_m))
            if g.targets:
                p = g.targets[k % len(g.targets)]
                la, lo = resolve_point(p, theatre, source=sc.name, field=f"{where}.targets")
                la, lo = _disk_point(rng, la, lo, g.target_spread_km)
                wps.append((la, lo, p.alt_agl_m))
            if g.behaviour == "loiter" and g.area is not None:
                la, lo = _area_point(rng, g.area, theatre)
                wps.append((la, lo, None))
            speed = g.speed_mps if g.speed_mps is not None else tc.cruise_mps
            agl = g.alt_agl_m if g.alt_agl_m is not None else tc.cruise_agl_m
            agl = float(np.clip(agl + rng.uniform(-g.alt_spread_m, g.alt_spread_m), tc.alt_agl_m.min, tc.alt_agl_m.max))
            veer_s, veer_hdg = np.inf, 0.0
            if g.veer is not None:
                veer_s = g.veer.after_s
                veer_hdg = float(
                    np.mod(
                        g.veer.heading_deg + rng.uniform(-g.veer.heading_spread_deg, g.veer.heading_spread_deg),
                        360,
                    )
                )
            end_after = g.end_after_s if g.end_after_s is not None else tc.endurance_s.value
            icao = callsign = None
            if tc.cooperative:
                if g.icao:
                    icao = g.icao[k]
                else:
                    while True:
                        a = int(rng.integers(_LV_ICAO_BLOCK[0], _LV_ICAO_BLOCK[1] + 1))
                        if a not in used_icao:
                            used_icao.add(a)
                            break
                    icao = f"{a:06x}"
                if g.callsigns:
                    callsign = g.callsigns[k % len(g.callsigns)]
                else:
                    letters = rng.integers(0, 26, size=3)
                    callsign = "YL" + "".join(chr(ord("A") + int(x)) for x in letters)
            info = TargetInfo(
                id=f"{g.name}-{k:03d}",
                cls=g.class_,
                hostile=tc.hostile if g.hostile is None else g.hostile,
                cooperative=tc.cooperative,
                group=g.name,
                icao=icao,
                callsign=callsign,
            )
            plans.append(
                Plan(
                    info=info,
                    behaviour=g.behaviour,
                    launch_s=launch_s,
                    end_s=min(launch_s + end_after, t_end),
                    lat=lat,
                    lon=lon,
                    waypoints=wps,
                    speed_mps=float(np.clip(speed, tc.speed_mps.min, tc.speed_mps.max)),
                    agl_m=agl,
                    veer_s=veer_s,
                    veer_heading_deg=veer_hdg,
                    area=g.area if g.behaviour == "loiter" else None,
                )
            )
    return plans


def _wrap180(x: FloatArray) -> FloatArray:
    return np.asarray((x + 180.0) % 360.0 - 180.0, dtype=float)


def simulate(
    sc: Scenario,
    theatre: Theatre,
    *,
    catalogue: TargetCatalogue | None = None,
    progress: Progress | None = None,
) -> TruthTable:
    """Fly a scenario and return its ground truth (deterministic for a given scenario and seed).

    Parameters
    ----------
    sc : the scenario; it is checked against the catalogue and theatre first.
    theatre : the ground it is flown over (terrain for heights above ground; places for targets).
    catalogue : target classes (default: the shipped catalogue).
    progress : optional callback ``progress(steps_done, steps_total)``.

    Examples
    --------
    >>> from borderwatch.theatre import load_theatre
    >>> from borderwatch.sim import load_scenario
    >>> truth = simulate(load_scenario("stray-drones-north"), load_theatre())
    >>> len(truth.targets) > 0
    True
    """
    cat = catalogue or load_catalogue()
    check_scenario(sc, theatre, cat, source=sc.name)
    rng = np.random.default_rng(sc.seed)
    plans = plan_scenario(sc, theatre, cat, rng)
    n = len(plans)
    dt = sc.dt_s
    steps = int(np.floor(sc.duration_s / dt + 1e-9)) + 1
    t0 = sc.t0
    if n == 0:
        empty = np.zeros(0)
        return TruthTable([], empty, np.zeros(0, np.int64), empty, empty, empty, np.zeros((0, 3)))

    classes = [cat.classes[p.info.cls] for p in plans]
    vmin = np.array([c.speed_mps.min for c in classes])
    vmax = np.array([c.speed_mps.max for c in classes])
    agl_min = np.array([c.alt_agl_m.min for c in classes])
    agl_max = np.array([c.alt_agl_m.max for c in classes])
    turn_max = np.array([c.turn_rate_max_deg_s.value for c in classes])
    climb_max = np.array([c.climb_rate_max_mps.value for c in classes])
    acc_max = np.array([c.accel_max_mps2.value for c in classes])
    sig_v = np.array([c.speed_noise_mps.value for c in classes])
    sig_w = np.array([c.turn_noise_deg_s.value for c in classes])

    launch_k = np.array([int(np.ceil(p.launch_s / dt - 1e-9)) for p in plans])
    end_k = np.array([int(np.floor(p.end_s / dt + 1e-9)) for p in plans])
    is_loiter = np.array([p.behaviour == "loiter" for p in plans])
    veer_k = np.array([p.launch_s / dt + p.veer_s / dt for p in plans])
    veer_hdg = np.array([p.veer_heading_deg for p in plans])

    wmax = max(1, max(len(p.waypoints) for p in plans))
    wp_lat = np.zeros((n, wmax))
    wp_lon = np.zeros((n, wmax))
    wp_agl = np.full((n, wmax), np.nan)
    n_wp = np.array([len(p.waypoints) for p in plans])
    for i, p in enumerate(plans):
        for j, (la, lo, ag) in enumerate(p.waypoints):
            wp_lat[i, j], wp_lon[i, j] = la, lo
            if ag is not None:
                wp_agl[i, j] = ag
    wp_i = np.zeros(n, dtype=np.int64)

    lat = np.array([p.lat for p in plans])
    lon = np.array([p.lon for p in plans])
    v_cmd = np.array([p.speed_mps for p in plans])
    agl_cmd = np.array([p.agl_m for p in plans])
    speed = v_cmd.copy()
    alt = theatre.ground_height_m(lat, lon) + agl_cmd
    has_wp = n_wp > 0
    heading = np.where(has_wp, azimuth_deg(lat, lon, wp_lat[:, 0], wp_lon[:, 0]), veer_hdg)  # initial air heading
    ou_v = np.zeros(n)
    ou_w = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    we, wn = wind_vector(sc.weather.wind.speed_mps, sc.weather.wind.from_deg)
    switch_r = np.maximum(np.maximum(150.0, 1.5 * vmax * dt), 1.2 * vmax / np.radians(np.maximum(turn_max, 1e-3)))
    areas = [p.area for p in plans]

    rows_t: list[FloatArray] = []
    rows_i: list[NDArray[np.int64]] = []
    rows_s: list[FloatArray] = []
    for k in range(steps):
        noise = rng.standard_normal((3, n))
        active = alive & (launch_k <= k) & (k <= end_k)
        # --- guidance ---------------------------------------------------------------------------------
        cur = np.minimum(wp_i, np.maximum(n_wp - 1, 0))
        tlat = wp_lat[np.arange(n), cur]
        tlon = wp_lon[np.arange(n), cur]
        az, _, dist = GEOD.inv(lon, lat, tlon, tlat)
        az = np.mod(az, 360.0)
        reached = active & has_wp & (wp_i < n_wp) & (dist < switch_r) & (k < veer_k)
        if reached.any():
            final = reached & (wp_i >= n_wp - 1)
            loiter_final = final & is_loiter
            for m in np.flatnonzero(loiter_final).tolist():
                area = areas[m]
                assert area is not None
                wp_lat[m, cur[m]], wp_lon[m, cur[m]] = _area_point(rng, area, theatre)
            ended = final & ~is_loiter
            alive &= ~ended  # arrived at the final target: impact / landing ends the track
            wp_i = np.where(reached & ~final, wp_i + 1, wp_i)
            active &= alive
        # crab angle so the ground track points at the waypoint
        azr = np.radians(az)
        w_perp = we * np.cos(azr) - wn * np.sin(azr)
        crab = np.degrees(np.arcsin(np.clip(w_perp / np.maximum(speed, 1e-3), -1.0, 1.0)))
        desired = np.mod(az - crab, 360.0)
        veered = k >= veer_k
        desired = np.where(veered | ~has_wp, veer_hdg, desired)
        # --- dynamics ---------------------------------------------------------------------------------
        a_v = np.exp(-dt / _SPEED_TAU_S)
        a_w = np.exp(-dt / _TURN_TAU_S)
        ou_v = a_v * ou_v + sig_v * np.sqrt(1 - a_v**2) * noise[0]
        ou_w = a_w * ou_w + sig_w * np.sqrt(1 - a_w**2) * noise[1]
        rate = np.clip(_HEADING_GAIN * _wrap180(desired - heading) + ou_w, -turn_max, turn_max)
        dv = np.clip(v_cmd + ou_v - speed, -acc_max * dt, acc_max * dt)
        ground = theatre.ground_height_m(lat, lon)
        agl_tgt = wp_agl[np.arange(n), cur]
        agl_tgt = np.where(np.isnan(agl_tgt) | veered, agl_cmd, agl_tgt)
        vs = np.clip(_ALT_GAIN * (ground + agl_tgt - alt), -climb_max, climb_max)
        ve = speed * np.sin(np.radians(heading)) + we
        vn = speed * np.cos(np.radians(heading)) + wn
        # --- record the state at t_k ------------------------------------------------------------------
        ids = np.flatnonzero(active)
        if ids.size:
            rows_t.append(np.full(ids.size, t0 + k * dt))
            rows_i.append(ids)
            rows_s.append(np.column_stack([lat[ids], lon[ids], alt[ids], ve[ids], vn[ids], vs[ids]]))
        # --- advance active targets to t_{k+1} --------------------------------------------------------
        if ids.size:
            gs = np.hypot(ve[ids], vn[ids])
            course = np.degrees(np.arctan2(ve[ids], vn[ids]))
            lo2, la2, _ = GEOD.fwd(lon[ids], lat[ids], course, gs * dt)
            lat[ids], lon[ids] = la2, lo2
            heading[ids] = np.mod(heading[ids] + rate[ids] * dt, 360.0)
            speed[ids] = np.clip(speed[ids] + dv[ids], vmin[ids], vmax[ids])
            g2 = theatre.ground_height_m(lat[ids], lon[ids])
            alt[ids] = np.clip(alt[ids] + vs[ids] * dt, g2 + agl_min[ids], g2 + agl_max[ids])
        if progress is not None and (k % 100 == 0 or k == steps - 1):
            progress(k + 1, steps)

    if rows_t:
        t = np.concatenate(rows_t)
        idx = np.concatenate(rows_i).astype(np.int64)
        s = np.concatenate(rows_s)
    else:
        t, idx, s = np.zeros(0), np.zeros(0, np.int64), np.zeros((0, 6))
    return TruthTable(
        targets=[p.info for p in plans],
        t=t,
        idx=idx,
        lat=s[:, 0].copy(),
        lon=s[:, 1].copy(),
        alt=s[:, 2].copy(),
        vel=s[:, 3:6].copy(),
    )


def group_of(sc: Scenario, name: str) -> Group:
    for _, _, g in sc.groups:
        if g.name == name:
            return g
    raise KeyError(name)


__all__ = ["Plan", "group_of", "plan_scenario", "simulate", "wind_vector"]
