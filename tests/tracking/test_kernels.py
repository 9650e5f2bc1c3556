"""The compiled kernels agree with their numpy twins."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.tracking import kernels

CASES = [(0, 1, 331.0), (0, 2, 331.0), (0, 2, 0.0), (1, 3, 0.0), (1, 4, 0.0), (2, 3, 0.0)]  # kind, dim, c


def _spd(rng: np.random.Generator, *shape: int, n: int) -> np.ndarray:
    a = rng.normal(size=(*shape, n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _rot(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.linalg.qr(rng.normal(size=(n, 3, 3)))[0]


def _states(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.concatenate([rng.normal(size=(n, 3)) * 2000.0, rng.normal(size=(n, 3)) * 40.0], axis=1)


def _reports(rng: np.random.Generator, kind: int, d: int, k: int) -> tuple[np.ndarray, ...]:
    z = rng.normal(size=(k, d)) * 0.1
    if kind == 0:
        z[:, 0] = rng.uniform(0.0, 2 * np.pi, k)
    elif kind == 1:
        z[:, 0] = rng.uniform(500.0, 5000.0, k)
        z[:, 1] = rng.uniform(0.0, 2 * np.pi, k)
    else:
        z = rng.normal(size=(k, d)) * 2000.0
    return z, _spd(rng, k, n=d) * 1e-3, rng.normal(size=(k, 3)) * 500.0, _rot(rng, k)


def _close(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> None:
    for u, v in zip(a, b, strict=True):
        np.testing.assert_allclose(u, v, rtol=1e-9, atol=1e-9 * max(float(np.abs(u).max()), 1.0))


@pytest.mark.parametrize(("kind", "d", "c"), CASES)
def test_measure_matches_numpy(kind: int, d: int, c: float) -> None:
    rng = np.random.default_rng(kind * 10 + d)
    x, (_, _, site, rot) = _states(rng, 50), _reports(rng, kind, d, 50)
    _close(kernels.measure_np(kind, x, site, rot, c, d), kernels.measure_nb(kind, x, site, rot, c, d))


@pytest.mark.parametrize(("kind", "d", "c"), CASES)
def test_gate_pairs_matches_numpy(kind: int, d: int, c: float) -> None:
    rng = np.random.default_rng(20 + kind * 10 + d)
    n_trk, k, n = 9, 15, 60
    xg, pg = _states(rng, n_trk), _spd(rng, n_trk, n=6) * 30.0
    z, r, site, rot = _reports(rng, kind, d, k)
    trk, loc = rng.integers(0, n_trk, n), rng.integers(0, k, n)
    shift = rng.uniform(-0.5, 0.0, k)
    gate = float(np.median(kernels.gate_pairs_np(kind, xg, pg, trk, loc, shift, z, r, site, rot, c, 0.0)[1]))
    a = kernels.gate_pairs_np(kind, xg, pg, trk, loc, shift, z, r, site, rot, c, gate)
    b = kernels.gate_pairs_nb(kind, xg, pg, trk, loc, shift, z, r, site, rot, c, gate)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-9, atol=1e-12)
    inside = a[1] < gate
    assert 0 < inside.sum() < n  # both kinds of pair occur
    np.testing.assert_array_equal(inside, b[1] < gate)
    _close((a[1][inside], a[2][inside]), (b[1][inside], b[2][inside]))
    assert np.all(b[1][~inside] <= a[1][~inside] * (1 + 1e-12))  # outside: a lower bound, itself outside


@pytest.mark.parametrize(("kind", "d", "c"), CASES)
def test_info_measure_matches_numpy(kind: int, d: int, c: float) -> None:
    rng = np.random.default_rng(40 + kind * 10 + d)
    n_trk, m, k, n = 7, 3, 12, 30
    x0 = _states(rng, n_trk)
    x = x0[:, None, :] + rng.normal(size=(n_trk, m, 6))
    z, r, site, rot = _reports(rng, kind, d, k)
    kk = np.sort(rng.integers(0, n_trk, n))
    loc, delta = rng.integers(0, k, n), rng.uniform(-0.5, 0.0, n)
    outs = []
    for fn in (kernels.info_measure_np, kernels.info_measure_nb):
        acc = (np.zeros((n_trk, 6, 6)), np.zeros((n_trk, m, 6)), np.zeros((n_trk, m)), np.zeros(n_trk))
        fn(kind, kk, x0, x, delta, loc, z, r, site, rot, c, *acc)
        outs.append(acc)
    _close(*outs)


def test_info_update_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    k, m = 50, 2
    x = rng.normal(size=(k, m, 6)) * 100.0
    p = _spd(rng, k, m, n=6) * 50.0
    g = rng.normal(size=(k, 3, 6)) * 0.1
    jj = g.transpose(0, 2, 1) @ g
    bv = rng.normal(size=(k, m, 6))
    q = rng.uniform(0, 10, size=(k, m))
    const = rng.normal(size=k)
    mu = rng.dirichlet(np.ones(m), size=k)
    _close(kernels.info_update_np(x, p, mu, jj, bv, q, const), kernels.info_update_nb(x, p, mu, jj, bv, q, const))


@pytest.mark.parametrize("m", [1, 3])
def test_imm_predict_matches_numpy(m: int) -> None:
    rng = np.random.default_rng(60 + m)
    k = 25
    x = _states(rng, k)[:, None, :] + rng.normal(size=(k, m, 6))
    p, mu = _spd(rng, k, m, n=6), rng.dirichlet(np.ones(m), size=k)
    dt = rng.uniform(-1.0, 3.0, k)
    omega, q_h, q_v = np.array([0.0, 0.05, -0.05])[:m], np.array([0.3, 1.0, 1.0])[:m], np.array([0.05, 0.1, 0.1])[:m]
    a = kernels.imm_predict_np(x, p, mu, dt, omega, q_h, q_v, 0.05)
    b = kernels.imm_predict_nb(x, p, mu, dt, omega, q_h, q_v, 0.05)
    _close(a, b)


@pytest.mark.parametrize(("d", "sig_m"), [(1, 300.0), (2, 300.0), (1, 5.0), (2, 5.0)])
def test_bearing_pregate_matches_numpy(d: int, sig_m: float) -> None:
    """Wide and narrow azimuth windows (the compiled kernel searches a window of sorted candidate azimuths; the
    twin tests every candidate), reports near the candidates' azimuths and across north (0 / 2π)."""
    rng = np.random.default_rng(70 + d + int(sig_m))
    n_trk, nodes, k = 60, 5, 400
    start = np.array([0, 3, 3, 20, 32, 60])
    trk = rng.integers(0, n_trk, 60)
    xs = _states(rng, n_trk)
    _, _, site, rot = _reports(rng, 0, d, nodes)
    rot[0] = np.eye(3)
    site[0] = xs[trk[0], :3] - np.array([0.0, 1000.0, 0.0])  # a track due north of node 0: azimuth ≈ 0
    rep_node = rng.integers(0, nodes, k)
    ps, vs = rng.uniform(0.2, 1.0, n_trk) * sig_m, rng.uniform(0.1, 1.0, n_trk) * sig_m / 10.0
    args0 = (start, trk, site, rot, xs[:, :3].copy(), xs[:, 3:].copy(), ps, vs, 331.0)
    # reports at the (emission-point) azimuth of a random candidate of their node, plus noise
    z = np.stack([rng.uniform(0, 2 * np.pi, k), rng.uniform(0, 0.5, k)], 1)[:, :d]
    r = _spd(rng, k, n=d) * 1e-4
    for i in range(k):
        a0, a1 = start[rep_node[i]], start[rep_node[i] + 1]
        if a1 > a0 and i % 2 == 0:
            j = int(rng.integers(a0, a1))
            x6 = xs[trk[j]][None]
            zh, _ = kernels.measure_np(0, x6, site[rep_node[i]][None], rot[rep_node[i]][None], 331.0, d)
            z[i] = zh[0] + rng.normal(size=d) * 0.01
    z[:, 0] %= 2 * np.pi
    args = (*args0, rep_node, z, r)
    a, b = kernels.bearing_pregate_np(*args), kernels.bearing_pregate_nb(*args)
    assert a[0].size > 50
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("integer_costs", [False, True])
def test_assign_blocks_matches_scipy(integer_costs: bool) -> None:
    """The compiled shortest-augmenting-path solver picks the same pairs as scipy, ties included."""
    rng = np.random.default_rng(80 + integer_costs)
    sl, rl, cost, bounds = [], [], [], [0]
    for _ in range(200):
        ns, nr = rng.integers(1, 7, 2)
        m = rng.random((ns, nr)) < 0.6
        m[rng.integers(0, ns), rng.integers(0, nr)] = True
        s_, r_ = np.nonzero(m)
        sl.append(s_)
        rl.append(r_)
        c = -rng.integers(1, 4, s_.size).astype(float) if integer_costs else -rng.uniform(50, 100, s_.size)
        cost.append(c)
        bounds.append(bounds[-1] + s_.size)
    args = (np.array(bounds), np.concatenate(sl), np.concatenate(rl), np.concatenate(cost))
    pid = np.arange(args[1].size)
    a = kernels.assign_blocks_np(*args, pid)
    b = kernels.assign_blocks_nb(*args, pid)
    assert a.size > 200
    np.testing.assert_array_equal(np.sort(a), np.sort(b))


