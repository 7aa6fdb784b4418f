"""``minuku scan --jobs N``: N check processes, output in input order and the same for any N,
a bounded window of messages in memory, the add-on's per-message deadline (issue 10).

mbox format: RFC 4155 §2 (a "From " line before each message, ">From " escaping in bodies).
Every mail is written out here.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from minuku.check import CheckOptions, check
from minuku.cli import EXIT_USAGE, main
from minuku.scan import default_jobs, scan
from minuku.wire import BannerPayload
from paths import EXAMPLES

PHISH = (EXAMPLES / "amazon-keiyaku-furikou-phish.eml").read_bytes()
HARMLESS = (
    b"From: Hanako <hanako@example-shop.co.jp>\n"
    b"To: taro@example.net\n"
    b"Subject: lunch\n"
    b"Message-ID: <1@example-shop.co.jp>\n"
    b"Content-Type: text/plain; charset=utf-8\n\n"
    b"See you at noon.\n"
    b">From the kitchen, with love.\n"  # mboxrd-escaped body line (RFC 4155 §2)
)
LOOKALIKE_HEADERS = (
    b"From: Amazon <info@amazon-co-jp-security.com>\n"
    b"To: you@example.jp\n"
    b"Subject: account\n"
    b"Content-Type: text/plain; charset=utf-8\n\n"
)
NO_HEADERS = b"\x00\xff garbage without headers\n"


def mbox(*messages: bytes) -> bytes:
    out = []
    for i, m in enumerate(messages):
        out.append(f"From sender{i}@example.net Mon Jan  1 00:00:{i % 60:02d} 2024\n".encode())
        out.append(m if m.endswith(b"\n") else m + b"\n")
        out.append(b"\n")
    return b"".join(out)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def mixed_tree(tmp_path: Path) -> list[str]:
    """An mbox of 40 messages of every kind, a folder, a Maildir and a path that is missing."""
    kinds = [HARMLESS, PHISH, NO_HEADERS, LOOKALIKE_HEADERS + b"Sign in now.\n"]
    box = tmp_path / "inbox.mbox"
    box.write_bytes(mbox(*(kinds[i % len(kinds)] for i in range(40))))
    folder = tmp_path / "mails"
    folder.mkdir()
    (folder / "a.eml").write_bytes(PHISH)
    (folder / "b.eml").write_bytes(NO_HEADERS)
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1700000000.M1.host").write_bytes(HARMLESS)
    return [str(box), str(folder), "/no/such/path", str(maildir)]


@pytest.mark.parametrize("jsonl", [True, False])
def test_jobs_n_prints_exactly_what_jobs_1_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], jsonl: bool
) -> None:
    paths = mixed_tree(tmp_path)
    form = ["--jsonl"] if jsonl else []
    one = run(["scan", "--offline", *form, "--jobs", "1", *paths], capsys)
    three = run(["scan", "--offline", *form, "--jobs", "3", *paths], capsys)
    assert one == three
    code, out, _ = one
    assert code == 2  # the worst message is danger
    if jsonl:
        rows = [json.loads(line) for line in out.splitlines()]
        assert len(rows) == 40 + 2 + 1 + 1
        assert [r["path"] for r in rows[:40]] == [f"{paths[0]}#{i}" for i in range(40)]
        assert [r["verdict"] for r in rows[:4]] == ["ok", "danger", "unknown", "danger"]
        assert rows[42]["path"] == "/no/such/path" and rows[42]["verdict"] == "unknown"


def test_scan_agrees_with_check_message_by_message(tmp_path: Path) -> None:
    """Through the worker processes or in this one, the same verdict and reasons."""
    messages = [HARMLESS, PHISH, NO_HEADERS, LOOKALIKE_HEADERS]
    opts = CheckOptions(offline=True)
    items = [("m", i, raw) for i, raw in enumerate(messages)]
    records = list(scan(items, options=opts, jobs=2))
    for raw, record in zip(messages, records, strict=True):
        payload = check(raw, options=opts)
        assert record["verdict"] == payload.verdict
        assert record["reasons"] == [r.code for r in payload.reasons]


def slow_first(raw: bytes, resolver: Any, options: CheckOptions) -> BannerPayload:
    """The first message takes a while (as one with a huge body would); the rest are quick."""
    if b"SLOW" in raw:
        time.sleep(1.0)
    return check(raw, resolver=resolver, options=options)


def test_a_slow_early_message_keeps_its_place() -> None:
    raws = [HARMLESS + b"SLOW\n"] + [HARMLESS] * 5 + [PHISH]
    items = [("box", i, raw) for i, raw in enumerate(raws)]
    records = list(scan(items, options=CheckOptions(offline=True), jobs=3, target=slow_first))
    assert [r["index"] for r in records] == list(range(7))
    assert records[-1]["verdict"] == "danger"


def spin_or_crash(raw: bytes, resolver: Any, options: CheckOptions) -> BannerPayload:
    """A message that keeps the parser busy for ever, one that kills its process."""
    if b"SPIN" in raw:
        while True:
            pass
    if b"CRASH" in raw:
        os._exit(3)
    return check(raw, resolver=resolver, options=options)


def test_a_message_past_its_deadline_is_cut_short_and_the_scan_goes_on() -> None:
    raws = [
        LOOKALIKE_HEADERS + b"SPIN\n",  # cut short: the headers' danger is kept
        HARMLESS + b"SPIN\n",  # cut short with nothing in its headers: unknown, never ok
        HARMLESS + b"CRASH\n",
        HARMLESS,
    ]
    items = [("box", i, raw) for i, raw in enumerate(raws)]
    t0 = time.monotonic()
    records = list(
        scan(
            items,
            options=CheckOptions(offline=True),
            jobs=2,
            cpu_budget_s=0.3,
            target=spin_or_crash,
        )
    )
    assert time.monotonic() - t0 < 30
    assert [r["verdict"] for r in records] == ["danger", "unknown", "unknown", "ok"]
    assert "check_deadline" in records[0]["reasons"] and "check_deadline" in records[1]["reasons"]
    assert "check_crashed" in records[2]["reasons"]


def test_the_reader_stays_within_the_window() -> None:
    """Flat memory: with a window of 4, no more than 4 messages are read ahead of the output,
    however long the mbox (here: endless)."""
    read = 0
    printed = 0
    ahead = []

    def endless() -> Iterator[tuple[str, int | None, bytes | Exception]]:
        nonlocal read
        while True:
            read += 1
            yield ("endless.mbox", read - 1, HARMLESS)

    records = scan(endless(), options=CheckOptions(offline=True), jobs=2, window=4)
    for _ in records:
        printed += 1
        time.sleep(0.05)  # a slow consumer: the reader must wait, not run ahead
        ahead.append(read - printed)
        if printed == 12:
            break
    records.close()
    assert max(ahead) <= 4


def test_an_error_reading_the_input_reaches_the_caller() -> None:
    def broken() -> Iterator[tuple[str, int | None, bytes | Exception]]:
        yield ("a", None, HARMLESS)
        raise PermissionError("folder went away")

    records = scan(broken(), options=CheckOptions(offline=True), jobs=2)
    with pytest.raises(PermissionError):
        list(records)


def test_default_jobs_is_every_core_this_process_may_use() -> None:
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert default_jobs() == expected


@pytest.mark.parametrize("bad", ["0", "-2", "many", "1.5"])
def test_jobs_must_be_a_positive_number(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["scan", "--offline", "--jobs", bad, "x.eml"])
    assert exc.value.code == EXIT_USAGE
    assert "--jobs" in capsys.readouterr().err


def test_scan_with_a_dns_fixture_in_every_worker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fixture reaches each check process (as a factory: a resolver need not pickle)."""
    fixture = EXAMPLES / "dns-fixture.json"
    genuine = (EXAMPLES / "amazon-genuine-notice.eml").read_bytes()
    spoofed = (EXAMPLES / "amazon-spoofed-from.eml").read_bytes()
    box = tmp_path / "amazon.mbox"
    box.write_bytes(mbox(genuine, spoofed, genuine, spoofed))
    args = ["scan", "--dns-fixture", str(fixture), "--jsonl", str(box)]
    one = run([*args, "--jobs", "1"], capsys)
    two = run([*args, "--jobs", "2"], capsys)
    assert one == two
    verdicts = [json.loads(line)["verdict"] for line in one[1].splitlines()]
    assert verdicts == ["ok", "danger", "ok", "danger"]


