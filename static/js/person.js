/* The person pages' 12-month trend: completion % and composite as two lines.
   Data comes from the page via json_script (#trend-data); the same figures are in a table
   beside the chart, so the canvas is decoration for sighted users only. */
window.salesPerf.drawChart("trend-data", "trend-chart", function (data) {
  "use strict";
  var colours = { completion: "#0d6efd", composite: "#6f42c1" };
  var lang = document.documentElement.lang || undefined;
  var format = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 2 });
  return {
    type: "line",
    data: {
      labels: data.labels,
      datasets: data.series.map(function (series) {
        return {
          label: series.label,
          data: series.data,
          borderColor: colours[series.key],
          backgroundColor: colours[series.key],
          borderDash: series.key === "composite" ? [6, 4] : [],
          pointStyle: series.key === "composite" ? "rectRot" : "circle",
          spanGaps: false,
          tension: 0.2
        };
      })
    },
    options: {
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: { y: { suggestedMin: 60, suggestedMax: 120 } },
      plugins: {
        legend: { position: "bottom" },
        tooltip: {
          callbacks: {
            label: function (context) {
              var value = context.parsed.y;
              return context.dataset.label + ": " + (value === null ? "—" : format.format(value));
            }
          }
        }
      }
    }
  };
});
