/* Plannen Inhaalzorg: the burn-down chart of a plan. No inline scripts (CSP): the page renders the
   data with {{ chart|json_script:"<id>" }} and a <canvas data-burndown="<id>">; this file draws it
   with the vendored Chart.js. Without JavaScript the same figures are in the table below it. */
(function () {
  "use strict";

  function drawBurnDown(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-burndown"));
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    canvas.setAttribute("data-initialised", "");
    var data = JSON.parse(source.textContent);
    var datasets = data.series.map(function (series) {
      return {
        label: series.label,
        data: series.data,
        borderColor: series.colour,
        backgroundColor: series.colour,
        borderDash: series.dash,
        pointStyle: series.key === "actual" ? "circle" : series.key === "planned" ? "rect" : "triangle",
        pointRadius: series.key === "projected" ? 2 : 3,
        spanGaps: false,
        tension: 0,
        fill: false
      };
    });
    new window.Chart(canvas, {
      type: "line",
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true,
        aspectRatio: 3,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom", labels: { usePointStyle: true } } },
        scales: {
          x: { title: { display: true, text: data.x_title } },
          y: { beginAtZero: true, title: { display: true, text: data.y_title } }
        }
      }
    });
  }

  function init(root) {
    root.querySelectorAll("canvas[data-burndown]:not([data-initialised])").forEach(drawBurnDown);
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
  });
  document.addEventListener("htmx:load", function (event) {
    if (event.target && event.target.querySelectorAll) {
      init(event.target);
    }
  });
})();
