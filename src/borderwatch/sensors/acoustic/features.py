"""Features of one-second sound windows for the learned drone detector (``sensors/acoustic/learned.py``).

Everything runs at :data:`FS_HZ` (16 kHz; other rates are resampled by ``sensors/acoustic/audio.py``). One STFT
(Hann, :data:`NFFT` = 1024 samples ≈ 15.6 Hz bins, hop :data:`HOP` = 250 samples = 15.6 ms) is computed once over a
stretch of audio; each window (1 s, hop 0.25 s: 60 frames, 16 frames apart) is summarised from those frames, so a
long recording costs one STFT, not one per window.

The features are chosen to carry over between microphones, rooms and gains: none depends on the absolute level
(every level is relative to the window's own), and the spectral-shape ones are coarse. Groups:

* **log-mel shape** — 12 cepstral coefficients of the window's mean log-mel spectrum (32 bands, 60–7800 Hz) and
  6 octave-band levels relative to the total;
* **temporal steadiness** — the spread over frames of each mel band's level (low, mid, high, median), the
  correlation of log spectra 4 frames apart, the level spread of the strongest spectral lines;
* **spectral flux and modulation** — mean and spread of the half-wave rectified log-mel flux; the envelope's
  spread and its modulation spectrum in 1–4, 4–8, 8–16, 16–32 Hz;
* **harmonic comb** — the comb statistic of ``signal.comb_statistic`` on the window's spectrum over a running-
  median floor, for fundamentals 120–1000 Hz and 45–120 Hz; how many of the 12 harmonics stand out; the share
  of bins standing ≥ 3× over the floor, the strongest and the top-10 mean (log);
* **tonal persistence** — share of frames in which the most persistent bins stand ≥ 6 dB above their
  neighbourhood (as in ``clip.py``), mean of the top 10 and top 3 bins;
* **cepstral pitch strength** — peak of the real cepstrum at quefrencies 1–12.5 ms over its median;
* **spectral form** — flatness overall and in three bands, log centroid and 85 % roll-off, crest factor.

>>> import numpy as np
>>> x = np.random.default_rng(0).standard_normal(FS_HZ)
>>> window_features(x).shape == (1, len(FEATURE_NAMES))
True
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

FS_HZ = 16000
NFFT = 1024
HOP = 250
#: window length and hop (samples)
WIN = FS_HZ
WIN_HOP = FS_HZ // 4
FRAMES_PER_HOP = WIN_HOP // HOP
FRAMES_PER_WIN = 1 + (WIN - NFFT) // HOP
N_MEL = 32
MEL_RANGE_HZ = (60.0, 7800.0)
OCTAVES_HZ = ((60.0, 250.0), (250.0, 500.0), (500.0, 1000.0), (1000.0, 2000.0), (2000.0, 4000.0), (4000.0, 8000.0))
#: running-median width (bins) of the floor under the comb (≈ 640 Hz)
MEDIAN_BINS = 41
#: power floor per bin (full scale 1.0; keeps digital silence finite, far below a 16-bit LSB)
ABS_FLOOR = 1e-14

FEATURE_NAMES: tuple[str, ...] = (
    *(f"mfcc_{k}" for k in range(1, 13)),
    *(f"oct_{int(lo)}_{int(hi)}_db" for lo, hi in OCTAVES_HZ),
    "tstd_low_db",
    "tstd_mid_db",
    "tstd_high_db",
    "tstd_median_db",
    "frame_corr_4",
    "line_level_std_db",
    "flux_mean_db",
    "flux_std_db",
    "env_std_db",
    "mod_1_4",
    "mod_4_8",
    "mod_8_16",
    "mod_16_32",
    "comb_hi_log",
    "comb_lo_log",
    "harmonics_up",
    "share_z3",
    "zmax_log",
    "ztop10_log",
    "persistence_top10",
    "persistence_top3",
    "cepstral_peak",
    "flatness_all",
    "flatness_low",
    "flatness_mid",
    "flatness_high",
    "centroid_log2",
    "rolloff85_log2",
    "crest_db",
)


@functools.cache
def _tables() -> dict[str, Any]:
    """Frequency grid, mel filter bank, DCT matrix, band masks and the Hann window (computed once)."""
    f = np.fft.rfftfreq(NFFT, 1.0 / FS_HZ)
    lo_mel, hi_mel = (2595.0 * np.log10(1.0 + hz / 700.0) for hz in MEL_RANGE_HZ)
    edges_mel = np.linspace(lo_mel, hi_mel, N_MEL + 2)
    edges = 700.0 * (10.0 ** (edges_mel / 2595.0) - 1.0)
    fb = np.zeros((f.size, N_MEL))
    for b in range(N_MEL):
        lo, c, hi = edges[b], edges[b + 1], edges[b + 2]
        up = (f - lo) / (c - lo)
        dn = (hi - f) / (hi - c)
        fb[:, b] = np.maximum(0.0, np.minimum(up, dn))
    fb /= np.maximum(fb.sum(axis=0, keepdims=True), 1e-12)
    centres = edges[1:-1]
    k = np.arange(N_MEL)
    dct = np.cos(np.pi / N_MEL * (k[None, :] + 0.5) * np.arange(1, 13)[:, None]) * np.sqrt(2.0 / N_MEL)
    octs = np.stack([(f >= lo) & (f < hi) for lo, hi in OCTAVES_HZ])
    return {
        "f": f,
        "fb": fb,
        "dct": dct,
        "octs": octs,
        "mel_low": centres < 500.0,
        "mel_mid": (centres >= 500.0) & (centres < 2000.0),
        "mel_high": centres >= 2000.0,
        "band": (f >= 80.0) & (f <= 6000.0),
        "corr_band": (f >= 100.0) & (f <= 4000.0),
        "flat_all": (f >= 100.0) & (f <= 4000.0),
        "flat_low": (f >= 60.0) & (f < 500.0),
        "flat_mid": (f >= 500.0) & (f < 2000.0),
        "flat_high": (f >= 2000.0) & (f <= 7800.0),
        "window": np.hanning(NFFT + 2)[1:-1],
    }


def frame_spectra(x: FloatArray) -> tuple[NDArray[np.float32], FloatArray, FloatArray]:
    """Power spectra (T, 513; float32) of a 16 kHz signal, frames every :data:`HOP`, and the peak |x| and the sum of
    squares of each :data:`HOP`-sample block (the crest factor's inputs)."""
    t = _tables()
    x = np.asarray(x, dtype=np.float32)
    if x.size < NFFT:
        x = np.concatenate([x, np.zeros(NFFT - x.size, dtype=np.float32)])
    fr = np.lib.stride_tricks.sliding_window_view(x, NFFT)[::HOP]
    spec = np.fft.rfft(fr * t["window"].astype(np.float32), axis=1)
    p = (spec.real**2 + spec.imag**2).astype(np.float32)
    nb = -(-x.size // HOP)
    blk = np.zeros(nb * HOP, dtype=np.float32)
    blk[: x.size] = x
    blk2 = blk.reshape(nb, HOP)
    return p, np.max(np.abs(blk2), axis=1).astype(float), np.sum(blk2.astype(float) ** 2, axis=1)


def _comb_batch(
    z: FloatArray, f: FloatArray, f0_range: tuple[float, float], band: tuple[float, float], n_harm: int = 12
) -> tuple[FloatArray, FloatArray]:
    """Batched ``signal.comb_statistic`` over windows (K, F): the statistic and the harmonics above z = 2."""
    df = f[1] - f[0]
    f0 = np.arange(f0_range[0], f0_range[1], df / 4.0)
    fh = f0[:, None] * np.arange(1, n_harm + 1)[None, :]
    inband = (fh >= band[0]) & (fh <= band[1])
    b = np.clip(np.rint(fh / df).astype(int), 1, f.size - 2)
    zz = np.maximum(np.maximum(z[:, b - 1], z[:, b]), z[:, b + 1])  # (K, C, H)
    teeth = np.where(inband[None], zz - 1.0, 0.0)
    s = teeth.sum(axis=2) / np.sqrt(np.maximum(inband.sum(axis=1), 1))[None, :]
    k = np.argmax(s, axis=1)
    best = zz[np.arange(z.shape[0]), k]
    up = np.sum((best > 2.0) & inband[k], axis=1)
    return np.asarray(s[np.arange(z.shape[0]), k], dtype=float), np.asarray(up, dtype=float)


def _moving_mean(a: NDArray[np.floating], size: int) -> NDArray[np.floating]:
    """Mean over ``size`` neighbouring columns (edges repeated), like ``scipy.ndimage.uniform_filter1d`` with
    ``mode="nearest"`` (scipy.ndimage is not imported: it alone would double the detector's import time)."""
    half = size // 2
    pad = np.concatenate([np.repeat(a[:, :1], half + 1, axis=1), a, np.repeat(a[:, -1:], half, axis=1)], axis=1)
    c = np.cumsum(pad, axis=1, dtype=np.float64)
    return np.asarray((c[:, size:] - c[:, :-size]) / size, dtype=a.dtype)


def _median_floor(pw: FloatArray, step: int = 8) -> FloatArray:
    """Running median over :data:`MEDIAN_BINS` bins (of every other bin in that span), evaluated every ``step``
    bins and interpolated (in log) between: the noise floor under the comb at a tenth of a full median filter's
    cost."""
    half = MEDIAN_BINS // 2
    padded = np.pad(pw, ((0, 0), (half, half)), mode="edge")
    centres = np.arange(0, pw.shape[1], step)
    if centres[-1] != pw.shape[1] - 1:
        centres = np.append(centres, pw.shape[1] - 1)
    win = np.lib.stride_tricks.sliding_window_view(padded, MEDIAN_BINS, axis=1)[:, centres, ::2]
    med = np.log(np.maximum(np.median(win, axis=2), 1e-30))
    k = np.arange(pw.shape[1])
    lo = np.minimum(np.searchsorted(centres, k, side="right") - 1, centres.size - 2)
    w = (k - centres[lo]) / (centres[lo + 1] - centres[lo])
    return np.asarray(np.exp(med[:, lo] * (1.0 - w) + med[:, lo + 1] * w), dtype=float)


def _flatness(p: FloatArray, sel: NDArray[np.bool_]) -> FloatArray:
    q = p[:, sel]
    return np.asarray(np.exp(np.mean(np.log(q), axis=1)) / np.mean(q, axis=1), dtype=float)


def _wmean(a: NDArray[np.floating], s: NDArray[np.int64], n: int) -> FloatArray:
    """Mean of rows ``s[k] … s[k] + n − 1`` of ``a`` for every window ``k``: rows are first summed in blocks of
    ``g = gcd(n, starts)`` (4 frames for the streaming windows), then windows are differences of a cumulative sum
    over the blocks."""
    n = max(int(n), 1)
    g = int(np.gcd.reduce(np.concatenate([[n], s]))) if s.size else n
    t_used = int(s.max()) + n
    a = a[:t_used]
    blocks = a.reshape(t_used // g, g, *a.shape[1:]).sum(axis=1, dtype=np.float64)
    c = np.concatenate([np.zeros((1, *blocks.shape[1:])), np.cumsum(blocks, axis=0)], axis=0)
    sb, nb = s // g, n // g
    return np.asarray((c[sb + nb] - c[sb]) / n, dtype=float)


def features_from_frames(
    p: NDArray[np.float32],
    bpeak: FloatArray,
    bsq: FloatArray,
    starts: NDArray[np.int64],
    n: int,
    n_blocks: int,
) -> FloatArray:
    """Features (K, len(FEATURE_NAMES)) of windows made of frames ``starts[k] … starts[k] + n − 1`` (and of the
    sample blocks ``starts[k] … starts[k] + n_blocks − 1`` for the crest factor).

    Per-frame quantities (log spectra, mel levels, flux, frame-to-frame correlation, local contrast) are computed
    once; windows average them through cumulative sums."""
    t = _tables()
    f = t["f"]
    kk = starts.size
    pf = p + ABS_FLOOR
    lp = 10.0 * np.log10(pf)  # (T, F)
    mel = pf @ t["fb"]
    lm = 10.0 * np.log10(mel)  # (T, B)
    pw = _wmean(pf, starts, n)  # (K, F)
    lm_mean = _wmean(lm, starts, n)
    tstd = np.sqrt(np.maximum(_wmean(lm * lm, starts, n) - lm_mean**2, 0.0))
    mfcc = lm_mean @ t["dct"].T
    tot = pw.sum(axis=1, keepdims=True)
    octs = np.stack([pw[:, o].sum(axis=1) for o in t["octs"]], axis=1)
    oct_db = 10.0 * np.log10(octs / tot + 1e-12)
    tstd_f = np.stack(
        [tstd[:, t["mel_low"]].mean(1), tstd[:, t["mel_mid"]].mean(1), tstd[:, t["mel_high"]].mean(1),
         np.median(tstd, axis=1)], axis=1,
    )  # fmt: skip
    lag = min(4, n - 1)
    if lag >= 1:
        a = lp[:, t["corr_band"]]
        a = a - a.mean(axis=1, keepdims=True)
        num = np.sum(a[:-lag] * a[lag:], axis=1)
        nrm = np.sqrt(np.sum(a * a, axis=1))
        fc = num / (nrm[:-lag] * nrm[lag:] + 1e-12)
        fcorr = fc[starts[:, None] + np.arange(n - lag)[None, :]].mean(axis=1)
        flux = np.mean(np.maximum(np.diff(lm, axis=0), 0.0), axis=1)[starts[:, None] + np.arange(n - 1)[None, :]]
        flux_m, flux_s = flux.mean(axis=1), flux.std(axis=1)
    else:
        fcorr = np.ones(kk)
        flux_m = flux_s = np.zeros(kk)
    idx = starts[:, None] + np.arange(n)[None, :]  # (K, n)
    env = 10.0 * np.log10(mel.sum(axis=1))[idx]
    env = env - env.mean(axis=1, keepdims=True)
    env_std = env.std(axis=1)
    spec_env = np.abs(np.fft.rfft(env * np.hanning(n + 2)[1:-1][None, :], axis=1)) ** 2
    fm = np.fft.rfftfreq(n, HOP / FS_HZ)
    tot_m = spec_env[:, fm >= 1.0].sum(axis=1) + 1e-12
    mods = np.stack(
        [spec_env[:, (fm >= lo) & (fm < hi)].sum(axis=1) / tot_m for lo, hi in ((1, 4), (4, 8), (8, 16), (16, 33))],
        axis=1,
    )
    z = pw / _median_floor(pw)
    band = (80.0, 6000.0)
    comb_hi, up_hi = _comb_batch(z, f, (120.0, 1000.0), band)
    comb_lo, _ = _comb_batch(z, f, (45.0, 120.0), band)
    zb = z[:, t["band"]]
    share3 = np.mean(zb > 3.0, axis=1)
    zs = np.sort(zb, axis=1)
    zmax = np.log10(zs[:, -1])
    ztop = np.log10(zs[:, -10:]).mean(axis=1)
    top5 = np.argsort(np.where(t["band"][None, :], z, 0.0), axis=1)[:, -5:]  # (K, 5)
    lvl = lp[idx[:, :, None], top5[:, None, :]]  # (K, n, 5)
    line_std = lvl.std(axis=1).mean(axis=1)
    lpb = lp[:, t["band"]]
    contrast = lpb - _moving_mean(lpb, 21) > 6.0
    share = _wmean(contrast.astype(np.float32), starts, n)
    ss = np.sort(share, axis=1)
    pers10, pers3 = ss[:, -10:].mean(axis=1), ss[:, -3:].mean(axis=1)
    ceps = np.fft.irfft(np.log(pw), axis=1)
    q = np.arange(ceps.shape[1]) / FS_HZ
    cq = ceps[:, (q >= 1e-3) & (q <= 12.5e-3)]
    cpeak = (cq.max(axis=1) - np.median(cq, axis=1)) / (np.std(cq, axis=1) + 1e-12)
    flat = np.stack([_flatness(pw, t[k]) for k in ("flat_all", "flat_low", "flat_mid", "flat_high")], axis=1)
    cen = np.log2(np.sum(pw * f, axis=1) / tot[:, 0] + 1.0)
    cum = np.cumsum(pw, axis=1) / tot
    roll = np.log2(f[np.minimum(np.argmax(cum >= 0.85, axis=1), f.size - 1)] + 1.0)
    bidx = starts[:, None] + np.arange(n_blocks)[None, :]
    pk = np.max(bpeak[bidx], axis=1)
    r = np.sqrt(np.sum(bsq[bidx], axis=1) / (n_blocks * HOP))
    crest = 20.0 * np.log10((pk + 1e-12) / (r + 1e-12))
    cols = [
        mfcc, oct_db, tstd_f, fcorr[:, None], line_std[:, None], flux_m[:, None], flux_s[:, None], env_std[:, None],
        mods, np.log1p(np.maximum(comb_hi, 0.0))[:, None], np.log1p(np.maximum(comb_lo, 0.0))[:, None],
        up_hi[:, None], share3[:, None], zmax[:, None], ztop[:, None], pers10[:, None], pers3[:, None],
        cpeak[:, None], flat, cen[:, None], roll[:, None], crest[:, None],
    ]  # fmt: skip
    return np.asarray(np.concatenate(cols, axis=1), dtype=float)


def n_windows(n_samples: int) -> int:
    """Windows (1 s, hop 0.25 s) in a 16 kHz signal; a signal shorter than 1 s is one (shorter) window."""
    return 1 if n_samples < WIN else 1 + (n_samples - WIN) // WIN_HOP


def window_features(x: FloatArray) -> FloatArray:
    """Features of every 1 s window (hop 0.25 s) of a 16 kHz mono signal, shape (windows, features).

    A signal shorter than one window gives one row from all its frames (at least one frame; shorter signals are
    zero-padded to one FFT length)."""
    x = np.asarray(x, dtype=np.float64)
    p, bpeak, bsq = frame_spectra(x)
    if x.size < WIN:
        return features_from_frames(p, bpeak, bsq, np.zeros(1, dtype=np.int64), p.shape[0], bpeak.size)
    k = n_windows(x.size)
    return features_from_frames(
        p, bpeak, bsq, np.arange(k, dtype=np.int64) * FRAMES_PER_HOP, FRAMES_PER_WIN, WIN // HOP
    )
