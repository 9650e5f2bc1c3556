"""The process roles of ``borderwatch serve --role gateway|engine|api|all`` (what ``create_app`` builds).

* ``all`` (default): ingest, one engine and the API in one process, on the in-process bus unless ``--bus``.
* ``gateway``: signed ingest only — store the reports, publish them on JetStream, answer the sensor after the
  PubAck. No engine, no picture.
* ``engine``: one sector engine (``--sector``): a durable JetStream consumer ``engine-<sector>`` on ``reports``,
  the one engine on the sector's sensors, deltas and snapshots on ``picture.*.<sector>``; it also follows the
  neighbours' snapshots for the hand-over. Its HTTP port serves only /metrics and /healthz meaningfully.
* ``api``: the merged picture (REST + WebSocket), history, admin; stateless, any number behind a balancer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from borderwatch.bus import SUBJECT_SNAPSHOT, Bus, InProcessBus
from borderwatch.bus.base import Overflow, Subscription

if TYPE_CHECKING:
    from borderwatch.scale.sector_engine import SectorEngine
    from borderwatch.server.live import EngineLike
    from borderwatch.server.settings import Settings
    from borderwatch.server.view import PictureView

log = logging.getLogger("borderwatch.scale")
ROLES = ("all", "gateway", "engine", "api")


async def open_bus(settings: Settings) -> Bus:
    """The bus of this process: JetStream when ``bus_url`` is set, else in-process."""
    if not settings.bus_url:
        return InProcessBus(maxsize=settings.bus_maxsize)
    from borderwatch.bus.jetstream import JetStreamBus

    durable = f"engine-{settings.sector}" if settings.role == "engine" and settings.sector else settings.role
    return await JetStreamBus.connect(
        settings.bus_url, namespace=settings.bus_namespace, durable=durable, maxsize=settings.bus_maxsize
    )


def runs_engine(settings: Settings) -> bool:
    return settings.run_engine and settings.role in ("all", "engine")


def make_view(settings: Settings, bus: Bus) -> PictureView:
    from borderwatch.server.view import PictureView

    cls: type[PictureView] = PictureView
    if settings.bus_url and settings.role in ("api", "all", "engine") and settings.sectors_file is not None:
        from borderwatch.scale.merge import MergedPictureView

        cls = MergedPictureView
    return cls(bus, delta_buffer=settings.delta_buffer, client_queue=settings.client_queue)


class SectorBus:
    """The bus as a sector engine's driver sees it: ``picture.delta``/``picture.snapshot`` go to the sector's
    subjects (``picture.delta.<sector>``); everything else passes through."""

    def __init__(self, bus: Bus, sector: str) -> None:
        self.bus = bus
        self.sector = sector

    async def publish(self, subject: str, payload: bytes, *, local: Any = None) -> int:
        if subject in ("picture.delta", "picture.snapshot"):
            subject = f"{subject}.{self.sector}"
        return await self.bus.publish(subject, payload, local=local)

    def subscribe(
        self, prefix: str, *, maxsize: int | None = None, overflow: Overflow = "block", auto_ack: bool = False
    ) -> Subscription:
        return self.bus.subscribe(prefix, maxsize=maxsize, overflow=overflow, auto_ack=auto_ack)

    def depths(self) -> dict[str, int]:
        return self.bus.depths()

    async def close(self) -> None:
        await self.bus.close()


def driver_bus(settings: Settings, bus: Bus) -> Bus:
    if settings.role == "engine" and settings.sector:
        return SectorBus(bus, settings.sector)
    return bus


def sector_engine_factory(settings: Settings) -> EngineLike:
    """The engine of ``--role engine --sector NAME``: the one engine on the sector's sensors, wrapped."""
    from borderwatch.engine import Engine, RunConfig
    from borderwatch.errors import InputError
    from borderwatch.response.effectors import load_layout
    from borderwatch.scale.sector_engine import SectorEngine
    from borderwatch.scale.sectors import Sectors
    from borderwatch.sensors.reports import read_sensors
    from borderwatch.sim.catalogue import load_catalogue
    from borderwatch.theatre import DEFAULT_THEATRE, load_theatre

    if settings.sensors is None or settings.sector is None:
        raise InputError("a sector engine needs --sensors and --sector")
    import numpy as np

    sectors = Sectors.load(settings.sectors_file)
    sites, _ = read_sensors(settings.sensors)
    mine = sectors.sensors_of(settings.sector, sites)
    th = load_theatre(settings.theatre or DEFAULT_THEATRE)
    guidance = {k: c.guidance for k, c in load_catalogue().classes.items()}
    cfg = RunConfig(auto_approve=False, emit_interval_s=settings.emit_interval_s)
    world = settings.extra.get("world")
    eng = Engine(
        th, mine, units=load_layout(None), config=cfg, guidance=guidance, rng=np.random.default_rng(), world=world
    )
    log.info("sector %s: %d of %d sensors", settings.sector, len(mine), len(sites))
    return SectorEngine(eng, sectors, settings.sector)


async def follow_neighbours(bus: Bus, engine: SectorEngine) -> None:
    """Feed the neighbours' published tracks into the sector engine (for the hand-over), for ever."""
    sub = bus.subscribe(SUBJECT_SNAPSHOT, maxsize=64, overflow="drop", auto_ack=True)
    try:
        async for msg in sub:
            sector = msg.subject.removeprefix(SUBJECT_SNAPSHOT).lstrip(".")
            if not sector or sector == engine.sector:
                continue
            try:
                sec = json.loads(msg.data).get("picture", {}).get("sector", {})
                engine.observe(sector, list(sec.get("tracks") or []), wall=float(sec.get("wall") or 0) or None)
            except (ValueError, AttributeError, TypeError):
                log.warning("bad snapshot from sector %s", sector)
    finally:
        await sub.close()


@contextlib.asynccontextmanager
async def engine_extras(settings: Settings, engine: Any, bus: Bus) -> AsyncIterator[None]:
    """Background work of an engine process (the neighbour feed of a sector engine)."""
    from borderwatch.scale.sector_engine import SectorEngine

    task = None
    if isinstance(engine, SectorEngine):
        task = asyncio.create_task(follow_neighbours(bus, engine), name="borderwatch-neighbours")
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
