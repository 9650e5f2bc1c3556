"""SAPIENT (BSI Flex 335 v2.0) in: the declared subset reads what a full implementation writes; nodes register,
report status and bearings; every bad message is rejected with a counted reason."""

from __future__ import annotations

import json
import math
import struct
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borderwatch.errors import InputError
from borderwatch.interop import formats
from borderwatch.interop import sapient as S
from borderwatch.sensors.reports import parse_report

DATA = Path(__file__).resolve().parents[1] / "data" / "sapient"
NODE = "5b0f7d0e-8a59-4c1e-9d7e-2f3a4b5c6d7e"
ACOUSTIC = {"id": "zil-1", "type": "acoustic", "lat": 56.3872, "lon": 28.2315, "alt_m": 102.0, "sapient_node_id": NODE}
RADAR_NODE = "0c8d1f7e-1111-4a2b-8c3d-4e5f6a7b8c9d"
RADAR = {"id": "r-1", "type": "radar", "lat": 56.5, "lon": 27.4, "alt_m": 170.0, "sapient_node_id": RADAR_NODE}
T = 1_764_547_200.0


def _msg(content: str, node: str = NODE, t: float = T, **fields: Any) -> Any:
    m = S.messages()["SapientMessage"](node_id=node)
    m.timestamp.FromNanoseconds(round(t * 1e9))
    getattr(m, content).SetInParent()
    for k, v in fields.items():
        sub = getattr(m, content)
        path = k.split("__")
        for p in path[:-1]:
            sub = getattr(sub, p)
        if isinstance(v, list):
            getattr(sub, path[-1]).extend(v)
        else:
            setattr(sub, path[-1], v)
    return m


def _registration(node: str = NODE, node_type: int = 6, icd: str = "BSI Flex 335 v2.0") -> bytes:
    m = _msg("registration", node, icd_version=icd)
    m.registration.node_definition.add(node_type=node_type)
    return bytes(m.SerializeToString())


def _bearing(az: float, *, node: str = NODE, t: float = T + 1, cs: int = 1, datum: int = 1, **rb: float) -> bytes:
    m = _msg("detection_report", node, t, report_id="01JDZ000000000000000000000")
    r = m.detection_report.range_bearing
    r.azimuth, r.coordinate_system, r.datum = az, cs, datum
    for k, v in rb.items():
        setattr(r, k, v)
    return bytes(m.SerializeToString())


def _unframe(reply: bytes) -> Any:
    (n,) = struct.unpack_from("<I", reply)
    assert n == len(reply) - 4
    return S.decode(reply[4:])


@pytest.mark.parametrize("name", ["registration", "statusreport", "detectionreport", "task-lookat"])
def test_dstl_samples_encoded_by_the_full_definitions_decode_to_their_json(name: str) -> None:
    """The .bin files come from the complete BSI Flex 335 v2.0 bindings (another implementation): our subset
    reads every field it declares as Dstl's JSON states it, and skips the rest."""
    from google.protobuf.unknown_fields import UnknownFieldSet

    js = json.loads((DATA / f"dstl-default-{name}.json").read_text())
    msg = S.decode((DATA / f"dstl-default-{name}.bin").read_bytes())
    ours = S.to_dict(msg)
    assert ours["nodeId"] == js["nodeId"] and ours["destinationId"] == js["destinationId"]
    assert ours["timestamp"].rstrip("Z").rstrip("0") == js["timestamp"].rstrip("Z").rstrip("0")
    assert ours == S.to_dict(S.from_json((DATA / f"dstl-default-{name}.json").read_text()))
    if name == "registration":
        reg, jr = ours["registration"], js["registration"]
        assert reg["icdVersion"] == "BSI Flex 335 v2.0" and reg["name"] == jr["name"]
        assert reg["nodeDefinition"] == jr["nodeDefinition"]
        assert reg["statusDefinition"]["statusInterval"] == {"units": "TIME_UNITS_SECONDS", "value": 5.0}
        assert len(UnknownFieldSet(msg.registration)) > 0  # capabilities, modes, config data: skipped
    elif name == "statusreport":
        sr, js_sr = ours["statusReport"], js["statusReport"]
        assert (sr["system"], sr["info"], sr["mode"]) == (js_sr["system"], js_sr["info"], js_sr["mode"])
        assert sr["power"] == js_sr["power"]
        assert sr["nodeLocation"] == {**js_sr["nodeLocation"], "z": 788.0, "xError": 5.0, "yError": 5.0, "zError": 5.0}
        assert sr["status"] == js_sr["status"]
    elif name == "detectionreport":
        dr, jd = ours["detectionReport"], js["detectionReport"]
        assert (dr["reportId"], dr["objectId"], dr["state"], dr["colour"]) == (
            jd["reportId"], jd["objectId"], jd["state"], jd["colour"])  # fmt: skip
        assert dr["location"]["x"] == jd["location"]["x"] and dr["location"]["y"] == jd["location"]["y"]
        assert math.isclose(dr["detectionConfidence"], 0.99, rel_tol=1e-6)  # a float32 on the wire
        assert dr["classification"][0]["type"] == "Human"
        assert dr["classification"][0]["subClass"][0]["type"] == "Male"
        assert dr["enuVelocity"]["northRate"] == 2.0
    else:
        assert msg.WhichOneof("content") is None  # a task: not in the subset
        assert {f.field_number for f in UnknownFieldSet(msg)} == {8}


