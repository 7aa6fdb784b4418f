"""The DNS seam: fixture semantics, the caching dnspython resolver (through its lookup seam, no
network) and the per-message budget."""

from __future__ import annotations

from typing import Any

import pytest
from minuku.dns import (
    NO_CANARIES,
    BudgetResolver,
    Canaries,
    Canary,
    DnspythonResolver,
    FixtureResolver,
    NXDomain,
    OfflineResolver,
    RawAnswer,
    format_nameserver,
    parse_nameserver,
    resolver_for,
)
from minuku.errors import (
    DnsBudgetExceeded,
    DnsOffline,
    DnsTempError,
    ResolverFailing,
    ResolverLying,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- FixtureResolver -------------------------------------------------------------------------


def test_fixture_nxdomain_nodata_and_answers() -> None:
    r = FixtureResolver(
        {
            "Example.COM.": {"TXT": [["v=spf1 ", "-all"]], "MX": ["10 mx.example.com"]},
            "slow.example": "TIMEOUT",
            "half.example": {"A": ["192.0.2.1"], "TXT": "TIMEOUT"},
        }
    )
    assert r.query("example.com", "txt") == ["v=spf1 -all"]  # strings joined, RFC 7208 §3.3
    assert r.query("example.com.", "MX") == ["10 mx.example.com"]
    assert r.query("example.com", "A") == []  # NODATA
    with pytest.raises(NXDomain):
        r.query("nope.example", "A")
    with pytest.raises(DnsTempError) as ei:
        r.query("slow.example", "A")
    assert "slow.example" in str(ei.value)
    assert r.query("half.example", "A") == ["192.0.2.1"]
    with pytest.raises(DnsTempError):
        r.query("half.example", "TXT")
    assert r.queries[0] == ("example.com", "TXT")


def test_fixture_follows_cname_like_a_recursive_resolver() -> None:
    r = FixtureResolver(
        {
            "alias.example": {"CNAME": "real.example"},
            "real.example": {"A": ["192.0.2.7"]},
            "loop1.example": {"CNAME": "loop2.example"},
            "loop2.example": {"CNAME": "loop1.example"},
            "dangling.example": {"CNAME": "missing.example"},
        }
    )
    assert r.query("alias.example", "A") == ["192.0.2.7"]
    assert r.query("alias.example", "CNAME") == ["real.example"]
    with pytest.raises(DnsTempError):
        r.query("loop1.example", "A")
    with pytest.raises(NXDomain):
        r.query("dangling.example", "TXT")


def test_offline_resolver_refuses_and_records() -> None:
    r = OfflineResolver()
    with pytest.raises(DnsOffline):
        r.query("example.com", "TXT")
    assert r.queries == [("example.com", "TXT")]


# --- DnspythonResolver cache -----------------------------------------------------------------


class FakeLookup:
    def __init__(self, answers: dict[tuple[str, str], RawAnswer | Exception]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str, float]] = []

    def __call__(self, name: str, rdtype: str, timeout: float) -> RawAnswer:
        self.calls.append((name, rdtype, timeout))
        a = self.answers[(name, rdtype)]
        if isinstance(a, Exception):
            raise a
        return a


def test_cache_respects_ttl() -> None:
    clock = FakeClock()
    lookup = FakeLookup({("example.com", "TXT"): RawAnswer(("v=spf1 -all",), ttl=300)})
    r = DnspythonResolver(lookup=lookup, clock=clock, timeout=1.5, canaries=NO_CANARIES)
    assert r.query("Example.com.", "TXT") == ["v=spf1 -all"]
    clock.now += 299
    assert r.query("example.com", "txt") == ["v=spf1 -all"]
    assert len(lookup.calls) == 1
    assert lookup.calls[0][2] == 1.5  # the per-query timeout is passed down
    clock.now += 2
    r.query("example.com", "TXT")
    assert len(lookup.calls) == 2


def test_negative_answers_are_cached_for_their_ttl() -> None:
    clock = FakeClock()
    lookup = FakeLookup(
        {
            ("nx.example", "A"): RawAnswer((), ttl=60, nxdomain=True),
            ("nodata.example", "MX"): RawAnswer((), ttl=30),
        }
    )
    r = DnspythonResolver(lookup=lookup, clock=clock, canaries=NO_CANARIES)
    for _ in range(2):
        with pytest.raises(NXDomain):
            r.query("nx.example", "A")
        assert r.query("nodata.example", "MX") == []
    assert len(lookup.calls) == 2
    clock.now += 31
    r.query("nodata.example", "MX")
    with pytest.raises(NXDomain):
        r.query("nx.example", "A")
    assert len(lookup.calls) == 3  # NODATA expired, NXDOMAIN (60 s) still cached


