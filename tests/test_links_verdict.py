"""Link findings and the verdict rules, through the real pipeline (check / analyse_raw)."""

from __future__ import annotations

import pytest
from minuku.check import CheckOptions, analyse_raw, check
from minuku.errors import DnsTempError
from minuku.findings import Finding, Severity
from minuku.links import link_findings, shown_host
from minuku.message import make_link
from minuku.verdict import decide
from paths import example

OFFLINE = CheckOptions(offline=True)


def codes_for(
    html: str, head: str = "From: Taro <taro@example-shop.co.jp>\nSubject: hi\n"
) -> set[str]:
    raw = (head + "Content-Type: text/html; charset=utf-8\n\n" + html).encode()
    return {f.code for f in analyse_raw(raw, resolver=None, options=OFFLINE).findings}


def test_anchor_text_showing_another_host() -> None:
    assert "link_text_mismatch" in codes_for(
        '<a href="https://evil.top/x">https://www.amazon.co.jp/</a>'
    )
    assert "link_text_mismatch" in codes_for('<a href="https://evil.top/x">www.rakuten.co.jp</a>')
    # same registrable domain: not a mismatch
    assert "link_text_mismatch" not in codes_for(
        '<a href="https://www.amazon.co.jp/gp/css">https://amazon.co.jp/</a>'
    )
    assert "link_text_mismatch" not in codes_for('<a href="https://evil.top/x">こちら</a>')


def test_shown_host_reads_urls_and_bare_domains() -> None:
    assert shown_host("https://www.amazon.co.jp/gp/help") == "www.amazon.co.jp"
    assert shown_host("amazon.co.jp") == "amazon.co.jp"
    assert (
        shown_host("ａｍａｚｏｎ．ｃｏ．ｊｐ") == "amazon.co.jp"
    )  # full-width, as a reader sees it
    assert shown_host("ログインはこちら") is None
    assert shown_host("version 2.0") is None


@pytest.mark.parametrize(
    ("href", "code"),
    [
        ("https://amazon.co.jp@evil.top/signin", "link_userinfo_trick"),
        ("http://198.51.100.7/amazon/", "link_raw_ip"),
        ("http://3232235777/login", "link_raw_ip"),
        ("https://bit.ly/3xYzAbC", "link_shortener"),
        ("https://evil-top.translate.goog/signin", "link_redirector"),
        ("https://www.google.com/url?q=https://evil.top", "link_redirector"),
        ("https://amazon-login.web.app/", "link_free_hosting"),
        ("https://xn--mazon-3ve.co.jp/", "link_punycode"),
        ("https://amazon-co-jp-security.com/ap/signin", "link_lookalike"),
    ],
)
def test_link_tricks(href: str, code: str) -> None:
    found = link_findings((make_link(href, "click", "anchor", "html"),))
    assert code in {f.code for f in found}, found


def test_punycode_link_shows_both_forms() -> None:
    (f,) = [
        x
        for x in link_findings((make_link("https://xn--mazon-3ve.co.jp/", "x", "anchor", "html"),))
        if x.code == "link_punycode"
    ]
    assert f.params["ascii"] == "xn--mazon-3ve.co.jp"
    assert f.params["host"] == "\u0430mazon.co.jp"


def test_plain_links_to_genuine_sites_give_nothing() -> None:
    links = (
        make_link("https://www.amazon.co.jp/gp/css/order-history", "注文履歴", "anchor", "html"),
        make_link(
            "https://www.nikkei.com/article/x", "https://www.nikkei.com/article/x", "text", "text"
        ),
    )
    assert link_findings(links) == []


def test_brand_claim_with_signin_link_elsewhere() -> None:
    codes = codes_for(
        '<p>Amazon.co.jp</p><a href="https://secure-login.example.net/ap/signin">Amazonにログイン</a>',
        head="From: Amazon.co.jp <info@news-mailer.example.net>\nSubject: hi\n",
    )
    assert {"brand_impersonation", "brand_links_elsewhere"} <= codes


def test_pressure_alone_is_never_danger() -> None:
    raw = (
        "From: Hanako <hanako@example-shop.co.jp>\nSubject: 至急\nContent-Type: text/plain; charset=utf-8\n\n"
        "24時間以内にお支払い方法の更新をお願いします。アカウントが一時的に停止されます。\n"
    ).encode()
    a = analyse_raw(raw, resolver=None, options=OFFLINE)
    assert "pressure_phrases" in {f.code for f in a.findings}
    assert a.verdict == "caution"


