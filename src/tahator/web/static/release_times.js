// The release-times chart, drawn by Plotly (served by Tahator itself): per crossing and
// lane, the mean hours of each phase stacked (means add up; medians would not), the
// median and 90th percentile from arrival to release as markers, the lane's target as
// a red tick.
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("release-chart");
    var source = document.getElementById("release-chart-data");
    if (!holder || !source || !window.Plotly) { return; }
    var data = JSON.parse(source.textContent);
    var groups = data.groups || [];
    if (!groups.length) { return; }
    var words = data.words || {};
    var rtl = document.documentElement.dir === "rtl";
    var labels = groups.map(function (g) { return g.label; });
    var colours = ["#1f4e79", "#c77c02", "#7a4a9e", "#2e8b57"];
    var traces = (data.phases || []).map(function (name, i) {
      return { type: "bar", name: words[name] || name, x: labels,
        y: groups.map(function (g) { return g.phases[name]; }),
        marker: { color: colours[i % colours.length] } };
    });
    traces.push({ type: "scatter", mode: "markers", name: words.median, x: labels,
      y: groups.map(function (g) { return g.median; }),
      marker: { symbol: "diamond", size: 9, color: "#111" } });
    traces.push({ type: "scatter", mode: "markers", name: words.p90, x: labels,
      y: groups.map(function (g) { return g.p90; }),
      marker: { symbol: "triangle-up", size: 9, color: "#555" } });
    if (groups.some(function (g) { return g.target !== null; })) {
      traces.push({ type: "scatter", mode: "markers", name: words.target, x: labels,
        y: groups.map(function (g) { return g.target; }),
        marker: { symbol: "line-ew-open", size: 22, color: "#b22222",
          line: { width: 3, color: "#b22222" } } });
    }
    var layout = {
      barmode: "stack", height: 380,
      margin: { t: 10, r: rtl ? 60 : 10, b: 110, l: rtl ? 10 : 60 },
      legend: { orientation: "h", y: -0.45, x: rtl ? 1 : 0, xanchor: rtl ? "right" : "left" },
      // Right to left, the first group stands at the right, as the table's first row.
      xaxis: { type: "category", autorange: rtl ? "reversed" : true, tickangle: -30 },
      yaxis: { title: { text: words.axis }, side: rtl ? "right" : "left", rangemode: "tozero" },
      font: { family: window.getComputedStyle(document.documentElement).fontFamily, size: 12 },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)"
    };
    holder.classList.add("drawn");
    window.Plotly.newPlot(holder, traces, layout, { displaylogo: false, responsive: true });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
