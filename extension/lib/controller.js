// The background's logic, with the WebExtension API injected (`browser`), so node tests can
// drive it: which message a tab shows, reading the raw message, asking the host (one HostClient),
// the per-message cache, dismissals, and answering the banner, popup and report pages.
//
// Stale answers: every banner answer names its message id. The banner script asks for the
// verdict of the message its tab shows; the background re-checks that the tab still shows the
// message before answering or pushing, and the banner script ignores pushes for any other
// message id.

import { createLearningBatch, learnedIds, normalizeLearning, senderDomain } from "./authserv.js";
import { rawToBase64 } from "./base64.js";
import { LruCache } from "./cache.js";
import { HostError } from "./hostclient.js";
import { bannerStrings, createTranslator, resolveLocale } from "./i18n.js";
import { badgeFor, decideDisplay, refine } from "./display.js";
import { kindForError, localPayload } from "./local-payloads.js";
import { junkFolderOf } from "./junk.js";
import { normalizeOptions, toWireOptions } from "./options.js";
import { reportAddress, safeUrl, validatePayload } from "./payload.js";

export const MENU_ID = "minuku-check-selected";
export const SCRIPT_ID = "minuku-banner";
export const MAX_REPORT_MESSAGES = 50;
// storage.local key of the per-account authserv-id learning state (authserv.js).
export const LEARNING_KEY = "authservLearning";
// storage.local key of the senders the user chose to trust (issue 9.5): exact addresses.
export const TRUSTED_SENDERS_KEY = "trustedSenders";
export const MAX_TRUSTED_SENDERS = 500;
// The Council of Anti-Phishing Japan asks for phishing mail to be forwarded to this address
// (its registration page, https://www.antiphishing.jp/registration.html). The user sees the
// compose window and sends it; nothing is ever sent by the add-on.
export const COUNCIL_REPORT_ADDRESS = "info@antiphishing.jp";

/** The bare address of a MessageHeader author ("Name <User@Example.COM>"), lower-cased. */
export function senderAddress(author) {
  const s = String(author ?? "");
  const angle = /<([^<>]*)>\s*$/.exec(s);
  const addr = (angle ? angle[1] : s).trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+$/.test(addr) && addr.length <= 320 ? addr : "";
}

function messagesOf(list) {
  if (!list) return [];
  if (Array.isArray(list)) return list; // MV2 shape
  return Array.isArray(list.messages) ? list.messages : [];
}

/**
 * @param {object} o
 * @param {object} o.browser the WebExtension API (or a fake)
 * @param {import("./hostclient.js").HostClient} o.client
 * @param {import("./hostclient.js").HostClient} [o.quickClient] a second host connection for
 *   the fast local (no-DNS) checks, so they never queue behind a slow DNS check (the host
 *   answers one check at a time per connection); defaults to `client`
 * @param {{en: object, ja: object}} o.locales parsed _locales/<lang>/messages.json
 * @param {string} [o.addonVersion]
 * @param {LruCache} [o.cache]
 * @param {{warn: Function}} [o.log]
 * @param {ReturnType<typeof createLearningBatch>} [o.learning] the one writer of the
 *   authserv-id learning, shared with the background checks (arrival.js) so that their
 *   writes of the same storage key never overwrite each other
 */
