/* The sites picker of a consultation: "whole district" ticks its sites, counts follow, a filter box.
   Progressive enhancement only: without it the server expands a ticked district to its sites. */
(function () {
  "use strict";
  document.querySelectorAll("[data-lx-sites]").forEach(function (picker) {
    var count = picker.querySelector("[data-lx-count]");
    var filter = picker.querySelector("[data-lx-filter]");

    function refresh(group) {
      var sites = group.querySelectorAll("[data-lx-site] input");
      var ticked = group.querySelectorAll("[data-lx-site] input:checked").length;
      var whole = group.querySelector("[data-lx-whole]");
      group.querySelector("[data-lx-group-count]").textContent = ticked;
      if (whole) {
        whole.checked = sites.length > 0 && ticked === sites.length;
        whole.indeterminate = ticked > 0 && ticked < sites.length;
      }
      count.textContent = picker.querySelectorAll("[data-lx-site] input:checked").length;
    }

    picker.querySelectorAll("[data-lx-group]").forEach(function (group) {
      group.addEventListener("change", function (event) {
        if (event.target.hasAttribute("data-lx-whole")) {
          group.querySelectorAll("[data-lx-site] input").forEach(function (box) {
            box.checked = event.target.checked;
          });
        }
        refresh(group);
      });
      refresh(group);
    });

    if (filter) {
      filter.hidden = false;
      filter.addEventListener("input", function () {
        var words = filter.value.trim().toLowerCase();
        picker.querySelectorAll("[data-lx-group]").forEach(function (group) {
          var shown = 0;
          group.querySelectorAll("[data-lx-site]").forEach(function (site) {
            var match = !words || site.getAttribute("data-lx-text").toLowerCase().indexOf(words) !== -1;
            site.hidden = !match;
            if (match) { shown += 1; }
          });
          group.hidden = shown === 0;
          if (words) { group.open = shown > 0; }
        });
      });
    }
  });
})();
