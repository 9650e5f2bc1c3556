"""Cursor-on-Target: tracks and alerts out (CoT XML 2.0 and TAK protocol v1 protobuf), friendly positions in.

Out: :func:`track_event` turns a track (a tracks.jsonl line) and its latest assessment into one CoT event —
type from identity and class (``interop/data/cot_types.yaml``, the table in docs/formats.md), ``how`` ``m-f``
for a track fused from two or more sensors, ``ce``/``le`` the 90 % circular/linear errors from the position
covariance, ``stale`` the track time plus the tracker's coast limit (a track that stops updating disappears
from the TAK map when the tracker would drop it), and ``remarks`` with the class probabilities and the
predicted border crossing. :func:`alert_event` does the same for an alert. :func:`to_xml` and
:func:`to_proto` (takproto, MIT) serialise. :class:`CotSink` sends them to a TAK server over TCP or TLS
(reconnecting) or to a UDP (multicast) group such as the SA group 239.2.3.1:6969.

In: :func:`parse_event` reads one CoT XML event (or a TAK protobuf message) defensively — no DOCTYPE or
entities, bounded size, every field checked — and :class:`FriendlyBoard` keeps the latest position of every
friendly unit (type ``a-f-…``: patrols, interceptor teams) until its stale time.

>>> ev = track_event({"t": 1767225600.0, "track": "T000042", "lat": 56.5, "lon": 28.0, "alt_m": 300.0,
...     "vel_enu_mps": [-48.0, 0.0, 0.0], "cov_pos_enu_m2": [[900, 0, 0], [0, 900, 0], [0, 0, 2500]],
...     "class": {"shahed": 0.81, "stray_lr": 0.12}, "sensors": ["ac-1", "r-2"]},
...     {"identity": "hostile"})
>>> ev.type, ev.how, round(ev.ce), round(ev.le), ev.stale - ev.time
('a-h-A-M-F-Q', 'm-f', 64, 82, 15.0)
>>> to_xml(ev)[:60]
'<event version="2.0" uid="borderwatch.T000042" type="a-h-A-M'
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import ssl
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger("borderwatch.interop.cot")
UID_PREFIX = "borderwatch."
CE90 = 2.1460  # 90 % radius of a circular normal in units of its 1-D sigma: sqrt(-2 ln 0.1)
LE90 = 1.6449  # two-sided 90 % of a 1-D normal
UNKNOWN_ERR = 9999999.0  # CoT's "unknown" ce/le
MAX_EVENT_BYTES = 64 * 1024
SA_GROUP = ("239.2.3.1", 6969)


@lru_cache(maxsize=1)
def cot_types() -> dict[str, dict[str, str]]:
    """The mapping tables of ``interop/data/cot_types.yaml`` (values only)."""
    from borderwatch.config import read_yaml

    raw = read_yaml(Path(__file__).with_name("data") / "cot_types.yaml")
    return {sec: {k: str(v["value"]) for k, v in tab.items()} for sec, tab in raw.items()}


@lru_cache(maxsize=1)
def coast_limits() -> tuple[float, float]:
    """(coast limit of a non-cooperative confirmed track, of a cooperative one) in s, from the tracker."""
    from borderwatch.tracking.tracker import TrackerConfig

    c = TrackerConfig()
    return float(c.coast_s), float(c.coast_coop_s)


@dataclass(slots=True)
class CotEvent:
    uid: str
    type: str
    how: str
    time: float  # UTC epoch s
    start: float
    stale: float
    lat: float
    lon: float
    hae: float = UNKNOWN_ERR
    ce: float = UNKNOWN_ERR
    le: float = UNKNOWN_ERR
    callsign: str | None = None
    course_deg: float | None = None
    speed_mps: float | None = None
    remarks: str | None = None
    extra: dict[str, str] = field(default_factory=dict)  # attributes of <__borderwatch/>


def cot_type(identity: str | None, cls: str | None) -> str:
    """``a-<affiliation>-<function>``; ``identity`` None (not yet assessed) is pending."""
    tabs = cot_types()
    aff = tabs["affiliation"].get(identity or "pending", "u")
    fn = tabs["function"].get(cls or "default", tabs["function"]["default"])
    return f"a-{aff}-{fn}"


def _errors(cov: Any) -> tuple[float, float]:
    try:
        ee, en, nn, uu = float(cov[0][0]), float(cov[0][1]), float(cov[1][1]), float(cov[2][2])
    except (TypeError, IndexError, ValueError):
        return UNKNOWN_ERR, UNKNOWN_ERR
    if not (0.0 <= ee < math.inf and 0.0 <= nn < math.inf and 0.0 <= uu < math.inf and math.isfinite(en)):
        return UNKNOWN_ERR, UNKNOWN_ERR
    # the mean of the two horizontal eigenvalues is (ee + nn) / 2; CE90 of the equivalent circular normal
    ce = CE90 * math.sqrt(max((ee + nn) / 2.0, 0.0))
    le = LE90 * math.sqrt(uu)
    return ce, le


_SPECIAL = re.compile(r'[&<>"\n\r\t]').search


def escape(s: str) -> str:
    """XML text and attribute escape (fast path when nothing needs escaping)."""
    if _SPECIAL(s) is None:
        return s
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return s.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")


def quoteattr(s: str) -> str:
    return f'"{escape(s)}"'


@lru_cache(maxsize=4096)
def _iso_second(s: int) -> str:
    g = time.gmtime(s)
    return f"{g.tm_year:04d}-{g.tm_mon:02d}-{g.tm_mday:02d}T{g.tm_hour:02d}:{g.tm_min:02d}:{g.tm_sec:02d}"


def _iso(t: float) -> str:
    """ISO 8601 UTC with milliseconds (``2026-01-01T00:00:00.000Z``)."""
    s, msec = divmod(round(t * 1000.0), 1000)
    return f"{_iso_second(s)}.{msec:03d}Z"


def _hhmm(t: float) -> str:
    g = time.gmtime(t)
    return f"{g.tm_hour:02d}:{g.tm_min:02d}:{g.tm_sec:02d}Z"


def track_event(
    track: dict[str, Any], assessment: dict[str, Any] | None = None, *, now: float | None = None
) -> CotEvent:
    """One track (tracks.jsonl line) and its latest assessment (assessments.jsonl line) as a CoT event."""
    tabs = cot_types()
    probs: dict[str, float] = track.get("class") or {}
    main = assessment.get("class") if assessment else None
    if main is None and probs:
        main = max(probs, key=lambda k: probs[k])
    identity = assessment.get("identity") if assessment else None
    coop = bool(track.get("cooperative"))
    nsens = len(track.get("sensors") or ())
    how = tabs["how"]["cooperative" if coop else "fused" if nsens >= 2 else "single"]
    t = float(track["t"])
    coast, coast_coop = coast_limits()
    ce, le = _errors(track.get("cov_pos_enu_m2"))
    ve, vn, _ = [*list(track.get("vel_enu_mps") or ()), 0.0, 0.0, 0.0][:3]
    speed = math.hypot(ve, vn)
    course = math.degrees(math.atan2(ve, vn)) % 360.0
    parts = []
    if probs:
        parts.append(", ".join(f"{k} {v:.0%}" for k, v in sorted(probs.items(), key=lambda kv: -kv[1])))
    if identity:
        parts.append(f"identity {identity}")
    cr = assessment.get("crossing") if assessment else None
    if cr:
        parts.append(
            f"predicted crossing {_hhmm(float(cr['t']))} at {float(cr['lat']):.5f},{float(cr['lon']):.5f} "
            f"(±{float(cr.get('sigma_m', 0)):.0f} m, ±{float(cr.get('sigma_s', 0)):.0f} s)"
            + (f" segment {cr['segment']}" if cr.get("segment") else "")
        )
    if track.get("icao"):
        parts.append(f"ICAO {track['icao']}")
    sent = t if now is None else now
    extra = {"track": str(track["track"])}
    if identity:
        extra["identity"] = str(identity)
    if assessment and "score" in assessment:
        extra["score"] = f"{float(assessment['score']):.3f}"
    return CotEvent(
        uid=UID_PREFIX + str(track["track"]),
        type=cot_type(identity, main),
        how=how,
        time=sent,
        start=t,
        stale=t + (coast_coop if coop else coast),
        lat=float(track["lat"]),
        lon=float(track["lon"]),
        hae=float(track.get("alt_m", UNKNOWN_ERR)),
        ce=ce,
        le=le,
        callsign=f"{track['track']} {main}" if main else str(track["track"]),
        course_deg=course,
        speed_mps=speed,
        remarks="; ".join(parts) or None,
        extra=extra,
    )


def alert_event(alert: dict[str, Any], *, stale_s: float = 300.0) -> CotEvent:
    """An alert (alerts.jsonl line) as a CoT alert event at the track's position."""
    tabs = cot_types()["alert"]
    t = float(alert["t"])
    return CotEvent(
        uid=UID_PREFIX + "alert." + str(alert["id"]),
        type=tabs.get(str(alert.get("kind")), tabs["default"]),
        how="m-f",
        time=t,
        start=t,
        stale=t + stale_s,
        lat=float(alert["lat"]),
        lon=float(alert["lon"]),
        callsign=f"{alert.get('level', 'alert')}: {alert.get('kind')} {alert.get('track')}",
        remarks=str(alert.get("message", "")) or None,
        extra={"track": str(alert.get("track")), "level": str(alert.get("level")), "kind": str(alert.get("kind"))},
    )


