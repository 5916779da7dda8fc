// The dashboard's monthly chart, drawn by Plotly (served by Tahator itself).
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("chart");
    var source = document.getElementById("chart-data");
    if (!holder || !source || !window.Plotly) { return; }
    var data = JSON.parse(source.textContent);
    var series = data.series || [];
    if (!series.length) { return; }
    var months = series.map(function (r) { return r.month; });
    function column(name) {
      return series.map(function (r) { return r[name] === null ? null : Number(r[name]) / 1e6; });
    }
    var parts = [
      ["official_trade", "Official trade", "#1f4e79"],
      ["barter", "Barter", "#2e8b57"],
      ["set_off", "Set-off", "#c77c02"],
      ["border_sales", "Border markets", "#7a4a9e"]
    ];
    var traces = parts.map(function (p) {
      return { type: "bar", name: p[1], x: months, y: column(p[0]), marker: { color: p[2] } };
    });
    traces.push({ type: "scatter", mode: "lines", name: "Run rate ÷ 12", x: months,
      y: column("run_rate").map(function (v) { return v === null ? null : v / 12; }),
      line: { color: "#222", width: 2 } });
    var path = data.target_path || [];
    traces.push({ type: "scatter", mode: "lines", name: "Target path ÷ 12",
      x: path.map(function (r) { return r.month; }),
      y: path.map(function (r) { return Number(r.target_run_rate) / 1e6 / 12; }),
      line: { color: "#b22222", width: 2, dash: "dash" } });
    var layout = {
      barmode: "stack", margin: { t: 10, r: 10, b: 40, l: 60 }, height: 340,
      legend: { orientation: "h", y: -0.2 },
      yaxis: { title: { text: "million " + data.unit + " a month" }, tickformat: ",.0f" },
      font: { family: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size: 12 },
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
