// Typing counts as activity: a form filled in for longer than the idle limit
// (accounts/timeouts.py) without a request would otherwise be refused when sent, and what
// was typed lost. While someone types, the session is touched at most every 5 minutes; an
// open page nobody types into lets the session end as it should.
(() => {
  const script = document.currentScript;
  const url = script && script.dataset.url;
  if (!url) { return; }
  const EVERY = 5 * 60 * 1000;
  let last = Date.now(); // this page's own request
  let typed = false;
  document.addEventListener("input", () => { typed = true; }, { passive: true });
  setInterval(() => {
    if (!typed || Date.now() - last < EVERY || !navigator.onLine) { return; }
    typed = false;
    last = Date.now();
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).catch(() => {});
  }, 60 * 1000);
})();
