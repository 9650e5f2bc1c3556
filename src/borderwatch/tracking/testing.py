"""Synthetic truth and sensor reports for tests and benches (until ``borderwatch.sensors`` simulates reports).

Everything is generated in a tracker frame (:class:`~borderwatch.tracking.sites.SiteTable`), with exactly the
measurement models the tracker uses: radar range/azimuth/elevation(/radial velocity) with Gaussian noise, Pd and
uniform Poisson clutter; acoustic bearings with the sound delay (the reported direction is that of the target at
emission time ``t − τ``); ADS-B positions. Randomness comes from an explicit ``numpy.random.Generator``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from borderwatch.geo.frames import LocalFrame
from borderwatch.sensors.reports import AdsbReport, BearingReport, RadarReport, Report, SensorSite
from borderwatch.sim.truth import TruthTable
from borderwatch.theatre.model import Theatre
from borderwatch.tracking.sites import SiteTable, site_table

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class SyntheticTruth:
    """Target states on a regular time grid: ``pos``/``vel`` (T, N, 3) in the tracker frame."""

    t: FloatArray
    pos: FloatArray
    vel: FloatArray

    @property
    def n(self) -> int:
        return int(self.pos.shape[1])

    def at(self, tq: FloatArray) -> FloatArray:
        """Positions (k, N, 3) at arbitrary times by linear interpolation."""
        tq = np.clip(tq, self.t[0], self.t[-1])
        i = np.clip(np.searchsorted(self.t, tq) - 1, 0, self.t.size - 2)
        w = ((tq - self.t[i]) / (self.t[i + 1] - self.t[i]))[:, None, None]
        out: FloatArray = self.pos[i] * (1 - w) + self.pos[i + 1] * w
        return out


def make_truth(
    rng: np.random.Generator,
    *,
    n_targets: int,
    duration_s: float,
    t0: float = 0.0,
    dt: float = 0.1,
    box_m: tuple[float, float, float, float] = (-20e3, 20e3, -20e3, 20e3),
    speed_mps: tuple[float, float] = (20.0, 60.0),
    up_m: tuple[float, float] = (100.0, 1000.0),
    turn_rate_deg_s: float = 3.0,
    turn_fraction: float = 0.3,
    segment_s: float = 20.0,
) -> SyntheticTruth:
    """Targets starting uniformly in ``box_m`` (e0, e1, n0, n1) with random headings, flying constant-velocity
    and coordinated-turn segments of ``segment_s`` (a turn at ±``turn_rate_deg_s`` with ``turn_fraction``)."""
    steps = round(duration_s / dt) + 1
    t: FloatArray = t0 + np.arange(steps, dtype=np.float64) * dt
    pos = np.zeros((steps, n_targets, 3))
    vel = np.zeros((steps, n_targets, 3))
    p = np.stack(
        [
            rng.uniform(box_m[0], box_m[1], n_targets),
            rng.uniform(box_m[2], box_m[3], n_targets),
            rng.uniform(up_m[0], up_m[1], n_targets),
        ],
        -1,
    )
    hd = rng.uniform(0, 2 * np.pi, n_targets)
    sp = rng.uniform(speed_mps[0], speed_mps[1], n_targets)
    w = np.zeros(n_targets)
    seg = max(1, round(segment_s / dt))
    for k in range(steps):
        if k % seg == 0:
            turn = rng.random(n_targets) < turn_fraction
            w = np.where(turn, rng.choice([-1.0, 1.0], n_targets) * np.radians(turn_rate_deg_s), 0.0)
        v = np.stack([sp * np.sin(hd), sp * np.cos(hd), np.zeros(n_targets)], -1)
        pos[k], vel[k] = p, v
        hd = hd + w * dt
        v2 = np.stack([sp * np.sin(hd), sp * np.cos(hd), np.zeros(n_targets)], -1)
        p = p + 0.5 * (v + v2) * dt
    return SyntheticTruth(t, pos, vel)


def make_loiter(
    rng: np.random.Generator,
    *,
    n_targets: int,
    period_s: float,
    t0: float,
    t1: float,
    dt: float = 0.1,
    box_m: tuple[float, float, float, float] = (-20e3, 20e3, -20e3, 20e3),
    speed_mps: tuple[float, float] = (20.0, 60.0),
    up_m: tuple[float, float] = (100.0, 1000.0),
) -> SyntheticTruth:
    """Targets circling (loitering) at constant speed and height, one lap per ``period_s``, on ``[t0, t1]``.

    The motion is periodic: reports made from it for ``[0, period_s)`` can be played again and again, shifted
    by the period, with no jump at the seam (a load test of minutes without every track ending at each repeat).
    Circle centres are uniform in ``box_m``, each target turns left or right with a random phase; the turn rate
    is ``360°/period_s`` and the radius ``speed / turn rate``."""
    steps = round((t1 - t0) / dt) + 1
    t: FloatArray = t0 + np.arange(steps, dtype=np.float64) * dt
    c = np.stack([rng.uniform(box_m[0], box_m[1], n_targets), rng.uniform(box_m[2], box_m[3], n_targets)], -1)
    h = rng.uniform(up_m[0], up_m[1], n_targets)
    sp = rng.uniform(speed_mps[0], speed_mps[1], n_targets)
    w = 2 * np.pi / period_s * rng.choice([-1.0, 1.0], n_targets)  # rad/s, signed
    r = sp / np.abs(w)
    ph = rng.uniform(0, 2 * np.pi, n_targets)
    a = ph[None, :] + w[None, :] * t[:, None]  # (T, N): angle of the target about its centre
    pos = np.empty((steps, n_targets, 3))
    vel = np.empty((steps, n_targets, 3))
    pos[..., 0] = c[None, :, 0] + r * np.sin(a)
    pos[..., 1] = c[None, :, 1] + r * np.cos(a)
    pos[..., 2] = h[None, :]
    vel[..., 0] = r * w * np.cos(a)
    vel[..., 1] = -r * w * np.sin(a)
    vel[..., 2] = 0.0
    return SyntheticTruth(t, pos, vel)


def sites_from_enu(frame: LocalFrame, specs: Sequence[tuple[str, str, float, float, float]]) -> list[SensorSite]:
    """SensorSites from ``(id, type, e, n, u)`` tuples in ``frame``."""
    if not specs:
        return []
    e = np.array([s[2] for s in specs])
    n = np.array([s[3] for s in specs])
    u = np.array([s[4] for s in specs])
    lat, lon, h = frame.to_geodetic(e, n, u)
    lat, lon, h = np.atleast_1d(lat), np.atleast_1d(lon), np.atleast_1d(h)
    return [
        SensorSite(s[0], s[1], float(lat[i]), float(lon[i]), float(h[i]))  # type: ignore[arg-type]
        for i, s in enumerate(specs)
    ]


def _local(table: SiteTable, k: int, p: FloatArray) -> FloatArray:
    out: FloatArray = (p - table.pos[k]) @ table.rot[k].T
    return out


def radar_scans(
    truth: SyntheticTruth,
    table: SiteTable,
    radar_id: str,
    rng: np.random.Generator,
    *,
    period_s: float = 1.0,
    sigma_range_m: float = 10.0,
    sigma_az_deg: float = 0.3,
    sigma_el_deg: float = 0.3,
    sigma_rr_mps: float | None = None,
    pd: float = 0.95,
    clutter_per_scan: float = 10.0,
    max_range_m: float = 40e3,
    rcs_dbsm: float | None = -10.0,
) -> list[list[RadarReport]]:
    """One list of plots per scan (targets then clutter, shuffled), scans every ``period_s``."""
    k = table.index[radar_id]
    scans = []
    for ts in np.arange(truth.t[0], truth.t[-1] + 1e-9, period_s):
        i = int(np.argmin(np.abs(truth.t - ts)))
        loc = _local(table, k, truth.pos[i])
        vloc = truth.vel[i] @ table.rot[k].T
        r = np.linalg.norm(loc, axis=1)
        det = (rng.random(truth.n) < pd) & (r < max_range_m)
        az = np.degrees(np.arctan2(loc[:, 0], loc[:, 1])) % 360
        el = np.degrees(np.arctan2(loc[:, 2], np.hypot(loc[:, 0], loc[:, 1])))
        rr = np.einsum("ki,ki->k", loc, vloc) / r
        out: list[RadarReport] = []
        for j in np.flatnonzero(det):
            out.append(
                RadarReport(
                    t=float(truth.t[i]),
                    sensor=radar_id,
                    range_m=float(r[j] + rng.normal(0, sigma_range_m)),
                    az_deg=float((az[j] + rng.normal(0, sigma_az_deg)) % 360),
                    el_deg=float(np.clip(el[j] + rng.normal(0, sigma_el_deg), -90, 90)),
                    sigma_range_m=sigma_range_m,
                    sigma_az_deg=sigma_az_deg,
                    sigma_el_deg=sigma_el_deg,
                    rr_mps=None if sigma_rr_mps is None else float(rr[j] + rng.normal(0, sigma_rr_mps)),
                    sigma_rr_mps=sigma_rr_mps,
                    rcs_dbsm=None if rcs_dbsm is None else float(rcs_dbsm + rng.normal(0, 3.0)),
                )
            )
        for _ in range(rng.poisson(clutter_per_scan)):
            out.append(
                RadarReport(
                    t=float(truth.t[i]),
                    sensor=radar_id,
                    range_m=float(rng.uniform(500, max_range_m)),
                    az_deg=float(rng.uniform(0, 360)),
                    el_deg=float(rng.uniform(0, 5)),
                    sigma_range_m=sigma_range_m,
                    sigma_az_deg=sigma_az_deg,
                    sigma_el_deg=sigma_el_deg,
                    rr_mps=None if sigma_rr_mps is None else float(rng.normal(0, 10)),
                    sigma_rr_mps=sigma_rr_mps,
                    rcs_dbsm=None if rcs_dbsm is None else float(rng.normal(-20, 5)),
                )
            )
        perm = rng.permutation(len(out))
        scans.append([out[p] for p in perm])
    return scans


def acoustic_bearings(
    truth: SyntheticTruth,
    table: SiteTable,
    node_ids: Sequence[str],
    rng: np.random.Generator,
    *,
    period_s: float = 1.0,
    sigma_az_deg: float = 2.0,
    sigma_el_deg: float | None = 3.0,
    range_m: float = 3000.0,
    c_sound: float = 331.3,
    pd: float = 0.9,
    class_hint: str | None = None,
) -> list[BearingReport]:
    """Bearings received at each node every ``period_s`` (random phase per node) from targets within
    ``range_m`` at emission; each describes the target at its emission time ``t − τ``."""
    idx = np.array([table.index[s] for s in node_ids])
    phase = rng.uniform(0, period_s, idx.size)
    out: list[BearingReport] = []
    tree = cKDTree(table.pos[idx])
    for tr in np.arange(truth.t[0] + period_s, truth.t[-1] + 1e-9, period_s):
        trx = np.minimum(tr + phase, truth.t[-1])
        p_now = truth.at(np.array([tr]))[0]
        near = tree.query_ball_point(p_now, range_m + 500.0)
        for tgt, nodes in enumerate(near):
            if not nodes:
                continue
            nodes_a = np.array(nodes)
            k = idx[nodes_a]
            trcv = trx[nodes_a]
            tau = np.linalg.norm(p_now[tgt] - table.pos[k], axis=1) / c_sound
            for _ in range(4):
                pe = truth.at(trcv - tau)[:, tgt]
                tau = np.linalg.norm(pe - table.pos[k], axis=1) / c_sound
            pe = truth.at(trcv - tau)[:, tgt]
            loc = np.einsum("kij,kj->ki", table.rot[k], pe - table.pos[k])
            dist = np.linalg.norm(loc, axis=1)
            ok = (dist < range_m) & (rng.random(k.size) < pd) & (trcv - tau >= truth.t[0])
            az = np.degrees(np.arctan2(loc[:, 0], loc[:, 1]))
            el = np.degrees(np.arctan2(loc[:, 2], np.hypot(loc[:, 0], loc[:, 1])))
            for j in np.flatnonzero(ok):
                out.append(
                    BearingReport(
                        t=float(trcv[j]),
                        sensor=node_ids[int(nodes_a[j])],
                        az_deg=float((az[j] + rng.normal(0, sigma_az_deg)) % 360),
                        sigma_az_deg=sigma_az_deg,
                        el_deg=None
                        if sigma_el_deg is None
                        else float(np.clip(el[j] + rng.normal(0, sigma_el_deg), -90, 90)),
                        sigma_el_deg=sigma_el_deg,
                        class_hint=class_hint,
                    )
                )
    return out


def adsb_reports(
    truth: SyntheticTruth,
    frame: LocalFrame,
    targets: Sequence[int],
    icaos: Sequence[str],
    rng: np.random.Generator,
    *,
    sensor: str = "adsb-1",
    period_s: float = 1.0,
    sigma_m: float = 10.0,
) -> list[AdsbReport]:
    out: list[AdsbReport] = []
    for ts in np.arange(truth.t[0], truth.t[-1] + 1e-9, period_s):
        i = int(np.argmin(np.abs(truth.t - ts)))
        for tgt, icao in zip(targets, icaos, strict=True):
            p = truth.pos[i, tgt] + rng.normal(0, sigma_m, 3)
            lat, lon, h = frame.to_geodetic(p[0], p[1], p[2])
            out.append(
                AdsbReport(
                    t=float(truth.t[i]), sensor=sensor, icao=icao, lat=float(lat), lon=float(lon), alt_m=float(h)
                )
            )
    return out


def reception_order(*streams: Iterable[Report]) -> list[Report]:
    """Merge report streams into reception-time order (stable)."""
    allr = [r for s in streams for r in s]
    allr.sort(key=lambda r: r.t)
    return allr


def table_for(frame: LocalFrame, sites: Sequence[SensorSite]) -> SiteTable:
    return site_table(sites, frame)


def truth_grid(truth: TruthTable, frame: LocalFrame, *, far_m: float = 1e7) -> tuple[SyntheticTruth, NDArray[np.bool_]]:
    """A simulator :class:`~borderwatch.sim.truth.TruthTable` on its regular time grid in ``frame``.

    Returns the grid truth and ``alive`` (T, N); a target absent at a time is parked ``far_m`` away so that no
    sensor model sees it.
    """
    times = np.unique(truth.t)
    ti = np.searchsorted(times, truth.t)
    n = len(truth.targets)
    e, nn, u = frame.to_enu(truth.lat, truth.lon, truth.alt)
    pos = np.full((times.size, n, 3), far_m)
    pos[:, :, 2] = 0.0
    vel = np.zeros((times.size, n, 3))
    alive = np.zeros((times.size, n), dtype=bool)
    pos[ti, truth.idx] = np.stack([e, nn, u], -1).reshape(-1, 3)
    vel[ti, truth.idx] = truth.vel
    alive[ti, truth.idx] = True
    return SyntheticTruth(times, pos, vel), alive


def points_along(theatre: Theatre, spacing_m: float) -> tuple[FloatArray, FloatArray]:
    """(lat, lon) of points every ``spacing_m`` along the theatre's watched border."""
    geom = theatre.project(theatre.watched_border)
    lines = list(getattr(geom, "geoms", [geom]))
    pts = [line.interpolate(float(d)) for line in lines for d in np.arange(0.0, line.length, spacing_m)]
    ll = theatre.unproject(shapely.MultiPoint(pts))
    lon = np.array([p.x for p in getattr(ll, "geoms", [ll])])
    lat = np.array([p.y for p in getattr(ll, "geoms", [ll])])
    return lat, lon
