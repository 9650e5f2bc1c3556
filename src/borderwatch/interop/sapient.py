"""SAPIENT (BSI Flex 335 v2.0) sensor nodes in: registration, status reports and detection reports.

SAPIENT is the UK's counter-drone sensor standard (Dstl; BSI Flex 335 v2.0, 2023), on its way into NATO use. A
node ("ASM") connects to the fusion node over TCP and sends ``SapientMessage`` protobufs, each framed by its
length as a 4-byte little-endian unsigned integer (Dstl's test harness, ``SocketCommsCommon.cs``). The node
registers first; the fusion node answers with a ``RegistrationAck``; then come status reports (the heartbeat,
every ``status_interval``) and detection reports.

**Message definitions.** Dstl publishes the .proto files under Apache-2.0 (github.com/dstl/BSI-Flex-335-v2-
Test-Harness, ``SapientServices/sapient_msg/bsi_flex_335_v2_0``). This module declares the subset borderwatch
reads, with the standard's field numbers, types and enum values, as a protobuf descriptor built at import
(:func:`messages`), instead of vendoring generated code (a generated module is tied to one protobuf release):
every field it does not declare is skipped by protobuf's parser as an unknown field, so a full SAPIENT message
parses. The third-party ``sapient-msg`` wheel on PyPI pins ``protobuf<7``, which the rest of borderwatch cannot
take (takproto and our pin are on 7).

**Mapping to the report contract** (docs/formats.md, "SAPIENT in"): a sensors.json entry names its node by
``sapient_node_id`` (the node's UUID). A detection report's ``range_bearing`` becomes a ``bearing`` report of an
acoustic sensor (azimuth, elevation, their errors as σ) or a ``radar`` plot of a radar sensor (with range); its
time is the message's timestamp; its ``classification`` gives ``class_hint`` through ``sapient.yaml``. A
detection given as a ``location`` (x/y/z) is rejected: the report contract carries sensor measurements, not
positions. Bearings relative to magnetic or grid north or to a platform's heading are rejected (no declination or
heading is known); true north is what the tracker uses. Every rejection names the field and is counted.
"""

from __future__ import annotations

import math
import struct
import uuid
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from borderwatch.errors import InputError

PACKAGE = "sapient_msg.bsi_flex_335_v2_0"
ICD_VERSION = "BSI Flex 335 v2.0"
MAX_MESSAGE_BYTES = 1 << 20  # a detection report is ~100-500 bytes; a registration a few kB
FRAME = struct.Struct("<I")
DATA = Path(__file__).with_name("data") / "sapient.yaml"

# (name, number, kind, type name or None, repeated, oneof index or None); kind is a protobuf field type name
_FieldSpec = tuple[str, int, str, str | None, bool, int | None]

