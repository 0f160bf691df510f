// Search suggestions: the knowledge base's own search, asked as the user types (same origin only).
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("suggestions");
  if (!input || !list) { return; }
  var timer = null;
  var last = "";
  input.addEventListener("input", function () {
    var text = input.value.trim();
    if (timer) { clearTimeout(timer); }
    if (text.length < 2 || text === last) { return; }
    timer = setTimeout(function () {
      last = text;
      fetch("/api/search?limit=8&q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (hits) {
          list.replaceChildren();
          hits.forEach(function (hit) {
            var option = document.createElement("option");
            option.value = hit.name;
            option.label = (hit.subkind || hit.kind) + " · " + hit.id;
            list.appendChild(option);
          });
        })
        .catch(function () { list.replaceChildren(); });
    }, 150);
  });
})();

// Folded sections open when a link points into them (e.g. "details" in a state's summary).
(function () {
  "use strict";
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target) { return; }
    var fold = target.matches("details") ? target : target.querySelector("details.fold") || target.closest("details");
    if (fold && !fold.open) { fold.open = true; target.scrollIntoView(); }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
