/* The import job page: poll the job's JSON status and show its progress line.
 * Config comes from the json_script element "import-progress-config":
 *   {url, interval_ms, labels: {status: label}}.
 * When the job is done or failed the page reloads, so the server renders the result or every bad
 * row (window.salesPerf.pollJob in app.js does the polling and shows the status label). */
(function () {
  "use strict";
  var progress = document.getElementById("import-progress");

  function show(status) {
    if (progress) {
      progress.textContent = status.progress || "";
    }
  }

  if (window.salesPerf) {
    window.salesPerf.pollJob("import-progress-config", "import-status-label", show, function (status) {
      return status.finished;
    });
  }
})();
