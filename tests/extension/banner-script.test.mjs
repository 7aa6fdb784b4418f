// extension/banner.js (the message-display script) in a vm with the fake DOM and a fake
// runtime: under a danger banner a click on the mail's link is stopped and the banner shows
// the real target (issue 9.5); "make links work" restores them for this message; a refined
// answer pushed later replaces the banner without giving up its space (issue 9.1).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import vm from "node:vm";

import { bannerStrings, createTranslator } from "../../extension/lib/i18n.js";
import { validatePayload } from "../../extension/lib/payload.js";
import { EXT, FakeDocument, LOCALES, dangerPayload, settle } from "./helpers.mjs";

const STRINGS = bannerStrings(createTranslator(LOCALES.ja, LOCALES.en));

function load({ display, gate = null }) {
  const doc = new FakeDocument();
  const listeners = {};
  const sent = [];
  const pushListeners = [];
  const answer = { messageId: 1, payload: validatePayload(dangerPayload()).payload, strings: STRINGS, display };
  const api = {
    runtime: {
      sendMessage: async (m) => {
        sent.push(m);
        if (m.type === "minuku:getBanner") return gate ? gate.then(() => answer) : answer;
        return { ok: true };
      },
      onMessage: { addListener: (fn) => pushListeners.push(fn) },
    },
  };
  const ctx = vm.createContext({
    messenger: api,
    document: doc,
    window: { addEventListener: (t, fn, capture) => ((listeners[t] ??= []).push({ fn, capture })) },
    console,
  });
  for (const f of ["lib/banner-dom.js", "banner.js"]) {
    vm.runInContext(readFileSync(join(EXT, f), "utf8"), ctx, { filename: f });
  }
  return { doc, listeners, sent, pushListeners, ctx, answer };
}

function click(listeners, target) {
  const ev = {
    type: "click",
    button: 0,
    defaultPrevented: false,
    stopped: false,
    composedPath: () => [target],
    preventDefault() { this.defaultPrevented = true; },
    stopImmediatePropagation() { this.stopped = true; },
  };
  for (const l of listeners.click ?? []) l.fn(ev);
  return ev;
}

function mailLink(doc, href, text) {
  const a = doc.createElement("a");
  a.setAttribute("href", href);
  a.href = href;
  a.textContent = text;
  doc.body.append(a);
  return a;
}

test("9.5: under danger the mail's link does not open on a click; the banner shows its real target", async () => {
  const { doc, listeners } = load({ display: { show: true, tone: "verdict", dns: null, protect: true } });
  await settle(10);
  assert.ok(listeners.click.every((l) => l.capture === true), "capture phase, before Thunderbird's handler");
  const host = doc.topLayer[0];
  assert.ok(host, "banner mounted");
  const a = mailLink(doc, "https://amazon-co-jp-security.com/ap/signin", "https://www.amazon.co.jp/signin");
  const ev = click(listeners, a);
  assert.equal(ev.defaultPrevented, true);
  assert.equal(ev.stopped, true, "Thunderbird's contentAreaClick never sees it");
  const guard = host.shadowRoot.querySelector(".guard");
  assert.ok(!guard.hasAttribute("hidden"));
  assert.ok(guard.textContent.includes("https://amazon-co-jp-security.com/ap/signin"));
  assert.ok(guard.textContent.includes("https://www.amazon.co.jp/signin"), "and what it pretended to be");
  // "make links work": this message's links work again
  const enable = guard.querySelectorAll("button").find((b) => (b.getAttribute("class") ?? "").includes("enable-links"));
  enable.click();
  await settle();
  assert.equal(click(listeners, a).defaultPrevented, false);
});

test("9.5: a form's submit button under danger is stopped too (Thunderbird opens its action)", async () => {
  const { doc, listeners } = load({ display: { show: true, tone: "verdict", dns: null, protect: true } });
  await settle(10);
  const b = doc.createElement("button");
  b.textContent = "ログイン";
  b.form = { action: "https://amazon-co-jp-security.com/login" };
  doc.body.append(b);
  const ev = click(listeners, b);
  assert.equal(ev.defaultPrevented, true);
  const guard = doc.topLayer[0].shadowRoot.querySelector(".guard");
  assert.ok(guard.textContent.includes("https://amazon-co-jp-security.com/login"));
});

test("9.5: without danger the mail's links are left alone", async () => {
  const { doc, listeners } = load({ display: { show: true, tone: "verdict", dns: null, protect: false } });
  await settle(10);
  const a = mailLink(doc, "https://example.org/", "example");
  assert.equal(click(listeners, a).defaultPrevented, false);
});

test("9.1: a pushed refinement replaces the banner and keeps its space", async () => {
  const { doc, pushListeners, answer } = load({ display: { show: true, tone: "verdict", dns: null, protect: true, pending: true } });
  await settle(10);
  const first = doc.topLayer[0]; // mounted at 96 px (the fake DOM's default height)
  const spacer = doc.body.childNodes.find((n) => n.getAttribute?.("class") === "minuku-spacer");
  assert.equal(first.getAttribute("data-state"), "pending");
  // The refined banner is shorter (say the pending note is gone): 60 px.
  const proto = Object.getPrototypeOf(first);
  proto.fakeHeight = 60;
  for (const fn of pushListeners) fn({ ...answer, type: "minuku:show", display: { ...answer.display, pending: false } });
  const second = doc.topLayer.at(-1);
  assert.notEqual(second, first);
  assert.equal(second.getAttribute("data-state"), "final");
  const spacer2 = doc.body.childNodes.find((n) => n.getAttribute?.("class") === "minuku-spacer");
  assert.notEqual(spacer2, undefined);
  assert.ok(spacer);
  delete proto.fakeHeight;
  assert.equal(first.shadowRoot.querySelector("section").getAttribute("role"), "alert");
  assert.equal(second.shadowRoot.querySelector("section").getAttribute("role"), null, "not announced twice");
  // the space the first banner held is kept: the mail does not move up under the cursor
  assert.deepEqual(spacer2.style.get("height"), ["96px", "important"]);
});

test("9.1: a refinement pushed before the first answer arrives is drawn, not lost", async () => {
  let release;
  const gate = new Promise((r) => (release = r));
  const display = { show: true, tone: "verdict", dns: null, protect: true, pending: true };
  const { doc, pushListeners, answer, sent } = load({ display, gate });
  await settle(5);
  assert.deepEqual(sent.map((m) => m.type), ["minuku:getBanner"], "one request, no separate whoami");
  // The full check finished while the first answer (the local part) was on its way.
  for (const fn of pushListeners) fn({ ...answer, type: "minuku:show", display: { ...display, pending: false } });
  assert.equal(doc.topLayer.length, 0, "nothing drawn before the script knows its message");
  release();
  await settle(10);
  assert.equal(doc.topLayer.length, 1);
  assert.equal(doc.topLayer[0].getAttribute("data-state"), "final", "the refined answer, not the pending one");
});

test("9.1: a push for another message before the first answer is not drawn", async () => {
  let release;
  const gate = new Promise((r) => (release = r));
  const display = { show: true, tone: "verdict", dns: null, protect: true, pending: true };
  const { doc, pushListeners, answer } = load({ display, gate });
  await settle(5);
  for (const fn of pushListeners) fn({ ...answer, messageId: 2, type: "minuku:show", display: { ...display, pending: false } });
  release();
  await settle(10);
  assert.equal(doc.topLayer.length, 1);
  assert.equal(doc.topLayer[0].getAttribute("data-state"), "pending", "this message's own answer");
});
