// Embed the bokeh charts of a page: every <script type="application/json" data-chart="ID">
// holds a bokeh.embed.json_item for the element with that id. Needs bokeh.min.js first.
(function () {
  "use strict";
  function embedCharts() {
    document.querySelectorAll("script[type='application/json'][data-chart]").forEach(function (data) {
      Bokeh.embed.embed_item(JSON.parse(data.textContent), data.getAttribute("data-chart"));
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", embedCharts);
  } else {
    embedCharts();
  }
})();
