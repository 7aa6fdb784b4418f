// Background checking (issue 12): new mail is checked when it arrives, and a whole folder when
// the user asks ("check this folder" in the folder pane), by the same host on a second native
// port, so the message on screen never waits behind this work. Results are kept by message
// (arrival-store.js); danger and warning mail gets a tag in the message list (tags.js); an
// option moves danger mail to the account's Junk folder. Nothing is ever deleted, and no
// message header or body is changed (a tag is metadata; a move keeps the message as it is).
//
// Priority: the display path tells us about each check it runs (foreground()); no new
// background request starts while one is in flight. Background requests go to their own host
// process, so one already running does not delay the displayed message's.
//
// Scale: a folder is read page by page (messages.list / continueList) and never held whole;
// results are written in chunks; a folder check survives a restart (the job is kept, and its
// next pass skips every message already kept).
//
// Privacy at opening time: a mail checked online on arrival is opened with sender_lookups:false
// (no DNS query about names its sender controls: a per-recipient DKIM selector or From
// subdomain would otherwise tell the sender the mail is being read), as is every mail when the
// user chose "never look up the sender's own names when I open a mail".

import { ArrivalStore, fingerprint, severity } from "./arrival-store.js";
import { createLearningBatch, senderDomain } from "./authserv.js";
import { MAX_MESSAGE_BYTES, rawToBase64 } from "./base64.js";
import { LruCache } from "./cache.js";
import { junkFolderOf } from "./junk.js";
import { HostError } from "./hostclient.js";
import { memoryStorage } from "./idb-kv.js";
import { validatePayload } from "./payload.js";
import { applyTag, ensureTags, nextTags } from "./tags.js";

export const ARRIVAL_DEFAULTS = Object.freeze({
  arrivalCheck: true,
  arrivalPaused: false,
  moveDangerToJunk: false,
  neverSenderLookupsOnOpen: false,
});
export const JOBS_KEY = "jobs";
export const PENDING_KEY = "pending";
export const MAX_PENDING = 500; // new-mail items waiting; beyond, the folder is queued instead
export const MAX_JOBS = 20;
export const MAX_ROWS = 200; // danger/warning rows kept for a folder's summary table
export const CHUNK = 250; // results written at least every CHUNK checks (and every second of a folder check)
// Background checks in flight when nobody is reading: getRaw and the host's answers overlap.
// The host answers one check at a time per connection; what limits a folder pass is the round
// trip of each check (Thunderbird -> host -> Thunderbird, ~3-4 ms for the host's part), so
// the queue must be deep enough for the host never to wait for the next request: in a real
// Thunderbird, 2,000 settled mails offline went 197/s with 6 and 245/s with 12 (load 2.3-3.3).
// While the user reads, one at a time (READING_MS): at most this many are still queued on the
// background host when a message is opened (~40 ms of its work), on a host process of their own.
export const IN_FLIGHT = 12;
// And never more than this many bytes of raw mail at once (Thunderbird's size of each message,
// then its real size once read): twelve 32 MB mails would otherwise be ~520 MB as base64.
export const MAX_INFLIGHT_BYTES = 48 * 1024 * 1024;
// While the user is reading (a message was displayed in the last READING_MS), one at a time:
// what is in flight when the next message is opened competes with its check.
export const READING_MS = 10000;
// A new-mail event's header is used as it is for this long; later it is read again.
export const FRESH_MS = 60000;
// New mail opened this long after it came, before its arrival check has run, is checked
// without DNS about its sender's own names: a query then would tell the sender when it was
// read, not when it came. Sooner, the sender sees the same moment as an arrival check's.
export const ARRIVAL_MOMENT_MS = 60000;
export const MAX_SESSION_IDS = 50000; // message ids checked this session (bounded)
// After the displayed message's check, background work stays quiet a little longer: the
// banner is drawn and the message body fetched meanwhile, and both share the CPU (and, for
// IMAP, the server connections that getRaw also uses) with background checks.
export const GRACE_MS = 300;
export const MENU_CHECK_FOLDER = "minuku-check-folder";
export const MENU_PAUSE = "minuku-pause-background";
const NEVER_MOVE_FROM = ["junk", "trash", "sent", "drafts", "templates", "outbox", "archives"];
const FATAL = new Set(["host_missing", "host_incompatible"]);

