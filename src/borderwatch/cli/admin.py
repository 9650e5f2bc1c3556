"""``borderwatch users | sensors | audit``: administration of the operations store.

Every change is written to the audit log in the same transaction, with who = ``--as NAME`` or the OS user.
The store is ``--store PATH|URL``, else ``$BORDERWATCH_STORE``, else ``./borderwatch.db``. Commands import
the store (SQLAlchemy, Alembic, argon2) only when they run, so ``borderwatch --help`` stays fast.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from borderwatch.errors import BorderwatchError

if TYPE_CHECKING:
    from rich.console import Console

    from borderwatch.store import Store

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_STORE = "borderwatch.db"

StoreOpt = Annotated[
    str,
    typer.Option("--store", envvar="BORDERWATCH_STORE", help="Store file or URL (sqlite:///path)."),
]
AsOpt = Annotated[str | None, typer.Option("--as", help="Who is acting, for the audit log (default: the OS user).")]

users_app = typer.Typer(help="Operator accounts (viewer, operator, admin).", no_args_is_help=True)
sensors_app = typer.Typer(help="Sensor enrolment and HMAC keys.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)

app = typer.Typer()  # this module's commands; borderwatch.cli adds them to the main app
app.add_typer(users_app, name="users")
app.add_typer(sensors_app, name="sensors")
app.add_typer(audit_app, name="audit")


def _handled(fn: F) -> F:
    """``borderwatch.cli.handle_errors`` looked up when the command runs (no import cycle)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from borderwatch.cli.common import handle_errors

        return handle_errors(fn)(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _console() -> Console:
    from borderwatch.cli.common import console

    return console


def _open(store: str, *, create: bool = False) -> Store:
    """Open the store; unless ``create``, a missing SQLite file is an error rather than a new empty store."""
    from borderwatch.store import open_store
    from borderwatch.store.db import sqlite_url

    url = sqlite_url(store)
    if not create and url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise BorderwatchError(f"no store at {store} (give --store PATH or set BORDERWATCH_STORE)")
    return open_store(store)


def _actor(as_: str | None) -> str:
    import getpass

    return as_ or getpass.getuser()


def _when(t: float | None) -> str:
    from datetime import UTC, datetime

    return "" if t is None else datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S")


# --- users ----------------------------------------------------------------------------------------------
@users_app.command("add")
@_handled
def users_add(
    name: Annotated[str, typer.Argument(help="User name (unique).")],
    role: Annotated[str, typer.Option("--role", help="viewer | operator | admin")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    store: StoreOpt = DEFAULT_STORE,
    as_: AsOpt = None,
) -> None:
    """Create a user (the password is prompted for unless --password-stdin)."""
    from borderwatch.store.audit import append_audit
    from borderwatch.store.users import Role, add_user

    r = Role.parse(role)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True)
    st = _open(store, create=True)
    try:
        with st.session() as s:
            u = add_user(st, name, password, r, session=s)
            append_audit(st, _actor(as_), "user.add", u.name, {"role": u.role.value}, session=s)
    finally:
        st.close()
    _console().print(f"user {u.name} added with role {u.role.value}")


@users_app.command("list")
@_handled
def users_list(store: StoreOpt = DEFAULT_STORE) -> None:
    """List users, their roles and whether they are disabled."""
    from rich.table import Table

    from borderwatch.store.users import list_users

    st = _open(store)
    try:
        users = list_users(st)
    finally:
        st.close()
    table = Table("name", "role", "created (UTC)", "disabled")
    for u in users:
        table.add_row(u.name, u.role.value, _when(u.created), "yes" if u.disabled else "")
    _console().print(table)


@users_app.command("disable")
@_handled
def users_disable(
    name: Annotated[str, typer.Argument(help="User name.")], store: StoreOpt = DEFAULT_STORE, as_: AsOpt = None
) -> None:
    """Disable a user: login refused and their tokens deleted."""
    from borderwatch.store.audit import append_audit
    from borderwatch.store.users import disable_user

    st = _open(store)
    try:
        with st.session() as s:
            disable_user(st, name, session=s)
            append_audit(st, _actor(as_), "user.disable", name, {}, session=s)
    finally:
        st.close()
    _console().print(f"user {name} disabled")


@users_app.command("set-role")
@_handled
def users_set_role(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Argument(help="viewer | operator | admin")],
    store: StoreOpt = DEFAULT_STORE,
    as_: AsOpt = None,
) -> None:
    """Give a user another role."""
    from borderwatch.store.audit import append_audit
    from borderwatch.store.users import set_role

    st = _open(store)
    try:
        with st.session() as s:
            u = set_role(st, name, role, session=s)
            append_audit(st, _actor(as_), "user.set-role", name, {"role": u.role.value}, session=s)
    finally:
        st.close()
    _console().print(f"user {name} now has role {u.role.value}")


