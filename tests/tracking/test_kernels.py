"""The compiled kernels agree with their numpy twins."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.tracking import kernels


def _spd(rng: np.random.Generator, *shape: int, n: int) -> np.ndarray:
    a = rng.normal(size=(*shape, n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_info_accumulate_matches_numpy(d: int) -> None:
    rng = np.random.default_rng(d)
    k, m, n = 7, 2, 30
    kk = np.sort(rng.integers(0, k, n)).astype(np.int64)
    h = rng.normal(size=(n, d, 6))
    nu = rng.normal(size=(n, m, d))
    rinv = np.linalg.inv(_spd(rng, n, n=d))
    cst = rng.normal(size=n)
    outs = []
    for fn in (kernels.info_accumulate_np, kernels.info_accumulate_nb):
        jj, bv, q, c = np.zeros((k, 6, 6)), np.zeros((k, m, 6)), np.zeros((k, m)), np.zeros(k)
        fn(kk, h, nu, rinv, cst, jj, bv, q, c)
        outs.append((jj, bv, q, c))
    for a, b in zip(*outs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


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
    a = kernels.info_update_np(x, p, mu, jj, bv, q, const)
    b = kernels.info_update_nb(x, p, mu, jj, bv, q, const)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_allclose(u, v, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_gate_stats_matches_numpy(d: int) -> None:
    rng = np.random.default_rng(10 + d)
    n, k = 40, 9
    h = rng.normal(size=(n, d, 6))
    p = _spd(rng, k, n=6) * 30.0
    trk = rng.integers(0, k, n).astype(np.int64)
    r = _spd(rng, n, n=d)
    nu = rng.normal(size=(n, d)) * 5.0
    a = kernels.gate_stats_np(h, p, trk, r, nu)
    b = kernels.gate_stats_nb(h, p, trk, r, nu)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_allclose(u, v, rtol=1e-9, atol=1e-9)
