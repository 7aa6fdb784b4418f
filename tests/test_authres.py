"""Authentication-Results (RFC 8601): parsing, the tolerant fallback and which headers to trust."""

from __future__ import annotations

import pytest
from minuku.auth.authres import (
    parse_authres,
    read_authres,
    read_received_spf,
    zone_authserv_id,
)

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


def test_gmail_layout_trusts_only_the_first_ar_below_its_received() -> None:
    # Gmail writes its A-R just below its own Received; the sender's forged copies with the
    # same authserv-id follow it (receivers prepend, RFC 8601 §5).
    headers = _headers(
        ("Received", "by 2002:a05::1 with SMTP id x; d"),
        ("Received", "from mail.example (mail.example [192.0.2.1]) by mx.google.com; d"),
        ("Authentication-Results", GMAIL),
        ("Authentication-Results", "mx.google.com; dmarc=pass header.from=amazon.co.jp"),
        ("Received", "from evil (evil [203.0.113.1]) by mail.example; d"),
        ("Authentication-Results", "mx.google.com; dkim=pass header.d=amazon.co.jp"),
    )
    entries = read_authres(headers, trusted_ids=("mx.google.com",), boundary=1)
    assert [e.trusted for e in entries] == [True, False, False]
    assert entries[0].results["dmarc"] == "pass"
    assert entries[0].details["dkim.header.i"] == "@amazon.co.jp"


def test_position_alone_is_never_enough() -> None:
    # Issue 8.1: without a configured or learned authserv-id, no A-R is trusted, not even the
    # topmost one written by the receiving server.
    headers = _headers(
        ("Authentication-Results", "mx.isp.example; spf=fail smtp.mailfrom=x.example"),
        ("Received", "from a (a [192.0.2.1]) by mx.isp.example; d"),
    )
    entries = read_authres(headers, boundary=0)
    assert [(e.authserv_id, e.trusted, e.in_zone) for e in entries] == [
        ("mx.isp.example", False, True)
    ]
    assert zone_authserv_id(entries) == "mx.isp.example"


def test_forged_ar_just_below_the_receiving_received_is_not_trusted() -> None:
    # Issue 8.1, the attack written out: one Received (the receiving server's, which writes no
    # A-R of its own), and the sender's forged A-R right below it.
    headers = _headers(
        ("Received", "from evil (evil [203.0.113.1]) by mx.isp.example; d"),
        ("Authentication-Results", "mx.isp.example; dmarc=pass header.from=amazon.co.jp"),
        ("Authentication-Results", "mx.isp.example; dkim=pass header.d=amazon.co.jp"),
    )
    entries = read_authres(headers, trusted_ids=("mx.isp.example",), boundary=0)
    # The first one below the boundary is where a Gmail-like server writes: trusted only with
    # the id; a server known to write its id on every message would have written it above.
    assert [e.trusted for e in entries] == [True, False]
    assert [e.trusted for e in read_authres(headers, boundary=0)] == [False, False]


def test_copies_with_the_trusted_id_below_the_real_one_are_claims() -> None:
    headers = _headers(
        ("Authentication-Results", "mx.isp.example; dmarc=fail header.from=amazon.co.jp"),
        ("Received", "from a (a [192.0.2.1]) by mx.isp.example; d"),
        ("Authentication-Results", "mx.isp.example; dmarc=pass header.from=amazon.co.jp"),
        ("Authentication-Results", "mx.isp.example; dmarc=pass header.from=amazon.co.jp"),
    )
    entries = read_authres(headers, trusted_ids=("mx.isp.example",), boundary=0)
    assert [e.trusted for e in entries] == [True, True, False]
    assert entries[0].results["dmarc"] == "fail"


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


def test_no_received_means_nothing_is_trusted() -> None:
    headers = _headers(("Authentication-Results", "mx.isp.example; dkim=pass"))
    assert [
        e.trusted for e in read_authres(headers, trusted_ids=("mx.isp.example",), boundary=None)
    ] == [False]


def test_received_spf_of_the_receiving_server_is_read() -> None:
    headers = _headers(
        ("Received", "from a (unknown [192.0.2.1]) by mx.isp.example; d"),
        (
            "Received-SPF",
            "Softfail (mailfrom) identity=mailfrom; client-ip=192.0.2.1; helo=vpass.ne.jp; "
            "envelope-from=<info@vpass.ne.jp>; receiver=mx.isp.example",
        ),
        ("Received-SPF", "pass (forged) envelope-from=info@vpass.ne.jp"),
    )
    got = read_received_spf(headers, 0)
    assert got is not None
    assert (got.result, got.envelope_from, got.helo) == (
        "softfail",
        "info@vpass.ne.jp",
        "vpass.ne.jp",
    )


def test_huge_ar_is_bounded() -> None:
    # Issue 8.7: an A-R with 80k methods took 18 s in the authres package.
    value = "mx.isp.example; " + "; ".join(f"m{i}=pass" for i in range(80_000))
    import time

    start = time.perf_counter()
    (entry,) = read_authres([("Authentication-Results", value)], boundary=None)
    assert time.perf_counter() - start < 2.0
    assert len(entry.results) <= 32


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


def test_many_big_sender_written_ars_are_read_linearly() -> None:
    # Issue 8.7 (second form): 64 A-R headers of 64 KB each below the receiving server's
    # Received took 3-4 s in the strict parser. The sender's copies are never trusted, so they
    # get the linear reader, and only the first MAX_RESULTS results of each are read.
    value = "mx.evil.example; " + "; ".join(
        f"dkim=pass header.d=a{i}.example header.s=s{i}" for i in range(1600)
    )
    headers = [("Received", "from a (a [192.0.2.1]) by mx.isp.example; Fri, 27 Nov 2026")]
    headers += [("Authentication-Results", value[:65536])] * 64
    import time

    start = time.process_time()
    entries = read_authres(headers, trusted_ids=["mx.evil.example"], boundary=0)
    assert time.process_time() - start < 2.0  # the bound for any input
    assert len(entries) == 64
    assert [e.in_zone for e in entries[:2]] == [True, False]
    assert not any(e.trusted for e in entries[1:])
    assert all(e.results == {"dkim": "pass"} for e in entries)
    assert entries[5].details["dkim.all"].count("pass") == 32
