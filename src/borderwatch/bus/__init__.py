"""Messaging between ingest, engine and API behind one Protocol (:class:`Bus`).

The in-process implementation (:class:`InProcessBus`) is the embedded default; NATS JetStream comes with the
scale-out work behind the same Protocol.
"""

from borderwatch.bus.base import (
    SUBJECT_AUDIT,
    SUBJECT_DECISIONS,
    SUBJECT_DELTA,
    SUBJECT_REPORTS,
    SUBJECT_SNAPSHOT,
    Bus,
    BusClosed,
    Message,
    Subscription,
    matches,
    subject_token,
)
from borderwatch.bus.memory import InProcessBus

__all__ = [
    "SUBJECT_AUDIT",
    "SUBJECT_DECISIONS",
    "SUBJECT_DELTA",
    "SUBJECT_REPORTS",
    "SUBJECT_SNAPSHOT",
    "Bus",
    "BusClosed",
    "InProcessBus",
    "Message",
    "Subscription",
    "matches",
    "subject_token",
]