def test_failures_are_not_cached() -> None:
    lookup = FakeLookup({("x.example", "A"): DnsTempError("x.example", "A", "timeout")})
    r = DnspythonResolver(lookup=lookup, clock=FakeClock(), canaries=NO_CANARIES)
    for _ in range(2):
        with pytest.raises(DnsTempError):
            r.query("x.example", "A")
    assert len(lookup.calls) == 2


def test_cache_is_bounded() -> None:
    clock = FakeClock()
    lookup = FakeLookup({(f"h{i}.example", "A"): RawAnswer(("192.0.2.1",), 300) for i in range(10)})
    r = DnspythonResolver(lookup=lookup, clock=clock, max_entries=4, canaries=NO_CANARIES)
    for i in range(10):
        r.query(f"h{i}.example", "A")
    r.query("h9.example", "A")
    assert len(lookup.calls) == 10  # newest still cached
    r.query("h0.example", "A")
    assert len(lookup.calls) == 11  # oldest evicted


def test_unreachable_nameserver_maps_to_temperror_naming_the_query() -> None:
    # 192.0.2.1 (TEST-NET-1) never answers: the per-query timeout bites and is reported as such.
    r = DnspythonResolver(nameservers=["192.0.2.1"], timeout=0.2)
    with pytest.raises(DnsTempError) as ei:
        r.query("example.com", "TXT")
    assert ei.value.name == "example.com" and ei.value.rdtype == "TXT"
    assert "timeout" in ei.value.reason or "SERVFAIL" in ei.value.reason


def test_invalid_name_is_nxdomain_without_a_query() -> None:
    r = DnspythonResolver(nameservers=["192.0.2.1"], timeout=0.2)
    with pytest.raises(NXDomain):
        r.query("a" * 64 + ".example", "A")


# --- BudgetResolver --------------------------------------------------------------------------


class SlowResolver:
    def __init__(self, clock: FakeClock, cost: float, fail: bool = False) -> None:
        self.clock, self.cost, self.fail = clock, cost, fail
        self.calls = 0

    def query(self, name: str, rdtype: str) -> list[str]:
        self.calls += 1
        self.clock.now += self.cost
        if self.fail:
            raise DnsTempError(name, rdtype, "timeout")
        return ["192.0.2.1"]


def test_budget_exhaustion_stops_sending() -> None:
    clock = FakeClock()
    inner = SlowResolver(clock, cost=1.5)
    b = BudgetResolver(inner, budget_s=4.0, clock=clock)
    for i in range(3):
        assert b.query(f"a{i}.example", "A") == ["192.0.2.1"]  # 0, 1.5, 3.0 s spent before each
    with pytest.raises(DnsBudgetExceeded) as ei:
        b.query("b.example", "TXT")
    assert inner.calls == 3 and b.queries == 3 and b.refused == 1
    assert "b.example" in str(ei.value)
    assert b.failures == ["TXT b.example: DNS budget spent, not sent"]
    assert b.exhausted


def test_budget_records_failures_by_query() -> None:
    clock = FakeClock()
    b = BudgetResolver(SlowResolver(clock, cost=0.1, fail=True), budget_s=4.0, clock=clock)
    with pytest.raises(DnsTempError):
        b.query("x.example", "MX")
    assert b.failures == ["MX x.example: timeout"]
    assert not b.exhausted


def test_budget_passes_nxdomain_through_without_calling_it_a_failure() -> None:
    b = BudgetResolver(FixtureResolver({}), budget_s=1.0, clock=FakeClock())
    with pytest.raises(NXDomain):
        b.query("nope.example", "A")
    assert b.failures == [] and b.queries == 1


def test_missing_resolv_conf_fails_on_query_not_at_construction() -> None:
    r = DnspythonResolver(resolv_conf="/nonexistent/resolv.conf", timeout=0.2)
    with pytest.raises(DnsTempError) as ei:
        r.query("example.com", "A")
    assert "resolver configuration" in ei.value.reason


# --- the dnspython mapping (no network: a stand-in for dns.resolver.Resolver) ----------------


class _FakeAnswer:
    def __init__(self, rrset: object, response: object = None) -> None:
        self.rrset = rrset
        self.response = response


