"""The live engine driver: bus → engine → store + picture feed, on the wall clock (or a replay clock).

One asyncio task. It takes accepted reports from ``reports.*`` into a reorder buffer; every emit interval it
feeds the engine every buffered report up to ``clock() - engine_lag_s`` in time order, advances the engine
there, writes the step's deltas to the store's picture tables (one transaction per step), and publishes each
delta on ``picture.delta`` (numbered: ``epoch`` + ``seq``, so a client can resume) followed by the whole
picture on ``picture.snapshot``. Operator decisions and acknowledgements go through :meth:`LiveDriver.decide`
/ :meth:`LiveDriver.acknowledge`, which write the change and its audit entry in one transaction.

On start it rebuilds the engine from the store: every report ingested in the last ``rebuild_window_s`` is
re-fed (through the same reorder buffer) with the engine advanced along the way, without re-writing or
re-publishing those deltas; bus messages whose reports were already re-fed are skipped by id. An exception
while handling one message or one step is logged and counted (``borderwatch_engine_errors{stage}``) and the
loop goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
import math
import secrets
import time
from collections.abc import Sequence
from typing import Any, Protocol

from borderwatch.bus import SUBJECT_AUDIT, SUBJECT_DECISIONS, SUBJECT_DELTA, SUBJECT_REPORTS, SUBJECT_SNAPSHOT, Bus
from borderwatch.errors import InputError, NotFoundError
from borderwatch.server import storeio
from borderwatch.server.jsonutil import dumps, loads, plain
from borderwatch.server.metrics import Metrics
from borderwatch.server.settings import Settings

log = logging.getLogger("borderwatch.live")
REBUILD_CHUNK = 2000
SAVE_INTERVAL_S = 0.5  # wall seconds between writes of the engine's deltas to the store's picture tables


class EngineLike(Protocol):
    """What the driver needs of :class:`borderwatch.engine.Engine` (a stepper without I/O)."""

    @property
    def now(self) -> float: ...

    def check(self, report: dict[str, Any]) -> tuple[Any, str | None]: ...

    def feed(self, reports: Sequence[Any]) -> None: ...

    def advance(self, t: float) -> list[Any]: ...

    def decide(self, rec_id: str, *, approve: bool, who: str, reason: str | None, t: float) -> Any: ...

    def acknowledge(self, alert_id: str, *, who: str, t: float) -> Any: ...

    def picture(self) -> dict[str, Any]: ...


class ReorderBuffer:
    """Reports waiting to be fed in time order (a heap on report time; ties keep arrival order).

    Reports from many sensors arrive interleaved; the engine wants them in reception-time order (as a batch
    run reads them). Each step feeds everything up to ``clock() - engine_lag_s``; the buffer holds at most
    ``engine_lag_s`` of reports (ingest rejects reports from the future beyond ``max_skew_s``).
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Any]] = []
        self._n = 0

    def push(self, t: float, rep: Any) -> None:
        self._n += 1
        heapq.heappush(self._heap, (t, self._n, rep))

    def pop_until(self, t: float) -> list[Any]:
        out = []
        h = self._heap
        while h and h[0][0] <= t:
            out.append(heapq.heappop(h)[2])
        return out

    def __len__(self) -> int:
        return len(self._heap)


class Refused(Exception):
    """An operator action refused (window closed, already decided, unknown id, no reason); ``status`` for HTTP."""

    def __init__(self, reason: str, *, status: int = 409) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def _refusals() -> tuple[type[BaseException], ...]:
    try:
        from borderwatch.engine import DecisionRefused
    except ImportError:  # pragma: no cover - the engine ships with the service
        return ()
    return (DecisionRefused,)


def delta_dict(d: Any) -> dict[str, Any]:
    """A delta as a dict ``{t, kind, id, data}``; ``data`` is the engine's own JSON object, not copied (the wire
    encoder writes numpy values and non-finite floats; the store's writer gets a plain copy only if it refuses
    the record, see :meth:`LiveDriver._persist`)."""
    if isinstance(d, dict):
        return {"t": d["t"], "kind": d["kind"], "id": d["id"], "data": d.get("data", {})}
    return {"t": float(d.t), "kind": str(d.kind), "id": str(d.id), "data": d.data}