_ENUMS: dict[str, list[tuple[str, int]]] = {
    "LocationCoordinateSystem": [("LOCATION_COORDINATE_SYSTEM_UNSPECIFIED", 0),
                                 ("LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M", 1),
                                 ("LOCATION_COORDINATE_SYSTEM_LAT_LNG_RAD_M", 2),
                                 ("LOCATION_COORDINATE_SYSTEM_UTM_M", 5)],
    "LocationDatum": [("LOCATION_DATUM_UNSPECIFIED", 0), ("LOCATION_DATUM_WGS84_E", 1), ("LOCATION_DATUM_WGS84_G", 2)],
    "RangeBearingCoordinateSystem": [("RANGE_BEARING_COORDINATE_SYSTEM_UNSPECIFIED", 0),
                                     ("RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M", 1),
                                     ("RANGE_BEARING_COORDINATE_SYSTEM_RADIANS_M", 2),
                                     ("RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_KM", 3),
                                     ("RANGE_BEARING_COORDINATE_SYSTEM_RADIANS_KM", 4)],
    "RangeBearingDatum": [("RANGE_BEARING_DATUM_UNSPECIFIED", 0), ("RANGE_BEARING_DATUM_TRUE", 1),
                          ("RANGE_BEARING_DATUM_MAGNETIC", 2), ("RANGE_BEARING_DATUM_GRID", 3),
                          ("RANGE_BEARING_DATUM_PLATFORM", 4)],
    "NodeType": [("NODE_TYPE_UNSPECIFIED", 0), ("NODE_TYPE_OTHER", 1), ("NODE_TYPE_RADAR", 2), ("NODE_TYPE_LIDAR", 3),
                 ("NODE_TYPE_CAMERA", 4), ("NODE_TYPE_SEISMIC", 5), ("NODE_TYPE_ACOUSTIC", 6),
                 ("NODE_TYPE_PROXIMITY_SENSOR", 7), ("NODE_TYPE_PASSIVE_RF", 8), ("NODE_TYPE_HUMAN", 9),
                 ("NODE_TYPE_CHEMICAL", 10), ("NODE_TYPE_BIOLOGICAL", 11), ("NODE_TYPE_RADIATION", 12),
                 ("NODE_TYPE_KINETIC", 13), ("NODE_TYPE_JAMMER", 14), ("NODE_TYPE_CYBER", 15), ("NODE_TYPE_LDEW", 16),
                 ("NODE_TYPE_RFDEW", 17), ("NODE_TYPE_MOBILE_NODE", 18), ("NODE_TYPE_POINTABLE_NODE", 19),
                 ("NODE_TYPE_FUSION_NODE", 20)],
    "TimeUnits": [("TIME_UNITS_UNSPECIFIED", 0), ("TIME_UNITS_NANOSECONDS", 1), ("TIME_UNITS_MICROSECONDS", 2),
                  ("TIME_UNITS_MILLISECONDS", 3), ("TIME_UNITS_SECONDS", 4), ("TIME_UNITS_MINUTES", 5),
                  ("TIME_UNITS_HOURS", 6), ("TIME_UNITS_DAYS", 7)],
    "System": [("SYSTEM_UNSPECIFIED", 0), ("SYSTEM_OK", 1), ("SYSTEM_WARNING", 2), ("SYSTEM_ERROR", 3),
               ("SYSTEM_GOODBYE", 5)],
    "Info": [("INFO_UNSPECIFIED", 0), ("INFO_NEW", 1), ("INFO_UNCHANGED", 2)],
    "PowerSource": [("POWERSOURCE_UNSPECIFIED", 0), ("POWERSOURCE_OTHER", 1), ("POWERSOURCE_MAINS", 2),
                    ("POWERSOURCE_INTERNAL_BATTERY", 3), ("POWERSOURCE_EXTERNAL_BATTERY", 4),
                    ("POWERSOURCE_GENERATOR", 5), ("POWERSOURCE_SOLAR_PV", 6), ("POWERSOURCE_WIND_TURBINE", 7),
                    ("POWERSOURCE_FUEL_CELL", 8)],
    "PowerStatus": [("POWERSTATUS_UNSPECIFIED", 0), ("POWERSTATUS_OK", 1), ("POWERSTATUS_FAULT", 2)],
    "StatusLevel": [("STATUS_LEVEL_UNSPECIFIED", 0), ("STATUS_LEVEL_INFORMATION_STATUS", 2),
                    ("STATUS_LEVEL_WARNING_STATUS", 3), ("STATUS_LEVEL_ERROR_STATUS", 4)],
    "StatusType": [("STATUS_TYPE_UNSPECIFIED", 0), ("STATUS_TYPE_INTERNAL_FAULT", 1), ("STATUS_TYPE_EXTERNAL_FAULT", 2),
                   ("STATUS_TYPE_ILLUMINATION", 3), ("STATUS_TYPE_WEATHER", 4), ("STATUS_TYPE_CLUTTER", 5),
                   ("STATUS_TYPE_EXPOSURE", 6), ("STATUS_TYPE_MOTION_SENSITIVITY", 7), ("STATUS_TYPE_PTZ_STATUS", 8),
                   ("STATUS_TYPE_PD", 9), ("STATUS_TYPE_FAR", 10), ("STATUS_TYPE_NOT_DETECTING", 11),
                   ("STATUS_TYPE_PLATFORM", 12), ("STATUS_TYPE_OTHER", 13)],
}  # fmt: skip

_D, _FL, _S, _B, _I, _E, _M, _BY = "double", "float", "string", "bool", "int32", "enum", "message", "bytes"

