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
    """Liveness, the engine's steps so far, and what the start-up rebuild from the store took."""
    live = st.live
    out: dict[str, object] = {"ok": True, "engine": live is not None, "epoch": st.view.epoch}
    if live is not None:
        out |= {
            "steps": live.steps,
            "engine_t": live.engine.now if live.engine.now > float("-inf") else None,
            "rebuilt_reports": live.rebuilt_reports,
            "rebuild_s": round(live.rebuild_s, 3),
        }
    return out
