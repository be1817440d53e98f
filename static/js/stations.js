// Service stations: "nearest to me" on the public directory, and printing posters.
// No inline script anywhere (the Content-Security-Policy forbids it).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("near-me");
  var form = document.getElementById("directory-form");
  var status = document.getElementById("near-me-status");
  if (button && form) {
    var say = function (text) { if (status) { status.textContent = text; } };
    button.addEventListener("click", function () {
      // Geolocation needs HTTPS (or localhost); on a plain-HTTP intranet it is missing.
      if (!("geolocation" in navigator) || !window.isSecureContext) {
        say(button.dataset.unsupported);
        return;
      }
      button.disabled = true;
      say(button.dataset.locating);
      navigator.geolocation.getCurrentPosition(
        function (position) {
          form.querySelector("input[name=lat]").value = position.coords.latitude.toFixed(6);
          form.querySelector("input[name=lng]").value = position.coords.longitude.toFixed(6);
          form.submit();
        },
        function () {
          button.disabled = false;
          say(button.dataset.denied);
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 }
      );
    });
  }
  // Inspection form: a failed item opens its note and photo, which usually explain it.
  document.querySelectorAll(".inspection-item").forEach(function (item) {
    var extra = item.querySelector("details.item-extra");
    item.querySelectorAll("input.btn-check").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (extra && radio.checked && radio.value === "0") { extra.open = true; }
      });
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (element) {
    element.addEventListener("click", function () { window.print(); });
  });
});
