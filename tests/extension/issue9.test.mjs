// Issue 9: contrast of every badge (WCAG 1.4.3, >= 4.5:1) in both colour schemes, the
// progressive verdict's refinement rule (a local danger is never downgraded), calm display.
import assert from "node:assert/strict";
import { test } from "node:test";

import { badgeFor, decideDisplay, refine } from "../../extension/lib/display.js";
import { validatePayload } from "../../extension/lib/payload.js";
import { COUNCIL_REPORT_ADDRESS, TRUSTED_SENDERS_KEY, createController } from "../../extension/lib/controller.js";
import { HostClient } from "../../extension/lib/hostclient.js";
import { FakeDocument, FakeHost, LOCALES, ManualTimers, dangerPayload, helloResponse, loadBannerDom, okPayload, payloadFor, settle } from "./helpers.mjs";

const dom = loadBannerDom();

function lum(hex) {
  const n = hex.replace("#", "");
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(n.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const contrast = (a, b) => {
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};

function vars(block) {
  const out = {};
  for (const m of block.matchAll(/^\s*(\.[\w-]+)\s*\{([^}]*)\}/gm)) {
    const v = {};
    for (const d of m[2].matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})/gi)) v[d[1]] = d[2];
    out[m[1]] = { ...(out[m[1]] ?? {}), ...v };
  }
  return out;
}

test("9.10: every badge's text has contrast >= 4.5:1 on its background, light and dark", () => {
  const css = dom.CSS;
  const i = css.indexOf("@media (prefers-color-scheme: dark)");
  const light = vars(css.slice(0, i));
  const dark = vars(css.slice(i));
  for (const [scheme, v] of [["light", light], ["dark", { ...dark }]]) {
    const base = scheme === "light" ? light[".banner"] : { ...light[".banner"], ...dark[".banner"] };
    for (const cls of [".banner", ".v-danger", ".v-warning", ".v-caution", ".v-ok", ".t-neutral"]) {
      const own = scheme === "light" ? light[cls] : { ...light[cls], ...dark[cls] };
      const bg = own["badge-bg"] ?? base["badge-bg"];
      const fg = own["badge-fg"] ?? base["badge-fg"];
      assert.ok(bg && fg, `${scheme} ${cls}`);
      assert.ok(contrast(bg, fg) >= 4.5, `${scheme} ${cls}: ${fg} on ${bg} is ${contrast(bg, fg).toFixed(2)}:1`);
    }
    assert.ok(v);
  }
  // The old caution badge (white on #a07800) was 4.0:1: the reason this test exists.
  assert.ok(contrast("#ffffff", "#a07800") < 4.5);
});

const P = (x) => validatePayload(x).payload;

test("9.1: a refinement never downgrades a local danger; an add-on error never erases a local finding", () => {
  const localDanger = P(dangerPayload());
  const fullOk = P(okPayload({ verified: false }));
  assert.equal(refine(localDanger, fullOk).verdict, "danger");
  const timeout = { ...P(okPayload()), verdict: "unknown", origin: "addon" };
  assert.equal(refine(localDanger, timeout).verdict, "danger");
  const localCaution = P(dangerPayload({ verdict: "caution" }));
  assert.equal(refine(localCaution, timeout).verdict, "caution");
  assert.equal(refine(localCaution, fullOk).verdict, "ok", "below danger the full answer decides");
  assert.equal(refine(null, fullOk), fullOk);
});

test("9.1: the provisional local answer shows only what needs no DNS; calm mail waits", () => {
  assert.equal(decideDisplay(P(dangerPayload()), { pending: true }).show, true);
  assert.equal(decideDisplay(P(okPayload()), { pending: true }).show, false);
  assert.equal(decideDisplay(P(dangerPayload({ verdict: "unknown" })), { pending: true }).show, false);
  assert.equal(decideDisplay(P(dangerPayload()), { pending: true }).protect, true, "links inert at once");
});

