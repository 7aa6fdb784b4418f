// The background's logic with a fake `browser` and a fake host: stale-answer protection,
// cache, timeout -> unknown banner, host missing / too old -> banners that say how to fix it,
// auto-check off + "check this", options on the wire, safe link opening, the context menu.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createLearningBatch } from "../../extension/lib/authserv.js";
import { MAX_MESSAGE_BYTES } from "../../extension/lib/base64.js";
import { createController, MENU_ID, SCRIPT_ID } from "../../extension/lib/controller.js";
import { HostClient } from "../../extension/lib/hostclient.js";
import { FakeHost, LOCALES, ManualTimers, helloResponse, payloadFor, settle } from "./helpers.mjs";

const RAW = {
  1: "Subject: danger\r\nX-Test-Marker: A\r\n\r\nbody A\r\n",
  2: "Subject: hello\r\nX-Test-Marker: B\r\n\r\nbody B\r\n",
  3: "Subject: danger\r\nX-Test-Marker: C\r\n\r\nbody C\r\n",
};
// Messages 10..19: account "account1" (mx.isp.example), from three sender domains; 20: another
// account; 21: account1 again, from a sender whose mail carries no receiving-server header.
const AUTHORS = {};
const ACCOUNTS = {};
for (let i = 10; i < 20; i++) {
  RAW[i] = `Subject: hello\r\nX-Test-Marker: L${i}\r\nX-Test-Authserv: mx.isp.example\r\n\r\nbody\r\n`;
  AUTHORS[i] = `Sender ${i} <s${i}@domain${i % 3}.example>`;
}
RAW[20] = "Subject: hello\r\nX-Test-Marker: O\r\nX-Test-Authserv: mx.other.example\r\n\r\nbody\r\n";
ACCOUNTS[20] = "account2";
RAW[21] = "Subject: hello\r\nX-Test-Marker: N\r\n\r\nbody\r\n";

function fakeBrowser({ store = {}, ui = "en-US" } = {}) {
  const calls = { getRaw: [], sent: [], opened: [], windows: [], register: [], unregister: [], menus: [] };
  const shown = new Map(); // tabId -> [message ids]
  const b = {
    calls,
    shown,
    storage: {
      local: {
        get: async (key) => structuredClone(typeof key === "string" ? (key in store ? { [key]: store[key] } : {}) : store),
        set: async (o) => Object.assign(store, structuredClone(o)),
      },
    },
    i18n: { getUILanguage: () => ui, getMessage: (k) => LOCALES.en[k]?.message ?? "" },
    runtime: { getURL: (p) => `moz-extension://uuid/${p}` },
    messageDisplay: {
      getDisplayedMessages: async (tabId) => {
        if (!shown.has(tabId)) throw new Error("Invalid tab");
        return { id: null, messages: shown.get(tabId).map((id) => ({ id })) };
      },
    },
    messages: {
      getRaw: async (id, opts) => {
        calls.getRaw.push([id, opts]);
        if (!(id in RAW)) throw new Error(`Message not found: ${id}.`);
        return new Blob([RAW[id]]);
      },
      get: async (id) => ({
        id,
        subject: `subject ${id}`,
        author: AUTHORS[id] ?? `author ${id} <a${id}@example.org>`,
        date: new Date(0),
        folder: { accountId: ACCOUNTS[id] ?? "account1", path: "/INBOX" },
      }),
      continueList: async (listId) => (listId === "page2" ? { id: null, messages: [{ id: 3 }] } : { id: null, messages: [] }),
    },
    tabs: { sendMessage: async (tabId, msg) => calls.sent.push([tabId, msg]) },
    windows: {
      openDefaultBrowser: async (url) => calls.opened.push(url),
      create: async (o) => calls.windows.push(o),
    },
    scripting: {
      messageDisplay: {
        unregisterScripts: async (o) => calls.unregister.push(o),
        registerScripts: async (s) => calls.register.push(s),
      },
    },
    menus: { removeAll: async () => calls.menus.push("removeAll"), create: (o) => calls.menus.push(o) },
  };
  return b;
}

