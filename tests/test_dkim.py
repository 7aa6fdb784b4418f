"""DKIM verification on messages we sign ourselves (RFC 6376, RFC 8301, RFC 8463).

Keys are generated per test session (RSA with the ``openssl`` command, ed25519 with PyNaCl) and
published through a FixtureResolver, so every outcome is produced by real signatures.
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass

import dkim
import nacl.encoding
import nacl.signing
import pytest
from dkim.canonicalization import CanonicalizationPolicy
from dkim.crypto import parse_pem_private_key
from minuku.auth.dkim import verify_dkim
from minuku.dns import BudgetResolver, FixtureResolver, OfflineResolver
from testkeys import openssl_rsa

DOMAIN = b"mail.example.jp"
SIG = b"DKIM-Signature: v=1; a=rsa-sha256; "  # the start of a hand-written signature field

CRLF_MESSAGE = (
    b"Received: from mx.example.jp by mx.local; Mon, 1 Jan 2024 00:00:00 +0900\r\n"
    b"From: Example Shop <info@mail.example.jp>\r\n"
    b"To: you@example.net\r\n"
    b"Subject: Your order\r\n"
    b"Date: Mon, 1 Jan 2024 00:00:00 +0900\r\n"
    b"Message-ID: <1@mail.example.jp>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Thank you for your order.\r\n"
    b"  Indented line with trailing space \r\n"
    b"\r\n"
    b"Regards\r\n"
)


@dataclass(frozen=True)
class Key:
    private: bytes  # what dkim.sign takes
    record: str  # the TXT record to publish


def _openssl_rsa(bits: int) -> Key:
    private, public = openssl_rsa(bits)
    return Key(private, "v=DKIM1; k=rsa; p=" + public)


@pytest.fixture(scope="session")
def rsa2048() -> Key:
    return _openssl_rsa(2048)


@pytest.fixture(scope="session")
def rsa_other() -> Key:
    return _openssl_rsa(1024)


@pytest.fixture(scope="session")
def rsa512() -> Key:
    return _openssl_rsa(512)


@pytest.fixture(scope="session")
def ed25519() -> Key:
    signing = nacl.signing.SigningKey.generate()
    private = signing.encode(encoder=nacl.encoding.Base64Encoder)
    public = signing.verify_key.encode(encoder=nacl.encoding.Base64Encoder).decode("ascii")
    return Key(private, "v=DKIM1; k=ed25519; p=" + public)


def sign(
    message: bytes,
    key: Key,
    selector: bytes = b"s1",
    *,
    algorithm: bytes = b"rsa-sha256",
    length: bool = False,
    linesep: bytes = b"\r\n",
    canonicalize: tuple[bytes, bytes] = (b"relaxed", b"simple"),
) -> bytes:
    header = dkim.sign(
        message,
        selector,
        DOMAIN,
        key.private,
        signature_algorithm=algorithm,
        length=length,
        linesep=linesep,
        canonicalize=canonicalize,
    )
    return bytes(header) + message


def publish(**records: str | object) -> FixtureResolver:
    return FixtureResolver(
        {f"{sel}._domainkey.{DOMAIN.decode()}": {"TXT": [rec]} for sel, rec in records.items()}
    )


def test_pass_reports_domain_selector_algorithm_and_key_size(rsa2048: Key) -> None:
    resolver = publish(s1=rsa2048.record)
    result = verify_dkim(sign(CRLF_MESSAGE, rsa2048), resolver=resolver)
    assert result.result == "pass"
    (sig,) = result.signatures
    assert (sig.result, sig.domain, sig.selector, sig.algorithm) == (
        "pass",
        "mail.example.jp",
        "s1",
        "rsa-sha256",
    )
    assert sig.key_bits == 2048
    assert sig.reason is None and not sig.weak
    assert result.passing_domains == ("mail.example.jp",)
    assert resolver.queries == [("s1._domainkey.mail.example.jp", "TXT")]


def test_tampered_body_is_body_hash_mismatch(rsa2048: Key) -> None:
    signed = sign(CRLF_MESSAGE, rsa2048).replace(b"Thank you", b"Thank yoU")
    result = verify_dkim(signed, resolver=publish(s1=rsa2048.record))
    assert result.result == "fail"
    assert result.signatures[0].reason == "body_hash_mismatch"


def test_tampered_header_is_signature_mismatch(rsa2048: Key) -> None:
    signed = sign(CRLF_MESSAGE, rsa2048).replace(b"Subject: Your order", b"Subject: Your 0rder")
    result = verify_dkim(signed, resolver=publish(s1=rsa2048.record))
    assert (result.result, result.signatures[0].reason) == ("fail", "signature_mismatch")


def test_missing_key_is_permerror_no_key(rsa2048: Key) -> None:
    result = verify_dkim(sign(CRLF_MESSAGE, rsa2048), resolver=publish(other=rsa2048.record))
    assert (result.result, result.signatures[0].reason) == ("permerror", "no_key")


def test_revoked_key_rfc6376_3_6_1(rsa2048: Key) -> None:
    result = verify_dkim(sign(CRLF_MESSAGE, rsa2048), resolver=publish(s1="v=DKIM1; k=rsa; p="))
    assert (result.result, result.signatures[0].reason) == ("permerror", "revoked_key")


def test_unparsable_key_record(rsa2048: Key) -> None:
    result = verify_dkim(sign(CRLF_MESSAGE, rsa2048), resolver=publish(s1="v=DKIM1; k=rsa; p=@@"))
    assert (result.result, result.signatures[0].reason) == ("permerror", "bad_key_record")


def test_ed25519_rfc8463(ed25519: Key) -> None:
    signed = sign(CRLF_MESSAGE, ed25519, algorithm=b"ed25519-sha256")
    result = verify_dkim(signed, resolver=publish(s1=ed25519.record))
    assert result.result == "pass"
    assert (result.signatures[0].algorithm, result.signatures[0].key_bits) == (
        "ed25519-sha256",
        256,
    )


def test_key_type_must_match_algorithm(ed25519: Key, rsa2048: Key) -> None:
    signed = sign(CRLF_MESSAGE, ed25519, algorithm=b"ed25519-sha256")
    result = verify_dkim(signed, resolver=publish(s1=rsa2048.record))
    assert (result.result, result.signatures[0].reason) == ("permerror", "bad_key_record")


def test_length_limit_with_appended_text_rfc6376_8_2(rsa2048: Key) -> None:
    signed = sign(CRLF_MESSAGE, rsa2048, length=True)
    resolver = publish(s1=rsa2048.record)
    clean = verify_dkim(signed, resolver=resolver).signatures[0]
    assert clean.result == "pass"
    assert clean.body_length_limit is not None and clean.body_length_limit > 0
    assert not clean.unsigned_body_after_limit

    appended = signed + b"\r\nClick https://evil.example/ to confirm your account.\r\n"
    sig = verify_dkim(appended, resolver=resolver).signatures[0]
    assert sig.result == "pass"
    assert sig.body_length_limit == clean.body_length_limit
    assert sig.unsigned_body_after_limit

    blank_lines = verify_dkim(signed + b"\r\n\r\n", resolver=resolver).signatures[0]
    assert blank_lines.result == "pass" and not blank_lines.unsigned_body_after_limit


def test_length_limit_is_flagged_offline_too(rsa2048: Key) -> None:
    signed = sign(CRLF_MESSAGE, rsa2048, length=True) + b"appended\r\n"
    sig = verify_dkim(signed, resolver=None).signatures[0]
    assert sig.result == "unchecked"
    assert sig.body_length_limit is not None and sig.unsigned_body_after_limit


def test_512_bit_key_is_too_small_rfc8301_3_2(rsa512: Key) -> None:
    result = verify_dkim(sign(CRLF_MESSAGE, rsa512), resolver=publish(s1=rsa512.record))
    sig = result.signatures[0]
    assert (result.result, sig.reason, sig.key_bits, sig.weak) == (
        "fail",
        "key_too_small",
        512,
        True,
    )


def test_rsa_sha1_is_policy_weak_algorithm_rfc8301_3_1(rsa2048: Key) -> None:
    signed = sign(CRLF_MESSAGE, rsa2048, algorithm=b"rsa-sha1")
    resolver = publish(s1=rsa2048.record)
    sig = verify_dkim(signed, resolver=resolver).signatures[0]
    assert (sig.result, sig.reason, sig.weak) == ("policy", "weak_algorithm", True)
    broken = verify_dkim(signed.replace(b"Regards", b"Regardz"), resolver=resolver).signatures[0]
    assert (broken.result, broken.reason, broken.weak) == ("fail", "body_hash_mismatch", True)


def test_dns_timeout_is_temperror() -> None:
    resolver = FixtureResolver({f"s1._domainkey.{DOMAIN.decode()}": "TIMEOUT"})
    message = (
        b"DKIM-Signature: v=1; a=rsa-sha256; d=mail.example.jp; s=s1; h=from; bh=AAAA; b=AAAA\r\n"
    )
    result = verify_dkim(message + CRLF_MESSAGE, resolver=resolver)
    assert (result.result, result.signatures[0].reason) == ("temperror", "dns_error")


def test_temperror_outranks_fail_but_not_pass(rsa2048: Key) -> None:
    timeout_sig = (
        b"DKIM-Signature: v=1; a=rsa-sha256; d=slow.example; s=s1; h=from; bh=AAAA; b=AAAA\r\n"
    )
    broken = sign(CRLF_MESSAGE, rsa2048).replace(b"Regards", b"Regardz")
    resolver = FixtureResolver(
        {
            "s1._domainkey.slow.example": "TIMEOUT",
            "s1._domainkey.mail.example.jp": {"TXT": [rsa2048.record]},
        }
    )
    result = verify_dkim(timeout_sig + broken, resolver=resolver)
    assert [s.result for s in result.signatures] == ["temperror", "fail"]
    assert result.result == "temperror"


def test_every_signature_is_verified_first_fails_second_passes(
    rsa2048: Key, rsa_other: Key
) -> None:
    inner = sign(CRLF_MESSAGE, rsa2048, b"good")
    # The outer (topmost) signature claims a selector whose published key is a different one.
    outer = sign(inner, rsa_other, b"bad")
    resolver = publish(good=rsa2048.record, bad=rsa2048.record)
    result = verify_dkim(outer, resolver=resolver)
    assert [(s.selector, s.result, s.reason) for s in result.signatures] == [
        ("bad", "fail", "signature_mismatch"),
        ("good", "pass", None),
    ]
    assert result.result == "pass"


def test_unsigned_is_none() -> None:
    resolver = FixtureResolver({})
    assert verify_dkim(CRLF_MESSAGE, resolver=resolver).result == "none"
    assert resolver.queries == []


def test_offline_lists_signatures_and_sends_nothing(rsa2048: Key, ed25519: Key) -> None:
    signed = sign(sign(CRLF_MESSAGE, rsa2048, b"r"), ed25519, b"e", algorithm=b"ed25519-sha256")
    result = verify_dkim(signed, resolver=None)
    assert result.result == "unchecked"
    assert [(s.selector, s.algorithm, s.result, s.reason) for s in result.signatures] == [
        ("e", "ed25519-sha256", "unchecked", "offline"),
        ("r", "rsa-sha256", "unchecked", "offline"),
    ]
    assert verify_dkim(CRLF_MESSAGE, resolver=None).result == "none"


ISO_2022_JP_MESSAGE = (
    b"From: =?ISO-2022-JP?B?GyRCJSIlXiUmJXMbKEI=?= <account@mail.example.jp>\r\n"
    b"To: you@example.net\r\n"
    b"Subject: =?ISO-2022-JP?B?GyRCIVpFajdXIVsbKEI=?=\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=ISO-2022-JP\r\n"
    b"Content-Transfer-Encoding: 7bit\r\n"
    b"\r\n"
    + "契約不履行に関する通知\r\nお客様のアカウントを一時停止しました。\r\n".encode("iso-2022-jp")
)

EIGHT_BIT_MESSAGE = (
    b"From: shop@mail.example.jp\r\n"
    b"Subject: receipt\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n" + "ご注文ありがとうございます。\r\n合計 ¥1,980\r\n".encode()
)


@pytest.mark.parametrize(
    "message", [ISO_2022_JP_MESSAGE, EIGHT_BIT_MESSAGE], ids=["iso2022jp", "8bit"]
)
@pytest.mark.parametrize("canon", [(b"relaxed", b"relaxed"), (b"simple", b"simple")])
def test_japanese_bodies_verify_with_crlf_and_lf(
    rsa2048: Key, message: bytes, canon: tuple[bytes, bytes]
) -> None:
    resolver = publish(s1=rsa2048.record)
    signed = sign(message, rsa2048, canonicalize=canon)
    assert verify_dkim(signed, resolver=resolver).result == "pass"
    assert verify_dkim(signed.replace(b"\r\n", b"\n"), resolver=resolver).result == "pass"
    tampered = signed.replace("通知".encode("iso-2022-jp")[3:7], b"xx").replace(
        "合計".encode(), "合言".encode()
    )
    assert verify_dkim(tampered, resolver=resolver).signatures[0].reason == "body_hash_mismatch"


@pytest.mark.parametrize("canon", [(b"relaxed", b"simple"), (b"simple", b"simple")])
def test_line_endings_signed_crlf_verified_lf_and_back(
    rsa2048: Key, canon: tuple[bytes, bytes]
) -> None:
    resolver = publish(s1=rsa2048.record)
    crlf_signed = sign(CRLF_MESSAGE, rsa2048, canonicalize=canon)
    lf_view = crlf_signed.replace(b"\r\n", b"\n")
    assert b"\r" not in lf_view
    assert verify_dkim(lf_view, resolver=resolver).result == "pass"

    lf_message = CRLF_MESSAGE.replace(b"\r\n", b"\n")
    lf_signed = sign(lf_message, rsa2048, linesep=b"\n", canonicalize=canon)
    assert b"\r" not in lf_signed
    assert verify_dkim(lf_signed, resolver=resolver).result == "pass"
    assert verify_dkim(lf_signed.replace(b"\n", b"\r\n"), resolver=resolver).result == "pass"

    # Mixed: CRLF in the header block, LF in the body and every other line.
    lines = crlf_signed.split(b"\r\n")
    mixed = b"".join(line + (b"\r\n" if i % 2 else b"\n") for i, line in enumerate(lines[:-1]))
    assert b"\r\n" in mixed and b"\n" in mixed.replace(b"\r\n", b"")
    assert verify_dkim(mixed, resolver=resolver).result == "pass"


def test_thunderbird_status_headers_are_harmless(rsa2048: Key) -> None:
    signed = sign(CRLF_MESSAGE, rsa2048).replace(b"\r\n", b"\n")
    raw = b"X-Mozilla-Status: 0001\nX-Mozilla-Status2: 00000000\nX-Mozilla-Keys: \n" + signed
    assert verify_dkim(raw, resolver=publish(s1=rsa2048.record)).result == "pass"


def _handmade_signature(
    message: bytes, key: Key, fields: list[tuple[bytes, bytes]], include: list[bytes]
) -> bytes:
    """A signature with tags dkim.sign cannot produce (x=, h= without From)."""
    signer = dkim.DKIM(message, signature_algorithm=b"rsa-sha256")
    signer.hasher = hashlib.sha256
    canon = CanonicalizationPolicy.from_c_value(b"relaxed/simple")
    body_hash = base64.b64encode(hashlib.sha256(canon.canonicalize_body(signer.body)).digest())
    tags = [
        (b"v", b"1"),
        (b"a", b"rsa-sha256"),
        (b"c", b"relaxed/simple"),
        (b"d", DOMAIN),
        (b"s", b"s1"),
        *fields,
        (b"h", b":".join(include)),
        (b"bh", body_hash),
        (b"b", b"0" * 60),
    ]
    pk = parse_pem_private_key(key.private)
    value = signer.gen_header(tags, include, canon, b"DKIM-Signature", pk)
    return b"DKIM-Signature: " + bytes(value) + message


def test_expired_signature_rfc6376_3_5(rsa2048: Key) -> None:
    raw = _handmade_signature(
        CRLF_MESSAGE, rsa2048, [(b"t", b"1000000000"), (b"x", b"1000086400")], [b"from", b"subject"]
    )
    resolver = publish(s1=rsa2048.record)
    sig = verify_dkim(raw, resolver=resolver).signatures[0]
    assert (sig.result, sig.reason) == ("policy", "expired")
    assert verify_dkim(raw, resolver=resolver, now=1000000100).result == "pass"
    assert time.time() > 1000086400


def test_from_must_be_signed_rfc6376_5_4(rsa2048: Key) -> None:
    raw = _handmade_signature(CRLF_MESSAGE, rsa2048, [], [b"subject", b"date"])
    resolver = publish(s1=rsa2048.record)
    result = verify_dkim(raw, resolver=resolver)
    assert (result.result, result.signatures[0].reason) == ("permerror", "syntax")
    assert resolver.queries == []


@pytest.mark.parametrize(
    "field",
    [
        b"DKIM-Signature: garbage\r\n",
        SIG + b"d=mail.example.jp; s=s1; h=from; bh=AAAA; b=AAAA; b=x\r\n",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=mail.example.jp; s=s1; h=from; bh=AAAA\r\n",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=mail.example.jp; s=s1; h=from; bh=AAAA; b=***\r\n",
        SIG + b"d=mail.example.jp; s=s1; h=from; l=; bh=AAAA; b=AAAA\r\n",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=ex ample.jp; s=s1; h=from; bh=AAAA; b=AAAA\r\n",
        "DKIM-Signature: v=1; a=rsa-sha256; d=例え.jp; s=s1; h=from; bh=AAAA; b=AAAA\r\n".encode(),
        b"DKIM-Signature: v=1; a=rsa-sha256; d="
        + b"a" * 5000
        + b"; s=s1; h=from; bh=AAAA; b=AAAA\r\n",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=\xff\xfe; s=s1; h=from; bh=AAAA; b=AAAA\r\n",
        SIG + b"x=soon; d=mail.example.jp; s=s1; h=from; bh=AAAA; b=AAAA\r\n",
    ],
)
def test_malformed_signatures_are_permerror_syntax(field: bytes, rsa2048: Key) -> None:
    resolver = publish(s1=rsa2048.record)
    result = verify_dkim(field + CRLF_MESSAGE, resolver=resolver)
    assert result.result == "permerror"
    assert [s.reason for s in result.signatures] == ["syntax"]
    assert all(len(s.domain or "") <= 256 for s in result.signatures)


def test_malformed_canonicalization_is_reported_not_raised(rsa2048: Key) -> None:
    field = SIG + b"c=odd/odd; d=mail.example.jp; s=s1; h=from; bh=AAAA; b=AAAA\r\n"
    result = verify_dkim(field + CRLF_MESSAGE, resolver=publish(s1=rsa2048.record))
    assert (result.result, result.signatures[0].reason) == ("permerror", "syntax")


def test_unknown_algorithm_is_unsupported() -> None:
    field = b"DKIM-Signature: v=1; a=rsa-md5; d=mail.example.jp; s=s1; h=from; bh=AAAA; b=AAAA\r\n"
    result = verify_dkim(field + CRLF_MESSAGE, resolver=FixtureResolver({}))
    assert (result.result, result.signatures[0].reason) == ("permerror", "unsupported")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\x01\x02",
        b" leading continuation\r\nDKIM-Signature: v=1; d=a.example; s=x\r\n\r\nbody",
        b"no colon here\r\nDKIM-Signature: v=1; d=a.example; s=x\r\n\r\nbody",
        b"DKIM-Signature:\r\n\r\n",
        b"\r\n\r\n\r\n",
    ],
)
def test_hostile_messages_never_raise(raw: bytes) -> None:
    result = verify_dkim(raw, resolver=FixtureResolver({}))
    assert result.result in {"none", "permerror"}
    assert all(s.result == "permerror" for s in result.signatures)


def test_signature_count_is_capped(rsa2048: Key) -> None:
    field = SIG + b"d=mail.example.jp; s=nokey; h=from; bh=AAAA; b=AAAA\r\n"
    resolver = FixtureResolver({})
    result = verify_dkim(field * 40 + CRLF_MESSAGE, resolver=resolver)
    assert len(result.signatures) == 40
    assert len(resolver.queries) == 16
    assert result.signatures[-1].reason == "too_many_signatures"


def test_nothing_is_printed_to_stdout(rsa2048: Key, capsys: pytest.CaptureFixture[str]) -> None:
    signed = sign(CRLF_MESSAGE, rsa2048).replace(b"Regards", b"Regardz")
    verify_dkim(signed, resolver=publish(s1=rsa2048.record))
    verify_dkim(b"DKIM-Signature: junk\r\n\r\n", resolver=FixtureResolver({}))
    captured = capsys.readouterr()
    assert captured.out == ""


def test_throughput_well_above_500_per_second(rsa2048: Key) -> None:
    signed = sign(CRLF_MESSAGE, rsa2048)
    resolver = publish(s1=rsa2048.record)
    start = time.perf_counter()
    for _ in range(200):
        assert verify_dkim(signed, resolver=resolver).result == "pass"
    # 200 checks in under 2 s is a loose floor (≥100/s); the pipeline target is checked by bench/.
    assert time.perf_counter() - start < 2.0


def test_offline_resolver_and_spent_budget_are_unchecked(rsa2048: Key) -> None:
    signed = sign(CRLF_MESSAGE, rsa2048)
    offline = OfflineResolver()
    result = verify_dkim(signed, resolver=offline)
    assert (result.result, result.signatures[0].reason) == ("unchecked", "offline")

    spent = BudgetResolver(publish(s1=rsa2048.record), budget_s=0.0)
    result = verify_dkim(signed, resolver=spent)
    assert (result.result, result.signatures[0].reason) == ("unchecked", "dns_budget")
    assert spent.queries == 0 and spent.refused == 1


def test_first_usable_of_several_txt_records_rfc6376_3_6_2_2(rsa2048: Key) -> None:
    resolver = FixtureResolver(
        {f"s1._domainkey.{DOMAIN.decode()}": {"TXT": ["v=spf1 -all", rsa2048.record]}}
    )
    result = verify_dkim(sign(CRLF_MESSAGE, rsa2048), resolver=resolver)
    assert result.result == "pass"
    assert any(rsa2048.record[:40] in e for e in result.signatures[0].evidence)
