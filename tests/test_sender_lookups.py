"""``sender_lookups: false``: opening a mail must not tell its sender that it is being read.

A sender who gives every recipient its own DKIM selector or From subdomain sees, on its own
name server, the query for that name at the moment the mail is checked. With the option off,
only names under a brand's own domains (and mailbox providers', whose servers the sender
cannot read) are asked; the rest are "not checked", never pass and never fail.
"""

from __future__ import annotations

import base64
import json
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from localdns import LocalDns
from minuku.check import CheckOptions, check
from minuku.dns import FixtureResolver
from minuku.dnspolicy import BrandOnlyResolver, SenderLookupSkipped, brand_owned

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = json.loads((ROOT / "examples" / "dns-fixture.json").read_text())

# The attack: a per-recipient selector (s=u8412) and From subdomain (u8412.tracker.example).
TRACKER_MAIL = (
    b"Received: from mail.tracker.example (mail.tracker.example [203.0.113.9])\r\n"
    b" by mx.example-isp.ne.jp (Postfix) with ESMTPS id 1; Fri, 27 Nov 2026 10:00:00 +0900\r\n"
    b"Return-Path: <b-u8412@u8412.tracker.example>\r\n"
    b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=u8412.tracker.example;\r\n"
    b" s=u8412; h=from:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\n"
    b"From: Shop <news@u8412.tracker.example>\r\n"
    b"To: hanako@example-isp.ne.jp\r\n"
    b"Subject: sale\r\n"
    b"Date: Fri, 27 Nov 2026 10:00:00 +0900\r\n"
    b"Message-ID: <1@u8412.tracker.example>\r\n"
    b"\r\n"
    b"hello\r\n"
)
SENDER_NAMES = ("tracker.example",)


def _example(name: str) -> bytes:
    return (ROOT / "examples" / name).read_bytes()


def _sender_queries(queries: list[tuple[str, str]]) -> list[str]:
    return [n for n, _ in queries if any(n == s or n.endswith("." + s) for s in SENDER_NAMES)]


def test_which_names_are_the_brands_and_which_the_senders() -> None:
    assert brand_owned("_dmarc.amazon.co.jp")
    assert brand_owned("minuku2026._domainkey.amazon.co.jp")
    assert brand_owned("_dmarc.gmail.com")  # a mailbox provider's, not its user's
    assert not brand_owned("u8412._domainkey.u8412.tracker.example")
    assert not brand_owned("_dmarc.amazon-co-jp-security.com")  # a look-alike is the sender's
    assert not brand_owned("9.113.0.203.in-addr.arpa")
    assert not brand_owned("anyone.github.io")  # a brand's shared subtree is anyone's


def test_the_option_on_asks_the_senders_own_names() -> None:
    # The control: without the option the selector IS asked, so the next test can fail.
    fixture = FixtureResolver(FIXTURE)
    check(TRACKER_MAIL, resolver=fixture, options=CheckOptions())
    assert "u8412._domainkey.u8412.tracker.example" in _sender_queries(fixture.queries)


def test_per_recipient_selector_and_subdomain_are_never_asked() -> None:
    fixture = FixtureResolver(FIXTURE)
    payload = check(TRACKER_MAIL, resolver=fixture, options=CheckOptions(sender_lookups=False))
    assert _sender_queries(fixture.queries) == []
    assert payload.verdict in ("ok", "unknown")
    assert payload.verified is False
    codes = [r.code for r in payload.reasons]
    assert "sender_lookups_skipped" in codes
    assert "dns_incomplete" not in codes  # nothing timed out: the lookups were left out on purpose


def test_refused_lookup_is_a_temporary_error_not_an_answer() -> None:
    policy = BrandOnlyResolver(FixtureResolver(FIXTURE))
    try:
        policy.query("u8412._domainkey.u8412.tracker.example", "TXT")
    except SenderLookupSkipped as exc:
        assert "sender controls" in exc.reason
    else:
        raise AssertionError("a sender's name was asked")
    assert policy.skipped == [("u8412._domainkey.u8412.tracker.example", "TXT")]


