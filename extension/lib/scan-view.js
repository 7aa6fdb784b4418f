// The folder check's page (scan.html) as a function of the job's state, so node tests can render
// it into a fake DOM. Mail text (subject, sender) only ever goes into textContent.

const ORDER = ["danger", "warning", "caution", "ok", "unknown"];
const VERDICT_KEY = {
  danger: "verdictDanger",
  warning: "verdictWarning",
  caution: "verdictCaution",
  ok: "verdictOk",
  unknown: "verdictUnknown",
};

function cell(doc, text, cls) {
  const td = doc.createElement("td");
  if (cls) td.setAttribute("class", cls);
  td.textContent = text;
  return td;
}

/**
 * @param {Document} doc
 * @param {object|null} job one entry of arrival.status().jobs
 * @param {{paused: boolean}} status
 * @param {(key: string, subs?: string[]) => string} msg
 */
export function renderScan(doc, job, status, msg) {
  const $ = (id) => doc.getElementById(id);
  $("pause").textContent = msg(status.paused ? "scanResume" : "scanPause");
  if (!job) {
    $("state").textContent = msg("scanRunning");
    return;
  }
  $("heading").textContent = `${msg("scanTitle")} — ${job.name}`;
  const progress = job.total
    ? msg("scanProgress", [String(job.done), String(job.total)])
    : msg("scanProgressNoTotal", [String(job.done)]);
  let state = msg("scanRunning");
  if (job.state === "done") state = msg("scanDone");
  else if (job.state === "error") state = msg("scanErrorState", [String(job.error ?? "")]);
  else if (status.paused) state = msg("scanPausedState");
  $("state").textContent = `${state} ${progress}`;
  const bar = $("bar");
  bar.setAttribute("max", String(Math.max(1, job.total ?? job.done)));
  bar.setAttribute("value", String(job.done));
  $("counts").textContent = ORDER.filter((v) => job.counts[v]).map((v) => `${msg(VERDICT_KEY[v])} ${job.counts[v]}`).join(" · ");
  $("pause").hidden = job.state === "done";
  if (job.state !== "done") return;

  $("summary").hidden = false;
  const sum = $("summaryTable").querySelector("tbody");
  sum.replaceChildren();
  for (const v of ORDER) {
    const tr = doc.createElement("tr");
    tr.setAttribute("class", `verdict-${v}`);
    tr.append(cell(doc, msg(VERDICT_KEY[v])), cell(doc, String(job.counts[v] ?? 0), "num"));
    sum.append(tr);
  }
  $("kept").textContent = job.kept ? msg("scanKept", [String(job.kept)]) : "";
  $("moved").textContent = job.moved ? msg("scanMovedCount", [String(job.moved)]) : "";
  const rows = $("rows").querySelector("tbody");
  rows.replaceChildren();
  $("nothing").hidden = job.rows.length > 0;
  for (const r of job.rows) {
    const tr = doc.createElement("tr");
    tr.setAttribute("class", `verdict-${ORDER.includes(r.verdict) ? r.verdict : "unknown"}`);
    const verdict = msg(VERDICT_KEY[r.verdict] ?? "verdictUnknown") + (r.moved ? ` (${msg("scanMoved")})` : "");
    tr.append(cell(doc, verdict), cell(doc, r.subject || "—"), cell(doc, r.author), cell(doc, r.date.slice(0, 16).replace("T", " ")));
    rows.append(tr);
  }
}
