// Verdicts of background checks (new mail, "check this folder"), kept by message so that
// (a) opening a mail checked on arrival needs no DNS query about the sender's own names, and
// (b) a folder check interrupted by a restart resumes where it was (what was checked is
// skipped). Kept in storage.local, bounded: at most MAX_GENERATIONS × GENERATION_SIZE
// records, written one generation (≤ GENERATION_SIZE records) at a time so a write never grows
// with the mailbox; the oldest generation is dropped whole when a new one starts.
//
// A record is found by a fingerprint of the message's own identity as Thunderbird shows it
// (Message-ID, size, date, author), never by Thunderbird's per-session message id. The
// fingerprint is a SHA-256 so two mails never share a record by accident. A sender CAN send a
// mail with the same four values as one already checked; what that buys them is bounded: the
// kept verdict only ever makes the displayed verdict worse (arrival.js mergeAtOpen), the mail is
// always checked again when it arrives, and only a folder check would skip it.

export const META_KEY = "arrivalMeta";
export const GEN_PREFIX = "arrivalGen:";
export const PAYLOADS_KEY = "arrivalPayloads";
export const GENERATION_SIZE = 2000;
export const MAX_GENERATIONS = 10;
// Full banner payloads are kept only for danger/warning (what the opening check may need to
// show again), and only the latest few: they are a few KB each.
export const MAX_PAYLOADS = 100;
const MAX_ID_CHARS = 998; // RFC 5322 §2.1.1 line limit: anything longer is cut, not trusted

const SEVERITY = { danger: 4, warning: 3, caution: 2, unknown: 1, ok: 0 };

/** Severity rank of a verdict (unknown verdict strings rank as "unknown"). */
export function severity(verdict) {
  return Object.hasOwn(SEVERITY, verdict) ? SEVERITY[verdict] : SEVERITY.unknown;
}

