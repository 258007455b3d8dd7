/* Filters for the milestone tables: by country, status and deadline. Without JavaScript the form stays hidden
   and every milestone is listed. No network, no storage: it only shows and hides rows of this page. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-milestone]"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("section[data-agreement]"));
  var count = document.getElementById("filter-count");
  var empty = document.getElementById("filter-empty");
  function apply() {
    var country = form.elements.country.value;
    var status = form.elements.status.value;
    var deadline = form.elements.deadline.value;
    var shown = 0;
    rows.forEach(function (tr) {
      var ok = (!country || tr.getAttribute("data-countries").split(" ").indexOf(country) >= 0) &&
        (!status || tr.getAttribute("data-status") === status) &&
        (!deadline || tr.getAttribute("data-deadline") === deadline);
      tr.hidden = !ok;
      if (ok) { shown += 1; }
    });
    sections.forEach(function (section) {
      section.hidden = !section.querySelector("tr[data-milestone]:not([hidden])");
    });
    count.textContent = shown === rows.length ? "All " + rows.length + " milestones shown" :
      shown + " of " + rows.length + " milestones shown";
    empty.hidden = shown > 0;
  }
  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  form.hidden = false;
  apply();
}());
