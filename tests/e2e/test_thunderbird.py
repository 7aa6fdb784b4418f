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
import os
import signal
import sys
import time
from collections.abc import Iterator
from email.header import Header
from pathlib import Path
from typing import Any

import pytest
from paths import LIST_CORPUS, list_mails
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
EXAMPLES = ROOT / "examples"
OUT = ROOT / "test-output" / "e2e"

PHISH = ("amazon-keiyaku-furikou-phish.eml", "契約不履行に関する通知")
GENUINE = ("amazon-genuine-notice.eml", "ご注文の商品を発送しました")
HARMLESS = ("harmless.eml", "週末の件")
HOSTILE_NAME = "<img src=x onerror=alert(1)>アマゾン"
HOSTILE_SUBJECT = "アカウント確認のお願い"
HIDE_SUBJECT = "お支払い方法の更新（CSS 隠し）"
COVER_SUBJECT = "お支払い方法の更新（偽の確認済み）"

# Issue 8.9: the mail's own CSS tries to hide, shrink or restyle the banner. Every selector a
# phisher could aim at it without knowing our names: the universal selector, the first child
# of <body>, children of <html>, :host, attribute and type selectors, popover state, the
# class the banner used to carry, its pseudo-elements, and properties of <html> itself.
HIDE_CSS = """
.minuku-host{height:0!important;overflow:hidden!important}
*{display:none!important}
body>*:first-child{display:none!important;height:0!important}
html>*{visibility:hidden!important;opacity:0!important;transform:scale(0)!important}
:host{display:none!important}
[class]{clip-path:inset(50%)!important;max-height:0!important}
div{position:absolute!important;top:-9999px!important;height:0!important;font-size:0!important}
[popover],:popover-open{display:none!important;translate:0 -9999px!important}
#minuku-banner{display:none!important}
*::before,*::after{content:"Verified: this mail comes from Amazon"!important;display:block!important;
  position:fixed!important;inset:0!important;background:#2e7d32!important;z-index:2147483647!important}
*::backdrop{background:#2e7d32!important}
html{zoom:0.05!important;content-visibility:hidden!important;filter:opacity(0)!important;
  opacity:0!important;transform:scale(0)!important;clip-path:inset(50%)!important;
  mask-image:linear-gradient(transparent,transparent)!important;contain:strict!important}
body{filter:opacity(0)!important;opacity:0!important;transform:translateY(-9999px)!important}
html:hover,html:focus-within{filter:opacity(0)!important;display:none!important}
html{animation:vanish 0s 1s forwards!important}
@keyframes vanish{to{filter:opacity(0);opacity:0;transform:scale(0)}}
@layer evil{*{display:none!important;height:0!important}}
"""

# Issue 8.9: a fixed box painted over the place where the banner is, claiming the opposite;
# a decoy element carrying the banner's id; and a popover the reader can open with a click.
COVER_CSS = """
.minuku-host{height:0!important;overflow:hidden!important}
#fake{position:fixed;top:0;left:0;right:0;height:240px;z-index:2147483647;background:#2e7d32;
  color:#fff;font:bold 28px sans-serif;padding:20px}
#fakepop{position:fixed;inset:0;margin:0;width:100vw;height:100vh;background:#2e7d32;color:#fff;
  font:bold 28px sans-serif;border:0}
"""
COVER_BODY = """
<div id="fake">&#x2714; Verified: this mail comes from Amazon</div>
<div id="minuku-banner" class="minuku-host">decoy</div>
<button id="opener" popovertarget="fakepop">&#x8A73;&#x7D30;</button>
<div id="fakepop" popover>&#x2714; Verified: this mail comes from Amazon</div>
<p>&#x304A;&#x652F;&#x6255;&#x3044;&#x65B9;&#x6CD5;&#x3092;&#x66F4;&#x65B0;&#x3057;&#x3066;&#x304F;&#x3060;&#x3055;&#x3044;&#x3002;
<a href="https://amazon-co-jp-verify.example.top/signin">https://www.amazon.co.jp/signin</a></p>
"""


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


