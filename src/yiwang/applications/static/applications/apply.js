/* Applications, citizen pages: a form marked data-submit-once is sent once (its buttons are disabled
   after the first click; the server is idempotent anyway), and a confirmation asked by data-confirm.
   Every page works without this file. */
(function () {
  "use strict";

  function reset(form) {
    form.removeAttribute("data-submitting");
    form.querySelectorAll("input[data-submitter-copy]").forEach(function (input) { input.remove(); });
    form.querySelectorAll("button[data-busy-text]").forEach(function (button) {
      if (button.dataset.idleText) { button.textContent = button.dataset.idleText; }
    });
    form.querySelectorAll("button").forEach(function (button) { button.disabled = false; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-submit-once]")) { return; }
    var submitter = event.submitter;
    if (submitter && submitter.dataset.confirm && !window.confirm(submitter.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (form.getAttribute("data-submitting")) { event.preventDefault(); return; }
    form.setAttribute("data-submitting", "1");
    if (submitter && submitter.name) {
      // A disabled button is not sent: carry the clicked one's name and value in a hidden input.
      var copy = document.createElement("input");
      copy.type = "hidden";
      copy.name = submitter.name;
      copy.value = submitter.value;
      copy.setAttribute("data-submitter-copy", "");
      form.appendChild(copy);
    }
    form.querySelectorAll("button").forEach(function (button) {
      button.disabled = true;
      button.setAttribute("aria-disabled", "true");
    });
    if (submitter && submitter.dataset.busyText) {
      submitter.dataset.idleText = submitter.textContent;
      submitter.textContent = submitter.dataset.busyText;
    }
  });

  // Coming back with the browser's back button: the form may be used again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submit-once]").forEach(reset);
  });

  // After htmx refreshed part of the form, say so to screen readers.
  document.addEventListener("htmx:afterSwap", function (event) {
    var status = document.querySelector("[data-refresh-status]");
    if (status && event.target && event.target.id && event.target.id.indexOf("apply-") === 0) {
      status.textContent = status.dataset.doneText || "";
    }
  });
})();
