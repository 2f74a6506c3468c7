/* voronka's web app: the funnel builder and the saved views (no framework, no network but
   this server). The state of a view is its URL's query string: the builder reads its form
   from it, and writes it back (history.pushState) before asking /app/api/funnel. */
(function () {
  "use strict";
  var L = JSON.parse(document.getElementById("labels").textContent);
  var page = document.body.dataset.page;
  var lang = document.body.dataset.lang;
  var PLOT = {responsive: true, displaylogo: false};

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* ------------------------------------------------------------ the source form */
  document.querySelectorAll(".add-where").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = el("input", {name: "where", "class": "where", placeholder: L.where_hint});
      button.parentNode.insertBefore(input, button);
      input.focus();
    });
  });
  var source = document.getElementById("source");

  /* ------------------------------------------------------------ saved views */
  function refreshViews() {
    fetch("/app/api/views").then(function (r) { return r.json(); }).then(function (views) {
      var list = document.getElementById("view-list");
      list.textContent = "";
      if (!views.length) list.appendChild(el("li", {"class": "note"}, L.no_views));
      views.forEach(function (v) {
        var item = el("li");
        item.appendChild(el("a", {href: "/app/views/" + encodeURIComponent(v.name), "data-view": v.name}, v.name));
        list.appendChild(item);
      });
    });
  }
  function refreshDashboards() {
    fetch("/app/api/dashboards").then(function (r) { return r.json(); }).then(function (dashboards) {
      var list = document.getElementById("dashboard-list");
      var names = document.getElementById("dashboard-names");
      list.textContent = "";
      names.textContent = "";
      if (!dashboards.length) list.appendChild(el("li", {"class": "note"}, L.no_dashboards));
      dashboards.forEach(function (d) {
        var item = el("li");
        item.appendChild(el("a", {href: "/app/dashboards/" + encodeURIComponent(d.name) + "?lang=" + lang,
                                  "data-dashboard": d.name}, d.name + " (" + d.views.length + ")"));
        list.appendChild(item);
        names.appendChild(el("option", {value: d.name}));
      });
    });
  }
  function answerOf(r) { return r.json().then(function (body) { return [r.ok, body]; }); }
  function saveView(name) {
    return fetch("/app/api/views", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({name: name, page: page, query: location.search.replace(/^\?/, "")})}).then(answerOf);
  }
  function share() {
    var link = document.getElementById("share");
    link.href = location.pathname + location.search;
  }
  document.getElementById("save-view").addEventListener("submit", function (event) {
    event.preventDefault();
    var status = document.getElementById("view-status");
    saveView(event.target.elements.name.value).then(function (answer) {
      status.textContent = answer[0] ? L.saved : answer[1].error;
      refreshViews();
    });
  });
  /* "Add this view to the dashboard": the view is saved under the name above, then added. */
  document.getElementById("add-dashboard").addEventListener("submit", function (event) {
    event.preventDefault();
    var dashboard = event.target.elements.dashboard.value.trim();
    var name = document.getElementById("save-view").elements.name.value.trim();
    var status = document.getElementById("dashboard-status");
    if (!name) { status.textContent = L.name_view_first; return; }
    saveView(name).then(function (saved) {
      if (!saved[0]) return saved;
      return fetch("/app/api/dashboards/" + encodeURIComponent(dashboard) + "/views", {method: "POST",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify({view: saved[1].name})}).then(answerOf);
    }).then(function (answer) {
      status.textContent = answer[0] ? L.added.replace("{name}", function () { return dashboard; }) : answer[1].error;
      document.body.dataset.added = String(Date.now());
      refreshViews();
      refreshDashboards();
    });
  });
  refreshViews();
  refreshDashboards();
  share();

  /* Scripts set by innerHTML do not run: each figure's script is run again as a new element. */
  function runScripts(box) {
    box.querySelectorAll("script").forEach(function (old) {
      var script = el("script");
      script.textContent = old.textContent;
      old.replaceWith(script);
    });
  }

  /* ------------------------------------------------------------ a page's sections, computed on the server */
  /* Put the sections of ``url`` (HTML) in ``box`` and draw their figures; with ``number``, the
     sections' ids are made unique to it (several pages' sections on one dashboard). */
  function fillSections(box, url, number) {
    return fetch(url).then(function (r) {
      return r.text().then(function (body) { return [r.ok, body]; });
    }).then(function (result) {
      box.textContent = "";
      if (!result[0]) { box.appendChild(el("div", {"class": "error", role: "alert"}, JSON.parse(result[1]).error)); return; }
      box.innerHTML = number === undefined ? result[1] : result[1].replace(/section-(\d+)/g, "panel" + number + "-section-$1");
      runScripts(box);
    });
  }
  function sections() {
    var box = document.getElementById("sections");
    if (!box) { document.body.dataset.built = String(Date.now()); return; }
    fillSections(box, box.dataset.fetch).then(function () { document.body.dataset.built = String(Date.now()); });
  }

  /* ------------------------------------------------------------ a dashboard: each view's chart */
  function withLang(query) {
    var q = new URLSearchParams(query);
    q.set("lang", lang);
    return q;
  }
  function panelFunnel(body, query) {
    return fetch("/app/api/funnel?" + withLang(query).toString()).then(answerOf).then(function (result) {
      body.textContent = "";
      if (!result[0]) { body.appendChild(el("div", {"class": "error", role: "alert"}, result[1].error)); return; }
      var answer = result[1];
      if (answer.empty) body.appendChild(el("p", {"class": "note"}, answer.empty));
      if (answer.funnel) {
        var chart = body.appendChild(el("div", {"class": "chart"}));
        var figure = JSON.parse(answer.funnel);
        Plotly.newPlot(chart, figure.data, figure.layout, PLOT);
      }
      var table = body.appendChild(el("table", {"class": "data steps"}));
      var head = el("tr");
      var H = answer.headers;
      [answer.breakdown ? H.breakdown : H.series, H.label, H.customers, H.conversion_from_first]
        .forEach(function (h) { cell(head, "th", h); });
      table.appendChild(el("thead")).appendChild(head);
      var tbody = table.appendChild(el("tbody"));
      answer.series.forEach(function (series) {
        series.steps.forEach(function (r) {
          var row = el("tr", {"data-breakdown": r.breakdown === null ? "" : r.breakdown, "data-step": r.step});
          cell(row, "td", r.breakdown === null ? series.name : r.breakdown);
          cell(row, "td", r.label);
          cell(row, "td", r.text.customers, {"class": "num customers", "data-value": r.customers});
          cell(row, "td", r.text.conversion_from_first, {"class": "num"});
          tbody.appendChild(row);
        });
      });
    });
  }
  function panelPage(body, viewPage, query, number) {
    return fillSections(body, "/app/api/page/" + viewPage + "?" + withLang(query).toString(), number);
  }
  function dashboardChange(change) {
    var name = document.getElementById("dashboard").dataset.name;
    return fetch("/app/api/dashboards/" + encodeURIComponent(name), {method: "PATCH",
      headers: {"Content-Type": "application/json"}, body: JSON.stringify(change)}).then(answerOf);
  }
  function dashboard() {
    var box = document.getElementById("dashboard");
    if (!box) { document.body.dataset.built = String(Date.now()); return; }
    var panels = Array.prototype.slice.call(document.querySelectorAll("#panels .panel"));
    var names = panels.map(function (p) { return p.dataset.view; });
    function reload(answer) {
      if (!answer[0]) { document.getElementById("rename-status").textContent = answer[1].error; return; }
      location.href = "/app/dashboards/" + encodeURIComponent(answer[1].name) + "?lang=" + lang;
    }
    panels.forEach(function (panel, i) {
      panel.querySelector(".move-up").addEventListener("click", function () {
        var order = names.slice();
        order.splice(i - 1, 0, order.splice(i, 1)[0]);
        dashboardChange({views: order}).then(reload);
      });
      panel.querySelector(".remove-view").addEventListener("click", function () {
        dashboardChange({views: names.filter(function (n, k) { return k !== i; })}).then(reload);
      });
    });
    document.getElementById("rename-dashboard").addEventListener("submit", function (event) {
      event.preventDefault();
      dashboardChange({name: event.target.elements.name.value}).then(reload);
    });
    document.getElementById("delete-dashboard").addEventListener("click", function () {
      fetch("/app/api/dashboards/" + encodeURIComponent(box.dataset.name), {method: "DELETE"}).then(answerOf)
        .then(function (answer) {
          if (!answer[0]) { document.getElementById("rename-status").textContent = answer[1].error; return; }
          box.textContent = "";
          box.appendChild(el("p", {"class": "note", id: "deleted"}, L.deleted));
          refreshDashboards();
        });
    });
    Promise.all(panels.map(function (panel, i) {
      var body = panel.querySelector(".panel-body");
      var viewPage = panel.dataset.viewPage;
      if (!viewPage) return null;
      return viewPage === "funnel" ? panelFunnel(body, panel.dataset.query) : panelPage(body, viewPage, panel.dataset.query, i);
    })).then(function () { document.body.dataset.built = String(Date.now()); });
  }

  if (page === "dashboard") { dashboard(); return; }
  if (page !== "funnel") { sections(); return; }

  /* ------------------------------------------------------------ the funnel builder */
  var form = document.getElementById("builder");
  var stepsList = document.getElementById("steps");
  var FIELDS = ["model", "window", "order", "exclude", "by", "cohort", "compare", "seg_a", "seg_b"];

  function addStep(value) {
    var item = el("li");
    var input = el("input", {"class": "step", value: value || "", size: 24});
    var remove = el("button", {type: "button", "class": "remove-step"}, L.remove);
    remove.addEventListener("click", function () { item.remove(); });
    item.appendChild(input);
    item.appendChild(remove);
    stepsList.appendChild(item);
    return input;
  }
  document.getElementById("add-step").addEventListener("click", function () {
    form.elements.model.value = "";
    addStep("").focus();
  });

  function fromUrl() {
    var q = new URLSearchParams(location.search);
    FIELDS.forEach(function (name) {
      var field = form.elements[name];
      field.value = q.get(name) || "";
      if (field.tagName === "SELECT" && field.selectedIndex < 0) field.selectedIndex = 0;
    });
    stepsList.textContent = "";
    (q.get("steps") || "").split(",").filter(Boolean).forEach(addStep);
    if (!q.get("steps") && !q.get("model")) form.elements.model.value = "hourglass";
    segments();
  }

  /* The query string of the form: the source's fields, then the builder's. */
  function toQuery() {
    var q = new URLSearchParams();
    q.set("lang", lang);
    new FormData(source).forEach(function (value, name) { if (value) q.append(name, value); });
    var steps = Array.prototype.map.call(stepsList.querySelectorAll("input.step"), function (i) {
      return i.value.trim();
    }).filter(Boolean);
    if (steps.length) q.set("steps", steps.join(","));
    FIELDS.forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value && !(steps.length && name === "model")) q.set(name, value);
    });
    if (q.get("compare") !== "segments") { q.delete("seg_a"); q.delete("seg_b"); }
    return q;
  }

  function segments() {
    var on = form.elements.compare.value === "segments";
    document.querySelectorAll(".segment").forEach(function (s) { s.hidden = !on; });
  }
  form.elements.compare.addEventListener("change", segments);

  function showError(message) {
    var box = document.getElementById("error");
    box.hidden = !message;
    box.textContent = message || "";
  }

  function cell(row, tag, text, attrs) {
    row.appendChild(el(tag, attrs || {}, text));
  }

  function stepsTable(answer) {
    var table = document.getElementById("steps-table");
    table.textContent = "";
    var head = el("tr");
    var H = answer.headers;
    [answer.breakdown ? H.breakdown : H.series, H.label, H.customers, H.conversion_from_previous, H.conversion_from_first, H.dropped, H.median]
      .forEach(function (h) { cell(head, "th", h); });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    answer.series.forEach(function (series) {
      series.steps.forEach(function (r) {
        var row = el("tr", {"data-series": series.name, "data-breakdown": r.breakdown === null ? "" : r.breakdown,
                            "data-step": r.step});
        cell(row, "td", r.breakdown === null ? series.name : r.breakdown);
        cell(row, "td", r.label);
        cell(row, "td", r.text.customers, {"class": "num customers", "data-value": r.customers});
        cell(row, "td", r.text.conversion_from_previous, {"class": "num"});
        cell(row, "td", r.text.conversion_from_first, {"class": "num conversion",
                                                       "data-value": r.conversion_from_first});
        cell(row, "td", r.text.dropped, {"class": "num dropped", "data-value": r.dropped});
        cell(row, "td", r.text.median, {"class": "num"});
        row.addEventListener("click", function () {
          showDropped(r.step, r.breakdown === null ? (answer.series.length > 1 ? series.name : null) : r.breakdown);
        });
        body.appendChild(row);
      });
    });
  }

  function trendTable(answer) {
    var table = document.getElementById("trend-table");
    table.textContent = "";
    if (!answer.trend_rows.length) return;
    var head = el("tr");
    var H = answer.headers;
    [H.period, H.breakdown, H.entered, H.conversion_from_first].forEach(function (h) { cell(head, "th", h); });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    answer.trend_rows.forEach(function (r) {
      var row = el("tr");
      cell(row, "td", r.text.period);
      cell(row, "td", r.breakdown === null || r.breakdown === undefined ? "" : r.breakdown);
      cell(row, "td", r.text.n, {"class": "num", "data-value": r.entered});
      cell(row, "td", r.text.conversion, {"class": "num"});
      body.appendChild(row);
    });
  }

  function flaggedList(answer) {
    document.getElementById("flagged-note").textContent = answer.flagged_note || "";
    var list = document.getElementById("flagged-list");
    list.textContent = "";
    answer.flagged.forEach(function (w) {
      var item = el("li");
      item.textContent = w.text;
      item.dataset.first = w.first;
      item.dataset.last = w.last;
      list.appendChild(item);
    });
  }

  function plot(id, json) {
    var node = document.getElementById(id);
    if (!json) { Plotly.purge(node); node.hidden = true; return null; }
    node.hidden = false;
    var figure = JSON.parse(json);
    Plotly.react(node, figure.data, figure.layout, PLOT);
    return node;
  }

  var answer = null;
  function build(push) {
    var q = toQuery();
    if (push) history.pushState(null, "", "?" + q.toString());
    share();
    showError(null);
    document.getElementById("status").textContent = L.building;
    document.getElementById("dropped").hidden = true;
    return fetch("/app/api/funnel?" + q.toString()).then(function (r) {
      return r.json().then(function (body) { return [r.ok, body]; });
    }).then(function (result) {
      document.getElementById("status").textContent = "";
      if (!result[0]) { showError(result[1].error); document.getElementById("result").hidden = true; return; }
      answer = result[1];
      document.getElementById("result").hidden = false;
      if (answer.empty) showError(answer.empty);
      var chart = plot("funnel-chart", answer.funnel);
      if (chart) chart.on("plotly_click", function (data) {
        var point = data.points[0];
        var name = point.data.showlegend ? point.data.name : null;
        showDropped(point.pointNumber + 1, name);
      });
      plot("trend-chart", null);
      flaggedList({flagged: [], flagged_note: answer.trend_rows.length ? L.building : ""});
      plot("ttc-chart", null);
      if (!answer.empty) moreCharts(q);
      document.getElementById("difference").textContent = answer.difference || "";
      stepsTable(answer);
      trendTable(answer);
      document.body.dataset.built = String(Date.now());
    });
  }

  /* The trend shaded with the change scan's windows, and time to convert: asked for once
     the funnel is drawn. */
  function moreCharts(q) {
    var asked = q.toString();
    fetch("/app/api/charts?" + asked).then(answerOf).then(function (result) {
      if (asked !== toQuery().toString()) return;  /* another view was built since */
      if (!result[0]) { showError(result[1].error); return; }
      plot("trend-chart", result[1].trend);
      flaggedList(result[1]);
      plot("ttc-chart", result[1].ttc);
      document.body.dataset.charts = String(Date.now());
    });
  }

  function showDropped(step, series) {
    var q = toQuery();
    q.set("step", step);
    if (series !== null && series !== undefined) q.set("series", series);
    document.getElementById("dropped-csv").href = "/app/api/dropped.csv?" + q.toString();
    return fetch("/app/api/dropped?" + q.toString()).then(function (r) {
      return r.json().then(function (body) { return [r.ok, body]; });
    }).then(function (result) {
      if (!result[0]) { showError(result[1].error); return; }
      var d = result[1];
      var pane = document.getElementById("dropped");
      pane.hidden = false;
      pane.dataset.step = step;
      pane.dataset.count = d.count;
      document.getElementById("dropped-title").textContent = d.title;
      document.getElementById("dropped-note").textContent = d.note;
      var table = document.getElementById("dropped-table");
      table.textContent = "";
      var head = el("tr");
      d.columns.forEach(function (c) { cell(head, "th", d.labels[c] || c); });
      table.appendChild(el("thead")).appendChild(head);
      var body = table.appendChild(el("tbody"));
      d.rows.forEach(function (r) {
        var row = el("tr");
        d.columns.forEach(function (c) { cell(row, "td", r[c] === null ? "" : String(r[c])); });
        body.appendChild(row);
      });
      pane.scrollIntoView();
    });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); build(true); });
  source.addEventListener("submit", function (event) { event.preventDefault(); build(true); });
  window.addEventListener("popstate", function () { fromUrl(); build(false); });
  fromUrl();
  build(false);
})();
