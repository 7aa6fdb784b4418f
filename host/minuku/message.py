"""Raw message bytes → an immutable, decoded view (RFC 5322, RFC 2045-2047, RFC 2231).

Every string here comes from the message, so from a possible attacker: callers treat it as
data. Parsing never raises on a malformed message; problems land in ``defects``. Limits bound
the work on hostile input (header count, MIME depth, decoded body size); a limit that bites is
a defect too. Thunderbird's ``X-Mozilla-*`` bookkeeping headers are ignored.
"""

from __future__ import annotations

import binascii
import codecs
import email.utils
import html.parser
import re
import unicodedata
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

LinkWhere = Literal["anchor", "text", "form", "area"]


@dataclass(frozen=True)
class Address:
    display_name: str  # RFC 2047-decoded, NFC, as the user sees it
    addr: str  # local@domain, as written (domain part lowercased)
    local: str
    domain: str  # lowercased, trailing dot removed, IDNA A-labels decoded to Unicode ("" if none)
    ascii_domain: str  # the same domain in A-label (punycode) form when encodable, else domain


@dataclass(frozen=True)
class Link:
    href: str
    text: str  # visible text (anchor/area: its text or alt; bare URL: the URL itself)
    where: LinkWhere
    host: str | None  # lowercased host of href (Unicode form), None for mailto:/relative/broken
    part: Literal["html", "text"]


@dataclass(frozen=True)
class Image:
    src: str
    alt: str


@dataclass(frozen=True)
class MessageView:
    raw: bytes  # exactly the bytes we were given (DKIM/ARC verify these)
    headers: tuple[
        tuple[str, str], ...
    ]  # (name, RFC 2047-decoded value), in order, X-Mozilla-* dropped
    from_: tuple[Address, ...]  # every address of every From header
    from_header_count: int
    sender: Address | None
    reply_to: tuple[Address, ...]
    return_path: str | None  # envelope sender without <>, "" for the null path <>, None if absent
    subject: str
    received: tuple[str, ...]  # topmost (newest) first, unfolded raw values
    authentication_results: tuple[str, ...]  # topmost first, unfolded raw values
    dkim_signatures: tuple[str, ...]
    arc_headers: tuple[tuple[str, str], ...]  # (name, raw value) of ARC-* headers, topmost first
    text: str  # all text/plain parts, decoded, joined
    html_text: str  # visible text of all text/html parts
    links: tuple[Link, ...]
    images: tuple[Image, ...]
    message_id: str | None = None
    date: str | None = None
    defects: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)
    # MIME parts the walk did not read, and why ("part 7: multipart nested over 40"): the
    # findings from the headers stand, but the body analysis is known to be partial.
    skipped: tuple[str, ...] = ()
    # ``_by_name`` as parse_message builds it along the way (speed, issue 10); None: built
    # from ``headers`` on first lookup
    name_index: dict[str, list[str]] | None = field(default=None, compare=False, repr=False)

    def header(self, name: str) -> str | None:
        """The first header of that name (case-insensitive), decoded, or None."""
        found = self._by_name.get(name.lower())
        return found[0] if found else None

    def header_all(self, name: str) -> list[str]:
        return list(self._by_name.get(name.lower(), ()))

    def has_header(self, name: str) -> bool:
        """Whether a header of that name (case-insensitive) is present."""
        return name.lower() in self._by_name

    @cached_property
    def _by_name(self) -> dict[str, list[str]]:
        """Decoded values by lower-cased name, in order (built on first lookup: a check looks
        headers up by name hundreds of times)."""
        if self.name_index is not None:
            return self.name_index
        index: dict[str, list[str]] = {}
        for k, v in self.headers:
            index.setdefault(k.lower(), []).append(v)
        return index

    @property
    def body_text(self) -> str:
        """Plain and HTML-visible text, for phrase and claim matching."""
        return self.text + "\n" + self.html_text if self.html_text else self.text


# ---------------------------------------------------------------- implementation
#
# The message is parsed here, not by the email library's parser: that parser recurses once per
# nested message/rfc822 or multipart (RecursionError at ~1,000 levels, i.e. a 30 KB mail), and
# spends seconds to minutes on crafted megabytes (long RFC 2231 parameter lists, long folded
# headers, megabytes of encoded words). This one works on offsets into the one ``raw`` buffer
# with C-speed regular expressions, walks MIME with an explicit stack, and bounds every loop
# that runs Python code per item by a limit below; a limit that bites is recorded as a defect.

MAX_HEADERS = 2000  # header fields kept in general; identity and auth headers are kept beyond
MAX_PRIORITY_HEADERS = 2000  # identity/auth headers kept beyond MAX_HEADERS
MAX_HEADER_BYTES = 64 * 1024  # per header value; longer ones are truncated
MAX_ADDRESS_HEADERS = 8  # From/Reply-To headers whose addresses are parsed
MAX_ADDRESS_CHARS = 4096  # of each such header, handed to the address parser
MAX_COMMENT_DEPTH = 16  # RFC 5322 comment nesting kept; deeper parentheses are dropped
MAX_ENCODED_WORDS = 200  # RFC 2047 words decoded per header value
MAX_HEADER_WORDS = 4000  # RFC 2047 words decoded across the whole header list
MAX_PART_HEADERS = 100  # header fields read per MIME part
MAX_PARAMS = 64  # Content-Type / Content-Disposition parameters read
MAX_PARTS = 500
MAX_DEPTH = 40
MAX_PART_BYTES = 8 * 1024 * 1024  # encoded body bytes of one part that are decoded
MAX_TEXT_CHARS = 2_000_000  # decoded text kept for analysis, per kind (text / html)
MAX_HTML_CHARS = 512_000  # HTML handed to html.parser, all parts (about 1 µs a char at worst)
MAX_LINKS = 2000
MAX_LABEL = 63  # RFC 1035 label length: longer "xn--" labels are not decoded (punycode is O(n²))

