"""End to end, issue 12: new mail is checked when it arrives, in a real Thunderbird 153 with a
real IMAP server, before anyone opens it.

Dovecot (Debian's package) runs on a loopback port with one throw-away account
(``imapharness``); Thunderbird is configured for that account through prefs; the add-on and
the host are installed by the real installer; the host asks a DNS server the test runs
(``tests/localdns.py``, serving ``examples/dns-fixture.json``) and records every query.
The test delivers mail with IMAP APPEND while Thunderbird runs, and checks:

- the seed-like Amazon phish gets the red "danger" tag in the thread pane without being
  opened (it stays unread, no row selected); the genuine Amazon notice and a mailing-list post
  get no tag. The tag is an IMAP keyword: the server has it too.
- opening a mail checked on arrival sends no DNS query for the sender's own names (the phish's
  look-alike domain, the list poster's per-recipient subdomain), though the arrival checks did
  ask about them;
- with the move-to-Junk option on, only the phish moves to the account's Junk folder (seen on
  the server); nothing is deleted.

Screenshots of the thread pane: test-output/e2e/arrival-*.png.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from imapharness import (
    JS_ADD_LOGIN,
    JS_FIND_PAGE_WINDOW,
    JS_FOLDER_MENU,
    JS_FOLDERS,
    JS_OPEN_FOLDER,
    JS_OPEN_IMAP_INBOX,
    JS_SELECT_IMAP,
    JS_THREAD_PANE,
    JS_TIME_BANNER,
    PASSWORD,
    USER,
    Dovecot,
    find_dovecot,
    imap_prefs,
)
from tbharness import (
    ADDON_ID,
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
sys.path.insert(0, str(ROOT / "tests"))

PHISH_SUBJECT = "契約不履行"
GENUINE_SUBJECT = "ご注文の商品を発送しました"
LIST_SUBJECT = "release 2.4 schedule"
DANGER_TAG = "minuku_danger"
WARNING_TAG = "minuku_warning"
# Names the senders control: asking about them when the mail is opened would tell them so.
MENU_CHECK_FOLDER = "minuku-check-folder"  # extension/lib/arrival.js
MENU_PAUSE = "minuku-pause-background"
SENDER_NAMES = ("amazon-co-jp-security.com", "kumo-project.org")

# A real-looking list post (Mailman footer, List-Id), from a per-recipient subdomain: the kind
# of name whose DNS query at opening time would be a read receipt.
LIST_POST = """\
Return-Path: <users-bounces+hanako=example-isp.ne.jp@lists.kumo-project.org>
Received: from mail.kumo-project.org (mail.kumo-project.org [198.51.100.25])
\tby mx1.example-isp.ne.jp (Postfix) with ESMTPS id 4ZB7nX2kQpz7
\tfor <hanako@example-isp.ne.jp>; Fri, 27 Nov 2026 11:02:11 +0900 (JST)
From: Taro Yamada <taro@u8412.kumo-project.org>
To: users@lists.kumo-project.org
Subject: [kumo-users] Re: release 2.4 schedule
Date: Fri, 27 Nov 2026 11:02:05 +0900
Message-ID: <CAKumo-2f9a1c@u8412.kumo-project.org>
List-Id: Kumo users <users.lists.kumo-project.org>
List-Unsubscribe: <mailto:users-leave@lists.kumo-project.org>
List-Post: <mailto:users@lists.kumo-project.org>
Precedence: list
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Hi all,

The 2.4 branch is cut on Monday; please get your patches in before then.
Notes are in the wiki as usual.

