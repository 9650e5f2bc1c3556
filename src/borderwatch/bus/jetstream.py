"""NATS JetStream behind the :class:`~borderwatch.bus.base.Bus` Protocol (the scale-out bus).

Four streams (names and retention in :data:`STREAMS`; the reasons are in docs/architecture.md, "Scale-out"):

* ``REPORTS`` — ``reports.<sensor>``: limits retention (several sector engines read the same reports, each
  through its own durable consumer), file storage, 24 h, 2 min duplicate window.
* ``PICTURE`` — ``picture.delta[.<sector>]`` and ``picture.snapshot[.<sector>]``: limits, 1 h; a new API
  server starts from the last message of every subject (``LAST_PER_SUBJECT``), so it has each sector's
  newest snapshot at once.
* ``DECISIONS`` — ``decisions``: limits, 30 days (the store is the record; the stream is for consumers).
* ``AUDIT`` — ``audit``: limits, 30 days.

Publishing waits for JetStream's PubAck, so :meth:`JetStreamBus.publish` returns only once the stream has
the message (ingest replies to the sensor after that). Each message carries ``Nats-Msg-Id`` = a hash of its
subject and payload, so a publish retried after a lost PubAck is stored once. While the server is away (a
restart) ``publish`` retries for up to ``publish_timeout_s`` and then raises :class:`BusUnavailable`.

Subscriptions:

* ``auto_ack=False`` (the engine's ``reports``): a durable pull consumer named ``<durable>-<prefix>``,
  explicit acks, ``ack_wait`` 30 s, ``max_ack_pending`` = the subscription's window; a restarted (or other)
  process with the same ``durable`` name continues from the consumer's ack floor and gets every
  unacknowledged message again (consumers must tolerate duplicates; reports carry store ids).
* ``auto_ack=True`` (fan-out: the API's picture view): an ordered ephemeral push consumer
  (``LAST_PER_SUBJECT``), bounded locally; ``overflow="drop"`` drops and marks the subscription lagged.

``namespace`` prefixes every wire subject and stream name (tests and several deployments on one server);
messages are delivered with the namespace stripped, so code sees the subjects of :mod:`borderwatch.bus.base`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from borderwatch.bus.base import BusClosed, Message, Overflow, matches

log = logging.getLogger("borderwatch.bus.jetstream")

DEFAULT_URL = "nats://127.0.0.1:4222"
DEFAULT_MAXSIZE = 1024
ACK_WAIT_S = 30.0
FETCH_BATCH = 512


class BusUnavailable(RuntimeError):
    """JetStream did not acknowledge a publish within the timeout (server down, stream missing)."""


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """One stream: its name, subjects (without namespace), retention age and duplicate window (s)."""

    name: str
    root: str  # the stream holds ``<root>`` and ``<root>.>`` (on the wire: ``<ns>.<root>.>``)
    max_age_s: float
    duplicate_window_s: float = 120.0
    max_bytes: int = -1


STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec("REPORTS", "reports", 24 * 3600.0, 120.0),
    StreamSpec("PICTURE", "picture", 3600.0),
    StreamSpec("DECISIONS", "decisions", 30 * 86400.0),
    StreamSpec("AUDIT", "audit", 30 * 86400.0),
)


def _token(prefix: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in prefix) or "all"


@dataclass(slots=True, eq=False)
class _JsMsg:
    subject: str
    data: bytes
    seq: int
    _raw: Any
    _sub: _JsSub
    _acked: bool = False

    async def ack(self) -> None:
        if self._acked:
            return
        self._acked = True
        self._sub._inflight -= 1
        self._sub._space.set()
        if self._raw is not None and not self._sub.auto_ack:
            with contextlib.suppress(Exception):  # a lost ack means a redelivery, which consumers tolerate
                await self._raw.ack()


class _JsSub:
    """A subscription: a local queue fed by a JetStream consumer (pull for durable, ordered push for fan-out)."""

    def __init__(self, bus: JetStreamBus, prefix: str, maxsize: int, overflow: Overflow, auto_ack: bool, n: int):
        self._bus = bus
        self.prefix = prefix
        self.name = f"{prefix or '*'}#{n}"
        self.maxsize = maxsize
        self.overflow: Overflow = overflow
        self.auto_ack = auto_ack
        self._queue: deque[_JsMsg] = deque()
        self._inflight = 0
        self._dropped = 0
        self._lagged = False
        self._closed = False
        self._items = asyncio.Event()
        self._space = asyncio.Event()
        self._space.set()
        self._task: asyncio.Task[None] = asyncio.get_running_loop().create_task(self._feed(), name=f"js-{self.name}")
        self.ready = asyncio.Event()

    # -- feeding ----------------------------------------------------------------------------------
    def _push(self, raw: Any) -> None:
        subject = self._bus._strip(raw.subject)
        if not matches(self.prefix, subject):
            if not self.auto_ack:
                self._bus._spawn(raw.ack())
            return
        if self.auto_ack and self._inflight >= self.maxsize:
            self._dropped += 1
            self._lagged = True
            return
        seq = int(raw.metadata.sequence.stream) if raw.metadata is not None else 0
        self._queue.append(_JsMsg(subject, raw.data, seq, raw, self))
        self._inflight += 1
        if self._inflight >= self.maxsize:
            self._space.clear()
        self._items.set()

    async def _feed(self) -> None:
        try:
            if self.auto_ack:
                await self._feed_push()
            else:
                await self._feed_pull()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("subscription %s stopped", self.name)

    def _streams_for(self) -> list[StreamSpec]:
        """The streams whose subjects this prefix can match."""
        p = self.prefix
        return [s for s in self._bus.streams if not p or matches(p, s.root) or matches(s.root, p)]

    def _filter_for(self, spec: StreamSpec) -> str:
        """The consumer's wire filter on ``spec``: the prefix when it lies inside the stream, else the stream."""
        p = self.prefix
        if p and matches(spec.root, p):
            return f"{self._bus._wire_root(p)}.>"
        return f"{self._bus._wire_root(spec.root)}.>"

    async def _feed_pull(self) -> None:
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        specs = self._streams_for()
        if len(specs) != 1:
            raise ValueError(f"a durable subscription must cover one stream; {self.prefix!r} covers {len(specs)}")
        spec = specs[0]
        stream = self._bus._stream_name(spec)
        durable = f"{self._bus.durable}-{_token(self.prefix)}"
        psub = None
        while not self._closed:
            try:
                if psub is None:
                    cfg = ConsumerConfig(
                        durable_name=durable,
                        ack_policy=AckPolicy.EXPLICIT,
                        ack_wait=self._bus.ack_wait_s,
                        max_ack_pending=self.maxsize,
                        deliver_policy=DeliverPolicy.NEW if self._bus.start_new else DeliverPolicy.ALL,
                        filter_subject=self._filter_for(spec),
                    )
                    psub = await self._bus.js.pull_subscribe(
                        cfg.filter_subject or "", durable=durable, stream=stream, config=cfg
                    )
                    self.ready.set()
                room = self.maxsize - self._inflight
                if room <= 0:
                    self._space.clear()
                    await self._space.wait()
                    continue
                try:
                    msgs = await psub.fetch(min(room, FETCH_BATCH), timeout=1.0)
                except Exception as e:  # nats TimeoutError when nothing is waiting
                    if type(e).__name__ == "TimeoutError":
                        continue
                    raise
                for raw in msgs:
                    self._push(raw)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("pull consumer %s: %s; retrying", durable, type(e).__name__)
                await asyncio.sleep(0.5)
                if not self._bus.nc.is_connected:
                    psub = None

    async def _feed_push(self) -> None:
        from nats.js.api import DeliverPolicy

        subs = []
        for spec in self._streams_for():

            async def cb(raw: Any) -> None:
                self._push(raw)

            subs.append(
                await self._bus.js.subscribe(
                    self._filter_for(spec),
                    stream=self._bus._stream_name(spec),
                    cb=cb,
                    ordered_consumer=True,
                    deliver_policy=DeliverPolicy.LAST_PER_SUBJECT,
                    idle_heartbeat=2.0,
                    flow_control=True,
                )
            )
        self.ready.set()
        try:
            while not self._closed:
                await asyncio.sleep(3600)
        finally:
            for s in subs:
                with contextlib.suppress(Exception):
                    await s.unsubscribe()

    # -- consumer side ----------------------------------------------------------------------------
    def _pop(self) -> _JsMsg:
        m = self._queue.popleft()
        if not self._queue:
            self._items.clear()
        if self.auto_ack:
            m._acked = True
            self._inflight -= 1
            self._space.set()
        return m

    async def next(self, timeout: float | None = None) -> Message | None:
        while not self._queue:
            if self._closed:
                return None
            try:
                await asyncio.wait_for(self._items.wait(), timeout)
            except TimeoutError:
                return None
        return self._pop()

    def drain(self, limit: int) -> list[Message]:
        out: list[Message] = []
        while self._queue and len(out) < limit:
            out.append(self._pop())
        return out

    def __aiter__(self) -> AsyncIterator[Message]:
        return self

    async def __anext__(self) -> Message:
        m = await self.next()
        if m is None:
            raise StopAsyncIteration
        return m

    @property
    def depth(self) -> int:
        return self._inflight

    @property
    def lagged(self) -> bool:
        return self._lagged

    @property
    def dropped(self) -> int:
        return self._dropped

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.clear()
        self._inflight = 0
        self._items.set()
        self._space.set()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        self._bus._forget(self)


