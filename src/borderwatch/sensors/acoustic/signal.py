"""The acoustic signal path: synthesise an array's audio, detect a harmonic source, estimate its direction.

Units: pressure in Pa, time in s, angles in rad (azimuth clockwise from north, elevation up from the
horizon). Array coordinates are local east, north, up (m) relative to the array centre.

Processing of one window (``process_window``):

1. STFT (Hann, 50 % overlap); power averaged over frames and microphones.
2. Noise floor by an ordered-statistic CFAR: a running median across frequency; ``z = P / floor``.
3. Harmonic comb: for each candidate fundamental ``f0`` the statistic ``Σ_h (z_h − 1) / sqrt(n_h)`` over the
   harmonics in the band (each harmonic takes the best of ±1 bin, which absorbs Doppler and rpm drift);
   the window's statistic is the maximum over ``f0``. A detection is a statistic above the threshold set for
   the per-window false-alarm probability (calibrated by Monte Carlo, see ``sensors/data/acoustic_calibration.json``).
4. Direction: SRP-PHAT from ``pyroomacoustics.doa`` over the harmonic bins that stand above the noise
   (z > 1.5), on the horizontal ring (azimuth, 0.1° grid); then elevation and a local azimuth/elevation
   refinement with all microphones by the maximum-likelihood steered response (bins weighted by
   ``1/sqrt(noise PSD)`` instead of PHAT, so each harmonic counts by its SNR).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import median_filter
from scipy.signal import stft

from borderwatch.sensors.acoustic.physics import (
    ambient_psd_db,
    doppler_factor,
    harmonic_levels_db,
    transmission_loss_db,
)
from borderwatch.sensors.catalogue import AcousticCatalogue, AcousticClass

FloatArray = NDArray[np.float64]
P_REF_PA = 20e-6
#: candidate fundamentals searched by the comb detector (Hz, ``[min, max)``, quarter-bin steps)
F0_SEARCH_HZ = (70.0, 500.0)
#: width (bins) of the running-median noise floor
MEDIAN_BINS = 41


@dataclass(frozen=True, slots=True)
class ArrayGeometry:
    """Microphone positions (m, local east/north/up, shape (M, 3)) relative to the array centre."""

    mics: FloatArray

    def __post_init__(self) -> None:
        if self.mics.ndim != 2 or self.mics.shape[1] != 3 or self.mics.shape[0] < 2:
            raise ValueError("an array needs at least 2 microphones with 3 coordinates each")

    @property
    def n(self) -> int:
        return int(self.mics.shape[0])

    @classmethod
    def ring(cls, *, n_ring: int = 6, radius_m: float = 0.25, centre_height_m: float | None = 0.35) -> ArrayGeometry:
        """``n_ring`` microphones on a horizontal circle, first one due north, plus an optional raised centre mic."""
        phi = np.arange(n_ring) * 2.0 * np.pi / n_ring
        pts = np.column_stack([radius_m * np.sin(phi), radius_m * np.cos(phi), np.zeros(n_ring)])
        if centre_height_m is not None:
            pts = np.vstack([pts, [0.0, 0.0, centre_height_m]])
        return cls(np.asarray(pts, dtype=float))

    @classmethod
    def from_catalogue(cls, cat: AcousticCatalogue) -> ArrayGeometry:
        a = cat.node.array
        return cls.ring(
            n_ring=int(a.ring_mics.value), radius_m=a.ring_radius_m.value, centre_height_m=a.centre_height_m.value
        )


def unit_vector(az: FloatArray | float, el: FloatArray | float) -> FloatArray:
    """East/north/up unit vector(s) toward azimuth ``az`` (clockwise from north) and elevation ``el`` (rad)."""
    az_a, el_a = np.asarray(az, dtype=float), np.asarray(el, dtype=float)
    return np.stack([np.sin(az_a) * np.cos(el_a), np.cos(az_a) * np.cos(el_a), np.sin(el_a)], axis=-1)


@dataclass(frozen=True, slots=True)
class Emitter:
    """A source as heard by the array during one window."""

    cls: AcousticClass
    f0_hz: float
    range_m: float
    az: float
    el: float
    radial_speed_mps: float = 0.0  # > 0 receding
    height_agl_m: float = 100.0


def received_harmonics(
    em: Emitter, cat: AcousticCatalogue, *, temperature_c: float, humidity_pct: float, c_mps: float
) -> tuple[FloatArray, FloatArray]:
    """Frequencies (Hz, Doppler-shifted) and received powers (Pa²) of the harmonics in the node's band."""
    n = int(cat.node.harmonics_searched.value)
    f = np.arange(1, n + 1) * em.f0_hz * float(doppler_factor(em.radial_speed_mps, c_mps))
    lv = harmonic_levels_db(em.cls, n)
    tl = transmission_loss_db(
        f, em.range_m, em.height_agl_m, cat.node.array.height_agl_m.value, temperature_c, humidity_pct
    )
    ok = np.isfinite(lv) & (f >= cat.node.band_hz.min) & (f <= cat.node.band_hz.max)
    p = np.where(ok, P_REF_PA**2 * 10.0 ** ((np.where(ok, lv, 0.0) - tl) / 10.0), 0.0)
    return np.asarray(f[ok], dtype=float), np.asarray(p[ok], dtype=float)


