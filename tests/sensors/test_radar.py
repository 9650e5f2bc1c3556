from __future__ import annotations

import numpy as np
import pytest

from borderwatch.geo import destination
from borderwatch.sensors.catalogue import load_radar_catalogue
from borderwatch.sensors.radar import (
    horizon_range_m,
    pd_at,
    pd_swerling1,
    radar_reports,
    radar_snr_db,
    snr_db_to_lin,
)
from borderwatch.sensors.radar_plot import pd_curves
from borderwatch.sensors.reports import SensorSite

RC = load_radar_catalogue()
SPEC = RC.radars["giraffe1x"]


def test_radar_equation_reference_and_fourth_power() -> None:
    assert float(radar_snr_db(SPEC, 1.0, SPEC.ref_range_m.value)) == pytest.approx(SPEC.snr_ref_db.value)
    assert float(radar_snr_db(SPEC, 1.0, 2 * SPEC.ref_range_m.value)) == pytest.approx(
        SPEC.snr_ref_db.value - 12.04, abs=0.01
    )
    assert float(radar_snr_db(SPEC, 0.01, 1000.0)) == pytest.approx(float(radar_snr_db(SPEC, 1.0, 1000.0)) - 20.0)


def test_swerling1_limits() -> None:
    assert float(pd_swerling1(0.0, 1e-6)) == pytest.approx(1e-6)
    assert float(pd_swerling1(snr_db_to_lin(40.0), 1e-6)) > 0.99


def test_monte_carlo_matches_the_radar_equation() -> None:
    d = pd_curves(n_mc=3000)
    for c in d["curves"].values():
        assert c["max_abs_diff"] < 0.05


def test_horizon_of_a_50m_target() -> None:
    # 12 m antenna, 50 m target: 14.3 + 29.1 km on a 4/3 earth
    assert float(horizon_range_m(12.0, 50.0)) == pytest.approx(43_400, rel=0.01)
    pd = pd_at(SPEC, 100.0, np.array([30_000.0, 50_000.0]), np.array([50.0, 50.0]), 12.0)
    assert pd[0] > 0.5 and pd[1] == 0.0


def test_no_detection_of_a_50m_target_beyond_its_horizon(make_truth) -> None:  # type: ignore[no-untyped-def]
    site = SensorSite("r", "radar", 56.5, 27.0, 112.0)
    ground = 100.0
    # a big (1 m² would be seen at 40 km above the horizon) target flying outbound at 50 m above the radar's ground
    lat0, lon0 = destination(56.5, 27.0, 90.0, 20_000.0)
    tr = make_truth(lat0=float(lat0), lon0=float(lon0), heading_deg=90.0, speed_mps=50.0, alt_m=150.0, n=900,
                    cls="light_aircraft")  # fmt: skip
    zero = SPEC.clutter_fa_per_scan.model_copy(update={"value": 0.0})
    spec = SPEC.model_copy(update={"clutter_fa_per_scan": zero, "bird_fa_per_scan": zero})
    rng = np.random.default_rng(1)
    reps = radar_reports(tr, site, spec, RC, ground, rng, t_start=tr.t[0], t_end=tr.t[-1] + 1)
    hz = float(horizon_range_m(12.0, 50.0))
    assert len(reps) > 50
    assert max(r.range_m for r in reps) < hz + 200.0
    assert any(r.range_m > 0.9 * hz for r in reps)


def test_false_plots_are_poisson_per_scan(make_truth) -> None:  # type: ignore[no-untyped-def]
    site = SensorSite("r", "radar", 56.5, 27.0, 112.0)
    tr = make_truth(lat0=58.9, lon0=20.6, heading_deg=0.0, speed_mps=10.0, alt_m=50.0, n=600, cls="birds")
    reps = radar_reports(tr, site, SPEC, RC, 100.0, np.random.default_rng(4), t_start=tr.t[0], t_end=tr.t[0] + 600)
    expected = 600 * (SPEC.clutter_fa_per_scan.value + SPEC.bird_fa_per_scan.value)
    assert abs(len(reps) - expected) < 4 * np.sqrt(expected)


def test_azimuth_is_measured_where_the_beam_finds_the_target(make_truth) -> None:  # type: ignore[no-untyped-def]
    # a drone passing 600 m from the radar at 50 m/s sweeps up to ~4.8°/s of azimuth: a plot stamped at the
    # illumination time must carry the azimuth of that time (within the 0.3° noise), not of the scan start
    from borderwatch.geo.frames import LocalFrame

    site = SensorSite("r", "radar", 56.5, 27.0, 112.0)
    lat0, lon0 = destination(56.5, 27.0, 90.0, 600.0)
    lat0, lon0 = destination(float(lat0), float(lon0), 180.0, 3000.0)
    tr = make_truth(lat0=float(lat0), lon0=float(lon0), heading_deg=0.0, speed_mps=50.0, alt_m=400.0, n=120)
    zero = SPEC.clutter_fa_per_scan.model_copy(update={"value": 0.0})
    spec = SPEC.model_copy(update={"clutter_fa_per_scan": zero, "bird_fa_per_scan": zero})
    reps = radar_reports(tr, site, spec, RC, 100.0, np.random.default_rng(3), t_start=tr.t[0], t_end=tr.t[-1] + 1)
    assert len(reps) > 60
    t = np.array([r.t for r in reps])
    lat, lon = destination(np.full(t.size, lat0), np.full(t.size, lon0), np.zeros(t.size), 50.0 * (t - tr.t[0]))
    e, n, _ = LocalFrame(site.lat, site.lon, site.alt_m).to_enu(lat, lon, np.full(t.size, 400.0))
    az_true = np.degrees(np.arctan2(e, n)) % 360.0
    err = (np.array([r.az_deg for r in reps]) - az_true + 180.0) % 360.0 - 180.0
    assert np.sqrt(np.mean(err**2)) < 0.45  # σ = 0.3°; the scan-start azimuth gave 0.60° rms here
    assert np.max(np.abs(err)) < 1.5
