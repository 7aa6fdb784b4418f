"""The host under hostile load: checks past their deadline, request ids and versions that
could stall, crash or flood `minuku host` (DESIGN.md, wire protocol; issue 7, 10, 11)."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from minuku.check import CheckOptions, check
from minuku.dns import FixtureResolver
from minuku.nativemsg import Host, serve
from minuku.wire import BannerPayload
from minuku.worker import CheckWorker, Job

HOST = [sys.executable, "-m", "minuku", "host", "/path/to/manifest.json", "minuku@addons.minuku"]

PHISH_HEADERS = (
    b"From: Amazon <info@amazon-co-jp-security.com>\r\n"
    b"To: you@example.jp\r\n"
    b"Subject: =?UTF-8?B?44CQ6YeN6KaB44CR?=\r\n"
    b"Message-ID: <1@amazon-co-jp-security.com>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
)
PLAIN_HEADERS = (
    b"From: Hanako <hanako@example.jp>\r\nTo: you@example.jp\r\nSubject: lunch\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
)


def spin_on_marker(raw: bytes, resolver: Any, options: CheckOptions) -> BannerPayload:
    """A check that never ends when the body says SPIN (as a crafted input that keeps a parser
    busy for minutes would), dies when it says CRASH, idles (as on DNS) when it says SLEEP."""
    if b"SPIN" in raw:
        while True:
            pass
    if b"CRASH" in raw:
        os._exit(3)
    if b"SLEEP" in raw:
        time.sleep(2.5)
    return check(raw, resolver=resolver, options=options)


def check_req(raw: bytes, rid: str = "c", *, offline: bool = True) -> dict[str, Any]:
    return {
        "type": "check",
        "protocol_version": 1,
        "id": rid,
        "message": base64.b64encode(raw).decode(),
        "options": {"locale": "en", "offline": offline},
    }


def frame(obj: Any) -> bytes:
    body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return struct.pack("=I", len(body)) + body


def read_frames(data: bytes) -> list[dict[str, Any]]:
    out = []
    pos = 0
    while pos < len(data):
        (n,) = struct.unpack("=I", data[pos : pos + 4])
        body = data[pos + 4 : pos + 4 + n]
        assert len(body) == n and n < 1024 * 1024
        out.append(json.loads(body))
        pos += 4 + n
    return out


def run_host(
    stdin: bytes, timeout: float = 60, env: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], int]:
    p = subprocess.run(
        HOST,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        cwd="/",
        env={**os.environ, **(env or {})},
    )
    return read_frames(p.stdout), p.returncode


@pytest.fixture
def host() -> Any:
    h = Host(worker=CheckWorker(cpu_budget_s=0.5, target=spin_on_marker))
    yield h
    h.close()


def answer(h: Host, req: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(h.handle(json.dumps(req).encode()))
    return result


# ---- issue 7: a hard per-check deadline ------------------------------------------------------


def test_check_past_its_deadline_keeps_the_headers_danger(host: Host) -> None:
    t0 = time.monotonic()
    resp = answer(host, check_req(PHISH_HEADERS + b"SPIN\r\n"))
    elapsed = time.monotonic() - t0
    assert resp["type"] == "result" and resp["id"] == "c"
    payload = resp["payload"]
    codes = [r["code"] for r in payload["reasons"]]
    assert payload["verdict"] == "danger"
    assert "lookalike_from" in codes and "check_deadline" in codes
    assert payload["brand"]["id"] == "amazon"
    # 0.5 s of CPU, plus start-up and the kill: far inside the add-on's 20 s.
    assert elapsed < 5


def test_check_past_its_deadline_with_clean_headers_is_unknown_never_ok(host: Host) -> None:
    payload = answer(host, check_req(PLAIN_HEADERS + b"SPIN\r\n"))["payload"]
    assert payload["verdict"] == "unknown"
    assert payload["reasons"][0]["code"] == "check_deadline"
    assert "stopped" in payload["summary"]


def test_deadline_text_is_localized_in_japanese(host: Host) -> None:
    req = check_req(PLAIN_HEADERS + b"SPIN\r\n")
    req["options"]["locale"] = "ja"
    payload = answer(host, req)["payload"]
    assert payload["locale"] == "ja" and "途中で止めました" in payload["summary"]


def test_killed_worker_is_replaced_and_the_next_check_is_whole(host: Host) -> None:
    worker = host.worker()
    answer(host, check_req(PLAIN_HEADERS + b"SPIN\r\n"))
    resp = answer(host, check_req(PLAIN_HEADERS + b"see you at noon\r\n", "next"))
    assert resp["id"] == "next" and resp["payload"]["verdict"] == "ok"
    assert worker.started == 2


def test_one_worker_process_serves_many_checks(host: Host) -> None:
    """The DNS cache lives in the worker: it must survive from one check to the next."""
    worker = host.worker()
    for i in range(3):
        assert answer(host, check_req(PLAIN_HEADERS + b"hi\r\n", f"c{i}"))["type"] == "result"
    assert worker.started == 1


def test_crashed_worker_answers_unknown_with_the_headers_verdict(host: Host) -> None:
    payload = answer(host, check_req(PHISH_HEADERS + b"CRASH\r\n"))["payload"]
    assert payload["verdict"] == "danger"
    assert {"lookalike_from", "check_crashed"} <= {r["code"] for r in payload["reasons"]}
    assert answer(host, check_req(PLAIN_HEADERS + b"ok\r\n"))["payload"]["verdict"] == "ok"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="CPU time is read from /proc")
def test_waiting_on_dns_costs_no_cpu_budget() -> None:
    """The deadline covers CPU time; DNS waiting has its own budget. A check that idles 2.5 s
    (as on slow DNS) with 0.2 s of CPU budget finishes online (deadline 0.2 s CPU, or
    0.2 + dns_budget_s + 1 s of wall time) and is cut short offline (0.2 + 1 s of wall)."""
    h = Host(
        functools.partial(FixtureResolver, {}),
        worker=CheckWorker(
            cpu_budget_s=0.2,
            target=spin_on_marker,
            resolver_factory=functools.partial(FixtureResolver, {}),
        ),
    )
    try:
        worker = h.worker()
        online = CheckOptions(offline=False)
        assert worker.deadline_s(online) == pytest.approx(0.2 + online.dns_budget_s + 1.0)
        assert worker.deadline_s(CheckOptions(offline=True)) == pytest.approx(1.2)
        cut = answer(h, check_req(PLAIN_HEADERS + b"SLEEP\r\n", "off", offline=True))
        assert cut["payload"]["reasons"][0]["code"] == "check_deadline"
        whole = answer(h, check_req(PLAIN_HEADERS + b"SLEEP\r\n", "on", offline=False))
        assert "check_deadline" not in {r["code"] for r in whole["payload"]["reasons"]}
    finally:
        h.close()


def test_ping_and_hello_are_answered_while_a_check_runs() -> None:
    h = Host(worker=CheckWorker(cpu_budget_s=3.0, target=spin_on_marker))
    rin, win = os.pipe()
    rout, wout = os.pipe()
    stdin, stdout = os.fdopen(rin, "rb"), os.fdopen(wout, "wb")
    writer, reader = os.fdopen(win, "wb"), os.fdopen(rout, "rb")
    loop = threading.Thread(target=serve, args=(stdin, stdout, h), daemon=True)
    loop.start()

    def next_frame() -> dict[str, Any]:
        (n,) = struct.unpack("=I", reader.read(4))
        result: dict[str, Any] = json.loads(reader.read(n))
        return result

    try:
        writer.write(frame(check_req(PHISH_HEADERS + b"SPIN\r\n", "slow")))
        writer.flush()
        time.sleep(0.3)  # the check is running in the worker now
        t0 = time.monotonic()
        writer.write(frame({"type": "ping", "protocol_version": 1, "id": "p"}))
        writer.write(frame({"type": "hello", "protocol_version": 1, "id": "h"}))
        writer.flush()
        first, second = next_frame(), next_frame()
        assert (first["id"], second["id"]) == ("p", "h")
        assert time.monotonic() - t0 < 2.0  # the check itself may run for 3 s of CPU
        result = next_frame()
        assert result["id"] == "slow" and result["payload"]["verdict"] == "danger"
    finally:
        writer.close()
        loop.join(10)
        reader.close()
    assert not loop.is_alive()


def test_every_check_gets_exactly_one_answer_even_when_cut_short() -> None:
    reqs = [check_req(PLAIN_HEADERS + (b"SPIN" if i % 2 else b"fine"), f"c{i}") for i in range(4)]
    h = Host(worker=CheckWorker(cpu_budget_s=0.3, target=spin_on_marker))
    out = _Sink()
    serve(_Source(b"".join(frame(r) for r in reqs)), out, h)
    frames = read_frames(out.data)
    assert sorted(f["id"] for f in frames) == ["c0", "c1", "c2", "c3"]
    assert all(f["type"] == "result" for f in frames)


def test_spawned_worker_works_as_on_macos_and_windows() -> None:
    h = Host(worker=CheckWorker(cpu_budget_s=0.5, start_method="spawn"))
    try:
        payload = answer(h, check_req(PHISH_HEADERS + b"hello\r\n"))["payload"]
        assert payload["verdict"] == "danger"
    finally:
        h.close()


def test_real_host_cuts_a_3mb_message_short_and_keeps_the_danger() -> None:
    """The real `minuku host` with a tiny budget (MINUKU_CHECK_CPU_S) and a 3 MB mail of
    30,000 links: the answer is a result, danger from the From header, cut short."""
    body = b"".join(
        b"<a href='https://x%d.example.com/p'>x%d.example.org</a>\r\n" % (i, i)
        for i in range(60000)
    )
    raw = PHISH_HEADERS.replace(b"text/plain", b"text/html") + body[: 3 * 1024 * 1024]
    stdin = frame(check_req(raw, "big")) + frame({"type": "ping", "protocol_version": 1, "id": "p"})
    t0 = time.monotonic()
    frames, rc = run_host(stdin, env={"MINUKU_CHECK_CPU_S": "0.01"})
    assert rc == 0 and time.monotonic() - t0 < 15
    by_id = {f["id"]: f for f in frames}
    assert by_id["p"]["type"] == "pong"
    payload = by_id["big"]["payload"]
    assert payload["verdict"] == "danger"
    assert "check_deadline" in {r["code"] for r in payload["reasons"]}


class _Source:
    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, n: int = -1) -> bytes:
        chunk = self._data[self._pos : self._pos + n]
        self._pos += len(chunk)
        return chunk


class _Sink:
    def __init__(self) -> None:
        self.data = b""

    def write(self, b: bytes) -> int:
        self.data += b
        return len(b)

    def flush(self) -> None:
        pass


# ---- issues 10 and 11: ids and protocol versions, the same on every path --------------------

LONE_SURROGATE = b'"\\ud800"'  # valid JSON, not valid Unicode: no UTF-8 frame can carry it back


@pytest.mark.parametrize("kind", [b"ping", b"hello", b"check"])
def test_lone_surrogate_id_is_an_error_with_null_id_and_host_lives(kind: bytes) -> None:
    body = (
        b'{"type": "'
        + kind
        + b'", "protocol_version": 1, "id": '
        + LONE_SURROGATE
        + b', "message": ""}'
    )
    frames, rc = run_host(
        frame(body) + frame({"type": "ping", "protocol_version": 1, "id": "after"})
    )
    assert rc == 0
    assert frames[0]["type"] == "error" and frames[0]["code"] == "bad_request"
    assert frames[0]["id"] is None
    assert frames[1] == {"type": "pong", "protocol_version": 1, "id": "after"}


def test_lone_surrogate_in_a_key_does_not_break_the_error_frame() -> None:
    body = b'{"type": "check", "protocol_version": 1, "id": "k", "message": "", "\\udfff": 1}'
    frames, rc = run_host(frame(body) + frame({"type": "ping", "protocol_version": 1, "id": "p"}))
    assert rc == 0
    assert frames[0]["type"] == "error" and frames[0]["id"] == "k"
    assert frames[1]["type"] == "pong"


@pytest.mark.parametrize("kind", ["ping", "hello", "check"])
def test_ten_megabyte_id_is_not_echoed(kind: str) -> None:
    req = {"type": kind, "protocol_version": 1, "id": "i" * (10 * 1024 * 1024), "message": ""}
    frames, rc = run_host(frame(req), timeout=120)
    assert rc == 0
    assert frames[0]["type"] == "error" and frames[0]["code"] == "bad_request"
    assert frames[0]["id"] is None


@pytest.mark.parametrize("rid", ["", "x" * 65, 7, None, ["a"], True])
@pytest.mark.parametrize("kind", ["ping", "hello"])
def test_invalid_ids_are_rejected_the_same_on_every_path(rid: Any, kind: str) -> None:
    h = Host()
    resp = answer(h, {"type": kind, "protocol_version": 1, "id": rid})
    assert resp["type"] == "error" and resp["code"] == "bad_request" and resp["id"] is None


def test_sixty_four_character_id_is_fine() -> None:
    rid = "長" * 64
    resp = answer(Host(), {"type": "hello", "protocol_version": 1, "id": rid})
    assert resp["type"] == "hello" and resp["id"] == rid


@pytest.mark.parametrize("version", [True, False, "1", 1.0, None])
@pytest.mark.parametrize("kind", ["ping", "hello", "check"])
def test_protocol_version_must_be_a_real_integer_on_every_path(version: Any, kind: str) -> None:
    req = {"type": kind, "protocol_version": version, "id": "v"}
    if kind == "check":
        req["message"] = ""
    resp = answer(Host(), req)
    assert resp["type"] == "error" and resp["code"] == "bad_request" and resp["id"] == "v"


# ---- issue 8: caches keyed on strings from mail have a ceiling -------------------------------


def _one_mb_host(i: int) -> str:
    # Each mail a different host, as a spammer's generator would make them: 1 MB of labels.
    return f"{i}-" + "a" * (1024 * 1024) + ".amazon-co-jp-security.com"


def _capped_total() -> tuple[int, int]:
    from minuku.memo import all_caches

    caches = all_caches()
    for c in caches:
        assert len(c) <= c.maxsize and c.key_chars <= c.maxsize * c.max_key_chars
    return sum(len(c) for c in caches), sum(c.key_chars for c in caches)


def test_thousand_mails_with_1mb_link_hosts_keep_the_caches_bounded() -> None:
    """1,000 checks of mails whose link host (and From domain) is 1 MB: before, each one
    left 1 MB in the look-alike cache (1.37 GB after 1,000 mails). The host-keyed steps of a
    check run on every mail; 20 of them also run whole through check() (a whole check of a
    1 MB mail takes ~0.15 s, so 1,000 would take minutes)."""
    from minuku.auth import psl
    from minuku.dns import NO_CANARIES, DnspythonResolver, NXDomain, RawAnswer
    from minuku.lookalike import brand_of, check_domain, default_engine, registrable

    def lookup(name: str, rdtype: str, timeout: float) -> RawAnswer:
        return RawAnswer((), 300.0, nxdomain=True, local=True)

    resolver = DnspythonResolver(lookup=lookup, canaries=NO_CANARIES)
    _, chars_before = _capped_total()
    for i in range(1000):
        host = _one_mb_host(i)
        mail_from = f"Amazon <info@{host}>"
        assert check_domain(host) is None  # no DNS name: no look-alike verdict, nothing kept
        registrable(host)
        brand_of(host)
        psl.registrable(host)
        psl.public_suffix(host)
        with pytest.raises(NXDomain):
            resolver.query(host, "TXT")
        with pytest.raises(NXDomain):
            resolver.query(f"_dmarc.{host}", "TXT")
        if i < 20:
            raw = (
                f"From: {mail_from}\r\nSubject: hi\r\nContent-Type: text/html\r\n\r\n"
                f'<a href="https://{host}/login">https://{host}/</a>'
            ).encode()
            check(raw, resolver=resolver, options=CheckOptions(offline=False))
    _, chars_after = _capped_total()
    # Every key that was kept is a name of at most 253 characters (or a short text segment).
    assert chars_after - chars_before < 1_000_000, "1 MB hosts must not be kept"
    engine_cache = default_engine()._check_host
    assert engine_cache.key_chars <= engine_cache.maxsize * 253
    assert _uncapped_lru_caches() == []
    # A "name" over 253 characters is never cached (RFC 1035 §2.3.4); real short names are.
    assert all(len(name) <= 253 for name, _ in resolver._cache)


def _uncapped_lru_caches() -> list[str]:
    """functools caches in minuku holding more than one entry: a cache keyed on arguments
    (zero-argument loaders hold one). Each must be a memo.capped_cache instead."""
    import functools
    import importlib
    import pkgutil

    import minuku

    # Keyed on the add-on's nameserver setting (at most 8 of 64 characters) and on the
    # validated locale ("ja"/"en"), never on mail.
    allowed = {"minuku.dns._resolver_for", "minuku.banner.catalogue_text"}
    found = []
    for info in pkgutil.walk_packages(minuku.__path__, "minuku."):
        if info.name == "minuku.__main__":
            continue
        mod = importlib.import_module(info.name)
        for name, obj in vars(mod).items():
            if isinstance(obj, functools._lru_cache_wrapper) and obj.cache_info().currsize > 1:
                found.append(f"{info.name}.{name}")
    return sorted(set(found) - allowed)


def test_capped_cache_keeps_short_keys_and_never_long_ones() -> None:
    from minuku.memo import capped_cache

    calls: list[str] = []

    @capped_cache(maxsize=2, max_key_chars=10)
    def length(s: str) -> int:
        calls.append(s)
        return len(s)

    assert [length("abc"), length("abc"), length("x" * 11), length("x" * 11)] == [3, 3, 11, 11]
    assert calls == ["abc", "x" * 11, "x" * 11]  # the long key is computed every time
    length("d")
    length("e")  # LRU: "abc" goes
    assert len(length) == 2 and length.key_chars == 2


def test_real_host_answers_checks_while_thunderbird_keeps_the_pipe_open() -> None:
    """As Thunderbird drives it: ping, then checks, stdin left open. A worker forked from
    the threaded host while another thread was importing once hung on a held import lock
    (the first check then waited a minute); the fork server makes each answer quick."""
    raw = PHISH_HEADERS + b"Please sign in.\r\n"
    p = subprocess.Popen(
        [*HOST, "--nameserver", "127.0.0.1:1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd="/",
    )
    assert p.stdin is not None and p.stdout is not None

    def round_trip(req: dict[str, Any]) -> dict[str, Any]:
        assert p.stdin is not None and p.stdout is not None
        p.stdin.write(frame(req))
        p.stdin.flush()
        (n,) = struct.unpack("=I", p.stdout.read(4))
        result: dict[str, Any] = json.loads(p.stdout.read(n))
        return result

    killer = threading.Timer(30, p.kill)  # a hang fails the test instead of blocking the run
    killer.start()
    try:
        assert round_trip({"type": "ping", "protocol_version": 1, "id": "p"})["type"] == "pong"
        for i in range(3):
            t0 = time.monotonic()
            resp = round_trip(check_req(raw, f"c{i}"))
            assert resp["payload"]["verdict"] == "danger"
            assert time.monotonic() - t0 < 10
    finally:
        killer.cancel()
        p.stdin.close()
        p.wait(30)
    assert p.returncode == 0


# ---- issue 10: the message reaches the worker as bytes, and the host lets go of it ------------


def digest_of(raw: bytes, resolver: Any, options: CheckOptions) -> Any:
    """A check that answers what it received: its type, length and SHA-256."""
    return (type(raw).__name__, len(raw), hashlib.sha256(raw).hexdigest())


class Chunks:
    """A message in pieces, as nativemsg.Base64Pieces gives a big frame's."""

    def __init__(self, data: bytes, size: int, count: int | None = None) -> None:
        self.parts = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
        self.count = len(self.parts) if count is None else count
        self.size = len(data)

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.parts)


