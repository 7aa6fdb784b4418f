"""The trust boundary: which Received header was added by the user's own receiving server.

RFC 5321 §4.4 gives the Received clauses ``from``/``by``/``via``/``with``/``id``/``for`` and
the date after ``;``; RFC 5322 §3.6.7 makes the value free-form enough that every MTA writes
its own dialect. ``parse_received`` reads the ones seen in practice (Postfix, Exim, Sendmail,
qmail, Gmail, Microsoft 365, IPv6 literals ``[IPv6:…]``) and never raises.

Everything below the boundary was written by machines we do not trust; the boundary header's
``from`` clause names the client that handed the message to the user's infrastructure, which
is the IP and HELO SPF must check (RFC 7208 §2.1/§2.4).

Choosing the boundary (``find_boundary``):
- ``trusted_receivers`` given: starting at the topmost header whose ``by`` host is one of
  those names (or a subdomain), move down while the next header is also "by" a trusted name
  and the current header's client is provably ours (rDNS in those names, or an internal IP);
- otherwise the ``trusted_hops``-th header from the top (default 1: the topmost);
- either way, while the chosen hop's client IP is loopback/private/link-local (an internal
  relay or LMTP delivery inside the receiving infrastructure, which wrote the next header
  down too), or the hop names no client at all (``Received: by … with SMTP id``), we move one
  header down, at most ``MAX_INTERNAL_HOPS`` times.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..memo import StrCache

MAX_INTERNAL_HOPS = 4
_KEYWORDS = frozenset({"from", "by", "via", "with", "id", "for"})


@dataclass(frozen=True)
class ReceivedHop:
    raw: str
    helo: str | None = None  # what the client said in HELO/EHLO
    rdns: str | None = None  # the receiver's reverse-DNS name of the client, when given
    ip: str | None = None  # the client IP (normalised, without brackets or IPv6: prefix)
    by: str | None = None  # the receiving host
    with_: str | None = None
    id: str | None = None
    for_: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class Boundary:
    index: int  # position in the Received list, topmost = 0
    hop: ReceivedHop
    how: str  # why this header was chosen, for the evidence


# _tokens' pieces (speed, issue 10: a per-character loop was most of the Received parse): a
# word runs to white space or "(" outside brackets, and a bracket runs to its "]" or the end
_SPACE_RUN_RE = re.compile(r"\s*")
_WORD_RE = re.compile(r"(?:[^\s(\[]|\[[^\]]*\]?)+")
_COMMENT_MARK_RE = re.compile(r"[\\()]")
_DATE_MARK_RE = re.compile(r"[();]")


def _tokens(text: str) -> list[tuple[str, str]]:
    """Split into ("word", w) and ("comment", inner text) at top level; brackets stay in words.

    A comment nests and takes backslash escapes; one left open runs to the end."""
    out: list[tuple[str, str]] = []
    n = len(text)
    i = _SPACE_RUN_RE.match(text).end()  # type: ignore[union-attr]  # \s* always matches
    while i < n:
        if text[i] == "(":
            depth, j = 1, i + 1
            while depth:
                m = _COMMENT_MARK_RE.search(text, j)
                if m is None:
                    j = n
                    break
                j = m.start()
                mark = text[j]
                if mark == "\\":
                    j += 2  # the escaped character is no mark
                    continue
                depth += 1 if mark == "(" else -1
                j += 1
            out.append(("comment", text[i + 1 : j - 1 if depth == 0 else j]))
        else:
            j = _WORD_RE.match(text, i).end()  # type: ignore[union-attr]  # text[i] is no space
            out.append(("word", text[i:j]))
        i = _SPACE_RUN_RE.match(text, j).end()  # type: ignore[union-attr]
    return out


def _split_date(value: str) -> tuple[str, str | None]:
    """(clauses, date): split at the last ";" outside comments (an unmatched ")" is ignored)."""
    depth = 0
    last = -1
    for m in _DATE_MARK_RE.finditer(value):  # only the three marks matter (speed)
        ch = m.group()
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif depth == 0:
            last = m.start()
    if last < 0:
        return value, None
    return value[:last], value[last + 1 :].strip() or None


# The same relays' addresses come back mail after mail, and ipaddress parses in Python (an
# IPv6 address after a failed IPv4 attempt): both functions below are pure, and memoised on
# keys up to 100 characters (speed, issue 10; StrCache: no lock or LRU order per call).
def _as_ip_uncached(token: str) -> str | None:
    t = token.strip().strip("[]()<>,;").strip()
    if t.lower().startswith("ipv6:"):
        t = t[5:]
    if not t or not (t[0].isdigit() or t[0] in ":abcdefABCDEF"):
        return None
    try:
        addr = ipaddress.ip_address(t)
    except ValueError:
        # "[192.0.2.1]:25" or "192.0.2.1:25": a port after an IPv4 address
        head, sep, port = t.rpartition(":")
        if sep and port.isdigit() and "." in head:
            try:
                addr = ipaddress.ip_address(head.strip("[]"))
            except ValueError:
                return None
        else:
            return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


_as_ip = StrCache(_as_ip_uncached, 2048, 100)


def _host(word: str) -> str | None:
    w = word.strip().strip("<>,;").rstrip(".").lower()
    if not w or w == "unknown" or w.startswith("["):
        return None
    if all(ch.isalnum() or ch in "-._" for ch in w):
        return w
    return None


def parse_received(value: str) -> ReceivedHop:
    """One Received value → its clauses. Unknown dialects give a hop with fewer fields."""
    text = " ".join(value.split())
    body, date = _split_date(text)
    clauses: dict[str, list[tuple[str, str]]] = {}
    current: str | None = None
    for kind, tok in _tokens(body):
        if kind == "word" and tok.lower() in _KEYWORDS and tok.lower() not in clauses:
            current = tok.lower()
            clauses[current] = []
            continue
        if current is not None:
            clauses[current].append((kind, tok))

    helo: str | None = None
    rdns: str | None = None
    ip: str | None = None
    from_clause = clauses.get("from", [])
    bracketed_ip: str | None = None
    loose_ip: str | None = None
    for idx, (kind, tok) in enumerate(from_clause):
        if kind == "word":
            if idx == 0:
                literal = _as_ip(tok) if tok.startswith("[") else None
                if literal:
                    bracketed_ip = bracketed_ip or literal  # Exim: from [192.0.2.1] (helo=x)
                else:
                    helo = tok.strip().rstrip(".") or None
            continue
        words = tok.split()
        for k, w in enumerate(words):
            lw = w.lower()
            if lw.startswith("helo="):  # Exim
                helo = w[5:].strip().rstrip(".") or helo
                continue
            if lw == "helo" and k + 1 < len(words):  # qmail: (HELO mail.example.com)
                helo = words[k + 1].rstrip(".") or helo
                continue
            cand = _as_ip(w)
            if cand is None:
                continue
            if w.startswith("["):
                if bracketed_ip is None:
                    bracketed_ip = cand
                    # Postfix/Sendmail/Gmail: (rdns [ip]); the word before is the rDNS name
                    if k > 0:
                        rdns = _host(words[k - 1])
            elif loose_ip is None:
                loose_ip = cand  # Microsoft/qmail: (192.0.2.1)
    ip = bracketed_ip or loose_ip

    def first_word(name: str) -> str | None:
        for kind, tok in clauses.get(name, []):
            if kind == "word":
                return tok.strip().rstrip(".;") or None
        return None

    return ReceivedHop(
        raw=value,
        helo=helo,
        rdns=rdns,
        ip=ip,
        by=(first_word("by") or "").lower() or None,
        with_=first_word("with"),
        id=first_word("id"),
        for_=(first_word("for") or "").strip("<>") or None,
        date=date,
    )


# Addresses that only an internal relay can have. Deliberately narrower than
# ``ip_address.is_private``, which also covers the documentation ranges (192.0.2.0/24, ...).
_INTERNAL_NETS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


def _internal(ip: str | None) -> bool:
    return ip is not None and _internal_ip(ip)


def _internal_ip_uncached(ip: str) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    # As ``addr in net`` for each network, on integers (speed, issue 10: the ipaddress
    # containment test is a chain of Python calls per network)
    value = int(addr)
    return any(
        version == addr.version and low <= value <= high for version, low, high in _INTERNAL_RANGES
    )


_internal_ip = StrCache(_internal_ip_uncached, 2048, 100)


_INTERNAL_RANGES = tuple(
    (net.version, int(net.network_address), int(net.broadcast_address)) for net in _INTERNAL_NETS
)


def _matches(host: str | None, names: Sequence[str]) -> bool:
    if not host:
        return False
    h = host.lower().rstrip(".")
    for name in names:
        n = name.lower().strip().rstrip(".")
        if n and (h == n or h.endswith("." + n)):
            return True
    return False


class _LazyHops:
    """Parses a Received header only when the boundary search looks at it."""

    def __init__(self, values: Sequence[str]) -> None:
        self._values = values
        self._parsed: dict[int, ReceivedHop] = {}

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, i: int) -> ReceivedHop:
        hop = self._parsed.get(i)
        if hop is None:
            hop = self._parsed[i] = parse_received(self._values[i])
        return hop

    def enumerate(self) -> Iterator[tuple[int, ReceivedHop]]:
        for i in range(len(self._values)):
            yield i, self[i]


def _no_client(hop: ReceivedHop) -> bool:
    """A Received with no ``from`` client at all ("by 2002:… with SMTP id"): an internal step
    of the receiving infrastructure (Gmail writes one above its MX's header)."""
    return hop.ip is None and hop.helo is None and hop.rdns is None


def find_boundary(
    received: Sequence[str],
    *,
    trusted_hops: int = 1,
    trusted_receivers: Sequence[str] = (),
) -> Boundary | None:
    """The Received header at the trust boundary (topmost = index 0), or None if there is none."""
    if not received:
        return None
    hops = _LazyHops(received[: max(trusted_hops, 1) + 16])
    if trusted_receivers:
        start = next((i for i, h in hops.enumerate() if _matches(h.by, trusted_receivers)), None)
        if start is None:
            return None
        index = start
        # Go one header down only when this hop's client is provably ours too (its rDNS, as
        # looked up by our receiver, is a trusted name, or its IP is internal): a HELO name is
        # the client's claim, and a forged lower header can name our receiver in "by".
        while (
            index + 1 < len(hops)
            and _matches(hops[index + 1].by, trusted_receivers)
            and (_matches(hops[index].rdns, trusted_receivers) or _internal(hops[index].ip))
        ):
            index += 1
        how = f"lowest Received by a trusted receiver ({hops[index].by})"
    else:
        index = max(trusted_hops, 1) - 1
        if index >= len(hops):
            return None
        how = "topmost Received" if index == 0 else f"Received #{index + 1} from the top"
    skipped = 0
    while (
        (_internal(hops[index].ip) or _no_client(hops[index]))
        and index + 1 < len(hops)
        and skipped < MAX_INTERNAL_HOPS
    ):
        index += 1
        skipped += 1
    if skipped:
        how += f", {skipped} internal hop(s) skipped"
    return Boundary(index=index, hop=hops[index], how=how)
