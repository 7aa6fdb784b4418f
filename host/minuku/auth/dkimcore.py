"""The parts of DKIM and ARC verification we do ourselves instead of dkimpy (RFC 6376, RFC 8617).

dkimpy 1.1.8 is correct on ordinary mail but super-linear on hostile mail, and wrong on a few
points of RFC 6376; this module replaces exactly those parts and keeps dkimpy for the rest
(canonicalization algorithms, RSA/ed25519 key parsing, PKCS #1 encoding):

- Splitting the header (``rfc822_parse``) appends each folded line to a growing ``bytes``: a
  2 MB header of folded lines took ~19 s. ``split_message`` is linear and refuses, with
  ``HeaderTooLarge``, a header block over ``MAX_HEADER_BYTES`` or with more than
  ``MAX_HEADER_FIELDS`` fields; the caller reports the signatures as ``permerror``
  ``header_too_large`` (an unverified signature never vouches for anything, so this is safe).
- Removing the ``b=`` value before hashing (``RE_BTAG``, nested quantifiers over folding white
  space) and the ``b=``/``bh=`` syntax check in ``validate_signature_fields`` backtrack
  quadratically (~0.4 s each on an 8 KB field). ``strip_b_value`` removes exactly what dkimpy's
  pattern removes, with a pattern that cannot backtrack; ``validate_fields`` checks the tags
  with linear tests. Signature fields over ``MAX_SIGNATURE_FIELD`` and ``h=`` lists over
  ``MAX_SIGNED_FIELDS`` entries are not verified at all.
- ``select_headers`` rescans the whole header once per ``h=`` name (fields x entries); ours
  indexes the fields by name once per canonicalization.
- ``i=`` is dkim-quoted-printable (RFC 6376 §2.11, §3.5): dkimpy compares it undecoded;
  ``decode_identity`` decodes it. ``q=`` is a colon-separated list (§3.5): dkimpy accepts only
  the exact string ``dns/txt``; ``validate_fields`` accepts any list containing it.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Sequence
from typing import Any

from dkim.canonicalization import CanonicalizationPolicy
from dkim.crypto import HASH_ALGORITHMS, DigestTooLargeError, EMSA_PKCS1_v1_5_encode

MAX_HEADER_BYTES = 256 * 1024  # the header block; real mail stays far below (a few KB)
MAX_HEADER_FIELDS = 1000
MAX_SIGNATURE_FIELD = 8 * 1024  # one DKIM-Signature / ARC field; real ones are under 2 KB
MAX_SIGNED_FIELDS = 256  # h= entries; real signers list at most a few dozen
T_SLOP = 36000  # dkimpy's 10 h allowance for a t= in the future

DKIM_ALGORITHMS = frozenset(HASH_ALGORITHMS)  # rsa-sha1, rsa-sha256, ed25519-sha256
# RFC 8617 §4.1.2/§4.1.3 use DKIM's algorithms; RFC 8301 forbids rsa-sha1, RFC 8463 adds ed25519.
ARC_ALGORITHMS = frozenset({b"rsa-sha256", b"ed25519-sha256"})

Field = tuple[bytes, bytes]


class HeaderTooLarge(Exception):
    """The header block, its field count or one field is beyond what we verify."""


class MessageFormatError(Exception):
    """The header cannot be split into fields (dkimpy raises the same)."""


class SignatureSyntaxError(Exception):
    """A tag of a signature field is missing or malformed; ``reason`` is the result code."""

    def __init__(self, detail: str, reason: str = "syntax") -> None:
        super().__init__(detail)
        self.reason = reason


_BLANK_LINE = re.compile(rb"\n\r?\n")
# dkimpy's non-greedy ``([\x21-\x7e]+?):`` without its backtracking (a first ":" may be a name)
_FIELD_NAME = re.compile(rb"[\x21-\x7e][\x21-\x39\x3b-\x7e]*:")
_WSP = re.compile(rb"\s+")
_BASE64 = re.compile(rb"[A-Za-z0-9+/]+={0,2}")
# dkimpy's RE_BTAG ``([;\s]b FWS =)(?:FWS [base64 char])*(?:\r?\n\Z)?`` with FWS rewritten as
# ``\s*`` (the same language): it removes the run of base64 characters and white space after
# "b=" up to its last non-space character, plus a final line break. No nested quantifier.
_BTAG = re.compile(rb"([;\s]b\s*=)(?:[\sA-Za-z0-9+/=]*[A-Za-z0-9+/=])?(?:\r?\n\Z)?")


def _crlf(body: bytes) -> bytes:
    """Every ``\r?\n`` as CRLF, a bare CR kept (as dkimpy's split and join), at memory speed."""
    if body.count(b"\n") == body.count(b"\r\n"):
        return body
    return body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


_FIELD_SCAN_BYTES = 1 << 20  # header blocks up to this size are lowered and searched fast


def head_has_field(raw: bytes, slow: re.Pattern[bytes], fast: re.Pattern[bytes]) -> bool:
    """Whether the header block (up to the first empty line) has a field ``slow`` finds:
    ``slow`` is ``(?im)^name[ \t]*:``; ``fast`` is the same without ``(?im)^``, lower-case and
    led by ``\n``, searched in a lowered copy of the block behind a LF (sre skips ahead by a
    literal prefix; the case-insensitive ``^`` pattern tries every position). Bytes patterns
    fold ASCII case only, as ``bytes.lower`` does: the same answer."""
    blank = _BLANK_LINE.search(raw)
    end = blank.start() + 1 if blank else len(raw)
    if end > _FIELD_SCAN_BYTES:
        return slow.search(raw, 0, end) is not None
    return fast.search(b"\n" + raw[:end].lower()) is not None


def split_message(raw: bytes) -> tuple[list[Field], bytes]:
    """Header fields and CRLF body exactly as dkimpy's ``rfc822_parse``, in linear time.

    Field values keep their line breaks as CRLF (each line ends with one); the body has every
    line break turned into CRLF. Raises ``HeaderTooLarge`` or ``MessageFormatError``.
    """
    fields, start = split_header(raw)
    return fields, _crlf(raw[start:])


def split_header(raw: bytes) -> tuple[list[Field], int]:
    """``split_message`` without the body copy: the fields, and where the body starts in
    ``raw`` (the body is ``_crlf(raw[start:])``; ``canonical_chunks`` reads it in place)."""
    if raw.startswith((b"\n", b"\r\n")):
        return [], raw.index(b"\n") + 1
    blank = _BLANK_LINE.search(raw, 0, MAX_HEADER_BYTES + 3)
    if blank is None:
        if len(raw) > MAX_HEADER_BYTES:
            raise HeaderTooLarge(f"header block over {MAX_HEADER_BYTES} bytes")
        head, start = raw, len(raw)
    else:
        head, start = raw[: blank.start() + 1], blank.end()
    if len(head) > MAX_HEADER_BYTES:
        raise HeaderTooLarge(f"header block over {MAX_HEADER_BYTES} bytes")
    fast = _fields_fast(head)
    if fast is not None:
        return fast, start
    return _fields_by_line(head), start


# One field: its name (as _FIELD_NAME), the rest of its line and its continuation lines
_FIELD_RUN = re.compile(rb"([\x21-\x7e][\x21-\x39\x3b-\x7e]*):([^\n]*(?:\n[ \t][^\n]*)*)(?:\n|\Z)")


def _fields_fast(head: bytes) -> list[Field] | None:
    """``_fields_by_line(head)`` one regex match per field instead of a loop per line (speed,
    issue 10: the header block is split for DKIM on every mail); None for anything but plain
    fields and continuations (a "From " line, a stray line, too many fields): the line loop
    then gives its answer or its error.

    Lines end at LF, each taking one CR before it: replacing CRLF by LF does exactly that
    ("x\r\r\n" keeps one CR, as the loop does); every LF then gets its CR back, once for the
    whole block, so that a value is a slice ending in CRLF (or, on the block's last line
    with no line break, gets one)."""
    text = head.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    fields: list[Field] = []
    pos, end = 0, len(text)
    match = _FIELD_RUN.match
    while pos < end:
        m = match(text, pos)
        if m is None or len(fields) >= MAX_HEADER_FIELDS:
            return None
        pos = m.end()
        value_end = m.end(2)
        value = text[m.start(2) : pos] if pos > value_end else m.group(2) + b"\r\n"
        fields.append((m.group(1), value))
    return fields


def _fields_by_line(head: bytes) -> list[Field]:
    """The header block's fields, one line at a time, as dkimpy's ``rfc822_parse``."""
    # re.split(rb"\r?\n", head) without the regex (it has no literal to skip ahead by): each LF
    # ends a line and takes the one CR right before it, if any
    pieces = head.split(b"\n")
    lines = [p[:-1] if p.endswith(b"\r") else p for p in pieces[:-1]]
    lines.append(pieces[-1])
    if lines and not lines[-1]:
        lines.pop()
    fields: list[tuple[bytes, list[bytes]]] = []
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            if not fields:
                raise MessageFormatError("continuation line before the first field")
            fields[-1][1].append(line)
            continue
        match = _FIELD_NAME.match(line)
        if match is not None:
            fields.append((line[: match.end() - 1], [line[match.end() :]]))
            if len(fields) > MAX_HEADER_FIELDS:
                raise HeaderTooLarge(f"more than {MAX_HEADER_FIELDS} header fields")
        elif not line.startswith(b"From "):
            raise MessageFormatError("a header line that is neither a field nor folded")
    return [(name, b"\r\n".join(parts) + b"\r\n") for name, parts in fields]


_CRLF_TAIL = re.compile(rb"(?:\n\r)*")


def _strip_trailing_lines(body: bytes) -> bytes:
    """dkimpy's ``strip_trailing_lines`` (keep one final CRLF, add one when missing) without
    its loop of one step per trailing line: the run of CRLF pairs is measured on the reversed
    tail, where an anchored greedy match cannot backtrack."""
    tail = body[len(body.rstrip(b"\r\n")) :]
    match = _CRLF_TAIL.match(tail[::-1])
    run = match.end() if match else 0
    if run == 0:
        return body + b"\r\n"
    return body[: len(body) - run + 2]


def canonical_body(algorithm: bytes, body: bytes) -> bytes:
    """The body under ``simple`` or ``relaxed`` (RFC 6376 §3.4.3, §3.4.4), linear in its size.

    dkimpy's relaxed body strips trailing white space with ``[\t ]+\r\n``, which backtracks
    quadratically on a long run of spaces not followed by a line break (a hang on a few hundred
    KB). Here white space runs are first reduced to one space, then a space before CRLF is
    dropped: the same result, as no two white space characters are left next to each other.
    """
    if algorithm == b"simple":
        return _strip_trailing_lines(body)
    if algorithm != b"relaxed":
        raise ValueError("unknown body canonicalization")
    # bytes.replace runs at memory speed; re.sub costs ~0.5 µs per run (2 s on 32 MB of text).
    reduced = body.replace(b"\t", b" ")
    while b"  " in reduced:
        reduced = reduced.replace(b"    ", b" ").replace(b"  ", b" ")
    reduced = reduced.replace(b" \r\n", b"\r\n")
    stripped = _strip_trailing_lines(reduced)
    return b"" if stripped == b"\r\n" else stripped


CHUNK_BYTES = 1 << 20  # body bytes canonicalized at a time (memory: a few chunks, not copies)
_SPACES = b" \t"
_NOT_BREAKING = b" \t\r\n"


def _chunk_ends(data: bytes, start: int, size: int) -> Iterator[int]:
    """End offsets of the pieces ``data[start:]`` is read in: each ends just after a LF, so
    no CRLF, white space run or " CRLF" straddles two pieces; a line longer than ``size`` is
    cut between two bytes that are neither white space nor CR/LF (when it has such a place)."""
    pos, end = start, len(data)
    while pos < end:
        if end - pos <= size:
            yield end
            return
        nl = data.find(b"\n", pos + size)
        cut = end if nl < 0 else nl + 1
        if cut - pos > 2 * size:  # a very long line: cut it where canonicalization is local
            for i in range(pos + size, min(cut, pos + 2 * size)):
                if data[i - 1] not in _NOT_BREAKING and data[i] not in _NOT_BREAKING:
                    cut = i
                    break
        yield cut
        pos = cut


def _trailing_pairs(chunk: bytes) -> int:
    """How many CRLF pairs end ``chunk`` (as ``_strip_trailing_lines`` counts them)."""
    tail = chunk[len(chunk.rstrip(b"\r\n")) :]
    match = _CRLF_TAIL.match(tail[::-1])
    return (match.end() if match else 0) // 2


def canonical_chunks(
    algorithm: bytes, data: bytes, start: int, size: int = CHUNK_BYTES
) -> Iterator[bytes]:
    """``canonical_body(algorithm, _crlf(data[start:]))`` in pieces, without ever holding the
    whole body (a 30 MB message was copied three times to hash it). Same bytes, in order:
    line breaks become CRLF and relaxed white space is reduced piece by piece (no run
    straddles two pieces, see ``_chunk_ends``); trailing CRLFs are held back until content
    follows them, so the empty lines at the end are dropped as ``_strip_trailing_lines`` does."""
    if algorithm not in (b"simple", b"relaxed"):
        raise ValueError("unknown body canonicalization")
    relaxed = algorithm == b"relaxed"
    pending = 0  # CRLF pairs seen at the end so far, not yet known to be inside the body
    content = False
    pos = start
    for cut in _chunk_ends(data, start, size):
        piece = data[pos:cut].replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        pos = cut
        if relaxed:
            piece = piece.replace(b"\t", b" ")
            while b"  " in piece:
                piece = piece.replace(b"    ", b" ").replace(b"  ", b" ")
            piece = piece.replace(b" \r\n", b"\r\n")
        pairs = _trailing_pairs(piece)
        if 2 * pairs == len(piece):
            pending += pairs
            continue
        while pending:
            run = min(pending, size // 2 or 1)
            yield b"\r\n" * run
            pending -= run
        content = True
        yield piece[: len(piece) - 2 * pairs] if pairs else piece
        pending = pairs
    if relaxed and not content:
        return  # relaxed: an empty (or all-blank) body is empty (RFC 6376 §3.4.4)
    yield b"\r\n"


def strip_b_value(value: bytes) -> bytes:
    """The field value with the ``b=`` value removed (RFC 6376 §3.7), as dkimpy removes it."""
    return _BTAG.sub(rb"\1", value)


def signed_names(h_value: bytes) -> list[bytes]:
    """The ``h=`` list, lower-cased (RFC 6376 §3.5); raises HeaderTooLarge past the cap."""
    if h_value.count(b":") >= MAX_SIGNED_FIELDS:
        raise HeaderTooLarge(f"h= lists more than {MAX_SIGNED_FIELDS} fields")
    return [name.strip().lower() for name in h_value.split(b":")]


def select_headers(headers: Sequence[Field], include: Sequence[bytes]) -> list[Field]:
    """dkimpy's ``select_headers`` (each name picks the next instance from the bottom, RFC 6376
    §5.4.2) with one index of the fields instead of one scan per name."""
    positions: dict[bytes, list[int]] = {}
    for index, (name, _value) in enumerate(headers):
        positions.setdefault(name.lower(), []).append(index)
    selected = []
    for name in include:
        found = positions.get(name)
        if found:
            selected.append(headers[found.pop()])
    return selected


def relaxed_header(field: Field) -> Field:
    """dkimpy's relaxed header canonicalization of one field (RFC 6376 §3.4.2) with
    ``bytes.replace`` instead of its two regex passes (``\r?\n`` removed, ``[\t ]+`` to one
    space): the same bytes, several times faster on long folded fields."""
    name, value = field
    value = value.replace(b"\r\n", b"").replace(b"\n", b"").replace(b"\t", b" ")
    while b"  " in value:
        value = value.replace(b"    ", b" ").replace(b"  ", b" ")
    return name.lower().rstrip(), value.strip() + b"\r\n"


class CanonicalHeaders:
    """The message's header fields under each canonicalization, each field canonicalized on
    first use: a signature hashes a dozen of a message's fields, not its hundred Received."""

    def __init__(self, headers: Sequence[Field]) -> None:
        self.headers = list(headers)
        self._done: dict[tuple[bytes, int], Field] = {}
        self._positions: dict[bytes, list[int]] | None = None

    def field(self, policy: Any, index: int) -> Field:
        """Field ``index`` under ``policy``'s header canonicalization (field by field, as
        dkimpy's ``canonicalize_headers`` maps each field on its own)."""
        name: bytes = policy.header_algorithm.name
        key = (name, index)
        got = self._done.get(key)
        if got is None:
            header = self.headers[index]
            if name == b"relaxed":
                got = relaxed_header(header)
            else:
                got = policy.canonicalize_headers([header])[0]
            self._done[key] = got
        return got

    def under(self, policy: Any) -> list[Field]:
        return [self.field(policy, i) for i in range(len(self.headers))]

    def select(self, policy: Any, include: Sequence[bytes]) -> list[Field]:
        """``select_headers(self.under(policy), include)`` canonicalizing only what is picked.
        Names are matched lower-cased, as there; a field name holds no white space (see
        ``_FIELD_NAME``), so relaxed's ``rstrip`` of the name changes nothing to the match."""
        if self._positions is None:
            self._positions = {}
            for index, (name, _value) in enumerate(self.headers):
                self._positions.setdefault(name.lower(), []).append(index)
        used: dict[bytes, int] = {}
        selected = []
        for name in include:
            found = self._positions.get(name)
            n = used.get(name, 0)
            if found and n < len(found):
                selected.append(self.field(policy, found[len(found) - 1 - n]))
                used[name] = n + 1
        return selected


class SplitMessage:
    """``split_message(raw)`` and the canonical forms of its parts, worked out once per message
    for DKIM and ARC together; the split's exception, if any, is raised to each caller."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self._got: tuple[list[Field], int] | Exception | None = None
        self._canonical: CanonicalHeaders | None = None
        self.bodies: dict[bytes, Any] = {}  # for the callers' CanonicalBody, keyed by kind

    def parts(self) -> tuple[list[Field], int]:
        """(header fields, body start in ``raw``), as ``split_header``."""
        if self._got is None:
            try:
                self._got = split_header(self.raw)
            except (HeaderTooLarge, MessageFormatError) as exc:
                self._got = exc
        if isinstance(self._got, Exception):
            raise self._got
        return self._got

    def canonical_headers(self) -> CanonicalHeaders:
        if self._canonical is None:
            self._canonical = CanonicalHeaders(self.parts()[0])
        return self._canonical


def header_digest(
    algorithm: bytes,
    policy: Any,
    canonical: CanonicalHeaders,
    include: Sequence[bytes],
    sig_field: Field,
) -> Any:
    """The hash over the signed fields and the signature field without its b= value (§3.7)."""
    hasher = HASH_ALGORITHMS[algorithm]()
    include = list(include)
    if b"from" in include:
        # As dkimpy (its bug #644046): a second From field breaks the signature.
        include.append(b"from")
    signed = canonical.select(policy, include)
    stripped = (sig_field[0], strip_b_value(sig_field[1]))
    if policy.header_algorithm.name == b"relaxed":
        own = [relaxed_header(stripped)]
    else:
        own = policy.canonicalize_headers([stripped])
    for name, value in [*signed, *((n, v.rstrip()) for n, v in own)]:
        hasher.update(name)
        hasher.update(b":")
        hasher.update(value)
    return hasher


def rsa_verify(digest: Any, signature: bytes, pk: dict[str, int]) -> bool:
    """dkimpy's ``RSASSA_PKCS1_v1_5_verify`` (RFC 8017 §8.2.2) with the integer conversions
    done by ``int.from_bytes``/``to_bytes``: dkimpy converts byte by byte in Python, which
    cost more than the modular exponentiation itself. Same inputs, same answers, same errors
    (DigestTooLargeError for a short modulus, ValueError for a zero one)."""
    modulus = pk["modulus"]
    modlen = max(1, (modulus.bit_length() + 7) // 8)  # dkimpy: len(int2str(modulus))
    encoded = EMSA_PKCS1_v1_5_encode(digest, modlen)
    signed = pow(int.from_bytes(signature, "big"), pk["publicExponent"], modulus)
    return bool(signed.to_bytes(modlen, "big") == encoded)


def signature_valid(ktag: bytes, pk: Any, digest: Any, b_value: bytes) -> bool:
    """Check ``b=`` against the header hash with an RSA or ed25519 key (RFC 8463 §3)."""
    signature = base64.b64decode(_WSP.sub(b"", b_value))
    if ktag == b"rsa":
        try:
            return rsa_verify(digest, signature, pk)
        except (TypeError, ValueError, DigestTooLargeError):
            return False
    if ktag == b"ed25519":
        try:
            pk.verify(digest.digest(), signature)
        except Exception:  # noqa: BLE001 - nacl's BadSignatureError, or a bad length
            return False
        return True
    return False


def decode_identity(value: bytes) -> bytes:
    """dkim-quoted-printable (RFC 6376 §2.11): drop white space, decode ``=XX``."""
    value = _WSP.sub(b"", value)
    out = bytearray()
    pos = 0
    while pos < len(value):
        char = value[pos]
        if char == 0x3D:  # "="
            pair = value[pos + 1 : pos + 3]
            if not re.fullmatch(rb"[0-9A-Fa-f]{2}", pair):
                raise SignatureSyntaxError("i= is not dkim-quoted-printable")
            out.append(int(pair, 16))
            pos += 3
        else:
            out.append(char)
            pos += 1
    return bytes(out)


def identity_domain(identity: bytes) -> bytes:
    """The domain of a decoded ``i=`` (after its last "@", RFC 6376 §3.5)."""
    if b"@" not in identity:
        raise SignatureSyntaxError("i= has no @")
    return identity.rpartition(b"@")[2].lower().rstrip(b".")


def within(domain: bytes, parent: bytes) -> bool:
    """``domain`` equals ``parent`` or is a subdomain of it (case-insensitive)."""
    domain, parent = domain.lower().rstrip(b"."), parent.lower().rstrip(b".")
    return domain == parent or domain.endswith(b"." + parent)


def _base64_ok(value: bytes) -> bool:
    compact = _WSP.sub(b"", value)
    return bool(_BASE64.fullmatch(compact)) and len(compact) % 4 == 0


def validate_fields(
    sig: dict[bytes, bytes],
    mandatory: Sequence[bytes],
    *,
    arc: bool,
    now: float,
    check_expiry: bool = False,
) -> None:
    """dkimpy's ``validate_signature_fields`` in linear time, with RFC 6376's q= and i=.

    ``x=`` is not checked against the clock unless ``check_expiry`` (the DKIM caller reports
    an expired signature as ``policy`` after the cryptography). Raises SignatureSyntaxError.
    """
    for tag in mandatory:
        if tag not in sig:
            raise SignatureSyntaxError(f"missing {tag.decode()}=")
    algorithms = ARC_ALGORITHMS if arc else DKIM_ALGORITHMS
    if b"a" in sig and sig[b"a"] not in algorithms:
        raise SignatureSyntaxError("unknown signature algorithm", "unsupported")
    for tag in (b"b", b"bh"):
        if tag in sig and not _base64_ok(sig[tag]):
            raise SignatureSyntaxError(f"{tag.decode()}= value is not valid base64")
    if b"cv" in sig and sig[b"cv"] not in (b"pass", b"fail", b"none"):
        raise SignatureSyntaxError("cv= value is not valid")
    if re.search(rb"[()<>\[\]:;@\\,]", sig.get(b"d", b"")):
        raise SignatureSyntaxError("d= value is not valid")
    if not arc and b"i" in sig:
        identity = decode_identity(sig[b"i"])
        if not within(identity_domain(identity), sig[b"d"]):
            raise SignatureSyntaxError("i= domain is not d= or a subdomain of it")
    if b"l" in sig and not re.fullmatch(rb"\d{1,76}", sig[b"l"]):
        raise SignatureSyntaxError("l= value is not a decimal integer")
    if b"q" in sig and b"dns/txt" not in [m.strip().lower() for m in sig[b"q"].split(b":")]:
        # RFC 6376 §3.5: a colon-separated list; unknown methods are ignored.
        raise SignatureSyntaxError("q= names no query method we know (dns/txt)", "unsupported")
    t_sign = None
    if b"t" in sig:
        if not re.fullmatch(rb"\d{1,20}", sig[b"t"]):
            raise SignatureSyntaxError("t= value is not a decimal integer")
        t_sign = int(sig[b"t"])
        if t_sign > now + T_SLOP:
            raise SignatureSyntaxError("t= value is in the future")
    if b"v" in sig and sig[b"v"] != b"1":
        raise SignatureSyntaxError("v= value is not 1")
    if b"x" in sig:
        if not re.fullmatch(rb"\d{1,20}", sig[b"x"]):
            raise SignatureSyntaxError("x= value is not a decimal integer")
        x_sign = int(sig[b"x"])
        if t_sign is not None and x_sign < t_sign:
            raise SignatureSyntaxError("x= value is less than t= value")
        if check_expiry and x_sign < now - T_SLOP:
            raise SignatureSyntaxError("x= value is past")


def policy_for(sig: dict[bytes, bytes], default: bytes) -> Any:
    """The canonicalization policy of ``c=``; raises SignatureSyntaxError when invalid."""
    try:
        return CanonicalizationPolicy.from_c_value(sig.get(b"c", default))
    except Exception as exc:  # noqa: BLE001 - dkimpy's own error type varies
        raise SignatureSyntaxError(f"invalid c= value: {exc}") from None
