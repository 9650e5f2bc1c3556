"""open_store: migrations, pragmas, the audit key file, models and migrations agreeing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from borderwatch.store import Store, StoreError, open_store
from borderwatch.store.audit import append_audit
from borderwatch.store.models import Base


def test_models_and_migrations_agree(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_every_model_table_is_created(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_pragmas(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert (conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) > 0


def test_reopen_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    open_store(db).close()
    st = open_store(f"sqlite:///{db}")
    with st.engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    st.close()
    assert len(versions) == 1


def test_audit_key_file_is_private_and_stable(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    st = open_store(db)
    key = st.audit_key
    st.close()
    key_file = tmp_path / "b.db.audit-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    st = open_store(db)
    assert st.audit_key == key
    assert len(key) >= 32
    st.close()


def test_missing_key_with_audit_rows_refuses_to_open(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    st = open_store(db)
    append_audit(st, "admin", "test", "x", {})
    st.close()
    (tmp_path / "b.db.audit-key").unlink()
    with pytest.raises(StoreError, match="audit key is missing"):
        open_store(db)


def test_world_readable_key_refused(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    open_store(db).close()
    os.chmod(tmp_path / "b.db.audit-key", 0o644)
    with pytest.raises(StoreError, match="chmod 600"):
        open_store(db)


def test_memory_database_refused() -> None:
    with pytest.raises(StoreError, match="in-memory"):
        open_store("sqlite:///:memory:")


def test_session_rolls_back_on_error(store: Store) -> None:
    from borderwatch.store.models import SensorHealth

    with pytest.raises(RuntimeError), store.session() as s:
        s.add(SensorHealth(sensor="x", last_report_t=1.0, count=1))
        s.flush()
        raise RuntimeError("boom")
    with store.session(readonly=True) as s:
        assert s.get(SensorHealth, "x") is None


def test_downgrade_and_upgrade_again(store: Store) -> None:
    from alembic import command
    from alembic.config import Config

    from borderwatch.store.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert set(Base.metadata.tables) <= set(inspect(store.engine).get_table_names())


def test_reader_is_not_blocked_by_an_open_write_transaction(store: Store) -> None:
    from sqlalchemy import func, select

    from borderwatch.store.models import SensorHealth

    with store.session() as w:
        w.add(SensorHealth(sensor="x", last_report_t=1.0, count=1))
        w.flush()  # the writer holds SQLite's write lock until the block ends
        # a reader that asked for the write lock (BEGIN IMMEDIATE) would fail here with "database is locked"
        # after the busy timeout; a deferred reader reads the last committed state at once
        with store.session(readonly=True) as r:
            n = r.scalar(select(func.count()).select_from(SensorHealth))
    assert n == 0


def test_unknown_schema_version_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    st = open_store(db)
    with st.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    st.close()
    with pytest.raises(StoreError, match="newer borderwatch"):
        open_store(db)


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    db.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StoreError, match="not a usable database"):
        open_store(db)


def test_repr_does_not_show_the_audit_key(store: Store) -> None:
    assert store.audit_key.hex() not in repr(store) and repr(store.audit_key) not in repr(store)
    assert store.url in repr(store)
