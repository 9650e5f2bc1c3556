"""Rotating 3-D air-surveillance radar (Giraffe 1X class): radar equation, Swerling 1, 4/3-earth horizon.

* SNR from the radar equation written relative to a reference: ``SNR = SNR_ref · (σ / 1 m²) · (R_ref / R)⁴``.
* Swerling-1 (slow, exponential RCS fluctuation), square-law detection: ``Pd = Pfa^(1 / (1 + SNR))``.
* Line of sight over a smooth 4/3 earth (standard refraction): visible iff
  ``d ≤ sqrt(2 k Rₑ h_r) + sqrt(2 k Rₑ h_t)`` with heights above the ground at the radar, and the apparent
  elevation ``atan((Δh − d²/(2 k Rₑ)) / d)`` above the radar's minimum elevation.
* Each scan the beam sweeps clockwise from north; a target at azimuth ``az`` is seen at ``t + az/2π · T``
  (its position extrapolated along its velocity). Radio delay is ignored (0.25 ms at 75 km).
* False plots: Poisson residual clutter (uniform over the disc within ``clutter_max_range_m``, near the ground)
  and bird plots (low, slow), both per scan.

>>> round(float(pd_swerling1(snr_db_to_lin(13.0), 1e-6)), 3)
0.517
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from borderwatch.geo import LocalFrame
from borderwatch.sensors.catalogue import RadarCatalogue, RadarSpec
from borderwatch.sensors.reports import RadarReport, SensorSite, wrap_az_deg
from borderwatch.sim.truth import TruthTable

FloatArray = NDArray[np.float64]
R_EARTH_M = 6_371_000.0
K_EFF = 4.0 / 3.0


def snr_db_to_lin(x: ArrayLike) -> FloatArray:
    return np.asarray(10.0 ** (np.asarray(x, dtype=float) / 10.0), dtype=float)


def radar_snr_db(spec: RadarSpec, rcs_m2: ArrayLike, range_m: ArrayLike) -> FloatArray:
    """Mean single-scan SNR (dB) from the radar equation."""
    r = np.maximum(np.asarray(range_m, dtype=float), 1.0)
    s = np.maximum(np.asarray(rcs_m2, dtype=float), 1e-12)
    return np.asarray(
        spec.snr_ref_db.value + 10.0 * np.log10(s) - 40.0 * np.log10(r / spec.ref_range_m.value), dtype=float
    )


def pd_swerling1(snr_lin: ArrayLike, pfa: float) -> FloatArray:
    """Detection probability of a Swerling-1 target with mean SNR ``snr_lin`` (square-law, one look)."""
    return np.asarray(pfa ** (1.0 / (1.0 + np.asarray(snr_lin, dtype=float))), dtype=float)


def horizon_range_m(h_radar_m: ArrayLike, h_target_m: ArrayLike) -> FloatArray:
    """Radar horizon over a smooth 4/3 earth: the longest ground range at which the target is visible."""
    hr = np.maximum(np.asarray(h_radar_m, dtype=float), 0.0)
    ht = np.maximum(np.asarray(h_target_m, dtype=float), 0.0)
    ke = 2.0 * K_EFF * R_EARTH_M
    return np.asarray(np.sqrt(ke * hr) + np.sqrt(ke * ht), dtype=float)


def apparent_elevation_rad(ground_range_m: ArrayLike, dh_m: ArrayLike) -> FloatArray:
    """Elevation (rad) seen by the radar on a 4/3 earth for a height difference ``dh_m`` at ``ground_range_m``."""
    d = np.maximum(np.asarray(ground_range_m, dtype=float), 1.0)
    dh = np.asarray(dh_m, dtype=float)
    return np.asarray(np.arctan2(dh - d**2 / (2.0 * K_EFF * R_EARTH_M), d), dtype=float)


def pd_at(
    spec: RadarSpec,
    rcs_m2: float,
    ground_range_m: ArrayLike,
    target_height_m: ArrayLike,
    radar_height_m: float,
) -> FloatArray:
    """Pd of one scan for a target at ``target_height_m`` above the radar's ground (0 beyond horizon/range)."""
    d = np.asarray(ground_range_m, dtype=float)
    ht = np.asarray(target_height_m, dtype=float)
    dh = ht - radar_height_m
    slant = np.hypot(d, dh)
    pd = pd_swerling1(snr_db_to_lin(radar_snr_db(spec, rcs_m2, slant)), spec.pfa.value)
    el = np.degrees(apparent_elevation_rad(d, dh))
    ok = (
        (d <= horizon_range_m(radar_height_m, ht))
        & (slant <= spec.instrumented_range_m.value)
        & (el >= spec.min_elevation_deg.value)
        & (el <= spec.max_elevation_deg.value)
        & (ht <= spec.max_altitude_m.value)
    )
    return np.where(ok, pd, 0.0)


