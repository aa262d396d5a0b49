/* Searchable choosers: turn every <select data-search-select> into a Tom Select (lianxin/core/widgets.py).
 * Without this script the select still works as a plain one. With data-search-url the options come from
 * a JSON endpoint as the user types (?q=…, plus the form fields named in data-search-forward). */
(function () {
  "use strict";

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function enhance(select) {
    if (select.tomselect || typeof TomSelect === "undefined") { return; }
    var data = select.dataset;
    var multiple = select.multiple;
    var settings = {
      plugins: multiple ? { remove_button: { title: data.removeTitle || "" } } : {},
      placeholder: data.placeholder || "",
      hidePlaceholder: false,
      maxOptions: null,
      allowEmptyOption: !multiple,
      closeAfterSelect: !multiple,
      onItemAdd: function () {
        // Chosen: clear the typed text, so the next name can be typed straight away.
        this.setTextboxValue("");
        this.refreshOptions(false);
      },
      render: {
        no_results: function () {
          return '<div class="no-results">' + escapeHtml(data.noResults) + "</div>";
        },
        option: function (item) {
          var hint = item.hint ? ' <small class="text-body-secondary">' + escapeHtml(item.hint) + "</small>" : "";
          return "<div>" + escapeHtml(item.text) + hint + "</div>";
        },
      },
    };
    if (data.searchUrl) {
      var forward = (data.searchForward || "").split(" ").filter(Boolean);
      settings.valueField = "value";
      settings.labelField = "text";
      settings.searchField = ["text"];
      settings.preload = "focus";
      settings.loadThrottle = 250;
      settings.shouldLoad = function () { return true; };
      settings.render.loading = function () {
        return '<div class="spinner-border spinner-border-sm m-2" role="status"><span class="visually-hidden">'
          + escapeHtml(data.loading) + "</span></div>";
      };
      settings.load = function (query, callback) {
        var url = new URL(data.searchUrl, window.location.href);
        url.searchParams.set("q", query);
        forward.forEach(function (name) {
          var field = select.form && select.form.elements[name];
          if (field && field.value) { url.searchParams.set(name, field.value); }
        });
        fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) {
            if (!response.ok) { throw new Error(String(response.status)); }
            return response.json();
          })
          .then(function (json) { callback(json.results || []); })
          .catch(function () {
            callback();
            ts.dropdown_content.innerHTML = '<div class="no-results text-danger">' + escapeHtml(data.searchFailed) + "</div>";
          });
      };
    }
    var ts = new TomSelect(select, settings);
    if (data.searchUrl) {
      // Another area chosen: forget the options found for the old one (the chosen ones stay).
      (data.searchForward || "").split(" ").filter(Boolean).forEach(function (name) {
        var field = select.form && select.form.elements[name];
        if (field && field.addEventListener) {
          field.addEventListener("change", function () { ts.clearOptions(); });
        }
      });
    }
  }

  function enhanceAll(root) {
    (root || document).querySelectorAll("select[data-search-select]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  } else {
    enhanceAll(document);
  }
  document.addEventListener("htmx:load", function (event) { enhanceAll(event.target); });
})();