class _FakeDnspython:
    def __init__(self, outcome: object) -> None:
        self.outcome = outcome
        self.lifetimes: list[float] = []

    def resolve(self, qname: object, rtype: object, *, lifetime: float, **_: object) -> object:
        self.lifetimes.append(lifetime)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def _lookup_with(outcome: object) -> tuple[Any, _FakeDnspython]:
    from minuku.dns import _DnspythonLookup

    lookup = _DnspythonLookup(None, 60.0, "/etc/resolv.conf")
    fake = _FakeDnspython(outcome)
    lookup._resolver = fake  # the instance's own resolver, not a module global
    return lookup, fake


def _soa_response(qname: str) -> object:
    import dns.message
    import dns.rrset

    resp = dns.message.make_response(dns.message.make_query(qname, "A"))
    resp.authority.append(dns.rrset.from_text("example.", 300, "IN", "SOA", "ns. h. 1 2 3 4 45"))
    return resp


def test_dnspython_answers_are_mapped_to_strings() -> None:
    import dns.rrset

    cases = [
        ("TXT", ['"v=spf1 " "-all"'], ["v=spf1 -all"]),
        ("MX", ["10 mx.example.com.", "0 ."], ["10 mx.example.com", "0 ."]),
        ("AAAA", ["2001:db8::1"], ["2001:db8::1"]),
        ("PTR", ["host.example."], ["host.example"]),
    ]
    for rdtype, texts, want in cases:
        rrset = dns.rrset.from_text("q.example.", 120, "IN", rdtype, *texts)
        lookup, fake = _lookup_with(_FakeAnswer(rrset))
        raw = lookup("q.example", rdtype, 1.25)
        assert list(raw.records) == want and raw.ttl == 120
        assert fake.lifetimes == [pytest.approx(1.1)]  # within 1.25 s with dnspython's back-off


def test_dnspython_negative_answers_use_the_soa_minimum() -> None:
    import dns.name
    import dns.resolver

    qname = dns.name.from_text("nx.example.")
    exc = dns.resolver.NXDOMAIN(qnames=[qname], responses={qname: _soa_response("nx.example.")})  # type: ignore[no-untyped-call]
    lookup, _ = _lookup_with(exc)
    raw = lookup("nx.example", "A", 1.0)
    assert raw.nxdomain and raw.ttl == 45  # min(SOA TTL 300, MINIMUM 45), RFC 2308 §5
    lookup, _ = _lookup_with(_FakeAnswer(None, _soa_response("nodata.example.")))
    raw = lookup("nodata.example", "MX", 1.0)
    assert not raw.nxdomain and raw.records == () and raw.ttl == 45


@pytest.mark.parametrize(
    ("exc_name", "reason"),
    [
        ("LifetimeTimeout", "timeout"),
        ("NoNameservers", "SERVFAIL"),
        ("NoResolverConfiguration", "configuration"),
    ],
)
def test_dnspython_failures_become_temperror(exc_name: str, reason: str) -> None:
    import dns.resolver

    cls = getattr(dns.resolver, exc_name)
    exc = cls(timeout=2.0, errors=[]) if exc_name == "LifetimeTimeout" else cls()
    lookup, _ = _lookup_with(exc)
    with pytest.raises(DnsTempError) as ei:
        lookup("x.example", "TXT", 2.0)
    assert reason in ei.value.reason and ei.value.name == "x.example"


# --- nameserver addresses --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("192.0.2.53", ("192.0.2.53", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("2001:db8::53", ("2001:db8::53", 53)),
        ("[2001:db8::53]:5353", ("2001:db8::53", 5353)),
        ("[::1]", ("::1", 53)),
    ],
)
def test_nameserver_addresses(text: str, want: tuple[str, int]) -> None:
    assert parse_nameserver(text) == want
    assert parse_nameserver(format_nameserver(*want)) == want


@pytest.mark.parametrize(
    "bad", ["", "dns.example", "127.0.0.1:0", "127.0.0.1:65536", "[::1]x", "[::1", "1.2.3.4:x"]
)
def test_nameserver_that_is_not_an_address_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_nameserver(bad)
    with pytest.raises(ValueError):
        resolver_for([bad])


def test_resolver_for_shares_one_resolver_per_server_list() -> None:
    a = resolver_for(["192.0.2.53:5353"])
    assert resolver_for([" 192.0.2.53:5353"]) is a  # its cache and health serve every message
    assert resolver_for(["192.0.2.54"]) is not a
    assert a.nameservers == ["192.0.2.53:5353"]


