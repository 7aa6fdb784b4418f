"""Findings: what a check noticed, as a stable code, a severity and evidence.

Codes are the contract with tests, the locale catalogue and the add-on; words are rendered
later by ``banner`` from ``data/locales/*.json``. ``params`` fill the placeholders there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    """Ordered so that max() picks the worst."""

    INFO = 0
    CAUTION = 1
    WARNING = 2
    DANGER = 3


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    params: dict[str, str] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()
    brand: str | None = None