def test_brand_mail_is_still_judged_from_the_brands_own_records() -> None:
    opts = CheckOptions(sender_lookups=False)
    genuine = check(
        _example("amazon-genuine-notice.eml"), resolver=FixtureResolver(FIXTURE), options=opts
    )
    assert (genuine.verdict, genuine.verified) == ("ok", True)
    spoofed = check(
        _example("amazon-spoofed-from.eml"), resolver=FixtureResolver(FIXTURE), options=opts
    )
    assert spoofed.verdict == "danger"
    fixture = FixtureResolver(FIXTURE)
    phish = check(_example("amazon-keiyaku-furikou-phish.eml"), resolver=fixture, options=opts)
    assert phish.verdict == "danger"
    assert not [n for n, _ in fixture.queries if "amazon-co-jp-security" in n]


# --- through the real host, the real resolver and a real DNS server ---------------------------


def _frame(obj: Any) -> bytes:
    body = json.dumps(obj).encode()
    return struct.pack("=I", len(body)) + body


def _host_check(raw: bytes, nameserver: str, sender_lookups: bool) -> dict[str, Any]:
    req = {
        "type": "check",
        "protocol_version": 1,
        "id": "c1",
        "message": base64.b64encode(raw).decode(),
        "options": {"nameservers": [nameserver], "sender_lookups": sender_lookups},
    }
    host = [sys.executable, "-m", "minuku", "host", "/m.json", "minuku@addons.minuku"]
    p = subprocess.run(host, input=_frame(req), capture_output=True, timeout=60, cwd="/")
    (n,) = struct.unpack("=I", p.stdout[:4])
    frame: dict[str, Any] = json.loads(p.stdout[4 : 4 + n])
    return frame


def test_host_sends_no_query_for_the_senders_names() -> None:
    zone = dict(FIXTURE)
    zone["u8412._domainkey.u8412.tracker.example"] = {"TXT": ["v=DKIM1; p="]}
    with LocalDns(zone) as server:
        off = _host_check(TRACKER_MAIL, server.address, sender_lookups=False)
        asked_off = [n for n, _, _ in server.queries]
        server.queries.clear()
        on = _host_check(TRACKER_MAIL, server.address, sender_lookups=True)
        asked_on = [n for n, _, _ in server.queries]
    assert off["type"] == on["type"] == "result"
    assert not [n for n in asked_off if "tracker.example" in n]
    assert "u8412._domainkey.u8412.tracker.example" in asked_on


# --- the skip is data, set where the query is refused (not words matched in "unchecked") ------


def _authenticate_without_sender_lookups(raw: bytes) -> Any:
    from minuku.auth import authenticate
    from minuku.dns import BudgetResolver
    from minuku.message import parse_message

    policy = BudgetResolver(BrandOnlyResolver(FixtureResolver(FIXTURE)))
    return authenticate(parse_message(raw), resolver=policy)


def test_skipped_lookups_are_recorded_where_they_are_refused() -> None:
    # RFC 7208 §2.6.6 / RFC 7489 §6.6.2: a lookup not made is a temporary error, never an answer;
    # which lookups were left out on purpose is carried as data from SPF, DMARC and the DKIM
    # key (its per-recipient selector): "not looked up on purpose", never "offline".
    auth = _authenticate_without_sender_lookups(TRACKER_MAIL)
    assert (auth.spf.result, auth.dmarc.result) == ("temperror", "temperror")
    assert auth.spf.skipped == ("TXT u8412.tracker.example",)
    assert auth.dmarc.skipped == ("TXT _dmarc.u8412.tracker.example",)
    assert [(s.result, s.reason) for s in auth.dkim.signatures] == [
        ("unchecked", "sender_lookup_skipped")
    ]
    assert auth.sender_lookups_skipped == ("dkim", "dmarc", "spf")
    assert auth.skipped_queries == (
        "TXT u8412.tracker.example",
        "TXT _dmarc.u8412.tracker.example",
        "TXT u8412._domainkey.u8412.tracker.example",
    )
    assert not [u for u in auth.unchecked if "offline" in u], auth.unchecked
    assert auth.dns_incomplete == ()  # nothing failed: left out on purpose


