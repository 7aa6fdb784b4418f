"""The adapter between Minuku's one DNS seam (``minuku.dns.Resolver``) and dkimpy.

dkimpy looks keys up through ``dnsfunc(name: bytes, timeout=...) -> bytes | None`` (RFC 6376
§3.6.2: the TXT record at ``selector._domainkey.domain``). ``KeyLookup`` is that function over
a ``Resolver``; it also keeps what happened (queries sent, temporary failures), because dkimpy
swallows ``DnsTimeoutError`` into a plain ``False`` and the caller must still be able to say
``temperror`` rather than ``fail``. ``lookup_key`` is the same lookup with its outcome
classified (found / no key / DNS error / bad name) for callers that fetch the key themselves.

Deviation: when a name holds several TXT records, RFC 6376 §3.6.2.2 leaves the result undefined;
we hand every record to the caller (``lookup_key``) and dkimpy the first one (``KeyLookup``),
as dkimpy's own dnspython plug-in does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import dkim

from ..dns import NXDomain, Resolver
from ..errors import DnsBudgetExceeded, DnsOffline, DnsTempError

# RFC 1035 §2.3.4 limits; selectors may contain dots (RFC 6376 §3.1) and underscores appear in
# real selectors, so labels are checked for length and for bytes that can never be in a name.
_BAD_NAME_CHARS = re.compile(r"[\x00-\x20\x7f;()<>\[\]\\,\"@]")


@dataclass(frozen=True)
class KeyAnswer:
    """The outcome of one key lookup.

    status: ``found`` (records non-empty), ``no_key`` (NXDOMAIN or no TXT), ``dns_error``
    (timeout, SERVFAIL), ``offline`` / ``budget`` (the query was not sent: offline resolver,
    per-message DNS budget spent), ``bad_name`` (the name cannot be queried at all).
    """

    name: str
    status: str
    records: tuple[str, ...] = ()
    error: str = ""


def key_name(selector: str, domain: str) -> str:
    return f"{selector}._domainkey.{domain}".rstrip(".")


def valid_query_name(name: str) -> bool:
    if not name or len(name) > 253 or _BAD_NAME_CHARS.search(name):
        return False
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        # d= must be A-labels on the wire (RFC 6376 §3.5 with RFC 8616); we do not convert.
        return False
    return all(0 < len(label) <= 63 for label in name.split("."))


def lookup_key(resolver: Resolver, name: str) -> KeyAnswer:
    """Query the TXT records at ``name`` and classify the answer; never raises."""
    name = name.rstrip(".")
    if not valid_query_name(name):
        return KeyAnswer(name, "bad_name", error="not a valid DNS name")
    try:
        records = resolver.query(name, "TXT")
    except NXDomain:
        return KeyAnswer(name, "no_key", error="NXDOMAIN")
    except DnsOffline as exc:
        return KeyAnswer(name, "offline", error=exc.reason)
    except DnsBudgetExceeded as exc:
        return KeyAnswer(name, "budget", error=exc.reason)
    except DnsTempError as exc:
        return KeyAnswer(name, "dns_error", error=exc.reason or str(exc))
    except Exception as exc:  # noqa: BLE001 - a resolver bug must not crash a check
        return KeyAnswer(name, "dns_error", error=f"{type(exc).__name__}: {exc}")
    records = [r for r in records if isinstance(r, str)]
    if not records:
        return KeyAnswer(name, "no_key", error="no TXT record")
    return KeyAnswer(name, "found", tuple(records))


@dataclass
class KeyLookup:
    """A dkimpy ``dnsfunc`` over a ``Resolver`` that remembers what went wrong."""

    resolver: Resolver
    answers: list[KeyAnswer] = field(default_factory=list)

    @property
    def temp_errors(self) -> list[KeyAnswer]:
        return [a for a in self.answers if a.status == "dns_error"]

    @property
    def not_sent(self) -> list[KeyAnswer]:
        """Lookups refused before any query (offline, budget spent)."""
        return [a for a in self.answers if a.status in ("offline", "budget")]

    def __call__(self, name: bytes, timeout: float = 5) -> bytes | None:
        # dkimpy passes the name as bytes with a trailing dot; ``timeout`` is the resolver's
        # business (it has its own per-query timeout and per-message budget).
        try:
            text = name.decode("ascii")
        except UnicodeDecodeError:
            self.answers.append(KeyAnswer(repr(name), "bad_name", error="non-ASCII name"))
            return None
        answer = lookup_key(self.resolver, text)
        self.answers.append(answer)
        if answer.status in ("dns_error", "offline", "budget"):
            raise dkim.DnsTimeoutError(f"TXT {answer.name}: {answer.error}")
        if answer.status != "found":
            return None
        return answer.records[0].encode("utf-8")
