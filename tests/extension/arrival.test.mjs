// Issue 12: background checks (new mail, "check this folder"), tags, move to Junk, results kept
// by message, opening without sender lookups, priority of the displayed message, scale and
// resuming after a restart. Fake Thunderbird (arrival-fakes.mjs) and a fake host.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ArrivalStore, GENERATION_SIZE, MAX_GENERATIONS, fingerprint } from "../../extension/lib/arrival-store.js";
import { ARRIVAL_MOMENT_MS, IN_FLIGHT, MAX_INFLIGHT_BYTES, MAX_PENDING, STAGES, createArrival, mergeAtOpen, normalizeArrivalOptions } from "../../extension/lib/arrival.js";
import { MAX_MESSAGE_BYTES, rawToBase64 } from "../../extension/lib/base64.js";
import { createController } from "../../extension/lib/controller.js";
import { HostClient } from "../../extension/lib/hostclient.js";
import { memoryStorage } from "../../extension/lib/idb-kv.js";
import { TAG_COLORS, TAG_KEYS, nextTags } from "../../extension/lib/tags.js";
import { INBOX, JUNK, TRASH, fakeMailBrowser, mail, translate, verdictPayload } from "./arrival-fakes.mjs";
import { createTranslator } from "../../extension/lib/i18n.js";
import { FakeHost, LOCALES, helloResponse, settle } from "./helpers.mjs";

const createTranslatorFor = (lang) => createTranslator(LOCALES[lang], LOCALES.en);

function verdictHost({ delayMs = 0 } = {}) {
  return new FakeHost((frame, host) => {
    if (frame.type === "hello") return [helloResponse(frame.id)];
    if (frame.type !== "check") return [];
    const answer = { type: "result", protocol_version: 1, id: frame.id, partial: false, payload: verdictPayload(frame) };
    if (!delayMs) return [answer];
    setTimeout(() => host.port.alive && host.port.onMessage.fire(structuredClone(answer)), delayMs);
    return [];
  });
}

function wireFor(offline = false) {
  return async () => ({ locale: "en", wire: { locale: "en", offline, trusted_authserv_ids: [], nameservers: [] } });
}

function setup({ mails = [], local = {}, offline = false, storage = memoryStorage(), host = verdictHost(), ...rest } = {}) {
  const b = fakeMailBrowser({ mails: new Map(mails.map((m) => [m.id, m])), local, ...rest });
  const client = new HostClient({ connectNative: host.connectNative, backoffMs: [0] });
  const arrival = createArrival({ browser: b, client, getOptions: wireFor(offline), translate, storage, log: { warn() {}, info() {} } });
  return { b, host, client, arrival, storage };
}

async function arrive(a, b, ...ids) {
  await a.start();
  await a.onNewMail(INBOX, { id: null, messages: ids.map((id) => structuredClone({ ...b.mails.get(id), raw: undefined })) });
  await a.idle();
}

test("new mail: danger gets the red tag, warning the orange one, ok mail none", async () => {
  const { b, arrival } = setup({ mails: [mail(1, { danger: true }), mail(2, { warning: true }), mail(3)] });
  await arrive(arrival, b, 1, 2, 3);
  assert.deepEqual(b.mails.get(1).tags, [TAG_KEYS.danger]);
  assert.deepEqual(b.mails.get(2).tags, [TAG_KEYS.warning]);
  assert.deepEqual(b.mails.get(3).tags, []);
  assert.equal(b.tagDefs.get(TAG_KEYS.danger).color, TAG_COLORS.danger);
  assert.equal(b.tagDefs.get(TAG_KEYS.warning).color, TAG_COLORS.warning);
  assert.equal(b.tagDefs.get(TAG_KEYS.danger).tag, "Minuku: danger");
});

test("tags are named in the user's language (ja), and renamed when the language changes", async () => {
  const host = verdictHost();
  const b = fakeMailBrowser({ mails: new Map([[1, mail(1, { danger: true })]]) });
  const client = new HostClient({ connectNative: host.connectNative });
  const arrival = createArrival({
    browser: b, client, translate, log: { warn() {} },
    getOptions: async () => ({ locale: "ja", wire: { locale: "ja", offline: false, trusted_authserv_ids: [], nameservers: [] } }),
  });
  await arrive(arrival, b, 1);
  assert.equal(b.tagDefs.get(TAG_KEYS.danger).tag, LOCALES.ja.tagDanger.message);
  assert.equal(b.tagDefs.get(TAG_KEYS.warning).tag, LOCALES.ja.tagWarning.message);
});

test("the user's own tags are kept; only Minuku's are replaced", () => {
  assert.deepEqual(nextTags(["$label1", "minuku_warning"], "danger"), ["$label1", "minuku_danger"]);
  assert.deepEqual(nextTags(["$label1", "minuku_danger"], "ok"), ["$label1"]);
  assert.equal(nextTags(["$label1"], "ok"), null, "no change, no update call");
});

