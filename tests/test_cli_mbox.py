"""``minuku check`` judges one message: mboxes and folders are refused, not called "ok".

Before this, ``minuku check inbox.mbox`` parsed the whole mbox as one message (its first
message's headers, every other message as body text) and said "ok"; a Maildir folder gave
"cannot read". mbox format: RFC 4155 §2 (a "From " line before each message, and
">From " escaping in bodies). Each mail is written out here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from minuku.cli import EXIT_USAGE, main, mbox_separators
from paths import EXAMPLES, ROOT

PHISH_BYTES = (EXAMPLES / "amazon-keiyaku-furikou-phish.eml").read_bytes()

HARMLESS = (
    b"From: Hanako <hanako@example-shop.co.jp>\n"
    b"To: taro@example.net\n"
    b"Subject: lunch\n"
    b"Message-ID: <1@example-shop.co.jp>\n"
    b"Content-Type: text/plain; charset=utf-8\n\n"
    b"See you at noon.\n"
)


def mbox(*messages: bytes) -> bytes:
    out = b""
    for i, m in enumerate(messages):
        out += f"From sender{i}@example.net Mon Jan  1 00:00:0{i} 2024\n".encode()
        out += m if m.endswith(b"\n") else m + b"\n"
        out += b"\n"
    return out


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_check_refuses_an_mbox_with_two_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = tmp_path / "inbox.mbox"
    box.write_bytes(mbox(HARMLESS, PHISH_BYTES))
    code, out, err = run(["check", "--offline", str(box)], capsys)
    assert code == EXIT_USAGE == 4
    assert out == ""  # no verdict at all, least of all "ok"
    assert "this looks like an mbox with 2 messages: use `minuku scan`" in err


def test_check_counts_thunderbird_style_separators(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Thunderbird's local folders write "From - <date>" lines."""
    box = tmp_path / "Inbox"
    body = b"From - Sat Mar 02 10:11:12 2024\n" + HARMLESS + b"\n"
    box.write_bytes(body * 3)
    code, _, err = run(["check", "--offline", str(box)], capsys)
    assert code == 4
    assert "with 3 messages" in err


def test_check_strips_a_single_envelope_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One message saved with its mbox "From " line is that message: same verdict as without."""
    one = tmp_path / "one.eml"
    one.write_bytes(mbox(PHISH_BYTES))
    code, out, _ = run(["check", "--offline", "--json", str(one)], capsys)
    assert code == 2
    payload = json.loads(out)
    assert payload["verdict"] == "danger"
    assert payload["brand"]["id"] == "amazon"


def test_single_envelope_line_with_a_body_from_line_stays_one_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unescaped body line "From now on ..." after a blank line is text, not a separator:
    it has no sender-and-date shape (RFC 4155 §2)."""
    msg = HARMLESS + b"\nFrom now on, lunch is at one.\n"
    one = tmp_path / "one.eml"
    one.write_bytes(mbox(msg))
    code, out, err = run(["check", "--offline", "--json", str(one)], capsys)
    assert code == 0, err
    assert json.loads(out)["verdict"] == "ok"


def test_obsolete_from_header_is_not_an_envelope_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``From : Amazon <x@evil.top>`` (RFC 5322 §4.5.1 allows space before the colon) is the
    author field; stripping it as an mbox line would hide the claimed sender."""
    raw = (
        b"From : Amazon.co.jp <account-update@amazon-co-jp-security.com>\n"
        b"Subject: =?utf-8?b?44Ki44Kr44Km44Oz44OI44KS56K66KqN?=\n"
        b"Content-Type: text/plain; charset=utf-8\n\n"
        b"Sign in: https://amazon-co-jp-security.com/ap/signin\n"
    )
    assert mbox_separators(raw.splitlines(keepends=True)) == 0
    f = tmp_path / "obs.eml"
    f.write_bytes(raw)
    code, out, _ = run(["check", "--offline", "--json", str(f)], capsys)
    assert json.loads(out)["verdict"] != "ok"
    assert code in (1, 2)


def test_check_refuses_a_maildir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    md = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (md / sub).mkdir(parents=True)
    (md / "cur" / "1700000000.1.host:2,S").write_bytes(HARMLESS)
    (md / "cur" / "1700000001.2.host:2,S").write_bytes(PHISH_BYTES)
    (md / "new" / "1700000002.3.host").write_bytes(HARMLESS)
    (md / "tmp" / "1700000003.4.host").write_bytes(HARMLESS)  # still being delivered
    code, out, err = run(["check", str(md)], capsys)
    assert code == 4
    assert out == ""
    assert "this looks like a Maildir with 3 messages: use `minuku scan`" in err


def test_check_refuses_a_plain_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.eml").write_bytes(HARMLESS)
    (tmp_path / "b.eml").write_bytes(PHISH_BYTES)
    (tmp_path / ".hidden").write_bytes(b"x")
    code, _, err = run(["check", str(tmp_path)], capsys)
    assert code == 4
    assert "with 2 files: use `minuku scan`" in err


def test_scan_still_reads_the_same_mbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    box = tmp_path / "inbox.mbox"
    box.write_bytes(mbox(HARMLESS, PHISH_BYTES))
    code, out, _ = run(["scan", "--offline", "--jsonl", str(box)], capsys)
    verdicts = [json.loads(line)["verdict"] for line in out.splitlines()]
    assert verdicts == ["ok", "danger"]
    assert code == 2


def test_mbox_separator_counting() -> None:
    lines = mbox(HARMLESS, HARMLESS, HARMLESS).splitlines(keepends=True)
    assert mbox_separators(lines) == 3
    assert mbox_separators(HARMLESS.splitlines(keepends=True)) == 0
    # a separator needs a blank line before it
    glued = (
        b"From a@b Mon Jan  1 00:00:00 2024\nSubject: x\n\nhi\nFrom a@b Mon Jan  1 00:00:00 2024\n"
    )
    assert mbox_separators(glued.splitlines(keepends=True)) == 1
    # CRLF mboxes (Windows exports) count too
    crlf = mbox(HARMLESS, HARMLESS).replace(b"\n", b"\r\n")
    assert mbox_separators(crlf.splitlines(keepends=True)) == 2


def test_stdin_mbox_is_refused_too() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "minuku", "check", "--offline", "-"],
        input=mbox(HARMLESS, PHISH_BYTES),
        capture_output=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT / "host")},
    )
    assert p.returncode == 4, p.stderr
    assert b"this looks like an mbox with 2 messages" in p.stderr
