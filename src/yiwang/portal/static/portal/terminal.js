/* Self-service terminal: the idle countdown (log out and go home after no input), a keep-alive while the
   person is touching the screen, the QR login's polling, and printing a receipt. No inline script (CSP). */
(function () {
  "use strict";
  var body = document.body;
  var idleSeconds = parseInt(body.getAttribute("data-idle-seconds") || "90", 10);
  var signedIn = body.getAttribute("data-signed-in") === "1";
  var homeUrl = body.getAttribute("data-home-url") || "/terminal/";
  var keepaliveUrl = body.getAttribute("data-keepalive-url");
  var banner = document.querySelector("[data-terminal-idle]");
  var warnAt = 20; // seconds left when the countdown is shown
  var lastInput = Date.now();
  var lastKeepalive = Date.now();
  var atHome = window.location.pathname === homeUrl;

  function endSession() {
    var form = document.querySelector("[data-terminal-logout]");
    if (signedIn && form) {
      form.querySelector("[data-terminal-logout-reason]").value = "idle";
      form.submit();
    } else if (!atHome) {
      window.location.assign(homeUrl);
    }
  }

  function tick() {
    var left = idleSeconds - Math.floor((Date.now() - lastInput) / 1000);
    if (left <= 0) { endSession(); return; }
    if (banner && left <= warnAt && (signedIn || !atHome)) {
      banner.hidden = false;
      // The texts come translated from the page: "{seconds}" stands for the seconds left.
      var text = banner.getAttribute(signedIn ? "data-text-signed-in" : "data-text-anonymous") || "";
      banner.textContent = text.replace("{seconds}", String(left));
    } else if (banner && !banner.hidden) {
      banner.hidden = true;
    }
  }

  function onInput() {
    lastInput = Date.now();
    // Tell the server too, so its own idle limit (the session's expiry) does not end a session in use.
    if (signedIn && keepaliveUrl && Date.now() - lastKeepalive > 30000) {
      lastKeepalive = Date.now();
      window.fetch(keepaliveUrl, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
        return response.json();
      }).then(function (data) {
        if (!data.active) { window.location.assign(homeUrl + "?ended=idle"); }
      }).catch(function () { /* offline: the countdown still runs */ });
    }
    tick();
  }

  ["pointerdown", "keydown", "touchstart", "input", "scroll"].forEach(function (name) {
    window.addEventListener(name, onInput, { passive: true });
  });
  window.setInterval(tick, 1000);

  // The QR login: ask every 2 s whether the phone approved; then complete the login with a POST.
  var qrStatus = document.querySelector("[data-terminal-qr-status]");
  if (qrStatus) {
    var complete = document.querySelector("[data-terminal-qr-complete]");
    var expired = document.querySelector("[data-terminal-qr-expired]");
    var poll = window.setInterval(function () {
      window.fetch(qrStatus.getAttribute("data-status-url"), { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (data.status === "approved") {
            window.clearInterval(poll);
            qrStatus.textContent = qrStatus.getAttribute("data-text-approved") || "";
            complete.submit();
          } else if (data.status === "expired") {
            window.clearInterval(poll);
            qrStatus.hidden = true;
            expired.hidden = false;
          }
        }).catch(function () { /* try again at the next tick */ });
    }, 2000);
  }

  var printButton = document.querySelector("[data-terminal-print]");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
  }
})();