test("an offline check never lowers or clears a mark an online check set", () => {
  assert.equal(nextTags(["minuku_danger"], "ok", { online: false }), null);
  assert.equal(nextTags(["minuku_danger"], "warning", { online: false }), null);
  assert.deepEqual(nextTags(["minuku_warning"], "danger", { online: false }), ["minuku_danger"]);
  assert.deepEqual(nextTags([], "danger", { online: false }), ["minuku_danger"]);
});

test("nothing is ever deleted and no message is changed: the only writes are tags (and a move when asked)", async () => {
  const { b, arrival } = setup({ mails: [mail(1, { danger: true }), mail(2, { warning: true }), mail(3)] });
  await arrive(arrival, b, 1, 2, 3);
  assert.deepEqual(b.calls.delete, []);
  assert.deepEqual(b.calls.import, []);
  assert.deepEqual(b.calls.move, [], "move-to-Junk is off by default");
  for (const [, props] of b.calls.update) assert.deepEqual(Object.keys(props), ["tags"]);
  assert.equal(normalizeArrivalOptions({}).moveDangerToJunk, false);
});

test("move to Junk (when turned on): only the danger mail moves, to its own account's Junk", async () => {
  const { b, arrival } = setup({
    mails: [mail(1, { danger: true }), mail(2, { warning: true }), mail(3)],
    local: { moveDangerToJunk: true },
  });
  await arrive(arrival, b, 1, 2, 3);
  assert.deepEqual(b.calls.move, [[[1], JUNK.id]]);
  assert.equal(b.mails.get(1).folder.id, JUNK.id);
  assert.equal(b.mails.get(2).folder.id, INBOX.id);
  assert.deepEqual(b.mails.get(1).tags, [TAG_KEYS.danger], "the tag is set before the move");
});

test("move to Junk never takes mail out of Trash or Junk", async () => {
  const { b, arrival } = setup({ mails: [mail(1, { danger: true, folder: TRASH })], local: { moveDangerToJunk: true } });
  await arrival.start();
  await arrival.checkFolder(TRASH);
  await arrival.idle();
  assert.deepEqual(b.calls.move, []);
  assert.deepEqual(b.mails.get(1).tags, [TAG_KEYS.danger]);
});

test("pause: new mail waits while paused and is checked when resumed", async () => {
  const { b, arrival, host } = setup({ mails: [mail(1, { danger: true })], local: { arrivalPaused: true } });
  await arrive(arrival, b, 1);
  assert.equal(host.framesOfType("check").length, 0);
  assert.equal(arrival.status().pending, 1);
  await arrival.setPaused(false);
  await arrival.idle();
  assert.equal(host.framesOfType("check").length, 1);
  assert.deepEqual(b.mails.get(1).tags, [TAG_KEYS.danger]);
});

test("arrival checking off: new mail is left alone", async () => {
  const { b, arrival, host } = setup({ mails: [mail(1, { danger: true })], local: { arrivalCheck: false } });
  await arrive(arrival, b, 1);
  assert.equal(host.framesOfType("check").length, 0);
});

test("background checks ask with sender lookups (arrival is when the server already told the sender)", async () => {
  const { b, arrival, host } = setup({ mails: [mail(1)] });
  await arrive(arrival, b, 1);
  assert.equal(host.framesOfType("check")[0].options.sender_lookups, true);
  assert.deepEqual(host.invalid, []);
});

test("more new mail than the queue holds: the folder is checked instead (bounded queue)", async () => {
  const n = MAX_PENDING + 20;
  const mails = Array.from({ length: n }, (_, i) => mail(i + 1));
  const { b, arrival, host } = setup({ mails, local: { arrivalPaused: true } });
  await arrive(arrival, b, ...mails.map((m) => m.id));
  const s = arrival.status();
  assert.equal(s.pending, MAX_PENDING);
  assert.equal(s.jobs.length, 1);
  assert.equal(s.jobs[0].folderId, INBOX.id);
  await arrival.setPaused(false);
  await arrival.idle();
  assert.equal(host.framesOfType("check").length, n, "each message checked once (kept ones skipped)");
});

// ---------------------------------------------------------------- opening a mail

function controllerWith(b, arrival, host) {
  const client = new HostClient({ connectNative: host.connectNative });
  return createController({ browser: b, client, locales: LOCALES, arrival, log: { warn() {}, info() {} } });
}

test("opening a mail checked on arrival: no DNS about the sender's own names (sender_lookups false)", async () => {
  const { b, arrival, host } = setup({ mails: [mail(1), mail(2)] });
  await arrive(arrival, b, 1);
  const display = verdictHost();
  const c = controllerWith(b, arrival, display);
  await c.checkMessage(1);
  await c.checkMessage(2); // never checked in the background
  const [first, second] = display.framesOfType("check");
  assert.equal(first.options.sender_lookups, false, "checked on arrival");
  assert.notEqual(second.options.sender_lookups, false, "not checked before: a normal check");
  assert.deepEqual(display.invalid, []);
  assert.equal(host.framesOfType("check").length, 1);
});