def radar_reports(
    truth: TruthTable,
    site: SensorSite,
    spec: RadarSpec,
    cat: RadarCatalogue,
    ground_hae_m: float,
    rng: np.random.Generator,
    *,
    t_start: float,
    t_end: float,
    up: NDArray[np.bool_] | None = None,
    origins: list[tuple[int, float]] | None = None,
) -> list[RadarReport]:
    """Plots of one radar over ``[t_start, t_end)``: target detections plus clutter and bird false plots.

    ``up`` masks truth rows during which the radar works (outages); truth rows are taken at the scan period
    (the truth step must divide the scan period, the usual 1 s for both). ``origins``, when given, receives one
    ``(target index, illumination time)`` per plot in the order of the returned list (-1 for a false plot).
    """
    period = spec.scan_period_s.value
    frame = LocalFrame(site.lat, site.lon, site.alt_m)
    h_radar = site.alt_m - ground_hae_m
    out: list[RadarReport] = []
    n = len(truth)
    if n:
        dt = float(np.min(np.diff(np.unique(truth.t)))) if np.unique(truth.t).size > 1 else period
        step = max(1, round(period / dt))
        k = np.rint((truth.t - t_start) / dt).astype(np.int64)
        sel = (k % step == 0) & (truth.t >= t_start) & (truth.t < t_end)
        if up is not None:
            sel &= up
        rows = np.flatnonzero(sel)
        e, nn, u = frame.to_enu(truth.lat[rows], truth.lon[rows], truth.alt[rows])
        # the beam reaches azimuth az at t + az/2π·T: move the target there, then measure it where it is then
        # (azimuth too: near the radar a drone's azimuth moves by degrees within one scan)
        dt_ill = np.mod(np.arctan2(e, nn), 2 * np.pi) / (2 * np.pi) * period
        vel = truth.vel[rows]
        e = e + vel[:, 0] * dt_ill
        nn = nn + vel[:, 1] * dt_ill
        u = u + vel[:, 2] * dt_ill
        d = np.hypot(e, nn)
        az = np.mod(np.arctan2(e, nn), 2 * np.pi)
        # undo the geometric drop of the tangent plane: height above the radar's ground sphere
        dh = u + d**2 / (2.0 * R_EARTH_M)
        ht = dh + h_radar
        classes = np.array([ti.cls for ti in truth.targets])[truth.idx[rows]]
        rcs = np.array([cat.rcs_m2[c].value if c in cat.rcs_m2 else 0.1 for c in classes], dtype=float)
        pd = np.zeros(rows.size)
        if rows.size:
            pd = pd_at(spec, 1.0, d, ht, h_radar)  # geometry mask and Pd for 1 m², recomputed below
            geo_ok = pd > 0
            snr = snr_db_to_lin(radar_snr_db(spec, rcs, np.hypot(d, dh)))
            pd = np.where(geo_ok, pd_swerling1(snr, spec.pfa.value), 0.0)
        det = rng.random(rows.size) < pd
        idx = np.flatnonzero(det)
        r = np.hypot(d[idx], dh[idx])
        el = apparent_elevation_rad(d[idx], dh[idx])
        los = np.column_stack([e[idx], nn[idx], u[idx]]) / np.maximum(r, 1.0)[:, None]
        rr = np.sum(vel[idx] * los, axis=1)
        m = idx.size
        t_obs = truth.t[rows][idx] + dt_ill[idx]
        sr, sa, se, sv = (
            spec.sigma_range_m.value,
            np.radians(spec.sigma_az_deg.value),
            np.radians(spec.sigma_el_deg.value),
            spec.sigma_rr_mps.value,
        )
        r_m = r + sr * rng.standard_normal(m)
        az_m = np.mod(az[idx] + sa * rng.standard_normal(m), 2 * np.pi)
        el_m = el + se * rng.standard_normal(m)
        rr_m = rr + sv * rng.standard_normal(m)
        rcs_m = 10 * np.log10(rcs[idx] * rng.exponential(1.0, m)) + spec.rcs_sigma_db.value * rng.standard_normal(m)
        for j in range(m):
            out.append(
                RadarReport(
                    t=float(t_obs[j]),
                    sensor=site.id,
                    range_m=float(max(r_m[j], 1.0)),
                    az_deg=wrap_az_deg(float(np.degrees(az_m[j]))),
                    el_deg=float(np.clip(np.degrees(el_m[j]), -90, 90)),
                    sigma_range_m=sr,
                    sigma_az_deg=spec.sigma_az_deg.value,
                    sigma_el_deg=spec.sigma_el_deg.value,
                    rr_mps=float(rr_m[j]),
                    sigma_rr_mps=sv,
                    rcs_dbsm=float(rcs_m[j]),
                )
            )
        if origins is not None:
            origins.extend(zip(truth.idx[rows][idx].tolist(), t_obs.tolist(), strict=True))
    fp = false_plots(site, spec, rng, t_start=t_start, t_end=t_end)
    if origins is not None:
        origins.extend((-1, r.t) for r in fp)
    out += fp
    return out


