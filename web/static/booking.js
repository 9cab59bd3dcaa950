// The booking page (issue 15): choose a service, a day and a session, give the NIK (and a phone
// number if wanted), get a code and its QR. /b/<code> shows the booking again, follows what becomes
// of it (GET /api/v1/bookings/<code>, asked again when the page's live stream says its service
// changed), and once checked in at a kiosk shows the ticket and "Ingatkan saya" (remind.js), fed
// by /api/v1/tickets/<t> like the ticket page. Plain JavaScript; text goes in with textContent.
"use strict";

(function () {
  var T = {
    id: {
      title: "Pesan Antrean", subtitle: "Pilih layanan, hari dan sesi; datang dan lapor di kiosk.",
      service: "Layanan", day: "Tanggal", session: "Sesi", nik: "NIK (16 angka)",
      phone: "Nomor HP (tidak wajib)", book: "Pesan", done_title: "Pemesanan Anda",
      code_label: "Kode pemesanan:", cancel_label: "Batalkan: 4 angka terakhir NIK",
      cancel: "Batalkan pemesanan", privacy_title: "Data yang kami simpan dan alasannya",
      how: "Tunjukkan kode QR ini di kiosk, atau ketik kodenya dan 4 angka terakhir NIK Anda. Jika tidak lapor sampai batas waktu, pemesanan batal dengan sendirinya.",
      keep_open: "Biarkan halaman ini terbuka: setelah Anda lapor di kiosk, nomor antrean Anda tampil di sini dan Anda bisa minta diingatkan.",
      lang_button: "EN", lang_label: "EN, English", lang_code: "en",
      // signup_hours: Indonesian writes times with a dot (ticketing/calendar_id.py, pukul)
      signup: function (h) { return "Pendaftaran online dibuka pukul " + h.replace(/:/g, ".").replace("-", "–"); },
      full: " (penuh)", closed: " (tutup)", left: function (r, c) { return " — sisa " + r + " dari " + c; },
      when: function (svc, day, s, a, b) { return "Layanan " + svc + ", " + day + " sesi " + s + ". Lapor di kiosk pukul " + a + "–" + b + "."; },
      failed: "Gagal; coba lagi.", cancel_failed: "Gagal membatalkan",
      cancelled_ok: "Pemesanan dibatalkan; tempatnya kini tersedia lagi.",
      st_booked_early: function (a) { return "Terpesan. Lapor di kiosk mulai pukul " + a + "."; },
      st_booked_now: function (b) { return "Terpesan. Silakan lapor di kiosk sekarang, paling lambat pukul " + b + "."; },
      st_cancelled: "Pemesanan ini sudah dibatalkan.",
      st_expired: "Batas waktu lapor sudah lewat; pemesanan ini batal. Silakan ambil nomor antrean biasa di kiosk.",
      st_unknown: "Pemesanan tidak ditemukan (atau sudah dihapus). Periksa kodenya.",
      st_checked_in: "Sudah lapor di kiosk. Nomor antrean Anda:",
      t_waiting: "Menunggu giliran", t_called: "Silakan menuju ", t_missed: "Nomor Anda terlewat; segera lapor ke petugas loket.",
      t_done: "Sudah dilayani. Terima kasih!", t_expired: "Tiket ini bukan untuk hari ini.", t_unknown: "Memuat nomor antrean…",
      position: "Urutan", ahead: "orang di depan Anda", est_wait: "Perkiraan tunggu",
      soon: "segera", no_wait: "—", minutes: function (m) { return "± " + m + " mnt"; },
      hours: function (h, m) { return "± " + h + " jam" + (m ? " " + m + " mnt" : ""); },
      ticket_page: "Buka halaman tiket",
      alert_called: function (tk, c) { return "Nomor " + tk + " dipanggil! Silakan menuju " + c + "."; },
      alert_close: "Tutup pemberitahuan"
    },
    en: {
      title: "Book a queue place", subtitle: "Choose a service, a day and a session; come and check in at the kiosk.",
      service: "Service", day: "Date", session: "Session", nik: "NIK (16 digits)",
      phone: "Phone number (optional)", book: "Book", done_title: "Your booking",
      code_label: "Booking code:", cancel_label: "Cancel: the last 4 digits of your NIK",
      cancel: "Cancel the booking", privacy_title: "What we keep and why",
      how: "Show this QR code at the kiosk, or type the code and the last 4 digits of your NIK. A booking not checked in by the deadline lapses by itself.",
      keep_open: "Keep this page open: once you check in at the kiosk, your queue number shows here and you can ask to be reminded.",
      lang_button: "ID", lang_label: "ID, Bahasa Indonesia", lang_code: "id",
      signup: function (h) { return "Online sign-up is open " + h.replace("-", "–") + " only"; },
      full: " (full)", closed: " (closed)", left: function (r, c) { return " — " + r + " of " + c + " left"; },
      when: function (svc, day, s, a, b) { return svc + ", " + day + ", session " + s + ". Check in at the kiosk " + a + "–" + b + "."; },
      failed: "Failed; please try again.", cancel_failed: "Could not cancel",
      cancelled_ok: "Booking cancelled; the place is free again.",
      st_booked_early: function (a) { return "Booked. Check in at the kiosk from " + a + "."; },
      st_booked_now: function (b) { return "Booked. Please check in at the kiosk now, by " + b + " at the latest."; },
      st_cancelled: "This booking was cancelled.",
      st_expired: "The check-in time has passed; this booking has lapsed. Please take a regular number at the kiosk.",
      st_unknown: "Booking not found (or no longer kept). Check the code.",
      st_checked_in: "Checked in at the kiosk. Your queue number:",
      t_waiting: "Waiting for your turn", t_called: "Please go to ", t_missed: "Your number was missed; see the counter's staff at once.",
      t_done: "Served. Thank you!", t_expired: "This ticket is not for today.", t_unknown: "Loading your queue number…",
      position: "Position", ahead: "ahead of you", est_wait: "Estimated wait",
      soon: "soon", no_wait: "—", minutes: function (m) { return "about " + m + " min"; },
      hours: function (h, m) { return "about " + h + " h" + (m ? " " + m + " min" : ""); },
      ticket_page: "Open the ticket page",
      alert_called: function (tk, c) { return "Number " + tk + " is called! Please go to " + c + "."; },
      alert_close: "Close this notice"
    }
  };
  var STATUS_GAP = 5000;       // ms between two status questions (the API allows 30 a minute)
  var POLL = 30000;            // ms: without a live stream, or as a safety net beside it

  var $ = Antrian.$, el = Antrian.el;
  var lang = Antrian.pickLanguage();
  var slots = null, zone = "Asia/Jakarta", names = {};
  var code = null, booking = null, ticketInfo = null;
  var source = null, lastStatus = 0, statusTimer = null, ticketTimer = null, signupTimer = null;
  var remind = AntrianRemind.create({ lang: lang, onChange: function () { renderTicket(); } });
  var bar = Antrian.calledBar(function () { return t("title"); });
  function t(k) { return T[lang][k]; }

  function json(method, url, body) {
    var init = { method: method, headers: {}, cache: "no-cache" };
    if (body) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(url, init).then(function (r) {
      return r.json().then(function (b) { b._status = r.status; return b; });
    });
  }
  function hm(ts) {
    return new Date(ts * 1000).toLocaleTimeString(lang === "id" ? "id-ID" : "en-GB",
      { hour: "2-digit", minute: "2-digit", timeZone: zone });
  }
  function said(b, fallback) { return (b.message && b.message[lang]) || b.error || fallback; }
  function option(value, text, disabled) {
    var o = document.createElement("option");
    o.value = value; o.textContent = text; o.disabled = !!disabled;
    return o;
  }
  function showError(b) { var e = $("error"); e.textContent = said(b, t("failed")); e.hidden = false; }

  // -- booking ---------------------------------------------------------------------------------

  function loadServices() {
    return json("GET", "/api/v1/bookable").then(function (list) {
      var sel = $("service"), keep = sel.value;
      sel.textContent = "";
      if (list.timezone) zone = list.timezone;
      (list.services || []).forEach(function (s) {
        names[s.service] = s.name;
        sel.appendChild(option(s.service, s.name));
      });
      if (keep) sel.value = keep;
      return code ? null : loadSlots();
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
        sel.appendChild(option(d.day, d.day + (d.open ? (free ? "" : t("full")) : t("closed")), !d.open || !free));
      });
      if (keep) sel.value = keep;
      showSignup();
      if (sel.selectedOptions.length === 0 || sel.selectedOptions[0].disabled) {
        var first = Array.prototype.find.call(sel.options, function (o) { return !o.disabled; });
        if (first) sel.value = first.value;
      }
      showSessions();
    });
  }
  // Online sign-up hours (signup_hours): outside them the queue refuses (403 signup_closed), so
  // the page says when sign-up opens and keeps the submit disabled; it asks again once the
  // hours open or close (the queue republishes the slots within 5 s of that moment).
  function signupClosed() { return !!(slots && slots.signup && !slots.signup.open); }
  function showSignup() {
    var s = slots && slots.signup, note = $("signup");
    note.hidden = !s;
    note.textContent = s ? t("signup")(s.hours) : "";
    $("submit").disabled = signupClosed();
    clearTimeout(signupTimer);
    signupTimer = null;
    if (s && s.until) {
      var wait = Math.min(Math.max(s.until * 1000 - Date.now(), 0) + 6000, 6 * 3600 * 1000);
      signupTimer = setTimeout(function () { if (!code) loadSlots(); }, wait);
    }
  }
  function showSessions() {
    var box = $("sessions");
    box.querySelectorAll("label").forEach(function (l) { l.remove(); });
    var day = (slots && slots.days || []).find(function (d) { return d.day === $("day").value; });
    (day ? day.sessions : []).forEach(function (s) {
      var label = document.createElement("label"), input = document.createElement("input");
      input.type = "radio"; input.name = "session"; input.value = s.session;
      input.disabled = !s.open || s.remaining <= 0;
      if (!input.disabled && !box.querySelector("input:checked:not(:disabled)")) input.checked = true;
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + s.session + t("left")(s.remaining, s.capacity)));
      label.dataset.session = s.session;
      box.appendChild(label);
    });
  }

  // -- the booking, then its ticket -------------------------------------------------------------

  function showBooking(b) {
    code = b.code;
    booking = booking || b;
    $("book").hidden = true;
    $("done").hidden = false;
    $("code").textContent = b.code;
    $("qr").src = "/api/v1/bookings/" + b.code + "/qr.svg";
    try { localStorage.setItem("booking:" + b.code, JSON.stringify(b)); } catch (e) {}
    if (location.pathname !== "/b/" + b.code) history.replaceState(null, "", "/b/" + b.code + location.search);
    renderBooking();
    loadStatus();
    connect();
  }

  function renderBooking() {
    var b = booking;
    if (!b) return;
    if (b.checkin_from) {
      $("when").textContent = t("when")(names[b.service] || b.service, b.day, b.session, hm(b.checkin_from), hm(b.checkin_until));
    }
    var box = $("status"), st = b.status, text = null;
    if (st === "booked") text = Date.now() / 1000 < b.checkin_from ? t("st_booked_early")(hm(b.checkin_from)) : t("st_booked_now")(hm(b.checkin_until));
    else if (st === "cancelled") text = t("st_cancelled");
    else if (st === "expired") text = t("st_expired");
    else if (st === "unknown") text = t("st_unknown");
    else if (st === "checked_in") text = t("st_checked_in");
    box.hidden = !text;
    box.dataset.status = st || "";
    box.textContent = text || "";
    $("pass").hidden = st !== undefined && st !== "booked";
    $("cancel").hidden = st !== undefined && st !== "booked";
    renderTicket();
  }

  function loadStatus() {
    lastStatus = Date.now();
    return json("GET", "/api/v1/bookings/" + encodeURIComponent(code)).then(function (b) {
      if (b._status === 200) {
        booking = b;
        if (b.status === "checked_in") loadTicket();
      } else if (b._status === 404) {
        booking = { code: code, status: "unknown" };
      } else return;              // 429, 503: ask again at the next change or poll
      try { if (b._status === 404) localStorage.removeItem("booking:" + code); } catch (e) {}
      renderBooking();
      if (!live()) disconnect();
    }).catch(function () {});
  }
  // Each change of the booking's service may be its check-in: ask, at most every STATUS_GAP.
  function statusSoon() {
    if (statusTimer || !booking || (booking.status && booking.status !== "booked")) return;
    var wait = Math.max(250, lastStatus + STATUS_GAP - Date.now());
    statusTimer = setTimeout(function () { statusTimer = null; loadStatus(); }, wait);
  }

  function loadTicket() {
    var b = booking;
    if (!b || !b.ticket) return;
    json("GET", "/api/v1/tickets/" + encodeURIComponent(b.ticket) + "?day=" + b.day).then(function (i) {
      if (i._status === 503) { setTimeout(loadTicket, 2000); return; }
      if (i._status !== 200) return;
      var before = ticketInfo && ticketInfo.status;
      ticketInfo = i;
      if (i.status === "called" && before !== "called") calledAlert(i);
      if (i.status !== "called") clearAlert();
      renderTicket();
      remind.update(i);
      if (!live()) disconnect();
    }).catch(function () {});
  }
  function ticketSoon() {
    if (ticketTimer) return;
    ticketTimer = setTimeout(function () { ticketTimer = null; loadTicket(); }, 250);
  }


  function renderTicket() {
    var box = $("ticket"), b = booking;
    if (!b || b.status !== "checked_in" || !b.ticket) { box.hidden = true; return; }
    var i = ticketInfo || { status: "unknown", ticket: b.ticket };
    box.hidden = false;
    box.className = "ticket " + i.status;
    box.dataset.status = i.status;
    box.textContent = "";
    box.appendChild(el("div", "number", b.ticket));
    box.appendChild(el("div", "state", {
      waiting: t("t_waiting"), called: t("t_called") + (i.counter_name || ""), missed: t("t_missed"),
      done: t("t_done"), expired: t("t_expired")
    }[i.status] || t("t_unknown")));
    if (i.status === "waiting") {
      box.appendChild(Antrian.waitFacts(i, t, "no_wait"));
      box.appendChild(remind.render(i, b.key));          // "Ingatkan saya"
    }
    if (b.ticket_url) {
      var link = el("a", "ticket-link", t("ticket_page"));
      link.href = b.ticket_url + (lang === "en" ? "&lang=en" : "");
      box.appendChild(link);
    }
  }

  // Being called: the same green bar as the ticket page, seen without sound or a tap.
  function calledAlert(i) {
    bar.show(t("alert_called")(i.ticket, i.counter_name || ""), t("alert_close"));
  }
  function clearAlert() { bar.clear(); }

  // -- live: the page's event stream says when the booking's service changed -------------------

  // Worth listening to: a booking still to check in, or its ticket not yet served.
  function live() {
    var st = booking && booking.status;
    if (!booking || st === undefined || st === "booked") return !!booking;
    return st === "checked_in" && !(ticketInfo && (ticketInfo.status === "done" || ticketInfo.status === "expired"));
  }
  function disconnect() { if (source) { source.close(); source = null; } }
  function touched(sid) {
    if (!booking || booking.service !== sid) return;
    if (booking.status === "checked_in") ticketSoon(); else statusSoon();
  }
  function connect() {
    if (source || !window.EventSource || !live()) return;
    source = new EventSource("/api/v1/events");
    source.addEventListener("error", function () {
      if (source && source.readyState === EventSource.CLOSED) source = null;   // refused: the poll remains
    });
    source.addEventListener("snapshot", function () { if (booking && booking.status === "checked_in") ticketSoon(); else statusSoon(); });
    source.addEventListener("service", function (e) { touched(JSON.parse(e.data).id); });
    source.addEventListener("call", function (e) { touched(JSON.parse(e.data).service); });
  }
  function poll() {
    if (!code || !booking) return;
    if (booking.status === "checked_in") loadTicket();
    else if (!booking.status || booking.status === "booked") loadStatus();
    connect();
  }

  // -- start ------------------------------------------------------------------------------------

  function applyLanguage() {
    Antrian.translate(T, lang);
    bar.showTitle();
    remind.setLanguage(lang);
    if (slots) { showSessions(); showSignup(); }
    renderBooking();
  }

  document.addEventListener("DOMContentLoaded", function () {
    applyLanguage();
    Antrian.onLanguageButton(function () { return lang; },
                             function (next) { lang = next; applyLanguage(); });
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
        $("submit").disabled = signupClosed();
        if (b._status === 201) { booking = null; showBooking(b); } else { showError(b); loadSlots(); }
      }, function () { $("submit").disabled = signupClosed(); showError({}); });
    });
    $("cancel").addEventListener("submit", function (ev) {
      ev.preventDefault();
      json("DELETE", "/api/v1/bookings/" + code, { nik_last4: $("last4").value }).then(function (b) {
        var note = $("cancelled");
        note.hidden = false;
        note.textContent = b._status === 200 ? t("cancelled_ok") : said(b, t("cancel_failed"));
        if (b._status === 200) loadStatus();
      });
    });

    var m = location.pathname.match(/^\/b\/([A-Za-z0-9-]+)$/);
    loadServices().then(renderBooking).catch(function () {});
    if (m) {
      var stored = null, c = m[1].toUpperCase();
      try { stored = JSON.parse(localStorage.getItem("booking:" + c)); } catch (e) {}
      showBooking(stored || { code: c });
    } else {
      $("book").hidden = false;
    }
    setInterval(poll, POLL);
  });
})();
