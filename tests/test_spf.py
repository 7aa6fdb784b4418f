"""SPF through our resolver (RFC 7208) and the Received trust boundary (RFC 5321 §4.4)."""

from __future__ import annotations

import pytest
from minuku.auth.boundary import find_boundary, parse_received
from minuku.auth.spf import check_spf
from minuku.dns import FixtureResolver

ZONE = {
    "example-shop.co.jp": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]},
    "shop.example": {"TXT": ["v=spf1 include:_spf.shop.example ~all"]},
    "_spf.shop.example": {"TXT": ["v=spf1 ip6:2001:db8::/32 a:mx.shop.example -all"]},
    "mx.shop.example": {"A": ["198.51.100.7"]},
    "helo.example": {"TXT": ["v=spf1 a -all"], "A": ["203.0.113.5"]},
    "two.example": {"TXT": ["v=spf1 -all", "v=spf1 +all"]},
    "slow.example": "TIMEOUT",
    "split.example": {"TXT": [["v=spf1 ip4:192.0.2.1", " -all"]]},
    "loop.example": {"TXT": ["v=spf1 include:loop.example -all"]},
}


@pytest.mark.parametrize(
    ("ip", "mailfrom", "helo", "result"),
    [
        # hyphenated MAIL FROM domain is looked up whole (RFC 7208 §4.3)
        ("192.0.2.9", "bounce@example-shop.co.jp", "mx.example", "pass"),
        ("203.0.113.9", "bounce@example-shop.co.jp", "mx.example", "fail"),
        # include + ip6 + a, and the ~all of the outer record
        ("2001:db8::25", "x@shop.example", "h", "pass"),
        ("198.51.100.7", "x@shop.example", "h", "pass"),
        ("198.51.100.8", "x@shop.example", "h", "softfail"),
        # §2.4 null reverse-path: postmaster@HELO
        ("203.0.113.5", "", "helo.example", "pass"),
        ("203.0.113.6", "", "helo.example", "fail"),
        # §4.5: two records → permerror; §4.4: DNS timeout → temperror
        ("192.0.2.1", "a@two.example", "h", "permerror"),
        ("192.0.2.1", "a@slow.example", "h", "temperror"),
        # §4.5: no record → none; §3.3 strings of one TXT joined
        ("192.0.2.1", "a@nothing.example", "h", "none"),
        ("192.0.2.1", "a@split.example", "h", "pass"),
        # §5.2 include loop is bounded (permerror, no hang)
        ("192.0.2.1", "a@loop.example", "h", "permerror"),
        # IPv4-mapped IPv6 client is treated as IPv4 (§5)
        ("::ffff:192.0.2.9", "bounce@example-shop.co.jp", "h", "pass"),
    ],
)
def test_check_spf(ip: str, mailfrom: str, helo: str, result: str) -> None:
    r = check_spf(ip, mailfrom, helo, resolver=FixtureResolver(ZONE))
    assert r.result == result, r
    assert r.ip == ip


def test_spf_result_carries_domain_and_record() -> None:
    r = check_spf("192.0.2.9", "bounce@example-shop.co.jp", "mx", resolver=FixtureResolver(ZONE))
    assert r.domain == "example-shop.co.jp"
    assert any("v=spf1 ip4:192.0.2.0/24 -all" in e for e in r.evidence)
    assert "ip4:192.0.2.0/24" in r.reason
    r = check_spf("203.0.113.5", "", "helo.example", resolver=FixtureResolver(ZONE))
    assert r.domain == "helo.example"


def test_spf_without_usable_ip_is_unchecked_and_sends_nothing() -> None:
    res = FixtureResolver(ZONE)
    assert check_spf(None, "a@shop.example", "h", resolver=res).result == "unchecked"
    assert check_spf("not-an-ip", "a@shop.example", "h", resolver=res).result == "unchecked"
    assert res.queries == []


def test_spf_fresh_state_per_check() -> None:
    # No state leaks between checks: the same resolver, different zones give different answers.
    a = check_spf("192.0.2.9", "b@example-shop.co.jp", "h", resolver=FixtureResolver(ZONE))
    other = {"example-shop.co.jp": {"TXT": ["v=spf1 -all"]}}
    b = check_spf("192.0.2.9", "b@example-shop.co.jp", "h", resolver=FixtureResolver(other))
    assert (a.result, b.result) == ("pass", "fail")


def test_hostile_record_does_not_crash() -> None:
    zone = {"x.example": {"TXT": ["v=spf1 " + "a:%{" * 50 + " ip4:999.1.1.1/99 exists:%{i}.%{l}"]}}
    r = check_spf("192.0.2.1", "a@x.example", "h", resolver=FixtureResolver(zone))
    assert r.result == "permerror"


# --- Received parsing ------------------------------------------------------------------------

