"""Operator accounts: argon2id password hashes, roles, expiring bearer tokens (stored as SHA-256 only)."""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from borderwatch.errors import InputError, NotFoundError
from borderwatch.store._tx import transaction
from borderwatch.store.db import Store
from borderwatch.store.models import NAME, Token
from borderwatch.store.models import User as UserRow

_HASHER = PasswordHasher()
MIN_PASSWORD = 8


class Role(StrEnum):
    """What a user may do: a viewer reads, an operator also decides, an admin also manages."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def can_read(self) -> bool:
        return True

    @property
    def can_decide(self) -> bool:
        """Acknowledge alerts, approve or reject recommendations."""
        return self in (Role.OPERATOR, Role.ADMIN)

    @property
    def can_admin(self) -> bool:
        """Manage users, sensors and keys."""
        return self is Role.ADMIN

    @classmethod
    def parse(cls, value: str | Role) -> Role:
        """The role named ``value``; InputError naming the choices otherwise."""
        try:
            return cls(value)
        except ValueError:
            raise InputError(f"unknown role {value!r}; choose one of {', '.join(r.value for r in cls)}") from None


@dataclass(frozen=True, slots=True)
class User:
    """A user as the rest of the system sees it (never the password hash)."""

    id: int
    name: str
    role: Role
    created: float
    disabled: bool


def add_user(
    store: Store,
    name: str,
    password: str,
    role: Role | str,
    *,
    now: float | None = None,
    session: Session | None = None,
) -> User:
    """Create a user; InputError for an empty or too long name, a short password or a taken name."""
    name = name.strip()
    if not name or len(name) > NAME:
        raise InputError(f"a user name needs 1 to {NAME} characters", field="name")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"a password needs at least {MIN_PASSWORD} characters", field="password")
    r = Role.parse(role)
    with transaction(store, session) as s:
        if s.scalar(select(UserRow).where(UserRow.name == name)) is not None:
            raise InputError(f"user {name!r} already exists", field="name")
        row = UserRow(name=name, role=r.value, pw_hash=_HASHER.hash(password), created=_now(now), disabled=False)
        s.add(row)
        s.flush()
        return _user(row)


def get_user(store: Store, name: str) -> User | None:
    """The user called ``name``, None if there is none."""
    with store.session(readonly=True) as s:
        row = s.scalar(select(UserRow).where(UserRow.name == name))
        return None if row is None else _user(row)


def list_users(store: Store) -> list[User]:
    """Every user, by name."""
    with store.session(readonly=True) as s:
        return [_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.name))]


def authenticate(store: Store, name: str, password: str) -> User | None:
    """The user if ``password`` is right and the account is enabled, else None (similar time either way)."""
    with store.session(readonly=True) as s:
        row = s.scalar(select(UserRow).where(UserRow.name == name))
        user = None if row is None else _user(row)
        pw_hash = _dummy_hash() if row is None else row.pw_hash
    ok: bool
    try:
        ok = _HASHER.verify(pw_hash, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None or user.disabled:
        return None
    if _HASHER.check_needs_rehash(pw_hash):
        with store.session() as s:
            r = s.get(UserRow, user.id)
            if r is not None:
                r.pw_hash = _HASHER.hash(password)
    return user


def issue_token(store: Store, user: User, ttl_s: float, *, now: float | None = None) -> str:
    """A new random bearer token for ``user`` valid for ``ttl_s`` seconds; only its SHA-256 is stored."""
    if not ttl_s > 0:
        raise InputError(f"a token lifetime must be positive, got {ttl_s}", field="ttl_s")
    token = secrets.token_urlsafe(32)
    t = _now(now)
    with store.session() as s:
        s.add(Token(sha256=_sha(token), user_id=user.id, created=t, expires=t + ttl_s))
    return token


def user_for_token(store: Store, token: str, now: float | None = None) -> User | None:
    """The enabled user holding this unexpired token, else None."""
    t = _now(now)
    with store.session(readonly=True) as s:
        tok = s.get(Token, _sha(token))
        if tok is None or not tok.expires > t:
            return None
        row = s.get(UserRow, tok.user_id)
        return None if row is None or row.disabled else _user(row)


def revoke_token(store: Store, token: str) -> bool:
    """Forget a token (logout); True if it existed."""
    with store.session() as s:
        n: int = s.execute(delete(Token).where(Token.sha256 == _sha(token))).rowcount  # type: ignore[attr-defined]
        return n > 0


def purge_expired_tokens(store: Store, now: float | None = None) -> int:
    """Delete expired tokens; returns how many."""
    with store.session() as s:
        return s.execute(delete(Token).where(Token.expires <= _now(now))).rowcount  # type: ignore[attr-defined,no-any-return]


def set_role(store: Store, name: str, role: Role | str, *, session: Session | None = None) -> User:
    """Give ``name`` a new role; NotFoundError for an unknown user."""
    r = Role.parse(role)
    with transaction(store, session) as s:
        row = _row(s, name)
        row.role = r.value
        return _user(row)


def disable_user(store: Store, name: str, *, session: Session | None = None) -> User:
    """Disable ``name``: login refused and every token of theirs deleted; NotFoundError for an unknown user."""
    with transaction(store, session) as s:
        row = _row(s, name)
        row.disabled = True
        s.execute(delete(Token).where(Token.user_id == row.id))
        return _user(row)


@functools.cache
def _dummy_hash() -> str:
    """Verified against for an unknown user, so that the answer takes about as long as for a known one."""
    return _HASHER.hash(secrets.token_hex(16))


def _row(s: Session, name: str) -> UserRow:
    row = s.scalar(select(UserRow).where(UserRow.name == name))
    if row is None:
        raise NotFoundError(f"no user {name!r}")
    return row


def _user(row: UserRow) -> User:
    return User(row.id, row.name, Role(row.role), row.created, row.disabled)


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now(now: float | None) -> float:
    return time.time() if now is None else float(now)
