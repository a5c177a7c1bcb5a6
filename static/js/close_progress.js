/* The close job page: poll the job's JSON status and move the progress bar.
 * Config comes from the json_script element "close-progress-config":
 *   {url, interval_ms, labels: {status: label}, steps_one: "%(done)s of %(total)s step",
 *    steps: "%(done)s of %(total)s steps"} (the singular for a total of 1, else the plural).
 * When the job is done or failed the page reloads, so the server renders the summary
 * (window.salesPerf.pollJob in app.js does the polling and shows the status label). */
(function () {
  "use strict";
  var container = document.getElementById("close-progress");
  var bar = container && container.querySelector(".progress-bar");
  var steps = document.getElementById("close-steps");

  function show(status, config) {
    var percent = Math.max(0, Math.min(100, Number(status.percent) || 0));
    if (container && bar) {
      container.setAttribute("aria-valuenow", String(percent));
      bar.style.width = percent + "%";
      bar.textContent = percent + "%";
    }
    if (steps && status.steps_total) {
      var form = status.steps_total === 1 && config.steps_one ? config.steps_one : config.steps;
      steps.textContent = form
        .replace("%(done)s", String(status.steps_done))
        .replace("%(total)s", String(status.steps_total));
    }
  }

  if (window.salesPerf) {
    window.salesPerf.pollJob("close-progress-config", "close-status-label", show, function (status) {
      return status.status === "done" || status.status === "failed";
    });
  }
})();
