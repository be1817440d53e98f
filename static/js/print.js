// A button marked data-print prints the page (no inline handlers under the CSP).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (element) {
    element.addEventListener("click", function () { window.print(); });
  });
});
