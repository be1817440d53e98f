// The dispatch board and a request's page (templates/tickets/board.html, ticket_detail.html):
// on a phone a picker is too narrow for its option's whole label, so the chosen candidate's
// role and load are written out under it. The words are the option's own, translated on the
// server. No inline script: the Content-Security-Policy forbids it.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-picked]").forEach(function (select) {
    var shown = document.getElementById(select.dataset.picked);
    if (!shown) { return; }
    var say = function () {
      var option = select.options[select.selectedIndex];
      shown.textContent = option && option.value ? option.text : "";
    };
    select.addEventListener("change", say);
    say();
  });
});
