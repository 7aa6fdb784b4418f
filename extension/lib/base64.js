// Bytes -> base64 for the wire (the raw message travels as base64). Converted in chunks:
// String.fromCharCode(...hugeArray) overflows the call stack on large messages.

const CHUNK = 0x8000;
// The host's cap (wire.MAX_MESSAGE_BYTES): bigger messages are not sent at all.
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

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

/**
 * The raw message as the wire carries it (base64), or null over the host's size cap.
 * Checks ask getRaw for a binary string (one char per byte): it comes back in getRaw's answer
 * itself, where a File is a blob whose bytes the add-on's process must then fetch from
 * Thunderbird's in another round trip (for the displayed mail's first banner, and for every
 * mail of a folder).
 * @param {string|Blob|ArrayBuffer|Uint8Array} raw
 * @returns {Promise<string|null>}
 */
export async function rawToBase64(raw) {
  if (typeof raw === "string") {
    if (raw.length > MAX_MESSAGE_BYTES) return null;
    try {
      return btoa(raw);
    } catch {
      // Not a binary string after all (a char over 0xFF): bytes, as rawToBytes makes them.
    }
  }
  const bytes = await rawToBytes(raw);
  return bytes.length > MAX_MESSAGE_BYTES ? null : bytesToBase64(bytes);
}
