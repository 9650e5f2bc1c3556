"""Synthetic border events for demos, tests and benches, calibrated to a published figure (see synthetic.yaml).

The expected daily attempts of a section are ``base × weekday × season × trend × weather``, drawn
negative-binomially; the LV–BY level matches the figure quoted in issue 14 (over 3,000 attempts in seven
months). Every other number in the calibration is an assumption, and the output says so.

>>> import numpy as np
>>> from borderwatch.theatre import load_theatre
>>> from borderwatch.crossings.sections import load_sections
>>> secs = load_sections(load_theatre())
>>> syn = generate(secs, day0=20_000, n_days=7, rng=np.random.default_rng(1))
>>> syn.events[0].description[:9]
'synthetic'
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from borderwatch.config import Sourced, Strict, load_model
from borderwatch.crossings.model import EventData
from borderwatch.crossings.sections import Sections

DAY_S = 86400.0
NOTE = (
    "synthetic: LV-BY level calibrated to the published figure quoted in issue 14 (over 3,000 attempts in seven "
    "months); all other rates are assumptions"
)


class SegmentRate(Strict):
    attempts: Sourced
    days: Sourced


class SourcedList(Strict):
    value: list[float]
    source: str


class SourcedShares(Strict):
    value: dict[str, float]
    source: str


class WeatherCalib(Strict):
    temp_mean_c: Sourced
    temp_amplitude_c: Sourced
    temp_noise_c: Sourced
    precip_mean_mm: Sourced


class Calibration(Strict):
    segments: dict[str, SegmentRate]
    weekday_factors: SourcedList
    season_amplitude: Sourced
    season_peak_doy: Sourced
    trend_per_year: Sourced
    temp_coef_per_c: Sourced
    precip_coef_per_mm: Sourced
    dispersion_alpha: Sourced
    hotspot_sigma: Sourced
    group_size_mean: Sourced
    minor_share: Sourced
    female_share: Sourced
    outcome_shares: SourcedShares
    detection_shares: SourcedShares
    night_share: Sourced
    evasion_prob: Sourced
    violence_prob: Sourced
    nationalities: SourcedShares
    refusals_per_open_crossing_per_day: Sourced
    refusal_reason_shares: SourcedShares
    refusal_nationalities: SourcedShares
    weather: WeatherCalib


def load_calibration(path: Path | str | None = None) -> Calibration:
    p = path or Path(str(resources.files("borderwatch.crossings") / "data" / "synthetic.yaml"))
    return load_model(Calibration, p)


@dataclass(frozen=True, slots=True)
class Weather:
    """Daily weather from UTC day ``day0``: mean temperature (°C) and precipitation (mm)."""

    day0: int
    temp_c: np.ndarray
    precip_mm: np.ndarray

    def window(self, day0: int, n: int) -> Weather | None:
        i = day0 - self.day0
        if i < 0 or i + n > len(self.temp_c):
            return None
        return Weather(day0, self.temp_c[i : i + n], self.precip_mm[i : i + n])


@dataclass(frozen=True, slots=True)
class Synthetic:
    events: list[EventData]
    weather: Weather
    expected: np.ndarray  # (sections, days) expected attempts
    note: str = NOTE


def synthetic_weather(day0: int, n_days: int, rng: np.random.Generator, cal: Calibration) -> Weather:
    days = np.arange(day0, day0 + n_days)
    doy = (days + 0.0) % 365.25
    w = cal.weather
    seasonal = w.temp_mean_c.value + w.temp_amplitude_c.value * np.cos(2 * np.pi * (doy - 200) / 365.25)
    noise = np.zeros(n_days)
    e = rng.normal(0.0, w.temp_noise_c.value, n_days)
    for i in range(n_days):  # AR(1), 0.7
        noise[i] = (0.7 * noise[i - 1] if i else 0.0) + e[i] * np.sqrt(1 - 0.49)
    wet = rng.random(n_days) < 0.45
    precip = np.where(wet, rng.exponential(w.precip_mean_mm.value / 0.45, n_days), 0.0)
    return Weather(day0, seasonal + noise, precip)


def expected_attempts(
    sections: Sections, *, day0: int, n_days: int, weather: Weather, cal: Calibration, rng: np.random.Generator
) -> np.ndarray:
    """Expected attempts per section and day ``(sections, days)``."""
    days = np.arange(day0, day0 + n_days)
    lengths = np.array([s.length_km for s in sections.sections])
    hot = np.exp(rng.normal(0.0, cal.hotspot_sigma.value, len(lengths)))
    base = np.zeros(len(lengths))
    for seg, rate in cal.segments.items():
        m = np.array([s.segment == seg for s in sections.sections])
        if m.any():
            w = lengths[m] * hot[m]
            base[m] = rate.attempts.value / rate.days.value * w / w.sum()
    weekday = np.asarray(cal.weekday_factors.value)[(days + 3) % 7]  # epoch day 0 was a Thursday
    doy = days % 365.25
    season = np.exp(cal.season_amplitude.value * np.cos(2 * np.pi * (doy - cal.season_peak_doy.value) / 365.25))
    trend = np.exp(cal.trend_per_year.value * (days - day0) / 365.25)
    wx = np.exp(
        cal.temp_coef_per_c.value * (weather.temp_c - cal.weather.temp_mean_c.value)
        + cal.precip_coef_per_mm.value * weather.precip_mm
    )
    # normalise so the calibration window's mean is the published level
    shape = weekday * season * trend * wx
    return np.asarray(base[:, None] * (shape / shape.mean())[None, :], dtype=float)


def _pick(rng: np.random.Generator, shares: dict[str, float], n: int) -> list[str]:
    keys = list(shares)
    p = np.array([shares[k] for k in keys], dtype=float)
    return [keys[i] for i in rng.choice(len(keys), size=n, p=p / p.sum())]


def generate(
    sections: Sections,
    *,
    day0: int,
    n_days: int,
    rng: np.random.Generator,
    cal: Calibration | None = None,
    refusals: bool = True,
) -> Synthetic:
    """Synthetic unauthorised-crossing events (and refusals of entry at the open crossing points)."""
    cal = cal or load_calibration()
    weather = synthetic_weather(day0, n_days, rng, cal)
    mu = expected_attempts(sections, day0=day0, n_days=n_days, weather=weather, cal=cal, rng=rng)
    alpha = cal.dispersion_alpha.value
    lam = rng.gamma(1.0 / alpha, alpha * mu)  # NB as a gamma-Poisson mixture
    counts = rng.poisson(lam)
    events: list[EventData] = []
    for i, s in enumerate(sections.sections):
        for j in np.nonzero(counts[i])[0]:
            k = int(counts[i, j])
            night = rng.random(k) < cal.night_share.value
            hour = np.where(night, (22 + rng.random(k) * 8) % 24, 6 + rng.random(k) * 16)
            t = (day0 + j) * DAY_S + hour * 3600.0
            persons = 1 + rng.poisson(cal.group_size_mean.value - 1.0, k)
            outcome = _pick(rng, cal.outcome_shares.value, k)
            detection = _pick(rng, cal.detection_shares.value, k)
            for q in range(k):
                n = int(persons[q])
                nat = _pick(rng, cal.nationalities.value, n)
                minors = int(rng.binomial(n, cal.minor_share.value))
                fem = int(rng.binomial(n, cal.female_share.value))
                frac = rng.random()
                aware = float(t[q]) + float(rng.exponential(600.0))
                # first report a few hours after awareness; one in fifty later than the 24 h deadline
                delay = float(rng.exponential(3 * 3600.0)) + (30 * 3600.0 if rng.random() < 0.02 else 0.0)
                pt = s.geometry.interpolate(frac, normalized=True)
                events.append(
                    EventData(
                        attempt="actual" if outcome[q] in ("crossed", "apprehended") else "attempted",
                        manner="clandestine",
                        time_s=float(t[q]),
                        aware_s=aware,
                        reported_s=aware + delay,
                        section=s.id,
                        lat=round(float(pt.y), 5),
                        lon=round(float(pt.x), 5),
                        direction="entry",
                        detection=detection[q],
                        persons=n,
                        nationalities={c: nat.count(c) for c in sorted(set(nat))},
                        age_groups={"adult": n - minors, "minor": minors} if minors else {"adult": n},
                        sex={"male": n - fem, "female": fem} if fem else {"male": n},
                        transport="on_foot",
                        evasion=bool(rng.random() < cal.evasion_prob.value),
                        violence=bool(rng.random() < cal.violence_prob.value),
                        outcome=outcome[q],
                        credibility="confirmed",
                        reliability="A",
                        validation="validated",
                        description=NOTE,
                    )
                )
    if refusals:
        events += _refusals(sections, day0=day0, n_days=n_days, rng=rng, cal=cal)
    events.sort(key=lambda e: e.time_s)
    return Synthetic(events=events, weather=weather, expected=mu)


def _refusals(
    sections: Sections, *, day0: int, n_days: int, rng: np.random.Generator, cal: Calibration
) -> list[EventData]:
    out: list[EventData] = []
    for c in sections.theatre.crossings:
        if c.status != "open" or c.lat is None or c.lon is None:
            continue
        try:
            sec = sections.nearest(c.lat, c.lon)[0].id
        except Exception:
            continue
        k = rng.poisson(cal.refusals_per_open_crossing_per_day.value * n_days)
        t = (day0 + rng.random(k) * n_days) * DAY_S
        nat = _pick(rng, cal.refusal_nationalities.value, k)
        rs = _pick(rng, cal.refusal_reason_shares.value, k)
        for q in range(k):
            out.append(
                EventData(
                    category="refusal_of_entry",
                    attempt="attempted",
                    manner="open",
                    time_s=float(t[q]),
                    reported_s=float(t[q]) + 1800.0,
                    section=sec,
                    crossing_point=c.name,
                    direction="entry",
                    detection="bcp_check",
                    persons=1,
                    nationalities={nat[q]: 1},
                    age_groups={"adult": 1},
                    sex={"female": 1} if rng.random() < 0.3 else {"male": 1},
                    transport="vehicle" if c.kind == "road" else "train",
                    outcome="turned_back",
                    refusal_reasons=[rs[q]],
                    credibility="confirmed",
                    reliability="A",
                    validation="validated",
                    description=NOTE,
                )
            )
    return out
