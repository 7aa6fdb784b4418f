"""The message view: RFC 5322 headers, RFC 2047 encoded words, MIME bodies, links."""

from __future__ import annotations

import base64

from hypothesis import given, settings
from hypothesis import strategies as st
from minuku.message import _FOLD_RE, _unfold, decode_words, parse_message, url_host


def msg(headers: str, body: bytes = b"hello\n") -> bytes:
    return headers.encode("ascii") + b"\n" + body


def test_rfc2047_iso2022jp_b_and_q() -> None:
    b = "=?ISO-2022-JP?B?GyRCJSIlXiU+JXMbKEI=?="  # アマゾン
    assert decode_words(b) == "アマゾン"
    q = "=?iso-2022-jp?Q?=1B$B!Z=3DEMW![=1B(B?="  # 【重要】 in Q encoding
    assert decode_words(q) == "【重要】"


def test_rfc2047_shift_jis_euc_jp_utf8() -> None:
    for charset, codec in (("Shift_JIS", "cp932"), ("EUC-JP", "euc_jp"), ("UTF-8", "utf-8")):
        word = base64.b64encode("楽天カード株式会社".encode(codec)).decode()
        assert decode_words(f"=?{charset}?B?{word}?=") == "楽天カード株式会社", charset


def test_shift_jis_nec_extensions_use_cp932() -> None:
    # ① and ㈱ exist only in Microsoft's CP932 superset of Shift_JIS, which mailers label Shift_JIS.
    word = base64.b64encode("①㈱アマゾン".encode("cp932")).decode()
    assert decode_words(f"=?shift_jis?B?{word}?=") == "①㈱アマゾン"


def test_from_display_name_decoded_after_address_split() -> None:
    # An encoded display name that contains an address must not become the address.
    evil = base64.b64encode(b"Amazon <security@amazon.co.jp>").decode()
    v = parse_message(msg(f"From: =?utf-8?B?{evil}?= <x@evil.top>\nSubject: hi\n"))
    assert len(v.from_) == 1
    assert v.from_[0].domain == "evil.top"
    assert v.from_[0].display_name == "Amazon <security@amazon.co.jp>"


def test_two_from_headers_and_two_addresses() -> None:
    v = parse_message(msg("From: a@amazon.co.jp\nFrom: b@evil.top\nSubject: x\n"))
    assert v.from_header_count == 2
    assert [a.domain for a in v.from_] == ["amazon.co.jp", "evil.top"]
    v = parse_message(msg("From: a@amazon.co.jp, b@evil.top\nSubject: x\n"))
    assert v.from_header_count == 1
    assert len(v.from_) == 2


def test_headers_reply_to_return_path_received_and_mozilla_ignored() -> None:
    v = parse_message(
        msg(
            "X-Mozilla-Status: 0001\nX-Mozilla-Keys: \nReturn-Path: <bounce@mail.example.jp>\n"
            "Received: from a (a [192.0.2.1])\n\tby mx.example.jp; Mon, 1 Jan 2024 00:00:00 +0000\n"
            "Received: from b by a; Mon, 1 Jan 2024 00:00:00 +0000\n"
            "Authentication-Results: mx.example.jp; spf=pass smtp.mailfrom=mail.example.jp\n"
            "DKIM-Signature: v=1; d=example.jp; s=s1; b=abc\n"
            "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.jp; s=s; b=x\n"
            "From: A <a@Example.JP.>\nReply-To: r@gmail.com\nSender: s@example.jp\nSubject: x\n"
        )
    )
    assert all(not k.lower().startswith("x-mozilla") for k, _ in v.headers)
    assert v.return_path == "bounce@mail.example.jp"
    assert v.received[0].startswith("from a (a [192.0.2.1]) by mx.example.jp")
    assert len(v.received) == 2
    assert v.authentication_results[0].startswith("mx.example.jp;")
    assert v.dkim_signatures == ("v=1; d=example.jp; s=s1; b=abc",)
    assert v.arc_headers[0][0] == "ARC-Seal"
    assert v.from_[0].domain == "example.jp"
    assert v.reply_to[0].domain == "gmail.com"
    assert v.sender is not None and v.sender.domain == "example.jp"


def test_null_return_path() -> None:
    v = parse_message(msg("Return-Path: <>\nFrom: a@b.jp\n"))
    assert v.return_path == ""


def test_idn_domain_decoded_with_ascii_form() -> None:
    v = parse_message(msg("From: x@xn--mazon-3ve.co.jp\n"))
    a = v.from_[0]
    assert a.domain == "аmazon.co.jp" and a.domain[0] == "\u0430"
    assert a.ascii_domain == "xn--mazon-3ve.co.jp"