def test_pressure_turns_an_impersonation_warning_into_danger() -> None:
    base = "From: Amazon.co.jp <info@news-mailer.example.net>\nSubject: お知らせ\nContent-Type: text/plain; charset=utf-8\n\n"
    calm = analyse_raw(
        (base + "新しいセールのお知らせです。\n").encode(), resolver=None, options=OFFLINE
    )
    assert calm.verdict == "warning"
    pushy = analyse_raw(
        (base + "アカウントが一時的に停止されました。24時間以内に確認してください。\n").encode(),
        resolver=None,
        options=OFFLINE,
    )
    assert pushy.verdict == "danger"


def test_free_mail_claiming_a_brand_is_danger() -> None:
    raw = b"From: =?utf-8?B?44Ki44Oe44K+44Oz?= <amazon.support.jp@gmail.com>\nSubject: x\n\nhello\n"
    a = analyse_raw(raw, resolver=None, options=OFFLINE)
    assert a.brand == "amazon"
    assert "freemail_brand_claim" in {f.code for f in a.findings}
    assert a.verdict == "danger"


def test_spoofed_brand_domain_unsigned_is_danger_offline() -> None:
    a = analyse_raw(example("amazon-spoofed-from.eml"), resolver=None, options=OFFLINE)
    assert a.verdict == "danger"
    assert "brand_unsigned" in {f.code for f in a.findings}


def test_genuine_brand_mail_offline_is_unknown_not_ok() -> None:
    # Signed, but the signature cannot be checked without DNS: say so rather than "ok".
    a = analyse_raw(example("amazon-genuine-notice.eml"), resolver=None, options=OFFLINE)
    assert a.verdict == "unknown"
    assert "brand_unverified" in {f.code for f in a.findings}


def test_trusted_receiving_server_pass_verifies_offline() -> None:
    ar = (
        b"Authentication-Results: mx1.example-isp.ne.jp; dkim=pass header.d=amazon.co.jp;"
        b" spf=pass smtp.mailfrom=bounces.amazon.co.jp; dmarc=pass header.from=amazon.co.jp\r\n"
    )
    trusting = CheckOptions(offline=True, trusted_authserv_ids=("mx1.example-isp.ne.jp",))
    raw = example("amazon-genuine-notice.eml")
    top = raw.index(b"Received:")
    # The receiving server's A-R above its own Received header, with its id configured.
    a = analyse_raw(raw[:top] + ar + raw[top:], resolver=None, options=trusting)
    assert a.verdict == "ok", a.findings
    # Position alone is never enough (issue 8.1): without the id the same header is a claim.
    assert (
        analyse_raw(raw[:top] + ar + raw[top:], resolver=None, options=OFFLINE).verdict == "unknown"
    )
    # The same header below the sender's own hop is the sender's claim, not the server's.
    cut = raw.index(b"DKIM-Signature:")
    hop = b"Received: from localhost (localhost [127.0.0.1]) by mail.sender.example; Fri, 27 Nov 2026 10:00:00 +0000\r\n"
    b = analyse_raw(raw[:cut] + hop + ar + raw[cut:], resolver=None, options=trusting)
    assert b.verdict == "unknown"


class ExplodingResolver:
    def __init__(self) -> None:
        self.calls = 0

    def query(self, name: str, rdtype: str) -> list[str]:
        self.calls += 1
        raise AssertionError(f"offline mode sent a query: {rdtype} {name}")


@pytest.mark.parametrize(
    "name",
    [
        "amazon-keiyaku-furikou-phish.eml",
        "amazon-genuine-notice.eml",
        "harmless.eml",
        "amazon-spoofed-from.eml",
    ],
)
def test_offline_sends_zero_queries(name: str) -> None:
    r = ExplodingResolver()
    payload = check(example(name), resolver=r, options=OFFLINE)
    assert r.calls == 0
    assert payload.offline is True
    assert any(
        "offline" in line.text or line.result in ("none", "unchecked")
        for line in payload.auth.lines
    )


class TimeoutResolver:
    def query(self, name: str, rdtype: str) -> list[str]:
        raise DnsTempError(name, rdtype, "timeout")


def test_dns_timeouts_never_make_a_brand_mail_ok() -> None:
    payload = check(
        example("amazon-genuine-notice.eml"), resolver=TimeoutResolver(), options=CheckOptions()
    )
    assert payload.verdict == "unknown"
    assert payload.auth.unchecked or any(ln.result == "temperror" for ln in payload.auth.lines)


def test_decide_orders_severities() -> None:
    f = lambda sev, code="x": Finding(code, sev)  # noqa: E731
    assert decide([f(Severity.CAUTION), f(Severity.DANGER)]) == "danger"
    assert decide([f(Severity.WARNING), f(Severity.CAUTION)]) == "warning"
    assert decide([f(Severity.INFO, "brand_unverified")]) == "unknown"
    assert decide([f(Severity.INFO, "brand_verified")]) == "ok"
    assert decide([]) == "ok"


