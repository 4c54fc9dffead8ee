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

  // The error summary (and the notice that a wait is within the Treeknorm) takes the focus, so
  // that a screen reader reads it first; its links move the focus to the field itself, scrolled
  // so that its label shows too (GOV.UK error summary behaviour).
  function initErrorSummary(root) {
    var summary = root.querySelector(
      "[data-error-summary]:not([data-mediation-initialised]), [data-focus-on-load]:not([data-mediation-initialised])"
    );
    if (!summary) {
      return;
    }
    summary.setAttribute("data-mediation-initialised", "");
    if (document.activeElement !== summary) {
      summary.focus();
    }
    summary.scrollIntoView();
    summary.querySelectorAll("a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var input = document.getElementById(link.getAttribute("href").slice(1));
        if (!input) {
          return;
        }
        event.preventDefault();
        var visible = input;
        if (input.hidden || input.classList.contains("visually-hidden")) {
          var field = input.closest("[data-location-field]");
          visible = (field && field.querySelector("[role=combobox]")) || input;
        }
        var label = document.querySelector("label[for='" + visible.id + "']") ||
          (visible.closest("fieldset") && visible.closest("fieldset").querySelector("legend"));
        (label || visible).scrollIntoView();
        visible.focus({ preventScroll: true });
      });
    });
  }

  // "Where do you wait now?": the select (hundreds of locations) becomes a combobox with a
  // listbox popup (WAI-ARIA 1.2 combobox pattern). Typing filters by name, place and provider;
  // the list puts locations with figures for the chosen specialism first and the nearest to the
  // postcode first (mediation:request-locations). The select stays in the form, hidden, and
  // keeps the chosen value; without JavaScript it is what the patient uses.
  function initLocationCombobox(root) {
    root.querySelectorAll("[data-location-field]:not([data-mediation-initialised])").forEach(function (field) {
      field.setAttribute("data-mediation-initialised", "");
      var select = field.querySelector("select");
      var form = field.closest("form");
      var url = form && form.getAttribute("data-locations-url");
      if (!select || !url || !window.fetch) {
        return;
      }
      var hint = field.querySelector(".js-combobox-hint");
      var count = field.querySelector(".js-combobox-count");
      var label = field.querySelector("label");
      var base = select.id;
      var input = document.createElement("input");
      input.type = "text";
      input.id = base + "_combobox";
      input.className = "form-control location-combobox";
      input.setAttribute("role", "combobox");
      input.setAttribute("aria-autocomplete", "list");
      input.setAttribute("aria-expanded", "false");
      input.setAttribute("aria-controls", base + "_listbox");
      input.setAttribute("autocomplete", "off");
      var described = [];
      if (select.getAttribute("aria-describedby")) {
        described.push(select.getAttribute("aria-describedby"));
      }
      if (hint) {
        hint.hidden = false;
        described.push(hint.id);
      }
      if (described.length) {
        input.setAttribute("aria-describedby", described.join(" "));
      }
      if (select.getAttribute("aria-invalid")) {
        input.setAttribute("aria-invalid", select.getAttribute("aria-invalid"));
      }
      var listbox = document.createElement("ul");
      listbox.id = base + "_listbox";
      listbox.className = "location-listbox list-unstyled";
      listbox.setAttribute("role", "listbox");
      listbox.setAttribute("aria-label", label ? label.textContent.trim() : "");
      listbox.hidden = true;
      if (label) {
        // The label now names the combobox; the hidden select keeps its name by reference.
        label.id = label.id || base + "_label";
        label.setAttribute("for", input.id);
        select.setAttribute("aria-labelledby", label.id);
      }
      if (count) {
        count.hidden = false;
      }
      select.hidden = true;
      select.setAttribute("tabindex", "-1");
      select.insertAdjacentElement("afterend", listbox);
      select.insertAdjacentElement("afterend", input);

      var locations = [];
      var shown = [];
      var active = -1;
      var loadedFor = null;

      function chosenLabel() {
        var option = select.options[select.selectedIndex];
        return option && option.value ? option.textContent.trim() + ", " + (option.parentNode.label || "") : "";
      }
      input.value = chosenLabel().replace(/, $/, "");

      function load() {
        var specialism = form.querySelector("[name='specialism']");
        var postcode = form.querySelector("[name='postcode']");
        var query = "specialism=" + encodeURIComponent(specialism ? specialism.value : "") +
          "&postcode=" + encodeURIComponent(postcode ? postcode.value : "");
        if (query === loadedFor) {
          return Promise.resolve();
        }
        return fetch(url + "?" + query, { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            locations = data.results || [];
            loadedFor = query;
          })
          .catch(function () { /* the hidden select still holds a valid choice */ });
      }

      function describe(location) {
        var parts = [location.city];
        if (location.distance_km !== null && location.distance_km !== undefined) {
          parts.push(String(location.distance_km).replace(".", ",") + " km");
        }
        return parts.join(" · ");
      }

      function setActive(index) {
        var items = listbox.querySelectorAll("[role=option]");
        items.forEach(function (item, i) {
          item.classList.toggle("active", i === index);
        });
        active = index;
        if (index >= 0 && items[index]) {
          input.setAttribute("aria-activedescendant", items[index].id);
          items[index].scrollIntoView({ block: "nearest" });
        } else {
          input.removeAttribute("aria-activedescendant");
        }
      }

      function close() {
        listbox.hidden = true;
        input.setAttribute("aria-expanded", "false");
        setActive(-1);
      }

      function render() {
        var words = input.value.toLowerCase().split(/[\s,]+/).filter(Boolean);
        shown = locations.filter(function (location) {
          var text = (location.name + " " + location.city + " " + location.provider).toLowerCase();
          return words.every(function (word) { return text.indexOf(word) !== -1; });
        }).slice(0, 50);
        listbox.textContent = "";
        shown.forEach(function (location, i) {
          var item = document.createElement("li");
          item.id = base + "_option_" + i;
          item.setAttribute("role", "option");
          item.setAttribute("aria-selected", location.code === select.value ? "true" : "false");
          item.className = "location-option";
          var name = document.createElement("span");
          name.className = "d-block";
          name.textContent = location.name;
          var detail = document.createElement("span");
          detail.className = "d-block small text-body-secondary";
          detail.textContent = describe(location);
          item.appendChild(name);
          item.appendChild(detail);
          item.addEventListener("mousedown", function (event) {
            event.preventDefault(); // keep the focus in the input
            choose(i);
          });
          listbox.appendChild(item);
        });
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
        setActive(-1);
        if (count) {
          var n = shown.length;
          count.textContent = n === 0 ? count.getAttribute("data-none")
            : n === 1 ? count.getAttribute("data-one")
            : count.getAttribute("data-many").replace("{count}", n);
        }
      }

      function choose(index) {
        var location = shown[index];
        if (!location) {
          return;
        }
        select.value = location.code;
        input.value = location.name + ", " + location.city;
        close();
      }

      function open() {
        load().then(render);
      }

      input.addEventListener("input", function () {
        select.value = "";
        open();
      });
      input.addEventListener("focus", function () {
        load();
      });
      input.addEventListener("keydown", function (event) {
        var expanded = !listbox.hidden;
        if (event.key === "ArrowDown") {
          event.preventDefault();
          if (!expanded) {
            open();
            return;
          }
          setActive(Math.min(active + 1, shown.length - 1));
        } else if (event.key === "ArrowUp") {
          event.preventDefault();
          if (expanded) {
            setActive(Math.max(active - 1, 0));
          }
        } else if (event.key === "Enter") {
          if (expanded && active >= 0) {
            event.preventDefault();
            choose(active);
          }
        } else if (event.key === "Escape") {
          if (expanded) {
            event.preventDefault();
            close();
          } else {
            input.value = "";
            select.value = "";
          }
        }
      });
      input.addEventListener("blur", function () {
        close();
      });
    });
  }

  function init(root) {
    initOfferForms(root);
    initTreatmentFilter(root);
    initPrintButtons(root);
    initLocationCombobox(root);
    initErrorSummary(root);
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
