"""SAPIENT nodes live: ``borderwatch serve --sapient [HOST:]PORT`` listens as the fusion node.

Each node connects over TCP and sends length-prefixed ``SapientMessage`` protobufs
(:mod:`borderwatch.interop.sapient`). A registration is answered with a ``RegistrationAck``; a rejected message
with a SAPIENT ``Error`` quoting it. Status reports are the node's heartbeat: they keep the sensor "up" in the
sensor-health panel even while it hears nothing. Detection reports become reports of the node's sensor and go
through the same signed ingest as every other sensor: the service enrols the SAPIENT-fed sensors (a key each,
kept in the store) and submits one signed message per sensor for the detections of each read from the
connection (a burst of messages is one ingest transaction, not one each), so they are checked, stored durably
and fed to the engine like reports POSTed over HTTP. Rejections are counted on ``/metrics`` as
``borderwatch_rejections_total{sensor="_sapient", reason=...}``.

SAPIENT itself carries no authentication. With ``--sapient-cert/--sapient-key --sapient-ca`` the listener speaks
TLS and admits only nodes whose client certificate the CA signed; a certificate whose subject CN (or
``urn:uuid:`` subjectAltName) is a UUID binds the connection to that node, so a node cannot speak for another.
Without a certificate name, a connection is bound to the first node that registers on it. Without TLS, keep the
listener on the sensor network's side only (a host address there, not 0.0.0.0 on an open network).
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
import uuid
from typing import TYPE_CHECKING, Any

from borderwatch.errors import InputError

if TYPE_CHECKING:
    from borderwatch.interop.sapient import SapientReader
    from borderwatch.server.run import Background
    from borderwatch.server.settings import Settings
    from borderwatch.server.state import AppState

log = logging.getLogger("borderwatch.sapient")
COUNTER_LABEL = "_sapient"
READ_BYTES = 65536


class SapientServer:
    """One reader (node registry) shared by every connection; sequence numbers per sensor for signing."""

    def __init__(self, state: AppState, reader: SapientReader, keys: dict[str, bytes], seqs: dict[str, int]) -> None:
        self.state = state
        self.reader = reader
        self.keys = keys
        self.seq = seqs
        self.connections = 0
        self.reports = 0
        self.accepted = 0

    def handle(self, data: bytes, conn: dict[str, str | None], batch: dict[str, list[dict[str, Any]]]) -> bytes | None:
        """One message of a connection: its reports are added to ``batch`` (per sensor); returns the reply for
        the node, if any. ``conn["node"]``: the node the connection speaks for (from its certificate, or its first
        accepted registration); messages of other nodes on it are refused."""
        now = float(self.state.settings.clock())
        out = self.reader.handle(data, now, bound_to=conn.get("node"))
        if out.kind == "registration" and not out.rejected and out.node is not None:
            conn["node"] = out.node.node_id
            if out.node.status_interval_s:
                self.state.health.expect(str(out.node.sensor["id"]), out.node.status_interval_s)
        if out.rejected:
            self.state.metrics.reject(COUNTER_LABEL, out.rejected)
        node = out.node
        if node is not None and out.kind == "status_report" and not out.rejected:
            self.state.health.record(str(node.sensor["id"]), 0, now)
        if out.reports and node is not None:
            batch.setdefault(str(node.sensor["id"]), []).extend(out.reports)
        return out.reply

    async def submit(self, batch: dict[str, list[dict[str, Any]]]) -> None:
        """One signed message per sensor for the reports of one read from a connection; back only once durable."""
        from borderwatch.store.signing import signed_per_sensor

        envs = signed_per_sensor(batch, self.keys, self.seq, float(self.state.settings.clock()))
        self.reports += sum(len(e["reports"]) for e in envs)
        if envs:
            self.accepted += sum(r.accepted for r in await self.state.ingest.submit(envs))

    async def connection(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        from borderwatch.interop.sapient import Deframer

        peer = w.get_extra_info("peername")
        self.connections += 1
        conn: dict[str, str | None] = {"node": certificate_node(w.get_extra_info("peercert"))}
        d = Deframer()
        try:
            while True:
                data = await r.read(READ_BYTES)
                if not data:
                    break
                batch: dict[str, list[dict[str, Any]]] = {}
                for msg in d.feed(data):
                    try:
                        reply = self.handle(msg, conn, batch)
                    except Exception:  # one bad message must not end the node's connection
                        log.exception("SAPIENT message from %s failed", peer)
                        self.state.metrics.reject(COUNTER_LABEL, "message: internal error")
                        continue
                    if reply:
                        w.write(reply)
                if batch:
                    await self.submit(batch)
                if d.broken:
                    self.state.metrics.reject(COUNTER_LABEL, d.broken)
                    log.warning("SAPIENT node %s: %s; closing the connection", peer, d.broken)
                    break
                await w.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            w.close()


def certificate_node(cert: dict[str, Any] | None) -> str | None:
    """The node id a client certificate names: its subject CN (or a ``urn:uuid:`` URI in its subjectAltName)
    when that is a UUID, else None (the connection is then bound by its first registration)."""
    if not cert:
        return None
    names = [v for rdn in cert.get("subject", ()) for k, v in rdn if k == "commonName"]
    names += [v.removeprefix("urn:uuid:") for k, v in cert.get("subjectAltName", ()) if k == "URI"]
    for n in names:
        try:
            return str(uuid.UUID(n))
        except ValueError:
            continue
    return None


def server_tls(cert: str, key: str | None, ca: str | None) -> ssl.SSLContext:
    """TLS for the listener: our certificate; with ``ca``, every node must show a certificate signed by it."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=ca)
    ctx.load_cert_chain(cert, key)
    if ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


