"""Outdoor sound propagation, source spectra and ambient noise (vectorised; SI units, levels in dB).

* speed of sound from air temperature;
* ISO 9613-1:1993 atmospheric absorption from temperature, relative humidity and pressure;
* spherical spreading ``20 log10(r / 1 m)``;
* a simple ground effect (ISO 9613-2:1996 eq. 10, porous ground);
* Doppler shift of a moving source heard by a fixed node;
* ambient noise spectrum level (quiet rural night / day) plus wind noise on the microphone.

>>> round(float(speed_of_sound_mps(20.0)), 1)
343.2
>>> round(float(absorption_db_per_m(1000.0, 20.0, 70.0)) * 1000, 1)  # ISO 9613-1 table: 4.98 dB/km
5.0
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from borderwatch.sensors.catalogue import AcousticCatalogue, AcousticClass

FloatArray = NDArray[np.float64]

P_REF_KPA = 101.325
T0_K = 293.15
T01_K = 273.16


def speed_of_sound_mps(temperature_c: ArrayLike) -> FloatArray:
    """Speed of sound in dry-ish air, m/s: ``331.3 sqrt(1 + T/273.15)``."""
    return np.asarray(331.3 * np.sqrt(1.0 + np.asarray(temperature_c, dtype=float) / 273.15), dtype=float)


def absorption_db_per_m(
    f_hz: ArrayLike, temperature_c: float, humidity_pct: float, pressure_kpa: float = P_REF_KPA
) -> FloatArray:
    """Pure-tone atmospheric absorption coefficient (dB/m), ISO 9613-1:1993 eqs. (3)–(5), (B.1)."""
    f = np.asarray(f_hz, dtype=float)
    t = temperature_c + 273.15
    pa = pressure_kpa / P_REF_KPA
    c_exp = -6.8346 * (T01_K / t) ** 1.261 + 4.6151
    h = humidity_pct * (10.0**c_exp) / pa  # molar concentration of water vapour, %
    fro = pa * (24.0 + 4.04e4 * h * (0.02 + h) / (0.391 + h))
    frn = pa * (t / T0_K) ** -0.5 * (9.0 + 280.0 * h * np.exp(-4.170 * ((t / T0_K) ** (-1.0 / 3.0) - 1.0)))
    alpha = (
        8.686
        * f**2
        * (
            1.84e-11 / pa * (t / T0_K) ** 0.5
            + (t / T0_K) ** -2.5
            * (0.01275 * np.exp(-2239.1 / t) / (fro + f**2 / fro) + 0.1068 * np.exp(-3352.0 / t) / (frn + f**2 / frn))
        )
    )
    return np.asarray(alpha, dtype=float)


def ground_effect_db(range_m: ArrayLike, h_source_m: ArrayLike, h_receiver_m: ArrayLike) -> FloatArray:
    """ISO 9613-2 eq. (10) ground attenuation ``4.8 − (2 h_m/d)(17 + 300/d)``, clipped at 0 dB."""
    d = np.maximum(np.asarray(range_m, dtype=float), 1.0)
    hm = 0.5 * (np.maximum(np.asarray(h_source_m, dtype=float), 0.0) + np.asarray(h_receiver_m, dtype=float))
    return np.asarray(np.maximum(4.8 - (2.0 * hm / d) * (17.0 + 300.0 / d), 0.0), dtype=float)


def transmission_loss_db(
    f_hz: ArrayLike,
    range_m: ArrayLike,
    h_source_m: ArrayLike,
    h_receiver_m: float,
    temperature_c: float,
    humidity_pct: float,
) -> FloatArray:
    """Spreading + absorption + ground effect (dB) for frequencies broadcast against ranges."""
    r = np.maximum(np.asarray(range_m, dtype=float), 1.0)
    f = np.asarray(f_hz, dtype=float)
    alpha = absorption_db_per_m(f, temperature_c, humidity_pct)
    return np.asarray(
        20.0 * np.log10(r) + alpha * r + ground_effect_db(r, h_source_m, h_receiver_m),
        dtype=float,
    )


def doppler_factor(radial_speed_mps: ArrayLike, c_mps: float) -> FloatArray:
    """Received / emitted frequency for a source moving with ``radial_speed_mps`` (>0 = receding)."""
    v = np.clip(np.asarray(radial_speed_mps, dtype=float), -0.9 * c_mps, 0.9 * c_mps)
    return np.asarray(c_mps / (c_mps + v), dtype=float)


def harmonic_levels_db(cls: AcousticClass, n: int) -> FloatArray:
    """Level (dB re 20 µPa at 1 m) of harmonics 1..n of a class; absent harmonics are −inf."""
    assert cls.level_db is not None and cls.harmonic_db is not None
    rel = np.full(n, -np.inf)
    vals = np.asarray(cls.harmonic_db.values[:n], dtype=float)
    rel[: vals.size] = vals
    return np.asarray(cls.level_db.value + rel, dtype=float)


def ambient_psd_db(f_hz: ArrayLike, cat: AcousticCatalogue, *, night: bool, wind_mps: float) -> FloatArray:
    """Ambient noise spectrum level at the microphone, dB re (20 µPa)²/Hz: environment ⊕ wind noise."""
    f = np.maximum(np.asarray(f_hz, dtype=float), 1.0)
    amb = cat.ambient.night if night else cat.ambient.day
    env = amb.level_1k_db + amb.slope_db_decade * np.log10(f / 1000.0)
    w = cat.ambient.wind
    if wind_mps > 0:
        wind = (
            w.level_100_db.value
            + w.speed_exponent_db.value * np.log10(wind_mps / w.ref_speed_mps)
            + w.slope_db_decade.value * np.log10(f / 100.0)
        )
        total = 10.0 * np.log10(10.0 ** (env / 10.0) + 10.0 ** (wind / 10.0))
    else:
        total = env
    return np.asarray(total, dtype=float)


def is_night_utc(t_epoch_s: float, *, utc_offset_h: float = 2.0) -> bool:
    """Night (21:00–06:00 local time) for the ambient model; Latvia is UTC+2 (UTC+3 in summer)."""
    hour = ((t_epoch_s / 3600.0) + utc_offset_h) % 24.0
    return bool(hour >= 21.0 or hour < 6.0)
