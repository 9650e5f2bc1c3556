"""The engine as a stepper: fed in live-style batches with a clock it gives the batch run's frames; operator
decisions are checked and refused with a reason."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from borderwatch.engine import DecisionRefused, Engine, RunConfig
from borderwatch.jobs import load_checked, simulate_to_dir
from borderwatch.response.effectors import load_layout
from borderwatch.sensors.reports import read_reports, read_sensors
from borderwatch.sim.catalogue import load_catalogue
from borderwatch.tracking import TrackerConfig

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, dict[str, Path]]:
    ld = load_checked(DATA / "stray-short.yaml")
    out = tmp_path_factory.mktemp("stray-sim")
    _, paths = simulate_to_dir(ld, out)
    return ld, paths


def _engine(ld: object, paths: dict[str, Path], cfg: RunConfig) -> Engine:
    sites, _ = read_sensors(paths["sensors"])
    sc = ld.scenario  # type: ignore[attr-defined]
    return Engine(
        ld.theatre,  # type: ignore[attr-defined]
        sites,
        units=load_layout(None),
        config=cfg,
        tracker_config=TrackerConfig(temperature_c=sc.weather.temperature_c),
        guidance={k: c.guidance for k, c in load_catalogue().classes.items()},
        rng=np.random.default_rng([sc.seed, 5]),
    )


def _signature(frames: list) -> list[tuple[float, str, str]]:  # type: ignore[type-arg]
    return [(d.t, d.kind, d.id) for f in frames for d in f.deltas() if d.kind != "decision"]


def test_live_style_driving_gives_the_batch_frames(sim: tuple[object, dict[str, Path]]) -> None:
    ld, paths = sim
    cfg = RunConfig(auto_approve=True, closed_loop=False)
    reports = list(read_reports(paths["reports"]))
    batch = _engine(ld, paths, cfg)
    b_frames = []
    for r in reports:
        batch.feed((r,))
        b_frames += batch.advance_frames(-np.inf)
    live = _engine(ld, paths, cfg)
    l_frames = []
    # live: reports arrive in chunks of ~2 s; the wall clock ticks the engine after each chunk
    i = 0
    t = reports[0].t
    while i < len(reports):
        t += 2.0
        j = i
        while j < len(reports) and reports[j].t < t:
            j += 1
        live.feed(reports[i:j])
        l_frames += live.advance_frames(reports[j - 1].t if j > i else -np.inf)
        i = j
    assert _signature(b_frames) and _signature(l_frames) == _signature(b_frames)


def _first_rec(eng: Engine, paths: dict[str, Path]) -> str:
    for r in read_reports(paths["reports"]):
        eng.feed((r,))
        for f in eng.advance_frames(-np.inf):
            if f.recommendations:
                return str(f.recommendations[0]["id"])
    raise AssertionError("the stray raises a recommendation")


def test_decisions_are_checked(sim: tuple[object, dict[str, Path]]) -> None:
    ld, paths = sim
    eng = _engine(ld, paths, RunConfig(auto_approve=False))
    rid = _first_rec(eng, paths)
    with pytest.raises(DecisionRefused, match="reason"):
        eng.decide(rid, approve=False, who="op1", reason="  ", t=eng.now)
    with pytest.raises(DecisionRefused, match="no recommendation"):
        eng.decide("R99999", approve=True, who="op1", reason=None, t=eng.now)
    rec = eng.rec_by_id[rid]
    with pytest.raises(DecisionRefused, match="window"):
        eng.decide(rec.id, approve=True, who="op1", reason=None, t=eng.window_closes(rec) + 1.0)
    d = eng.decide(rec.id, approve=True, who="op1", reason=None, t=rec.t + 1.0)
    assert d.approved and d.who == "op1"
    assert eng.engaged[rec.track].startswith("E")
    frames = eng.advance_frames(eng.now)
    assert any(x["who"] == "op1" for f in frames for x in f.decisions)
    assert any(x["id"] == rid and x["status"] == "approved" for f in frames for x in f.recommendations)
    with pytest.raises(DecisionRefused, match="already decided"):
        eng.decide(rec.id, approve=False, who="op2", reason="changed my mind", t=rec.t + 2.0)
    # a rejection needs a reason, is kept with it, and holds the track out of the queue for a while
    eng2 = _engine(ld, paths, RunConfig(auto_approve=False))
    r2 = eng2.rec_by_id[_first_rec(eng2, paths)]
    d2 = eng2.decide(r2.id, approve=False, who="op1", reason="friendly patrol nearby", t=r2.t + 1.0)
    assert not d2.approved and d2.why == "friendly patrol nearby"
    assert r2.track not in eng2.pending


def test_bad_reports_are_counted_not_fatal(sim: tuple[object, dict[str, Path]]) -> None:
    ld, paths = sim
    eng = _engine(ld, paths, RunConfig())
    good = next(iter(read_reports(paths["reports"])))
    r, why = eng.check({"t": good.t, "sensor": "nope", "type": "radar"})
    assert r is None and why
    r, why = eng.check({**_as_dict(good), "sensor": "no-such-sensor"})
    assert r is None and why and "sensor" in why
    r, why = eng.check(_as_dict(good))
    assert r is not None and why is None


def _as_dict(r: object) -> dict[str, object]:
    from borderwatch.sensors.reports import report_to_dict

    return report_to_dict(r)  # type: ignore[arg-type]


def test_no_outcome_is_drawn_when_the_track_is_gone(sim: tuple[object, dict[str, Path]]) -> None:
    ld, paths = sim
    eng = _engine(ld, paths, RunConfig(auto_approve=False))
    rec = None
    for r in read_reports(paths["reports"]):
        eng.feed((r,))
        for f in eng.advance_frames(-np.inf):
            if f.recommendations and rec is None:
                rec = eng.rec_by_id[f.recommendations[0]["id"]]
        if rec is not None:
            break
    assert rec is not None
    eng.decide(rec.id, approve=True, who="op1", reason=None, t=eng.now)
    e = eng.book.engagements[0]
    state = eng.rng.bit_generator.state
    # the sensors fall silent: the clock goes on past the intercept, the track coasts and is deleted
    frames = eng.advance_frames(e.t_intercept + 120.0)
    done = eng.book.engagements[0]
    assert done.outcome in ("track_lost", "cancelled"), done
    assert eng.rng.bit_generator.state == state, "no Pk draw for an engagement without a track"
    assert any(x["id"] == done.id and x["outcome"] == done.outcome for f in frames for x in f.engagements)
    if done.outcome == "cancelled":
        assert done.cost_eur == 0 and eng.magazine[done.unit] == eng.unit_by_id[done.unit].magazine


def _drive(eng: Engine, reports: list, *, step_s: float = 1.0, late_s: float = 0.0) -> list:  # type: ignore[type-arg]
    """Advance ``eng`` on a clock in ``step_s`` steps, feeding at each step the reports at least ``late_s`` old."""
    frames = []
    i, t = 0, reports[0].t
    while i < len(reports):
        t += step_s
        chunk = []
        while i < len(reports) and reports[i].t <= t - late_s:
            chunk.append(reports[i])
            i += 1
        eng.feed(chunk)
        frames += eng.advance_frames(t)
    return frames


def test_live_track_frames_between_emits(sim: tuple[object, dict[str, Path]]) -> None:
    """With ``track_interval_s`` the engine also sends, between emit times, the tracks that reports updated;
    the emit-time frames (assessments, alerts, recommendations) stay those of a run without it."""
    ld, paths = sim
    reports = list(read_reports(paths["reports"]))
    plain = _engine(ld, paths, RunConfig(auto_approve=True, closed_loop=False))
    live = _engine(ld, paths, RunConfig(auto_approve=True, closed_loop=False, track_interval_s=0.1))
    p_frames = _drive(plain, reports, step_s=0.1)
    l_frames = _drive(live, reports, step_s=0.1)
    emit_times = {f.t for f in p_frames}
    in_between = [f for f in l_frames if f.t not in emit_times]
    assert in_between, "track frames between emit times"
    for f in in_between:
        assert f.estimates and not (f.assessments or f.alerts or f.recommendations or f.engagements)
        for e in f.estimates:
            assert e.t == f.t and e.status != "coasting", "only tracks a report updated"
    kinds = {"assessment", "alert", "recommendation", "engagement"}
    assert [x for x in _signature(l_frames) if x[1] in kinds] == [x for x in _signature(p_frames) if x[1] in kinds]
    # between two emits a track is sent again only if a report updated it since it was last sent
    assert len(in_between) > 10


def test_late_reports_move_the_picture_at_once(sim: tuple[object, dict[str, Path]]) -> None:
    """Reports that arrive after the engine's clock has passed their time (a live feed sends each second's
    reports a moment after that second) still reach the picture at the next step: the in-between frame carries
    the tracks they updated, and the tracker's frame whose end the clock has passed is processed then, not when
    the next report happens to arrive."""
    ld, paths = sim
    reports = list(read_reports(paths["reports"]))
    late_s = 0.7  # each report is fed this long after its own time (less than one emit interval)
    eng = _engine(ld, paths, RunConfig(auto_approve=True, closed_loop=False, track_interval_s=0.1))
    frames = _drive(eng, reports, step_s=0.1, late_s=late_s)
    emit_times = {f.t for f in frames if f.assessments or f.alerts}
    in_between = [f for f in frames if f.estimates and f.t not in emit_times]
    assert len(in_between) > 10, "late reports move the tracks between emit times"


def test_live_engine_forgets_tracks_long_gone(sim: tuple[object, dict[str, Path]]) -> None:
    """With ``retain_s`` the engine drops what it holds of tracks not seen for that long (bounded memory over
    days) but keeps their unacknowledged alerts, and its alert ids stay unique; a retention longer than the run
    changes nothing."""
    ld, paths = sim
    reports = list(read_reports(paths["reports"]))
    base = RunConfig(auto_approve=False, closed_loop=False)
    plain = _engine(ld, paths, base)
    p_frames = _drive(plain, reports)
    long = _engine(ld, paths, RunConfig(auto_approve=False, closed_loop=False, retain_s=1e9))
    assert _signature(_drive(long, reports)) == _signature(p_frames)

    # (longer than the 30 s after which a track inside is alerted as lost, as the live 600 s is)
    short = _engine(ld, paths, RunConfig(auto_approve=False, closed_loop=False, retain_s=45.0,
                                         keep_track_points=False))  # fmt: skip
    s_frames = _drive(short, reports)
    assert all(not lg.points for lg in short.logs.values()), "no track points kept live"
    end = short.now
    gone_plain = {k for k, ts in plain._last_seen.items() if ts < end - 90.0}
    assert gone_plain, "the scenario has tracks that end well before it does"
    forgotten = gone_plain - set(short._last_seen)
    assert forgotten, "tracks long gone are forgotten"
    unacked = [a for a in plain.alerts.alerts.values() if a.track in forgotten and a.acknowledged_by is None]
    assert unacked, "the scenario raises alerts on tracks that are then forgotten"
    kept = {(a.track, a.kind, a.asset) for a in short.alerts.alerts.values()}
    assert {(a.track, a.kind, a.asset) for a in unacked} <= kept, "unacknowledged alerts stay"
    for k in forgotten:
        assert k not in short.logs and k not in short.assessor.memory and k not in short.alerts._first
    ids = [a.id for f in s_frames for a in f.alerts]
    assert len(ids) == len(set(ids)), "alert ids unique"
    # acknowledged alerts of forgotten tracks leave the picture; the others stay
    for al in list(short.alerts.alerts.values()):
        short.acknowledge(al.id, who="op", t=end)
    short._forget(end + 1.0)
    assert not short.alerts.alerts
    assert set(short.logs) <= set(short.pending) | set(short.engaged), "only tracks with an open queue entry stay"


def test_a_withdrawn_queue_entry_is_reopened_not_reissued(sim: tuple[object, dict[str, Path]]) -> None:
    """Nobody answers: an entry withdrawn for want of an update comes back under its own id (next version) when
    its threat is a candidate again, instead of a new entry for the same threat."""
    ld, paths = sim
    eng = _engine(ld, paths, RunConfig(auto_approve=False))
    frames = _drive(eng, list(read_reports(paths["reports"])))
    history: dict[str, list[tuple[str, int]]] = {}
    for f in frames:
        for r in f.recommendations:
            history.setdefault(str(r["id"]), []).append((str(r["status"]), int(r["version"])))
    reopened = [
        rid for rid, h in history.items()
        if any(a[0] == "withdrawn" and b[0] == "pending" and b[1] > a[1] for a, b in pairwise(h))
    ]  # fmt: skip
    assert reopened, {k: v[-3:] for k, v in history.items()}
    rid = reopened[0]
    assert history[rid][-1][1] > 1
