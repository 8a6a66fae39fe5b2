/* 亮证: renew the QR code before it expires by fetching the page's JSON state (no inline script: CSP).
   Without JavaScript the page still works: refreshing it shows the current code, or a new one. */
(function () {
  "use strict";

  var box = document.querySelector("[data-show-state-url]");
  if (!box || !window.fetch) { return; }
  var qr = box.querySelector("[data-show-qr]");
  var link = box.querySelector("[data-show-link]");
  var expiry = box.querySelector("[data-show-expiry]");
  var status = box.querySelector("[data-show-status]");
  var retries = 0;

  function schedule(seconds) {
    window.setTimeout(renew, Math.max(seconds, 1) * 1000);
  }

  function apply(state) {
    qr.innerHTML = state.qr_svg;  // SVG drawn by the server from the verification link
    link.setAttribute("href", state.url);
    if (expiry) { expiry.textContent = state.expires_label; }
    if (link.getAttribute("data-current") !== state.url) {
      if (link.hasAttribute("data-current")) { status.textContent = state.message; }
      link.setAttribute("data-current", state.url);
    }
    box.setAttribute("data-show-expires-at", state.expires_at);
  }

  function renew() {
    window.fetch(box.getAttribute("data-show-state-url"), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      cache: "no-store"
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (state) {
      retries = 0;
      apply(state);
      schedule(state.renew_in);
    }).catch(function () {
      retries += 1;
      if (retries <= 20) { schedule(10); }
    });
  }

  link.setAttribute("data-current", link.getAttribute("href"));
  schedule(parseInt(box.getAttribute("data-show-renew-in"), 10) || 60);
})();
