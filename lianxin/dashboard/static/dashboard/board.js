// The staff dashboard's charts: ECharts (vendored), fed by the JSON the page embeds (#board-data).
// Every chart's numbers are also in a table next to it; once a chart is drawn its table folds away.
(function () {
  "use strict";
  var source = document.getElementById("board-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var L = data.labels;
  var RED = "#b71c1c", GOLD = "#c9a227", SLATE = "#455a64", GREEN = "#2e7d32", BLUE = "#1565c0";
  var TIER_COLOURS = { none: "#9e9e9e", standard: BLUE, exemplary: RED, star: GOLD };
  var charts = {};
  var mapMode = "tier";
  window.lxBoardCharts = charts;

  function draw(name, option) {
    var el = document.querySelector('[data-chart="' + name + '"]');
    if (!el) { return null; }
    el.hidden = false;
    var chart = window.echarts.init(el);
    chart.setOption(option);
    charts[name] = chart;
    var numbers = el.nextElementSibling;
    if (numbers && numbers.tagName === "DETAILS") { numbers.open = false; }
    return chart;
  }

  function pick(rows, key) { return rows.map(function (row) { return row[key]; }); }

  // ---- trends by month ----
  if (data.trends.length) {
    draw("trends", {
      color: [RED, GOLD, SLATE, GREEN, BLUE],
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 48, top: 40, bottom: 32 },
      xAxis: { type: "category", data: pick(data.trends, "month").map(function (m) { return String(m).slice(0, 7); }) },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
      series: [
        { name: L.activities, type: "line", smooth: true, data: pick(data.trends, "activities") },
        { name: L.receptions, type: "line", smooth: true, data: pick(data.trends, "reception_held") },
        { name: L.opinions, type: "line", smooth: true, data: pick(data.trends, "opinions") },
        { name: L.resolved, type: "line", smooth: true, data: pick(data.trends, "resolved") },
        { name: L.satisfaction, type: "line", yAxisIndex: 1, lineStyle: { type: "dashed" }, data: pick(data.trends, "satisfaction") }
      ]
    });
  }

  // ---- district comparison ----
  if (data.districts.length) {
    draw("districts", {
      color: [RED, GOLD, SLATE],
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 48, top: 40, bottom: 56 },
      xAxis: { type: "category", data: pick(data.districts, "name"), axisLabel: { interval: 0, rotate: data.districts.length > 6 ? 30 : 0 } },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100 }],
      series: [
        { name: L.activities, type: "bar", data: pick(data.districts, "activities") },
        { name: L.opinions, type: "bar", data: pick(data.districts, "opinions") },
        { name: L.mean_index, type: "line", yAxisIndex: 1, data: pick(data.districts, "mean_index") }
      ]
    });
  }

  // ---- categories of opinions ----
  if (data.categories.length) {
    var cats = data.categories.slice(0, 15).reverse();
    draw("categories", {
      color: [RED],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 32, top: 8, bottom: 24, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: cats.map(function (c) { return c[0]; }) },
      series: [{ name: L.opinions_count, type: "bar", data: cats.map(function (c) { return c[1]; }), label: { show: true, position: "right" } }]
    });
  }

  // ---- map of the sites: longitude/latitude value axes, no tiles ----
  function point(site) {
    return { name: site.name, value: [site.lng, site.lat, site.index === null ? -1 : site.index], url: site.url,
             tier: site.tier_label, index: site.index };
  }
  // Axis ranges with the container's aspect ratio, a degree of longitude shrunk by cos(latitude): the
  // sites keep their true layout instead of being stretched to fill the box.
  function mapExtent(el) {
    var lngs = data.map.map(function (s) { return s.lng; }), lats = data.map.map(function (s) { return s.lat; });
    var x0 = Math.min.apply(null, lngs), x1 = Math.max.apply(null, lngs);
    var y0 = Math.min.apply(null, lats), y1 = Math.max.apply(null, lats);
    var cos = Math.cos(((y0 + y1) / 2) * Math.PI / 180) || 1;
    var w = Math.max((x1 - x0) * cos, 0.01) * 1.1, h = Math.max(y1 - y0, 0.01) * 1.1;
    var ratio = Math.max(el.clientWidth - 136, 100) / Math.max(el.clientHeight - 80, 100);
    if (w / h < ratio) { w = h * ratio; } else { h = w / ratio; }
    var cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, half = w / cos / 2;
    function round(v) { return Math.round(v * 1000) / 1000; }
    return { x: [round(cx - half), round(cx + half)], y: [round(cy - h / 2), round(cy + h / 2)] };
  }
  // District outlines: the convex hull of each district's sites (monotone chain), drawn as dashed lines.
  function hull(points) {
    var pts = points.slice().sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    if (pts.length < 3) { return []; }
    function cross(o, a, b) { return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]); }
    var lower = [], upper = [], i;
    for (i = 0; i < pts.length; i++) {
      while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], pts[i]) <= 0) { lower.pop(); }
      lower.push(pts[i]);
    }
    for (i = pts.length - 1; i >= 0; i--) {
      while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], pts[i]) <= 0) { upper.pop(); }
      upper.push(pts[i]);
    }
    var ring = lower.slice(0, -1).concat(upper.slice(0, -1));
    return ring.length >= 3 ? ring.concat([ring[0]]) : [];
  }
  function outlines() {
    var groups = {};
    data.map.forEach(function (s) {
      if (s.district) { (groups[s.district] = groups[s.district] || []).push([s.lng, s.lat]); }
    });
    return Object.keys(groups).map(function (name) {
      return { name: L.outline, type: "line", data: hull(groups[name]), silent: true, symbol: "none", z: 1,
               lineStyle: { type: "dashed", width: 1, color: "#b0a58a" }, tooltip: { show: false } };
    }).filter(function (series) { return series.data.length; });
  }
  function mapOption(mode) {
    var extent = mapExtent(document.querySelector('[data-chart="map"]'));
    var base = {
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var d = p.data;
          return d.name + "<br>" + (d.tier || "") + "<br>" + L.index + ": " + (d.index === null ? L.no_index : d.index.toFixed(1));
        }
      },
      grid: { left: 56, right: 80, top: 40, bottom: 40 },
      xAxis: { type: "value", min: extent.x[0], max: extent.x[1], name: L.longitude, splitLine: { show: false }, axisLabel: { showMinLabel: false, showMaxLabel: false } },
      yAxis: { type: "value", min: extent.y[0], max: extent.y[1], name: L.latitude, splitLine: { show: false }, axisLabel: { showMinLabel: false, showMaxLabel: false } },
      legend: { top: 0 }
    };
    if (mode === "index") {
      base.visualMap = { type: "continuous", min: 0, max: 100, dimension: 2, calculable: true, right: 0, top: "middle",
                         inRange: { color: ["#fbe9e7", GOLD, RED] }, outOfRange: { color: "#bdbdbd" }, text: ["100", "0"] };
      var scored = data.map.filter(function (s) { return s.index !== null; });
      var unscored = data.map.filter(function (s) { return s.index === null; });
      base.series = [
        { name: L.index, type: "scatter", symbolSize: 9, data: scored.map(point) },
        { name: L.no_index, type: "scatter", symbolSize: 6, itemStyle: { color: "#9e9e9e" }, data: unscored.map(point) }
      ].concat(outlines());
      base.visualMap.seriesIndex = 0;
      base.legend.data = [L.no_index];
    } else {
      var tiers = Object.keys(L.tiers);
      base.series = tiers.map(function (tier) {
        return { name: L.tiers[tier], type: "scatter", symbolSize: tier === "none" ? 6 : 10, itemStyle: { color: TIER_COLOURS[tier] },
                 data: data.map.filter(function (s) { return s.tier === tier; }).map(point) };
      }).filter(function (series) { return series.data.length; });
      base.legend.data = base.series.map(function (series) { return series.name; });
      base.series = base.series.concat(outlines());
    }
    return base;
  }
  if (data.map.length) {
    document.querySelector('[data-chart="map"]').hidden = false;
    var map = draw("map", mapOption("tier"));
    map.on("click", function (p) { if (p.data && p.data.url) { window.location.href = p.data.url; } });
    document.querySelectorAll("[data-map-colour]").forEach(function (button) {
      button.addEventListener("click", function () {
        var mode = button.getAttribute("data-map-colour");
        mapMode = mode;
        map.setOption(mapOption(mode), { notMerge: true });
        document.querySelectorAll("[data-map-colour]").forEach(function (b) {
          var on = b === button;
          b.classList.toggle("active", on);
          b.setAttribute("aria-pressed", on ? "true" : "false");
        });
      });
    });
  }

  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (name) { charts[name].resize(); });
    if (charts.map) { charts.map.setOption(mapOption(mapMode), { notMerge: true }); }
  });
})();
