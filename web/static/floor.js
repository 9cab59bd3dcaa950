// The live floor view: per agency and service the line, the longest wait, the estimate,
// counters open / idle / closed, and flags; supervisors' actions within their scope.
"use strict";

(function () {
  var S = Staff, $ = S.$, el = S.el, doc = null, busy = false;
  var MODES = {serving: "Melayani", idle: "Menganggur", closed: "Tutup"};

  function say(kind, text) { var s = $("status"); s.className = "status " + kind; s.textContent = text; }

  async function command(name, body, what) {
    if (busy) return;
    busy = true;
    say("pending", what + ": mengirim…");
    var r = await S.send("POST", "/api/v1/floor/" + name, body);
    busy = false;
    if (r.status === 200) say("ok", "Berhasil: " + what);
    else say("bad", what + " — " + (r.status === 0 ? "koneksi terputus: TIDAK terkirim" :
      ((r.body.message && r.body.message.id) || r.body.error || r.status) +
      (r.body.error && r.body.message && r.body.error !== r.body.message.id ? " (" + r.body.error + ")" : "")));
    load();
  }

  function row(t, cells, cls) {
    var tr = el("tr", cls || null);
    cells.forEach(function (c) {
      if (c instanceof Node) { var td = el("td"); td.appendChild(c); tr.appendChild(td); }
      else tr.appendChild(el("td", null, c));
    });
    t.appendChild(tr);
    return tr;
  }

  function button(text, fn) { var b = el("button", "plain", text); b.addEventListener("click", fn); return b; }

  function services(a) {
    var t = el("table", "figures services");
    row(t, ["Layanan", "Menunggu", "Tunggu terlama", "Estimasi", "Rata-rata layanan / standar",
            "Loket buka", ""]).classList.add("head");
    a.services.forEach(function (s) {
      var name = el("span", null, s.name);
      if (s.over_standard) name.appendChild(el("span", "badge flag", "Melebihi standar"));
      if (s.flag_idle_counters.length) name.appendChild(el("span", "badge idle",
        "Loket " + s.flag_idle_counters.join(", ") + " menganggur"));
      var reset = button("Akhiri antrean hari ini", function () {
        if (confirm("Akhiri antrean " + s.name + " untuk hari ini? Nomor yang menunggu tidak dipanggil lagi."))
          command("reset", {service: s.id, confirm: true}, "antrean " + s.name + " diakhiri");
      });
      row(t, [name, String(s.waiting), S.duration(s.longest_wait_s), S.duration(s.est_wait_s),
              S.duration(s.avg_service_s) + " / " + (s.standard_s ? S.duration(s.standard_s) : "–"),
              s.counters_open.join(", ") || "–", reset], s.over_standard ? "flagged" : null);
    });
    return t;
  }

  function serviceNames(ids) {
    var names = {};
    doc.agencies.forEach(function (a) { a.services.forEach(function (s) { names[s.id] = s.name; }); });
    return ids.map(function (id) { return names[id] || id; }).join(", ");
  }

  function counters(a) {
    var t = el("table", "figures counters");
    row(t, ["Loket", "Keadaan", "Nomor", "Layanan", ""]);
    a.counters.forEach(function (c) {
      var mode = el("span", "mode-" + c.mode, MODES[c.mode]);
      var note = c.mode === "closed" ? (c.closed_reason || "") +
        (c.closed_until ? " s.d. " + S.clock(c.closed_until) : "") :
        c.mode === "serving" ? S.duration(c.held_s) : (c.idle_with_waiting ? "ada yang menunggu" : "");
      var box = el("span", null);
      box.appendChild(mode);
      if (note) box.appendChild(el("span", "muted", " " + note));
      var acts = el("span", null);
      if (c.mode === "closed") acts.appendChild(button("Buka", function () {
        command("open", {counter: c.counter}, c.name + " dibuka"); }));
      else acts.appendChild(button("Tutup…", function () { closeDialog(c); }));
      acts.appendChild(button("Layanan…", function () { assignDialog(c); }));
      row(t, [c.name, box, c.ticket || "–", serviceNames(c.services), acts],
          c.idle_with_waiting ? "flagged" : null);
    });
    return t;
  }

  function closeDialog(c) {
    var d = $("dlg-close");
    d.onclose = function () {
      if (d.returnValue !== "ok") return;
      var body = {counter: c.counter, reason: $("reason").value.trim()};
      if ($("until").value) body.until = $("until").value;
      command("close", body, c.name + " ditutup");
    };
    d.showModal();
  }

  function assignDialog(c) {
    var list = $("assign-list");
    list.textContent = "";
    doc.agencies.forEach(function (a) {
      a.services.forEach(function (s) {
        var id = "as-" + s.id, lab = el("label"), box = el("input");
        box.type = "checkbox"; box.id = id; box.value = s.id; box.checked = c.services.indexOf(s.id) >= 0;
        lab.appendChild(box); lab.appendChild(document.createTextNode(" " + s.name + " (" + a.agency + ")"));
        list.appendChild(lab);
      });
    });
    var d = $("dlg-assign");
    d.onclose = function () {
      if (d.returnValue !== "ok") return;
      var picked = Array.from(list.querySelectorAll("input:checked"), function (b) { return b.value; });
      if (picked.length) command("assign", {counter: c.counter, services: picked}, c.name + ": layanan diubah");
    };
    d.showModal();
  }

  function render() {
    $("who").textContent = doc.user.user + " · " + (doc.user.role === "manager" ? "pengelola gedung" :
      "instansi " + doc.user.agency);
    $("message-box").hidden = doc.user.role !== "manager";
    $("banner").hidden = doc.online !== false && doc.connected !== false;
    $("banner").textContent = "Layanan antrean tidak terhubung: angka terakhir yang diketahui";
    var f = doc.flags;
    $("flags").textContent = (f.over_standard.length ? f.over_standard.length + " layanan melebihi standar. " : "") +
      (f.idle_with_waiting.length ? "Loket menganggur padahal ada yang menunggu: " + f.idle_with_waiting.join(", ") + "." : "");
    var box = $("agencies");
    box.textContent = "";
    doc.agencies.forEach(function (a) {
      var sec = el("section", "agency");
      sec.appendChild(el("h2", null, a.agency));
      var s1 = el("div", "scroll"); s1.appendChild(services(a)); sec.appendChild(s1);
      var s2 = el("div", "scroll"); s2.appendChild(counters(a)); sec.appendChild(s2);
      box.appendChild(sec);
    });
  }

  async function load() {
    var r = await S.send("GET", "/api/v1/floor");
    if (r.status === 200) { doc = r.body; render(); }
    else if (r.status === 403) { location.href = "/console/"; }
  }

  $("message-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("message").value.trim();
    command("message", {text: text}, text ? "teks berjalan dipasang" : "teks berjalan dihapus");
  });
  S.live(load, 10000);
})();