# --- sensors --------------------------------------------------------------------------------------------
def _print_key(sensor: str, key: bytes) -> None:
    print(key.hex())  # stdout: the key alone, for scripts
    print(f"key of sensor {sensor}: shown only this once; install it on the node", file=sys.stderr)


@sensors_app.command("add")
@_handled
def sensors_add(
    sensor: Annotated[str, typer.Argument(help="Sensor id.")], store: StoreOpt = DEFAULT_STORE, as_: AsOpt = None
) -> None:
    """Enrol a sensor and print its new HMAC key (hex) once."""
    from borderwatch.store.audit import append_audit
    from borderwatch.store.sensor_keys import add_sensor, sensor_status

    st = _open(store, create=True)
    try:
        with st.session() as s:
            key = add_sensor(st, sensor, session=s)
            append_audit(st, _actor(as_), "sensor.add", sensor, {}, session=s)
        version = sensor_status(st, sensor).key_version
    finally:
        st.close()
    _print_key(sensor, key)
    print(f"sensor {sensor} enrolled (key version {version})", file=sys.stderr)


@sensors_app.command("rotate-key")
@_handled
def sensors_rotate(
    sensor: Annotated[str, typer.Argument(help="Sensor id.")],
    grace_s: Annotated[float, typer.Option("--grace", help="Seconds the old key stays valid.")] = 60.0,
    store: StoreOpt = DEFAULT_STORE,
    as_: AsOpt = None,
) -> None:
    """Give a sensor a new key (printed once); the old one stays valid for --grace seconds."""
    from borderwatch.store.audit import append_audit
    from borderwatch.store.sensor_keys import rotate_key

    st = _open(store)
    try:
        with st.session() as s:
            key = rotate_key(st, sensor, grace_s=grace_s, session=s)
            append_audit(st, _actor(as_), "sensor.rotate-key", sensor, {"grace_s": grace_s}, session=s)
    finally:
        st.close()
    _print_key(sensor, key)


@sensors_app.command("revoke")
@_handled
def sensors_revoke(
    sensor: Annotated[str, typer.Argument(help="Sensor id.")], store: StoreOpt = DEFAULT_STORE, as_: AsOpt = None
) -> None:
    """Revoke every key of a sensor at once; its messages are rejected from now on."""
    from borderwatch.store.audit import append_audit
    from borderwatch.store.sensor_keys import revoke

    st = _open(store)
    try:
        with st.session() as s:
            revoke(st, sensor, session=s)
            append_audit(st, _actor(as_), "sensor.revoke", sensor, {}, session=s)
    finally:
        st.close()
    _console().print(f"sensor {sensor} revoked")


@sensors_app.command("list")
@_handled
def sensors_list(store: StoreOpt = DEFAULT_STORE) -> None:
    """List enrolled sensors with key status and version, and their last report."""
    from rich.table import Table

    from borderwatch.store.health import sensor_health
    from borderwatch.store.sensor_keys import list_sensors

    st = _open(store)
    try:
        sensors = list_sensors(st)
        health = {h.sensor: h for h in sensor_health(st)}
    finally:
        st.close()
    table = Table("sensor", "status", "key version", "key created (UTC)", "last report (UTC)", "reports")
    for s in sensors:
        h = health.get(s.sensor)
        table.add_row(
            s.sensor,
            s.status,
            str(s.key_version),
            _when(s.created),
            _when(h.last_report_t) if h else "",
            str(h.count) if h else "0",
        )
    _console().print(table)


# --- audit ----------------------------------------------------------------------------------------------
@audit_app.command("verify")
@_handled
def audit_verify(store: StoreOpt = DEFAULT_STORE) -> None:
    """Check the audit chain: exit 0 when intact, 1 with one line per problem (naming the seq) when not."""
    from borderwatch.store.audit import verify_audit

    st = _open(store)
    try:
        rep = verify_audit(st)
    finally:
        st.close()
    if rep.ok:
        print(f"audit log intact: {rep.rows} rows, last seq {rep.last_seq}")
        return
    for p in rep.problems:
        print(str(p))
    print(f"audit log NOT intact: {len(rep.problems)} problem(s) in {rep.rows} rows", file=sys.stderr)
    raise typer.Exit(1)


@audit_app.command("show")
@_handled
def audit_show(
    store: StoreOpt = DEFAULT_STORE,
    after: Annotated[int, typer.Option("--after", help="Show rows after this seq.")] = 0,
    limit: Annotated[int, typer.Option("--limit", help="At most this many rows.")] = 100,
) -> None:
    """Print audit rows: seq, time, who, action, subject, details."""
    import json

    from rich.table import Table

    from borderwatch.store.audit import audit_rows

    st = _open(store)
    try:
        rows = audit_rows(st, after_seq=after, limit=limit)
    finally:
        st.close()
    table = Table("seq", "t (UTC)", "actor", "action", "subject", "details")
    for r in rows:
        table.add_row(str(r.seq), _when(r.t), r.actor, r.action, r.subject, json.dumps(r.details, ensure_ascii=False))
    _console().print(table)