# message name -> (fields, oneof names); the numbers are the standard's (BSI Flex 335 v2.0)
_MESSAGES: dict[str, tuple[list[_FieldSpec], list[str]]] = {
    "Location": ([("x", 1, _D, None, False, None), ("y", 2, _D, None, False, None), ("z", 3, _D, None, False, None),
                  ("x_error", 4, _D, None, False, None), ("y_error", 5, _D, None, False, None),
                  ("z_error", 6, _D, None, False, None),
                  ("coordinate_system", 7, _E, "LocationCoordinateSystem", False, None),
                  ("datum", 8, _E, "LocationDatum", False, None), ("utm_zone", 9, _S, None, False, None)], []),
    "RangeBearing": ([("elevation", 1, _D, None, False, None), ("azimuth", 2, _D, None, False, None),
                      ("range", 3, _D, None, False, None), ("elevation_error", 4, _D, None, False, None),
                      ("azimuth_error", 5, _D, None, False, None), ("range_error", 6, _D, None, False, None),
                      ("coordinate_system", 7, _E, "RangeBearingCoordinateSystem", False, None),
                      ("datum", 8, _E, "RangeBearingDatum", False, None)], []),
    "ENUVelocity": ([("east_rate", 1, _D, None, False, None), ("north_rate", 2, _D, None, False, None),
                     ("up_rate", 3, _D, None, False, None), ("east_rate_error", 4, _D, None, False, None),
                     ("north_rate_error", 5, _D, None, False, None), ("up_rate_error", 6, _D, None, False, None)], []),
    "NodeDefinition": ([("node_type", 1, _E, "NodeType", False, None),
                        ("node_sub_type", 2, _S, None, True, None)], []),
    "Duration": ([("units", 1, _E, "TimeUnits", False, None), ("value", 3, _FL, None, False, None)], []),
    "StatusDefinition": ([("status_interval", 1, _M, "Duration", False, None)], []),
    "Registration": ([("node_definition", 1, _M, "NodeDefinition", True, None),
                      ("icd_version", 2, _S, None, False, None), ("name", 3, _S, None, False, None),
                      ("short_name", 4, _S, None, False, None),
                      ("status_definition", 6, _M, "StatusDefinition", False, None)], []),
    "RegistrationAck": ([("acceptance", 1, _B, None, False, None),
                         ("ack_response_reason", 3, _S, None, True, None)], []),
    "Power": ([("level", 3, _I, None, False, None), ("source", 4, _E, "PowerSource", False, None),
               ("status", 5, _E, "PowerStatus", False, None)], []),
    "Status": ([("status_level", 1, _E, "StatusLevel", False, None), ("status_value", 3, _S, None, False, None),
                ("status_type", 4, _E, "StatusType", False, None)], []),
    "StatusReport": ([("report_id", 1, _S, None, False, None), ("system", 2, _E, "System", False, None),
                      ("info", 3, _E, "Info", False, None), ("active_task_id", 4, _S, None, False, None),
                      ("mode", 5, _S, None, False, None), ("power", 6, _M, "Power", False, None),
                      ("node_location", 7, _M, "Location", False, None),
                      ("status", 11, _M, "Status", True, None)], []),
    "SubClass": ([("type", 1, _S, None, False, None), ("confidence", 2, _FL, None, False, None),
                  ("level", 3, _I, None, False, None), ("sub_class", 4, _M, "SubClass", True, None)], []),
    "DetectionReportClassification": ([("type", 1, _S, None, False, None), ("confidence", 2, _FL, None, False, None),
                                       ("sub_class", 3, _M, "SubClass", True, None)], []),
    "DetectionReport": ([("report_id", 1, _S, None, False, None), ("object_id", 2, _S, None, False, None),
                         ("task_id", 3, _S, None, False, None), ("state", 4, _S, None, False, None),
                         ("range_bearing", 5, _M, "RangeBearing", False, 0), ("location", 6, _M, "Location", False, 0),
                         ("detection_confidence", 7, _FL, None, False, None),
                         ("classification", 11, _M, "DetectionReportClassification", True, None),
                         ("enu_velocity", 19, _M, "ENUVelocity", False, 1), ("colour", 22, _S, None, False, None),
                         ("id", 23, _S, None, False, None)], ["location_oneof", "velocity_oneof"]),
    "Error": ([("packet", 1, _BY, None, False, None), ("error_message", 3, _S, None, True, None)], []),
    "SapientMessage": ([("timestamp", 1, _M, ".google.protobuf.Timestamp", False, None),
                        ("node_id", 2, _S, None, False, None), ("destination_id", 3, _S, None, False, None),
                        ("registration", 4, _M, "Registration", False, 0),
                        ("registration_ack", 5, _M, "RegistrationAck", False, 0),
                        ("status_report", 6, _M, "StatusReport", False, 0),
                        ("detection_report", 7, _M, "DetectionReport", False, 0),
                        ("error", 12, _M, "Error", False, 0),
                        ("additional_information", 13, _S, None, False, None)], ["content"]),
}  # fmt: skip

