"""Fixtures of the border-events tests: the shipped theatre and its sections."""

from __future__ import annotations

import pytest

from borderwatch.crossings.sections import Sections, load_sections
from borderwatch.theatre import load_theatre


@pytest.fixture(scope="session")
def secs() -> Sections:
    return load_sections(load_theatre("latvia-east"))
