// The report for messages selected in the message list (context menu "Check with Minuku"):
// one entry per message with its subject, sender and full report. Ids come in the URL hash.
import { applyI18n, openUrl, renderReport } from "./lib/pages.js";

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
  for (const entry of answer.results) {
    renderReport(document, out, entry, { onOpenUrl: openUrl, withHeader: true });
  }
}

main().catch((e) => {
  status.textContent = `${browser.i18n.getMessage("popupFailed")} ${String(e?.message ?? e)}`;
});
