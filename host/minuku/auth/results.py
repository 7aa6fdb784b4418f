"""Plain result records of the authentication checks (SPF, DKIM, ARC, DMARC, A-R).

Result words follow RFC 8601 §2.7: spf pass/fail/softfail/neutral/none/temperror/permerror,
dkim pass/fail/neutral/none/temperror/permerror/policy, dmarc pass/fail/none/temperror/
permerror, arc pass/fail/none. ``unchecked`` is ours: the check was not run (offline mode,
DNS budget spent, no trustworthy client IP) and ``reason`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The reason of a DKIM signature or ARC chain not checked because its key lives under a name
# the sender controls, left out on purpose (``dnspolicy``, no sender lookups): not offline,
# not a DNS failure.
SENDER_LOOKUP_SKIPPED = "sender_lookup_skipped"


@dataclass(frozen=True)
class SpfResult:
    result: str
    domain: str | None = None  # the MAIL FROM domain checked, or the HELO name when MAIL FROM is <>
    ip: str | None = None
    helo: str | None = None
    mailfrom: str | None = None
    # the receiving server's reverse-DNS name of the client; "unknown" when it wrote that it
    # found none (Postfix "(unknown [ip])"), None when its Received does not say
    rdns: str | None = None
    reason: str = ""  # why: the matched mechanism, the DNS error, why it was unchecked
    evidence: tuple[str, ...] = ()  # e.g. the Received header used, the SPF record
    # The query ("TXT example.com") whose absence made this a temperror: a name the sender
    # controls, left out on purpose (``dnspolicy``, no sender lookups). Empty otherwise.
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class DkimSignature:
    result: str  # pass / fail / neutral / temperror / permerror
    domain: str | None  # d=
    selector: str | None  # s=
    algorithm: str | None  # a=
    key_bits: int | None = None
    # fail reason code: body_hash_mismatch, signature_mismatch, no_key, revoked_key,
    # bad_key_record, dns_error, key_too_small, weak_algorithm, syntax, expired, unsupported
    reason: str | None = None
    weak: bool = False  # rsa-sha1 or a small key: reported as weak
    body_length_limit: int | None = None  # l=
    unsigned_body_after_limit: bool = False  # content follows the signed part
    identity: str | None = None  # i=
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class DkimResult:
    result: str  # pass if any signature passes; none when unsigned; else the best failure
    signatures: tuple[DkimSignature, ...] = ()

    @property
    def passing_domains(self) -> tuple[str, ...]:
        return tuple(s.domain for s in self.signatures if s.result == "pass" and s.domain)


@dataclass(frozen=True)
class ArcResult:
    result: str  # cv: pass / fail / none, or unchecked / temperror
    instances: int = 0
    reason: str = ""
    first_hop_authres: str | None = None  # AAR of i=1, only when the chain is valid
    first_hop_authserv_id: str | None = None
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class DmarcResult:
    result: str  # pass / fail / none / temperror / permerror / unchecked
    from_domain: str | None = None
    policy_domain: str | None = None  # where the record was found
    record: str | None = None
    p: str | None = None
    sp: str | None = None
    np: str | None = None
    adkim: str = "r"
    aspf: str = "r"
    pct: int = 100
    applied_policy: str | None = None  # none / quarantine / reject: what applies to this From
    dkim_aligned: str | None = None  # the aligned passing d=
    spf_aligned: str | None = None  # the aligned passing SPF domain
    reason: str = ""
    evidence: tuple[str, ...] = ()
    # Queries of the sender's names left out on purpose (``dnspolicy``) on which this
    # temperror rests: the policy record's own, or the SPF result's it waited on.
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthresEntry:
    """One Authentication-Results header as found in the message."""

    authserv_id: str | None
    trusted: bool  # from the user's list, or the topmost one at the trust boundary
    results: dict[str, str] = field(
        default_factory=dict
    )  # method -> result (spf, dkim, dmarc, arc)
    details: dict[str, str] = field(default_factory=dict)  # e.g. "dkim.header.d" -> value
    raw: str = ""
    in_zone: bool = False  # where only the receiving server writes (trust needs the id too)


@dataclass(frozen=True)
class AuthSummary:
    spf: SpfResult
    dkim: DkimResult
    arc: ArcResult
    dmarc: DmarcResult
    authres: tuple[AuthresEntry, ...] = ()
    # "method: ours=X, receiving server (id)=Y" when ours and a trusted A-R disagree
    disagreements: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()  # what could not be checked and why (offline, budget, ...)
    dns_queries: int = 0
    # The receiving server's Received-SPF (negative evidence only) and the authserv-id of the
    # topmost A-R where it writes (for the add-on to learn; trusts nothing by itself).
    received_spf: ReceivedSpfResult | None = None
    zone_authserv_id: str | None = None
    # "ok" | "offline" | "failing" (timeouts, SERVFAIL) | "lying" (NXDOMAIN for names that exist)
    dns_health: str = "ok"
    dns_health_reason: str = ""
    # Methods ("dmarc", "spf") left unchecked because a query for a name the sender controls
    # was not sent on purpose (no sender lookups), and those queries: not a DNS failure.
    sender_lookups_skipped: tuple[str, ...] = ()
    skipped_queries: tuple[str, ...] = ()
    # The ``unchecked`` lines a DNS failure or the spent budget caused (never the skipped ones)
    dns_incomplete: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReceivedSpfResult:
    result: str
    envelope_from: str | None = None
    helo: str | None = None
    client_ip: str | None = None
    raw: str = ""


def unchecked_summary(reason: str) -> AuthSummary:
    """Every check ``unchecked`` for one reason: the analysis could not run (or was cut short)."""
    return AuthSummary(
        spf=SpfResult("unchecked", reason=reason),
        dkim=DkimResult("unchecked"),
        arc=ArcResult("unchecked", reason=reason),
        dmarc=DmarcResult("unchecked", reason=reason),
        unchecked=(reason,),
    )
