// berth console: live updates through server-sent events. Every page works
// without JavaScript; with it, the parts of a page marked data-live are
// fetched again and replaced whenever the server says a run changed.
(function () {
  "use strict";
  var stream = document.querySelector("[data-stream]");
  if (!stream || !window.EventSource || !window.fetch) return;
  var status = document.getElementById("live-status");
  var page = stream.getAttribute("data-page") || location.href;
  var timer = null, busy = false, again = false;

  function say(text) { if (status) status.textContent = text; }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(page, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var focused = document.activeElement && document.activeElement.id;
        document.querySelectorAll("[data-live][id]").forEach(function (el) {
          var fresh = doc.getElementById(el.id);
          if (fresh) el.innerHTML = fresh.innerHTML;
        });
        if (focused) {
          var f = document.getElementById(focused);
          if (f && f !== document.activeElement) f.focus();
        }
        say("Updated at " + new Date().toLocaleTimeString() + ".");
      })
      .catch(function () { say("Could not update this page; reload it to see the latest."); })
      .finally(function () {
        busy = false;
        if (again) { again = false; schedule(); }
      });
  }

  function schedule() {
    if (timer) return;
    timer = setTimeout(function () { timer = null; refresh(); }, 250);
  }

  var source = new EventSource(stream.getAttribute("data-stream"));
  source.addEventListener("change", schedule);
  source.addEventListener("open", function () {
    if (!status.textContent) say("Live: this page updates as runs change.");
  });
  source.addEventListener("error", function () {
    if (source.readyState === EventSource.CLOSED) say("Live updates stopped; reload the page to see changes.");
  });
})();
