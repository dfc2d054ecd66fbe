// minsheng's service worker: after one visit a form opens and works with no network.
// Assets are cached by version (their URLs carry a content hash); form pages are
// fetched from the network first (a 304 when unchanged) and from the cache offline.
const VERSION = '__VERSION__';
const ASSETS = "__ASSETS__";
const STATIC = 'ms-static-' + VERSION;
const PAGES = 'ms-pages-1';

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(STATIC).then((c) => c.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('ms-static-') && k !== STATIC).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

async function page(request) {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (e) {
    return (await cache.match(request, { ignoreVary: true })) || (await cache.match(request, { ignoreSearch: true, ignoreVary: true })) || Response.error();
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && url.pathname.startsWith('/f/')) {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith('/static/')) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request).catch(() => caches.match(request, { ignoreSearch: true }))));
  }
});
