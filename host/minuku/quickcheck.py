"""The cheap, headers-only verdict that a check keeps when it is cut short.

A full check parses every MIME part, every link and asks DNS; a crafted message can make that
slow. Before it starts, the check worker runs this: the header block alone (at most
``MAX_HEADER_BYTES``, cut at a line end) is parsed and the sender's addresses (From, Sender,
Reply-To, Return-Path) go through ``verdict.lookalike_findings``, the rule the full check uses.
When the full check misses its deadline (``worker``), the answer is built from these findings
plus ``check_deadline``: ``From: Amazon <info@amazon-co-jp-security.com>`` stays ``danger`` even when its body could not
be read in time, and a mail with nothing found in its headers is ``unknown``, never ``ok``.
"""

from __future__ import annotations

from .auth.results import unchecked_summary
from .findings import Finding, Severity
from .payload import BannerPayload, Lang

# Real header blocks (long Received chains, DKIM and ARC sets) stay well under this.
MAX_HEADER_BYTES = 256 * 1024

DEADLINE = "check_deadline"  # the check ran past its deadline and was stopped
CRASHED = "check_crashed"  # the check process died (out of memory, a crash in a library)


def header_block(raw: bytes) -> bytes:
    """The header block of ``raw`` (RFC 5322 §2.1: up to the first empty line), capped."""
    head = raw[:MAX_HEADER_BYTES]
    ends = [i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0]
    if ends:
        return head[: min(ends)] + b"\r\n\r\n"
    if len(raw) > MAX_HEADER_BYTES:
        # Cut at the last line end so no header is read half-way (a half domain is a new one).
        head = head[: head.rfind(b"\n") + 1]
    return head + b"\r\n\r\n"


def header_findings(raw: bytes) -> tuple[Finding, ...]:
    """Look-alike findings about the sender's addresses, from the header block only."""
    from .message import parse_message
    from .verdict import lookalike_findings

    return tuple(lookalike_findings(parse_message(header_block(raw))))


def cut_short(
    found: tuple[Finding, ...],
    *,
    code: str,
    seconds: float,
    lang: Lang,
    offline: bool,
) -> BannerPayload:
    """The answer for a check that did not finish: what the headers showed, plus why it stopped.

    The verdict is the worst of the header findings, and ``unknown`` when they found nothing:
    an unfinished check never says ``ok``.
    """
    from .banner import render
    from .verdict import Analysis, decide

    stop = Finding(code, Severity.INFO, {"seconds": f"{seconds:g}"}, ())
    ranked = sorted(found, key=lambda f: -f.severity) + [stop]
    verdict = decide(ranked)
    if verdict == "ok":
        verdict = "unknown"
    brand = next((f.brand for f in ranked if f.brand), None)
    reason = "check cut short" if code == DEADLINE else "check stopped"
    return render(Analysis(verdict, brand, tuple(ranked), unchecked_summary(reason), offline), lang)