RECEIVED = [
    (
        "postfix",
        "from mail.example.com (mail.example.com [192.0.2.1]) by mx.example.net (Postfix) "
        "with ESMTPS id 4ABC123 for <u@example.net>; Tue, 1 Jan 2024 10:00:00 +0900 (JST)",
        ("mail.example.com", "mail.example.com", "192.0.2.1", "mx.example.net"),
    ),
    (
        "postfix-unknown-rdns",
        "from helo.example (unknown [192.0.2.9]) by mx.example.net (Postfix) with ESMTP id X",
        ("helo.example", None, "192.0.2.9", "mx.example.net"),
    ),
    (
        "exim-literal",
        "from [192.0.2.1] (helo=mail.example.com) by mx.example.net with esmtps (TLS1.3) "
        "(Exim 4.96) (envelope-from <x@y.example>) id 1rABCD-000123-0a for u@x.example; "
        "Tue, 01 Jan 2024 10:00:00 +0000",
        ("mail.example.com", None, "192.0.2.1", "mx.example.net"),
    ),
    (
        "exim-rdns",
        "from mail.example.com ([192.0.2.2] helo=mail.example.com) by mx.example.net "
        "with esmtp (Exim 4.92) id 1a",
        ("mail.example.com", None, "192.0.2.2", "mx.example.net"),
    ),
    (
        "sendmail-forged",
        "from mail.example.com (mail.example.com [192.0.2.3] (may be forged)) by mx.example.net "
        "(8.15.2/8.15.2) with ESMTP id x0; Tue, 1 Jan 2024",
        ("mail.example.com", "mail.example.com", "192.0.2.3", "mx.example.net"),
    ),
    (
        "gmail",
        "from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by "
        "mx.google.com with SMTPS id a640c23a62f3a-a9; Tue, 01 Oct 2024 03:04:05 -0700 (PDT)",
        ("mail-sor-f41.google.com", "mail-sor-f41.google.com", "209.85.220.41", "mx.google.com"),
    ),
    (
        "microsoft",
        "from JP1PR01MB1234.jpnprd01.prod.outlook.com (2603:1096:400:1::5) by "
        "OS3PR01MB5678.jpnprd01.prod.outlook.com (2603:1096:604:2::7) with Microsoft SMTP "
        "Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.1234.5; "
        "Mon, 1 Jan 2024 00:00:00 +0000",
        (
            "JP1PR01MB1234.jpnprd01.prod.outlook.com",
            None,
            "2603:1096:400:1::5",
            "os3pr01mb5678.jpnprd01.prod.outlook.com",
        ),
    ),
    (
        "ipv6-literal",
        "from mail.example.com (mail.example.com [IPv6:2001:db8::1]) by mx.example.net "
        "(Postfix) with ESMTPS id Z",
        ("mail.example.com", "mail.example.com", "2001:db8::1", "mx.example.net"),
    ),
    (
        "qmail",
        "from unknown (HELO mail.example.com) (192.0.2.4) by mx.example.net with SMTP; 1 Jan 2024",
        ("mail.example.com", None, "192.0.2.4", "mx.example.net"),
    ),
    (
        "folded",
        "from a.example (a.example\r\n [192.0.2.5])\r\n\tby b.example with ESMTP; x",
        ("a.example", "a.example", "192.0.2.5", "b.example"),
    ),
    (
        "no-from",
        "by 2002:a05:6a10:1234::1 with SMTP id abc; Tue",
        (None, None, None, "2002:a05:6a10:1234::1"),
    ),
    ("garbage", "garbage ((( [[[ ;;; from", (None, None, None, None)),
    ("empty", "", (None, None, None, None)),
]


@pytest.mark.parametrize(("value", "want"), [pytest.param(v, w, id=i) for i, v, w in RECEIVED])
def test_parse_received(value: str, want: tuple[str | None, ...]) -> None:
    hop = parse_received(value)
    assert (hop.helo, hop.rdns, hop.ip, hop.by) == want


def test_parse_received_clauses_and_date() -> None:
    hop = parse_received(RECEIVED[0][1])
    assert (hop.with_, hop.id, hop.for_) == ("ESMTPS", "4ABC123", "u@example.net")
    assert hop.date == "Tue, 1 Jan 2024 10:00:00 +0900 (JST)"


CHAIN = [
    "from relay.isp.example (relay.isp.example [10.0.0.5]) by store.isp.example with LMTP; d",
    "from mx1.isp.example (mx1.isp.example [10.0.0.4]) by relay.isp.example with ESMTP; d",
    "from sender.example (sender.example [192.0.2.50]) by mx1.isp.example with ESMTPS; d",
    "from forged.example (forged.example [203.0.113.66]) by sender.example with ESMTP; d",
]


def test_boundary_default_skips_internal_hops() -> None:
    b = find_boundary(CHAIN)
    assert b is not None and b.index == 2 and b.hop.ip == "192.0.2.50"
    assert "internal" in b.how


def test_boundary_trusted_hops() -> None:
    b = find_boundary(CHAIN[2:], trusted_hops=1)
    assert b is not None and b.hop.ip == "192.0.2.50"
    b = find_boundary(CHAIN[2:], trusted_hops=2)  # the user says both headers are theirs
    assert b is not None and b.hop.ip == "203.0.113.66"
    assert find_boundary(CHAIN[2:], trusted_hops=5) is None


def test_boundary_trusted_receivers() -> None:
    b = find_boundary(CHAIN, trusted_receivers=("isp.example",))
    assert b is not None and b.index == 2 and b.hop.ip == "192.0.2.50"
    assert find_boundary(CHAIN, trusted_receivers=("nowhere.example",)) is None


def test_boundary_not_moved_by_forged_header_naming_our_receiver() -> None:
    # The sender forges a lower header "by mx1.isp.example" and HELOs as one of our hosts:
    # neither is proof, so the boundary stays at the header our MX wrote.
    forged = [
        *CHAIN[:2],
        "from mx0.isp.example (unknown [192.0.2.50]) by mx1.isp.example with ESMTPS; d",
        "from amazon.co.jp (amazon.co.jp [198.51.100.1]) by mx1.isp.example with ESMTPS; d",
    ]
    b = find_boundary(forged, trusted_receivers=("isp.example",))
    assert b is not None and b.index == 2 and b.hop.ip == "192.0.2.50"


def test_no_received_no_boundary() -> None:
    assert find_boundary([]) is None
