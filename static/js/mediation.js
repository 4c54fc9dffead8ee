/* Conveniences for the mediation pages. Every page works without this file.
   No inline scripts: the CSP allows script-src 'self' only. */
(function () {
  "use strict";

  // An offer that reserves a capacity slot takes its date from the slot's week: while the
  // "reserve a slot" box is ticked, the expected wait field is not used, so it is disabled.
  function initOfferForms(root) {
    root.querySelectorAll("form.offer-form:not([data-mediation-initialised])").forEach(function (form) {
      form.setAttribute("data-mediation-initialised", "");
      var reserve = form.querySelector("input[type=checkbox][name$='reserve_slot']");
      var days = form.querySelector("input[name$='expected_days']");
      if (!reserve || !days) {
        return;
      }
      var sync = function () {
        days.disabled = reserve.checked;
      };
      reserve.addEventListener("change", sync);
      sync();
    });
  }

  // The request form lists treatments grouped by specialism: once a specialism is chosen, only
  // its own treatments are offered (the server checks the combination anyway).
  function initTreatmentFilter(root) {
    root.querySelectorAll("form.request-form:not([data-mediation-initialised])").forEach(function (form) {
      form.setAttribute("data-mediation-initialised", "");
      var specialism = form.querySelector("select[name='specialism']");
      var treatment = form.querySelector("select[name='treatment']");
      if (!specialism || !treatment) {
        return;
      }
      var sync = function () {
        var chosen = specialism.options[specialism.selectedIndex];
        var name = chosen && chosen.value ? chosen.textContent.trim() : "";
        treatment.querySelectorAll("optgroup").forEach(function (group) {
          var show = !name || group.label === name;
          group.hidden = !show;
          group.disabled = !show;
          if (!show && group.contains(treatment.options[treatment.selectedIndex])) {
            treatment.selectedIndex = 0;
          }
        });
      };
      specialism.addEventListener("change", sync);
      sync();
    });
  }

  // The patient's letter: a button that opens the browser's print dialog.
  function initPrintButtons(root) {
    root.querySelectorAll("[data-print]:not([data-mediation-initialised])").forEach(function (button) {
      button.setAttribute("data-mediation-initialised", "");
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  function init(root) {
    initOfferForms(root);
    initTreatmentFilter(root);
    initPrintButtons(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
  });
  document.addEventListener("htmx:load", function (event) {
    if (event.target && event.target.querySelectorAll) {
      init(event.target);
    }
  });
})();