def css_attack_mail(subject: str, css: str, body_html: str, n: int) -> bytes:
    """An Amazon phish (look-alike sender) whose HTML part carries ``css`` and ``body_html``."""
    html = (
        f"<!DOCTYPE html><html><head><style>{css}</style></head><body>{body_html}"
        "<p>Amazon.co.jp</p></body></html>"
    )
    enc_subject = Header(f"【Amazon】{subject}", "utf-8").encode()
    return (
        "Return-Path: <bounce@amazon-co-jp-verify.example.top>\n"
        "Received: from mail.example.top (mail.example.top [203.0.113.77])\n"
        "\tby mx1.example-isp.ne.jp (Postfix) with ESMTP id 4ZB7mQ0xKfz9\n"
        "\tfor <hanako@example-isp.ne.jp>; Fri, 27 Nov 2026 10:00:00 +0900 (JST)\n"
        "From: Amazon.co.jp <account@amazon-co-jp-verify.example.top>\n"
        "To: hanako@example-isp.ne.jp\n"
        f"Subject: {enc_subject}\n"
        "Date: Fri, 27 Nov 2026 10:00:00 +0900\n"
        f"Message-ID: <css-attack-{n}@amazon-co-jp-verify.example.top>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/html; charset=utf-8\n"
        "Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(html.encode()).decode()
    ).encode()


