"""Acceptance on a shortened latgale-night-raid: every hostile drone that crosses the border has a confirmed track
before it crosses, with at most one ID switch per target on average.

Reports come from ``borderwatch.tracking.testing`` (acoustic nodes every 1.5 km along the watched border, three
radars behind it) until ``borderwatch.sensors`` simulates them.
"""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.geo.frames import LocalFrame
from borderwatch.sim import load_scenario, simulate
from borderwatch.theatre.model import Theatre
from borderwatch.tracking import Tracker
from borderwatch.tracking.metrics import evaluate, gospa
from borderwatch.tracking.sites import site_table
from borderwatch.tracking.testing import (
    acoustic_bearings,
    points_along,
    radar_scans,
    reception_order,
    truth_grid,
)

RADARS = {"r-rezekne": (56.51, 27.33), "r-ludza": (56.55, 27.72), "r-daugavpils": (55.87, 26.53)}


@pytest.mark.slow
def test_night_raid_tracks_before_crossing(theatre: Theatre) -> None:
    from borderwatch.sensors.reports import SensorSite

    sc = load_scenario("latgale-night-raid").model_copy(update={"duration_s": 1500})
    table = simulate(sc, theatre)
    rng = np.random.default_rng(14)
    lat, lon = points_along(theatre, 1500.0)
    sites = [
        SensorSite(f"ac-{i:03d}", "acoustic", float(a), float(o), 150.0)
        for i, (a, o) in enumerate(zip(lat, lon, strict=True))
    ]
    sites += [SensorSite(k, "radar", a, o, 180.0) for k, (a, o) in RADARS.items()]
    frame = LocalFrame(float(np.mean(lat)), float(np.mean(lon)), 150.0)
    tab = site_table(sites, frame)
    truth, alive = truth_grid(table, frame)
    nodes = [s.id for s in sites if s.type == "acoustic"]
    reps = acoustic_bearings(truth, tab, nodes, rng, range_m=3000.0, c_sound=331.3 * np.sqrt(1 - 2 / 273.15), pd=0.9,
                             class_hint="shahed")  # fmt: skip
    for r in RADARS:
        reps += [p for sc_ in radar_scans(truth, tab, r, rng, period_s=2.0, pd=0.9, clutter_per_scan=5.0,
                                          max_range_m=40e3) for p in sc_]  # fmt: skip
    reps = reception_order(reps)
    trk = Tracker(sites, sites=tab)
    hostile = np.array([ti.hostile for ti in table.targets])
    crossing = np.full(len(table.targets), np.inf)
    for k in range(len(table.targets)):
        rows = np.flatnonzero(table.idx == k)
        inside = np.flatnonzero(theatre.in_home(table.lat[rows], table.lon[rows]))
        if inside.size:
            crossing[k] = table.t[rows[inside[0]]]
    tracked_before = np.zeros(len(table.targets), dtype=bool)
    est_t, est_id, est_pos, tru_t, tru_id, tru_pos = [], [], [], [], [], []
    j = 0
    for i, te in enumerate(truth.t):
        while j < len(reps) and reps[j].t <= te:
            trk.feed(reps[j])
            j += 1
        ids, pos = trk.confirmed_enu(float(te))
        a = np.flatnonzero(alive[i])
        g = gospa(truth.pos[i, a], pos)
        for ti_, _ in g.assignment:
            k = int(a[ti_])
            if te <= crossing[k]:
                tracked_before[k] = True
        est_t += [float(te)] * len(ids)
        est_id += [str(x) for x in ids]
        est_pos.append(pos)
        tru_t += [float(te)] * a.size
        tru_id += [table.targets[int(k)].id for k in a]
        tru_pos.append(truth.pos[i, a])
    crossers = hostile & np.isfinite(crossing)
    assert crossers.sum() >= 10
    missed = [table.targets[k].id for k in np.flatnonzero(crossers & ~tracked_before)]
    assert not missed, f"no confirmed track before the border: {missed}"
    ev = evaluate(
        times=truth.t, truth_t=np.array(tru_t), truth_id=tru_id, truth_pos=np.concatenate(tru_pos),
        est_t=np.array(est_t), est_id=est_id, est_pos=np.concatenate(est_pos),
    )  # fmt: skip
    print(f"night raid: {int(crossers.sum())} hostile crossers all tracked before the border; "
          f"ID switches {ev.id_switches} ({ev.id_switches_per_target:.3f}/target); GOSPA {ev.gospa_mean_m:.1f} m; "
          f"RMSE {ev.position_rmse_m:.1f} m; targets {ev.targets}")  # fmt: skip
    assert ev.id_switches_per_target <= 1.0, ev.to_dict()


