"""Fixtures for the live service: a real SQLite store, users of each role, registered sensors, the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serverkit import Env, Template, make_env, make_template


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # starlette's TestClient announces a future move to httpx2; not ours to act on
    for it in items:
        it.add_marker(pytest.mark.filterwarnings("ignore:Using `httpx`"))


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("store-template"))


@pytest.fixture
def env(tmp_path: Path, template: Template) -> Env:
    return make_env(tmp_path, template)


@pytest.fixture
def client(env: Env) -> Iterator[Any]:
    """The app without an engine (ingest checks the report contract only)."""
    from fastapi.testclient import TestClient

    from borderwatch.server import Settings, create_app

    app = create_app(Settings(store=env.db, clock=env.clock, run_engine=False))
    with TestClient(app) as c:
        yield c
