// Options page, background checking section (issue 12): its own form, saved on change, so it
// never touches the other options' fields. Status numbers come from the background.
import { ARRIVAL_DEFAULTS, normalizeArrivalOptions } from "./lib/arrival.js";

const $ = (id) => document.getElementById(id);
const KEYS = Object.keys(ARRIVAL_DEFAULTS);

async function load() {
  const o = normalizeArrivalOptions(await browser.storage.local.get(KEYS));
  for (const k of KEYS) $(k).checked = o[k];
}

async function save() {
  await browser.storage.local.set(Object.fromEntries(KEYS.map((k) => [k, $(k).checked])));
}

async function status() {
  try {
    const s = await browser.runtime.sendMessage({ type: "minukuArrival:status" });
    const line = browser.i18n.getMessage("optArrivalStatus", [String(s.kept), String(s.pending)]);
    const stopped = s.lastError ? ` ${browser.i18n.getMessage("optArrivalStopped", [String(s.lastError).slice(0, 200)])}` : "";
    $("arrivalStatus").textContent = line + stopped;
  } catch {
    $("arrivalStatus").textContent = "";
  }
}

$("arrival").addEventListener("change", () => save().catch((e) => console.warn("minuku:", e)));
load().catch((e) => console.warn("minuku:", e));
status();
browser.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && KEYS.some((k) => k in changes)) load().catch(() => {});
});