def test_an_acoustic_node_stream_gives_bearings_and_counted_rejections() -> None:
    """``interop decode --format sapient --sensors``: the node registers, reports status, four bearings (one in
    radians, one relative to magnetic north), a location detection, a task and, after its goodbye, one more."""
    path = DATA.parent / "sapient-sensors.json"
    try:
        path.write_text(json.dumps({"sensors": [ACOUSTIC]}))
        res = formats.get("sapient")(DATA / "acoustic-node.sapient", formats.DecodeOptions(sensors=path))
    finally:
        path.unlink()
    assert res.stats["messages"] == 10 and res.stats["trailing_bytes"] == 0
    assert res.stats["by_kind"] == {"registration": 1, "status_report": 2, "detection_report": 6}
    assert res.stats["rejected"] == {
        "range_bearing.datum: magnetic north (no declination known; send true north)": 1,
        "detection_report.location: a position is not in the report contract (send range_bearing)": 1,
        "detection_report: node not registered": 1,
    }
    assert res.stats["skipped"] == {"content: task (not read by borderwatch)": 1}
    a, b, c = res.records
    assert a == {"t": T + 2.0, "sensor": "zil-1", "type": "bearing", "az_deg": 95.25, "sigma_az_deg": 3.0,
                 "el_deg": 4.5, "sigma_el_deg": 4.0, "class_hint": "multirotor"}  # fmt: skip
    assert b["t"] == T + 2.5 and math.isclose(b["az_deg"], math.degrees(1.6624), abs_tol=1e-4)
    assert math.isclose(b["sigma_az_deg"], math.degrees(0.0524), abs_tol=1e-4) and b["sigma_el_deg"] == 5.0
    assert b["class_hint"] == "piston"
    assert c == {"t": T + 3.0, "sensor": "zil-1", "type": "bearing", "az_deg": 350.0, "sigma_az_deg": 5.0}
    for r in res.records:
        parse_report(r)
    raw = formats.get("sapient")(DATA / "acoustic-node.sapient", formats.DecodeOptions())
    assert len(raw.records) == 10 and raw.records[0]["registration"]["shortName"] == "ZIL-1"


def test_registration_is_acknowledged_or_refused_with_reasons() -> None:
    rd = S.SapientReader([ACOUSTIC])
    out = rd.handle(_registration(str(uuid.uuid4())), T)
    assert out.rejected and out.rejected.startswith("node_id: unknown node")
    ack = _unframe(out.reply or b"")
    assert ack.registration_ack.acceptance is False and "sapient_node_id" in ack.registration_ack.ack_response_reason[0]
    out = rd.handle(_registration(node_type=4), T)  # a camera where sensors.json has an acoustic node
    assert out.rejected == "node_definition: node type NODE_TYPE_CAMERA; sensors.json says acoustic"
    assert _unframe(out.reply or b"").registration_ack.acceptance is False
    out = rd.handle(_registration(icd="SAPIENT v7"), T)
    assert out.rejected == "icd_version: 'SAPIENT v7' is not BSI Flex 335 v2.0"
    assert rd.handle(_bearing(10.0), T).rejected == "detection_report: node not registered"
    out = rd.handle(_registration(), T)
    assert out.rejected is None and rd.nodes[NODE].registered
    ack = _unframe(out.reply or b"")
    assert ack.registration_ack.acceptance is True and ack.destination_id == NODE and ack.node_id == rd.fusion_node_id
    assert rd.handle(_bearing(10.0), T).reports[0]["az_deg"] == 10.0


