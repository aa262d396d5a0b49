// The on-site audit page: +/- buttons on the points, the browser's location, a confirmation before submitting.
(function () {
  "use strict";
  var form = document.getElementById("lx-audit-form");
  if (!form) { return; }

  function parse(text) {
    var value = parseFloat(String(text || "").replace(",", "."));
    return isNaN(value) ? null : value;
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-step]");
    if (!button) { return; }
    var input = document.getElementById(button.getAttribute("data-target"));
    var max = parse(input.getAttribute("data-max"));
    var current = parse(input.value);
    var next = (current === null ? 0 : current) + parse(button.getAttribute("data-step"));
    if (current === null && next < 0) { next = 0; }
    next = Math.max(0, max === null ? next : Math.min(max, next));
    input.value = String(Math.round(next * 100) / 100);
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });

  var locate = document.getElementById("lx-locate");
  var status = document.getElementById("lx-location-status");
  if (locate && status) {
    locate.addEventListener("click", function () {
      if (!navigator.geolocation) { status.textContent = status.getAttribute("data-unsupported"); return; }
      locate.disabled = true;
      navigator.geolocation.getCurrentPosition(function (position) {
        document.getElementById("lx-lat").value = position.coords.latitude.toFixed(6);
        document.getElementById("lx-lng").value = position.coords.longitude.toFixed(6);
        document.getElementById("lx-acc").value = Math.round(position.coords.accuracy);
        status.textContent = status.getAttribute("data-done").replace("%s", Math.round(position.coords.accuracy));
        locate.disabled = false;
      }, function () {
        status.textContent = status.getAttribute("data-failed");
        locate.disabled = false;
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.value === "submit" && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
