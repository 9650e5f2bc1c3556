"""Sensor ingest: POST /api/v1/ingest (JSON lines of signed envelopes) and WebSocket /api/v1/ingest/ws.

No user login: each message is authenticated by its sensor's HMAC (see :mod:`borderwatch.server.ingest`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from borderwatch.server.deps import Reader, State
from borderwatch.server.ingest import Result
from borderwatch.server.metrics import UNKNOWN_SENSOR

router = APIRouter(prefix="/api/v1", tags=["ingest"])


class Rejected(BaseModel):
    index: int
    reason: str
    detail: str


class MessageResult(BaseModel):
    line: int | None = None
    status: str
    sensor: str | None
    seq: int | None
    accepted: int
    reason: str | None = None
    detail: str | None = None
    rejected: list[Rejected] = []


class IngestReply(BaseModel):
    accepted: int
    rejected_reports: int
    rejected_messages: int
    results: list[MessageResult]


_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-ndjson": {
                "schema": {"type": "string", "description": "one signed envelope per line (see docs/formats.md)"}
            }
        },
    }
}


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse({"detail": f"body larger than {limit} bytes; split it", "reason": "malformed"}, status_code=413)


@router.post(
    "/ingest", response_model=IngestReply, openapi_extra=_BODY_DOC, responses={413: {"description": "body too large"}}
)
async def ingest(request: Request, st: State) -> Any:
    limit = st.settings.max_body_bytes
    if int(request.headers.get("content-length") or 0) > limit:
        st.metrics.reject(UNKNOWN_SENSOR, "malformed")
        return _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            st.metrics.reject(UNKNOWN_SENSOR, "malformed")
            return _too_large(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    lines: list[tuple[int, bytes]] = [(i, ln) for i, ln in enumerate(body.split(b"\n"), 1) if ln.strip()]
    too_long = {i for i, ln in lines if len(ln) > st.settings.max_line_bytes}
    msgs = [b"" if i in too_long else ln for i, ln in lines]
    results = await st.ingest.submit(msgs)
    out = []
    for (i, _), r in zip(lines, results, strict=True):
        if i in too_long:
            r = Result("rejected", reason="malformed", detail=f"line longer than {st.settings.max_line_bytes} bytes")
        out.append(MessageResult(line=i, **r.to_dict()))
    return IngestReply(
        accepted=sum(r.accepted for r in out),
        rejected_reports=sum(len(r.rejected) for r in out),
        rejected_messages=sum(r.status == "rejected" for r in out),
        results=out,
    )


@router.websocket("/ingest/ws")
async def ingest_ws(ws: WebSocket) -> None:
    """One envelope per message (text or binary); one JSON reply per message, in order."""
    st = ws.app.state.bw
    await ws.accept()
    try:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                return
            raw: bytes | str = msg.get("bytes") or msg.get("text") or ""
            if len(raw) > st.settings.max_line_bytes:
                res = Result("rejected", reason="malformed", detail=f"message longer than {st.settings.max_line_bytes}")
                st.metrics.reject(UNKNOWN_SENSOR, "malformed")
            else:
                (res,) = await st.ingest.submit([raw])
            await ws.send_json(res.to_dict())
    except WebSocketDisconnect:
        return


@router.get("/ingest/stats")
def ingest_stats(_: Reader, st: State) -> dict[str, Any]:
    """Rejections counted per sensor and reason since the service started."""
    by: dict[str, dict[str, int]] = {}
    for (sensor, reason), n in sorted(st.metrics.rejections.items()):
        by.setdefault(sensor, {})[reason] = n
    return {"rejections": by, "total": sum(st.metrics.rejections.values())}