def enbw_hz(fs: float, nfft: int) -> float:
    """Equivalent noise bandwidth of one Hann-windowed STFT bin."""
    return 1.5 * fs / nfft


def harmonic_snr(
    em: Emitter, cat: AcousticCatalogue, *, temperature_c: float, humidity_pct: float, night: bool, wind_mps: float
) -> tuple[FloatArray, FloatArray]:
    """Per-harmonic bin SNR (linear: harmonic power / noise power in one STFT bin) and the frequencies."""
    from borderwatch.sensors.acoustic.physics import speed_of_sound_mps

    c = float(speed_of_sound_mps(temperature_c))
    f, p = received_harmonics(em, cat, temperature_c=temperature_c, humidity_pct=humidity_pct, c_mps=c)
    n1 = P_REF_PA**2 * 10.0 ** (ambient_psd_db(f, cat, night=night, wind_mps=wind_mps) / 10.0)
    fs, nfft = cat.node.fs_hz.value, int(cat.node.nfft.value)
    return np.asarray(p / (n1 * enbw_hz(fs, nfft)), dtype=float), np.asarray(f, dtype=float)


def synthesise(
    em: Emitter | None,
    geom: ArrayGeometry,
    cat: AcousticCatalogue,
    rng: np.random.Generator,
    *,
    temperature_c: float = 10.0,
    humidity_pct: float = 70.0,
    night: bool = True,
    wind_mps: float = 0.0,
    duration_s: float | None = None,
    snr_scale_db: float = 0.0,
) -> FloatArray:
    """Multichannel pressure (Pa), shape (M, N): the source's harmonics and broadband part as plane waves
    plus independent ambient and wind noise at each microphone. ``em=None`` gives noise only;
    ``snr_scale_db`` scales the source (benchmarks that sweep SNR)."""
    from borderwatch.sensors.acoustic.physics import speed_of_sound_mps

    fs = cat.node.fs_hz.value
    n = round((duration_s or cat.node.window_s.value) * fs)
    c = float(speed_of_sound_mps(temperature_c))
    freqs = np.fft.rfftfreq(n, 1.0 / fs)
    n1 = P_REF_PA**2 * 10.0 ** (ambient_psd_db(freqs, cat, night=night, wind_mps=wind_mps) / 10.0)
    sd = np.sqrt(n * n1 * fs / 4.0)
    spec = sd * (rng.standard_normal((geom.n, freqs.size)) + 1j * rng.standard_normal((geom.n, freqs.size)))
    spec[:, 0] = 0.0
    t = np.arange(n) / fs
    out = np.zeros((geom.n, n))
    if em is not None:
        u = unit_vector(em.az, em.el)
        tau = -(geom.mics @ u) / c  # arrival time at each mic relative to the centre
        f, p = received_harmonics(em, cat, temperature_c=temperature_c, humidity_pct=humidity_pct, c_mps=c)
        amp = np.sqrt(2.0 * p) * 10.0 ** (snr_scale_db / 20.0)
        ph = rng.uniform(0, 2 * np.pi, f.size)
        # sum over harmonics: (M, H, N) would be big; loop over the (few) harmonics
        for fh, ah, phh in zip(f, amp, ph, strict=True):
            out += ah * np.cos(2 * np.pi * fh * (t[None, :] - tau[:, None]) + phh)
        if em.cls.broadband_db is not None:
            band = (freqs >= 100.0) & (freqs <= 2000.0)
            tl = transmission_loss_db(
                freqs[band], em.range_m, em.height_agl_m, cat.node.array.height_agl_m.value, temperature_c, humidity_pct
            )
            # band level spread flat over 1900 Hz, then attenuated per frequency
            psd = P_REF_PA**2 * 10.0 ** ((em.cls.broadband_db.value - tl + snr_scale_db) / 10.0) / 1900.0
            bb = np.sqrt(n * psd * fs / 4.0) * (rng.standard_normal(band.sum()) + 1j * rng.standard_normal(band.sum()))
            spec[:, band] += bb[None, :] * np.exp(-2j * np.pi * freqs[band][None, :] * tau[:, None])
    out += np.fft.irfft(spec, n=n, axis=1)
    return out


