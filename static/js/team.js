// The team page's band bar chart. Data comes from json_script; colours from app.css's .band-X
// classes, so the chart and the badges never disagree. The counts are also on the page as text.
window.salesPerf.drawChart("band-chart-data", "band-chart", function (data) {
  "use strict";

  function bandColour(letter) {
    var probe = document.createElement("span");
    probe.className = "band band-" + letter;
    probe.style.display = "none";
    document.body.appendChild(probe);
    var colour = window.getComputedStyle(probe).backgroundColor;
    probe.remove();
    return colour;
  }

  return {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [{ label: data.label, data: data.counts, backgroundColor: data.labels.map(bandColour) }]
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
    }
  };
});
