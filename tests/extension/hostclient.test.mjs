// The native port: hello at connect, ids/pending, per-request timeout, reconnect after a crash
// with backoff, host missing, version mismatch. Every frame sent is validated against
// extension/wire-schema.json; host answers used here are validated too.
import assert from "node:assert/strict";
import { test } from "node:test";

import { HostClient, HostError, PROTOCOL_VERSION } from "../../extension/lib/hostclient.js";
import { FakeHost, ManualTimers, WIRE_SCHEMA, helloResponse, payloadFor, responseErrors, settle } from "./helpers.mjs";

const OPTS = { locale: "ja", offline: false, trusted_authserv_ids: ["mx.example.net"] };
const MSG = Buffer.from("Subject: danger\r\nX-Test-Marker: A\r\n\r\nbody").toString("base64");

function client(host, timers = new ManualTimers(), over = {}) {
  return new HostClient({ connectNative: host.connectNative, clientVersion: "test/1", timers, now: () => timers.now, timeoutMs: 20000, helloTimeoutMs: 5000, ...over });
}

test("protocol version matches the committed schema", () => {
  assert.equal(PROTOCOL_VERSION, WIRE_SCHEMA.protocol_version);
});

test("hello goes first, then the check; frames match the wire schema", async () => {
  const host = new FakeHost();
  const c = client(host);
  const payload = await c.check(MSG, OPTS);
  assert.deepEqual(host.invalid, []);
  assert.deepEqual(host.received.map((f) => f.type), ["hello", "check"]);
  const [hello, check] = host.received;
  assert.equal(hello.client_version, "test/1");
  assert.equal(check.message, MSG);
  assert.deepEqual(check.options, OPTS);
  assert.notEqual(hello.id, check.id);
  assert.match(payload.title, /\[A\]$/);
  assert.equal(c.hostInfo.host_version, "0.1.0");
  assert.equal(c.pendingCount, 0);
});

test("the fake host's answers are valid wire responses (so the fixtures are realistic)", () => {
  const frame = { type: "check", protocol_version: 1, id: "m1", message: MSG, options: OPTS };
  for (const r of FakeHost.defaultHandler(frame)) assert.deepEqual(responseErrors(r), []);
  assert.deepEqual(responseErrors(helloResponse("m0")), []);
  // and the validator does reject what the host must not send
  assert.notDeepEqual(responseErrors({ type: "result", id: "m1", payload: { verdict: "evil" } }), []);
});

test("one port for many requests; concurrent answers reach the right callers", async () => {
  const host = new FakeHost();
  const c = client(host);
  const mk = (m) => Buffer.from(`X-Test-Marker: ${m}\r\n\r\n`).toString("base64");
  const [a, b, d] = await Promise.all([c.check(mk("A"), OPTS), c.check(mk("B"), OPTS), c.check(mk("C"), OPTS)]);
  assert.deepEqual([a, b, d].map((p) => p.title.slice(-3)), ["[A]", "[B]", "[C]"]);
  assert.equal(host.ports.length, 1);
  assert.equal(host.framesOfType("hello").length, 1);
  assert.equal(new Set(host.received.map((f) => f.id)).size, host.received.length);
});

test("a request without an answer times out with code timeout; the late answer is dropped", async () => {
  const timers = new ManualTimers();
  const held = [];
  const host = new FakeHost((f) => (f.type === "hello" ? [helloResponse(f.id)] : (held.push(f), [])));
  const c = client(host, timers);
  const p = c.check(MSG, OPTS);
  await settle();
  assert.equal(held.length, 1);
  timers.advance(19999);
  await settle();
  assert.equal(c.pendingCount, 1);
  timers.advance(1);
  await assert.rejects(p, (e) => e instanceof HostError && e.code === "timeout");
  assert.equal(c.pendingCount, 0);
  // The answer arrives after the timeout: nothing resolves, nothing throws, port stays usable.
  host.send({ type: "result", protocol_version: 1, id: held[0].id, payload: payloadFor(held[0]) });
  assert.equal(c.connected, true);
  assert.equal(timers.count, 0);
});

test("host crash: pending requests fail with host_crashed, the next request reconnects", async () => {
  const timers = new ManualTimers();
  let silent = true;
  const host = new FakeHost((f, h) => (f.type === "hello" || !silent ? FakeHost.defaultHandler(f, h) : []));
  const c = client(host, timers);
  const p = c.check(MSG, OPTS);
  await settle();
  host.crash();
  await assert.rejects(p, (e) => e.code === "host_crashed");
  assert.equal(c.connected, false);
  silent = false;
  const payload = await c.check(MSG, OPTS); // first failure: no backoff
  assert.equal(payload.verdict, "danger");
  assert.equal(host.ports.length, 2);
  assert.equal(host.framesOfType("hello").length, 2, "hello again on the new port");
});

test("consecutive crashes back off; a good hello resets; force (a user's click) skips the wait", async () => {
  const timers = new ManualTimers();
  const host = new FakeHost();
  const c = client(host, timers, { backoffMs: [0, 1000, 5000] });
  await c.ensureReady();
  host.crash();
  await c.ensureReady(); // 1st failure: reconnect at once; its hello succeeds and resets the count
  assert.equal(host.ports.length, 2);
  host.handler = () => []; // from now on the host dies before answering hello
  host.crash(); // failure 1 after a good hello: the next request may reconnect at once
  const p1 = c.ensureReady();
  assert.equal(host.ports.length, 3);
  host.crash(); // failure 2 in a row: wait 1000 ms
  await assert.rejects(p1, (e) => e.code === "host_crashed");
  const n = host.ports.length;
  await assert.rejects(c.ensureReady(), (e) => e.code === "host_crashed");
  assert.equal(host.ports.length, n, "inside the backoff window no new process is started");
  host.handler = FakeHost.defaultHandler;
  await c.ensureReady({ force: true });
  assert.equal(host.ports.length, n + 1);
});