@dataclass(frozen=True, slots=True)
class WindowResult:
    stat: float
    f0_hz: float
    detected: bool
    az: float | None = None  # rad, clockwise from north
    el: float | None = None  # rad
    harmonic_hz: tuple[float, ...] = ()
    snr_db: float | None = None


def whitened_spectrum(
    x: FloatArray, fs: float, nfft: int, *, median_bins: int = MEDIAN_BINS
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Frequencies, the noise-normalised power ``z`` (≈1 on noise) averaged over frames and channels, and the
    noise floor (running median) itself."""
    xx = np.atleast_2d(x)
    f, _, z = stft(xx, fs=fs, window="hann", nperseg=nfft, noverlap=nfft // 2, boundary=None, padded=False)
    p = np.mean(np.abs(z) ** 2, axis=(0, 2))
    floor = median_filter(p, size=median_bins, mode="nearest")
    z = p / np.maximum(floor, 1e-300)
    return np.asarray(f, dtype=float), np.asarray(z, dtype=float), np.asarray(floor, dtype=float)


def comb_statistic(
    f: FloatArray, z: FloatArray, *, f0_min: float, f0_max: float, band: tuple[float, float], n_harm: int
) -> tuple[float, float, FloatArray]:
    """Max over ``f0`` of ``Σ_h (z_h − 1)/sqrt(n_h)``; returns (statistic, best f0, per-harmonic bins)."""
    df = f[1] - f[0]
    f0 = np.arange(f0_min, f0_max, df / 4.0)
    h = np.arange(1, n_harm + 1)
    fh = f0[:, None] * h[None, :]
    inband = (fh >= band[0]) & (fh <= band[1])
    b = np.clip(np.rint(fh / df).astype(int), 1, f.size - 2)
    zz = np.maximum(np.maximum(z[b - 1], z[b]), z[b + 1])
    zz = np.where(inband, zz - 1.0, 0.0)
    nh = np.maximum(inband.sum(axis=1), 1)
    s = zz.sum(axis=1) / np.sqrt(nh)
    k = int(np.argmax(s))
    return float(s[k]), float(f0[k]), b[k][inband[k]]


def srp_phat(
    spec: NDArray[np.complex128],
    freqs: FloatArray,
    mics: FloatArray,
    u: FloatArray,
    c: float,
    weights: FloatArray | None = None,
) -> FloatArray:
    """Steered response power for look directions ``u`` (D, 3) from STFT ``spec`` (M, F, T) at bins ``freqs``.

    Without ``weights``: PHAT (each microphone bin normalised to unit magnitude). With ``weights`` (F,): the bins
    are scaled by them instead — ``1/sqrt(noise PSD)`` gives the maximum-likelihood beamformer for one source in
    spatially white noise, which weights each harmonic by its SNR."""
    xn = spec / np.maximum(np.abs(spec), 1e-300) if weights is None else spec * weights[None, :, None]
    tau = -(u @ mics.T) / c  # (D, M)
    steer = np.exp(-2j * np.pi * freqs[None, None, :] * tau[:, :, None])  # (D, M, F)
    # beam = sum_m conj(steer) * x ; power summed over bins and frames
    beam = np.einsum("dmf,mft->dft", np.conj(steer), xn)
    return np.asarray(np.sum(np.abs(beam) ** 2, axis=(1, 2)), dtype=float)


def estimate_direction(
    x: FloatArray,
    geom: ArrayGeometry,
    fs: float,
    nfft: int,
    bins: NDArray[np.int64],
    c: float,
    noise_psd: FloatArray | None = None,
) -> tuple[float, float]:
    """Azimuth by pyroomacoustics SRP-PHAT on the horizontal ring mics, then elevation by 1-D SRP-PHAT (rad)."""
    import pyroomacoustics as pra

    _, _, z = stft(x, fs=fs, window="hann", nperseg=nfft, noverlap=nfft // 2, boundary=None, padded=False)
    ring = np.abs(geom.mics[:, 2]) < 1e-9
    # pyroomacoustics: azimuth counter-clockwise from the x axis (east) in its own x/y plane
    doa = pra.doa.algorithms["SRP"](geom.mics[ring, :2].T, fs, nfft, c=c, num_src=1, n_grid=3600, dim=2)
    doa.locate_sources(z[ring], freq_bins=np.unique(bins))
    phi = float(doa.azimuth_recon[0])
    az = float(np.mod(np.pi / 2 - phi, 2 * np.pi))
    # refine azimuth and find elevation with all microphones
    fb = np.unique(bins)
    freqs = fb * fs / nfft
    spec = z[:, fb, :]
    w = None if noise_psd is None else 1.0 / np.sqrt(np.maximum(noise_psd[fb], 1e-300))
    els = np.radians(np.arange(-10.0, 90.01, 1.0))
    p = srp_phat(spec, freqs, geom.mics, unit_vector(np.full(els.size, az), els), c, w)
    el = float(els[int(np.argmax(p))])
    for step in (0.2, 0.04):
        daz = np.radians(np.arange(-5, 6) * step)
        dels = np.radians(np.arange(-5, 6) * step * 2)
        a_g, e_g = np.meshgrid(az + daz, el + dels, indexing="ij")
        p = srp_phat(spec, freqs, geom.mics, unit_vector(a_g.ravel(), e_g.ravel()), c, w)
        k = int(np.argmax(p))
        az, el = float(a_g.ravel()[k]), float(e_g.ravel()[k])
    return float(np.mod(az, 2 * np.pi)), float(np.clip(el, -np.pi / 2, np.pi / 2))


def process_window(
    x: FloatArray,
    geom: ArrayGeometry,
    cat: AcousticCatalogue,
    *,
    threshold: float,
    c_mps: float,
    locate: bool = True,
    min_bin_z: float = 1.5,
    f0_search_hz: tuple[float, float] = F0_SEARCH_HZ,
) -> WindowResult:
    """Detect a harmonic source in one window of array audio and (if detected) estimate its direction.

    ``f0_search_hz`` widens or narrows the comb's fundamentals; the calibrated ``threshold`` holds for the default
    only (the acoustic node, which gates with the learned detector, searches wider)."""
    fs, nfft = cat.node.fs_hz.value, int(cat.node.nfft.value)
    band = (cat.node.band_hz.min, cat.node.band_hz.max)
    f, z, floor = whitened_spectrum(x, fs, nfft)
    stat, f0, bins = comb_statistic(
        f, z, f0_min=f0_search_hz[0], f0_max=f0_search_hz[1], band=band, n_harm=int(cat.node.harmonics_searched.value)
    )
    det = stat > threshold
    if not det or not locate:
        return WindowResult(stat, f0, bool(det))
    # the harmonic bins (±1) that stand above the noise
    cand = np.unique(np.concatenate([bins - 1, bins, bins + 1]))
    cand = cand[(cand > 0) & (cand < z.size)]
    strong = cand[z[cand] > min_bin_z]
    if strong.size == 0:
        strong = bins
    snr_lin = float(np.sum(np.maximum(z[strong] - 1.0, 0.0)))
    az, el = estimate_direction(x, geom, fs, nfft, strong.astype(np.int64), c_mps, noise_psd=floor)
    return WindowResult(stat, f0, True, az, el, tuple(float(v) for v in f[bins]), 10 * np.log10(max(snr_lin, 1e-3)))


def crb_azimuth_rad(
    snr_bin: FloatArray,
    f_hz: FloatArray,
    geom: ArrayGeometry,
    *,
    az: float,
    el: float,
    c: float,
    duration_s: float,
    enbw: float,
) -> float:
    """Deterministic Cramér–Rao bound (std, rad) of azimuth for harmonics with per-bin SNRs ``snr_bin``.

    One tone of power P in white noise of one-sided PSD N₁ over T seconds gives a delay Fisher information
    ``2 T (P/N₁) ω²`` per microphone; with the unknown phase the array keeps the part orthogonal to the mean:
    ``J = Σ_h 2 T · SNR_h · ENBW · ω_h² · Σ_m (∂τ_m/∂az − mean)²`` (elevation taken as known).
    """
    d_u = np.array([np.cos(az) * np.cos(el), -np.sin(az) * np.cos(el), 0.0])
    dtau = -(geom.mics @ d_u) / c
    g = float(np.sum((dtau - dtau.mean()) ** 2))
    j = float(np.sum(2.0 * duration_s * snr_bin * enbw * (2 * np.pi * f_hz) ** 2)) * g
    return float(1.0 / np.sqrt(j)) if j > 0 else float("inf")