test("9.2: verified brand mail gets the mark by default; unverified calm mail nothing", () => {
  const brand = { id: "amazon", name: "Amazon" };
  const mark = decideDisplay(P(okPayload({ verified: true, brand })), {});
  assert.deepEqual([mark.show, mark.tone, mark.compact], [true, "verified", true]);
  assert.equal(decideDisplay(P(okPayload({ verified: false, brand })), {}).show, false);
  assert.equal(decideDisplay(P(okPayload({ verified: true })), {}).show, false, "no brand: quiet");
  // a trusted sender quiets caution, never danger or warning
  assert.equal(decideDisplay(P(dangerPayload({ verdict: "caution" })), { trusted: true }).show, false);
  assert.equal(decideDisplay(P(dangerPayload()), { trusted: true }).show, true);
  assert.equal(decideDisplay(P(dangerPayload({ verdict: "warning" })), { trusted: true }).show, true);
});

test("9.5: the toolbar badge says the verdict", () => {
  assert.equal(badgeFor(P(dangerPayload()), { tone: "verdict", show: true }).text, "!");
  assert.equal(badgeFor(P(okPayload({ verified: true })), { tone: "verified", show: true }).text, "✓");
  assert.equal(badgeFor(P(okPayload()), { tone: "neutral", show: false }), null);
});

// ---- the controller: progressive answers, one-click actions, toolbar badge, warm-up


const RAW = {
  1: "Subject: danger\r\nX-Test-Marker: A\r\n\r\nbody\r\n",
  2: "Subject: hello\r\nX-Test-Marker: B\r\n\r\nbody\r\n",
};

function browserFake(store = {}) {
  const calls = { forward: [], update: [], move: [], del: [], badge: [], sent: [], raw: 0 };
  const shown = new Map();
  return {
    calls,
    shown,
    storage: {
      local: {
        get: async (k) => structuredClone(typeof k === "string" ? (k in store ? { [k]: store[k] } : {}) : store),
        set: async (o) => Object.assign(store, structuredClone(o)),
      },
    },
    i18n: { getUILanguage: () => "ja" },
    messageDisplay: {
      getDisplayedMessages: async (tabId) => ({ messages: (shown.get(tabId) ?? []).map((id) => ({ id })) }),
    },
    messages: {
      getRaw: async (id) => (calls.raw++, new Blob([RAW[id]])),
      get: async (id) => ({ id, subject: `s${id}`, author: `Someone <Some.One@Example.JP>`, folder: { accountId: "account1" } }),
      update: async (id, p) => calls.update.push([id, p]),
      move: async (ids, folder, o) => calls.move.push([ids, folder, o]),
      delete: async (ids, o) => calls.del.push([ids, o]),
    },
    folders: { query: async (q) => (q.specialUse?.includes("junk") ? [{ id: "account1://Junk" }] : []) },
    compose: { beginForward: async (id, type, details) => calls.forward.push([id, type, details]) },
    tabs: { sendMessage: async (tabId, msg) => calls.sent.push([tabId, msg]) },
    messageDisplayAction: {
      setBadgeText: async (o) => calls.badge.push(["text", o.tabId, o.text]),
      setBadgeBackgroundColor: async (o) => calls.badge.push(["color", o.tabId, o.color]),
      setTitle: async () => {},
    },
  };
}

function rig({ fullHandler, store } = {}) {
  const timers = new ManualTimers();
  const host = new FakeHost(fullHandler);
  const quick = new FakeHost();
  const browser = browserFake(store);
  const mk = (h) => new HostClient({ connectNative: h.connectNative, timers, now: () => timers.now });
  const c = createController({ browser, client: mk(host), quickClient: mk(quick), locales: LOCALES, log: { warn() {}, info() {} } });
  return { c, browser, host, quick, timers };
}

