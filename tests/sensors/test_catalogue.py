from __future__ import annotations

from borderwatch.sensors.catalogue import load_acoustic_catalogue, load_radar_catalogue
from borderwatch.sim.catalogue import load_catalogue


def test_every_target_class_has_an_acoustic_signature_and_an_rcs() -> None:
    classes = set(load_catalogue().classes)
    assert classes <= set(load_acoustic_catalogue().classes)
    assert classes <= set(load_radar_catalogue().rcs_m2)


def test_calibration_covers_every_audible_class() -> None:
    from borderwatch.sensors.acoustic.model import load_calibration

    cal = load_calibration()
    audible = {k for k, v in load_acoustic_catalogue().classes.items() if not v.silent}
    assert audible <= set(cal.pd_bias)
    assert audible <= set(cal.xi50_db)
