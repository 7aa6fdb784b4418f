"""Authentication-Results (RFC 8601): parsing, the tolerant fallback and which headers to trust."""

from __future__ import annotations

import pytest
from minuku.auth.authres import parse_authres, read_authres

GMAIL = (
    "mx.google.com; dkim=pass header.i=@amazon.co.jp header.s=x header.b=abc; "
    "spf=pass (google.com: domain of x@amazon.co.jp designates 1.2.3.4 as permitted sender) "
    "smtp.mailfrom=x@amazon.co.jp; dmarc=pass (p=QUARANTINE sp=QUARANTINE dis=NONE) "
    "header.from=amazon.co.jp"
)
OUTLOOK = (
    "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com; dkim=none (message not "
    "signed) header.d=none;dmarc=none action=none header.from=example.com;compauth=pass "
    "reason=100"
)


def test_parse_standard() -> None:
    authserv, results = parse_authres(GMAIL)
    assert authserv == "mx.google.com"
    assert [(m, r) for m, r, _ in results] == [("dkim", "pass"), ("spf", "pass"), ("dmarc", "pass")]
    assert ("header.from", "amazon.co.jp") in results[2][2]


def test_parse_outlook_without_authserv_id() -> None:
    # RFC 8601 §2.2 requires an authserv-id; Microsoft 365 omits it.
    authserv, results = parse_authres(OUTLOOK)
    assert authserv is None
    assert [(m, r) for m, r, _ in results] == [
        ("spf", "pass"),
        ("dkim", "none"),
        ("dmarc", "none"),
        ("compauth", "pass"),
    ]


@pytest.mark.parametrize(
    "value",
    [
        "",
        ";",
        "garbage ;;; ((",
        "mx.example; arc=pass; none",
        "mx.example; dkim=pass (unterminated comment header.d=x",
        'mx.example; spf=fail smtp.mailfrom="a;b"@x.example',
        "mx.example; =pass; dkim=; spf",
        "(" * 500 + "x",
        "mx.example; " + "dkim=pass; " * 500,
    ],
)
def test_hostile_values_never_crash(value: str) -> None:
    authserv, results = parse_authres(value)
    assert authserv is None or isinstance(authserv, str)
    for method, result, props in results:
        assert isinstance(method, str) and isinstance(result, str) and isinstance(props, list)


def test_comment_containing_semicolon_stays_in_its_result() -> None:
    _, results = parse_authres("mx.example; dkim=pass (a; b) header.d=a.example; spf=fail")
    assert [(m, r) for m, r, _ in results] == [("dkim", "pass"), ("spf", "fail")]


def _headers(*pairs: tuple[str, str]) -> list[tuple[str, str]]:
    return list(pairs)


def test_topmost_in_zone_is_trusted_and_lower_ones_are_claims() -> None:
    # Gmail's layout: the A-R sits just below its own Received; the sender forged another.
    headers = _headers(
        ("Received", "by 2002:a05::1 with SMTP id x; d"),
        ("Received", "from mail.example (mail.example [192.0.2.1]) by mx.google.com; d"),
        ("Authentication-Results", GMAIL),
        ("Authentication-Results", "mx.google.com; dmarc=pass header.from=amazon.co.jp"),
        ("Received", "from evil (evil [203.0.113.1]) by mail.example; d"),
        ("Authentication-Results", "mx.google.com; dkim=pass header.d=amazon.co.jp"),
    )
    entries = read_authres(headers, boundary=1)
    assert [e.trusted for e in entries] == [True, True, False]
    assert entries[0].results["dmarc"] == "pass"
    assert entries[0].details["dkim.header.i"] == "@amazon.co.jp"


def test_default_trust_is_only_the_top_authserv_id() -> None:
    headers = _headers(
        ("Authentication-Results", "mx.isp.example; spf=fail smtp.mailfrom=x.example"),
        ("Authentication-Results", "forged.example; spf=pass smtp.mailfrom=x.example"),
        ("Received", "from a (a [192.0.2.1]) by mx.isp.example; d"),
    )
    entries = read_authres(headers, boundary=0)
    assert [(e.authserv_id, e.trusted) for e in entries] == [
        ("mx.isp.example", True),
        ("forged.example", False),
    ]


def test_configured_ids_are_trusted_only_in_the_zone() -> None:
    headers = _headers(
        ("Authentication-Results", "other.example; dkim=pass"),
        ("Authentication-Results", "mx.isp.example; dkim=fail"),
        ("Received", "from a (a [192.0.2.1]) by mx.isp.example; d"),
        ("Received", "from b (b [192.0.2.2]) by a; d"),
        ("Authentication-Results", "mx.isp.example; dkim=pass"),  # forged below the boundary
    )
    entries = read_authres(headers, trusted_ids=("MX.isp.example",), boundary=0)
    assert [e.trusted for e in entries] == [False, True, False]


def test_boundary_none_means_above_the_topmost_received() -> None:
    headers = _headers(
        ("Received", "from a (a [192.0.2.1]) by mx.isp.example; d"),
        ("Authentication-Results", "mx.isp.example; dkim=pass"),
    )
    assert [e.trusted for e in read_authres(headers, boundary=None)] == [False]
    assert [e.trusted for e in read_authres(headers, boundary=0)] == [True]


def test_outlook_form_trusted_at_top() -> None:
    headers = _headers(
        ("Authentication-Results", OUTLOOK),
        ("Received", "from a (192.0.2.1) by x.outlook.com (10.0.0.1) with Microsoft SMTP; d"),
    )
    (entry,) = read_authres(headers)
    assert entry.trusted and entry.authserv_id is None
    assert entry.results["spf"] == "pass"


def test_several_dkim_results_pass_wins() -> None:
    headers = _headers(
        (
            "Authentication-Results",
            "mx.example; dkim=fail header.d=a.example; dkim=pass header.d=b.example",
        ),
    )
    (entry,) = read_authres(headers)
    assert entry.results["dkim"] == "pass"
    assert entry.details["dkim.header.d"] == "b.example"
    assert "a.example" in entry.details["dkim.all"]