def test_a_rejected_detection_is_answered_with_a_sapient_error_quoting_it() -> None:
    rd = S.SapientReader([ACOUSTIC])
    rd.handle(_registration(), T)
    bad = _bearing(10.0, datum=4)
    out = rd.handle(bad, T)
    assert out.rejected == "range_bearing.datum: platform heading (no heading known; send true north)"
    err = _unframe(out.reply or b"").error
    assert err.packet == bad and list(err.error_message) == [out.rejected]
    assert rd.rejected[out.rejected] == 1


@pytest.mark.parametrize(
    ("rb", "reason"),
    [
        ({"cs": 0}, "range_bearing.coordinate_system: unspecified"),
        ({"datum": 0}, "range_bearing.datum: unspecified (true north needed)"),
        ({"datum": 3}, "range_bearing.datum: grid north (no grid convergence known; send true north)"),
        ({"elevation": float("nan")}, "range_bearing.elevation: not finite"),
        ({"elevation": 120.0}, "range_bearing.elevation: outside [-90, 90] degrees"),
        ({"azimuth_error": float("inf")}, "range_bearing.azimuth_error: not finite"),
        ({"azimuth_error": 1e308}, "detection_report: sigma_az_deg: outside [0.001, 90] (above 90: says nothing)"),
    ],
)
def test_bad_bearings_are_rejected_naming_the_field(rb: dict[str, Any], reason: str) -> None:
    rd = S.SapientReader([ACOUSTIC])
    rd.handle(_registration(), T)
    out = rd.handle(_bearing(10.0, **rb), T)
    if reason.startswith("detection_report: sigma_az_deg"):
        assert out.rejected is not None and out.rejected.startswith("detection_report: sigma_az_deg")
    else:
        assert out.rejected == reason
    assert not out.reports


def test_a_radar_node_gives_plots_in_metres() -> None:
    rd = S.SapientReader([RADAR])
    rd.handle(_registration(RADAR_NODE, node_type=2), T)
    out = rd.handle(_bearing(45.0, node=RADAR_NODE, cs=3, range=12.5, elevation=1.5, range_error=0.02), T)
    (rep,) = out.reports
    assert rep == {"t": T + 1, "sensor": "r-1", "type": "radar", "range_m": 12500.0, "az_deg": 45.0, "el_deg": 1.5,
                   "sigma_range_m": 20.0, "sigma_az_deg": 5.0, "sigma_el_deg": 5.0}  # fmt: skip
    assert rd.handle(_bearing(45.0, node=RADAR_NODE), T).rejected == (
        "range_bearing.range: missing (a radar plot needs a range)"
    )


def test_status_reports_are_heartbeats_and_goodbye_unregisters() -> None:
    rd = S.SapientReader([ACOUSTIC])
    assert rd.handle(_msg("status_report", system=1).SerializeToString(), T).rejected == (
        "status_report: node not registered"
    )
    rd.handle(_registration(), T)
    m = _msg("status_report", t=T + 5, system=1, power__level=64)
    m.status_report.node_location.x, m.status_report.node_location.y = 28.2315, 56.3872
    m.status_report.node_location.coordinate_system = 1
    assert rd.handle(m.SerializeToString(), T).rejected is None
    node = rd.nodes[NODE]
    assert (node.system, node.last_status_t, node.power_level) == ("SYSTEM_OK", T + 5, 64)
    assert node.location == (56.3872, 28.2315, 0.0)
    rd.handle(_msg("status_report", system=5).SerializeToString(), T)
    assert not node.registered


def test_framing_across_reads_and_a_broken_length() -> None:
    one, two = S.frame(_registration()), S.frame(_bearing(5.0))
    d = S.Deframer()
    stream = one + two
    got = [m for i in range(0, len(stream), 7) for m in d.feed(stream[i : i + 7])]
    assert got == [one[4:], two[4:]] and not d.buf and d.broken is None
    d = S.Deframer()
    assert d.feed(struct.pack("<I", 0) + b"xx") == [] and d.broken == "frame: length 0 outside 1..1048576"
    d = S.Deframer()
    assert d.feed(one + struct.pack("<I", 1 << 30)) == [one[4:]] and d.broken is not None
    assert d.feed(two) == []  # nothing more is read from a broken stream


