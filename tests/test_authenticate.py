"""authenticate(): SPF + DKIM + ARC + DMARC + trusted A-R on whole messages, online and offline."""

from __future__ import annotations

import base64
from functools import cache

import pytest
from minuku.auth import AuthOptions, authenticate
from minuku.dns import FixtureResolver
from minuku.message import parse_message


class ExplodingResolver:
    """Fails the test on any query: proves that offline mode sends nothing."""

    def query(self, name: str, rdtype: str) -> list[str]:
        raise AssertionError(f"offline mode sent a query: {rdtype} {name}")


@cache
def _key() -> tuple[bytes, str]:
    import nacl.signing

    k = nacl.signing.SigningKey(b"\x07" * 32)
    return base64.b64encode(bytes(k)), base64.b64encode(bytes(k.verify_key)).decode()


def key_record() -> str:
    return f"v=DKIM1; k=ed25519; p={_key()[1]}"


def message(
    *,
    from_: str,
    return_path: str | None,
    received: list[str],
    sign_domain: str | None = None,
    authres: list[str] = (),  # type: ignore[assignment]
    subject: str = "【重要】お知らせ",
) -> bytes:
    head = [f"Authentication-Results: {a}" for a in authres]
    if return_path is not None:
        head.append(f"Return-Path: <{return_path}>")
    head += [f"Received: {r}" for r in received]
    body_head = [
        f"From: {from_}",
        "To: user@example.net",
        "Subject: =?UTF-8?B?" + base64.b64encode(subject.encode()).decode() + "?=",
        "Date: Mon, 1 Jan 2024 00:00:00 +0000",
        "Message-ID: <1@example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    signed = ("\r\n".join(body_head) + "\r\n\r\nHello\r\n").encode()
    if sign_domain:
        import dkim

        sig = dkim.sign(
            signed,
            b"sel",
            sign_domain.encode(),
            _key()[0],
            signature_algorithm=b"ed25519-sha256",
            include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
        )
        signed = sig + signed
    return ("\r\n".join(head) + "\r\n").encode() + signed if head else signed


MX = "by mx.example.net (Postfix) with ESMTPS id 1; Mon, 1 Jan 2024 00:00:01 +0000"

ZONE = {
    "_dmarc.amazon.co.jp": {"TXT": ["v=DMARC1; p=quarantine; rua=mailto:r@amazon.co.jp"]},
    "amazon.co.jp": {"TXT": ["v=spf1 ip4:198.51.100.0/24 -all"]},
    "evil-shop.example": {"TXT": ["v=spf1 ip4:203.0.113.0/24 -all"]},
    "_dmarc.example-shop.co.jp": {"TXT": ["v=DMARC1; p=reject"]},
    "mail.example-shop.co.jp": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]},
    "sel._domainkey.example-shop.co.jp": {"TXT": [key_record()]},
    "sel._domainkey.slow-shop.example": "TIMEOUT",
    "_dmarc.slow-shop.example": {"TXT": ["v=DMARC1; p=reject"]},
}


def spoof(**kw: object) -> bytes:
    args: dict[str, object] = {
        "from_": "Amazon.co.jp <account-update@amazon.co.jp>",
        "return_path": "bounce@evil-shop.example",
        "received": [f"from evil-shop.example (evil-shop.example [203.0.113.66]) {MX}"],
    }
    args.update(kw)
    return message(**args)  # type: ignore[arg-type]


def legit(**kw: object) -> bytes:
    args: dict[str, object] = {
        "from_": "Example Shop <info@example-shop.co.jp>",
        "return_path": "bounce@mail.example-shop.co.jp",
        "received": [f"from out.example-shop.co.jp (out.example-shop.co.jp [192.0.2.25]) {MX}"],
        "sign_domain": "example-shop.co.jp",
    }
    args.update(kw)
    return message(**args)  # type: ignore[arg-type]


def test_spoofed_amazon_fails_dmarc() -> None:
    res = FixtureResolver(ZONE)
    auth = authenticate(parse_message(spoof()), resolver=res)
    assert (auth.spf.result, auth.spf.domain, auth.spf.ip) == (
        "pass",
        "evil-shop.example",
        "203.0.113.66",
    )
    assert auth.dkim.result == "none"  # unsigned is none, not fail (RFC 8601 §2.7.1)
    assert auth.dmarc.result == "fail"
    assert auth.dmarc.applied_policy == "quarantine"
    assert auth.dmarc.from_domain == "amazon.co.jp"
    assert auth.dns_queries == len(res.queries) > 0
    assert any(e.startswith("Received (topmost") for e in auth.spf.evidence)


def test_legit_hyphenated_sender_passes_with_both_alignments() -> None:
    auth = authenticate(parse_message(legit()), resolver=FixtureResolver(ZONE))
    assert auth.spf.result == "pass" and auth.spf.domain == "mail.example-shop.co.jp"
    assert auth.dkim.result == "pass" and auth.dkim.passing_domains == ("example-shop.co.jp",)
    assert auth.dmarc.result == "pass"
    assert auth.dmarc.dkim_aligned == "example-shop.co.jp"
    assert auth.dmarc.spf_aligned == "mail.example-shop.co.jp"
    assert auth.dmarc.applied_policy == "reject"
    assert auth.unchecked == ()