def test_ctrl_c_ends_a_scan_cleanly(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group: the scan stops with status 130, no traceback
    from it or its check processes, and none of them is left running."""
    import signal
    import subprocess
    import sys

    box = tmp_path / "big.mbox"
    box.write_bytes(mbox(*([HARMLESS, PHISH] * 2000)))
    out_path, err_path = tmp_path / "out.jsonl", tmp_path / "err.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        p = subprocess.Popen(
            [sys.executable, "-m", "minuku", "scan", "--offline", "--jsonl", "-j", "2", str(box)],
            stdout=out,
            stderr=err,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "host")},
            start_new_session=True,
        )
        try:
            started = time.monotonic()
            while not out_path.read_bytes() and time.monotonic() - started < 60:
                time.sleep(0.05)  # wait until the scan is under way (its first records)
            os.killpg(p.pid, signal.SIGINT)
            p.wait(30)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
    assert p.returncode == 130
    text = err_path.read_bytes()
    assert b"interrupted after" in text and b"Traceback" not in text
    lines = out_path.read_bytes().splitlines()
    assert 0 < len(lines) < 4000
    for line in lines:  # whatever was printed is whole
        json.loads(line)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(p.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("processes of the interrupted scan are still running")


# ---- hostile mailboxes: memory bounded by the per-message cap, never by the file -----------

CAP = 32 * 1024 * 1024  # limits.MAX_MESSAGE_BYTES, as the add-on's cap


def _peak_while_reading(paths: list[str]) -> tuple[list[tuple[Any, ...]], int]:
    import tracemalloc

    from minuku.cli import iter_messages

    tracemalloc.start()
    try:
        got = [
            (p, i, d if isinstance(d, Exception) else len(d)) for p, i, d in iter_messages(paths)
        ]
        return got, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_80_mb_message_inside_an_mbox_is_reported_and_never_held(tmp_path: Path) -> None:
    box = tmp_path / "big.mbox"
    with open(box, "wb") as fh:
        fh.write(mbox(HARMLESS))
        fh.write(b"From big@example.net Mon Jan  1 00:00:00 2024\n" + HARMLESS)
        line = b"A" * 1023 + b"\n"
        for _ in range(80 * 1024):  # 80 MB of body lines
            fh.write(line)
        fh.write(b"\n" + mbox(PHISH))
    got, peak = _peak_while_reading([str(box)])
    assert [(i, type(d).__name__) for _, i, d in got] == [(0, "int"), (1, "ValueError"), (2, "int")]
    assert "over 32 MB" in str(got[1][2])
    assert peak < CAP + 8 * 1024 * 1024  # read through up to the cap, then let go


def test_an_mbox_of_one_80_mb_line_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    """A crafted mbox: a "From " line, then 80 MB without a line break."""
    box = tmp_path / "oneline.mbox"
    with open(box, "wb") as fh:
        fh.write(b"From x@example.net Mon Jan  1 00:00:00 2024\n")
        chunk = b"B" * (1024 * 1024)
        for _ in range(80):
            fh.write(chunk)
    got, peak = _peak_while_reading([str(box)])
    assert len(got) == 1 and isinstance(got[0][2], ValueError)
    # readline's own buffer doubles one capped line at most: bounded by the cap, not the file
    assert peak < 2 * CAP + 8 * 1024 * 1024


def test_an_80_mb_eml_is_reported_not_read_whole(tmp_path: Path) -> None:
    big = tmp_path / "big.eml"
    with open(big, "wb") as fh:
        fh.write(HARMLESS)
        fh.write(b"C" * (80 * 1024 * 1024))
    got, peak = _peak_while_reading([str(big)])
    assert len(got) == 1 and isinstance(got[0][2], ValueError)
    assert peak < CAP + 8 * 1024 * 1024


def test_a_message_at_the_cap_is_still_checked_whole(tmp_path: Path) -> None:
    box = tmp_path / "edge.mbox"
    body = b"D" * 1023 + b"\n"
    message = HARMLESS + body * ((CAP - len(HARMLESS) - 1024) // 1024)
    box.write_bytes(mbox(message, HARMLESS))
    got, _ = _peak_while_reading([str(box)])
    unescaped = len(HARMLESS.replace(b"\n>From ", b"\nFrom "))  # RFC 4155 §2 (mboxrd)
    assert [d for _, _, d in got] == [len(message) - (len(HARMLESS) - unescaped), unescaped]