def test_long_per_recipient_subdomain_is_still_a_skip_not_a_dns_failure() -> None:
    # Bug: the skip was found by its reason text inside the "unchecked" line, cut at 160
    # characters. A sender whose per-recipient From subdomain is long pushed the words out,
    # and the private open read "DNS did not answer in time" (dns_incomplete) instead.
    long_name = b"u8412-" + b"a" * 57 + b"." + b"b" * 40 + b".tracker.example"
    raw = TRACKER_MAIL.replace(b"u8412.tracker.example", long_name)
    fixture = FixtureResolver(FIXTURE)
    payload = check(raw, resolver=fixture, options=CheckOptions(sender_lookups=False))
    assert _sender_queries(fixture.queries) == []
    codes = [r.code for r in payload.reasons]
    assert "sender_lookups_skipped" in codes
    assert "dns_incomplete" not in codes
    skipped = next(r for r in payload.reasons if r.code == "sender_lookups_skipped")
    assert "dmarc, spf" in skipped.text


def test_dmarc_waiting_on_a_skipped_spf_is_skipped_too() -> None:
    # RFC 7489 §6.6.2: a DMARC fail that an SPF temperror could still turn into a pass is a
    # temperror. When that SPF temperror is a lookup left out on purpose, DMARC says so too.
    from minuku.auth import _settle_dmarc
    from minuku.auth.results import DkimResult, DmarcResult, SpfResult

    dmarc = DmarcResult("fail", from_domain="brand.example", p="reject")
    skipped_spf = SpfResult(
        "temperror", domain="mail.brand.example", skipped=("TXT mail.brand.example",)
    )
    failed_spf = SpfResult("temperror", domain="mail.brand.example", reason="DNS timeout")
    from_domains = ["brand.example"]
    settled = _settle_dmarc(dmarc, skipped_spf, DkimResult("none"), from_domains)
    assert settled.result == "temperror"
    assert settled.skipped == ("TXT mail.brand.example",)
    # A real DNS failure is not a skip, even though the words of its result are the same.
    settled = _settle_dmarc(dmarc, failed_spf, DkimResult("none"), from_domains)
    assert (settled.result, settled.skipped) == ("temperror", ())


def test_verdict_reads_the_skip_from_data_not_from_unchecked_text() -> None:
    # The "unchecked" lines are for people; a line that carries the skip's words (they can
    # come from a DNS error's text) does not make a skip, and data decides both findings.
    from minuku.auth.results import ArcResult, AuthSummary, DkimResult, DmarcResult, SpfResult
    from minuku.dnspolicy import SKIPPED_REASON
    from minuku.message import parse_message
    from minuku.verdict import analyse

    line = f"spf: temperror (DNS TXT x.example: {SKIPPED_REASON})"
    base = AuthSummary(
        spf=SpfResult("temperror", domain="x.example"),
        dkim=DkimResult("none"),
        arc=ArcResult("none"),
        dmarc=DmarcResult("none", from_domain="x.example"),
        unchecked=(line,),
    )
    view = parse_message(b"From: a@x.example\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhi\r\n")

    def codes(auth: AuthSummary) -> list[str]:
        return [f.code for f in analyse(view, auth, offline=False).findings]

    assert "sender_lookups_skipped" not in codes(base)
    assert "dns_incomplete" not in codes(base)
    from dataclasses import replace

    assert "dns_incomplete" in codes(replace(base, dns_incomplete=(line,)))
    skipped = codes(replace(base, sender_lookups_skipped=("spf",)))
    assert "sender_lookups_skipped" in skipped and "dns_incomplete" not in skipped


# --- a list's post opened privately: its list cannot be vouched for, so it is not "unvouched" --

