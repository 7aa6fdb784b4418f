// Test helpers for the add-on's node tests: a JSON-Schema subset validator (for
// extension/wire-schema.json), a fake native host behind a fake Port, manual timers, a minimal
// fake DOM that records every element and attribute created, and payload fixtures.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const EXT = join(REPO, "extension");

export function readJson(rel) {
  return JSON.parse(readFileSync(join(REPO, rel), "utf8"));
}

export const WIRE_SCHEMA = readJson("extension/wire-schema.json");
export const LOCALES = {
  en: readJson("extension/_locales/en/messages.json"),
  ja: readJson("extension/_locales/ja/messages.json"),
};

// ---------------------------------------------------------------- JSON Schema (subset)
// Supports what pydantic emits for wire.py: $ref/$defs, oneOf(+discriminator), anyOf, const,
// enum, type, properties, required, additionalProperties (bool or schema), items, maxItems,
// minLength, maxLength. Returns a list of error strings (empty: valid).

function typeOk(t, v) {
  switch (t) {
    case "string": return typeof v === "string";
    case "integer": return Number.isInteger(v);
    case "number": return typeof v === "number" && Number.isFinite(v);
    case "boolean": return typeof v === "boolean";
    case "null": return v === null;
    case "array": return Array.isArray(v);
    case "object": return typeof v === "object" && v !== null && !Array.isArray(v);
    default: throw new Error(`schema type ${t} not supported by the test validator`);
  }
}

const KNOWN = new Set(["$ref", "$defs", "oneOf", "anyOf", "discriminator", "const", "enum", "type",
  "properties", "required", "additionalProperties", "items", "maxItems", "minLength", "maxLength",
  "title", "description", "default", "$comment", "minItems"]);

export function validateSchema(schema, value, root = schema, path = "$") {
  const errs = [];
  for (const k of Object.keys(schema)) {
    if (!KNOWN.has(k)) throw new Error(`schema keyword ${k} not supported by the test validator`);
  }
  if (schema.$ref) {
    const name = schema.$ref.replace(/^#\/\$defs\//, "");
    const target = root.$defs?.[name];
    if (!target) throw new Error(`unresolved $ref ${schema.$ref}`);
    return validateSchema(target, value, root, path);
  }
  if (schema.oneOf) {
    if (schema.discriminator) {
      const tag = value?.[schema.discriminator.propertyName];
      const ref = schema.discriminator.mapping[tag];
      if (!ref) return [`${path}: unknown discriminator ${JSON.stringify(tag)}`];
      return validateSchema({ $ref: ref }, value, root, path);
    }
    const ok = schema.oneOf.filter((s) => validateSchema(s, value, root, path).length === 0);
    if (ok.length !== 1) errs.push(`${path}: matches ${ok.length} of oneOf`);
  }
  if (schema.anyOf && !schema.anyOf.some((s) => validateSchema(s, value, root, path).length === 0)) {
    errs.push(`${path}: matches none of anyOf`);
  }
  if ("const" in schema && value !== schema.const) errs.push(`${path}: not ${schema.const}`);
  if (schema.enum && !schema.enum.includes(value)) errs.push(`${path}: not in enum`);
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => typeOk(t, value))) return [...errs, `${path}: not ${types.join("|")}`];
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) errs.push(`${path}: too short`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errs.push(`${path}: too long`);
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errs.push(`${path}: too many items`);
    if (schema.items) value.forEach((x, i) => errs.push(...validateSchema(schema.items, x, root, `${path}[${i}]`)));
  }
  if (typeOk("object", value) && (schema.properties || schema.required || "additionalProperties" in schema)) {
    for (const r of schema.required ?? []) if (!(r in value)) errs.push(`${path}.${r}: required`);
    for (const [k, v] of Object.entries(value)) {
      if (schema.properties?.[k]) errs.push(...validateSchema(schema.properties[k], v, root, `${path}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${path}.${k}: not allowed`);
      else if (typeof schema.additionalProperties === "object") {
        errs.push(...validateSchema(schema.additionalProperties, v, root, `${path}.${k}`));
      }
    }
  }
  return errs;
}

export function requestErrors(frame) {
  return validateSchema(WIRE_SCHEMA.request, frame);
}

export function responseErrors(frame) {
  return validateSchema(WIRE_SCHEMA.response, frame);
}

// ---------------------------------------------------------------- timers

