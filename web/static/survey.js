// The SKM satisfaction survey (PermenPANRB 14/2017): nine questions, answers 1-4, one per ticket.
// On a visitor's phone (/survey/A016?d=2026-11-30, from the ticket's QR page) or on a counter's
// tablet (/survey/: type the number, answer, and the form clears for the next visitor).
"use strict";

(function () {
  var T = {
    id: {
      title: "Survei Kepuasan Masyarakat", subtitle: "Nilai layanan kami",
      intro: "Penilaian Anda membantu kami memperbaiki layanan. Sembilan pertanyaan, sekitar satu menit. Tidak ada data pribadi yang disimpan.",
      ticket_number: "Nomor antrean", example: "Nomor antrean, mis. A016", start: "Mulai",
      send: "Kirim penilaian", sending: "Mengirim…", back: "Kembali ke antrean",
      for_ticket: function (t, s) { return "Nomor " + t + (s ? " · " + s : ""); },
      loading: "Memuat…", missing: "Mohon jawab semua pertanyaan (yang bertanda merah).",
      thanks: "Terima kasih! Penilaian Anda sudah kami terima.",
      st_waiting: "Nomor ini belum dilayani. Penilaian dapat diisi setelah layanan selesai.",
      st_called: "Nomor ini sedang dilayani. Penilaian dapat diisi setelah layanan selesai.",
      st_missed: "Nomor ini terlewat dan belum dilayani.",
      st_expired: "Penilaian hanya untuk nomor antrean hari ini.",
      st_unknown: "Nomor ini tidak terdaftar hari ini.",
      st_invalid: "Nomor tidak valid. Contoh: A016",
      offline: "Tidak dapat terhubung. Periksa koneksi lalu coba lagi.",
      key_label: "Kode karcis (di bawah kode QR)",
      no_key: "Penilaian memerlukan kode karcis: pindai kode QR pada karcis Anda, atau ketik kodenya.",
      loading_state: "Data antrean sedang dimuat; sebentar lagi…",
      lang_button: "EN", lang_label: "EN, English", lang_code: "en"
    },
    en: {
      title: "Satisfaction survey", subtitle: "Rate our service",
      intro: "Your answers help us improve the service. Nine questions, about a minute. Nothing personal is stored.",
      ticket_number: "Ticket number", example: "Ticket number, e.g. A016", start: "Start",
      send: "Send my answers", sending: "Sending…", back: "Back to the queue",
      for_ticket: function (t, s) { return "Ticket " + t + (s ? " · " + s : ""); },
      loading: "Loading…", missing: "Please answer every question (those marked red).",
      thanks: "Thank you! Your answers have been received.",
      st_waiting: "This ticket has not been served yet. Rate the service after it.",
      st_called: "This ticket is being served now. Rate the service after it.",
      st_missed: "This ticket was missed and has not been served.",
      st_expired: "Only today's tickets can be rated.",
      st_unknown: "This number was not issued today.",
      st_invalid: "Not a valid number. Example: A016",
      offline: "Cannot connect. Check the connection and try again.",
      key_label: "Slip code (under the QR code)",
      no_key: "Rating needs the slip's code: scan the QR code on your ticket slip, or type its code.",
      loading_state: "The queue's figures are loading; one moment…",
      lang_button: "ID", lang_label: "ID, Bahasa Indonesia", lang_code: "id"
    }
  };
  var TICKET = /^[A-Z0-9]{1,4}[-.]?\d{1,4}$/;
  var RESET_AFTER = 12000;      // ms: a tablet clears the thanks for the next visitor

  var $ = Antrian.$, el = Antrian.el;    // web/static/common.js
  var lang = Antrian.pickLanguage();
  var elements = null, ticket = null, day = null, key = null, info = null, tablet = false, note = null;
  var KEY = /^[A-Za-z0-9_\-]{1,40}$/;      // the slip's key (the QR code's k=)

  function t(key) { return T[lang][key]; }

  function applyLanguage() {
    Antrian.translate(T, lang);
    document.title = t("title");
    if (elements) buildQuestions(true);
    showNote();
    if (info) $("for-ticket").textContent = t("for_ticket")(ticket, info.service_name);
  }

  // note = {key} (a text of ours) or {message: {id, en}} (the server's reason) plus a class
  function say(n) { note = n; showNote(); }
  function showNote() {
    var box = $("note");
    if (!note) { box.hidden = true; return; }
    box.hidden = false;
    box.className = "note " + (note.cls || "");
    box.textContent = note.key ? t(note.key) : (note.message[lang] || note.message.en);
  }

  function buildQuestions(keep) {
    var chosen = keep ? answers() : [];
    var box = $("questions");
    box.textContent = "";
    elements.forEach(function (e, i) {
      var fs = el("fieldset", "q");
      fs.id = "q" + (i + 1);
      fs.appendChild(el("legend", null, (i + 1) + ". " + e.name[lang]));
      fs.appendChild(el("p", null, e.question[lang]));
      var choices = el("div", "choices");
      e.answers[lang].forEach(function (text, k) {
        var id = "q" + (i + 1) + "-" + (k + 1);
        var input = el("input");
        input.type = "radio"; input.name = "q" + (i + 1); input.value = String(k + 1); input.id = id;
        if (chosen[i] === k + 1) input.checked = true;
        input.addEventListener("change", function () {
          fs.classList.remove("missing");
          if (note && note.key === "missing" && !document.querySelector(".q.missing")) say(null);
        });
        var label = el("label");
        label.htmlFor = id;
        label.appendChild(el("b", null, k + 1));
        label.appendChild(el("span", null, text));
        choices.appendChild(input); choices.appendChild(label);
      });
      fs.appendChild(choices);
      box.appendChild(fs);
    });
  }

  function answers() {
    var out = [];
    for (var i = 1; i <= (elements ? elements.length : 0); i++) {
      var c = document.querySelector("input[name=q" + i + "]:checked");
      out.push(c ? +c.value : null);
    }
    return out;
  }

  function resetForm() {
    document.querySelectorAll("#questions input").forEach(function (i) { i.checked = false; });
    document.querySelectorAll(".q.missing").forEach(function (q) { q.classList.remove("missing"); });
  }

  // -- which ticket --------------------------------------------------------------------------

  function fromUrl() {
    var m = location.pathname.match(/^\/survey\/([A-Za-z0-9.\-]{1,12})$/);
    var p = new URLSearchParams(location.search);
    day = p.get("d");
    if (day && !/^\d{4}-\d{2}-\d{2}$/.test(day)) day = null;
    key = p.get("k");
    if (key && !KEY.test(key)) key = null;
    tablet = !m;
    $("find").hidden = !tablet && !!key;
    if (m) {
      $("ticket-input").value = decodeURIComponent(m[1]).toUpperCase();
      if (key) check(decodeURIComponent(m[1]));
      else say({ key: "no_key", cls: "warn" });
    }
  }

  function check(raw) {
    var v = String(raw).trim().toUpperCase();
    $("survey").hidden = true;
    if (!TICKET.test(v)) { say({ key: "st_invalid", cls: "bad" }); return; }
    ticket = v; info = null;
    say({ key: "loading" });
    fetch("/api/v1/tickets/" + encodeURIComponent(v) + (day ? "?day=" + day : ""), { cache: "no-store" })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, status: r.status, body: b }; }); })
      .then(function (res) {
        if (res.status === 503) { say({ key: "loading_state" }); setTimeout(function () { check(v); }, 2000); return; }
        if (!res.ok) { say({ key: "st_invalid", cls: "bad" }); return; }
        info = res.body;
        ticket = info.ticket || ticket;
        if (info.status !== "done") {
          say({ key: "st_" + info.status, cls: info.status === "waiting" || info.status === "called" ? "warn" : "bad" });
          return;
        }
        say(null);
        $("for-ticket").textContent = t("for_ticket")(ticket, info.service_name);
        resetForm();
        $("survey").hidden = false;
      })
      .catch(function () { say({ key: "offline", cls: "bad" }); });
  }

  // -- sending -------------------------------------------------------------------------------

  function submit(ev) {
    ev.preventDefault();
    var scores = answers(), first = null;
    scores.forEach(function (s, i) {
      var fs = $("q" + (i + 1));
      if (s === null) { fs.classList.add("missing"); if (!first) first = fs; }
    });
    if (first) {
      say({ key: "missing", cls: "bad" });
      first.scrollIntoView({ behavior: "smooth", block: "center" });
      return;
    }
    var body = { ticket: ticket, key: key || "", scores: scores };
    if (day) body.day = day;
    var send = $("send");
    send.disabled = true; send.textContent = t("sending");
    fetch("/api/v1/survey", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      cache: "no-store", credentials: "omit"
    }).then(function (r) {
      return r.json().then(function (b) { return { status: r.status, body: b }; });
    }).then(function (res) {
      if (res.status === 201) done({ key: "thanks", cls: "ok" });
      else if (res.body && res.body.code === "already_answered") done({ message: res.body.message, cls: "ok" });
      else say({ message: (res.body && res.body.message) || { id: "Gagal", en: "Failed" }, cls: "bad" });
    }).catch(function () {
      say({ key: "offline", cls: "bad" });
    }).then(function () {
      send.disabled = false; send.textContent = t("send");
    });
  }

  function done(n) {
    $("survey").hidden = true;
    say(n);
    window.scrollTo(0, 0);
    document.body.dataset.sent = "1";
    if (tablet) setTimeout(function () {
      ticket = null; info = null; key = null; say(null); resetForm();
      $("ticket-input").value = ""; $("key-input").value = ""; $("ticket-input").focus();
      document.body.dataset.sent = "0";
    }, RESET_AFTER);
  }

  document.addEventListener("DOMContentLoaded", function () {
    applyLanguage();
    Antrian.onLanguageButton(function () { return lang; },
                             function (next) { lang = next; applyLanguage(); });
    $("find").addEventListener("submit", function (e) {
      e.preventDefault();
      var k = $("key-input").value.trim();
      if (!KEY.test(k)) { say({ key: "no_key", cls: "bad" }); $("key-input").focus(); return; }
      key = k;
      check($("ticket-input").value);
    });
    $("survey").addEventListener("submit", submit);
    fetch("/api/v1/skm/elements").then(function (r) { return r.json(); }).then(function (b) {
      elements = b.elements;
      buildQuestions(false);
      fromUrl();
    }).catch(function () { say({ key: "offline", cls: "bad" }); });
  });
})();
