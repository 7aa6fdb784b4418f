"""ARC chain validation (RFC 8617 §5.2): ValiMail's validation suite plus chains we seal ourselves.

Every test of ../shared/testsuites/arc/valimail_arc-draft-validation-tests.yml is asserted
against its expected ``cv``, except the ones in ``DELIBERATE_DIFFERENCES`` (asserted against our
answer instead, with the reason). The suite predates RFC 8617; it leaves ``cv`` empty where the
draft produced no result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dkim
import pytest
import yaml  # type: ignore[import-untyped]  # no stubs in the test venv
from minuku.auth.arc import verify_arc
from minuku.dns import BudgetResolver, FixtureResolver, OfflineResolver
from testkeys import openssl_rsa

SUITE = Path(__file__).resolve().parents[1] / ".." / "shared" / "testsuites" / "arc"
VALIDATION = SUITE / "valimail_arc-draft-validation-tests.yml"

_CHAIN_ALREADY_FAILED = (
    "an ARC-Seal already carries cv=fail: the suite (written against the draft) expects no "
    "result, RFC 8617 §5.2 makes the Chain Validation Status 'fail'; we report fail"
)
# test id -> (our result, why we differ from the suite)
DELIBERATE_DIFFERENCES: dict[str, tuple[str, str]] = {
    "Chain Validation/cv_fail_i1_as_cv_fail": ("fail", _CHAIN_ALREADY_FAILED),
    "Chain Validation/cv_fail_i2_as2_fail": ("fail", _CHAIN_ALREADY_FAILED),
    "Chain Validation/cv_fail_i2_as1_fail": ("fail", _CHAIN_ALREADY_FAILED),
}


def _load() -> list[tuple[str, bytes, str, dict[str, Any]]]:
    if not VALIDATION.is_file():
        return []
    cases = []
    with VALIDATION.open(encoding="utf-8") as fh:
        for scenario in yaml.safe_load_all(fh):
            if not scenario:
                continue
            name = str(scenario.get("description", "")).strip()
            records = {k: {"TXT": [str(v)]} for k, v in (scenario.get("txt-records") or {}).items()}
            for test_name, test in scenario["tests"].items():
                expected = str(test.get("cv") or "").strip().lower()
                message = str(test.get("message") or "").encode("utf-8")
                cases.append((f"{name}/{test_name}", message, expected, records))
    return cases


CASES = _load()


def _need_suite() -> None:
    if not CASES:
        pytest.skip(f"ARC conformance data not found at {VALIDATION} (../shared/testsuites absent)")


@pytest.mark.parametrize(
    ("message", "expected", "records"),
    [pytest.param(m, e, r, id=i) for i, m, e, r in CASES]
    or [pytest.param(b"", "", {}, id="no-suite")],
)
def test_valimail_validation(
    request: pytest.FixtureRequest, message: bytes, expected: str, records: dict[str, Any]
) -> None:
    _need_suite()
    case_id = request.node.callspec.id
    result = verify_arc(message, resolver=FixtureResolver(records))
    if case_id in DELIBERATE_DIFFERENCES:
        assert expected != DELIBERATE_DIFFERENCES[case_id][0]
        assert result.result == DELIBERATE_DIFFERENCES[case_id][0]
    else:
        assert result.result == expected, result.reason


def test_valimail_counts() -> None:
    _need_suite()
    ids = {case_id for case_id, *_ in CASES}
    assert set(DELIBERATE_DIFFERENCES) <= ids
    agreed = differ = 0
    for case_id, message, expected, records in CASES:
        got = verify_arc(message, resolver=FixtureResolver(records)).result
        if case_id in DELIBERATE_DIFFERENCES:
            differ += got == DELIBERATE_DIFFERENCES[case_id][0]
        else:
            agreed += got == expected
    print(
        f"\nARC validation suite: {len(CASES)} tests, {agreed} as the suite expects, "
        f"{differ} deliberately different ({len(DELIBERATE_DIFFERENCES)} listed)"
    )
    assert (agreed, differ) == (
        len(CASES) - len(DELIBERATE_DIFFERENCES),
        len(DELIBERATE_DIFFERENCES),
    )


def _case(case_id: str) -> tuple[bytes, dict[str, Any]]:
    _need_suite()
    for i, message, _expected, records in CASES:
        if i == case_id:
            return message, records
    raise AssertionError(case_id)


def test_first_hop_authres_on_a_valid_chain() -> None:
    message, records = _case("Chain Validation/cv_pass_i1_1")
    result = verify_arc(message, resolver=FixtureResolver(records))
    assert (result.result, result.instances) == ("pass", 1)
    assert result.first_hop_authserv_id == "lists.example.org"
    assert result.first_hop_authres is not None
    assert result.first_hop_authres.startswith("lists.example.org;")
    assert "spf=pass smtp.mfrom=jqd@d1.example" in result.first_hop_authres
    assert "i=1" not in result.first_hop_authres


def test_no_first_hop_when_the_chain_fails() -> None:
    message, records = _case("Chain Validation/cv_pass_i1_1")
    broken = message.replace(b"This is a test message.", b"This is a fake message.")
    result = verify_arc(broken, resolver=FixtureResolver(records))
    assert result.result == "fail"
    assert result.first_hop_authres is None and result.first_hop_authserv_id is None


def test_offline_counts_instances_and_sends_nothing() -> None:
    message, _records = _case("Chain Validation/cv_pass_i1_1")
    result = verify_arc(message, resolver=None)
    assert (result.result, result.instances, result.reason) == ("unchecked", 1, "offline")
    assert verify_arc(b"From: a@example.org\r\n\r\nhi\r\n", resolver=None).result == "none"


def test_dns_timeout_is_temperror() -> None:
    message, records = _case("Chain Validation/cv_pass_i1_1")
    resolver = FixtureResolver({name: "TIMEOUT" for name in records})
    result = verify_arc(message, resolver=resolver)
    assert result.result == "temperror"
    assert result.reason.startswith("dns_error")


def test_missing_key_is_fail_not_temperror() -> None:
    message, _records = _case("Chain Validation/cv_pass_i1_1")
    assert verify_arc(message, resolver=FixtureResolver({})).result == "fail"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff",
        b" continuation first\r\nARC-Seal: i=1; cv=none\r\n\r\n",
        b"ARC-Seal: i=1\r\n\r\n",
        (
            b"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=x.example; s=s; b=AAAA\r\n"
            b"ARC-Message-Signature: i=1 a=rsa-sha256\r\n"
            b"ARC-Authentication-Results: i=1; x.example; none\r\n\r\nbody\r\n"
        ),
        b"ARC-Seal: i=99999999999999999999; cv=none\r\n\r\n",
        b"ARC-Seal: i=1; cv=bogus; a=rsa-sha256; d=x.example; s=s; b=AAAA\r\n\r\n",
    ],
)
def test_hostile_arc_headers_never_raise(raw: bytes) -> None:
    result = verify_arc(raw, resolver=FixtureResolver({}))
    assert result.result in {"none", "fail"}
    assert result.first_hop_authres is None


def test_more_than_50_instances_fail_without_queries() -> None:
    sets = b"".join(
        b"ARC-Seal: i=%d; a=rsa-sha256; cv=pass; d=x.example; s=s; b=AAAA\r\n" % i
        for i in range(1, 52)
    )
    resolver = FixtureResolver({})
    result = verify_arc(sets + b"From: a@x.example\r\n\r\nbody\r\n", resolver=resolver)
    assert (result.result, result.instances) == ("fail", 51)
    assert resolver.queries == []


# Chains we seal ourselves: a first hop that saw DKIM pass, then a mailing list.
BASE = (
    b"From: =?UTF-8?B?44Ki44Oe44K+44Oz?= <account-update@amazon.co.jp>\r\n"
    b"To: you@lists.example.org\r\n"
    b"Subject: notice\r\n"
    b"Date: Mon, 1 Jan 2024 00:00:00 +0900\r\n"
    b"Message-ID: <a@amazon.co.jp>\r\n"
    b"\r\n"
    b"Please review your account.\r\n"
)


@pytest.fixture(scope="module")
def rsa_key() -> tuple[bytes, str]:
    private, public = openssl_rsa(2048)
    return private, "v=DKIM1; k=rsa; p=" + public


def _seal(message: bytes, private: bytes, domain: bytes, authres: bytes) -> bytes:
    with_ar = b"Authentication-Results: " + authres + b"\r\n" + message
    arc_set = dkim.ARC(with_ar).sign(
        b"arc", domain, private, domain, include_headers=[b"from", b"subject", b"to"]
    )
    return b"".join(bytes(h) for h in arc_set) + with_ar


def test_two_hop_chain_reports_the_first_hop(rsa_key: tuple[bytes, str]) -> None:
    private, record = rsa_key
    hop1 = _seal(
        BASE,
        private,
        b"mx.example.jp",
        b"mx.example.jp; spf=pass smtp.mailfrom=amazon.co.jp; dkim=pass header.d=amazon.co.jp;"
        b" arc=none",
    )
    hop2 = _seal(hop1, private, b"lists.example.org", b"lists.example.org; arc=pass")
    resolver = FixtureResolver(
        {
            "arc._domainkey.mx.example.jp": {"TXT": [record]},
            "arc._domainkey.lists.example.org": {"TXT": [record]},
        }
    )
    result = verify_arc(hop2, resolver=resolver)
    assert (result.result, result.instances) == ("pass", 2)
    assert result.first_hop_authserv_id == "mx.example.jp"
    assert result.first_hop_authres is not None
    assert "dkim=pass header.d=amazon.co.jp" in result.first_hop_authres
    assert len(result.evidence) == 2

    # The list rewrote the body after sealing: the newest AMS no longer validates.
    tampered = hop2.replace(b"review your account", b"verify your account")
    assert verify_arc(tampered, resolver=resolver).result == "fail"


def test_offline_resolver_and_spent_budget_are_unchecked() -> None:
    message, records = _case("Chain Validation/cv_pass_i1_1")
    result = verify_arc(message, resolver=OfflineResolver())
    assert (result.result, result.reason) == ("unchecked", "offline")
    spent = BudgetResolver(FixtureResolver(records), budget_s=0.0)
    result = verify_arc(message, resolver=spent)
    assert (result.result, result.reason, result.instances) == ("unchecked", "dns_budget", 1)
