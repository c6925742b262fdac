// Tenure admin dashboard script. It draws the overview and analytics charts with uPlot and adds small
// conveniences to forms. Pages work without it, except the charts, whose numbers are
// also listed in a table under each one.
(function () {
  "use strict";

  // Every chart drawn, for tests and for the console: window.tenureCharts[i] is a uPlot.
  var charts = (window.tenureCharts = []);

  function compact(v) {
    var a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + "M";
    if (a >= 1e4) return (v / 1e3).toFixed(0) + "k";
    if (a >= 1e3) return (v / 1e3).toFixed(1) + "k";
    return String(Math.round(v * 100) / 100);
  }

  function chartWidth(host) {
    return Math.max(280, Math.floor(host.getBoundingClientRect().width));
  }

  function draw(spec) {
    var host = document.getElementById(spec.id);
    if (!host) return;
    var percent = spec.unit === "percent"; // values in basis points
    var money = !percent && spec.unit !== "points" && spec.unit !== "members";
    var bars = spec.kind === "bars";
    var cat = !!spec.category; // named bars on an index axis instead of dates
    var data = [spec.x];
    var series = [{
      label: spec.axis || (cat ? "" : bars ? "Month" : "Week of"),
      value: function (u, v, si, i) { return i == null ? "—" : spec.labels[i]; }
    }];
    spec.series.forEach(function (s) {
      data.push(s.values.map(function (v) { return money || percent ? v / 100 : v; }));
      series.push({
        label: s.label + (money ? " (" + spec.unit + ")" : percent ? " (%)" : ""),
        stroke: s.color,
        width: bars ? 1 : 2,
        fill: bars ? s.color : s.color + "1a",
        paths: bars ? uPlot.paths.bars({ size: [0.7, 48] }) : undefined,
        points: { show: !bars && spec.x.length < 20 },
        value: function (u, v) { return v == null ? "—" : v.toLocaleString(); }
      });
    });
    var pad = cat ? 0.5 : bars ? 15 * 86400 : 0;
    var xAxis = { stroke: "#4b5563", grid: { stroke: "#e5e7eb" } };
    if (cat) {
      xAxis.grid = { show: false };
      xAxis.splits = function () { return spec.x; };
      xAxis.values = function (u, splits) { return splits.map(function (i) { return spec.labels[i] || ""; }); };
      xAxis.rotate = spec.labels.some(function (l) { return l.length > 10; }) ? -30 : 0;
      xAxis.size = xAxis.rotate ? 70 : 40;
    }
    var u = new uPlot({
      width: chartWidth(host),
      height: 260,
      series: series,
      scales: {
        x: { time: !cat, range: function (u, min, max) { return [min - pad, max + pad]; } },
        y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } }
      },
      axes: [
        xAxis,
        { stroke: "#4b5563", grid: { stroke: "#e5e7eb" }, size: 56,
          values: function (u, vals) { return vals.map(compact); } }
      ],
      cursor: { drag: { x: false, y: false } }
    }, data, host);
    u.tenureID = spec.id;
    charts.push(u);
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        var w = chartWidth(host);
        if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height: 260 });
      }).observe(host);
    }
  }

  function drawCharts() {
    var el = document.getElementById("chart-data");
    if (!el || typeof uPlot === "undefined") return;
    JSON.parse(el.textContent).forEach(draw);
  }

  // An error link next to the rules editor puts the cursor on the field it names.
  function jumpToError(e) {
    var a = e.target.closest("a[data-offset]");
    if (!a) return;
    var box = document.getElementById(a.getAttribute("data-target"));
    if (!box) return;
    e.preventDefault();
    var off = parseInt(a.getAttribute("data-offset"), 10) || 0;
    box.focus();
    box.setSelectionRange(off, off);
    var line = box.value.slice(0, off).split("\n").length;
    var lh = parseFloat(getComputedStyle(box).lineHeight) || 20;
    box.scrollTop = Math.max(0, (line - 3) * lh);
  }

  // Forms that do something hard to undo ask first.
  function confirmSubmit(e) {
    var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  }

  // A table wider than its card scrolls sideways inside it; that region must be reachable
  // with the keyboard (Tab, then the arrow keys), and named for screen readers. Tables that
  // fit get no extra tab stop.
  function markScrollable() {
    document.querySelectorAll(".table-wrap").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1) {
        if (!el.hasAttribute("tabindex")) {
          el.tabIndex = 0;
          el.setAttribute("role", "region");
          var label = el.querySelector("caption") || (el.closest("section") || document).querySelector("h2, h3");
          el.setAttribute("aria-label", (label ? label.textContent.trim() + ": " : "") + "table, scrolls sideways");
        }
      } else if (el.getAttribute("role") === "region") {
        el.removeAttribute("tabindex");
        el.removeAttribute("role");
        el.removeAttribute("aria-label");
      }
    });
  }

  document.addEventListener("click", jumpToError);
  document.addEventListener("submit", confirmSubmit);
  function ready() {
    drawCharts();
    markScrollable();
    window.addEventListener("resize", markScrollable);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