def test_payload_in_both_languages_and_advice_urls_are_official() -> None:
    from minuku.banner import _advice
    from minuku.catalogue import load

    official = set(_advice()["contacts"].values()) | set(
        load().brand("amazon").official_urls.values()
    )
    for lang in ("ja", "en"):
        p = check(
            example("amazon-keiyaku-furikou-phish.eml"),
            options=CheckOptions(lang=lang, offline=True),
        )
        assert p.locale == lang
        assert p.advice and all(a.url is None or a.url in official for a in p.advice)
        assert not any("amazon-co-jp-security.com" in (a.url or "") for a in p.advice)
    ja = check(
        example("amazon-keiyaku-furikou-phish.eml"), options=CheckOptions(lang="ja", offline=True)
    )
    assert any("メッセージセンター" in a.text for a in ja.advice)
    assert any("フィッシング対策協議会" in a.text for a in ja.advice)


def _verdict(raw: str) -> tuple[str, dict[str, Severity]]:
    a = analyse_raw(raw.encode(), resolver=None, options=OFFLINE)
    return a.verdict, {f.code: f.severity for f in a.findings}


_FAN_NEWSLETTER = (
    'From: "Netflix Life" <newsletter@netflixlife.com>\n'
    "Subject: This week's new shows on streaming\n"
    "Content-Type: text/plain; charset=utf-8\n\n"
    "Hi! Here are this week's new shows and movies.\n"
    "Read more: https://netflixlife.com/2026/11/new-this-week/\n"
)


def test_brand_name_beside_plain_words_is_a_warning_in_a_calm_mail() -> None:
    """netflixlife.com (a fan site among the popular domains): the brand's name beside a plain
    word is not the brand's, and the banner says so, but a newsletter that asks for nothing is
    no proven fake: warning, not danger."""
    verdict, sev = _verdict(_FAN_NEWSLETTER)
    assert verdict == "warning"
    assert sev["lookalike_from"] == Severity.WARNING
    assert sev["link_lookalike"] == Severity.WARNING


def test_brand_name_beside_plain_words_is_a_danger_once_the_mail_pushes() -> None:
    raw = _FAN_NEWSLETTER.replace(
        "Hi! Here are", "Your account has been suspended. Update your payment within 24 hours.\n"
    )
    verdict, sev = _verdict(raw)
    assert verdict == "danger", sev
    assert sev["lookalike_from"] == Severity.DANGER


def test_brand_name_beside_plain_words_is_a_danger_with_a_sign_in_link() -> None:
    """The same sender with a sign-in link on a host Netflix does not own: what phishing is
    for, pressure words or not."""
    raw = (
        'From: "Netflix Life" <newsletter@netflixlife.com>\n'
        "Subject: Your membership\n"
        "Content-Type: text/html; charset=utf-8\n\n"
        '<p>Hello.</p><a href="https://netflixlife.com/account/login">Sign in</a>\n'
    )
    verdict, sev = _verdict(raw)
    assert verdict == "danger", sev
    assert sev["lookalike_from"] == Severity.DANGER


@pytest.mark.parametrize(
    "domain",
    [
        "amazon-co-jp-security.com",  # a strong affix beside the name
        "paypal-cash.net",  # affix words alone beside it (paypal-cash.com is PayPal's own)
        "amazon-life.xyz",  # an abused TLD
        "eki-net.biz",  # the brand's name alone under another ending
        "amaz0n-life.com",  # a fold: nobody writes the brand so by chance
    ],
)
def test_kit_shaped_lookalike_sender_stays_a_danger_in_a_calm_mail(domain: str) -> None:
    raw = _FAN_NEWSLETTER.replace("netflixlife.com", domain).replace("Netflix Life", "News")
    verdict, sev = _verdict(raw)
    assert sev.get("lookalike_from") == Severity.DANGER, (domain, sev)
    assert verdict == "danger"


def test_brand_name_beside_plain_words_is_a_danger_with_a_hosted_page_link() -> None:
    """A page on file or page hosting counts as the sign-in page, as it does under a brand
    claim (issue 11.2): the same shared rule, whatever the link's words."""
    raw = _FAN_NEWSLETTER.replace(
        "https://netflixlife.com/2026/11/new-this-week/",
        "https://weekly-shows.pages.dev/this-week",
    )
    verdict, sev = _verdict(raw)
    assert verdict == "danger", sev
    assert sev["lookalike_from"] == Severity.DANGER