export class ManualTimers {
  now = 0;
  #seq = 0;
  #timers = new Map();
  setTimeout = (fn, ms) => {
    this.#seq += 1;
    this.#timers.set(this.#seq, { fn, at: this.now + ms });
    return this.#seq;
  };
  clearTimeout = (id) => {
    this.#timers.delete(id);
  };
  get count() {
    return this.#timers.size;
  }
  advance(ms) {
    this.now += ms;
    for (const [id, t] of [...this.#timers].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= this.now && this.#timers.has(id)) {
        this.#timers.delete(id);
        t.fn();
      }
    }
  }
}

export const flush = () => new Promise((r) => setImmediate(r));

export async function settle(times = 5) {
  for (let i = 0; i < times; i++) await flush();
}

// ---------------------------------------------------------------- fake native host

class Event {
  listeners = [];
  addListener(fn) { this.listeners.push(fn); }
  removeListener(fn) { this.listeners = this.listeners.filter((f) => f !== fn); }
  fire(...args) { for (const fn of this.listeners) fn(...args); }
}

/**
 * A fake native host. `handler(frame, host)` returns the response frames (or nothing: silence).
 * Every frame the add-on sends is validated against the wire schema and kept in `received`.
 */
export class FakeHost {
  received = [];
  invalid = [];
  ports = [];
  missing = false; // connectNative -> immediate onDisconnect "No such native application"
  constructor(handler = FakeHost.defaultHandler) {
    this.handler = handler;
  }

  static defaultHandler(frame) {
    if (frame.type === "hello") return [helloResponse(frame.id)];
    if (frame.type === "ping") return [{ type: "pong", protocol_version: 1, id: frame.id }];
    if (frame.type === "check") return [{ type: "result", protocol_version: 1, id: frame.id, partial: false, payload: payloadFor(frame) }];
    return [];
  }

  get port() {
    return this.ports.at(-1);
  }

  connectNative = (name) => {
    const host = this;
    const port = {
      name,
      alive: true,
      error: null,
      onMessage: new Event(),
      onDisconnect: new Event(),
      postMessage(frame) {
        if (!port.alive) throw new Error("Attempt to postMessage on disconnected port");
        const copy = structuredClone(frame);
        host.received.push(copy);
        const errs = requestErrors(copy);
        if (errs.length) host.invalid.push({ frame: copy, errs });
        const out = host.handler(copy, host) ?? [];
        // Answers arrive asynchronously, as from a real process.
        queueMicrotask(() => {
          for (const r of out) if (port.alive) port.onMessage.fire(structuredClone(r));
        });
      },
      disconnect() {
        port.alive = false;
      },
    };
    this.ports.push(port);
    if (this.missing) {
      queueMicrotask(() => {
        port.alive = false;
        port.error = { message: `No such native application ${name}` };
        port.onDisconnect.fire(port);
      });
    }
    return port;
  };

  /** The host process dies: Thunderbird fires onDisconnect. */
  crash(message = "") {
    const port = this.port;
    port.alive = false;
    port.error = message ? { message } : null;
    port.onDisconnect.fire(port);
  }

  /** Send a frame from the host on the current port, e.g. a late answer. */
  send(frame) {
    this.port.onMessage.fire(structuredClone(frame));
  }

  framesOfType(type) {
    return this.received.filter((f) => f.type === type);
  }
}

export function helloResponse(id, over = {}) {
  return { type: "hello", protocol_version: 1, id, host_version: "0.1.0", min_protocol_version: 1, max_protocol_version: 1, compatible: true, ...over };
}

// ---------------------------------------------------------------- payload fixtures

export function dangerPayload(over = {}) {
  return {
    verdict: "danger",
    brand: { id: "amazon", name: "Amazon" },
    title: "これは Amazon を装った詐欺メールの可能性が高いです",
    summary: "差出人のドメインは Amazon のものではありません。",
    reasons: [
      { code: "lookalike_domain", severity: "danger", text: "amazon-co-jp.example.top は Amazon のドメインではありません", evidence: ["From: Amazon <info@amazon-co-jp.example.top>"] },
      { code: "dmarc_fail", severity: "warning", text: "DMARC 不合格", evidence: [] },
    ],
    auth: {
      lines: [
        { method: "spf", result: "fail", domain: "amazon-co-jp.example.top", text: "SPF 不合格", evidence: ["v=spf1 -all"] },
        { method: "dkim", result: "none", domain: null, text: "DKIM 署名なし", evidence: [] },
      ],
      receiving_server: [{ authserv_id: "mx.example.net", trusted: false, results: { spf: "fail", dmarc: "fail" } }],
      disagreements: ["spf: host=fail, server=pass"],
      unchecked: ["arc"],
    },
    advice: [
      { text: "アカウントサービスのメッセージセンターで確認してください", url: "https://www.amazon.co.jp/gp/message" },
      { text: "メールのリンクからサインインしないでください", url: null },
    ],
    locale: "ja",
    host_version: "0.1.0",
    offline: false,
    ...over,
  };
}

