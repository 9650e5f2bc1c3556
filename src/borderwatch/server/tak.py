"""Live adapters of ``borderwatch serve``: ADS-B receivers in (SBS-1, Beast), Cursor-on-Target out and in.

* ``--sbs HOST:PORT`` / ``--beast HOST:PORT``: a reconnecting TCP client of a dump1090/readsb feed. Each batch
  of decoded reports is signed with the ADS-B sensor's key (enrolled in the store on first use) and handed to
  the service's ingest — the same checks, durable store, bus and engine path a sensor POSTing to
  ``/api/v1/ingest`` takes. The receiver must be an ``adsb`` entry of ``--sensors`` (``--adsb-sensor ID``, or
  the only one there).
* ``--cot-out URL`` (repeatable): every track and alert change of the picture (the ``picture.delta`` bus
  subject) as a CoT event to a TAK server (``tcp://``, ``tls://``) or a UDP/multicast group (``udp://``).
* ``--cot-in URL``: CoT events from a UDP (multicast) group or TCP listener; friendly positions (``a-f-…``)
  are kept on a :class:`~borderwatch.interop.cot.FriendlyBoard` served at ``GET /api/v1/friendlies``. The
  engine has no friendly-track concept: the friendlies are shown beside the picture, not tracked or fused.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from borderwatch.errors import InputError

if TYPE_CHECKING:
    from borderwatch.interop.cot import CotSink, FriendlyBoard
    from borderwatch.server.run import Background
    from borderwatch.server.settings import Settings
    from borderwatch.server.state import AppState

log = logging.getLogger("borderwatch.tak")
MAX_REPORTS = 500  # per signed message


def host_port(s: str, field_name: str) -> tuple[str, int]:
    host, _, port = s.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"expected HOST:PORT, got {s!r}", field=field_name)
    return host.strip("[]"), int(port)


def adsb_sensor(sensors_path: Any, wanted: str | None) -> tuple[str, tuple[float, float]]:
    """The ADS-B receiver's id and site from sensors.json."""
    if sensors_path is None:
        raise InputError("an ADS-B source needs --sensors with the receiver as an adsb entry", field="--sbs")
    from pathlib import Path

    doc = json.loads(Path(sensors_path).read_text(encoding="utf-8"))
    ads = [s for s in doc.get("sensors", []) if s.get("type") == "adsb"]
    if wanted is not None:
        ads = [s for s in ads if s.get("id") == wanted]
        if not ads:
            raise InputError(f"no adsb sensor {wanted!r} in {sensors_path}", field="--adsb-sensor")
    if len(ads) != 1:
        raise InputError(
            f"{len(ads)} adsb sensors in {sensors_path}: name the receiver with --adsb-sensor", field="--adsb-sensor"
        )
    return str(ads[0]["id"]), (float(ads[0]["lat"]), float(ads[0]["lon"]))


def enrol_one(store_path: Any, sensor: str, now: float) -> bytes:
    """The sensor's active key, enrolled now (audited) if it has none."""
    from borderwatch.store import audit, open_store, sensor_keys

    st = open_store(store_path)
    try:
        have = sensor_keys.keys_for(st, sensor, now)
        if have:
            return bytes(have[0])
        key = bytes(sensor_keys.add_sensor(st, sensor, now=now))
        audit.append_audit(st, "serve", "sensors.enrol", sensor, {"source": "adsb receiver"}, t=now)
        return key
    finally:
        st.close()


@dataclass(slots=True)
class AdsbFeedStats:
    batches: int = 0
    reports: int = 0
    accepted: int = 0
    rejected: dict[str, int] = field(default_factory=dict)


async def submit_signed(state: AppState, sensor: str, key: bytes, seq: int, reports: list[dict[str, Any]]) -> Any:
    """Sign ``reports`` as sensor ``sensor`` and give them to the service's ingest (one message)."""
    from borderwatch.store.signing import signed_envelope

    env = signed_envelope(sensor, seq, state.settings.clock(), reports, key)
    (res,) = await state.ingest.submit([env])
    return res


