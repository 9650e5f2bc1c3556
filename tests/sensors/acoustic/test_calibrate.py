"""A small version of the report-path versus signal-path agreement benchmark (bench/bench_pd_agreement.py)."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.sensors.acoustic.calibrate import fit_logistic, ground_range_for_xi, pd_vs_range
from borderwatch.sensors.acoustic.model import load_calibration
from borderwatch.sensors.acoustic.signal import ArrayGeometry
from borderwatch.sensors.catalogue import load_acoustic_catalogue


@pytest.mark.parametrize("cls", ["quadcopter", "shahed"])
def test_report_path_agrees_with_signal_path_small(cls: str) -> None:
    cat = load_acoustic_catalogue()
    cal = load_calibration()
    a, b = cal.pd_logistic[cls]
    ranges = ground_range_for_xi(cat, cls, np.array([a + 4 * b + 2.0, a, a - 4 * b - 2.0]))
    sig, rep = pd_vs_range(cat, ArrayGeometry.from_catalogue(cat), cal, cls, ranges, 40, np.random.default_rng(3))
    assert sig[0] > 0.8 and sig[-1] < 0.2
    assert np.max(np.abs(sig - rep)) < 0.25  # 40 runs per bin: binomial σ ≤ 0.08


def test_fit_logistic_recovers_parameters() -> None:
    rng = np.random.default_rng(1)
    xi = rng.uniform(-5, 15, 4000)
    det = rng.random(xi.size) < 1 / (1 + np.exp(-(xi - 5.0) / 1.5))
    a, b = fit_logistic(xi, det)
    assert a == pytest.approx(5.0, abs=0.3)
    assert b == pytest.approx(1.5, abs=0.3)
