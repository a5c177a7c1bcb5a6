/* Behaviour every page shares, kept out of the templates so that a Content-Security-Policy without
 * 'unsafe-inline' can forbid inline scripts, handlers and style attributes:
 * - a <select data-submit-on-change> submits its form when it changes (the language switcher);
 * - a progress bar with data-percent gets its exact width (the server's class rounds it to 5 %). */
(function () {
  "use strict";
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
  document.querySelectorAll(".progress-bar[data-percent]").forEach(function (bar) {
    var percent = Math.max(0, Math.min(100, Number(bar.getAttribute("data-percent")) || 0));
    bar.style.width = percent + "%";
  });
})();
