"""Issue 7 ("field truth") and issue 8.1-8.3 ("flipping a verdict"): one named case per rule.

Each mail is written out here; DNS comes from a fixture resolver (the live-server tests are
in test_dns_live.py). Rules are those in minuku.verdict's docstring.
"""

from __future__ import annotations

import base64
from functools import cache

import pytest
from minuku.check import CheckOptions, analyse_raw, check
from minuku.dns import FixtureResolver

ONLINE = CheckOptions(lang="en")
OFFLINE = CheckOptions(lang="en", offline=True)
MX = "by mx.example.net (Postfix) with ESMTPS id 1; Mon, 1 Jan 2024 00:00:01 +0000"


@cache
def _key() -> tuple[bytes, str]:
    import nacl.signing

    k = nacl.signing.SigningKey(b"\x09" * 32)
    return base64.b64encode(bytes(k)), base64.b64encode(bytes(k.verify_key)).decode()


def key_record() -> str:
    return f"v=DKIM1; k=ed25519; p={_key()[1]}"


def sign(msg: bytes, domain: str, selector: str = "sel") -> bytes:
    import dkim

    return (
        dkim.sign(
            msg,
            selector.encode(),
            domain.encode(),
            _key()[0],
            signature_algorithm=b"ed25519-sha256",
            include_headers=[b"from", b"subject", b"date"],
        )
        + msg
    )


def mail(
    *,
    from_: str,
    subject: str = "Re: [PATCH] nfc: fix a leak",
    body: str = "Looks good to me.\r\n",
    extra: tuple[str, ...] = (),
    sign_domains: tuple[str, ...] = (),
    footer: str = "",
    trace: tuple[str, ...] = (),
    return_path: str = "list-bounces@lists.example.org",
    client: str = "from lists.example.org (lists.example.org [192.0.2.10])",
) -> bytes:
    subj = "=?UTF-8?B?" + base64.b64encode(subject.encode()).decode() + "?="
    core = (
        "\r\n".join(
            [
                f"From: {from_}",
                "To: list@lists.example.org",
                f"Subject: {subj}",
                "Date: Mon, 1 Jan 2024 00:00:00 +0000",
                "Message-ID: <1@example>",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8",
                *extra,
            ]
        )
        + "\r\n\r\n"
        + body
    ).encode()
    for d in sign_domains:
        core = sign(core, d)
    core += footer.encode()
    head = [*trace, f"Return-Path: <{return_path}>", f"Received: {client} {MX}"]
    return ("\r\n".join(head) + "\r\n").encode() + core


LIST_HEADERS = (
    "List-Id: Linux NFC <linux-nfc.lists.example.org>",
    "List-Post: <mailto:linux-nfc@lists.example.org>",
    "List-Unsubscribe: <mailto:linux-nfc-leave@lists.example.org>",
)
FOOTER = "_______________\r\nLinux-nfc mailing list -- linux-nfc@lists.example.org\r\n"


def zone(**policies: str) -> dict[str, object]:
    """Authors' DMARC records, the list's envelope passing SPF, keys for sel._domainkey.*."""
    data: dict[str, object] = {
        "lists.example.org": {"TXT": ["v=spf1 ip4:192.0.2.10 -all"]},
        "sel._domainkey.author.example": {"TXT": [key_record()]},
        "sel._domainkey.amazon.co.jp": {"TXT": [key_record()]},
        "sel._domainkey.attacker.example": {"TXT": [key_record()]},
        "_dmarc.amazon.co.jp": {"TXT": ["v=DMARC1; p=quarantine"]},
        "amazon.co.jp": {"TXT": ["v=spf1 ip4:198.51.100.0/24 -all"]},
    }
    for domain, record in policies.items():
        data[f"_dmarc.{domain.replace('_', '.')}"] = {"TXT": [record]}
    return data


def codes(
    raw: bytes, resolver: object | None = None, opts: CheckOptions = ONLINE
) -> dict[str, str]:
    a = analyse_raw(raw, resolver=resolver, options=opts)  # type: ignore[arg-type]
    return {f.code: f.severity.name.lower() for f in a.findings} | {"=verdict": a.verdict}


# ---- 1. lists and forwarders ------------------------------------------------------------


def test_list_post_with_footer_is_not_a_warning() -> None:
    # RFC 7960 §3.2.3: the footer breaks the author's DKIM, the From stays the author's.
    raw = mail(
        from_="Dev <dev@author.example>",
        extra=LIST_HEADERS,
        sign_domains=("author.example",),
        footer=FOOTER,
    )
    got = codes(raw, FixtureResolver(zone(author_example="v=DMARC1; p=none")))
    assert got["=verdict"] == "ok"
    assert got["list_delivery"] == "info"
    assert got["dmarc_fail_list"] == "info"
    assert got["dkim_unverifiable"] == "info"  # body hash mismatch through a list


