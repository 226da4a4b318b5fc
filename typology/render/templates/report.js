(function () {
  "use strict";
  // Sortable region table and the region-profile picker; no data is inserted as HTML.
  var table = document.getElementById("regions-table");
  var select = document.getElementById("profile-select");
  function key(cell, type) {
    if (type === "num") {
      var v = cell.getAttribute("data-sort");
      return v === "" || v === null ? null : parseFloat(v);
    }
    return cell.textContent;
  }
  function sortBy(th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var type = th.getAttribute("data-type");
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.children, function (other) { other.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[index], type), y = key(b.cells[index], type);
      if (x === null && y === null) { return 0; }
      if (x === null) { return 1; }  // missing values always last
      if (y === null) { return -1; }
      var c = type === "num" ? x - y : x.localeCompare(y, "ko");
      return ascending ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function show(code) {
    var panels = document.querySelectorAll("#profiles .region-profile");
    Array.prototype.forEach.call(panels, function (p) { p.hidden = p.getAttribute("data-code") !== code; });
    if (select.value !== code) { select.value = code; }
    Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
      r.classList.toggle("selected", r.getAttribute("data-code") === code);
    });
  }
  if (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.addEventListener("click", function () { sortBy(th); });
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(th); } });
    });
    table.tBodies[0].addEventListener("click", function (e) {
      var row = e.target.closest("tr");
      if (row && select) {
        show(row.getAttribute("data-code"));
        // On one-column layouts the panel sits above the table's box: bring it back into view. The
        // box is short enough that the clicked row stays in view below it.
        var panel = select.closest(".viewer").getBoundingClientRect();
        if (panel.top < 0 || panel.bottom > window.innerHeight) { select.closest(".viewer").scrollIntoView({block: "start"}); }
      }
    });
  }
  if (select) {
    select.addEventListener("change", function () { show(select.value); });
  }
}());
