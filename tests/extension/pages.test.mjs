// extension/lib/pages.js: the report window's summary table (issue 9.9), text only.
import assert from "node:assert/strict";
import { test } from "node:test";

import { renderSummaryTable } from "../../extension/lib/pages.js";
import { FakeDocument, LOCALES } from "./helpers.mjs";

const get = (k) => LOCALES.ja[k]?.message ?? k;
const row = (verdict, subject, author, brand, tone = "verdict") => ({
  payload: { verdict, brand: brand ? { id: "x", name: brand } : null },
  header: { subject, author },
  display: { tone },
  strings: { verdict_danger: "危険", verdict_ok: "問題なし", verdict_caution: "注意", verdict_verified: "確認済み", verdict_unverified: "未確認" },
});

test("9.9: one row per mail, most serious first, subject links to its report, payload text as text", () => {
  const doc = new FakeDocument();
  const results = [
    row("ok", "週末の件", "山田 <taro@example.jp>", null, "neutral"),
    row("danger", "<img src=x onerror=alert(1)>契約不履行", "Amazon <a@amazon-co-jp-security.com>", "Amazon"),
    row("ok", "発送しました", "Amazon <ship@amazon.co.jp>", "Amazon", "verified"),
  ];
  const table = renderSummaryTable(doc, doc.body, results, get);
  const [thead, tbody] = table.childNodes;
  assert.deepEqual(thead.childNodes[0].childNodes.map((th) => th.textContent), ["差出人", "件名", "判定", "ブランド"]);
  const rows = tbody.childNodes.map((tr) => tr.childNodes.map((td) => td.textContent));
  assert.deepEqual(rows[0], ["Amazon <a@amazon-co-jp-security.com>", "<img src=x onerror=alert(1)>契約不履行", "危険", "Amazon"]);
  assert.deepEqual(rows.map((r) => r[2]), ["危険", "未確認", "確認済み"]);
  // the danger row links to entry-1 (its place in the report), not to anything from the mail
  const link = tbody.childNodes[0].childNodes[1].childNodes[0];
  assert.equal(link.getAttribute("href"), "#entry-1");
  assert.ok(!doc.log.elements.includes("img"));
});
