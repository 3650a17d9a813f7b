// The app's service worker: keeps the app's own files (never the API) so the app opens and works offline from the
// model and catalogue it keeps in IndexedDB. Pages: network first, the kept copy when the server cannot be reached.
// Built files: the copy kept is refreshed whenever the network answers (they are named by content hash anyway).
/// <reference lib="webworker" />
const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = 'confidant-app-v1';
/** Where the app's page is kept (every app address is the same index.html). */
const SHELL = '/';

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const page = await fetch(SHELL, { cache: 'no-cache' });
      if (!page.ok) return;
      await cache.put(SHELL, page.clone());
      // The page's own scripts and styles, so the first offline open works too.
      const html = await page.text();
      const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
      await cache.addAll(assets);
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // Only this origin's app files: the API (and anything else) always goes to the network.
  if (request.method !== 'GET' || url.origin !== sw.location.origin || url.pathname.startsWith('/v1/')) return;
  const navigation = request.mode === 'navigate';
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        const response = await fetch(request);
        if (response.ok) await cache.put(navigation ? SHELL : request, response.clone());
        return response;
      } catch (err) {
        const kept = await cache.match(navigation ? SHELL : request);
        if (kept) return kept;
        throw err;
      }
    })(),
  );
});
