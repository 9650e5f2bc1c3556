"""Fixtures for the live service: a real SQLite store, users of each role, registered sensors, the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serverkit import Env, make_env


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return make_env(tmp_path)


@pytest.fixture
def client(env: Env) -> Iterator[Any]:
    """The app without an engine (ingest checks the report contract only)."""
    from fastapi.testclient import TestClient

    from borderwatch.server import Settings, create_app

    app = create_app(Settings(store=env.db, clock=env.clock, run_engine=False))
    with TestClient(app) as c:
        yield c
