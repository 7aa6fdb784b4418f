// The report for messages selected in the message list (context menu "Check with Minuku"):
// one entry per message with its subject, sender and full report. Ids come in the URL hash.
import { applyI18n, openUrl, renderReport, renderSummaryTable } from "./lib/pages.js";

applyI18n(document);
const status = document.getElementById("status");
const out = document.getElementById("results");

async function main() {
  const ids = location.hash
    .slice(1)
    .split(",")
    .map((x) => Number.parseInt(x, 10))
    .filter((x) => Number.isInteger(x));
  const answer = await browser.runtime.sendMessage({ type: "minuku:checkMessages", ids });
  status.textContent = browser.i18n.getMessage("reportCount", [String(answer.results.length)]);
  // A table first (issue 9.9); each mail's full report below, folded, opened from the table.
  renderSummaryTable(document, out, answer.results, (k) => browser.i18n.getMessage(k));
  answer.results.forEach((entry, i) => {
    const fold = document.createElement("details");
    fold.setAttribute("id", `entry-${i}`);
    const summary = document.createElement("summary");
    summary.textContent = entry.header?.subject || "—";
    fold.append(summary);
    renderReport(document, fold, entry, { onOpenUrl: openUrl, withHeader: true });
    out.append(fold);
  });
  window.addEventListener("hashchange", () => {
    const target = document.getElementById(location.hash.slice(1));
    if (target && target.localName === "details") target.open = true;
  });
}

main().catch((e) => {
  status.textContent = `${browser.i18n.getMessage("popupFailed")} ${String(e?.message ?? e)}`;
});
