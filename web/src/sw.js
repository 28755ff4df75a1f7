// The page's service worker: after the first visit the page, the component
// and the code pages load from this cache, so the page reloads offline.
// web/build.mjs fills in VERSION (a hash of every file of dist/) and FILES
// (every file of dist/); a new build is a new worker, which replaces the
// cache when it activates. Cache first: these files change only together,
// with a new build, and then the browser fetches the new sw.js itself.
const VERSION = '__VERSION__';
const FILES = __FILES__;
const CACHE = `zerops-cache-page-${VERSION}`;

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(['./', ...FILES])).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil((async () => {
    for (const k of await caches.keys()) if (k.startsWith('zerops-cache-page-') && k !== CACHE) await caches.delete(k);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== location.origin) return;
  e.respondWith((async () => {
    const hit = await caches.match(req, { cacheName: CACHE, ignoreSearch: true });
    return hit ?? fetch(req);
  })());
});
