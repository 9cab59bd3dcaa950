// The manager's page: the SKM, standards compliance and the report's files, for the agencies the
// logged-in account may see (the server decides; this page only asks).
"use strict";

(function () {
  var me = null;
  var $ = Antrian.$, el = Antrian.el;    // web/static/common.js
  function get(url) {
    return fetch(url, { cache: "no-store", credentials: "same-origin" }).then(function (r) {
      if (r.status === 401) { location.href = "/manage/login"; throw new Error("login"); }
      return r.json().then(function (b) { return { status: r.status, body: b }; });
    });
  }
  function note(id, text) { var n = $(id); n.hidden = !text; n.textContent = text || ""; }
  function num(v, d) { return v === null || v === undefined ? "—" : (+v).toFixed(d === undefined ? 2 : d); }
  function pct(v) { return v === null || v === undefined ? "—" : Math.round(v * 100) + " %"; }

  function table(t, head, rows) {
    t.textContent = "";
    var tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", null, h)); });
    t.appendChild(tr);
    rows.forEach(function (r) {
      var row = el("tr");
      r.forEach(function (c) {
        var td = el("td");
        if (c && c.grade) { td.appendChild(el("span", "grade " + c.grade, c.grade)); }
        else td.textContent = c === null || c === undefined ? "—" : String(c);
        row.appendChild(td);
      });
      t.appendChild(row);
    });
  }

  function query() {
    var a = $("agency").value;
    return { from: $("from").value, to: $("to").value, day: $("day").value,
             agency: a ? "&agency=" + encodeURIComponent(a) : "" };
  }

  function serviceName(id) {
    for (var i = 0; i < me.services.length; i++) if (me.services[i].id === id) return me.services[i].name;
    return id;
  }

  function loadSkm(q) {
    var base = "from=" + q.from + "&to=" + q.to + q.agency;
    $("skm-csv").href = "/api/v1/manage/skm.csv?" + base;
    get("/api/v1/manage/skm?" + base).then(function (res) {
      if (res.status !== 200) { note("skm-note", res.body.error); return; }
      note("skm-note", "");
      var r = res.body.result;
      $("skm-summary").textContent = r.n
        ? "Responden: " + r.n + " · IKM " + num(r.index) + " (" + r.grade + ", " + r.performance.id + ")"
        : "Belum ada penilaian pada periode ini.";
      table($("skm-elements"), ["Unsur", "NRR", "NRR × 0,111"], r.elements.map(function (e, i) {
        return ["U" + (i + 1) + " " + e.name, num(e.nrr, 3), num(e.weighted, 4)];
      }));
      var by = res.body.agencies || res.body.services || {};
      var isAgency = !!res.body.agencies;
      $("skm-by-title").textContent = isAgency ? "Per instansi" : "Per layanan";
      table($("skm-by"), [isAgency ? "Instansi" : "Layanan", "Responden", "IKM", "Mutu"],
        Object.keys(by).map(function (k) {
          var x = by[k];
          return [isAgency ? k : serviceName(k), x.n, num(x.index), x.grade ? { grade: x.grade } : "—"];
        }));
    }).catch(function () {});
  }

  function loadStandards(q) {
    if (!me.standards_available) {
      note("std-note", "Kepatuhan standar memerlukan data antrean: jalankan antrian web dengan --db di Pi antrean.");
      return;
    }
    var base = "day=" + q.day + q.agency;
    $("std-csv").href = "/api/v1/manage/standards.csv?" + base;
    $("std-csv").hidden = false;
    get("/api/v1/manage/standards?" + base).then(function (res) {
      if (res.status !== 200) { note("std-note", res.body.error); return; }
      note("std-note", res.body.services.length ? "" : "Tidak ada layanan dengan standar waktu pada hari ini.");
      table($("std"), ["Layanan", "Instansi", "Standar (mnt)", "Diukur", "Median (mnt)", "P90 (mnt)",
                       "Dalam standar", "Tunggu median (mnt)"],
        res.body.services.map(function (s) {
          return [s.name, s.agency, s.target_min, s.measured, s.service_median_min, s.service_p90_min,
                  pct(s.share_within), s.wait_median_min];
        }));
    }).catch(function () {});
  }

  function loadReport(q) {
    get("/api/v1/manage/report?day=" + q.day + q.agency).then(function (res) {
      var ul = $("files");
      ul.textContent = "";
      if (res.status !== 200) return;
      (res.body.files || []).forEach(function (f) {
        var li = el("li"), a = el("a", null, f.name);
        a.href = f.url; li.appendChild(a); ul.appendChild(li);
      });
      if (!(res.body.files || []).length) ul.appendChild(el("li", "muted",
        res.body.report_files ? "Belum ada berkas laporan untuk hari ini." :
        "Berkas laporan gedung: jalankan antrian web dengan --reports (pengelola gedung)."));
    }).catch(function () {});
  }

  function refresh(ev) {
    if (ev) ev.preventDefault();
    var q = query();
    loadSkm(q); loadStandards(q); loadReport(q);
  }

  document.addEventListener("DOMContentLoaded", function () {
    get("/api/v1/manage/me").then(function (res) {
      me = res.body;
      $("who").textContent = me.user + " (" + (me.role === "manager" ? "pengelola gedung" : me.agency) + ")";
      $("scope").textContent = me.role === "manager" ? "Seluruh instansi" : "Instansi: " + me.agency;
      if (me.role === "manager") {
        $("agency-box").hidden = false;
        me.agencies.forEach(function (a) { var o = el("option", null, a); o.value = a; $("agency").appendChild(o); });
      }
      var today = me.today;       // the site's service day, not this computer's date
      $("from").value = today.slice(0, 8) + "01"; $("to").value = today; $("day").value = today;
      $("controls").addEventListener("submit", refresh);
      refresh();
    }).catch(function () {});
  });
})();
