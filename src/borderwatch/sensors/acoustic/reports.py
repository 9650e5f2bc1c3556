"""Acoustic bearing reports for whole scenarios (the fast report path), stamped at the time of reception.

A node closes a window every ``window_s`` seconds (the reception epochs ``t_r``). For each target the sound it
hears at ``t_r`` left the target at the retarded time ``t_e`` that solves ``t_r − t_e = |p(t_e) − s| / c``
(``p`` the target's position, interpolated from truth; ``s`` the node; ``c`` the speed of sound for the air
temperature). The fixed-point iteration ``t_e ← t_r − |p(t_e) − s|/c`` contracts by ``v/c`` per step (< 0.3 for
every class) and is run to 1 ms. The report then describes the target at ``t_e``: its bearing, the summed
harmonic SNR ``ξ`` there, a detection drawn with the comb-detector model's Pd (``model.DetectorModel``, from the
per-harmonic SNRs and the received fundamental) and a bearing error drawn with ``σ(ξ)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from borderwatch.sensors.acoustic.model import Calibration, DetectorModel, harmonic_bin_snr, xi_from_snr
from borderwatch.sensors.acoustic.physics import speed_of_sound_mps
from borderwatch.sensors.catalogue import AcousticCatalogue
from borderwatch.sensors.reports import BearingReport, wrap_az_deg
from borderwatch.sim.truth import TruthTable

FloatArray = NDArray[np.float64]

_A = 6378137.0
_E2 = 6.69437999014e-3

#: spectral family reported as the class hint
FAMILY = {
    "shahed": "piston",
    "stray_lr": "piston",
    "gerbera": "piston",
    "orlan10": "piston",
    "light_aircraft": "piston",
    "quadcopter": "multirotor",
    "fpv": "multirotor",
    "geran3": "jet",
    "helicopter": "rotorcraft",
}


def ecef(lat_deg: FloatArray, lon_deg: FloatArray, h_m: FloatArray) -> FloatArray:
    """WGS84 geodetic to Earth-centred Earth-fixed coordinates (m), shape (..., 3)."""
    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    n = _A / np.sqrt(1.0 - _E2 * np.sin(la) ** 2)
    return np.stack(
        [(n + h_m) * np.cos(la) * np.cos(lo), (n + h_m) * np.cos(la) * np.sin(lo), (n * (1 - _E2) + h_m) * np.sin(la)],
        axis=-1,
    )


def enu_rotation(lat_deg: FloatArray, lon_deg: FloatArray) -> FloatArray:
    """Rotation matrices (..., 3, 3) from ECEF vectors to the local east/north/up axes."""
    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    sl, cl, so, co = np.sin(la), np.cos(la), np.sin(lo), np.cos(lo)
    z = np.zeros_like(la)
    return np.stack(
        [np.stack([-so, co, z], -1), np.stack([-sl * co, -sl * so, cl], -1), np.stack([cl * co, cl * so, sl], -1)],
        axis=-2,
    )


@dataclass(frozen=True, slots=True)
class AcousticEnv:
    temperature_c: float
    humidity_pct: float
    wind_mps: float
    night: bool


def retarded_times(
    t_r: FloatArray, node_xyz: FloatArray, t_truth: FloatArray, xyz_truth: FloatArray, c: float, *, iters: int = 12
) -> tuple[FloatArray, FloatArray]:
    """Solve ``t_r − t_e = |p(t_e) − s|/c`` for every (node, epoch) pair; returns ``t_e`` and the range.

    ``t_r`` has shape (E,), ``node_xyz`` (N, 3); the result has shape (N, E). ``p`` is linear between truth
    samples; ``t_e`` is clipped to the truth interval (callers drop pairs that fall outside it).
    """

    def pos(te: FloatArray) -> FloatArray:
        return np.stack([np.interp(te, t_truth, xyz_truth[:, i]) for i in range(3)], axis=-1)

    te = np.broadcast_to(t_r[None, :], (node_xyz.shape[0], t_r.size)).copy()
    r = np.zeros_like(te)
    for _ in range(iters):
        r = np.linalg.norm(pos(te) - node_xyz[:, None, :], axis=-1)
        new = t_r[None, :] - r / c
        done = bool(np.max(np.abs(new - te)) < 1e-3)
        te = new
        if done:
            break
    r = np.linalg.norm(pos(te) - node_xyz[:, None, :], axis=-1)
    return te, r


def acoustic_reports(
    truth: TruthTable,
    *,
    ids: list[str],
    lat: FloatArray,
    lon: FloatArray,
    alt: FloatArray,
    ground: FloatArray,
    cat: AcousticCatalogue,
    cal: Calibration,
    env: AcousticEnv,
    rng: np.random.Generator,
    t_start: float,
    t_end: float,
    clock_offset_s: FloatArray | None = None,
    outages: list[tuple[NDArray[np.bool_], float, float]] | None = None,
    false_alarms: bool = True,
    origins: list[tuple[int, float]] | None = None,
) -> list[BearingReport]:
    """Bearing reports of all acoustic nodes over reception epochs in ``(t_start, t_end]`` (UTC epoch s).

    ``outages`` lists ``(node mask, t0, t1)``: masked nodes report nothing with ``t0 <= t_r < t1``.
    ``clock_offset_s`` (per node) is added to the reported time stamps (the node's clock error).
    ``origins``, when given, receives one ``(target index, emission time)`` per report, in the order of the
    returned list (``(-1, reception epoch)`` for a false bearing): simulation truth, for a closed loop.
    """
    n_nodes = len(ids)
    if n_nodes == 0:
        return []
    window = cat.node.window_s.value
    c = float(speed_of_sound_mps(env.temperature_c))
    node_xyz = ecef(lat, lon, alt)
    rot = enu_rotation(lat, lon)
    tree = cKDTree(node_xyz)
    max_r = cat.node.max_range_m.value
    floor = np.radians(cat.node.bearing_floor_deg.value)
    p_hint = cat.node.class_hint_correct.value
    families = sorted(set(FAMILY.values()))
    epochs_all = t_start + window * np.arange(1, int(np.floor((t_end - t_start) / window)) + 1)
    offs = clock_offset_s if clock_offset_s is not None else np.zeros(n_nodes)
    det_model = DetectorModel.from_calibration(cat, cal)
    out: list[BearingReport] = []
    cols: dict[str, list[FloatArray]] = {
        k: [] for k in ("t", "node", "az", "el", "saz", "sel", "xi", "fam", "tgt", "te")
    }

    for k, ti in enumerate(truth.targets):
        cls = cat.classes.get(ti.cls)
        if cls is None or cls.silent or ti.cls not in cal.pd_bias:
            continue
        rows = np.flatnonzero(truth.idx == k)
        if rows.size < 2:
            continue
        rows = rows[np.argsort(truth.t[rows])]
        tt = truth.t[rows]
        xyz = ecef(truth.lat[rows], truth.lon[rows], truth.alt[rows])
        # candidate nodes: within max range of some truth point (points every ~5 s, padded by the motion)
        sub = xyz[:: max(1, int(5.0 / max(np.median(np.diff(tt)), 1e-3)))]
        speed = float(np.max(np.linalg.norm(truth.vel[rows], axis=1))) if rows.size else 0.0
        cand_lists = tree.query_ball_point(sub, r=max_r + 5.0 * speed + 10.0)
        cand = np.unique(
            np.concatenate([np.asarray(cl, dtype=np.int64) for cl in cand_lists] + [np.empty(0, np.int64)])
        )
        if cand.size == 0:
            continue
        ep = epochs_all[(epochs_all >= tt[0]) & (epochs_all <= tt[-1] + max_r / c + window)]
        if ep.size == 0:
            continue
        assert cls.f0_hz is not None
        f0 = rng.uniform(cls.f0_hz.min, cls.f0_hz.max)
        # chunk over nodes to bound memory
        for s0 in range(0, cand.size, 64):
            cn = cand[s0 : s0 + 64]
            te, r = retarded_times(ep, node_xyz[cn], tt, xyz, c)
            valid = (te >= tt[0]) & (te <= tt[-1]) & (r <= max_r)
            if not valid.any():
                continue
            ni, ei = np.nonzero(valid)
            te_v, r_v = te[ni, ei], r[ni, ei]
            pos = np.stack([np.interp(te_v, tt, xyz[:, i]) for i in range(3)], axis=-1)
            vel = np.stack([np.interp(te_v, tt, truth.vel[rows, i]) for i in range(3)], axis=-1)
            nodes = cn[ni]
            d_enu = np.einsum("nij,nj->ni", rot[nodes], pos - node_xyz[nodes])
            az = np.mod(np.arctan2(d_enu[:, 0], d_enu[:, 1]), 2 * np.pi)
            el = np.arctan2(d_enu[:, 2], np.hypot(d_enu[:, 0], d_enu[:, 1]))
            vr = np.sum(vel * d_enu, axis=1) / np.maximum(r_v, 1.0)  # target velocity (ENU at target ≈ at node)
            h_agl = np.maximum(d_enu[:, 2] + (alt[nodes] - ground[nodes]), 1.0)
            snr, f0_rx = harmonic_bin_snr(
                cat, ti.cls, f0_hz=f0, range_m=r_v, height_agl_m=h_agl, radial_speed_mps=vr,
                temperature_c=env.temperature_c, humidity_pct=env.humidity_pct, night=env.night, wind_mps=env.wind_mps,
            )  # fmt: skip
            xi = xi_from_snr(snr)
            pd = det_model.pd(ti.cls, snr, f0_rx, night=env.night, wind_mps=env.wind_mps)
            det = rng.random(pd.size) < pd
            if outages:
                t_rx = ep[ei]
                for mask, o0, o1 in outages:
                    det &= ~(mask[nodes] & (t_rx >= o0) & (t_rx < o1))
            if not det.any():
                continue
            sa = cal.sigma_az_rad(xi[det], floor)
            se = cal.sigma_el_rad(xi[det], floor)
            m = int(det.sum())
            fam = np.full(m, families.index(FAMILY.get(ti.cls, "piston")))
            wrong = rng.random(m) > p_hint
            fam[wrong] = rng.integers(0, len(families), int(wrong.sum()))
            cols["t"].append(ep[ei][det])
            cols["node"].append(nodes[det].astype(float))
            cols["az"].append(az[det] + sa * rng.standard_normal(m))
            cols["el"].append(el[det] + se * rng.standard_normal(m))
            cols["saz"].append(sa)
            cols["sel"].append(se)
            cols["xi"].append(xi[det])
            cols["fam"].append(fam.astype(float))
            cols["tgt"].append(np.full(m, float(k)))
            cols["te"].append(te_v[det])

    if false_alarms and epochs_all.size:
        n_fa = int(rng.binomial(n_nodes * epochs_all.size, cal.pfa_window))
        nodes = rng.integers(0, n_nodes, n_fa)
        ei = rng.integers(0, epochs_all.size, n_fa)
        keep = np.ones(n_fa, dtype=bool)
        if outages:
            for mask, o0, o1 in outages:
                keep &= ~(mask[nodes] & (epochs_all[ei] >= o0) & (epochs_all[ei] < o1))
        nodes, ei = nodes[keep], ei[keep]
        m = nodes.size
        a_db = float(np.median(list(cal.xi50_db.values())))
        xi_fa = a_db + rng.exponential(1.0, m)
        cols["t"].append(np.asarray(epochs_all[ei], dtype=float))
        cols["node"].append(nodes.astype(float))
        cols["az"].append(rng.uniform(0, 2 * np.pi, m))
        cols["el"].append(rng.uniform(0.0, np.pi / 3, m))
        cols["saz"].append(cal.sigma_az_rad(xi_fa, floor))
        cols["sel"].append(cal.sigma_el_rad(xi_fa, floor))
        cols["xi"].append(xi_fa)
        cols["fam"].append(rng.integers(0, len(families), m).astype(float))
        cols["tgt"].append(np.full(m, -1.0))
        cols["te"].append(np.asarray(epochs_all[ei], dtype=float))

    if not cols["t"]:
        return out
    t = np.concatenate(cols["t"])
    node = np.concatenate(cols["node"]).astype(np.int64)
    az_d = np.mod(np.degrees(np.concatenate(cols["az"])), 360.0)
    el_d = np.clip(np.degrees(np.concatenate(cols["el"])), -90.0, 90.0)
    saz_d = np.degrees(np.concatenate(cols["saz"]))
    sel_d = np.degrees(np.concatenate(cols["sel"]))
    xi_a = np.concatenate(cols["xi"])
    fam_a = np.concatenate(cols["fam"]).astype(np.int64)
    t_rep = t + offs[node]
    if origins is not None:
        tgt = np.concatenate(cols["tgt"]).astype(int).tolist()
        origins.extend(zip(tgt, np.concatenate(cols["te"]).tolist(), strict=True))
    for j in range(t.size):
        out.append(
            BearingReport(
                t=float(t_rep[j]),
                sensor=ids[node[j]],
                az_deg=wrap_az_deg(float(az_d[j])),
                sigma_az_deg=float(saz_d[j]),
                el_deg=float(el_d[j]),
                sigma_el_deg=float(sel_d[j]),
                snr_db=float(xi_a[j]),
                class_hint=families[fam_a[j]],
            )
        )
    return out
