// Background (event page, ES module): wires the WebExtension events to lib/controller.js, which
// holds the logic, and to the one native port (lib/hostclient.js). Listeners are added
// synchronously at top level so the event page wakes up for them.

import { createArrival } from "./lib/arrival.js";
import { createLearningBatch } from "./lib/authserv.js";
import { createController } from "./lib/controller.js";
import { HostClient } from "./lib/hostclient.js";
import { idbStorage } from "./lib/idb-kv.js";

async function loadLocale(lang) {
  const resp = await fetch(browser.runtime.getURL(`_locales/${lang}/messages.json`));
  return resp.json();
}

const version = browser.runtime.getManifest().version;
const client = new HostClient({
  connectNative: (name) => browser.runtime.connectNative(name),
  clientVersion: `minuku-thunderbird/${version}`,
});
// A second connection for the fast local (no-DNS) part of each check (issue 9.1): the host
// answers one check at a time per connection, so the local part never waits behind DNS.
const quickClient = new HostClient({
  connectNative: (name) => browser.runtime.connectNative(name),
  clientVersion: `minuku-thunderbird/${version}`,
});
// Issue 12: background checks (new mail, "check this folder") have their own connection, so
// the displayed message's check never waits behind them (lib/arrival.js).
const backgroundClient = new HostClient({
  connectNative: (name) => browser.runtime.connectNative(name),
  clientVersion: `minuku-thunderbird/${version}`,
});
let controller = null;
// One writer of the per-account authserv-id learning for opened mail and background checks:
// two read-modify-write queues on the same storage key would lose each other's updates.
const learning = createLearningBatch({ storage: browser.storage.local });
const arrival = createArrival({
  learning,
  browser,
  client: backgroundClient,
  getOptions: (accountId) => ready.then((c) => c.getOptions(accountId)),
  translate: (locale) => controller.translators[locale === "ja" ? "ja" : "en"],
  storage: idbStorage(),
});
const ready = Promise.all([loadLocale("en"), loadLocale("ja")]).then(([en, ja]) => {
  controller = createController({ browser, client, quickClient, locales: { en, ja }, addonVersion: version, arrival, learning });
  return controller;
});

browser.runtime.onMessage.addListener((msg, sender) => {
  if (!msg || typeof msg.type !== "string" || !msg.type.startsWith("minuku:")) return undefined;
  return ready.then((c) => c.onRuntimeMessage(msg, sender));
});

browser.messageDisplay.onMessagesDisplayed.addListener((tab, list) => {
  // The displayed message goes first: background checks hold back from this moment on.
  arrival.foreground(ready.then((c) => c.onMessagesDisplayed(tab, list))).catch((e) => console.warn("minuku:", e));
});

browser.menus.onClicked.addListener((info, tab) => {
  ready.then((c) => c.onMenuClicked(info, tab)).catch((e) => console.warn("minuku:", e));
  arrival.onMenuClicked(info).catch((e) => console.warn("minuku:", e));
});

// The controller's menus first (it starts with menus.removeAll()), then the background ones.
const createMenus = () =>
  ready
    .then((c) => c.createMenus())
    .then(() => arrival.createMenus())
    .catch((e) => console.warn("minuku: menus", e));

browser.runtime.onInstalled.addListener(createMenus);

browser.runtime.onMessage.addListener((msg) => {
  if (!msg || typeof msg.type !== "string" || !msg.type.startsWith("minukuArrival:")) return undefined;
  return arrival.onRuntimeMessage(msg);
});

// New mail, after Thunderbird's filters and junk classification (inbox and normal folders).
browser.messages.onNewMailReceived.addListener((folder, list) => {
  arrival.onNewMail(folder, list).catch((e) => console.warn("minuku: new mail", e));
});

browser.storage.onChanged.addListener((changes, area) => {
  if (area !== "local") return;
  arrival.onStorageChanged(changes);
  ready.then((c) => c.onStorageChanged(changes)).catch((e) => console.warn("minuku: menus", e));
});

// Every start: go on with what an earlier session left (kept results, folder checks).
arrival.start().catch((e) => console.warn("minuku: background checks", e));

// Every start: the banner script registration (persisted ids) is replaced by this version's.
ready.then((c) => c.registerBannerScript()).catch((e) => console.warn("minuku: register", e));
// Issue 9.1: both host connections start now, so the first message's banner need not wait
// for a host process to start.
ready.then((c) => c.warmUp()).catch((e) => console.warn("minuku: warm-up", e));

browser.runtime.onStartup.addListener(createMenus);
