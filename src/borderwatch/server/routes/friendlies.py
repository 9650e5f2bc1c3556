"""Friendly units heard on Cursor-on-Target (``serve --cot-in``): GET /api/v1/friendlies."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from borderwatch.server.deps import Reader, State

router = APIRouter(prefix="/api/v1", tags=["friendlies"])


@router.get("/friendlies")
def friendlies(_: Reader, st: State) -> dict[str, Any]:
    """Patrols, interceptor teams and other friendly positions (CoT ``a-f-…``) not yet stale. The engine does
    not track or fuse them; they are shown beside the picture. ``listening`` is false without ``--cot-in``."""
    board = st.friendlies
    now = st.settings.clock()
    if board is None:
        return {"listening": False, "t": now, "items": [], "rejected": {}}
    return {"listening": True, "t": now, "items": board.current(now), "rejected": dict(board.rejected)}
