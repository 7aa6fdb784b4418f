"""DKIM verification of every signature in a message (RFC 6376, RFC 8301, RFC 8463), on dkimpy.

``verify_dkim(raw, *, resolver)`` checks each DKIM-Signature header field (not only the first)
over the bytes exactly as given: dkimpy splits lines on CRLF or bare LF itself, so Thunderbird's
LF-only ``getRaw`` bytes, CRLF and mixed endings all verify, and 8-bit / ISO-2022-JP bodies are
hashed as bytes. Unsigned leading fields such as ``X-Mozilla-Status`` do not matter.

We parse the signature, fetch and classify the key (through ``dkimdns.lookup_key`` and a cache
of parsed key records) and check the body hash ourselves (each canonical body is computed once
per message, however many signatures use it), then let dkimpy's ``verify_sig_process`` hash the
header fields and do the cryptography. dkimpy's own ``verify()`` turns DNS and key problems
into a bare ``False``; doing the lookup here keeps the reason (RFC 6376 §6.1.2, §3.9).

Results per signature (RFC 8601 §2.7.1 words) and reason codes:

- ``pass``: verified.
- ``fail``: ``body_hash_mismatch``, ``signature_mismatch``, ``key_too_small`` (RSA < 1024 bits,
  RFC 8301 §3.2; the cryptography is not even tried).
- ``policy``: the cryptography verifies but the signature is not acceptable: ``weak_algorithm``
  (rsa-sha1: RFC 8301 §3.1 says verifiers MUST NOT consider it valid) or ``expired`` (``x=`` in
  the past, RFC 6376 §3.5). A rsa-sha1 or expired signature that does not verify is reported
  with its real failure instead. rsa-sha1 and ``key_too_small`` always carry ``weak=True``.
- ``permerror``: ``syntax`` (malformed tag list, missing or bad tags, ``h=`` without From,
  RFC 6376 §5.4), ``unsupported`` (unknown ``a=``), ``no_key`` (NXDOMAIN or no TXT),
  ``revoked_key`` (empty ``p=``, §3.6.1), ``bad_key_record`` (unparsable record, key type or
  hash not matching ``a=``, a TLSRPT-only key).
- ``temperror``: ``dns_error`` (timeout, SERVFAIL, a failing resolver).
- ``unchecked``: ``offline`` (``resolver=None`` or an offline resolver: no query is sent),
  ``dns_budget`` (the per-message DNS budget was spent before this key) or
  ``too_many_signatures`` (beyond ``MAX_SIGNATURES``: hostile mail must not buy unlimited DNS
  queries).

``l=`` is reported as ``body_length_limit``; ``unsigned_body_after_limit`` is set when the
canonicalized body has non-blank content past the signed length (RFC 6376 §8.2), also offline.

Overall ``DkimResult.result``: ``none`` when unsigned; ``pass`` if any signature passes;
otherwise the first present of ``temperror`` (a retry may still pass, so it must not read as a
failure), ``fail``, ``policy``, ``permerror``, ``unchecked``.

Deviations: ``t=`` in the future is left to dkimpy (10 h slop, then ``syntax``); ``x=`` is checked
without slop; a message dkimpy cannot split into header fields gives ``permerror``/``syntax`` for
every signature a tolerant scan finds.
"""

from __future__ import annotations

import base64
import functools
import logging
import re
import time
from dataclasses import dataclass

import dkim
from dkim.canonicalization import CanonicalizationPolicy
from dkim.util import parse_tag_value

from ..dns import Resolver
from .dkimdns import key_name, lookup_key, valid_query_name
from .results import DkimResult, DkimSignature

MIN_KEY_BITS = 1024
MAX_SIGNATURES = 16
_MAX_TEXT = 256  # longest d=/s=/evidence string we hand on; hostile headers can be megabytes

# dkimpy logs through the logger it is given; ours never reaches stdout (the native-messaging
# channel) nor the root logger.
_LOG = logging.getLogger("minuku.auth.dkimpy")
_LOG.addHandler(logging.NullHandler())
_LOG.propagate = False
_LOG.setLevel(logging.CRITICAL + 1)

_NOT_SENT = {"offline": "offline", "budget": "dns_budget"}
_RESULT_ORDER = ("temperror", "fail", "policy", "permerror", "unchecked")


