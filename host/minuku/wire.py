"""The native-messaging wire protocol: pydantic models, the one source of truth.

Every frame carries ``type`` (the discriminator) and ``protocol_version``. Requests carry an
``id`` that the answer repeats. ``minuku schema`` exports the JSON Schema of all of them to
``extension/wire-schema.json``, which the add-on's tests read; a test fails when they drift.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from . import PROTOCOL_VERSION
from . import payload as plain
from .limits import MAX_FRAME_BYTES as MAX_FRAME_BYTES
from .limits import MAX_ID_CHARS
from .limits import MAX_MESSAGE_BYTES as MAX_MESSAGE_BYTES
from .limits import MAX_OUTGOING_FRAME_BYTES as MAX_OUTGOING_FRAME_BYTES

# One definition, in the module that imports no pydantic (the core uses them too).
Verdict = plain.Verdict
Lang = plain.Lang

# pydantic-core takes no string with a lone surrogate ("\ud800": valid JSON, not Unicode), so
# an id it accepts can always be echoed in a UTF-8 frame.
RequestId = Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS)]
# JSON true is a Python bool, and bool is an int: strict, so it is not a protocol version
# (nor are 1.0 or "1").
ProtocolVersion = StrictInt


# IPv4[:PORT], [IPv6]:PORT or a bare IPv6 address; the host still checks each address.
_NAMESERVER = (
    r"^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?|[0-9A-Fa-f:.]{2,45})$"
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- requests (add-on → host) ----


class CheckOptions(_Model):
    locale: Lang | None = None
    offline: bool = False
    trusted_authserv_ids: list[Annotated[str, Field(max_length=255)]] = Field(
        default_factory=list, max_length=32
    )
    trusted_arc_sealers: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(
        default_factory=list, max_length=32
    )
    nameservers: list[Annotated[str, Field(min_length=1, max_length=64, pattern=_NAMESERVER)]] = (
        Field(
            default_factory=list,
            max_length=8,
            description="DNS servers as IP or IP:PORT; empty: the system's resolver",
        )
    )
    sender_lookups: bool = Field(
        default=True,
        description=(
            "false: no DNS query for a name the sender controls (their domain, DKIM selector,"
            " SPF includes); only names under a catalogue brand's own domains and the resolver"
            " canaries are asked. For opening a mail already checked on arrival: a query at"
            " opening time would tell the sender the mail is being read."
        ),
    )


class HelloRequest(_Model):
    type: Literal["hello"]
    protocol_version: ProtocolVersion
    id: RequestId
    client_version: str = Field(default="", max_length=64)


class PingRequest(_Model):
    type: Literal["ping"]
    protocol_version: ProtocolVersion
    id: RequestId


class CheckRequest(_Model):
    type: Literal["check"]
    protocol_version: ProtocolVersion
    id: RequestId
    message: str = Field(description="base64 of the raw message (messages.getRaw bytes)")
    options: CheckOptions = Field(default_factory=CheckOptions)


Request = Annotated[HelloRequest | PingRequest | CheckRequest, Field(discriminator="type")]


# ---- the banner payload ----
# The core builds it as plain data (``payload``: the same fields, in the same order); these
# models validate it where it leaves the host. ``from_attributes``: a model takes the plain
# dataclass as it is (``ResultResponse(payload=...)``, ``payload_model``), nested parts too.


class _Payload(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True, from_attributes=True)


class Brand(_Payload):
    id: str
    name: str
    report_to: str | None = Field(
        default=None,
        description="the address the brand's official help names for forwarding mail that"
        " imitates it (data/advice.json, with its source); never taken from the mail",
    )


class Reason(_Payload):
    code: str
    severity: Literal["danger", "warning", "caution", "info"]
    text: str
    evidence: list[str] = Field(default_factory=list)


class AuthLine(_Payload):
    method: Literal["spf", "dkim", "dmarc", "arc"]
    result: str
    domain: str | None = None
    text: str
    evidence: list[str] = Field(default_factory=list)


class ReceivedAuthres(_Payload):
    authserv_id: str | None
    trusted: bool
    results: dict[str, str]


class AuthSummaryPayload(_Payload):
    lines: list[AuthLine]
    receiving_server: list[ReceivedAuthres] = Field(default_factory=list)
    disagreements: list[str] = Field(default_factory=list)
    unchecked: list[str] = Field(default_factory=list)


class Advice(_Payload):
    text: str
    url: str | None = Field(default=None, description="an official URL from the catalogue")


class BannerPayload(_Payload):
    verdict: Verdict
    brand: Brand | None = None
    title: str
    summary: str
    reasons: list[Reason] = Field(default_factory=list)
    auth: AuthSummaryPayload
    advice: list[Advice] = Field(default_factory=list)
    locale: Lang
    host_version: str
    offline: bool = False
    verified: bool = Field(
        default=False,
        description="the sender was authenticated (DMARC pass, aligned DKIM pass, or a trusted"
        " receiving server's pass); an ok verdict without it means nothing was found, not proven",
    )
    dns_status: Literal["ok", "offline", "failing", "lying"] = Field(
        default="ok",
        description="failing: timeouts/SERVFAIL/REFUSED; lying: NXDOMAIN for names that exist",
    )
    receiving_authserv_id: str | None = Field(
        default=None,
        max_length=255,
        description="authserv-id of the topmost Authentication-Results above the trust boundary,"
        " for the add-on to learn per account; never trusted because of this field alone",
    )


# ---- responses (host → add-on) ----


class HelloResponse(_Model):
    type: Literal["hello"] = "hello"
    protocol_version: int = PROTOCOL_VERSION
    id: str
    host_version: str
    min_protocol_version: int
    max_protocol_version: int
    compatible: bool


class PongResponse(_Model):
    type: Literal["pong"] = "pong"
    protocol_version: int = PROTOCOL_VERSION
    id: str


class ResultResponse(_Model):
    type: Literal["result"] = "result"
    protocol_version: int = PROTOCOL_VERSION
    id: str
    partial: bool = False
    payload: BannerPayload

    if TYPE_CHECKING:
        # What the model takes at run time: the core's plain payload is validated into a
        # ``BannerPayload`` (from_attributes), so the host hands over what the check returned.
        def __init__(
            self,
            *,
            id: str,
            payload: BannerPayload | plain.BannerPayload,
            partial: bool = False,
            type: Literal["result"] = "result",
            protocol_version: int = PROTOCOL_VERSION,
        ) -> None: ...


ErrorCode = Literal[
    "frame_too_large",
    "frame_truncated",
    "not_utf8",
    "not_json",
    "bad_request",
    "unsupported_version",
    "bad_base64",
    "message_too_large",
    "internal_error",
]


class ErrorResponse(_Model):
    type: Literal["error"] = "error"
    protocol_version: int = PROTOCOL_VERSION
    id: str | None = None
    code: ErrorCode
    message: str


Response = Annotated[
    HelloResponse | PongResponse | ResultResponse | ErrorResponse, Field(discriminator="type")
]


def payload_model(data: plain.BannerPayload | BannerPayload) -> BannerPayload:
    """The core's plain payload, validated into the wire model (the boundary's one check)."""
    if isinstance(data, BannerPayload):
        return data
    return BannerPayload.model_validate(data, from_attributes=True)


def payload_json(data: plain.BannerPayload | BannerPayload, *, indent: int | None = None) -> str:
    """The payload's JSON as the wire carries it (``minuku check --json``: indent=2)."""
    return payload_model(data).model_dump_json(indent=indent)


SCHEMA_PATH_IN_REPO = "extension/wire-schema.json"


def json_schema() -> dict[str, object]:
    """The JSON Schema of every wire message, as committed for the add-on's tests."""
    from pydantic import TypeAdapter

    return {
        "$comment": "Generated by `minuku schema` from minuku.wire; do not edit by hand.",
        "protocol_version": PROTOCOL_VERSION,
        "request": TypeAdapter(Request).json_schema(),
        "response": TypeAdapter(Response).json_schema(),
    }
