// Issue 8.1: learning the receiving server's authserv-id per account (extension/lib/authserv.js).
// RFC 8601 section 2.5 / 5: only the receiving server's own Authentication-Results, named by
// its authserv-id, may be believed; a sender can write that header too.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  LEARN_DOMAINS, LEARN_MESSAGES, LEARNING_STORAGE_KEY, MAX_BATCH, RECENT, RELEARN_DIFFERENT, createLearningBatch, emptyAccount,
  learnedIds, normalizeLearning, observe, observeAll, progress, senderDomain,
} from "../../extension/lib/authserv.js";
import { LEARNING_KEY as CONTROLLER_LEARNING_KEY } from "../../extension/lib/controller.js";

const MX = "mx.example-isp.ne.jp";
let seq = 0;

/** Feed observations [id, domain] to a state; returns the final state and the events. */
function feed(state, obs) {
  const events = [];
  let s = state;
  for (const [id, domain] of obs) {
    const r = observe(s, { id, domain, messageId: ++seq }, 1000);
    s = r.state;
    if (r.event) events.push(r.event);
  }
  return { state: s, events };
}

const five = [[MX, "a.example"], [MX, "b.example"], [MX, "c.example"], [MX, "a.example"], [MX, "b.example"]];

test("the thresholds are the documented ones", () => {
  assert.deepEqual([LEARN_MESSAGES, LEARN_DOMAINS, RECENT, RELEARN_DIFFERENT], [5, 3, 10, 3]);
});

test("learned after 5 messages from 3 sender domains, all with the same id", () => {
  const four = feed(emptyAccount(), five.slice(0, 4));
  assert.equal(four.state.learned, null, "4 messages are not enough");
  assert.deepEqual(learnedIds(four.state), []);
  const r = feed(four.state, five.slice(4));
  assert.equal(r.state.learned, MX);
  assert.deepEqual(r.events, ["learned"]);
  assert.deepEqual(learnedIds(r.state), [MX]);
});

test("5 messages from only 2 sender domains: not learned (one sender could be the attacker)", () => {
  const r = feed(emptyAccount(), [[MX, "a.example"], [MX, "b.example"], [MX, "a.example"], [MX, "b.example"], [MX, "a.example"], [MX, "a.example"]]);
  assert.equal(r.state.learned, null);
  assert.deepEqual(progress(r.state), { learned: null, candidate: MX, messages: 6, domains: 2 });
});

test("a message without the id in the learning window restarts it", () => {
  const r = feed(emptyAccount(), [[MX, "a.example"], [MX, "b.example"], [null, "c.example"], [MX, "c.example"], [MX, "d.example"], [MX, "e.example"]]);
  assert.equal(r.state.learned, null, "only 3 consistent messages since the gap");
  assert.equal(feed(r.state, [[MX, "f.example"]]).state.learned, null);
  const more = feed(r.state, [[MX, "f.example"], [MX, "g.example"]]);
  assert.equal(more.state.learned, MX);
});

test("a different id in the learning window restarts it with that id as the candidate", () => {
  const forged = "mx.attacker.example";
  const r = feed(emptyAccount(), [[MX, "a.example"], [MX, "b.example"], [MX, "c.example"], [MX, "d.example"], [forged, "evil.example"]]);
  assert.equal(r.state.learned, null);
  assert.equal(progress(r.state).candidate, forged);
  assert.equal(progress(r.state).messages, 1);
});

test("ids compare case-insensitively (RFC 8601: authserv-id is a domain-like token)", () => {
  const r = feed(emptyAccount(), five.map(([id, d], i) => [i % 2 ? id.toUpperCase() : id, d]));
  assert.equal(r.state.learned, MX);
});

test("the same message counted once (re-checks with other options, 'check this')", () => {
  let s = emptyAccount();
  for (let i = 0; i < 6; i++) s = observe(s, { id: MX, domain: `d${i}.example`, messageId: 42 }).state;
  assert.equal(s.learned, null);
  assert.equal(progress(s).messages, 1);
});

test("once learned, messages without the id do not unlearn it", () => {
  const learned = feed(emptyAccount(), five).state;
  const r = feed(learned, Array.from({ length: 20 }, (_, i) => [null, `x${i}.example`]));
  assert.equal(r.state.learned, MX);
  assert.deepEqual(r.events, []);
});

test("once learned, a different id on 2 of the last 10 is tolerated, on 3 restarts learning", () => {
  const other = "mx2.example-isp.ne.jp";
  const learned = feed(emptyAccount(), five).state;
  const two = feed(learned, [[other, "a.example"], [MX, "b.example"], [MX, "c.example"], [other, "d.example"]]);
  assert.equal(two.state.learned, MX);
  const three = feed(two.state, [[other, "e.example"]]);
  assert.equal(three.state.learned, null);
  assert.deepEqual(three.events, ["relearn"]);
  assert.deepEqual(learnedIds(three.state), [], "nothing is trusted while learning again");
});

