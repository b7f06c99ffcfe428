// Visitor counter widget: GET the /visitors URL once per page view and show "N visitors".
// The URL comes from the page's ?api=<url> parameter, else the widget's data-api attribute,
// so the same file serves every environment without editing. No dependencies, no build step.
(function () {
  "use strict";

  var FAILED = "Could not load the visitor count";
  var widget = document.getElementById("visitor-counter");
  if (!widget) return;

  function show(state, text, count) {
    widget.dataset.state = state;
    if (count === undefined) {
      delete widget.dataset.count;
      widget.textContent = text;
      return;
    }
    widget.dataset.count = String(count);
    var number = document.createElement("span");
    number.className = "count";
    number.textContent = count.toLocaleString("en");
    widget.replaceChildren(number, document.createTextNode(count === 1 ? " visitor" : " visitors"));
  }

  function apiUrl() {
    var fromQuery = new URLSearchParams(window.location.search).get("api");
    var url = fromQuery || widget.dataset.api || "";
    try {
      var parsed = new URL(url);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (_) {
      return null;
    }
  }

  var url = apiUrl();
  if (!url) {
    show("error", FAILED + ": no API URL (open this page with ?api=<visitors URL>)");
    return;
  }

  // A plain GET with no custom headers is a "simple" CORS request: no preflight. no-store makes
  // every page view a real request, so a reload counts one more visit.
  fetch(url, { method: "GET", mode: "cors", cache: "no-store", credentials: "omit" })
    .then(function (response) {
      if (!response.ok) {
        throw new Error(FAILED + " (the API answered HTTP " + response.status + ")");
      }
      return response.json().then(
        function (body) {
          if (!body || typeof body.count !== "number") throw new Error(FAILED + " (unexpected answer)");
          return body.count;
        },
        function () {
          throw new Error(FAILED + " (the answer was not JSON)");
        }
      );
    })
    .then(
      function (count) {
        show("ok", "", count);
      },
      function (error) {
        // A network failure and a CORS block look the same to a page: a TypeError from fetch.
        // The browser's console says which it was.
        show("error", error instanceof TypeError ? FAILED : error.message);
      }
    );
})();
