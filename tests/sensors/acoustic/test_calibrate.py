"""A small version of the report-path versus signal-path agreement benchmark (bench/bench_pd_agreement.py), and
the pieces of the calibration: the comb-tooth Monte Carlo and the residual fit."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.sensors.acoustic.calibrate import (
    Conditions,
    Trial,
    fit_pd_residuals,
    ground_range_for_pd,
    pd_vs_range,
    tooth_table,
)
from borderwatch.sensors.acoustic.model import DetectorModel, harmonic_bin_snr, load_calibration
from borderwatch.sensors.acoustic.signal import ArrayGeometry
from borderwatch.sensors.catalogue import load_acoustic_catalogue

CAT = load_acoustic_catalogue()
GEOM = ArrayGeometry.from_catalogue(CAT)


@pytest.mark.parametrize("cls", ["quadcopter", "shahed"])
@pytest.mark.parametrize("cond", [Conditions(10.0, 70.0, True, 0.0), Conditions(-2.0, 85.0, False, 6.0)])
def test_report_path_agrees_with_signal_path_small(cls: str, cond: Conditions) -> None:
    cal = load_calibration()
    det = DetectorModel.from_calibration(CAT, cal)
    ranges = np.array([ground_range_for_pd(CAT, det, cls, p, cond) for p in (0.97, 0.5, 0.03)])
    sig, rep = pd_vs_range(CAT, GEOM, cal, cls, ranges, 40, np.random.default_rng(3), cond)
    assert sig[0] > 0.8 and sig[-1] < 0.2
    assert rep[0] > 0.8 and rep[-1] < 0.2
    assert np.max(np.abs(sig - rep)) < 0.25  # 40 runs per bin: binomial σ ≤ 0.08


def test_tooth_table_follows_snr_noise_slope_and_offset() -> None:
    t = tooth_table(
        CAT, GEOM, np.random.default_rng(1), n_per_cell=1500, snr_grid=np.array([0.0, 0.3, 1.0]),
        slope_grid=np.array([0.0, 0.5, 1.0]),
    )  # fmt: skip
    m = t.mean_aligned
    # noise only, flat spectrum: the best of three whitened bins (≈98 looks) stands ~0.75σ above 1
    assert m[0, 0] == pytest.approx(0.076, abs=0.012)
    assert t.var_aligned[0, 0] == pytest.approx(0.0077, rel=0.25)
    assert np.all(np.diff(m, axis=1) > 0)  # more signal, bigger tooth
    assert np.all(np.diff(m, axis=0) < 0)  # steeper noise: the running median follows the bin itself
    assert m[0, 2] == pytest.approx(0.9, abs=0.1)  # ≈ scalloping-averaged SNR plus the noise term
    # a window centred more than 1.5 bins off the line misses it; the noise tooth does not care
    far = t.offset > 2.0
    assert np.all(t.mean[0, 2, far] < 0.3) and np.allclose(t.mean[0, 0, far], m[0, 0], atol=0.02)
    assert 0.4 < t.shift_corr[0, 0, 0] < 0.9 and t.shift_corr[1, 0, 0] < t.shift_corr[0, 0, 0]


def test_fit_pd_residuals_recovers_bias_and_scale() -> None:
    cal = load_calibration()
    det = DetectorModel(CAT, cal.tooth, cal.threshold)
    truth = DetectorModel(CAT, cal.tooth, cal.threshold, bias={"quadcopter": 0.04}, sd_scale={"quadcopter": 1.15})
    rng = np.random.default_rng(7)
    d = ground_range_for_pd(CAT, truth, "quadcopter", 0.5) * rng.uniform(0.6, 1.6, 1500)
    snr, f0 = harmonic_bin_snr(
        CAT, "quadcopter", f0_hz=rng.uniform(150.0, 260.0, d.size), range_m=np.hypot(d, 80.0), height_agl_m=80.0,
        radial_speed_mps=rng.uniform(-20.0, 20.0, d.size), temperature_c=10.0, humidity_pct=70.0, night=True,
        wind_mps=0.0,
    )  # fmt: skip
    hit = rng.random(d.size) < truth.pd("quadcopter", snr, f0, night=True, wind_mps=0.0)
    trials = [
        Trial(bool(h), 0.0, 0.0, s, float(f), True, 0.0, None, None) for h, s, f in zip(hit, snr, f0, strict=True)
    ]
    bias, scale = fit_pd_residuals(det, {"quadcopter": trials})
    assert bias["quadcopter"] == pytest.approx(0.04, abs=0.03)
    assert scale["quadcopter"] == pytest.approx(1.15, abs=0.25)
