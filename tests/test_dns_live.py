"""The online DNS path against a real DNS server on 127.0.0.1 (tests/localdns.py).

Caching (positive TTL, negative TTL from the SOA, RFC 2308 §5), TCP after truncation
(RFC 1035 §4.2.1, RFC 7766), a failing resolver remembered across messages (circuit breaker),
a lying resolver (NXDOMAIN for names that exist), the concurrent prefetch and the wall-time
budget, ``minuku check --nameserver`` and the add-on's ``options.nameservers``. Timing
assertions are hang guards with a wide margin, not benchmarks (see bench/bench_dns.py).
"""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from localdns import LocalDns
from minuku.auth import authenticate
from minuku.check import CheckOptions, check
from minuku.dns import BudgetResolver, DnspythonResolver, FixtureResolver, NXDomain
from minuku.errors import DnsTempError, ResolverFailing, ResolverLying
from minuku.message import parse_message
from paths import EXAMPLES, ROOT

GENUINE = (EXAMPLES / "amazon-genuine-notice.eml").read_bytes()


def _zone() -> dict[str, Any]:
    zone: dict[str, Any] = json.loads((EXAMPLES / "dns-fixture.json").read_text("utf-8"))
    # The canary names (host/minuku/data/dns_canaries.json) exist on every honest resolver.
    zone["a.root-servers.net"] = {"A": ["198.41.0.4"]}
    zone["gmail.com"]["MX"] = ["5 gmail-smtp-in.l.google.com"]
    zone["long.example"] = {"TXT": [["a" * 255, "b" * 255, "c" * 100]]}
    return zone


@pytest.fixture
def server() -> Iterator[LocalDns]:
    with LocalDns(_zone()) as srv:
        yield srv


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Serial:
    """The same resolver without the ``parallel`` mark: a prefetch then runs one by one."""

    def __init__(self, inner: DnspythonResolver) -> None:
        self.inner = inner

    def query(self, name: str, rdtype: str) -> list[str]:
        return self.inner.query(name, rdtype)


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    # Import dkimpy, pyspf and the PSL once, so timings measure DNS, not imports.
    check(GENUINE, resolver=FixtureResolver(_zone()))


# --- answers and caching ---------------------------------------------------------------------


def test_answers_are_cached_for_their_ttl(server: LocalDns) -> None:
    r = DnspythonResolver([server.address])
    assert r.query("amazon.co.jp", "TXT") == ["v=spf1 include:amazonses.com -all"]
    assert r.query("Amazon.co.jp.", "txt") == ["v=spf1 include:amazonses.com -all"]
    assert server.count("amazon.co.jp", "TXT") == 1


def test_truncated_udp_answer_is_asked_again_over_tcp(server: LocalDns) -> None:
    # RFC 1035 §4.2.1: 512 octets over UDP without EDNS; the rest comes over TCP (RFC 7766).
    r = DnspythonResolver([server.address])
    assert r.query("long.example", "TXT") == ["a" * 255 + "b" * 255 + "c" * 100]
    assert [t for n, _, t in server.queries if n == "long.example"] == ["udp", "tcp"]


def test_negative_answers_are_cached_for_the_soa_ttl(server: LocalDns) -> None:
    assert (server.soa_ttl, server.negative_ttl) == (300, 30)
    # RFC 2308 §5: NXDOMAIN and NODATA are cached for min(SOA TTL 300, SOA MINIMUM 30) = 30 s.
    clock = FakeClock()
    r = DnspythonResolver([server.address], clock=clock)
    for _ in range(2):
        with pytest.raises(NXDomain):
            r.query("nope.amazon.co.jp", "A")
        assert r.query("amazon.co.jp", "MX") == []  # NODATA
    assert server.count("nope.amazon.co.jp") == 1 and server.count("amazon.co.jp", "MX") == 1
    clock.now += 29
    with pytest.raises(NXDomain):
        r.query("nope.amazon.co.jp", "A")
    assert server.count("nope.amazon.co.jp") == 1
    clock.now += 2
    with pytest.raises(NXDomain):
        r.query("nope.amazon.co.jp", "A")
    assert r.query("amazon.co.jp", "MX") == []
    assert server.count("nope.amazon.co.jp") == 2 and server.count("amazon.co.jp", "MX") == 2
    assert r.state() == ("ok", "")  # the existence canary answered: NXDOMAIN is trusted


