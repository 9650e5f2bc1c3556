"""Fixtures for the store tests: a fresh SQLite store file in tmp_path (no mocks)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from borderwatch.store import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    st = open_store(tmp_path / "borderwatch.db")
    yield st
    st.close()
