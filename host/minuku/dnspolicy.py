"""Which names a check may ask DNS about when the sender must not learn the mail was opened.

A query for a name the sender controls (their domain's SPF or DMARC, a DKIM selector, a
per-recipient From subdomain such as ``u8412.example``, the PTR of their server's address)
reaches the sender's own name server at the moment it is made. Made when a mail is opened,
it is a read receipt. ``BrandOnlyResolver`` lets through only names under a catalogue brand's
own registrable domains (``_dmarc.amazon.co.jp``, ``s1._domainkey.amazon.co.jp``): the brand's
name servers are not the attacker's. Names in a brand's *shared* subtree (anyone's S3 bucket,
anyone's github.io page) are the sender's and are refused. Every refused query raises
``SenderLookupSkipped`` — a temporary error, so whatever depended on it reads "not checked",
never pass and never fail.
"""

from __future__ import annotations

from .dns import Resolver, normalize_name
from .errors import DnsOffline

# The words people read in the "not checked" lines. Nothing matches on them: the checks record
# a refused query as data where they catch it (``SpfResult.skipped``, ``DmarcResult.skipped``,
# ``AuthSummary.sender_lookups_skipped``), and the verdict reads that.
SKIPPED_REASON = "not asked: a name the sender controls (no lookups of the sender's names)"


class SenderLookupSkipped(DnsOffline):
    """The query was not sent because the name belongs to the sender, not to a brand."""


def brand_owned(name: str) -> bool:
    """True when ``name`` lies under a catalogue brand's own (not shared) registrable domain."""
    from .catalogue import load

    host = normalize_name(name)
    # DKIM and DMARC names start with underscore labels the PSL does not know; the owner is
    # decided on the whole name, whose registrable domain is the same.
    cat = load()
    if cat.is_shared(host):
        return False
    if cat.owner_of(host) is not None:
        return True
    # A mailbox provider's names (gmail.com, yahoo.co.jp) are answered by the provider's name
    # servers, which the sender (one of its users) cannot read.
    from .catalogue import registrable

    reg = registrable(host)
    return reg is not None and cat.is_freemail(reg)


class BrandOnlyResolver:
    """Wraps a resolver: asks only about brands' own names; refuses the rest without sending."""

    def __init__(self, inner: Resolver) -> None:
        self.inner = inner
        self.skipped: list[tuple[str, str]] = []

    def state(self) -> tuple[str, str]:
        state = getattr(self.inner, "state", None)
        return state() if callable(state) else ("ok", "")

    def query(self, name: str, rdtype: str) -> list[str]:
        if not brand_owned(name):
            key = (normalize_name(name), rdtype.upper())
            self.skipped.append(key)
            raise SenderLookupSkipped(key[0], key[1], SKIPPED_REASON)
        return self.inner.query(name, rdtype)
