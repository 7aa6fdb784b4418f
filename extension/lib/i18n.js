// The add-on's own interface text, in the language the user picked (which may differ from
// Thunderbird's UI language, so browser.i18n.getMessage alone is not enough). Reads the same
// _locales/<lang>/messages.json files; substitutions are positional ($1..$9) as in
// WebExtension i18n. Texts from the host are never looked up here: they arrive rendered.

export const SUPPORTED = ["en", "ja"];

/**
 * @param {Record<string, {message: string}>} messages a parsed messages.json
 * @param {Record<string, {message: string}>} [fallback] English, for a missing key
 * @returns {(key: string, subs?: (string|number)[]) => string}
 */
export function createTranslator(messages, fallback = {}) {
  return (key, subs = []) => {
    const entry = messages[key] ?? fallback[key];
    if (!entry) return key;
    return entry.message.replace(/\$(\$|[1-9])/g, (_, d) =>
      d === "$" ? "$" : String(subs[Number(d) - 1] ?? ""),
    );
  };
}

/**
 * @param {"auto"|"ja"|"en"|string} language the option
 * @param {string} uiLanguage browser.i18n.getUILanguage()
 * @returns {"ja"|"en"}
 */
export function resolveLocale(language, uiLanguage) {
  if (language === "ja" || language === "en") return language;
  return String(uiLanguage ?? "").toLowerCase().startsWith("ja") ? "ja" : "en";
}

// The banner's own labels (the DOM builder gets them as a plain object, in the payload's
// language so that a Japanese report never carries English buttons).
export const BANNER_KEYS = {
  showDetails: "bannerShowDetails",
  hideDetails: "bannerHideDetails",
  dismiss: "bannerDismiss",
  dismissLabel: "bannerDismissLabel",
  reasons: "bannerReasons",
  authentication: "bannerAuthentication",
  receivingServer: "bannerReceivingServer",
  trusted: "bannerTrusted",
  untrusted: "bannerUntrusted",
  disagreements: "bannerDisagreements",
  unchecked: "bannerUnchecked",
  advice: "bannerAdvice",
  openLink: "bannerOpenLink",
  brand: "bannerBrand",
  hostVersion: "bannerHostVersion",
  offline: "bannerOffline",
  verdict_danger: "verdictDanger",
  verdict_warning: "verdictWarning",
  verdict_caution: "verdictCaution",
  verdict_ok: "verdictOk",
  verdict_unknown: "verdictUnknown",
  verdict_verified: "verdictVerified",
  verdict_unverified: "verdictUnverified",
  neutralTitle: "bannerNeutralTitle",
  neutralSummary: "bannerNeutralSummary",
  dnsTitle: "bannerDnsTitle",
  dnsFailing: "bannerDnsFailing",
  dnsLying: "bannerDnsLying",
  severity_danger: "severityDanger",
  severity_warning: "severityWarning",
  severity_caution: "severityCaution",
  severity_info: "severityInfo",
  checking: "bannerChecking",
  noMessage: "popupNoMessage",
  pending: "bannerPending",
  technical: "bannerTechnical",
  regionLabel: "bannerRegionLabel",
  whatNow: "bannerWhatNow",
  whatNowTitle: "bannerWhatNowTitle",
  whatNowOpened: "bannerWhatNowOpened",
  whatNowPassword: "bannerWhatNowPassword",
  whatNowCard: "bannerWhatNowCard",
  whatNowReport: "bannerWhatNowReport",
  report: "bannerReport",
  reportDone: "bannerReportDone",
  reportBrand: "bannerReportBrand",
  reportBrandDone: "bannerReportDone",
  junk: "bannerJunk",
  junkDone: "bannerJunkDone",
  delete: "bannerDelete",
  deleteDone: "bannerDeleteDone",
  trustSender: "bannerTrustSender",
  trustDone: "bannerTrustDone",
  actionFailed: "bannerActionFailed",
  enableLinks: "bannerEnableLinks",
  restore: "bannerRestore",
  guardTitle: "bannerGuardTitle",
  guardText: "bannerGuardText",
  guardShown: "bannerGuardShown",
  guardCancel: "bannerGuardCancel",
  guardOpen: "bannerGuardOpen",
};

/** @param {(key: string) => string} t */
export function bannerStrings(t) {
  const out = {};
  for (const [k, key] of Object.entries(BANNER_KEYS)) out[k] = t(key);
  return out;
}
