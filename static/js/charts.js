// Draws the results charts with plotly.js (static/vendor). Each chart is a
// <figure> holding a <div data-chart="ID"> and a <script type="application/json"
// id="ID"> with the figure made on the server (survey/charts.py); the same
// numbers are in the table beside it, so nothing is lost without JavaScript.
(function () {
  "use strict";
  if (typeof window.Plotly === "undefined") { return; }
  var config = {displayModeBar: false, responsive: true};
  // Decimal and thousands separators as in the tables: 74,21 in Indonesian.
  var separators = document.documentElement.lang === "id" ? ",." : ".,";
  document.querySelectorAll("[data-chart]").forEach(function (holder) {
    var source = document.getElementById(holder.getAttribute("data-chart"));
    if (!source) { return; }
    var figure;
    try { figure = JSON.parse(source.textContent); } catch (error) { return; }
    holder.hidden = false;
    figure.layout.separators = separators;
    window.Plotly.newPlot(holder, figure.data, figure.layout, config);
  });
}());