// `host` answers the full checks; `quick` the local (no-DNS) part on its own connection (9.1).
function setup({ handler, quickHandler, store, ui, timers = new ManualTimers() } = {}) {
  const host = new FakeHost(handler);
  const quick = new FakeHost(quickHandler);
  const browser = fakeBrowser({ store, ui });
  const client = new HostClient({ connectNative: host.connectNative, timers, now: () => timers.now, timeoutMs: 20000 });
  const quickClient = new HostClient({ connectNative: quick.connectNative, timers, now: () => timers.now, timeoutMs: 20000 });
  const c = createController({ browser, client, quickClient, locales: LOCALES, addonVersion: "0.1.0", log: { warn() {} } });
  return { host, quick, browser, client, c, timers };
}

const tab = (id) => ({ tab: { id } });

test("banner flow: one request, answered with the tab's message and its verdict", async () => {
  const { c, browser, host } = setup();
  browser.shown.set(7, [1]);
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner" }, tab(7));
  assert.equal(ans.messageId, 1);
  assert.equal(ans.payload.verdict, "danger");
  assert.match(ans.payload.title, /\[A\]$/);
  assert.equal(ans.strings.showDetails, "Details");
  assert.deepEqual(browser.calls.getRaw, [[1, { data_format: "BinaryString" }]]);
  assert.deepEqual(host.invalid, []);
  // the bytes that reached the host are the raw message
  assert.equal(Buffer.from(host.framesOfType("check")[0].message, "base64").toString(), RAW[1]);
});

test("stale answer: the tab moved on to B while A was being checked -> nothing for A is drawn", async () => {
  const held = [];
  const heldQuick = [];
  const { c, browser, host, quick } = setup({
    handler: (f) => (f.type === "hello" ? [helloResponse(f.id)] : (held.push(f), [])),
    quickHandler: (f) => (f.type === "hello" ? [helloResponse(f.id)] : (heldQuick.push(f), [])),
  });
  browser.shown.set(7, [1]);
  const pending = c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  await settle();
  browser.shown.set(7, [2]); // the user clicked message B
  quick.send({ type: "result", protocol_version: 1, id: heldQuick[0].id, payload: payloadFor(heldQuick[0]) });
  const ans = await pending;
  assert.equal(ans.payload, null);
  assert.equal(ans.stale, true);
  // and "check this" for a message no longer shown pushes nothing to the tab
  const sentBefore = browser.calls.sent.length;
  const popup = c.onRuntimeMessage({ type: "minuku:checkTab", tabId: 7 }, {});
  await settle();
  browser.shown.set(7, [3]);
  host.send({ type: "result", protocol_version: 1, id: held[1].id, payload: payloadFor(held[1]) });
  const r = await popup;
  assert.equal(r.messageId, 2, "the popup still gets the report of the message it asked for");
  assert.equal(browser.calls.sent.length, sentBefore, "no push into a tab now showing another message");
});

test("pushes name their message; a push happens only while the tab shows it", async () => {
  const { c, browser } = setup({ store: { autoCheck: false } });
  browser.shown.set(7, [2]);
  const r = await c.onRuntimeMessage({ type: "minuku:checkTab", tabId: 7 }, {});
  assert.equal(r.payload.verdict, "ok");
  assert.equal(r.header.subject, "subject 2");
  assert.equal(browser.calls.sent.length, 1);
  const [tabId, msg] = browser.calls.sent[0];
  assert.equal(tabId, 7);
  assert.equal(msg.type, "minuku:show");
  assert.equal(msg.messageId, 2);
  assert.equal(msg.display.show, true, "an explicit check always shows its banner");
  assert.equal(msg.display.tone, "neutral", "ok without verified is never called verified");
});