async def run_adsb_feed(
    state: AppState, *, kind: str, host: str, port: int, sensor: str, key: bytes, ref: tuple[float, float],
    time_source: str, stats: AdsbFeedStats,
) -> None:  # fmt: skip
    """Read the feed forever, submitting each batch of reports."""
    from borderwatch.interop.sbs import SbsParser, StreamStats, reconnecting_stream, sbs_reports
    from borderwatch.server import storeio

    last = await asyncio.to_thread(storeio.last_seq, state.store, sensor)
    seq = 0 if last is None else int(last)
    net = StreamStats()
    if kind == "sbs":
        parser = SbsParser(sensor=sensor, time_source=time_source)
        batches = sbs_reports(host, port, parser, stats=net)
    else:
        batches = _beast_batches(host, port, sensor, ref, net, reconnecting_stream)
    async for batch in batches:
        for i in range(0, len(batch), MAX_REPORTS):
            part = batch[i : i + MAX_REPORTS]
            seq += 1
            res = await submit_signed(state, sensor, key, seq, part)
            stats.batches += 1
            stats.reports += len(part)
            stats.accepted += res.accepted
            for rej in res.rejected:
                stats.rejected[rej["detail"]] = stats.rejected.get(rej["detail"], 0) + 1
            if res.reason:
                stats.rejected[res.reason] = stats.rejected.get(res.reason, 0) + 1


async def _beast_batches(host: str, port: int, sensor: str, ref: tuple[float, float], net: Any, stream: Any) -> Any:
    from borderwatch.interop.beast import BeastReader
    from borderwatch.interop.modes import AdsbDecoder

    reader = BeastReader()
    dec = AdsbDecoder(sensor=sensor, ref=ref)
    async for chunk in stream(host, port, stats=net):
        now = time.time()
        if not chunk:
            reader = BeastReader(rejected=reader.rejected)  # a reconnect: drop the half frame
            continue
        out = []
        for f in reader.feed(chunk):
            if f.kind == "mode_ac":
                continue
            rep = dec.feed(f.msg, now)  # arrival time: the MLAT counter is not a wall clock
            if rep is not None:
                out.append(rep)
        if out:
            yield out


# ------------------------------------------------------------------------------------------------ CoT out
async def run_cot_out(state: AppState, sinks: list[CotSink], *, batch_wait_s: float = 0.2) -> None:
    """Track and alert deltas from the bus → CoT events → every sink."""
    from borderwatch.bus import SUBJECT_DELTA
    from borderwatch.interop.cot import alert_event, track_event

    sub = state.bus.subscribe(SUBJECT_DELTA, maxsize=state.settings.bus_maxsize)
    assessments: dict[str, dict[str, Any]] = {}
    try:
        while True:
            m = await sub.next(timeout=batch_wait_s)
            msgs = ([m] if m is not None else []) + sub.drain(2000)
            events = []
            for msg in msgs:
                try:
                    d = json.loads(msg.data)
                    kind, data = d.get("kind"), d.get("data") or {}
                    if kind == "assessment":
                        assessments[str(data.get("track"))] = data
                    elif kind == "track":
                        events.append(track_event(data, assessments.get(str(data.get("track")))))
                    elif kind == "track_dropped":
                        assessments.pop(str(data.get("track")), None)
                    elif kind == "alert":
                        events.append(alert_event(data))
                except Exception:  # one bad delta must not stop the feed
                    log.exception("CoT: could not encode a delta")
                with contextlib.suppress(Exception):
                    await msg.ack()
            for s in sinks:
                await s.send(events)
    finally:
        await sub.close()
        for s in sinks:
            await s.close()


# ------------------------------------------------------------------------------------------------- CoT in
class _CotDatagrams(asyncio.DatagramProtocol):
    def __init__(self, board: FriendlyBoard) -> None:
        self.board = board

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.board.offer(data)


def _udp_socket(host: str, port: int) -> socket.socket:
    import ipaddress

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    multicast = ipaddress.ip_address(host).is_multicast if host[0].isdigit() else False
    s.bind(("0.0.0.0" if multicast else host, port))
    if multicast:
        mreq = struct.pack("4s4s", socket.inet_aton(host), socket.inet_aton("0.0.0.0"))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    s.setblocking(False)
    return s


