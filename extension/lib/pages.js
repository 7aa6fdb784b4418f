// Shared bits of the add-on's own pages (popup, report, options): static labels from
// _locales via data-i18n attributes, and one report entry built with lib/banner-dom.js.

/** Fill every [data-i18n] element's text (and <html lang>) from browser.i18n. */
export function applyI18n(doc, getMessage = (k) => browser.i18n.getMessage(k)) {
  for (const node of doc.querySelectorAll("[data-i18n]")) {
    node.textContent = getMessage(node.getAttribute("data-i18n"));
  }
  const ui = getMessage("@@ui_locale");
  doc.documentElement.setAttribute("lang", String(ui).toLowerCase().startsWith("ja") ? "ja" : "en");
}

export function openUrl(url) {
  return browser.runtime.sendMessage({ type: "minuku:openUrl", url });
}

/**
 * Append one report entry: optional header (subject, sender) and the full report.
 * @param {Document} doc
 * @param {Element} container
 * @param {{payload: object, strings: object, header?: {subject: string, author: string}}} entry
 */
export function renderReport(doc, container, entry, { onOpenUrl, withHeader = false } = {}) {
  const item = doc.createElement("article");
  item.setAttribute("class", "entry");
  if (withHeader && entry.header) {
    const h = doc.createElement("h2");
    h.textContent = entry.header.subject || "—";
    const from = doc.createElement("p");
    from.setAttribute("class", "from");
    from.textContent = entry.header.author;
    item.append(h, from);
  }
  const report = globalThis.MinukuBannerDom.buildReport(doc, entry.payload, {
    strings: entry.strings,
    display: entry.display,
    onOpenUrl,
  });
  if (report) item.append(report);
  container.append(item);
  return item;
}