def to_xml(ev: CotEvent) -> str:
    """CoT XML 2.0 (one ``<event>``, no XML declaration)."""
    det = []
    if ev.callsign:
        det.append(f"<contact callsign={quoteattr(ev.callsign)}/>")
    if ev.speed_mps is not None and ev.course_deg is not None:
        det.append(f'<track course="{ev.course_deg:.1f}" speed="{ev.speed_mps:.2f}"/>')
    if ev.remarks:
        det.append(f"<remarks>{escape(ev.remarks)}</remarks>")
    if ev.extra:
        det.append("<__borderwatch " + " ".join(f"{k}={quoteattr(v)}" for k, v in ev.extra.items()) + "/>")
    return (
        f'<event version="2.0" uid={quoteattr(ev.uid)} type="{ev.type}" how="{ev.how}" time="{_iso(ev.time)}" '
        f'start="{_iso(ev.start)}" stale="{_iso(ev.stale)}">'
        f'<point lat="{ev.lat:.7f}" lon="{ev.lon:.7f}" hae="{ev.hae:.1f}" ce="{ev.ce:.1f}" le="{ev.le:.1f}"/>'
        f"<detail>{''.join(det)}</detail></event>"
    )


def to_proto(ev: CotEvent, *, stream: bool = False) -> bytes:
    """TAK protocol v1: the mesh header (0xbf 0x01 0xbf) for UDP, or the streaming header and length for TCP."""
    from takproto import TAKProtoVer
    from takproto.functions import msg2proto
    from takproto.proto import TakMessage

    m = TakMessage()
    e = m.cotEvent
    e.type, e.uid, e.how = ev.type, ev.uid, ev.how
    e.sendTime, e.startTime, e.staleTime = int(ev.time * 1000), int(ev.start * 1000), int(ev.stale * 1000)
    e.lat, e.lon, e.hae, e.ce, e.le = ev.lat, ev.lon, ev.hae, ev.ce, ev.le
    d = e.detail
    if ev.callsign:
        d.contact.callsign = ev.callsign
    if ev.speed_mps is not None and ev.course_deg is not None:
        d.track.speed, d.track.course = ev.speed_mps, ev.course_deg
    xml = []
    if ev.remarks:
        xml.append(f"<remarks>{escape(ev.remarks)}</remarks>")
    if ev.extra:
        xml.append("<__borderwatch " + " ".join(f"{k}={quoteattr(v)}" for k, v in ev.extra.items()) + "/>")
    if xml:
        d.xmlDetail = "".join(xml)
    return bytes(msg2proto(m, TAKProtoVer.STREAM if stream else TAKProtoVer.MESH))


