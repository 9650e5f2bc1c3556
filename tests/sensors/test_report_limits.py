"""parse_report: every field, every absurd value, rejected with a reason naming the field; nothing else escapes."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borderwatch.sensors.reports import (
    LIMITS,
    MAX_CHARS,
    AdsbReport,
    BearingReport,
    RadarReport,
    RejectedReport,
    parse_report,
    read_reports,
    report_problem,
)

T0 = 1_773_450_000.0
GOOD: dict[str, dict[str, Any]] = {
    "bearing": {"t": T0, "sensor": "ac-1", "type": "bearing", "az_deg": 12.5, "el_deg": 8.0, "sigma_az_deg": 3.0,
                "sigma_el_deg": 4.0, "snr_db": 14.0, "class_hint": "piston"},
    "radar": {"t": T0, "sensor": "r-1", "type": "radar", "range_m": 8000.0, "az_deg": 200.0, "el_deg": 2.0,
              "rr_mps": -30.0, "sigma_range_m": 15.0, "sigma_az_deg": 0.3, "sigma_el_deg": 0.5, "sigma_rr_mps": 0.5,
              "rcs_dbsm": -12.0},
    "adsb": {"t": T0, "sensor": "adsb-1", "type": "adsb", "icao": "4ca1b2", "callsign": "BGH01", "lat": 56.5,
             "lon": 27.3, "alt_m": 600.0, "vel_enu_mps": [10.0, -40.0, 0.5]},
}  # fmt: skip
FIELDS = [(kind, name) for kind, d in GOOD.items() for name in d if name != "type"]

#: anything a JSON line (or a careless producer) can put in a field
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 0.0, -0.0, 5e-324]),
    st.text(max_size=20),
    st.just("x" * 100_000),
    st.lists(st.floats(allow_nan=True), max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def test_good_reports_parse() -> None:
    assert isinstance(parse_report(GOOD["bearing"]), BearingReport)
    assert isinstance(parse_report(GOOD["radar"]), RadarReport)
    a = parse_report(GOOD["adsb"])
    assert isinstance(a, AdsbReport) and a.vel_enu_mps == (10.0, -40.0, 0.5)


def _assert_inside(r: BearingReport | RadarReport | AdsbReport) -> None:
    for name in r.__dataclass_fields__:
        v = getattr(r, name)
        if name in LIMITS and v is not None:
            vals = v if isinstance(v, tuple) else (v,)
            for x in vals:
                assert type(x) is float and math.isfinite(x) and LIMITS[name].ok(x), (name, x)
        if name in MAX_CHARS and v is not None:
            assert isinstance(v, str) and len(v) <= MAX_CHARS[name][0]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), value=ANY_VALUE, drop=st.booleans())
def test_any_value_in_any_field_is_accepted_inside_the_limits_or_rejected_naming_the_field(
    field: tuple[str, str], value: Any, drop: bool
) -> None:
    kind, name = field
    d = dict(GOOD[kind])
    if drop:
        del d[name]
    else:
        d[name] = value
    try:
        r = parse_report(d)
    except RejectedReport as exc:
        assert exc.reason.split(":")[0] == name, exc.reason
        return
    _assert_inside(r)
    assert report_problem(r) is None


@pytest.mark.parametrize(
    ("kind", "name", "value", "reason"),
    [
        ("radar", "range_m", 1e308, "range_m: outside (0, 1e+06]"),
        ("radar", "range_m", 0.0, "range_m: outside (0, 1e+06]"),
        ("radar", "range_m", 10**400, "range_m: not finite"),
        ("radar", "sigma_range_m", 0.0, "sigma_range_m: outside [0.001, 100000]"),
        ("radar", "sigma_az_deg", 1e308, "sigma_az_deg: outside [0.001, 90]"),
        ("bearing", "sigma_az_deg", 0.0, "sigma_az_deg: outside [0.001, 90]"),
        ("bearing", "sigma_el_deg", 1e308, "sigma_el_deg: outside [0.001, 90]"),
        ("bearing", "el_deg", 90.5, "el_deg: outside [-90, 90]"),
        ("radar", "el_deg", -91.0, "el_deg: outside [-90, 90]"),
        ("bearing", "az_deg", 360.0, "az_deg: outside [0, 360)"),
        ("bearing", "az_deg", math.nan, "az_deg: not finite"),
        ("radar", "rr_mps", math.inf, "rr_mps: not finite"),
        ("radar", "rcs_dbsm", 1e308, "rcs_dbsm: outside [-80, 80]"),
        ("bearing", "snr_db", -math.inf, "snr_db: not finite"),
        ("adsb", "lat", 91.0, "lat: outside [-90, 90]"),
        ("adsb", "lon", -180.5, "lon: outside [-180, 180]"),
        ("adsb", "alt_m", 1e308, "alt_m: outside [-1000, 40000]"),
        ("adsb", "vel_enu_mps", [1.0, math.nan, 0.0], "vel_enu_mps: not finite"),
        ("adsb", "vel_enu_mps", [1.0, 2.0], "vel_enu_mps: not a list of 3 numbers"),
        ("adsb", "icao", "zzzzzz", "icao: not 6 hex digits"),
        ("adsb", "callsign", "X" * 9, "callsign: longer than 8 characters"),
        ("radar", "t", 1e308, "t: outside [0, 4.10244e+09]"),
        ("radar", "t", -1.0, "t: outside [0, 4.10244e+09]"),
        ("radar", "t", "1773450000", "t: not a number"),
        ("radar", "t", True, "t: not a number"),
        ("bearing", "sensor", "s" * 10_000, "sensor: longer than 128 characters"),
        ("bearing", "sensor", 7, "sensor: not a string"),
        ("bearing", "class_hint", ["piston"], "class_hint: not a string"),
        ("bearing", "type", "x" * 10_000, "type: unknown report type 'xxxxxxxxxxxxxxxx…'"),
    ],
)
def test_absurd_values_are_rejected_with_a_reason_naming_the_field(
    kind: str, name: str, value: Any, reason: str
) -> None:
    d = dict(GOOD[kind])
    d[name] = value
    with pytest.raises(RejectedReport) as exc:
        parse_report(d)
    assert exc.value.reason == reason


def test_every_limit_states_its_reason() -> None:
    for name, lim in LIMITS.items():
        assert lim.lo < lim.hi and len(lim.why) > 10, name
    for name, (n, why) in MAX_CHARS.items():
        assert n > 0 and len(why) > 10, name


def test_report_objects_built_in_code_are_checked_with_the_same_limits() -> None:
    assert report_problem(BearingReport(T0, "a1", 10.0, 0.0)) == "sigma_az_deg: outside [0.001, 90]"
    assert report_problem(RadarReport(T0, "r1", math.inf, 1.0, 1.0, 10.0, 1.0, 1.0)) == "range_m: not finite"
    assert report_problem(AdsbReport(T0, "x", "abcdef", 56.0, 27.0, 500.0, vel_enu_mps=(0.0, 1e308, 0.0))) == (
        "vel_enu_mps: outside [-3000, 3000]"
    )
    assert report_problem({"t": T0}) == "report: not a report object"
    assert report_problem(BearingReport(T0, "a1", 10.0, 2.0)) is None


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(st.one_of(st.binary(max_size=40), st.text(max_size=40).map(str.encode)), max_size=20))
def test_reader_never_stops_on_a_line(tmp_path_factory: pytest.TempPathFactory, lines: list[bytes]) -> None:
    p: Path = tmp_path_factory.mktemp("rep") / "reports.jsonl"
    good = json.dumps(GOOD["radar"]).encode()
    p.write_bytes(b"\n".join([good, *(ln.replace(b"\n", b" ") for ln in lines), good, b"[" * 100_000, b"1" * 5000]))
    stream = read_reports(p)
    got = list(stream)
    assert len(got) >= 2
    assert stream.accepted == len(got)
    assert isinstance(stream.rejected, Counter)
