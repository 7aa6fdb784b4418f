// Options page: everything lives in storage.local (see lib/options.js) and is saved on change.
// The per-account authserv-id learning (lib/authserv.js) is shown with a "forget" button.
import { normalizeLearning, progress } from "./lib/authserv.js";
import { LEARNING_KEY, TRUSTED_SENDERS_KEY } from "./lib/controller.js";
import { normalizeOptions, parseAuthservIds, parseNameservers } from "./lib/options.js";
import { applyI18n } from "./lib/pages.js";

applyI18n(document);
const $ = (id) => document.getElementById(id);
const msg = (key, subs) => browser.i18n.getMessage(key, subs);

async function load() {
  const o = normalizeOptions(await browser.storage.local.get(null));
  $("autoCheck").checked = o.autoCheck;
  $("showOk").checked = o.showOk;
  $("offline").checked = o.offline;
  $("language").value = o.language;
  $("trustedAuthservIds").value = o.trustedAuthservIds.join("\n");
  $("nameservers").value = o.nameservers.join("\n");
}

function showNameserverErrors({ invalid, tooMany }) {
  const lines = [];
  if (invalid.length) lines.push(msg("optNameserversInvalid", [invalid.join(", ")]));
  if (tooMany) lines.push(msg("optNameserversTooMany"));
  const box = $("nameserversError");
  box.textContent = lines.join(" ");
  box.hidden = lines.length === 0;
}

async function save() {
  const ids = parseAuthservIds($("trustedAuthservIds").value);
  const ns = parseNameservers($("nameservers").value);
  showNameserverErrors(ns);
  await browser.storage.local.set({
    autoCheck: $("autoCheck").checked,
    showOk: $("showOk").checked,
    offline: $("offline").checked,
    language: $("language").value,
    trustedAuthservIds: ids,
    nameservers: ns.servers,
  });
  $("saved").textContent = msg("optSaved");
}

async function accountNames() {
  const names = new Map();
  try {
    for (const a of await browser.accounts.list(false)) names.set(a.id, a.name);
  } catch {
    // no account access: ids only
  }
  return names;
}

async function forget(accountId) {
  const stored = await browser.storage.local.get(LEARNING_KEY);
  const all = normalizeLearning(stored?.[LEARNING_KEY]);
  delete all[accountId];
  await browser.storage.local.set({ [LEARNING_KEY]: all });
  await renderLearning();
}

async function renderLearning() {
  const list = $("learnedAccounts");
  const stored = await browser.storage.local.get(LEARNING_KEY);
  const all = normalizeLearning(stored?.[LEARNING_KEY]);
  const names = await accountNames();
  list.replaceChildren();
  const ids = Object.keys(all);
  if (ids.length === 0) {
    const li = document.createElement("li");
    li.textContent = msg("optLearnedNone");
    list.append(li);
    return;
  }
  for (const accountId of ids) {
    const p = progress(all[accountId]);
    const li = document.createElement("li");
    li.setAttribute("class", "account");
    const name = document.createElement("strong");
    name.textContent = names.get(accountId) ?? msg("optAccountUnknown", [accountId]);
    const state = document.createElement("span");
    state.setAttribute("class", "learned");
    if (p.learned) state.textContent = msg("optLearnedId", [p.learned]);
    else if (p.candidate) state.textContent = msg("optLearningProgress", [p.candidate, String(p.messages), String(p.domains)]);
    else state.textContent = msg("optLearningNothing");
    const button = document.createElement("button");
    button.setAttribute("type", "button");
    button.textContent = msg("optForget");
    button.addEventListener("click", () => forget(accountId).catch((e) => console.warn("minuku:", e)));
    li.append(name, document.createTextNode(" "), state, document.createTextNode(" "), button);
    list.append(li);
  }
}

// Senders the user trusted from a banner (issue 9.5), each with a "forget" button.
async function renderTrustedSenders() {
  const list = $("trustedSenderList");
  const stored = await browser.storage.local.get(TRUSTED_SENDERS_KEY);
  const all = Array.isArray(stored?.[TRUSTED_SENDERS_KEY]) ? stored[TRUSTED_SENDERS_KEY].filter((x) => typeof x === "string") : [];
  list.replaceChildren();
  if (all.length === 0) {
    const li = document.createElement("li");
    li.textContent = msg("optTrustedSendersNone");
    list.append(li);
    return;
  }
  for (const address of all) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = address;
    const button = document.createElement("button");
    button.setAttribute("type", "button");
    button.textContent = msg("optForget");
    button.addEventListener("click", async () => {
      const now = await browser.storage.local.get(TRUSTED_SENDERS_KEY);
      const rest = (now?.[TRUSTED_SENDERS_KEY] ?? []).filter((x) => x !== address);
      await browser.storage.local.set({ [TRUSTED_SENDERS_KEY]: rest });
      await renderTrustedSenders();
    });
    li.append(name, document.createTextNode(" "), button);
    list.append(li);
  }
}
renderTrustedSenders().catch((e) => console.warn("minuku:", e));

// Host status (issue 9.8): what `minuku doctor` would say first, asked through the add-on.
async function renderHostStatus() {
  const r = await browser.runtime.sendMessage({ type: "minuku:hostStatus" });
  $("hostState").textContent = r?.ok ? msg("optHostOk", [r.hostVersion || "?"]) : msg("optHostBad", [r?.error || "?"]);
  const fix = $("hostFix");
  fix.textContent = r?.ok ? "" : msg("optHostFix");
  fix.hidden = Boolean(r?.ok);
}
renderHostStatus().catch((e) => {
  $("hostState").textContent = msg("optHostBad", [String(e?.message ?? e)]);
});

$("options").addEventListener("change", () => save().catch((e) => console.warn("minuku:", e)));
load().catch((e) => console.warn("minuku:", e));
renderLearning().catch((e) => console.warn("minuku:", e));
browser.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && LEARNING_KEY in changes) renderLearning().catch(() => {});
});
