"""Native messaging: the host's request loop over stdin/stdout (DESIGN.md, wire protocol).

Frames are a 32-bit native-endian length and UTF-8 JSON. One long-lived process answers many
requests (``hello``, ``ping``, ``check``), one response frame per request. A bad frame — over the
size cap, truncated, not UTF-8, not JSON, the wrong shape, an unknown protocol version — gets an
``error`` frame with a code and the loop goes on; EOF ends it cleanly. Every path checks the
request the same way first: the id is a string of 1–64 characters of valid Unicode (else the
error's id is null) and ``protocol_version`` is an integer, never a boolean. Checks run in a
worker process under a deadline (``worker``), so ``hello`` and ``ping`` are answered at once
even while a slow check runs. They are also answered without pydantic (checked by hand against
the same rules as the wire models, see "the hot path" below): the first answer comes ~30-40 ms
after launch, where importing pydantic and building the models alone took ~95 ms. A ``hello``
at a supported version is held to ``wire.HelloRequest`` (no unknown fields); at another version
it is always answered, ``compatible: false``. Only this module writes to stdout, through the
binary buffer, and only whole frames: ``sys.stdout`` itself is pointed at stderr while the loop
runs, so a stray print can never corrupt the channel.
"""

from __future__ import annotations

import os
import queue
import struct
import sys
import threading

from . import PROTOCOL_VERSION, __version__
from .limits import MAX_FRAME_BYTES, MAX_ID_CHARS, MAX_MESSAGE_BYTES, MAX_OUTGOING_FRAME_BYTES

# The first pong is on the clock (issue 10: <= 60 ms from launch): nothing on its path imports
# pydantic, typing, dataclasses or logging. mypy reads this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    import mmap
    from collections.abc import Callable, Iterator, Sequence
    from typing import IO, Any

    # A frame body: read_frame gives a bytearray, or for a big frame an anonymous mmap (its
    # pages can be handed back to the system as the message is sent on); callers may give bytes.
    Body = bytes | bytearray | mmap.mmap

_LEN = struct.Struct("=I")
MIN_PROTOCOL_VERSION = 1
MAX_PROTOCOL_VERSION = PROTOCOL_VERSION
_DISCARD_CHUNK = 1 << 20
_MAP_BYTES = 1 << 20  # frames of this size and more are read into an anonymous mmap
LOG_FORMAT = "minuku host: %(message)s"


class FrameError(Exception):
    def __init__(self, code: str, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.fatal = fatal  # the stream cannot be read further (truncated)


def read_frame(stream: IO[bytes], max_bytes: int) -> Body | None:
    """One frame's body, or None at a clean EOF. Oversized bodies are skipped, not buffered.

    The body is the one buffer that holds the frame: a big check's message is decoded from it
    a piece at a time as it goes to the worker (``Base64Pieces``), so the host never holds a
    second copy of a 40 MB frame, and gives back its pages as they are sent."""
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


def _read_exact(stream: IO[bytes], n: int) -> Body:
    # In reads of at most 1 MiB (an unbuffered read allocates what it is asked for), into one
    # buffer returned as is: no bytes() copy of the whole frame. A big frame goes into an
    # anonymous mmap, whose pages cost nothing until written (a frame that announces 40 MB and
    # sends 10 bytes costs a page) and can be given back one by one (Base64Pieces).
    if n >= _MAP_BYTES:
        import mmap

        if hasattr(mmap, "MADV_DONTNEED"):
            mapped = mmap.mmap(-1, n)
            got = 0
            while got < n:
                part = stream.read(min(n - got, _DISCARD_CHUNK))
                if not part:
                    short = mapped[:got]
                    mapped.close()
                    return short
                mapped[got : got + len(part)] = part
                got += len(part)
            return mapped
    buf = bytearray()
    while len(buf) < n:
        got_part = stream.read(min(n - len(buf), _DISCARD_CHUNK))
        if not got_part:
            break
        buf += got_part
    return buf


def write_frame(stream: IO[bytes], body: bytes) -> None:
    stream.write(_LEN.pack(len(body)) + body)
    stream.flush()


def valid_id(value: object) -> str | None:
    """A request id as the wire allows it: a string of 1–64 characters that is valid Unicode.

    JSON can carry a lone surrogate (``"\\ud800"``) that no UTF-8 frame can carry back; such an
    id, like one of any other type or length, is not echoed: the answer has ``id: null``.
    """
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_CHARS:
        return None
    return value if _encodable(value) else None


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# ---- the hot path: hello and ping, checked by hand --------------------------------------------
#
# ``wire`` (pydantic) stays the schema, but importing pydantic and building the models costs
# more than the whole start-up budget, so the requests a connection opens with are checked here
# by the same rules as ``wire.HelloRequest`` / ``wire.PingRequest`` (tests/test_wire_fastpath.py
# feeds both the same good and hostile requests and requires the same answer), and the answers
# are written as the models would write them. A check request is validated by
# ``wire.CheckRequest`` itself, loaded in the background after the first answer.

_PING_FIELDS = frozenset({"type", "protocol_version", "id"})
_HELLO_FIELDS = _PING_FIELDS | {"client_version"}
MAX_CLIENT_VERSION_CHARS = 64  # wire.HelloRequest.client_version
ERROR_CODES = frozenset(
    {
        "frame_too_large",
        "frame_truncated",
        "not_utf8",
        "not_json",
        "bad_request",
        "unsupported_version",
        "bad_base64",
        "message_too_large",
        "internal_error",
    }
)  # wire.ErrorCode (a test keeps them equal)


def _only_fields(obj: dict[str, Any], allowed: frozenset[str]) -> None:
    for key in obj:
        if key not in allowed:
            raise FrameError(
                "bad_request", f"bad request: {key[:100]}: Extra inputs are not permitted"
            )


# JSON without the json package: it imports re and enum, a quarter of the host's start-up on a
# loaded machine, and json.loads/json.dumps are these C functions underneath (same results;
# tests/test_wire_fastpath.py compares them on hostile input). Another Python uses json itself.
_JSON_WS = " \t\n\r"  # RFC 8259 §2: the only white space around values


_CONSTANTS = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}


