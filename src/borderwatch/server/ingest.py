"""Signed sensor ingest: parse → sensor → signature → sequence → send time → reports → durable → bus.

A message (one JSON line over HTTP, one WebSocket frame) is a signed envelope::

    {"sensor": "ac-001", "seq": 17, "t_sent": 1767225600.25, "reports": [{...report contract...}], "sig": "<hex>"}

``sig`` is HMAC-SHA256, with the sensor's key, over the canonical JSON of the envelope without ``sig``
(:mod:`borderwatch.store.signing`). Checks run in this order and the first failure rejects the whole message
with a reason code (``malformed``, ``unknown_sensor``, ``revoked_sensor``, ``bad_signature``,
``replayed_seq``, ``send_time_skew``) and a detail; then each report is checked on its own (``bad_report``,
``sensor_mismatch``) and only the bad ones are dropped. Every rejection is counted per sensor (``_unknown``
for unregistered senders) and reason. Accepted reports are appended to the store, durably, before the reply
acknowledges them; then they are published on ``reports.<sensor>`` for the engine.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from borderwatch.bus import SUBJECT_REPORTS, Bus, subject_token
from borderwatch.server import storeio
from borderwatch.server.jsonutil import dumps
from borderwatch.server.metrics import UNKNOWN_SENSOR, Metrics
from borderwatch.server.settings import Settings

ENVELOPE_KEYS = frozenset({"sensor", "seq", "t_sent", "reports", "sig"})
MAX_SENSOR_ID = 128
MAX_SEQ = 2**63 - 1
MAX_REPORT_KEYS = 32
MESSAGE_REASONS = (
    "malformed",
    "unknown_sensor",
    "revoked_sensor",
    "bad_signature",
    "replayed_seq",
    "send_time_skew",
    "store_unavailable",
)
REPORT_REASONS = ("bad_report", "sensor_mismatch")

Checker = Callable[[dict[str, Any]], tuple[Any, str | None]]


class Reject(Exception):
    """A whole message rejected; ``sensor`` is set once the sender is known to be registered."""

    def __init__(self, reason: str, detail: str, *, sensor: str | None = None, seq: int | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.sensor = sensor
        self.seq = seq


@dataclass(slots=True)
class Result:
    """The reply to one message."""

    status: str  # accepted | partial | rejected
    sensor: str | None = None  # set when the sender is a registered sensor
    seq: int | None = None
    accepted: int = 0
    reason: str | None = None
    detail: str | None = None
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"status": self.status, "sensor": self.sensor, "seq": self.seq, "accepted": self.accepted}
        if self.reason is not None:
            d["reason"] = self.reason
            d["detail"] = self.detail
        if self.rejected:
            d["rejected"] = self.rejected
        return d


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def decode(raw: bytes | str) -> Any:
    """JSON without NaN/Infinity; any decoding failure is a :class:`Reject` ``malformed``."""
    try:
        return json.loads(raw, parse_constant=_no_constants)
    except RecursionError:
        raise Reject("malformed", "JSON nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise Reject("malformed", f"not valid JSON: {str(e)[:120]}") from None


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


def parse_envelope(obj: Any, *, max_reports: int) -> tuple[str, int, float, list[Any], str]:
    """The envelope's fields, or :class:`Reject` ``malformed`` naming the field."""
    if not isinstance(obj, dict):
        raise Reject("malformed", "message: not a JSON object")
    extra = set(obj) - ENVELOPE_KEYS
    if extra:
        raise Reject("malformed", f"{_short(sorted(extra)[0])}: unexpected field")
    sensor = obj.get("sensor")
    if not isinstance(sensor, str) or not sensor or len(sensor) > MAX_SENSOR_ID:
        raise Reject("malformed", f"sensor: must be a string of 1 to {MAX_SENSOR_ID} characters")
    seq = obj.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_SEQ:
        raise Reject("malformed", "seq: must be an integer in [0, 2^63)")
    t_sent = obj.get("t_sent")
    if isinstance(t_sent, bool) or not isinstance(t_sent, int | float) or not math.isfinite(t_sent):
        raise Reject("malformed", "t_sent: must be a finite number (UTC epoch s)")
    reports = obj.get("reports")
    if not isinstance(reports, list):
        raise Reject("malformed", "reports: must be a list")
    if len(reports) > max_reports:
        raise Reject("malformed", f"reports: more than {max_reports} in one message")
    sig = obj.get("sig")
    if not isinstance(sig, str) or len(sig) != 64 or any(c not in "0123456789abcdef" for c in sig):
        raise Reject("malformed", "sig: must be 64 lower-case hex digits (HMAC-SHA256)")
    return sensor, seq, float(t_sent), reports, sig


@dataclass(slots=True)
class _Pending:
    result: Result
    sensor: str
    seq: int
    t_sent: float
    reports: list[dict[str, Any]]
    parsed: list[Any]  # the checker's parsed form of each of ``reports``
    bodies: list[bytes]  # the JSON of each of ``reports`` (as stored)


