// "Check this folder" (issue 12): progress while the background checks a folder, then a summary
// table (counts per verdict, and the marked messages). The folder id comes in the URL hash.
// Subjects and senders are the mail's own text: shown with textContent only.
import { renderScan } from "./lib/scan-view.js";
import { applyI18n } from "./lib/pages.js";

applyI18n(document);
const folderId = decodeURIComponent(location.hash.slice(1));
const msg = (k, subs) => browser.i18n.getMessage(k, subs);
let paused = false;

async function tick() {
  const s = await browser.runtime.sendMessage({ type: "minukuArrival:status" });
  paused = s.paused;
  const job = s.jobs.findLast((j) => j.folderId === folderId) ?? null;
  renderScan(document, job, s, msg);
  if (!job || job.state === "running") setTimeout(() => tick().catch(show), 500);
}

function show(e) {
  document.getElementById("state").textContent = String(e?.message ?? e);
}

document.getElementById("pause").addEventListener("click", () => {
  browser.runtime
    .sendMessage({ type: "minukuArrival:pause", paused: !paused })
    .then(() => tick())
    .catch(show);
});
tick().catch(show);