class _ScanContext:
    """What json.JSONDecoder gives its C scanner: strict strings, plain dicts, float/int."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__  # a builtin method: not bound to the instance


try:
    from _json import encode_basestring as _encode_str
    from _json import make_scanner as _make_scanner

    _scan: Any = _make_scanner(_ScanContext())  # type: ignore[arg-type]  # the stub's odd type
except ImportError:  # pragma: no cover - not CPython
    _scan = None


def loads(text: str) -> object:
    """``json.loads(text)``: ValueError (or RecursionError) when ``text`` is not one JSON value."""
    if _scan is None:  # pragma: no cover - not CPython
        import json

        return json.loads(text)
    start = len(text) - len(text.lstrip(_JSON_WS))
    try:
        obj, end = _scan(text, start)
    except StopIteration:
        raise ValueError("Expecting value") from None
    except Exception:  # noqa: BLE001 - json itself says what is wrong
        # The C scanner reports a syntax error through json.decoder, which it expects loaded
        # (else a SystemError): a text that is not JSON pays for loading json, and gets its
        # exact error (RecursionError for one nested too deep).
        import json

        return json.loads(text)
    if end != len(text) and text[end:].strip(_JSON_WS):
        raise ValueError("Extra data")
    return obj


def _frame(obj: dict[str, str | int | bool | None]) -> bytes:
    # As pydantic's model_dump_json writes it: compact, UTF-8, fields in the models' order.
    if _scan is None:  # pragma: no cover - not CPython
        import json

        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    parts = []
    for key, value in obj.items():
        if isinstance(value, str):
            text = _encode_str(value)
        elif value is None:
            text = "null"
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = int.__repr__(value)
        parts.append(f"{_encode_str(key)}:{text}")
    return ("{" + ",".join(parts) + "}").encode("utf-8")


def pong_frame(req_id: str) -> bytes:
    """A ``wire.PongResponse`` for a valid id."""
    return _frame({"type": "pong", "protocol_version": PROTOCOL_VERSION, "id": req_id})


def hello_frame(req_id: str, version: int) -> bytes:
    """A ``wire.HelloResponse``: which protocol versions this host speaks, and whether the
    add-on's is one of them."""
    return _frame(
        {
            "type": "hello",
            "protocol_version": PROTOCOL_VERSION,
            "id": req_id,
            "host_version": __version__,
            "min_protocol_version": MIN_PROTOCOL_VERSION,
            "max_protocol_version": MAX_PROTOCOL_VERSION,
            "compatible": MIN_PROTOCOL_VERSION <= version <= MAX_PROTOCOL_VERSION,
        }
    )


