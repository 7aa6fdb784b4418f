// Bytes -> base64 for the wire (the raw message travels as base64). Converted in chunks:
// String.fromCharCode(...hugeArray) overflows the call stack on large messages.

const CHUNK = 0x8000;

/**
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function bytesToBase64(bytes) {
  const parts = [];
  for (let i = 0; i < bytes.length; i += CHUNK) {
    parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK)));
  }
  return btoa(parts.join(""));
}

/**
 * What messages.getRaw(id, {data_format: "File"}) returns (a File/Blob), or a binary string
 * (MV2 style), as bytes.
 * @param {Blob|string|ArrayBuffer|Uint8Array} raw
 * @returns {Promise<Uint8Array>}
 */
export async function rawToBytes(raw) {
  if (raw instanceof Uint8Array) return raw;
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw);
  if (typeof raw === "string") {
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i) & 0xff;
    return out;
  }
  if (raw && typeof raw.arrayBuffer === "function") return new Uint8Array(await raw.arrayBuffer());
  throw new TypeError("unsupported raw message type");
}
