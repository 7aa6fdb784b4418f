// Issue 9: contrast of every badge (WCAG 1.4.3, >= 4.5:1) in both colour schemes, the
// progressive verdict's refinement rule (a local danger is never downgraded), calm display.
import assert from "node:assert/strict";
import { test } from "node:test";

import { badgeFor, decideDisplay, refine } from "../../extension/lib/display.js";
import { validatePayload } from "../../extension/lib/payload.js";
import { dangerPayload, loadBannerDom, okPayload } from "./helpers.mjs";

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
