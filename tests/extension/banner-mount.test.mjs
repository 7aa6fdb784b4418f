// Issue 8.9 (the mail's CSS hides or covers the banner) and issue 7.8 (quiet ok verdicts,
// DNS failure wording), at the level of the DOM builder. The real proof against the mail's
// CSS is the Thunderbird test (tests/e2e/test_thunderbird.py); these pin the mechanisms.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { decideDisplay } from "../../extension/lib/display.js";

// The three fields 7.8 is about (9.x added compact, pending, protect, mini).
const core = (d) => ({ show: d.show, tone: d.tone, dns: d.dns });
import { bannerStrings, createTranslator } from "../../extension/lib/i18n.js";
import { validatePayload } from "../../extension/lib/payload.js";
import { EXT, FakeDocument, LOCALES, dangerPayload, loadBannerDom, okPayload } from "./helpers.mjs";

const dom = loadBannerDom();
const STRINGS_EN = bannerStrings(createTranslator(LOCALES.en));
const STRINGS_JA = bannerStrings(createTranslator(LOCALES.ja, LOCALES.en));

function banner(payload, display, strings = STRINGS_EN) {
  const doc = new FakeDocument();
  const p = validatePayload(payload);
  assert.ok(p.ok, p.error);
  const host = dom.buildBanner(doc, p.payload, { strings, display: display ?? decideDisplay(p.payload, { showOk: true }) });
  return { doc, host, root: host?.shadowRoot };
}

test("8.9: the banner is mounted in the top layer, outside <body>, with a spacer in the flow", () => {
  const { doc, host } = banner(dangerPayload());
  const m = dom.mountBanner(doc, host);
  assert.equal(m.topLayer, true);
  assert.deepEqual(doc.topLayer, [host]);
  assert.equal(host.parentNode, doc.documentElement, "a child of <html>, not of the mail's <body>");
  assert.equal(doc.body.childNodes[0], m.spacer, "the spacer pushes the mail below the banner");
  assert.deepEqual(m.spacer.style.get("height"), ["96px", "important"]);
  m.unmount();
  assert.deepEqual(doc.topLayer, []);
  assert.equal(host.parentNode, null);
  assert.equal(m.spacer.parentNode, null);
  assert.equal(doc.listeners.length, 0, "no listener left behind");
});

test("8.9: <html> properties that reach the top layer are pinned inline (!important)", () => {
  const { doc, host } = banner(dangerPayload());
  dom.mountBanner(doc, host);
  for (const [prop, value] of [["display", "block"], ["filter", "none"], ["opacity", "1"], ["zoom", "1"],
    ["content-visibility", "visible"], ["transform", "none"], ["clip-path", "none"], ["mask", "none"]]) {
    assert.deepEqual(doc.documentElement.style.get(prop), [value, "important"], prop);
  }
});

test("8.9: the host's own styles are pinned inline and from inside the shadow tree", () => {
  const { host, root } = banner(dangerPayload());
  for (const [prop, value] of [["all", "initial"], ["display", "flex"], ["position", "absolute"], ["height", "auto"],
    ["max-height", "none"], ["overflow", "visible"], ["visibility", "visible"], ["opacity", "1"]]) {
    assert.deepEqual(host.style.get(prop), [value, "important"], prop);
  }
  const css = root.querySelectorAll("style").map((s) => s.textContent).join("\n");
  // `.minuku-host{height:0!important;overflow:hidden!important}` in the mail loses to these.
  assert.match(css, /:host \{[^}]*all: initial !important;[^}]*display: flex !important;/);
  assert.match(css, /:host \{[^}]*height: auto !important;[^}]*\}/);
  assert.match(css, /:host \{[^}]*overflow: visible !important;[^}]*\}/);
  // the mail's `*::before{content:"Verified"; position:fixed}` aimed at our host
  assert.match(css, /:host::before, :host::after \{ content: none !important; display: none !important; \}/);
  assert.match(css, /:host::backdrop/);
});

test("8.9: a popover the mail tries to open is cancelled; if one opens anyway ours goes back on top", () => {
  const { doc, host } = banner(dangerPayload());
  dom.mountBanner(doc, host);
  // <button popovertarget="fakepop"> clicked by the reader: beforetoggle at the mail's popover
  const fake = doc.createElement("div");
  fake.setAttribute("popover", "");
  doc.body.append(fake);
  const allowed = doc.fire(fake, "beforetoggle", { newState: "open", oldState: "closed", cancelable: true });
  assert.equal(allowed, false, "the mail's popover is not let open");
  // An engine where the open could not be cancelled: the fake lands above ours, we re-raise.
  fake.showPopover();
  assert.equal(doc.topLayer.at(-1), fake);
  doc.fire(fake, "toggle", { newState: "open", oldState: "closed" });
  assert.equal(doc.topLayer.at(-1), host, "the banner is the topmost again");
  // Our own popover opening is never cancelled.
  assert.equal(doc.fire(host, "beforetoggle", { newState: "open", oldState: "closed", cancelable: true }), true);
});

test("8.9: the mail closing our popover (popovertarget aimed at its id) opens it again", () => {
  const { doc, host } = banner(dangerPayload());
  const m = dom.mountBanner(doc, host);
  host.hidePopover();
  doc.fire(host, "toggle", { newState: "closed", oldState: "open" });
  doc.runTimers();
  assert.equal(host.popoverOpen, true);
  m.unmount();
  doc.runTimers();
  assert.equal(host.popoverOpen, false, "after dismiss it stays closed");
});