def test_sensors_json_errors_name_the_field() -> None:
    with pytest.raises(InputError, match=r"sensors\[zil-1\]\.sapient_node_id"):
        S.SapientReader([{**ACOUSTIC, "sapient_node_id": "not-a-uuid"}])
    with pytest.raises(InputError, match=r"sensors\[a\]\.type"):
        S.SapientReader([{**ACOUSTIC, "id": "a", "type": "adsb"}])
    with pytest.raises(InputError, match="names two sensors"):
        S.SapientReader([ACOUSTIC, {**ACOUSTIC, "id": "zil-2"}])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_random_bytes_never_crash_the_reader(data: bytes) -> None:
    rd = S.SapientReader([ACOUSTIC])
    rd.handle(_registration(), T)
    out = rd.handle(data, T)
    assert out.rejected or out.skipped or out.reports or out.kind
    for r in out.reports:
        parse_report(r)


_num = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e308, -1e308, 0.0, 360.0]))


@settings(max_examples=300, deadline=None)
@given(az=_num, el=st.one_of(st.none(), _num), err=st.one_of(st.none(), _num), cs=st.integers(0, 4),
       datum=st.integers(0, 4))  # fmt: skip
def test_every_bearing_is_a_valid_report_or_a_named_rejection(
    az: float, el: float | None, err: float | None, cs: int, datum: int
) -> None:
    rd = S.SapientReader([ACOUSTIC])
    rd.handle(_registration(), T)
    kw = {k: v for k, v in (("elevation", el), ("azimuth_error", err)) if v is not None}
    out = rd.handle(_bearing(az, cs=cs, datum=datum, **kw), T)
    if out.reports:
        (r,) = out.reports
        parse_report(r)
        assert 0.0 <= r["az_deg"] < 360.0
    else:
        assert out.rejected and (out.rejected.split(":")[0].startswith(("range_bearing", "detection_report")))


def test_a_string_field_with_invalid_utf8_is_a_named_rejection() -> None:
    """proto2 parsing does not check UTF-8: such a field arrives as bytes (found by bench/fuzz_feeds.py)."""
    raw = b"\x12\x02\xff\xfe\x22\x00"  # node_id = b"\xff\xfe", an empty registration
    assert S.SapientReader([ACOUSTIC]).handle(raw, T).rejected == "node_id: not a UUID"
    m = S.messages()["SapientMessage"](node_id=NODE)
    m.timestamp.FromNanoseconds(round(T * 1e9))
    m.registration.node_definition.add(node_type=6)
    raw = m.SerializeToString() + b"\x22\x04\x12\x02\xc3\x28"  # icd_version = b"\xc3\x28" merged in
    out = S.SapientReader([ACOUSTIC]).handle(raw, T)
    assert out.rejected == "icd_version: '\ufffd(' is not BSI Flex 335 v2.0"


def test_a_connection_speaks_for_one_node() -> None:
    other = str(uuid.uuid4())
    rd = S.SapientReader([ACOUSTIC, {**ACOUSTIC, "id": "zil-2", "sapient_node_id": other}])
    assert rd.handle(_registration(), T, bound_to=NODE).rejected is None
    out = rd.handle(_registration(other), T, bound_to=NODE)
    assert out.rejected == "node_id: not the node this connection speaks for" and not rd.nodes[other].registered
    assert rd.handle(_bearing(10.0), T, bound_to=NODE).reports


def test_the_node_a_client_certificate_names() -> None:
    from borderwatch.interop.sapient_tcp import certificate_node

    assert certificate_node({"subject": ((("commonName", NODE.upper()),),)}) == NODE
    assert certificate_node({"subject": ((("commonName", "node-1"),),),
                             "subjectAltName": (("DNS", "x"), ("URI", f"urn:uuid:{NODE}"))}) == NODE  # fmt: skip
    assert certificate_node({"subject": ((("commonName", "node-1"),),)}) is None
    assert certificate_node(None) is None
