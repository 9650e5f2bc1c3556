"""Persistence of the live operations service: SQLAlchemy 2 models, Alembic migrations, an SQLite file (WAL).

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:
...     store = open_store(pathlib.Path(d) / "borderwatch.db")
...     store.close()

Modules: :mod:`.reports` (raw reports as received), :mod:`.picture` (tracks, alerts, recommendations,
decisions, engagements, history), :mod:`.users` (accounts, roles, tokens), :mod:`.sensor_keys` and
:mod:`.signing` (sensor HMAC keys and the signed envelope), :mod:`.audit` (the HMAC-chained audit log),
:mod:`.health` (sensor last-report times and counts).
"""

from __future__ import annotations

from borderwatch.store.db import Store, StoreError, open_store

__all__ = ["Store", "StoreError", "open_store"]
