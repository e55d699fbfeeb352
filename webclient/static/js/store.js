// What the phone keeps: the rider's token (localStorage), and in IndexedDB the phone's
// key pair (CryptoKey objects, non-extractable: IndexedDB stores them as they are), its
// certificate and the last-seen trips and account, for offline use.

const DB = "farechain";
const STORE = "kv";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request?.result);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export const load = (key) => run("readonly", (s) => s.get(key));
export const save = (key, value) => run("readwrite", (s) => s.put(value, key));
export const clearAll = () => run("readwrite", (s) => s.clear());

export const token = () => localStorage.getItem("fc.token");
export const riderId = () => (token() ?? "").split(".")[0];
export function setToken(value) {
  if (value) localStorage.setItem("fc.token", value);
  else localStorage.removeItem("fc.token");
}
