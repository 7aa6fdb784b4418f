// The banner DOM builder (extension/lib/banner-dom.js) with a fake DOM that records every
// element and attribute: payload text never becomes an element, an attribute or markup.
import assert from "node:assert/strict";
import { test } from "node:test";

import { validatePayload } from "../../extension/lib/payload.js";
import { bannerStrings, createTranslator } from "../../extension/lib/i18n.js";
import { FakeDocument, LOCALES, dangerPayload, loadBannerDom, okPayload, validateSchema, WIRE_SCHEMA } from "./helpers.mjs";

const dom = loadBannerDom();
const STRINGS_EN = bannerStrings(createTranslator(LOCALES.en));
const STRINGS_JA = bannerStrings(createTranslator(LOCALES.ja, LOCALES.en));
const ALLOWED_TAGS = new Set(["div", "style", "section", "span", "strong", "p", "button", "ul", "ol", "li", "h3", "details", "summary"]);
const HOSTILE = [
  "<img src=x onerror=alert(1)>",
  "<script>alert(1)</script>",
  '"><svg onload=alert(1)>',
  "javascript:alert(1)",
  "</style><b>x</b>",
];

function build(payload, opts = {}) {
  const doc = new FakeDocument();
  const v = validatePayload(payload);
  assert.ok(v.ok, v.error);
  const host = dom.buildBanner(doc, v.payload, { strings: STRINGS_EN, ...opts });
  if (host) doc.body.append(host);
  return { doc, host, root: host?.shadowRoot };
}

function hostilePayload(s) {
  return dangerPayload({
    brand: { id: s, name: `${s}アマゾン` },
    title: `${s}アマゾン`,
    summary: s,
    reasons: [{ code: s, severity: "danger", text: s, evidence: [`From: "${s}アマゾン" <x@evil.top>`] }],
    auth: { lines: [{ method: "dkim", result: s, domain: s, text: s, evidence: [s] }], receiving_server: [{ authserv_id: s, trusted: false, results: { [s]: s } }], disagreements: [s], unchecked: [s] },
    advice: [{ text: s, url: `https://evil.example/${encodeURIComponent(s)}` }, { text: s, url: s }],
  });
}

test("the hostile fixtures are valid wire payloads (the host may really send them)", () => {
  for (const s of HOSTILE) {
    assert.deepEqual(validateSchema({ $ref: "#/$defs/BannerPayload" }, hostilePayload(s), WIRE_SCHEMA.response), []);
  }
});

for (const s of HOSTILE) {
  test(`hostile text ${JSON.stringify(s)} shows as text, creates no element or attribute`, () => {
    const { doc, root } = build(hostilePayload(s), { onOpenUrl() {} });
    for (const tag of doc.log.elements) assert.ok(ALLOWED_TAGS.has(tag) || tag === "body" || tag === "html", `unexpected element <${tag}>`);
    assert.equal(root.querySelectorAll("img").length, 0);
    assert.equal(root.querySelectorAll("script").length, 0);
    assert.equal(root.querySelectorAll("svg").length, 0);
    for (const [, name, value] of doc.log.attributes) {
      assert.ok(!value.includes(s), `attribute ${name}=${value} carries payload text`);
      assert.ok(!/^on/.test(name), `event-handler attribute ${name}`);
    }
    const text = root.textContent;
    assert.ok(text.includes(`${s}アマゾン`), "the display name appears, as text");
    // the title node holds the hostile string as one text node
    const title = root.querySelector(".title");
    assert.equal(title.childNodes.length, 1);
    assert.equal(title.childNodes[0].data, `${s}アマゾン`);
  });
}

test("structure: shadow host #minuku-banner, role=alert for danger, lang from payload, verdict class", () => {
  const { host, root } = build(dangerPayload());
  assert.equal(host.getAttribute("id"), "minuku-banner");
  assert.equal(root.mode, "closed");
  assert.equal(host.getAttribute("popover"), "manual", "drawn in the top layer (issue 8.9)");
  const section = root.querySelector("section");
  assert.equal(section.getAttribute("role"), "alert");
  assert.equal(section.getAttribute("lang"), "ja");
  assert.match(section.getAttribute("class"), /\bv-danger\b/);
  assert.deepEqual(host.style.get("all"), ["initial", "important"]);
  assert.deepEqual(host.style.get("display"), ["flex", "important"]);
  const text = root.textContent;
  for (const part of ["これは Amazon を装った詐欺メールの可能性が高いです", "Amazon", "DMARC 不合格", "SPF=fail amazon-co-jp.example.top", "v=spf1 -all", "mx.example.net", "spf=fail, dmarc=fail", "spf: host=fail, server=pass", "arc", "0.1.0"]) {
    assert.ok(text.includes(part), `missing ${part}`);
  }
});

