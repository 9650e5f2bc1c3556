"""The API's view of the picture, built only from the bus (``picture.*``), so the API could run apart from the engine.

It keeps the newest snapshot, the last ``delta_buffer`` deltas (for WebSocket resume) and a bounded queue per
WebSocket client; a client whose queue fills is resynchronised with a fresh snapshot instead of growing memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from typing import Any

from borderwatch.bus import SUBJECT_DELTA, SUBJECT_SNAPSHOT, Bus
from borderwatch.server.jsonutil import loads

log = logging.getLogger("borderwatch.view")


class ClientFeed:
    """Deltas (raw JSON bytes) queued for one WebSocket client."""

    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue(maxsize)
        self.resync = asyncio.Event()

    def push(self, seq: int, body: bytes) -> None:
        try:
            self.queue.put_nowait((seq, body))
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.resync.set()


class PictureView:
    def __init__(self, bus: Bus, *, delta_buffer: int, client_queue: int) -> None:
        self.bus = bus
        self.client_queue = client_queue
        self.epoch = ""
        self.seq = 0  # newest delta seq seen
        self.snapshot: dict[str, Any] = {"type": "snapshot", "epoch": "", "seq": 0, "t": None, "picture": {}}
        self.snapshot_raw = json.dumps(self.snapshot).encode()
        self.recent: deque[tuple[int, bytes]] = deque(maxlen=delta_buffer)
        self.clients: set[ClientFeed] = set()
        self._sub = bus.subscribe("picture", maxsize=max(delta_buffer, 1024), overflow="drop", auto_ack=True)
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="borderwatch-view")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._sub.close()

    @property
    def picture(self) -> dict[str, Any]:
        pic = self.snapshot.get("picture")
        return pic if isinstance(pic, dict) else {}

    async def _run(self) -> None:
        async for msg in self._sub:
            try:
                self._apply(msg.subject, msg.data, getattr(msg, "local", None))
            except Exception:
                log.exception("bad picture message")
            async with self._changed:
                self._changed.notify_all()

    def _apply(self, subject: str, data: bytes, local: Any = None) -> None:
        if subject == SUBJECT_SNAPSHOT:
            snap = loads(data)
            sseq = int(snap.get("seq", 0))
            if snap.get("epoch") != self.epoch:
                self.epoch = snap.get("epoch", "")
                self.recent.clear()
                self.seq = sseq
            self.snapshot = snap
            self.snapshot_raw = data
            self.seq = max(self.seq, sseq)
        elif subject == SUBJECT_DELTA:
            if isinstance(local, tuple):  # in-process: the publisher's (epoch, seq), see LiveDriver._publish_deltas
                epoch, seq = str(local[0]), int(local[1])
            else:
                head = loads(data)
                epoch, seq = str(head.get("epoch", "")), int(head["seq"])
            if epoch != self.epoch:
                self.epoch = epoch
                self.recent.clear()
            self.seq = seq
            self.recent.append((seq, data))
            for c in list(self.clients):
                c.push(seq, data)

    async def caught_up(self, seq: int, timeout: float = 2.0) -> bool:
        """Wait until a snapshot at least as new as delta ``seq`` has arrived."""

        def ready() -> bool:
            return int(self.snapshot.get("seq", 0)) >= seq

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(ready), timeout)
            except TimeoutError:
                return False
        return True

    def attach(self) -> ClientFeed:
        c = ClientFeed(self.client_queue)
        self.clients.add(c)
        return c

    def detach(self, c: ClientFeed) -> None:
        self.clients.discard(c)

    def since(self, epoch: str, after: int) -> list[tuple[int, bytes]] | None:
        """The deltas after ``after`` of this epoch if all are still buffered, else None (send a snapshot)."""
        if epoch != self.epoch or after > self.seq:
            return None
        if after == self.seq:
            return []
        if not self.recent or self.recent[0][0] > after + 1:
            return None
        return [(s, b) for s, b in self.recent if s > after]

    def depth(self) -> int:
        return self._sub.depth
