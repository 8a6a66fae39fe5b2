/* Charts of the supervision dashboards (ECharts, vendored by the exchange app). Data comes from
   #dashboard-data; a click on a child region's bar drills down to it (same page, ?region=CODE). */
(function () {
  "use strict";

  var dark = document.documentElement.classList.contains("screen");
  var text = dark ? "#e6eef8" : "#333";

  function base() {
    return {
      textStyle: { color: text },
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0, textStyle: { color: text } },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true }
    };
  }

  function options(data) {
    var labels = data.labels;
    var byMonth = data.daily.bucket === "month";
    var days = data.daily.days.map(function (day) { return byMonth ? day.slice(0, 7) : day.slice(5); });
    var daily = base();
    daily.xAxis = { type: "category", data: days };
    daily.yAxis = { type: "value", minInterval: 1 };
    daily.series = [
      { name: labels.submitted, type: "line", data: data.daily.submitted, itemStyle: { color: "#2f6fb0" } },
      { name: labels.closed, type: "line", data: data.daily.closed, itemStyle: { color: "#27ae60" } }
    ];
    var duration = base();
    duration.xAxis = { type: "category", data: days };
    duration.yAxis = { type: "value" };
    duration.series = [{ name: labels.average_days, type: "bar", data: data.daily.average_days, itemStyle: { color: "#7d3c98" } }];
    var rates = base();
    rates.grid.right = 44;
    rates.xAxis = { type: "value", max: 100 };
    rates.yAxis = { type: "category", data: data.rates.map(function (row) { return row[0]; }).reverse() };
    rates.series = [{ name: labels.percent, type: "bar", data: data.rates.map(function (row) { return row[1]; }).reverse(), itemStyle: { color: "#d68910" }, label: { show: true, position: "right", color: text } }];
    var children = base();
    children.xAxis = { type: "value", minInterval: 1 };
    children.yAxis = { type: "category", data: data.children.map(function (row) { return row[0]; }).reverse(), axisLabel: { width: 90, overflow: "truncate" } };
    children.series = [
      { name: labels.submitted, type: "bar", data: data.children.map(function (row) { return row[1]; }).reverse(), itemStyle: { color: "#2f6fb0" } },
      { name: labels.closed, type: "bar", data: data.children.map(function (row) { return row[2]; }).reverse(), itemStyle: { color: "#27ae60" } }
    ];
    children.keys = data.children.map(function (row) { return row[3]; }).reverse();
    children.kind = data.children.length ? data.children[0][4] : "region";
    var complaints = {
      textStyle: { color: text },
      tooltip: { trigger: "item", renderMode: "richText" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: data.complaints.map(function (row) { return { name: row[0], value: row[1] }; }), label: { color: text } }]
    };
    return { daily: daily, duration: duration, rates: rates, children: children, complaints: complaints };
  }

  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var all = options(data);
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var option = all[element.getAttribute("data-chart")];
      if (!option) { return; }
      var chart = echarts.init(element, dark ? "dark" : null, { renderer: "svg" });
      if (dark) { option.backgroundColor = "transparent"; }
      chart.setOption(option);
      if (element.getAttribute("data-chart") === "children" && option.kind === "region") {
        chart.on("click", function (params) {
          var key = option.keys[params.dataIndex];
          if (key) { window.location.href = data.drill_url + "?region=" + encodeURIComponent(key); }
        });
      }
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
