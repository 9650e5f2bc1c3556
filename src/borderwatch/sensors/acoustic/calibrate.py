"""Monte Carlo of the acoustic signal path: detection threshold, the comb-tooth table, Pd-residual and bearing-σ
fits, Pd-versus-range.

Used by ``scripts/calibrate_acoustic.py`` (which writes ``sensors/data/acoustic_calibration.json``), by the
benchmarks and, in small versions, by the tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, stats
from scipy.signal import get_window

from borderwatch.sensors.acoustic.model import (
    Calibration,
    CombMoments,
    DetectorModel,
    ToothTable,
    effective_looks,
    harmonic_bin_snr,
    xi_from_snr,
)
from borderwatch.sensors.acoustic.physics import speed_of_sound_mps
from borderwatch.sensors.acoustic.signal import MEDIAN_BINS, ArrayGeometry, Emitter, process_window, synthesise
from borderwatch.sensors.catalogue import AcousticCatalogue

FloatArray = NDArray[np.float64]

#: conditions of the bearing trials and of the reference ξ50 (the Pd trials draw theirs at random)
TEMP_C, HUM_PCT, NIGHT, WIND = 10.0, 70.0, True, 0.0
#: target height above ground used in the trials, per class (m)
TRIAL_HEIGHT_M = {"quadcopter": 80.0, "fpv": 30.0}
#: grids of the comb-tooth table: line bin SNR (linear) and noise slope (dB per bin)
TOOTH_SNR_GRID = np.concatenate([[0.0], np.geomspace(1e-3, 1e3, 37)])
TOOTH_SLOPE_GRID = np.round(np.arange(0.0, 1.65, 0.1), 10)
#: bins of the line's distance from the tooth's window centre (bins)
TOOTH_OFFSET_STEP, TOOTH_OFFSET_MAX = 0.25, 3.5
#: ξ window (dB) of the Pd trials around a class's ξ at Pd 0.5 of the unfitted model: the whole transition
TRIAL_XI_HALF_WIDTH_DB = 5.0


@dataclass(frozen=True, slots=True)
class Conditions:
    """Weather and noise regime of Monte Carlo trials (default: the reference calm night)."""

    temperature_c: float = TEMP_C
    humidity_pct: float = HUM_PCT
    night: bool = NIGHT
    wind_mps: float = WIND


CALIBRATION = Conditions()


def random_conditions(rng: np.random.Generator) -> Conditions:
    """Conditions spread over what the report path meets: night/day, calm to 9 m/s wind, −10…25 °C, 40–95 % RH."""
    return Conditions(
        temperature_c=float(rng.uniform(-10.0, 25.0)),
        humidity_pct=float(rng.uniform(40.0, 95.0)),
        night=bool(rng.random() < 0.5),
        wind_mps=float(rng.choice([0.0, 3.0, 6.0, 9.0])),
    )


@dataclass(frozen=True, slots=True)
class Trial:
    """One signal-path window and the report path's inputs for the same scene."""

    detected: bool
    stat: float  # the comb statistic
    xi_db: float
    snr: FloatArray  # per-harmonic bin SNR (linear), model.harmonic_bin_snr
    f0_rx_hz: float  # received fundamental
    night: bool
    wind_mps: float
    az_err: float | None  # rad, wrapped to (−π, π]
    el_err: float | None