# --- a failing resolver ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["servfail", "refused"])
def test_servfail_and_refused_are_temperror_then_fail_fast(server: LocalDns, mode: str) -> None:
    server.mode = mode
    r = DnspythonResolver([server.address], timeout=0.5)
    with pytest.raises(DnsTempError) as ei:
        r.query("amazon.co.jp", "TXT")
    assert mode.upper() in ei.value.reason and ei.value.name == "amazon.co.jp"
    assert r.state()[0] == "failing" and mode.upper() in r.state()[1]
    asked = len(server.queries)
    t = time.monotonic()
    with pytest.raises(ResolverFailing):
        r.query("_dmarc.amazon.co.jp", "TXT")
    assert time.monotonic() - t < 0.1
    assert len(server.queries) == asked  # not asked at all while the circuit is open


def test_silent_resolver_costs_the_first_message_only(server: LocalDns) -> None:
    server.mode = "silent"
    r = DnspythonResolver([server.address])
    opts = CheckOptions()
    t = time.monotonic()
    first = check(GENUINE, resolver=r, options=opts)
    first_s = time.monotonic() - t
    t = time.monotonic()
    second = check(GENUINE, resolver=r, options=opts)
    second_s = time.monotonic() - t
    assert first_s < 2.5 + 0.5, first_s  # the 2.5 s budget, plus margin for a slow machine
    assert second_s < 0.5, second_s
    for payload in (first, second):
        assert not payload.verified  # nothing was proven: never a silent "safe"
        assert payload.verdict != "danger"  # and a dead resolver is not the sender's fault
        assert payload.dns_status == "failing"  # said, not hidden
    assert r.state()[0] == "failing" and "timeout" in r.state()[1]


def test_circuit_lets_one_probe_through_after_the_cooldown(server: LocalDns) -> None:
    server.mode = "silent"
    r = DnspythonResolver([server.address], timeout=0.2, cooldown_s=0.3)
    with pytest.raises(DnsTempError):
        r.query("amazon.co.jp", "TXT")
    assert r.state()[0] == "failing"
    server.mode = "normal"
    with pytest.raises(ResolverFailing):
        r.query("amazon.co.jp", "TXT")  # still cooling down: not asked
    time.sleep(0.35)
    assert r.query("amazon.co.jp", "TXT") == ["v=spf1 include:amazonses.com -all"]
    assert r.state() == ("ok", "")


def test_hostile_mail_whose_domain_never_answers_does_not_switch_dns_off(
    server: LocalDns,
) -> None:
    # Sixteen signatures whose keys live on a domain whose servers never answer: each key
    # lookup times out. That is the domain's fault, not the resolver's; the canary proves the
    # resolver alive and the next (genuine) mail is verified as usual.
    for i in range(16):
        server.zone[f"s{i}._domainkey.evil.example"] = "SILENT"
    sigs = b"".join(
        b"DKIM-Signature: v=1; a=rsa-sha256; d=evil.example; s=s%d; h=from; bh=AAAA; b=AAAA\r\n" % i
        for i in range(16)
    )
    hostile = (
        sigs + b"From: Amazon <no-reply@evil.example>\r\nSubject: hi\r\n"
        b"Date: Fri, 27 Nov 2026 10:03:11 +0000\r\nMessage-ID: <h@evil.example>\r\n\r\nhi\r\n"
    )
    r = DnspythonResolver([server.address], timeout=0.3)
    check(hostile, resolver=r)
    assert r.state() == ("ok", "")
    assert server.count("a.root-servers.net", "A") >= 1  # the liveness canary was asked
    assert check(GENUINE, resolver=r).verified


