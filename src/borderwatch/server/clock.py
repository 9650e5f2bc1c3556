"""Clocks for the live service: the wall clock, or a replay clock running at ``speed`` × real time."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]


def wall_clock() -> float:
    """UTC epoch seconds now."""
    return time.time()


class ReplayClock:
    """Scenario time that starts at ``t0`` and runs ``speed`` times faster than the wall clock.

    >>> c = ReplayClock(1000.0, speed=10.0, wall=lambda: 5.0)
    >>> c()
    1000.0
    """

    def __init__(self, t0: float, *, speed: float = 1.0, wall: Callable[[], float] = time.monotonic) -> None:
        if not speed > 0:
            raise ValueError("speed must be > 0")
        self.t0 = float(t0)
        self.speed = float(speed)
        self._wall = wall
        self._w0 = wall()

    def __call__(self) -> float:
        return self.t0 + (self._wall() - self._w0) * self.speed

    def wall_seconds(self, scenario_seconds: float) -> float:
        """How long ``scenario_seconds`` of scenario time take on the wall clock."""
        return scenario_seconds / self.speed
