from __future__ import annotations

import numpy as np
import pytest

from borderwatch.sensors.acoustic.physics import (
    absorption_db_per_m,
    ambient_psd_db,
    doppler_factor,
    ground_effect_db,
    is_night_utc,
    speed_of_sound_mps,
    transmission_loss_db,
)
from borderwatch.sensors.catalogue import load_acoustic_catalogue


@pytest.mark.parametrize(
    ("f", "expected_db_km"),
    [(250.0, 1.13), (500.0, 2.80), (1000.0, 4.98), (2000.0, 9.02), (4000.0, 22.9)],
)
def test_iso9613_1_table_20c_70pct(f: float, expected_db_km: float) -> None:
    # ISO 9613-1:1993 Table 1, 20 °C, 70 % relative humidity, 101.325 kPa
    assert absorption_db_per_m(f, 20.0, 70.0) * 1000 == pytest.approx(expected_db_km, rel=0.03)


def test_absorption_grows_with_frequency_and_in_cold_dry_air_differs() -> None:
    f = np.array([100.0, 500.0, 2000.0])
    a = absorption_db_per_m(f, -2.0, 85.0)
    assert np.all(np.diff(a) > 0)
    assert not np.allclose(a, absorption_db_per_m(f, 25.0, 30.0))


def test_speed_of_sound() -> None:
    assert float(speed_of_sound_mps(0.0)) == pytest.approx(331.3)
    assert float(speed_of_sound_mps(20.0)) == pytest.approx(343.2, abs=0.2)


def test_spreading_dominates_short_range_and_ground_effect_bounded() -> None:
    tl1 = transmission_loss_db(500.0, 100.0, 100.0, 3.0, 10.0, 70.0)
    tl2 = transmission_loss_db(500.0, 200.0, 100.0, 3.0, 10.0, 70.0)
    assert float(tl2 - tl1) == pytest.approx(6.02, abs=0.5)
    g = ground_effect_db(np.array([10.0, 1000.0, 10000.0]), 10.0, 3.0)
    assert np.all((g >= 0) & (g <= 4.8))


def test_doppler_approaching_raises_pitch() -> None:
    assert float(doppler_factor(-50.0, 340.0)) > 1.0 > float(doppler_factor(50.0, 340.0))


def test_ambient_day_louder_than_night_and_wind_adds_low_frequency_noise() -> None:
    cat = load_acoustic_catalogue()
    f = np.array([100.0, 1000.0])
    night = ambient_psd_db(f, cat, night=True, wind_mps=0.0)
    day = ambient_psd_db(f, cat, night=False, wind_mps=0.0)
    windy = ambient_psd_db(f, cat, night=True, wind_mps=10.0)
    assert np.all(day > night)
    assert windy[0] - night[0] > 10.0


def test_night_from_local_time() -> None:
    assert is_night_utc(1773450000.0)  # 2026-03-14 01:00 UTC = 03:00 local
    assert not is_night_utc(1773450000.0 + 10 * 3600)
