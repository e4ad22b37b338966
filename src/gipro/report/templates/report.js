(function () {
  "use strict";
  var payload = JSON.parse(document.getElementById("gipro-data").textContent);
  var config = payload.config;
  function draw(div, fig, react) {
    var layout = fig.layout || {};
    layout.template = payload.template;
    (react ? Plotly.react : Plotly.newPlot)(div, fig.data || [], layout, config);
  }
  function selected(group) {
    var sel = document.querySelector('select[data-group="' + group + '"]');
    return sel ? sel.value : null;
  }
  function showUnit(group, unit, react) {
    document.querySelectorAll('.gipro-chart[data-group="' + group + '"]').forEach(function (div) {
      var set = payload.sets[div.id] || {};
      var fig = set[unit];
      if (fig) { div.dataset.empty = ""; draw(div, fig, react); }
      else { Plotly.purge(div); div.dataset.empty = "1"; }
    });
    document.querySelectorAll('.unit-panel[data-group="' + group + '"]').forEach(function (p) {
      p.hidden = p.dataset.unit !== unit;
    });
  }
  document.querySelectorAll(".gipro-chart").forEach(function (div) {
    if (div.dataset.group) { return; }
    var fig = payload.figures[div.id];
    if (fig) { draw(div, fig, false); }
  });
  var groups = {};
  document.querySelectorAll("select[data-group]").forEach(function (sel) {
    groups[sel.dataset.group] = true;
    sel.addEventListener("change", function () { showUnit(sel.dataset.group, sel.value, true); });
  });
  Object.keys(groups).forEach(function (g) { showUnit(g, selected(g), false); });
  // level tabs
  document.querySelectorAll(".tabs").forEach(function (tabs) {
    tabs.querySelectorAll("button").forEach(function (b) {
      b.addEventListener("click", function () {
        tabs.querySelectorAll("button").forEach(function (o) { o.classList.remove("active"); });
        b.classList.add("active");
        document.querySelectorAll('[data-tabgroup="' + tabs.dataset.tabs + '"]').forEach(
          function (p) { p.hidden = p.dataset.tab !== b.dataset.tab; });
      });
    });
  });
  // sortable tables: numeric columns sort on data-v, missing values always last
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th").forEach(function (th, col) {
      th.addEventListener("click", function () {
        var asc = !th.classList.contains("asc");
        table.querySelectorAll("th").forEach(function (o) { o.classList.remove("asc", "desc"); });
        th.classList.add(asc ? "asc" : "desc");
        var num = th.classList.contains("num");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col], y = b.cells[col];
          if (num) {
            var u = x.dataset.v, v = y.dataset.v;
            if (u === "" && v === "") { return 0; }
            if (u === "") { return 1; }
            if (v === "") { return -1; }
            return asc ? parseFloat(u) - parseFloat(v) : parseFloat(v) - parseFloat(u);
          }
          var s = x.textContent.localeCompare(y.textContent);
          return asc ? s : -s;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
}());
