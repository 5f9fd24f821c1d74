
(function () {
  var nav = document.getElementById("filters");
  var rule = document.getElementById("f-rule");
  var file = document.getElementById("f-file");
  var query = document.getElementById("f-claim");
  var sort = document.getElementById("f-sort");
  var boxes = Array.prototype.slice.call(nav.querySelectorAll("input[data-severity]"));
  var shown = document.getElementById("shown");
  var active = document.getElementById("active");
  var files = Array.prototype.slice.call(document.querySelectorAll("section.file"));
  var work = document.querySelector("table#worklist tbody");
  function severityOn(value) {
    return boxes.some(function (box) { return box.checked ? box.dataset.severity === value : false; });
  }
  function claimOk(node) {
    var wanted = query.value.trim().toLowerCase();
    return wanted === "" ? true : node.dataset.claim.indexOf(wanted) !== -1;
  }
  function filtering() {
    var off = boxes.some(function (box) { return !box.checked; });
    return off ? true : (rule.value + query.value.trim() + file.value) !== "";
  }
  function fileOk(number) { return file.value === "" ? true : file.value === number; }
  function rowOk(row) {
    return (rule.value === "" ? true : row.dataset.rule === rule.value) ? severityOn(row.dataset.severity) : false;
  }
  function key(node) {
    if (sort.value === "amount") { return -parseFloat(node.dataset.amount || "0"); }
    if (sort.value === "date") { return node.dataset.date || "9999"; }
    if (sort.value === "rule") { return node.dataset.rule || "~"; }
    if (sort.value === "claim") { return node.dataset.claim; }
    return parseInt(node.dataset.order, 10);
  }
  function arrange(parent, nodes) {
    nodes.sort(function (a, b) { var x = key(a), y = key(b); return x === y ? 0 : (x > y ? 1 : -1); });
    nodes.forEach(function (node) { parent.appendChild(node); });
  }
  function describe() {
    var parts = [];
    if (rule.value !== "") { parts.push("only " + rule.options[rule.selectedIndex].text); }
    var off = boxes.filter(function (box) { return !box.checked; });
    if (off.length) { parts.push("hiding " + off.map(function (box) { return box.dataset.severity; }).join(", ")); }
    if (query.value.trim() !== "") { parts.push("claim ids containing \u201c" + query.value.trim() + "\u201d"); }
    if (file.value !== "") { parts.push("file " + file.options[file.selectedIndex].text); }
    if (sort.value !== "") { parts.push("sorted by " + sort.options[sort.selectedIndex].text); }
    return parts.length ? "Filter: " + parts.join("; ") + "." : "Filter: none (everything is shown).";
  }
  function remember() {
    var state = [];
    if (rule.value !== "") { state.push("rule=" + encodeURIComponent(rule.value)); }
    if (query.value.trim() !== "") { state.push("q=" + encodeURIComponent(query.value.trim())); }
    if (file.value !== "") { state.push("file=" + encodeURIComponent(file.value)); }
    if (sort.value !== "") { state.push("sort=" + encodeURIComponent(sort.value)); }
    var off = boxes.filter(function (box) { return !box.checked; });
    if (off.length) { state.push("hide=" + off.map(function (box) { return box.dataset.severity; }).join(",")); }
    history.replaceState(null, "", state.length ? "#" + state.join("\u0026") : location.pathname);
  }
  function restore() {
    location.hash.replace(/^#/, "").split("\u0026").forEach(function (pair) {
      var at = pair.indexOf("=");
      if (at === -1) { return; }
      var name = pair.slice(0, at), value = decodeURIComponent(pair.slice(at + 1));
      if (name === "rule") { rule.value = value; }
      if (name === "q") { query.value = value; }
      if (name === "file") { file.value = value; }
      if (name === "sort") { sort.value = value; }
      if (name === "hide") {
        boxes.forEach(function (box) { box.checked = value.split(",").indexOf(box.dataset.severity) === -1; });
      }
    });
  }
  function apply() {
    var total = 0, claims = 0;
    files.forEach(function (section) {
      var count = 0;
      var boxesOfClaims = Array.prototype.slice.call(section.querySelectorAll("section.claim"));
      boxesOfClaims.forEach(function (claim) {
        var rows = 0;
        var ok = claimOk(claim) ? fileOk(section.dataset.file) : false;
        claim.querySelectorAll("tr.finding, tr.removed").forEach(function (row) {
          row.hidden = ok ? !rowOk(row) : true;
          rows += row.hidden ? 0 : (row.classList.contains("finding") ? 1 : 0);
        });
        claim.hidden = rows === 0;
        count += rows;
        claims += claim.hidden ? 0 : 1;
      });
      if (boxesOfClaims.length) { arrange(boxesOfClaims[0].parentNode, boxesOfClaims); }
      section.hidden = count === 0 ? (filtering() ? true : !section.classList.contains("failed")) : false;
      total += count;
    });
    if (work) {
      var items = Array.prototype.slice.call(work.querySelectorAll("tr"));
      items.forEach(function (row) {
        var ruleOk = rule.value === "" ? true : (" " + row.dataset.rules + " ").indexOf(" " + rule.value + " ") !== -1;
        var where = claimOk(row) ? fileOk(row.dataset.file) : false;
        row.hidden = !(ruleOk ? (where ? severityOn(row.dataset.severity) : false) : false);
      });
      arrange(work, items);
    }
    shown.textContent = total + " findings in " + claims + " claims shown";
    active.textContent = describe();
    remember();
  }
  nav.addEventListener("change", apply);
  query.addEventListener("input", apply);
  document.getElementById("f-clear").addEventListener("click", function () {
    rule.value = ""; file.value = ""; query.value = ""; sort.value = "";
    boxes.forEach(function (box) { box.checked = true; });
    apply();
  });
  document.querySelectorAll("button[data-sort]").forEach(function (button) {
    button.addEventListener("click", function () { sort.value = button.dataset.sort; apply(); });
  });
  document.querySelectorAll("button[data-only]").forEach(function (button) {
    button.addEventListener("click", function () { rule.value = button.dataset.only; apply(); nav.scrollIntoView(); });
  });
  restore();
  nav.hidden = false;
  apply();
})();
