// event-gateway console, live tail: reads the gateway's SSE stream (events and delivery
// outcomes), shows the newest first, filters in place, pauses into a bounded buffer, and says
// when entries were missed. Rows are built with textContent only: event data never becomes
// markup.
(function () {
  "use strict";

  var table = document.getElementById("tail");
  if (!table || !window.EventSource) return;
  var rows = document.getElementById("tail-rows");
  var stateLine = document.getElementById("tail-state");
  var toggle = document.getElementById("tail-toggle");
  var banner = document.getElementById("tail-missed");
  var bannerText = document.getElementById("tail-missed-text");
  var bannerLink = document.getElementById("tail-missed-link");
  var form = document.getElementById("tail-filters");

  var CAP = parseInt(table.getAttribute("data-buffer"), 10) || 1000; // entries held unrendered
  var MAX_ROWS = 500; // rows kept on the page (older ones scroll away: shown, not missed)

  var paused = false;
  var queue = [];
  var scheduled = false;
  var shown = 0;
  var missed = 0;
  var missedSince = null;
  var missedWhy = "";
  var lastId = null;
  var lostAt = null;
  var source = null;

  // ---- filters -------------------------------------------------------------------------
  function filters() {
    var f = {};
    form.querySelectorAll("[data-filter]").forEach(function (el) {
      f[el.getAttribute("data-filter")] = el.value.trim();
    });
    return f;
  }
  var current = filters();

  function matches(entry, f) {
    if (f.type && entry.type.indexOf(f.type) !== 0) return false;
    if (f.source && entry.source.indexOf(f.source) !== 0) return false;
    if (entry.kind === "event") {
      return !f.subscription && (!f.status || f.status === "event");
    }
    if (f.status === "event") return false;
    if (f.subscription && entry.subscription !== f.subscription) return false;
    if (f.status === "delivered" && entry.outcome !== "delivered") return false;
    if (f.status === "failed" && entry.outcome !== "retry" && entry.outcome !== "dead_lettered") return false;
    if (f.status === "dead_lettered" && entry.outcome !== "dead_lettered") return false;
    return true;
  }

  function applyFilters() {
    current = filters();
    rows.querySelectorAll("tr").forEach(function (tr) {
      tr.hidden = !matches(tr._entry, current);
    });
    var params = new URLSearchParams();
    Object.keys(current).forEach(function (k) { if (current[k]) params.set(k, current[k]); });
    var buffer = new URLSearchParams(window.location.search).get("buffer");
    if (buffer) params.set("buffer", buffer);
    var query = params.toString();
    history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
  }
  form.addEventListener("input", applyFilters);
  form.addEventListener("change", applyFilters);
  form.addEventListener("submit", function (e) { e.preventDefault(); applyFilters(); });

  // ---- state line and banner -----------------------------------------------------------
  function say(text) { stateLine.textContent = text; }

  function describe() {
    if (paused) {
      say("Paused · " + queue.length + " waiting" + (queue.length >= CAP ? " (buffer full)" : ""));
    } else {
      say("Live · " + shown + (shown === 1 ? " entry" : " entries"));
    }
  }

  function showMissed() {
    var text = missed + (missed === 1 ? " entry was" : " entries were") + " not shown: " + missedWhy + ".";
    bannerText.textContent = text;
    var since = missedSince ? missedSince.toISOString() : "";
    bannerLink.href = "/console/events" + (since ? "?since=" + encodeURIComponent(since) : "");
    banner.hidden = false;
  }

  function noteMissed(count, since, why) {
    missed += count;
    if (!missedSince || (since && since < missedSince)) missedSince = since;
    missedWhy = why;
    showMissed();
  }

  document.getElementById("tail-missed-dismiss").addEventListener("click", function () {
    banner.hidden = true;
    missed = 0;
    missedSince = null;
    toggle.focus();
  });

  // ---- rendering -------------------------------------------------------------------------
  function cell(tr, text, className) {
    var td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (className) td.className = className;
    tr.appendChild(td);
    return td;
  }

  function clock(iso) {
    if (!iso) return "";
    var t = new Date(iso);
    if (isNaN(t)) return iso;
    return t.toISOString().slice(11, 23);
  }

  function render(entry) {
    var tr = document.createElement("tr");
    tr._entry = entry;
    tr.tabIndex = -1;
    tr.setAttribute("data-kind", entry.kind);
    tr.setAttribute("data-type", entry.type);
    tr.setAttribute("data-event-id", entry.id);
    if (entry.href) tr.setAttribute("data-href", entry.href);
    if (entry.kind === "delivery") {
      tr.setAttribute("data-subscription", entry.subscription);
      tr.setAttribute("data-outcome", entry.outcome);
    }
    var time = document.createElement("td");
    var stamp = document.createElement("time");
    stamp.dateTime = entry.time || "";
    stamp.textContent = clock(entry.time);
    time.appendChild(stamp);
    tr.appendChild(time);
    var kind = cell(tr, "");
    var badge = document.createElement("span");
    badge.className = "badge " + (entry.kind === "event" ? "info" : "warn");
    badge.textContent = entry.kind === "event" ? "event" : "delivery";
    kind.appendChild(badge);
    var typeCell = cell(tr, "");
    if (entry.href) {
      var link = document.createElement("a");
      link.href = entry.href;
      link.textContent = entry.type;
      typeCell.appendChild(link);
    } else {
      typeCell.textContent = entry.type;
    }
    cell(tr, entry.source + " · " + entry.id, "mono");
    cell(tr, entry.subscription || "");
    var outcome = cell(tr, "");
    if (entry.kind === "delivery") {
      var o = document.createElement("span");
      var good = entry.outcome === "delivered";
      var bad = entry.outcome === "dead_lettered";
      o.className = "badge " + (good ? "good" : bad ? "bad" : entry.outcome === "retry" ? "warn" : "info");
      o.textContent = entry.outcome.replace("_", " ") + (entry.status ? " " + entry.status : "");
      outcome.appendChild(o);
      if (entry.error) {
        var err = document.createElement("div");
        err.className = "excerpt";
        err.textContent = entry.error;
        outcome.appendChild(err);
      }
    }
    cell(tr, entry.kind === "delivery" && entry.attempt > 0 ? entry.latency + " ms" : "", "num");
    tr.hidden = !matches(entry, current);
    tr.className = "fresh";
    return tr;
  }

  function flush() {
    scheduled = false;
    if (paused) return;
    var batch = queue;
    queue = [];
    var fragment = document.createDocumentFragment();
    for (var i = batch.length - 1; i >= 0; i--) fragment.appendChild(render(batch[i]));
    rows.insertBefore(fragment, rows.firstChild);
    shown += batch.length;
    while (rows.children.length > MAX_ROWS) rows.removeChild(rows.lastChild);
    describe();
  }

  function schedule() {
    if (scheduled || paused) return;
    scheduled = true;
    window.requestAnimationFrame(flush);
  }

  function accept(entry) {
    if (queue.length >= CAP) {
      var dropped = queue.shift();
      noteMissed(1, dropped.time ? new Date(dropped.time) : new Date(),
        paused ? "more arrived while paused than the tail holds (" + CAP + ")"
               : "they arrived faster than this page could show them");
    }
    queue.push(entry);
    if (paused) describe(); else schedule();
  }

  // ---- pause and resume --------------------------------------------------------------------
  function setPaused(value) {
    paused = value;
    toggle.setAttribute("aria-pressed", paused ? "true" : "false");
    toggle.textContent = paused ? "Resume" : "Pause";
    describe();
    if (!paused) schedule();
  }
  toggle.addEventListener("click", function () { setPaused(!paused); });

  // ---- keyboard ---------------------------------------------------------------------------
  function visibleRows() {
    return Array.prototype.filter.call(rows.children, function (tr) { return !tr.hidden; });
  }

  function move(step) {
    var list = visibleRows();
    if (!list.length) return;
    var at = list.indexOf(document.activeElement);
    var next = at < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, at + step));
    list[next].focus();
    list[next].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t.closest && t.closest("input, textarea, select")) return;
    if (e.key === " " || e.key === "Spacebar") {
      if (t.closest && t.closest("button, a, summary")) return; // their own click
      e.preventDefault();
      setPaused(!paused);
    } else if (e.key === "j") {
      e.preventDefault();
      move(1);
    } else if (e.key === "k") {
      e.preventDefault();
      move(-1);
    } else if (e.key === "Enter" && t.parentNode === rows && t.getAttribute("data-href")) {
      e.preventDefault();
      window.location.assign(t.getAttribute("data-href"));
    }
  });

  rows.addEventListener("click", function (e) {
    if (e.target.closest("a")) return;
    var tr = e.target.closest("tr");
    if (tr) tr.focus();
  });

  // ---- the stream -------------------------------------------------------------------------
  function connect(from) {
    var url = table.getAttribute("data-stream") + (from ? "&from=" + encodeURIComponent(from) : "");
    source = new EventSource(url);
    source.addEventListener("open", function () {
      if (lostAt) {
        if (lastId === null) {
          noteMissed(0, lostAt, "the connection dropped at " + lostAt.toISOString() +
            " before anything arrived, and resumed from the newest entry");
          bannerText.textContent = "Entries may be missing: " + missedWhy + ".";
        }
        lostAt = null;
      }
      describe();
    });
    source.addEventListener("cloudevent", function (m) {
      lastId = m.lastEventId || lastId;
      var event;
      try { event = JSON.parse(m.data); } catch (_) { return; }
      var cursor = (m.lastEventId || "").split(".")[0];
      accept({
        kind: "event",
        time: event.time || new Date().toISOString(),
        type: String(event.type || ""),
        source: String(event.source || ""),
        id: String(event.id || ""),
        href: cursor && cursor !== "-" ? "/console/events/" + encodeURIComponent(cursor) : null
      });
    });
    source.addEventListener("delivery", function (m) {
      lastId = m.lastEventId || lastId;
      var d;
      try { d = JSON.parse(m.data); } catch (_) { return; }
      var ev = d.event || {};
      accept({
        kind: "delivery",
        time: d.time,
        type: String(ev.type || ""),
        source: String(ev.source || ""),
        id: String(ev.id || ""),
        subscription: String(d.subscription || ""),
        outcome: String(d.outcome || ""),
        status: d.status,
        attempt: d.attempt,
        latency: d.latencyMs,
        error: d.error || null,
        href: d.cursor ? "/console/events/" + encodeURIComponent(d.cursor) : null
      });
    });
    source.addEventListener("error", function () {
      if (!lostAt) lostAt = new Date();
      say("Reconnecting…");
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up: start again where we were (no gap), after a pause.
        setTimeout(function () { connect(lastId); }, 2000);
      }
    });
  }

  window.addEventListener("pagehide", function () { if (source) source.close(); });
  describe();
  connect(null);
})();
