"""End to end: a real Thunderbird 153 with the built add-on and the real Minuku host.

The host and the add-on are installed by the real installer (``python -m minuku install
--profile``) into a throwaway HOME; Thunderbird runs headless under Marionette
(shared/thunderbird-e2e.md). Checks: the 契約不履行 phish gets the danger banner naming
Amazon, the harmless mail gets no warning, "check this" works with auto-check off, and a
hostile display name is text (no <img> in the banner). Screenshots: test-output/e2e/.
The add-on runs the host in offline mode (no DNS), so the test needs no network.
"""

from __future__ import annotations

import base64
import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from email.header import Header
from pathlib import Path
from typing import Any

import pytest
from tbharness import Thunderbird, find_thunderbird, free_port, make_profile, start_thunderbird

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
OUT = ROOT / "test-output" / "e2e"

PHISH = ("amazon-keiyaku-furikou-phish.eml", "契約不履行に関する通知")
GENUINE = ("amazon-genuine-notice.eml", "ご注文の商品を発送しました")
HARMLESS = ("harmless.eml", "週末の件")
HOSTILE_NAME = "<img src=x onerror=alert(1)>アマゾン"
HOSTILE_SUBJECT = "アカウント確認のお願い"


def hostile_mail() -> bytes:
    """A mail whose From display name carries HTML (RFC 2047 encoded, as a phisher would)."""
    name = Header(HOSTILE_NAME, "utf-8").encode()
    subject = Header(f"【至急】{HOSTILE_SUBJECT}", "utf-8").encode()
    body = (
        "お客様のアカウントを確認してください。\nhttps://amazon-co-jp-verify.example.top/signin\n"
    )
    return (
        "Return-Path: <bounce@amazon-co-jp-verify.example.top>\n"
        "Received: from mail.example.top (mail.example.top [203.0.113.77])\n"
        "\tby mx1.example-isp.ne.jp (Postfix) with ESMTP id 4ZB7mQ0xKfz9\n"
        "\tfor <hanako@example-isp.ne.jp>; Fri, 27 Nov 2026 10:00:00 +0900 (JST)\n"
        f"From: {name} <account@amazon-co-jp-verify.example.top>\n"
        "To: hanako@example-isp.ne.jp\n"
        f"Subject: {subject}\n"
        "Date: Fri, 27 Nov 2026 10:00:00 +0900\n"
        "Message-ID: <hostile-1@amazon-co-jp-verify.example.top>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(body.encode()).decode()
    ).encode()


def _skip_reason() -> str | None:
    if sys.platform != "linux":
        return "the end-to-end test drives Debian's thunderbird package (Linux only)"
    if find_thunderbird() is None:
        return "thunderbird is not installed (run tests/e2e/setup.sh as root to install it)"
    if importlib.util.find_spec("marionette_driver") is None:
        return "marionette-driver is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def tb_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HOME Thunderbird and the installer see (holds the host manifest)."""
    home = tmp_path_factory.mktemp("tb") / "home"
    home.mkdir()
    return home


@pytest.fixture(scope="module")
def tb(tb_home: Path) -> Iterator[Thunderbird]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    binary = find_thunderbird()
    assert binary is not None
    home, profile = tb_home, tb_home.parent / "profile"
    port = free_port()
    mails = [(EXAMPLES / name).read_bytes() for name, _ in (PHISH, GENUINE, HARMLESS)]
    make_profile(profile, [*mails, hostile_mail()], port)

    # The real installer: launcher + host manifest under HOME, dist/minuku.xpi into the profile.
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / ".local" / "share")}
    t0 = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "minuku",
            "install",
            "--profile",
            str(profile),
            "--source",
            str(ROOT),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"minuku install failed:\n{done.stdout}\n{done.stderr}"
    assert (home / ".mozilla" / "native-messaging-hosts" / "minuku.json").is_file()
    assert (profile / "extensions" / "minuku@addons.minuku.xpi").is_file()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "install.log").write_text(done.stdout + done.stderr, "utf-8")
    t_install = time.monotonic() - t0

    t0 = time.monotonic()
    thunderbird = start_thunderbird(binary, profile, home, port, OUT / "thunderbird.log")
    try:
        state = _wait(lambda: (s := thunderbird.addon_state()) and s.get("running") and s, 60)
        assert state["active"], f"add-on not active: {state}"
        # Offline: no DNS in the test (and the verdicts under test do not depend on it).
        thunderbird.set_storage({"offline": True, "autoCheck": True, "hideOk": False})
        (OUT / "timings.txt").write_text(
            f"install {t_install:.1f}s, thunderbird+add-on ready {time.monotonic() - t0:.1f}s\n"
        )
        yield thunderbird
    finally:
        thunderbird.stop()


