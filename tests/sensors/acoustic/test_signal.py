from __future__ import annotations

import numpy as np
import pytest

from borderwatch.sensors.acoustic.model import load_calibration
from borderwatch.sensors.acoustic.physics import speed_of_sound_mps
from borderwatch.sensors.acoustic.signal import (
    ArrayGeometry,
    Emitter,
    crb_azimuth_rad,
    enbw_hz,
    harmonic_snr,
    process_window,
    synthesise,
    unit_vector,
)
from borderwatch.sensors.catalogue import load_acoustic_catalogue

CAT = load_acoustic_catalogue()
GEOM = ArrayGeometry.from_catalogue(CAT)
C = float(speed_of_sound_mps(10.0))


def test_default_array_is_a_half_metre_ring_plus_raised_centre() -> None:
    assert GEOM.n == 7
    ring = GEOM.mics[:6]
    assert np.allclose(np.hypot(ring[:, 0], ring[:, 1]), 0.25)
    with pytest.raises(ValueError, match="at least 2"):
        ArrayGeometry(np.zeros((1, 3)))


def test_unit_vector_north_is_zero_azimuth() -> None:
    assert np.allclose(unit_vector(0.0, 0.0), [0, 1, 0])
    assert np.allclose(unit_vector(np.pi / 2, 0.0), [1, 0, 0])


@pytest.mark.parametrize(("cls", "f0", "rng_m"), [("quadcopter", 200.0, 250.0), ("shahed", 110.0, 2500.0)])
def test_detects_and_locates_a_loud_source(cls: str, f0: float, rng_m: float) -> None:
    rng = np.random.default_rng(5)
    cal = load_calibration()
    az, el = np.radians(123.0), np.radians(12.0)
    em = Emitter(CAT.classes[cls], f0, rng_m, az, el, -10.0, 80.0)
    w = process_window(synthesise(em, GEOM, CAT, rng), GEOM, CAT, threshold=cal.threshold, c_mps=C)
    assert w.detected and w.az is not None and w.el is not None
    assert abs(np.degrees(np.angle(np.exp(1j * (w.az - az))))) < 2.0
    assert abs(np.degrees(w.el - el)) < 6.0


def test_noise_only_windows_rarely_detect() -> None:
    rng = np.random.default_rng(6)
    cal = load_calibration()
    hits = sum(
        process_window(
            synthesise(None, GEOM, CAT, rng), GEOM, CAT, threshold=cal.threshold, c_mps=C, locate=False
        ).detected
        for _ in range(60)
    )
    assert hits <= 1


def test_crb_falls_with_snr() -> None:
    em = Emitter(CAT.classes["quadcopter"], 200.0, 300.0, 0.3, 0.2)
    s, f = harmonic_snr(em, CAT, temperature_c=10.0, humidity_pct=70.0, night=True, wind_mps=0.0)
    kw = {"az": 0.3, "el": 0.2, "c": C, "duration_s": 1.0, "enbw": enbw_hz(8000.0, 1024)}
    assert crb_azimuth_rad(10 * s, f, GEOM, **kw) == pytest.approx(crb_azimuth_rad(s, f, GEOM, **kw) / np.sqrt(10))