# ---- a big check: the message found in the frame's bytes ---------------------------------------
#
# A check frame is nearly all its "message" (base64 of up to 32 MB). Decoding the frame to a
# str, parsing it to a dict, joining and decoding the base64 held four copies of it at once
# (issue 10: 188 MiB for a 30.8 MB message). A big frame is read another way: the message string
# is found in the bytes, the rest of the request (the frame with that string's content cut out)
# is parsed and checked by the same code as any request, and the base64 is decoded a piece at
# a time as it is sent to the worker, the frame's pages given back behind it (Base64Pieces).
# Whatever does not fit takes the general path, so every request is
# accepted or refused exactly as before (tests/test_wire_fastpath.py feeds hostile frames both
# ways):
# - the candidate is the content of the longest string that follows a `"message" :` (more than
#   _MAX_CANDIDATES such places: the general path), and it must be base64 alphabet then at
#   most two "=": no escape, no white space, nothing beyond ASCII, so the general path's str,
#   whitespace split and strict decode would see exactly these bytes (RFC 4648 §4);
# - the rest is parsed twice, with two different placeholders in the cut string. Only when the
#   top-level "message" (the last one, as json.loads and pydantic read a key given twice) reads
#   as the first placeholder in one parse and as the second in the other is it the string that
#   was cut (any other string reads the same in both). "message" inside another string, in a
#   nested object or given twice is thereby read as the general path reads it, or goes there;
# - a rest that is not UTF-8 or not JSON comes from a frame that is not either (the cut bytes
#   are plain ASCII inside a string): the general path answers it, with the exact error.
BIG_FRAME_BYTES = 64 * 1024  # smaller frames (every hello and ping) take the general path
_MAX_CANDIDATES = 16
_PLACEHOLDERS = (b"minuku-cut-1", b"minuku-cut-2")
_MESSAGE_KEY = b'"message"'
_B64_CHUNK = 1 << 20  # base64 text per piece sent: a multiple of 4 (whole quads) and of pages


def find_message(body: Body) -> tuple[int, int] | None:
    """(start, end) in ``body`` of the base64 text of the string that follows ``"message":``
    (the longest such), when it is base64 alphabet and padding only; else None."""
    import re  # not on the first pong's path: only frames of BIG_FRAME_BYTES and more come here

    after_key = re.compile(rb'[ \t\n\r]*:[ \t\n\r]*"')  # RFC 8259 §2: white space, name-separator
    best: tuple[int, int] | None = None
    pos = 0
    for _ in range(_MAX_CANDIDATES):
        at = body.find(_MESSAGE_KEY, pos)
        if at < 0:
            break
        pos = at + 1
        m = after_key.match(body, at + len(_MESSAGE_KEY))
        if m is None:
            continue
        start = m.end()
        end = body.find(b'"', start)
        if end < 0:
            return None
        if best is None or end - start > best[1] - best[0]:
            best = (start, end)
        pos = end
    else:
        if body.find(_MESSAGE_KEY, pos) >= 0:
            return None  # a frame full of "message" keys: the general path
    if best is None or not re.compile(rb"[A-Za-z0-9+/]*={0,2}").fullmatch(body, *best):
        return None
    return best


def parse_without(body: Body, start: int, end: int) -> dict[str, Any] | None:
    """The request with ``body[start:end]`` cut out and its top-level "message" set to "",
    when that cut string is its top-level message; else None (see above)."""
    head, tail = bytes(body[:start]), bytes(body[end:])
    parsed: list[dict[str, Any]] = []
    for mark in _PLACEHOLDERS:
        try:
            obj = _parse(head + mark + tail)
        except FrameError:
            return None
        if not isinstance(obj, dict) or obj.get("message") != mark.decode():
            return None
        parsed.append(obj)
    parsed[0]["message"] = ""
    return parsed[0]


