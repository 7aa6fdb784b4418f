"""Shared test helpers: paths to the examples and to the shared conformance suites."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SHARED_TESTSUITES = ROOT.parent / "shared" / "testsuites"


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()
