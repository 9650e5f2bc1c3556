"""In-process bus on asyncio: bounded per-subscription in-flight windows, back-pressure, explicit acks.

All methods must be called from one event loop (the server's). See :mod:`borderwatch.bus.base` for the
delivery contract.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from borderwatch.bus.base import BusClosed, Message, Overflow, matches

DEFAULT_MAXSIZE = 1024


@dataclass(slots=True, eq=False)
class _Msg:
    subject: str
    data: bytes
    seq: int
    _sub: _Sub | None = field(default=None, repr=False)
    local: Any = field(default=None, repr=False)  # the publisher's decoded payload (see Bus.publish)
    _acked: bool = False

    async def ack(self) -> None:
        self.ack_nowait()

    def ack_nowait(self) -> None:
        if not self._acked:
            self._acked = True
            if self._sub is not None:
                self._sub._release()


class _Sub:
    def __init__(self, bus: InProcessBus, prefix: str, maxsize: int, overflow: Overflow, auto_ack: bool, n: int):
        self._bus = bus
        self.prefix = prefix
        self.name = f"{prefix or '*'}#{n}"
        self.maxsize = maxsize
        self.overflow: Overflow = overflow
        self.auto_ack = auto_ack
        self._queue: deque[_Msg] = deque()
        self._inflight = 0
        self._dropped = 0
        self._lagged = False
        self._closed = False
        self._items = asyncio.Event()
        self._space = asyncio.Event()
        self._space.set()

    # -- bus side -------------------------------------------------------------------------------
    def _full(self) -> bool:
        return self._inflight >= self.maxsize

    def _put(self, subject: str, data: bytes, seq: int, local: Any = None) -> None:
        if self._closed:
            return
        if self._full():
            self._dropped += 1
            self._lagged = True
            return
        self._queue.append(_Msg(subject, data, seq, self, local=local))
        self._inflight += 1
        if self._full():
            self._space.clear()
        self._items.set()

    def _release(self) -> None:
        self._inflight -= 1
        if not self._full():
            self._space.set()

    # -- consumer side ----------------------------------------------------------------------------
    def _pop(self) -> _Msg:
        m = self._queue.popleft()
        if not self._queue:
            self._items.clear()
        if self.auto_ack:
            m.ack_nowait()
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
        self.close_nowait()

    def close_nowait(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.clear()
        self._inflight = 0
        self._items.set()  # wake a waiting consumer
        self._space.set()  # wake blocked publishers
        self._bus._forget(self)


class InProcessBus:
    """The embedded :class:`~borderwatch.bus.base.Bus`.

    ``maxsize`` is the default in-flight window per subscription (queued + unacknowledged messages).

    >>> import asyncio
    >>> async def demo():
    ...     bus = InProcessBus(maxsize=2)
    ...     sub = bus.subscribe("reports")
    ...     await bus.publish("reports.ac-001", b"{}")
    ...     await bus.publish("audit", b"x")  # no subscriber: delivered to nobody
    ...     m = await sub.next(timeout=1)
    ...     await m.ack()
    ...     return m.subject, m.seq, sub.depth
    >>> asyncio.run(demo())
    ('reports.ac-001', 1, 0)
    """

    def __init__(self, *, maxsize: int = DEFAULT_MAXSIZE) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be >= 1")
        self.maxsize = maxsize
        self._subs: list[_Sub] = []
        self._seq = 0
        self._n = 0
        self._closed = False
        self.published = 0

    def subscribe(
        self, prefix: str, *, maxsize: int | None = None, overflow: Overflow = "block", auto_ack: bool = False
    ) -> _Sub:
        if self._closed:
            raise BusClosed("bus closed")
        self._n += 1
        sub = _Sub(self, prefix, maxsize or self.maxsize, overflow, auto_ack, self._n)
        self._subs.append(sub)
        return sub

    def _forget(self, sub: _Sub) -> None:
        if sub in self._subs:
            self._subs.remove(sub)

    async def publish(self, subject: str, payload: bytes, *, local: Any = None) -> int:
        if self._closed:
            raise BusClosed("bus closed")
        while True:
            blocked = [s for s in self._subs if s.overflow == "block" and matches(s.prefix, subject) and s._full()]
            if not blocked:
                break
            await blocked[0]._space.wait()
            if self._closed:
                raise BusClosed("bus closed")
        self._seq += 1
        self.published += 1
        for s in list(self._subs):
            if matches(s.prefix, subject):
                s._put(subject, payload, self._seq, local)
        return self._seq

    def depths(self) -> dict[str, int]:
        return {s.name: s.depth for s in self._subs}

    async def close(self) -> None:
        self._closed = True
        for s in list(self._subs):
            s.close_nowait()