/** @param {object} stored storage.local contents */
export function normalizeArrivalOptions(stored) {
  const s = stored ?? {};
  const out = {};
  for (const [k, d] of Object.entries(ARRIVAL_DEFAULTS)) out[k] = typeof s[k] === "boolean" ? s[k] : d;
  return out;
}

/**
 * What the banner shows and what the tag says when a mail is opened.
 * A restricted check (no sender lookups) knows less than the full check made on arrival, so the
 * kept online verdict is kept when it is worse; a full online check at opening decides alone
 * (it may clear an earlier mark).
 * @param {object} fresh the opening check's payload
 * @param {{v: string, o: boolean}|null} kept
 * @param {object|null} keptPayload
 * @param {{restricted: boolean}} o
 * @returns {{payload: object, verdict: string}}
 */
export function mergeAtOpen(fresh, kept, keptPayload, { restricted }) {
  if (!restricted || !kept || kept.o !== true || severity(kept.v) <= severity(fresh.verdict)) {
    return { payload: fresh, verdict: fresh.verdict };
  }
  return { payload: keptPayload && keptPayload.verdict === kept.v ? keptPayload : fresh, verdict: kept.v };
}

function messagesOf(list) {
  if (!list) return [];
  if (Array.isArray(list)) return list;
  return Array.isArray(list.messages) ? list.messages : [];
}

function emptyCounts() {
  return { danger: 0, warning: 0, caution: 0, ok: 0, unknown: 0 };
}

// Where a folder check's time goes (issue 12, throughput): milliseconds summed over the
// messages of a pass, per stage. Stages of different messages overlap (several are in flight),
// so the sums say where each message waits, not what adds up to the elapsed time; `slot` is the
// time the pass waited for a free place in flight, `list` the time it waited for a page.
export const STAGES = Object.freeze(["list", "slot", "fp", "getRaw", "base64", "host", "store", "tag"]);

function emptyStages() {
  return Object.fromEntries(STAGES.map((s) => [s, 0]));
}

/** One log line: per-mail averages of a pass's stage times (ms). */
export function stagesLine(stages, n) {
  const per = (ms) => (n > 0 ? ms / n : 0).toFixed(2);
  return STAGES.map((s) => `${s} ${per(stages[s] ?? 0)}`).join(", ");
}

/**
 * @param {object} o
 * @param {object} o.browser
 * @param {import("./hostclient.js").HostClient} o.client the background port
 * @param {(accountId: string|null) => Promise<{wire: object, locale: string}>} o.getOptions
 * @param {(locale: string) => (key: string, subs?: any[]) => string} o.translate
 * @param {object} [o.storage] idb-kv storage for records, jobs and pending mail
 * @param {ArrivalStore} [o.store]
 * @param {{warn: Function, info?: Function}} [o.log]
 * @param {() => number} [o.now]
 * @param {() => number} [o.clock] a fine monotonic clock (ms) for the stage times
 * @param {ReturnType<typeof createLearningBatch>} [o.learning] where the receiving server's
 *   authserv-id each check reports is gathered for the account's learning (authserv.js)
 */
