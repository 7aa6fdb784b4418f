// Fakes for the background-checking tests (issue 12): a mail store with folders, paged message
// lists, tags, moves and storage; every call that could change mail is recorded.
import { createTranslator } from "../../extension/lib/i18n.js";
import { LOCALES } from "./helpers.mjs";

class Event {
  listeners = [];
  addListener(fn) { this.listeners.push(fn); }
  removeListener(fn) { this.listeners = this.listeners.filter((f) => f !== fn); }
}

export const INBOX = { id: "account1://INBOX", accountId: "account1", name: "Inbox", path: "/INBOX", specialUse: ["inbox"] };
export const JUNK = { id: "account1://Junk", accountId: "account1", name: "Junk", path: "/Junk", specialUse: ["junk"] };
export const TRASH = { id: "account1://Trash", accountId: "account1", name: "Trash", path: "/Trash", specialUse: ["trash"] };

export function mail(id, { subject = `mail ${id}`, danger = false, warning = false, folder = INBOX, mid, size, tags = [], author } = {}) {
  const marker = danger ? "danger" : warning ? "warning" : "ok";
  return {
    id,
    headerMessageId: mid ?? `m${id}@example.org`,
    size: size ?? 1000 + id,
    date: new Date(Date.UTC(2026, 10, 27, 0, 0, id % 60)),
    author: author ?? `Sender ${id} <s${id}@example.org>`,
    subject,
    folder,
    tags,
    raw: `Subject: ${subject}\r\nX-Test-Marker: ${marker}-${id}\r\nX-Verdict: ${marker}\r\n\r\nbody ${id}\r\n`,
  };
}

/**
 * @param {object} o
 * @param {Map<number, object>} [o.mails]
 * @param {number} [o.pageSize] messages.list page size (Thunderbird's default is 100)
 * @param {(id: number) => object} [o.generate] lazily made mails (10,000-message folders)
 * @param {number} [o.generated] how many generated mails the inbox holds
 */
