"""The check worker: every check runs in a child process that is killed when it runs too long.

A crafted 1–3 MB message can keep a parser busy for tens of seconds, and Python cannot stop a
thread, so the host runs checks in one long-lived child process and watches it from the host:

- **Deadline.** A check may use ``cpu_budget_s`` seconds of CPU (default 2 s: parsing,
  look-alikes, DKIM hashing). Waiting on DNS costs no CPU and has its own budget
  (``CheckOptions.dns_budget_s``, enforced inside the check), so the wall-clock deadline is
  ``cpu_budget_s + dns_budget_s + grace`` for an online check and ``cpu_budget_s + grace``
  offline, with grace = max(1 s, ``cpu_budget_s``) — by default 6.5 s online, 4 s offline. On Linux the child's CPU time is read from ``/proc`` and the check is stopped as
  soon as it is spent; elsewhere the wall-clock deadline alone applies. Either way a check ends
  well inside the add-on's 20 s.
- **Cut short, not failed.** The child first computes the headers-only verdict
  (``quickcheck``) and sends it; when the full check is then killed, the host answers a normal
  result built from it plus a ``check_deadline`` reason (``unknown`` unless the headers alone
  showed a look-alike sender).
- **One process, many checks.** The child keeps its resolver (and so its DNS cache), the
  parsed catalogue and the PSL across checks. A killed or crashed child is replaced at once, in
  the background, so the next check finds a warm one.
- **Start-up.** Nothing here runs before the host needs it: the child is started after the
  first answer, from a background thread, never on the path of the first ``pong``. Linux and
  macOS use a fork server (exec'd once, modules, catalogue and PSL loaded and warmed up once by
  ``forkserver_preload``, each worker forked from it in a few ms: a plain fork from the threaded
  host could inherit a held import lock and hang); Windows spawns. ``scan`` runs N of these
  workers side by side (``scan.py``). The target and resolver factory are pickled to the
  child, so they must be module-level functions or ``functools.partial`` objects.
- **The channel is the host's alone.** The child points its stdin and stdout at the null device
  at once, so nothing it prints, and no copy of the pipe it holds, can touch Thunderbird's
  channel or keep it open.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    # Not at run time: the host imports this module to start the fork server right after its
    # first answer, and pydantic (through these) would hold that start back by ~100 ms.
    from .check import CheckOptions
    from .findings import Finding
    from .payload import BannerPayload

log = logging.getLogger("minuku")

DEFAULT_CPU_BUDGET_S = 2.0
# Wall-clock slack over the CPU budget: passing a 32 MB message, a busy machine that gives the
# child less than a whole core. Where CPU time can be read it, not the wall clock, stops a
# runaway parse; this only bounds a child that is stuck without computing.
MIN_GRACE_S = 1.0
READY_TIMEOUT_S = 60.0  # a spawned child imports everything before it says ready
_POLL_S = 0.05

# (raw, resolver or None, options) -> payload; runs in the child.
CheckFn = Callable[[bytes, Any, "CheckOptions"], "BannerPayload"]
ResolverFactory = Callable[[], Any]


def run_check(raw: bytes, resolver: Any, options: CheckOptions) -> BannerPayload:
    """The default check the child runs: the pure core."""
    from .check import check

    return check(raw, resolver=resolver, options=options)


class Pieces(Protocol):
    """A message given in pieces, read once (``nativemsg.Base64Pieces``: decoded from the
    frame as it is sent, so the host never holds it whole)."""

    count: int  # how many pieces iterating gives

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[bytes]: ...


@dataclass(frozen=True)
class Job:
    raw: bytes | Pieces
    options: CheckOptions  # options.nameservers, when set, pick the resolver (check.py)


@dataclass(frozen=True)
class Outcome:
    """What one check gave: a payload, or why there is none and what the headers showed."""

    payload: BannerPayload | None
    stopped: str | None = None  # quickcheck.DEADLINE or quickcheck.CRASHED
    headers: tuple[Finding, ...] = ()
    seconds: float = 0.0


def _child_main(
    conn: Connection,
    target: CheckFn,
    resolver_factory: ResolverFactory | None,
    host_pid: int,
    forked: bool,
) -> None:
    _detach_from_channel(conn.fileno() if forked else None)
    # Ctrl-C in a terminal reaches the whole process group: it is the parent's to handle (a
    # scan closes its children; Thunderbird never sends it to the host).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _warm_up()
    except Exception:  # noqa: BLE001 - a failed warm-up shows again, and is reported, per check
        log.exception("worker warm-up failed")
    conn.send(("ready",))
    # The parent: the host, or (Linux, macOS) the fork server, which ends when the host does.
    # Compared with the host's pid alone, a fork-server child left after its first idle second,
    # and every check after a pause paid a new child and lost the DNS cache.
    parents = {host_pid, os.getppid()}
    resolver: Any = None
    while True:
        try:
            # A forked child holds a copy of the host's end of the pipe too, so the host's death
            # does not always show as EOF here: notice it by the parent changing.
            while not conn.poll(1.0):
                if os.getppid() not in parents:
                    return
            # A job (CheckWorker._send): the options and a count, pickled, then the message's
            # bytes as they are, in that many pieces (no pickled copy of up to 32 MB).
            options: CheckOptions
            options, count = conn.recv()
            raw = _receive(conn, count)
        except (EOFError, OSError):  # the host has gone: so do we
            return
        from .quickcheck import header_findings

        try:
            found = header_findings(raw)
        except Exception:  # noqa: BLE001 - the full check reports what went wrong
            found = ()
        conn.send(("headers", found))
        if resolver is None and resolver_factory is not None:
            try:
                resolver = resolver_factory()  # once: its cache serves every later check
            except Exception:  # noqa: BLE001 - check() falls back to the system's resolver
                log.exception("resolver factory failed")
                resolver_factory = None
        # A request naming its own servers gets check.default_resolver(those), one per list.
        own = None if options.offline or options.nameservers else resolver
        reply: tuple[str, Any]
        try:
            reply = ("done", target(raw, own, options))
        except Exception as exc:  # noqa: BLE001 - check() already turns failures into unknown
            log.exception("check failed in worker")
            reply = ("error", f"{type(exc).__name__}")
        # Not kept while waiting for, and receiving, the next message.
        del raw, found
        conn.send(reply)
        del reply


def _receive(conn: Connection, count: int) -> bytes:
    """A message sent in ``count`` pieces, as one bytes object: a BytesIO grows in place and
    hands its buffer over without a copy, so the pieces never add up to a second message."""
    if count == 1:
        return conn.recv_bytes()
    import io

    buf = io.BytesIO()
    for _ in range(count):
        buf.write(conn.recv_bytes())
    return buf.getvalue()


def _detach_from_channel(keep_fd: int | None) -> None:
    """Let go of the host's channel: stdin/stdout become the null device, and a forked child
    closes every other descriptor it inherited (pipes of the host, of earlier children, of a
    test), so it never keeps a pipe open that its owner waits to see closed."""
    try:
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.close(null)
    except OSError:
        pass
    if keep_fd is not None:
        os.closerange(3, keep_fd)
        os.closerange(keep_fd + 1, _max_fd())
    sys.stdout = sys.stderr


def _max_fd() -> int:
    try:
        return min(int(os.sysconf("SC_OPEN_MAX")), 1 << 20)
    except (OSError, ValueError, AttributeError):
        return 4096


# Checked offline once before the first real check: every parser, table and cache a check
# touches is loaded by then (a first check was ~70 ms slower than the next).
_WARM_UP_MAIL = (
    b"From: Warm Up <warm-up@example.com>\r\n"
    b"To: you@example.org\r\n"
    b"Subject: =?UTF-8?B?5pqW5qmf?=\r\n"
    b"Message-ID: <warm-up@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello https://example.com/\r\n"
    b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p><a href="https://example.com/">example.com</a></p>\r\n--b--\r\n'
)


def _warm_up() -> None:
    """Load what every check needs once, before the first one (catalogue, PSL, parsers)."""
    from . import banner, claims, links, message, verdict  # noqa: F401
    from .check import CheckOptions, check
    from .lookalike import check_domain

    check_domain("example.com")
    check(_WARM_UP_MAIL, options=CheckOptions(offline=True))


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process (Linux ``/proc``), or None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
        fields = stat[stat.rindex(b")") + 2 :].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _picklable(obj: object) -> bool:
    import pickle

    try:
        pickle.dumps(obj)
    except Exception:  # noqa: BLE001 - pickling raises many kinds
        return False
    return True


def _default_start_method() -> str:
    # Not plain fork: the host forks while its reader thread runs, and a thread that is
    # importing a module at that instant leaves the module's lock held in the child forever
    # (the child then hangs on its first import). A fork server is exec'd fresh, preloads
    # the check's modules once, and forks each worker from a single thread: as fast, and safe.
    if "forkserver" in multiprocessing.get_all_start_methods():
        return "forkserver"
    return "spawn"


class CheckWorker:
    """Runs checks one at a time in a child process, under a deadline (see the module doc)."""

    def __init__(
        self,
        *,
        cpu_budget_s: float = DEFAULT_CPU_BUDGET_S,
        target: CheckFn = run_check,
        resolver_factory: ResolverFactory | None = None,
        start_method: str | None = None,
    ) -> None:
        self.cpu_budget_s = cpu_budget_s
        self._target = target
        self._resolver_factory = resolver_factory
        self._method = start_method or _default_start_method()
        self._ctx: Any = multiprocessing.get_context(self._method)
        if self._method == "forkserver":
            # The fork server warms up once (forkserver_preload: modules, catalogue, PSL), so
            # each child, and each replacement of a killed one, starts warm in a few ms.
            self._ctx.set_forkserver_preload(["minuku.forkserver_preload"])
        self._proc: Any = None
        self._conn: Connection | None = None
        self._ready = False
        self._lock = threading.Lock()  # one check at a time; start() may race with run()
        self.started = 0  # children started so far (tests: a killed child is replaced)

    def deadline_s(self, options: CheckOptions) -> float:
        dns = 0.0 if options.offline else options.dns_budget_s
        return self.cpu_budget_s + dns + max(MIN_GRACE_S, self.cpu_budget_s)

    def start(self) -> None:
        """Start a child now unless one is running (cheap to call often)."""
        with self._lock:
            self._ensure_started()

    def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        self._discard()
        factory = self._resolver_factory
        if self._method != "fork" and factory is not None and not _picklable(factory):
            # A spawned child gets its arguments pickled; a lambda cannot be (pass a
            # functools.partial). Its checks use the system's resolver rather than fail.
            log.warning(
                "resolver factory cannot reach the worker (not picklable); using the default"
            )
            factory = None
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(
            target=_child_main,
            args=(child, self._target, factory, os.getpid(), self._method == "fork"),
            name="minuku-check",
            daemon=True,
        )
        proc.start()
        child.close()
        self._proc, self._conn, self._ready = proc, parent, False
        self.started += 1

    def _wait_ready(self) -> bool:
        assert self._conn is not None
        end = time.monotonic() + READY_TIMEOUT_S
        while not self._ready:
            left = end - time.monotonic()
            if left <= 0 or not self._conn.poll(min(left, _POLL_S)):
                if left <= 0 or not self._proc.is_alive():
                    return False
                continue
            msg = self._conn.recv()
            self._ready = msg[0] == "ready"
        return True

    def run(self, job: Job) -> Outcome:
        """Run one check; a check past its deadline is killed and the child replaced."""
        with self._lock:
            return self._run(job)

    def _run(self, job: Job) -> Outcome:
        from .quickcheck import CRASHED, DEADLINE

        began = time.monotonic()
        try:
            self._ensure_started()
            if not self._wait_ready():
                self._discard()
                return Outcome(None, CRASHED, (), time.monotonic() - began)
            assert self._conn is not None
            pid = self._proc.pid
            cpu0 = cpu_seconds(pid)
            began = time.monotonic()
            self._send(job)
        except (OSError, EOFError):
            self._discard()
            return Outcome(None, CRASHED, (), time.monotonic() - began)
        wall_end = began + self.deadline_s(job.options)
        headers: tuple[Finding, ...] = ()
        while True:
            now = time.monotonic()
            try:
                has = self._conn.poll(max(0.0, min(_POLL_S, wall_end - now)))
                msg = self._conn.recv() if has else None
            except (OSError, EOFError):
                self._discard()
                return Outcome(None, CRASHED, headers, time.monotonic() - began)
            if msg is not None:
                if msg[0] == "headers":
                    headers = msg[1]
                    continue
                if msg[0] == "done":
                    return Outcome(msg[1], None, headers, time.monotonic() - began)
                return Outcome(None, CRASHED, headers, time.monotonic() - began)
            cpu = cpu_seconds(pid) if cpu0 is not None else None
            spent_cpu = cpu is not None and cpu0 is not None and cpu - cpu0 > self.cpu_budget_s
            if spent_cpu or time.monotonic() >= wall_end:
                self._discard()
                self._restart_in_background()
                return Outcome(None, DEADLINE, headers, time.monotonic() - began)
            if not self._proc.is_alive():
                self._discard()
                self._restart_in_background()
                return Outcome(None, CRASHED, headers, time.monotonic() - began)

    def _send(self, job: Job) -> None:
        """The options and a count pickled, then the message's bytes as they are, whole or in
        that many pieces: ``send_bytes`` writes each buffer itself (pickling the Job made a
        second 32 MB copy here, and held it beside the first)."""
        assert self._conn is not None
        raw = job.raw
        try:
            if isinstance(raw, bytes | bytearray):
                self._conn.send((job.options, 1))
                self._conn.send_bytes(raw)
                return
            self._conn.send((job.options, raw.count))
            sent = 0
            for piece in raw:
                self._conn.send_bytes(piece)
                sent += 1
            if sent != raw.count:
                raise RuntimeError(f"a message announced {raw.count} pieces and gave {sent}")
        except BaseException:
            self._discard()  # the child may be half way through a message: never reuse it
            raise

    def _restart_in_background(self) -> None:
        try:
            self._ensure_started()
        except Exception:  # noqa: BLE001 - the next check tries again
            log.exception("could not restart the check worker")

    def _discard(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc, self._conn, self._ready = None, None, False
        if conn is not None:
            conn.close()
        if proc is not None:
            if proc.is_alive():
                proc.kill()
            proc.join(2)

    def close(self) -> None:
        with self._lock:
            self._discard()
