"""Fixtures of the sensor tests: synthetic straight-line truth tables."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.geo import destination
from borderwatch.sim.truth import TargetInfo, TruthTable


def straight_truth(
    *,
    lat0: float,
    lon0: float,
    heading_deg: float,
    speed_mps: float,
    alt_m: float,
    n: int,
    cls: str = "shahed",
    t0: float = 1_773_450_000.0,
    cooperative: bool = False,
    icao: str | None = None,
    callsign: str | None = None,
) -> TruthTable:
    t = t0 + np.arange(n, dtype=float)
    d = speed_mps * np.arange(n, dtype=float)
    lat, lon = destination(np.full(n, lat0), np.full(n, lon0), np.full(n, heading_deg), d)
    h = np.radians(heading_deg)
    vel = np.tile([speed_mps * np.sin(h), speed_mps * np.cos(h), 0.0], (n, 1))
    ti = TargetInfo("t-000", cls, not cooperative, cooperative, "t", icao, callsign)
    return TruthTable([ti], t, np.zeros(n, dtype=np.int64), lat, lon, np.full(n, alt_m), vel)


@pytest.fixture()
def make_truth():  # type: ignore[no-untyped-def]
    return straight_truth