_STRIP_HEADER_PREFIX = "x-mozilla-"
# Fields the view keeps unfolded but not RFC 2047-decoded (the authentication headers)
_KEPT_UNFOLDED = frozenset({"received", "authentication-results", "dkim-signature"})
# The only fields _entity reads (the top entity's are picked out in parse_message's loop)
_MIME_FIELDS = frozenset({"content-type", "content-transfer-encoding", "content-disposition"})
# Fields whose raw values parse_message reads again (addresses, Return-Path, first())
_RAW_KEPT = frozenset(
    {"from", "sender", "reply-to", "return-path", "subject", "message-id", "date"}
)

# Python's codec names for the charsets Japanese mail uses, with the supersets real mailers
# actually emit (cp932 for Shift_JIS with NEC/IBM extensions, iso2022_jp_ext for half-width kana).
_CHARSET_ALIASES = {
    "shift_jis": ("cp932", "shift_jis_2004"),
    "shift-jis": ("cp932", "shift_jis_2004"),
    "sjis": ("cp932",),
    "x-sjis": ("cp932",),
    "ms_kanji": ("cp932",),
    "windows-31j": ("cp932",),
    "cp932": ("cp932",),
    "iso-2022-jp": ("iso2022_jp_ext", "iso2022_jp_2004", "iso2022_jp_2"),
    "iso-2022-jp-2": ("iso2022_jp_2",),
    "iso-2022-jp-3": ("iso2022_jp_3",),
    "csiso2022jp": ("iso2022_jp_ext",),
    "euc-jp": ("euc_jp", "euc_jis_2004"),
    "x-euc-jp": ("euc_jp",),
    "us-ascii": ("utf-8",),  # mislabelled 8-bit is common; utf-8 is a superset of ascii
    "ascii": ("utf-8",),
    "unknown-8bit": ("utf-8", "cp932"),
    "x-unknown": ("utf-8", "cp932"),
}

# A charset label is a MIME token: no NUL, no spaces, short (codecs.lookup raises ValueError on a
# NUL, and the name goes into a defect string).
_CHARSET_NAME_RE = re.compile(r"[A-Za-z0-9._:+\-]{1,40}")
# Text codecs whose decoders map bytes to characters and nothing else. Refused by omission:
# utf-7 and unicode_escape / raw_unicode_escape (they decode to lone surrogates, and the escape
# codecs interpret backslashes), punycode and idna (they raise on most input), and the
# bytes-to-bytes or str-to-str "codecs" (base64, zlib, bz2, rot13, hex, uu, quopri, undefined).
_SAFE_CODEC_RE = re.compile(
    r"utf_8|utf_8_sig|utf_16(_be|_le)?|utf_32(_be|_le)?|ascii|latin_1|iso8859_\d+|cp\d+"
    r"|mac_[a-z]+|koi8_[a-z]|kz1048|ptcp154|tis_620|hp_roman8|shift_jis(_2004|x0213)?"
    r"|euc_(jp|kr|jis_2004|jisx0213)|iso2022_(jp|jp_1|jp_2|jp_2004|jp_3|jp_ext|kr)"
    r"|gb2312|gbk|gb18030|hz|big5|big5hkscs|johab"
)


def safe_codec(charset: str) -> str | None:
    """Python's codec for a charset label when it is a plain text codec, else None (not
    memoised: codecs.lookup keeps its own cache, and a cache keyed on mail text must be capped)."""
    if not _CHARSET_NAME_RE.fullmatch(charset):
        return None
    try:
        name = codecs.lookup(charset).name
    except (LookupError, ValueError):
        return None
    return name if _SAFE_CODEC_RE.fullmatch(name.replace("-", "_")) else None


def _defect_token(s: str) -> str:
    """An attacker-chosen name, made short and printable for a defect string."""
    return "".join(ch if " " < ch < "\x7f" else "?" for ch in s[:40])


def decode_bytes(data: bytes, charset: str | None, defects: list[str] | None = None) -> str:
    """Decode body or header bytes by their declared charset, never raising, always valid text."""
    cs = (charset or "").strip().strip('"').lower()
    candidates: tuple[str, ...] = _CHARSET_ALIASES.get(cs, (cs,) if cs else ("utf-8",))
    first_ok: str | None = None
    for label in candidates:
        codec = safe_codec(label)
        if codec is None:
            continue
        first_ok = first_ok or codec
        try:
            return data.decode(codec)
        except (UnicodeError, ValueError):
            continue
    if defects is not None:
        defects.append(f"undecodable_charset:{_defect_token(cs) or 'none'}")
    for codec in ("utf-8", "cp932", "euc_jp"):
        try:
            return data.decode(codec)
        except UnicodeError:
            continue
    return data.decode(first_ok or "utf-8", errors="replace")


def header_text(data: bytes) -> str:
    """An 8-bit header value (RFC 6532 UTF-8, or a legacy CP932 mailer's) as valid text."""
    if data.isascii():
        return data.decode("ascii")
    for codec in ("utf-8", "cp932"):
        try:
            return data.decode(codec)
        except UnicodeError:
            continue
    return data.decode("utf-8", errors="replace")


