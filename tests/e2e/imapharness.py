"""A throw-away IMAP server for the end-to-end tests: Debian's Dovecot on 127.0.0.1.

One account (a passwd-file with a plaintext password, login without TLS allowed on loopback
only), a Maildir in a temporary folder, INBOX plus Junk and Trash with their RFC 6154 special
uses, so Thunderbird finds the Junk folder by itself. Runs in the foreground (``dovecot -F``)
as a child of the test; as root the mail belongs to ``nobody`` (Dovecot refuses mail access
as uid 0), otherwise to the user running the test.

The test talks to the same server with ``imaplib``: it delivers mail with APPEND while
Thunderbird runs, and reads back what Thunderbird did (flags, which folder a mail is in).
"""

from __future__ import annotations

import imaplib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from tbharness import JS_FIND_BANNER

USER = "hanako"
PASSWORD = "minuku-e2e-secret"  # a throw-away account on a loopback-only server

CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = 0
mail_location = maildir:{root}/mail/%u
mail_privileged_group =
protocol imap {{
  mail_max_userip_connections = 50
  imap_idle_notify_interval = 1 secs
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    user = {user}
  }}
  unix_listener stats-writer {{
    user = {user}
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
}}
"""


def find_dovecot() -> str | None:
    return shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if os.access("/usr/sbin/dovecot", os.X_OK) else None
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Dovecot:
    """``with Dovecot(tmp) as server:`` a running IMAP server on ``server.port``."""

    def __init__(self, root: Path) -> None:
        # As root the mail user (nobody) must be able to reach every folder above the files,
        # which pytest's private temporary folder (0700) does not allow: use a folder of our
        # own under the system's temporary folder, removed by cleanup().
        self.own_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="minuku-imap-")) if self.own_root else root
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        if os.geteuid() == 0:
            pw = pwd.getpwnam("nobody")
        else:
            pw = pwd.getpwuid(os.geteuid())
        self.uid, self.gid, self.owner = pw.pw_uid, pw.pw_gid, pw.pw_name
        self.group = _group_name(self.gid)

    def __enter__(self) -> Dovecot:
        self.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self, timeout: float = 20) -> None:
        binary = find_dovecot()
        if binary is None:
            raise RuntimeError("dovecot is not installed")
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        home = self.root / "home" / USER
        home.mkdir(parents=True, exist_ok=True)
        (self.root / "users").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}:{self.uid}:{self.gid}::{home}::\n", "utf-8"
        )
        conf = self.root / "dovecot.conf"
        conf.write_text(
            CONF.format(
                root=self.root, user=self.owner, group=self.group, uid=self.uid, port=self.port
            ),
            "utf-8",
        )
        if os.geteuid() == 0:
            # The mail and home folders belong to the mail user; the root folder must be
            # traversable by it.
            for p in (self.root, self.root / "mail", self.root / "home", home):
                os.chown(p, self.uid, self.gid)
            os.chmod(self.root, 0o755)
        self.proc = subprocess.Popen(
            [binary, "-F", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "dovecot.stderr").open("wb"),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.log()}")
            try:
                with self.connect():
                    return
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.2)
        raise RuntimeError(f"dovecot did not answer on port {self.port}: {self.log()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def cleanup(self) -> None:
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        out = ""
        for name in ("dovecot.log", "dovecot.stderr"):
            try:
                out += (self.root / name).read_text("utf-8", errors="replace")[-4000:]
            except OSError:
                pass
        return out

    def connect(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(USER, PASSWORD)
        return imap

    def append(self, raw: bytes, mailbox: str = "INBOX") -> None:
        """Deliver one mail (CRLF line ends, as on the wire), unseen."""
        data = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        with self.connect() as imap:
            typ, resp = imap.append(mailbox, "", imaplib.Time2Internaldate(time.time()), data)
            if typ != "OK":
                raise RuntimeError(f"APPEND failed: {resp!r}")

    def append_many(self, raws: list[bytes], mailbox: str = "INBOX") -> None:
        """Deliver many mails over one connection (a burst of new mail)."""
        with self.connect() as imap:
            for raw in raws:
                data = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                typ, resp = imap.append(mailbox, "", imaplib.Time2Internaldate(time.time()), data)
                if typ != "OK":
                    raise RuntimeError(f"APPEND failed: {resp!r}")

    def count(self, mailbox: str) -> int:
        """How many mails ``mailbox`` holds (deleted-flagged ones included: none expected)."""
        with self.connect() as imap:
            typ, count = imap.select(f'"{mailbox}"', readonly=True)
            return int(count[0] or 0) if typ == "OK" and count else 0

    def messages(self, mailbox: str) -> dict[str, list[str]]:
        """Message-ID -> flags/keywords of every mail in ``mailbox``."""
        out: dict[str, list[str]] = {}
        with self.connect() as imap:
            typ, count = imap.select(f'"{mailbox}"', readonly=True)
            if typ != "OK" or not count or int(count[0] or 0) == 0:
                return out
            typ, data = imap.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            if typ != "OK":
                return out
            for item in data:
                if not isinstance(item, tuple):
                    continue
                meta, header = item
                flags = re.search(rb"FLAGS \(([^)]*)\)", meta)
                mid = re.search(rb"<([^>]+)>", header)
                if mid:
                    out[mid.group(1).decode()] = flags.group(1).decode().split() if flags else []
        return out


def _group_name(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def imap_prefs(port: int, email: str = "hanako@example-isp.ne.jp") -> str:
    """user.js lines adding the IMAP account (account2, the default) to a tbharness profile.

    No password is stored here (Thunderbird keeps passwords in its login manager): the test
    adds it through Marionette before the first connection, so no prompt ever shows.
    Thunderbird's own junk filter is off, so every move to Junk is Minuku's.
    """
    prefs = {
        "mail.accountmanager.accounts": "account2,account1",
        "mail.accountmanager.defaultaccount": "account2",
        "mail.account.account2.server": "server2",
        "mail.account.account2.identities": "id1",
        "mail.identity.id1.useremail": email,
        "mail.identity.id1.fullName": "Hanako",
        "mail.identity.id1.valid": True,
        "mail.server.server2.type": "imap",
        "mail.server.server2.hostname": "127.0.0.1",
        "mail.server.server2.port": port,
        "mail.server.server2.userName": USER,
        "mail.server.server2.name": "Minuku e2e IMAP",
        "mail.server.server2.socketType": 0,
        "mail.server.server2.authMethod": 3,
        "mail.server.server2.directory-rel": "[ProfD]ImapMail/127.0.0.1",
        "mail.server.server2.login_at_startup": False,
        "mail.server.server2.check_new_mail": False,
        "mail.server.server2.use_idle": True,
        "mail.server.server2.spamLevel": 0,
        "mail.server.server2.moveOnSpam": False,
        "mail.spam.manualMark": False,
        "mail.biff.show_alert": False,
        "mail.biff.play_sound": False,
        "mail.biff.use_system_alert": False,
        "signon.autologin.proxy": True,
        # Classic layout (list above the message) and the table view, whose rows take the
        # tag's colour: what the screenshots should show.
        "mail.pane_config.dynamic": 0,
        "mail.threadpane.listview": 1,
    }
    lines = []
    for k, v in prefs.items():
        val = ("true" if v else "false") if isinstance(v, bool) else v
        if isinstance(v, str):
            val = '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines.append(f'user_pref("{k}", {val});')
    return "\n".join(lines) + "\n"


JS_ADD_LOGIN = """
const [host, user, password, done] = arguments;
const info = Cc["@mozilla.org/login-manager/loginInfo;1"].createInstance(Ci.nsILoginInfo);
info.init("imap://" + host, null, "imap://" + host, user, password, "", "");
Services.logins
  .searchLoginsAsync({ origin: "imap://" + host })
  .then((found) => (found.some((l) => l.username == user) ? null : Services.logins.addLoginAsync(info)))
  .then(() => done(true), (e) => done(String(e)));