export function okPayload(over = {}) {
  return {
    verdict: "ok",
    brand: null,
    title: "No signs of impersonation",
    summary: "The sender's domain is authenticated.",
    reasons: [],
    auth: { lines: [{ method: "dmarc", result: "pass", domain: "example.org", text: "DMARC pass", evidence: [] }], receiving_server: [], disagreements: [], unchecked: [] },
    advice: [],
    locale: "en",
    host_version: "0.1.0",
    offline: false,
    ...over,
  };
}

/** The fake host's answer: echoes the message marker so tests see which message was checked. */
export function payloadFor(frame) {
  const text = Buffer.from(frame.message, "base64").toString("utf8");
  const marker = /X-Test-Marker: (\S+)/.exec(text)?.[1] ?? "none";
  const verdict = /Subject: danger/.test(text) ? "danger" : "ok";
  const base = verdict === "danger" ? dangerPayload() : okPayload();
  return { ...base, title: `${base.title} [${marker}]`, locale: frame.options.locale ?? "en", offline: frame.options.offline };
}

// ---------------------------------------------------------------- fake DOM

const VOID_TRAPS = ["innerHTML", "outerHTML"];

class FakeNode {
  constructor(doc) {
    this.ownerDocument = doc;
    this.childNodes = [];
    this.parentNode = null;
  }
  #adopt(n) {
    const node = typeof n === "string" ? this.ownerDocument.createTextNode(n) : n;
    if (node.parentNode) node.parentNode.childNodes = node.parentNode.childNodes.filter((c) => c !== node);
    node.parentNode = this;
    return node;
  }
  append(...nodes) { for (const n of nodes) this.childNodes.push(this.#adopt(n)); }
  appendChild(n) { this.append(n); return n; }
  prepend(...nodes) { this.childNodes.unshift(...nodes.map((n) => this.#adopt(n))); }
  replaceChildren(...nodes) {
    for (const c of this.childNodes) c.parentNode = null;
    this.childNodes = [];
    this.append(...nodes);
  }
  after(...nodes) {
    const p = this.parentNode;
    if (!p) return;
    const adopted = nodes.map((n) => (typeof n === "string" ? this.ownerDocument.createTextNode(n) : n));
    for (const n of adopted) n.remove?.();
    const i = p.childNodes.indexOf(this);
    for (const n of adopted) n.parentNode = p;
    p.childNodes.splice(i + 1, 0, ...adopted);
  }
  remove() {
    if (this.parentNode) this.parentNode.childNodes = this.parentNode.childNodes.filter((c) => c !== this);
    this.parentNode = null;
  }
  get textContent() { return this.childNodes.map((c) => c.textContent).join(""); }
  set textContent(v) {
    for (const c of this.childNodes) c.parentNode = null;
    this.childNodes = [];
    if (v !== "") this.append(this.ownerDocument.createTextNode(String(v)));
  }
  get children() { return this.childNodes.filter((c) => c instanceof FakeElement); }
  *walk() {
    for (const c of this.childNodes) {
      if (c instanceof FakeElement) {
        yield c;
        yield* c.walk();
      }
    }
  }
  querySelectorAll(tag) {
    const t = tag.toUpperCase();
    return [...this.walk()].filter((e) => t === "*" || e.tagName === t);
  }
  querySelector(sel) {
    if (sel.startsWith("#")) return [...this.walk()].find((e) => e.getAttribute("id") === sel.slice(1)) ?? null;
    if (sel.startsWith(".")) return [...this.walk()].find((e) => (e.getAttribute("class") ?? "").split(" ").includes(sel.slice(1))) ?? null;
    return this.querySelectorAll(sel)[0] ?? null;
  }
}

class FakeText extends FakeNode {
  constructor(doc, data) {
    super(doc);
    this.data = data;
  }
  get textContent() { return this.data; }
  set textContent(v) { this.data = String(v); }
}

class FakeShadowRoot extends FakeNode {
  constructor(doc, host, mode) {
    super(doc);
    this.host = host;
    this.mode = mode;
  }
}

class FakeElement extends FakeNode {
  constructor(doc, tag) {
    super(doc);
    this.tagName = tag.toUpperCase();
    this.attributes = new Map();
    this.listeners = {};
    this.shadowRoot = null;
    const styles = new Map();
    this.style = { setProperty: (k, v, prio) => styles.set(k, [v, prio]), get: (k) => styles.get(k) };
    for (const trap of VOID_TRAPS) {
      Object.defineProperty(this, trap, {
        get() { throw new Error(`${trap} read in the fake DOM`); },
        set() { throw new Error(`${trap} written in the fake DOM`); },
      });
    }
  }
  insertAdjacentHTML() { throw new Error("insertAdjacentHTML called"); }
  setAttribute(name, value) {
    if (!/^[a-z][a-z-]*$/.test(name)) throw new Error(`suspicious attribute name ${name}`);
    this.attributes.set(name, String(value));
    this.ownerDocument.log.attributes.push([this.tagName, name, String(value)]);
  }
  getAttribute(name) { return this.attributes.has(name) ? this.attributes.get(name) : null; }
  hasAttribute(name) { return this.attributes.has(name); }
  removeAttribute(name) { this.attributes.delete(name); }
  get localName() { return this.tagName.toLowerCase(); }
  get nodeType() { return 1; }
  get id() { return this.getAttribute("id") ?? ""; }
  set id(v) { this.setAttribute("id", v); }
  attachShadow({ mode }) {
    if (this.shadowRoot) throw new Error("shadow root already attached");
    this.shadowRoot = new FakeShadowRoot(this.ownerDocument, this, mode);
    return this.shadowRoot;
  }
  addEventListener(type, fn) { (this.listeners[type] ??= []).push(fn); }
  removeEventListener(type, fn) { this.listeners[type] = (this.listeners[type] ?? []).filter((f) => f !== fn); }
  dispatch(ev) { for (const fn of this.listeners[ev.type] ?? []) fn(ev); }
  get isConnected() {
    let n = this;
    while (n.parentNode) n = n.parentNode;
    return n === this.ownerDocument.body || n === this.ownerDocument.documentElement;
  }
  // Popover API (the top layer), as Gecko has it: showPopover throws when already open.
  showPopover() {
    if (this.getAttribute("popover") === null) throw new Error("NotSupportedError: not a popover");
    if (this.popoverOpen) throw new Error("InvalidStateError: already open");
    this.popoverOpen = true;
    this.ownerDocument.topLayer.push(this);
  }
  hidePopover() {
    this.popoverOpen = false;
    this.ownerDocument.topLayer = this.ownerDocument.topLayer.filter((e) => e !== this);
  }
  matches(sel) {
    if (sel === ":popover-open") return this.popoverOpen === true;
    throw new Error(`selector ${sel} not supported by the fake DOM`);
  }
  getBoundingClientRect() { return { top: 0, left: 0, width: 700, height: this.fakeHeight ?? 96 }; }
  click() {
    const ev = { type: "click", defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    for (const fn of this.listeners.click ?? []) fn(ev);
  }
}

export class FakeDocument {
  constructor() {
    this.log = { elements: [], attributes: [] };
    this.body = this.createElement("body");
    this.documentElement = this.createElement("html");
    this.topLayer = [];
    this.listeners = [];
    this.timers = [];
    this.defaultView = { setTimeout: (fn) => this.timers.push(fn) };
  }
  addEventListener(type, fn, capture) { this.listeners.push({ type, fn, capture }); }
  removeEventListener(type, fn, capture) {
    this.listeners = this.listeners.filter((l) => !(l.type === type && l.fn === fn && l.capture === capture));
  }
  /** Dispatch a toggle-family event at `target` as the engine would (capture at document first). */
  fire(target, type, init) {
    let cancelled = false;
    const ev = { type, target, ...init, preventDefault() { if (this.cancelable) cancelled = true; } };
    for (const l of this.listeners.filter((x) => x.type === type)) l.fn(ev);
    target.dispatch(ev);
    return !cancelled;
  }
  runTimers() {
    const t = this.timers;
    this.timers = [];
    for (const fn of t) fn();
  }
  createElement(tag) {
    if (!/^[a-z][a-z0-9]*$/.test(tag)) throw new Error(`suspicious tag name ${tag}`);
    this.log.elements.push(tag);
    return new FakeElement(this, tag);
  }
  createTextNode(data) { return new FakeText(this, String(data)); }
  getElementById(id) { return this.body.querySelector(`#${id}`); }
  write() { throw new Error("document.write called"); }
}

/** Load the classic script extension/lib/banner-dom.js as the content script would see it. */
export function loadBannerDom() {
  const src = readFileSync(join(EXT, "lib", "banner-dom.js"), "utf8");
  const ctx = vm.createContext({});
  vm.runInContext(src, ctx, { filename: "banner-dom.js" });
  return ctx.MinukuBannerDom;
}
