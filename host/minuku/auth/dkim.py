"""DKIM verification of every signature in a message (RFC 6376, RFC 8301, RFC 8463), on dkimpy.

``verify_dkim(raw, *, resolver)`` checks each DKIM-Signature header field (not only the first)
over the bytes exactly as given: lines are split on CRLF or bare LF (as dkimpy does), so Thunderbird's
LF-only ``getRaw`` bytes, CRLF and mixed endings all verify, and 8-bit / ISO-2022-JP bodies are
hashed as bytes. Unsigned leading fields such as ``X-Mozilla-Status`` do not matter.

We split the message, parse and check the tags, fetch and classify the key (through
``dkimdns.lookup_key`` and a cache of parsed key records), check the body hash (each canonical
body is computed once per message, however many signatures use it) and the header hash
ourselves (``dkimcore``, linear in the size of the message); dkimpy supplies the
canonicalization algorithms, key decoding and the RSA primitive. dkimpy's own ``verify()``
turns DNS and key problems into a bare ``False``; doing the lookup here keeps the reason
(RFC 6376 §6.1.2, §3.9). Where dkimpy is wrong we follow the RFC: a key's ``s=`` and a
signature's ``q=`` are colon-separated lists (§3.6.1, §3.5), ``i=`` is decoded as
dkim-quoted-printable (§2.11) before its domain is compared with ``d=`` and reported, and the
key flag ``t=s`` is enforced (§3.6.1).

Results per signature (RFC 8601 §2.7.1 words) and reason codes:

- ``pass``: verified.
- ``fail``: ``body_hash_mismatch``, ``signature_mismatch``, ``key_too_small`` (RSA < 1024 bits,
  RFC 8301 §3.2; the cryptography is not even tried).
- ``policy``: the cryptography verifies but the signature is not acceptable: ``weak_algorithm``
  (rsa-sha1: RFC 8301 §3.1 says verifiers MUST NOT consider it valid) or ``expired`` (``x=`` in
  the past, RFC 6376 §3.5). A rsa-sha1 or expired signature that does not verify is reported
  with its real failure instead. rsa-sha1 and ``key_too_small`` always carry ``weak=True``.
- ``permerror``: ``syntax`` (malformed tag list, missing or bad tags, ``h=`` without From,
  RFC 6376 §5.4), ``unsupported`` (unknown ``a=``, or a ``q=`` list without ``dns/txt``),
  ``no_key`` (NXDOMAIN or no TXT),
  ``revoked_key`` (empty ``p=``, §3.6.1), ``bad_key_record`` (unparsable record, key type or
  hash not matching ``a=``, a key whose ``s=`` lists neither ``email`` nor ``*``),
  ``strict_identity_mismatch`` (the key says ``t=s`` and the ``i=`` domain is a subdomain of
  ``d=``; permerror, not fail: the key forbids the signature, the cryptography is not tried),
  ``header_too_large`` (the header block is over 256 KB or 1000 fields, the signature field
  over 8 KB, or ``h=`` over 256 entries: not verified, so that any input up to 32 MB is
  checked in bounded time; an unverified signature vouches for nothing).
- ``temperror``: ``dns_error`` (timeout, SERVFAIL, a failing resolver).
- ``unchecked``: ``offline`` (``resolver=None`` or an offline resolver: no query is sent),
  ``dns_budget`` (the per-message DNS budget was spent before this key) or
  ``too_many_signatures`` (beyond ``MAX_SIGNATURES``: hostile mail must not buy unlimited DNS
  queries; never verified, whatever it says, and its evidence says so).

``l=`` is reported as ``body_length_limit``; ``unsigned_body_after_limit`` is set when the
canonicalized body has non-blank content past the signed length (RFC 6376 §8.2), also offline.

Overall ``DkimResult.result``: ``none`` when unsigned; ``pass`` if any signature passes;
otherwise the first present of ``temperror`` (a retry may still pass, so it must not read as a
failure), ``fail``, ``policy``, ``permerror``, ``unchecked``.

Deviations: ``t=`` in the future is allowed 10 h of slop (as dkimpy), then ``syntax``; ``x=`` is
checked without slop; a message that cannot be split into header fields gives
``permerror``/``syntax`` for every signature a tolerant scan finds (``header_too_large`` when
the header is over the caps).
"""