# RFC 2047 §2: =?charset?encoding?encoded-text?= ; RFC 2231 §5 allows charset*language.
_EW_RE = re.compile(r"=\?([^?\s]{1,64})\?([bBqQ])\?([^?\s]*)\?=")
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NON_B64 = bytes(sorted(set(range(256)) - set(_B64_ALPHABET)))


def b64_lenient(data: bytes) -> bytes:
    """Base64 as mailers really write it: junk characters skipped, missing padding supplied."""
    data = data.translate(None, _NON_B64)
    if len(data) % 4 == 1:  # a lone trailing character carries no whole byte
        data = data[:-1]
    data += b"=" * (-len(data) % 4)
    return binascii.a2b_base64(data)


def _ew_bytes(enc: str, text: str) -> bytes:
    raw = text.encode("utf-8", errors="replace")
    if enc in "bB":
        return b64_lenient(raw)
    return binascii.a2b_qp(raw, header=True)


def _decode_words(value: str, defects: list[str] | None, limit: int) -> tuple[str, int]:
    """(decoded text, encoded words decoded). Adjacent words in one charset are joined as bytes
    before decoding (a multibyte character may be split across words), and white space between
    adjacent encoded words is dropped (RFC 2047 §6.2)."""
    value = _unfold(value)
    if "=?" not in value:
        return value, 0
    out: list[str] = []
    pending = bytearray()
    pending_cs: str | None = None
    pos = 0
    used = 0
    for m in _EW_RE.finditer(value):
        if used >= limit:
            if defects is not None:
                defects.append("too_many_encoded_words")
            break
        used += 1
        between = value[pos : m.start()]
        cs = m.group(1).split("*", 1)[0].lower()
        try:
            data = _ew_bytes(m.group(2), m.group(3))
        except (binascii.Error, ValueError):
            if defects is not None:
                defects.append("bad_encoded_word")
            data = None
        adjacent = pending_cs is not None and not between.strip()
        if data is not None and adjacent and cs == pending_cs:
            pending += data
            pos = m.end()
            continue
        if pending_cs is not None:
            out.append(decode_bytes(bytes(pending), pending_cs, defects))
            pending.clear()
            pending_cs = None
        if not adjacent:
            out.append(between)
        if data is None:
            out.append(m.group(0))
        else:
            pending += data
            pending_cs = cs
        pos = m.end()
    if pending_cs is not None:
        out.append(decode_bytes(bytes(pending), pending_cs, defects))
    out.append(value[pos:])
    return "".join(out), used


def decode_words(
    value: str, defects: list[str] | None = None, limit: int = MAX_ENCODED_WORDS
) -> str:
    """RFC 2047 encoded-words (B and Q, safe charsets only) → text; plain text passes through."""
    return _decode_words(value, defects, limit)[0]


def _unfold(value: str) -> str:
    """``_FOLD_RE.sub(" ", value).strip()`` without the regex (no literal to skip ahead by):
    each LF takes the one CR right before it and the blanks after it, and becomes a space."""
    if "\n" not in value:  # most values are one line
        return value.strip()
    pieces = value.split("\n")
    last = len(pieces) - 1
    for i, piece in enumerate(pieces):
        if i < last and piece.endswith("\r"):
            piece = piece[:-1]
        if i:
            piece = piece.lstrip(" \t")
        pieces[i] = piece
    return " ".join(pieces).strip()


_FOLD_RE = re.compile(r"\r?\n[ \t]*")


def idna_to_unicode(host: str) -> str:
    """Lowercase, strip the trailing dot, decode A-labels; invalid punycode stays as written."""
    host = host.strip().rstrip(".").lower()
    if "xn--" not in host:
        return host
    labels = []
    for label in host.split("."):
        if label.startswith("xn--") and len(label) <= MAX_LABEL:
            try:
                label = label[4:].encode("ascii").decode("punycode")
            except (UnicodeError, ValueError):
                pass
        labels.append(label)
    return ".".join(labels)


def idna_to_ascii(host: str) -> str:
    if host.isascii():
        return host
    labels = []
    for label in host.split("."):
        if label.isascii():
            labels.append(label)
            continue
        if len(label) > MAX_LABEL:
            return host
        try:
            labels.append("xn--" + label.encode("punycode").decode("ascii"))
        except (UnicodeError, ValueError):
            return host
    return ".".join(labels)


def _shallow_comments(value: str) -> str:
    """Drop RFC 5322 comment nesting deeper than MAX_COMMENT_DEPTH: the address parser recurses
    once per level, and "((((…" would end the parse (and the From) with a RecursionError."""
    if value.count("(") <= MAX_COMMENT_DEPTH:
        return value
    out: list[str] = []
    depth = 0
    for ch in value:
        if ch == "(":
            depth += 1
            if depth > MAX_COMMENT_DEPTH:
                continue
        elif ch == ")" and depth > 0:
            depth -= 1
            if depth >= MAX_COMMENT_DEPTH:
                continue
        out.append(ch)
    return "".join(out)


def _make_address(name: str, addr: str, defects: list[str]) -> Address:
    display = unicodedata.normalize("NFC", decode_words(name, defects)) if name else ""
    addr = addr.strip()
    local, _, domain = addr.rpartition("@") if "@" in addr else (addr, "", "")
    udomain = idna_to_unicode(domain)
    return Address(
        display_name=display,
        addr=f"{local}@{udomain}" if domain else addr,
        local=local,
        domain=udomain,
        ascii_domain=idna_to_ascii(udomain),
    )