"""

# Open the IMAP account's INBOX in the 3-pane (Thunderbird connects, lists the folders and
# starts IDLE on it), and say how many messages the view shows.
JS_OPEN_IMAP_INBOX = """
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const win = Services.wm.getMostRecentWindow("mail:3pane");
if (!win || !win.gTabmail) return null;
const a3 = win.gTabmail.currentAbout3Pane;
if (!a3 || a3.document.readyState != "complete" || !a3.threadTree) return null;
const server = MailServices.accounts.getAccount("account2").incomingServer;
const inbox = server.rootFolder.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox);
if (!inbox) return null;
if (a3.gFolder?.URI != inbox.URI) a3.restoreState({ folderURI: inbox.URI, messagePaneVisible: true });
inbox.updateFolder(win.msgWindow);
return { uri: inbox.URI, rows: a3.gDBView ? a3.gDBView.rowCount : -1 };
"""

JS_FOLDERS = """
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const server = MailServices.accounts.getAccount("account2").incomingServer;
return server.rootFolder.descendants.map((f) => ({ name: f.name, flags: f.flags, junk: f.getFlag(Ci.nsMsgFolderFlags.Junk) }));
"""

# Every message Thunderbird knows in a folder of the IMAP account: subject, keywords (tags),
# read state; and, for the rows the thread pane shows, what it paints for them.
JS_THREAD_PANE = """
const [folderName] = arguments;
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const win = Services.wm.getMostRecentWindow("mail:3pane");
const a3 = win.gTabmail.currentAbout3Pane;
const server = MailServices.accounts.getAccount("account2").incomingServer;
const folder = folderName == "INBOX"
  ? server.rootFolder.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox)
  : server.rootFolder.descendants.find((f) => f.name == folderName);