test("option 'never look up the sender's own names when I open a mail' covers old mail too", async () => {
  const { b, arrival } = setup({ mails: [mail(2)], local: { neverSenderLookupsOnOpen: true } });
  await arrival.start();
  const display = verdictHost();
  await controllerWith(b, arrival, display).checkMessage(2);
  assert.equal(display.framesOfType("check")[0].options.sender_lookups, false);
});

test("new mail opened long after it came, its arrival check still waiting: no DNS about the sender's own names", async () => {
  // Paused (or no host, or a long queue): a query at opening would tell the sender when the
  // mail was read. Opened within ARRIVAL_MOMENT_MS of its coming, the moment is the arrival's.
  let t = 1_000_000;
  const b = fakeMailBrowser({ mails: new Map([[1, mail(1)], [2, mail(2)]]), local: { arrivalPaused: true } });
  const client = new HostClient({ connectNative: verdictHost().connectNative });
  const arrival = createArrival({ browser: b, client, getOptions: wireFor(), translate, now: () => t, log: { warn() {}, info() {} } });
  await arrive(arrival, b, 1, 2);
  const display = verdictHost();
  const c = controllerWith(b, arrival, display);
  t += ARRIVAL_MOMENT_MS / 2;
  await c.checkMessage(1);
  t += ARRIVAL_MOMENT_MS;
  await c.checkMessage(2);
  const [soon, late] = display.framesOfType("check");
  assert.notEqual(soon.options.sender_lookups, false, "opened as it came");
  assert.equal(late.options.sender_lookups, false, "opened later, not yet checked");
  assert.equal(arrival.status().pending, 2, "both still wait for their arrival check");
});

test("an arrival check made offline does not count: opening it may look the sender up", async () => {
  const { b, arrival } = setup({ mails: [mail(1)], offline: true });
  await arrive(arrival, b, 1);
  const display = verdictHost();
  await controllerWith(b, arrival, display).checkMessage(1);
  assert.notEqual(display.framesOfType("check")[0].options.sender_lookups, false);
});

test("the kept online verdict is shown when the restricted opening check knows less", async () => {
  // Arrival (full): danger. Opening (no sender lookups): the host cannot see it, says ok.
  const m = mail(1, { danger: true });
  const { b, arrival } = setup({ mails: [m] });
  await arrive(arrival, b, 1);
  m.raw = m.raw.replace("X-Verdict: danger", "X-Verdict: ok");
  const display = verdictHost();
  const { payload } = await controllerWith(b, arrival, display).checkMessage(1);
  assert.equal(payload.verdict, "danger");
  assert.match(payload.title, /danger-1/);
  assert.deepEqual(b.mails.get(1).tags, [TAG_KEYS.danger], "the mark stays");
});

test("a later full online check at opening that finds nothing wrong takes the tag off", async () => {
  // Tagged offline (look-alike found without DNS); opened online with lookups allowed.
  const m = mail(1, { warning: true });
  const { b, arrival } = setup({ mails: [m], offline: true });
  await arrive(arrival, b, 1);
  assert.deepEqual(b.mails.get(1).tags, [TAG_KEYS.warning]);
  m.raw = m.raw.replace("X-Verdict: warning", "X-Verdict: ok");
  const display = verdictHost();
  const { payload } = await controllerWith(b, arrival, display).checkMessage(1);
  assert.equal(payload.verdict, "ok");
  assert.deepEqual(b.mails.get(1).tags, []);
});

test("mergeAtOpen never makes a mail look better than what it was found to be", () => {
  const fresh = { verdict: "danger", title: "fresh" };
  assert.equal(mergeAtOpen(fresh, { v: "ok", o: true }, null, { restricted: true }).payload, fresh);
  const kept = { verdict: "warning", title: "kept" };
  assert.equal(mergeAtOpen({ verdict: "ok" }, { v: "warning", o: true }, kept, { restricted: true }).payload, kept);
  assert.equal(mergeAtOpen({ verdict: "ok" }, { v: "warning", o: true }, kept, { restricted: false }).verdict, "ok");
});

test("forged Message-ID: a phish reusing a checked mail's Message-ID is its own record", async () => {
  const genuine = mail(1, { mid: "order-123@amazon.co.jp", author: "Amazon.co.jp <ship@amazon.co.jp>" });
  const phish = mail(2, { mid: "order-123@amazon.co.jp", author: "Amazon.co.jp <ship@amazon-co-jp.example.top>", danger: true, size: 5555 });
  assert.notEqual(await fingerprint(genuine), await fingerprint(phish));
  const { b, arrival } = setup({ mails: [genuine, phish] });
  await arrive(arrival, b, 1, 2);
  assert.deepEqual(b.mails.get(2).tags, [TAG_KEYS.danger]);
  assert.deepEqual(b.mails.get(1).tags, []);
});

