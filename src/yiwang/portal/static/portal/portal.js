/* Yiwang portal: search suggestions (ARIA combobox), situation wizard follow-ups, printing. No framework
   besides htmx; every feature also works without this file. */
(function () {
  "use strict";

  function setupCombobox(box) {
    var input = box.querySelector('[role="combobox"]');
    var list = box.querySelector('[role="listbox"]');
    var status = input.form && input.form.querySelector("[data-suggest-status]");
    var active = -1;

    function options() { return Array.prototype.slice.call(list.querySelectorAll('[role="option"]')); }
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function open() {
      if (!options().length) { close(); return; }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
    function highlight(index) {
      var items = options();
      if (!items.length) { return; }
      active = (index + items.length) % items.length;
      items.forEach(function (item, i) { item.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    }
    function choose(item) {
      input.value = item.getAttribute("data-value");
      close();
      input.form.submit();
    }

    list.addEventListener("htmx:afterSwap", function () {
      active = -1;
      input.removeAttribute("aria-activedescendant");
      var count = options().length;
      if (count && document.activeElement === input) { open(); } else { close(); }
      if (status) { status.textContent = count ? count + " " + (document.documentElement.lang === "en" ? "suggestions, use up and down arrows" : "条建议，可用上下方向键选择") : ""; }
    });
    input.addEventListener("keydown", function (event) {
      var expanded = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!expanded) { open(); }
        highlight(active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (!expanded) { open(); }
        highlight(active - 1);
      } else if (event.key === "Enter" && expanded && active >= 0) {
        event.preventDefault();
        choose(options()[active]);
      } else if (event.key === "Escape") {
        if (expanded) { event.preventDefault(); close(); } else { input.value = ""; }
      }
    });
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    list.addEventListener("click", function (event) {
      var item = event.target.closest('[role="option"]');
      if (item) { choose(item); }
    });
    input.addEventListener("blur", close);
  }

  function fieldsetChose(form, question, option) {
    var fieldset = form.querySelector('fieldset[data-question="' + question + '"]');
    if (!fieldset || fieldset.hidden) { return false; }
    var checked = fieldset.querySelector('input[name="' + question + '"]:checked');
    return Boolean(checked && checked.value === option);
  }

  function setupWizard(form) {
    var status = form.querySelector("[data-wizard-status]");
    function refresh() {
      // Follow-ups come after the question that reveals them, so one pass in document order settles chains.
      form.querySelectorAll("fieldset[data-trigger-question]").forEach(function (fieldset) {
        var shown = fieldsetChose(form, fieldset.dataset.triggerQuestion, fieldset.dataset.triggerOption);
        if (shown && fieldset.hidden && status) {
          var legend = fieldset.querySelector("legend");
          status.textContent = (document.documentElement.lang === "en" ? "New question: " : "新增问题：") + (legend ? legend.textContent : "");
        }
        fieldset.hidden = !shown;
        fieldset.disabled = !shown;
      });
    }
    form.addEventListener("change", refresh);
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-combobox]").forEach(setupCombobox);
    // Filters fold away on phones; on wide screens they sit open beside the results.
    if (window.matchMedia("(min-width: 1000px)").matches) {
      document.querySelectorAll("details.filters").forEach(function (details) { details.open = true; });
    }
    var wizard = document.getElementById("situation-form");
    if (wizard) { setupWizard(wizard); }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    // After the wizard's answer arrives, move focus to its heading so it is read out and visible.
    if (event.target && event.target.id === "situation-result") {
      var title = document.getElementById("situation-result-title");
      if (title) { title.focus(); }
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (!button) { return; }
    document.body.classList.add("print-result");
    window.print();
  });
  // Printed FAQs keep their answers: open the folded ones for the print and fold them again afterwards.
  var openedForPrint = [];
  window.addEventListener("beforeprint", function () {
    openedForPrint = Array.prototype.slice.call(document.querySelectorAll("details.faq:not([open])"));
    openedForPrint.forEach(function (details) { details.open = true; });
  });
  window.addEventListener("afterprint", function () {
    document.body.classList.remove("print-result");
    openedForPrint.forEach(function (details) { details.open = false; });
    openedForPrint = [];
  });
})();
