"""The one cached Public Suffix List (publicsuffixlist's bundled copy) for the whole host.

``registrable`` gives the registrable ("organizational", RFC 7489 §3.2) domain: the public
suffix plus one label, e.g. ``mail.example.co.jp`` → ``example.co.jp`` and
``example-shop.co.jp`` stays whole. Unknown TLDs count as public suffixes (publicsuffixlist's
``accept_unknown``). The list is parsed once, on first use, and results are memoised.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ..memo import DNS_NAME_CHARS, StrCache


@cache
def psl() -> Any:
    """The shared ``publicsuffixlist.PublicSuffixList`` (parsed once, lazily)."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def _norm(domain: str) -> str:
    return domain.strip().rstrip(".").lower()


def _registrable(domain: str) -> str:
    """The registrable domain; a public suffix itself (or junk) is returned unchanged."""
    d = _norm(domain)
    if not d:
        return ""
    try:
        org = psl().privatesuffix(d)
    except Exception:  # noqa: BLE001 - hostile names must not crash callers
        return d
    return str(org) if org else d


def _public_suffix(domain: str) -> str:
    """The public suffix of ``domain`` (``co.jp`` for ``mail.example.co.jp``)."""
    d = _norm(domain)
    if not d:
        return ""
    try:
        suffix = psl().publicsuffix(d)
    except Exception:  # noqa: BLE001
        return d
    return str(suffix) if suffix else d


# Keyed on names from mail: a name over 253 characters is computed, never kept (memo).
# StrCache, not capped_cache: several calls a mail, and no lock or LRU order on each (issue 10).
registrable = StrCache(_registrable, 8192, DNS_NAME_CHARS)
public_suffix = StrCache(_public_suffix, 8192, DNS_NAME_CHARS)


def is_public_suffix(domain: str) -> bool:
    d = _norm(domain)
    return bool(d) and public_suffix(d) == d
