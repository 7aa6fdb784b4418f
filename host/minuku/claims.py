"""Brand claims: where a message presents itself AS a catalogue brand.

A claim is the message speaking in the brand's name (its From display name, a subject tag, a
signature, a logo), not the brand being mentioned: "Amazonで買ったよ" in a friend's mail is no
claim. Everything is compared after ``confusables.skeleton`` (NFKC, so full-width
``Ａｍａｚｏｎ``; TR39 prototypes, so Cyrillic ``Аmazon`` and Greek ``Αmazοn``), and again after
``confusables.loose`` (``Arnazon``, ``PayPaI``). Separators (``・``, ``|``, brackets,
punctuation other than ``.`` ``!`` ``'``) become spaces.

Rules, by ``where`` (``n`` is a brand name from the catalogue; *service words* are the
catalogue's ``claims.service_words``, e.g. Team, Support, カスタマーサービス, 株式会社):

- ``display_name`` (From and Sender): an unambiguous ``n`` anywhere as a whole word
  ("Amazon Security Team", "アマゾン・カスタマーサービス", "amazon.co.jp"); an ambiguous ``n``
  (au, ANA, Apple, Prime, みずほ) only as the whole display name, or with nothing but
  service words around it ("Apple Support").
- ``subject``: never for a reply or forward (``Re:``, ``Fwd:``, ``転送:``…), a conversation
  is not the brand talking. Otherwise a bracketed tag (``【Amazon】``, ``[楽天カード]``) whose
  content contains an unambiguous ``n`` or is an ambiguous ``n`` with service words; the
  subject (after leading tags such as ``【重要】`` and symbols) *starting* with ``n`` followed
  by the end, a separator (``:`` ``|`` ``-`` ``/`` …), ``から``/``より``, a service word or an
  account word ("Amazon.co.jp: アカウントの確認", "Amazonからのお知らせ"); or an unambiguous
  ``n`` anywhere followed by an account word ("お客様のAmazonアカウント", "Your Amazon
  account"). "amazonで買った本" starts with the brand followed by a particle: no claim.
- ``local_part``: the From local part carries a brand label as a token
  (``amazon-security@``, ``rakuten_card@``), by the look-alike engine's token rules.
- ``signature``: one of the last 15 non-empty lines of the plain or HTML text, at most 80
  characters, that is ``n`` alone or ``n`` with service words ("Amazon.co.jp カスタマーサービス",
  "楽天カード株式会社"), or a copyright line naming ``n`` ("© Amazon.com, Inc.").
- ``logo_alt``: an image whose alt text is ``n``, ``n`` with "logo"/"ロゴ"/service words, or
  (unambiguous ``n``) a short alt (≤ 40 characters) containing ``n``.
- ``sender_domain_label``: the From domain is a look-alike of the brand
  (``lookalike.check_domain``).

``claimed_brand`` weighs claims (display name 3, subject/signature/logo 2, local part and
domain label 1) and returns the heaviest brand; ties go to the brand claimed first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from itertools import chain
from typing import Literal

from . import catalogue as _catalogue
from .catalogue import Catalogue
from .confusables import loose_ascii, skeleton
from .lookalike import LookalikeEngine, default_engine
from .memo import StrCache, capped_cache
from .message import MessageView

ClaimWhere = Literal[
    "display_name", "subject", "local_part", "signature", "logo_alt", "sender_domain_label"
]

__all__ = ["BrandClaim", "ClaimDetector", "ClaimWhere", "claimed_brand", "detect_claims"]


@dataclass(frozen=True)
class BrandClaim:
    brand_id: str
    where: ClaimWhere
    text: str  # the string that makes the claim, as it appears in the message (truncated)


WEIGHTS: dict[str, int] = {
    "display_name": 3,
    "subject": 2,
    "signature": 2,
    "logo_alt": 2,
    "local_part": 1,
    "sender_domain_label": 1,
}

_KEEP = frozenset(".!'")
_MAX_FIELD = 512
_SIGNATURE_LINES = 15
_SIGNATURE_MAX = 80
_ALT_MAX = 40
_REPLY_RE = re.compile(
    r"^\s*(re|fw|fwd|aw|wg|sv|tr|返信|転送|回答)\s*(\[\d+\])?\s*[:：]", re.IGNORECASE
)
_TAG_RE = re.compile(r"[【\[［〔《≪<＜]([^】\]］〕》≫>＞]{1,40})[】\]］〕》≫>＞]")
_LEAD_RE = re.compile(r"^[\s\W_]+")
_JA_SPACE_RE = re.compile(r"(?<=[\u2e80-\uffff]) | (?=[\u2e80-\uffff])")
_COPYRIGHT_RE = re.compile(r"©|\(c\)|copyright|ⓒ", re.IGNORECASE)
_SUBJECT_SEPARATORS = frozenset(":：|｜-–—/／・,、。!！")
_FROM_WORDS = ("から", "より")
_LOGO_WORDS = ("logo", "ロゴ", "image", "画像")


# ASCII punctuation and controls that _norm turns into spaces (ASCII letters and digits are
# what str.isalnum accepts in ASCII; _KEEP stays)
_ASCII_SEPARATORS = {c: " " for c in range(128) if not chr(c).isalnum() and chr(c) not in _KEEP}


def _norm_uncached(text: str) -> str:
    """Skeleton with separators as single spaces; brand names go through the same function."""
    text = text[:_MAX_FIELD]
    if text.isascii():  # the loop below, in C (speed); no CJK for _JA_SPACE_RE either
        return " ".join(text.lower().translate(_ASCII_SEPARATORS).split()).strip(".' ")
    out: list[str] = []
    for ch in skeleton(text):
        out.append(ch if ch.isalnum() or ch in _KEEP else " ")
    text = " ".join("".join(out).split()).strip(".' ")
    # Japanese does not separate words with spaces: "ANA マイレージクラブ" is "ANAマイレージクラブ".
    return _JA_SPACE_RE.sub("", text)


# List footers and signatures repeat from mail to mail (speed); StrCache: no lock or LRU
# order on a call made a dozen times a mail (issue 10)
_norm = StrCache(_norm_uncached, 4096, 256)


@dataclass(frozen=True)
class _Name:
    brand_id: str
    norm: str
    loose: str
    ambiguous: bool


_Rule = Callable[[_Name, str], bool]


class ClaimDetector:
    """Brand-claim detection against one catalogue (and its look-alike engine)."""

    def __init__(self, cat: Catalogue, engine: LookalikeEngine) -> None:
        self._engine = engine
        names: list[_Name] = []
        for b in cat.brands:
            for n in b.names:
                norm = _norm(n.text)
                if norm:
                    names.append(_Name(b.id, norm, loose_ascii(norm), n.ambiguous))
        # Longest first, so "amazon.co.jp" is reported rather than "amazon".
        self._names = tuple(sorted(names, key=lambda n: -len(n.norm)))
        # name positions by their first two characters ("" for a shorter name), per variant
        self._starts: tuple[dict[str, list[int]], dict[str, list[int]]] = ({}, {})
        for i, nm in enumerate(self._names):
            for table, key in zip(self._starts, (nm.norm, nm.loose), strict=True):
                table.setdefault(key[:2] if len(key) >= 2 else "", []).append(i)
        # those two-character keys by their first character, per variant: the keys a text can
        # hold are looked for among those led by one of its characters (speed, issue 10)
        self._heads: tuple[dict[str, list[str]], dict[str, list[str]]] = ({}, {})
        for table, heads in zip(self._starts, self._heads, strict=True):
            for key in table:
                if key:
                    heads.setdefault(key[0], []).append(key)
        self._service = frozenset(w.replace(" ", "") for w in map(_norm, cat.service_words) if w)
        self._service_loose = frozenset(loose_ascii(w) for w in self._service)
        self._account = tuple(sorted({_norm(w) for w in cat.account_words if _norm(w)}, key=len))
        # Keyed on text from the mail: long segments are computed, never kept (memo).
        self._segment = capped_cache(2048, 256)(self._segment_uncached)
        # List footers and signatures repeat from mail to mail (speed; lines are short).
        # StrCache: no lock or LRU order for a call made ~15 times a mail (speed, issue 10)
        self._signature_line = StrCache(self._signature_line_uncached, 4096, _SIGNATURE_MAX)
        # Subject tags repeat too ("[linux-nfc]", "[PATCH v2 3/5]"); _TAG_RE takes 40 at most.
        self._tag_brands = StrCache(self._tag_brands_uncached, 4096, 64)
        # A list's posters write again and again under the same display name.
        self._display_brands = StrCache(self._display_brands_uncached, 4096, 256)

    # --- public ---------------------------------------------------------------------------

    def detect(self, view: MessageView) -> list[BrandClaim]:
        claims: list[BrandClaim] = []
        seen: set[tuple[str, str]] = set()

        def add(brand_id: str | None, where: ClaimWhere, text: str) -> None:
            if brand_id is not None and (brand_id, where) not in seen:
                seen.add((brand_id, where))
                claims.append(BrandClaim(brand_id, where, text[:200]))

        senders = list(view.from_[:4])
        if view.sender is not None:
            senders.append(view.sender)
        for addr in senders:
            if addr.display_name:
                for bid in self.display_name_brands(addr.display_name):
                    add(bid, "display_name", addr.display_name)
        for bid in self.subject_brands(view.subject):
            add(bid, "subject", view.subject)
        for addr in view.from_[:4]:
            if addr.local:
                add(self._engine.brand_token(addr.local), "local_part", addr.local)
        for line, bid in self.signature_brands(view.text, view.html_text):
            add(bid, "signature", line)
        for image in view.images[:50]:
            for bid in self.alt_brands(image.alt):
                add(bid, "logo_alt", image.alt)
        for addr in view.from_[:4]:
            if addr.domain:
                match = self._engine.check(addr.domain)
                if match is not None:
                    add(match.brand_id, "sender_domain_label", addr.domain)
        return claims

    def display_name_brands(self, display: str) -> list[str]:
        return list(self._display_brands(display))

    def _display_brands_uncached(self, display: str) -> tuple[str, ...]:
        return tuple(self._brands(_norm(display), self._whole_or_word))

    def subject_brands(self, subject: str) -> list[str]:
        if not subject or _REPLY_RE.match(subject):
            return []
        subject = subject[:_MAX_FIELD]
        found: list[str] = []
        for tag in _TAG_RE.findall(subject):
            found += self._tag_brands(tag)
        rest = subject
        while True:
            stripped = _TAG_RE.sub("", rest, count=1) if _TAG_RE.match(rest.lstrip()) else rest
            stripped = _LEAD_RE.sub("", stripped)
            if stripped == rest:
                break
            rest = stripped
        found += self._brands(skeleton(rest), self._subject_prefix, prefix_only=True)
        norm = _norm(subject)
        # _account_follows needs an account word in the text (or its loose form): without
        # one, no name can pass it, and the name search is skipped (speed, issue 10)
        loose = loose_ascii(norm)
        if any(w in norm or w in loose for w in self._account):
            found += self._brands(norm, self._account_follows)
        return list(dict.fromkeys(found))

    def _tag_brands_uncached(self, tag: str) -> tuple[str, ...]:
        """The brands a subject tag names (a function of the tag alone)."""
        return tuple(self._brands(_norm(tag), self._whole_or_word))

    def signature_brands(self, text: str, html_text: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for body in (text, html_text):
            for line in _last_lines(body[-20_000:], _SIGNATURE_LINES):
                if len(line) > _SIGNATURE_MAX:
                    continue
                for bid in self._signature_line(line):
                    out.append((line, bid))
        return out

    def _signature_line_uncached(self, line: str) -> tuple[str, ...]:
        """The brands one signature line names (a function of the line alone)."""
        copyright_line = bool(_COPYRIGHT_RE.search(line))
        return tuple(self._brands(_norm(line), self._signature_rule(copyright_line)))

    def alt_brands(self, alt: str) -> list[str]:
        if not alt or len(alt) > 200:
            return []
        norm = _norm(alt)

        def rule(n: _Name, t: str) -> bool:
            if self._with_service(n, t, extra=_LOGO_WORDS):
                return True
            return not n.ambiguous and len(t) <= _ALT_MAX and self._word_in(n.norm, t)

        return self._brands(norm, rule)

    # --- matching helpers -----------------------------------------------------------------

    def _brands(self, text: str, rule: _Rule, *, prefix_only: bool = False) -> list[str]:
        """The brands of the names in ``text`` that ``rule`` accepts, longest name first, each
        brand once; ``prefix_only``: ``rule`` accepts only names that ``text`` starts with."""
        if not text:
            return []
        found: list[str] = []
        variants: Iterable[tuple[str, bool]] = ((text, False), (loose_ascii(text), True))
        for candidate, is_loose in variants:
            # Only names whose first two characters occur in the text can be in it (speed):
            # those keys are found with `in` among the keys led by a character of the text,
            # which costs a third of building the set of the text's character pairs.
            index = self._starts[is_loose]
            heads = self._heads[is_loose]
            if prefix_only:  # a name the text starts with has the text's first two characters
                keys = [candidate[:2]] if candidate[:2] in index else []
            else:
                keys = [
                    k for ch in set(candidate) & heads.keys() for k in heads[ch] if k in candidate
                ]
            order = list(chain.from_iterable(map(index.__getitem__, keys)))
            order += index.get("", ())  # names shorter than two characters: always tried
            for name in [self._names[i] for i in sorted(order)]:
                # Every rule needs the name inside the text: skip the rest cheaply.
                if (
                    name.brand_id in found
                    or (name.loose if is_loose else name.norm) not in candidate
                ):
                    continue
                probe = _Name(name.brand_id, name.loose, name.loose, name.ambiguous)
                if rule(probe if is_loose else name, candidate):
                    found.append(name.brand_id)
        return found

    def _whole_or_word(self, n: _Name, t: str) -> bool:
        if self._with_service(n, t):
            return True
        return not n.ambiguous and self._word_in(n.norm, t)

    def _with_service(self, n: _Name, t: str, extra: tuple[str, ...] = ()) -> bool:
        """``t`` is ``n`` alone or surrounded only by service words."""
        start = _find_word(n.norm, t)
        while start != -1:
            before = t[:start].replace(" ", "")
            after = t[start + len(n.norm) :].replace(" ", "")
            if self._segment(before, extra) and self._segment(after, extra):
                return True
            start = _find_word(n.norm, t, start + 1)
        return False

    def _segment_uncached(self, text: str, extra: tuple[str, ...]) -> bool:
        if not text:
            return True
        words = self._service | self._service_loose | frozenset(extra)
        ok = [True] + [False] * len(text)
        for end in range(1, len(text) + 1):
            for begin in range(max(0, end - 24), end):
                if ok[begin] and text[begin:end] in words:
                    ok[end] = True
                    break
        return ok[len(text)]

    @staticmethod
    def _word_in(name: str, text: str) -> bool:
        return _find_word(name, text) != -1

    def _subject_prefix(self, n: _Name, t: str) -> bool:
        """``t`` (a skeleton subject, leading tags removed) starts with ``n`` as a sender
        label: followed by nothing, a separator, から/より, a service or an account word."""
        if not t.startswith(n.norm):
            return False
        rest = t[len(n.norm) :]
        if rest and _ascii_alnum(n.norm[-1]) and _ascii_alnum(rest[0]):
            return False
        return self._good_continuation(n, rest)

    def _good_continuation(self, n: _Name, rest: str) -> bool:
        stripped = rest.lstrip()
        if not stripped:
            return True
        if stripped[0] in _SUBJECT_SEPARATORS or stripped.startswith(_FROM_WORDS):
            return True
        head = _norm(stripped[:40])
        if n.ambiguous:
            return any(head.startswith(w) for w in self._service if w)
        words = [w for w in self._service if w] + list(self._account)
        return any(head.startswith(w) for w in words)

    def _account_follows(self, n: _Name, t: str) -> bool:
        if n.ambiguous:
            return False
        start = _find_word(n.norm, t)
        while start != -1:
            rest = t[start + len(n.norm) :].lstrip()
            for joiner in ("'s ", ""):
                if rest.startswith(joiner):
                    after = rest[len(joiner) :].lstrip()
                    if any(after.startswith(w) for w in self._account if w):
                        return True
            start = _find_word(n.norm, t, start + 1)
        return False

    def _signature_rule(self, copyright_line: bool) -> _Rule:
        def rule(n: _Name, t: str) -> bool:
            if self._with_service(n, t):
                return True
            return copyright_line and self._word_in(n.norm, t)

        return rule


def _last_lines(text: str, n: int) -> list[str]:
    """The last ``n`` non-empty lines of ``text``, stripped: ``[ln.strip() for ln in
    text.splitlines() if ln.strip()][-n:]``, from a short tail when that holds enough
    (speed, issue 10: a list post's body is thousands of lines, its signature is the last).

    The tail's first line may be the end of a cut line (or the LF of a cut CRLF): it is
    dropped, and the lines after it are the text's own last lines."""
    size = 2048
    while size < len(text):
        lines = [ln.strip() for ln in text[-size:].splitlines()[1:] if ln.strip()]
        if len(lines) >= n:
            return lines[-n:]
        size *= 4
    return [ln.strip() for ln in text.splitlines() if ln.strip()][-n:]


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _find_word(name: str, text: str, start: int = 0) -> int:
    """Index of ``name`` in ``text`` where its ASCII-alphanumeric edges are not glued to more
    ASCII letters/digits ("amazon" is in "amazonで", not in "amazonas"), or -1."""
    pos = text.find(name, start)
    while pos != -1:
        end = pos + len(name)
        left_ok = pos == 0 or not (_ascii_alnum(name[0]) and _ascii_alnum(text[pos - 1]))
        right_ok = end == len(text) or not (_ascii_alnum(name[-1]) and _ascii_alnum(text[end]))
        if left_ok and right_ok:
            return pos
        pos = text.find(name, pos + 1)
    return -1


@cache
def default_detector() -> ClaimDetector:
    return ClaimDetector(_catalogue.load(), default_engine())


def detect_claims(view: MessageView) -> list[BrandClaim]:
    """Every place where ``view`` presents itself as a catalogue brand, in message order."""
    return default_detector().detect(view)


def claimed_brand(claims: Iterable[BrandClaim]) -> str | None:
    """The brand the message mainly claims to be: heaviest total weight, first claimed on ties."""
    score: dict[str, int] = {}
    for c in claims:
        score[c.brand_id] = score.get(c.brand_id, 0) + WEIGHTS.get(c.where, 1)
    if not score:
        return None
    best = max(score.values())
    return next(b for b, s in score.items() if s == best)
