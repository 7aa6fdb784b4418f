"""ARC chain validation (RFC 8617 §5.2), reported as context.

``verify_arc(raw, *, resolver)`` validates the chain of ARC sets and reports the chain
validation status ``cv``: ``pass`` / ``fail`` / ``none``. When the chain is valid it also hands
on the first hop's (``i=1``) ARC-Authentication-Results (the value after ``i=1;``, shaped like
an Authentication-Results value: ``authserv-id; method=result ...``) and its authserv-id, so
the verdict can weigh what the first ARC participant saw. ARC never makes a message pass by
itself; deciding whom to trust is the verdict's job.

The validation follows dkimpy 1.1.8's ``ARC.verify`` step by step (the same sets, the same
order, the same checks, so ValiMail's vectors give the same answers) but runs on our own
pieces (``dkimcore``, the key records of ``dkim``): dkimpy's ``ARC_HASH_ALGORITHMS`` holds only
rsa-sha256, so every ed25519-sha256 set (RFC 8617 uses DKIM's algorithms, RFC 8463 adds
ed25519) failed; and its header split, ``b=`` removal and per-set body hash were super-linear
or repeated on hostile mail. Here each canonical body is hashed once per message, the header
is split once and bounded (``header_too_large`` when over ``dkimcore``'s caps), and a key's
``k=`` must match ``a=``.

Other results: ``unchecked`` (``resolver=None`` or an offline resolver: instances are counted,
no query is sent; ``dns_budget``: the per-message DNS budget ran out during the chain),
``temperror`` (the chain failed and a key lookup failed temporarily, so a retry may pass).

Deviations: an ARC-Seal that says ``cv=fail`` ends the chain (dkimpy answers ``None``); we report
``fail``. More than 50 instances (RFC 8617 §4.2.1) fail without any query. A message whose
header cannot be split is ``fail`` when it appears to carry ARC header fields and ``none``
otherwise. As dkimpy, the ARC-Seal hashes the ARC fields picked by name from the bottom of the
header (RFC 8617 §5.1.1 orders them by instance; both agree when sets are prepended in order).
"""

from __future__ import annotations

import base64
import re
import time
from typing import Any

from dkim.canonicalization import CanonicalizationPolicy
from dkim.util import parse_tag_value

from ..dns import Resolver
from .dkim import MIN_KEY_BITS, KeyProblem, parse_key_record, shared_body
from .dkimcore import (
    MAX_SIGNATURE_FIELD,
    HeaderTooLarge,
    MessageFormatError,
    SignatureSyntaxError,
    SplitMessage,
    head_has_field,
    header_digest,
    policy_for,
    signature_valid,
    signed_names,
    validate_fields,
)
from .dkimdns import KeyAnswer, key_name, lookup_key
from .results import SENDER_LOOKUP_SKIPPED, ArcResult

MAX_INSTANCES = 50

_ARC_NAMES = (b"arc-seal", b"arc-message-signature", b"arc-authentication-results")
_INSTANCE_PREFIX = re.compile(rb"^\s*i\s*=\s*1\s*;\s*", re.IGNORECASE)
_INSTANCE = re.compile(rb"[\s;]?i\s*=\s*(\d+)", re.IGNORECASE)  # dkimpy's ARC.INSTANCE_RE
_AUTHSERV_ID = re.compile(r'^\s*(?:\([^)]*\)\s*)*("(?:[^"\\]|\\.)*"|[^\s;()]+)')
_MAX_TEXT = 2048
_ARC_FIELD = re.compile(rb"(?im)^arc-(?:seal|message-signature|authentication-results)[ \t]*:")
_ARC_FIELD_LOW = re.compile(rb"\narc-(?:seal|message-signature|authentication-results)[ \t]*:")
_RELAXED = CanonicalizationPolicy.from_c_value(b"relaxed/relaxed")
_AMS_TAGS = (b"i", b"a", b"b", b"bh", b"d", b"h", b"s")
_AS_TAGS = (b"i", b"a", b"b", b"cv", b"d", b"s")

Instance = tuple[int, tuple[bytes, bytes]]


class _ChainError(Exception):
    """The chain is broken before any signature could be judged (dkimpy's DKIMException)."""