# --------------------------------------------------------------------------------------------------- CoT in
class CotError(ValueError):
    """A CoT event that cannot be used; the message names the field."""


def _iso_parse(s: str | None, name: str) -> float:
    if not s:
        raise CotError(f"{name}: missing")
    from datetime import datetime

    try:
        v = s.strip()
        if v.endswith("Z"):
            v = v[:-1] + "+00:00"
        dt = datetime.fromisoformat(v)
    except ValueError:
        raise CotError(f"{name}: not an ISO 8601 time") from None
    if dt.tzinfo is None:
        raise CotError(f"{name}: no time zone")
    return dt.timestamp()


def _float(s: str | None, name: str, lo: float, hi: float) -> float:
    if s is None:
        raise CotError(f"{name}: missing")
    try:
        v = float(s)
    except ValueError:
        raise CotError(f"{name}: not a number") from None
    if not math.isfinite(v) or not lo <= v <= hi:
        raise CotError(f"{name}: outside [{lo:g}, {hi:g}]")
    return v


def parse_event(data: bytes | str) -> CotEvent:
    """One CoT event: XML (``<event>``), or TAK protobuf (mesh 0xbf 0x01 0xbf or stream 0xbf varint) —
    raises :class:`CotError` naming the field."""
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    if len(data) > MAX_EVENT_BYTES:
        raise CotError(f"event: larger than {MAX_EVENT_BYTES} bytes")
    if data[:1] == b"\xbf":
        return _parse_proto(data)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise CotError("event: DOCTYPE/ENTITY not allowed")
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise CotError(f"event: not XML ({str(e)[:60]})") from None
    if root.tag != "event":
        raise CotError("event: root element is not <event>")
    pt = root.find("point")
    if pt is None:
        raise CotError("point: missing")
    uid = root.get("uid") or ""
    typ = root.get("type") or ""
    if not uid or len(uid) > 256:
        raise CotError("uid: missing or longer than 256 characters")
    if not typ or len(typ) > 64:
        raise CotError("type: missing or longer than 64 characters")
    contact = root.find("detail/contact")
    remarks = root.find("detail/remarks")
    trk = root.find("detail/track")
    ev = CotEvent(
        uid=uid,
        type=typ,
        how=(root.get("how") or "")[:16],
        time=_iso_parse(root.get("time"), "time"),
        start=_iso_parse(root.get("start") or root.get("time"), "start"),
        stale=_iso_parse(root.get("stale"), "stale"),
        lat=_float(pt.get("lat"), "lat", -90, 90),
        lon=_float(pt.get("lon"), "lon", -180, 180),
        hae=_float(pt.get("hae", str(UNKNOWN_ERR)), "hae", -20000, 1e7),
        ce=_float(pt.get("ce", str(UNKNOWN_ERR)), "ce", 0, 1e7),
        le=_float(pt.get("le", str(UNKNOWN_ERR)), "le", 0, 1e7),
        callsign=(contact.get("callsign") or None) if contact is not None else None,
        remarks=(remarks.text or None) if remarks is not None else None,
    )
    if trk is not None and trk.get("speed") is not None and trk.get("course") is not None:
        ev.speed_mps = _float(trk.get("speed"), "track.speed", 0, 1e4)
        ev.course_deg = _float(trk.get("course"), "track.course", -360, 360)
    return ev


