"""Regenerate tests/data/sapient/*.bin and acoustic-node.sapient with an independent SAPIENT encoder.

The encoder is the third-party ``sapient-msg`` wheel (MIT; bindings generated from Dstl's full BSI Flex 335 v2.0
.proto files), which borderwatch does not depend on (it pins protobuf<7). Install it apart and run:

    pip install --no-deps --target /tmp/sm sapient-msg==0.2.1
    PYTHONPATH=/tmp/sm .venv/bin/python scripts/make_sapient_fixtures.py

* ``dstl-default-*.bin``: Dstl's test-harness sample messages (``dstl-default-*.json``) encoded as protobuf;
* ``acoustic-node.sapient``: a TCP byte stream (4-byte little-endian length + message) of one acoustic node:
  registration, a status report, bearings (degrees and radians), a magnetic-north bearing, a location
  detection, Dstl's LookAt task, and the node's goodbye.
"""

from __future__ import annotations

import struct
from pathlib import Path

from google.protobuf import json_format
from sapient_msg.bsi_flex_335_v2_0 import sapient_message_pb2 as sm

D = Path(__file__).resolve().parents[1] / "tests" / "data" / "sapient"
NODE = "5b0f7d0e-8a59-4c1e-9d7e-2f3a4b5c6d7e"
T0 = 1_764_547_200  # 2025-12-01T00:00:00Z


def msg(t: float, **content: object) -> sm.SapientMessage:
    m = sm.SapientMessage(node_id=NODE, **content)  # type: ignore[arg-type]
    m.timestamp.FromNanoseconds(round(t * 1e9))
    return m


def main() -> None:
    for name in ("registration", "statusreport", "detectionreport", "task-lookat"):
        m = sm.SapientMessage()
        json_format.Parse((D / f"dstl-default-{name}.json").read_text(), m)
        (D / f"dstl-default-{name}.bin").write_bytes(m.SerializeToString())
    from sapient_msg.bsi_flex_335_v2_0 import detection_report_pb2 as dr
    from sapient_msg.bsi_flex_335_v2_0 import location_pb2 as lo
    from sapient_msg.bsi_flex_335_v2_0 import range_bearing_pb2 as rb
    from sapient_msg.bsi_flex_335_v2_0 import registration_pb2 as rg
    from sapient_msg.bsi_flex_335_v2_0 import status_report_pb2 as sr

    reg = rg.Registration(icd_version="BSI Flex 335 v2.0", name="Acoustic node Zilupe 1", short_name="ZIL-1")
    reg.node_definition.add(node_type=rg.Registration.NODE_TYPE_ACOUSTIC, node_sub_type=["Microphone array"])
    reg.status_definition.status_interval.units = rg.Registration.TIME_UNITS_SECONDS
    reg.status_definition.status_interval.value = 10.0
    out = [msg(T0, registration=reg)]
    st = sr.StatusReport(report_id="01JDZ0000000000000000000S1", system=sr.StatusReport.SYSTEM_OK,
                         info=sr.StatusReport.INFO_NEW, mode="default")  # fmt: skip
    st.power.level = 87
    st.power.source = sr.StatusReport.POWERSOURCE_SOLAR_PV
    st.node_location.CopyFrom(lo.Location(x=28.2315, y=56.3872, z=102.0,
                                          coordinate_system=lo.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M,
                                          datum=lo.LOCATION_DATUM_WGS84_E))  # fmt: skip
    out.append(msg(T0 + 1, status_report=st))
    dets = [
        (2.0, rb.RangeBearing(azimuth=95.25, elevation=4.5, azimuth_error=3.0, elevation_error=4.0,
                              coordinate_system=rb.RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M,
                              datum=rb.RANGE_BEARING_DATUM_TRUE), "UAV Rotary Wing"),
        (2.5, rb.RangeBearing(azimuth=1.6624, elevation=0.0785, azimuth_error=0.0524,
                              coordinate_system=rb.RANGE_BEARING_COORDINATE_SYSTEM_RADIANS_M,
                              datum=rb.RANGE_BEARING_DATUM_TRUE), "UAV Fixed Wing"),
        (3.0, rb.RangeBearing(azimuth=-10.0, coordinate_system=rb.RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M,
                              datum=rb.RANGE_BEARING_DATUM_TRUE), None),
        (3.5, rb.RangeBearing(azimuth=97.0, coordinate_system=rb.RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M,
                              datum=rb.RANGE_BEARING_DATUM_MAGNETIC), None),
    ]  # fmt: skip
    for i, (dt, r, cls) in enumerate(dets):
        d = dr.DetectionReport(report_id=f"01JDZ00000000000000000000{i}", object_id="01JDZ0000000000000000000O1",
                               range_bearing=r, detection_confidence=0.9)  # fmt: skip
        if cls:
            c = d.classification.add(type="Air Vehicle", confidence=0.9)
            c.sub_class.add(type=cls, confidence=0.8, level=1)
        out.append(msg(T0 + dt, detection_report=d))
    loc = dr.DetectionReport(report_id="01JDZ0000000000000000000L1", object_id="01JDZ0000000000000000000O1")
    loc.location.CopyFrom(lo.Location(x=28.3, y=56.4, z=300.0,
                                      coordinate_system=lo.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M,
                                      datum=lo.LOCATION_DATUM_WGS84_E))  # fmt: skip
    out.append(msg(T0 + 4, detection_report=loc))
    task = sm.SapientMessage()
    json_format.Parse((D / "dstl-default-task-lookat.json").read_text(), task)
    out.append(task)
    bye = sr.StatusReport(report_id="01JDZ0000000000000000000S2", system=sr.StatusReport.SYSTEM_GOODBYE,
                          info=sr.StatusReport.INFO_NEW, mode="default")  # fmt: skip
    out.append(msg(T0 + 5, status_report=bye))
    out.append(msg(T0 + 6, detection_report=dr.DetectionReport(report_id="01JDZ0000000000000000000X1",
                                                                range_bearing=dets[0][1])))  # fmt: skip
    (D / "acoustic-node.sapient").write_bytes(b"".join(struct.pack("<I", m.ByteSize()) + m.SerializeToString()
                                                       for m in out))  # fmt: skip


if __name__ == "__main__":
    main()
