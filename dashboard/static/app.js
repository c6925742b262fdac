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

  // Money typed in a form is echoed in the store's format as it is typed ("= 1 500,00 zł"),
  // so that an amount typed in hundredths shows at once. The form carries the currency's
  // conventions in data-money-* attributes; the server reads the amount the same way.
  function moneyStyle(form) {
    var d = form.dataset;
    return { symbol: d.moneySymbol, before: d.moneyBefore === "true", group: d.moneyGroup, decimal: d.moneyDecimal, digits: +d.moneyDigits };
  }
  function parseMoney(text, st) {
    var t = text.replace(st.symbol, "").replace(/[\s\u00a0\u202f'’]/g, "");
    if (!/^[0-9.,]+$/.test(t)) return null;
    var comma = t.lastIndexOf(","), point = t.lastIndexOf("."), dec = "";
    if (comma >= 0 && point >= 0) dec = comma > point ? "," : ".";
    else if (comma >= 0 || point >= 0) {
      var mark = comma >= 0 ? "," : ".", at = Math.max(comma, point);
      if (t.split(mark).length > 2) dec = "";
      else if (t.length - at - 1 === 3 && mark !== st.decimal) dec = "";
      else dec = mark;
    }
    var whole = t, frac = "";
    if (dec) { whole = t.slice(0, t.lastIndexOf(dec)); frac = t.slice(t.lastIndexOf(dec) + 1); }
    whole = whole.replace(/[.,]/g, "") || "0";
    if (frac.length > st.digits) return null;
    while (frac.length < st.digits) frac += "0";
    return Number(whole) * Math.pow(10, st.digits) + Number(frac || 0);
  }
  function formatMoney(minor, st) {
    var unit = Math.pow(10, st.digits), whole = String(Math.floor(minor / unit)), out = "";
    for (var i = 0; i < whole.length; i++) {
      if (i > 0 && (whole.length - i) % 3 === 0) out += st.group;
      out += whole[i];
    }
    if (st.digits > 0) out += st.decimal + String(minor % unit).padStart(st.digits, "0");
    return st.before ? st.symbol + out : out + "\u00a0" + st.symbol;
  }
  function rewardForm(form) {
    var st = moneyStyle(form);
    var type = form.querySelector("[name=type]");
    function update() {
      form.querySelectorAll("[data-money]").forEach(function (input) {
        var echo = input.parentNode.querySelector(".money-echo");
        if (!echo) return;
        var v = input.value.trim(), minor = v ? parseMoney(v, st) : null;
        echo.textContent = v ? (minor == null ? " Not an amount yet." : " = " + formatMoney(minor, st)) : "";
      });
      // Fields that do not apply to the chosen type are hidden.
      form.querySelectorAll("[data-for-types]").forEach(function (el) {
        el.hidden = el.getAttribute("data-for-types").split(" ").indexOf(type.value) < 0;
      });
      var preview = document.getElementById("reward-preview-offer");
      if (!preview) return;
      var val = parseMoney(form.querySelector("[name=value]").value || "0", st) || 0;
      var min = parseMoney(form.querySelector("[name=min_order]").value || "0", st) || 0;
      var cost = form.querySelector("[name=cost]").value.trim() || "0";
      var pct = form.querySelector("[name=percent]").value.trim();
      var offer = {
        percent_discount: pct + "% off your order",
        fixed_discount: formatMoney(val, st) + " off your order",
        store_credit: formatMoney(val, st) + " store credit",
        points_discount: formatMoney(val, st) + " off for every " + cost + " points",
        free_shipping: "Free shipping",
        free_product: "A free product"
      }[type.value] || "A reward";
      preview.textContent = offer + (min ? " on orders from " + formatMoney(min, st) : "") + " · " + cost + " points";
      var name = form.querySelector("[name=name]").value.trim();
      document.getElementById("reward-preview-name").textContent = name || "Your reward";
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  }

  // The campaign form prices its example order as it is typed: the same POST as the
  // Preview button, whose answer's preview replaces this one. Nothing is saved.
  function campaignPreview(form) {
    var box = document.getElementById("campaign-preview"), timer = null, seq = 0;
    function refresh() {
      var mine = ++seq;
      fetch("/admin/campaigns/preview", { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (res) { return res.text(); })
        .then(function (html) {
          if (mine !== seq) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("campaign-preview");
          if (fresh) box.innerHTML = fresh.innerHTML;
        })
        .catch(function () { /* the button still works */ });
    }
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 400); });
    form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(refresh, 150); });
  }

  document.addEventListener("click", jumpToError);
  document.addEventListener("submit", confirmSubmit);
  function ready() {
    var rf = document.getElementById("reward-form");
    if (rf) rewardForm(rf);
    var cf = document.getElementById("campaign-form");
    if (cf && document.getElementById("campaign-preview")) campaignPreview(cf);
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
