// Small behaviours that must not live inline (the Content-Security-Policy forbids it).

// requestSubmit, unlike submit(), passes through the submit listeners (the offline guard below).
function send(form) {
  if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
}

// A form posted without a connection would end on the browser's own error page, and what was
// typed would be gone: keep the page and say so beside the button instead. Visit forms queue
// themselves (visits.js) and have already taken the event by the time it reaches here.
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (event.defaultPrevented || navigator.onLine !== false || form.method.toLowerCase() !== "post") { return; }
  event.preventDefault();
  let note = form.querySelector(".offline-note");
  if (!note) {
    note = document.createElement("div");
    note.className = "alert alert-warning offline-note mt-2 mb-0";
    note.setAttribute("role", "alert");
    note.textContent = document.body.dataset.offlineText || "";
    form.appendChild(note);
  }
  note.scrollIntoView({ block: "nearest" });
});
document.addEventListener("DOMContentLoaded", function () {
  // Switch language as soon as one is picked; the button stays for keyboards and no-JS.
  document.querySelectorAll(".lang-switch select").forEach(function (select) {
    select.addEventListener("change", function () { send(select.form); });
  });
  // Filters that apply as soon as a choice is made (the list of one micro-grid, say).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { send(select.form); });
  });
  // Ask before actions marked as consequential (ending a post, revealing a number).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
});