def false_plots(
    site: SensorSite, spec: RadarSpec, rng: np.random.Generator, *, t_start: float, t_end: float
) -> list[RadarReport]:
    """Poisson clutter and bird plots over ``[t_start, t_end)``."""
    period = spec.scan_period_s.value
    n_scans = max(0, int(np.floor((t_end - t_start) / period)))
    out: list[RadarReport] = []
    for lam, rmax, kind in (
        (spec.clutter_fa_per_scan.value, spec.clutter_max_range_m.value, "clutter"),
        (spec.bird_fa_per_scan.value, spec.bird_max_range_m.value, "birds"),
    ):
        k = int(rng.poisson(lam * n_scans))
        if k == 0:
            continue
        t = t_start + rng.uniform(0, n_scans * period, k)
        r = rmax * np.sqrt(rng.uniform(0.0025, 1.0, k))
        az = rng.uniform(0, 360.0, k)
        if kind == "clutter":
            el = rng.uniform(-0.5, 1.0, k)
            rr = 0.5 * rng.standard_normal(k)
            rcs = rng.normal(0.0, 5.0, k)
        else:
            alt = rng.uniform(20.0, spec.bird_max_alt_m.value, k)
            el = np.degrees(np.arctan2(alt, r))
            rr = rng.normal(0.0, 8.0, k)
            rcs = rng.normal(-17.0, 3.0, k)
        for j in range(k):
            out.append(
                RadarReport(
                    t=float(t[j]),
                    sensor=site.id,
                    range_m=float(r[j]),
                    az_deg=wrap_az_deg(float(az[j])),
                    el_deg=float(el[j]),
                    sigma_range_m=spec.sigma_range_m.value,
                    sigma_az_deg=spec.sigma_az_deg.value,
                    sigma_el_deg=spec.sigma_el_deg.value,
                    rr_mps=float(rr[j]),
                    sigma_rr_mps=spec.sigma_rr_mps.value,
                    rcs_dbsm=float(rcs[j]),
                )
            )
    return out
