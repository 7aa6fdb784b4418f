// What the banner shows for a verdict (issues 7.8 and 9), decided in the background so the
// banner script stays a dumb renderer. Gmail and Yahoo! JAPAN stay quiet on ordinary mail; so
// do we:
// - `ok` without `verified`: nothing was found, but nothing was proven either. Quiet; with
//   "show OK" on, one small neutral line that says the sender could not be verified.
// - `ok` with `verified` and a brand: a small verified mark (one line, not a banner), worded
//   as verified. Verified mail without a brand: quiet (with "show OK": the same mark).
// - DNS failing or lying (dns_status): nothing can be verified, so never "verified" or "no
//   problems"; whatever is shown says DNS is unavailable and suggests offline mode.
// - every other verdict: shown as it is (plus the DNS line when DNS failed).
// - a provisional answer (the local, no-DNS part while DNS is still being asked, issue 9.1):
//   only what needs no DNS to be believed is shown (danger, warning, caution found locally);
//   everything else waits for the full answer, so calm mail never flashes a banner.
// An explicit "check this" always shows its answer: the user asked.

export const TONES = ["verdict", "verified", "neutral"];
// Verdicts whose banner speaks (role=alert) and protects (links inert under danger).
export const ALERTING = ["danger", "warning"];

/** @param {object} payload a validated payload (payload.js) */
export function dnsProblem(payload) {
  return payload?.dns_status === "failing" || payload?.dns_status === "lying" ? payload.dns_status : null;
}

/**
 * @param {object} payload a validated payload
 * @param {{showOk?: boolean, explicit?: boolean, pending?: boolean, trusted?: boolean,
 *   dismissed?: boolean}} [o] pending: a provisional local answer, the full one is coming;
 *   trusted: the user trusts this sender (quiets caution/unknown, never danger/warning);
 *   dismissed: the user closed this message's banner (a one-line reminder remains)
 * @returns {{show: boolean, tone: "verdict"|"verified"|"neutral", dns: "failing"|"lying"|null,
 *   compact: boolean, pending: boolean, protect: boolean, mini: boolean}}
 */
export function decideDisplay(payload, { showOk = false, explicit = false, pending = false, trusted = false, dismissed = false } = {}) {
  const dns = dnsProblem(payload);
  const verdict = payload?.verdict;
  const base = { dns, compact: false, pending, protect: verdict === "danger", mini: dismissed };
  if (pending) {
    const local = payload?.origin !== "addon" && ["danger", "warning", "caution"].includes(verdict);
    return { ...base, show: local || explicit, tone: "verdict", dns: null };
  }
  if (verdict !== "ok") {
    const quietTrusted = trusted && !explicit && (verdict === "caution" || verdict === "unknown");
    return { ...base, show: !quietTrusted, tone: "verdict" };
  }
  if (payload.verified === true && !dns) {
    const brand = Boolean(payload.brand && payload.brand.name);
    return { ...base, show: brand || showOk || explicit, tone: "verified", compact: true, mini: false };
  }
  return { ...base, show: showOk || explicit, tone: "neutral", compact: !dns, mini: false };
}

/**
 * The refined answer for a message from its local (no-DNS) and full answers (issue 9.1): the
 * full answer refines the local one but never downgrades a local `danger`; an add-on error in
 * place of the full answer (timeout, host gone) does not erase a local finding either.
 * @param {object|null} local validated payload of the offline check (or null)
 * @param {object} full validated payload of the full check
 */
export function refine(local, full) {
  if (!local || local.origin === "addon") return full;
  const rank = { danger: 4, warning: 3, caution: 2, unknown: 1, ok: 0 };
  if (local.verdict === "danger" && full.verdict !== "danger") {
    // The local finding stands; the full answer's authentication still fills the details.
    return full.origin === "addon" ? local : { ...local, auth: full.auth, dns_status: full.dns_status };
  }
  if (full.origin === "addon" && (rank[local.verdict] ?? 0) >= rank.caution) return local;
  return full;
}

/** The toolbar button's badge for a verdict (issue 9.5): text and colour, or null (none). */
export function badgeFor(payload, display) {
  if (!payload || !display) return null;
  if (display.tone === "verified") return { text: "✓", color: "#1b5e20" };
  switch (payload.verdict) {
    case "danger":
      return { text: "!", color: "#b71c1c" };
    case "warning":
      return { text: "!", color: "#a33f00" };
    case "caution":
      return { text: "?", color: "#6d5200" };
    default:
      return null;
  }
}
