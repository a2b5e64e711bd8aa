// Live moderation queue: listens to /mod/events and refreshes the list in place.
// Without JavaScript the page works the same, by reloading.
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  var queue = document.getElementById("queue");
  if (!status || !queue || !window.EventSource) { return; }
  var source = new EventSource(status.getAttribute("data-events-url"));
  var refreshing = false;
  // The stream dropped: the browser reconnects by itself, sending the last event's id, and the
  // server sends what was missed meanwhile (or a resync if it cannot).
  var interrupted = false;

  function refresh(announce) {
    if (refreshing) { return; }
    refreshing = true;
    fetch(window.location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("queue");
        if (fresh) { queue.replaceWith(fresh); queue = fresh; }
        if (announce) {
          status.textContent = announce;
          status.classList.add("live-status--alert");
        }
      })
      .catch(function () { status.textContent = "Couldn't refresh the queue. Reload the page to see new items."; })
      .then(function () { refreshing = false; });
  }

  source.addEventListener("ready", function () {
    status.textContent = "Live: new items appear here by themselves.";
    interrupted = false;
  });
  // The server is stopping (a restart or a deploy): the browser reconnects by itself.
  source.addEventListener("reconnect", function () {
    interrupted = true;
    status.textContent = "The forum is restarting; live updates resume in a moment…";
  });
  source.addEventListener("queue", function (message) {
    var data = {};
    try { data = JSON.parse(message.data); } catch (e) { data = {}; }
    if (data.level === "urgent" && (data.change === "opened" || data.change === "reescalated")) {
      status.setAttribute("role", "alert");
      status.classList.add("live-status--urgent");
      refresh("Urgent: a post suggests someone may be at risk right now. Please look at it first.");
      document.title = "(!) " + document.title.replace(/^\(!\) /, "");
      return;
    }
    refresh(data.change === "opened" ? "New item in the queue." : "The queue was updated.");
  });
  source.onerror = function () {
    if (interrupted) { return; }  // keeps the restart message
    interrupted = true;
    status.textContent = "Live updates paused; reconnecting…";
  };
})();