# --- a lying resolver ------------------------------------------------------------------------


def test_nxdomain_for_every_name_is_lying_not_a_missing_key(server: LocalDns) -> None:
    server.mode = "nxdomain"
    r = DnspythonResolver([server.address])
    with pytest.raises(ResolverLying) as ei:
        r.query("_dmarc.amazon.co.jp", "TXT")
    assert "_dmarc.gmail.com" in ei.value.reason  # the existence canary of the same type
    assert r.state()[0] == "lying"
    auth = authenticate(parse_message(GENUINE), resolver=r)
    # Without the canary this would be "no key" → DKIM permerror and DMARC fail → danger for
    # a genuine mail. The resolver's word is not evidence: temperror, not fail.
    assert auth.dkim.result == "temperror"
    assert auth.dmarc.result in ("temperror", "unchecked")
    payload = check(GENUINE, resolver=r)
    assert payload.verdict != "danger" and payload.dns_status == "lying"


def test_fixture_opting_in_to_canaries_sees_nxdomain_for_everything() -> None:
    lying = FixtureResolver({"_canary": True})
    auth = authenticate(parse_message(GENUINE), resolver=lying)
    assert auth.dkim.result == "temperror" and auth.dmarc.result != "fail"
    assert lying.state()[0] == "lying"
    assert ("_dmarc.gmail.com", "TXT") in lying.canary_queries
    # Without the opt-in the fixture is a plain dict: no canary, NXDOMAIN is believed.
    plain = FixtureResolver({})
    auth = authenticate(parse_message(GENUINE), resolver=plain)
    assert auth.dkim.signatures[0].reason == "no_key"
    assert plain.canary_queries == [] and plain.state() == ("ok", "")


def test_fixture_opting_in_sees_a_failing_resolver() -> None:
    r = FixtureResolver({"a.root-servers.net": "TIMEOUT", "x.example": "TIMEOUT"}, canary=True)
    with pytest.raises(DnsTempError):
        r.query("x.example", "A")
    assert r.state()[0] == "failing"
    with pytest.raises(ResolverFailing):
        r.query("y.example", "A")
    assert ("y.example", "A") in r.queries  # recorded, though never answered


# --- prefetch and the wall-time budget -------------------------------------------------------


def test_prefetch_asks_independent_names_concurrently(server: LocalDns) -> None:
    server.delay = 0.05
    view = parse_message(GENUINE)
    t = time.monotonic()
    auth = authenticate(view, resolver=DnspythonResolver([server.address]))
    parallel_s = time.monotonic() - t
    assert auth.dmarc.result == "pass" and auth.dkim.result == "pass"
    assert server.max_concurrent >= 3  # DKIM key, SPF record and DMARC record together
    # Each name once per message: the memo answers the serial checks.
    for name in ("minuku2026._domainkey.amazon.co.jp", "bounces.amazon.co.jp"):
        assert server.count(name, "TXT") == 1
    server.max_concurrent = 0
    t = time.monotonic()
    auth = authenticate(view, resolver=Serial(DnspythonResolver([server.address])))
    serial_s = time.monotonic() - t
    assert auth.dmarc.result == "pass" and server.max_concurrent == 1
    # Two round trips (prefetch, then SPF's include) against four: a hang guard with margin.
    assert parallel_s < serial_s, (parallel_s, serial_s)
    assert serial_s >= 4 * 0.05


