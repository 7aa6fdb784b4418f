"""Raw message bytes → an immutable, decoded view (RFC 5322, RFC 2045-2047, RFC 2231).

Every string here comes from the message, so from a possible attacker: callers treat it as
data. Parsing never raises on a malformed message; problems land in ``defects``. Limits bound
the work on hostile input (header count, MIME depth, decoded body size); a limit that bites is
a defect too. Thunderbird's ``X-Mozilla-*`` bookkeeping headers are ignored.
"""

from __future__ import annotations

import codecs
import email.header
import email.message
import email.parser
import email.policy
import email.utils
import html.parser
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass, field
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

    def header(self, name: str) -> str | None:
        """The first header of that name (case-insensitive), decoded, or None."""
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None

    def header_all(self, name: str) -> list[str]:
        lname = name.lower()
        return [v for k, v in self.headers if k.lower() == lname]

    @property
    def body_text(self) -> str:
        """Plain and HTML-visible text, for phrase and claim matching."""
        return self.text + "\n" + self.html_text if self.html_text else self.text


# ---------------------------------------------------------------- implementation

MAX_HEADERS = 2000  # beyond this, headers are counted but not kept
MAX_PARTS = 500
MAX_DEPTH = 40
MAX_TEXT_CHARS = 2_000_000  # decoded text kept for analysis, per kind (text / html)
MAX_LINKS = 2000

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

_STRIP_HEADER_PREFIX = "x-mozilla-"


