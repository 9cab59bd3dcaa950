// The officer's counter page: the current ticket against the standard, the waiting and missed
// lists, and the actions. Each action carries a request id and `expect`; one at a time (a
// double click does one thing); pending, then acknowledged or the refusal in Indonesian. A
// lost connection keeps the action (sessionStorage) and sends it once more with the same id
// (the queue does an id once), or says plainly that it did not happen.
"use strict";

(function () {
  var S = Staff, $ = S.$, el = S.el;
  var cid = null, doc = null, offset = 0, inflight = null, names = {};
  var NAMES = {next: "Berikutnya", recall: "Panggil ulang", skip: "Lewati", call: "Panggil",
               transfer: "Alihkan", close: "Tutup loket", open: "Buka loket"};
  var pendingKey = function () { return "antrian-pending-" + cid; };

  function say(kind, text) {
    var s = $("status");
    s.className = "status " + kind;
    s.textContent = text;
  }

  function render() {
    if (!doc) return;
    $("title").textContent = doc.name;
    document.title = doc.name + " — Konsol Petugas";
    $("ticket").textContent = doc.ticket || "—";
    $("service").textContent = doc.ticket ? (doc.service_name || doc.service || "") : "";
    var st = doc.open ? (doc.ticket ? "Melayani" : "Buka, tidak ada yang dilayani") :
      "Tutup" + (doc.closed_reason ? " — " + doc.closed_reason : "") +
      (doc.closed_until ? " (sampai " + S.clock(doc.closed_until) + ")" : "");
    if (doc.online === false) st += " · Layanan antrean TIDAK terhubung";
    $("counter-state").textContent = st;
    $("banner").hidden = doc.online !== false && doc.connected !== false;
    $("banner").textContent = doc.connected === false ? "Server terputus dari layanan antrean" :
      "Layanan antrean tidak terhubung: aksi tidak dapat dijalankan";
    buttons();
    tick();
    table($("waiting"), ["Nomor", "Layanan", "Menunggu", ""], doc.waiting, function (w, i) {
      var n = el("td", null, w.ticket);
      if (w.priority) n.appendChild(el("span", "badge prio", "Prioritas"));
      var b = el("button", "plain", i === 0 ? "Panggil" : "Panggil dulu…");
      b.addEventListener("click", function () { callWaiting(w, i); });
      return [n, el("td", null, names[w.service] || w.service),
              el("td", null, (w.approx ? "± " : "") + S.duration(w.waiting_s)), cell(b)];
    });
    $("waiting-count").textContent = "(" + doc.waiting.length + ")";
    table($("missed"), ["Nomor", "Layanan", ""], doc.missed, function (m) {
      var b = el("button", "plain", "Panggil kembali");
      b.addEventListener("click", function () { act("call", {ticket: m.ticket}); });
      return [el("td", null, m.ticket), el("td", null, names[m.service] || m.service), cell(b)];
    });
  }

  function cell(child) { var td = el("td"); td.appendChild(child); return td; }

  function table(t, head, rows, row) {
    t.textContent = "";
    var tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", null, h)); });
    t.appendChild(tr);
    if (!rows.length) {
      var e = el("tr"), td = el("td", "muted", "Tidak ada");
      td.colSpan = head.length; e.appendChild(td); t.appendChild(e);
    }
    rows.forEach(function (r, i) {
      var line = el("tr");
      row(r, i).forEach(function (c) { line.appendChild(c); });
      t.appendChild(line);
    });
  }

  function buttons() {
    var has = !!(doc && doc.ticket), open = !!(doc && doc.open), busy = !!inflight;
    $("next").disabled = busy;
    $("recall").disabled = busy || !has;
    $("skip").disabled = busy || !has;
    $("transfer").disabled = busy || !has;
    $("close").disabled = busy || !open;
    $("open").disabled = busy || open;
  }

  function tick() {
    var t = $("timer");
    if (!doc || !doc.ticket || !doc.since) { t.textContent = ""; t.className = "timer"; return; }
    var held = Date.now() / 1000 + offset - doc.since, std = doc.standard_s;
    t.textContent = S.duration(held) + (std ? " / standar " + Math.round(std / 60) + " mnt" : "");
    t.className = "timer " + (!std ? "" : held > std ? "red" : held > 0.8 * std ? "amber" : "ok");
  }

  async function load() {
    if (!cid) return;
    var r = await S.send("GET", "/api/v1/counters/" + encodeURIComponent(cid));
    if (r.status === 200) {
      doc = r.body;
      offset = doc.now - Date.now() / 1000;
      doc.services.forEach(function (s) { names[s.id] = s.name; });
      doc.transfer_to.forEach(function (s) { names[s.id] = names[s.id] || s.name; });
      render();
    } else if (r.status === 403) {
      say("bad", (r.body.message && r.body.message.id) || "Tidak berwenang untuk loket ini");
    }
  }

  function act(action, extra) {
    if (inflight) { say("pending", "Masih memproses " + NAMES[inflight.action] + "…"); return; }
    var body = Object.assign({action: action, id: S.requestId(),
                              expect: doc ? (doc.ticket || null) : null}, extra || {});
    run(body);
  }

  async function run(body) {
    inflight = body;
    buttons();
    try { sessionStorage.setItem(pendingKey(), JSON.stringify(body)); } catch (e) {}
    say("pending", NAMES[body.action] + (body.ticket ? " " + body.ticket : "") + ": mengirim…");
    var url = "/api/v1/counters/" + encodeURIComponent(cid) + "/press";
    var r = await S.send("POST", url, body);
    if (r.status === 0 || r.status === 504 || r.status === 502) {
      say("warn", "Belum ada jawaban: mengirim ulang sekali (aksi yang sama, tidak ganda)…");
      await new Promise(function (ok) { setTimeout(ok, 2000); });
      r = await S.send("POST", url, body);
    }
    done(body, r);
  }

  async function done(body, r) {
    try { sessionStorage.removeItem(pendingKey()); } catch (e) {}
    inflight = null;
    if (r.status === 200) {
      doc = r.body.counter || doc;
      say("ok", "Berhasil: " + outcome(body, r.body.state || {}));
    } else if (r.status === 0 || r.status === 504 || r.status === 502) {
      await load();
      if (doc && doc.request === body.id) say("ok", "Berhasil: " + outcome(body, doc));
      else say("bad", NAMES[body.action] + " TIDAK terjadi: layanan antrean tidak menjawab. " +
               "Periksa nomor di layar sebelum mengulang.");
    } else if (r.status === 503) {
      say("bad", NAMES[body.action] + " TIDAK terjadi: " + ((r.body.message && r.body.message.id) ||
          "server tidak terhubung"));
    } else {
      var m = r.body.message || {};
      say("bad", NAMES[body.action] + " ditolak: " + (m.id || r.body.error || r.status) +
          (r.body.error && m.id !== r.body.error ? " (" + r.body.error + ")" : ""));
    }
    render();
    if (r.status !== 200) load();
  }

  function outcome(body, state) {
    if (body.action === "open") return "loket dibuka";
    if (body.action === "close") return "loket ditutup";
    if (body.action === "transfer") return (body.expect || "nomor") + " dialihkan ke " +
      (names[body.to] || body.to);
    if (body.action === "recall") return (state.ticket || body.expect) + " dipanggil ulang";
    return state.ticket ? state.ticket + " dipanggil" : "tidak ada yang menunggu";
  }

  function callWaiting(w, i) {
    if (i === 0) { act("call", {ticket: w.ticket}); return; }
    $("order-what").textContent = w.ticket + " belum gilirannya (" + i + " nomor di depannya).";
    $("order-reason").value = "";
    var d = $("dlg-order");
    d.onclose = function () {
      var reason = $("order-reason").value.trim();
      if (d.returnValue === "ok" && reason) act("call", {ticket: w.ticket, reason: reason});
    };
    d.showModal();
  }

  function transfer() {
    var sel = $("to");
    sel.textContent = "";
    doc.transfer_to.forEach(function (s) {
      if (s.id === doc.service) return;
      var o = el("option", null, s.name + " (" + s.agency + ")");
      o.value = s.id;
      sel.appendChild(o);
    });
    var d = $("dlg-transfer");
    d.onclose = function () { if (d.returnValue === "ok" && sel.value) act("transfer", {to: sel.value}); };
    d.showModal();
  }

  function close() {
    var d = $("dlg-close");
    d.onclose = function () {
      if (d.returnValue !== "ok") return;
      var extra = {reason: $("reason").value.trim()};
      if ($("until").value) extra.until = $("until").value;
      act("close", extra);
    };
    d.showModal();
  }

  function wire() {
    $("next").addEventListener("click", function () { act("next"); });
    $("recall").addEventListener("click", function () { act("recall"); });
    $("skip").addEventListener("click", function () { act("skip"); });
    $("open").addEventListener("click", function () { act("open"); });
    $("transfer").addEventListener("click", transfer);
    $("close").addEventListener("click", close);
    document.addEventListener("keydown", function (e) {
      var tag = (e.target && e.target.tagName) || "";
      if (e.ctrlKey || e.altKey || e.metaKey || /INPUT|SELECT|TEXTAREA/.test(tag)) return;
      if (document.querySelector("dialog[open]")) return;
      var b = document.querySelector('.act[data-key="' + e.key.toLowerCase() + '"]');
      if (b && !b.disabled) { e.preventDefault(); b.click(); }
    });
    setInterval(tick, 1000);
  }

  async function start() {
    wire();
    var r = await S.send("GET", "/api/v1/counters");
    if (r.status !== 200) { say("bad", "Tidak dapat memuat loket"); return; }
    $("who").textContent = r.body.user + " · " + (r.body.role === "officer" ? "petugas" : r.body.role);
    var mine = r.body.counters;
    if (!mine.length) { say("bad", "Akun ini tidak bertugas di loket mana pun"); return; }
    var want = new URLSearchParams(location.search).get("loket");
    cid = mine.some(function (c) { return c.id === want; }) ? want : mine[0].id;
    if (mine.length > 1) {
      var pick = $("counter-pick");
      mine.forEach(function (c) {
        var o = el("option", null, c.name); o.value = c.id; o.selected = c.id === cid;
        pick.appendChild(o);
      });
      pick.hidden = false;
      pick.addEventListener("change", function () { location.search = "?loket=" + pick.value; });
    }
    S.live(load, 10000);
    var kept = null;
    try { kept = JSON.parse(sessionStorage.getItem(pendingKey()) || "null"); } catch (e) {}
    if (kept && kept.id) {
      say("warn", "Aksi yang belum terkonfirmasi ditemukan: dikirim ulang sekali…");
      run(kept);
    }
  }

  start();
})();