def verify_arc(
    raw: bytes, *, resolver: Resolver | None, split: SplitMessage | None = None
) -> ArcResult:
    """Validate the ARC chain of ``raw``; ``resolver=None`` is offline (no query).
    ``split``: the message already split for DKIM too (``authenticate`` shares one)."""
    if not head_has_field(raw, _ARC_FIELD, _ARC_FIELD_LOW):
        # Most mail has no ARC set: skip the work.
        return ArcResult("none", reason="no ARC sets")
    split = split if split is not None else SplitMessage(raw)
    try:
        headers, _body = split.parts()
    except HeaderTooLarge as exc:
        return ArcResult("fail", reason=f"header_too_large: {exc}; not verified")
    except MessageFormatError:
        return ArcResult("fail", reason="message header unparsable")
    if any(n.lower() in _ARC_NAMES and len(v) > MAX_SIGNATURE_FIELD for n, v in headers):
        return ArcResult(
            "fail",
            reason=f"header_too_large: an ARC field over {MAX_SIGNATURE_FIELD} bytes; not verified",
        )
    chain = _Chain(split)
    instances = chain.max_instance
    if instances == 0:
        return ArcResult("none", reason="no ARC sets")
    if resolver is None:
        return ArcResult("unchecked", instances, reason="offline")
    if instances > MAX_INSTANCES:
        return ArcResult("fail", instances, reason=f"more than {MAX_INSTANCES} ARC sets")

    cv, sets, why = chain.verify(resolver)
    evidence = tuple(_describe(s) for s in sets)
    if cv is None:
        return ArcResult("fail", instances, reason=f"chain terminated: {why}", evidence=evidence)
    if cv == "fail" and chain.not_sent:
        refused = chain.not_sent[0]
        why_not = {"offline": "offline", "skipped": SENDER_LOOKUP_SKIPPED}.get(
            refused.status, "dns_budget"
        )
        return ArcResult("unchecked", instances, reason=why_not, evidence=evidence)
    if cv == "fail" and chain.temp_errors:
        failed = chain.temp_errors[0]
        return ArcResult(
            "temperror",
            instances,
            reason=f"dns_error: TXT {failed.name}: {failed.error}",
            evidence=evidence,
        )
    if cv != "pass":
        return ArcResult(cv, instances, reason=_clip(str(why)), evidence=evidence)
    first_hop, authserv_id = _first_hop(sets)
    return ArcResult(
        "pass",
        instances,
        reason="chain valid",
        first_hop_authres=first_hop,
        first_hop_authserv_id=authserv_id,
        evidence=evidence,
    )


