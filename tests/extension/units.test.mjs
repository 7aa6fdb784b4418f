// Small units: base64 of large messages, the LRU cache, payload validation, options.
import assert from "node:assert/strict";
import { test } from "node:test";

import { bytesToBase64, rawToBytes } from "../../extension/lib/base64.js";
import { LruCache } from "../../extension/lib/cache.js";
import { normalizeOptions, parseAuthservIds, parseNameserver, parseNameservers, toWireOptions } from "../../extension/lib/options.js";
import { safeUrl, validatePayload } from "../../extension/lib/payload.js";
import { dangerPayload, okPayload } from "./helpers.mjs";

test("base64 of a 6 MB message: no stack overflow, same as Buffer's", () => {
  const bytes = new Uint8Array(6 * 1024 * 1024 + 3);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 0xff;
  assert.equal(bytesToBase64(bytes), Buffer.from(bytes).toString("base64"));
  assert.equal(bytesToBase64(new Uint8Array(0)), "");
});

test("rawToBytes: File/Blob, binary string, buffers", async () => {
  const want = [0xe3, 0x82, 0xa2, 0x0d, 0x0a, 0xff];
  assert.deepEqual([...(await rawToBytes(new Blob([new Uint8Array(want)])))], want);
  assert.deepEqual([...(await rawToBytes(String.fromCharCode(...want)))], want);
  assert.deepEqual([...(await rawToBytes(new Uint8Array(want).buffer))], want);
  await assert.rejects(rawToBytes(42), TypeError);
});

test("LRU: evicts the least recently used entry", () => {
  const c = new LruCache(2);
  c.set("a", 1).set("b", 2);
  assert.equal(c.get("a"), 1); // a is now the most recent
  c.set("c", 3);
  assert.deepEqual(c.keys(), ["a", "c"]);
  assert.equal(c.get("b"), undefined);
  c.set("a", 9);
  assert.equal(c.size, 2);
  assert.equal(c.get("a"), 9);
  assert.throws(() => new LruCache(0), RangeError);
});

test("validatePayload accepts real payloads and drops unknown fields", () => {
  const v = validatePayload({ ...dangerPayload(), extra: "<b>", partial: true });
  assert.ok(v.ok);
  assert.equal("extra" in v.payload, false);
  assert.equal(v.payload.origin, "host");
  assert.ok(validatePayload(okPayload()).ok);
});

test("validatePayload rejects wrong shapes with a reason", () => {
  for (const bad of [null, [], "x", { ...okPayload(), verdict: "fine" }, { ...okPayload(), title: 3 }, { ...okPayload(), auth: null },
    { ...okPayload(), reasons: [{ code: "x", severity: "fatal", text: "t" }] }, { ...okPayload(), locale: "fr" },
    { ...okPayload(), auth: { lines: [{ method: "bimi", result: "pass", text: "" }] } }]) {
    const v = validatePayload(bad);
    assert.equal(v.ok, false);
    assert.equal(typeof v.error, "string");
  }
});

test("validatePayload caps huge strings and lists", () => {
  const v = validatePayload(okPayload({ title: "x".repeat(100000), reasons: Array.from({ length: 500 }, () => ({ code: "c", severity: "info", text: "t" })) }));
  assert.ok(v.ok);
  assert.ok(v.payload.title.length <= 4001);
  assert.equal(v.payload.reasons.length, 100);
});

test("safeUrl: only absolute http(s) without credentials", () => {
  assert.equal(safeUrl("https://www.amazon.co.jp/"), "https://www.amazon.co.jp/");
  assert.equal(safeUrl("http://example.org/a b"), "http://example.org/a%20b");
  for (const u of ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:,x", "file:///x", "//evil.top/", "/relative", "https://a:b@evil.top/", null, 5]) {
    assert.equal(safeUrl(u), null, String(u));
  }
});

test("options: defaults, normalization, wire form", () => {
  assert.deepEqual(normalizeOptions(undefined), { autoCheck: true, language: "auto", offline: false, trustedAuthservIds: [], showOk: false, nameservers: [] });
  const o = normalizeOptions({ autoCheck: "no", language: "fr", offline: true, trustedAuthservIds: "a.example\n\nA.example\nb.example", showOk: true, hideOk: true, nameservers: ["192.0.2.1", "bogus"] });
  assert.deepEqual(o, { autoCheck: true, language: "auto", offline: true, trustedAuthservIds: ["a.example", "b.example"], showOk: true, nameservers: ["192.0.2.1"] });
  assert.deepEqual(toWireOptions(o, "ja"), { locale: "ja", offline: true, trusted_authserv_ids: ["a.example", "b.example"], nameservers: ["192.0.2.1"] });
  assert.deepEqual(toWireOptions(o, "en", ["mx.learned.example", "A.example"]).trusted_authserv_ids, ["a.example", "b.example", "mx.learned.example"]);
  assert.equal(parseAuthservIds(Array.from({ length: 50 }, (_, i) => `h${i}.example`)).length, 32);
  assert.deepEqual(parseAuthservIds(["x".repeat(256)]), []);
});

test("7.7: DNS servers: IPv4, IPv4:PORT, IPv6, [IPv6]:PORT; everything else rejected", () => {
  const ok = {
    "192.0.2.1": "192.0.2.1",
    " 8.8.8.8 ": "8.8.8.8",
    "127.0.0.1:5353": "127.0.0.1:5353",
    "2001:db8::1": "2001:db8::1",
    "2001:DB8:0:0:0:0:0:1": "2001:db8::1",
    "[2001:db8::1]": "2001:db8::1",
    "[2001:db8::1]:53": "[2001:db8::1]:53",
    "::1": "::1",
  };
  for (const [input, want] of Object.entries(ok)) assert.equal(parseNameserver(input), want, input);
  for (const bad of ["", "dns.google", "256.1.1.1", "1.2.3", "01.2.3.4", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:", "1.2.3.4:53:53",
    "2001:db8::1:53x", "fe80::1%eth0", "[2001:db8::1]:", "2001:db8::1]:53", "http://1.2.3.4/", "1.2.3.4 5.6.7.8", "x".repeat(65), null]) {
    assert.equal(parseNameserver(bad), null, String(bad));
  }
});

test("7.7: DNS server list: one per line, blanks skipped, duplicates once, at most 8, errors reported", () => {
  const r = parseNameservers("192.0.2.1\n\n  \nbogus\n192.0.2.1\n" + Array.from({ length: 9 }, (_, i) => `198.51.100.${i + 1}`).join("\n"));
  assert.equal(r.servers.length, 8);
  assert.equal(r.servers[0], "192.0.2.1");
  assert.deepEqual(r.invalid, ["bogus"]);
  assert.equal(r.tooMany, true);
  assert.deepEqual(parseNameservers(""), { servers: [], invalid: [], tooMany: false });
});

test("validatePayload: verified only when literally true; dns_status checked; authserv-id kept as text", () => {
  assert.equal(validatePayload(okPayload({ verified: "true" })).payload.verified, false);
  assert.equal(validatePayload(okPayload({ verified: true })).payload.verified, true);
  assert.equal(validatePayload(okPayload()).payload.dns_status, "ok");
  assert.equal(validatePayload(okPayload({ dns_status: "lying" })).payload.dns_status, "lying");
  assert.equal(validatePayload(okPayload({ dns_status: "fine" })).ok, false);
  assert.equal(validatePayload(okPayload({ receiving_authserv_id: "mx.example.net" })).payload.receiving_authserv_id, "mx.example.net");
  assert.equal(validatePayload(okPayload({ receiving_authserv_id: 5 })).ok, false);
});
