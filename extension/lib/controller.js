// The background's logic, with the WebExtension API injected (`browser`), so node tests can
// drive it: which message a tab shows, reading the raw message, asking the host (one HostClient),
// the per-message cache, dismissals, and answering the banner, popup and report pages.
//
// Stale answers: every banner answer names its message id. The banner script first asks which
// message its document shows, then asks for that message's verdict; the background re-checks
// that the tab still shows the message before answering or pushing, and the banner script
// ignores pushes for any other message id.

import { learnedIds, normalizeLearning, observe, senderDomain } from "./authserv.js";
import { bytesToBase64, rawToBytes } from "./base64.js";
import { LruCache } from "./cache.js";
import { HostError } from "./hostclient.js";
import { bannerStrings, createTranslator, resolveLocale } from "./i18n.js";
import { decideDisplay } from "./display.js";
import { kindForError, localPayload } from "./local-payloads.js";
import { normalizeOptions, toWireOptions } from "./options.js";
import { safeUrl, validatePayload } from "./payload.js";

export const MENU_ID = "minuku-check-selected";
export const SCRIPT_ID = "minuku-banner";
// Same cap as the host (wire.MAX_MESSAGE_BYTES): bigger messages are not sent at all.
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
export const MAX_REPORT_MESSAGES = 50;
// storage.local key of the per-account authserv-id learning state (authserv.js).
export const LEARNING_KEY = "authservLearning";

function messagesOf(list) {
  if (!list) return [];
  if (Array.isArray(list)) return list; // MV2 shape
  return Array.isArray(list.messages) ? list.messages : [];
}

/**
 * @param {object} o
 * @param {object} o.browser the WebExtension API (or a fake)
 * @param {import("./hostclient.js").HostClient} o.client
 * @param {{en: object, ja: object}} o.locales parsed _locales/<lang>/messages.json
 * @param {string} [o.addonVersion]
 * @param {LruCache} [o.cache]
 * @param {{warn: Function}} [o.log]
 */