def _wait(fn: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.2)
    raise TimeoutError("condition not met")


def _describe(banner: dict[str, Any]) -> str:
    return f"verdict={banner.get('verdict')} origin={banner.get('origin')} title={banner.get('title')!r} text={banner.get('text', '')[:600]!r}"


def _show(tb: Thunderbird, subject: str, name: str) -> dict[str, Any]:
    tb.select(subject)
    banner = tb.wait_banner(subject)
    tb.screenshot(OUT / f"{name}.png")
    return banner


def test_phish_gets_danger_banner_naming_amazon(tb: Thunderbird) -> None:
    tb.set_storage({"autoCheck": True, "language": "ja"})
    banner = _show(tb, PHISH[1], "phish-danger")
    assert banner["origin"] == "host", _describe(banner)
    assert banner["verdict"] == "danger", _describe(banner)
    assert banner["role"] == "alert"
    assert banner["lang"] == "ja"
    assert "アマゾン" in banner["brand"] or "Amazon" in banner["brand"], _describe(banner)
    assert banner["firstChildIsBanner"], "the banner sits above the message"
    assert tb.toggle_details() == "true", "the details button opens the details"
    tb.screenshot(OUT / "phish-danger-details.png")


def test_harmless_mail_shows_no_warning(tb: Thunderbird) -> None:
    tb.set_storage({"autoCheck": True, "hideOk": False, "language": "en"})
    banner = _show(tb, HARMLESS[1], "harmless-ok")
    # With hideOk off an ok banner is drawn: proof the check ran, and that it found nothing.
    assert banner["verdict"] == "ok", _describe(banner)
    assert banner["role"] == "status"


def test_hostile_display_name_is_text(tb: Thunderbird) -> None:
    tb.set_storage({"autoCheck": True, "language": "ja"})
    banner = _show(tb, HOSTILE_SUBJECT, "hostile-display-name")
    assert banner["imgInBanner"] == 0, banner
    assert "img" not in banner["elementsInBanner"], banner["elementsInBanner"]
    assert banner["hostileImgInDocument"] == 0
    assert banner["verdict"] in ("danger", "warning", "caution"), _describe(banner)
    if "<img" in banner["text"]:
        assert HOSTILE_NAME in banner["text"], "the display name shows as literal text"


def test_check_this_with_auto_check_off(tb: Thunderbird) -> None:
    tb.set_storage({"autoCheck": False})
    try:
        tb.select(GENUINE[1])
        time.sleep(2.0)  # long enough for an auto-check banner to have appeared if one were coming
        before = tb.banner(GENUINE[1])
        assert before is not None and before["present"] is False, before
        assert _wait(tb.click_action, 15), "the Minuku message-display button is missing"
        banner = tb.wait_banner(GENUINE[1])
        tb.screenshot(OUT / "check-this-genuine.png")
        assert banner["origin"] == "host", _describe(banner)
        # The genuine notice is never called a danger (offline it may honestly be "unknown").
        assert banner["verdict"] != "danger", _describe(banner)
        assert "アマゾン" in banner["brand"] or "Amazon" in banner["brand"], _describe(banner)
    finally:
        tb.set_storage({"autoCheck": True})


def test_host_gone_shows_how_to_fix(tb: Thunderbird, tb_home: Path) -> None:
    """Host uninstalled and its process gone: the banner says so and names ./install.sh."""
    manifest = tb_home / ".mozilla" / "native-messaging-hosts" / "minuku.json"
    hidden = manifest.with_suffix(".json.off")
    manifest.rename(hidden)
    try:
        for pid in tb.host_pids():
            os.kill(pid, signal.SIGTERM)
        # A new option set is a cache miss, so the add-on has to ask the (missing) host.
        tb.set_storage({"autoCheck": True, "language": "en", "trustedAuthservIds": ["e2e.invalid"]})
        banner = _show(tb, HARMLESS[1], "host-missing")
        assert banner["origin"] == "addon", _describe(banner)
        assert banner["verdict"] == "unknown"
        assert "./install.sh" in banner["text"] and "minuku doctor" in banner["text"], _describe(
            banner
        )
    finally:
        hidden.rename(manifest)
        tb.set_storage({"trustedAuthservIds": []})