def test_list_headers_without_the_lists_own_authentication_explain_nothing() -> None:
    # Anyone can write List-Id: the envelope here is not at the list's domain.
    raw = mail(
        from_="Dev <dev@author.example>",
        extra=LIST_HEADERS,
        return_path="x@attacker.example",
        client="from attacker.example (attacker.example [203.0.113.9])",
    )
    res = FixtureResolver(
        zone(author_example="v=DMARC1; p=reject") | {"attacker.example": {"TXT": ["v=spf1 +all"]}}
    )
    got = codes(raw, res)
    assert got["dmarc_fail"] == "warning"
    assert "list_delivery" not in got


def test_brand_claim_through_a_list_still_counts() -> None:
    # An attacker's own "list" vouches for itself; the display-name claim still counts.
    raw = mail(
        from_="Amazon.co.jp <account@amazon.co.jp>",
        subject="【重要】契約不履行に関する通知",
        body="24時間以内にご本人確認を行ってください。\r\n",
        extra=LIST_HEADERS,
    )
    got = codes(raw, FixtureResolver(zone()))
    assert got["=verdict"] == "danger"
    assert got["dmarc_fail_brand"] == "danger"


def test_employee_of_a_brand_posting_to_a_list_is_not_danger() -> None:
    raw = mail(
        from_="Taro Dev <taro@amazon.co.jp>",
        extra=LIST_HEADERS,
        sign_domains=("amazon.co.jp",),
        footer=FOOTER,
    )
    got = codes(
        raw, FixtureResolver(zone() | {"_dmarc.amazon.co.jp": {"TXT": ["v=DMARC1; p=none"]}})
    )
    assert got["=verdict"] in ("ok", "caution")
    assert got.get("dmarc_fail_brand") in ("info", "caution")


def test_trusted_arc_sealer_verifies_what_its_first_hop_saw() -> None:
    from minuku.auth.results import ArcResult, AuthSummary, DkimResult, DmarcResult, SpfResult
    from minuku.message import parse_message
    from minuku.verdict import analyse

    raw = mail(
        from_="'Dev' via kasan-dev <kasan-dev@googlegroups.com>",
        extra=(
            "List-Id: <kasan-dev.googlegroups.com>",
            "X-Original-From: Dev <dev@gmail.com>",
            "ARC-Seal: i=1; a=rsa-sha256; t=1; cv=none; d=google.com; s=arc-20160816; b=x",
        ),
    )
    view = parse_message(raw)
    auth = AuthSummary(
        spf=SpfResult("none"),
        dkim=DkimResult("none"),
        arc=ArcResult(
            "pass",
            1,
            first_hop_authres="mx.google.com; dkim=pass header.d=googlegroups.com; "
            "dmarc=pass header.from=googlegroups.com",
            first_hop_authserv_id="mx.google.com",
        ),
        dmarc=DmarcResult("none", from_domain="googlegroups.com"),
    )
    a = analyse(view, auth, offline=False)
    assert a.verdict == "ok" and a.verified
    # The same chain sealed by someone not on the list vouches for nothing.
    forged = raw.replace(b"d=google.com", b"d=sealer.attacker.example")
    b = analyse(parse_message(forged), auth, offline=False)
    assert not b.verified


# ---- 2. DMARC as published --------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "severity"),
    [
        ("v=DMARC1; p=none", "caution"),
        ("v=DMARC1; p=quarantine", "warning"),
        ("v=DMARC1; p=reject", "warning"),
        ("v=DMARC1; p=reject; pct=0", "caution"),
        ("v=DMARC1; p=quarantine; pct=50", "caution"),
        ("v=DMARC1; p=reject; pct=50", "warning"),
    ],
)
def test_dmarc_fail_weighs_the_published_policy(record: str, severity: str) -> None:
    raw = mail(
        from_="Dev <dev@author.example>",
        return_path="x@attacker.example",
        client="from attacker.example (attacker.example [203.0.113.9])",
    )
    res = FixtureResolver(
        zone(author_example=record) | {"attacker.example": {"TXT": ["v=spf1 +all"]}}
    )
    assert codes(raw, res)["dmarc_fail"] == severity


def test_subdomain_policy_sp_is_honoured() -> None:
    raw = mail(
        from_="Dev <dev@news.author.example>",
        return_path="x@attacker.example",
        client="from attacker.example (attacker.example [203.0.113.9])",
    )
    res = FixtureResolver(
        zone(author_example="v=DMARC1; p=reject; sp=none")
        | {
            "attacker.example": {"TXT": ["v=spf1 +all"]},
            "news.author.example": {"A": ["192.0.2.1"]},
        }
    )
    assert codes(raw, res)["dmarc_fail"] == "caution"


