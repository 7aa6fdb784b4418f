"""Link findings: where a message's links really go, and what they pretend.

Checks each link of the message view for: anchor text that shows one host while the href goes
to another; hosts that imitate a brand; raw-IP hosts; URL shorteners, open redirectors and free
hosting (data/links.json); ``userinfo@`` tricks (``https://amazon.co.jp@evil.top/``); punycode
hosts, shown decoded beside the ASCII form. Whether a claimed brand's sign-in links go elsewhere
is decided in ``verdict``, which knows the claim; this module marks the action links.
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

from .findings import Finding, Severity
from .message import Link, idna_to_ascii, url_host


@dataclass(frozen=True)
class LinkData:
    shorteners: frozenset[str]
    redirectors: tuple[str, ...]
    free_hosting: tuple[str, ...]
    action_words: tuple[str, ...]
    action_path_words: tuple[str, ...]


@cache
def link_data() -> LinkData:
    raw = json.loads(resources.files("minuku.data").joinpath("links.json").read_text("utf-8"))
    return LinkData(
        shorteners=frozenset(raw["shorteners"]),
        redirectors=tuple(raw["redirectors"]),
        free_hosting=tuple(raw["free_hosting"]),
        action_words=tuple(raw["action_words"]),
        action_path_words=tuple(raw["action_path_words"]),
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


def shown_host(text: str) -> str | None:
    """The host that anchor text presents to the reader, if it looks like a URL or a domain."""
    t = unicodedata.normalize("NFKC", text).strip().strip("<>()[]「」")
    if not t or " " in t:
        return None
    host = url_host(t)
    if host:
        return host
    # "www.amazon.co.jp/..." or "amazon.co.jp" written without a scheme
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
    from .lookalike import check_domain, registrable

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
                    Severity.DANGER if shown_host(info) else Severity.WARNING,
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
                    Severity.DANGER,
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
