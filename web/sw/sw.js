/* AuraOS service worker (emitted as /sw.js by vite.config.js, which fills in VERSION and PRECACHE).
 *
 * Strategy:
 *   - static assets (same origin: the app shell, hashed /assets/*, icons, manifest): cache-first;
 *     everything the build emitted is precached at install, under a cache named by the build.
 *   - page navigations: network-first, falling back to the cached shell when offline.
 *   - API: network-first. Same-origin API paths (/__/ Hosting config, /api/) go to the network
 *     and fall back to their last cached copy only when offline. Callable functions and Firestore
 *     writes are POSTs, and Auth, Firestore listen channels and callables are cross-origin (the
 *     emulators, *.googleapis.com, *.cloudfunctions.net): they hold private, per-user data or are
 *     long-lived streams, so the worker never answers or stores them; the browser sends them
 *     straight to the network.
 */
const VERSION = "__VERSION__";
const PRECACHE = __PRECACHE__;
const STATIC_CACHE = `auraos-static-${VERSION}`;
const API_CACHE = "auraos-api-v1";
const SHELL = "/index.html";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(STATIC_CACHE)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((key) => key.startsWith("auraos-static-") && key !== STATIC_CACHE)
            .map((key) => caches.delete(key)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

function isApi(url) {
  return url.pathname.startsWith("/__/") || url.pathname.startsWith("/api/");
}

async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") {
    const cache = await caches.open(STATIC_CACHE);
    cache.put(request, response.clone());
  }
  return response;
}

async function networkFirst(request, cacheName, fallbackUrl) {
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic") {
      const cache = await caches.open(cacheName);
      cache.put(fallbackUrl ?? request, response.clone());
    }
    return response;
  } catch (error) {
    const cached = await caches.match(fallbackUrl ?? request);
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return; // callables, Firestore writes: network only
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return; // Auth, Firestore, Functions: never cached
  if (isApi(url)) {
    event.respondWith(networkFirst(request, API_CACHE));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, STATIC_CACHE, SHELL));
  } else {
    event.respondWith(cacheFirst(request));
  }
});