def decode_bytes(data: bytes, charset: str | None, defects: list[str] | None = None) -> str:
    """Decode body or header bytes by their declared charset, never raising."""
    cs = (charset or "").strip().strip('"').lower()
    candidates: tuple[str, ...] = _CHARSET_ALIASES.get(cs, (cs,) if cs else ("utf-8",))
    for codec in candidates:
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    if defects is not None:
        defects.append(f"undecodable_charset:{cs or 'none'}")
    for codec in ("utf-8", "cp932", "euc_jp"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode(candidates[0] if _codec_ok(candidates[0]) else "utf-8", errors="replace")


def _codec_ok(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def decode_words(value: str, defects: list[str] | None = None) -> str:
    """RFC 2047 encoded-words (B and Q, any charset) → text; plain text passes through."""
    if "=?" not in value:
        return _unfold(value)
    try:
        pieces = email.header.decode_header(_unfold(value))
    except Exception:  # hostile headers can break the stdlib decoder in many ways
        if defects is not None:
            defects.append("bad_encoded_word")
        return _unfold(value)
    out: list[str] = []
    for chunk, cs in pieces:
        if isinstance(chunk, str):
            out.append(chunk)
        else:
            out.append(decode_bytes(chunk, cs, defects))
    return "".join(out)


def _unfold(value: str) -> str:
    return _FOLD_RE.sub(" ", value).strip()


_FOLD_RE = re.compile(r"\r?\n[ \t]*")


def _header_str(value: object) -> str:
    # compat32 hands back str for well-formed headers and Header objects for 8-bit ones.
    if isinstance(value, str):
        return value
    if isinstance(value, email.header.Header):
        return str(value)
    return str(value)


def _raw_header_text(value: str) -> str:
    """compat32 keeps 8-bit header bytes as surrogateescape; recover them as UTF-8 or CP932."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("ascii", errors="surrogateescape")
    return decode_bytes(data, "utf-8")


def idna_to_unicode(host: str) -> str:
    """Lowercase, strip the trailing dot, decode A-labels; invalid punycode stays as written."""
    host = host.strip().rstrip(".").lower()
    if "xn--" not in host:
        return host
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
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
        try:
            labels.append("xn--" + label.encode("punycode").decode("ascii"))
        except (UnicodeError, ValueError):
            return host
    return ".".join(labels)


def _make_address(name: str, addr: str, defects: list[str]) -> Address:
    display = unicodedata.normalize("NFC", decode_words(name, defects)) if name else ""
    addr = _raw_header_text(addr.strip())
    local, _, domain = addr.rpartition("@") if "@" in addr else (addr, "", "")
    udomain = idna_to_unicode(domain)
    return Address(
        display_name=display,
        addr=f"{local}@{udomain}" if domain else addr,
        local=local,
        domain=udomain,
        ascii_domain=idna_to_ascii(udomain),
    )


def _addresses(values: list[str], defects: list[str]) -> tuple[Address, ...]:
    out: list[Address] = []
    for value in values:
        value = _raw_header_text(value)
        try:
            pairs = email.utils.getaddresses([value])
        except Exception:
            defects.append("unparseable_address")
            continue
        for name, addr in pairs:
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


def _text_links(text: str) -> list[Link]:
    out = []
    for m in _BARE_URL_RE.finditer(text):
        url = m.group(0).rstrip(".,;:!?")
        out.append(make_link(url, url, "text", "text"))
        if len(out) >= MAX_LINKS:
            break
    return out


def _iter_parts(msg: email.message.Message, defects: list[str]) -> list[email.message.Message]:
    """Leaf parts in order, iteratively, with depth and count limits."""
    leaves: list[email.message.Message] = []
    stack: list[tuple[email.message.Message, int]] = [(msg, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            defects.append("too_many_parts")
            break
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            if depth >= MAX_DEPTH:
                defects.append("mime_too_deep")
                continue
            stack.extend(
                (p, depth + 1) for p in reversed(payload) if isinstance(p, email.message.Message)
            )
        else:
            leaves.append(part)
    return leaves


def _part_text(part: email.message.Message, defects: list[str]) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        defects.append("undecodable_part")
        return ""
    if not isinstance(data, bytes):
        return ""
    for d in part.defects:
        defects.append(type(d).__name__)
    return decode_bytes(data, part.get_content_charset(), defects)


def parse_message(raw: bytes) -> MessageView:
    defects: list[str] = []
    msg = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(raw)
    for d in msg.defects:
        defects.append(type(d).__name__)

    headers: list[tuple[str, str]] = []
    raw_values: dict[str, list[str]] = {}
    arc: list[tuple[str, str]] = []
    count = 0
    for name, value in msg.raw_items():
        count += 1
        lname = name.lower()
        if lname.startswith(_STRIP_HEADER_PREFIX):
            continue
        sval = _header_str(value)
        if count <= MAX_HEADERS:
            raw_values.setdefault(lname, []).append(sval)
            headers.append((name, decode_words(_raw_header_text(sval), defects)))
            if lname.startswith("arc-"):
                arc.append((name, _unfold(sval)))
    if count > MAX_HEADERS:
        defects.append("too_many_headers")

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
    text_len = 0
    for part in _iter_parts(msg, defects):
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/html") or part.get_filename():
            continue
        if text_len >= MAX_TEXT_CHARS:
            defects.append("text_truncated")
            break
        body = _part_text(part, defects)[: MAX_TEXT_CHARS - text_len]
        text_len += len(body)
        if ctype == "text/plain":
            texts.append(body)
            links.extend(_text_links(body))
        else:
            scan = _HtmlScan()
            try:
                scan.feed(body)
                scan.close()
            except Exception:  # html.parser is lenient, but never let a part end the parse
                defects.append("html_parse_error")
            visible = "".join(scan.text)
            htmls.append(visible)
            links.extend(scan.links)
            links.extend(_text_links(" ".join(scan.outside_anchors)))
            images.extend(scan.images)

    def first(name: str) -> str | None:
        v = raw_values.get(name)
        return decode_words(_raw_header_text(v[0]), defects) if v else None

    return MessageView(
        raw=raw,
        headers=tuple(headers),
        from_=from_,
        from_header_count=len(from_values),
        sender=sender_list[0] if sender_list else None,
        reply_to=reply_to,
        return_path=return_path,
        subject=unicodedata.normalize("NFC", first("subject") or ""),
        received=tuple(_unfold(v) for v in raw_values.get("received", [])),
        authentication_results=tuple(
            _unfold(v) for v in raw_values.get("authentication-results", [])
        ),
        dkim_signatures=tuple(_unfold(v) for v in raw_values.get("dkim-signature", [])),
        arc_headers=tuple(arc),
        text="\n".join(texts),
        html_text="\n".join(htmls),
        links=tuple(links[:MAX_LINKS]),
        images=tuple(images[:MAX_LINKS]),
        message_id=first("message-id"),
        date=first("date"),
        defects=tuple(dict.fromkeys(defects)),
    )
