// The background's logic with a fake `browser` and a fake host: stale-answer protection,
// cache, timeout -> unknown banner, host missing / too old -> banners that say how to fix it,
// auto-check off + "check this", options on the wire, safe link opening, the context menu.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createController, MENU_ID, SCRIPT_ID } from "../../extension/lib/controller.js";
import { HostClient } from "../../extension/lib/hostclient.js";
import { FakeHost, LOCALES, ManualTimers, helloResponse, payloadFor, settle } from "./helpers.mjs";

const RAW = {
  1: "Subject: danger\r\nX-Test-Marker: A\r\n\r\nbody A\r\n",
  2: "Subject: hello\r\nX-Test-Marker: B\r\n\r\nbody B\r\n",
  3: "Subject: danger\r\nX-Test-Marker: C\r\n\r\nbody C\r\n",
};

function fakeBrowser({ store = {}, ui = "en-US" } = {}) {
  const calls = { getRaw: [], sent: [], opened: [], windows: [], register: [], unregister: [], menus: [] };
  const shown = new Map(); // tabId -> [message ids]
  const b = {
    calls,
    shown,
    storage: { local: { get: async () => structuredClone(store), set: async (o) => Object.assign(store, o) } },
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
      get: async (id) => ({ id, subject: `subject ${id}`, author: `author ${id} <a${id}@example.org>`, date: new Date(0) }),
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

function setup({ handler, store, ui, timers = new ManualTimers() } = {}) {
  const host = new FakeHost(handler);
  const browser = fakeBrowser({ store, ui });
  const client = new HostClient({ connectNative: host.connectNative, timers, now: () => timers.now, timeoutMs: 20000 });
  const c = createController({ browser, client, locales: LOCALES, addonVersion: "0.1.0", log: { warn() {} } });
  return { host, browser, client, c, timers };
}

const tab = (id) => ({ tab: { id } });

test("banner flow: whoami, then the verdict for that message", async () => {
  const { c, browser, host } = setup();
  browser.shown.set(7, [1]);
  const who = await c.onRuntimeMessage({ type: "minuku:whoami" }, tab(7));
  assert.deepEqual(who, { messageId: 1 });
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  assert.equal(ans.messageId, 1);
  assert.equal(ans.payload.verdict, "danger");
  assert.match(ans.payload.title, /\[A\]$/);
  assert.equal(ans.strings.showDetails, "Details");
  assert.deepEqual(browser.calls.getRaw, [[1, { data_format: "File" }]]);
  assert.deepEqual(host.invalid, []);
  // the bytes that reached the host are the raw message
  assert.equal(Buffer.from(host.framesOfType("check")[0].message, "base64").toString(), RAW[1]);
});

test("stale answer: the tab moved on to B while A was being checked -> nothing for A is drawn", async () => {
  const held = [];
  const { c, browser, host } = setup({ handler: (f) => (f.type === "hello" ? [helloResponse(f.id)] : (held.push(f), [])) });
  browser.shown.set(7, [1]);
  const pending = c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  await settle();
  browser.shown.set(7, [2]); // the user clicked message B
  host.send({ type: "result", protocol_version: 1, id: held[0].id, payload: payloadFor(held[0]) });
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
  store.offline = true;
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  assert.equal(host.framesOfType("check").length, 2);
  assert.equal(ans.payload.offline, true);
});

test("failures are not cached: after the host comes back the message is checked", async () => {
  const { c, browser, host } = setup();
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
  const { c, browser } = setup({ timers, handler: (f) => (f.type === "hello" ? [helloResponse(f.id)] : []), store: { language: "ja" } });
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
  const { c, browser, host } = setup();
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
  const { c, browser, host } = setup({ handler: (f) => (f.type === "hello" ? [helloResponse(f.id)] : []) });
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
  const { c, browser } = setup({ handler: (f) => (f.type === "hello" ? [helloResponse(f.id, { host_version: "7.0.0", compatible: false, min_protocol_version: 3, max_protocol_version: 3 })] : []) });
  browser.shown.set(7, [1]);
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  assert.equal(ans.payload.reasons[0].code, "addon_host_incompatible");
  assert.equal(ans.payload.title, LOCALES.en.localHostIncompatibleTitle.message);
  assert.match(ans.payload.reasons[0].evidence.join(" "), /7\.0\.0.*0\.1\.0/);
  assert.match(ans.payload.advice.map((a) => a.text).join(" "), /install\.sh/);
});

test("a payload that does not match the schema becomes an error banner, not a rendering", async () => {
  const { c, browser } = setup({ handler: (f) => (f.type === "hello" ? [helloResponse(f.id)] : [{ type: "result", protocol_version: 1, id: f.id, payload: { verdict: "pwned", title: 1 } }]) });
  browser.shown.set(7, [1]);
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  assert.equal(ans.payload.verdict, "unknown");
  assert.equal(ans.payload.reasons[0].code, "addon_host_error");
});

test("unreadable message -> read_failed banner", async () => {
  const { c, browser } = setup();
  browser.shown.set(7, [99]);
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 99 }, tab(7));
  assert.equal(ans.payload.reasons[0].code, "addon_read_failed");
});

test("dismiss is per message", async () => {
  const { c, browser } = setup();
  browser.shown.set(7, [1]);
  await c.onRuntimeMessage({ type: "minuku:dismiss", messageId: 1 }, tab(7));
  const a = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, tab(7));
  assert.equal(a.payload, null);
  assert.equal(a.dismissed, true);
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
