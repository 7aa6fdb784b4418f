"""dkimpy's DKIM test data (../shared/testsuites/dkim), case by case as dkimpy_cases.json says.

Keys come from dkimpy_dns_keys.json through a FixtureResolver. Where the suite says "fail" for a
broken key record, dkimpy means "verify() returned False"; we say why: RFC 6376 §6.1.2 makes an
unusable key a PERMFAIL, reported as ``permerror``/``bad_key_record``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import dkim
import pytest
from minuku.auth.dkim import verify_dkim
from minuku.auth.results import DkimResult
from minuku.dns import FixtureResolver

SUITE = Path(__file__).resolve().parents[1] / ".." / "shared" / "testsuites" / "dkim"


def _need_suite() -> Path:
    if not (SUITE / "dkimpy_cases.json").is_file():
        pytest.skip(f"DKIM conformance data not found at {SUITE} (../shared/testsuites is absent)")
    return SUITE


def _keys_resolver(extra: dict[str, str] | None = None) -> FixtureResolver:
    keys = json.loads((_need_suite() / "dkimpy_dns_keys.json").read_text(encoding="utf-8"))
    data: dict[str, object] = {
        name: {"TXT": [record]} for name, record in keys.items() if not name.startswith("_")
    }
    for name, record in (extra or {}).items():
        data[name] = {"TXT": [record]}
    return FixtureResolver(data)


def _read(name: str) -> bytes:
    return (_need_suite() / name).read_bytes()


def _sign(message: bytes, key_file: str, domain: bytes, algorithm: bytes) -> bytes:
    header = dkim.sign(
        message, b"test", domain, _read(key_file).strip(), signature_algorithm=algorithm
    )
    return bytes(header) + message


def _with_key_record(record_file: str, private: str = "test.private") -> DkimResult:
    message = _read("test.message")
    signed = _sign(message, private, b"example.com", b"rsa-sha256")
    record = _read(record_file).decode("ascii").strip()
    resolver = FixtureResolver({"test._domainkey.example.com": {"TXT": [record]}})
    return verify_dkim(signed, resolver=resolver)


def case_test2_message() -> None:
    result = verify_dkim(_read("test2.message"), resolver=_keys_resolver())
    assert result.result == "pass"
    assert [(s.domain, s.selector, s.key_bits) for s in result.signatures] == [
        ("gmail.com", "20120113", 2048)
    ]


def case_rfc8463_example() -> None:
    # RFC 8463 Appendix A: one ed25519-sha256 and one rsa-sha256 signature, both valid.
    result = verify_dkim(_read("rfc6376.signed.msg"), resolver=_keys_resolver())
    assert [(s.selector, s.algorithm, s.result) for s in result.signatures] == [
        ("brisbane", "ed25519-sha256", "pass"),
        ("test", "rsa-sha256", "pass"),
    ]


def case_exim_ed25519() -> None:
    result = verify_dkim(_read("ed25519test2.msg"), resolver=_keys_resolver())
    assert [(s.domain, s.algorithm, s.result) for s in result.signatures] == [
        ("test.ex", "ed25519-sha256", "pass")
    ]


def case_message_mbox() -> None:
    raw = _read("message.mbox")
    result = verify_dkim(raw, resolver=_keys_resolver())
    assert [(s.domain, s.selector, s.result, s.reason) for s in result.signatures] == [
        ("kitterman.com", "2007-00", "permerror", "no_key")
    ]
    # dkimpy re-signs it: the new signature passes and the old one is still reported.
    resigned = verify_dkim(
        _sign(raw, "test.private", b"example.com", b"rsa-sha256"), resolver=_keys_resolver()
    )
    assert resigned.result == "pass"
    assert [s.result for s in resigned.signatures] == ["pass", "permerror"]


def case_unsigned_inputs_signed_then_verified() -> None:
    resolver = _keys_resolver()
    plans = [
        ("test.message", "test.private", b"example.com", b"rsa-sha256"),
        ("test_extra.message", "test.private", b"example.com", b"rsa-sha256"),
        ("ed25519test.msg", "ed25519test.key", b"example.net", b"ed25519-sha256"),
        ("rfc6376.msg", "test.private", b"football.example.com", b"rsa-sha256"),
    ]
    for message, key, domain, algorithm in plans:
        raw = _read(message)
        assert verify_dkim(raw, resolver=resolver).result == "none", message
        signed = verify_dkim(_sign(raw, key, domain, algorithm), resolver=resolver)
        assert signed.result == "pass", message
    # rfc8032_7_1.key is the RFC 8032 §7.1 TEST 1 key, published as brisbane (RFC 8463).
    raw = _read("rfc6376.msg")
    header = dkim.sign(
        raw,
        b"brisbane",
        b"football.example.com",
        _read("rfc8032_7_1.key").strip(),
        signature_algorithm=b"ed25519-sha256",
    )
    assert verify_dkim(bytes(header) + raw, resolver=resolver).result == "pass"


def case_no_from() -> None:
    raw = _read("test_nofrom.message")
    with pytest.raises(dkim.ParameterError):
        dkim.sign(raw, b"test", b"example.com", _read("test.private"))
    assert verify_dkim(raw, resolver=_keys_resolver()).result == "none"


def _bad_key(record_file: str) -> Callable[[], None]:
    def check() -> None:
        result = _with_key_record(record_file)
        assert (result.result, result.signatures[0].reason) == ("permerror", "bad_key_record")

    return check


def case_test2_txt() -> None:
    result = _with_key_record("test2.txt", "test2.private")
    assert (result.result, result.signatures[0].key_bits) == ("pass", 1024)


# Every case of dkimpy_cases.json, by its "message" or "key_record" value.
CASES: dict[str, Callable[[], None]] = {
    "test2.message": case_test2_message,
    "rfc6376.signed.msg": case_rfc8463_example,
    "ed25519test2.msg": case_exim_ed25519,
    "message.mbox": case_message_mbox,
    "test.message / ed25519test.msg / rfc6376.msg / test_extra.message": (
        case_unsigned_inputs_signed_then_verified
    ),
    "test_nofrom.message": case_no_from,
    "badversion.txt": _bad_key("badversion.txt"),
    "badk.txt": _bad_key("badk.txt"),
    "test_bad.txt": _bad_key("test_bad.txt"),
    "test2.txt": case_test2_txt,
    # s=tlsrpt keys serve RFC 8460 reports only; for e-mail the key is unusable.
    "test_tlsrpt.txt": _bad_key("test_tlsrpt.txt"),
}


def test_every_suite_case_is_covered() -> None:
    cases = json.loads((_need_suite() / "dkimpy_cases.json").read_text(encoding="utf-8"))
    names = [c.get("message") or c.get("key_record") for c in cases]
    assert sorted(names) == sorted(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_suite_case(case: str) -> None:
    _need_suite()
    CASES[case]()
