// Live progress for an export page: polls the export's JSON status and updates the bar.
// When the export finishes, the page reloads once to show the report and the files.
(function () {
  "use strict";
  var box = document.getElementById("export-progress");
  if (!box || box.getAttribute("data-finished") === "true") {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("export-bar");
  var count = document.getElementById("export-count");
  var state = document.getElementById("export-state");
  var delay = 1000;

  function show(status) {
    bar.value = status.percent;
    bar.textContent = status.percent + "%";
    count.textContent = status.progress_done + " of " + status.progress_total +
      " subjects read (" + status.percent + "%)";
    state.textContent = status.state.charAt(0).toUpperCase() + status.state.slice(1);
    state.className = "badge " + status.state;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (status.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () {
        delay = Math.min(delay * 2, 15000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
}());
