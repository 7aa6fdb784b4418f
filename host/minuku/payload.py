"""The banner payload as plain data: what the pure core (``check``, ``banner.render``) returns.

These frozen dataclasses mirror ``wire.BannerPayload`` and its parts field for field, in the
same order, with the same names (a test keeps them equal). The core builds them without
pydantic; the wire layer validates them into the models where they cross a boundary (the
native host's answer, ``minuku check --json``): ``wire.payload_model`` / ``wire.payload_json``.
So ``minuku check`` and the check worker never load pydantic to judge a mail.

Lists, not tuples, where the model has a list: a payload compares equal to the JSON's shape
(``payload.reasons == [...]``), as the models did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Verdict = Literal["danger", "warning", "caution", "ok", "unknown"]
Lang = Literal["ja", "en"]
Severity = Literal["danger", "warning", "caution", "info"]
Method = Literal["spf", "dkim", "dmarc", "arc"]
DnsStatus = Literal["ok", "offline", "failing", "lying"]


@dataclass(frozen=True, slots=True)
class Brand:
    id: str
    name: str
    report_to: str | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    severity: Severity
    text: str
    evidence: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AuthLine:
    method: Method
    result: str
    domain: str | None
    text: str
    evidence: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReceivedAuthres:
    authserv_id: str | None
    trusted: bool
    results: dict[str, str]


@dataclass(frozen=True, slots=True)
class AuthSummaryPayload:
    lines: list[AuthLine]
    receiving_server: list[ReceivedAuthres] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Advice:
    text: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class BannerPayload:
    verdict: Verdict
    brand: Brand | None
    title: str
    summary: str
    reasons: list[Reason]
    auth: AuthSummaryPayload
    advice: list[Advice]
    locale: Lang
    host_version: str
    offline: bool = False
    verified: bool = False
    dns_status: DnsStatus = "ok"
    receiving_authserv_id: str | None = None