# content fields of SapientMessage that borderwatch does not read (task 8, task_ack 9, alert 10, alert_ack 11):
# they arrive as unknown fields of these numbers
_OTHER_CONTENT = {8: "task", 9: "task_ack", 10: "alert", 11: "alert_ack"}
ERROR_PACKET_BYTES = 4096  # an Error reply quotes at most this much of the offending message


@cache
def messages() -> dict[str, Any]:
    """The message classes of the declared subset, by name (built once)."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2

    F = descriptor_pb2.FieldDescriptorProto
    types = {_D: F.TYPE_DOUBLE, _FL: F.TYPE_FLOAT, _S: F.TYPE_STRING, _B: F.TYPE_BOOL, _I: F.TYPE_INT32,
             _E: F.TYPE_ENUM, _M: F.TYPE_MESSAGE, _BY: F.TYPE_BYTES}  # fmt: skip
    fd = descriptor_pb2.FileDescriptorProto(name="borderwatch/sapient_subset.proto", package=PACKAGE, syntax="proto2")
    fd.dependency.append("google/protobuf/timestamp.proto")
    for name, values in _ENUMS.items():
        e = fd.enum_type.add(name=name)
        for vname, num in values:
            e.value.add(name=vname, number=num)
    for name, (fields, oneofs) in _MESSAGES.items():
        m = fd.message_type.add(name=name)
        for o in oneofs:
            m.oneof_decl.add(name=o)
        for fname, num, kind, tname, rep, oneof in fields:
            f = m.field.add(name=fname, number=num, type=types[kind])
            f.label = F.LABEL_REPEATED if rep else F.LABEL_OPTIONAL
            if tname is not None:
                f.type_name = tname if tname.startswith(".") else f".{PACKAGE}.{tname}"
            if oneof is not None:
                f.oneof_index = oneof
    pool = descriptor_pool.DescriptorPool()
    ts = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(ts)
    pool.Add(ts)
    pool.Add(fd)
    return {n: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{PACKAGE}.{n}")) for n in _MESSAGES}


class SapientError(ValueError):
    """A SAPIENT message that cannot be used; the message names the field and the reason."""


def decode(data: bytes) -> Any:
    """One ``SapientMessage`` from its protobuf bytes (no length prefix)."""
    from google.protobuf.message import DecodeError

    if len(data) > MAX_MESSAGE_BYTES:
        raise SapientError(f"message: larger than {MAX_MESSAGE_BYTES} bytes")
    msg = messages()["SapientMessage"]()
    try:
        msg.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as exc:  # RuntimeError: recursion limit of nested sub_class
        raise SapientError(f"message: not a SAPIENT protobuf ({type(exc).__name__})") from None
    return msg


def frame(data: bytes) -> bytes:
    """``data`` with the 4-byte little-endian length prefix of SAPIENT over TCP."""
    return FRAME.pack(len(data)) + data


@dataclass(slots=True)
class Deframer:
    """Splits a TCP byte stream into messages. A length of 0 or above :data:`MAX_MESSAGE_BYTES` means the framing
    is lost: :attr:`broken` is set and the connection should be closed (there is no resynchronisation marker)."""

    buf: bytearray = field(default_factory=bytearray)
    broken: str | None = None

    def feed(self, data: bytes) -> list[bytes]:
        if self.broken:
            return []
        self.buf += data
        out: list[bytes] = []
        while len(self.buf) >= 4:
            (n,) = FRAME.unpack_from(self.buf)
            if not 0 < n <= MAX_MESSAGE_BYTES:
                self.broken = f"frame: length {n} outside 1..{MAX_MESSAGE_BYTES}"
                self.buf.clear()
                return out
            if len(self.buf) < 4 + n:
                break
            out.append(bytes(self.buf[4 : 4 + n]))
            del self.buf[: 4 + n]
        return out


@cache
def catalogue() -> dict[str, Any]:
    """``sapient.yaml``: default errors and the classification -> ``class_hint`` table (each with a source)."""
    import yaml

    d: dict[str, Any] = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return d


@cache
def _hint_table() -> tuple[tuple[str, str], ...]:
    return tuple((str(k).lower(), str(v["hint"])) for k, v in catalogue()["class_hints"].items())


def class_hint(classifications: Any) -> str | None:
    """The spectral family (``class_hint``) named by the most confident classification or sub-class whose type
    matches a key of ``sapient.yaml: class_hints`` (case-insensitive substring), or None."""
    table = _hint_table()
    best: tuple[float, str] | None = None

    def walk(items: Any, depth: int) -> None:
        nonlocal best
        if depth > 8:
            return
        for c in items:
            name = _text(c.type).lower()
            conf = c.confidence if c.HasField("confidence") and math.isfinite(c.confidence) else 0.5
            for key, hint in table:
                if key in name and (best is None or conf > best[0]):
                    best = (conf, hint)
            walk(c.sub_class, depth + 1)

    walk(classifications, 0)
    return None if best is None else best[1]


_RB_UNITS = {1: (math.pi / 180.0, 1.0), 2: (1.0, 1.0), 3: (math.pi / 180.0, 1000.0), 4: (1.0, 1000.0)}
_DATUM_REASON = {
    0: "range_bearing.datum: unspecified (true north needed)",
    2: "range_bearing.datum: magnetic north (no declination known; send true north)",
    3: "range_bearing.datum: grid north (no grid convergence known; send true north)",
    4: "range_bearing.datum: platform heading (no heading known; send true north)",
}
_NODE_TYPES = {"acoustic": (6,), "radar": (2,)}


def _text(v: str | bytes) -> str:
    """A string field: proto2 parsing does not check UTF-8, so a field with invalid UTF-8 arrives as bytes."""
    return v if isinstance(v, str) else v.decode("utf-8", "replace")


def _r4(x: float) -> float:
    """4 decimals, the report contract's resolution of angles (an azimuth just below 360 stays below it)."""
    v = round(x, 4)
    return 0.0 if v >= 360.0 else v