LIST_POST = (
    b"Return-Path: <kasan-dev+bncBC@googlegroups.com>\r\n"
    b"Received: from mail-sor-f69.google.com (mail-sor-f69.google.com [209.85.220.69])\r\n"
    b"\tby mx.example-isp.ne.jp (Postfix) with ESMTPS id 4ZB7\r\n"
    b"\tfor <hanako@example-isp.ne.jp>; Mon, 30 Nov 2026 09:00:00 +0900 (JST)\r\n"
    b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=gmail.com; s=20230601;"
    b" h=from:to:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\n"
    b"From: Taro Yamada <taro.yamada@gmail.com>\r\n"
    b"To: kasan-dev <kasan-dev@googlegroups.com>\r\n"
    b"Subject: Re: [PATCH] kasan: fix a report\r\n"
    b"Date: Mon, 30 Nov 2026 09:00:00 +0900\r\n"
    b"Message-ID: <CAF1@mail.gmail.com>\r\n"
    b"List-ID: <kasan-dev.googlegroups.com>\r\n"
    b"Mailing-list: list kasan-dev@googlegroups.com; contact kasan-dev+owners@googlegroups.com\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Looks good to me.\r\n"
)
# The hard fixture of the field corpus, for this one mail: the author's domain asks for no
# action, the list's envelope domain passes SPF, no DKIM key is published.
LIST_ZONE = {
    "_dmarc.gmail.com": {"TXT": ["v=DMARC1; p=none"]},
    "gmail.com": {"TXT": ["v=spf1 -all"]},
    "googlegroups.com": {"TXT": ["v=spf1 +all"]},
}


def _codes(payload: Any) -> dict[str, str]:
    return {r.code: r.severity for r in payload.reasons}


def test_list_post_opened_without_sender_lookups_is_not_called_an_unvouched_dmarc_failure() -> None:
    # Field truth: 256 of 1,104 real list posts read "caution: DMARC failed" when opened
    # privately, because the list's own SPF (googlegroups.com, a name the sender side
    # controls) was not looked up. Not vouched for is not found unvouched (RFC 7489 §4: a
    # list breaks the author's DMARC; its own authentication is what explains that).
    zone = FixtureResolver(LIST_ZONE)
    full = check(LIST_POST, resolver=zone, options=CheckOptions())
    private = check(LIST_POST, resolver=zone, options=CheckOptions(sender_lookups=False))
    assert full.verdict == "ok" and "list_delivery" in _codes(full)
    assert private.verdict == "ok", _codes(private)
    assert _codes(private)["dmarc_fail_list"] == "info"
    assert "sender_lookups_skipped" in _codes(private)


def test_same_post_without_list_headers_still_fails_dmarc_when_opened_privately() -> None:
    # Without any list headers nothing explains the failure: a gmail.com spoof stays caution.
    spoof = b"".join(
        line + b"\r\n"
        for line in LIST_POST.split(b"\r\n")
        if not line.lower().startswith((b"list-id:", b"mailing-list:"))
    ).replace(b"kasan-dev <kasan-dev@googlegroups.com>", b"hanako@example-isp.ne.jp")
    private = check(
        spoof, resolver=FixtureResolver(LIST_ZONE), options=CheckOptions(sender_lookups=False)
    )
    assert private.verdict == "caution"
    assert _codes(private)["dmarc_fail"] == "caution"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_auth_lines_say_not_looked_up_on_purpose_not_dns_failure(lang: str) -> None:
    # A private opening's SPF is a temperror because its lookup was left out on purpose; the
    # line must not tell the reader that DNS failed to answer.
    private = check(
        LIST_POST,
        resolver=FixtureResolver(LIST_ZONE),
        options=CheckOptions(sender_lookups=False, lang=lang),
    )
    spf = next(line for line in private.auth.lines if line.method == "spf")
    assert spf.result == "temperror"
    assert "DNS did not answer" not in spf.text and "応答せず" not in spf.text, spf.text
    assert ("private" in spf.text) if lang == "en" else ("未照会" in spf.text), spf.text