test("a mail without a Message-ID is checked and tagged but nothing is kept for it", async () => {
  const m = mail(1, { danger: true, mid: "" });
  const { b, arrival } = setup({ mails: [m] });
  await arrive(arrival, b, 1);
  assert.deepEqual(b.mails.get(1).tags, [TAG_KEYS.danger]);
  assert.equal(arrival.store.size, 0);
});

// ---------------------------------------------------------------- priority

test("the displayed message goes first: no background request starts while it is checked", async () => {
  const mails = Array.from({ length: 10 }, (_, i) => mail(i + 1));
  const { b, arrival, host } = setup({ mails, host: verdictHost({ delayMs: 5 }) });
  await arrival.start();
  let release;
  arrival.foreground(new Promise((r) => (release = r)));
  const done = arrival.onNewMail(INBOX, { id: null, messages: mails.map((m) => ({ ...m, raw: undefined })) });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(host.framesOfType("check").length, 0, "waiting for the displayed message");
  release();
  await done;
  await arrival.idle();
  assert.equal(host.framesOfType("check").length, 10);
});

test("the displayed message's checks never wait for background work (its own port, answered while the background hangs)", { timeout: 20000 }, async () => {
  // A background host that answers nothing until the end: if a display check waited for any
  // background answer, it could never finish. (The time it adds in a real Thunderbird is
  // measured end to end: tests/e2e/test_arrival_imap.py, bench/bench_arrival.py.)
  const held = [];
  const bgHost = new FakeHost((frame, host) => {
    if (frame.type === "hello") return [helloResponse(frame.id)];
    if (frame.type === "check") held.push(() => host.port.alive && host.port.onMessage.fire({ type: "result", protocol_version: 1, id: frame.id, partial: false, payload: verdictPayload(frame) }));
    return [];
  });
  const mails = Array.from({ length: 40 }, (_, i) => mail(i + 1));
  const { b, arrival } = setup({ mails, host: bgHost });
  await arrival.start();
  const bg = arrival.onNewMail(INBOX, { id: null, messages: mails.map((m) => ({ ...m, raw: undefined })) });
  for (let i = 0; i < 50 && held.length === 0; i++) await settle();
  assert.ok(held.length > 0, "background checks are in flight, unanswered");
  const display = verdictHost();
  const c = controllerWith(b, arrival, display);
  for (const id of [3, 17, 29]) {
    c.cache.clear();
    const { payload } = await c.checkMessage(id, { force: true });
    assert.equal(payload.verdict, "ok");
  }
  assert.equal(display.framesOfType("check").length, 3);
  for (const answer of held.splice(0)) answer();
  bg.catch(() => {});
  await arrival.setPaused(true);
});

// ---------------------------------------------------------------- folders, scale, restart

