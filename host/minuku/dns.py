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
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .errors import DnsBudgetExceeded, DnsOffline, DnsTempError

# SPF (type 99) is obsolete (RFC 7208 §3.1) but the RFC 7208 suite's zonedata still uses it.
RDTYPES = ("TXT", "A", "AAAA", "MX", "PTR", "CNAME", "NS", "SPF")
_MAX_CNAME_CHAIN = 8


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
            raise ValueError("DNS fixture must be a JSON object of names")  # noqa: TRY004
        return cls(data)

    def query(self, name: str, rdtype: str) -> list[str]:
        key = normalize_name(name)
        rdtype = rdtype.upper()
        self.queries.append((key, rdtype))
        seen: list[str] = []
        while True:
            entry = self._data.get(key)
            if entry is None:
                raise NXDomain(key)
            if entry == "TIMEOUT":
                raise DnsTempError(key, rdtype, "timeout")
            if not isinstance(entry, Mapping):
                raise DnsTempError(key, rdtype, "malformed fixture entry")
            answer = entry.get(rdtype)
            cname = entry.get("CNAME")
            # A recursive resolver follows a CNAME for every other type; so does the fixture.
            if answer is None and rdtype != "CNAME" and cname is not None:
                target = cname[0] if isinstance(cname, list) and cname else cname
                if not isinstance(target, str):
                    raise DnsTempError(key, rdtype, "malformed fixture entry")
                seen.append(key)
                key = normalize_name(target)
                if key in seen or len(seen) > _MAX_CNAME_CHAIN:
                    raise DnsTempError(normalize_name(name), rdtype, "CNAME loop")
                continue
            break
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


# ---------------------------------------------------------------------------------------------
# The caching dnspython resolver


@dataclass(frozen=True)
class RawAnswer:
    """What one upstream lookup gave: the records, how long they may be cached, NXDOMAIN."""

    records: tuple[str, ...]
    ttl: float
    nxdomain: bool = False


# (name, rdtype, timeout seconds) -> RawAnswer; raises DnsTempError. The seam below dnspython,
# so tests of caching and timeouts need no network.
LookupFn = Callable[[str, str, float], RawAnswer]

_MAX_TTL = 86400.0
_DEFAULT_NEGATIVE_TTL = 60.0
_MAX_NEGATIVE_TTL = 3600.0


class DnspythonResolver:
    """The production resolver: dnspython underneath, a TTL-respecting cache on top.

    One instance lives as long as the host and is shared by every check. Positive answers are
    cached for their TTL, NXDOMAIN/NODATA for min(SOA TTL, SOA MINIMUM) (RFC 2308 §5) or
    ``negative_ttl`` when the SOA is missing; failures are not cached. Each query has its own
    timeout. ``nameservers=None`` uses the system configuration, read on the first query: a
    missing or unreadable /etc/resolv.conf makes queries fail with ``DnsTempError``, never the
    constructor. Names that cannot be encoded as DNS names (a label over 63 octets, an invalid
    IDN) cannot exist, so they answer NXDOMAIN without a query.
    """

    def __init__(
        self,
        nameservers: list[str] | None = None,
        timeout: float = 2.0,
        *,
        lookup: LookupFn | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 4096,
        negative_ttl: float = _DEFAULT_NEGATIVE_TTL,
        resolv_conf: str = "/etc/resolv.conf",
    ) -> None:
        self.resolv_conf = resolv_conf
        self.nameservers = list(nameservers) if nameservers is not None else None
        self.timeout = timeout
        self._lookup = lookup
        self._clock = clock
        self._max_entries = max_entries
        self._negative_ttl = negative_ttl
        self._cache: dict[tuple[str, str], tuple[float, RawAnswer]] = {}
        self._lock = threading.Lock()
        self.upstream_queries = 0  # queries that missed the cache

    def query(self, name: str, rdtype: str) -> list[str]:
        key = (normalize_name(name), rdtype.upper())
        now = self._clock()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                return _answer(key, hit[1])
        if self._lookup is None:
            self._lookup = _DnspythonLookup(self.nameservers, self._negative_ttl, self.resolv_conf)
        self.upstream_queries += 1
        raw = self._lookup(key[0], key[1], self.timeout)
        ttl = min(max(raw.ttl, 0.0), _MAX_TTL)
        if ttl > 0:
            with self._lock:
                if len(self._cache) >= self._max_entries:
                    self._evict(now)
                self._cache[key] = (self._clock() + ttl, raw)
        return _answer(key, raw)

    def _evict(self, now: float) -> None:
        expired = [k for k, (exp, _) in self._cache.items() if exp <= now]
        for k in expired:
            del self._cache[k]
        # Still full: drop the oldest insertions (dicts keep insertion order).
        excess = len(self._cache) - self._max_entries + 1
        for k in list(self._cache)[: max(excess, 0)]:
            del self._cache[k]

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def _answer(key: tuple[str, str], raw: RawAnswer) -> list[str]:
    if raw.nxdomain:
        raise NXDomain(key[0])
    return list(raw.records)


