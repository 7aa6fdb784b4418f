"""Authentication-Results headers (RFC 8601): parse them and decide which ones to believe.

Parsing uses the ``authres`` package; a header it rejects (Microsoft 365 writes no
authserv-id; some servers write stray ``;`` or comments) goes through a small tolerant
tokenizer instead, so a header never crashes the check and still yields what it says.

Trust (RFC 8601 §5, §7.2): any A-R may be forged by the sender, so only those written by the
user's own receiving infrastructure count. The *trust zone* is the part of the header block
above the Received header just below the trust boundary (``boundary`` = index of the boundary
Received, topmost = 0); ``None`` means above the topmost Received. Within the zone:
- with ``trusted_ids``: an A-R whose authserv-id is in the list is trusted;
- by default: the topmost A-R is trusted, and so are the other A-Rs in the zone with the same
  authserv-id (Postfix milters write one header each for SPF, DKIM and DMARC).
Everything else is returned with ``trusted=False``: claimed by the message, not verified.
Deviation: RFC 8601 trusts a configured authserv-id anywhere (the border MTA is supposed to
delete forged copies); we also require it to sit in the trust zone, because not every MTA does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..message import MessageView
from .results import AuthresEntry

Headers = Sequence[tuple[str, str]]


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside comments and quoted strings."""
    parts: list[str] = []
    depth = 0
    quoted = False
    buf: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i : i + 2])
            i += 2
            continue
        if quoted:
            if ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif depth == 0 and (ch == sep or (sep == " " and ch.isspace())):
            parts.append("".join(buf))
            buf = []
            i += 1
            continue
        buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return [p.strip() for p in parts]


def _strip_comments(text: str) -> str:
    out: list[str] = []
    depth = 0
    quoted = False
    for ch in text:
        if quoted:
            out.append(ch)
            if ch == '"':
                quoted = False
            continue
        if ch == '"' and depth == 0:
            quoted = True
            out.append(ch)
        elif ch == "(":
            depth += 1
            out.append(" ")
        elif ch == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _tolerant_parse(value: str) -> tuple[str | None, list[tuple[str, str, list[tuple[str, str]]]]]:
    """authserv-id and (method, result, [(ptype.prop, value)]) without the strict grammar."""
    segments = [s for s in _split_top(value, ";") if s.strip()]
    authserv_id: str | None = None
    if segments:
        first_words = _strip_comments(segments[0]).split()
        if first_words and "=" not in first_words[0]:
            authserv_id = first_words[0].lower()
            segments = segments[1:]
    results: list[tuple[str, str, list[tuple[str, str]]]] = []
    for seg in segments:
        words = _strip_comments(seg).split()
        if not words or "=" not in words[0]:
            continue
        method, _, result = words[0].partition("=")
        method = method.partition("/")[0].strip().lower()
        props: list[tuple[str, str]] = []
        for w in words[1:]:
            key, eq, val = w.partition("=")
            if eq and "." in key:
                props.append((key.lower(), val.strip('"')))
        if method:
            results.append((method, result.strip().lower(), props))
    return authserv_id, results


def parse_authres(value: str) -> tuple[str | None, list[tuple[str, str, list[tuple[str, str]]]]]:
    """One A-R value → (authserv-id, [(method, result, [("header.d", value), ...])])."""
    text = " ".join(value.split())
    if text.lower().startswith("authentication-results:"):
        text = text.split(":", 1)[1].strip()
    try:
        import authres  # lazily: only messages with A-R headers pay for it

        header: Any = authres.AuthenticationResultsHeader.parse_value(text)
        results = [
            (
                str(r.method).lower(),
                str(r.result).lower(),
                [(f"{p.type}.{p.name}", str(p.value)) for p in r.properties],
            )
            for r in header.results
        ]
        return header.authserv_id, results
    except Exception:  # noqa: BLE001 - any parse failure falls back to the tolerant reader
        return _tolerant_parse(text)


def _entry(value: str, trusted: bool) -> AuthresEntry:
    authserv_id, results = parse_authres(value)
    summary: dict[str, str] = {}
    details: dict[str, str] = {}
    by_method: dict[str, list[tuple[str, list[tuple[str, str]]]]] = {}
    for method, result, props in results:
        by_method.setdefault(method, []).append((result, props))
    for method, items in by_method.items():
        # Several results for one method (one per DKIM signature): pass wins, as in DKIM.
        chosen = next((it for it in items if it[0] == "pass"), items[0])
        summary[method] = chosen[0]
        for key, val in chosen[1]:
            details.setdefault(f"{method}.{key}", val)
        if len(items) > 1:
            details[f"{method}.all"] = ", ".join(
                r + "".join(f" {k}={v}" for k, v in p if k == "header.d") for r, p in items
            )
    return AuthresEntry(
        authserv_id=authserv_id, trusted=trusted, results=summary, details=details, raw=value
    )


def read_authres(
    view_or_headers: MessageView | Headers,
    *,
    trusted_ids: Sequence[str] = (),
    boundary: int | None = 0,
) -> tuple[AuthresEntry, ...]:
    """Every Authentication-Results header, topmost first, each marked trusted or not."""
    headers: Headers = (
        view_or_headers.headers if isinstance(view_or_headers, MessageView) else view_or_headers
    )
    received_pos = [i for i, (k, _) in enumerate(headers) if k.lower() == "received"]
    if boundary is None:
        zone_end = received_pos[0] if received_pos else len(headers)
    else:
        below = boundary + 1
        zone_end = received_pos[below] if below < len(received_pos) else len(headers)
    ids = {i.strip().lower() for i in trusted_ids if i.strip()}
    found = [
        (pos, v) for pos, (k, v) in enumerate(headers) if k.lower() == "authentication-results"
    ]
    parsed = [(pos, _entry(v, False)) for pos, v in found]
    out: list[AuthresEntry] = []
    top_id: str | None = None
    top_seen = False
    for pos, entry in parsed:
        in_zone = pos < zone_end
        if ids:
            trusted = in_zone and (entry.authserv_id or "") in ids
        elif in_zone and not top_seen:
            top_seen = True
            top_id = entry.authserv_id
            trusted = True
        else:
            trusted = in_zone and top_id is not None and entry.authserv_id == top_id
        out.append(
            AuthresEntry(
                authserv_id=entry.authserv_id,
                trusted=trusted,
                results=entry.results,
                details=entry.details,
                raw=entry.raw,
            )
        )
    return tuple(out)