def trial(
    cat: AcousticCatalogue,
    geom: ArrayGeometry,
    cls_id: str,
    ground_range_m: float,
    rng: np.random.Generator,
    *,
    threshold: float,
    locate: bool = False,
    cond: Conditions = CALIBRATION,
) -> Trial:
    """One signal-path window: a target of ``cls_id`` at a random azimuth, rpm and radial speed."""
    cls = cat.classes[cls_id]
    assert cls.f0_hz is not None
    h = TRIAL_HEIGHT_M.get(cls_id, 300.0)
    r = float(np.hypot(ground_range_m, h))
    az = float(rng.uniform(0, 2 * np.pi))
    el = float(np.arctan2(h, ground_range_m))
    f0 = float(rng.uniform(cls.f0_hz.min, cls.f0_hz.max))
    vr = float(rng.uniform(-20.0, 20.0))
    em = Emitter(cls, f0, r, az, el, vr, h)
    snr, f0_rx = harmonic_bin_snr(
        cat, cls_id, f0_hz=f0, range_m=r, height_agl_m=h, radial_speed_mps=vr, temperature_c=cond.temperature_c,
        humidity_pct=cond.humidity_pct, night=cond.night, wind_mps=cond.wind_mps,
    )  # fmt: skip
    x = synthesise(em, geom, cat, rng, temperature_c=cond.temperature_c, humidity_pct=cond.humidity_pct,
                   night=cond.night, wind_mps=cond.wind_mps)  # fmt: skip
    c = float(speed_of_sound_mps(cond.temperature_c))
    w = process_window(x, geom, cat, threshold=threshold, c_mps=c, locate=locate)
    az_err = el_err = None
    if w.detected and w.az is not None and w.el is not None:
        az_err = float(np.angle(np.exp(1j * (w.az - az))))
        el_err = w.el - el
    return Trial(
        w.detected, w.stat, float(xi_from_snr(snr)), snr, float(f0_rx), cond.night, cond.wind_mps, az_err, el_err
    )


def noise_statistics(cat: AcousticCatalogue, geom: ArrayGeometry, n: int, rng: np.random.Generator) -> FloatArray:
    """The comb statistic on ``n`` noise-only windows (night, day and windy mixed)."""
    c = float(speed_of_sound_mps(TEMP_C))
    out = np.empty(n)
    for i in range(n):
        night = bool(i % 2 == 0)
        wind = float((i % 3) * 4.0)
        x = synthesise(None, geom, cat, rng, night=night, wind_mps=wind)
        out[i] = process_window(x, geom, cat, threshold=np.inf, c_mps=c, locate=False).stat
    return out


def threshold_for(stats_h0: FloatArray, pfa: float) -> float:
    """Threshold at false-alarm probability ``pfa`` from a Gumbel fit to the noise-only statistics."""
    loc, scale = stats.gumbel_r.fit(stats_h0)
    return float(stats.gumbel_r.ppf(1.0 - pfa, loc=loc, scale=scale))


