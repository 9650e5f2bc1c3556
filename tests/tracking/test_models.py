from __future__ import annotations

import numpy as np

from borderwatch.tracking.models import ImmConfig, process_noise, transition


def test_ct_tends_to_cv_and_turns_velocity() -> None:
    dt = np.array([2.0])
    assert np.allclose(transition(dt, 1e-7), transition(dt, 0.0), atol=1e-5)
    f = transition(np.array([np.pi / 2 / 0.1]), 0.1)[0]  # a quarter turn
    v = f @ np.array([0.0, 0.0, 0.0, 10.0, 0.0, 0.0])
    assert np.allclose(v[3:5], [0.0, 10.0], atol=1e-9)
    assert np.allclose(v[:2], [100.0, 100.0], atol=1e-6)


def test_process_noise_symmetric_psd_and_imm_rows() -> None:
    q = process_noise(np.array([0.5, -3.0]), 1.0, 0.1)
    assert np.allclose(q, q.transpose(0, 2, 1))
    assert np.all(np.linalg.eigvalsh(q) > -1e-12)
    pi = ImmConfig().transition_probs(np.array([0.0, 1.0, 100.0]))
    assert np.allclose(pi.sum(axis=2), 1.0)
    assert np.allclose(pi[0], np.eye(3))
