from __future__ import annotations

import numpy as np
import pytest

from borderwatch.crossings.forecast import backtest, daily_counts, fit, interval, predict
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
    assert 0.7 <= bt.coverage_80 <= 0.97  # daily counts near zero cannot have an exact 80 % interval
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