test("auto-check off: displaying does not contact the host; 'check this' does", async () => {
  const { c, browser, host } = setup({ store: { autoCheck: false } });
  browser.shown.set(7, [1]);
  await c.onMessagesDisplayed({ id: 7 }, { id: null, messages: [{ id: 1 }] });
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  assert.equal(ans.payload, null);
  assert.equal(host.received.length, 0);
  assert.equal(browser.calls.getRaw.length, 0);
  const r = await c.onRuntimeMessage({ type: "minuku:checkTab", tabId: 7 }, {});
  assert.equal(r.payload.verdict, "danger");
  assert.equal(host.framesOfType("check").length, 1);
});

test("auto-check on: display starts the check; the banner request reuses it (one host call)", async () => {
  const { c, browser, host } = setup();
  browser.shown.set(7, [1]);
  const displayed = c.onMessagesDisplayed({ id: 7 }, { id: null, messages: [{ id: 1 }] });
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  await displayed;
  assert.equal(ans.payload.verdict, "danger");
  assert.equal(host.framesOfType("check").length, 1);
  // several messages displayed at once (multi-select): no check
  await c.onMessagesDisplayed({ id: 7 }, { id: null, messages: [{ id: 2 }, { id: 3 }] });
  assert.equal(host.framesOfType("check").length, 1);
});

test("cache: a message shown again is not sent again; other options are a different entry", async () => {
  const store = {};
  const { c, browser, host } = setup({ store });
  browser.shown.set(7, [1]);
  await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  assert.equal(host.framesOfType("check").length, 1);
  store.nameservers = ["192.0.2.53"];
  await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  assert.equal(host.framesOfType("check").length, 2);
  // Offline mode asks exactly what the local part already asked: its answer is reused.
  store.offline = true;
  store.nameservers = [];
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  assert.equal(host.framesOfType("check").length, 2);
  assert.equal(ans.payload.offline, true);
});

test("failures are not cached: after the host comes back the message is checked", async () => {
  const { c, browser, host } = setup({ store: { offline: true } });
  host.missing = true;
  browser.shown.set(7, [1]);
  const a = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  assert.equal(a.payload.verdict, "unknown");
  host.missing = false;
  const b = await c.onRuntimeMessage({ type: "minuku:checkTab", tabId: 7 }, {});
  assert.equal(b.payload.verdict, "danger");
});

test("options travel with every request (schema-valid), language picks the locale", async () => {
  const { c, browser, host } = setup({
    store: { language: "auto", offline: true, trustedAuthservIds: ["MX.Example.net", "", " mx2.example.net ", "mx.example.net"] },
    ui: "ja",
  });
  browser.shown.set(7, [1]);
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  assert.deepEqual(host.invalid, []);
  assert.deepEqual(host.framesOfType("check")[0].options, { locale: "ja", offline: true, trusted_authserv_ids: ["mx.example.net", "mx2.example.net"], nameservers: [] });
  assert.equal(ans.strings.showDetails, LOCALES.ja.bannerShowDetails.message);
});

test("timeout -> an 'unknown' banner that says so (not silence)", async () => {
  const timers = new ManualTimers();
  const { c, browser } = setup({ timers, handler: (f) => (f.type === "hello" ? [helloResponse(f.id)] : []), store: { language: "ja", offline: true } });
  browser.shown.set(7, [1]);
  const p = c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  await settle();
  timers.advance(20000);
  const ans = await p;
  assert.equal(ans.payload.verdict, "unknown");
  assert.equal(ans.payload.reasons[0].code, "addon_timeout");
  assert.equal(ans.payload.title, LOCALES.ja.localTimeoutTitle.message);
  assert.equal(ans.payload.locale, "ja");
});

test("host missing -> banner tells to run ./install.sh and `minuku doctor`", async () => {
  const { c, browser, host } = setup({ store: { offline: true } });
  host.missing = true;
  browser.shown.set(7, [1]);
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  assert.equal(ans.payload.verdict, "unknown");
  assert.equal(ans.payload.reasons[0].code, "addon_host_missing");
  const advice = ans.payload.advice.map((a) => a.text).join("\n");
  assert.match(advice, /\.\/install\.sh/);
  assert.match(advice, /minuku doctor/);
});