# ---- 3. pressure escalates only impersonation and link tricks --------------------------


def test_pressure_does_not_escalate_a_bare_dmarc_failure() -> None:
    raw = mail(
        from_="Dev <dev@author.example>",
        subject="Action required: the API will be permanently removed",
        body="This interface is suspended and will be permanently removed immediately.\r\n",
        return_path="x@attacker.example",
        client="from attacker.example (attacker.example [203.0.113.9])",
    )
    res = FixtureResolver(
        zone(author_example="v=DMARC1; p=reject") | {"attacker.example": {"TXT": ["v=spf1 +all"]}}
    )
    got = codes(raw, res)
    assert got["dmarc_fail"] == "warning" and got["=verdict"] == "warning"


def test_technical_english_on_a_list_post_is_information() -> None:
    raw = mail(
        from_="Dev <dev@author.example>",
        body="This flag is permanently set; click here is not a thing. Urgent fix below.\r\n",
        extra=LIST_HEADERS,
    )
    got = codes(raw, FixtureResolver(zone(author_example="v=DMARC1; p=none")))
    assert got["pressure_phrases"] == "info" and got["=verdict"] == "ok"


# ---- 4. could not verify is not forged -------------------------------------------------


def test_missing_key_is_could_not_verify() -> None:
    raw = mail(from_="Dev <dev@rotated.example>", sign_domains=("rotated.example",))
    got = codes(raw, FixtureResolver(zone()))
    assert got["dkim_unverifiable"] == "info"
    assert "dkim_fail" not in got


def test_broken_signature_outside_a_list_is_still_a_failure() -> None:
    raw = mail(
        from_="Dev <dev@author.example>", sign_domains=("author.example",), footer="tampered\r\n"
    )
    got = codes(raw, FixtureResolver(zone(author_example="v=DMARC1; p=none")))
    assert got["dkim_fail"] == "caution"


# ---- 5. DNS health -----------------------------------------------------------------------


def test_lying_resolver_says_dns_unavailable_never_ok() -> None:
    # NXDOMAIN for every name, canary names included (the fixture opts in to the canary).
    raw = mail(from_="Dev <dev@author.example>", sign_domains=("author.example",))
    payload = check(raw, resolver=FixtureResolver({"_canary": True}), options=ONLINE)
    assert payload.verdict == "unknown"
    assert payload.dns_status == "lying"
    assert payload.verified is False
    assert any(r.code == "dns_unavailable" for r in payload.reasons)
    assert "DNS" in payload.summary


# ---- 8. ok means verified -----------------------------------------------------------------


def test_unsigned_freemail_is_ok_but_not_verified() -> None:
    raw = mail(
        from_="Friend <friend@author.example>",
        return_path="friend@author.example",
        client="from smtp.author.example (smtp.author.example [192.0.2.50])",
    )
    res = FixtureResolver(
        zone(author_example="v=DMARC1; p=none") | {"author.example": {"TXT": ["v=spf1 -all"]}}
    )
    payload = check(raw, resolver=res, options=ONLINE)
    assert payload.verdict in ("ok", "caution")
    assert payload.verified is False
    if payload.verdict == "ok":
        assert "not verified" in payload.summary


def test_aligned_dkim_pass_is_verified() -> None:
    raw = mail(from_="Dev <dev@author.example>", sign_domains=("author.example",))
    payload = check(
        raw, resolver=FixtureResolver(zone(author_example="v=DMARC1; p=reject")), options=ONLINE
    )
    assert payload.verdict == "ok" and payload.verified is True


# ---- issue 8.2: unchecked signatures never vouch -----------------------------------------


def test_seventeen_signatures_cannot_force_dmarc_to_unchecked() -> None:
    # 16 valid signatures of the sender's own domain, then a junk d=amazon.co.jp one.
    raw = mail(
        from_="Amazon.co.jp <account@amazon.co.jp>",
        subject="【重要】契約不履行に関する通知",
        return_path="x@attacker.example",
        client="from attacker.example (attacker.example [203.0.113.9])",
    )
    junk = b"DKIM-Signature: v=1; a=rsa-sha256; d=amazon.co.jp; s=junk; h=from; bh=AAAA; b=AAAA\r\n"
    cut = raw.index(b"From:")
    signed = raw[cut:]
    for _ in range(16):
        signed = sign(signed, "attacker.example")
    raw = raw[:cut] + signed
    # The junk signature goes last (the 17th), past the cap.
    last = raw.index(b"From:")
    raw = raw[:last] + junk + raw[last:]
    res = FixtureResolver(zone() | {"attacker.example": {"TXT": ["v=spf1 +all"]}})
    a = analyse_raw(raw, resolver=res, options=ONLINE)
    assert a.auth.dmarc.result == "fail"
    assert a.verdict == "danger"
    # ... and a forged A-R on top does not rescue it.
    forged = b"Authentication-Results: mx.example.net; dmarc=pass header.from=amazon.co.jp\r\n"
    b = analyse_raw(forged + raw, resolver=res, options=ONLINE)
    assert b.verdict == "danger" and not b.verified


