"""Native messaging: the host's request loop over stdin/stdout (DESIGN.md, wire protocol).

Frames are a 32-bit native-endian length and UTF-8 JSON. One long-lived process answers many
requests (``hello``, ``ping``, ``check``), one response frame per request. A bad frame — over the
size cap, truncated, not UTF-8, not JSON, the wrong shape, an unknown protocol version — gets an
``error`` frame with a code and the loop goes on; EOF ends it cleanly. Only this module writes
to stdout, through the binary buffer, and only whole frames: ``sys.stdout`` itself is pointed
at stderr while the loop runs, so a stray print can never corrupt the channel.
"""

from __future__ import annotations

import json
import struct
import sys
from collections.abc import Callable
from typing import IO, Any

from . import PROTOCOL_VERSION, __version__

_LEN = struct.Struct("=I")
MIN_PROTOCOL_VERSION = 1
MAX_PROTOCOL_VERSION = PROTOCOL_VERSION
_DISCARD_CHUNK = 1 << 20


class FrameError(Exception):
    def __init__(self, code: str, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.fatal = fatal  # the stream cannot be read further (truncated)


def read_frame(stream: IO[bytes], max_bytes: int) -> bytes | None:
    """One frame's body, or None at a clean EOF. Oversized bodies are skipped, not buffered."""
    header = _read_exact(stream, 4)
    if not header:
        return None
    if len(header) < 4:
        raise FrameError("frame_truncated", "stream ended inside a frame header", fatal=True)
    (length,) = _LEN.unpack(header)
    if length > max_bytes:
        remaining = length
        while remaining:
            got = stream.read(min(remaining, _DISCARD_CHUNK))
            if not got:
                raise FrameError(
                    "frame_truncated", "stream ended inside an oversized frame", fatal=True
                )
            remaining -= len(got)
        raise FrameError(
            "frame_too_large", f"frame of {length} bytes is over the cap of {max_bytes}"
        )
    body = _read_exact(stream, length)
    if len(body) < length:
        raise FrameError(
            "frame_truncated", f"frame announced {length} bytes, got {len(body)}", fatal=True
        )
    return body


def _read_exact(stream: IO[bytes], n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        got = stream.read(n - len(buf))
        if not got:
            break
        buf += got
    return bytes(buf)


def write_frame(stream: IO[bytes], body: bytes) -> None:
    stream.write(_LEN.pack(len(body)) + body)
    stream.flush()


class Host:
    """Answers decoded requests; the resolver (and its DNS cache) lives as long as the host."""

    def __init__(self, resolver_factory: Callable[[], Any] | None = None) -> None:
        self._resolver_factory = resolver_factory
        self._resolver: Any = None

    def _resolver_for_check(self) -> Any:
        if self._resolver is None:
            if self._resolver_factory is not None:
                self._resolver = self._resolver_factory()
            else:
                from .check import default_resolver

                self._resolver = default_resolver()
        return self._resolver

    def handle(self, body: bytes) -> bytes:
        """One request frame body → one response frame body. Never raises."""
        req_id: str | None = None
        try:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FrameError(
                    "not_utf8", f"frame is not UTF-8 ({exc.reason} at byte {exc.start})"
                ) from None
            try:
                obj = json.loads(text)
            except (ValueError, RecursionError):
                raise FrameError("not_json", "frame is not JSON") from None
            if not isinstance(obj, dict):
                raise FrameError("bad_request", "a request must be a JSON object")
            rid = obj.get("id")
            req_id = rid if isinstance(rid, str) and 0 < len(rid) <= 64 else None
            version = obj.get("protocol_version")
            kind = obj.get("type")
            if kind == "ping" and version == PROTOCOL_VERSION and req_id and len(obj) == 3:
                return self._pong(req_id)  # the hot, light path: no pydantic validation of input
            if kind == "hello":
                return self._hello(obj)
            if not isinstance(version, int) or isinstance(version, bool):
                raise FrameError("bad_request", "protocol_version must be an integer")
            if not MIN_PROTOCOL_VERSION <= version <= MAX_PROTOCOL_VERSION:
                raise FrameError(
                    "unsupported_version",
                    f"protocol version {version} is not supported "
                    f"(this host speaks {MIN_PROTOCOL_VERSION}..{MAX_PROTOCOL_VERSION}); update Minuku",
                )
            return self._dispatch(obj)
        except FrameError as exc:
            return error_frame(exc.code, str(exc), req_id)
        except Exception as exc:  # the process lives on
            import logging

            logging.getLogger("minuku").exception("request failed")
            return error_frame("internal_error", f"internal error: {type(exc).__name__}", req_id)

    def _pong(self, req_id: str) -> bytes:
        from .wire import PongResponse

        return PongResponse(id=req_id).model_dump_json().encode()

    def _hello(self, obj: dict[str, Any]) -> bytes:
        from .wire import HelloResponse

        version = obj.get("protocol_version")
        rid = obj.get("id")
        return (
            HelloResponse(
                id=rid if isinstance(rid, str) else "",
                host_version=__version__,
                min_protocol_version=MIN_PROTOCOL_VERSION,
                max_protocol_version=MAX_PROTOCOL_VERSION,
                compatible=isinstance(version, int)
                and MIN_PROTOCOL_VERSION <= version <= MAX_PROTOCOL_VERSION,
            )
            .model_dump_json()
            .encode()
        )

    def _dispatch(self, obj: dict[str, Any]) -> bytes:
        from pydantic import TypeAdapter, ValidationError

        from .wire import CheckRequest, PingRequest, Request

        try:
            req = TypeAdapter(Request).validate_python(obj)
        except ValidationError as exc:
            errors = exc.errors()
            where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
            msg = errors[0]["msg"] if errors else "invalid"
            raise FrameError("bad_request", f"bad request: {where}: {msg}") from None
        if isinstance(req, PingRequest):
            return self._pong(req.id)
        if isinstance(req, CheckRequest):
            return self._check(req)
        return self._hello(obj)

    def _check(self, req: Any) -> bytes:
        import base64
        import binascii

        from .banner import default_lang
        from .check import CheckOptions, check
        from .wire import MAX_MESSAGE_BYTES, ResultResponse

        data = req.message
        if len(data) > MAX_MESSAGE_BYTES * 4 // 3 + 8:
            raise FrameError(
                "message_too_large", f"message is over {MAX_MESSAGE_BYTES // (1024 * 1024)} MB"
            )
        try:
            raw = base64.b64decode("".join(data.split()), validate=True)
        except (binascii.Error, ValueError):
            raise FrameError("bad_base64", "the message is not valid base64") from None
        if len(raw) > MAX_MESSAGE_BYTES:
            raise FrameError(
                "message_too_large", f"message is over {MAX_MESSAGE_BYTES // (1024 * 1024)} MB"
            )
        opts = req.options
        options = CheckOptions(
            lang=opts.locale or default_lang(),
            offline=opts.offline,
            trusted_authserv_ids=tuple(opts.trusted_authserv_ids),
        )
        payload = check(
            raw, resolver=None if opts.offline else self._resolver_for_check(), options=options
        )
        return fit_frame(ResultResponse(id=req.id, payload=payload))


def fit_frame(resp: Any) -> bytes:
    """Serialize, shedding evidence and then reasons until the frame fits Thunderbird's cap."""
    from .wire import MAX_OUTGOING_FRAME_BYTES

    body: bytes = resp.model_dump_json().encode()
    if len(body) <= MAX_OUTGOING_FRAME_BYTES:
        return body
    payload = resp.payload
    reasons = [r.model_copy(update={"evidence": r.evidence[:1]}) for r in payload.reasons]
    while True:
        slim = payload.model_copy(update={"reasons": reasons})
        body = resp.model_copy(update={"payload": slim}).model_dump_json().encode()
        if len(body) <= MAX_OUTGOING_FRAME_BYTES or not reasons:
            return body
        reasons = reasons[: len(reasons) // 2]


def error_frame(code: str, message: str, req_id: str | None) -> bytes:
    from .wire import ErrorResponse

    return ErrorResponse(id=req_id, code=code, message=message[:500]).model_dump_json().encode()  # type: ignore[arg-type]


def serve(
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | None = None,
    host: Host | None = None,
    max_frame: int | None = None,
) -> int:
    """Run the loop until EOF. Returns the process exit status."""
    inp = stdin if stdin is not None else sys.stdin.buffer
    out = stdout if stdout is not None else sys.stdout.buffer
    if stdout is None:
        sys.stdout = sys.stderr  # anything printed by accident goes to the log, not the channel
    if max_frame is None:
        from .wire import MAX_FRAME_BYTES

        max_frame = MAX_FRAME_BYTES
    host = host or Host()
    while True:
        try:
            body = read_frame(inp, max_frame)
        except FrameError as exc:
            write_frame(out, error_frame(exc.code, str(exc), None))
            if exc.fatal:
                return 0
            continue
        if body is None:
            return 0
        write_frame(out, host.handle(body))