test("9.1: the local answer comes first (pending), the full one is pushed when DNS answers", async () => {
  const held = [];
  const { c, browser, host, quick } = rig({ fullHandler: (f) => (f.type === "hello" ? [helloResponse(f.id)] : (held.push(f), [])) });
  browser.shown.set(7, [1]);
  const ans = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, { tab: { id: 7 } });
  assert.equal(ans.payload.verdict, "danger");
  assert.equal(ans.display.pending, true, "drawn at once, marked provisional");
  assert.equal(quick.framesOfType("check")[0].options.offline, true, "the local part asks no DNS");
  assert.equal(held[0].options.offline, false);
  assert.equal(browser.calls.raw, 1, "one read of the source serves both");
  assert.deepEqual(browser.calls.badge.filter((b) => b[0] === "text").at(-1), ["text", 7, "!"]);
  // DNS answers: "ok" (say the host now thinks so) - the refined push still says danger.
  host.send({ type: "result", protocol_version: 1, id: held[0].id, payload: { ...payloadFor(held[0]), verdict: "ok" } });
  await settle(10);
  const [tabId, pushed] = browser.calls.sent.at(-1);
  assert.equal(tabId, 7);
  assert.equal(pushed.payload.verdict, "danger", "never downgraded");
  assert.equal(pushed.display.pending, false);
});

test("9.4: report opens a forward as attachment to the council, for the displayed message only", async () => {
  const { c, browser } = rig();
  browser.shown.set(7, [1]);
  assert.deepEqual(await c.onRuntimeMessage({ type: "minuku:report", messageId: 2 }, { tab: { id: 7 } }), { ok: false });
  const r = await c.onRuntimeMessage({ type: "minuku:report", messageId: 1 }, { tab: { id: 7 } });
  assert.equal(r.ok, true);
  assert.equal(COUNCIL_REPORT_ADDRESS, "info@antiphishing.jp");
  assert.deepEqual(browser.calls.forward, [[1, "forwardAsAttachment", { to: ["info@antiphishing.jp"] }]]);
  // from the popup: the tab id travels in the message
  await c.onRuntimeMessage({ type: "minuku:report", messageId: 1, tabId: 7 }, {});
  assert.equal(browser.calls.forward.length, 2);
});

test("9.4: junk marks and moves to the account's Junk folder; delete only on the click, to the trash", async () => {
  const { c, browser } = rig();
  browser.shown.set(7, [1]);
  assert.equal(browser.calls.del.length, 0, "nothing is deleted by displaying or checking");
  await c.onRuntimeMessage({ type: "minuku:junk", messageId: 1 }, { tab: { id: 7 } });
  assert.deepEqual(browser.calls.update, [[1, { junk: true }]]);
  assert.deepEqual(browser.calls.move, [[[1], "account1://Junk", { isUserAction: true }]]);
  await c.onRuntimeMessage({ type: "minuku:delete", messageId: 1 }, { tab: { id: 7 } });
  assert.deepEqual(browser.calls.del, [[[1], { isUserAction: true }]]);
});

test("9.5: trust this sender stores the exact address; caution is then quiet, danger never", async () => {
  const store = {};
  const { c, browser } = rig({ store });
  browser.shown.set(7, [2]);
  const r = await c.onRuntimeMessage({ type: "minuku:trustSender", messageId: 2 }, { tab: { id: 7 } });
  assert.deepEqual(r, { ok: true, address: "some.one@example.jp" });
  assert.deepEqual(store[TRUSTED_SENDERS_KEY], ["some.one@example.jp"]);
  browser.shown.set(7, [1]);
  const danger = await c.onRuntimeMessage({ type: "minuku:getBanner", messageId: 1 }, { tab: { id: 7 } });
  assert.equal(danger.display.show, true);
});

test("9.1: warm-up connects both hosts before any message is shown", async () => {
  const { c, host, quick } = rig();
  await c.warmUp();
  assert.equal(host.framesOfType("hello").length, 1);
  assert.equal(quick.framesOfType("hello").length, 1);
});

// ---- 9.4: the brand's own report address (host catalogue: data/advice.json report_addresses)