def test_always_signs_counts_only_verified_signatures() -> None:
    # A d=amazon.co.jp signature whose key is not published does not make the mail "signed".
    raw = mail(
        from_="Amazon.co.jp <account@amazon.co.jp>",
        return_path="x@attacker.example",
        client="from attacker.example (attacker.example [203.0.113.9])",
        sign_domains=("amazon.co.jp",),
    )
    raw = raw.replace(b"s=sel;", b"s=nokey;")
    res = FixtureResolver(zone() | {"_dmarc.amazon.co.jp": "TIMEOUT"})
    got = codes(raw, res)
    assert got["=verdict"] == "danger"
    assert got["brand_unsigned"] == "danger"


# ---- issue 8.3: a trusted pass for another From domain verifies nothing ---------------------


def test_trusted_dmarc_pass_must_name_the_same_from_domain() -> None:
    ar = "Authentication-Results: mx.example.net; dmarc=pass header.from=attacker.example"
    raw = mail(
        from_="Amazon.co.jp <account@amazon.co.jp>",
        trace=(ar,),
        return_path="x@attacker.example",
        client="from attacker.example (attacker.example [203.0.113.9])",
    )
    opts = CheckOptions(lang="en", offline=True, trusted_authserv_ids=("mx.example.net",))
    a = analyse_raw(raw, resolver=None, options=opts)
    assert not a.verified
    assert "brand_verified" not in {f.code for f in a.findings}
    good = raw.replace(b"header.from=attacker.example", b"header.from=amazon.co.jp")
    assert analyse_raw(good, resolver=None, options=opts).verified


# ---- 10. offline evidence for exact-domain spoofs -----------------------------------------


VPASS_SPOOF = (
    "Received: from vpass.ne.jp (unknown [203.0.113.77])\r\n"
    "\tby mx.example.net (Postfix) with ESMTP id 1; Mon, 1 Jan 2024 00:00:01 +0000\r\n"
    "Received-SPF: Softfail (mailfrom) identity=mailfrom; client-ip=203.0.113.77; "
    "helo=vpass.ne.jp; envelope-from=<info@vpass.ne.jp>; receiver=mx.example.net\r\n"
    "Return-Path: <info@vpass.ne.jp>\r\n"
    "From: =?UTF-8?B?5LiJ5LqV5L2P5Y+L44Kr44O844OJ?= <info@vpass.ne.jp>\r\n"
    "Subject: =?UTF-8?B?44CQ6YeN6KaB44CR44GU5pys5Lq656K66KqN44Gu44GK6aGY44GE?=\r\n"
    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "24時間以内にご本人確認をお願いします。\r\n"
).encode()


def test_offline_exact_domain_spoof_uses_the_receivers_evidence() -> None:
    a = analyse_raw(VPASS_SPOOF, resolver=None, options=OFFLINE)
    found = {f.code: f.severity.name.lower() for f in a.findings}
    assert "receiver_spf_fail_brand" in found
    assert "helo_brand_claim" in found
    assert a.verdict == "danger"  # the push to act escalates the receiver's evidence


def test_helo_claim_needs_the_receiver_to_say_there_is_no_name() -> None:
    # An MTA that writes no reverse name at all: silence is not evidence.
    raw = VPASS_SPOOF.replace(b"(unknown [203.0.113.77])", b"([203.0.113.77])")
    a = analyse_raw(raw, resolver=None, options=OFFLINE)
    assert "helo_brand_claim" not in {f.code for f in a.findings}


def test_unverified_brand_claim_with_links_gets_the_full_advice() -> None:
    raw = mail(
        from_="Amazon.co.jp <account@amazon.co.jp>",
        body="Sign in: https://www.amazon.co.jp/gp/css/homepage.html\r\n",
        sign_domains=("amazon.co.jp",),
    )
    payload = check(raw, options=OFFLINE)
    assert payload.verdict == "unknown"
    assert len(payload.advice) >= 4  # what to do if you clicked, where to report
    assert any(a.url and "amazon.co.jp" in a.url for a in payload.advice)
