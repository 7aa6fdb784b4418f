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

  // Generic families only (see the top): `system-ui` and `sans-serif` cannot be redefined by
  // the mail's @font-face; with lang="ja" Gecko picks its Japanese sans-serif font.
  const CSS = `
:host { all: initial; display: block; }
.banner {
  --bg: #eceff1; --fg: #263238; --edge: #546e7a; --badge-fg: #ffffff; --muted: #455a64;
  font-family: system-ui, sans-serif;
  font-size: 14px; line-height: 1.5; color: var(--fg); background: var(--bg);
  border: 1px solid var(--edge); border-left: 6px solid var(--edge); border-radius: 4px;
  margin: 0; padding: 8px 12px; box-sizing: border-box; text-align: start;
}
.banner:lang(ja) { font-family: sans-serif; line-height: 1.7; }
.v-danger  { --bg: #fdecea; --fg: #4a0d0d; --edge: #b71c1c; --muted: #6d1f1f; }
.v-warning { --bg: #fff3e0; --fg: #3e2000; --edge: #c75000; --muted: #5d3200; }
.v-caution { --bg: #fffbd6; --fg: #332b00; --edge: #a07800; --muted: #4d4200; }
.v-ok      { --bg: #f1f8f1; --fg: #173318; --edge: #2e7d32; --muted: #2f4f30; padding: 4px 12px; }
.t-neutral { --bg: #f5f5f5; --fg: #37474f; --edge: #90a4ae; --muted: #546e7a; padding: 2px 10px;
  font-size: 12px; border-left-width: 1px; }
@media (prefers-color-scheme: dark) {
  .banner    { --bg: #263238; --fg: #eceff1; --edge: #90a4ae; --badge-fg: #10171a; --muted: #cfd8dc; }
  .v-danger  { --bg: #3d1010; --fg: #ffe4e1; --edge: #ff6f61; --muted: #ffc9c2; }
  .v-warning { --bg: #3d2600; --fg: #ffecd1; --edge: #ffa040; --muted: #ffd8a8; }
  .v-caution { --bg: #363000; --fg: #fff8c4; --edge: #e6c700; --muted: #f2e79a; }
  .v-ok      { --bg: #142a16; --fg: #dcf2dd; --edge: #66bb6a; --muted: #b9dcbb; }
  .t-neutral { --bg: #2b3136; --fg: #cfd8dc; --edge: #607d8b; --muted: #b0bec5; }
}
.dns { margin: 4px 0 0 0; font-weight: 700; }
.head { display: flex; align-items: flex-start; gap: 10px; }
.badge {
  flex: none; background: var(--edge); color: var(--badge-fg); font-weight: 700;
  border-radius: 3px; padding: 0 6px; font-size: 12px; line-height: 20px; margin-top: 1px;
}
.text { flex: 1 1 auto; min-width: 0; overflow-wrap: anywhere; }
.title { font-weight: 700; display: block; }
.summary { margin: 2px 0 0 0; }
.brand { color: var(--muted); font-size: 12px; }
.actions { flex: none; display: flex; gap: 6px; }
button {
  font: inherit; font-size: 13px; color: var(--fg); background: transparent;
  border: 1px solid var(--edge); border-radius: 3px; padding: 1px 8px; cursor: pointer;
}
button:hover { background: color-mix(in srgb, var(--edge) 15%, transparent); }
button:focus-visible { outline: 2px solid var(--edge); outline-offset: 2px; }
.details { margin-top: 8px; border-top: 1px solid color-mix(in srgb, var(--edge) 40%, transparent); }
.details[hidden] { display: none; }
h3 { font-size: 13px; margin: 8px 0 2px 0; }
ul { margin: 0; padding-left: 20px; }
li { margin: 2px 0; overflow-wrap: anywhere; }
.sev { font-weight: 700; margin-right: 4px; }
.sev-danger .sev { color: var(--edge); }
.evidence { color: var(--muted); font-family: monospace;
  font-size: 12px; list-style: square; }
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

  function evidenceList(doc, items) {
    const list = el(doc, "ul", "evidence");
    for (const item of items || []) list.append(el(doc, "li", null, item));
    return list;
  }

  function section(doc, title, list) {
    const frag = [el(doc, "h3", null, title), list];
    return frag;
  }

  function buildDetails(doc, p, strings, onOpenUrl) {
    const box = el(doc, "div", "details");
    box.setAttribute("id", "minuku-details");

    if (p.reasons && p.reasons.length) {
      const ul = el(doc, "ul", "reasons");
      for (const r of p.reasons) {
        const sev = SEVERITIES.includes(r.severity) ? r.severity : "info";
        const li = el(doc, "li", `sev-${sev}`);
        li.append(el(doc, "span", "sev", label(strings, `severity_${sev}`, sev)));
        li.append(el(doc, "span", "reason-text", r.text));
        if (r.evidence && r.evidence.length) li.append(evidenceList(doc, r.evidence));
        ul.append(li);
      }
      box.append(...section(doc, label(strings, "reasons", "Reasons"), ul));
    }

    const auth = p.auth || {};
    const authList = el(doc, "ul", "auth");
    for (const l of auth.lines || []) {
      const li = el(doc, "li", "auth-line");
      const head = `${METHOD_LABEL[l.method] || "?"}: ${l.result}${l.domain ? ` (${l.domain})` : ""}`;
      li.append(el(doc, "span", "sev", head));
      li.append(el(doc, "span", "auth-text", l.text));
      if (l.evidence && l.evidence.length) li.append(evidenceList(doc, l.evidence));
      authList.append(li);
    }
    for (const r of auth.receiving_server || []) {
      const li = el(doc, "li", "auth-received");
      const trust = r.trusted ? label(strings, "trusted", "trusted") : label(strings, "untrusted", "not trusted");
      li.append(el(doc, "span", "sev", `${label(strings, "receivingServer", "Receiving server")}: ${r.authserv_id ?? "?"} (${trust})`));
      const pairs = (r.results || []).map(([k, v]) => `${k}=${v}`).join(", ");
      li.append(el(doc, "span", "auth-text", pairs));
      authList.append(li);
    }
    if (auth.disagreements && auth.disagreements.length) {
      const li = el(doc, "li", "auth-disagreements", label(strings, "disagreements", "Disagreements"));
      li.append(evidenceList(doc, auth.disagreements));
      authList.append(li);
    }
    if (auth.unchecked && auth.unchecked.length) {
      const li = el(doc, "li", "auth-unchecked", label(strings, "unchecked", "Not checked"));
      li.append(evidenceList(doc, auth.unchecked));
      authList.append(li);
    }
    if (authList.childNodes.length) {
      box.append(...section(doc, label(strings, "authentication", "Authentication"), authList));
    }

    if (p.advice && p.advice.length) {
      const ul = el(doc, "ul", "advice");
      for (const a of p.advice) {
        const li = el(doc, "li", null);
        li.append(el(doc, "span", "advice-text", a.text));
        if (isHttpUrl(a.url) && typeof onOpenUrl === "function") {
          li.append(doc.createTextNode(" "));
          const b = el(doc, "button", "link", a.url);
          b.setAttribute("type", "button");
          const url = a.url;
          b.addEventListener("click", (ev) => {
            if (ev && ev.preventDefault) ev.preventDefault();
            onOpenUrl(url);
          });
          li.append(b);
        }
        ul.append(li);
      }
      box.append(...section(doc, label(strings, "advice", "Advice"), ul));
    }

    const hasContent = box.childNodes.length > 0;
    const foot = [];
    if (p.host_version) foot.push(`${label(strings, "hostVersion", "Minuku host")} ${p.host_version}`);
    if (p.offline) foot.push(label(strings, "offline", "offline"));
    if (foot.length) box.append(el(doc, "div", "foot", foot.join(" · ")));
    return { box, hasContent };
  }

  const TONES = ["verdict", "verified", "neutral"];

  /**
   * What the background decided to show (lib/display.js). Without one, the safe reading: any
   * verdict but ok is shown as it is; ok is never called "verified" unless the payload says so.
   */
  function displayOf(payload, d) {
    const dnsBad = payload.dns_status === "failing" || payload.dns_status === "lying";
    if (d && typeof d === "object" && TONES.includes(d.tone)) {
      return { show: d.show !== false, tone: d.tone, dns: d.dns === "failing" || d.dns === "lying" ? d.dns : null };
    }
    const dns = dnsBad ? payload.dns_status : null;
    if (payload.verdict !== "ok") return { show: true, tone: "verdict", dns };
    return { show: true, tone: payload.verified === true && !dns ? "verified" : "neutral", dns };
  }

  /**
   * @param {Document} doc
   * @param {object} payload a validated BannerPayload
   * @param {{strings?: object, display?: {show: boolean, tone: string, dns: string|null},
   *   mode?: "banner"|"report", onDismiss?: () => void, onOpenUrl?: (url: string) => void}} [opts]
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
    const shadow = host.attachShadow({ mode: "closed" });
    shadow.append(el(doc, "style", null, CSS));
    if (mode === "banner") {
      shadow.append(el(doc, "style", null, HOST_CSS));
      shadow.append(el(doc, "style", null, BACKDROP_CSS));
    }

    const cls = tone === "neutral" ? "banner v-ok t-neutral" : `banner v-${verdict}`;
    const box = el(doc, "section", cls);
    box.setAttribute("role", verdict === "danger" ? "alert" : "status");
    box.setAttribute("lang", payload.locale === "ja" ? "ja" : "en");

    const head = el(doc, "div", "head");
    let badge = label(strings, `verdict_${verdict}`, verdict);
    let title = payload.title;
    let summary = payload.summary;
    if (tone === "verified") badge = label(strings, "verdict_verified", "Verified");
    if (tone === "neutral") {
      // Nothing found, nothing proven: the add-on's own words, never "no problems".
      badge = label(strings, "verdict_unverified", "Not verified");
      title = label(strings, d.dns ? "dnsTitle" : "neutralTitle", "The sender could not be verified");
      summary = d.dns ? "" : label(strings, "neutralSummary", "");
    }
    head.append(el(doc, "span", "badge", badge));
    const text = el(doc, "div", "text");
    text.append(el(doc, "strong", "title", title));
    if (summary) text.append(el(doc, "p", "summary", summary));
    if (d.dns) {
      text.append(el(doc, "p", "dns", label(strings, d.dns === "lying" ? "dnsLying" : "dnsFailing", "DNS is unavailable: the sender could not be verified.")));
    }
    if (payload.brand && payload.brand.name) {
      text.append(el(doc, "span", "brand", `${label(strings, "brand", "Brand")}: ${payload.brand.name}`));
    }
    head.append(text);

    // The footer alone (host version) is not worth a "Details" button.
    const { box: details, hasContent: hasDetails } = buildDetails(doc, payload, strings, o.onOpenUrl);

    if (mode === "banner") {
      const actions = el(doc, "div", "actions");
      if (hasDetails) {
        const toggle = el(doc, "button", "toggle", label(strings, "showDetails", "Details"));
        toggle.setAttribute("type", "button");
        toggle.setAttribute("aria-expanded", "false");
        toggle.setAttribute("aria-controls", "minuku-details");
        details.setAttribute("hidden", "");
        toggle.addEventListener("click", () => {
          const open = details.hasAttribute("hidden");
          if (open) details.removeAttribute("hidden");
          else details.setAttribute("hidden", "");
          toggle.setAttribute("aria-expanded", open ? "true" : "false");
          toggle.textContent = open
            ? label(strings, "hideDetails", "Hide details")
            : label(strings, "showDetails", "Details");
        });
        actions.append(toggle);
      }
      const dismiss = el(doc, "button", "dismiss", label(strings, "dismiss", "Dismiss"));
      dismiss.setAttribute("type", "button");
      dismiss.setAttribute("aria-label", label(strings, "dismissLabel", "Dismiss this warning"));
      dismiss.addEventListener("click", () => {
        host.remove();
        if (typeof o.onDismiss === "function") o.onDismiss();
      });
      actions.append(dismiss);
      head.append(actions);
    }

    box.append(head);
    if (hasDetails || mode === "report") box.append(details);
    shadow.append(box);
    return host;
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
  function mountBanner(doc, host) {
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
      return { host, spacer: null, topLayer, unmount: () => host.remove() };
    }
    if (doc.body) doc.body.prepend(spacer);

    const sync = () => {
      const h = host.getBoundingClientRect ? host.getBoundingClientRect().height : 0;
      spacer.style.setProperty("height", `${Math.ceil(h)}px`, "important");
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
    return { host, spacer, topLayer, unmount };
  }

  /** The full report (popup, report page): the same builder, details open, no dismiss. */
  function buildReport(doc, payload, opts) {
    return buildBanner(doc, payload, Object.assign({}, opts || {}, { mode: "report" }));
  }

  root.MinukuBannerDom = Object.freeze({ buildBanner, buildReport, mountBanner, CSS, HOST_CSS });
})(globalThis);
