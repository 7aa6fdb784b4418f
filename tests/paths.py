"""Where the tests find the repository's examples and the shared conformance suites."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SHARED_TESTSUITES = ROOT.parent / "shared" / "testsuites"


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()