test("host crash mid-check -> host_crashed banner; the next message reconnects", async () => {
  const { c, browser, host } = setup({ store: { offline: true }, handler: (f) => (f.type === "hello" ? [helloResponse(f.id)] : []) });
  browser.shown.set(7, [1]);
  const p = c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  await settle();
  host.crash("An unexpected error occurred");
  const ans = await p;
  assert.equal(ans.payload.reasons[0].code, "addon_host_crashed");
  host.handler = FakeHost.defaultHandler;
  browser.shown.set(7, [2]);
  const next = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 2 }, tab(7));
  assert.equal(next.payload.verdict, "ok");
  assert.equal(host.ports.length, 2);
});

test("hello mismatch -> the banner asks to update, naming both versions", async () => {
  const { c, browser } = setup({ store: { offline: true }, handler: (f) => (f.type === "hello" ? [helloResponse(f.id, { host_version: "7.0.0", compatible: false, min_protocol_version: 3, max_protocol_version: 3 })] : []) });
  browser.shown.set(7, [1]);
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  assert.equal(ans.payload.reasons[0].code, "addon_host_incompatible");
  assert.equal(ans.payload.title, LOCALES.en.localHostIncompatibleTitle.message);
  assert.match(ans.payload.reasons[0].evidence.join(" "), /7\.0\.0.*0\.1\.0/);
  assert.match(ans.payload.advice.map((a) => a.text).join(" "), /install\.sh/);
});

test("a payload that does not match the schema becomes an error banner, not a rendering", async () => {
  const { c, browser } = setup({ store: { offline: true }, handler: (f) => (f.type === "hello" ? [helloResponse(f.id)] : [{ type: "result", protocol_version: 1, id: f.id, payload: { verdict: "pwned", title: 1 } }]) });
  browser.shown.set(7, [1]);
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  assert.equal(ans.payload.verdict, "unknown");
  assert.equal(ans.payload.reasons[0].code, "addon_host_error");
});

test("unreadable message -> read_failed banner", async () => {
  const { c, browser } = setup({ store: { offline: true } });
  browser.shown.set(7, [99]);
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 99 }, tab(7));
  assert.equal(ans.payload.reasons[0].code, "addon_read_failed");
});

test("a message over the host's cap is not sent: message_too_large banner, read once for both parts", async () => {
  const { c, browser, host, quick } = setup({ store: { offline: false } });
  browser.messages.getRaw = async (id, opts) => (browser.calls.getRaw.push([id, opts]), "x".repeat(MAX_MESSAGE_BYTES + 1));
  browser.shown.set(7, [1]);
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner" }, tab(7));
  assert.equal(ans.payload.reasons[0].code, "addon_message_too_large");
  assert.equal(browser.calls.getRaw.length, 1);
  assert.equal(host.framesOfType("check").length + quick.framesOfType("check").length, 0);
});

test("dismiss is per message", async () => {
  const { c, browser } = setup();
  browser.shown.set(7, [1]);
  await c.onRuntimeMessage({ type: "minuku:dismiss", messageId: 1 }, tab(7));
  const a = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  assert.equal(a.payload.verdict, "danger");
  assert.equal(a.display.mini, true, "9.5: a closed banner leaves a one-line reminder");
  browser.shown.set(7, [2]);
  const b = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 2 }, tab(7));
  assert.equal(b.payload.verdict, "ok");
});

