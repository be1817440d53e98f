{% load static %}// The service worker, registered only in a secure context (HTTPS; localhost in development)
// by static/js/visits.js. It keeps the grid worker's visit pages and the assets they load so
// that they open without a signal; the visits themselves wait in IndexedDB (visits.js), never
// here. On a plain-HTTP intranet there is no service worker and the queue still works.
//
// Without a signal no navigation ends in a browser error page:
// - a visit page the worker opened online comes from the page cache;
// - any household's visit form comes from one generic form, which visits.js fills in from the
//   household list kept with it (both stored when the worker's list is opened online);
// - anything else gets the kept "offline" page.
// The page cache holds one user's pages only: visits.js empties it on the sign-in page and
// when another user signs in on the phone.
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
  "{% static 'js/keepalive.js' %}",
];
const OFFLINE_PAGE = "{% url 'visits_offline' %}";
const OFFLINE_FORM = "{% url 'visit_offline_form' %}";
// The pages a worker needs at a doorway: the list of households and the visit forms.
const OFFLINE_PAGES = /^\/visits\//;
// A household's visit form (visits/urls.py visit_household), answered offline by the generic one.
const HOUSEHOLD_FORM = /^\/visits\/household\/\d+\/$/;
// Past this, a weak signal is treated as none and the kept copy is shown.
const NETWORK_WAIT = 4000;
// Responses vary on Cookie and Accept-Language; the cache holds one user's pages in the
// language they were read in, so matching ignores Vary (else nothing would ever match).
const MATCH = { ignoreVary: true };

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(ASSETS).then((cache) => cache.addAll(PRECACHE))
      // The offline page is plain and carries nothing personal; missing it is not fatal.
      .then(() => caches.open(PAGES)).then((cache) => cache.add(OFFLINE_PAGE).catch(() => {}))
      .then(() => self.skipWaiting())
  );
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

// Kept for a doorway: a real page of ours, not the sign-in page a lapsed session redirects to.
const keepable = (response) => response.ok && !response.redirected && response.type === "basic";

async function offline(path) {
  const cache = await caches.open(PAGES);
  if (HOUSEHOLD_FORM.test(path)) {
    const form = await cache.match(OFFLINE_FORM, MATCH);
    if (form) { return form; }
  }
  return (await cache.match(OFFLINE_PAGE, MATCH)) || Response.error();
}

async function visitPage(request, path) {
  const cache = await caches.open(PAGES);
  try {
    const response = await withTimeout(fetch(request), NETWORK_WAIT);
    if (keepable(response)) { cache.put(request, response.clone()); }
    return response;
  } catch (error) {
    return (await cache.match(request, MATCH)) || offline(path);
  }
}

async function otherPage(request, path) {
  try {
    return await fetch(request);
  } catch (error) {
    return offline(path); // not kept (it may be anyone's business): say we are offline
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
  if (request.mode === "navigate") {
    const isVisitPage = OFFLINE_PAGES.test(url.pathname) && url.pathname !== OFFLINE_PAGE;
    event.respondWith(isVisitPage ? visitPage(request, url.pathname) : otherPage(request, url.pathname));
  } else if (url.pathname.startsWith("{% get_static_prefix %}")) {
    event.respondWith(asset(request));
  }
});
