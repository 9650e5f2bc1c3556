from __future__ import annotations

import numpy as np
import pytest

from borderwatch.tracking.association import Pairs, gnn_assign


def _pairs(trk: list[int], rid: list[int], benefit: list[float]) -> Pairs:
    k = len(trk)
    return Pairs.empty().extend(
        trk=np.array(trk), rid=np.array(rid), group=np.zeros(k, dtype=np.int64), local=np.array(rid),
        slot_sensor=np.zeros(k, dtype=np.int64), t=np.zeros(k), d2=10 - np.array(benefit),
        benefit=np.array(benefit, dtype=float), loglik=-(10 - np.array(benefit, dtype=float)) / 2,
        nu=[np.array([[b] for b in benefit], dtype=float)],
    )  # fmt: skip


def test_global_optimum_not_greedy() -> None:
    # greedy would give track 0 report 0 (9) and leave track 1 with nothing; optimum is 8 + 8
    p = _pairs([0, 0, 1], [0, 1, 0], [9.0, 8.0, 8.0])
    a, amb, pseudo = gnn_assign(p, n_reports=2, n_sensors=1, jpda=False)
    chosen = {(int(p.trk[i]), int(p.rid[i])) for i in a}
    assert chosen == {(0, 1), (1, 0)}
    assert set(amb.tolist()) == {0, 1}
    assert pseudo == {}


def test_separate_components_and_single_best() -> None:
    p = _pairs([0, 0, 5], [0, 1, 2], [3.0, 7.0, 1.0])
    a, amb, _ = gnn_assign(p, n_reports=3, n_sensors=1)
    chosen = {(int(p.trk[i]), int(p.rid[i])) for i in a}
    assert chosen == {(0, 1), (5, 2)}
    assert amb.size == 0


def test_jpda_pseudo_measurement_for_crossing_tracks() -> None:
    p = _pairs([0, 0, 1, 1], [0, 1, 0, 1], [9.0, 8.5, 8.5, 9.0])
    a, _, pseudo = gnn_assign(p, n_reports=2, n_sensors=1, jpda=True)
    assert len(a) == 2
    pidx, off, spread = pseudo[1]
    assert pidx.size == 2
    assert off.shape == (2, 1)
    assert np.all(spread[:, 0, 0] > 0)


def _optimum(trk: list[int], rid: list[int], benefit: list[float]) -> float:
    from scipy.optimize import linear_sum_assignment

    ts, rs = sorted(set(trk)), sorted(set(rid))
    m = np.zeros((len(ts), len(rs)))
    for t, r, b in zip(trk, rid, benefit, strict=True):
        m[ts.index(t), rs.index(r)] = max(b, 0.0)
    i, j = linear_sum_assignment(-m)
    return float(m[i, j].sum())


def test_vectorised_components_are_optimal() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        n_t, n_r = rng.integers(1, 6), rng.integers(1, 6)
        if rng.random() < 0.6:
            n_r = 2  # exercise the two-sided path often
        edges = {(int(t), int(r)) for t, r in zip(rng.integers(0, n_t, 8), rng.integers(0, n_r, 8), strict=True)}
        trk = [t for t, _ in sorted(edges)]
        rid = [r for _, r in sorted(edges)]
        ben = [float(b) for b in rng.uniform(1, 10, len(trk))]
        p = _pairs(trk, rid, ben)
        a, _, _ = gnn_assign(p, n_reports=max(rid) + 1, n_sensors=1, jpda=False)
        got = {(int(p.trk[i]), int(p.rid[i])) for i in a}
        assert len({t for t, _ in got}) == len(got) and len({r for _, r in got}) == len(got)
        assert float(p.benefit[a].sum()) == pytest.approx(_optimum(trk, rid, ben))