class Base64Pieces:
    """The message of a big frame: the base64 text ``frame[start:end]``, decoded a piece at a
    time as it is sent to the worker (``worker.Pieces``), never whole in this process.

    The same bytes, and the same refusals (binascii.Error, from the constructor: nothing is
    sent for a bad text), as ``binascii.a2b_base64(frame[start:end], strict_mode=True)`` (what
    ``base64.b64decode(..., validate=True)`` does): the last part, from the last whole quad
    before the first "=", is decoded first and alone; the rest is whole quads of data, and
    strict decoding of those is plain concatenation, in pieces of any whole number of quads
    (tests/test_wire_fastpath.py compares them on hostile text). As each piece is sent, the
    frame's pages before it go back to the system (an mmap's MADV_DONTNEED), so the host's
    memory falls as the worker's grows."""

    def __init__(self, frame: Body, start: int, end: int, *, checked: bool = False) -> None:
        """``checked``: the caller has matched the text against the base64 alphabet and
        padding already (``find_message``); else that is done here, once, before any piece."""
        import binascii

        pad = frame.find(b"=", start, end)
        stop = end if pad < 0 else pad
        split = start + (stop - start) // 4 * 4
        if split == stop and split > start:
            # Padding right after a whole quad: strict a2b_base64 takes "QUJD=" (as "QUJD") but
            # refuses "=" alone, so that quad goes with the padding.
            split -= 4
        if not checked:
            import re

            # Before the first "=": data only (strict a2b_base64 refuses anything else there).
            if not re.compile(rb"[A-Za-z0-9+/]*").fullmatch(frame, start, split):
                raise binascii.Error("Only base64 data is allowed")
        with memoryview(frame) as view:
            self._last = binascii.a2b_base64(view[split:end], strict_mode=True)
        self._frame: Body | None = frame
        self._start, self._split = start, split
        self.count = -(-(split - start) // _B64_CHUNK) + 1  # pieces __iter__ gives
        self._size = (split - start) // 4 * 3 + len(self._last)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[bytes]:
        """The decoded pieces, once (the frame is let go of as they go)."""
        import binascii

        frame, self._frame = self._frame, None
        if frame is None:
            raise RuntimeError("the pieces of a message are read once")
        given_back = 0
        with memoryview(frame) as view:
            pos = self._start
            while pos < self._split:
                step = min(pos + _B64_CHUNK, self._split)
                yield binascii.a2b_base64(view[pos:step], strict_mode=True)
                given_back = _give_back(frame, given_back, step)
                pos = step
        if not isinstance(frame, bytes | bytearray):
            frame.close()
        yield self._last


def _give_back(frame: Body, start: int, end: int) -> int:
    """Hand the whole pages of ``frame[start:end]`` (read, not needed again) back to the system;
    returns where the next call starts."""
    if isinstance(frame, bytes | bytearray):
        return start  # no pages of its own to give: freed whole, with the frame
    import mmap

    end -= end % mmap.PAGESIZE
    if end > start:
        frame.madvise(mmap.MADV_DONTNEED, start, end - start)
        return end
    return start


def _parse(body: Body) -> object:
    """The JSON value of a frame body, or a not_utf8 / not_json FrameError."""
    try:
        text = str(body, "utf-8")
    except UnicodeDecodeError as exc:
        raise FrameError(
            "not_utf8", f"frame is not UTF-8 ({exc.reason} at byte {exc.start})"
        ) from None
    try:
        return loads(text)
    except (ValueError, RecursionError):
        raise FrameError("not_json", "frame is not JSON") from None


def _validate_check(obj: dict[str, Any]) -> Any:
    """A ``wire.CheckRequest``, or a bad_request naming the first field that is wrong."""
    from pydantic import ValidationError

    from .wire import CheckRequest

    try:
        return CheckRequest.model_validate(obj)
    except ValidationError as exc:
        errors = exc.errors()
        where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
        msg = errors[0]["msg"] if errors else "invalid"
        raise FrameError("bad_request", f"bad request: {where[:100]}: {msg}") from None


class CheckJob:
    """A validated check request (a ``wire.CheckRequest``), to be answered by ``Host.finish``
    (off the reader thread). A big frame's message stays in the frame: ``req.message`` is ""
    and ``frame[span[0]:span[1]]`` is its base64 text; ``Host.finish`` takes the frame out of
    the job, so nothing else keeps it alive once the message is on its way to the worker."""

    __slots__ = ("frame", "req", "span")

    def __init__(
        self,
        req: Any,
        frame: Body | None = None,
        span: tuple[int, int] | None = None,
    ) -> None:
        self.req = req
        self.frame = frame
        self.span = span


class Host:
    """Answers decoded requests. Checks run in a ``worker.CheckWorker`` child process that lives
    as long as the host (so its DNS cache serves every check) and is replaced when a check
    overruns its deadline; ``hello`` and ``ping`` are answered here, at once."""

    def __init__(
        self,
        resolver_factory: Callable[[], Any] | None = None,
        *,
        worker: Any = None,
        cpu_budget_s: float | None = None,
        log_format: str | None = None,
        big_frame_bytes: int = BIG_FRAME_BYTES,
    ) -> None:
        self._resolver_factory = resolver_factory
        self._big_frame_bytes = big_frame_bytes  # tests: 0 sends every frame the big way
        self._worker = worker
        self._cpu_budget_s = cpu_budget_s
        self._log_format = log_format  # set: the host owns the process's logging (stderr)
        self._worker_lock = threading.Lock()
        self._closed = False

    def _log(self) -> logging.Logger:
        import logging  # not on the first pong's path

        if self._log_format is not None:
            logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format=self._log_format)
        return logging.getLogger("minuku")

    def worker(self) -> Any:
        """The check worker, created on first use (the process itself starts on ``warm``/check)."""
        with self._worker_lock:
            if self._worker is None:
                from .worker import DEFAULT_CPU_BUDGET_S, CheckWorker

                budget = self._cpu_budget_s
                if budget is None:
                    budget = _env_seconds(CPU_BUDGET_ENV, DEFAULT_CPU_BUDGET_S)
                self._worker = CheckWorker(
                    cpu_budget_s=budget, resolver_factory=self._resolver_factory
                )
            return self._worker

    def warm(self) -> None:
        """Get ready for the first check, in the background after the first answer: start the
        check process, then load what ``_check`` uses here (pydantic, the wire models)."""
        with self._worker_lock:
            if self._closed:
                return
        log = self._log()
        try:
            self.worker().start()
        except Exception:  # noqa: BLE001 - the first check tries again and reports
            log.exception("could not start the check worker")
        try:
            from . import banner, check, dns, quickcheck, wire  # noqa: F401
        except Exception:  # noqa: BLE001 - the first check imports them again and reports
            log.exception("could not load the check modules")

    def close(self) -> None:
        with self._worker_lock:
            self._closed = True
            worker = self._worker
        if worker is not None:
            worker.close()

    def handle(self, body: Body) -> bytes:
        """One request frame body → one response frame body. Never raises."""
        triaged = self.triage(body)
        return triaged if isinstance(triaged, bytes) else self.finish(triaged)

    def triage(self, body: Body) -> bytes | CheckJob:
        """Answer what can be answered at once; a valid check becomes a job. Never raises.

        The checks run in the order that keeps the id in the error whenever the id is valid:
        id, then protocol_version, then type, then the other fields.
        """
        req_id: str | None = None
        try:
            span = None
            obj: object = None
            if len(body) >= self._big_frame_bytes:
                span = find_message(body)
                if span is not None:
                    obj = parse_without(body, *span)
                    if obj is None:
                        span = None
            if span is None:
                obj = _parse(body)
            if not isinstance(obj, dict):
                raise FrameError("bad_request", "a request must be a JSON object")
            req_id = valid_id(obj.get("id"))
            if req_id is None:
                raise FrameError(
                    "bad_request", f"id must be a string of 1 to {MAX_ID_CHARS} characters"
                )
            version = obj.get("protocol_version")
            if not isinstance(version, int) or isinstance(version, bool):
                # JSON true is a Python bool, and bool is an int: it is not a protocol version.
                raise FrameError("bad_request", "protocol_version must be an integer")
            kind = obj.get("type")
            supported = MIN_PROTOCOL_VERSION <= version <= MAX_PROTOCOL_VERSION
            if kind == "hello":
                # The version handshake: an add-on of another protocol version may send fields
                # this host does not know, and must still learn that it is incompatible.
                if supported:
                    _only_fields(obj, _HELLO_FIELDS)
                    client = obj.get("client_version", "")
                    if not (
                        isinstance(client, str)
                        and len(client) <= MAX_CLIENT_VERSION_CHARS
                        and _encodable(client)
                    ):
                        raise FrameError(
                            "bad_request",
                            "bad request: client_version: must be a string of at most "
                            f"{MAX_CLIENT_VERSION_CHARS} characters",
                        )
                return hello_frame(req_id, version)
            if not supported:
                raise FrameError(
                    "unsupported_version",
                    f"protocol version {version} is not supported "
                    f"(this host speaks {MIN_PROTOCOL_VERSION}..{MAX_PROTOCOL_VERSION}); update Minuku",
                )
            if kind == "ping":
                _only_fields(obj, _PING_FIELDS)
                return pong_frame(req_id)
            if kind == "check":
                if span is None:
                    return CheckJob(_validate_check(obj))
                return CheckJob(_validate_check(obj), body, span)
            raise FrameError("bad_request", "bad request: type: must be hello, ping or check")
        except FrameError as exc:
            return error_frame(exc.code, str(exc), req_id)
        except Exception as exc:  # the process lives on
            self._log().exception("request failed")
            return error_frame("internal_error", f"internal error: {type(exc).__name__}", req_id)

    def finish(self, job: CheckJob) -> bytes:
        """Run a check job to its one answer. Never raises."""
        req_id: str = job.req.id
        frame, job.frame = job.frame, None  # from here on, this call alone holds the frame
        try:
            return self._check(job.req, frame, job.span)
        except FrameError as exc:
            return error_frame(exc.code, str(exc), req_id)
        except Exception as exc:  # the process lives on
            self._log().exception("check failed")
            return error_frame("internal_error", f"internal error: {type(exc).__name__}", req_id)

    def _check(self, req: Any, frame: Body | None, span: tuple[int, int] | None) -> bytes:
        from .banner import default_lang
        from .check import CheckOptions
        from .quickcheck import cut_short
        from .wire import ResultResponse
        from .worker import Job

        raw = _message_bytes(req.message, frame, span)
        del frame  # on the big path raw holds it, and lets go of it as it is sent
        if len(raw) > MAX_MESSAGE_BYTES:
            raise _too_large()
        opts = req.options
        nameservers = tuple(opts.nameservers)
        try:
            from .dns import parse_nameserver

            for ns in nameservers:
                parse_nameserver(ns)
        except ValueError as exc:
            raise FrameError("bad_request", f"bad request: options.nameservers: {exc}") from None
        options = CheckOptions(
            lang=opts.locale or default_lang(),
            offline=opts.offline,
            trusted_authserv_ids=tuple(opts.trusted_authserv_ids),
            trusted_arc_sealers=tuple(opts.trusted_arc_sealers),
            nameservers=nameservers,
            sender_lookups=opts.sender_lookups,
        )
        outcome = self.worker().run(Job(raw, options))
        del raw
        payload = outcome.payload
        if payload is None:
            payload = cut_short(
                outcome.headers,
                code=outcome.stopped or "check_crashed",
                seconds=round(outcome.seconds, 1),
                lang=options.lang,
                offline=options.offline,
            )
        return fit_frame(ResultResponse(id=req.id, payload=payload))


