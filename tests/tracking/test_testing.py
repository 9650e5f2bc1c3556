"""The synthetic truth helpers of borderwatch.tracking.testing."""

from __future__ import annotations

import numpy as np

from borderwatch.tracking.testing import make_loiter


def test_loitering_targets_repeat_each_period_without_a_jump() -> None:
    tr = make_loiter(np.random.default_rng(3), n_targets=20, period_s=120.0, t0=-20.0, t1=250.0, dt=0.1)
    k = round(120.0 / 0.1)
    # one lap later every target is where it was, flying the same way
    np.testing.assert_allclose(tr.pos[k:], tr.pos[: tr.pos.shape[0] - k], atol=1e-6)
    np.testing.assert_allclose(tr.vel[k:], tr.vel[: tr.vel.shape[0] - k], atol=1e-6)
    speed = np.linalg.norm(tr.vel, axis=-1)
    assert np.all(speed >= 20.0 - 1e-9) and np.all(speed <= 60.0 + 1e-9)
    np.testing.assert_allclose(speed, np.broadcast_to(speed[0], speed.shape), rtol=1e-9)  # constant speed
    # the velocity is the derivative of the position (central differences)
    fd = (tr.pos[2:] - tr.pos[:-2]) / 0.2
    np.testing.assert_allclose(fd, tr.vel[1:-1], atol=0.05)
    # the turn rate is one lap per period: 3°/s
    hd = np.unwrap(np.arctan2(tr.vel[:, :, 0], tr.vel[:, :, 1]), axis=0)
    rate = np.degrees(np.abs(hd[-1] - hd[0]) / (tr.t[-1] - tr.t[0]))
    np.testing.assert_allclose(rate, 3.0, rtol=1e-6)