@pytest.mark.slow
def test_night_raid_with_sensor_reports(theatre: Theatre) -> None:
    """The same acceptance on ``borderwatch.sensors.simulate_reports`` (the sensors engineer's models, WIP):
    every hostile crosser has a confirmed track before the border, with at most one ID switch per target on average
    (0.62 on this shortened run, 0.85 on the full raid; see docs/architecture.md, Tracking)."""
    from borderwatch.sensors.layout import load_layout
    from borderwatch.sensors.simulate import simulate_reports

    sc = load_scenario("latgale-night-raid").model_copy(update={"duration_s": 1500})
    table = simulate(sc, theatre)
    layout = load_layout(sc.sensors.layout, theatre)
    reps = simulate_reports(
        table, theatre, layout, sc.weather, np.random.default_rng([sc.seed, 3]), options=sc.sensors,
        t_start=sc.t0, t_end=sc.t0 + sc.duration_s,
    )  # fmt: skip
    sites = layout.sites
    frame = LocalFrame(float(np.mean(table.lat)), float(np.mean(table.lon)), 0.0)
    trk = Tracker(sites)
    times = np.unique(table.t)
    crossing: dict[int, float] = {}
    for k, ti in enumerate(table.targets):
        rows = np.flatnonzero(table.idx == k)
        inside = np.flatnonzero(theatre.in_home(table.lat[rows], table.lon[rows]))
        if ti.hostile and inside.size:
            crossing[k] = float(table.t[rows[inside[0]]])
    e, n, u = frame.to_enu(table.lat, table.lon, table.alt)
    tpos = np.stack([e, n, u], -1).reshape(-1, 3)
    first: dict[int, float] = {}
    j = 0
    est_t: list[float] = []
    est_id: list[str] = []
    est_pos: list[np.ndarray] = []
    for te in times:
        while j < len(reps) and reps[j].t <= te:
            trk.feed(reps[j])
            j += 1
        est = trk.estimates(float(te))
        sel = np.flatnonzero(table.t == te)
        if not est:
            continue
        ee, en, eu = frame.to_enu([x.lat for x in est], [x.lon for x in est], [x.alt_m for x in est])
        p = np.stack([np.atleast_1d(ee), np.atleast_1d(en), np.atleast_1d(eu)], -1)
        for i, _ in gospa(tpos[sel], p).assignment:
            first.setdefault(int(table.idx[sel[i]]), float(te))
        est_t += [float(te)] * len(est)
        est_id += [x.track for x in est]
        est_pos.append(p)
    assert len(crossing) >= 10
    late = [table.targets[k].id for k, tc in crossing.items() if first.get(k, np.inf) > tc]
    assert not late, f"no confirmed track before the border: {late}"
    ev = evaluate(
        times=times, truth_t=table.t, truth_id=[table.targets[int(i)].id for i in table.idx], truth_pos=tpos,
        est_t=np.array(est_t), est_id=est_id, est_pos=np.concatenate(est_pos),
    )  # fmt: skip
    print(f"night raid (sensor reports, {sc.duration_s:.0f} s): {len(crossing)} crossers tracked before the border; "
          f"ID switches {ev.id_switches_per_target:.2f}/target; rejected {dict(trk.summary.rejected)}")  # fmt: skip
    assert ev.id_switches_per_target <= 1.0, ev.to_dict()
