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