from __future__ import annotations

import base64
import logging
import re
import time
from dataclasses import dataclass

import dkim
import nacl.encoding
import nacl.signing
from dkim.canonicalization import CanonicalizationPolicy
from dkim.crypto import parse_public_key
from dkim.util import parse_tag_value

from ..dns import Resolver
from ..memo import capped_cache
from .dkimcore import (
    MAX_SIGNATURE_FIELD,
    CanonicalHeaders,
    HeaderTooLarge,
    MessageFormatError,
    SignatureSyntaxError,
    SplitMessage,
    canonical_chunks,
    decode_identity,
    head_has_field,
    header_digest,
    identity_domain,
    policy_for,
    signature_valid,
    signed_names,
    validate_fields,
)
from .dkimdns import key_name, lookup_key, valid_query_name
from .results import SENDER_LOOKUP_SKIPPED, DkimResult, DkimSignature

MIN_KEY_BITS = 1024
MAX_SIGNATURES = 16
_MAX_TEXT = 256  # longest d=/s=/evidence string we hand on; hostile headers can be megabytes

# dkimpy logs through the logger it is given; ours never reaches stdout (the native-messaging
# channel) nor the root logger.
_LOG = logging.getLogger("minuku.auth.dkimpy")
_LOG.addHandler(logging.NullHandler())
_LOG.propagate = False
_LOG.setLevel(logging.CRITICAL + 1)

_NOT_SENT = {"offline": "offline", "budget": "dns_budget", "skipped": SENDER_LOOKUP_SKIPPED}
_RESULT_ORDER = ("temperror", "fail", "policy", "permerror", "unchecked")
_MANDATORY = (b"v", b"a", b"b", b"bh", b"d", b"h", b"s")


def dkimpy_logger() -> logging.Logger:
    """The silent logger handed to dkimpy (shared with the ARC module)."""
    return _LOG


@dataclass(frozen=True)
class KeyRecord:
    pk: object
    bits: int
    ktag: bytes
    hashes: tuple[bytes, ...] | None  # the key record's h=, None when absent
    strict: bool  # t=s: i= must use exactly the d= domain (RFC 6376 §3.6.1)