test("openUrl opens only http(s) URLs in the default browser", async () => {
  const { c, browser } = setup();
  for (const url of ["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "https://user:pw@evil.example/", "not a url", 42]) {
    assert.deepEqual(await c.onRuntimeMessage({ type: "minuku:openUrl", url }, {}), { ok: false });
  }
  assert.deepEqual(await c.onRuntimeMessage({ type: "minuku:openUrl", url: "https://www.amazon.co.jp/gp/help" }, {}), { ok: true });
  assert.deepEqual(browser.calls.opened, ["https://www.amazon.co.jp/gp/help"]);
});

test("unknown runtime messages are not answered (other listeners may)", () => {
  const { c } = setup();
  assert.equal(c.onRuntimeMessage({ type: "something-else" }, {}), undefined);
  assert.equal(c.onRuntimeMessage({ type: "toString" }, {}), undefined);
  assert.equal(c.onRuntimeMessage(null, {}), undefined);
});

test("context menu: a report window for all selected messages (following list pages)", async () => {
  const { c, browser } = setup();
  await c.onMenuClicked({ menuItemId: MENU_ID, selectedMessages: { id: "page2", messages: [{ id: 1 }, { id: 2 }] } });
  assert.equal(browser.calls.windows.length, 1);
  assert.equal(browser.calls.windows[0].url, "moz-extension://uuid/report.html#1,2,3");
  const r = await c.onRuntimeMessage({ type: "minuku:checkMessages", ids: [1, 2, "x", 3] }, {});
  assert.deepEqual(r.results.map((x) => [x.messageId, x.payload.verdict]), [[1, "danger"], [2, "ok"], [3, "danger"]]);
  await c.onMenuClicked({ menuItemId: "other" });
  assert.equal(browser.calls.windows.length, 1);
});

test("banner script: unregistered before registering (ids persist), menu recreated", async () => {
  const { c, browser } = setup();
  await c.registerBannerScript();
  assert.deepEqual(browser.calls.unregister, [{ ids: [SCRIPT_ID] }]);
  assert.deepEqual(browser.calls.register[0][0].js, ["lib/banner-dom.js", "banner.js"]);
  await c.createMenus();
  assert.equal(browser.calls.menus[0], "removeAll");
  assert.deepEqual(browser.calls.menus[1].contexts, ["message_list"]);
});

// ---- issue 8.1: the learned authserv-id per account, and 7.7: DNS servers on the wire

/** The fake host, reporting the X-Test-Authserv header as receiving_authserv_id. */
function authservHost(frame) {
  if (frame.type !== "check") return FakeHost.defaultHandler(frame);
  const text = Buffer.from(frame.message, "base64").toString("utf8");
  const id = /X-Test-Authserv: (\S+)/.exec(text)?.[1] ?? null;
  return [{ type: "result", protocol_version: 1, id: frame.id, payload: { ...payloadFor(frame), receiving_authserv_id: id } }];
}

async function check(c, browser, messageId) {
  browser.shown.set(7, [messageId]);
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId }, tab(7));
  await c.learningSettled();
  return ans;
}

test("8.1: after 5 messages from 3 domains the account's authserv-id is trusted on its checks", async () => {
  const store = {};
  const { c, browser, host } = setup({ handler: authservHost, store });
  for (const id of [10, 11, 12, 13]) await check(c, browser, id);
  assert.equal(store.authservLearning.account1.learned, null);
  await check(c, browser, 14);
  assert.equal(store.authservLearning.account1.learned, "mx.isp.example");
  await check(c, browser, 15);
  const frames = host.framesOfType("check");
  assert.deepEqual(frames.at(-2).options.trusted_authserv_ids, [], "not before it is learned");
  assert.deepEqual(frames.at(-1).options.trusted_authserv_ids, ["mx.isp.example"]);
  // another account does not inherit it
  await check(c, browser, 20);
  assert.deepEqual(host.framesOfType("check").at(-1).options.trusted_authserv_ids, []);
  assert.equal(store.authservLearning.account2.learned, null);
  // a later message without the header does not unlearn it
  await check(c, browser, 21);
  assert.equal(store.authservLearning.account1.learned, "mx.isp.example");
  assert.deepEqual(host.invalid, []);
});

