// Homeroom's service worker: the app shell offline. It caches what the web app is made of — the
// HTML of pages visited and Next.js's hashed static files — so a page visited before reloads
// without a network. Data never passes through here: the API is another origin, and the last
// known data comes from graphcache's IndexedDB (app/lib/offline/). Plain JavaScript, no build
// step: Next.js serves public/ as is, at the root scope.
const CACHE = 'homeroom-shell-v1';

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

// The page that registered this worker loaded its shell before the worker could see it: it sends
// the URLs (its own and its /_next/static files) to be cached now, so the very first visit
// already works offline.
self.addEventListener('message', (event) => {
  const urls = event.data?.type === 'cache-shell' && Array.isArray(event.data.urls) ? event.data.urls : [];
  const sameOrigin = urls.filter(
    (u) => typeof u === 'string' && new URL(u, self.location.href).origin === self.location.origin,
  );
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) =>
        Promise.all(sameOrigin.map((u) => cache.match(u).then((hit) => hit || cache.add(u).catch(() => {})))),
      ),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // Hashed file names never change content: the cache first, the network once.
  if (url.pathname.startsWith('/_next/static/')) {
    event.respondWith(cacheFirst(request));
    return;
  }
  // A page: the network first (always the newest shell online), the last copy when offline.
  // Client-side navigations (RSC requests) are left alone: when they fail, Next.js navigates the
  // whole page, which lands here.
  if (request.mode === 'navigate') event.respondWith(networkFirst(request));
});

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const hit = (await cache.match(request)) ?? (await cache.match(request, { ignoreSearch: true }));
    if (hit) return hit;
    throw error;
  }
}