def _too_large() -> FrameError:
    return FrameError(
        "message_too_large", f"message is over {MAX_MESSAGE_BYTES // (1024 * 1024)} MB"
    )


def _message_bytes(
    data: str, frame: Body | None, span: tuple[int, int] | None
) -> bytes | Base64Pieces:
    """The raw message of a check: from ``data`` (the general path), or the base64 text in
    ``frame`` at ``span``, to be decoded as it is sent (a big frame; the same refusals: the text
    there is what ``data`` would have been, see ``find_message``)."""
    import binascii

    if frame is None or span is None:
        if len(data) > MAX_MESSAGE_BYTES * 4 // 3 + 8:
            raise _too_large()
        import base64

        try:
            return base64.b64decode("".join(data.split()), validate=True)
        except (binascii.Error, ValueError):
            raise FrameError("bad_base64", "the message is not valid base64") from None
    start, end = span
    if end - start > MAX_MESSAGE_BYTES * 4 // 3 + 8:
        raise _too_large()
    try:
        return Base64Pieces(frame, start, end, checked=True)
    except (binascii.Error, ValueError):
        raise FrameError("bad_base64", "the message is not valid base64") from None


CPU_BUDGET_ENV = "MINUKU_CHECK_CPU_S"


def _env_seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if 0 < value <= 60 else default


