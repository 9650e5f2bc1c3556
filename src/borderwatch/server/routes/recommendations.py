"""Recommendations: GET /api/v1/recommendations; POST .../{id}/approve and .../{id}/reject (operator; audited)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from borderwatch.server.deps import Operator, Reader, State
from borderwatch.server.live import Refused
from borderwatch.server.routes.picture import Section, section
from borderwatch.server.state import AppState

router = APIRouter(prefix="/api/v1", tags=["recommendations"])

_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "only an operator decides"},
    409: {"description": "refused: intercept window closed, already decided, or unknown recommendation"},
    503: {"description": "the engine does not run in this process"},
}


class ApproveIn(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)


class RejectIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="why the recommendation is rejected (required)")


class DecisionOut(BaseModel):
    decision: dict[str, Any]


@router.get("/recommendations")
def recommendations(_: Reader, st: State) -> Section:
    return section(st, "recommendations")


async def _decide(st: AppState, rec_id: str, approve: bool, who: str, reason: str | None) -> DecisionOut:
    if st.live is None:
        raise HTTPException(503, "the engine does not run in this process")
    try:
        d, seq = await st.live.decide(rec_id, approve=approve, who=who, reason=reason)
    except Refused as e:
        raise HTTPException(e.status, e.reason) from None
    await st.view.caught_up(seq)
    return DecisionOut(decision=d)


@router.post("/recommendations/{rec_id}/approve", responses=_REFUSED)
async def approve(rec_id: str, u: Operator, st: State, body: ApproveIn | None = None) -> DecisionOut:
    return await _decide(st, rec_id, True, u.name, body.reason if body else None)


@router.post("/recommendations/{rec_id}/reject", responses={**_REFUSED, 422: {"description": "reason missing"}})
async def reject(rec_id: str, body: RejectIn, u: Operator, st: State) -> DecisionOut:
    if not body.reason.strip():
        raise HTTPException(422, "a rejection needs a reason")
    return await _decide(st, rec_id, False, u.name, body.reason)