def _ts(msg: Any) -> float:
    if not msg.HasField("timestamp"):
        raise SapientError("timestamp: missing")
    t = msg.timestamp.seconds + msg.timestamp.nanos * 1e-9
    if not 0.0 < t < 4102444800.0:
        raise SapientError("timestamp: before 1970 or after 2100")
    return float(t)


def _node_uuid(s: str) -> str:
    try:
        return str(uuid.UUID(s))
    except ValueError:
        raise SapientError("node_id: not a UUID") from None


@dataclass(slots=True)
class Node:
    """What the fusion node knows of one SAPIENT node."""

    node_id: str
    sensor: dict[str, Any]
    registered: bool = False
    name: str | None = None
    status_interval_s: float | None = None
    system: str | None = None
    last_status_t: float | None = None
    power_level: int | None = None
    location: tuple[float, float, float] | None = None


@dataclass(slots=True)
class Outcome:
    """What one message gave: ``reports`` for the ingest, a ``reply`` (framed bytes) for the node, or why it was
    rejected (``rejected``) or skipped (``skipped``, a message type borderwatch does not use)."""

    node: Node | None = None
    reports: list[dict[str, Any]] = field(default_factory=list)
    reply: bytes | None = None
    rejected: str | None = None
    skipped: str | None = None
    kind: str | None = None