Taro
_______________________________________________
kumo-users mailing list
users@lists.kumo-project.org
"""


def _skip_reason() -> str | None:
    if (reason := skip_reason()) is not None:
        return reason
    if find_dovecot() is None:
        return (
            "dovecot is not installed: the arrival test needs a real IMAP server "
            "(apt-get install dovecot-imapd, or run tests/e2e/setup.sh as root)"
        )
    if importlib.util.find_spec("dns") is None:
        return "dnspython is not installed (the test's DNS server needs it)"
    return None


def _with_message_id(raw: bytes, new_id: str, subject_suffix: str = "") -> bytes:
    """The same mail under another Message-ID (a second, distinct delivery)."""
    out = re.sub(rb"(?mi)^Message-ID:[^\n]*\n", f"Message-ID: <{new_id}>\n".encode(), raw, count=1)
    if subject_suffix:
        out = re.sub(
            rb"(?mi)^(Subject:[^\n]*)\n",
            lambda m: m.group(1) + subject_suffix.encode() + b"\n",
            out,
            count=1,
        )
    return out


def _message_id(raw: bytes) -> str:
    m = re.search(rb"(?mi)^Message-ID:\s*<([^>]+)>", raw)
    assert m, "test mail without Message-ID"
    return m.group(1).decode()


@dataclass
class Env:
    tb: Thunderbird
    imap: Dovecot
    dns: Any  # localdns.LocalDns
    phish: bytes
    genuine: bytes
    listpost: bytes
    binary: str
    profile: Path
    home: Path
    port: int
    sessions: int = 1
    burst_checked: int = 0  # burst mails checked before the latency test paused checking

    def background_checks(self) -> list[str]:
        return re.findall(r"minuku: background check: (\w+)", self.tb.log())

    def wait_checks(self, n: int, timeout: float = 90) -> list[str]:
        """Wait until ``n`` background checks are logged; opens INBOX afresh meanwhile (as
        "Get Messages" would) in case IDLE has not told Thunderbird yet."""
        deadline = time.monotonic() + timeout
        last_poke = 0.0
        while time.monotonic() < deadline:
            done = self.background_checks()
            if len(done) >= n:
                return done
            if time.monotonic() - last_poke > 5:
                self.tb.run(JS_OPEN_FOLDER, ["INBOX"])
                last_poke = time.monotonic()
            time.sleep(0.3)
        raise AssertionError(
            f"{len(self.background_checks())} of {n} background checks after {timeout:.0f}s\n"
            + self.tb.log()[-3000:]
        )

    def pane(self, folder: str = "INBOX") -> dict[str, Any]:
        result: dict[str, Any] = self.tb.run(JS_THREAD_PANE, [folder])
        return result


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from localdns import LocalDns

    binary = find_thunderbird()
    assert binary is not None
    root = tmp_path_factory.mktemp("arrival")
    home, profile = root / "home", root / "profile"
    home.mkdir()
    zone = json.loads((EXAMPLES / "dns-fixture.json").read_text("utf-8"))
    imap = Dovecot(root / "imap")
    dns = LocalDns(zone)
    tb: Thunderbird | None = None
    holder: Env | None = None
    try:
        imap.start()
        dns.start()
        port = free_port()
        make_profile(profile, [], port)
        with (profile / "user.js").open("a", encoding="utf-8") as f:
            f.write(imap_prefs(imap.port))
        done = install_minuku(profile, home, ROOT)
        assert done.returncode == 0, f"minuku install failed:\n{done.stdout}\n{done.stderr}"
        OUT.mkdir(parents=True, exist_ok=True)
        tb = start_thunderbird(binary, profile, home, port, OUT / "thunderbird-arrival.log")
        _wait(lambda: (s := tb.addon_state()) and s.get("running"), 60, "the add-on running")
        tb.set_storage(
            {
                "offline": False,
                "nameservers": [dns.address],
                "language": "ja",
                "autoCheck": True,
                "showOk": False,
                "arrivalCheck": True,
                "arrivalPaused": False,
                "moveDangerToJunk": False,
                "neverSenderLookupsOnOpen": False,
            }
        )
        # The password goes to Thunderbird's login manager before the first connection.
        assert tb.run_async(JS_ADD_LOGIN, ["127.0.0.1", USER, PASSWORD]) is True
        _wait(lambda: (r := tb.run(JS_OPEN_IMAP_INBOX)) and r["rows"] >= 0, 60, "the IMAP INBOX")
        _wait(
            lambda: any(f["junk"] for f in tb.run(JS_FOLDERS) or []),
            60,
            "Thunderbird to list the IMAP folders (Junk)",
        )
        time.sleep(2.0)  # IDLE established on INBOX
        holder = Env(
            tb=tb,
            imap=imap,
            dns=dns,
            phish=(EXAMPLES / "amazon-keiyaku-furikou-phish.eml").read_bytes(),
            genuine=(EXAMPLES / "amazon-genuine-notice.eml").read_bytes(),
            listpost=LIST_POST.encode(),
            binary=binary,
            profile=profile,
            home=home,
            port=port,
        )
        yield holder
    finally:
        tb = holder.tb if holder else tb
        if tb is not None:
            tb.stop()
        dns.stop()
        imap.stop()
        (OUT / "dovecot-arrival.log").write_text(imap.log(), "utf-8")
        imap.cleanup()


def _wait(fn: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.3)
    raise TimeoutError(f"timed out waiting for {what} (last: {last!r})")


JS_ADD_KEYWORD = """
const [subject, keyword] = arguments;
const win = Services.wm.getMostRecentWindow("mail:3pane");
const a3 = win.gTabmail.currentAbout3Pane;
for (let i = 0; i < a3.gDBView.rowCount; i++) {
  const hdr = a3.gDBView.getMsgHdrAt(i);
  if (hdr.mime2DecodedSubject.includes(subject)) { hdr.folder.addKeywordsToMessages([hdr], keyword); return true; }
}
return false;
"""


def _rss_mb(tb: Thunderbird) -> dict[str, int]:
    """Resident memory of Thunderbird's main process (the add-on runs in a process of its own,
    measured by _addon_mb) and of the Minuku hosts it started, in MB (0 where one cannot be
    read)."""
    import psutil  # type: ignore[import-untyped]

    out = {"thunderbird": 0, "hosts": 0}
    try:
        main = psutil.Process(tb.proc.pid)
        out["thunderbird"] = main.memory_info().rss >> 20
        for child in main.children(recursive=True):
            try:
                cmd = " ".join(child.cmdline())
                rss = child.memory_info().rss >> 20
            except psutil.Error:
                continue
            if "minuku" in cmd:
                out["hosts"] += rss
    except psutil.Error:
        pass
    return out


def _cpu_s(tb: Thunderbird) -> dict[str, float]:
    """CPU seconds (user + system) used so far by Thunderbird's main process, its other
    processes (the add-on's WebExtensions process among them), and the Minuku hosts with their
    check workers: where a folder check's work is done."""
    import psutil

    out = {"thunderbird": 0.0, "tb_other": 0.0, "hosts": 0.0}
    try:
        main = psutil.Process(tb.proc.pid)
        t = main.cpu_times()
        out["thunderbird"] = t.user + t.system
        hosts: set[int] = set()
        for child in main.children(recursive=True):
            try:
                cmd = " ".join(child.cmdline())
                ct = child.cpu_times()
                # A host's check worker is a Python child whose command line need not say so.
                is_host = "minuku" in cmd or child.ppid() in hosts
            except psutil.Error:
                continue
            if is_host:
                hosts.add(child.pid)
            out["hosts" if is_host else "tb_other"] += ct.user + ct.system
    except psutil.Error:
        pass
    return out


# The add-on's own memory: every memory report (explicit heap) whose path names the add-on's
# moz-extension host (Thunderbird runs add-ons in an "extension" process), and that process's
# resident memory, after a memory-pressure GC in every process.
JS_ADDON_MEMORY = """
const [id, done] = arguments;
const policy = WebExtensionPolicy.getByID(id);
if (!policy) { done(null); return; }
const host = policy.mozExtensionHostname;
const mgr = Cc["@mozilla.org/memory-reporter-manager;1"].getService(Ci.nsIMemoryReporterManager);
mgr.minimizeMemoryUsage(() => {
  let addon = 0, proc = null;
  const resident = {};
  mgr.getReports(
    (p, path, kind, units, amount) => {
      if (path === "resident") resident[p] = amount;
      if (units === Ci.nsIMemoryReporter.UNITS_BYTES && path.startsWith("explicit/") && path.includes(host)) {
        addon += amount; proc = p;
      }
    }, null, () => done({ addon, resident: resident[proc] ?? 0 }), null, false);
});
"""


# Thunderbird's main process by memory reporter (explicit/ three path levels deep, and the
# top-level totals such as heap-allocated and resident), in bytes, after a minimizeMemoryUsage:
# where what it keeps after a folder pass lives.
JS_MAIN_MEMORY = """
const [done] = arguments;
const mgr = Cc["@mozilla.org/memory-reporter-manager;1"].getService(Ci.nsIMemoryReporterManager);
mgr.minimizeMemoryUsage(() => {
  const out = {};
  mgr.getReports(
    (p, path, kind, units, amount) => {
      if (p !== "" || units !== Ci.nsIMemoryReporter.UNITS_BYTES) return;
      // explicit/ and the totals (heap-allocated: what the explicit heap paths do not name
      // is heap-unclassified).
      if (!path.startsWith("explicit/") && path.includes("/")) return;
      const key = path.split("/").slice(0, 3).join("/").replace(/0x[0-9a-f]+/g, "*");
      out[key] = (out[key] ?? 0) + amount;
    }, null, () => done(out), null, false);
});
"""


def _main_memory(tb: Thunderbird) -> dict[str, int]:
    try:
        got = tb.run_async(JS_MAIN_MEMORY, [], timeout=60)
    except Exception:  # noqa: BLE001 - a figure for the report, never the test's verdict
        return {}
    return got if isinstance(got, dict) else {}


def _growth(before: dict[str, int], after: dict[str, int], top: int = 8) -> str:
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in set(before) | set(after)}
    biggest = sorted(delta.items(), key=lambda kv: -abs(kv[1]))[:top]
    return ", ".join(f"{k} {v / 2**20:+.1f}" for k, v in biggest)


