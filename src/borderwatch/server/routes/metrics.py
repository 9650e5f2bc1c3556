"""GET /metrics: Prometheus exposition (reports/s by sensor, rejections by reason, queue depths, latency)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from borderwatch.server.deps import State

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(st: State) -> Response:
    return Response(st.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz")
def healthz(st: State) -> dict[str, object]:
    """Liveness: the engine task is running (or not configured)."""
    live = st.live
    return {"ok": True, "engine": live is not None, "steps": live.steps if live else 0, "epoch": st.view.epoch}