class SapientReader:
    """The fusion node's side of SAPIENT for the sensors of a sensors.json (entries with ``sapient_node_id``).

    :meth:`handle` takes one message's bytes and returns an :class:`Outcome`; every rejection is counted by
    reason in :attr:`rejected`. Transport-independent: the TCP server, ``interop decode`` and the fuzzer use it.
    """

    def __init__(self, sensors: list[dict[str, Any]], *, fusion_node_id: str | None = None) -> None:
        self.nodes: dict[str, Node] = {}
        for s in sensors:
            nid = s.get("sapient_node_id")
            if nid is None:
                continue
            try:
                key = _node_uuid(nid) if isinstance(nid, str) else _node_uuid("")
            except SapientError:
                raise InputError(f"{nid!r} is not a UUID", field=f"sensors[{s.get('id')}].sapient_node_id") from None
            if s.get("type") not in _NODE_TYPES:
                raise InputError("SAPIENT nodes are acoustic or radar sensors", field=f"sensors[{s.get('id')}].type")
            if key in self.nodes:
                raise InputError(f"{key} names two sensors", field=f"sensors[{s.get('id')}].sapient_node_id")
            self.nodes[key] = Node(key, s)
        self.fusion_node_id = fusion_node_id or str(uuid.uuid5(uuid.NAMESPACE_URL, "borderwatch-fusion-node"))
        self.rejected: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        cat = catalogue()
        self.default_sigma_az = float(cat["default_errors"]["azimuth_deg"]["value"])
        self.default_sigma_el = float(cat["default_errors"]["elevation_deg"]["value"])
        self.default_sigma_range = float(cat["default_errors"]["range_m"]["value"])

    def handle(self, data: bytes, now: float, *, bound_to: str | None = None) -> Outcome:
        """One message. ``bound_to``: the node id (UUID) the connection speaks for (its TLS certificate's, or
        the first node that registered on it); a message with another node's id is refused."""
        out = Outcome()
        try:
            self._handle(data, now, out, bound_to)
        except SapientError as e:
            out.rejected = str(e)
            self.rejected[out.rejected] += 1
            to = out.node.node_id if out.node is not None else bound_to
            if out.reply is None and to is not None:
                out.reply = self.error_reply(to, data, [out.rejected])
        return out

    def _handle(self, data: bytes, now: float, out: Outcome, bound_to: str | None) -> None:
        msg = decode(data)
        kind = msg.WhichOneof("content")
        if kind is None:
            other = {n for n, _ in _unknown_numbers(msg)} & set(_OTHER_CONTENT)
            if other:
                out.skipped = f"content: {_OTHER_CONTENT[min(other)]} (not read by borderwatch)"
                self.skipped[out.skipped] += 1
                return
            raise SapientError("content: missing (no registration, status or detection report)")
        out.kind = kind
        self.counts[kind] += 1
        node_id = _text(msg.node_id)
        if not node_id:
            raise SapientError("node_id: missing")
        nid = _node_uuid(node_id)
        if bound_to is not None and nid != bound_to:
            raise SapientError("node_id: not the node this connection speaks for")
        node = self.nodes.get(nid)
        if node is None:
            if kind == "registration":
                out.reply = self.ack(node_id, False, ["node_id: no sensors.json entry has this sapient_node_id"])
            raise SapientError("node_id: unknown node (no sensors.json entry has this sapient_node_id)")
        out.node = node
        t = _ts(msg)
        if kind == "registration":
            self._registration(node, msg.registration, out)
        elif kind == "registration_ack":
            raise SapientError("registration_ack: sent by a node (only the fusion node sends it)")
        elif kind == "error":
            out.skipped = "content: error reported by the node"
            self.skipped[out.skipped] += 1
        elif not node.registered:
            raise SapientError(f"{kind}: node not registered")
        elif kind == "status_report":
            self._status(node, msg.status_report, t)
        else:
            out.reports.append(self._detection(node, msg.detection_report, t))

    def _registration(self, node: Node, reg: Any, out: Outcome) -> None:
        reasons = []
        icd_text = _text(reg.icd_version)
        if not icd_text.replace("_", " ").strip().lower().startswith("bsi flex 335 v2"):
            reasons.append(f"icd_version: {icd_text[:40]!r} is not {ICD_VERSION}")
        want = _NODE_TYPES[node.sensor["type"]]
        types = {d.node_type for d in reg.node_definition}
        if not types & set(want):
            names = sorted(_enum_name("NodeType", v) for v in types) or ["none"]
            reasons.append(f"node_definition: node type {', '.join(names)}; sensors.json says {node.sensor['type']}")
        out.reply = self.ack(node.node_id, not reasons, reasons)
        if reasons:
            raise SapientError(reasons[0])
        node.registered = True
        node.name = _text(reg.short_name or reg.name)[:64] or None
        si = reg.status_definition.status_interval
        scale = {3: 1e-3, 4: 1.0, 5: 60.0, 6: 3600.0}.get(si.units)
        if scale and math.isfinite(si.value) and si.value > 0:
            node.status_interval_s = float(si.value) * scale

    def _status(self, node: Node, st: Any, t: float) -> None:
        node.system = _enum_name("System", st.system) if st.HasField("system") else None
        node.last_status_t = t
        if st.HasField("power") and st.power.HasField("level") and 0 <= st.power.level <= 100:
            node.power_level = int(st.power.level)
        loc = st.node_location
        ok = st.HasField("node_location") and loc.coordinate_system == 1
        if ok and all(math.isfinite(v) for v in (loc.x, loc.y, loc.z)) and abs(loc.y) <= 90 and abs(loc.x) <= 180:
            node.location = (float(loc.y), float(loc.x), float(loc.z))
        if node.system == "SYSTEM_GOODBYE":
            node.registered = False

    def _detection(self, node: Node, det: Any, t: float) -> dict[str, Any]:
        which = det.WhichOneof("location_oneof")
        if which is None:
            raise SapientError("detection_report: no range_bearing or location")
        if which == "location":
            raise SapientError(
                "detection_report.location: a position is not in the report contract (send range_bearing)"
            )
        rb = det.range_bearing
        if rb.coordinate_system not in _RB_UNITS:
            raise SapientError("range_bearing.coordinate_system: unspecified")
        if rb.datum != 1:
            raise SapientError(_DATUM_REASON.get(rb.datum, "range_bearing.datum: unknown"))
        if not rb.HasField("azimuth"):
            raise SapientError("range_bearing.azimuth: missing")
        ang, dist = _RB_UNITS[rb.coordinate_system]
        deg = ang * 180.0 / math.pi
        for name in ("azimuth", "elevation", "range", "azimuth_error", "elevation_error", "range_error"):
            if rb.HasField(name) and not math.isfinite(getattr(rb, name)):
                raise SapientError(f"range_bearing.{name}: not finite")
        az = (rb.azimuth * deg) % 360.0
        if not math.isfinite(az) or abs(rb.azimuth * deg) > 1e6:
            raise SapientError("range_bearing.azimuth: not a direction")
        if az >= 360.0:
            az = 0.0
        rep: dict[str, Any] = {"t": round(t, 3), "sensor": str(node.sensor["id"])}
        sig_az = rb.azimuth_error * deg if rb.HasField("azimuth_error") and rb.azimuth_error > 0 else None
        sig_el = rb.elevation_error * deg if rb.HasField("elevation_error") and rb.elevation_error > 0 else None
        el = rb.elevation * deg if rb.HasField("elevation") else None
        if el is not None and not -90.0 <= el <= 90.0:
            raise SapientError("range_bearing.elevation: outside [-90, 90] degrees")
        if node.sensor["type"] == "acoustic":
            rep.update(type="bearing", az_deg=_r4(az), sigma_az_deg=_r4(sig_az or self.default_sigma_az))
            if el is not None:
                rep.update(el_deg=_r4(el), sigma_el_deg=_r4(sig_el or self.default_sigma_el))
            hint = class_hint(det.classification)
            if hint is not None:
                rep["class_hint"] = hint
        else:
            if not rb.HasField("range"):
                raise SapientError("range_bearing.range: missing (a radar plot needs a range)")
            sig_r = rb.range_error * dist if rb.HasField("range_error") and rb.range_error > 0 else None
            rep.update(type="radar", range_m=round(rb.range * dist, 2), az_deg=_r4(az),
                       el_deg=_r4(el if el is not None else 0.0),
                       sigma_range_m=round(sig_r or self.default_sigma_range, 2),
                       sigma_az_deg=_r4(sig_az or self.default_sigma_az),
                       sigma_el_deg=_r4(sig_el or self.default_sigma_el))  # fmt: skip
        from borderwatch.sensors.reports import RejectedReport, parse_report

        try:
            parse_report(rep)
        except RejectedReport as e:
            raise SapientError(f"detection_report: {e.reason}") from None
        return rep

    def error_reply(self, node_id: str, packet: bytes, reasons: list[str]) -> bytes:
        """A framed ``Error`` for ``node_id`` quoting (the start of) the message it rejects."""
        msg = messages()["SapientMessage"](node_id=self.fusion_node_id, destination_id=node_id[:64])
        msg.timestamp.GetCurrentTime()
        msg.error.packet = packet[:ERROR_PACKET_BYTES]
        msg.error.error_message.extend(r[:200] for r in reasons)
        return frame(msg.SerializeToString())

    def ack(self, node_id: str, accepted: bool, reasons: list[str]) -> bytes:
        """A framed ``RegistrationAck`` for ``node_id``."""
        M = messages()
        msg = M["SapientMessage"](node_id=self.fusion_node_id, destination_id=node_id[:64])
        msg.timestamp.GetCurrentTime()
        msg.registration_ack.acceptance = accepted
        msg.registration_ack.ack_response_reason.extend(r[:200] for r in reasons)
        return frame(msg.SerializeToString())


