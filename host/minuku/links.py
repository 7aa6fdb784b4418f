"""Link findings: where a message's links really go, and what they pretend.

Checks each link of the message view for: anchor text that shows one host while the href goes
to another; hosts that imitate a brand; raw-IP hosts; URL shorteners, open redirectors and free
hosting (data/links.json); ``userinfo@`` tricks (``https://amazon.co.jp@evil.top/``); punycode
hosts, shown decoded beside the ASCII form. Whether a claimed brand's sign-in links go elsewhere
is decided in ``verdict``, which knows the claim; this module marks the action links.
Anchor text counts as a host only when it reads as a web address (``shown_host``): list mail
links file names such as ``detector.sv`` or ``setup.sh``, which are country TLDs too.
Nothing here fetches a URL: a link is only read.
"""

from __future__ import annotations

import ipaddress
import json
import unicodedata
import urllib.parse
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .confusables import fold
from .findings import Finding, Severity
from .message import Link, idna_to_ascii, url_host


@dataclass(frozen=True)
class LinkData:
    shorteners: frozenset[str]
    redirectors: tuple[str, ...]
    free_hosting: tuple[str, ...]
    action_words: tuple[str, ...]
    action_path_words: tuple[str, ...]
    well_known_domains: frozenset[str] = frozenset()
    generic_suffixes: frozenset[str] = frozenset()
    file_extensions: frozenset[str] = frozenset()


@cache
def link_data() -> LinkData:
    raw = json.loads(resources.files("minuku.data").joinpath("links.json").read_text("utf-8"))
    return LinkData(
        shorteners=frozenset(raw["shorteners"]),
        redirectors=tuple(raw["redirectors"]),
        free_hosting=tuple(raw["free_hosting"]),
        action_words=tuple(raw["action_words"]),
        action_path_words=tuple(raw["action_path_words"]),
        well_known_domains=frozenset(raw.get("well_known_domains", ())),
        generic_suffixes=frozenset(raw.get("generic_suffixes", ())),
        file_extensions=frozenset(raw.get("file_extensions", ())),
    )


def _matches(entry: str, host: str, path: str) -> bool:
    ehost, _, epath = entry.partition("/")
    if ehost.startswith("."):
        host_ok = host.endswith(ehost) or host == ehost[1:]
    else:
        host_ok = host == ehost
    return host_ok and (not epath or path.lstrip("/").startswith(epath))


def is_ip_host(host: str) -> bool:
    h = host.strip("[]")
    try:
        ipaddress.ip_address(h)
    except ValueError:
        # Browsers also accept decimal, octal and hex IPv4 forms ("http://3232235777/").
        return h.isdigit() or (h.startswith("0x") and all(c in "0123456789abcdefx." for c in h))
    return True


def _domain_shape(text: str) -> str | None:
    """The host in ``text`` if it has a host's shape: a URL, or dotted labels ending in letters.

    Shape alone says nothing about intent: ``detector.sv`` and ``setup.sh`` have it too.
    """
    t = fold(text).strip().strip("<>()[]「」")
    if not t or any(ch.isspace() for ch in t):
        return None
    host = url_host(t)
    if host:
        return host
    # "amazon.co.jp/gp/help" or "amazon.co.jp" written without a scheme
    candidate = t.split("/", 1)[0].lower().rstrip(".")
    labels = candidate.split(".")
    looks_like_domain = len(labels) >= 2 and all(labels) and labels[-1].isalpha()
    if (
        looks_like_domain
        and len(labels[-1]) >= 2
        and all(ch.isalnum() or ch in "-." for ch in candidate)
    ):
        return candidate
    return None


def _reads_as_url(text: str) -> bool:
    t = fold(text).strip().strip("<>()[]「」").lower()
    return t.startswith(("http://", "https://", "//", "www."))


def shown_host(text: str) -> str | None:
    """The host that anchor text presents to the reader, when it reads as a web address.

    Text with a scheme or ``www.`` always does. Bare ``name.tld`` text does only when a reader
    would take it for a site rather than a file name (patch mail links ``detector.sv``,
    ``setup.sh``, ``main.py``: all country TLDs): its registrable domain is a brand's, free-mail
    or otherwise well-known domain (data), or its public suffix is a common generic one
    (``com``, ``co.jp`` …) and it is not a bare ASCII ``stem.ext`` pair whose ending is a file
    extension (``TODO.org``, ``gcc.info``; ``com`` is not listed as one). Text is NFKC-folded
    first, with ideographic dots and invisible characters handled, so full-width
    ``ａｍａｚｏｎ．ｃｏ．ｊｐ`` still counts.
    """
    host = _domain_shape(text)
    if host is None:
        return None
    if _reads_as_url(text) or _known_host(host):
        return host
    return None


