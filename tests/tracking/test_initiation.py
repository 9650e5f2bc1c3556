from __future__ import annotations

import numpy as np

from borderwatch.geo.frames import LocalFrame
from borderwatch.tracking.initiation import bearing_fixes, radar_initial_state, triangulate
from borderwatch.tracking.measurements import MeasBatch, predict
from borderwatch.tracking.testing import sites_from_enu, table_for

FRAME = LocalFrame(56.5, 27.5, 100.0)
NODES = [(-1500.0, -800.0), (1200.0, -1400.0), (1800.0, 900.0), (-300.0, 1700.0)]


def _table():  # type: ignore[no-untyped-def]
    return table_for(FRAME, sites_from_enu(FRAME, [(f"n{i}", "acoustic", e, n, 0.0) for i, (e, n) in enumerate(NODES)]))


def _bearings(tab, p):  # type: ignore[no-untyped-def]
    k = len(tab)
    x = np.zeros((k, 6))
    x[:, :3] = p
    z, _ = predict(x, MeasBatch("bearing", np.zeros((k, 2)), np.zeros((k, 2, 2)), tab.pos, tab.rot))
    return z


def test_triangulate_noise_free_is_exact() -> None:
    tab = _table()
    p = np.array([200.0, 100.0, 250.0])
    z = _bearings(tab, p)
    pos, cov = triangulate(tab.pos, tab.rot, z, np.full((4, 2), 0.02), np.array([0.0, 0.0, 300.0]), use_el=True)
    assert np.allclose(pos, p, atol=0.1)
    assert np.all(np.linalg.eigvalsh(cov) > 0)


def test_bearing_fixes_needs_three_nodes_and_finds_target() -> None:
    tab = _table()
    p = np.array([200.0, 100.0, 250.0])
    z = _bearings(tab, p)
    kw = dict(site=tab.pos, rot=tab.rot, max_range_m=4000.0, default_up_m=300.0, c_sound=331.0)
    sig = np.full((4, 2), np.radians(1.0))
    fx = bearing_fixes(
        t=np.zeros(4), node=np.arange(4), az=z[:, 0], el=z[:, 1], has_el=np.ones(4, bool), sig=sig, min_nodes=3, **kw
    )
    assert len(fx) == 1
    assert np.linalg.norm(fx[0].pos - p) < 1.0
    assert fx[0].t < 0  # emission time precedes reception
    two = bearing_fixes(
        t=np.zeros(2), node=np.arange(2), az=z[:2, 0], el=z[:2, 1], has_el=np.ones(2, bool), sig=sig[:2],
        min_nodes=3, **kw,
    )  # fmt: skip
    assert two == []


def test_radar_initial_state_uses_radial_velocity() -> None:
    tab = table_for(FRAME, sites_from_enu(FRAME, [("r", "radar", 0.0, 0.0, 0.0)]))
    z = np.array([[10000.0, np.pi / 2, 0.0, -40.0]])  # due east, closing at 40 m/s
    r = np.diag([10.0**2, 1e-5, 1e-5, 1.0])[None]
    x, p = radar_initial_state(z, r, tab.pos, tab.rot, np.array([True]), 40.0)
    assert np.allclose(x[0, :3], [10000.0, 0.0, 0.0], atol=1.0)
    assert np.isclose(x[0, 3], -40.0, atol=0.5)
    assert p[0, 3, 3] < 2.0 and p[0, 4, 4] > 1000.0
