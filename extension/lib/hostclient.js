// The one long-lived native-messaging port to the Minuku host (`runtime.connectNative("minuku")`).
// Owns request ids, the pending map, a timeout per request, the `hello` version handshake, and
// reconnection with backoff after the host dies. It never touches the DOM or storage: the port
// factory and the timers are injected so node tests can drive it with a fake host.

export const PROTOCOL_VERSION = 1;
export const HOST_NAME = "minuku";

// Thunderbird's messages when the host manifest or launcher cannot be found or is not allowed.
const MISSING_RE = /no such native application|not found|forbidden|not allowed/i;

export class HostError extends Error {
  /**
   * @param {string} code one of host_missing, host_crashed, host_incompatible, timeout,
   *   host_error (details.hostCode holds the host's error code), bad_response
   * @param {string} message
   * @param {object} [details]
   */
  constructor(code, message, details = {}) {
    super(message);
    this.name = "HostError";
    this.code = code;
    this.details = details;
  }
}

export class HostClient {
  #connectNative;
  #hostName;
  #clientVersion;
  #timeoutMs;
  #helloTimeoutMs;
  #backoffMs;
  #timers;
  #now;
  #port = null;
  #ready = null; // Promise<hello response> for the current port
  #hello = null;
  #pending = new Map(); // id -> {resolve, reject, timer, port, onPartial}
  #seq = 0;
  #failures = 0;
  #retryAt = 0;
  #lastError = null;

  /**
   * @param {object} o
   * @param {(name: string) => object} o.connectNative  e.g. browser.runtime.connectNative
   * @param {string} [o.clientVersion]
   * @param {number} [o.timeoutMs] per check request
   * @param {number} [o.helloTimeoutMs]
   * @param {number[]} [o.backoffMs] wait before the n-th consecutive reconnect
   * @param {{setTimeout: Function, clearTimeout: Function}} [o.timers]
   * @param {() => number} [o.now]
   */
  constructor({
    connectNative,
    hostName = HOST_NAME,
    clientVersion = "",
    timeoutMs = 20000,
    helloTimeoutMs = 10000,
    backoffMs = [0, 500, 2000, 5000, 10000],
    timers = globalThis,
    now = () => Date.now(),
  }) {
    this.#connectNative = connectNative;
    this.#hostName = hostName;
    this.#clientVersion = String(clientVersion).slice(0, 64);
    this.#timeoutMs = timeoutMs;
    this.#helloTimeoutMs = helloTimeoutMs;
    this.#backoffMs = backoffMs;
    this.#timers = timers;
    this.#now = now;
  }

  get connected() {
    return this.#port !== null;
  }

  /** The host's hello answer for the current connection, or null. */
  get hostInfo() {
    return this.#hello;
  }

  get pendingCount() {
    return this.#pending.size;
  }

