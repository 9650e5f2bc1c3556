"""``create_app(settings)``: the FastAPI app of the live service (thin routers over library calls)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from borderwatch import __version__
from borderwatch.errors import BorderwatchError, InputError, NotFoundError
from borderwatch.server.ingest import Checker, Ingest, SensorHealth
from borderwatch.server.live import LiveDriver
from borderwatch.server.metrics import Metrics
from borderwatch.server.routes import (
    admin,
    alerts,
    auth,
    defence,
    events,
    friendlies,
    history,
    ingest,
    metrics,
    picture,
    recommendations,
    tiles,
)
from borderwatch.server.settings import Settings
from borderwatch.server.state import AppState

log = logging.getLogger("borderwatch.server")


def _parse_only(d: dict[str, Any]) -> tuple[Any, str | None]:
    from borderwatch.sensors.reports import RejectedReport, parse_report

    try:
        return parse_report(d), None
    except RejectedReport as e:
        return None, e.reason


def _sites(settings: Settings) -> dict[str, dict[str, Any]]:
    if settings.sensors is None:
        return {}
    from borderwatch.sensors.reports import read_sensors

    sites, _ = read_sensors(settings.sensors)
    return {s.id: s.to_dict() for s in sites}


def create_app(settings: Settings) -> FastAPI:
    """The app; the store, bus, engine and live driver start with it (lifespan) and stop with it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from borderwatch.scale import roles
        from borderwatch.server import storeio
        from borderwatch.server.engine_factory import default_engine

        store = storeio.open_store(settings.store)
        bus = await roles.open_bus(settings)  # in-process unless settings.bus_url (JetStream)
        m = Metrics()
        m.watch_depths(bus.depths)
        engine = (settings.engine_factory or default_engine)(settings) if roles.runs_engine(settings) else None
        check: Checker = engine.check if engine is not None else _parse_only
        health = SensorHealth(settings.rate_window_s)
        view = roles.make_view(settings, bus)
        view.start()
        st = AppState(
            settings=settings,
            store=store,
            bus=bus,
            metrics=m,
            ingest=Ingest(store=store, bus=bus, check=check, settings=settings, metrics=m, health=health),
            view=view,
            health=health,
            sites=_sites(settings),
        )
        if engine is not None:
            st.live = LiveDriver(
                engine=engine, store=store, bus=roles.driver_bus(settings, bus), settings=settings, metrics=m
            )
            await st.live.start()
        app.state.bw = st
        try:
            async with roles.engine_extras(settings, engine, bus):
                yield
        finally:
            if st.live is not None:
                await st.live.stop()
            await view.stop()
            await bus.close()
            store.close()

    app = FastAPI(
        title="borderwatch",
        version=__version__,
        description="Live operations service: signed sensor ingest, the picture, operator decisions, audit.",
        lifespan=lifespan,
    )
    for r in (
        auth.router,
        ingest.router,
        picture.router,
        alerts.router,
        recommendations.router,
        history.router,
        admin.router,
        metrics.router,
        events.router,
        events.alias,
        friendlies.router,
        defence.router,
        tiles.router,
    ):
        app.include_router(r)
    app.include_router(__import__("borderwatch.server.webui", fromlist=["router"]).router)  # browser picture

    @app.exception_handler(BorderwatchError)
    async def _user_error(_: Request, exc: BorderwatchError) -> JSONResponse:
        from borderwatch.store import StoreError

        code = 422 if isinstance(exc, InputError) else 404 if isinstance(exc, NotFoundError) else 400
        if isinstance(exc, StoreError):
            code = 503
        return JSONResponse({"detail": str(exc)}, status_code=code)

    return app