def _unknown_numbers(msg: Any) -> list[tuple[int, int]]:
    from google.protobuf.unknown_fields import UnknownFieldSet

    return [(f.field_number, f.wire_type) for f in UnknownFieldSet(msg)]


def _enum_name(enum: str, value: int) -> str:
    for name, num in _ENUMS[enum]:
        if num == value:
            return name
    return str(value)


def to_dict(msg: Any) -> dict[str, Any]:
    """A message as protobuf's JSON mapping (camelCase names, enums by name), for ``interop decode``."""
    from google.protobuf import json_format

    d: dict[str, Any] = json_format.MessageToDict(msg)
    return d


def from_json(text: str | bytes) -> Any:
    """A ``SapientMessage`` from protobuf JSON (fields outside the declared subset are ignored)."""
    from google.protobuf import json_format

    msg = messages()["SapientMessage"]()
    try:
        json_format.Parse(text, msg, ignore_unknown_fields=True)
    except json_format.ParseError as e:
        raise SapientError(f"message: not SAPIENT JSON ({str(e)[:80]})") from None
    return msg


def decode_file(path: Path, opts: Any) -> Any:
    """``interop decode --format sapient FILE``: length-prefixed messages as a TCP capture holds them; with
    ``--sensors`` the detection reports become reports of their sensors (registration first, as on the wire)."""
    from borderwatch.interop.formats import DecodeResult
    from borderwatch.sensors.reports import read_sensors

    raw = Path(path).read_bytes()
    d = Deframer()
    grams = d.feed(raw)
    if opts.sensors is None:
        recs, rejected = [], Counter[str]()
        for g in grams:
            try:
                recs.append(to_dict(decode(g)))
            except SapientError as e:
                rejected[str(e)] += 1
        if d.broken:
            rejected[d.broken] += 1
        return DecodeResult(recs, {"messages": len(grams), "rejected": dict(rejected), "trailing_bytes": len(d.buf)})
    reader = SapientReader([site.to_dict() for site in read_sensors(opts.sensors)[0]])
    reports: list[dict[str, Any]] = []
    for g in grams:
        reports.extend(reader.handle(g, 0.0).reports)
    if d.broken:
        reader.rejected[d.broken] += 1
    stats = {"messages": len(grams), "by_kind": dict(reader.counts), "reports": len(reports),
             "rejected": dict(reader.rejected), "skipped": dict(reader.skipped),
             "trailing_bytes": len(d.buf)}  # fmt: skip
    return DecodeResult(reports, stats)
