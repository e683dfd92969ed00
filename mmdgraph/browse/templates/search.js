(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("search-index").textContent);
  var input = document.getElementById("q");
  var list = document.getElementById("results");
  var status = document.getElementById("status");
  function norm(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }
  data.entries.forEach(function (e) { e.n = e.k.map(norm); });
  function score(e, q) {
    var best = 0;
    for (var i = 0; i < e.n.length; i++) {
      var k = e.n[i];
      if (k === q) { best = Math.max(best, 3); }
      else if (k.indexOf(q) === 0) { best = Math.max(best, 2); }
      else if (q.length > 2 && k.indexOf(q) > 0) { best = Math.max(best, 1); }
    }
    return best;
  }
  function run() {
    var q = norm(input.value);
    list.textContent = "";
    if (!q) { status.textContent = data.entries.length + " pages; type a name, a code or a word."; return; }
    var hits = [];
    data.entries.forEach(function (e) { var s = score(e, q); if (s) { hits.push([s, e]); } });
    hits.sort(function (a, b) { return b[0] - a[0] || a[1].l.localeCompare(b[1].l); });
    status.textContent = hits.length + " found";
    hits.slice(0, 200).forEach(function (h) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = h[1].h; a.textContent = h[1].l;
      var t = document.createElement("span");
      t.className = "badge"; t.textContent = h[1].t;
      li.appendChild(a); li.appendChild(t); list.appendChild(li);
    });
  }
  var params = new URLSearchParams(window.location.search);
  if (params.get("q")) { input.value = params.get("q"); }
  input.addEventListener("input", run);
  run();
})();