export function createArrival({
  browser,
  client,
  getOptions,
  translate,
  storage = memoryStorage(),
  store = new ArrivalStore(storage),
  log = console,
  now = () => Date.now(),
  clock = () => globalThis.performance.now(),
  learning = createLearningBatch({ storage: browser.storage.local, log, now }),
}) {
  let pending = []; // new mail: {id, folderId, mid}
  let jobs = []; // folder checks (see newJob)
  let paused = false;
  let started = null;
  let pumping = null;
  let foregroundCount = 0;
  let foregroundIdle = null; // {promise, resolve} while foregroundCount > 0
  let foregroundEnded = -Infinity; // when the last foreground check ended
  let lastError = null;
  let sinceFlush = 0;
  let optsCache = null; // {at, stored}
  let tagsReady = null;
  let lastFailedJob = null; // the job the host failed in this pump (retried by the next one)
  const checkedIds = new LruCache(MAX_SESSION_IDS); // Thunderbird message id -> verdict

  async function stored() {
    if (optsCache && now() - optsCache.at < 2000) return optsCache.stored;
    let s = {};
    try {
      s = await browser.storage.local.get(Object.keys(ARRIVAL_DEFAULTS).concat(["language"]));
    } catch (e) {
      log.warn?.("minuku: storage unavailable", e);
    }
    optsCache = { at: now(), stored: s };
    return s;
  }

  async function arrivalOptions() {
    return normalizeArrivalOptions(await stored());
  }

  // The wire options per account, re-read at most every 2 s (and at once after a change):
  // reading them means a storage round trip, too slow to repeat for every mail of a folder.
  let wireCache = new Map(); // accountId -> {at, value}
  async function wireOptions(accountId) {
    const hit = wireCache.get(accountId);
    if (hit && now() - hit.at < 2000) return hit.value;
    const value = await getOptions(accountId);
    wireCache.set(accountId, { at: now(), value });
    return value;
  }

  // ------------------------------------------------------------------ memory in flight

  let bytesInFlight = 0;
  let bytesWaiters = [];
  /** Wait until `n` more bytes fit (one message always does), then count them. */
  async function reserveBytes(n) {
    while (bytesInFlight > 0 && bytesInFlight + n > MAX_INFLIGHT_BYTES) {
      await new Promise((r) => bytesWaiters.push(r));
    }
    bytesInFlight += n;
  }
  function releaseBytes(n) {
    bytesInFlight -= n;
    const w = bytesWaiters;
    bytesWaiters = [];
    for (const r of w) r();
  }

  // ------------------------------------------------------------------ priority

  /** The display path runs `p` (a check of the displayed message): background work waits. */
  function foreground(p) {
    foregroundCount += 1;
    if (!foregroundIdle) {
      let resolve;
      const promise = new Promise((r) => (resolve = r));
      foregroundIdle = { promise, resolve };
    }
    const end = () => {
      foregroundCount -= 1;
      foregroundEnded = now();
      if (foregroundCount === 0 && foregroundIdle) {
        foregroundIdle.resolve();
        foregroundIdle = null;
      }
    };
    Promise.resolve(p).then(end, end);
    return p;
  }

  function inFlight() {
    return foregroundCount > 0 || now() - foregroundEnded < READING_MS ? 1 : IN_FLIGHT;
  }

  async function waitForeground() {
    for (;;) {
      while (foregroundIdle) await foregroundIdle.promise;
      const quiet = foregroundEnded + GRACE_MS - now();
      if (quiet <= 0) return;
      await new Promise((r) => setTimeout(r, quiet));
    }
  }

  // ------------------------------------------------------------------ persistence

  async function saveState() {
    try {
      await storage.set({
        [JOBS_KEY]: jobs.slice(-MAX_JOBS),
        [PENDING_KEY]: pending.slice(0, MAX_PENDING).map(({ folderId, mid }) => ({ folderId, mid })),
      });
    } catch (e) {
      log.warn?.("minuku: could not keep the background queue", e);
    }
  }

  async function loadState() {
    const j = (await storage.get(JOBS_KEY))?.[JOBS_KEY];
    const p = (await storage.get(PENDING_KEY))?.[PENDING_KEY];
    jobs = Array.isArray(j) ? j.filter((x) => x && typeof x.folderId === "string").slice(-MAX_JOBS) : [];
    // Message ids live for one session: mail that was waiting is found again by Message-ID.
    pending = [];
    for (const x of Array.isArray(p) ? p.slice(0, MAX_PENDING) : []) {
      if (typeof x?.folderId !== "string" || typeof x?.mid !== "string") continue;
      pending.push({ id: null, folderId: x.folderId, mid: x.mid });
    }
  }

  // ------------------------------------------------------------------ checking one message

  /** When new mail ``h`` was queued for its arrival check, if it is still waiting for it, else
   * null. A queue kept across a restart has no time: it came long ago. */
  function queuedAt(h) {
    const item = pending.find(
      (x) => x.id === h.id || (!Number.isInteger(x.id) && x.mid && x.mid === h.headerMessageId && x.folderId === h.folder?.id),
    );
    return item ? (item.at ?? 0) : null;
  }

  async function resolveId(item) {
    if (Number.isInteger(item.id)) return item.id;
    try {
      const page = await browser.messages.query({ folderId: item.folderId, headerMessageId: item.mid });
      return messagesOf(page)[0]?.id ?? null;
    } catch {
      return null;
    }
  }

  async function moveToJunk(h) {
    const f = h.folder;
    if (!f?.accountId) return false;
    const uses = Array.isArray(f.specialUse) ? f.specialUse : [];
    if (uses.some((u) => NEVER_MOVE_FROM.includes(u))) return false;
    const junk = await junkFolderOf(browser, f.accountId);
    if (!junk) {
      log.warn?.(`minuku: account ${f.accountId} has no Junk folder; the message stays where it is`);
      return false;
    }
    await browser.messages.move([h.id], junk.id);
    return true;
  }

  async function ensureTagsOnce(locale) {
    tagsReady ??= (async () => {
      const t = translate(locale);
      await ensureTags(browser.messages.tags, { danger: t("tagDanger"), warning: t("tagWarning") });
    })().catch((e) => {
      tagsReady = null;
      throw e;
    });
    return tagsReady;
  }

  /**
   * The verdict's tag on the message. Nothing is asked of Thunderbird when the header already
   * shows the right tags (most mail: no mark, none wanted). Before a change the header is read
   * again unless `fresh`: one from a list page or a new-mail event may be seconds old, and the
   * new tag list must keep a tag the user added meanwhile.
   */
  async function mark(h, verdict, online, locale, { fresh = false } = {}) {
    try {
      if (nextTags(h.tags, verdict, { online }) === null) return false;
      const cur = fresh ? h : await browser.messages.get(h.id);
      if (verdict === "danger" || verdict === "warning") await ensureTagsOnce(locale);
      return await applyTag(browser.messages, cur, verdict, { online });
    } catch (e) {
      log.warn?.("minuku: could not tag the message", e);
      return false;
    }
  }

  /**
   * Check one message in the background. Returns {verdict, kept, moved} or throws a fatal
   * HostError (host missing / incompatible: no point in going on). `st` (a folder pass's
   * stage times, see STAGES) is added to when given.
   */
  async function checkOne(h, { skipKept, st = null }) {
    // The same message (Thunderbird's id, valid for this session) is never checked twice in a
    // session: a folder pass may reach new mail before the new-mail queue does. A different
    // message is always checked on arrival, whatever its Message-ID, size, date and sender.
    if (checkedIds.has(h.id)) return { verdict: checkedIds.get(h.id), kept: true, moved: false };
    let t = clock();
    const lap = (stage) => {
      const t2 = clock();
      if (st) st[stage] += t2 - t;
      t = t2;
    };
    const fp = await fingerprint(h);
    if (skipKept && fp) {
      const kept = await store.get(fp);
      if (kept) {
        lap("fp");
        return { verdict: kept.v, kept: true, moved: false };
      }
    }
    const { wire, locale } = await wireOptions(typeof h.folder?.accountId === "string" ? h.folder.accountId : null);
    lap("fp");
    let payload = null;
    // Thunderbird's size (the server's RFC822.SIZE, or the local store's): a message whose
    // size it does not know is read alone.
    const told = Number(h.size);
    let held = Number.isFinite(told) && told > 0 ? Math.min(told, MAX_MESSAGE_BYTES) : MAX_INFLIGHT_BYTES;
    await reserveBytes(held);
    lap("slot");
    try {
      const raw = await browser.messages.getRaw(h.id, { data_format: "BinaryString" });
      lap("getRaw");
      const size = Math.min(typeof raw === "string" ? raw.length : Number(raw?.size) || 0, MAX_MESSAGE_BYTES);
      if (size > held) {
        bytesInFlight += size - held; // bigger than Thunderbird said: counted as it is
        held = size;
      }
      const b64 = await rawToBase64(raw);
      lap("base64");
      if (b64 === null) return { verdict: "unknown", kept: false, moved: false };
      const v = validatePayload(await client.check(b64, { ...wire, sender_lookups: true }));
      lap("host");
      if (!v.ok) return { verdict: "unknown", kept: false, moved: false, error: v.error };
      payload = v.payload;
    } catch (e) {
      if (e instanceof HostError && FATAL.has(e.code)) throw e;
      return { verdict: "unknown", kept: false, moved: false, error: String(e?.message ?? e) };
    } finally {
      releaseBytes(held);
    }
    lastError = null; // the host answers again
    checkedIds.set(h.id, payload.verdict);
    // What the receiving server calls itself teaches the account's authserv-id, as an opened
    // mail does (written with the results, not once per mail).
    if (typeof h.folder?.accountId === "string") {
      learning.record(h.folder.accountId, {
        id: payload.receiving_authserv_id,
        domain: senderDomain(h.author),
        messageId: Number.isInteger(h.id) ? h.id : null,
      });
    }
    const online = wire.offline !== true && payload.dns_status === "ok";
    // One line per background check, without anything from the mail (tests count them).
    log.info?.(`minuku: background check: ${payload.verdict}${online ? "" : " (offline)"}`);
    if (fp) await store.put(fp, { verdict: payload.verdict, online, payload });
    sinceFlush += 1;
    if (sinceFlush >= CHUNK) {
      sinceFlush = 0;
      store.flush().catch((e) => log.warn?.("minuku: could not keep results", e));
    }
    lap("store");
    await mark(h, payload.verdict, online, locale);
    let moved = false;
    if (payload.verdict === "danger" && (await arrivalOptions()).moveDangerToJunk) {
      try {
        moved = await moveToJunk(h);
      } catch (e) {
        log.warn?.("minuku: could not move the message to Junk", e);
      }
    }
    lap("tag");
    return { verdict: payload.verdict, kept: false, moved };
  }

  // ------------------------------------------------------------------ menus

  // Menu items speak Minuku's language option, as the tags and the banner do (not
  // Thunderbird's interface language, which browser.i18n follows).
  async function menuTranslator() {
    try {
      const { locale } = await wireOptions(null);
      const t = translate(locale);
      return (k) => t(k) || browser.i18n.getMessage(k);
    } catch {
      return (k) => browser.i18n.getMessage(k);
    }
  }

  async function relabelMenus() {
    const t = await menuTranslator();
    await browser.menus?.update?.(MENU_CHECK_FOLDER, { title: t("menuCheckFolder") });
    await browser.menus?.update?.(MENU_PAUSE, { title: t("menuPauseBackground") });
  }

  // ------------------------------------------------------------------ the queue

  // Results and the queue are written at most once a second during a folder pass or a burst of new mail, one write
  // at a time and without holding the pass up (the checks go on while IndexedDB writes).
  let persisting = null;
  let lastPersist = -Infinity;
  function persistSoon() {
    if (persisting || now() - lastPersist < 1000) return;
    lastPersist = now();
    persisting = (async () => {
      try {
        await store.flush();
      } catch (e) {
        log.warn?.("minuku: could not keep results", e);
      }
      await saveState();
      await learning.flush();
    })().finally(() => (persisting = null));
  }

  /** Check the new mail waiting, inFlight() at a time, as one sliding window. */
  async function drainNew() {
    const running = new Set();
    const failed = [];
    let fatal = null;
    while (pending.length && !paused && !fatal) {
      await waitForeground();
      while (running.size >= inFlight()) await Promise.race(running);
      if (paused || fatal || !pending.length) break;
      const item = pending.shift();
      const p = (async () => {
        // The event's own header while it is recent (reading it again costs Thunderbird as
        // much as the rest of the check's API calls); mark() reads it afresh before a change.
        let h = item.h && now() - item.at < FRESH_MS ? item.h : null;
        if (!h) {
          const id = await resolveId(item);
          if (id === null) return;
          try {
            h = await browser.messages.get(id);
          } catch {
            return; // gone meanwhile
          }
        }
        await checkOne(h, { skipKept: false });
      })().catch((e) => {
        failed.push(item);
        fatal ??= e;
      });
      const tracked = p.finally(() => running.delete(tracked));
      running.add(tracked);
      persistSoon();
    }
    await Promise.all(running);
    if (fatal) {
      // No host (or an incompatible one): nothing is lost, the mail waits for the next try.
      pending.unshift(...failed);
      await saveState();
      throw fatal;
    }
    if (pending.length === 0) await saveState();
  }

  function newJob(folder) {
    return {
      folderId: folder.id,
      accountId: folder.accountId ?? null,
      name: String(folder.name ?? folder.path ?? folder.id).slice(0, 200),
      total: null,
      done: 0,
      kept: 0,
      moved: 0,
      counts: emptyCounts(),
      rows: [],
      state: "running",
      error: null,
      startedAt: now(),
      finishedAt: null,
      pass: 0,
    };
  }

  function count(job, h, r) {
    job.done += 1;
    if (r.kept) job.kept += 1;
    if (r.moved) job.moved += 1;
    const v = Object.hasOwn(job.counts, r.verdict) ? r.verdict : "unknown";
    job.counts[v] += 1;
    if ((v === "danger" || v === "warning") && job.rows.length < MAX_ROWS) {
      job.rows.push({
        verdict: v,
        subject: String(h.subject ?? "").slice(0, 300),
        author: String(h.author ?? "").slice(0, 300),
        date: h.date ? new Date(h.date).toISOString() : "",
        moved: r.moved,
      });
    }
  }

  /** One pass over a folder; returns when done, paused or stopped by a fatal error. */
  async function runJob(job) {
    // Every pass counts the whole folder afresh; what was kept is only looked up.
    Object.assign(job, { done: 0, kept: 0, moved: 0, counts: emptyCounts(), rows: [], pass: job.pass + 1 });
    const st = emptyStages();
    job.stages = st;
    try {
      job.total = (await browser.folders.getFolderInfo(job.folderId))?.totalMessageCount ?? null;
    } catch {
      job.total = null;
    }
    let t = clock();
    let page;
    try {
      page = await browser.messages.list(job.folderId);
    } catch (e) {
      Object.assign(job, { state: "error", error: String(e?.message ?? e), finishedAt: now() });
      return;
    }
    st.list += clock() - t;
    // One pipeline over the whole folder: the next page is asked for while this one's checks
    // run, and a page's end never waits for its last checks. At most two pages of headers
    // (Thunderbird's pages are 100) and inFlight() checks are held at any time.
    const running = new Set();
    const settle = async () => {
      t = clock();
      await Promise.all(running);
      st.slot += clock() - t;
    };
    for (;;) {
      const next = page?.id ? browser.messages.continueList(page.id) : null;
      next?.catch(() => {}); // awaited below, or abandoned with its list when stopping
      for (const h of messagesOf(page)) {
        if (pending.length) {
          await settle();
          await drainNew(); // new mail goes before the rest of a folder
        }
        if (paused || job.state !== "running") break;
        await waitForeground();
        t = clock();
        while (running.size >= inFlight()) await Promise.race(running);
        st.slot += clock() - t;
        const p = checkOne(h, { skipKept: true, st }).then(
          (r) => count(job, h, r),
          (e) => {
            // The host is missing or incompatible: the folder check stops here and goes on
            // at the next start (or the next new mail), where it left off.
            Object.assign(job, { state: "error", error: String(e?.message ?? e), hostFailed: true, finishedAt: now() });
            lastError = job.error;
          },
        );
        const tracked = p.finally(() => running.delete(tracked));
        running.add(tracked);
        persistSoon();
      }
      if (paused || job.state !== "running" || !next) {
        await settle();
        if (next) {
          const rest = await next.catch(() => null);
          if (rest?.id) browser.messages.abortList?.(rest.id)?.catch?.(() => {});
        }
        if (paused || job.state !== "running") return;
        break;
      }
      t = clock();
      page = await next;
      st.list += clock() - t;
    }
    Object.assign(job, { state: "done", finishedAt: now() });
    log.info?.(`minuku: folder check done: ${job.done} messages, ${job.kept} checked before`);
    log.info?.(`minuku: folder check stages, ms per message: ${stagesLine(st, job.done)}; ${job.finishedAt - job.startedAt} ms in all`);
  }

  function pump() {
    pumping ??= (async () => {
      try {
        await started;
        for (;;) {
          if (paused) break;
          await drainNew();
          if (paused) break;
          for (const j of jobs) {
            if (j.state === "error" && j.hostFailed && j !== lastFailedJob) Object.assign(j, { state: "running", error: null, hostFailed: false });
          }
          const job = jobs.find((j) => j.state === "running");
          if (!job) break;
          await runJob(job);
          await store.flush();
          await saveState();
          if (job.hostFailed) {
            lastFailedJob = job; // not again in this pump: the next trigger tries again
            break;
          }
        }
      } catch (e) {
        lastError = String(e?.message ?? e);
        log.warn?.("minuku: background checking stopped", e);
      } finally {
        await store.flush().catch(() => {});
        await saveState();
        await learning.flush();
        pumping = null;
        lastFailedJob = null;
      }
    })();
    return pumping;
  }

  function enqueueFolder(folder) {
    const existing = jobs.find((j) => j.folderId === folder.id && j.state === "running");
    if (existing) return existing;
    const job = newJob(folder);
    jobs = [...jobs.filter((j) => j.folderId !== folder.id), job].slice(-MAX_JOBS);
    return job;
  }

  return {
    store,
    foreground,
    mergeAtOpen,

    /** Load what an earlier session left (kept results, folder checks, waiting mail) and go on. */
    start() {
      started ??= (async () => {
        await store.load();
        await loadState();
        paused = (await arrivalOptions()).arrivalPaused;
      })().catch((e) => log.warn?.("minuku: could not load the background queue", e));
      return started.then(() => (paused ? null : pump()));
    },

    /** messages.onNewMailReceived */
    async onNewMail(folder, list) {
      await started;
      if (!(await arrivalOptions()).arrivalCheck) return;
      let page = list;
      for (;;) {
        let overflow = false;
        for (const m of messagesOf(page)) {
          if (pending.length >= MAX_PENDING) {
            overflow = true;
            break;
          }
          // Bounded as a header line may be (RFC 5322 §2.1.1): the kept queue stays small.
          const mid = String(m.headerMessageId ?? "").slice(0, 998);
          pending.push({ id: m.id, folderId: folder?.id ?? m.folder?.id ?? "", mid, h: m, at: now() });
        }
        if (overflow) {
          // Too much at once: the whole folder is checked instead (what is kept is skipped),
          // and the rest of this list is not read: every header of a page costs Thunderbird a
          // conversion (~0.4 ms of its main thread), and the folder pass reads them anyway.
          if (folder?.id) enqueueFolder(folder);
          if (page?.id) browser.messages.abortList?.(page.id)?.catch?.(() => {});
          break;
        }
        if (!page?.id) break;
        page = await browser.messages.continueList(page.id);
      }
      await saveState();
      if (!paused) await pump();
    },

    /** "Check this folder" */
    async checkFolder(folder) {
      await started;
      if (!folder?.id) return null;
      const job = enqueueFolder(folder);
      await saveState();
      if (!paused) pump();
      return job;
    },

    async setPaused(value) {
      await started;
      paused = value === true;
      optsCache = null;
      wireCache = new Map();
      await browser.storage.local.set({ arrivalPaused: paused });
      if (!paused) pump();
    },

    /** storage.onChanged (the options page or another window changed an option). */
    onStorageChanged(changes) {
      optsCache = null;
      wireCache = new Map();
      if ("language" in changes) {
        tagsReady = null; // rename our tags in the new language, and the menu items now
        relabelMenus().catch((e) => log.warn?.("minuku: menus", e));
      }
      if ("arrivalPaused" in changes) {
        paused = changes.arrivalPaused.newValue === true;
        browser.menus?.update?.(MENU_PAUSE, { checked: paused })?.catch?.(() => {});
        if (!paused) pump();
      }
    },

    /** Idle: nothing running (tests). */
    idle: () => pumping ?? Promise.resolve(),

    status() {
      return {
        paused,
        pending: pending.length,
        kept: store.size,
        lastError,
        jobs: jobs.map((j) => ({ ...j, rows: j.rows.slice(0, MAX_ROWS) })),
      };
    },

    // -------------------------------------------------------------- opening a mail

    /**
     * Before the displayed message's check: may it ask about the sender's own names? Not when
     * it was checked online on arrival, nor when the user said never, nor when it is new mail
     * still waiting for its arrival check well after it came (paused, no host, a long queue).
     * @returns {Promise<{restricted: boolean, fp: string|null, kept: object|null}>}
     */
    async planOpening(messageId) {
      await started;
      const opts = await arrivalOptions();
      let fp = null;
      let kept = null;
      let late = false;
      try {
        const h = await browser.messages.get(messageId);
        fp = await fingerprint(h);
        kept = fp ? await store.get(fp) : null;
        const at = queuedAt(h);
        late = at !== null && now() - at > ARRIVAL_MOMENT_MS;
      } catch {
        // no header: treated as never checked
      }
      return { restricted: opts.neverSenderLookupsOnOpen || kept?.o === true || late, fp, kept };
    },

    /** After it: the payload to show; the tag follows the merged verdict. */
    async settleOpening(messageId, payload, plan, wire) {
      const keptPayload = plan.kept && plan.fp ? await store.payload(plan.fp) : null;
      const merged = mergeAtOpen(payload, plan.kept, keptPayload, plan);
      const online = wire.offline !== true && payload.dns_status === "ok";
      try {
        const h = await browser.messages.get(messageId);
        // Only background checks keep a record: what the display path finds changes the mark
        // in the list but not how the mail is checked the next time it is opened.
        await mark(h, merged.verdict, online, payload.locale, { fresh: true });
      } catch (e) {
        log.warn?.("minuku: could not record the opening check", e);
      }
      return merged.payload;
    },

    // -------------------------------------------------------------- menus

    async createMenus() {
      const t = await menuTranslator();
      browser.menus.create({ id: MENU_CHECK_FOLDER, contexts: ["folder_pane"], title: t("menuCheckFolder") });
      browser.menus.create({
        id: MENU_PAUSE,
        type: "checkbox",
        checked: (await arrivalOptions()).arrivalPaused,
        contexts: ["folder_pane", "tools_menu"],
        title: t("menuPauseBackground"),
      });
    },

    async onMenuClicked(info) {
      if (info?.menuItemId === MENU_PAUSE) {
        await this.setPaused(info.checked === true);
        return;
      }
      if (info?.menuItemId !== MENU_CHECK_FOLDER) return;
      const folder = (Array.isArray(info.selectedFolders) ? info.selectedFolders[0] : null) ?? info.displayedFolder;
      if (!folder?.id || folder.isRoot || folder.isVirtual) return;
      await this.checkFolder(folder);
      const url = `${browser.runtime.getURL("scan.html")}#${encodeURIComponent(folder.id)}`;
      await browser.windows.create({ type: "popup", url, width: 720, height: 560 });
    },

    /** runtime.onMessage for the progress page ("minukuArrival:" messages). */
    onRuntimeMessage(msg) {
      if (msg?.type === "minukuArrival:status") return Promise.resolve(this.status());
      if (msg?.type === "minukuArrival:pause") return this.setPaused(msg.paused === true).then(() => this.status());
      return undefined;
    },
  };
}
