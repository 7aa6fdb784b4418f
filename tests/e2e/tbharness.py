"""Drive a real Thunderbird for Minuku's end-to-end test (recipe: shared/thunderbird-e2e.md).

Owns the throwaway profile (user.js, a Local Folders Inbox as mbox), starting Thunderbird
headless with Marionette, and the chrome-context scripts that select a message, read the
banner's shadow root, set the add-on's storage and click its message-display button.
No network: the profile has only Local Folders and the add-on runs the host offline.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

ADDON_ID = "minuku@addons.minuku"
# The message_display_action's toolbar button: the gecko id with [@.] -> "_".
ACTION_BUTTON_ID = "minuku_addons_minuku-messageDisplayAction-toolbarbutton"
MBOX_FROM_LINE = "From - Mon Jan  1 00:00:00 2024\n"

T = TypeVar("T")

USER_JS = """\
user_pref("extensions.autoDisableScopes", 0);
user_pref("xpinstall.signatures.required", false);
user_pref("extensions.enabledScopes", 15);
user_pref("mail.provider.suppress_dialog_on_startup", true);
user_pref("mail.shell.checkDefaultClient", false);
user_pref("mailnews.start_page.enabled", false);
user_pref("mail.rights.version", 1);
user_pref("datareporting.policy.dataSubmissionPolicyBypassNotification", true);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("mail.accountmanager.accounts", "account1");
user_pref("mail.accountmanager.localfoldersserver", "server1");
user_pref("mail.account.account1.server", "server1");
user_pref("mail.server.server1.type", "none");
user_pref("mail.server.server1.hostname", "Local Folders");
user_pref("mail.server.server1.name", "Local Folders");
user_pref("mail.server.server1.userName", "nobody");
user_pref("mail.server.server1.directory-rel", "[ProfD]Mail/Local Folders");
user_pref("devtools.console.stdout.chrome", true);
user_pref("devtools.console.stdout.content", true);
user_pref("marionette.port", {port});
"""


def find_thunderbird() -> str | None:
    """The thunderbird executable, or None."""
    return shutil.which("thunderbird")


def skip_reason() -> str | None:
    """Why a real-Thunderbird test cannot run here (None: it can)."""
    if sys.platform != "linux":
        return "the end-to-end test drives Debian's thunderbird package (Linux only)"
    if find_thunderbird() is None:
        return "thunderbird is not installed (run tests/e2e/setup.sh as root to install it)"
    if importlib.util.find_spec("marionette_driver") is None:
        return "marionette-driver is not installed (pip install -e '.[test]')"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def to_mbox(messages: Iterable[bytes]) -> bytes:
    """An mbox (mboxrd quoting, LF line ends) as Thunderbird's Local Folders expect."""
    out = bytearray()
    for raw in messages:
        text = raw.replace(b"\r\n", b"\n")
        if not text.endswith(b"\n"):
            text += b"\n"
        lines = []
        for line in text.split(b"\n"):
            stripped = line.lstrip(b">")
            lines.append(b">" + line if stripped.startswith(b"From ") else line)
        out += MBOX_FROM_LINE.encode() + b"\n".join(lines) + b"\n"
    return bytes(out)


def make_profile(profile: Path, messages: Iterable[bytes], port: int) -> None:
    """A fresh profile with Local Folders holding ``messages`` in its Inbox."""
    (profile / "Mail" / "Local Folders").mkdir(parents=True, exist_ok=True)
    (profile / "extensions").mkdir(exist_ok=True)
    (profile / "user.js").write_text(USER_JS.replace("{port}", str(port)), "utf-8")
    (profile / "Mail" / "Local Folders" / "Inbox").write_bytes(to_mbox(messages))


