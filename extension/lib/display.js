// What the banner shows for a verdict (issue 7.8), decided in the background so the banner
// script stays a dumb renderer. Gmail and Yahoo! JAPAN stay quiet on ordinary mail; so do we:
// - `ok` without `verified`: nothing was found, but nothing was proven either. Quiet; with
//   "show OK" on, one small neutral line that says the sender could not be verified.
// - `ok` with `verified`: quiet; with "show OK" on, the green "verified" banner.
// - DNS failing or lying (dns_status): nothing can be verified, so never "verified" or "no
//   problems"; whatever is shown says DNS is unavailable and suggests offline mode.
// - every other verdict: shown as it is (plus the DNS line when DNS failed).
// An explicit "check this" always shows its answer: the user asked.

export const TONES = ["verdict", "verified", "neutral"];

/** @param {object} payload a validated payload (payload.js) */
export function dnsProblem(payload) {
  return payload?.dns_status === "failing" || payload?.dns_status === "lying" ? payload.dns_status : null;
}

/**
 * @param {object} payload a validated payload
 * @param {{showOk?: boolean, explicit?: boolean}} [o]
 * @returns {{show: boolean, tone: "verdict"|"verified"|"neutral", dns: "failing"|"lying"|null}}
 */
export function decideDisplay(payload, { showOk = false, explicit = false } = {}) {
  const dns = dnsProblem(payload);
  if (payload?.verdict !== "ok") return { show: true, tone: "verdict", dns };
  const tone = payload.verified === true && !dns ? "verified" : "neutral";
  return { show: showOk || explicit, tone, dns };
}
