// Minuku's marks in the message list: two Thunderbird tags (messages.tags API, permission
// messagesTags / messagesTagsList), red for danger and orange for warning, named in the user's
// language. A tag is message metadata (an IMAP keyword on the server, X-Mozilla-Keys in a
// local folder): setting one never changes the message's own headers or body.

export const TAG_KEYS = Object.freeze({ danger: "minuku_danger", warning: "minuku_warning" });
export const TAG_COLORS = Object.freeze({ danger: "#D32F2F", warning: "#EF6C00" });
const OURS = new Set(Object.values(TAG_KEYS));

const RANK = { danger: 2, warning: 1 };

/**
 * The message's tag list after a verdict: ours replaced, the user's own tags untouched.
 * Only an online check may lower or clear our mark: offline, nothing about the sender could be
 * verified, so an offline "ok" says less than an earlier online "danger".
 * @param {string[]} current MessageHeader.tags
 * @param {string} verdict
 * @param {{online?: boolean}} [o]
 * @returns {string[]|null} the new list, or null when nothing changes
 */
export function nextTags(current, verdict, { online = true } = {}) {
  const cur = Array.isArray(current) ? current.filter((t) => typeof t === "string") : [];
  if (!online) {
    const has = Math.max(0, ...cur.map((t) => t.toLowerCase()).map((t) => (t === TAG_KEYS.danger ? 2 : t === TAG_KEYS.warning ? 1 : 0)));
    if ((RANK[verdict] ?? 0) <= has) return null;
  }
  const keep = cur.filter((t) => !OURS.has(t.toLowerCase()));
  const want = Object.hasOwn(TAG_KEYS, verdict) ? [...keep, TAG_KEYS[verdict]] : keep;
  const same = want.length === cur.length && want.every((t) => cur.includes(t));
  return same ? null : want;
}

/**
 * Make sure both tags exist with this language's names (created once; renamed when the user
 * changes language; a colour the user chose is left alone).
 * @param {object} tagsApi browser.messages.tags
 * @param {{danger: string, warning: string}} names
 */
export async function ensureTags(tagsApi, names) {
  let existing = [];
  try {
    existing = await tagsApi.list();
  } catch {
    existing = [];
  }
  const byKey = new Map(existing.map((t) => [String(t.key).toLowerCase(), t]));
  for (const [verdict, key] of Object.entries(TAG_KEYS)) {
    const have = byKey.get(key);
    if (!have) {
      try {
        await tagsApi.create(key, names[verdict], TAG_COLORS[verdict]);
      } catch (e) {
        // Created meanwhile by another call: fine. Anything else is reported by the caller.
        if (!/already|exists|used/i.test(String(e?.message ?? e))) throw e;
      }
    } else if (have.tag !== names[verdict]) {
      await tagsApi.update(key, { tag: names[verdict] });
    }
  }
}

/**
 * Put the verdict's tag on a message (or take ours off). Returns true when it changed.
 * @param {object} messagesApi browser.messages
 * @param {{id: number, tags?: string[]}} header
 * @param {string} verdict
 * @param {{online?: boolean}} [o]
 */
export async function applyTag(messagesApi, header, verdict, { online = true } = {}) {
  const tags = nextTags(header?.tags ?? [], verdict, { online });
  if (tags === null) return false;
  await messagesApi.update(header.id, { tags });
  return true;
}
