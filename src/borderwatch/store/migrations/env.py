"""Alembic environment of the store; run programmatically by ``open_store`` (a connection is passed in)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from borderwatch.store.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    """Run the migrations on the connection given by ``open_store`` (or on ``sqlalchemy.url``)."""
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _run_on(conn)
        engine.dispose()
    else:
        _run_on(connection)


def _run_on(connection: object) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)  # type: ignore[arg-type]
    with context.begin_transaction():
        context.run_migrations()


run()
