"""The RFC 7208 conformance suite (openspf.org, release 2014.04) through our SPF module.

Every scenario's zonedata becomes a ``FixtureResolver``; every test case must give one of its
acceptable results, and the expected explanation string where the case names one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from minuku.auth.spf import spf_outcome
from minuku.dns import RDTYPES, FixtureResolver

SUITE = Path(__file__).resolve().parents[1] / ".." / "shared" / "testsuites" / "spf"
SUITE_FILE = SUITE / "rfc7208-tests.yml"


def _record_text(rdtype: str, value: Any) -> str | list[str]:
    if rdtype == "MX" and isinstance(value, list) and len(value) == 2:
        return f"{value[0]} {value[1]}"
    if rdtype in ("TXT", "SPF") and isinstance(value, list):
        return [str(v) for v in value]  # one record of several character-strings
    return str(value)


def zone_to_fixture(zonedata: dict[str, list[Any]]) -> dict[str, object]:
    """Translate the suite's zonedata into FixtureResolver data.

    Semantics of the reference driver (pyspf's testspf.py): SPF records are also served as TXT
    unless the name has TXT records (``TXT: NONE`` only stops that copy); a bare
    ``TIMEOUT`` times out every type not listed before it; a record value ``TIMEOUT`` times out
    that type.
    """
    fixture: dict[str, object] = {}
    for name, records in zonedata.items():
        entry: dict[str, Any] = {}
        has_txt = any(isinstance(r, dict) and "TXT" in r for r in records or [])
        timeout_rest = False
        for item in records or []:
            if item == "TIMEOUT":
                timeout_rest = True
                break
            for rdtype, value in item.items():
                rdtype = rdtype.upper()
                if value == "TIMEOUT":
                    entry[rdtype] = "TIMEOUT"
                    continue
                if value == "NONE" or entry.get(rdtype) == "TIMEOUT":
                    continue
                entry.setdefault(rdtype, []).append(_record_text(rdtype, value))
                if rdtype == "SPF" and not has_txt and value != "NONE":
                    entry.setdefault("TXT", []).append(_record_text("TXT", value))
        if timeout_rest:
            if not entry:
                fixture[name] = "TIMEOUT"
                continue
            for rdtype in RDTYPES:
                entry.setdefault(rdtype, "TIMEOUT")
        fixture[name] = entry
    return fixture


def _cases() -> Iterator[Any]:
    if not SUITE_FILE.is_file():
        return
    import yaml  # type: ignore[import-untyped]

    with open(SUITE_FILE, "rb") as fh:
        for scenario in yaml.safe_load_all(fh):
            if not scenario:
                continue
            fixture = zone_to_fixture(scenario.get("zonedata") or {})
            for name, case in scenario["tests"].items():
                yield pytest.param(fixture, case, id=name)


CASES = list(_cases())


@pytest.mark.skipif(not SUITE_FILE.is_file(), reason=f"RFC 7208 suite absent: {SUITE_FILE}")
def test_rfc7208_suite_count() -> None:
    """Runs every case once more and reports the count (visible with -s)."""
    passed, failed = 0, []
    for param in CASES:
        fixture, case = param.values
        if _passes(fixture, case):
            passed += 1
        else:
            failed.append(param.id)
    print(f"RFC 7208 suite: {passed}/{len(CASES)} passed")
    assert not failed, f"{passed}/{len(CASES)} passed; failing: {failed}"
    assert len(CASES) > 100


def _passes(fixture: dict[str, object], case: dict[str, Any]) -> bool:
    out = spf_outcome(
        str(case["host"]),
        str(case.get("mailfrom") or ""),
        str(case.get("helo") or ""),
        resolver=FixtureResolver(fixture),
        default_explanation="DEFAULT",
    )
    expected = case["result"]
    ok = out.result == expected or (isinstance(expected, list) and out.result in expected)
    if "explanation" in case and case["explanation"] != out.explanation:
        ok = False
    return ok


@pytest.mark.skipif(not SUITE_FILE.is_file(), reason=f"RFC 7208 suite absent: {SUITE_FILE}")
@pytest.mark.parametrize(("fixture", "case"), CASES or [pytest.param({}, {}, id="absent")])
def test_rfc7208_case(fixture: dict[str, object], case: dict[str, Any]) -> None:
    out = spf_outcome(
        str(case["host"]),
        str(case.get("mailfrom") or ""),
        str(case.get("helo") or ""),
        resolver=FixtureResolver(fixture),
        default_explanation="DEFAULT",
    )
    expected = case["result"]
    acceptable = expected if isinstance(expected, list) else [expected]
    assert out.result in acceptable, f"spec {case.get('spec')}: {out}"
    if "explanation" in case:
        assert out.explanation == case["explanation"]