# The plainest address fields, which email.utils.getaddresses (a character-at-a-time parser)
# reads as written: "Name Name <local@domain>", "\"Quoted Name\" <local@domain>" or a bare
# local@domain, all on one line, with no comment, escape or route (speed, issue 10: a third of
# the From/Sender/Reply-To parse time on list mail). Atoms of the name may hold dots, as
# getaddresses' phrases do; the local part and domain are dot-atoms.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_PHRASE_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+"
_ADDR_SPEC = rf"{_ATEXT}+(?:\.{_ATEXT}+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_SIMPLE_ADDRESS_RE = re.compile(
    rf"(?:({_PHRASE_ATOM}(?: {_PHRASE_ATOM})*) ?|\"([^\"\\\r\n\t()]*)\" ?)<({_ADDR_SPEC})>"
    rf"|({_ADDR_SPEC})"
)


def _simple_address(value: str) -> list[tuple[str, str]] | None:
    """``email.utils.getaddresses([value])`` for the plainest fields; None for any other."""
    m = _SIMPLE_ADDRESS_RE.fullmatch(value)
    if m is None:
        return None
    phrase, quoted, routed, bare = m.groups()
    if bare is not None:
        return [("", bare)]
    return [(phrase if phrase is not None else quoted, routed)]


def _addresses(values: list[str], defects: list[str]) -> tuple[Address, ...]:
    out: list[Address] = []
    if len(values) > MAX_ADDRESS_HEADERS:
        defects.append("too_many_address_headers")
    for value in values[:MAX_ADDRESS_HEADERS]:
        if len(value) > MAX_ADDRESS_CHARS:
            # Keep both ends: the address itself usually comes last ("name" <addr>), and a
            # display name padded to megabytes must not push it out of sight.
            defects.append("address_header_truncated")
            half = MAX_ADDRESS_CHARS // 2
            value = value[:half] + value[-half:]
        pairs = _simple_address(value)
        if pairs is None:
            try:
                pairs = email.utils.getaddresses([_shallow_comments(value)])
            except Exception:  # the stdlib address parser has many ways to fail on hostile input
                defects.append("unparseable_address")
                continue
        for name, addr in pairs[:MAX_LINKS]:
            if not name and not addr:
                continue
            out.append(_make_address(name, addr, defects))
    return tuple(out)


