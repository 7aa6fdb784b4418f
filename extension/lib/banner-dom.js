// The banner and the report, as DOM, from an already validated BannerPayload (payload.js).
// A pure builder: it takes the `document` to build in, and only ever uses createElement with
// constant tag names, textContent for every text from the payload, and constant attribute
// values (payload text never becomes markup, an element or an attribute). Everything lives in
// a closed Shadow DOM.
//
// The in-message banner must survive the mail's own CSS (issue 8.9): the mail's <style> can
// match the banner's host element (`*`, `div`, `[class]`, `html>*`, ...), its ancestors and its
// pseudo-elements, and can paint `position:fixed` boxes with any z-index. So the banner
// (mountBanner) is a `popover="manual"` shown with showPopover(): the top layer paints above
// every z-index and every fixed box, and its box is not a descendant of the mail's boxes
// (ancestor opacity/transform/clip/overflow do not apply). The host's own properties are
// pinned twice: inline `all: initial !important` + the few we need (inline beats any
// stylesheet rule of the mail, layered or not), and the same as `:host { ... !important }`
// inside the shadow tree (for !important, the inner tree context wins over the outer one).
// The host is a flex container, so the mail's ::first-line/::first-letter do not apply to it;
// its ::before/::after/::backdrop are switched off from inside. Fonts are generic families
// only: a mail's @font-face can redefine any named family (glyph swapping), never a generic.
//
// A classic script, not an ES module: message-display scripts cannot be modules. It defines
// globalThis.MinukuBannerDom; node tests evaluate it with node:vm.
"use strict";

