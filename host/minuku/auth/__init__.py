"""Sender authentication for one message: SPF, DKIM, ARC, DMARC and the trusted A-R.

``authenticate(view, resolver=..., options=...)`` runs every check on a parsed message and
returns an ``AuthSummary``. ``resolver=None`` is offline mode: no query is sent, SPF and DMARC
are ``unchecked`` ("offline"), DKIM/ARC list what they found unchecked, and the receiving
server's trusted Authentication-Results are still read. Otherwise the resolver is wrapped in a
``BudgetResolver`` (one per message): checks run DKIM → SPF → DMARC → ARC, so the verdict's
most useful answers come first if the budget runs out; what could not be checked is listed in
``unchecked`` (words for people) and, as data for the verdict, in ``sender_lookups_skipped``
(a query for a name the sender controls left out on purpose, ``dnspolicy``: the SPF and DMARC
results carry the refused queries in ``skipped``) apart from ``dns_incomplete`` (DNS failed or
the budget ran out).

A DMARC ``fail`` whose outcome hinges on a temporary DNS error (SPF or an aligned DKIM key
lookup in temperror) is reported as temperror instead: RFC 7489 §6.6.2 allows a fail only when
no aligned identifier can pass. A signature that was never checked (past the signature cap, the
budget spent) is the sender's unproven claim and never turns a fail into anything else.

The heavy libraries (pyspf, dkimpy, authres, publicsuffixlist) load on first use, inside the
check functions: ``import minuku.auth`` stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..dns import BudgetResolver, Resolver
from .results import (
    SENDER_LOOKUP_SKIPPED,
    ArcResult,
    AuthresEntry,
    AuthSummary,
    DkimResult,
    DmarcResult,
    SpfResult,
)

if TYPE_CHECKING:
    from ..message import MessageView

__all__ = [
    "ArcResult",
    "AuthOptions",
    "AuthSummary",
    "AuthresEntry",
    "DkimResult",
    "DmarcResult",
    "SpfResult",
    "authenticate",
]

_COMPARED = ("spf", "dkim", "dmarc", "arc")
_NOT_RESULTS = ("unchecked", "")


@dataclass(frozen=True)
class AuthOptions:
    trusted_authserv_ids: tuple[str, ...] = ()
    trusted_hops: int = 1
    trusted_receivers: tuple[str, ...] = ()
    dns_budget_s: float = 2.5


def _from_domains(view: MessageView) -> list[str]:
    return [a.ascii_domain or a.domain for a in view.from_]


def _registrable(domain: str) -> str:
    from .psl import registrable

    return registrable(domain)


def _could_align(identifier: str | None, from_domains: list[str]) -> bool:
    if not identifier:
        return False
    org = _registrable(identifier)
    return any(org and org == _registrable(d) for d in from_domains if d)


def _settle_dmarc(
    dmarc: DmarcResult, spf: SpfResult, dkim: DkimResult, from_domains: list[str]
) -> DmarcResult:
    """Turn a fail that a DNS error could have changed into temperror (RFC 7489 §6.6.2).

    Only a real temporary DNS error on an aligned identifier counts. A signature that was not
    checked (past ``MAX_SIGNATURES``, the budget spent, offline) is the sender's unproven
    claim: it never vouches, so with the policy record in hand the fail stands.
    """
    if dmarc.result != "fail":
        return dmarc
    pending: list[str] = []
    spf_open = spf.result == "temperror" or (
        # no client IP or envelope to check (a saved file, a local delivery): the receiving
        # server's evidence is missing, not the sender's claim unproven
        spf.result == "unchecked" and "budget" not in spf.reason
    )
    skipped: tuple[str, ...] = ()
    if spf_open and _could_align(spf.domain, from_domains):
        pending.append(f"SPF {spf.result}")
        # an SPF temperror that is a lookup left out on purpose leaves DMARC skipped too
        skipped = spf.skipped
    for sig in dkim.signatures:
        if (
            sig.result == "temperror"
            and sig.reason == "dns_error"
            and _could_align(sig.domain, from_domains)
        ):
            pending.append(f"DKIM d={sig.domain} temperror")
    if not pending:
        return dmarc
    what = ", ".join(pending)
    word = "unchecked" if all(p.endswith("unchecked") for p in pending) else "temperror"
    return replace(
        dmarc,
        result=word,
        reason=f"no aligned pass yet, but {what}; {dmarc.reason}",
        skipped=dmarc.skipped + skipped,
    )


def _disagreements(entries: tuple[AuthresEntry, ...], ours: dict[str, str]) -> tuple[str, ...]:
    out: list[str] = []
    for entry in entries:
        if not entry.trusted:
            continue
        who = entry.authserv_id or "receiving server"
        for method in _COMPARED:
            theirs = entry.results.get(method)
            mine = ours.get(method, "")
            if theirs is None or mine in _NOT_RESULTS or mine == "temperror":
                continue
            if theirs != mine:
                line = f"{method}: ours={mine}; {who}={theirs}"
                if line not in out:
                    out.append(line)
    return tuple(out)


def authenticate(
    view: MessageView,
    *,
    resolver: Resolver | None,
    options: AuthOptions = AuthOptions(),  # frozen: a safe default
) -> AuthSummary:
    """Every authentication check for one message (see the module docstring)."""
    from .arc import verify_arc
    from .authres import read_authres, read_received_spf, zone_authserv_id
    from .boundary import find_boundary
    from .dkim import verify_dkim
    from .dkimcore import SplitMessage
    from .dmarc import check_dmarc
    from .spf import check_spf, spf_identity

    boundary = find_boundary(
        view.received,
        trusted_hops=options.trusted_hops,
        trusted_receivers=options.trusted_receivers,
    )
    authres = read_authres(
        view,
        trusted_ids=options.trusted_authserv_ids,
        boundary=boundary.index if boundary is not None else None,
    )
    received_spf = read_received_spf(view.headers, boundary.index if boundary is not None else None)
    zone_id = zone_authserv_id(authres)
    hop = boundary.hop if boundary is not None else None
    rdns = (hop.rdns or ("unknown" if "unknown [" in hop.raw.lower() else None)) if hop else None
    ip = hop.ip if hop else None
    helo = hop.helo if hop else None
    mailfrom = view.return_path
    from_domains = _from_domains(view)
    spf_domain = spf_identity(mailfrom, helo) if mailfrom is not None else None
    received_evidence = (f"Received ({boundary.how}): {hop.raw[:300]}",) if boundary and hop else ()
    spf_missing: str | None = None
    if boundary is None:
        spf_missing = "no Received header at the trust boundary"
    elif ip is None:
        spf_missing = "the boundary Received header names no client IP"
    elif mailfrom is None:
        spf_missing = "no Return-Path (envelope sender unknown)"

    def unchecked_spf(reason: str) -> SpfResult:
        return SpfResult(
            "unchecked",
            domain=spf_domain,
            ip=ip,
            helo=helo,
            mailfrom=mailfrom,
            reason=reason,
            evidence=received_evidence,
            rdns=rdns,
        )

    unchecked: list[str] = []
    split = SplitMessage(view.raw)  # split once for DKIM and ARC
    if resolver is None:
        spf = unchecked_spf(spf_missing or "offline")
        dkim = verify_dkim(view.raw, resolver=None, split=split)
        arc = verify_arc(view.raw, resolver=None, split=split)
        dmarc = DmarcResult(
            "unchecked", from_domain=from_domains[0] if from_domains else None, reason="offline"
        )
        unchecked += ["spf: offline", "dmarc: offline"]
        if any(s.result == "unchecked" for s in dkim.signatures) or dkim.result == "unchecked":
            unchecked.append("dkim: offline")
        if arc.result == "unchecked":
            unchecked.append("arc: offline")
        return AuthSummary(
            spf=spf,
            dkim=dkim,
            arc=arc,
            dmarc=dmarc,
            authres=authres,
            disagreements=(),
            unchecked=tuple(unchecked),
            dns_queries=0,
            received_spf=received_spf,
            zone_authserv_id=zone_id,
            dns_health="offline",
        )

    # The caller may hand in the message's budget (check does, so that what it asks after
    # authentication shares the same memo and clock).
    budget = (
        resolver
        if isinstance(resolver, BudgetResolver)
        else BudgetResolver(resolver, budget_s=options.dns_budget_s)
    )
    # DNS prefetch: the DKIM keys, SPF record and DMARC records do not depend on each other;
    # ask them concurrently now, so the serial checks below find them in the memo.
    from .prefetch import prefetch_queries

    budget.prefetch(
        prefetch_queries(
            view, spf_domain=spf_domain if spf_missing is None else None, from_domains=from_domains
        )
    )

    dkim = verify_dkim(view.raw, resolver=budget, split=split)

    if spf_missing is not None:
        spf = unchecked_spf(spf_missing)
    # Methods whose result the spent budget left unchecked (a temperror it caused)
    out_of_budget: set[str] = set()
    if spf_missing is not None:
        spf = unchecked_spf(spf_missing)
    else:
        refused = budget.refused
        spf = check_spf(ip, mailfrom, helo, resolver=budget)
        if spf.result == "temperror" and budget.refused > refused:
            spf = replace(spf, result="unchecked", reason=f"DNS budget spent; {spf.reason}")
            out_of_budget.add("spf")
        spf = replace(spf, evidence=received_evidence + spf.evidence, rdns=rdns)

    refused = budget.refused
    dmarc = check_dmarc(from_domains, spf, dkim, resolver=budget)
    if dmarc.result == "temperror" and budget.refused > refused:
        dmarc = replace(dmarc, result="unchecked", reason=f"DNS budget spent; {dmarc.reason}")
        out_of_budget.add("dmarc")
    dmarc = _settle_dmarc(dmarc, spf, dkim, from_domains)

    arc = verify_arc(view.raw, resolver=budget, split=split)
    if arc.result == "unchecked" and arc.reason == "dns_budget":
        out_of_budget.add("arc")

    # Each line of what was not checked, and why as data: a lookup of the sender's names left
    # out on purpose (the sender_lookups_skipped finding), or DNS that failed or ran out of
    # budget (dns_incomplete). Anything else unchecked (offline, no client IP) is neither.
    skipped_methods: list[str] = []
    skipped_queries: list[str] = []
    incomplete: list[str] = []
    for method, result, reason, skipped in (
        ("spf", spf.result, spf.reason, spf.skipped),
        ("dkim", dkim.result, "", ()),
        ("dmarc", dmarc.result, dmarc.reason, dmarc.skipped),
        ("arc", arc.result, arc.reason, ("arc",) if arc.reason == SENDER_LOOKUP_SKIPPED else ()),
    ):
        if result in ("unchecked", "temperror"):
            line = f"{method}: {result}" + (f" ({reason[:160]})" if reason else "")
            unchecked.append(line)
            if skipped:
                skipped_methods.append(method)
            elif result == "temperror" or method in out_of_budget:
                incomplete.append(line)
    for sig in dkim.signatures:
        if sig.result in ("unchecked", "temperror"):
            line = f"dkim d={sig.domain}: {sig.result} ({sig.reason or ''})"
            unchecked.append(line)
            if sig.reason == SENDER_LOOKUP_SKIPPED:
                skipped_methods.append("dkim")
                skipped_queries.append(f"TXT {sig.selector}._domainkey.{sig.domain}")
            elif sig.result == "temperror" or sig.reason == "dns_budget":
                incomplete.append(line)
    if budget.refused:
        line = f"DNS budget of {budget.budget_s:g} s spent: {budget.refused} queries not sent"
        unchecked.append(line)
        incomplete.append(line)

    health, health_reason = budget.health()
    ours = {"spf": spf.result, "dkim": dkim.result, "dmarc": dmarc.result, "arc": arc.result}
    return AuthSummary(
        spf=spf,
        dkim=dkim,
        arc=arc,
        dmarc=dmarc,
        authres=authres,
        disagreements=_disagreements(authres, ours),
        unchecked=tuple(dict.fromkeys(unchecked)),
        dns_queries=budget.queries,
        received_spf=received_spf,
        zone_authserv_id=zone_id,
        dns_health=health,
        dns_health_reason=health_reason,
        sender_lookups_skipped=tuple(sorted(set(skipped_methods))),
        skipped_queries=tuple(dict.fromkeys((*spf.skipped, *dmarc.skipped, *skipped_queries))),
        dns_incomplete=tuple(dict.fromkeys(incomplete)),
    )
