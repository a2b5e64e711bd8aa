// Live inbox: listens to /inbox/events and updates the unread count in the header, and the list
// itself on the inbox page. Without JavaScript the same counts appear on the next page load.
(function () {
  "use strict";
  var link = document.getElementById("inbox-link");
  var badge = document.getElementById("inbox-unread");
  var count = document.getElementById("inbox-count");
  if (!link || !badge || !count || !window.EventSource) { return; }
  var list = document.getElementById("inbox-list");
  var status = document.getElementById("inbox-status");
  var source = new EventSource(link.getAttribute("data-events-url"));
  var refreshing = false;

  function showCount(unread) {
    count.textContent = unread >= 99 ? "99+" : String(unread);
    badge.hidden = unread < 1;
  }

  function refreshList() {
    if (!list || refreshing) { return; }
    refreshing = true;
    fetch(window.location.pathname + window.location.search,
          { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("inbox-list");
        if (fresh) { list.replaceWith(fresh); list = fresh; }
        if (status) { status.textContent = "A new reply arrived."; }
      })
      .catch(function () {
        if (status) { status.textContent = "A new reply arrived. Reload the page to see it."; }
      })
      .then(function () { refreshing = false; });
  }

  // Marks the link while the stream is open (for assistive styling, and for tests to wait on).
  source.addEventListener("ready", function () { link.setAttribute("data-live", "on"); });
  source.addEventListener("error", function () { link.removeAttribute("data-live"); });
  // The server is stopping (a restart or a deploy): the browser reconnects by itself.
  source.addEventListener("reconnect", function () { link.removeAttribute("data-live"); });
  source.addEventListener("inbox", function (message) {
    var data = {};
    try { data = JSON.parse(message.data); } catch (e) { data = {}; }
    if (typeof data.unread === "number") { showCount(data.unread); }
    refreshList();
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
