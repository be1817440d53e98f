// The import pages (templates/onboarding/). No inline scripts: the Content-Security-Policy
// forbids them.
document.addEventListener("DOMContentLoaded", function () {
  // The upload form shows only the options of the kind chosen; without script all show,
  // each under its kind's name, and only the chosen kind's are used.
  var kind = document.querySelector(".import-upload select[name=kind]");
  if (kind) {
    var groups = document.querySelectorAll(".import-upload [data-options-for]");
    var show = function () {
      groups.forEach(function (group) { group.hidden = group.dataset.optionsFor !== kind.value; });
    };
    kind.addEventListener("change", show);
    show();
  }

  // A check or a write under way: follow its progress, and reload once it has ended, when the
  // page has the problems, the preview or the result to show.
  var box = document.querySelector("[data-progress-url]");
  if (!box || !window.fetch) { return; }
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-progress-text]");
  var label = box.querySelector("[data-progress-label]");
  var badge = document.querySelector("#run-status .badge");
  var tick = function () {
    fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (progress) {
        if (!progress.busy) { window.location.reload(); return; }
        if (progress.total) {
          bar.max = progress.total;
          bar.value = progress.done;
          bar.textContent = progress.percent + "%";
        } else {
          bar.removeAttribute("value");
        }
        text.textContent = progress.text;
        label.textContent = progress.label;
        if (badge) { badge.textContent = progress.label; }
        window.setTimeout(tick, 1000);
      })
      .catch(function () { window.setTimeout(tick, 5000); });
  };
  window.setTimeout(tick, 1000);
});
