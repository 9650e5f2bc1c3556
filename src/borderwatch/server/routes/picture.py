"""The picture: REST snapshots (tracks, assessments, effectors, sensors, engagements) and the WebSocket feed."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel

from borderwatch.server import storeio
from borderwatch.server.deps import Reader, State, ws_user
from borderwatch.server.state import AppState

router = APIRouter(prefix="/api/v1", tags=["picture"])


class Section(BaseModel):
    epoch: str
    seq: int
    t: float | None
    items: list[Any]


class SensorOut(BaseModel):
    id: str
    type: str | None = None
    lat: float | None = None
    lon: float | None = None
    key_status: str
    last_report_t: float | None
    age_s: float | None
    rate_hz: float
    count: int
    status: str  # up | late | down | never
    coverage_m: float | None = None  # detection range drawn as the sensor's coverage on the map (None: unknown)


def section(st: AppState, name: str) -> Section:
    snap = st.view.snapshot
    items = st.view.picture.get(name) or []
    if isinstance(items, dict):
        items = list(items.values())
    t = snap.get("t")
    return Section(epoch=str(snap.get("epoch", "")), seq=int(snap.get("seq", 0)), t=t, items=list(items))


@router.get("/picture")
def picture(_: Reader, st: State) -> dict[str, Any]:
    """The whole picture as of the newest engine step."""
    return dict(st.view.snapshot)


@router.get("/tracks")
def tracks(_: Reader, st: State) -> Section:
    return section(st, "tracks")


@router.get("/assessments")
def assessments(_: Reader, st: State) -> Section:
    return section(st, "assessments")


@router.get("/effectors")
def effectors(_: Reader, st: State) -> Section:
    """Effector units with their magazines."""
    return section(st, "effectors")


@router.get("/engagements")
def engagements(_: Reader, st: State) -> Section:
    return section(st, "engagements")


@router.get("/sensors")
def sensors(_: Reader, st: State) -> list[SensorOut]:
    """Every known sensor: registration, last report, rate over the last ``rate_window_s`` and up/late/down."""
    now = st.settings.clock()
    keys = {s.sensor: s.status for s in storeio.list_sensors(st.store)}
    stored = storeio.sensor_health(st.store)
    ids = sorted(set(keys) | set(st.sites) | set(stored))
    out = []
    for sid in ids:
        site = st.sites.get(sid, {})
        last = st.health.last.get(sid)
        if last is None and sid in stored:
            last = stored[sid][0]
        count = max(st.health.count.get(sid, 0), stored.get(sid, (0.0, 0))[1])
        age = None if last is None else max(0.0, now - last)
        late_s, down_s = st.health.thresholds(sid, st.settings.late_after_s, st.settings.down_after_s)
        if age is None:
            status = "never"
        elif age <= late_s:
            status = "up"
        elif age <= down_s:
            status = "late"
        else:
            status = "down"
        out.append(
            SensorOut(
                id=sid,
                type=site.get("type"),
                lat=site.get("lat"),
                lon=site.get("lon"),
                key_status=keys.get(sid, "unknown"),
                last_report_t=last,
                age_s=age,
                rate_hz=st.health.rate(sid, now),
                count=count,
                status=status,
                coverage_m=_coverage_m(site),
            )
        )
    return out


def _coverage_m(site: dict[str, Any]) -> float | None:
    """A radar's instrumented range, an ADS-B receiver's range, an acoustic node's catalogue maximum range."""
    for k in ("instrumented_range_m", "range_m"):
        v = site.get(k)
        if isinstance(v, int | float) and v > 0:
            return float(v)
    if site.get("type") == "acoustic":
        return _acoustic_range_m()
    return None


@functools.cache
def _acoustic_range_m() -> float:
    from borderwatch.sensors.catalogue import load_acoustic_catalogue

    return float(load_acoustic_catalogue().node.max_range_m.value)


def _parse_resume(ws: WebSocket) -> tuple[str, int] | None:
    epoch = ws.query_params.get("epoch")
    after = ws.query_params.get("after")
    if epoch is None or after is None:
        return None
    try:
        return epoch, int(after)
    except ValueError:
        return None


@router.websocket("/picture")
async def picture_ws(ws: WebSocket) -> None:
    """A snapshot, then every delta in order, each numbered (``epoch``, ``seq``).

    Resume with ``?epoch=E&after=N``: the deltas after N are sent if still buffered, else a fresh snapshot.
    A client that falls ``client_queue`` deltas behind gets a fresh snapshot instead of the backlog.
    Authenticate with ``?token=`` or an ``Authorization: Bearer`` header.
    """
    st: AppState = ws.app.state.bw
    if ws_user(ws) is None:
        await ws.close(code=4401, reason="log in first (token missing, unknown or expired)")
        return
    await ws.accept()
    feed = st.view.attach()
    st.metrics.clients.inc()
    try:
        resume = _parse_resume(ws)
        backlog = st.view.since(*resume) if resume else None
        if backlog is None:
            last = await _send_snapshot(ws, st)
        else:
            last = resume[1] if resume else 0
            for seq, body in backlog:
                await ws.send_text(body.decode())
                last = seq
        closed = asyncio.create_task(_wait_closed(ws))
        try:
            while not closed.done():
                try:  # the common case under load: deltas already queued, no task to wait on
                    seq, body = feed.queue.get_nowait()
                except asyncio.QueueEmpty:
                    getter = asyncio.create_task(feed.queue.get())
                    done, _ = await asyncio.wait({getter, closed}, return_when=asyncio.FIRST_COMPLETED)
                    if getter not in done:
                        getter.cancel()
                        break
                    seq, body = getter.result()
                if feed.resync.is_set():  # it fell behind: the backlog was dropped, a snapshot replaces it
                    feed.resync.clear()
                    last = await _send_snapshot(ws, st)
                if seq <= last:
                    continue
                await ws.send_text(body.decode())
                last = seq
        finally:
            closed.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await closed
    except WebSocketDisconnect:
        pass
    finally:
        st.view.detach(feed)
        st.metrics.clients.dec()


async def _send_snapshot(ws: WebSocket, st: AppState) -> int:
    """The newest snapshot, then the buffered deltas made after it (snapshots are renewed about once a second,
    deltas at every step); returns the last seq sent."""
    raw, seq = st.view.snapshot_raw, int(st.view.snapshot.get("seq", 0))
    epoch = str(st.view.snapshot.get("epoch", ""))
    await ws.send_text(raw.decode())
    for s, body in st.view.since(epoch, seq) or []:
        await ws.send_text(body.decode())
        seq = s
    return seq


async def _wait_closed(ws: WebSocket) -> None:
    while True:
        msg = await ws.receive()
        if msg["type"] == "websocket.disconnect":
            return