class KeyProblem(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def _colon_list(value: bytes | None, default: bytes) -> list[bytes]:
    return [item.strip().lower() for item in (default if value is None else value).split(b":")]


# A record over 8 KB (no real key is) is parsed every time, never kept: the publisher of a
# domain a mail names chooses its size (memo).
@capped_cache(512, 8192)
def parse_key_record(record: bytes) -> KeyRecord:
    """Parse one key record (RFC 6376 §3.6.1; cached: a sender's selector recurs on every mail).

    Our own reading of the tags, with dkimpy's key decoders: dkimpy compares ``s=`` with the
    whole string, so ``s=email:web`` (a colon-separated list) lost its key, and it ignores
    ``t=``.
    """
    try:
        tags = parse_tag_value(record)
    except Exception as exc:  # noqa: BLE001 - a published record is untrusted input
        raise KeyProblem("bad_key_record", f"unparsable key record: {exc}") from None
    public = tags.get(b"p")
    if public == b"":
        raise KeyProblem("revoked_key", "empty p=: key revoked")
    if public is None:
        raise KeyProblem("bad_key_record", "no p= in the key record")
    if tags.get(b"v", b"DKIM1") != b"DKIM1":
        raise KeyProblem("bad_key_record", "v= is not DKIM1")
    services = _colon_list(tags.get(b"s"), b"*")
    if b"*" not in services and b"email" not in services:
        # Only other services (e.g. s=tlsrpt, RFC 8460): not a key for signing mail.
        raise KeyProblem("bad_key_record", "key is not for e-mail (s= lacks email and *)")
    ktag = tags.get(b"k", b"rsa")
    try:
        if ktag == b"ed25519":
            pk: object = nacl.signing.VerifyKey(public, encoder=nacl.encoding.Base64Encoder)
            bits = 256
        elif ktag == b"rsa":
            parsed = parse_public_key(base64.b64decode(public))
            pk, bits = parsed, int(parsed["modulus"]).bit_length()
        else:
            raise KeyProblem("bad_key_record", "unknown key type in k=")
    except KeyProblem:
        raise
    except Exception as exc:  # noqa: BLE001 - binascii, nacl and ASN.1 errors alike
        raise KeyProblem("bad_key_record", f"{type(exc).__name__}: {exc}") from None
    hashes = tuple(_colon_list(tags[b"h"], b"")) if b"h" in tags else None
    strict = b"s" in _colon_list(tags.get(b"t"), b"")
    return KeyRecord(pk, bits, ktag, hashes, strict)


def _identity(tags: dict[bytes, bytes]) -> bytes | None:
    """``i=`` decoded (dkim-quoted-printable, RFC 6376 §2.11); as written when undecodable."""
    value = tags.get(b"i")
    if value is None:
        return None
    try:
        return decode_identity(value)
    except SignatureSyntaxError:
        return value


def _identity_domain(sig: dict[bytes, bytes]) -> bytes:
    """The domain of the signing identity; without i= it is d= itself (RFC 6376 §3.5)."""
    identity = _identity(sig)
    if identity is None:
        return sig[b"d"].lower().rstrip(b".")
    return identity_domain(identity)


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _text(value: bytes | None) -> str | None:
    if value is None:
        return None
    return _clip(value.decode("utf-8", "replace"))


def _lenient_tags(value: bytes) -> dict[bytes, bytes]:
    """Tag=value pairs for reporting, from a field that may not parse strictly."""
    tags: dict[bytes, bytes] = {}
    for spec in re.sub(rb"\r?\n", b"", value).split(b";"):
        key, sep, val = spec.partition(b"=")
        key = key.strip()
        if sep and key and key not in tags:
            tags[key] = val.strip()
    return tags


class CanonicalBody:
    """The message body (``data[start:]``, line breaks not yet CRLF) and the hashes of its
    canonical forms, each worked out once per message (DKIM and ARC share one: a list's AMS
    and the author's signature often hash the same relaxed body). The canonical body is
    streamed through the hash (``canonical_chunks``), never held whole: a 30 MB body costs a
    few MB, not three copies."""

    def __init__(self, data: bytes, start: int = 0) -> None:
        self.data = data
        self.start = start
        self._hashes: dict[tuple[bytes, bytes, int | None], bytes] = {}
        self._after: dict[tuple[bytes, int], bool] = {}

    def _name(self, c_value: bytes) -> bytes | None:
        try:
            policy = CanonicalizationPolicy.from_c_value(c_value)
        except Exception:  # noqa: BLE001 - dkimpy's own error type for a bad c= varies
            return None
        name: bytes = policy.body_algorithm.name
        return name

    def valid(self, c_value: bytes) -> bool:
        """``c=`` names a body canonicalization we know."""
        return self._name(c_value) is not None

    def canonical(self, c_value: bytes) -> bytes | None:
        """The whole body under ``c=``'s body algorithm; None when ``c=`` is invalid. (For
        tests and tools: the checks stream it instead.)"""
        name = self._name(c_value)
        if name is None:
            return None
        return b"".join(canonical_chunks(name, self.data, self.start))

    def body_hash(self, c_value: bytes, algorithm: bytes, limit: int | None) -> bytes | None:
        """The ``a=`` hash of the canonical body cut at ``l=``; None when ``c=`` is invalid.
        Raises KeyError for an unknown algorithm (callers check ``a=`` first)."""
        name = self._name(c_value)
        if name is None:
            return None
        key = (name, algorithm, limit)
        got = self._hashes.get(key)
        if got is None:
            hasher = dkim.HASH_ALGORITHMS[algorithm]()
            left = limit
            for piece in canonical_chunks(name, self.data, self.start):
                if left is not None:
                    if left <= 0:
                        break
                    if len(piece) > left:
                        piece = piece[:left]
                    left -= len(piece)
                hasher.update(piece)
            got = hasher.digest()
            self._hashes[key] = got
        return got

    def unsigned_after(self, c_value: bytes, limit: int) -> bool:
        """Whether the canonical body holds more than white space after ``l=`` bytes."""
        name = self._name(c_value)
        if name is None:
            return False
        key = (name, limit)
        if key not in self._after:
            found = False
            pos = 0
            for piece in canonical_chunks(name, self.data, self.start):
                end = pos + len(piece)
                if end > limit and piece[max(0, limit - pos) :].strip():
                    found = True
                    break
                pos = end
            self._after[key] = found
        return self._after[key]


def shared_body(split: SplitMessage) -> CanonicalBody:
    """The one CanonicalBody of a split message (raises as ``split.parts()`` does)."""
    body = split.bodies.get(b"canonical")
    if body is None:
        body = split.bodies[b"canonical"] = CanonicalBody(split.raw, split.parts()[1])
    assert isinstance(body, CanonicalBody)
    return body


def _length_flags(tags: dict[bytes, bytes], body: CanonicalBody) -> tuple[int | None, bool]:
    raw_l = tags.get(b"l")
    if raw_l is None or not re.fullmatch(rb"\d{1,76}", raw_l):
        return None, False
    limit = int(raw_l)
    return limit, body.unsigned_after(tags.get(b"c", b"simple/simple"), limit)


def _base(
    tags: dict[bytes, bytes],
    body: CanonicalBody,
    result: str,
    reason: str | None,
    evidence: tuple[str, ...] = (),
    *,
    key_bits: int | None = None,
    weak: bool = False,
) -> DkimSignature:
    limit, after = _length_flags(tags, body)
    algorithm = _text(tags.get(b"a"))
    domain = tags.get(b"d")
    return DkimSignature(
        result=result,
        domain=_text(domain.lower()) if domain is not None else None,
        selector=_text(tags.get(b"s")),
        algorithm=algorithm,
        key_bits=key_bits,
        reason=reason,
        weak=weak or algorithm == "rsa-sha1",
        body_length_limit=limit,
        unsigned_body_after_limit=after,
        identity=_text(_identity(tags)),
        evidence=tuple(_clip(e) for e in evidence),
    )


def _describe(tags: dict[bytes, bytes]) -> str:
    parts = [
        f"{k.decode('ascii', 'replace')}={_text(tags[k])}"
        for k in (b"d", b"s", b"a", b"c", b"i", b"l", b"h")
        if k in tags
    ]
    return "DKIM-Signature " + " ".join(parts)


_DKIM_FIELD = re.compile(rb"(?im)^dkim-signature[ \t]*:")
_DKIM_FIELD_LOW = re.compile(rb"\ndkim-signature[ \t]*:")


def verify_dkim(
    raw: bytes,
    *,
    resolver: Resolver | None,
    now: float | None = None,
    split: SplitMessage | None = None,
) -> DkimResult:
    """Verify every DKIM-Signature of ``raw``; ``resolver=None`` is offline (no query).
    ``split``: the message already split for ARC too (``authenticate`` shares one)."""
    if not head_has_field(raw, _DKIM_FIELD, _DKIM_FIELD_LOW):
        # No field named DKIM-Signature in the header block (what the tolerant scan of
        # _unverifiable looks for too): "none" whatever the split would say; skip the work.
        return DkimResult("none")
    split = split if split is not None else SplitMessage(raw)
    try:
        headers, _body = split.parts()
    except HeaderTooLarge as exc:
        return _unverifiable(raw, "header_too_large", str(exc))
    except MessageFormatError:
        return _unverifiable(raw, "syntax", "message header unparsable")
    sig_fields = [(n, v) for n, v in headers if n.lower() == b"dkim-signature"]
    if not sig_fields:
        return DkimResult("none")
    when = time.time() if now is None else now
    body = shared_body(split)
    canonical = split.canonical_headers()
    signatures = []
    for idx, field in enumerate(sig_fields):
        tags = _lenient_tags(field[1][:MAX_SIGNATURE_FIELD])
        if idx >= MAX_SIGNATURES:
            # Never verified, whatever it says: it must not count as a signature that passed.
            note = f"not verified: only the first {MAX_SIGNATURES} signatures are checked"
            signatures.append(
                _base(tags, body, "unchecked", "too_many_signatures", (_describe(tags), note))
            )
        elif len(field[1]) > MAX_SIGNATURE_FIELD:
            note = f"not verified: signature field over {MAX_SIGNATURE_FIELD} bytes"
            signatures.append(
                _base(tags, body, "permerror", "header_too_large", (_describe(tags), note))
            )
        elif resolver is None:
            signatures.append(_base(tags, body, "unchecked", "offline", (_describe(tags),)))
        else:
            signatures.append(_check(canonical, body, field, tags, resolver, when))
    return DkimResult(_overall(signatures), tuple(signatures))


def _overall(signatures: list[DkimSignature]) -> str:
    results = {s.result for s in signatures}
    if "pass" in results:
        return "pass"
    for word in _RESULT_ORDER:
        if word in results:
            return word
    return "permerror"


def _unverifiable(raw: bytes, reason: str, detail: str) -> DkimResult:
    """The header cannot be handed to verification (unsplittable, or too large to verify in
    bounded time): every signature a tolerant scan finds is ``permerror`` with ``reason``."""
    found = _scan_signature_fields(raw)
    if not found:
        return DkimResult("none")
    note = f"not verified: {detail}"
    sigs = tuple(
        _base(_lenient_tags(v), CanonicalBody(b""), "permerror", reason, (note,))
        for v in found[:MAX_SIGNATURES]
    )
    return DkimResult("permerror", sigs)


def _scan_signature_fields(raw: bytes) -> list[bytes]:
    """The (clipped) values of the DKIM-Signature fields in the header block, in linear time."""
    blank = re.search(rb"\n\r?\n", raw)
    head = raw[: blank.start() + 1] if blank else raw
    lowered = head.lower()
    found: list[bytes] = []
    pos = lowered.find(b"dkim-signature")
    while pos != -1 and len(found) < MAX_SIGNATURES:
        after = pos + len(b"dkim-signature")
        if pos == 0 or head[pos - 1 : pos] == b"\n":
            match = re.match(rb"[ \t]*:", head[after : after + 64])
            if match:
                start = after + match.end()
                value = head[start : start + MAX_SIGNATURE_FIELD]
                unfolded = re.match(rb".*(?:\r?\n[ \t].*)*", value)
                found.append(unfolded.group(0) if unfolded else b"")
        pos = lowered.find(b"dkim-signature", after)
    return found


def _check(
    canonical: CanonicalHeaders,
    body: CanonicalBody,
    field: tuple[bytes, bytes],
    tags: dict[bytes, bytes],
    resolver: Resolver,
    now: float,
) -> DkimSignature:
    described = _describe(tags)
    try:
        sig = parse_tag_value(field[1])
    except Exception as exc:  # noqa: BLE001 - hostile signature fields
        return _base(tags, body, "permerror", "syntax", (described, f"tag list: {exc}"))
    algorithm = sig.get(b"a")
    if algorithm is not None and algorithm not in dkim.HASH_ALGORITHMS:
        return _base(sig, body, "permerror", "unsupported", (described,))
    try:
        validate_fields(sig, _MANDATORY, arc=False, now=now)
        include = signed_names(sig[b"h"])
    except HeaderTooLarge as exc:
        return _base(sig, body, "permerror", "header_too_large", (described, str(exc)))
    except SignatureSyntaxError as exc:
        return _base(sig, body, "permerror", exc.reason, (described, _clip(str(exc))))
    expired = b"x" in sig and int(sig[b"x"]) < now
    if b"from" not in include:
        return _base(sig, body, "permerror", "syntax", (described, "h= does not sign From"))

    try:
        name = key_name(sig[b"s"].decode("ascii"), sig[b"d"].decode("ascii"))
    except UnicodeDecodeError:
        return _base(sig, body, "permerror", "syntax", (described, "non-ASCII d= or s="))
    if not valid_query_name(name):
        return _base(sig, body, "permerror", "syntax", (described, "d=/s= is not a DNS name"))
    answer = lookup_key(resolver, name)
    if answer.status in _NOT_SENT:
        return _base(sig, body, "unchecked", _NOT_SENT[answer.status], (described,))
    if answer.status == "dns_error":
        return _base(
            sig, body, "temperror", "dns_error", (described, f"TXT {name}: {answer.error}")
        )
    if answer.status != "found":
        reason = "no_key" if answer.status == "no_key" else "syntax"
        return _base(sig, body, "permerror", reason, (described, f"TXT {name}: {answer.error}"))

    key: KeyRecord | None = None
    problem = KeyProblem("bad_key_record", "no usable record")
    record = answer.records[0]
    for candidate in answer.records:
        try:
            key = parse_key_record(candidate.encode("utf-8"))
            record = candidate
            break
        except KeyProblem as exc:
            problem = exc
    key_evidence = f"TXT {name}: {record}"
    if key is None:
        return _base(
            sig, body, "permerror", problem.reason, (described, key_evidence, str(problem))
        )
    evidence = (described, key_evidence)
    assert algorithm is not None  # validate_fields requires a=
    key_type, _, hash_name = algorithm.partition(b"-")
    if key.ktag != key_type:
        return _base(
            sig,
            body,
            "permerror",
            "bad_key_record",
            (*evidence, "k= does not match a="),
            key_bits=key.bits,
        )
    if key.hashes is not None and hash_name not in key.hashes:
        return _base(
            sig,
            body,
            "permerror",
            "bad_key_record",
            (*evidence, "key h= excludes the signature's hash"),
            key_bits=key.bits,
        )
    if key.strict and _identity_domain(sig) != sig[b"d"].lower().rstrip(b"."):
        # RFC 6376 §3.6.1, key flag t=s: the i= domain must be d= itself, not a subdomain.
        return _base(
            sig,
            body,
            "permerror",
            "strict_identity_mismatch",
            (*evidence, "key t=s: i= domain must equal d="),
            key_bits=key.bits,
        )
    if key.ktag == b"rsa" and (key.bits or 0) < MIN_KEY_BITS:
        return _base(sig, body, "fail", "key_too_small", evidence, key_bits=key.bits, weak=True)

    # The body hash is checked here so that each canonical body is computed once per message,
    # however many signatures share it.
    c_value = sig.get(b"c", b"simple/simple")
    if not body.valid(c_value):
        return _base(sig, body, "permerror", "syntax", (*evidence, "invalid c="), key_bits=key.bits)
    try:
        expected = base64.b64decode(re.sub(rb"\s+", b"", sig[b"bh"]), validate=True)
    except ValueError:
        return _base(sig, body, "permerror", "syntax", (*evidence, "bh= is not base64"))
    limit = int(sig[b"l"]) if b"l" in sig else None
    if body.body_hash(c_value, algorithm, limit) != expected:
        return _base(sig, body, "fail", "body_hash_mismatch", evidence, key_bits=key.bits)

    try:
        policy = policy_for(sig, b"simple/simple")
        digest = header_digest(algorithm, policy, canonical, include, field)
        valid = signature_valid(key.ktag, key.pk, digest, sig[b"b"])
    except Exception as exc:  # noqa: BLE001 - hostile input: b= base64, odd c=
        return _base(
            sig,
            body,
            "permerror",
            "syntax",
            (*evidence, _clip(f"{type(exc).__name__}: {exc}")),
            key_bits=key.bits,
        )
    if not valid:
        return _base(sig, body, "fail", "signature_mismatch", evidence, key_bits=key.bits)
    if algorithm == b"rsa-sha1":
        return _base(sig, body, "policy", "weak_algorithm", evidence, key_bits=key.bits)
    if expired:
        return _base(sig, body, "policy", "expired", evidence, key_bits=key.bits)
    return _base(sig, body, "pass", None, evidence, key_bits=key.bits)