# --- resolver health (no network: the lookup seam and a fake clock) --------------------------

LIVENESS = Canaries(Canary("A", "canary.example"), (Canary("TXT", "_dmarc.canary.example"),))


def test_failure_confirmed_by_the_canary_opens_the_circuit() -> None:
    clock = FakeClock()
    timeout = DnsTempError("x.example", "TXT", "timeout")
    lookup = FakeLookup({("x.example", "TXT"): timeout, ("canary.example", "A"): timeout})
    r = DnspythonResolver(lookup=lookup, clock=clock, canaries=LIVENESS, cooldown_s=60)
    with pytest.raises(DnsTempError) as ei:
        r.query("x.example", "TXT")
    assert not isinstance(ei.value, ResolverFailing)  # the first one really was asked
    assert [c[0] for c in lookup.calls] == ["x.example", "canary.example"]
    assert r.state()[0] == "failing" and "timeout" in r.state()[1]
    clock.now += 59
    with pytest.raises(ResolverFailing):
        r.query("y.example", "A")  # fails fast, not asked
    assert len(lookup.calls) == 2
    # After the cool-down the canary is asked once more; the resolver is back.
    lookup.answers[("canary.example", "A")] = RawAnswer(("192.0.2.1",), 300)
    lookup.answers[("y.example", "A")] = RawAnswer(("192.0.2.2",), 300)
    clock.now += 2
    assert r.query("y.example", "A") == ["192.0.2.2"]
    assert [c[0] for c in lookup.calls[2:]] == ["canary.example", "y.example"]
    assert r.state() == ("ok", "")


def test_failed_probe_after_the_cooldown_reopens_the_circuit() -> None:
    clock = FakeClock()
    timeout = DnsTempError("x.example", "A", "timeout")
    lookup = FakeLookup({("x.example", "A"): timeout, ("canary.example", "A"): timeout})
    r = DnspythonResolver(lookup=lookup, clock=clock, canaries=LIVENESS, cooldown_s=60)
    with pytest.raises(DnsTempError):
        r.query("x.example", "A")
    clock.now += 61
    with pytest.raises(ResolverFailing):
        r.query("x.example", "A")  # the probe (canary) failed: x was not asked
    assert [c[0] for c in lookup.calls] == ["x.example", "canary.example", "canary.example"]
    clock.now += 30
    with pytest.raises(ResolverFailing):
        r.query("x.example", "A")
    assert len(lookup.calls) == 3


def test_timeouts_of_one_hostile_domain_do_not_open_the_circuit() -> None:
    # A mail can name keys on a domain whose servers never answer. The resolver answered a
    # moment ago (or answers the canary): those failures are the domain's, not the resolver's.
    clock = FakeClock()
    answers: dict[tuple[str, str], RawAnswer | Exception] = {
        ("good.example", "A"): RawAnswer(("192.0.2.1",), 300),
        ("canary.example", "A"): RawAnswer(("192.0.2.9",), 300),
    }
    for i in range(16):
        answers[(f"s{i}._domainkey.evil.example", "TXT")] = DnsTempError("e", "TXT", "timeout")
    lookup = FakeLookup(answers)
    r = DnspythonResolver(lookup=lookup, clock=clock, canaries=LIVENESS)
    r.query("good.example", "A")
    for i in range(16):
        with pytest.raises(DnsTempError) as ei:
            r.query(f"s{i}._domainkey.evil.example", "TXT")
        assert not isinstance(ei.value, ResolverFailing)
    assert r.state() == ("ok", "")
    assert not any(c[0] == "canary.example" for c in lookup.calls)  # it had just answered
    clock.now += 60  # long after: the next failure is confirmed with the canary, which answers
    with pytest.raises(DnsTempError):
        r.query("s0._domainkey.evil.example", "TXT")
    assert lookup.calls[-1][0] == "canary.example" and r.state() == ("ok", "")


def test_without_canaries_a_streak_of_failures_opens_the_circuit() -> None:
    clock = FakeClock()
    lookup = FakeLookup(
        {(f"h{i}.example", "A"): DnsTempError("h", "A", "SERVFAIL") for i in range(5)}
    )
    r = DnspythonResolver(lookup=lookup, clock=clock, canaries=NO_CANARIES)
    for i in range(3):
        with pytest.raises(DnsTempError):
            r.query(f"h{i}.example", "A")
    assert r.state()[0] == "failing"
    with pytest.raises(ResolverFailing):
        r.query("h3.example", "A")
    assert len(lookup.calls) == 3


