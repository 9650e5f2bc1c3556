"""What one running service holds (``app.state.bw``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from borderwatch.bus import Bus
from borderwatch.server.ingest import Ingest, SensorHealth
from borderwatch.server.live import LiveDriver
from borderwatch.server.metrics import Metrics
from borderwatch.server.settings import Settings
from borderwatch.server.view import PictureView


@dataclass(slots=True)
class AppState:
    settings: Settings
    store: Any
    bus: Bus
    metrics: Metrics
    ingest: Ingest
    view: PictureView
    health: SensorHealth
    live: LiveDriver | None = None
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)  # sensor id -> sensors.json entry
    friendlies: Any = None  # borderwatch.interop.cot.FriendlyBoard when `serve --cot-in` listens