@pytest.fixture(scope="module")
def tb_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HOME Thunderbird and the installer see (holds the host manifest)."""
    home = tmp_path_factory.mktemp("tb") / "home"
    home.mkdir()
    return home


@pytest.fixture(scope="module")
def tb(tb_home: Path) -> Iterator[Thunderbird]:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    binary = find_thunderbird()
    assert binary is not None
    home, profile = tb_home, tb_home.parent / "profile"
    port = free_port()
    mails = [(EXAMPLES / name).read_bytes() for name, _ in (PHISH, GENUINE, HARMLESS, SPOOF)]
    if LIST_POST is not None:
        mails.append(LIST_POST)
    attacks = [
        css_attack_mail(HIDE_SUBJECT, HIDE_CSS, "<div><p>Amazon</p></div>", 1),
        css_attack_mail(COVER_SUBJECT, COVER_CSS, COVER_BODY, 2),
    ]
    make_profile(profile, [*mails, hostile_mail(), *attacks], port)

    # The real installer: launcher + host manifest under HOME, dist/minuku.xpi into the profile.
    t0 = time.monotonic()
    done = install_minuku(profile, home, ROOT)
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
        thunderbird.set_storage({"offline": True, "autoCheck": True, "showOk": False})
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
    # 9.2: the brand is named once, in the title (the brand line only when the title does not).
    assert any(b in banner["brand"] + banner["title"] for b in ("アマゾン", "Amazon")), _describe(
        banner
    )
    _assert_on_top(banner)
    assert tb.toggle_details() == "true", "the details button opens the details"
    tb.screenshot(OUT / "phish-danger-details.png")


def _assert_on_top(banner: dict[str, Any]) -> None:
    """The banner is visible at the top of the message, painted above anything of the mail."""
    rect, view = banner["rect"], banner["viewport"]
    assert banner["topLayer"], "the banner is in the top layer"
    assert rect["height"] >= 24, f"banner squashed: {rect}"
    assert rect["width"] >= view["width"] * 0.8, f"banner narrowed: {rect} in {view}"
    assert -1 <= rect["top"] <= 10, f"banner not at the top: {rect}"
    assert rect["top"] + rect["height"] <= view["height"], f"banner out of view: {rect}"
    assert banner["centreIsBanner"], f"covered by {banner['centreElement']}"


def _danger_pixel(pixel: Any) -> bool:
    light, dark = (0xFD, 0xEC, 0xEA), (0x3D, 0x10, 0x10)
    return (
        isinstance(pixel, list)
        and len(pixel) == 3
        and any(
            all(abs(a - b) <= 6 for a, b in zip(pixel, want, strict=True)) for want in (light, dark)
        )
    )


def _assert_danger_painted(tb: Thunderbird, subject: str) -> dict[str, Any]:
    """The pixels really are the danger banner's (light or dark scheme), not a fake green:
    read back from the rendered message pane (polled: the first paint may lag the DOM)."""
    last: dict[str, Any] | None = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        last = tb.banner(subject)
        if last and last.get("present") and _danger_pixel(last.get("pixel")):
            return last
        time.sleep(0.2)
    raise AssertionError(f"banner background painted as {last and last.get('pixel')}")


def test_harmless_mail_is_quiet_by_default(tb: Thunderbird) -> None:
    """Issue 7.8: ok verdicts stay quiet unless the user asks to see them (as Gmail does)."""
    tb.set_storage({"autoCheck": True, "showOk": False, "language": "en"})
    tb.select(HARMLESS[1])
    time.sleep(3.0)  # the check takes well under a second; a banner would be there by now
    banner = tb.banner(HARMLESS[1])
    tb.screenshot(OUT / "harmless-quiet.png")
    assert banner is not None and banner["present"] is False, banner


def test_harmless_mail_shows_neutral_line_with_show_ok(tb: Thunderbird) -> None:
    tb.set_storage({"autoCheck": True, "showOk": True, "language": "en"})
    try:
        tb.select(PHISH[1])  # the harmless mail is already displayed: show it afresh
        tb.wait_banner(PHISH[1])
        banner = _show(tb, HARMLESS[1], "harmless-ok")
        # Offline nothing can be verified: a neutral line, never a green "verified".
        assert banner["verdict"] == "ok", _describe(banner)
        assert banner["tone"] == "neutral", _describe(banner)
        assert banner["role"] is None, "9.10: calm mail is not spoken"
        assert "could not be verified" in banner["title"], _describe(banner)
        assert "Verified" not in banner["text"].replace("Not verified", ""), _describe(banner)
    finally:
        tb.set_storage({"showOk": False})


def test_mail_css_cannot_hide_the_banner(tb: Thunderbird) -> None:
    """Issue 8.9: `*{display:none!important}`, `.minuku-host{height:0}`, `:host`, `html>*`,
    `body>*:first-child`, `[class]`, `div`, pseudo-elements, zoom and layers: still visible."""
    tb.set_storage({"autoCheck": True, "language": "ja"})
    tb.select(HIDE_SUBJECT)
    banner = tb.wait_banner(HIDE_SUBJECT)
    assert banner["verdict"] == "danger", _describe(banner)
    _assert_on_top(banner)
    _assert_danger_painted(tb, HIDE_SUBJECT)
    assert "Verified" not in banner["text"]
    time.sleep(1.5)  # past the mail's delayed `vanish` animation on <html>
    later = _assert_danger_painted(tb, HIDE_SUBJECT)
    _assert_on_top(later)
    tb.screenshot(OUT / "css-hide-attack.png")


def test_mail_fixed_box_cannot_cover_the_banner(tb: Thunderbird) -> None:
    """Issue 8.9: a `position:fixed` fake "Verified" box with the highest z-index, a decoy with
    the banner's id, and a popover the reader opens: the real banner stays on top."""
    # Control: without a banner, the reader's click does open the mail's full-window popover.
    tb.set_storage({"autoCheck": False})
    tb.select(COVER_SUBJECT)
    time.sleep(1.0)
    assert tb.click_in_mail("opener")
    assert _wait(lambda: tb.mail_popover_open("fakepop"), 5), "control: the popover opens"
    tb.set_storage({"autoCheck": True, "language": "ja"})
    tb.select(PHISH[1])  # display the attack mail afresh, now with Minuku checking
    tb.wait_banner(PHISH[1])
    tb.select(COVER_SUBJECT)
    banner = tb.wait_banner(COVER_SUBJECT)
    assert banner["verdict"] == "danger", _describe(banner)
    _assert_on_top(banner)
    _assert_danger_painted(tb, COVER_SUBJECT)
    tb.screenshot(OUT / "css-cover-attack.png")
    assert banner["spacerHeight"] and banner["spacerHeight"] >= banner["rect"]["height"] - 1
    # The reader clicks the mail's button that would open a full-window fake popover.
    assert tb.click_in_mail("opener")
    time.sleep(0.5)
    assert tb.mail_popover_open("fakepop") is False, "the mail's popover was not let open"
    after = tb.banner(COVER_SUBJECT)
    tb.screenshot(OUT / "css-cover-attack-popover.png")
    assert after is not None and after["present"], after
    _assert_on_top(after)
    _assert_danger_painted(tb, COVER_SUBJECT)


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
        # 9.2: the brand is named once, in the title (the brand line only when the title does not).
        assert any(b in banner["brand"] + banner["title"] for b in ("アマゾン", "Amazon")), (
            _describe(banner)
        )
    finally:
        tb.set_storage({"autoCheck": True})