def test_invalid_punycode_does_not_crash() -> None:
    for bad in ("xn--999999999999999999999.com", "xn--.com", "xn--a-.com"):
        v = parse_message(msg(f"From: x@{bad}\n"))
        assert v.from_[0].domain.endswith(".com")


def test_iso2022jp_body_and_quoted_printable() -> None:
    body = "お客様のアカウントは一時的に停止されています".encode("iso2022_jp")
    v = parse_message(msg("From: a@b.jp\nContent-Type: text/plain; charset=ISO-2022-JP\n", body))
    assert "一時的に停止" in v.text
    qp = b"=E3=83=AD=E3=82=B0=E3=82=A4=E3=83=B3\n"  # ログイン
    v = parse_message(
        msg(
            "From: a@b.jp\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n",
            qp,
        )
    )
    assert "ログイン" in v.text


def test_shift_jis_html_links_anchor_form_area_and_bare() -> None:
    html = (
        '<html><head><title>t</title><script>var a="<a href=http://script.example/>";</script></head>'
        '<body><a href="https://evil.top/login">https://www.amazon.co.jp/</a>'
        '<form action="https://collect.example/post"></form>'
        '<map><area href="http://198.51.100.1/x" alt="Amazon"></map>'
        '<img src="logo.png" alt="Amazon.co.jp">'
        "<p>詳しくは https://bare.example/path を見てください。</p></body></html>"
    ).encode("cp932")
    v = parse_message(
        msg(
            "From: a@b.jp\nContent-Type: text/html; charset=Shift_JIS\nContent-Transfer-Encoding: base64\n",
            base64.encodebytes(html),
        )
    )
    got = {(ln.where, ln.host, ln.text) for ln in v.links}
    assert ("anchor", "evil.top", "https://www.amazon.co.jp/") in got
    assert ("form", "collect.example", "") in got
    assert ("area", "198.51.100.1", "Amazon") in got
    assert ("text", "bare.example", "https://bare.example/path") in got
    assert not any(ln.host == "script.example" for ln in v.links)  # script text is not visible
    assert v.images[0].alt == "Amazon.co.jp"
    assert "見てください" in v.html_text


def test_url_host_userinfo_and_tricks() -> None:
    assert url_host("https://amazon.co.jp@evil.top/") == "evil.top"
    assert url_host("https://www.AMAZON.co.jp./gp") == "www.amazon.co.jp"
    assert url_host("https://xn--mazon-3ve.co.jp/") == "аmazon.co.jp"
    assert url_host("http:\\\\evil.top\\x") == "evil.top"
    assert url_host("mailto:a@b.jp") is None
    assert url_host("javascript:alert(1)") is None
    assert url_host("https://[::1]/") == "::1"


def test_broken_base64_and_unknown_charset_still_give_text() -> None:
    v = parse_message(
        msg(
            "From: a@b.jp\nContent-Type: text/plain; charset=x-no-such-charset\nContent-Transfer-Encoding: base64\n",
            b"44GC44GE44GG!!!not base64***\n",
        )
    )
    assert isinstance(v.text, str)
    v = parse_message(
        msg("From: a@b.jp\nContent-Type: text/plain; charset=x-no-such\n", "日本語".encode())
    )
    assert "日本語" in v.text
    assert any("undecodable_charset" in d for d in v.defects) or "日本語" in v.text


def test_8bit_raw_utf8_header() -> None:
    raw = "From: アマゾン <a@evil.top>\nSubject: 【重要】\n\nx\n".encode()
    v = parse_message(raw)
    assert v.from_[0].display_name == "アマゾン"
    assert v.subject == "【重要】"


def test_examples_parse(examples) -> None:  # type: ignore[no-untyped-def]
    v = parse_message((examples / "amazon-keiyaku-furikou-phish.eml").read_bytes())
    assert v.subject == "【重要】契約不履行に関する通知"
    assert v.from_[0].display_name == "Amazon.co.jp"
    assert any(
        ln.text == "Amazonにログイン" and ln.host == "amazon-co-jp-security.com" for ln in v.links
    )
    assert "虚偽の情報" in v.text


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="\r\n \tab=?", max_size=60))
def test_unfold_is_the_fold_regex(value: str) -> None:
    # RFC 5322 §2.2.3 unfolding: our split/lstrip version gives what the regex gave
    assert _unfold(value) == _FOLD_RE.sub(" ", value).strip()


def test_header_lookup_is_case_insensitive_and_ordered() -> None:
    view = parse_message(b"X-A: one\r\nx-a: two\r\nSubject: s\r\n\r\nbody\r\n")
    assert view.header("X-a") == "one"
    assert view.header_all("X-A") == ["one", "two"]
    assert view.header("missing") is None and view.header_all("missing") == []
    view.header_all("x-a").append("not stored")  # a copy: the view stays as parsed
    assert view.header_all("x-a") == ["one", "two"]