def dkimpy_logger() -> logging.Logger:
    """The silent logger handed to dkimpy (shared with the ARC module)."""
    return _LOG


@dataclass(frozen=True)
class _Key:
    pk: object
    bits: int | None
    ktag: bytes | None
    tlsrpt: bool
    hashes: tuple[bytes, ...] | None  # the key record's h=, None when absent


class _KeyProblem(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@functools.lru_cache(maxsize=512)
def _parse_key(name: bytes, record: bytes) -> _Key:
    """Parse one key record (cached: the same selector is seen on every mail of a sender)."""
    try:
        tags = parse_tag_value(record)
    except Exception as exc:  # noqa: BLE001 - a published record is untrusted input
        raise _KeyProblem("bad_key_record", f"unparsable key record: {exc}") from None
    if tags.get(b"p", None) == b"":
        raise _KeyProblem("revoked_key", "empty p=: key revoked")
    try:
        pk, bits, ktag, tlsrpt = dkim.evaluate_pk(name, record)
    except Exception as exc:  # noqa: BLE001 - dkimpy raises binascii/nacl/ASN.1 errors too
        raise _KeyProblem("bad_key_record", f"{type(exc).__name__}: {exc}") from None
    hashes = None
    if b"h" in tags:
        hashes = tuple(h.strip().lower() for h in tags[b"h"].split(b":"))
    return _Key(pk, bits, ktag, bool(tlsrpt), hashes)


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


class _Body:
    """The message body and its canonical forms, computed once per message and algorithm."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self._canonical: dict[bytes, bytes | None] = {}

    def canonical(self, c_value: bytes) -> bytes | None:
        """The body under ``c=``'s body algorithm; None when ``c=`` is invalid."""
        try:
            policy = CanonicalizationPolicy.from_c_value(c_value)
        except Exception:  # noqa: BLE001 - dkimpy's own error type for a bad c= varies
            return None
        name: bytes = policy.body_algorithm.name
        if name not in self._canonical:
            self._canonical[name] = policy.canonicalize_body(self.raw)
        return self._canonical[name]


def _length_flags(tags: dict[bytes, bytes], body: _Body) -> tuple[int | None, bool]:
    raw_l = tags.get(b"l")
    if raw_l is None or not re.fullmatch(rb"\d{1,76}", raw_l):
        return None, False
    limit = int(raw_l)
    canonical = body.canonical(tags.get(b"c", b"simple/simple"))
    return limit, canonical is not None and bool(canonical[limit:].strip())


def _base(
    tags: dict[bytes, bytes],
    body: _Body,
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
        identity=_text(tags.get(b"i")),
        evidence=tuple(_clip(e) for e in evidence),
    )


def _describe(tags: dict[bytes, bytes]) -> str:
    parts = [
        f"{k.decode('ascii', 'replace')}={_text(tags[k])}"
        for k in (b"d", b"s", b"a", b"c", b"i", b"l", b"h")
        if k in tags
    ]
    return "DKIM-Signature " + " ".join(parts)


def verify_dkim(raw: bytes, *, resolver: Resolver | None, now: float | None = None) -> DkimResult:
    """Verify every DKIM-Signature of ``raw``; ``resolver=None`` is offline (no query)."""
    try:
        verifier = dkim.DKIM(raw, logger=_LOG, minkey=MIN_KEY_BITS)
    except Exception:  # noqa: BLE001 - dkimpy's header split raises IndexError too
        return _unparsable(raw)
    sig_fields = [(n, v) for n, v in verifier.headers if n.lower() == b"dkim-signature"]
    if not sig_fields:
        return DkimResult("none")
    when = time.time() if now is None else now
    body = _Body(verifier.body)
    signatures = []
    for idx, field in enumerate(sig_fields):
        tags = _lenient_tags(field[1])
        if resolver is None:
            signatures.append(_base(tags, body, "unchecked", "offline", (_describe(tags),)))
        elif idx >= MAX_SIGNATURES:
            signatures.append(
                _base(tags, body, "unchecked", "too_many_signatures", (_describe(tags),))
            )
        else:
            signatures.append(_check(verifier, body, field, tags, resolver, when))
    return DkimResult(_overall(signatures), tuple(signatures))


def _overall(signatures: list[DkimSignature]) -> str:
    results = {s.result for s in signatures}
    if "pass" in results:
        return "pass"
    for word in _RESULT_ORDER:
        if word in results:
            return word
    return "permerror"


def _unparsable(raw: bytes) -> DkimResult:
    """dkimpy could not split the header: report each signature a tolerant scan finds."""
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    fields = re.findall(rb"(?im)^dkim-signature[ \t]*:(.*(?:\r?\n[ \t].*)*)", head)
    if not fields:
        return DkimResult("none")
    sigs = tuple(
        _base(_lenient_tags(v), _Body(b""), "permerror", "syntax", ("message header unparsable",))
        for v in fields[:MAX_SIGNATURES]
    )
    return DkimResult("permerror", sigs)


def _check(
    verifier: dkim.DKIM,
    body: _Body,
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
    expired = False
    checked = dict(sig)
    if b"x" in sig:
        x_value = sig[b"x"]
        t_value = sig.get(b"t", b"0")
        if not (x_value.isdigit() and t_value.isdigit()) or int(x_value) < int(t_value):
            return _base(sig, body, "permerror", "syntax", (described, "bad x= value"))
        expired = int(x_value) < now
        del checked[b"x"]  # dkimpy would refuse it outright; we still want the cryptography
    try:
        dkim.validate_signature_fields(checked)
    except Exception as exc:  # noqa: BLE001 - dkimpy indexes tags that may be missing
        return _base(sig, body, "permerror", "syntax", (described, _clip(str(exc))))
    if b"l" in sig and not sig[b"l"]:
        return _base(sig, body, "permerror", "syntax", (described, "empty l="))
    include = [h.lower() for h in re.split(rb"\s*:\s*", sig[b"h"].strip())]
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

    key: _Key | None = None
    problem = _KeyProblem("bad_key_record", "no usable record")
    record = answer.records[0]
    for candidate in answer.records:
        try:
            key = _parse_key(name.encode("ascii") + b".", candidate.encode("utf-8"))
            record = candidate
            break
        except _KeyProblem as exc:
            problem = exc
    key_evidence = f"TXT {name}: {record}"
    if key is None:
        return _base(
            sig, body, "permerror", problem.reason, (described, key_evidence, str(problem))
        )
    evidence = (described, key_evidence)
    assert algorithm is not None  # validate_signature_fields requires a=
    key_type, _, hash_name = algorithm.partition(b"-")
    if key.ktag is None or key.tlsrpt:
        return _base(
            sig,
            body,
            "permerror",
            "bad_key_record",
            (*evidence, "key is not for e-mail"),
            key_bits=key.bits,
        )
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
    if key.ktag == b"rsa" and (key.bits or 0) < MIN_KEY_BITS:
        return _base(sig, body, "fail", "key_too_small", evidence, key_bits=key.bits, weak=True)

    # The body hash is checked here so that each canonical body is computed once per message,
    # however many signatures share it; dkimpy then checks only the header hash.
    canonical = body.canonical(sig.get(b"c", b"simple/simple"))
    if canonical is None:
        return _base(sig, body, "permerror", "syntax", (*evidence, "invalid c="), key_bits=key.bits)
    if b"l" in sig:
        canonical = canonical[: int(sig[b"l"])]
    try:
        expected = base64.b64decode(re.sub(rb"\s+", b"", sig[b"bh"]), validate=True)
    except ValueError:
        return _base(sig, body, "permerror", "syntax", (*evidence, "bh= is not base64"))
    if dkim.HASH_ALGORITHMS[algorithm](canonical).digest() != expected:
        return _base(sig, body, "fail", "body_hash_mismatch", evidence, key_bits=key.bits)
    del checked[b"bh"]

    verifier.pk, verifier.keysize, verifier.ktag = key.pk, key.bits, key.ktag
    verifier.seqtlsrpt = key.tlsrpt
    try:
        valid = verifier.verify_sig_process(checked, include, field, None)
    except dkim.ValidationError as exc:
        if "body hash mismatch" in str(exc):
            return _base(sig, body, "fail", "body_hash_mismatch", evidence, key_bits=key.bits)
        return _base(
            sig, body, "permerror", "syntax", (*evidence, _clip(str(exc))), key_bits=key.bits
        )
    except Exception as exc:  # noqa: BLE001 - dkimpy on hostile input: bad c=, base64, l=
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