def _parse_proto(data: bytes) -> CotEvent:
    import takproto

    try:
        msg = takproto.parse_proto(bytearray(data))
    except Exception as exc:  # protobuf's DecodeError and friends
        raise CotError(f"event: not TAK protobuf ({type(exc).__name__})") from None
    if msg is None or msg == -1:
        raise CotError("event: not TAK protobuf (header)")
    ce = msg.cotEvent
    if not ce.uid or not ce.type:
        raise CotError("uid: missing" if not ce.uid else "type: missing")
    return CotEvent(
        uid=ce.uid[:256],
        type=ce.type[:64],
        how=ce.how[:16],
        time=_ms(ce.sendTime, "time"),
        start=_ms(ce.startTime, "start"),
        stale=_ms(ce.staleTime, "stale"),
        lat=_float(repr(ce.lat), "lat", -90, 90),
        lon=_float(repr(ce.lon), "lon", -180, 180),
        hae=_float(repr(ce.hae), "hae", -20000, 1e7),
        ce=_float(repr(ce.ce), "ce", 0, 1e7),
        le=_float(repr(ce.le), "le", 0, 1e7),
        callsign=ce.detail.contact.callsign or None,
    )


def _ms(v: int, name: str) -> float:
    """A TAK protobuf time (ms since 1970, uint64) as UTC epoch s; beyond 2100 is a broken field."""
    if not 0 <= v <= 4_102_444_800_000:
        raise CotError(f"{name}: outside 1970..2100")
    return v / 1000.0


