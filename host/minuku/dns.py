"""The one DNS seam: a small resolver protocol and its implementations.

Every check that needs DNS takes a ``Resolver``. ``query(name, rdtype)`` returns the answer as
strings: TXT records with their character-strings joined (RFC 7208 §3.3, RFC 6376 §3.6.2.2),
A/AAAA as addresses, MX as ``"PREF host"``, PTR/CNAME/NS as host names (no trailing dot).
It raises ``NXDomain`` when the name does not exist, returns ``[]`` when the name exists but
has no record of that type, and raises ``DnsTempError`` (naming the query) on timeout,
SERVFAIL, a spent budget or offline mode. Implementations: ``FixtureResolver`` (a JSON file or
dict, for tests and ``--dns-fixture``), ``OfflineResolver`` (refuses every query) and the
caching dnspython resolver with per-query timeout (``DnspythonResolver``, one per nameserver
list: ``resolver_for``).

Resolver health (shared across messages, ``ResolverHealth``): a resolver that times out,
SERVFAILs or REFUSEs is confirmed dead with one "liveness" canary query and then fails fast
(``ResolverFailing``) for a cool-down, after which one probe is let through (a circuit
breaker). A resolver that answers NXDOMAIN for a canary name that must exist is "lying": its
NXDOMAIN answers become ``ResolverLying`` (a temporary error), never a DKIM "no key" or "no
DMARC record". Canary names come from ``data/dns_canaries.json`` and reveal nothing about the
mail being checked.

Per message, ``BudgetResolver`` enforces a wall-clock budget, memoises every answer and error,
and can ``prefetch`` independent names concurrently so the serial checks that follow find them
answered.
"""

from __future__ import annotations

import ipaddress
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from .errors import (
    DnsBudgetExceeded,
    DnsOffline,
    DnsTempError,
    ResolverFailing,
    ResolverLying,
)

# SPF (type 99) is obsolete (RFC 7208 §3.1) but the RFC 7208 suite's zonedata still uses it.
RDTYPES = ("TXT", "A", "AAAA", "MX", "PTR", "CNAME", "NS", "SPF")
_MAX_CNAME_CHAIN = 8

# Per-query timeout: a silent resolver costs one timeout plus one liveness canary (~2 s), which
# fits the per-message budget of 2.5 s; later messages fail fast.
DEFAULT_TIMEOUT_S = 1.0
DEFAULT_BUDGET_S = 2.5