def fit_frame(resp: Any) -> bytes:
    """Serialize, shedding evidence and then reasons until the frame fits Thunderbird's cap."""
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
    """A ``wire.ErrorResponse``. Never raises: it is the answer of last resort."""
    # The message may quote the request (a JSON key, a bad id): never let it break the frame.
    text = message[:500].encode("utf-8", "replace").decode("utf-8")
    if code not in ERROR_CODES:
        code, text = "internal_error", "internal error"
    return _frame(
        {
            "type": "error",
            "protocol_version": PROTOCOL_VERSION,
            "id": valid_id(req_id),
            "code": code,
            "message": text,
        }
    )


def serve(
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | None = None,
    host: Host | None = None,
    max_frame: int | None = None,
) -> int:
    """Run the loop until EOF. Returns the process exit status.

    This thread reads frames and answers ``hello``, ``ping`` and bad frames at once; checks go
    to one check thread that hands them to the worker process in turn, so a slow check never
    delays a ``pong``. Answers may therefore come out of request order; each carries its id.
    At EOF every check already read still gets its answer before the loop returns.
    """
    if stdin is not None:
        inp = stdin
    else:
        # Read the channel through a private unbuffered file: a forked worker's bootstrap
        # closes sys.stdin, and with this thread blocked inside sys.stdin.buffer.read (holding
        # its lock) the child would hang on that lock until the deadline.
        inp = os.fdopen(os.dup(sys.stdin.fileno()), "rb", buffering=0)
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the host
    out = stdout if stdout is not None else sys.stdout.buffer
    if stdout is None:
        sys.stdout = sys.stderr  # anything printed by accident goes to the log, not the channel
    if max_frame is None:
        max_frame = MAX_FRAME_BYTES
    host = host or Host()
    write_lock = threading.Lock()
    gone = threading.Event()  # the add-on closed our stdout: nothing more can be said

    def send(body: bytes) -> None:
        with write_lock:
            if gone.is_set():
                return
            try:
                write_frame(out, body)
            except (OSError, ValueError):
                gone.set()

    jobs: queue.Queue[CheckJob | None] = queue.Queue()

    def check_loop() -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            send(host.finish(job))

    # Started with the first check, not before: no thread to start on the first pong's path.
    checker: threading.Thread | None = None
    warmed = False
    try:
        while not gone.is_set():
            try:
                body = read_frame(inp, max_frame)
            except FrameError as exc:
                send(error_frame(exc.code, str(exc), None))
                if exc.fatal:
                    break
                continue
            if body is None:
                break
            answer = host.triage(body)
            body = None  # a check's frame now lives in its job alone (freed once sent)
            if isinstance(answer, bytes):
                send(answer)
            else:
                if checker is None:
                    checker = threading.Thread(target=check_loop, name="minuku-checks", daemon=True)
                    checker.start()
                jobs.put(answer)
            del answer
            if not warmed:
                # After the first answer, not before: the first pong must not wait on a fork.
                warmed = True
                threading.Thread(target=host.warm, name="minuku-warm", daemon=True).start()
    finally:
        if checker is not None:
            jobs.put(None)
            checker.join()
        host.close()
    return 0