if (!folder) return { folder: null, messages: [], rows: [] };
const messages = [];
for (const hdr of folder.messages) {
  messages.push({
    subject: hdr.mime2DecodedSubject, messageId: hdr.messageId,
    keywords: hdr.getStringProperty("keywords"), read: hdr.isRead,
  });
}
const rows = [];
if (a3.gFolder?.URI == folder.URI && a3.gDBView) {
  for (let i = 0; i < a3.gDBView.rowCount; i++) {
    const hdr = a3.gDBView.getMsgHdrAt(i);
    const tr = a3.threadTree.getRowAtIndex(i);
    rows.push({
      subject: hdr.mime2DecodedSubject,
      properties: tr ? tr.dataset.properties ?? "" : null,
      tagColor: tr ? a3.getComputedStyle(tr).getPropertyValue("--tag-color").trim() : null,
      color: tr ? a3.getComputedStyle(tr).color : null,
      selected: a3.threadTree.selectedIndices.includes(i),
    });
  }
}
return { folder: folder.URI, messages, rows, displayed: a3.gFolder?.URI ?? null };
"""

JS_SELECT_IMAP = """
const [subject] = arguments;
const win = Services.wm.getMostRecentWindow("mail:3pane");
const a3 = win.gTabmail.currentAbout3Pane;
if (!a3.gDBView) return null;
for (let i = 0; i < a3.gDBView.rowCount; i++) {
  const hdr = a3.gDBView.getMsgHdrAt(i);
  if (hdr.mime2DecodedSubject.includes(subject)) { a3.threadTree.selectedIndex = i; return true; }
}
return false;
"""

JS_OPEN_FOLDER = """
const [folderName] = arguments;
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const win = Services.wm.getMostRecentWindow("mail:3pane");
const a3 = win.gTabmail.currentAbout3Pane;
const server = MailServices.accounts.getAccount("account2").incomingServer;
const folder = folderName == "INBOX"
  ? server.rootFolder.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox)
  : server.rootFolder.descendants.find((f) => f.name == folderName);
if (!folder) return null;
if (a3.gFolder?.URI != folder.URI) a3.restoreState({ folderURI: folder.URI, messagePaneVisible: true });
folder.updateFolder(win.msgWindow);
return folder.URI;
"""

# Open the folder pane's context menu on the selected folder (as the keyboard's context-menu
# key does), report the add-on's items in it, and click the one whose menu id ends with
# ``wanted`` (none: just close the menu).
JS_FOLDER_MENU = """
const [wanted, done] = arguments;
const win = Services.wm.getMostRecentWindow("mail:3pane");
const a3 = win.gTabmail.currentAbout3Pane;
const popup = a3.document.getElementById("folderPaneContext");
const tree = a3.document.getElementById("folderTree");
tree.dispatchEvent(new a3.MouseEvent("contextmenu", { bubbles: true, button: 0 }));
let tries = 0;
const look = () => { try { look1(); } catch (e) { done({ error: String(e) }); } };
const look1 = () => {
  // Headless, "popupshown" is not always fired: poll for the add-on's items instead.
  const items = [...popup.querySelectorAll("menuitem")].filter((m) => /minuku/.test(m.id) && !m.hidden);
  if ((popup.state != "open" || items.length == 0) && ++tries < 50) return win.setTimeout(look, 100);
  const out = items.map((m) => ({ id: m.id, label: m.label, checked: m.hasAttribute("checked") && m.getAttribute("checked") != "false" }));
  const target = wanted ? items.find((m) => m.id.endsWith("_" + wanted)) : null;
  // activateItem() refuses headless ("menu item is hidden"): fire the command as a click would.
  if (target) target.doCommand();
  popup.hidePopup();
  done(items.length ? out : { error: "no items", state: popup.state });
};
win.setTimeout(look, 100);
"""

# The chrome window that shows one of the add-on's pages (a popup window), by page name.
JS_FIND_PAGE_WINDOW = """
const [page] = arguments;
for (const win of Services.wm.getEnumerator(null)) {
  for (const b of win.document.querySelectorAll("browser")) {
    if (b.currentURI?.spec?.includes(page)) return String(win.browsingContext.id);
  }
}
return null;
"""

# Select the first message whose subject contains ``subject`` and time, in the chrome process,
# until Minuku's banner is on screen for it (polled every 2 ms): the banner's latency.
JS_TIME_BANNER = (
    JS_FIND_BANNER
    + """
const [subject, done] = arguments;
const win = Services.wm.getMostRecentWindow("mail:3pane");
const a3 = win.gTabmail.currentAbout3Pane;
let idx = -1;
for (let i = 0; i < a3.gDBView.rowCount; i++) {
  if (a3.gDBView.getMsgHdrAt(i).mime2DecodedSubject.includes(subject)) { idx = i; break; }
}
if (idx < 0) return done(null);
const t0 = win.performance.now();
a3.threadTree.selectedIndex = idx;
const poll = () => {
  const about = a3.messageBrowser.contentWindow;
  const mp = about?.getMessagePaneBrowser?.();
  const doc = mp?.contentDocument;
  const shown = about?.gMessage?.mime2DecodedSubject ?? "";
  if (doc && doc.readyState == "complete" && shown.includes(subject) && findBanner(doc)) {
    return done(win.performance.now() - t0);
  }
  if (win.performance.now() - t0 > 20000) return done(-1);
  win.setTimeout(poll, 2);
};
poll();
"""
)
