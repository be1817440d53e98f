// Residents' pages. "Use my location" fills the request form's hidden longitude and
// latitude; "Copy" puts the tracking link on the clipboard. Each is shown only where the
// browser can do it (both need HTTPS or localhost). No inline script anywhere: the
// Content-Security-Policy forbids it.
document.addEventListener("DOMContentLoaded", function () {
  var copy = document.getElementById("copy-link");
  var link = document.getElementById("tracking-link");
  if (copy && link && navigator.clipboard && window.isSecureContext) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(link.value).then(function () {
        copy.textContent = copy.dataset.copied;
      });
    });
  }
  var box = document.getElementById("locate-box");
  var button = document.getElementById("locate");
  var form = document.getElementById("request-form");
  if (!box || !button || !form) { return; }
  if (!("geolocation" in navigator) || !window.isSecureContext) { return; }
  var status = document.getElementById("locate-status");
  var say = function (text) { if (status) { status.textContent = text; } };
  box.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    say(button.dataset.locating);
    navigator.geolocation.getCurrentPosition(
      function (position) {
        form.querySelector("input[name=longitude]").value = position.coords.longitude.toFixed(6);
        form.querySelector("input[name=latitude]").value = position.coords.latitude.toFixed(6);
        button.disabled = false;
        button.setAttribute("aria-pressed", "true");
        say(button.dataset.found);
      },
      function () {
        button.disabled = false;
        say(button.dataset.denied);
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
});