function hex(buf) {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The record key of a message header (messages.MessageHeader), or null when the header has
 * no Message-ID (such a mail cannot be recognised later, so nothing is kept for it).
 * @param {{headerMessageId?: string, size?: number, date?: Date|string|number, author?: string}} h
 * @param {SubtleCrypto} [subtle]
 */
export async function fingerprint(h, subtle = globalThis.crypto.subtle) {
  const mid = typeof h?.headerMessageId === "string" ? h.headerMessageId.slice(0, MAX_ID_CHARS) : "";
  if (!mid) return null;
  const date = h.date ? new Date(h.date).getTime() : 0;
  const text = [mid, Number(h.size) || 0, Number.isFinite(date) ? date : 0, String(h.author ?? "")].join("\u0000");
  const digest = await subtle.digest("SHA-256", new TextEncoder().encode(text));
  return hex(digest).slice(0, 32); // 128 bits: collisions are not a concern at 20,000 records
}

/** A record as stored: short field names, since thousands are kept. */
function validRecord(r) {
  return (
    r !== null &&
    typeof r === "object" &&
    typeof r.v === "string" &&
    typeof r.o === "boolean" &&
    Number.isFinite(r.t)
  );
}

export class ArrivalStore {
  #storage;
  #now;
  #index = new Map(); // fingerprint -> {rec, gen}
  #gens = []; // generation numbers, oldest first
  #counts = new Map(); // gen -> records in it
  #dirty = new Set(); // generations to write
  #payloads = null; // Map fingerprint -> payload (insertion order = age), loaded lazily
  #payloadsDirty = false;
  #loaded = null;
  #writes = Promise.resolve();

  /**
   * @param {{get: Function, set: Function, remove: Function}} storage browser.storage.local
   * @param {{now?: () => number}} [o]
   */
  constructor(storage, { now = () => Date.now() } = {}) {
    this.#storage = storage;
    this.#now = now;
  }

  /** Load what earlier sessions kept (once). */
  load() {
    this.#loaded ??= (async () => {
      const meta = (await this.#storage.get(META_KEY))?.[META_KEY];
      const gens = Array.isArray(meta?.gens) ? meta.gens.filter(Number.isInteger).slice(-MAX_GENERATIONS) : [];
      for (const gen of gens) {
        const key = GEN_PREFIX + gen;
        const entries = (await this.#storage.get(key))?.[key];
        let n = 0;
        if (entries && typeof entries === "object") {
          for (const [fp, rec] of Object.entries(entries)) {
            if (/^[0-9a-f]{32}$/.test(fp) && validRecord(rec)) {
              this.#index.set(fp, { rec, gen });
              n += 1;
            }
          }
        }
        this.#gens.push(gen);
        this.#counts.set(gen, n);
      }
    })();
    return this.#loaded;
  }

  get size() {
    return this.#index.size;
  }

  /** @returns {Promise<{v: string, o: boolean, t: number}|null>} */
  async get(fp) {
    await this.load();
    return fp ? (this.#index.get(fp)?.rec ?? null) : null;
  }

  async has(fp) {
    await this.load();
    return fp ? this.#index.has(fp) : false;
  }

  /** The kept banner payload of a danger/warning record, or null. */
  async payload(fp) {
    await this.#loadPayloads();
    return this.#payloads.get(fp) ?? null;
  }

  /**
   * Keep a verdict. Written on the next flush().
   * @param {string} fp
   * @param {{verdict: string, online: boolean, payload?: object}} r
   */
  async put(fp, { verdict, online, payload }) {
    await this.load();
    if (!fp) return;
    const old = this.#index.get(fp);
    if (old) {
      // Re-checked: the record moves to the current generation (it is fresh again).
      this.#counts.set(old.gen, (this.#counts.get(old.gen) ?? 1) - 1);
      this.#dirty.add(old.gen);
      this.#index.delete(fp);
    }
    let gen = this.#gens.at(-1);
    if (gen === undefined || (this.#counts.get(gen) ?? 0) >= GENERATION_SIZE) gen = this.#startGeneration();
    this.#index.set(fp, { rec: { v: String(verdict), o: online === true, t: Math.floor(this.#now() / 1000) }, gen });
    this.#counts.set(gen, (this.#counts.get(gen) ?? 0) + 1);
    this.#dirty.add(gen);
    if (payload && severity(verdict) >= severity("warning")) {
      await this.#loadPayloads();
      this.#payloads.delete(fp);
      this.#payloads.set(fp, payload);
      while (this.#payloads.size > MAX_PAYLOADS) this.#payloads.delete(this.#payloads.keys().next().value);
      this.#payloadsDirty = true;
    } else if (old && this.#payloads?.has(fp)) {
      this.#payloads.delete(fp);
      this.#payloadsDirty = true;
    }
  }

  #startGeneration() {
    const gen = (this.#gens.at(-1) ?? 0) + 1;
    this.#gens.push(gen);
    this.#counts.set(gen, 0);
    while (this.#gens.length > MAX_GENERATIONS) {
      const dropped = this.#gens.shift();
      for (const [fp, e] of this.#index) if (e.gen === dropped) this.#index.delete(fp);
      this.#counts.delete(dropped);
      this.#dirty.add(dropped); // written as a removal
    }
    return gen;
  }

  /** Write the changed generations (never more than a few thousand records at once). */
  flush() {
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    const payloadsDirty = this.#payloadsDirty;
    this.#payloadsDirty = false;
    this.#writes = this.#writes.then(async () => {
      const sets = {};
      const removes = [];
      for (const gen of dirty) {
        if (!this.#counts.has(gen)) {
          removes.push(GEN_PREFIX + gen);
          continue;
        }
        const entries = {};
        for (const [fp, e] of this.#index) if (e.gen === gen) entries[fp] = e.rec;
        sets[GEN_PREFIX + gen] = entries;
      }
      if (dirty.length) sets[META_KEY] = { gens: [...this.#gens] };
      if (payloadsDirty) sets[PAYLOADS_KEY] = Object.fromEntries(this.#payloads);
      if (Object.keys(sets).length) await this.#storage.set(sets);
      if (removes.length) await this.#storage.remove(removes);
    });
    const done = this.#writes;
    this.#writes = done.catch(() => {}); // one failed write does not block the next ones
    return done;
  }

  async #loadPayloads() {
    if (this.#payloads) return;
    const stored = (await this.#storage.get(PAYLOADS_KEY))?.[PAYLOADS_KEY];
    const map = new Map();
    if (stored && typeof stored === "object") {
      for (const [fp, p] of Object.entries(stored).slice(-MAX_PAYLOADS)) {
        if (/^[0-9a-f]{32}$/.test(fp) && p && typeof p === "object") map.set(fp, p);
      }
    }
    this.#payloads ??= map;
  }
}