  /**
   * Connect (if needed) and finish the hello handshake.
   * @param {{force?: boolean}} [o] force ignores the reconnect backoff (a user asked explicitly)
   */
  ensureReady({ force = false } = {}) {
    if (this.#ready) return this.#ready;
    if (!force && this.#lastError && this.#now() < this.#retryAt) {
      return Promise.reject(this.#lastError);
    }
    let port;
    try {
      port = this.#connectNative(this.#hostName);
    } catch (e) {
      return Promise.reject(this.#fail(new HostError("host_missing", String(e?.message ?? e))));
    }
    this.#port = port;
    port.onMessage.addListener((msg) => this.#onMessage(port, msg));
    port.onDisconnect.addListener((p) => this.#onDisconnect(port, p));
    const ready = this.#send(
      port,
      { type: "hello", protocol_version: PROTOCOL_VERSION, client_version: this.#clientVersion },
      this.#helloTimeoutMs,
    ).then(
      (resp) => {
        if (port !== this.#port) throw this.#lastError ?? new HostError("host_crashed", "port replaced");
        const ok =
          resp.type === "hello" &&
          resp.compatible === true &&
          Number.isInteger(resp.min_protocol_version) &&
          Number.isInteger(resp.max_protocol_version) &&
          resp.min_protocol_version <= PROTOCOL_VERSION &&
          PROTOCOL_VERSION <= resp.max_protocol_version;
        if (!ok) {
          throw this.#drop(port, this.#incompatible(resp));
        }
        this.#hello = resp;
        this.#failures = 0;
        this.#lastError = null;
        return resp;
      },
      (err) => {
        if (port !== this.#port) throw err; // the disconnect already failed everything
        let mapped = err;
        if (err instanceof HostError && err.details.hostCode === "unsupported_version") {
          mapped = this.#incompatible(err.details);
        } else if (err instanceof HostError && err.code === "timeout") {
          // A host that cannot even say hello is not speaking our protocol.
          mapped = new HostError("host_crashed", "the host did not answer hello in time");
        }
        // Start afresh on the next request (after the backoff).
        throw this.#drop(port, mapped);
      },
    );
    this.#ready = ready;
    // Nobody may be awaiting yet; keep a rejection from being reported as unhandled.
    ready.catch(() => {});
    return ready;
  }

  /**
   * Ask the host to check one raw message.
   * @param {string} messageBase64
   * @param {{locale: "ja"|"en"|null, offline: boolean, trusted_authserv_ids: string[]}} options
   * @param {{force?: boolean, onPartial?: (payload: object) => void}} [o]
   * @returns {Promise<object>} the BannerPayload (unvalidated; see payload.js)
   */
  async check(messageBase64, options, { force = false, onPartial } = {}) {
    await this.ensureReady({ force });
    const resp = await this.#send(
      this.#port,
      { type: "check", protocol_version: PROTOCOL_VERSION, message: messageBase64, options },
      this.#timeoutMs,
      onPartial,
    );
    if (resp.type !== "result" || typeof resp.payload !== "object" || resp.payload === null) {
      throw new HostError("bad_response", `unexpected answer type ${String(resp.type)}`);
    }
    return resp.payload;
  }

  async ping() {
    await this.ensureReady();
    return this.#send(this.#port, { type: "ping", protocol_version: PROTOCOL_VERSION }, this.#timeoutMs);
  }

  /** Close the port; everything pending fails with host_crashed. No backoff is applied. */
  disconnect() {
    const port = this.#port;
    if (!port) return;
    this.#reset(port, new HostError("host_crashed", "disconnected"));
    try {
      port.disconnect();
    } catch {
      // already gone
    }
  }

  #send(port, fields, timeoutMs, onPartial) {
    if (!port || port !== this.#port) {
      return Promise.reject(this.#lastError ?? new HostError("host_crashed", "not connected"));
    }
    this.#seq += 1;
    // Ids are never reused during the add-on's life, so a late answer can only be dropped.
    const id = `m${this.#seq}`;
    const frame = { ...fields, id };
    return new Promise((resolve, reject) => {
      const timer = this.#timers.setTimeout(() => {
        if (this.#pending.get(id)?.timer === timer) {
          this.#pending.delete(id);
          reject(new HostError("timeout", `no answer within ${timeoutMs} ms`, { timeoutMs }));
        }
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer, port, onPartial });
      try {
        port.postMessage(frame);
      } catch (e) {
        this.#timers.clearTimeout(timer);
        this.#pending.delete(id);
        reject(new HostError("host_crashed", String(e?.message ?? e)));
      }
    });
  }

  #onMessage(port, msg) {
    if (port !== this.#port || typeof msg !== "object" || msg === null) return;
    let id = typeof msg.id === "string" ? msg.id : null;
    if (id === null && msg.type === "error") {
      // A frame-level error (e.g. frame_too_large) cannot name its request; it can only be
      // attributed when exactly one request on this port is waiting.
      const mine = [...this.#pending].filter(([, p]) => p.port === port);
      if (mine.length === 1) id = mine[0][0];
    }
    const entry = id === null ? undefined : this.#pending.get(id);
    if (!entry || entry.port !== port) return; // late answer after a timeout: drop it
    if (msg.type === "result" && msg.partial === true) {
      try {
        entry.onPartial?.(msg.payload);
      } catch {
        // a partial result is only a preview
      }
      return;
    }
    this.#pending.delete(id);
    this.#timers.clearTimeout(entry.timer);
    if (msg.type === "error") {
      entry.reject(
        new HostError("host_error", String(msg.message ?? ""), {
          hostCode: String(msg.code ?? ""),
          min_protocol_version: msg.min_protocol_version,
          max_protocol_version: msg.max_protocol_version,
        }),
      );
    } else {
      entry.resolve(msg);
    }
  }

  #onDisconnect(port, p) {
    if (port !== this.#port) return;
    const text = String(p?.error?.message ?? "");
    const code = this.#hello === null && MISSING_RE.test(text) ? "host_missing" : "host_crashed";
    this.#fail(new HostError(code, text || "the host exited"));
    this.#reset(port, this.#lastError);
  }

  #incompatible(info) {
    return new HostError("host_incompatible", "host and add-on protocol versions differ", {
      hostVersion: typeof info?.host_version === "string" ? info.host_version : "",
      minProtocolVersion: info?.min_protocol_version ?? null,
      maxProtocolVersion: info?.max_protocol_version ?? null,
      protocolVersion: PROTOCOL_VERSION,
    });
  }

  #drop(port, err) {
    this.#fail(err);
    this.#reset(port, err);
    try {
      port.disconnect();
    } catch {
      // already gone
    }
    return err;
  }

  #fail(err) {
    this.#failures += 1;
    const i = Math.min(this.#failures - 1, this.#backoffMs.length - 1);
    this.#retryAt = this.#now() + (this.#backoffMs[i] ?? 0);
    this.#lastError = err;
    return err;
  }

  #reset(port, err) {
    if (port === this.#port) {
      this.#port = null;
      this.#ready = null;
      this.#hello = null;
    }
    for (const [id, entry] of this.#pending) {
      if (entry.port !== port) continue;
      this.#pending.delete(id);
      this.#timers.clearTimeout(entry.timer);
      entry.reject(err);
    }
  }
}
