"""Domain look-alikes: is this host dressed up as one of the catalogue's brands?

Implements the detection half of Unicode TR39 (confusable skeletons, mixed-script labels) for
IDNA hosts (RFC 5890/5891 A-labels are decoded first; UTS #46 mapping via NFKC), plus the
techniques phishing kits actually use against Japanese brands. Every host goes through:

1. Normalisation: NFKC, zero-width/bidi controls removed, lower case, ideographic dots, A-labels
   decoded (invalid punycode is kept as text, never raised). IP literals are never look-alikes.
2. Genuine or known: a host whose PSL registrable domain belongs to a brand (shared
   infrastructure included) or to a known unrelated site (jalan.net) is never reported.
3. Homoglyphs: a host with non-ASCII characters is reduced to its skeleton
   (``confusables.skeleton``); if the skeleton is a brand domain or matches by the rules below,
   the technique is ``mixed_script`` when a label mixes scripts (Latin + Cyrillic, …) and
   ``homoglyph`` otherwise. On this path ambiguous labels need no support: nobody spells
   ``аррӏе`` in Cyrillic by accident.
4. ASCII rules on the registrable domain's own label (``name``) and the labels left of it:

   - a genuine brand domain followed by ``.`` + a public suffix (``amazon.co.jp.net``):
     ``tld_swap``; by ``.`` + more labels (``amazon.co.jp.evil.top``): ``subdomain``; glued
     with ``-``/``_`` (``amazon.co.jp-signin.xyz``, whose PSL registrable domain is
     ``jp-signin.xyz``): ``combosquat``;
   - ``name`` equal to a brand label under another suffix (``amazon.xyz``, ``amazon.jp.net``):
     ``tld_swap`` (not for ambiguous labels: ``ana.org`` is not ANA);
   - a brand label as a delimited token of ``name`` (``amazon-co-jp-security``), as a run of
     tokens (``etc-meisai``), or glued only to known affix words (``amazonjp``,
     ``wwwamazon``, never ``amazonas``): ``combosquat``;
   - a token equal to a label after visual folds (``amaz0n``, ``arnazon``), or within edit
     distance (optimal string alignment: one edit, two from nine letters; the first letter
     must match for two) of a label whose typo mode is ``full``: ``typo``;
   - the same token rules (without edit distance) on the labels left of the registrable
     domain: ``subdomain``;
   - a Japanese brand name inside an IDN label (``アマゾン-ログイン.jp``): ``combosquat``, or
     ``tld_swap`` when it is the whole label (``楽天カード.com``).

   Ambiguous labels (``au``, ``ana``, ``apple``, ``yamato``) count only as whole tokens next to
   a strong affix (login, security, jp, …) or another label of the same brand. Labels of three
   letters or fewer never match by distance; tokens listed in ``typo_exempt`` or equal to any
   brand's label are never typos (``paypal`` is PayPal, not a typo of PayPay).

The engine precomputes labels, folds and a deletion index (symmetric-delete search, so a token
is compared only with labels it can be near) once per catalogue, and caches answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Literal

from . import catalogue as _catalogue
from .catalogue import BrandLabel, Catalogue, normalize_host, public_suffix
from .catalogue import registrable as _registrable
from .confusables import is_mixed_script, loose_ascii, skeleton
from .memo import DNS_NAME_CHARS, capped_cache

Technique = Literal["homoglyph", "mixed_script", "typo", "subdomain", "combosquat", "tld_swap"]

__all__ = [
    "LookalikeEngine",
    "LookalikeMatch",
    "Technique",
    "brand_of",
    "check_domain",
    "default_engine",
    "registrable",
]


@dataclass(frozen=True)
class LookalikeMatch:
    domain: str  # the host as checked, normalised (Unicode, lower case)
    brand_id: str
    technique: Technique
    detail: str  # short technical evidence, e.g. "'amaz0n' looks like 'amazon' (0→o)"
    registrable: str  # PSL registrable domain of ``domain`` (the host itself if it has none)


_TOKEN_RE = re.compile(r"[a-z0-9]+")
_FINE_RE = re.compile(r"[a-z]+|[0-9]+")
_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_PORT_RE = re.compile(r"(?<=[^\]:]):\d{1,5}$")
_MAX_HOST = 253
_MIN_TYPO_TOKEN = 4


@dataclass(frozen=True)
class _Hit:
    brand_id: str
    label: str
    kind: Literal["exact", "token", "affix", "visual", "typo"]
    token: str
    detail: str


def _osa(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein without re-edits), capped."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        row_min = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            row_min = min(row_min, v)
        if row_min > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[len(b)]


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        nxt: set[str] = set()
        for w in frontier:
            for i in range(len(w)):
                nxt.add(w[:i] + w[i + 1 :])
        out |= nxt
        frontier = nxt
    return out


def _visual_notes(token: str, label: str) -> str:
    notes = [f"{seq}→{rep}" for seq, rep in (("rn", "m"), ("vv", "w"), ("cl", "d")) if seq in token]
    notes += [
        f"{c}→{r}" for c, r in (("0", "o"), ("1", "l"), ("i", "l")) if c in token and c not in label
    ]
    return ", ".join(notes) or "visual fold"


class LookalikeEngine:
    """Look-alike checks against one catalogue (build once; answers are cached by normalised
    host, at most 253 characters each: a longer string is no host and is never cached)."""

    def __init__(self, cat: Catalogue, *, cache_size: int = 8192) -> None:
        self._cat = cat
        self._affixes = cat.lookalike.affixes
        self._strong = cat.lookalike.strong_affixes
        self._loose_affixes = frozenset(loose_ascii(a) for a in self._affixes)
        self._exempt = frozenset(loose_ascii(w) for w in cat.lookalike.typo_exempt)
        self._labels: dict[str, list[tuple[str, BrandLabel]]] = {}
        self._loose: dict[str, list[tuple[str, BrandLabel]]] = {}
        self._glue: list[tuple[str, BrandLabel]] = []  # non-ambiguous labels worth a substring scan
        self._brand_labels: dict[str, frozenset[str]] = {}
        self._delete_index: dict[str, set[tuple[str, str]]] = {}
        self._full: dict[tuple[str, str], tuple[str, int]] = {}
        for b in cat.brands:
            self._brand_labels[b.id] = frozenset(lb.label for lb in b.labels)
            for lb in b.labels:
                self._labels.setdefault(lb.label, []).append((b.id, lb))
                if lb.typo != "none":
                    self._loose.setdefault(loose_ascii(lb.label), []).append((b.id, lb))
                if not lb.ambiguous and len(lb.label) >= 4:
                    self._glue.append((b.id, lb))
                if lb.typo == "full":
                    folded = loose_ascii(lb.label)
                    limit = 2 if len(lb.label) >= 9 else 1
                    self._full[(b.id, lb.label)] = (folded, limit)
                    for variant in _deletes(folded, limit):
                        self._delete_index.setdefault(variant, set()).add((b.id, lb.label))
        self._glue_loose = [
            (bid, lb, loose_ascii(lb.label)) for bid, lb in self._glue if lb.typo != "none"
        ]
        self._near = _near_pairs(cat.lookalike.keyboard_rows, cat.lookalike.similar_letters)
        self._all_labels = frozenset(self._labels)
        # Japanese brand names (アマゾン, 楽天カード) for IDN hosts such as アマゾン-ログイン.jp.
        self._ja_names: list[tuple[str, str]] = sorted(
            {
                (skeleton(n.text), b.id)
                for b in cat.brands
                for n in b.names
                if not n.ambiguous
                and not n.text.isascii()
                and len(n.text) >= 2
                and all(not c.isascii() for c in n.text)
            },
            key=lambda pair: -len(pair[0]),
        )
        self._genuine: dict[str, str] = {}
        for bid, dom in _catalogue.all_domains(cat):
            self._genuine.setdefault(dom, bid)
        self._check_host = capped_cache(cache_size, DNS_NAME_CHARS)(self._check_normalised)

    # --- public ---------------------------------------------------------------------------

    def brand_of(self, domain: str) -> str | None:
        owner = self._cat.owner_of(domain)
        return owner.id if owner is not None else None

    def brand_token(self, text: str) -> str | None:
        """The brand whose label stands as a token in ``text`` (a mail local part, a host
        label): exact, delimited, glued to affix words, or visually folded; no edit distance.
        Ambiguous labels need a strong affix next to them, as in domains."""
        folded = skeleton(text[:256]).lower()
        context = _tokens(folded)
        hit = self._match(folded, context, allow_typo=False, relaxed=False, whole=False)
        return hit.brand_id if hit is not None else None

    def check(self, domain: str) -> LookalikeMatch | None:
        """Is ``domain`` dressed up as a brand? Keyed on the normalised host, so the cache never
        holds the raw string a mail sent (a 1 MB "host" is cut, folded, and found to be none)."""
        if not isinstance(domain, str):
            return None
        host = normalize_host(_PORT_RE.sub("", domain[: _MAX_HOST * 4].strip()))
        if not host or len(host) > _MAX_HOST or host.startswith("[") or ":" in host:
            return None
        return self._check_host(host)

    def _check_normalised(self, host: str) -> LookalikeMatch | None:
        if _IPV4_RE.match(host):
            return None
        if self._cat.owner_of(host) is not None or self._cat.is_known_unrelated(host):
            return None
        reg = _registrable(host) or host
        if not host.isascii():
            skel = skeleton(host)
            if skel != host:
                found = self._homoglyph(host, skel, reg)
                if found is not None:
                    return found
        hit = self._analyse(host, relaxed=False)
        if hit is None:
            return None
        technique, brand_id, detail = hit
        return LookalikeMatch(host, brand_id, technique, detail, reg)

    # --- techniques -----------------------------------------------------------------------

    def _homoglyph(self, host: str, skel: str, reg: str) -> LookalikeMatch | None:
        technique: Technique = (
            "mixed_script" if any(is_mixed_script(lab) for lab in host.split(".")) else "homoglyph"
        )
        owner = self._cat.owner_of(skel)
        if owner is not None:
            detail = f"{host} reads as {_registrable(skel) or skel}"
            return LookalikeMatch(host, owner.id, technique, detail, reg)
        hit = self._analyse(skel, relaxed=True)
        if hit is None:
            return None
        inner, brand_id, detail = hit
        return LookalikeMatch(
            host, brand_id, technique, f"reads as {skel} ({inner}: {detail})", reg
        )

    def _analyse(self, host: str, *, relaxed: bool) -> tuple[Technique, str, str] | None:
        glued = self._genuine_prefix(host)
        if glued is not None:
            return glued
        reg = _registrable(host)
        suffix = public_suffix(host)
        if reg is None or suffix is None or len(reg) <= len(suffix):
            return None
        name = reg[: -len(suffix) - 1]
        sub = host[: -len(reg) - 1] if len(host) > len(reg) else ""
        context = _tokens(name) + _tokens(sub)
        if not name.isascii():
            for jname, bid in self._ja_names:
                if jname in name:
                    if name == jname:
                        return "tld_swap", bid, f"{jname} under .{suffix}"
                    return "combosquat", bid, f"brand name {jname!r} in {name!r}"
        hit = self._match(name, context, allow_typo=True, relaxed=relaxed, whole=True)
        if hit is not None:
            if hit.kind == "exact":
                return "tld_swap", hit.brand_id, f"{hit.label} under .{suffix}"
            if hit.kind in ("visual", "typo"):
                return "typo", hit.brand_id, hit.detail
            return "combosquat", hit.brand_id, hit.detail
        if sub:
            hit = self._match(sub, context, allow_typo=False, relaxed=relaxed, whole=False)
            if hit is not None:
                return "subdomain", hit.brand_id, f"{hit.detail} in subdomain of {reg}"
        return None

    def _genuine_prefix(self, host: str) -> tuple[Technique, str, str] | None:
        # Longest genuine brand domain that the host starts with, followed by a separator.
        for pos in range(len(host) - 1, 0, -1):
            sep = host[pos]
            if sep not in ".-_":
                continue
            prefix = host[:pos]
            bid = self._genuine.get(prefix)
            if bid is None:
                continue
            rest = host[pos + 1 :]
            if sep != ".":
                return "combosquat", bid, f"{prefix} glued to {sep}{rest}"
            if public_suffix(rest) == rest:
                return "tld_swap", bid, f"{prefix} with .{rest} appended"
            return "subdomain", bid, f"{prefix} as a subdomain of {_registrable(host) or rest}"
        return None

    def _supported(self, brand_id: str, label: str, context: Iterable[str]) -> bool:
        own = self._brand_labels.get(brand_id, frozenset())
        return any((t in self._strong or t in own) and t != label for t in context)

    def _match(
        self, text: str, context: list[str], *, allow_typo: bool, relaxed: bool, whole: bool
    ) -> _Hit | None:
        raw = _TOKEN_RE.findall(text)
        if not raw:
            return None
        fine = [f for r in raw for f in _FINE_RE.findall(r)]

        def ok(bid: str, lb: BrandLabel) -> bool:
            return relaxed or not lb.ambiguous or self._supported(bid, lb.label, context)

        # Exact: the registrable label is the brand label itself.
        if whole and text in self._labels:
            for bid, lb in self._labels[text]:
                if not lb.ambiguous or relaxed:
                    return _Hit(bid, lb.label, "exact", text, f"{text} is {bid}'s name")
        # Delimited tokens and runs of up to three tokens (etc-meisai, japan-post).
        for i in range(len(fine)):
            for w in (1, 2, 3):
                if i + w > len(fine):
                    break
                joined = "".join(fine[i : i + w])
                for bid, lb in self._labels.get(joined, ()):
                    if ok(bid, lb):
                        shown = "-".join(fine[i : i + w])
                        return _Hit(bid, lb.label, "token", shown, f"brand token {shown!r}")
        # Brand label glued to affix words only (amazonjp, secureamazonlogin).
        for tok in fine:
            if len(tok) < 5 or not tok.isalpha():
                continue
            for bid, lb in self._glue:
                if (
                    lb.label in tok
                    and tok != lb.label
                    and self._glued(tok, lb.label, self._affixes)
                ):
                    return _Hit(bid, lb.label, "affix", tok, f"{lb.label!r} glued into {tok!r}")
        # Visual folds (0/o, 1/l, rn/m) and edit distance, on whole alphanumeric tokens.
        for tok in raw:
            if len(tok) < _MIN_TYPO_TOKEN or tok in self._all_labels:
                continue
            folded = loose_ascii(tok)
            for bid, lb in self._loose.get(folded, ()):
                if ok(bid, lb):
                    note = _visual_notes(tok, lb.label)
                    return _Hit(
                        bid, lb.label, "visual", tok, f"{tok!r} looks like {lb.label!r} ({note})"
                    )
            for bid, lb, lf in self._glue_loose:
                if lf in folded and folded != lf and self._glued(folded, lf, self._loose_affixes):
                    note = _visual_notes(tok, lb.label)
                    return _Hit(
                        bid, lb.label, "visual", tok, f"{tok!r} hides {lb.label!r} ({note})"
                    )
            if allow_typo and folded not in self._exempt and tok not in self._affixes:
                hit = self._typo(tok, folded, context, relaxed)
                if hit is not None:
                    return hit
        return None

    def _typo(self, tok: str, folded: str, context: list[str], relaxed: bool) -> _Hit | None:
        candidates: set[tuple[str, str]] = set()
        for variant in _deletes(folded, 2 if len(folded) >= 8 else 1):
            candidates |= self._delete_index.get(variant, set())
        best: tuple[int, str, str] | None = None
        for bid, label in sorted(candidates):
            target, limit = self._full[(bid, label)]
            dist = _osa(folded, target, limit)
            if dist == 0 or dist > limit or (dist == 2 and folded[0] != target[0]):
                continue
            if dist == 1 and len(target) < 9 and not self._plausible_slip(folded, target):
                continue
            lb = next(x for b, x in self._labels[label] if b == bid)
            if lb.ambiguous and not relaxed and not self._supported(bid, label, context):
                continue
            if best is None or dist < best[0]:
                best = (dist, bid, label)
        if best is None:
            return None
        dist, bid, label = best
        return _Hit(bid, label, "typo", tok, f"{tok!r} is {dist} edit(s) from {label!r}")

    def _plausible_slip(self, a: str, b: str) -> bool:
        """A one-edit difference that a typist or reader would make: insertion, deletion,
        transposition, or a substitution between neighbouring keys / look-alike letters."""
        if len(a) != len(b):
            return True
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) != 1:
            return True  # a transposition
        i = diff[0]
        return (a[i], b[i]) in self._near

    @staticmethod
    def _glued(token: str, label: str, affixes: frozenset[str]) -> bool:
        start = token.find(label)
        while start != -1:
            if _segments(token[:start], affixes) and _segments(
                token[start + len(label) :], affixes
            ):
                return True
            start = token.find(label, start + 1)
        return False


@capped_cache(4096, DNS_NAME_CHARS)
def _segments_cached(text: str, affixes: frozenset[str]) -> bool:
    if not text:
        return True
    ok = [True] + [False] * len(text)
    for end in range(1, len(text) + 1):
        for start in range(max(0, end - 16), end):
            if ok[start] and (text[start:end] in affixes or text[start:end].isdigit()):
                ok[end] = True
                break
    return ok[len(text)]


def _segments(text: str, affixes: frozenset[str]) -> bool:
    """True when ``text`` is empty or a concatenation of affix words (and digit runs)."""
    return _segments_cached(text, affixes)


def _near_pairs(rows: tuple[str, ...], similar: tuple[str, ...]) -> frozenset[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            neighbours = [row[c - 1] if c > 0 else "", row[c + 1] if c + 1 < len(row) else ""]
            # Staggered rows: the keys above are c and c+1, the keys below c-1 and c.
            if r > 0:
                neighbours += [rows[r - 1][k] for k in (c, c + 1) if k < len(rows[r - 1])]
            if r + 1 < len(rows):
                neighbours += [rows[r + 1][k] for k in (c - 1, c) if 0 <= k < len(rows[r + 1])]
            pairs.update((ch, n) for n in neighbours if n)
    for pair in similar:
        if len(pair) == 2:
            pairs.add((pair[0], pair[1]))
    return frozenset(pairs | {(b, a) for a, b in pairs})


def _tokens(text: str) -> list[str]:
    return [f for r in _TOKEN_RE.findall(text) for f in _FINE_RE.findall(r)]


# --- module-level API over the shipped catalogue -------------------------------------------


@cache
def default_engine() -> LookalikeEngine:
    return LookalikeEngine(_catalogue.load())


def check_domain(domain: str) -> LookalikeMatch | None:
    """Is ``domain`` (a host: From/Reply-To domain, DKIM d=, link host) a brand look-alike?"""
    return default_engine().check(domain)


def registrable(domain: str) -> str:
    """The PSL registrable domain of ``domain`` (normalised), or the normalised host itself
    when it has none (a bare public suffix, an IP literal, garbage)."""
    host = normalize_host(domain)
    return _registrable(host) or host


def brand_of(domain: str) -> str | None:
    """The id of the brand that genuinely owns ``domain`` (registrable-domain based), or None."""
    return default_engine().brand_of(domain)
