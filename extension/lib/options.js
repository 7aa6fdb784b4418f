// The user's options (storage.local) and their wire form (CheckRequest.options).

export const DEFAULT_OPTIONS = Object.freeze({
  autoCheck: true,
  language: "auto",
  offline: false,
  trustedAuthservIds: [],
  hideOk: false,
});

const MAX_IDS = 32; // CheckOptions.trusted_authserv_ids maxItems
const MAX_ID_LEN = 255;

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

/** @param {object} stored what storage.local.get returned */
export function normalizeOptions(stored) {
  const s = stored ?? {};
  return {
    autoCheck: typeof s.autoCheck === "boolean" ? s.autoCheck : DEFAULT_OPTIONS.autoCheck,
    language: ["auto", "ja", "en"].includes(s.language) ? s.language : DEFAULT_OPTIONS.language,
    offline: s.offline === true,
    trustedAuthservIds: parseAuthservIds(s.trustedAuthservIds ?? []),
    hideOk: s.hideOk === true,
  };
}

/**
 * @param {ReturnType<typeof normalizeOptions>} opts
 * @param {"ja"|"en"} locale already resolved (see i18n.resolveLocale)
 */
export function toWireOptions(opts, locale) {
  return { locale, offline: opts.offline, trusted_authserv_ids: [...opts.trustedAuthservIds] };
}