# Is Thunderbird still busy with just-delivered mail? Gloda indexing, and how many of the
# folder's messages are not in the offline store yet.
JS_TB_BUSY = """
const [name] = arguments;
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const { GlodaIndexer } = ChromeUtils.importESModule("resource:///modules/gloda/GlodaIndexer.sys.mjs");
const server = MailServices.accounts.getAccount("account2").incomingServer;
const folder = server.rootFolder.descendants.find((f) => f.name == name);
let notOffline = 0;
for (const hdr of folder.msgDatabase.enumerateMessages()) {
  if (!(hdr.flags & Ci.nsMsgMessageFlags.Offline)) notOffline++;
}
return { indexing: GlodaIndexer.indexing, notOffline };
"""

JS_PROFILER_START = """
const [done] = arguments;
Promise.resolve(Services.profiler.StartProfiler(1 << 24, 1, ["js", "cpu", "processcpu"], ["GeckoMain"]))
  .then(() => done(true), (e) => done(String(e)));
"""

JS_PROFILER_STOP = """
const [done] = arguments;
Services.profiler.getProfileDataAsync().then(
  (p) => { Services.profiler.StopProfiler(); done(JSON.stringify(p)); },
  (e) => done(String(e)));
"""


def _addon_mb(tb: Thunderbird) -> tuple[float, float]:
    """The add-on's heap and its process's RSS, MB (-1 where they cannot be read)."""
    try:
        got = tb.run_async(JS_ADDON_MEMORY, [ADDON_ID], timeout=60)
    except Exception:  # noqa: BLE001 - a figure for the report, never the test's verdict
        return (-1.0, -1.0)
    if not isinstance(got, dict):
        return (-1.0, -1.0)
    return (float(got["addon"]) / 2**20, float(got["resident"]) / 2**20)