def install_minuku(profile: Path, home: Path, source: Path) -> subprocess.CompletedProcess[str]:
    """The real installer, as a user runs it: launcher and host manifest under ``home``,
    dist/minuku.xpi into ``profile``; returns the finished process (the caller checks it)."""
    import sys

    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / ".local" / "share")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "minuku",
            "install",
            "--profile",
            str(profile),
            "--source",
            str(source),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def wait_for(what: str, fn: Callable[[], T | None], timeout: float, interval: float = 0.2) -> T:
    """Poll ``fn`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


# Chrome-context scripts (Marionette execute_script / execute_async_script bodies).

JS_SELECT = """
const [subject] = arguments;
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const win = Services.wm.getMostRecentWindow("mail:3pane");
if (!win || !win.gTabmail) return null;
const inbox = MailServices.accounts.localFoldersServer.rootFolder.getChildNamed("Inbox");
const a3 = win.gTabmail.currentAbout3Pane;
if (!a3 || a3.document.readyState != "complete" || !a3.threadTree) return null;
if (a3.gFolder?.URI != inbox.URI) a3.restoreState({ folderURI: inbox.URI, messagePaneVisible: true });
if (!a3.gDBView || a3.gDBView.rowCount < 1) return null;
for (let i = 0; i < a3.gDBView.rowCount; i++) {
  const hdr = a3.gDBView.getMsgHdrAt(i);
  if (hdr.mime2DecodedSubject.includes(subject)) { a3.threadTree.selectedIndex = i; return hdr.messageKey + 1; }
}
return -1;
"""

JS_PANE = """
const a3 = Services.wm.getMostRecentWindow("mail:3pane").gTabmail.currentAbout3Pane;
const about = a3.messageBrowser.contentWindow;
const mp = about.getMessagePaneBrowser();
"""

# Our banner, found the way a mail cannot fake it: an open popover (the mail cannot open one
# without a click, and the add-on cancels those) that is a child of <html>, read through
# openOrClosedShadowRoot (chrome-only) since its shadow root is closed. Never by id: the mail
# can hold its own element with id="minuku-banner".
JS_FIND_BANNER = """
const findBanner = (doc) => {
  const root = doc.documentElement;
  if (!root) return null;
  for (const e of root.children) {
    if (e.localName == "div" && e.classList.contains("minuku-host") && e.matches(":popover-open")) return e;
  }
  return null;
};
"""

JS_BANNER = (
    JS_PANE
    + JS_FIND_BANNER
    + """
const [subject] = arguments;
const doc = mp.contentDocument;
const win = mp.contentWindow;
if (!doc || doc.readyState != "complete") return null;
const shown = about.gMessage?.mime2DecodedSubject ?? "";
if (!shown.includes(subject)) return null;
const host = findBanner(doc);
if (!host) return { present: false, shown };
const root = host.openOrClosedShadowRoot;
const section = root?.querySelector("section");
const r = host.getBoundingClientRect();
const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
const atCentre = doc.elementFromPoint(cx, cy);
// What is really painted: one pixel of the banner's own background (inside its left border,
// above its bottom padding), read back from the rendered document.
let pixel = null;
try {
  const canvas = about.document.createElementNS("http://www.w3.org/1999/xhtml", "canvas");
  canvas.width = 1; canvas.height = 1;
  const ctx = canvas.getContext("2d");
  const sr = section.getBoundingClientRect();
  ctx.drawWindow(win, sr.left + 10, sr.bottom - 4, 1, 1, "rgb(255,255,255)");
  pixel = [...ctx.getImageData(0, 0, 1, 1).data].slice(0, 3);
} catch (e) { pixel = String(e); }
const sr2 = section ? section.getBoundingClientRect() : null;
return {
  present: true,
  shown,
  verdict: host.getAttribute("data-verdict"),
  tone: host.getAttribute("data-tone"),
  origin: host.getAttribute("data-origin"),
  role: section?.getAttribute("role"),
  lang: section?.getAttribute("lang"),
  text: section ? section.textContent.replace(/\\s+/g, " ") : "",
  title: root?.querySelector(".title")?.textContent ?? "",
  brand: root?.querySelector(".brand")?.textContent ?? "",
  imgInBanner: root ? root.querySelectorAll("img").length : -1,
  elementsInBanner: root ? [...new Set([...root.querySelectorAll("*")].map((e) => e.localName))].sort() : [],
  hostileImgInDocument: doc.querySelectorAll("img[src='x'], img[onerror]").length,
  rect: { top: r.top, left: r.left, width: r.width, height: r.height },
  sectionRect: sr2 ? { top: sr2.top, left: sr2.left, width: sr2.width, height: sr2.height } : null,
  viewport: { width: win.innerWidth, height: win.innerHeight },
  centreIsBanner: atCentre === host,
  centreElement: atCentre ? atCentre.localName + (atCentre.id ? "#" + atCentre.id : "") : null,
  pixel,
  topLayer: host.matches(":popover-open"),
  spacerHeight: doc.body?.querySelector(":scope > .minuku-spacer")?.getBoundingClientRect().height ?? null,
};
"""
)

JS_CLICK_IN_MAIL = (
    JS_PANE
    + """
