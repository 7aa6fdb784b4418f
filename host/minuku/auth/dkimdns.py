"""The adapter between Minuku's one DNS seam (``minuku.dns.Resolver``) and dkimpy.

Keys are TXT records at ``selector._domainkey.domain`` (RFC 6376 §3.6.2). ``lookup_key``
fetches one through a ``Resolver`` and classifies the outcome (found / no key / DNS error /
bad name), so the caller can say ``temperror`` rather than ``fail``; the DKIM and ARC
verifiers fetch keys themselves with it.

Deviation: when a name holds several TXT records, RFC 6376 §3.6.2.2 leaves the result undefined;
we hand every record to the caller, which uses the first one that parses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..dns import NXDomain, Resolver
from ..dnspolicy import SenderLookupSkipped
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
    except SenderLookupSkipped as exc:  # a name the sender controls, left out on purpose
        return KeyAnswer(name, "skipped", error=exc.reason)
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
