// "Ingatkan saya": tell a visitor when their turn is near, on any page that knows a ticket (the
// ticket page, the booking page). While the page is open: a banner, a sound, a vibration and a
// notification, fed by the page's live updates. With the slip's key, and where the site has it
// on: Web Push (the phone is told with the page closed) and a text to a phone.
//
//   var r = AntrianRemind.create({ lang: "id", onChange: function () {...} });
//   box.appendChild(r.render(info, key));   // info: /api/v1/tickets/<t>'s answer
//   r.update(info);                         // each new answer: alerts when the condition holds
//
// Plain JavaScript, no libraries; text goes in with textContent only. Needs common.js.
"use strict";

var AntrianRemind = (function () {
  var T = {
    id: {
      remind: "Ingatkan saya", when_ahead: "Saat tersisa", people: "orang di depan",
      or_minutes: "atau perkiraan tunggu kurang dari", minutes: "menit",
      push: "Kirim juga notifikasi ke HP ini walau halaman ditutup",
      phone: "Nomor HP untuk WhatsApp/SMS (opsional)", phone_help: "Hanya dipakai untuk pengingat ini, dihapus setelah giliran Anda.",
      on: "Aktifkan", cancel: "Batalkan", armed: function (n, m) {
        return "Pengingat aktif: saat " + n + " orang atau kurang di depan Anda" + (m ? " atau perkiraan ≤ " + m + " menit" : "") + "."; },
      keep_open: "Biarkan halaman ini terbuka agar pengingat berbunyi.",
      near_title: "Giliran Anda hampir tiba",
      near: function (tk, n, w) { return n === 0 ? "Nomor " + tk + ": Anda berikutnya" + w + ". Bersiaplah!"
        : "Nomor " + tk + ": " + n + " orang lagi di depan Anda" + w + ". Bersiaplah!"; },
      wait: function (m) { return " (± " + m + " mnt)"; },
      called_title: "Nomor Anda dipanggil",
      called: function (tk, c) { return "Nomor " + tk + " dipanggil! Silakan menuju " + c + "."; },
      close: "Tutup pemberitahuan", no_permission: "Notifikasi diblokir di peramban ini; pengingat tetap tampil di halaman ini.",
      push_failed: "Notifikasi push tidak tersedia di peramban ini; biarkan halaman ini terbuka.",
      server_failed: "Pengingat lewat push/pesan tidak dapat diaktifkan: ",
      sent: "Pengingat juga dikirim ke HP Anda."
    },
    en: {
      remind: "Remind me", when_ahead: "When", people: "or fewer are ahead",
      or_minutes: "or the estimated wait is under", minutes: "minutes",
      push: "Also notify this phone when the page is closed",
      phone: "Phone for WhatsApp/SMS (optional)", phone_help: "Used for this reminder only, deleted after your turn.",
      on: "Turn on", cancel: "Cancel", armed: function (n, m) {
        return "Reminder on: when " + n + " or fewer are ahead of you" + (m ? " or the estimate is ≤ " + m + " min" : "") + "."; },
      keep_open: "Keep this page open for the reminder to sound.",
      near_title: "Your turn is near",
      near: function (tk, n, w) { return n === 0 ? "Number " + tk + ": you are next" + w + ". Get ready!"
        : "Number " + tk + ": " + n + " ahead of you" + w + ". Get ready!"; },
      wait: function (m) { return " (about " + m + " min)"; },
      called_title: "Your number is called",
      called: function (tk, c) { return "Number " + tk + " is called! Please go to " + c + "."; },
      close: "Close this notice", no_permission: "Notifications are blocked in this browser; the reminder still shows on this page.",
      push_failed: "Push notifications are not available in this browser; keep this page open.",
      server_failed: "Push/text reminders could not be turned on: ",
      sent: "The reminder also goes to your phone."
    }
  };
  var AHEAD = [1, 2, 3, 5, 10], MINUTES = [0, 5, 10, 15, 30];
  var el = Antrian.el, config = null, audio = null;

  function loadConfig() {
    if (config) return Promise.resolve(config);
    return fetch("/api/v1/alerts", { cache: "no-cache" }).then(function (r) { return r.json(); })
      .then(function (c) { config = c; return c; })
      .catch(function () { return { push: false, phone: false }; });
  }

  function storeKey(info) { return "antrian-remind:" + (info.day || "") + ":" + info.ticket; }
  function saved(info) {
    try { return JSON.parse(localStorage.getItem(storeKey(info)) || "null"); } catch (e) { return null; }
  }
  function save(info, v) {
    try { if (v) localStorage.setItem(storeKey(info), JSON.stringify(v)); else localStorage.removeItem(storeKey(info)); } catch (e) {}
  }

  // A sound needs a tap first (autoplay rules): the AudioContext is made by "Aktifkan".
  function unlockSound() {
    try { if (!audio) audio = new (window.AudioContext || window.webkitAudioContext)(); audio.resume(); } catch (e) { audio = null; }
  }
  function beep() {
    if (!audio) return;
    try {
      [0, 0.35, 0.7].forEach(function (at) {
        var o = audio.createOscillator(), g = audio.createGain(), t0 = audio.currentTime + at;
        o.frequency.value = 880; o.connect(g); g.connect(audio.destination);
        g.gain.setValueAtTime(0.3, t0); g.gain.exponentialRampToValueAtTime(0.001, t0 + 0.3);
        o.start(t0); o.stop(t0 + 0.3);
      });
    } catch (e) {}
  }

  function b64ToBytes(s) {
    var raw = atob((s + "===".slice((s.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function worker() {
    if (!("serviceWorker" in navigator)) return Promise.reject(new Error("no service worker"));
    return navigator.serviceWorker.register("/static/sw.js").then(function () { return navigator.serviceWorker.ready; });
  }

  // The Notification API while the page is open: through the service worker where there is one
  // (Android's Chrome has no `new Notification`), the constructor elsewhere.
  function notify(title, body, tag) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    var opts = { body: body, tag: tag, renotify: true, icon: "/static/icon.svg", vibrate: [300, 150, 300] };
    var fallback = function () { try { new Notification(title, opts); } catch (e) {} };
    if ("serviceWorker" in navigator && navigator.serviceWorker.getRegistration) {
      navigator.serviceWorker.getRegistration("/static/").then(function (reg) {
        if (reg && reg.showNotification) reg.showNotification(title, opts).catch(fallback); else fallback();
      }).catch(fallback);
    } else fallback();
  }

  function create(opts) {
    var lang = opts.lang || "id", state = null, current = null, key = null, note = "";
    var node = null, nodeFor = null;   // the widget is kept across the page's re-renders (an open form stays open)
    function t(k) { return T[lang][k]; }

    function banner(text) {
      var box = document.getElementById("remind-alert");
      if (!box) return;
      box.textContent = "";
      box.appendChild(el("span", "alert-text", text));
      var close = el("button", "alert-close", "×");
      close.type = "button"; close.setAttribute("aria-label", t("close"));
      close.addEventListener("click", function () { box.hidden = true; });
      box.appendChild(close);
      box.hidden = false;
    }

    function fire(info) {
      var w = info.est_wait_s === null || info.est_wait_s === undefined ? "" : t("wait")(Math.max(1, Math.round(info.est_wait_s / 60)));
      var text = t("near")(info.ticket, info.ahead, w);
      banner(text);
      beep();
      try { if (navigator.vibrate) navigator.vibrate([400, 200, 400, 200, 400]); } catch (e) {}
      notify(t("near_title"), text, "antrian-" + info.ticket);
      document.body.dataset.reminded = "1";
    }

    // Each new answer: the condition is checked here, the alert given once per setting.
    function update(info) {
      current = info;
      if (!info || !info.ticket) return;
      state = saved(info);
      if (!state) return;
      if (info.status === "waiting" && !state.fired) {
        var near = info.ahead !== null && info.ahead <= state.ahead;
        if (!near && state.minutes && info.est_wait_s !== null && info.est_wait_s <= state.minutes * 60) near = true;
        if (near) { state.fired = true; save(info, state); fire(info); }
      } else if (info.status === "called" && !state.called) {
        state.called = true; save(info, state);
        var bar = document.getElementById("remind-alert");
        if (bar) bar.hidden = true;      // the call's own green bar takes over
        notify(t("called_title"), t("called")(info.ticket, info.counter_name || ""), "antrian-" + info.ticket);
      } else if (info.status === "done" || info.status === "expired") {
        save(info, null);
      }
    }

    function select(values, chosen, label, fmt) {
      var s = el("select");
      s.setAttribute("aria-label", label);
      values.forEach(function (v) {
        var o = el("option", null, fmt(v)); o.value = String(v);
        if (v === chosen) o.selected = true;
        s.appendChild(o);
      });
      return s;
    }

    function arm(info, ahead, minutes, push, phone) {
      unlockSound();
      worker().catch(function () {});   // Android shows notifications only through a worker
      state = { ahead: ahead, minutes: minutes || null, fired: false };
      save(info, state);
      var asked = ("Notification" in window && Notification.permission === "default")
        ? Notification.requestPermission() : Promise.resolve(window.Notification ? Notification.permission : "denied");
      asked.then(function (p) {
        note = p === "granted" ? "" : t("no_permission");
        if (push || phone) return subscribe(info, push, phone);
      }).catch(function () {}).then(function () { changed(); update(info); });
    }

    function subscribe(info, push, phone) {
      var body = { ticket: info.ticket, day: info.day, key: key, ahead: state.ahead, minutes: state.minutes, lang: lang };
      if (phone) body.phone = phone;
      var sub = push ? worker().then(function (reg) {
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(config.vapid_public) });
      }).then(function (s) { body.push = s.toJSON(); }).catch(function () { note = t("push_failed"); })
        : Promise.resolve();
      return sub.then(function () {
        if (!body.push && !body.phone) return;
        return fetch("/api/v1/alerts", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
          .then(function (r) { return r.json().then(function (a) {
            if (r.ok) { state.server = true; save(info, state); note = t("sent"); }
            else note = t("server_failed") + ((a.message && a.message[lang]) || a.error || r.status);
          }); });
      });
    }

    function disarm(info) {
      var was = saved(info);
      save(info, null); state = null; note = "";
      if (was && was.server && key) {
        fetch("/api/v1/alerts/cancel", { method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ ticket: info.ticket, day: info.day, key: key }) }).catch(function () {});
      }
      changed();
    }

    function changed() { node = null; if (opts.onChange) opts.onChange(); }

    // The widget for a waiting ticket: the button, the form it opens, or what is armed.
    function render(info, slipKey) {
      key = slipKey || null;
      current = info;
      state = saved(info);
      var id = storeKey(info) + (state ? ":on" : ":off") + ":" + (key || "");
      if (node && nodeFor === id) return node;
      var box = el("div", "remind");
      node = box; nodeFor = id;
      if (state) {
        box.appendChild(el("p", "remind-on", t("armed")(state.ahead, state.minutes)));
        box.appendChild(el("p", "muted", note || t("keep_open")));
        var off = el("button", "remind-cancel", t("cancel")); off.type = "button";
        off.addEventListener("click", function () { disarm(info); });
        box.appendChild(off);
        return box;
      }
      var open = el("button", "remind-open", "🔔 " + t("remind")); open.type = "button";
      open.setAttribute("aria-expanded", "false");
      box.appendChild(open);
      open.addEventListener("click", function () {
        open.hidden = true;
        loadConfig().then(function (c) { box.appendChild(form(info, c)); });
      });
      return box;
    }

    function form(info, c) {
      var f = el("form", "remind-form");
      var row1 = el("label", "remind-row");
      row1.appendChild(el("span", null, t("when_ahead") + " "));
      var ahead = select(AHEAD, 2, t("people"), String); row1.appendChild(ahead);
      row1.appendChild(el("span", null, " " + t("people")));
      var row2 = el("label", "remind-row");
      row2.appendChild(el("span", null, t("or_minutes") + " "));
      var mins = select(MINUTES, 10, t("minutes"), function (v) { return v ? String(v) : "—"; }); row2.appendChild(mins);
      row2.appendChild(el("span", null, " " + t("minutes")));
      f.appendChild(row1); f.appendChild(row2);
      var push = null, phone = null;
      if (c.push && key && "PushManager" in window) {
        var row3 = el("label", "remind-row");
        push = el("input"); push.type = "checkbox"; push.checked = true;
        row3.appendChild(push); row3.appendChild(el("span", null, " " + t("push")));
        f.appendChild(row3);
      }
      if (c.phone && key) {
        var row4 = el("label", "remind-row remind-phone");
        row4.appendChild(el("span", null, t("phone")));
        phone = el("input"); phone.type = "tel"; phone.inputMode = "tel"; phone.autocomplete = "tel"; phone.maxLength = 20;
        row4.appendChild(phone);
        f.appendChild(row4);
        f.appendChild(el("p", "muted", t("phone_help")));
      }
      var go = el("button", "remind-go", t("on")); go.type = "submit";
      f.appendChild(go);
      f.addEventListener("submit", function (e) {
        e.preventDefault();
        arm(info, +ahead.value, +mins.value, push && push.checked, phone && phone.value.trim());
      });
      return f;
    }

    return { render: render, update: update, setLanguage: function (l) { lang = l; node = null; } };
  }

  return { create: create };
})();
