from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borderwatch.geo.frames import LocalFrame
from borderwatch.sensors.reports import AdsbReport, BearingReport, RadarReport, write_reports, write_sensors
from borderwatch.tracking import Tracker, TrackerConfig, TrackerSummary, TrackEstimate, run_tracker, track_files
from borderwatch.tracking.metrics import gospa
from borderwatch.tracking.testing import (
    acoustic_bearings,
    adsb_reports,
    make_truth,
    radar_scans,
    reception_order,
    sites_from_enu,
    table_for,
)

FRAME = LocalFrame(56.8, 27.5, 100.0)


def _radar_setup(n: int, seed: int = 1, t0: float = 0.0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    sites = sites_from_enu(FRAME, [("r1", "radar", 0.0, 0.0, 0.0), ("adsb-1", "adsb", 0.0, 0.0, 0.0)])
    tab = table_for(FRAME, sites)
    truth = make_truth(rng, n_targets=n, duration_s=30.0, dt=0.1, t0=t0, box_m=(-15e3, 15e3, -15e3, 15e3))
    scans = radar_scans(truth, tab, "r1", rng, clutter_per_scan=10.0, sigma_rr_mps=1.0)
    return rng, sites, tab, truth, scans


@pytest.mark.parametrize("batch_update", [True, False])
def test_radar_tracks_every_target_with_clutter(batch_update: bool) -> None:
    _, sites, tab, truth, scans = _radar_setup(10)
    trk = Tracker(sites, TrackerConfig(batch_update=batch_update), sites=tab)
    for sc in scans:
        trk.feed_many(sc)
    _ids, pos = trk.confirmed_enu(30.0)
    g = gospa(truth.pos[-1], pos)
    assert len(g.assignment) == 10
    assert g.false <= 125000.0  # at most one false track
    assert np.sqrt(g.localisation / 10) < 80.0


def test_adsb_identity_adopted_and_output_record() -> None:
    rng, sites, _tab, truth, scans = _radar_setup(3, seed=2)
    ads = adsb_reports(truth, FRAME, [1], ["4ca1b2"], rng, period_s=2.0)
    reps = reception_order([r for sc in scans for r in sc], ads)
    est = [e for e in run_tracker(reps, sites) if not isinstance(e, TrackerSummary)]
    last_t = max(e.t for e in est)
    last = [e for e in est if e.t == last_t]
    coop = [e for e in last if e.cooperative]
    assert len(coop) == 1 and coop[0].icao == "4ca1b2"
    d = coop[0].to_dict()
    assert set(d) >= {"t", "track", "lat", "lon", "alt_m", "vel_enu_mps", "cov_pos_enu_m2", "status", "class",
                      "sensors", "cooperative", "icao"}  # fmt: skip
    assert "adsb-1" in d["sensors"]
    assert np.isclose(sum(d["class"].values()), 1.0, atol=0.05)


def test_bearing_only_track_with_sound_delay() -> None:
    rng = np.random.default_rng(4)
    specs = [(f"a{i}", "acoustic", 1500.0 * (i % 3), 1500.0 * (i // 3), 0.0) for i in range(9)]
    sites = sites_from_enu(FRAME, specs)
    tab = table_for(FRAME, sites)
    truth = make_truth(rng, n_targets=1, duration_s=60.0, box_m=(1000, 2000, 1000, 2000), speed_mps=(15, 20),
                       up_m=(200, 300), turn_fraction=0.0)  # fmt: skip
    reps = acoustic_bearings(truth, tab, [s[0] for s in specs], rng, range_m=3000.0, class_hint="quadcopter")
    reps.sort(key=lambda r: r.t)
    trk = Tracker(sites, sites=tab)
    trk.feed_many(reps)
    est = trk.estimates(60.0)
    assert len(est) == 1
    p = truth.pos[-1, 0]
    assert np.linalg.norm(np.array(est[0].enu_m) - p) < 150.0
    assert max(est[0].cls, key=est[0].cls.__getitem__) == "quadcopter"


def test_bad_reports_are_counted_and_never_stop_the_tracker(tmp_path: Path) -> None:
    t0 = 1773450000.0  # UTC epoch, so an hour earlier is still a valid time, only far behind the stream
    _, sites, _tab, _truth, scans = _radar_setup(2, seed=3, t0=t0)
    good = [r for sc in scans for r in sc]
    sens = tmp_path / "sensors.json"
    write_sensors(sites, sens)
    rep = tmp_path / "reports.jsonl"
    with rep.open("w") as fh:
        write_reports(good[:40], fh)
        fh.write('{"t": 5.0, "sensor": "r1", "type": "radar", "az_deg": 10}\n')  # missing range
        fh.write('{"t": 5.0, "sensor": "r1", "type": "radar", "range_m": NaN, "az_deg": 10, "el_deg": 1,'
                 ' "sigma_range_m": 1, "sigma_az_deg": 1, "sigma_el_deg": 1}\n')  # fmt: skip
        fh.write('{"t": 5.0, "sensor": "r1", "type": "bearing", "az_deg": 400, "sigma_az_deg": 2}\n')
        fh.write("not json\n")
        write_reports(
            [
                BearingReport(t=good[40].t, sensor="ghost", az_deg=10.0, sigma_az_deg=2.0),
                RadarReport(good[40].t - 3600.0, "r1", 1000.0, 1.0, 1.0, 10.0, 1.0, 1.0),
                RadarReport(good[40].t + 3600.0, "r1", 1000.0, 1.0, 1.0, 10.0, 1.0, 1.0),
                AdsbReport(good[40].t, "r1", "abcdef", 56.8, 27.5, 500.0),
            ],
            fh,
        )
        write_reports(good[40:], fh)
    out = tmp_path / "tracks.jsonl"
    summary = track_files(rep, sens, out)
    rej = summary["rejected"]
    assert rej["range_m: missing"] == 1
    assert rej["range_m: not finite"] == 1 or rej.get("line: not JSON", 0) >= 2
    assert rej["az_deg: outside [0, 360)"] == 1
    assert rej["sensor: unknown id"] == 1
    assert rej["t: too far in the past"] == 1
    assert rej["t: too far in the future"] == 1
    assert rej["sensor: report type does not match the sensor type"] == 1
    assert summary["accepted"] == len(good)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines and max(x["t"] for x in lines) >= t0 + 29.0
    assert len({x["track"] for x in lines if x["t"] == lines[-1]["t"]}) == 2


def test_late_report_is_used_not_dropped() -> None:
    _, sites, tab, _, scans = _radar_setup(1, seed=5)
    trk = Tracker(sites, TrackerConfig(), sites=tab)
    for sc in scans[:10]:
        trk.feed_many(sc)
    trk.estimates(10.0)
    late = [r for r in scans[8] if r.rcs_dbsm is not None]
    n0 = trk.summary.accepted
    trk.feed_many(late)
    trk.estimates(10.5)
    assert trk.summary.accepted == n0 + len(late)
    assert not trk.summary.rejected


@pytest.mark.parametrize("interval", [0.5, 2.0])
def test_emit_interval_multiples(interval: float) -> None:
    _, sites, _, _, scans = _radar_setup(2, seed=6)
    reps = [r for sc in scans for r in sc]
    ts = sorted({e.t for e in run_tracker(reps, sites, emit_interval_s=interval) if not isinstance(e, TrackerSummary)})
    assert ts and all(abs(t / interval - round(t / interval)) < 1e-9 for t in ts)


def test_frame_columns_keep_optional_fields_and_side_data() -> None:
    """Reports fed in one frame become measurement groups by kind and dimension, in reception order within a group
    (``rid`` is the reception index in the frame): missing elevations / radial velocities pick the smaller
    dimension, RCS and class hints follow their rows."""
    sites = sites_from_enu(
        FRAME,
        [("a1", "acoustic", 0.0, 0.0, 0.0), ("r1", "radar", 0.0, 0.0, 0.0), ("adsb-1", "adsb", 0.0, 0.0, 0.0)],
    )
    trk = Tracker(sites)
    reps = [
        BearingReport(0.0, "a1", 10.0, 2.0, el_deg=5.0, sigma_el_deg=3.0, class_hint="quadcopter"),
        RadarReport(0.1, "r1", 1000.0, 20.0, 1.0, 10.0, 0.3, 0.4, rr_mps=5.0, sigma_rr_mps=0.5),
        BearingReport(0.1, "a1", 20.0, 2.0, el_deg=5.0, class_hint=""),  # elevation without its sigma: azimuth only
        RadarReport(0.2, "r1", 2000.0, 30.0, 2.0, 10.0, 0.3, 0.4, rcs_dbsm=-12.0),
        AdsbReport(0.3, "adsb-1", "abc123", 56.8, 27.5, 400.0),
        BearingReport(0.2, "a1", 30.0, 2.0, el_deg=4.0, sigma_el_deg=1.0),
        BearingReport(0.2, "a1", 40.0, 2.0, el_deg=4.0, sigma_el_deg=0.0),  # sigma 0: screened out of the frame
        RadarReport(0.2, "r1", 1e308, 30.0, 2.0, 10.0, 0.3, 0.4),  # range 1e308: screened out
    ]
    assert all(trk.feed(r) for r in reps)  # one frame, still open
    groups, tf = trk._groups(trk._cols_b, trk._cols_r, trk._cols_a)
    assert trk.summary.accepted == len(reps) - 2
    assert dict(trk.summary.rejected) == {"sigma_el_deg: outside [0.001, 90]": 1, "range_m: outside (0, 1e+06]": 1}
    assert tf == 0.3
    got = {(g.kind, g.batch.dim): g for g in groups}
    assert list(got) == [("radar", 3), ("radar", 4), ("bearing", 1), ("bearing", 2), ("position", 3)]
    d2r = np.pi / 180.0
    r3, r4 = got["radar", 3], got["radar", 4]
    np.testing.assert_allclose(r3.batch.z, [[2000.0, 30.0 * d2r, 2.0 * d2r]])
    np.testing.assert_allclose(r4.batch.z, [[1000.0, 20.0 * d2r, 1.0 * d2r, 5.0]])
    np.testing.assert_allclose(
        np.diagonal(r4.batch.r, axis1=1, axis2=2), [[100.0, (0.3 * d2r) ** 2, (0.4 * d2r) ** 2, 0.25]]
    )
    assert r3.rcs is not None and r3.rcs.tolist() == [-12.0]
    assert r4.rcs is not None and np.isnan(r4.rcs).all()
    b1, b2 = got["bearing", 1], got["bearing", 2]
    assert b1.rid.tolist() == [2] and b2.rid.tolist() == [0, 5]
    np.testing.assert_allclose(b2.batch.z, [[10.0 * d2r, 5.0 * d2r], [30.0 * d2r, 4.0 * d2r]])
    np.testing.assert_allclose(np.sqrt(b2.batch.r[:, 1, 1]) / d2r, [3.0, 1.0])
    assert b2.hint is not None and b2.hint.tolist() == ["quadcopter", None]
    assert b1.hint is None  # an empty hint is no hint
    assert got["position", 3].rid.tolist() == [4] and trk._adsb_icao == {4: "abc123"}


def _two_tracks(
    dv_e: float, *, confirmed_b: bool = True, t_b: float = 0.0, hits: tuple[int, int] = (30, 10)
) -> tuple[Tracker, np.ndarray]:
    """A tracker holding two tracks of one acoustic-node site: A at the origin flying north at 45 m/s, B 60 m east
    of it with ``dv_e`` m/s more east velocity; position σ 40 m, velocity σ 1.5 m/s (so that A and B fail the
    instant 6-D test once dv_e ≥ 10 m/s)."""
    sites = sites_from_enu(FRAME, [("a1", "acoustic", 0.0, 0.0, 0.0)])
    trk = Tracker(sites)
    x = np.array([[0.0, 0.0, 300.0, 0.0, 45.0, 0.0], [60.0, 0.0, 300.0, dv_e, 45.0, 0.0]])
    p = np.tile(np.diag([40.0**2, 40.0**2, 40.0**2, 1.5**2, 1.5**2, 0.5**2]), (2, 1, 1))
    idx = trk._append(x[:1], p[:1], np.array([0.0]), born=1, confirmed=True, sensors=[np.array([0])])
    idx = np.append(idx, trk._append(x[1:], p[1:], np.array([t_b]), born=1, confirmed=confirmed_b,
                                     sensors=[np.array([0])]))  # fmt: skip
    trk.hits[idx] = hits
    return trk, idx


def test_confirmed_duplicates_that_stay_alike_are_merged() -> None:
    cfg = TrackerConfig()
    trk, _ = _two_tracks(10.0)
    id_a = int(trk.id[0])
    trk._manage(0.0)
    assert trk.id.size == 2  # the 6-D test alone keeps them apart
    trk._manage(cfg.merge_persist_s - 0.5)
    assert trk.id.size == 2  # alike, but not for long enough yet
    trk._manage(cfg.merge_persist_s + 0.5)
    assert trk.id.tolist() == [id_a]  # merged into the track with more support


def test_crossing_tracks_are_not_merged() -> None:
    trk, _ = _two_tracks(25.0)  # headings 29° apart: close now, but not the same target
    for t in np.arange(0.0, 6.0, 0.5):
        trk._manage(float(t))
    assert trk.id.size == 2


def test_new_track_takes_over_the_identity_of_a_coasting_one() -> None:
    cfg = TrackerConfig()
    # A was last updated at 0 s; B is a radar-born tentative track 5 s later where A's prediction puts it
    trk, idx = _two_tracks(0.0, confirmed_b=False, t_b=5.0, hits=(30, cfg.confirm_hits))
    trk.x[idx[1], :, :2] = [10.0, 225.0]  # A's prediction at 5 s is (0, 225)
    trk.born[idx[1]] = 0
    trk.t_last[idx[1]] = trk.t_init[idx[1]] = 5.0
    id_a = int(trk.id[0])
    trk._manage(5.0)
    assert trk.id.tolist() == [id_a]  # B goes on under A's id; A is gone, not kept as a second copy
    assert trk.confirmed.all() and trk.t_last[0] == 5.0
    assert trk._dead_id.size == 0


_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 0.0, 5e-324]),
    st.text(max_size=8),
    st.just("x" * 100_000),
    st.lists(st.floats(), max_size=3),
)
_RADAR_FIELDS = [f for f in RadarReport.__dataclass_fields__ if f != "type"]
_BEARING_FIELDS = [f for f in BearingReport.__dataclass_fields__ if f != "type"]
_ADSB_FIELDS = [f for f in AdsbReport.__dataclass_fields__ if f != "type"]


def test_tracker_never_dies_on_a_report_object() -> None:
    """Report objects with any value in any field (NaN, ±inf, 1e308, huge ints, strings, lists, None) fed between
    the scans of two radar targets, an acoustic target and an ADS-B aircraft: the tracker never raises, counts
    every bad report by a reason naming the field, and still tracks the targets."""
    rng = np.random.default_rng(11)
    t0 = 1773450000.0
    specs = [("r1", "radar", 0.0, 0.0, 0.0), ("adsb-1", "adsb", 0.0, 0.0, 0.0)]
    specs += [(f"a{i}", "acoustic", 1500.0 * (i % 3), 1500.0 * (i // 3), 0.0) for i in range(9)]
    sites = sites_from_enu(FRAME, specs)
    tab = table_for(FRAME, sites)
    truth = make_truth(rng, n_targets=3, duration_s=120.0, t0=t0, dt=0.1, box_m=(0, 3000, 0, 3000),
                       speed_mps=(15, 25), up_m=(200, 400), turn_fraction=0.0)  # fmt: skip
    scans = radar_scans(truth, tab, "r1", rng, clutter_per_scan=2.0, sigma_rr_mps=1.0)
    bear = acoustic_bearings(truth, tab, [s[0] for s in specs[2:]], rng, range_m=3000.0)
    ads = adsb_reports(truth, FRAME, [2], ["4ca1b2"], rng, period_s=1.0)
    good = reception_order([r for sc in scans for r in sc], bear, ads)
    trk = Tracker(sites, sites=tab)
    it = iter(good)
    fed_bad = 0

    # derandomized: the tracker carries state from one example to the next, so a failure could not be replayed
    # or shrunk anyway; a fixed sequence keeps CI deterministic (non-finite states found this way are fixed)
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(
        kind=st.sampled_from(["radar", "bearing", "adsb"]),
        field=st.integers(0, 20),
        value=_ANY,
        n_good=st.integers(5, 60),
    )
    def feed_bad(kind: str, field: int, value: Any, n_good: int) -> None:
        nonlocal fed_bad
        base = {
            "radar": RadarReport(
                t0, "r1", 1000.0, 10.0, 1.0, 10.0, 0.3, 0.3, rr_mps=1.0, sigma_rr_mps=1.0, rcs_dbsm=-10.0
            ),
            "bearing": BearingReport(t0, "a1", 10.0, 2.0, el_deg=5.0, sigma_el_deg=3.0, class_hint="piston"),
            "adsb": AdsbReport(t0, "adsb-1", "abcdef", 56.8, 27.5, 500.0, vel_enu_mps=(1.0, 2.0, 0.0)),
        }[kind]
        names = {"radar": _RADAR_FIELDS, "bearing": _BEARING_FIELDS, "adsb": _ADSB_FIELDS}[kind]
        name = names[field % len(names)]
        for r in islice(it, n_good):
            trk.feed(r)
        t = max(trk._clock, t0)  # the stream clock (the good reports may run out while hypothesis shrinks)
        bad = replace(base, t=t, **{name: value}) if name != "t" else replace(base, t=value)
        before = Counter(trk.summary.rejected)
        trk.feed(bad)
        trk.estimates(t)  # the frame holding the bad report is processed here
        fed_bad += 1
        new = trk.summary.rejected - before
        assert sum(new.values()) <= 1 and all(r.split(":")[0] == name for r in new), (name, value, dict(new))

    feed_bad()
    for r in it:
        trk.feed(r)
    assert fed_bad > 0
    assert trk.summary.rejected  # the bad ones are counted
    _ids, pos = trk.confirmed_enu(t0 + 120.0)
    g = gospa(truth.pos[-1], pos)
    assert len(g.assignment) == 3


def _ids_near(est: list[TrackEstimate], truth: Any, target: int, radius_m: float = 300.0) -> list[str]:
    """Per emit time, the id of the track nearest to ``target`` if one is within ``radius_m``."""
    out = []
    by_t: dict[float, list[TrackEstimate]] = {}
    for e in est:
        by_t.setdefault(e.t, []).append(e)
    for t, es in sorted(by_t.items()):
        k = int(np.argmin(np.abs(truth.t - t)))
        d = [np.linalg.norm(np.array(e.enu_m) - truth.pos[k, target]) for e in es]
        j = int(np.argmin(d))
        if d[j] < radius_m:
            out.append(es[j].track)
    return out


@pytest.mark.parametrize("gap", [(40.0, 60.0), (40.0, 85.0)])
def test_adsb_identity_holds_one_track_through_gaps_in_its_messages(gap: tuple[float, float]) -> None:
    """An aircraft broadcasting ADS-B, also seen by a radar, stops broadcasting for 20 s / 45 s: it stays one track
    (radar plots carry it through the gap, and its identity comes back to the same track id)."""
    rng, sites, _tab, truth, scans = _radar_setup(3, seed=6)
    truth = make_truth(rng, n_targets=3, duration_s=120.0, dt=0.1, box_m=(-8e3, 8e3, -8e3, 8e3),
                       speed_mps=(40, 60), up_m=(500, 900))  # fmt: skip
    tab = table_for(FRAME, sites)
    scans = radar_scans(truth, tab, "r1", rng, clutter_per_scan=5.0, sigma_rr_mps=1.0)
    ads = [r for r in adsb_reports(truth, FRAME, [1], ["4ca1b2"], rng, period_s=1.0) if not gap[0] <= r.t < gap[1]]
    est = [e for e in run_tracker(reception_order([r for sc in scans for r in sc], ads), sites)
           if not isinstance(e, TrackerSummary)]  # fmt: skip
    coop_ids = {e.track for e in est if e.icao == "4ca1b2"}
    assert len(coop_ids) == 1
    near = _ids_near(est, truth, 1)
    assert len(near) > 100 and set(near[5:]) == coop_ids  # after its first seconds: always the same one track


def test_adsb_identity_returns_to_its_track_id_after_a_long_silence() -> None:
    """No other sensor sees the aircraft; its messages stop for 60 s (longer than a cooperative track coasts):
    the track is dropped, and the next message brings the aircraft back under the same id."""
    rng = np.random.default_rng(9)
    sites = sites_from_enu(FRAME, [("adsb-1", "adsb", 0.0, 0.0, 0.0)])
    truth = make_truth(rng, n_targets=2, duration_s=150.0, dt=0.1, box_m=(-5e3, 5e3, -5e3, 5e3),
                       speed_mps=(40, 60), turn_fraction=0.0)  # fmt: skip
    ads = [r for r in adsb_reports(truth, FRAME, [0, 1], ["4ca1b2", "4ca1b3"], rng, period_s=1.0)
           if not (r.icao == "4ca1b2" and 50.0 <= r.t < 110.0)]  # fmt: skip
    est = [e for e in run_tracker(ads, sites) if not isinstance(e, TrackerSummary)]
    ids = {ic: {e.track for e in est if e.icao == ic} for ic in ("4ca1b2", "4ca1b3")}
    assert all(len(v) == 1 for v in ids.values()) and ids["4ca1b2"] != ids["4ca1b3"]
    times = sorted({e.t for e in est if e.icao == "4ca1b2"})
    assert min(times) < 50.0 and max(times) > 140.0
    assert not any(85.0 < t < 110.0 for t in times)  # dropped during the silence, not coasted for a minute


def test_unprocessed_from_is_the_earliest_report_of_the_open_frame() -> None:
    _, sites, tab, _, scans = _radar_setup(2, seed=4)
    trk = Tracker(sites, TrackerConfig(), sites=tab)
    assert trk.unprocessed_from == math.inf
    reps = sorted((r for sc in scans[:6] for r in sc), key=lambda r: r.t)
    for r in reps:
        trk.feed(r)
    open_frame = [r.t for r in reps if r.t >= math.floor(reps[-1].t / 0.5) * 0.5]
    assert trk.unprocessed_from == min(open_frame)  # the frames before it were processed as reports passed them
    trk.estimates(reps[-1].t, flush=False)  # the frame has not ended: its reports still wait
    assert trk.unprocessed_from == min(open_frame)
    trk.estimates(reps[-1].t)  # flushed
    assert trk.unprocessed_from == math.inf


def test_light_flushes_move_tracks_every_step_and_search_for_fixes_once_per_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A live picture's in-between flushes (``flush="light"``) process the open frame at once but search the
    bearing buffer for new fixes only once per ``frame_s``: bearing-only targets are still found and followed
    as closely as with frames that wait for their end, with a tenth of the searches."""
    import borderwatch.tracking.tracker as tracker_mod

    rng = np.random.default_rng(11)
    specs = [(f"a{i}", "acoustic", 1500.0 * (i % 4), 1500.0 * (i // 4), 0.0) for i in range(16)]
    sites = sites_from_enu(FRAME, specs)
    tab = table_for(FRAME, sites)
    truth = make_truth(rng, n_targets=3, duration_s=40.0, box_m=(800, 3700, 800, 3700), speed_mps=(15, 25),
                       up_m=(200, 400), turn_fraction=0.0)  # fmt: skip
    reps = acoustic_bearings(truth, tab, [s[0] for s in specs], rng, range_m=3000.0)
    reps.sort(key=lambda r: r.t)
    searches = {"light": 0, "wait": 0}
    real = tracker_mod.bearing_fixes
    out = {}
    for mode, flush in (("light", "light"), ("wait", False)):

        def counted(*a: Any, _m: str = mode, **k: Any) -> Any:
            searches[_m] += 1
            return real(*a, **k)

        monkeypatch.setattr(tracker_mod, "bearing_fixes", counted)
        trk = Tracker(sites, sites=tab)
        it = iter(reps)
        nxt = next(it, None)
        for step in range(1, 801):  # 40 s in 50 ms steps, as the live driver steps
            t = step * 0.05
            while nxt is not None and nxt.t <= t:
                trk.feed(nxt)
                nxt = next(it, None)
            trk.estimates(t, flush=flush)
            if mode == "light":
                assert trk.unprocessed_from == math.inf  # nothing fed waits after a light flush
        out[mode] = (trk.estimates(40.0), trk.summary.frames)
    est_l, frames_l = out["light"]
    est_w, frames_w = out["wait"]
    assert frames_l > 5 * frames_w  # a frame at (nearly) every step
    assert searches["light"] <= 40.0 / 0.5 + 2 and searches["light"] < frames_l / 5
    assert len(est_l) == len(est_w) == 3
    p = truth.pos[-1]
    for est in (est_l, est_w):
        err = sorted(float(np.min(np.linalg.norm(p - np.array(e.enu_m), axis=1))) for e in est)
        assert err[-1] < 200.0
