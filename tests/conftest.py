"""Shared fixtures. Data that lives only in ../shared is found beside the repository; tests skip without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    env = os.environ.get("BORDERWATCH_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "data", REPO.parent.parent / "shared" / "data"]
    for c in candidates:
        if c.is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    d = shared_data_dir()
    if d is None:
        pytest.skip("../shared/data is absent (set BORDERWATCH_SHARED_DATA to run this test)")
    return d


@pytest.fixture(scope="session")
def theatre():  # type: ignore[no-untyped-def]
    from borderwatch.theatre import load_theatre

    return load_theatre()