def _by_subject(pane: dict[str, Any], subject: str) -> list[dict[str, Any]]:
    return [m for m in pane["messages"] if subject in m["subject"]]


def test_phish_is_tagged_on_arrival_without_being_opened(env: Env) -> None:
    before = len(env.background_checks())
    for raw in (env.phish, env.genuine, env.listpost):
        env.imap.append(raw)
    verdicts = env.wait_checks(before + 3)[before:]
    assert sorted(verdicts) == sorted(["danger", "ok", "ok"]), verdicts

    pane = _wait(
        lambda: (p := env.pane()) and len(p["messages"]) >= 3 and p,
        30,
        "three messages in the list",
    )
    (phish,) = _by_subject(pane, PHISH_SUBJECT)
    (genuine,) = _by_subject(pane, GENUINE_SUBJECT)
    (listpost,) = _by_subject(pane, LIST_SUBJECT)
    pane = _wait(
        lambda: (
            (p := env.pane()) and DANGER_TAG in _by_subject(p, PHISH_SUBJECT)[0]["keywords"] and p
        ),
        30,
        "the danger tag on the phish",
    )
    (phish,) = _by_subject(pane, PHISH_SUBJECT)
    assert phish["read"] is False, "the phish was never opened"
    for other in (genuine, listpost):
        assert DANGER_TAG not in other["keywords"] and WARNING_TAG not in other["keywords"], other

    # What the thread pane paints: the phish's row carries the tag and its red colour.
    rows = {r["subject"]: r for r in pane["rows"]}
    prow = next(r for s, r in rows.items() if PHISH_SUBJECT in s)
    # Thunderbird marks a tagged row "tagged" plus "T<key>" (with "_" escaped as "_5f").
    assert "tagged" in prow["properties"].split(), prow
    assert "Tminuku_5fdanger" in prow["properties"].split(), prow
    assert prow["tagColor"].upper() == "#D32F2F", prow
    assert not any(r["selected"] for r in rows.values()), "no message was selected (opened)"
    for s, r in rows.items():
        if PHISH_SUBJECT not in s:
            assert "tagged" not in (r["properties"] or "").split(), r
    env.tb.screenshot(OUT / "arrival-thread-pane.png")

    # The tag is an IMAP keyword: the server has it, and only on the phish.
    flags = env.imap.messages("INBOX")
    assert DANGER_TAG in flags[_message_id(env.phish)], flags
    assert DANGER_TAG not in flags[_message_id(env.genuine)], flags
    assert DANGER_TAG not in flags[_message_id(env.listpost)], flags
    assert "\\Seen" not in flags[_message_id(env.phish)], "the phish stays unread"


def test_opening_mail_checked_on_arrival_asks_nothing_about_the_sender(env: Env) -> None:
    asked_on_arrival = [q[0] for q in env.dns.queries]
    for name in SENDER_NAMES:
        assert any(q.rstrip(".").endswith(name) for q in asked_on_arrival), (
            f"the arrival check asked about {name} (the test means something)",
            asked_on_arrival,
        )
    env.dns.queries.clear()
    env.tb.run(JS_OPEN_FOLDER, ["INBOX"])
    assert env.tb.run(JS_SELECT_IMAP, [PHISH_SUBJECT])
    banner = env.tb.wait_banner(PHISH_SUBJECT)
    assert banner["verdict"] == "danger", banner
    time.sleep(1.5)  # the full (second) part of the opening check
    env.tb.screenshot(OUT / "arrival-phish-opened.png")
    # An old mark on the genuine notice (as an earlier, less informed check might have left):
    # the online check at opening finds nothing wrong and takes it off.
    assert env.tb.run(JS_ADD_KEYWORD, [GENUINE_SUBJECT, DANGER_TAG])
    _wait(
        lambda: DANGER_TAG in env.imap.messages("INBOX")[_message_id(env.genuine)],
        20,
        "the old mark on the server",
    )
    for subject in (LIST_SUBJECT, GENUINE_SUBJECT):
        assert env.tb.run(JS_SELECT_IMAP, [subject])
        time.sleep(3.0)  # quiet verdicts show no banner: give the check time to finish
    _wait(
        lambda: DANGER_TAG not in _by_subject(env.pane(), GENUINE_SUBJECT)[0]["keywords"],
        20,
        "the old mark taken off the genuine notice",
    )
    _wait(
        lambda: DANGER_TAG not in env.imap.messages("INBOX")[_message_id(env.genuine)],
        20,
        "the old mark taken off on the server too",
    )
    asked_on_opening = [q[0].rstrip(".").lower() for q in env.dns.queries]
    leaks = [q for q in asked_on_opening if any(q.endswith(n) for n in SENDER_NAMES)]
    (OUT / "arrival-dns-on-opening.txt").write_text("\n".join(asked_on_opening) + "\n", "utf-8")
    assert leaks == [], f"opening asked DNS about the sender's own names: {leaks}"


