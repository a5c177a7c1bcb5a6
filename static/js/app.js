/* Behaviour every page shares, kept out of the templates so that a Content-Security-Policy without
 * 'unsafe-inline' can forbid inline scripts, handlers and style attributes:
 * - a <select> or checkbox with data-submit-on-change submits its form when it changes;
 * - a button with data-print opens the browser's print dialog;
 * - a progress bar with data-percent gets its exact width (the server's class rounds it to 5 %);
 * - window.salesPerf.drawChart(dataId, canvasId, config) draws a page's chart: config(data) gets the
 *   json_script data and returns the Chart.js configuration; nothing happens when the data, the canvas
 *   or Chart.js is missing. The page's chart script loads after this file;
 * - window.salesPerf.pollJob(configId, labelId, show, isFinished) polls a job page's JSON status:
 *   the config is the json_script element configId ({url, interval_ms, labels: {status: label}, ...};
 *   nothing happens without it). Every config.interval_ms (1 s by default) it fetches config.url, shows
 *   the status's label in the element labelId, hands the status to show(status, config), and reloads
 *   the page once isFinished(status) is true, so the server renders the outcome (the same page a
 *   visitor without JavaScript gets through the meta refresh). On a hiccup it keeps trying, more slowly. */
(function () {
  "use strict";
  document.querySelectorAll("[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
  document.querySelectorAll(".progress-bar[data-percent]").forEach(function (bar) {
    var percent = Math.max(0, Math.min(100, Number(bar.getAttribute("data-percent")) || 0));
    bar.style.width = percent + "%";
  });
  window.salesPerf = {
    drawChart: function (dataId, canvasId, config) {
      var source = document.getElementById(dataId);
      var canvas = document.getElementById(canvasId);
      if (!source || !canvas || typeof Chart === "undefined") {
        return;
      }
      new Chart(canvas, config(JSON.parse(source.textContent)));
    },
    pollJob: function (configId, labelId, show, isFinished) {
      var configElement = document.getElementById(configId);
      if (!configElement) {
        return;
      }
      var config = JSON.parse(configElement.textContent);
      var label = document.getElementById(labelId);
      var interval = config.interval_ms || 1000;
      var failures = 0;

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
            if (label) {
              label.textContent = (config.labels && config.labels[status.status]) || status.status;
            }
            show(status, config);
            if (isFinished(status)) {
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
    }
  };
})();