def plain_deltas(deltas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deltas with JSON-ready copies of their data (numpy scalars to numbers, non-finite floats to null)."""
    return [{**d, "data": plain(d["data"])} for d in deltas]


class LiveDriver:
    def __init__(self, *, engine: EngineLike, store: Any, bus: Bus, settings: Settings, metrics: Metrics) -> None:
        self.engine = engine
        self.store = store
        self.bus = bus
        self.settings = settings
        self.metrics = metrics
        self.epoch = secrets.token_hex(4)
        self.seq = 0
        self.rebuilt_max_id = 0
        self.rebuilt_reports = 0
        self.rebuild_s = 0.0
        self.steps = 0
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._sub: Any = None
        self._pending_wall: list[tuple[float, float]] = []  # (newest report t, wall time of ingest) per message
        self._buf = ReorderBuffer()
        self._stop = asyncio.Event()
        speed = getattr(settings.clock, "speed", 1.0)
        speed = speed if isinstance(speed, int | float) and speed > 0 else 1.0
        step_s = min(settings.emit_interval_s, settings.picture_interval_s or math.inf)
        self.tick_wall_s = settings.tick_s or max(0.02, step_s / speed)
        self._next_snapshot = 0.0  # monotonic time of the next periodic snapshot
        # step deltas not yet written: the picture tables are written about twice a second (one transaction),
        # not at every 50 ms step, by a writer task of their own, so that a step never waits for the store; an
        # operator action writes them first, in its own transaction. ``_write_lock`` keeps the writes in the
        # order their deltas were made (the writer's batch before an action's, an action's before the next).
        self._unsaved: list[dict[str, Any]] = []
        self._write_lock = asyncio.Lock()
        self._saved = asyncio.Event()  # set when deltas are waiting and the writer should wake
        self._writer: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self._sub = self.bus.subscribe(SUBJECT_REPORTS, maxsize=self.settings.bus_maxsize)
        try:
            await self.rebuild()
        except Exception:
            self.metrics.engine_errors.labels("rebuild").inc()
            log.exception("rebuild from the store failed; starting with an empty picture")
        await self._publish_snapshot()
        self._task = asyncio.create_task(self._run(), name="borderwatch-live")
        self._writer = asyncio.create_task(self._write_loop(), name="borderwatch-live-writer")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._writer is not None:  # woken, it ends after the write in hand (a cancel would orphan that write)
            self._saved.set()
            await self._writer
        async with self._lock:
            await self._persist(self._take_unsaved())
        if self._sub is not None:
            await self._sub.close()

    async def rebuild(self) -> None:
        w0 = time.monotonic()
        try:
            await self._rebuild()
        finally:
            self.rebuild_s = time.monotonic() - w0

    async def _rebuild(self) -> None:
        now = self.settings.clock()
        t0 = now - self.settings.rebuild_window_s
        rows = await asyncio.to_thread(storeio.reports_in_window, self.store, t0, float("inf"))
        buf = ReorderBuffer()
        for i, (rid, row) in enumerate(rows):
            self.rebuilt_max_id = max(self.rebuilt_max_id, rid)
            try:
                rep, _ = self.engine.check(json.loads(row.body))
            except Exception:
                rep = None
            if rep is not None:
                buf.push(rep.t, rep)
            if (i + 1) % REBUILD_CHUNK == 0:
                self._refeed(buf.pop_until(row.t_ingest - self.settings.engine_lag_s))
        self._refeed(buf.pop_until(now - self.settings.engine_lag_s))
        self._buf = buf  # reports not yet due stay buffered
        self._advance_quietly(now - self.settings.engine_lag_s)
        if rows:
            log.info("rebuilt the engine from %d stored reports (ids <= %d)", self.rebuilt_reports, self.rebuilt_max_id)

    def _refeed(self, reps: list[Any]) -> None:
        if not reps:
            return
        try:
            self.engine.feed(reps)
        except Exception:
            self.metrics.engine_errors.labels("rebuild").inc()
            log.exception("engine.feed failed during rebuild")
        self.rebuilt_reports += len(reps)
        self._advance_quietly(reps[-1].t)

    def _advance_quietly(self, t: float) -> None:
        try:
            self.engine.advance(t)
        except Exception:
            self.metrics.engine_errors.labels("rebuild").inc()
            log.exception("engine step failed during rebuild")

    # ------------------------------------------------------------------ loop
    async def _run(self) -> None:
        sub = self._sub
        next_tick = time.monotonic() + self.tick_wall_s
        while not self._stop.is_set():
            try:
                wait = max(0.0, next_tick - time.monotonic())
                if len(self._buf) >= self.settings.max_buffered_reports:
                    # the engine is behind: leave messages on the bus so that ingest feels the back-pressure
                    await asyncio.sleep(wait)
                    batch = []
                else:
                    m = await sub.next(timeout=wait)
                    batch = ([m] if m is not None else []) + sub.drain(1000)
                if batch:
                    async with self._lock:
                        for msg in batch:
                            self._take(msg)
                    for msg in batch:
                        await msg.ack()
                if time.monotonic() >= next_tick:
                    await self.step()
                    next_tick = max(next_tick + self.tick_wall_s, time.monotonic())
            except asyncio.CancelledError:
                raise
            except Exception:  # never stop the loop
                self.metrics.engine_errors.labels("loop").inc()
                log.exception("live loop error")
                await asyncio.sleep(0.01)

    def _take(self, msg: Any) -> None:
        local = getattr(msg, "local", None)
        if local is not None:  # in-process ingest: its parsed reports, checked by this engine's check already
            ids, wall, reps = local
            if ids and max(ids) <= self.rebuilt_max_id:
                return
            t_max = -math.inf
            for rep in reps:
                self._buf.push(rep.t, rep)
                t_max = max(t_max, rep.t)
            self._pending_wall.append((t_max, wall))
            return
        try:
            payload = loads(msg.data)
            ids = payload.get("ids") or []
            if ids and max(ids) <= self.rebuilt_max_id:
                return  # already re-fed from the store
            t_max = -math.inf
            for d in payload["reports"]:
                rep, _ = self.engine.check(d)
                if rep is not None:
                    self._buf.push(rep.t, rep)
                    t_max = max(t_max, rep.t)
            self._pending_wall.append((t_max, float(payload.get("wall_ingest", time.time()))))
        except Exception:
            self.metrics.engine_errors.labels("message").inc()
            log.exception("bad message on %s", getattr(msg, "subject", "?"))

    async def step(self) -> list[dict[str, Any]]:
        """Advance the engine to the clock, persist and publish the deltas."""
        async with self._lock:
            t = self.settings.clock() - self.settings.engine_lag_s
            # the engine works in a thread so that ingest and the API keep being served meanwhile; the lock
            # keeps decisions and acknowledgements out of the engine until the step is done
            raw = await asyncio.to_thread(self._engine_step, self._buf.pop_until(t), t)
            deltas = []
            for d in raw:
                try:
                    deltas.append(delta_dict(d))
                except Exception:
                    self.metrics.engine_errors.labels("delta").inc()
            self.steps += 1
            # a message's reports are in the picture once fed (report time <= t) and processed: the tracker
            # holds the reports of its open frame (frame_s) until the frame ends
            cut = min(t, getattr(self.engine, "unprocessed_from", math.inf) - 1e-9)
            walls = [w for tm, w in self._pending_wall if tm <= cut]
            self._pending_wall = [(tm, w) for tm, w in self._pending_wall if tm > cut]
            # publish first (the picture is what the latency is about), then write: the deltas are the engine's
            # own output, re-made from the durable reports after a crash
            await self._publish_deltas(deltas, wall=min(walls) if walls else None)
            done = time.time()
            if time.monotonic() >= self._next_snapshot:
                self._next_snapshot = time.monotonic() + self.settings.snapshot_interval_s
                await self._publish_snapshot()
            self._unsaved += deltas
            if deltas:
                self._saved.set()
            for w in walls:
                self.metrics.latency.observe(max(0.0, done - w))
            return deltas

    def _engine_step(self, due: list[Any], t: float) -> list[Any]:
        with self.metrics.step_seconds.time():
            return self._engine_step_inner(due, t)

    def _engine_step_inner(self, due: list[Any], t: float) -> list[Any]:
        try:
            if due:
                self.engine.feed(due)
        except Exception:
            self.metrics.engine_errors.labels("feed").inc()
            log.exception("engine.feed failed")
        try:
            return self.engine.advance(t)
        except Exception:
            self.metrics.engine_errors.labels("advance").inc()
            log.exception("engine.advance(%s) failed", t)
            return []

    def _take_unsaved(self) -> list[dict[str, Any]]:
        out, self._unsaved = self._unsaved, []
        return out

    async def _write_loop(self) -> None:
        """Write the steps' deltas to the picture tables at most every SAVE_INTERVAL_S, apart from the steps."""
        while not self._stop.is_set():
            try:
                await self._saved.wait()
                self._saved.clear()
                t0 = time.monotonic()
                await self._persist(self._take_unsaved())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), max(0.0, SAVE_INTERVAL_S - (time.monotonic() - t0)))
            except asyncio.CancelledError:
                raise
            except Exception:  # never stop the writer
                self.metrics.engine_errors.labels("persist").inc()
                log.exception("picture writer error")
                await asyncio.sleep(0.1)

    async def _persist(self, deltas: list[dict[str, Any]]) -> None:
        if not deltas:
            return
        try:
            await self._write(deltas)
        except Exception:
            self.metrics.engine_errors.labels("persist").inc()
            log.exception("writing %d deltas to the store failed", len(deltas))

    async def _write(self, deltas: list[dict[str, Any]], **kw: Any) -> dict[str, str]:
        """One transaction in a worker thread, in turn with the other writes (``_write_lock``)."""
        async with self._write_lock:
            return await asyncio.to_thread(self._persist_sync, deltas, **kw)

    def _persist_sync(self, deltas: list[dict[str, Any]], **kw: Any) -> dict[str, str]:
        """Write deltas as they are; if the store refuses a record (a numpy value or a non-finite float in the
        engine's JSON), write JSON-ready copies instead (the transaction was rolled back: nothing is twice)."""
        try:
            return storeio.persist_deltas(self.store, deltas, epoch=self.epoch, **kw)
        except (InputError, TypeError, ValueError):
            return storeio.persist_deltas(self.store, plain_deltas(deltas), epoch=self.epoch, **kw)

    async def _publish_deltas(self, deltas: list[dict[str, Any]], *, wall: float | None = None) -> None:
        """Each delta numbered (``epoch``, ``seq``); ``wall``: the ingest wall time of the oldest report the step
        took (how far the picture lags its input, measured by a client as its receive time minus ``wall``)."""
        for d in deltas:
            self.seq += 1
            msg = {"type": "delta", "epoch": self.epoch, "seq": self.seq, **d}
            if wall is not None:
                msg["wall"] = wall
            # in-process, the picture view reads the numbering from ``local`` instead of decoding each delta
            await self.bus.publish(SUBJECT_DELTA, dumps(msg), local=(self.epoch, self.seq))

    def _snapshot_body(self) -> bytes:
        pic = self.engine.picture()
        return dumps({"type": "snapshot", "epoch": self.epoch, "seq": self.seq, "t": self.engine.now, "picture": pic})

    async def _publish_snapshot(self) -> None:
        try:
            body = await asyncio.to_thread(self._snapshot_body)
        except Exception:
            self.metrics.engine_errors.labels("snapshot").inc()
            log.exception("engine.picture() failed")
            return
        await self.bus.publish(SUBJECT_SNAPSHOT, body)

    # ------------------------------------------------------------------ operator actions
    async def decide(self, rec_id: str, *, approve: bool, who: str, reason: str | None) -> tuple[dict[str, Any], int]:
        """Approve or reject; returns (the decision as stored, the delta seq that shows it). Raises :class:`Refused`.

        The decision, the engine's other changes up to now and the audit entry commit in one transaction.
        """
        if not approve and not (reason and reason.strip()):
            raise Refused("a rejection needs a reason", status=422)
        action = "decision.approve" if approve else "decision.reject"
        async with self._lock:
            t = self.settings.clock()
            try:
                self.engine.decide(rec_id, approve=approve, who=who, reason=reason, t=t)
            except _refusals() as e:
                raise Refused(str(e) or type(e).__name__) from None
            deltas = self._flush()
            note = storeio.AuditNote(who, action, f"recommendation:{rec_id}", {"reason": reason}, t)
            stored = await self._write(self._take_unsaved() + deltas, audit=note)
            await self._publish_deltas(deltas)
            await self._publish_snapshot()
            seq = self.seq
        dec = plain(next((d["data"] for d in deltas if d["kind"] == "decision"), {"recommendation": rec_id}))
        dec = {**dec, "stored_id": stored.get(str(dec.get("id")), dec.get("id"))}
        await self.bus.publish(SUBJECT_DECISIONS, dumps(dec))
        await self.bus.publish(SUBJECT_AUDIT, dumps({"actor": who, "action": action, "subject": rec_id, "t": t}))
        return dec, seq

    async def acknowledge(self, alert_id: str, *, who: str) -> tuple[dict[str, Any], int]:
        """Acknowledge an alert (the acknowledgement and its audit entry in one transaction)."""
        async with self._lock:
            t = self.settings.clock()
            try:
                al = self.engine.acknowledge(alert_id, who=who, t=t)
            except NotFoundError as e:
                raise Refused(str(e), status=404) from None
            except _refusals() as e:
                raise Refused(str(e)) from None
            deltas = self._flush()
            note = storeio.AuditNote(who, "alert.acknowledge", f"alert:{alert_id}", {}, t)
            alert = plain(al)
            await self._write(self._take_unsaved() + deltas, acks=[(alert_id, who, t, alert)], audit=note)
            await self._publish_deltas(deltas)
            await self._publish_snapshot()
            seq = self.seq
        await self.bus.publish(
            SUBJECT_AUDIT, dumps({"actor": who, "action": "alert.acknowledge", "subject": alert_id, "t": t})
        )
        return {"alert": alert_id, "who": who, "t": t}, seq

    def _flush(self) -> list[dict[str, Any]]:
        """The engine's changes so far (its clock does not move)."""
        return [delta_dict(d) for d in self.engine.advance(self.engine.now)]
