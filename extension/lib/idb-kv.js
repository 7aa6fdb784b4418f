// A key-value store in the add-on's own IndexedDB with storage.local's call shapes (get(key),
// set(items), remove(keys)). The background checks keep thousands of records; in storage.local
// they would be read back by every storage.local.get(null) (which the options code does for
// each displayed message), so they live here instead.

export const DB_NAME = "minuku-arrival";
const STORE = "kv";

function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("transaction aborted"));
  });
}

/** @param {IDBFactory} [factory] */
export function idbStorage(factory = globalThis.indexedDB, name = DB_NAME) {
  let dbp = null;
  const db = () => {
    dbp ??= new Promise((resolve, reject) => {
      const open = factory.open(name, 1);
      open.onupgradeneeded = () => open.result.createObjectStore(STORE);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    return dbp;
  };
  return {
    async get(key) {
      const tx = (await db()).transaction(STORE, "readonly");
      const value = await req(tx.objectStore(STORE).get(key));
      return value === undefined ? {} : { [key]: value };
    },
    async set(items) {
      const tx = (await db()).transaction(STORE, "readwrite");
      const s = tx.objectStore(STORE);
      for (const [k, v] of Object.entries(items)) s.put(v, k);
      await done(tx);
    },
    async remove(keys) {
      const tx = (await db()).transaction(STORE, "readwrite");
      const s = tx.objectStore(STORE);
      for (const k of Array.isArray(keys) ? keys : [keys]) s.delete(k);
      await done(tx);
    },
  };
}

/** The same interface over a Map (node tests, and a fallback when IndexedDB is unavailable). */
export function memoryStorage(map = new Map()) {
  const clone = (v) => (v === undefined ? v : structuredClone(v));
  return {
    map,
    async get(key) {
      return map.has(key) ? { [key]: clone(map.get(key)) } : {};
    },
    async set(items) {
      for (const [k, v] of Object.entries(items)) map.set(k, clone(v));
    },
    async remove(keys) {
      for (const k of Array.isArray(keys) ? keys : [keys]) map.delete(k);
    },
  };
}
