"""Synthetic sound for training and benchmarking the learned detector (16 kHz mono, float, full scale 1.0).

* :func:`multirotor` — N rotors (2–8) with blade-pass fundamentals 60–700 Hz (heavy lifters to FPV), each a little
  off the others (beating), slow rpm wander, decaying harmonics, blade-modulated broadband turbulence;
* :func:`piston` — the simulator's fixed-wing piston classes (Shahed, Gerbera, Orlan-10 signatures from
  ``acoustic.yaml``: shaft-rate fundamental and per-harmonic levels), with cycle-to-cycle jitter, rpm wander,
  exhaust noise modulated at the firing rate, and ISO 9613-1 air absorption over 0.2–3 km;
* :func:`noise` — wind (gusty, steep low-frequency spectrum), rain (dense drop impulses), traffic (low rumble with
  slow swells and an engine hum), birds (frequency-modulated chirps);
* :func:`augment` — gain, microphone colouring (spectral tilt and a resonance), band-limiting, resampling through
  8–44.1 kHz, coarse quantisation, clipping, zero-padded gaps, short crops;
* :func:`mix` — a signal into noise at a given SNR (power ratio over the whole band).

Every function takes an explicit ``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from borderwatch.sensors.acoustic.features import FS_HZ

FloatArray = NDArray[np.float64]
NOISE_KINDS = ("wind", "rain", "traffic", "birds")


def _norm(x: FloatArray, rms: float = 0.1) -> FloatArray:
    r = float(np.sqrt(np.mean(x**2)))
    return np.asarray(x * (rms / r) if r > 0 else x, dtype=float)


def _shaped_noise(rng: np.random.Generator, n: int, gain_of_f: FloatArray) -> FloatArray:
    """White noise shaped by an amplitude response given on ``rfftfreq(n, 1/FS_HZ)``."""
    spec = (rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)) * gain_of_f
    spec[0] = 0.0
    return np.asarray(np.fft.irfft(spec, n=n), dtype=float)


def _wander(rng: np.random.Generator, n: int, depth: float) -> FloatArray:
    """A slow random relative frequency deviation (smooth, ``depth`` ≈ its spread)."""
    k = max(2, n // 2000)
    pts = np.cumsum(rng.standard_normal(k + 1)) * depth / np.sqrt(k)
    return np.asarray(np.interp(np.arange(n), np.linspace(0, n - 1, k + 1), pts - pts.mean()), dtype=float)


def _tones(
    rng: np.random.Generator, n: int, f0: float, levels_db: FloatArray, wander: float, jitter: float
) -> FloatArray:
    """Harmonics of ``f0`` with the given levels (dB re the strongest), a common rpm wander and per-sample jitter."""
    dev = _wander(rng, n, wander)
    if jitter > 0:
        dev = dev + np.convolve(rng.standard_normal(n), np.ones(64) / 64.0, mode="same") * jitter * 8.0
    inst = f0 * (1.0 + dev)
    phase = 2.0 * np.pi * np.cumsum(inst) / FS_HZ
    out = np.zeros(n)
    for h, lv in enumerate(levels_db, start=1):
        if not np.isfinite(lv) or h * f0 >= 0.45 * FS_HZ:
            continue
        out += 10.0 ** (lv / 20.0) * np.cos(h * phase + rng.uniform(0, 2 * np.pi))
    return out


def multirotor(rng: np.random.Generator, duration_s: float = 1.0) -> FloatArray:
    """A multirotor drone heard at a few to a few hundred metres (see module docstring)."""
    n = round(duration_s * FS_HZ)
    n_rot = int(rng.choice([2, 3, 4, 4, 4, 6, 6, 8]))
    f_base = float(np.exp(rng.uniform(np.log(60.0), np.log(700.0))))
    n_h = int(rng.integers(4, 16))
    decay = rng.uniform(1.5, 6.0)
    base_lv = -decay * np.arange(n_h) + rng.normal(0.0, 3.0, n_h)
    x = np.zeros(n)
    spread = rng.uniform(0.005, 0.05)
    for _ in range(n_rot):
        f_rot = f_base * (1.0 + rng.normal(0.0, spread))
        lv = base_lv + rng.normal(0.0, 2.0, n_h)
        x += _tones(rng, n, f_rot, lv - lv.max(), wander=rng.uniform(0.002, 0.03), jitter=0.0)
    f = np.fft.rfftfreq(n, 1.0 / FS_HZ)
    tilt = rng.uniform(-12.0, -3.0)  # dB/octave above the knee
    knee = rng.uniform(300.0, 2000.0)
    g = 1.0 / np.sqrt(1.0 + (np.maximum(f, 1.0) / knee) ** (-tilt / 3.0)) * (f > 80.0)
    bb = _shaped_noise(rng, n, g)
    t = np.arange(n) / FS_HZ
    am = 1.0 + rng.uniform(0.0, 0.6) * np.cos(2 * np.pi * f_base * t)
    x = _norm(x) + _norm(bb * am) * 10.0 ** (rng.uniform(-25.0, -3.0) / 20.0)
    return _lowpass(_norm(x), rng.uniform(1500.0, 8000.0))


#: harmonic levels (dB re the strongest) and shaft-rate fundamentals (Hz) of the simulator's piston classes
#: (copied from sensors/data/acoustic.yaml, where they are sourced)
PISTON_CLASSES: dict[str, tuple[tuple[float, float], tuple[float, ...]]] = {
    "shahed": ((95.0, 125.0), (-6, -3, -10, 0, -9, -8, -12, -4, -14, -12, -16, -9)),
    "gerbera": ((110.0, 160.0), (-3, 0, -6, -4, -10, -8, -12, -12)),
    "orlan10": ((100.0, 140.0), (-2, 0, -6, -5, -10, -9, -13, -12)),
}


def piston(rng: np.random.Generator, duration_s: float = 1.0, cls: str | None = None) -> FloatArray:
    """A fixed-wing piston drone (Shahed class) at 0.2–3 km (see module docstring)."""
    from borderwatch.sensors.acoustic.physics import absorption_db_per_m

    n = round(duration_s * FS_HZ)
    name = cls or str(rng.choice(list(PISTON_CLASSES), p=[0.6, 0.2, 0.2]))
    (f_lo, f_hi), lv = PISTON_CLASSES[name]
    f0 = rng.uniform(f_lo, f_hi)
    levels = np.asarray(lv, dtype=float) + rng.normal(0.0, 3.0, len(lv))
    k = int(rng.integers(0, 12))  # weaker higher orders beyond the catalogue's
    extra = -18.0 - 2.0 * np.arange(k) + rng.normal(0.0, 3.0, k)
    levels = np.concatenate([levels, extra])
    x = _tones(rng, n, f0, levels - levels.max(), wander=rng.uniform(0.002, 0.02), jitter=rng.uniform(0.0, 0.02))
    f = np.fft.rfftfreq(n, 1.0 / FS_HZ)
    t = np.arange(n) / FS_HZ
    bb = _shaped_noise(rng, n, (f > 60.0) / np.sqrt(1.0 + (np.maximum(f, 1.0) / 800.0) ** 2))
    am = 1.0 + rng.uniform(0.2, 0.8) * np.cos(2 * np.pi * 4.0 * f0 * t)
    x = _norm(x) + _norm(bb * am) * 10.0 ** (rng.uniform(-20.0, -5.0) / 20.0)
    r = float(np.exp(rng.uniform(np.log(200.0), np.log(3000.0))))
    att = absorption_db_per_m(np.maximum(f, 1.0), rng.uniform(-10.0, 25.0), rng.uniform(40.0, 95.0)) * r
    spec = np.fft.rfft(x) * 10.0 ** (-(att - att.min()) / 20.0)
    return _norm(np.fft.irfft(spec, n=n))


def noise(rng: np.random.Generator, kind: str, duration_s: float = 1.0) -> FloatArray:
    """Synthetic environmental noise of one of :data:`NOISE_KINDS`."""
    n = round(duration_s * FS_HZ)
    f = np.maximum(np.fft.rfftfreq(n, 1.0 / FS_HZ), 1.0)
    t = np.arange(n) / FS_HZ
    if kind == "wind":
        x = _shaped_noise(rng, n, (f / 20.0) ** -rng.uniform(1.0, 2.0) * (f > 5.0))
        gust = 1.0 + rng.uniform(0.2, 0.9) * np.sin(2 * np.pi * rng.uniform(0.3, 3.0) * t + rng.uniform(0, 6))
        return _norm(x * gust)
    if kind == "rain":
        rate = rng.uniform(200.0, 3000.0)
        k = rng.poisson(rate * duration_s)
        imp = np.zeros(n)
        imp[rng.integers(0, n, k)] = rng.exponential(1.0, k) * rng.choice([-1.0, 1.0], k)
        drops = np.convolve(imp, np.exp(-np.arange(64) / rng.uniform(3.0, 15.0)), mode="same")
        bed = _shaped_noise(rng, n, (f / 1000.0) ** -0.5)
        return _norm(_norm(drops) + _norm(bed) * rng.uniform(0.1, 1.0))
    if kind == "traffic":
        x = _shaped_noise(rng, n, 1.0 / np.sqrt(1.0 + (f / rng.uniform(100.0, 500.0)) ** 3))
        swell = 1.0 + rng.uniform(0.1, 0.6) * np.sin(2 * np.pi * rng.uniform(0.1, 1.0) * t)
        hum = _tones(rng, n, rng.uniform(20.0, 60.0), -4.0 * np.arange(6.0), wander=0.03, jitter=0.02)
        return _norm(_norm(x * swell) + _norm(hum) * rng.uniform(0.0, 0.7))
    if kind == "birds":
        out = _shaped_noise(rng, n, (f / 1000.0) ** -1.0) * 0.05
        for _ in range(int(rng.integers(1, 8))):
            dur = rng.uniform(0.03, 0.3)
            m = round(dur * FS_HZ)
            s0 = int(rng.integers(0, max(1, n - m)))
            tt = np.arange(m) / FS_HZ
            fc = rng.uniform(1500.0, 7000.0)
            fm = fc * (1.0 + rng.uniform(-0.3, 0.3) * np.sin(2 * np.pi * rng.uniform(5.0, 40.0) * tt))
            chirp = np.sin(2 * np.pi * np.cumsum(fm) / FS_HZ) * np.hanning(m)
            out[s0 : s0 + m] += chirp[: n - s0] * rng.uniform(0.2, 1.0)
        return _norm(out)
    raise ValueError(f"unknown noise kind {kind!r}; one of {NOISE_KINDS}")


def _lowpass(x: FloatArray, fc: float) -> FloatArray:
    f = np.fft.rfftfreq(x.size, 1.0 / FS_HZ)
    g = 1.0 / np.sqrt(1.0 + (f / fc) ** 8)
    return np.asarray(np.fft.irfft(np.fft.rfft(x) * g, n=x.size), dtype=float)


def mix(signal: FloatArray, background: FloatArray, snr_db: float) -> FloatArray:
    """``signal`` plus ``background`` scaled so that their power ratio is ``snr_db`` (lengths: the signal's;
    the background is tiled or cut)."""
    n = signal.size
    bg = np.resize(background, n) if background.size < n else background[:n]
    ps, pb = float(np.mean(signal**2)), float(np.mean(bg**2))
    if pb <= 0 or ps <= 0:
        return np.asarray(signal + bg, dtype=float)
    return np.asarray(signal + bg * np.sqrt(ps / (pb * 10.0 ** (snr_db / 10.0))), dtype=float)


def augment(x: FloatArray, rng: np.random.Generator, *, strong: bool = True) -> FloatArray:
    """A random recording-chain variant of ``x`` (see module docstring); ``strong=False`` keeps colouring only."""
    from scipy.signal import resample_poly

    n = x.size
    f = np.maximum(np.fft.rfftfreq(n, 1.0 / FS_HZ), 1.0)
    # microphone colouring: a tilt of ±4 dB/octave about 1 kHz and one resonance
    tilt = rng.uniform(-4.0, 4.0) * np.log2(f / 1000.0)
    fr, q, gdb = rng.uniform(200.0, 6000.0), rng.uniform(1.0, 4.0), rng.uniform(-8.0, 8.0)
    res = gdb / (1.0 + (q * (f / fr - fr / f)) ** 2)
    g = 10.0 ** (np.clip(tilt, -20.0, 20.0) / 20.0 + res / 20.0)
    if strong and rng.random() < 0.3:  # high-pass (small microphones, wind screens)
        g = g / np.sqrt(1.0 + (rng.uniform(50.0, 300.0) / f) ** 4)
    if strong and rng.random() < 0.3:  # low-pass (cheap capsules, distance)
        g = g / np.sqrt(1.0 + (f / rng.uniform(2500.0, 7500.0)) ** 8)
    y = np.fft.irfft(np.fft.rfft(x) * g, n=n)
    if strong and rng.random() < 0.3:  # through another sample rate
        fs2 = int(rng.choice([8000, 11025, 22050, 44100]))
        from fractions import Fraction

        r = Fraction(fs2, FS_HZ)
        y = resample_poly(resample_poly(y, r.numerator, r.denominator), r.denominator, r.numerator)[:n]
        if y.size < n:
            y = np.concatenate([y, np.zeros(n - y.size)])
    y = _norm(y, float(10.0 ** rng.uniform(-3.0, -0.7)))
    if strong and rng.random() < 0.05:  # coarse quantisation (8-bit)
        y = np.round(y * 127.0) / 127.0
    if strong and rng.random() < 0.05:  # clipping
        lim = float(np.max(np.abs(y))) * rng.uniform(0.3, 0.8)
        y = np.clip(y, -lim, lim)
    if strong and rng.random() < 0.05:  # a digital-silence gap at the start or end
        m = int(rng.uniform(0.1, 0.5) * n)
        if rng.random() < 0.5:
            y[:m] = 0.0
        else:
            y[n - m :] = 0.0
    return np.asarray(y, dtype=float)


def crop(x: FloatArray, rng: np.random.Generator, lengths_s: tuple[float, float] = (0.3, 1.0)) -> FloatArray:
    """A random contiguous part of ``x`` of length uniform in ``lengths_s`` (s)."""
    m = min(x.size, round(rng.uniform(lengths_s[0], lengths_s[1]) * FS_HZ))
    s0 = int(rng.integers(0, x.size - m + 1))
    return np.asarray(x[s0 : s0 + m], dtype=float)
