"""Monte Carlo of the acoustic signal path: detection threshold, Pd(ξ) and bearing-σ fits, Pd-versus-range.

Used by ``scripts/calibrate_acoustic.py`` (which writes ``sensors/data/acoustic_calibration.json``), by the
benchmarks and, in small versions, by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from borderwatch.sensors.acoustic.model import Calibration, xi_db
from borderwatch.sensors.acoustic.physics import speed_of_sound_mps
from borderwatch.sensors.acoustic.signal import ArrayGeometry, Emitter, process_window, synthesise
from borderwatch.sensors.catalogue import AcousticCatalogue

FloatArray = NDArray[np.float64]

#: conditions of the calibration runs (ξ absorbs the weather, so one set suffices)
TEMP_C, HUM_PCT, NIGHT, WIND = 10.0, 70.0, True, 0.0
#: target height above ground used in the trials, per class (m)
TRIAL_HEIGHT_M = {"quadcopter": 80.0, "fpv": 30.0}


@dataclass(frozen=True, slots=True)
class Conditions:
    """Weather and noise regime of Monte Carlo trials (default: the calibration's)."""

    temperature_c: float = TEMP_C
    humidity_pct: float = HUM_PCT
    night: bool = NIGHT
    wind_mps: float = WIND


CALIBRATION = Conditions()


def random_conditions(rng: np.random.Generator, regime: str | None = None) -> Conditions:
    """Conditions spread over what the report path meets: night/day, calm to 9 m/s wind, −10…25 °C, 40–95 % RH.

    ``regime``: ``"calm"`` (no wind), ``"windy"`` (3–9 m/s) or ``None`` (either)."""
    winds = {"calm": [0.0], "windy": [3.0, 6.0, 9.0]}.get(regime or "", [0.0, 3.0, 6.0, 9.0])
    return Conditions(
        temperature_c=float(rng.uniform(-10.0, 25.0)),
        humidity_pct=float(rng.uniform(40.0, 95.0)),
        night=bool(rng.random() < 0.5),
        wind_mps=float(rng.choice(winds)),
    )


@dataclass(frozen=True, slots=True)
class Trial:
    detected: bool
    xi_db: float
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
    xi = float(
        xi_db(cat, cls_id, f0_hz=f0, range_m=r, height_agl_m=h, radial_speed_mps=vr,
              temperature_c=cond.temperature_c, humidity_pct=cond.humidity_pct, night=cond.night,
              wind_mps=cond.wind_mps)
    )  # fmt: skip
    x = synthesise(em, geom, cat, rng, temperature_c=cond.temperature_c, humidity_pct=cond.humidity_pct,
                   night=cond.night, wind_mps=cond.wind_mps)  # fmt: skip
    c = float(speed_of_sound_mps(cond.temperature_c))
    w = process_window(x, geom, cat, threshold=threshold, c_mps=c, locate=locate)
    az_err = el_err = None
    if w.detected and w.az is not None and w.el is not None:
        az_err = float(np.angle(np.exp(1j * (w.az - az))))
        el_err = w.el - el
    return Trial(w.detected, xi, az_err, el_err)


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


def fit_logistic(xi: FloatArray, det: NDArray[np.bool_]) -> tuple[float, float]:
    """Maximum-likelihood ``(a, b)`` of ``Pd = 1/(1 + exp(−(ξ − a)/b))``."""

    def nll(p: FloatArray) -> float:
        a, logb = p
        z = (xi - a) / np.exp(logb)
        return float(np.sum(np.logaddexp(0.0, -z) * det + np.logaddexp(0.0, z) * (~det)))

    res = optimize.minimize(nll, x0=np.array([np.median(xi), 0.0]), method="Nelder-Mead")
    return float(res.x[0]), float(np.exp(res.x[1]))


def ground_range_for_xi(
    cat: AcousticCatalogue, cls_id: str, xi_target_db: FloatArray, cond: Conditions = CALIBRATION
) -> FloatArray:
    """Invert ``ξ(range)`` (typical f0, no Doppler) on a log grid: ground ranges that give the wanted ξ."""
    cls = cat.classes[cls_id]
    assert cls.f0_hz is not None
    h = TRIAL_HEIGHT_M.get(cls_id, 300.0)
    d = np.geomspace(20.0, 30000.0, 400)
    xi = xi_db(cat, cls_id, f0_hz=cls.f0_hz.typical or 0.5 * (cls.f0_hz.min + cls.f0_hz.max),
               range_m=np.hypot(d, h), height_agl_m=h, radial_speed_mps=0.0,
               temperature_c=cond.temperature_c, humidity_pct=cond.humidity_pct, night=cond.night,
               wind_mps=cond.wind_mps)  # fmt: skip
    return np.asarray(np.interp(-xi_target_db, -xi, d), dtype=float)


def calibrate_class(
    cat: AcousticCatalogue,
    geom: ArrayGeometry,
    cls_id: str,
    n: int,
    rng: np.random.Generator,
    *,
    threshold: float,
    regime: str | None = None,
) -> tuple[float, float]:
    """Fit the Pd logistic of one class from ``n`` trials spread over ξ ∈ [−10, 20] dB and over conditions
    (:func:`random_conditions`), so that the fit is right on average over weather and noise regimes."""
    tr = []
    for x in rng.uniform(-10.0, 20.0, n):
        cond = random_conditions(rng, regime)
        d = float(ground_range_for_xi(cat, cls_id, np.array([x]), cond)[0])
        tr.append(trial(cat, geom, cls_id, d, rng, threshold=threshold, cond=cond))
    return fit_logistic(np.array([t.xi_db for t in tr]), np.array([t.detected for t in tr]))


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
    sig = np.empty(ground_ranges_m.size)
    rep = np.empty(ground_ranges_m.size)
    for i, d in enumerate(ground_ranges_m):
        tr = [trial(cat, geom, cls_id, float(d), rng, threshold=cal.threshold, cond=cond) for _ in range(n_per_bin)]
        sig[i] = np.mean([t.detected for t in tr])
        rep[i] = float(np.mean(cal.pd(cls_id, np.array([t.xi_db for t in tr]), cond.wind_mps)))
    return sig, rep