test("8.9: without the popover API the banner still goes first in <body>", () => {
  const { doc, host } = banner(dangerPayload());
  host.showPopover = undefined;
  const m = dom.mountBanner(doc, host);
  assert.equal(m.topLayer, false);
  assert.equal(doc.body.childNodes[0], host);
});

test("8.9: banner.js never looks its banner up by id (the mail may hold a decoy id)", () => {
  const src = readFileSync(join(EXT, "banner.js"), "utf8");
  assert.doesNotMatch(src, /getElementById|querySelector/);
  assert.match(src, /mountBanner/);
});

test("8.9: the shadow root is closed", () => {
  const { root } = banner(dangerPayload());
  assert.equal(root.mode, "closed");
});

// ---- issue 7.8

test("7.8: ok without verified is quiet by default, a neutral line with show-OK", () => {
  const p = validatePayload(okPayload({ verified: false })).payload;
  assert.deepEqual(core(decideDisplay(p, {})), { show: false, tone: "neutral", dns: null });
  const d = decideDisplay(p, { showOk: true });
  assert.deepEqual(core(d), { show: true, tone: "neutral", dns: null });
  const { host, root } = banner(okPayload({ verified: false }), d);
  assert.equal(host.getAttribute("data-tone"), "neutral");
  assert.match(root.querySelector("section").getAttribute("class"), /t-neutral/);
  assert.equal(root.querySelector(".badge").textContent, "Not verified");
  assert.equal(root.querySelector(".title").textContent, LOCALES.en.bannerNeutralTitle.message);
  assert.ok(!root.textContent.includes("No signs of impersonation"), "the host's ok title is not shown as 'no problems'");
});

test("7.8: ok with verified is quiet by default, green 'verified' with show-OK", () => {
  const p = validatePayload(okPayload({ verified: true })).payload;
  assert.equal(decideDisplay(p, {}).show, false);
  const d = decideDisplay(p, { showOk: true });
  assert.deepEqual(core(d), { show: true, tone: "verified", dns: null });
  const { root } = banner(okPayload({ verified: true }), d);
  assert.match(root.querySelector("section").getAttribute("class"), /\bv-ok\b/);
  assert.doesNotMatch(root.querySelector("section").getAttribute("class"), /t-neutral/);
  assert.equal(root.querySelector(".badge").textContent, "Verified");
});

test("7.8: an older host without `verified` is never called verified", () => {
  const raw = okPayload();
  delete raw.verified;
  const p = validatePayload(raw).payload;
  assert.equal(p.verified, false);
  assert.equal(decideDisplay(p, { showOk: true }).tone, "neutral");
  // and a display decision missing altogether falls back to the same reading
  const doc = new FakeDocument();
  const host = dom.buildBanner(doc, p, { strings: STRINGS_EN });
  assert.equal(host.getAttribute("data-tone"), "neutral");
});

for (const status of ["failing", "lying"]) {
  test(`7.8: dns_status=${status}: never 'verified' or 'no problems', says DNS failed, suggests offline mode`, () => {
    // Even a payload claiming verified: with DNS failing nothing was proven.
    const payload = okPayload({ verified: true, dns_status: status });
    const p = validatePayload(payload).payload;
    assert.equal(decideDisplay(p, {}).show, false, "still quiet by default");
    const d = decideDisplay(p, { showOk: true });
    assert.deepEqual(core(d), { show: true, tone: "neutral", dns: status });
    for (const [strings, lang] of [[STRINGS_EN, "en"], [STRINGS_JA, "ja"]]) {
      const { root } = banner(payload, d, strings);
      const text = root.textContent;
      assert.equal(root.querySelector(".badge").textContent, LOCALES[lang].verdictUnverified.message);
      assert.equal(root.querySelector(".title").textContent, LOCALES[lang].bannerDnsTitle.message);
      const line = root.querySelector(".dns").textContent;
      assert.equal(line, LOCALES[lang][status === "lying" ? "bannerDnsLying" : "bannerDnsFailing"].message);
      const verified = LOCALES[lang].verdictVerified.message;
      assert.ok(!text.replace(LOCALES[lang].verdictUnverified.message, "").includes(verified), `"${verified}" shown`);
      assert.ok(!text.includes("No signs of impersonation"));
    }
    assert.match(LOCALES.en.bannerDnsFailing.message, /offline mode/);
    assert.match(LOCALES.ja.bannerDnsFailing.message, /オフラインモード/);
  });
}

test("7.8: a danger verdict with DNS failing keeps its warning and adds the DNS line", () => {
  const payload = dangerPayload({ locale: "en", dns_status: "failing" });
  const d = decideDisplay(validatePayload(payload).payload, {});
  assert.deepEqual(core(d), { show: true, tone: "verdict", dns: "failing" });
  const { root } = banner(payload, d);
  assert.equal(root.querySelector(".badge").textContent, "Danger");
  assert.equal(root.querySelector(".dns").textContent, LOCALES.en.bannerDnsFailing.message);
});

test("7.8: every other verdict is shown whatever show-OK says", () => {
  for (const verdict of ["danger", "warning", "caution", "unknown"]) {
    assert.equal(decideDisplay(validatePayload(dangerPayload({ verdict })).payload, {}).show, true, verdict);
  }
});

test("7.8: an explicit 'check this' shows ok answers too, in the right tone", () => {
  const p = validatePayload(okPayload({ verified: false })).payload;
  assert.deepEqual(core(decideDisplay(p, { explicit: true })), { show: true, tone: "neutral", dns: null });
});