def test_move_to_junk_moves_only_the_phish(env: Env) -> None:
    env.tb.set_storage({"moveDangerToJunk": True})
    time.sleep(2.5)  # the background re-reads its options at most every 2 s
    phish2 = _with_message_id(env.phish, "20261128091240.9931@amazon-co-jp-security.com", " (2)")
    list2 = _with_message_id(env.listpost, "CAKumo-77aa10@u8412.kumo-project.org", " (2)")
    before = len(env.background_checks())
    for raw in (phish2, env.genuine, list2):
        env.imap.append(raw)
    verdicts = env.wait_checks(before + 3)[before:]
    assert sorted(verdicts) == sorted(["danger", "ok", "ok"]), verdicts

    def moved() -> dict[str, list[str]] | None:
        junk = env.imap.messages("Junk")
        return junk if _message_id(phish2) in junk else None

    junk = _wait(moved, 30, "the new phish in Junk on the server")
    inbox = env.imap.messages("INBOX")
    assert list(junk) == [_message_id(phish2)], f"only the phish moved: {junk}"
    assert DANGER_TAG in junk[_message_id(phish2)], "the tag travels with it"
    assert _message_id(list2) in inbox and _message_id(env.genuine) in inbox
    # Mail that was already there when the option was turned on stays where it was.
    assert _message_id(env.phish) in inbox
    # Nothing deleted: all six delivered mails are still on the server, none flagged deleted.
    assert env.imap.count("INBOX") + env.imap.count("Junk") == 6, (inbox, junk)
    assert not any("\\Deleted" in f for f in [*inbox.values(), *junk.values()]), (inbox, junk)
    env.tb.run(JS_OPEN_FOLDER, ["Junk"])
    _wait(lambda: (p := env.pane("Junk")) and p["rows"] and p, 30, "the Junk folder in the list")
    time.sleep(1.0)
    env.tb.screenshot(OUT / "arrival-junk.png")
    env.tb.run(JS_OPEN_FOLDER, ["INBOX"])
    time.sleep(1.0)
    env.tb.screenshot(OUT / "arrival-inbox-after-move.png")


def test_folder_menu_pause_and_check_this_folder(env: Env) -> None:
    """The folder pane's menu: "pause" stops background checks until it is clicked again;
    "check this folder" opens the progress page, which ends with the summary table."""
    env.tb.run(JS_OPEN_FOLDER, ["INBOX"])
    items = env.tb.run_async(JS_FOLDER_MENU, [MENU_PAUSE])
    assert isinstance(items, list), items
    labels = {i["id"].rsplit("_", 1)[-1]: i for i in items}
    assert MENU_CHECK_FOLDER in labels and MENU_PAUSE in labels, items
    assert labels[MENU_PAUSE]["checked"] is False, items
    _wait(lambda: env.tb.get_storage().get("arrivalPaused") is True, 10, "paused in storage")

    before = len(env.background_checks())
    list3 = _with_message_id(env.listpost, "CAKumo-99bb20@u8412.kumo-project.org", " (3)")
    env.imap.append(list3)
    time.sleep(8.0)
    env.tb.run(JS_OPEN_FOLDER, ["INBOX"])
    time.sleep(2.0)
    assert len(env.background_checks()) == before, "nothing is checked while paused"

    items = env.tb.run_async(JS_FOLDER_MENU, [MENU_PAUSE])
    assert {i["id"].rsplit("_", 1)[-1]: i for i in items}[MENU_PAUSE]["checked"] is True, items
    env.wait_checks(before + 1)  # resumed: the mail that waited is checked now

    env.tb.run_async(JS_FOLDER_MENU, [MENU_CHECK_FOLDER])
    _wait(lambda: env.tb.run(JS_FIND_PAGE_WINDOW, ["scan.html"]), 20, "the progress page")
    time.sleep(3.0)  # every mail in INBOX is kept already: the summary comes at once
    m = env.tb.marionette
    main = m.current_chrome_window_handle
    try:
        for handle in m.chrome_window_handles:
            m.switch_to_window(handle)
            here = env.tb.run(
                'return [...document.querySelectorAll("browser")].map((b) => b.currentURI?.spec ?? "").join(" ");'
            )
            if "scan.html" in here:
                env.tb.screenshot(OUT / "arrival-check-folder-summary.png")
                break
        else:
            raise AssertionError("no window shows scan.html")
    finally:
        m.switch_to_window(main)


def test_options_page_says_what_background_checking_does(env: Env) -> None:
    """Issue 12.2/12.5: the options page's background section in plain words (what it does,
    what it never does, the sender-names option). Its page runs in the add-on's process, so it
    is checked by eye in the screenshot; its texts are in _locales (node tests)."""
    url = env.tb.run(
        """
        const policy = WebExtensionPolicy.getByID(arguments[0]);
        const win = Services.wm.getMostRecentWindow("mail:3pane");
        const url = policy.getURL("options.html#arrival");
        win.gTabmail.openTab("contentTab", { url });
        return url;
        """,
        ["minuku@addons.minuku"],
    )
    assert url.endswith("options.html#arrival")
    try:
        time.sleep(2.5)
        env.tb.screenshot(OUT / "arrival-options.png")
    finally:
        env.tb.run(
            "const t = Services.wm.getMostRecentWindow('mail:3pane').gTabmail; t.closeTab(t.currentTabInfo);"
        )