const el = mp.contentDocument.getElementById(arguments[0]);
if (!el) return false;
el.click();
return true;
"""
)

JS_MAIL_POPOVER_OPEN = (
    JS_PANE
    + """
const el = mp.contentDocument.getElementById(arguments[0]);
return el ? el.matches(":popover-open") : null;
"""
)

JS_CLICK_ACTION = (
    JS_PANE
    + """
const btn = about.document.getElementById(arguments[0]);
if (!btn || btn.disabled) return false;
btn.click();
return true;
"""
)

JS_TOGGLE_DETAILS = (
    JS_PANE
    + JS_FIND_BANNER
    + """
const root = findBanner(mp.contentDocument)?.openOrClosedShadowRoot;
const toggle = root?.querySelector("button.toggle");
if (!toggle) return null;
toggle.click();
return toggle.getAttribute("aria-expanded");
"""
)

JS_SET_STORAGE = """
const [id, items, done] = arguments;
(async () => {
  const { ExtensionStorageIDB } = ChromeUtils.importESModule("resource://gre/modules/ExtensionStorageIDB.sys.mjs");
  const policy = WebExtensionPolicy.getByID(id);
  if (!policy || !policy.extension) return done({ error: "add-on not running" });
  const ext = policy.extension;
  const db = await ExtensionStorageIDB.open(ExtensionStorageIDB.getStoragePrincipal(ext));
  const changes = await db.set(items);
  if (changes) ExtensionStorageIDB.notifyListeners(ext.id, changes);
  done({ ok: true, stored: await db.get(null) });
})().catch((e) => done({ error: String(e) }));
"""

JS_GET_STORAGE = """
const [id, done] = arguments;
(async () => {
  const { ExtensionStorageIDB } = ChromeUtils.importESModule("resource://gre/modules/ExtensionStorageIDB.sys.mjs");
  const policy = WebExtensionPolicy.getByID(id);
  if (!policy || !policy.extension) return done({ error: "add-on not running" });
  const db = await ExtensionStorageIDB.open(ExtensionStorageIDB.getStoragePrincipal(policy.extension));
  done({ ok: true, stored: await db.get(null) });
})().catch((e) => done({ error: String(e) }));
"""

JS_OPEN_OPTIONS = """
const [id] = arguments;
const policy = WebExtensionPolicy.getByID(id);
const win = Services.wm.getMostRecentWindow("mail:3pane");
const url = policy.getURL("options.html");
win.gTabmail.openTab("contentTab", { url });
return url;
"""

JS_ADDON_STATE = """
const [id, done] = arguments;
const { AddonManager } = ChromeUtils.importESModule("resource://gre/modules/AddonManager.sys.mjs");
AddonManager.getAddonByID(id).then(
  (a) => done(a ? { active: a.isActive, disabled: a.userDisabled, version: a.version,
                    running: !!WebExtensionPolicy.getByID(id)?.extension } : null),
  (e) => done({ error: String(e) }));
