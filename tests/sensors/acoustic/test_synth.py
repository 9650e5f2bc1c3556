from __future__ import annotations

import numpy as np
import pytest

from borderwatch.sensors.acoustic import synth
from borderwatch.sensors.acoustic.features import FS_HZ


def test_generators_are_deterministic_and_sized() -> None:
    for gen in (synth.multirotor, synth.piston):
        a, b = gen(np.random.default_rng(5), 0.5), gen(np.random.default_rng(5), 0.5)
        assert a.shape == (FS_HZ // 2,) and np.array_equal(a, b) and np.all(np.isfinite(a))
    for kind in synth.NOISE_KINDS:
        x = synth.noise(np.random.default_rng(6), kind)
        assert x.shape == (FS_HZ,) and np.std(x) > 0
    with pytest.raises(ValueError, match="unknown noise kind"):
        synth.noise(np.random.default_rng(0), "hail")


def test_piston_lines_sit_on_the_catalogue_fundamental() -> None:
    x = synth.piston(np.random.default_rng(7), 2.0, cls="shahed")
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    f = np.fft.rfftfreq(x.size, 1 / FS_HZ)
    peak = f[np.argmax(spec * (f < 1000))]
    lo, hi = synth.PISTON_CLASSES["shahed"][0]
    # the strongest catalogued line is the 4th shaft order (firing frequency)
    assert 4 * lo * 0.95 <= peak <= 4 * hi * 1.05


def test_mix_sets_the_snr() -> None:
    rng = np.random.default_rng(8)
    s, n = rng.standard_normal(FS_HZ), 3.0 * rng.standard_normal(FS_HZ // 3)
    for snr in (-10.0, 0.0, 20.0):
        m = synth.mix(s, n, snr)
        bg = m - s
        assert abs(10 * np.log10(np.mean(s**2) / np.mean(bg**2)) - snr) < 1e-6


def test_augment_keeps_length_and_is_seeded() -> None:
    x = synth.multirotor(np.random.default_rng(9))
    a = synth.augment(x, np.random.default_rng(1))
    assert a.shape == x.shape and np.array_equal(a, synth.augment(x, np.random.default_rng(1)))
    c = synth.crop(x, np.random.default_rng(2))
    assert 0.3 * FS_HZ - 1 <= c.size <= FS_HZ
