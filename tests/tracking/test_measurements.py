from __future__ import annotations

import numpy as np
import pytest

from borderwatch.geo.frames import LocalFrame
from borderwatch.tracking.measurements import MeasBatch, predict, sound_delay, speed_of_sound
from borderwatch.tracking.sites import rotation_to_site


def _batch(kind: str, dim: int, c: float = 0.0) -> MeasBatch:
    fr = LocalFrame(56.5, 27.0, 100.0)
    rot = rotation_to_site(fr, np.array([56.9]), np.array([27.8]))
    return MeasBatch(kind, np.zeros((1, dim)), np.zeros((1, dim, dim)), np.array([[40e3, 45e3, -150.0]]), rot, c)


@pytest.mark.parametrize(("kind", "dim", "c"), [("radar", 4, 0.0), ("radar", 3, 0.0), ("bearing", 2, 331.3)])
def test_jacobian_matches_finite_differences(kind: str, dim: int, c: float) -> None:
    b = _batch(kind, dim, c)
    x = np.array([[41.2e3, 46.1e3, 400.0, -30.0, 12.0, 1.0]])
    _, h = predict(x, b)
    num = np.zeros((dim, 6))
    for j in range(6):
        dx = np.zeros((1, 6))
        dx[0, j] = 1e-3
        zp, _ = predict(x + dx, b)
        zm, _ = predict(x - dx, b)
        num[:, j] = (zp - zm)[0] / 2e-3
    assert np.allclose(h[0], num, rtol=1e-4, atol=1e-9)


def test_sound_delay_fixed_point() -> None:
    c = speed_of_sound(-2.0)
    assert c == pytest.approx(331.3 * np.sqrt(1 - 2 / 273.15))
    x = np.array([[2000.0, 0.0, 300.0, -50.0, 0.0, 0.0]])
    tau = sound_delay(x, np.zeros((1, 3)), c)[0]
    pe = x[0, :3] - x[0, 3:] * tau
    assert np.linalg.norm(pe) / c == pytest.approx(tau, abs=1e-9)


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_inv_logdet_matches_numpy(d: int) -> None:
    from borderwatch.tracking.measurements import inv_logdet

    rng = np.random.default_rng(d)
    a = rng.normal(size=(5, d, d))
    s = a @ a.transpose(0, 2, 1) + np.eye(d) * 0.5
    inv, ld = inv_logdet(s)
    assert np.allclose(inv, np.linalg.inv(s))
    assert np.allclose(ld, np.linalg.slogdet(s)[1])