export function fakeMailBrowser({ mails = new Map(), pageSize = 100, generate = null, generated = 0, local = {}, ui = "en-US", hooks = {} } = {}) {
  const calls = { update: [], move: [], delete: [], import: [], getRaw: [], get: [], tagsCreate: [], tagsUpdate: [], windows: [], menus: [], list: 0, continueList: 0, abort: [] };
  const lists = new Map();
  let listSeq = 0;
  const byId = (id) => mails.get(id) ?? (generate && id >= 1 && id <= generated ? generate(id) : null);
  const header = (m) => {
    const { raw, ...h } = m;
    return structuredClone(h);
  };
  const tagDefs = new Map();
  const page = (listId) => {
    const l = lists.get(listId);
    const end = Math.min(l.pos + pageSize, l.total);
    const ids = l.ids ? l.ids.slice(l.pos, end) : Array.from({ length: end - l.pos }, (_, i) => l.pos + i + 1);
    l.pos = end;
    const messages = ids.map((id) => header(byId(id)));
    const more = l.pos < l.total;
    if (!more) lists.delete(listId);
    return { id: more ? listId : null, messages };
  };
  const b = {
    calls,
    mails,
    onNewMailReceived: new Event(),
    storage: {
      local: {
        get: async (keys) => {
          if (keys === null || keys === undefined) return structuredClone(local);
          const ks = Array.isArray(keys) ? keys : [keys];
          return structuredClone(Object.fromEntries(ks.filter((k) => k in local).map((k) => [k, local[k]])));
        },
        set: async (o) => Object.assign(local, structuredClone(o)),
      },
    },
    i18n: { getUILanguage: () => ui, getMessage: (k) => LOCALES.en[k]?.message ?? "" },
    runtime: { getURL: (p) => `moz-extension://uuid/${p}` },
    messages: {
      get: async (id) => {
        calls.get.push(id);
        const m = byId(id);
        if (!m) throw new Error(`Message not found: ${id}.`);
        return header(m);
      },
      getRaw: async (id, opts) => {
        calls.getRaw.push(id);
        const m = byId(id);
        if (!m) throw new Error(`Message not found: ${id}.`);
        hooks.getRaw?.(id, m);
        // As Thunderbird: a File by default (MV3), or one char per byte when asked.
        const bytes = Buffer.from(m.raw, "utf8");
        return opts?.data_format === "BinaryString" ? bytes.toString("latin1") : new Blob([bytes]);
      },
      update: async (id, props) => {
        calls.update.push([id, structuredClone(props)]);
        const m = byId(id);
        if (m && props.tags) {
          m.tags = [...props.tags];
          if (!mails.has(id)) mails.set(id, m); // generated mail becomes real once changed
        }
      },
      move: async (ids, folderId) => {
        calls.move.push([[...ids], folderId]);
        for (const id of ids) {
          const m = byId(id);
          const to = [INBOX, JUNK, TRASH].find((f) => f.id === folderId);
          if (m && to) {
            m.folder = to;
            mails.set(id, m);
          }
        }
      },
      delete: async (ids) => calls.delete.push(ids),
      import: async (...a) => calls.import.push(a),
      list: async (folderId) => {
        calls.list += 1;
        listSeq += 1;
        const listId = `list${listSeq}`;
        if (folderId === INBOX.id && generate) {
          // A 10,000-message folder: ids made page by page, never held whole.
          lists.set(listId, { ids: null, pos: 0, total: generated });
        } else {
          const ids = [...mails.values()].filter((m) => m.folder.id === folderId).map((m) => m.id);
          lists.set(listId, { ids, pos: 0, total: ids.length });
        }
        return page(listId);
      },
      continueList: async (listId) => {
        calls.continueList += 1;
        hooks.continueList?.(listId);
        return page(listId);
      },
      abortList: async (listId) => {
        calls.abort.push(listId);
        lists.delete(listId);
      },
      query: async (q) => ({
        id: null,
        messages: [...mails.values()].filter((m) => m.folder.id === q.folderId && m.headerMessageId === q.headerMessageId).map(header),
      }),
      tags: {
        list: async () => [...tagDefs.values()].map((t) => ({ ...t })),
        create: async (key, tag, color) => {
          calls.tagsCreate.push([key, tag, color]);
          if (tagDefs.has(key)) throw new Error(`Specified key already in use: ${key}`);
          tagDefs.set(key, { key, tag, color: color.toUpperCase(), ordinal: "" });
        },
        update: async (key, props) => {
          calls.tagsUpdate.push([key, props]);
          Object.assign(tagDefs.get(key), props);
        },
      },
    },
    folders: {
      query: async (q) => [INBOX, JUNK, TRASH].filter((f) => (!q.accountId || f.accountId === q.accountId) && (q.specialUse ?? []).every((u) => f.specialUse.includes(u))),
      getFolderInfo: async (folderId) => ({
        totalMessageCount: folderId === INBOX.id && generate ? generated : [...mails.values()].filter((m) => m.folder.id === folderId).length,
      }),
    },
    windows: { create: async (o) => calls.windows.push(o) },
    menus: { create: (o) => calls.menus.push(o), update: async () => {}, removeAll: async () => {} },
    tagDefs,
  };
  return b;
}

export const translate = (locale) => createTranslator(LOCALES[locale === "ja" ? "ja" : "en"], LOCALES.en);

/** The fake host's verdict comes from the X-Verdict header; online unless the request is offline. */
export function verdictPayload(frame) {
  const text = Buffer.from(frame.message, "base64").toString("utf8");
  const verdict = /X-Verdict: (\w+)/.exec(text)?.[1] ?? "ok";
  const marker = /X-Test-Marker: (\S+)/.exec(text)?.[1] ?? "none";
  // The authserv-id of the topmost Authentication-Results above the trust boundary, as the
  // host reports it (a hint for the add-on's learning).
  const authserv = /X-Test-Authserv: (\S+)/.exec(text)?.[1] ?? null;
  return {
    verdict,
    brand: null,
    title: `${verdict} [${marker}]`,
    summary: "",
    reasons: [],
    auth: { lines: [], receiving_server: [], disagreements: [], unchecked: [] },
    advice: [],
    locale: frame.options.locale ?? "en",
    host_version: "0.1.0",
    offline: frame.options.offline === true,
    dns_status: frame.options.offline ? "offline" : "ok",
    receiving_authserv_id: authserv,
  };
}