class SensorHealth:
    """Last report time and recent rate per sensor (the ingest clock).

    Ingest records on the event loop while the sensors endpoint reads in FastAPI's thread pool: a lock keeps a
    reader from iterating a sensor's window while it is appended to ("deque mutated during iteration": a 500)."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self.last: dict[str, float] = {}
        self.count: dict[str, int] = {}
        self._recent: dict[str, deque[tuple[float, int]]] = {}
        self.interval: dict[str, float] = {}  # sensor -> the heartbeat interval it announced
        self._lock = threading.Lock()

    def record(self, sensor: str, n: int, t: float) -> None:
        with self._lock:
            self.last[sensor] = t
            self.count[sensor] = self.count.get(sensor, 0) + n
            q = self._recent.setdefault(sensor, deque())
            q.append((t, n))
            while q and q[0][0] < t - self.window_s:
                q.popleft()

    def expect(self, sensor: str, interval_s: float) -> None:
        """The sensor announced a heartbeat every ``interval_s`` (a SAPIENT node's status interval)."""
        with self._lock:
            self.interval[sensor] = interval_s

    def thresholds(self, sensor: str, late_s: float, down_s: float) -> tuple[float, float]:
        """Age limits of "up" and "late" for the sensor: the service's, widened for a sensor whose announced
        heartbeat is slower (late after two intervals, one heartbeat missed; down after six)."""
        iv = self.interval.get(sensor)
        if iv is None:
            return late_s, down_s
        return max(late_s, 2.0 * iv), max(down_s, 6.0 * iv)

    def rate(self, sensor: str, now: float) -> float:
        with self._lock:
            q = self._recent.get(sensor)
            if not q:
                return 0.0
            return sum(n for t, n in q if t >= now - self.window_s) / self.window_s


class Ingest:
    """The ingest path of one service instance (call from the event loop)."""

    def __init__(
        self, *, store: Any, bus: Bus, check: Checker, settings: Settings, metrics: Metrics, health: SensorHealth
    ) -> None:
        self.store = store
        self.bus = bus
        self.check = check
        self.settings = settings
        self.metrics = metrics
        self.health = health
        # every sensor's key versions, read in one query at most every key_cache_s (a revocation or rotation by
        # another process — the CLI — takes effect within that time; one by this process's admin API at once)
        self._keytab: dict[str, Any] = {}
        self._keytab_at = -math.inf
        self._seq: dict[str, int] = {}
        self._lock = asyncio.Lock()

    def forget_keys(self, sensor: str | None = None) -> None:
        """Drop cached keys (after an admin change in this process)."""
        if sensor is None:
            self._keytab_at = -math.inf
        else:
            self._keytab.pop(sensor, None)

    def _lookup(self, sensor: str, now: float) -> storeio.KeyLookup:
        mono = time.monotonic()
        if mono - self._keytab_at >= self.settings.key_cache_s:
            self._keytab = storeio.key_table(self.store)
            self._keytab_at = mono
        versions = self._keytab.get(sensor)
        if versions is None:
            # not in the table: enrolled since it was read (or dropped by forget_keys), or not a sensor at all;
            # read on its own, and not cached when unknown (a flood of invented ids must not grow memory)
            versions = storeio.key_versions(self.store, sensor)
            if not versions:
                return storeio.KeyLookup("unknown")
            self._keytab[sensor] = versions
        return storeio.lookup_in(versions, now)

    def _last_seq(self, sensor: str) -> int:
        if sensor not in self._seq:
            s = storeio.last_seq(self.store, sensor)
            self._seq[sensor] = -1 if s is None else s
        return self._seq[sensor]

    def _check_message(self, raw: Any, now: float, seqs: dict[str, int]) -> _Pending:
        obj = decode(raw) if isinstance(raw, bytes | str) else raw
        sensor, seq, t_sent, reports, sig = parse_envelope(obj, max_reports=self.settings.max_reports_per_message)
        look = self._lookup(sensor, now)
        if look.status == "unknown":
            raise Reject("unknown_sensor", f"sensor {_short(sensor)} is not registered")
        if look.status == "revoked":
            raise Reject("revoked_sensor", f"sensor {_short(sensor)} has no valid key (revoked)")
        if not storeio.verify(look, obj, sig):
            raise Reject(
                "bad_signature", "HMAC-SHA256 over the envelope does not match the sensor's key", sensor=sensor, seq=seq
            )
        last = seqs.get(sensor, self._last_seq(sensor))
        if seq <= last:
            raise Reject("replayed_seq", f"seq {seq} is not above the last accepted {last}", sensor=sensor, seq=seq)
        skew = t_sent - now
        if abs(skew) > self.settings.max_skew_s:
            raise Reject(
                "send_time_skew",
                f"t_sent is {skew:+.1f} s off the receiver clock (limit ±{self.settings.max_skew_s:g} s)",
                sensor=sensor,
                seq=seq,
            )
        seqs[sensor] = seq
        res = Result("accepted", sensor, seq)
        good: list[dict[str, Any]] = []
        parsed: list[Any] = []
        bodies: list[bytes] = []
        t_lo = now - self.settings.max_report_age_s
        t_hi = now + self.settings.max_skew_s
        for i, rep in enumerate(reports):
            reason, detail, obj, body = self._check_report(rep, sensor, t_lo, t_hi)
            if reason is None:
                good.append(rep)
                parsed.append(obj)
                bodies.append(body)
            else:
                res.rejected.append({"index": i, "reason": reason, "detail": detail})
        res.accepted = len(good)
        if res.rejected:
            res.status = "partial" if good else "rejected"
            if not good:
                res.reason, res.detail = "bad_report", "every report was rejected"
        return _Pending(res, sensor, seq, t_sent, good, parsed, bodies)

    def _check_report(self, rep: Any, sensor: str, t_lo: float, t_hi: float) -> tuple[str | None, str, Any, bytes]:
        if not isinstance(rep, dict):
            return "bad_report", "report: not a JSON object", None, b""
        if len(rep) > MAX_REPORT_KEYS:
            return "bad_report", f"report: more than {MAX_REPORT_KEYS} fields", None, b""
        raw = dumps(rep)  # also the stored body
        size = len(raw)
        if size > self.settings.max_report_bytes:
            return "bad_report", f"report: {size} bytes of JSON (limit {self.settings.max_report_bytes})", None, b""
        if "sensor" in rep and rep["sensor"] != sensor:
            return "sensor_mismatch", f"sensor: {_short(rep['sensor'])} is not the sender {_short(sensor)}", None, b""
        try:
            parsed, why = self.check(rep)
        except Exception as e:  # the engine's check must never take ingest down
            return "bad_report", f"report: check failed ({type(e).__name__})", None, b""
        if parsed is None:
            return "bad_report", str(why or "report: rejected")[:200], None, b""
        t = rep.get("t")
        if isinstance(t, int | float) and not t_lo <= t <= t_hi:
            return "bad_report", f"t: {t - t_hi + self.settings.max_skew_s:+.1f} s off the receiver clock", None, b""
        return None, "", parsed, raw

    async def submit(self, messages: Sequence[Any]) -> list[Result]:
        """Check, store (durably) and publish a batch of messages; one result per message, in order."""
        async with self._lock:
            now = self.settings.clock()
            t_ingest = time.time()
            seqs: dict[str, int] = {}
            results: list[Result] = []
            pending: list[_Pending] = []
            for raw in messages:
                try:
                    p = self._check_message(raw, now, seqs)
                except Reject as r:
                    results.append(Result("rejected", r.sensor, r.seq, reason=r.reason, detail=r.detail))
                    continue
                results.append(p.result)
                pending.append(p)
            rows = [storeio.report_row(p.sensor, p.seq, p.t_sent, now, b) for p in pending for b in p.bodies]
            touched: dict[str, tuple[float, int]] = {}
            for p in pending:
                if p.reports:
                    touched[p.sensor] = (now, touched.get(p.sensor, (now, 0))[1] + len(p.reports))
            try:
                ids = await asyncio.to_thread(storeio.append_reports, self.store, rows, touched) if rows else []
            except Exception as e:
                for p in pending:
                    p.result.status, p.result.accepted, p.result.reason = "rejected", 0, "store_unavailable"
                    p.result.detail = f"the store refused the write ({type(e).__name__}); resend"
                self._count(results)
                return results
            self._seq.update(seqs)
            self._count(results)
            k = 0
            for p in pending:
                n = len(p.reports)
                if not n:
                    continue
                self.health.record(p.sensor, n, now)
                payload = {
                    "sensor": p.sensor,
                    "seq": p.seq,
                    "t_ingest": now,
                    "wall_ingest": t_ingest,
                    "ids": ids[k : k + n],
                    "reports": p.reports,
                }
                # in-process, the engine driver takes the parsed reports as they are (see Bus.publish)
                local = (payload["ids"], t_ingest, p.parsed)
                k += n
                await self.bus.publish(f"{SUBJECT_REPORTS}.{subject_token(p.sensor)}", dumps(payload), local=local)
            return results

    def _count(self, results: list[Result]) -> None:
        m = self.metrics
        for r in results:
            label = r.sensor if r.sensor is not None else UNKNOWN_SENSOR
            if r.accepted:
                m.reports.labels(label).inc(r.accepted)
            if r.reason in MESSAGE_REASONS:
                m.messages.labels("rejected").inc()
                m.reject(label, r.reason or "malformed")
                continue
            m.messages.labels(r.status).inc()
            for rej in r.rejected:
                m.reject(label, rej["reason"])
