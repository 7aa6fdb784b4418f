"""Shared fixtures for the host's tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from paths import EXAMPLES, LIST_CORPUS, list_mails


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@pytest.fixture(scope="session")
def list_corpus() -> list[tuple[str, bytes]]:
    """The real list mail of ../shared/corpora (name, raw), read once per run; skips, naming
    the archive, where it is absent."""
    mails = list_mails()
    if not mails:
        pytest.skip(f"list corpus absent ({LIST_CORPUS})")
    return mails
