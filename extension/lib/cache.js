// A small least-recently-used map: verdicts per message (and options), so re-displaying a
// message does not ask the host again. Only real host results are stored, never error banners.

export class LruCache {
  #max;
  #map = new Map();

  /** @param {number} max entries kept; the oldest is dropped first */
  constructor(max = 64) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError("max must be a positive integer");
    this.#max = max;
  }

  get size() {
    return this.#map.size;
  }

  has(key) {
    return this.#map.has(key);
  }

  get(key) {
    if (!this.#map.has(key)) return undefined;
    const value = this.#map.get(key);
    // Map keeps insertion order: re-inserting marks the entry as most recently used.
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  set(key, value) {
    this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.#max) {
      this.#map.delete(this.#map.keys().next().value);
    }
    return this;
  }

  delete(key) {
    return this.#map.delete(key);
  }

  clear() {
    this.#map.clear();
  }

  keys() {
    return [...this.#map.keys()];
  }
}
