"""Opening the store: engine, SQLite pragmas, migrations, the audit key.

The embedded default is an SQLite file in WAL mode with ``synchronous=FULL`` (a commit is on disk when it
returns), ``foreign_keys=ON`` and a ``busy_timeout``. Write transactions start with ``BEGIN IMMEDIATE`` so
that a transaction which reads before it writes (the audit chain's head) holds the write lock from its first
statement; read sessions start with a plain ``BEGIN`` and never block writers (WAL).
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from borderwatch.errors import BorderwatchError, InputError

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 10_000
_BEGIN = "borderwatch_begin"


class JsonText(str):
    """JSON text already serialised (and checked); a JSON column stores it as is instead of encoding it again."""


def _json_serializer(value: Any) -> str:
    return value if isinstance(value, JsonText) else json.dumps(value, ensure_ascii=False)


class StoreError(BorderwatchError):
    """The store cannot be opened or used as asked (missing audit key, bad URL, ...)."""


@dataclass(slots=True)
class Store:
    """An open operations store. Use :meth:`session` for transactions and :meth:`close` when done."""

    url: str
    engine: Engine = field(repr=False)
    audit_key: bytes = field(repr=False)  # never in logs or tracebacks
    path: Path | None  # the SQLite file, None for other databases
    audit_head_path: Path | None = field(repr=False)
    _writer: sessionmaker[Session] = field(repr=False)
    _reader: sessionmaker[Session] = field(repr=False)
    features: dict[str, bool] = field(default_factory=dict, repr=False)  # what the database has (cached answers)

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on an exception.

        ``readonly=True`` starts a deferred transaction that never takes SQLite's write lock (use it for
        queries); the default takes the write lock at the first statement. Do not open a second write
        session while one is open in the same thread: it waits for the first until the busy timeout (10 s)
        and fails; pass ``session=`` to the store functions instead.
        """
        maker = self._reader if readonly else self._writer
        with maker() as s, s.begin():
            yield s

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()


def sqlite_url(url_or_path: str | Path) -> str:
    """A SQLAlchemy URL from a URL or a plain file path (``borderwatch.db`` -> ``sqlite:///borderwatch.db``).

    ``postgresql://`` (and ``postgres://``) mean the psycopg 3 driver (``postgresql+psycopg://``).
    """
    s = str(url_or_path)
    for plain in ("postgresql://", "postgres://"):
        if s.startswith(plain):
            return "postgresql+psycopg://" + s[len(plain) :]
    return s if "://" in s else f"sqlite:///{Path(s)}"


def default_audit_key_path(url: str) -> Path | None:
    """Where the audit key of a non-SQLite store lives by default: ``$BORDERWATCH_AUDIT_KEY``, else
    ``./<database>.audit-key`` (every process of a deployment must read the same key)."""
    env = os.environ.get("BORDERWATCH_AUDIT_KEY")
    if env:
        return Path(env)
    db = make_url(url).database
    return Path(f"{db}.audit-key") if db else None


def open_store(url_or_path: str | Path, *, audit_key_path: Path | None = None) -> Store:
    """Open (creating and migrating to the newest schema) the store at a path or URL.

    Parameters
    ----------
    url_or_path
        ``path/to/borderwatch.db``, ``sqlite:///path/to/borderwatch.db`` or ``postgresql://user@host/db``
        (psycopg 3; migration 0002 partitions the big tables and adds PostGIS where the server has it).
    audit_key_path
        Where the audit HMAC key lives; default ``<db>.audit-key`` beside an SQLite file, else
        :func:`default_audit_key_path`. Created with mode 0600 on first open.
    """
    url = sqlite_url(url_or_path)
    parsed = make_url(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    path: Path | None = None
    if is_sqlite:
        if not parsed.database or parsed.database == ":memory:":
            raise StoreError(f"{url}: the store needs an SQLite file (an in-memory database is not durable)")
        path = Path(parsed.database)
        if not path.parent.exists():
            raise InputError(f"folder {path.parent} does not exist", source=str(path))
    key_path = audit_key_path or (path.with_name(path.name + ".audit-key") if path else default_audit_key_path(url))
    if key_path is None:
        raise StoreError(f"{url}: give audit_key_path for a store that is not an SQLite file")
    engine = _engine(url, is_sqlite=is_sqlite)
    try:
        _migrate(engine)
        key = _audit_key(engine, key_path)
        if engine.dialect.name == "postgresql":
            from borderwatch.store.postgres import ensure_current_partitions

            ensure_current_partitions(engine)
    except BaseException:
        engine.dispose()
        raise
    writer = sessionmaker(engine, expire_on_commit=False)
    reader = sessionmaker(engine.execution_options(**{_BEGIN: "DEFERRED"}), expire_on_commit=False)
    head = key_path.with_name(key_path.name.removesuffix(".audit-key") + ".audit-head")
    store = Store(url, engine, key, path, head, writer, reader)
    from borderwatch.store import audit

    event.listen(writer, "after_commit", lambda s: audit.on_commit(store, s))
    event.listen(writer, "after_soft_rollback", lambda s, _prev: audit.on_rollback(s))
    return store


def _engine(url: str, *, is_sqlite: bool) -> Engine:
    if not is_sqlite:
        return create_engine(url, pool_pre_ping=True, json_serializer=_json_serializer)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        json_serializer=_json_serializer,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(_BEGIN, "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _migrate(engine: Engine) -> None:
    """Upgrade the database to the newest migration shipped in ``store/migrations``.

    StoreError for a file that is not a database, or a schema newer than this version of borderwatch knows.
    """
    from alembic import command
    from alembic.config import Config
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import DatabaseError

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # processes of a deployment starting at once migrate one by one
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(1651968525)")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except CommandError as exc:
        raise StoreError(f"{where}: cannot migrate the schema ({exc}); is it from a newer borderwatch?") from None
    except DatabaseError as exc:
        raise StoreError(f"{where}: not a usable database ({exc.orig})") from None


def _audit_key(engine: Engine, key_path: Path) -> bytes:
    """Read the audit key, creating it (mode 0600) when the audit log is still empty."""
    from borderwatch.store.models import AuditRow

    if key_path.exists():
        mode = stat.S_IMODE(key_path.stat().st_mode)
        if mode & 0o077:
            raise StoreError(f"{key_path}: the audit key is readable by others (mode {mode:o}); chmod 600 it")
        text = key_path.read_text(encoding="ascii").strip()
        try:
            key = bytes.fromhex(text)
        except ValueError:
            raise StoreError(f"{key_path}: the audit key is not hex") from None
        if len(key) < 32:
            raise StoreError(f"{key_path}: the audit key is shorter than 32 bytes")
        return key
    with Session(engine) as s:
        n = s.scalar(select(func.count()).select_from(AuditRow)) if inspect(engine).has_table("audit") else 0
    if n:
        raise StoreError(
            f"{key_path}: the audit key is missing but the audit log has {n} rows; restore the key file "
            "(the log can be neither verified nor extended without it)"
        )
    tmp = key_path.with_name(f"{key_path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secrets.token_hex(32).encode("ascii") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, key_path)  # atomic; fails if another process created the key first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return _audit_key(engine, key_path)
