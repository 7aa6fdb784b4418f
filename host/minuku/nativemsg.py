"""Native messaging: the host's request loop over stdin/stdout (DESIGN.md, wire protocol).

Frames are a 32-bit native-endian length and UTF-8 JSON. One long-lived process answers many
requests (``hello``, ``ping``, ``check``), one response frame per request. A bad frame — over the
size cap, truncated, not UTF-8, not JSON, the wrong shape, an unknown protocol version — gets an
``error`` frame with a code and the loop goes on; EOF ends it cleanly. Every path checks the
request the same way first: the id is a string of 1–64 characters of valid Unicode (else the
error's id is null) and ``protocol_version`` is an integer, never a boolean. Checks run in a
worker process under a deadline (``worker``), so ``hello`` and ``ping`` are answered at once
even while a slow check runs. Only this module writes
to stdout, through the binary buffer, and only whole frames: ``sys.stdout`` itself is pointed
at stderr while the loop runs, so a stray print can never corrupt the channel.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import struct
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
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


MAX_ID_CHARS = 64


def valid_id(value: object) -> str | None:
    """A request id as the wire allows it: a string of 1–64 characters that is valid Unicode.

    JSON can carry a lone surrogate (``"\\ud800"``) that no UTF-8 frame can carry back; such an
    id, like one of any other type or length, is not echoed: the answer has ``id: null``.
    """
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_CHARS:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


@dataclass(frozen=True)
class CheckJob:
    """A validated check request, to be answered by ``Host.finish`` (off the reader thread)."""

    req: Any


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
    ) -> None:
        self._resolver_factory = resolver_factory
        self._worker = worker
        self._cpu_budget_s = cpu_budget_s
        self._worker_lock = threading.Lock()
        self._closed = False

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
        """Start the check process ahead of the first check (called after the first answer)."""
        with self._worker_lock:
            if self._closed:
                return
        try:
            self.worker().start()
        except Exception:  # noqa: BLE001 - the first check tries again and reports
            logging.getLogger("minuku").exception("could not start the check worker")

    def close(self) -> None:
        with self._worker_lock:
            self._closed = True
            worker = self._worker
        if worker is not None:
            worker.close()

    def handle(self, body: bytes) -> bytes:
        """One request frame body → one response frame body. Never raises."""
        triaged = self.triage(body)
        return triaged if isinstance(triaged, bytes) else self.finish(triaged)

    def triage(self, body: bytes) -> bytes | CheckJob:
        """Answer what can be answered at once; a valid check becomes a job. Never raises."""
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
            if kind == "hello":
                return self._hello(req_id, version)
            if not MIN_PROTOCOL_VERSION <= version <= MAX_PROTOCOL_VERSION:
                raise FrameError(
                    "unsupported_version",
                    f"protocol version {version} is not supported "
                    f"(this host speaks {MIN_PROTOCOL_VERSION}..{MAX_PROTOCOL_VERSION}); update Minuku",
                )
            if kind == "ping" and len(obj) == 3:
                return self._pong(req_id)  # the hot, light path: no pydantic validation of input
            return self._dispatch(obj)
        except FrameError as exc:
            return error_frame(exc.code, str(exc), req_id)
        except Exception as exc:  # the process lives on
            logging.getLogger("minuku").exception("request failed")
            return error_frame("internal_error", f"internal error: {type(exc).__name__}", req_id)

    def _pong(self, req_id: str) -> bytes:
        from .wire import PongResponse

        return PongResponse(id=req_id).model_dump_json().encode()

    def _hello(self, req_id: str, version: int) -> bytes:
        from .wire import HelloResponse

        return (
            HelloResponse(
                id=req_id,
                host_version=__version__,
                min_protocol_version=MIN_PROTOCOL_VERSION,
                max_protocol_version=MAX_PROTOCOL_VERSION,
                compatible=MIN_PROTOCOL_VERSION <= version <= MAX_PROTOCOL_VERSION,
            )
            .model_dump_json()
            .encode()
        )

    def _dispatch(self, obj: dict[str, Any]) -> bytes | CheckJob:
        from pydantic import TypeAdapter, ValidationError

        from .wire import CheckRequest, HelloRequest, PingRequest, Request

        try:
            req = TypeAdapter(Request).validate_python(obj)
        except ValidationError as exc:
            errors = exc.errors()
            where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
            msg = errors[0]["msg"] if errors else "invalid"
            raise FrameError("bad_request", f"bad request: {where[:100]}: {msg}") from None
        if isinstance(req, PingRequest):
            return self._pong(req.id)
        if isinstance(req, CheckRequest):
            return CheckJob(req)
        assert isinstance(req, HelloRequest)
        return self._hello(req.id, req.protocol_version)

    def finish(self, job: CheckJob) -> bytes:
        """Run a check job to its one answer. Never raises."""
        req_id: str = job.req.id
        try:
            return self._check(job.req)
        except FrameError as exc:
            return error_frame(exc.code, str(exc), req_id)
        except Exception as exc:  # the process lives on
            logging.getLogger("minuku").exception("check failed")
            return error_frame("internal_error", f"internal error: {type(exc).__name__}", req_id)

    def _check(self, req: Any) -> bytes:
        import base64
        import binascii

        from .banner import default_lang
        from .check import CheckOptions
        from .quickcheck import cut_short
        from .wire import MAX_MESSAGE_BYTES, ResultResponse
        from .worker import Job

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


CPU_BUDGET_ENV = "MINUKU_CHECK_CPU_S"


def _env_seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if 0 < value <= 60 else default


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

    # The message may quote the request (a JSON key, a bad id): never let it break the frame.
    text = message[:500].encode("utf-8", "replace").decode("utf-8")
    rid = valid_id(req_id)
    try:
        return ErrorResponse(id=rid, code=code, message=text).model_dump_json().encode()  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - the last resort must not fail
        return json.dumps(
            {
                "type": "error",
                "protocol_version": PROTOCOL_VERSION,
                "id": rid,
                "code": "internal_error",
                "message": "internal error",
            }
        ).encode()


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
        from .wire import MAX_FRAME_BYTES

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

    checker = threading.Thread(target=check_loop, name="minuku-checks", daemon=True)
    checker.start()
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
            if isinstance(answer, bytes):
                send(answer)
            else:
                jobs.put(answer)
            if not warmed:
                # After the first answer, not before: the first pong must not wait on a fork.
                warmed = True
                threading.Thread(target=host.warm, name="minuku-warm", daemon=True).start()
    finally:
        jobs.put(None)
        checker.join()
        host.close()
    return 0
