"""Prometheus metrics of one app instance (own registry, so several apps can live in one process)."""

from __future__ import annotations

from collections import Counter as _Counter
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

UNKNOWN_SENSOR = "_unknown"  # label for senders that are not registered (bounded label cardinality)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Depths(Collector):
    def __init__(self, source: Callable[[], dict[str, int]]) -> None:
        self._source = source

    def collect(self) -> Iterator[GaugeMetricFamily]:
        g = GaugeMetricFamily(
            "borderwatch_queue_depth", "Messages queued or unacknowledged per bus subscription", labels=["queue"]
        )
        for name, depth in sorted(self._source().items()):
            g.add_metric([name], depth)
        yield g


class Metrics:
    """The service's counters; ``rejections`` mirrors the rejection counter for JSON readers (bench, API)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.reports = Counter("borderwatch_reports", "Reports accepted, by sensor", ["sensor"], registry=r)
        self.messages = Counter("borderwatch_ingest_messages", "Ingest messages, by result", ["result"], registry=r)
        self.rejected = Counter(
            "borderwatch_rejections",
            "Rejected messages or reports, by sensor and reason",
            ["sensor", "reason"],
            registry=r,
        )
        self.latency = Histogram(
            "borderwatch_ingest_to_picture_seconds",
            "Wall time from a report's ingest to the picture delta that includes it",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.step_seconds = Histogram(
            "borderwatch_engine_step_seconds",
            "Wall time of one engine step (feed + advance)",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.engine_errors = Counter(
            "borderwatch_engine_errors", "Errors in the live driver, by stage", ["stage"], registry=r
        )
        self.clients = Gauge("borderwatch_picture_clients", "WebSocket picture clients connected", registry=r)
        self.rejections: _Counter[tuple[str, str]] = _Counter()

    def watch_depths(self, source: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_Depths(source))

    def reject(self, sensor: str, reason: str, n: int = 1) -> None:
        self.rejected.labels(sensor, reason).inc(n)
        self.rejections[(sensor, reason)] += n

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
