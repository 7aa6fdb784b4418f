"""Hostile senders against the parser (issue 8): blinding the check, crashing it, stalling it.

Each test writes its hostile mail out. The properties: the payload is valid Unicode and
serialises (RFC 3629: UTF-8 has no surrogates), the header-only findings (a look-alike From)
survive anything the body does, caps never drop the identity and authentication headers, and
no input up to the 32 MB cap costs more than 2 s of CPU.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from minuku.check import CheckOptions, check
from minuku.message import decode_bytes, decode_words, parse_message
from minuku.payload import BannerPayload
from minuku.safetext import scrub, scrub_tree
from minuku.wire import BannerPayload as WirePayload
from minuku.wire import payload_json
from paths import ROOT

LOOKALIKE_FROM = "From: Amazon <info@amazon-co-jp-security.com>\n"
HEAD = LOOKALIKE_FROM + "To: a@example.jp\nSubject: test\nMIME-Version: 1.0\n"
VERDICT_EXITS = {0, 1, 2, 3}


def checked(raw: bytes) -> BannerPayload:
    """The offline check, with every wire property asserted on its payload."""
    t = time.process_time()
    p = check(raw, options=CheckOptions(offline=True))
    assert time.process_time() - t < 2.0
    json.dumps(dataclasses.asdict(p), ensure_ascii=False).encode("utf-8")
    body = payload_json(p).encode("utf-8")
    WirePayload.model_validate_json(body)
    return p


def codes(p: BannerPayload) -> set[str]:
    return {r.code for r in p.reasons}


def cli_check(tmp_path: Path, raw: bytes) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "hostile.eml"
    path.write_bytes(raw)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "host"), "LANG": "C.UTF-8"}
    return subprocess.run(
        [sys.executable, "-m", "minuku", "check", "--offline", "--json", str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env=env,
    )


# ------------------------------------------------ 4. lone surrogates never reach the payload

SURROGATE_MAILS = {
    # RFC 6531 SMTPUTF8: the receiving server writes the UTF-8 recipient into its Received.
    "smtputf8_received": (
        "Received: from mx.evil.top (mx.evil.top [192.0.2.1]) by mx.example.jp with UTF8SMTP"
        " for <みずき@example.jp>; Mon, 1 Jan 2024 00:00:00 +0000\n" + HEAD + "\nhello\n"
    ).encode(),
    # An 8-bit (Latin-1) HELO name copied into the receiving server's Received header.
    "latin1_helo_received": b"Received: from h\xe9lo.evil.top (unknown [192.0.2.1]) by"
    b" mx.example.jp; Mon, 1 Jan 2024 00:00:00 +0000\nAuthentication-Results: mx.example.jp;"
    b" spf=fail smtp.helo=h\xe9lo\n" + HEAD.encode() + b"\nhello\n",
    # RFC 2152 UTF-7 "+2AA-" is the lone surrogate U+D800.
    "utf7_display_name": b"From: =?utf-7?Q?Amazon_+2AA-?= <info@amazon-co-jp-security.com>\n"
    b"Subject: =?utf-7?B?KzJBQS0=?=\n\nhello\n",
    # unicode_escape turns the text \ud800 into a lone surrogate.
    "unicode_escape_body": (HEAD + "Content-Type: text/plain; charset=unicode_escape\n\n").encode()
    + b"\\ud800\\udfff https://amazon-co-jp-security.com/login \\x41\n",
    "raw_unicode_escape_subject": b"From: Amazon <info@amazon-co-jp-security.com>\n"
    b"Subject: =?raw_unicode_escape?Q?=5Cud800?=\n\nhello\n",
}


@pytest.mark.parametrize("name", sorted(SURROGATE_MAILS))
def test_lone_surrogate_sources_give_a_serialisable_danger_payload(name: str) -> None:
    p = checked(SURROGATE_MAILS[name])
    assert p.verdict == "danger"
    assert "lookalike_from" in codes(p)


@pytest.mark.parametrize("name", sorted(SURROGATE_MAILS))
def test_lone_surrogate_sources_leave_the_view_valid_unicode(name: str) -> None:
    v = parse_message(SURROGATE_MAILS[name])
    texts = [v.subject, v.text, v.html_text, *v.received, *v.authentication_results]
    texts += [x for kv in v.headers for x in kv] + [a.display_name for a in v.from_]
    for s in texts:
        s.encode("utf-8")  # raises on a lone surrogate


@pytest.mark.parametrize("name", sorted(SURROGATE_MAILS))
def test_minuku_check_exits_with_a_verdict_not_a_traceback(tmp_path: Path, name: str) -> None:
    p = cli_check(tmp_path, SURROGATE_MAILS[name])
    assert p.returncode in VERDICT_EXITS, p.stderr[-2000:]
    assert "Traceback" not in p.stderr
    assert json.loads(p.stdout)["verdict"] == "danger"


def test_dangerous_codecs_are_refused_not_run() -> None:
    # A charset label must not pick a transform: these decode as if the label were unknown.
    assert decode_bytes(b"\\ud800", "unicode_escape") == "\\ud800"
    assert decode_bytes(b"+2AA-", "utf-7") == "+2AA-"
    assert decode_bytes(b"uryyb", "rot13") == "uryyb"
    assert decode_bytes(b"aGVsbG8=", "base64") == "aGVsbG8="
    assert decode_bytes(b"x\x9c", "zlib") == "x\ufffd"
    defects: list[str] = []
    assert decode_bytes(b"abc-\xff", "punycode", defects).startswith("abc-")  # no UnicodeError
    assert any(d.startswith("undecodable_charset") for d in defects)


def test_safetext_scrubs_a_payload_at_the_boundary() -> None:
    # The boundary catches what a future parser bug might let through.
    p = checked(HEAD.encode() + b"\nhello\n")
    # The core's plain payload (banner.render scrubs it last): a lone surrogate anywhere in
    # the tree, in a nested reason's evidence too, becomes U+FFFD.
    reason = dataclasses.replace(p.reasons[0], evidence=["x\udfff"])
    plain = dataclasses.replace(
        p, title="Amazon \ud800", summary="\udcff!", reasons=[reason, *p.reasons[1:]]
    )
    with pytest.raises(ValueError):
        payload_json(plain).encode("utf-8")
    cleaned = scrub_tree(plain)
    assert cleaned.title == "Amazon \ufffd" and cleaned.summary == "\ufffd!"
    assert cleaned.reasons[0].evidence == ["x\ufffd"]
    payload_json(cleaned).encode("utf-8")
    assert scrub_tree(p) is p  # nothing to do: the same object
    assert scrub("a\udc80b") == "a\ufffdb"


# ------------------------------------------------ 5. one bad part never discards the analysis


def test_charset_punycode_body_is_still_danger() -> None:
    raw = (HEAD + "Content-Type: text/plain; charset=punycode\n\n").encode() + b"abc-\xff\n"
    p = checked(raw)
    assert p.verdict == "danger" and "lookalike_from" in codes(p)


def test_nul_in_charset_name_is_still_danger() -> None:
    raw = (HEAD + 'Content-Type: text/plain; charset="utf\x008"\n\nhello\n').encode()
    assert checked(raw).verdict == "danger"


def test_nul_in_encoded_word_charset_is_still_danger() -> None:
    # RFC 2047 §2: the charset is a token; a NUL in it made codecs.lookup raise ValueError.
    raw = (LOOKALIKE_FROM + "Subject: =?utf\x008?B?44Ki?=\n\nhello\n").encode()
    p = checked(raw)
    assert p.verdict == "danger"
    # The label is refused, and the bytes are read as UTF-8, as for any unknown charset.
    assert decode_words("=?utf\x008?B?44Ki?=") == "ア"


def test_nul_in_body_part_charset_keeps_the_other_parts() -> None:
    raw = (
        HEAD + 'Content-Type: multipart/alternative; boundary="z"\n\n'
        '--z\nContent-Type: text/plain; charset="shift\x00jis"\n\nbroken\n'
        "--z\nContent-Type: text/html; charset=utf-8\n\n"
        '<a href="https://amazon-co-jp-security.com/login">https://www.amazon.co.jp/</a>\n'
        "--z--\n"
    ).encode()
    p = checked(raw)
    assert p.verdict == "danger"
    assert "link_text_mismatch" in codes(p)


def test_980_levels_of_multipart_nesting_keep_the_from_finding() -> None:
    # RFC 2046 §5.1 allows nesting; the email library recursed once per level (RecursionError).
    nest = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(980)
    )
    raw = (HEAD + nest + "Content-Type: text/plain\n\nhello\n").encode()
    p = checked(raw)
    assert p.verdict == "danger" and "lookalike_from" in codes(p)
    v = parse_message(raw)
    assert "mime_too_deep" in v.defects
    assert v.skipped and "nested over" in v.skipped[0]


def test_980_levels_of_message_rfc822_in_30_kb_keep_the_from_finding() -> None:
    # RFC 2046 §5.2.1 message/rfc822: each level is one header line and a blank line.
    raw = (HEAD + "Content-Type: message/rfc822\n\n" * 980 + "Subject: x\n\nhi\n").encode()
    assert len(raw) < 31_000
    p = checked(raw)
    assert p.verdict == "danger" and "lookalike_from" in codes(p)
    assert "mime_too_deep" in parse_message(raw).defects


def test_deeply_nested_comment_in_from_keeps_the_address() -> None:
    # RFC 5322 §3.2.2 comments nest; the stdlib address parser recursed once per "(".
    raw = (
        "From: Amazon <info@amazon-co-jp-security.com> " + "(" * 5000 + "\nSubject: x\n\nhi\n"
    ).encode()
    v = parse_message(raw)
    assert v.from_ and v.from_[0].domain == "amazon-co-jp-security.com"
    assert checked(raw).verdict == "danger"


# ------------------------------------------------ 6. caps never drop From or the auth headers


def test_2000_filler_headers_before_from_are_still_danger() -> None:
    filler = "".join(f"X-Filler-{i}: v\n" for i in range(2000))
    raw = (
        filler + "Received: from mx.evil.top by mx.example.jp; Mon, 1 Jan 2024 00:00:00 +0000\n"
        "Authentication-Results: mx.example.jp; spf=fail smtp.mailfrom=evil.top\n"
        "DKIM-Signature: v=1; d=evil.top; s=s; b=abc\nARC-Seal: i=1; cv=none; d=evil.top\n"
        "Reply-To: r@evil.top\nReturn-Path: <b@evil.top>\nSender: s@evil.top\n" + HEAD + "\nhello\n"
    ).encode()
    v = parse_message(raw)
    assert "too_many_headers" in v.defects
    assert v.from_[0].domain == "amazon-co-jp-security.com"
    assert v.reply_to[0].domain == "evil.top" and v.return_path == "b@evil.top"
    assert v.sender is not None and v.received and v.authentication_results
    assert v.dkim_signatures and v.arc_headers
    p = checked(raw)
    assert p.verdict == "danger" and "no_from" not in codes(p)


def test_from_padded_past_the_address_cap_keeps_its_address() -> None:
    name = "=?utf-8?B?44Ki?=" * 4000  # 64 KB of encoded words before the address
    raw = f"From: {name} <info@amazon-co-jp-security.com>\nSubject: x\n\nhi\n".encode()
    v = parse_message(raw)
    assert v.from_ and v.from_[-1].domain == "amazon-co-jp-security.com"
    assert checked(raw).verdict == "danger"


# ------------------------------------------------ 7. crafted megabytes parse in bounded time


def test_2_mb_rfc2231_parameter_list_is_fast() -> None:
    # RFC 2231 §3 continuations: 120,000 of them took the email library 20 s.
    params = "; ".join(f"x*{i}*=utf-8''a" for i in range(120_000))
    raw = (
        HEAD + 'Content-Type: multipart/mixed; boundary="z"\n\n--z\n'
        f"Content-Type: text/plain; {params}\n\nhello\n--z--\n"
    ).encode()
    assert len(raw) > 2_000_000
    assert checked(raw).verdict == "danger"


def test_2_mb_folded_header_is_fast_and_truncated() -> None:
    raw = (HEAD + "X-Long: " + "a\n " * 700_000 + "\n\nhello\n").encode()
    assert checked(raw).verdict == "danger"
    assert "header_truncated" in parse_message(raw).defects


def test_2_mb_of_encoded_words_in_subject_is_fast() -> None:
    raw = (LOOKALIKE_FROM + "Subject: " + "=?utf-8?B?44Ki?= " * 120_000 + "\n\nhi\n").encode()
    v = parse_message(raw)
    assert v.subject.startswith("ア" * 200)  # the first words decoded, the rest kept raw
    assert "too_many_encoded_words" in v.defects
    assert checked(raw).verdict == "danger"


def test_2_mb_of_unclosed_tags_in_html_is_fast() -> None:
    # html.parser rescans to the end once per unclosed "<": 15+ s for 2 MB of "<a".
    raw = (HEAD + "Content-Type: text/html\n\n" + "<a" * 1_000_000).encode()
    assert checked(raw).verdict == "danger"


@pytest.mark.slow
@pytest.mark.parametrize(
    "shape",
    ["filler_headers", "folded_header", "stray_lt_html", "nested_multipart", "false_boundaries"],
)
def test_32_mb_worst_shapes_stay_under_2_s(shape: str) -> None:
    size = 32 * 1024 * 1024 - 4096
    head = HEAD.encode()
    raw = {
        "filler_headers": lambda: b"X:a\n" * (size // 4) + head + b"\nhi\n",
        "folded_header": lambda: head + b"X-Long: " + b"a\n " * (size // 3) + b"\n\nhi\n",
        "stray_lt_html": lambda: head + b"Content-Type: text/html\n\n" + b"<a" * (size // 2),
        "nested_multipart": lambda: (
            head
            + b"".join(
                b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i)
                for i in range(45)
            )
            + b"Content-Type: text/plain\n\n"
            + b"hello world\n" * (size // 12)
        ),
        "false_boundaries": lambda: (
            head
            + b'Content-Type: multipart/mixed; boundary="z"\n\n--z\n\n'
            + b"\n--zX" * (size // 5)
        ),
    }[shape]()
    assert checked(raw).verdict == "danger"


# ------------------------------------------------ Japanese stays right


def test_iso2022jp_character_split_across_encoded_words_is_joined() -> None:
    # RFC 2047 §6.2: adjacent words are joined (the white space between them dropped); a
    # mailer that splits one JIS escape sequence across two words needs their bytes joined.
    data = "【重要】アマゾン".encode("iso2022_jp")
    import base64

    a, b = base64.b64encode(data[:7]).decode(), base64.b64encode(data[7:]).decode()
    assert decode_words(f"=?ISO-2022-JP?B?{a}?=\n =?ISO-2022-JP?B?{b}?=") == "【重要】アマゾン"


def test_japanese_charsets_in_headers_and_bodies() -> None:
    import base64

    subj = base64.b64encode("楽天カード".encode("euc_jp")).decode()
    name = base64.b64encode("①アマゾン".encode("cp932")).decode()
    body = "お客様のアカウントは停止されています".encode("shift_jis")
    raw = (
        f"From: =?Shift_JIS?B?{name}?= <a@amazon-co-jp-security.com>\n"
        f"Subject: =?EUC-JP?B?{subj}?=\nContent-Type: text/plain; charset=Shift_JIS\n\n"
    ).encode() + body
    v = parse_message(raw)
    assert v.from_[0].display_name == "①アマゾン"
    assert v.subject == "楽天カード"
    assert "停止されています" in v.text
