"""The DNS names a message's checks will surely ask, so they can be asked at once, concurrently.

DKIM keys (RFC 6376 §3.6.2.1: ``<s>._domainkey.<d>`` TXT), the SPF record of the envelope
domain (RFC 7208 §4.4) and the DMARC records of the From domain and its organizational domain
(RFC 7489 §6.6.3) do not depend on each other. ``prefetch_queries`` lists them (and the keys
of the ARC sets, RFC 8617 §5.2); ``BudgetResolver.prefetch`` asks them concurrently and
memoises answers and errors, so the serial checks that follow find them answered and only the
SPF chain's includes remain to be asked. Nothing here sends a query.

The list is bounded (hostile mail can carry hundreds of signatures): at most
``MAX_KEY_NAMES`` key names, and DMARC names for at most the checked From domains.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .dkimdns import key_name, valid_query_name

if TYPE_CHECKING:
    from ..message import MessageView

MAX_KEY_NAMES = 16
_MAX_FROM = 8  # as dmarc.MAX_FROM_DOMAINS: more is a permerror without queries


def _tags(value: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for spec in re.sub(r"\s+", "", value).split(";"):
        k, sep, v = spec.partition("=")
        if sep and k and k not in tags:
            tags[k.lower()] = v
    return tags


def key_queries(values: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for value in values:
        tags = _tags(value)
        s, d = tags.get("s", ""), tags.get("d", "")
        if not s or not d:
            continue
        name = key_name(s, d).lower()
        if valid_query_name(name) and (name, "TXT") not in out:
            out.append((name, "TXT"))
        if len(out) >= MAX_KEY_NAMES:
            break
    return out


def prefetch_queries(
    view: MessageView, *, spf_domain: str | None, from_domains: list[str]
) -> list[tuple[str, str]]:
    """(name, rdtype) pairs the checks of ``view`` will ask first; ``spf_domain`` None when SPF
    will not run."""
    from .dmarc import ascii_domain
    from .psl import registrable

    arc_sigs = [
        v for n, v in view.arc_headers if n.lower() in ("arc-seal", "arc-message-signature")
    ]
    out = key_queries(list(view.dkim_signatures) + arc_sigs)
    if spf_domain and valid_query_name(spf_domain):
        out.append((spf_domain.lower(), "TXT"))
    domains = list(dict.fromkeys(ascii_domain(d) for d in from_domains if d))
    if len(domains) <= _MAX_FROM:
        for d in domains:
            if "." not in d.strip("."):
                continue
            for name in (d, registrable(d)):
                q = (f"_dmarc.{name}", "TXT")
                if name and valid_query_name(q[0]) and q not in out:
                    out.append(q)
    return out
