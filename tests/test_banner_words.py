"""Issue 9.6: the Japanese (and English) banner text is natural language, not jargon.

Raw result codes (temperror, permerror, none, no_key), half-width parentheses with spaces and
the verdict word repeated in the title stay out of the sentences the reader sees; the codes
remain in each line's ``result`` / ``code`` and evidence, which the add-on shows only under
its "technical details" fold. The mails are written out below (a look-alike phish with a
DKIM signature whose key is missing), checked offline and against a fixture DNS.
"""

from __future__ import annotations

import re

import pytest
from minuku.banner import reason_text
from minuku.check import CheckOptions, check
from minuku.dns import FixtureResolver
from minuku.findings import Finding, Severity

PHISH = (
    b"Return-Path: <bounce@amazon-co-jp-security.com>\r\n"
    b"Received: from mail.amazon-co-jp-security.com (mail.amazon-co-jp-security.com"
    b" [203.0.113.45])\r\n\tby mx1.example-isp.ne.jp (Postfix) with ESMTP id 4ZB7\r\n"
    b"\tfor <hanako@example-isp.ne.jp>; Fri, 27 Nov 2026 09:12:44 +0900 (JST)\r\n"
    b"DKIM-Signature: v=1; a=rsa-sha256; d=amazon-co-jp-security.com; s=s1; c=relaxed/relaxed;"
    b" h=from:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\n"
    b"From: Amazon.co.jp <account-update@amazon-co-jp-security.com>\r\n"
    b"To: hanako@example-isp.ne.jp\r\n"
    b"Subject: =?UTF-8?B?44CQ6YeN6KaB44CR5aWR57SE5LiN5bGl6KGM44Gr6Zai44GZ44KL6YCa55+l?=\r\n"
    b"Date: Fri, 27 Nov 2026 09:12:44 +0900\r\n"
    b"Message-ID: <p1@amazon-co-jp-security.com>\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"https://amazon-co-jp-security.com/ap/signin\r\n"
)

RAW_CODES = re.compile(r"\b(temperror|permerror|softfail|no_key|none|neutral|pass|fail)\b")


def _sentences(payload: object) -> list[str]:
    p = payload  # a BannerPayload
    out = [p.title, p.summary]  # type: ignore[attr-defined]
    out += [r.text for r in p.reasons]  # type: ignore[attr-defined]
    out += [line.text for line in p.auth.lines]  # type: ignore[attr-defined]
    return out


@pytest.mark.parametrize("offline", [True, False])
def test_ja_sentences_have_no_raw_codes_and_full_width_parentheses(offline: bool) -> None:
    resolver = None if offline else FixtureResolver({})  # every name: NXDOMAIN (no key, no policy)
    p = check(PHISH, resolver=resolver, options=CheckOptions(lang="ja", offline=offline))
    assert p.verdict == "danger"
    for s in _sentences(p):
        assert not RAW_CODES.search(s), s
        assert " (" not in s and "(" not in s, f"half-width parenthesis: {s}"
    # The raw values are still there for the technical details.
    assert {line.method for line in p.auth.lines} == {"spf", "dkim", "dmarc", "arc"}
    assert all(line.result for line in p.auth.lines)


def test_verdict_word_said_once_title_has_no_prefix() -> None:
    """The badge says 危険 / Danger; the title does not start with it again."""
    for lang, words in (("ja", ("危険", "警告", "注意")), ("en", ("Danger", "Warning", "Caution"))):
        p = check(PHISH, options=CheckOptions(lang=lang, offline=True))  # type: ignore[arg-type]
        assert not p.title.startswith(words), p.title


def test_dkim_reason_code_becomes_words() -> None:
    """RFC 6376 §6.1.2: a missing key record is 'no_key' internally; the reader gets words."""
    f = Finding("dkim_unverifiable", Severity.INFO, {"domain": "example.jp", "reason": "no_key"})
    ja = reason_text(f, "ja")
    en = reason_text(f, "en")
    assert "no_key" not in ja and "公開鍵" in ja, ja
    assert "no_key" not in en and "key" in en, en
    assert "（" in ja and "(" not in ja


def test_unknown_code_is_shown_as_is_never_dropped() -> None:
    """A code with no words yet still reaches the reader (never an empty hole)."""
    f = Finding("dkim_fail", Severity.WARNING, {"domain": "example.jp", "reason": "brand_new_code"})
    assert "brand_new_code" in reason_text(f, "ja")