def test_slot_components_matches_numpy() -> None:
    rng = np.random.default_rng(90)
    n, n_rep = 400, 150
    trk = rng.integers(0, 60, n)
    sensor = rng.integers(0, 8, n)
    t = rng.choice([0.1, 0.2, 0.35, 0.3504], n)
    rid = rng.integers(0, n_rep, n)
    a = kernels.slot_components_np(trk, sensor, t, rid, 8, n_rep + 10)
    b = kernels.slot_components_nb(trk, sensor, t, rid, 8, n_rep + 10)
    assert a[3].size > 5
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


def test_track_table_helpers_match_numpy() -> None:
    rng = np.random.default_rng(100)
    n, m = 40, 3
    x = _states(rng, n)[:, None, :] + rng.normal(size=(n, m, 6)) * 10.0
    p, mu = _spd(rng, n, m, n=6), rng.dirichlet(np.ones(m), size=n)
    _close(kernels.combine_np(x, p, mu), kernels.combine_nb(x, p, mu))
    dt = rng.uniform(-2.0, 5.0, n)
    _close(kernels.predict_cv_np(x[:, 0], p[:, 0], dt, 0.7, 0.1), kernels.predict_cv_nb(x[:, 0], p[:, 0], dt, 0.7, 0.1))
    dx = rng.normal(size=(n, 6)) * 5.0
    _close((kernels.mahalanobis2_np(dx, p[:, 1]),), (kernels.mahalanobis2_nb(dx, p[:, 1]),))
    flags = rng.random((n, 30)) < 0.2
    rows, cols = rng.permutation(n)[:25], rng.permutation(30)
    for u, v in zip(kernels.row_members_np(flags, rows, cols), kernels.row_members_nb(flags, rows, cols), strict=True):
        np.testing.assert_array_equal(u, v)