(function (root) {
  const VERDICTS = ["danger", "warning", "caution", "ok", "unknown"];
  const SEVERITIES = ["danger", "warning", "caution", "info"];
  const METHOD_LABEL = { spf: "SPF", dkim: "DKIM", dmarc: "DMARC", arc: "ARC" };
  const ALERTING = ["danger", "warning"];

  // Generic families only (see the top): `system-ui` and `sans-serif` cannot be redefined by
  // the mail's @font-face; with lang="ja" Gecko picks its Japanese sans-serif font.
  // Badge text is checked for contrast >= 4.5:1 (WCAG 1.4.3) against --badge-bg in both
  // schemes by tests/extension/banner-dom.test.mjs, which reads these declarations.
  // Collapsed, the banner takes at most 30% of the pane (issue 9.7); opened, it scrolls
  // inside itself and never covers the whole pane.
  const CSS = `
:host { all: initial; display: block; }
.banner {
  --bg: #eceff1; --fg: #263238; --edge: #546e7a; --badge-bg: #546e7a; --badge-fg: #ffffff; --muted: #455a64;
  font-family: system-ui, sans-serif;
  font-size: 14px; line-height: 1.5; color: var(--fg); background: var(--bg);
  border: 1px solid var(--edge); border-left: 6px solid var(--edge); border-radius: 4px;
  margin: 0; padding: 6px 10px; box-sizing: border-box; text-align: start;
  max-height: 30vh; overflow-y: auto; overscroll-behavior: contain;
}
.banner.open { max-height: 85vh; }
.report .banner, .banner.report { max-height: none; overflow: visible; }
.banner:lang(ja) { font-family: sans-serif; line-height: 1.6; }
.v-danger  { --bg: #fdecea; --fg: #4a0d0d; --edge: #b71c1c; --badge-bg: #b71c1c; --muted: #6d1f1f; }
.v-warning { --bg: #fff3e0; --fg: #3e2000; --edge: #c75000; --badge-bg: #a33f00; --muted: #5d3200; }
.v-caution { --bg: #fffbd6; --fg: #332b00; --edge: #a07800; --badge-bg: #6d5200; --muted: #4d4200; }
.v-ok      { --bg: #f1f8f1; --fg: #173318; --edge: #2e7d32; --badge-bg: #1b5e20; --muted: #2f4f30; }
.t-neutral { --bg: #f5f5f5; --fg: #37474f; --edge: #90a4ae; --badge-bg: #455a64; --muted: #455a64; }
@media (prefers-color-scheme: dark) {
  .banner    { --bg: #263238; --fg: #eceff1; --edge: #90a4ae; --badge-bg: #b0bec5; --badge-fg: #10171a; --muted: #cfd8dc; }
  .v-danger  { --bg: #3d1010; --fg: #ffe4e1; --edge: #ff6f61; --badge-bg: #ff8a80; --muted: #ffc9c2; }
  .v-warning { --bg: #3d2600; --fg: #ffecd1; --edge: #ffa040; --badge-bg: #ffb74d; --muted: #ffd8a8; }
  .v-caution { --bg: #363000; --fg: #fff8c4; --edge: #e6c700; --badge-bg: #ffe57f; --muted: #f2e79a; }
  .v-ok      { --bg: #142a16; --fg: #dcf2dd; --edge: #66bb6a; --badge-bg: #81c784; --muted: #b9dcbb; }
  .t-neutral { --bg: #2b3136; --fg: #cfd8dc; --edge: #607d8b; --badge-bg: #b0bec5; --muted: #b0bec5; }
}
.compact { padding: 1px 8px; font-size: 12px; border-left-width: 3px; line-height: 1.5; }
.compact .badge { font-size: 11px; line-height: 16px; }
.compact .title { font-weight: 600; display: inline; }
.compact .head { align-items: center; }
.mini { padding: 1px 8px; font-size: 12px; }
.mini .title { display: inline; }
.dns { margin: 2px 0 0 0; font-size: 12px; }
.pending { margin-left: 6px; font-size: 12px; font-weight: 400; }
.dns { font-weight: 700; }
.pending { color: var(--muted); font-style: italic; }
.head { display: flex; align-items: flex-start; gap: 8px; flex-wrap: wrap; }
.badge {
  flex: none; background: var(--badge-bg); color: var(--badge-fg); font-weight: 700;
  border-radius: 3px; padding: 0 6px; font-size: 12px; line-height: 20px; margin-top: 2px;
}
.text { flex: 1 1 12em; min-width: 0; overflow-wrap: anywhere; }
.title { font-weight: 700; display: block; }
.banner:not(.open):not(.report) .title, .banner:not(.open):not(.report) .summary {
  display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 2; overflow: hidden;
}
.banner:not(.open):not(.report) .summary { -webkit-line-clamp: 1; }
/* The DNS line of a danger/warning/caution banner shows only in the details, so a refinement
   that adds it (the full answer found DNS failing) does not grow the banner under the cursor
   (issue 9.1); the finding itself is already there. */
.v-danger:not(.open):not(.report) .dns, .v-warning:not(.open):not(.report) .dns,
.v-caution:not(.open):not(.report) .dns { display: none; }
.compact .title, .mini .title { -webkit-line-clamp: 1 !important; }
/* A very low message pane (800x600 and smaller): collapsed, one line with 詳細 and 閉じる; the
   rest (what to do now first, then report/junk/delete) is one click away in the details. */
@media (max-height: 420px) {
  .banner:not(.open):not(.report) { max-height: none; padding-top: 2px; padding-bottom: 2px; }
  .banner:not(.open):not(.report) .summary, .banner:not(.open):not(.report) .brand,
  .banner:not(.open):not(.report) .act, .banner:not(.open):not(.report) .whatnow-button,
  .banner:not(.open):not(.report) .done, .banner:not(.open):not(.report) .dns { display: none; }
  .banner:not(.open):not(.report) .head { flex-wrap: nowrap; }
  .banner:not(.open):not(.report) .title { -webkit-line-clamp: 1; }
  .banner:not(.open):not(.report) .actions { flex: none; margin: 0 0 0 auto; }
  .banner:not(.open):not(.report) .text { flex-basis: 6em; }
}
.summary { margin: 1px 0 0 0; }
.brand { color: var(--muted); font-size: 12px; }
.actions { flex: 1 1 100%; display: flex; flex-wrap: wrap; gap: 4px 6px; margin-top: 4px; }
.compact .actions, .mini .actions { flex: none; margin-top: 0; margin-left: auto; }
button {
  font: inherit; font-size: 13px; color: var(--fg); background: transparent;
  border: 1px solid var(--edge); border-radius: 3px; padding: 1px 8px; cursor: pointer;
}
.compact button, .mini button { font-size: 12px; padding: 0 6px; }
button.primary { background: var(--badge-bg); color: var(--badge-fg); border-color: var(--badge-bg); font-weight: 700; }
button:hover { background: color-mix(in srgb, var(--edge) 15%, transparent); }
button.primary:hover { background: var(--badge-bg); text-decoration: underline; }
button:focus-visible { outline: 2px solid var(--edge); outline-offset: 2px; }
button[disabled] { opacity: 0.6; cursor: default; }
.done { font-size: 12px; color: var(--muted); align-self: center; }
.details, .guard { margin-top: 6px; border-top: 1px solid color-mix(in srgb, var(--edge) 40%, transparent); }
.details[hidden], .guard[hidden] { display: none; }
.guard { padding-top: 4px; }
.guard p { margin: 2px 0; }
.guard .target { font-family: monospace; font-size: 12px; overflow-wrap: anywhere; display: block; margin: 2px 0 4px 0; }
h3 { font-size: 13px; margin: 8px 0 2px 0; }
ul, ol { margin: 0; padding-left: 20px; }
li { margin: 2px 0; overflow-wrap: anywhere; }
.whatnow { border: 2px solid var(--edge); border-radius: 4px; padding: 2px 8px 6px 8px; margin-top: 6px; }
.whatnow h3 { margin-top: 4px; }
.sev { font-weight: 700; margin-right: 4px; }
.sev-danger .sev { color: var(--edge); }
.evidence { color: var(--muted); font-family: monospace; font-size: 12px; list-style: square; }
.tech { margin-top: 8px; }
.tech summary { cursor: pointer; font-size: 13px; font-weight: 700; }
.tech .code { font-family: monospace; font-size: 12px; }
.link { border: none; padding: 0; text-decoration: underline; color: inherit; text-align: start; }
.foot { color: var(--muted); font-size: 11px; margin-top: 6px; }
`;

  // The in-message banner's host, pinned from inside (inner-context !important beats the mail's
  // !important). Kept in step with HOST_INLINE below.
  const HOST_CSS = `
:host {
  all: initial !important; display: flex !important; flex-direction: column !important;
  position: absolute !important; inset: 0 0 auto 0 !important; margin: 0 !important;
  padding: 4px 8px !important; width: auto !important; height: auto !important;
  min-height: 0 !important; max-height: none !important; max-width: none !important;
  min-width: 0 !important; box-sizing: border-box !important; overflow: visible !important;
  visibility: visible !important; opacity: 1 !important; direction: ltr !important;
  background: transparent !important; border: none !important; z-index: 2147483647 !important;
  pointer-events: auto !important; user-select: text !important;
}
:host::before, :host::after { content: none !important; display: none !important; }
`;
  // Separate rule: a selector one engine rejects must not drop the rule above.
  const BACKDROP_CSS = ":host::backdrop { display: none !important; background: none !important; }";

  const HOST_INLINE = [
    ["all", "initial"],
    ["display", "flex"],
    ["flex-direction", "column"],
    ["position", "absolute"],
    ["inset", "0px 0px auto 0px"],
    ["margin", "0px"],
    ["padding", "4px 8px"],
    ["width", "auto"],
    ["height", "auto"],
    ["max-height", "none"],
    ["box-sizing", "border-box"],
    ["overflow", "visible"],
    ["visibility", "visible"],
    ["opacity", "1"],
    ["direction", "ltr"],
    ["background", "transparent"],
    ["border", "none"],
    ["z-index", "2147483647"],
  ];

  function pin(node, props) {
    if (!node.style || !node.style.setProperty) return;
    for (const [k, v] of props) node.style.setProperty(k, v, "important");
  }

  function el(doc, tag, cls, text) {
    const e = doc.createElement(tag);
    if (cls) e.setAttribute("class", cls);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function label(strings, key, fallback) {
    const s = strings && strings[key];
    return typeof s === "string" && s ? s : fallback;
  }

  function isHttpUrl(url) {
    return typeof url === "string" && /^https?:\/\/[^\s]+$/i.test(url);
  }

  function button(doc, cls, text, onClick) {
    const b = el(doc, "button", cls, text);
    b.setAttribute("type", "button");
    b.addEventListener("click", (ev) => {
      if (ev && ev.preventDefault) ev.preventDefault();
      onClick(ev);
    });
    return b;
  }

  function evidenceList(doc, items) {
    const list = el(doc, "ul", "evidence");
    for (const item of items || []) list.append(el(doc, "li", null, item));
    return list;
  }

  function section(doc, title, list, cls) {
    const h = el(doc, "h3", null, title);
    if (cls) h.setAttribute("class", cls);
    return [h, list];
  }

  // 「リンクを開いた／入力してしまった」: what to do now, in the order it matters (issue 9.3).
  const WHAT_NOW = ["whatNowOpened", "whatNowPassword", "whatNowCard", "whatNowReport"];

  function buildWhatNow(doc, strings) {
    const box = el(doc, "div", "whatnow");
    const h = el(doc, "h3", "whatnow-title", label(strings, "whatNowTitle", "If you opened a link or typed something"));
    h.setAttribute("tabindex", "-1");
    box.append(h);
    const ol = el(doc, "ol", null);
    for (const key of WHAT_NOW) {
      const s = label(strings, key, "");
      if (s) ol.append(el(doc, "li", null, s));
    }
    box.append(ol);
    return { box, heading: h };
  }

  /**
   * The details: (danger/warning) what to do now, then the advice, the reasons (in plain
   * words, the summary not repeated), how the sender was checked (one plain line per method),
   * and a closed "technical details" fold with the codes, raw results and evidence (issue 9.6).
   */
  function buildDetails(doc, p, strings, onOpenUrl, verdict) {
    const box = el(doc, "div", "details");
    box.setAttribute("id", "minuku-details");
    let whatNowHeading = null;
    if (ALERTING.includes(verdict)) {
      const w = buildWhatNow(doc, strings);
      box.append(w.box);
      whatNowHeading = w.heading;
    }

    if (p.advice && p.advice.length) {
      const ul = el(doc, "ul", "advice");
      for (const a of p.advice) {
        const li = el(doc, "li", null);
        li.append(el(doc, "span", "advice-text", a.text));
        if (isHttpUrl(a.url) && typeof onOpenUrl === "function") {
          li.append(doc.createTextNode(" "));
          const url = a.url;
          li.append(button(doc, "link", a.url, () => onOpenUrl(url)));
        }
        ul.append(li);
      }
      box.append(...section(doc, label(strings, "advice", "Advice"), ul));
    }

    // The summary is usually the first reason: said once, in the head.
    const reasons = (p.reasons || []).filter((r, i) => !(i === 0 && r.text === p.summary));
    if (reasons.length) {
      const ul = el(doc, "ul", "reasons");
      for (const r of reasons) {
        const sev = SEVERITIES.includes(r.severity) ? r.severity : "info";
        const li = el(doc, "li", `sev-${sev}`);
        li.append(el(doc, "span", "sev", label(strings, `severity_${sev}`, sev)));
        li.append(el(doc, "span", "reason-text", r.text));
        ul.append(li);
      }
      box.append(...section(doc, label(strings, "reasons", "Reasons"), ul));
    }

    const auth = p.auth || {};
    if (auth.lines && auth.lines.length) {
      const ul = el(doc, "ul", "auth");
      for (const l of auth.lines) ul.append(el(doc, "li", "auth-line", l.text));
      box.append(...section(doc, label(strings, "authentication", "Authentication"), ul));
    }

    // Codes and raw values only here, folded (native <details>: keyboard and screen readers).
    const tech = el(doc, "details", "tech");
    tech.append(el(doc, "summary", null, label(strings, "technical", "Technical details")));
    const tl = el(doc, "ul", "tech-list");
    for (const r of p.reasons || []) {
      const li = el(doc, "li", null);
      li.append(el(doc, "span", "code", r.code));
      if (r.evidence && r.evidence.length) li.append(evidenceList(doc, r.evidence));
      tl.append(li);
    }
    for (const l of auth.lines || []) {
      const li = el(doc, "li", "auth-raw");
      li.append(el(doc, "span", "code", `${METHOD_LABEL[l.method] || "?"}=${l.result}${l.domain ? ` ${l.domain}` : ""}`));
      if (l.evidence && l.evidence.length) li.append(evidenceList(doc, l.evidence));
      tl.append(li);
    }
    for (const r of auth.receiving_server || []) {
      const li = el(doc, "li", "auth-received");
      const trust = r.trusted ? label(strings, "trusted", "trusted") : label(strings, "untrusted", "not trusted");
      li.append(el(doc, "span", null, `${label(strings, "receivingServer", "Receiving server")} ${r.authserv_id ?? "?"}（${trust}）`));
      const pairs = (r.results || []).map(([k, v]) => `${k}=${v}`).join(", ");
      if (pairs) li.append(evidenceList(doc, [pairs]));
      tl.append(li);
    }
    if (auth.disagreements && auth.disagreements.length) {
      const li = el(doc, "li", "auth-disagreements", label(strings, "disagreements", "Disagreements"));
      li.append(evidenceList(doc, auth.disagreements));
      tl.append(li);
    }
    if (auth.unchecked && auth.unchecked.length) {
      const li = el(doc, "li", "auth-unchecked", label(strings, "unchecked", "Not checked"));
      li.append(evidenceList(doc, auth.unchecked));
      tl.append(li);
    }
    // The footer alone (host version) is not worth a "Details" button.
    const hasContent = box.childNodes.length > 0 || tl.childNodes.length > 0;
    const foot = [];
    if (p.host_version) foot.push(`${label(strings, "hostVersion", "Minuku host")} ${p.host_version}`);
    if (p.offline) foot.push(label(strings, "offline", "offline"));
    if (foot.length) tl.append(el(doc, "li", "foot", foot.join(" · ")));
    if (tl.childNodes.length) {
      tech.append(tl);
      box.append(tech);
    }
    return { box, hasContent, whatNowHeading };
  }

  const TONES = ["verdict", "verified", "neutral"];

  /**
   * What the background decided to show (lib/display.js). Without one, the safe reading: any
   * verdict but ok is shown as it is; ok is never called "verified" unless the payload says so.
   */
  function displayOf(payload, d) {
    const dnsBad = payload.dns_status === "failing" || payload.dns_status === "lying";
    const flags = (x) => ({
      compact: Boolean(x && x.compact),
      pending: Boolean(x && x.pending),
      protect: Boolean(x && x.protect),
      mini: Boolean(x && x.mini),
    });
    if (d && typeof d === "object" && TONES.includes(d.tone)) {
      return { show: d.show !== false, tone: d.tone, dns: d.dns === "failing" || d.dns === "lying" ? d.dns : null, ...flags(d) };
    }
    const dns = dnsBad ? payload.dns_status : null;
    if (payload.verdict !== "ok") return { show: true, tone: "verdict", dns, ...flags({ protect: payload.verdict === "danger" }) };
    return { show: true, tone: payload.verified === true && !dns ? "verified" : "neutral", dns, ...flags({ compact: true }) };
  }

  // A title that starts with the verdict word the badge already says ("危険: …", "Danger: …")
  // loses it: the verdict is said once (issue 9.6). Older hosts still send the prefix.
  function withoutVerdictWord(title, badge) {
    const t = String(title || "");
    for (const sep of [": ", "：", ":"]) {
      if (badge && t.startsWith(badge + sep)) return t.slice(badge.length + sep.length);
    }
    return t;
  }

  const APIS = new WeakMap(); // host -> {showLinkGuard, ...} for banner.js (the root is closed)

  /**
   * @param {Document} doc
   * @param {object} payload a validated BannerPayload
   * @param {{strings?: object, display?: object, mode?: "banner"|"report",
   *   onDismiss?: () => void, onOpenUrl?: (url: string) => void,
   *   onAction?: (name: string) => Promise<unknown>|void}} [opts]
   *   onAction names: report, junk, delete, trust, restore (undo a dismiss), enableLinks
   * @returns {HTMLElement|null} the shadow host (null: nothing to show, e.g. a quiet ok)
   */
  function buildBanner(doc, payload, opts) {
    const o = opts || {};
    const strings = o.strings || {};
    const mode = o.mode === "report" ? "report" : "banner";
    const verdict = VERDICTS.includes(payload.verdict) ? payload.verdict : "unknown";
    const d = displayOf(payload, o.display);
    if (mode === "banner" && !d.show) return null;
    // An ok verdict is "verified" only in the verified tone; with DNS failing or lying never.
    const tone = verdict === "ok" ? (d.tone === "verified" && !d.dns ? "verified" : "neutral") : "verdict";
    // One line for calm mail; the DNS explanation needs its room.
    const compact = mode === "banner" && tone !== "verdict" && !d.dns;
    const mini = mode === "banner" && !compact && d.mini;
    const onAction = typeof o.onAction === "function" ? o.onAction : null;

    const host = doc.createElement("div");
    if (mode === "banner") {
      host.setAttribute("id", "minuku-banner");
      host.setAttribute("popover", "manual");
      pin(host, HOST_INLINE);
    } else {
      pin(host, [["display", "block"]]);
    }
    host.setAttribute("class", "minuku-host");
    host.setAttribute("data-verdict", verdict);
    host.setAttribute("data-tone", tone);
    host.setAttribute("data-origin", payload.origin === "addon" ? "addon" : "host");
    host.setAttribute("data-state", d.pending ? "pending" : mini ? "mini" : "final");
    const shadow = host.attachShadow({ mode: "closed" });
    shadow.append(el(doc, "style", null, CSS));
    if (mode === "banner") {
      shadow.append(el(doc, "style", null, HOST_CSS));
      shadow.append(el(doc, "style", null, BACKDROP_CSS));
    }

    let cls = tone === "neutral" ? "banner v-ok t-neutral" : tone === "verified" ? "banner v-ok" : `banner v-${verdict}`;
    if (compact) cls += " compact";
    if (mini) cls += " mini";
    if (mode === "report") cls += " report";
    const box = el(doc, "section", cls);
    // Only danger and warning are spoken (issue 9.10); calm mail says nothing to a screen reader.
    // A refinement that keeps the verdict (o.quiet) is not announced a second time.
    if (ALERTING.includes(verdict) && !mini && mode === "banner" && !o.quiet) box.setAttribute("role", "alert");
    box.setAttribute("lang", payload.locale === "ja" ? "ja" : "en");
    box.setAttribute("aria-label", label(strings, "regionLabel", "Minuku"));

    const head = el(doc, "div", "head");
    let badge = label(strings, `verdict_${verdict}`, verdict);
    let title = payload.title;
    let summary = payload.summary;
    if (tone === "verified") {
      badge = label(strings, "verdict_verified", "Verified");
    }
    if (tone === "neutral") {
      // Nothing found, nothing proven: the add-on's own words, never "no problems".
      badge = label(strings, "verdict_unverified", "Not verified");
      title = label(strings, d.dns ? "dnsTitle" : "neutralTitle", "The sender could not be verified");
      summary = d.dns ? "" : label(strings, "neutralSummary", "");
    }
    title = withoutVerdictWord(title, label(strings, `verdict_${verdict}`, verdict));
    head.append(el(doc, "span", "badge", badge));
    const text = el(doc, "div", "text");
    const titleEl = el(doc, "strong", "title", title);
    // Provisional (the local part): said in a few words after the title, no extra line.
    if (d.pending && !mini) titleEl.append(el(doc, "span", "pending", label(strings, "pending", "(checking DNS…)")));
    text.append(titleEl);
    if (summary && !compact && !mini) text.append(el(doc, "p", "summary", summary));
    if (d.dns && !mini && !compact) {
      text.append(el(doc, "p", "dns", label(strings, d.dns === "lying" ? "dnsLying" : "dnsFailing", "DNS is unavailable: the sender could not be verified.")));
    }
    // The brand line only where the title does not already name it, and never on verified mail
    // (「名乗っているブランド」 next to a verified sender reads as suspicion, issue 9.2).
    if (payload.brand && payload.brand.name && tone === "verdict" && !mini && !String(title).includes(payload.brand.name)) {
      text.append(el(doc, "span", "brand", `${label(strings, "brand", "Brand")}：${payload.brand.name}`));
    }
    head.append(text);

    const built = buildDetails(doc, payload, strings, o.onOpenUrl, verdict);
    const details = built.box;
    const hasDetails = built.hasContent;
    const actions = el(doc, "div", "actions");
    const api = { showLinkGuard: () => false };
    APIS.set(host, api);

    const openDetails = (open) => {
      if (open) details.removeAttribute("hidden");
      else details.setAttribute("hidden", "");
      if (toggle) {
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        toggle.textContent = open ? label(strings, "hideDetails", "Hide details") : label(strings, "showDetails", "Details");
      }
      syncOpen();
    };
    const guard = el(doc, "div", "guard");
    guard.setAttribute("hidden", "");
    const syncOpen = () => {
      const open = !details.hasAttribute("hidden") || !guard.hasAttribute("hidden");
      box.setAttribute("class", open ? `${cls} open` : cls);
    };

    // An action button: disabled while it runs, then a short "done" note (or the error).
    const act = (name, key, fallback, cssClass, text) => {
      const b = button(doc, cssClass || "act", text || label(strings, key, fallback), async () => {
        if (!onAction) return;
        b.setAttribute("disabled", "");
        try {
          const r = await onAction(name);
          if (r && r.ok === false) throw new Error("refused");
          const note = label(strings, `${name}Done`, "");
          if (note) b.after(el(doc, "span", "done", note));
        } catch {
          b.after(el(doc, "span", "done", label(strings, "actionFailed", "That did not work.")));
        } finally {
          b.removeAttribute("disabled");
        }
      });
      b.setAttribute("data-action", name);
      return b;
    };

    let toggle = null;
    if (mini) {
      actions.append(
        button(doc, "restore", label(strings, "restore", "Show"), () => {
          if (onAction) onAction("restore");
        }),
      );
    } else {
      if (ALERTING.includes(verdict) && hasDetails) {
        const whatNow = button(doc, "primary whatnow-button", label(strings, "whatNow", "I opened a link / typed my password"), () => {
          openDetails(true);
          if (built.whatNowHeading && built.whatNowHeading.focus) built.whatNowHeading.focus();
          if (built.whatNowHeading && built.whatNowHeading.scrollIntoView) built.whatNowHeading.scrollIntoView({ block: "nearest" });
        });
        if (mode === "banner") actions.append(whatNow);
      }
      if (onAction && ALERTING.includes(verdict)) {
        actions.append(act("report", "report", "Report as phishing"));
        // The brand's own address, where its official help names one (the host's catalogue).
        const brand = payload.brand;
        if (brand && brand.report_to) {
          const text = label(strings, "reportBrand", "Report to {brand}").replace("{brand}", brand.name);
          actions.append(act("reportBrand", "reportBrand", "", "act", text));
        }
        if (verdict === "danger") {
          actions.append(act("junk", "junk", "Junk"));
          actions.append(act("delete", "delete", "Delete"));
        }
      }
      if (onAction && (verdict === "caution" || verdict === "unknown") && payload.origin !== "addon") {
        actions.append(act("trust", "trustSender", "Trust this sender"));
      }
      if (mode === "banner" && hasDetails) {
        toggle = button(doc, "toggle", label(strings, "showDetails", "Details"), () => openDetails(details.hasAttribute("hidden")));
        toggle.setAttribute("aria-expanded", "false");
        toggle.setAttribute("aria-controls", "minuku-details");
        details.setAttribute("hidden", "");
        actions.append(toggle);
      }
      if (mode === "banner") {
        const dismiss = button(doc, "dismiss", label(strings, "dismiss", "Dismiss"), () => {
          if (typeof o.onDismiss === "function") o.onDismiss();
        });
        dismiss.setAttribute("aria-label", label(strings, "dismissLabel", "Dismiss this warning"));
        actions.append(dismiss);
      }
    }
    if (actions.childNodes.length) head.append(actions);

    // Under danger a click on one of the mail's links lands here: the real target, then a choice.
    if (mode === "banner" && d.protect && !mini) {
      api.showLinkGuard = (url, shown) => {
        guard.replaceChildren();
        guard.append(el(doc, "strong", null, label(strings, "guardTitle", "Links are switched off in this mail")));
        guard.append(el(doc, "p", null, label(strings, "guardText", "This link really goes to:")));
        guard.append(el(doc, "span", "target", url));
        if (shown && shown !== url) guard.append(el(doc, "p", "summary", `${label(strings, "guardShown", "It shows as:")} ${shown}`));
        const row = el(doc, "div", "actions");
        const cancel = button(doc, "primary", label(strings, "guardCancel", "Don't open"), () => {
          guard.setAttribute("hidden", "");
          syncOpen();
        });
        row.append(cancel);
        // "Make links work": the explicit way back, for this message only.
        if (onAction) {
          row.append(
            button(doc, "act enable-links", label(strings, "enableLinks", "Make links work"), () => {
              onAction("enableLinks");
              guard.setAttribute("hidden", "");
              syncOpen();
            }),
          );
        }
        if (isHttpUrl(url) && typeof o.onOpenUrl === "function") {
          row.append(
            button(doc, "act", label(strings, "guardOpen", "Open anyway"), () => {
              o.onOpenUrl(url);
              guard.setAttribute("hidden", "");
              syncOpen();
            }),
          );
        }
        guard.append(row);
        guard.removeAttribute("hidden");
        syncOpen();
        if (cancel.focus) cancel.focus();
        return true;
      };
    }

    box.append(head);
    if (mode === "banner") box.append(guard);
    if (!mini && (hasDetails || mode === "report")) box.append(details);
    shadow.append(box);
    return host;
  }

  /** Show the link guard of a mounted danger banner; false when it has none. */
  function showLinkGuard(host, url, shown) {
    const api = APIS.get(host);
    return api ? api.showLinkGuard(String(url || ""), String(shown || "")) : false;
  }

  // Properties of <html> that still reach a top-layer box in Gecko (checked in Thunderbird 153:
  // `html{filter:opacity(0)}` hides the top layer too; effective zoom multiplies down the DOM;
  // a root that does not render takes its top layer with it). Pinned unconditionally: the mail
  // can switch them on later (`html:hover{...}`, a delayed animation), and a real mail has no
  // use for any of them on <html>.
  const ROOT_PINS = [
    ["display", "block"],
    ["content-visibility", "visible"],
    ["zoom", "1"],
    ["filter", "none"],
    ["backdrop-filter", "none"],
    ["opacity", "1"],
    ["transform", "none"],
    ["translate", "none"],
    ["rotate", "none"],
    ["scale", "none"],
    ["clip-path", "none"],
    ["mask", "none"],
    ["mix-blend-mode", "normal"],
    ["contain", "none"],
  ];

  /**
   * Put a banner host (from buildBanner) above the message: in the top layer when the engine
   * has popovers, with an in-flow spacer of the same height at the start of <body> so the mail
   * starts below it. The mail cannot open a popover above it: any other popover or modal that
   * tries to open is cancelled (beforetoggle), and should one open anyway ours is raised again.
   * @returns {{host: HTMLElement, spacer: HTMLElement|null, topLayer: boolean, unmount: () => void}}
   */
  function mountBanner(doc, host, mountOpts) {
    // floor: the space the previous banner of this message held (a refinement, issue 9.1):
    // the spacer never shrinks below it, so the mail does not move under the cursor.
    const floor = Math.max(0, Number((mountOpts && mountOpts.floor) || 0));
    let base = null;
    const win = doc.defaultView;
    const rootEl = doc.documentElement;
    const spacer = doc.createElement("div");
    spacer.setAttribute("class", "minuku-spacer");
    spacer.setAttribute("aria-hidden", "true");
    pin(spacer, [["all", "initial"], ["display", "block"], ["height", "0px"], ["margin", "0px"]]);
    const cleanups = [];
    let topLayer = false;
    if (typeof host.showPopover === "function" && rootEl) {
      rootEl.append(host);
      pin(rootEl, ROOT_PINS);
      try {
        host.showPopover();
        topLayer = true;
      } catch {
        topLayer = false;
      }
    }
    if (!topLayer) {
      if (doc.body) doc.body.prepend(host);
      return { host, spacer: null, topLayer, unmount: () => host.remove(), base: () => 0 };
    }
    if (doc.body) doc.body.prepend(spacer);

    const sync = () => {
      const h = Math.ceil(host.getBoundingClientRect ? host.getBoundingClientRect().height : 0);
      if (base === null) base = Math.max(floor, h); // the collapsed height, kept
      spacer.style.setProperty("height", `${Math.max(base, h)}px`, "important");
    };
    sync();
    if (win && typeof win.ResizeObserver === "function") {
      const ro = new win.ResizeObserver(sync);
      ro.observe(host);
      cleanups.push(() => ro.disconnect());
    }
    const isOpen = () => {
      try {
        return host.matches(":popover-open");
      } catch {
        return false;
      }
    };
    const raise = () => {
      if (!host.isConnected) return;
      try {
        if (isOpen()) host.hidePopover();
        host.showPopover();
      } catch {
        // detached meanwhile
      }
    };
    const onBeforeToggle = (ev) => {
      if (ev.target !== host && ev.newState === "open" && ev.cancelable) ev.preventDefault();
    };
    const onToggle = (ev) => {
      if (ev.target !== host && ev.newState === "open") raise();
    };
    // The mail may also try to close ours (a popovertarget button aimed at our id).
    const onOwnToggle = (ev) => {
      if (ev.newState !== "closed" || unmounted) return;
      win.setTimeout(() => {
        if (!unmounted && !isOpen()) raise();
      }, 0);
    };
    let unmounted = false;
    doc.addEventListener("beforetoggle", onBeforeToggle, true);
    doc.addEventListener("toggle", onToggle, true);
    host.addEventListener("toggle", onOwnToggle);
    cleanups.push(() => {
      doc.removeEventListener("beforetoggle", onBeforeToggle, true);
      doc.removeEventListener("toggle", onToggle, true);
      host.removeEventListener("toggle", onOwnToggle);
    });
    const unmount = () => {
      unmounted = true;
      for (const f of cleanups) f();
      try {
        if (isOpen()) host.hidePopover();
      } catch {
        // already gone
      }
      host.remove();
      spacer.remove();
    };
    return { host, spacer, topLayer, unmount, base: () => base ?? floor };
  }

  /** The full report (popup, report page): the same builder, details open, no dismiss. */
  function buildReport(doc, payload, opts) {
    return buildBanner(doc, payload, Object.assign({}, opts || {}, { mode: "report" }));
  }

  root.MinukuBannerDom = Object.freeze({ buildBanner, buildReport, mountBanner, showLinkGuard, CSS, HOST_CSS });
})(globalThis);
