/* The command-centre screen: polls the area's figures every data-interval seconds and
   updates them in place (no reload, so a wall left on all day keeps its place), colours the
   map of the areas below by the chosen figure, and keeps the theme and the figure chosen on
   this browser. Strings come from the page (data-* and the wall-labels JSON). */
(function () {
  "use strict";
  var root = document.getElementById("wall");
  if (!root) return;
  var html = document.documentElement;
  var THEME = "gg-wall-theme";
  var FIGURE = "gg-wall-figure";
  var labels = JSON.parse(document.getElementById("wall-labels").textContent);
  var rates = (root.dataset.rates || "").split(",");
  var every = Math.max(1, parseInt(root.dataset.interval, 10) || 30) * 1000;
  var select = document.getElementById("wall-figure");
  var themeButton = document.getElementById("wall-theme");
  var mapBox = document.getElementById("wall-map");
  // Viridis: told apart with the common colour-vision deficiencies, and on either theme.
  var SCALE = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];
  var chart = null;
  var mapLoaded = false;
  var last = null;
  var polls = 0;

  function remembered(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function remember(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: not kept */ }
  }
  function shown(key, value) {
    if (value === null || value === undefined) return "—";
    return String(value) + (rates.indexOf(key) >= 0 ? "%" : "");
  }

  function setTheme(theme) {
    html.dataset.theme = theme;
    // The button names what it switches to.
    themeButton.textContent = theme === "dark" ? root.dataset.labelLight : root.dataset.labelDark;
    if (last) drawMap(last);
  }

  function drawMap(data) {
    if (!mapLoaded || !window.echarts) return;
    var features = data.areas || [];
    var noMap = document.getElementById("wall-no-map");
    if (!chart) {
      if (!mapBox.clientWidth || !mapBox.clientHeight) return;
      chart = echarts.init(mapBox, null, {
        locale: (html.lang || "").indexOf("zh") === 0 ? "ZH" : "EN", renderer: "svg"
      });
      window.addEventListener("resize", function () {
        if (mapBox.clientWidth && mapBox.clientHeight) chart.resize();
      });
    }
    var key = select.value;
    document.getElementById("wall-map-figure").textContent = labels[key] || "";
    var values = features.map(function (a) { return a.values[key]; })
      .filter(function (v) { return v !== null && v !== undefined; });
    var low = values.length ? Math.min.apply(null, values) : 0;
    var high = Math.max.apply(null, values.concat([1]));
    var dark = html.dataset.theme !== "light";
    var ink = dark ? "#f2f5f7" : "#111820";
    var halo = dark ? "#0b1620" : "#ffffff";
    chart.setOption({
      backgroundColor: "transparent",
      visualMap: {
        type: "continuous",
        min: low, max: high, text: [shown(key, high), shown(key, low)],
        inRange: { color: SCALE },
        calculable: false, left: 0, bottom: 0, itemHeight: 200, itemWidth: 28,
        textStyle: { color: ink, fontSize: 24 }
      },
      series: [{
        type: "map", map: "wall-areas", roam: false, aspectScale: 1,
        itemStyle: { borderColor: halo, borderWidth: 2, areaColor: dark ? "#26394a" : "#cfd6dd" },
        emphasis: { disabled: true },
        label: {
          show: true, fontSize: 24, fontWeight: "bold", color: ink,
          textBorderColor: halo, textBorderWidth: 4,
          formatter: function (p) { return p.name + "\n" + shown(key, p.data ? p.data.shown : null); }
        },
        labelLayout: { hideOverlap: true },
        data: features.map(function (a) {
          var v = a.values[key];
          return { name: a.name, value: v === null ? NaN : v, shown: v };
        })
      }]
    }, { replaceMerge: ["series"] });
  }

  function escalations(rows) {
    var list = document.getElementById("wall-escalations");
    list.textContent = "";
    rows.forEach(function (row) {
      var item = document.createElement("li");
      var head = document.createElement("span");
      head.className = "wall-esc-head";
      var matter = document.createElement("span");
      matter.className = "wall-esc-matter";
      matter.textContent = row.matter;
      var when = document.createElement("span");
      when.className = "wall-esc-when";
      when.textContent = row.at;
      head.appendChild(matter);
      head.appendChild(when);
      var meta = document.createElement("span");
      meta.className = "wall-esc-meta";
      var where = document.createElement("span");
      where.className = "wall-esc-where";
      where.textContent = row.area;
      var state = document.createElement("span");
      state.className = "wall-esc-state";
      state.textContent = root.dataset.labelLevel.replace("%(n)s", row.level);
      if (row.acknowledged) {
        var taken = document.createElement("span");
        taken.className = "wall-esc-taken";
        taken.textContent = " · " + root.dataset.labelTakenUp;
        state.appendChild(taken);
      }
      meta.appendChild(where);
      meta.appendChild(state);
      item.appendChild(head);
      item.appendChild(meta);
      list.appendChild(item);
    });
    document.getElementById("wall-no-escalations").hidden = rows.length > 0;
  }

  function show(data) {
    last = data;
    Object.keys(data.figures).forEach(function (key) {
      var el = root.querySelector('[data-wall-figure="' + key + '"]');
      if (el) el.textContent = shown(key, data.figures[key]);
    });
    document.getElementById("wall-updated").textContent = data.refreshed || "—";
    escalations(data.escalations || []);
    drawMap(data);
  }

  function poll() {
    var url = root.dataset.url + (mapLoaded ? "" : "?map=1");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        if (data.map) {
          if (data.map.features.length && window.echarts) {
            echarts.registerMap("wall-areas", data.map);
            mapLoaded = true;
          } else {
            mapBox.hidden = true;
            document.getElementById("wall-no-map").hidden = false;
            mapLoaded = true;
          }
        }
        show(data);
        delete root.dataset.stale;
        root.dataset.polls = String(++polls);
      })
      // Off the network: keep the last figures, marked as old, and try again.
      .catch(function () { root.dataset.stale = "1"; })
      .then(function () { window.setTimeout(poll, every); });
  }

  var figure = remembered(FIGURE);
  if (figure && select.querySelector('option[value="' + figure + '"]')) select.value = figure;
  select.addEventListener("change", function () {
    remember(FIGURE, select.value);
    if (last) drawMap(last);
  });
  setTheme(remembered(THEME) === "light" ? "light" : "dark");
  themeButton.addEventListener("click", function () {
    var next = html.dataset.theme === "dark" ? "light" : "dark";
    remember(THEME, next);
    setTheme(next);
  });
  poll();
})();
