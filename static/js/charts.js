// Draws the results charts with plotly.js (static/vendor). Each chart is a
// <figure> holding a <div data-chart="ID"> and a <script type="application/json"
// id="ID"> with the figure made on the server (survey/charts.py); the same
// numbers are in the table beside it, so nothing is lost without JavaScript.
(function () {
  "use strict";
  if (typeof window.Plotly === "undefined") { return; }
  var config = {displayModeBar: false, responsive: true, locale: document.documentElement.lang};
  document.querySelectorAll("[data-chart]").forEach(function (holder) {
    var source = document.getElementById(holder.getAttribute("data-chart"));
    if (!source) { return; }
    var figure;
    try { figure = JSON.parse(source.textContent); } catch (error) { return; }
    holder.hidden = false;
    window.Plotly.newPlot(holder, figure.data, figure.layout, config);
  });
}());
