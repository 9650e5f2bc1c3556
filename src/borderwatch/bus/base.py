"""The message bus between ingest, engine and API: one Protocol, several implementations.

Subjects (dot-separated tokens, NATS style):

* ``reports.<sensor>``: reports accepted and made durable by ingest (payload: JSON, see
  :mod:`borderwatch.server.ingest`); consumed by the live engine driver.
* ``picture.delta``: one engine delta each (``{"seq", "t", "kind", "id", "data"}``); ``picture.snapshot``: the
  whole picture after an engine step (``{"seq", "t", "picture"}``, ``seq`` = last delta included).
* ``decisions``: operator decisions as recorded; ``audit``: audit entries as written.

Delivery and acknowledgement (the contract every implementation keeps):

* A message published on ``subject`` is delivered to every open subscription whose prefix matches
  (``subject == prefix`` or ``subject.startswith(prefix + ".")``; the empty prefix matches everything).
* Within one subscription messages arrive in publication order.
* A subscriber acknowledges a message with ``await msg.ack()`` once it has processed it. A message counts
  against its subscription's capacity from publication until it is acknowledged, so an unacknowledged backlog
  slows publishers down (back-pressure) instead of growing memory. Subscriptions opened with
  ``auto_ack=True`` acknowledge each message as it is handed out (fan-out consumers that can resync).
* Overflow policy per subscription: ``"block"`` (default) makes ``publish`` wait until the slowest matching
  subscription has room; ``"drop"`` discards the message for that subscription only, counts it in
  ``dropped`` and marks the subscription ``lagged`` (the consumer must resync, e.g. from a snapshot).
* Durability is not the bus's job in the embedded setup: ingest writes reports to the store *before*
  publishing, and the engine driver rebuilds from the store after a restart. The in-process bus therefore
  loses unacknowledged messages when the process dies; JetStream (scale-out) redelivers them after its ack
  wait, so consumers must tolerate duplicates (reports carry store ids for that).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal, Protocol, runtime_checkable

Overflow = Literal["block", "drop"]

SUBJECT_REPORTS = "reports"
SUBJECT_DELTA = "picture.delta"
SUBJECT_SNAPSHOT = "picture.snapshot"
SUBJECT_DECISIONS = "decisions"
SUBJECT_AUDIT = "audit"


class BusClosed(RuntimeError):
    """Raised by ``publish`` after the bus was closed."""


def subject_token(name: str) -> str:
    """A sensor id as one subject token (NATS forbids ``.``, ``*``, ``>`` and whitespace).

    >>> subject_token("ac-001")
    'ac-001'
    >>> subject_token("radar 1.a*")
    'radar_1_a_'
    """
    return "".join(c if (c.isascii() and (c.isalnum() or c in "-_")) else "_" for c in name) or "_"


def matches(prefix: str, subject: str) -> bool:
    """Whether ``subject`` falls under ``prefix`` (token-wise).

    >>> matches("reports", "reports.ac-001"), matches("reports", "reportsx"), matches("", "audit")
    (True, False, True)
    """
    return not prefix or subject == prefix or subject.startswith(prefix + ".")


@runtime_checkable
class Message(Protocol):
    """One delivered message."""

    @property
    def subject(self) -> str: ...

    @property
    def data(self) -> bytes: ...

    @property
    def seq(self) -> int:
        """Bus-wide publication sequence number (JetStream: the stream sequence)."""
        ...

    async def ack(self) -> None:
        """Mark the message processed (idempotent)."""
        ...


class Subscription(Protocol):
    """An open subscription: an async iterator of messages; ``close`` ends the iteration."""

    def __aiter__(self) -> AsyncIterator[Message]: ...

    async def __anext__(self) -> Message: ...

    async def next(self, timeout: float | None = None) -> Message | None:
        """The next message, or ``None`` after ``timeout`` seconds (or when closed)."""
        ...

    def drain(self, limit: int) -> list[Message]:
        """Up to ``limit`` messages that are already waiting, without waiting."""
        ...

    @property
    def depth(self) -> int:
        """Messages published to this subscription and not yet acknowledged."""
        ...

    @property
    def lagged(self) -> bool: ...

    @property
    def dropped(self) -> int: ...

    async def close(self) -> None: ...


class Bus(Protocol):
    """Publish/subscribe with acknowledgements and bounded in-flight messages per subscription."""

    async def publish(self, subject: str, payload: bytes, *, local: Any = None) -> int:
        """Publish; returns the message's sequence number. Waits while a ``block`` subscriber is full.

        ``local``: the payload already decoded by the publisher (e.g. ingest's parsed reports). An in-process
        bus hands it to its subscribers as the message's ``local`` attribute so that they need not decode and
        check the bytes again; a bus between processes ignores it (its messages have no ``local``)."""
        ...

    def subscribe(
        self, prefix: str, *, maxsize: int | None = None, overflow: Overflow = "block", auto_ack: bool = False
    ) -> Subscription: ...

    def depths(self) -> dict[str, int]:
        """Unacknowledged messages per subscription (name = prefix#n), for metrics."""
        ...

    async def close(self) -> None: ...
