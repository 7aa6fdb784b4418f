"""The brand catalogue: who each impersonated brand is, which domains are really theirs.

Owns ``data/brands.json`` (parsed once, lazily, then cached) and the registrable-domain helper
built on the Public Suffix List shipped with ``publicsuffixlist`` (ICANN *and* private
sections: ``bucket.s3.amazonaws.com`` is its own registrable domain, so customer content on a
brand's hosting is not owned by the brand). RFC 1034 names, compared case-insensitively after
UTS #46-style folding; IDNA A-labels are decoded to Unicode.

Ownership rules (documented in the data file's ``_doc`` too):

- ``owner_of(domain)``: the brand whose ``domains`` contain the domain's registrable domain.
  A domain that is itself a public suffix (``s3.amazonaws.com``) has no owner.
- ``is_shared(domain)``: the domain is genuine but usable by anyone (consumer mailboxes such as
  ``icloud.com`` or ``docomo.ne.jp``, customer infrastructure such as ``amazonses.com``).
  Ownership of a shared domain is not evidence of who sent a message.
- ``Brand.dkim_required_for(domain)``: the DKIM domains that must sign mail From ``domain``,
  decided per sending domain (``dkim_domains``' registrable domains), never brand-wide. Every
  brand with ``dkim_domains`` carries ``dkim_evidence`` (where and when the signing was seen):
  a wrong entry would call every genuine mail of that domain forged.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from .confusables import fold

TypoMode = Literal["full", "visual", "none"]
_TYPO_MODES: frozenset[str] = frozenset(("full", "visual", "none"))


@dataclass(frozen=True)
class BrandName:
    """A string with which a message presents itself as the brand."""

    text: str
    ambiguous: bool = False  # also an ordinary word: whole display name / tag / signature only


@dataclass(frozen=True)
class BrandLabel:
    """An ASCII token of the brand for the look-alike engine."""

    label: str
    typo: TypoMode = "none"
    ambiguous: bool = False
    # Fewer edits than the length allows, for a label that begins with a common word
    # (microsoft: two edits reach microhost, microstock).
    max_edits: int | None = None
    # False: a typo of the label counts only as a whole label part (saisorn-…, not samsonite).
    glued_typos: bool = True
    # An ordinary word only as a whole name (aeon.co, a magazine), the brand's everywhere
    # else (aeon-servec.com, aeonfs.<random>.com): JSON "ambiguous": "alone".
    alone_word: bool = False


@dataclass(frozen=True)
class Brand:
    id: str
    name_en: str
    name_ja: str
    domains: tuple[str, ...]
    dkim_domains: tuple[str, ...]
    names: tuple[BrandName, ...]
    labels: tuple[BrandLabel, ...]
    official_urls: Mapping[str, str] = field(hash=False)
    shared_domains: tuple[str, ...] = ()
    claim_keywords_weak: tuple[str, ...] = ()
    dkim_evidence: str = ""  # where and when the "always signs" of dkim_domains was seen
    # Where the knowledge that each domain is the brand's comes from (every domain has one).
    domain_sources: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    # Hosts the brand owns on someone else's domain (its own tenant microsoft.sharepoint.com).
    owned_hosts: tuple[str, ...] = ()
    # Name-server host suffixes that only the brand's own zones use (Amazon's amzndns.*): an
    # unknown brand-like domain served by them is the brand's (lookalike.corroborate).
    ns_suffixes: tuple[str, ...] = ()

    def display_name(self, locale: str) -> str:
        return self.name_ja if locale.startswith("ja") else self.name_en

    def dkim_required_for(self, domain: str) -> tuple[str, ...]:
        """The DKIM domains one of which must sign mail From ``domain``; () when none must.

        "Always signs" is known per sending domain, not per brand: SMBC's card company signs
        its vpass.ne.jp mail, which says nothing about the bank's smbc.co.jp. So the rule
        applies only to a From domain whose registrable domain is one of ``dkim_domains``'
        registrable domains; any of ``dkim_domains`` may then be the signer.
        """
        if not self.dkim_domains:
            return ()
        reg = registrable(normalize_host(domain))
        if reg is None:
            return ()
        scope = {registrable(d) or d for d in self.dkim_domains}
        return self.dkim_domains if reg in scope else ()


@dataclass(frozen=True)
class LookalikeData:
    affixes: frozenset[str]
    strong_affixes: frozenset[str]
    typo_exempt: frozenset[str]
    known_domains: frozenset[str]
    keyboard_rows: tuple[str, ...] = ()
    similar_letters: tuple[str, ...] = ()
    # label → words that contain it (or come within its typo budget) without being it:
    # amazon → amazonas, amazing; found inside a longer label, such a word is not the brand.
    stop_words: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    # Labels that are a word with a prefix (ymobile, icloud): inside a longer label only at
    # the start of a part ("easymobile", "apicloud" are not the brand).
    edge_labels: frozenset[str] = frozenset()
    # Labels that are ordinary Japanese words (mizuho 瑞穂, soumu 総務): followed by the
    # particle "no" and another word they begin a Japanese phrase (mizuho-no-kuni 瑞穂の国,
    # soumu-no-mori), not the brand.
    word_labels: frozenset[str] = frozenset()
    # Labels that are common English words (visa, apple): glued after other letters inside a
    # longer label (globevisa, pineapple) they are that longer word, not the brand.
    common_words: frozenset[str] = frozenset()
    # Top-level domains where most registrations seen are abuse (published TLD abuse rankings):
    # under one, an ambiguous label (aeon, epos, apple) counts as a strong affix would make it.
    abused_tlds: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Catalogue:
    brands: tuple[Brand, ...]
    freemail: frozenset[str]
    lookalike: LookalikeData
    service_words: tuple[str, ...]
    account_words: tuple[str, ...]
    _index: dict[str, Brand] = field(init=False, repr=False, compare=False, hash=False)
    _owners: dict[str, str] = field(init=False, repr=False, compare=False, hash=False)
    _shared_exact: frozenset[str] = field(init=False, repr=False, compare=False, hash=False)
    _shared_subtree: tuple[str, ...] = field(init=False, repr=False, compare=False, hash=False)
    _hosts: dict[str, tuple[str, bool]] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        owners: dict[str, str] = {}
        exact: set[str] = set()
        subtree: list[str] = []
        for b in self.brands:
            for d in b.domains:
                owners.setdefault(registrable(d) or d, b.id)
            for d in b.shared_domains:
                if d.startswith("*."):
                    subtree.append(normalize_host(d[2:]))
                else:
                    exact.add(normalize_host(d))
        # Frozen: derived indexes are set once here, never mutated afterwards.
        object.__setattr__(self, "_index", {b.id: b for b in self.brands})
        object.__setattr__(self, "_owners", owners)
        object.__setattr__(self, "_shared_exact", frozenset(exact))
        object.__setattr__(self, "_shared_subtree", tuple(subtree))
        hosts: dict[str, tuple[str, bool]] = {}
        for b in self.brands:
            for h in b.owned_hosts:
                hosts.setdefault(h.lstrip("="), (b.id, h.startswith("=")))
        object.__setattr__(self, "_hosts", hosts)

    def brand(self, brand_id: str) -> Brand:
        """The brand with that id; KeyError when there is none."""
        found = self._index.get(brand_id)
        if found is None:
            raise KeyError(brand_id)
        return found

    def owner_of(self, domain: str) -> Brand | None:
        """The brand that genuinely owns ``domain`` (decided on its registrable domain)."""
        host = normalize_host(domain)
        if not host:
            return None
        reg = registrable(host)
        brand_id = self._owners.get(reg) if reg is not None else None
        if brand_id is None:
            brand_id = self.owned_host(host)
        return self.brand(brand_id) if brand_id is not None else None

    def owned_host(self, host: str) -> str | None:
        """The brand owning ``host`` by an ``owned_hosts`` entry: a host on someone else's
        domain (microsoft.sharepoint.com) or under a domain that is itself a public suffix
        (``=au.com`` exactly, ``www.au.com`` and below; not anyone's ``x.au.com``)."""
        if not self._hosts:
            return None
        hit = self._hosts.get(host)
        if hit is not None:
            return hit[0]
        parts = host.split(".")
        for i in range(1, len(parts) - 1):
            hit = self._hosts.get(".".join(parts[i:]))
            if hit is not None and not hit[1]:
                return hit[0]
        return None

    def is_shared(self, domain: str) -> bool:
        """True for a genuine brand domain that anyone can send from or host content on."""
        host = normalize_host(domain)
        if host in self._shared_exact:
            return True
        return any(host.endswith("." + parent) for parent in self._shared_subtree)

    def is_freemail(self, domain: str) -> bool:
        """True for consumer mailbox providers (free mail, carrier and ISP mail)."""
        return normalize_host(domain) in self.freemail

    def is_known_unrelated(self, domain: str) -> bool:
        """A real domain of someone else that merely resembles a brand (jalan.net, mizuno.jp)."""
        reg = registrable(normalize_host(domain))
        return reg is not None and reg in self.lookalike.known_domains


# --- domains ------------------------------------------------------------------------------


def _decode_label(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
        valid = (
            not decoded.isascii()
            and decoded.encode("punycode").decode("ascii") == label[4:]
            and not any(unicodedata.category(c) in ("Cc", "Cs", "Cn", "Co") for c in decoded)
        )
    except (UnicodeError, ValueError):
        valid = False
    # Invalid punycode (which Python's codec happily turns into control characters) stays as
    # written: no resolver would accept it, and it cannot be a brand's real domain either.
    return decoded if valid else label


def normalize_host(domain: str) -> str:
    """Fold (NFKC, invisibles, ideographic dots), lower-case, decode A-labels, drop a final dot."""
    host = fold(domain.strip()).lower().strip(".")
    if "xn--" in host:
        host = ".".join(_decode_label(part) for part in host.split("."))
    return host


def registrable(domain: str) -> str | None:
    """The PSL registrable domain (public suffix + one label) of a normalised host, or None
    when the host is itself a public suffix or not a name at all."""
    if not domain or ".." in domain or len(domain) > 253:
        return None
    from .auth import psl

    return None if psl.is_public_suffix(domain) else psl.registrable(domain) or None


def public_suffix(domain: str) -> str | None:
    if not domain or ".." in domain or len(domain) > 253:
        return None
    from .auth import psl

    return psl.public_suffix(domain) or None


# --- loading ------------------------------------------------------------------------------


def _strs(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"brands.json: {where} must be a list of strings")
    return tuple(value)


def _brand(raw: Mapping[str, Any]) -> Brand:
    bid = str(raw["id"])
    names = tuple(
        BrandName(text=str(n["text"]), ambiguous=bool(n.get("ambiguous", False)))
        for n in raw.get("names", [])
    )
    labels: list[BrandLabel] = []
    for item in raw.get("labels", []):
        mode = str(item.get("typo", "none"))
        if mode not in _TYPO_MODES:
            raise ValueError(f"brands.json: {bid}: unknown typo mode {mode!r}")
        label = str(item["label"]).lower()
        # Short labels explode under edit distance (au, ana, jal): exact tokens only.
        typo: TypoMode = "none" if len(label) <= 3 else mode  # type: ignore[assignment]
        max_edits = item.get("max_edits")
        if max_edits is not None and not isinstance(max_edits, int):
            raise TypeError(f"brands.json: {bid}: max_edits must be an integer")
        ambiguous = item.get("ambiguous", False)
        if ambiguous not in (True, False, "alone"):
            raise ValueError(f"brands.json: {bid}: ambiguous must be true, false or 'alone'")
        labels.append(
            BrandLabel(
                label,
                typo,
                ambiguous is True,
                max_edits,
                bool(item.get("glued_typos", True)),
                ambiguous == "alone",
            )
        )
    dkim_domains = tuple(
        normalize_host(d) for d in _strs(raw.get("dkim_domains"), f"{bid}.dkim_domains")
    )
    evidence = raw.get("dkim_evidence", "")
    if not isinstance(evidence, str):
        raise TypeError(f"brands.json: {bid}.dkim_evidence must be a string")
    # A wrong dkim_domains entry turns every genuine mail of the brand into "danger": no entry
    # without a note of where its signatures were seen.
    if dkim_domains and not evidence.strip():
        raise ValueError(f"brands.json: {bid}: dkim_domains needs dkim_evidence")
    domains: list[str] = []
    sources: dict[str, str] = {}
    main_source = str(raw.get("domains_source", "")).strip()
    for d in _strs(raw.get("domains"), f"{bid}.domains"):
        domains.append(normalize_host(d))
        sources[domains[-1]] = main_source
    for group in raw.get("more_domains", []):
        src = str(group.get("source", "")).strip()
        for d in _strs(group.get("domains"), f"{bid}.more_domains"):
            if normalize_host(d) not in sources:
                domains.append(normalize_host(d))
            sources[normalize_host(d)] = src
    # An ownership entry turns every look-alike check of that domain off: none without a note
    # of where the knowledge comes from.
    unsourced = [d for d, src in sources.items() if not src]
    if unsourced:
        raise ValueError(f"brands.json: {bid}: domains without a source: {unsourced[:5]}")
    urls = raw.get("official_urls", {})
    if not isinstance(urls, dict) or not all(
        isinstance(v, str) and v.startswith("https://") for v in urls.values()
    ):
        raise ValueError(f"brands.json: {bid}: official_urls must map keys to https URLs")
    return Brand(
        id=bid,
        name_en=str(raw["name_en"]),
        name_ja=str(raw["name_ja"]),
        domains=tuple(domains),
        domain_sources=sources,
        owned_hosts=tuple(
            ("=" if h.startswith("=") else "") + normalize_host(h.lstrip("="))
            for h in _strs(raw.get("owned_hosts"), f"{bid}.owned_hosts")
        ),
        ns_suffixes=tuple(
            normalize_host(h) for h in _strs(raw.get("ns_suffixes"), f"{bid}.ns_suffixes")
        ),
        dkim_domains=dkim_domains,
        dkim_evidence=evidence.strip(),
        names=names,
        labels=tuple(labels),
        official_urls=dict(urls),
        shared_domains=_strs(raw.get("shared_domains"), f"{bid}.shared_domains"),
        claim_keywords_weak=_strs(raw.get("claim_keywords_weak"), f"{bid}.claim_keywords_weak"),
    )


def _stop_words(raw: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise TypeError("brands.json: lookalike.stop_words must map labels to word lists")
    out: dict[str, tuple[str, ...]] = {}
    for label, words in raw.items():
        if label.startswith("_"):
            continue
        out[str(label).lower()] = tuple(w.lower() for w in _strs(words, f"stop_words.{label}"))
    return out


def parse(data: Mapping[str, Any]) -> Catalogue:
    """Build a catalogue from the decoded JSON document (exposed for tests of bad data)."""
    brands = tuple(_brand(b) for b in data["brands"])
    ids = [b.id for b in brands]
    if len(set(ids)) != len(ids):
        raise ValueError("brands.json: duplicate brand id")
    lk = data.get("lookalike", {})
    claims = data.get("claims", {})
    return Catalogue(
        brands=brands,
        freemail=frozenset(normalize_host(d) for d in _strs(data.get("freemail"), "freemail")),
        lookalike=LookalikeData(
            affixes=frozenset(_strs(lk.get("affixes"), "lookalike.affixes")),
            strong_affixes=frozenset(_strs(lk.get("strong_affixes"), "lookalike.strong_affixes")),
            typo_exempt=frozenset(_strs(lk.get("typo_exempt"), "lookalike.typo_exempt")),
            known_domains=frozenset(
                normalize_host(d) for d in _strs(lk.get("known_domains"), "lookalike.known_domains")
            ),
            keyboard_rows=_strs(lk.get("keyboard_rows"), "lookalike.keyboard_rows"),
            similar_letters=_strs(lk.get("similar_letters"), "lookalike.similar_letters"),
            stop_words=_stop_words(lk.get("stop_words", {})),
            edge_labels=frozenset(_strs(lk.get("edge_labels"), "lookalike.edge_labels")),
            word_labels=frozenset(_strs(lk.get("word_labels"), "lookalike.word_labels")),
            common_words=frozenset(_strs(lk.get("common_words"), "lookalike.common_words")),
            abused_tlds=frozenset(
                t.lower().lstrip(".") for t in _strs(lk.get("abused_tlds"), "lookalike.abused_tlds")
            ),
        ),
        service_words=_strs(claims.get("service_words"), "claims.service_words"),
        account_words=_strs(claims.get("account_words"), "claims.account_words"),
    )


@cache
def load() -> Catalogue:
    """The shipped catalogue, parsed once."""
    text = resources.files("minuku").joinpath("data", "brands.json").read_text(encoding="utf-8")
    return parse(json.loads(text))


def all_domains(cat: Catalogue) -> Iterable[tuple[str, str]]:
    """(brand id, domain) for every genuine domain in the catalogue."""
    for b in cat.brands:
        for d in b.domains:
            yield b.id, d
