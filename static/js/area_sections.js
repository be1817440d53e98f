// An area's pages by theme (templates/grids/area_detail.html): a phone shows the themes
// folded, the first one open, so the figures and the areas below stay near the top; a wide
// screen has room for every theme side by side, so all open.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.matchMedia("(min-width: 768px)").matches) { return; }
  document.querySelectorAll("[data-open-wide] details").forEach(function (details) {
    details.open = true;
  });
});
