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


class SuffixWalk:
    """publicsuffixlist's public-suffix answer, with its walk cut short (same answers: a test
    compares the two on wildcard, exception, private-section and unknown-TLD names).

    publicsuffixlist joins and looks up every depth from ``maxlabel + 1`` labels down to one
    (three set lookups each), about 13 µs a host: the engine's second hot spot. A rule can
    match at depth ``d`` only if the host's last ``d`` labels are the tail of some rule, and
    tails are closed under shortening, so the walk goes up from the TLD while the tail is one
    (usually one or two steps) and then applies the library's own order (exception, wildcard,
    exact; longest first) from there down."""

    def __init__(self, rules: frozenset[str], maxlabel: int) -> None:
        self._rules = rules
        self._maxlabel = maxlabel
        tails: set[str] = set()
        for rule in rules:
            body = rule[1:] if rule.startswith("!") else rule
            body = body[2:] if body.startswith("*.") else body
            labels = body.split(".")
            tails.update(".".join(labels[i:]) for i in range(len(labels)))
        self._tails = frozenset(tails)

    @classmethod
    def shipped(cls) -> SuffixWalk | None:
        """Built from the host's one parsed PSL; None if the library's layout ever changes
        (then the library itself is asked)."""
        lst = psl()
        rules = getattr(lst, "_publicsuffix", None)
        maxlabel = getattr(lst, "_maxlabel", None)
        if not isinstance(rules, frozenset) or not isinstance(maxlabel, int):
            return None
        if getattr(lst, "accept_unknown", None) is not True:
            return None
        return cls(rules, maxlabel)

    def suffix(self, host: str) -> str | None:
        if not host or ".." in host or len(host) > 253:
            return None
        labels = host.split(".")
        n = len(labels)
        if n == 1 or "" in labels:
            return host if n == 1 else _library_suffix(host)
        tails, rules = self._tails, self._rules
        deep = 0
        tail = ""
        for d in range(1, min(n, self._maxlabel + 1) + 1):
            tail = labels[-d] if d == 1 else labels[-d] + "." + tail
            if tail not in tails:
                break
            deep = d
        for depth in range(deep, 0, -1):
            s = ".".join(labels[-depth:])
            if "!" + s in rules:
                count = depth - 1
                break
            if "*." + s in rules:
                count = depth + 1 if depth < n else depth
                break
            if s in rules:
                count = depth
                break
        else:
            count = 1  # an unknown TLD is a public suffix (accept_unknown)
        if n < count:
            return host
        return ".".join(labels[-count:])


@cache
def suffix_walk() -> SuffixWalk | None:
    return SuffixWalk.shipped()


def walk_public_suffix(host: str) -> str | None:
    """The public suffix of a normalised host name (the library's answer, found by the short
    walk); None for no name (empty, ``..``, over 253 characters)."""
    walk = suffix_walk()
    return walk.suffix(host) if walk is not None else _library_suffix(host)


def _library_suffix(host: str) -> str | None:
    try:
        suffix = psl().publicsuffix(host)
    except Exception:  # noqa: BLE001 - hostile names must not crash callers
        return None
    return str(suffix) if suffix else None


def _registrable(domain: str) -> str:
    """The registrable domain; a public suffix itself (or junk) is returned unchanged."""
    d = _norm(domain)
    if not d:
        return ""
    walk = suffix_walk()
    suffix = walk.suffix(d) if walk is not None else None
    if suffix is None:  # a name the walk does not take (too long, empty labels): the library
        try:
            org = psl().privatesuffix(d)
        except Exception:  # noqa: BLE001 - hostile names must not crash callers
            return d
        return str(org) if org else d
    if len(d) <= len(suffix) + 1 or not d.endswith("." + suffix):
        return d  # a public suffix itself: publicsuffixlist's privatesuffix is None
    return d[: -len(suffix) - 1].rpartition(".")[2] + "." + suffix


def _public_suffix(domain: str) -> str:
    """The public suffix of ``domain`` (``co.jp`` for ``mail.example.co.jp``)."""
    d = _norm(domain)
    if not d:
        return ""
    walk = suffix_walk()
    suffix = walk.suffix(d) if walk is not None else None
    if suffix is None:
        suffix = _library_suffix(d)
    return suffix or d


# Keyed on names from mail: a name over 253 characters is computed, never kept (memo).
# StrCache, not capped_cache: several calls a mail, and no lock or LRU order on each (issue 10).
registrable = StrCache(_registrable, 8192, DNS_NAME_CHARS)
public_suffix = StrCache(_public_suffix, 8192, DNS_NAME_CHARS)


def is_public_suffix(domain: str) -> bool:
    d = _norm(domain)
    return bool(d) and public_suffix(d) == d