@dataclass(slots=True)
class FriendlyBoard:
    """Latest position of each friendly unit (CoT type ``a-f-…``) until its stale time; other events are
    counted as skipped, broken ones as rejected by reason."""

    max_units: int = 5000
    units: dict[str, CotEvent] = field(default_factory=dict)
    rejected: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    accepted: int = 0

    def offer(self, data: bytes | str) -> CotEvent | None:
        try:
            ev = parse_event(data)
        except CotError as e:
            self.rejected[str(e)] += 1
            return None
        if not ev.type.startswith("a-f-"):
            self.skipped["type: not a friendly atom (a-f-…)"] += 1
            return None
        if ev.uid.startswith(UID_PREFIX):
            self.skipped["uid: our own event"] += 1
            return None
        if ev.uid not in self.units and len(self.units) >= self.max_units:
            self.prune(time.time())
            if len(self.units) >= self.max_units:
                self.rejected["board: full"] += 1
                return None
        old = self.units.get(ev.uid)
        if old is None or ev.time >= old.time:
            self.units[ev.uid] = ev
        self.accepted += 1
        return ev

    def prune(self, now: float) -> None:
        for k in [k for k, v in self.units.items() if v.stale < now]:
            del self.units[k]

    def current(self, now: float) -> list[dict[str, Any]]:
        """The friendly units whose stale time has not passed, as plain dicts (for the picture)."""
        self.prune(now)
        return [
            {
                "uid": e.uid,
                "callsign": e.callsign,
                "type": e.type,
                "lat": e.lat,
                "lon": e.lon,
                "hae": e.hae,
                "t": e.time,
                "stale": e.stale,
                **({"course_deg": e.course_deg, "speed_mps": e.speed_mps} if e.speed_mps is not None else {}),
            }
            for e in sorted(self.units.values(), key=lambda e: e.uid)
        ]


def split_xml_stream(buf: bytearray) -> list[bytes]:
    """Complete ``<event …>…</event>`` documents from the front of a TCP byte buffer (removed from it)."""
    out: list[bytes] = []
    end_tag = b"</event>"
    while True:
        i = buf.find(end_tag)
        if i < 0:
            if len(buf) > MAX_EVENT_BYTES:
                del buf[: len(buf) - 8]  # no end in sight: keep only a possible partial end tag
            return out
        j = i + len(end_tag)
        start = buf.rfind(b"<event", 0, i)
        if start >= 0:
            out.append(bytes(buf[start:j]))
        del buf[:j]