def test_cheap_jpda_matches_numpy() -> None:
    rng = np.random.default_rng(110)
    n = 300
    slot = rng.integers(0, 60, n)
    comp = slot // 6  # components of a few slots
    rid = rng.integers(0, 80, n)
    dims = np.where(slot % 3 == 0, 1, np.where(slot % 3 == 1, 2, 3)).astype(np.int64)
    dims[::17] = 4  # a slot may mix dimensions
    nu = rng.normal(size=(n, 4)) * (np.arange(4) < dims[:, None])
    loglik = rng.normal(size=n) * 3.0
    chosen = rng.random(n) < 0.4
    multi = np.sort(rng.choice(n, 200, replace=False))
    a = kernels.cheap_jpda_np(multi, comp, slot, rid, loglik, chosen, dims, nu, 16.0)
    b = kernels.cheap_jpda_nb(multi, comp, slot, rid, loglik, chosen, dims, nu, 16.0)
    assert a[0].size > 20
    np.testing.assert_array_equal(a[0], b[0])
    _close(a[1:], b[1:])


@pytest.mark.parametrize("ties", [False, True])
def test_two_sided_matches_numpy(ties: bool) -> None:
    rng = np.random.default_rng(120 + ties)
    slot, rid, comp, small_is_slot = [], [], [], []
    ns = nr = 0
    for c in range(150):
        k = int(rng.integers(2, 5))
        two_slots = bool(rng.random() < 0.5)
        a, b = (2, k) if two_slots else (k, 2)
        m = rng.random((a, b)) < 0.7
        m[0, 0] = m[1, 1] = True  # both members of the small side are connected
        s_, r_ = np.nonzero(m)
        slot.append(ns + s_)
        rid.append(nr + r_)
        comp.append(np.full(s_.size, c))
        small_is_slot.append(np.full(s_.size, two_slots))
        ns, nr = ns + a, nr + b
    slot_a, rid_a, comp_a = np.concatenate(slot), np.concatenate(rid), np.concatenate(comp)
    small = np.concatenate(small_is_slot)
    n = slot_a.size
    benefit = rng.integers(90, 95, n).astype(float) if ties else rng.uniform(80, 100, n)
    idx = np.arange(n)
    a_ = kernels.two_sided_np(idx, comp_a, small, slot_a, rid_a, benefit)
    b_ = kernels.two_sided_nb(idx, comp_a, small, slot_a, rid_a, benefit)
    assert a_.size > 150
    np.testing.assert_array_equal(a_, b_)


def test_gnn_split_matches_numpy() -> None:
    rng = np.random.default_rng(130)
    n, n_rep = 600, 250
    trk, sensor = rng.integers(0, 120, n), rng.integers(0, 6, n)
    t = rng.choice([0.1, 0.2, 0.3], n)
    rid = rng.integers(0, n_rep, n)
    slot, comp, n_slots, n_reps = kernels.slot_components_np(trk, sensor, t, rid, 6, n_rep)
    benefit = rng.integers(90, 95, n).astype(float)  # ties included
    a = kernels.gnn_split_np(slot, comp, n_slots, n_reps, rid, benefit)
    b = kernels.gnn_split_nb(slot, comp, n_slots, n_reps, rid, benefit)
    assert a[0].size > 10 and a[2].size > 5 and a[4].size > 5  # every kind of component occurs
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
