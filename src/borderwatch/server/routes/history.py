"""After-action review: GET /api/v1/history?t0=&t1= from the store."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from borderwatch.server import storeio
from borderwatch.server.deps import Reader, State

router = APIRouter(prefix="/api/v1", tags=["history"])


class Extent(BaseModel):
    t_min: float | None  # first stored track point, UTC epoch s (None: nothing stored yet)
    t_max: float | None
    track_points: int
    max_window_s: float  # the longest window GET /history answers


@router.get("/history/extent")
def history_extent(_: Reader, st: State) -> Extent:
    """The time range the store holds (for the after-action timeline's scrub bar)."""
    lo, hi, n = storeio.history_extent(st.store)
    return Extent(t_min=lo, t_max=hi, track_points=n, max_window_s=st.settings.max_history_s)


@router.get("/history")
def history(
    _: Reader,
    st: State,
    t0: Annotated[float, Query(description="window start, UTC epoch s")],
    t1: Annotated[float, Query(description="window end (exclusive), UTC epoch s")],
    limit: Annotated[int, Query(ge=1, le=100_000, description="at most this many records of each kind")] = 10_000,
    kinds: Annotated[
        str | None, Query(max_length=200, description="comma-separated subset, e.g. decisions,alerts")
    ] = None,
) -> dict[str, Any]:
    """Track points, assessments, alerts (with acknowledgements), recommendations, decisions, engagements."""
    if not (math.isfinite(t0) and math.isfinite(t1)):
        raise HTTPException(422, "t0 and t1 must be finite")
    if t1 <= t0:
        raise HTTPException(422, "t1 must be after t0")
    if t1 - t0 > st.settings.max_history_s:
        raise HTTPException(422, f"window longer than {st.settings.max_history_s:g} s; ask for a shorter one")
    wanted = [k.strip() for k in kinds.split(",") if k.strip()] if kinds else None
    return {"t0": t0, "t1": t1, **storeio.history(st.store, t0, t1, limit=limit, kinds=wanted)}
