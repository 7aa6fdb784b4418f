"""The one DNS seam: a small resolver protocol and its implementations.

Every check that needs DNS takes a ``Resolver``. ``query(name, rdtype)`` returns the answer as
strings: TXT records with their character-strings joined (RFC 7208 §3.3, RFC 6376 §3.6.2.2),
A/AAAA as addresses, MX as ``"PREF host"``, PTR/CNAME/NS as host names (no trailing dot).
It raises ``NXDomain`` when the name does not exist, returns ``[]`` when the name exists but
has no record of that type, and raises ``DnsTempError`` (naming the query) on timeout,
SERVFAIL, a spent budget or offline mode. Implementations: ``FixtureResolver`` (a JSON file or
dict, for tests and ``--dns-fixture``), ``OfflineResolver`` (refuses every query) and the
caching dnspython resolver with per-query timeout and per-message budget.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from .errors import DnsOffline, DnsTempError

RDTYPES = ("TXT", "A", "AAAA", "MX", "PTR", "CNAME", "NS")


class NXDomain(Exception):
    """The queried name does not exist (RCODE 3)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class Resolver(Protocol):
    def query(self, name: str, rdtype: str) -> list[str]: ...


def normalize_name(name: str) -> str:
    return name.strip().rstrip(".").lower()


class FixtureResolver:
    """Answers from data shaped ``{"name": {"TXT": ["..."], "MX": ["10 host"]}}``.

    A name not listed is NXDOMAIN. A name whose value is the string ``"TIMEOUT"``, or a type
    whose value is ``"TIMEOUT"``, times out (as the RFC 7208 suite's zonedata can say).
    ``queries`` records every query made, so tests can prove what was (not) asked.
    """

    def __init__(self, data: Mapping[str, object]) -> None:
        self._data: dict[str, object] = {normalize_name(k): v for k, v in data.items()}
        self.queries: list[tuple[str, str]] = []

    @classmethod
    def from_file(cls, path: str | Path) -> FixtureResolver:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if not isinstance(data, dict):
            raise ValueError("DNS fixture must be a JSON object of names")
        return cls(data)

    def query(self, name: str, rdtype: str) -> list[str]:
        key = normalize_name(name)
        rdtype = rdtype.upper()
        self.queries.append((key, rdtype))
        entry = self._data.get(key)
        if entry is None:
            raise NXDomain(key)
        if entry == "TIMEOUT":
            raise DnsTempError(key, rdtype, "timeout")
        if not isinstance(entry, Mapping):
            raise DnsTempError(key, rdtype, "malformed fixture entry")
        answer = entry.get(rdtype)
        if answer is None:
            return []
        if answer == "TIMEOUT":
            raise DnsTempError(key, rdtype, "timeout")
        if isinstance(answer, str):
            return [answer]
        if isinstance(answer, Sequence):
            return [_join(a) for a in answer]
        raise DnsTempError(key, rdtype, "malformed fixture entry")


def _join(item: object) -> str:
    # A TXT record given as a list of character-strings is one record, joined without spaces.
    if isinstance(item, (list, tuple)):
        return "".join(str(p) for p in item)
    return str(item)


class OfflineResolver:
    """Refuses every query: offline mode sends nothing."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, str]] = []

    def query(self, name: str, rdtype: str) -> list[str]:
        self.queries.append((normalize_name(name), rdtype.upper()))
        raise DnsOffline(normalize_name(name), rdtype.upper(), "offline mode")
