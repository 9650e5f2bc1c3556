"""ADS-B: cooperative aircraft (truth targets with an ICAO address) broadcast position, altitude, ICAO address,
callsign and velocity about once a second; a ground receiver hears them within its range and line of sight
(4/3 earth), losing a share of messages. Radio delay is ignored.
"""

from __future__ import annotations

import numpy as np

from borderwatch.geo import distance_m
from borderwatch.sensors.catalogue import AdsbSpec
from borderwatch.sensors.radar import horizon_range_m
from borderwatch.sensors.reports import AdsbReport, SensorSite
from borderwatch.sim.truth import TruthTable

_M_PER_DEG_LAT = 111_320.0


def adsb_reports(
    truth: TruthTable,
    site: SensorSite,
    spec: AdsbSpec,
    ground_hae_m: float,
    rng: np.random.Generator,
    *,
    up: np.ndarray | None = None,
    origins: list[tuple[int, float]] | None = None,
) -> list[AdsbReport]:
    """Messages received by one ADS-B receiver from every cooperative target in ``truth``; ``origins``, when
    given, receives ``(target index, time)`` per message (simulation truth, for a closed loop)."""
    coop = np.array([bool(ti.cooperative and ti.icao) for ti in truth.targets], dtype=bool)
    if not coop.any() or len(truth) == 0:
        return []
    rows = np.flatnonzero(coop[truth.idx])
    interval = spec.interval_s.value
    # thin to about one message per interval per aircraft
    ts = truth.t[rows]
    rows = rows[np.rint((ts - ts.min()) * 1e6).astype(np.int64) % max(1, round(interval * 1e6)) == 0]
    if up is not None:
        rows = rows[up[rows]]
    d = distance_m(site.lat, site.lon, truth.lat[rows], truth.lon[rows])
    h_r = site.alt_m - ground_hae_m
    h_t = truth.alt[rows] - ground_hae_m
    ok = (d <= spec.range_m.value) & (d <= horizon_range_m(h_r, h_t)) & (rng.random(rows.size) < spec.p_receive.value)
    rows = rows[ok]
    m = rows.size
    sp = spec.sigma_pos_m.value
    lat = truth.lat[rows] + sp * rng.standard_normal(m) / _M_PER_DEG_LAT
    lon = truth.lon[rows] + sp * rng.standard_normal(m) / (_M_PER_DEG_LAT * np.cos(np.radians(truth.lat[rows])))
    alt = truth.alt[rows] + spec.sigma_alt_m.value * rng.standard_normal(m)
    out: list[AdsbReport] = []
    for j, k in enumerate(rows):
        ti = truth.targets[truth.idx[k]]
        v = truth.vel[k]
        out.append(
            AdsbReport(
                t=float(truth.t[k]),
                sensor=site.id,
                icao=str(ti.icao),
                lat=float(lat[j]),
                lon=float(lon[j]),
                alt_m=float(alt[j]),
                callsign=ti.callsign,
                vel_enu_mps=(float(v[0]), float(v[1]), float(v[2])),
            )
        )
    if origins is not None:
        origins.extend(zip(truth.idx[rows].tolist(), truth.t[rows].tolist(), strict=True))
    return out