def test_unsupported_type_is_our_failure_not_the_resolvers() -> None:
    err = DnsTempError("x.example", "BOGUS", "unsupported record type", local=True)
    lookup = FakeLookup({(f"h{i}.example", "BOGUS"): err for i in range(5)})
    r = DnspythonResolver(lookup=lookup, clock=FakeClock(), canaries=NO_CANARIES)
    for i in range(5):
        with pytest.raises(DnsTempError):
            r.query(f"h{i}.example", "BOGUS")
    assert r.state() == ("ok", "")


def test_nxdomain_for_a_name_that_exists_makes_the_resolver_lying() -> None:
    clock = FakeClock()
    lookup = FakeLookup(
        {
            ("selector._domainkey.shop.example", "TXT"): RawAnswer((), 60, nxdomain=True),
            ("_dmarc.canary.example", "TXT"): RawAnswer((), 60, nxdomain=True),
            ("nope.example", "A"): RawAnswer((), 60, nxdomain=True),
        }
    )
    r = DnspythonResolver(lookup=lookup, clock=clock, canaries=LIVENESS)
    with pytest.raises(ResolverLying) as ei:
        r.query("selector._domainkey.shop.example", "TXT")
    assert "_dmarc.canary.example" in ei.value.reason
    assert r.state()[0] == "lying"
    with pytest.raises(ResolverLying):
        r.query("nope.example", "A")  # the one existence canary serves every type
    assert [c[0] for c in lookup.calls].count("_dmarc.canary.example") == 1  # kept for minutes
    # Five minutes on, the canary is asked again; an honest answer makes NXDOMAIN believed.
    clock.now += 301
    lookup.answers[("_dmarc.canary.example", "TXT")] = RawAnswer(("v=DMARC1; p=none",), 60)
    lookup.answers[("nope2.example", "A")] = RawAnswer((), 60, nxdomain=True)
    with pytest.raises(NXDomain) as nx:
        r.query("nope2.example", "A")
    assert not isinstance(nx.value, DnsTempError) and r.state() == ("ok", "")


def test_names_that_cannot_exist_ask_no_canary() -> None:
    lookup = FakeLookup({("bad..name", "A"): RawAnswer((), 60, nxdomain=True, local=True)})
    r = DnspythonResolver(lookup=lookup, clock=FakeClock(), canaries=LIVENESS)
    with pytest.raises(NXDomain):
        r.query("bad..name", "A")
    assert len(lookup.calls) == 1


# --- the per-message memo, prefetch and health -----------------------------------------------


class ParallelFixture(FixtureResolver):
    parallel = True


def test_prefetch_memoises_answers_and_errors() -> None:
    inner = ParallelFixture(
        {"a.example": {"TXT": ["v=spf1 -all"]}, "slow.example": "TIMEOUT", "_dmarc.a.example": {}}
    )
    b = BudgetResolver(inner, budget_s=2.5)
    b.prefetch(
        [
            ("a.example", "TXT"),
            ("A.example.", "txt"),
            ("slow.example", "TXT"),
            ("nx.example", "TXT"),
        ]
    )
    assert sorted(inner.queries) == [
        ("a.example", "TXT"),
        ("nx.example", "TXT"),
        ("slow.example", "TXT"),
    ]
    assert b.query("a.example", "TXT") == ["v=spf1 -all"]
    with pytest.raises(DnsTempError):
        b.query("slow.example", "TXT")
    with pytest.raises(NXDomain):
        b.query("nx.example", "TXT")
    assert len(inner.queries) == 3 and b.queries == 3 and b.memo_hits == 3
    assert b.failures == ["TXT slow.example: timeout"]  # once, when it was asked


def test_prefetch_with_the_budget_spent_sends_nothing() -> None:
    inner = ParallelFixture({"a.example": {"TXT": ["x"]}})
    b = BudgetResolver(inner, budget_s=0.0)
    b.prefetch([("a.example", "TXT")])
    assert inner.queries == [] and b.refused == 0
    with pytest.raises(DnsBudgetExceeded):
        b.query("a.example", "TXT")  # refused when the check itself asks, and counted then
    assert b.refused == 1


