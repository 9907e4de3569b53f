// event-gateway console: keyboard shortcuts, copy buttons, "select all" boxes, and the
// activity signal that makes live parts refresh (htmx listens for `gateway-activity`).
// Everything here is an enhancement: every page works without it.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.closest) return false;
    return !!target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
  }

  // `g` then a letter: go to the page whose menu entry says so (`g o`, `g t`, …).
  var pendingG = 0;
  var shortcuts = {};
  document.querySelectorAll("nav a[data-shortcut]").forEach(function (a) {
    var keys = a.getAttribute("data-shortcut").split(" ");
    if (keys.length === 2 && keys[0] === "g") shortcuts[keys[1]] = a.getAttribute("href");
  });

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape" && typing(e.target)) {
      e.preventDefault(); // a search box would clear itself: leaving it keeps the filter
      e.target.blur();
      return;
    }
    if (typing(e.target)) return;
    if (e.key === "?") {
      var help = document.getElementById("help");
      if (help && help.showModal && !help.open) {
        e.preventDefault();
        help.showModal();
      }
      return;
    }
    if (e.key === "/") {
      var box = document.querySelector("form[role=search] input, form[role=search] select");
      if (box) {
        e.preventDefault();
        box.focus();
        if (box.select) box.select();
      }
      return;
    }
    if (e.key === "g") {
      pendingG = Date.now();
      return;
    }
    if (pendingG && Date.now() - pendingG < 1500 && shortcuts[e.key]) {
      e.preventDefault();
      pendingG = 0;
      window.location.assign(shortcuts[e.key]);
      return;
    }
    pendingG = 0;
  });

  // Copy buttons: the text of the element they name.
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {
        source.select && source.select();
      });
    } else if (source.select) {
      source.select();
      try { if (document.execCommand("copy")) done(); } catch (_) { /* selected: copy by hand */ }
    }
  });

  // "Select all" boxes: toggle every checkbox of the named field.
  document.addEventListener("change", function (e) {
    var name = e.target.getAttribute && e.target.getAttribute("data-select-all");
    if (!name) return;
    document.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(function (box) {
      box.checked = e.target.checked;
    });
  });

  // Live parts: one stream per page; any entry means "something happened".
  function watchActivity() {
    if (!document.querySelector("[data-live=activity]") || !window.EventSource) return;
    if (document.getElementById("tail")) return; // the tail has its own stream and signals
    var source = new EventSource("/console/stream?include=deliveries");
    var signal = function () {
      document.body.dispatchEvent(new CustomEvent("gateway-activity", { bubbles: true }));
    };
    source.addEventListener("cloudevent", signal);
    source.addEventListener("delivery", signal);
    window.addEventListener("pagehide", function () { source.close(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", watchActivity);
  } else {
    watchActivity();
  }
})();
