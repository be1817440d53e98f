// Small behaviours that must not live inline (the Content-Security-Policy forbids it).
document.addEventListener("DOMContentLoaded", function () {
  // Switch language as soon as one is picked; the button stays for keyboards and no-JS.
  document.querySelectorAll(".lang-switch select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // Filters that apply as soon as a choice is made (the list of one micro-grid, say).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // Ask before actions marked as consequential (ending a post, revealing a number).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
});
