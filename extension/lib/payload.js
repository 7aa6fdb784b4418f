// Validation of the host's BannerPayload (schema: extension/wire-schema.json, from
// host/minuku/wire.py). The banner is a dumb renderer: it only ever sees what passed through
// here, a fresh object holding known fields with the right types. Unknown fields are dropped.

export const VERDICTS = ["danger", "warning", "caution", "ok", "unknown"];
export const SEVERITIES = ["danger", "warning", "caution", "info"];
export const AUTH_METHODS = ["spf", "dkim", "dmarc", "arc"];
export const LOCALES = ["ja", "en"];
export const DNS_STATUSES = ["ok", "offline", "failing", "lying"];

// Long enough for any real text; short enough that a hostile host cannot flood the pane.
const MAX_TEXT = 4000;
const MAX_ITEMS = 100;

class Invalid extends Error {}

function str(v, where) {
  if (typeof v !== "string") throw new Invalid(`${where}: expected a string`);
  return v.length > MAX_TEXT ? `${v.slice(0, MAX_TEXT)}…` : v;
}

function optStr(v, where) {
  return v === null || v === undefined ? null : str(v, where);
}

function arr(v, where, each) {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Invalid(`${where}: expected an array`);
  return v.slice(0, MAX_ITEMS).map((x, i) => each(x, `${where}[${i}]`));
}

function obj(v, where) {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new Invalid(`${where}: expected an object`);
  }
  return v;
}

// A mailbox the forward may go to: one plain address, nothing a compose window would read as
// several recipients or a display name.
const ADDRESS = /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$/;

/** @returns {string|null} the address when it is one plain mailbox, else null */
export function reportAddress(v) {
  return typeof v === "string" && v.length <= 254 && ADDRESS.test(v) ? v : null;
}

function oneOf(v, allowed, where) {
  if (!allowed.includes(v)) throw new Invalid(`${where}: unexpected value`);
  return v;
}

/**
 * @param {unknown} raw
 * @returns {{ok: true, payload: object} | {ok: false, error: string}}
 */
export function validatePayload(raw) {
  try {
    const p = obj(raw, "payload");
    const auth = obj(p.auth, "auth");
    const payload = {
      verdict: oneOf(p.verdict, VERDICTS, "verdict"),
      brand:
        p.brand === null || p.brand === undefined
          ? null
          : {
              id: str(obj(p.brand, "brand").id, "brand.id"),
              name: str(p.brand.name, "brand.name"),
              report_to: reportAddress(p.brand.report_to),
            },
      title: str(p.title, "title"),
      summary: str(p.summary, "summary"),
      reasons: arr(p.reasons, "reasons", (r, w) => ({
        code: str(obj(r, w).code, `${w}.code`),
        severity: oneOf(r.severity, SEVERITIES, `${w}.severity`),
        text: str(r.text, `${w}.text`),
        evidence: arr(r.evidence, `${w}.evidence`, str),
      })),
      auth: {
        lines: arr(auth.lines, "auth.lines", (l, w) => ({
          method: oneOf(obj(l, w).method, AUTH_METHODS, `${w}.method`),
          result: str(l.result, `${w}.result`),
          domain: optStr(l.domain, `${w}.domain`),
          text: str(l.text, `${w}.text`),
          evidence: arr(l.evidence, `${w}.evidence`, str),
        })),
        receiving_server: arr(auth.receiving_server, "auth.receiving_server", (r, w) => {
          const results = obj(obj(r, w).results, `${w}.results`);
          return {
            authserv_id: optStr(r.authserv_id, `${w}.authserv_id`),
            trusted: r.trusted === true,
            results: Object.entries(results)
              .slice(0, MAX_ITEMS)
              .map(([k, v]) => [str(k, `${w}.results`), str(v, `${w}.results.${k}`)]),
          };
        }),
        disagreements: arr(auth.disagreements, "auth.disagreements", str),
        unchecked: arr(auth.unchecked, "auth.unchecked", str),
      },
      advice: arr(p.advice, "advice", (a, w) => ({
        text: str(obj(a, w).text, `${w}.text`),
        url: safeUrl(optStr(a.url, `${w}.url`)),
      })),
      locale: oneOf(p.locale, LOCALES, "locale"),
      host_version: typeof p.host_version === "string" ? str(p.host_version, "host_version") : "",
      offline: p.offline === true,
      // Absent (an older host): not verified. Only a literal true verifies anything.
      verified: p.verified === true,
      dns_status: p.dns_status === undefined ? "ok" : oneOf(p.dns_status, DNS_STATUSES, "dns_status"),
      receiving_authserv_id:
        p.receiving_authserv_id === undefined || p.receiving_authserv_id === null
          ? null
          : str(p.receiving_authserv_id, "receiving_authserv_id").slice(0, 255),
      origin: p.origin === "addon" ? "addon" : "host",
    };
    return { ok: true, payload };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: e.message };
    throw e;
  }
}

/**
 * Only absolute http(s) URLs may be opened; anything else (javascript:, data:, file:) is null.
 * @param {string|null} url
 * @returns {string|null}
 */
export function safeUrl(url) {
  if (typeof url !== "string" || url.length > 2048) return null;
  let u;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return null;
  if (u.username || u.password) return null;
  return u.href;
}
