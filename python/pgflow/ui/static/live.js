// Live pages: one EventSource per page on /events; each event is a hint, so
// the page fetches what changed (list rows, or the run's statuses and live
// sections) and swaps it in. Fetches never overlap: a hint that arrives
// during one schedules exactly one more.
"use strict";
var pgflowLive = (function () {
  function refresher(fetchAndApply) {
    var busy = false, again = false;
    function run() {
      if (busy) { again = true; return; }
      busy = true;
      fetchAndApply().catch(function () {}).then(function () {
        busy = false;
        if (again) { again = false; run(); }
      });
    }
    return run;
  }
  function listen(url, onChange) {
    var source = new EventSource(url);
    source.addEventListener("change", onChange);
    source.addEventListener("open", onChange);  // after a reconnect: read everything again
    window.pgflowEvents = source;
    return source;
  }
  function drawDag(statuses) {
    var box = document.getElementById("dag");
    if (!box) return;
    var graph = JSON.parse(box.getAttribute("data-graph") || "null");
    pgflowDag.draw(box, graph, statuses);
  }
  function runsList(body) {
    var refresh = refresher(function () {
      return fetch(body.getAttribute("data-rows"), { cache: "no-store" })
        .then(function (r) { return r.text(); })
        .then(function (html) { body.innerHTML = html; window.pgflowRefreshes = (window.pgflowRefreshes || 0) + 1; });
    });
    listen("/events", refresh);
  }
  function runPage(runId, flowSlug) {
    var statuses = {};
    document.querySelectorAll("#step-table tr.step-row").forEach(function (row) {
      var badge = row.querySelector(".badge");
      statuses[row.getAttribute("data-step")] = badge ? badge.textContent.trim() : "created";
    });
    drawDag(statuses);
    var refresh = refresher(function () {
      return fetch("/runs/" + runId + "/live", { cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (state) {
          var box = document.getElementById("dag");
          if (box) pgflowDag.colour(box, state.steps);
          document.getElementById("live").innerHTML = state.html;
          var badge = document.getElementById("run-status");
          if (badge) { badge.textContent = state.status; badge.className = "badge st-" + state.status; }
          var cancel = document.getElementById("cancel");
          if (cancel) cancel.disabled = state.status !== "started";
          var retry = document.getElementById("retry");
          if (retry) retry.disabled = state.status !== "failed" && state.status !== "cancelled";
          var rerun = document.getElementById("rerun");
          if (rerun) rerun.disabled = state.status === "started";
          window.pgflowRefreshes = (window.pgflowRefreshes || 0) + 1;
        });
    });
    listen("/events?run=" + encodeURIComponent(runId) + "&flow=" + encodeURIComponent(flowSlug), refresh);
  }
  return { runsList: runsList, runPage: runPage, drawDag: drawDag };
})();
document.addEventListener("DOMContentLoaded", function () {
  if (document.getElementById("dag") && !document.getElementById("live")) pgflowLive.drawDag(null);
});