class _DnspythonLookup:
    """The default LookupFn: one dnspython Resolver, created on first use."""

    def __init__(
        self, nameservers: list[str] | None, negative_ttl: float, resolv_conf: str
    ) -> None:
        self._resolv_conf = resolv_conf
        self._nameservers = nameservers
        self._negative_ttl = negative_ttl
        self._resolver: Any = None

    def _get_resolver(self, name: str, rdtype: str) -> Any:
        if self._resolver is not None:
            return self._resolver
        import dns.resolver  # lazily: importing dnspython costs start-up time

        try:
            if self._nameservers is not None:
                res = dns.resolver.Resolver(configure=False)
                res.nameservers = list(self._nameservers)
            else:
                res = dns.resolver.Resolver(filename=self._resolv_conf)
        except (dns.exception.DNSException, OSError, ValueError) as exc:
            raise DnsTempError(name, rdtype, f"no resolver configuration ({exc})") from None
        # dnspython's own cache stays off: ours is the one with negative caching and a clock seam.
        self._resolver = res
        return res

    def __call__(self, name: str, rdtype: str, timeout: float) -> RawAnswer:
        import dns.exception
        import dns.name
        import dns.rdatatype
        import dns.resolver

        res = self._get_resolver(name, rdtype)
        try:
            qname = dns.name.from_text(name)
        except (dns.exception.DNSException, UnicodeError, ValueError):
            return RawAnswer((), self._negative_ttl, nxdomain=True)
        try:
            rtype = dns.rdatatype.from_text(rdtype)
        except (dns.exception.DNSException, ValueError):
            raise DnsTempError(name, rdtype, "unsupported record type") from None
        try:
            ans = res.resolve(
                qname, rtype, lifetime=timeout, raise_on_no_answer=False, search=False
            )
        except dns.resolver.NXDOMAIN as exc:
            return RawAnswer((), self._soa_ttl(_nx_response(exc, qname)), nxdomain=True)
        except dns.exception.Timeout:
            raise DnsTempError(name, rdtype, "timeout") from None
        except dns.resolver.NoNameservers:
            raise DnsTempError(name, rdtype, "SERVFAIL (no server answered)") from None
        except dns.resolver.NoResolverConfiguration as exc:
            raise DnsTempError(name, rdtype, f"no resolver configuration ({exc})") from None
        except (dns.exception.DNSException, OSError, ValueError) as exc:
            raise DnsTempError(name, rdtype, f"{type(exc).__name__}: {exc}") from None
        if ans.rrset is None:
            return RawAnswer((), self._soa_ttl(ans.response))
        records = tuple(_rdata_text(r, rdtype) for r in ans.rrset)
        return RawAnswer(records, float(ans.rrset.ttl))

    def _soa_ttl(self, response: Any) -> float:
        import dns.rdatatype

        for rrset in getattr(response, "authority", None) or ():
            if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
                return float(min(rrset.ttl, rrset[0].minimum, _MAX_NEGATIVE_TTL))
        return self._negative_ttl


def _nx_response(exc: Any, qname: Any) -> Any:
    try:
        responses = exc.responses()
        return responses.get(qname) or next(iter(responses.values()), None)
    except Exception:  # noqa: BLE001 - dnspython internals; fall back to the default TTL
        return None


def _rdata_text(rdata: Any, rdtype: str) -> str:
    if rdtype in ("TXT", "SPF"):
        # Character-strings are joined without separator (RFC 7208 §3.3, RFC 6376 §3.6.2.2);
        # bytes that are not UTF-8 stay visible as U+FFFD rather than failing the query.
        return b"".join(rdata.strings).decode("utf-8", "replace")
    if rdtype in ("A", "AAAA"):
        return str(rdata.address)
    if rdtype == "MX":
        host = rdata.exchange.to_text(omit_final_dot=True)
        return f"{rdata.preference} {'.' if host == '@' else host}"
    if rdtype in ("PTR", "CNAME", "NS"):
        return str(rdata.target.to_text(omit_final_dot=True))
    return str(rdata.to_text())


# ---------------------------------------------------------------------------------------------
# The per-message budget


class BudgetResolver:
    """Wraps a resolver for ONE message: counts queries, records failures, enforces a budget.

    The budget is the time spent waiting on the inner resolver (cache hits cost ~0). Once it
    is spent, every further query raises ``DnsBudgetExceeded`` without reaching the inner
    resolver. A query already under way may overshoot the budget by at most the inner
    resolver's per-query timeout.
    """

    def __init__(
        self,
        inner: Resolver,
        budget_s: float = 4.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.budget_s = budget_s
        self._clock = clock
        self.spent_s = 0.0
        self.queries = 0  # sent to the inner resolver
        self.refused = 0  # not sent because the budget was spent
        self.failures: list[str] = []

    @property
    def exhausted(self) -> bool:
        return self.spent_s >= self.budget_s

    def query(self, name: str, rdtype: str) -> list[str]:
        key, rtype = normalize_name(name), rdtype.upper()
        if self.exhausted:
            self.refused += 1
            self.failures.append(f"{rtype} {key}: DNS budget spent, not sent")
            raise DnsBudgetExceeded(
                key, rtype, f"DNS budget of {self.budget_s:g} s spent, query not sent"
            )
        self.queries += 1
        start = self._clock()
        try:
            return self.inner.query(name, rdtype)
        except DnsTempError as exc:
            self.failures.append(str(exc))
            raise
        finally:
            self.spent_s += max(self._clock() - start, 0.0)