test("8.1: ids set in the options are sent together with the learned one", async () => {
  const store = { trustedAuthservIds: ["mx.backup.example"] };
  const { c, browser, host } = setup({ handler: authservHost, store });
  for (const id of [10, 11, 12, 13, 14, 15]) await check(c, browser, id);
  assert.deepEqual(host.framesOfType("check").at(-1).options.trusted_authserv_ids, ["mx.backup.example", "mx.isp.example"]);
});

test("8.1: the add-on's own error banners teach nothing", async () => {
  const store = {};
  const { c, browser, host } = setup({ handler: authservHost, store });
  host.missing = true;
  for (const id of [10, 11, 12, 13, 14, 15]) await check(c, browser, id);
  assert.equal(store.authservLearning, undefined);
});

test("8.1: a forged id in the learning window keeps the real one from being learned early", async () => {
  const store = {};
  const { c, browser } = setup({ handler: authservHost, store });
  for (const id of [10, 11, 12, 13]) await check(c, browser, id);
  RAW[22] = "Subject: hello\r\nX-Test-Marker: F\r\nX-Test-Authserv: mx.isp.example.attacker.top\r\n\r\nbody\r\n";
  await check(c, browser, 22);
  await check(c, browser, 14);
  assert.equal(store.authservLearning.account1.learned, null);
});

test("7.7: DNS servers from the options travel on every check; empty means the system's", async () => {
  const store = { nameservers: ["192.0.2.53", "[2001:db8::1]:5353", "not-an-ip"] };
  const { c, browser, host } = setup({ store });
  await check(c, browser, 1);
  assert.deepEqual(host.framesOfType("check")[0].options.nameservers, ["192.0.2.53", "[2001:db8::1]:5353"]);
  store.nameservers = [];
  await check(c, browser, 2);
  assert.deepEqual(host.framesOfType("check")[1].options.nameservers, []);
  assert.deepEqual(host.invalid, []);
});

test("7.8: ok verdicts are quiet by default, shown with show-OK", async () => {
  const store = {};
  const { c, browser } = setup({ store });
  const quiet = await check(c, browser, 2);
  assert.equal(quiet.payload.verdict, "ok");
  assert.equal(quiet.display.show, false);
  store.showOk = true;
  const shown = await check(c, browser, 2);
  assert.equal(shown.display.show, true);
  assert.equal(shown.display.tone, "neutral");
  assert.equal(shown.display.dns, null);
  const danger = await check(c, browser, 1);
  assert.equal(danger.display.show, true);
});

test("9.1: the first banner waits neither for the toolbar badge nor for repeated header reads", async () => {
  const { c, browser } = setup();
  browser.shown.set(7, [1]);
  let gets = 0;
  const get = browser.messages.get;
  browser.messages.get = async (id) => {
    gets += 1;
    return get(id);
  };
  // A toolbar that never answers (a busy Thunderbird): the banner must come all the same.
  browser.messageDisplayAction = {
    setBadgeText: () => new Promise(() => {}),
    setBadgeBackgroundColor: () => new Promise(() => {}),
    setTitle: () => new Promise(() => {}),
  };
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  assert.equal(ans.payload.verdict, "danger");
  assert.equal(gets, 1, "one display reads the message's header once");
});

test("9.1: a display and its banner request share one read of the options, the header and the source", async () => {
  const { c, browser, host } = setup({ store: { offline: false } });
  browser.shown.set(7, [1]);
  let storageReads = 0;
  let headerReads = 0;
  const sget = browser.storage.local.get;
  // Reads of the whole store (the options); the learning's own read-modify-write is apart.
  browser.storage.local.get = async (k) => ((storageReads += k === null ? 1 : 0), sget(k));
  const mget = browser.messages.get;
  browser.messages.get = async (id) => ((headerReads += 1), mget(id));
  const displayed = c.onMessagesDisplayed({ id: 7 }, { messages: [{ id: 1 }] });
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner" }, tab(7));
  await displayed;
  assert.equal(ans.messageId, 1);
  assert.equal(ans.payload.verdict, "danger");
  assert.equal(storageReads, 1, "the options are read once for the whole display");
  assert.equal(headerReads, 1, "the header is read once");
  assert.deepEqual(browser.calls.getRaw, [[1, { data_format: "BinaryString" }]], "the source is read once for both checks");
  assert.equal(host.framesOfType("check").length, 1, "one full check");
  // A later display of another message reads afresh (options may have changed meanwhile).
  browser.shown.set(7, [2]);
  const next = c.onMessagesDisplayed({ id: 7 }, { messages: [{ id: 2 }] });
  await c.onRuntimeMessage({ type: "minuku:getBanner" }, tab(7));
  await next;
  assert.equal(storageReads, 2);
});