"""


@dataclass
class Thunderbird:
    """A running Thunderbird with a Marionette session in chrome context."""

    proc: subprocess.Popen[bytes]
    marionette: Any
    log_path: Path

    def run(self, script: str, args: list[Any] | None = None) -> Any:
        return self.marionette.execute_script(script, script_args=args or [], new_sandbox=False)

    def run_async(self, script: str, args: list[Any] | None = None, timeout: float = 30) -> Any:
        self.marionette.timeout.script = timeout
        return self.marionette.execute_async_script(
            script, script_args=args or [], new_sandbox=False
        )

    def select(self, subject: str, timeout: float = 60) -> None:
        found = wait_for(
            f"message {subject!r} in the Inbox", lambda: self.run(JS_SELECT, [subject]), timeout
        )
        if found == -1:
            raise AssertionError(f"no message with subject {subject!r} in the Inbox")

    def banner(self, subject: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self.run(JS_BANNER, [subject])
        return result

    def wait_banner(self, subject: str, timeout: float = 45) -> dict[str, Any]:
        return wait_for(
            f"the Minuku banner on {subject!r}",
            lambda: (b := self.banner(subject)) and b.get("present") and b,
            timeout,
        )

    def toggle_details(self) -> str | None:
        """Click the banner's details button; returns the new aria-expanded value."""
        expanded: str | None = self.run(JS_TOGGLE_DETAILS)
        return expanded

    def click_in_mail(self, element_id: str) -> bool:
        """Click an element of the mail's own HTML (as the reader would)."""
        return bool(self.run(JS_CLICK_IN_MAIL, [element_id]))

    def mail_popover_open(self, element_id: str) -> bool | None:
        """Whether the mail's own popover ``element_id`` is open (None: no such element)."""
        result: bool | None = self.run(JS_MAIL_POPOVER_OPEN, [element_id])
        return result

    def click_action(self) -> bool:
        return bool(self.run(JS_CLICK_ACTION, [ACTION_BUTTON_ID]))

    def _storage(self, script: str, args: list[Any], what: str) -> dict[str, Any]:
        # Just after a restart, Thunderbird's storage.local database may still be opening and
        # refuse a read (TransactionInactiveError) or a write (InvalidStateError: "did not
        # allow mutations") once or twice: ask again, for a few seconds only.
        result: dict[str, Any] = self.run_async(script, args)
        for _ in range(20):
            error = str(result.get("error", ""))
            if "TransactionInactiveError" not in error and "InvalidStateError" not in error:
                break
            time.sleep(0.5)
            result = self.run_async(script, args)
        if "error" in result:
            raise RuntimeError(f"could not {what} the add-on's storage: {result['error']}")
        return result

    def set_storage(self, items: Mapping[str, Any]) -> dict[str, Any]:
        return self._storage(JS_SET_STORAGE, [ADDON_ID, dict(items)], "set")

    def get_storage(self) -> dict[str, Any]:
        stored: dict[str, Any] = self._storage(JS_GET_STORAGE, [ADDON_ID], "read")["stored"]
        return stored

    def open_options(self) -> str:
        """Open the add-on's options page in a content tab."""
        url: str = self.run(JS_OPEN_OPTIONS, [ADDON_ID])
        return url

    def addon_state(self) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self.run_async(JS_ADDON_STATE, [ADDON_ID])
        return result

    def host_pids(self) -> list[int]:
        """Native host processes Thunderbird started (its descendants running Minuku)."""
        import psutil  # type: ignore[import-untyped]

        found = []
        for child in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                if any("minuku" in part for part in child.cmdline()):
                    found.append(child.pid)
            except psutil.Error:
                continue
        return found

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.marionette.screenshot(format="binary"))

    def log(self) -> str:
        try:
            return self.log_path.read_text("utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        try:
            self.marionette.delete_session()
        except Exception:  # noqa: BLE001 - shutting down whatever state it is in
            pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_thunderbird(
    binary: str, profile: Path, home: Path, port: int, log_path: Path, timeout: float = 90
) -> Thunderbird:
    """Start Thunderbird headless on ``profile`` with ``HOME=home`` and connect Marionette."""
    from marionette_driver.marionette import Marionette  # type: ignore[import-untyped]

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(
        HOME=str(home),
        MOZ_HEADLESS="1",
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        MOZ_CRASHREPORTER_DISABLE="1",
    )
    # Thunderbird hands its environment to the native host, which runs in its own folder: a
    # relative PYTHONPATH (PYTHONPATH=host, the source tree under test) must become absolute.
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(
            str(Path(p).resolve()) for p in env["PYTHONPATH"].split(os.pathsep) if p
        )
    log = log_path.open("wb")
    args = [binary, "--marionette", "-remote-allow-system-access", "--no-remote"]
    args += ["-profile", str(profile), "--headless"]
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    m = Marionette(host="127.0.0.1", port=port)
    try:
        m.start_session(timeout=timeout)
        m.set_context(m.CONTEXT_CHROME)
    except Exception:
        proc.kill()
        proc.wait(timeout=10)
        raise
    return Thunderbird(proc=proc, marionette=m, log_path=log_path)
