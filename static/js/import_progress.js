/* The import job page: poll the job's JSON status and show its progress line.
 * Config comes from the json_script element "import-progress-config":
 *   {url, interval_ms, labels: {status: label}}.
 * When the job is done or failed the page reloads, so the server renders the result or every bad
 * row (the same page a visitor without JavaScript gets through the meta refresh). */
(function () {
  "use strict";
  var configElement = document.getElementById("import-progress-config");
  if (!configElement) {
    return;
  }
  var config = JSON.parse(configElement.textContent);
  var label = document.getElementById("import-status-label");
  var progress = document.getElementById("import-progress");
  var interval = config.interval_ms || 1000;
  var failures = 0;

  function show(status) {
    if (label) {
      label.textContent = (config.labels && config.labels[status.status]) || status.status;
    }
    if (progress) {
      progress.textContent = status.progress || "";
    }
  }

  function poll() {
    fetch(config.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (status) {
        failures = 0;
        show(status);
        if (status.finished) {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, interval);
      })
      .catch(function () {
        // A hiccup (deploy, network): keep trying, more slowly, up to every 30 seconds.
        failures += 1;
        window.setTimeout(poll, Math.min(30000, interval * Math.pow(2, failures)));
      });
  }

  window.setTimeout(poll, interval);
})();
