// Background (event page, ES module): wires the WebExtension events to lib/controller.js, which
// holds the logic, and to the one native port (lib/hostclient.js). Listeners are added
// synchronously at top level so the event page wakes up for them.

import { createController } from "./lib/controller.js";
import { HostClient } from "./lib/hostclient.js";

async function loadLocale(lang) {
  const resp = await fetch(browser.runtime.getURL(`_locales/${lang}/messages.json`));
  return resp.json();
}

const version = browser.runtime.getManifest().version;
const client = new HostClient({
  connectNative: (name) => browser.runtime.connectNative(name),
  clientVersion: `minuku-thunderbird/${version}`,
});
const ready = Promise.all([loadLocale("en"), loadLocale("ja")]).then(([en, ja]) =>
  createController({ browser, client, locales: { en, ja }, addonVersion: version }),
);

browser.runtime.onMessage.addListener((msg, sender) => {
  if (!msg || typeof msg.type !== "string" || !msg.type.startsWith("minuku:")) return undefined;
  return ready.then((c) => c.onRuntimeMessage(msg, sender));
});

browser.messageDisplay.onMessagesDisplayed.addListener((tab, list) => {
  ready.then((c) => c.onMessagesDisplayed(tab, list)).catch((e) => console.warn("minuku:", e));
});

browser.menus.onClicked.addListener((info, tab) => {
  ready.then((c) => c.onMenuClicked(info, tab)).catch((e) => console.warn("minuku:", e));
});

browser.runtime.onInstalled.addListener(() => {
  ready.then((c) => c.createMenus()).catch((e) => console.warn("minuku: menus", e));
});

// Every start: the banner script registration (persisted ids) is replaced by this version's.
ready.then((c) => c.registerBannerScript()).catch((e) => console.warn("minuku: register", e));

browser.runtime.onStartup.addListener(() => {
  ready.then((c) => c.createMenus()).catch((e) => console.warn("minuku: menus", e));
});