test("backoff expires with time", async () => {
  const timers = new ManualTimers();
  const host = new FakeHost(() => []);
  const c = client(host, timers, { backoffMs: [0, 1000] });
  for (let i = 0; i < 2; i++) {
    const p = c.ensureReady();
    host.crash();
    await assert.rejects(p);
  }
  const n = host.ports.length;
  await assert.rejects(c.ensureReady());
  assert.equal(host.ports.length, n);
  timers.advance(1000);
  host.handler = FakeHost.defaultHandler;
  await c.ensureReady();
  assert.equal(host.ports.length, n + 1);
});

test("host missing: code host_missing", async () => {
  const host = new FakeHost();
  host.missing = true;
  const c = client(host);
  await assert.rejects(c.check(MSG, OPTS), (e) => e instanceof HostError && e.code === "host_missing");
});

test("connectNative throwing (no permission) is host_missing, not an exception", async () => {
  const c = new HostClient({ connectNative: () => { throw new Error("connectNative is not a function"); } });
  await assert.rejects(c.check(MSG, OPTS), (e) => e.code === "host_missing");
});

for (const [name, over] of [
  ["compatible:false", { compatible: false }],
  ["host only speaks newer protocols", { min_protocol_version: 2, max_protocol_version: 3, compatible: true }],
  ["host only speaks older protocols", { min_protocol_version: 0, max_protocol_version: 0, compatible: true }],
]) {
  test(`hello mismatch (${name}) -> host_incompatible with the host version`, async () => {
    const host = new FakeHost((f) => (f.type === "hello" ? [helloResponse(f.id, { host_version: "9.9.9", ...over })] : []));
    const c = client(host);
    await assert.rejects(c.check(MSG, OPTS), (e) => e.code === "host_incompatible" && e.details.hostVersion === "9.9.9");
    assert.equal(host.framesOfType("check").length, 0, "no check is sent to an incompatible host");
    assert.equal(host.port.alive, false, "the port is closed");
  });
}

test("hello answered with error unsupported_version -> host_incompatible", async () => {
  const host = new FakeHost((f) => [{ type: "error", protocol_version: 1, id: f.id, code: "unsupported_version", message: "protocol 1 unsupported" }]);
  await assert.rejects(client(host).check(MSG, OPTS), (e) => e.code === "host_incompatible");
});

test("hello never answered -> host_crashed after the hello timeout, port closed", async () => {
  const timers = new ManualTimers();
  const host = new FakeHost(() => []);
  const c = client(host, timers);
  const p = c.check(MSG, OPTS);
  await settle();
  timers.advance(5000);
  await assert.rejects(p, (e) => e.code === "host_crashed");
  assert.equal(host.port.alive, false);
});

test("error responses reject with host_error and the host's code", async () => {
  const host = new FakeHost((f, h) => (f.type === "check" ? [{ type: "error", protocol_version: 1, id: f.id, code: "message_too_large", message: "too big" }] : FakeHost.defaultHandler(f, h)));
  await assert.rejects(client(host).check(MSG, OPTS), (e) => e.code === "host_error" && e.details.hostCode === "message_too_large");
});

test("an error without id is attributed only when exactly one request waits", async () => {
  const host = new FakeHost((f, h) => (f.type === "check" ? [] : FakeHost.defaultHandler(f, h)));
  const timers = new ManualTimers();
  const c = client(host, timers);
  const p = c.check(MSG, OPTS);
  await settle();
  host.send({ type: "error", protocol_version: 1, id: null, code: "frame_too_large", message: "frame too large" });
  await assert.rejects(p, (e) => e.details.hostCode === "frame_too_large");
  const q1 = c.check(MSG, OPTS);
  const q2 = c.check(MSG, OPTS);
  await settle();
  host.send({ type: "error", protocol_version: 1, id: null, code: "not_json", message: "?" });
  await settle();
  assert.equal(c.pendingCount, 2, "ambiguous: both still wait (and will time out)");
  timers.advance(20000);
  await assert.rejects(q1, (e) => e.code === "timeout");
  await assert.rejects(q2, (e) => e.code === "timeout");
});

test("a partial result is a preview; the final result resolves", async () => {
  const host = new FakeHost((f, h) => {
    if (f.type !== "check") return FakeHost.defaultHandler(f, h);
    const payload = payloadFor(f);
    return [
      { type: "result", protocol_version: 1, id: f.id, partial: true, payload: { ...payload, verdict: "unknown" } },
      { type: "result", protocol_version: 1, id: f.id, partial: false, payload },
    ];
  });
  const partials = [];
  const p = await client(host).check(MSG, OPTS, { onPartial: (x) => partials.push(x.verdict) });
  assert.deepEqual(partials, ["unknown"]);
  assert.equal(p.verdict, "danger");
});

test("answers from an old port after reconnecting are ignored", async () => {
  const host = new FakeHost((f, h) => (f.type === "check" ? [] : FakeHost.defaultHandler(f, h)));
  const c = client(host);
  const p = c.check(MSG, OPTS);
  await settle();
  const old = host.port;
  const oldCheck = host.framesOfType("check")[0];
  host.crash();
  await assert.rejects(p);
  host.handler = FakeHost.defaultHandler;
  const fresh = await c.check(MSG, OPTS);
  // the dead port "answers" the old id: must not resolve anything or throw
  old.onMessage.fire({ type: "result", protocol_version: 1, id: oldCheck.id, payload: payloadFor(oldCheck) });
  assert.equal(fresh.verdict, "danger");
  assert.equal(c.pendingCount, 0);
});