test("different ids that fell out of the last 10 no longer count", () => {
  const other = "mx2.example-isp.ne.jp";
  const learned = feed(emptyAccount(), five).state;
  const r = feed(learned, [[other, "a.example"], [other, "b.example"], ...Array.from({ length: 9 }, (_, i) => [MX, `m${i}.example`]), [other, "c.example"]]);
  assert.equal(r.state.learned, MX);
});

test("senderDomain: angle address, bare address, display name with @, nothing", () => {
  assert.equal(senderDomain("Amazon <Info@Amazon.CO.JP>"), "amazon.co.jp");
  assert.equal(senderDomain("user@example.org"), "example.org");
  assert.equal(senderDomain('"a@b.example" <x@evil.example.>'), "evil.example");
  assert.equal(senderDomain(""), "");
  assert.equal(senderDomain(undefined), "");
});

test("hostile storage contents are normalized, never trusted as they are", () => {
  const all = normalizeLearning({
    account1: { learned: "MX.Example.net", window: "nope", recent: [{ id: 5 }] },
    account2: { learned: "has space; x=y", window: [{ id: MX, domain: 7 }] },
    "": { learned: MX },
    __proto__: { learned: MX },
  });
  assert.deepEqual(Object.keys(all).sort(), ["account1", "account2"]);
  assert.equal(all.account1.learned, "mx.example.net");
  assert.deepEqual(all.account1.window, []);
  assert.deepEqual(all.account1.recent, [{ id: null, messageId: null }]);
  assert.equal(all.account2.learned, null, "an id with spaces or ';' is not an authserv-id");
  assert.deepEqual(all.account2.window, [{ id: MX, domain: "", messageId: null }]);
  assert.deepEqual(normalizeLearning(null), {});
  assert.deepEqual(normalizeLearning([1, 2]), {});
});

test("observe is pure: the input state is not modified", () => {
  const s = feed(emptyAccount(), five.slice(0, 3)).state;
  const copy = structuredClone(s);
  observe(s, { id: "other.example", domain: "z.example", messageId: 999 });
  assert.deepEqual(s, copy);
});

// ---- background checks (issue 12): observations gathered and written in batches -------------

test("observeAll folds observations exactly as observe() one after the other", () => {
  const obs = [...five, [null, "d.example"], ...five, ["other.example", "e.example"]].map(([id, domain], i) => ({ id, domain, messageId: 9000 + i }));
  let s = emptyAccount();
  const events = [];
  for (const o of obs) {
    const r = observe(s, o, 7);
    s = r.state;
    if (r.event) events.push(r.event);
  }
  const all = observeAll(undefined, obs, 7);
  assert.deepEqual(all.state, s);
  assert.deepEqual(all.events, events);
});

function memoryLocal(initial = {}) {
  const data = structuredClone(initial);
  const calls = { set: 0 };
  return {
    calls,
    data,
    get: async (k) => (k in data ? { [k]: structuredClone(data[k]) } : {}),
    set: async (o) => {
      calls.set += 1;
      Object.assign(data, structuredClone(o));
    },
  };
}

test("a batch of background observations is one storage write, and learns the id (RFC 8601 §5)", async () => {
  const storage = memoryLocal();
  const b = createLearningBatch({ storage, log: { info() {}, warn() {} }, now: () => 5 });
  for (const [i, [id, domain]] of five.entries()) b.record("account1", { id, domain, messageId: 100 + i });
  assert.equal(storage.calls.set, 0, "nothing written per observation");
  await b.flush();
  assert.equal(storage.calls.set, 1);
  assert.deepEqual(learnedIds(storage.data[LEARNING_STORAGE_KEY].account1), [MX]);
  await b.flush();
  assert.equal(storage.calls.set, 1, "nothing new, no write");
});

test("a batch folds into what the display path stored meanwhile, never over it", async () => {
  const storage = memoryLocal();
  const b = createLearningBatch({ storage, log: { info() {}, warn() {} } });
  b.record("account1", { id: MX, domain: "a.example", messageId: 1 });
  // Meanwhile an opened mail of another account was learned from and stored.
  storage.data[LEARNING_STORAGE_KEY] = { account2: { learned: "mx.other.example", learnedAt: 1, window: [], recent: [] } };
  await b.flush();
  assert.deepEqual(learnedIds(storage.data[LEARNING_STORAGE_KEY].account2), ["mx.other.example"]);
  assert.equal(storage.data[LEARNING_STORAGE_KEY].account1.window.length, 1);
});

test("a forged id in a flood of background mail is bounded: at most MAX_BATCH observations per account are held", () => {
  const b = createLearningBatch({ storage: memoryLocal(), log: { info() {}, warn() {} } });
  for (let i = 0; i < MAX_BATCH + 500; i++) b.record("account1", { id: "forged.example", domain: `d${i}.example`, messageId: i });
  assert.equal(b.pending, MAX_BATCH);
  b.record("", { id: MX, domain: "a.example", messageId: 1 });
  b.record(null, { id: MX, domain: "a.example", messageId: 2 });
  assert.equal(b.pending, MAX_BATCH, "no account, nothing kept");
});

test("the learning state's storage key is the one the controller and options page read", () => {
  assert.equal(LEARNING_STORAGE_KEY, CONTROLLER_LEARNING_KEY);
});
