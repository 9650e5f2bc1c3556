"""Users: argon2 passwords, roles, tokens and their expiry, disabling."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from borderwatch.errors import InputError, NotFoundError
from borderwatch.store import Store
from borderwatch.store.models import Token
from borderwatch.store.models import User as UserRow
from borderwatch.store.users import (
    Role,
    add_user,
    authenticate,
    disable_user,
    get_user,
    issue_token,
    list_users,
    purge_expired_tokens,
    revoke_token,
    set_role,
    user_for_token,
)


def test_password_is_stored_as_argon2id(store: Store) -> None:
    add_user(store, "alice", "correct horse", Role.OPERATOR)
    with store.session(readonly=True) as s:
        row = s.scalar(select(UserRow).where(UserRow.name == "alice"))
    assert row is not None
    assert row.pw_hash.startswith("$argon2id$") and "correct horse" not in row.pw_hash


def test_authenticate(store: Store) -> None:
    u = add_user(store, "alice", "correct horse", "operator")
    assert authenticate(store, "alice", "correct horse") == u
    assert authenticate(store, "alice", "wrong horse") is None
    assert authenticate(store, "nobody", "correct horse") is None
    assert authenticate(store, "alice", "") is None


def test_names_unique_and_inputs_checked(store: Store) -> None:
    add_user(store, "alice", "correct horse", "viewer")
    with pytest.raises(InputError, match="already exists"):
        add_user(store, "alice", "another pw", "viewer")
    with pytest.raises(InputError, match="at least"):
        add_user(store, "bob", "short", "viewer")
    with pytest.raises(InputError, match="unknown role"):
        add_user(store, "bob", "long enough", "god")
    with pytest.raises(InputError, match="name"):
        add_user(store, "  ", "long enough", "viewer")
    assert [u.name for u in list_users(store)] == ["alice"]


def test_roles() -> None:
    assert [r.can_read for r in Role] == [True, True, True]
    assert [r.can_decide for r in (Role.VIEWER, Role.OPERATOR, Role.ADMIN)] == [False, True, True]
    assert [r.can_admin for r in (Role.VIEWER, Role.OPERATOR, Role.ADMIN)] == [False, False, True]


def test_set_role(store: Store) -> None:
    add_user(store, "alice", "correct horse", "viewer")
    assert set_role(store, "alice", "admin").role is Role.ADMIN
    assert get_user(store, "alice").role is Role.ADMIN  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        set_role(store, "nobody", "admin")


def test_token_lifecycle(store: Store) -> None:
    u = add_user(store, "alice", "correct horse", "operator")
    tok = issue_token(store, u, 60.0, now=1000.0)
    assert user_for_token(store, tok, 1000.0) == u
    assert user_for_token(store, tok, 1059.9) == u
    assert user_for_token(store, tok, 1060.0) is None  # expired
    assert user_for_token(store, tok + "x", 1000.0) is None
    assert user_for_token(store, "", 1000.0) is None
    with store.session(readonly=True) as s:
        stored = s.scalars(select(Token.sha256)).all()
    assert tok not in stored and len(stored) == 1 and len(stored[0]) == 64
    assert purge_expired_tokens(store, 1060.0) == 1
    with pytest.raises(InputError):
        issue_token(store, u, 0.0)


def test_revoke_token(store: Store) -> None:
    u = add_user(store, "alice", "correct horse", "operator")
    tok = issue_token(store, u, 60.0, now=0.0)
    assert revoke_token(store, tok)
    assert user_for_token(store, tok, 1.0) is None
    assert not revoke_token(store, tok)


def test_disabled_user_cannot_log_in_and_loses_tokens(store: Store) -> None:
    u = add_user(store, "alice", "correct horse", "operator")
    tok = issue_token(store, u, 3600.0, now=0.0)
    assert disable_user(store, "alice").disabled
    assert authenticate(store, "alice", "correct horse") is None
    assert user_for_token(store, tok, 1.0) is None
    with pytest.raises(NotFoundError):
        disable_user(store, "nobody")
