"""Shared fixtures for the host's tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from paths import EXAMPLES


@pytest.fixture
def examples() -> Path:
    return EXAMPLES
