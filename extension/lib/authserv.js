// Learning the receiving server's authserv-id per Thunderbird account (issue 8.1).
//
// An Authentication-Results header (RFC 8601) is only worth believing when the receiving
// server wrote it, and the sender can write one too. The server's own header carries its
// authserv-id (RFC 8601 section 2.5: the server must remove or rename forged ones bearing its
// id), so trust comes from knowing that id. The user can set it in the options; otherwise we
// learn it: the host reports, for every check, the authserv-id of the topmost
// Authentication-Results above the trust boundary (`receiving_authserv_id`, a hint, never
// trusted by itself), and per account:
//   - learned once the same id was seen on at least LEARN_MESSAGES messages from at least
//     LEARN_DOMAINS distinct sender domains, with no message in the learning window showing a
//     different or missing id (such a message starts the window again, from itself);
//   - after that, a message without the id does not unlearn it (a sender's mail may simply
//     lack it, e.g. an internal one), but a different id on at least RELEARN_DIFFERENT of the
//     last RECENT messages means the server changed (or someone is probing): learning restarts.
// A pure module over plain data (what storage.local holds); the controller stores it.

export const LEARN_MESSAGES = 5;
export const LEARN_DOMAINS = 3;
export const RECENT = 10;
export const RELEARN_DIFFERENT = 3;
const MAX_WINDOW = 50;
const MAX_ID_LEN = 255;
const MAX_ACCOUNTS = 64;

/** @typedef {{id: string|null, domain: string, messageId: number|null}} Observation */
/**
 * @typedef {{learned: string|null, learnedAt: number|null, window: Observation[],
 *   recent: {id: string|null, messageId: number|null}[]}} AccountState
 */

export function emptyAccount() {
  return { learned: null, learnedAt: null, window: [], recent: [] };
}

/** A host-reported authserv-id, lower-cased (RFC 8601: compared case-insensitively), or null. */
export function normalizeId(id) {
  if (typeof id !== "string") return null;
  const s = id.trim().toLowerCase();
  return s && s.length <= MAX_ID_LEN && !/[\s;]/.test(s) ? s : null;
}

/** The domain of a MessageHeader author ("Name <user@Example.COM>") for diversity counting. */
export function senderDomain(author) {
  const s = String(author ?? "");
  const angle = /<([^<>]*)>\s*$/.exec(s);
  const addr = (angle ? angle[1] : s).trim();
  const at = addr.lastIndexOf("@");
  if (at < 0) return "";
  return addr.slice(at + 1).trim().toLowerCase().replace(/\.$/, "").slice(0, 253);
}

function cleanObs(o) {
  return {
    id: normalizeId(o?.id),
    domain: typeof o?.domain === "string" ? o.domain.slice(0, 253) : "",
    messageId: Number.isInteger(o?.messageId) ? o.messageId : null,
  };
}

/** Whatever storage held, as a well-formed AccountState. */
export function normalizeAccount(raw) {
  const r = raw && typeof raw === "object" ? raw : {};
  return {
    learned: normalizeId(r.learned),
    learnedAt: Number.isFinite(r.learnedAt) ? r.learnedAt : null,
    window: (Array.isArray(r.window) ? r.window : []).slice(-MAX_WINDOW).map(cleanObs),
    recent: (Array.isArray(r.recent) ? r.recent : []).slice(-RECENT).map((x) => {
      const o = cleanObs(x);
      return { id: o.id, messageId: o.messageId };
    }),
  };
}

/** The whole map {accountId: AccountState} from storage. */
export function normalizeLearning(raw) {
  const out = {};
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return out;
  for (const [k, v] of Object.entries(raw).slice(0, MAX_ACCOUNTS)) {
    if (typeof k === "string" && k && k.length <= 128) out[k] = normalizeAccount(v);
  }
  return out;
}

function ready(window) {
  if (window.length < LEARN_MESSAGES) return null;
  const id = window[0].id;
  if (id === null || window.some((o) => o.id !== id)) return null;
  const domains = new Set(window.map((o) => o.domain).filter(Boolean));
  return domains.size >= LEARN_DOMAINS ? id : null;
}

/**
 * Record one checked message of an account. Pure: returns the new state.
 * @param {AccountState} state
 * @param {{id: string|null|undefined, domain: string, messageId?: number}} obs
 * @param {number} [now] ms since the epoch, kept as learnedAt
 * @returns {{state: AccountState, event: "learned"|"relearn"|null}}
 */
