/* The close job page: poll the job's JSON status and move the progress bar.
 * Config comes from the json_script element "close-progress-config":
 *   {url, interval_ms, labels: {status: label}, steps: "%(done)s of %(total)s steps"}.
 * When the job is done or failed the page reloads, so the server renders the summary
 * (the same page a visitor without JavaScript gets through the meta refresh). */
(function () {
  "use strict";
  var configElement = document.getElementById("close-progress-config");
  if (!configElement) {
    return;
  }
  var config = JSON.parse(configElement.textContent);
  var container = document.getElementById("close-progress");
  var bar = container && container.querySelector(".progress-bar");
  var label = document.getElementById("close-status-label");
  var steps = document.getElementById("close-steps");
  var interval = config.interval_ms || 1000;
  var failures = 0;

  function show(status) {
    var percent = Math.max(0, Math.min(100, Number(status.percent) || 0));
    if (container && bar) {
      container.setAttribute("aria-valuenow", String(percent));
      bar.style.width = percent + "%";
      bar.textContent = percent + "%";
    }
    if (label) {
      label.textContent = (config.labels && config.labels[status.status]) || status.status;
    }
    if (steps && status.steps_total) {
      steps.textContent = config.steps
        .replace("%(done)s", String(status.steps_done))
        .replace("%(total)s", String(status.steps_total));
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
        if (status.status === "done" || status.status === "failed") {
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
