from __future__ import annotations

import numpy as np
import pytest

from borderwatch.crossings.forecast import (
    backtest,
    daily_counts,
    fit,
    interval,
    pit_bounds,
    pit_coverage,
    pit_histogram,
    predict,
)
from borderwatch.crossings.sections import Sections
from borderwatch.crossings.synthetic import generate
from borderwatch.errors import InputError

DAY0 = 20_000


@pytest.mark.slow
def test_backtest_on_two_synthetic_years_beats_seasonal_naive(secs: Sections) -> None:
    """Looser than bench/events_forecast.py (which reports the numbers): four weekly origins."""
    syn = generate(secs, day0=DAY0, n_days=730, rng=np.random.default_rng(3), refusals=False)
    counts = daily_counts(syn.events, section_ids=secs.ids, day0=DAY0, n_days=730)
    bt = backtest(counts, day0=DAY0, weather=syn.weather, origins=4, section_ids=secs.ids)
    assert bt.mae_model < bt.mae_seasonal_naive
    assert bt.weekly_mae_model < bt.weekly_mae_seasonal_naive
    assert 0.7 <= bt.coverage_80 <= 0.9  # randomised-PIT coverage; four origins only
    assert 0.7 <= bt.coverage_80_integer <= 0.97  # daily counts near zero cannot have an exact 80 % interval
    assert abs(bt.coverage_80_integer - bt.mean_interval_prob) < 0.06  # the integer intervals hold what they claim
    assert sum(bt.pit_histogram) == pytest.approx(1.0)
    assert bt.cells == 4 * 7 * len(secs.ids)


def test_fit_recovers_rates_and_weekday_effect() -> None:
    rng = np.random.default_rng(0)
    n = 420
    days = np.arange(DAY0, DAY0 + n)
    weekend = ((days + 3) % 7) >= 5
    mu = np.array([[2.0], [6.0]]) * np.where(weekend, 1.5, 1.0)[None, :]
    alpha = 0.2
    counts = rng.poisson(rng.gamma(1 / alpha, alpha * mu))
    m = fit(counts, day0=DAY0)
    f = predict(m, section_ids=["a", "b"], day0=DAY0 + n, n_days=7)
    wk = ((np.arange(DAY0 + n, DAY0 + n + 7) + 3) % 7) >= 5
    truth = np.array([[2.0], [6.0]]) * np.where(wk, 1.5, 1.0)[None, :]
    assert np.allclose(f.mean, truth, rtol=0.15)
    assert m.alpha == pytest.approx(alpha, abs=0.08)
    assert np.all(f.lo <= f.mean) and np.all(f.hi >= f.mean)


def test_interval_probability_is_nearest_80_percent() -> None:
    from scipy.stats import nbinom

    mu = np.array([0.3, 1.0, 4.0, 25.0])
    lo, hi, p = interval(mu, 0.3)
    r = 1 / 0.3
    q = r / (r + mu)
    assert np.allclose(p, nbinom.cdf(hi, r, q) - nbinom.cdf(lo - 1, r, q))
    # the alternative upper end (one more or one less) is never nearer to 0.8
    for d in (-1, 1):
        alt = nbinom.cdf(np.maximum(hi + d, lo), r, q) - nbinom.cdf(lo - 1, r, q)
        assert np.all(np.abs(p - 0.8) <= np.abs(alt - 0.8) + 1e-12)


def test_too_short_a_history_is_an_input_error() -> None:
    with pytest.raises(InputError, match="at least"):
        fit(np.zeros((2, 20)), day0=DAY0)


@pytest.mark.parametrize("mu", [0.05, 0.3, 1.0, 4.0, 30.0])
def test_pit_coverage_of_calibrated_counts_is_80_percent_at_any_mean(mu: float) -> None:
    """Counts drawn from the forecast distribution itself: the integer interval over-covers at small means,
    the randomised-PIT coverage is 0.8 (within sampling error) at every mean."""
    rng = np.random.default_rng(11)
    alpha = 0.25
    m = np.full(40_000, mu)
    y = rng.poisson(rng.gamma(1 / alpha, alpha * m))
    cov = pit_coverage(y, m, alpha)
    assert float(cov.mean()) == pytest.approx(0.8, abs=0.01)
    lo, hi, p = interval(m[:1], alpha)
    assert float(np.mean((y >= lo[0]) & (y <= hi[0]))) == pytest.approx(float(p[0]), abs=0.01)
    hist = pit_histogram(*pit_bounds(y, m, alpha))
    assert np.allclose(hist, 0.1, atol=0.012)


def test_pit_coverage_flags_a_too_narrow_forecast() -> None:
    """Counts twice as dispersed as the forecast says: coverage well below 0.8."""
    rng = np.random.default_rng(12)
    m = np.full(40_000, 5.0)
    y = rng.poisson(rng.gamma(1 / 1.0, 1.0 * m))  # true alpha 1.0
    assert float(pit_coverage(y, m, 0.05).mean()) < 0.65
