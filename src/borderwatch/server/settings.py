"""Settings of the live service (SI units; times in seconds)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from borderwatch.server.clock import Clock, wall_clock

if TYPE_CHECKING:
    from borderwatch.server.live import EngineLike


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything ``create_app`` needs.

    ``engine_factory`` builds the engine (default: :func:`borderwatch.server.engine_factory.default_engine`
    from ``theatre`` and ``sensors``); ``clock`` is the time ingest checks send times against and the engine
    advances on (wall clock live, a :class:`~borderwatch.server.clock.ReplayClock` in replay).
    """

    store: str | Path
    theatre: str | None = None
    sensors: Path | None = None
    clock: Clock = wall_clock
    engine_factory: Callable[[Settings], EngineLike] | None = None
    # ingest
    max_skew_s: float = 30.0  # |t_sent - now| allowed
    max_report_age_s: float = 300.0  # a report's t may be this old (and at most max_skew_s in the future)
    max_body_bytes: int = 16 * 1024 * 1024
    max_line_bytes: int = 1024 * 1024
    max_reports_per_message: int = 5000
    max_report_bytes: int = 4096  # one report's JSON (the contract's reports are a few hundred bytes)
    key_cache_s: float = 5.0  # sensor keys are re-read at least this often (revocation delay across processes)
    # engine driver
    run_engine: bool = True
    emit_interval_s: float = 1.0
    # tracks move on the picture this often (engine time) between the emit times, where assessments, alerts and
    # recommendations are made; None: the picture changes only at emit times
    picture_interval_s: float | None = 0.05
    # engine steps between frame ends close the tracker's open frame, but search for new bearing fixes only once
    # per frame_s ("light"); False: reports wait for the frame's end (up to frame_s = 0.5 s more latency)
    track_flush: bool | Literal["light"] = "light"
    tick_s: float | None = None  # wall seconds between engine steps; default picture (or emit) interval / speed
    snapshot_interval_s: float = 1.0  # wall seconds between whole-picture snapshots on the bus (clients join on one)
    engine_lag_s: float = 0.0  # reports wait this long in the reorder buffer (room for reports in transit)
    rebuild_window_s: float = 120.0
    # the engine forgets a track this long after it was last seen (RunConfig.retain_s); assumption: twice the
    # tracker's stitch window (300 s), in which a dead track's id can still come back
    retain_s: float = 600.0  # on start, re-feed the store's reports of this window
    bus_maxsize: int = 4096
    max_buffered_reports: int = 200_000  # reorder buffer bound; beyond it the bus (and so ingest) waits
    delta_buffer: int = 20_000  # deltas kept for WebSocket resume
    client_queue: int = 5000  # deltas queued per WebSocket client before it is resynced with a snapshot
    # sensor health
    late_after_s: float = 10.0
    down_after_s: float = 60.0
    rate_window_s: float = 60.0
    # auth
    # scale-out (borderwatch.scale.roles): process role, JetStream bus, sectors
    role: str = "all"  # all | gateway | engine | api
    bus_url: str | None = None  # nats://host:4222 for JetStream; None: the in-process bus
    bus_namespace: str = ""
    sectors_file: Path | None = None
    sector: str | None = None
    token_ttl_s: float = 8 * 3600.0
    max_history_s: float = 24 * 3600.0
    # browser picture layers (issue 12): `serve --mobility DIR` (output of `borderwatch mobility corridors/plan`)
    # and `serve --tiles FILE` (an offline MBTiles or PMTiles base map)
    mobility: Path | None = None
    tiles: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
