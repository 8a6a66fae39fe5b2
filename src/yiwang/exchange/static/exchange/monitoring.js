/* Charts of the exchange's monitoring page (ECharts, vendored). Data comes from #monitoring-data; a click
   on a department's bar drills down to that department (same page, ?department=ID). */
(function () {
  "use strict";

  function bar(names, series, horizontal) {
    var category = { type: "category", data: names, axisLabel: { width: 90, overflow: "truncate" } };
    var value = { type: "value", minInterval: 1 };
    return {
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: series
    };
  }

  function stacked(name, values, color) {
    return { name: name, type: "bar", stack: "total", barMaxWidth: 28, data: values, itemStyle: { color: color } };
  }

  function departmentBars(rows, labels) {
    var names = rows.map(function (row) { return row[0]; }).reverse();
    var option = bar(names, [
      stacked(labels.allowed, rows.map(function (row) { return row[1]; }).reverse(), "#2f6fb0"),
      stacked(labels.refused, rows.map(function (row) { return row[2]; }).reverse(), "#c0392b")
    ], true);
    option.ids = rows.map(function (row) { return row[3]; }).reverse();
    return option;
  }

  function options(data) {
    var labels = data.labels;
    return {
      daily: {
        tooltip: { trigger: "axis", renderMode: "richText" },
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.days.map(function (day) { return day.slice(5); }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: labels.allowed, type: "line", data: data.daily.allowed, itemStyle: { color: "#2f6fb0" } },
          { name: labels.refused, type: "line", data: data.daily.refused, itemStyle: { color: "#c0392b" } },
          { name: labels.errors, type: "line", data: data.daily.errors, itemStyle: { color: "#d68910" } }
        ]
      },
      latency: {
        tooltip: { trigger: "axis", renderMode: "richText" },
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.days.map(function (day) { return day.slice(5); }) },
        yAxis: { type: "value" },
        series: [
          { name: labels.p50, type: "line", connectNulls: true, data: data.latency.p50, itemStyle: { color: "#2f6fb0" } },
          { name: labels.avg, type: "line", connectNulls: true, data: data.latency.avg, itemStyle: { color: "#7d3c98" } }
        ]
      },
      resources: bar(data.resources.map(function (row) { return row[0]; }).reverse(), [
        stacked(labels.allowed, data.resources.map(function (row) { return row[1]; }).reverse(), "#2f6fb0"),
        stacked(labels.refused, data.resources.map(function (row) { return row[2]; }).reverse(), "#c0392b")
      ], true),
      consumers: departmentBars(data.consumers, labels),
      providers: departmentBars(data.providers, labels),
      refusals: {
        tooltip: { trigger: "item", renderMode: "richText" },
        legend: { bottom: 0, type: "scroll" },
        series: [{ type: "pie", radius: ["35%", "65%"], data: data.refusals }]
      },
      waiting: (function () {
        var rows = data.waiting;
        var option = bar(rows.map(function (row) { return row[0]; }).reverse(), [
          stacked(labels.on_time, rows.map(function (row) { return row[1]; }).reverse(), "#2f6fb0"),
          stacked(labels.overdue, rows.map(function (row) { return row[2]; }).reverse(), "#a33a00")
        ], true);
        option.ids = rows.map(function (row) { return row[3]; }).reverse();
        return option;
      })()
    };
  }

  function isEmpty(option) {
    return option.series.every(function (series) {
      return series.data.every(function (value) {
        var number = typeof value === "object" && value !== null ? value.value : value;
        return !number;
      });
    });
  }

  function drillDown(id) {
    var params = new URLSearchParams(window.location.search);
    params.set("department", String(id));
    window.location.search = params.toString();
  }

  function draw() {
    var source = document.getElementById("monitoring-data");
    if (!source || typeof window.echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var labels = data.labels;
    var all = options(data);
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var option = all[element.getAttribute("data-chart")];
      if (!option) { return; }
      var ids = option.ids;
      delete option.ids;
      var chart = window.echarts.init(element, null, { renderer: "canvas" });
      if (isEmpty(option)) {
        option.title = { text: labels.empty, left: "center", top: "middle", textStyle: { color: "#777", fontSize: 14, fontWeight: "normal" } };
      }
      chart.setOption(option);
      if (ids) {
        chart.on("click", function (event) { if (ids[event.dataIndex] != null) { drillDown(ids[event.dataIndex]); } });
      }
      element.setAttribute("data-rendered", "true");
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (chart) { chart.resize(); }); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