def tooth_table(
    cat: AcousticCatalogue,
    geom: ArrayGeometry,
    rng: np.random.Generator,
    *,
    n_per_cell: int = 12000,
    snr_grid: FloatArray = TOOTH_SNR_GRID,
    slope_grid: FloatArray = TOOTH_SLOPE_GRID,
    offset_step: float = TOOTH_OFFSET_STEP,
    offset_max: float = TOOTH_OFFSET_MAX,
) -> ToothTable:
    """Mean and variance of one comb tooth ``max(z[c−1], z[c], z[c+1]) − 1`` by Monte Carlo of the whitened bins.

    The eleven bins around the line (at a uniformly random offset within its bin) are drawn with the exact
    covariance of the Hann STFT over the window's frames (50 % overlap: neighbouring frames and bins are
    correlated) and averaged over frames and microphones like the detector; the other bins of the running median
    are Gamma-distributed powers with the same number of effective looks. The noise spectrum falls by ``slope``
    dB per bin across the median window (ambient and wind noise are smooth power laws at the bin scale). Windows
    centred up to four bins from the line give the tooth against the line's offset. All cells share the same
    random draws, so the table is smooth and ``m(s) − m(0)`` vanishes with ``s``.
    """
    fs, nfft = cat.node.fs_hz.value, int(cat.node.nfft.value)
    hop, n_samp = nfft // 2, round(cat.node.window_s.value * fs)
    frames, mics = 1 + (n_samp - nfft) // hop, geom.n
    w = np.asarray(get_window("hann", nfft), dtype=float)
    nb = 5  # bins −nb…nb around the line are drawn exactly; windows are centred on −(nb−1)…nb−1
    b0 = 64  # reference bin, far from DC (the statistics do not depend on it)
    ks = b0 + np.arange(-nb, nb + 1)
    e = np.exp(-2j * np.pi * np.outer(ks, np.arange(nfft)) / nfft) * w[None, :]
    big = np.zeros((frames * ks.size, n_samp), dtype=complex)
    for t in range(frames):
        big[t * ks.size : (t + 1) * ks.size, t * hop : t * hop + nfft] = e
    cov = big @ big.conj().T
    chol = np.linalg.cholesky(cov / np.real(cov[nb, nb]) + 1e-12 * np.eye(cov.shape[0]))
    looks = effective_looks(cat)
    # the line's response in the bins for a grid of offsets, normalised to 1 at the bin centre
    offs = (np.arange(512) + 0.5) / 512 - 0.5
    phase = ((b0 + offs)[:, None] - ks[None, :])[:, :, None] * np.arange(nfft) / nfft
    resp = np.exp(2j * np.pi * phase) @ w / np.sum(w)  # (offsets, bins)
    # P(s) = mean |sqrt(s)·line + noise|² = a0 + 2 sqrt(s) a1 + s a2 over frames and microphones, per draw
    a0, a1, a2 = (np.empty((n_per_cell, ks.size)) for _ in range(3))
    delta = np.empty(n_per_cell)
    for i in range(0, n_per_cell, 500):
        k = min(500, n_per_cell - i)
        di = rng.integers(0, offs.size, k)
        delta[i : i + k] = offs[di]
        rot = np.exp(2j * np.pi * ((b0 + offs[di]) / nfft)[:, None] * hop * np.arange(frames)[None, :])
        ph = np.exp(1j * rng.uniform(0.0, 2.0 * np.pi, (k, mics)))
        line = ph[:, :, None, None] * rot[:, None, :, None] * resp[di][:, None, None, :]
        white = rng.standard_normal((k, mics, frames * ks.size, 2)) @ np.array([1.0, 1j]) / np.sqrt(2.0)
        noise = (white @ chol.T).reshape(k, mics, frames, ks.size)
        a0[i : i + k] = np.mean(np.abs(noise) ** 2, axis=(1, 2))
        a1[i : i + k] = np.mean(np.real(np.conj(noise) * line), axis=(1, 2))
        a2[i : i + k] = np.mean(np.abs(line) ** 2, axis=(1, 2))
    half = MEDIAN_BINS // 2
    span = np.arange(-nb - half, nb + half + 1)
    j0 = nb + half  # index of the line's bin in span
    p_out = rng.gamma(looks, 1.0 / looks, (n_per_cell, span.size))
    centres = np.arange(-(nb - 1), nb)
    u = np.abs(delta[None, :] - centres[:, None])  # (windows, draws)
    edges = np.arange(0.0, offset_max + 1e-9, offset_step)
    ub = np.digitize(u, edges) - 1  # offset bin of each (window, draw)
    n_u = edges.size - 1
    mean = np.empty((slope_grid.size, snr_grid.size, n_u))
    var = np.empty_like(mean)
    corr = np.empty((2, slope_grid.size, snr_grid.size))
    for ik, kappa in enumerate(slope_grid):
        g = 10.0 ** (-kappa * span / 10.0)
        for i_s, s in enumerate(snr_grid):
            p = p_out.copy()
            p[:, j0 - nb : j0 + nb + 1] = a0 + 2.0 * np.sqrt(s) * a1 + s * a2
            p *= g[None, :]
            z = np.stack(
                [p[:, j0 + d] / np.median(p[:, j0 + d - half : j0 + d + half + 1], axis=1) for d in range(-nb, nb + 1)]
            )  # (bins, draws)
            teeth = np.stack([np.max(z[c + nb - 1 : c + nb + 2], axis=0) - 1.0 for c in centres])  # (windows, draws)
            for b in range(n_u):
                t = teeth[ub == b]
                mean[ik, i_s, b], var[ik, i_s, b] = float(np.mean(t)), float(np.var(t))
            mid = nb - 1  # the window centred on the line's bin
            corr[0, ik, i_s] = float(np.corrcoef(teeth[mid], teeth[mid + 1])[0, 1])
            corr[1, ik, i_s] = float(np.corrcoef(teeth[mid], teeth[mid + 2])[0, 1])
    offsets = 0.5 * (edges[1:] + edges[:-1])
    return ToothTable(
        np.asarray(snr_grid, dtype=float), np.asarray(slope_grid, dtype=float), offsets, mean, var,
        np.nan_to_num(corr, nan=0.0),
    )  # fmt: skip


