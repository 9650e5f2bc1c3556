from __future__ import annotations

import numpy as np

from borderwatch.sensors.acoustic.features import (
    FEATURE_NAMES,
    FS_HZ,
    WIN_HOP,
    n_windows,
    window_features,
)


def _rotor(rng: np.random.Generator, n: int) -> np.ndarray:
    t = np.arange(n) / FS_HZ
    return sum(
        np.cos(2 * np.pi * 190.0 * h * t + rng.uniform(0, 6)) / h for h in range(1, 9)
    ) + 0.05 * rng.standard_normal(n)


def test_shapes_and_finite_values_for_noise_silence_and_short_clips() -> None:
    rng = np.random.default_rng(0)
    for x in (rng.standard_normal(FS_HZ), np.zeros(FS_HZ), rng.standard_normal(3200), rng.standard_normal(500)):
        f = window_features(x)
        assert f.shape == (1, len(FEATURE_NAMES))
        assert np.all(np.isfinite(f))


def test_features_do_not_depend_on_gain() -> None:
    rng = np.random.default_rng(1)
    x = _rotor(rng, FS_HZ) + 0.3 * rng.standard_normal(FS_HZ)
    a, b = window_features(0.001 * x), window_features(0.5 * x)
    np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3)


def test_stream_windows_equal_the_windows_cut_out() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal(FS_HZ * 4)
    x[FS_HZ:] += _rotor(rng, 3 * FS_HZ)
    f = window_features(x)
    assert f.shape[0] == n_windows(x.size) == 13
    for k in (0, 3, 7, 12):
        cut = window_features(x[k * WIN_HOP : k * WIN_HOP + FS_HZ])
        np.testing.assert_allclose(f[k], cut[0], rtol=1e-4, atol=1e-4)


def test_harmonic_features_rise_for_a_rotor() -> None:
    rng = np.random.default_rng(3)
    noise = window_features(rng.standard_normal(FS_HZ))[0]
    rotor = window_features(_rotor(rng, FS_HZ))[0]
    for name in ("comb_hi_log", "persistence_top10", "cepstral_peak", "frame_corr_4"):
        i = FEATURE_NAMES.index(name)
        assert rotor[i] > noise[i], name
