// What the staff pages share: elements, JSON requests, the live stream, durations, request ids.
"use strict";

var Staff = (function () {
  var $ = Antrian.$, el = Antrian.el;     // common.js, loaded before this file

  // A request id: unique per action, kept for its resend (the queue does an id once).
  function requestId() {
    var b = new Uint8Array(9);
    crypto.getRandomValues(b);
    return "w-" + Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
  }

  // {status, body} or {status: 0} when the network failed (nothing is known of the answer).
  async function send(method, url, body) {
    try {
      var r = await fetch(url, {method: method, credentials: "same-origin", cache: "no-store",
        headers: body ? {"Content-Type": "application/json"} : {},
        body: body ? JSON.stringify(body) : undefined});
      if (r.status === 401) { location.href = "/manage/login"; return {status: 401, body: {}}; }
      var data = {};
      try { data = await r.json(); } catch (e) {}
      return {status: r.status, body: data};
    } catch (e) {
      return {status: 0, body: {}};
    }
  }

  function duration(s) {
    if (s === null || s === undefined) return "–";
    s = Math.max(0, Math.round(s));
    var m = Math.floor(s / 60), r = s % 60;
    if (m >= 60) return Math.floor(m / 60) + " j " + (m % 60) + " m";
    return m + ":" + String(r).padStart(2, "0");
  }

  function clock(ts) {
    if (!ts) return "";
    var d = new Date(ts * 1000);
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  // Live: every change the page's event stream announces refetches (coalesced), and a slow
  // poll covers a stream that went quiet. refresh() must return a promise.
  function live(refresh, pollMs) {
    var timer = null;
    function soon() {
      if (timer) return;
      timer = setTimeout(function () { timer = null; refresh(); }, 150);
    }
    try {
      var es = new EventSource("/api/v1/events");
      ["service", "snapshot", "status", "call", "message", "counters"].forEach(function (n) {
        es.addEventListener(n, soon);
      });
    } catch (e) {}
    setInterval(refresh, pollMs || 10000);
    refresh();
  }

  return {$: $, el: el, requestId: requestId, send: send, duration: duration, clock: clock,
          live: live};
})();
