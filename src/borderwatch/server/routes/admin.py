"""Administration (admin role only): users, sensors and their keys, the audit log.

Every change and its audit entry (who, when, what, why) commit in one transaction.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from borderwatch.server.deps import Admin, State
from borderwatch.store import audit as _audit
from borderwatch.store import sensor_keys as _keys
from borderwatch.store import users as _users

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
RoleName = Literal["viewer", "operator", "admin"]
Why = Field(default=None, max_length=2000, description="why (kept in the audit log)")


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=8, max_length=1024)
    role: RoleName
    reason: str | None = Why


class RoleIn(BaseModel):
    role: RoleName
    reason: str | None = Why


class WhyIn(BaseModel):
    reason: str | None = Why


class UserOut(BaseModel):
    name: str
    role: str
    created: float
    disabled: bool


class SensorIn(BaseModel):
    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")
    reason: str | None = Why


class RotateIn(BaseModel):
    grace_s: float = Field(default=_keys.DEFAULT_GRACE_S, ge=0, le=7 * 86400)
    reason: str | None = Why


class KeyOut(BaseModel):
    sensor: str
    key: str  # hex; shown only in this reply
    key_version: int | None


class SensorStatusOut(BaseModel):
    sensor: str
    status: str
    key_version: int | None
    created: float | None
    rotated_at: float | None


def _user_out(u: _users.User) -> UserOut:
    return UserOut(name=u.name, role=u.role.value, created=u.created, disabled=u.disabled)


@router.get("/users")
def list_users(_: Admin, st: State) -> list[UserOut]:
    return [_user_out(u) for u in _users.list_users(st.store)]


@router.post("/users", status_code=201, responses={422: {"description": "bad name/password or name taken"}})
def add_user(body: UserIn, a: Admin, st: State) -> UserOut:
    now = st.settings.clock()
    with st.store.session() as s:
        u = _users.add_user(st.store, body.name, body.password, body.role, now=now, session=s)
        _audit.append_audit(
            st.store,
            a.name,
            "user.add",
            f"user:{u.name}",
            {"role": u.role.value, "reason": body.reason},
            t=now,
            session=s,
        )
    return _user_out(u)


@router.post("/users/{name}/role", responses={404: {}})
def set_role(name: str, body: RoleIn, a: Admin, st: State) -> UserOut:
    now = st.settings.clock()
    with st.store.session() as s:
        u = _users.set_role(st.store, name, body.role, session=s)
        _audit.append_audit(
            st.store, a.name, "user.role", f"user:{name}", {"role": body.role, "reason": body.reason}, t=now, session=s
        )
    return _user_out(u)


@router.post("/users/{name}/disable", responses={404: {}})
def disable_user(name: str, body: WhyIn, a: Admin, st: State) -> UserOut:
    now = st.settings.clock()
    with st.store.session() as s:
        u = _users.disable_user(st.store, name, session=s)
        _audit.append_audit(st.store, a.name, "user.disable", f"user:{name}", {"reason": body.reason}, t=now, session=s)
    return _user_out(u)


@router.get("/sensors")
def list_sensors(_: Admin, st: State) -> list[SensorStatusOut]:
    return [SensorStatusOut(**_status(s)) for s in _keys.list_sensors(st.store)]


def _status(s: _keys.SensorStatus) -> dict[str, Any]:
    return {
        "sensor": s.sensor,
        "status": s.status,
        "key_version": s.key_version,
        "created": s.created,
        "rotated_at": s.rotated_at,
    }


@router.post("/sensors", status_code=201, responses={422: {"description": "bad id or already active"}})
def add_sensor(body: SensorIn, a: Admin, st: State) -> KeyOut:
    now = st.settings.clock()
    with st.store.session() as s:
        key = _keys.add_sensor(st.store, body.id, now=now, session=s)
        _audit.append_audit(
            st.store, a.name, "sensor.add", f"sensor:{body.id}", {"reason": body.reason}, t=now, session=s
        )
    st.ingest.forget_keys(body.id)
    return KeyOut(sensor=body.id, key=key.hex(), key_version=_keys.sensor_status(st.store, body.id).key_version)


@router.post("/sensors/{sensor_id}/rotate-key", responses={404: {}, 422: {}})
def rotate_key(sensor_id: str, body: RotateIn, a: Admin, st: State) -> KeyOut:
    now = st.settings.clock()
    with st.store.session() as s:
        key = _keys.rotate_key(st.store, sensor_id, grace_s=body.grace_s, now=now, session=s)
        _audit.append_audit(
            st.store,
            a.name,
            "sensor.rotate-key",
            f"sensor:{sensor_id}",
            {"grace_s": body.grace_s, "reason": body.reason},
            t=now,
            session=s,
        )
    st.ingest.forget_keys(sensor_id)
    return KeyOut(sensor=sensor_id, key=key.hex(), key_version=_keys.sensor_status(st.store, sensor_id).key_version)


@router.post("/sensors/{sensor_id}/revoke", responses={404: {}})
def revoke(sensor_id: str, body: WhyIn, a: Admin, st: State) -> SensorStatusOut:
    now = st.settings.clock()
    with st.store.session() as s:
        _keys.revoke(st.store, sensor_id, now=now, session=s)
        _audit.append_audit(
            st.store, a.name, "sensor.revoke", f"sensor:{sensor_id}", {"reason": body.reason}, t=now, session=s
        )
    st.ingest.forget_keys(sensor_id)
    return SensorStatusOut(**_status(_keys.sensor_status(st.store, sensor_id)))


class AuditOut(BaseModel):
    seq: int
    t: float
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    hash: str


@router.get("/audit")
def audit(
    _: Admin,
    st: State,
    after: Annotated[int, Query(ge=0, le=2**62, description="rows after this seq")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[AuditOut]:
    rows = _audit.audit_rows(st.store, after_seq=after, limit=limit)
    return [
        AuditOut(seq=r.seq, t=r.t, actor=r.actor, action=r.action, subject=r.subject, details=r.details, hash=r.hash)
        for r in rows
    ]


@router.get("/audit/verify")
def audit_verify(_: Admin, st: State) -> dict[str, Any]:
    rep = _audit.verify_audit(st.store)
    return {"ok": rep.ok, "rows": rep.rows, "last_seq": rep.last_seq, "problems": [str(p) for p in rep.problems]}
