"""Findings → verdict, by rules a person can follow.

1. Every check adds findings with a severity (message shape, claims, look-alike domains, links,
   authentication, pressure cues).
2. A brand claim is judged against the sender's domain and authentication: DMARC pass (ours, or
   the trusted receiving server's) for the brand's own domain verifies the claim; DMARC fail
   for it, or no signature where the catalogue says the brand always signs, is forgery
   (``danger``); a claim from any other domain is impersonation, however well that other
   domain authenticates.
3. Pressure cues never make ``danger`` alone; a ``warning`` about who sent the mail or where its
   links go becomes ``danger`` when the mail also pushes the reader to act.
4. The verdict is the worst severity: danger > warning > caution. With none of those, a brand
   claim that could not be verified (offline, DNS failure) is ``unknown``; otherwise ``ok``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .auth.results import AuthSummary
from .findings import Finding, Severity
from .message import MessageView

Verdict = str  # "danger" | "warning" | "caution" | "ok" | "unknown"

UNVERIFIED = "brand_unverified"
# Warnings that a push to act turns into danger (rule 3).
ESCALATE_WITH_PRESSURE = frozenset(
    {
        "brand_impersonation",
        "brand_links_elsewhere",
        "link_text_mismatch",
        "link_redirector",
        "link_raw_ip",
        "link_userinfo_trick",
        "reply_to_other",
        "reply_to_freemail",
        "dmarc_fail",
    }
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


def _lookalike_findings(view: MessageView, auth: AuthSummary) -> list[Finding]:
    from .lookalike import check_domain

    out: list[Finding] = []
    roles: list[tuple[str, str | None, Severity]] = [
        ("lookalike_from", a.domain, Severity.DANGER) for a in view.from_
    ]
    roles += [("lookalike_reply_to", a.domain, Severity.DANGER) for a in view.reply_to]
    if view.sender is not None:
        roles.append(("lookalike_sender", view.sender.domain, Severity.DANGER))
    if view.return_path:
        roles.append(
            ("lookalike_return_path", view.return_path.rpartition("@")[2], Severity.WARNING)
        )
    for sig in auth.dkim.signatures:
        roles.append(("lookalike_dkim", sig.domain, Severity.WARNING))
    seen: set[tuple[str, str]] = set()
    for code, domain, sev in roles:
        if not domain or (code, domain) in seen:
            continue
        seen.add((code, domain))
        m = check_domain(domain)
        if m is not None:
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


def _authres_says(auth: AuthSummary, method: str) -> tuple[str, str] | None:
    for entry in auth.authres:
        if entry.trusted and method in entry.results:
            return entry.results[method], entry.authserv_id or "?"
    return None


def _claim_findings(
    view: MessageView, auth: AuthSummary, brand_id: str, claim_where: str, offline: bool
) -> list[Finding]:
    """Judge a claim to be ``brand_id`` against the sender and its authentication (rule 2)."""
    from .catalogue import load
    from .links import is_action_link

    cat = load()
    brand = cat.brand(brand_id)
    out: list[Finding] = []
    verified = False
    for addr in view.from_[:1]:
        domain = addr.domain
        owner = _genuine_owner(cat, domain)
        if owner is not None and owner.id == brand_id:
            verified = _judge_brand_domain(view, auth, brand, domain, offline, out)
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
        for link in view.links:
            if link.host and is_action_link(link) and _genuine_owner(cat, link.host) is None:
                out.append(
                    Finding(
                        "brand_links_elsewhere",
                        Severity.WARNING,
                        {"host": link.host},
                        (f"{link.text[:80]} → {link.href[:200]}",),
                        brand_id,
                    )
                )
                break
    return out


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
) -> bool:
    from .catalogue import Brand

    assert isinstance(brand, Brand)
    dmarc = auth.dmarc
    trusted_dmarc = _authres_says(auth, "dmarc")
    if dmarc.result == "pass":
        out.append(
            Finding(
                "brand_verified", Severity.INFO, {"domain": domain, "how": "dmarc"}, (), brand.id
            )
        )
        return True
    if dmarc.result == "fail":
        ev = (dmarc.reason,) if dmarc.reason else ()
        out.append(Finding("dmarc_fail_brand", Severity.DANGER, {"domain": domain}, ev, brand.id))
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
    signers = {(s.domain or "").lower() for s in auth.dkim.signatures}
    required = brand.dkim_required_for(domain)  # per sending domain, never brand-wide
    if required and not any(_under(s, d) for s in signers for d in required):
        out.append(
            Finding(
                "brand_unsigned",
                Severity.DANGER,
                {"domain": domain, "dkim_domains": ", ".join(required)},
                tuple(view.dkim_signatures[:3]) or ("no DKIM-Signature header",),
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
    why = "offline" if offline else ("dns" if dmarc.result == "temperror" else "no_result")
    out.append(Finding(UNVERIFIED, Severity.INFO, {"domain": domain, "why": why}, (), brand.id))
    return False


def _under(name: str, domain: str) -> bool:
    name, domain = name.lower().rstrip("."), domain.lower().rstrip(".")
    return name == domain or name.endswith("." + domain)


def _auth_findings(auth: AuthSummary, brand_judged: bool) -> list[Finding]:
    out: list[Finding] = []
    dmarc = auth.dmarc
    if dmarc.result == "fail" and not brand_judged:
        out.append(
            Finding(
                "dmarc_fail",
                Severity.WARNING,
                {"domain": dmarc.from_domain or "?"},
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
    for sig in auth.dkim.signatures:
        d = sig.domain or "?"
        if sig.unsigned_body_after_limit:
            out.append(
                Finding("dkim_unsigned_content", Severity.WARNING, {"domain": d}, sig.evidence)
            )
        elif sig.result in ("fail", "permerror") and auth.dkim.result != "pass":
            out.append(
                Finding(
                    "dkim_fail",
                    Severity.CAUTION,
                    {"domain": d, "reason": sig.reason or sig.result},
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
    budget = [u for u in auth.unchecked if "budget" in u or "temperror" in u]
    if budget:
        out.append(Finding("dns_incomplete", Severity.INFO, {"what": "; ".join(budget)[:300]}, ()))
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
    if any(f.code == UNVERIFIED for f in findings):
        return "unknown"
    return "ok"


def analyse(view: MessageView, auth: AuthSummary, *, offline: bool) -> Analysis:
    from .claims import claimed_brand, detect_claims
    from .links import link_findings
    from .pressure import find_pressure

    findings = _shape_findings(view)
    lookalikes = _lookalike_findings(view, auth)
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
        findings += _claim_findings(view, auth, brand, where, offline)
    findings += link_findings(view.links)
    findings += _auth_findings(auth, brand_judged=brand is not None)
    pressure = find_pressure(view.subject, view.body_text)
    if pressure:
        findings.append(
            Finding(
                "pressure_phrases",
                Severity.CAUTION,
                {"phrases": "\u3001".join(pressure[:6])},
                tuple(pressure),
            )
        )
        findings = [_escalate(f) for f in findings]
    if brand is None:
        brand = next((f.brand for f in findings if f.brand), None)
    ranked = sorted(findings, key=lambda f: (-f.severity, _RANK.get(f.code, 50)))
    return Analysis(decide(ranked), brand, tuple(ranked), auth, offline)


def _escalate(f: Finding) -> Finding:
    if f.code in ESCALATE_WITH_PRESSURE and f.severity == Severity.WARNING:
        return Finding(f.code, Severity.DANGER, f.params, f.evidence, f.brand)
    return f
