"""SPF (RFC 7208) evaluated by pyspf through Minuku's one DNS seam.

pyspf 2.0.14 implements RFC 7208 (it passes the RFC 7208 test suite); we keep its evaluation
and replace only its DNS access: ``_MinukuQuery`` subclasses ``spf.query`` and overrides
``dns()`` so every lookup goes to the ``Resolver`` handed to ``check_spf`` — no module global
is replaced and nothing is shared between checks (each check gets a fresh query object and
cache). The resolver follows CNAMEs itself, as a recursive resolver does. NXDOMAIN and NODATA
are both void lookups (RFC 7208 §4.6.4). A ``DnsTempError`` (timeout, SERVFAIL, spent budget)
becomes ``temperror``.

Identity: the MAIL FROM domain (from Return-Path); for the null reverse-path ``<>`` the HELO
name as ``postmaster@HELO`` (RFC 7208 §2.4). We do not run the separate HELO check of §2.3.
Deviation: a client IP that is not an IP address gives ``unchecked``, not a pyspf exception.

Where pyspf is wrong and we correct it here:

- A domain that is malformed or not multi-label (``user@localhost``, HELO ``mailserver``) is
  ``none`` without any query (RFC 7208 §4.3); pyspf would look up ``TXT localhost`` and could
  find a record at a TLD.
- The ``ptr`` mechanism's lookups (the PTR query and the A/AAAA validation of each name) are
  not counted as void lookups (RFC 7208 §5.5, §4.6.4): the PTR zone belongs to the connecting
  client, and counting them let a client turn the domain owner's ``-all`` into ``permerror``
  by publishing PTR names without addresses.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..dns import NXDomain, Resolver
from ..dnspolicy import SenderLookupSkipped
from ..errors import DnsTempError
from .results import SpfResult


@dataclass(frozen=True)
class SpfOutcome:
    """pyspf's full answer: the result word, the explanation string, the deciding mechanism."""

    result: str
    explanation: str
    mechanism: str | None
    record: str | None
    lookups: int
    # the query left out on purpose (a sender's name) that ended the evaluation in temperror
    skipped: str | None = None


@cache
def _query_class() -> Any:
    # pyspf is imported on first use: ``import minuku.auth`` must stay cheap.
    import spf

    class _MinukuQuery(spf.query):  # type: ignore[misc]
        """``spf.query`` whose every DNS lookup goes through a Minuku ``Resolver``."""

        def __init__(self, resolver: Resolver, *args: Any, **kwargs: Any) -> None:
            self._minuku_resolver = resolver
            # The last lookup that raised, when it was not sent on purpose: pyspf ends on the
            # first TempError it does not swallow, so a temperror rests on the last one.
            self.minuku_skipped: str | None = None
            super().__init__(*args, **kwargs)

        def dns(
            self,
            name: Any,
            qtype: str,
            cnames: Any = None,
            ignore_void: bool = False,
        ) -> list[Any]:
            if not name:
                raise spf.PermError("Invalid query")
            name = str(name)
            name = name.removesuffix(".")
            if not all(0 < len(label) < 64 for label in name.split(".")):
                return []  # not a valid DNS name: as pyspf, no answer
            name = name.lower()
            key = (name, qtype)
            result = self.cache.get(key)
            if result is None:
                result = self._lookup(name, qtype)
                self.cache[key] = result
            if not result and not ignore_void:
                self.void_lookups += 1
                if self.void_lookups > spf.MAX_VOID_LOOKUPS:
                    raise spf.PermError(f"Void lookup limit of {spf.MAX_VOID_LOOKUPS} exceeded")
            return list(result)

        def validated_ptrs(self) -> list[str]:
            # RFC 7208 §5.5: a DNS error on the PTR lookup makes "ptr" not match, and a DNS
            # error on one name's A/AAAA lookup skips that name (pyspf would temperror).
            # None of these lookups counts as void (§4.6.4): the client controls its PTR zone,
            # so empty answers there must not push the domain owner's record into permerror.
            try:
                reverse = f"{spf.reverse_dots(self.i)}.{self.v}.arpa"
                names = self.dns(reverse, "PTR", ignore_void=True)[: spf.MAX_PTR]
            except spf.TempError:
                return []
            out: list[str] = []
            for name in names:
                try:
                    if not name:
                        continue
                    if self.cidrmatch(self.dns(name, self.A, ignore_void=True), self.cidrmax):
                        out.append(name)
                except spf.TempError:
                    continue
            return out

        def _lookup(self, name: str, qtype: str) -> list[Any]:
            try:
                records = self._minuku_resolver.query(name, qtype)
            except NXDomain:
                return []
            except DnsTempError as exc:
                skipped = isinstance(exc, SenderLookupSkipped)
                self.minuku_skipped = f"{exc.rdtype} {exc.name}" if skipped else None
                raise spf.TempError(f"DNS {exc}") from None
            return _to_pyspf(records, qtype)

    return _MinukuQuery


