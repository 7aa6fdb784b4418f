"""DMARC (RFC 7489): the authheaders cases and a table of our own (alignment, discovery, records)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from minuku.auth.authres import parse_authres
from minuku.auth.dmarc import check_dmarc, parse_record
from minuku.auth.psl import registrable
from minuku.auth.results import DkimResult, DkimSignature, SpfResult
from minuku.dns import FixtureResolver

SUITE = Path(__file__).resolve().parents[1] / ".." / "shared" / "testsuites" / "dmarc"
CASES_FILE = SUITE / "dmarc_cases.json"

NO_SPF = SpfResult("none")
NO_DKIM = DkimResult("none")


def dkim(*sigs: tuple[str, str]) -> DkimResult:
    signatures = tuple(
        DkimSignature(result=r, domain=d, selector="s", algorithm="rsa-sha256") for r, d in sigs
    )
    best = (
        "pass"
        if any(s.result == "pass" for s in signatures)
        else (signatures[0].result if signatures else "none")
    )
    return DkimResult(best, signatures)


def spf(result: str, domain: str) -> SpfResult:
    return SpfResult(result, domain=domain, mailfrom=f"bounce@{domain}", ip="192.0.2.1")


# --- the authheaders cases -------------------------------------------------------------------


def _suite() -> dict[str, Any]:
    with open(CASES_FILE, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _fixture(dns_txt: dict[str, str | None]) -> FixtureResolver:
    data: dict[str, object] = {}
    for name, value in dns_txt.items():
        if value is None:
            continue  # NXDOMAIN
        data[name.rstrip(".")] = {"TXT": [value] if value else []}
    return FixtureResolver(data)


def _expected(header: str) -> dict[str, str]:
    _id, results = parse_authres(header)
    out: dict[str, str] = {}
    for method, result, props in results:
        if method == "dmarc":
            out["dmarc"] = result
            out.update({f"dmarc.{k}": v for k, v in props})
        elif method == "dkim" and result == "pass":
            out["dkim"] = "pass"
            out.update({f"dkim.{k}": v for k, v in props})
    return out


def _dkim_from_authres(header: str) -> DkimResult:
    _id, results = parse_authres(header)
    sigs = [(r, dict(p).get("header.d", "")) for m, r, p in results if m == "dkim"]
    return dkim(*sigs)


_CASE_IDS = [c["test"] for c in _suite()["cases"]] if CASES_FILE.is_file() else ["absent"]


@pytest.mark.skipif(not CASES_FILE.is_file(), reason=f"DMARC cases absent: {CASES_FILE}")
@pytest.mark.parametrize("name", _CASE_IDS)
def test_authheaders_case(name: str) -> None:
    from minuku.message import parse_message

    suite = _suite()
    case = next(c for c in suite["cases"] if c["test"] == name)
    resolver = _fixture(suite["dns_txt"])
    raw = (SUITE / case["message_file"]).read_bytes()
    view = parse_message(raw)
    expected = _expected(case["expected_authentication_results"])

    if case["prior_authentication_results"]:
        dk = _dkim_from_authres(case["prior_authentication_results"])
    elif "dkim" in case["checks_disabled"]:
        dk = NO_DKIM
    else:
        from minuku.auth.dkim import verify_dkim

        dk = verify_dkim(raw, resolver=resolver)
    if "dkim" in expected:
        assert dk.result == "pass"
        assert expected["dkim.header.d"] in dk.passing_domains
    if "dmarc" in case["checks_disabled"]:
        return

    result = check_dmarc([a.ascii_domain for a in view.from_], NO_SPF, dk, resolver=resolver)
    assert result.result == expected["dmarc"], result
    if "dmarc.header.from" in expected and expected["dmarc.header.from"] != "none":
        assert result.from_domain == expected["dmarc.header.from"]
    if "dmarc.policy.dmarc" in expected:
        assert (result.applied_policy or "none") == expected["dmarc.policy.dmarc"], result


# --- our own table ---------------------------------------------------------------------------

ZONE = FixtureResolver(
    {
        "_dmarc.example.co.jp": {"TXT": ["v=DMARC1; p=reject; sp=quarantine; adkim=s"]},
        "example.co.jp": {"A": ["192.0.2.10"]},
        "mail.example.co.jp": {"A": ["192.0.2.11"]},
        "_dmarc.example-shop.co.jp": {"TXT": ["v=DMARC1; p=quarantine"]},
        "_dmarc.relaxed.example": {"TXT": ["v=DMARC1; p=reject"]},
        "_dmarc.strict.example": {"TXT": ["v=DMARC1; p=reject; aspf=s; adkim=s"]},
        "_dmarc.np.example": {"TXT": ["v=DMARC1; p=none; sp=quarantine; np=reject"]},
        "exists.np.example": {"MX": ["10 mx.np.example"]},
        "_dmarc.two.example": {"TXT": ["v=DMARC1; p=reject", "v=DMARC1; p=none"]},
        "_dmarc.other.example": {"TXT": ["v=spf1 -all", "hello", "v=DMARC1; p=quarantine"]},
        "_dmarc.bad.example": {"TXT": ["v=DMARC1; p=reject; junk"]},
        "_dmarc.nop.example": {"TXT": ["v=DMARC1; sp=reject"]},
        "_dmarc.nopua.example": {"TXT": ["v=DMARC1; p=bogus; rua=mailto:r@nopua.example"]},
        "_dmarc.notdmarc.example": {"TXT": ["v=DMARC2; p=reject"]},
        "_dmarc.slow.example": "TIMEOUT",
        "_dmarc.pct.example": {"TXT": ["v=DMARC1; p=reject; pct=20; adkim=x"]},
    }
)


@pytest.mark.parametrize(
    ("from_domain", "spf_r", "dkim_r", "result", "policy", "policy_domain"),
    [
        # §3.1.1 relaxed DKIM alignment: a subdomain signature aligns with the org domain
        (
            "relaxed.example",
            NO_SPF,
            dkim(("pass", "mail.relaxed.example")),
            "pass",
            "reject",
            "relaxed.example",
        ),
        # §3.1.1 strict: the same signature does not align
        (
            "strict.example",
            NO_SPF,
            dkim(("pass", "mail.strict.example")),
            "fail",
            "reject",
            "strict.example",
        ),
        (
            "strict.example",
            NO_SPF,
            dkim(("pass", "strict.example")),
            "pass",
            "reject",
            "strict.example",
        ),
        # §3.1.2 SPF alignment, relaxed and strict
        (
            "relaxed.example",
            spf("pass", "bounce.relaxed.example"),
            NO_DKIM,
            "pass",
            "reject",
            "relaxed.example",
        ),
        (
            "strict.example",
            spf("pass", "bounce.strict.example"),
            NO_DKIM,
            "fail",
            "reject",
            "strict.example",
        ),
        # an SPF softfail never aligns; a failing signature never aligns
        (
            "relaxed.example",
            spf("softfail", "relaxed.example"),
            dkim(("fail", "relaxed.example")),
            "fail",
            "reject",
            "relaxed.example",
        ),
        # a pass for an unrelated domain does not help
        (
            "relaxed.example",
            spf("pass", "evil.example"),
            dkim(("pass", "evil.example")),
            "fail",
            "reject",
            "relaxed.example",
        ),
        # §6.6.3 org-domain fallback, sp= for an existing subdomain
        ("mail.example.co.jp", NO_SPF, NO_DKIM, "fail", "quarantine", "example.co.jp"),
        # org-domain record's adkim=s: a signature by the org domain does not align for a subdomain
        (
            "mail.example.co.jp",
            NO_SPF,
            dkim(("pass", "example.co.jp")),
            "fail",
            "quarantine",
            "example.co.jp",
        ),
        # hyphenated registrable domain stays whole (mail.example-shop.co.jp → example-shop.co.jp)
        (
            "mail.example-shop.co.jp",
            NO_SPF,
            dkim(("pass", "example-shop.co.jp")),
            "pass",
            "quarantine",
            "example-shop.co.jp",
        ),
        (
            "example-shop.co.jp",
            spf("pass", "bounce.example-shop.co.jp"),
            NO_DKIM,
            "pass",
            "quarantine",
            "example-shop.co.jp",
        ),
        # a look-alike hyphenated domain does not borrow the real one's alignment
        (
            "example-shop.co.jp",
            NO_SPF,
            dkim(("pass", "example.co.jp")),
            "fail",
            "quarantine",
            "example-shop.co.jp",
        ),
        # RFC 9091 np=: non-existent subdomain gets np, existing subdomain gets sp
        ("ghost.np.example", NO_SPF, NO_DKIM, "fail", "reject", "np.example"),
        ("exists.np.example", NO_SPF, NO_DKIM, "fail", "quarantine", "np.example"),
        # non-DMARC TXT records at _dmarc are ignored (§6.6.3 step 4)
        ("other.example", NO_SPF, NO_DKIM, "fail", "quarantine", "other.example"),
        # invalid adkim falls back to relaxed; pct is reported
        ("pct.example", NO_SPF, dkim(("pass", "a.pct.example")), "pass", "reject", "pct.example"),
    ],
)
def test_dmarc_table(
    from_domain: str,
    spf_r: SpfResult,
    dkim_r: DkimResult,
    result: str,
    policy: str,
    policy_domain: str,
) -> None:
    r = check_dmarc([from_domain], spf_r, dkim_r, resolver=ZONE)
    assert (r.result, r.applied_policy, r.policy_domain) == (result, policy, policy_domain), r
    assert r.from_domain == from_domain


def test_no_record_anywhere_is_none() -> None:
    r = check_dmarc(["nothing.example"], NO_SPF, NO_DKIM, resolver=ZONE)
    assert r.result == "none" and r.policy_domain is None


def test_multiple_records_end_discovery() -> None:
    # RFC 7489 §6.6.3 step 5: several records → no DMARC processing
    r = check_dmarc(["two.example"], NO_SPF, NO_DKIM, resolver=ZONE)
    assert r.result == "none" and "several" in r.reason and len(r.evidence) == 2


def test_syntax_error_is_permerror() -> None:
    r = check_dmarc(["bad.example"], NO_SPF, NO_DKIM, resolver=ZONE)
    assert r.result == "permerror" and "junk" in r.reason


def test_missing_p_without_rua_is_none_and_with_rua_is_p_none() -> None:
    # §6.6.3 step 6
    assert check_dmarc(["nop.example"], NO_SPF, NO_DKIM, resolver=ZONE).result == "none"
    r = check_dmarc(["nopua.example"], NO_SPF, NO_DKIM, resolver=ZONE)
    assert (r.result, r.p, r.applied_policy) == ("fail", "none", "none")


def test_wrong_version_is_ignored() -> None:
    assert check_dmarc(["notdmarc.example"], NO_SPF, NO_DKIM, resolver=ZONE).result == "none"


def test_dns_timeout_is_temperror() -> None:
    r = check_dmarc(["slow.example"], NO_SPF, NO_DKIM, resolver=ZONE)
    assert r.result == "temperror" and "_dmarc.slow.example" in r.reason


def test_pct_and_invalid_alignment_mode() -> None:
    r = check_dmarc(["pct.example"], NO_SPF, NO_DKIM, resolver=ZONE)
    assert (r.pct, r.adkim) == (20, "r")


def test_several_from_domains_worst_wins() -> None:
    # §6.6.1: each From domain is evaluated; one failing domain fails the message
    good = dkim(("pass", "relaxed.example"))
    r = check_dmarc(["relaxed.example", "strict.example"], NO_SPF, good, resolver=ZONE)
    assert r.result == "fail" and r.from_domain == "strict.example"
    assert "relaxed.example=pass" in r.reason
    both = dkim(("pass", "relaxed.example"), ("pass", "strict.example"))
    assert (
        check_dmarc(["relaxed.example", "strict.example"], NO_SPF, both, resolver=ZONE).result
        == "pass"
    )


def test_no_from_domain_is_permerror() -> None:
    assert check_dmarc([], NO_SPF, NO_DKIM, resolver=ZONE).result == "permerror"
    assert check_dmarc([""], NO_SPF, NO_DKIM, resolver=ZONE).result == "permerror"


def test_idn_from_domain_is_queried_in_a_label_form() -> None:
    r = FixtureResolver({"_dmarc.xn--cckwcxetd.jp": {"TXT": ["v=DMARC1; p=reject"]}})
    out = check_dmarc(["アマゾン.jp"], NO_SPF, dkim(("pass", "xn--cckwcxetd.jp")), resolver=r)
    assert out.result == "pass" and out.applied_policy == "reject"


def test_psd_record_needs_psd_flag() -> None:
    r = FixtureResolver({"_dmarc.gov": {"TXT": ["v=DMARC1; p=reject"]}})
    assert check_dmarc(["agency.gov"], NO_SPF, NO_DKIM, resolver=r).result == "none"
    r = FixtureResolver({"_dmarc.gov": {"TXT": ["v=DMARC1; p=reject; sp=none; psd=y"]}})
    out = check_dmarc(["agency.gov"], NO_SPF, NO_DKIM, resolver=r)
    assert (out.result, out.applied_policy, out.policy_domain) == ("fail", "reject", "gov")


def test_parse_record_and_psl() -> None:
    assert parse_record("v=DMARC1; p=reject;; sp=none ;") == {
        "v": "DMARC1",
        "p": "reject",
        "sp": "none",
    }
    assert registrable("mail.example.co.jp") == "example.co.jp"
    assert registrable("example-shop.co.jp") == "example-shop.co.jp"
    assert registrable("a.b.example-shop.co.jp") == "example-shop.co.jp"


def test_too_many_from_domains_is_permerror_without_queries() -> None:
    res = FixtureResolver({})
    out = check_dmarc([f"d{i}.example" for i in range(50)], NO_SPF, NO_DKIM, resolver=res)
    assert out.result == "permerror" and res.queries == []
