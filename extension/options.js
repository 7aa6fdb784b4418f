// Options page: everything lives in storage.local (see lib/options.js) and is saved on change.
import { normalizeOptions, parseAuthservIds } from "./lib/options.js";
import { applyI18n } from "./lib/pages.js";

applyI18n(document);
const $ = (id) => document.getElementById(id);

async function load() {
  const o = normalizeOptions(await browser.storage.local.get(null));
  $("autoCheck").checked = o.autoCheck;
  $("hideOk").checked = o.hideOk;
  $("offline").checked = o.offline;
  $("language").value = o.language;
  $("trustedAuthservIds").value = o.trustedAuthservIds.join("\n");
}

async function save() {
  const ids = parseAuthservIds($("trustedAuthservIds").value);
  await browser.storage.local.set({
    autoCheck: $("autoCheck").checked,
    hideOk: $("hideOk").checked,
    offline: $("offline").checked,
    language: $("language").value,
    trustedAuthservIds: ids,
  });
  $("saved").textContent = browser.i18n.getMessage("optSaved");
}

$("options").addEventListener("change", () => save().catch((e) => console.warn("minuku:", e)));
load().catch((e) => console.warn("minuku:", e));
