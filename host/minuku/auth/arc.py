"""ARC chain validation (RFC 8617 §5.2) on dkimpy, reported as context.

``verify_arc(raw, *, resolver)`` validates the chain of ARC sets with dkimpy's ``ARC.verify``
(key lookups through ``dkimdns.KeyLookup``) and reports the chain validation status ``cv``:
``pass`` / ``fail`` / ``none``. When the chain is valid it also hands on the first hop's
(``i=1``) ARC-Authentication-Results (the value after ``i=1;``, shaped like an
Authentication-Results value: ``authserv-id; method=result ...``) and its authserv-id, so the
verdict can weigh what the first ARC participant saw. ARC never makes a message pass by itself;
deciding whom to trust is the verdict's job.

Other results: ``unchecked`` (``resolver=None`` or an offline resolver: instances are counted,
no query is sent; ``dns_budget``: the per-message DNS budget ran out during the chain),
``temperror`` (the chain failed and a key lookup failed temporarily, so a retry may pass).

Deviations: dkimpy answers ``None`` when an ARC-Seal says ``cv=fail`` (the chain was already
broken when it reached that hop); we report ``fail``. More than 50 instances (RFC 8617 §4.2.1)
fail without any query. A message dkimpy cannot split into header fields is ``fail`` when it
appears to carry ARC header fields and ``none`` otherwise.
"""

from __future__ import annotations

import re

import dkim

from ..dns import Resolver
from .dkim import MIN_KEY_BITS, dkimpy_logger
from .dkimdns import KeyLookup
from .results import ArcResult

MAX_INSTANCES = 50

_CV_WORDS = {dkim.CV_Pass: "pass", dkim.CV_Fail: "fail", dkim.CV_None: "none"}
_INSTANCE_PREFIX = re.compile(rb"^\s*i\s*=\s*1\s*;\s*", re.IGNORECASE)
_AUTHSERV_ID = re.compile(r'^\s*(?:\([^)]*\)\s*)*("(?:[^"\\]|\\.)*"|[^\s;()]+)')
_MAX_TEXT = 2048
_ARC_FIELD = re.compile(rb"(?im)^arc-(?:seal|message-signature|authentication-results)[ \t]*:")


def verify_arc(raw: bytes, *, resolver: Resolver | None) -> ArcResult:
    """Validate the ARC chain of ``raw``; ``resolver=None`` is offline (no query)."""
    if not _ARC_FIELD.search(raw):
        # Most mail has no ARC set: skip dkimpy's second parse of the whole message.
        return ArcResult("none", reason="no ARC sets")
    try:
        arc = dkim.ARC(raw, logger=dkimpy_logger(), minkey=MIN_KEY_BITS)
        instances, _ = arc.sorted_arc_headers()
    except Exception:  # noqa: BLE001 - dkimpy's header split raises IndexError too
        return ArcResult("fail", reason="message header unparsable")
    if instances == 0:
        return ArcResult("none", reason="no ARC sets")
    if resolver is None:
        return ArcResult("unchecked", instances, reason="offline")
    if instances > MAX_INSTANCES:
        return ArcResult("fail", instances, reason=f"more than {MAX_INSTANCES} ARC sets")

    lookup = KeyLookup(resolver)
    try:
        cv, sets, why = arc.verify(dnsfunc=lookup)
    except Exception as exc:  # noqa: BLE001 - dkimpy on hostile ARC fields
        cv, sets, why = dkim.CV_Fail, [], f"{type(exc).__name__}: {exc}"
    evidence = tuple(_describe(s) for s in sets if isinstance(s, dict))
    if cv is None:
        return ArcResult("fail", instances, reason=f"chain terminated: {why}", evidence=evidence)
    result = _CV_WORDS.get(cv, "fail")
    if result == "fail" and lookup.not_sent:
        refused = lookup.not_sent[0]
        why_not = "offline" if refused.status == "offline" else "dns_budget"
        return ArcResult("unchecked", instances, reason=why_not, evidence=evidence)
    if result == "fail" and lookup.temp_errors:
        failed = lookup.temp_errors[0]
        return ArcResult(
            "temperror",
            instances,
            reason=f"dns_error: TXT {failed.name}: {failed.error}",
            evidence=evidence,
        )
    if result != "pass":
        return ArcResult(result, instances, reason=_clip(str(why)), evidence=evidence)
    first_hop, authserv_id = _first_hop(sets)
    return ArcResult(
        "pass",
        instances,
        reason="chain valid",
        first_hop_authres=first_hop,
        first_hop_authserv_id=authserv_id,
        evidence=evidence,
    )


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _first_hop(sets: list[object]) -> tuple[str | None, str | None]:
    for entry in sets:
        if not isinstance(entry, dict) or entry.get("instance") != 1:
            continue
        value = entry.get("aar-value")
        if not isinstance(value, bytes):
            return None, None
        text = _INSTANCE_PREFIX.sub(b"", value).strip().decode("utf-8", "replace")
        match = _AUTHSERV_ID.match(text)
        authserv_id = match.group(1).strip('"') if match else None
        return _clip(text), authserv_id or None
    return None, None


def _describe(entry: dict[str, object]) -> str:
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
