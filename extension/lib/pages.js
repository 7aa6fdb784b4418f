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
export function renderReport(doc, container, entry, { onOpenUrl, onAction, withHeader = false } = {}) {
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
    onAction,
  });
  if (report) item.append(report);
  container.append(item);
  return item;
}

/**
 * The report window's summary (issue 9.9): one row per mail (from, subject, verdict, brand),
 * most serious first, each row's subject a link to its full report below. Text only.
 * @param {{results: object[]}} answer what minuku:checkMessages returned
 * @param {(key: string) => string} getMessage
 */
export function renderSummaryTable(doc, container, results, getMessage) {
  const rank = { danger: 0, warning: 1, caution: 2, unknown: 3, ok: 4 };
  const table = doc.createElement("table");
  table.setAttribute("class", "summary-table");
  const head = doc.createElement("tr");
  for (const key of ["reportColFrom", "reportColSubject", "reportColVerdict", "reportColBrand"]) {
    const th = doc.createElement("th");
    th.setAttribute("scope", "col");
    th.textContent = getMessage(key);
    head.append(th);
  }
  const thead = doc.createElement("thead");
  thead.append(head);
  const tbody = doc.createElement("tbody");
  const order = results.map((r, i) => [r, i]).sort((a, b) => (rank[a[0].payload?.verdict] ?? 5) - (rank[b[0].payload?.verdict] ?? 5) || a[1] - b[1]);
  for (const [r, i] of order) {
    const tr = doc.createElement("tr");
    const verdict = r.payload?.verdict ?? "unknown";
    tr.setAttribute("class", `row-${verdict}`);
    const from = doc.createElement("td");
    from.textContent = r.header?.author ?? "";
    const subject = doc.createElement("td");
    const a = doc.createElement("a");
    a.setAttribute("href", `#entry-${i}`);
    a.textContent = r.header?.subject || "—";
    subject.append(a);
    const v = doc.createElement("td");
    const tone = r.display?.tone;
    v.textContent = tone === "verified" ? r.strings?.verdict_verified : tone === "neutral" ? r.strings?.verdict_unverified : (r.strings?.[`verdict_${verdict}`] ?? verdict);
    const brand = doc.createElement("td");
    brand.textContent = r.payload?.brand?.name ?? "";
    tr.append(from, subject, v, brand);
    tbody.append(tr);
  }
  table.append(thead, tbody);
  container.append(table);
  return table;
}