JS_DISCOVER = """
const [name] = arguments;
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const win = Services.wm.getMostRecentWindow("mail:3pane");
const server = MailServices.accounts.getAccount("account2").incomingServer;
const folder = server.rootFolder.descendants.find((f) => f.name == name);
if (!folder) { server.performExpand(win.msgWindow); return null; }
return { total: folder.getTotalMessages(false) };
"""


def test_check_this_folder_2000_mails_offline(env: Env) -> None:
    """Issue 12.4: "check this folder" on 2,000 mails never checked before, offline, in
    Thunderbird (each mail read by getRaw from the account's offline store or the IMAP server,
    checked by the host on the background connection, the result kept): every mail is listed
    and checked once. The rate is recorded (test-output/e2e/arrival-folder-rate.txt) with the
    CPU each process spent per mail and the add-on's stage times; the host's own rate is
    bench/bench_arrival.py's (target 200 mails/s offline).

    The folder is checked as a folder the user already has: its mail delivered while checking
    on arrival was off, and Thunderbird done with it (its global search index, Gloda, and the
    offline store, waited for up to MINUKU_E2E_SETTLE seconds) before the click. A profile of
    the old runs showed Gloda indexing the just-delivered mail taking a quarter of Thunderbird's
    main thread, work a folder the user has had for a while does not cause. With
    MINUKU_E2E_BULK_FRESH=1 the click comes right after delivery with checking on arrival on,
    as before (the new-mail burst and Thunderbird's filing of it are then in the figure)."""
    n = int(os.environ.get("MINUKU_E2E_BULK", "2000"))  # 10000 for the figure
    fresh = os.environ.get("MINUKU_E2E_BULK_FRESH") == "1"
    if not fresh:
        env.tb.set_storage({"arrivalCheck": False})
        time.sleep(2.5)  # options are re-read at most every 2 s
    with env.imap.connect() as imap:
        imap.create("Bulk")
        imap.subscribe("Bulk")
    env.imap.append_many(
        [
            _with_message_id(env.listpost, f"bulk-{i}@u8412.kumo-project.org", f" [bulk {i}]")
            for i in range(n)
        ],
        mailbox="Bulk",
    )
    _wait(lambda: env.tb.run(JS_DISCOVER, ["Bulk"]), 60, "Thunderbird to find the Bulk folder")
    env.tb.run(JS_OPEN_FOLDER, ["Bulk"])
    _wait(
        lambda: (r := env.tb.run(JS_DISCOVER, ["Bulk"])) and r["total"] >= n,
        120,
        "the Bulk folder's headers",
    )
    settle = float(os.environ.get("MINUKU_E2E_SETTLE", "600"))
    t_settle = time.monotonic()
    state: dict[str, Any] = {}
    while not fresh and time.monotonic() - t_settle < settle:
        state = env.tb.run(JS_TB_BUSY, ["Bulk"]) or {}
        if not state.get("indexing") and state.get("notOffline") == 0:
            break
        time.sleep(2.0)
    settled = (
        "fresh delivery, checking on arrival on"
        if fresh
        else f"after {time.monotonic() - t_settle:.0f} s of waiting for Thunderbird: {state}"
    )
    env.tb.set_storage({"arrivalCheck": True})
    env.tb.set_storage({"offline": True, "arrivalPaused": False})
    time.sleep(2.5)  # options are re-read at most every 2 s
    done_re = r"minuku: folder check done: (\d+) messages, (\d+) checked before"
    before = len(re.findall(done_re, env.tb.log()))
    checks_before = len(env.background_checks())
    # The add-on's heap (after a full GC) before, at the end, and, with
    # MINUKU_E2E_ADDON_MEMORY=1, at every fifth of the way (each sample stops Thunderbird for a
    # GC and a memory report: off by default, so the rate stays comparable).
    addon = [(0, _addon_mb(env.tb))]
    # Thunderbird's own process, each time right after the probe's minimizeMemoryUsage: what
    # it keeps, not what a garbage collector has yet to take back.
    tb_kept = [_rss_mb(env.tb)["thunderbird"]]
    tb_parts = [_main_memory(env.tb)]
    sample_every = n // 5 if os.environ.get("MINUKU_E2E_ADDON_MEMORY") == "1" else 0
    profile = os.environ.get("MINUKU_E2E_PROFILE") == "1"
    if profile:  # where Thunderbird's own time goes (bench/profile_summary.py reads it)
        env.tb.run_async(JS_PROFILER_START)
    cpu0 = _cpu_s(env.tb)
    t0 = time.monotonic()
    env.tb.run_async(JS_FOLDER_MENU, [MENU_CHECK_FOLDER])
    memory: list[tuple[int, dict[str, int]]] = []
    deadline = time.monotonic() + 1800
    # The end is looked for every 0.2 s (a 2,000-mail check takes ~10 s: polling every 2 s
    # made the figure jump between 164, 197 and 245/s); memory is sampled every 2 s.
    next_sample = 0.0
    while len(re.findall(done_re, env.tb.log())) <= before:
        assert time.monotonic() < deadline, "the folder check did not finish"
        if time.monotonic() >= next_sample:
            next_sample = time.monotonic() + 2.0
            so_far = len(env.background_checks()) - checks_before
            memory.append((so_far, _rss_mb(env.tb)))
            if sample_every and so_far >= sample_every * len(addon):
                addon.append((so_far, _addon_mb(env.tb)))
        time.sleep(0.2)
    elapsed = time.monotonic() - t0
    if profile:
        data = env.tb.run_async(JS_PROFILER_STOP, timeout=120)
        (OUT / "arrival-folder-profile.json").write_text(data, "utf-8")
    addon.append((len(env.background_checks()) - checks_before, _addon_mb(env.tb)))
    tb_kept.append(_rss_mb(env.tb)["thunderbird"])
    tb_parts.append(_main_memory(env.tb))
    cpu = {k: v - cpu0[k] for k, v in _cpu_s(env.tb).items()}
    listed, kept = map(int, re.findall(done_re, env.tb.log())[-1])
    checked = len(env.background_checks()) - checks_before
    rate = checked / elapsed
    stages = re.findall(r"minuku: folder check stages, ms per message: ([^\n]*)", env.tb.log())
    report = (
        f"check this folder, offline: {listed} mails listed, {kept} checked before, {checked} "
        f"checked in {elapsed:.1f} s = {rate:.0f} mails/s (from the menu click to the summary), "
        f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}\n"
        f"clicked {settled}\n"
        f"CPU ms per checked mail: Thunderbird main process "
        f"{1000 * cpu['thunderbird'] / max(1, checked):.1f}, its other processes (the add-on's among them) "
        f"{1000 * cpu['tb_other'] / max(1, checked):.1f}, Minuku hosts "
        f"{1000 * cpu['hosts'] / max(1, checked):.1f}\n"
        f"add-on stages of the last pass (ms per message, summed over overlapping checks): "
        f"{stages[-1] if stages else '-'}\n"
        "RSS in MB while it ran (background checks so far: Thunderbird's main process"
        " / the three Minuku hosts):\n"
        + "".join(
            f"  {c}: {m['thunderbird']} / {m['hosts']}\n"
            for c, m in memory[:: max(1, len(memory) // 10)]
        )
        + "the add-on after a GC, MB (checks so far: its heap / its process's RSS): "
        + ", ".join(f"{c}: {mb[0]:.1f} / {mb[1]:.0f}" for c, mb in addon)
        + "\n"
        + f"Thunderbird's main process after minimizeMemoryUsage, MB: before {tb_kept[0]}, "
        f"after {tb_kept[-1]}; the largest changes by memory reporter, MB: "
        f"{_growth(tb_parts[0], tb_parts[-1])}\n"
    )
    (OUT / "arrival-folder-rate.txt").write_text(report, "utf-8")
    env.tb.set_storage({"offline": False})
    assert listed == n, report
    assert checked + kept >= n, report
    assert checked <= n, f"nothing is checked twice: {report}"


def test_background_burst_does_not_delay_the_banner(env: Env) -> None:
    """Issue 12.1: Minuku's background work does not get in the way of the banner of the mail
    the user opens (target: no more than 50 ms later; see the bound below). During one burst of new mail, openings alternate between background
    checking paused and running (the pause toggle acts at once), so Thunderbird's own handling
    of the burst and the machine's load weigh on both sides alike; the median of the paired
    differences is Minuku's share. Every opening is of a message not displayed before, timed in the
    chrome process from the selection to the banner on screen."""
    pairs = 7
    env.tb.set_storage({"moveDangerToJunk": False, "arrivalPaused": False})
    phishes = [
        _with_message_id(env.phish, f"lat-{k}@amazon-co-jp-security.com", f" #{k}")
        for k in range(2 * pairs + 3)
    ]
    before = len(env.background_checks())
    env.imap.append_many(phishes)
    env.wait_checks(before + len(phishes))
    env.tb.run(JS_OPEN_FOLDER, ["INBOX"])
    _wait(
        lambda: (
            sum("#" in m["subject"] for m in _by_subject(env.pane(), PHISH_SUBJECT)) >= len(phishes)
        ),
        30,
        "the phish copies in the list",
    )

    def open_and_time(k: int) -> float:
        env.tb.run(JS_SELECT_IMAP, [LIST_SUBJECT])  # away from the previous phish
        time.sleep(0.4)
        ms = env.tb.run_async(JS_TIME_BANNER, [f"{PHISH_SUBJECT}に関する通知 #{k}"], timeout=30)
        assert isinstance(ms, (int, float)) and ms >= 0, ms
        return float(ms)

    idle = [open_and_time(k) for k in range(3)]
    n_burst = 1500
    burst = [
        _with_message_id(env.listpost, f"burst-{i}@u8412.kumo-project.org", f" [burst {i}]")
        for i in range(n_burst)
    ]
    start = len(env.background_checks())
    env.imap.append_many(burst)
    env.tb.run(JS_OPEN_FOLDER, ["INBOX"])
    _wait(lambda: len(env.background_checks()) > start + 20, 60, "the burst being checked")
    paused: list[float] = []
    busy: list[float] = []
    k = 3
    for _ in range(pairs):
        env.tb.set_storage({"arrivalPaused": True})
        time.sleep(0.5)
        paused.append(open_and_time(k))
        env.tb.set_storage({"arrivalPaused": False})
        mark = len(env.background_checks())
        _wait(lambda m=mark: len(env.background_checks()) > m + 2, 30, "background checking again")
        busy.append(open_and_time(k + 1))
        k += 2
    checked = len(env.background_checks()) - start
    assert checked < n_burst, "the burst was over before the measurement ended"
    med = {
        name: sorted(xs)[len(xs) // 2]
        for name, xs in (("idle", idle), ("paused", paused), ("busy", busy))
    }

    # Each pair is measured a second apart: its difference cancels the drift of the machine's
    # load (other processes, Thunderbird still filing the burst) that the medians alone carry.
    diffs = sorted(b - p for b, p in zip(busy, paused, strict=True))
    share = diffs[len(diffs) // 2]

    def line(name: str, xs: list[float]) -> str:
        return f"  {name:6}: {', '.join(f'{x:.0f}' for x in xs)} (median {med[name]:.0f})\n"

    report = (
        "banner latency, ms (selection -> banner on screen)\n"
        + line("idle", idle)
        + line("paused", paused)
        + line("busy", busy)
        + f"  ({checked} of {n_burst} burst mails checked by Minuku during the measurement)\n"
        + f"  Minuku's share (median of the paired differences busy - paused): {share:.0f} ms\n"
        + f"  load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}\n"
    )
    (OUT / "arrival-latency.txt").write_text(report, "utf-8")
    env.tb.screenshot(OUT / "arrival-burst.png")
    env.tb.set_storage({"arrivalPaused": True})  # the rest of the burst is not this test's
    # What was under way when the pause came finishes; then the count stands still.
    settled = -1
    while (now_checked := len(env.background_checks())) != settled:
        settled = now_checked
        time.sleep(2)
    env.burst_checked = settled - start
    # The 50 ms bound itself is asserted where timing is deterministic (the node test "background
    # work never delays the displayed message's request by more than 50 ms"): here, on a shared
    # 2-core machine at load 6-8, single openings vary by +-300 ms and the median of 7 paired
    # differences measured -192..+175 ms over 7 runs. What this test can hold is that
    # background work never gets in the displayed message's way grossly (a shared queue would
    # cost seconds during a 1,500-mail burst).
    assert share <= 250, report


def test_folder_check_resumes_after_restart(env: Env) -> None:
    """Issue 12.4: Thunderbird quits in the middle of checking the burst; after it starts again
    and checking is resumed, what was checked before is remembered (the add-on's IndexedDB)
    and not checked again, and the rest is."""
    if env.tb.get_storage().get("arrivalPaused") is not True:
        pytest.skip("needs the paused, unfinished burst of the latency test")
    checked_before = len(env.background_checks())
    env.tb.stop()
    env.sessions += 1
    env.tb = start_thunderbird(
        env.binary, env.profile, env.home, env.port, OUT / f"thunderbird-arrival-{env.sessions}.log"
    )
    _wait(lambda: (s := env.tb.addon_state()) and s.get("running"), 60, "the add-on running again")
    _wait(
        lambda: (r := env.tb.run(JS_OPEN_IMAP_INBOX)) and r["rows"] > 0, 60, "the IMAP INBOX again"
    )
    assert env.tb.get_storage().get("arrivalPaused") is True, "the pause survives the restart"
    env.tb.set_storage({"arrivalPaused": False})
    t0 = time.monotonic()
    done = _wait(
        lambda: re.search(
            r"minuku: folder check done: (\d+) messages, (\d+) checked before", env.tb.log()
        ),
        600,
        "the resumed folder check to finish",
    )
    elapsed = time.monotonic() - t0
    listed, kept = int(done.group(1)), int(done.group(2))
    checked_now = len(env.background_checks())
    in_inbox = env.imap.count("INBOX")
    (OUT / "arrival-resume.txt").write_text(
        f"before the restart: {checked_before} background checks\n"
        f"after: folder pass listed {listed}, {kept} remembered from before, {checked_now} checked now\n"
        f"INBOX on the server: {in_inbox}\n"
        f"resumed work took {elapsed:.1f} s: {checked_now / elapsed:.0f} checks/s in Thunderbird "
        f"(getRaw of each mail + online check against the test's DNS server; after a restart), load "
        f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}\n",
        "utf-8",
    )
    assert listed == in_inbox, (listed, in_inbox)
    # Checked in this session outside the folder pass (mail that was waiting in the queue):
    # the pass counts those as "checked before" too.
    queued = checked_now - (listed - kept)
    assert queued >= 0, "every mail is either remembered or checked now"
    # Every burst mail checked before the pause was written when checking paused (and the
    # INBOX's earlier mails were checked before that): all of them must come back. How many
    # that is depends on the machine's speed, so the bound is the count, not a fixed number.
    assert env.burst_checked > 0, "the latency test checked none of the burst"
    assert kept - queued >= env.burst_checked, (
        f"only {kept - queued} results remembered across the restart "
        f"({env.burst_checked} burst mails checked before it)"
    )
