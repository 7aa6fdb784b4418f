"""End to end: a big mail (8 MB, an attachment) through a real Thunderbird 153 and the real host.

Issue 10 (host memory): the add-on sends the raw message as base64 in one frame; a frame over
64 KiB has its message found in the frame bytes, and one over 1 MiB is read into an mmap and
decoded a piece at a time as it is sent to the check process (``nativemsg.Base64Pieces``).
This test shows that the frame the real add-on writes (JSON.stringify's field order, its id
last, the options it sends) takes that path and gets the same verdict as a small mail: the
契約不履行 phish, padded with a PDF attachment, is danger naming Amazon. Offline, no network.
Screenshots: test-output/e2e/.
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tbharness import (
    Thunderbird,
    find_thunderbird,
    free_port,
    install_minuku,
    make_profile,
    skip_reason,
    start_thunderbird,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-output" / "e2e"
SUBJECT = "契約不履行に関する通知（添付あり）"
ATTACHMENT_BYTES = 6 * 1024 * 1024  # 8 MB of base64 in the mail, ~11 MB in the frame


def big_phish() -> bytes:
    """The example phish's sender and wording, with a 6 MB PDF-shaped attachment."""
    pdf = random.Random(10).randbytes(ATTACHMENT_BYTES)
    body = (
        "Amazon.co.jp をご利用いただきありがとうございます。\n"
        "お客様のアカウントは契約不履行のため一時停止されました。24時間以内に情報を更新してください。\n"
        "https://amazon-co-jp-security.com/signin\n"
    )
    b = "b0und4ry-big"
    subject = "=?UTF-8?B?" + base64.b64encode(SUBJECT.encode()).decode() + "?="
    return (
        "Return-Path: <bounce@amazon-co-jp-security.com>\n"
        "Received: from mail.amazon-co-jp-security.com (mail.example.top [203.0.113.77])\n"
        "\tby mx1.example-isp.ne.jp (Postfix) with ESMTP id 4ZB7mQ0xKfz9\n"
        "\tfor <hanako@example-isp.ne.jp>; Fri, 27 Nov 2026 10:00:00 +0900 (JST)\n"
        "From: Amazon.co.jp <account@amazon-co-jp-security.com>\n"
        "To: hanako@example-isp.ne.jp\n"
        f"Subject: {subject}\n"
        "Date: Fri, 27 Nov 2026 10:00:00 +0900\n"
        "Message-ID: <big-1@amazon-co-jp-security.com>\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed; boundary="{b}"\n\n'
        f"--{b}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(body.encode()).decode()
        + f'--{b}\nContent-Type: application/pdf; name="keiyaku.pdf"\n'
        "Content-Transfer-Encoding: base64\n"
        'Content-Disposition: attachment; filename="keiyaku.pdf"\n\n'
        + base64.encodebytes(pdf).decode()
        + f"--{b}--\n"
    ).encode()


@pytest.fixture(scope="module")
def tb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Thunderbird]:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    binary = find_thunderbird()
    assert binary is not None
    base = tmp_path_factory.mktemp("tb-big")
    home, profile = base / "home", base / "profile"
    home.mkdir()
    port = free_port()
    make_profile(profile, [big_phish()], port)
    done = install_minuku(profile, home, ROOT)
    assert done.returncode == 0, f"minuku install failed:\n{done.stdout}\n{done.stderr}"
    OUT.mkdir(parents=True, exist_ok=True)
    thunderbird = start_thunderbird(binary, profile, home, port, OUT / "thunderbird-big.log")
    try:
        deadline = time.monotonic() + 60
        while not (state := thunderbird.addon_state()) or not state.get("running"):
            assert time.monotonic() < deadline, f"add-on not running: {state}"
            time.sleep(0.2)
        thunderbird.set_storage({"offline": True, "autoCheck": True, "language": "ja"})
        yield thunderbird
    finally:
        thunderbird.stop()


def test_big_phish_with_an_attachment_gets_the_danger_banner(tb: Thunderbird) -> None:
    tb.select(SUBJECT)
    banner = tb.wait_banner(SUBJECT, timeout=90)
    tb.screenshot(OUT / "big-phish-danger.png")
    summary = (
        f"verdict={banner.get('verdict')} origin={banner.get('origin')} {banner.get('title')!r}"
    )
    assert banner["origin"] == "host", summary
    assert banner["verdict"] == "danger", summary
    assert any(b in banner["brand"] + banner["title"] for b in ("アマゾン", "Amazon")), summary
