"""Run the service under uvicorn (programmatically), with optional background tasks such as a replay client."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from borderwatch.server.settings import Settings

if TYPE_CHECKING:
    from borderwatch.server.state import AppState

# A background task gets the service's base URL and its state once the server listens (e.g. the
# ``serve --replay`` client, which signs and POSTs a simulated scenario's reports like a real sensor).
Background = Callable[[str, "AppState"], Awaitable[None]]
log = logging.getLogger("borderwatch.server")


async def serve_async(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    background: Sequence[Background] = (),
    on_listening: Callable[[str], None] | None = None,
    log_level: str = "warning",
) -> None:
    """Serve until stopped (SIGINT/SIGTERM); background tasks start when the server listens."""
    import uvicorn

    from borderwatch.server.app import create_app

    app = create_app(settings)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on", ws="websockets-sansio")
    server = uvicorn.Server(config)
    main = asyncio.create_task(server.serve())
    while not server.started and not main.done():
        await asyncio.sleep(0.02)
    tasks: list[asyncio.Task[None]] = []
    if server.started:
        url = f"http://{host}:{port}"
        if on_listening is not None:
            on_listening(url)
        for b in background:
            tasks.append(asyncio.create_task(_guard(b(url, app.state.bw))))
    try:
        await main
    finally:
        for t in tasks:
            t.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await t


async def _guard(aw: Awaitable[None]) -> None:
    try:
        await aw
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("background task failed (the service keeps running)")


def serve(settings: Settings, **kw: object) -> None:
    """Blocking :func:`serve_async`."""
    asyncio.run(serve_async(settings, **kw))  # type: ignore[arg-type]
