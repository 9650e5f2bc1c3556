"""Acoustic reports carry the sound delay: a report received at t describes the target at t − r/c."""

from __future__ import annotations

import numpy as np

from borderwatch.geo import azimuth_deg, destination
from borderwatch.sensors.acoustic.model import load_calibration
from borderwatch.sensors.acoustic.physics import speed_of_sound_mps
from borderwatch.sensors.acoustic.reports import AcousticEnv, acoustic_reports, ecef, retarded_times
from borderwatch.sensors.catalogue import load_acoustic_catalogue


def _node_beside(truth, offset_m: float = 2000.0):  # type: ignore[no-untyped-def]
    mid = truth.lat.size // 2
    lat, lon = destination(truth.lat[mid], truth.lon[mid], 0.0, offset_m)  # north of the track (heading east)
    return np.array([float(lat)]), np.array([float(lon)])


def test_retarded_time_solves_the_light_cone(make_truth) -> None:  # type: ignore[no-untyped-def]
    tr = make_truth(lat0=56.4, lon0=27.9, heading_deg=90.0, speed_mps=50.0, alt_m=400.0, n=300)
    nlat, nlon = _node_beside(tr)
    xyz = ecef(tr.lat, tr.lon, tr.alt)
    node = ecef(nlat, nlon, np.array([150.0]))
    c = 330.0
    t_r = tr.t[0] + np.arange(30.0, 250.0, 7.0)
    te, _ = retarded_times(t_r, node, tr.t, xyz, c)
    p = np.stack([np.interp(te[0], tr.t, xyz[:, i]) for i in range(3)], axis=-1)
    r_true = np.linalg.norm(p - node[0], axis=1)
    assert np.allclose(t_r - te[0], r_true / c, atol=2e-3)
    assert np.all(t_r - te[0] > 5.0)  # ≥ ~2 km away: more than 5 s of delay


def test_bearing_reports_describe_the_target_at_the_retarded_time(make_truth) -> None:  # type: ignore[no-untyped-def]
    cat = load_acoustic_catalogue()
    cal = load_calibration()
    tr = make_truth(lat0=56.4, lon0=27.9, heading_deg=90.0, speed_mps=50.0, alt_m=400.0, n=240)
    nlat, nlon = _node_beside(tr, 1500.0)
    ground = np.array([150.0])
    env = AcousticEnv(-2.0, 85.0, 0.0, True)
    reps = acoustic_reports(
        tr, ids=["n0"], lat=nlat, lon=nlon, alt=ground + 3.0, ground=ground, cat=cat, cal=cal, env=env,
        rng=np.random.default_rng(2), t_start=float(tr.t[0]), t_end=float(tr.t[-1]) + 30, false_alarms=False,
    )  # fmt: skip
    assert len(reps) > 100
    c = float(speed_of_sound_mps(-2.0))
    z_ret, z_now = [], []
    for r in reps:
        # solve t_e = t − r(t_e)/c against truth directly (independent of the library's solver)
        te = r.t
        for _ in range(20):
            la, lo = np.interp(te, tr.t, tr.lat), np.interp(te, tr.t, tr.lon)
            d = np.hypot(float(np.asarray(_dist(nlat[0], nlon[0], la, lo))), 400.0 - 153.0)
            te = r.t - d / c
        az_ret = float(azimuth_deg(nlat[0], nlon[0], np.interp(te, tr.t, tr.lat), np.interp(te, tr.t, tr.lon)))
        az_now = float(azimuth_deg(nlat[0], nlon[0], np.interp(r.t, tr.t, tr.lat), np.interp(r.t, tr.t, tr.lon)))
        z_ret.append(_wrap(r.az_deg - az_ret) / r.sigma_az_deg)
        z_now.append(_wrap(r.az_deg - az_now) / r.sigma_az_deg)
    z_ret_a, z_now_a = np.asarray(z_ret), np.asarray(z_now)
    assert abs(np.mean(z_ret_a)) < 0.3 and 0.6 < np.std(z_ret_a) < 1.4  # errors consistent with the stated σ
    assert np.mean(np.abs(z_now_a)) > 3.0  # the undelayed position is clearly not what is reported
    assert all(reps[i].t <= reps[i + 1].t for i in range(len(reps) - 1))


def _wrap(d: float) -> float:
    return (d + 180.0) % 360.0 - 180.0


def _dist(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    from borderwatch.geo import distance_m

    return float(distance_m(lat1, lon1, lat2, lon2))
