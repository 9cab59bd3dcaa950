// What the pages share: element helpers and the language (Indonesian by default, English on
// request or as chosen before on this phone). Text goes in with textContent only.
"use strict";

var Antrian = (function () {
  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function pickLanguage() {
    var q = new URLSearchParams(location.search).get("lang");
    if (q === "en" || q === "id") return q;
    try { var s = localStorage.getItem("antrian-lang"); if (s === "en" || s === "id") return s; } catch (e) {}
    return "id";
  }

  function rememberLanguage(lang) {
    try { localStorage.setItem("antrian-lang", lang); } catch (e) {}
  }

  // Every [data-i18n] element's text, [data-i18n-placeholder]'s placeholder and the language
  // button from texts[lang] (the button offers the other language).
  function translate(texts, lang) {
    var t = texts[lang];
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach(function (n) { n.textContent = t[n.dataset.i18n]; });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(function (n) {
      n.placeholder = t[n.dataset.i18nPlaceholder];
    });
    var button = $("lang");
    if (button) {
      // The accessible name starts with the visible label ("EN, English"): speech input users
      // say what they see (WCAG 2.5.3).
      button.textContent = t.lang_button;
      button.setAttribute("aria-label", t.lang_label);
      if (t.lang_code) button.setAttribute("lang", t.lang_code);
    }
  }

  // The language button: the other language, remembered on this phone, then the page redraws
  // (``apply(next)``); ``current()`` says which one the page shows now.
  function onLanguageButton(current, apply) {
    $("lang").addEventListener("click", function () {
      var next = current() === "id" ? "en" : "id";
      rememberLanguage(next);
      apply(next);
    });
  }

  // An estimated wait in seconds as a visitor reads it ("± 15 mnt"), with the page's texts
  // ``t(key)``: soon, minutes(m), hours(h, m), and ``none`` when there is no estimate.
  function formatWait(s, t, none) {
    if (s === null || s === undefined) return t(none);
    var m = Math.round(s / 60);
    if (m < 1) return t("soon");
    return m < 60 ? t("minutes")(m) : t("hours")(Math.floor(m / 60), m % 60);
  }

  // A waiting ticket's two facts: its place in line (and how many are ahead) and the wait.
  function waitFacts(info, t, none) {
    var facts = el("div", "facts");
    var place = el("div", "fact"); place.appendChild(el("b", null, info.position));
    place.appendChild(el("span", null, t("position") + " · " + info.ahead + " " + t("ahead")));
    var wait = el("div", "fact"); wait.appendChild(el("b", null, formatWait(info.est_wait_s, t, none)));
    wait.appendChild(el("span", null, t("est_wait")));
    facts.appendChild(place); facts.appendChild(wait);
    return facts;
  }

  // Being called: a green bar across the top (#alert), seen without sound or a tap, with a
  // close button, and said in the tab's title too (seen on another tab, in the task switcher).
  // ``title()`` is the page's own title for when no call is shown.
  function calledBar(title) {
    var text = null;
    function showTitle() { document.title = text ? "\u25b6 " + text : title(); }
    function clear() {
      if (!text) return;
      text = null;
      $("alert").hidden = true;
      document.body.classList.remove("called");
      showTitle();
    }
    function show(message, closeLabel) {
      var box = $("alert");
      text = message;
      box.textContent = "";
      box.appendChild(el("span", "alert-text", text));
      var close = el("button", "alert-close", "\u00d7");
      close.type = "button";
      close.setAttribute("aria-label", closeLabel);
      close.addEventListener("click", clear);
      box.appendChild(close);
      box.hidden = false;
      document.body.classList.add("called");
      showTitle();
      // An extra for those who feel it: Chrome allows it only after the page was tapped once.
      try { if (navigator.vibrate) navigator.vibrate([300, 150, 300, 150, 300]); } catch (e) {}
    }
    return { show: show, clear: clear, showTitle: showTitle };
  }

  // Search: lower case, no accents, punctuation as spaces, and the spellings visitors use for
  // the same thing made one ("akte" is "akta"; "e-KTP", "KTP-el", "KTP el", "eKTP" are "ktp").
  var SYNONYMS = [
    [/\bakte\b/g, "akta"], [/\be ?ktp\b/g, "ktp"], [/\bktp ?el(ektronik)?\b/g, "ktp"],
    [/\bkartu tanda penduduk\b/g, "ktp"], [/\bkk\b/g, "kartu keluarga"],
    [/\bpasport\b/g, "paspor"]
  ];
  function searchText(text) {
    var s = String(text || "").toLowerCase();
    if (s.normalize) s = s.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
    s = " " + s.replace(/[^a-z0-9]+/g, " ").trim() + " ";
    SYNONYMS.forEach(function (r) { s = s.replace(r[0], r[1]); });
    return s.replace(/\s+/g, " ").trim();
  }

  // Every word of the query is found in the text, in any order ("lahir akta" finds "Akta
  // Kelahiran"); both sides went through searchText.
  function matches(haystack, query) {
    if (!query) return true;
    var words = query.split(" ");
    for (var i = 0; i < words.length; i++) if (haystack.indexOf(words[i]) < 0) return false;
    return true;
  }

  return { $: $, el: el, pickLanguage: pickLanguage, rememberLanguage: rememberLanguage,
           onLanguageButton: onLanguageButton, formatWait: formatWait, waitFacts: waitFacts,
           calledBar: calledBar,
           translate: translate, searchText: searchText, matches: matches };
})();
