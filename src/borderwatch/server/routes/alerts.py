"""Alerts: GET /api/v1/alerts, POST /api/v1/alerts/{id}/ack (operator; audited)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from borderwatch.server.deps import Operator, Reader, State
from borderwatch.server.live import Refused
from borderwatch.server.routes.picture import Section, section

router = APIRouter(prefix="/api/v1", tags=["alerts"])


class AckOut(BaseModel):
    alert: str
    who: str
    t: float


@router.get("/alerts")
def alerts(_: Reader, st: State) -> Section:
    return section(st, "alerts")


@router.post("/alerts/{alert_id}/ack", responses={404: {"description": "no such alert"}, 503: {}})
async def ack(alert_id: str, u: Operator, st: State) -> AckOut:
    if st.live is None:
        raise HTTPException(503, "the engine does not run in this process")
    try:
        out, seq = await st.live.acknowledge(alert_id, who=u.name)
    except Refused as e:
        raise HTTPException(e.status, e.reason) from None
    await st.view.caught_up(seq)
    return AckOut(**out)