test("check this folder: progress, a summary table and the marked rows", async () => {
  const mails = [mail(1, { danger: true, subject: "<img src=x onerror=alert(1)>" }), mail(2, { warning: true }), mail(3), mail(4)];
  const { b, arrival } = setup({ mails });
  await arrival.start();
  await arrival.onMenuClicked({ menuItemId: "minuku-check-folder", selectedFolders: [INBOX] });
  await arrival.idle();
  const [job] = arrival.status().jobs;
  assert.equal(job.state, "done");
  assert.equal(job.total, 4);
  assert.equal(job.done, 4);
  assert.deepEqual(job.counts, { danger: 1, warning: 1, caution: 0, ok: 2, unknown: 0 });
  assert.equal(job.rows.length, 2);
  // Rows come in the order the checks finish (several are in flight at once).
  assert.equal(job.rows.find((r) => r.verdict === "danger").subject, "<img src=x onerror=alert(1)>", "kept as text");
  assert.match(b.calls.windows[0].url, /scan\.html#account1%3A%2F%2FINBOX$/);
});

test("10,000 messages: page by page, bounded writes, bounded memory of kept results", async () => {
  const N = 10000;
  const gen = (id) => mail(id, { danger: id % 1000 === 0 });
  const writes = [];
  const storage = memoryStorage();
  const set = storage.set;
  storage.set = async (items) => {
    for (const [k, v] of Object.entries(items)) if (k.startsWith("arrivalGen:")) writes.push(Object.keys(v).length);
    return set(items);
  };
  const { arrival, host } = setup({ generate: gen, generated: N, storage });
  // The fake host keeps no copy of the frames here, so the heap figure is the add-on's.
  const frames = { checks: 0, push(f) { if (f.type === "check") this.checks += 1; }, filter: () => [] };
  host.received = frames;
  await arrival.start();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  await arrival.checkFolder(INBOX);
  await arrival.idle();
  const ms = performance.now() - t0;
  const [job] = arrival.status().jobs;
  assert.equal(job.done, N);
  assert.equal(job.counts.danger, 10);
  assert.equal(frames.checks, N);
  assert.ok(Math.max(...writes) <= GENERATION_SIZE, `largest write ${Math.max(...writes)} records`);
  assert.ok(arrival.store.size <= GENERATION_SIZE * MAX_GENERATIONS);
  const heapMb = (process.memoryUsage().heapUsed - heap0) / 1e6;
  // Add-on side only (fake host): the figure is printed for the record.
  console.log(`# 10,000 messages in ${(ms / 1000).toFixed(1)} s (${Math.round(N / (ms / 1000))} msg/s add-on side), heap +${heapMb.toFixed(1)} MB`);
});

test("a folder check resumes after a restart and does not check again what was kept", async () => {
  const N = 600;
  const gen = (id) => mail(id, { danger: id === 550 });
  const storage = memoryStorage();
  const first = setup({ generate: gen, generated: N, storage });
  await first.arrival.start();
  await first.arrival.checkFolder(INBOX);
  // "Thunderbird quits" after about 250 checks.
  while (first.host.framesOfType("check").length < 250) await new Promise((r) => setTimeout(r, 1));
  await first.arrival.setPaused(true);
  await first.arrival.idle();
  const checkedBefore = first.host.framesOfType("check").length;
  assert.ok(checkedBefore < N);
  assert.equal(first.arrival.status().jobs[0].state, "running");

  const second = setup({ generate: gen, generated: N, storage, local: { arrivalPaused: false } });
  await second.arrival.start();
  await second.arrival.idle();
  const [job] = second.arrival.status().jobs;
  assert.equal(job.state, "done");
  assert.equal(job.done, N);
  assert.ok(job.kept >= checkedBefore - IN_FLIGHT, `kept ${job.kept}, checked before ${checkedBefore}`);
  assert.equal(second.host.framesOfType("check").length + job.kept, N, "every message checked once in all");
  assert.equal(job.counts.danger, 1);
});

test("new mail waiting at shutdown is found again by Message-ID after the restart", async () => {
  const storage = memoryStorage();
  const m = mail(7, { danger: true });
  const first = setup({ mails: [m], storage, local: { arrivalPaused: true } });
  await arrive(first.arrival, first.b, 7);
  const second = setup({ mails: [m], storage });
  await second.arrival.start();
  await second.arrival.idle();
  assert.deepEqual(second.b.mails.get(7).tags, [TAG_KEYS.danger]);
});

test("store: bounded, oldest generation dropped whole, kept across a reload", async () => {
  const storage = memoryStorage();
  const s = new ArrivalStore(storage);
  const total = GENERATION_SIZE * MAX_GENERATIONS + 5;
  const fps = [];
  for (let i = 0; i < total; i++) {
    const fp = i.toString(16).padStart(32, "0");
    fps.push(fp);
    await s.put(fp, { verdict: "ok", online: true });
  }
  await s.flush();
  assert.ok(s.size <= GENERATION_SIZE * MAX_GENERATIONS);
  assert.equal(await s.get(fps[0]), null, "the oldest is gone");
  assert.equal((await s.get(fps.at(-1))).v, "ok");
  const again = new ArrivalStore(storage);
  assert.equal(again.size, 0);
  assert.equal((await again.get(fps.at(-1))).v, "ok");
  assert.equal(again.size, s.size);
});

test("the folder summary page shows the mail's subject and sender as text, never as markup", async () => {
  const { FakeDocument } = await import("./helpers.mjs");
  const { renderScan } = await import("../../extension/lib/scan-view.js");
  const doc = new FakeDocument();
  for (const id of ["heading", "state", "bar", "counts", "pause", "summary", "kept", "moved", "nothing"]) {
    const e = doc.createElement("p");
    e.setAttribute("id", id);
    doc.body.append(e);
  }
  for (const id of ["summaryTable", "rows"]) {
    const t = doc.createElement("table");
    t.setAttribute("id", id);
    t.append(doc.createElement("tbody"));
    doc.body.append(t);
  }
  const hostile = "<img src=x onerror=alert(1)>【重要】";
  const job = {
    name: "<b>Inbox</b>", state: "done", total: 3, done: 3, kept: 1, moved: 1, error: null,
    counts: { danger: 1, warning: 0, caution: 0, ok: 2, unknown: 0 },
    rows: [{ verdict: "danger", subject: hostile, author: "\"Amazon\" <a@amazon-co-jp.example.top>", date: "2026-11-27T00:12:00.000Z", moved: true }],
  };
  const msg = (k, subs = []) => createTranslatorFor("en")(k, subs);
  renderScan(doc, job, { paused: false }, msg);
  assert.ok(!doc.log.elements.includes("img") && !doc.log.elements.includes("b"));
  const rows = doc.getElementById("rows").querySelector("tbody");
  assert.equal(rows.children.length, 1);
  assert.equal(rows.children[0].children[1].textContent, hostile);
  assert.match(rows.children[0].children[0].textContent, /Danger \(moved to Junk\)/);
  assert.match(doc.getElementById("state").textContent, /Finished\. 3 of 3/);
  assert.equal(doc.getElementById("pause").hidden, true, "nothing to pause once done");
});

test("host missing: new mail and a folder check wait, nothing is lost, both go on when it is back", async () => {
  const host = verdictHost();
  host.missing = true;
  const mails = [mail(1, { danger: true }), ...Array.from({ length: 5 }, (_, i) => mail(i + 2))];
  const { b, arrival } = setup({ mails, host });
  await arrive(arrival, b, 1);
  assert.equal(arrival.status().pending, 1, "the new mail still waits");
  assert.match(arrival.status().lastError ?? "", /No such native application/);
  await arrival.checkFolder(INBOX);
  await arrival.idle();
  assert.notEqual(arrival.status().jobs[0].state, "done", "the folder check waits too");
  host.missing = false;
  await arrival.onNewMail(INBOX, { id: null, messages: [] }); // the next trigger
  await arrival.idle();
  assert.deepEqual(b.mails.get(1).tags, [TAG_KEYS.danger]);
  assert.equal(arrival.status().pending, 0);
  const [job] = arrival.status().jobs;
  assert.equal(job.state, "done");
  assert.equal(job.done, 6);
});

test("host uninstalled in the middle of a folder check: it stops, and resumes where it was", async () => {
  let n = 0;
  const host = new FakeHost((frame, h) => {
    if (frame.type === "hello") return [helloResponse(frame.id)];
    n += 1;
    if (n === 30) {
      h.missing = true; // uninstalled: the process dies, and cannot be started again
      queueMicrotask(() => h.crash("the host exited"));
      return [];
    }
    return [{ type: "result", protocol_version: 1, id: frame.id, partial: false, payload: verdictPayload(frame) }];
  });
  const { arrival } = setup({ generate: (id) => mail(id), generated: 100, host });
  await arrival.start();
  await arrival.checkFolder(INBOX);
  await arrival.idle();
  let [job] = arrival.status().jobs;
  assert.equal(job.state, "error");
  assert.ok(job.done < 100);
  host.missing = false;
  await arrival.onNewMail(INBOX, { id: null, messages: [] });
  await arrival.idle();
  [job] = arrival.status().jobs;
  assert.equal(job.state, "done");
  assert.equal(job.done, 100);
  assert.ok(job.kept >= 25, `kept ${job.kept}: what was checked before is not checked again`);
});

test("the stop reason is cleared once the host answers again", async () => {
  const host = verdictHost();
  host.missing = true;
  const { b, arrival } = setup({ mails: [mail(1)], host });
  await arrive(arrival, b, 1);
  assert.ok(arrival.status().lastError);
  host.missing = false;
  await arrival.onNewMail(INBOX, { id: null, messages: [] });
  await arrival.idle();
  assert.equal(arrival.status().lastError, null);
});

test("new mail a folder check of this session already checked is not checked twice", async () => {
  const mails = Array.from({ length: 30 }, (_, i) => mail(i + 1));
  const { b, arrival, host } = setup({ mails });
  await arrival.start();
  await arrival.checkFolder(INBOX);
  await arrival.idle();
  assert.equal(host.framesOfType("check").length, 30);
  // Thunderbird reports the same mails as new afterwards (a burst is listed while it is filed).
  await arrival.onNewMail(INBOX, { id: null, messages: mails.slice(0, 10).map((m) => ({ ...m, raw: undefined })) });
  await arrival.idle();
  assert.equal(host.framesOfType("check").length, 30);
  assert.equal(b.calls.getRaw.length, 30, "not even read again");
});

test("a different mail with a checked mail's Message-ID, size, date and sender is still checked on arrival", async () => {
  // The sender sends a harmless mail, then a phish padded to the same identity.
  const first = mail(1, { mid: "same@kumo.example", size: 4000, author: "Kumo <news@kumo.example>" });
  const second = mail(2, { mid: "same@kumo.example", size: 4000, author: "Kumo <news@kumo.example>", danger: true });
  second.date = first.date;
  assert.equal(await fingerprint(first), await fingerprint(second));
  const { b, arrival, host } = setup({ mails: [first, second] });
  await arrive(arrival, b, 1);
  await arrive(arrival, b, 2);
  assert.equal(host.framesOfType("check").length, 2);
  assert.deepEqual(b.mails.get(2).tags, [TAG_KEYS.danger]);
});

// ---------------------------------------------------------------- throughput (issue 12.4)

test("a folder pass is one pipeline: the next page is asked for while this page's checks are still in flight", async () => {
  const mails = Array.from({ length: 30 }, (_, i) => mail(i + 1));
  const host = verdictHost({ delayMs: 5 });
  let answeredAtSecondPage = null;
  const hooks = { continueList: () => (answeredAtSecondPage ??= host.framesOfType("check").length) };
  const { arrival } = setup({ mails, host, pageSize: 10, hooks });
  await arrival.start();
  await arrival.checkFolder(INBOX);
  await arrival.idle();
  const [job] = arrival.status().jobs;
  assert.equal(job.done, 30);
  // Asked when the first page's checks had only been sent (the window is IN_FLIGHT wide), not
  // after the first page's ten were all answered.
  assert.ok(answeredAtSecondPage <= IN_FLIGHT, `second page asked after ${answeredAtSecondPage} checks were sent`);
  assert.deepEqual(Object.keys(job.stages), [...STAGES], "the pass keeps its stage times");
});

test("a folder pass logs where its time went, per message and stage", async () => {
  const lines = [];
  const b = fakeMailBrowser({ mails: new Map([[1, mail(1)], [2, mail(2)]]) });
  const host = verdictHost();
  const client = new HostClient({ connectNative: host.connectNative });
  const arrival = createArrival({ browser: b, client, getOptions: wireFor(true), translate, log: { warn() {}, info: (l) => lines.push(l) } });
  await arrival.start();
  await arrival.checkFolder(INBOX);
  await arrival.idle();
  const line = lines.find((l) => l.startsWith("minuku: folder check stages, ms per message: "));
  assert.ok(line, lines.join("\n"));
  for (const stage of STAGES) assert.match(line, new RegExp(`${stage} \\d+\\.\\d\\d`));
  assert.equal(lines.filter((l) => l.startsWith("minuku: background check: ")).length, 2, "one line per check stays");
});

test("a tag the user adds while the check runs is kept when Minuku's mark is set (the list page's header is old by then)", async () => {
  // The folder pass read the header (no tags) from a list page; the user tags the mail
  // "$label1" (Important) before the host answers "danger".
  const hooks = { getRaw: (id, m) => (m.tags = ["$label1"]) };
  const { b, arrival } = setup({ mails: [mail(1, { danger: true }), mail(2)], hooks });
  await arrival.start();
  await arrival.checkFolder(INBOX);
  await arrival.idle();
  assert.deepEqual(b.mails.get(1).tags, ["$label1", TAG_KEYS.danger]);
  assert.deepEqual(b.mails.get(2).tags, ["$label1"], "ok mail: nothing written");
});

test("mail that needs no mark costs no tag call and no second header read", async () => {
  const mails = Array.from({ length: 20 }, (_, i) => mail(i + 1));
  const { b, arrival } = setup({ mails });
  await arrive(arrival, b, ...mails.map((m) => m.id));
  assert.equal(b.calls.update.length, 0);
  assert.equal(b.calls.get.length, 0, "the new-mail event's own headers are used");
  assert.equal(b.calls.getRaw.length, 20);
});

test("new mail that waited longer than FRESH_MS is read again before it is checked", async () => {
  let t = 1_000_000;
  const b = fakeMailBrowser({ mails: new Map([[1, mail(1, { warning: true })]]), local: { arrivalPaused: true } });
  const host = verdictHost();
  const client = new HostClient({ connectNative: host.connectNative });
  const arrival = createArrival({ browser: b, client, getOptions: wireFor(), translate, now: () => t, log: { warn() {}, info() {} } });
  await arrive(arrival, b, 1);
  b.mails.get(1).tags = ["$label2"]; // tagged by the user while checking was paused
  t += 10 * 60 * 1000;
  await arrival.setPaused(false);
  await arrival.idle();
  assert.ok(b.calls.get.includes(1));
  assert.deepEqual(b.mails.get(1).tags, ["$label2", TAG_KEYS.warning]);
});

test("a new-mail list longer than the queue is not paged to its end: the folder is checked instead", async () => {
  const n = MAX_PENDING + 1000;
  const mails = Array.from({ length: n }, (_, i) => mail(i + 1));
  const { b, arrival, host } = setup({ mails, local: { arrivalPaused: true } });
  await arrival.start();
  // Thunderbird hands the event a paged list (100 a page), as messages.list does.
  const first = await b.messages.list(INBOX.id);
  await arrival.onNewMail(INBOX, first);
  assert.equal(arrival.status().pending, MAX_PENDING);
  assert.equal(b.calls.continueList, MAX_PENDING / 100, "pages read only until the queue was full");
  assert.equal(b.calls.abort.length, 1, "the rest of the list is let go");
  await arrival.setPaused(false);
  await arrival.idle();
  assert.equal(host.framesOfType("check").length, n, "each message checked once, by the queue or the folder pass");
});

test("rawToBase64: a binary string (one char per byte, UTF-8 Japanese inside) gives the bytes' base64", async () => {
  const bytes = Buffer.from("Subject: =?UTF-8?B?5aWR57SE?=\r\n\r\n契約不履行に関する通知\r\n", "utf8");
  const binary = bytes.toString("latin1");
  assert.equal(await rawToBase64(binary), bytes.toString("base64"));
  assert.equal(await rawToBase64(new Blob([bytes])), bytes.toString("base64"), "a File (MV3 default) too");
});

test("rawToBase64: a string that is not a binary string (a char over 0xFF) never throws", async () => {
  const odd = "Subject: \u5951\r\n\r\nbody";
  const got = await rawToBase64(odd);
  assert.equal(typeof got, "string");
});

test("rawToBase64: a message over the host's 32 MB cap is not encoded", async () => {
  assert.equal(await rawToBase64("x".repeat(MAX_MESSAGE_BYTES + 1)), null);
});

/** A folder check of ``mails`` against a host that answers after 3 ms; how many checks it
 * held at once at most. */
async function checkFolderCountingInFlight(mails, payloadOf) {
  let outstanding = 0;
  let most = 0;
  const host = new FakeHost((frame, h) => {
    if (frame.type === "hello") return [helloResponse(frame.id)];
    outstanding += 1;
    most = Math.max(most, outstanding);
    const answer = { type: "result", protocol_version: 1, id: frame.id, partial: false, payload: payloadOf(frame) };
    setTimeout(() => {
      outstanding -= 1;
      h.port.onMessage.fire(structuredClone(answer));
    }, 3);
    return [];
  });
  const { arrival } = setup({ mails, host });
  await arrival.start();
  await arrival.checkFolder(INBOX);
  await arrival.idle();
  return { done: arrival.status().jobs[0].done, most };
}

test("memory in flight is bounded by bytes too: big mails are checked a few at a time, never twelve at once", async () => {
  // Thunderbird says each mail is 20 MB (a mail with attachments); the window allows twelve.
  const big = 20 * 1024 * 1024;
  const mails = Array.from({ length: 10 }, (_, i) => mail(i + 1, { size: big }));
  const { done, most } = await checkFolderCountingInFlight(mails, verdictPayload);
  assert.equal(done, 10);
  assert.ok(IN_FLIGHT > 2);
  assert.equal(most, Math.floor(MAX_INFLIGHT_BYTES / big), `at most ${most} in flight`);
});

test("a mail whose size Thunderbird does not know is read alone (the byte bound holds without the header's word)", async () => {
  // The header says 0 bytes (unknown); each raw mail is 30 MB.
  const mails = Array.from({ length: 4 }, (_, i) => {
    const m = mail(i + 1, { size: 0 });
    m.raw = `Subject: big ${i}\r\n\r\n${"A".repeat(30 * 1024 * 1024)}`;
    return m;
  });
  // (the verdict is read from an empty message: the fake host need not decode 30 MB)
  const { done, most } = await checkFolderCountingInFlight(mails, (frame) => verdictPayload({ ...frame, message: "" }));
  assert.equal(done, 4);
  assert.equal(most, 1, `at most ${most} in flight`);
});

// ---------------------------------------------------------------- authserv-id learning (issue 8.1)

test("background checks teach the account's authserv-id, written once per batch, never once per mail", async () => {
  const MX = "mx.example-isp.ne.jp";
  const mails = ["a", "b", "c", "a", "b", "c", "a"].map((d, i) => {
    const m = mail(i + 1, { author: `S <s@${d}.example>` });
    m.raw = `X-Test-Authserv: ${MX}\r\n${m.raw}`;
    return m;
  });
  const { b, arrival } = setup({ mails });
  let learningWrites = 0;
  const set = b.storage.local.set;
  b.storage.local.set = async (o) => {
    if ("authservLearning" in o) learningWrites += 1;
    return set(o);
  };
  await arrive(arrival, b, ...mails.map((m) => m.id));
  const stored = await b.storage.local.get("authservLearning");
  assert.equal(stored.authservLearning.account1.learned, MX);
  assert.ok(learningWrites >= 1 && learningWrites <= 2, `${learningWrites} writes for 7 mails`);
});

test("a background check of a mail whose receiving server says nothing teaches nothing", async () => {
  const { b, arrival } = setup({ mails: [mail(1), mail(2)] });
  await arrive(arrival, b, 1, 2);
  const stored = await b.storage.local.get("authservLearning");
  assert.equal(stored.authservLearning?.account1?.learned ?? null, null);
});

// ---------------------------------------------------------------- language

test("menu items follow Minuku's language option, like the tags (not Thunderbird's interface language)", async () => {
  let locale = "ja";
  const b = fakeMailBrowser({ ui: "en-US" });
  const updates = [];
  b.menus.update = async (id, props) => updates.push([id, props]);
  const host = verdictHost();
  const client = new HostClient({ connectNative: host.connectNative });
  const arrival = createArrival({
    browser: b, client, translate, log: { warn() {}, info() {} },
    getOptions: async () => ({ locale, wire: { locale, offline: false, trusted_authserv_ids: [], nameservers: [] } }),
  });
  await arrival.start();
  await arrival.createMenus();
  const title = (id) => b.calls.menus.find((m) => m.id === id).title;
  assert.equal(title("minuku-check-folder"), LOCALES.ja.menuCheckFolder.message);
  assert.equal(title("minuku-pause-background"), LOCALES.ja.menuPauseBackground.message);
  locale = "en";
  arrival.onStorageChanged({ language: { newValue: "en" } });
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(updates, [
    ["minuku-check-folder", { title: LOCALES.en.menuCheckFolder.message }],
    ["minuku-pause-background", { title: LOCALES.en.menuPauseBackground.message }],
  ]);
});