def _to_pyspf(records: list[str], qtype: str) -> list[Any]:
    """Our string answers in the shapes pyspf's DNSLookup yields."""
    if qtype in ("TXT", "SPF"):
        # One character-string per record, as bytes: pyspf joins the strings of each record.
        return [(r.encode("utf-8", "replace"),) for r in records]
    if qtype == "MX":
        out: list[Any] = []
        for r in records:
            pref, _, host = r.strip().partition(" ")
            try:
                out.append((int(pref), host.strip() or "."))
            except ValueError:
                continue  # a malformed MX answer matches nothing
        return out
    return list(records)


def spf_outcome(
    ip: str,
    mailfrom: str,
    helo: str,
    *,
    resolver: Resolver,
    default_explanation: str | None = None,
) -> SpfOutcome:
    """Run pyspf's RFC 7208 evaluation on our resolver and return its whole answer."""
    import spf

    q = _query_class()(resolver, i=ip, s=mailfrom, h=helo)
    if not multi_label_domain(str(q.d or "")):
        # RFC 7208 §4.3: a malformed or single-label domain is "none", with no query at all.
        return SpfOutcome("none", f"{q.d!r} is not a multi-label domain name", None, None, 0)
    if default_explanation is not None:
        q.set_default_explanation(default_explanation)
    res, _code, exp = q.check()
    res = {"unknown": "permerror", "error": "temperror", "ambiguous": "permerror"}.get(res, res)
    record = None
    for (name, qtype), values in q.cache.items():
        if name == (q.d or "").lower() and qtype == "TXT":
            for v in values:
                text = v[0].decode("utf-8", "replace") if v and isinstance(v[0], bytes) else ""
                if spf.RE_SPF.match(text.encode("utf-8", "replace")):
                    record = text
    return SpfOutcome(
        result=str(res),
        explanation=str(exp),
        mechanism=str(q.mechanism) if q.mechanism else None,
        record=record,
        lookups=int(q.lookups),
        skipped=q.minuku_skipped if res == "temperror" else None,
    )


def multi_label_domain(domain: str) -> bool:
    """RFC 7208 §4.3: at least two labels, none empty (a trailing dot aside) or over 63 octets."""
    labels = domain.removesuffix(".").split(".")
    return len(labels) >= 2 and all(0 < len(label) <= 63 for label in labels)


def spf_identity(mailfrom: str | None, helo: str | None) -> str | None:
    """The domain SPF checks: MAIL FROM's, or HELO's for the null reverse-path (§2.4)."""
    mf = (mailfrom or "").strip()
    if mf:
        domain = mf.rpartition("@")[2] if "@" in mf else mf
    else:
        domain = (helo or "").strip()
    return domain.rstrip(".").lower() or None


def check_spf(
    ip: str | None, mailfrom: str | None, helo: str | None, *, resolver: Resolver
) -> SpfResult:
    """SPF for the MAIL FROM identity (HELO when MAIL FROM is ``<>``), RFC 7208 §4."""
    mailfrom = (mailfrom or "").strip()
    helo_s = (helo or "").strip()
    domain = spf_identity(mailfrom, helo_s) or ""

    def result(
        word: str, reason: str, evidence: tuple[str, ...] = (), skipped: str | None = None
    ) -> SpfResult:
        return SpfResult(
            word,
            domain=domain or None,
            ip=ip,
            helo=helo or None,
            mailfrom=mailfrom,
            reason=reason,
            evidence=evidence,
            skipped=(skipped,) if skipped else (),
        )

    if not ip:
        return result("unchecked", "no client IP at the trust boundary")
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return result("unchecked", f"client IP {ip!r} is not an IP address")
    if not domain:
        return result("none", "no MAIL FROM or HELO domain to check")
    try:
        out = spf_outcome(ip, mailfrom, helo_s, resolver=resolver)
    except Exception as exc:  # noqa: BLE001 - hostile records must not crash the check
        return result("permerror", f"SPF evaluation failed: {exc}")
    reason = out.explanation if out.result in ("temperror", "permerror") else ""
    if out.mechanism:
        reason = f"matched {out.mechanism}" + (f"; {reason}" if reason else "")
    evidence = (f"{domain} TXT {out.record}",) if out.record else ()
    return result(out.result, reason, evidence, out.skipped)
