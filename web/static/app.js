// Antrian visitors' page: the services and "my ticket", live over server-sent events.
// Plain JavaScript, no build step, no libraries. Text goes in with textContent only.
"use strict";

(function () {
  var T = {
    id: {
      subtitle: "Antrean layanan saat ini", example: "Contoh: A016", my_ticket: "Tiket saya", ticket_number: "Nomor antrean",
      show: "Lihat", recent_calls: "Panggilan terakhir", services: "Layanan",
      search: "Cari layanan atau instansi", loading: "Memuat…", no_match: "Tidak ada layanan yang cocok.",
      waiting: "Menunggu", now_serving: "Sedang dilayani", est_wait: "Perkiraan tunggu", counters_open: "Loket buka",
      missed: "Terlewat", none: "—", no_counter: "belum ada loket buka", soon: "segera",
      minutes: function (m) { return "± " + m + " mnt"; },
      hours: function (h, m) { return "± " + h + " jam" + (m ? " " + m + " mnt" : ""); },
      position: "Urutan", ahead: "orang di depan Anda", service: "Layanan",
      st_waiting: "Menunggu giliran", st_called: "Silakan menuju ", st_missed: "Nomor Anda terlewat",
      st_missed_help: "Segera lapor ke petugas loket layanan ini; nomor Anda dapat dipanggil kembali.",
      st_done: "Sudah dilayani. Terima kasih!", st_expired: "Tiket ini bukan untuk hari ini.",
      st_unknown: "Nomor ini belum terdaftar hari ini.", st_invalid: "Nomor tidak valid. Contoh: A016",
      counter: "Loket", updated: "Diperbarui", at: "pukul",
      offline_queue: "Sistem antrean tidak terhubung. Data di bawah mungkin sudah tidak terbaru.",
      disconnected: "Server halaman ini tidak terhubung ke sistem antrean. Data mungkin tidak terbaru.",
      old_day: "Data ini dari hari sebelumnya; layanan belum dibuka hari ini.",
      no_data: "Belum ada data antrean.",
      reconnecting: "Koneksi terputus — menyambung ulang…",
      device_offline: "Perangkat Anda tidak terhubung ke internet.",
      loading_state: "Data antrean sedang dimuat…",
      alert_called: function (tk, c) { return "Nomor " + tk + " dipanggil! Silakan menuju " + c + "."; },
      alert_close: "Tutup pemberitahuan",
      rate_need_key: "Untuk menilai layanan, pindai kode QR pada karcis antrean Anda.",
      polling: "Pembaruan otomatis dibatasi; halaman diperbarui setiap 15 detik.",
      closed: "Tutup", lang_button: "EN", lang_label: "EN, English", lang_code: "en",
      open: "Buka", open_until: function (h) { return "Buka s.d. " + h; },
      standard: "Standar pelayanan", requirements: "Persyaratan", fee: "Biaya",
      duration: "Jangka waktu", duration_min: function (m) { return m + " menit"; },
      rate: "Nilai layanan kami", rate_help: "Isi survei kepuasan (1 menit, tanpa data pribadi)."
    },
    en: {
      subtitle: "Live service queues", example: "e.g. A016", my_ticket: "My ticket", ticket_number: "Ticket number",
      show: "Show", recent_calls: "Latest calls", services: "Services",
      search: "Search a service or agency", loading: "Loading…", no_match: "No service matches.",
      waiting: "Waiting", now_serving: "Now serving", est_wait: "Estimated wait", counters_open: "Counters open",
      missed: "Missed", none: "—", no_counter: "no counter open yet", soon: "soon",
      minutes: function (m) { return "about " + m + " min"; },
      hours: function (h, m) { return "about " + h + " h" + (m ? " " + m + " min" : ""); },
      position: "Position", ahead: "ahead of you", service: "Service",
      st_waiting: "Waiting for your turn", st_called: "Please go to ", st_missed: "Your number was missed",
      st_missed_help: "Report to this service's counter now; your number can be called again.",
      st_done: "Served. Thank you!", st_expired: "This ticket is not for today.",
      st_unknown: "This number has not been issued today.", st_invalid: "Not a valid number. Example: A016",
      counter: "Counter", updated: "Updated", at: "at",
      offline_queue: "The queue system is offline. The figures below may be out of date.",
      disconnected: "This page's server lost the queue system. Figures may be out of date.",
      old_day: "These figures are from an earlier day; service has not opened today.",
      no_data: "No queue data yet.",
      reconnecting: "Connection lost — reconnecting…",
      device_offline: "Your device has no connection.",
      loading_state: "The queue's figures are loading…",
      alert_called: function (tk, c) { return "Number " + tk + " is called! Please go to " + c + "."; },
      alert_close: "Close this notice",
      rate_need_key: "To rate the service, scan the QR code on your ticket slip.",
      polling: "Live updates are limited; the page refreshes every 15 seconds.",
      closed: "Closed", lang_button: "ID", lang_label: "ID, Bahasa Indonesia", lang_code: "id",
      open: "Open", open_until: function (h) { return "Open until " + h; },
      standard: "Service standard", requirements: "Requirements", fee: "Fee",
      duration: "Time taken", duration_min: function (m) { return m + " min"; },
      rate: "Rate our service", rate_help: "Answer the satisfaction survey (1 minute, nothing personal)."
    }
  };
  var TICKET = /^[A-Z0-9]{1,4}[-.]?\d{1,4}$/;
  var STALE_AFTER = 40000;   // ms without any event (the server pings every 15 s)

  var $ = Antrian.$, el = Antrian.el;    // web/static/common.js
  var lang = Antrian.pickLanguage();
  var doc = null;              // the last /api/v1/services document
  var services = {};           // id -> service
  var cards = {};              // id -> element
  var myTicket = null, myDay = null, myKey = null, ticketInfo = null;
  var KEY = /^[A-Za-z0-9_\-]{1,40}$/;      // the slip's survey key (the QR code's k=)
  var baseTitle = "Antrean";
  var source = null, lastEvent = 0, polling = false, streamTrouble = false;
  var ticketTimer = null;
  var openDetails = {};        // service id -> its standard's details are open
  var remind = AntrianRemind.create({ lang: lang, onChange: function () { renderTicket(); } });   // remind.js

  function t(key) { return T[lang][key]; }

  function applyLanguage() {
    Antrian.translate(T, lang);
    remind.setLanguage(lang);
    if (doc) renderAll();
    renderTicket();
  }

  function formatWait(s) { return Antrian.formatWait(s, t, "none"); }

  function clock(ts) {
    if (!ts) return "";
    try {
      return new Intl.DateTimeFormat(lang === "id" ? "id-ID" : "en-GB", {
        hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: (doc && doc.timezone) || undefined
      }).format(new Date(ts * 1000));
    } catch (e) { return new Date(ts * 1000).toLocaleTimeString(); }
  }

  // -- services ------------------------------------------------------------------------------

  function serviceCard(s) {
    var card = el("article", "service");
    card.dataset.id = s.id;
    card.dataset.search = Antrian.searchText(s.name + " " + s.agency + " " + s.prefix);
    var head = el("div", "head");
    head.appendChild(el("span", "name", s.name));
    var st = s.status;
    if (st) {
      var shut = st.open === false;
      var badge = el("span", "badge " + (shut ? "shut" : "open"),
        shut ? t("closed") : (st.until ? t("open_until")(st.until) : t("open")));
      badge.dataset.code = st.code || "";
      head.appendChild(badge);
    }
    head.appendChild(el("span", "prefix", s.prefix));
    card.appendChild(head);
    var serving = (s.serving || []).map(function (x) { return x.ticket + " → " + counterName(x.counter); });
    var now = el("div", "now");
    now.appendChild(el("span", "label", t("now_serving")));
    now.appendChild(el("b", null, serving.length ? serving.join(" · ") : t("none")));
    card.appendChild(now);
    var figs = el("div", "stats");
    figs.appendChild(stat("waiting", t("waiting"), s.waiting));
    figs.appendChild(stat("est", t("est_wait"),
      s.counters_open.length || s.est_wait_s !== null ? formatWait(s.est_wait_s) : t("no_counter")));
    figs.appendChild(stat("open", t("counters_open"), s.counters_open.length));
    card.appendChild(figs);
    if (s.status && s.status.open === false) {
      card.appendChild(el("div", "closed", (s.status.text && s.status.text[lang]) || t("closed")));
    }
    if (s.missed && s.missed.length) {
      card.appendChild(el("div", "missed", t("missed") + ": " + s.missed.join(", ")));
    }
    if (s.standard) card.appendChild(standardBox(s));
    return card;
  }

  // The published standard (Standar Pelayanan), folded: requirements, fee, time taken.
  function standardBox(s) {
    var std = s.standard, box = el("details", "standard");
    box.open = !!openDetails[s.id];
    box.addEventListener("toggle", function () { openDetails[s.id] = box.open; });
    var sum = el("summary", null, t("standard"));
    var brief = [];
    if (std.fee) brief.push(std.fee);
    if (std.duration_minutes) brief.push("± " + t("duration_min")(Math.round(std.duration_minutes)));
    if (brief.length) sum.appendChild(el("span", "brief", " · " + brief.join(" · ")));
    box.appendChild(sum);
    var dl = el("dl");
    if (std.requirements && std.requirements.length) {
      dl.appendChild(el("dt", null, t("requirements")));
      var dd = el("dd"), ul = el("ul");
      std.requirements.forEach(function (r) { ul.appendChild(el("li", null, r)); });
      dd.appendChild(ul); dl.appendChild(dd);
    }
    if (std.fee) { dl.appendChild(el("dt", null, t("fee"))); dl.appendChild(el("dd", null, std.fee)); }
    if (std.duration_minutes) {
      dl.appendChild(el("dt", null, t("duration")));
      dl.appendChild(el("dd", null, t("duration_min")(Math.round(std.duration_minutes))));
    }
    box.appendChild(dl);
    return box;
  }

  function counterName(id) {
    return (doc && doc.counters && doc.counters[id]) || (t("counter") + " " + id);
  }

  function stat(cls, label, value) {
    var f = el("div", "stat " + cls);
    f.appendChild(el("span", "label", label));
    f.appendChild(el("b", null, value));
    return f;
  }

  function renderAll() {
    var box = $("services");
    box.textContent = "";
    cards = {};
    var groups = {};
    doc.services.forEach(function (s) {
      services[s.id] = s;
      if (!groups[s.agency]) {
        var g = el("section", "agency");
        g.appendChild(el("h3", null, s.agency));
        groups[s.agency] = g;
        box.appendChild(g);
      }
      var card = serviceCard(s);
      cards[s.id] = card;
      groups[s.agency].appendChild(card);
    });
    $("title").textContent = doc.title || "Antrean";
    baseTitle = (doc.title || "Antrean") + " — " + t("subtitle");
    showTitle();
    renderCalls(null);
    renderStatus();
    filter();
  }

  function updateService(s, flash) {
    services[s.id] = s;
    var old = cards[s.id];
    if (!old || old.parentNode.querySelector("h3").textContent !== s.agency) {
      doc.services = doc.services.filter(function (x) { return x.id !== s.id; }).concat([s]);
      renderAll();
      return;
    }
    var card = serviceCard(s);
    if (flash) card.classList.add("flash");
    card.hidden = old.hidden;
    old.replaceWith(card);
    cards[s.id] = card;
    for (var i = 0; i < doc.services.length; i++) if (doc.services[i].id === s.id) doc.services[i] = s;
  }

  function filter() {
    var q = Antrian.searchText($("search").value);
    var any = false;
    document.querySelectorAll(".agency").forEach(function (g) {
      var shown = 0;
      g.querySelectorAll(".service").forEach(function (c) {
        var ok = Antrian.matches(c.dataset.search, q);
        c.hidden = !ok;
        if (ok) shown++;
      });
      g.hidden = shown === 0;
      if (shown) any = true;
    });
    $("no-match").hidden = any || !doc || !doc.services.length;
  }

  // -- calls, status ---------------------------------------------------------------------------

  function renderCalls(fresh) {
    var list = $("calls");
    list.textContent = "";
    var calls = (doc.recent_calls || []).slice(0, 5);
    $("calls-box").hidden = !calls.length;
    calls.forEach(function (c, i) {
      var li = el("li", i === 0 && fresh ? "fresh" : "");
      li.appendChild(el("b", null, c.ticket));
      li.appendChild(document.createTextNode("→ " + c.counter_name));
      list.appendChild(li);
    });
  }

  function renderStatus() {
    var b = $("banner"), text = null, cls = "warn";
    if (!navigator.onLine) { text = t("device_offline"); cls = "bad"; }
    else if (streamTrouble) { text = t("reconnecting"); cls = "bad"; }
    else if (doc && doc.stale) {
      var r = doc.stale_reasons || [];
      text = r.indexOf("disconnected") >= 0 ? t("disconnected")
        : r.indexOf("queue_offline") >= 0 ? t("offline_queue")
        : r.indexOf("old_day") >= 0 ? t("old_day")
        : r.indexOf("loading") >= 0 ? t("loading_state") : t("no_data");
      cls = (r.indexOf("no_data") >= 0 || r.indexOf("loading") >= 0) && r.length === 1 ? "warn" : "bad";
    } else if (polling) { text = t("polling"); }
    b.hidden = !text;
    b.className = "banner " + cls;
    b.textContent = text || "";
    document.body.dataset.stale = text ? "1" : "0";
    var m = $("message");
    m.hidden = !(doc && doc.message && doc.message.text);
    m.textContent = doc && doc.message ? doc.message.text : "";
    if (doc && doc.updated) $("updated").textContent = t("updated") + " " + t("at") + " " + clock(doc.updated);
  }

  // -- my ticket -------------------------------------------------------------------------------

  function ticketFromUrl() {
    var m = location.pathname.match(/^\/[tT]\/([A-Za-z0-9.\-]{1,12})$/);
    var p = new URLSearchParams(location.search);
    var raw = m ? decodeURIComponent(m[1]) : p.get("t");
    myDay = p.get("d");
    if (myDay && !/^\d{4}-\d{2}-\d{2}$/.test(myDay)) myDay = null;
    myKey = p.get("k");
    if (myKey && !KEY.test(myKey)) myKey = null;
    if (raw) setTicket(raw, false);
  }

  function setTicket(raw, push) {
    var v = String(raw).trim().toUpperCase();
    $("ticket-input").value = v;
    if (!TICKET.test(v)) {
      myTicket = null; ticketInfo = { status: "invalid", ticket: v };
      renderTicket();
      return;
    }
    myTicket = v;
    if (push) {
      myDay = null; myKey = null;    // a number typed in: no slip, no key
      history.pushState(null, "", "/t/" + encodeURIComponent(v) + (lang === "en" ? "?lang=en" : ""));
    }
    loadTicket();
  }

  function loadTicket() {
    if (!myTicket) return;
    var url = "/api/v1/tickets/" + encodeURIComponent(myTicket) + (myDay ? "?day=" + myDay : "");
    fetch(url, { cache: "no-cache" }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, status: r.status, body: body }; });
    }).then(function (res) {
      if (res.status === 503) {      // the server is still receiving the queue: ask again soon
        if (!ticketInfo) { ticketInfo = { status: "loading", ticket: myTicket }; renderTicket(); }
        setTimeout(loadTicket, 2000);
        return;
      }
      var before = ticketInfo && ticketInfo.status;
      ticketInfo = res.ok ? res.body : { status: "invalid", ticket: myTicket };
      if (res.ok && res.body.ticket) { myTicket = res.body.ticket; $("ticket-input").value = myTicket; }
      if (ticketInfo.status === "called" && before !== "called") calledAlert(ticketInfo);
      if (ticketInfo.status !== "called") clearAlert();
      renderTicket();
      remind.update(ticketInfo);
    }).catch(function () { /* the banner says the connection is down; keep what we show */ });
  }

  function refreshTicketSoon() {
    if (!myTicket || ticketTimer) return;
    ticketTimer = setTimeout(function () { ticketTimer = null; loadTicket(); }, 250);
  }

  function renderTicket() {
    var box = $("ticket");
    if (!ticketInfo) { box.hidden = true; return; }
    var i = ticketInfo;
    box.hidden = false;
    box.className = "ticket " + i.status;
    box.dataset.status = i.status;
    box.textContent = "";
    box.appendChild(el("div", "number", i.ticket || ""));
    var state = {
      waiting: t("st_waiting"), called: t("st_called") + (i.counter_name || ""),
      missed: t("st_missed"), done: t("st_done"), expired: t("st_expired"),
      unknown: t("st_unknown"), invalid: t("st_invalid"), loading: t("loading")
    }[i.status] || "";
    box.appendChild(el("div", "state", state));
    if (i.service_name) box.appendChild(el("div", "muted", t("service") + ": " + i.service_name + " (" + i.agency + ")"));
    if (i.status === "missed") box.appendChild(el("p", null, t("st_missed_help")));
    if (i.status === "waiting") {
      box.appendChild(Antrian.waitFacts(i, t, "none"));
      if (i.ticket && i.day) box.appendChild(remind.render(i, myKey));   // "Ingatkan saya"
    }
    if (i.status === "done" && i.ticket && !(doc && doc.survey === false)) {
      if (myKey) {       // only whoever holds the slip may rate: its QR code carries the key
        var rate = el("a", "rate", t("rate"));
        rate.href = "/survey/" + encodeURIComponent(i.ticket) + "?d=" + encodeURIComponent(i.day || "")
          + "&k=" + encodeURIComponent(myKey) + (lang === "en" ? "&lang=en" : "");
        box.appendChild(rate);
        box.appendChild(el("div", "muted", t("rate_help")));
      } else {
        box.appendChild(el("p", "muted", t("rate_need_key")));
      }
    }
    if ((i.status === "waiting" || i.status === "missed") && i.serving && i.serving.length) {
      box.appendChild(el("div", "muted", t("now_serving") + ": " + i.serving.map(function (x) {
        return x.ticket + " → " + x.counter_name; }).join(" · ")));
    }
  }

  // -- being called: seen without sound and without a tap ------------------------------------

  var bar = Antrian.calledBar(function () { return baseTitle; });
  function calledAlert(i) {
    bar.show(t("alert_called")(i.ticket, i.counter_name || ""), t("alert_close"));
  }
  function clearAlert() { bar.clear(); }
  function showTitle() { bar.showTitle(); }

  // -- data in -------------------------------------------------------------------------------

  function loadServices() {
    return fetch("/api/v1/services", { cache: "no-cache" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (d) {
      doc = d; lastEvent = Date.now(); streamTrouble = false;
      renderAll();
      return d;
    });
  }

  function connect() {
    if (source) source.close();
    source = new EventSource("/api/v1/events?v=" + (doc ? doc.version : ""));
    source.addEventListener("open", function () { streamTrouble = false; lastEvent = Date.now(); renderStatus(); });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) startPolling();   // refused (503): poll
      else { streamTrouble = true; renderStatus(); }
    });
    function seen(e) { lastEvent = Date.now(); if (e && e.lastEventId) doc.version = +e.lastEventId; if (streamTrouble) { streamTrouble = false; renderStatus(); } }
    source.addEventListener("snapshot", function (e) { doc = JSON.parse(e.data); seen(e); renderAll(); refreshTicketSoon(); });
    source.addEventListener("service", function (e) {
      seen(e); var s = JSON.parse(e.data); updateService(s, false);
      if (ticketInfo && ticketInfo.service === s.id) refreshTicketSoon();
    });
    source.addEventListener("removed", function (e) {
      seen(e); var id = JSON.parse(e.data).id;
      doc.services = doc.services.filter(function (x) { return x.id !== id; }); renderAll();
    });
    source.addEventListener("status", function (e) {
      seen(e); var st = JSON.parse(e.data);
      for (var k in st) doc[k] = st[k];
      renderStatus();
    });
    source.addEventListener("counters", function (e) { seen(e); doc.counters = JSON.parse(e.data); renderAll(); });
    source.addEventListener("message", function (e) { seen(e); var m = JSON.parse(e.data); doc.message = m.text ? m : null; renderStatus(); });
    source.addEventListener("call", function (e) {
      seen(e); var c = JSON.parse(e.data);
      doc.recent_calls = [c].concat((doc.recent_calls || []).filter(function (x) { return x.seq !== c.seq; })).slice(0, 10);
      renderCalls(true);
      var card = cards[c.service];
      if (card) { card.classList.remove("flash"); void card.offsetWidth; card.classList.add("flash"); }
      if (myTicket && (c.ticket === myTicket || (ticketInfo && ticketInfo.service === c.service))) refreshTicketSoon();
    });
    source.addEventListener("ping", function (e) { seen(null); });
  }

  function startPolling() {
    if (polling) return;
    polling = true; renderStatus();
    setInterval(function () { loadServices().then(refreshTicketSoon).catch(function () { streamTrouble = true; renderStatus(); }); }, 15000);
  }

  function watchStaleness() {
    setInterval(function () {
      if (!polling && Date.now() - lastEvent > STALE_AFTER) {
        streamTrouble = true; renderStatus();
        loadServices().then(connect).catch(function () {});
      }
      if (doc && doc.updated) renderStatus();
    }, 5000);
    window.addEventListener("online", function () { renderStatus(); loadServices().then(connect).catch(function () {}); });
    window.addEventListener("offline", renderStatus);
  }

  // -- start -------------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", function () {
    applyLanguage();
    Antrian.onLanguageButton(function () { return lang; },
                             function (next) { lang = next; applyLanguage(); });
    $("search").addEventListener("input", filter);
    $("ticket-form").addEventListener("submit", function (e) { e.preventDefault(); setTicket($("ticket-input").value, true); });
    $("ticket-input").addEventListener("input", function () { if (ticketInfo && ticketInfo.status === "invalid") { ticketInfo = null; renderTicket(); } });
    window.addEventListener("popstate", ticketFromUrl);
    ticketFromUrl();
    (function start(delay) {
      loadServices().then(connect).catch(function () {
        streamTrouble = true; renderStatus();
        setTimeout(function () { start(Math.min(delay * 2, 30000)); }, delay);
      });
    })(2000);
    setInterval(function () { if (myTicket) loadTicket(); }, 30000);
    watchStaleness();
  });
})();
