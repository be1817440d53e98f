{% load static %}// The service worker, registered only in a secure context (HTTPS; localhost in development)
// by static/js/visits.js. It keeps the grid worker's visit pages and the assets they load so
// that they open without a signal; the visits themselves wait in IndexedDB (visits.js), never
// here. On a plain-HTTP intranet there is no service worker and the queue still works.
"use strict";
const PAGES = "grid-pages";
const ASSETS = "grid-assets-{{ version }}";
const PRECACHE = [
  "{% static 'vendor/bootstrap/dist/css/bootstrap.min.css' %}",
  "{% static 'css/app.css' %}",
  "{% static 'vendor/bootstrap/dist/js/bootstrap.bundle.min.js' %}",
  "{% static 'vendor/htmx.org/dist/htmx.min.js' %}",
  "{% static 'js/app.js' %}",
  "{% static 'js/visits.js' %}",
];
// The pages a worker needs at a doorway: the list of households and the visit forms.
const OFFLINE_PAGES = /^\/visits\//;
// Past this, a weak signal is treated as none and the kept copy is shown.
const NETWORK_WAIT = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(ASSETS).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((n) => n.startsWith("grid-assets-") && n !== ASSETS).map((n) => caches.delete(n))
      ))
      .then(() => self.clients.claim())
  );
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error) => { clearTimeout(timer); reject(error); });
  });
}

async function page(request) {
  const cache = await caches.open(PAGES);
  try {
    const response = await withTimeout(fetch(request), NETWORK_WAIT);
    // Keep only a real page of ours: not the sign-in page a lapsed session redirects to.
    if (response.ok && !response.redirected) { cache.put(request, response.clone()); }
    return response;
  } catch (error) {
    const kept = (await cache.match(request, { ignoreSearch: false })) || (await cache.match("/visits/"));
    if (kept) { return kept; }
    throw error;
  }
}

async function asset(request) {
  const kept = await caches.match(request);
  if (kept) { return kept; }
  const response = await fetch(request);
  if (response.ok) { (await caches.open(ASSETS)).put(request, response.clone()); }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && OFFLINE_PAGES.test(url.pathname)) {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith("{% get_static_prefix %}")) {
    event.respondWith(asset(request));
  }
});
