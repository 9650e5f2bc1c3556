from __future__ import annotations

import numpy as np

from borderwatch.sensors.adsb import adsb_reports
from borderwatch.sensors.catalogue import load_radar_catalogue
from borderwatch.sensors.reports import SensorSite


def test_cooperative_aircraft_broadcast_about_once_a_second(make_truth) -> None:  # type: ignore[no-untyped-def]
    spec = load_radar_catalogue().adsb
    site = SensorSite("a", "adsb", 56.5, 27.0, 110.0)
    tr = make_truth(lat0=56.6, lon0=27.1, heading_deg=45.0, speed_mps=55.0, alt_m=1000.0, n=120,
                    cls="light_aircraft", cooperative=True, icao="4b1a2c", callsign="YLABC")  # fmt: skip
    reps = adsb_reports(tr, site, spec, 100.0, np.random.default_rng(1))
    assert 100 <= len(reps) <= 120
    assert {r.icao for r in reps} == {"4b1a2c"} and reps[0].callsign == "YLABC"
    assert abs(reps[0].lat - tr.lat[0]) < 0.001


def test_non_cooperative_targets_are_silent(make_truth) -> None:  # type: ignore[no-untyped-def]
    spec = load_radar_catalogue().adsb
    site = SensorSite("a", "adsb", 56.5, 27.0, 110.0)
    tr = make_truth(lat0=56.6, lon0=27.1, heading_deg=45.0, speed_mps=50.0, alt_m=300.0, n=60)
    assert adsb_reports(tr, site, spec, 100.0, np.random.default_rng(1)) == []