async def _reachable(url: str, timeout_s: float) -> None:
    from urllib.parse import urlparse

    u = urlparse(url)
    _, w = await asyncio.wait_for(asyncio.open_connection(u.hostname or "127.0.0.1", u.port or 4222), timeout_s)
    w.close()
    with contextlib.suppress(Exception):
        await w.wait_closed()


class JetStreamBus:
    """The scale-out :class:`~borderwatch.bus.base.Bus`; make one with :meth:`connect`.

    ``durable`` names this process's role in durable consumer names (``engine-east``): processes with the same
    name share the consumer's position (a replacement engine continues where the dead one stopped).
    ``start_new``: a durable consumer created for the first time starts at new messages instead of the
    stream's first (the engine rebuilds its recent past from the store).
    """

    def __init__(
        self,
        nc: Any,
        *,
        namespace: str = "",
        durable: str = "bw",
        maxsize: int = DEFAULT_MAXSIZE,
        streams: tuple[StreamSpec, ...] = STREAMS,
        publish_timeout_s: float = 10.0,
        start_new: bool = True,
        ack_wait_s: float = ACK_WAIT_S,
    ) -> None:
        self.nc = nc
        self.ack_wait_s = ack_wait_s
        self.js = nc.jetstream(timeout=5.0)
        self.namespace = namespace
        self.durable = _token(durable)
        self.maxsize = maxsize
        self.streams = streams
        self.publish_timeout_s = publish_timeout_s
        self.start_new = start_new
        self.published = 0
        self._subs: list[_JsSub] = []
        self._n = 0
        self._closed = False
        self._bg: set[asyncio.Task[Any]] = set()

    @classmethod
    async def connect(
        cls,
        url: str = DEFAULT_URL,
        *,
        namespace: str = "",
        durable: str = "bw",
        maxsize: int = DEFAULT_MAXSIZE,
        streams: tuple[StreamSpec, ...] = STREAMS,
        publish_timeout_s: float = 10.0,
        start_new: bool = True,
        ack_wait_s: float = ACK_WAIT_S,
        connect_timeout_s: float = 5.0,
    ) -> JetStreamBus:
        """Connect (reconnecting for ever after the first success) and create or update the streams."""
        import nats

        try:
            await _reachable(url, connect_timeout_s)  # nats-py retries a failed first connect for ever
            nc = await nats.connect(
                servers=[url],
                connect_timeout=connect_timeout_s,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.25,
                name=f"borderwatch-{durable}",
            )
        except Exception as e:
            raise BusUnavailable(f"cannot connect to NATS at {url}: {e}") from None
        bus = cls(
            nc,
            namespace=namespace,
            durable=durable,
            maxsize=maxsize,
            streams=streams,
            publish_timeout_s=publish_timeout_s,
            start_new=start_new,
            ack_wait_s=ack_wait_s,
        )
        await bus.ensure_streams()
        return bus

    # -- naming -----------------------------------------------------------------------------------
    def _wire_root(self, root: str) -> str:
        return f"{self.namespace}.{root}" if self.namespace else root

    def _wire(self, subject: str) -> str:
        """The wire subject: namespaced, with the token ``_`` appended, so that a prefix ``P`` is the NATS filter
        ``P.>`` exactly (it matches ``P._`` and ``P.x._``, as :func:`matches` does), on NATS 2.9 too."""
        return f"{self._wire_root(subject)}._"

    def _strip(self, wire: str) -> str:
        ns = self.namespace
        s = wire[len(ns) + 1 :] if ns and wire.startswith(ns + ".") else wire
        return s.removesuffix("._")

    def _stream_name(self, spec: StreamSpec) -> str:
        return f"{_token(self.namespace).upper()}_{spec.name}" if self.namespace else f"BW_{spec.name}"

    async def ensure_streams(self) -> None:
        from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

        for spec in self.streams:
            cfg = StreamConfig(
                name=self._stream_name(spec),
                subjects=[f"{self._wire_root(spec.root)}.>"],
                retention=RetentionPolicy.LIMITS,
                storage=StorageType.FILE,
                discard=DiscardPolicy.OLD,
                max_age=spec.max_age_s,
                max_bytes=spec.max_bytes,
                duplicate_window=spec.duplicate_window_s,
            )
            try:
                await self.js.add_stream(cfg)
            except Exception as e:
                if "already in use" not in str(e) and "exists" not in str(e):
                    raise
                await self.js.update_stream(cfg)

    async def delete_streams(self) -> None:
        """Remove this namespace's streams (tests)."""
        for spec in self.streams:
            with contextlib.suppress(Exception):
                await self.js.delete_stream(self._stream_name(spec))

    # -- Bus --------------------------------------------------------------------------------------
    async def publish(self, subject: str, payload: bytes, *, local: Any = None) -> int:
        """Publish and wait for the PubAck; returns the stream sequence. Retries while the server is away."""
        if self._closed:
            raise BusClosed("bus closed")
        msg_id = hashlib.blake2b(subject.encode() + b"\0" + payload, digest_size=16).hexdigest()
        wire = self._wire(subject)
        deadline = time.monotonic() + self.publish_timeout_s
        delay = 0.05
        while True:
            try:
                ack = await self.js.publish(wire, payload, headers={"Nats-Msg-Id": msg_id}, timeout=2.0)
                self.published += 1
                return int(ack.seq)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                if self._closed:
                    raise BusClosed("bus closed") from None
                if time.monotonic() + delay > deadline:
                    raise BusUnavailable(f"JetStream did not acknowledge {subject}: {type(e).__name__} {e}") from None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.5)

    def subscribe(
        self, prefix: str, *, maxsize: int | None = None, overflow: Overflow = "block", auto_ack: bool = False
    ) -> _JsSub:
        if self._closed:
            raise BusClosed("bus closed")
        self._n += 1
        sub = _JsSub(self, prefix, maxsize or self.maxsize, overflow, auto_ack or overflow == "drop", self._n)
        self._subs.append(sub)
        return sub

    def _forget(self, sub: _JsSub) -> None:
        if sub in self._subs:
            self._subs.remove(sub)

    def _spawn(self, aw: Any) -> None:
        t = asyncio.get_running_loop().create_task(aw)
        self._bg.add(t)
        t.add_done_callback(self._bg.discard)

    def depths(self) -> dict[str, int]:
        return {s.name: s.depth for s in self._subs}

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for s in list(self._subs):
            await s.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.nc.flush(), 2.0)  # acks on their way (publishes waited for their PubAck)
        with contextlib.suppress(Exception):
            await self.nc.close()