def reference_snr(
    cat: AcousticCatalogue, cls_id: str, ground_range_m: ArrayLike, cond: Conditions = CALIBRATION
) -> tuple[FloatArray, FloatArray]:
    """:func:`harmonic_bin_snr` of the reference scene: typical f0, no Doppler, the class's trial height."""
    cls = cat.classes[cls_id]
    assert cls.f0_hz is not None
    h = TRIAL_HEIGHT_M.get(cls_id, 300.0)
    return harmonic_bin_snr(
        cat, cls_id, f0_hz=cls.f0_hz.typical or 0.5 * (cls.f0_hz.min + cls.f0_hz.max),
        range_m=np.hypot(np.asarray(ground_range_m, dtype=float), h), height_agl_m=h, radial_speed_mps=0.0,
        temperature_c=cond.temperature_c, humidity_pct=cond.humidity_pct, night=cond.night, wind_mps=cond.wind_mps,
    )  # fmt: skip


def ground_range_for_xi(
    cat: AcousticCatalogue, cls_id: str, xi_target_db: FloatArray, cond: Conditions = CALIBRATION
) -> FloatArray:
    """Invert ``ξ(range)`` (typical f0, no Doppler) on a log grid: ground ranges that give the wanted ξ."""
    d = np.geomspace(20.0, 30000.0, 400)
    xi = xi_from_snr(reference_snr(cat, cls_id, d, cond)[0])
    return np.asarray(np.interp(-xi_target_db, -xi, d), dtype=float)


def ground_range_for_pd(
    cat: AcousticCatalogue, det: DetectorModel, cls_id: str, pd_target: float, cond: Conditions = CALIBRATION
) -> float:
    """Ground range (m) at which the report path's Pd falls to ``pd_target`` (typical f0, no Doppler)."""
    d = np.geomspace(20.0, 30000.0, 800)
    snr, f0 = reference_snr(cat, cls_id, d, cond)
    pd = det.pd(cls_id, snr, f0, night=cond.night, wind_mps=cond.wind_mps)
    below = np.flatnonzero(pd < pd_target)
    if below.size == 0:
        return float(d[-1])
    i = int(below[0])
    if i == 0:
        return float(d[0])
    return float(np.exp(np.interp(pd_target, [pd[i], pd[i - 1]], [np.log(d[i]), np.log(d[i - 1])])))


def xi_at_pd(
    cat: AcousticCatalogue, det: DetectorModel, cls_id: str, pd_target: float, cond: Conditions = CALIBRATION
) -> float:
    """``ξ`` (dB) at the ground range where the report path's Pd is ``pd_target`` (typical f0, no Doppler)."""
    d = ground_range_for_pd(cat, det, cls_id, pd_target, cond)
    return float(xi_from_snr(reference_snr(cat, cls_id, d, cond)[0]))


def class_trials(
    cat: AcousticCatalogue,
    geom: ArrayGeometry,
    cls_id: str,
    n: int,
    rng: np.random.Generator,
    *,
    threshold: float,
    xi_db_range: tuple[float, float],
) -> list[Trial]:
    """``n`` trials of one class spread uniformly over ``xi_db_range`` and over conditions
    (:func:`random_conditions`)."""
    out = []
    for x in rng.uniform(*xi_db_range, n):
        cond = random_conditions(rng)
        d = float(ground_range_for_xi(cat, cls_id, np.array([x]), cond)[0])
        out.append(trial(cat, geom, cls_id, d, rng, threshold=threshold, cond=cond))
    return out


def trial_moments(det: DetectorModel, trials: Sequence[Trial]) -> tuple[CombMoments, NDArray[np.bool_]]:
    """The comb moments of the report path for each trial's scene, and the signal path's detections."""
    groups: dict[tuple[bool, float], list[int]] = {}
    for i, t in enumerate(trials):
        groups.setdefault((t.night, t.wind_mps), []).append(i)
    parts, order = [], []
    for (night, wind), idx in groups.items():
        parts.append(
            det.moments(
                np.stack([trials[i].snr for i in idx]),
                np.array([trials[i].f0_rx_hz for i in idx]),
                night=night,
                wind_mps=wind,
            )
        )
        order.extend(idx)
    m = CombMoments(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(CombMoments)))
    return m, np.array([trials[i].detected for i in order])


