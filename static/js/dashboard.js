/* Dashboard charts: the trend of the period and the map of the areas below, coloured by the
   chosen figure. Every number is also on the page as text (figures, league table, and the
   trend table below the chart) for screen readers and print, so the charts come last: ECharts
   (only the parts used, static/vendor/echarts/echarts.custom.min.js) and the charts' data are
   fetched when the charts come near the screen, and a phone that never scrolls there never
   downloads them. */
(function () {
  "use strict";
  var root = document.getElementById("dash-charts");
  var library = document.currentScript && document.currentScript.dataset.echarts;
  if (!root) return;
  var zh = (root.dataset.lang || "").indexOf("zh") === 0;
  var locale = zh ? "ZH" : "EN";
  // Okabe–Ito and viridis: told apart with the common colour-vision deficiencies.
  var SERIES = ["#0072B2", "#E69F00"];
  var SCALE = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"];

  function trend(data) {
    var el = document.getElementById("dash-trend");
    var chart = echarts.init(el, null, { locale: locale, renderer: "svg" });
    chart.setOption({
      color: SERIES,
      // Drawn by the chart itself: an HTML tooltip carries inline styles the CSP blocks.
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0 },
      grid: { left: 48, right: 48, top: 36, bottom: 32 },
      xAxis: { type: "category", data: data.trend.labels },
      yAxis: [
        { type: "value", name: root.dataset.labelReceived, minInterval: 1 },
        { type: "value", name: "%", max: 100, min: 0 }
      ],
      series: [
        { name: root.dataset.labelReceived, type: "bar", data: data.trend.received },
        {
          name: root.dataset.labelRate, type: "line", yAxisIndex: 1,
          data: data.trend.completion_rate, connectNulls: false
        }
      ]
    });
    var body = document.querySelector("#dash-trend-table tbody");
    if (body) {
      data.trend.labels.forEach(function (label, i) {
        var row = body.insertRow();
        [label, data.trend.received[i], data.trend.completion_rate[i] === null ? "—" :
          data.trend.completion_rate[i] + "%"].forEach(function (text) {
          row.insertCell().textContent = text;
        });
      });
    }
    return chart;
  }

  function map(data) {
    var el = document.getElementById("dash-map");
    if (!data.map.features.length) { el.hidden = true; return null; }
    echarts.registerMap("areas", data.map);
    var values = data.values.map(function (v) { return v.value === null ? 0 : v.value; });
    var chart = echarts.init(el, null, { locale: locale, renderer: "svg" });
    chart.setOption({
      tooltip: {
        trigger: "item",
        renderMode: "richText",
        formatter: function (p) { return p.name + ": " + (p.value === undefined || isNaN(p.value) ? "—" : p.value); }
      },
      visualMap: {
        min: Math.min.apply(null, values), max: Math.max.apply(null, values.concat([1])),
        inRange: { color: SCALE.slice().reverse() }, calculable: true, left: 0, bottom: 0,
        text: ["+", "−"]
      },
      series: [{
        type: "map", map: "areas", roam: false, aspectScale: 1,
        label: { show: true, fontSize: 12, color: "#000", textBorderColor: "#fff", textBorderWidth: 3 },
        // On a phone the grids' names run into each other: those that would overlap stay
        // hidden (the tooltip and the table still name every area).
        labelLayout: { hideOverlap: true },
        data: data.values.map(function (v) { return { name: v.name, value: v.value, code: v.code }; })
      }]
    });
    if (data.drillable) {
      chart.on("click", function (p) {
        if (p.data && p.data.code) {
          window.location.href = root.dataset.drill.replace("__code__", p.data.code) + window.location.search;
        }
      });
    }
    return chart;
  }

  function draw() {
    fetch(root.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        var charts = [trend(data), map(data)].filter(Boolean);
        window.addEventListener("resize", function () {
          charts.forEach(function (c) {
            // A window with no room (1×1 for a moment while a page is captured whole) leaves a
            // chart no box, and a map cannot be laid out in none: ECharts throws. Keep the last
            // size until there is room again.
            var box = c.getDom();
            if (box.clientWidth && box.clientHeight) c.resize();
          });
        });
        root.dataset.ready = "1";
      })
      .catch(function () { root.hidden = true; });
  }

  var started = false;
  function start() {
    if (started) return;
    started = true;
    if (window.echarts) { draw(); return; }
    var script = document.createElement("script");
    script.src = library;
    script.onload = draw;
    script.onerror = function () { root.hidden = true; };
    document.head.appendChild(script);
  }

  if (!("IntersectionObserver" in window)) { start(); return; }
  // Half a screen ahead, so the charts are usually drawn by the time they are scrolled to.
  var watcher = new IntersectionObserver(function (entries) {
    if (entries.some(function (e) { return e.isIntersecting; })) {
      watcher.disconnect();
      start();
    }
  }, { rootMargin: "400px 0px" });
  watcher.observe(root);
  // Printing shows the charts too.
  window.addEventListener("beforeprint", start);
})();
