// The message_display_action popup: checks the displayed message now (whether or not
// auto-check is on), shows the full report, and the background also draws the banner.
import { applyI18n, openUrl, renderReport } from "./lib/pages.js";

applyI18n(document);
const status = document.getElementById("status");
const out = document.getElementById("report");

async function main() {
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  const answer = await browser.runtime.sendMessage({ type: "minuku:checkTab", tabId: tab?.id });
  if (!answer || !answer.payload) {
    status.textContent = browser.i18n.getMessage("popupNoMessage");
    return;
  }
  status.textContent = "";
  status.hidden = true;
  // The same one-click actions as the banner (report, junk, delete, trust), for this tab's mail.
  const types = {
    report: "minuku:report",
    reportBrand: "minuku:reportBrand",
    junk: "minuku:junk",
    delete: "minuku:delete",
    trust: "minuku:trustSender",
  };
  const onAction = (name) =>
    types[name] ? browser.runtime.sendMessage({ type: types[name], messageId: answer.messageId, tabId: answer.tabId }) : { ok: false };
  renderReport(document, out, answer, { onOpenUrl: openUrl, onAction });
}

main().catch((e) => {
  status.textContent = `${browser.i18n.getMessage("popupFailed")} ${String(e?.message ?? e)}`;
});
