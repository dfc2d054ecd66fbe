// minsheng's service worker: after one visit the front page and a form open and work with no
// network. Assets are cached by version (their URLs carry a content hash); pages are fetched
// from the network first (a 304 when unchanged) and from the cache offline, in the language
// asked for (?lang=en) when it was cached.
const VERSION = '__VERSION__';
// The form's files, its photo code included, kept at install: a form opened once works offline.
// Those the page has loaded come from the browser's cache, not the network.
const ASSETS = "__ASSETS__";
// The phone's other pages' files: kept when a page asks ('keep'), which a form page does from
// its second visit on and the other pages always, so a form's first visit stays small.
const MORE = "__MORE__";
const STATIC = 'ms-static-' + VERSION;
const PAGES = 'ms-pages-1';
// The front page, a form, a form's version, and the cadre's needs (steps recorded offline).
const PAGE = /^\/(f\/[^/]+(\/v\/[0-9]+)?|needs\/mine)?$/;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(STATIC).then((c) => c.addAll(ASSETS)).then(() => self.skipWaiting()));
});

// 'keep': the other pages' files; {keep: [url]}: the files a page loaded before this worker
// ran (a form's own extra code), from the browser's cache.
self.addEventListener('message', (event) => {
  const own = (u) => new URL(u).origin === self.location.origin && new URL(u).pathname.startsWith('/static/');
  const urls = event.data === 'keep' ? MORE : ((event.data && event.data.keep) || []).filter(own);
  event.waitUntil(caches.open(STATIC).then((c) => Promise.all(urls.map((u) => c.match(u).then((hit) => hit || c.add(u).catch(() => {}))))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('ms-static-') && k !== STATIC).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

const lang = (url) => new URL(url).searchParams.get('lang');

// Offline: the page as cached, else the same page cached under other parameters: in the
// language asked for, else the one the phone speaks, else any.
async function cached(cache, request) {
  const exact = await cache.match(request, { ignoreVary: true });
  if (exact) return exact;
  const same = await cache.matchAll(request, { ignoreSearch: true, ignoreVary: true });
  const langs = (await cache.keys(request, { ignoreSearch: true, ignoreVary: true })).map((k) => lang(k.url));
  const want = lang(request.url) || (navigator.language.startsWith('en') ? 'en' : 'zh');
  const i = [langs.indexOf(want), langs.indexOf(null), 0].find((n) => n >= 0);
  return same[i] || Response.error();
}

async function page(request) {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    // Not a page for nobody (the front page before logging in): it would hide the one kept.
    if (response.ok && !response.headers.has('x-not-offline')) await cache.put(request.url.split('#')[0], response.clone());
    return response;
  } catch (e) {
    return cached(cache, request);
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && PAGE.test(url.pathname)) {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith('/static/')) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request).then((response) => {
      // A file asked for by its current version is kept as it comes: it never changes.
      if (response.ok && url.searchParams.has('v')) { const copy = response.clone(); caches.open(STATIC).then((c) => c.put(request, copy)); }
      return response;
    }).catch(() => caches.match(request, { ignoreSearch: true }))));
  }
});