def test_budget_health_reports_a_failing_resolver_seen_in_this_message() -> None:
    inner = FixtureResolver({"a.root-servers.net": "TIMEOUT", "x.example": "TIMEOUT"}, canary=True)
    b = BudgetResolver(inner)
    assert b.health() == ("ok", "")
    for name in ("x.example", "y.example"):
        with pytest.raises(DnsTempError):
            b.query(name, "A")
    state, reason = b.health()
    assert state == "failing" and "timeout" in reason
    assert BudgetResolver(FixtureResolver({})).health() == ("ok", "")  # no opt-in, no opinion


# --- which names a message prefetches ---------------------------------------------------------


def _view(headers: str) -> Any:
    from minuku.message import parse_message

    return parse_message((headers + "\r\n\r\nbody\r\n").encode())


def test_prefetch_names_dkim_keys_spf_and_dmarc() -> None:
    # RFC 6376 §3.6.2.1 (<s>._domainkey.<d>), RFC 7208 §4.4, RFC 7489 §6.6.3 (From, then org).
    from minuku.auth.prefetch import prefetch_queries

    view = _view(
        "DKIM-Signature: v=1; a=rsa-sha256; d=Example.COM; s=sel1;\r\n h=from; bh=x; b=y\r\n"
        "DKIM-Signature: v=1; a=rsa-sha256; d=esp.example; s=k 2; h=from; bh=x; b=y\r\n"
        "From: Shop <news@mail.example.com>"
    )
    got = prefetch_queries(view, spf_domain="bounce.example.com", from_domains=["mail.example.com"])
    assert got == [
        ("sel1._domainkey.example.com", "TXT"),
        ("k2._domainkey.esp.example", "TXT"),  # folding white space is not part of a tag value
        ("bounce.example.com", "TXT"),
        ("_dmarc.mail.example.com", "TXT"),
        ("_dmarc.example.com", "TXT"),
    ]
    assert ("bounce.example.com", "TXT") not in prefetch_queries(
        view, spf_domain=None, from_domains=["mail.example.com"]
    )


def test_prefetch_of_a_hostile_mail_with_hundreds_of_signatures_is_bounded() -> None:
    from minuku.auth.prefetch import MAX_KEY_NAMES, prefetch_queries

    sigs = "".join(
        f"DKIM-Signature: v=1; d=victim{i}.example; s=s; h=from; bh=x; b=y\r\n" for i in range(300)
    )
    bad = (
        "DKIM-Signature: v=1; d=evil.example; s=a\\u0000b; h=from; bh=x; b=y\r\n"
        "DKIM-Signature: v=1; d=" + "x" * 64 + ".example; s=s; h=from; bh=x; b=y\r\n"
    )
    view = _view(bad + sigs + "From: a@b.example")
    got = prefetch_queries(view, spf_domain=None, from_domains=["b.example"])
    keys = [n for n, _ in got if "._domainkey." in n]
    assert len(keys) == MAX_KEY_NAMES and all(n.startswith("s._domainkey.victim") for n in keys)
    many_from = [f"d{i}.example" for i in range(9)]
    assert not any(
        n.startswith("_dmarc.")
        for n, _ in prefetch_queries(view, spf_domain=None, from_domains=many_from)
    )  # more From domains than DMARC checks (a permerror without queries): none prefetched


def test_prefetch_of_an_idn_from_domain_asks_its_a_label_form() -> None:
    from minuku.auth.prefetch import prefetch_queries

    got = prefetch_queries(_view("From: a@b.example"), spf_domain=None, from_domains=["例え.jp"])
    assert got == [("_dmarc.xn--r8jz45g.jp", "TXT")]


def test_prefetch_in_a_forked_child_does_not_wait_on_the_parents_threads() -> None:
    # The host forks its check worker; the child must not submit to the parent's pool, whose
    # threads it does not have (the prefetch would wait out its whole budget).
    import os
    import time

    class Slow(FixtureResolver):
        parallel = True

        def query(self, name: str, rdtype: str) -> list[str]:
            time.sleep(0.02)  # long enough for the pool to start all its threads
            return super().query(name, rdtype)

    BudgetResolver(Slow({})).prefetch([(f"h{i}.example", "A") for i in range(8)])
    time.sleep(0.05)  # the parent's pool now has 8 idle threads; the child gets none of them
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        code = 1
        try:
            t = time.monotonic()
            inner = Slow({"a.example": {"A": ["192.0.2.1"]}})
            names = [("a.example", "A"), ("c.example", "A"), ("d.example", "A")]
            BudgetResolver(inner, budget_s=2.5).prefetch(names)
            code = 0 if len(inner.queries) == 3 and time.monotonic() - t < 1.0 else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