test("9.4: 'report to Amazon too' forwards to the address in the host's verdict, never one from the request", async () => {
  const withAddress = (f) => {
    const p = payloadFor(f);
    return { ...p, brand: { ...p.brand, report_to: "reportascam@amazon.com" } };
  };
  const { c, browser } = rig({
    fullHandler: (f) => (f.type === "hello" ? [helloResponse(f.id)] : [{ type: "result", protocol_version: 1, id: f.id, payload: withAddress(f) }]),
  });
  browser.shown.set(7, [1]);
  // Nothing known about the message yet: refused rather than guessed.
  assert.deepEqual(await c.onRuntimeMessage({ type: "minuku:reportBrand", messageId: 1 }, { tab: { id: 7 } }), { ok: false });
  await c.onRuntimeMessage({ type: "minuku:getBanner" }, { tab: { id: 7 } });
  await settle(10);
  const r = await c.onRuntimeMessage(
    { type: "minuku:reportBrand", messageId: 1, to: ["attacker@example.net"], address: "attacker@example.net" },
    { tab: { id: 7 } },
  );
  assert.deepEqual(r, { ok: true, to: ["reportascam@amazon.com"] });
  assert.deepEqual(browser.calls.forward, [[1, "forwardAsAttachment", { to: ["reportascam@amazon.com"] }]]);
  // A message the tab does not show: refused.
  assert.deepEqual(await c.onRuntimeMessage({ type: "minuku:reportBrand", messageId: 2 }, { tab: { id: 7 } }), { ok: false });
});

test("9.4: no brand report for calm mail, nor when the host names no address", async () => {
  const { c, browser } = rig({
    fullHandler: (f) => {
      if (f.type === "hello") return [helloResponse(f.id)];
      const p = payloadFor(f);
      return [{ type: "result", protocol_version: 1, id: f.id, payload: { ...p, brand: { id: "amazon", name: "Amazon", report_to: "reportascam@amazon.com" } } }];
    },
  });
  browser.shown.set(7, [2]); // an ok verdict naming the brand
  await c.onRuntimeMessage({ type: "minuku:getBanner" }, { tab: { id: 7 } });
  await settle(10);
  assert.deepEqual(await c.onRuntimeMessage({ type: "minuku:reportBrand", messageId: 2 }, { tab: { id: 7 } }), { ok: false });
  assert.deepEqual(browser.calls.forward, []);
});

test("9.4: a report address is one plain mailbox or nothing", async () => {
  const { reportAddress } = await import("../../extension/lib/payload.js");
  assert.equal(reportAddress("reportascam@amazon.com"), "reportascam@amazon.com");
  for (const bad of [
    "a@amazon.com, evil@example.net",
    "Amazon <reportascam@amazon.com>",
    "reportascam@amazon",
    "reportascam@amazon.com\r\nBcc: evil@example.net",
    "",
    null,
    42,
    `${"a".repeat(65)}@amazon.com`,
  ]) {
    assert.equal(reportAddress(bad), null, String(bad));
  }
  const p = validatePayload(dangerPayload({ brand: { id: "amazon", name: "Amazon", report_to: "x@y.com; z@w.com" } }));
  assert.equal(p.payload.brand.report_to, null);
});

test("9.4: the danger banner offers 'report to Amazon too' only when the host names an address", () => {
  const strings = { reportBrand: "{brand}にも報告" };
  const actionsOf = (payload) => {
    const host = dom.buildBanner(new FakeDocument(), payload, { strings, display: decideDisplay(payload, { showOk: true }), onAction: () => ({ ok: true }) });
    return [...host.shadowRoot.walk()].filter((e) => e.getAttribute?.("data-action")).map((e) => [e.getAttribute("data-action"), e.textContent]);
  };
  const withAddr = P(dangerPayload({ brand: { id: "amazon", name: "Amazon", report_to: "reportascam@amazon.com" } }));
  assert.deepEqual(actionsOf(withAddr).find((a) => a[0] === "reportBrand"), ["reportBrand", "Amazonにも報告"]);
  assert.ok(actionsOf(withAddr).find((a) => a[0] === "report"), "the council's report stays");
  assert.equal(actionsOf(P(dangerPayload())).find((a) => a[0] === "reportBrand"), undefined);
  const ok = P(okPayload({ brand: { id: "amazon", name: "Amazon", report_to: "reportascam@amazon.com" } }));
  assert.equal(actionsOf(ok).find((a) => a[0] === "reportBrand"), undefined);
});