export function observe(state, obs, now = 0) {
  const s = normalizeAccount(state);
  const o = cleanObs(obs);
  if (s.learned === null) {
    // The same message checked again (another option set, "check this") counts once.
    if (o.messageId !== null && s.window.some((w) => w.messageId === o.messageId)) {
      return { state: s, event: null };
    }
    const candidate = s.window.length ? s.window[0].id : o.id;
    // A missing or different id taints the window: learning starts again from this message.
    let window = o.id === null ? [] : o.id === candidate ? [...s.window, o] : [o];
    window = window.slice(-MAX_WINDOW);
    const learned = ready(window);
    if (learned !== null) {
      return { state: { learned, learnedAt: now, window: [], recent: [] }, event: "learned" };
    }
    return { state: { ...s, window }, event: null };
  }
  if (o.messageId !== null && s.recent.some((r) => r.messageId === o.messageId)) {
    return { state: s, event: null };
  }
  const recent = [...s.recent, { id: o.id, messageId: o.messageId }].slice(-RECENT);
  const different = recent.filter((r) => r.id !== null && r.id !== s.learned).length;
  if (different >= RELEARN_DIFFERENT) {
    return { state: emptyAccount(), event: "relearn" };
  }
  return { state: { ...s, recent }, event: null };
}

/** The ids to trust for an account's checks: the learned one (if any). */
export function learnedIds(state) {
  const s = normalizeAccount(state);
  return s.learned ? [s.learned] : [];
}

/** Progress for the options page: how far learning got. */
export function progress(state) {
  const s = normalizeAccount(state);
  const domains = new Set(s.window.map((o) => o.domain).filter(Boolean));
  return {
    learned: s.learned,
    candidate: s.learned ? null : (s.window[0]?.id ?? null),
    messages: s.window.length,
    domains: domains.size,
  };
}

// ---- background checks (issue 12) -----------------------------------------------------------
//
// Mail checked on arrival or by "check this folder" teaches the same state as mail opened. A
// folder pass checks hundreds of mails a second: each observation written on its own would be
// a storage.local round trip per mail, so they are gathered and folded in batches.

/** storage.local key of the learning state (the controller's LEARNING_KEY is the same). */
export const LEARNING_STORAGE_KEY = "authservLearning";
/** Observations kept per account between two writes; older ones beyond are dropped. */
export const MAX_BATCH = 1000;

/**
 * Observations folded in order, as observe() one after the other. Pure.
 * @param {AccountState|undefined} state
 * @param {Observation[]} observations
 * @param {number} [now]
 * @returns {{state: AccountState, events: string[]}}
 */
export function observeAll(state, observations, now = 0) {
  let s = normalizeAccount(state);
  const events = [];
  for (const o of observations) {
    const r = observe(s, o, now);
    s = r.state;
    if (r.event) events.push(r.event);
  }
  return { state: s, events };
}

/**
 * Observations of background checks, written to storage.local at most once per flush(), one
 * write at a time. Reads the stored state just before writing, so what the display path wrote
 * meanwhile is folded into, not overwritten.
 * @param {object} o
 * @param {{get: Function, set: Function}} o.storage browser.storage.local
 * @param {{info?: Function, warn?: Function}} [o.log]
 * @param {() => number} [o.now]
 */
export function createLearningBatch({ storage, log = console, now = () => Date.now() }) {
  let buffer = new Map(); // accountId -> Observation[]
  let writes = Promise.resolve();
  return {
    /** @param {string} accountId @param {Observation} obs */
    record(accountId, obs) {
      if (typeof accountId !== "string" || !accountId || accountId.length > 128) return;
      let list = buffer.get(accountId);
      if (!list) {
        if (buffer.size >= MAX_ACCOUNTS) return;
        list = [];
        buffer.set(accountId, list);
      }
      list.push(cleanObs(obs));
      if (list.length > MAX_BATCH) list.splice(0, list.length - MAX_BATCH);
    },
    get pending() {
      let n = 0;
      for (const l of buffer.values()) n += l.length;
      return n;
    },
    /** Write what was gathered (nothing to write: no storage call). */
    flush() {
      if (!buffer.size) return writes;
      const batch = buffer;
      buffer = new Map();
      writes = writes
        .then(async () => {
          const stored = await storage.get(LEARNING_STORAGE_KEY);
          const all = normalizeLearning(stored?.[LEARNING_STORAGE_KEY]);
          for (const [accountId, obs] of batch) {
            const { state, events } = observeAll(all[accountId], obs, now());
            all[accountId] = state;
            for (const e of events) log.info?.(`minuku: authserv-id ${e} for account ${accountId}`);
          }
          await storage.set({ [LEARNING_STORAGE_KEY]: all });
        })
        .catch((e) => log.warn?.("minuku: could not store the learned authserv-id", e));
      return writes;
    },
  };
}