def split_nameservers(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """(``--nameserver`` values, other arguments) from ``minuku host``'s raw arguments."""
    found: list[str] = []
    other: list[str] = []
    it = iter(args)
    for arg in it:
        if arg == "--nameserver":
            found.append(next(it, ""))
        elif arg.startswith("--nameserver="):
            found.append(arg.partition("=")[2])
        else:
            other.append(arg)
    return found, other


EXIT_USAGE = 4  # cli.EXIT_USAGE


def main(args: Sequence[str]) -> int:
    """``minuku host [--nameserver IP[:PORT]]... [MANIFEST ADDON-ID]``, as Thunderbird starts it
    (through the launcher: ``python -m minuku host``, which comes here without the command
    line parser). Thunderbird's own two arguments are ignored."""
    values, _thunderbird_args = split_nameservers(args)
    if not values:
        return serve(host=Host(log_format=LOG_FORMAT))
    import functools

    from .dns import format_nameserver, parse_nameserver, resolver_for

    try:
        nameservers = tuple(format_nameserver(*parse_nameserver(v)) for v in values)
    except ValueError as exc:
        sys.stderr.write(f"minuku: --nameserver: {exc}\n")
        return EXIT_USAGE
    # Requests that name no server of their own use these. A partial, not a lambda: the check
    # worker process receives it pickled.
    factory = functools.partial(resolver_for, nameservers)
    return serve(host=Host(resolver_factory=factory, log_format=LOG_FORMAT))
