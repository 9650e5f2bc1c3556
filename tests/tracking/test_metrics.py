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
