"""POST /api/v1/login (name + password → bearer token with expiry), /logout, GET /api/v1/me."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from borderwatch.server.deps import Reader, State, bearer
from borderwatch.store import users as _users

router = APIRouter(prefix="/api/v1", tags=["auth"])


class LoginIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class TokenOut(BaseModel):
    token: str
    token_type: str = "bearer"
    expires_at: float  # UTC epoch s
    name: str
    role: str


class MeOut(BaseModel):
    name: str
    role: str
    can_decide: bool
    can_admin: bool


@router.post("/login", responses={401: {"description": "wrong name or password"}})
def login(body: LoginIn, st: State) -> TokenOut:
    u = _users.authenticate(st.store, body.name, body.password)
    if u is None or u.disabled:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong name or password")
    now = st.settings.clock()
    token = _users.issue_token(st.store, u, st.settings.token_ttl_s, now=now)
    return TokenOut(token=token, expires_at=now + st.settings.token_ttl_s, name=u.name, role=u.role.value)


@router.post("/logout", status_code=204)
def logout(_: Reader, st: State, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    if cred is not None:
        _users.revoke_token(st.store, cred.credentials)


@router.get("/me")
def me(u: Reader) -> MeOut:
    return MeOut(name=u.name, role=u.role.value, can_decide=u.role.can_decide, can_admin=u.role.can_admin)
