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
  var renewals = 0;
  var MAX_RENEWALS = 10;  // about forty minutes; then a refresh (a deliberate act) starts again

  function schedule(seconds) {
    window.setTimeout(renewWhenVisible, Math.max(seconds, 1) * 1000);
  }

  // A hidden tab asks for no new codes (each one is logged as a showing); it renews when looked at again.
  function renewWhenVisible() {
    if (!document.hidden) { renew(); return; }
    document.addEventListener("visibilitychange", function once() {
      if (document.hidden) { return; }
      document.removeEventListener("visibilitychange", once);
      renew();
    });
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

  function announceExpiry(state) {
    var expired = box.querySelector("[data-show-expired]");
    var left = Date.parse(state.expires_at) - Date.now();
    window.setTimeout(function () { if (expired) { status.textContent = expired.textContent; } }, Math.max(left, 0));
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
      renewals += 1;
      apply(state);
      if (renewals < MAX_RENEWALS) { schedule(state.renew_in); } else { announceExpiry(state); }
    }).catch(function () {
      retries += 1;
      if (retries <= 20) { schedule(10); }
    });
  }

  link.setAttribute("data-current", link.getAttribute("href"));
  schedule(parseInt(box.getAttribute("data-show-renew-in"), 10) || 60);
})();