class _Chain:
    """One message's ARC sets and their validation (dkimpy's ``ARC.verify`` on our pieces)."""

    def __init__(self, split: SplitMessage) -> None:
        headers = split.parts()[0]
        self.headers = headers
        self.canonical = split.canonical_headers()
        self.body = shared_body(split)
        self.answers: list[KeyAnswer] = []
        self.now = time.time()
        entries: list[Instance] = []
        for index, (raw_name, _raw_value) in enumerate(headers):
            # relaxed lower-cases the name; a field name holds no white space to strip
            if raw_name.lower() not in _ARC_NAMES:
                continue
            name, value = self.canonical.field(_RELAXED, index)
            if name in _ARC_NAMES:
                match = _INSTANCE.search(value)
                if match is not None:
                    try:
                        entries.append((int(match.group(1)), (name, value)))
                    except ValueError:
                        continue
        entries.sort(key=lambda e: (e[0], e[1][0].lower(), e[1][1].lower()), reverse=True)
        self.entries = entries
        self.max_instance = entries[0][0] if entries else 0
        # The AMS as written (simple canonicalization hashes it as written), lower-cased once.
        self.raw_ams = [
            (value.lower(), (name, value))
            for name, value in headers
            if name.lower() == b"arc-message-signature"
        ]

    @property
    def not_sent(self) -> list[KeyAnswer]:
        return [a for a in self.answers if a.status in ("offline", "budget", "skipped")]

    @property
    def temp_errors(self) -> list[KeyAnswer]:
        return [a for a in self.answers if a.status == "dns_error"]

    def verify(self, resolver: Resolver) -> tuple[str | None, list[dict[str, Any]], str]:
        results: list[dict[str, Any]] = []
        for instance in range(self.max_instance, 0, -1):
            try:
                results.append(self._instance(instance, resolver))
            except _ChainError as exc:
                return "fail", results, str(exc)
        if not results[0]["ams-valid"]:
            return "fail", results, "Most recent ARC-Message-Signature did not validate"
        for result in results:
            number, cv = result["instance"], result["cv"]
            if cv == b"fail":
                return None, results, f"ARC-Seal[{number}] reported failure"
            if not result["as-valid"]:
                return "fail", results, f"ARC-Seal[{number}] did not validate"
            if (number == 1) != (cv == b"none"):
                return "fail", results, f"ARC-Seal[{number}] reported invalid status {cv!r}"
        return "pass", results, "success"

    def _instance(self, instance: int, resolver: Resolver) -> dict[str, Any]:
        found: dict[bytes, bytes] = {}
        arc_headers = []
        for number, field in self.entries:
            if number > instance:
                continue
            arc_headers.append(field)
            if number == instance:
                name = field[0].lower()
                if name in found:
                    raise _ChainError(f"Duplicate {name.decode()} for instance {instance}")
                found[name] = field[1]
        if len(found) != len(_ARC_NAMES):
            raise _ChainError(f"Incomplete ARC set for instance {instance}")
        output: dict[str, Any] = {"instance": instance}
        output["aar-value"] = found[b"arc-authentication-results"]

        ams = self._tags(found[b"arc-message-signature"], _AMS_TAGS)
        output["ams-domain"], output["ams-selector"] = ams[b"d"], ams[b"s"]
        try:
            include = signed_names(ams[b"h"])
        except HeaderTooLarge as exc:
            raise _ChainError(str(exc)) from None
        if b"arc-seal" in include:
            raise _ChainError("The ARC-Message-Signature MUST NOT sign ARC-Seal")
        marker = b" i=" + ams[b"i"] + b";"
        raw_ams = next((field for lowered, field in self.raw_ams if marker in lowered), None)
        if raw_ams is None:
            raise _ChainError(f"ARC-Message-Signature i={instance} not found as written")
        ams.setdefault(b"c", b"relaxed/relaxed")  # ARC uses relaxed only
        output["ams-valid"] = self._valid(ams, include, raw_ams, resolver)

        seal = self._tags(found[b"arc-seal"], _AS_TAGS)
        if b"h" in seal:
            raise _ChainError("h= tag not permitted in ARC-Seal header field")
        output["as-domain"], output["as-selector"] = seal[b"d"], seal[b"s"]
        output["cv"] = seal[b"cv"]
        names = [field[0].lower() for field in arc_headers]
        names.reverse()
        seal.setdefault(b"c", b"relaxed/relaxed")
        seal_field = (b"ARC-Seal", b" " + found[b"arc-seal"])
        output["as-valid"] = self._valid(seal, names[:-1], seal_field, resolver)
        return output

    def _tags(self, value: bytes, mandatory: tuple[bytes, ...]) -> dict[bytes, bytes]:
        try:
            sig: dict[bytes, bytes] = parse_tag_value(value)
            validate_fields(sig, mandatory, arc=True, now=self.now, check_expiry=True)
        except SignatureSyntaxError as exc:
            raise _ChainError(str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - dkimpy's tag-list errors
            raise _ChainError(f"tag list: {exc}") from None
        return sig

    def _valid(
        self,
        sig: dict[bytes, bytes],
        include: list[bytes],
        field: tuple[bytes, bytes],
        resolver: Resolver,
    ) -> bool:
        """One AMS or AS verifies (dkimpy's verify_sig: any problem is just "not valid")."""
        try:
            name = key_name(sig[b"s"].decode("ascii"), sig[b"d"].decode("ascii"))
        except UnicodeDecodeError:
            return False
        answer = lookup_key(resolver, name)
        self.answers.append(answer)
        if answer.status != "found":
            return False
        try:
            key = parse_key_record(answer.records[0].encode("utf-8"))
        except KeyProblem:
            return False
        algorithm = sig[b"a"]
        key_type, _, hash_name = algorithm.partition(b"-")
        if key.ktag != key_type or (key.hashes is not None and hash_name not in key.hashes):
            return False
        try:
            policy = policy_for(sig, b"relaxed/relaxed")
            if b"bh" in sig:
                c_value = sig.get(b"c", b"relaxed/relaxed")
                if not self.body.valid(c_value):
                    return False
                limit = int(sig[b"l"]) if b"l" in sig else None
                expected = base64.b64decode(re.sub(rb"\s+", b"", sig[b"bh"]))
                if self.body.body_hash(c_value, algorithm, limit) != expected:
                    return False
            digest = header_digest(algorithm, policy, self.canonical, include, field)
            valid = signature_valid(key.ktag, key.pk, digest, sig[b"b"])
        except Exception:  # noqa: BLE001 - hostile tags: bad base64, odd c=
            return False
        return valid and not (key.ktag == b"rsa" and key.bits < MIN_KEY_BITS)


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _first_hop(sets: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    for entry in sets:
        if entry.get("instance") != 1:
            continue
        value = entry.get("aar-value")
        if not isinstance(value, bytes):
            return None, None
        text = _INSTANCE_PREFIX.sub(b"", value).strip().decode("utf-8", "replace")
        match = _AUTHSERV_ID.match(text)
        authserv_id = match.group(1).strip('"') if match else None
        return _clip(text), authserv_id or None
    return None, None


def _describe(entry: dict[str, Any]) -> str:
    def text(key: str) -> str:
        value = entry.get(key)
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")[:255]
        return str(value)

    return (
        f"ARC i={text('instance')}: AMS d={text('ams-domain')} s={text('ams-selector')} "
        f"valid={text('ams-valid')}; AS d={text('as-domain')} s={text('as-selector')} "
        f"cv={text('cv')} valid={text('as-valid')}"
    )
