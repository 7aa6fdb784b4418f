"""Findings → verdict, by rules a person can follow.

1. Every check adds findings with a severity (message shape, claims, look-alike domains, links,
   authentication, delivery, pressure cues).
2. A brand claim is judged against the sender's domain and authentication: DMARC pass (ours, or
   the trusted receiving server's for the same From domain) for the brand's own domain
   verifies the claim; DMARC fail for it, or no VERIFIED signature where the catalogue says
   the brand always signs, is forgery (``danger``); a claim from any other domain is
   impersonation, however well that other domain authenticates. Offline, the receiving
   server's Received-SPF fail for the brand's domain and a HELO that claims the brand's domain
   from an address without that name are evidence too (``warning``).
3. DMARC as published: an author's DMARC failure weighs what its domain asks for (``p``/``sp``/
   ``np``, ``pct`` < 100 one step lighter, ``pct=0`` as ``none``): ``none`` → ``caution``,
   ``quarantine``/``reject`` → ``warning``. A failure that list or forwarder delivery explains
   (``delivery``) is information only; with ``quarantine``/``reject`` and no trusted ARC it
   stays ``caution``.
4. "Could not verify" is not "forged": a DKIM key that is not published (keys rotate), an
   unsupported algorithm, a temporary DNS error, or a body changed by a list is shown as
   unverifiable, never as a failure.
5. Pressure cues escalate only an impersonation or a link trick (``warning`` → ``danger``),
   never a bare authentication result; alone they are ``caution``, and only information in
   list mail without a brand claim or a suspicious link.
6. The verdict is the worst severity: danger > warning > caution. With none of those, a brand
   claim that could not be verified, or a DNS that failed or lied, is ``unknown``; otherwise
   ``ok``. ``verified`` says whether the sender was authenticated (DMARC pass, an aligned
   DKIM pass, or a trusted receiving server's DMARC pass for the same From domain): ``ok``
   without it means nothing was found, not that anything was proven.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .auth.results import SENDER_LOOKUP_SKIPPED, AuthSummary, DmarcResult
from .delivery import Delivery
from .findings import Finding, Severity
from .message import Link, MessageView
from .payload import Verdict as Verdict

UNVERIFIED = "brand_unverified"
_MAX_ROLE = 16  # addresses or signatures per role looked at: hostile mail can list thousands
DNS_UNAVAILABLE = "dns_unavailable"
# Warnings that a push to act turns into danger (rule 5): impersonation and link tricks only.
# A brand's name beside plain words (netflixlife.com: lookalike.plain_combosquat) is a warning
# in these codes, a danger once the mail pushes or asks for a sign-in or payment.
_PLAIN_LOOKALIKE = frozenset(
    {"lookalike_from", "lookalike_reply_to", "lookalike_sender", "link_lookalike"}
)
ESCALATE_WITH_PRESSURE = _PLAIN_LOOKALIKE | frozenset(
    {
        "brand_impersonation",
        "brand_links_elsewhere",
        "link_text_mismatch",
        "link_redirector",
        "link_raw_ip",
        "link_userinfo_trick",
        "reply_to_other",
        "reply_to_freemail",
        "receiver_spf_fail_brand",
        "helo_brand_claim",
    }
)
# Findings that make a pressure cue count (rule 5): with none of these it is information.
_PRESSURE_CONTEXT = ESCALATE_WITH_PRESSURE | {
    "link_lookalike",
    "link_shortener",
    "link_free_hosting",
    "link_punycode",
    "lookalike_from",
    "lookalike_reply_to",
    "lookalike_sender",
    "brand_unverified",
    "freemail_brand_claim",
    "dmarc_fail_brand",
    "brand_unsigned",
}
# DKIM failures that say "could not verify", not "forged" (rule 4).
_UNVERIFIABLE = frozenset(
    {"no_key", "unsupported", "dns_error", "dns_budget", "offline", SENDER_LOOKUP_SKIPPED}
)
# Tie-break for reasons of equal severity: the most telling first.
_RANK = {
    "lookalike_from": 0,
    "dmarc_fail_brand": 1,
    "brand_unsigned": 2,
    "freemail_brand_claim": 3,
    "brand_impersonation": 4,
    "link_lookalike": 5,
    "brand_links_elsewhere": 6,
    "link_userinfo_trick": 7,
    "link_text_mismatch": 8,
    "pressure_phrases": 90,
}


@dataclass(frozen=True)
class Analysis:
    verdict: Verdict
    brand: str | None
    findings: tuple[Finding, ...]  # ranked, worst first
    auth: AuthSummary
    offline: bool
    verified: bool = False
    # a claimed brand could not be verified and the mail pushes or links: give the full advice
    full_advice: bool = False


def lookalike_findings(
    view: MessageView, dkim_domains: Iterable[str | None] = (), owned: Iterable[str] = ()
) -> list[Finding]:
    """Look-alike domains in From, Reply-To, Sender, Return-Path and the given DKIM d= (rule 2).

    Headers only: ``quickcheck`` keeps these when a full check is cut short. ``owned``: sender
    domains that DNS showed to be the brand's own (``lookalike.dns_owned_senders``, online).
    """
    owned_set = frozenset(owned)
    from .lookalike import check_domain, plain_combosquat

    out: list[Finding] = []
    roles: list[tuple[str, str | None, Severity]] = [
        ("lookalike_from", a.domain, Severity.DANGER) for a in view.from_[:_MAX_ROLE]
    ]
    roles += [("lookalike_reply_to", a.domain, Severity.DANGER) for a in view.reply_to[:_MAX_ROLE]]
    if view.sender is not None:
        roles.append(("lookalike_sender", view.sender.domain, Severity.DANGER))
    if view.return_path:
        roles.append(
            ("lookalike_return_path", view.return_path.rpartition("@")[2], Severity.WARNING)
        )
    roles += [("lookalike_dkim", d, Severity.WARNING) for d in list(dkim_domains)[:_MAX_ROLE]]
    seen: set[tuple[str, str]] = set()
    for code, domain, sev in roles:
        if not domain or (code, domain) in seen or domain in owned_set:
            continue
        seen.add((code, domain))
        m = check_domain(domain)
        if m is not None:
            if sev == Severity.DANGER and plain_combosquat(m):
                sev = Severity.WARNING  # escalated with a push or a sign-in link (analyse)
            out.append(
                Finding(
                    code,
                    sev,
                    {"domain": domain, "technique": m.technique},
                    (m.detail,) if m.detail else (),
                    brand=m.brand_id,
                )
            )
    return out


def _authres_says(
    auth: AuthSummary, method: str, from_domain: str | None = None
) -> tuple[str, str] | None:
    """A trusted receiving server's result for ``method``. For DMARC its header.from must be
    the From domain we judge (issue 8.3): a pass for another domain verifies nothing."""
    for entry in auth.authres:
        if entry.trusted and method in entry.results:
            result = entry.results[method]
            if method == "dmarc" and from_domain is not None:
                said = (entry.details.get("dmarc.header.from") or "").lower().rstrip(".")
                if said != from_domain.lower().rstrip(".") and result == "pass":
                    continue
            return result, entry.authserv_id or "?"
    return None


def _claim_findings(
    view: MessageView,
    auth: AuthSummary,
    brand_id: str,
    claim_where: str,
    offline: bool,
    delivery: Delivery,
    dns_owned: tuple[str, ...] = (),
) -> list[Finding]:
    """Judge a claim to be ``brand_id`` against the sender and its authentication (rule 2)."""
    from .catalogue import load

    cat = load()
    brand = cat.brand(brand_id)
    out: list[Finding] = []
    verified = False
    for addr in view.from_[:1]:
        domain = addr.domain
        owner = _genuine_owner(cat, domain)
        if owner is None and domain in dns_owned:  # the brand's own by its NS (issue 11.3)
            from .lookalike import check_domain

            match = check_domain(domain)
            owner = brand if match is not None and match.brand_id == brand_id else None
        if owner is not None and owner.id == brand_id:
            verified = _judge_brand_domain(
                view, auth, brand, domain, offline, out, delivery, claim_where
            )
        elif owner is not None:
            verified = True  # another catalogue brand's own domain: a partner, not a forgery
        elif domain and cat.is_freemail(domain):
            out.append(
                Finding(
                    "freemail_brand_claim",
                    Severity.DANGER,
                    {"domain": domain},
                    (addr.addr,),
                    brand_id,
                )
            )
        elif domain:
            out.append(
                Finding(
                    "brand_impersonation",
                    Severity.WARNING,
                    {"domain": domain, "where": claim_where},
                    (f"{addr.display_name} <{addr.addr}>",),
                    brand_id,
                )
            )
    for addr in view.reply_to:
        owner = _genuine_owner(cat, addr.domain)
        if owner is None and addr.domain:
            code = "reply_to_freemail" if cat.is_freemail(addr.domain) else "reply_to_other"
            out.append(
                Finding(code, Severity.WARNING, {"domain": addr.domain}, (addr.addr,), brand_id)
            )
    if not verified:
        for link, owner in _sign_in_links(cat, view):
            if owner is None:
                out.append(
                    Finding(
                        "brand_links_elsewhere",
                        Severity.WARNING,
                        {"host": link.host or ""},
                        (f"{link.text[:80]} → {link.href[:200]}",),
                        brand_id,
                    )
                )
                break
    return out


def _sign_in_links(cat: Any, view: MessageView) -> list[tuple[Link, Any]]:
    """The links that ask to sign in, pay or confirm, or lead to file or page hosting (issue
    11.2), each with the brand that owns its host (None: nobody's)."""
    from .links import is_action_link

    return [
        (link, _genuine_owner(cat, link.host))
        for link in view.links
        if link.host and (is_action_link(link) or _hosting_link(link))
    ]


def _hosting_link(link: Link) -> bool:
    """Issue 11.2: under an unverified brand claim, a link to file or page hosting (a bucket,
    a worker, a pages site) is its sign-in or payment page, whatever the link's words or the
    bucket's name: a brand's own pages are not hosted there (``data/hosting.json``)."""
    from .lookalike import hosting_service

    svc = hosting_service(link.host or "")
    return svc is not None and svc.kind in ("file", "page")


def _genuine_owner(cat: Any, domain: str) -> Any:
    """The brand that owns the domain, unless anyone can publish there (shared hosting)."""
    if not domain or cat.is_shared(domain):
        return None
    return cat.owner_of(domain)


def _judge_brand_domain(
    view: MessageView,
    auth: AuthSummary,
    brand: object,
    domain: str,
    offline: bool,
    out: list[Finding],
    delivery: Delivery,
    where: str,
) -> bool:
    from .catalogue import Brand

    assert isinstance(brand, Brand)
    dmarc = auth.dmarc
    trusted_dmarc = _authres_says(auth, "dmarc", domain)
    if dmarc.result == "pass":
        out.append(
            Finding(
                "brand_verified", Severity.INFO, {"domain": domain, "how": "dmarc"}, (), brand.id
            )
        )
        return True
    if dmarc.result == "fail":
        ev = (dmarc.reason,) if dmarc.reason else ()
        sev = Severity.DANGER
        if delivery.vouched and where == "from_domain":
            # An employee's post through a list: the list explains the failure (rule 3).
            sev = _dmarc_fail_severity(dmarc, delivery, vouch_skipped=False)
            ev = (*ev, f"delivered by a list: {delivery.list_id or delivery.vouched}")
        out.append(Finding("dmarc_fail_brand", sev, {"domain": domain}, ev, brand.id))
        return False
    if trusted_dmarc is not None and dmarc.result in ("unchecked", "temperror", "none"):
        result, authserv = trusted_dmarc
        if result == "pass":
            out.append(
                Finding(
                    "brand_verified",
                    Severity.INFO,
                    {"domain": domain, "how": "authres"},
                    (authserv,),
                    brand.id,
                )
            )
            return True
        if result == "fail":
            out.append(
                Finding(
                    "dmarc_fail_brand",
                    Severity.DANGER,
                    {"domain": domain},
                    (f"{authserv}: dmarc=fail",),
                    brand.id,
                )
            )
            return False
    required = brand.dkim_required_for(domain)  # per sending domain, never brand-wide
    if required:
        mine = [s for s in auth.dkim.signatures if any(_under(s.domain or "", d) for d in required)]
        # Online only a verified signature counts (issue 8.2); offline nothing can be verified,
        # so a signature that is there at least leaves the question open.
        counted = [
            s
            for s in mine
            if s.result == "pass"
            or (offline and s.result == "unchecked")
            or (s.result == "temperror" and s.reason == "dns_error")
        ]
        if not counted:
            evidence = tuple(
                f"d={s.domain} s={s.selector}: {s.result} ({s.reason or '-'})" for s in mine[:3]
            ) or ("no DKIM-Signature header",)
            out.append(
                Finding(
                    "brand_unsigned",
                    Severity.DANGER,
                    {"domain": domain, "dkim_domains": ", ".join(required)},
                    evidence,
                    brand.id,
                )
            )
            return False
    if auth.dkim.result == "pass" and any(
        _under(d, x) for d in auth.dkim.passing_domains for x in brand.domains
    ):
        out.append(
            Finding(
                "brand_verified", Severity.INFO, {"domain": domain, "how": "dkim"}, (), brand.id
            )
        )
        return True
    out += _receiver_evidence(auth, brand)
    if auth.dns_health in ("failing", "lying"):
        why = "dns"
    else:
        why = "offline" if offline else ("dns" if dmarc.result == "temperror" else "no_result")
    out.append(Finding(UNVERIFIED, Severity.INFO, {"domain": domain, "why": why}, (), brand.id))
    return False


def _receiver_evidence(auth: AuthSummary, brand: object) -> list[Finding]:
    """What the receiving server recorded against a claimed brand domain (rule 2, offline)."""
    from .catalogue import Brand

    assert isinstance(brand, Brand)
    out: list[Finding] = []
    rs = auth.received_spf
    if rs is not None and rs.result in ("fail", "softfail"):
        env = (rs.envelope_from or "").rpartition("@")[2].lower() or (rs.helo or "").lower()
        if env and any(_under(env, d) for d in brand.domains):
            out.append(
                Finding(
                    "receiver_spf_fail_brand",
                    Severity.WARNING,
                    {"domain": env, "result": rs.result},
                    (f"Received-SPF: {rs.raw}",),
                    brand.id,
                )
            )
    helo = (auth.spf.helo or "").lower().rstrip(".")
    if helo and any(_under(helo, d) for d in brand.domains):
        rdns = (auth.spf.rdns or "").lower().rstrip(".")
        # Only when the receiving server SAID the address has no such name: some MTAs do not
        # write the reverse name at all, and silence is not evidence.
        if rdns and not any(_under(rdns, d) for d in brand.domains):
            out.append(
                Finding(
                    "helo_brand_claim",
                    Severity.WARNING,
                    {"helo": helo, "ip": auth.spf.ip or "?", "rdns": rdns or "-"},
                    auth.spf.evidence[:1],
                    brand.id,
                )
            )
    return out


def _effective_policy(dmarc: DmarcResult) -> str:
    """The policy the domain asks for, with ``pct`` honoured (rule 3)."""
    policy = (dmarc.applied_policy or dmarc.p or "none").lower()
    if dmarc.pct == 0:
        return "none"
    if dmarc.pct < 100:
        return {"reject": "quarantine", "quarantine": "none"}.get(policy, policy)
    return policy


def _dmarc_fail_severity(dmarc: DmarcResult, delivery: Delivery, vouch_skipped: bool) -> Severity:
    policy = _effective_policy(dmarc)
    # A mail with list headers whose list could not be vouched for because that lookup was
    # left out on purpose (no lookups of the sender's names): judged as a list's mail, bar the
    # ARC exception. Not vouched is not the same as found unvouched; the check on arrival,
    # made with every lookup, still stands beside this one (arrival.js keeps the worse).
    if delivery.vouched or (vouch_skipped and delivery.via_list):
        if policy == "none" or (delivery.vouched or "").startswith("arc "):
            return Severity.INFO
        return Severity.CAUTION
    return Severity.CAUTION if policy == "none" else Severity.WARNING


def _under(name: str, domain: str) -> bool:
    name, domain = name.lower().rstrip("."), domain.lower().rstrip(".")
    return name == domain or name.endswith("." + domain)


def _auth_findings(auth: AuthSummary, brand_judged: bool, delivery: Delivery) -> list[Finding]:
    out: list[Finding] = []
    dmarc = auth.dmarc
    if dmarc.result == "fail" and not brand_judged:
        vouch_skipped = bool({"spf", "dkim", "arc"} & set(auth.sender_lookups_skipped))
        sev = _dmarc_fail_severity(dmarc, delivery, vouch_skipped)
        as_list = delivery.vouched or (vouch_skipped and delivery.via_list)
        code = "dmarc_fail_list" if sev == Severity.INFO and as_list else "dmarc_fail"
        out.append(
            Finding(
                code,
                sev,
                {
                    "domain": dmarc.from_domain or "?",
                    "policy": _effective_policy(dmarc),
                    "list": delivery.list_id or (delivery.vouched or ""),
                },
                (dmarc.reason,) if dmarc.reason else (),
            )
        )
    if auth.spf.result in ("fail", "softfail") and auth.dkim.result != "pass":
        out.append(
            Finding(
                "spf_fail",
                Severity.CAUTION,
                {"domain": auth.spf.domain or "?", "result": auth.spf.result},
                auth.spf.evidence,
            )
        )
    elif (
        auth.spf.result in ("unchecked", "temperror")
        and auth.received_spf is not None
        and auth.received_spf.result in ("fail", "softfail")
        and auth.dkim.result != "pass"
    ):
        rs = auth.received_spf
        out.append(
            Finding(
                "spf_fail",
                Severity.CAUTION,
                {
                    "domain": (rs.envelope_from or "").rpartition("@")[2] or (rs.helo or "?"),
                    "result": rs.result,
                },
                (f"Received-SPF: {rs.raw}",),
            )
        )
    dns_bad = auth.dns_health in ("failing", "lying")
    for sig in auth.dkim.signatures:
        d = sig.domain or "?"
        if sig.unsigned_body_after_limit:
            out.append(
                Finding("dkim_unsigned_content", Severity.WARNING, {"domain": d}, sig.evidence)
            )
        elif sig.result in ("fail", "permerror") and auth.dkim.result != "pass":
            reason = sig.reason or sig.result
            unverifiable = (
                dns_bad
                or reason in _UNVERIFIABLE
                or (reason == "body_hash_mismatch" and delivery.via_list)
            )
            out.append(
                Finding(
                    "dkim_unverifiable" if unverifiable else "dkim_fail",
                    Severity.INFO if unverifiable else Severity.CAUTION,
                    {"domain": d, "reason": reason},
                    sig.evidence,
                )
            )
        elif sig.weak:
            out.append(
                Finding(
                    "dkim_weak",
                    Severity.INFO,
                    {"domain": d, "reason": sig.reason or sig.algorithm or "?"},
                    (),
                )
            )
    for d in auth.disagreements:
        out.append(Finding("auth_disagreement", Severity.INFO, {"detail": d}, ()))
    if auth.arc.result == "pass" and auth.arc.first_hop_authres:
        out.append(
            Finding(
                "arc_context",
                Severity.INFO,
                {
                    "authserv_id": auth.arc.first_hop_authserv_id or "?",
                    "results": auth.arc.first_hop_authres[:200],
                },
                (),
            )
        )
    if delivery.vouched:
        out.append(
            Finding(
                "list_delivery",
                Severity.INFO,
                {"list": delivery.list_id or "?", "how": delivery.vouched},
                (),
            )
        )
    if dns_bad:
        out.append(
            Finding(
                DNS_UNAVAILABLE,
                Severity.INFO,
                {"state": auth.dns_health},
                (auth.dns_health_reason,) if auth.dns_health_reason else (),
            )
        )
    else:
        # What authentication left out on purpose (a sender's names, no sender lookups) and
        # what DNS failed to answer, as it recorded them: not a DNS failure, and one.
        if auth.sender_lookups_skipped:
            what = ", ".join(auth.sender_lookups_skipped)
            out.append(Finding("sender_lookups_skipped", Severity.INFO, {"what": what}, ()))
        if auth.dns_incomplete:
            what = "; ".join(auth.dns_incomplete)[:300]
            out.append(Finding("dns_incomplete", Severity.INFO, {"what": what}, ()))
    return out


def _shape_findings(view: MessageView) -> list[Finding]:
    out: list[Finding] = []
    if view.from_header_count > 1 or len(view.from_) > 1:
        out.append(
            Finding(
                "multiple_from",
                Severity.WARNING,
                {"count": str(max(view.from_header_count, len(view.from_)))},
                tuple(a.addr for a in view.from_[:5]),
            )
        )
    elif not view.from_:
        out.append(Finding("no_from", Severity.CAUTION))
    serious = [d for d in view.defects if d in _SERIOUS_DEFECTS]
    if serious:
        out.append(
            Finding("malformed_message", Severity.CAUTION, {"defects": ", ".join(serious)}, ())
        )
    return out


_SERIOUS_DEFECTS = frozenset({"too_many_headers", "mime_too_deep", "too_many_parts"})


def decide(findings: list[Finding]) -> Verdict:
    worst = max((f.severity for f in findings), default=Severity.INFO)
    if worst >= Severity.DANGER:
        return "danger"
    if worst >= Severity.WARNING:
        return "warning"
    if worst >= Severity.CAUTION:
        return "caution"
    if any(f.code in (UNVERIFIED, DNS_UNAVAILABLE) for f in findings):
        return "unknown"
    return "ok"


def sender_verified(view: MessageView, auth: AuthSummary) -> bool:
    """DMARC pass, an aligned DKIM pass, or a trusted receiving server's DMARC pass for the
    same From domain (rule 6). Never when DNS lied or failed, or the From is not one domain."""
    from .auth.psl import registrable

    if auth.dns_health in ("failing", "lying"):
        return False
    domains = {(a.ascii_domain or a.domain or "").lower() for a in view.from_}
    if len(domains) != 1 or "" in domains:
        return False
    (domain,) = domains
    if auth.dmarc.result == "pass":
        return True
    if auth.dmarc.result == "fail":
        return False
    org = registrable(domain) or domain
    if any((registrable(d) or d) == org for d in auth.dkim.passing_domains):
        return True
    said = _authres_says(auth, "dmarc", domain)
    return said is not None and said[0] == "pass"


def _arc_verified(view: MessageView, auth: AuthSummary, delivery: Delivery) -> bool:
    """A trusted sealer's first-hop ARC-Authentication-Results say DMARC passed for From."""
    if not (delivery.vouched or "").startswith("arc ") or not auth.arc.first_hop_authres:
        return False
    from .auth.authres import parse_authres

    _, results = parse_authres("x; " + auth.arc.first_hop_authres.partition(";")[2])
    domains = {(a.ascii_domain or a.domain or "").lower() for a in view.from_}
    for method, result, props in results:
        if method == "dmarc" and result == "pass":
            said = {v.lower() for k, v in props if k == "header.from"}
            return bool(said) and said == domains
    return False


def analyse(
    view: MessageView,
    auth: AuthSummary,
    *,
    offline: bool,
    trusted_arc_sealers: tuple[str, ...] = (),
    dns_owned: tuple[str, ...] = (),
) -> Analysis:
    from .claims import claimed_brand, detect_claims
    from .delivery import detect_delivery
    from .links import link_findings
    from .pressure import find_pressure

    delivery = detect_delivery(view, auth, extra_sealers=trusted_arc_sealers)
    findings = _shape_findings(view)
    lookalikes = lookalike_findings(view, (sig.domain for sig in auth.dkim.signatures), dns_owned)
    findings += lookalikes
    claims = detect_claims(view)
    brand = claimed_brand(claims)
    where = next((c.where for c in claims if c.brand_id == brand), "display_name")
    if brand is None and view.from_:
        from .catalogue import load

        owner = _genuine_owner(load(), view.from_[0].domain)
        if owner is not None:
            brand, where = owner.id, "from_domain"
    if brand is None:
        brand = next((f.brand for f in lookalikes if f.code == "lookalike_from"), None)
    if brand is not None and not any(f.code == "lookalike_from" for f in lookalikes):
        findings += _claim_findings(view, auth, brand, where, offline, delivery, dns_owned)
    findings += link_findings(view.links)
    findings += _auth_findings(auth, brand_judged=brand is not None, delivery=delivery)
    pressure = find_pressure(view.subject, view.body_text)
    if pressure:
        # Alone, a push to act deserves a second look, except in list mail, where English
        # words like "permanently" or "urgent" are technical talk (rule 5).
        claimed = brand is not None and where != "from_domain"
        context = (
            claimed
            or not delivery.via_list
            or any(f.code in _PRESSURE_CONTEXT and f.severity >= Severity.CAUTION for f in findings)
        )
        findings.append(
            Finding(
                "pressure_phrases",
                Severity.CAUTION if context else Severity.INFO,
                {"phrases": "\u3001".join(pressure[:6])},
                tuple(pressure),
            )
        )
        findings = [_escalate(f) for f in findings]
    if any(f.code in _PLAIN_LOOKALIKE and f.severity == Severity.WARNING for f in findings):
        findings = _escalate_with_sign_in(findings, view)
    if brand is None:
        brand = next((f.brand for f in findings if f.brand), None)
    ranked = sorted(findings, key=lambda f: (-f.severity, _RANK.get(f.code, 50)))
    verdict = decide(ranked)
    verified = verdict == "ok" and (
        sender_verified(view, auth) or _arc_verified(view, auth, delivery)
    )
    full_advice = (
        brand is not None
        and any(f.code == UNVERIFIED for f in ranked)
        and (bool(pressure) or any(link.host for link in view.links))
    )
    return Analysis(verdict, brand, tuple(ranked), auth, offline, verified, full_advice)


def _escalate_with_sign_in(findings: list[Finding], view: MessageView) -> list[Finding]:
    """A plain-word look-alike (a warning alone) is a danger in a mail with a link that asks
    to sign in or pay, or leads to file or page hosting, on a host its brand does not own:
    what a phishing mail is for."""
    from .catalogue import load

    owners = [owner for _, owner in _sign_in_links(load(), view)]
    return [
        _danger(f)
        if f.code in _PLAIN_LOOKALIKE
        and f.severity == Severity.WARNING
        and any(o is None or o.id != f.brand for o in owners)
        else f
        for f in findings
    ]


def _danger(f: Finding) -> Finding:
    return Finding(f.code, Severity.DANGER, f.params, f.evidence, f.brand)


def _escalate(f: Finding) -> Finding:
    if f.code in ESCALATE_WITH_PRESSURE and f.severity == Severity.WARNING:
        return _danger(f)
    return f