def test_worker_gets_the_exact_bytes_whole_or_in_pieces() -> None:
    """The options travel pickled and the message by send_bytes, whole or in pieces (no
    pickled 32 MB copy); the child joins the pieces into one bytes object."""
    worker = CheckWorker(target=digest_of)
    try:
        data = bytes(range(256)) * 20_000 + b"\x00"  # 5 MB, every byte value, odd length
        want = ("bytes", len(data), hashlib.sha256(data).hexdigest())
        options = CheckOptions(offline=True)
        assert worker.run(Job(data, options)).payload == want
        assert worker.run(Job(Chunks(data, 786_432), options)).payload == want
        assert worker.run(Job(Chunks(data, len(data)), options)).payload == want
        assert worker.run(Job(b"", options)).payload[1] == 0
        assert worker.started == 1  # one child served them all
    finally:
        worker.close()


def test_pieces_that_break_their_count_never_leave_a_child_half_fed() -> None:
    """A message that gives fewer pieces than it announced is an error for that check, and the
    child (still waiting for the rest) is replaced: the next check is whole."""
    worker = CheckWorker(target=digest_of)
    try:
        options = CheckOptions(offline=True)
        with pytest.raises(RuntimeError):
            worker.run(Job(Chunks(b"abcdef", 2, count=4), options))
        assert worker.run(Job(b"next", options)).payload[1] == 4
        assert worker.started == 2
    finally:
        worker.close()


def test_worker_outlives_a_pause_between_checks() -> None:
    """A fork-server child's parent is the fork server, not the host: it took that for the
    host's death and left after one idle second, so a check after a pause paid a new child
    and lost the DNS cache. One child serves checks with pauses between them."""
    worker = CheckWorker(target=digest_of)
    try:
        first = worker.run(Job(b"one", CheckOptions(offline=True)))
        time.sleep(2.5)  # the child looks for its parent every second
        second = worker.run(Job(b"two", CheckOptions(offline=True)))
        assert first.payload[1] == 3 and second.payload[1] == 3
        assert worker.started == 1
    finally:
        worker.close()


def test_worker_ends_when_its_host_is_killed() -> None:
    """The other side of the rule above: a host that dies without closing its worker (kill -9)
    leaves no check process behind."""
    code = (
        "import sys, time\n"
        "from minuku.worker import CheckWorker\n"
        "w = CheckWorker(); w.start(); w._wait_ready()\n"
        "print(w._proc.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None
    child = int(p.stdout.readline())
    os.kill(child, 0)  # alive while the host is
    p.kill()
    p.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        if _is_zombie(child):
            return
        time.sleep(0.1)
    raise AssertionError(f"check process {child} outlived its host")


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except OSError:
        return True
