"""The report path's comb-detector model: line SNRs, the tooth table, the correlated-comb Pd and the file format."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import ndtr
from scipy.stats import multivariate_normal

from borderwatch.errors import InputError
from borderwatch.sensors.acoustic.model import (
    CombMoments,
    DetectorModel,
    ToothTable,
    calibration_path,
    format_calibration,
    harmonic_bin_snr,
    load_calibration,
    parse_calibration,
    xi_from_snr,
)
from borderwatch.sensors.acoustic.physics import speed_of_sound_mps
from borderwatch.sensors.acoustic.signal import Emitter, harmonic_snr
from borderwatch.sensors.catalogue import load_acoustic_catalogue

CAT = load_acoustic_catalogue()
KW = {"temperature_c": 5.0, "humidity_pct": 60.0, "night": False, "wind_mps": 3.0}


def test_line_snr_is_the_signal_paths() -> None:
    em = Emitter(CAT.classes["shahed"], 110.0, 3000.0, 0.3, 0.1, -12.0, 300.0)
    s_sig, f_sig = harmonic_snr(em, CAT, **KW)
    snr, f0 = harmonic_bin_snr(
        CAT, "shahed", f0_hz=110.0, range_m=3000.0, height_agl_m=300.0, radial_speed_mps=-12.0, **KW
    )  # fmt: skip
    assert float(f0) == pytest.approx(110.0 * speed_of_sound_mps(5.0) / (speed_of_sound_mps(5.0) - 12.0))
    assert np.allclose(snr[snr > 0], s_sig)
    assert np.allclose(f_sig, f0 * (np.flatnonzero(snr > 0) + 1))
    xi = xi_from_snr(snr)
    assert float(xi) == pytest.approx(10 * np.log10(s_sig.sum()))
    assert float(xi_from_snr(np.zeros(12))) == -np.inf


def _table() -> ToothTable:
    snr = np.array([0.0, 0.1, 1.0, 10.0])
    slope = np.array([0.0, 0.5, 1.0])
    aligned = np.array([[0.0, 0.1, 1.0, 10.0], [0.0, 0.05, 0.5, 5.0], [0.0, 0.0, 0.2, 2.0]])
    offset = np.array([0.25, 0.75, 1.25])
    mean = aligned[:, :, None] * np.array([1.0, 0.5, 0.25])  # the tooth falls as its window moves off the line
    corr = np.stack([np.full((3, 4), 0.6), np.full((3, 4), 0.2)])
    return ToothTable(snr, slope, offset, mean, 0.01 + mean / 10, corr)


def test_tooth_table_interpolates_and_clamps() -> None:
    t = _table()
    m, v = t.lookup(np.array([0.0, 1.0, 10.0, 1.0, 1e6]), np.array([0.0, 0.5, 0.25, -0.5, 9.0]))
    assert np.allclose(m, [0.0, 0.5, 7.5, 0.5, 2.0])  # aligned: offsets below half a bin
    assert np.allclose(v, 0.01 + m / 10)
    m_off, _ = t.lookup_offset(np.array([1.0, 1.0, 1.0, 1.0]), np.zeros(4), np.array([0.25, 0.5, -1.25, 3.0]))
    assert np.allclose(m_off, [1.0, 0.75, 0.25, 0.25])
    assert np.allclose(t.lookup_shift_corr(1.0, 0.3), [0.6, 0.2])
    with pytest.raises(ValueError, match="start at 0"):
        ToothTable(np.array([0.1, 1.0]), np.array([0.0, 1.0]), t.offset, np.zeros((2, 2, 3)), np.ones((2, 2, 3)),
                   np.zeros((2, 2, 2)))  # fmt: skip


def test_the_fine_search_over_candidates_raises_pd() -> None:
    # a quadcopter heard mostly on its first harmonics: neighbouring candidates keep the lines, redraw the noise
    cal = load_calibration()
    det = DetectorModel.from_calibration(CAT, cal)
    snr, f0 = harmonic_bin_snr(
        CAT, "quadcopter", f0_hz=np.linspace(150.0, 260.0, 40), range_m=1100.0, height_agl_m=80.0,
        radial_speed_mps=0.0, temperature_c=-5.0, humidity_pct=50.0, night=True, wind_mps=0.0,
    )  # fmt: skip
    m = det.moments(snr, f0, night=True, wind_mps=0.0)
    kw = {"bias": cal.pd_bias["quadcopter"], "sd_scale": cal.pd_sd_scale["quadcopter"]}
    coarse, fine = det.pd_from_moments(m, **kw, expanded=0), det.pd_from_moments(m, **kw)
    mid = (coarse > 0.05) & (coarse < 0.95)
    assert mid.sum() > 5 and np.all(fine[mid] > coarse[mid])


def _two_combs(mu: tuple[float, float], var: tuple[float, float], line_var: float) -> tuple[DetectorModel, CombMoments]:
    """Moments where only the combs at f0 and f0/2 are searched; they share lines 1–6."""
    cal = load_calibration()
    det = DetectorModel(CAT, cal.tooth, cal.threshold)
    c1, c2 = int(np.flatnonzero(det.q == 1.0)[0]), int(np.flatnonzero(det.q == 0.5)[0])
    n_c = det.q.size
    mean, v, n = np.zeros((1, n_c)), np.ones((1, n_c)), np.full((1, n_c), 12.0)
    valid = np.zeros((1, n_c), dtype=bool)
    for c, m_, v_ in ((c1, mu[0], var[0]), (c2, mu[1], var[1])):
        mean[0, c], v[0, c], valid[0, c] = m_, v_, True
    lv = np.zeros((1, 12))
    lv[0, :6] = line_var
    snr = np.zeros((1, 12))
    return det, CombMoments(
        mean, v, n, valid, lv, np.zeros(1, dtype=np.int64), snr, snr.copy(), np.ones(1, dtype=bool), np.zeros(1)
    )


def test_one_comb_is_a_normal_tail_and_independent_combs_multiply() -> None:
    det, m = _two_combs((0.65, 0.60), (0.01, 0.008), 0.0)
    thr = det.threshold
    p1, p2 = ndtr((0.65 + 0.02 - thr) / (1.1 * 0.1)), ndtr((0.60 + 0.02 - thr) / (1.1 * np.sqrt(0.008)))
    pd = det.pd_from_moments(m, bias=0.02, sd_scale=1.1, expanded=0)
    assert pd[0] == pytest.approx(1 - (1 - p1) * (1 - p2), abs=1e-6)
    m.valid[0, np.flatnonzero(det.q == 0.5)[0]] = False
    assert det.pd_from_moments(m, bias=0.02, sd_scale=1.1, expanded=0)[0] == pytest.approx(p1, abs=1e-9)


def test_combs_sharing_their_lines_are_not_counted_twice() -> None:
    # both combs: 12 teeth, 6 of them on the shared lines (variance 0.02 each), 6 on noise (0.007): ρ ≈ 0.74
    var = (6 * 0.02 + 6 * 0.007) / 12
    det, m = _two_combs((0.66, 0.64), (var, var), 0.02)
    rho = (6 * 0.02 / 12) / var
    truth = 1.0 - multivariate_normal(mean=[0.66, 0.64], cov=var * np.array([[1, rho], [rho, 1]])).cdf(
        [det.threshold, det.threshold]
    )
    pd = float(det.pd_from_moments(m, bias=0.0, sd_scale=1.0, expanded=0)[0])
    assert pd == pytest.approx(truth, abs=0.01)
    p1, p2 = ndtr((0.66 - det.threshold) / np.sqrt(var)), ndtr((0.64 - det.threshold) / np.sqrt(var))
    assert pd < 1 - (1 - p1) * (1 - p2) - 0.05  # well below the independent-combs value


def test_pd_falls_with_range_and_is_zero_for_unfitted_classes() -> None:
    cal = load_calibration()
    det = DetectorModel.from_calibration(CAT, cal)
    assert DetectorModel.from_calibration(CAT, cal) is det
    d = np.geomspace(100.0, 20000.0, 60)
    snr, f0 = harmonic_bin_snr(
        CAT, "shahed", f0_hz=110.0, range_m=d, height_agl_m=300.0, radial_speed_mps=0.0, **KW
    )  # fmt: skip
    pd = det.pd("shahed", snr, f0, night=False, wind_mps=3.0)
    assert pd[0] == 1.0 and pd[-1] < 1e-6  # far away only the separately drawn false alarms remain
    assert np.all(np.diff(pd) <= 1e-9)
    assert np.all(det.pd("birds", snr, f0, night=False, wind_mps=3.0) == 0.0)


def test_calibration_file_round_trips_and_old_files_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    d = json.loads(calibration_path().read_text(encoding="utf-8"))
    cal = parse_calibration(d, source="x")
    assert json.loads(json.dumps(cal.to_json())) == d
    assert json.loads(format_calibration(cal.to_json())) == d
    old = {"threshold": 0.7, "pfa_window": 0.001, "pd_logistic": {"shahed": {"a_db": 3.0, "b_db": 0.5}}}
    with pytest.raises(InputError, match=r"regenerate with scripts/calibrate_acoustic\.py"):
        parse_calibration(old, source="old.json")
    bad = dict(d)
    bad["tooth_table"] = {**d["tooth_table"], "mean": [[0.0]]}
    with pytest.raises(InputError, match="bad calibration"):
        parse_calibration(bad, source="bad.json")
    with pytest.raises(InputError, match="bad calibration"):
        parse_calibration([1, 2], source="list.json")