class _HtmlScan(html.parser.HTMLParser):
    """Collects visible text, anchors, form actions, image maps and images of one HTML part."""

    _INVISIBLE = frozenset({"script", "style", "head", "title", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.text_len = 0
        self.links: list[Link] = []
        self.images: list[Image] = []
        self._skip = 0
        self._anchor: tuple[str, list[str]] | None = None
        self.outside_anchors: list[str] = []  # where bare URLs are looked for
        self.truncated = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag in self._INVISIBLE:
            self._skip += 1
        elif tag == "a" and "href" in a:
            self._close_anchor()
            self._anchor = (a["href"], [])
        elif tag == "area" and "href" in a:
            self._add_link(a["href"], a.get("alt", ""), "area")
        elif tag == "form":
            self._add_link(a.get("action", ""), "", "form")
        elif tag == "img":
            alt = a.get("alt", "")
            self.images.append(Image(src=a.get("src", ""), alt=alt))
            if self._anchor is not None and alt:
                self._anchor[1].append(alt)
        elif tag in ("br", "p", "div", "tr", "li", "td", "table", "h1", "h2", "h3"):
            self._add_text("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in self._INVISIBLE:
            self._skip -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._INVISIBLE and self._skip > 0:
            self._skip -= 1
        elif tag == "a":
            self._close_anchor()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._anchor is not None:
            self._anchor[1].append(data)
        elif self.text_len < MAX_TEXT_CHARS:
            self.outside_anchors.append(data)
        self._add_text(data)

    def _add_text(self, data: str) -> None:
        if self.text_len < MAX_TEXT_CHARS:
            self.text.append(data)
            self.text_len += len(data)
        else:
            self.truncated = True

    def _close_anchor(self) -> None:
        if self._anchor is not None:
            href, text = self._anchor
            self._anchor = None
            self._add_link(href, " ".join("".join(text).split()), "anchor")

    def _add_link(self, href: str, text: str, where: LinkWhere) -> None:
        if len(self.links) < MAX_LINKS:
            self.links.append(make_link(href, text, where, "html"))

    def close(self) -> None:
        super().close()
        self._close_anchor()


# Bare URLs in plain text: a scheme or www., then anything up to white space or a closing
# bracket; full-width spaces and brackets end a URL too, as Japanese text puts them right after.
_BARE_URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"'「」『』（）()、。\u3000]+", re.IGNORECASE)


def make_link(href: str, text: str, where: LinkWhere, part: Literal["html", "text"]) -> Link:
    href = href.strip()
    return Link(href=href, text=text, where=where, host=url_host(href), part=part)


def url_host(href: str) -> str | None:
    """The host an href really points to (after any userinfo@), Unicode, lowercase; or None."""
    h = href.strip()
    # Browsers strip tabs/newlines inside URLs, and treat backslashes as slashes.
    h = h.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    if h.lower().startswith("www."):
        h = "http://" + h
    low = h[:10].lower()
    if not (low.startswith(("http://", "https://")) or h.startswith("//")):
        return None
    try:
        host = urllib.parse.urlsplit(h).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = unicodedata.normalize("NFKC", urllib.parse.unquote(host))
    return idna_to_unicode(host)


# Every code point that re.IGNORECASE folds onto "www" (checked over all of Unicode: only
# ASCII), for finding where a "www." match may start in text that is not ASCII.
_WWW_RE = re.compile(r"[wW][wW][wW]\.")


def _bare_urls(text: str) -> Iterator[re.Match[str]]:
    """``_BARE_URL_RE.finditer(text)``, found faster (speed, issue 10).

    A case-insensitive pattern led by an alternation has no literal prefix, so sre tries it at
    every position (~57 µs on a 3 KB list post). Every match starts 4 or 5 characters before a
    "://" (http, https, or httpſ: U+017F folds onto "s") or at a "www." in any case. Those
    places are found with str.find, and the same pattern is matched at each one, left to right,
    skipping places inside the previous match: finditer's matches exactly (a place that is no
    match start is only tried and dropped)."""
    starts: list[int] = []
    pos = text.find("://")
    while pos != -1:
        starts += (pos - 5, pos - 4)
        pos = text.find("://", pos + 3)
    if text.isascii():  # lower() keeps ASCII positions
        low = text.lower()
        pos = low.find("www.")
        while pos != -1:
            starts.append(pos)
            pos = low.find("www.", pos + 1)
    else:
        starts += (m.start() for m in _WWW_RE.finditer(text))
    end = 0
    for start in sorted(starts):
        if start < end:  # negative, or inside the last match (finditer goes on after it)
            continue
        m = _BARE_URL_RE.match(text, start)
        if m is not None:
            end = m.end()
            yield m


def _text_links(text: str) -> list[Link]:
    out = []
    for m in _bare_urls(text):
        url = m.group(0).rstrip(".,;:!?")
        out.append(make_link(url, url, "text", "text"))
        if len(out) >= MAX_LINKS:
            break
    return out


# ---- header sections (RFC 5322 §2.2, §3.6), on offsets into the raw bytes

# A field starts with a name of printable ASCII but ":" (as the email library's headerRE) and
# ":"; it ends before the next line that does not start with white space (RFC 5322 §2.2.3).
_NAME_RE = re.compile(rb"([!-9;-~]*):[ \t]*")
_NEXT_FIELD_RE = re.compile(rb"\n(?![ \t])")
# A field's first line in one match (speed, issue 10; it was _NEXT_FIELD_RE's search for the
# end, then _NAME_RE): the name and blanks when the line has them (group 1, else the chunk is
# dropped), and where the value starts (group 2). Continuation lines, when the next line
# starts with a blank, are skipped by _NEXT_FIELD_RE's search (a regex loop per line is
# slower on a megabyte of folds).
_FIELD_AT_RE = re.compile(rb"(?:([!-9;-~]*):[ \t]*)?([^\n]*)")
_BLANKS = (b" ", b"\t")
_FIELD_START_RE = re.compile(rb"[!-9;-~]*:|[ \t]")
# The header section ends at an empty line, or at the first line that is neither a field nor a
# continuation (the email library then starts the body there too).
_HEAD_END_RE = re.compile(rb"\n(?:\r?\n|(?![ \t]|[!-9;-~]*:))")
# Searched in a lowercased copy: a literal-led pattern is several times faster than (?mi)^.
_IDENTITY_RE = re.compile(rb"\n(?:from|sender|reply-to|return-path):")
_AUTH_RE = re.compile(
    rb"\n(?:authentication-results|dkim-signature|arc-[!-9;-~]*|received-spf|received):"
)


def _split_entity(data: bytes, start: int, end: int, top: bool) -> tuple[int, int, int]:
    """(header start, header end, body start) of the entity data[start:end]."""
    if top and data.startswith(b"From ", start):  # an mbox separator line, as in a saved file
        nl = data.find(b"\n", start, end)
        start = end if nl < 0 else nl + 1
    if start >= end:
        return start, start, start
    if data.startswith(b"\n", start) or data.startswith(b"\r\n", start):
        return start, start, data.index(b"\n", start) + 1
    if not _FIELD_START_RE.match(data, start, end):
        return start, start, start  # no header section: it is all body
    m = _HEAD_END_RE.search(data, start, end)
    if m is None:
        return start, end, end
    hend = m.start() + 1
    return start, hend, m.end() if m.end() > hend else hend


def _fields(
    data: bytes, start: int, end: int, limit: int, defects: list[str], priority: bool
) -> list[tuple[int, bytes, bytes]]:
    """(offset, name, value) of the fields in data[start:end], at most ``limit`` of them; with
    ``priority``, identity and authentication fields past the limit are kept too (a flood of
    filler headers must not push From out of sight)."""
    out: list[tuple[int, bytes, bytes]] = []
    pos = start
    field_at = _FIELD_AT_RE.match
    while pos < end:
        if len(out) >= limit:
            defects.append("too_many_headers")
            if priority:
                _priority_fields(data, pos, end, out, defects)
            break
        m = field_at(data, pos, end)
        fend = m.end()  # type: ignore[union-attr]  # the pattern matches the empty string
        if data[fend + 1 : fend + 2] in _BLANKS and fend + 1 < end:  # continuation lines
            nxt = _NEXT_FIELD_RE.search(data, fend + 1, end)
            fend = nxt.start() if nxt is not None else end
        name = m.group(1)  # type: ignore[union-attr]
        if name is not None:  # else a continuation line with no field before it: dropped
            vstart = m.start(2)  # type: ignore[union-attr]
            if fend - vstart > MAX_HEADER_BYTES:
                out.append((pos, name, _value(data, vstart, fend, defects)))
            else:
                out.append((pos, name, data[vstart:fend]))
        pos = fend + 1
    return out


def _value(data: bytes, start: int, end: int, defects: list[str]) -> bytes:
    if end - start > MAX_HEADER_BYTES:
        defects.append("header_truncated")
        end = start + MAX_HEADER_BYTES
    return data[start:end]


def _priority_fields(
    data: bytes, start: int, end: int, out: list[tuple[int, bytes, bytes]], defects: list[str]
) -> None:
    low = data[start - 1 : end].lower()  # from the newline before ``start``
    extra: list[tuple[int, bytes, bytes]] = []
    for rx, cap in ((_IDENTITY_RE, MAX_PRIORITY_HEADERS // 2), (_AUTH_RE, MAX_PRIORITY_HEADERS)):
        n = 0
        for hit in rx.finditer(low):
            if n >= cap:
                defects.append("too_many_priority_headers")
                break
            n += 1
            pos = start - 1 + hit.start() + 1
            nxt = _NEXT_FIELD_RE.search(data, pos, end)
            fend = nxt.start() if nxt is not None else end
            m = _NAME_RE.match(data, pos, fend)
            if m is not None:
                extra.append((pos, m.group(1), _value(data, m.end(), fend, defects)))
    out.extend(sorted(extra))


# ---- MIME parameters (RFC 2045 §5.1, RFC 2231)

# Tokens of a parameter list: a quoted string (an unterminated one runs to the end, so the
# pattern cannot fail and backtrack), a run of other characters, or a separator.
_PARAM_TOKEN_RE = re.compile(r'"(?:[^"\\]|\\.)*"?|[^;"]+|;', re.S)
_QUOTED_PAIR_RE = re.compile(r"\\(.)", re.S)


def _params(value: str) -> tuple[str, dict[str, str]]:
    """(lowercased first token, {parameter: value}) of a Content-Type/Disposition value, with
    RFC 2231 continuations joined and charset'lang'%XX values decoded."""
    pieces: list[list[str]] = [[]]
    for i, m in enumerate(_PARAM_TOKEN_RE.finditer(value)):
        if i > 8 * MAX_PARAMS:
            break
        tok = m.group(0)
        if tok == ";":
            if len(pieces) > MAX_PARAMS:
                break
            pieces.append([])
        else:
            pieces[-1].append(tok)
    main = "".join(pieces[0]).strip().lower()
    segments: dict[str, list[tuple[int, bool, str]]] = {}
    for piece in pieces[1:]:
        text = "".join(piece)
        name, eq, val = text.partition("=")
        if not eq:
            continue
        name = name.strip().lower()
        val = val.strip()
        if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
            val = _QUOTED_PAIR_RE.sub(r"\1", val[1:-1])
        # RFC 2231 §3-4: name*=ext, name*N=plain segment, name*N*=ext segment.
        base, star, rest = name.partition("*")
        index = 0
        extended = False
        if star:
            num, star2, _ = rest.partition("*")
            if not num:
                extended = True
            elif num.isdigit() and len(num) < 4:
                index = int(num)
                extended = bool(star2)
            else:
                continue
        segments.setdefault(base, []).append((index, extended, val))
    params: dict[str, str] = {}
    for base, segs in segments.items():
        segs.sort(key=lambda s: s[0])
        if not any(ext for _, ext, _ in segs):
            params[base] = "".join(v for _, _, v in segs)
            continue
        charset = "us-ascii"
        buf = bytearray()
        for n, (_, ext, v) in enumerate(segs):
            if ext:
                if n == 0 and v.count("'") >= 2:
                    charset, _lang, v = v.split("'", 2)
                buf += urllib.parse.unquote_to_bytes(v)
            else:
                buf += v.encode("utf-8", errors="replace")
        params[base] = decode_bytes(bytes(buf), charset or "us-ascii")
    return main, params


# ---- MIME bodies (RFC 2045, RFC 2046)


@dataclass
class _Entity:
    ctype: str = "text/plain"
    params: dict[str, str] = field(default_factory=dict)
    cte: str = ""
    has_filename: bool = False


_Field = tuple[int, bytes, bytes]


def _entity(
    data: bytes,
    hstart: int,
    hend: int,
    defects: list[str],
    default: str,
    fields: list[_Field] | None,
) -> _Entity:
    got = (
        fields
        if fields is not None
        else _fields(data, hstart, hend, MAX_PART_HEADERS, defects, False)
    )
    ent = _Entity(ctype=default)
    disposition: dict[str, str] = {}
    seen_ct = False
    for _, name, value in got:
        lname = name.lower()
        if lname == b"content-type" and not seen_ct:
            seen_ct = True
            main, params = _params(_unfold(header_text(value)))
            # RFC 2045 §5.2: a Content-Type that is not type/subtype means the default. Any
            # other value is taken as written (as the email library and mail readers do), so a
            # junk byte in "multipart/alternative" cannot hide the parts from the check.
            if main.count("/") == 1:
                ent.ctype = main
            ent.params = params
        elif lname == b"content-transfer-encoding" and not ent.cte:
            ent.cte = _unfold(header_text(value)).lower()
        elif lname == b"content-disposition" and not disposition:
            _, disposition = _params(_unfold(header_text(value)))
    ent.has_filename = bool(disposition.get("filename") or ent.params.get("name"))
    return ent


def _delimiter_re(boundary: str) -> re.Pattern[bytes]:
    b = re.escape(boundary.encode("utf-8", errors="replace"))
    return re.compile(rb"\n--" + b + rb"(--)?[ \t]*\r?(?=\n|\Z)")


def _split_multipart(
    data: bytes, start: int, end: int, boundary: str, defects: list[str], room: int
) -> list[tuple[int, int]]:
    """(start, end) of each body part between the boundary's delimiter lines (RFC 2046 §5.1.1):
    the CRLF before a delimiter belongs to it; preamble and epilogue are dropped."""
    rx = _delimiter_re(boundary)
    parts: list[tuple[int, int]] = []
    pos: int | None = None
    first = rx.match(b"\n" + data[start : start + len(boundary) + 200])
    if first is not None:  # a delimiter on the body's very first line
        pos = start + first.end() - 1
        if first.group(1):
            return parts
    closed = False
    for m in rx.finditer(data, start, end):
        if pos is not None:
            stop = m.start()
            if stop > pos and data[stop - 1 : stop] == b"\r":
                stop -= 1
            parts.append((_after_newline(data, pos, end), max(stop, pos)))
            if len(parts) >= room:
                defects.append("too_many_parts")
                return parts
        pos = m.end()
        if m.group(1):
            closed = True
            break
    if pos is None:
        defects.append("StartBoundaryNotFoundDefect")
        return parts
    if not closed:
        defects.append("CloseBoundaryNotFoundDefect")
        parts.append((_after_newline(data, pos, end), end))
    return parts


def _after_newline(data: bytes, pos: int, end: int) -> int:
    nl = data.find(b"\n", pos, min(end, pos + 2))
    return nl + 1 if nl >= 0 else min(pos, end)


def _transfer_decode(data: bytes, cte: str, defects: list[str]) -> bytes:
    if cte == "base64":
        try:
            return b64_lenient(data)
        except (binascii.Error, ValueError):
            defects.append("undecodable_part")
            return b""
    if cte == "quoted-printable":
        return binascii.a2b_qp(data)
    return data


def _walk(
    data: bytes,
    top: tuple[int, int, int],
    top_fields: list[tuple[int, bytes, bytes]],
    defects: list[str],
    skipped: list[str],
) -> list[tuple[str, bytes, str | None]]:
    """(content type, transfer-decoded bytes, charset) of every text/plain and text/html leaf
    that is not an attachment, in order. Iterative, bounded in depth, part count and bytes; a
    part that cannot be read is skipped and recorded, and the walk goes on."""
    leaves: list[tuple[str, bytes, str | None]] = []
    # (header start, header end, body start, body end, depth, default type, fields or None)
    stack: list[tuple[int, int, int, int, int, str, list[_Field] | None]] = [
        (top[0], top[1], top[2], len(data), 0, "text/plain", top_fields)
    ]
    seen = 0
    budget = MAX_TEXT_CHARS * 8  # encoded bytes handed to decoders, all parts together
    while stack:
        hstart, hend, bstart, bend, depth, default, fields = stack.pop()
        seen += 1
        where = f"part {seen}"
        try:
            ent = _entity(data, hstart, hend, defects, default, fields)
            maintype = ent.ctype.split("/", 1)[0]
            # Every message/* but delivery-status holds a message (as the email library reads it:
            # a junk byte in "message/rfc822" must not hide the inner body).
            if maintype in ("multipart", "message") and ent.ctype != "message/delivery-status":
                if depth >= MAX_DEPTH:
                    defects.append("mime_too_deep")
                    skipped.append(f"{where}: {_defect_token(ent.ctype)} nested over {MAX_DEPTH}")
                    continue
                if maintype == "message":
                    h0, h1, b0 = _split_entity(data, bstart, bend, False)
                    stack.append((h0, h1, b0, bend, depth + 1, "text/plain", None))
                    continue
                boundary = ent.params.get("boundary", "")
                if not boundary:
                    defects.append("NoBoundaryInMultipartDefect")
                    skipped.append(f"{where}: multipart without boundary")
                    continue
                room = MAX_PARTS - seen - len(stack)
                if room <= 0:
                    defects.append("too_many_parts")
                    skipped.append(f"{where}: over {MAX_PARTS} parts")
                    break
                child_default = (
                    "message/rfc822" if ent.ctype == "multipart/digest" else "text/plain"
                )
                children = []
                for pstart, pend in _split_multipart(
                    data, bstart, bend, boundary[:200], defects, room
                ):
                    h0, h1, b0 = _split_entity(data, pstart, pend, False)
                    children.append((h0, h1, b0, pend, depth + 1, child_default, None))
                stack.extend(reversed(children))
                continue
            if ent.ctype not in ("text/plain", "text/html") or ent.has_filename:
                continue
            if budget <= 0:
                defects.append("text_truncated")
                skipped.append(f"{where}: text over the size cap")
                continue
            n = min(bend - bstart, MAX_PART_BYTES, budget)
            if n < bend - bstart:
                defects.append("part_truncated")
            budget -= n
            body = _transfer_decode(data[bstart : bstart + n], ent.cte, defects)
            leaves.append((ent.ctype, body, ent.params.get("charset")))
        except Exception as exc:  # one unreadable part never costs the rest of the message
            defects.append("undecodable_part")
            skipped.append(f"{where}: {type(exc).__name__}")
    return leaves


# Stray "<" (one that meets another "<", or the end, before any ">") makes html.parser rescan
# the rest of the document once per "<": quadratic, 15+ s on 2 MB of "<a". Such a "<" starts no
# tag in a browser either, so it is escaped before parsing; complete comments go first (their
# insides never render) so that tags inside them cannot be mistaken for stray ones.
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_STRAY_LT_RE = re.compile(r"<(?=[^<>]*(?:<|\Z))")


def _tame_html(html_text: str) -> str:
    last = html_text.rfind("-->")
    if last >= 0 and "<!--" in html_text:
        html_text = _COMMENT_RE.sub(" ", html_text[: last + 3]) + html_text[last + 3 :]
    return _STRAY_LT_RE.sub("&lt;", html_text)


def parse_message(raw: bytes) -> MessageView:
    defects: list[str] = []
    skipped: list[str] = []
    hstart, hend, bstart = _split_entity(raw, 0, len(raw), True)
    fields = _fields(raw, hstart, hend, MAX_HEADERS, defects, True)
    if hstart < hend and raw[hstart : hstart + 1] in (b" ", b"\t"):
        defects.append("FirstHeaderLineIsContinuationDefect")

    headers: list[tuple[str, str]] = []
    raw_values: dict[str, list[str]] = {}
    name_index: dict[str, list[str]] = {}  # MessageView._by_name, built along
    kept: dict[str, list[str]] = {}  # unfolded raw values of _KEPT_UNFOLDED
    arc: list[tuple[str, str]] = []
    word_budget = MAX_HEADER_WORDS
    mime_fields: list[_Field] = []  # the top entity's, in order: all that _entity reads
    for field_ in fields:
        _, bname, bvalue = field_
        name = bname.decode("ascii")
        lname = name.lower()
        if lname in _MIME_FIELDS:
            mime_fields.append(field_)
        if lname.startswith(_STRIP_HEADER_PREFIX):
            continue
        # header_text's and _unfold's common cases inline (speed: ~40 fields a mail)
        try:
            sval = bvalue.decode("ascii")  # header_text's first case, without its test
        except UnicodeDecodeError:
            sval = header_text(bvalue)
        sval = sval.rstrip("\r\n")
        if lname in _RAW_KEPT:
            raw_values.setdefault(lname, []).append(sval)
        if "=?" in sval:
            limit = max(0, min(MAX_ENCODED_WORDS, word_budget))
            decoded, used = _decode_words(sval, defects, limit)
            word_budget -= used
            unfolded = _unfold(sval)
        else:  # no encoded word (unfolding cannot make one): what _decode_words returns
            decoded = unfolded = _unfold(sval) if "\n" in sval else sval.strip()
        headers.append((name, decoded))
        name_index.setdefault(lname, []).append(decoded)
        if lname.startswith("arc-"):
            arc.append((name, unfolded))
        elif lname in _KEPT_UNFOLDED:  # unfolded once here, not again for the view
            kept.setdefault(lname, []).append(unfolded)

    from_values = raw_values.get("from", [])
    from_ = _addresses(from_values, defects)
    sender_list = _addresses(raw_values.get("sender", [])[:1], defects)
    reply_to = _addresses(raw_values.get("reply-to", []), defects)
    return_path: str | None = None
    rp = raw_values.get("return-path")
    if rp:
        v = _unfold(rp[0]).strip()
        if v.startswith("<") and ">" in v:
            v = v[1 : v.index(">")]
        return_path = v.strip()

    texts: list[str] = []
    htmls: list[str] = []
    links: list[Link] = []
    images: list[Image] = []
    text_len = {"text/plain": 0, "text/html": 0}
    html_room = MAX_HTML_CHARS  # for all HTML parts together
    leaves = _walk(raw, (hstart, hend, bstart), mime_fields, defects, skipped)
    for n, (ctype, data, charset) in enumerate(leaves):
        room = MAX_TEXT_CHARS - text_len[ctype]
        if room <= 0:
            defects.append("text_truncated")
            continue
        try:
            body = decode_bytes(data, charset, defects)[:room]
            text_len[ctype] += len(body)
            if ctype == "text/plain":
                texts.append(body)
                links.extend(_text_links(body))
                continue
            if len(body) > html_room:
                defects.append("html_truncated")
                body = body[: max(0, html_room)]
            html_room -= len(body)
            scan = _HtmlScan()
            try:
                scan.feed(_tame_html(body))
                scan.close()
            except Exception:  # html.parser is lenient, but never let a part end the parse
                defects.append("html_parse_error")
            htmls.append("".join(scan.text))
            links.extend(scan.links)
            links.extend(_text_links(" ".join(scan.outside_anchors)))
            images.extend(scan.images)
        except Exception as exc:  # one unreadable part never costs the rest of the message
            defects.append("undecodable_part")
            skipped.append(f"text part {n + 1}: {type(exc).__name__}")

    def first(name: str) -> str | None:
        v = raw_values.get(name)
        return decode_words(v[0], defects) if v else None

    return MessageView(
        raw=raw,
        headers=tuple(headers),
        from_=from_,
        from_header_count=len(from_values),
        sender=sender_list[0] if sender_list else None,
        reply_to=reply_to,
        return_path=return_path,
        subject=unicodedata.normalize("NFC", first("subject") or ""),
        received=tuple(kept.get("received", ())),
        authentication_results=tuple(kept.get("authentication-results", ())),
        dkim_signatures=tuple(kept.get("dkim-signature", ())),
        arc_headers=tuple(arc),
        text="\n".join(texts),
        html_text="\n".join(htmls),
        links=tuple(links[:MAX_LINKS]),
        images=tuple(images[:MAX_LINKS]),
        message_id=first("message-id"),
        date=first("date"),
        defects=tuple(dict.fromkeys(defects)),
        skipped=tuple(skipped[:50]),
        name_index=name_index,
    )
