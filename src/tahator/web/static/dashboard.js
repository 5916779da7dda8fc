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
    // The words come translated from the page (data-labels on the chart's holder, a
    // JSON object); English where the page gives none.
    var words = {
      official_trade: "Official trade", barter: "Barter", set_off: "Set-off",
      border_sales: "Border markets", run_rate: "Run rate ÷ 12", target: "Target path ÷ 12",
      axis: "million %(unit)s a month"
    };
    try {
      var given = JSON.parse(holder.dataset.labels || "{}");
      Object.keys(given).forEach(function (k) { words[k] = given[k]; });
    } catch (ignored) { /* keep the English */ }
    var rtl = document.documentElement.dir === "rtl";
    var months = series.map(function (r) { return r.month; });
    function column(name) {
      return series.map(function (r) { return r[name] === null ? null : Number(r[name]) / 1e6; });
    }
    var parts = [
      ["official_trade", words.official_trade, "#1f4e79"],
      ["barter", words.barter, "#2e8b57"],
      ["set_off", words.set_off, "#c77c02"],
      ["border_sales", words.border_sales, "#7a4a9e"]
    ];
    var traces = parts.map(function (p) {
      return { type: "bar", name: p[1], x: months, y: column(p[0]), marker: { color: p[2] } };
    });
    traces.push({ type: "scatter", mode: "lines", name: words.run_rate, x: months,
      y: column("run_rate").map(function (v) { return v === null ? null : v / 12; }),
      line: { color: "#222", width: 2 } });
    var path = data.target_path || [];
    traces.push({ type: "scatter", mode: "lines", name: words.target,
      x: path.map(function (r) { return r.month; }),
      y: path.map(function (r) { return Number(r.target_run_rate) / 1e6 / 12; }),
      line: { color: "#b22222", width: 2, dash: "dash" } });
    var layout = {
      barmode: "stack", margin: { t: 10, r: rtl ? 60 : 10, b: 40, l: rtl ? 10 : 60 }, height: 340,
      legend: { orientation: "h", y: -0.2, x: rtl ? 1 : 0, xanchor: rtl ? "right" : "left" },
      yaxis: { title: { text: words.axis.replace("%(unit)s", data.unit) }, tickformat: ",.0f",
               side: rtl ? "right" : "left" },
      // The page's own font: Vazirmatn or Noto Naskh Arabic for Persian and Urdu.
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