def test_offline_sends_zero_queries() -> None:
    view = parse_message(legit(authres=["mx.example.net; dkim=pass header.d=example-shop.co.jp"]))
    auth = authenticate(
        view, resolver=None, options=AuthOptions(trusted_authserv_ids=("mx.example.net",))
    )
    assert auth.spf.result == "unchecked" and auth.spf.reason == "offline"
    assert auth.dmarc.result == "unchecked" and auth.dmarc.reason == "offline"
    assert [s.result for s in auth.dkim.signatures] == ["unchecked"]
    assert auth.dns_queries == 0
    assert {"spf: offline", "dmarc: offline", "dkim: offline"} <= set(auth.unchecked)
    assert auth.authres and auth.authres[0].trusted  # the receiving server's word is still read


def test_offline_check_never_touches_the_resolver() -> None:
    from minuku.check import CheckOptions, check

    payload = check(spoof(), resolver=ExplodingResolver(), options=CheckOptions(offline=True))
    assert payload is not None


def test_disagreement_with_trusted_authres() -> None:
    raw = spoof(authres=["mx.example.net; spf=fail smtp.mailfrom=evil-shop.example; dmarc=fail"])
    auth = authenticate(
        parse_message(raw),
        resolver=FixtureResolver(ZONE),
        options=AuthOptions(trusted_authserv_ids=("mx.example.net",)),
    )
    assert auth.authres[0].trusted
    assert auth.disagreements == ("spf: ours=pass; mx.example.net=fail",)


def test_forged_authres_below_the_boundary_is_not_trusted() -> None:
    raw = spoof(
        received=[
            f"from evil-shop.example (evil-shop.example [203.0.113.66]) {MX}",
            "from x (x [203.0.113.67]) by evil-shop.example; d",
        ]
    )
    # Insert a forged A-R below the boundary's lower neighbour.
    head, _, rest = raw.partition(b"From: ")
    forged = head + b"Authentication-Results: mx.example.net; dmarc=pass\r\nFrom: " + rest
    auth = authenticate(parse_message(forged), resolver=FixtureResolver(ZONE))
    assert [e.trusted for e in auth.authres] == [False]
    assert auth.disagreements == ()


def test_budget_spent_means_unchecked_not_fail() -> None:
    opts = AuthOptions(dns_budget_s=0.0)
    auth = authenticate(parse_message(legit()), resolver=FixtureResolver(ZONE), options=opts)
    assert auth.dns_queries == 0
    assert auth.spf.result == "unchecked"
    assert auth.dkim.result == "unchecked"
    assert auth.dmarc.result == "unchecked"  # not fail: nothing could be verified
    assert any("budget" in u for u in auth.unchecked)


def test_dkim_temperror_keeps_dmarc_from_failing() -> None:
    raw = legit(
        from_="Slow <a@slow-shop.example>",
        sign_domain="slow-shop.example",
        return_path="bounce@elsewhere.example",
    )
    auth = authenticate(parse_message(raw), resolver=FixtureResolver(ZONE))
    assert auth.dkim.signatures[0].result == "temperror"
    assert auth.dmarc.result == "temperror"
    assert any(u.startswith("dmarc: temperror") for u in auth.unchecked)


def test_no_received_or_no_return_path_leaves_spf_unchecked() -> None:
    auth = authenticate(parse_message(spoof(received=[])), resolver=FixtureResolver(ZONE))
    assert auth.spf.result == "unchecked" and "Received" in auth.spf.reason
    # DMARC still fails: nothing could align (the Return-Path domain is unrelated)
    assert auth.dmarc.result == "fail"
    auth = authenticate(parse_message(spoof(return_path=None)), resolver=FixtureResolver(ZONE))
    assert auth.spf.result == "unchecked" and "Return-Path" in auth.spf.reason
    # ... but when the unchecked SPF domain could have aligned, DMARC cannot claim fail
    raw = spoof(received=[], return_path="bounce@amazon.co.jp")
    auth = authenticate(parse_message(raw), resolver=FixtureResolver(ZONE))
    assert auth.spf.domain == "amazon.co.jp"
    assert auth.dmarc.result == "unchecked" and "SPF unchecked" in auth.dmarc.reason


def test_trusted_hops_option_moves_the_boundary() -> None:
    raw = spoof(
        received=[
            f"from relay.example.net (relay.example.net [198.51.100.200]) {MX}",
            "from amazon.co.jp (amazon.co.jp [198.51.100.5]) by relay.example.net; d",
        ]
    )
    view = parse_message(raw)
    assert authenticate(view, resolver=FixtureResolver(ZONE)).spf.ip == "198.51.100.200"
    two = authenticate(view, resolver=FixtureResolver(ZONE), options=AuthOptions(trusted_hops=2))
    assert two.spf.ip == "198.51.100.5"


@pytest.mark.parametrize("from_", ["undisclosed-recipients:;", "Nobody", ""])
def test_from_without_domain_is_dmarc_permerror(from_: str) -> None:
    auth = authenticate(parse_message(spoof(from_=from_)), resolver=FixtureResolver(ZONE))
    assert auth.dmarc.result == "permerror"


def test_import_is_cheap() -> None:
    import subprocess
    import sys

    code = (
        "import sys, minuku.auth; "
        "heavy = [m for m in ('spf', 'dkim', 'authres', 'publicsuffixlist', 'dns.resolver') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
