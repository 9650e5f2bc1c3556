"""FastAPI dependencies: the service state, the store, the current user and role checks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, WebSocket, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from borderwatch.server.state import AppState
from borderwatch.store import users as _users

bearer = HTTPBearer(auto_error=False, description="Token from POST /api/v1/login")


def get_state(request: Request) -> AppState:
    st: AppState = request.app.state.bw
    return st


def get_store(st: Annotated[AppState, Depends(get_state)]) -> Any:
    return st.store


State = Annotated[AppState, Depends(get_state)]


def _unauthorised(msg: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, msg, headers={"WWW-Authenticate": "Bearer"})


def user_for(st: AppState, token: str | None) -> _users.User | None:
    if not token or len(token) > 512:
        return None
    u = _users.user_for_token(st.store, token, st.settings.clock())
    return None if u is None or u.disabled else u


def current_user(st: State, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> _users.User:
    if cred is None:
        raise _unauthorised("log in first: POST /api/v1/login, then send Authorization: Bearer <token>")
    u = user_for(st, cred.credentials)
    if u is None:
        raise _unauthorised("the token is unknown or has expired; log in again")
    return u


def reader(u: Annotated[_users.User, Depends(current_user)]) -> _users.User:
    return u


def operator(u: Annotated[_users.User, Depends(current_user)]) -> _users.User:
    if not u.role.can_decide:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {u.role.value} may not decide; an operator must")
    return u


def admin(u: Annotated[_users.User, Depends(current_user)]) -> _users.User:
    if not u.role.can_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {u.role.value} may not administer; an admin must")
    return u


Reader = Annotated[_users.User, Depends(reader)]
Operator = Annotated[_users.User, Depends(operator)]
Admin = Annotated[_users.User, Depends(admin)]


def ws_user(ws: WebSocket) -> _users.User | None:
    """The user of a WebSocket: ``?token=`` (browsers cannot set headers on a WebSocket) or a Bearer header."""
    st: AppState = ws.app.state.bw
    token = ws.query_params.get("token")
    if token is None:
        auth = ws.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
    return user_for(st, token)