test("9.10: role=alert for danger and warning only; calm verdicts say nothing to a screen reader", () => {
  for (const verdict of ["warning", "caution", "ok", "unknown"]) {
    const { root } = build(dangerPayload({ verdict, locale: "en" }));
    const section = root.querySelector("section");
    assert.equal(section.getAttribute("role"), verdict === "warning" ? "alert" : null, verdict);
    assert.equal(section.getAttribute("lang"), "en");
    assert.match(section.getAttribute("class"), new RegExp(`v-${verdict}`));
  }
  const verified = build(okPayload({ verified: true, brand: { id: "amazon", name: "Amazon" } }));
  assert.equal(verified.root.querySelector("section").getAttribute("role"), null);
});

test("details toggle is a button with aria-expanded; dismiss is a button that removes the banner", () => {
  let dismissed = 0;
  const { doc, root, host } = build(dangerPayload(), { onDismiss: () => dismissed++ });
  const [toggle, dismiss] = root.querySelectorAll("button").filter((b) => /toggle|dismiss/.test(b.getAttribute("class")));
  const details = root.querySelector("#minuku-details");
  assert.equal(toggle.tagName, "BUTTON");
  assert.equal(toggle.getAttribute("aria-expanded"), "false");
  assert.equal(toggle.getAttribute("aria-controls"), "minuku-details");
  assert.ok(details.hasAttribute("hidden"));
  toggle.click();
  assert.equal(toggle.getAttribute("aria-expanded"), "true");
  assert.ok(!details.hasAttribute("hidden"));
  assert.equal(toggle.textContent, "Hide details");
  toggle.click();
  assert.ok(details.hasAttribute("hidden"));
  assert.equal(dismiss.getAttribute("aria-label"), STRINGS_EN.dismissLabel);
  assert.equal(doc.body.childNodes.includes(host), true);
  dismiss.click();
  assert.equal(dismissed, 1, "the banner script redraws it as a one-line reminder");
});

test("advice links: only http(s) get a button, and it goes through onOpenUrl", () => {
  const opened = [];
  const { root } = build(dangerPayload({ advice: [
    { text: "official", url: "https://www.amazon.co.jp/gp/help/customer/display.html" },
    { text: "script", url: "javascript:alert(1)" },
    { text: "data", url: "data:text/html,<script>alert(1)</script>" },
    { text: "none", url: null },
  ] }), { onOpenUrl: (u) => opened.push(u) });
  const links = root.querySelectorAll("button").filter((b) => b.getAttribute("class") === "link");
  assert.equal(links.length, 1);
  assert.equal(links[0].textContent, "https://www.amazon.co.jp/gp/help/customer/display.html");
  assert.equal(links[0].getAttribute("href"), null);
  links[0].click();
  assert.deepEqual(opened, ["https://www.amazon.co.jp/gp/help/customer/display.html"]);
  const text = root.textContent;
  assert.ok(text.includes("script") && !text.includes("javascript:alert"), "unsafe URLs are dropped, the advice text stays");
});

test("quiet ok: nothing drawn when the background says so; reports always show", () => {
  const quiet = { show: false, tone: "neutral", dns: null };
  assert.equal(build(okPayload(), { display: quiet }).host, null);
  assert.notEqual(build(okPayload(), { display: { show: true, tone: "neutral", dns: null } }).host, null);
  const doc = new FakeDocument();
  const report = dom.buildReport(doc, validatePayload(okPayload()).payload, { strings: STRINGS_EN, display: quiet });
  assert.notEqual(report, null);
  assert.equal(report.getAttribute("id"), null, "a report is not the in-message banner");
  assert.equal(report.shadowRoot.querySelectorAll("button").length, 0, "no toggle/dismiss in a report");
  assert.ok(!report.shadowRoot.querySelector("#minuku-details").hasAttribute("hidden"));
});

test("Japanese labels come from the strings given", () => {
  const { root } = build(dangerPayload(), { strings: STRINGS_JA });
  const text = root.textContent;
  assert.ok(text.includes(LOCALES.ja.verdictDanger.message));
  assert.ok(text.includes(LOCALES.ja.bannerShowDetails.message));
});

test("a payload with no details has no toggle", () => {
  const { root } = build(okPayload({ auth: { lines: [] } }));
  const classes = root.querySelectorAll("button").map((b) => b.getAttribute("class"));
  assert.deepEqual(classes, ["dismiss"]);
});

test("CSS: dark theme; generic font families only (a mail's @font-face can redefine any named one)", () => {
  assert.match(dom.CSS, /prefers-color-scheme: dark/);
  for (const m of (dom.CSS + dom.HOST_CSS).matchAll(/font-family:\s*([^;]+);/g)) {
    for (const fam of m[1].split(",").map((f) => f.trim())) {
      assert.ok(["system-ui", "sans-serif", "monospace"].includes(fam), `named font family ${fam}`);
    }
  }
});