def test_learning_is_recorded_per_account_and_shown_in_options(tb: Thunderbird) -> None:
    """Issue 8.1: every checked message is recorded under its Thunderbird account (needs
    `accountsRead` for message.folder.accountId); the options page shows it (screenshot)."""
    stored = tb.get_storage()
    learning = stored.get("authservLearning")
    assert isinstance(learning, dict) and "account1" in learning, stored.keys()
    # Seed a learned id (as 5 messages from 3 domains would) and look at the options page.
    tb.set_storage(
        {
            "authservLearning": {
                "account1": {"learned": "mx1.example-isp.ne.jp", "window": [], "recent": []}
            },
            "nameservers": ["192.0.2.53", "[2001:db8::1]:5353"],
            "trustedSenders": ["news@example.jp"],
        }
    )
    # The page runs in the extension's process (a remote browser chrome cannot read), so it
    # is checked by eye in the screenshot; its logic is covered by the node tests.
    assert tb.open_options().endswith("/options.html")
    try:
        time.sleep(2.0)
        tb.screenshot(OUT / "options-learned.png")
    finally:
        tb.run(
            "const t = Services.wm.getMostRecentWindow('mail:3pane').gTabmail; t.closeTab(t.currentTabInfo);"
        )
        tb.set_storage({"nameservers": [], "authservLearning": {}, "trustedSenders": []})


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


# ---------------------------------------------------------------- issue 9: the banner a person trusts
# Online mode (the default) against a real DNS server started by the test (tests/localdns.py,
# serving examples/dns-fixture.json, or silent), the host told to use it (options.nameservers,
# the host's --nameserver).

SPOOF = ("amazon-spoofed-from.eml", "アカウントが一時的に停止")


# A real mailing-list post from ../shared/corpora/lists.tar.xz (never committed; CI has it
# beside the clone): the first nfc post in name order, not chosen for its verdict.
def _first_list_post() -> bytes | None:
    return next((raw for name, raw in list_mails() if name.startswith("lists/nfc/")), None)


LIST_POST = _first_list_post()


def _list_subject() -> str:
    from email import message_from_bytes
    from email.header import decode_header, make_header

    assert LIST_POST is not None
    msg = message_from_bytes(LIST_POST)
    subject = str(make_header(decode_header(msg.get("Subject", ""))))
    # Thunderbird keeps "Re:" as a flag and may keep folding whitespace: one long word is enough
    # to find the post among the test's few mails.
    words = [w for w in subject.split() if w.lower() not in ("re:", "fwd:") and len(w) >= 5]
    return max(words, key=len) if words else subject[:12]


