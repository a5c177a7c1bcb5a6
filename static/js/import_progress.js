/* The import job page: poll the job's JSON status and show its progress line.
 * Config comes from the json_script element "import-progress-config":
 *   {url, interval_ms, labels: {status: label}}.
 * When the job is done or failed the page reloads, so the server renders the result or every bad
 * row (window.salesPerf.pollJob in app.js does the polling). */
(function () {
  "use strict";
  var configElement = document.getElementById("import-progress-config");
  if (!configElement || !window.salesPerf) {
    return;
  }
  var config = JSON.parse(configElement.textContent);
  var label = document.getElementById("import-status-label");
  var progress = document.getElementById("import-progress");

  function show(status) {
    if (label) {
      label.textContent = (config.labels && config.labels[status.status]) || status.status;
    }
    if (progress) {
      progress.textContent = status.progress || "";
    }
  }

  window.salesPerf.pollJob(config, show, function (status) {
    return status.finished;
  });
})();
