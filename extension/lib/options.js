// The user's options (storage.local) and their wire form (CheckRequest.options).

export const DEFAULT_OPTIONS = Object.freeze({
  autoCheck: true,
  language: "auto",
  offline: false,
  trustedAuthservIds: [],
  // Quiet by default on ok verdicts, as Gmail and Yahoo! JAPAN are (display.js). Replaces the
  // old hideOk (whose default showed every ok banner).
  showOk: false,
  nameservers: [],
});

const MAX_IDS = 32; // CheckOptions.trusted_authserv_ids maxItems
const MAX_ID_LEN = 255;
export const MAX_NAMESERVERS = 8; // CheckOptions.nameservers maxItems

/** @param {string|string[]} text one authserv-id per line */
export function parseAuthservIds(text) {
  const lines = Array.isArray(text) ? text : String(text ?? "").split(/\r?\n/);
  const out = [];
  for (const line of lines) {
    const id = String(line).trim().toLowerCase();
    if (id && id.length <= MAX_ID_LEN && !out.includes(id)) out.push(id);
    if (out.length >= MAX_IDS) break;
  }
  return out;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function ipv6(text) {
  // The URL parser is the one IPv6 parser both node and Thunderbird have; it rejects zone ids.
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return null;
  try {
    const host = new URL(`http://[${text}]/`).hostname;
    return host.slice(1, -1);
  } catch {
    return null;
  }
}

function port(text) {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : null;
}

/**
 * One DNS server as the user typed it: `IP`, `IPv4:PORT` or `[IPv6]:PORT`.
 * @returns {string|null} the normalized form for the wire, null when it is not valid
 */
export function parseNameserver(line) {
  const s = String(line ?? "").trim();
  if (!s || s.length > 64) return null;
  if (IPV4.test(s)) return s;
  let m = /^([^:\]]+):(\d+)$/.exec(s);
  if (m && IPV4.test(m[1])) {
    const p = port(m[2]);
    return p === null ? null : `${m[1]}:${p}`;
  }
  m = /^\[([^\]]+)\]:(\d+)$/.exec(s);
  if (m) {
    const ip = ipv6(m[1]);
    const p = port(m[2]);
    return ip === null || p === null ? null : `[${ip}]:${p}`;
  }
  m = /^\[([^\]]+)\]$/.exec(s);
  return ipv6(m ? m[1] : s);
}

/**
 * @param {string|string[]} text one server per line (blank lines ignored)
 * @returns {{servers: string[], invalid: string[], tooMany: boolean}}
 */
export function parseNameservers(text) {
  const lines = Array.isArray(text) ? text : String(text ?? "").split(/\r?\n/);
  const servers = [];
  const invalid = [];
  let tooMany = false;
  for (const raw of lines) {
    const line = String(raw).trim();
    if (!line) continue;
    const ns = parseNameserver(line);
    if (ns === null) invalid.push(line.slice(0, 80));
    else if (servers.includes(ns)) continue;
    else if (servers.length >= MAX_NAMESERVERS) tooMany = true;
    else servers.push(ns);
  }
  return { servers, invalid, tooMany };
}

/** @param {object} stored what storage.local.get returned */
export function normalizeOptions(stored) {
  const s = stored ?? {};
  return {
    autoCheck: typeof s.autoCheck === "boolean" ? s.autoCheck : DEFAULT_OPTIONS.autoCheck,
    language: ["auto", "ja", "en"].includes(s.language) ? s.language : DEFAULT_OPTIONS.language,
    offline: s.offline === true,
    trustedAuthservIds: parseAuthservIds(s.trustedAuthservIds ?? []),
    showOk: s.showOk === true,
    nameservers: parseNameservers(Array.isArray(s.nameservers) ? s.nameservers : []).servers,
  };
}

/**
 * @param {ReturnType<typeof normalizeOptions>} opts
 * @param {"ja"|"en"} locale already resolved (see i18n.resolveLocale)
 * @param {string[]} [learnedIds] authserv-ids learned for the message's account (authserv.js)
 */
export function toWireOptions(opts, locale, learnedIds = []) {
  const ids = parseAuthservIds([...opts.trustedAuthservIds, ...learnedIds]);
  return { locale, offline: opts.offline, trusted_authserv_ids: ids, nameservers: [...opts.nameservers] };
}
