// The login form posts by itself (no script needed); this only says why a login failed.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var texts = {
    wrong_password: "Nama pengguna atau kata sandi salah. / Wrong user or password.",
    rate_limited: "Terlalu banyak percobaan; tunggu beberapa menit. / Too many attempts; wait a few minutes.",
    no_accounts: "Belum ada akun pengelola (antrian web-user add). / No manager accounts yet.",
    bad_request: "Isi nama pengguna dan kata sandi. / Enter a user and a password.",
    cross_origin: "Masuk dari halaman ini. / Log in from this page."
  };
  var code = new URLSearchParams(location.search).get("e");
  if (code) {
    var box = document.getElementById("error");
    box.textContent = texts[code] || texts.wrong_password;
    box.hidden = false;
  }
});
