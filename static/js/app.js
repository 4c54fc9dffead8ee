/* Small enhancements on top of server-rendered pages. Everything works without this file;
   it only adds conveniences. No inline scripts: the CSP allows script-src 'self' only. */
(function () {
  "use strict";

  // Bootstrap's collapsed menu needs JavaScript; app.css keeps it open while this class is set.
  document.documentElement.classList.remove("no-js");

  // A button with data-copy-target="<id>" copies that element's text (e.g. a new API key).
  // Without JavaScript the button stays hidden and the text can be selected by hand.
  function initCopyButtons(root) {
    root.querySelectorAll("[data-copy-target]:not([data-initialised])").forEach(function (button) {
      button.setAttribute("data-initialised", "");
      if (!navigator.clipboard) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        var target = document.getElementById(button.getAttribute("data-copy-target"));
        if (!target) {
          return;
        }
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          button.textContent = button.getAttribute("data-copied-label") || button.textContent;
        });
      });
    });
  }

  // A form with data-confirm="<question>" asks before it is sent (e.g. revoking a key).
  function initConfirmForms(root) {
    root.querySelectorAll("form[data-confirm]:not([data-initialised])").forEach(function (form) {
      form.setAttribute("data-initialised", "");
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          event.preventDefault();
        }
      });
    });
  }

  // <canvas data-chart="<id>"> draws the Chart.js configuration held in the JSON element <id>
  // (render it with {{ config|json_script:"<id>" }}). The page loads chart.js in {% block extra_js %}.
  function initCharts(root) {
    if (typeof window.Chart === "undefined") {
      return;
    }
    root.querySelectorAll("canvas[data-chart]:not([data-initialised])").forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-chart"));
      if (!source) {
        return;
      }
      canvas.setAttribute("data-initialised", "");
      new window.Chart(canvas, JSON.parse(source.textContent));
    });
  }

  function init(root) {
    initCopyButtons(root);
    initConfirmForms(root);
    initCharts(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
  });
  // Content swapped in by htmx gets the same enhancements.
  document.addEventListener("htmx:load", function (event) {
    if (event.target && event.target.querySelectorAll) {
      init(event.target);
    }
  });
})();
