"""ASTERIX over UDP, live: a radar-network source for ``borderwatch serve`` and a CAT062 sink.

* **Source** (``serve --asterix-udp [HOST:]PORT[@GROUP]``): datagrams (unicast, or a multicast group joined on
  the interface of HOST) are decoded (CAT048 plots, CAT034 service messages, CAT021 ADS-B); plots and ADS-B
  reports whose SAC/SIC names a sensors.json entry become reports of that sensor and go through the same signed
  ingest as every other sensor: the service enrols those sensors (a key each, kept in the store) and submits one
  signed message per sensor per datagram to :meth:`~borderwatch.server.ingest.Ingest.submit`, so they are
  checked, stored durably and fed to the engine exactly like reports POSTed over HTTP. Decoding rejections are
  counted on ``/metrics`` as ``borderwatch_rejections_total{sensor="_asterix", reason=...}``.
* **Sink** (``serve --asterix-out HOST:PORT``): every track delta of the picture goes out as CAT062 (one data
  block per engine step, split to stay under 1,400 bytes per datagram; the last message of a dropped track has
  TSE set).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
import struct
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from borderwatch.errors import InputError

if TYPE_CHECKING:
    from borderwatch.server.run import Background
    from borderwatch.server.settings import Settings
    from borderwatch.server.state import AppState

log = logging.getLogger("borderwatch.asterix")
COUNTER_LABEL = "_asterix"


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int
    group: str | None = None


def parse_endpoint(text: str, *, what: str, default_host: str = "0.0.0.0") -> Endpoint:
    """``PORT``, ``HOST:PORT`` or ``[HOST:]PORT@GROUP`` (multicast group to join)."""
    s, group = text, None
    if "@" in text:
        s, group = text.split("@", 1)
    host, _, port_s = s.rpartition(":")
    try:
        port = int(port_s)
    except ValueError:
        raise InputError(f"port {port_s!r} is not a number (want [HOST:]PORT[@GROUP])", field=what) from None
    if not 0 < port < 65536:
        raise InputError(f"port {port} outside 1..65535", field=what)
    if group is not None:
        try:
            if not ipaddress.ip_address(group).is_multicast:
                raise InputError(f"{group} is not a multicast address", field=what)
        except ValueError:
            raise InputError(f"{group!r} is not an IP address", field=what) from None
    return Endpoint(host or default_host, port, group)


def open_receiver(ep: Endpoint) -> socket.socket:
    """A bound, non-blocking UDP socket; joins ``ep.group`` (IPv4) on the interface of ``ep.host``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    if ep.group is not None:
        sock.bind(("", ep.port))
        iface = "0.0.0.0" if ep.host in ("", "0.0.0.0") else ep.host
        mreq = struct.pack("4s4s", socket.inet_aton(ep.group), socket.inet_aton(iface))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    else:
        sock.bind((ep.host, ep.port))
    sock.setblocking(False)
    return sock


@dataclass(slots=True)
class SourceStats:
    datagrams: int = 0
    reports: int = 0
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


class AsterixSource:
    """Decodes datagrams into signed messages for the ingest path (see the module doc)."""

    def __init__(self, state: AppState, keys: dict[str, bytes], seqs: dict[str, int]) -> None:
        from borderwatch.interop.asterix import DecodeStats, ReportMapper, sites_by_code

        self.state = state
        self.keys = keys
        self.seq = seqs
        self.mapper = ReportMapper(sites_by_code(list(state.sites.values())))
        self.decode_stats = DecodeStats()
        self.stats = SourceStats()

    async def handle(self, data: bytes) -> None:
        from borderwatch.interop.asterix import decode_bytes
        from borderwatch.store.signing import signed_per_sensor

        st = self.decode_stats
        before = Counter(st.rejected) + Counter(self.mapper.rejected)
        now = float(self.state.settings.clock())
        recs = decode_bytes(data, st, cats=(48, 34, 21))
        by: dict[str, list[dict[str, Any]]] = {}
        for r in recs:
            rep = self.mapper(r, now)
            if rep is not None:
                by.setdefault(rep["sensor"], []).append(rep)
        after = Counter(st.rejected) + Counter(self.mapper.rejected)
        for reason, n in (after - before).items():
            self.state.metrics.reject(COUNTER_LABEL, reason, n)
            self.stats.rejected[reason] += n
        self.stats.datagrams += 1
        msgs = signed_per_sensor(by, self.keys, self.seq, now)
        self.stats.reports += sum(len(m["reports"]) for m in msgs)
        if msgs:
            results = await self.state.ingest.submit(msgs)
            self.stats.accepted += sum(r.accepted for r in results)


async def run_source(ep: Endpoint, state: AppState, keys: dict[str, bytes]) -> None:
    """Receive until cancelled."""
    from borderwatch.store import reports as store_reports

    seqs = dict(await asyncio.to_thread(store_reports.last_seqs, state.store))
    src = AsterixSource(state, keys, seqs)
    sock = open_receiver(ep)
    loop = asyncio.get_running_loop()
    log.info("ASTERIX source listening on %s:%d%s", ep.host, ep.port, f" group {ep.group}" if ep.group else "")
    state.settings.extra.setdefault("asterix_sources", []).append(src)
    try:
        while True:
            data = await loop.sock_recv(sock, 65535)
            try:
                await src.handle(data)
            except Exception:  # one bad datagram must not stop the source
                log.exception("ASTERIX datagram failed")
                state.metrics.reject(COUNTER_LABEL, "datagram: internal error")
    finally:
        sock.close()