def fit_pd_residuals(
    det: DetectorModel, trials: Mapping[str, Sequence[Trial]]
) -> tuple[dict[str, float], dict[str, float]]:
    """Maximum-likelihood bias ``β`` and σ scale ``γ`` of the comb model, per class, from signal-path trials."""
    bias, scale = {}, {}
    for cls_id, tr in trials.items():
        m, hit = trial_moments(det, tr)

        def nll(x: FloatArray, m: CombMoments = m, hit: NDArray[np.bool_] = hit) -> float:
            p = np.clip(det.pd_from_moments(m, bias=float(x[0]), sd_scale=float(np.exp(x[1]))), 1e-12, 1.0 - 1e-12)
            return float(-np.sum(np.where(hit, np.log(p), np.log1p(-p))))

        # start from a simplex the size of the expected residuals (β ~ 0.03, log γ ~ 0.1)
        start = np.array([[0.0, 0.0], [0.03, 0.0], [0.0, 0.1]])
        r = optimize.minimize(
            nll, start[0], method="Nelder-Mead", options={"initial_simplex": start, "xatol": 1e-4, "fatol": 1e-4}
        )
        if not r.success or not np.isfinite(r.fun):
            raise RuntimeError(f"Pd residual fit of {cls_id} did not converge: {r.message}")
        bias[cls_id], scale[cls_id] = float(r.x[0]), float(np.exp(r.x[1]))
    return bias, scale


def calibrate_bearing(
    cat: AcousticCatalogue,
    geom: ArrayGeometry,
    classes: list[str],
    n: int,
    rng: np.random.Generator,
    *,
    threshold: float,
) -> tuple[float, float]:
    """``k_az``, ``k_el`` (rad) with ``σ ≈ k / sqrt(ξ)`` from located trials with ξ ∈ [5, 30] dB.

    Robust fit: ``k = 1.4826 · median(|error| · sqrt(ξ))`` so that the few gross errors near the detection
    threshold (side-lobe peaks) do not inflate σ for every report.
    """
    xi, eaz, eel = [], [], []
    for cls_id in classes:
        xs = rng.uniform(5.0, 30.0, n)
        for d in ground_range_for_xi(cat, cls_id, xs):
            t = trial(cat, geom, cls_id, float(d), rng, threshold=threshold, locate=True)
            if t.az_err is not None and t.el_err is not None:
                xi.append(t.xi_db)
                eaz.append(t.az_err)
                eel.append(t.el_err)
    sq = np.sqrt(10.0 ** (np.asarray(xi) / 10.0))
    k_az = float(1.4826 * np.median(np.abs(eaz) * sq))
    k_el = float(1.4826 * np.median(np.abs(eel) * sq))
    return k_az, k_el


def pd_vs_range(
    cat: AcousticCatalogue,
    geom: ArrayGeometry,
    cal: Calibration,
    cls_id: str,
    ground_ranges_m: FloatArray,
    n_per_bin: int,
    rng: np.random.Generator,
    cond: Conditions = CALIBRATION,
) -> tuple[FloatArray, FloatArray]:
    """Signal-path Pd (Monte Carlo) and report-path Pd (mean model Pd over the same trials) per range bin."""
    det = DetectorModel.from_calibration(cat, cal)
    sig = np.empty(ground_ranges_m.size)
    rep = np.empty(ground_ranges_m.size)
    for i, d in enumerate(ground_ranges_m):
        tr = [trial(cat, geom, cls_id, float(d), rng, threshold=cal.threshold, cond=cond) for _ in range(n_per_bin)]
        sig[i] = np.mean([t.detected for t in tr])
        pd = det.pd(
            cls_id,
            np.stack([t.snr for t in tr]),
            np.array([t.f0_rx_hz for t in tr]),
            night=cond.night,
            wind_mps=cond.wind_mps,
        )
        rep[i] = float(np.mean(pd))
    return sig, rep