class NXDomain(Exception):
    """The queried name does not exist (RCODE 3)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class Resolver(Protocol):
    def query(self, name: str, rdtype: str) -> list[str]: ...


def normalize_name(name: str) -> str:
    return name.strip().rstrip(".").lower()


# ---------------------------------------------------------------------------------------------
# Nameserver addresses


def parse_nameserver(text: str) -> tuple[str, int]:
    """``IP``, ``IP:PORT``, ``IPv6`` or ``[IPv6]:PORT`` → (address, port); ValueError if not."""
    t = text.strip()
    port = 53
    if t.startswith("["):
        addr, sep, rest = t[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"not a nameserver address: {text!r}")
        if rest:
            port = _port(rest[1:], text)
    elif t.count(":") == 1:
        addr, _, p = t.partition(":")
        port = _port(p, text)
    else:
        addr = t
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        raise ValueError(f"not an IP address: {text!r} (use IP or IP:PORT)") from None
    return str(ip), port


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"not a port: {whole!r}")
    return int(text)


def format_nameserver(addr: str, port: int) -> str:
    host = f"[{addr}]" if ":" in addr else addr
    return host if port == 53 else f"{host}:{port}"


# ---------------------------------------------------------------------------------------------
# Resolver health, shared across messages


@dataclass(frozen=True)
class Canary:
    rdtype: str
    name: str


@dataclass(frozen=True)
class Canaries:
    liveness: Canary | None
    existence: tuple[Canary, ...]

    def for_type(self, rdtype: str) -> Canary | None:
        for c in self.existence:
            if c.rdtype == rdtype:
                return c
        return self.existence[0] if self.existence else None


NO_CANARIES = Canaries(None, ())


@cache
def default_canaries() -> Canaries:
    text = resources.files("minuku").joinpath("data/dns_canaries.json").read_text("utf-8")
    data = json.loads(text)

    def canary(item: Mapping[str, str]) -> Canary:
        return Canary(item["type"].upper(), normalize_name(item["name"]))

    return Canaries(canary(data["liveness"]), tuple(canary(c) for c in data["existence"]))


# (name, rdtype) -> True if the name exists (records or NODATA), False on NXDOMAIN; raises
# DnsTempError. Canary queries go straight upstream: a cached answer proves nothing now.
ProbeFn = Callable[[str, str], bool]


class ResolverHealth:
    """What we know about one resolver: ``ok``, ``failing`` or ``lying``; thread-safe.

    Failing: an upstream failure (timeout, SERVFAIL, REFUSED, no configuration) is confirmed
    with the liveness canary, unless the resolver answered something in the last
    ``alive_window_s`` (then the queried domain's own servers are at fault, as a hostile mail
    can arrange: it must not switch DNS off for the next mails). A failed canary opens the
    circuit for ``cooldown_s``: queries raise ``ResolverFailing`` at once. The first query
    after the cool-down re-asks the canary (the others keep failing fast meanwhile). Without a
    liveness canary, ``streak_limit`` consecutive failures open the circuit.

    Lying: when an NXDOMAIN is about to be returned, the existence canary of that type is asked
    (its verdict is kept ``canary_ttl_s``); NXDOMAIN for the canary makes the resolver lying.
    """

    def __init__(
        self,
        probe: ProbeFn,
        canaries: Canaries = NO_CANARIES,
        *,
        clock: Callable[[], float] = time.monotonic,
        cooldown_s: float = 60.0,
        canary_ttl_s: float = 300.0,
        alive_window_s: float = 10.0,
        streak_limit: int = 3,
        label: str = "the resolver",
    ) -> None:
        self._probe = probe
        self.canaries = canaries
        self._clock = clock
        self.cooldown_s = cooldown_s
        self.canary_ttl_s = canary_ttl_s
        self.alive_window_s = alive_window_s
        self.streak_limit = streak_limit
        self.label = label
        self._lock = threading.Lock()
        self._lie_lock = threading.Lock()  # one existence check at a time; others wait for it
        self._failing_until: float | None = None
        self._failing_reason = ""
        self._probing = False  # a liveness check (confirmation or half-open probe) is running
        self._streak = 0
        self._alive_at: float | None = None
        self._lies: dict[str, tuple[float, str | None]] = {}  # canary rdtype -> (when, lie)
        self.canary_queries = 0

    # -- state

    def state(self) -> tuple[str, str]:
        with self._lock:
            if self._failing_until is not None:
                left = self._failing_until - self._clock()
                when = f"; asking again in {left:.0f} s" if left > 0 else ""
                return "failing", f"{self.label} is failing ({self._failing_reason}){when}"
            now = self._clock()
            for checked_at, lie in self._lies.values():
                if lie is not None and now - checked_at < self.canary_ttl_s:
                    return "lying", lie
        return "ok", ""

    # -- failing

    def gate(self, name: str, rdtype: str) -> None:
        """Before an upstream query: raise ``ResolverFailing`` while the circuit is open."""
        with self._lock:
            if self._failing_until is None:
                return
            if self._clock() < self._failing_until or self._probing:
                raise ResolverFailing(name, rdtype, self._fast_fail_reason())
            if self.canaries.liveness is None:
                self._probing = True  # this query is the probe; record_* closes or reopens
                return
            self._probing = True
        if not self._confirm_alive(None):
            with self._lock:
                raise ResolverFailing(name, rdtype, self._fast_fail_reason())

    def _fast_fail_reason(self) -> str:
        return f"{self.label} failing ({self._failing_reason}); not asked"

    def record_success(self) -> None:
        with self._lock:
            self._streak = 0
            self._alive_at = self._clock()
            self._failing_until = None
            self._probing = False

    def record_failure(self, exc: DnsTempError) -> None:
        if exc.local or isinstance(exc, (ResolverFailing, DnsBudgetExceeded, DnsOffline)):
            return
        with self._lock:
            now = self._clock()
            if self._failing_until is not None:
                if self.canaries.liveness is None and self._probing:
                    self._open(exc.reason, now)  # the half-open probe failed
                return
            if self._alive_at is not None and now - self._alive_at < self.alive_window_s:
                return  # it answered a moment ago: that name's own servers failed
            if self.canaries.liveness is None:
                self._streak += 1
                if self._streak >= self.streak_limit:
                    self._open(exc.reason, now)
                return
            if self._probing:
                return  # another thread is confirming already
            self._probing = True
        self._confirm_alive(exc.reason)

    def _confirm_alive(self, why: str | None) -> bool:
        """Ask the liveness canary (``_probing`` is set by the caller); open or close."""
        canary = self.canaries.liveness
        assert canary is not None
        try:
            self.canary_queries += 1
            self._probe(canary.name, canary.rdtype)
        except DnsTempError as exc:
            with self._lock:
                self._probing = False
                self._open(exc.reason if why is None else why, self._clock())
            return False
        except Exception as exc:  # noqa: BLE001 - a broken probe is a failing resolver
            with self._lock:
                self._probing = False
                self._open(f"{type(exc).__name__}", self._clock())
            return False
        with self._lock:
            self._probing = False
            self._failing_until = None
            self._streak = 0
            self._alive_at = self._clock()
        return True

    def _open(self, reason: str, now: float) -> None:
        self._failing_until = now + self.cooldown_s
        self._failing_reason = reason
        self._streak = 0

    # -- lying

    def check_nxdomain(self, name: str, rdtype: str) -> str | None:
        """Before returning NXDOMAIN for (name, rdtype): the reason not to trust it, or None."""
        canary = self.canaries.for_type(rdtype)
        if canary is None:
            return None
        if (canary.name, canary.rdtype) == (name, rdtype):
            return None  # the canary itself: its answer is judged by the caller of the probe
        key = canary.rdtype
        fresh = self._fresh_lie(key)
        if fresh is not None:
            return fresh[0]
        with self._lie_lock:
            fresh = self._fresh_lie(key)  # another thread may have asked while we waited
            if fresh is not None:
                return fresh[0]
            try:
                self.canary_queries += 1
                exists = self._probe(canary.name, canary.rdtype)
            except Exception:  # noqa: BLE001 - timeout, SERVFAIL or a broken probe
                # Cannot tell; not lying as far as we know. Ask again in a minute, not at once.
                with self._lock:
                    ttl_left = min(60.0, self.canary_ttl_s)
                    self._lies[key] = (self._clock() - self.canary_ttl_s + ttl_left, None)
                return None
            lie = (
                None
                if exists
                else f"{self.label} answers NXDOMAIN for {canary.rdtype} {canary.name}, "
                "which exists: its NXDOMAIN answers cannot be trusted"
            )
            with self._lock:
                self._lies[key] = (self._clock(), lie)
                self._alive_at = self._clock()
            return lie

    def _fresh_lie(self, key: str) -> tuple[str | None] | None:
        with self._lock:
            seen = self._lies.get(key)
            if seen is not None and self._clock() - seen[0] < self.canary_ttl_s:
                return (seen[1],)
        return None


# ---------------------------------------------------------------------------------------------
# The fixture resolver


class FixtureResolver:
    """Answers from data shaped ``{"name": {"TXT": ["..."], "MX": ["10 host"]}}``.

    A name not listed is NXDOMAIN. A name whose value is the string ``"TIMEOUT"``, or a type
    whose value is ``"TIMEOUT"``, times out (as the RFC 7208 suite's zonedata can say).
    ``queries`` records every query made, so tests can prove what was (not) asked.

    Health checks are opt-in (``canary=True`` or a top-level ``"_canary": true``): then the
    fixture is judged like a real resolver, asking the canary names in the same data (so a
    fixture without ``_dmarc.gmail.com`` is "lying", and one whose ``a.root-servers.net`` is
    ``"TIMEOUT"`` is "failing"). Canary queries are kept in ``canary_queries``, not ``queries``.
    """

    def __init__(self, data: Mapping[str, object], *, canary: bool = False) -> None:
        canary = canary or data.get("_canary") is True
        self._data: dict[str, object] = {
            normalize_name(k): v for k, v in data.items() if not k.startswith("_canary")
        }
        self.queries: list[tuple[str, str]] = []
        self.canary_queries: list[tuple[str, str]] = []
        self.health: ResolverHealth | None = (
            ResolverHealth(self._probe, default_canaries(), label="the DNS fixture")
            if canary
            else None
        )

    @classmethod
    def from_file(cls, path: str | Path) -> FixtureResolver:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if not isinstance(data, dict):
            raise ValueError("DNS fixture must be a JSON object of names")  # noqa: TRY004
        return cls(data)

    def state(self) -> tuple[str, str]:
        return self.health.state() if self.health is not None else ("ok", "")

    def query(self, name: str, rdtype: str) -> list[str]:
        key = normalize_name(name)
        rdtype = rdtype.upper()
        self.queries.append((key, rdtype))
        health = self.health
        if health is None:
            return self._answer(key, rdtype)
        health.gate(key, rdtype)
        try:
            answer = self._answer(key, rdtype)
        except NXDomain:
            health.record_success()
            lie = health.check_nxdomain(key, rdtype)
            if lie is not None:
                raise ResolverLying(key, rdtype, lie) from None
            raise
        except DnsTempError as exc:
            health.record_failure(exc)
            raise
        health.record_success()
        return answer

    def _probe(self, name: str, rdtype: str) -> bool:
        self.canary_queries.append((name, rdtype))
        try:
            self._answer(name, rdtype)
        except NXDomain:
            return False
        return True

    def _answer(self, key: str, rdtype: str) -> list[str]:
        name = key
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
                    raise DnsTempError(name, rdtype, "CNAME loop")
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
    """What one upstream lookup gave: the records, how long they may be cached, NXDOMAIN.

    ``local``: decided without asking anyone (a name that cannot be encoded cannot exist);
    such an answer says nothing about the resolver's health or honesty.
    """

    records: tuple[str, ...]
    ttl: float
    nxdomain: bool = False
    local: bool = False


# (name, rdtype, timeout seconds) -> RawAnswer; raises DnsTempError. The seam below dnspython,
# so tests of caching and timeouts need no network.
LookupFn = Callable[[str, str, float], RawAnswer]

_MAX_TTL = 86400.0
_DEFAULT_NEGATIVE_TTL = 60.0
_MAX_NEGATIVE_TTL = 3600.0


class DnspythonResolver:
    """The production resolver: dnspython underneath, a TTL-respecting cache on top.

    One instance lives as long as the host and is shared by every check (and by the threads of
    a prefetch). Positive answers are cached for their TTL, NXDOMAIN/NODATA for
    min(SOA TTL, SOA MINIMUM) (RFC 2308 §5) or ``negative_ttl`` when the SOA is missing;
    failures are not cached. Each query has its own timeout. ``nameservers`` are ``IP`` or
    ``IP:PORT`` strings; ``None`` uses the system configuration, read on the first query: a
    missing or unreadable /etc/resolv.conf makes queries fail with ``DnsTempError``, never the
    constructor. Names that cannot be encoded as DNS names (a label over 63 octets, an invalid
    IDN) cannot exist, so they answer NXDOMAIN without a query. ``health`` remembers a failing
    or lying resolver across messages (see ``ResolverHealth``); ``canaries=NO_CANARIES`` turns
    the canary queries off (a streak of failures then opens the circuit).
    """

    parallel = True  # queries wait on the network: a prefetch may run them concurrently

    def __init__(
        self,
        nameservers: Sequence[str] | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        *,
        lookup: LookupFn | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 4096,
        negative_ttl: float = _DEFAULT_NEGATIVE_TTL,
        resolv_conf: str = "/etc/resolv.conf",
        canaries: Canaries | None = None,
        cooldown_s: float = 60.0,
    ) -> None:
        self.resolv_conf = resolv_conf
        self.nameservers = (
            [format_nameserver(*parse_nameserver(n)) for n in nameservers]
            if nameservers is not None
            else None
        )
        self.timeout = timeout
        self._lookup = lookup
        self._clock = clock
        self._max_entries = max_entries
        self._negative_ttl = negative_ttl
        self._cache: dict[tuple[str, str], tuple[float, RawAnswer]] = {}
        self._lock = threading.Lock()
        self.upstream_queries = 0  # queries that missed the cache (canaries not included)
        label = (
            "the DNS server " + ", ".join(self.nameservers)
            if self.nameservers
            else "the system's DNS resolver"
        )
        self.health = ResolverHealth(
            self._probe,
            default_canaries() if canaries is None else canaries,
            clock=clock,
            cooldown_s=cooldown_s,
            label=label,
        )

    def state(self) -> tuple[str, str]:
        return self.health.state()

    def _get_lookup(self) -> LookupFn:
        with self._lock:
            if self._lookup is None:
                self._lookup = _DnspythonLookup(
                    self.nameservers, self._negative_ttl, self.resolv_conf
                )
            return self._lookup

    def query(self, name: str, rdtype: str) -> list[str]:
        key = (normalize_name(name), rdtype.upper())
        now = self._clock()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            raw = hit[1]
        else:
            raw = self._fetch(key)
        if raw.nxdomain and not raw.local:
            lie = self.health.check_nxdomain(*key)
            if lie is not None:
                raise ResolverLying(key[0], key[1], lie)
        return _answer(key, raw)

    def _fetch(self, key: tuple[str, str]) -> RawAnswer:
        lookup = self._get_lookup()
        self.health.gate(*key)
        with self._lock:
            self.upstream_queries += 1
        try:
            raw = lookup(key[0], key[1], self.timeout)
        except DnsTempError as exc:
            self.health.record_failure(exc)
            raise
        if not raw.local:
            self.health.record_success()
        ttl = min(max(raw.ttl, 0.0), _MAX_TTL)
        if ttl > 0 and len(key[0]) <= 253:  # a longer "name" is no DNS name: never kept
            with self._lock:
                if len(self._cache) >= self._max_entries:
                    self._evict(self._clock())
                self._cache[key] = (self._clock() + ttl, raw)
        return raw

    def _probe(self, name: str, rdtype: str) -> bool:
        return not self._get_lookup()(name, rdtype, self.timeout).nxdomain

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


@lru_cache(maxsize=8)
def _resolver_for(nameservers: tuple[str, ...]) -> DnspythonResolver:
    return DnspythonResolver(list(nameservers) or None)


def resolver_for(nameservers: Sequence[str] | None = None) -> DnspythonResolver:
    """The long-lived caching resolver for these nameservers (empty/None: the system's).

    One instance per distinct list, so its cache and its health memory serve every message
    that names the same servers. Raises ValueError for an address that is not ``IP[:PORT]``.
    """
    canonical = tuple(format_nameserver(*parse_nameserver(n)) for n in nameservers or ())
    return _resolver_for(canonical)


class _DnspythonLookup:
    """The default LookupFn: one dnspython Resolver, created on first use."""

    def __init__(
        self, nameservers: list[str] | None, negative_ttl: float, resolv_conf: str
    ) -> None:
        self._resolv_conf = resolv_conf
        self._nameservers = nameservers
        self._negative_ttl = negative_ttl
        self._resolver: Any = None
        self._lock = threading.Lock()

    def _get_resolver(self, name: str, rdtype: str) -> Any:
        with self._lock:
            if self._resolver is not None:
                return self._resolver
            import dns.nameserver
            import dns.resolver  # lazily: importing dnspython costs start-up time

            try:
                if self._nameservers is not None:
                    res = dns.resolver.Resolver(configure=False)
                    res.nameservers = [
                        dns.nameserver.Do53Nameserver(*parse_nameserver(n))
                        for n in self._nameservers
                    ]
                else:
                    res = dns.resolver.Resolver(filename=self._resolv_conf)
            except (dns.exception.DNSException, OSError, ValueError) as exc:
                raise DnsTempError(name, rdtype, f"no resolver configuration ({exc})") from None
            # dnspython's own cache stays off: ours has negative caching and a clock seam.
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
            return RawAnswer((), self._negative_ttl, nxdomain=True, local=True)
        try:
            rtype = dns.rdatatype.from_text(rdtype)
        except (dns.exception.DNSException, ValueError):
            raise DnsTempError(name, rdtype, "unsupported record type", local=True) from None
        try:
            # Two tries: one lost UDP packet is retried within the query's own timeout.
            ans = _resolve(res, qname, rtype, timeout)
        except dns.resolver.NXDOMAIN as exc:
            return RawAnswer((), self._soa_ttl(_nx_response(exc, qname)), nxdomain=True)
        except dns.exception.Timeout:
            raise DnsTempError(name, rdtype, "timeout") from None
        except dns.resolver.NoNameservers as exc:
            raise DnsTempError(name, rdtype, _no_servers_reason(exc)) from None
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


def _resolve(res: Any, qname: Any, rtype: Any, timeout: float) -> Any:
    """dnspython's resolve within ``timeout``: two tries of a bit under half of it each.

    dnspython sleeps a back-off (0.1 s, then 0.2 s) between rounds and only then notices that
    the lifetime is over; the lifetime is shortened by that last back-off so a silent server
    costs ``timeout`` (+0.05 s), not ``timeout`` + 0.2 s.
    """
    per_try = max(timeout / 2 - 0.05, 0.05)
    lifetime = max(timeout - 0.15, per_try)
    if hasattr(res, "timeout"):
        try:
            res.timeout = per_try
        except (AttributeError, TypeError):
            pass
    return res.resolve(qname, rtype, lifetime=lifetime, raise_on_no_answer=False, search=False)


def _no_servers_reason(exc: Any) -> str:
    """SERVFAIL / REFUSED / a socket error, from dnspython's per-server error list."""
    import dns.rcode

    codes: list[str] = []
    try:
        for err in exc.kwargs.get("errors") or ():
            response = err[4] if len(err) > 4 else None
            if response is not None:
                codes.append(dns.rcode.to_text(response.rcode()))
            elif len(err) > 3 and err[3] is not None:
                codes.append(type(err[3]).__name__)
    except Exception:  # noqa: BLE001 - dnspython internals; the generic reason will do
        codes = []
    return f"{'/'.join(dict.fromkeys(codes)) or 'SERVFAIL'} (no server answered)"


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
# The per-message budget, memo and prefetch

MAX_PREFETCH = 24
_POOL_WORKERS = 8
_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _shared_pool() -> ThreadPoolExecutor:
    # One small pool for the process: a prefetch is a handful of queries and a scan runs
    # thousands of messages; threads are reused, not started per message.
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(_POOL_WORKERS, thread_name_prefix="minuku-dns")
        return _pool


def _forget_pool_after_fork() -> None:
    # A forked check worker inherits the pool object but not its threads (nor a lock another
    # thread held): work submitted there would never run. The child starts its own.
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


_Memo = list[str] | NXDomain | DnsTempError
_WORSE = {"ok": 0, "lying": 1, "failing": 2}


class BudgetResolver:
    """Wraps a resolver for ONE message: counts, memoises, prefetches, enforces a budget.

    The budget is wall time during which at least one query was waiting on the inner resolver
    (concurrent queries count once, memo and cache hits cost ~0). Once it is spent, every
    further query raises ``DnsBudgetExceeded`` without reaching the inner resolver. A query
    already under way may overshoot the budget by at most the inner resolver's per-query
    timeout. Every answer and error (except "budget spent") is memoised for the rest of the
    message, so a name is asked at most once per message.
    """

    def __init__(
        self,
        inner: Resolver,
        budget_s: float = DEFAULT_BUDGET_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.budget_s = budget_s
        self._clock = clock
        self._lock = threading.Lock()
        self._spent = 0.0
        self._inflight = 0
        self._since = 0.0
        self._memo: dict[tuple[str, str], _Memo] = {}
        self._worst = ("ok", "")
        self.queries = 0  # sent to the inner resolver
        self.refused = 0  # not sent because the budget was spent
        self.memo_hits = 0
        self.prefetched = 0
        self.failures: list[str] = []

    @property
    def spent_s(self) -> float:
        with self._lock:
            running = self._clock() - self._since if self._inflight else 0.0
            return self._spent + max(running, 0.0)

    @property
    def exhausted(self) -> bool:
        return self.spent_s >= self.budget_s

    def health(self) -> tuple[str, str]:
        """("ok" | "failing" | "lying", reason): the worst seen in this message or now."""
        state = getattr(self.inner, "state", None)
        now = state() if callable(state) else ("ok", "")
        with self._lock:
            worst = self._worst
        return now if _WORSE.get(now[0], 0) >= _WORSE.get(worst[0], 0) else worst

    def query(self, name: str, rdtype: str) -> list[str]:
        key = (normalize_name(name), rdtype.upper())
        with self._lock:
            memo = self._memo.get(key)
            if memo is not None:
                self.memo_hits += 1
        if memo is not None:
            if isinstance(memo, Exception):
                raise memo
            return list(memo)
        return self._send(key, name, rdtype)

    def _send(self, key: tuple[str, str], name: str, rdtype: str) -> list[str]:
        if self.exhausted:
            with self._lock:
                self.refused += 1
                self.failures.append(f"{key[1]} {key[0]}: DNS budget spent, not sent")
            raise DnsBudgetExceeded(
                key[0], key[1], f"DNS budget of {self.budget_s:g} s spent, query not sent"
            )
        with self._lock:
            self.queries += 1
            if self._inflight == 0:
                self._since = self._clock()
            self._inflight += 1
        try:
            answer = self.inner.query(name, rdtype)
        except NXDomain as exc:
            self._remember(key, exc)
            raise
        except DnsTempError as exc:
            with self._lock:
                self.failures.append(str(exc))
            if isinstance(exc, ResolverFailing):
                self._saw("failing", exc.reason)
            elif isinstance(exc, ResolverLying):
                self._saw("lying", exc.reason)
            if not isinstance(exc, DnsBudgetExceeded):
                self._remember(key, exc)
            raise
        finally:
            with self._lock:
                self._inflight -= 1
                if self._inflight == 0:
                    self._spent += max(self._clock() - self._since, 0.0)
        self._remember(key, list(answer))
        return answer

    def _remember(self, key: tuple[str, str], what: _Memo) -> None:
        with self._lock:
            self._memo.setdefault(key, what)

    def _saw(self, state: str, reason: str) -> None:
        with self._lock:
            if _WORSE[state] > _WORSE.get(self._worst[0], 0):
                self._worst = (state, reason)

    def prefetch(self, names: Iterable[tuple[str, str]]) -> None:
        """Ask these (name, rdtype) now, concurrently when the inner resolver waits on the
        network; answers and errors land in the memo. Never raises."""
        keys: list[tuple[str, str]] = []
        for name, rdtype in names:
            key = (normalize_name(name), rdtype.upper())
            if key[0] and key not in keys:
                keys.append(key)
        with self._lock:
            keys = [k for k in keys if k not in self._memo][:MAX_PREFETCH]
        if not keys or self.exhausted:
            return
        self.prefetched += len(keys)
        if len(keys) == 1 or not getattr(self.inner, "parallel", False):
            for key in keys:
                self._fetch_quietly(key)
            return
        pool = _shared_pool()
        futures = [pool.submit(self._fetch_quietly, key) for key in keys]
        # Each query ends by its own timeout; the wait is a last guard, not the normal path.
        wait_futures(futures, timeout=max(self.budget_s - self.spent_s, 0.0) + 1.0)

    def _fetch_quietly(self, key: tuple[str, str]) -> None:
        try:
            self._send(key, *key)
        except Exception:  # noqa: BLE001, S110 - memoised (or refused: asked again later)
            pass
