// Quick exit: the button, or Shift pressed three times, blanks the page at once and replaces it
// with a neutral site. location.replace swaps this page out of the tab's history, so Back does
// not lead here. Without JavaScript the button is a plain link to the same site.
(function () {
  "use strict";
  var button = document.getElementById("quick-exit");
  if (!button) { return; }
  var target = button.getAttribute("href");
  var PRESSES = 3;
  var WITHIN_MS = 2000;
  var presses = [];

  function leave() {
    document.documentElement.classList.add("quick-exit-leaving");
    document.title = "";
    window.location.replace(target);
  }

  button.addEventListener("click", function (event) {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    event.preventDefault();
    leave();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift") { presses = []; return; }
    if (event.repeat) { return; }
    var now = Date.now();
    presses.push(now);
    presses = presses.filter(function (t) { return now - t <= WITHIN_MS; });
    if (presses.length >= PRESSES) { presses = []; leave(); }
  });
})();
