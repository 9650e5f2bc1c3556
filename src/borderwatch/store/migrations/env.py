"""Alembic environment of the store; run programmatically by ``open_store`` (a connection is passed in).

Importing this module outside an Alembic run (pytest's doctest collection does) does nothing.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.config import Config
from sqlalchemy import create_engine

from borderwatch.store.models import Base


def run(config: Config) -> None:
    """Run the migrations on the connection given by ``open_store`` (or on ``sqlalchemy.url``)."""
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _run_on(conn)
        engine.dispose()
    else:
        _run_on(connection)


def _run_on(connection: Any) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


try:
    _config: Config | None = context.config
except AttributeError:  # imported outside an Alembic run
    _config = None
if _config is not None:
    run(_config)