JS_PANE_ISSUE9 = """
const a3 = Services.wm.getMostRecentWindow("mail:3pane").gTabmail.currentAbout3Pane;
const about = a3.messageBrowser.contentWindow;
const mp = about.getMessagePaneBrowser();
const findBanner = (doc) => {
  const root = doc?.documentElement;
  if (!root) return null;
  for (const e of root.children) {
    if (e.localName == "div" && e.classList.contains("minuku-host") && e.matches(":popover-open")) return e;
  }
  return null;
};
"""

JS_BANNER_STATE = (
    JS_PANE_ISSUE9
    + """
const [subject] = arguments;
const doc = mp.contentDocument;
if (!doc || !(about.gMessage?.mime2DecodedSubject ?? "").includes(subject)) return null;
// The pane may still hold the previous message's document for a moment: only the document
// loaded for this message counts (mailbox:…?number=KEY).
const spec = String(mp.currentURI?.spec ?? "");
if (spec.includes("number=") && !spec.includes("number=" + about.gMessage.messageKey)) return null;
if (doc.readyState != "complete") return null;
const host = findBanner(doc);
if (!host) return { present: false };
const root = host.openOrClosedShadowRoot;
const guard = root.querySelector(".guard");
return {
  present: true,
  state: host.getAttribute("data-state"),
  verdict: host.getAttribute("data-verdict"),
  tone: host.getAttribute("data-tone"),
  role: root.querySelector("section")?.getAttribute("role") ?? null,
  text: root.querySelector("section").textContent.replace(/\\s+/g, " "),
  actions: [...root.querySelectorAll("button[data-action]")].map((b) => b.getAttribute("data-action")),
  guardOpen: guard ? !guard.hasAttribute("hidden") : false,
  guardTarget: root.querySelector(".guard .target")?.textContent ?? null,
  height: host.getBoundingClientRect().height,
  paneHeight: mp.contentWindow.innerHeight,
  paneWidth: mp.contentWindow.innerWidth,
  spacer: doc.body?.querySelector(":scope > .minuku-spacer")?.getBoundingClientRect().height ?? null,
};
"""
)

JS_CLICK_MAIL_LINK = (
    JS_PANE_ISSUE9
    + """
const doc = mp.contentDocument;
const a = doc.querySelector("a[href^='http']");
if (!a) return null;
const ev = new mp.contentWindow.MouseEvent("click", { bubbles: true, cancelable: true, view: mp.contentWindow, button: 0 });
const notCancelled = a.dispatchEvent(ev);
return { href: a.href, opened: notCancelled && !ev.defaultPrevented };
"""
)

JS_CLICK_BANNER_ACTION = (
    JS_PANE_ISSUE9
    + """
const host = findBanner(mp.contentDocument);
const b = host?.openOrClosedShadowRoot.querySelector(`button[data-action='${arguments[0]}']`);
if (!b) return false;
b.click();
return true;
"""
)

JS_CLICK_BANNER_WHATNOW = (
    JS_PANE_ISSUE9
    + """
const host = findBanner(mp.contentDocument);
const b = host?.openOrClosedShadowRoot.querySelector("button.whatnow-button");
if (!b) return false;
b.click();
const h = host.openOrClosedShadowRoot.querySelector(".whatnow-title");
return h && !host.openOrClosedShadowRoot.querySelector("#minuku-details").hasAttribute("hidden");
"""
)

JS_CLICK_BANNER_DISMISS = (
    JS_PANE_ISSUE9
    + """
const host = findBanner(mp.contentDocument);
const b = host?.openOrClosedShadowRoot.querySelector("button.dismiss");
if (!b) return false;
b.click();
return true;
"""
)

