from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from borderwatch.tracking.metrics import evaluate, gospa


def test_gospa_parts_simple() -> None:
    g = gospa(np.array([[0.0, 0.0, 0.0], [1000.0, 0.0, 0.0]]), np.array([[30.0, 40.0, 0.0]]))
    assert g.localisation == pytest.approx(2500.0)
    assert g.missed == pytest.approx(500.0**2 / 2)
    assert g.false == 0.0
    assert g.distance == pytest.approx(np.sqrt(2500.0 + 125000.0))


def test_gospa_empty_sets() -> None:
    assert gospa(np.zeros((0, 3)), np.zeros((0, 3))).distance == 0.0
    assert gospa(np.zeros((2, 3)), np.zeros((0, 3))).missed == pytest.approx(250000.0)


def test_gospa_matches_stonesoup() -> None:
    from stonesoup.measures import Euclidean
    from stonesoup.metricgenerator.ospametric import GOSPAMetric
    from stonesoup.types.state import State

    rng = np.random.default_rng(3)
    ts = dt.datetime(2026, 3, 14)
    metric = GOSPAMetric(c=500.0, p=2.0, measure=Euclidean(mapping=(0, 1, 2)))
    for _ in range(20):
        m, n = rng.integers(0, 8, 2)
        truth = rng.uniform(-800, 800, (m, 3))
        est = np.concatenate(
            [truth[: n // 2] + rng.normal(0, 150, (min(n // 2, m), 3)), rng.uniform(-800, 800, (n, 3))]
        )[:n]
        ours = gospa(truth, est)
        ss, _ = metric.compute_gospa_metric(
            [State(e.reshape(3, 1), timestamp=ts) for e in est], [State(t.reshape(3, 1), timestamp=ts) for t in truth]
        )
        v = ss.value
        assert ours.distance == pytest.approx(v["distance"], rel=1e-9, abs=1e-9)
        assert ours.localisation == pytest.approx(v["localisation"], rel=1e-9, abs=1e-9)
        assert ours.missed == pytest.approx(v["missed"], rel=1e-9, abs=1e-9)
        assert ours.false == pytest.approx(v["false"], rel=1e-9, abs=1e-9)


def test_evaluate_counts_id_switch_and_time_to_track() -> None:
    times = np.arange(5.0)
    truth_t = times.copy()
    truth_pos = np.zeros((5, 3))
    # track A for t=1,2 then track B for t=3,4
    est_t = np.array([1.0, 2.0, 3.0, 4.0])
    est_id = ["A", "A", "B", "B"]
    est_pos = np.full((4, 3), 10.0)
    ev = evaluate(
        times=times, truth_t=truth_t, truth_id=["x"] * 5, truth_pos=truth_pos, est_t=est_t, est_id=est_id,
        est_pos=est_pos, detectable_from={"x": 0.5},
    )  # fmt: skip
    assert ev.id_switches == 1
    assert ev.time_to_track_s["x"] == pytest.approx(0.5)
    assert ev.position_rmse_m == pytest.approx(np.sqrt(300.0))
    assert ev.targets_tracked == 1


def _siap_case(seed: int) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Truths flying straight lines at 1 s steps (staggered starts and ends); tracks that follow them with noise,
    change number after a gap, duplicate a truth for a while, wander off, plus false tracks."""
    rng = np.random.default_rng(seed)
    tt, ti, tp, et, ei, ep = [], [], [], [], [], []
    n_truth = int(rng.integers(2, 6))
    next_track = 0
    for j in range(n_truth):
        t0, t1 = int(rng.integers(0, 10)), int(rng.integers(25, 40))
        p0, v = rng.uniform(-3000, 3000, 3), rng.uniform(-40, 40, 3)
        times = np.arange(t0, t1 + 1)
        pos = p0 + v * (times - t0)[:, None]
        tt += times.tolist()
        ti += [f"g{j}"] * times.size
        tp += pos.tolist()
        # a primary track that is renumbered once, a gap, and sometimes a duplicate or a wander
        cut = int(rng.integers(t0 + 3, t1))
        gap = int(rng.integers(0, 6))  # the truth goes untracked between the two numbers (Stone Soup needs a
        for k, t in enumerate(times):  # state of an associated track at every time of its association)
            if cut <= t < cut + gap:
                continue
            name = f"T{next_track}" if t < cut else f"T{next_track + 1}"
            err = rng.normal(0, 120, 3)
            if t > cut + 5 and rng.random() < 0.15:
                err += 700.0  # a wander beyond the threshold
            et.append(float(t))
            ei.append(name)
            ep.append((pos[k] + err).tolist())
        next_track += 2
        if rng.random() < 0.6:
            for k, t in enumerate(times[: times.size // 2]):
                et.append(float(t))
                ei.append(f"T{next_track}")
                ep.append((pos[k] + rng.normal(0, 200, 3)).tolist())
            next_track += 1
    for _ in range(int(rng.integers(0, 4))):
        t0 = int(rng.integers(0, 30))
        p0 = rng.uniform(-3000, 3000, 3)
        for t in range(t0, t0 + int(rng.integers(3, 10))):
            et.append(float(t))
            ei.append(f"F{next_track}")
            ep.append((p0 + rng.normal(0, 30, 3)).tolist())
        next_track += 1
    return np.array(tt, float), ti, np.array(tp), np.array(et), ei, np.array(ep)


@pytest.mark.parametrize("seed", range(8))
def test_siap_matches_stonesoup(seed: int) -> None:
    """Completeness, ambiguity, spuriousness, positional accuracy, rate of track-number change and longest
    track segment equal Stone Soup's ``SIAPMetrics`` over its ``TrackToTruth`` associations (with one fix to its
    count of track numbers, see ``Fixed``)."""
    from stonesoup.dataassociator.tracktotrack import TrackToTruth
    from stonesoup.measures import Euclidean
    from stonesoup.metricgenerator.manager import MultiManager
    from stonesoup.metricgenerator.tracktotruthmetrics import SIAPMetrics
    from stonesoup.types.groundtruth import GroundTruthPath, GroundTruthState
    from stonesoup.types.state import State
    from stonesoup.types.track import Track

    from borderwatch.tracking.metrics import siap

    tt, ti, tp, et, ei, ep = _siap_case(seed)
    t_ref = dt.datetime(2026, 3, 14)

    def stamp(t: float) -> dt.datetime:
        return t_ref + dt.timedelta(seconds=float(t))

    truths: dict[str, GroundTruthPath] = {}
    for t, i, p in zip(tt, ti, tp, strict=True):
        truths.setdefault(i, GroundTruthPath(id=i)).append(GroundTruthState(p.reshape(3, 1), timestamp=stamp(t)))
    tracks: dict[str, Track] = {}
    order = np.argsort(et, kind="stable")
    for k in order:
        tracks.setdefault(ei[k], Track(id=ei[k])).append(State(ep[k].reshape(3, 1), timestamp=stamp(et[k])))

    class Fixed(SIAPMetrics):  # type: ignore[misc]
        """Stone Soup 1.9's NU with one fix: when the walk lands on the last instant of an association,
        ``truth_timestamps.index(end_time, i + 1)`` raises and the loop *stops*, so later track-number changes
        of that truth go uncounted; here the walk moves on by one time instead (our ``siap`` does the same)."""

        @staticmethod
        def min_num_tracks_needed_to_track(manager, truth):  # type: ignore[no-untyped-def]
            assocs = sorted(manager.association_set.associations_including_objects([truth]),
                            key=lambda assoc: assoc.time_range.key_times[-1], reverse=True)  # fmt: skip
            if len(assocs) == 0:
                return 0
            truth_timestamps = sorted(state.timestamp for state in truth.states)
            num_tracks_needed = 0
            timestamp_index = 0
            while timestamp_index < len(truth_timestamps):
                current_time = truth_timestamps[timestamp_index]
                assoc_at_time = next((a for a in assocs if current_time in a.time_range), None)
                if not assoc_at_time:
                    timestamp_index += 1
                    continue
                key_times = assoc_at_time.time_range.key_times
                if current_time in key_times and key_times.index(current_time) % 2 == 0:
                    end_time = min([time for time in key_times if time > current_time])
                else:
                    end_time = min([time for time in key_times if time >= current_time])
                num_tracks_needed += 1
                if end_time == current_time:  # the fix
                    timestamp_index += 1
                    continue
                try:
                    timestamp_index = truth_timestamps.index(end_time, timestamp_index + 1) + 1
                except ValueError:
                    break
            return num_tracks_needed

    measure = Euclidean(mapping=(0, 1, 2))
    gen = Fixed(position_measure=measure, velocity_measure=measure)
    assoc = TrackToTruth(association_threshold=500.0, consec_pairs_confirm=3, consec_misses_end=2, measure=measure)
    mgr = MultiManager([gen], associator=assoc)
    mgr.add_data({"tracks": set(tracks.values()), "groundtruth_paths": set(truths.values())})
    ss = {m.title: m.value for m in mgr.generate_metrics()["siap_generator"].values() if not isinstance(m.value, list)}
    ours = siap(truth_t=tt, truth_id=ti, truth_pos=tp, est_t=et, est_id=ei, est_pos=ep, threshold=500.0)
    assert ours.completeness == pytest.approx(ss["SIAP Completeness"], abs=1e-12)
    assert ours.ambiguity == pytest.approx(ss["SIAP Ambiguity"], abs=1e-12)
    assert ours.spuriousness == pytest.approx(ss["SIAP Spuriousness"], abs=1e-12)
    assert ours.position_accuracy_m == pytest.approx(float(ss["SIAP Position Accuracy"]), rel=1e-9)
    assert ours.rate_of_track_number_change_per_s == pytest.approx(ss["SIAP Rate of Track Number Change"], abs=1e-12)
    assert ours.longest_track_segment == pytest.approx(ss["SIAP Longest Track Segment"], abs=1e-12)
    assert ours.associations >= len(mgr.association_set) > 0  # a set: equal-looking associations collapse there


def test_siap_counts_a_resumed_track_number_only_where_it_has_states() -> None:
    """A track number that disappears for 10 s and comes back on the same truth (an ADS-B identity after a gap in
    its messages): one association spans the gap, but the gap is neither tracked nor an associated track."""
    from borderwatch.tracking.metrics import siap

    tt = np.arange(30.0)
    et = np.concatenate([np.arange(10.0), np.arange(20.0, 30.0)])
    s = siap(truth_t=tt, truth_id=["a"] * 30, truth_pos=np.zeros((30, 3)), est_t=et, est_id=["T1"] * 20,
             est_pos=np.full((20, 3), 5.0))  # fmt: skip
    assert s.completeness == pytest.approx(20 / 30)
    assert s.spuriousness == 0.0 and s.ambiguity == 1.0
    assert s.rate_of_track_number_change_per_s == 0.0
