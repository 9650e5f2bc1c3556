"""Motion models for the IMM: constant velocity and fixed-rate coordinated turns, vectorised over tracks.

State per model: ``[e, n, u, ve, vn, vu]`` in the tracker frame (m, m/s). All models share this state, so the
IMM mixes without state augmentation: the coordinated-turn models use fixed turn rates ±ω (the classical
"fixed-rate CT" IMM), which keeps every transition linear and exact for a turn at that rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class MotionModel:
    """One IMM mode: horizontal turn rate ``omega_rad_s`` (0 = constant velocity) and white-acceleration
    spectral densities (m²/s³) horizontally and vertically."""

    name: str
    omega_rad_s: float = 0.0
    q_h: float = 0.5
    q_v: float = 0.1


@dataclass(frozen=True, slots=True)
class ImmConfig:
    """Modes and the Markov mode-switch probability per second."""

    modes: tuple[MotionModel, ...] = (
        MotionModel("cv", 0.0, 0.3, 0.05),
        MotionModel("ct+", np.radians(3.0), 1.0, 0.1),  # standard-rate turn, 3°/s
        MotionModel("ct-", -np.radians(3.0), 1.0, 0.1),
    )
    switch_per_s: float = 0.05

    def transition_probs(self, dt: FloatArray) -> FloatArray:
        """(n, M, M) mode transition matrices for gaps ``dt`` (s): stay with exp(-rate·|dt|)."""
        m = len(self.modes)
        stay = np.exp(-self.switch_per_s * np.abs(dt))[:, None, None]
        eye = np.eye(m)[None]
        if m == 1:
            return np.ones((dt.size, 1, 1))
        off = (1.0 - eye) / (m - 1)
        out: FloatArray = stay * eye + (1.0 - stay) * off
        return out


def transition(dt: FloatArray, omega: float) -> FloatArray:
    """(n, 6, 6) transition matrices for time steps ``dt`` (s, may be negative) at turn rate ``omega``."""
    n = dt.size
    f = np.zeros((n, 6, 6))
    f[:, np.arange(6), np.arange(6)] = 1.0
    if abs(omega) < 1e-9:
        f[:, 0, 3] = dt
        f[:, 1, 4] = dt
    else:
        wt = omega * dt
        s, c = np.sin(wt), np.cos(wt)
        f[:, 0, 3] = s / omega
        f[:, 0, 4] = -(1.0 - c) / omega
        f[:, 1, 3] = (1.0 - c) / omega
        f[:, 1, 4] = s / omega
        f[:, 3, 3] = c
        f[:, 3, 4] = -s
        f[:, 4, 3] = s
        f[:, 4, 4] = c
    f[:, 2, 5] = dt
    return f


def process_noise(dt: FloatArray, q_h: float, q_v: float) -> FloatArray:
    """(n, 6, 6) discrete white-noise-acceleration covariance for |dt| (s)."""
    a = np.abs(dt)
    q = np.zeros((dt.size, 6, 6))
    for i, qq in ((0, q_h), (1, q_h), (2, q_v)):
        q[:, i, i] = qq * a**3 / 3.0
        q[:, i, i + 3] = q[:, i + 3, i] = qq * a**2 / 2.0
        q[:, i + 3, i + 3] = qq * a
    return q


def predict_cv(
    x: FloatArray, p: FloatArray, dt: FloatArray, q_h: float = 1.0, q_v: float = 0.1
) -> tuple[FloatArray, FloatArray]:
    """Constant-velocity prediction of (n, 6) states and (n, 6, 6) covariances by ``dt`` (s)."""
    f = transition(dt, 0.0)
    xp = np.einsum("nij,nj->ni", f, x)
    pp = f @ p @ f.transpose(0, 2, 1) + process_noise(dt, q_h, q_v)
    return xp, pp
