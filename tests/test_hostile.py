"""Hostile input: huge, deep, wide and broken messages give a verdict or a clear error.

Each case runs in a child process with a memory cap (RLIMIT_AS) and a generous wall-clock
limit, so a hang or a memory blow-up fails the test instead of the machine. Speed figures
belong to bench/, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

VERDICTS = {"danger", "warning", "caution", "ok", "unknown"}
MEMORY_CAP = 1536 * 1024 * 1024

CHILD = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from minuku.check import CheckOptions, check
raw = open(sys.argv[1], "rb").read()
p = check(raw, options=CheckOptions(offline=True))
print(json.dumps({{"verdict": p.verdict, "reasons": [r.code for r in p.reasons]}}))
"""


def run_check(path: Path) -> dict[str, object]:
    p = subprocess.run(
        [sys.executable, "-c", CHILD.format(cap=MEMORY_CAP), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    result: dict[str, object] = json.loads(p.stdout)
    assert result["verdict"] in VERDICTS
    return result


HEAD = "From: Amazon <account@amazon-co-jp-security.com>\nTo: a@example.jp\nSubject: test\n"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.slow
def test_30_mb_message(tmp_path: Path) -> None:
    body = (
        "お客様のアカウントは停止されています。https://amazon-co-jp-security.com/x\n" * 400_000
    ).encode()
    body = body[: 30 * 1024 * 1024]
    path = write(
        tmp_path, "big.eml", (HEAD + "Content-Type: text/plain; charset=utf-8\n\n").encode() + body
    )
    assert path.stat().st_size >= 30 * 1024 * 1024
    r = run_check(path)
    assert r["verdict"] == "danger"  # the look-alike sender is still seen


def test_5000_headers(tmp_path: Path) -> None:
    many = "".join(f"X-Junk-{i}: {'v' * 50}\n" for i in range(5000))
    r = run_check(write(tmp_path, "wide.eml", (many + HEAD + "\nbody\n").encode()))
    assert "malformed_message" in r["reasons"] or r["verdict"] in VERDICTS


def test_200_deep_multipart(tmp_path: Path) -> None:
    parts = []
    for i in range(200):
        parts.append(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n')
    inner = "Content-Type: text/plain\n\nhello\n"
    closing = "".join(f"\n--b{i}--\n" for i in reversed(range(200)))
    raw = (HEAD + "MIME-Version: 1.0\n" + "".join(parts) + inner + closing).encode()
    r = run_check(write(tmp_path, "deep.eml", raw))
    assert r["verdict"] == "danger"  # the header findings survive a body we refuse to walk


def test_invalid_charsets_and_broken_base64(tmp_path: Path) -> None:
    raw = (
        HEAD.replace("Subject: test", "Subject: =?x-bogus?B?!!!?= =?iso-2022-jp?B?GyRC?=")
        + 'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="z"\n\n'
        + "--z\nContent-Type: text/plain; charset=x-unknown-charset\nContent-Transfer-Encoding: base64\n\n"
        + "!!!!this is === not base64 ===\n"
        + '--z\nContent-Type: text/html; charset="utf-7"\nContent-Transfer-Encoding: quoted-printable\n\n'
        + "<a href=3D'https://xn--zz--.com/'>=ZZ=\n"
        + "--z\nContent-Type: text/plain; charset=shift_jis\n\n"
    ).encode() + b"\x82\xa0\xff\xfe\x81\n--z--\n"
    r = run_check(write(tmp_path, "broken.eml", raw))
    assert r["verdict"] == "danger"


def test_binary_garbage_is_unknown(tmp_path: Path) -> None:
    r = run_check(write(tmp_path, "garbage.eml", bytes(range(256)) * 1000))
    assert r["verdict"] == "unknown"


def test_many_links_and_huge_html(tmp_path: Path) -> None:
    links = "".join(
        f'<a href="https://host{i}.example/">https://www.amazon.co.jp/{i}</a>' for i in range(20000)
    )
    raw = (HEAD + "Content-Type: text/html; charset=utf-8\n\n" + links + "<div>" * 50000).encode()
    r = run_check(write(tmp_path, "links.eml", raw))
    assert r["verdict"] == "danger"
