"""Authentication-Results headers (RFC 8601): parse them and decide which ones to believe.

Parsing uses the ``authres`` package; a header it rejects (Microsoft 365 writes no
authserv-id; some servers write stray ``;`` or comments) goes through a small tolerant
tokenizer instead, so a header never crashes the check and still yields what it says.

Trust (RFC 8601 §5, §7.2): any A-R may be forged by the sender, so only those written by the
user's own receiving infrastructure count, and position alone never proves that. An A-R is
trusted only when BOTH hold:
- its authserv-id is one the user's receiving server is known to write (``trusted_ids``: set
  in the options, or learned per account by the add-on from the id its server writes on
  every message); with no such id, nothing is trusted;
- it sits where only the receiving server writes: above the Received header at the trust
  boundary, or it is the FIRST A-R below that header (Gmail and others write their A-R just
  below their own Received) and comes before any further Received. Receivers prepend, so the
  sender's copies with the same id always sit below the real one and are never trusted.
The authserv-id of the topmost A-R in that place is reported (``zone_authserv_id``) so the
add-on can learn it; reporting it trusts nothing.

``Received-SPF`` in the same place is read by ``read_received_spf``. Its result is used only
as negative evidence (fail/softfail): a sender who forges one against itself gains nothing.

Hostile sizes: a value is cut at ``MAX_VALUE_CHARS`` and at most ``MAX_RESULTS`` results are
read, before any parser sees it. The strict ``authres`` package costs ~0.1 s per 8 KB value
(64 of them: 4 s), so it reads only the A-R values where the receiving server writes, up to
``MAX_STRICT_CHARS``; the rest (the sender's, shown but never trusted) get the linear reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..message import MessageView
from .results import AuthresEntry, ReceivedSpfResult

Headers = Sequence[tuple[str, str]]
MAX_VALUE_CHARS = 8192
MAX_RESULTS = 32
MAX_AUTHRES_HEADERS = 64
MAX_STRICT_CHARS = 2048  # real receivers' A-R values are well under 1 KB


def _split_top(text: str, sep: str, limit: int = 0) -> list[str]:
    """Split on ``sep`` outside comments and quoted strings; with ``limit``, at most that many
    parts are returned and the rest of the text is not read."""
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
            if limit and len(parts) >= limit:
                return [p.strip() for p in parts]
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
    # authserv-id plus MAX_RESULTS results are all that is ever read
    segments = [s for s in _split_top(value, ";", MAX_RESULTS + 1) if s.strip()]
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


def parse_authres(
    value: str, *, strict: bool = True
) -> tuple[str | None, list[tuple[str, str, list[tuple[str, str]]]]]:
    """One A-R value → (authserv-id, [(method, result, [("header.d", value), ...])]).

    ``strict``: try the RFC 8601 grammar first (for values up to ``MAX_STRICT_CHARS``)."""
    text = " ".join(value[:MAX_VALUE_CHARS].split())
    if text.lower().startswith("authentication-results:"):
        text = text.split(":", 1)[1].strip()
    if not strict or len(text) > MAX_STRICT_CHARS:
        return _tolerant_parse(text)
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
        aid = header.authserv_id
        return (str(aid).lower() if aid else None), results
    except Exception:  # noqa: BLE001 - any parse failure falls back to the tolerant reader
        return _tolerant_parse(text)


def _entry(value: str, trusted: bool, *, strict: bool = True) -> AuthresEntry:
    authserv_id, results = parse_authres(value, strict=strict)
    results = results[:MAX_RESULTS]
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


# The last header tuple's positions by lower-cased name: a check asks for three names, five
# times, of the same tuple (speed, issue 10). One entry, held with its tuple (compared by
# identity; a tuple cannot change under it). Other sequences are indexed on each call.
_LAST_POSITIONS: tuple[object, dict[str, list[int]]] = ((), {})


def _positions(headers: Headers, name: str) -> list[int]:
    """Positions of the headers named ``name`` (lower-case), in order (read only)."""
    global _LAST_POSITIONS
    held, index = _LAST_POSITIONS
    if held is not headers or type(headers) is not tuple:
        index = {}
        for i, (k, _) in enumerate(headers):
            index.setdefault(k.lower(), []).append(i)
        if type(headers) is tuple:
            _LAST_POSITIONS = (headers, index)
    return index.get(name, [])


def _boundary_position(headers: Headers, boundary: int | None) -> tuple[int, int] | None:
    """(position of the boundary Received, position of the next Received or the end)."""
    received_pos = _positions(headers, "received")
    if boundary is None or boundary >= len(received_pos):
        return None
    below = boundary + 1
    end = received_pos[below] if below < len(received_pos) else len(headers)
    return received_pos[boundary], end


def _zone_positions(headers: Headers, boundary: int | None, name: str) -> list[int]:
    """Positions of ``name`` headers the receiving server may have written (see module doc)."""
    place = _boundary_position(headers, boundary)
    if place is None:
        return []
    bpos, end = place
    found = [i for i in _positions(headers, name) if i < end]
    above = [i for i in found if i < bpos]
    below = [i for i in found if i > bpos]
    return above + below[:1]


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
    ids = {i.strip().lower() for i in trusted_ids if i.strip()}
    zone = set(_zone_positions(headers, boundary, "authentication-results"))
    found = [(pos, headers[pos][1]) for pos in _positions(headers, "authentication-results")][
        :MAX_AUTHRES_HEADERS
    ]
    out: list[AuthresEntry] = []
    for pos, value in found:
        entry = _entry(value, False, strict=pos in zone)
        trusted = pos in zone and bool(ids) and (entry.authserv_id or "") in ids
        out.append(
            AuthresEntry(
                authserv_id=entry.authserv_id,
                trusted=trusted,
                results=entry.results,
                details=entry.details,
                raw=entry.raw,
                in_zone=pos in zone,
            )
        )
    return tuple(out)


def zone_authserv_id(entries: Sequence[AuthresEntry]) -> str | None:
    """The authserv-id of the topmost A-R where the receiving server writes (for learning)."""
    return next((e.authserv_id for e in entries if e.in_zone and e.authserv_id), None)


_SPF_WORDS = frozenset({"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"})


def read_received_spf(headers: Headers, boundary: int | None) -> ReceivedSpfResult | None:
    """The receiving server's Received-SPF, if there is one where only it writes."""
    for pos in _zone_positions(headers, boundary, "received-spf"):
        value = " ".join(headers[pos][1][:MAX_VALUE_CHARS].split())
        word = value.split(" ", 1)[0].lower().rstrip(";")
        if word not in _SPF_WORDS:
            continue
        params: dict[str, str] = {}
        for part in _strip_comments(value).replace(";", " ").split():
            key, eq, val = part.partition("=")
            if eq:
                params.setdefault(key.lower(), val.strip('"<>'))
        return ReceivedSpfResult(
            result=word,
            envelope_from=params.get("envelope-from") or params.get("smtp.mailfrom"),
            helo=params.get("helo"),
            client_ip=params.get("client-ip"),
            raw=value[:300],
        )
    return None