JS_COMPOSE = """
const win = Services.wm.getMostRecentWindow("msgcompose");
if (!win || win.document.readyState != "complete" || !win.gMsgCompose) return null;
const fields = win.gMsgCompose.compFields;
const pills = [...win.document.querySelectorAll("mail-address-pill")].map((p) => p.fullAddress || p.label);
const attachments = [...(win.gAttachmentBucket?.itemChildren ?? [])].map((i) => i.attachment?.name);
return { to: fields.to, pills, subject: win.document.getElementById("msgSubject")?.value ?? "", attachments,
         type: win.gMsgCompose.type };
"""

JS_CLOSE_COMPOSE = """
const win = Services.wm.getMostRecentWindow("msgcompose");
if (win) { win.gMsgCompose && (win.gContentChanged = false); win.close(); }
return true;
"""

JS_RESIZE = """
const win = Services.wm.getMostRecentWindow("mail:3pane");
win.resizeTo(arguments[0], arguments[1]);
return [win.outerWidth, win.outerHeight];
"""


def _state(tb: Thunderbird, subject: str) -> dict[str, Any] | None:
    result: dict[str, Any] | None = tb.run(JS_BANNER_STATE, [subject])
    return result


def _dns_server(mode: str = "normal") -> Any:
    sys.path.insert(0, str(ROOT / "tests"))
    import json as _json

    from localdns import LocalDns  # type: ignore[import-not-found]

    zone = _json.loads((EXAMPLES / "dns-fixture.json").read_text("utf-8"))
    return LocalDns(zone, mode=mode)


def _online(tb: Thunderbird, server: Any, **more: Any) -> None:
    tb.set_storage(
        {
            "offline": False,
            "autoCheck": True,
            "showOk": False,
            "nameservers": [f"127.0.0.1:{server.port}"],
            **more,
        }
    )


def _reset_offline(tb: Thunderbird) -> None:
    tb.set_storage({"offline": True, "nameservers": [], "language": "ja"})


def test_9_silent_dns_danger_at_once_then_refined(tb: Thunderbird) -> None:
    """9.1: with a DNS server that never answers, the look-alike phish shows danger within 1 s
    of being displayed (the local part), then the full answer refines it in place: still
    danger (never downgraded), and the space it holds does not shrink."""
    with _dns_server("silent") as server:
        _online(tb, server, language="ja")
        try:
            # Another mail first: a display (not the one under test) in online mode.
            tb.select(GENUINE[1])
            time.sleep(4.0)
            tb.select(PHISH[1])
            t0 = time.monotonic()
            # "After display": from the first poll that finds the message shown in the pane.
            shown = wait_for_state(tb, PHISH[1], lambda s: True, 5, 0.02)
            t_shown = time.monotonic() - t0
            first = shown if shown.get("present") else None
            if first is None:
                first = wait_for_state(tb, PHISH[1], lambda s: s.get("present"), 5, 0.02)
            t_first = time.monotonic() - t0 - t_shown
            tb.screenshot(OUT / "9-silent-dns-first-ja.png")
            assert first["verdict"] == "danger", first
            assert t_first < 1.0, f"the local danger took {t_first:.2f}s after display"
            final = wait_for_state(tb, PHISH[1], lambda s: s.get("state") == "final", 30, 0.1)
            t_final = time.monotonic() - t0
            tb.screenshot(OUT / "9-silent-dns-refined-ja.png")
            assert final["verdict"] == "danger", final
            assert final["spacer"] >= first["spacer"] - 1, (first, final)
            (OUT / "9-timings.txt").write_text(
                f"silent DNS (load {os.getloadavg()[0]:.2f}): message shown {t_shown:.2f}s after"
                f" selection, first banner {t_first:.2f}s after that ({first['state']}),"
                f" refined {t_final:.2f}s; spacer {first['spacer']} -> {final['spacer']}\n",
                "utf-8",
            )
        finally:
            _reset_offline(tb)