async def run_sink(ep: Endpoint, state: AppState, *, sac: int, sic: int, ref: tuple[float, float]) -> None:
    """Send every engine step's track deltas as CAT062 until cancelled."""
    from borderwatch.bus import SUBJECT_DELTA
    from borderwatch.interop.asterix_encode import Cat062Encoder

    enc = Cat062Encoder(sac=sac, sic=sic, ref=ref)
    sub = state.bus.subscribe(SUBJECT_DELTA, maxsize=20_000, overflow="drop", auto_ack=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if ipaddress.ip_address(socket.gethostbyname(ep.host)).is_multicast:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 8)
    sent = 0
    last: dict[str, dict[str, Any]] = {}
    try:
        while True:
            msg = await sub.next(timeout=1.0)
            if msg is None:
                continue
            batch = [msg, *sub.drain(5000)]
            tracks: dict[str, dict[str, Any]] = {}
            dropped: list[dict[str, Any]] = []
            for m in batch:
                d = json.loads(m.data)
                if d.get("kind") == "track" and isinstance(d.get("data"), dict):
                    tracks[str(d["id"])] = d["data"]
                    last[str(d["id"])] = d["data"]
                elif d.get("kind") == "track_dropped":
                    prev = last.pop(str(d.get("id")), None)
                    if prev is not None:
                        dropped.append(prev)
            if not tracks and not dropped:
                continue
            try:
                blocks = enc.datagrams(list(tracks.values()))
                if dropped:
                    blocks.append(enc.datablock(dropped, dropped=frozenset(str(t["track"]) for t in dropped)))
            except (KeyError, TypeError, ValueError) as e:
                log.warning("CAT062: a track could not be encoded (%s)", e)
                state.metrics.reject(COUNTER_LABEL, "cat062: track not encodable")
                continue
            for b in blocks:
                sock.sendto(b, (ep.host, ep.port))
                sent += 1
    finally:
        sock.close()
        await sub.close()
        log.info("CAT062 sink sent %d datagrams", sent)


def enrol(store_path: Any, ids: list[str], now: float) -> dict[str, bytes]:
    """Keys of the ASTERIX-fed sensors: enrolled now if new (audited), the active key otherwise."""
    from borderwatch.store import audit, open_store, sensor_keys

    st = open_store(store_path)
    keys: dict[str, bytes] = {}
    try:
        new = []
        for i in ids:
            have = sensor_keys.keys_for(st, i, now)
            if have:
                keys[i] = have[0]
            else:
                keys[i] = sensor_keys.add_sensor(st, i, now=now)
                new.append(i)
        if new:
            audit.append_audit(st, "asterix", "sensors.enrol", f"{len(new)} sensors", {"sensors": new}, t=now)
    finally:
        st.close()
    return keys


def sensors_centroid(settings: Settings) -> tuple[float, float]:
    """Reference point of the CAT062 Cartesian position by default: the mean sensor position."""
    if settings.sensors is None:
        return (56.5, 27.5)
    sens = json.loads(settings.sensors.read_text(encoding="utf-8"))["sensors"]
    if not sens:
        return (56.5, 27.5)
    return (sum(float(s["lat"]) for s in sens) / len(sens), sum(float(s["lon"]) for s in sens) / len(sens))


def hook(settings: Settings, opts: dict[str, object]) -> tuple[Settings, list[Background]]:
    """The ``--asterix-udp`` / ``--asterix-out`` extension of ``serve`` (see ``borderwatch.cli.serve.ServeHook``)."""
    src_s = opts.get("asterix_udp")
    out_s = opts.get("asterix_out")
    bg: list[Background] = []
    if src_s:
        ep = parse_endpoint(str(src_s), what="--asterix-udp")
        if settings.sensors is None:
            raise InputError("needs --sensors sensors.json with sac/sic on the radars", field="--asterix-udp")
        from borderwatch.interop.asterix import sites_by_code

        sens = json.loads(settings.sensors.read_text(encoding="utf-8"))["sensors"]
        coded = sites_by_code(sens)
        if not coded:
            raise InputError("no sensor in sensors.json has sac and sic", source=str(settings.sensors))
        ids = {s.id for s in coded.values()}
        keys = enrol(settings.store, sorted(ids), time.time())

        async def source(url: str, state: AppState) -> None:
            await run_source(ep, state, keys)

        bg.append(source)
    if out_s:
        out = parse_endpoint(str(out_s), what="--asterix-out", default_host="127.0.0.1")
        sac = int(opts.get("asterix_sac", 0))  # type: ignore[call-overload]
        sic = int(opts.get("asterix_sic", 1))  # type: ignore[call-overload]
        ref = opts.get("asterix_ref") or sensors_centroid(settings)

        async def sink(url: str, state: AppState) -> None:
            await run_sink(out, state, sac=sac, sic=sic, ref=ref)  # type: ignore[arg-type]

        bg.append(sink)
    return settings, bg