async def run_cot_in(board: FriendlyBoard, url: str) -> None:
    """Listen for CoT on ``udp://GROUP_OR_HOST:PORT`` or ``tcp://HOST:PORT`` (a listener) forever."""
    from borderwatch.interop.cot import split_xml_stream

    scheme, _, rest = url.partition("://")
    host, port = host_port(rest, "--cot-in")
    loop = asyncio.get_running_loop()
    if scheme == "udp":
        transport, _ = await loop.create_datagram_endpoint(lambda: _CotDatagrams(board), sock=_udp_socket(host, port))
        try:
            await asyncio.Event().wait()
        finally:
            transport.close()
    if scheme != "tcp":
        raise InputError(f"expected udp://HOST:PORT or tcp://HOST:PORT, got {url!r}", field="--cot-in")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buf = bytearray()
        try:
            while chunk := await reader.read(65536):
                buf += chunk
                for ev in split_xml_stream(buf):
                    board.offer(ev)
        finally:
            writer.close()

    srv = await asyncio.start_server(handle, host, port)
    async with srv:
        await srv.serve_forever()


# ------------------------------------------------------------------------------------------------- the hook
def hook(settings: Settings, opts: dict[str, object]) -> tuple[Settings, list[Background]]:
    """The ``--sbs/--beast/--cot-out/--cot-in`` extension of ``serve`` (a :class:`~borderwatch.cli.serve.ServeHook`)."""
    from borderwatch.interop.cot import CotSink, FriendlyBoard, tls_context

    bg: list[Background] = []
    feeds = [("sbs", s) for s in opts.get("sbs") or []] + [("beast", s) for s in opts.get("beast") or []]  # type: ignore[attr-defined]
    if feeds:
        sensor, ref = adsb_sensor(settings.sensors, opts.get("adsb_sensor"))  # type: ignore[arg-type]
        key = enrol_one(settings.store, sensor, time.time())
        tsrc = str(opts.get("adsb_time") or "arrival")
        if tsrc not in ("arrival", "message"):
            raise InputError(f"expected arrival or message, got {tsrc!r}", field="--adsb-time")
        for kind, addr in feeds:
            host, port = host_port(str(addr), f"--{kind}")
            stats = AdsbFeedStats()

            async def feed(_url: str, state: AppState, kind: str = kind, host: str = host, port: int = port,
                           stats: AdsbFeedStats = stats) -> None:  # fmt: skip
                await run_adsb_feed(state, kind=kind, host=host, port=port, sensor=sensor, key=key, ref=ref,
                                    time_source=tsrc, stats=stats)  # fmt: skip

            bg.append(feed)
    outs = [str(u) for u in opts.get("cot_out") or []]  # type: ignore[attr-defined]
    if outs:
        fmt = str(opts.get("cot_format") or "xml")
        ctx = None
        if any(u.startswith("tls://") for u in outs):
            ctx = tls_context(
                cert=opts.get("cot_cert"),  # type: ignore[arg-type]
                key=opts.get("cot_key"),  # type: ignore[arg-type]
                ca=opts.get("cot_ca"),  # type: ignore[arg-type]
            )
        try:
            sinks = [CotSink(u, fmt=fmt, ssl_context=ctx if u.startswith("tls://") else None) for u in outs]
        except ValueError as e:
            raise InputError(str(e), field="--cot-out") from None

        async def cot_out(_url: str, state: AppState) -> None:
            await run_cot_out(state, sinks)

        bg.append(cot_out)
    cin = opts.get("cot_in")
    if cin:
        url = str(cin)
        if not url.startswith(("udp://", "tcp://")):
            raise InputError(f"expected udp://HOST:PORT or tcp://HOST:PORT, got {url!r}", field="--cot-in")
        host_port(url.partition("://")[2], "--cot-in")
        board = FriendlyBoard()

        async def cot_in(_url: str, state: AppState) -> None:
            state.friendlies = board
            await run_cot_in(board, url)

        bg.append(cot_in)
    return settings, bg
