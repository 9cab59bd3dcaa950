// The booking page (issue 15): choose a service, a day and a session, give the NIK (and a phone
// number if wanted), get a code and its QR. /b/<code> shows a booking again and can cancel it.
"use strict";

(function () {
  var $ = function (id) { return document.getElementById(id); };
  var slots = null, zone = "Asia/Jakarta", names = {};

  function json(method, url, body) {
    var init = { method: method, headers: {} };
    if (body) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(url, init).then(function (r) {
      return r.json().then(function (b) { b._status = r.status; return b; });
    });
  }
  function hm(ts) {
    return new Date(ts * 1000).toLocaleTimeString("id-ID", { hour: "2-digit", minute: "2-digit",
      timeZone: zone });
  }
  function option(value, text, disabled) {
    var o = document.createElement("option");
    o.value = value; o.textContent = text; o.disabled = !!disabled;
    return o;
  }
  function showError(b) {
    var e = $("error");
    e.textContent = (b.message && b.message.id) || b.error || "Gagal; coba lagi.";
    e.hidden = false;
  }

  function loadServices() {
    return json("GET", "/api/v1/bookable").then(function (list) {
      var sel = $("service");
      sel.textContent = "";
      if (list.timezone) zone = list.timezone;
      (list.services || []).forEach(function (s) {
        names[s.service] = s.name;
        sel.appendChild(option(s.service, s.name));
      });
      return loadSlots();
    });
  }
  function loadSlots() {
    var sid = $("service").value;
    if (!sid) return Promise.resolve();
    return json("GET", "/api/v1/services/" + sid + "/slots").then(function (b) {
      slots = b;
      var sel = $("day"), keep = sel.value;
      sel.textContent = "";
      (b.days || []).forEach(function (d) {
        var free = d.sessions.some(function (s) { return s.open && s.remaining > 0; });
        sel.appendChild(option(d.day, d.day + (d.open ? (free ? "" : " (penuh)") : " (tutup)"),
                               !d.open || !free));
      });
      if (keep) sel.value = keep;
      if (sel.selectedOptions.length === 0 || sel.selectedOptions[0].disabled) {
        var first = Array.prototype.find.call(sel.options, function (o) { return !o.disabled; });
        if (first) sel.value = first.value;
      }
      showSessions();
    });
  }
  function showSessions() {
    var box = $("sessions");
    box.querySelectorAll("label").forEach(function (l) { l.remove(); });
    var day = (slots && slots.days || []).find(function (d) { return d.day === $("day").value; });
    (day ? day.sessions : []).forEach(function (s, i) {
      var label = document.createElement("label"), input = document.createElement("input");
      input.type = "radio"; input.name = "session"; input.value = s.session;
      input.disabled = !s.open || s.remaining <= 0;
      if (!input.disabled && !box.querySelector("input:checked:not(:disabled)")) input.checked = true;
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + s.session + " — sisa " + s.remaining +
                                                " dari " + s.capacity));
      label.dataset.session = s.session;
      box.appendChild(label);
    });
  }
  function showBooking(b) {
    $("book").hidden = true;
    $("done").hidden = false;
    $("code").textContent = b.code;
    $("qr").src = "/api/v1/bookings/" + b.code + "/qr.svg";
    if (b.checkin_from) {
      $("when").textContent = "Layanan " + (names[b.service] || b.service) + ", " + b.day + " sesi " + b.session +
        ". Lapor di kiosk pukul " + hm(b.checkin_from) + "–" + hm(b.checkin_until) + ".";
    }
    try { localStorage.setItem("booking:" + b.code, JSON.stringify(b)); } catch (e) {}
    if (location.pathname !== "/b/" + b.code) history.replaceState(null, "", "/b/" + b.code);
  }

  $("service").addEventListener("change", loadSlots);
  $("day").addEventListener("change", showSessions);
  $("book").addEventListener("submit", function (ev) {
    ev.preventDefault();
    $("error").hidden = true;
    var session = document.querySelector("input[name=session]:checked");
    var body = { service: $("service").value, day: $("day").value,
                 session: session ? session.value : "", nik: $("nik").value };
    if ($("phone").value.trim()) body.phone = $("phone").value.trim();
    $("submit").disabled = true;
    json("POST", "/api/v1/bookings", body).then(function (b) {
      $("submit").disabled = false;
      if (b._status === 201) { showBooking(b); } else { showError(b); loadSlots(); }
    }, function () { $("submit").disabled = false; showError({}); });
  });
  $("cancel").addEventListener("submit", function (ev) {
    ev.preventDefault();
    json("DELETE", "/api/v1/bookings/" + $("code").textContent,
         { nik_last4: $("last4").value }).then(function (b) {
      if (b._status === 200) { $("cancelled").hidden = false; }
      else { $("cancelled").hidden = false; $("cancelled").textContent =
             (b.message && b.message.id) || "Gagal membatalkan"; }
    });
  });

  var m = location.pathname.match(/^\/b\/([A-Za-z0-9-]+)$/);
  if (m) {
    var stored = null;
    try { stored = JSON.parse(localStorage.getItem("booking:" + m[1].toUpperCase())); } catch (e) {}
    showBooking(stored || { code: m[1].toUpperCase() });
  } else {
    loadServices();
  }
})();
