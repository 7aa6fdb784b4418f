// Banners the add-on makes itself when the host cannot answer: missing, crashed, too old, too
// slow, or it answered with an error. They have the BannerPayload shape with verdict "unknown"
// and say what to do (./install.sh, `minuku doctor`): the reader is never left with silence.

export const LOCAL_KINDS = [
  "host_missing",
  "host_crashed",
  "host_incompatible",
  "timeout",
  "host_error",
  "message_too_large",
  "read_failed",
];

// Which fix steps each failure needs (keys into _locales).
const FIXES = {
  host_missing: ["fixInstall", "fixDoctor"],
  host_crashed: ["fixDoctor", "fixInstall"],
  host_incompatible: ["fixUpdate", "fixDoctor"],
  timeout: ["fixRetry", "fixOffline", "fixDoctor"],
  host_error: ["fixRetry", "fixDoctor"],
  message_too_large: ["fixTooLarge"],
  read_failed: ["fixRetry"],
};

const PREFIX = {
  host_missing: "localHostMissing",
  host_crashed: "localHostCrashed",
  host_incompatible: "localHostIncompatible",
  timeout: "localTimeout",
  host_error: "localHostError",
  message_too_large: "localTooLarge",
  read_failed: "localReadFailed",
};

/** Map a HostError (see hostclient.js) to a local banner kind. */
export function kindForError(err) {
  switch (err?.code) {
    case "host_missing":
    case "host_crashed":
    case "host_incompatible":
    case "timeout":
      return err.code;
    case "host_error":
      if (err.details?.hostCode === "message_too_large") return "message_too_large";
      if (err.details?.hostCode === "unsupported_version") return "host_incompatible";
      return "host_error";
    default:
      return "host_error";
  }
}

/**
 * @param {string} kind one of LOCAL_KINDS
 * @param {{t: (key: string, subs?: string[]) => string, locale: "ja"|"en", offline?: boolean,
 *   detail?: string, hostVersion?: string, addonVersion?: string}} o
 */
export function localPayload(kind, { t, locale, offline = false, detail = "", hostVersion = "", addonVersion = "" }) {
  const k = PREFIX[kind] ? kind : "host_error";
  const prefix = PREFIX[k];
  const evidence = [];
  if (detail) evidence.push(String(detail).slice(0, 500));
  if (k === "host_incompatible") {
    evidence.push(t("evidenceVersions", [hostVersion || "?", addonVersion || "?"]));
  }
  return {
    verdict: "unknown",
    brand: null,
    title: t(`${prefix}Title`),
    summary: t(`${prefix}Summary`),
    reasons: [{ code: `addon_${k}`, severity: "info", text: t(`${prefix}Reason`), evidence }],
    auth: { lines: [], receiving_server: [], disagreements: [], unchecked: [] },
    advice: FIXES[k].map((key) => ({ text: t(key), url: null })),
    locale,
    host_version: hostVersion,
    offline,
    verified: false,
    dns_status: offline ? "offline" : "ok",
    receiving_authserv_id: null,
    origin: "addon",
  };
}