def _known_host(host: str) -> bool:
    from .catalogue import load, public_suffix, registrable

    reg = registrable(host)
    if reg is None:  # a public suffix on its own ("co.jp") is nobody's site
        return False
    data = link_data()
    cat = load()
    if (
        cat.owner_of(reg) is not None
        or cat.is_freemail(reg)
        or reg in cat.lookalike.known_domains
        or reg in data.well_known_domains
        or reg in data.shorteners
    ):
        return True
    if public_suffix(host) not in data.generic_suffixes:
        return False
    labels = host.split(".")
    # A two-label ASCII "stem.ext" whose ending is also a file extension reads as a file name
    # (command.com, README.org); a non-ASCII stem (アマゾン.com) is an IDN, never a file.
    return not (len(labels) == 2 and labels[0].isascii() and labels[1] in data.file_extensions)


def is_action_link(link: Link) -> bool:
    """A link that asks the reader to sign in, pay or confirm."""
    data = link_data()
    text = unicodedata.normalize("NFKC", link.text).lower()
    if any(w in text for w in data.action_words):
        return True
    try:
        path = urllib.parse.urlsplit(link.href).path.lower()
    except ValueError:
        return False
    return any(w in path for w in data.action_path_words)


def _userinfo(href: str) -> str | None:
    try:
        parts = urllib.parse.urlsplit(href.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or "@" not in parts.netloc:
        return None
    return urllib.parse.unquote(parts.netloc.rpartition("@")[0])


def link_findings(links: tuple[Link, ...]) -> list[Finding]:
    """Findings about the links themselves, independent of any brand claim."""
    from .lookalike import check_domain, plain_combosquat, registrable

    data = link_data()
    out: list[Finding] = []
    seen: set[tuple[str, str]] = set()

    def add(f: Finding) -> None:
        key = (f.code, f.params.get("host", "") + f.params.get("shown", ""))
        if key not in seen:
            seen.add(key)
            out.append(f)

    for link in links:
        host = link.host
        if host is None:
            continue
        ev = (link.href[:300],)
        info = _userinfo(link.href)
        if info is not None:
            add(
                Finding(
                    "link_userinfo_trick",
                    # Any domain-shaped userinfo is deceptive: real links never carry one.
                    Severity.DANGER if _domain_shape(info) else Severity.WARNING,
                    {"shown": info[:100], "host": host},
                    ev,
                )
            )
        if is_ip_host(host):
            add(Finding("link_raw_ip", Severity.WARNING, {"host": host}, ev))
            continue
        try:
            path = urllib.parse.urlsplit(link.href).path
        except ValueError:
            path = ""
        if host in data.shorteners:
            add(Finding("link_shortener", Severity.CAUTION, {"host": host}, ev))
        elif any(_matches(e, host, path) for e in data.redirectors):
            add(Finding("link_redirector", Severity.WARNING, {"host": host}, ev))
        elif any(_matches(e, host, path) for e in data.free_hosting):
            add(Finding("link_free_hosting", Severity.CAUTION, {"host": host}, ev))
        ascii_host = idna_to_ascii(host)
        if ascii_host != host:
            add(Finding("link_punycode", Severity.CAUTION, {"host": host, "ascii": ascii_host}, ev))
        match = check_domain(host)
        if match is not None:
            add(
                Finding(
                    "link_lookalike",
                    # A brand's name beside plain words: a danger only with a push or a
                    # sign-in link (verdict.analyse).
                    Severity.WARNING if plain_combosquat(match) else Severity.DANGER,
                    {"host": host, "technique": match.technique},
                    ev + ((match.detail,) if match.detail else ()),
                    brand=match.brand_id,
                )
            )
        if link.where in ("anchor", "area"):
            shown = shown_host(link.text)
            if shown and registrable(shown) != registrable(host):
                add(
                    Finding(
                        "link_text_mismatch",
                        Severity.WARNING,
                        {"shown": shown, "host": host},
                        (f"{link.text[:120]} → {link.href[:200]}",),
                    )
                )
    return out
