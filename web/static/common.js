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
           translate: translate, searchText: searchText, matches: matches };
})();
