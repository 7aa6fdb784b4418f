"""Raw message bytes → an immutable, decoded view (RFC 5322, RFC 2045-2047, RFC 2231).

Every string here comes from the message, so from a possible attacker: callers treat it as
data. Parsing never raises on a malformed message; problems land in ``defects``. Limits bound
the work on hostile input (header count, MIME depth, decoded body size); a limit that bites is
a defect too. Thunderbird's ``X-Mozilla-*`` bookkeeping headers are ignored.
"""

from __future__ import annotations

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
    headers: tuple[tuple[str, str], ...]  # (name, RFC 2047-decoded value), in order, X-Mozilla-* dropped
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


def parse_message(raw: bytes) -> MessageView:
    raise NotImplementedError