def test_budget_counts_wall_time_not_the_sum_over_threads(server: LocalDns) -> None:
    server.delay = 0.2
    b = BudgetResolver(DnspythonResolver([server.address]), budget_s=2.5)
    b.prefetch([(f"h{i}.example", "A") for i in range(6)] + [("amazon.co.jp", "TXT")])
    assert b.queries == 7 and server.max_concurrent >= 4
    assert 0.2 <= b.spent_s < 0.2 * 7 - 0.3, b.spent_s  # not 1.4 s
    with pytest.raises(NXDomain):
        b.query("h3.example", "A")  # from the memo
    assert b.memo_hits == 1 and b.queries == 7


def test_budget_health_reports_the_resolver_state(server: LocalDns) -> None:
    server.mode = "nxdomain"
    b = BudgetResolver(DnspythonResolver([server.address]))
    b.prefetch([("_dmarc.amazon.co.jp", "TXT"), ("amazon.co.jp", "TXT")])
    state, reason = b.health()
    assert state == "lying" and "NXDOMAIN" in reason


# --- choosing the server ---------------------------------------------------------------------


def _minuku(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONPATH": str(ROOT / "host") + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    return subprocess.run(
        [sys.executable, "-m", "minuku", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_cli_check_asks_the_named_server(server: LocalDns) -> None:
    p = _minuku(
        "check",
        "--json",
        "--nameserver",
        server.address,
        str(EXAMPLES / "amazon-genuine-notice.eml"),
    )
    assert p.returncode == 0, p.stderr
    payload = json.loads(p.stdout)
    assert payload["verdict"] == "ok" and payload["verified"]
    assert server.count("_dmarc.amazon.co.jp", "TXT") == 1


@pytest.mark.parametrize("bad", ["example.com", "127.0.0.1:99999", "[::1", "1.2.3.4:"])
def test_cli_rejects_a_nameserver_that_is_not_an_address(bad: str) -> None:
    p = _minuku("check", "--nameserver", bad, str(EXAMPLES / "harmless.eml"))
    assert p.returncode == 4 and "--nameserver" in p.stderr


def test_cli_nameserver_excludes_offline_and_fixture() -> None:
    p = _minuku("check", "--offline", "--nameserver", "127.0.0.1", str(EXAMPLES / "harmless.eml"))
    assert p.returncode == 4


def _frame(obj: dict[str, Any]) -> bytes:
    body = json.dumps(obj).encode()
    return struct.pack("=I", len(body)) + body


def _frames(data: bytes) -> list[dict[str, Any]]:
    out, pos = [], 0
    while pos + 4 <= len(data):
        (n,) = struct.unpack("=I", data[pos : pos + 4])
        out.append(json.loads(data[pos + 4 : pos + 4 + n]))
        pos += 4 + n
    return out


def _host_check(server_arg: list[str], options: dict[str, Any]) -> dict[str, Any]:
    request = {
        "type": "check",
        "protocol_version": 1,
        "id": "c1",
        "message": base64.b64encode(GENUINE).decode(),
        "options": options,
    }
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT / "host") + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    p = subprocess.run(
        [sys.executable, "-m", "minuku", "host", *server_arg, "/x/manifest.json", "minuku@x"],
        input=_frame(request),
        capture_output=True,
        timeout=120,
        env=env,
        cwd="/",
    )
    frames = [f for f in _frames(p.stdout) if f.get("id") == "c1"]
    assert frames and frames[-1]["type"] == "result", (frames, p.stderr[-2000:])
    payload: dict[str, Any] = frames[-1]["payload"]
    return payload


def test_host_started_with_nameserver_asks_it(server: LocalDns) -> None:
    payload = _host_check(["--nameserver", server.address], {"locale": "en"})
    assert payload["verdict"] == "ok" and payload["verified"], payload
    assert server.count("_dmarc.amazon.co.jp", "TXT") == 1


def test_addon_request_names_the_nameserver(server: LocalDns) -> None:
    payload = _host_check([], {"locale": "en", "nameservers": [server.address]})
    assert payload["verdict"] == "ok" and payload["verified"], payload
    assert server.count("_dmarc.amazon.co.jp", "TXT") == 1
