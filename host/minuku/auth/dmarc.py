"""DMARC (RFC 7489) policy discovery, record parsing and identifier alignment.

Discovery (§6.6.3): TXT at ``_dmarc.<From domain>``, else at ``_dmarc.<organizational
domain>`` (the Public Suffix List's registrable domain, ``psl.registrable``), else — the
DMARCbis / RFC 9091 public-suffix step — at ``_dmarc.<public suffix>`` when that record says
``psd=y``. Records not starting with ``v=DMARC1`` are ignored (§6.6.3 step 4).

Choices where RFC 7489 leaves room or where we knowingly deviate:
- several valid records at one name: §6.6.3 step 5, "policy discovery terminates": ``none``;
- a record that does not parse (a tag without ``=``, a repeated tag): ``permerror``
  (RFC 8601 §2.7.x: "a syntactically incorrect DMARC record");
- no valid ``p`` (or an invalid ``sp``): §6.6.3 step 6, with a valid ``rua`` treated as
  ``p=none``, without one no DMARC processing: ``none``;
- invalid ``adkim``/``aspf``/``pct`` values fall back to their defaults (r, r, 100);
- ``applied_policy`` is the policy for this From domain whatever the result: ``p`` at the
  From domain itself; for a subdomain ``np`` (RFC 9091) when the From domain does not exist
  (NXDOMAIN) and the record has ``np``, else ``sp``, else ``p``. A temporary error on that
  existence query falls back to ``sp``/``p``. ``pct`` is reported, not applied;
- several From domains (§6.6.1 lets receivers reject or evaluate all): we evaluate each
  distinct domain and report the worst (fail > temperror > permerror > none > pass); more
  than ``MAX_FROM_DOMAINS`` distinct domains is a permerror without any query;
- no From domain at all, or an address without a domain (or a single-label one): ``permerror``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..dns import NXDomain, Resolver
from ..dnspolicy import SenderLookupSkipped
from ..errors import DnsTempError
from .psl import public_suffix, registrable
from .results import DkimResult, DmarcResult, SpfResult

_POLICIES = ("none", "quarantine", "reject")
MAX_FROM_DOMAINS = 8  # more distinct From domains than this is hostile: permerror, no queries
_SEVERITY = {"fail": 5, "temperror": 4, "permerror": 3, "none": 2, "pass": 1, "unchecked": 0}


class _Syntax(Exception):
    pass


def ascii_domain(domain: str) -> str:
    """The domain as DMARC queries it (A-labels); shared with the prefetch so names match."""
    d = domain.strip().rstrip(".").lower()
    if d.isascii():
        return d
    try:
        return d.encode("idna").decode("ascii")
    except UnicodeError:
        return d


def is_dmarc_record(txt: str) -> bool:
    head = txt.lstrip().split(";", 1)[0]
    tag, eq, val = head.partition("=")
    return bool(eq) and tag.strip() == "v" and val.strip().upper() == "DMARC1"


def parse_record(txt: str) -> dict[str, str]:
    """Tag list (RFC 7489 §6.3/§6.4); raises _Syntax on a malformed list."""
    tags: dict[str, str] = {}
    for part in txt.split(";"):
        part = part.strip()
        if not part:
            continue
        name, eq, value = part.partition("=")
        name = name.strip().lower()
        if not eq or not name or not value.strip():
            raise _Syntax(f"missing tag or value: {part!r}")
        if name in tags:
            raise _Syntax(f"repeated tag {name!r}")
        tags[name] = value.strip()
    return tags


def _aligned(identifier: str, from_domain: str, mode: str) -> bool:
    ident = ascii_domain(identifier)
    if not ident:
        return False
    if ident == from_domain:
        return True
    return mode != "s" and registrable(ident) == registrable(from_domain)


def _valid_rua(value: str | None) -> bool:
    if not value:
        return False
    return any(u.strip().lower().startswith("mailto:") and "@" in u for u in value.split(","))


def _fetch(name: str, resolver: Resolver) -> list[str]:
    try:
        return [t for t in resolver.query(name, "TXT") if is_dmarc_record(t)]
    except NXDomain:
        return []


def _exists(domain: str, resolver: Resolver) -> bool:
    try:
        resolver.query(domain, "A")
    except NXDomain:
        return False
    except DnsTempError:
        return True
    return True


def _check_one(
    from_domain: str, spf: SpfResult, dkim: DkimResult, resolver: Resolver, psd: bool
) -> DmarcResult:
    org = registrable(from_domain)
    candidates: list[tuple[str, str]] = [(from_domain, "From domain")]
    if org and org != from_domain:
        candidates.append((org, "organizational domain"))
    suffix = public_suffix(from_domain)
    if psd and suffix and suffix != from_domain and suffix not in (c[0] for c in candidates):
        candidates.append((suffix, "public suffix domain"))

    # The fields known so far; each answer is built once from them (speed, issue 10: a
    # dataclasses.replace per step cost more than the rest of the policy logic)
    known: dict[str, Any] = {"from_domain": from_domain}

    def made(result: str, **more: Any) -> DmarcResult:
        return DmarcResult(result, **known, **more)

    records: list[str] = []
    where, how = "", ""
    for domain, label in candidates:
        name = f"_dmarc.{domain}"
        try:
            records = _fetch(name, resolver)
        except DnsTempError as exc:
            # Not sent on purpose (a sender's name, no sender lookups): said as data, for the
            # verdict to tell it from a DNS failure.
            skipped = (f"{exc.rdtype} {exc.name}",) if isinstance(exc, SenderLookupSkipped) else ()
            return made("temperror", reason=f"DNS: {exc}", skipped=skipped)
        if label == "public suffix domain":
            records = [r for r in records if _psd_flag(r)]
        if records:
            where, how = domain, label
            break
    if not records:
        return made("none", reason="no DMARC record")
    known["policy_domain"] = where
    known["evidence"] = tuple(f"TXT _dmarc.{where}: {r}" for r in records)
    if len(records) > 1:
        return made("none", reason="several DMARC records: discovery ends (RFC 7489 §6.6.3)")
    record = records[0]
    known["record"] = record
    try:
        tags = parse_record(record)
    except _Syntax as exc:
        return made("permerror", reason=str(exc))

    p = tags.get("p", "").lower()
    sp_raw = tags.get("sp")
    sp = sp_raw.lower() if sp_raw is not None else None
    np_raw = tags.get("np")
    np = np_raw.lower() if np_raw is not None and np_raw.lower() in _POLICIES else None
    if p not in _POLICIES or (sp is not None and sp not in _POLICIES):
        if not _valid_rua(tags.get("rua")):
            why = "no valid p= tag" if p not in _POLICIES else "invalid sp= tag"
            return made("none", reason=f"{why}: no DMARC processing (§6.6.3)")
        p = "none" if p not in _POLICIES else p
        sp = None if sp not in _POLICIES else sp
    adkim = tags.get("adkim", "r").lower()
    adkim = adkim if adkim in ("r", "s") else "r"
    aspf = tags.get("aspf", "r").lower()
    aspf = aspf if aspf in ("r", "s") else "r"
    try:
        pct = int(tags.get("pct", "100"))
        pct = pct if 0 <= pct <= 100 else 100
    except ValueError:
        pct = 100

    if how == "From domain" or (how == "public suffix domain" and org == from_domain):
        applied = p
    elif np is not None and not _exists(from_domain, resolver):
        applied = np
    else:
        applied = sp or p

    dkim_aligned = next(
        (
            s.domain
            for s in dkim.signatures
            if s.result == "pass" and s.domain and _aligned(s.domain, from_domain, adkim)
        ),
        None,
    )
    spf_aligned = (
        spf.domain
        if spf.result == "pass" and spf.domain and _aligned(spf.domain, from_domain, aspf)
        else None
    )
    passed = dkim_aligned is not None or spf_aligned is not None
    if passed:
        reason = "aligned " + " and ".join(
            x
            for x in (
                f"DKIM d={dkim_aligned}" if dkim_aligned else "",
                f"SPF {spf_aligned}" if spf_aligned else "",
            )
            if x
        )
    else:
        reason = "no aligned DKIM or SPF pass"
    return made(
        "pass" if passed else "fail",
        p=p,
        sp=sp,
        np=np,
        adkim=adkim,
        aspf=aspf,
        pct=pct,
        applied_policy=applied,
        dkim_aligned=dkim_aligned,
        spf_aligned=spf_aligned,
        reason=f"{reason}; record at {how} {where}",
    )


def _psd_flag(record: str) -> bool:
    try:
        return parse_record(record).get("psd", "").lower() == "y"
    except _Syntax:
        return False


def check_dmarc(
    from_domains: Sequence[str],
    spf: SpfResult,
    dkim: DkimResult,
    *,
    resolver: Resolver,
    psd: bool = True,
) -> DmarcResult:
    """DMARC for every From domain; the worst result is returned (see module docstring)."""
    domains: list[str] = []
    for d in from_domains:
        a = ascii_domain(d or "")
        if a not in domains:
            domains.append(a)
    if not domains:
        return DmarcResult("permerror", reason="no From domain")
    if len(domains) > MAX_FROM_DOMAINS:
        return DmarcResult(
            "permerror",
            from_domain=domains[0],
            reason=f"{len(domains)} distinct From domains (more than {MAX_FROM_DOMAINS})",
        )
    if any(not d or "." not in d.strip(".") for d in domains):
        bad = next(d for d in domains if not d or "." not in d.strip("."))
        return DmarcResult(
            "permerror", from_domain=bad or None, reason=f"unusable From domain {bad!r}"
        )
    results = [_check_one(d, spf, dkim, resolver, psd) for d in domains]
    worst = max(results, key=lambda r: _SEVERITY.get(r.result, 0))
    if len(results) > 1:
        others = ", ".join(f"{r.from_domain}={r.result}" for r in results if r is not worst)
        worst = replace(worst, reason=f"{worst.reason}; other From domains: {others}")
    return worst