# ---------------------------------------------------------------------------------------------- transport
@dataclass(slots=True)
class CotSink:
    """Sends CoT to ``url``: ``tcp://host:port``, ``tls://host:port`` (``ssl_context``: client certificate and
    CA as the TAK server wants) or ``udp://group:port`` (multicast TTL 1 unless given). ``fmt`` is ``xml`` or
    ``proto`` (TAK protocol v1: streaming framing on TCP/TLS, mesh header on UDP). TCP reconnects with
    back-off; a send while disconnected is dropped and counted (the next picture update replaces it)."""

    url: str
    fmt: str = "xml"
    ssl_context: ssl.SSLContext | None = None
    ttl: int = 1
    sent: int = 0
    dropped: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    _writer: asyncio.StreamWriter | None = None
    _udp: Any = None
    _next_try: float = 0.0
    _backoff: Any = None

    def __post_init__(self) -> None:
        from borderwatch.interop.sbs import Backoff

        scheme, _, rest = self.url.partition("://")
        if scheme not in ("tcp", "tls", "udp") or ":" not in rest:
            raise ValueError(f"CoT sink {self.url!r}: expected tcp://HOST:PORT, tls://HOST:PORT or udp://HOST:PORT")
        if self.fmt not in ("xml", "proto"):
            raise ValueError(f"CoT format {self.fmt!r}: expected xml or proto")
        self._backoff = Backoff(initial_s=0.5, max_s=30.0)

    @property
    def scheme(self) -> str:
        return self.url.partition("://")[0]

    @property
    def address(self) -> tuple[str, int]:
        host, _, port = self.url.partition("://")[2].rstrip("/").rpartition(":")
        return host.strip("[]"), int(port)

    def encode(self, ev: CotEvent) -> bytes:
        if self.fmt == "proto":
            return to_proto(ev, stream=self.scheme != "udp")
        return to_xml(ev).encode("utf-8")

    async def _connect(self) -> bool:
        if self.scheme == "udp":
            if self._udp is None:
                import socket

                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
                s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, self.ttl)
                s.setblocking(False)
                self._udp = s
            return True
        if self._writer is not None and not self._writer.is_closing():
            return True
        now = time.monotonic()
        if now < self._next_try:
            return False
        host, port = self.address
        try:
            ctx = self.ssl_context or (ssl.create_default_context() if self.scheme == "tls" else None)
            _, self._writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=ctx), timeout=5.0)
            self._backoff.reset()
            return True
        except (OSError, TimeoutError, ssl.SSLError) as e:
            self.errors[f"connect: {type(e).__name__}"] += 1
            self._next_try = now + self._backoff.next()
            self._writer = None
            return False

    async def send(self, events: list[CotEvent]) -> int:
        """Send events; returns how many went out."""
        if not events:
            return 0
        if not await self._connect():
            self.dropped += len(events)
            return 0
        payloads = [self.encode(e) for e in events]
        if self.scheme == "udp":
            loop = asyncio.get_running_loop()
            n = 0
            for p in payloads:
                try:
                    await loop.sock_sendto(self._udp, p, self.address)
                    n += 1
                except OSError as e:
                    self.errors[f"send: {type(e).__name__}"] += 1
                    self.dropped += 1
            self.sent += n
            return n
        assert self._writer is not None
        try:
            self._writer.write(b"".join(payloads))
            await asyncio.wait_for(self._writer.drain(), timeout=5.0)
        except (OSError, TimeoutError) as e:
            self.errors[f"send: {type(e).__name__}"] += 1
            self.dropped += len(payloads)
            self._writer.close()
            self._writer = None
            return 0
        self.sent += len(payloads)
        return len(payloads)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._udp is not None:
            self._udp.close()
            self._udp = None


def tls_context(*, cert: str | None, key: str | None, ca: str | None, verify: bool = True) -> ssl.SSLContext:
    """A client TLS context for a TAK server (client certificate + the server's CA)."""
    ctx = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
    if cert:
        ctx.load_cert_chain(cert, key)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def decode_cot_file(path: str) -> dict[str, object]:
    """CoT events of a file of concatenated ``<event>`` documents: ``{"records": [...], "rejected": {...}}``."""
    buf = bytearray(Path(path).read_bytes())
    board = Counter[str]()
    out: list[dict[str, Any]] = []
    for raw in split_xml_stream(buf):
        try:
            ev = parse_event(raw)
        except CotError as e:
            board[str(e)] += 1
            continue
        out.append({"uid": ev.uid, "type": ev.type, "how": ev.how, "t": ev.time, "stale": ev.stale, "lat": ev.lat,
                    "lon": ev.lon, "hae": ev.hae, "ce": ev.ce, "le": ev.le, "callsign": ev.callsign,
                    "remarks": ev.remarks})  # fmt: skip
    return {"records": out, "rejected": dict(board)}