def wait_for_state(
    tb: Thunderbird, subject: str, ok: Any, timeout: float, interval: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = _state(tb, subject)
        if last and ok(last):
            return last
        time.sleep(interval)
    raise AssertionError(f"banner state not reached in {timeout}s: {last}")


def test_9_online_verified_spoofed_and_calm(tb: Thunderbird) -> None:
    """9.2 in the default online mode against a real DNS server: the genuine Amazon notice
    gets the one-line verified mark (no role, never 'claimed brand'), the spoofed From is
    danger, and the ordinary mail shows nothing."""
    with _dns_server() as server:
        for lang in ("ja", "en"):
            _online(tb, server, language=lang)
            try:
                tb.select(PHISH[1])
                wait_for_state(tb, PHISH[1], lambda s: s.get("state") == "final", 30, 0.1)
                tb.screenshot(OUT / f"9-online-phish-{lang}.png")
                tb.select(GENUINE[1])
                mark = wait_for_state(tb, GENUINE[1], lambda s: s.get("present"), 30, 0.1)
                tb.screenshot(OUT / f"9-online-verified-{lang}.png")
                assert mark["tone"] == "verified", mark
                assert mark["role"] is None, "a verified mark is not spoken"
                assert mark["height"] <= 40, f"a mark, not a banner: {mark['height']}px"
                assert "名乗っている" not in mark["text"] and "claim" not in mark["text"].lower(), (
                    mark
                )
                tb.select(SPOOF[1])
                spoof = wait_for_state(tb, SPOOF[1], lambda s: s.get("state") == "final", 30, 0.1)
                tb.screenshot(OUT / f"9-online-spoofed-{lang}.png")
                assert spoof["verdict"] == "danger", spoof
                tb.select(HARMLESS[1])
                time.sleep(3.0)
                calm = _state(tb, HARMLESS[1])
                tb.screenshot(OUT / f"9-online-harmless-{lang}.png")
                assert calm is not None and calm["present"] is False, calm
            finally:
                _reset_offline(tb)


def test_9_real_list_post_shows_nothing_online(tb: Thunderbird) -> None:
    """9.2: a real list post (DMARC of its author fails by design, its DKIM key is not in the
    test's DNS) shows no banner in the default online mode."""
    if LIST_POST is None:
        pytest.skip(f"no list corpus at {LIST_CORPUS} (a clone without ../shared)")
    subject = _list_subject()
    with _dns_server() as server:
        _online(tb, server, language="ja")
        try:
            tb.select(PHISH[1])
            wait_for_state(tb, PHISH[1], lambda s: s.get("present"), 30, 0.1)
            tb.select(subject)
            time.sleep(4.0)
            state = _state(tb, subject)
            tb.screenshot(OUT / "9-online-list-post-ja.png")
            assert state is not None and state["present"] is False, state
        finally:
            _reset_offline(tb)


def _forward_recipients(tb: Thunderbird, action: str, name: str) -> str:
    """Click a banner action that opens a forward; its recipients as the compose window shows
    them (a screenshot and the window's fields saved under ``name``); the window is closed."""
    assert tb.run(JS_CLICK_BANNER_ACTION, [action])
    try:
        # The recipients are filled in once the compose window has loaded the forward.
        compose = _wait(
            lambda: (c := tb.run(JS_COMPOSE)) and (c.get("to") or c.get("pills")) and c, 30
        )
        (OUT / f"{name}.txt").write_text(repr(compose) + "\n", "utf-8")
        tb.screenshot(OUT / f"{name}-ja.png")
        return " ".join([str(compose.get("to") or ""), *map(str, compose.get("pills") or [])])
    finally:
        tb.run(JS_CLOSE_COMPOSE)
        _wait(lambda: not tb.run(JS_COMPOSE), 10)


def test_9_danger_links_inert_and_report_forward(tb: Thunderbird) -> None:
    """9.5: under danger a click on the mail's link does not open it: the banner shows the real
    target. 9.4: 「フィッシングとして報告」 opens a forward (as attachment) to the council,
    prefilled, for the user to send; 「Amazonにも報告」 one to Amazon's own address."""
    tb.set_storage({"autoCheck": True, "language": "ja", "offline": True})
    tb.select(PHISH[1])
    banner = wait_for_state(tb, PHISH[1], lambda s: s.get("present"), 30, 0.1)
    assert banner["verdict"] == "danger"
    assert {"report", "junk", "delete"} <= set(banner["actions"]), banner["actions"]
    assert "リンクを開いた／入力してしまった" in banner["text"], banner["text"][:300]
    click = tb.run(JS_CLICK_MAIL_LINK)
    assert click is not None, "the phish has a link"
    assert click["opened"] is False, "the click was stopped before Thunderbird opened the link"
    guarded = wait_for_state(tb, PHISH[1], lambda s: s.get("guardOpen"), 5, 0.1)
    assert guarded["guardTarget"] == click["href"], guarded
    tb.screenshot(OUT / "9-link-guard-ja.png")
    # The details open on "what now" first (9.3).
    assert tb.run(JS_CLICK_BANNER_WHATNOW)
    time.sleep(0.5)
    tb.screenshot(OUT / "9-what-now-ja.png")

    shown = _forward_recipients(tb, "report", "9-report-compose")
    assert "info@antiphishing.jp" in shown, shown
    # 9.4: 「Amazonにも報告」 forwards to the address Amazon's own help names (host catalogue).
    assert "reportBrand" in banner["actions"], banner["actions"]
    shown = _forward_recipients(tb, "reportBrand", "9-report-brand-compose")
    assert "reportascam@amazon.com" in shown and "antiphishing" not in shown, shown

    # 9.5: after 閉じる a one-line reminder remains (and the toolbar badge).
    assert tb.run(JS_CLICK_BANNER_DISMISS)
    mini = wait_for_state(tb, PHISH[1], lambda s: s.get("state") == "mini", 5, 0.1)
    assert mini["verdict"] == "danger" and mini["height"] <= 40, mini
    tb.screenshot(OUT / "9-dismissed-reminder-ja.png")
    assert tb.run(JS_CLICK_BANNER_DISMISS.replace("button.dismiss", "button.restore"))
    wait_for_state(tb, PHISH[1], lambda s: s.get("state") == "final", 5, 0.1)


def test_9_narrow_window_banner_fits(tb: Thunderbird) -> None:
    """9.7: at 800×600 the collapsed danger banner takes at most ~30% of the message pane and
    its buttons wrap; the mail stays visible below it."""
    tb.set_storage({"autoCheck": True, "language": "ja", "offline": True})
    try:
        tb.run(JS_RESIZE, [800, 600])
        time.sleep(1.0)
        tb.select(HARMLESS[1])
        time.sleep(1.0)
        tb.select(PHISH[1])
        banner = wait_for_state(tb, PHISH[1], lambda s: s.get("present"), 30, 0.1)
        time.sleep(0.5)
        banner = _state(tb, PHISH[1]) or banner
        tb.screenshot(OUT / "9-narrow-800x600-ja.png")
        tb.set_storage({"language": "en"})
        tb.select(HARMLESS[1])
        time.sleep(1.0)
        tb.select(PHISH[1])
        en = wait_for_state(
            tb, PHISH[1], lambda s: s.get("present") and "Report" in s.get("text", ""), 30, 0.1
        )
        tb.screenshot(OUT / "9-narrow-800x600-en.png")
        for b in (banner, en):
            # 30% of the pane, plus the host's own 8 px of padding.
            assert b["height"] <= 0.32 * b["paneHeight"] + 10, (
                f"{b['height']}px in a {b['paneHeight']}px pane"
            )
    finally:
        tb.run(JS_RESIZE, [1366, 768])
        tb.set_storage({"language": "ja"})