async def run_server(
    host: str, port: int, state: AppState, reader: SapientReader, keys: dict[str, bytes],
    tls: ssl.SSLContext | None = None,
) -> None:  # fmt: skip
    """Listen until cancelled."""
    from borderwatch.store import reports as store_reports

    seqs = dict(await asyncio.to_thread(store_reports.last_seqs, state.store))
    srv = SapientServer(state, reader, keys, seqs)
    state.settings.extra.setdefault("sapient_servers", []).append(srv)
    server = await asyncio.start_server(srv.connection, host, port, ssl=tls)
    log.info("SAPIENT fusion node listening on %s:%d%s", host, port, " (TLS)" if tls else "")
    async with server:
        await server.serve_forever()


def hook(settings: Settings, opts: dict[str, object]) -> tuple[Settings, list[Background]]:
    """The ``--sapient`` extension of ``serve`` (see ``borderwatch.cli.serve``)."""
    from borderwatch.interop.sapient import SapientReader
    from borderwatch.interop.udp import enrol, parse_endpoint

    if not opts.get("sapient"):
        raise InputError("the SAPIENT TLS options need --sapient [HOST:]PORT", field="--sapient-cert")
    ep = parse_endpoint(str(opts["sapient"]), what="--sapient")
    if settings.sensors is None:
        raise InputError("needs --sensors sensors.json with sapient_node_id on the SAPIENT nodes", field="--sapient")
    sens: list[dict[str, Any]] = json.loads(settings.sensors.read_text(encoding="utf-8"))["sensors"]
    reader = SapientReader(sens)
    if not reader.nodes:
        raise InputError("no sensor in sensors.json has a sapient_node_id", source=str(settings.sensors))
    cert, key, ca = (opts.get(k) for k in ("sapient_cert", "sapient_key", "sapient_ca"))
    if (key or ca) and not cert:
        raise InputError(
            "--sapient-key/--sapient-ca need --sapient-cert (the listener's certificate)", field="--sapient"
        )
    try:
        tls = server_tls(str(cert), str(key) if key else None, str(ca) if ca else None) if cert else None
    except (OSError, ssl.SSLError) as e:
        raise InputError(f"TLS certificate, key or CA not usable ({e})", field="--sapient-cert") from None
    keys = enrol(settings.store, sorted(str(n.sensor["id"]) for n in reader.nodes.values()), time.time())

    async def source(url: str, state: AppState) -> None:
        await run_server(ep.host, ep.port, state, reader, keys, tls)

    return settings, [source]
