// The service worker: the page, its scripts and the names are kept for offline use, and
// so are the rider's last answers for trips, account and phones. Online, everything is
// fetched fresh (network first) and the copies refreshed; offline, the copies answer.
// The ride code itself needs no network: the phone signs it with its own key.

const SHELL = "fc-shell-v1";
const API = "fc-api"; // cleared by the page when the rider signs out
const SHELL_FILES = [
  "/",
  "/manifest.webmanifest",
  "/app/css/app.css",
  "/app/names.json",
  "/app/keys.json",
  "/app/features.json",
  "/app/icons/icon.svg",
  "/app/icons/icon-192.png",
  "/app/js/app.js",
  "/app/js/api.js",
  "/app/js/b64.js",
  "/app/js/dom.js",
  "/app/js/i18n.js",
  "/app/js/receipt.js",
  "/app/js/ridecode.js",
  "/app/js/store.js",
  "/app/js/strings-en.js",
  "/app/js/strings-zh.js",
  "/app/js/uscc.js",
  "/app/js/views/account.js",
  "/app/js/views/code.js",
  "/app/js/views/invoices.js",
  "/app/js/views/more.js",
  "/app/js/views/signin.js",
  "/app/js/views/trips.js",
  "/app/js/views/verify.js",
  "/app/vendor/qrcode-generator-2.0.4/qrcode.mjs",
];
const API_PATHS = new Set(["/v1/me", "/v1/me/trips", "/v1/me/account", "/v1/me/phones"]);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(SHELL_FILES))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("fc-shell") && n !== SHELL).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

async function networkFirst(request, cacheName, key) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(cacheName);
      await cache.put(key, response.clone());
    }
    return response;
  } catch (error) {
    const kept = await caches.match(key);
    if (kept) return kept;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, SHELL, "/"));
  } else if (API_PATHS.has(url.pathname)) {
    // One copy per path: the trips list is kept whatever its query.
    event.respondWith(networkFirst(request, API, url.pathname));
  } else if (url.pathname.startsWith("/app/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(networkFirst(request, SHELL, url.pathname));
  }
});