export function createController({ browser, client, locales, addonVersion = "", cache = new LruCache(64), log = console }) {
  const translators = {
    en: createTranslator(locales.en, locales.en),
    ja: createTranslator(locales.ja, locales.en),
  };
  const inflight = new Map(); // cache key -> Promise<payload>
  const dismissed = new LruCache(256); // message id -> true
  let learningWrites = Promise.resolve(); // storage writes of the learning state, one at a time

  /** @param {string|null} [accountId] the account whose learned authserv-id is trusted too */
  async function getOptions(accountId = null) {
    let stored = {};
    try {
      stored = await browser.storage.local.get(null);
    } catch (e) {
      log.warn?.("minuku: storage unavailable", e);
    }
    const opts = normalizeOptions(stored);
    const locale = resolveLocale(opts.language, browser.i18n?.getUILanguage?.() ?? "en");
    const learning = normalizeLearning(stored[LEARNING_KEY]);
    const learned = accountId && Object.hasOwn(learning, accountId) ? learnedIds(learning[accountId]) : [];
    return { opts, locale, wire: toWireOptions(opts, locale, learned) };
  }

  /** The account and sender domain of a message (null account: unknown, nothing learned). */
  async function messageInfo(messageId) {
    try {
      const h = await browser.messages.get(messageId);
      const accountId = typeof h?.folder?.accountId === "string" ? h.folder.accountId : null;
      return { accountId, domain: senderDomain(h?.author) };
    } catch {
      return { accountId: null, domain: "" };
    }
  }

  /** Record the host's receiving_authserv_id for the message's account (authserv.js). */
  function learn(accountId, messageId, domain, payload) {
    if (!accountId) return learningWrites;
    learningWrites = learningWrites
      .then(async () => {
        const stored = await browser.storage.local.get(LEARNING_KEY);
        const all = normalizeLearning(stored?.[LEARNING_KEY]);
        const { state, event } = observe(
          all[accountId],
          { id: payload.receiving_authserv_id, domain, messageId },
          Date.now(),
        );
        all[accountId] = state;
        await browser.storage.local.set({ [LEARNING_KEY]: all });
        if (event) log.info?.(`minuku: authserv-id ${event} for account ${accountId}`);
      })
      .catch((e) => log.warn?.("minuku: could not store the learned authserv-id", e));
    return learningWrites;
  }

  function stringsFor(locale) {
    return bannerStrings(translators[locale === "ja" ? "ja" : "en"]);
  }

  async function displayedIds(tabId) {
    try {
      return messagesOf(await browser.messageDisplay.getDisplayedMessages(tabId)).map((m) => m.id);
    } catch {
      return []; // the tab is gone
    }
  }

  async function isDisplayed(tabId, messageId) {
    return (await displayedIds(tabId)).includes(messageId);
  }

  function local(kind, locale, offline, extra = {}) {
    return localPayload(kind, { t: translators[locale], locale, offline, addonVersion, ...extra });
  }

  /**
   * The verdict for one message; never rejects (failures become local "unknown" banners).
   * @returns {Promise<{payload: object, cached: boolean}>}
   */
  async function checkMessage(messageId, { force = false } = {}) {
    const info = await messageInfo(messageId);
    const { locale, wire } = await getOptions(info.accountId);
    const key = `${messageId}\n${JSON.stringify(wire)}`;
    const hit = cache.get(key);
    if (hit) return { payload: hit, cached: true };
    if (!inflight.has(key)) {
      const p = runCheck(messageId, wire, locale, force)
        .then(async (entry) => {
          // Only the host's own answers teach anything (never the add-on's error banners).
          if (entry.cacheable) await learn(info.accountId, messageId, info.domain, entry.payload);
          return entry;
        })
        .finally(() => inflight.delete(key));
      inflight.set(key, p);
    }
    const entry = await inflight.get(key);
    if (entry.cacheable) cache.set(key, entry.payload);
    return { payload: entry.payload, cached: false };
  }

  /** The cached verdict for a message under the current options, if any. */
  async function cachedPayload(messageId) {
    const info = await messageInfo(messageId);
    const { wire } = await getOptions(info.accountId);
    return cache.get(`${messageId}\n${JSON.stringify(wire)}`) ?? null;
  }

  async function runCheck(messageId, wire, locale, force) {
    let bytes;
    try {
      bytes = await rawToBytes(await browser.messages.getRaw(messageId, { data_format: "File" }));
    } catch (e) {
      return { payload: local("read_failed", locale, wire.offline, { detail: String(e?.message ?? e) }) };
    }
    if (bytes.length > MAX_MESSAGE_BYTES) {
      return { payload: local("message_too_large", locale, wire.offline) };
    }
    try {
      const raw = await client.check(bytesToBase64(bytes), wire, { force });
      const v = validatePayload(raw);
      if (!v.ok) {
        return { payload: local("host_error", locale, wire.offline, { detail: v.error }) };
      }
      return { payload: v.payload, cacheable: true };
    } catch (e) {
      if (!(e instanceof HostError)) log.warn?.("minuku: unexpected failure", e);
      const kind = kindForError(e);
      return {
        payload: local(kind, locale, wire.offline, {
          detail: e instanceof HostError && kind !== "host_incompatible" ? e.message : "",
          hostVersion: e?.details?.hostVersion ?? "",
        }),
      };
    }
  }

  /** @param {{showOk?: boolean, explicit?: boolean}} show what display.js needs */
  function answer(messageId, payload, show) {
    return { messageId, payload, strings: stringsFor(payload.locale), display: decideDisplay(payload, show) };
  }

  async function pushToTab(tabId, messageId, payload) {
    if (!(await isDisplayed(tabId, messageId))) return false;
    try {
      await browser.tabs.sendMessage(tabId, { type: "minuku:show", ...answer(messageId, payload, { explicit: true }) });
      return true;
    } catch {
      return false; // no banner script in that tab (yet)
    }
  }

  async function headerOf(messageId) {
    try {
      const h = await browser.messages.get(messageId);
      return {
        subject: String(h?.subject ?? ""),
        author: String(h?.author ?? ""),
        date: h?.date ? new Date(h.date).toISOString() : "",
      };
    } catch {
      return { subject: "", author: "", date: "" };
    }
  }

  const handlers = {
    // Banner script: which message does my document show?
    async "minuku:whoami"(msg, sender) {
      const tabId = sender?.tab?.id;
      if (tabId === undefined) return { messageId: null };
      const ids = await displayedIds(tabId);
      return { messageId: ids.length === 1 ? ids[0] : null };
    },

    // Banner script: the verdict for ITS message (null payload: nothing to draw).
    async "minuku:getBanner"(msg, sender) {
      const tabId = sender?.tab?.id;
      const messageId = msg.messageId;
      if (tabId === undefined || typeof messageId !== "number") return { messageId, payload: null };
      if (dismissed.has(messageId)) return { messageId, payload: null, dismissed: true };
      const { opts } = await getOptions();
      let payload = null;
      if (opts.autoCheck) {
        payload = (await checkMessage(messageId)).payload;
      } else {
        payload = await cachedPayload(messageId);
      }
      if (!(await isDisplayed(tabId, messageId))) return { messageId, payload: null, stale: true };
      if (!payload) return { messageId, payload: null };
      return answer(messageId, payload, { showOk: opts.showOk });
    },

    async "minuku:dismiss"(msg) {
      if (typeof msg.messageId === "number") dismissed.set(msg.messageId, true);
      return { ok: true };
    },

    async "minuku:openUrl"(msg) {
      const url = safeUrl(msg.url);
      if (!url) return { ok: false };
      await browser.windows.openDefaultBrowser(url);
      return { ok: true };
    },

    // Popup of the message_display_action: check the tab's message now (auto-check on or off).
    async "minuku:checkTab"(msg) {
      const tabId = msg.tabId;
      const ids = typeof tabId === "number" ? await displayedIds(tabId) : [];
      if (ids.length !== 1) {
        const { locale } = await getOptions();
        return { messageId: null, payload: null, strings: stringsFor(locale), count: ids.length };
      }
      const messageId = ids[0];
      dismissed.delete(messageId);
      const { payload } = await checkMessage(messageId, { force: true });
      await pushToTab(tabId, messageId, payload);
      return { ...answer(messageId, payload, { explicit: true }), header: await headerOf(messageId) };
    },

    // Report page (from the message list's context menu): several messages, one by one.
    async "minuku:checkMessages"(msg) {
      const ids = (Array.isArray(msg.ids) ? msg.ids : [])
        .filter((x) => Number.isInteger(x))
        .slice(0, MAX_REPORT_MESSAGES);
      const out = [];
      for (const messageId of ids) {
        const { payload } = await checkMessage(messageId, { force: true });
        out.push({ ...answer(messageId, payload, { explicit: true }), header: await headerOf(messageId) });
      }
      const { locale } = await getOptions();
      return { results: out, strings: stringsFor(locale), locale };
    },
  };

  return {
    checkMessage,
    getOptions,
    /** Resolves when every pending write of the learning state is done (tests). */
    learningSettled: () => learningWrites,
    stringsFor,
    translators,
    cache,

    /** runtime.onMessage listener: returns a Promise for our messages, undefined otherwise. */
    onRuntimeMessage(msg, sender) {
      const h = msg && typeof msg.type === "string" && Object.hasOwn(handlers, msg.type) ? handlers[msg.type] : null;
      if (!h) return undefined;
      return h(msg, sender);
    },

    /** messageDisplay.onMessagesDisplayed: start checking before the banner script asks. */
    async onMessagesDisplayed(tab, list) {
      const msgs = messagesOf(list);
      if (msgs.length !== 1) return;
      const { opts } = await getOptions();
      if (!opts.autoCheck || dismissed.has(msgs[0].id)) return;
      await checkMessage(msgs[0].id);
    },

    /** menus.onClicked: a report window for the selected messages. */
    async onMenuClicked(info) {
      if (info?.menuItemId !== MENU_ID) return;
      let page = info.selectedMessages;
      const ids = messagesOf(page).map((m) => m.id);
      while (page?.id && ids.length < MAX_REPORT_MESSAGES) {
        page = await browser.messages.continueList(page.id);
        ids.push(...messagesOf(page).map((m) => m.id));
      }
      if (ids.length === 0) return;
      const url = `${browser.runtime.getURL("report.html")}#${ids.slice(0, MAX_REPORT_MESSAGES).join(",")}`;
      await browser.windows.create({ type: "popup", url, width: 760, height: 680 });
    },

    async registerBannerScript() {
      // Registered ids persist across restarts; registering twice is an error.
      try {
        await browser.scripting.messageDisplay.unregisterScripts({ ids: [SCRIPT_ID] });
      } catch {
        // not registered yet
      }
      await browser.scripting.messageDisplay.registerScripts([
        { id: SCRIPT_ID, js: ["lib/banner-dom.js", "banner.js"], runAt: "document_end" },
      ]);
    },

    async createMenus() {
      await browser.menus.removeAll();
      browser.menus.create({
        id: MENU_ID,
        contexts: ["message_list"],
        title: browser.i18n.getMessage("menuCheckSelected"),
      });
    },
  };
}
