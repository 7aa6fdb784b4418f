// The banner and the report, as DOM, from an already validated BannerPayload (payload.js).
// A pure builder: it takes the `document` to build in, and only ever uses createElement with
// constant tag names, textContent for every text from the payload, and constant attribute
// values (payload text never becomes markup, an element or an attribute). Everything lives in
// an open Shadow DOM, so the mail's own CSS cannot restyle it and tests can read it.
//
// A classic script, not an ES module: message-display scripts cannot be modules. It defines
// globalThis.MinukuBannerDom; node tests evaluate it with node:vm.
"use strict";

(function (root) {
  const VERDICTS = ["danger", "warning", "caution", "ok", "unknown"];
  const SEVERITIES = ["danger", "warning", "caution", "info"];
  const METHOD_LABEL = { spf: "SPF", dkim: "DKIM", dmarc: "DMARC", arc: "ARC" };

  const CSS = `
:host { all: initial; display: block; }
.banner {
  --bg: #eceff1; --fg: #263238; --edge: #546e7a; --badge-fg: #ffffff; --muted: #455a64;
  font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK JP",
    "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Yu Gothic UI", Meiryo, sans-serif;
  font-size: 14px; line-height: 1.5; color: var(--fg); background: var(--bg);
  border: 1px solid var(--edge); border-left: 6px solid var(--edge); border-radius: 4px;
  margin: 0 0 12px 0; padding: 8px 12px; box-sizing: border-box;
}
.banner:lang(ja) {
  font-family: "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Hiragino Kaku Gothic ProN",
    "Yu Gothic UI", Meiryo, "IPAexGothic", "IPAGothic", system-ui, sans-serif;
  line-height: 1.7;
}
.v-danger  { --bg: #fdecea; --fg: #4a0d0d; --edge: #b71c1c; --muted: #6d1f1f; }
.v-warning { --bg: #fff3e0; --fg: #3e2000; --edge: #c75000; --muted: #5d3200; }
.v-caution { --bg: #fffbd6; --fg: #332b00; --edge: #a07800; --muted: #4d4200; }
.v-ok      { --bg: #f1f8f1; --fg: #173318; --edge: #2e7d32; --muted: #2f4f30; padding: 4px 12px; }
@media (prefers-color-scheme: dark) {
  .banner    { --bg: #263238; --fg: #eceff1; --edge: #90a4ae; --badge-fg: #10171a; --muted: #cfd8dc; }
  .v-danger  { --bg: #3d1010; --fg: #ffe4e1; --edge: #ff6f61; --muted: #ffc9c2; }
  .v-warning { --bg: #3d2600; --fg: #ffecd1; --edge: #ffa040; --muted: #ffd8a8; }
  .v-caution { --bg: #363000; --fg: #fff8c4; --edge: #e6c700; --muted: #f2e79a; }
  .v-ok      { --bg: #142a16; --fg: #dcf2dd; --edge: #66bb6a; --muted: #b9dcbb; }
}
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
.evidence { color: var(--muted); font-family: ui-monospace, "Noto Sans Mono CJK JP", monospace;
  font-size: 12px; list-style: square; }
.link { border: none; padding: 0; text-decoration: underline; color: inherit; text-align: start; }
.foot { color: var(--muted); font-size: 11px; margin-top: 6px; }
`;

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

  /**
   * @param {Document} doc
   * @param {object} payload a validated BannerPayload
   * @param {{strings?: object, hideOk?: boolean, mode?: "banner"|"report",
   *   onDismiss?: () => void, onOpenUrl?: (url: string) => void}} [opts]
   * @returns {HTMLElement|null} the shadow host (null: an ok banner the user hides)
   */
  function buildBanner(doc, payload, opts) {
    const o = opts || {};
    const strings = o.strings || {};
    const mode = o.mode === "report" ? "report" : "banner";
    const verdict = VERDICTS.includes(payload.verdict) ? payload.verdict : "unknown";
    if (mode === "banner" && verdict === "ok" && o.hideOk) return null;

    const host = doc.createElement("div");
    if (mode === "banner") host.setAttribute("id", "minuku-banner");
    host.setAttribute("class", "minuku-host");
    host.setAttribute("data-verdict", verdict);
    host.setAttribute("data-origin", payload.origin === "addon" ? "addon" : "host");
    // Inline !important beats any !important in the mail's own stylesheet.
    if (host.style && host.style.setProperty) {
      for (const [k, v] of [["display", "block"], ["visibility", "visible"], ["opacity", "1"],
        ["position", "static"], ["transform", "none"], ["filter", "none"]]) {
        host.style.setProperty(k, v, "important");
      }
    }
    const shadow = host.attachShadow({ mode: "open" });
    shadow.append(el(doc, "style", null, CSS));

    const box = el(doc, "section", `banner v-${verdict}`);
    box.setAttribute("role", verdict === "danger" ? "alert" : "status");
    box.setAttribute("lang", payload.locale === "ja" ? "ja" : "en");

    const head = el(doc, "div", "head");
    head.append(el(doc, "span", "badge", label(strings, `verdict_${verdict}`, verdict)));
    const text = el(doc, "div", "text");
    text.append(el(doc, "strong", "title", payload.title));
    if (payload.summary) text.append(el(doc, "p", "summary", payload.summary));
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

  /** The full report (popup, report page): the same builder, details open, no dismiss. */
  function buildReport(doc, payload, opts) {
    return buildBanner(doc, payload, Object.assign({}, opts || {}, { mode: "report" }));
  }

  root.MinukuBannerDom = Object.freeze({ buildBanner, buildReport, CSS });
})(globalThis);