export function createController({
  browser,
  client,
  quickClient = client,
  locales,
  addonVersion = "",
  cache = new LruCache(64),
  log = console,
  arrival = null,
  learning = createLearningBatch({ storage: browser.storage.local, log }),
}) {
  const translators = {
    en: createTranslator(locales.en, locales.en),
    ja: createTranslator(locales.ja, locales.en),
  };
  const inflight = new Map(); // cache key -> Promise<payload>
  const dismissed = new LruCache(256); // message id -> true
  let learningWrites = Promise.resolve(); // storage writes of the learning state, one at a time

  async function readStorage() {
    try {
      return (await browser.storage.local.get(null)) ?? {};
    } catch (e) {
      log.warn?.("minuku: storage unavailable", e);
      return {};
    }
  }

  /** The options in force, from what storage.local holds (one read serves a whole display). */
  function optionsFrom(stored, accountId = null) {
    const opts = normalizeOptions(stored);
    const locale = resolveLocale(opts.language, browser.i18n?.getUILanguage?.() ?? "en");
    const learning = normalizeLearning(stored[LEARNING_KEY]);
    const learned = accountId && Object.hasOwn(learning, accountId) ? learnedIds(learning[accountId]) : [];
    return { opts, locale, wire: toWireOptions(opts, locale, learned) };
  }

  /** @param {string|null} [accountId] the account whose learned authserv-id is trusted too */
  async function getOptions(accountId = null) {
    return optionsFrom(await readStorage(), accountId);
  }

  /** The account and sender domain of a message (null account: unknown, nothing learned). */
  async function readMessageInfo(messageId) {
    try {
      const h = await browser.messages.get(messageId);
      const accountId = typeof h?.folder?.accountId === "string" ? h.folder.accountId : null;
      return { accountId, domain: senderDomain(h?.author), address: senderAddress(h?.author) };
    } catch {
      return { accountId: null, domain: "", address: "" };
    }
  }

  // One display asks for the same header four or five times (options, trusted sender, local and
  // full check): each is a round trip to Thunderbird that the first banner waits for (issue 9.1).
  // A message's account and author do not change within a second.
  const infoReads = new LruCache(32); // messageId -> {p, at}
  function messageInfo(messageId) {
    const hit = infoReads.get(messageId);
    if (hit && Date.now() - hit.at < 1000) return hit.p;
    const p = readMessageInfo(messageId);
    infoReads.set(messageId, { p, at: Date.now() });
    return p;
  }

  // What one check reads of Thunderbird: the options, the header, the arrival plan (issue 12)
  // and the source. A display makes them once and together; its local check, its full check and
  // the banner script's request share them instead of each asking again, one round trip after
  // another (issue 9.1: the first banner waits for every one of them).
  function newContext(messageId, stored = readStorage()) {
    let message = null;
    return {
      stored,
      info: messageInfo(messageId),
      plan: arrival ? arrival.planOpening(messageId) : Promise.resolve(null),
      // The source as the wire carries it (null: over the host's cap), read and encoded once
      // for the local and the full check.
      message: () => (message ??= browser.messages.getRaw(messageId, { data_format: "BinaryString" }).then(rawToBase64)),
    };
  }

  // The context of each message just displayed, for the banner script that asks a moment later.
  // Kept briefly (its source may be large) and forgotten when the options change.
  const DISPLAY_CONTEXT_MS = 5000;
  const displays = new LruCache(4); // messageId -> {ctx, at}
  browser.storage?.onChanged?.addListener?.(() => displays.clear());
  function displayContext(messageId) {
    const hit = displays.get(messageId);
    if (hit && Date.now() - hit.at < DISPLAY_CONTEXT_MS) return hit.ctx;
    const ctx = newContext(messageId);
    displays.set(messageId, { ctx, at: Date.now() });
    return ctx;
  }

  /** Record the host's receiving_authserv_id for the message's account (authserv.js). */
  function learn(accountId, messageId, domain, payload) {
    if (!accountId) return learningWrites;
    learning.record(accountId, { id: payload.receiving_authserv_id, domain, messageId });
    learningWrites = learning.flush();
    return learningWrites;
  }

  function stringsFor(locale) {
    return bannerStrings(translators[locale === "ja" ? "ja" : "en"]);
  }

  // What each tab was last seen showing (messageDisplay.onMessagesDisplayed): the banner
  // script's request needs no round trip to ask again. The answer is still checked against
  // Thunderbird before it is returned (isDisplayed), so a stale entry costs nothing but a
  // "stale" answer.
  const shownIn = new LruCache(32); // tabId -> message ids

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
  async function checkMessage(messageId, { force = false, local = false, ctx = null } = {}) {
    const c = ctx ?? newContext(messageId);
    const info = await c.info;
    const { locale, wire: asked } = optionsFrom(await c.stored, info.accountId);
    // The local part (issue 9.1): the same check with no DNS at all, on the quick connection.
    const wire = local ? { ...asked, offline: true } : asked;
    // Issue 12 (arrival.js): a mail checked online on arrival, or any mail when the user said so,
    // is checked at opening with no DNS query about names its sender controls.
    const plan = await c.plan;
    if (plan?.restricted) wire.sender_lookups = false;
    const key = `${messageId}\n${JSON.stringify(wire)}`;
    const hit = cache.get(key);
    if (hit) return { payload: hit, cached: true };
    if (!inflight.has(key)) {
      const p = runCheck(c, wire, locale, force, local && !asked.offline ? quickClient : client)
        .then(async (entry) => {
          // Only the host's own answers teach anything (never the add-on's error banners).
          if (entry.cacheable && !local) await learn(info.accountId, messageId, info.domain, entry.payload);
          // Issue 12: the kept arrival verdict when it is worse; the list's tag follows.
          if (entry.cacheable && plan) entry.payload = await arrival.settleOpening(messageId, entry.payload, plan, wire);
          return entry;
        })
        .finally(() => inflight.delete(key));
      // Background checks wait while the displayed message is being checked (issue 12).
      inflight.set(key, arrival ? arrival.foreground(p) : p);
    }
    const entry = await inflight.get(key);
    if (entry.cacheable) cache.set(key, entry.payload);
    return { payload: entry.payload, cached: false };
  }

  /** The cached verdict for a message under the current options, if any (`local`: its no-DNS part). */
  async function cachedPayload(messageId, ctx = newContext(messageId), { local = false } = {}) {
    const info = await ctx.info;
    const { wire } = optionsFrom(await ctx.stored, info.accountId);
    if (local) wire.offline = true;
    if ((await ctx.plan)?.restricted) wire.sender_lookups = false; // as checkMessage
    return cache.get(`${messageId}\n${JSON.stringify(wire)}`) ?? null;
  }

  async function runCheck(ctx, wire, locale, force, via = client) {
    let message;
    try {
      message = await ctx.message();
    } catch (e) {
      return { payload: local("read_failed", locale, wire.offline, { detail: String(e?.message ?? e) }) };
    }
    if (message === null) {
      return { payload: local("message_too_large", locale, wire.offline) };
    }
    try {
      const raw = await via.check(message, wire, { force });
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

  /** @param {{showOk?: boolean, explicit?: boolean, pending?: boolean, trusted?: boolean, dismissed?: boolean}} show what display.js needs */
  function answer(messageId, payload, show) {
    return { messageId, payload, strings: stringsFor(payload.locale), display: decideDisplay(payload, show) };
  }

  /** The toolbar button shows the verdict of the tab's message (issue 9.5). */
  async function setBadge(tabId, ans) {
    const mda = browser.messageDisplayAction;
    if (!mda || typeof tabId !== "number") return;
    const b = ans && ans.payload && ans.display && ans.display.show ? badgeFor(ans.payload, ans.display) : null;
    try {
      await mda.setBadgeText({ tabId, text: b ? b.text : "" });
      if (b) await mda.setBadgeBackgroundColor({ tabId, color: b.color });
      const t = translators[ans?.payload?.locale === "ja" ? "ja" : "en"];
      const title = b ? `${t("actionTitle")} — ${ans.payload.title}` : t("actionTitle");
      await mda.setTitle({ tabId, title: title.slice(0, 300) });
    } catch (e) {
      log.warn?.("minuku: toolbar badge", e);
    }
  }

  /** What decideDisplay needs about the user's own choices for this message. */
  async function userShow(messageId, opts, ctx = newContext(messageId)) {
    const [info, stored] = await Promise.all([ctx.info, ctx.stored]);
    const list = Array.isArray(stored?.[TRUSTED_SENDERS_KEY]) ? stored[TRUSTED_SENDERS_KEY] : [];
    const trusted = Boolean(info.address) && list.includes(info.address);
    return { showOk: opts.showOk, trusted, dismissed: dismissed.has(messageId) };
  }

  async function pushToTab(tabId, messageId, payload, show = { explicit: true }) {
    if (!(await isDisplayed(tabId, messageId))) return false;
    const ans = answer(messageId, payload, show);
    await setBadge(tabId, ans);
    try {
      await browser.tabs.sendMessage(tabId, { type: "minuku:show", ...ans });
      return true;
    } catch {
      return false; // no banner script in that tab (yet)
    }
  }

  /**
   * The displayed message's verdict, progressively (issue 9.1): with DNS in use, the local
   * (no-DNS) check answers first and is drawn at once; the full check's answer is pushed when
   * it comes, refining the banner (display.refine: a local danger is never downgraded).
   */
  async function progressive(tabId, messageId, opts, ctx) {
    const [show, hit] = await Promise.all([userShow(messageId, opts, ctx), cachedPayload(messageId, ctx)]);
    if (opts.offline || hit) {
      const payload = hit ?? (await checkMessage(messageId, { ctx })).payload;
      return { payload, show };
    }
    let fullDone = null;
    const full = checkMessage(messageId, { ctx }).then((r) => (fullDone = r));
    const local = (await checkMessage(messageId, { local: true, ctx })).payload;
    await Promise.race([full, new Promise((r) => setTimeout(r, 0))]);
    if (fullDone) return { payload: refine(local, fullDone.payload), show };
    full
      .then(async ({ payload }) => {
        const refined = refine(local, payload);
        // Read afresh: the user may have trusted the sender or closed the banner meanwhile.
        await pushToTab(tabId, messageId, refined, await userShow(messageId, opts));
      })
      .catch((e) => log.warn?.("minuku: refine", e));
    return { payload: local, show: { ...show, pending: true } };
  }

  /** The message a request from a banner (sender.tab) or the popup (msg.tabId) may act on. */
  async function actionTarget(msg, sender) {
    const tabId = typeof sender?.tab?.id === "number" ? sender.tab.id : msg.tabId;
    if (typeof tabId !== "number" || typeof msg.messageId !== "number") return null;
    return (await isDisplayed(tabId, msg.messageId)) ? { tabId, messageId: msg.messageId } : null;
  }

  /** The account's Junk folder (folders API, specialUse), or null. */
  async function junkFolder(messageId) {
    try {
      const h = await browser.messages.get(messageId);
      return await junkFolderOf(browser, h?.folder?.accountId);
    } catch {
      return null;
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
    // Banner script: the verdict for the message ITS document shows (null payload: nothing to
    // draw). The answer names the message, so the banner script asks once instead of asking
    // "which message am I" first: one round trip less before the first banner.
    async "minuku:getBanner"(msg, sender, fresh = false) {
      const tabId = sender?.tab?.id;
      if (tabId === undefined) return { messageId: null, payload: null };
      const seen = fresh ? undefined : shownIn.get(tabId);
      const ids = seen ?? (await displayedIds(tabId));
      if (ids.length !== 1) return { messageId: null, payload: null };
      const messageId = ids[0];
      const ctx = displayContext(messageId);
      const { opts } = optionsFrom(await ctx.stored);
      let payload = null;
      let show = null;
      if (opts.autoCheck) {
        ({ payload, show } = await progressive(tabId, messageId, opts, ctx));
      } else {
        [payload, show] = await Promise.all([cachedPayload(messageId, ctx), userShow(messageId, opts, ctx)]);
      }
      displays.delete(messageId);
      if (!(await isDisplayed(tabId, messageId))) {
        // The display event of this document's message may not have come yet: ask Thunderbird.
        if (seen) return handlers["minuku:getBanner"](msg, sender, true);
        return { messageId, payload: null, stale: true };
      }
      if (!payload) return { messageId, payload: null };
      const ans = answer(messageId, payload, show);
      setBadge(tabId, ans); // the banner does not wait for the toolbar (setBadge never rejects)
      return ans;
    },

    // Options page: is the host there, and which version (issue 9.8).
    async "minuku:hostStatus"() {
      try {
        const hello = await client.ensureReady({ force: true });
        return { ok: true, hostVersion: String(hello?.host_version ?? "") };
      } catch (e) {
        return { ok: false, error: String(e?.message ?? e).slice(0, 300), code: e?.code ?? "" };
      }
    },

    // Closed banners leave a one-line reminder (display.mini) and the toolbar badge.
    async "minuku:dismiss"(msg) {
      if (typeof msg.messageId === "number") dismissed.set(msg.messageId, true);
      return { ok: true };
    },

    async "minuku:undismiss"(msg) {
      if (typeof msg.messageId === "number") dismissed.delete(msg.messageId);
      return { ok: true };
    },

    // 「フィッシングとして報告」: a forward-as-attachment to the council, for the user to send.
    async "minuku:report"(msg, sender) {
      const t = await actionTarget(msg, sender);
      if (!t) return { ok: false };
      const to = [COUNCIL_REPORT_ADDRESS];
      await browser.compose.beginForward(t.messageId, "forwardAsAttachment", { to });
      return { ok: true, to };
    },

    // 「Amazonに報告」: the same forward, to the address the claimed brand's official help names.
    // The address comes from the host's verdict for the message (the catalogue), never from
    // the request, so a page cannot make the add-on address a forward to anyone else.
    async "minuku:reportBrand"(msg, sender) {
      const t = await actionTarget(msg, sender);
      if (!t) return { ok: false };
      // The full verdict, or its local part while DNS is still being asked (what the banner shows).
      const ctx = newContext(t.messageId);
      const payload = (await cachedPayload(t.messageId, ctx)) ?? (await cachedPayload(t.messageId, ctx, { local: true }));
      const address = reportAddress(payload?.brand?.report_to);
      if (!address || !["danger", "warning"].includes(payload.verdict)) return { ok: false };
      await browser.compose.beginForward(t.messageId, "forwardAsAttachment", { to: [address] });
      return { ok: true, to: [address] };
    },

    // 迷惑メール: marked as junk and moved to the account's Junk folder when it has one.
    async "minuku:junk"(msg, sender) {
      const t = await actionTarget(msg, sender);
      if (!t) return { ok: false };
      try {
        await browser.messages.update(t.messageId, { junk: true });
      } catch (e) {
        log.warn?.("minuku: mark as junk", e);
      }
      const folder = await junkFolder(t.messageId);
      if (folder) await browser.messages.move([t.messageId], folder.id, { isUserAction: true });
      return { ok: true, moved: Boolean(folder) };
    },

    // 削除: only ever on the user's click; to the trash, as Thunderbird's own delete does.
    async "minuku:delete"(msg, sender) {
      const t = await actionTarget(msg, sender);
      if (!t) return { ok: false };
      await browser.messages.delete([t.messageId], { isUserAction: true });
      return { ok: true };
    },

    // 「この差出人を信頼する」: the exact address, kept locally; quiets caution and unknown only.
    async "minuku:trustSender"(msg, sender) {
      const t = await actionTarget(msg, sender);
      if (!t) return { ok: false };
      const { address } = await messageInfo(t.messageId);
      if (!address) return { ok: false };
      const stored = await browser.storage.local.get(TRUSTED_SENDERS_KEY);
      const list = Array.isArray(stored?.[TRUSTED_SENDERS_KEY]) ? stored[TRUSTED_SENDERS_KEY] : [];
      if (!list.includes(address)) list.push(address);
      await browser.storage.local.set({ [TRUSTED_SENDERS_KEY]: list.slice(-MAX_TRUSTED_SENDERS) });
      return { ok: true, address };
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
      return { ...answer(messageId, payload, { explicit: true }), header: await headerOf(messageId), tabId };
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
      if (typeof tab?.id === "number") shownIn.set(tab.id, msgs.map((m) => m.id));
      // The previous message's verdict is not this one's; the checks need not wait for that.
      const cleared = setBadge(tab?.id, null);
      if (msgs.length !== 1) return cleared;
      const ctx = displayContext(msgs[0].id);
      const { opts } = optionsFrom(await ctx.stored);
      if (!opts.autoCheck) return cleared;
      ctx.message().catch(() => {}); // with the header and plan reads, not after them; runCheck reports failures
      // Both parts start now; the banner script's request reuses them (inflight).
      const local = opts.offline ? null : checkMessage(msgs[0].id, { local: true, ctx });
      await Promise.all([checkMessage(msgs[0].id, { ctx }), local]);
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

    /** Start the host connections before the first message is shown (issue 9.1). */
    async warmUp() {
      const { opts } = await getOptions();
      if (!opts.autoCheck) return;
      await Promise.allSettled([client.ensureReady(), opts.offline || quickClient === client ? null : quickClient.ensureReady()]);
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

    // The menu item speaks Minuku's language option, as the banner, the tags and the
    // background checks' menu items do (browser.i18n follows Thunderbird's language instead).
    async createMenus() {
      await browser.menus.removeAll();
      const { locale } = await getOptions();
      browser.menus.create({ id: MENU_ID, contexts: ["message_list"], title: translators[locale]("menuCheckSelected") });
    },

    /** storage.onChanged: a new language renames the menu item. */
    async onStorageChanged(changes) {
      if (!changes || !("language" in changes)) return;
      const { locale } = await getOptions();
      await browser.menus.update?.(MENU_ID, { title: translators[locale]("menuCheckSelected") });
    },
  };
}