test("9.1: the banner's request uses the tab's last display event, and asks Thunderbird when that is behind", async () => {
  const { c, browser } = setup();
  let asked = 0;
  const gdm = browser.messageDisplay.getDisplayedMessages;
  browser.messageDisplay.getDisplayedMessages = async (t) => ((asked += 1), gdm(t));
  browser.shown.set(7, [1]);
  await c.onMessagesDisplayed({ id: 7 }, { messages: [{ id: 1 }] });
  const first = await c.onRuntimeMessage({ type: "minuku:getBanner" }, tab(7));
  assert.equal(first.messageId, 1);
  assert.equal(asked, 1, "only the staleness check asked Thunderbird");
  // Message 3 is shown, but its display event has not reached the background yet.
  browser.shown.set(7, [3]);
  const second = await c.onRuntimeMessage({ type: "minuku:getBanner" }, tab(7));
  assert.equal(second.messageId, 3, "the answer is for the message the tab shows");
  assert.equal(second.payload.verdict, "danger");
  assert.match(second.payload.title, /\[C\]$/);
});

test("8.1/12: opened mail and background checks share one writer of the learning: neither update is lost", async () => {
  const store = {};
  const browser = fakeBrowser({ store });
  const learning = createLearningBatch({ storage: browser.storage.local, log: {} });
  // The moment the displayed mail's learning reads the stored state, a background check's
  // observation is written too (both read-modify-write the same key).
  const { get, set } = browser.storage.local;
  let background = null;
  browser.storage.local.get = async (k) => {
    if (k === "authservLearning" && !background) {
      learning.record("account1", { id: "mx.isp.example", domain: "domain1.example", messageId: 11 });
      background = learning.flush();
    }
    await settle(3);
    return get(k);
  };
  browser.storage.local.set = async (o) => (await settle(3), set(o));
  const host = new FakeHost(authservHost);
  const timers = new ManualTimers();
  const client = new HostClient({ connectNative: host.connectNative, timers, now: () => timers.now, timeoutMs: 20000 });
  const c = createController({ browser, client, locales: LOCALES, addonVersion: "0.1.0", log: { warn() {} }, learning });
  browser.shown.set(7, [20]);
  await c.onRuntimeMessage({ type: "minuku:getBanner" }, tab(7));
  await c.learningSettled();
  assert.ok(background, "the background write happened meanwhile");
  await background;
  assert.deepEqual(Object.keys(store.authservLearning ?? {}).sort(), ["account1", "account2"]);
});

test("12: the 'check selected' menu item speaks Minuku's language option, and is renamed when it changes", async () => {
  const store = { language: "ja" };
  const { c, browser } = setup({ store, ui: "en-US" });
  const updates = [];
  browser.menus.update = async (id, o) => updates.push([id, o]);
  await c.createMenus();
  assert.equal(browser.calls.menus[1].title, LOCALES.ja.menuCheckSelected.message);
  store.language = "en";
  await c.onStorageChanged({ language: { oldValue: "ja", newValue: "en" } });
  assert.deepEqual(updates, [[MENU_ID, { title: LOCALES.en.menuCheckSelected.message }]]);
  await c.onStorageChanged({ offline: { newValue: true } });
  assert.equal(updates.length, 1, "other options leave it alone");
});
