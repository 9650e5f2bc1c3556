"""The sensor layer's entry point: truth in, reports out (time-ordered by reception).

>>> # reports = simulate_reports(truth, theatre, layout, weather, rng)   # see jobs.simulate_job
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from borderwatch.errors import InputError
from borderwatch.sensors.acoustic.model import load_calibration
from borderwatch.sensors.acoustic.physics import is_night_utc
from borderwatch.sensors.acoustic.reports import AcousticEnv, acoustic_reports
from borderwatch.sensors.adsb import adsb_reports
from borderwatch.sensors.catalogue import load_acoustic_catalogue, load_radar_catalogue
from borderwatch.sensors.layout import Layout
from borderwatch.sensors.radar import radar_reports
from borderwatch.sensors.reports import Report
from borderwatch.sim.scenario import SensorOptions, Weather
from borderwatch.sim.truth import TruthTable
from borderwatch.theatre.model import Theatre


def _mask(ids: list[str], pattern: str) -> NDArray[np.bool_]:
    return np.array([fnmatch.fnmatchcase(i, pattern) for i in ids], dtype=bool)


def simulate_reports(
    truth: TruthTable,
    theatre: Theatre,
    layout: Layout,
    weather: Weather,
    rng: np.random.Generator,
    *,
    options: SensorOptions | None = None,
    t_start: float | None = None,
    t_end: float | None = None,
    origins: list[tuple[int, float]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Report]:
    """Reports of every sensor of ``layout`` for ``truth``, sorted by reception time ``t`` (UTC epoch s).

    ``t_start``/``t_end`` default to the truth's time span (acoustic reports continue until the last sound
    has reached the nodes). Outage windows and clock errors come from ``options``. ``origins``, when given,
    receives one ``(target index, emission time)`` per returned report, in the same order (``-1`` for clutter
    and false bearings): simulation truth that lets a closed-loop run silence a killed drone.
    ``progress(done, total)`` is called after each step (the acoustic network, each radar, each ADS-B receiver,
    the final sort).
    """
    opts = options or SensorOptions()
    if len(truth) == 0 and t_start is None:
        return []
    t0 = float(truth.t.min()) if t_start is None else t_start
    t1 = float(truth.t.max()) + 1.0 if t_end is None else t_end
    ac_cat = load_acoustic_catalogue()
    rc = load_radar_catalogue()
    cal = load_calibration()
    all_ids = layout.acoustic_ids + [s.id for s in layout.radars] + [s.id for s in layout.adsb]
    for i, o in enumerate(opts.outages):
        if not _mask(all_ids, o.sensor).any():
            raise InputError(f"no sensor matches {o.sensor!r}", source="scenario", field=f"sensors.outages[{i}].sensor")
    night = is_night_utc(t0) if opts.ambient == "auto" else opts.ambient == "night"
    env = AcousticEnv(weather.temperature_c, weather.humidity_pct, weather.wind.speed_mps, night)
    ac_out = [(_mask(layout.acoustic_ids, o.sensor), t0 + o.start_s, t0 + o.end_s) for o in opts.outages]
    offsets = (
        rng.normal(0.0, opts.clock_error_s, len(layout.acoustic_ids))
        if opts.clock_error_s > 0
        else np.zeros(len(layout.acoustic_ids))
    )
    n_steps = 2 + len(layout.radars) + len(layout.adsb)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, n_steps)

    if progress is not None:
        progress(0, n_steps)
    reports: list[Report] = []
    org: list[tuple[int, float]] | None = [] if origins is not None else None
    reports += acoustic_reports(
        truth, ids=layout.acoustic_ids, lat=layout.acoustic_lat, lon=layout.acoustic_lon, alt=layout.acoustic_alt,
        ground=layout.acoustic_ground, cat=ac_cat, cal=cal, env=env, rng=rng, t_start=t0,
        t_end=t1 + ac_cat.node.max_range_m.value / 300.0, clock_offset_s=offsets, outages=ac_out,
        origins=org,
    )  # fmt: skip
    step()
    for site in layout.radars:
        up = np.ones(len(truth), dtype=bool)
        for o in opts.outages:
            if fnmatch.fnmatchcase(site.id, o.sensor):
                up &= ~((truth.t >= t0 + o.start_s) & (truth.t < t0 + o.end_s))
        spec = rc.radars[str(site.extra.get("model", "giraffe1x"))]
        g = float(theatre.ground_height_m(site.lat, site.lon))
        reports += radar_reports(truth, site, spec, rc, g, rng, t_start=t0, t_end=t1, up=up, origins=org)
        step()
    for site in layout.adsb:
        up = np.ones(len(truth), dtype=bool)
        for o in opts.outages:
            if fnmatch.fnmatchcase(site.id, o.sensor):
                up &= ~((truth.t >= t0 + o.start_s) & (truth.t < t0 + o.end_s))
        g = float(theatre.ground_height_m(site.lat, site.lon))
        reports += adsb_reports(truth, site, rc.adsb, g, rng, up=up, origins=org)
        step()
    if org is None or origins is None:
        reports.sort(key=lambda r: (r.t, r.sensor))
        step()
        return reports
    assert len(org) == len(reports), "every report has one origin"
    order = sorted(range(len(reports)), key=lambda i: (reports[i].t, reports[i].sensor))
    origins.extend(org[i] for i in order)
    step()
    return [reports[i] for i in order]
